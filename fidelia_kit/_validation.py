"""Private checks shared by the public entry points (one helper per kind of mistake)."""
from __future__ import annotations

import numbers
from collections.abc import Iterable

__all__ = ["check_option", "check_number", "check_int", "check_probability", "check_weights", "check_varying",
           "check_not_collinear", "as_date", "as_window", "format_rows", "check_frame", "as_dates", "as_amounts",
           "check_ci", "ci_z", "check_binary", "as_rng", "seed_from", "DEFAULT_RNG"]


def check_option(name: str, value, options: Iterable):
    """Return ``value`` if it is one of ``options``, else raise ValueError naming ``name``."""
    options = list(options)
    if value not in options:
        raise ValueError(f"`{name}` must be one of {sorted(options)}; got {value!r}.")
    return value


def check_number(name: str, value, low: float, high: float, *, what: str = "a number"):
    """Return ``value`` as float if ``low <= value <= high``, else raise.

    TypeError for a non-number (bools are refused), ValueError for a number outside
    the closed range ``[low, high]``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be {what} in [{low}, {high}]; got {value!r}.")
    if not (low <= value <= high):  # also refuses NaN
        raise ValueError(f"`{name}` must be in [{low}, {high}]; got {value!r}.")
    return float(value)


def check_int(name: str, value, low: int, high: int):
    """Return ``value`` as int if it is an integer in ``[low, high]``, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer in [{low}, {high}]; got {value!r}.")
    if not (low <= value <= high):
        raise ValueError(f"`{name}` must be in [{low}, {high}]; got {value!r}.")
    return int(value)


def check_probability(name: str, value, *, what: str = "a probability"):
    """Return ``value`` as float if it lies strictly between 0 and 1, else raise.

    For a significance level, a power or a rate, where 0 and 1 have no finite answer.
    TypeError for a non-number (bools are refused), ValueError otherwise (NaN included).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be {what} strictly between 0 and 1; got {value!r}.")
    if not (0 < value < 1):
        raise ValueError(f"`{name}` must be {what} strictly between 0 and 1; got {value!r}.")
    return float(value)


def check_weights(name: str, weights, n: int, *, per: str = "row"):
    """``weights`` as a float array of ``n`` finite numbers >= 0 (one ``per`` row), not all 0; else raise naming ``name``."""
    import numpy as np

    try:
        w = np.asarray(weights, dtype=float).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be numbers, one per {per}; got {type(weights).__name__}.") from None
    if len(w) != n:
        raise ValueError(f"`{name}` must have one value per {per} ({n}); got {len(w)}.")
    bad = ~np.isfinite(w)
    if bad.any():
        raise ValueError(f"`{name}` has {int(bad.sum())} missing or infinite value(s) "
                         f"({format_rows(np.flatnonzero(bad)).replace('row', 'position')}).")
    if (w < 0).any():
        raise ValueError(f"`{name}` must be >= 0; {int((w < 0).sum())} are negative "
                         f"({format_rows(np.flatnonzero(w < 0)).replace('row', 'position')}).")
    if w.sum() <= 0:
        raise ValueError(f"`{name}` are all 0; at least one must be positive.")
    return w


def check_varying(name: str, df) -> None:
    """Every column of the DataFrame ``df`` must take at least two values (NaN ignored).

    A constant column has no variance, so correlations with it are undefined (0 / 0).
    """
    constant = [c for c in df.columns if df[c].nunique(dropna=True) < 2]
    if constant:
        raise ValueError(f"`{name}`: column(s) {constant} have the same value in every row (no variance); "
                         f"correlations with them are undefined, so leave them out.")


def check_not_collinear(name: str, df, *, tol: float = 1e-10) -> None:
    """The columns of ``df`` must not be linearly dependent (one a combination of others).

    Names the columns that enter the dependence: those with a non-negligible weight in
    the eigenvector of the correlation matrix's smallest eigenvalue.
    """
    import numpy as np

    corr = np.corrcoef(df.to_numpy(dtype=float), rowvar=False)
    if corr.ndim < 2 or not np.isfinite(corr).all():
        return    # one column, or a constant one: check_varying's to report
    vals, vecs = np.linalg.eigh(corr)
    if vals[0] > tol * max(vals[-1], 1.0):
        return
    cols = [c for c, v in zip(df.columns, vecs[:, 0]) if abs(v) > 1e-6]
    raise ValueError(f"`{name}`: column(s) {cols} are collinear (one is an exact linear combination of the "
                     f"others), so their separate effects cannot be estimated; leave one of them out.")


def as_date(name: str, value):
    """One date argument as a midnight pandas Timestamp (time zone dropped), or ValueError naming ``name``."""
    import pandas as pd

    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = None
    if ts is None or ts is pd.NaT or isinstance(value, (bool, numbers.Number)):
        raise ValueError(f"`{name}` must be a date such as '2024-06-30'; got {value!r}.")
    if ts.tz is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def format_rows(rows, limit: int = 5) -> str:
    """'rows 17, 204, 981' or 'rows 2, 3, 4, 5, 6, ...' for the first ``limit`` rows."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = ", ..." if len(rows) > limit else ""
    word = "row" if len(rows) == 1 else "rows"
    return f"{word} {shown}{more}"


