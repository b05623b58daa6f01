"""Uplift modelling: whom a retention action helps, Qini and uplift curves, and the targeting policy.

An uplift model estimates, customer by customer, how much a treatment changes the outcome
(:class:`UpliftModel`, scikit-learn's estimator contract). Judge it out of sample
(:func:`cross_predict_uplift`: every customer scored by a model that never saw them) with the
Qini or uplift curve (:func:`qini_curve`, :func:`uplift_curve`, :func:`uplift_at_k`), then
contact whoever's expected gain beats the cost (:func:`targeting_policy`).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._deprecation import keyword_only_since
from .._estimator import ParamsMixin, clone
from .._results import Result
from .._validation import as_rng, check_binary, check_int, check_number, check_option, seed_from
from ..exceptions import NotFittedError

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

    from .._typing import ArrayLike, RNGLike


__all__ = ["EXPERIMENT_FEATURES", "UpliftModel", "fit_uplift", "cross_predict_uplift", "UpliftCurve", "qini_curve",
           "uplift_curve", "uplift_at_k", "TargetingPolicy", "targeting_policy"]

EXPERIMENT_FEATURES = ["days_since_last", "n_purchases_365d", "monetary_365d", "monetary_90d", "avg_basket",
                       "digital_share", "discount_share", "tenure_days"]
"""The pre-assignment columns of the world's ``retention_experiment`` table that describe a
customer: the features of the uplift models (measured before randomization, so the treatment
cannot have changed them)."""

_METHODS = ["two_model", "transformed_outcome", "x_learner"]


# --- uplift ----------------------------------------------------------------------------------------------

def _features(X, name: str = "X") -> np.ndarray:
    """``X`` as a 2-d float array, refusing missing values (named by column for a DataFrame)."""
    if isinstance(X, pd.DataFrame):
        if X.isna().any().any():
            raise ValueError(f"`{name}` has missing values in {X.columns[X.isna().any()].tolist()}.")
        Xa = X.to_numpy(dtype=float)
    else:
        try:
            Xa = np.asarray(X, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"`{name}` must be numbers (a DataFrame or a 2-d array); got {type(X).__name__}.") from None
        if np.isnan(Xa).any():
            raise ValueError(f"`{name}` has {int(np.isnan(Xa).sum())} missing value(s).")
    if Xa.ndim == 1:
        Xa = Xa.reshape(-1, 1)
    if Xa.ndim != 2:
        raise ValueError(f"`{name}` must be 2-d (customers x features); got {Xa.ndim} dimensions.")
    return Xa


def _xy(X, treatment, outcome):
    Xa = _features(X)
    t = check_binary("treatment", treatment).ravel()
    y = np.asarray(outcome, dtype=float).ravel()
    if not (len(Xa) == len(t) == len(y)):
        raise ValueError(f"`X`, `treatment` and `outcome` must have the same length; got {len(Xa)}, {len(t)}, {len(y)}.")
    if np.isnan(y).any():
        raise ValueError(f"`outcome` has {int(np.isnan(y).sum())} missing value(s).")
    if t.sum() == 0 or t.sum() == len(t):
        raise ValueError("`treatment` needs both treated (1) and control (0) customers.")
    return Xa, t, y


def _default_gbm(kind: str, seed: int):
    """The kit's one gradient-boosting default (``kind`` "classifier" or "regressor"), seeded."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingClassifier if kind == "classifier" else HistGradientBoostingRegressor
    return cls(max_iter=150, learning_rate=0.05, max_leaf_nodes=15, random_state=seed)


def _seeded(estimator, seed: int):
    """A fresh clone of the caller's ``estimator`` with ``random_state=seed`` when it has one."""
    est = clone(estimator)
    if "random_state" in est.get_params():
        est.set_params(random_state=seed)
    return est


