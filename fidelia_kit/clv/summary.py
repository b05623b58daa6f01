"""From a transaction log to the BTYD summary: frequency, recency, T (and monetary value)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import as_amounts, as_dates, check_frame, check_option

__all__ = ["summarize_transactions", "FREQ_DAYS", "PERIODS_PER_YEAR"]

#: Length of one period in days, for the period codes the kit accepts.
FREQ_DAYS = {"D": 1.0, "W": 7.0, "M": 365.2425 / 12}
#: Periods in a year, for turning yearly discount rates into per-period ones.
PERIODS_PER_YEAR = {"D": 365.2425, "W": 365.2425 / 7, "M": 12.0}
_MONDAY = 4  # 1970-01-05, a Monday, is day 4 of the epoch: pandas' weekly periods run Monday-Sunday


def _period_index(days: np.ndarray, freq: str) -> np.ndarray:
    """Integer period of each day (days since the epoch)."""
    if freq == "D":
        return days
    if freq == "W":
        return (days - _MONDAY) // 7
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months


def summarize_transactions(transactions: pd.DataFrame, customer_col: str = "customer_id", date_col: str = "date",
                           value_col: str | None = None, observation_end=None, calibration_end=None,
                           freq: str = "W") -> pd.DataFrame:
    """Summarise a transaction log per customer for the buy-till-you-die models.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase.
    customer_col, date_col : str
        Column names.
    value_col : str, optional
        Amount column; adds ``monetary_value``, the mean spend per repeat period.
    observation_end : date-like, optional
        Last day observed (default: the last transaction). Later purchases are ignored.
    calibration_end : date-like, optional
        Split the log: the summary describes purchases up to this day, and
        ``frequency_holdout``, ``monetary_value_holdout`` and ``duration_holdout`` describe
        the holdout period after it, up to ``observation_end``.
    freq : {"D", "W", "M"}, default="W"
        The time unit: days, weeks (Monday to Sunday, as pandas' weekly periods) or
        calendar months.

    Returns
    -------
    DataFrame
        Indexed by customer (sorted): ``frequency`` (repeat purchase periods: purchases
        in the same period count once, the first is not counted), ``recency`` (periods from
        the first to the last purchase), ``T`` (periods from the first purchase to the end),
        and ``monetary_value`` (mean of the per-period spend of the repeat periods, 0 when
        there are none). All floats.

    Notes
    -----
    The definitions are those of lifetimes' ``summary_data_from_transaction_data`` and
    ``calibration_and_holdout_data`` (the numbers are identical for 'D' and 'W'; a test
    checks), including that ``monetary_value_holdout`` is the mean of the raw holdout
    transactions. For 'M', where lifetimes fails on current pandas, recency and T count
    whole calendar months between the months of the purchases.
    """
    check_option("freq", freq, list(FREQ_DAYS))
    cols = [customer_col, date_col] + ([value_col] if value_col else [])
    check_frame("transactions", transactions, cols)
    dates = as_dates("transactions", date_col, transactions[date_col].reset_index(drop=True))
    cust = transactions[customer_col].reset_index(drop=True)
    if cust.isna().any():
        raise ValueError(f"`transactions`: column '{customer_col}' has {int(cust.isna().sum())} missing id(s).")
    values = (as_amounts("transactions", value_col, transactions[value_col].reset_index(drop=True)).to_numpy()
              if value_col else None)
    day = dates.to_numpy().astype("datetime64[D]").astype(np.int64)

    def to_day(x, name):
        ts = pd.Timestamp(x)
        if pd.isna(ts):
            raise ValueError(f"`{name}` must be a date; got {x!r}.")
        return int(np.datetime64(ts.normalize().to_datetime64(), "D").astype(np.int64))

    end_day = int(day.max()) if observation_end is None else to_day(observation_end, "observation_end")
    cal_day = None if calibration_end is None else to_day(calibration_end, "calibration_end")
    if cal_day is not None and cal_day >= end_day:
        raise ValueError(f"`calibration_end` ({pd.Timestamp(calibration_end).date()}) must be before the end of "
                         f"observation ({np.datetime64(end_day, 'D')}).")
    last_day = end_day if cal_day is None else cal_day
    period = _period_index(day, freq)
    end_period = int(_period_index(np.array([last_day]), freq)[0])

    keep = (day <= last_day) & (period <= end_period)
    if not keep.any():
        raise ValueError(f"`transactions` has no purchases on or before {np.datetime64(last_day, 'D')}.")
    codes, uniques = pd.factorize(cust[keep], sort=True)
    n = len(uniques)
    p = period[keep]
    span = int(p.max() - p.min() + 1)
    key = codes.astype(np.int64) * span + (p - p.min())
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    new = np.r_[True, key_sorted[1:] != key_sorted[:-1]]
    ukey = key_sorted[new]
    kc = ukey // span
    kp = ukey % span + p.min()
    counts = np.bincount(kc, minlength=n)
    ends = np.cumsum(counts)
    first = kp[ends - counts]
    last = kp[ends - 1]
    frequency = counts - 1
    out = pd.DataFrame({
        "frequency": frequency.astype(float),
        "recency": (last - first).astype(float),
        "T": (end_period - first).astype(float),
    }, index=pd.Index(uniques, name=customer_col))
    if value_col:
        v = values[keep][order]
        per_period = np.add.reduceat(v, np.flatnonzero(new))
        is_first = np.r_[True, kc[1:] != kc[:-1]]
        repeat_sum = np.bincount(kc, weights=np.where(is_first, 0.0, per_period), minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["monetary_value"] = np.where(frequency > 0, repeat_sum / np.maximum(frequency, 1), 0.0)

    if cal_day is not None:
        hold = (day > cal_day) & (day <= end_day)
        h_cust = cust[hold]
        in_cal = h_cust.isin(out.index).to_numpy()
        hp = period[hold][in_cal]
        hc = pd.Index(uniques).get_indexer(h_cust[in_cal])
        base = hp.min() if len(hp) else 0
        width = int(hp.max() - base + 1) if len(hp) else 1
        hkeys = np.sort(hc.astype(np.int64) * width + (hp - base))
        hkeys = hkeys[np.r_[True, hkeys[1:] != hkeys[:-1]]] if len(hkeys) else hkeys
        out["frequency_holdout"] = np.bincount(hkeys // width, minlength=n).astype(float)
        if value_col:
            hv = values[hold][in_cal]
            total = np.bincount(hc, weights=hv, minlength=n)
            cnt = np.bincount(hc, minlength=n)
            out["monetary_value_holdout"] = np.where(cnt > 0, total / np.maximum(cnt, 1), 0.0)
        end_p = int(_period_index(np.array([end_day]), freq)[0])
        out["duration_holdout"] = float(end_p - end_period)
    return out
