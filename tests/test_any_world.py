"""Any world that the generator accepts loads back and feeds the package's summaries.

Hypothesis draws knob sets from the documented ranges (WorldConfig.knobs()), with a small
number of customers so each example stays quick; every example must generate, save, load
through the validating readers, and give the summaries the notebooks start from.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fidelia_kit import WorldConfig, generate_world, load_world
from fidelia_kit.clv import summarize_transactions
from fidelia_kit.retention import compare_arms
from fidelia_kit.segmentation import rfm_scores, rfm_table
from fidelia_kit.survey import nps

KNOBS = WorldConfig.knobs().set_index("knob")
SKIP = {"n_customers", "seed", "start_date", "n_years", "membership_first_year"}


def _floats(name):
    low, high = KNOBS.loc[name, ["low", "high"]]
    return st.floats(float(low), float(high), allow_nan=False, allow_infinity=False)


@st.composite
def knob_sets(draw):
    start = draw(st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)))
    knobs = {
        "n_customers": draw(st.integers(300, 1_500)),
        "seed": draw(st.integers(0, 2**63 - 1)),
        "start_date": start.isoformat(),
        "n_years": draw(st.integers(1, 5)),
        "membership_first_year": draw(st.integers(max(1990, start.year - 12), start.year)),
    }
    # the other knobs anywhere in their documented ranges
    for name in KNOBS.index:
        if name not in SKIP and isinstance(KNOBS.loc[name, "default"], float):
            knobs[name] = draw(_floats(name))
    return knobs


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(knobs=knob_sets())
def test_any_valid_world_generates_loads_and_summarizes(knobs, tmp_path_factory):
    world = generate_world(**knobs)
    folder = tmp_path_factory.mktemp("any") / "world"
    world.save(folder)
    loaded = load_world(folder)
    start, end = pd.Timestamp(knobs["start_date"]), pd.Timestamp(world.truth["window"]["end"])

    tx = loaded.transactions
    assert tx["date"].between(start, end).all()
    assert len(loaded.customers) == knobs["n_customers"]
    m = loaded.memberships
    assert (m["renewals"] >= 0).all() and (m["signup_date"] <= end).all()

    summary = summarize_transactions(tx, as_of=end + pd.Timedelta(days=1), freq="D")
    assert (summary["recency"] <= summary["T"]).all() and (summary["frequency"] >= 0).all()
    rfm = rfm_table(tx, as_of=end + pd.Timedelta(days=1))
    scores = rfm_scores(rfm, q=5)
    assert scores[["R", "F", "M"]].isin(range(1, 6)).all().all()

    waves = loaded.survey_waves
    assert (waves["wave"] == 2).sum() == len(loaded.survey_responses)
    assert not waves.duplicated(["wave", "customer_id"]).any()
    trial = loaded.welcome_experiment
    assert trial["arm"].value_counts().max() - trial["arm"].value_counts().min() <= 1 if len(trial) else True
    first = tx.groupby("customer_id")["date"].min()
    seen = loaded.customers.set_index("customer_id")["first_seen"].loc[first.index]
    assert set(first.index[first > seen]) == set(trial.loc[trial["first_purchase_90d"], "customer_id"])

    answers = loaded.survey_responses["recommend"].dropna()
    if len(answers):
        result = nps(answers)
        assert -100 <= result.nps <= 100 and result.ci[0] <= result.nps <= result.ci[1]
    exp = loaded.retention_experiment
    if exp["arm"].nunique() > 1 and len(exp) > 20:
        result = compare_arms(exp, outcome_col="active_90d")
        effects = result.to_frame()
        inside = (effects["ci_low"] <= effects["estimate"]) & (effects["estimate"] <= effects["ci_high"])
        # a relative lift's (log-ratio) interval is undefined (NaN) only when the control arm's or that arm's
        # rate is 0
        zero = result.arms["rate"] == 0
        rate_zero = effects["arm"].map(zero) | zero["control"]
        undefined = (effects["measure"] == "relative_lift") & rate_zero & effects[["ci_low", "ci_high"]].isna().all(axis=1)
        assert (inside | undefined).all()