class UpliftModel(ParamsMixin):
    """An uplift (heterogeneous treatment effect) model of a randomized experiment.

    Parameters
    ----------
    method : {"two_model", "transformed_outcome", "x_learner"}, default="two_model"
        - ``two_model`` (T-learner): one outcome model per arm; effect = difference.
        - ``transformed_outcome`` (Athey & Imbens 2015): regress
          ``Z = Y (T - e) / (e (1 - e))``, whose mean given X is the effect.
        - ``x_learner`` (Kunzel et al. 2019): imputed effects from the two-model fits,
          regressed on X in each arm and blended with the propensity e.
    estimator : scikit-learn estimator, optional
        Outcome model (a classifier for 0/1 outcomes); default gradient boosting
        (``HistGradientBoosting*``, 150 trees of 15 leaves, learning rate 0.05).
    regressor : scikit-learn regressor, optional
        Effect model for the transformed outcome and the X-learner; default gradient boosting.
    rng : int, Generator or None, default=0
        int seed, Generator, or None for fresh entropy; default 0, so the same call gives the
        same answer. Every model fitted (the defaults and clones of the caller's estimators
        alike) gets ``random_state`` from it.

    Attributes
    ----------
    models_ : dict
        The fitted scikit-learn models (``"treated"``, ``"control"``, ``"tau"``,
        ``"tau_treated"``, ``"tau_control"`` as the method needs).
    propensity_ : float
        Share of treated customers e.
    binary_ : bool
        Whether the outcome is 0/1 (outcome models then predict probabilities).
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    cross_predict_uplift : out-of-fold predictions, for an honest Qini curve.

    Notes
    -----
    The two-model estimate of customer i's effect is

    .. math:: \\hat\\tau(x_i) = \\hat\\mu_1(x_i) - \\hat\\mu_0(x_i),

    with :math:`\\hat\\mu_a` the outcome model fitted on arm a alone.

    References
    ----------
    Athey, S. & Imbens, G. W. (2015). Machine learning methods for estimating heterogeneous
    causal effects. arXiv:1504.01132.
    Kunzel, S. R., Sekhon, J. S., Bickel, P. J. & Yu, B. (2019). Metalearners for estimating
    heterogeneous treatment effects using machine learning. PNAS 116(10), 4156-4165.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 2))
    >>> t = np.arange(2000) % 2
    >>> y = (rng.random(2000) < 0.3 + 0.3 * t * (X[:, 0] > 0)).astype(int)
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = UpliftModel(estimator=LogisticRegression()).fit(X, t, y)
    >>> pred = model.predict(X)
    >>> bool(pred[X[:, 0] > 0].mean() > pred[X[:, 0] <= 0].mean())
    True
    """

    def __init__(
        self,
        *,
        method: str = "two_model",
        estimator: BaseEstimator | None = None,
        regressor: BaseEstimator | None = None,
        rng: RNGLike = 0,
    ) -> None:
        self.method = method
        self.estimator = estimator
        self.regressor = regressor
        self.rng = rng

    def fit(self, X: pd.DataFrame | ArrayLike, treatment: ArrayLike, outcome: ArrayLike) -> UpliftModel:
        """Fit on a randomized experiment.

        Parameters
        ----------
        X : DataFrame or array
            Pre-treatment features, one row per customer.
        treatment : array of 0/1
            1 for the treated arm, 0 for the control.
        outcome : array
            0/1 (e.g. active) or a number (e.g. revenue).

        Returns
        -------
        UpliftModel
            ``self``, fitted.
        """
        rng = as_rng(self.rng)
        check_option("method", self.method, _METHODS)
        Xa, t, y = _xy(X, treatment, outcome)
        binary = set(np.unique(y)) <= {0.0, 1.0}
        seed = seed_from(rng)
        outcome_model = (_seeded(self.estimator, seed) if self.estimator is not None
                         else _default_gbm("classifier" if binary else "regressor", seed))
        effect_model = _seeded(self.regressor, seed) if self.regressor is not None else _default_gbm("regressor", seed)
        e = float(t.mean())
        self.binary_, self.propensity_, self.n_features_in_ = binary, e, Xa.shape[1]
        models = {}
        if self.method in ("two_model", "x_learner"):
            models["treated"] = clone(outcome_model).fit(Xa[t == 1], y[t == 1])
            models["control"] = clone(outcome_model).fit(Xa[t == 0], y[t == 0])
        if self.method == "transformed_outcome":
            z = y * (t - e) / (e * (1 - e))
            models["tau"] = clone(effect_model).fit(Xa, z)
        elif self.method == "x_learner":
            mu0 = self._predict_outcome(models["control"], Xa)
            mu1 = self._predict_outcome(models["treated"], Xa)
            models["tau_treated"] = clone(effect_model).fit(Xa[t == 1], (y - mu0)[t == 1])
            models["tau_control"] = clone(effect_model).fit(Xa[t == 0], (mu1 - y)[t == 0])
        self.models_ = models
        return self

    def _predict_outcome(self, model, X):
        return model.predict_proba(X)[:, 1] if self.binary_ and hasattr(model, "predict_proba") else model.predict(X)

    def predict(self, X: pd.DataFrame | ArrayLike) -> np.ndarray:
        """Estimated effect of the treatment on the outcome for each customer (e.g. change in P(active)).

        Parameters
        ----------
        X : DataFrame or array
            The features, in the columns seen in ``fit``.

        Returns
        -------
        ndarray
            One effect per row of ``X``.
        """
        if not hasattr(self, "models_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit(...) first.")
        Xa = _features(X)
        if Xa.shape[1] != self.n_features_in_:
            raise ValueError(f"`X` has {Xa.shape[1]} feature(s); the model was fitted on {self.n_features_in_}.")
        m = self.models_
        if self.method == "two_model":
            return self._predict_outcome(m["treated"], Xa) - self._predict_outcome(m["control"], Xa)
        if self.method == "transformed_outcome":
            return m["tau"].predict(Xa)
        e = self.propensity_
        return e * m["tau_control"].predict(Xa) + (1 - e) * m["tau_treated"].predict(Xa)


