"""Satisfaction survey analysis: reliability, factor structure, NPS, drivers and weighting.

A questionnaire measures loyalty only if its scales are reliable (Cronbach's alpha,
McDonald's omega), measure what they claim (factor analysis), and are read with their
uncertainty (NPS with confidence intervals) and with care for who answered
(post-stratification weights). Driver importance and the importance-performance matrix
then say which perceived-value factors to improve first.
"""
from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import (
    check_frame,
    check_int,
    check_not_collinear,
    check_number,
    check_option,
    check_varying,
    check_weights,
)

__all__ = [
    "reverse_code",
    "scale_scores",
    "ReliabilityResult",
    "cronbach_alpha",
    "omega",
    "kmo",
    "bartlett_sphericity",
    "parallel_analysis",
    "FactorResult",
    "factor_analysis",
    "NPSResult",
    "nps",
    "nps_by",
    "NPSComparison",
    "compare_nps",
    "driver_importance",
    "importance_performance",
    "LoyaltyLinks",
    "satisfaction_to_loyalty",
    "poststratify",
]


# --- checks --------------------------------------------------------------------------------------

def _items(items, name: str = "items", *, min_items: int = 2, scale=None) -> pd.DataFrame:
    """Validate a table of answers: numeric, at least ``min_items`` columns, within ``scale``."""
    if not isinstance(items, pd.DataFrame):
        raise TypeError(f"`{name}` must be a pandas DataFrame of answers (one column per item); got {type(items).__name__}.")
    if items.shape[1] < min_items:
        raise ValueError(f"`{name}` needs at least {min_items} item columns; got {items.shape[1]}.")
    bad = [c for c in items.columns if not (pd.api.types.is_numeric_dtype(items[c]) and not pd.api.types.is_bool_dtype(items[c]))]
    if bad:
        raise ValueError(f"`{name}`: column(s) {bad} are not numeric answers.")
    df = items.astype("float64")
    empty = [c for c in df.columns if df[c].isna().all()]
    if empty:
        raise ValueError(f"`{name}`: column(s) {empty} have no answers (all missing).")
    if scale is not None:
        lo, hi = scale
        out = (df < lo) | (df > hi)
        if out.any().any():
            cols = df.columns[out.any()].tolist()
            raise ValueError(f"`{name}`: answers outside the scale {lo:g}-{hi:g} in column(s) {cols} "
                             f"({int(out.to_numpy().sum())} value(s)).")
    return df


def _scale(scale) -> tuple[float, float]:
    if not (isinstance(scale, (tuple, list)) and len(scale) == 2 and scale[0] < scale[1]):
        raise ValueError(f"`scale` must be a pair (min, max) with min < max; got {scale!r}.")
    return float(scale[0]), float(scale[1])


# --- scoring --------------------------------------------------------------------------------------

def reverse_code(items: pd.DataFrame, columns, scale=(1, 5)) -> pd.DataFrame:
    """Reverse negatively worded items: ``x -> (min + max) - x``.

    Returns a copy of ``items`` with ``columns`` reversed (on a 1-5 scale, 5 becomes 1).
    Answers outside ``scale`` raise ValueError (reversing them would invent answers).

    Examples
    --------
    >>> reverse_code(pd.DataFrame({"q1": [1, 5], "q2": [2, 4]}), ["q2"])["q2"].tolist()
    [4.0, 2.0]
    """
    lo, hi = _scale(scale)
    columns = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in columns if c not in getattr(items, "columns", [])]
    if missing:
        raise ValueError(f"`columns` {missing} are not in `items`.")
    checked = _items(items[columns], "items", min_items=1, scale=(lo, hi))
    out = items.copy()
    out[columns] = (lo + hi) - checked
    return out


def scale_scores(df: pd.DataFrame, scales: dict, *, reverse=(), scale=(1, 5), min_answers: int = 1) -> pd.DataFrame:
    """One score per respondent and scale: the mean of the scale's items (reversed where needed).

    A respondent needs at least ``min_answers`` answered items of a scale to get a score;
    otherwise the score is missing.
    """
    if not isinstance(scales, dict) or not scales:
        raise TypeError("`scales` must be a dict {scale name: [item columns]}.")
    all_items = [i for items in scales.values() for i in items]
    check_frame("df", df, all_items)
    data = reverse_code(df[all_items], [c for c in reverse if c in all_items], scale) if reverse else df[all_items]
    data = _items(data, "df", min_items=1, scale=scale)
    out = {}
    for name, items in scales.items():
        block = data[list(items)]
        score = block.mean(axis=1)
        out[name] = score.where(block.notna().sum(axis=1) >= min_answers)
    return pd.DataFrame(out, index=df.index)


# --- reliability ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReliabilityResult:
    """Cronbach's alpha of a scale, its confidence interval, and a per-item table."""

    alpha: float
    ci: tuple
    n: int
    k: int
    items: pd.DataFrame
    missing: str

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"alpha": [self.alpha], "ci_low": [self.ci[0]], "ci_high": [self.ci[1]],
                             "n": [self.n], "k": [self.k], "missing": [self.missing]})


