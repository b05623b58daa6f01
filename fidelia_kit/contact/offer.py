"""The next-best offer: which category to offer each customer, on which channel, or no contact.

Learned on the cross-sell offers whose category and channel were drawn at random
(:class:`NextBestOffer`), turned into a decision by expected profit (:func:`choose_offers`),
and set beside two plans a firm would otherwise run: one offer for everyone
(:func:`uniform_offer`) and its own affinity rule (:func:`rule_offers`). On a synthetic world
the plans are scored on the true response model (:func:`compare_offer_plans`). What a
purchase in a category is worth comes from the receipts (:func:`offer_values`).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._estimator import ParamsMixin, clone
from .._results import Result
from .._validation import DEFAULT_RNG, as_amounts, as_rng, check_ci, check_frame, check_int, check_number, seed_from
from ..exceptions import NotFittedError
from .response import _responses

if TYPE_CHECKING:
    from .._typing import RNGLike

__all__ = ["offer_values", "offer_grid", "offer_probabilities", "NextBestOffer", "choose_offers", "uniform_offer", "rule_offers",
           "OfferComparison", "compare_offer_plans", "contact_profit", "PlanDifference", "profit_difference",
           "refit_difference"]

NO_CONTACT = "no contact"


def offer_values(transactions: pd.DataFrame, items: pd.DataFrame, *, discount: float = 0.0,
                 transaction_col: str = "transaction_id", category_col: str = "category", value_col: str = "amount",
                 margin_col: str = "gross_margin", discount_col: str = "discount") -> pd.DataFrame:
    """What a purchase in each category is worth: its margin rate, its usual amount, their product.

    Parameters
    ----------
    transactions : DataFrame
        One row per receipt, with ``transaction_col`` and ``margin_col`` (gross margin, EUR)
        and, when present, ``discount_col`` (the discount given, EUR).
    items : DataFrame
        One row per receipt line, with ``transaction_col``, ``category_col`` and ``value_col``.
    discount : float, default=0.0
        The offer's discount as a share of the purchase (0.10 for 10 % off): it comes off the
        margin of the purchase the offer brings.
    transaction_col, category_col, value_col, margin_col, discount_col : str
        Column names.

    Returns
    -------
    DataFrame
        Indexed by category: ``receipts`` (receipts holding it), ``amount_per_purchase`` (mean
        spend in the category on a receipt that holds it, EUR), ``margin_rate`` (gross margin
        per euro of the category's sales) and ``value_per_purchase``
        ``= amount_per_purchase x (margin_rate - discount)`` (EUR).

    Raises
    ------
    ValueError
        Missing columns, negative amounts, a ``discount`` outside [0, 1], no receipt without a
        discount to read the margins from.

    See Also
    --------
    choose_offers : uses ``value_per_purchase`` to decide whom to contact.

    Notes
    -----
    Receipts record their margin, lines do not. On receipts without a discount the margin is
    a sum over categories, :math:`m_t = \\sum_c \\mu_c a_{tc}`, with :math:`a_{tc}` the
    receipt's spend in category :math:`c`; least squares over those receipts gives the rates
    :math:`\\mu_c` (exact when every category keeps one margin rate).

    Examples
    --------
    >>> tx = pd.DataFrame({"transaction_id": [1, 2, 3], "gross_margin": [5.0, 3.0, 13.0], "discount": 0.0})
    >>> items = pd.DataFrame({"transaction_id": [1, 2, 3, 3], "category": ["toys", "food", "toys", "food"],
    ...                       "amount": [10.0, 10.0, 20.0, 10.0]})
    >>> offer_values(tx, items, discount=0.1).round(3)
              receipts  amount_per_purchase  margin_rate  value_per_purchase
    category
    food             2                 10.0          0.3                 2.0
    toys             2                 15.0          0.5                 6.0
    """
    check_frame("transactions", transactions, [transaction_col, margin_col])
    check_frame("items", items, [transaction_col, category_col, value_col])
    discount = check_number("discount", discount, 0.0, 1.0)
    amount = as_amounts("items", value_col, items[value_col].reset_index(drop=True))
    lines = pd.DataFrame({"t": items[transaction_col].to_numpy(), "c": items[category_col].astype(str).to_numpy(),
                          "a": amount.to_numpy()})
    spend = lines.pivot_table(index="t", columns="c", values="a", aggfunc="sum", fill_value=0.0)
    margin = pd.Series(as_amounts("transactions", margin_col, transactions[margin_col].reset_index(drop=True),
                                  allow_negative=True).to_numpy(), index=transactions[transaction_col].to_numpy())
    plain = spend.index.isin(margin.index)
    if discount_col in transactions.columns:
        given = pd.Series(transactions[discount_col].to_numpy(dtype=float), index=transactions[transaction_col].to_numpy())
        plain &= spend.index.isin(given.index[given == 0])
    if not plain.any():
        raise ValueError("`transactions` has no receipt without a discount whose lines are in `items`; the margin "
                         "rates cannot be read.")
    rates, *_ = np.linalg.lstsq(spend[plain].to_numpy(), margin.loc[spend.index[plain]].to_numpy(), rcond=None)
    held = spend > 0
    out = pd.DataFrame({"receipts": held.sum().astype(int), "amount_per_purchase": spend.where(held).mean(),
                        "margin_rate": rates}, index=spend.columns)
    out.index.name = "category"
    out["value_per_purchase"] = out["amount_per_purchase"] * (out["margin_rate"] - discount)
    return out


def offer_grid(score: Callable[[str, str], Any], *, categories: Sequence[str], channels: Sequence[str]) -> pd.DataFrame:
    """Every customer's probability of buying for every (category, channel) offer, in one frame.

    Parameters
    ----------
    score : callable
        ``score(category, channel)`` returns a Series of probabilities indexed by customer,
        e.g. a fitted :meth:`NextBestOffer.predict_proba` or the world's true response model.
    categories, channels : sequence of str
        The offers to score.

    Returns
    -------
    DataFrame
        One row per customer, one column per offer (a ``(category, channel)`` MultiIndex).

    Raises
    ------
    ValueError
        No category or channel, a score outside [0, 1], scores on different customers.

    Examples
    --------
    >>> grid = offer_grid(lambda cat, ch: pd.Series([0.1, 0.2], index=[7, 8]) * (2 if ch == "sms" else 1),
    ...                   categories=["food"], channels=["email", "sms"])
    >>> grid.loc[8].tolist()
    [0.2, 0.4]
    """
    categories, channels = list(categories), list(channels)
    if not categories or not channels:
        raise ValueError("`categories` and `channels` must each name at least one offer.")
    columns, index = {}, None
    for cat in categories:
        for ch in channels:
            p = pd.Series(score(cat, ch))
            if index is None:
                index = p.index
            elif not p.index.equals(index):
                raise ValueError(f"`score` returned other customers for ({cat!r}, {ch!r}) than for the first offer.")
            if ((p < 0) | (p > 1) | p.isna()).any():
                raise ValueError(f"`score` returned values outside [0, 1] for ({cat!r}, {ch!r}).")
            columns[(cat, ch)] = p.to_numpy(dtype=float)
    grid = pd.DataFrame(columns, index=index)
    grid.columns = pd.MultiIndex.from_tuples(grid.columns, names=["category", "channel"])
    return grid


def offer_probabilities(offers: pd.DataFrame, grid: pd.DataFrame, *, fatigue: float = 0.0,
                        customer_col: str = "customer_id", category_col: str = "category", channel_col: str = "channel",
                        recent_col: str | None = "recent_contacts") -> pd.Series:
    """Each offer's probability of a purchase, read from a grid of probabilities per customer and offer.

    Parameters
    ----------
    offers : DataFrame
        One row per offer, with ``customer_col``, ``category_col``, ``channel_col`` and (unless
        None) ``recent_col``.
    grid : DataFrame
        Probabilities with no recent contact, one row per customer, one column per
        ``(category, channel)`` (:func:`offer_grid`, e.g. of the world's true response model).
    fatigue : float, default=0.0
        Change in the log-odds per recent contact (the truth file's ``fatigue_per_contact``);
        the grid's probability is moved by ``fatigue x recent`` on the log-odds scale.
    customer_col, category_col, channel_col : str
        Columns of ``offers``.
    recent_col : str or None, default="recent_contacts"
        Contacts in the days before each offer; None: no fatigue.

    Returns
    -------
    Series
        Aligned with ``offers``.

    Raises
    ------
    ValueError
        Missing columns, an offer whose customer or (category, channel) the grid lacks.

    Examples
    --------
    >>> grid = pd.DataFrame({("food", "sms"): [0.5, 0.2]}, index=[1, 2])
    >>> grid.columns = pd.MultiIndex.from_tuples(grid.columns)
    >>> offers = pd.DataFrame({"customer_id": [1, 1, 2], "category": "food", "channel": "sms",
    ...                        "recent_contacts": [0, 1, 0]})
    >>> offer_probabilities(offers, grid, fatigue=np.log(0.5)).round(4).tolist()
    [0.5, 0.3333, 0.2]
    """
    check_frame("offers", offers, [customer_col, category_col, channel_col] + ([recent_col] if recent_col else []))
    fatigue = check_number("fatigue", fatigue, -100.0, 100.0)
    rows = grid.index.get_indexer(offers[customer_col])
    cols = grid.columns.get_indexer(pd.MultiIndex.from_arrays([offers[category_col], offers[channel_col]]))
    if (rows < 0).any() or (cols < 0).any():
        raise ValueError(f"`grid` has no probability for {int(((rows < 0) | (cols < 0)).sum())} of the offers (their "
                         "customer or their (category, channel) is not in it).")
    p = grid.to_numpy(dtype=float)[rows, cols]
    if recent_col is not None and fatigue:
        recent = as_amounts("offers", recent_col, offers[recent_col].reset_index(drop=True)).to_numpy()
        with np.errstate(divide="ignore"):
            p = 1 / (1 + np.exp(-(np.log(p) - np.log1p(-p) + fatigue * recent)))
    return pd.Series(p, index=offers.index, name="probability")


class NextBestOffer(ParamsMixin):
    """The probability that a customer buys the offered category, per category and channel.

    Parameters
    ----------
    estimator : scikit-learn classifier, optional
        Default: a logistic regression on standardized columns with an L2 penalty
        (``C=0.1``). The design matrix holds the customer's features, the offer's category and
        channel dummies, the recent contacts, the offered category's past share of spend, and
        and (with ``interactions``) every feature times every channel dummy.
    interactions : bool, default=False
        Add every feature times every channel dummy to the design, so a channel can suit some
        customers better than others.
    share_prefix : str, default="cat_"
        Columns ``share_prefix + category`` of the features, when present, give the customer's
        past share of spend in each category; the offered category's share enters as its own
        feature, ``offered_share`` (a customer's affinity for what is offered).
    rng : int, Generator or None, default=0
        Seeds the estimator (``random_state``).

    Attributes
    ----------
    model_ : classifier
        The fitted estimator.
    categories_, channels_ : list of str
        The offers seen in ``fit``.
    feature_names_ : list of str
        The columns of the design matrix.
    n_offers_ : int
        Offers the model learned from.
    base_rate_ : float
        Share of those offers that were bought.

    See Also
    --------
    choose_offers : the decision from the probabilities.

    Notes
    -----
    Fit it on offers whose content was drawn at random. Offers a rule chose go to the
    customers the rule expects to buy: their response rate mixes the effect of the offer with
    who received it, and a model of them learns the rule, not the customers.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 3000
    >>> feats = pd.DataFrame({"cat_a": rng.random(n)}, index=pd.RangeIndex(1, n + 1, name="customer_id"))
    >>> feats["cat_b"] = 1 - feats["cat_a"]
    >>> offers = pd.DataFrame({"customer_id": rng.integers(1, n + 1, 6000), "category": rng.choice(["a", "b"], 6000),
    ...                        "channel": rng.choice(["email", "sms"], 6000), "recent_contacts": 0})
    >>> share = np.where(offers["category"] == "a", feats["cat_a"].to_numpy()[offers["customer_id"] - 1],
    ...                  feats["cat_b"].to_numpy()[offers["customer_id"] - 1])
    >>> offers["bought"] = rng.random(6000) < 0.05 + 0.4 * share
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = NextBestOffer(estimator=LogisticRegression()).fit(offers, feats, response_col="bought")
    >>> p = model.predict_proba(feats, category="a", channel="email")
    >>> bool(p[feats["cat_a"] > 0.8].mean() > p[feats["cat_a"] < 0.2].mean() + 0.2)
    True
    """

    def __init__(self, *, estimator: Any = None, interactions: bool = False, share_prefix: str = "cat_",
                 rng: RNGLike = DEFAULT_RNG) -> None:
        self.estimator = estimator
        self.interactions = interactions
        self.share_prefix = share_prefix
        self.rng = rng

    def _design(self, features: pd.DataFrame, category: np.ndarray, channel: np.ndarray,
                recent: np.ndarray) -> np.ndarray:
        """The design matrix: features, offer dummies, recent contacts, offered share, channel x features."""
        X = features.to_numpy(dtype=float)
        cats = np.column_stack([category == c for c in self.categories_]).astype(float)
        chans = np.column_stack([channel == c for c in self.channels_]).astype(float)
        parts = [X, cats, chans, np.asarray(recent, dtype=float)[:, None]]
        if self.uses_share_:
            shares = features[[f"{self.share_prefix}{c}" for c in self.categories_]].to_numpy(dtype=float)
            parts.append((shares * cats).sum(axis=1)[:, None])
        if self.interactions:
            parts.extend(X * chans[:, [j]] for j in range(chans.shape[1]))
        return np.column_stack(parts)

    def fit(self, offers: pd.DataFrame, features: pd.DataFrame, *, customer_col: str = "customer_id",
            category_col: str = "category", channel_col: str = "channel", recent_col: str = "recent_contacts",
            response_col: str = "purchased_category_30d") -> NextBestOffer:
        """Learn the probability of buying from offers and the features of the customers who got them.

        Parameters
        ----------
        offers : DataFrame
            One row per offer (drawn at random: see Notes of the class), with
            ``customer_col``, ``category_col``, ``channel_col``, ``recent_col`` (contacts in
            the days before) and ``response_col`` (0/1; rows where it is missing are left out).
        features : DataFrame
            Observed features of the customers, indexed by customer id; numeric columns are
            used (missing values count as 0), e.g.
            :func:`fidelia_kit.features.customer_features`.
        customer_col, category_col, channel_col, recent_col, response_col : str
            Columns of ``offers``.

        Returns
        -------
        NextBestOffer
            ``self``, fitted.

        Raises
        ------
        ValueError
            Missing columns, offers to customers without features, a response that is not
            0/1 or that never (or always) happened.

        Examples
        --------
        >>> feats = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]}, index=[1, 2, 3, 4])
        >>> offers = pd.DataFrame({"customer_id": [1, 2, 3, 4] * 5, "category": ["a", "b"] * 10, "channel": "sms",
        ...                        "recent_contacts": 0, "bought": [0, 0, 1, 1] * 5})
        >>> from sklearn.linear_model import LogisticRegression
        >>> NextBestOffer(estimator=LogisticRegression()).fit(offers, feats, response_col="bought").n_offers_
        20
        """
        check_frame("offers", offers, [customer_col, category_col, channel_col, recent_col, response_col])
        if not isinstance(features, pd.DataFrame):
            raise TypeError(f"`features` must be a DataFrame indexed by customer id; got {type(features).__name__}.")
        flag = _responses("offers", offers, response_col)
        offers = offers[flag.notna()]
        y = flag[flag.notna()].to_numpy().astype(int)
        if len(np.unique(y)) < 2:
            raise ValueError(f"`offers` column {response_col!r} must hold both responses (0 and 1) to learn from.")
        missing = ~offers[customer_col].isin(features.index)
        if missing.any():
            raise ValueError(f"`features` has no row for {int(missing.sum())} offers' customers (e.g. "
                             f"{offers.loc[missing, customer_col].unique()[:3].tolist()}); give features for every "
                             "customer who got an offer.")
        recent = as_amounts("offers", recent_col, offers[recent_col].reset_index(drop=True))
        self.categories_ = sorted(offers[category_col].astype(str).unique())
        self.channels_ = sorted(offers[channel_col].astype(str).unique())
        self.base_features_ = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])
                               and not pd.api.types.is_bool_dtype(features[c])]
        self.uses_share_ = all(f"{self.share_prefix}{c}" in self.base_features_ for c in self.categories_)
        rows = features.loc[offers[customer_col].to_numpy(), self.base_features_].fillna(0.0)
        X = self._design(rows, offers[category_col].astype(str).to_numpy(), offers[channel_col].astype(str).to_numpy(),
                         recent.to_numpy())
        self.feature_names_ = (self.base_features_ + [f"category={c}" for c in self.categories_]
                               + [f"channel={c}" for c in self.channels_] + [recent_col]
                               + (["offered_share"] if self.uses_share_ else [])
                               + ([f"{f} x channel={c}" for c in self.channels_ for f in self.base_features_]
                                  if self.interactions else []))
        if self.estimator is None:
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
        else:
            model = clone(self.estimator)
        seeds = {k: seed_from(self.rng) for k in model.get_params() if k.endswith("random_state")}
        model.set_params(**seeds)
        self.model_ = model.fit(X, y)
        self.n_offers_ = int(len(y))
        self.base_rate_ = float(y.mean())
        return self

    def predict_proba(self, features: pd.DataFrame, *, category: str, channel: str, recent: int = 0) -> pd.Series:
        """Each customer's probability of buying ``category`` when offered it on ``channel``.

        Parameters
        ----------
        features : DataFrame
            The customers to score, indexed by customer id, with the columns seen in ``fit``.
        category, channel : str
            The offer; each must have been seen in ``fit``.
        recent : int, default=0
            Contacts in the days before the offer.

        Returns
        -------
        Series
            Indexed like ``features``.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            An offer not seen in ``fit``, missing feature columns.

        Examples
        --------
        >>> feats = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]}, index=[1, 2, 3, 4])
        >>> offers = pd.DataFrame({"customer_id": [1, 2, 3, 4] * 5, "category": ["a", "b"] * 10, "channel": "sms",
        ...                        "recent_contacts": 0, "bought": [0, 0, 1, 1] * 5})
        >>> from sklearn.linear_model import LogisticRegression
        >>> m = NextBestOffer(estimator=LogisticRegression()).fit(offers, feats, response_col="bought")
        >>> p = m.predict_proba(feats, category="a", channel="sms")
        >>> bool(p[4] > p[1])
        True
        """
        if not hasattr(self, "model_"):
            raise NotFittedError("This NextBestOffer is not fitted yet; call fit(...) first.")
        for name, value, seen in (("category", category, self.categories_), ("channel", channel, self.channels_)):
            if value not in seen:
                raise ValueError(f"`{name}` must be one of {seen} (the offers seen in fit); got {value!r}.")
        check_frame("features", features, self.base_features_)
        recent = check_int("recent", recent, 0, 10_000)
        n = len(features)
        X = self._design(features[self.base_features_].fillna(0.0), np.full(n, category), np.full(n, channel),
                         np.full(n, recent))
        return pd.Series(self.model_.predict_proba(X)[:, 1], index=features.index, name="probability")

    def probabilities(self, features: pd.DataFrame, *, recent: int = 0) -> pd.DataFrame:
        """Every offer seen in ``fit`` scored for every customer: :func:`offer_grid` of :meth:`predict_proba`.

        Parameters
        ----------
        features : DataFrame
            As in :meth:`predict_proba`.
        recent : int, default=0
            Contacts in the days before the offer.

        Returns
        -------
        DataFrame
            One row per customer, one column per ``(category, channel)``.

        Examples
        --------
        >>> feats = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]}, index=[1, 2, 3, 4])
        >>> offers = pd.DataFrame({"customer_id": [1, 2, 3, 4] * 5, "category": ["a", "b"] * 10, "channel": "sms",
        ...                        "recent_contacts": 0, "bought": [0, 0, 1, 1] * 5})
        >>> from sklearn.linear_model import LogisticRegression
        >>> NextBestOffer(estimator=LogisticRegression()).fit(offers, feats, response_col="bought").probabilities(feats).shape
        (4, 2)
        """
        return offer_grid(lambda cat, ch: self.predict_proba(features, category=cat, channel=ch, recent=recent),
                          categories=self.categories_, channels=self.channels_)


def _profits(probabilities: pd.DataFrame, value: Mapping | pd.Series, cost: Mapping | pd.Series) -> pd.DataFrame:
    """Expected profit of every offer for every customer: ``p x value[category] - cost[channel]``."""
    if not isinstance(probabilities, pd.DataFrame) or probabilities.columns.nlevels != 2:
        raise ValueError("`probabilities` must be a DataFrame with (category, channel) columns, e.g. from offer_grid.")
    value, cost = pd.Series(value, dtype=float), pd.Series(cost, dtype=float)
    cats = probabilities.columns.get_level_values(0)
    chans = probabilities.columns.get_level_values(1)
    for name, series, needed in (("value", value, cats), ("cost", cost, chans)):
        absent = sorted(set(needed) - set(series.index))
        if absent:
            raise ValueError(f"`{name}` has no entry for {absent}; it needs one per offered "
                             f"{'category' if name == 'value' else 'channel'}.")
        if series.isna().any():
            raise ValueError(f"`{name}` has missing values.")
    return probabilities * value.reindex(cats).to_numpy() - cost.reindex(chans).to_numpy()


def _plan_frame(index, category, channel, probability, profit, contact) -> pd.DataFrame:
    """A plan: the offer made to each customer (missing where ``contact`` is False) and its expected profit."""
    contact = np.asarray(contact, dtype=bool)
    return pd.DataFrame({"category": np.where(contact, category, None), "channel": np.where(contact, channel, None),
                         "probability": np.where(contact, probability, np.nan),
                         "expected_profit": np.where(contact, profit, 0.0), "contact": contact}, index=index)


def choose_offers(probabilities: pd.DataFrame, *, value: Mapping | pd.Series,
                  cost: Mapping | pd.Series) -> pd.DataFrame:
    """Each customer's most profitable offer, or no contact when none is expected to pay.

    Parameters
    ----------
    probabilities : DataFrame
        One row per customer, one column per ``(category, channel)`` offer: the probability of
        buying (:meth:`NextBestOffer.probabilities`, or the truth's through :func:`offer_grid`).
    value : mapping or Series
        Margin a purchase brings, by category, net of the offer's discount (EUR), e.g.
        ``offer_values(...)["value_per_purchase"]``.
    cost : mapping or Series
        Cost of one contact, by channel (EUR).

    Returns
    -------
    DataFrame
        Indexed by customer: ``category`` and ``channel`` of the chosen offer (missing for no
        contact), its ``probability``, ``expected_profit`` (EUR; 0 for no contact) and
        ``contact`` (bool).

    Raises
    ------
    ValueError
        Columns that are not (category, channel) pairs, a category or channel without a value
        or cost.

    See Also
    --------
    uniform_offer, rule_offers : the plans this one is compared with.
    compare_offer_plans : their profit on the truth.

    Notes
    -----
    .. math:: \\pi_{i,c,h} = p_{i,c,h}\\, v_c - k_h, \\qquad
              \\text{offer } \\arg\\max_{c,h} \\pi_{i,c,h} \\text{ if it is } > 0 \\text{, else no contact,}

    with :math:`v_c` the margin of a purchase in category :math:`c` net of the discount and
    :math:`k_h` the cost of channel :math:`h`. Only the purchase the offer brings is counted, as
    if it would not have happened without it (see "What could go wrong" of notebook 09).

    Examples
    --------
    >>> p = pd.DataFrame({("food", "email"): [0.10, 0.01], ("food", "call"): [0.50, 0.02]}, index=[1, 2])
    >>> p.columns = pd.MultiIndex.from_tuples(p.columns)
    >>> choose_offers(p, value={"food": 20.0}, cost={"email": 0.5, "call": 6.0})
      category channel  probability  expected_profit  contact
    1     food    call          0.5              4.0     True
    2      NaN     NaN          NaN              0.0    False
    """
    profit = _profits(probabilities, value, cost)
    best = profit.to_numpy().argmax(axis=1)
    pairs = profit.columns[best]
    rows = np.arange(len(profit))
    gain = profit.to_numpy()[rows, best]
    return _plan_frame(profit.index, pairs.get_level_values(0), pairs.get_level_values(1),
                       probabilities.to_numpy()[rows, best], gain, gain > 0)


def uniform_offer(probabilities: pd.DataFrame, *, value: Mapping | pd.Series,
                  cost: Mapping | pd.Series) -> pd.DataFrame:
    """One size fits all: the single offer with the highest mean expected profit, for everyone.

    Parameters
    ----------
    probabilities, value, cost
        As in :func:`choose_offers`.

    Returns
    -------
    DataFrame
        As :func:`choose_offers`: everyone gets the same offer (or, when even the best offer
        loses money on average, no one is contacted).

    Raises
    ------
    ValueError
        As :func:`choose_offers`.

    Examples
    --------
    >>> p = pd.DataFrame({("food", "email"): [0.10, 0.30], ("toys", "email"): [0.20, 0.05]}, index=[1, 2])
    >>> p.columns = pd.MultiIndex.from_tuples(p.columns)
    >>> uniform_offer(p, value={"food": 10.0, "toys": 10.0}, cost={"email": 0.5})["category"].tolist()
    ['food', 'food']
    """
    profit = _profits(probabilities, value, cost)
    mean = profit.mean()
    best = mean.idxmax()
    n = len(profit)
    return _plan_frame(profit.index, np.full(n, best[0], dtype=object), np.full(n, best[1], dtype=object),
                       probabilities[best].to_numpy(), profit[best].to_numpy(), np.full(n, mean.max() > 0))


def rule_offers(contacts: pd.DataFrame, customers: Sequence | pd.Index, *, rule: str = "rule",
                assignment_col: str = "assignment", customer_col: str = "customer_id",
                date_col: str = "contact_date", category_col: str = "category",
                channel_col: str = "channel") -> pd.DataFrame:
    """The firm's own rule as a plan: each customer's latest offer chosen by the rule.

    Parameters
    ----------
    contacts : DataFrame
        One row per contact, with the columns named below.
    customers : sequence or Index
        The customers to plan for; those the rule never made an offer to are not contacted.
    rule : str, default="rule"
        The value of ``assignment_col`` that marks offers the firm's rule chose.
    assignment_col, customer_col, date_col, category_col, channel_col : str
        Column names.

    Returns
    -------
    DataFrame
        Indexed by ``customers``: ``category``, ``channel`` (missing for no contact) and
        ``contact``.

    Raises
    ------
    ValueError
        Missing columns, no contact marked ``rule``.

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": [1, 1, 2], "contact_date": ["2024-01-01", "2024-03-01", "2024-02-01"],
    ...                   "assignment": ["rule", "rule", "random"], "category": ["food", "toys", "food"],
    ...                   "channel": ["email", "sms", "app"]})
    >>> rule_offers(c, [1, 2])
      category channel  contact
    1     toys     sms     True
    2     None    None    False
    """
    check_frame("contacts", contacts, [assignment_col, customer_col, date_col, category_col, channel_col])
    chosen = contacts[contacts[assignment_col] == rule]
    if chosen.empty:
        raise ValueError(f"`contacts` has no row whose {assignment_col!r} is {rule!r}: no offer of the rule to plan from.")
    order = chosen.assign(_d=pd.to_datetime(chosen[date_col])).sort_values([customer_col, "_d"], kind="stable")
    latest = order.groupby(customer_col).tail(1).set_index(customer_col)
    index = pd.Index(customers)
    out = pd.DataFrame({"category": latest[category_col].reindex(index).astype(object),
                        "channel": latest[channel_col].reindex(index).astype(object)}, index=index)
    out["contact"] = out["category"].notna() & out["channel"].notna()
    return out.where(out.notna(), None)


@dataclass(frozen=True, repr=False)
class OfferComparison(Result):
    """Plans of offers scored on the true response model.

    Attributes
    ----------
    table : DataFrame
        Per plan (the ``best possible`` plan, which knows the truth, last): ``customers``,
        ``contacted``, ``true_profit`` (total expected profit on the truth, EUR),
        ``profit_per_contacted``, ``profit_per_customer`` (EUR), ``share_truly_best`` (share
        of customers whose decision is the one the truth makes best, no contact included)
        and ``share_of_best`` (``true_profit`` over the best possible plan's).
    per_customer : DataFrame
        The true expected profit of each plan's decision, per customer (EUR).
    best : DataFrame
        The best possible plan (:func:`choose_offers` on the true probabilities).

    Examples
    --------
    >>> t = pd.DataFrame({("food", "email"): [0.5, 0.01]}, index=[1, 2])
    >>> t.columns = pd.MultiIndex.from_tuples(t.columns)
    >>> plan = pd.DataFrame({"category": ["food", "food"], "channel": ["email", "email"]}, index=[1, 2])
    >>> compare_offer_plans({"all": plan}, t, value={"food": 10.0}, cost={"email": 0.5}).table.loc["all", "true_profit"]
    np.float64(4.1)
    """

    table: pd.DataFrame
    per_customer: pd.DataFrame
    best: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The per-plan table.

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> t = pd.DataFrame({("food", "email"): [0.5, 0.01]}, index=[1, 2])
        >>> t.columns = pd.MultiIndex.from_tuples(t.columns)
        >>> plan = pd.DataFrame({"category": ["food", None], "channel": ["email", None]}, index=[1, 2])
        >>> compare_offer_plans({"mine": plan}, t, value={"food": 10.0}, cost={"email": 0.5}).to_frame().index.tolist()
        ['mine', 'best possible']
        """
        return self.table.copy()


def compare_offer_plans(plans: Mapping[str, pd.DataFrame], true_probabilities: pd.DataFrame, *,
                        value: Mapping | pd.Series, cost: Mapping | pd.Series) -> OfferComparison:
    """The true expected profit of plans of offers, against the best the truth allows.

    Parameters
    ----------
    plans : mapping of str to DataFrame
        Each plan indexed by customer with ``category`` and ``channel`` (missing: no contact),
        e.g. from :func:`choose_offers`, :func:`uniform_offer`, :func:`rule_offers`. Customers
        the plan does not list are not contacted.
    true_probabilities : DataFrame
        The true probability of buying, one row per customer, one column per
        ``(category, channel)`` (:func:`offer_grid` on the world's true response model).
    value, cost
        As in :func:`choose_offers`.

    Returns
    -------
    OfferComparison
        ``table``, ``per_customer``, ``best``.

    Raises
    ------
    ValueError
        A plan whose offer is not among the columns of ``true_probabilities``, a missing value
        or cost, no plan.

    Notes
    -----
    A plan's true profit for customer :math:`i` is :math:`p^{true}_{i,c,h} v_c - k_h` for the
    offer :math:`(c, h)` it makes, 0 for no contact; the best possible plan takes the maximum
    of that over the offers and 0. Value and cost are the same for every plan, so the plans
    differ only in whom they contact and with what.

    Examples
    --------
    >>> t = pd.DataFrame({("food", "email"): [0.5, 0.01], ("toys", "email"): [0.1, 0.3]}, index=[1, 2])
    >>> t.columns = pd.MultiIndex.from_tuples(t.columns)
    >>> plan = pd.DataFrame({"category": ["food", "food"], "channel": ["email", "email"]}, index=[1, 2])
    >>> r = compare_offer_plans({"food for all": plan}, t, value={"food": 10.0, "toys": 10.0}, cost={"email": 0.5})
    >>> r.table[["contacted", "true_profit", "share_truly_best"]]
                   contacted  true_profit  share_truly_best
    food for all           2          4.1               0.5
    best possible          2          7.0               1.0
    """
    if not plans:
        raise ValueError("`plans` must hold at least one plan.")
    profit = _profits(true_probabilities, value, cost)
    best = choose_offers(true_probabilities, value=value, cost=cost)
    offers = {pair: j for j, pair in enumerate(profit.columns)}
    matrix = profit.to_numpy()
    rows, per_customer = [], {}
    for name, plan in {**plans, "best possible": best}.items():
        check_frame(f"plans[{name!r}]", plan, ["category", "channel"])
        plan = plan.reindex(profit.index)
        contact = (plan["category"].notna() & plan["channel"].notna()).to_numpy()
        pairs = list(zip(plan["category"][contact], plan["channel"][contact]))
        unknown = sorted({p for p in pairs if p not in offers}, key=str)
        if unknown:
            raise ValueError(f"plans[{name!r}] makes offers the truth does not score: {unknown[:3]}.")
        gain = np.zeros(len(plan))
        gain[contact] = matrix[np.flatnonzero(contact), [offers[p] for p in pairs]]
        per_customer[name] = gain
        same = (plan["category"].fillna(NO_CONTACT).to_numpy() == best["category"].fillna(NO_CONTACT).to_numpy()) & \
               (plan["channel"].fillna(NO_CONTACT).to_numpy() == best["channel"].fillna(NO_CONTACT).to_numpy())
        rows.append({"plan": name, "customers": len(plan), "contacted": int(contact.sum()),
                     "true_profit": float(gain.sum()),
                     "profit_per_contacted": float(gain[contact].mean()) if contact.any() else float("nan"),
                     "profit_per_customer": float(gain.mean()), "share_truly_best": float(same.mean())})
    table = pd.DataFrame(rows).set_index("plan")
    table.index.name = None
    top = table.loc["best possible", "true_profit"]
    table["share_of_best"] = table["true_profit"] / top if top > 0 else np.nan
    return OfferComparison(table=table, per_customer=pd.DataFrame(per_customer, index=profit.index), best=best)


def contact_profit(contacts: pd.DataFrame, *, value: Mapping | pd.Series, cost: Mapping | pd.Series,
                   by: str = "channel", response_col: str = "purchased_category_30d",
                   category_col: str = "category", channel_col: str = "channel", ci: float = 0.95) -> pd.DataFrame:
    """The profit of a contact per group: what its purchases bring less what the contacts cost, with an interval.

    Parameters
    ----------
    contacts : DataFrame
        One row per offer, with ``response_col`` (0/1; rows where it is missing are left out),
        ``category_col``, ``channel_col`` and ``by``.
    value : mapping or Series
        Margin a purchase brings, by category, net of the offer's discount (EUR).
    cost : mapping or Series
        Cost of one contact, by channel (EUR).
    by : str, default="channel"
        The column that defines the groups.
    response_col, category_col, channel_col : str
        Column names.
    ci : float, default=0.95
        Confidence level of the intervals (pass a Bonferroni level, ``1 - (1 - ci) / k``, to
        compare the top and the bottom of ``k`` groups).

    Returns
    -------
    DataFrame
        Indexed by group: ``n`` (offers), ``rate`` (share bought), ``value_per_purchase`` (mean
        margin of the purchases the group's offers would bring), ``cost_per_contact``,
        ``profit`` (mean profit per contact, EUR), ``ci_low``, ``ci_high`` (t interval of
        that mean).

    Raises
    ------
    ValueError
        Missing columns, a response that is not 0/1, a category or channel without a value
        or cost.

    Notes
    -----
    Offer :math:`j` earns :math:`\\pi_j = y_j v_{c_j} - k_{h_j}`, with :math:`y_j` the 0/1
    response, :math:`v_c` the margin of a purchase in its category and :math:`k_h` the cost of
    its channel; the group's profit is the mean of :math:`\\pi_j` with a t interval. The whole
    margin of the purchase is counted, as if it would not have happened without the offer.

    Examples
    --------
    >>> c = pd.DataFrame({"channel": ["sms"] * 4 + ["call"] * 4, "category": ["food"] * 8,
    ...                   "bought": [1, 0, 0, 0, 1, 1, 0, 0]})
    >>> contact_profit(c, value={"food": 10.0}, cost={"sms": 0.2, "call": 6.0}, response_col="bought")["profit"]
    channel
    call   -1.0
    sms     2.3
    Name: profit, dtype: float64
    """
    from scipy import stats

    check_frame("contacts", contacts, [response_col, category_col, channel_col, by])
    ci = check_ci(ci)
    flag = _responses("contacts", contacts, response_col)
    rows = contacts[flag.notna()]
    y = flag[flag.notna()].astype(float)
    v = _lookup("value", value, rows[category_col])
    k = _lookup("cost", cost, rows[channel_col])
    frame = pd.DataFrame({"group": rows[by].to_numpy(), "y": y.to_numpy(), "v": v, "k": k,
                          "profit": y.to_numpy() * v - k})
    g = frame.groupby("group", observed=True)
    out = g.agg(n=("profit", "size"), rate=("y", "mean"), value_per_purchase=("v", "mean"),
                cost_per_contact=("k", "mean"), profit=("profit", "mean"), sd=("profit", "std"))
    half = stats.t.ppf(0.5 + ci / 2, np.maximum(out["n"] - 1, 1)) * out["sd"].fillna(0.0) / np.sqrt(out["n"])
    out["ci_low"], out["ci_high"] = out["profit"] - half, out["profit"] + half
    out.index.name = by
    return out.drop(columns="sd")


def _lookup(name: str, mapping: Mapping | pd.Series, keys: pd.Series) -> np.ndarray:
    """``mapping[key]`` for each key, as floats; a ValueError names the keys it lacks."""
    series = pd.Series(mapping, dtype=float)
    missing = sorted(set(keys.astype(str)) - set(series.index.astype(str)))
    if missing:
        raise ValueError(f"`{name}` has no entry for {missing[:5]}.")
    return series.reindex(keys.to_numpy()).to_numpy(dtype=float)


@dataclass(frozen=True, repr=False)
class PlanDifference(Result):
    """The difference in true profit between two plans, with a bootstrap interval over customers.

    Attributes
    ----------
    plan, other : str
        The plans compared (``plan`` minus ``other``).
    estimate : float
        Total true expected profit of ``plan`` minus that of ``other`` (EUR).
    per_customer : float
        ``estimate`` over the customers (EUR).
    ci : tuple of float
        Percentile bootstrap interval of ``estimate``.
    level : float
    n_customers, n_boot : int

    Examples
    --------
    >>> per = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 1.0, 1.0]})
    >>> profit_difference(per, "a", "b", n_boot=200, rng=0).estimate
    3.0
    """

    plan: str
    other: str
    estimate: float
    per_customer: float
    ci: tuple[float, float]
    level: float
    n_customers: int
    n_boot: int


def profit_difference(per_customer: pd.DataFrame, plan: str, other: str, *, ci: float = 0.95, n_boot: int = 2000,
                      rng: RNGLike = DEFAULT_RNG) -> PlanDifference:
    """How much more one plan earns than another on the truth, with a bootstrap interval over customers.

    Parameters
    ----------
    per_customer : DataFrame
        :attr:`OfferComparison.per_customer`: each plan's true expected profit per customer (EUR).
    plan, other : str
        Columns of ``per_customer``: the difference is ``plan`` minus ``other``.
    ci : float, default=0.95
        Confidence level.
    n_boot : int, default=2000
        Bootstrap resamples of the customers.
    rng : int, Generator or None, default=0
        Seed of the resamples.

    Returns
    -------
    PlanDifference

    Raises
    ------
    ValueError
        A plan that is not a column of ``per_customer``, no customers.

    Notes
    -----
    The customers are resampled with replacement and the difference of the totals recomputed;
    the interval is the percentile interval of those differences. It says how much the result
    depends on which customers happened to be active; it holds the fitted model fixed, so the
    variation of the model's fit from one sample of randomized offers to another comes on top.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> per = pd.DataFrame({"model": rng.normal(0.1, 1.0, 500), "uniform": np.zeros(500)})
    >>> d = profit_difference(per, "model", "uniform", rng=1)
    >>> bool(d.ci[0] < d.estimate < d.ci[1])
    True
    """
    rng = as_rng(rng)
    check_frame("per_customer", per_customer, [plan, other])
    ci = check_ci(ci)
    n_boot = check_int("n_boot", n_boot, 10, 10**7)
    diff = (per_customer[plan] - per_customer[other]).to_numpy(dtype=float)
    n = len(diff)
    if n == 0:
        raise ValueError("`per_customer` has no customers.")
    totals = np.array([diff[rng.integers(0, n, n)].sum() for _ in range(n_boot)])
    low, high = np.quantile(totals, [(1 - ci) / 2, (1 + ci) / 2])
    return PlanDifference(plan=plan, other=other, estimate=float(diff.sum()), per_customer=float(diff.mean()),
                          ci=(float(low), float(high)), level=ci, n_customers=n, n_boot=n_boot)


def refit_difference(model: NextBestOffer, offers: pd.DataFrame, features: pd.DataFrame,
                     true_probabilities: pd.DataFrame, *, value: Mapping | pd.Series, cost: Mapping | pd.Series,
                     n_refits: int = 20, ci: float = 0.95, rng: RNGLike = DEFAULT_RNG) -> PlanDifference:
    """How much the next-best offer earns more than one offer for everyone, over refits of the model.

    Parameters
    ----------
    model : NextBestOffer
        A fitted model: ``estimate`` is the difference its own plans make.
    offers : DataFrame
        The randomized offers it was fitted on; they are resampled with replacement and the
        model refitted on each resample.
    features : DataFrame
        The customers' features, indexed by customer: those of the offers' customers (to fit)
        and those of ``true_probabilities``' customers (to plan for).
    true_probabilities : DataFrame
        The true probability of buying, per customer to plan for and ``(category, channel)``.
    value, cost
        As in :func:`choose_offers`.
    n_refits : int, default=20
        Resamples of the offers.
    ci : float, default=0.95
        Confidence level of the percentile interval.
    rng : int, Generator or None, default=0
        Seed of the resamples.

    Returns
    -------
    PlanDifference
        ``plan`` is ``"next-best offer (model)"``, ``other`` ``"one size fits all"``; ``ci``
        the percentile interval of the refits' differences, ``n_boot`` the refits.

    Raises
    ------
    NotFittedError
        ``model`` is not fitted.
    ValueError
        As :func:`compare_offer_plans`.

    Notes
    -----
    Each refit gives both plans (the model's per-customer choice and the single offer its
    predictions rate best), scored on the truth. The spread shows how far the comparison
    moves with another sample of randomized offers, which :func:`profit_difference` holds fixed.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 300
    >>> a = rng.random(n)
    >>> feats = pd.DataFrame({"cat_a": a, "cat_b": 1 - a}, index=pd.RangeIndex(1, n + 1, name="customer_id"))
    >>> offers = pd.DataFrame({"customer_id": rng.integers(1, n + 1, 3000), "category": rng.choice(["a", "b"], 3000),
    ...                        "channel": "email", "recent_contacts": 0})
    >>> share = feats["cat_a"].reindex(offers["customer_id"]).to_numpy()
    >>> offers["purchased_category_30d"] = rng.random(3000) < np.where(offers["category"] == "a", share, 1 - share) / 2
    >>> model = NextBestOffer(rng=0).fit(offers, feats)
    >>> truth = offer_grid(lambda c, h: (feats["cat_a"] if c == "a" else 1 - feats["cat_a"]) / 2,
    ...                    categories=["a", "b"], channels=["email"])
    >>> d = refit_difference(model, offers, feats, truth, value={"a": 10.0, "b": 10.0}, cost={"email": 0.5},
    ...                      n_refits=10, rng=1)
    >>> bool(d.estimate > 0), d.n_boot
    (True, 10)
    """
    rng = as_rng(rng)
    if not hasattr(model, "n_offers_"):
        raise NotFittedError("This NextBestOffer is not fitted yet; call fit(...) first.")
    ci = check_ci(ci)
    n_refits = check_int("n_refits", n_refits, 2, 10_000)
    planned = features.loc[true_probabilities.index]

    def gap(fitted: NextBestOffer) -> float:
        predicted = fitted.probabilities(planned)
        plans = {"model": choose_offers(predicted, value=value, cost=cost),
                 "uniform": uniform_offer(predicted, value=value, cost=cost)}
        table = compare_offer_plans(plans, true_probabilities, value=value, cost=cost).table
        return float(table.loc["model", "true_profit"] - table.loc["uniform", "true_profit"])

    gaps = [gap(clone(model).set_params(rng=seed_from(rng)).fit(offers.iloc[rng.integers(0, len(offers), len(offers))],
                                                                   features)) for _ in range(n_refits)]
    low, high = np.quantile(gaps, [(1 - ci) / 2, (1 + ci) / 2])
    estimate = gap(model)
    return PlanDifference(plan="next-best offer (model)", other="one size fits all", estimate=estimate,
                          per_customer=estimate / len(planned), ci=(float(low), float(high)), level=ci,
                          n_customers=len(planned), n_boot=n_refits)