@keyword_only_since("method", "estimator")
def fit_uplift(
    X: pd.DataFrame | ArrayLike,
    treatment: ArrayLike,
    outcome: ArrayLike,
    *,
    method: str = "two_model",
    estimator: BaseEstimator | None = None,
    regressor: BaseEstimator | None = None,
    rng: RNGLike = 0,
) -> UpliftModel:
    """Deprecated: use ``UpliftModel(method=..., estimator=..., rng=...).fit(X, treatment, outcome)``.

    Parameters
    ----------
    X, treatment, outcome
        As in :meth:`UpliftModel.fit`.
    method, estimator, regressor, rng
        As in :class:`UpliftModel`.

    Returns
    -------
    UpliftModel
        Fitted.

    Warns
    -----
    DeprecationWarning
        Always; ``fit_uplift`` stops working in the next release.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X, t = rng.normal(size=(200, 2)), np.arange(200) % 2
    >>> y = (rng.random(200) < 0.3 + 0.2 * t).astype(int)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     model = fit_uplift(X, t, y, estimator=LogisticRegression())
    >>> type(model).__name__
    'UpliftModel'
    """
    warnings.warn("fit_uplift is deprecated; use UpliftModel(method=..., estimator=..., rng=...).fit(X, treatment, "
                  "outcome) (fit_uplift stops working in the next release).", DeprecationWarning, stacklevel=2)
    return UpliftModel(method=method, estimator=estimator, regressor=regressor, rng=rng).fit(X, treatment, outcome)


def cross_predict_uplift(
    X: pd.DataFrame | ArrayLike,
    treatment: ArrayLike,
    outcome: ArrayLike,
    *,
    model: UpliftModel | None = None,
    n_folds: int = 2,
    rng: RNGLike = 0,
) -> np.ndarray:
    """Out-of-fold uplift predictions: each customer scored by a model fitted without them (cross-fitting).

    Parameters
    ----------
    X : DataFrame or array
        Pre-treatment features, one row per customer.
    treatment : array of 0/1
        1 for the treated arm, 0 for the control.
    outcome : array
        0/1 or a number.
    model : UpliftModel, optional
        The (unfitted) settings to use; default ``UpliftModel()``. It is cloned per fold.
    n_folds : int, default=2
        Number of folds (2: fit on one half, score the other, and vice versa).
    rng : int, Generator or None, default=0
        int seed, Generator, or None for fresh entropy; default 0, so the same call gives the
        same answer. Draws the folds (stratified by arm).

    Returns
    -------
    ndarray
        One predicted effect per customer, each from the model of the folds it was not in.

    Raises
    ------
    ValueError
        ``n_folds`` below 2 or above the size of the smaller arm, or bad data (as in
        :meth:`UpliftModel.fit`).

    See Also
    --------
    qini_curve : judge the out-of-fold predictions.

    Notes
    -----
    Scoring the customers a model was trained on rewards it for fitting their noise: the
    in-sample Qini curve and the profit a policy predicts for them are too optimistic.
    Cross-fitting (Chernozhukov et al. 2018) gives every customer a prediction from a model
    fitted on the other folds, so the curve judges the model as it would do on new customers.
    Folds are drawn within each arm, so each fold keeps the arms' proportions.

    References
    ----------
    Chernozhukov, V. et al. (2018). Double/debiased machine learning for treatment and
    structural parameters. The Econometrics Journal 21(1), C1-C68.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X, t = rng.normal(size=(1000, 2)), np.arange(1000) % 2
    >>> y = (rng.random(1000) < 0.3 + 0.3 * t * (X[:, 0] > 0)).astype(int)
    >>> pred = cross_predict_uplift(X, t, y, model=UpliftModel(estimator=LogisticRegression()))
    >>> pred.shape, bool(pred[X[:, 0] > 0].mean() > pred[X[:, 0] <= 0].mean())
    ((1000,), True)
    """
    rng = as_rng(rng)
    Xa, t, y = _xy(X, treatment, outcome)
    n_folds = check_int("n_folds", n_folds, 2, int(min(t.sum(), len(t) - t.sum())))
    model = UpliftModel() if model is None else model
    if not isinstance(model, UpliftModel):
        raise TypeError(f"`model` must be an UpliftModel; got {type(model).__name__}.")
    fold = np.empty(len(t), dtype=int)
    for arm in (0, 1):
        rows = np.flatnonzero(t == arm)
        fold[rng.permutation(rows)] = np.arange(len(rows)) % n_folds
    out = np.empty(len(t))
    for k in range(n_folds):
        test = fold == k
        fitted = clone(model).fit(Xa[~test], t[~test], y[~test])
        out[test] = fitted.predict(Xa[test])
    return out


