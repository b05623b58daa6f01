"""Early warning of churn: features before a date, a label after it, a model, and how well its scores rank."""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .._deprecation import keyword_only_since, renamed
from .._estimator import ParamsMixin
from .._results import Result
from .._validation import (
    as_amounts,
    as_date,
    as_dates,
    as_rng,
    check_binary,
    check_frame,
    check_int,
    check_number,
    seed_from,
)
from ..dataset import alive_on  # the truth's own question, answered where the truth lives; re-exported here
from ..exceptions import NotFittedError

if TYPE_CHECKING:
    from .._typing import RNGLike

__all__ = ["churn_dataset", "ChurnModel", "ChurnEvaluation", "evaluate_churn", "AUCOptimism", "auc_optimism",
           "alive_on", "winnable_probability", "reactivation_list", "reactivation_check"]

_DAY = pd.Timedelta(days=1)

# --- early warning of churn -------------------------------------------------------------------------------


def _distinct_days(frame: pd.DataFrame, customer_col: str, index: pd.Index) -> pd.Series:
    """Distinct purchase days per customer of ``frame``, 0 for customers of ``index`` absent from it."""
    return frame.drop_duplicates([customer_col, "_d"]).groupby(customer_col).size().reindex(index).fillna(0).astype(int)


def _receipt_share(frame: pd.DataFrame, flag: pd.Series, customer_col: str) -> pd.Series:
    """Share of each customer's receipts (rows of ``frame``) where ``flag`` is true."""
    return flag.astype(float).groupby(frame[customer_col]).mean()


