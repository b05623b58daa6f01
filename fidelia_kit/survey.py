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
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ._deprecation import keyword_only_since, renamed
from ._results import Result
from ._validation import (
    as_date,
    as_dates,
    as_rng,
    check_ci,
    check_frame,
    check_int,
    check_not_collinear,
    check_number,
    check_option,
    check_probability,
    check_varying,
    check_weights,
    ci_z,
    seed_from,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ._typing import ArrayLike, DateLike, RNGLike


__all__ = [
    "PROMOTER_MIN",
    "DETRACTOR_MAX",
    "reverse_code",
    "scale_scores",
    "ReliabilityResult",
    "cronbach_alpha",
    "omega",
    "KMOResult",
    "kmo",
    "BartlettResult",
    "bartlett_sphericity",
    "ParallelAnalysis",
    "parallel_analysis",
    "FactorResult",
    "factor_analysis",
    "NPSResult",
    "nps",
    "nps_by",
    "NPSComparison",
    "compare_nps",
    "DriverImportance",
    "driver_importance",
    "IPAResult",
    "importance_performance",
    "scale_means",
    "LoyaltyLinks",
    "satisfaction_to_loyalty",
    "poststratify",
    "nps_category",
    "response_rates",
    "rate_difference",
    "ShareOfWalletCheck",
    "share_of_wallet_check",
]


#: The lowest answer (0-10) that makes a respondent a promoter of the Net Promoter Score.
PROMOTER_MIN = 9
#: The highest answer (0-10) that makes a respondent a detractor; passives lie in between.
DETRACTOR_MAX = 6


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

@keyword_only_since("scale")
def reverse_code(items: pd.DataFrame, columns: str | Sequence[str], *, scale: tuple[int, int] = (1, 5)) -> pd.DataFrame:
    """Reverse negatively worded items: ``x -> (min + max) - x``.

    Parameters
    ----------
    items : DataFrame
        Answers, one column per item, one row per respondent.
    columns : str or list of str
        The negatively worded items to reverse (agreeing with them is bad news).
    scale : (min, max), default=(1, 5)
        The answer scale; on 1-5, 5 becomes 1 and 4 becomes 2.

    Returns
    -------
    DataFrame
        A copy of ``items`` with ``columns`` reversed (as floats); other columns unchanged.

    Raises
    ------
    ValueError
        A column not in ``items``, or answers outside ``scale`` (reversing them would
        invent answers).

    See Also
    --------
    scale_scores : reverses and averages in one step.

    Notes
    -----
    .. math:: x' = (\\min + \\max) - x

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


@keyword_only_since("reverse", "scale", "min_answers", n_positional=2)
def scale_scores(
    df: pd.DataFrame,
    scales: dict,
    *,
    reverse: Iterable[str] = (),
    scale: tuple[int, int] = (1, 5),
    min_answers: int = 1,
) -> pd.DataFrame:
    """One score per respondent and scale: the mean of the scale's items (reversed where needed).

    Parameters
    ----------
    df : DataFrame
        Answers, one row per respondent.
    scales : dict
        ``{scale name: [item columns]}``, e.g. :data:`fidelia_kit.schema.SURVEY_ITEMS`.
    reverse : iterable of str, default=()
        Negatively worded items, reversed first with :func:`reverse_code`.
    scale : (min, max), default=(1, 5)
        The answer scale.
    min_answers : int, default=1
        A respondent needs at least this many answered items of a scale to get a score;
        otherwise the score is missing.

    Returns
    -------
    DataFrame
        One column per scale, indexed like ``df``.

    Raises
    ------
    TypeError
        ``scales`` is not a non-empty dict.
    ValueError
        Item columns missing from ``df`` or answers outside ``scale``.

    Examples
    --------
    >>> answers = pd.DataFrame({"a1": [5, 2], "a2": [4, 4], "a3_neg": [1, 2]})
    >>> scale_scores(answers, {"access": ["a1", "a2", "a3_neg"]}, reverse=["a3_neg"]).round(3)
       access
    0   4.667
    1   3.333
    """
    if not isinstance(scales, dict) or not scales:
        raise TypeError("`scales` must be a dict {scale name: [item columns]}.")
    all_items = [i for items in scales.values() for i in items]
    check_frame("df", df, all_items)
    min_answers = check_int("min_answers", min_answers, 1, len(all_items))
    data = reverse_code(df[all_items], [c for c in reverse if c in all_items], scale=scale) if reverse else df[all_items]
    data = _items(data, "df", min_items=1, scale=scale)
    out = {}
    for name, items in scales.items():
        block = data[list(items)]
        score = block.mean(axis=1)
        out[name] = score.where(block.notna().sum(axis=1) >= min_answers)
    return pd.DataFrame(out, index=df.index)


# --- reliability ------------------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class ReliabilityResult(Result):
    """Cronbach's alpha of a scale, its confidence interval, and a per-item table.

    Attributes
    ----------
    alpha : float
        Cronbach's alpha.
    ci : (float, float)
        Feldt's confidence interval.
    n, k : int
        Respondents used and items.
    items : DataFrame
        Per item: corrected item-total correlation, alpha if deleted, mean, sd, share missing.
    missing : str
        How missing answers were handled ("listwise" or "pairwise").

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> cronbach_alpha(x).to_frame().round(3)
       alpha  ci_low  ci_high  n  k   missing
    0  0.954   0.766    0.995  5  3  listwise
    """

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


@keyword_only_since("ci")
def cronbach_alpha(items: pd.DataFrame, *, ci: float = 0.95, missing: str = "listwise") -> ReliabilityResult:
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

    Raises
    ------
    TypeError, ValueError
        Items that are not a DataFrame of numeric answers, fewer than 2 complete
        respondents, items without variance or items that cancel out.

    See Also
    --------
    omega : reliability without assuming equal loadings.
    reverse_code : reverse negatively worded items first.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika 16, 297-334.
    Feldt, L. S., Woodruff, D. J. & Salih, F. A. (1987). Statistical inference for
    coefficient alpha. Applied Psychological Measurement 11, 93-103.

    Examples
    --------
    Three items that rise together (a hand-checkable case; pingouin gives the same 0.954):

    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> res = cronbach_alpha(x)
    >>> round(res.alpha, 3), res.n, res.k
    (0.954, 5, 3)
    """
    ci = check_ci(ci)
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

    Parameters
    ----------
    items : DataFrame
        At least 3 item columns (reverse-worded items already reversed); respondents with
        a missing answer are left out.

    Returns
    -------
    float
        Omega total, between 0 and 1.

    Raises
    ------
    TypeError, ValueError
        Not a DataFrame of numeric answers, too few complete responses, a constant item,
        collinear items.

    See Also
    --------
    cronbach_alpha : assumes every item loads equally (tau-equivalence).

    Notes
    -----
    .. math:: \\omega = \\frac{(\\sum_i \\lambda_i)^2}{(\\sum_i \\lambda_i)^2 + \\sum_i \\psi_i}

    with standardized loadings lambda and uniquenesses psi = 1 - lambda^2 (principal-axis
    factoring). Unlike alpha it does not assume every item loads equally.

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

    Examples
    --------
    Four items loading 0.8 on one factor: omega = 3.2^2 / (3.2^2 + 4 x 0.36) = 0.877.

    >>> rng = np.random.default_rng(0)
    >>> f = rng.standard_normal(20_000)
    >>> x = pd.DataFrame({f"q{i}": 0.8 * f + 0.6 * rng.standard_normal(20_000) for i in range(4)})
    >>> round(omega(x), 2)
    0.88
    """
    df = _items(items, min_items=3).dropna()
    if len(df) < df.shape[1] + 2:
        raise ValueError(f"`items`: {len(df)} complete responses are too few for a one-factor model of {df.shape[1]} items.")
    check_varying("items", df)
    check_not_collinear("items", df)
    lam, psi = _one_factor(df.corr().to_numpy())
    return float(lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum()))


# --- factor analysis -------------------------------------------------------------------------------

def _corr_matrix(corr, name: str = "corr") -> np.ndarray:
    """A square, symmetric matrix of correlations (ones on the diagonal), else ValueError naming ``name``."""
    r = np.asarray(corr, dtype=float)
    if r.ndim != 2 or r.shape[0] != r.shape[1] or r.shape[0] < 2:
        raise ValueError(f"`{name}` must be a square correlation matrix of at least 2 items; got shape {r.shape}.")
    if not np.isfinite(r).all() or not np.allclose(r, r.T) or not np.allclose(np.diag(r), 1.0):
        raise ValueError(f"`{name}` must be a symmetric correlation matrix with ones on the diagonal.")
    return r


@dataclass(frozen=True, repr=False)
class KMOResult(Result):
    """The Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item.

    Attributes
    ----------
    overall : float
        The KMO of the whole matrix.
    items : Series
        The KMO of each item (measure of sampling adequacy, MSA).

    Examples
    --------
    >>> r = pd.DataFrame([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], index=list("abc"), columns=list("abc"))
    >>> res = kmo(r)
    >>> res
    KMOResult(overall=0.6279, items=<Series 3>)
    >>> res.to_frame().round(3)
      item    kmo
    0  all  0.628
    1    a  0.594
    2    b  0.624
    3    c  0.699
    """

    overall: float
    items: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """One row for the whole matrix (``item="all"``), then one per item."""
        return pd.DataFrame({"item": ["all"] + [str(i) for i in self.items.index],
                             "kmo": [self.overall] + list(self.items.to_numpy())})

    def __iter__(self):
        warnings.warn("unpacking kmo(...) as (overall, per_item) is deprecated; use its fields `.overall` and "
                      "`.items` (unpacking stops working in the next release).", DeprecationWarning, stacklevel=2)
        return iter((self.overall, self.items))


def kmo(corr: pd.DataFrame | np.ndarray) -> KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item.

    Parameters
    ----------
    corr : DataFrame or ndarray
        The items' correlation matrix (e.g. ``items.corr()``); with a DataFrame the items
        keep their names.

    Returns
    -------
    KMOResult
        ``overall`` and ``items`` (per item).

    Raises
    ------
    ValueError
        ``corr`` is not a square symmetric matrix with ones on the diagonal.

    See Also
    --------
    bartlett_sphericity, factor_analysis

    Notes
    -----
    .. math:: KMO = \\frac{\\sum_{i\\ne j} r_{ij}^2}{\\sum_{i\\ne j} r_{ij}^2 + \\sum_{i\\ne j} p_{ij}^2}

    with r the correlations and p the partial correlations (from the inverse correlation
    matrix). Values above 0.6 (Kaiser: 0.8 'meritorious') say the items share enough to
    be factored.

    References
    ----------
    Kaiser, H. F. (1974). An index of factorial simplicity. Psychometrika 39, 31-36.

    Examples
    --------
    >>> r = np.array([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]])
    >>> round(kmo(r).overall, 3)
    0.628
    """
    r = _corr_matrix(corr)
    inv = np.linalg.inv(r)
    d = np.sqrt(np.outer(np.diag(inv), np.diag(inv)))
    p = -inv / d
    off = ~np.eye(len(r), dtype=bool)
    r2, p2 = np.where(off, r**2, 0), np.where(off, p**2, 0)
    overall = float(r2.sum() / (r2.sum() + p2.sum()))
    per_item = r2.sum(axis=0) / (r2.sum(axis=0) + p2.sum(axis=0))
    index = corr.columns if isinstance(corr, pd.DataFrame) else pd.RangeIndex(len(r))
    return KMOResult(overall=overall, items=pd.Series(per_item, index=index, name="kmo"))


@dataclass(frozen=True, repr=False)
class BartlettResult(Result):
    """Bartlett's test of sphericity: is the correlation matrix the identity?

    Attributes
    ----------
    statistic : float
        The chi-square statistic.
    df : int
        Degrees of freedom, p(p - 1) / 2.
    pvalue : float
        Upper-tail chi-square probability.
    n : int
        Respondents the correlations came from.

    Examples
    --------
    >>> bartlett_sphericity(np.array([[1, .5], [.5, 1]]), n=101)
    BartlettResult(statistic=28.34, df=1, pvalue=1.019e-07, n=101)
    """

    statistic: float
    df: int
    pvalue: float
    n: int

    def __iter__(self):
        warnings.warn("unpacking bartlett_sphericity(...) as (chi2, df, p-value) is deprecated; use its fields "
                      "`.statistic`, `.df` and `.pvalue` (unpacking stops working in the next release).",
                      DeprecationWarning, stacklevel=2)
        return iter((self.statistic, self.df, self.pvalue))

    def __getitem__(self, i):
        warnings.warn("indexing bartlett_sphericity(...) as a tuple is deprecated; use its fields `.statistic`, "
                      "`.df` and `.pvalue` (indexing stops working in the next release).", DeprecationWarning,
                      stacklevel=2)
        return (self.statistic, self.df, self.pvalue)[i]


@keyword_only_since("n")
def bartlett_sphericity(corr: pd.DataFrame | np.ndarray, *, n: int) -> BartlettResult:
    """Bartlett's test that the correlation matrix is the identity (items share nothing).

    Parameters
    ----------
    corr : DataFrame or ndarray
        The items' correlation matrix.
    n : int
        Number of respondents behind it.

    Returns
    -------
    BartlettResult
        ``statistic``, ``df``, ``pvalue`` and ``n``.

    Raises
    ------
    ValueError
        ``corr`` is not a correlation matrix, or ``n`` is not larger than the items.

    See Also
    --------
    kmo, factor_analysis

    Notes
    -----
    .. math:: \\chi^2 = -\\left(n - 1 - \\frac{2p + 5}{6}\\right)\\ln|R|, \\quad df = p(p-1)/2

    A small p-value says the items are correlated enough for a factor analysis to make
    sense; with hundreds of respondents it is almost always small.

    References
    ----------
    Bartlett, M. S. (1951). The effect of standardization on a chi-square approximation
    in factor analysis. Biometrika 38, 337-344.

    Examples
    --------
    Two items correlated 0.5 among 101 respondents: chi2 = -(100 - 9/6) ln(0.75) = 28.34.

    >>> res = bartlett_sphericity(np.array([[1, .5], [.5, 1]]), n=101)
    >>> round(res.statistic, 2), res.df
    (28.34, 1)
    """
    r = _corr_matrix(corr)
    p = r.shape[0]
    n = check_int("n", n, p + 1, 10**9)
    _sign, logdet = np.linalg.slogdet(r)
    chi2 = float(-(n - 1 - (2 * p + 5) / 6) * logdet)
    df = p * (p - 1) // 2
    return BartlettResult(statistic=chi2, df=int(df), pvalue=float(stats.chi2.sf(chi2, df)), n=int(n))


@dataclass(frozen=True, repr=False)
class ParallelAnalysis(Result):
    """Horn's parallel analysis: how many factors beat chance.

    Attributes
    ----------
    n_factors : int
        Leading components whose eigenvalue beats the random ``quantile``.
    table : DataFrame
        Per component: ``observed`` and ``random`` eigenvalue and ``keep``.
    n_resamples : int
        Random data sets simulated.
    quantile : float
        Quantile of the random eigenvalues compared with.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> f = rng.standard_normal((400, 1))
    >>> x = pd.DataFrame(0.8 * f + 0.6 * rng.standard_normal((400, 4)))
    >>> parallel_analysis(x, n_resamples=20, rng=0)
    ParallelAnalysis(n_factors=1, table=<DataFrame 4x3>, n_resamples=20, quantile=0.95)
    """

    n_factors: int
    table: pd.DataFrame
    n_resamples: int
    quantile: float

    def to_frame(self) -> pd.DataFrame:
        """The per-component table (``component``, ``observed``, ``random``, ``keep``)."""
        return self.table.reset_index()


@renamed(n_iter="n_resamples")
def parallel_analysis(items: pd.DataFrame, *, n_resamples: int = 100, quantile: float = 0.95,
                      rng: RNGLike = 0) -> ParallelAnalysis:
    """Horn's parallel analysis: keep the factors whose eigenvalue beats chance.

    Parameters
    ----------
    items : DataFrame
        One column per item; respondents with a missing answer are left out.
    n_resamples : int, default=100
        Random normal data sets of the same size simulated (formerly ``n_iter``).
    quantile : float, default=0.95
        Quantile of the random eigenvalues a component must beat.
    rng : int, Generator or None, default=0
        Int seed, Generator, or None for fresh entropy; default 0, so the same call gives
        the same answer.

    Returns
    -------
    ParallelAnalysis
        ``n_factors`` and the per-component ``table``.

    Raises
    ------
    TypeError, ValueError
        Not a DataFrame of numeric answers; ``n_resamples`` or ``quantile`` out of range.

    See Also
    --------
    factor_analysis : uses it to choose the number of factors.

    Notes
    -----
    The eigenvalues of the items' correlation matrix are compared with the ``quantile``
    of eigenvalues from ``n_resamples`` random normal data sets of the same size; the number
    of factors is the count of leading eigenvalues above their random counterpart.

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    Psychometrika 30, 179-185.

    Examples
    --------
    Two groups of three items, each group driven by its own factor:

    >>> rng = np.random.default_rng(1)
    >>> f = rng.standard_normal((500, 2))
    >>> x = pd.DataFrame(np.repeat(f, 3, axis=1) + 0.7 * rng.standard_normal((500, 6)))
    >>> parallel_analysis(x, n_resamples=20).n_factors
    2
    """
    rng = as_rng(rng)
    n_resamples = check_int("n_resamples", n_resamples, 1, 100_000)
    quantile = check_probability("quantile", quantile)
    df = _items(items).dropna()
    n, p = df.shape
    observed = np.sort(np.linalg.eigvalsh(df.corr().to_numpy()))[::-1]
    sims = np.empty((n_resamples, p))
    for i in range(n_resamples):
        z = rng.standard_normal((n, p))
        sims[i] = np.sort(np.linalg.eigvalsh(np.corrcoef(z, rowvar=False)))[::-1]
    random = np.quantile(sims, quantile, axis=0)
    above = observed > random
    n_keep = int(np.argmin(above)) if not above.all() else p
    table = pd.DataFrame({"observed": observed, "random": random, "keep": np.arange(p) < n_keep},
                         index=pd.RangeIndex(1, p + 1, name="component"))
    return ParallelAnalysis(n_factors=n_keep, table=table, n_resamples=n_resamples, quantile=quantile)


@dataclass(frozen=True, repr=False)
class FactorResult(Result):
    """A fitted exploratory factor analysis.

    Attributes
    ----------
    loadings : DataFrame
        Items x factors (on standardized items, so they read as correlations).
    communalities : Series
        Per item, the variance the factors explain.
    variance : DataFrame
        Per factor: ``ss_loadings``, ``proportion``, ``cumulative``.
    kmo : float
        Overall KMO; ``kmo_items`` per item.
    bartlett : BartlettResult
        Bartlett's test of sphericity.
    n_factors : int
    rotation : str or None
    parallel : ParallelAnalysis or None
        The parallel analysis that chose ``n_factors``, if it did.
    n : int
        Complete responses used.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> f = rng.standard_normal((500, 2))
    >>> x = pd.DataFrame(np.repeat(f, 3, axis=1) + 0.7 * rng.standard_normal((500, 6)),
    ...                  columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    >>> fa = factor_analysis(x, n_factors=2)
    >>> a = fa.assignment()
    >>> a["a1"] == a["a2"] == a["a3"] != a["b1"] == a["b2"] == a["b3"]
    True
    >>> list(fa.to_frame().columns)
    ['item', 'F1', 'F2', 'communality']
    """

    loadings: pd.DataFrame
    communalities: pd.Series
    variance: pd.DataFrame
    kmo: float
    kmo_items: pd.Series
    bartlett: BartlettResult
    n_factors: int
    rotation: str | None
    parallel: ParallelAnalysis | None
    n: int

    def assignment(self) -> pd.Series:
        """The factor on which each item loads most (by absolute loading)."""
        return self.loadings.abs().idxmax(axis=1).rename("factor")

    def match(self, constructs: dict[str, Sequence[str]]) -> pd.DataFrame:
        """Whether the items group as the questionnaire intends: each item against its construct's factor.

        Parameters
        ----------
        constructs : dict of str to list of str
            The questionnaire's constructs and their items (e.g. ``schema.SURVEY_ITEMS``).

        Returns
        -------
        DataFrame
            One row per item (index ``item``): ``construct``, ``factor`` (where the item
            loads most), ``construct_factor`` (where most of its construct's items load; the
            first such factor on a tie) and ``matches`` (the two agree). The intended
            structure is found when every item matches and the constructs' factors differ.

        Raises
        ------
        ValueError
            Items the analysis did not include.

        Examples
        --------
        >>> rng = np.random.default_rng(1)
        >>> f = rng.standard_normal((500, 2))
        >>> x = pd.DataFrame(np.repeat(f, 3, axis=1) + 0.7 * rng.standard_normal((500, 6)),
        ...                  columns=["a1", "a2", "a3", "b1", "b2", "b3"])
        >>> m = factor_analysis(x, n_factors=2).match({"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]})
        >>> bool(m["matches"].all()), m["construct_factor"].nunique()
        (True, 2)
        """
        assigned = self.assignment()
        rows = []
        for construct, items in constructs.items():
            items = list(items)
            unknown = [i for i in items if i not in assigned.index]
            if unknown:
                raise ValueError(f"`constructs[{construct!r}]`: items {unknown} were not in the factor analysis.")
            home = assigned[items].value_counts(sort=True).index[0]
            rows += [{"item": i, "construct": construct, "factor": assigned[i], "construct_factor": home,
                      "matches": assigned[i] == home} for i in items]
        return pd.DataFrame(rows).set_index("item")

    def to_frame(self) -> pd.DataFrame:
        """One row per item: its loading on each factor and its communality."""
        out = self.loadings.join(self.communalities)
        out.index.name = "item"
        return out.reset_index()


@keyword_only_since("n_factors", "rotation")
def factor_analysis(
    items: pd.DataFrame,
    *,
    n_factors: int | Literal["parallel"] = "parallel",
    rotation: str | None = "varimax",
    rng: RNGLike = 0,
) -> FactorResult:
    """Exploratory factor analysis of survey items (maximum likelihood, scikit-learn).

    Parameters
    ----------
    items : DataFrame
        One column per item; respondents with a missing answer are left out.
    n_factors : int or "parallel", default="parallel"
        Number of factors, or chosen by :func:`parallel_analysis`.
    rotation : {"varimax", "quartimax", None}, default="varimax"
        Rotation of the loadings (scikit-learn's FactorAnalysis rotates).
    rng : int, Generator or None, default=0
        Int seed, Generator, or None for fresh entropy; default 0, so the same call gives
        the same answer. Seeds the parallel analysis and scikit-learn's ``random_state``.

    Returns
    -------
    FactorResult
        Loadings (on standardized items, so they read as correlations), communalities,
        variance explained, KMO (overall and per item), Bartlett's test of sphericity.

    Raises
    ------
    TypeError, ValueError
        Not a DataFrame of numeric answers, a constant or collinear item, too few
        complete responses (fewer than 3 per item), a bad option.

    See Also
    --------
    parallel_analysis, kmo, bartlett_sphericity

    Notes
    -----
    The loadings are the maximum-likelihood solution for the correlation matrix, found by
    scikit-learn's EM algorithm run to convergence (log-likelihood change below 1e-8, exact SVD);
    they agree with statsmodels' ``Factor(method="ml")`` to about 1e-5 before rotation.
    Each factor is signed so that its loadings mostly come out positive, and factors are
    ordered by the variance they explain.

    References
    ----------
    Kaiser, H. F. (1958). The varimax criterion for analytic rotation in factor analysis.
    Psychometrika 23, 187-200.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> f = rng.standard_normal((500, 2))
    >>> x = pd.DataFrame(np.repeat(f, 3, axis=1) + 0.7 * rng.standard_normal((500, 6)))
    >>> fa = factor_analysis(x)
    >>> fa.n_factors, fa.parallel.n_factors, fa.bartlett.pvalue < 1e-10
    (2, 2, True)
    """
    from sklearn.decomposition import FactorAnalysis

    rng = as_rng(rng)
    df = _items(items, min_items=3).dropna()
    check_varying("items", df)
    check_not_collinear("items", df)
    if rotation is not None:
        check_option("rotation", rotation, ["varimax", "quartimax"])
    parallel = None
    if isinstance(n_factors, str):
        check_option("n_factors", n_factors, ["parallel"])
        parallel = parallel_analysis(df, rng=rng)
        n_factors = max(parallel.n_factors, 1)
    n_factors = check_int("n_factors", n_factors, 1, df.shape[1] - 1)
    if len(df) < 3 * df.shape[1]:
        raise ValueError(f"`items`: {len(df)} complete responses are too few for {df.shape[1]} items (need {3 * df.shape[1]}).")
    z = (df - df.mean()) / df.std(ddof=0)
    # scikit-learn's defaults (tol=1e-2 on the log-likelihood, randomized SVD) stop the EM
    # iterations 2e-3 to 4e-3 away from the ML loadings; exact SVD and tol=1e-8 reach them to 1e-5.
    fa = FactorAnalysis(n_components=n_factors, rotation=rotation, tol=1e-8, svd_method="lapack",
                        max_iter=10_000, random_state=seed_from(rng)).fit(z.to_numpy(float))
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
    adequacy = kmo(corr)
    return FactorResult(loadings=loadings, communalities=(loadings**2).sum(axis=1).rename("communality"),
                        variance=variance, kmo=adequacy.overall, kmo_items=adequacy.items,
                        bartlett=bartlett_sphericity(corr.to_numpy(), n=len(df)), n_factors=n_factors,
                        rotation=rotation, parallel=parallel, n=len(df))


# --- NPS ------------------------------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class NPSResult(Result):
    """Net Promoter Score with its standard error and confidence interval (in points).

    Attributes
    ----------
    nps : float
        % promoters minus % detractors, -100 to 100.
    promoters, passives, detractors : float
        Shares of the (weighted) answers.
    se : float
        Wald standard error in points.
    ci : (float, float)
        The interval of ``method`` at the confidence level asked for.
    n : float
        Respondents (Kish's effective sample size with weights).
    method : str
        ``"wald"`` or ``"adjusted_wald"``.

    Examples
    --------
    >>> nps([10, 9, 8, 7, 3]).to_frame().round(2)
        nps     se  ci_low  ci_high  promoters  passives  detractors    n method
    0  20.0  33.47  -45.59    85.59        0.4       0.4         0.2  5.0   wald
    """

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


@keyword_only_since("weights", "ci")
def nps(scores: ArrayLike, *, weights: ArrayLike | None = None, ci: float = 0.95, method: str = "wald") -> NPSResult:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), from -100 to 100.

    Parameters
    ----------
    scores : array-like
        Answers 0-10 to the likelihood-to-recommend question; missing answers are dropped.
    weights : array-like, optional
        Respondent weights (e.g. from :func:`poststratify`); the standard error then uses
        Kish's effective sample size ``(sum w)^2 / sum w^2``.
    ci : float, default=0.95
        Confidence level of the interval.
    method : {"wald", "adjusted_wald"}, default="wald"
        ``"wald"``: NPS +- z SE. ``"adjusted_wald"`` (Rocks 2016): add 3/4 of a respondent
        to promoters and to detractors and 3 to n before computing the interval, which
        keeps coverage near the nominal level in small samples; the point estimate stays
        the plain NPS.

    Returns
    -------
    NPSResult
        ``se`` is the Wald SE below for either method; ``ci`` follows ``method``.

    Raises
    ------
    ValueError
        Answers that are not whole numbers 0-10, no answers, bad weights, a bad option.

    See Also
    --------
    nps_by : one NPS per group.
    compare_nps : the difference between two samples, with a test.
    poststratify : weights against non-response.

    Notes
    -----
    Promoters answer at least :data:`PROMOTER_MIN` (9), detractors at most
    :data:`DETRACTOR_MAX` (6). With shares p (promoters) and d (detractors), the NPS is the
    mean of the scores +1 / 0 / -1, whose per-respondent variance is ``(p + d) - (p - d)^2``; so

    .. math:: SE = 100 \\sqrt{((p + d) - (p - d)^2) / n}

    The interval covers sampling error only: if the satisfied answer more often than the
    rest (non-response bias), it is centred on the wrong value however narrow it is.

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review 81(12).
    Rocks, B. (2016). Interval estimation for the 'net promoter score'. The American
    Statistician 70(4), 365-372.

    Examples
    --------
    Two promoters, two passives and one detractor of five: NPS = 40% - 20% = 20 points,
    SE = 100 sqrt((0.6 - 0.04) / 5) = 33.47.

    >>> res = nps([10, 9, 8, 7, 3])
    >>> res.nps, round(res.se, 2)
    (20.0, 33.47)
    >>> round(nps([10, 9, 8, 7, 3], weights=[1, 1, 1, 1, 2]).nps, 1)
    0.0
    """
    ci = check_ci(ci)
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
    p = float(w[s >= PROMOTER_MIN].sum() / total)
    d = float(w[s <= DETRACTOR_MAX].sum() / total)
    n = float(total**2 / (w**2).sum())
    z = ci_z(ci)
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


@renamed(weights="weights_col")
@keyword_only_since("score_col", "group_col")
def nps_by(df: pd.DataFrame, *, group_col: str, score_col: str = "recommend", weights_col: str | None = None,
           ci: float = 0.95, method: str = "wald") -> pd.DataFrame:
    """NPS with its SE and confidence interval for each group.

    Parameters
    ----------
    df : DataFrame
        One row per respondent.
    group_col : str
        Column of ``df`` naming each respondent's group (e.g. ``"region"``).
    score_col : str, default="recommend"
        Column of ``df`` with the 0-10 answers.
    weights_col : str, optional
        Column of ``df`` with respondent weights (formerly ``weights``).
    ci : float, default=0.95
        Confidence level of the intervals.
    method : {"wald", "adjusted_wald"}, default="wald"
        Interval method, as in :func:`nps`.

    Returns
    -------
    DataFrame
        Indexed by group (sorted), the columns of :meth:`NPSResult.to_frame`: ``nps``,
        ``se``, ``ci_low``, ``ci_high``, shares and ``n``. Groups without an answer are left out.

    Raises
    ------
    ValueError
        Missing columns, bad answers or weights.

    See Also
    --------
    nps, compare_nps

    Notes
    -----
    Each group's interval is computed on its own; with many groups, some intervals miss
    their group's truth by chance (one in twenty at ``ci=0.95``).

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["n", "n", "s", "s"], "recommend": [10, 3, 9, 9]})
    >>> nps_by(df, group_col="region")["nps"].tolist()
    [0.0, 100.0]
    """
    check_frame("df", df, [score_col, group_col] + ([weights_col] if weights_col else []))
    rows = []
    for g, part in df.groupby(group_col, sort=True, observed=True):
        if part[score_col].notna().sum() == 0:
            continue
        r = nps(part[score_col], weights=part[weights_col] if weights_col else None, ci=ci, method=method)
        rows.append({group_col: g} | r.to_frame().iloc[0].to_dict())
    return pd.DataFrame(rows).set_index(group_col)


@dataclass(frozen=True, repr=False)
class NPSComparison(Result):
    """Difference between two independent NPS values (b - a) with a z-test.

    Attributes
    ----------
    difference : float
        NPS of ``b`` minus NPS of ``a`` (points).
    se : float
        Standard error of the difference.
    ci : (float, float)
        Confidence interval of the difference.
    pvalue : float
        Two-sided p-value of "no difference".
    a, b : NPSResult
        The two samples' results.
    method : str
        ``"wald"`` or ``"adjusted_wald"``.

    Examples
    --------
    >>> compare_nps([10, 9, 3, 7], [10, 10, 9, 8]).to_frame().round(3)
       difference      se  ci_low  ci_high  pvalue method
    0        50.0  46.771 -41.669  141.669   0.285   wald
    """

    difference: float
    se: float
    ci: tuple
    pvalue: float
    a: NPSResult
    b: NPSResult
    method: str = "wald"

    def to_frame(self) -> pd.DataFrame:
        """One row: ``difference``, ``se``, ``ci_low``, ``ci_high``, ``pvalue``, ``method``."""
        return pd.DataFrame({"difference": [self.difference], "se": [self.se], "ci_low": [self.ci[0]],
                             "ci_high": [self.ci[1]], "pvalue": [self.pvalue], "method": [self.method]})


def _nps_adjusted(r: NPSResult) -> tuple[float, float]:
    """Rocks' adjusted NPS (in points) and its SE: 3/4 of a respondent added to promoters and to
    detractors, 3 to n."""
    n_adj = r.n + 3
    pa, da = (r.promoters * r.n + 0.75) / n_adj, (r.detractors * r.n + 0.75) / n_adj
    return 100 * (pa - da), 100 * math.sqrt(max((pa + da) - (pa - da) ** 2, 0.0) / n_adj)


@keyword_only_since("ci", n_positional=2)
def compare_nps(
    a: NPSResult | ArrayLike,
    b: NPSResult | ArrayLike,
    *,
    ci: float = 0.95,
    method: str | None = None,
) -> NPSComparison:
    """Compare the NPS of two independent samples: difference ``b - a``, SE, CI and p-value.

    Parameters
    ----------
    a, b : NPSResult or array-like
        Results of :func:`nps`, or arrays of 0-10 answers.
    ci : float, default=0.95
        Confidence level of the interval.
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

    Examples
    --------
    NPS 0 (a: SE 50) against 75 (b: SE 21.65): SE = sqrt(50^2 + 21.65^2) = 54.49.

    >>> res = compare_nps([10, 9, 3, 3], [10, 10, 9, 8])
    >>> res.difference, round(res.se, 2)
    (75.0, 54.49)
    """
    ci = check_ci(ci)
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
    z = ci_z(ci)
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


@dataclass(frozen=True, repr=False)
class DriverImportance(Result):
    """How much each driver explains of an outcome: importances that add up to R^2.

    Attributes
    ----------
    table : DataFrame
        Indexed by ``driver``, most important first: ``estimate`` (variance of the outcome
        explained, share of 1), ``ci_low``/``ci_high`` (bootstrap percentile interval, NaN
        without resamples), ``share`` (of R^2; the shares add up to 1), ``share_ci_low``/
        ``share_ci_high`` (the same bootstrap's interval of the share, each resample's
        importance divided by its own R^2) and ``rank``.
    r2 : float
        R^2 of the regression of the outcome on all drivers.
    method : str
        ``"relative_weights"`` or ``"shapley"``.
    n : int
        Complete rows used.
    n_resamples : int
        Bootstrap resamples behind the intervals (0: none).
    ci : float
        Confidence level of the intervals.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = pd.DataFrame(rng.standard_normal((300, 2)), columns=["a", "b"])
    >>> x["y"] = 2 * x["a"] + x["b"] + rng.standard_normal(300)
    >>> res = driver_importance(x, outcome_col="y", driver_cols=["a", "b"])
    >>> res.ranking, round(float(res.table["share"].sum()), 6)
    (['a', 'b'], 1.0)
    >>> list(res.to_frame().columns)
    ['driver', 'estimate', 'ci_low', 'ci_high', 'share', 'share_ci_low', 'share_ci_high', 'rank']
    """

    table: pd.DataFrame
    r2: float
    method: str
    n: int
    n_resamples: int
    ci: float

    @property
    def importance(self) -> pd.Series:
        """The ``estimate`` per driver, named ``importance``."""
        return self.table["estimate"].rename("importance")

    @property
    def ranking(self) -> list:
        """The drivers, most important first."""
        return list(self.table.index)

    def to_frame(self) -> pd.DataFrame:
        """One row per driver: ``driver, estimate, ci_low, ci_high, share, share_ci_low, share_ci_high, rank``."""
        return self.table.reset_index()


@renamed(outcome="outcome_col", drivers="driver_cols", n_boot="n_resamples")
@keyword_only_since("outcome_col", "driver_cols", "method")
def driver_importance(
    df: pd.DataFrame,
    *,
    outcome_col: str,
    driver_cols: Sequence[str],
    method: str = "relative_weights",
    n_resamples: int = 0,
    ci: float = 0.95,
    rng: RNGLike = 0,
) -> DriverImportance:
    """How much each driver contributes to explaining the outcome (the importances sum to R^2).

    Parameters
    ----------
    df : DataFrame
        One row per respondent.
    outcome_col : str
        Column of ``df`` to explain, e.g. ``"overall_satisfaction"`` (formerly ``outcome``).
    driver_cols : list of str
        Columns of ``df`` that explain it, e.g. the construct scores from
        :func:`scale_scores` (formerly ``drivers``).
    method : {"relative_weights", "shapley"}, default="relative_weights"
        Johnson's (2000) relative weights, or the Shapley value / LMG decomposition
        (the average gain in R^2 when the driver is added, over all orderings; exact,
        2^p regressions, so at most 15 drivers).
    n_resamples : int, default=0
        Bootstrap resamples for percentile confidence intervals (0 = none; formerly ``n_boot``).
    ci : float, default=0.95
        Confidence level of the intervals.
    rng : int, Generator or None, default=0
        Int seed, Generator, or None for fresh entropy; default 0, so the same call gives
        the same answer. Draws the bootstrap resamples.

    Returns
    -------
    DriverImportance
        ``table`` (per driver ``estimate``, ``ci_low``, ``ci_high``, ``share``, ``rank``),
        ``r2`` and the settings. Rows with any missing value are left out.

    Raises
    ------
    ValueError
        Missing or non-numeric columns, too few complete rows, a constant or collinear
        column, too many drivers for Shapley, a bad option.

    See Also
    --------
    importance_performance : puts importance beside performance.

    Notes
    -----
    Relative weights: with :math:`R_{xx} = \\Lambda \\Lambda'` (the symmetric square root) and
    :math:`\\beta = \\Lambda^{-1} r_{xy}`, driver j's weight is :math:`\\sum_k \\Lambda_{jk}^2 \\beta_k^2`.
    Both methods split R^2, so the estimates add up to R^2 and the ``share`` column to 1.
    Compare ``share`` (not ``estimate``) with weights that add up to 1.

    References
    ----------
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
    predictor variables in multiple regression. Multivariate Behavioral Research 35, 1-19.
    Lindeman, Merenda & Gold (1980); Gromping (2007), The American Statistician 61, 139-147.

    Examples
    --------
    Two uncorrelated drivers: each one's weight is its squared correlation with the outcome.

    >>> rng = np.random.default_rng(0)
    >>> x = pd.DataFrame(rng.standard_normal((300, 2)), columns=["a", "b"])
    >>> x["y"] = 2 * x["a"] + x["b"] + rng.standard_normal(300)
    >>> res = driver_importance(x, outcome_col="y", driver_cols=["a", "b"], n_resamples=50)
    >>> bool(np.isclose(res.table["estimate"].sum(), res.r2))
    True
    >>> bool((res.table["ci_low"] <= res.table["estimate"]).all())
    True
    """
    rng = as_rng(rng)
    if isinstance(driver_cols, str):
        driver_cols = [driver_cols]
    drivers = list(driver_cols)
    check_frame("df", df, [outcome_col] + drivers)
    check_option("method", method, ["relative_weights", "shapley"])
    if len(drivers) < 1:
        raise ValueError("`driver_cols` must name at least one column.")
    if method == "shapley" and len(drivers) > 15:
        raise ValueError(f"`method='shapley'` is exact and needs 2^p regressions; {len(drivers)} drivers is too many (max 15).")
    n_resamples = check_int("n_resamples", n_resamples, 0, 100_000)
    ci = check_ci(ci)
    data = _items(df[[outcome_col] + drivers], "df", min_items=2).dropna()
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
    table = pd.DataFrame({"estimate": imp, "ci_low": np.nan, "ci_high": np.nan}, index=pd.Index(drivers, name="driver"))
    table["share"] = imp / r2 if r2 > 0 else np.nan
    table["share_ci_low"] = table["share_ci_high"] = np.nan
    if n_resamples:
        boots = np.empty((n_resamples, len(drivers)))
        boot_r2 = np.empty(n_resamples)
        for b in range(n_resamples):
            boots[b], boot_r2[b] = compute(arr[rng.integers(0, len(arr), len(arr))])
        tail = (1 - ci) / 2
        table["ci_low"] = np.quantile(boots, tail, axis=0)
        table["ci_high"] = np.quantile(boots, 1 - tail, axis=0)
        shares = boots / np.where(boot_r2 > 0, boot_r2, np.nan)[:, None]
        table["share_ci_low"] = np.nanquantile(shares, tail, axis=0)
        table["share_ci_high"] = np.nanquantile(shares, 1 - tail, axis=0)
    table["rank"] = table["estimate"].rank(ascending=False, method="min").astype(int)
    return DriverImportance(table=table.sort_values("estimate", ascending=False), r2=float(r2), method=method,
                            n=len(data), n_resamples=n_resamples, ci=ci)


QUADRANTS = {(True, False): "concentrate here", (True, True): "keep up the good work",
             (False, False): "low priority", (False, True): "possible overkill"}


@dataclass(frozen=True, repr=False)
class IPAResult(Result):
    """The importance-performance matrix: a quadrant per attribute and where the cross-hairs sit.

    Attributes
    ----------
    table : DataFrame
        Per attribute: ``importance``, ``performance``, ``quadrant`` (where the point lies)
        and ``on_border`` (True when the interval on either axis contains that axis's
        cross-hair, so the data do not settle the quadrant; always False without intervals).
    importance_cut, performance_cut : float
        The cross-hairs.
    cut : str
        ``"mean"`` or ``"midpoint"``.
    sentence : str
        Which attributes lie clearly in which quadrant and which lie on the border, written
        from the numbers.

    Examples
    --------
    >>> ipa = importance_performance(pd.Series({"a": 4.0, "b": 2.0}), pd.Series({"a": 2.0, "b": 4.0}))
    >>> ipa
    IPAResult(table=<DataFrame 2x4>, importance_cut=3, performance_cut=3, cut='mean', sentence='Without intervals, the quadrants go by the points alone: a in concentrate here; b in possible overkill.')
    >>> ipa.to_frame()["quadrant"].tolist()
    ['concentrate here', 'possible overkill']
    """

    table: pd.DataFrame
    importance_cut: float
    performance_cut: float
    cut: str
    sentence: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per attribute: ``attribute, importance, performance, quadrant, on_border``."""
        out = self.table.copy()
        out.index.name = "attribute"
        return out.reset_index()


