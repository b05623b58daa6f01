"""What a notebook uses inside itself: record results, check parameters, derive world-dependent ones.

The notebook-side API of the kit, apart from the executor (:mod:`fidelia_kit.runner`):

- :func:`record` stores a result in the running notebook (a display output of its own type)
  and :func:`read_results` reads every recorded result back from an executed notebook (the
  small piece scrapbook used to do, on nbformat);
- :func:`check_parameters` validates the literals of a parameters cell;
- the other functions turn a world-dependent parameter (a date, a horizon, a cost) that
  defaults to ``None`` into the value to use, and check a given one against the world.

A notebook's parameters cell holds literals only; a date, a horizon or a cost that depends on
the world defaults to ``None``, and the setup cell turns it into a value here. Every function
takes the value the user gave (or ``None``), returns the value to use, and raises ValueError
naming the parameter when a given value does not fit the world. Parameters that depend on
each other (a cut-off and the horizon after it) are checked together.

The derivations reproduce, on the default world (2024-01-01 to 2025-12-31), the dates the
notebooks used to fix: ``ladder_mid`` 2025-01-01, ``calibration_end`` 2025-06-30,
``train_as_of`` 2025-01-01, ``test_as_of`` 2025-07-01 and ``horizon_days`` 180.

>>> w = Window(pd.Timestamp("2019-03-01"), pd.Timestamp("2022-02-28"))
>>> w.n_days
1096
>>> str(ladder_date(w).date()), str(calibration_end(w).date())
('2020-09-01', '2021-05-31')
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._deprecation import renamed
from ._validation import as_date, check_int, check_number

if TYPE_CHECKING:
    import pandas as pd

    from ._typing import ArrayLike, DateLike, PathLike
    from .dataset import World

__all__ = ["record", "read_results", "check_parameters", "RESULT_MIME", "Window", "window_of", "parameter_date",
           "month_start", "month_end", "ladder_date", "calibration_end", "holdout_start", "churn_dates", "stay_days", "cohort_split",
           "arm_cost"]

#: The MIME type of a recorded result in a notebook's outputs.
RESULT_MIME = "application/vnd.fidelia.result+json"


def _jsonable(value, name):
    import numpy as np

    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, str) or value is None:
        return value
    if hasattr(value, "to_dict") and not isinstance(value, dict):
        value = value.to_dict()
    if isinstance(value, dict):
        return {str(k): _jsonable(v, name) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v, name) for v in list(value)]
    raise TypeError(f"record({name!r}, ...): a {type(value).__name__} cannot be recorded; record numbers, text, "
                    "lists or dicts (or a pandas Series).")


def record(name: str, value: Any, *, show: bool = False) -> Any:
    """Record a result in the running notebook, to be read back by :func:`read_results`.

    Parameters
    ----------
    name : str
        An identifier, e.g. ``"alpha_staff"``; a later record of the same name wins.
    value : number, str, bool, None, list, tuple, dict, numpy scalar or array, pandas Series
        Stored as JSON: numpy numbers become Python numbers, a non-finite float ``None``,
        a Series (anything with ``to_dict``) a dict. Floats are stored in full, never rounded.
    show : bool, default=False
        Also show ``recorded name = value`` (floats to 4 significant digits) to the reader. By
        default the record is data for :func:`read_results` only: its output has the result's own
        MIME type (:data:`RESULT_MIME`) and an empty text, so the notebook's narrative, not a
        list of raw values, is what a reader sees (the HTML export of ``fidelia run`` leaves it out).

    Returns
    -------
    object
        The value as stored (JSON-ready).

    Raises
    ------
    ValueError
        ``name`` is not an identifier.
    TypeError
        A value that JSON cannot hold (a DataFrame, a model, ...).

    See Also
    --------
    read_results : every recorded value of an executed notebook.

    Examples
    --------
    >>> record("nps", np.float64(12.5))
    12.5
    >>> record("counts", pd.Series({"a": 1, "b": 2}))
    {'a': 1, 'b': 2}
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"record(): the name must be an identifier such as 'alpha_staff'; got {name!r}.")
    value = _jsonable(value, name)
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython comes with the kit
        shell = None
    if shell is not None:
        from IPython.display import display
        # the stored value is exact; what the reader sees, if anything, is brief (4 significant digits)
        shown = f"recorded {name} = {_brief(value)}" if show else ""
        display({RESULT_MIME: {"name": name, "value": value}, "text/plain": shown}, raw=True)
    return value


