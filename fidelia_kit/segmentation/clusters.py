"""Behavioural clusters: how customers shop, grouped with k-means or a Gaussian mixture."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._deprecation import keyword_only_since
from .._estimator import ParamsMixin
from .._results import Result
from .._validation import as_rng, check_frame, check_int, check_number, check_option, seed_from
from ..exceptions import NotFittedError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .._typing import RNGLike


__all__ = ["behaviour_features", "CustomerClusters", "ClusterResult", "cluster_customers", "silhouette_strength",
           "cluster_traits"]

# --- behavioural clusters ---------------------------------------------------------------------------

def behaviour_features(transactions: pd.DataFrame, items: pd.DataFrame | None = None, *,
                       customer_col: str = "customer_id", transaction_col: str = "transaction_id",
                       value_col: str = "amount", n_items_col: str = "n_items", channel_col: str = "channel",
                       payment_col: str = "payment_method", discount_col: str = "discount",
                       category_col: str = "category") -> pd.DataFrame:
    """How each customer shops: frequency, basket, channel, payment, discounts and category mix.

    Parameters
    ----------
    transactions : DataFrame
        One row per receipt, with the columns named below.
    items : DataFrame, optional
        Basket lines (``transaction_col``, ``category_col``, ``value_col``); adds the
        category mix.
    customer_col, transaction_col, value_col, n_items_col : str
        Columns of ``transactions``: customer id, receipt id, amount (EUR), items in the basket.
    channel_col, payment_col, discount_col : str
        Columns of ``transactions``: sales channel (``"store"``, ``"online"``, ``"app"``),
        payment method (``"cash"``, ``"mobile"``, ...) and discount (EUR).
    category_col : str, default="category"
        Column of ``items`` with the product category.

    Returns
    -------
    DataFrame
        Indexed by customer: ``n_receipts`` (receipts, not purchase days), ``avg_basket``
        (mean amount per receipt, EUR), ``items_per_basket``, and shares of receipts
        ``online_share`` (channel 'online' only), ``app_share`` ('app'), ``cash_share``,
        ``mobile_share``, ``discount_share`` (with a discount); with basket lines,
        ``cat_<category>`` shares of spend.

    Raises
    ------
    TypeError, ValueError
        Missing columns, naming them.

    See Also
    --------
    CustomerClusters : groups customers by these features.
    rfm_table : ``n_purchases`` counts distinct purchase days instead.

    Notes
    -----
    Every share is a mean of 0/1 flags over a customer's receipts, so it lies in [0, 1].
    ``online_share + app_share`` is the digital share (receipts not in a store).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "transaction_id": [10, 11, 12], "amount": [20.0, 40.0, 5.0],
    ...                    "n_items": [2, 4, 1], "channel": ["store", "app", "online"],
    ...                    "payment_method": ["cash", "card", "mobile"], "discount": [0.0, 2.0, 0.0]})
    >>> behaviour_features(tx)[["n_receipts", "avg_basket", "online_share", "app_share", "discount_share"]]
                 n_receipts  avg_basket  online_share  app_share  discount_share
    customer_id
    1                     2        30.0           0.0        0.5             0.5
    2                     1         5.0           1.0        0.0             0.0
    """
    check_frame("transactions", transactions, [customer_col, transaction_col, value_col, n_items_col, channel_col,
                                               payment_col, discount_col])
    t = pd.DataFrame({
        "customer_id": transactions[customer_col].to_numpy(),
        "amount": transactions[value_col].to_numpy(dtype=float),
        "n_items": transactions[n_items_col].to_numpy(dtype=float),
        "online": (transactions[channel_col] == "online").to_numpy(dtype=float),
        "app": (transactions[channel_col] == "app").to_numpy(dtype=float),
        "cash": (transactions[payment_col] == "cash").to_numpy(dtype=float),
        "mobile": (transactions[payment_col] == "mobile").to_numpy(dtype=float),
        "disc": (transactions[discount_col] > 0).to_numpy(dtype=float),
    })
    g = t.groupby("customer_id")
    out = pd.DataFrame({
        "n_receipts": g.size(),
        "avg_basket": g["amount"].mean(),
        "items_per_basket": g["n_items"].mean(),
        "online_share": g["online"].mean(),
        "app_share": g["app"].mean(),
        "cash_share": g["cash"].mean(),
        "mobile_share": g["mobile"].mean(),
        "discount_share": g["disc"].mean(),
    })
    out.index.name = customer_col
    if items is not None:
        check_frame("items", items, [transaction_col, category_col, value_col])
        owner = transactions.set_index(transaction_col)[customer_col]
        lines = pd.DataFrame({"customer_id": owner.reindex(items[transaction_col]).to_numpy(),
                              "category": items[category_col].to_numpy(), "amount": items[value_col].to_numpy()})
        mix = lines.pivot_table(index="customer_id", columns="category", values="amount", aggfunc="sum", fill_value=0.0)
        mix = mix.div(mix.sum(axis=1), axis=0).add_prefix("cat_")
        mix.columns.name = None
        out = out.join(mix, how="left").fillna(0.0)
    return out


@dataclass(frozen=True, repr=False)
class ClusterResult(Result):
    """A fitted clustering: the pipeline, the chosen k, labels, profiles and how each k scored.

    Attributes
    ----------
    pipeline : sklearn.pipeline.Pipeline
        log1p of skewed features, standard scaling, then the model; ``predict`` labels new customers.
    k : int
        The number of clusters chosen.
    silhouette : float
        Mean silhouette of the chosen k (on a sample): about 0.25 or less means weak
        structure, 0.5 or more clear groups (Kaufman & Rousseeuw).
    labels : Series
        ``cluster`` per customer.
    profile : DataFrame
        Per cluster: ``size``, ``share``, feature means (and ``value_share``).
    scores : DataFrame
        Per k tried: ``silhouette`` and ``inertia`` (k-means) or ``bic`` (Gaussian mixture).
    method : str
    log_features : list
        Features log1p-transformed before scaling.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(np.repeat([[0, 0], [8, 8]], 50, axis=0) + rng.standard_normal((100, 2)), columns=["a", "b"])
    >>> res = cluster_customers(X, k=[2, 3])
    >>> res.k, res.to_frame()["size"].tolist()
    (2, [50, 50])
    """

    pipeline: object
    k: int
    silhouette: float
    labels: pd.Series
    profile: pd.DataFrame
    scores: pd.DataFrame
    method: str
    log_features: list

    def to_frame(self) -> pd.DataFrame:
        """The cluster profiles, one row per cluster."""
        return self.profile.reset_index()


def _silhouettes(X: np.ndarray, labelings: list, *, chunk: int = 1_024) -> list[float]:
    """Mean silhouette (Rousseeuw 1987) of each labeling of the same points, Euclidean distance.

    Equals scikit-learn's ``silhouette_score`` for each labeling (a test checks it), but
    computes the pairwise distances once for all of them: choosing k among 2..8 used to
    compute them seven times. A point alone in its cluster scores 0; a labeling with a
    single cluster scores -1 (no structure), as the caller treats it.
    """
    n = len(X)
    onehots, counts = [], []
    for labels in labelings:
        _, codes = np.unique(np.asarray(labels), return_inverse=True)
        onehot = np.zeros((n, codes.max() + 1))
        onehot[np.arange(n), codes] = 1.0
        onehots.append(onehot)
        counts.append(onehot.sum(axis=0))
    sums = [np.empty_like(o) for o in onehots]  # per point, summed distance to each cluster
    sq = np.einsum("ij,ij->i", X, X)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        d2 = sq[start:stop, None] - 2 * X[start:stop] @ X.T + sq[None, :]
        np.maximum(d2, 0, out=d2)
        d2[np.arange(stop - start), np.arange(start, stop)] = 0.0  # a point's distance to itself
        d = np.sqrt(d2)
        for total, onehot in zip(sums, onehots):
            total[start:stop] = d @ onehot
    scores = []
    for total, onehot, count in zip(sums, onehots, counts):
        if len(count) < 2:
            scores.append(-1.0)
            continue
        own = onehot.astype(bool)
        size = count[own.argmax(axis=1)]
        a = np.where(size > 1, total[own] / np.maximum(size - 1, 1), 0.0)
        b = np.where(own, np.inf, total / count).min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.nan_to_num((b - a) / np.maximum(a, b))
        scores.append(float(np.where(size > 1, s, 0.0).mean()))
    return scores


class CustomerClusters(ParamsMixin):
    """Group customers by behaviour, choosing the number of groups: a scikit-learn style estimator.

    Parameters
    ----------
    k : int or iterable of int, default=range(2, 9)
        Numbers of clusters to try (each at least 2).
    method : {"kmeans", "gmm"}, default="kmeans"
        k-means (k chosen by the highest silhouette) or a Gaussian mixture with full
        covariances (k chosen by the lowest BIC).
    sample_size : int, default=5000
        Customers sampled for the silhouettes (so they stay fast at a million customers).
    rng : int, Generator or None, default=0
        Int seed, Generator, or None for fresh entropy; default 0, so the same call gives
        the same answer. Draws the sample and the models' ``random_state``.

    Attributes
    ----------
    k_ : int
        The chosen number of clusters.
    labels_ : Series
        ``cluster`` per customer of the features passed to ``fit``.
    silhouettes_ : Series
        Mean silhouette per k tried (on the sample); ``silhouette_`` that of ``k_``.
    scores_ : DataFrame
        Per k: ``silhouette`` and ``inertia`` (k-means) or ``bic`` (mixture).
    profiles_ : DataFrame
        Per cluster: ``size``, ``share``, feature means (and ``value_share`` with ``value``).
    pipeline_ : sklearn.pipeline.Pipeline
        Transform, scale and the chosen model.
    log_features_ : list
        Features log1p-transformed (non-negative, skewness above 1).

    See Also
    --------
    behaviour_features : the usual features.
    cluster_customers : fit and return a :class:`ClusterResult` in one call.

    Notes
    -----
    Features are log1p-transformed when skewed, then standardised, so each counts about
    equally. The silhouette of a point is :math:`(b - a) / \\max(a, b)`, with a its mean
    distance to its own cluster and b to the nearest other one (Rousseeuw 1987).

    References
    ----------
    Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the interpretation and
    validation of cluster analysis. Journal of Computational and Applied Mathematics 20, 53-65.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(np.repeat([[0, 0], [8, 8], [0, 8]], 40, axis=0) + rng.standard_normal((120, 2)),
    ...                  columns=["a", "b"])
    >>> model = CustomerClusters(k=range(2, 5)).fit(X)
    >>> model.k_, model.profiles_["size"].tolist(), bool(model.silhouette_ > 0.7)
    (3, [40, 40, 40], True)
    >>> (model.predict(X) == model.labels_).all()
    np.True_
    """

    def __init__(
        self,
        *,
        k: int | Iterable[int] = range(2, 9),
        method: str = "kmeans",
        sample_size: int = 5_000,
        rng: RNGLike = 0,
    ) -> None:
        self.k = k
        self.method = method
        self.sample_size = sample_size
        self.rng = rng

    def _ks(self, n: int) -> list[int]:
        ks = [self.k] if isinstance(self.k, (int, np.integer)) else list(self.k)
        if not ks or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 2 for x in ks):
            raise ValueError(f"`k` must be integers >= 2; got {ks}.")
        if max(ks) >= n:
            raise ValueError(f"`k` goes up to {max(ks)} but there are only {n} customers.")
        return [int(x) for x in ks]

    def fit(self, features: pd.DataFrame, *, value: pd.Series | None = None) -> CustomerClusters:
        """Fit a model for every k and keep the best.

        Parameters
        ----------
        features : DataFrame
            Numeric features per customer, no missing values (e.g. :func:`behaviour_features`).
        value : Series, optional
            Value per customer (e.g. profit or CLV) for the profiles' ``value_share``.

        Returns
        -------
        CustomerClusters
            ``self``, fitted.
        """
        from sklearn.cluster import KMeans
        from sklearn.compose import ColumnTransformer
        from sklearn.mixture import GaussianMixture
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import FunctionTransformer, StandardScaler

        rng = as_rng(self.rng)
        _check_features(features)
        check_option("method", self.method, ["kmeans", "gmm"])
        sample_size = check_int("sample_size", self.sample_size, 2, 10**9)
        ks = self._ks(len(features))
        seed = seed_from(rng)
        skew = features.skew()
        log_cols = [c for c in features.columns if features[c].min() >= 0 and skew[c] > 1.0]
        other = [c for c in features.columns if c not in log_cols]
        prep = ColumnTransformer([("log", FunctionTransformer(np.log1p, feature_names_out="one-to-one"), log_cols),
                                  ("keep", "passthrough", other)])
        prep_pipe = Pipeline([("transform", prep), ("scale", StandardScaler())])
        X = prep_pipe.fit_transform(features)
        sample = rng.choice(len(X), size=min(sample_size, len(X)), replace=False)
        rows, models = [], {}
        for kk in ks:
            if self.method == "kmeans":
                model = KMeans(n_clusters=kk, n_init=4, random_state=seed).fit(X)
                rows.append({"k": kk, "inertia": model.inertia_})
            else:
                model = GaussianMixture(n_components=kk, covariance_type="full", n_init=2, random_state=seed).fit(X)
                rows.append({"k": kk, "bic": model.bic(X)})
            models[kk] = model
        # every k's silhouette from one pass over the sample's distances
        for row, score in zip(rows, _silhouettes(X[sample], [models[kk].predict(X[sample]) for kk in ks])):
            row["silhouette"] = score
        scores = pd.DataFrame(rows).set_index("k")
        scores = scores[["silhouette", "inertia"] if self.method == "kmeans" else ["silhouette", "bic"]]
        best = int(scores["silhouette"].idxmax() if self.method == "kmeans" else scores["bic"].idxmin())
        model = models[best]
        labels = pd.Series(model.predict(X), index=features.index, name="cluster")
        profile = features.groupby(labels.to_numpy()).mean()
        profile.insert(0, "size", labels.value_counts().sort_index())
        profile.insert(1, "share", profile["size"] / len(labels))
        if value is not None:
            if not isinstance(value, pd.Series):
                raise TypeError(f"`value` must be a pandas Series indexed by customer; got {type(value).__name__}.")
            v = value.reindex(features.index)
            profile["value_share"] = v.groupby(labels.to_numpy()).sum() / v.sum()
        profile.index.name = "cluster"
        self.pipeline_ = Pipeline([("transform", prep), ("scale", prep_pipe.named_steps["scale"]), ("model", model)])
        self.k_ = best
        self.labels_ = labels
        self.scores_ = scores
        self.silhouettes_ = scores["silhouette"].copy()
        self.silhouette_ = float(scores.loc[best, "silhouette"])
        self.profiles_ = profile
        self.log_features_ = log_cols
        self.feature_names_ = list(features.columns)
        return self

    def _check_fitted(self):
        if not hasattr(self, "pipeline_"):
            raise NotFittedError("This CustomerClusters is not fitted yet; call fit(...) first.")

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """The cluster of each customer of ``features`` (same columns as in ``fit``).

        Parameters
        ----------
        features : DataFrame
            Numeric features per customer.

        Returns
        -------
        Series
            ``cluster`` per customer.
        """
        self._check_fitted()
        _check_features(features)
        missing = [c for c in self.feature_names_ if c not in features.columns]
        if missing:
            raise ValueError(f"`features` has no column(s) {missing}; the model was fitted on {self.feature_names_}.")
        return pd.Series(self.pipeline_.predict(features[self.feature_names_]), index=features.index, name="cluster")

    def result(self) -> ClusterResult:
        """The fit as a frozen :class:`ClusterResult`.

        Returns
        -------
        ClusterResult
        """
        self._check_fitted()
        return ClusterResult(pipeline=self.pipeline_, k=self.k_, silhouette=self.silhouette_, labels=self.labels_,
                             profile=self.profiles_, scores=self.scores_, method=self.method,
                             log_features=self.log_features_)


def _check_features(features) -> None:
    if not isinstance(features, pd.DataFrame):
        raise TypeError(f"`features` must be a pandas DataFrame; got {type(features).__name__}.")
    non_numeric = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if non_numeric:
        raise ValueError(f"`features` must be numeric; column(s) {non_numeric} are not.")
    if features.isna().any().any():
        raise ValueError(f"`features` has missing values in column(s) {features.columns[features.isna().any()].tolist()}.")


@keyword_only_since("k")
def cluster_customers(
    features: pd.DataFrame,
    *,
    k: int | Iterable[int] = range(2, 9),
    method: str = "kmeans",
    rng: RNGLike = 0,
    value: pd.Series | None = None,
    sample_size: int = 5_000,
) -> ClusterResult:
    """Group customers by behaviour and choose the number of groups, in one call.

    ``CustomerClusters(k=k, method=method, sample_size=sample_size, rng=rng).fit(features,
    value=value).result()``.

    Parameters
    ----------
    features : DataFrame
        Numeric features per customer (e.g. :func:`behaviour_features`).
    k : int or iterable of int, default=range(2, 9)
        Numbers of clusters to try.
    method : {"kmeans", "gmm"}, default="kmeans"
        k-means (k by the highest silhouette) or a Gaussian mixture (k by the lowest BIC).
    rng : int, Generator or None, default=0
        Int seed, Generator, or None for fresh entropy; default 0, so the same call gives
        the same answer.
    value : Series, optional
        Value per customer (e.g. profit) for the profile's value share per cluster.
    sample_size : int, default=5000
        Customers sampled for the silhouettes.

    Returns
    -------
    ClusterResult
        The fitted pipeline, the chosen k and its silhouette, labels, profiles and the
        score of every k tried.

    Raises
    ------
    TypeError, ValueError
        Features that are not a numeric DataFrame or have missing values; a bad ``k`` or
        ``method``.

    See Also
    --------
    CustomerClusters : the estimator, to predict new customers.

    Notes
    -----
    See :class:`CustomerClusters`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(np.repeat([[0, 0], [8, 8]], 50, axis=0) + rng.standard_normal((100, 2)), columns=["a", "b"])
    >>> cluster_customers(X, k=range(2, 5)).k
    2
    """
    model = CustomerClusters(k=k, method=method, sample_size=sample_size, rng=rng)
    return model.fit(features, value=value).result()


#: Kaufman & Rousseeuw's reading of the mean silhouette: (upper bound, words), the first that holds.
_SILHOUETTE_READING = ((0.25, "no substantial structure"), (0.50, "weak structure, which could be artificial"),
                       (0.70, "a reasonable structure"), (1.00, "a strong structure"))


def silhouette_strength(score: float) -> str:
    """What a mean silhouette says about the clusters, in Kaufman & Rousseeuw's words.

    Parameters
    ----------
    score : float
        A mean silhouette, in [-1, 1] (e.g. ``CustomerClusters.silhouette_``).

    Returns
    -------
    str
        ``"no substantial structure"`` (at most 0.25), ``"weak structure, which could be
        artificial"`` (up to 0.50), ``"a reasonable structure"`` (up to 0.70) or ``"a strong
        structure"``.

    Raises
    ------
    TypeError, ValueError
        Not a number in [-1, 1].

    See Also
    --------
    CustomerClusters

    Notes
    -----
    The bands are a rule of thumb for the mean silhouette of a whole clustering; customer
    data with overlapping habits rarely reach 0.5, so a weak structure is common and the
    clusters are then a convenient summary rather than natural groups.

    References
    ----------
    Kaufman, L. & Rousseeuw, P. J. (1990). Finding Groups in Data, chapter 2. Wiley.

    Examples
    --------
    >>> silhouette_strength(0.19)
    'no substantial structure'
    >>> silhouette_strength(0.6)
    'a reasonable structure'
    """
    score = check_number("score", score, -1, 1, what="a mean silhouette")
    return next(words for bound, words in _SILHOUETTE_READING if score <= bound)


# --- reading the profiles ---------------------------------------------------------------------------------

_PROFILE_SIZE_COLUMNS = ("size", "share", "value_share")


def _profile_zscores(profile: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Each feature's cluster means standardised across the clusters (population SD; 0 where all are equal)."""
    cols = list(columns) if columns else [c for c in profile.columns if c not in _PROFILE_SIZE_COLUMNS]
    z = profile[cols]
    return (z - z.mean()) / z.std(ddof=0).replace(0, 1)