def _interval_frame(name: str, ci, index: pd.Index) -> pd.DataFrame | None:
    """``ci`` (a frame with ``ci_low``, ``ci_high`` per attribute) checked against ``index``, or None."""
    if ci is None:
        return None
    if not isinstance(ci, pd.DataFrame):
        raise TypeError(f"`{name}` must be a DataFrame with columns ci_low and ci_high, indexed by attribute; "
                        f"got {type(ci).__name__}.")
    check_frame(name, ci, ["ci_low", "ci_high"])
    missing = index.difference(ci.index)
    if len(missing):
        raise ValueError(f"`{name}` has no interval for {missing.tolist()}.")
    out = ci.loc[index, ["ci_low", "ci_high"]].astype(float)
    if out.isna().any().any() or (out["ci_low"] > out["ci_high"]).any():
        raise ValueError(f"`{name}` needs finite intervals with ci_low <= ci_high for every attribute.")
    return out


def _ipa_sentence(df: pd.DataFrame, ic: float, pc: float, axes_with_intervals: list) -> str:
    def listing(rows):
        return "; ".join(f"{', '.join(map(str, part.index))} in {q}" for q, part in rows.groupby("quadrant", sort=True))

    if not axes_with_intervals:
        return f"Without intervals, the quadrants go by the points alone: {listing(df)}."
    firm, border = df[~df["on_border"]], df[df["on_border"]]
    parts = []
    if len(firm):
        which_axes = ("intervals" if len(axes_with_intervals) == 2 else
                      f"{axes_with_intervals[0]} intervals (the other axis has none, so it is taken as exact)")
        parts.append(f"Placed beyond the uncertainty of their {which_axes}: {listing(firm)}")
    else:
        parts.append("No attribute lies clear of the cross-hairs")
    if len(border):
        which = []
        for name, row in border.iterrows():
            axes = [axis for axis, cut_ in (("importance", ic), ("performance", pc))
                    if axis in axes_with_intervals and row[f"{axis}_ci_low"] <= cut_ <= row[f"{axis}_ci_high"]]
            which.append(f"{name} (its {axes[0]} interval contains the cross-hair)" if len(axes) == 1 else
                         f"{name} (its {' and '.join(axes)} intervals contain the cross-hairs)")
        parts.append(f"on the border, so no quadrant can be assigned from these data: {'; '.join(which)}")
    return ". ".join(p[:1].upper() + p[1:] for p in parts) + "."