def _alpha(cov: np.ndarray) -> float:
    k = cov.shape[0]
    if abs(cov.sum()) <= 1e-12 * max(np.trace(cov), 1.0):
        return float("nan")    # the items' sum has no variance: alpha is undefined
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def cronbach_alpha(items: pd.DataFrame, ci: float = 0.95, *, missing: str = "listwise") -> ReliabilityResult:
    """Cronbach's alpha with Feldt's confidence interval and item statistics.

    Parameters
    ----------
    items : DataFrame
        One column per item (reverse-worded items already reversed), one row per respondent.
    ci : float, default=0.95
        Confidence level of the interval.
    missing : {"listwise", "pairwise"}, default="listwise"
        ``"listwise"`` keeps only respondents who answered every item (n counts them);
        ``"pairwise"`` computes each covariance from the respondents who answered both
        items (n counts all rows, as pingouin does).

    Returns
    -------
    ReliabilityResult
        ``alpha``, ``ci``, ``n``, ``k`` and ``items``: per item the corrected item-total
        correlation (with the sum of the other items), alpha if the item is deleted, mean,
        sd and share of missing answers.

    Notes
    -----
    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_i \\sigma^2_i}{\\sigma^2_X}\\right)

    Alpha is undefined when the sum of the items has no variance (every item constant, or
    items that cancel out exactly); that raises ValueError, and an ``alpha_if_deleted``
    that would be undefined is NaN.

    Feldt's interval: ``1 - (1 - alpha) * F`` at the upper and lower ``(1 - ci)/2``
    quantiles of F(n - 1, (n - 1)(k - 1)) (Feldt, Woodruff & Salih 1987), as pingouin
    and R's psych compute it. Alpha below about 0.7 suggests the items do not measure
    one thing well enough to be added up.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika 16, 297-334.
    """
    ci = check_number("ci", ci, 0.5, 0.9999)
    check_option("missing", missing, ["listwise", "pairwise"])
    df = _items(items)
    share_missing = df.isna().mean()
    if missing == "listwise":
        used = df.dropna()
        n = len(used)
    else:
        used = df
        n = len(df)
    if n < 2:
        raise ValueError(f"`items`: only {n} respondent(s) answered every item; alpha needs at least 2.")
    cov = used.cov().to_numpy()
    if np.isnan(cov).any():
        raise ValueError("`items`: some pairs of items were never answered together; alpha cannot be computed.")
    k = df.shape[1]
    if abs(cov.sum()) <= 1e-12 * max(np.trace(cov), 1.0):
        if np.trace(cov) == 0:
            raise ValueError(f"`items`: every item has the same answer from every respondent (no variance), so alpha "
                             f"is 0 / 0; columns {list(df.columns)}.")
        raise ValueError(f"`items`: the sum of the items has no variance (the items cancel out exactly, as an item "
                         f"and its reverse-worded twin do), so alpha is undefined; reverse negatively worded items "
                         f"first with reverse_code(). Columns {list(df.columns)}.")
    alpha = _alpha(cov)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lower = 1 - (1 - alpha) * stats.f.isf((1 - ci) / 2, df1, df2)
    upper = 1 - (1 - alpha) * stats.f.isf(1 - (1 - ci) / 2, df1, df2)
    rows = []
    cols = list(df.columns)
    for j, c in enumerate(cols):
        others = [o for o in cols if o != c]
        rest = used[others].sum(axis=1, min_count=len(others)) if missing == "listwise" else used[others].sum(axis=1)
        r = used[c].corr(rest)
        keep = [i for i in range(k) if i != j]
        a_del = _alpha(cov[np.ix_(keep, keep)]) if k > 2 else float("nan")
        rows.append({"item": c, "item_total_r": r, "alpha_if_deleted": a_del, "mean": df[c].mean(),
                     "sd": df[c].std(), "missing_share": share_missing[c]})
    return ReliabilityResult(alpha=alpha, ci=(float(lower), float(upper)), n=int(n), k=int(k),
                             items=pd.DataFrame(rows).set_index("item"), missing=missing)