def _curve_inputs(uplift, treatment, outcome):
    u = np.asarray(uplift, dtype=float).ravel()
    t = check_binary("treatment", treatment).ravel()
    y = np.asarray(outcome, dtype=float).ravel()
    if not (len(u) == len(t) == len(y)):
        raise ValueError(f"`uplift`, `treatment` and `outcome` must have the same length; got {len(u)}, {len(t)}, "
                         f"{len(y)}.")
    if np.isnan(u).any() or np.isnan(y).any():
        raise ValueError("`uplift` and `outcome` must not have missing values.")
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


@dataclass(frozen=True, repr=False)
class UpliftCurve(Result):
    """A Qini or uplift curve of a ranking by predicted uplift, with its normalized area.

    Attributes
    ----------
    curve : DataFrame
        ``share_targeted`` (0, 1/N, ..., 1), ``model``, ``random`` and ``perfect``.
    auc : float
        Normalized area ``(model - random) / (perfect - random)``: 0 for a random ranking,
        1 for the perfect one.
    kind : str
        ``"qini"`` or ``"uplift"``.

    Examples
    --------
    >>> q = qini_curve([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0], [1, 0, 0, 1])
    >>> q.kind, len(q.curve)
    ('qini', 5)
    """

    curve: pd.DataFrame
    auc: float
    kind: str

    def to_frame(self) -> pd.DataFrame:
        """The curve (a copy)."""
        return self.curve.copy()


def _curve_result(kind: str, values_fn, uplift, treatment, outcome) -> UpliftCurve:
    u, t, y = _curve_inputs(uplift, treatment, outcome)
    x, model, random, perfect, auc = _normalized_area(values_fn, u, t, y)
    curve = pd.DataFrame({"share_targeted": x, "model": model, "random": random, "perfect": perfect})
    return UpliftCurve(curve=curve, auc=float(auc), kind=kind)


