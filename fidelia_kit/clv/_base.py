"""Shared machinery of the CLV models: input checks, compression, maximisation, standard errors."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._estimator import ParamsMixin
from .._groups import fits_int64, pack_keys, sorted_groups, unpack_keys
from .._validation import check_int, check_number, check_weights
from ..exceptions import ConvergenceError, NotFittedError

if TYPE_CHECKING:
    from .._typing import ArrayLike

__all__ = ["BaseModel", "BTYDModel", "btyd_inputs", "compress", "compress_fast", "maximize", "hessian_se", "hessian_from_gradient",
           "warm_start_rows", "warm_start", "newton_polish", "log_hessian", "log1mexp"]


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
    w = np.ones_like(x) if weights is None else check_weights("weights", weights, len(x), per="customer")
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


def maximize(neg_mean_ll, starts, *, names, model, max_iter=500, jac=True, rough=False):
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
                                    options={"maxiter": max_iter, "ftol": 1e-9 if rough else 1e-13,
                                             "gtol": 1e-6 if rough else 1e-9})
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
        last = np.exp(np.asarray(runs[-1][1].x, dtype=float))
        edge = ", ".join(f"{k}={v:.3g}" for k, v in zip(names, last) if not (1e-6 < v < 1e6))
        why = (f" The search ran to the edge of the parameter space ({edge}): the data cannot pin the parameters "
               f"down (too few customers, too little difference between them, or a model that does not fit them)."
               if edge else "")
        raise ConvergenceError(f"{model} did not converge. {tried}.{why}", result=runs[-1][1])
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


class BaseModel(ParamsMixin):
    """scikit-learn-style base: settings in __init__ (keyword-only), estimates in trailing-underscore
    attributes; ``get_params``/``set_params`` and :func:`fidelia_kit._estimator.clone` from ParamsMixin."""

    _estimate_names: tuple = ()   # the model's parameters (r, alpha, ...); its settings are __init__'s arguments
    _warn_at_edge = False   # repeat-purchase models: warn when the fit ends beyond 1e-6 .. 1e6 (see _store)

    def __init__(self, *, penalizer: float = 0.0, max_iter: int = 500) -> None:
        self.penalizer = penalizer
        self.max_iter = max_iter

    def __repr__(self):
        if hasattr(self, "params_"):
            inner = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
            return f"{type(self).__name__}({inner})"
        return f"{type(self).__name__}(not fitted)"

    def _check_settings(self) -> None:
        """Validate the settings at the start of ``fit`` (``__init__`` only stores them)."""
        check_number("penalizer", self.penalizer, 0.0, 1e6)
        check_int("max_iter", self.max_iter, 1, 10**7)

    def _check_fitted(self):
        if not hasattr(self, "params_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit(...) first.")

    def _store(self, params, total_ll, n, total_grad=None):
        self.params_ = pd.Series(params, index=list(self._estimate_names), dtype=float)
        p = np.asarray(params, dtype=float)
        self.log_likelihood_ = float(total_ll(p))
        se, cov = hessian_from_gradient(total_grad, p) if total_grad is not None else hessian_se(total_ll, p)
        self.std_errors_ = pd.Series(se, index=list(self._estimate_names))
        self.covariance_ = pd.DataFrame(cov, index=list(self._estimate_names), columns=list(self._estimate_names))
        self.n_customers_ = float(n)
        edge = {k: v for k, v in self.params_.items() if not (1e-6 < v < 1e6)}
        if edge and self._warn_at_edge:
            import warnings

            shown = ", ".join(f"{k}={v:.3g}" for k, v in edge.items())
            warnings.warn(f"{type(self).__name__}: the fit ended at the edge of the parameter space ({shown}): the data "
                          f"cannot pin the parameters down (too few customers, too little difference between them, "
                          f"or a model that does not fit them), so its predictions are not to be trusted.",
                          UserWarning, stacklevel=3)

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

    def _check_identifiable(self, x, tx, T, w, *, age: str = "T") -> None:
        """Refuse data from which no fit can identify a repeat-purchase model's parameters.

        Shared by every BTYD ``fit`` (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB): the likelihood of
        such data has its maximum at the edge of the parameter space (a rate of 0, a
        heterogeneity that cannot be told apart), so the optimiser returns meaningless values.
        Only customers with a positive weight count.
        """
        name = type(self).__name__
        used = w > 0
        x, tx, T = x[used], tx[used], T[used]
        if not (T > 0).any():
            raise ValueError(f"{name}: `{age}` is 0 for every customer: nobody was observed for any time, so "
                             f"nothing can be learnt about purchases.")
        if not (x > 0).any():
            raise ValueError(f"{name}: `frequency` is 0 for every customer ({len(x)}): with no repeat purchase "
                             f"the purchase rate and the dropout cannot be estimated.")
        self._check_histories({"frequency": x, "recency": tx, age: T}, np.ones_like(x))

    def _check_histories(self, columns: dict, w) -> None:
        """A model with k parameters needs customers with at least k different histories (rows of ``columns``).

        One customer, or many identical ones, cannot show how customers differ, which is
        what the mixing distributions' parameters describe. Customers of weight 0 do not count.
        """
        used = np.asarray(w) > 0
        k = len(self._estimate_names)
        histories = len(pd.DataFrame({c: np.asarray(v)[used] for c, v in columns.items()}).drop_duplicates())
        if histories < k:
            names = ", ".join(f"`{c}`" for c in columns)
            raise ValueError(f"{type(self).__name__} has {k} parameters and needs customers with at least {k} "
                             f"different histories ({names}); got {int(used.sum())} customer(s) with {histories} "
                             f"different one(s), which cannot tell how customers differ.")


def compress_fast(x, tx, T, weights):
    """:func:`compress` for (frequency, recency, T), with a sort-based path for whole numbers
    (daily or weekly data), several times faster than grouping floats at a million rows."""
    whole = np.all(x == np.round(x)) and np.all(tx == np.round(tx)) and np.all(T == np.round(T))
    if whole and len(x) and fits_int64(*(np.ptp(c) + 1 for c in (x, tx, T))):
        key, layout = pack_keys(x, tx, T)
        groups = sorted_groups(key)
        xc, txc, Tc = unpack_keys(groups.keys, layout)
        return xc.astype(float), txc.astype(float), Tc.astype(float), groups.sum(weights)
    return compress(x, tx, T, weights=weights)


def warm_start_rows(n_rows: int, limit: int = 50_000) -> np.ndarray | None:
    """Rows of an evenly spaced subsample used to find starting values on large data (None: use all).

    Deterministic, with no randomness: every ``n_rows / limit``-th row. The compressed rows
    come sorted by (frequency, recency, T), so the subsample is stratified along them.
    """
    if n_rows <= 2 * limit:
        return None
    return np.unique(np.linspace(0, n_rows - 1, limit).round().astype(np.int64))


def warm_start(model, rows: tuple, weights: np.ndarray, starts: list, *, make_data, make_objective, sub_hessian,
               value_grad, jac=True):
    """The large-data path shared by BG/NBD and Pareto/NBD: fit an evenly spaced subsample of the
    compressed ``rows``, then polish on all of them with Newton steps that reuse the subsample's
    curvature scaled to the full weight.

    ``make_data(*rows)`` prepares rows for ``make_objective(data, weights)`` (the mean negative
    log-likelihood in log-parameters); ``sub_hessian(u, data, weights)`` is the Hessian of the
    subsample's total log-likelihood at log-parameters ``u``; ``value_grad(u)`` the full total
    log-likelihood and its gradient. Returns ``(log-parameters or None, starts)``: None when the
    data are small, penalised or the polish fails (the caller then maximises from ``starts``,
    which lead with the subsample's estimate).
    """
    sub = warm_start_rows(len(weights))
    if sub is None:
        return None, starts
    sd, sw = make_data(*(r[sub] for r in rows)), weights[sub]
    pre = maximize(make_objective(sd, sw), starts, names=model._estimate_names, model=type(model).__name__,
                   max_iter=model.max_iter, jac=jac, rough=True)
    with np.errstate(all="ignore"):
        H0 = sub_hessian(pre.x, sd, sw) * (weights.sum() / sw.sum())
    res_x = None
    if model.penalizer == 0 and np.all(np.isfinite(H0)):
        res_x = newton_polish(value_grad, pre.x, H0)
    return res_x, [tuple(np.exp(pre.x))] + list(starts)


def hessian_from_gradient(grad, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standard errors from the Hessian of the total log-likelihood, by forward differences of
    its analytic gradient ``grad(params)`` (k + 1 gradient calls for k parameters; relative
    steps of 1e-6 give the standard errors to about five digits)."""
    k = len(params)
    H = np.empty((k, k))
    g0 = grad(params)
    for j in range(k):
        h = 1e-6 * max(abs(params[j]), 1e-3)
        up = params.copy()
        up[j] += h
        H[:, j] = (grad(up) - g0) / h
    H = (H + H.T) / 2
    try:
        cov = np.linalg.inv(-H)
        se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        cov = np.full_like(H, np.nan)
        se = np.full(k, np.nan)
    return se, cov


def newton_polish(value_grad, u0: np.ndarray, H0: np.ndarray, *, max_iter: int = 50, tol: float = 1e-9):
    """Maximise a total log-likelihood from a good start with fixed-curvature Newton steps.

    ``value_grad(u)`` returns (total log-likelihood, gradient) in log-parameters ``u``; ``H0``
    is an approximate (negative definite) Hessian there, e.g. from a subsample scaled up. Each
    step solves ``H0 step = -gradient`` and halves the step until the likelihood does not
    fall. Converges linearly, fast when ``H0`` is close; returns None if it does not converge
    (the caller then falls back to a general optimiser).
    """
    u = np.asarray(u0, dtype=float)
    f, g = value_grad(u)
    try:
        inv = np.linalg.inv(H0)
    except np.linalg.LinAlgError:
        return None
    for _ in range(max_iter):
        step = -inv @ g
        decrement = float(g @ step)  # predicted gain x 2
        if not np.isfinite(decrement) or decrement < 0:
            return None
        if decrement < max(tol, 1e-11 * abs(f)):  # gain below 1e-11 of the log-likelihood: done
            return u
        t = 1.0
        while True:
            f_new, g_new = value_grad(u + t * step)
            if np.isfinite(f_new) and f_new >= f - 1e-12 * abs(f):
                break
            t /= 2
            if t < 1e-6:
                return None
        u, f, g = u + t * step, f_new, g_new
    return None


def log_hessian(grad_natural, params: np.ndarray, total_grad_at: np.ndarray | None = None) -> np.ndarray:
    """Hessian of a total log-likelihood in log-parameters, from its natural-parameter gradient
    (central differences): H_u = diag(p) H_p diag(p) + diag(p * g_p)."""
    k = len(params)
    H = np.empty((k, k))
    for j in range(k):
        h = 1e-5 * max(abs(params[j]), 1e-3)
        up, down = params.copy(), params.copy()
        up[j] += h
        down[j] -= h
        H[:, j] = (grad_natural(up) - grad_natural(down)) / (2 * h)
    H = (H + H.T) / 2
    g = grad_natural(params) if total_grad_at is None else total_grad_at
    return params[:, None] * H * params[None, :] + np.diag(params * g)


class BTYDModel(BaseModel):
    """Base of the buy-till-you-die models that say how likely a customer is still alive.

    Subclasses define ``_log_odds_dead(x, tx, T)``: the log of P(dead) / P(alive) given the history.
    """

    _warn_at_edge = True

    def _p_alive(self, x, tx, T):
        from scipy.special import expit

        return expit(-self._log_odds_dead(x, tx, T))

    def probability_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
        """P(still alive at T | history)."""
        self._check_fitted()
        x, tx, t, _ = btyd_inputs(frequency, recency, T)
        return self._p_alive(x, tx, t)