def _one_factor(corr: np.ndarray, n_iter: int = 500, tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """Principal-axis factoring with one factor on a correlation matrix: (loadings, uniquenesses).

    Iterates communalities from the squared multiple correlations, a standard and
    dependable way to fit the one-factor model (no maintained Python package fits it
    without pulling in a heavy SEM library).
    """
    r = corr.copy()
    h = 1 - 1 / np.diag(np.linalg.inv(corr))  # squared multiple correlations
    for _ in range(n_iter):
        np.fill_diagonal(r, h)
        vals, vecs = np.linalg.eigh(r)
        lam = vecs[:, -1] * np.sqrt(max(vals[-1], 0))
        new_h = np.clip(lam**2, 1e-6, 0.9999)
        if np.max(np.abs(new_h - h)) < tol:
            h = new_h
            break
        h = new_h
    lam = lam * np.sign(lam.sum() or 1)
    return lam, 1 - lam**2


def omega(items: pd.DataFrame) -> float:
    """McDonald's omega total from a one-factor model of the items' correlations.

    .. math:: \\omega = \\frac{(\\sum_i \\lambda_i)^2}{(\\sum_i \\lambda_i)^2 + \\sum_i \\psi_i}

    with standardized loadings lambda and uniquenesses psi = 1 - lambda^2 (principal-axis
    factoring). Unlike alpha it does not assume every item loads equally.
    Respondents with a missing answer are left out.

    The denominator is the variance of the sum of the standardized items *implied by the
    model*, (sum lambda)^2 + sum psi, not their observed variance 1'R1 (the sum of all
    correlations, which e.g. R's ``psych::omega`` divides by). The two agree when one factor
    reproduces the correlations; when items share variance beyond the factor (correlated
    errors), 1'R1 is larger and that version gives a lower omega. Being on the correlations,
    omega is the reliability of the sum of z-scored items, which is close to that of the raw
    sum when the items' variances are similar.

    References
    ----------
    McDonald, R. P. (1999). Test Theory: A Unified Treatment, chapter 6. Lawrence Erlbaum.
    """
    df = _items(items, min_items=3).dropna()
    if len(df) < df.shape[1] + 2:
        raise ValueError(f"`items`: {len(df)} complete responses are too few for a one-factor model of {df.shape[1]} items.")
    check_varying("items", df)
    check_not_collinear("items", df)
    lam, psi = _one_factor(df.corr().to_numpy())
    return float(lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum()))


# --- factor analysis -------------------------------------------------------------------------------