@keyword_only_since("as_of", "horizon_days")   # outermost: old positional calls are the common ones, and its warning
@renamed(cutoff="as_of", horizon="horizon_days")   # then points at the caller's line
def churn_dataset(transactions: pd.DataFrame, *, as_of: str | pd.Timestamp, horizon_days: int = 90,
                  customer_col: str = "customer_id", date_col: str = "date", value_col: str = "amount",
                  channel_col: str = "channel", discount_col: str = "discount", complaints: pd.DataFrame | None = None,
                  min_tenure: int = 0) -> pd.DataFrame:
    """Features from before ``as_of`` and a churn label from after it, one row per customer.

    Parameters
    ----------
    transactions : DataFrame
        One row per receipt, with ``customer_col``, ``date_col`` and ``value_col`` (and, if
        present, ``channel_col`` and ``discount_col``).
    as_of : date-like
        The first day not observed by the features (exclusive, as everywhere in the kit):
        purchases on or after it are unseen by the features and make the label.
        (Formerly ``cutoff``, with the same meaning.)
    horizon_days : int, default=90
        Length of the label window ``[as_of, as_of + horizon_days)``. (Formerly ``horizon``.)
    customer_col, date_col, value_col : str
        Column names in ``transactions`` (and, for customer and date, in ``complaints``).
    channel_col : str, default="channel"
        Channel of each receipt (``"store"`` or a digital channel); when the column exists,
        gives ``digital_share``.
    discount_col : str, default="discount"
        Discount per receipt (EUR); when the column exists, gives ``discount_share``.
    complaints : DataFrame, optional
        One row per complaint with ``customer_col`` and ``date_col``; gives ``complaints``
        (the number filed before ``as_of``).
    min_tenure : int, default=0
        Keep customers whose first purchase is at least this many days before ``as_of``.

    Returns
    -------
    DataFrame
        Indexed by customer; one row per customer with a purchase before ``as_of``. Columns
        (the kit's vocabulary): ``days_since_last``, ``tenure_days``, ``n_purchases``
        (distinct purchase days), ``n_purchases_90d`` (in the 90 days before ``as_of``),
        ``n_purchases_prev_90d`` (days 90-180 before), ``trend`` (``n_purchases_90d -
        n_purchases_prev_90d``), ``monetary_total`` (EUR), ``monetary_90d``, ``avg_basket``
        (mean amount per receipt), ``mean_gap_days`` (between purchase days; the tenure for
        one-day customers), ``overdue`` (``days_since_last / mean_gap_days``), then
        ``digital_share`` (receipts not in the store), ``discount_share``, ``complaints``
        when their data are given, and the label ``churned`` (1 = no purchase in the
        ``horizon_days`` from ``as_of`` on).

    Raises
    ------
    ValueError
        Missing columns, an ``as_of`` that is not a date, no purchase before it, bad amounts.

    Warns
    -----
    UserWarning
        When the label window runs past the last purchase in the data: customers would be
        labelled churned for want of data.

    See Also
    --------
    ChurnModel : a model fitted on these features.
    evaluate_churn : how well its scores rank the label of a later ``as_of``.

    Notes
    -----
    Nothing on or after ``as_of`` reaches a feature, so a model fitted on one ``as_of`` and
    scored on a later one is evaluated without leakage. Pick the two dates so that the
    training label window ends by the later one (``as_of_train + horizon_days <=
    as_of_test``), as :func:`fidelia_kit.notebook.churn_dates` checks.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 2, 1],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01", "2024-02-01",
    ...                                            "2024-05-01"]),
    ...                    "amount": [10.0, 30.0, 5.0, 7.0, 20.0]})
    >>> ds = churn_dataset(tx, as_of="2024-04-01", horizon_days=31)
    >>> print(ds[["n_purchases", "monetary_total", "days_since_last", "churned"]].to_string())
                 n_purchases  monetary_total  days_since_last  churned
    customer_id
    1                      2            40.0               31        0
    2                      1            12.0               60        1
    """
    check_frame("transactions", transactions, [customer_col, date_col, value_col])
    horizon_days = check_int("horizon_days", horizon_days, 1, 3650)
    min_tenure = check_int("min_tenure", min_tenure, 0, 36500)
    as_of = as_date("as_of", as_of)
    tx = transactions.reset_index(drop=True)
    tx = tx.assign(_d=as_dates("transactions", date_col, tx[date_col]),
                   _v=as_amounts("transactions", value_col, tx[value_col]))
    before = tx[tx["_d"] < as_of]
    if before.empty:
        raise ValueError(f"`transactions` has no purchase before `as_of` ({as_of.date()}).")
    end = as_of + pd.Timedelta(days=horizon_days)
    if end > tx["_d"].max() + _DAY:
        warnings.warn(f"churn_dataset: the label window {as_of.date()} to {(end - _DAY).date()} runs past the last "
                      f"purchase in the data ({tx['_d'].max().date()}); customers are labelled churned for want of "
                      f"data. Choose an earlier `as_of` or a shorter `horizon_days`.", UserWarning, stacklevel=4)
    after = tx[(tx["_d"] >= as_of) & (tx["_d"] < end)]
    g = before.groupby(customer_col)
    first, last = g["_d"].min(), g["_d"].max()
    out = pd.DataFrame({"days_since_last": (as_of - last).dt.days, "tenure_days": (as_of - first).dt.days})
    out.index.name = customer_col
    n_days = _distinct_days(before, customer_col, out.index)
    out["n_purchases"] = n_days
    recent = before[before["_d"] >= as_of - pd.Timedelta(days=90)]
    prev = before[(before["_d"] < as_of - pd.Timedelta(days=90)) & (before["_d"] >= as_of - pd.Timedelta(days=180))]
    out["n_purchases_90d"] = _distinct_days(recent, customer_col, out.index)
    out["n_purchases_prev_90d"] = _distinct_days(prev, customer_col, out.index)
    out["trend"] = out["n_purchases_90d"] - out["n_purchases_prev_90d"]
    out["monetary_total"] = g["_v"].sum()
    out["monetary_90d"] = recent.groupby(customer_col)["_v"].sum().reindex(out.index).fillna(0.0)
    out["avg_basket"] = g["_v"].mean()
    gap = ((last - first).dt.days / np.maximum(n_days - 1, 1)).where(n_days > 1)
    out["mean_gap_days"] = gap.fillna(out["tenure_days"].clip(lower=1).astype(float))
    out["overdue"] = out["days_since_last"] / out["mean_gap_days"].clip(lower=1)
    if channel_col in tx.columns:
        out["digital_share"] = _receipt_share(before, before[channel_col] != "store", customer_col)
    if discount_col in tx.columns:
        out["discount_share"] = _receipt_share(before, before[discount_col] > 0, customer_col)
    if complaints is not None:
        check_frame("complaints", complaints, [customer_col, date_col])
        filed = as_dates("complaints", date_col, complaints[date_col].reset_index(drop=True)).to_numpy() < as_of
        out["complaints"] = complaints[filed].groupby(customer_col).size().reindex(out.index).fillna(0).astype(int)
    out = out[out["tenure_days"] >= min_tenure].copy()
    out["churned"] = (~out.index.isin(after[customer_col].unique())).astype(int)
    return out


