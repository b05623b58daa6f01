"""The statsmodels classes the kit fits, imported from their own modules (private).

``import statsmodels.api`` imports all of statsmodels (about 0.7 s); the functions that fit
a model write ``from . import _sm as sm`` and pay only for what they use. The names are
the very objects ``statsmodels.api`` exports, so results are the same.
"""
from __future__ import annotations

from statsmodels.discrete.discrete_model import Logit
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

__all__ = ["Logit", "OLS", "PHReg", "add_constant"]
