"""Answer key of exercise 04, customer lifetime value (instructor only, never given to students).

Every expected answer is computed from the student's own world with the kit's functions, the
way the reference solution computes it. Tolerances (stated per question) leave room for
rounding and for an optimiser that stops a little earlier; they do not let a different method
through (a weekly summary, an undiscounted CLV, another horizon).
"""
from __future__ import annotations

import pandas as pd
from scipy import stats

from fidelia_kit import clv, notebook
from fidelia_kit.grading import Key, Question

#: The settings the exercise states (the student types them; they are not parameters).
HORIZON_DAYS = 365
DISCOUNT_RATE = 0.10
#: The horizon of the "change, predict, then run" question: twice the first one.
NEW_HORIZON_DAYS = 730
#: "About twice" means a ratio within 5% of 2.
ABOUT = 0.05


def _doubling(ratio: float) -> str:
    """How a value over twice the horizon compares with twice the value: the prediction's answer."""
    if abs(ratio / 2 - 1) <= ABOUT:
        return "about twice"
    return "less than twice" if ratio < 2 else "more than twice"


def expected(world) -> dict:
    """Every auto-graded answer of the exercise, from the student's world."""
    tx = world.transactions
    window = notebook.window_of(world)
    as_of = window.end + pd.Timedelta(days=1)
    summary = clv.summarize_transactions(tx, value_col="amount", freq="D", as_of=as_of)
    repeat_share = float((summary["frequency"] > 0).mean())
    bg = clv.BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    params = bg.params_[["r", "alpha", "a", "b"]].rename("estimate")

    repeat = summary[summary["frequency"] > 0]
    gg = clv.GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    spend = float(gg.expected_spend(repeat["frequency"], repeat["monetary_value"]).mean())

    start = notebook.holdout_start(window)
    cal = clv.summarize_transactions(tx, value_col="amount", freq="D", holdout_start=start, as_of=as_of)
    bg_cal = clv.BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])
    predicted = bg_cal.expected_purchases(cal["duration_holdout"], cal["frequency"], cal["recency"], cal["T"])
    holdout = pd.Series({"actual": float(cal["frequency_holdout"].sum()), "predicted": float(predicted.sum())},
                        name="repeat_purchases")

    value = clv.customer_value(tx, as_of=as_of, horizon_days=HORIZON_DAYS, discount_rate=DISCOUNT_RATE)
    mean_alive = float(value.table["p_alive"].mean())
    history = clv.historical_value(tx, margin_col="gross_margin", as_of=as_of)["margin_total"].reindex(value.table.index)
    future = world.truth_customers.set_index("customer_id")["expected_spend_52w"].reindex(value.table.index)
    rho_clv = stats.spearmanr(value.clv, future).statistic
    rho_history = stats.spearmanr(history, future).statistic
    changed = clv.customer_value(tx, as_of=as_of, horizon_days=NEW_HORIZON_DAYS, discount_rate=DISCOUNT_RATE)
    return {
        "q1": (repeat_share, 100 * repeat_share),
        "q2": params,
        "q3": (mean_alive, 100 * mean_alive),
        "q4": spend,
        "q5": holdout,
        "q6": value.total,
        "q7": "clv" if rho_clv > rho_history else "history",
        "q8": _doubling(changed.total / value.total),
        "q9": changed.total,
    }


KEY = Key(
    exercise="04_customer_lifetime_value",
    questions=(
        Question("q1", 1, "number", rtol=0.005, text="Share of buyers with at least one repeat purchase day (0-1, or "
                 "a percentage; 0.5%)."),
        Question("q2", 2, "table", rtol=0.02, per_cell=True, text="BG/NBD parameters r, alpha, a, b on the daily "
                 "summary of all the data (2% per cell)."),
        Question("q3", 1, "number", rtol=0.01, text="Mean probability of being alive (p_alive) over the buyers "
                 "(0-1, or a percentage; 1%)."),
        Question("q4", 1, "number", rtol=0.005, text="Mean Gamma-Gamma expected spend per purchase over the repeat "
                 "buyers (EUR; 0.5%)."),
        Question("q5", 2, "table", rtol=0.01, per_cell=True, text="Holdout check: actual and predicted repeat "
                 "purchases in the holdout period (1% per cell)."),
        Question("q6", 2, "number", rtol=0.005, partial=(5, 0.5), text="Total CLV, 365 days, 10% a year (EUR of "
                 "margin; 0.5%, half the points within 2.5%)."),
        Question("q7", 1, "choice", text="Which ranks customers closer to the true future spend: clv or history?"),
        Question("q8", 1, "choice", text="Prediction before running: over 730 days instead of 365, is total CLV "
                 "less than twice, about twice (within 5%) or more than twice as large?"),
        Question("q9", 1, "number", rtol=0.005, text="Total CLV, 730 days, 10% a year (EUR; 0.5%)."),
        Question("q10", 2, "text", text="Two customers with the same number of repeat purchases, one recent and one "
                 "long ago: p_alive, why, and whom to contact."),
    ),
    expected=expected,
    world={"n_customers": 2000, "n_years": 2},
    version="1",
)