def qini_curve(uplift: ArrayLike, treatment: ArrayLike, outcome: ArrayLike) -> UpliftCurve:
    """The Qini curve of a ranking by predicted uplift (Radcliffe 2007).

    Parameters
    ----------
    uplift : array
        Predicted uplift per customer (the ranking score; higher first). Use out-of-sample
        predictions (:func:`cross_predict_uplift`): in-sample ones flatter the model.
    treatment : array of 0/1
        1 for the treated arm, 0 for the control.
    outcome : array
        The observed outcome (0/1 or a number).

    Returns
    -------
    UpliftCurve
        ``.curve`` with ``share_targeted`` (0, 1/N, ..., 1), ``model``, ``random`` and
        ``perfect``; ``.auc``, the normalized area ``(model - random) / (perfect - random)``
        (areas under the curves, trapezoidal rule): 0 for a random ranking, 1 for the perfect one.

    Raises
    ------
    ValueError
        Arrays of different lengths, missing values, or a treatment that is not 0/1.

    See Also
    --------
    uplift_curve : the same with the uplift curve.
    cross_predict_uplift : honest scores to rank by.

    Notes
    -----
    For the top share phi of customers,

    .. math:: Q(\\phi) = Y_t(\\phi) - Y_c(\\phi) \\frac{N_t(\\phi)}{N_c(\\phi)}

    the incremental outcomes (e.g. retained customers) gained by treating them, in counts
    (Y: sum of outcomes, N: customers, in the treated t and control c arms; the second term
    is 0 while no control is in the top share).

    Ties: customers with the same predicted uplift have no order among them, so the curve is
    computed only after each group of tied scores and drawn as a straight line across the group,
    as scikit-uplift's ``qini_curve`` does with the distinct score thresholds (like sklearn's
    ``roc_curve``); the result does not depend on the order of the rows.

    ``random`` is the straight line from 0 to the curve's final value (everyone treated).
    ``perfect`` is the same curve for the score ``y t - y (1 - t)``: treated responders first,
    then everyone else as one tied group, then control responders (scikit-uplift's
    ``perfect_qini_curve`` with ``negative_effect=True``), so ``auc`` equals scikit-uplift's
    ``qini_auc_score``. Libraries differ here (causalml reports unnormalized areas), so
    compare scores only across one definition.

    References
    ----------
    Radcliffe, N. J. (2007). Using control groups to target on predicted lift: building and
    assessing uplift models. Direct Marketing Analytics Journal 1, 14-21.

    Examples
    --------
    >>> t = np.array([1, 0, 1, 0, 1, 0])
    >>> y = np.array([1, 0, 1, 1, 0, 0])
    >>> perfect = qini_curve(y * t - y * (1 - t), t, y)
    >>> float(perfect.auc)
    1.0
    >>> qini_curve([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], t, y).curve["model"].round(2).tolist()
    [0.0, 1.0, 1.0, 2.0, 1.0, 0.5, 1.0]
    """
    return _curve_result("qini", _qini_values, uplift, treatment, outcome)


def uplift_curve(uplift: ArrayLike, treatment: ArrayLike, outcome: ArrayLike) -> UpliftCurve:
    """The uplift curve of a ranking by predicted uplift, with its normalized area.

    Parameters
    ----------
    uplift : array
        Predicted uplift per customer (higher first); out of sample, as for :func:`qini_curve`.
    treatment : array of 0/1
        1 for the treated arm, 0 for the control.
    outcome : array
        The observed outcome.

    Returns
    -------
    UpliftCurve
        ``.curve`` (``share_targeted``, ``model``, ``random``, ``perfect``) and ``.auc``,
        built as in :func:`qini_curve`.

    Raises
    ------
    ValueError
        As :func:`qini_curve`.

    See Also
    --------
    qini_curve : the Qini curve, which scales the control by the treated count.

    Notes
    -----
    .. math:: U(\\phi) = \\left(\\frac{Y_t(\\phi)}{N_t(\\phi)} - \\frac{Y_c(\\phi)}{N_c(\\phi)}\\right) N(\\phi)

    for the top share phi (a mean is 0 while its arm is empty), with tied scores grouped.
    (scikit-uplift's ``perfect_uplift_curve`` uses another perfect ranking, so its
    ``uplift_auc_score`` differs.)

    References
    ----------
    Gutierrez, P. & Gerardy, J.-Y. (2017). Causal inference and uplift modelling: a review
    of the literature. PMLR 67, 1-13.

    Examples
    --------
    >>> u = uplift_curve([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], [1, 0, 1, 0, 1, 0], [1, 0, 1, 1, 0, 0])
    >>> float(u.curve["model"].iloc[4])
    2.0
    """
    return _curve_result("uplift", _uplift_values, uplift, treatment, outcome)


