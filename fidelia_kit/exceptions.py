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
    """


class NotFittedError(ValueError, AttributeError):
    """A model was asked for a prediction before ``fit`` was called."""


class ConvergenceError(RuntimeError):
    """An optimisation failed; ``result`` holds the optimiser's own report."""

    def __init__(self, message: str, result: object = None):
        super().__init__(message)
        self.result = result
