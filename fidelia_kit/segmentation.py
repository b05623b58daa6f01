"""Value-based segmentation: the 'differentiate' step of identify-differentiate-interact-personalize.

Customers are ranked by the value they bring now (RFM/RFMT scores, customer profit, the
Pareto curve) and will bring (value tiers), placed on the loyalty ladder, and grouped by
how they shop (clusters), so a firm can decide whom to retain, develop or stop serving
at a loss.

Column vocabulary: RFM tables use ``days_since_last``, ``n_purchases``,
``monetary_total``, ``tenure_days``; never ``recency``/``frequency``, which mean something
else in the CLV module.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._validation import as_amounts, as_date, as_dates, check_frame, check_int, check_number, check_option

__all__ = [
    "rfm_table",
    "rfm_scores",
    "rfm_segments",
    "RFM_SEGMENTS",
    "customer_profit",
    "future_value_proxy",
    "value_tiers",
    "LADDER_RUNGS",
    "LADDER_RULES",
    "LoyaltyLadder",
    "loyalty_ladder",
    "ladder_transitions",
    "ParetoResult",
    "pareto_curve",
    "behaviour_features",
    "ClusterResult",
    "cluster_customers",
    "category_affinity",
    "CONTACT_PHASES",
    "contact_plan",
]


# --- RFM ---------------------------------------------------------------------------------------

def rfm_table(transactions: pd.DataFrame, as_of=None, *, customer_col: str = "customer_id",
              date_col: str = "date", value_col: str = "amount") -> pd.DataFrame:
    """Recency, frequency, monetary value and tenure of every customer.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase (or receipt).
    as_of : date-like, optional
        The day the table describes (exclusive: purchases on or after it are ignored).
        Defaults to the day after the last transaction. Always reported, in the
        ``as_of`` column and in ``df.attrs["as_of"]``.
    customer_col, date_col, value_col : str
        Column names.

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
    # distinct purchase days: unique (customer, day) keys, sorted, so first/last per customer fall out
    span = int(day.max() - day.min() + 1)
    keys = np.sort(codes.astype(np.int64) * span + (day - day.min()))  # sort + diff: faster than np.unique's hashing
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    kc = keys // span
    kd = keys % span + day.min()
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
    out.attrs["as_of"] = as_of_ts
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


def rfm_scores(rfm: pd.DataFrame, q: int = 5, *, tenure: bool = False, ties: str = "equal") -> pd.DataFrame:
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


def rfm_segments(scores: pd.DataFrame, scheme="standard") -> pd.DataFrame:
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


# --- profit and value tiers ------------------------------------------------------------------------

