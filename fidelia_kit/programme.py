"""The loyalty programme's economics: points (earned, redeemed, outstanding, breakage, cost) and card tiers.

Fidelia's card gives one point per whole euro paid; points are cashed in blocks of 500 at
0.01 EUR each, so a redeemed point is a cost and an outstanding point a liability. The card's
tier (basic, silver, gold) is set at each purchase by the customer's spend in the 365 days
before it. This module keeps the ledger, follows the tiers over time, finds who is close to
the next tier and what moving them up is worth, and estimates the effect of reaching a tier
with a regression discontinuity at the threshold (beside the naive comparison, which is biased).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._results import Result
from ._validation import as_amounts, as_date, as_dates, check_ci, check_frame, check_number, check_option, ci_z
from .schema import CARD_TIER_THRESHOLDS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._typing import DateLike

__all__ = [
    "TIERS",
    "PointsSummary",
    "TierEffect",
    "RD_OUTCOMES",
    "points_ledger",
    "points_summary",
    "trailing_spend_at",
    "tier_history",
    "tier_migration",
    "TierRetention",
    "tier_retention",
    "tier_margin_uplift",
    "effects_from_jumps",
    "rd_stability",
    "next_tier_gap",
    "upgrade_value",
    "tier_effect_rd",
    "rd_bins",
]

#: Card tiers and the spend (EUR, in the 365 days before) from which each holds.
TIERS = dict(CARD_TIER_THRESHOLDS)
POINT_VALUE = 0.01


def _transactions(transactions, *, customer_col, date_col, cols=(), signed=()) -> pd.DataFrame:
    """The columns the module needs; ``signed`` ones (e.g. a gross margin) may be negative."""
    check_frame("transactions", transactions, [customer_col, date_col, *cols, *signed])
    out = pd.DataFrame({"customer": transactions[customer_col].to_numpy(),
                        "date": as_dates("transactions", date_col, transactions[date_col]).to_numpy()})
    for c in (*cols, *signed):
        out[c] = as_amounts("transactions", c, transactions[c], allow_negative=c in signed).to_numpy()
    return out


def _check_tiers(tiers) -> dict:
    if not isinstance(tiers, dict) or len(tiers) < 2:
        raise TypeError(f"`tiers` must be a dict of at least two tier names to thresholds (EUR); got {tiers!r}.")
    values = list(tiers.values())
    if values[0] != 0 or any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"`tiers` must start at 0 and rise strictly (e.g. {TIERS}); got {tiers!r}.")
    return tiers


def _tier_of(spend: np.ndarray, tiers: dict) -> np.ndarray:
    names = np.array(list(tiers))
    return names[np.searchsorted(np.array(list(tiers.values()), dtype=float), spend, side="right") - 1]


def points_ledger(transactions: pd.DataFrame, *, as_of: DateLike | None = None, point_value: float = POINT_VALUE,
                  customer_col: str = "customer_id", date_col: str = "date") -> pd.DataFrame:
    """Each customer's points: earned, redeemed and outstanding before ``as_of``, and the liability in EUR.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase with ``customer_col``, ``date_col``, ``points_earned`` and
        ``points_redeemed``.
    as_of : date-like, optional
        First day not counted (exclusive). Default: every row.
    point_value : float, default=0.01
        What a redeemed point costs the firm, EUR.
    customer_col, date_col : str
        Column names.

    Returns
    -------
    DataFrame
        Indexed by customer: ``points_earned``, ``points_redeemed``, ``points_outstanding``
        (earned - redeemed) and ``liability`` (outstanding x ``point_value``, EUR: what the
        firm owes if every outstanding point is cashed).

    Raises
    ------
    TypeError
        ``transactions`` is not a DataFrame.
    ValueError
        A column is missing or not numeric, ``as_of`` is not a date, or ``point_value`` is negative.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": ["2024-01-05", "2024-03-01", "2024-02-01"],
    ...                    "points_earned": [600, 30, 40], "points_redeemed": [0, 500, 0]})
    >>> points_ledger(tx)
                 points_earned  points_redeemed  points_outstanding  liability
    customer_id
    1                      630              500                 130        1.3
    2                       40                0                  40        0.4
    """
    check_number("point_value", point_value, 0, 1e6)
    tx = _transactions(transactions, customer_col=customer_col, date_col=date_col,
                       cols=("points_earned", "points_redeemed"))
    if as_of is not None:
        tx = tx[tx["date"] < as_date("as_of", as_of)]
    g = tx.groupby("customer")[["points_earned", "points_redeemed"]].sum().astype(np.int64)
    g["points_outstanding"] = g["points_earned"] - g["points_redeemed"]
    g["liability"] = g["points_outstanding"] * point_value
    g.index.name = customer_col
    return g


@dataclass(frozen=True, repr=False)
class PointsSummary(Result):
    """The programme's points in one row: flows, stock, breakage and cost per euro of sales.

    Attributes
    ----------
    sales : float
        EUR paid in the period.
    points_earned, points_redeemed, points_outstanding : int
        Points earned and redeemed in the period; outstanding at its end.
    redemption_cost : float
        Points redeemed x point value, EUR: what the programme cost in rewards.
    cost_per_euro : float
        ``redemption_cost / sales``: reward cost per euro of sales.
    liability : float
        Outstanding points x point value, EUR, if every point were cashed.
    breakage : float
        Estimated share of points never redeemed (from the customers who stopped buying).
    expected_liability : float
        The outstanding points of the customers still active (not lapsed) x point value, EUR:
        what the firm can expect to pay, assuming active holders cash their whole balance and
        lapsed holders none of theirs.
    n_lapsed : int
        Customers behind the breakage estimate.
    lapsed_liability : float
        The outstanding points of the lapsed customers x point value, EUR (``liability -
        expected_liability``): the part assumed never to be cashed.
    margin : float
        Gross margin of the period's sales, EUR (NaN without a margin column).
    cost_per_margin : float
        ``redemption_cost / margin``: reward cost per euro of gross margin.
    accrued_cost : float
        ``redemption_cost + expected_liability``, EUR: the points earned in the period that are
        redeemed or expected to be (the promise net of the lapsed holders' balances).
    accrued_per_euro, accrued_per_margin : float
        ``accrued_cost`` per euro of sales and per euro of gross margin.

    Examples
    --------
    >>> s = PointsSummary(1000.0, 1000, 500, 500, 5.0, 0.005, 5.0, 0.4, 3.0, 12)
    >>> s.liability - s.expected_liability
    2.0
    """

    sales: float
    points_earned: int
    points_redeemed: int
    points_outstanding: int
    redemption_cost: float
    cost_per_euro: float
    liability: float
    breakage: float
    expected_liability: float
    n_lapsed: int
    lapsed_liability: float = float("nan")
    margin: float = float("nan")
    cost_per_margin: float = float("nan")
    accrued_cost: float = float("nan")
    accrued_per_euro: float = float("nan")
    accrued_per_margin: float = float("nan")


def points_summary(transactions: pd.DataFrame, *, as_of: DateLike | None = None, lapsed_days: int = 365,
                   point_value: float = POINT_VALUE, customer_col: str = "customer_id",
                   date_col: str = "date", value_col: str = "amount",
                   margin_col: str | None = None) -> PointsSummary:
    """Points earned, redeemed and outstanding, the liability, breakage and the cost per euro of sales.

    Breakage is the share of points that will never be redeemed. Customers who have stopped
    buying will not cash their balance, so it is estimated from the customers who made no
    purchase in the ``lapsed_days`` days before ``as_of`` (and bought before): the share of the
    points they earned that they never redeemed. Breakage measured on lapsed customers says
    nothing about the balances of active customers, who keep buying and redeeming: the expected
    liability is therefore the balance of the active holders (assumed cashed in full), and the
    lapsed holders' balance is assumed never cashed. Two cost views are given: the points
    redeemed in the period, and the points earned (the promise) net of breakage, each per euro
    of sales and, with ``margin_col``, per euro of gross margin; the promise counts the points
    redeemed and those the active holders are expected to redeem.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase with ``customer_col``, ``date_col``, ``value_col``, ``points_earned``
        and ``points_redeemed``.
    as_of : date-like, optional
        First day not counted (exclusive). Default: the day after the last purchase.
    lapsed_days : int, default=365
        Days without a purchase after which a customer counts as lapsed.
    point_value : float, default=0.01
        EUR per redeemed point.
    customer_col, date_col, value_col : str
        Column names.
    margin_col : str, optional
        Column of each purchase's gross margin (EUR), e.g. ``"gross_margin"``; without it the
        per-margin costs are NaN.

    Returns
    -------
    PointsSummary

    Raises
    ------
    TypeError
        ``transactions`` is not a DataFrame.
    ValueError
        A column is missing, ``lapsed_days`` is not positive, or no customer has lapsed (no breakage to estimate).

    Notes
    -----
    .. math:: \\text{breakage} = 1 - \\frac{\\sum_{i \\in L} R_i}{\\sum_{i \\in L} E_i},
       \\quad \\text{cost per euro} = \\frac{v \\sum R}{\\sum \\text{sales}}

    with :math:`L` the lapsed customers, :math:`E, R` points earned and redeemed and :math:`v`
    the value of a point. The accrued cost is :math:`v \\sum R` plus the expected liability
    :math:`v \\sum_{i \\notin L} (E_i - R_i)`: breakage measured on the lapsed is not applied to
    the active customers' points. Lapsing is a proxy of leaving: a lapsed customer who comes back can
    still redeem, so the estimate leans high when ``lapsed_days`` is short.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 2], "date": ["2023-01-05", "2023-03-01", "2024-02-01", "2024-06-01"],
    ...                    "amount": [600.0, 30.0, 40.0, 60.0], "points_earned": [600, 30, 40, 60],
    ...                    "points_redeemed": [0, 500, 0, 0]})
    >>> s = points_summary(tx, as_of="2024-07-01")
    >>> round(s.breakage, 4), round(s.cost_per_euro, 4), round(s.liability, 2)
    (0.2063, 0.0068, 2.3)
    >>> round(s.expected_liability, 2), round(s.lapsed_liability, 2)   # customer 2 is active, 1 lapsed
    (1.0, 1.3)
    """
    check_number("lapsed_days", lapsed_days, 1, 100 * 366)
    tx = _transactions(transactions, customer_col=customer_col, date_col=date_col,
                       cols=(value_col, "points_earned", "points_redeemed"), signed=(margin_col,) if margin_col else ())
    as_of = tx["date"].max() + pd.Timedelta(days=1) if as_of is None else as_date("as_of", as_of)
    tx = tx[tx["date"] < as_of]
    g = tx.groupby("customer").agg(last=("date", "max"), earned=("points_earned", "sum"),
                                   redeemed=("points_redeemed", "sum"))
    is_lapsed = g["last"] < as_of - pd.Timedelta(days=lapsed_days)
    lapsed = g[is_lapsed]
    if len(lapsed) == 0 or lapsed["earned"].sum() == 0:
        raise ValueError(f"No customer has lapsed (no purchase in the {lapsed_days} days before as_of "
                         f"{as_of.date()}), so breakage cannot be estimated; use a later `as_of` or fewer `lapsed_days`.")
    breakage = 1 - lapsed["redeemed"].sum() / lapsed["earned"].sum()
    earned, redeemed = int(g["earned"].sum()), int(g["redeemed"].sum())
    sales = float(tx[value_col].sum())
    liability = (earned - redeemed) * point_value
    lapsed_liability = float((lapsed["earned"] - lapsed["redeemed"]).sum() * point_value)
    margin = float(tx[margin_col].sum()) if margin_col else float("nan")
    accrued = redeemed * point_value + liability - lapsed_liability
    per = lambda cost, base: cost / base if base > 0 else float("nan")  # noqa: E731
    return PointsSummary(sales=sales, points_earned=earned, points_redeemed=redeemed,
                         points_outstanding=earned - redeemed, redemption_cost=redeemed * point_value,
                         cost_per_euro=per(redeemed * point_value, sales),
                         liability=liability, breakage=float(breakage),
                         expected_liability=liability - lapsed_liability, n_lapsed=len(lapsed),
                         lapsed_liability=lapsed_liability, margin=margin,
                         cost_per_margin=per(redeemed * point_value, margin), accrued_cost=accrued,
                         accrued_per_euro=per(accrued, sales), accrued_per_margin=per(accrued, margin))


def trailing_spend_at(transactions: pd.DataFrame, dates: DateLike | Sequence[DateLike], *, days: int = 365, customer_col: str = "customer_id",
                      date_col: str = "date", value_col: str = "amount") -> pd.DataFrame:
    """Each customer's spend in the ``days`` days before each date (date - days .. date - 1).

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase.
    dates : date-like or list of them
        The dates at which to measure (exclusive: a purchase on the date does not count).
    days : int, default=365
        Length of the trailing window.
    customer_col, date_col, value_col : str
        Column names.

    Returns
    -------
    DataFrame
        Long: ``customer_col``, ``date``, ``spend`` (EUR) for every customer who bought
        before the date (0 when nothing fell in the window).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": ["2023-03-01", "2024-03-01", "2024-05-01"],
    ...                    "amount": [100.0, 50.0, 70.0]})
    >>> trailing_spend_at(tx, ["2024-04-01", "2024-07-01"])
       customer_id       date  spend
    0            1 2024-04-01   50.0
    1            1 2024-07-01   50.0
    2            2 2024-07-01   70.0
    """
    check_number("days", days, 1, 100 * 366)
    tx = _transactions(transactions, customer_col=customer_col, date_col=date_col, cols=(value_col,))
    dates = [as_date("dates", d) for d in np.atleast_1d(np.asarray(dates, dtype=object))]
    parts = []
    for d in dates:
        before = tx[tx["date"] < d]
        recent = before[before["date"] >= d - pd.Timedelta(days=days)]
        spend = recent.groupby("customer")[value_col].sum().reindex(before["customer"].unique(), fill_value=0.0)
        parts.append(pd.DataFrame({customer_col: spend.index, "date": d, "spend": spend.to_numpy()}))
    return pd.concat(parts, ignore_index=True).sort_values([customer_col, "date"], ignore_index=True)


def tier_history(transactions: pd.DataFrame, *, start: DateLike | None = None, end: DateLike | None = None,
                 freq: str = "QS", tiers: dict | None = None, customer_col: str = "customer_id",
                 date_col: str = "date", value_col: str = "amount") -> pd.DataFrame:
    """Each customer's card tier at each period start, from their spend in the 365 days before it.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase.
    start, end : date-like, optional
        First and last dates to measure (period starts between them). Default: the first
        period start after the first purchase and the day after the last purchase.
    freq : str, default="QS"
        pandas frequency of the dates ("QS" quarter starts, "MS" month starts).
    tiers : dict, optional
        Tier name to threshold in EUR, rising from 0; default :data:`TIERS`.
    customer_col, date_col, value_col : str
        Column names.

    Returns
    -------
    DataFrame
        Long: ``customer_col``, ``date``, ``spend`` (EUR in the 365 days before), ``tier``
        (an ordered categorical), for customers who bought before the date.

    Raises
    ------
    ValueError
        Bad ``tiers`` or no date between ``start`` and ``end``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1], "date": ["2024-01-10", "2024-02-10", "2024-05-10"],
    ...                    "amount": [300.0, 200.0, 900.0]})
    >>> tier_history(tx, end="2024-07-01")[["date", "spend", "tier"]]
            date   spend    tier
    0 2024-04-01   500.0  silver
    1 2024-07-01  1400.0    gold
    """
    tiers = _check_tiers(TIERS if tiers is None else tiers)
    tx = _transactions(transactions, customer_col=customer_col, date_col=date_col, cols=(value_col,))
    first = tx["date"].min() + pd.Timedelta(days=1)
    start = first if start is None else as_date("start", start)
    end = tx["date"].max() + pd.Timedelta(days=1) if end is None else as_date("end", end)
    dates = pd.date_range(start, end, freq=freq)
    if len(dates) == 0:
        raise ValueError(f"No {freq!r} date between `start` {start.date()} and `end` {end.date()}.")
    out = trailing_spend_at(transactions, list(dates), customer_col=customer_col, date_col=date_col,
                            value_col=value_col)
    out["tier"] = pd.Categorical(_tier_of(out["spend"].to_numpy(), tiers), categories=list(tiers), ordered=True)
    return out


def tier_migration(history: pd.DataFrame, *, start: DateLike, end: DateLike,
                   customer_col: str = "customer_id") -> pd.DataFrame:
    """Counts of customers by tier at ``start`` (rows) and at ``end`` (columns).

    Customers who had not bought yet at ``start`` are the row ``new``; the counts add up to
    the customers in the history at ``end``.

    Parameters
    ----------
    history : DataFrame
        From :func:`tier_history`.
    start, end : date-like
        Two dates of the history.
    customer_col : str
        Column name.

    Returns
    -------
    DataFrame
        Counts (int), rows tiers at ``start`` plus ``new``, columns tiers at ``end``.

    Raises
    ------
    ValueError
        A date is not in the history, or ``end`` is not after ``start``.

    Examples
    --------
    >>> h = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3], "tier": ["basic", "silver", "silver", "silver", "gold"],
    ...                   "date": pd.to_datetime(["2024-01-01", "2024-04-01"] * 2 + ["2024-04-01"])})
    >>> tier_migration(h, start="2024-01-01", end="2024-04-01")
    end     basic  silver  gold
    start
    basic       0       1     0
    silver      0       1     0
    gold        0       0     0
    new         0       0     1
    """
    check_frame("history", history, [customer_col, "date", "tier"])
    start, end = as_date("start", start), as_date("end", end)
    if end <= start:
        raise ValueError(f"`end` ({end.date()}) must be after `start` ({start.date()}).")
    dates = set(pd.to_datetime(history["date"]))
    for name, d in (("start", start), ("end", end)):
        if d not in dates:
            raise ValueError(f"`{name}` {d.date()} is not a date of the history; it has {len(dates)} dates "
                             f"from {min(dates).date()} to {max(dates).date()}.")
    tiers = list(history["tier"].cat.categories) if isinstance(history["tier"].dtype, pd.CategoricalDtype) \
        else list(dict.fromkeys(TIERS))
    at = {d: history[pd.to_datetime(history["date"]) == d].set_index(customer_col)["tier"].astype(str) for d in (start, end)}
    before = at[start].reindex(at[end].index).fillna("new")
    table = pd.crosstab(pd.Categorical(before, categories=[*tiers, "new"]),
                        pd.Categorical(at[end], categories=tiers), dropna=False)
    table.index.name, table.columns.name = "start", "end"
    return table.astype(np.int64)


@dataclass(frozen=True, repr=False)
class TierRetention(Result):
    """Of the customers silver or better at ``start``, the share still silver or better at ``end``.

    Attributes
    ----------
    start, end : Timestamp
        The two dates compared.
    n : int
        Customers above the first tier at ``start``.
    n_held : int
        Of them, those still above it at ``end``.
    share : float
        ``n_held / n`` (NaN when ``n`` is 0).
    ci : tuple of float
        Wilson interval of ``share``.
    level : float
        Confidence level of ``ci``.

    Examples
    --------
    >>> r = TierRetention(pd.Timestamp("2025-01-01"), pd.Timestamp("2026-01-01"), 10, 4, 0.4, (0.17, 0.69), 0.95)
    >>> r.share == r.n_held / r.n
    True
    """

    start: pd.Timestamp
    end: pd.Timestamp
    n: int
    n_held: int
    share: float
    ci: tuple[float, float]
    level: float


def tier_retention(history: pd.DataFrame, *, start: DateLike, months: int = 12, ci: float = 0.95,
                   customer_col: str = "customer_id") -> TierRetention:
    """How many customers above the first tier at ``start`` still are ``months`` months later.

    Parameters
    ----------
    history : DataFrame
        :func:`tier_history`'s output; it must hold both ``start`` and ``start + months``.
    start : date-like
        The first date; for an honest tier it needs a full 365-day look-back in the data.
    months : int, default=12
        The span: the second date is ``start`` plus this many months.
    ci : float, default=0.95
        Confidence level of the Wilson interval.
    customer_col : str
        Column name.

    Returns
    -------
    TierRetention

    Raises
    ------
    ValueError
        A column is missing, or ``start`` or the date ``months`` later is not in ``history``.

    Notes
    -----
    Each customer counts once, so the Wilson interval for a binomial share applies (Wilson, 1927,
    JASA 22, 209-212).

    Examples
    --------
    >>> h = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 3],
    ...                   "date": pd.to_datetime(["2025-01-01", "2026-01-01"] * 3),
    ...                   "tier": ["silver", "gold", "gold", "basic", "basic", "silver"]})
    >>> r = tier_retention(h, start="2025-01-01")
    >>> r.n, r.n_held, r.share
    (2, 1, 0.5)
    """
    from statsmodels.stats.proportion import proportion_confint

    check_frame("history", history, [customer_col, "date", "tier"])
    check_number("months", months, 1, 1200)
    level = check_ci(ci)
    start = as_date("start", start)
    end = start + pd.DateOffset(months=int(months))
    dates = pd.to_datetime(history["date"])
    for name, d in (("start", start), (f"start + {months} months", end)):
        if not (dates == d).any():
            raise ValueError(f"`history` has no date {d.date()} ({name}); its dates run from "
                             f"{dates.min().date()} to {dates.max().date()}.")
    base = str(pd.Categorical(history["tier"]).categories[0]) if isinstance(history["tier"].dtype, pd.CategoricalDtype) \
        else "basic"
    above = lambda d: set(history.loc[(dates == d) & (history["tier"].astype(str) != base), customer_col])  # noqa: E731
    first, later = above(start), above(end)
    n, held = len(first), len(first & later)
    low, high = proportion_confint(held, n, alpha=1 - level, method="wilson") if n else (float("nan"), float("nan"))
    return TierRetention(start=start, end=end, n=n, n_held=held, share=held / n if n else float("nan"),
                         ci=(float(low), float(high)), level=level)


def tier_margin_uplift(transactions: pd.DataFrame, *, effects: dict, tiers: dict | None = None,
                       margin_col: str = "gross_margin", customer_col: str = "customer_id",
                       date_col: str = "date", value_col: str = "amount") -> float:
    """The gross margin the tiers' effect added: what the tiers bought, if the effects are right.

    Each purchase's tier is set by the customer's spend in the 365 days before its day. A
    purchase made in a tier with effect ``e`` (relative to the first tier) is ``1 + e`` times
    what it would have been, so ``margin x e / (1 + e)`` of its margin is the tier's doing
    (the margin rate assumed unchanged).

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase with ``customer_col``, ``date_col``, ``value_col`` and ``margin_col``.
    effects : dict
        Relative effect of each tier on the amount per purchase against the first tier, e.g.
        ``{"silver": 0.10, "gold": 0.155}`` (a tier not named has effect 0).
    tiers : dict, optional
        Tier name to threshold in EUR, rising from 0; default :data:`TIERS`.
    margin_col, customer_col, date_col, value_col : str
        Column names.

    Returns
    -------
    float
        EUR of gross margin.

    Raises
    ------
    ValueError
        A column is missing, or an effect is <= -1.

    Notes
    -----
    Purchases in the first 365 days of the data have a truncated look-back, so their tier (and
    the uplift) is understated there.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1], "date": ["2024-01-01", "2024-02-01"],
    ...                    "amount": [500.0, 110.0], "gross_margin": [100.0, 22.0]})
    >>> round(tier_margin_uplift(tx, effects={"silver": 0.10}), 2)   # the second purchase is silver: 22 x 0.1 / 1.1
    2.0
    """
    from .synth.purchases import trailing_spend

    tiers = _check_tiers(TIERS if tiers is None else tiers)
    if not isinstance(effects, dict):
        raise TypeError(f"`effects` must be a dict of tier name to relative effect; got {type(effects).__name__}.")
    for k, v in effects.items():
        check_number(f"effects[{k!r}]", v, -0.999999, 100)
    tx = _transactions(transactions, customer_col=customer_col, date_col=date_col, cols=(value_col,),
                       signed=(margin_col,))
    tx = tx.sort_values(["customer", "date"], kind="stable", ignore_index=True)
    codes = pd.factorize(tx["customer"])[0]
    day = ((tx["date"] - tx["date"].min()) // pd.Timedelta(days=1)).to_numpy()
    tier = _tier_of(trailing_spend(codes, day, tx[value_col].to_numpy()), tiers)
    e = pd.Series(tier).map(lambda t: effects.get(t, 0.0)).astype(float).to_numpy()
    return float((tx[margin_col].to_numpy() * e / (1 + e)).sum())


def effects_from_jumps(jumps: dict, *, tiers: dict | None = None) -> dict:
    """Each tier's effect against the first tier, from the jumps at each threshold.

    An RD at a threshold measures the jump against the tier just below (gold against silver),
    so the effects against the first tier multiply: ``1 + e_k = (1 + j_1) ... (1 + j_k)``.

    Parameters
    ----------
    jumps : dict
        Tier name to its jump against the tier below (a tier not named has jump 0).
    tiers : dict, optional
        Tier name to threshold in EUR, rising from 0; default :data:`TIERS`.

    Returns
    -------
    dict
        Tier name (every tier above the first) to its relative effect against the first tier.

    Raises
    ------
    ValueError
        A jump is <= -1 or bad ``tiers``.

    Examples
    --------
    >>> {k: round(v, 4) for k, v in effects_from_jumps({"silver": 0.10, "gold": 0.05}).items()}
    {'silver': 0.1, 'gold': 0.155}
    """
    tiers = _check_tiers(TIERS if tiers is None else tiers)
    if not isinstance(jumps, dict):
        raise TypeError(f"`jumps` must be a dict of tier name to relative jump; got {type(jumps).__name__}.")
    for k, v in jumps.items():
        check_number(f"jumps[{k!r}]", v, -0.999999, 100)
    out, level = {}, 1.0
    for name in list(tiers)[1:]:
        level *= 1 + float(jumps.get(name, 0.0))
        out[name] = level - 1
    return out


def rd_stability(table: pd.DataFrame) -> pd.DataFrame:
    """Whether RD estimates at several bandwidths tell the same story, tier by tier.

    The estimate is called stable when every bandwidth's estimate lies inside every other
    bandwidth's interval and the intervals all sit on the same side of zero (or all contain it).

    Parameters
    ----------
    table : DataFrame
        One row per tier and bandwidth: ``tier``, ``estimate``, ``ci_low``, ``ci_high``.

    Returns
    -------
    DataFrame
        Indexed by tier: ``n_bandwidths``, ``lowest`` and ``highest`` estimate, ``excluding_zero``
        (intervals that exclude zero) and ``stable`` (bool).

    Raises
    ------
    ValueError
        A column is missing.

    Examples
    --------
    >>> t = pd.DataFrame({"tier": ["gold"] * 3, "estimate": [0.11, 0.08, 0.05],
    ...                   "ci_low": [-0.02, 0.01, -0.01], "ci_high": [0.24, 0.15, 0.11]})
    >>> r = rd_stability(t)
    >>> int(r.loc["gold", "excluding_zero"]), bool(r.loc["gold", "stable"])
    (1, False)
    """
    check_frame("table", table, ["tier", "estimate", "ci_low", "ci_high"])
    rows = {}
    for tier, g in table.groupby("tier", sort=False):
        est, low, high = (g[c].to_numpy(dtype=float) for c in ("estimate", "ci_low", "ci_high"))
        inside = bool(((est[:, None] >= low[None, :]) & (est[:, None] <= high[None, :])).all())
        side = np.where(low > 0, 1, np.where(high < 0, -1, 0))
        rows[tier] = {"n_bandwidths": len(g), "lowest": float(est.min()), "highest": float(est.max()),
                      "excluding_zero": int((side != 0).sum()), "stable": inside and len(set(side)) == 1}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "tier"
    return out


def next_tier_gap(transactions: pd.DataFrame, *, as_of: DateLike, tiers: dict | None = None,
                  customer_col: str = "customer_id", date_col: str = "date", value_col: str = "amount") -> pd.DataFrame:
    """Each customer's tier at ``as_of`` and the euros to go to the next one.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase.
    as_of : date-like
        The date of the tier (exclusive: spend in the 365 days before it counts).
    tiers : dict, optional
        Tier name to threshold in EUR; default :data:`TIERS`.
    customer_col, date_col, value_col : str
        Column names.

    Returns
    -------
    DataFrame
        Indexed by customer: ``spend`` (EUR in the 365 days before), ``tier``, ``next_tier``
        (missing at the top) and ``eur_to_next`` (threshold minus spend, missing at the top).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 2, 3], "date": ["2024-01-10"] * 3, "amount": [350.0, 900.0, 1500.0]})
    >>> next_tier_gap(tx, as_of="2024-02-01")
                  spend    tier next_tier  eur_to_next
    customer_id
    1             350.0   basic    silver         50.0
    2             900.0  silver      gold        300.0
    3            1500.0    gold       NaN          NaN
    """
    tiers = _check_tiers(TIERS if tiers is None else tiers)
    s = trailing_spend_at(transactions, [as_of], customer_col=customer_col, date_col=date_col,
                          value_col=value_col).set_index(customer_col)
    names = list(tiers)
    thresholds = np.array(list(tiers.values()), dtype=float)
    tier = _tier_of(s["spend"].to_numpy(), tiers)
    pos = np.array([names.index(t) for t in tier])
    top = pos == len(names) - 1
    nxt = np.where(top, len(names) - 1, pos + 1)
    out = pd.DataFrame({"spend": s["spend"].to_numpy(), "tier": tier,
                        "next_tier": np.where(top, None, np.array(names, dtype=object)[nxt]),
                        "eur_to_next": np.where(top, np.nan, thresholds[nxt] - s["spend"].to_numpy())}, index=s.index)
    return out


def upgrade_value(gap: pd.DataFrame, clv: pd.Series, *, effects: dict, max_gap: float = 100.0) -> pd.DataFrame:
    """What moving each customer close to the next tier up is worth, from their CLV and the tier effects.

    A customer who reaches the next tier spends ``(1 + effect_next) / (1 + effect_now)`` times
    as much per purchase, so their future margin (the CLV) grows by that share less one, as
    long as they hold the tier (an upper bound: a tier is lost when spend drops).

    Parameters
    ----------
    gap : DataFrame
        From :func:`next_tier_gap` (``tier``, ``next_tier``, ``eur_to_next``), indexed by customer.
    clv : Series
        Each customer's CLV (EUR of margin), e.g. ``clv.customer_value(...).clv``.
    effects : dict
        Relative effect of each tier on the amount per purchase, e.g. ``{"silver": 0.10, "gold": 0.15}``
        (a tier not named has effect 0).
    max_gap : float, default=100.0
        Only customers at most this many EUR from the next tier are listed.

    Returns
    -------
    DataFrame
        The close customers: ``tier``, ``next_tier``, ``eur_to_next``, ``clv``, ``uplift`` (relative
        change of spend per purchase) and ``worth`` (``clv x uplift``, EUR), largest worth first.

    Raises
    ------
    ValueError
        A column is missing, ``max_gap`` is negative, or an effect is <= -1.

    Examples
    --------
    >>> gap = pd.DataFrame({"tier": ["basic", "silver"], "next_tier": ["silver", "gold"],
    ...                     "eur_to_next": [40.0, 90.0]}, index=pd.Index([1, 2], name="customer_id"))
    >>> upgrade_value(gap, pd.Series({1: 200.0, 2: 550.0}), effects={"silver": 0.10, "gold": 0.155})
                   tier next_tier  eur_to_next    clv  uplift  worth
    customer_id
    2            silver      gold         90.0  550.0    0.05   27.5
    1             basic    silver         40.0  200.0    0.10   20.0
    """
    check_frame("gap", gap, ["tier", "next_tier", "eur_to_next"])
    check_number("max_gap", max_gap, 0, 1e12)
    if not isinstance(effects, dict):
        raise TypeError(f"`effects` must be a dict of tier name to relative effect; got {type(effects).__name__}.")
    for k, v in effects.items():
        check_number(f"effects[{k!r}]", v, -0.999999, 100)
    close = gap[gap["eur_to_next"] <= max_gap].copy()
    lift = lambda tiers: 1 + tiers.map(lambda t: effects.get(t, 0.0)).astype(float)  # noqa: E731
    close["clv"] = pd.Series(clv).reindex(close.index).astype(float)
    close["uplift"] = lift(close["next_tier"]) / lift(close["tier"]) - 1
    close["worth"] = close["clv"] * close["uplift"]
    return close.sort_values("worth", ascending=False)


def _purchase_running(transactions, *, customer_col, date_col, value_col, days):
    """Per purchase: the customer's spend in the ``days`` days before its day, and log(amount / first amount)."""
    from .synth.purchases import trailing_spend

    tx = _transactions(transactions, customer_col=customer_col, date_col=date_col, cols=(value_col,))
    tx = tx.sort_values(["customer", "date"], kind="stable", ignore_index=True)
    codes = pd.factorize(tx["customer"])[0]
    day = ((tx["date"] - tx["date"].min()) // pd.Timedelta(days=1)).to_numpy()
    tx["running"] = trailing_spend(codes, day, tx[value_col].to_numpy(), days)
    amount = tx[value_col].to_numpy()
    if (amount <= 0).any():
        raise ValueError(f"`transactions`: column '{value_col}' must be > 0 for a log outcome; "
                         f"{int((amount <= 0).sum())} rows are not.")
    first = tx.groupby("customer")[value_col].transform("first").to_numpy()
    tx["outcome"] = np.log(amount / first)
    tx["log_amount"] = np.log(amount)
    tx["first_amount"] = np.log(first)
    tx["is_first"] = ~tx["customer"].duplicated()
    return tx[~tx["is_first"]]


#: What :func:`tier_effect_rd` can put on the left-hand side.
RD_OUTCOMES = {"relative": "outcome", "log_amount": "log_amount", "first_amount": "first_amount"}


@dataclass(frozen=True, repr=False)
class TierEffect(Result):
    """The effect of reaching a tier on the amount per purchase: RD estimate and the naive comparison.

    Attributes
    ----------
    threshold : float
        The tier's threshold, EUR of spend in the 365 days before a purchase.
    estimate : float
        Relative change of the amount per purchase at the threshold, ``exp(jump) - 1``.
    ci : tuple of float
        Its confidence interval (from the jump's cluster-robust interval).
    jump : float
        Jump of log(amount / customer's first amount) at the threshold.
    se : float
        Standard error of the jump (clustered by customer).
    naive : float
        Mean amount of purchases at or above the threshold over the mean below, less one.
    bandwidth : float
        EUR on each side of the threshold used.
    n : int
        Purchases within the bandwidth.
    n_customers : int
        Customers behind them.
    method : str
    coef : tuple of float
        The local linear fit (intercept, jump, slope below, change of slope above), outcome
        against spend less the threshold: what the RD plot draws.

    Examples
    --------
    >>> fit = TierEffect(400.0, 0.105, (0.05, 0.16), 0.0998, 0.026, 0.8, 160.0, 9000, 1800, "sharp RD",
    ...                  (0.0, 0.0998, 1e-4, 0.0))
    >>> fit.to_frame()[["estimate", "ci_low", "ci_high"]].round(3).values.tolist()
    [[0.105, 0.05, 0.16]]
    """

    threshold: float
    estimate: float
    ci: tuple
    jump: float
    se: float
    naive: float
    bandwidth: float
    n: int
    n_customers: int
    method: str
    coef: tuple = ()


def tier_effect_rd(transactions: pd.DataFrame, *, threshold: float, bandwidth: float | None = None,
                   ci: float = 0.95, days: int = 365, outcome: str = "relative", customer_col: str = "customer_id", date_col: str = "date",
                   value_col: str = "amount") -> TierEffect:
    """The effect of reaching a card tier on the amount per purchase, by a sharp regression discontinuity.

    The running variable is the customer's spend in the ``days`` days before each purchase; the
    purchase is made in the tier exactly when it is >= ``threshold``. The outcome is the log of
    the amount over the customer's own first purchase (made before any tier), which takes out
    how much each customer spends anyway: customers just above the threshold are bigger
    spenders than those just below (the tier itself raised their earlier amounts), and a jump
    in plain amounts would mix that in. A local linear regression on each side, with triangular
    kernel weights, gives the jump at the threshold; its standard error is clustered by customer
    (a customer's purchases are not independent).

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase with ``customer_col``, ``date_col`` and ``value_col`` (> 0).
    threshold : float
        The tier's threshold in EUR (e.g. 400 for silver).
    bandwidth : float, optional
        EUR on each side. Default: ``0.4 x threshold`` (160 EUR at silver, 480 at gold), a fixed
        rule; check that the estimate is stable at half and double the bandwidth.
    ci : float, default=0.95
        Confidence level.
    days : int, default=365
        The trailing window of the running variable.
    outcome : {"relative", "log_amount", "first_amount"}, default="relative"
        ``"relative"``: log(amount / the customer's first amount), the estimate of the effect;
        ``"log_amount"``: the plain log amount, biased by who sits above the threshold;
        ``"first_amount"``: the log of the customer's first amount, which no tier can change, so
        its jump is a balance check (it measures how different the customers on the two sides are).
    customer_col, date_col, value_col : str
        Column names.

    Returns
    -------
    TierEffect
        ``estimate`` (relative change of the amount), ``ci``, and ``naive``: the plain ratio of mean
        amounts above and below the threshold, biased upward because the customers who reach a tier
        are those who spend more per purchase anyway.

    Raises
    ------
    TypeError
        ``transactions`` is not a DataFrame.
    ValueError
        A column is missing, amounts are not > 0, a number is out of range, or fewer than 10
        purchases fall on a side of the threshold.

    See Also
    --------
    rd_bins : binned means of the outcome for the RD plot.

    Notes
    -----
    With :math:`x` the running variable less the threshold, :math:`D = 1[x \\ge 0]` and kernel
    weights :math:`w = \\max(0, 1 - |x| / h)`, weighted least squares fits

    .. math:: \\log(a / a_{\\text{first}}) = \\alpha + \\tau D + \\beta x + \\gamma D x + \\varepsilon

    and the effect is :math:`e^{\\tau} - 1`. The design is per purchase because the tier is set per
    purchase: measured at a date instead (spend in the year before it, outcome the spend in the next
    months), the tier would change within the outcome window as spend moves, and the jump would be
    a diluted, fuzzy one. This is the conventional local linear estimate
    (Imbens & Lemieux 2008); ``rdrobust`` with the same bandwidth gives the same :math:`\\tau`
    (its bias-corrected interval is wider). statsmodels' WLS is used because rdrobust brings
    plotting dependencies the kit does not otherwise need.

    References
    ----------
    .. [1] Imbens, G. W. & Lemieux, T. (2008). Regression discontinuity designs: a guide to practice.
       Journal of Econometrics 142(2), 615-635.
    .. [2] Calonico, S., Cattaneo, M. D. & Titiunik, R. (2014). Robust nonparametric confidence
       intervals for regression-discontinuity designs. Econometrica 82(6), 2295-2326.

    Examples
    --------
    >>> from fidelia_kit.synth import generate_world
    >>> w = generate_world(n_customers=3_000, seed=3)
    >>> fit = tier_effect_rd(w.tables["transactions"], threshold=400)
    >>> fit.ci[0] < w.truth["card_tiers"]["effect"]["silver"] < fit.ci[1]
    True
    """
    from statsmodels.regression.linear_model import WLS  # not statsmodels.api: it imports all of statsmodels

    threshold = check_number("threshold", threshold, 0, 1e9)
    bandwidth = 0.4 * threshold if bandwidth is None else check_number("bandwidth", bandwidth, 1e-9, 1e9)
    check_ci(ci)
    check_number("days", days, 1, 100 * 366)
    check_option("outcome", outcome, RD_OUTCOMES)
    tx = _purchase_running(transactions, customer_col=customer_col, date_col=date_col, value_col=value_col, days=days)
    above_all = tx["running"] >= threshold
    lo, hi = tx.loc[~above_all, value_col].mean(), tx.loc[above_all, value_col].mean()
    d = tx[(tx["running"] - threshold).abs() < bandwidth]
    x = (d["running"] - threshold).to_numpy()
    D = (x >= 0).astype(float)
    for side, n_side in (("below", int((D == 0).sum())), ("above", int(D.sum()))):
        if n_side < 10:
            raise ValueError(f"Only {n_side} purchases fall {side} the threshold {threshold:g} within the bandwidth "
                             f"{bandwidth:g} EUR; widen `bandwidth` or use more data.")
    X = np.column_stack([np.ones_like(x), D, x, D * x])
    fit = WLS(d[RD_OUTCOMES[outcome]].to_numpy(), X, weights=1 - np.abs(x) / bandwidth).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d["customer"])[0]})
    jump, se = float(fit.params[1]), float(fit.bse[1])
    z = ci_z(ci)
    return TierEffect(threshold=float(threshold), estimate=float(np.expm1(jump)),
                      ci=(float(np.expm1(jump - z * se)), float(np.expm1(jump + z * se))), jump=jump, se=se,
                      naive=float(hi / lo - 1), bandwidth=float(bandwidth), n=len(d),
                      n_customers=int(d["customer"].nunique()),
                      method=f"sharp RD on {outcome}, local linear, triangular kernel, SE clustered by customer",
                      coef=tuple(float(c) for c in fit.params))


