"""BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel & Filiztekin 2007).

Story: while alive, a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha);
after each repeat purchase (BG/NBD) -- or after each purchase and at time 0 too (MBG/NBD) --
they leave for good with probability p ~ Beta(a, b). Maximum likelihood with analytic
gradients on log-parameters; identical (frequency, recency, T) rows are merged into weights.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Self

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import betaln, digamma, gammaln, hyp2f1

from ._base import BTYDModel, btyd_inputs, compress_fast, log_hessian, maximize, warm_start

if TYPE_CHECKING:
    from .._typing import ArrayLike


__all__ = ["BetaGeoModel", "ModifiedBetaGeoModel"]


class _Factorized:
    """(frequency, recency, T) with the distinct values of each, and where each row's value sits."""

    def __init__(self, x, tx, T):
        self.x = np.asarray(x, dtype=float)
        ix, ux = pd.factorize(self.x)
        itx, utx = pd.factorize(np.asarray(tx, dtype=float))
        iT, uT = pd.factorize(np.asarray(T, dtype=float))
        self.ix, self.ux = ix, np.asarray(ux, dtype=float)
        self.itx, self.utx = itx, np.asarray(utx, dtype=float)
        self.iT, self.uT = iT, np.asarray(uT, dtype=float)


class BetaGeoModel(BTYDModel):
    """The BG/NBD model of repeat buying (params r, alpha, a, b).

    Parameters
    ----------
    penalizer : float, default=0.0
        L2 penalty on the parameters added to the mean negative log-likelihood (as lifetimes).
    max_iter : int, default=500
        Iterations of each optimiser run.

    Attributes
    ----------
    params_ : Series
        The estimates (r, alpha, a, b).
    std_errors_ : Series
        From the Hessian of the log-likelihood at the optimum.
    covariance_ : DataFrame
        The inverse of the observed information.
    log_likelihood_ : float
        Total log-likelihood at the optimum.

    Raises
    ------
    ValueError
        From ``fit``: data that break the summary's rules or cannot identify the model.
    ConvergenceError
        From ``fit``: no optimiser run converged.
    NotFittedError
        A prediction before ``fit``.

    See Also
    --------
    ModifiedBetaGeoModel, ParetoNBDModel, summarize_transactions

    Notes
    -----
    The likelihood of a customer with x repeat purchases, the last at :math:`t_x`, observed for T:

    .. math:: L = \\frac{B(a, b + x)}{B(a, b)} \\frac{\\Gamma(r + x) \\alpha^r}{\\Gamma(r)(\\alpha + T)^{r + x}}
              + \\delta_{x > 0} \\frac{B(a + 1, b + x - 1)}{B(a, b)}
              \\frac{\\Gamma(r + x) \\alpha^r}{\\Gamma(r)(\\alpha + t_x)^{r + x}}

    ``alpha`` is in the summary's time unit (weeks with ``freq="W"``).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
    way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 0, 1, 3, 10],
    ...                   "recency": [0, 0, 0, 5, 30, 12, 35, 20, 38, 25, 39, 36, 0, 2, 8, 39.0],
    ...                   "T": [40, 38, 30, 40, 39, 40, 38, 40, 40, 39, 40, 40, 20, 35, 30, 40.0]})
    >>> bg = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    >>> bg.params_.round(2).to_dict()
    {'r': 1.26, 'alpha': 13.06, 'a': 0.28, 'b': 1.92}
    >>> bg.get_params()
    {'penalizer': 0.0, 'max_iter': 500}
    """

    _estimate_names = ("r", "alpha", "a", "b")
    _modified = False

    # --- likelihood -------------------------------------------------------------------
    def _ll_grad(self, params, x, tx, T):
        """Per-customer log-likelihood and its gradient (4 x n) in the natural parameters."""
        data = _Factorized(x, tx, T)
        ll, parts = self._ll_parts(params, data)
        return ll, np.vstack([parts[k] for k in ("r", "alpha", "a", "b")])

    def _ll_parts(self, params, data):
        """Log-likelihood per row and the per-row gradient terms, computing every function of
        x, T or t_x alone once per distinct value (few distinct values, many rows)."""
        r, alpha, a, b = params
        m = 1.0 if self._modified else 0.0
        ux, ix = data.ux, data.ix
        has4_u = (ux > 0) if not self._modified else np.ones_like(ux, dtype=bool)
        bx_u = np.where(has4_u, b + ux - 1 + m, 1.0)
        A12_u = (gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + ux + m)
                 - gammaln(b) - gammaln(a + b + ux + m))
        logaT = np.log(alpha + data.uT)[data.iT]
        logat = np.log(alpha + data.utx)[data.itx]
        rx = r + data.x
        A3 = -rx * logaT
        A4 = np.where(has4_u[ix], (np.log(a) - np.log(bx_u))[ix] - rx * logat, -np.inf)
        lse = np.logaddexp(A3, A4)
        ll = A12_u[ix] + lse
        w3 = np.exp(A3 - lse)
        w4 = np.exp(A4 - lse)
        inv_aT = (1.0 / (alpha + data.uT))[data.iT]
        inv_at = (1.0 / (alpha + data.utx))[data.itx]
        parts = {
            "r": (digamma(r + ux) - digamma(r) + np.log(alpha))[ix] - w3 * logaT - w4 * logat,
            "alpha": r / alpha - rx * (w3 * inv_aT + w4 * inv_at),
            "a": (digamma(a + b) - digamma(a + b + ux + m))[ix] + w4 / a,
            "b": (digamma(a + b) + digamma(b + ux + m) - digamma(b) - digamma(a + b + ux + m))[ix] - w4 / bx_u[ix],
        }
        return ll, parts

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, *, weights: ArrayLike | None = None) -> Self:
        """Fit by maximum likelihood; returns self.

        Identical customers are merged into weights; on large data an evenly spaced
        subsample of the merged rows (no randomness) gives the starting values, then the full
        data polishes them. Standard errors come from the Hessian (central differences of the
        analytic gradient).
        """
        self._check_settings()
        x, tx, t, w = btyd_inputs(frequency, recency, T, weights)
        self._check_identifiable(x, tx, t, w)
        xc, txc, tc, wc = compress_fast(x, tx, t, w)
        data = _Factorized(xc, txc, tc)
        names = self._estimate_names

        def make_objective(d, wts):
            total = wts.sum()

            def objective(u):
                p = np.exp(u)
                ll, parts = self._ll_parts(p, d)
                grad = np.array([wts @ parts[k] for k in names])
                return -(wts @ ll) / total + self._penalty(p), -grad / total * p + 2 * self.penalizer * p**2
            return objective

        scale = max(float(np.average(t, weights=w)), 1e-3) / max(float(np.average(x, weights=w)) + 1.0, 1.0)
        starts = [(1.0, scale, 1.0, 1.0), (0.5, scale, 0.5, 2.0), (2.0, 0.2 * scale, 2.0, 5.0)]

        cache = {}

        def evaluate(p):
            """Total log-likelihood and gradient on all rows; the last point is remembered, so the
            optimum's value and gradient are not computed twice."""
            key = p.tobytes()
            if key not in cache:
                ll, parts = self._ll_parts(p, data)
                cache.clear()
                cache[key] = (float(wc @ ll), np.array([wc @ parts[k] for k in names]))
            return cache[key]

        def total_grad(p):
            return evaluate(p)[1]

        def sub_hessian(u, d, wts):
            return log_hessian(lambda p: np.array([wts @ part for part in self._ll_parts(p, d)[1].values()]), np.exp(u))

        def value_grad(u):
            p = np.exp(u)
            f, g = evaluate(p)
            return f, g * p

        res_x, starts = warm_start(self, (xc, txc, tc), wc, starts, make_data=_Factorized, make_objective=make_objective,
                                   sub_hessian=sub_hessian, value_grad=value_grad)
        if res_x is None:
            res_x = maximize(make_objective(data, wc), starts, names=names, model=type(self).__name__,
                             max_iter=self.max_iter).x

        self._store(np.exp(res_x), lambda p: evaluate(p)[0], wc.sum(), total_grad)
        return self

    # --- predictions ----------------------------------------------------------------------
    def _log_odds_dead(self, x, tx, T):
        r, alpha, a, b = self.params_
        m = 1.0 if self._modified else 0.0
        has = (x > 0) if not self._modified else np.ones_like(x, dtype=bool)
        bx = np.where(has, b + x - 1 + m, 1.0)
        lo = np.log(a) - np.log(bx) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return np.where(has, lo, -np.inf)

    def expected_purchases(self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
        """E[purchases in (T, T + t] | frequency, recency, T] for each customer."""
        self._check_fitted()
        x, tx, T_, _ = btyd_inputs(frequency, recency, T)
        r, alpha, a, b = self.params_
        t = np.asarray(t, dtype=float)
        z = t / (alpha + T_ + t)
        # Euler's transformation keeps the hypergeometric term finite for hundreds of purchases:
        # ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+m; a+b+x-1+2m; z) = (1-z)^(a-1) 2F1(a+b-1+m-r, a-1; c; z)
        m = 1.0 if self._modified else 0.0
        c = a + b + x - 1 + 2 * m - m  # BG/NBD: a+b+x-1; MBG/NBD: a+b+x
        term = (1 - z) ** (a - 1) * hyp2f1(c - x - r, a - 1, c, z)
        lead = c / (a - 1)
        p_alive = self._p_alive(x, tx, T_)
        return lead * (1 - term) * p_alive

    def expected_purchases_new(self, t: ArrayLike) -> np.ndarray:
        """E[purchases in (0, t]] for a new customer (repeat purchases after the first)."""
        self._check_fitted()
        r, alpha, a, b = self.params_
        t = np.asarray(t, dtype=float)
        z = t / (alpha + t)
        if self._modified:
            return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, z))
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))

    def probability_of_n_purchases(self, t: ArrayLike, n: ArrayLike) -> np.ndarray:
        """P(X(t) = n): a new customer makes exactly n repeat purchases in (0, t]."""
        self._check_fitted()
        r, alpha, a, b = self.params_
        n = np.asarray(n, dtype=float)
        t = np.asarray(t, dtype=float)
        q = alpha / (alpha + t)
        pmf = stats.nbinom.pmf(n, r, q)
        if self._modified:
            # left at time 0 (X = 0), alive at t after n purchases, or left right after the n-th
            first = np.exp(betaln(a, b + n + 1) - betaln(a, b)) * pmf
            second = np.where(n > 0, np.exp(betaln(a + 1, b + n) - betaln(a, b)) * stats.nbinom.sf(n - 1, r, q),
                              a / (a + b))
            return first + second
        first = np.exp(betaln(a, b + n) - betaln(a, b)) * pmf
        second = np.where(n > 0, np.exp(betaln(a + 1, b + np.maximum(n, 1) - 1) - betaln(a, b))
                          * stats.nbinom.sf(n - 1, r, q), 0.0)
        return first + second


class ModifiedBetaGeoModel(BetaGeoModel):
    """The MBG/NBD model: like BG/NBD, but a customer may also leave right after the first
    purchase, so customers with no repeat purchase are not assumed alive (params r, alpha, a, b).

    References
    ----------
    Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and comparison of
    models for customer base analysis. International Journal of Research in Marketing 24, 201-209.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 0, 1, 3, 10],
    ...                   "recency": [0, 0, 0, 5, 30, 12, 35, 20, 38, 25, 39, 36, 0, 2, 8, 39.0],
    ...                   "T": [40, 38, 30, 40, 39, 40, 38, 40, 40, 39, 40, 40, 20, 35, 30, 40.0]})
    >>> m = ModifiedBetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    >>> bool(m.probability_alive(0, 0, 40) < 1)    # unlike BG/NBD, a one-time buyer may have left
    True
    """

    _modified = True