def customer_profit(transactions: pd.DataFrame, complaints: pd.DataFrame | None = None, *,
                    customer_col: str = "customer_id", point_value: float = 0.01,
                    cost_per_complaint: float = 12.0, cost_per_handoff: float = 6.0) -> pd.DataFrame:
    """What each customer earned the firm: revenue, margin, cost to serve and profit.

    Parameters
    ----------
    transactions : DataFrame
        With ``amount``, ``gross_margin``, ``discount`` and ``points_redeemed``.
    complaints : DataFrame, optional
        With ``compensation`` and ``n_handoffs``.
    point_value : float, default=0.01
        What one redeemed loyalty point costs the firm (EUR).
    cost_per_complaint, cost_per_handoff : float
        Cost of handling a complaint and of each hand-off (service contacts, EUR).

    Returns
    -------
    DataFrame
        Per customer: ``revenue`` (amount paid), ``gross_margin_list`` (margin at list
        price, before discounts), ``discounts``, ``points_cost``, ``compensation``,
        ``service_cost``, ``cost_to_serve`` (their sum) and
        ``profit = gross_margin_list - cost_to_serve``.

    Notes
    -----
    ``gross_margin`` in the transactions is already net of discounts, so the list-price
    margin is ``gross_margin + discount`` and discounts are counted once, as a cost to
    serve. Customers who complained but never bought are kept (negative profit).
    """
    need = [customer_col, "amount", "gross_margin", "discount", "points_redeemed"]
    check_frame("transactions", transactions, need)
    for col in ("amount", "discount", "points_redeemed"):
        as_amounts("transactions", col, transactions[col])
    as_amounts("transactions", "gross_margin", transactions["gross_margin"], allow_negative=True)
    point_value = check_number("point_value", point_value, 0, 100)
    g = transactions.groupby(customer_col)
    out = pd.DataFrame({
        "revenue": g["amount"].sum(),
        "gross_margin_list": g["gross_margin"].sum() + g["discount"].sum(),
        "discounts": g["discount"].sum(),
        "points_cost": g["points_redeemed"].sum() * point_value,
    })
    comp = pd.DataFrame(columns=["compensation", "service_cost"], dtype=float)
    if complaints is not None:
        check_frame("complaints", complaints, [customer_col, "compensation", "n_handoffs"])
        as_amounts("complaints", "compensation", complaints["compensation"])
        c = complaints.assign(service=cost_per_complaint + cost_per_handoff * complaints["n_handoffs"]).groupby(customer_col)
        comp = pd.DataFrame({"compensation": c["compensation"].sum(), "service_cost": c["service"].sum()})
    out = out.join(comp, how="outer").fillna(0.0)
    out["cost_to_serve"] = out[["discounts", "points_cost", "compensation", "service_cost"]].sum(axis=1)
    out["profit"] = out["gross_margin_list"] - out["cost_to_serve"]
    out.index.name = customer_col
    return out


def future_value_proxy(rfm: pd.DataFrame, profit: pd.Series, *, horizon_days: int = 365,
                       half_life_days: float = 120.0) -> pd.Series:
    """A simple forward-looking value when no CLV model is at hand.

    ``proxy = (profit / tenure_days) * horizon_days * 0.5 ** (days_since_last / half_life_days)``:
    the customer's profit per day so far, projected over the horizon and discounted by
    how long they have been silent (a customer silent for one half-life counts half).
    It has no statistical model behind it; a CLV model (BG/NBD + Gamma-Gamma) is better.
    """
    check_frame("rfm", rfm, ["days_since_last", "tenure_days"])
    profit = profit.reindex(rfm.index)
    per_day = profit / np.maximum(rfm["tenure_days"], 30)
    return (per_day * horizon_days * 0.5 ** (rfm["days_since_last"] / half_life_days)).rename("future_value")


TIERS = ("high performance", "high potential", "maintain", "below zero")


def value_tiers(profit: pd.Series, future_value: pd.Series, *, top_share: float = 0.2,
                potential_share: float = 0.2, below: float = 0.0) -> pd.DataFrame:
    """Sort customers into the three value categories (and the rest).

    Parameters
    ----------
    profit : Series
        Current profitability per customer (e.g. ``customer_profit(...)["profit"]``).
    future_value : Series
        Future profitability per customer: CLV when a model is fitted, else
        :func:`future_value_proxy`.
    top_share : float, default=0.2
        Share of customers, by current profit, who are 'high performance'.
    potential_share : float, default=0.2
        Share of customers, by future value, among whom the others are 'high potential'.
    below : float, default=0.0
        Customers whose profit and future value both fall below this are 'below zero'.

    Returns
    -------
    DataFrame
        ``profit``, ``future_value`` and ``tier``, an ordered categorical:

        - **high performance** (retain at all cost): profit in the top ``top_share``;
        - **high potential** (develop with cross-selling and up-selling): not high
          performance, future value in the top ``potential_share``;
        - **below zero** (cost more than they bring): profit < ``below`` and future
          value < ``below``;
        - **maintain**: everyone else.
    """
    top_share = check_number("top_share", top_share, 0, 1)
    potential_share = check_number("potential_share", potential_share, 0, 1)
    if not isinstance(profit, pd.Series) or not isinstance(future_value, pd.Series):
        raise TypeError("`profit` and `future_value` must be pandas Series indexed by customer.")
    df = pd.DataFrame({"profit": profit, "future_value": future_value.reindex(profit.index)})
    if df.isna().any().any():
        raise ValueError(f"`future_value` is missing for {int(df['future_value'].isna().sum())} customer(s) of `profit`.")
    n = len(df)
    top = df["profit"].rank(method="first", ascending=False) <= round(top_share * n)
    potential = ~top & (df["future_value"].rank(method="first", ascending=False) <= round(potential_share * n))
    zero = ~top & ~potential & (df["profit"] < below) & (df["future_value"] < below)
    tier = np.select([top, potential, zero], list(TIERS[:2]) + [TIERS[3]], TIERS[2])
    df["tier"] = pd.Categorical(tier, categories=list(TIERS), ordered=True)
    return df


