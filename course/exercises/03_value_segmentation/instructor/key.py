"""Answer key of exercise 03, value segmentation (instructor only: never given to students)."""
from __future__ import annotations

from fidelia_kit import clv
from fidelia_kit import segmentation as seg
from fidelia_kit.grading import Key, Question, direction

HORIZON_DAYS, DISCOUNT_RATE, CHANGED_DISCOUNT_RATE = 365, 0.10, 0.25


def expected(world) -> dict:
    tx = world.transactions
    rfm = seg.rfm_table(tx)
    segments = seg.rfm_segments(seg.rfm_scores(rfm, q=5))
    segment_revenue = rfm["monetary_total"].groupby(segments["segment"]).sum()
    costs = seg.customer_profit(tx, world.complaints)
    profit = costs["profit"].reindex(rfm.index)
    value = clv.customer_value(tx, horizon_days=HORIZON_DAYS, discount_rate=DISCOUNT_RATE)
    tiers = seg.value_tiers(profit, seg.future_profit(value, costs, rfm))
    counts = tiers["tier"].value_counts().rename("customers").to_frame()
    pareto = seg.pareto_curve(rfm["monetary_total"])
    funnel = seg.loyalty_ladder(world).funnel.set_index("rung")["people"]
    changed = clv.customer_value(tx, horizon_days=HORIZON_DAYS, discount_rate=CHANGED_DISCOUNT_RATE)
    return {
        "q1": int((segments["segment"] == "Champions").sum()),
        "q2": counts,
        "q3": float(tiers.loc[tiers["tier"] == "high performance", "profit"].sum()),
        "q4": (pareto.top20_share, 100 * pareto.top20_share),
        "q5": str(segment_revenue.idxmax()),
        "q6": int(funnel["advocate"]),
        "q7": direction(value.total, changed.total),
        "q8": changed.total,
    }


KEY = Key(
    exercise="03_value_segmentation",
    questions=(
        Question("q1", 1, "number", text="Customers in the RFM segment 'Champions' (q = 5)."),
        Question("q2", 2, "table", per_cell=True, text="Customers per value tier: tier as index, column customers."),
        Question("q3", 1, "number", atol=0.05, rtol=1e-6, partial=(100, 0.5),
                 text="Total current profit of the high-performance tier, EUR."),
        Question("q4", 1, "number", atol=0.002, rtol=0.01, text="Share of revenue from the top 20% of buyers."),
        Question("q5", 1, "choice", text="The RFM segment that brings the most revenue."),
        Question("q6", 1, "number", text="Advocates on the ladder at the end of the window."),
        Question("q7", 1, "choice", text="Prediction before running: at 25% a year, total CLV is higher, lower or the same."),
        Question("q8", 2, "number", rtol=0.005, partial=(5, 0.5), text="Total CLV at a 25% yearly discount rate, EUR."),
        Question("q9", 2, "text", text="What to do with a high-performance customer whose future profit is low."),
    ),
    expected=expected,
    world={"n_customers": 2000},
    version="1",
)
