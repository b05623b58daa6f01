"""The notebooks' world-dependent parameters: hand-worked defaults for three windows, the default world's
old literals reproduced, and every refusal naming the parameter."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest

from fidelia_kit import notebook as nbp
from fidelia_kit.notebook import Window

from .conftest import ROOT

T = pd.Timestamp


def _window(start, end):
    return Window(T(start), T(end))


DEFAULT = _window("2024-01-01", "2025-12-31")      # 731 days
THREE_YEARS = _window("2019-03-01", "2022-02-28")  # 2019-03-01 + 3 years: 365 + 366 + 365 = 1096 days
ONE_YEAR = _window("2021-07-01", "2022-06-30")     # 365 days
LEAP = _window("2028-02-29", "2029-02-28")         # a year from a 29 February (as WorldConfig ends it): 366 days


def test_window_length_and_fractions():
    assert (DEFAULT.n_days, THREE_YEARS.n_days, ONE_YEAR.n_days, LEAP.n_days) == (731, 1096, 365, 366)
    # floor(0.75 * 731) = 548 days after 2024-01-01 (366 in 2024, then 182 more) is 2025-07-02
    assert DEFAULT.at(0.75) == T("2025-07-02")
    # floor(0.75 * 1096) = 822: 2019-03-01 + 366 = 2020-03-01, + 365 = 2021-03-01, + 91 (Mar, Apr, May) = 2021-05-31
    assert THREE_YEARS.at(0.75) == T("2021-05-31")
    with pytest.raises(ValueError, match="end .* is before its start"):
        _window("2024-01-02", "2024-01-01")


@pytest.mark.parametrize("window, expected", [
    # the middle of 2024-01-01..2025-12-31 is 2024-12-31 noon: the nearest month start is 2025-01-01
    (DEFAULT, "2025-01-01"),
    # 2019-03-01 + 547.5 days = 2020-08-29 noon: 2020-09-01 is 2.5 days away, 2020-08-01 28.5
    (THREE_YEARS, "2020-09-01"),
    # 2021-07-01 + 182 days = 2021-12-30: 2022-01-01 is nearer than 2021-12-01
    (ONE_YEAR, "2022-01-01"),
    # 2028-02-29 + 182.5 days = 2028-08-29 noon: 2028-09-01 is nearer than 2028-08-01
    (LEAP, "2028-09-01"),
])
def test_ladder_date_default_is_the_month_start_nearest_the_middle(window, expected):
    assert nbp.ladder_date(window) == T(expected)
    inside = window.start + pd.Timedelta(days=40)
    assert nbp.ladder_date(window, str(inside.date())) == inside


@pytest.mark.parametrize("window, expected", [
    (DEFAULT, "2025-06-30"),      # the month end before 2025-07-02
    (THREE_YEARS, "2021-05-31"),  # 2021-05-31 is itself a month end
    (ONE_YEAR, "2022-03-31"),     # floor(0.75 * 365) = 273 days: 2022-03-31
    (LEAP, "2028-10-31"),         # floor(0.75 * 366) = 274 days: 2028-11-29, so the end of October
])
def test_calibration_end_default(window, expected):
    assert nbp.calibration_end(window) == T(expected)


@pytest.mark.parametrize("window, expected", [
    # horizon min(180, 731 // 4 = 182) = 180; 2026-01-01 - 180 days = 2025-07-05 -> 2025-07-01;
    # 2025-07-01 - 180 = 2025-01-02 -> 2025-01-01 (the literals the notebook used to fix)
    (DEFAULT, ("2025-01-01", "2025-07-01", 180)),
    # 2022-03-01 - 180 = 2021-09-02 -> 2021-09-01; 2021-09-01 - 180 = 2021-03-05 -> 2021-03-01
    (THREE_YEARS, ("2021-03-01", "2021-09-01", 180)),
    # horizon 365 // 4 = 91; 2022-07-01 - 91 = 2022-04-01; 2022-04-01 - 91 = 2021-12-31 -> 2021-12-01
    (ONE_YEAR, ("2021-12-01", "2022-04-01", 91)),
    # horizon 366 // 4 = 91; 2029-03-01 - 91 = 2028-11-30 -> 2028-11-01; 2028-11-01 - 91 = 2028-08-02 -> 2028-08-01
    (LEAP, ("2028-08-01", "2028-11-01", 91)),
])
def test_churn_dates_default(window, expected):
    train, test, horizon = nbp.churn_dates(window)
    assert (train, test, horizon) == (T(expected[0]), T(expected[1]), expected[2])
    assert train + pd.Timedelta(days=horizon) <= test <= window.end + pd.Timedelta(days=1 - horizon)


def test_churn_dates_derive_around_what_is_given():
    assert nbp.churn_dates(DEFAULT, horizon_days=90) == (T("2025-07-01"), T("2025-10-01"), 90)
    assert nbp.churn_dates(DEFAULT, test_as_of="2025-03-01", horizon_days=60)[0] == T("2024-12-01")


def test_churn_dates_old_argument_names_still_work_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match=r"`test_cutoff` is deprecated; use `test_as_of`"):
        old = nbp.churn_dates(DEFAULT, test_cutoff="2025-03-01", horizon=60)
    assert old == nbp.churn_dates(DEFAULT, test_as_of="2025-03-01", horizon_days=60)


@pytest.mark.parametrize("kwargs, message", [
    ({"train_as_of": "2025-05-01", "test_as_of": "2025-07-01", "horizon_days": 180},
     r"`train_as_of` \(2025-05-01\), `horizon_days` \(180\) and `test_as_of` \(2025-07-01\): need train_as_of \+ horizon_days <= test_as_of"),
    ({"test_as_of": "2025-10-01", "horizon_days": 180},
     r"`test_as_of` \(2025-10-01\) and `horizon_days` \(180\): the horizon runs past the data's last day \(2025-12-31\)"),
    ({"horizon_days": 800}, r"`horizon_days` must be in \[1, 731\]; got 800"),
    ({"horizon_days": 340}, r"`train_as_of` \(2024-01-01\) leaves less than 28 days .* shorter `horizon_days`"),
    ({"test_as_of": "2027-01-01"}, r"parameter `test_as_of` must be between 2024-01-02 and 2025-12-31"),
    ({"train_as_of": "July 2025x"}, r"`train_as_of` must be a date such as"),
])
def test_churn_dates_refuse_what_does_not_fit(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nbp.churn_dates(DEFAULT, **kwargs)


@pytest.mark.parametrize("call, message", [
    (lambda: nbp.ladder_date(THREE_YEARS, "2025-01-01"),
     r"parameter `ladder_mid` must be between 2019-03-02 and 2022-02-27 .* got '2025-01-01'; the world's window is 2019-03-01 to 2022-02-28"),
    (lambda: nbp.calibration_end(THREE_YEARS, "2025-06-30"), r"parameter `calibration_end` must be between 2019-03-28 and 2022-01-31"),
    (lambda: nbp.calibration_end(_window("2024-01-01", "2024-02-15")), r"`calibration_end`: the window .* is too short"),
    (lambda: nbp.cohort_split([2016, 2017, 2025], 2016), r"`cohort_split` must be in \[2017, 2025\]; got 2016"),
    (lambda: nbp.cohort_split([2020, 2020], 2021), r"`cohort_split`: the members joined in 1 year"),
    (lambda: nbp.stay_days(ONE_YEAR, ["2022-02-05", "2022-03-04"], 200), r"`stay_days` must be in \[1, 145\]; got 200"),
    (lambda: nbp.arm_cost(pd.DataFrame({"arm": ["control"], "cost": [0.0]}), "personal_call"), r"`call_cost`: the experiment has no 'personal_call' arm"),
    (lambda: nbp.arm_cost(pd.DataFrame({"arm": [], "cost": []}), "personal_call", -1.0), r"`call_cost` must be in \[0.0, "),
])
def test_refusals_name_the_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_cohort_split_stay_days_and_cost_defaults():
    assert nbp.cohort_split(range(2016, 2026)) == 2020          # (2016 + 2025) // 2, the old literal
    assert nbp.cohort_split([2016, 2017]) == 2017               # both groups non-empty
    assert nbp.cohort_split([2016, 2016]) is None               # one cohort year: nothing to compare
    # the last answer 2022-03-04 leaves 118 days to 2022-06-30; with room to spare, 180
    assert nbp.stay_days(ONE_YEAR, ["2022-02-05", "2022-03-04"]) == 118
    assert nbp.stay_days(DEFAULT, ["2025-03-15", "2025-04-11"]) == 180
    e = pd.DataFrame({"arm": ["control", "personal_call", "personal_call"], "cost": [0.0, 6.0, 8.0]})
    assert nbp.arm_cost(e, "personal_call") == 7.0 and nbp.arm_cost(e, "personal_call", 5) == 5.0


def test_window_of_a_world_without_truth_is_its_purchase_span():
    world = SimpleNamespace(truth={}, transactions=pd.DataFrame({"date": ["2023-02-03", "2023-01-05"]}))
    assert nbp.window_of(world) == _window("2023-01-05", "2023-02-03")


def test_the_committed_world_gets_the_dates_its_notebooks_used_to_fix():
    data = ROOT / "datasets"
    world = SimpleNamespace(truth=json.loads((data / "truth.json").read_text()))
    window = nbp.window_of(world)
    assert window == DEFAULT
    assert nbp.ladder_date(window) == T("2025-01-01")                    # 02's ladder_mid
    assert nbp.calibration_end(window) == T("2025-06-30")                # 04's calibration_end
    assert nbp.churn_dates(window) == (T("2025-01-01"), T("2025-07-01"), 180)  # 07's cutoffs and horizon
    answers = pd.read_csv(data / "survey_responses.csv", usecols=["response_date"])
    assert nbp.stay_days(window, answers["response_date"]) == 180        # 01's horizon_days
    m = pd.read_csv(data / "memberships.csv", usecols=["cohort", "signup_date"], parse_dates=["signup_date"])
    observed = m["signup_date"] + pd.DateOffset(years=1) <= window.end   # members 05 compares: a year observed
    assert nbp.cohort_split(m.loc[observed, "cohort"]) == 2020           # 05's split: (2016 + 2024) // 2
    e = pd.read_csv(data / "retention_experiment.csv", usecols=["arm", "cost"])
    assert nbp.arm_cost(e, "personal_call") == pytest.approx(6.0)      # 06's call cost


def test_the_notebook_api_lives_in_notebook_and_keeps_its_old_addresses():
    import fidelia_kit as fk
    from fidelia_kit import runner

    for name in ("record", "read_results", "check_parameters", "RESULT_MIME"):
        assert getattr(runner, name) is getattr(nbp, name), name
    assert fk.record is nbp.record and fk.read_results is nbp.read_results
    assert fk.check_parameters is nbp.check_parameters
    assert nbp.record.__module__ == "fidelia_kit.notebook"


def test_record_stores_full_precision_and_refuses_what_json_cannot_hold():
    assert nbp.record("x", 0.1 + 0.2) == 0.30000000000000004
    assert nbp.record("missing", float("nan")) is None
    with pytest.raises(ValueError, match="the name must be an identifier"):
        nbp.record("two words", 1)
    with pytest.raises(TypeError, match=r"record\('model', ...\): a object cannot be recorded"):
        nbp.record("model", object())


@pytest.mark.parametrize("spec, error, match", [
    ({"top_n": (0, 1, 1000)}, ValueError, r"parameter `top_n` must be in \[1, 1000\]; got 0"),
    ({"top_n": (2.5, 1, 1000)}, TypeError, "parameter `top_n` must be an integer"),
    ({"rate": ("high", 0.0, 1.0)}, TypeError, "parameter `rate` must be a number"),
    ({"method": ("pam", ["kmeans", "gmm"])}, ValueError, r"parameter `method` must be one of \['kmeans', 'gmm'\]"),
])
def test_check_parameters_names_the_parameter(spec, error, match):
    with pytest.raises(error, match=match):
        nbp.check_parameters(**spec)


@pytest.mark.parametrize("window", [DEFAULT, THREE_YEARS, ONE_YEAR, LEAP])
def test_holdout_start_is_the_day_after_calibration_end(window):
    assert nbp.holdout_start(window) == nbp.calibration_end(window) + pd.Timedelta(days=1)
    # 28 days on each side: the earliest start leaves days start..start+27 for calibration
    assert nbp.holdout_start(window, window.start + pd.Timedelta(days=28)) == window.start + pd.Timedelta(days=28)
    with pytest.raises(ValueError, match=r"parameter `holdout_start` must be between .* \(at least 28 days of "
                                         r"calibration before it and 28 of holdout\)"):
        nbp.holdout_start(window, window.start + pd.Timedelta(days=27))
    last = window.end - pd.Timedelta(days=27)  # days last..end: 28 days of holdout
    assert nbp.holdout_start(window, last) == last
    with pytest.raises(ValueError, match="parameter `holdout_start`"):
        nbp.holdout_start(window, last + pd.Timedelta(days=1))
