"""Current and future profitability: customer profit, value tiers and the Pareto curve."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._results import Result
from .._validation import as_amounts, check_frame, check_number

if TYPE_CHECKING:
    from ..clv.value import CustomerValue


__all__ = ["customer_profit", "future_value_proxy", "future_profit", "value_tiers", "ParetoResult", "pareto_curve"]

# --- profit and value tiers ------------------------------------------------------------------------

def customer_profit(transactions: pd.DataFrame, complaints: pd.DataFrame | None = None, *,
                    customer_col: str = "customer_id", value_col: str = "amount", margin_col: str = "gross_margin",
                    discount_col: str = "discount", points_col: str = "points_redeemed",
                    compensation_col: str = "compensation", handoffs_col: str = "n_handoffs",
                    point_value: float = 0.01, cost_per_complaint: float = 12.0,
                    cost_per_handoff: float = 6.0) -> pd.DataFrame:
    """What each customer earned the firm: revenue, margin, cost to serve and profit.

    Parameters
    ----------
    transactions : DataFrame
        One row per receipt, with the columns named below.
    complaints : DataFrame, optional
        One row per complaint, with ``customer_col``, ``compensation_col`` and ``handoffs_col``.
    customer_col : str, default="customer_id"
        Customer id column (in both tables).
    value_col, margin_col, discount_col, points_col : str
        Columns of ``transactions``: amount paid (EUR), gross margin net of discounts
        (EUR), discount given (EUR) and loyalty points redeemed.
    compensation_col, handoffs_col : str
        Columns of ``complaints``: compensation paid (EUR) and hand-offs between staff.
    point_value : float, default=0.01
        What one redeemed loyalty point costs the firm (EUR).
    cost_per_complaint, cost_per_handoff : float, default=12.0 and 6.0
        Cost of handling a complaint and of each hand-off (service contacts, EUR).

    Returns
    -------
    DataFrame
        Per customer: ``monetary_total`` (amount paid), ``gross_margin_list`` (margin at list
        price, before discounts), ``discounts``, ``points_cost``, ``compensation``,
        ``service_cost``, ``cost_to_serve`` (their sum) and
        ``profit = gross_margin_list - cost_to_serve``.

    Raises
    ------
    TypeError, ValueError
        Missing columns, non-numeric, missing or negative amounts (the margin may be
        negative), a bad cost.

    See Also
    --------
    value_tiers : current profit beside future value.
    fidelia_kit.clv.customer_value : what a customer will be worth.

    Notes
    -----
    .. math:: \\text{profit} = (\\text{margin} + \\text{discount}) - (\\text{discount} +
              \\text{points} \\times \\text{point value} + \\text{compensation} + \\text{service cost})

    ``gross_margin`` in the transactions is already net of discounts, so the list-price
    margin is ``gross_margin + discount`` and discounts are counted once, as a cost to
    serve. Customers who complained but never bought are kept (negative profit). This is
    *current* profitability, in the past; it says nothing about the future.

    References
    ----------
    Kaplan, R. S. & Narayanan, V. G. (2001). Measuring and managing customer profitability.
    Journal of Cost Management 15(5), 5-15.

    Examples
    --------
    One receipt of 50 EUR with 15 EUR margin after a 5 EUR discount and 100 points, and a
    complaint with 10 EUR compensation and one hand-off: profit = 20 - (5 + 1 + 10 + 18) = -14.

    >>> tx = pd.DataFrame({"customer_id": [1], "amount": [50.0], "gross_margin": [15.0],
    ...                    "discount": [5.0], "points_redeemed": [100]})
    >>> comp = pd.DataFrame({"customer_id": [1], "compensation": [10.0], "n_handoffs": [1]})
    >>> customer_profit(tx, comp).loc[1, ["monetary_total", "cost_to_serve", "profit"]].tolist()
    [50.0, 34.0, -14.0]
    """
    need = [customer_col, value_col, margin_col, discount_col, points_col]
    check_frame("transactions", transactions, need)
    for col in (value_col, discount_col, points_col):
        as_amounts("transactions", col, transactions[col])
    as_amounts("transactions", margin_col, transactions[margin_col], allow_negative=True)
    point_value = check_number("point_value", point_value, 0, 100)
    cost_per_complaint = check_number("cost_per_complaint", cost_per_complaint, 0, 1e6)
    cost_per_handoff = check_number("cost_per_handoff", cost_per_handoff, 0, 1e6)
    g = transactions.groupby(customer_col)
    out = pd.DataFrame({
        "monetary_total": g[value_col].sum(),
        "gross_margin_list": g[margin_col].sum() + g[discount_col].sum(),
        "discounts": g[discount_col].sum(),
        "points_cost": g[points_col].sum() * point_value,
    })
    comp = pd.DataFrame(columns=["compensation", "service_cost"], dtype=float)
    if complaints is not None:
        check_frame("complaints", complaints, [customer_col, compensation_col, handoffs_col])
        as_amounts("complaints", compensation_col, complaints[compensation_col])
        c = complaints.assign(_service=cost_per_complaint + cost_per_handoff * complaints[handoffs_col]).groupby(customer_col)
        comp = pd.DataFrame({"compensation": c[compensation_col].sum(), "service_cost": c["_service"].sum()})
    out = out.join(comp, how="outer").fillna(0.0)
    out["cost_to_serve"] = out[["discounts", "points_cost", "compensation", "service_cost"]].sum(axis=1)
    out["profit"] = out["gross_margin_list"] - out["cost_to_serve"]
    out.index.name = customer_col
    return out


def future_value_proxy(rfm: pd.DataFrame, profit: pd.Series, *, horizon_days: int = 365,
                       half_life_days: float = 120.0) -> pd.Series:
    """A simple forward-looking value when no CLV model is at hand.

    Parameters
    ----------
    rfm : DataFrame
        :func:`~fidelia_kit.segmentation.rfm_table`'s output (``days_since_last``, ``tenure_days``).
    profit : Series
        Profit per customer so far (e.g. ``customer_profit(...)["profit"]``).
    horizon_days : int, default=365
        Days the profit rate is projected over.
    half_life_days : float, default=120.0
        Silence after which a customer counts half.

    Returns
    -------
    Series
        ``future_value`` per customer of ``rfm`` (EUR, undiscounted).

    Raises
    ------
    ValueError
        Missing columns or a bad horizon or half-life.

    See Also
    --------
    fidelia_kit.clv.customer_value : the kit's model-based figure of future value; prefer it.

    Notes
    -----
    .. math:: \\text{proxy} = \\frac{\\text{profit}}{\\max(\\text{tenure}, 30)} \\times
              \\text{horizon} \\times 0.5^{\\text{days since last} / \\text{half life}}

    The customer's profit per day so far, projected over the horizon and discounted by how
    long they have been silent. It has no statistical model behind it (no margin rate, no
    discounting, no uncertainty); a CLV model (BG/NBD + Gamma-Gamma) is better.

    Examples
    --------
    365 EUR over a year, silent for one half-life: 365 / 365 x 365 x 0.5 = 182.5.

    >>> rfm = pd.DataFrame({"days_since_last": [120], "tenure_days": [365]}, index=[7])
    >>> future_value_proxy(rfm, pd.Series({7: 365.0})).tolist()
    [182.5]
    """
    check_frame("rfm", rfm, ["days_since_last", "tenure_days"])
    horizon_days = check_number("horizon_days", horizon_days, 1, 36_500)
    half_life_days = check_number("half_life_days", half_life_days, 1, 36_500)
    profit = profit.reindex(rfm.index)
    per_day = profit / np.maximum(rfm["tenure_days"], 30)
    return (per_day * horizon_days * 0.5 ** (rfm["days_since_last"] / half_life_days)).rename("future_value")


def future_profit(value: CustomerValue, profit_table: pd.DataFrame, rfm: pd.DataFrame) -> pd.Series:
    """Future profitability: the CLV (future margin) net of the customer's other costs to serve.

    Parameters
    ----------
    value : CustomerValue
        :func:`fidelia_kit.clv.customer_value`'s result; its table has ``clv``,
        ``expected_purchases``, ``expected_spend`` and ``margin_rate`` per customer.
    profit_table : DataFrame
        :func:`customer_profit`'s output (``cost_to_serve`` and ``discounts`` per customer).
    rfm : DataFrame
        :func:`~fidelia_kit.segmentation.rfm_table`'s output (``n_purchases``, purchase days),
        computed at the same ``as_of`` as ``value``.

    Returns
    -------
    Series
        ``future_profit`` per customer of ``rfm`` (EUR, discounted like the CLV); customers
        the CLV model has no row for get NaN.

    Raises
    ------
    TypeError, ValueError
        ``value`` without a ``table``, missing columns.

    See Also
    --------
    value_tiers : takes it as the future value, so the 'below zero' tier can be reached.
    fidelia_kit.clv.customer_value

    Notes
    -----
    The CLV counts gross margin only, so it is never negative; a customer who costs more
    to serve than they earn us has a negative future *profit*. The CLV's margin rate is
    gross margin over amount, and gross margin is already net of discounts, so discounts
    are in the CLV and are not charged again: each customer's cost to serve *other than
    discounts* per purchase day so far, ``c = (cost_to_serve - discounts) / n_purchases``
    (points, compensation, complaint handling), is charged on the purchases the model
    expects, discounted as the CLV discounts them:

    .. math:: FP_i = CLV_i - c_i \\, D_i, \\qquad D_i = \\frac{CLV_i}{\\bar m_i \\, E[z_i]}

    (``D`` is the discounted number of expected purchases; where the margin per purchase is
    0, the undiscounted ``expected_purchases`` is used, a slight overstatement of the cost).

    Examples
    --------
    A customer worth 30 EUR of discounted margin, at 40% margin on 25 EUR per purchase
    (D = 30 / 10 = 3 discounted purchases), who cost 12 EUR to serve over 4 purchase days,
    4 EUR of it discounts (already out of the margin): c = (12 - 4) / 4 = 2, so 30 - 2 x 3 = 24.

    >>> from types import SimpleNamespace
    >>> value = SimpleNamespace(table=pd.DataFrame({"clv": [30.0], "expected_purchases": [3.2],
    ...                                             "expected_spend": [25.0], "margin_rate": [0.4]}, index=[7]))
    >>> costs = pd.DataFrame({"cost_to_serve": [12.0], "discounts": [4.0]}, index=[7])
    >>> future_profit(value, costs, pd.DataFrame({"n_purchases": [4]}, index=[7])).tolist()
    [24.0]
    """
    table = getattr(value, "table", None)
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"`value` must be the result of fidelia_kit.clv.customer_value; got {type(value).__name__}.")
    check_frame("value.table", table, ["clv", "expected_purchases", "expected_spend", "margin_rate"])
    check_frame("profit_table", profit_table, ["cost_to_serve", "discounts"])
    check_frame("rfm", rfm, ["n_purchases"])
    t = table.reindex(rfm.index)
    per_purchase_margin = t["margin_rate"] * t["expected_spend"]
    discounted = np.where(per_purchase_margin > 0, t["clv"] / per_purchase_margin.where(per_purchase_margin > 0),
                          t["expected_purchases"])
    # discounts are already out of the CLV's margin (gross margin is net of them): charge the other costs only
    other_costs = (profit_table["cost_to_serve"] - profit_table["discounts"]).reindex(rfm.index).fillna(0.0)
    cost_per_day = other_costs / rfm["n_purchases"].clip(lower=1)
    return (t["clv"] - cost_per_day * discounted).rename("future_profit")


TIERS = ("high performance", "high potential", "maintain", "below zero")


def value_tiers(profit: pd.Series, future_value: pd.Series, *, top_share: float = 0.2,
                potential_share: float = 0.2, below: float = 0.0) -> pd.DataFrame:
    """Sort customers into the three value categories (and the rest).

    Parameters
    ----------
    profit : Series
        Current profitability per customer (e.g. ``customer_profit(...)["profit"]``).
    future_value : Series
        Future profitability per customer: :func:`future_profit` (the CLV net of the cost
        to serve), else :func:`future_value_proxy`. A bare CLV is never negative, so with it
        no one is 'below zero'.
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
        - **maintain**: everyone else (no category of the three).

    Raises
    ------
    TypeError, ValueError
        Not two Series, shares outside [0, 1], future value missing for a customer.

    See Also
    --------
    customer_profit : current profitability.
    fidelia_kit.clv.customer_value : future profitability (``.table["clv"]``).

    Notes
    -----
    The three value categories of the source material: current profitability ranks
    the high performers, future profitability the high potentials, and those whose past
    and future are both below ``below`` cost more than they bring. Ties are broken by
    order of appearance (``rank(method="first")``).

    Examples
    --------
    Five customers, top 20% by profit, then the top 20% by future value among the rest:

    >>> profit = pd.Series([100.0, 50.0, 20.0, -5.0, 0.0], index=list("abcde"))
    >>> future = pd.Series([80.0, 300.0, 10.0, -2.0, 5.0], index=list("abcde"))
    >>> value_tiers(profit, future)["tier"].tolist()
    ['high performance', 'high potential', 'maintain', 'below zero', 'maintain']
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

