"""RFM and RFMT: recency, frequency, monetary value and tenure, scored and named."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._deprecation import keyword_only_since
from .._groups import distinct_keys, pack_keys, unpack_keys
from .._results import Result
from .._validation import (
    DEFAULT_RNG,
    as_amounts,
    as_date,
    as_dates,
    as_rng,
    check_ci,
    check_frame,
    check_int,
    check_option,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .._typing import DateLike


__all__ = ["rfm_table", "rfm_scores", "rfm_segments", "RFM_SEGMENTS", "weighted_rfm_score", "rfm_weight_vector", "RFMWeights",
           "rfm_weights",
           "RankingChange", "ranking_change", "value_by_score_group"]

# --- RFM ---------------------------------------------------------------------------------------

@keyword_only_since("as_of")
def rfm_table(transactions: pd.DataFrame, *, as_of: DateLike | None = None, customer_col: str = "customer_id",
              date_col: str = "date", value_col: str = "amount") -> pd.DataFrame:
    """Recency, frequency, monetary value and tenure of every customer.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase (or receipt).
    as_of : date-like, optional
        The day the table describes (exclusive: purchases on or after it are ignored,
        "as seen at the start of that day"). Defaults to the day after the last
        transaction. Always reported, in the ``as_of`` column.
    customer_col, date_col, value_col : str
        Columns of ``transactions``: customer id, purchase date, amount (EUR).

    Returns
    -------
    DataFrame
        Indexed by customer, columns ``days_since_last`` (days from the last purchase
        to ``as_of``), ``n_purchases`` (distinct purchase days: two receipts on one day
        count once), ``monetary_total``, ``monetary_mean`` (total / purchase days),
        ``tenure_days`` (days from the first purchase to ``as_of``), ``first_purchase``,
        ``last_purchase`` and ``as_of``.

    Raises
    ------
    TypeError, ValueError
        Missing columns, no transactions (before ``as_of``), dates that are not dates,
        negative amounts; the message names the column.

    See Also
    --------
    rfm_scores : scores 1..q from this table.
    fidelia_kit.clv.summarize_transactions : the BTYD summary (``frequency``, ``recency``,
        ``T``), whose recency and frequency mean something else.

    Notes
    -----
    With purchase days :math:`d_1 < \\dots < d_n` of a customer before ``as_of``:
    ``days_since_last = as_of - d_n``, ``tenure_days = as_of - d_1``, ``n_purchases = n``.
    Both day counts are at least 1, as ``as_of`` is exclusive.

    References
    ----------
    Hughes, A. M. (1994). Strategic Database Marketing. Probus. (RFM scoring.)

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": ["2024-01-01", "2024-01-11", "2024-01-05"],
    ...                    "amount": [10.0, 30.0, 5.0]})
    >>> rfm_table(tx)[["days_since_last", "n_purchases", "monetary_total", "tenure_days"]]
                 days_since_last  n_purchases  monetary_total  tenure_days
    customer_id
    1                          1            2            40.0           11
    2                          7            1             5.0            7
    """
    check_frame("transactions", transactions, [customer_col, date_col, value_col])
    as_of = None if as_of is None else as_date("as_of", as_of)
    dates = as_dates("transactions", date_col, transactions[date_col].reset_index(drop=True))
    values = as_amounts("transactions", value_col, transactions[value_col].reset_index(drop=True))
    cust = transactions[customer_col].reset_index(drop=True)
    if cust.isna().any():
        raise ValueError(f"`transactions`: column '{customer_col}' has {int(cust.isna().sum())} missing id(s).")
    day = (dates.to_numpy().astype("datetime64[D]")).astype(np.int64)
    if as_of is None:
        as_of_day = int(day.max()) + 1
    else:
        as_of_day = int(np.datetime64(pd.Timestamp(as_of).normalize().to_datetime64(), "D").astype(np.int64))
        keep = day < as_of_day
        if not keep.any():
            raise ValueError(f"`transactions` has no purchases before as_of={pd.Timestamp(as_of).date()}.")
        day, values, cust = day[keep], values[keep].reset_index(drop=True), cust[keep].reset_index(drop=True)
    codes, uniques = pd.factorize(cust, sort=True)
    n = len(uniques)
    v = values.to_numpy()
    total = np.round(np.bincount(codes, weights=v, minlength=n), 6)  # float noise off: ties stay ties
    # distinct (customer, day) pairs by one sort of a packed key (faster than np.unique's hashing); the pairs
    # come in (customer, day) order, so each customer's first and last purchase days fall out
    key, layout = pack_keys(codes, day)
    kc, kd = unpack_keys(distinct_keys(key), layout)
    n_days = np.bincount(kc, minlength=n)
    ends = np.cumsum(n_days)
    last = kd[ends - 1]
    first = kd[ends - n_days]
    out = pd.DataFrame({
        "days_since_last": as_of_day - last,
        "n_purchases": n_days,
        "monetary_total": total,
        "monetary_mean": total / n_days,
        "tenure_days": as_of_day - first,
        "first_purchase": first.astype("datetime64[D]").astype("datetime64[ns]"),
        "last_purchase": last.astype("datetime64[D]").astype("datetime64[ns]"),
    }, index=pd.Index(uniques, name=customer_col))
    as_of_ts = pd.Timestamp(np.datetime64(as_of_day, "D"))
    out["as_of"] = as_of_ts
    return out


def _score(values: np.ndarray, q: int, ties: str, tiebreak: np.ndarray) -> np.ndarray:
    """Scores 1..q, higher for higher values."""
    n = len(values)
    if ties == "equal":
        # 'min' rank: equal values share the score of the first of them
        rank0 = pd.Series(values).rank(method="min").to_numpy() - 1
    else:
        order = np.lexsort((tiebreak, values))
        rank0 = np.empty(n)
        rank0[order] = np.arange(n)
    return (1 + np.floor(q * rank0 / n)).astype(np.int64)


@keyword_only_since("q")
def rfm_scores(rfm: pd.DataFrame, *, q: int = 5, tenure: bool = False, ties: str = "equal") -> pd.DataFrame:
    """Score recency, frequency and monetary value (and tenure) from 1 to ``q``; higher is better.

    Parameters
    ----------
    rfm : DataFrame
        Output of :func:`rfm_table`.
    q : int, default=5
        Number of score levels (2 to 9, so the code stays one digit a score).
    tenure : bool, default=False
        Also score tenure (RFMT): longer-standing customers score higher.
    ties : {"equal", "split"}, default="equal"
        ``"equal"``: equal values get equal scores, even if the bins are then unequal
        (all one-time buyers share one F score; with 60% one-time buyers and q=5 they
        all get F=1 and no one gets F=2 or 3). ``"split"``: equal-sized bins by rank,
        ties broken by the customer index (so row order never matters).

    Returns
    -------
    DataFrame
        Columns ``R``, ``F``, ``M`` (and ``T``), ``rfm_code`` (e.g. ``"545"``; with tenure
        ``"5453"``) and ``rfm_sum``.

    Notes
    -----
    A customer's score is ``1 + floor(q * k / n)``, where ``k`` is the number of
    customers ranked strictly below them (``"equal"``) or their 0-based position in the
    sorted order (``"split"``), and ``n`` the number of customers. Recency is ranked on
    ``-days_since_last`` (recent = high R), frequency on ``n_purchases``, monetary on
    ``monetary_total``. It never fails on heavy ties or on fewer customers than levels.

    This is not ``pd.qcut``. ``pd.qcut(x, q)`` cuts at quantiles interpolated between order
    statistics (bins right-closed), so its bins can differ by a customer from ``"split"``
    (6 customers, q=4: sizes 2, 1, 2, 1 here, 2, 1, 1, 2 with ``pd.qcut`` of the ranks); on
    heavy ties it fails ("Bin edges must be unique"), and with ``duplicates="drop"`` it merges
    the bins and numbers the rest 1, 2, 3, ... Here a score keeps its place in the
    distribution: with 60% one-time buyers and q=5, the others get F=4 or 5, never 2.

    Raises
    ------
    TypeError, ValueError
        Missing columns, ``q`` outside 2..9, an unknown ``ties``.

    See Also
    --------
    rfm_table, rfm_segments

    Examples
    --------
    Four customers, q=2: the two most recent get R=2; the two one-time buyers tie on F=1.

    >>> rfm = pd.DataFrame({"days_since_last": [1, 5, 20, 40], "n_purchases": [6, 1, 3, 1],
    ...                     "monetary_total": [300.0, 20.0, 90.0, 15.0]}, index=[1, 2, 3, 4])
    >>> rfm_scores(rfm, q=2)
       R  F  M rfm_code  rfm_sum
    1  2  2  2      222        6
    2  2  1  1      211        4
    3  1  2  2      122        5
    4  1  1  1      111        3
    """
    check_frame("rfm", rfm, ["days_since_last", "n_purchases", "monetary_total"] + (["tenure_days"] if tenure else []))
    q = check_int("q", q, 2, 9)
    check_option("ties", ties, ["equal", "split"])
    idx = rfm.index.to_numpy()
    tiebreak = pd.factorize(idx, sort=True)[0]
    cols = {"R": -rfm["days_since_last"].to_numpy(), "F": rfm["n_purchases"].to_numpy(),
            "M": rfm["monetary_total"].to_numpy()}
    if tenure:
        cols["T"] = rfm["tenure_days"].to_numpy()
    out = pd.DataFrame({k: _score(np.asarray(v, dtype=float), q, ties, tiebreak) for k, v in cols.items()}, index=rfm.index)
    code = out["R"].astype(str)
    for k in list(cols)[1:]:
        code = code + out[k].astype(str)
    out["rfm_code"] = code
    out["rfm_sum"] = out[list(cols)].sum(axis=1)
    return out


#: The standard rule table of named RFM segments on the 5x5 grid of R and F scores.
#: Every (R, F) cell belongs to exactly one segment.
RFM_SEGMENTS = pd.DataFrame([
    ("Champions", 5, 5, 4, 5, "Bought recently, buy often: reward them, ask for referrals and reviews."),
    ("Loyal", 3, 4, 4, 5, "Buy often, fairly recently: up-sell, invite to the loyalty programme's top tier."),
    ("Potential loyalist", 4, 5, 2, 3, "Recent, a few purchases: offer membership, recommend related categories."),
    ("New", 5, 5, 1, 1, "First purchase just now: welcome them, help with the first steps."),
    ("Promising", 4, 4, 1, 1, "Recent single purchase: build the relationship, a second-purchase incentive."),
    ("Need attention", 3, 3, 3, 3, "Average recency and frequency: limited-time offers, ask what they miss."),
    ("About to sleep", 3, 3, 1, 2, "Few purchases, not recent: share popular products, reactivate before they go."),
    ("At risk", 1, 2, 3, 4, "Bought often, long ago: personal contact, win them back with a relevant offer."),
    ("Cannot lose them", 1, 2, 5, 5, "Used to be among the best, silent for long: win back at almost any cost."),
    ("Hibernating", 2, 2, 1, 2, "Few purchases, long ago: low-cost reactivation, or let go."),
    ("Lost", 1, 1, 1, 2, "Lowest recency and frequency: only cheap reactivation, if any."),
], columns=["segment", "r_min", "r_max", "f_min", "f_max", "action"])


def _check_scheme(scheme: pd.DataFrame, q: int) -> pd.DataFrame:
    check_frame("scheme", scheme, ["segment", "r_min", "r_max", "f_min", "f_max"])
    grid = np.zeros((q, q), dtype=int)
    for row in scheme.itertuples(index=False):
        for col in ("r_min", "r_max", "f_min", "f_max"):
            v = getattr(row, col)
            if not (isinstance(v, (int, np.integer)) and 1 <= v <= q):
                raise ValueError(f"`scheme`: segment {row.segment!r} has {col}={v!r}; expected an integer score 1..{q}.")
        if row.r_min > row.r_max or row.f_min > row.f_max:
            raise ValueError(f"`scheme`: segment {row.segment!r} has a minimum above its maximum.")
        grid[row.r_min - 1:row.r_max, row.f_min - 1:row.f_max] += 1
    gaps = [(int(r) + 1, int(f) + 1) for r, f in zip(*np.nonzero(grid == 0))]
    overlaps = [(int(r) + 1, int(f) + 1) for r, f in zip(*np.nonzero(grid > 1))]
    if gaps or overlaps:
        raise ValueError(f"`scheme` must cover every (R, F) cell exactly once; uncovered {gaps[:6]}, "
                         f"covered twice {overlaps[:6]}.")
    return scheme


@keyword_only_since("scheme")
def rfm_segments(scores: pd.DataFrame, *, scheme: str | pd.DataFrame = "standard") -> pd.DataFrame:
    """Name each customer's segment from their R and F scores by a rule table.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`rfm_scores` (columns ``R`` and ``F``).
    scheme : "standard" or DataFrame, default="standard"
        ``"standard"`` is :data:`RFM_SEGMENTS` (for q=5): eleven segments from Champions
        to Lost, each with a suggested action. A DataFrame of your own needs columns
        ``segment, r_min, r_max, f_min, f_max`` (inclusive score ranges) and must cover
        every (R, F) cell exactly once; it is validated.

    Returns
    -------
    DataFrame
        ``scores`` plus ``segment`` (an ordered categorical in the scheme's order).

    Raises
    ------
    TypeError, ValueError
        Missing ``R``/``F``; a scheme that is not "standard" or a DataFrame, that leaves a
        cell uncovered or covers one twice, or scores beyond the scheme's grid.

    See Also
    --------
    RFM_SEGMENTS, rfm_scores

    Notes
    -----
    Segments use R and F only (monetary value is usually correlated with F); the
    suggested actions are in ``RFM_SEGMENTS["action"]``.

    Examples
    --------
    >>> scores = pd.DataFrame({"R": [5, 1, 3], "F": [5, 1, 3]}, index=["a", "b", "c"])
    >>> rfm_segments(scores)["segment"].tolist()
    ['Champions', 'Lost', 'Need attention']
    """
    check_frame("scores", scores, ["R", "F"])
    q = int(max(scores["R"].max(), scores["F"].max(), 1))
    if isinstance(scheme, str):
        check_option("scheme", scheme, ["standard"])
        if q > 5:
            raise ValueError(f"the standard scheme is for scores 1..5; these scores go up to {q}. "
                             "Use rfm_scores(..., q=5) or pass your own scheme.")
        table, q = RFM_SEGMENTS, 5
    elif isinstance(scheme, pd.DataFrame):
        table = scheme
        q_scheme = int(max(scheme["r_max"].max(), scheme["f_max"].max()))
        if q > q_scheme:
            raise ValueError(f"`scheme` covers scores up to {q_scheme}; the scores go up to {q}.")
        q = q_scheme
    else:
        raise TypeError(f"`scheme` must be 'standard' or a DataFrame; got {type(scheme).__name__}.")
    _check_scheme(table, q)
    lookup = np.empty((q, q), dtype=object)
    for row in table.itertuples(index=False):
        lookup[row.r_min - 1:row.r_max, row.f_min - 1:row.f_max] = row.segment
    out = scores.copy()
    names = lookup[scores["R"].to_numpy() - 1, scores["F"].to_numpy() - 1]
    out["segment"] = pd.Categorical(names, categories=list(dict.fromkeys(table["segment"])), ordered=True)
    return out




# --- weights: how much each of R, F, M (and T) counts --------------------------------------------------

def _score_letters(scores: pd.DataFrame) -> list[str]:
    letters = [k for k in ("R", "F", "M", "T") if k in scores.columns]
    if letters[:3] != ["R", "F", "M"]:
        raise ValueError(f"`scores` must have the columns R, F and M of rfm_scores (and T for RFMT); "
                         f"it has {list(scores.columns)}.")
    return letters


def rfm_weight_vector(weights: Mapping[str, float] | Sequence[float] | None = None, *, tenure: bool = True,
                      name: str = "weights") -> pd.Series:
    """Weights of the R, F, M (and T) scores, checked and rescaled to sum to 1.

    Parameters
    ----------
    weights : dict, sequence or None, default=None
        One non-negative weight per score, e.g. ``{"R": 2, "F": 1, "M": 1, "T": 0}``, or a
        sequence in the order R, F, M(, T); None gives equal weights.
    tenure : bool, default=True
        Whether T is scored too (RFMT) and so needs a weight.
    name : str, default="weights"
        The argument's (or notebook parameter's) name, for the error messages.

    Returns
    -------
    Series
        Indexed by score letter, summing to 1.

    Raises
    ------
    TypeError, ValueError
        Another type, not one weight per score, a negative or non-finite weight, all 0.

    See Also
    --------
    weighted_rfm_score

    Examples
    --------
    >>> rfm_weight_vector({"R": 2, "F": 1, "M": 1, "T": 0}).tolist()
    [0.5, 0.25, 0.25, 0.0]
    >>> rfm_weight_vector(None, tenure=False).round(3).tolist()
    [0.333, 0.333, 0.333]
    """
    import numbers
    from collections.abc import Mapping

    letters = ["R", "F", "M", "T"] if tenure else ["R", "F", "M"]
    if weights is None:
        return pd.Series(1.0 / len(letters), index=letters)
    if isinstance(weights, Mapping):
        unknown = sorted(set(weights) - set(letters))
        missing = [k for k in letters if k not in weights]
        if unknown or missing:
            raise ValueError(f"`{name}` must give one weight to each of {letters}; "
                             + (f"unknown {unknown}" if unknown else "") + ("; " if unknown and missing else "")
                             + (f"missing {missing}" if missing else "") + ".")
        values = [weights[k] for k in letters]
    elif isinstance(weights, (list, tuple, np.ndarray, pd.Series)):
        if len(weights) != len(letters):
            raise ValueError(f"`{name}` must have {len(letters)} values, one for each of {letters}; "
                             f"got {len(weights)}.")
        values = list(weights)
    else:
        raise TypeError(f"`{name}` must be None, a dict such as {{'R': 2, 'F': 1, 'M': 1}} or a list of numbers; "
                        f"got {type(weights).__name__}.")
    for k, v in zip(letters, values):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v) or v < 0:
            raise ValueError(f"`{name}`: the weight of {k} must be a finite number >= 0; got {v!r}.")
    total = float(sum(values))
    if total == 0:
        raise ValueError(f"`{name}` are all 0; at least one score must count.")
    return pd.Series([float(v) / total for v in values], index=letters)


def weighted_rfm_score(scores: pd.DataFrame, *, weights: Mapping[str, float] | Sequence[float] | None = None) -> pd.Series:
    """One number per customer from the R, F, M (and T) scores: their weighted mean.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`rfm_scores` (``R``, ``F``, ``M`` and, for RFMT, ``T``).
    weights : dict, sequence or None, default=None
        How much each score counts, e.g. ``{"R": 2, "F": 1, "M": 1}`` (rescaled to sum to 1);
        a sequence gives them in the order R, F, M(, T). None: equal weights, the same ranking
        as ``rfm_sum``.

    Returns
    -------
    Series
        ``rfm_weighted``, between 1 and ``q``, indexed like ``scores``.

    Raises
    ------
    TypeError, ValueError
        Scores without R, F and M; weights of another type, not one per score, negative,
        not finite or all 0.

    See Also
    --------
    rfm_weight_vector : the weights, checked and rescaled.
    rfm_weights : weights from what predicted later value.
    ranking_change : how much a change of weights reorders the customers.

    Notes
    -----
    .. math:: s_i = \\sum_k w_k\\, \\text{score}_{ik} \\Big/ \\sum_k w_k

    Equal weights rank customers as the plain sum of the scores does. Firms choose the
    weights by judgement (e.g. recency first, for a business where lapsing is the risk) or
    from data: the weights that best predict the next period's value (:func:`rfm_weights`).

    Examples
    --------
    >>> scores = pd.DataFrame({"R": [5, 1], "F": [1, 5], "M": [1, 3]}, index=[1, 2])
    >>> weighted_rfm_score(scores).round(3).tolist()
    [2.333, 3.0]
    >>> weighted_rfm_score(scores, weights={"R": 3, "F": 1, "M": 1}).round(3).tolist()
    [3.4, 2.2]
    """
    check_frame("scores", scores, ["R", "F", "M"])
    letters = _score_letters(scores)
    w = rfm_weight_vector(weights, tenure="T" in letters)
    out = scores[letters].astype(float).to_numpy() @ w.to_numpy()
    return pd.Series(out, index=scores.index, name="rfm_weighted")


@dataclass(frozen=True, repr=False)
class RFMWeights(Result):
    """Weights of the R, F, M (and T) scores that best predicted later value.

    Attributes
    ----------
    weights : Series
        Non-negative, summing to 1, indexed by score letter.
    coef : Series
        The non-negative least-squares slopes (value units per score point).
    r2 : float
        Share of the variance of the later value explained by the weighted score (in sample).
    r2_equal : float
        The same with equal weights.
    n : int
        Customers in the fit.
    ci_low, ci_high : Series or None
        Percentile bootstrap interval of each weight (customers resampled with replacement,
        the weights refitted), or None when ``n_boot=0``.
    ci : float
        Confidence level of ``ci_low``/``ci_high``.
    n_boot : int
        Bootstrap resamples behind the interval (0: none).

    Examples
    --------
    >>> scores = pd.DataFrame({"R": [1, 2, 3, 4, 5, 1], "F": [1, 1, 2, 2, 3, 3], "M": [2, 1, 2, 1, 2, 1]})
    >>> later = 10.0 * scores["R"] + 1.0
    >>> rfm_weights(scores, later).weights.round(3).tolist()
    [1.0, 0.0, 0.0]
    """

    weights: pd.Series
    coef: pd.Series
    r2: float
    r2_equal: float
    n: int
    ci_low: pd.Series | None = None
    ci_high: pd.Series | None = None
    ci: float = 0.95
    n_boot: int = 0

    def to_frame(self) -> pd.DataFrame:
        """``weight`` and ``coef`` per score letter, with ``ci_low``/``ci_high`` when bootstrapped.

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> scores = pd.DataFrame({"R": [1, 2, 3, 4], "F": [1, 2, 1, 2], "M": [2, 2, 1, 1]})
        >>> rfm_weights(scores, pd.Series([1.0, 2.0, 3.0, 4.0])).to_frame().columns.tolist()
        ['weight', 'coef']
        """
        out = pd.DataFrame({"weight": self.weights, "coef": self.coef})
        if self.ci_low is not None:
            out = out.assign(ci_low=self.ci_low, ci_high=self.ci_high)
        return out


def _r2(x: np.ndarray, y: np.ndarray) -> float:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1] ** 2)


def _nnls_weights(S: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative slopes of ``y`` on the columns of ``S`` (both centred), or all-zero."""
    from scipy.optimize import nnls

    beta, _ = nnls(S - S.mean(axis=0), y - y.mean())
    return beta