def rd_bins(transactions: pd.DataFrame, *, threshold: float, bandwidth: float | None = None, n_bins: int = 20,
            days: int = 365, customer_col: str = "customer_id", date_col: str = "date",
            value_col: str = "amount") -> pd.DataFrame:
    """Mean outcome of :func:`tier_effect_rd` in bins of the running variable, for the RD plot.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase.
    threshold : float
        The tier's threshold, EUR.
    bandwidth : float, optional
        EUR on each side; default ``0.4 x threshold`` as in :func:`tier_effect_rd`.
    n_bins : int, default=20
        Bins over the two sides (half on each side).
    days : int, default=365
        The trailing window.
    customer_col, date_col, value_col : str
        Column names.

    Returns
    -------
    DataFrame
        ``spend`` (bin centre, EUR), ``outcome`` (mean log amount over the first), ``n``, ``side``
        ("below"/"above").

    Examples
    --------
    >>> from fidelia_kit.synth import generate_world
    >>> b = rd_bins(generate_world(n_customers=1_000, seed=1).tables["transactions"], threshold=400, n_bins=4)
    >>> b["spend"].tolist()
    [280.0, 360.0, 440.0, 520.0]
    """
    threshold = check_number("threshold", threshold, 0, 1e9)
    bandwidth = 0.4 * threshold if bandwidth is None else check_number("bandwidth", bandwidth, 1e-9, 1e9)
    n_bins = int(check_number("n_bins", n_bins, 2, 1000)) // 2 * 2
    tx = _purchase_running(transactions, customer_col=customer_col, date_col=date_col, value_col=value_col, days=days)
    edges = np.linspace(threshold - bandwidth, threshold + bandwidth, n_bins + 1)
    d = tx[(tx["running"] >= edges[0]) & (tx["running"] < edges[-1])]
    b = np.clip(np.searchsorted(edges, d["running"].to_numpy(), side="right") - 1, 0, n_bins - 1)
    g = d.groupby(b)["outcome"].agg(["mean", "size"]).reindex(range(n_bins))
    centre = (edges[:-1] + edges[1:]) / 2
    return pd.DataFrame({"spend": centre, "outcome": g["mean"].to_numpy(), "n": g["size"].fillna(0).astype(int).to_numpy(),
                         "side": np.where(centre >= threshold, "above", "below")})