def _log_features(features: pd.DataFrame, names: list[str]) -> np.ndarray:
    """``log1p`` of each feature clipped at 0: counts, amounts and days are skewed, and logs tame their tails."""
    return np.log1p(features[names].to_numpy(dtype=float).clip(min=0))


def _check_features(name: str, features: pd.DataFrame, names: list[str] | None = None) -> list[str]:
    if not isinstance(features, pd.DataFrame):
        raise TypeError(f"`{name}` must be a pandas DataFrame of numeric features; got {type(features).__name__}.")
    cols = list(features.columns) if names is None else names
    missing = [c for c in cols if c not in features.columns]
    if missing:
        raise ValueError(f"`{name}` has no column(s) {missing}, which the model was fitted on.")
    bad = [c for c in cols if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        raise ValueError(f"`{name}`: column(s) {bad} must be numeric.")
    na = [c for c in cols if features[c].isna().any()]
    if na:
        raise ValueError(f"`{name}`: column(s) {na} have missing values.")
    if len(features) == 0:
        raise ValueError(f"`{name}` has no rows.")
    return cols


class ChurnModel(ParamsMixin):
    """A churn early-warning model: logistic regression on standardised log features.

    Parameters
    ----------
    C : float, default=1.0
        Inverse strength of the L2 penalty (scikit-learn's ``C``).
    max_iter : int, default=5000
        Iterations of the L-BFGS solver.

    Attributes
    ----------
    feature_names_ : list of str
        The columns it was fitted on (every column of the features passed to ``fit``).
    coef_ : Series
        Coefficient per feature, on the standardised ``log1p`` scale (log-odds of churning
        per standard deviation).
    intercept_ : float
    scaler_, logit_ : fitted scikit-learn StandardScaler and LogisticRegression

    See Also
    --------
    churn_dataset : the features and the label.
    evaluate_churn : judge its scores on a later date.

    Notes
    -----
    .. math:: P(\\text{churn}_i) = \\sigma\\big(\\beta_0 + \\sum_k \\beta_k\\, z_k(\\log(1 + \\max(x_{ik}, 0)))\\big)

    with :math:`z_k` the standardisation fitted on the training data. The fit is
    deterministic (L-BFGS draws nothing), so it takes no ``rng``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"days_since_last": rng.integers(0, 200, 300), "n_purchases": rng.integers(1, 9, 300)})
    >>> y = (rng.random(300) < X["days_since_last"] / 250).astype(int)
    >>> model = ChurnModel().fit(X, y)
    >>> bool(model.coef_["days_since_last"] > 0), model.predict(X.head(3)).shape
    (True, (3,))
    """

    def __init__(self, *, C: float = 1.0, max_iter: int = 5000) -> None:
        self.C = C
        self.max_iter = max_iter

    def fit(self, features: pd.DataFrame, churned: ArrayLike) -> ChurnModel:
        """Fit on one row per customer.

        Parameters
        ----------
        features : DataFrame
            Numeric features, e.g. :func:`churn_dataset` without ``churned``.
        churned : array-like of 0/1 or bool
            The label, one per row of ``features``.

        Returns
        -------
        ChurnModel
            ``self``, fitted.

        Examples
        --------
        >>> X = pd.DataFrame({"days_since_last": [1, 5, 90, 120, 3, 200]})
        >>> ChurnModel().fit(X, [0, 0, 1, 1, 0, 1]).feature_names_
        ['days_since_last']
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        check_number("C", self.C, 1e-12, 1e12)
        check_int("max_iter", self.max_iter, 1, 10**7)
        names = _check_features("features", features)
        y = check_binary("churned", churned)
        if len(y) != len(features):
            raise ValueError(f"`churned` must have one value per row of `features` ({len(features)}); got {len(y)}.")
        if len(np.unique(y)) < 2:
            raise ValueError("`churned` holds one class only; the model needs churners and stayers.")
        X = _log_features(features, names)
        self.scaler_ = StandardScaler().fit(X)
        self.logit_ = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(self.scaler_.transform(X), y)
        self.feature_names_ = names
        self.coef_ = pd.Series(self.logit_.coef_[0], index=names, name="coef")
        self.intercept_ = float(self.logit_.intercept_[0])
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Probability of churning, one per row.

        Parameters
        ----------
        features : DataFrame
            With every column the model was fitted on (others are ignored).

        Returns
        -------
        ndarray of float
            ``P(churned = 1)`` per row.

        Raises
        ------
        NotFittedError
            Before ``fit``.

        Examples
        --------
        >>> X = pd.DataFrame({"days_since_last": [1, 5, 90, 120, 3, 200]})
        >>> p = ChurnModel().fit(X, [0, 0, 1, 1, 0, 1]).predict(X)
        >>> bool(p[5] > p[0])
        True
        """
        if not hasattr(self, "logit_"):
            raise NotFittedError("This ChurnModel is not fitted yet; call fit(...) first.")
        names = _check_features("features", features, self.feature_names_)
        return self.logit_.predict_proba(self.scaler_.transform(_log_features(features, names)))[:, 1]


@dataclass(frozen=True, repr=False)
class ChurnEvaluation(Result):
    """How well churn scores rank and how well they are calibrated.

    Attributes
    ----------
    auc : float
        Area under the ROC curve: the chance that a random churner scores above a random stayer.
    brier : float
        Mean squared error of the probabilities.
    base_rate : float
        Share of churners.
    n : int
        Customers scored.
    lift : DataFrame
        Per decile (1 = highest scores): ``customers``, ``churners``, ``rate``, ``lift``,
        ``cumulative_gains``, ``cumulative_lift``.
    calibration : DataFrame
        Per bin: ``mean_predicted``, ``observed_rate``.

    Examples
    --------
    >>> ev = evaluate_churn([1, 1, 0, 0], [0.9, 0.6, 0.7, 0.1], n_bins=2)
    >>> ev.auc, ev.n
    (0.75, 4)
    """

    auc: float
    brier: float
    base_rate: float
    n: int
    lift: pd.DataFrame
    calibration: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The decile table with ``auc``, ``brier`` and ``base_rate`` on every row.

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> evaluate_churn([1, 1, 0, 0], [0.9, 0.6, 0.7, 0.1], n_bins=2).to_frame()["auc"].tolist()
        [0.75, 0.75]
        """
        return self.lift.reset_index().assign(auc=self.auc, brier=self.brier, base_rate=self.base_rate)


@keyword_only_since("n_bins")
def evaluate_churn(y_true: ArrayLike, p_churn: ArrayLike, *, n_bins: int = 10) -> ChurnEvaluation:
    """AUC, Brier score, a decile lift / cumulative-gains table and a calibration curve.

    Parameters
    ----------
    y_true : array-like of 0/1 or bool
        Whether each customer churned.
    p_churn : array-like of float
        The model's probability of churning, in [0, 1].
    n_bins : int, default=10
        Groups of the lift table (10: deciles) and bins of the calibration curve.

    Returns
    -------
    ChurnEvaluation
        ``auc``, ``brier``, ``base_rate``, ``n``, the ``lift`` table and the
        ``calibration`` curve.

    Raises
    ------
    ValueError
        Lengths that differ, labels that are not 0/1 or of one class, probabilities outside [0, 1].

    See Also
    --------
    fidelia_kit.plots.gains_plot, fidelia_kit.plots.calibration_plot

    Notes
    -----
    Lift of a group = its churn rate / the overall rate; cumulative gains = share of all
    churners found in the top groups. Ties in ``p_churn`` are broken by row order (a stable
    sort). Calibration: scikit-learn's ``calibration_curve`` with quantile bins. Evaluated on
    customers of a later date than the fit's, these are out-of-sample figures.

    References
    ----------
    Brier, G. W. (1950). Verification of forecasts expressed in terms of probability.
    Monthly Weather Review 78(1), 1-3.

    Examples
    --------
    >>> y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    >>> ev = evaluate_churn(y, np.linspace(0.9, 0.0, 10), n_bins=5)
    >>> round(ev.auc, 3), float(ev.lift.loc[1, "lift"])
    (0.952, 3.3333333333333335)
    """
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss, roc_auc_score

    y = check_binary("y_true", y_true).ravel()
    p = np.asarray(p_churn, dtype=float).ravel()
    if len(y) != len(p):
        raise ValueError(f"`y_true` and `p_churn` must have the same length; got {len(y)} and {len(p)}.")
    if len(np.unique(y)) < 2:
        raise ValueError("`y_true` holds one class only; AUC needs churners and stayers.")
    if np.isnan(p).any() or ((p < 0) | (p > 1)).any():
        raise ValueError("`p_churn` must be probabilities in [0, 1] (no missing values).")
    n_bins = check_int("n_bins", n_bins, 2, 100)
    order = np.argsort(-p, kind="stable")
    group = np.empty(len(p), dtype=int)
    group[order] = np.arange(len(p)) * n_bins // len(p) + 1
    base = float(y.mean())
    lift = pd.DataFrame({"decile": group, "y": y}).groupby("decile").agg(customers=("y", "size"), churners=("y", "sum"))
    lift["rate"] = lift["churners"] / lift["customers"]
    lift["lift"] = lift["rate"] / base
    lift["cumulative_gains"] = lift["churners"].cumsum() / y.sum()
    lift["cumulative_lift"] = (lift["churners"].cumsum() / lift["customers"].cumsum()) / base
    obs, pred = calibration_curve(y, p, n_bins=n_bins, strategy="quantile")
    return ChurnEvaluation(auc=float(roc_auc_score(y, p)), brier=float(brier_score_loss(y, p)), base_rate=base,
                           n=len(y), lift=lift, calibration=pd.DataFrame({"mean_predicted": pred, "observed_rate": obs}))


# --- how much scoring the training customers flatters the AUC ---------------------------------------------


@dataclass(frozen=True, repr=False)
class AUCOptimism(Result):
    """The AUC of a churn model on its own training customers beside its cross-validated AUC.

    Attributes
    ----------
    in_sample_auc : float
        The model fitted on every customer and scored on the same customers.
    cv_auc : float
        Each customer scored by a model fitted on the other folds (pooled out-of-fold scores).
    optimism : float
        ``in_sample_auc - cv_auc``: how much evaluating on the fitting data flatters the model.
    n : int
        Customers used.
    n_splits : int
        Folds of the cross-validation.
    sentence : str
        The comparison in words, its direction read from the numbers (property).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"days_since_last": rng.integers(0, 200, 300), "n_purchases": rng.integers(1, 9, 300)})
    >>> y = (rng.random(300) < X["days_since_last"] / 250).astype(int)
    >>> res = auc_optimism(X, y, rng=1)
    >>> res.n, res.n_splits, round(res.in_sample_auc - res.cv_auc - res.optimism, 12)
    (300, 5, 0.0)
    >>> AUCOptimism(0.85, 0.80, 0.05, 200, 5).sentence
    'On the same 200 customers, the AUC is 0.850 scored on the customers the model was fitted on and 0.800 cross-validated (5 folds): evaluating on the fitting data overstates it by 0.050.'
    """

    in_sample_auc: float
    cv_auc: float
    optimism: float
    n: int
    n_splits: int

    @property
    def sentence(self) -> str:
        """The two AUCs and what evaluating on the fitting data does to them, in one sentence."""
        if round(self.optimism, 3) > 0:
            effect = f"overstates it by {self.optimism:.3f}"
        elif round(self.optimism, 3) < 0:
            effect = f"understates it by {-self.optimism:.3f}: a difference of chance, not optimism"
        else:
            effect = "leaves it unchanged to three decimals"
        return (f"On the same {self.n:,} customers, the AUC is {self.in_sample_auc:.3f} scored on the customers the "
                f"model was fitted on and {self.cv_auc:.3f} cross-validated ({self.n_splits} folds): evaluating on the "
                f"fitting data {effect}.")


def auc_optimism(features: pd.DataFrame, churned: ArrayLike, *, n_splits: int = 5, max_customers: int | None = None,
                 model: ChurnModel | None = None, rng: RNGLike = 0) -> AUCOptimism:
    """How much scoring a churn model on its own training customers overstates its AUC.

    Both AUCs are taken on the same customers of the same date, so their difference is the
    optimism of in-sample evaluation alone, not a change of date, base rate or customers.

    Parameters
    ----------
    features : DataFrame
        Numeric features, one row per customer (e.g. :func:`churn_dataset` without ``churned``).
    churned : array-like of 0/1 or bool
        The label, one per row.
    n_splits : int, default=5
        Folds of the stratified cross-validation (each fold keeps the share of churners).
    max_customers : int, optional
        Use a random sample of this many customers (all when None or larger than the data): the
        optimism grows as the training set shrinks.
    model : ChurnModel, optional
        Settings of the model to refit (default ``ChurnModel()``); it is cloned, never fitted.
    rng : int, Generator or None, default=0
        Seed of the sample and of the folds.

    Returns
    -------
    AUCOptimism
        ``in_sample_auc``, ``cv_auc``, ``optimism``, ``n``, ``n_splits``.

    Raises
    ------
    TypeError
        ``features`` not a DataFrame, ``model`` not a ChurnModel.
    ValueError
        Lengths that differ, a label that is not 0/1, fewer churners or stayers than folds.

    See Also
    --------
    evaluate_churn : the AUC on a later date (out of sample and out of time).

    Notes
    -----
    The cross-validated AUC pools the out-of-fold probabilities of every customer (as
    scikit-learn's ``cross_val_predict``) and takes one AUC of them.

    References
    ----------
    Hastie, T., Tibshirani, R. and Friedman, J. (2009). The Elements of Statistical Learning,
    2nd ed., section 7.4 (optimism of the training error) and 7.10 (cross-validation).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(50, 15)), columns=[f"x{k}" for k in range(15)]).abs()
    >>> y = (rng.random(50) < 0.5).astype(int)       # pure noise: nothing to predict
    >>> res = auc_optimism(X, y, rng=0)               # yet the fit looks good on its own customers
    >>> round(res.in_sample_auc, 2), round(res.cv_auc, 2), round(res.optimism, 2)
    (0.83, 0.39, 0.44)
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from .._estimator import clone

    rng = as_rng(rng)
    names = _check_features("features", features)
    y = check_binary("churned", churned).ravel()
    if len(y) != len(features):
        raise ValueError(f"`churned` must have one value per row of `features` ({len(features)}); got {len(y)}.")
    n_splits = check_int("n_splits", n_splits, 2, 100)
    if model is None:
        model = ChurnModel()
    elif not isinstance(model, ChurnModel):
        raise TypeError(f"`model` must be a ChurnModel; got {type(model).__name__}.")
    X = features[names]
    if max_customers is not None and check_int("max_customers", max_customers, 2 * n_splits, 10**9) < len(y):
        keep = np.sort(rng.choice(len(y), max_customers, replace=False))
        X, y = X.iloc[keep], y[keep]
    fewest = min(int(y.sum()), int(len(y) - y.sum()))
    if fewest < n_splits:
        raise ValueError(f"`churned` has {fewest} customers in its smaller class; `n_splits` = {n_splits} folds need at "
                         f"least one each.")
    in_sample = float(roc_auc_score(y, clone(model).fit(X, y).predict(X)))
    held_out = np.empty(len(y))
    for fit_rows, test_rows in StratifiedKFold(n_splits, shuffle=True, random_state=seed_from(rng)).split(X, y):
        held_out[test_rows] = clone(model).fit(X.iloc[fit_rows], y[fit_rows]).predict(X.iloc[test_rows])
    cv = float(roc_auc_score(y, held_out))
    return AUCOptimism(in_sample_auc=in_sample, cv_auc=cv, optimism=in_sample - cv, n=len(y), n_splits=n_splits)