@keyword_only_since("k")
def uplift_at_k(uplift: ArrayLike, treatment: ArrayLike, outcome: ArrayLike, *, k: float = 0.3) -> float:
    """Observed uplift among the top ``k`` share by predicted uplift.

    Parameters
    ----------
    uplift : array
        Predicted uplift per customer.
    treatment : array of 0/1
        1 for the treated arm, 0 for the control.
    outcome : array
        The observed outcome.
    k : float, default=0.3
        Share of customers in the top group, in (0, 1].

    Returns
    -------
    float
        Mean outcome of the treated minus mean outcome of the controls in the top group.

    Raises
    ------
    ValueError
        Bad inputs, or a top group holding only one arm.

    See Also
    --------
    qini_curve : the whole curve.

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

    References
    ----------
    Gutierrez, P. & Gerardy, J.-Y. (2017). Causal inference and uplift modelling: a review
    of the literature. PMLR 67, 1-13.

    Examples
    --------
    >>> uplift_at_k([3.0, 2, 2, 2, 1, 1], [1, 0, 1, 0, 1, 0], [1, 0, 1, 1, 0, 0], k=0.5)
    0.5
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


@dataclass(frozen=True, repr=False)
class TargetingPolicy(Result):
    """Whom to contact, and the expected profit as the targeted share grows.

    Attributes
    ----------
    contact : Series of bool
        True for customers worth contacting.
    expected_profit : Series
        Per customer: uplift x value - cost (EUR).
    curve : DataFrame
        ``share_targeted``, ``customers`` and cumulative ``expected_profit``, most profitable first.
    total : float
        Expected profit of the policy (EUR): the sum over the contacted customers.
    n_contacted : int
        Customers contacted.

    Examples
    --------
    >>> pol = targeting_policy([0.10, 0.02, -0.05], value=100, cost=5)
    >>> pol.n_contacted, pol.total
    (1, 5.0)
    """

    contact: pd.Series
    expected_profit: pd.Series
    curve: pd.DataFrame
    total: float
    n_contacted: int

    def to_frame(self) -> pd.DataFrame:
        """Per customer: ``expected_profit`` and ``contact``."""
        return pd.DataFrame({"expected_profit": self.expected_profit, "contact": self.contact})


def _per_customer(name: str, value, index) -> pd.Series:
    """``value`` (a number or one per customer) as a float Series >= 0 on ``index``."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim > 0 and arr.size != len(index):
        raise ValueError(f"`{name}` must be one number or one per customer ({len(index)}); got {arr.size}.")
    s = pd.Series(np.broadcast_to(arr, (len(index),)), index=index)
    if s.isna().any():
        raise ValueError(f"`{name}` has {int(s.isna().sum())} missing value(s).")
    if (s < 0).any():
        raise ValueError(f"`{name}` must be >= 0; {int((s < 0).sum())} value(s) are negative.")
    return s


@keyword_only_since("value", "cost")
def targeting_policy(uplift: ArrayLike, *, value: float | ArrayLike, cost: float | ArrayLike) -> TargetingPolicy:
    """Contact exactly the customers whose expected gain beats the cost.

    Parameters
    ----------
    uplift : array or Series
        Predicted effect of the contact on the outcome per customer (e.g. change in P(active)).
    value : float or array
        What the outcome is worth per customer (e.g. the margin-based CLV of keeping them,
        :func:`fidelia_kit.clv.customer_value`), EUR, >= 0.
    cost : float or array
        Cost per contact, EUR, >= 0.

    Returns
    -------
    TargetingPolicy
        ``contact``, ``expected_profit`` per customer, the cumulative ``curve``, ``total``
        and ``n_contacted``.

    Raises
    ------
    ValueError
        Missing or negative values, or lengths that do not match.

    See Also
    --------
    cross_predict_uplift : out-of-sample uplift, so the expected profit is not flattered.

    Notes
    -----
    .. math:: \\text{profit}_i = \\hat\\tau_i \\, v_i - c_i

    Customers for whom contact backfires (negative uplift) never qualify. The curve ranks
    customers by expected profit and accumulates it. The profit is *expected* under the
    model: with in-sample uplift it overstates what the policy earns.

    References
    ----------
    Ascarza, E. (2018). Retention futility: targeting high-risk customers might be
    ineffective. Journal of Marketing Research 55(1), 80-98.

    Examples
    --------
    >>> pol = targeting_policy([0.10, 0.02, -0.05, 0.30], value=[100, 100, 100, 10], cost=5)
    >>> pol.contact.tolist(), pol.total
    ([True, False, False, False], 5.0)
    """
    u = uplift.astype(float) if isinstance(uplift, pd.Series) else pd.Series(np.asarray(uplift, dtype=float).ravel())
    if u.isna().any():
        raise ValueError(f"`uplift` has {int(u.isna().sum())} missing value(s).")
    v = _per_customer("value", value, u.index)
    c = _per_customer("cost", cost, u.index)
    gain = u * v - c
    contact = (gain > 0) & (u > 0)
    order = gain.sort_values(ascending=False)
    curve = pd.DataFrame({"share_targeted": np.arange(len(u) + 1) / len(u), "customers": np.arange(len(u) + 1),
                          "expected_profit": np.r_[0.0, order.cumsum().to_numpy()]})
    return TargetingPolicy(contact=contact, expected_profit=gain, curve=curve, total=float(gain[contact].sum()),
                           n_contacted=int(contact.sum()))
