"""The share-of-wallet answer in the synthetic world: the true share plus a known reporting error.

answer = clip(true + wallet_report_bias + wallet_report_sd * z, 0, 100), in steps of 5, z standard
normal drawn anew in each survey wave. Statistical checks hold within Z standard errors.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fidelia_kit.survey import share_of_wallet_check
from fidelia_kit.synth import WorldConfig, generate_world, true_wallet_report_error

Z = 4.0  # |z| bound of the statistical checks: a false alarm about once in 16,000 runs
SURVEY_TABLES = ("survey_responses", "survey_waves")


def _answers(world, table="survey_waves", *, wave=None):
    """Every answer to the share-of-wallet question (of one wave) beside the customer's true share."""
    said = world.tables[table].dropna(subset=["share_of_wallet"])
    if wave is not None:
        said = said[said["wave"] == wave]
    true = world.truth_customers.set_index("customer_id")["share_of_wallet"]
    return pd.DataFrame({"answer": said["share_of_wallet"].astype(float).to_numpy(),
                         "true": true.loc[said["customer_id"]].to_numpy()})


@pytest.fixture(scope="module")
def honest_pair():
    """The same small world with the default reporting error and with none."""
    return (generate_world(n_customers=1_500, seed=8),
            generate_world(n_customers=1_500, seed=8, wallet_report_bias=0.0, wallet_report_sd=0.0))


# --- the expected error, by hand and by simulation ------------------------------------------

def test_expected_error_by_hand_without_noise():
    # sd 0: the answer is certain. 41 + 0 -> 40 (-1); 99 + 0 -> 100 (+1); 41 + 8 = 49 -> 50 (+9);
    # 95 + 8 = 103 clipped to 100 (+5); 3 - 8 clipped to 0 (-3)
    assert true_wallet_report_error([41.0, 99.0], bias=0.0, sd=0.0).tolist() == [-1.0, 1.0]
    assert true_wallet_report_error([41.0, 95.0], bias=8.0, sd=0.0).tolist() == [9.0, 5.0]
    assert true_wallet_report_error([3.0], bias=-8.0, sd=0.0).tolist() == [-3.0]


def test_expected_error_is_the_bias_away_from_the_bounds_and_shrinks_near_them():
    # t = 50, b = 8, sd = 12: the bounds are 4.8 sd away (mass beyond them ~1e-6), and the rounding of a
    # normal this wide to steps of 5 is unbiased to ~1e-3 (Euler-Maclaurin): the error is the bias
    assert true_wallet_report_error([50.0], bias=8.0, sd=12.0)[0] == pytest.approx(8.0, abs=0.01)
    near = true_wallet_report_error([80.0, 90.0, 99.0], bias=8.0, sd=12.0)
    assert 8.0 > near[0] > near[1] > near[2] > -1.5   # clipped at 100, ever more the nearer the truth is to it
    assert np.isnan(true_wallet_report_error([np.nan], bias=8.0, sd=12.0)[0])


def test_expected_error_matches_a_simulation():
    t = np.array([2.0, 30.0, 62.5, 88.0, 97.0])
    rng = np.random.default_rng(4)
    z = rng.standard_normal((200_000, len(t)))
    answers = 5 * np.rint(np.clip(t + 8.0 + 12.0 * z, 0, 100) / 5)
    d = answers - t
    se = d.std(axis=0) / np.sqrt(len(d))
    assert np.all(np.abs(d.mean(axis=0) - true_wallet_report_error(t, bias=8.0, sd=12.0)) < Z * se)


@pytest.mark.parametrize("kwargs, match", [
    ({"true_share": [50.0, 120.0]}, "true_share.*0 to 100"),
    ({"true_share": ["high"]}, "true_share"),
    ({"true_share": [50.0], "sd": -1.0}, "sd"),
    ({"true_share": [50.0], "bias": float("nan")}, "bias"),
])
def test_expected_error_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        true_wallet_report_error(**kwargs)


@pytest.mark.parametrize("knob, value", [("wallet_report_bias", 60.0), ("wallet_report_sd", -1.0)])
def test_knobs_are_validated(knob, value):
    with pytest.raises(ValueError, match=knob):
        WorldConfig(**{knob: value})


# --- the world's answers ---------------------------------------------------------------------

def test_without_reporting_error_the_answer_is_the_true_share_rounded(honest_pair):
    _, honest = honest_pair
    for table in SURVEY_TABLES:
        a = _answers(honest, table)
        assert (a["answer"] == 5 * np.rint(a["true"] / 5)).all(), table