def importance_performance(importance: pd.Series, performance: pd.Series, *, cut: str = "mean",
                           scale: tuple[int, int] = (1, 5), importance_ci: pd.DataFrame | None = None,
                           performance_ci: pd.DataFrame | None = None) -> IPAResult:
    """The importance-performance matrix (Martilla & James 1977): one quadrant per attribute.

    Parameters
    ----------
    importance : Series
        Importance per attribute: derived (e.g. ``driver_importance(...).importance``) or
        stated (mean answers to "how important is ...").
    performance : Series
        Performance per attribute (e.g. the mean scale score), same index.
    cut : {"mean", "midpoint"}, default="mean"
        Where the cross-hairs sit: the means of the attributes, or the scale's midpoint
        (both axes must then be on ``scale``: stated importance, not a derived one).
    scale : (min, max), default=(1, 5)
        The answer scale, for ``cut="midpoint"``.
    importance_ci, performance_ci : DataFrame, optional
        Intervals of each attribute's importance and performance: ``ci_low`` and
        ``ci_high`` indexed by attribute (e.g. ``driver_importance(...).table`` with its
        bootstrap, :func:`scale_means`). An attribute whose interval on either axis
        contains the cross-hair is ``on_border``.

    Returns
    -------
    IPAResult
        ``table`` (``importance``, ``performance``, ``quadrant``, ``on_border``), the
        cross-hairs and the ``sentence`` to print.

    Raises
    ------
    TypeError
        Not two pandas Series; intervals that are not DataFrames.
    ValueError
        Attributes missing from one of them or from an interval; values off the scale with
        ``cut="midpoint"``.

    See Also
    --------
    driver_importance, scale_means

    Notes
    -----
    High importance, low performance: 'concentrate here'; high and high: 'keep up the
    good work'; low and low: 'low priority'; low importance, high performance: 'possible
    overkill'. A value exactly on a cross-hair counts as high. The quadrants depend on
    the importance measure chosen: derived and stated importance often disagree.

    A point a hair's breadth from a cross-hair is in its quadrant by chance: another sample
    would put it on the other side. With intervals, such an attribute is reported as on
    the border instead of being given a quadrant. The cross-hair at the mean is itself
    estimated; treating it as fixed makes the border narrower than it is, never wider.

    References
    ----------
    Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. Journal of
    Marketing 41(1), 77-79.

    Examples
    --------
    >>> imp = pd.Series({"a": 4.5, "b": 2.0, "c": 3.0})
    >>> perf = pd.Series({"a": 2.5, "b": 4.0, "c": 2.0})
    >>> importance_performance(imp, perf, cut="midpoint").table["quadrant"].tolist()
    ['concentrate here', 'possible overkill', 'concentrate here']

    With intervals: c's performance, 2.0 (1.8 to 3.2), may lie on either side of the
    midpoint 3.

    >>> ci = pd.DataFrame({"ci_low": [2.3, 3.8, 1.8], "ci_high": [2.7, 4.2, 3.2]}, index=["a", "b", "c"])
    >>> print(importance_performance(imp, perf, cut="midpoint", performance_ci=ci).sentence)
    Placed beyond the uncertainty of their performance intervals (the other axis has none, so it is taken as exact): a in concentrate here; b in possible overkill. On the border, so no quadrant can be assigned from these data: c (its performance interval contains the cross-hair).
    """
    check_option("cut", cut, ["mean", "midpoint"])
    if not isinstance(importance, pd.Series) or not isinstance(performance, pd.Series):
        raise TypeError("`importance` and `performance` must be pandas Series indexed by attribute.")
    df = pd.DataFrame({"importance": importance, "performance": performance})
    if df.isna().any().any():
        raise ValueError(f"attributes missing from one of the two series: {df.index[df.isna().any(axis=1)].tolist()}.")
    if cut == "mean":
        ic, pc = df["importance"].mean(), df["performance"].mean()
    else:
        lo, hi = _scale(scale)
        outside = df[(df < lo).any(axis=1) | (df > hi).any(axis=1)]
        if len(outside):
            raise ValueError(f"`cut='midpoint'` needs values on the scale {lo:g}-{hi:g}; {outside.index.tolist()} are not.")
        ic = pc = (lo + hi) / 2
    df["quadrant"] = [QUADRANTS[(i >= ic, p >= pc)] for i, p in zip(df["importance"], df["performance"])]
    work = df.copy()
    border = pd.Series(False, index=df.index)
    for axis, ci_, cut_ in (("importance", importance_ci, ic), ("performance", performance_ci, pc)):
        frame = _interval_frame(f"{axis}_ci", ci_, df.index)
        if frame is None:
            work[f"{axis}_ci_low"] = work[f"{axis}_ci_high"] = work[axis]
            continue
        work[f"{axis}_ci_low"], work[f"{axis}_ci_high"] = frame["ci_low"], frame["ci_high"]
        border |= (frame["ci_low"] <= cut_) & (cut_ <= frame["ci_high"])
    df["on_border"] = work["on_border"] = border
    with_intervals = [axis for axis, ci_ in (("importance", importance_ci), ("performance", performance_ci))
                      if ci_ is not None]
    sentence = _ipa_sentence(work, float(ic), float(pc), with_intervals)
    return IPAResult(table=df, importance_cut=float(ic), performance_cut=float(pc), cut=cut, sentence=sentence)