def kmo(corr: pd.DataFrame | np.ndarray) -> tuple[float, pd.Series | np.ndarray]:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item.

    .. math:: KMO = \\frac{\\sum_{i\\ne j} r_{ij}^2}{\\sum_{i\\ne j} r_{ij}^2 + \\sum_{i\\ne j} p_{ij}^2}

    with r the correlations and p the partial correlations (from the inverse correlation
    matrix). Values above 0.6 (Kaiser: 0.8 'meritorious') say the items share enough to
    be factored.
    """
    r = np.asarray(corr, dtype=float)
    inv = np.linalg.inv(r)
    d = np.sqrt(np.outer(np.diag(inv), np.diag(inv)))
    p = -inv / d
    off = ~np.eye(len(r), dtype=bool)
    r2, p2 = np.where(off, r**2, 0), np.where(off, p**2, 0)
    overall = float(r2.sum() / (r2.sum() + p2.sum()))
    per_item = r2.sum(axis=0) / (r2.sum(axis=0) + p2.sum(axis=0))
    if isinstance(corr, pd.DataFrame):
        per_item = pd.Series(per_item, index=corr.columns, name="kmo")
    return overall, per_item


def bartlett_sphericity(corr, n: int) -> tuple[float, int, float]:
    """Bartlett's test that the correlation matrix is the identity: (chi2, df, p-value).

    .. math:: \\chi^2 = -\\left(n - 1 - \\frac{2p + 5}{6}\\right)\\ln|R|, \\quad df = p(p-1)/2
    """
    r = np.asarray(corr, dtype=float)
    p = r.shape[0]
    sign, logdet = np.linalg.slogdet(r)
    chi2 = float(-(n - 1 - (2 * p + 5) / 6) * logdet)
    df = p * (p - 1) // 2
    return chi2, df, float(stats.chi2.sf(chi2, df))


def parallel_analysis(items: pd.DataFrame, *, n_iter: int = 100, quantile: float = 0.95, rng=None) -> pd.DataFrame:
    """Horn's parallel analysis: keep the factors whose eigenvalue beats chance.

    The eigenvalues of the items' correlation matrix are compared with the ``quantile``
    of eigenvalues from ``n_iter`` random normal data sets of the same size; the number
    of factors is the count of leading eigenvalues above their random counterpart.
    Returns a table with ``observed``, ``random`` and ``keep`` per component.
    """
    rng = np.random.default_rng(rng)
    df = _items(items).dropna()
    n, p = df.shape
    observed = np.sort(np.linalg.eigvalsh(df.corr().to_numpy()))[::-1]
    sims = np.empty((n_iter, p))
    for i in range(n_iter):
        z = rng.standard_normal((n, p))
        sims[i] = np.sort(np.linalg.eigvalsh(np.corrcoef(z, rowvar=False)))[::-1]
    random = np.quantile(sims, quantile, axis=0)
    above = observed > random
    n_keep = int(np.argmin(above)) if not above.all() else p
    return pd.DataFrame({"observed": observed, "random": random, "keep": np.arange(p) < n_keep},
                        index=pd.RangeIndex(1, p + 1, name="component"))


@dataclass(frozen=True)
class FactorResult:
    """A fitted exploratory factor analysis."""

    loadings: pd.DataFrame       # items x factors
    communalities: pd.Series
    variance: pd.DataFrame       # per factor: ss_loadings, proportion, cumulative
    kmo: float
    kmo_items: pd.Series
    bartlett: tuple              # (chi2, df, p-value)
    n_factors: int
    rotation: str | None
    parallel: pd.DataFrame | None
    n: int

    def assignment(self) -> pd.Series:
        """The factor on which each item loads most (by absolute loading)."""
        return self.loadings.abs().idxmax(axis=1).rename("factor")


def factor_analysis(items: pd.DataFrame, n_factors="parallel", rotation: str | None = "varimax", *,
                    rng=None) -> FactorResult:
    """Exploratory factor analysis of survey items (maximum likelihood, scikit-learn).

    The loadings are the maximum-likelihood solution for the correlation matrix, found by
    scikit-learn's EM algorithm run to convergence (log-likelihood change below 1e-8, exact SVD);
    they agree with statsmodels' ``Factor(method="ml")`` to about 1e-5 before rotation.

    Parameters
    ----------
    items : DataFrame
        One column per item; respondents with a missing answer are left out.
    n_factors : int or "parallel", default="parallel"
        Number of factors, or chosen by :func:`parallel_analysis`.
    rotation : {"varimax", "quartimax", None}, default="varimax"
        Rotation of the loadings (scikit-learn's FactorAnalysis rotates).
    rng : seed for the parallel analysis.

    Returns
    -------
    FactorResult
        Loadings (on standardized items, so they read as correlations), communalities,
        variance explained, KMO (overall and per item), Bartlett's test of sphericity.
    """
    from sklearn.decomposition import FactorAnalysis

    df = _items(items, min_items=3).dropna()
    check_varying("items", df)
    check_not_collinear("items", df)
    if rotation is not None:
        check_option("rotation", rotation, ["varimax", "quartimax"])
    parallel = None
    if isinstance(n_factors, str):
        check_option("n_factors", n_factors, ["parallel"])
        parallel = parallel_analysis(df, rng=rng)
        n_factors = max(int(parallel["keep"].sum()), 1)
    n_factors = check_int("n_factors", n_factors, 1, df.shape[1] - 1)
    if len(df) < 3 * df.shape[1]:
        raise ValueError(f"`items`: {len(df)} complete responses are too few for {df.shape[1]} items (need {3 * df.shape[1]}).")
    z = (df - df.mean()) / df.std(ddof=0)
    # scikit-learn's defaults (tol=1e-2 on the log-likelihood, randomized SVD) stop the EM
    # iterations 2e-3 to 4e-3 away from the ML loadings; exact SVD and tol=1e-8 reach them to 1e-5.
    fa = FactorAnalysis(n_components=n_factors, rotation=rotation, tol=1e-8, svd_method="lapack",
                        max_iter=10_000, random_state=0).fit(z.to_numpy(float))
    load = fa.components_.T
    load = load * np.where(load.sum(axis=0) < 0, -1, 1)  # each factor mostly positive
    names = [f"F{i + 1}" for i in range(n_factors)]
    loadings = pd.DataFrame(load, index=df.columns, columns=names)
    ss = (loadings**2).sum()
    order = ss.sort_values(ascending=False).index
    loadings = loadings[order]
    loadings.columns = names
    ss = (loadings**2).sum()
    variance = pd.DataFrame({"ss_loadings": ss, "proportion": ss / df.shape[1]})
    variance["cumulative"] = variance["proportion"].cumsum()
    corr = df.corr()
    overall, per_item = kmo(corr)
    return FactorResult(loadings=loadings, communalities=(loadings**2).sum(axis=1).rename("communality"),
                        variance=variance, kmo=overall, kmo_items=per_item,
                        bartlett=bartlett_sphericity(corr.to_numpy(), len(df)), n_factors=n_factors,
                        rotation=rotation, parallel=parallel, n=len(df))


# --- NPS ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NPSResult:
    """Net Promoter Score with its standard error and confidence interval (in points)."""

    nps: float
    promoters: float
    passives: float
    detractors: float
    se: float
    ci: tuple
    n: float
    method: str

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"nps": [self.nps], "se": [self.se], "ci_low": [self.ci[0]], "ci_high": [self.ci[1]],
                             "promoters": [self.promoters], "passives": [self.passives],
                             "detractors": [self.detractors], "n": [self.n], "method": [self.method]})


def _nps_scores(scores, name="scores") -> pd.Series:
    s = pd.Series(scores)
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        raise ValueError(f"`{name}` must be numeric answers 0-10; got {s.dtype}.")
    s = s.astype("float64")
    bad = s.notna() & ((s < 0) | (s > 10) | (s != np.round(s)))
    if bad.any():
        raise ValueError(f"`{name}` must be whole numbers 0-10; {int(bad.sum())} value(s) are not: "
                         f"{s[bad].head(3).tolist()}.")
    return s


def nps(scores, weights=None, ci: float = 0.95, *, method: str = "wald") -> NPSResult:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), from -100 to 100.

    Parameters
    ----------
    scores : array-like
        Answers 0-10 to the likelihood-to-recommend question; missing answers are dropped.
    weights : array-like, optional
        Respondent weights (e.g. from :func:`poststratify`); the standard error then uses
        Kish's effective sample size ``(sum w)^2 / sum w^2``.
    ci : float, default=0.95
    method : {"wald", "adjusted_wald"}, default="wald"
        ``"wald"``: NPS +- z SE. ``"adjusted_wald"`` (Rocks 2016): add 3/4 of a respondent
        to promoters and to detractors and 3 to n before computing the interval, which
        keeps coverage near the nominal level in small samples; the point estimate stays
        the plain NPS.

    Returns
    -------
    NPSResult
        ``se`` is the Wald SE below for either method; ``ci`` follows ``method``.

    Notes
    -----
    With shares p (promoters) and d (detractors), the NPS is the mean of the scores
    +1 / 0 / -1, whose per-respondent variance is ``(p + d) - (p - d)^2``; so
    ``SE = 100 sqrt(((p + d) - (p - d)^2) / n)``.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the 'net promoter score'. The American
    Statistician 70(4), 365-372.
    """
    ci = check_number("ci", ci, 0.5, 0.9999)
    check_option("method", method, ["wald", "adjusted_wald"])
    s = _nps_scores(scores)
    if weights is None:
        w = pd.Series(1.0, index=s.index)
    else:
        w = pd.Series(check_weights("weights", weights, len(s), per="score"), index=s.index)
    keep = s.notna()
    s, w = s[keep], w[keep]
    if len(s) == 0:
        raise ValueError("`scores` has no answers (all missing).")
    if w.sum() == 0:
        raise ValueError("`weights` are 0 for every answered score; at least one answer must have a positive weight.")
    total = w.sum()
    p = float(w[s >= 9].sum() / total)
    d = float(w[s <= 6].sum() / total)
    n = float(total**2 / (w**2).sum())
    z = stats.norm.isf((1 - ci) / 2)
    se = 100 * math.sqrt(max((p + d) - (p - d) ** 2, 0.0) / n)
    if method == "wald":
        centre, half = 100 * (p - d), z * se
    else:
        n_adj = n + 3
        pa, da = (p * n + 0.75) / n_adj, (d * n + 0.75) / n_adj
        centre, half = 100 * (pa - da), 100 * z * math.sqrt(((pa + da) - (pa - da) ** 2) / n_adj)
    lo, hi = max(centre - half, -100.0), min(centre + half, 100.0)
    return NPSResult(nps=100 * (p - d), promoters=p, passives=1 - p - d, detractors=d, se=se, ci=(lo, hi),
                     n=n, method=method)


def nps_by(df: pd.DataFrame, score_col: str, group_col: str, *, weights: str | None = None, ci: float = 0.95,
           method: str = "wald") -> pd.DataFrame:
    """NPS with SE and CI for each group (rows sorted by group)."""
    check_frame("df", df, [score_col, group_col] + ([weights] if weights else []))
    rows = []
    for g, part in df.groupby(group_col, sort=True, observed=True):
        if part[score_col].notna().sum() == 0:
            continue
        r = nps(part[score_col], part[weights] if weights else None, ci, method=method)
        rows.append({group_col: g} | r.to_frame().iloc[0].to_dict())
    return pd.DataFrame(rows).set_index(group_col)


@dataclass(frozen=True)
class NPSComparison:
    """Difference between two independent NPS values (b - a) with a z-test."""

    difference: float
    se: float
    ci: tuple
    pvalue: float
    a: NPSResult
    b: NPSResult
    method: str = "wald"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"difference": [self.difference], "se": [self.se], "ci_low": [self.ci[0]],
                             "ci_high": [self.ci[1]], "pvalue": [self.pvalue]})


