"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987), estimated as in Fader, Hardie & Lee (2005).

Story: while alive, purchases arrive as a Poisson process with rate lambda ~ Gamma(r, alpha);
the lifetime is exponential with rate mu ~ Gamma(s, beta). The likelihood needs the Gauss
hypergeometric function; it is evaluated in log space so that customers with hundreds of
purchases stay finite.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Self

import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln, hyp2f1

from ._base import BTYDModel, btyd_inputs, compress_fast, log1mexp, maximize, warm_start

if TYPE_CHECKING:
    from .._typing import ArrayLike


__all__ = ["ParetoNBDModel"]


def _log_term(r, alpha, s, beta, x, t):
    """log of 2F1(r+s+x, b2; r+s+x+1; |alpha-beta| / (max + t)) / (max + t)^(r+s+x), the building
    block of A0 (b2 = s+1 when alpha >= beta, else r+x)."""
    rsx = r + s + x
    big, b2 = (alpha, s + 1) if alpha >= beta else (beta, r + x)
    with np.errstate(divide="ignore"):
        return np.log(hyp2f1(rsx, b2, rsx + 1, abs(alpha - beta) / (big + t))) - rsx * np.log(big + t)


class _PairData:
    """Rows with the distinct (x, t_x) and (x, T) pairs and distinct x and T values."""

    def __init__(self, x, tx, T):
        self.x = x
        i1, u1 = pd.factorize(pd.MultiIndex.from_arrays([x, tx]))
        i2, u2 = pd.factorize(pd.MultiIndex.from_arrays([x, T]))
        self.i1, self.x1, self.tx1 = i1, u1.get_level_values(0).to_numpy(float), u1.get_level_values(1).to_numpy(float)
        self.i2, self.x2, self.T2 = i2, u2.get_level_values(0).to_numpy(float), u2.get_level_values(1).to_numpy(float)
        self.ix, ux = pd.factorize(x)
        self.ux = np.asarray(ux, dtype=float)
        self.iT, uT = pd.factorize(T)
        self.uT = np.asarray(uT, dtype=float)


def _log_a0(r, alpha, s, beta, x, tx, T):
    """log of the A0 term of the likelihood (Fader, Hardie & Lee 2005, 'A note on implementing
    the Pareto/NBD model in MATLAB', eqs. 2-3): the difference of the terms at t_x and at T."""
    f1 = _log_term(r, alpha, s, beta, x, tx)
    f2 = _log_term(r, alpha, s, beta, x, T)
    return f1 + log1mexp(np.minimum(f2 - f1, 0.0))


