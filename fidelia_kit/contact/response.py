"""Who was contacted, how they answered, and how contacts wear customers out.

The *interact* step of the loyalty cycle: the contact history per customer and phase
(:func:`contact_history`), response rates with Wilson intervals by any grouping
(:func:`contact_rates`), the contacts each customer had in the days before a contact
(:func:`recent_contacts`) and the fatigue they cause (:func:`contact_fatigue`).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import Result
from .._validation import as_amounts, as_dates, check_binary, check_ci, check_frame, check_int

__all__ = ["ContactHistory", "contact_history", "contact_rates", "recent_contacts", "FatigueResult",
           "contact_fatigue"]


def _wilson_table(flag: pd.Series, groups, ci: float) -> pd.DataFrame:
    """``n``, ``responded``, ``rate``, ``ci_low``, ``ci_high`` of a 0/1 ``flag`` per group (Wilson)."""
    from statsmodels.stats.proportion import proportion_confint

    table = flag.astype(float).groupby(groups, observed=True).agg(n="size", responded="sum")
    table["rate"] = table["responded"] / table["n"]
    low, high = proportion_confint(table["responded"], table["n"], alpha=1 - ci, method="wilson")
    # the Wilson bounds of 0 of n and n of n are 0 and 1 up to rounding (e.g. 3e-17): hold them to the rate
    table["ci_low"] = np.minimum(np.asarray(low, dtype=float), table["rate"].to_numpy())
    table["ci_high"] = np.maximum(np.asarray(high, dtype=float), table["rate"].to_numpy())
    return table.astype({"n": int, "responded": int})


def _responses(name: str, df: pd.DataFrame, column: str) -> pd.Series:
    """The 0/1 outcome column as floats, missing where the contact had no such step."""
    values = df[column]
    known = values.notna()
    out = pd.Series(np.nan, index=df.index)
    out[known] = check_binary(f"{name}[{column!r}]", values[known].astype(float)).astype(float)
    return out


@dataclass(frozen=True, repr=False)
class ContactHistory(Result):
    """What the contact plan did: contacts per phase, per customer and their cost.

    Attributes
    ----------
    by_phase : DataFrame
        Per phase: ``contacts``, ``customers`` (distinct customers contacted),
        ``contacts_per_customer`` (among those), ``cost`` (EUR) and ``cost_per_contact``.
    per_customer : DataFrame
        One row per customer contacted: the number of contacts in each phase, ``contacts``
        (all phases) and ``cost`` (EUR).
    n_contacts : int
    n_customers : int
        Distinct customers contacted.
    total_cost : float
        EUR.

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": [1, 1, 2], "phase": ["welcome", "cross_sell", "welcome"],
    ...                   "cost": [0.5, 0.5, 6.0]})
    >>> contact_history(c).n_customers
    2
    """

    by_phase: pd.DataFrame
    per_customer: pd.DataFrame
    n_contacts: int
    n_customers: int
    total_cost: float

    def to_frame(self) -> pd.DataFrame:
        """The per-phase table.

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> c = pd.DataFrame({"customer_id": [1, 1, 2], "phase": ["welcome", "cross_sell", "welcome"],
        ...                   "cost": [0.5, 0.5, 6.0]})
        >>> contact_history(c).to_frame()["contacts"].to_dict()
        {'cross_sell': 1, 'welcome': 2}
        """
        return self.by_phase.copy()


def contact_history(contacts: pd.DataFrame, *, customer_col: str = "customer_id", phase_col: str = "phase",
                    cost_col: str = "cost") -> ContactHistory:
    """Contacts per phase and per customer, and what they cost.

    Parameters
    ----------
    contacts : DataFrame
        One row per contact, with ``customer_col``, ``phase_col`` and ``cost_col``.
    customer_col, phase_col, cost_col : str
        Columns: customer id, phase of the contact plan, cost of the contact (EUR).

    Returns
    -------
    ContactHistory
        ``by_phase``, ``per_customer``, ``n_contacts``, ``n_customers``, ``total_cost``.

    Raises
    ------
    ValueError
        Missing columns, missing phases, negative or missing costs.

    See Also
    --------
    contact_rates : how the contacts were answered.

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": [1, 1, 2, 3], "phase": ["welcome", "cross_sell", "welcome", "cross_sell"],
    ...                   "cost": [0.5, 0.5, 0.5, 6.0]})
    >>> h = contact_history(c)
    >>> h.by_phase
                contacts  customers  contacts_per_customer  cost  cost_per_contact
    phase
    cross_sell         2          2                    1.0   6.5              3.25
    welcome            2          2                    1.0   1.0              0.50
    >>> h.per_customer.loc[1].tolist()
    [1.0, 1.0, 2.0, 1.0]
    """
    check_frame("contacts", contacts, [customer_col, phase_col, cost_col])
    if contacts[phase_col].isna().any():
        raise ValueError(f"`contacts` column {phase_col!r} has {int(contacts[phase_col].isna().sum())} missing "
                         "values; every contact needs a phase.")
    cost = as_amounts("contacts", cost_col, contacts[cost_col].reset_index(drop=True))
    c = pd.DataFrame({"customer": contacts[customer_col].to_numpy(), "phase": contacts[phase_col].astype(str).to_numpy(),
                      "cost": cost.to_numpy()})
    grouped = c.groupby("phase")
    by_phase = pd.DataFrame({"contacts": grouped.size(), "customers": grouped["customer"].nunique(),
                             "cost": grouped["cost"].sum()})
    by_phase["contacts_per_customer"] = by_phase["contacts"] / by_phase["customers"]
    by_phase["cost_per_contact"] = by_phase["cost"] / by_phase["contacts"]
    by_phase = by_phase[["contacts", "customers", "contacts_per_customer", "cost", "cost_per_contact"]]
    per_customer = pd.crosstab(c["customer"], c["phase"]).astype(float)
    per_customer.columns.name = None
    per_customer.index.name = customer_col
    per_customer["contacts"] = per_customer.sum(axis=1)
    per_customer["cost"] = c.groupby("customer")["cost"].sum()
    return ContactHistory(by_phase=by_phase, per_customer=per_customer, n_contacts=len(c),
                          n_customers=int(c["customer"].nunique()), total_cost=float(c["cost"].sum()))


def contact_rates(contacts: pd.DataFrame, *, by: str | Sequence[str], response_col: str = "purchased_category_30d",
                  ci: float = 0.95) -> pd.DataFrame:
    """The share of contacts that got a response, per group, with Wilson intervals.

    Parameters
    ----------
    contacts : DataFrame
        One row per contact, with ``response_col`` (0/1 or True/False; missing where the
        contact had no such step, e.g. a call is never "opened": those rows are left out) and
        the ``by`` columns.
    by : str or sequence of str
        Column(s) that define the groups, e.g. ``"channel"`` or ``["phase", "channel"]``.
    response_col : str, default="purchased_category_30d"
        The response counted.
    ci : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        Indexed by group: ``n`` (contacts with a known response), ``responded``, ``rate``,
        ``ci_low``, ``ci_high``.

    Raises
    ------
    ValueError
        Missing columns, a response that is not 0/1, missing group values.

    See Also
    --------
    fidelia_kit.survey.response_rates : the same interval for people who answered a survey.

    Notes
    -----
    The Wilson score interval (Wilson 1927), via statsmodels' ``proportion_confint``, keeps
    inside [0, 1] and is accurate in small groups. Contacts of one customer are counted as
    independent; a customer contacted often weighs more than one contacted once.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22(158), 209-212.

    Examples
    --------
    >>> c = pd.DataFrame({"channel": ["email"] * 4 + ["sms"] * 4, "bought": [1, 0, 0, 0, 1, 1, 1, None]})
    >>> contact_rates(c, by="channel", response_col="bought").round(3)
             n  responded  rate  ci_low  ci_high
    channel
    email    4          1  0.25   0.046    0.699
    sms      3          3  1.00   0.439    1.000
    """
    by = [by] if isinstance(by, str) else list(by)
    check_frame("contacts", contacts, [response_col, *by])
    ci = check_ci(ci)
    flag = _responses("contacts", contacts, response_col)
    known = flag.notna()
    groups = contacts.loc[known, by]
    if groups.isna().any().any():
        bad = groups.columns[groups.isna().any()].tolist()
        raise ValueError(f"`contacts` column(s) {bad} have missing values among contacts with a known "
                         f"{response_col!r}; every contact needs a group.")
    keys = groups[by[0]] if len(by) == 1 else [groups[b] for b in by]
    return _wilson_table(flag[known], keys, ci)


def recent_contacts(contacts: pd.DataFrame, *, days: int = 30, customer_col: str = "customer_id",
                    date_col: str = "contact_date") -> pd.Series:
    """For each contact, how many contacts the same customer had in the ``days`` days before it.

    Parameters
    ----------
    contacts : DataFrame
        One row per contact, with ``customer_col`` and ``date_col``.
    days : int, default=30
        Length of the look-back window.
    customer_col, date_col : str
        Columns: customer id and contact date.

    Returns
    -------
    Series
        Aligned with ``contacts``: the number of the customer's contacts dated in
        ``[date - days, date)``; contacts on the same day do not count for each other.

    Raises
    ------
    ValueError
        Missing columns, bad dates, ``days`` below 1.

    See Also
    --------
    contact_fatigue : how the response falls with this count.

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": [1, 1, 1, 2, 1],
    ...                   "contact_date": ["2024-01-01", "2024-01-20", "2024-02-05", "2024-01-20", "2024-02-05"]})
    >>> recent_contacts(c).tolist()
    [0, 1, 1, 0, 1]
    """
    check_frame("contacts", contacts, [customer_col, date_col])
    days = check_int("days", days, 1, 36_500)
    dates = as_dates("contacts", date_col, contacts[date_col].reset_index(drop=True))
    day = ((dates - pd.Timestamp("1900-01-01")).dt.days).to_numpy(np.int64)
    customer = pd.factorize(contacts[customer_col].to_numpy())[0].astype(np.int64)
    span = int(day.max() - day.min()) + days + 2 if len(day) else 1
    key = customer * span + (day - (day.min() if len(day) else 0))
    ordered = np.sort(key)
    count = np.searchsorted(ordered, key, side="left") - np.searchsorted(ordered, key - days, side="left")
    return pd.Series(count.astype(np.int64), index=contacts.index, name=f"contacts_{days}d")


@dataclass(frozen=True, repr=False)
class FatigueResult(Result):
    """How the response falls with the number of recent contacts.

    Attributes
    ----------
    table : DataFrame
        Per number of recent contacts (the last row holds the top counts, from ``cap`` or lower
        until it holds ``min_contacts``): ``n``, ``responded``, ``rate``, ``ci_low``, ``ci_high`` (Wilson).
    slope : float
        Log-odds of responding per extra recent contact, from a logistic regression with the
        ``controls`` as dummies.
    ci : tuple of float
        Wald interval of ``slope``.
    odds_ratio : float
        ``exp(slope)``: the odds of responding are multiplied by it per extra contact.
    odds_ratio_ci : tuple of float
        ``exp`` of the ends of ``ci``: the interval of ``odds_ratio``.
    pvalue : float
    level : float
    n : int
        Contacts in the regression (levels of a control where everyone responded alike are
        left out).
    controls : tuple of str

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> recent = rng.integers(0, 5, 4000)
    >>> bought = rng.random(4000) < 1 / (1 + np.exp(1.0 + 0.3 * recent))
    >>> fit = contact_fatigue(pd.DataFrame({"recent": recent, "bought": bought}), recent_col="recent",
    ...                       response_col="bought", controls=())
    >>> fit.ci[0] < -0.3 < fit.ci[1]
    True
    """

    table: pd.DataFrame
    slope: float
    ci: tuple[float, float]
    odds_ratio: float
    pvalue: float
    level: float
    n: int
    controls: tuple[str, ...]
    odds_ratio_ci: tuple[float, float] = (float("nan"), float("nan"))

    def to_frame(self) -> pd.DataFrame:
        """The response rate per number of recent contacts.

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> c = pd.DataFrame({"recent": [0, 0, 1, 1, 2, 2, 0, 1], "bought": [1, 0, 1, 0, 0, 0, 1, 1]})
        >>> fit = contact_fatigue(c, recent_col="recent", response_col="bought", controls=(), min_contacts=1)
        >>> fit.to_frame()["n"].tolist()
        [3, 3, 2]
        >>> contact_fatigue(c, recent_col="recent", response_col="bought", controls=(), min_contacts=5).to_frame()["n"].tolist()
        [3, 5]
        """
        return self.table.copy()


def contact_fatigue(contacts: pd.DataFrame, *, recent_col: str = "recent_contacts",
                    response_col: str = "purchased_category_30d", controls: Sequence[str] = ("channel", "category"),
                    cap: int = 5, min_contacts: int = 30, ci: float = 0.95) -> FatigueResult:
    """The response by number of recent contacts, and its logistic slope with an interval.

    Parameters
    ----------
    contacts : DataFrame
        One row per contact, with ``recent_col`` (contacts in the days before, e.g. from
        :func:`recent_contacts`), ``response_col`` and the ``controls``. Use contacts whose
        content was drawn at random (the randomized cross-sell offers), or the slope also
        carries whatever made the firm contact some customers more often.
    recent_col : str, default="recent_contacts"
    response_col : str, default="purchased_category_30d"
        0/1 response; rows where it is missing are left out.
    controls : sequence of str, default=("channel", "category")
        Categorical columns entered as dummies, so the slope compares contacts of the same
        channel and category. A level whose contacts all responded alike (say, no purchase
        at all) is left out: its dummy would be infinite, and it says nothing about the slope.
    cap : int, default=5
        The table's last row holds ``cap`` or more recent contacts (the regression uses the
        uncapped count).
    min_contacts : int, default=30
        The table's rows from the top count down are merged until the last row holds at least
        this many contacts (a rate of a handful of contacts is noise); 1 keeps every row up
        to ``cap``.
    ci : float, default=0.95
        Confidence level.

    Returns
    -------
    FatigueResult
        ``table``, ``slope``, ``ci``, ``odds_ratio``, ``pvalue``, ``level``, ``n``,
        ``controls``, ``odds_ratio_ci``.

    Raises
    ------
    ValueError
        Missing columns, a negative or missing count, a response that is not 0/1.
    fidelia_kit.ConvergenceError
        The regression does not converge (e.g. a control that separates responders).

    See Also
    --------
    recent_contacts : the count this function reads.

    Notes
    -----
    .. math:: \\operatorname{logit} P(y = 1) = \\beta_0 + \\beta\\, n_{recent} + \\sum_j \\gamma_j d_j

    with :math:`d_j` the dummies of the controls; ``slope`` is :math:`\\hat\\beta` with its Wald
    interval. A logistic slope is conditional on what the model holds fixed: customers who
    respond differently for reasons not in the model make the slope of a model without them
    smaller in size than the slope each customer has (non-collapsibility).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> recent = rng.integers(0, 4, 3000)
    >>> channel = rng.choice(["email", "sms"], 3000)
    >>> p = 1 / (1 + np.exp(0.5 + 0.4 * recent - 0.5 * (channel == "sms")))
    >>> c = pd.DataFrame({"recent": recent, "channel": channel, "bought": rng.random(3000) < p})
    >>> fit = contact_fatigue(c, recent_col="recent", response_col="bought", controls=["channel"])
    >>> round(fit.slope, 2), fit.n
    (-0.42, 3000)
    """
    from statsmodels.tools.sm_exceptions import ConvergenceWarning as StatsmodelsConvergenceWarning

    from .. import _sm as sm
    from ..exceptions import ConvergenceError

    controls = tuple(controls)
    check_frame("contacts", contacts, [recent_col, response_col, *controls])
    cap = check_int("cap", cap, 1, 10_000)
    min_contacts = check_int("min_contacts", min_contacts, 1, 10**9)
    ci = check_ci(ci)
    flag = _responses("contacts", contacts, response_col)
    rows = flag.notna() & contacts[list(controls)].notna().all(axis=1)
    for control in controls:
        # a level whose contacts all responded alike has an infinite dummy and adds nothing to the slope: left out
        spread = flag[rows].groupby(contacts.loc[rows, control]).transform(lambda v: v.nunique() > 1)
        rows &= spread.reindex(rows.index, fill_value=False).astype(bool)
    recent = as_amounts("contacts", recent_col, contacts.loc[rows, recent_col].reset_index(drop=True))
    if (recent != np.round(recent)).any():
        raise ValueError(f"`contacts` column {recent_col!r} must hold whole numbers of contacts.")
    y = flag[rows].to_numpy()
    counts = np.minimum(recent.to_numpy(), cap).astype(int)
    top = int(counts.max()) if len(counts) else 0
    while top > 0 and (counts >= top).sum() < min_contacts:     # merge sparse top rows into the one below
        top -= 1
    table = _wilson_table(pd.Series(y), np.minimum(counts, top), ci)
    table.index.name = recent_col
    X = pd.DataFrame({recent_col: recent.to_numpy()})
    if controls:
        dummies = pd.get_dummies(contacts.loc[rows, list(controls)].astype(str), drop_first=True, dtype=float)
        X = pd.concat([X, dummies.reset_index(drop=True)], axis=1)
    X = sm.add_constant(X, has_constant="add")
    try:
        with warnings.catch_warnings():      # non-convergence is raised below as the kit's ConvergenceError
            warnings.simplefilter("ignore", StatsmodelsConvergenceWarning)
            fit = sm.Logit(y, X).fit(disp=0, maxiter=200)
    except np.linalg.LinAlgError as err:
        raise ConvergenceError(f"the fatigue regression cannot be fitted: {err}", None) from err
    if not fit.mle_retvals.get("converged", True):
        raise ConvergenceError("the fatigue regression did not converge.", fit.mle_retvals)
    low, high = fit.conf_int(alpha=1 - ci).loc[recent_col]
    slope = float(fit.params[recent_col])
    return FatigueResult(table=table, slope=slope, ci=(float(low), float(high)), odds_ratio=float(np.exp(slope)),
                         pvalue=float(fit.pvalues[recent_col]), level=ci, n=int(len(y)), controls=controls,
                         odds_ratio_ci=(float(np.exp(low)), float(np.exp(high))))
