"""Service recovery: how the handling of a complaint changes whether the customer stays."""
from __future__ import annotations

import pandas as pd

from .._validation import (
    check_frame,
)

__all__ = ["service_recovery"]

# --- member-get-member and service recovery ------------------------------------------------------------

def service_recovery(complaints: pd.DataFrame, *, predictors=("resolved_front_line", "days_to_resolve", "n_handoffs",
                                                             "compensation"), outcome: str = "stayed_180d"):
    """Which parts of complaint handling keep customers: a logistic regression of staying.

    Complaints without a known outcome (too recent) are left out. Severity enters as dummies
    (severity 1 is the baseline). Returns the fitted statsmodels result; its odds ratios
    (``np.exp(result.params)``) say how each handling feature changes the odds of staying.
    """
    from .. import _sm as sm

    predictors = list(predictors)
    check_frame("complaints", complaints, predictors + [outcome, "severity"])
    df = complaints.dropna(subset=[outcome])
    if df.empty:
        raise ValueError(f"no complaint has a known '{outcome}'.")
    X = df[predictors].astype(float)
    for level in sorted(df["severity"].unique())[1:]:
        X[f"severity_{level}"] = (df["severity"] == level).astype(float)
    y = df[outcome].astype(float)
    return sm.Logit(y, sm.add_constant(X)).fit(disp=False)