def _nps_adjusted(r: NPSResult) -> tuple[float, float]:
    """Rocks' adjusted NPS (in points) and its SE: 3/4 of a respondent added to promoters and to
    detractors, 3 to n."""
    n_adj = r.n + 3
    pa, da = (r.promoters * r.n + 0.75) / n_adj, (r.detractors * r.n + 0.75) / n_adj
    return 100 * (pa - da), 100 * math.sqrt(max((pa + da) - (pa - da) ** 2, 0.0) / n_adj)


def compare_nps(a, b, ci: float = 0.95, *, method: str | None = None) -> NPSComparison:
    """Compare the NPS of two independent samples: difference ``b - a``, SE, CI and p-value.

    Parameters
    ----------
    a, b : NPSResult or array-like
        Results of :func:`nps`, or arrays of 0-10 answers.
    ci : float, default=0.95
    method : {"wald", "adjusted_wald"}, optional
        The interval method. By default the method of ``a`` and ``b`` when they are
        NPSResults (they must agree), "wald" for arrays of answers.

    Returns
    -------
    NPSComparison
        ``difference`` is always the plain NPS of b minus that of a; ``se``, ``ci`` and
        ``pvalue`` follow ``method``.

    Notes
    -----
    ``"wald"``: ``SE = sqrt(SE_a^2 + SE_b^2)`` with each SE as in :func:`nps`, CI
    ``difference +- z SE`` and a two-sided normal p-value for ``difference / SE``.

    ``"adjusted_wald"`` (Lewis & Sauro 2021, from Rocks 2016): each sample gets 3/4 of a
    respondent added to promoters and to detractors and 3 to n; the adjusted NPS values
    ``N~_a, N~_b`` and their SEs (the same formula on the adjusted shares and n + 3) give
    ``SE = sqrt(SE~_a^2 + SE~_b^2)``, the CI ``(N~_b - N~_a) +- z SE`` and the p-value for
    ``(N~_b - N~_a) / SE``.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the 'net promoter score'. The American
    Statistician 70(4), 365-372.
    Lewis, J. R. & Sauro, J. (2021). How to statistically compare two Net Promoter Scores.
    MeasuringU (measuringu.com/nps-significance-test).
    """
    ci = check_number("ci", ci, 0.5, 0.9999)
    if method is not None:
        check_option("method", method, ["wald", "adjusted_wald"])
    given = {r.method for r in (a, b) if isinstance(r, NPSResult)}
    if method is None:
        if len(given) > 1:
            raise ValueError(f"`a` and `b` were computed with different interval methods ({sorted(given)}); "
                             "recompute them with the same `method`, or pass `method=`.")
        method = given.pop() if given else "wald"
    ra = a if isinstance(a, NPSResult) else nps(a, ci=ci, method=method)
    rb = b if isinstance(b, NPSResult) else nps(b, ci=ci, method=method)
    diff = rb.nps - ra.nps
    if method == "wald":
        centre, se = diff, math.sqrt(ra.se**2 + rb.se**2)
    else:
        (na, sa), (nb, sb) = _nps_adjusted(ra), _nps_adjusted(rb)
        centre, se = nb - na, math.sqrt(sa**2 + sb**2)
    z = stats.norm.isf((1 - ci) / 2)
    p = float(2 * stats.norm.sf(abs(centre) / se)) if se > 0 else (1.0 if centre == 0 else 0.0)
    return NPSComparison(difference=diff, se=se, ci=(centre - z * se, centre + z * se), pvalue=p, a=ra, b=rb,
                         method=method)