@dataclass(frozen=True, repr=False)
class ParetoResult(Result):
    """The concentration of value: curve, Gini coefficient and ABC classes.

    Attributes
    ----------
    curve : DataFrame
        ``share_customers`` and ``share_value`` (customers sorted by value, largest first),
        starting at (0, 0).
    gini : float
        Gini coefficient of the values.
    top20_share : float
        Share of the value brought by the largest 20% of customers (read off the curve).
    classes : Series
        ``"A"``, ``"B"`` or ``"C"`` per customer.
    summary : DataFrame
        Per class: ``customers``, ``value``, ``share_customers``, ``share_value``.

    Examples
    --------
    >>> res = pareto_curve(pd.Series([60.0, 20.0, 10.0, 10.0]))
    >>> res
    ParetoResult(curve=<DataFrame 5x2>, gini=0.4, top20_share=0.48, classes=<Series 4>, summary=<DataFrame 3x4>)
    >>> res.to_frame()["class"].tolist()
    ['A', 'B', 'C']
    """

    curve: pd.DataFrame
    gini: float
    top20_share: float
    classes: pd.Series
    summary: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The per-class summary, one row per class (``class, customers, value, share_customers, share_value``)."""
        out = self.summary.copy()
        out.index.name = "class"
        return out.reset_index()


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
        The curve, Gini, the top 20%'s share, ABC classes and their summary.

    Raises
    ------
    ValueError
        Values that are missing or not numbers, none at all, or a total of 0 or less;
        ``a``/``b`` outside [0, 1] or ``b < a``.

    See Also
    --------
    fidelia_kit.plots.pareto_plot

    Notes
    -----
    Gini = sum_i sum_j |x_i - x_j| / (2 n^2 mean(x)), computed as
    ``(2 sum_i i x_(i)) / (n sum x) - (n + 1) / n`` with values sorted ascending and
    ``i = 1..n``: 0 when everyone brings the same, approaching 1 when one customer brings
    everything. With negative values it can exceed 1.

    References
    ----------
    Gini, C. (1912). Variabilita e mutabilita. Bologna: Cuppini.

    Examples
    --------
    Values 60, 20, 10, 10: Gini = 2 (1x10 + 2x10 + 3x20 + 4x60) / (4 x 100) - 5/4 = 0.4;
    A holds 60 and 20 (the second takes the total from 60% to 80%, crossing the line), B the
    two 10s (they start at 80% and 90%, below 95%), C no one.

    >>> res = pareto_curve(pd.Series([60.0, 20.0, 10.0, 10.0], index=list("wxyz")))
    >>> round(res.gini, 3), res.classes.tolist()
    (0.4, ['A', 'A', 'B', 'B'])
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
    summary["customers"] = summary["customers"].astype(int)
    top20 = float(np.interp(0.2, curve["share_customers"], curve["share_value"]))
    return ParetoResult(curve=curve, gini=gini, top20_share=top20, classes=classes, summary=summary)