def rfm_weights(scores: pd.DataFrame, later_value: pd.Series, *, n_boot: int = 0, ci: float = 0.95,
                rng: int | np.random.Generator | None = DEFAULT_RNG) -> RFMWeights:
    """Weights for the R, F, M (and T) scores from what predicted each customer's later value.

    Score customers on an earlier date, measure what each brought afterwards (e.g. spend or
    margin in the following year), and regress that later value on the scores with slopes
    held at 0 or above; the slopes, rescaled to sum to 1, are the weights.

    Parameters
    ----------
    scores : DataFrame
        :func:`rfm_scores` on the earlier date, indexed by customer.
    later_value : Series
        Each customer's value after that date, indexed by customer (0 for those who did not
        buy); customers of ``scores`` missing from it count as 0.
    n_boot : int, default=0
        Bootstrap resamples of the customers for an interval of each weight (0: no interval;
        a few hundred give stable 95% ends).
    ci : float, default=0.95
        Confidence level of the bootstrap interval.
    rng : int, Generator or None, default=0
        Seed of the resampling.

    Returns
    -------
    RFMWeights
        ``weights`` (summing to 1), the slopes ``coef``, the in-sample ``r2`` against the
        equal weights' ``r2_equal``, ``n``, and with ``n_boot`` the percentile interval
        ``ci_low``/``ci_high`` of each weight.

    Raises
    ------
    TypeError, ValueError
        Scores without R, F and M; a ``later_value`` that is not a numeric Series or has
        missing or infinite values; fewer than 3 customers; no score that predicts a higher
        later value (every slope 0).

    See Also
    --------
    weighted_rfm_score, ranking_change

    Notes
    -----
    Non-negative least squares (scipy's ``nnls``, Lawson & Hanson 1974) on centred data:

    .. math:: \\min_{\\beta \\ge 0} \\lVert (y - \\bar y) - (S - \\bar S)\\beta \\rVert^2, \\qquad
              w_k = \\beta_k / \\sum_j \\beta_j

    A slope is kept at 0 rather than negative: a score that predicts *less* value would
    reward the wrong customers. So a weight of 0 does not mean the score is irrelevant: when
    scores are correlated (frequent buyers are also recent and spend more), a score whose
    information the others already carry gets 0, and a bootstrap interval reaching well above
    0 shows how easily it could have taken some of their weight. The weights predict the value
    of the period they were fitted on; markets change, so refit them and check them on a later
    period.

    References
    ----------
    Lawson, C. L. & Hanson, R. J. (1974). Solving Least Squares Problems. Prentice-Hall, ch. 23.

    Examples
    --------
    >>> scores = pd.DataFrame({"R": [1, 2, 3, 4, 5, 1], "F": [1, 1, 2, 2, 3, 3], "M": [2, 1, 2, 1, 2, 1]})
    >>> later = 3.0 * scores["R"] + 1.0 * scores["F"]
    >>> rfm_weights(scores, later).weights.round(3).tolist()
    [0.75, 0.25, 0.0]
    """
    check_frame("scores", scores, ["R", "F", "M"])
    n_boot = check_int("n_boot", n_boot, 0, 100_000)
    ci = check_ci(ci)
    letters = _score_letters(scores)
    if not isinstance(later_value, pd.Series):
        raise TypeError(f"`later_value` must be a pandas Series indexed by customer; got {type(later_value).__name__}.")
    if not pd.api.types.is_numeric_dtype(later_value) or pd.api.types.is_bool_dtype(later_value):
        raise ValueError(f"`later_value` must hold numbers; got {later_value.dtype}.")
    y = later_value.astype(float).reindex(scores.index).fillna(0.0).to_numpy()
    if not np.isfinite(later_value.astype(float)).all():
        raise ValueError("`later_value` has missing or infinite values; give 0 to customers who brought nothing.")
    if len(y) < 3:
        raise ValueError(f"`scores` has {len(y)} customers; the weights need at least 3.")
    S = scores[letters].astype(float).to_numpy()
    beta = _nnls_weights(S, y)
    if beta.sum() <= 0:
        raise ValueError("no score predicts a higher later value (every non-negative slope is 0); the weights are "
                         "undefined: keep equal weights or choose them by judgement.")
    w = pd.Series(beta / beta.sum(), index=letters)
    low = high = None
    if n_boot:
        rng = as_rng(rng)
        draws = []
        for _ in range(n_boot):
            idx = rng.integers(0, len(y), len(y))
            b = _nnls_weights(S[idx], y[idx])
            draws.append(b / b.sum() if b.sum() > 0 else np.full(len(letters), np.nan))
        draws = np.asarray(draws)
        tail = 100 * (1 - ci) / 2
        low = pd.Series(np.nanpercentile(draws, tail, axis=0), index=letters)
        high = pd.Series(np.nanpercentile(draws, 100 - tail, axis=0), index=letters)
    return RFMWeights(weights=w, coef=pd.Series(beta, index=letters), r2=_r2(S @ w.to_numpy(), y),
                      r2_equal=_r2(S.mean(axis=1), y), n=len(y), ci_low=low, ci_high=high, ci=ci, n_boot=n_boot)