# --- the loyalty ladder ---------------------------------------------------------------------------

LADDER_RUNGS = ("possible", "potential", "buyer", "occasional", "habitual", "exclusive", "advocate")

#: The rules of the ladder; a person stands on the highest rung whose rule holds.
LADDER_RULES = pd.DataFrame([
    ("possible", "In the market but not registered (a count: market size minus registered people)."),
    ("potential", "Registered before as_of, no purchase yet."),
    ("buyer", "Exactly one purchase day (a first-time buyer)."),
    ("occasional", "Two or more purchase days, fewer than `habitual_purchases` in the last 365 days."),
    ("habitual", "At least `habitual_purchases` purchase days in the last 365 days."),
    ("exclusive", "Habitual, and share of wallet >= `exclusive_share` % in the survey (or, without an answer, at "
                  "least `exclusive_purchases` purchase days in the last 365 days)."),
    ("advocate", "Bought, and recommends us: answered 9-10 to the recommendation question, or referred someone "
                 "who then bought."),
], columns=["rung", "rule"])


@dataclass
class LoyaltyLadder:
    """Where everyone stands on the loyalty ladder at ``as_of``."""

    rungs: pd.DataFrame     # customer_id -> rung (ordered categorical) and the facts used
    funnel: pd.DataFrame    # rung, people, share, at_or_above
    as_of: pd.Timestamp
    market_size: int | None
    rules: pd.DataFrame = field(default_factory=lambda: LADDER_RULES.copy())


def _tables_of(world_or_tables) -> tuple[dict, dict]:
    if hasattr(world_or_tables, "tables"):
        return world_or_tables.tables, getattr(world_or_tables, "truth", {}) or {}
    if isinstance(world_or_tables, dict):
        return world_or_tables, {}
    raise TypeError(f"`world_or_tables` must be a World or a dict of DataFrames; got {type(world_or_tables).__name__}.")


