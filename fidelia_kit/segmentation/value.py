"""Current and future profitability: customer profit, value tiers and the Pareto curve."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import as_amounts, check_frame, check_number

__all__ = ["customer_profit", "future_value_proxy", "value_tiers", "ParetoResult", "pareto_curve"]

# --- profit and value tiers ------------------------------------------------------------------------

def customer_profit(transactions: pd.DataFrame, complaints: pd.DataFrame | None = None, *,
                    customer_col: str = "customer_id", point_value: float = 0.01,
                    cost_per_complaint: float = 12.0, cost_per_handoff: float = 6.0) -> pd.DataFrame:
    """What each customer earned the firm: revenue, margin, cost to serve and profit.

    Parameters
    ----------
    transactions : DataFrame
        With ``amount``, ``gross_margin``, ``discount`` and ``points_redeemed``.
    complaints : DataFrame, optional
        With ``compensation`` and ``n_handoffs``.
    point_value : float, default=0.01
        What one redeemed loyalty point costs the firm (EUR).
    cost_per_complaint, cost_per_handoff : float
        Cost of handling a complaint and of each hand-off (service contacts, EUR).

    Returns
    -------
    DataFrame
        Per customer: ``revenue`` (amount paid), ``gross_margin_list`` (margin at list
        price, before discounts), ``discounts``, ``points_cost``, ``compensation``,
        ``service_cost``, ``cost_to_serve`` (their sum) and
        ``profit = gross_margin_list - cost_to_serve``.

    Notes
    -----
    ``gross_margin`` in the transactions is already net of discounts, so the list-price
    margin is ``gross_margin + discount`` and discounts are counted once, as a cost to
    serve. Customers who complained but never bought are kept (negative profit).
    """
    need = [customer_col, "amount", "gross_margin", "discount", "points_redeemed"]
    check_frame("transactions", transactions, need)
    for col in ("amount", "discount", "points_redeemed"):
        as_amounts("transactions", col, transactions[col])
    as_amounts("transactions", "gross_margin", transactions["gross_margin"], allow_negative=True)
    point_value = check_number("point_value", point_value, 0, 100)
    g = transactions.groupby(customer_col)
    out = pd.DataFrame({
        "revenue": g["amount"].sum(),
        "gross_margin_list": g["gross_margin"].sum() + g["discount"].sum(),
        "discounts": g["discount"].sum(),
        "points_cost": g["points_redeemed"].sum() * point_value,
    })
    comp = pd.DataFrame(columns=["compensation", "service_cost"], dtype=float)
    if complaints is not None:
        check_frame("complaints", complaints, [customer_col, "compensation", "n_handoffs"])
        as_amounts("complaints", "compensation", complaints["compensation"])
        c = complaints.assign(service=cost_per_complaint + cost_per_handoff * complaints["n_handoffs"]).groupby(customer_col)
        comp = pd.DataFrame({"compensation": c["compensation"].sum(), "service_cost": c["service"].sum()})
    out = out.join(comp, how="outer").fillna(0.0)
    out["cost_to_serve"] = out[["discounts", "points_cost", "compensation", "service_cost"]].sum(axis=1)
    out["profit"] = out["gross_margin_list"] - out["cost_to_serve"]
    out.index.name = customer_col
    return out


def future_value_proxy(rfm: pd.DataFrame, profit: pd.Series, *, horizon_days: int = 365,
                       half_life_days: float = 120.0) -> pd.Series:
    """A simple forward-looking value when no CLV model is at hand.

    ``proxy = (profit / tenure_days) * horizon_days * 0.5 ** (days_since_last / half_life_days)``:
    the customer's profit per day so far, projected over the horizon and discounted by
    how long they have been silent (a customer silent for one half-life counts half).
    It has no statistical model behind it; a CLV model (BG/NBD + Gamma-Gamma) is better.
    """
    check_frame("rfm", rfm, ["days_since_last", "tenure_days"])
    profit = profit.reindex(rfm.index)
    per_day = profit / np.maximum(rfm["tenure_days"], 30)
    return (per_day * horizon_days * 0.5 ** (rfm["days_since_last"] / half_life_days)).rename("future_value")


TIERS = ("high performance", "high potential", "maintain", "below zero")


def value_tiers(profit: pd.Series, future_value: pd.Series, *, top_share: float = 0.2,
                potential_share: float = 0.2, below: float = 0.0) -> pd.DataFrame:
    """Sort customers into the three value categories (and the rest).

    Parameters
    ----------
    profit : Series
        Current profitability per customer (e.g. ``customer_profit(...)["profit"]``).
    future_value : Series
        Future profitability per customer: CLV when a model is fitted, else
        :func:`future_value_proxy`.
    top_share : float, default=0.2
        Share of customers, by current profit, who are 'high performance'.
    potential_share : float, default=0.2
        Share of customers, by future value, among whom the others are 'high potential'.
    below : float, default=0.0
        Customers whose profit and future value both fall below this are 'below zero'.

    Returns
    -------
    DataFrame
        ``profit``, ``future_value`` and ``tier``, an ordered categorical:

        - **high performance** (retain at all cost): profit in the top ``top_share``;
        - **high potential** (develop with cross-selling and up-selling): not high
          performance, future value in the top ``potential_share``;
        - **below zero** (cost more than they bring): profit < ``below`` and future
          value < ``below``;
        - **maintain**: everyone else.
    """
    top_share = check_number("top_share", top_share, 0, 1)
    potential_share = check_number("potential_share", potential_share, 0, 1)
    if not isinstance(profit, pd.Series) or not isinstance(future_value, pd.Series):
        raise TypeError("`profit` and `future_value` must be pandas Series indexed by customer.")
    df = pd.DataFrame({"profit": profit, "future_value": future_value.reindex(profit.index)})
    if df.isna().any().any():
        raise ValueError(f"`future_value` is missing for {int(df['future_value'].isna().sum())} customer(s) of `profit`.")
    n = len(df)
    top = df["profit"].rank(method="first", ascending=False) <= round(top_share * n)
    potential = ~top & (df["future_value"].rank(method="first", ascending=False) <= round(potential_share * n))
    zero = ~top & ~potential & (df["profit"] < below) & (df["future_value"] < below)
    tier = np.select([top, potential, zero], list(TIERS[:2]) + [TIERS[3]], TIERS[2])
    df["tier"] = pd.Categorical(tier, categories=list(TIERS), ordered=True)
    return df


# --- Pareto ----------------------------------------------------------------------------------------

@dataclass
class ParetoResult:
    """The concentration of value: curve, Gini coefficient and ABC classes."""

    curve: pd.DataFrame     # share_customers, share_value (customers sorted by value, largest first)
    gini: float
    classes: pd.Series      # 'A', 'B' or 'C' per customer
    summary: pd.DataFrame   # per class: customers, value, shares


def pareto_curve(values: pd.Series, *, a: float = 0.8, b: float = 0.95) -> ParetoResult:
    """Cumulative share of value by share of customers, the Gini coefficient and ABC classes.

    Parameters
    ----------
    values : Series
        Value per customer (revenue, profit, ...). Negative values are allowed: the curve
        then rises above 100% and falls back (the 'whale curve' of profitability).
    a, b : float, default 0.8 and 0.95
        Class A holds the largest customers that together make the first ``a`` of the
        value (the customer who crosses the line included), B those up to ``b``, C the rest.

    Returns
    -------
    ParetoResult

    Notes
    -----
    Gini = sum_i sum_j |x_i - x_j| / (2 n^2 mean(x)), computed as
    ``(2 sum_i i x_(i)) / (n sum x) - (n + 1) / n`` with values sorted ascending and
    ``i = 1..n``: 0 when everyone brings the same, approaching 1 when one customer brings
    everything. With negative values it can exceed 1.
    """
    if not isinstance(values, pd.Series):
        values = pd.Series(values)
    v = as_amounts("values", values.name or "values", values, allow_negative=True)
    if len(v) == 0:
        raise ValueError("`values` is empty.")
    total = v.sum()
    if total <= 0:
        raise ValueError(f"`values` must add up to more than 0; they add up to {total:g}.")
    a = check_number("a", a, 0, 1)
    b = check_number("b", b, a, 1)
    n = len(v)
    order = np.argsort(-v.to_numpy(), kind="stable")
    cum = np.cumsum(v.to_numpy()[order]) / total
    curve = pd.DataFrame({"share_customers": np.r_[0, np.arange(1, n + 1) / n], "share_value": np.r_[0, cum]})
    x = np.sort(v.to_numpy())
    gini = float(2 * np.sum(np.arange(1, n + 1) * x) / (n * x.sum()) - (n + 1) / n)
    before = np.r_[0, cum[:-1]]  # share reached before each customer
    cls = np.where(before < a, "A", np.where(before < b, "B", "C"))
    classes = pd.Series(index=values.index[order], data=cls, name="abc").reindex(values.index)
    summary = pd.DataFrame({"customers": classes.value_counts(), "value": v.groupby(classes.to_numpy()).sum()})
    summary = summary.reindex(["A", "B", "C"]).fillna(0)
    summary["share_customers"] = summary["customers"] / n
    summary["share_value"] = summary["value"] / total
    return ParetoResult(curve=curve, gini=gini, classes=classes, summary=summary)