def scale_means(scores: pd.DataFrame, *, ci: float = 0.95) -> pd.DataFrame:
    r"""The mean of each column with its t-interval: the performance axis of an IPA matrix.

    Parameters
    ----------
    scores : DataFrame
        One row per respondent, one column per scale (e.g. :func:`scale_scores`); missing
        answers are left out column by column.
    ci : float, default=0.95
        Confidence level.

    Returns
    -------
    DataFrame
        Indexed by column: ``estimate`` (the mean), ``se`` (``sd / sqrt(n)``), ``ci_low``,
        ``ci_high`` and ``n``.

    Raises
    ------
    TypeError
        ``scores`` is not a DataFrame.
    ValueError
        A column with fewer than two answers.

    See Also
    --------
    importance_performance

    Notes
    -----
    .. math:: \bar x \pm t_{n-1,\,(1+ci)/2}\, s / \sqrt{n}

    Examples
    --------
    >>> scale_means(pd.DataFrame({"staff": [3.0, 4.0, 5.0]})).round(3)
           estimate     se  ci_low  ci_high  n
    staff       4.0  0.577   1.516    6.484  3
    """
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"`scores` must be a DataFrame, one column per scale; got {type(scores).__name__}.")
    ci = check_ci(ci)
    n = scores.notna().sum()
    few = n[n < 2]
    if len(few):
        raise ValueError(f"`scores`: columns {few.index.tolist()} have fewer than 2 answers; a mean needs 2 for an "
                         "interval.")
    mean, se = scores.mean(), scores.std(ddof=1) / np.sqrt(n)
    t = stats.t.ppf((1 + ci) / 2, n - 1)
    return pd.DataFrame({"estimate": mean, "se": se, "ci_low": mean - t * se, "ci_high": mean + t * se,
                         "n": n.astype(int)})