def check_frame(name: str, df, columns) -> None:
    """``df`` must be a DataFrame with every column in ``columns`` and at least one row."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`{name}` must be a pandas DataFrame; got {type(df).__name__}.")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"`{name}` has no column(s) {missing}; it has {list(df.columns)}.")
    if len(df) == 0:
        raise ValueError(f"`{name}` has no rows.")


def as_dates(name: str, column: str, values):
    """The column as datetime64[ns] days, or ValueError naming it and the first bad rows."""
    import pandas as pd

    s = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s
    else:
        if pd.api.types.is_numeric_dtype(s):
            raise ValueError(f"`{name}`: column '{column}' must hold dates; got numbers ({s.dtype}).")
        out = pd.to_datetime(s, errors="coerce", format="ISO8601")
        bad = out.isna() & s.notna()
        if bad.any():
            raise ValueError(f"`{name}`: column '{column}' has {int(bad.sum())} value(s) that are not dates "
                             f"({format_rows(list(bad[bad].index), 5).replace('row', 'index')}): "
                             f"{s[bad].astype(str).head(3).tolist()}.")
    if out.isna().any():
        raise ValueError(f"`{name}`: column '{column}' has {int(out.isna().sum())} missing date(s).")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out.dt.normalize().astype("datetime64[ns]")


def as_amounts(name: str, column: str, values, *, allow_negative: bool = False):
    """The column as float64, or ValueError naming it (non-numbers, missing, negatives)."""
    import numpy as np
    import pandas as pd

    s = pd.Series(values)
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        raise ValueError(f"`{name}`: column '{column}' must hold numbers; got {s.dtype}.")
    out = s.astype("float64")
    if out.isna().any():
        raise ValueError(f"`{name}`: column '{column}' has {int(out.isna().sum())} missing value(s).")
    if not np.isfinite(out).all():
        raise ValueError(f"`{name}`: column '{column}' has infinite values.")
    if not allow_negative and (out < 0).any():
        neg = out[out < 0]
        raise ValueError(f"`{name}`: column '{column}' has {len(neg)} negative value(s) "
                         f"({format_rows(list(neg.index), 5).replace('row', 'index')}).")
    return out


def as_window(name: str, window):
    """``(first day, last day)`` as two Timestamps, or ValueError naming ``name``.

    Each day is a date or text ``YYYY-MM-DD`` (no time-zone offset); the first may not
    come after the last.
    """
    import datetime as dt
    import re

    import pandas as pd

    if isinstance(window, (str, bytes)) or not hasattr(window, "__len__") or len(window) != 2:
        raise ValueError(f"`{name}` must be two dates (first day, last day); got {window!r}.")
    days = []
    for which, day in zip(("first", "last"), window):
        if isinstance(day, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", day.strip()):
            try:
                days.append(pd.Timestamp(day.strip()))
                continue
            except ValueError:
                pass
        elif isinstance(day, (dt.date, pd.Timestamp)) and getattr(day, "tzinfo", None) is None:
            days.append(pd.Timestamp(day).normalize())
            continue
        raise ValueError(f"`{name}`: the {which} day must be a date YYYY-MM-DD; got {day!r}.")
    if days[0] > days[1]:
        raise ValueError(f"`{name}`: the first day {days[0].date()} comes after the last day {days[1].date()}.")
    return days[0], days[1]


# --- shared by every statistic with an interval ---------------------------------------------------------

def check_ci(ci, name: str = "ci") -> float:
    """Return the confidence level ``ci`` as float if it lies in [0.5, 0.9999], else raise naming ``name``.

    The kit's one convention: a confidence level (``ci=0.95``), never a test size
    (``alpha=0.05``). Power analysis, where the field speaks of a test size, takes
    ``alpha`` and documents that ``alpha = 1 - ci``.
    """
    return check_number(name, ci, 0.5, 0.9999)


def ci_z(ci, name: str = "ci") -> float:
    """The two-sided normal quantile of the confidence level ``ci`` (1.96 for 0.95), after :func:`check_ci`."""
    from scipy.special import ndtri

    return float(-ndtri((1 - check_ci(ci, name)) / 2))


def check_binary(name: str, values):
    """``values`` as an int array of 0/1 (bools accepted), else ValueError naming ``name`` and a bad value.

    One check for every treatment flag, outcome or event indicator of the kit.
    """
    import numpy as np
    import pandas as pd

    arr = np.asarray(values)
    if arr.dtype == bool:
        return arr.astype(int)
    if pd.isna(pd.Series(arr.ravel(), dtype=object)).any():
        raise ValueError(f"`{name}` must be 0/1; it has missing values.")
    try:
        num = arr.astype(float)
    except (TypeError, ValueError):
        num = None
    if num is None or not np.isin(num, (0.0, 1.0)).all():
        bad = [v for v in pd.unique(arr.ravel()) if not (isinstance(v, (int, float, np.number)) and v in (0, 1))]
        raise ValueError(f"`{name}` must be 0/1 (or True/False); found values such as {sorted(map(str, bad))[:3]}.")
    return num.astype(int)


# --- randomness -----------------------------------------------------------------------------------------

DEFAULT_RNG = 0
"""The kit's one default for ``rng``: a fixed seed, so the same call gives the same answer
(a student, their instructor's key and a rerun all agree). Pass an int for another seed, a
``numpy.random.Generator`` to continue a stream, or ``None`` for fresh entropy."""


def as_rng(rng):
    """``numpy.random.default_rng(rng)``: an int seed, None or a Generator (returned as is)."""
    import numpy as np

    return np.random.default_rng(rng)


def seed_from(rng) -> int:
    """An int seed drawn from ``rng``, for a library that takes ``random_state`` (scikit-learn)."""
    return int(as_rng(rng).integers(2**31 - 1))
