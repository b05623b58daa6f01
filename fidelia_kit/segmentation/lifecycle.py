"""The contact plan's phases as lifecycle stages: each customer's phase from tenure and behaviour."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._validation import as_date, as_dates, check_frame, check_int, check_number
from ..contact import CONTACT_PHASES
from .rfm import rfm_table

if TYPE_CHECKING:
    from .._typing import DateLike


__all__ = ["LIFECYCLE_PHASES", "contact_phases"]

#: The phases :func:`contact_phases` assigns, in lifecycle order: the contact plan's three
#: (reaffirm, refresh, enrich) and, outside it, customers who have gone silent.
LIFECYCLE_PHASES = ("reaffirm", "refresh", "enrich", "reactivate")

_ACTIONS = {**CONTACT_PHASES.set_index("phase")["action"].to_dict(), "reactivate": "win back"}


def contact_phases(
    transactions: pd.DataFrame,
    *,
    as_of: DateLike | None = None,
    new_days: int = 90,
    lapsed_days: int = 180,
    loyal_purchases: int = 4,
    value_quantile: float = 0.5,
    window_days: int = 365,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str = "amount",
) -> pd.DataFrame:
    """Each customer's phase of the contact plan, from where they are in their relationship.

    Parameters
    ----------
    transactions : DataFrame
        One row per receipt, with ``customer_col``, ``date_col`` and ``value_col``.
    as_of : date-like, optional
        The first day not observed (exclusive); default the day after the last transaction.
    new_days : int, default=90
        A customer whose first purchase lies at most this many days before ``as_of`` is new.
    lapsed_days : int, default=180
        A customer silent for more than this many days has lapsed.
    loyal_purchases : int, default=4
        Purchase days in the window that make a customer loyal (the ladder's habitual rung).
    value_quantile : float, default=0.5
        A loyal customer is also valuable when their spend in the window is at least this
        quantile of the spend of the active (not lapsed) customers.
    window_days : int, default=365
        The window before ``as_of`` for loyalty and value.
    customer_col, date_col, value_col : str
        Columns of ``transactions``: customer id, purchase date, amount (EUR).

    Returns
    -------
    DataFrame
        Indexed by customer: ``tenure_days``, ``days_since_last``, ``n_purchases_365d``
        (purchase days in the window), ``monetary_365d`` (spend in the window, EUR),
        ``phase`` (ordered categorical, :data:`LIFECYCLE_PHASES`) and ``action``.

    Raises
    ------
    TypeError, ValueError
        Missing columns, bad dates or amounts, thresholds out of range (``lapsed_days``
        must exceed ``new_days``).

    See Also
    --------
    fidelia_kit.contact.CONTACT_PHASES : what each phase does.
    loyalty_ladder : the rungs, which the phases follow.

    Notes
    -----
    The first rule that holds gives the phase:

    1. **reaffirm** (welcome): ``tenure_days <= new_days``;
    2. **reactivate** (outside the three phases): ``days_since_last > lapsed_days``;
    3. **enrich** (member-get-member): ``n_purchases_365d >= loyal_purchases`` and
       ``monetary_365d`` at least the ``value_quantile`` of active customers' spend;
    4. **refresh** (cross-sell, up-grade, questionnaire): everyone else.

    The source material's phases follow a customer through time (welcome the new,
    refresh the relationship of the active, enrich the loyal and valuable), so they are
    read from each customer's history; behavioural clusters then say *what* to offer.

    Examples
    --------
    Customer 1 started a month ago; 2 buys monthly; 3 was last seen a year ago; 4 bought twice.

    >>> days = {1: ["2024-12-01"], 2: [f"2024-{m:02d}-10" for m in range(1, 13)], 3: ["2023-06-01", "2023-12-20"],
    ...         4: ["2024-03-01", "2024-10-01"]}
    >>> tx = pd.DataFrame([(c, d, 20.0) for c, ds in days.items() for d in ds], columns=["customer_id", "date", "amount"])
    >>> contact_phases(tx, as_of="2025-01-01")["phase"].astype(str).tolist()
    ['reaffirm', 'enrich', 'reactivate', 'refresh']
    """
    check_frame("transactions", transactions, [customer_col, date_col, value_col])
    new_days = check_int("new_days", new_days, 0, 36_500)
    lapsed_days = check_int("lapsed_days", lapsed_days, new_days + 1, 36_500)
    loyal_purchases = check_int("loyal_purchases", loyal_purchases, 1, 36_500)
    value_quantile = check_number("value_quantile", value_quantile, 0, 1)
    window_days = check_int("window_days", window_days, 1, 36_500)
    dates = as_dates("transactions", date_col, transactions[date_col].reset_index(drop=True))
    as_of = dates.max() + pd.Timedelta(days=1) if as_of is None else as_date("as_of", as_of)
    cols = {"customer_col": customer_col, "date_col": date_col, "value_col": value_col}
    every = rfm_table(transactions, as_of=as_of, **cols)
    in_window = (dates >= as_of - pd.Timedelta(days=window_days)).to_numpy()
    out = every[["tenure_days", "days_since_last"]].copy()
    out["n_purchases_365d"] = 0
    out["monetary_365d"] = 0.0
    if in_window.any():
        recent = rfm_table(transactions[in_window], as_of=as_of, **cols)
        out["n_purchases_365d"] = recent["n_purchases"].reindex(out.index).fillna(0).astype(int)
        out["monetary_365d"] = recent["monetary_total"].reindex(out.index).fillna(0.0)
    new = out["tenure_days"] <= new_days
    lapsed = ~new & (out["days_since_last"] > lapsed_days)
    active = ~lapsed
    bar = out.loc[active, "monetary_365d"].quantile(value_quantile) if active.any() else np.inf
    enrich = ~new & ~lapsed & (out["n_purchases_365d"] >= loyal_purchases) & (out["monetary_365d"] >= bar)
    phase = np.select([new, lapsed, enrich], ["reaffirm", "reactivate", "enrich"], "refresh")
    out["phase"] = pd.Categorical(phase, categories=list(LIFECYCLE_PHASES), ordered=True)
    out["action"] = out["phase"].astype(str).map(_ACTIONS)
    return out
