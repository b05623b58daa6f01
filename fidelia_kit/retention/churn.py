"""Early warning of churn: features before a cut-off, a label after it, and how well scores rank."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import (
    as_date,
    as_dates,
    check_frame,
    check_int,
)

__all__ = ["churn_dataset", "ChurnEvaluation", "evaluate_churn"]

# --- early warning of churn -------------------------------------------------------------------------------

def churn_dataset(transactions: pd.DataFrame, cutoff, horizon: int = 90, *, customer_col: str = "customer_id",
                  date_col: str = "date", value_col: str = "amount", complaints: pd.DataFrame | None = None,
                  min_tenure: int = 0) -> pd.DataFrame:
    """Features from before ``cutoff`` and a churn label from after it, one row per customer.

    Only transactions strictly before ``cutoff`` feed the features (and complaints dated
    before it); the label ``churned`` is 1 when the customer makes no purchase in the
    ``horizon`` days from ``cutoff`` on. Customers must have bought before the cutoff (and
    be at least ``min_tenure`` days old).

    Features: ``days_since_last``, ``tenure_days``, ``purchase_days``, ``purchases_90d``,
    ``purchases_prev_90d`` (days 90-180 before the cutoff), ``trend`` (recent minus
    previous quarter), ``spend_total``, ``spend_90d``, ``avg_basket``, ``mean_gap_days``
    (between purchase days), ``overdue`` (days since last / mean gap), and with
    transactions' ``channel``/``discount`` columns ``online_share`` and ``discount_share``;
    with complaints, ``complaints``.
    """
    check_frame("transactions", transactions, [customer_col, date_col, value_col])
    horizon = check_int("horizon", horizon, 1, 3650)
    cutoff = as_date("cutoff", cutoff)
    dates = as_dates("transactions", date_col, transactions[date_col].reset_index(drop=True))
    tx = transactions.reset_index(drop=True).assign(_d=dates)
    before = tx[tx["_d"] < cutoff]
    if before.empty:
        raise ValueError(f"no transactions before the cutoff {cutoff.date()}.")
    after = tx[(tx["_d"] >= cutoff) & (tx["_d"] < cutoff + pd.Timedelta(days=horizon))]
    g = before.groupby(customer_col)
    first, last = g["_d"].min(), g["_d"].max()
    days = before.drop_duplicates([customer_col, "_d"]).groupby(customer_col)["_d"]
    n_days = days.size()
    recent = before[before["_d"] >= cutoff - pd.Timedelta(days=90)]
    prev = before[(before["_d"] < cutoff - pd.Timedelta(days=90)) & (before["_d"] >= cutoff - pd.Timedelta(days=180))]
    out = pd.DataFrame({
        "days_since_last": (cutoff - last).dt.days,
        "tenure_days": (cutoff - first).dt.days,
        "purchase_days": n_days,
    })
    out["purchases_90d"] = recent.drop_duplicates([customer_col, "_d"]).groupby(customer_col).size().reindex(out.index).fillna(0)
    out["purchases_prev_90d"] = prev.drop_duplicates([customer_col, "_d"]).groupby(customer_col).size().reindex(out.index).fillna(0)
    out["trend"] = out["purchases_90d"] - out["purchases_prev_90d"]
    out["spend_total"] = g[value_col].sum()
    out["spend_90d"] = recent.groupby(customer_col)[value_col].sum().reindex(out.index).fillna(0.0)
    out["avg_basket"] = g[value_col].mean()
    gap = (last - first).dt.days / np.maximum(n_days - 1, 1)
    out["mean_gap_days"] = np.where(n_days > 1, gap, np.nan)
    out["mean_gap_days"] = out["mean_gap_days"].fillna(out["tenure_days"].clip(lower=1))
    out["overdue"] = out["days_since_last"] / out["mean_gap_days"].clip(lower=1)
    if "channel" in tx.columns:
        out["online_share"] = before.assign(_o=(before["channel"] != "store").astype(float)).groupby(customer_col)["_o"].mean()
    if "discount" in tx.columns:
        out["discount_share"] = before.assign(_o=(before["discount"] > 0).astype(float)).groupby(customer_col)["_o"].mean()
    if complaints is not None:
        check_frame("complaints", complaints, [customer_col, "date"])
        cd = pd.to_datetime(complaints["date"])
        out["complaints"] = complaints[cd < cutoff].groupby(customer_col).size().reindex(out.index).fillna(0)
    out = out[out["tenure_days"] >= min_tenure]
    out["churned"] = (~out.index.isin(after[customer_col].unique())).astype(int)
    out.attrs.update(cutoff=cutoff, horizon=horizon)
    return out


@dataclass
class ChurnEvaluation:
    """How well churn scores rank and how well they are calibrated."""

    auc: float
    brier: float
    lift: pd.DataFrame         # per decile (1 = highest scores): customers, churners, rate, lift, cumulative gains
    calibration: pd.DataFrame  # per bin: mean predicted, observed rate


def evaluate_churn(y_true, p_churn, *, n_bins: int = 10) -> ChurnEvaluation:
    """AUC, Brier score, a decile lift / cumulative-gains table and a calibration curve.

    Lift of a decile = its churn rate / the overall rate; cumulative gains = share of all
    churners found in the top deciles. Calibration: scikit-learn's ``calibration_curve``
    with quantile bins.
    """
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss, roc_auc_score

    y = np.asarray(y_true, dtype=float)
    p = np.asarray(p_churn, dtype=float)
    if len(y) != len(p):
        raise ValueError("`y_true` and `p_churn` must have the same length.")
    if not set(np.unique(y)) <= {0.0, 1.0}:
        raise ValueError("`y_true` must be 0/1.")
    if len(np.unique(y)) < 2:
        raise ValueError("`y_true` holds one class only; AUC needs churners and stayers.")
    if ((p < 0) | (p > 1)).any() or np.isnan(p).any():
        raise ValueError("`p_churn` must be probabilities in [0, 1].")
    n_bins = check_int("n_bins", n_bins, 2, 100)
    order = np.argsort(-p, kind="stable")
    decile = np.empty(len(p), dtype=int)
    decile[order] = np.arange(len(p)) * n_bins // len(p) + 1
    df = pd.DataFrame({"decile": decile, "y": y})
    lift = df.groupby("decile").agg(customers=("y", "size"), churners=("y", "sum"))
    lift["rate"] = lift["churners"] / lift["customers"]
    lift["lift"] = lift["rate"] / y.mean()
    lift["cumulative_gains"] = lift["churners"].cumsum() / y.sum()
    lift["cumulative_lift"] = (lift["churners"].cumsum() / lift["customers"].cumsum()) / y.mean()
    obs, pred = calibration_curve(y, p, n_bins=n_bins, strategy="quantile")
    return ChurnEvaluation(auc=float(roc_auc_score(y, p)), brier=float(brier_score_loss(y, p)), lift=lift,
                           calibration=pd.DataFrame({"mean_predicted": pred, "observed_rate": obs}))