@dataclass(frozen=True, repr=False)
class RankingChange(Result):
    """How much two scores of the same customers disagree on their order.

    Attributes
    ----------
    spearman : float
        Spearman's rank correlation of the two scores (1: the same order).
    top_overlap : float
        Share of the top ``top_share`` by the first score who are also in the top by the
        second.
    n_top : int
        Customers in each top group.
    top_share : float
    n : int

    Examples
    --------
    >>> a = pd.Series([5.0, 4.0, 3.0, 2.0, 1.0])
    >>> ranking_change(a, -a, top_share=0.4).top_overlap
    0.0
    """

    spearman: float
    top_overlap: float
    n_top: int
    top_share: float
    n: int


def ranking_change(score_a: pd.Series, score_b: pd.Series, *, top_share: float = 0.2) -> RankingChange:
    """How much a second score reorders customers: rank correlation and overlap of the top group.

    Parameters
    ----------
    score_a, score_b : Series
        Two scores of the same customers (same index), higher is better, e.g.
        :func:`weighted_rfm_score` with equal and with chosen weights.
    top_share : float, default=0.2
        The top group's share of the customers (e.g. the 20% a campaign targets).

    Returns
    -------
    RankingChange
        ``spearman``, ``top_overlap``, ``n_top``, ``top_share``, ``n``.

    Raises
    ------
    TypeError, ValueError
        Not Series, different customers, missing values, ``top_share`` outside (0, 1].

    See Also
    --------
    weighted_rfm_score

    Notes
    -----
    The top group holds ``round(top_share * n)`` customers (at least 1). Scores made of a few
    whole-number scores tie often; ties are broken by the customer index, the same way for
    both scores, so the overlap does not depend on row order.

    Examples
    --------
    >>> a = pd.Series([5.0, 4.0, 3.0, 2.0, 1.0], index=list("abcde"))
    >>> b = pd.Series([4.0, 5.0, 1.0, 2.0, 3.0], index=list("abcde"))
    >>> r = ranking_change(a, b, top_share=0.4)
    >>> round(r.spearman, 2), r.top_overlap
    (0.5, 1.0)
    """
    from scipy import stats

    from .._validation import check_number

    for name, s in (("score_a", score_a), ("score_b", score_b)):
        if not isinstance(s, pd.Series):
            raise TypeError(f"`{name}` must be a pandas Series indexed by customer; got {type(s).__name__}.")
        if s.isna().any():
            raise ValueError(f"`{name}` has {int(s.isna().sum())} missing values.")
    if not score_a.index.sort_values().equals(score_b.index.sort_values()) or score_a.index.has_duplicates:
        raise ValueError("`score_a` and `score_b` must score the same customers, once each (the same index).")
    top_share = check_number("top_share", top_share, 0.0, 1.0)
    if top_share == 0:
        raise ValueError("`top_share` must be above 0.")
    a = score_a.sort_index().astype(float)
    b = score_b.reindex(a.index).astype(float)
    n = len(a)
    n_top = max(1, int(round(top_share * n)))
    order = np.arange(n)                       # tie-break: the sorted customer index

    def _top(s):
        return set(np.lexsort((order, -s.to_numpy()))[:n_top])

    rho = float(stats.spearmanr(a, b).statistic) if n > 1 else float("nan")
    return RankingChange(spearman=rho, top_overlap=len(_top(a) & _top(b)) / n_top, n_top=n_top,
                         top_share=top_share, n=n)


