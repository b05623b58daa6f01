"""The sentences notebooks print about their results: each outcome on hand-worked numbers."""
import doctest

import numpy as np
import pandas as pd
import pytest

import fidelia_kit.verdict as verdict_module
from fidelia_kit.verdict import describe_sales, effect_sign, format_p, roi_sign, versus_truth


def test_docstring_examples_run():
    failed, tried = doctest.testmod(verdict_module, optionflags=doctest.NORMALIZE_WHITESPACE,
                                    extraglobs={"np": np, "pd": pd})
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
    (dict(estimate=float("inf"), ci=(0.0, 1.0), truth=1.0), ValueError, r"`estimate` must be a finite number or NaN"),
    (dict(estimate=1.0, ci=(0.0, 1.0), truth=float("nan")), ValueError, r"`truth` must be a finite number"),
    (dict(estimate=1.0, ci=0.95, truth=1.0), TypeError, r"`ci` must be a pair"),
    (dict(estimate=1.0, ci=(0.0, 2.0), truth="1"), TypeError, r"`truth` must be a number"),
    (dict(estimate=1.0, ci=(0.0, 2.0), truth=1.0, level=95), ValueError, r"`level` must be in \[0.5, 0.9999\]"),
])
def test_bad_input_names_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        versus_truth("x", **kwargs)


# --- describe_sales: the sales curve described from its numbers ---------------------------------------------

def _sales(levels: dict, start="2024-01-01", end="2024-12-31"):
    """A receipt a day whose amount is the level of the period it falls in ({first day: amount})."""
    days = pd.date_range(start, end)
    amount = pd.Series(np.nan, index=days)
    for day, level in levels.items():
        amount[amount.index >= day] = level
    return pd.DataFrame({"date": days, "amount": amount.to_numpy()})


def _two_years():
    """2024-2025: a launch in January-February 2024 at 300 EUR a day, then 100 EUR a day in 2024 and 110 in 2025
    (+10% year over year), and every December 1.5 times its year's level (150, then 165): a season, not a trend."""
    days = pd.date_range("2024-01-01", "2025-12-31")
    level = np.where(days < "2024-03-01", 300.0, np.where(days < "2025-01-01", 100.0, 110.0))
    amount = level * np.where((days.month == 12), 1.5, 1.0)
    reg = pd.Series(pd.to_datetime(["2024-01-10"] * 100 + ["2024-02-10"] * 60
                                   + [f"{y}-{m:02d}-0{d}" for y in (2024, 2025) for m in range(1, 13) for d in (1, 2)
                                      if (y, m) >= (2024, 3)]))
    return pd.DataFrame({"date": days, "amount": amount}), reg


def test_describe_sales_by_hand():
    tx, reg = _two_years()
    curve = describe_sales(tx, registrations=reg, campaign_start="2025-10-01")
    assert curve.launch_months == ("2024-01", "2024-02")
    assert curve.launch_registrations_share == pytest.approx(160 / 204)
    assert curve.launch_revenue_per_day == 300.0
    # 671 days after the launch: 275 at 100 and 31 at 150 in 2024, 334 at 110 and 31 at 165 in 2025
    assert curve.after_launch_revenue_per_day == pytest.approx((275 * 100 + 31 * 150 + 334 * 110 + 31 * 165) / 671)
    assert curve.launch_year_later_per_day == 110.0            # January-February 2025
    # the campaign: 90 days at 110 before; after it 61 days at 110 (October, November) and 29 at 165 (December)
    assert (curve.campaign_days, curve.before_campaign_per_day) == (90, 110.0)
    assert curve.after_campaign_per_day == pytest.approx((61 * 110 + 29 * 165) / 90)
    # the same two periods a year earlier moved just as much (+16%): the December season, not the campaign
    assert curve.year_earlier_before_per_day == 100.0
    assert curve.year_earlier_after_per_day == pytest.approx((61 * 100 + 29 * 150) / 90)
    assert "(+16%); this before/after difference" in curve.sentence
    assert "a year earlier the same two periods moved +16% (100 to 116 EUR)" in curve.sentence
    # the trend, like with like: March-December 2025 against March-December 2024, +10% exactly
    assert curve.trend_days == 306
    assert curve.early_per_day == pytest.approx((275 * 100 + 31 * 150) / 306)
    assert curve.late_per_day == pytest.approx(1.1 * curve.early_per_day)
    assert ("Year over year, comparing like with like, revenue per day was 116 EUR from 2025-03-01 to 2025-12-31 "
            "against 105 EUR on the same calendar days a year earlier (+10%, over 306 days)") in curve.sentence
    assert "Registrations peak in 2024-01 to 2024-02, the launch (78% of all registrations)" in curve.sentence
    assert "; a year later, on the same calendar days (the same season), it was 110 EUR (-63%)" in curve.sentence
    assert curve.monthly["launch"].tolist() == [True, True] + [False] * 22
    assert curve.monthly["revenue"].sum() == pytest.approx(tx["amount"].sum())