# --- driver importance --------------------------------------------------------------------------------------

def _r2_from_corr(r_xx: np.ndarray, r_xy: np.ndarray) -> float:
    if len(r_xy) == 0:
        return 0.0
    return float(r_xy @ np.linalg.solve(r_xx, r_xy))


def _relative_weights(r_xx: np.ndarray, r_xy: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(r_xx)
    lam = vecs @ np.diag(np.sqrt(np.clip(vals, 0, None))) @ vecs.T   # R_xx^(1/2): X's loadings on orthogonal Z
    beta = np.linalg.solve(lam, r_xy)                                 # y regressed on Z
    return (lam**2) @ (beta**2)


def _shapley(r_xx: np.ndarray, r_xy: np.ndarray) -> np.ndarray:
    p = len(r_xy)
    r2 = {}
    for size in range(p + 1):
        for subset in itertools.combinations(range(p), size):
            idx = list(subset)
            r2[subset] = _r2_from_corr(r_xx[np.ix_(idx, idx)], r_xy[idx])
    out = np.zeros(p)
    for j in range(p):
        for subset, value in r2.items():
            if j in subset:
                continue
            s = len(subset)
            weight = math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p)
            with_j = tuple(sorted(subset + (j,)))
            out[j] += weight * (r2[with_j] - value)
    return out