def loyalty_ladder(world_or_tables, as_of=None, *, market_size: int | None = None, habitual_purchases: int = 4,
                   exclusive_share: float = 70.0, exclusive_purchases: int = 12) -> LoyaltyLadder:
    """Place every registered person on the loyalty ladder at a date.

    Parameters
    ----------
    world_or_tables : World or dict
        Needs ``customers`` and ``transactions``; uses ``survey_responses`` when present
        (recommendation and share of wallet).
    as_of : date-like, optional
        Only what happened before this day counts; default the day after the last
        transaction.
    market_size : int, optional
        People in the market; default the world's truth, if any. Gives the 'possible' rung.
    habitual_purchases, exclusive_share, exclusive_purchases
        Thresholds of the rules in :data:`LADDER_RULES`.

    Returns
    -------
    LoyaltyLadder
        ``rungs`` (one row per registered person), ``funnel`` (people per rung, the
        'possible' rung included when the market size is known, so the counts add up to
        the market) and the rules.
    """
    tables, truth = _tables_of(world_or_tables)
    for name in ("customers", "transactions"):
        if name not in tables:
            raise ValueError(f"`world_or_tables` needs a '{name}' table.")
    customers, tx = tables["customers"], tables["transactions"]
    check_frame("customers", customers, ["customer_id", "first_seen", "referred_by"])
    check_frame("transactions", tx, ["customer_id", "date"])
    habitual_purchases = check_int("habitual_purchases", habitual_purchases, 1, 365)
    exclusive_purchases = check_int("exclusive_purchases", exclusive_purchases, habitual_purchases, 365)
    exclusive_share = check_number("exclusive_share", exclusive_share, 0, 100)
    dates = as_dates("transactions", "date", tx["date"])
    as_of = dates.max() + pd.Timedelta(days=1) if as_of is None else as_date("as_of", as_of)
    if market_size is None and "market_size" in truth:
        market_size = int(truth["market_size"])

    reg = customers[as_dates("customers", "first_seen", customers["first_seen"]).to_numpy() < as_of]
    before = tx[dates.to_numpy() < as_of].assign(_day=dates[dates.to_numpy() < as_of].to_numpy())
    days = before.groupby("customer_id")["_day"].nunique()
    recent = before[before["_day"] >= as_of - pd.Timedelta(days=365)].groupby("customer_id")["_day"].nunique()
    people = pd.DataFrame(index=pd.Index(reg["customer_id"].to_numpy(), name="customer_id"))
    people["purchase_days"] = days.reindex(people.index).fillna(0).astype(int)
    people["purchase_days_365d"] = recent.reindex(people.index).fillna(0).astype(int)
    survey = tables.get("survey_responses")
    people["recommend"] = np.nan
    people["share_of_wallet"] = np.nan
    if survey is not None and len(survey):
        s = survey[pd.to_datetime(survey["response_date"]) < as_of].set_index("customer_id")
        people["recommend"] = s["recommend"].astype("float64").reindex(people.index)
        people["share_of_wallet"] = s["share_of_wallet"].astype("float64").reindex(people.index)
    buyers = set(days.index)
    referred = reg.dropna(subset=["referred_by"])
    referred = referred[referred["customer_id"].isin(buyers)]
    people["referred_buyers"] = referred.groupby("referred_by").size().reindex(people.index).fillna(0).astype(int)

    bought = people["purchase_days"] >= 1
    habitual = people["purchase_days_365d"] >= habitual_purchases
    exclusive = habitual & np.where(people["share_of_wallet"].notna(), people["share_of_wallet"] >= exclusive_share,
                                    people["purchase_days_365d"] >= exclusive_purchases)
    advocate = bought & ((people["recommend"] >= 9) | (people["referred_buyers"] > 0))
    rung = np.select([advocate, exclusive, habitual, people["purchase_days"] >= 2, bought],
                     ["advocate", "exclusive", "habitual", "occasional", "buyer"], "potential")
    people["rung"] = pd.Categorical(rung, categories=list(LADDER_RUNGS), ordered=True)

    counts = people["rung"].value_counts().reindex(list(LADDER_RUNGS)).fillna(0).astype(int)
    if market_size is not None:
        if market_size < len(people):
            raise ValueError(f"`market_size` ({market_size:,}) is smaller than the {len(people):,} registered people.")
        counts["possible"] = market_size - len(people)
        total = market_size
    else:
        counts = counts.drop("possible")
        total = len(people)
    funnel = pd.DataFrame({"rung": counts.index, "people": counts.to_numpy()})
    funnel["share"] = funnel["people"] / total
    funnel["at_or_above"] = funnel["people"][::-1].cumsum()[::-1].to_numpy()
    return LoyaltyLadder(rungs=people, funnel=funnel, as_of=as_of, market_size=market_size)


