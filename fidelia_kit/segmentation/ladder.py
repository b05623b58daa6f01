"""The loyalty ladder: from possible customer to advocate, and the moves between two dates."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._deprecation import keyword_only_since
from .._results import Result
from .._validation import as_date, as_dates, check_frame, check_int, check_number
from ..survey import PROMOTER_MIN

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .._typing import DateLike
    from ..dataset import World


__all__ = ["LADDER_RUNGS", "LADDER_RULES", "LoyaltyLadder", "loyalty_ladder", "ladder_transitions", "LadderMoves",
           "ladder_moves"]

# --- the loyalty ladder ---------------------------------------------------------------------------

LADDER_RUNGS = ("possible", "potential", "buyer", "occasional", "habitual", "exclusive", "advocate")

#: The rules of the ladder; a person stands on the highest rung whose rule holds. "The window"
#: is the ``window_days`` (365) days before ``as_of``.
LADDER_RULES = pd.DataFrame([
    ("possible", "In the market but not registered (a count: market size minus registered people)."),
    ("potential", "Registered before as_of, no purchase yet."),
    ("buyer", "Exactly one purchase day (a first-time buyer)."),
    ("occasional", "Two or more purchase days, fewer than `habitual_purchases` in the window (a habitual customer "
                   "who stops buying moves down to here)."),
    ("habitual", "At least `habitual_purchases` purchase days in the window."),
    ("exclusive", "Habitual, and share of wallet >= `exclusive_share` % in their latest survey answer (or, without "
                  "an answer, at least `exclusive_purchases` purchase days in the window)."),
    ("advocate", "Bought in the window, and recommends us in it: their latest answer before as_of, given in the "
                 "window, is `promoter_min` (9) or more, or someone they referred registered in the window and "
                 "bought. Both expire: without new evidence an advocate falls back to their buying rung."),
], columns=["rung", "rule"])


def _ladder_rules() -> pd.DataFrame:
    return LADDER_RULES.copy()


@dataclass(frozen=True, repr=False)
class LoyaltyLadder(Result):
    """Where everyone stands on the loyalty ladder at ``as_of``.

    Attributes
    ----------
    rungs : DataFrame
        One row per registered person (index ``customer_id``): ``rung`` (ordered
        categorical) and the facts the rules used (``n_purchases``, ``n_purchases_365d``,
        ``recommend``, ``response_date``, ``share_of_wallet``, ``referred_buyers``).
    funnel : DataFrame
        ``rung``, ``people``, ``share``, ``at_or_above``.
    as_of : Timestamp
        The first day not observed.
    market_size : int or None
        People in the market, if known.
    rules : DataFrame
        :data:`LADDER_RULES`.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": [1, 2], "first_seen": ["2024-01-01", "2024-01-01"],
    ...                           "referred_by": [None, None]})
    >>> tx = pd.DataFrame({"customer_id": [2, 2], "date": ["2024-01-05", "2024-02-05"]})
    >>> lad = loyalty_ladder({"customers": customers, "transactions": tx}, as_of="2024-03-01")
    >>> lad
    LoyaltyLadder(rungs=<DataFrame 2x7>, funnel=<DataFrame 6x4>, as_of=<Timestamp>, market_size=None, rules=<DataFrame 7x2>)
    >>> lad.to_frame()[["rung", "people"]].values.tolist()[:3]
    [['potential', 1], ['buyer', 0], ['occasional', 1]]
    """

    rungs: pd.DataFrame
    funnel: pd.DataFrame
    as_of: pd.Timestamp
    market_size: int | None
    rules: pd.DataFrame = field(default_factory=_ladder_rules)

    def to_frame(self) -> pd.DataFrame:
        """The funnel: one row per rung (``rung, people, share, at_or_above``)."""
        return self.funnel.copy()


def _tables_of(world_or_tables) -> tuple[dict, dict]:
    if hasattr(world_or_tables, "tables"):
        return world_or_tables.tables, getattr(world_or_tables, "truth", {}) or {}
    if isinstance(world_or_tables, dict):
        return world_or_tables, {}
    raise TypeError(f"`world_or_tables` must be a World or a dict of DataFrames; got {type(world_or_tables).__name__}.")


def _latest_answers(survey: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each customer's latest survey answer dated before ``as_of`` (a later answer was not yet given)."""
    check_frame("survey_responses", survey, ["customer_id", "response_date", "recommend", "share_of_wallet"])
    dates = as_dates("survey_responses", "response_date", survey["response_date"].reset_index(drop=True))
    s = survey.reset_index(drop=True).assign(response_date=dates)
    s = s[s["response_date"] < as_of].sort_values(["customer_id", "response_date"], kind="stable")
    return s.drop_duplicates("customer_id", keep="last").set_index("customer_id")


