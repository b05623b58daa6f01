"""Shared machinery of the CLV models: input checks, compression, maximisation, standard errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..exceptions import ConvergenceError, NotFittedError

__all__ = ["BaseModel", "btyd_inputs", "compress", "maximize", "hessian_se", "log1mexp"]


def _vector(name, values) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel() if not isinstance(values, (pd.Series, pd.Index)) \
        else np.asarray(values.to_numpy(dtype=float))
    if arr.size == 0:
        raise ValueError(f"`{name}` is empty.")
    if not np.isfinite(arr).all():
        raise ValueError(f"`{name}` has {int((~np.isfinite(arr)).sum())} missing or infinite value(s).")
    return arr


def btyd_inputs(frequency, recency, T, weights=None, *, integer_frequency=True):
    """Check (frequency, recency, T[, weights]) and return them as float arrays.

    Rules: frequency >= 0 (whole numbers), 0 <= recency <= T, recency = 0 when frequency = 0.
    """
    x, tx, t = _vector("frequency", frequency), _vector("recency", recency), _vector("T", T)
    if not (len(x) == len(tx) == len(t)):
        raise ValueError(f"`frequency`, `recency` and `T` must have the same length; got {len(x)}, {len(tx)}, {len(t)}.")
    if (x < 0).any() or (integer_frequency and (x != np.round(x)).any()):
        raise ValueError(f"`frequency` must be whole numbers >= 0; violated for {int(((x < 0) | (x != np.round(x))).sum())} customers.")
    if (tx < 0).any():
        raise ValueError(f"`recency` must be >= 0; violated for {int((tx < 0).sum())} customers.")
    if (tx > t).any():
        raise ValueError(f"`recency` must be <= `T`; violated for {int((tx > t).sum())} customers.")
    if ((x == 0) & (tx != 0)).any():
        raise ValueError(f"`recency` must be 0 when `frequency` is 0; violated for {int(((x == 0) & (tx != 0)).sum())} customers.")
    if (t < 0).any():
        raise ValueError(f"`T` must be >= 0; violated for {int((t < 0).sum())} customers.")
    if weights is None:
        w = np.ones_like(x)
    else:
        w = _vector("weights", weights)
        if len(w) != len(x):
            raise ValueError(f"`weights` must have one value per customer ({len(x)}); got {len(w)}.")
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError("`weights` must be >= 0 and not all 0.")
    return x, tx, t, w


def compress(*columns, weights):
    """Merge identical rows, adding their weights (the likelihood is a sum over customers)."""
    df = pd.DataFrame({f"c{i}": c for i, c in enumerate(columns)})
    df["w"] = weights
    g = df.groupby([f"c{i}" for i in range(len(columns))], sort=False)["w"].sum().reset_index()
    return tuple(g[f"c{i}"].to_numpy() for i in range(len(columns))) + (g["w"].to_numpy(),)


def log1mexp(a):
    """log(1 - exp(a)) for a <= 0, accurate near 0 and for very negative a."""
    a = np.asarray(a, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > -np.log(2), np.log(-np.expm1(a)), np.log1p(-np.exp(a)))


def maximize(neg_mean_ll, starts, *, names, model, max_iter=500, jac=True):
    """Minimise a mean negative log-likelihood over log-parameters, from several starts.

    ``neg_mean_ll(log_params)`` returns the value (and its gradient when ``jac``). The
    best successful run wins; if none converges, ConvergenceError carries every
    optimiser message and the starting values tried.
    """
    runs = []

    def converged(res):
        if not np.isfinite(res.fun):
            return False
        if res.success:
            return True
        # L-BFGS-B stops 'ABNORMAL' when the line search cannot improve at machine precision;
        # that is an optimum if the gradient is flat there
        grad = getattr(res, "jac", None)
        return "ABNORMAL" in str(res.message) and grad is not None and np.max(np.abs(grad)) < 1e-5

    for start in starts:
        x0 = np.log(np.asarray(start, dtype=float))
        with np.errstate(all="ignore"):
            res = optimize.minimize(neg_mean_ll, x0, jac=jac, method="L-BFGS-B",
                                    options={"maxiter": max_iter, "ftol": 1e-13, "gtol": 1e-9})
        runs.append((start, res))
        if converged(res):
            break
    good = [(s, r) for s, r in runs if converged(r)]
    if not good:
        # polish the best point with Nelder-Mead, which needs no line search
        start, best = min(runs, key=lambda sr: sr[1].fun if np.isfinite(sr[1].fun) else np.inf)
        fun = (lambda u: neg_mean_ll(u)[0]) if jac else neg_mean_ll
        with np.errstate(all="ignore"):
            res = optimize.minimize(fun, best.x, method="Nelder-Mead",
                                    options={"maxiter": max_iter * 10, "xatol": 1e-10, "fatol": 1e-13})
        runs.append((np.exp(best.x), res))
        if res.success and np.isfinite(res.fun):
            good = [(start, res)]
    if not good:
        tried = "; ".join(f"start {dict(zip(names, [round(float(v), 4) for v in s]))}: {r.message}" for s, r in runs)
        raise ConvergenceError(f"{model} did not converge. {tried}", result=runs[-1][1])
    return min(good, key=lambda sr: sr[1].fun)[1]


def hessian_se(total_ll, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standard errors from the Hessian of the total log-likelihood at the optimum.

    The Hessian is taken numerically (statsmodels' ``approx_hess3``, central differences)
    in the natural parameters; the covariance is the inverse of the observed information.
    """
    from statsmodels.tools.numdiff import approx_hess3

    with np.errstate(all="ignore"):
        H = approx_hess3(params, total_ll)
    try:
        cov = np.linalg.inv(-H)
        se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        cov = np.full_like(H, np.nan)
        se = np.full(len(params), np.nan)
    return se, cov


class BaseModel:
    """scikit-learn-style base: settings in __init__, estimates in trailing-underscore attributes."""

    _param_names: tuple = ()

    def __init__(self, *, penalizer: float = 0.0, max_iter: int = 500):
        self.penalizer = penalizer
        self.max_iter = max_iter

    def __repr__(self):
        if hasattr(self, "params_"):
            inner = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
            return f"{type(self).__name__}({inner})"
        return f"{type(self).__name__}(not fitted)"

    def _check_fitted(self):
        if not hasattr(self, "params_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit(...) first.")

    def _store(self, params, total_ll, n):
        self.params_ = pd.Series(params, index=list(self._param_names), dtype=float)
        se, cov = hessian_se(total_ll, np.asarray(params, dtype=float))
        self.std_errors_ = pd.Series(se, index=list(self._param_names))
        self.covariance_ = pd.DataFrame(cov, index=list(self._param_names), columns=list(self._param_names))
        self.log_likelihood_ = float(total_ll(np.asarray(params, dtype=float)))
        self.n_customers_ = float(n)

    def summary(self, ci: float = 0.95) -> pd.DataFrame:
        """Estimates with standard errors and confidence intervals.

        Intervals are built on the log scale (``exp(log(est) +- z SE/est)``), so they stay
        positive as the parameters must.
        """
        self._check_fitted()
        z = stats.norm.isf((1 - ci) / 2)
        est, se = self.params_, self.std_errors_
        half = z * se / est
        return pd.DataFrame({"estimate": est, "se": se, "ci_low": est * np.exp(-half), "ci_high": est * np.exp(half)})

    def _penalty(self, params):
        return self.penalizer * np.sum(params**2)
