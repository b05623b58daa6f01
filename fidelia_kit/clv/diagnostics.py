"""Model checks for the BTYD models: calibration vs holdout, the period-transaction histogram,
cumulative tracking, and the probability-alive and frequency-recency matrices."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_frame, check_int
from .summary import FREQ_DAYS, summarize_transactions

__all__ = ["calibration_holdout_table", "period_transactions_table", "cumulative_tracking",
           "probability_alive_matrix", "frequency_recency_matrix"]


def calibration_holdout_table(model, summary: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    """Mean holdout purchases, actual and predicted, by calibration frequency (the last row
    pools ``max_frequency`` and more). ``summary`` comes from ``summarize_transactions(...,
    calibration_end=...)``."""
    check_frame("summary", summary, ["frequency", "recency", "T", "frequency_holdout", "duration_holdout"])
    max_frequency = check_int("max_frequency", max_frequency, 1, 1000)
    pred = model.expected_purchases(summary["duration_holdout"].to_numpy(float), summary["frequency"],
                                    summary["recency"], summary["T"])
    group = np.minimum(summary["frequency"].to_numpy(int), max_frequency)
    df = pd.DataFrame({"frequency": group, "actual": summary["frequency_holdout"].to_numpy(float), "predicted": pred})
    out = df.groupby("frequency").agg(customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean"))
    return out


def period_transactions_table(model, summary: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    """Customers by number of repeat purchases in their own observation time T: observed vs
    expected (sum over customers of P(X(T_i) = n); the last row pools ``max_frequency`` and more)."""
    check_frame("summary", summary, ["frequency", "T"])
    max_frequency = check_int("max_frequency", max_frequency, 1, 1000)
    obs = np.bincount(np.minimum(summary["frequency"].to_numpy(int), max_frequency), minlength=max_frequency + 1)
    Ts = summary["T"].value_counts()
    expected = np.zeros(max_frequency + 1)
    ns = np.arange(max_frequency)
    for t, count in Ts.items():
        p = np.asarray(model.probability_of_n_purchases(t, ns), dtype=float)
        expected[:max_frequency] += count * p
        expected[max_frequency] += count * (1 - p.sum())
    return pd.DataFrame({"observed": obs, "expected": expected},
                        index=pd.Index([str(i) for i in range(max_frequency)] + [f"{max_frequency}+"], name="repeat purchases"))


def cumulative_tracking(model, transactions: pd.DataFrame, *, customer_col: str = "customer_id", date_col: str = "date",
                        freq: str = "W", calibration_end=None) -> pd.DataFrame:
    """Cumulative repeat purchases over calendar time: actual vs the model's expectation.

    Repeat purchases are counted as in the summary (purchases in one period count once).
    The expectation sums E[X(t - t0_i)] over customers with first purchase t0_i. The model
    should have been fitted on data up to ``calibration_end``: the curve after it is a forecast.
    """
    check_frame("transactions", transactions, [customer_col, date_col])
    full = summarize_transactions(transactions, customer_col, date_col, freq=freq)
    dates = pd.to_datetime(transactions[date_col])
    start = dates.min()
    step = pd.Timedelta(days=FREQ_DAYS[freq])
    grid = pd.date_range(start + step, dates.max() + step, freq=step)
    first = transactions.assign(_d=dates).groupby(customer_col)["_d"].min().reindex(full.index)
    first_t = ((first - start) / step).to_numpy(float)
    actual = []
    expected = []
    tx = transactions.assign(_d=dates)
    for g in grid:
        part = tx[tx["_d"] < g]
        if part.empty:
            actual.append(0.0)
        else:
            s = summarize_transactions(part, customer_col, "_d", freq=freq)
            actual.append(float(s["frequency"].sum()))
        age = (g - start) / step - first_t
        age = age[age > 0]
        expected.append(float(np.sum(model.expected_purchases_new(age))) if len(age) else 0.0)
    out = pd.DataFrame({"date": grid, "actual": actual, "expected": expected})
    if calibration_end is not None:
        out["period"] = np.where(out["date"] <= pd.Timestamp(calibration_end), "calibration", "holdout")
    return out


def probability_alive_matrix(model, *, max_frequency: int = 20, T: float | None = None) -> pd.DataFrame:
    """P(alive) for every frequency (rows) and recency (columns) at age T (default: max recency)."""
    max_frequency = check_int("max_frequency", max_frequency, 1, 1000)
    T = float(T if T is not None else 52)
    rec = np.arange(0, int(T) + 1, dtype=float)
    rows = {}
    for f in range(max_frequency + 1):
        r = rec if f > 0 else np.zeros(1)
        p = model.probability_alive(np.full(len(r), f), r, np.full(len(r), T))
        rows[f] = pd.Series(p, index=r) if f > 0 else pd.Series(np.where(rec == 0, p[0], np.nan), index=rec)
    out = pd.DataFrame(rows).T
    out.index.name, out.columns.name = "frequency", "recency"
    return out


def frequency_recency_matrix(model, t: float = 1.0, *, max_frequency: int = 20, T: float | None = None) -> pd.DataFrame:
    """Expected purchases in the next ``t`` periods for every frequency (rows) and recency (columns)."""
    max_frequency = check_int("max_frequency", max_frequency, 1, 1000)
    T = float(T if T is not None else 52)
    rec = np.arange(0, int(T) + 1, dtype=float)
    rows = {}
    for f in range(max_frequency + 1):
        if f == 0:
            v = model.expected_purchases(t, np.zeros(1), np.zeros(1), np.full(1, T))
            rows[f] = pd.Series(np.where(rec == 0, v[0], np.nan), index=rec)
        else:
            rows[f] = pd.Series(model.expected_purchases(t, np.full(len(rec), f), rec, np.full(len(rec), T)), index=rec)
    out = pd.DataFrame(rows).T
    out.index.name, out.columns.name = "frequency", "recency"
    return out
