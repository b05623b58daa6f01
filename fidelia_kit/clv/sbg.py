"""The shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007).

Each customer renews at the end of each period with probability 1 - theta; theta varies
across customers as Beta(alpha, beta). Heterogeneity explains why cohort retention rates
rise over time: the customers most likely to leave leave first.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Self

import numpy as np
import pandas as pd
from scipy.special import betaln

from .._validation import as_date, as_dates, check_frame, check_number
from ..exceptions import ConvergenceError
from ._base import BaseModel, _vector, maximize

if TYPE_CHECKING:
    from .._typing import ArrayLike, DateLike


__all__ = ["ShiftedBetaGeoModel", "membership_durations", "observed_renewal_rates"]


class ShiftedBetaGeoModel(BaseModel):
    """sBG model (params alpha, beta) for a cohort of contracts renewed period by period.

    Parameters
    ----------
    penalizer : float, default=0.0
        L2 penalty on the parameters added to the mean negative log-likelihood (as lifetimes).
    max_iter : int, default=500
        Iterations of each optimiser run.

    Attributes
    ----------
    params_ : Series
        The estimates (alpha, beta).
    std_errors_ : Series
        From the Hessian of the log-likelihood at the optimum.
    covariance_ : DataFrame
        The inverse of the observed information.
    log_likelihood_ : float
        Total log-likelihood at the optimum.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention. Journal of
    Interactive Marketing 21(1), 76-90.
    Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a contractual setting:
    the perils of ignoring heterogeneity. Marketing Science 29(1), 85-93.

    Examples
    --------
    >>> m = ShiftedBetaGeoModel().fit([1000, 631, 468, 382, 326, 289, 262, 241])   # Fader & Hardie (2007), 'regular'
    >>> m.params_.round(3).to_dict()
    {'alpha': 0.704, 'beta': 1.182}
    >>> bool(m.retention_rate(2) > m.retention_rate(1))
    True
    """

    _estimate_names = ("alpha", "beta")

    @staticmethod
    def _log_pmf(alpha, beta, t):
        """log P(T = t): the contract ends in period t (t = 1, 2, ...)."""
        return betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta)

    @staticmethod
    def _log_survival(alpha, beta, t):
        """log P(T > t): still a customer after t periods."""
        return betaln(alpha, beta + t) - betaln(alpha, beta)

    def _fit_counts(self, durations, censored, weights):
        total = weights.sum()

        def ll(p):
            a, b = p
            return np.where(censored, self._log_survival(a, b, durations), self._log_pmf(a, b, durations))

        def objective(u):
            p = np.exp(u)
            val = -(weights @ ll(p)) / total + self._penalty(p)
            return val if np.isfinite(val) else 1e300

        res = maximize(objective, [(1.0, 1.0), (0.5, 2.0), (2.0, 5.0)], names=self._estimate_names,
                       model="ShiftedBetaGeoModel", max_iter=self.max_iter, jac=None)
        self._store(np.exp(res.x), lambda p: float(weights @ ll(p)), total)
        return self

    def fit(self, active: ArrayLike) -> Self:
        """Fit to a cohort's survivors: ``active[i]`` customers still active at the start of
        period i (``active[0]`` = cohort size, non-increasing). Returns self."""
        self._check_settings()
        act = _vector("active", active)
        if len(act) < 2:
            raise ValueError("`active` needs at least two periods (the cohort size and one count after it).")
        if (np.diff(act) > 0).any() or (act < 0).any():
            raise ValueError("`active` must be non-negative and never increase (customers cannot come back).")
        if act[0] <= 0:
            raise ValueError("`active[0]` (the cohort size) must be > 0.")
        lost = -np.diff(act)
        t = np.arange(1, len(act))
        durations = np.r_[t, len(act) - 1].astype(float)
        censored = np.r_[np.zeros(len(t), dtype=bool), True]
        return self._fit_counts(durations, censored, np.r_[lost, act[-1]].astype(float))

    def fit_customers(self, durations: ArrayLike, censored: ArrayLike) -> Self:
        """Fit to individual customers: ``durations`` periods observed (>= 1); ``censored`` True
        when the customer was still active at the end (False: left in that period)."""
        self._check_settings()
        d = _vector("durations", durations)
        c = np.asarray(censored, dtype=bool).ravel()
        if len(c) != len(d):
            raise ValueError("`durations` and `censored` must have the same length.")
        if (d < 1).any() or (d != np.round(d)).any():
            raise ValueError(f"`durations` must be whole numbers of periods >= 1; violated for {int(((d < 1) | (d != np.round(d))).sum())} customers.")
        frame = pd.DataFrame({"d": d, "c": c}).value_counts().reset_index()
        return self._fit_counts(frame["d"].to_numpy(float), frame["c"].to_numpy(bool), frame["count"].to_numpy(float))

    def survival(self, t: ArrayLike) -> np.ndarray:
        """S(t) = P(still a customer after t periods) = B(alpha, beta + t) / B(alpha, beta)."""
        self._check_fitted()
        a, b = self.params_
        return np.exp(self._log_survival(a, b, np.asarray(t, dtype=float)))

    def retention_rate(self, t: ArrayLike) -> np.ndarray:
        """r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1), for t >= 1: rises with t."""
        self._check_fitted()
        a, b = self.params_
        t = np.asarray(t, dtype=float)
        return (b + t - 1) / (a + b + t - 1)

    def retention_shifted(self, points: float) -> ShiftedBetaGeoModel:
        """The same cohort with its first-period retention higher by ``points``, heterogeneity unchanged.

        Parameters
        ----------
        points : float
            Change of the first-period retention rate beta / (alpha + beta), e.g. 0.01 for
            one percentage point (negative lowers it).

        Returns
        -------
        ShiftedBetaGeoModel
            A fitted copy with alpha' = alpha - points (alpha + beta) and beta' = beta +
            points (alpha + beta): the mean churn probability falls by ``points`` while
            alpha + beta, which sets how much customers differ, stays.

        Raises
        ------
        ValueError
            When the shift would make alpha' or beta' <= 0.

        Notes
        -----
        The value of one more point of retention for a member is
        ``m * (shifted.discounted_expected_residual_lifetime(d) - discounted_expected_residual_lifetime(d))``:
        unlike the constant-retention formula, the shifted cohort keeps its heterogeneity, so
        retention still rises with tenure.

        Examples
        --------
        >>> m = ShiftedBetaGeoModel().fit([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> better = m.retention_shifted(0.01)
        >>> round(float(better.retention_rate(1) - m.retention_rate(1)), 6)
        0.01
        """
        self._check_fitted()
        points = check_number("points", points, -1.0, 1.0)
        a, b = self.params_
        k = a + b
        if a - points * k <= 0 or b + points * k <= 0:
            raise ValueError(f"`points` = {points} would move the first-period retention "
                             f"({b / k:.4f}) outside (0, 1).")
        new = ShiftedBetaGeoModel(**self.get_params())
        new.params_ = pd.Series({"alpha": a - points * k, "beta": b + points * k})
        return new

    def expected_lifetime(self) -> float:
        """E[T] in periods = (alpha + beta - 1) / (alpha - 1); infinite when alpha <= 1."""
        self._check_fitted()
        a, b = self.params_
        return float((a + b - 1) / (a - 1)) if a > 1 else float("inf")

    def discounted_expected_residual_lifetime(
        self,
        discount_rate: float,
        periods_survived: int | ArrayLike = 1,
    ) -> float | np.ndarray:
        """DERL: the expected discounted number of further payments of a customer who has made
        ``periods_survived`` payments (n - 1 renewals), valued just before the next renewal.

        Parameters
        ----------
        discount_rate : float
            Discount rate per period (one contract period), d.
        periods_survived : int or array of int, default=1
            n >= 1: payments made so far (1 = a new customer who has paid once).

        Returns
        -------
        float or array: DERL in payments; multiply by the margin per period for the residual
        value of the customer.

        Notes
        -----
        Fader & Hardie (2010, eq. 6):

        .. math:: DERL(d \\mid n) = \\sum_{t=n}^{\\infty} \\frac{S(t)}{S(n-1)} \\frac{1}{(1+d)^{t-n}}
                  = \\frac{\\beta + n - 1}{\\alpha + \\beta + n - 1}\\,
                  {}_2F_1\\left(1, \\beta + n; \\alpha + \\beta + n; \\frac{1}{1 + d}\\right)

        Timing: the first term (t = n) is the next payment, due at the renewal being decided now,
        and it is **not discounted**; the one after it is discounted one period, and so on. For
        a customer whose churn probability theta is known, DERL = (1 - theta)(1 + d) / (d + theta),
        which is (1 + d) times :func:`fidelia_kit.clv.retention_clv` with margin 1 and retention
        1 - theta: retention_clv values the customer one period earlier (its first margin is
        discounted once).

        The hypergeometric function is evaluated with Gauss's continued fraction (all its partial
        numerators are positive since alpha > 0; modified Lentz algorithm), not with
        ``scipy.special.hyp2f1``, which returns NaN once beta and alpha + beta are large (e.g.
        alpha = 50, beta = 200, d = 0.1, where the sum is 2.96205). The fraction converges for any
        d > 0, in about 1 / sqrt(d) steps (tens at d = 0.1, about 1,200 at d = 1e-4; 2 s at d = 1e-9).

        References
        ----------
        Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a contractual setting:
        the perils of ignoring heterogeneity. Marketing Science 29(1), 85-93.
        """
        self._check_fitted()
        d = check_number("discount_rate", discount_rate, 1e-9, 10)
        n = np.asarray(periods_survived, dtype=float)
        if (n < 1).any():
            raise ValueError("`periods_survived` must be >= 1.")
        a, b = self.params_
        z = 1 / (1 + d)
        f = np.array([_hyp2f1_1bc(b + k, a + b + k, z) for k in n.ravel()]).reshape(n.shape)
        out = (b + n - 1) / (a + b + n - 1) * f
        return float(out) if out.ndim == 0 else out


def membership_durations(memberships: pd.DataFrame, *, as_of: DateLike | None = None, signup_col: str = "signup_date",
                         renewals_col: str = "renewals", cancelled_col: str = "cancelled",
                         cancel_col: str | None = "cancel_date") -> pd.DataFrame:
    """Yearly memberships as sBG durations: how many years each member stayed, or has stayed so far.

    Parameters
    ----------
    memberships : DataFrame
        One row per member with the signup date, the number of renewals and whether the
        membership was cancelled (as the world's ``memberships`` table).
    as_of : date-like, optional
        The first day not observed (exclusive): anniversaries on or after it have not been
        reached. Default: the day after the last signup or cancellation in the table; pass
        the day after the observation window's end when you know it.
    signup_col, renewals_col, cancelled_col : str
        Columns of the signup date, the renewals and the cancelled flag.
    cancel_col : str or None, default="cancel_date"
        Column of the cancellation date, used only for the default ``as_of``.

    Returns
    -------
    DataFrame
        The members observed for at least one full year (their first anniversary came
        before ``as_of``), with their columns plus ``years_observed`` (anniversaries
        before ``as_of``), ``duration`` (years paid: renewals + 1 for a cancelled member,
        else ``years_observed``) and ``censored`` (True while still a member), ready for
        :meth:`ShiftedBetaGeoModel.fit_customers`.

    Raises
    ------
    ValueError
        A missing column, a bad date, negative renewals.

    See Also
    --------
    ShiftedBetaGeoModel.fit_customers : fits these durations.

    Notes
    -----
    A member who signed up on day :math:`s` has reached anniversary :math:`k` when
    :math:`s + k` years :math:`<` ``as_of`` (a 29 February signup has its anniversary on
    28 February in other years). Members observed for less than a year carry no renewal
    decision yet and are left out.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention. Journal of
    Interactive Marketing 21(1), 76-90.

    Examples
    --------
    >>> m = pd.DataFrame({"signup_date": ["2020-03-01", "2021-06-15", "2023-01-10"],
    ...                   "renewals": [1, 2, 0], "cancelled": [True, False, False]})
    >>> membership_durations(m, as_of="2024-01-01")[["years_observed", "duration", "censored"]]
       years_observed  duration  censored
    0               3         2     False
    1               2         2      True
    """
    check_frame("memberships", memberships, [signup_col, renewals_col, cancelled_col])
    signup = as_dates("memberships", signup_col, memberships[signup_col])
    renewals = memberships[renewals_col].to_numpy()
    if not pd.api.types.is_numeric_dtype(memberships[renewals_col]) or (renewals < 0).any():
        raise ValueError(f"`memberships`: column '{renewals_col}' must hold whole numbers >= 0.")
    cancelled = memberships[cancelled_col].astype(bool).to_numpy()
    if as_of is None:
        last = signup.max()
        if cancel_col and cancel_col in memberships:
            last = max(last, pd.to_datetime(memberships[cancel_col]).max())
        as_of = last + pd.Timedelta(days=1)
    else:
        as_of = as_date("as_of", as_of)
    last_day = as_of - pd.Timedelta(days=1)
    month, day = signup.dt.month.to_numpy(), signup.dt.day.to_numpy()
    leap = last_day.is_leap_year
    day = np.where((month == 2) & (day == 29) & (not leap), 28, day)
    reached_this_year = (month < last_day.month) | ((month == last_day.month) & (day <= last_day.day))
    years = (last_day.year - signup.dt.year.to_numpy()) - np.where(reached_this_year, 0, 1)
    years = np.maximum(years, 0)
    out = memberships.assign(years_observed=years,
                             duration=np.where(cancelled, renewals + 1, years),
                             censored=~cancelled)
    return out[out["years_observed"] >= 1]


def observed_renewal_rates(durations: ArrayLike, censored: ArrayLike) -> pd.DataFrame:
    """The renewal rate of each period as observed: of the members whose decision at the end of period
    t was seen, the share who renewed.

    Parameters
    ----------
    durations : array-like of int
        Periods each member paid for (>= 1), as :func:`membership_durations` gives them.
    censored : array-like of bool
        True for a member still active (their duration is a lower bound).

    Returns
    -------
    DataFrame
        One row per period t = 1 .. max duration: ``period``, ``at_risk`` (members whose
        renewal at the end of period t was observed), ``renewed`` and ``renewal_rate``
        (renewed / at_risk; NaN when nobody was at risk).

    Raises
    ------
    ValueError
        Durations that are not whole numbers >= 1, or lengths that differ.

    See Also
    --------
    ShiftedBetaGeoModel.retention_rate : the model's renewal rate, to compare with.

    Notes
    -----
    A cancelled member of duration d left at the end of period d; an active one of duration
    d renewed at the end of periods 1 .. d and was seen no further. So

    .. math:: at\\_risk_t = \\#\\{d_i \\ge t\\}, \\quad
              renewed_t = \\#\\{d_i > t\\} + \\#\\{censored_i, d_i = t\\}

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention. Journal of
    Interactive Marketing 21(1), 76-90.

    Examples
    --------
    >>> observed_renewal_rates([1, 2, 2, 3, 1], [False, False, True, True, True])
       period  at_risk  renewed  renewal_rate
    0       1        5        4      0.800000
    1       2        3        2      0.666667
    2       3        1        1      1.000000
    """
    d = _vector("durations", durations)
    c = np.asarray(censored, dtype=bool).ravel()
    if len(c) != len(d):
        raise ValueError(f"`durations` and `censored` must have the same length; got {len(d)} and {len(c)}.")
    if (d < 1).any() or (d != np.round(d)).any():
        raise ValueError(f"`durations` must be whole numbers of periods >= 1; violated for "
                         f"{int(((d < 1) | (d != np.round(d))).sum())} members.")
    t = np.arange(1, int(d.max()) + 1)
    at_risk = (d[None, :] >= t[:, None]).sum(axis=1)
    renewed = (d[None, :] > t[:, None]).sum(axis=1) + ((d[None, :] == t[:, None]) & c[None, :]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(at_risk > 0, renewed / np.maximum(at_risk, 1), np.nan)
    return pd.DataFrame({"period": t, "at_risk": at_risk, "renewed": renewed, "renewal_rate": rate})


def _hyp2f1_1bc(b: float, c: float, z: float, *, tol: float = 2e-15, max_steps: int = 50_000_000) -> float:
    """2F1(1, b; c; z) for 0 < b < c and 0 <= z < 1, by Gauss's continued fraction

    .. math:: {}_2F_1(1, b; c; z) = \\cfrac{1}{1 - \\cfrac{k_1 z}{1 - \\cfrac{k_2 z}{1 - \\cdots}}}

    with k_{2m+1} = (b+m)(c-1+m) / ((c-1+2m)(c+2m)) and k_{2m} = m(c-b-1+m) / ((c-2+2m)(c-1+2m))
    (Gauss's continued fraction for F(a, b + 1; c + 1; z) / F(a, b; c; z) taken at b = 0, with
    its a as our b; DLMF section 15.7), evaluated forwards by the modified Lentz algorithm.
    Plain floats: near z = 1 it takes many steps, which numpy arrays would slow down tenfold.
    """
    tiny = 1e-300
    f, C, D = 1.0, math.inf, 1.0   # first level 1 / (1 - ...): Lentz started at f = 1, C = 1 / tiny
    for j in range(1, max_steps):
        m, odd = divmod(j, 2)
        if odd:
            k = (b + m) * (c - 1 + m) / ((c - 1 + 2 * m) * (c + 2 * m))
        else:
            k = m * (c - b - 1 + m) / ((c - 2 + 2 * m) * (c - 1 + 2 * m))
        a = -k * z
        D = 1.0 + a * D
        D = 1.0 / (D if D != 0 else tiny)
        C = 1.0 + a / C
        C = C if C != 0 else tiny
        delta = C * D
        f *= delta
        if abs(delta - 1.0) < tol:
            return f
    raise ConvergenceError(f"The continued fraction for 2F1(1, {b}; {c}; {z}) did not converge in {max_steps} steps.")
