"""What every result object of the kit shares: frozen fields, a readable repr and ``to_frame()``."""
from __future__ import annotations

import dataclasses
import numbers
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Result"]


def _short(value) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value)}"
    if isinstance(value, numbers.Real):
        return f"{float(value):.4g}"
    if isinstance(value, tuple) and len(value) <= 4 and all(isinstance(v, numbers.Real) for v in value):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"<{type(value).__name__} {'x'.join(map(str, shape))}>"
    return f"<{type(value).__name__}>"


class Result:
    """Mixin for ``@dataclass(frozen=True)`` results: ``repr`` shows every field briefly.

    Subclasses define ``to_frame()`` (a tidy DataFrame of the result); the default puts the
    scalar fields in one row.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True, repr=False)
    ... class Fit(Result):
    ...     estimate: float
    ...     ci: tuple
    ...     method: str
    >>> Fit(0.123456, (0.1, 0.15), "wald")
    Fit(estimate=0.1235, ci=(0.1, 0.15), method='wald')
    >>> Fit(0.5, (0.4, 0.6), "wald").to_frame()
       estimate  ci_low  ci_high method
    0       0.5     0.4      0.6   wald
    """

    def __repr__(self) -> str:
        fields = ", ".join(f"{f.name}={_short(getattr(self, f.name))}" for f in dataclasses.fields(self))
        return f"{type(self).__name__}({fields})"

    def to_frame(self) -> pd.DataFrame:
        """The scalar fields in one row (an interval ``ci`` as ``ci_low``/``ci_high``)."""
        import pandas as pd

        row = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "ci" and isinstance(v, tuple) and len(v) == 2:
                row["ci_low"], row["ci_high"] = v
            elif isinstance(v, (numbers.Real, str, bool)) or v is None:
                row[f.name] = v
        return pd.DataFrame([row])
