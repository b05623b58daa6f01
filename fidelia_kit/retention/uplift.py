"""Uplift modelling: whom a retention action helps, Qini and uplift curves, and the targeting policy."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import (
    check_number,
    check_option,
)

__all__ = ["UpliftModel", "fit_uplift", "qini_curve", "uplift_curve", "uplift_at_k", "TargetingPolicy", "targeting_policy"]

# --- uplift ----------------------------------------------------------------------------------------------

def _xy(X, treatment, outcome):
    if isinstance(X, pd.DataFrame):
        if X.isna().any().any():
            raise ValueError(f"`X` has missing values in {X.columns[X.isna().any()].tolist()}.")
        Xa = X.to_numpy(dtype=float)
    else:
        Xa = np.asarray(X, dtype=float)
    t = np.asarray(treatment)
    if not set(np.unique(t)) <= {0, 1}:
        raise ValueError("`treatment` must be 0/1 (or True/False): one treatment against its control.")
    t = t.astype(int)
    y = np.asarray(outcome, dtype=float)
    if not (len(Xa) == len(t) == len(y)):
        raise ValueError(f"`X`, `treatment` and `outcome` must have the same length; got {len(Xa)}, {len(t)}, {len(y)}.")
    if t.sum() == 0 or t.sum() == len(t):
        raise ValueError("`treatment` needs both treated (1) and control (0) customers.")
    return Xa, t, y


@dataclass
class UpliftModel:
    """A fitted uplift model; ``predict(X)`` returns each customer's estimated effect."""

    method: str
    binary: bool
    models: dict
    propensity: float

    def _predict_outcome(self, model, X):
        return model.predict_proba(X)[:, 1] if self.binary and hasattr(model, "predict_proba") else model.predict(X)

    def predict(self, X) -> np.ndarray:
        """Estimated effect of treatment on the outcome for each customer (e.g. change in P(retained))."""
        Xa = X.to_numpy(dtype=float) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=float)
        m = self.models
        if self.method == "two_model":
            return self._predict_outcome(m["treated"], Xa) - self._predict_outcome(m["control"], Xa)
        if self.method == "transformed_outcome":
            return m["tau"].predict(Xa)
        e = self.propensity
        return e * m["tau_control"].predict(Xa) + (1 - e) * m["tau_treated"].predict(Xa)


def fit_uplift(X, treatment, outcome, method: str = "two_model", estimator=None, *, regressor=None, rng=0) -> UpliftModel:
    """Fit an uplift (heterogeneous treatment effect) model on a randomized experiment.

    Parameters
    ----------
    X : DataFrame or array
        Pre-treatment features.
    treatment : array of 0/1
    outcome : array
        0/1 (retained) or a number (revenue).
    method : {"two_model", "transformed_outcome", "x_learner"}
        - ``two_model`` (T-learner): one outcome model per arm; effect = difference.
        - ``transformed_outcome`` (Athey & Imbens 2015): regress
          ``Z = Y (T - e) / (e (1 - e))``, whose mean given X is the effect.
        - ``x_learner`` (Kunzel et al. 2019): imputed effects from the two-model fits,
          regressed on X in each arm and blended with the propensity e.
    estimator : scikit-learn estimator, optional
        Outcome model (classifier for 0/1 outcomes); default HistGradientBoosting.
    regressor : scikit-learn regressor, optional
        Effect model for the transformed outcome and X-learner; default HistGradientBoostingRegressor.
    rng : int, Generator or None
        Seed of the default estimators.
    """
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    check_option("method", method, ["two_model", "transformed_outcome", "x_learner"])
    Xa, t, y = _xy(X, treatment, outcome)
    binary = set(np.unique(y)) <= {0.0, 1.0}
    seed = int(np.random.default_rng(rng).integers(2**31 - 1))
    if estimator is None:
        estimator = (HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, max_leaf_nodes=15, random_state=seed)
                     if binary else HistGradientBoostingRegressor(max_iter=150, learning_rate=0.05, max_leaf_nodes=15, random_state=seed))
    if regressor is None:
        regressor = HistGradientBoostingRegressor(max_iter=150, learning_rate=0.05, max_leaf_nodes=15, random_state=seed)
    e = float(t.mean())
    model = UpliftModel(method=method, binary=binary, models={}, propensity=e)
    if method in ("two_model", "x_learner"):
        model.models["treated"] = clone(estimator).fit(Xa[t == 1], y[t == 1])
        model.models["control"] = clone(estimator).fit(Xa[t == 0], y[t == 0])
    if method == "transformed_outcome":
        z = y * (t - e) / (e * (1 - e))
        model.models["tau"] = clone(regressor).fit(Xa, z)
    elif method == "x_learner":
        mu0 = model._predict_outcome(model.models["control"], Xa)
        mu1 = model._predict_outcome(model.models["treated"], Xa)
        model.models["tau_treated"] = clone(regressor).fit(Xa[t == 1], (y - mu0)[t == 1])
        model.models["tau_control"] = clone(regressor).fit(Xa[t == 0], (mu1 - y)[t == 0])
    return model


