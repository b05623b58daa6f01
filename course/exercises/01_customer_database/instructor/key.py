"""Answer key of exercise 01, the customer database (instructor only: never given to students).

Every expected answer is computed with pandas from the student's own world, independently of the
SQL the students write on ``fk.warehouse``: the solution scoring full marks checks both.
"""
from __future__ import annotations

import pandas as pd

from fidelia_kit.grading import Key, Question, direction

#: The window of "active" customers before and after the change asked in q8-q9 (days).
ACTIVE_DAYS, CHANGED_ACTIVE_DAYS = 365, 90
TOP_N = 10
SHARE = dict(atol=0.004, rtol=0.01)  # a share 0-1, or the same as a percentage (the key expects both)


def _active_share(transactions: pd.DataFrame, n_customers: int, days: int) -> float:
    """Share of card holders whose last purchase day is at most ``days`` days before ``as_of``."""
    day = transactions["date"].dt.normalize()
    as_of = day.max() + pd.Timedelta(days=1)
    last = day.groupby(transactions["customer_id"]).max()
    return float(((as_of - last).dt.days <= days).sum() / n_customers)


def expected(world) -> dict:
    customers, tx = world.customers, world.transactions
    n = len(customers)
    per = tx.groupby("customer_id").agg(n_receipts=("amount", "size"), monetary_total=("amount", "sum"))
    top = per.sort_values("monetary_total", ascending=False).head(TOP_N)
    never = (n - per.index.nunique()) / n
    region = tx.merge(customers[["customer_id", "region"]], on="customer_id").groupby("region")["amount"].sum()
    before = _active_share(tx, n, ACTIVE_DAYS)
    after = _active_share(tx, n, CHANGED_ACTIVE_DAYS)
    return {
        "q1": n,
        "q2": (never, 100 * never),
        "q3": float(tx["amount"].sum()),
        "q4": top,
        "q5": str(region.idxmax()),
        "q6": int(world.survey_responses["recommend"].isna().sum()),
        "q7": (before, 100 * before),
        "q8": direction(before, after),
        "q9": (after, 100 * after),
    }


KEY = Key(
    exercise="01_customer_database",
    questions=(
        Question("q1", 1, "number", text="Card holders in customer_360 (a count)."),
        Question("q2", 1, "number", **SHARE, text="Share of card holders who never bought (0-1 or %)."),
        Question("q3", 1, "number", atol=0.01, rtol=1e-9, partial=(100, 0.5),
                 text="Total revenue of all receipts, EUR with two decimals."),
        Question("q4", 2, "table", atol=0.01, per_cell=True,
                 text="Top 10 customers by spend: customer_id as index, n_receipts and monetary_total."),
        Question("q5", 1, "choice", text="The region whose customers bring the most revenue."),
        Question("q6", 1, "number", text="Questionnaires without an answer to `recommend` (a count)."),
        Question("q7", 1, "number", **SHARE, text="Share of card holders who bought in the last 365 days."),
        Question("q8", 1, "choice", text="Prediction before running: with 90 days the share is higher, lower or the same."),
        Question("q9", 1, "number", **SHARE, text="Share of card holders who bought in the last 90 days."),
        Question("q10", 2, "text", text="Why a top list by total spend can mislead whom to reward."),
    ),
    expected=expected,
    world={"n_customers": 1500},
    version="1",
)
