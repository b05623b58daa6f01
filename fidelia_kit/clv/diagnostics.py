"""Model checks for the BTYD models: calibration vs holdout, the period-transaction histogram,
cumulative tracking, and the probability-alive and frequency-recency matrices."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._results import Result
from .._validation import as_date, check_frame, check_int
from .summary import FREQ_DAYS, _exclusive_from_inclusive, summarize_transactions

if TYPE_CHECKING:
    from .._typing import DateLike
    from ._base import BTYDModel


__all__ = ["calibration_holdout_table", "HoldoutError", "holdout_error", "period_transactions_table",
           "cumulative_tracking", "probability_alive_matrix", "frequency_recency_matrix"]


def calibration_holdout_table(model: BTYDModel, summary: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    """Mean holdout purchases, actual and predicted, by calibration frequency.

    Parameters
    ----------
    model : fitted BTYD model
        BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel, fitted on the calibration summary.
    summary : DataFrame
        From ``summarize_transactions(..., holdout_start=...)``: ``frequency, recency, T,
        frequency_holdout, duration_holdout``.
    max_frequency : int, default=7
        The last row pools customers with this many repeat purchases or more.

    Returns
    -------
    DataFrame
        Indexed by calibration ``frequency``: ``customers``, ``actual`` and ``predicted``
        (mean purchases in the holdout period).

    Raises
    ------
    ValueError
        A missing column or a bad ``max_frequency``.

    See Also
    --------
    fidelia_kit.plots.calibration_holdout_plot : draws it.

    Notes
    -----
    ``predicted`` is the mean of :math:`E[X_i(t_h) \\mid x_i, t_{x,i}, T_i]` with
    :math:`t_h` the holdout duration: a forecast of data the model did not see, the test of
    Fader, Hardie & Lee (2005, fig. 4).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
    way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> from fidelia_kit import generate_world
    >>> from fidelia_kit.clv import BetaGeoModel, summarize_transactions
    >>> tx = generate_world(n_customers=500, seed=1).tables["transactions"]
    >>> cal = summarize_transactions(tx, holdout_start="2025-07-01")
    >>> bg = BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])
    >>> calibration_holdout_table(bg, cal).columns.tolist()
    ['customers', 'actual', 'predicted']
    """
    check_frame("summary", summary, ["frequency", "recency", "T", "frequency_holdout", "duration_holdout"])
    max_frequency = check_int("max_frequency", max_frequency, 1, 1000)
    pred = model.expected_purchases(summary["duration_holdout"].to_numpy(float), summary["frequency"],
                                    summary["recency"], summary["T"])
    group = np.minimum(summary["frequency"].to_numpy(int), max_frequency)
    df = pd.DataFrame({"frequency": group, "actual": summary["frequency_holdout"].to_numpy(float), "predicted": pred})
    out = df.groupby("frequency").agg(customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean"))
    return out


@dataclass(frozen=True, repr=False)
class HoldoutError(Result):
    """How far a BTYD model's holdout forecast is from what customers did (see :func:`holdout_error`).

    Attributes
    ----------
    customers : int
        Customers in the calibration summary.
    actual_total, predicted_total : float
        Repeat purchases made in the holdout period, and those the model forecast.
    relative_error : float
        ``predicted_total / actual_total - 1`` (NaN when no one bought in the holdout).
    group_mae : float
        Mean absolute error of the mean forecast of each calibration-frequency group
        (:func:`calibration_holdout_table`), each group weighted by its customers:
        purchases per customer.
    group_mae_unweighted : float
        The same with every group weighted equally, whatever its size (what the plot's
        eye averages; a small group of frequent buyers counts as much as a large one).
    customer_mae : float
        Mean over customers of ``|actual_i - predicted_i|``: how far one customer's forecast
        is from what that customer did, mostly chance (purchases are random even when the
        model is right).

    Examples
    --------
    >>> e = HoldoutError(10, 12.0, 11.0, -1 / 12, 0.2, 0.3, 0.9)
    >>> e
    HoldoutError(customers=10, actual_total=12, predicted_total=11, relative_error=-0.08333, group_mae=0.2, group_mae_unweighted=0.3, customer_mae=0.9)
    """

    customers: int
    actual_total: float
    predicted_total: float
    relative_error: float
    group_mae: float
    group_mae_unweighted: float
    customer_mae: float


def holdout_error(model: BTYDModel, summary: pd.DataFrame, *, max_frequency: int = 7) -> HoldoutError:
    """The holdout forecast's error, in total, by frequency group (per customer) and per customer.

    Parameters
    ----------
    model : fitted BTYD model
        BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel, fitted on the calibration summary.
    summary : DataFrame
        From ``summarize_transactions(..., holdout_start=...)``: ``frequency, recency, T,
        frequency_holdout, duration_holdout``.
    max_frequency : int, default=7
        The last group pools customers with this many repeat purchases or more, as in
        :func:`calibration_holdout_table`.

    Returns
    -------
    HoldoutError
        Totals, their relative error, the customer-weighted and the unweighted mean absolute
        error of the group means, and the mean absolute error per customer.

    Raises
    ------
    ValueError
        A missing column or a bad ``max_frequency``.

    See Also
    --------
    calibration_holdout_table : the group means this summarises.

    Notes
    -----
    With groups :math:`g` of :math:`n_g` customers, mean holdout purchases :math:`\\bar x_g`
    and mean forecast :math:`\\bar p_g`:

    .. math:: \\text{group MAE} = \\frac{\\sum_g n_g \\lvert \\bar x_g - \\bar p_g \\rvert}{\\sum_g n_g},
              \\qquad \\text{customer MAE} = \\frac{1}{N} \\sum_i \\lvert x_i - p_i \\rvert

    The group MAE measures bias (does the model forecast each kind of customer right on
    average?); the customer MAE adds the chance in each customer's purchases, which no model
    removes. The unweighted mean over groups, the plot's reading, is not a per-customer figure.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
    way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> from fidelia_kit import generate_world
    >>> from fidelia_kit.clv import BetaGeoModel, summarize_transactions
    >>> tx = generate_world(n_customers=500, seed=1).tables["transactions"]
    >>> cal = summarize_transactions(tx, holdout_start="2025-07-01")
    >>> bg = BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])
    >>> e = holdout_error(bg, cal)
    >>> bool(e.group_mae <= e.customer_mae), e.customers == len(cal)
    (True, True)
    """
    table = calibration_holdout_table(model, summary, max_frequency=max_frequency)
    pred = model.expected_purchases(summary["duration_holdout"].to_numpy(float), summary["frequency"],
                                    summary["recency"], summary["T"])
    actual = summary["frequency_holdout"].to_numpy(float)
    gap = (table["actual"] - table["predicted"]).abs()
    total = float(actual.sum())
    return HoldoutError(
        customers=int(len(summary)), actual_total=total, predicted_total=float(np.sum(pred)),
        relative_error=float(np.sum(pred) / total - 1) if total > 0 else float("nan"),
        group_mae=float(np.average(gap, weights=table["customers"])),
        group_mae_unweighted=float(gap.mean()),
        customer_mae=float(np.mean(np.abs(actual - pred))))


def period_transactions_table(model: BTYDModel, summary: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    """Customers by number of repeat purchases in their own observation time T: observed vs expected.

    Parameters
    ----------
    model : fitted BTYD model
        With ``probability_of_n_purchases(t, n)``.
    summary : DataFrame
        ``frequency`` and ``T`` per customer, as the model was fitted on.
    max_frequency : int, default=7
        The last row pools this many repeat purchases and more.

    Returns
    -------
    DataFrame
        Indexed by "repeat purchases" ("0", "1", ..., "7+"): ``observed`` and ``expected``
        numbers of customers.

    Raises
    ------
    ValueError
        A missing column or a bad ``max_frequency``.

    See Also
    --------
    fidelia_kit.plots.period_transactions_plot : draws it.

    Notes
    -----
    .. math:: expected_n = \\sum_i P(X(T_i) = n)

    an in-sample check: it shows the model can describe the data it was fitted on.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
    way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> from fidelia_kit.clv import BetaGeoModel
    >>> s = pd.DataFrame({"frequency": [0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 0, 1, 3, 10],
    ...                   "recency": [0, 0, 0, 5, 30, 12, 35, 20, 38, 25, 39, 36, 0, 2, 8, 39.0],
    ...                   "T": [40, 38, 30, 40, 39, 40, 38, 40, 40, 39, 40, 40, 20, 35, 30, 40.0]})
    >>> bg = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    >>> t = period_transactions_table(bg, s, max_frequency=3)
    >>> t["observed"].tolist(), bool(abs(t["expected"].sum() - 16) < 1e-9)
    ([4, 3, 2, 7], True)
    """
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


def cumulative_tracking(
    model: BTYDModel,
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    freq: str = "W",
    holdout_start: DateLike | None = None,
    calibration_end: DateLike | None = None,
) -> pd.DataFrame:
    """Cumulative repeat purchases over calendar time: actual vs the model's expectation.

    Parameters
    ----------
    model : fitted BTYD model
        With ``expected_purchases_new(t)``, fitted in periods of ``freq`` (on data before
        ``holdout_start``: the curve after it is then a forecast).
    transactions : DataFrame
        One row per purchase.
    customer_col, date_col : str, default="customer_id", "date"
        Columns of the customer id and the purchase date.
    freq : {"D", "W", "M"}, default="W"
        The model's time unit and the step of the curve.
    holdout_start : date-like, optional
        The first day of the holdout period; adds a column ``period`` ("calibration" up to
        it, "holdout" after it).
    calibration_end : date-like, optional
        Deprecated inclusive form of ``holdout_start`` (the day before it).

    Returns
    -------
    DataFrame
        One row per step: ``date`` (counts purchases before it), ``actual``, ``expected``
        (and ``period``).

    Raises
    ------
    ValueError
        A missing column or a bad option.

    See Also
    --------
    fidelia_kit.plots.cumulative_tracking_plot : draws it.

    Notes
    -----
    Repeat purchases are counted as in the summary (purchases in one period count once).

    .. math:: expected(t) = \\sum_i E[X(t - t_{0,i})], \\quad t > t_{0,i}

    with :math:`t_{0,i}` the customer's first purchase.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
    way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> from fidelia_kit.clv import BetaGeoModel
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 2, 2, 3, 3, 4, 5, 5],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-02-05", "2024-01-08", "2024-01-29", "2024-03-04",
    ...                                            "2024-01-15", "2024-03-18", "2024-02-12", "2024-01-22", "2024-02-26"])})
    >>> bg = BetaGeoModel().fit([0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 0, 1, 3, 10],     # weekly, on other data
    ...                         [0, 0, 0, 5, 30, 12, 35, 20, 38, 25, 39, 36, 0, 2, 8, 39],
    ...                         [40, 38, 30, 40, 39, 40, 38, 40, 40, 39, 40, 40, 20, 35, 30, 40])
    >>> track = cumulative_tracking(bg, tx, holdout_start="2024-03-01")
    >>> int(track["actual"].iloc[-1]), track["period"].iloc[-1]
    (5, 'holdout')
    """
    holdout_start = _exclusive_from_inclusive("cumulative_tracking", "calibration_end", "holdout_start",
                                              calibration_end, holdout_start, stacklevel=3)
    check_frame("transactions", transactions, [customer_col, date_col])
    full = summarize_transactions(transactions, customer_col=customer_col, date_col=date_col, freq=freq)
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
            s = summarize_transactions(part, customer_col=customer_col, date_col="_d", freq=freq)
            actual.append(float(s["frequency"].sum()))
        age = (g - start) / step - first_t
        age = age[age > 0]
        expected.append(float(np.sum(model.expected_purchases_new(age))) if len(age) else 0.0)
    out = pd.DataFrame({"date": grid, "actual": actual, "expected": expected})
    if holdout_start is not None:
        out["period"] = np.where(out["date"] <= as_date("holdout_start", holdout_start), "calibration", "holdout")
    return out


def probability_alive_matrix(model: BTYDModel, *, max_frequency: int = 20, T: float | None = None) -> pd.DataFrame:
    """P(alive) for every frequency (rows) and recency (columns) at age T.

    Parameters
    ----------
    model : fitted BTYD model
        With ``probability_alive(frequency, recency, T)``.
    max_frequency : int, default=20
        Rows 0 .. max_frequency.
    T : float, optional
        The customers' age, in the model's periods (default 52: a year of weeks). Columns
        are the recencies 0 .. T.

    Returns
    -------
    DataFrame
        ``frequency`` x ``recency``; the row of frequency 0 has a value at recency 0 only.

    Raises
    ------
    ValueError
        A bad ``max_frequency``.

    See Also
    --------
    fidelia_kit.plots.btyd_matrix_plot : draws it.

    Notes
    -----
    For BG/NBD, :math:`P(alive) = 1 / (1 + \\frac{a}{b + x - 1}
    (\\frac{\\alpha + T}{\\alpha + t_x})^{r + x})` for x > 0 (Fader, Hardie & Lee 2005):
    a customer who bought often and has been silent long is likely gone.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
    way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> from fidelia_kit.clv import BetaGeoModel
    >>> s = pd.DataFrame({"frequency": [0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 0, 1, 3, 10],
    ...                   "recency": [0, 0, 0, 5, 30, 12, 35, 20, 38, 25, 39, 36, 0, 2, 8, 39.0],
    ...                   "T": [40, 38, 30, 40, 39, 40, 38, 40, 40, 39, 40, 40, 20, 35, 30, 40.0]})
    >>> bg = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    >>> pa = probability_alive_matrix(bg, max_frequency=3, T=10)
    >>> pa.shape, bool(pa.loc[3, 10.0] > pa.loc[3, 1.0])
    ((4, 11), True)
    """
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


def frequency_recency_matrix(
    model: BTYDModel,
    t: float = 1.0,
    *,
    max_frequency: int = 20,
    T: float | None = None,
) -> pd.DataFrame:
    """Expected purchases in the next ``t`` periods for every frequency (rows) and recency (columns).

    Parameters
    ----------
    model : fitted BTYD model
        With ``expected_purchases(t, frequency, recency, T)``.
    t : float, default=1.0
        How far ahead, in the model's periods.
    max_frequency : int, default=20
        Rows 0 .. max_frequency.
    T : float, optional
        The customers' age (default 52); columns are the recencies 0 .. T.

    Returns
    -------
    DataFrame
        ``frequency`` x ``recency``; the row of frequency 0 has a value at recency 0 only.

    Raises
    ------
    ValueError
        A bad ``max_frequency``.

    See Also
    --------
    probability_alive_matrix, fidelia_kit.plots.btyd_matrix_plot

    Notes
    -----
    Each cell is :math:`E[X(T, T + t] \\mid x, t_x, T]`, the conditional expectation of
    Fader, Hardie & Lee (2005, eq. 10).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
    way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> from fidelia_kit.clv import BetaGeoModel
    >>> s = pd.DataFrame({"frequency": [0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 0, 1, 3, 10],
    ...                   "recency": [0, 0, 0, 5, 30, 12, 35, 20, 38, 25, 39, 36, 0, 2, 8, 39.0],
    ...                   "T": [40, 38, 30, 40, 39, 40, 38, 40, 40, 39, 40, 40, 20, 35, 30, 40.0]})
    >>> bg = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    >>> fr = frequency_recency_matrix(bg, 4, max_frequency=3, T=10)
    >>> bool(fr.loc[3, 10.0] > fr.loc[1, 10.0])
    True
    """
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
