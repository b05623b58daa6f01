"""One place for per-customer measures: the column vocabulary and the function that computes it.

Every per-customer column of the kit has one name and one meaning, listed in :data:`FEATURES`
(name -> unit, meaning, where it is computed). :func:`customer_features` computes the
behavioural ones from the transaction log once, as seen at the start of the day ``as_of``
(exclusive: purchases on or after it are ignored); the DuckDB view ``customer_360`` of
:func:`fidelia_kit.io.warehouse` uses the same names with the same meanings, and
``datasets/README.md`` documents them in its "Derived columns" section, generated from
:data:`FEATURES` by :func:`features_dictionary` (a test keeps it current).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._validation import as_date, as_dates, check_frame

if TYPE_CHECKING:
    import pandas as pd

    from ._typing import DateLike

__all__ = ["Feature", "FEATURES", "customer_features", "features_dictionary"]


@dataclass(frozen=True)
class Feature:
    """One per-customer measure of the kit's vocabulary.

    Parameters
    ----------
    unit : str
        Its unit (``"EUR"``, ``"days"``, ``"share"``, ``"count"``, ...).
    meaning : str
        What it measures, precisely enough to recompute it.
    source : str
        The function that computes it (``"customer_features"``, ``"clv.summarize_transactions"``,
        ``"clv.customer_value"``).

    Examples
    --------
    >>> FEATURES["n_purchases"].unit
    'count'
    >>> FEATURES["clv"].source
    'clv.customer_value'
    """

    unit: str
    meaning: str
    source: str = "customer_features"


_BTYD = "clv.summarize_transactions"
_CLV = "clv.customer_value"

#: The per-customer column vocabulary: name -> :class:`Feature` (unit, meaning, source).
#: Dates ``as_of`` are exclusive: the first day not observed.
FEATURES: dict[str, Feature] = {
    "n_receipts": Feature("count", "Receipts (rows of transactions) before as_of."),
    "n_purchases": Feature("count", "Distinct purchase days before as_of: two receipts on one day count once."),
    "n_purchases_90d": Feature("count", "Distinct purchase days in the 90 days before as_of (as_of - 90 to as_of - 1)."),
    "n_purchases_prev_90d": Feature("count", "Distinct purchase days 90 to 180 days before as_of "
                                             "(as_of - 180 to as_of - 91)."),
    "n_purchases_365d": Feature("count", "Distinct purchase days in the 365 days before as_of."),
    "monetary_total": Feature("EUR", "Sum of amount over the receipts before as_of."),
    "monetary_90d": Feature("EUR", "Sum of amount in the 90 days before as_of."),
    "monetary_365d": Feature("EUR", "Sum of amount in the 365 days before as_of."),
    "monetary_mean": Feature("EUR", "monetary_total / n_purchases: spend per purchase day."),
    "avg_basket": Feature("EUR", "Mean amount per receipt (monetary_total / n_receipts)."),
    "margin_total": Feature("EUR", "Sum of gross_margin over the receipts before as_of."),
    "days_since_last": Feature("days", "Days from the last purchase day to as_of (1 = bought the day before)."),
    "tenure_days": Feature("days", "Days from the first purchase day to as_of."),
    "first_purchase": Feature("date", "Day of the first purchase."),
    "last_purchase": Feature("date", "Day of the last purchase before as_of."),
    "online_share": Feature("share", "Share of receipts with channel 'online' (the web shop only, not the app)."),
    "app_share": Feature("share", "Share of receipts with channel 'app'."),
    "digital_share": Feature("share", "Share of receipts not made in a store: online_share + app_share."),
    "discount_share": Feature("share", "Share of receipts with a discount > 0."),
    "cash_share": Feature("share", "Share of receipts paid in cash."),
    "mobile_share": Feature("share", "Share of receipts paid by mobile."),
    "items_per_basket": Feature("units", "Mean n_items per receipt."),
    "mean_gap_days": Feature("days", "Mean days between purchase days: (last_purchase - first_purchase) / "
                                     "(n_purchases - 1); tenure_days (at least 1) for a one-day buyer."),
    "overdue": Feature("ratio", "days_since_last / max(mean_gap_days, 1): above 1, the next purchase is late."),
    "trend": Feature("count", "n_purchases_90d - n_purchases_prev_90d: negative when the customer slows down."),
    "complaints": Feature("count", "Complaints made before as_of."),
    "referrals": Feature("count", "Customers registered before as_of whose referred_by is this customer."),
    "points_balance": Feature("points", "Sum of points_earned - sum of points_redeemed before as_of."),
    "frequency": Feature("periods", "BTYD: repeat purchase periods (the first purchase is not counted).", _BTYD),
    "recency": Feature("periods", "BTYD: periods from the first to the last purchase.", _BTYD),
    "T": Feature("periods", "BTYD: periods from the first purchase to the end of observation.", _BTYD),
    "monetary_value": Feature("EUR", "BTYD: mean spend per repeat period (0 without repeats).", _BTYD),
    "clv": Feature("EUR", "Customer lifetime value: discounted expected margin over the horizon stated.", _CLV),
    "p_alive": Feature("probability", "Probability that the customer is still active at as_of.", _CLV),
    "expected_purchases": Feature("count", "Expected purchases (purchase days) over the CLV horizon.", _CLV),
    "expected_spend": Feature("EUR", "Gamma-Gamma expected amount per purchase.", _CLV),
    "margin_rate": Feature("share", "The customer's own margin_total / monetary_total to date, which turns spend "
                                    "into margin.", _CLV),
}

# columns of the transactions table each optional feature needs
_NEEDS = {"margin_total": "gross_margin", "online_share": "channel", "app_share": "channel",
          "digital_share": "channel", "discount_share": "discount", "cash_share": "payment_method",
          "mobile_share": "payment_method", "items_per_basket": "n_items", "points_balance": "points_earned"}
_COUNTS = ("n_receipts", "n_purchases", "n_purchases_90d", "n_purchases_prev_90d", "n_purchases_365d", "trend",
           "complaints", "referrals", "points_balance")
_ZERO_SUMS = ("monetary_total", "monetary_90d", "monetary_365d", "margin_total")


def _check_columns(name: str, df, columns) -> None:
    """``df`` must be a DataFrame with ``columns``; unlike ``check_frame`` it may have no rows (no complaints)."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`{name}` must be a pandas DataFrame; got {type(df).__name__}.")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"`{name}` has no column(s) {missing}; it has {list(df.columns)}.")


