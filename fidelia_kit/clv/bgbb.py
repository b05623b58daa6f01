"""BG/BB: the discrete-time beta-geometric/beta-binomial model (Fader, Hardie & Shang 2010).

For 'opportunities' that come at fixed times (a yearly donation, an annual event): while
alive, a customer transacts at each opportunity with probability p ~ Beta(alpha, beta); before
each opportunity they leave with probability theta ~ Beta(gamma, delta).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Self

import numpy as np
from scipy.special import betaln, gammaln

from .._validation import check_weights
from ._base import BaseModel, _vector, compress, maximize

if TYPE_CHECKING:
    from .._typing import ArrayLike


__all__ = ["BetaGeoBetaBinomModel"]


def _bgbb_inputs(frequency, recency, n_periods, weights=None):
    x, tx, n = _vector("frequency", frequency), _vector("recency", recency), _vector("n_periods", n_periods)
    if not (len(x) == len(tx) == len(n)):
        raise ValueError("`frequency`, `recency` and `n_periods` must have the same length.")
    for name, arr in (("frequency", x), ("recency", tx), ("n_periods", n)):
        if (arr < 0).any() or (arr != np.round(arr)).any():
            raise ValueError(f"`{name}` must be whole numbers >= 0.")
    if (x > tx).any() or (tx > n).any():
        raise ValueError(f"BG/BB needs frequency <= recency <= n_periods; violated for "
                         f"{int(((x > tx) | (tx > n)).sum())} rows.")
    if ((x == 0) & (tx != 0)).any():
        raise ValueError("`recency` must be 0 when `frequency` is 0.")
    w = np.ones_like(x) if weights is None else check_weights("weights", weights, len(x), per="customer")
    return x, tx, n, w


def _log_terms(params, x, tx, n):
    """The log of each term of the BG/BB likelihood: alive through n, and each possible death time."""
    alpha, beta, gamma, delta = params
    alive = betaln(alpha + x, beta + n - x) - betaln(alpha, beta) + betaln(gamma, delta + n) - betaln(gamma, delta)
    imax = int(np.max(n - tx)) if len(n) else 0
    i = np.arange(imax)[None, :]
    valid = i < (n - tx)[:, None]
    dead = (betaln(alpha + x[:, None], beta + tx[:, None] - x[:, None] + i) - betaln(alpha, beta)
            + betaln(gamma + 1, delta + tx[:, None] + i) - betaln(gamma, delta))
    dead = np.where(valid, dead, -np.inf)
    return alive, dead


class BetaGeoBetaBinomModel(BaseModel):
    """BG/BB model (params alpha, beta, gamma, delta) for discrete opportunities.

    ``fit(frequency, recency, n_periods)``: transactions in the n opportunities, the last
    opportunity with a transaction, and the number of opportunities.

    Parameters
    ----------
    penalizer : float, default=0.0
        L2 penalty on the parameters added to the mean negative log-likelihood (as lifetimes).
    max_iter : int, default=500
        Iterations of each optimiser run.

    Attributes
    ----------
    params_ : Series
        The estimates (alpha, beta, gamma, delta).
    std_errors_ : Series
        From the Hessian of the log-likelihood at the optimum.
    covariance_ : DataFrame
        The inverse of the observed information.
    log_likelihood_ : float
        Total log-likelihood at the optimum.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base analysis in a
    discrete-time noncontractual setting. Marketing Science 29(6), 1086-1108.

    Examples
    --------
    >>> x, tx, n = [0, 1, 2, 3, 4, 5, 6, 2, 1, 6], [0, 1, 4, 5, 6, 6, 6, 3, 5, 6], [6] * 10
    >>> m = BetaGeoBetaBinomModel().fit(x, tx, n, weights=[30, 10, 8, 7, 9, 12, 20, 6, 5, 15])
    >>> p = m.probability_alive(x, tx, n)
    >>> bool(p[6] > p[1])            # six of six beats one long ago
    True
    """

    _estimate_names = ("alpha", "beta", "gamma", "delta")
    _warn_at_edge = True

    def _ll(self, params, x, tx, n):
        alive, dead = _log_terms(params, x, tx, n)
        return np.logaddexp(alive, np.logaddexp.reduce(dead, axis=1) if dead.shape[1] else -np.inf)

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        n_periods: ArrayLike,
        *,
        weights: ArrayLike | None = None,
    ) -> Self:
        """Fit by maximum likelihood; returns self."""
        self._check_settings()
        x, tx, n, w = _bgbb_inputs(frequency, recency, n_periods, weights)
        self._check_identifiable(x, tx, n, w, age="n_periods")
        xc, txc, nc, wc = compress(x, tx, n, weights=w)
        total = wc.sum()

        def objective(u):
            p = np.exp(u)
            with np.errstate(all="ignore"):
                val = -(wc @ self._ll(p, xc, txc, nc)) / total + self._penalty(p)
            return val if np.isfinite(val) else 1e300

        starts = [(1.0, 1.0, 1.0, 1.0), (0.5, 0.5, 0.5, 2.0), (2.0, 1.0, 1.0, 5.0)]
        res = maximize(objective, starts, names=self._estimate_names, model="BetaGeoBetaBinomModel",
                       max_iter=self.max_iter, jac=None)
        self._store(np.exp(res.x), lambda p: float(wc @ self._ll(p, xc, txc, nc)), total)
        return self

    def probability_alive(self, frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike) -> np.ndarray:
        """P(alive at opportunity n + 1 | history)."""
        self._check_fitted()
        x, tx, n, _ = _bgbb_inputs(frequency, recency, n_periods)
        alpha, beta, gamma, delta = self.params_
        log_l = self._ll(self.params_.to_numpy(), x, tx, n)
        num = betaln(alpha + x, beta + n - x) - betaln(alpha, beta) + betaln(gamma, delta + n + 1) - betaln(gamma, delta)
        return np.exp(num - log_l)

    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        n_periods: ArrayLike,
    ) -> np.ndarray:
        """E[transactions in the next t opportunities | history] (FHS 2010, eq. 13)."""
        self._check_fitted()
        x, tx, n, _ = _bgbb_inputs(frequency, recency, n_periods)
        alpha, beta, gamma, delta = self.params_
        log_l = self._ll(self.params_.to_numpy(), x, tx, n)
        lead = betaln(alpha + x + 1, beta + n - x) - betaln(alpha, beta) - log_l
        bracket = np.exp(gammaln(1 + delta + n) - gammaln(gamma + delta + n)) \
            - np.exp(gammaln(1 + delta + n + t) - gammaln(gamma + delta + n + t))
        return np.exp(lead) * delta / (gamma - 1) * np.exp(gammaln(gamma + delta) - gammaln(1 + delta)) * bracket

    def expected_purchases_new(self, t: ArrayLike) -> np.ndarray:
        """E[transactions in the first t opportunities] for a new customer (FHS 2010, eq. 9)."""
        self._check_fitted()
        alpha, beta, gamma, delta = self.params_
        t = np.asarray(t, dtype=float)
        return alpha / (alpha + beta) * delta / (gamma - 1) * (
            1 - np.exp(gammaln(gamma + delta) - gammaln(gamma + delta + t) + gammaln(1 + delta + t) - gammaln(1 + delta)))

    def probability_of_n_purchases(self, t: int, n: ArrayLike) -> np.ndarray:
        """P(X(t) = n): exactly n transactions in the first t opportunities (FHS 2010, eq. 8)."""
        self._check_fitted()
        alpha, beta, gamma, delta = self.params_
        t = int(t)
        ns = np.atleast_1d(np.asarray(n, dtype=int))
        out = np.empty(len(ns))
        for k, x in enumerate(ns):
            log_c = gammaln(t + 1) - gammaln(x + 1) - gammaln(t - x + 1) if x <= t else -np.inf
            total = np.exp(log_c + betaln(alpha + x, beta + t - x) - betaln(alpha, beta)
                           + betaln(gamma, delta + t) - betaln(gamma, delta)) if x <= t else 0.0
            for i in range(x, t):
                total += np.exp(gammaln(i + 1) - gammaln(x + 1) - gammaln(i - x + 1)
                                + betaln(alpha + x, beta + i - x) - betaln(alpha, beta)
                                + betaln(gamma + 1, delta + i) - betaln(gamma, delta))
            out[k] = total
        return out if np.ndim(n) else out[0]