# --- from answers to behaviour ------------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class LoyaltyLinks(Result):
    """Models linking survey answers to later behaviour, with their headline coefficients.

    Attributes
    ----------
    coefficients : DataFrame
        Tidy: one row per model and predictor, ``model`` (``stay``, ``spend``,
        ``recommend``), ``term``, ``estimate``, ``ci_low``, ``ci_high``, ``pvalue`` and
        ``unit`` (what the estimate measures, per point of the predictor): ``stay`` estimates
        are log-odds of buying again, ``spend`` EUR spent in the horizon, ``recommend``
        ordered-logit log-odds of a higher 0-10 answer to "would you recommend us".
    n : int
        Respondents used.
    horizon_days : int
        Days after the answer over which behaviour was observed.
    ci : float
        Confidence level of the intervals.
    stay, spend, recommend : object
        The fitted statsmodels results (Logit, OLS, ordered logit), for their summaries.
    data : DataFrame
        The respondents and outcomes the models were fitted on.

    Examples
    --------
    >>> from fidelia_kit import generate_world
    >>> w = generate_world(n_customers=800, seed=3)
    >>> links = satisfaction_to_loyalty(w.survey_responses, w.transactions, horizon_days=90)
    >>> links.to_frame()[["model", "term"]].values.tolist()
    [['stay', 'overall_satisfaction'], ['spend', 'overall_satisfaction'], ['recommend', 'overall_satisfaction']]
    """

    coefficients: pd.DataFrame
    n: int
    horizon_days: int
    ci: float
    stay: object
    spend: object
    recommend: object
    data: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The tidy ``coefficients`` table."""
        return self.coefficients.copy()


#: What each model of :func:`satisfaction_to_loyalty` estimates, per point of a predictor.
LOYALTY_UNITS = {"stay": "log-odds of buying again, per point",
                 "spend": "EUR spent in the horizon, per point",
                 "recommend": "log-odds of a higher recommend, per point"}


def _coefficients(name: str, fit, terms: list, ci: float) -> pd.DataFrame:
    conf = fit.conf_int(alpha=1 - ci)
    return pd.DataFrame({"model": name, "term": terms, "estimate": fit.params[terms].to_numpy(dtype=float),
                         "ci_low": conf.loc[terms].iloc[:, 0].to_numpy(dtype=float),
                         "ci_high": conf.loc[terms].iloc[:, 1].to_numpy(dtype=float),
                         "pvalue": fit.pvalues[terms].to_numpy(dtype=float), "unit": LOYALTY_UNITS[name]})


def satisfaction_to_loyalty(
    survey: pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    predictors: Sequence[str] = ("overall_satisfaction",),
    horizon_days: int = 180,
    recommend_predictors: Sequence[str] | None = None,
    ci: float = 0.95,
    customer_col: str = "customer_id",
    response_date_col: str = "response_date",
    recommend_col: str = "recommend",
    date_col: str = "date",
    value_col: str = "amount",
) -> LoyaltyLinks:
    """Does satisfaction predict what customers do next?

    Parameters
    ----------
    survey : DataFrame
        One row per respondent: ``customer_col``, ``response_date_col``, ``recommend_col``
        and the predictor columns.
    transactions : DataFrame
        ``customer_col``, ``date_col`` and ``value_col``.
    predictors : sequence of str, default=("overall_satisfaction",)
        Columns of ``survey`` that explain staying and spending.
    horizon_days : int, default=180
        Days after each answer over which behaviour is observed.
    recommend_predictors : sequence of str, optional
        Columns that explain the 0-10 recommendation; default ``predictors``.
    ci : float, default=0.95
        Confidence level of the coefficients' intervals.
    customer_col, response_date_col, recommend_col, date_col, value_col : str
        Column names in the caller's frames.

    Returns
    -------
    LoyaltyLinks
        The tidy ``coefficients`` and the fitted models.

    Raises
    ------
    ValueError
        Missing columns; no respondent with ``horizon_days`` of transactions after answering.

    See Also
    --------
    nps, driver_importance

    Notes
    -----
    For each respondent, behaviour in the ``horizon_days`` after (not on) their response
    date: ``stayed`` (bought at least once) and ``spend`` (sum of ``value_col``). Fits, with
    statsmodels, a logistic regression of ``stayed`` and an OLS of ``spend`` on
    ``predictors``, and an ordered logit of the 0-10 answer on ``recommend_predictors``.
    Respondents whose horizon runs past the last transaction date are left out, and so are
    rows with missing answers. The links are associations, not effects: customers who are
    satisfied may differ in other ways too.

    References
    ----------
    Anderson, E. W. & Sullivan, M. W. (1993). The antecedents and consequences of customer
    satisfaction for firms. Marketing Science 12(2), 125-143.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6], "response_date": ["2024-01-01"] * 6,
    ...                   "recommend": [9, 3, 8, 10, 6, 7], "overall_satisfaction": [5, 1, 4, 5, 3, 2]})
    >>> tx = pd.DataFrame({"customer_id": [1, 3, 4, 2, 6, 1], "amount": [20.0, 10.0, 30.0, 5.0, 8.0, 1.0],
    ...                    "date": ["2024-01-10", "2024-02-01", "2024-01-20", "2024-03-01", "2024-01-05",
    ...                             "2024-08-01"]})
    >>> links = satisfaction_to_loyalty(s, tx, horizon_days=60)
    >>> links.data.set_index("customer_id")["spend"].tolist()
    [20.0, 5.0, 10.0, 30.0, 0.0, 8.0]
    """
    from . import _sm as sm
    from ._ordinal import LogitOrderedModel

    predictors = [predictors] if isinstance(predictors, str) else list(predictors)
    rec_pred = list(recommend_predictors or predictors)
    check_frame("survey", survey, [customer_col, response_date_col, recommend_col] + predictors + rec_pred)
    check_frame("transactions", transactions, [customer_col, date_col, value_col])
    horizon_days = check_int("horizon_days", horizon_days, 1, 3650)
    ci = check_ci(ci)
    tx_dates = pd.to_datetime(transactions[date_col])
    end = tx_dates.max()
    s = survey.copy()
    s["_answered"] = pd.to_datetime(s[response_date_col])
    s = s[s["_answered"] + pd.Timedelta(days=horizon_days) <= end]
    if s.empty:
        raise ValueError(f"no respondent has {horizon_days} days of transactions after answering.")
    tx = pd.DataFrame({"_id": transactions[customer_col].to_numpy(), "_date": tx_dates.to_numpy(),
                       "_value": transactions[value_col].to_numpy()})
    tx = tx.merge(s[[customer_col, "_answered"]].rename(columns={customer_col: "_id"}), on="_id")
    tx = tx[(tx["_date"] > tx["_answered"]) & (tx["_date"] <= tx["_answered"] + pd.Timedelta(days=horizon_days))]
    spend = tx.groupby("_id")["_value"].sum()
    s["spend"] = s[customer_col].map(spend).fillna(0.0)
    s["stayed"] = (s["spend"] > 0).astype(float)
    cols = list(dict.fromkeys(predictors + rec_pred))
    data = s[[customer_col, "stayed", "spend", recommend_col] + cols].dropna()
    data[cols] = data[cols].astype(float)
    X = sm.add_constant(data[predictors])
    stay = sm.Logit(data["stayed"], X).fit(disp=False)
    spend_fit = sm.OLS(data["spend"], X).fit()
    rec = data[recommend_col].astype(int)
    recommend = LogitOrderedModel(rec, data[rec_pred]).fit(method="bfgs", disp=False, maxiter=500)
    coefficients = pd.concat([_coefficients("stay", stay, predictors, ci), _coefficients("spend", spend_fit, predictors, ci),
                              _coefficients("recommend", recommend, rec_pred, ci)], ignore_index=True)
    return LoyaltyLinks(coefficients=coefficients, n=len(data), horizon_days=horizon_days, ci=ci, stay=stay,
                        spend=spend_fit, recommend=recommend, data=data)


# --- weighting ------------------------------------------------------------------------------------------------

@keyword_only_since("by", n_positional=2)
def poststratify(sample: pd.DataFrame, population: pd.DataFrame, *, by: str | Sequence[str]) -> pd.Series:
    """Weights that make the respondents match the population on the cells of ``by``.

    Parameters
    ----------
    sample : DataFrame
        The respondents, one row each, with the ``by`` columns.
    population : DataFrame
        The population (e.g. the active customers), one row per person, same columns.
    by : str or list of str
        Columns whose combinations (cells) the weights balance, e.g. ``["age_band", "region"]``.

    Returns
    -------
    Series
        ``weight`` per respondent, indexed like ``sample``.

    Raises
    ------
    ValueError
        Missing columns or cells, or sample cells that the population lacks.

    See Also
    --------
    nps : takes the weights.

    Notes
    -----
    Each respondent in cell c gets ``w = (N_c / N) / (n_c / n)``: cells that answered
    less than their share count more. Weights average 1 over the sample. Population
    cells with no respondent cannot be represented; they are reported in a warning and
    the weights are computed over the covered part of the population.

    Weights correct only what the cells explain: if, within a cell, the satisfied answer
    more often, the weighted estimate stays biased.

    References
    ----------
    Kalton, G. & Flores-Cervantes, I. (2003). Weighting methods. Journal of Official
    Statistics 19(2), 81-97.

    Examples
    --------
    Cell a is 2/3 of the sample but 1/4 of the population: w = (1/4) / (2/3) = 0.375;
    cell b: w = (3/4) / (1/3) = 2.25.

    >>> s = pd.DataFrame({"g": ["a", "a", "b"]}); pop = pd.DataFrame({"g": ["a", "b", "b", "b"]})
    >>> poststratify(s, pop, by="g").round(3).tolist()
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
                      f"e.g. {list(empty.index)[:3]}); weights cover the rest.", UserWarning, stacklevel=3)
        cells = cells.dropna()
    ratio = (cells["N"] / cells["N"].sum()) / (cells["n"] / cells["n"].sum())
    keys = pd.MultiIndex.from_frame(sample[by]) if len(by) > 1 else pd.Index(sample[by[0]])
    w = ratio.reindex(keys).to_numpy()
    return pd.Series(w, index=sample.index, name="weight")


