"""Customer lifetime value: model-based, historical, the textbook formula, and bootstrap intervals."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._deprecation import keyword_only_since, renamed
from .._estimator import clone
from .._results import Result
from .._validation import (
    DEFAULT_RNG,
    as_amounts,
    as_date,
    as_dates,
    as_rng,
    check_ci,
    check_frame,
    check_int,
    check_number,
    check_option,
    seed_from,
)
from .bgbb import BetaGeoBetaBinomModel
from .gammagamma import GammaGammaModel
from .summary import PERIODS_PER_YEAR

if TYPE_CHECKING:
    from .._typing import ArrayLike, DateLike, RNGLike
    from ._base import BTYDModel


__all__ = ["customer_value", "CustomerValue", "customer_lifetime_value", "historical_value", "retention_clv", "bootstrap",
           "BootstrapCLV"]


def _clv_inputs(transaction_model, spend_model, summary):
    if isinstance(transaction_model, BetaGeoBetaBinomModel) or not hasattr(transaction_model, "expected_purchases"):
        raise TypeError("`transaction_model` must be a fitted BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel.")
    if not isinstance(spend_model, GammaGammaModel):
        raise TypeError("`spend_model` must be a fitted GammaGammaModel.")
    transaction_model._check_fitted()
    spend_model._check_fitted()
    check_frame("summary", summary, ["frequency", "recency", "T", "monetary_value"])


def _warn_if_horizon_looks_like_weeks(horizon: float, freq: str) -> None:
    """A horizon of a few dozen *days* is rarely meant: 52 with freq="D" is 52 days, not a year."""
    if freq == "D" and horizon < 60:
        warnings.warn(f"customer_lifetime_value: horizon={horizon:g} counts periods of freq='D', i.e. {horizon:g} days "
                      f"({horizon / 7:.1f} weeks); for one year pass horizon=365.", UserWarning, stacklevel=3)


@keyword_only_since("horizon", "discount_rate", n_positional=3)
def customer_lifetime_value(
    transaction_model: BTYDModel,
    spend_model: GammaGammaModel,
    summary: pd.DataFrame,
    *,
    horizon: float,
    discount_rate: float = 0.10,
    margin: float = 1.0,
    freq: str = "W",
    step: float = 1.0,
) -> pd.Series:
    """Discounted expected profit of each customer over the next ``horizon`` periods of ``freq``.

    Parameters
    ----------
    transaction_model : fitted BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        Predicts each customer's purchases.
    spend_model : fitted GammaGammaModel
        Predicts each customer's spend per purchase.
    summary : DataFrame
        ``frequency, recency, T, monetary_value`` per customer, in periods of ``freq``
        (as :func:`summarize_transactions` makes it).
    horizon : float
        How far ahead, **in periods of freq**: 52 with freq="W" or 365 with freq="D" for
        one year. A horizon under 60 with freq="D" warns (52 days is rarely meant).
    discount_rate : float, default=0.10
        Yearly discount rate (0.10 = 10% a year), turned into a per-period factor with
        the number of periods in a year of ``freq``.
    margin : float, default=1.0
        Share of spend that is profit (gross margin rate).
    freq : {"D", "W", "M"}, default="W"
        The time unit of ``summary`` and ``horizon``.
    step : float, default=1.0
        Length, in periods, of the steps over which purchases are discounted.

    Returns
    -------
    Series
        ``clv`` per customer (in the currency of ``monetary_value``), indexed like ``summary``.

    Raises
    ------
    TypeError
        The models are not of the expected kinds.
    NotFittedError
        A model is not fitted.
    ValueError
        A missing column of ``summary`` or an option out of range.

    See Also
    --------
    customer_value : the kit's one figure of customer value (daily, horizon in days, margin per customer).
    bootstrap : intervals for this CLV.

    Notes
    -----
    .. math:: CLV_i = m \\sum_{k=1}^{K} \\frac{E[X_i(t_k)] - E[X_i(t_{k-1})]}{(1 + d)^{t_k / P}} E[z_i]

    with E[X_i(t)] the expected purchases in the next t periods given the customer's
    history, E[z_i] the Gamma-Gamma expected spend, t_k = k step, K = horizon / step and P
    the periods per year (:data:`PERIODS_PER_YEAR`).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves for
    customer base analysis. Journal of Marketing Research 42(4), 415-430.

    Examples
    --------
    >>> from fidelia_kit.clv import BetaGeoModel, GammaGammaModel
    >>> s = pd.DataFrame({"frequency": [0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 0, 1, 3, 10],
    ...                   "recency": [0, 0, 0, 5, 30, 12, 35, 20, 38, 25, 39, 36, 0, 2, 8, 39.0],
    ...                   "T": [40, 38, 30, 40, 39, 40, 38, 40, 40, 39, 40, 40, 20, 35, 30, 40.0],
    ...                   "monetary_value": [0, 0, 0, 12, 60, 18, 95, 22, 31, 140, 28, 45, 0, 8, 50, 24.0]})
    >>> bg = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    >>> rep = s[s["frequency"] > 0]
    >>> gg = GammaGammaModel().fit(rep["frequency"], rep["monetary_value"])
    >>> clv = customer_lifetime_value(bg, gg, s, horizon=52, discount_rate=0.1, margin=0.3)
    >>> bool((clv > 0).all()), clv.name
    (True, 'clv')
    """
    _clv_inputs(transaction_model, spend_model, summary)
    check_option("freq", freq, list(PERIODS_PER_YEAR))
    horizon = check_number("horizon", horizon, 1e-9, 1e6)
    _warn_if_horizon_looks_like_weeks(horizon, freq)
    d = check_number("discount_rate", discount_rate, 0.0, 10.0)
    margin = check_number("margin", margin, 0.0, 1.0)
    step = check_number("step", step, 1e-6, horizon)
    x, tx, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    spend = spend_model.expected_spend(x, summary["monetary_value"].to_numpy(float))
    n_steps = int(np.ceil(horizon / step - 1e-9))
    times = np.minimum(np.arange(1, n_steps + 1) * step, horizon)
    value = np.zeros(len(x))
    previous = np.zeros(len(x))
    for t in times:
        cum = transaction_model.expected_purchases(t, x, tx, T)
        value += (cum - previous) / (1 + d) ** (t / PERIODS_PER_YEAR[freq])
        previous = cum
    return pd.Series(margin * spend * value, index=summary.index, name="clv")


def historical_value(transactions: pd.DataFrame, *, customer_col: str = "customer_id", date_col: str = "date",
                     value_col: str = "amount", margin_col: str | None = None, margin: float = 1.0,
                     as_of: DateLike | None = None) -> pd.DataFrame:
    """The backward-looking view: what each customer has been worth so far.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase.
    customer_col, date_col, value_col : str, default="customer_id", "date", "amount"
        Columns of the customer id, the purchase date and the amount (EUR).
    margin_col : str, optional
        Column of the gross margin of each purchase (e.g. ``"gross_margin"``); when given,
        ``margin_total`` sums it and ``margin`` is not used.
    margin : float, default=1.0
        Gross margin rate applied to spend when there is no ``margin_col``.
    as_of : date-like, optional
        The first day not observed (exclusive): purchases on or after it are ignored.
        Default: the day after the last transaction.

    Returns
    -------
    DataFrame
        Per customer (index named ``customer_col``): ``monetary_total`` (spend to date),
        ``margin_total`` (gross margin to date), ``years`` (from the first purchase to
        ``as_of``) and ``per_year`` (margin_total / years, with at least a month counted).

    Raises
    ------
    ValueError
        A missing column, a negative amount, no purchase before ``as_of``.

    See Also
    --------
    customer_value : the forward-looking value.

    Notes
    -----
    .. math:: per\\_year_i = \\frac{margin\\_total_i}{\\max(years_i, 1/12)}, \\quad
              years_i = \\frac{as\\_of - first\\_purchase_i}{365.2425 \\text{ days}}

    References
    ----------
    Gupta, S. & Lehmann, D. R. (2003). Customers as assets. Journal of Interactive Marketing
    17(1), 9-24.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "amount": [100.0, 50.0, 30.0],
    ...                    "date": ["2024-01-01", "2024-07-01", "2024-12-31"]})
    >>> historical_value(tx, margin=0.4, as_of="2025-01-01")[["monetary_total", "margin_total"]]
                 monetary_total  margin_total
    customer_id
    1                     150.0          60.0
    2                      30.0          12.0
    """
    check_frame("transactions", transactions, [customer_col, date_col, value_col] + ([margin_col] if margin_col else []))
    margin = check_number("margin", margin, 0.0, 1.0)
    amounts = as_amounts("transactions", value_col, transactions[value_col])
    margins = (as_amounts("transactions", margin_col, transactions[margin_col], allow_negative=True) if margin_col
               else margin * amounts)
    dates = as_dates("transactions", date_col, transactions[date_col])
    as_of = dates.max() + pd.Timedelta(days=1) if as_of is None else as_date("as_of", as_of)
    keep = (dates < as_of).to_numpy()
    if not keep.any():
        raise ValueError(f"`transactions` has no purchases before as_of={as_of.date()}.")
    g = pd.DataFrame({"c": transactions[customer_col].to_numpy()[keep], "v": amounts.to_numpy()[keep],
                      "m": margins.to_numpy()[keep], "d": dates.to_numpy()[keep]}).groupby("c")
    out = pd.DataFrame({"monetary_total": g["v"].sum(), "margin_total": g["m"].sum(),
                        "years": (as_of - g["d"].min()).dt.days / 365.2425})
    out["per_year"] = out["margin_total"] / np.maximum(out["years"], 1 / 12)
    out.index.name = customer_col
    return out


def retention_clv(
    margin: float | ArrayLike,
    retention: float | ArrayLike,
    discount_rate: float | ArrayLike,
) -> float | np.ndarray:
    """Textbook CLV of a customer who brings ``margin`` per period and stays each period with
    probability ``retention``: m r / (1 + d - r) (first margin at the end of the first period).

    Parameters
    ----------
    margin : float or array
        Margin per period.
    retention : float or array
        Probability of staying each period, in [0, 1].
    discount_rate : float or array
        Discount rate per period, >= 0.

    Returns
    -------
    float or array
        The discounted value of the future margins.

    Raises
    ------
    ValueError
        A retention outside [0, 1], a negative discount rate, or retention >= 1 + discount_rate.

    See Also
    --------
    ShiftedBetaGeoModel.discounted_expected_residual_lifetime : the same with heterogeneous retention.

    Notes
    -----
    .. math:: CLV = \\sum_{t=1}^{\\infty} \\frac{m\\, r^t}{(1 + d)^t} = \\frac{m\\, r}{1 + d - r}

    Valued at the start of a period, the customer's margin is collected at the end of each
    period they stay, so even the first one is discounted once; the margin already paid is
    not counted. The sBG model's
    :meth:`~fidelia_kit.clv.ShiftedBetaGeoModel.discounted_expected_residual_lifetime` values
    the same stream one period later, just before the renewal, leaving the next payment
    undiscounted: with a churn probability 1 - r known for every customer,
    ``m * DERL = (1 + d) * retention_clv(m, r, d)`` (m r (1 + d) / (1 + d - r)).
    With one retention rate for everyone this formula undervalues a cohort whose members
    differ (Fader & Hardie 2010): the survivors are the loyal ones.

    References
    ----------
    Gupta, S. & Lehmann, D. R. (2003). Customers as assets. Journal of Interactive Marketing
    17(1), 9-24.

    Examples
    --------
    >>> round(retention_clv(100, 0.8, 0.1), 2)
    266.67
    """
    m = np.asarray(margin, dtype=float)
    r = np.asarray(retention, dtype=float)
    d = np.asarray(discount_rate, dtype=float)
    if ((r < 0) | (r > 1)).any():
        raise ValueError("`retention` must be a probability in [0, 1].")
    if (d < 0).any():
        raise ValueError("`discount_rate` must be >= 0.")
    if ((1 + d - r) <= 0).any():
        raise ValueError("`retention` must be below 1 + discount_rate, or the value is infinite.")
    out = m * r / (1 + d - r)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True, repr=False)
class BootstrapCLV(Result):
    """Bootstrap intervals for each customer's CLV and for the total (see :func:`bootstrap`).

    Attributes
    ----------
    table : DataFrame
        Per customer: ``clv`` (from the models as given), ``ci_low``, ``ci_high``.
    total : float
        The total CLV of the customers.
    ci_low, ci_high : float
        The interval of the total.
    ci : float
        The confidence level.
    n_resamples : int
        Bootstrap replicates.

    Examples
    --------
    >>> r = BootstrapCLV(pd.DataFrame({"clv": [1.0], "ci_low": [0.5], "ci_high": [2.0]}), 1.0, 0.5, 2.0, 0.95, 200)
    >>> r
    BootstrapCLV(table=<DataFrame 1x3>, total=1, ci_low=0.5, ci_high=2, ci=0.95, n_resamples=200)
    """

    table: pd.DataFrame
    total: float
    ci_low: float
    ci_high: float
    ci: float
    n_resamples: int

    def to_frame(self) -> pd.DataFrame:
        """The per-customer table (``clv``, ``ci_low``, ``ci_high``)."""
        return self.table.copy()


def _refit(model, *args, weights, rng):
    """A clone of ``model`` (same settings), fitted on weighted data."""
    new = clone(model)
    if "rng" in new.get_params():
        new.set_params(rng=seed_from(rng))
    return new.fit(*args, weights=weights)


@renamed(n="n_resamples")
@keyword_only_since("horizon", "discount_rate", n_positional=3)
def bootstrap(
    transaction_model: BTYDModel,
    spend_model: GammaGammaModel,
    summary: pd.DataFrame,
    *,
    horizon: float,
    discount_rate: float = 0.10,
    n_resamples: int = 200,
    rng: RNGLike = DEFAULT_RNG,
    margin: float = 1.0,
    freq: str = "W",
    step: float = 1.0,
    ci: float = 0.95,
) -> BootstrapCLV:
    """Bootstrap confidence intervals for each customer's CLV and for the total.

    Parameters
    ----------
    transaction_model : fitted BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        Refitted, with its settings (:func:`~fidelia_kit._estimator.clone`), on each resample.
    spend_model : fitted GammaGammaModel
        Likewise.
    summary : DataFrame
        ``frequency, recency, T, monetary_value`` per customer, as the models were fitted on.
    horizon, discount_rate, margin, freq, step
        As :func:`customer_lifetime_value` (horizon in periods of ``freq``).
    n_resamples : int, default=200
        Bootstrap replicates (formerly ``n``, still accepted with a DeprecationWarning).
    rng : int, Generator or None, default=0
        int seed, Generator, or None for fresh entropy; default 0, so the same call gives
        the same answer.
    ci : float, default=0.95
        Confidence level of the percentile intervals.

    Returns
    -------
    BootstrapCLV
        ``.table`` per customer (``clv``, ``ci_low``, ``ci_high``); ``.total`` with
        ``.ci_low`` / ``.ci_high`` for the customer base.

    Raises
    ------
    TypeError, NotFittedError, ValueError
        As :func:`customer_lifetime_value`; ``n_resamples`` or ``ci`` out of range.

    See Also
    --------
    customer_lifetime_value : the point estimate.

    Notes
    -----
    Customers are resampled with replacement (as multinomial weights, so no data is
    copied); both models are refitted on each resample and the CLV of the original
    customers recomputed. The interval is the percentile interval
    :math:`[q_{(1-ci)/2}, q_{(1+ci)/2}]` of the replicates. It covers the uncertainty of the
    models' parameters, not that of each customer's own future.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.

    Examples
    --------
    >>> from fidelia_kit.clv import BetaGeoModel, GammaGammaModel
    >>> s = pd.DataFrame({"frequency": [0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 0, 1, 3, 10],
    ...                   "recency": [0, 0, 0, 5, 30, 12, 35, 20, 38, 25, 39, 36, 0, 2, 8, 39.0],
    ...                   "T": [40, 38, 30, 40, 39, 40, 38, 40, 40, 39, 40, 40, 20, 35, 30, 40.0],
    ...                   "monetary_value": [0, 0, 0, 12, 60, 18, 95, 22, 31, 140, 28, 45, 0, 8, 50, 24.0]})
    >>> s = pd.concat([s] * 10, ignore_index=True)        # 160 customers, 10 of each history
    >>> bg = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    >>> rep = s[s["frequency"] > 0]
    >>> gg = GammaGammaModel().fit(rep["frequency"], rep["monetary_value"])
    >>> b = bootstrap(bg, gg, s, horizon=52, n_resamples=3)
    >>> bool(b.ci_low <= b.total <= b.ci_high), b.table.columns.tolist()
    (True, ['clv', 'ci_low', 'ci_high'])
    """
    rng = as_rng(rng)
    _clv_inputs(transaction_model, spend_model, summary)
    n_resamples = check_int("n_resamples", n_resamples, 2, 100_000)
    ci = check_ci(ci)
    base = customer_lifetime_value(transaction_model, spend_model, summary, horizon=horizon,
                                   discount_rate=discount_rate, margin=margin, freq=freq, step=step)
    x, tx, T, m = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary_value"))
    draws = np.empty((n_resamples, len(summary)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # the horizon warning was given once, above
        for b in range(n_resamples):
            w = rng.multinomial(len(x), np.full(len(x), 1 / len(x))).astype(float)
            tm = _refit(transaction_model, x, tx, T, weights=w, rng=rng)
            rep = (x > 0) & (w > 0)
            sm = _refit(spend_model, x[rep], m[rep], weights=w[rep], rng=rng)
            draws[b] = customer_lifetime_value(tm, sm, summary, horizon=horizon, discount_rate=discount_rate,
                                               margin=margin, freq=freq, step=step)
    a = (1 - ci) / 2
    table = pd.DataFrame({"clv": base, "ci_low": np.quantile(draws, a, axis=0),
                          "ci_high": np.quantile(draws, 1 - a, axis=0)}, index=summary.index)
    totals = draws.sum(axis=1)
    return BootstrapCLV(table=table, total=float(base.sum()), ci_low=float(np.quantile(totals, a)),
                        ci_high=float(np.quantile(totals, 1 - a)), ci=ci, n_resamples=n_resamples)


# --- the kit's one figure of what a customer is worth ---------------------------------------------------

@dataclass(frozen=True, repr=False)
class CustomerValue(Result):
    """What each customer is worth: the kit's one definition, used by every notebook that needs it.

    Attributes
    ----------
    table : DataFrame
        Per customer: ``clv`` (EUR of gross margin over the horizon, discounted),
        ``p_alive``, ``expected_purchases`` (over the horizon), ``expected_spend``
        (EUR per purchase, Gamma-Gamma), ``margin_rate`` (the customer's gross margin
        over spend to date, clipped to [0, 1]).
    transaction_model, spend_model : fitted BetaGeoModel, GammaGammaModel
    as_of : Timestamp
        The first day not observed: the value is as seen at the start of that day.
    horizon_days : int
    discount_rate : float
        Yearly.

    Examples
    --------
    >>> from fidelia_kit import generate_world
    >>> cv = customer_value(generate_world(n_customers=500, seed=1).tables["transactions"])
    >>> cv.to_frame().columns.tolist()
    ['clv', 'p_alive', 'expected_purchases', 'expected_spend', 'margin_rate']
    >>> bool(cv.total == cv.clv.sum())
    True
    """

    table: pd.DataFrame
    transaction_model: object
    spend_model: object
    as_of: pd.Timestamp
    horizon_days: int
    discount_rate: float

    @property
    def clv(self) -> pd.Series:
        """Each customer's CLV (EUR of margin)."""
        return self.table["clv"]

    @property
    def total(self) -> float:
        """The customer base's total CLV (EUR of margin)."""
        return float(self.table["clv"].sum())

    def to_frame(self) -> pd.DataFrame:
        """The per-customer table."""
        return self.table.copy()

    def as_margin(self, spend: pd.Series) -> pd.Series:
        """Turn an amount of spend per customer (EUR) into gross margin, at each customer's margin rate.

        So that a spend figure (a forecast, or a world's true expected spend) can be set beside
        the CLV in the same unit, EUR of margin.

        Parameters
        ----------
        spend : Series
            Spend per customer (EUR), indexed by customer id.

        Returns
        -------
        Series
            ``spend x margin_rate`` per customer of ``spend`` (EUR of margin), named
            ``margin``; NaN for a customer the table has no rate for.

        Raises
        ------
        TypeError
            ``spend`` is not a pandas Series.

        Examples
        --------
        >>> cv = CustomerValue(pd.DataFrame({"clv": [5.0, 8.0], "margin_rate": [0.25, 0.4]}, index=[1, 2]),
        ...                    None, None, pd.Timestamp("2025-01-01"), 365, 0.1)
        >>> cv.as_margin(pd.Series({1: 100.0, 2: 50.0})).tolist()
        [25.0, 20.0]
        """
        if not isinstance(spend, pd.Series):
            raise TypeError(f"`spend` must be a pandas Series indexed by customer; got {type(spend).__name__}.")
        return (spend * self.table["margin_rate"].reindex(spend.index)).rename("margin")

    def __repr__(self) -> str:
        return (f"CustomerValue({len(self.table)} customers as of {self.as_of.date()}, horizon {self.horizon_days} days, "
                f"discount {self.discount_rate:.0%}/year: total {self.total:,.0f} EUR, "
                f"median {self.table['clv'].median():,.2f} EUR)")


