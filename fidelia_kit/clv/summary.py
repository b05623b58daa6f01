"""From a transaction log to the BTYD summary: frequency, recency, T (and monetary value)."""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._deprecation import keyword_only_since
from .._groups import fits_int64, pack_keys, sorted_groups, unpack_keys
from .._validation import as_amounts, as_date, as_dates, check_frame, check_option

if TYPE_CHECKING:
    from .._typing import DateLike


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


def _exclusive_from_inclusive(func: str, old: str, new: str, old_value, new_value, *, stacklevel: int = 4):
    """The exclusive date ``new`` from its deprecated inclusive form ``old`` (the day before), with a warning."""
    if old_value is None:
        return new_value
    if new_value is not None:
        raise TypeError(f"{func}: pass `{new}` only (`{old}` is its deprecated, inclusive form).")
    day = as_date(old, old_value)
    warnings.warn(f"{func}: `{old}` (the last day of the period, included) is deprecated; use `{new}`, the first day "
                  f"after it: {new}='{(day + pd.Timedelta(days=1)).date()}' (the old name stops working in the next "
                  f"release).", DeprecationWarning, stacklevel=stacklevel)
    return day + pd.Timedelta(days=1)


def _day_number(ts: pd.Timestamp) -> int:
    return int(np.datetime64(ts.to_datetime64(), "D").astype(np.int64))