def nps_category(scores: ArrayLike) -> pd.Series:
    """Each 0-10 answer's NPS group: ``"detractor"`` (0-6), ``"passive"`` (7-8) or ``"promoter"`` (9-10).

    Parameters
    ----------
    scores : array-like
        Answers 0-10 to "How likely are you to recommend us?"; missing answers stay missing.

    Returns
    -------
    Series
        An ordered categorical (detractor < passive < promoter).

    Raises
    ------
    ValueError
        Answers that are not whole numbers from 0 to 10.

    See Also
    --------
    nps, PROMOTER_MIN, DETRACTOR_MAX

    Examples
    --------
    >>> nps_category([0, 6, 7, 8, 9, 10, None]).tolist()
    ['detractor', 'detractor', 'passive', 'passive', 'promoter', 'promoter', nan]
    """
    raw = pd.Series(scores).astype("Float64").astype(float)
    x = _nps_scores(raw.dropna(), "scores")
    out = pd.cut(x, [-0.5, DETRACTOR_MAX + 0.5, PROMOTER_MIN - 0.5, 10.5], labels=["detractor", "passive", "promoter"])
    return out.reindex(raw.index)


def response_rates(population: pd.DataFrame, respondents: ArrayLike, *, by: str, customer_col: str = "customer_id",
                   ci: float = 0.95) -> pd.DataFrame:
    """Share of a population who answered, per group, with Wilson intervals: who answers?

    Parameters
    ----------
    population : DataFrame
        Everyone who could have answered (e.g. the customers who bought in the year before
        the survey), one row each, with ``customer_col`` and ``by``.
    respondents : array-like
        The ids of those who answered; each must be in ``population``.
    by : str
        Column of ``population`` that defines the groups (e.g. ``"age_band"``).
    customer_col : str, default="customer_id"
        The id column of ``population``.
    ci : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        Indexed by group (``by``): ``n`` (people), ``responded``, ``rate``, ``ci_low``,
        ``ci_high``.

    Raises
    ------
    ValueError
        Missing columns, duplicate ids in ``population``, respondents not in it, groups
        missing.

    See Also
    --------
    poststratify : weights that undo the differences the groups explain.

    Notes
    -----
    The Wilson score interval (Wilson 1927), via statsmodels' ``proportion_confint``,
    keeps inside [0, 1] and is accurate in small groups. Rates that differ by group show
    non-response that weighting by the group can correct; what makes people answer within a
    group (e.g. their satisfaction) stays in any estimate from the answers.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22(158), 209-212.

    Examples
    --------
    >>> pop = pd.DataFrame({"customer_id": range(1, 9), "age": ["young"] * 4 + ["old"] * 4})
    >>> response_rates(pop, [1, 5, 6, 7], by="age").round(3)
           n  responded  rate  ci_low  ci_high
    age
    old    4          3  0.75   0.301    0.954
    young  4          1  0.25   0.046    0.699
    """
    from statsmodels.stats.proportion import proportion_confint

    check_frame("population", population, [customer_col, by])
    ci = check_ci(ci)
    ids = population[customer_col]
    if ids.duplicated().any():
        raise ValueError(f"`population` has {int(ids.duplicated().sum())} duplicate {customer_col!r} values; "
                         "one row per person.")
    if population[by].isna().any():
        raise ValueError(f"`population` column {by!r} has {int(population[by].isna().sum())} missing values; "
                         "every person needs a group.")
    answered = pd.Index(pd.Series(respondents).dropna().unique())
    outside = answered.difference(pd.Index(ids))
    if len(outside):
        raise ValueError(f"`respondents`: {len(outside)} ids are not in `population` (e.g. {outside[:3].tolist()}); "
                         "a rate needs everyone who answered among those who could.")
    flag = ids.isin(answered)
    table = flag.groupby(population[by], observed=True).agg(n="size", responded="sum")
    table["rate"] = table["responded"] / table["n"]
    low, high = proportion_confint(table["responded"], table["n"], alpha=1 - ci, method="wilson")
    table["ci_low"], table["ci_high"] = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    return table.astype({"n": int, "responded": int})


