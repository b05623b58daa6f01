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
_NS_PER_DAY = 86_400_000_000_000
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
    raw_dates = transactions[date_col]
    if raw_dates.dtype == "datetime64[ns]" and not raw_dates.isna().any():
        day = raw_dates.to_numpy().view(np.int64) // _NS_PER_DAY   # fast path: whole days since the epoch
    else:
        dates = as_dates("transactions", date_col, raw_dates.reset_index(drop=True))
        day = dates.to_numpy().view(np.int64) // _NS_PER_DAY
    cust = transactions[customer_col].reset_index(drop=True)
    if cust.isna().any():
        raise ValueError(f"`transactions`: column '{customer_col}' has {int(cust.isna().sum())} missing id(s).")
    values = (as_amounts("transactions", value_col, transactions[value_col].reset_index(drop=True)).to_numpy()
              if value_col else None)

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
    ids = cust.to_numpy()[keep] if not keep.all() else cust.to_numpy()
    p = period[keep] if not keep.all() else period
    pmin = int(p.min())
    span = int(p.max()) - pmin + 1
    if ids.dtype.kind in "iu" and len(ids) and ids.min() >= 0 and (int(ids.max()) + 1) * span < 2**62:
        code_of = None   # whole-number ids: they are their own codes (no factorising needed)
        codes = ids.astype(np.int64)
    else:
        codes, code_of = pd.factorize(pd.Series(ids), sort=True)
        codes = codes.astype(np.int64)
    key = codes * span + (p - pmin)
    order = np.argsort(key)              # grouping only: the order inside a (customer, period) does not matter
    key_sorted = key[order]
    new = np.r_[True, key_sorted[1:] != key_sorted[:-1]]
    ukey = key_sorted[new]
    kc_raw = ukey // span
    kp = ukey % span + pmin
    cust_start = np.r_[True, kc_raw[1:] != kc_raw[:-1]]
    kc = np.cumsum(cust_start) - 1       # 0..n-1 per customer, in id order
    n = int(kc[-1]) + 1
    uniques = kc_raw[cust_start] if code_of is None else np.asarray(code_of)[kc_raw[cust_start]]
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
        v = (values[keep] if not keep.all() else values)[order]
        per_period = np.add.reduceat(v, np.flatnonzero(new))
        repeat_sum = np.bincount(kc, weights=np.where(cust_start, 0.0, per_period), minlength=n)
        out["monetary_value"] = np.where(frequency > 0, repeat_sum / np.maximum(frequency, 1), 0.0)

    if cal_day is not None:
        hold = (day > cal_day) & (day <= end_day)
        h_cust = cust[hold]
        in_cal = h_cust.isin(out.index).to_numpy()
        hp = period[hold][in_cal]
        hc = pd.Index(out.index).get_indexer(h_cust[in_cal])
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
