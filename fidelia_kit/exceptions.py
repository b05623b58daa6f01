"""Exceptions raised by fidelia_kit.

Every error the kit raises on bad input is a subclass of a built-in exception, so
``except ValueError`` keeps working in user code.
"""
from __future__ import annotations

__all__ = ["DataError", "NotFittedError", "ConvergenceError"]


class DataError(ValueError):
    """A data file or table breaks a rule of its schema.

    The message names the file (or table), the column, what was expected and the
    first offending rows, e.g.
    ``transactions.csv: column 'amount' has 3 negative values (rows 17, 204, 981).``

    Examples
    --------
    >>> try:
    ...     raise DataError("customers.csv: column 'region' has 1 value(s) outside [...] (row 3): 'Mars'.")
    ... except ValueError as exc:  # a DataError is a ValueError
    ...     print(type(exc).__name__, str(exc)[:13])
    DataError customers.csv
    """


class NotFittedError(ValueError, AttributeError):
    """A model was asked for a prediction before ``fit`` was called.

    Both a ValueError and an AttributeError, as scikit-learn's: code that catches either
    keeps working.

    Examples
    --------
    >>> issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    True
    """


class ConvergenceError(RuntimeError):
    """An optimisation failed; ``result`` holds the optimiser's own report.

    Parameters
    ----------
    message : str
        What failed and what to try.
    result : object, optional
        The optimiser's result (e.g. ``scipy.optimize.OptimizeResult``).

    Examples
    --------
    >>> exc = ConvergenceError("BetaGeoModel: the optimiser stopped after 500 iterations.", {"nit": 500})
    >>> isinstance(exc, RuntimeError), exc.result["nit"]
    (True, 500)
    """

    def __init__(self, message: str, result: object = None) -> None:
        super().__init__(message)
        self.result = result