def ladder_transitions(a: LoyaltyLadder, b: LoyaltyLadder, *, normalize: bool = False) -> pd.DataFrame:
    """How people moved on the ladder between two dates: rows rung at ``a``, columns rung at ``b``.

    People registered only by the later date count as 'possible' at the earlier one.
    With ``normalize=True`` each row is divided by its total (the share that moved to each rung).
    """
    if not isinstance(a, LoyaltyLadder) or not isinstance(b, LoyaltyLadder):
        raise TypeError("`a` and `b` must be results of loyalty_ladder().")
    if a.as_of > b.as_of:
        raise ValueError(f"`a` ({a.as_of.date()}) must not be later than `b` ({b.as_of.date()}).")
    rungs = list(LADDER_RUNGS)
    before = a.rungs["rung"].reindex(b.rungs.index).astype(object).fillna("possible")
    after = b.rungs["rung"].astype(object)
    table = pd.crosstab(pd.Categorical(before, categories=rungs, ordered=True),
                        pd.Categorical(after, categories=rungs, ordered=True), dropna=False)
    table.index.name, table.columns.name = f"rung on {a.as_of.date()}", f"rung on {b.as_of.date()}"
    if normalize:
        table = table.div(table.sum(axis=1).replace(0, np.nan), axis=0)
    return table


# --- Pareto ----------------------------------------------------------------------------------------

@dataclass
class ParetoResult:
    """The concentration of value: curve, Gini coefficient and ABC classes."""

    curve: pd.DataFrame     # share_customers, share_value (customers sorted by value, largest first)
    gini: float
    classes: pd.Series      # 'A', 'B' or 'C' per customer
    summary: pd.DataFrame   # per class: customers, value, shares


def pareto_curve(values: pd.Series, *, a: float = 0.8, b: float = 0.95) -> ParetoResult:
    """Cumulative share of value by share of customers, the Gini coefficient and ABC classes.

    Parameters
    ----------
    values : Series
        Value per customer (revenue, profit, ...). Negative values are allowed: the curve
        then rises above 100% and falls back (the 'whale curve' of profitability).
    a, b : float, default 0.8 and 0.95
        Class A holds the largest customers that together make the first ``a`` of the
        value (the customer who crosses the line included), B those up to ``b``, C the rest.

    Returns
    -------
    ParetoResult

    Notes
    -----
    Gini = sum_i sum_j |x_i - x_j| / (2 n^2 mean(x)), computed as
    ``(2 sum_i i x_(i)) / (n sum x) - (n + 1) / n`` with values sorted ascending and
    ``i = 1..n``: 0 when everyone brings the same, approaching 1 when one customer brings
    everything. With negative values it can exceed 1.
    """
    if not isinstance(values, pd.Series):
        values = pd.Series(values)
    v = as_amounts("values", values.name or "values", values, allow_negative=True)
    if len(v) == 0:
        raise ValueError("`values` is empty.")
    total = v.sum()
    if total <= 0:
        raise ValueError(f"`values` must add up to more than 0; they add up to {total:g}.")
    a = check_number("a", a, 0, 1)
    b = check_number("b", b, a, 1)
    n = len(v)
    order = np.argsort(-v.to_numpy(), kind="stable")
    cum = np.cumsum(v.to_numpy()[order]) / total
    curve = pd.DataFrame({"share_customers": np.r_[0, np.arange(1, n + 1) / n], "share_value": np.r_[0, cum]})
    x = np.sort(v.to_numpy())
    gini = float(2 * np.sum(np.arange(1, n + 1) * x) / (n * x.sum()) - (n + 1) / n)
    before = np.r_[0, cum[:-1]]  # share reached before each customer
    cls = np.where(before < a, "A", np.where(before < b, "B", "C"))
    classes = pd.Series(index=values.index[order], data=cls, name="abc").reindex(values.index)
    summary = pd.DataFrame({"customers": classes.value_counts(), "value": v.groupby(classes.to_numpy()).sum()})
    summary = summary.reindex(["A", "B", "C"]).fillna(0)
    summary["share_customers"] = summary["customers"] / n
    summary["share_value"] = summary["value"] / total
    return ParetoResult(curve=curve, gini=gini, classes=classes, summary=summary)


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