@keyword_only_since("as_of")
def loyalty_ladder(
    world_or_tables: World | Mapping[str, pd.DataFrame],
    *,
    as_of: DateLike | None = None,
    market_size: int | None = None,
    habitual_purchases: int = 4,
    exclusive_share: float = 70.0,
    exclusive_purchases: int = 12,
    promoter_min: int = PROMOTER_MIN,
    window_days: int = 365,
) -> LoyaltyLadder:
    """Place every registered person on the loyalty ladder at a date.

    Parameters
    ----------
    world_or_tables : World or dict
        Needs ``customers`` (``customer_id``, ``first_seen``, ``referred_by``) and
        ``transactions`` (``customer_id``, ``date``); uses the survey answers of ``survey_waves``
        (every wave) when present, else ``survey_responses`` (``response_date``, ``recommend``,
        ``share_of_wallet``).
    as_of : date-like, optional
        The first day not observed: only purchases, registrations and survey answers
        before it count. Default the day after the last transaction.
    market_size : int, optional
        People in the market; default the world's truth, if any. Gives the 'possible' rung.
    habitual_purchases, exclusive_share, exclusive_purchases : int, float, int
        Thresholds of the rules in :data:`LADDER_RULES` (defaults 4, 70.0, 12).
    promoter_min : int, default=PROMOTER_MIN (9)
        The lowest 0-10 recommendation answer that makes an advocate.
    window_days : int, default=365
        The window before ``as_of`` for habitual and exclusive buying and for the evidence
        of advocacy.

    Returns
    -------
    LoyaltyLadder
        ``rungs`` (one row per registered person), ``funnel`` (people per rung, the
        'possible' rung included when the market size is known, so the counts add up to
        the market) and the rules.

    Raises
    ------
    TypeError, ValueError
        Missing tables or columns, a bad date or threshold, a market smaller than the
        registered people.

    See Also
    --------
    ladder_transitions : who moved between two dates.
    fidelia_kit.plots.ladder_funnel

    Notes
    -----
    The rungs come from the source material's loyalty ladder (possible, potential,
    first-time buyer, occasional, habitual, exclusive, advocate); the rules that measure
    them are in :data:`LADDER_RULES`. Advocacy needs a survey answer, so before a survey
    is fielded nobody can be an advocate by answer: a ladder compared across the survey
    date shows moves to advocate that are the survey's, not the customers'.

    References
    ----------
    Christopher, M., Payne, A. & Ballantyne, D. (1991). Relationship Marketing.
    Butterworth-Heinemann. (The ladder of customer loyalty.)

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": [1, 2, 3], "first_seen": ["2024-01-01"] * 3,
    ...                           "referred_by": [None, None, None]})
    >>> tx = pd.DataFrame({"customer_id": [2, 3, 3, 3, 3], "date": ["2024-01-05", "2024-01-02", "2024-02-02",
    ...                                                              "2024-03-02", "2024-04-02"]})
    >>> survey = pd.DataFrame({"customer_id": [2], "response_date": ["2024-03-01"], "recommend": [10],
    ...                        "share_of_wallet": [50]})
    >>> lad = loyalty_ladder({"customers": customers, "transactions": tx, "survey_responses": survey},
    ...                      as_of="2024-05-01")
    >>> lad.rungs["rung"].astype(str).tolist()
    ['potential', 'advocate', 'habitual']
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
    promoter_min = check_int("promoter_min", promoter_min, 0, 10)
    window_days = check_int("window_days", window_days, 1, 36_500)
    dates = as_dates("transactions", "date", tx["date"])
    as_of = dates.max() + pd.Timedelta(days=1) if as_of is None else as_date("as_of", as_of)
    window_start = as_of - pd.Timedelta(days=window_days)
    if market_size is None and "market_size" in truth:
        market_size = int(truth["market_size"])

    first_seen = as_dates("customers", "first_seen", customers["first_seen"]).to_numpy()
    reg = customers[first_seen < as_of].assign(_first_seen=first_seen[first_seen < as_of])
    before = tx[dates.to_numpy() < as_of].assign(_day=dates[dates.to_numpy() < as_of].to_numpy())
    days = before.groupby("customer_id")["_day"].nunique()
    recent = before[before["_day"] >= window_start].groupby("customer_id")["_day"].nunique()
    people = pd.DataFrame(index=pd.Index(reg["customer_id"].to_numpy(), name="customer_id"))
    people["n_purchases"] = days.reindex(people.index).fillna(0).astype(int)
    people["n_purchases_365d"] = recent.reindex(people.index).fillna(0).astype(int)
    people["recommend"] = np.nan
    people["response_date"] = pd.NaT
    people["share_of_wallet"] = np.nan
    # every wave when the world has them (survey_waves: the first wave and the current questionnaire), so a
    # ladder at an earlier date has the answers given by then; else the current questionnaire
    survey = tables.get("survey_waves")
    if survey is None or not len(survey):
        survey = tables.get("survey_responses")
    if survey is not None and len(survey):
        s = _latest_answers(survey, as_of)
        people["recommend"] = s["recommend"].astype("float64").reindex(people.index)
        people["response_date"] = s["response_date"].reindex(people.index)
        people["share_of_wallet"] = s["share_of_wallet"].astype("float64").reindex(people.index)
    buyers = set(days.index)
    referred = reg.dropna(subset=["referred_by"])
    referred = referred[referred["customer_id"].isin(buyers) & (referred["_first_seen"] >= window_start)]
    people["referred_buyers"] = referred.groupby("referred_by").size().reindex(people.index).fillna(0).astype(int)

    bought = people["n_purchases"] >= 1
    habitual = people["n_purchases_365d"] >= habitual_purchases
    exclusive = habitual & np.where(people["share_of_wallet"].notna(), people["share_of_wallet"] >= exclusive_share,
                                    people["n_purchases_365d"] >= exclusive_purchases)
    promoter_now = (people["recommend"] >= promoter_min) & (people["response_date"] >= window_start)
    advocate = (people["n_purchases_365d"] >= 1) & (promoter_now | (people["referred_buyers"] > 0))
    rung = np.select([advocate, exclusive, habitual, people["n_purchases"] >= 2, bought],
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


def ladder_transitions(a: LoyaltyLadder, b: LoyaltyLadder, *, normalize: bool = False,
                       totals: bool = False) -> pd.DataFrame:
    """How people moved on the ladder between two dates: rows rung at ``a``, columns rung at ``b``.

    Parameters
    ----------
    a, b : LoyaltyLadder
        The ladder at an earlier and at a later date (:func:`loyalty_ladder`).
    normalize : bool, default=False
        Divide each row by its total (the share of a rung that moved to each rung).
    totals : bool, default=False
        Add a ``total`` row and column (counts only): the row totals are the ladder at
        ``a``, the column totals the ladder at ``b``, so the table reads against both funnels.

    Returns
    -------
    DataFrame
        Rungs x rungs: counts (or shares). Above the diagonal people moved up, below it down.
        Where both ladders know the market size, 'possible' to 'possible' counts the people
        of the market still not registered at ``b``, so the counts add up to the market as
        the funnels do; otherwise that cell is 0 and the table counts the people registered
        at ``b``.

    Raises
    ------
    TypeError
        ``a`` or ``b`` is not a LoyaltyLadder.
    ValueError
        ``a`` is later than ``b``.

    See Also
    --------
    loyalty_ladder

    Notes
    -----
    People registered only by the later date count as 'possible' at the earlier one. A move
    can come from the measurement, not the customer: a survey fielded between the two dates
    turns promoters into advocates who were not measurable before.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": [1, 2], "first_seen": ["2024-01-01", "2024-02-01"],
    ...                           "referred_by": [None, None]})
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": ["2024-01-05", "2024-03-01", "2024-03-02"]})
    >>> tables = {"customers": customers, "transactions": tx}
    >>> moves = ladder_transitions(loyalty_ladder(tables, as_of="2024-02-01"), loyalty_ladder(tables, as_of="2024-04-01"))
    >>> int(moves.loc["buyer", "occasional"]), int(moves.loc["possible", "buyer"])
    (1, 1)
    >>> t = ladder_transitions(loyalty_ladder(tables, as_of="2024-02-01", market_size=5),
    ...                        loyalty_ladder(tables, as_of="2024-04-01", market_size=5), totals=True)
    >>> int(t.loc["possible", "possible"]), int(t.loc["total", "total"])
    (3, 5)
    """
    if not isinstance(a, LoyaltyLadder) or not isinstance(b, LoyaltyLadder):
        raise TypeError("`a` and `b` must be results of loyalty_ladder().")
    if a.as_of > b.as_of:
        raise ValueError(f"`a` ({a.as_of.date()}) must not be later than `b` ({b.as_of.date()}).")
    if normalize and totals:
        raise ValueError("`totals` adds counts; it cannot be combined with `normalize=True`.")
    rungs = list(LADDER_RUNGS)
    before = a.rungs["rung"].reindex(b.rungs.index).astype(object).fillna("possible")
    after = b.rungs["rung"].astype(object)
    table = pd.crosstab(pd.Categorical(before, categories=rungs, ordered=True),
                        pd.Categorical(after, categories=rungs, ordered=True), dropna=False)
    if a.market_size is not None and a.market_size == b.market_size:
        table.loc["possible", "possible"] = b.market_size - len(b.rungs)
    table.index.name, table.columns.name = f"rung on {a.as_of.date()}", f"rung on {b.as_of.date()}"
    if normalize:
        table = table.div(table.sum(axis=1).replace(0, np.nan), axis=0)
    if totals:
        table.index, table.columns = table.index.astype(object), table.columns.astype(object)
        table["total"] = table.sum(axis=1)
        table.loc["total"] = table.sum(axis=0)
    return table


@dataclass(frozen=True, repr=False)
class LadderMoves(Result):
    """How people moved on the ladder between two dates, and how much of it the survey made.

    Attributes
    ----------
    transitions : DataFrame
        Rungs at ``a`` x rungs at ``b`` (counts), as :func:`ladder_transitions` gives.
    moved_up, moved_down, stayed : int
        People registered at both dates who moved up, moved down or stayed.
    entered : int
        People registered only by the later date.
    habitual_to_occasional : int
        People habitual or exclusive at ``a`` who are occasional at ``b`` (they stopped
        buying as often): the ladder's main demotion.
    new_advocates : int
        Advocates at ``b`` who were not at ``a``.
    new_advocates_by_answer : int
        Of these, the promoters whose answer was given between the two dates: they may
        have recommended us before; the survey only made it visible.
    answers_before, answers_between : int
        Registered people with a survey answer dated before ``a.as_of``, and with one
        dated in ``[a.as_of, b.as_of)``.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": [1, 2], "first_seen": ["2024-01-01"] * 2, "referred_by": [None] * 2})
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": ["2024-01-05", "2024-02-05", "2024-01-07"]})
    >>> survey = pd.DataFrame({"customer_id": [1], "response_date": ["2024-03-01"], "recommend": [10],
    ...                        "share_of_wallet": [40]})
    >>> t = {"customers": customers, "transactions": tx, "survey_responses": survey}
    >>> moves = ladder_moves(loyalty_ladder(t, as_of="2024-02-01"), loyalty_ladder(t, as_of="2024-04-01"))
    >>> moves.new_advocates, moves.new_advocates_by_answer, moves.answers_before
    (1, 1, 0)
    """

    transitions: pd.DataFrame
    moved_up: int
    moved_down: int
    stayed: int
    entered: int
    habitual_to_occasional: int
    new_advocates: int
    new_advocates_by_answer: int
    answers_before: int
    answers_between: int


def ladder_moves(a: LoyaltyLadder, b: LoyaltyLadder) -> LadderMoves:
    """Count the moves up and down the ladder between two dates, and those the survey made.

    Parameters
    ----------
    a, b : LoyaltyLadder
        The ladder at an earlier and at a later date.

    Returns
    -------
    LadderMoves
        Moves up, down, entrants, demotions from habitual to occasional, new advocates
        and how many of them came with a survey answer given between the dates.

    Raises
    ------
    TypeError, ValueError
        As :func:`ladder_transitions`.

    See Also
    --------
    ladder_transitions, loyalty_ladder

    Notes
    -----
    A rung is a measurement: 'advocate' needs an answer to the recommendation question
    (or a referral). Where no one had answered before ``a.as_of``, every promoter among
    the later answers moves to advocate between the two ladders, whether or not their
    attitude changed: compare ``new_advocates_by_answer`` with ``answers_before``.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": [1], "first_seen": ["2023-01-01"], "referred_by": [None]})
    >>> tx = pd.DataFrame({"customer_id": [1] * 5, "date": ["2023-01-05", "2023-03-05", "2023-05-05", "2023-07-05",
    ...                                                     "2023-09-05"]})
    >>> t = {"customers": customers, "transactions": tx}
    >>> moves = ladder_moves(loyalty_ladder(t, as_of="2023-10-01"), loyalty_ladder(t, as_of="2024-12-01"))
    >>> moves.moved_down, moves.habitual_to_occasional
    (1, 1)
    """
    table = ladder_transitions(a, b)
    rungs = list(LADDER_RUNGS)
    both = b.rungs.index.intersection(a.rungs.index)
    before = a.rungs.loc[both, "rung"].cat.codes.to_numpy()
    after = b.rungs.loc[both, "rung"].cat.codes.to_numpy()
    was = a.rungs["rung"].reindex(b.rungs.index).astype(object)
    now = b.rungs["rung"].astype(object)
    new_adv = (now == "advocate") & (was != "advocate")
    answered = b.rungs["response_date"]
    between = (answered >= a.as_of) & (answered < b.as_of)
    by_answer = new_adv & between & (b.rungs["recommend"] >= PROMOTER_MIN)
    answered_a = a.rungs["response_date"]
    return LadderMoves(
        transitions=table,
        moved_up=int((after > before).sum()), moved_down=int((after < before).sum()),
        stayed=int((after == before).sum()), entered=int(len(b.rungs.index.difference(a.rungs.index))),
        habitual_to_occasional=int(table.loc[rungs[4]:rungs[5], "occasional"].sum()),
        new_advocates=int(new_adv.sum()), new_advocates_by_answer=int(by_answer.sum()),
        answers_before=int(answered_a.notna().sum()), answers_between=int(between.sum()))