@keyword_only_since("customer_col", "date_col", "value_col", "observation_end", "calibration_end", "freq")
def summarize_transactions(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    as_of: DateLike | None = None,
    holdout_start: DateLike | None = None,
    freq: str = "W",
    observation_end: DateLike | None = None,
    calibration_end: DateLike | None = None,
) -> pd.DataFrame:
    """Summarise a transaction log per customer for the buy-till-you-die models.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase.
    customer_col, date_col : str, default="customer_id", "date"
        Column names of the customer id and the purchase date.
    value_col : str, optional
        Amount column; adds ``monetary_value``, the mean spend per repeat period.
    as_of : date-like, optional
        The first day not observed (exclusive): purchases on or after it are ignored, and
        ``T`` runs to the period of the day before it. Default: the day after the last
        transaction.
    holdout_start : date-like, optional
        Split the log at this day, the first day of the holdout period: the summary
        describes purchases before it, and ``frequency_holdout``,
        ``monetary_value_holdout`` and ``duration_holdout`` describe the holdout period from
        it up to ``as_of``.
    freq : {"D", "W", "M"}, default="W"
        The time unit: days, weeks (Monday to Sunday, as pandas' weekly periods) or
        calendar months.
    observation_end, calibration_end : date-like, optional
        Deprecated inclusive forms of ``as_of`` and ``holdout_start`` (the day before each);
        still accepted, with a DeprecationWarning, and converted (+1 day).

    Returns
    -------
    DataFrame
        Indexed by customer (sorted): ``frequency`` (repeat purchase periods: purchases
        in the same period count once, the first is not counted), ``recency`` (periods from
        the first to the last purchase), ``T`` (periods from the first purchase to the end),
        and ``monetary_value`` (mean of the per-period spend of the repeat periods, 0 when
        there are none). All floats.

    Raises
    ------
    ValueError
        A missing column, a bad date, a customer id missing, no purchase before ``as_of``
        (or ``holdout_start``), or ``holdout_start`` not before ``as_of``.
    TypeError
        Both a date and its deprecated form given.

    See Also
    --------
    BetaGeoModel.fit, GammaGammaModel.fit : the models this summary feeds.
    calibration_holdout_table : the holdout check built on ``holdout_start``.

    Notes
    -----
    With periods numbered :math:`0, 1, \\dots` by ``freq``, a customer's purchase periods
    :math:`p_1 < \\dots < p_{x+1}` and :math:`p_{end}` the period of the day before ``as_of``:

    .. math:: frequency = x, \\quad recency = p_{x+1} - p_1, \\quad T = p_{end} - p_1

    The definitions are those of lifetimes' ``summary_data_from_transaction_data`` and
    ``calibration_and_holdout_data`` (the numbers are identical for 'D' and 'W'; a test
    checks), including that ``monetary_value_holdout`` is the mean of the raw holdout
    transactions. For 'M', where lifetimes fails on current pandas, recency and T count
    whole calendar months between the months of the purchases. lifetimes' dates are
    inclusive (the last day observed, the last day of calibration); the kit's ``as_of``
    and ``holdout_start`` are the day after each.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
    way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "amount": [10.0, 5.0, 20.0, 8.0],
    ...                    "date": ["2024-01-01", "2024-01-03", "2024-01-22", "2024-01-10"]})
    >>> summarize_transactions(tx, value_col="amount", freq="W", as_of="2024-02-01")
                 frequency  recency    T  monetary_value
    customer_id
    1                  1.0      3.0  4.0            20.0
    2                  0.0      0.0  3.0             0.0
    """
    as_of = _exclusive_from_inclusive("summarize_transactions", "observation_end", "as_of", observation_end, as_of)
    holdout_start = _exclusive_from_inclusive("summarize_transactions", "calibration_end", "holdout_start",
                                              calibration_end, holdout_start)
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

    # inclusive day numbers inside: the last day observed and the last day of calibration
    end_day = int(day.max()) if as_of is None else _day_number(as_date("as_of", as_of)) - 1
    cal_day = None if holdout_start is None else _day_number(as_date("holdout_start", holdout_start)) - 1
    if cal_day is not None and cal_day >= end_day:
        raise ValueError(f"`holdout_start` ({np.datetime64(cal_day + 1, 'D')}) must be before `as_of` "
                         f"({np.datetime64(end_day + 1, 'D')}), so that the holdout period has at least one day.")
    last_day = end_day if cal_day is None else cal_day
    period = _period_index(day, freq)
    end_period = int(_period_index(np.array([last_day]), freq)[0])

    keep = (day <= last_day) & (period <= end_period)
    if not keep.any():
        raise ValueError(f"`transactions` has no purchases before {np.datetime64(last_day + 1, 'D')} "
                         f"(`{'holdout_start' if cal_day is not None else 'as_of'}`).")
    ids = cust.to_numpy()[keep] if not keep.all() else cust.to_numpy()
    p = period[keep] if not keep.all() else period
    span = int(p.max()) - int(p.min()) + 1
    if ids.dtype.kind in "iu" and len(ids) and ids.min() >= 0 and fits_int64(int(ids.max()) - int(ids.min()) + 1, span):
        code_of = None   # whole-number ids: they are their own codes (no factorising needed)
        codes = ids.astype(np.int64)
    else:
        codes, code_of = pd.factorize(pd.Series(ids), sort=True)
        codes = codes.astype(np.int64)
    key, layout = pack_keys(codes, p)
    periods = sorted_groups(key)            # one group per (customer, period), in (customer, period) order
    kc_raw, kp = unpack_keys(periods.keys, layout)
    customers = sorted_groups(kc_raw)       # the (customer, period) groups of each customer
    n = customers.n_groups
    uniques = customers.keys if code_of is None else np.asarray(code_of)[customers.keys]
    counts = customers.sizes
    first = customers.first(kp)
    last = customers.last(kp)
    frequency = counts - 1
    out = pd.DataFrame({
        "frequency": frequency.astype(float),
        "recency": (last - first).astype(float),
        "T": (end_period - first).astype(float),
    }, index=pd.Index(uniques, name=customer_col))
    if value_col:
        per_period = periods.sum(values[keep] if not keep.all() else values)
        is_first = np.zeros(len(per_period), dtype=bool)
        is_first[customers.starts] = True
        repeat_sum = customers.sum(np.where(is_first, 0.0, per_period))
        out["monetary_value"] = np.where(frequency > 0, repeat_sum / np.maximum(frequency, 1), 0.0)

    if cal_day is not None:
        hold = (day > cal_day) & (day <= end_day)
        h_cust = cust[hold]
        in_cal = h_cust.isin(out.index).to_numpy()
        hp = period[hold][in_cal]
        hc = pd.Index(out.index).get_indexer(h_cust[in_cal])
        if len(hp):
            hkey, hlayout = pack_keys(hc, hp)
            h_customer = unpack_keys(sorted_groups(hkey).keys, hlayout)[0]   # one entry per (customer, period)
        else:
            h_customer = np.zeros(0, dtype=np.int64)
        out["frequency_holdout"] = np.bincount(h_customer, minlength=n).astype(float)
        if value_col:
            hv = values[hold][in_cal]
            total = np.bincount(hc, weights=hv, minlength=n)
            cnt = np.bincount(hc, minlength=n)
            out["monetary_value_holdout"] = np.where(cnt > 0, total / np.maximum(cnt, 1), 0.0)
        end_p = int(_period_index(np.array([end_day]), freq)[0])
        out["duration_holdout"] = float(end_p - end_period)
    return out
