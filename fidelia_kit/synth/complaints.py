"""Complaints and service recovery.

A complaint is about a repeat purchase. Customers who leave right after a purchase
complained about it far more often, and their complaints were handled worse: fewer
solved at the front line, passed through more hands, slower, more severe. Each
handling variable is drawn given whether the customer leaves, from Bernoulli and
Poisson laws:

- front-line resolution, with its own probability (``FRONT_LINE``);
- hand-offs, Poisson given front-line resolution (a case solved at the front line may
  still pass between colleagues; one that is escalated passes more often), times a
  factor for leavers (``HANDOFF_BASE``, ``HANDOFF_FACTOR``);
- days to resolve, 1 + Poisson given front-line resolution for stayers; for leavers the
  same law tilted by ``exp(DAYS_SLOPE * max(0, days - tolerance))`` (normalised), so
  up to the tolerance (``WorldConfig.complaint_tolerance_days``) the days are drawn
  alike for both and only beyond it do leavers' cases take longer.

So front-line resolution and hand-offs vary separately (each value of one occurs with
each of the other) and are two causes of leaving with separate effects. By Bayes' rule
the log-odds of leaving given the handling is exactly linear in ``resolved_front_line``,
``n_handoffs``, the severity dummies and ``max(0, days_to_resolve - tolerance)`` (the
days beyond the customer's tolerance: flat up to it, a hinge), with the slopes
:func:`defection_log_odds` returns; compensation is drawn independently of leaving (its
true slope is 0). The purchase-level leaving itself is the BG/NBD dropout, so
complaints leave the purchase process untouched.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import COMPLAINT_TYPES
from .config import WorldConfig
from .purchases import REPEAT, Purchases

__all__ = ["make_complaints", "defection_log_odds"]

FRONT_LINE = (0.75, 0.30)               # P(resolved at the front line | stays, leaves)
SEVERITY = ((0.55, 0.35, 0.10), (0.30, 0.40, 0.30))
DAYS_BASE = {True: 4.0, False: 5.0}     # mean extra days (Poisson), by front-line resolution
DAYS_SLOPE = float(np.log(1.8))         # log-odds of leaving per day beyond the tolerance
DAYS_MAX = 80                           # the days' laws are computed on 1..DAYS_MAX (the rest has mass < 1e-30)
HANDOFF_BASE = {True: 0.5, False: 1.5}  # mean hand-offs, by front-line resolution
HANDOFF_FACTOR = (1.0, 1.6)             # ... times this, for stays / leaves
TYPE_PROBS = (0.35, 0.20, 0.15, 0.15, 0.15)
STAY_WINDOW = 180


def _days_laws(tolerance: float) -> dict:
    """P(days = 1..DAYS_MAX | front-line resolution, leaves): Poisson for stayers, tilted beyond ``tolerance`` for leavers."""
    from scipy import stats

    d = np.arange(1, DAYS_MAX + 1)
    tilt = np.exp(DAYS_SLOPE * np.maximum(0.0, d - tolerance))
    laws = {}
    for front, base in DAYS_BASE.items():
        stay = stats.poisson.pmf(d - 1, base)
        stay /= stay.sum()
        leave = stay * tilt
        laws[front] = (stay, leave / leave.sum(), float(np.log((stay * tilt).sum())))
    return laws


def defection_log_odds(tolerance: float = 0.0) -> dict:
    """True slopes of the log-odds of leaving given how a complaint was handled.

    The log-odds of leaving right after the purchase complained about, given the handling
    and the customer's prior odds, is ``prior + const + sum(slope * variable)``; the
    slopes are the log-likelihood ratios of the handling laws (leavers against stayers):
    ``log(1.6)`` per hand-off, ``DAYS_SLOPE`` per day to resolve beyond ``tolerance``
    (``days_beyond_tolerance``, the slope of ``max(0, days_to_resolve - tolerance)``; up to
    the tolerance the days do not change the odds), and
    for front-line resolution the Bernoulli ratio plus the shifts of the days' and
    hand-offs' laws it brings.
    """
    h0, h1 = HANDOFF_FACTOR
    f0, f1 = FRONT_LINE
    b_hand = np.log(h1 / h0)
    laws = _days_laws(tolerance)
    # constant part of each Bayes term for front-line (1) and not (0) resolutions: minus the log of the
    # days' tilt normaliser and the hand-offs' Poisson mean shift
    c1 = np.log(f1 / f0) - laws[True][2] - HANDOFF_BASE[True] * (h1 - h0)
    c0 = np.log((1 - f1) / (1 - f0)) - laws[False][2] - HANDOFF_BASE[False] * (h1 - h0)
    sev = [np.log(SEVERITY[1][i] / SEVERITY[0][i]) for i in range(3)]
    return {
        "resolved_front_line": float(c1 - c0),
        "days_beyond_tolerance": float(DAYS_SLOPE),
        "n_handoffs": float(b_hand),
        "severity_2": float(sev[1] - sev[0]),
        "severity_3": float(sev[2] - sev[0]),
        "compensation": 0.0,
    }


def make_complaints(cfg: WorldConfig, purchases: Purchases, transaction_id: np.ndarray,
                    rng: np.random.Generator) -> pd.DataFrame:
    """Complaints about repeat purchases; ``purchases`` sorted by customer then time."""
    day = purchases.day
    rep = np.flatnonzero(purchases.kind == REPEAT)
    leaves = purchases.leaves[rep]
    rate = np.where(leaves, cfg.complaint_rate_leaving, cfg.complaint_rate_staying)
    pick = rng.random(len(rep)) < rate
    rows, leaves = rep[pick], leaves[pick]
    n = len(rows)
    L = leaves.astype(int)
    cdate = day[rows] + 1 + rng.poisson(2.0, n)
    front = rng.random(n) < np.array(FRONT_LINE)[L]
    sev_cum = np.cumsum(SEVERITY, axis=1)[L]
    severity = 1 + (rng.random(n)[:, None] >= sev_cum[:, :-1]).sum(axis=1)
    laws = _days_laws(cfg.complaint_tolerance_days)
    u_days = rng.random(n)
    days = np.empty(n, dtype=np.int64)
    for f in (True, False):
        for leave in (0, 1):
            m = (front == f) & (L == leave)
            cdf = np.cumsum(laws[f][leave])
            days[m] = 1 + np.minimum(np.searchsorted(cdf / cdf[-1], u_days[m], side="right"), DAYS_MAX - 1)
    handoffs = rng.poisson(np.where(front, HANDOFF_BASE[True], HANDOFF_BASE[False]) * np.array(HANDOFF_FACTOR)[L])
    gets = rng.random(n) < np.where(front, 0.5, 0.3)
    comp = np.where(gets, 5.0 * (1 + rng.poisson(np.where(front, 2.0, 3.0))), 0.0)
    ctype = np.searchsorted(np.cumsum(TYPE_PROBS), rng.random(n), side="right").clip(0, len(TYPE_PROBS) - 1)

    # did they buy again within 180 days? (unknown when the window ends first)
    # (purchases are sorted by customer and day, so one key orders them all)
    owner = purchases.owner
    later_day = np.full(n, np.iinfo(np.int64).max)
    pos = np.searchsorted(owner * (cfg.n_days + 400) + day, owner[rows] * (cfg.n_days + 400) + cdate, side="right")
    valid = (pos < len(owner)) & (owner[np.minimum(pos, len(owner) - 1)] == owner[rows])
    later_day[valid] = day[pos[valid]]
    stayed = pd.array(later_day <= cdate + STAY_WINDOW, dtype="boolean")
    stayed[cdate + STAY_WINDOW > cfg.n_days - 1] = pd.NA

    table = pd.DataFrame({
        "customer_id": owner[rows] + 1,
        "transaction_id": transaction_id[rows],
        "day": cdate,
        "type": np.array(COMPLAINT_TYPES)[ctype],
        "severity": severity,
        "days_to_resolve": days,
        "n_handoffs": handoffs,
        "resolved_front_line": front,
        "compensation": comp,
        "stayed_180d": stayed,
    })
    table = table[table["day"] < cfg.n_days]
    table = table.sort_values(["day", "customer_id", "transaction_id"], kind="stable").reset_index(drop=True)
    table.insert(0, "complaint_id", np.arange(1, len(table) + 1))
    return table