def _curve_inputs(uplift, treatment, outcome):
    u = np.asarray(uplift, dtype=float)
    t = np.asarray(treatment).astype(int)
    y = np.asarray(outcome, dtype=float)
    if not (len(u) == len(t) == len(y)):
        raise ValueError("`uplift`, `treatment` and `outcome` must have the same length.")
    if not set(np.unique(t)) <= {0, 1}:
        raise ValueError("`treatment` must be 0/1.")
    return u, t, y


def _thresholds(score, t, y):
    """Cumulative counts after each distinct score, best first: customers with tied scores enter
    together, so their order in the data does not matter (scikit-uplift; sklearn's roc_curve).
    Returns n, N_t, N_c, Y_t, Y_c at 0 and after each group of ties."""
    order = np.argsort(-score, kind="stable")
    s, t, y = score[order], t[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]   # last row of each group of ties
    n = np.r_[0, last + 1].astype(float)
    nt = np.r_[0, np.cumsum(t)[last]].astype(float)
    yt = np.r_[0, np.cumsum(y * t)[last]]
    yc = np.r_[0, np.cumsum(y * (1 - t))[last]]
    return n, nt, n - nt, yt, yc


def _ratio(a, b):
    return np.divide(a, b, out=np.zeros_like(a, dtype=float), where=b != 0)


def _qini_values(n, nt, nc, yt, yc):
    return yt - yc * _ratio(nt, nc)


def _uplift_values(n, nt, nc, yt, yc):
    return (_ratio(yt, nt) - _ratio(yc, nc)) * n


def _curve(values_fn, score, t, y):
    """The curve at every count 0..N: its values after each group of ties, joined by straight lines."""
    counts = _thresholds(score, t, y)
    return np.interp(np.arange(len(score) + 1), counts[0], values_fn(*counts))


def _normalized_area(values_fn, u, t, y):
    n = len(u)
    x = np.arange(n + 1) / n
    model = _curve(values_fn, u, t, y)
    random = np.linspace(0, model[-1], n + 1)
    # perfect ranking (scikit-uplift's perfect_qini_curve): treated responders first, control responders last
    perfect = _curve(values_fn, y * t - y * (1 - t), t, y)
    area = lambda v: np.trapezoid(v, x)  # noqa: E731
    denom = area(perfect) - area(random)
    return x, model, random, perfect, (area(model) - area(random)) / denom if denom != 0 else np.nan


def qini_curve(uplift, treatment, outcome) -> pd.DataFrame:
    """The Qini curve of a ranking by predicted uplift (Radcliffe 2007).

    For the top share phi of customers, ``Qini(phi) = Y_t(phi) - Y_c(phi) N_t(phi) / N_c(phi)``:
    the incremental outcomes (e.g. retained customers) gained by treating them, in counts
    (Y: sum of outcomes, N: customers, in the treated t and control c arms; the second term
    is 0 while no control is in the top share).

    Returns
    -------
    DataFrame with ``share_targeted`` (0, 1/N, ..., 1), ``model``, ``random`` and ``perfect``;
    the normalized area ``(model - random) / (perfect - random)`` (areas under the curves,
    trapezoidal rule) is in ``df.attrs["auc"]``: 0 for a random ranking, 1 for the perfect one.

    Notes
    -----
    Ties: customers with the same predicted uplift have no order among them, so the curve is
    computed only after each group of tied scores and drawn as a straight line across the group,
    as scikit-uplift's ``qini_curve`` does with the distinct score thresholds (like sklearn's
    ``roc_curve``); the result does not depend on the order of the rows.

    ``random`` is the straight line from 0 to the curve's final value (everyone treated).
    ``perfect`` is the same curve for the score ``y t - y (1 - t)``: treated responders first,
    then everyone else as one tied group, then control responders (scikit-uplift's
    ``perfect_qini_curve`` with ``negative_effect=True``), so ``df.attrs["auc"]`` equals
    scikit-uplift's ``qini_auc_score``. Libraries differ here (causalml reports unnormalized
    areas), so compare scores only across one definition.

    References
    ----------
    Radcliffe, N. J. (2007). Using control groups to target on predicted lift: building and
    assessing uplift models. Direct Marketing Analytics Journal 1, 14-21.
    """
    u, t, y = _curve_inputs(uplift, treatment, outcome)
    x, model, random, perfect, auc = _normalized_area(_qini_values, u, t, y)
    out = pd.DataFrame({"share_targeted": x, "model": model, "random": random, "perfect": perfect})
    out.attrs["auc"] = auc
    return out