def driver_importance(df: pd.DataFrame, outcome: str, drivers, method: str = "relative_weights", *,
                      n_boot: int = 0, ci: float = 0.95, rng=None) -> pd.DataFrame:
    """How much each driver contributes to explaining the outcome (the importances sum to R^2).

    Parameters
    ----------
    df : DataFrame
    outcome : str
        E.g. ``"overall_satisfaction"``.
    drivers : list of str
        E.g. the construct scores from :func:`scale_scores`.
    method : {"relative_weights", "shapley"}
        Johnson's (2000) relative weights, or the Shapley value / LMG decomposition
        (the average gain in R^2 when the driver is added, over all orderings; exact,
        2^p regressions, so at most 15 drivers).
    n_boot : int, default=0
        Bootstrap resamples for percentile confidence intervals (0 = none).
    rng : seed or Generator for the bootstrap.

    Returns
    -------
    DataFrame
        Per driver: ``importance`` (share of variance explained; they add up to the
        model's R^2), ``share`` (of R^2), ``rank`` (1 = most important), and with
        ``n_boot`` the ``ci_low`` and ``ci_high``. ``df.attrs["r2"]`` holds the R^2.
        Rows with any missing value are left out.

    References
    ----------
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
    predictor variables in multiple regression. Multivariate Behavioral Research 35, 1-19.
    Lindeman, Merenda & Gold (1980); Gromping (2007), The American Statistician 61, 139-147.
    """
    drivers = list(drivers)
    check_frame("df", df, [outcome] + drivers)
    check_option("method", method, ["relative_weights", "shapley"])
    if len(drivers) < 1:
        raise ValueError("`drivers` must name at least one column.")
    if method == "shapley" and len(drivers) > 15:
        raise ValueError(f"`method='shapley'` is exact and needs 2^p regressions; {len(drivers)} drivers is too many (max 15).")
    n_boot = check_int("n_boot", n_boot, 0, 100_000)
    data = _items(df[[outcome] + drivers], "df", min_items=2).dropna()
    if len(data) <= len(drivers) + 1:
        raise ValueError(f"`df` has {len(data)} complete rows; too few for {len(drivers)} drivers.")
    check_varying("df", data)
    check_not_collinear("df", data[drivers])
    fn = _relative_weights if method == "relative_weights" else _shapley

    def compute(x: np.ndarray):
        c = np.corrcoef(x, rowvar=False)
        return fn(c[1:, 1:], c[1:, 0]), _r2_from_corr(c[1:, 1:], c[1:, 0])

    arr = data.to_numpy()
    imp, r2 = compute(arr)
    out = pd.DataFrame({"importance": imp, "share": imp / r2 if r2 > 0 else np.nan}, index=pd.Index(drivers, name="driver"))
    out["rank"] = out["importance"].rank(ascending=False, method="min").astype(int)
    if n_boot:
        rng = np.random.default_rng(rng)
        boots = np.empty((n_boot, len(drivers)))
        for b in range(n_boot):
            boots[b] = compute(arr[rng.integers(0, len(arr), len(arr))])[0]
        a = (1 - check_number("ci", ci, 0.5, 0.9999)) / 2
        out["ci_low"] = np.quantile(boots, a, axis=0)
        out["ci_high"] = np.quantile(boots, 1 - a, axis=0)
    out.attrs["r2"] = r2
    out.attrs["method"] = method
    return out.sort_values("importance", ascending=False)


QUADRANTS = {(True, False): "concentrate here", (True, True): "keep up the good work",
             (False, False): "low priority", (False, True): "possible overkill"}


def importance_performance(importance: pd.Series, performance: pd.Series, *, cut: str = "mean",
                           scale=(1, 5)) -> pd.DataFrame:
    """The importance-performance matrix (Martilla & James 1977): one quadrant per attribute.

    High importance, low performance: 'concentrate here'; high and high: 'keep up the
    good work'; low and low: 'low priority'; low importance, high performance: 'possible
    overkill'. The cross-hairs sit at the means of the attributes (``cut="mean"``) or at
    the scale's midpoint (``cut="midpoint"``, both axes on ``scale``). A value exactly
    on a cross-hair counts as high.
    """
    check_option("cut", cut, ["mean", "midpoint"])
    if not isinstance(importance, pd.Series) or not isinstance(performance, pd.Series):
        raise TypeError("`importance` and `performance` must be pandas Series indexed by attribute.")
    df = pd.DataFrame({"importance": importance, "performance": performance})
    if df.isna().any().any():
        raise ValueError(f"attributes missing from one of the two series: {df.index[df.isna().any(axis=1)].tolist()}.")
    if cut == "mean":
        ci, cp = df["importance"].mean(), df["performance"].mean()
    else:
        lo, hi = _scale(scale)
        outside = df[(df < lo).any(axis=1) | (df > hi).any(axis=1)]
        if len(outside):
            raise ValueError(f"`cut='midpoint'` needs values on the scale {lo:g}-{hi:g}; {outside.index.tolist()} are not.")
        ci = cp = (lo + hi) / 2
    df["quadrant"] = [QUADRANTS[(i >= ci, p >= cp)] for i, p in zip(df["importance"], df["performance"])]
    df.attrs.update(importance_cut=ci, performance_cut=cp)
    return df


# --- from answers to behaviour ------------------------------------------------------------------------------

@dataclass
class LoyaltyLinks:
    """Fitted statsmodels results linking survey answers to later behaviour."""

    stay: object        # Logit: bought again within the horizon
    spend: object       # OLS: amount spent within the horizon
    recommend: object   # OrderedModel (ordered logit): the 0-10 recommendation answer
    data: pd.DataFrame


