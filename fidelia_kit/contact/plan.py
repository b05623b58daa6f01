"""The contact plan: the three phases of keeping in touch with a customer, and member-get-member.

Per cluster (:func:`contact_plan`, from a cluster's mean behaviour) or per customer
(:func:`fidelia_kit.segmentation.contact_phases` assigns each customer's phase from their own
history; :func:`phase_summary` counts and values the phases).

The source material's plan has three phases: *reaffirm* the choice of the new customer
(welcome), *refresh* the relationship of the regular one (cross-sell, up-grade, a satisfaction
questionnaire), and *enrich* it with the most loyal and valuable (member-get-member referral
rewards for both sides, loyalty points).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import Result
from .._validation import as_amounts, check_frame, check_number

__all__ = ["CONTACT_PHASES", "contact_plan", "phase_summary", "ReferralResult", "referral_programme"]


CONTACT_PHASES = pd.DataFrame([
    ("reaffirm", "welcome", "New or one-time buyers: welcome message, first-steps guide, second-purchase incentive."),
    ("refresh", "cross-sell / up-grade", "Regular buyers with room to grow: offers from the categories their profile "
                                         "buys together, an upgrade of card tier, a satisfaction questionnaire."),
    ("enrich", "member-get-member", "The most loyal and valuable: referral rewards for both sides, loyalty points, "
                                    "the paid membership."),
], columns=["phase", "action", "what"])


def contact_plan(profile: pd.DataFrame, *, frequency_col: str = "n_receipts", value_col: str = "avg_basket",
                 new_below: float = 2.0) -> pd.DataFrame:
    """A personalised action per cluster, following the three-phase contact plan.

    Parameters
    ----------
    profile : DataFrame
        One row per cluster with the cluster's mean ``frequency_col`` and ``value_col``,
        e.g. ``ClusterResult.profile`` of :func:`fidelia_kit.segmentation.cluster_customers`
        on :func:`fidelia_kit.segmentation.behaviour_features`.
    frequency_col : str, default="n_receipts"
        Mean number of receipts per customer.
    value_col : str, default="avg_basket"
        Mean amount per receipt (EUR).
    new_below : float, default=2.0
        Clusters buying fewer times than this on average are new or one-time buyers.

    Returns
    -------
    DataFrame
        Indexed like ``profile``: ``phase``, ``action``, ``what`` (from
        :data:`CONTACT_PHASES`) and ``value_per_customer`` (EUR).

    Raises
    ------
    ValueError
        Missing columns, a ``new_below`` below 0.

    See Also
    --------
    CONTACT_PHASES : the three phases and their actions.
    referral_programme : what the *enrich* phase's member-get-member brought.

    Notes
    -----
    A cluster's value brought per customer is ``frequency_col x value_col`` (receipts times
    the mean receipt: spend to date). The rule:

    1. mean ``frequency_col`` below ``new_below``: *reaffirm* (welcome);
    2. of the other clusters, those whose value per customer is above the median of those
       other clusters: *enrich* (member-get-member);
    3. the rest: *refresh* (cross-sell and up-grade).

    The median is taken among the regular buyers only, so adding clusters of newcomers does not
    move a regular cluster from one phase to another.

    Examples
    --------
    >>> profile = pd.DataFrame({"n_receipts": [1.2, 4.0, 9.0, 3.0], "avg_basket": [30.0, 40.0, 60.0, 20.0]})
    >>> contact_plan(profile)["phase"].tolist()
    ['reaffirm', 'refresh', 'enrich', 'refresh']
    """
    check_frame("profile", profile, [frequency_col, value_col])
    new_below = check_number("new_below", new_below, 0.0, 1e9)
    frequency = as_amounts("profile", frequency_col, profile[frequency_col])
    value = frequency * as_amounts("profile", value_col, profile[value_col])
    new = frequency < new_below
    phase = pd.Series("refresh", index=profile.index)
    if (~new).any():
        phase[~new & (value > value[~new].median())] = "enrich"
    phase[new] = "reaffirm"
    out = pd.DataFrame({"phase": phase}).join(CONTACT_PHASES.set_index("phase"), on="phase")
    out["value_per_customer"] = value
    return out


def phase_summary(phases: pd.DataFrame | pd.Series, value: pd.Series | None = None, *,
                  phase_col: str = "phase") -> pd.DataFrame:
    """Customers and value per phase of the contact plan, one row per phase.

    Parameters
    ----------
    phases : DataFrame or Series
        Each customer's phase, indexed by customer: the output of
        :func:`fidelia_kit.segmentation.contact_phases` (its ``phase_col``) or a Series.
    value : Series, optional
        What each customer is worth (EUR), indexed by customer, e.g. the kit's CLV
        (:func:`fidelia_kit.clv.customer_value`); customers it does not list count 0.
    phase_col : str, default="phase"
        The column of ``phases`` (when a DataFrame) that holds the phase.

    Returns
    -------
    DataFrame
        Indexed by phase, in the order of the categories when ``phases`` is categorical:
        ``customers``, ``share`` and, with ``value``, ``value_total`` (EUR),
        ``value_per_customer`` (EUR) and ``share_of_value``; and the phase's ``action``:
        the ``action`` column of ``phases`` when it has one, else that of
        :data:`CONTACT_PHASES` where the phase is one of the three.

    Raises
    ------
    ValueError
        Missing phases, a ``value`` with missing or duplicate customers.

    See Also
    --------
    contact_plan : the phase rule per cluster.

    Examples
    --------
    >>> phases = pd.Series(["reaffirm", "refresh", "enrich", "refresh"], index=[1, 2, 3, 4])
    >>> s = phase_summary(phases, pd.Series([10.0, 20.0, 100.0, 30.0], index=[1, 2, 3, 4]))
    >>> s[["customers", "value_per_customer", "share_of_value"]]
              customers  value_per_customer  share_of_value
    phase
    enrich            1               100.0          0.6250
    reaffirm          1                10.0          0.0625
    refresh           2                25.0          0.3125
    >>> s.loc["enrich", "action"]
    'member-get-member'
    """
    actions = CONTACT_PHASES.set_index("phase")["action"]
    if isinstance(phases, pd.DataFrame):
        check_frame("phases", phases, [phase_col])
        if "action" in phases.columns:
            actions = phases.groupby(phases[phase_col].astype(str))["action"].first()
        phases = phases[phase_col]
    phases = pd.Series(phases)
    if phases.isna().any():
        raise ValueError(f"`phases` has {int(phases.isna().sum())} customers without a phase.")
    out = phases.value_counts(sort=False).rename("customers").to_frame()
    if not isinstance(phases.dtype, pd.CategoricalDtype):
        out = out.sort_index()
    out.index = out.index.astype(str)
    out.index.name = "phase"
    out["share"] = out["customers"] / len(phases)
    if value is not None:
        value = pd.Series(value)
        if value.index.duplicated().any():
            raise ValueError(f"`value` has {int(value.index.duplicated().sum())} duplicate customers.")
        per = as_amounts("value", "value", value, allow_negative=True).reindex(phases.index).fillna(0.0)
        totals = per.groupby(phases.astype(str).to_numpy()).sum()
        out["value_total"] = totals.reindex(out.index).to_numpy()
        out["value_per_customer"] = out["value_total"] / out["customers"]
        out["share_of_value"] = out["value_total"] / out["value_total"].sum() if out["value_total"].sum() else np.nan
    return out.join(actions.rename("action"))


@dataclass(frozen=True, repr=False)
class ReferralResult(Result):
    """What the member-get-member programme cost and brought.

    Attributes
    ----------
    table : DataFrame
        Per group (``referred``, ``other channels``): ``customers``, ``buyers``,
        ``monetary_per_buyer`` (spend to date per buyer, EUR), ``margin_per_buyer`` (EUR).
    rewards_paid : float
        ``2 x reward`` per referred customer who bought (EUR).
    margin_brought : float
        Margin of the referred buyers' purchases to date (EUR).
    roi : float
        ``(margin_brought - rewards_paid) / rewards_paid``, counting every referred buyer as
        incremental.
    break_even_share : float
        ``rewards_paid / margin_brought``: the share of the referred buyers' margin that must
        be incremental (would not have come without the programme) for it to break even. At
        or above 1 it cannot pay whatever the share.
    referrers : int
        Distinct customers who referred someone.
    referred_buyers : int

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": [1, 2], "referred_by": pd.array([None, 1], dtype="Int64")})
    >>> tx = pd.DataFrame({"customer_id": [1, 2], "amount": [100.0, 80.0], "gross_margin": [30.0, 40.0]})
    >>> r = referral_programme(customers, tx, reward=10)
    >>> r.roi, r.break_even_share
    (1.0, 0.5)
    """

    table: pd.DataFrame
    rewards_paid: float
    margin_brought: float
    roi: float
    break_even_share: float
    referrers: int
    referred_buyers: int

    def to_frame(self) -> pd.DataFrame:
        """The per-group table.

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> customers = pd.DataFrame({"customer_id": [1, 2], "referred_by": pd.array([None, 1], dtype="Int64")})
        >>> tx = pd.DataFrame({"customer_id": [1, 2], "amount": [100.0, 80.0]})
        >>> referral_programme(customers, tx, reward=10, margin=0.5).to_frame()["buyers"].tolist()
        [1, 1]
        """
        return self.table.copy()


def referral_programme(customers: pd.DataFrame, transactions: pd.DataFrame, *, reward: float = 10.0,
                       margin: float | None = None, customer_col: str = "customer_id",
                       referred_by_col: str = "referred_by", value_col: str = "amount",
                       margin_col: str = "gross_margin") -> ReferralResult:
    """What the member-get-member programme cost and brought.

    Parameters
    ----------
    customers : DataFrame
        One row per customer, with ``customer_col`` and ``referred_by_col`` (the referrer's
        id, missing for customers who came otherwise).
    transactions : DataFrame
        One row per purchase, with ``customer_col``, ``value_col`` and, unless ``margin`` is
        given, ``margin_col``.
    reward : float, default=10.0
        Reward paid to each side of a referral that led to a purchase (EUR).
    margin : float, optional
        A gross-margin rate on spend, in [0, 1]. Default: the margin recorded in
        ``margin_col``.
    customer_col, referred_by_col, value_col, margin_col : str
        Column names.

    Returns
    -------
    ReferralResult
        The per-group ``table``, ``rewards_paid``, ``margin_brought``, ``roi``,
        ``break_even_share``, ``referrers``, ``referred_buyers``.

    Raises
    ------
    ValueError
        Missing columns (``margin_col`` when ``margin`` is not given), negative amounts, a
        reward or margin out of range.

    See Also
    --------
    contact_plan : the *enrich* phase this programme belongs to.

    Notes
    -----
    .. math:: ROI = \\frac{M_{ref} - 2\\,r\\,B_{ref}}{2\\,r\\,B_{ref}}

    with :math:`M_{ref}` the margin of referred buyers' purchases to date, :math:`r` the
    reward and :math:`B_{ref}` the referred buyers. This counts every referred buyer as
    incremental; if only a share :math:`s` would not have come anyway, the ROI is
    :math:`(s M_{ref} - 2 r B_{ref}) / (2 r B_{ref})`, which breaks even at
    :math:`s = 2 r B_{ref} / M_{ref}` (``break_even_share``). The comparison with other
    channels is descriptive, not causal.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": [1, 2, 3, 4],
    ...                           "referred_by": pd.array([None, 1, 1, None], dtype="Int64")})
    >>> tx = pd.DataFrame({"customer_id": [1, 2, 2, 4], "amount": [100.0, 50.0, 30.0, 10.0]})
    >>> r = referral_programme(customers, tx, reward=10, margin=0.5)
    >>> r.rewards_paid, r.margin_brought, r.roi
    (20.0, 40.0, 1.0)
    """
    check_frame("customers", customers, [customer_col, referred_by_col])
    reward = check_number("reward", reward, 0, 1e6)
    if margin is None:
        check_frame("transactions", transactions, [customer_col, value_col, margin_col])
        margins = as_amounts("transactions", margin_col, transactions[margin_col], allow_negative=True)
    else:
        check_frame("transactions", transactions, [customer_col, value_col])
        margins = check_number("margin", margin, 0, 1) * as_amounts("transactions", value_col, transactions[value_col])
    amounts = as_amounts("transactions", value_col, transactions[value_col])
    spend = amounts.groupby(transactions[customer_col].to_numpy()).sum()
    margin_by = margins.groupby(transactions[customer_col].to_numpy()).sum()
    c = pd.DataFrame({"spend": customers[customer_col].map(spend).fillna(0.0).to_numpy(),
                      "margin": customers[customer_col].map(margin_by).fillna(0.0).to_numpy(),
                      "bought": customers[customer_col].isin(spend.index).to_numpy(),
                      "referred": customers[referred_by_col].notna().to_numpy()})
    rows = []
    for referred in (True, False):
        part = c[c["referred"] == referred]
        buyers = part[part["bought"]]
        rows.append({"group": "referred" if referred else "other channels", "customers": len(part),
                     "buyers": len(buyers), "monetary_per_buyer": buyers["spend"].mean() if len(buyers) else np.nan,
                     "margin_per_buyer": buyers["margin"].mean() if len(buyers) else np.nan})
    table = pd.DataFrame(rows).set_index("group")
    referred_buyers = c[c["referred"] & c["bought"]]
    cost = float(2 * reward * len(referred_buyers))
    brought = float(referred_buyers["margin"].sum())
    return ReferralResult(table=table, rewards_paid=cost, margin_brought=brought,
                          roi=(brought - cost) / cost if cost else float("nan"),
                          break_even_share=cost / brought if brought > 0 else float("inf"),
                          referrers=int(customers[referred_by_col].nunique()),
                          referred_buyers=len(referred_buyers))
