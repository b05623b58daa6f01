"""Private checks shared by the public entry points (one helper per kind of mistake)."""
from __future__ import annotations

import numbers
from collections.abc import Iterable

__all__ = ["check_option", "check_number", "check_int", "format_rows"]


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


def format_rows(rows, limit: int = 5) -> str:
    """'rows 17, 204, 981' or 'rows 2, 3, 4, 5, 6, ...' for the first ``limit`` rows."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = ", ..." if len(rows) > limit else ""
    word = "row" if len(rows) == 1 else "rows"
    return f"{word} {shown}{more}"