def value_by_score_group(score: pd.Series, value: pd.Series, *, n_groups: int = 10) -> pd.DataFrame:
    """Customers cut into equal groups by a score, with the mean later value in each group.

    A rank correlation of 0.25 is weak for one customer, yet the groups a score makes can still
    differ a lot; this table is what a campaign that targets the top group gets.

    Parameters
    ----------
    score : Series
        The score, indexed by customer (higher = better).
    value : Series
        The value to average (e.g. the true or realised spend of a later period), indexed by
        customer; customers of ``score`` missing from it count as 0.
    n_groups : int, default=10
        How many groups of equal size (ties broken by order of appearance).

    Returns
    -------
    DataFrame
        Indexed by ``group`` (1 = the highest scores): ``customers``, ``mean_value``,
        ``share_value`` (of the total value) and ``index`` (``mean_value`` over the mean of all
        customers; 1 = average).

    Raises
    ------
    TypeError, ValueError
        ``score`` or ``value`` not a numeric Series, missing values in ``score``, fewer
        customers than groups.

    Examples
    --------
    >>> s = pd.Series([4.0, 3.0, 2.0, 1.0])
    >>> value_by_score_group(s, pd.Series([10.0, 6.0, 3.0, 1.0]), n_groups=2)["mean_value"].tolist()
    [8.0, 2.0]
    """
    n_groups = check_int("n_groups", n_groups, 2, 1000)
    for name, x in (("score", score), ("value", value)):
        if not isinstance(x, pd.Series):
            raise TypeError(f"`{name}` must be a pandas Series indexed by customer; got {type(x).__name__}.")
        if not pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x):
            raise ValueError(f"`{name}` must hold numbers; got {x.dtype}.")
    if score.isna().any():
        raise ValueError(f"`score` has {int(score.isna().sum())} missing values.")
    if len(score) < n_groups:
        raise ValueError(f"`score` has {len(score)} customers, fewer than `n_groups` = {n_groups}.")
    v = value.astype(float).reindex(score.index).fillna(0.0)
    rank = score.rank(ascending=False, method="first")
    group = np.ceil(rank * n_groups / len(score)).astype(int).rename("group")
    out = v.groupby(group).agg(customers="size", mean_value="mean", total="sum")
    overall = v.mean()
    out["share_value"] = out.pop("total") / v.sum() if v.sum() != 0 else np.nan
    out["index"] = out["mean_value"] / overall if overall != 0 else np.nan
    return out