def customer_value(
    transactions: pd.DataFrame,
    *,
    as_of: DateLike | None = None,
    horizon_days: int = 365,
    discount_rate: float = 0.10,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str = "amount",
    margin_col: str | None = "gross_margin",
    penalizer: float = 0.0,
) -> CustomerValue:
    """What each customer is worth from now on: the kit's one figure of customer value.

    BG/NBD on a daily summary (weekly summaries bias ``r`` and ``alpha``; see notebook 04)
    predicts each customer's purchases over the next ``horizon_days``; Gamma-Gamma predicts
    the spend per purchase; the customer's own gross-margin rate to date turns spend into
    margin; each week's expected margin is discounted at ``discount_rate`` a year.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase, with ``customer_col``, ``date_col``, ``value_col`` and (unless
        ``margin_col`` is None) ``margin_col``.
    as_of : date-like, optional
        The first day not observed (exclusive, as everywhere in the kit): purchases on or
        after it are ignored. Default: the day after the last purchase.
    horizon_days : int, default=365
        How far ahead to count, in days.
    discount_rate : float, default=0.10
        Yearly discount rate.
    customer_col, date_col, value_col : str
        Column names.
    margin_col : str or None, default="gross_margin"
        Gross margin per purchase. None values spend at a margin rate of 1 (revenue).
    penalizer : float, default=0.0
        L2 penalty of both models (see :class:`BetaGeoModel`).

    Returns
    -------
    CustomerValue
        ``.table`` per customer (``clv``, ``p_alive``, ``expected_purchases``,
        ``expected_spend``, ``margin_rate``), ``.total``, the fitted models.

    Raises
    ------
    ValueError
        A missing column, an option out of range, or no purchase before ``as_of``.
    ConvergenceError
        When a model cannot be fitted.

    See Also
    --------
    customer_lifetime_value : the same computation for any summary, model and time unit.
    historical_value : what customers have been worth so far.

    Notes
    -----
    .. math:: CLV_i = \\bar m_i \\, E[z_i] \\sum_{k} \\frac{E[X_i(t_k)] - E[X_i(t_{k-1})]}{(1 + d)^{t_k / 365.2425}}

    with :math:`t_k` every 7 days up to the horizon, :math:`E[X_i(t)]` from BG/NBD given the
    customer's history, :math:`E[z_i]` from Gamma-Gamma and :math:`\\bar m_i` the margin rate.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way:
    an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves for
    customer base analysis. Journal of Marketing Research 42(4), 415-430.

    Examples
    --------
    >>> from fidelia_kit import generate_world
    >>> tx = generate_world(n_customers=500, seed=1).tables["transactions"]
    >>> cv = customer_value(tx, horizon_days=365)
    >>> bool((cv.table["clv"] >= 0).all()), cv.horizon_days
    (True, 365)
    """
    from .bgnbd import BetaGeoModel
    from .summary import summarize_transactions

    need = [customer_col, date_col, value_col] + ([margin_col] if margin_col else [])
    check_frame("transactions", transactions, need)
    horizon_days = check_int("horizon_days", horizon_days, 1, 36_525)
    discount_rate = check_number("discount_rate", discount_rate, 0.0, 10.0)
    tx = transactions
    dates = pd.to_datetime(tx[date_col])
    if as_of is not None:
        as_of = as_date("as_of", as_of)
        tx = tx[(dates < as_of).to_numpy()]
        if tx.empty:
            raise ValueError(f"`transactions` has no purchases before as_of={as_of.date()}.")
    else:
        as_of = dates.max().normalize() + pd.Timedelta(days=1)
    summary = summarize_transactions(tx, customer_col=customer_col, date_col=date_col, value_col=value_col,
                                     as_of=as_of, freq="D")
    bg = BetaGeoModel(penalizer=penalizer).fit(summary["frequency"], summary["recency"], summary["T"])
    repeat = summary["frequency"] > 0
    gg = GammaGammaModel(penalizer=penalizer).fit(summary.loc[repeat, "frequency"], summary.loc[repeat, "monetary_value"])
    if margin_col:
        g = tx.groupby(customer_col)
        rate = (g[margin_col].sum() / g[value_col].sum().where(lambda s: s > 0)).reindex(summary.index)
        rate = rate.fillna(float(tx[margin_col].sum() / tx[value_col].sum())).clip(0.0, 1.0)
    else:
        rate = pd.Series(1.0, index=summary.index)
    x, tx_, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # a short horizon in days is what was asked for here
        clv = customer_lifetime_value(bg, gg, summary, horizon=horizon_days, discount_rate=discount_rate, freq="D",
                                      step=min(7.0, horizon_days))
    table = pd.DataFrame({
        "clv": clv.to_numpy() * rate.to_numpy(),
        "p_alive": bg.probability_alive(x, tx_, T),
        "expected_purchases": bg.expected_purchases(horizon_days, x, tx_, T),
        "expected_spend": gg.expected_spend(x, summary["monetary_value"].to_numpy(float)),
        "margin_rate": rate.to_numpy(),
    }, index=summary.index)
    return CustomerValue(table=table, transaction_model=bg, spend_model=gg, as_of=pd.Timestamp(as_of),
                         horizon_days=horizon_days, discount_rate=discount_rate)
