"""Purchase timing (BG/NBD with staggered entry) and what each purchase looks like.

Each buyer makes a first purchase on the day they register (a prospect converted in the
welcome trial, on the day of conversion: see :mod:`.welcome`). While alive, repeat
purchases arrive as a Poisson process with rate lambda; after each repeat purchase
the customer leaves for good with probability p (Fader, Hardie & Lee 2005). So the
number of repeat purchases until leaving is geometric, J ~ Geom(p), and within the
window the customer makes min(K, J) repeat purchases, K ~ Poisson(lambda T), at the
first order statistics of K uniform times. Amounts are Gamma(p_spend, nu) draws
(the Gamma-Gamma model of Fader, Hardie & Lee 2005b), times (1 + the card tier's effect)
for a purchase made while silver or gold (:func:`apply_card_tiers`).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..schema import CARD_TIER_THRESHOLDS, PROFILES
from .config import WorldConfig
from .people import PROFILE_TRAITS, People

__all__ = ["Purchases", "simulate_purchases", "draw_purchase_details", "DISCOUNT_RATES",
           "apply_card_tiers", "tier_index", "trailing_spend", "SILVER", "GOLD", "TIER_DAYS"]

#: Card-tier thresholds (EUR of spend in the TIER_DAYS days before a purchase).
SILVER, GOLD = CARD_TIER_THRESHOLDS["silver"], CARD_TIER_THRESHOLDS["gold"]
TIER_DAYS = 365
DISCOUNT_RATES = np.array([0.10, 0.15, 0.20, 0.25, 0.30])
FIRST, REPEAT, CAMPAIGN = 0, 1, 2


@dataclass
class Purchases:
    """One entry per purchase (numpy arrays of equal length)."""

    owner: np.ndarray      # customer index (customer_id - 1)
    time: np.ndarray       # continuous time in days from the window's start
    kind: np.ndarray       # FIRST, REPEAT or CAMPAIGN
    leaves: np.ndarray     # the customer drops out right after this purchase
    amount: np.ndarray     # EUR, net of discount
    channel: np.ndarray    # index into SALES_CHANNELS
    payment: np.ndarray    # index into PAYMENT_METHODS
    disc_rate: np.ndarray  # discount rate on the list price (0 if none)

    @property
    def day(self) -> np.ndarray:
        return np.floor(self.time).astype(np.int64)

    def take(self, idx) -> "Purchases":
        return Purchases(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    def concat(self, other: "Purchases") -> "Purchases":
        return Purchases(**{f.name: np.concatenate([getattr(self, f.name), getattr(other, f.name)])
                            for f in fields(self)})

    def sorted(self) -> "Purchases":
        """In order of customer, then time."""
        return self.take(np.lexsort((self.time, self.owner)))


@dataclass
class Lifetimes:
    """Per buyer: when (if ever) they left in the window."""

    died: np.ndarray        # bool, over all people (False for prospects)
    death_time: np.ndarray  # day (float) of the purchase after which they left; NaN if alive


def simulate_purchases(cfg: WorldConfig, people: People, rng: np.random.Generator) -> tuple[Purchases, Lifetimes]:
    """Purchase times of every buyer in the window, by the BG/NBD story."""
    who = np.flatnonzero(people.buyer)
    f = people.welcome.first_purchase[who].astype(float)
    T = cfg.n_days - f                                   # days observed after the first purchase
    lam_day = people.lam[who] / 7.0
    K = rng.poisson(lam_day * T)                          # Poisson events if the customer never left
    J = rng.geometric(people.p[who])                      # repeat purchases until leaving
    n_rep = np.minimum(K, J)
    died = K >= J
    owner = np.repeat(np.arange(len(who)), K)
    u = rng.random(int(K.sum())) * T[owner]
    order = np.lexsort((u, owner))
    u = u[order]
    starts = np.cumsum(K) - K
    rank = np.arange(len(u)) - starts[owner]              # 0-based order within the customer
    keep = rank < n_rep[owner]
    r_owner, r_time, r_rank = owner[keep], f[owner[keep]] + u[keep], rank[keep] + 1
    leaves = died[r_owner] & (r_rank == J[r_owner])
    # One purchase a day per customer: a purchase falling on a day already taken moves to the
    # next free day (day_k = k + running max of floor(t_k) - k). Counts stay exactly BG/NBD;
    # times shift by a day or so, negligible beside the weeks between purchases.
    r_day = np.floor(r_time).astype(np.int64)
    shifted = r_rank + _group_cummax(r_day - r_rank, r_owner, f.astype(np.int64))
    r_time = shifted + (r_time - r_day)
    inside = shifted < cfg.n_days
    pushed_out_death = leaves & ~inside
    died[r_owner[pushed_out_death]] = False   # they leave after the window ends
    r_owner, r_time, r_rank, leaves = r_owner[inside], r_time[inside], r_rank[inside], leaves[inside]

    death_time = np.full(people.n, np.nan)
    death_time[who[r_owner[leaves]]] = r_time[leaves]
    died_all = np.zeros(people.n, dtype=bool)
    died_all[who] = died

    n_first = len(who)
    owner_all = np.concatenate([who, who[r_owner]])
    time_all = np.concatenate([f, r_time])
    kind = np.concatenate([np.full(n_first, FIRST), np.full(len(r_time), REPEAT)])
    leaves_all = np.concatenate([np.zeros(n_first, dtype=bool), leaves])
    details = draw_purchase_details(cfg, people, owner_all, rng)
    purchases = Purchases(owner=owner_all, time=time_all, kind=kind, leaves=leaves_all, **details).sorted()
    purchases.amount = apply_card_tiers(cfg, purchases.owner, purchases.day, purchases.amount)
    return purchases, Lifetimes(died=died_all, death_time=death_time)


def trailing_spend(owner: np.ndarray, day: np.ndarray, amount: np.ndarray, days: int = TIER_DAYS) -> np.ndarray:
    """Each purchase's customer's spend on the ``days`` days before its day (day - days .. day - 1).

    Rows sorted by customer, then day.
    """
    if len(owner) == 0:
        return np.zeros(0)
    big = int(day.max()) + days + 1                       # keys of two customers never overlap
    key = owner.astype(np.int64) * big + day.astype(np.int64)
    before = np.r_[0.0, np.cumsum(amount)]
    spend = before[np.searchsorted(key, key, side="left")] - before[np.searchsorted(key, key - days, side="left")]
    return np.round(spend, 2)  # amounts are in cents: a sum of exactly 400.00 must not read 399.9999999


def tier_index(spend: np.ndarray) -> np.ndarray:
    """The card tier (0 basic, 1 silver, 2 gold, as in CARD_TIERS) of each spend of the last TIER_DAYS days."""
    return np.where(spend >= GOLD, 2, np.where(spend >= SILVER, 1, 0))


def apply_card_tiers(cfg: WorldConfig, owner: np.ndarray, day: np.ndarray, base: np.ndarray) -> np.ndarray:
    """The amounts paid once the card tier's effect is applied (rows sorted by customer, then day).

    A purchase made while the customer's spend in the 365 days before it is >= SILVER (GOLD)
    is ``1 + cfg.tier_effect_silver`` (``gold``) times its drawn amount. The spend counts the
    amounts paid, which themselves carry the effect, so the tiers are found in rounds: each round
    recomputes the tiers from the last round's amounts; the k-th purchase of a customer is right
    from round k on (its tier depends on earlier purchases only), so the rounds reach the unique
    solution, in practice in a few rounds.
    """
    lift = np.array([1.0, 1.0 + cfg.tier_effect_silver, 1.0 + cfg.tier_effect_gold])
    amount = base
    for _ in range(len(base) + 1):
        spend = trailing_spend(owner, day, amount)
        tier = tier_index(spend)
        new = np.maximum(np.round(base * lift[tier], 2), 0.01)
        if np.array_equal(new, amount):
            break
        amount = new
    return amount


def _group_cummax(values: np.ndarray, group: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Running maximum of ``values`` within each group (rows sorted by group), starting from
    ``start[group]`` (the first purchase's day, rank 0)."""
    out = np.empty(len(values), dtype=np.int64)
    if len(values) == 0:
        return out
    # offset each group so that a single global running max cannot leak across groups
    big = int(max(np.abs(values).max(), np.abs(start).max()) + 1) * 2
    offset = group.astype(np.int64) * big
    running = np.maximum.accumulate(np.maximum(values, start[group]) + offset)
    return running - offset


def _choice_rows(rng, cum_probs_rows):
    """One categorical draw per row of cumulative probabilities."""
    u = rng.random(len(cum_probs_rows))
    return (u[:, None] >= cum_probs_rows[:, :-1]).sum(axis=1)


def draw_purchase_details(cfg: WorldConfig, people: People, owner: np.ndarray, rng: np.random.Generator) -> dict:
    """Amount, channel, payment and discount of purchases by the given customers."""
    traits = [PROFILE_TRAITS[name] for name in PROFILES]
    prof = people.profile[owner]
    amount = np.maximum(np.round(rng.gamma(cfg.spend_p, 1.0 / people.nu[owner]), 2), 0.01)
    channel = _choice_rows(rng, np.cumsum([t["channel"] for t in traits], axis=1)[prof])
    payment = _choice_rows(rng, np.cumsum([t["payment"] for t in traits], axis=1)[prof])
    has_disc = rng.random(len(owner)) < np.array([t["discount"] for t in traits])[prof]
    rate = DISCOUNT_RATES[rng.integers(0, len(DISCOUNT_RATES), len(owner))]
    return dict(amount=amount, channel=channel, payment=payment, disc_rate=np.where(has_disc, rate, 0.0))