def rate_difference(rates: pd.DataFrame, group: str, reference: str, *, ci: float = 0.95) -> pd.Series:
    """How much more often one group answered than another, with Newcombe's interval.

    Parameters
    ----------
    rates : DataFrame
        :func:`response_rates`' output (``n`` and ``responded`` per group).
    group, reference : str
        The two groups compared: ``rate[group] - rate[reference]``.
    ci : float, default=0.95
        Confidence level.

    Returns
    -------
    Series
        ``estimate``, ``ci_low``, ``ci_high`` (differences of proportions, e.g. 0.12 is 12
        percentage points), named ``"group - reference"``.

    Raises
    ------
    ValueError
        A group not in ``rates``, or the same group twice.

    Notes
    -----
    Newcombe's hybrid score interval (method 10 of Newcombe 1998), from the two Wilson
    intervals, computed by statsmodels' ``confint_proportions_2indep``.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions. Statistics in Medicine 17, 873-890.

    Examples
    --------
    >>> pop = pd.DataFrame({"customer_id": range(1, 201), "age": ["young"] * 100 + ["old"] * 100})
    >>> rates = response_rates(pop, list(range(1, 21)) + list(range(101, 151)), by="age")
    >>> rate_difference(rates, "old", "young").round(3).tolist()
    [0.3, 0.169, 0.417]
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    check_frame("rates", rates, ["n", "responded"])
    ci = check_ci(ci)
    for name, g in (("group", group), ("reference", reference)):
        if g not in rates.index:
            raise ValueError(f"`{name}` {g!r} is not a group of `rates`; groups: {list(rates.index)}.")
    if group == reference:
        raise ValueError(f"`group` and `reference` must differ; both are {group!r}.")
    a, b = rates.loc[group], rates.loc[reference]
    low, high = confint_proportions_2indep(int(a["responded"]), int(a["n"]), int(b["responded"]), int(b["n"]),
                                           method="newcomb", compare="diff", alpha=1 - ci)
    estimate = a["responded"] / a["n"] - b["responded"] / b["n"]
    return pd.Series({"estimate": float(estimate), "ci_low": float(low), "ci_high": float(high)},
                     name=f"{group} - {reference}")


# --- share of wallet: what customers say against what they do ------------------------------------------

def _latest_answer(survey: pd.DataFrame, value_col: str, *, as_of: DateLike | None, customer_col: str, date_col: str) -> pd.Series:
    """Each customer's latest non-missing ``value_col`` dated before ``as_of`` (all dates when None)."""
    dates = as_dates("survey", date_col, survey[date_col].reset_index(drop=True))
    s = survey.reset_index(drop=True).assign(**{date_col: dates})
    if as_of is not None:
        s = s[s[date_col] < as_date("as_of", as_of)]
    s = s[s[value_col].notna()].sort_values([customer_col, date_col], kind="stable")
    return s.drop_duplicates(customer_col, keep="last").set_index(customer_col)[value_col]