# --- whom to reactivate, and how to check the choice against the truth ------------------------------------


def _probabilities(name: str, values: ArrayLike) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if np.isnan(arr).any() or ((arr < 0) | (arr > 1)).any():
        raise ValueError(f"`{name}` must be probabilities in [0, 1] (no missing values).")
    return arr


def winnable_probability(risk: ArrayLike, p_alive: ArrayLike) -> np.ndarray:
    """The chance a customer is still a customer now **and** lapses in the coming window.

    Parameters
    ----------
    risk : array-like of float
        Probability of no purchase in the window (a churn model's score, e.g. :class:`ChurnModel`).
    p_alive : array-like of float
        Probability the customer is still a customer now (e.g. BG/NBD's, from
        :func:`fidelia_kit.clv.customer_value`).

    Returns
    -------
    ndarray of float
        ``p_alive - (1 - risk)``, clipped to [0, 1].

    Raises
    ------
    ValueError
        Lengths that differ, values outside [0, 1] or missing.

    Notes
    -----
    Only a customer who is still there can buy, so "buys in the window" is part of "alive now":

    .. math:: P(\\text{alive} \\cap \\text{no purchase}) = P(\\text{alive}) - P(\\text{purchase}) = p_{alive} - (1 - risk)

    These are the customers a contact can still win back: the gone cannot be reached, and the
    ones who will buy anyway need no contact. Multiplying ``risk x p_alive`` instead treats the
    two events as independent, but high risk mostly *means* gone. The two probabilities come
    from two models; where they disagree (``p_alive < 1 - risk``) the difference is clipped at 0.

    Examples
    --------
    >>> winnable_probability([0.9, 0.6, 0.2], [0.2, 0.9, 0.95])
    array([0.1 , 0.5 , 0.15])
    """
    r, a = _probabilities("risk", risk).ravel(), _probabilities("p_alive", p_alive).ravel()
    if len(r) != len(a):
        raise ValueError(f"`risk` and `p_alive` must have the same length; got {len(r)} and {len(a)}.")
    return np.clip(a + r - 1.0, 0.0, 1.0).round(12)


