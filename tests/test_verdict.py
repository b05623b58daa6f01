"""The sentences notebooks print about their results: each outcome on hand-worked numbers."""
import doctest

import pytest

import fidelia_kit.verdict as verdict_module
from fidelia_kit.verdict import effect_sign, roi_sign, versus_truth


def test_docstring_examples_run():
    failed, tried = doctest.testmod(verdict_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried >= 5 and failed == 0


@pytest.mark.parametrize("truth, outcome", [(0.24, "covered"), (0.22, "covered"), (0.30, "covered"),
                                            (0.20, "missed_above"), (0.35, "missed_below")])
def test_versus_truth_outcomes_closed_interval(truth, outcome):
    assert versus_truth("r", 0.26, (0.22, 0.30), truth).outcome == outcome


def test_versus_truth_states_the_gap_and_the_error():
    # Notebook 04's weekly alpha: 8.5 (8.1 to 9.0) against a true 6.0.
    # The interval's low end lies 8.1 - 6.0 = 2.1 above; the estimate is off by +2.5, +42% of 6.0.
    v = versus_truth("alpha", 8.5, (8.1, 9.0), 6.0)
    assert v.outcome == "missed_above"
    assert v.sentence == ("The estimate of alpha is 8.5 (95% CI 8.1 to 9); the interval misses the true value 6: "
                          "it lies 2.1 above it, and the estimate is off by +2.5 (+42% of it).")
    below = versus_truth("NPS", -3.0, (-8.0, 2.0), 4.7, fmt=".1f", unit=" points", level=0.9)
    assert below.outcome == "missed_below"
    assert "90% CI -8.0 points to 2.0 points" in below.sentence
    assert "it lies 2.7 points below it" in below.sentence and "off by -7.7 points (-164% of it)" in below.sentence


def test_versus_truth_zero_truth_has_no_relative_error():
    v = versus_truth("tau", 0.02, (0.01, 0.03), 0.0)
    assert v.outcome == "missed_above" and "% of it" not in v.sentence


@pytest.mark.parametrize("ci, outcome", [((0.01, 0.09), "positive"), ((-0.09, -0.01), "negative"),
                                         ((-0.01, 0.09), "inconclusive"), ((0.0, 0.09), "inconclusive")])
def test_effect_sign(ci, outcome):
    v = effect_sign("the lift", 0.05, ci)
    assert v.outcome == outcome and v.reference == 0.0
    assert v.sentence.startswith("The lift is 0.05 (95% CI")


def test_roi_sign_and_frame():
    assert roi_sign("the e-mail", 0.3, (0.1, 0.5)).outcome == "pays"
    assert roi_sign("the e-mail", -0.3, (-0.5, -0.1)).outcome == "loses"
    v = roi_sign("the e-mail", 0.1, (-0.2, 0.4))
    assert v.outcome == "inconclusive" and "cannot tell" in str(v)
    frame = v.to_frame()
    assert list(frame.columns) == ["kind", "outcome", "label", "estimate", "ci_low", "ci_high", "level",
                                   "reference", "sentence"]
    assert frame.loc[0, "ci_low"] == -0.2 and frame.loc[0, "kind"] == "roi"
    assert v._repr_markdown_() == v.sentence


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(estimate=1.0, ci=(2.0, 1.0), truth=1.0), ValueError, r"`ci` must have ci_low <= ci_high"),
    (dict(estimate=float("nan"), ci=(0.0, 1.0), truth=1.0), ValueError, r"`estimate` must be a finite number"),
    (dict(estimate=1.0, ci=0.95, truth=1.0), TypeError, r"`ci` must be a pair"),
    (dict(estimate=1.0, ci=(0.0, 2.0), truth="1"), TypeError, r"`truth` must be a number"),
    (dict(estimate=1.0, ci=(0.0, 2.0), truth=1.0, level=95), ValueError, r"`level` must be in \[0.5, 0.9999\]"),
])
def test_bad_input_names_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        versus_truth("x", **kwargs)