def cluster_traits(result: ClusterResult | CustomerClusters | pd.DataFrame, *, n: int = 2) -> pd.DataFrame:
    """The features that set each cluster apart: the ``n`` cluster means furthest from the other clusters'.

    Parameters
    ----------
    result : ClusterResult, fitted CustomerClusters or DataFrame
        A clustering, or its profile table (one row per cluster: ``size``, ``share``,
        feature means and optionally ``value_share``).
    n : int, default=2
        Traits per cluster.

    Returns
    -------
    DataFrame
        ``n`` rows per cluster, strongest first: ``cluster``, ``feature``, ``mean`` (the
        cluster's mean of the feature, in its own unit), ``average`` (the unweighted mean of
        the clusters' means), ``z`` and ``direction`` (``"high"`` or ``"low"``).

    Raises
    ------
    TypeError
        ``result`` is not a clustering or a profile table.
    ValueError
        ``n`` outside 1 to the number of features.

    See Also
    --------
    fidelia_kit.plots.cluster_profiles : draws the same z-scores as colours.

    Notes
    -----
    For cluster :math:`c` and feature :math:`j`, :math:`z_{cj} = (\\bar x_{cj} - m_j) / s_j`,
    with :math:`m_j` and :math:`s_j` the mean and (population) standard deviation of the
    clusters' means of feature :math:`j`. The traits are the :math:`n` largest
    :math:`|z_{cj}|`: what a marketer would name the cluster by. They describe the means; with
    a weak silhouette many customers of a cluster do not share its traits.

    Examples
    --------
    >>> profile = pd.DataFrame({"size": [10, 20, 30], "online_share": [0.9, 0.1, 0.2],
    ...                         "avg_basket": [30.0, 31.0, 60.0]}, index=pd.Index([0, 1, 2], name="cluster"))
    >>> cluster_traits(profile, n=1)[["cluster", "feature", "direction"]].values.tolist()
    [[0, 'online_share', 'high'], [1, 'online_share', 'low'], [2, 'avg_basket', 'high']]
    """
    if isinstance(result, pd.DataFrame):
        profile = result
    elif hasattr(result, "profiles_"):
        profile = result.profiles_
    elif isinstance(result, ClusterResult):
        profile = result.profile
    else:
        raise TypeError(f"`result` must be a ClusterResult, a fitted CustomerClusters or a profile DataFrame; "
                        f"got {type(result).__name__}.")
    z = _profile_zscores(profile)
    n = check_int("n", n, 1, max(z.shape[1], 1))
    means = profile[z.columns]
    rows = []
    for cluster, row in z.iterrows():
        for feature in row.abs().sort_values(ascending=False, kind="stable").index[:n]:
            rows.append({"cluster": cluster, "feature": feature, "mean": float(means.loc[cluster, feature]),
                         "average": float(means[feature].mean()), "z": float(row[feature]),
                         "direction": "high" if row[feature] > 0 else "low"})
    return pd.DataFrame(rows, columns=["cluster", "feature", "mean", "average", "z", "direction"])
