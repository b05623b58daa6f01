"""Behavioural clusters: how customers shop, grouped with k-means or a Gaussian mixture."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import check_frame, check_option

__all__ = ["behaviour_features", "ClusterResult", "cluster_customers"]

# --- behavioural clusters ---------------------------------------------------------------------------

def behaviour_features(transactions: pd.DataFrame, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """How each customer shops: frequency, basket, channel, payment, discounts and category mix.

    Columns: ``n_purchases`` (receipts), ``avg_basket`` (EUR), ``items_per_basket``, shares
    of receipts ``online_share``, ``app_share``, ``cash_share``, ``mobile_share``,
    ``discount_share``, and, with basket lines, ``cat_<category>`` shares of spend.
    """
    check_frame("transactions", transactions, ["customer_id", "transaction_id", "amount", "n_items", "channel",
                                               "payment_method", "discount"])
    t = transactions.assign(
        online=(transactions["channel"] == "online").astype(float),
        app=(transactions["channel"] == "app").astype(float),
        cash=(transactions["payment_method"] == "cash").astype(float),
        mobile=(transactions["payment_method"] == "mobile").astype(float),
        disc=(transactions["discount"] > 0).astype(float),
    )
    g = t.groupby("customer_id")
    out = pd.DataFrame({
        "n_purchases": g.size(),
        "avg_basket": g["amount"].mean(),
        "items_per_basket": g["n_items"].mean(),
        "online_share": g["online"].mean(),
        "app_share": g["app"].mean(),
        "cash_share": g["cash"].mean(),
        "mobile_share": g["mobile"].mean(),
        "discount_share": g["disc"].mean(),
    })
    if items is not None:
        check_frame("items", items, ["transaction_id", "category", "amount"])
        owner = transactions.set_index("transaction_id")["customer_id"]
        lines = items.assign(customer_id=owner.reindex(items["transaction_id"]).to_numpy())
        mix = lines.pivot_table(index="customer_id", columns="category", values="amount", aggfunc="sum", fill_value=0.0)
        mix = mix.div(mix.sum(axis=1), axis=0).add_prefix("cat_")
        mix.columns.name = None
        out = out.join(mix, how="left").fillna(0.0)
    return out


@dataclass
class ClusterResult:
    """A fitted clustering: the pipeline, the chosen k and how each k scored."""

    pipeline: object          # scikit-learn Pipeline (transform + model)
    k: int
    labels: pd.Series
    profile: pd.DataFrame     # per cluster: size, share, feature means, value share
    scores: pd.DataFrame      # per k: silhouette (k-means) or BIC (Gaussian mixture)
    method: str
    log_features: list


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


def cluster_customers(features: pd.DataFrame, k=range(2, 9), *, method: str = "kmeans", rng=0,
                      value: pd.Series | None = None, sample_size: int = 5_000) -> ClusterResult:
    """Group customers by behaviour and choose the number of groups.

    Parameters
    ----------
    features : DataFrame
        Numeric features per customer (e.g. :func:`behaviour_features`).
    k : int or iterable of int, default=range(2, 9)
        Numbers of clusters to try.
    method : {"kmeans", "gmm"}, default="kmeans"
        k-means (k chosen by the highest silhouette, computed on a random sample of
        ``sample_size`` customers so it stays fast at a million customers) or a Gaussian
        mixture (k chosen by the lowest BIC).
    rng : int, Generator or None, default=0
        Seed of the sample and of the models' initialisation.
    value : Series, optional
        Value per customer (e.g. profit) for the profile's value share per cluster.

    Returns
    -------
    ClusterResult
        The fitted scikit-learn Pipeline (log1p of skewed non-negative features, then
        standard scaling, then the model), the chosen k, labels, a profile table and the
        score of every k tried.
    """
    from sklearn.cluster import KMeans
    from sklearn.compose import ColumnTransformer
    from sklearn.mixture import GaussianMixture
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    if not isinstance(features, pd.DataFrame):
        raise TypeError(f"`features` must be a pandas DataFrame; got {type(features).__name__}.")
    non_numeric = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if non_numeric:
        raise ValueError(f"`features` must be numeric; column(s) {non_numeric} are not.")
    if features.isna().any().any():
        raise ValueError(f"`features` has missing values in column(s) {features.columns[features.isna().any()].tolist()}.")
    check_option("method", method, ["kmeans", "gmm"])
    ks = [k] if isinstance(k, (int, np.integer)) else list(k)
    if not ks or any(not isinstance(x, (int, np.integer)) or x < 2 for x in ks):
        raise ValueError(f"`k` must be integers >= 2; got {ks}.")
    if max(ks) >= len(features):
        raise ValueError(f"`k` goes up to {max(ks)} but there are only {len(features)} customers.")
    rng = np.random.default_rng(rng)
    seed = int(rng.integers(2**31 - 1))
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
        if method == "kmeans":
            model = KMeans(n_clusters=kk, n_init=4, random_state=seed).fit(X)
            rows.append({"k": kk, "inertia": model.inertia_})
        else:
            model = GaussianMixture(n_components=kk, covariance_type="full", n_init=2, random_state=seed).fit(X)
            rows.append({"k": kk, "bic": model.bic(X)})
        models[kk] = model
    if method == "kmeans":  # every k's silhouette from one pass over the sample's distances
        for row, score in zip(rows, _silhouettes(X[sample], [models[kk].labels_[sample] for kk in ks])):
            row["silhouette"] = score
    scores = pd.DataFrame(rows).set_index("k")
    if method == "kmeans":
        scores = scores[["silhouette", "inertia"]]
    best = int(scores["silhouette"].idxmax() if method == "kmeans" else scores["bic"].idxmin())
    model = models[best]
    labels = pd.Series(model.predict(X), index=features.index, name="cluster")
    pipeline = Pipeline([("transform", prep), ("scale", prep_pipe.named_steps["scale"]), ("model", model)])
    profile = features.groupby(labels.to_numpy()).mean()
    profile.insert(0, "size", labels.value_counts().sort_index())
    profile.insert(1, "share", profile["size"] / len(labels))
    if value is not None:
        v = value.reindex(features.index)
        profile["value_share"] = v.groupby(labels.to_numpy()).sum() / v.sum()
    profile.index.name = "cluster"
    return ClusterResult(pipeline=pipeline, k=best, labels=labels, profile=profile, scores=scores,
                         method=method, log_features=log_cols)



