"""The loyalty ladder: from possible customer to advocate, and the moves between two dates."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._validation import as_date, as_dates, check_frame, check_int, check_number

__all__ = ["LADDER_RUNGS", "LADDER_RULES", "LoyaltyLadder", "loyalty_ladder", "ladder_transitions"]

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


