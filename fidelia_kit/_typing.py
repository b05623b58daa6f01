"""Type aliases shared by the public signatures of fidelia_kit.

Only cheap standard-library modules are imported when this module is
imported. pandas, numpy and matplotlib are needed to build the aliases, so
the aliases are built on first attribute access (module ``__getattr__``);
type checkers see the definitions in the ``TYPE_CHECKING`` block.

Every module of the kit uses ``from __future__ import annotations`` and
imports these names under ``if TYPE_CHECKING:``, so annotations stay strings
at runtime and ``import fidelia_kit`` imports no pandas or numpy::

    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        from fidelia_kit._typing import Axes, DateLike

``typing.get_type_hints`` resolves such annotations when given a namespace
that holds these aliases (``fidelia_kit._typing.namespace()``).
"""

from __future__ import annotations

import datetime
import os
from typing import TYPE_CHECKING, Any, TypeAlias

__all__ = ["ArrayLike", "Axes", "DateLike", "PathLike", "RNGLike", "namespace"]

if TYPE_CHECKING:
    import matplotlib.axes
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    #: A calendar day: an ISO string (``"2024-03-31"``), a ``datetime.date``,
    #: a ``pandas.Timestamp`` or a ``numpy.datetime64``.
    DateLike: TypeAlias = str | datetime.date | pd.Timestamp | np.datetime64
    #: A file-system path: a string or any ``os.PathLike[str]`` (``pathlib.Path``).
    PathLike: TypeAlias = str | os.PathLike[str]
    #: Anything numpy turns into an array: a list, a ``pandas.Series``, an array.
    ArrayLike: TypeAlias = npt.ArrayLike
    #: A random-number source: a seed, a ``numpy.random.Generator``, or ``None``
    #: for fresh entropy.
    RNGLike: TypeAlias = int | np.random.Generator | None
    #: The matplotlib axes a plot draws into.
    Axes: TypeAlias = matplotlib.axes.Axes


_cache: dict[str, Any] = {}


def _build(name: str) -> Any:
    if name == "PathLike":
        return str | os.PathLike[str]
    if name == "Axes":
        import matplotlib.axes

        return matplotlib.axes.Axes
    import numpy as np

    if name == "DateLike":
        import pandas as pd

        return str | datetime.date | pd.Timestamp | np.datetime64
    if name == "ArrayLike":
        import numpy.typing as npt

        return npt.ArrayLike
    if name == "RNGLike":
        return int | np.random.Generator | None
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __getattr__(name: str) -> Any:
    """Build a heavy alias on first access (imports numpy/pandas/matplotlib)."""
    if name not in _cache:
        _cache[name] = _build(name)
    return _cache[name]


def namespace() -> dict[str, Any]:
    """The names the kit's annotations use under ``TYPE_CHECKING``.

    Returns the aliases above plus ``pd``, ``np``, ``npt`` and
    ``matplotlib``, for ``typing.get_type_hints(obj, localns=namespace())``
    (add the kit classes a module imports under ``TYPE_CHECKING``).
    Imports pandas, numpy and matplotlib.
    """
    import matplotlib.axes
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    ns: dict[str, Any] = {"pd": pd, "np": np, "npt": npt, "matplotlib": matplotlib}
    for alias in ("ArrayLike", "Axes", "DateLike", "PathLike", "RNGLike"):
        ns[alias] = __getattr__(alias)
    return ns
