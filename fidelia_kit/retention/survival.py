"""How long customers stay: Kaplan-Meier, the log-rank test, Cox regression and cohort tables."""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .._deprecation import keyword_only_since
from .._results import Result
from .._validation import (
    as_amounts,
    as_dates,
    check_binary,
    check_frame,
    check_option,
    ci_z,
)

__all__ = ["kaplan_meier", "LogrankResult", "logrank", "CoxResult", "cox", "CohortTable", "cohort_table"]

# --- survival and cohorts ---------------------------------------------------------------------------------


def _durations(durations: ArrayLike, events: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Durations as floats >= 0 and events as 0/1 ints of the same length, or ValueError naming the argument."""
    d = np.asarray(durations, dtype=float)
    e = check_binary("events", events)
    if len(d) != len(e):
        raise ValueError(f"`durations` and `events` must have the same length; got {len(d)} and {len(e)}.")
    if len(d) == 0:
        raise ValueError("`durations` is empty.")
    if np.isnan(d).any():
        raise ValueError("`durations` has missing values.")
    if (d < 0).any():
        raise ValueError(f"`durations` must be >= 0; {int((d < 0).sum())} are negative.")
    return d, e


def _groups(groups: ArrayLike, n: int) -> np.ndarray:
    g = np.asarray(groups)
    if g.ndim != 1 or len(g) != n:
        raise ValueError(f"`groups` must have one value per customer ({n}); got {len(g) if g.ndim else 'a scalar'}.")
    if pd.isna(pd.Series(g, dtype=object)).any():
        raise ValueError("`groups` has missing values; give every customer a group.")
    return g


@keyword_only_since("groups")
def kaplan_meier(durations: ArrayLike, events: ArrayLike, *, groups: ArrayLike | None = None,
                 ci: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier survival curve(s) with pointwise confidence intervals.

    Parameters
    ----------
    durations : array-like of float
        Time each customer was observed (>= 0), in any unit (days, months, years).
    events : array-like of 0/1 or bool
        1 when the customer left at ``durations``, 0 when still a customer then (censored).
    groups : array-like, optional
        A group label per customer; one curve per group. Keyword-only (passing it by
        position is deprecated).
    ci : float, default=0.95
        Confidence level of the pointwise intervals.

    Returns
    -------
    DataFrame
        One row per event time: ``group`` (if given), ``time``, ``at_risk``, ``events``,
        ``survival``, ``ci_low``, ``ci_high``. A group with no events (every customer
        censored) has no event times; it gets instead the times 0 and each follow-up time,
        all at survival 1.0 with interval (1, 1) (as lifelines' ``KaplanMeierFitter``), and a
        UserWarning says so.

    Raises
    ------
    ValueError
        Negative or missing durations, events that are not 0/1, lengths that differ.

    See Also
    --------
    logrank : test that the curves of several groups are the same.
    fidelia_kit.plots.km_plot : draw the curves.

    Notes
    -----
    The estimate and its Greenwood standard error come from statsmodels' SurvfuncRight:

    .. math:: \\hat S(t) = \\prod_{t_j \\le t} \\left(1 - \\frac{d_j}{n_j}\\right)

    with :math:`d_j` departures among the :math:`n_j` customers at risk at time :math:`t_j`.
    The interval uses the log-log transform (R's ``survival`` with ``conf.type = "log-log"``):
    :math:`\\hat S^{\\exp(\\pm z\\, se / (\\hat S |\\log \\hat S|))}`, which stays in [0, 1].

    References
    ----------
    Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete observations.
    Journal of the American Statistical Association 53(282), 457-481.

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 0, 1])
    >>> print(km[["time", "at_risk", "survival"]].round(3).to_string(index=False))
     time  at_risk  survival
      1.0        6     0.833
      2.0        5     0.667
      3.0        3     0.444
      5.0        1     0.000
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    d, e = _durations(durations, events)
    z = ci_z(ci)
    g = np.zeros(len(d), dtype=int) if groups is None else _groups(groups, len(d))
    parts = []
    for level in pd.unique(g):
        mask = g == level
        if not e[mask].any():
            # no events: statsmodels lists event times only, so it would return no rows at all
            times = np.unique(np.r_[0.0, d[mask]])
            where = "" if groups is None else f" in group '{level}'"
            warnings.warn(f"kaplan_meier: no events{where} (every customer censored); survival stays 1.0 through "
                          f"the last follow-up time ({times[-1]:g}), so that curve is flat at 1.", UserWarning,
                          stacklevel=3)
            part = pd.DataFrame({"time": times, "at_risk": [(d[mask] >= t).sum() for t in times], "events": 0,
                                 "survival": 1.0, "ci_low": 1.0, "ci_high": 1.0})
        else:
            sf = SurvfuncRight(d[mask], e[mask])
            s, se = sf.surv_prob, sf.surv_prob_se
            with np.errstate(divide="ignore", invalid="ignore"):
                theta_se = se / (s * np.abs(np.log(s)))
                inside = (s > 0) & (s < 1)
                lo = np.where(inside, s ** np.exp(z * theta_se), np.where(s >= 1, 1.0, 0.0))
                hi = np.where(inside, s ** np.exp(-z * theta_se), np.where(s >= 1, 1.0, 0.0))
            part = pd.DataFrame({"time": sf.surv_times, "at_risk": sf.n_risk, "events": sf.n_events,
                                 "survival": s, "ci_low": lo, "ci_high": hi})
        if groups is not None:
            part.insert(0, "group", level)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True, repr=False)
class LogrankResult(Result):
    """The log-rank test that several groups have the same survival curve.

    Attributes
    ----------
    statistic : float
        The chi-squared statistic.
    dof : int
        Its degrees of freedom (number of groups - 1).
    pvalue : float
    method : str
        ``"log-rank"``.
    table : DataFrame
        Per group: ``group``, ``n`` (customers), ``observed`` (departures) and ``expected``
        (departures if every group had the pooled hazard), ``observed_over_expected``.

    Examples
    --------
    >>> r = logrank([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 0], ["a", "a", "a", "b", "b", "b"])
    >>> r.dof, round(r.pvalue, 4)
    (1, 0.0246)
    """

    statistic: float
    dof: int
    pvalue: float
    method: str
    table: pd.DataFrame

    def __getitem__(self, key: str) -> float:
        # logrank used to return a Series (chi2, df, pvalue); its keys keep working for one release
        old = {"chi2": "statistic", "df": "dof", "pvalue": "pvalue"}
        if key not in old:
            raise KeyError(key)
        warnings.warn(f"logrank()[{key!r}] is deprecated: logrank returns a LogrankResult; use its field "
                      f"`.{old[key]}` (item access stops working in the next release).", DeprecationWarning,
                      stacklevel=2)
        return getattr(self, old[key])

    def to_frame(self) -> pd.DataFrame:
        """The per-group table with the test's ``statistic``, ``dof`` and ``pvalue`` on every row.

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> logrank([1, 2, 3, 4], [1, 1, 1, 1], [0, 0, 1, 1]).to_frame().columns.tolist()
        ['group', 'n', 'observed', 'expected', 'observed_over_expected', 'statistic', 'dof', 'pvalue', 'method']
        """
        return self.table.assign(statistic=self.statistic, dof=self.dof, pvalue=self.pvalue, method=self.method)


def _observed_expected(d: np.ndarray, e: np.ndarray, g: np.ndarray) -> pd.DataFrame:
    """Observed and expected departures per group under one pooled hazard (the log-rank bookkeeping)."""
    levels = pd.unique(g)
    times = np.unique(d[e == 1])
    at_risk = np.array([[(d[g == lv] >= t).sum() for t in times] for lv in levels], dtype=float)
    deaths = np.array([[((d[g == lv] == t) & (e[g == lv] == 1)).sum() for t in times] for lv in levels], dtype=float)
    expected = (at_risk / at_risk.sum(axis=0) * deaths.sum(axis=0)).sum(axis=1)
    observed = deaths.sum(axis=1)
    return pd.DataFrame({"group": levels, "n": [int((g == lv).sum()) for lv in levels], "observed": observed.astype(int),
                         "expected": expected, "observed_over_expected": observed / expected})


def logrank(durations: ArrayLike, events: ArrayLike, groups: ArrayLike) -> LogrankResult:
    """The log-rank test that survival is the same in every group.

    Parameters
    ----------
    durations : array-like of float
        Time each customer was observed (>= 0).
    events : array-like of 0/1 or bool
        1 when the customer left, 0 when censored.
    groups : array-like
        A group label per customer (at least two groups).

    Returns
    -------
    LogrankResult
        ``statistic``, ``dof``, ``pvalue``, ``method`` and a per-group ``table`` of observed
        and expected departures; ``to_frame()`` gives the table with the test on each row.

    Raises
    ------
    ValueError
        Fewer than two groups, or bad durations/events (see :func:`kaplan_meier`).

    See Also
    --------
    kaplan_meier : the curves being compared.
    cox : the hazard ratio between groups, with covariates.

    Notes
    -----
    At each departure time :math:`t_j`, group :math:`g` expects
    :math:`E_{gj} = d_j\\, n_{gj} / n_j` of the :math:`d_j` departures (its share of those at
    risk). The statistic :math:`(O - E)^\\top V^{-1} (O - E)`, with the hypergeometric
    covariance :math:`V` over all but one group, is chi-squared with ``groups - 1`` degrees
    of freedom under the null (statsmodels' ``survdiff``; scipy's ``logrank`` for two groups).

    References
    ----------
    Mantel, N. (1966). Evaluation of survival data and two new rank order statistics arising
    in its consideration. Cancer Chemotherapy Reports 50(3), 163-170.

    Examples
    --------
    >>> r = logrank([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 0], ["a", "a", "a", "b", "b", "b"])
    >>> print(r.table[["group", "observed", "expected"]].round(2).to_string(index=False))
    group  observed  expected
        a         3      1.15
        b         2      3.85
    """
    from statsmodels.duration.survfunc import survdiff

    d, e = _durations(durations, events)
    g = _groups(groups, len(d))
    k = len(pd.unique(g))
    if k < 2:
        raise ValueError("`groups` needs at least two groups to compare.")
    chi2, p = survdiff(d, e, g)
    return LogrankResult(statistic=float(chi2), dof=k - 1, pvalue=float(p), method="log-rank",
                         table=_observed_expected(d, e, g))


@dataclass(frozen=True, repr=False)
class CoxResult(Result):
    """A fitted Cox proportional-hazards model: hazard ratios with intervals.

    Attributes
    ----------
    table : DataFrame
        One row per covariate: ``covariate``, ``coef`` (log hazard ratio), ``se``,
        ``estimate`` (the hazard ratio), ``ci_low``, ``ci_high`` (its interval), ``pvalue``.
    ci : float
        Confidence level of the intervals.
    ties : str
        ``"efron"`` or ``"breslow"``.
    n : int
        Customers in the fit.
    n_events : int
        Departures among them.
    log_likelihood : float
        Log partial likelihood at the estimate.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "left": [1, 1, 1, 0, 1, 1, 0, 1],
    ...                    "x": [1, 1, 0, 1, 0, 0, 1, 0]})
    >>> res = cox(df, duration_col="t", event_col="left", covariates=["x"])
    >>> res.n, res.n_events
    (8, 6)
    """

    table: pd.DataFrame
    ci: float
    ties: str
    n: int
    n_events: int
    log_likelihood: float

    def hazard_ratio(self, covariate: str) -> float:
        """The hazard ratio of one covariate.

        Parameters
        ----------
        covariate : str

        Returns
        -------
        float

        Examples
        --------
        >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "left": 1, "x": [1, 1, 0, 1, 0, 0]})
        >>> round(cox(df, duration_col="t", event_col="left", covariates="x").hazard_ratio("x"), 3)
        5.408
        """
        rows = self.table.set_index("covariate")
        if covariate not in rows.index:
            raise ValueError(f"`covariate` must be one of {rows.index.tolist()}; got {covariate!r}.")
        return float(rows.loc[covariate, "estimate"])

    def to_frame(self) -> pd.DataFrame:
        """The per-covariate table (hazard ratio as ``estimate`` with ``ci_low``/``ci_high``).

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "left": 1, "x": [1, 1, 0, 1, 0, 0]})
        >>> cox(df, duration_col="t", event_col="left", covariates="x").to_frame().columns.tolist()
        ['covariate', 'coef', 'se', 'estimate', 'ci_low', 'ci_high', 'pvalue']
        """
        return self.table.copy()


@keyword_only_since("duration_col", "event_col", "covariates")
def cox(df: pd.DataFrame, *, duration_col: str, event_col: str, covariates: str | Sequence[str],
        ties: str = "efron", ci: float = 0.95) -> CoxResult:
    """Cox proportional-hazards regression (statsmodels PHReg): hazard ratios with intervals.

    Parameters
    ----------
    df : DataFrame
        One row per customer.
    duration_col : str
        Column of follow-up times (>= 0).
    event_col : str
        Column of 0/1 (or bool): 1 when the customer left, 0 when censored.
    covariates : str or list of str
        Numeric columns (make dummies first).
    ties : {"efron", "breslow"}, default="efron"
        How tied departure times enter the partial likelihood.
    ci : float, default=0.95
        Confidence level of the hazard ratios' intervals.

    Returns
    -------
    CoxResult
        ``table`` (and ``to_frame()``): per covariate ``coef`` (log hazard ratio), ``se``,
        ``estimate`` (hazard ratio), ``ci_low``, ``ci_high``, ``pvalue``; ``n``, ``n_events``,
        ``log_likelihood``. A hazard ratio of 1.3 means a 30% higher rate of leaving at any
        moment.

    Raises
    ------
    ValueError
        Missing or non-numeric covariates, bad durations or events, an unknown ``ties``.

    See Also
    --------
    kaplan_meier, logrank

    Notes
    -----
    The hazard of customer :math:`i` is :math:`h_0(t) \\exp(x_i^\\top \\beta)`; the hazard ratio
    of a covariate is :math:`e^{\\beta}` with the Wald interval
    :math:`e^{\\beta \\pm z\\, se}` (model-based standard errors from the inverse Hessian).
    Tied departure times use Efron's (1977) approximation by default (as R's
    ``survival::coxph`` and lifelines); ``ties="breslow"`` gives Breslow's (1974) cruder one,
    the default of SAS and Stata. They differ only when many customers leave at the same
    recorded time (e.g. durations in whole months).

    References
    ----------
    Cox, D. R. (1972). Regression models and life-tables. Journal of the Royal Statistical
    Society B 34(2), 187-220.
    Efron, B. (1977). The efficiency of Cox's likelihood function for censored data. Journal
    of the American Statistical Association 72(359), 557-565.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "left": 1, "x": [1, 1, 0, 1, 0, 0]})
    >>> res = cox(df, duration_col="t", event_col="left", covariates="x")
    >>> print(res.to_frame()[["covariate", "estimate", "ci_low", "ci_high"]].round(2).to_string(index=False))
    covariate  estimate  ci_low  ci_high
            x      5.41    0.54    53.76
    """
    from .. import _sm as sm

    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    check_frame("df", df, [duration_col, event_col] + covariates)
    check_option("ties", ties, ["efron", "breslow"])
    z = ci_z(ci)
    d, e = _durations(df[duration_col], df[event_col])
    X = df[covariates]
    bad = [c for c in covariates if not pd.api.types.is_numeric_dtype(X[c])]
    if bad:
        raise ValueError(f"`df`: covariate column(s) {bad} must be numeric (make dummies first).")
    if X.isna().any().any():
        raise ValueError(f"`df`: covariate column(s) {X.columns[X.isna().any()].tolist()} have missing values.")
    fit = sm.PHReg(d, X.astype(float), status=e, ties=ties).fit()
    coef, se = np.asarray(fit.params, dtype=float), np.asarray(fit.bse, dtype=float)
    table = pd.DataFrame({"covariate": covariates, "coef": coef, "se": se, "estimate": np.exp(coef),
                          "ci_low": np.exp(coef - z * se), "ci_high": np.exp(coef + z * se),
                          "pvalue": np.asarray(fit.pvalues, dtype=float)})
    return CoxResult(table=table, ci=float(ci), ties=ties, n=len(d), n_events=int(e.sum()),
                     log_likelihood=float(fit.llf))


@dataclass(frozen=True, repr=False)
class CohortTable(Result):
    """The retention triangle: acquisition cohorts (rows) by periods since acquisition (columns).

    Attributes
    ----------
    counts : DataFrame
        Customers who bought (``value="customers"``) or their spend in EUR
        (``value="revenue"``), per cohort and period since the first purchase.
    shares : DataFrame
        ``counts`` divided by each cohort's period-0 value.
    period : str
        ``"W"``, ``"M"`` or ``"Q"``.
    value : str
        ``"customers"`` or ``"revenue"``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "amount": [10.0, 5.0, 20.0],
    ...                    "date": pd.to_datetime(["2024-01-05", "2024-02-20", "2024-01-10"])})
    >>> cohort_table(tx).shares.to_numpy().tolist()
    [[1.0, 0.5]]
    """

    counts: pd.DataFrame
    shares: pd.DataFrame
    period: str
    value: str

    def __getitem__(self, key: str) -> pd.DataFrame:
        # cohort_table used to return a dict {"counts": ..., "shares": ...}; its keys keep working for one release
        if key not in ("counts", "shares"):
            raise KeyError(key)
        warnings.warn(f"cohort_table()[{key!r}] is deprecated: cohort_table returns a CohortTable; use its field "
                      f"`.{key}` (item access stops working in the next release).", DeprecationWarning, stacklevel=2)
        return getattr(self, key)

    def to_frame(self) -> pd.DataFrame:
        """One row per cohort and period: ``cohort``, ``periods_since_first``, ``count``, ``share``.

        Returns
        -------
        DataFrame
            Tidy (long) form of the triangle; cells a cohort has not reached yet are left out.

        Examples
        --------
        >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "amount": [10.0, 5.0, 20.0],
        ...                    "date": pd.to_datetime(["2024-01-05", "2024-02-20", "2024-01-10"])})
        >>> cohort_table(tx).to_frame()[["periods_since_first", "count", "share"]].values.tolist()
        [[0, 2.0, 1.0], [1, 1.0, 0.5]]
        """
        def melt(table: pd.DataFrame, name: str) -> pd.DataFrame:
            return table.rename_axis(index="cohort", columns="periods_since_first").reset_index().melt(
                id_vars="cohort", value_name=name)

        long = melt(self.counts, "count").assign(share=melt(self.shares, "share")["share"])
        return long.dropna(subset=["count"]).sort_values(["cohort", "periods_since_first"], ignore_index=True)


@keyword_only_since("period", "value")
def cohort_table(transactions: pd.DataFrame, *, period: str = "M", value: str = "customers",
                 customer_col: str = "customer_id", date_col: str = "date", value_col: str = "amount") -> CohortTable:
    """The retention triangle: acquisition cohort (rows) x periods since acquisition (columns).

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase.
    period : {"W", "M", "Q"}, default="M"
        Length of a period: week, month or quarter (calendar periods).
    value : {"customers", "revenue"}, default="customers"
        ``"customers"`` counts the cohort's customers who bought in each period;
        ``"revenue"`` sums their spend (``value_col``).
    customer_col, date_col, value_col : str
        Column names in ``transactions``.

    Returns
    -------
    CohortTable
        ``counts`` and ``shares`` (each row divided by its period-0 value: the cohort size,
        or its first-period revenue); ``to_frame()`` gives the long form.

    Raises
    ------
    ValueError
        Missing columns, dates that are not dates, negative amounts, an unknown option.

    See Also
    --------
    fidelia_kit.plots.cohort_heatmap : draw the shares.

    Notes
    -----
    A customer's cohort is the calendar period of their first purchase in the data; period
    :math:`k` is the :math:`k`-th calendar period after it. Cohort :math:`c`'s share at
    :math:`k` is :math:`N_{c,k} / N_{c,0}`. Customers acquired before the data start are
    counted in the first period's cohort (left-censoring): read the first row with care.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 3], "amount": [10.0, 5, 7, 20, 1, 3],
    ...                    "date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-03-01",
    ...                                            "2024-01-10", "2024-02-02", "2024-02-15"])})
    >>> print(cohort_table(tx, period="M").counts.to_string())
    periods since first purchase    0    1    2
    cohort
    2024-01                       2.0  1.0  1.0
    2024-02                       1.0  NaN  NaN
    """
    check_option("period", period, ["W", "M", "Q"])
    check_option("value", value, ["customers", "revenue"])
    check_frame("transactions", transactions, [customer_col, date_col] + ([value_col] if value == "revenue" else []))
    dates = as_dates("transactions", date_col, transactions[date_col].reset_index(drop=True))
    p = dates.dt.to_period(period)
    df = pd.DataFrame({"c": transactions[customer_col].to_numpy(), "p": p.to_numpy()})
    if value == "revenue":
        df["v"] = as_amounts("transactions", value_col, transactions[value_col].reset_index(drop=True)).to_numpy()
    df["cohort"] = df.groupby("c")["p"].transform("min")
    df["age"] = [x.n for x in df["p"] - df["cohort"]]
    if value == "customers":
        counts = df.drop_duplicates(["c", "p"]).pivot_table(index="cohort", columns="age", values="c", aggfunc="count")
    else:
        counts = df.pivot_table(index="cohort", columns="age", values="v", aggfunc="sum")
    counts = counts.sort_index().astype(float)
    counts.columns.name = "periods since first purchase"
    shares = counts.div(counts[0], axis=0)
    return CohortTable(counts=counts, shares=shares, period=period, value=value)
