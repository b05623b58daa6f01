"""The randomised retention campaign: who is at risk, who gets what, and what it does.

On the experiment day, customers with at least two purchase days whose last purchase
was 45-240 days ago are judged at risk and randomised to three equal arms. Without
contact a customer buys in the next 90 days with probability
``p0 = P(alive) * (1 - exp(-lambda * 90 days))``, straight from the BG/NBD latents.
A treatment changes that probability by the customer's own effect ``tau`` (clipped to
[-p0, 1 - p0]): a non-buyer is turned into a buyer with probability tau / (1 - p0),
or, when contact backfires, a buyer leaves for good with probability -tau / p0, so
that ``P(buy | treated) = p0 + tau`` exactly. The transactions table carries the
consequences: a reactivation purchase is added, a lost customer's later purchases
are removed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import ARMS, PROFILES
from .config import WorldConfig
from .people import People
from .purchases import CAMPAIGN, Lifetimes, Purchases, draw_purchase_details

__all__ = ["run_experiment", "true_effects"]

OUTCOME_DAYS = 90
EMAIL_COST, EMAIL_DISCOUNT, CALL_COST = 0.50, 0.15, 6.00


def true_effects(cfg: WorldConfig, people: People, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unclipped effects of the e-mail and of the call for customers ``idx``.

    Bargain hunters answer discounts and dislike calls; premium customers ignore
    discounts and value a call the more they spend. ``cfg.call_effect_spread`` scales the
    call's customer differences around their mean over ``idx``: the mean effect is the same
    for every spread, its standard deviation is proportional to it.
    """
    prof = people.profile[idx]
    is_ = {name: prof == i for i, name in enumerate(PROFILES)}
    spend_rank = np.argsort(np.argsort(-people.nu[idx])) / max(len(idx) - 1, 1)  # 0 low .. 1 high spend
    email = (cfg.email_effect + 0.12 * is_["bargain"] - 0.07 * is_["premium"]
             + 0.03 * is_["family"] - 0.02 * is_["convenience"])
    call = (cfg.call_effect + 0.20 * (spend_rank - 0.5) - 0.15 * is_["bargain"]
            + 0.05 * is_["convenience"])
    if len(idx):  # scaled around the mean; adding (1 - 1) x ... = 0 keeps the default world's bits
        call = call + (cfg.call_effect_spread - 1.0) * (call - call.mean())
    return email, call


def run_experiment(cfg: WorldConfig, people: People, purchases: Purchases, life: Lifetimes,
                   rng: np.random.Generator):
    """Randomise the at-risk customers, apply the effects, return (table, purchases, truth)."""
    d0 = cfg.experiment_day
    day = purchases.day
    pre = day < d0
    df = pd.DataFrame({"owner": purchases.owner[pre], "day": day[pre], "amount": purchases.amount[pre],
                       "digital": purchases.channel[pre] != 0, "disc": purchases.disc_rate[pre] > 0})
    g = df.groupby("owner", sort=True)
    feat = pd.DataFrame({
        "n_days": g["day"].nunique(),
        "last": g["day"].max(),
        "avg_basket": g["amount"].mean(),
        "digital_share": g["digital"].mean(),
        "discount_share": g["disc"].mean(),
    })
    recent = df[df["day"] >= d0 - 365].groupby("owner")
    feat["n_purchases_365d"] = recent["day"].nunique()
    feat["monetary_365d"] = recent["amount"].sum()
    feat["monetary_90d"] = df[df["day"] >= d0 - OUTCOME_DAYS].groupby("owner")["amount"].sum()
    feat = feat.fillna({"n_purchases_365d": 0, "monetary_365d": 0.0, "monetary_90d": 0.0})
    feat["days_since_last"] = d0 - feat["last"]
    at_risk = feat[(feat["n_days"] >= 2) & feat["days_since_last"].between(45, 240)]
    idx = at_risk.index.to_numpy()
    n = len(idx)

    arm = rng.permutation(np.arange(n) % len(ARMS))
    alive = ~(life.died[idx] & (life.death_time[idx] < d0))
    p0 = alive * (1 - np.exp(-people.lam[idx] / 7.0 * OUTCOME_DAYS))
    email, call = true_effects(cfg, people, idx)
    email = np.clip(email, -p0, 1 - p0)
    call = np.clip(call, -p0, 1 - p0)
    tau = np.select([arm == 1, arm == 2], [email, call], 0.0)

    window = (day >= d0) & (day < d0 + OUTCOME_DAYS)
    bought = np.zeros(people.n, dtype=bool)
    bought[purchases.owner[window]] = True
    y0 = bought[idx]
    v = rng.random(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = (~y0) & (tau > 0) & (v < tau / (1 - p0))
        loss = y0 & (tau < 0) & (v < -tau / p0)

    # consequences in the transactions: lost customers' later purchases go ...
    lost = np.zeros(people.n, dtype=bool)
    lost[idx[loss]] = True
    keep = ~(lost[purchases.owner] & (day >= d0))
    purchases = purchases.take(np.flatnonzero(keep))
    life.died[idx[loss]] = True
    life.death_time[idx[loss]] = float(d0)
    # ... and reactivated customers make one purchase in the window
    won = idx[gain]
    details = draw_purchase_details(cfg, people, won, rng)
    details["channel"] = np.where(arm[gain] == 1, 1, 0)  # e-mail -> online, call -> store
    extra = Purchases(owner=won, time=d0 + rng.random(len(won)) * OUTCOME_DAYS,
                      kind=np.full(len(won), CAMPAIGN), leaves=np.zeros(len(won), dtype=bool), **details)
    purchases = purchases.concat(extra).sorted()

    # the e-mail's 15% discount is used on the first purchase in the window
    day = purchases.day
    window = (day >= d0) & (day < d0 + OUTCOME_DAYS)
    arm_of = np.full(people.n, -1)
    arm_of[idx] = arm
    in_email = window & (arm_of[purchases.owner] == 1)
    first_in = in_email & ~np.r_[False, (purchases.owner[1:] == purchases.owner[:-1]) & in_email[:-1]]
    purchases.disc_rate = np.where(first_in, EMAIL_DISCOUNT, purchases.disc_rate)

    revenue = np.zeros(people.n)
    np.add.at(revenue, purchases.owner[window], purchases.amount[window])
    active = np.zeros(people.n, dtype=bool)
    active[purchases.owner[window]] = True
    # the contact's cost only: the discount is already out of revenue_90d (the amount paid), so
    # counting it in the cost as well would charge it twice
    cost = np.select([arm == 1, arm == 2], [EMAIL_COST, CALL_COST], 0.0)

    table = pd.DataFrame({
        "customer_id": idx + 1,
        "assigned_date": d0,
        "arm": np.array(ARMS)[arm],
        "days_since_last": at_risk["days_since_last"].to_numpy(),
        "n_purchases_365d": at_risk["n_purchases_365d"].to_numpy(),
        "monetary_365d": at_risk["monetary_365d"].round(2).to_numpy(),
        "monetary_90d": at_risk["monetary_90d"].round(2).to_numpy(),
        "avg_basket": at_risk["avg_basket"].round(2).to_numpy(),
        "digital_share": at_risk["digital_share"].round(4).to_numpy(),
        "discount_share": at_risk["discount_share"].round(4).to_numpy(),
        "tenure_days": d0 - people.first_day[idx],
        "active_90d": active[idx],
        "revenue_90d": revenue[idx].round(2),
        "cost": cost.round(2),
    })
    truth = {"idx": idx, "arm": arm, "p0": p0, "email": email, "call": call}
    return table, purchases, truth
