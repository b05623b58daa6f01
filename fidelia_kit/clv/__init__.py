"""fidelia_kit.clv — customer lifetime value: the future profitability of each customer.

Probabilistic buy-till-you-die models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB), the
Gamma-Gamma spend model and the sBG contractual model, fitted by maximum likelihood with
standard errors from the Hessian; CLV from them, with bootstrap intervals; and diagnostics.
"""
from __future__ import annotations

from .bgbb import BetaGeoBetaBinomModel
from .bgnbd import BetaGeoModel, ModifiedBetaGeoModel
from .diagnostics import (
                          HoldoutError,
                          calibration_holdout_table,
                          cumulative_tracking,
                          frequency_recency_matrix,
                          holdout_error,
                          period_transactions_table,
                          probability_alive_matrix,
)
from .gammagamma import GammaGammaModel, IndependenceCheck
from .paretonbd import ParetoNBDModel
from .sbg import ShiftedBetaGeoModel, membership_durations, observed_renewal_rates
from .summary import FREQ_DAYS, PERIODS_PER_YEAR, summarize_transactions
from .value import (
                          BootstrapCLV,
                          CustomerValue,
                          bootstrap,
                          customer_lifetime_value,
                          customer_value,
                          historical_value,
                          retention_clv,
)

__all__ = [
    "summarize_transactions",
    "FREQ_DAYS",
    "PERIODS_PER_YEAR",
    "BetaGeoModel",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "BetaGeoBetaBinomModel",
    "GammaGammaModel",
    "ShiftedBetaGeoModel",
    "membership_durations",
    "observed_renewal_rates",
    "IndependenceCheck",
    "BootstrapCLV",
    "customer_value",
    "CustomerValue",
    "customer_lifetime_value",
    "historical_value",
    "retention_clv",
    "bootstrap",
    "calibration_holdout_table",
    "holdout_error",
    "HoldoutError",
    "period_transactions_table",
    "cumulative_tracking",
    "probability_alive_matrix",
    "frequency_recency_matrix",
]
