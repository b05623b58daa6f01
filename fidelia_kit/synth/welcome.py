"""The welcome contact: a randomised trial among prospects (card holders who did not buy).

A share ``prospect_share`` of the people who register for the card do not buy on the day
they register. Those whose registration leaves room for the whole trial in the window
(contact 7 days after registering, outcome over the 90 days from the contact) are
randomised to two equal arms: a welcome contact (a welcome message with a first-steps
guide, the *reaffirm* phase of the contact plan) or none. A prospect makes a first
purchase within those 90 days with probability ``WELCOME_BASE`` without the contact and
``WELCOME_BASE + welcome_effect`` with it, on a day drawn uniformly in the 90 days; from
that first purchase on, a converted prospect buys like every other buyer (BG/NBD). Other
prospects never buy in the window. The true effect is the same for everyone, so the
difference between the arms' conversion rates estimates it without bias.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import WorldConfig

__all__ = ["Welcome", "welcome_trial", "welcome_table", "welcome_truth", "WELCOME_ARMS", "WELCOME_BASE", "WELCOME_DELAY",
           "WELCOME_OUTCOME_DAYS"]

WELCOME_ARMS = ("control", "welcome")
WELCOME_BASE = 0.04          # P(first purchase within the 90 days | no contact)
WELCOME_DELAY = 7            # days from registration to the contact
WELCOME_OUTCOME_DAYS = 90    # days from the contact over which a first purchase counts


@dataclass
class Welcome:
    """The trial, per person (index i is customer_id i + 1)."""

    arm: np.ndarray             # -1 not in the trial (bought at registration, or registered too late), 0 control, 1 welcome
    converted: np.ndarray       # bool: a prospect who made a first purchase in the 90 days
    first_purchase: np.ndarray  # day of the first purchase: registration day for buyers, later for converts; -1 never


def welcome_trial(cfg: WorldConfig, first_day: np.ndarray, prospect: np.ndarray, rng: np.random.Generator) -> Welcome:
    """Randomise the prospects whose trial fits in the window, and draw who converts and when."""
    n = len(first_day)
    contact = first_day + WELCOME_DELAY
    idx = np.flatnonzero(prospect & (contact + WELCOME_OUTCOME_DAYS <= cfg.n_days))
    arm = np.full(n, -1, dtype=np.int64)
    arm[idx] = rng.permutation(np.arange(len(idx)) % len(WELCOME_ARMS))
    p = WELCOME_BASE + cfg.welcome_effect * (arm[idx] == 1)
    converts = idx[rng.random(len(idx)) < p]
    converted = np.zeros(n, dtype=bool)
    converted[converts] = True
    first_purchase = np.where(prospect, -1, first_day).astype(np.int64)
    first_purchase[converts] = contact[converts] + rng.integers(0, WELCOME_OUTCOME_DAYS, len(converts))
    return Welcome(arm=arm, converted=converted, first_purchase=first_purchase)


def welcome_table(welcome: Welcome, first_day: np.ndarray) -> pd.DataFrame:
    """The welcome_experiment table (contact_date as a day number from the window's start)."""
    idx = np.flatnonzero(welcome.arm >= 0)
    return pd.DataFrame({
        "customer_id": idx + 1,
        "contact_date": first_day[idx] + WELCOME_DELAY,
        "arm": np.array(WELCOME_ARMS)[welcome.arm[idx]],
        "first_purchase_90d": welcome.converted[idx],
    })


def welcome_truth(cfg: WorldConfig, welcome: Welcome) -> dict:
    """The trial's truth: the rule, the arms' sizes and true conversion probabilities, the effect."""
    arm = welcome.arm
    return {
        "design": "randomised, two equal arms, among prospects whose contact day + 90 days lies in the window",
        "contact_days_after_registration": WELCOME_DELAY,
        "outcome_days": WELCOME_OUTCOME_DAYS,
        "n": int((arm >= 0).sum()),
        "arm_sizes": {a: int((arm == i).sum()) for i, a in enumerate(WELCOME_ARMS)},
        "conversion_probability": {"control": WELCOME_BASE, "welcome": WELCOME_BASE + cfg.welcome_effect},
        "effect": cfg.welcome_effect,
        "scale": "probability of a first purchase within 90 days of the contact day (difference welcome - control)",
        "converted": {a: int((welcome.converted & (arm == i)).sum()) for i, a in enumerate(WELCOME_ARMS)},
    }
