"""The notebooks' world-dependent parameters: derived from the world when ``None``, validated against it.

A notebook's parameters cell holds literals only; a date, a horizon or a cost that depends on
the world defaults to ``None``, and the setup cell turns it into a value here. Every function
takes the value the user gave (or ``None``), returns the value to use, and raises ValueError
naming the parameter when a given value does not fit the world. Parameters that depend on
each other (a cutoff and the horizon after it) are checked together.

The derivations reproduce, on the default world (2024-01-01 to 2025-12-31), the dates the
notebooks used to fix: ``ladder_mid`` 2025-01-01, ``calibration_end`` 2025-06-30,
``train_cutoff`` 2025-01-01, ``test_cutoff`` 2025-07-01 and ``horizon`` 180 days.

>>> w = Window(pd.Timestamp("2019-03-01"), pd.Timestamp("2022-02-28"))
>>> w.n_days
1096
>>> str(ladder_date(w).date()), str(calibration_end(w).date())
('2020-09-01', '2021-05-31')
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ._validation import as_date, check_int, check_number

__all__ = ["Window", "window_of", "parameter_date", "month_start", "month_end", "ladder_date", "calibration_end",
           "churn_dates", "stay_days", "cohort_split", "arm_cost"]

_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """The world's observation window: ``start`` and ``end`` are its first and last days (both included)."""

    start: pd.Timestamp
    end: pd.Timestamp

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"the window's end ({self.end.date()}) is before its start ({self.start.date()}).")

    @property
    def n_days(self) -> int:
        """Days in the window."""
        return int((self.end - self.start).days) + 1

    def at(self, fraction: float) -> pd.Timestamp:
        """The day ``floor(fraction * n_days)`` days after the start."""
        check_number("fraction", fraction, 0.0, 1.0)
        return self.start + pd.Timedelta(days=math.floor(fraction * self.n_days))

    def __str__(self) -> str:
        return f"{self.start.date()} to {self.end.date()}"


def window_of(world) -> Window:
    """The world's window: ``truth["window"]`` when the world has a truth file, else its first and last purchase day."""
    truth = getattr(world, "truth", None) or {}
    if "window" in truth:
        return Window(as_date("window start", truth["window"]["start"]), as_date("window end", truth["window"]["end"]))
    dates = pd.to_datetime(world.transactions["date"])
    if dates.empty:
        raise ValueError("the world has no transactions and no truth file: its window is unknown.")
    return Window(dates.min().normalize(), dates.max().normalize())


def parameter_date(name: str, value, window: Window, *, earliest=None, latest=None, what: str = "") -> pd.Timestamp:
    """``value`` as a day, checked to lie in ``[earliest, latest]`` (default: the window); ValueError names ``name``."""
    day = as_date(name, value)
    earliest = window.start if earliest is None else earliest
    latest = window.end if latest is None else latest
    if not earliest <= day <= latest:
        because = f" ({what})" if what else ""
        raise ValueError(f"parameter `{name}` must be between {earliest.date()} and {latest.date()}{because}; "
                         f"got {value!r}; the world's window is {window}.")
    return day


def month_start(day) -> pd.Timestamp:
    """The first day of the month of ``day`` (on or before it)."""
    day = pd.Timestamp(day).normalize()
    return day - pd.Timedelta(days=day.day - 1)


def month_end(day) -> pd.Timestamp:
    """The last day of a month on or before ``day``: ``day`` itself at a month's end, else the previous month's end."""
    day = pd.Timestamp(day).normalize()
    return day if (day + _DAY).day == 1 else month_start(day) - _DAY


def ladder_date(window: Window, ladder_mid=None) -> pd.Timestamp:
    """The earlier date of notebook 02's ladder comparison: by default the first of the month nearest the
    window's middle; a given date must lie after the window's start and before its end."""
    if ladder_mid is None:
        middle = window.start + (window.end - window.start) / 2
        after = month_start(middle) + pd.offsets.MonthBegin(1)
        ladder_mid = month_start(middle) if middle - month_start(middle) < after - middle else after
        ladder_mid = min(max(ladder_mid, window.start + _DAY), window.end - _DAY)
        return pd.Timestamp(ladder_mid)
    return parameter_date("ladder_mid", ladder_mid, window, earliest=window.start + _DAY, latest=window.end - _DAY,
                          what="strictly inside the window, to compare with its end")


def calibration_end(window: Window, value=None, *, min_days: int = 28) -> pd.Timestamp:
    """End of notebook 04's calibration period: by default the last month end on or before three quarters
    of the window (the day generated worlds start their retention campaign). Both the calibration and the
    holdout period must last at least ``min_days`` days."""
    earliest, latest = window.start + pd.Timedelta(days=min_days - 1), window.end - pd.Timedelta(days=min_days)
    if latest < earliest:
        raise ValueError(f"parameter `calibration_end`: the window ({window}, {window.n_days} days) is too short "
                         f"for {min_days} days of calibration and {min_days} of holdout.")
    if value is None:
        return min(max(month_end(window.at(0.75)), earliest), latest)
    return parameter_date("calibration_end", value, window, earliest=earliest, latest=latest,
                          what=f"at least {min_days} days of calibration and {min_days} of holdout")