def _brief(value: Any) -> str:
    """``value`` for display: floats to 4 significant digits, inside lists and dicts too."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_brief(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_brief(v)}" for k, v in value.items()) + "}"
    return repr(value)


def read_results(path: PathLike) -> dict:
    """Every value recorded with :func:`record` in an executed notebook, by name (the last record wins).

    Parameters
    ----------
    path : str or Path
        The executed notebook (``.ipynb``), e.g. ``outputs/00_customer_database.ipynb``.

    Returns
    -------
    dict
        name -> value, as recorded.

    Raises
    ------
    FileNotFoundError
        No such file.

    Examples
    --------
    >>> import nbformat, tempfile
    >>> nb = nbformat.v4.new_notebook()
    >>> out = nbformat.v4.new_output("display_data", data={RESULT_MIME: {"name": "k", "value": 4}})
    >>> nb.cells = [nbformat.v4.new_code_cell("", outputs=[out])]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     nbformat.write(nb, f"{d}/run.ipynb")
    ...     read_results(f"{d}/run.ipynb")
    {'k': 4}
    """
    import nbformat

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such notebook.")
    nb = nbformat.read(path, as_version=4)
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = o.get("data", {}) if o.get("output_type") in ("display_data", "execute_result") else {}
            if RESULT_MIME in data:
                item = data[RESULT_MIME]
                if isinstance(item, str):
                    item = json.loads(item)
                out[item["name"]] = item["value"]
    return out


def check_parameters(**specs: tuple[Any, ...]) -> None:
    """Validate a notebook's parameters, each against its range or its options.

    Parameters
    ----------
    **specs : tuple
        ``name=(value, low, high)`` for a number in the closed range ``[low, high]`` (an
        integer when both bounds are ints), ``name=(value, options)`` for a choice.

    Returns
    -------
    None
        When every value is valid.

    Raises
    ------
    TypeError
        A number of the wrong type (text for a number, a float for an integer).
    ValueError
        A value out of its range or not among its options; the message names the parameter.

    Examples
    --------
    >>> check_parameters(top_n=(10, 1, 1000), method=("kmeans", ["kmeans", "gmm"]))
    >>> check_parameters(top_n=(0, 1, 1000))
    Traceback (most recent call last):
    ...
    ValueError: parameter `top_n` must be in [1, 1000]; got 0.
    """
    for name, spec in specs.items():
        if len(spec) == 2:
            value, options = spec
            if value not in options:
                raise ValueError(f"parameter `{name}` must be one of {list(options)}; got {value!r}.")
        else:
            value, low, high = spec
            try:
                if isinstance(low, int) and isinstance(high, int):
                    check_int(name, value, low, high)
                else:
                    check_number(name, value, low, high)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"parameter {exc}") from None


def _days(n: int):
    import pandas as pd

    return pd.Timedelta(days=n)


@dataclass(frozen=True)
class Window:
    """The world's observation window: ``start`` and ``end`` are its first and last days (both included).

    Parameters
    ----------
    start, end : Timestamp
        First and last observed day; ``end`` may not come before ``start``.

    Examples
    --------
    >>> w = Window(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31"))
    >>> w.n_days, str(w.at(0.75).date()), str(w)
    (731, '2025-07-02', '2024-01-01 to 2025-12-31')
    """

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
        return self.start + _days(math.floor(fraction * self.n_days))

    def __str__(self) -> str:
        return f"{self.start.date()} to {self.end.date()}"


def window_of(world: World) -> Window:
    """The world's observation window.

    Parameters
    ----------
    world : World
        A generated or loaded world (anything with ``truth`` and ``transactions``).

    Returns
    -------
    Window
        ``truth["window"]`` when the world has a truth file, else its first and last purchase day.

    Raises
    ------
    ValueError
        No truth file and no transactions.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> w = SimpleNamespace(truth={"window": {"start": "2024-01-01", "end": "2025-12-31"}}, transactions=None)
    >>> str(window_of(w))
    '2024-01-01 to 2025-12-31'
    """
    import pandas as pd

    truth = getattr(world, "truth", None) or {}
    if "window" in truth:
        return Window(as_date("window start", truth["window"]["start"]), as_date("window end", truth["window"]["end"]))
    dates = pd.to_datetime(world.transactions["date"])
    if dates.empty:
        raise ValueError("the world has no transactions and no truth file: its window is unknown.")
    return Window(dates.min().normalize(), dates.max().normalize())


def parameter_date(
    name: str,
    value: DateLike,
    window: Window,
    *,
    earliest: pd.Timestamp | None = None,
    latest: pd.Timestamp | None = None,
    what: str = "",
) -> pd.Timestamp:
    """A date parameter as a day, checked to lie in ``[earliest, latest]``.

    Parameters
    ----------
    name : str
        The parameter's name, for the message.
    value : date-like
        The value given.
    window : Window
        The world's window.
    earliest, latest : Timestamp, optional
        The range allowed (default: the window).
    what : str, default=""
        Why the range is what it is, for the message.

    Returns
    -------
    Timestamp
        The day (midnight).

    Raises
    ------
    ValueError
        Not a date, or out of range; names ``name`` and the world's window.

    Examples
    --------
    >>> w = Window(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31"))
    >>> parameter_date("as_of", "2025-01-01", w)
    Timestamp('2025-01-01 00:00:00')
    """
    day = as_date(name, value)
    earliest = window.start if earliest is None else earliest
    latest = window.end if latest is None else latest
    if not earliest <= day <= latest:
        because = f" ({what})" if what else ""
        raise ValueError(f"parameter `{name}` must be between {earliest.date()} and {latest.date()}{because}; "
                         f"got {value!r}; the world's window is {window}.")
    return day


def month_start(day: DateLike) -> pd.Timestamp:
    """The first day of the month of ``day`` (on or before it).

    Parameters
    ----------
    day : date-like

    Returns
    -------
    Timestamp

    Examples
    --------
    >>> month_start("2024-02-29")
    Timestamp('2024-02-01 00:00:00')
    """
    import pandas as pd

    day = pd.Timestamp(day).normalize()
    return day - _days(day.day - 1)


def month_end(day: DateLike) -> pd.Timestamp:
    """The last day of a month on or before ``day``: ``day`` itself at a month's end, else the previous month's end.

    Parameters
    ----------
    day : date-like

    Returns
    -------
    Timestamp

    Examples
    --------
    >>> month_end("2024-02-29"), month_end("2024-02-28")
    (Timestamp('2024-02-29 00:00:00'), Timestamp('2024-01-31 00:00:00'))
    """
    import pandas as pd

    day = pd.Timestamp(day).normalize()
    return day if (day + _days(1)).day == 1 else month_start(day) - _days(1)


def ladder_date(window: Window, ladder_mid: DateLike | None = None) -> pd.Timestamp:
    """The earlier date of notebook 02's ladder comparison.

    Parameters
    ----------
    window : Window
    ladder_mid : date-like, optional
        The value given; by default the first of the month nearest the window's middle.

    Returns
    -------
    Timestamp
        A day strictly inside the window (after its start, before its end).

    Raises
    ------
    ValueError
        A given date outside that range, naming ``ladder_mid``.

    Examples
    --------
    >>> ladder_date(Window(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31")))
    Timestamp('2025-01-01 00:00:00')
    """
    import pandas as pd

    if ladder_mid is None:
        middle = window.start + (window.end - window.start) / 2
        after = month_start(middle) + pd.offsets.MonthBegin(1)
        ladder_mid = month_start(middle) if middle - month_start(middle) < after - middle else after
        ladder_mid = min(max(ladder_mid, window.start + _days(1)), window.end - _days(1))
        return pd.Timestamp(ladder_mid)
    return parameter_date("ladder_mid", ladder_mid, window, earliest=window.start + _days(1),
                          latest=window.end - _days(1), what="strictly inside the window, to compare with its end")


def calibration_end(window: Window, value: DateLike | None = None, *, min_days: int = 28) -> pd.Timestamp:
    """The last day of notebook 04's calibration period (inclusive; the holdout starts the day after).

    Parameters
    ----------
    window : Window
    value : date-like, optional
        The value given; by default the last month end on or before three quarters of the
        window (the day generated worlds start their retention campaign).
    min_days : int, default=28
        Both the calibration and the holdout period must last at least this many days.

    Returns
    -------
    Timestamp
        The last calibration day; ``holdout_start`` (the kit's name for the first day of the
        later period, an ``as_of``) is this day + 1.

    Raises
    ------
    ValueError
        A window too short, or a value that leaves either period shorter than ``min_days``.

    Examples
    --------
    >>> calibration_end(Window(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31")))
    Timestamp('2025-06-30 00:00:00')
    """
    earliest, latest = window.start + _days(min_days - 1), window.end - _days(min_days)
    if latest < earliest:
        raise ValueError(f"parameter `calibration_end`: the window ({window}, {window.n_days} days) is too short "
                         f"for {min_days} days of calibration and {min_days} of holdout.")
    if value is None:
        return min(max(month_end(window.at(0.75)), earliest), latest)
    return parameter_date("calibration_end", value, window, earliest=earliest, latest=latest,
                          what=f"at least {min_days} days of calibration and {min_days} of holdout")


def holdout_start(window: Window, value: DateLike | None = None, *, min_days: int = 28) -> pd.Timestamp:
    """The first day of a holdout period: the kit's name for the date that splits a log in two.

    The calibration period is every day before it; ``holdout_start`` is an ``as_of``
    (exclusive) for the calibration summary. It is :func:`calibration_end` + 1 day.

    Parameters
    ----------
    window : Window
    value : date-like, optional
        The value given; by default the day after :func:`calibration_end`'s default.
    min_days : int, default=28
        Both periods must last at least this many days.

    Returns
    -------
    Timestamp

    Raises
    ------
    ValueError
        A value that leaves either period shorter than ``min_days``, naming ``holdout_start``.

    Examples
    --------
    >>> holdout_start(Window(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31")))
    Timestamp('2025-07-01 00:00:00')
    """
    if value is None:
        return calibration_end(window, min_days=min_days) + _days(1)
    earliest, latest = window.start + _days(min_days), window.end - _days(min_days - 1)
    if latest < earliest:
        raise ValueError(f"parameter `holdout_start`: the window ({window}, {window.n_days} days) is too short "
                         f"for {min_days} days of calibration and {min_days} of holdout.")
    return parameter_date("holdout_start", value, window, earliest=earliest, latest=latest,
                          what=f"at least {min_days} days of calibration before it and {min_days} of holdout")


@renamed(train_cutoff="train_as_of", test_cutoff="test_as_of", horizon="horizon_days")
def churn_dates(
    window: Window,
    train_as_of: DateLike | None = None,
    test_as_of: DateLike | None = None,
    horizon_days: int | None = None,
    *,
    min_history: int = 28,
) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    """Notebook 07's ``(train_as_of, test_as_of, horizon_days)``, checked together.

    Both cut-offs are ``as_of`` dates (exclusive): the features see the days before them, the
    labels the ``horizon`` days from them on.

    Parameters
    ----------
    window : Window
    train_as_of, test_as_of : date-like, optional
        Given values. Defaults: ``test_as_of`` the latest month start whose horizon still ends
        inside the window; ``train_as_of`` the latest month start whose horizon ends by
        ``test_as_of``.
    horizon_days : int, optional
        Days; default min(180, a quarter of the window).
    min_history : int, default=28
        Days of purchases ``train_as_of`` must leave before it.

    Returns
    -------
    tuple
        ``(train_as_of, test_as_of, horizon_days)``: two Timestamps and an int.

    Raises
    ------
    ValueError
        ``train_as_of + horizon_days > test_as_of`` (the training labels would see the test
        period), ``test_as_of + horizon_days`` more than one day past the window's end (a horizon
        beyond the data is refused, never shortened), or too little history.

    Examples
    --------
    >>> train, test, h = churn_dates(Window(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31")))
    >>> str(train.date()), str(test.date()), h
    ('2025-01-01', '2025-07-01', 180)
    """
    if horizon_days is None:
        horizon_days = min(180, window.n_days // 4)
    else:
        horizon_days = check_int("horizon_days", horizon_days, 1, window.n_days)
    h = _days(horizon_days)
    after_end = window.end + _days(1)
    if test_as_of is None:
        test = month_start(after_end - h)
    else:
        test = parameter_date("test_as_of", test_as_of, window, earliest=window.start + _days(1))
    if test + h > after_end:
        raise ValueError(f"parameters `test_as_of` ({test.date()}) and `horizon_days` ({horizon_days}): the horizon runs "
                         f"past the data's last day ({window.end.date()}); choose an earlier `test_as_of` (at the "
                         f"latest {(after_end - h).date()}) or a shorter `horizon_days`.")
    if train_as_of is None:
        train = month_start(test - h)
    else:
        train = parameter_date("train_as_of", train_as_of, window, earliest=window.start + _days(1))
    if train + h > test:
        raise ValueError(f"parameters `train_as_of` ({train.date()}), `horizon_days` ({horizon_days}) and `test_as_of` "
                         f"({test.date()}): need train_as_of + horizon_days <= test_as_of, so that the training labels "
                         f"end before the test period starts.")
    if train < window.start + _days(min_history):
        raise ValueError(f"parameter `train_as_of` ({train.date()}) leaves less than {min_history} days of purchases "
                         f"before it (the window starts {window.start.date()}); with `horizon_days` = {horizon_days} the "
                         f"window ({window.n_days} days) needs a later `train_as_of` or a shorter `horizon_days`.")
    return train, test, int(horizon_days)


def stay_days(window: Window, response_dates: ArrayLike, value: int | None = None, *, longest: int = 180) -> int:
    """Notebook 01's horizon (days) for "did the respondent buy again?".

    Parameters
    ----------
    window : Window
    response_dates : array-like of dates
        The survey answers' dates.
    value : int, optional
        The value given; by default the longest, up to ``longest``, that every respondent has
        inside the window.
    longest : int, default=180

    Returns
    -------
    int
        Days.

    Raises
    ------
    ValueError
        No answers, or no day left after them; a given value that leaves no respondent.

    Examples
    --------
    >>> w = Window(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31"))
    >>> stay_days(w, ["2025-03-01", "2025-08-10"])
    143
    """
    import pandas as pd

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


def cohort_split(cohorts: ArrayLike, value: int | None = None) -> int | None:
    """Notebook 05's split year of the membership cohorts ("before it" against "from it on").

    Parameters
    ----------
    cohorts : array-like of int
        The members' signup years.
    value : int, optional
        The value given; by default the middle of the cohort years, rounded down. It must leave
        cohorts on both sides.

    Returns
    -------
    int or None
        ``None`` when the members joined in one year only and no value is given (there is
        nothing to compare).

    Raises
    ------
    ValueError
        A given value with cohorts on one side only.

    Examples
    --------
    >>> cohort_split([2016, 2017, 2020, 2021]), cohort_split([2020, 2020])
    (2018, None)
    """
    import pandas as pd

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


def arm_cost(
    experiment: pd.DataFrame,
    arm: str,
    value: float | None = None,
    *,
    name: str = "call_cost",
    arm_col: str = "arm",
    cost_col: str = "cost",
) -> float:
    """The cost per customer of one arm of an experiment.

    Parameters
    ----------
    experiment : DataFrame
        One row per customer, with ``arm_col`` and ``cost_col``.
    arm : str
        The arm.
    value : float, optional
        The value given (checked to be >= 0); by default the mean cost recorded for the arm's customers.
    name : str, default="call_cost"
        The parameter's name, for messages.
    arm_col, cost_col : str
        Column names of ``experiment``.

    Returns
    -------
    float
        EUR per customer.

    Raises
    ------
    ValueError
        No such arm and no value given.

    Examples
    --------
    >>> e = pd.DataFrame({"arm": ["control", "call", "call"], "cost": [0.0, 6.0, 5.0]})
    >>> arm_cost(e, "call"), arm_cost(e, "call", 4)
    (5.5, 4.0)
    """
    if value is not None:
        return check_number(name, value, 0.0, 1e9)
    costs = experiment.loc[experiment[arm_col] == arm, cost_col]
    if costs.empty:
        raise ValueError(f"parameter `{name}`: the experiment has no '{arm}' arm to read its cost from; give `{name}`.")
    return float(costs.mean())