def _distinct_days(days: pd.DataFrame, customer_col: str, low, high) -> pd.Series:
    """Distinct purchase days per customer with ``low <= day < high``."""
    inside = days[(days["_day"] >= low) & (days["_day"] < high)]
    return inside.groupby(customer_col).size()


def customer_features(transactions: pd.DataFrame, *, as_of: DateLike | None = None, items: pd.DataFrame | None = None,
                      complaints: pd.DataFrame | None = None, customers: pd.DataFrame | None = None,
                      customer_col: str = "customer_id", date_col: str = "date",
                      value_col: str = "amount") -> pd.DataFrame:
    """Every behavioural measure of :data:`FEATURES`, one row per customer, as seen at ``as_of``.

    Parameters
    ----------
    transactions : DataFrame
        One row per receipt, with ``customer_col``, ``date_col`` and ``value_col``. The
        columns ``gross_margin``, ``channel``, ``payment_method``, ``discount``, ``n_items``,
        ``points_earned``/``points_redeemed`` and ``transaction_id`` of the kit's schema add
        the measures that need them when present.
    as_of : date-like, optional
        The first day not observed (exclusive): receipts, complaints and registrations on or
        after it are ignored. Default: the day after the last receipt.
    items : DataFrame, optional
        Basket lines (``transaction_id``, ``category``, ``amount``): adds ``cat_<category>``,
        the share of the customer's spend in each category.
    complaints : DataFrame, optional
        Adds ``complaints`` (``customer_col`` and ``date`` columns).
    customers : DataFrame, optional
        Adds ``referrals`` (``customer_col``, ``first_seen``, ``referred_by``) and one row
        for every customer registered before ``as_of``, buyers or not: counts and sums are 0
        for those who never bought, means, shares and dates missing.
    customer_col, date_col, value_col : str
        Column names of ``transactions`` (and of ``customer_col`` in the other tables).

    Returns
    -------
    DataFrame
        Indexed by ``customer_col`` (sorted), the columns of :data:`FEATURES` whose source is
        ``"customer_features"`` and whose inputs were given, in that order, then ``cat_*``.

    Raises
    ------
    TypeError, ValueError
        A table that is not a DataFrame or lacks a column (named), dates that are not
        dates, no receipts before ``as_of``.

    See Also
    --------
    fidelia_kit.segmentation.rfm_table : days_since_last, n_purchases, monetary totals and tenure.
    fidelia_kit.clv.customer_value : clv and p_alive.
    fidelia_kit.io.warehouse : the same measures in SQL (the ``customer_360`` view).

    Notes
    -----
    ``days_since_last``, ``n_purchases``, ``monetary_total``, ``monetary_mean``,
    ``tenure_days``, ``first_purchase`` and ``last_purchase`` come from
    :func:`fidelia_kit.segmentation.rfm_table`. The windows are half-open day ranges that
    end at ``as_of``: ``n_purchases_90d`` counts purchase days ``d`` with
    ``as_of - 90 <= d < as_of``, ``n_purchases_prev_90d`` those with
    ``as_of - 180 <= d < as_of - 90``.

    .. math:: \\text{overdue} = \\frac{\\text{days\\_since\\_last}}{\\max(\\text{mean\\_gap\\_days}, 1)}

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "amount": [10.0, 5.0, 30.0, 8.0],
    ...                    "date": ["2024-01-01", "2024-01-01", "2024-01-11", "2024-01-05"],
    ...                    "channel": ["store", "online", "app", "store"]})
    >>> f = customer_features(tx, as_of="2024-01-21")
    >>> f[["n_receipts", "n_purchases", "monetary_total", "avg_basket"]]
                 n_receipts  n_purchases  monetary_total  avg_basket
    customer_id
    1                     3            2            45.0        15.0
    2                     1            1             8.0         8.0
    >>> f["days_since_last"].tolist(), f["tenure_days"].tolist()
    ([10, 16], [20, 16])
    >>> f[["online_share", "app_share", "digital_share"]].round(3)
                 online_share  app_share  digital_share
    customer_id
    1                   0.333      0.333          0.667
    2                   0.000      0.000          0.000
    >>> f[["mean_gap_days", "overdue"]]
                 mean_gap_days  overdue
    customer_id
    1                     10.0      1.0
    2                     16.0      1.0
    """
    import numpy as np
    import pandas as pd

    from .segmentation.rfm import rfm_table

    check_frame("transactions", transactions, [customer_col, date_col, value_col])
    tx = transactions.reset_index(drop=True)
    tx = tx.assign(_day=as_dates("transactions", date_col, tx[date_col]))
    day = pd.Timedelta(days=1)
    as_of = tx["_day"].max() + day if as_of is None else as_date("as_of", as_of)
    rfm = rfm_table(transactions, as_of=as_of, customer_col=customer_col, date_col=date_col, value_col=value_col)
    tx = tx[tx["_day"] < as_of]
    g = tx.groupby(customer_col)
    out = pd.DataFrame(index=rfm.index)
    out["n_receipts"] = g.size()
    out["n_purchases"] = rfm["n_purchases"]
    days = tx.drop_duplicates([customer_col, "_day"])
    out["n_purchases_90d"] = _distinct_days(days, customer_col, as_of - 90 * day, as_of)
    out["n_purchases_prev_90d"] = _distinct_days(days, customer_col, as_of - 180 * day, as_of - 90 * day)
    out["n_purchases_365d"] = _distinct_days(days, customer_col, as_of - 365 * day, as_of)
    out["monetary_total"] = rfm["monetary_total"]
    amount = tx[value_col].astype(float)
    out["monetary_90d"] = amount[tx["_day"] >= as_of - 90 * day].groupby(tx[customer_col]).sum()
    out["monetary_365d"] = amount[tx["_day"] >= as_of - 365 * day].groupby(tx[customer_col]).sum()
    out["monetary_mean"] = rfm["monetary_mean"]
    out["avg_basket"] = g[value_col].mean()
    cols = set(tx.columns)
    if "gross_margin" in cols:
        out["margin_total"] = g["gross_margin"].sum()
    for col in ("days_since_last", "tenure_days", "first_purchase", "last_purchase"):
        out[col] = rfm[col]

    def share(name, flag):
        out[name] = flag.astype(float).groupby(tx[customer_col]).mean()

    if "channel" in cols:
        share("online_share", tx["channel"] == "online")
        share("app_share", tx["channel"] == "app")
        share("digital_share", tx["channel"] != "store")
    if "discount" in cols:
        share("discount_share", tx["discount"] > 0)
    if "payment_method" in cols:
        share("cash_share", tx["payment_method"] == "cash")
        share("mobile_share", tx["payment_method"] == "mobile")
    if "n_items" in cols:
        out["items_per_basket"] = g["n_items"].mean()
    n = out["n_purchases"].astype(float)
    gap = (out["last_purchase"] - out["first_purchase"]).dt.days / np.maximum(n - 1, 1)
    out["mean_gap_days"] = np.where(n > 1, gap, out["tenure_days"].clip(lower=1)).astype(float)
    out["overdue"] = out["days_since_last"] / out["mean_gap_days"].clip(lower=1)
    out[["n_purchases_90d", "n_purchases_prev_90d", "n_purchases_365d"]] = (
        out[["n_purchases_90d", "n_purchases_prev_90d", "n_purchases_365d"]].fillna(0))
    out["trend"] = out["n_purchases_90d"] - out["n_purchases_prev_90d"]
    if complaints is not None:
        _check_columns("complaints", complaints, [customer_col, "date"])
        when = as_dates("complaints", "date", complaints["date"].reset_index(drop=True))
        ids = complaints[customer_col].reset_index(drop=True)
        out["complaints"] = ids[(when < as_of).to_numpy()].value_counts()
    if "points_earned" in cols and "points_redeemed" in cols:
        out["points_balance"] = g["points_earned"].sum() - g["points_redeemed"].sum()
    if customers is not None:
        _check_columns("customers", customers, [customer_col, "first_seen", "referred_by"])
        seen = as_dates("customers", "first_seen", customers["first_seen"].reset_index(drop=True))
        registered = customers.reset_index(drop=True)[(seen < as_of).to_numpy()]
        referrer = registered["referred_by"].dropna().astype("int64")
        out["referrals"] = referrer.value_counts()
        out = out.reindex(pd.Index(np.union1d(out.index, registered[customer_col]), name=customer_col))
    for col in _COUNTS + _ZERO_SUMS:
        if col in out:
            out[col] = out[col].fillna(0)
    for col in _COUNTS:
        if col in out:
            out[col] = out[col].astype("int64")
    if items is not None:
        _check_columns("items", items, ["transaction_id", "category", "amount"])
        _check_columns("transactions", transactions, ["transaction_id"])
        owner = tx.set_index("transaction_id")[customer_col]
        lines = items[items["transaction_id"].isin(owner.index)]
        lines = lines.assign(**{customer_col: owner.reindex(lines["transaction_id"]).to_numpy()})
        mix = lines.pivot_table(index=customer_col, columns="category", values="amount", aggfunc="sum",
                                fill_value=0.0)
        mix = mix.div(mix.sum(axis=1), axis=0).add_prefix("cat_")
        mix.columns.name = None
        out = out.join(mix, how="left")
    order = [c for c in FEATURES if c in out] + [c for c in out if c not in FEATURES]
    return out[order]


def features_dictionary() -> str:
    """The "Derived columns" table of ``datasets/README.md`` as Markdown, from :data:`FEATURES`.

    ``datasets/README.md`` embeds this text between the markers ``<!-- features:start -->``
    and ``<!-- features:end -->`` (a test keeps it current), as it embeds
    :func:`fidelia_kit.schema.data_dictionary` for the raw tables.

    Returns
    -------
    str
        A Markdown table: column, unit, meaning, computed by.

    Examples
    --------
    >>> print(features_dictionary().splitlines()[0])
    | column | unit | meaning | computed by |
    """
    lines = ["| column | unit | meaning | computed by |", "| --- | --- | --- | --- |"]
    for name, f in FEATURES.items():
        lines.append(f"| `{name}` | {f.unit} | {f.meaning} | `{f.source}` |")
    return "\n".join(lines) + "\n"