class ParetoNBDModel(BTYDModel):
    """The Pareto/NBD model of repeat buying (params r, alpha, s, beta).

    Parameters
    ----------
    penalizer : float, default=0.0
        L2 penalty on the parameters added to the mean negative log-likelihood (as lifetimes).
    max_iter : int, default=500
        Iterations of each optimiser run.

    Attributes
    ----------
    params_ : Series
        The estimates (r, alpha, s, beta).
    std_errors_ : Series
        From the Hessian of the log-likelihood at the optimum.
    covariance_ : DataFrame
        The inverse of the observed information.
    log_likelihood_ : float
        Total log-likelihood at the optimum.

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers: who are
    they and what will they do next? Management Science 33(1), 1-24.
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). A note on implementing the Pareto/NBD
    model in MATLAB. http://brucehardie.com/notes/008/

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 0, 1, 3, 10],
    ...                   "recency": [0, 0, 0, 5, 30, 12, 35, 20, 38, 25, 39, 36, 0, 2, 8, 39.0],
    ...                   "T": [40, 38, 30, 40, 39, 40, 38, 40, 40, 39, 40, 40, 20, 35, 30, 40.0]})
    >>> m = ParetoNBDModel().fit(s["frequency"], s["recency"], s["T"])
    >>> list(m.params_.index), bool(m.expected_purchases(52, 10, 39, 40) > m.expected_purchases(52, 1, 2, 35))
    (['r', 'alpha', 's', 'beta'], True)
    """

    _estimate_names = ("r", "alpha", "s", "beta")

    def _ll(self, params, x, tx, T):
        """Per-customer log-likelihood."""
        return self._ll_data(params, _PairData(np.asarray(x, float), np.asarray(tx, float), np.asarray(T, float)))

    def _ll_data(self, params, d):
        r, alpha, s, beta = params
        # the hypergeometric terms depend on (x, t_x) and (x, T) only: evaluate each distinct pair once
        f1 = _log_term(r, alpha, s, beta, d.x1, d.tx1)
        f2 = _log_term(r, alpha, s, beta, d.x2, d.T2)
        g1, g2 = f1[d.i1], f2[d.i2]
        log_a0 = g1 + log1mexp(np.minimum(g2 - g1, 0.0))
        a1 = (gammaln(r + d.ux) - gammaln(r))[d.ix] + r * np.log(alpha) + s * np.log(beta)
        t1 = -(r + d.x) * np.log(alpha + d.uT)[d.iT] - s * np.log(beta + d.uT)[d.iT]
        t2 = np.log(s) - np.log(r + s + d.x) + log_a0
        return a1 + np.logaddexp(t1, t2)

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, *, weights: ArrayLike | None = None) -> Self:
        """Fit by maximum likelihood on log-parameters; returns self.

        The gradient is numerical (central differences), as the hypergeometric function has
        no convenient derivatives in its parameters. On large data an evenly spaced subsample
        of the merged rows (no randomness) gives starting values and curvature; Newton steps then polish on all data.
        """
        self._check_settings()
        x, tx, t, w = btyd_inputs(frequency, recency, T, weights)
        self._check_identifiable(x, tx, t, w)
        xc, txc, tc, wc = compress_fast(x, tx, t, w)
        data = _PairData(xc, txc, tc)
        total = wc.sum()

        def make_objective(d, wts):
            tot = wts.sum()

            def objective(u):
                p = np.exp(u)
                with np.errstate(all="ignore"):
                    val = -(wts @ self._ll_data(p, d)) / tot + self._penalty(p)
                return val if np.isfinite(val) else 1e300
            return objective

        scale = max(float(np.average(t, weights=w)), 1e-3)
        xbar = max(float(np.average(x, weights=w)), 1e-3)
        starts = [(1.0, scale / xbar, 1.0, scale), (0.5, scale / xbar, 0.5, scale / 2), (2.0, scale, 2.0, 2 * scale)]

        def sub_hessian(u, d, wts):
            from statsmodels.tools.numdiff import approx_hess3

            return approx_hess3(u, lambda v: float(wts @ self._ll_data(np.exp(v), d)))

        def value_grad(u):
            with np.errstate(all="ignore"):
                f = float(wc @ self._ll_data(np.exp(u), data))
                g = np.empty(len(u))
                for j in range(len(u)):
                    e = np.zeros(len(u))
                    e[j] = 1e-6
                    g[j] = (float(wc @ self._ll_data(np.exp(u + e), data))
                            - float(wc @ self._ll_data(np.exp(u - e), data))) / 2e-6
            return f, g

        res_x, starts = warm_start(self, (xc, txc, tc), wc, starts, make_data=_PairData, make_objective=make_objective,
                                   sub_hessian=sub_hessian, value_grad=value_grad, jac=None)
        if res_x is None:
            res_x = maximize(make_objective(data, wc), starts, names=self._estimate_names, model="ParetoNBDModel",
                             max_iter=self.max_iter, jac=None).x
        self._store(np.exp(res_x), lambda p: float(wc @ self._ll_data(p, data)), total)
        return self

    def _log_odds_dead(self, x, tx, T):
        r, alpha, s, beta = self.params_
        return (np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + T) + s * np.log(beta + T)
                + _log_a0(r, alpha, s, beta, x, tx, T))

    def expected_purchases(self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
        """E[purchases in (T, T + t] | frequency, recency, T]."""
        self._check_fitted()
        x, tx, T_, _ = btyd_inputs(frequency, recency, T)
        r, alpha, s, beta = self.params_
        t = np.asarray(t, dtype=float)
        p_alive = self._p_alive(x, tx, T_)
        if np.isclose(s, 1.0):
            growth = (beta + T_) * np.log((beta + T_ + t) / (beta + T_))
        else:
            growth = (beta + T_) / (s - 1) * (1 - ((beta + T_) / (beta + T_ + t)) ** (s - 1))
        return (r + x) / (alpha + T_) * growth * p_alive

    def expected_purchases_new(self, t: ArrayLike) -> np.ndarray:
        """E[purchases in (0, t]] for a new customer."""
        self._check_fitted()
        r, alpha, s, beta = self.params_
        t = np.asarray(t, dtype=float)
        if np.isclose(s, 1.0):
            return r * beta / alpha * np.log((beta + t) / beta)
        return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))

    def probability_of_n_purchases(self, t: ArrayLike, n: ArrayLike) -> np.ndarray:
        """P(X(t) = n) for a new customer (Fader, Hardie & Lee 2006, note 012, eq. 7)."""
        self._check_fitted()
        r, alpha, s, beta = self.params_
        t = float(t)
        ns = np.atleast_1d(np.asarray(n, dtype=int))
        out = np.empty(len(ns))
        for k, x in enumerate(ns):
            first = np.exp(gammaln(r + x) - gammaln(r) - gammaln(x + 1) + r * np.log(alpha / (alpha + t))
                           + x * np.log(t / (alpha + t)) + s * np.log(beta / (beta + t)))
            if alpha >= beta:
                big, b2, diff = alpha, s + 1, alpha - beta
            else:
                big, b2, diff = beta, r + x, beta - alpha
            log_b1 = np.log(hyp2f1(r + s, b2, r + s + x + 1, diff / big)) - (r + s) * np.log(big)
            j = np.arange(x + 1)
            log_b2 = (np.log(hyp2f1(r + s + j, b2, r + s + x + 1, diff / (big + t)))
                      - (r + s + j) * np.log(big + t))
            log_terms = gammaln(r + s + j) - gammaln(r + s) - gammaln(j + 1) + j * np.log(t) + log_b2
            bracket = np.exp(log_b1) - np.exp(log_terms).sum()
            lead = np.exp(r * np.log(alpha) + s * np.log(beta) + betaln(r + x, s + 1) - betaln(r, s))
            out[k] = first + lead * bracket
        return out if np.ndim(n) else out[0]