def churn_dates(window: Window, train_cutoff=None, test_cutoff=None, horizon=None, *, min_history: int = 28):
    """Notebook 07's ``(train_cutoff, test_cutoff, horizon)``, checked together.

    Defaults: ``horizon`` = min(180, a quarter of the window) days; ``test_cutoff`` the latest month start
    whose horizon still ends inside the window; ``train_cutoff`` the latest month start whose horizon ends
    by ``test_cutoff``. Rules: ``train_cutoff`` leaves ``min_history`` days of purchases before it;
    ``train_cutoff + horizon <= test_cutoff`` (the training labels do not see the test period);
    ``test_cutoff + horizon`` at most one day past the window's end (a horizon beyond the data is refused,
    never shortened).
    """
    if horizon is None:
        horizon = min(180, window.n_days // 4)
    else:
        horizon = check_int("horizon", horizon, 1, window.n_days)
    h = pd.Timedelta(days=horizon)
    after_end = window.end + _DAY
    if test_cutoff is None:
        test = month_start(after_end - h)
    else:
        test = parameter_date("test_cutoff", test_cutoff, window, earliest=window.start + _DAY)
    if test + h > after_end:
        raise ValueError(f"parameters `test_cutoff` ({test.date()}) and `horizon` ({horizon} days): the horizon runs "
                         f"past the data's last day ({window.end.date()}); choose an earlier `test_cutoff` (at the "
                         f"latest {(after_end - h).date()}) or a shorter `horizon`.")
    if train_cutoff is None:
        train = month_start(test - h)
    else:
        train = parameter_date("train_cutoff", train_cutoff, window, earliest=window.start + _DAY)
    if train + h > test:
        raise ValueError(f"parameters `train_cutoff` ({train.date()}), `horizon` ({horizon} days) and `test_cutoff` "
                         f"({test.date()}): need train_cutoff + horizon <= test_cutoff, so that the training labels "
                         f"end before the test period starts.")
    if train < window.start + pd.Timedelta(days=min_history):
        raise ValueError(f"parameter `train_cutoff` ({train.date()}) leaves less than {min_history} days of purchases "
                         f"before it (the window starts {window.start.date()}); with `horizon` = {horizon} days the "
                         f"window ({window.n_days} days) needs a later `train_cutoff` or a shorter `horizon`.")
    return train, test, int(horizon)


def stay_days(window: Window, response_dates, value=None, *, longest: int = 180) -> int:
    """Notebook 01's horizon (days) for "did the respondent buy again?": by default the longest, up to
    ``longest``, that every respondent has inside the window; a given value must leave at least one respondent."""
    dates = pd.to_datetime(pd.Series(response_dates)).dropna()
    if dates.empty:
        raise ValueError("parameter `stay_days`: there are no survey answers to follow up.")
    room_all, room_any = int((window.end - dates.max()).days), int((window.end - dates.min()).days)
    if value is None:
        if room_all < 1:
            raise ValueError(f"parameter `stay_days`: the last answer ({dates.max().date()}) is on the window's "
                             f"last day; set `stay_days` to follow up the earlier ones.")
        return min(longest, room_all)
    if room_any < 1:
        raise ValueError("parameter `stay_days`: every answer is on the window's last day; nothing follows it.")
    return check_int("stay_days", value, 1, room_any)


def cohort_split(cohorts, value=None) -> int | None:
    """Notebook 05's split year of the membership cohorts ("before it" against "from it on"): by default the
    middle of the cohort years, rounded down; it must leave cohorts on both sides. ``None`` when the members
    joined in one year only and no value is given (there is nothing to compare)."""
    years = pd.Series(cohorts).dropna().astype(int)
    if years.nunique() < 2:
        if value is None:
            return None
        raise ValueError(f"parameter `cohort_split`: the members joined in {years.nunique()} year(s) only; "
                         f"there are no two groups of cohorts to compare.")
    first, last = int(years.min()), int(years.max())
    if value is None:
        return max((first + last) // 2, first + 1)
    return check_int("cohort_split", value, first + 1, last)


def arm_cost(experiment: pd.DataFrame, arm: str, value=None, *, name: str = "call_cost", arm_col: str = "arm",
             cost_col: str = "cost") -> float:
    """The cost per customer of one arm of an experiment: the given value (checked to be >= 0), else the mean
    cost recorded for the arm's customers."""
    if value is not None:
        return check_number(name, value, 0.0, 1e9)
    costs = experiment.loc[experiment[arm_col] == arm, cost_col]
    if costs.empty:
        raise ValueError(f"parameter `{name}`: the experiment has no '{arm}' arm to read its cost from; give `{name}`.")
    return float(costs.mean())