def reactivation_list(scores: pd.DataFrame, *, size: int, min_winnable: float = 0.5, risk_col: str = "risk",
                      p_alive_col: str = "p_alive", value_col: str = "clv") -> pd.DataFrame:
    """Whom to contact to win back: likely still there and about to lapse, the most valuable first.

    Parameters
    ----------
    scores : DataFrame
        One row per customer with ``risk_col``, ``p_alive_col`` and ``value_col``.
    size : int
        Most customers to contact.
    min_winnable : float, default=0.5
        Keep customers whose :func:`winnable_probability` is at least this (0.5: more likely
        winnable than not).
    risk_col, p_alive_col, value_col : str
        Probability of lapsing in the window, of being a customer now, and what the customer is
        worth (e.g. the CLV of :func:`fidelia_kit.clv.customer_value`, EUR).

    Returns
    -------
    DataFrame
        The chosen rows of ``scores`` with a ``winnable`` column, by ``value_col`` (highest
        first); fewer than ``size`` rows when fewer customers reach ``min_winnable``.

    Raises
    ------
    ValueError
        A missing column, probabilities outside [0, 1], missing values, options out of range.

    See Also
    --------
    reactivation_check : the list against the world's truth.

    Notes
    -----
    Two steps a marketing team can say in words: keep the customers a contact can still win back
    (still there and about to stop buying, :func:`winnable_probability` at least
    ``min_winnable``), then call the most valuable of them first. Ranking by risk alone picks
    the gone; ranking by ``risk x p_alive x value`` favours safe customers, because risk and
    ``p_alive`` move in opposite directions.

    Examples
    --------
    >>> scores = pd.DataFrame({"risk": [0.95, 0.7, 0.6, 0.1], "p_alive": [0.1, 0.9, 0.95, 0.99],
    ...                        "clv": [5.0, 40.0, 90.0, 300.0]}, index=[1, 2, 3, 4])
    >>> reactivation_list(scores, size=2)[["winnable", "clv"]]
       winnable   clv
    3      0.55  90.0
    2      0.60  40.0
    """
    check_frame("scores", scores, [risk_col, p_alive_col, value_col])
    size = check_int("size", size, 1, 10**9)
    min_winnable = check_number("min_winnable", min_winnable, 0.0, 1.0)
    value = pd.to_numeric(scores[value_col], errors="coerce")
    if value.isna().any():
        raise ValueError(f"`scores`: column {value_col!r} must be numeric without missing values; "
                         f"{int(value.isna().sum())} rows are not.")
    out = scores.assign(winnable=winnable_probability(scores[risk_col], scores[p_alive_col]))
    out = out[out["winnable"] >= min_winnable]
    return out.sort_values([value_col, "winnable"], ascending=False, kind="stable").head(size)


