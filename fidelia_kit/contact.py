"""The contact plan: the three phases of keeping in touch with a customer, and member-get-member.

The source material's plan has three phases: *reaffirm* the choice of the new customer
(welcome), *refresh* the relationship of the regular one (cross-sell, up-grade, a satisfaction
questionnaire), and *enrich* it with the most loyal and valuable (member-get-member referral
rewards for both sides, loyalty points).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._results import Result
from ._validation import as_amounts, check_frame, check_number

__all__ = ["CONTACT_PHASES", "contact_plan", "ReferralResult", "referral_programme", "ReferrerResult",
           "referrers_by_nps"]


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


# --- who refers ------------------------------------------------------------------------------------

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._typing import DateLike

@dataclass(frozen=True, repr=False)
class ReferrerResult(Result):
    """Who refers: referrals made by promoters, passives and detractors, and the promoter/passive ratio.

    Attributes
    ----------
    table : DataFrame
        Indexed by ``nps_group`` (detractor, passive, promoter): ``customers`` (with an
        answer), ``referrers`` (referred at least one customer), ``referrals`` (customers
        referred), ``share_referring`` with its Wilson ``ci_low``/``ci_high``, and
        ``referrals_per_customer`` with ``rpc_ci_low``/``rpc_ci_high`` (normal interval).
    ratio : float
        Referrals per promoter / referrals per passive: how many times as likely a promoter
        is as a passive to be the one who referred a new customer.
    ci : (float, float)
        Interval of ``ratio`` (delta method on the log of the ratio of means).
    share_ratio : float
        Share of promoters who referred anyone / the same share of passives.
    share_ratio_ci : (float, float)
        Katz log interval of ``share_ratio``.
    n : int
        Customers with an answer.
    ci_level : float

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6],
    ...                           "referred_by": pd.array([None, None, None, 1, 1, 2], dtype="Int64")})
    >>> survey = pd.DataFrame({"customer_id": [1, 2, 3], "response_date": ["2024-05-01"] * 3,
    ...                        "recommend": [10, 7, 3]})
    >>> referrers_by_nps(customers, survey).table["referrals"].tolist()
    [0, 1, 2]
    >>> referrers_by_nps(customers, survey).ci   # one customer per group: no interval
    (nan, nan)
    """

    table: pd.DataFrame
    ratio: float
    ci: tuple
    share_ratio: float
    share_ratio_ci: tuple
    n: int
    ci_level: float

    def to_frame(self) -> pd.DataFrame:
        """The per-group table.

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> customers = pd.DataFrame({"customer_id": [1, 2, 3, 4],
        ...                           "referred_by": pd.array([None, None, 1, 1], dtype="Int64")})
        >>> survey = pd.DataFrame({"customer_id": [1, 2], "response_date": ["2024-05-01"] * 2, "recommend": [9, 7]})
        >>> float(referrers_by_nps(customers, survey).to_frame().loc["promoter", "referrals_per_customer"])
        2.0
        """
        return self.table.copy()


def referrers_by_nps(customers: pd.DataFrame, survey: pd.DataFrame, *, as_of: DateLike | None = None, ci: float = 0.95,
                     customer_col: str = "customer_id", referred_by_col: str = "referred_by",
                     score_col: str = "recommend", date_col: str = "response_date") -> ReferrerResult:
    """Who refers: referral rates of promoters, passives and detractors, and how many times promoters refer.

    The Net Promoter idea is that promoters bring customers by word of mouth. Here each
    customer's NPS group comes from their latest answer to the recommendation question, and
    their referrals are the customers whose ``referred_by`` names them.

    Parameters
    ----------
    customers : DataFrame
        One row per customer, with ``customer_col`` and ``referred_by_col`` (the referrer's
        id; missing for customers who came otherwise).
    survey : DataFrame
        Survey answers (``survey_responses`` or ``survey_waves``), with ``customer_col``,
        ``date_col`` and ``score_col`` (0-10).
    as_of : date, optional
        Only answers dated before it count (exclusive); default every answer. Referrals are
        counted over the whole table.
    ci : float, default=0.95
        Confidence level of the intervals.
    customer_col, referred_by_col, score_col, date_col : str
        Column names.

    Returns
    -------
    ReferrerResult
        ``table`` per NPS group, the promoter/passive ``ratio`` of referrals per customer with
        its ``ci``, and the ``share_ratio`` of those who referred anyone with its Katz interval.

    Raises
    ------
    TypeError
        ``customers`` or ``survey`` not a DataFrame.
    ValueError
        Missing columns, answers outside 0-10, duplicate customer ids, no promoter or no passive
        with an answer, a bad ``as_of`` or ``ci``.

    See Also
    --------
    referral_programme : what the referred customers cost and brought.
    fidelia_kit.survey.nps_category : the NPS groups.

    Notes
    -----
    ``share_referring`` is a proportion (Wilson interval, statsmodels' ``proportion_confint``);
    its ratio between promoters and passives uses the Katz log interval
    (statsmodels' ``confint_proportions_2indep(method="log")``):

    .. math:: \\log \\hat{RR} \\pm z \\sqrt{1/a - 1/n_1 + 1/c - 1/n_0}

    with :math:`a, c` the referrers among :math:`n_1` promoters and :math:`n_0` passives.
    When each new customer names their referrer with a weight per group, "four times as
    likely" is a ratio of *referrals per customer*: ``ratio`` = :math:`\\bar x_1 / \\bar x_0`,
    with the delta-method interval
    :math:`\\log(\\bar x_1/\\bar x_0) \\pm z\\sqrt{s_1^2/(n_1 \\bar x_1^2) + s_0^2/(n_0 \\bar x_0^2)}`,
    which allows for customers who refer several times. The share who referred anyone
    saturates (a promoter who refers twice counts once), so ``share_ratio`` is smaller than
    ``ratio`` when promoters often refer more than once. Customers referred before their
    referrer's answer count too: the answer is taken as a lasting attitude.

    References
    ----------
    Katz, D., Baptista, J., Azen, S. P. & Pike, M. C. (1978). Obtaining confidence intervals
    for the risk ratio in cohort studies. Biometrics 34, 469-474.
    Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review 81(12).

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": range(1, 9),
    ...                           "referred_by": pd.array([None, None, None, None, 1, 1, 2, 3], dtype="Int64")})
    >>> survey = pd.DataFrame({"customer_id": [1, 2, 3, 4], "response_date": ["2024-05-01"] * 4,
    ...                        "recommend": [10, 9, 8, 7]})
    >>> r = referrers_by_nps(customers, survey)
    >>> r.ratio, r.share_ratio
    (3.0, 2.0)
    """
    from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

    from ._validation import check_ci, ci_z
    from .survey import _latest_answer, nps_category

    check_frame("customers", customers, [customer_col, referred_by_col])
    check_frame("survey", survey, [customer_col, date_col, score_col])
    ci = check_ci(ci)
    if customers[customer_col].duplicated().any():
        raise ValueError(f"`customers` has {int(customers[customer_col].duplicated().sum())} duplicate "
                         f"{customer_col!r} values; one row per customer.")
    answers = _latest_answer(survey, score_col, as_of=as_of, customer_col=customer_col, date_col=date_col)
    group = nps_category(answers.to_numpy())
    made = customers[referred_by_col].dropna().astype("int64").value_counts()
    people = pd.DataFrame({"nps_group": group.to_numpy(),
                           "referrals": answers.index.map(made).fillna(0).astype(int).to_numpy()})
    z = ci_z(ci)
    rows = []
    for name in ("detractor", "passive", "promoter"):
        x = people.loc[people["nps_group"] == name, "referrals"].to_numpy(dtype=float)
        n, referrers = len(x), int((x > 0).sum())
        low, high = proportion_confint(referrers, n, alpha=1 - ci, method="wilson") if n else (np.nan, np.nan)
        mean = x.mean() if n else np.nan
        half = z * x.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        rows.append({"nps_group": name, "customers": n, "referrers": referrers, "referrals": int(x.sum()),
                     "share_referring": referrers / n if n else np.nan, "ci_low": float(low), "ci_high": float(high),
                     "referrals_per_customer": mean, "rpc_ci_low": max(mean - half, 0.0),
                     "rpc_ci_high": mean + half})
    table = pd.DataFrame(rows).set_index("nps_group")
    pro, pas = table.loc["promoter"], table.loc["passive"]
    for name, row in (("promoter", pro), ("passive", pas)):
        if row["customers"] < 1:
            raise ValueError(f"`survey`: no {name} has an answer before as_of; the promoter/passive ratio needs "
                             f"at least one of each.")
    x1 = people.loc[people["nps_group"] == "promoter", "referrals"].to_numpy(dtype=float)
    x0 = people.loc[people["nps_group"] == "passive", "referrals"].to_numpy(dtype=float)
    ratio, rci = np.nan, (np.nan, np.nan)
    if x1.mean() > 0 and x0.mean() > 0:
        ratio = x1.mean() / x0.mean()
    if ratio > 0 and min(len(x1), len(x0)) > 1:
        se = np.sqrt(x1.var(ddof=1) / (len(x1) * x1.mean() ** 2) + x0.var(ddof=1) / (len(x0) * x0.mean() ** 2))
        rci = tuple(float(v) for v in np.exp(np.log(ratio) + np.array([-z, z]) * se))
    share_ratio, sci = np.nan, (np.nan, np.nan)
    if pro["referrers"] > 0 and pas["referrers"] > 0:
        share_ratio = pro["share_referring"] / pas["share_referring"]
        sci = tuple(float(v) for v in confint_proportions_2indep(
            int(pro["referrers"]), int(pro["customers"]), int(pas["referrers"]), int(pas["customers"]),
            method="log", compare="ratio", alpha=1 - ci))
    return ReferrerResult(table=table, ratio=float(ratio), ci=rci, share_ratio=float(share_ratio),
                          share_ratio_ci=sci, n=len(people), ci_level=ci)