def uplift_curve(uplift, treatment, outcome) -> pd.DataFrame:
    """The uplift curve: ``(Y_t/N_t - Y_c/N_c)(phi) x N(phi)`` for the top share phi (a mean is 0
    while its arm is empty), with tied scores grouped, the ``random`` and ``perfect`` rankings and
    the normalized area in ``df.attrs["auc"]`` built as in :func:`qini_curve`. (scikit-uplift's
    ``perfect_uplift_curve`` uses another perfect ranking, so its ``uplift_auc_score`` differs.)"""
    u, t, y = _curve_inputs(uplift, treatment, outcome)
    x, model, random, perfect, auc = _normalized_area(_uplift_values, u, t, y)
    out = pd.DataFrame({"share_targeted": x, "model": model, "random": random, "perfect": perfect})
    out.attrs["auc"] = auc
    return out


def uplift_at_k(uplift, treatment, outcome, k: float = 0.3) -> float:
    """Observed uplift among the top ``k`` share by predicted uplift: mean outcome of the treated
    minus mean outcome of the controls in that group.

    Notes
    -----
    The group holds m = round(k N) customers (N customers in all; Python's ``round``, halves to
    even; at least 1); scikit-uplift's ``uplift_at_k(strategy="overall")`` takes int(k N) instead.
    Customers tied with the m-th score are counted with equal weight w = (places left) / (size
    of the tied group), the expected share of each under a random order of the ties, so the
    result does not depend on the order of the rows:

    .. math:: \\frac{\\sum_i w_i t_i y_i}{\\sum_i w_i t_i}
              - \\frac{\\sum_i w_i (1 - t_i) y_i}{\\sum_i w_i (1 - t_i)}

    with w_i = 1 above the cut and 0 below it. Without ties this is the plain difference of means.
    """
    u, t, y = _curve_inputs(uplift, treatment, outcome)
    k = check_number("k", k, 1e-9, 1.0)
    m = max(int(round(k * len(u))), 1)
    cut = np.sort(u)[::-1][m - 1]
    above, tied = u > cut, u == cut
    w = above + tied * (m - above.sum()) / tied.sum()
    wt, wc = w * t, w * (1 - t)
    if wt.sum() == 0 or wc.sum() == 0:
        raise ValueError(f"the top {k:.0%} holds only one arm; uplift cannot be measured there.")
    return float(wt @ y / wt.sum() - wc @ y / wc.sum())


@dataclass
class TargetingPolicy:
    """Whom to contact, and the expected profit as the targeted share grows."""

    contact: pd.Series          # True for customers worth contacting
    expected_profit: pd.Series  # per customer: uplift x value - cost
    curve: pd.DataFrame         # share_targeted, customers, expected_profit (cumulative)
    total: float                # expected profit of the policy


def targeting_policy(uplift, value, cost) -> TargetingPolicy:
    """Contact exactly the customers whose expected gain beats the cost.

    Expected profit of contacting customer i = ``uplift_i x value_i - cost_i`` (uplift in
    outcome units, e.g. change in P(retained); value = what keeping them is worth; cost per
    contact). Customers for whom contact backfires (negative uplift) never qualify. The
    curve ranks customers by expected profit and accumulates it.
    """
    u = pd.Series(np.asarray(uplift, dtype=float)) if not isinstance(uplift, pd.Series) else uplift.astype(float)
    v = pd.Series(np.broadcast_to(np.asarray(value, dtype=float), u.shape), index=u.index)
    c = pd.Series(np.broadcast_to(np.asarray(cost, dtype=float), u.shape), index=u.index)
    if u.isna().any() or v.isna().any() or c.isna().any():
        raise ValueError("`uplift`, `value` and `cost` must not have missing values.")
    gain = u * v - c
    contact = (gain > 0) & (u > 0)
    order = gain.sort_values(ascending=False)
    curve = pd.DataFrame({"share_targeted": np.arange(len(u) + 1) / len(u), "customers": np.arange(len(u) + 1),
                          "expected_profit": np.r_[0.0, order.cumsum().to_numpy()]})
    return TargetingPolicy(contact=contact, expected_profit=gain, curve=curve, total=float(gain[contact].sum()))