def satisfaction_to_loyalty(survey: pd.DataFrame, transactions: pd.DataFrame, *, predictors=("overall_satisfaction",),
                            horizon_days: int = 180, recommend_predictors=None) -> LoyaltyLinks:
    """Does satisfaction predict what customers do next?

    For each respondent, behaviour in the ``horizon_days`` after their response date:
    ``stayed`` (bought at least once) and ``spend`` (amount paid). Fits, with statsmodels,
    a logistic regression of ``stayed`` and an OLS of ``spend`` on ``predictors``, and an
    ordered logit of the 0-10 ``recommend`` answer on ``recommend_predictors`` (default:
    the same predictors). Respondents whose horizon runs past the last transaction date
    are left out, and so are rows with missing answers.
    """
    from . import _sm as sm
    from ._ordinal import LogitOrderedModel

    predictors = list(predictors)
    rec_pred = list(recommend_predictors or predictors)
    check_frame("survey", survey, ["customer_id", "response_date", "recommend"] + predictors + rec_pred)
    check_frame("transactions", transactions, ["customer_id", "date", "amount"])
    horizon_days = check_int("horizon_days", horizon_days, 1, 3650)
    end = pd.to_datetime(transactions["date"]).max()
    s = survey.copy()
    s["response_date"] = pd.to_datetime(s["response_date"])
    s = s[s["response_date"] + pd.Timedelta(days=horizon_days) <= end]
    if s.empty:
        raise ValueError(f"no respondent has {horizon_days} days of transactions after answering.")
    tx = transactions[["customer_id", "date", "amount"]].merge(s[["customer_id", "response_date"]], on="customer_id")
    tx = tx[(pd.to_datetime(tx["date"]) > tx["response_date"])
            & (pd.to_datetime(tx["date"]) <= tx["response_date"] + pd.Timedelta(days=horizon_days))]
    spend = tx.groupby("customer_id")["amount"].sum()
    s["spend"] = s["customer_id"].map(spend).fillna(0.0)
    s["stayed"] = (s["spend"] > 0).astype(float)
    cols = list(dict.fromkeys(predictors + rec_pred))
    data = s[["customer_id", "stayed", "spend", "recommend"] + cols].dropna()
    data[cols] = data[cols].astype(float)
    X = sm.add_constant(data[predictors])
    stay = sm.Logit(data["stayed"], X).fit(disp=False)
    spend_fit = sm.OLS(data["spend"], X).fit()
    rec = data["recommend"].astype(int)
    recommend = LogitOrderedModel(rec, data[rec_pred]).fit(method="bfgs", disp=False, maxiter=500)
    return LoyaltyLinks(stay=stay, spend=spend_fit, recommend=recommend, data=data)


# --- weighting ------------------------------------------------------------------------------------------------

def poststratify(sample: pd.DataFrame, population: pd.DataFrame, by) -> pd.Series:
    """Weights that make the respondents match the population on the cells of ``by``.

    Each respondent in cell c gets ``w = (N_c / N) / (n_c / n)``: cells that answered
    less than their share count more. Weights average 1 over the sample. Population
    cells with no respondent cannot be represented; they are reported in a warning and
    the weights are computed over the covered part of the population.

    Examples
    --------
    Cell a is 2/3 of the sample but 1/4 of the population: w = (1/4) / (2/3) = 0.375;
    cell b: w = (3/4) / (1/3) = 2.25.

    >>> s = pd.DataFrame({"g": ["a", "a", "b"]}); pop = pd.DataFrame({"g": ["a", "b", "b", "b"]})
    >>> poststratify(s, pop, "g").round(3).tolist()
    [0.375, 0.375, 2.25]
    """
    by = [by] if isinstance(by, str) else list(by)
    check_frame("sample", sample, by)
    check_frame("population", population, by)
    for name, df in (("sample", sample), ("population", population)):
        if df[by].isna().any().any():
            raise ValueError(f"`{name}` has missing values in {by}; every row needs a cell.")
    pop = population.groupby(by, observed=True).size().rename("N")
    smp = sample.groupby(by, observed=True).size().rename("n")
    cells = pd.concat([pop, smp], axis=1)
    unknown = cells[cells["N"].isna()]
    if len(unknown):
        raise ValueError(f"`sample` has cells not in `population`: {list(unknown.index)[:5]}.")
    empty = cells[cells["n"].isna()]
    if len(empty):
        warnings.warn(f"{len(empty)} population cell(s) of {by} have no respondents ({int(empty['N'].sum())} people, "
                      f"e.g. {list(empty.index)[:3]}); weights cover the rest.", UserWarning, stacklevel=2)
        cells = cells.dropna()
    ratio = (cells["N"] / cells["N"].sum()) / (cells["n"] / cells["n"].sum())
    keys = pd.MultiIndex.from_frame(sample[by]) if len(by) > 1 else pd.Index(sample[by[0]])
    w = ratio.reindex(keys).to_numpy()
    return pd.Series(w, index=sample.index, name="weight")