def test_the_reporting_error_changes_only_the_share_of_wallet_answers(honest_pair):
    """Its draws come from a stream of their own: every other column of every table keeps its values."""
    biased, honest = honest_pair
    for name, table in biased.tables.items():
        other = honest.tables[name]
        cols = [c for c in table.columns if not (name in SURVEY_TABLES and c == "share_of_wallet")]
        pd.testing.assert_frame_equal(table[cols], other[cols], obj=name)
    for name in SURVEY_TABLES:   # and the answers do change
        assert (biased.tables[name]["share_of_wallet"] != honest.tables[name]["share_of_wallet"]).mean() > 0.5
    keep = {k: v for k, v in honest.truth.items() if k not in ("config", "survey", "survey_waves")}
    assert keep == {k: v for k, v in biased.truth.items() if k not in ("config", "survey", "survey_waves")}


def test_answers_are_clipped_and_in_steps_of_5(honest_pair):
    biased, _ = honest_pair
    a = _answers(biased)
    assert a["answer"].between(0, 100).all() and (a["answer"] % 5 == 0).all()
    # clipping happens: some answer 100 whose true share rounds lower
    assert ((a["answer"] == 100) & (a["true"] < 97.5)).any()


def test_truth_states_the_knobs_and_the_expected_mean_difference(honest_pair):
    biased, honest = honest_pair
    for world in (biased, honest):
        t = world.truth["survey"]["share_of_wallet_report"]
        cfg = world.truth["config"]
        assert (t["bias"], t["sd"]) == (cfg["wallet_report_bias"], cfg["wallet_report_sd"])
        for table, wave, expected in (("survey_responses", None, t["expected_mean_difference"]),
                                      ("survey_waves", 1, world.truth["survey_waves"]["1"]
                                       ["share_of_wallet_expected_mean_difference"])):
            a = _answers(world, table, wave=wave)
            mean = true_wallet_report_error(a["true"], bias=t["bias"], sd=t["sd"]).mean()
            assert expected == pytest.approx(mean, abs=1e-6)
    # no error: the expected difference is the mean rounding error, within 2.5 points
    assert abs(honest.truth["survey"]["share_of_wallet_report"]["expected_mean_difference"]) <= 2.5


def test_the_answers_differences_match_the_knobs(default_world):
    """Every answer of both waves (each with its own draw): the mean difference against its exact
    expectation (clipping included), and, for true shares at least 3 sd from both bounds, where no
    answer is clipped, the mean against the bias and the spread against sqrt(sd^2 + 25/12) (the
    rounding to steps of 5 adds a uniform error of variance 25/12)."""
    w = default_world
    cfg = w.truth["config"]
    b, sd = cfg["wallet_report_bias"], cfg["wallet_report_sd"]
    a = _answers(w)
    d = a["answer"] - a["true"]
    expected = true_wallet_report_error(a["true"], bias=b, sd=sd)
    assert abs(d.mean() - expected.mean()) < Z * d.std() / np.sqrt(len(d))
    mid = a[(a["true"] + b - 3 * sd >= 0) & (a["true"] + b + 3 * sd <= 100)]
    dm = mid["answer"] - mid["true"]
    spread = np.sqrt(sd**2 + 25 / 12)
    assert len(mid) > 500
    assert abs(dm.mean() - b) < Z * spread / np.sqrt(len(mid))
    assert abs(dm.std() - spread) < Z * spread / np.sqrt(2 * (len(mid) - 1))   # se of an sd, normal errors


@pytest.mark.parametrize("table", SURVEY_TABLES)
def test_share_of_wallet_check_recovers_the_misreporting(default_world, table):
    """The mean difference's interval covers the truth's expected difference (clipping included), and
    answers overstate: the interval lies above zero."""
    w = default_world
    r = share_of_wallet_check(w.tables[table], w.truth_customers)
    report = w.truth["survey"]["share_of_wallet_report"]
    if table == "survey_responses":
        truth = report["expected_mean_difference"]
        assert r.n == report["n_answered"]
    else:   # each customer's latest answer, from either wave
        truth = true_wallet_report_error(r.customers["true"], bias=report["bias"], sd=report["sd"]).mean()
    assert r.ci[0] <= truth <= r.ci[1]
    assert r.ci[0] > 0
    assert truth < report["bias"]       # clipping at 100 pulls the mean difference below the bias