@dataclass(frozen=True, repr=False)
class ShareOfWalletCheck(Result):
    """Self-reported share of wallet against the true one, and the "exclusive customer" rung from each.

    Attributes
    ----------
    n : int
        Customers with both an answer and a true share.
    mean_reported, mean_true : float
        Mean shares (%).
    mean_difference : float
        Mean of reported - true (percentage points); positive when customers overstate.
    ci : (float, float)
        t interval of ``mean_difference``.
    correlation : float
        Pearson correlation of reported and true shares.
    correlation_ci : (float, float)
        Fisher-z interval of ``correlation``.
    exclusive_share : float
        The rung's threshold (%): exclusive when the share is at least this.
    exclusive_reported, exclusive_true : int
        Customers who are exclusive by their answer, and by the truth.
    misclassified : int
        Customers whose answer puts them on the other side of the threshold than the truth.
    table : DataFrame
        The misclassification table: rows ``by_answer``, columns ``by_truth``, each
        ``exclusive`` / ``not exclusive`` (counts of customers).
    customers : DataFrame
        Per customer (index ``customer_id``): ``reported``, ``true``, ``difference``,
        ``exclusive_reported``, ``exclusive_true``.
    ci_level : float

    Examples
    --------
    >>> survey = pd.DataFrame({"customer_id": [1, 2, 3], "response_date": ["2024-05-01"] * 3,
    ...                        "share_of_wallet": [80, 60, 30]})
    >>> truth = pd.DataFrame({"customer_id": [1, 2, 3], "share_of_wallet": [72.0, 71.0, 20.0]})
    >>> share_of_wallet_check(survey, truth).table
    by_truth       exclusive  not exclusive
    by_answer
    exclusive              1              0
    not exclusive          1              1
    """

    n: int
    mean_reported: float
    mean_true: float
    mean_difference: float
    ci: tuple
    correlation: float
    correlation_ci: tuple
    exclusive_share: float
    exclusive_reported: int
    exclusive_true: int
    misclassified: int
    table: pd.DataFrame
    customers: pd.DataFrame
    ci_level: float

    def to_frame(self) -> pd.DataFrame:
        """The two comparisons in one tidy table: ``measure``, ``estimate``, ``ci_low``, ``ci_high``.

        Returns
        -------
        DataFrame
            Rows ``mean_difference`` (points) and ``correlation``.

        Examples
        --------
        >>> survey = pd.DataFrame({"customer_id": [1, 2, 3, 4], "response_date": ["2024-05-01"] * 4,
        ...                        "share_of_wallet": [80, 60, 30, 50]})
        >>> truth = pd.DataFrame({"customer_id": [1, 2, 3, 4], "share_of_wallet": [70.0, 50.0, 30.0, 40.0]})
        >>> share_of_wallet_check(survey, truth).to_frame()["estimate"].round(3).tolist()
        [7.5, 0.984]
        """
        return pd.DataFrame({"measure": ["mean_difference", "correlation"],
                             "estimate": [self.mean_difference, self.correlation],
                             "ci_low": [self.ci[0], self.correlation_ci[0]],
                             "ci_high": [self.ci[1], self.correlation_ci[1]]})


def share_of_wallet_check(survey: pd.DataFrame, truth_customers: pd.DataFrame, *, as_of: DateLike | None = None,
                          exclusive_share: float = 70.0, ci: float = 0.95, customer_col: str = "customer_id",
                          share_col: str = "share_of_wallet", date_col: str = "response_date") -> ShareOfWalletCheck:
    """Self-reported share of wallet (survey) against the true share, and who is an "exclusive customer" by each.

    Share of wallet, the part of what a customer spends on the category that they spend with
    us, is the loyalty ladder's test of an *exclusive* customer (share >= 70 %). A firm only
    knows it from what customers say; the synthetic world also knows the truth, so one can
    see how far the answers can be trusted. Its respondents misreport like real ones: they
    overstate their loyalty to the store that asks, and answer noisily (``truth.json`` ->
    ``survey.share_of_wallet_report``).

    Parameters
    ----------
    survey : DataFrame
        Survey answers (``survey_responses`` or ``survey_waves``) with ``customer_col``,
        ``date_col`` and ``share_col`` (0-100 %). Each customer's latest non-missing answer
        dated before ``as_of`` is used.
    truth_customers : DataFrame
        The true share per customer: ``customer_col`` and ``share_col`` (0-100 %; missing for
        people who never bought).
    as_of : date, optional
        Only answers dated before it count (exclusive); default every answer.
    exclusive_share : float, default=70.0
        The "exclusive" rung's threshold (%), as in
        :data:`fidelia_kit.segmentation.LADDER_RULES`.
    ci : float, default=0.95
        Confidence level.
    customer_col, share_col, date_col : str
        Column names.

    Returns
    -------
    ShareOfWalletCheck
        Mean difference (reported - true) with its interval, the correlation, the counts of
        exclusive customers by answer and by truth, and the misclassification ``table``.

    Raises
    ------
    TypeError
        A table that is not a DataFrame.
    ValueError
        Missing columns, shares outside 0-100, duplicate ids in ``truth_customers``, fewer
        than 3 customers with both shares, a bad ``as_of``, ``exclusive_share`` or ``ci``.

    See Also
    --------
    fidelia_kit.segmentation.loyalty_ladder : the ladder whose exclusive rung uses the answer.
    fidelia_kit.synth.true_wallet_report_error : the world's expected mean difference, to hold the estimate against.

    Notes
    -----
    With :math:`d_i = \\text{reported}_i - \\text{true}_i`, the mean difference
    :math:`\\bar d \\pm t_{n-1} s_d / \\sqrt{n}` (scipy's ``ttest_1samp``) measures a shared
    bias (over- or understatement); the Pearson correlation with its Fisher-z interval
    (scipy's ``pearsonr``) measures how well answers rank customers. An unbiased but noisy
    answer still misclassifies customers near the threshold, in both directions.

    Examples
    --------
    >>> survey = pd.DataFrame({"customer_id": [1, 2, 3, 4], "response_date": ["2024-05-01"] * 4,
    ...                        "share_of_wallet": [80, 60, 30, 50]})
    >>> truth = pd.DataFrame({"customer_id": [1, 2, 3, 4], "share_of_wallet": [70.0, 50.0, 30.0, 40.0]})
    >>> r = share_of_wallet_check(survey, truth)
    >>> r.mean_difference, r.exclusive_reported, r.exclusive_true, r.misclassified
    (7.5, 1, 1, 0)
    """
    check_frame("survey", survey, [customer_col, date_col, share_col])
    check_frame("truth_customers", truth_customers, [customer_col, share_col])
    ci = check_ci(ci)
    exclusive_share = check_number("exclusive_share", exclusive_share, 0, 100)
    if truth_customers[customer_col].duplicated().any():
        raise ValueError(f"`truth_customers` has {int(truth_customers[customer_col].duplicated().sum())} duplicate "
                         f"{customer_col!r} values; one row per customer.")
    shares = {}
    for name, frame in (("survey", survey), ("truth_customers", truth_customers)):
        s = frame[share_col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            raise ValueError(f"`{name}`: column {share_col!r} must hold numbers (percent); got {s.dtype}.")
        v = s.astype("float64")
        bad = v.notna() & ((v < 0) | (v > 100))
        if bad.any():
            raise ValueError(f"`{name}`: column {share_col!r} must be a percent from 0 to 100; {int(bad.sum())} "
                             f"value(s) are not: {v[bad].head(3).tolist()}.")
        shares[name] = v
    reported = _latest_answer(survey.assign(**{share_col: shares["survey"]}), share_col, as_of=as_of,
                              customer_col=customer_col, date_col=date_col)
    true = pd.Series(shares["truth_customers"].to_numpy(), index=truth_customers[customer_col].to_numpy())
    people = pd.DataFrame({"reported": reported, "true": true.reindex(reported.index)}).dropna()
    people.index.name = customer_col
    if len(people) < 3:
        raise ValueError(f"`survey`: {len(people)} customer(s) have both an answer before as_of and a true share; "
                         "the comparison needs at least 3.")
    people["difference"] = people["reported"] - people["true"]
    people["exclusive_reported"] = people["reported"] >= exclusive_share
    people["exclusive_true"] = people["true"] >= exclusive_share
    d = people["difference"].to_numpy()
    if np.ptp(d) == 0:
        diff_ci = (float(d[0]), float(d[0]))
    else:
        diff_ci = tuple(float(v) for v in stats.ttest_1samp(d, 0.0).confidence_interval(ci))
    if np.ptp(people["reported"]) == 0 or np.ptp(people["true"]) == 0:
        r, r_ci = float("nan"), (float("nan"), float("nan"))
    else:
        test = stats.pearsonr(people["reported"], people["true"])
        r, r_ci = float(test.statistic), tuple(float(v) for v in test.confidence_interval(ci))
    labels = ["exclusive", "not exclusive"]
    by_answer = pd.Categorical(np.where(people["exclusive_reported"], *labels), categories=labels)
    by_truth = pd.Categorical(np.where(people["exclusive_true"], *labels), categories=labels)
    table = pd.crosstab(pd.Series(by_answer, name="by_answer"), pd.Series(by_truth, name="by_truth"), dropna=False)
    table = table.reindex(index=labels, columns=labels, fill_value=0)
    return ShareOfWalletCheck(
        n=len(people), mean_reported=float(people["reported"].mean()), mean_true=float(people["true"].mean()),
        mean_difference=float(d.mean()), ci=diff_ci, correlation=r, correlation_ci=r_ci,
        exclusive_share=exclusive_share, exclusive_reported=int(people["exclusive_reported"].sum()),
        exclusive_true=int(people["exclusive_true"].sum()),
        misclassified=int((people["exclusive_reported"] != people["exclusive_true"]).sum()),
        table=table, customers=people, ci_level=ci)
