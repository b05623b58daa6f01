"""The contact plan: the three phases of keeping in touch with a customer, and member-get-member.

The source material's plan has three phases: welcome the new customer, refresh the
relationship of the active one, and enrich (reaffirm) the loyal one, and it asks the best
customers to bring others (member-get-member).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._validation import check_frame, check_number

__all__ = ["CONTACT_PHASES", "contact_plan", "referral_programme"]


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


def referral_programme(customers: pd.DataFrame, transactions: pd.DataFrame, *, reward: float = 10.0,
                       margin: float = 0.3, value_col: str = "amount") -> pd.DataFrame:
    """What the member-get-member programme cost and brought.

    Each referral that led to a purchase paid ``reward`` to both sides (2 x reward). Compares
    referred customers with customers acquired otherwise: how many, revenue and margin per
    customer so far, and the programme's return: (margin x revenue of referred customers -
    rewards) / rewards. (Some referred customers might have come anyway; the comparison with
    other channels is descriptive, not causal.)
    """
    check_frame("customers", customers, ["customer_id", "acquisition_channel", "referred_by"])
    check_frame("transactions", transactions, ["customer_id", value_col])
    reward = check_number("reward", reward, 0, 1e6)
    margin = check_number("margin", margin, 0, 1)
    spend = transactions.groupby("customer_id")[value_col].sum()
    c = customers.assign(revenue=customers["customer_id"].map(spend).fillna(0.0), bought=customers["customer_id"].isin(spend.index))
    c["referred"] = c["referred_by"].notna()
    rows = []
    for referred, part in c.groupby("referred"):
        buyers = part[part["bought"]]
        rows.append({"group": "referred" if referred else "other channels", "customers": len(part),
                     "buyers": len(buyers), "revenue_per_buyer": buyers["revenue"].mean() if len(buyers) else np.nan,
                     "margin_per_buyer": margin * buyers["revenue"].mean() if len(buyers) else np.nan})
    out = pd.DataFrame(rows).set_index("group")
    referred_buyers = c[c["referred"] & c["bought"]]
    cost = 2 * reward * len(referred_buyers)
    brought = margin * referred_buyers["revenue"].sum()
    out.attrs.update(rewards_paid=cost, margin_brought=brought, roi=(brought - cost) / cost if cost else np.nan,
                     referrers=int(c["referred_by"].nunique()))
    return out
