"""Answer key of exercise 05, the retention experiment (instructor only, never given to students).

Every expected answer is computed from the student's own world with the kit's functions, the
way the reference solution computes it. Tolerances (stated per question) leave room for
rounding; they do not let a different method through (revenue instead of margin, the control
arm's rate in the power plan, an in-sample uplift model).
"""
from __future__ import annotations

from sklearn.linear_model import LogisticRegression

from fidelia_kit import clv, retention, verdict
from fidelia_kit.grading import Key, Question

#: The settings the exercise states (the student types them; they are not parameters).
MIN_LIFT = 0.05
POWER = 0.8
NEW_MIN_LIFT = 0.025
COVARIATES = ("monetary_90d", "monetary_365d", "days_since_last")
VALUE_HORIZON_DAYS = 365
DISCOUNT_RATE = 0.10
UPLIFT_SEED = 0
#: The answers of the "how many times as many customers?" prediction, by ratio.
SCALES = {"about the same": 1.0, "about twice": 2.0, "about four times": 4.0}


def _nearest_scale(ratio: float) -> str:
    """The choice of :data:`SCALES` nearest to ``ratio`` (on the log scale)."""
    import math

    return min(SCALES, key=lambda name: abs(math.log(ratio / SCALES[name])))


def call_policy(world):
    """The targeting policy of the call: cross-fitted uplift, the mean CLV of a kept customer, the call's cost."""
    e = world.retention_experiment
    assigned = e["assigned_date"].min()
    part = e[e["arm"].isin(["control", "personal_call"])].reset_index(drop=True)
    called = (part["arm"] == "personal_call").astype(int)
    model = retention.UpliftModel(estimator=LogisticRegression(max_iter=2000, C=0.5), rng=UPLIFT_SEED)
    predicted = retention.cross_predict_uplift(part[list(retention.EXPERIMENT_FEATURES)], called,
                                               part["active_90d"].astype(int), model=model, rng=UPLIFT_SEED)
    value = clv.customer_value(world.transactions, as_of=assigned, horizon_days=VALUE_HORIZON_DAYS,
                               discount_rate=DISCOUNT_RATE)
    value_per_active = float(value.table["clv"].reindex(e["customer_id"]).mean())
    call_cost = float(e.loc[e["arm"] == "personal_call", "cost"].mean())
    return retention.targeting_policy(predicted, value=value_per_active, cost=call_cost)


def expected(world) -> dict:
    """Every auto-graded answer of the exercise, from the student's world."""
    e = world.retention_experiment.copy()
    assigned = e["assigned_date"].min()
    arms = retention.compare_arms(e, outcome_col="active_90d")
    rates = arms.arms["rate"].rename("rate")
    call = arms.lift.loc["personal_call"]
    sign = verdict.effect_sign("the call's lift", call["estimate"], (call["ci_low"], call["ci_high"]))
    e["margin_90d"] = retention.outcome_totals(e, world.transactions, value_col="gross_margin")
    roi = retention.campaign_roi(e, value_col="margin_90d", outcome_col="active_90d")
    adjusted = retention.adjusted_effect(e, outcome_col="revenue_90d", covariates=list(COVARIATES))
    base = retention.baseline_rate(world.transactions, as_of=assigned)
    needed = retention.sample_size(base, MIN_LIFT, power=POWER)
    needed_new = retention.sample_size(base, NEW_MIN_LIFT, power=POWER)
    call_lift = float(call["estimate"])
    return {
        "q1": rates,
        "q2": (call_lift, 100 * call_lift),
        "q3": sign.outcome,
        "q4": float(roi.roi.loc["personal_call", "estimate"]),
        "q5": float(adjusted.table.loc["personal_call", "estimate"]),
        "q6": needed,
        "q7": _nearest_scale(needed_new / needed),
        "q8": needed_new,
        "q9": call_policy(world).n_contacted,
    }


KEY = Key(
    exercise="05_retention_experiment",
    questions=(
        Question("q1", 2, "table", atol=0.001, per_cell=True, text="90-day purchase rate of each arm (0-1, one row "
                 "per arm)."),
        Question("q2", 1, "number", atol=0.001, rtol=0.01, text="Lift of the personal call over control in the "
                 "90-day purchase rate (a difference of shares; percentage points accepted)."),
        Question("q3", 1, "choice", text="What the 95% interval of the call's lift supports: positive, negative or "
                 "inconclusive."),
        Question("q4", 2, "number", atol=0.01, rtol=0.01, partial=(5, 0.5), text="ROI of the personal call on the "
                 "90-day gross margin (a ratio: 0.5 = 50%)."),
        Question("q5", 1, "number", atol=0.05, rtol=0.01, text="Regression-adjusted effect of the call on 90-day "
                 "revenue (EUR per customer)."),
        Question("q6", 1, "number", atol=1, text="Customers per arm to detect a lift of 0.05 with power 0.8, from "
                 "the pre-experiment base rate."),
        Question("q7", 1, "choice", text="Prediction before running: to detect half the lift, about the same, about "
                 "twice or about four times as many customers?"),
        Question("q8", 1, "number", atol=1, text="Customers per arm to detect a lift of 0.025 with power 0.8."),
        Question("q9", 2, "number", atol=2, rtol=0.02, partial=(5, 0.5), text="Customers the uplift policy calls "
                 "(cross-fitted, seed 0; value: mean CLV; cost: the call's)."),
        Question("q10", 2, "text", text="Would you call every at-risk customer, only those the model picks, or "
                 "nobody? Argue from the interval, the ROI and the policy."),
    ),
    expected=expected,
    world={"n_customers": 3000, "n_years": 2},
    version="1",
)