def _series(name: str, values) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise TypeError(f"`{name}` must be a pandas Series indexed by customer; got {type(values).__name__}.")
    return values


def reactivation_check(lists: Mapping[str, ArrayLike], *, churned: pd.Series, alive: pd.Series,
                       value: pd.Series) -> pd.DataFrame:
    """How many customers on each contact list a contact could still win back, and what they are worth.

    Parameters
    ----------
    lists : mapping of str to array-like
        Each list's name and its customer ids.
    churned : Series of 0/1 or bool
        Per customer: lapsed in the label window (no purchase), e.g. :func:`churn_dataset`'s label.
    alive : Series of bool
        Per customer: still a customer when the list is drawn up (e.g. :func:`alive_on` on the
        world's truth).
    value : Series of float
        Per customer: a figure of true worth (e.g. the truth's yearly spend while alive).

    Returns
    -------
    DataFrame
        Indexed by ``list``: ``customers``, ``alive_share``, ``churn_share``,
        ``winnable_share`` (alive **and** lapsed: customers a contact could still win back),
        ``mean_value`` (of everyone on the list) and ``winnable_value`` (the value of the
        winnable ones per customer contacted: the worth a contact can still save).

    Raises
    ------
    TypeError
        ``lists`` not a mapping, ``churned``/``alive``/``value`` not Series.
    ValueError
        An empty list, a customer missing from ``churned``, ``alive`` or ``value``, or a missing value.

    Examples
    --------
    >>> churned = pd.Series([1, 1, 0, 1], index=[1, 2, 3, 4])
    >>> alive = pd.Series([True, False, True, True], index=[1, 2, 3, 4])
    >>> value = pd.Series([10.0, 50.0, 80.0, 20.0], index=[1, 2, 3, 4])
    >>> check = reactivation_check({"all": [1, 2, 3, 4], "chosen": [1, 4]}, churned=churned, alive=alive,
    ...                            value=value)
    >>> check[["customers", "winnable_share", "mean_value", "winnable_value"]]
            customers  winnable_share  mean_value  winnable_value
    list
    all             4             0.5        40.0             7.5
    chosen          2             1.0        15.0            15.0
    """
    if not isinstance(lists, Mapping) or not lists:
        raise TypeError(f"`lists` must be a non-empty mapping of list names to customer ids; got {type(lists).__name__}.")
    given = {"churned": _series("churned", churned), "alive": _series("alive", alive), "value": _series("value", value)}
    rows = {}
    for name, ids in lists.items():
        ids = pd.Index(np.asarray(ids).ravel())
        if len(ids) == 0:
            raise ValueError(f"`lists`: list {name!r} is empty.")
        picked = {}
        for what, series in given.items():
            got = series.reindex(ids)
            if got.isna().any():
                raise ValueError(f"`{what}` has no value for {int(got.isna().sum())} customers of list {name!r} "
                                 f"(e.g. {ids[got.isna().to_numpy()].tolist()[0]!r}).")
            picked[what] = got
        lapsed = check_binary("churned", picked["churned"].to_numpy()).astype(bool)
        there = check_binary("alive", picked["alive"].to_numpy()).astype(bool)
        worth = picked["value"].to_numpy(dtype=float)
        rows[name] = {"customers": len(ids), "alive_share": there.mean(), "churn_share": lapsed.mean(),
                      "winnable_share": (there & lapsed).mean(), "mean_value": worth.mean(),
                      "winnable_value": (worth * (there & lapsed)).mean()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("list")