# --- personalising: cross-selling and the contact plan ------------------------------------------------

def category_affinity(items: pd.DataFrame, *, basket_col: str = "transaction_id", category_col: str = "category",
                      groups: pd.Series | None = None, min_support: float = 0.0) -> pd.DataFrame:
    """Which categories are bought together: support, confidence and lift of every pair.

    For categories A and B over baskets (receipts): support(A, B) = share of baskets with
    both; confidence(A -> B) = support(A, B) / support(A); lift = confidence(A -> B) /
    support(B), above 1 when B comes with A more often than by chance (the classic
    market-basket measures of Agrawal et al. 1993). With ``groups`` (a Series mapping
    basket -> group, e.g. the customer's cluster) the table is computed within each group.
    """
    check_frame("items", items, [basket_col, category_col])
    min_support = check_number("min_support", min_support, 0, 1)

    def one(frame):
        # the basket x category counts of pd.crosstab, by a group-by: the same frame, 20x faster on pandas 3
        counts = frame.groupby([basket_col, category_col], sort=True).size().unstack(fill_value=0)
        onehot = counts.clip(upper=1).astype(float)
        n = len(onehot)
        both = onehot.T @ onehot / n
        single = np.diag(both)
        rows = []
        cats = list(onehot.columns)
        for i, a in enumerate(cats):
            for j, b in enumerate(cats):
                if i == j or both.iloc[i, j] < min_support or both.iloc[i, j] == 0:
                    continue
                conf = both.iloc[i, j] / single[i]
                rows.append({"antecedent": a, "consequent": b, "support": both.iloc[i, j], "confidence": conf,
                             "lift": conf / single[j], "baskets": n})
        return pd.DataFrame(rows, columns=["antecedent", "consequent", "support", "confidence", "lift", "baskets"])

    if groups is None:
        return one(items).sort_values("lift", ascending=False, ignore_index=True)
    g = items[basket_col].map(groups)
    parts = [one(items[g == level]).assign(group=level) for level in pd.unique(g.dropna())]
    out = pd.concat(parts, ignore_index=True)
    return out[["group"] + [c for c in out.columns if c != "group"]].sort_values(["group", "lift"], ascending=[True, False],
                                                                                  ignore_index=True)


CONTACT_PHASES = pd.DataFrame([
    ("reaffirm", "welcome", "New or one-time buyers: welcome message, first-steps guide, second-purchase incentive."),
    ("refresh", "cross-sell / up-grade", "Regular buyers with room to grow: offers from the categories their profile "
                                         "buys together, an upgrade of card tier, a satisfaction questionnaire."),
    ("enrich", "member-get-member", "The most loyal and valuable: referral rewards for both sides, loyalty points, "
                                    "the paid membership."),
], columns=["phase", "action", "what"])


def contact_plan(profile: pd.DataFrame, *, frequency_col: str = "n_purchases", value_col: str = "avg_basket",
                 new_below: float = 2.0) -> pd.DataFrame:
    """A personalised action per cluster, following the three-phase contact plan.

    Rules, on a cluster profile table (one row per cluster, e.g. ``ClusterResult.profile``):
    clusters whose mean ``frequency_col`` is below ``new_below`` are in the *reaffirm* phase
    (welcome); of the rest, the cluster(s) with the highest ``frequency_col x value_col``
    (value brought per customer) above the median are *enrich* (member-get-member); the others
    *refresh* (cross-sell and up-grade).
    """
    check_frame("profile", profile, [frequency_col, value_col])
    value = profile[frequency_col] * profile[value_col]
    phase = pd.Series("refresh", index=profile.index)
    phase[value > value.median()] = "enrich"
    phase[profile[frequency_col] < new_below] = "reaffirm"
    out = pd.DataFrame({"phase": phase}).join(CONTACT_PHASES.set_index("phase"), on="phase")
    out["value_per_customer"] = value
    return out
