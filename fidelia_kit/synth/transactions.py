"""The transactions and transaction_items tables: receipts, basket lines, margins, points."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import CATEGORIES, PAYMENT_METHODS, PROFILES, SALES_CHANNELS
from .people import PROFILE_TRAITS, People
from .purchases import Purchases

__all__ = ["make_transactions", "CATEGORY_MARGIN", "POINTS_BLOCK"]

#: Gross margin rate on the list price, by category.
CATEGORY_MARGIN = dict(zip(CATEGORIES, (0.22, 0.30, 0.35, 0.50, 0.45, 0.18, 0.40, 0.38)))
POINTS_BLOCK = 500
MAX_LINES = 8


def _draw_categories(affinity: np.ndarray, owner: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One category per line from its customer's affinities (column by column, to spare memory)."""
    u = rng.random(len(owner))
    cum = np.zeros(len(owner))
    category = np.zeros(len(owner), dtype=np.int64)
    for k in range(affinity.shape[1] - 1):
        cum += affinity[owner, k]
        category += u >= cum
    return category


def make_transactions(people: People, purchases: Purchases, rng: np.random.Generator):
    """Build (transactions, items, transaction_id per purchase) from the purchases.

    ``purchases`` is sorted by customer then time; receipts are numbered by date.
    """
    n = len(purchases.owner)
    day = purchases.day
    by_date = np.lexsort((purchases.time, purchases.owner, day))
    tid = np.empty(n, dtype=np.int64)
    tid[by_date] = np.arange(1, n + 1)

    # basket lines: categories from the customer's affinities, amounts split in cents
    traits = [PROFILE_TRAITS[name] for name in PROFILES]
    prof = people.profile[purchases.owner]
    cents = np.rint(purchases.amount * 100).astype(np.int64)
    n_lines = 1 + rng.poisson(np.array([t["extra_lines"] for t in traits])[prof])
    n_lines = np.minimum(np.minimum(n_lines, MAX_LINES), cents)
    line_of = np.repeat(np.arange(n), n_lines)
    starts = np.cumsum(n_lines) - n_lines
    line_no = np.arange(len(line_of)) - starts[line_of] + 1
    category = _draw_categories(people.affinity, purchases.owner[line_of], rng)
    quantity = 1 + rng.poisson(np.array([t["extra_qty"] for t in traits])[prof][line_of])
    w = rng.gamma(2.0, 1.0, len(line_of))
    wsum = np.bincount(line_of, weights=w, minlength=n)
    spare = cents - n_lines                              # every line gets at least one cent
    line_cents = 1 + np.floor(w / wsum[line_of] * spare[line_of]).astype(np.int64)
    rest = cents - np.bincount(line_of, weights=line_cents, minlength=n).astype(np.int64)
    # the remainder goes to each receipt's largest line (first one on ties)
    order = np.lexsort((line_no, -line_cents, line_of))
    first = order[np.r_[True, line_of[order][1:] != line_of[order][:-1]]]
    line_cents[first] += rest
    main = category[first]

    rate = purchases.disc_rate[line_of]
    margin_rate = np.array(list(CATEGORY_MARGIN.values()))[category]
    line_amount = line_cents / 100
    line_margin = line_amount - line_amount / (1 - rate) * (1 - margin_rate)
    gross_margin = np.bincount(line_of, weights=line_margin, minlength=n)
    n_items = np.bincount(line_of, weights=quantity, minlength=n).astype(np.int64)
    discount = purchases.amount / (1 - purchases.disc_rate) - purchases.amount

    # points: one per whole euro; redeemers cash each block of 500 at the next visit
    earned = np.floor(purchases.amount + 1e-9).astype(np.int64)
    cum = np.cumsum(earned)
    new_cust = np.r_[True, purchases.owner[1:] != purchases.owner[:-1]]
    base = np.maximum.accumulate(np.where(new_cust, cum - earned, 0))
    before = cum - earned - base                          # earned before this purchase, per customer
    blocks = before // POINTS_BLOCK
    prev = np.r_[0, blocks[:-1]]
    prev[new_cust] = 0
    redeemed = np.where(people.redeemer[purchases.owner], (blocks - prev) * POINTS_BLOCK, 0)

    tx = pd.DataFrame({
        "transaction_id": tid,
        "customer_id": purchases.owner + 1,
        "day": day,
        "amount": purchases.amount,
        "gross_margin": np.round(gross_margin, 2),
        "n_items": n_items,
        "main_category": np.array(CATEGORIES)[main],
        "channel": np.array(SALES_CHANNELS)[purchases.channel],
        "payment_method": np.array(PAYMENT_METHODS)[purchases.payment],
        "discount": np.round(discount, 2),
        "points_earned": earned,
        "points_redeemed": redeemed,
    }).iloc[by_date].reset_index(drop=True)
    items = pd.DataFrame({
        "transaction_id": tid[line_of],
        "line": line_no,
        "category": np.array(CATEGORIES)[category],
        "quantity": quantity,
        "amount": line_amount,
    }).sort_values(["transaction_id", "line"], kind="stable").reset_index(drop=True)
    return tx, items, tid
