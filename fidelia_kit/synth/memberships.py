"""Fidelia Plus, the paid annual membership: contractual churn by the sBG model.

Each member has a yearly cancellation probability theta ~ Beta(alpha, beta) and, on
each anniversary, renews with probability 1 - theta (Fader & Hardie 2007, 'How to
project customer retention'). The membership predates the loyalty card, so cohorts
start before the window; members still in at the card's launch (or joining later)
are linked to a card holder.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .config import WorldConfig
from .people import People

__all__ = ["make_memberships"]


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def make_memberships(cfg: WorldConfig, people: People, rng: np.random.Generator) -> pd.DataFrame:
    """One row per member, with signup, renewals and cancellation up to the window's end."""
    first, last = cfg.membership_first_year, cfg.end.year
    per_cohort = int(round(cfg.membership_cohort_share * cfg.n_customers))
    cohorts = np.repeat(np.arange(first, last + 1), per_cohort)
    n = len(cohorts)
    day_of_year = rng.integers(0, 365, n)
    # The last cohort's year may end after the window (a window that does not end on
    # 31 December): its members sign up by the window's last day. Folding the draw
    # (rather than drawing again) keeps every world whose window ends in December as it was.
    years = np.arange(first, last + 1)
    open_days = np.array([min(365, (cfg.end - dt.date(int(y), 1, 1)).days + 1) for y in years], dtype=np.int64)
    day_of_year = day_of_year % open_days[cohorts - first]
    signup = [dt.date(int(y), 1, 1) + dt.timedelta(days=int(k)) for y, k in zip(cohorts, day_of_year)]
    theta = rng.beta(cfg.membership_alpha, cfg.membership_beta, n)
    lifetime = rng.geometric(theta) - 1                 # renewals before the first non-renewal
    end = cfg.end
    anniversaries = np.empty(n, dtype=np.int64)
    for i, s in enumerate(signup):
        years = end.year - s.year
        anniversaries[i] = years if _add_years(s, years) <= end else years - 1
    renewals = np.minimum(lifetime, anniversaries)
    cancelled = lifetime < anniversaries
    cancel_date = [(_add_years(s, int(r) + 1) if c else None) for s, r, c in zip(signup, renewals, cancelled)]
    table = pd.DataFrame({
        "member_id": np.arange(1, n + 1),
        "signup_date": pd.to_datetime(signup),
        "cohort": cohorts,
        "renewals": renewals,
        "cancelled": cancelled,
        "cancel_date": pd.to_datetime(cancel_date),
    })

    # link members present at the card's launch (or later) to distinct card holders:
    # early members took the card in the launch weeks, later ones after registering
    start = cfg.start
    present = np.array([(c is None or c > start) for c in cancel_date], dtype=bool)
    limit = np.maximum(np.array([(s - start).days for s in signup]), 56)
    buyers = np.flatnonzero(people.buyer)
    buyers = buyers[np.argsort(people.first_day[buyers], kind="stable")]
    n_eligible = np.searchsorted(people.first_day[buyers], limit, side="right")
    customer = np.full(n, -1, dtype=np.int64)
    taken = np.zeros(people.n, dtype=bool)
    todo = np.flatnonzero(present & (n_eligible > 0))
    for _ in range(20):  # a few rounds of random picks; clashes draw again
        if len(todo) == 0:
            break
        pick = buyers[np.floor(rng.random(len(todo)) * n_eligible[todo]).astype(np.int64)]
        first_pick = np.zeros(len(todo), dtype=bool)
        first_pick[np.unique(pick, return_index=True)[1]] = True
        ok = first_pick & ~taken[pick]
        customer[todo[ok]] = pick[ok]
        taken[pick[ok]] = True
        todo = todo[~ok]
    table.insert(1, "customer_id", pd.array(np.where(customer >= 0, customer + 1, 0), dtype="Int64"))
    table.loc[customer < 0, "customer_id"] = pd.NA
    return table