def test_describe_sales_trend_does_not_mistake_a_season_for_growth():
    # no growth at all, only a December season: the first 90 days after the launch (March-May) against the last
    # 90 (October-December) used to read +17%; the same days a year apart are unchanged
    tx, reg = _two_years()
    tx["amount"] = np.where(tx["date"] < "2024-03-01", 300.0, np.where(tx["date"].dt.month == 12, 150.0, 100.0))
    curve = describe_sales(tx, registrations=reg)
    assert curve.early_per_day == curve.late_per_day
    assert "(unchanged, over 306 days)" in curve.sentence
    last_90, first_90 = tx["amount"].iloc[-90:].mean(), tx["amount"].iloc[60:150].mean()
    assert last_90 / first_90 - 1 == pytest.approx(0.172, abs=0.001)      # what the old comparison reported


def test_describe_sales_says_what_the_numbers_say_whatever_they_are():
    flat = describe_sales(_sales({"2024-01-01": 50.0}), registrations=pd.Series(pd.date_range("2024-01-01",
                                                                                           "2024-12-31", freq="7D")))
    assert flat.launch_months == () and "shows no launch spike" in flat.sentence
    # one year: no day has its date a year earlier in the window, so no trend is claimed either way
    assert flat.trend_days == 0 and np.isnan(flat.early_per_day) and np.isnan(flat.late_per_day)
    assert "so it cannot tell a trend from the season" in flat.sentence
    falling = describe_sales(_sales({"2024-01-01": 100.0, "2024-07-01": 80.0}), campaign_start="2024-07-01")
    assert falling.after_campaign_per_day < falling.before_campaign_per_day and "(-20%)" in falling.sentence
    assert np.isnan(falling.year_earlier_before_per_day) and "does not reach back a year" in falling.sentence
    # a partial month is not a dip: revenue per day is the same in a 10-day December
    short = describe_sales(_sales({"2024-01-01": 50.0}, end="2024-12-10"))
    assert short.monthly["revenue_per_day"].tolist() == [50.0] * 12 and short.monthly["days"].iloc[-1] == 10


def test_describe_sales_refuses_a_campaign_outside_the_window():
    with pytest.raises(ValueError, match=r"`campaign_start` must lie after the window's first day"):
        describe_sales(_sales({"2024-01-01": 50.0}), campaign_start="2025-02-01")
    with pytest.raises(ValueError, match=r"`transactions` has no column\(s\) \['amount'\]"):
        describe_sales(pd.DataFrame({"date": ["2024-01-01"]}))


def test_verdict_is_a_frozen_result_with_a_short_repr():
    import dataclasses

    from fidelia_kit._results import Result

    v = roi_sign("the call", 0.25, (0.05, 0.45))
    assert isinstance(v, Result) and v.outcome == "pays"
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.outcome = "loses"
    assert repr(v).startswith("Verdict(kind='roi', outcome='pays', label='the call', estimate=0.25, ci=(0.05, 0.45)")
    assert str(v) == v.sentence


def test_an_undefined_estimate_or_interval_gives_a_sentence_not_an_error():
    nan = float("nan")
    v = effect_sign("the hazard ratio", 1.2, (nan, nan))
    assert v.outcome == "undefined" and v.sentence == ("The hazard ratio could not be estimated on these data: the "
                                                       "interval is undefined, so they support no conclusion.")
    assert roi_sign("the call", nan, (nan, 0.3)).outcome == "undefined"
    both = versus_truth("r", nan, (0.1, nan), 0.24)
    assert both.outcome == "undefined" and "the estimate and the interval are undefined" in both.sentence
    assert both.to_frame().loc[0, "outcome"] == "undefined"


@pytest.mark.parametrize("p, text", [(0.0, "p < 0.001"), (2.7e-254, "p < 0.001"), (0.000999, "p < 0.001"),
                                     (0.001, "p = 0.001"), (0.0123, "p = 0.012"), (0.23, "p = 0.23"),
                                     (1.0, "p = 1"), (float("nan"), "p not available")])
def test_format_p_never_prints_zero(p, text):
    # Bartlett's test in notebook 01 printed "p = 0" (format .1g of a p-value below 1e-300)
    assert f"{0.0:.1g}" == "0"
    assert format_p(p) == text


def test_format_p_threshold_and_bad_input():
    assert format_p(0.003, threshold=0.01) == "p < 0.01"
    with pytest.raises(ValueError, match=r"`pvalue` must be in \[0, 1\]; got 1.2"):
        format_p(1.2)
    with pytest.raises(TypeError, match=r"`pvalue` must be a number; got '0.01'"):
        format_p("0.01")
    with pytest.raises(ValueError, match=r"`threshold` must be in \(0, 0.1\]"):
        format_p(0.5, threshold=0.5)


def test_versus_truth_can_leave_out_the_share_of_a_truth_near_zero():
    # notebook 01 printed an NPS off "by +16.9 points (+444% of it)" against a truth of 3.8 points
    kept = versus_truth("NPS", 20.7, (17.4, 24.0), 3.8, fmt=".1f")
    assert "(+445% of it)" in kept.sentence
    dropped = versus_truth("NPS", 20.7, (17.4, 24.0), 3.8, fmt=".1f", relative=False)
    assert dropped.sentence.endswith("off by +16.9.") and dropped.outcome == kept.outcome == "missed_above"
