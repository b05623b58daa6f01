"""The contact plan as Fidelia ran it: one row per contact, and the true response model.

Fidelia's plan follows the customer's life: a *welcome* after the first purchase, periodic
*cross-sell* offers of a category to active customers, *up-grade* offers to customers close
below the next card tier, *questionnaire* invitations (the two survey waves), *referral*
invitations to loyal customers and the *reactivation* campaign (the retention experiment).
Who is contacted, when and how follows the rules in :data:`SCHEDULE`; the welcome rows are
the welcome arm of the welcome trial and the reactivation rows the two contacted arms of the
retention experiment, so the three tables agree.

Every response is drawn from one logistic model whose coefficients are in ``truth.json`` →
``contacts`` (:data:`RESPONSE`): the log-odds of the contact's main response add a phase
intercept, the channel, the channel's fit with the customer's latent profile, the
customer's purchase rate, contact fatigue (a fixed negative amount per contact the customer
received in the 30 days before) and, for a cross-sell offer, how much more of the offered
category the customer's profile buys than the average profile. Responses do not depend on
whether the customer has already left (the BG/NBD dropout): the offers go to customers who
bought in the 90 days before, and their purchases are recorded here only. A share of the cross-sell offers
(``WorldConfig.contact_random_share``) draws category and channel at random, so the model
can be learned from them without the bias of the firm's own targeting rule.

The purchases the offers bring are the contacts' recorded outcome (``purchased_category_30d``,
``redeemed``); they are not added to the transactions, which stay as they were without the
contact plan.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..schema import CATEGORIES, CONTACT_CHANNELS, CONTACT_PHASES, PROFILES
from .config import WorldConfig
from .people import PROFILE_TRAITS, People

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["make_contacts", "contacts_truth", "true_offer_response", "CONTACT_COST", "RESPONSE", "SCHEDULE",
           "CATEGORY_CENTRE"]

#: Cost of one contact per channel, EUR (e-mail and call as in the retention experiment).
CONTACT_COST = {"email": 0.50, "app": 0.10, "sms": 0.20, "mail": 1.50, "call": 6.00}

#: The true response model (log-odds), written to truth.json -> contacts.response.
RESPONSE = {
    # log-odds of the main response of each phase for an average customer (purchase rate at the
    # population's mean, category weight 0, e-mail, no recent contact): for cross_sell, buying the
    # offered category within 30 days; for upgrade, redeeming the up-grade voucher; for the others,
    # clicking (the click model below)
    "intercept": {"welcome": -0.6, "cross_sell": -2.4, "upgrade": -1.4, "questionnaire": 0.0,
                  "referral_invite": -1.6, "reactivation": -1.0},
    # x the profile's lift in the offered category: its weight in the profile's category mix
    # (truth.json -> profiles.<profile>.categories) minus category_centre, the mean of the four profiles' weights
    "category_weight": 7.0,
    "channel": {"email": 0.0, "app": 0.25, "sms": -0.15, "mail": 0.10, "call": 0.70},
    "profile_channel": {
        "family": {"email": 0.25, "app": 0.0, "sms": 0.10, "mail": 0.0, "call": -0.30},
        "premium": {"email": 0.0, "app": -0.20, "sms": -0.50, "mail": 0.40, "call": 0.50},
        "bargain": {"email": 0.0, "app": 0.60, "sms": 0.40, "mail": -0.50, "call": -0.80},
        "convenience": {"email": -0.20, "app": -0.40, "sms": 0.50, "mail": 0.20, "call": 0.10},
    },
    # x (log purchase_rate - log(r / alpha)); 0 for prospects (no purchase rate)
    "log_purchase_rate": 0.35,
    # x contacts received in the 30 days before (contact day excluded)
    "fatigue_per_contact": -0.30,
    "fatigue_window_days": 30,
    # opened (e-mail, app): log-odds = open_intercept[channel] + fatigue x recent contacts
    "open_intercept": {"email": 0.2, "app": -0.3},
    # clicked (e-mail, app: among the opened; SMS: of all): log-odds = main response's log-odds + click_shift
    "click_shift": 1.0,
    # an offer's purchase uses the coupon (redeemed) with this probability
    "redeem_given_purchase": 0.7,
}

#: The plan's rules (days counted from the window's start), written to truth.json -> contacts.schedule.
SCHEDULE = {
    "welcome_days_after_registration": 7,
    "cross_sell_every_days": 28,
    "cross_sell_active_days": 90,
    "cross_sell_share": 0.30,
    "upgrade_every_days": 91,
    "upgrade_band": 0.80,
    "referral_days_share": (0.45, 0.90),
    "referral_min_purchase_days_365d": 8,
    "app_share_for_app": 0.5,
}

_CH = {c: i for i, c in enumerate(CONTACT_CHANNELS)}
_PH = {p: i for i, p in enumerate(CONTACT_PHASES)}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _category_lift(weights: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """(profile, category): how much more of the category the profile buys than the average profile."""
    return weights - centre[None, :]


_WEIGHTS = np.array([PROFILE_TRAITS[p]["categories"] for p in PROFILES], dtype=float)
#: Mean weight of each category over the four profiles (equal weights), the centre of the category term.
CATEGORY_CENTRE = dict(zip(CATEGORIES, np.round(_WEIGHTS.mean(axis=0), 6).tolist()))


def _log_rate_term(lam: np.ndarray, cfg_r: float, cfg_alpha: float) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        term = np.log(lam) - np.log(cfg_r / cfg_alpha)
    return np.where(np.isfinite(term), term, 0.0)


def _logit(response: dict, intercept: np.ndarray | float, channel: np.ndarray, profile: np.ndarray,
           rate_term: np.ndarray, recent: np.ndarray, cat_weight: np.ndarray) -> np.ndarray:
    """Log-odds of the main response; channel, profile are index arrays, cat_weight 0 where no category."""
    chan = np.array([response["channel"][c] for c in CONTACT_CHANNELS])
    prof_chan = np.array([[response["profile_channel"][p][c] for c in CONTACT_CHANNELS] for p in PROFILES])
    return (intercept + chan[channel] + prof_chan[profile, channel]
            + response["log_purchase_rate"] * rate_term + response["fatigue_per_contact"] * recent
            + response["category_weight"] * cat_weight)


def _recent_contacts(customer: np.ndarray, day: np.ndarray, window: int) -> np.ndarray:
    """For each contact, the same customer's contacts in the ``window`` days before its day (its day excluded)."""
    key = customer.astype(np.int64) * 1_000_000 + day.astype(np.int64)
    sorted_key = np.sort(key)
    return np.searchsorted(sorted_key, key, side="left") - np.searchsorted(sorted_key, key - window, side="left")


def make_contacts(cfg: WorldConfig, people: People, tx: pd.DataFrame, items: pd.DataFrame,
                  experiment: pd.DataFrame, survey_invitations: Sequence[tuple[int, np.ndarray, np.ndarray]],
                  rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    """Schedule the contact plan and draw every response.

    ``tx`` holds ``customer_id``, ``day`` (from the window's start), ``amount`` and ``channel``;
    ``items`` the basket lines (``transaction_id``, ``category``); ``experiment`` the retention
    experiment (``customer_id``, ``assigned_date`` as a day, ``arm``, ``active_90d``);
    ``survey_invitations`` per survey wave (day, invited indices, responding indices).
    Returns the table (``contact_date`` as a day number) and the truth dict.
    """
    n, n_days = people.n, cfg.n_days
    n_cat = len(CATEGORIES)
    rows = []  # (customer index, day, phase, category or -1, assignment 0 none / 1 rule / 2 random, channel)

    def add(idx, day, phase, channel, category=None, assignment=None):
        idx = np.asarray(idx, dtype=np.int64)
        m = len(idx)
        rows.append(np.column_stack([
            idx, np.broadcast_to(np.asarray(day, dtype=np.int64), (m,)), np.full(m, _PH[phase]),
            np.full(m, -1) if category is None else np.asarray(category),
            np.zeros(m, dtype=np.int64) if assignment is None else np.asarray(assignment),
            np.broadcast_to(np.asarray(channel, dtype=np.int64), (m,)),
        ]).astype(np.int64))

    # welcome: 7 days after registration to buyers who bought on registering, and to the welcome arm of the trial
    delay = SCHEDULE["welcome_days_after_registration"]
    bought_at_once = people.buyer & (people.welcome.first_purchase == people.first_day)
    trial_welcome = people.welcome.arm == 1
    who = np.flatnonzero((bought_at_once | trial_welcome) & (people.first_day + delay < n_days))
    add(who, people.first_day[who] + delay, "welcome", _CH["email"])

    # receipts and lines, per customer and day
    cust = tx["customer_id"].to_numpy() - 1
    tday = tx["day"].to_numpy()
    amount = tx["amount"].to_numpy()
    is_app = (tx["channel"].to_numpy() == "app").astype(float)
    line_tx = pd.Index(tx["transaction_id"]).get_indexer(items["transaction_id"])
    line_cust, line_day = cust[line_tx], tday[line_tx]
    line_cat = pd.Categorical(items["category"], categories=CATEGORIES).codes.astype(np.int64)

    def per_customer(mask, weights=None):
        return np.bincount(cust[mask], weights=None if weights is None else weights[mask], minlength=n)

    def rule_channel(d):
        before = tday < d
        receipts = per_customer(before)
        app = per_customer(before, is_app)
        share = np.divide(app, receipts, out=np.zeros(n), where=receipts > 0)
        return np.where(share >= SCHEDULE["app_share_for_app"], _CH["app"], _CH["email"])

    # cross-sell waves: a share of the customers active in the 90 days before; the firm's rule offers the
    # category the customer bought most often (lines), on the app for app shoppers, else by e-mail; a share
    # contact_random_share gets a category and a channel drawn at random instead
    every = SCHEDULE["cross_sell_every_days"]
    for d in range(every, n_days, every):
        recent = (tday >= d - SCHEDULE["cross_sell_active_days"]) & (tday < d)
        active = np.flatnonzero(per_customer(recent) > 0)
        chosen = active[rng.random(len(active)) < SCHEDULE["cross_sell_share"]]
        lines = line_day < d
        counts = np.bincount(line_cust[lines] * n_cat + line_cat[lines], minlength=n * n_cat).reshape(n, n_cat)
        random = rng.random(len(chosen)) < cfg.contact_random_share
        category = np.where(random, rng.integers(0, n_cat, len(chosen)), counts[chosen].argmax(axis=1))
        channel = np.where(random, rng.integers(0, len(CONTACT_CHANNELS), len(chosen)), rule_channel(d)[chosen])
        add(chosen, d, "cross_sell", channel, category, np.where(random, 2, 1))

    # up-grade offers: spend in the 365 days before within 80% of the next tier's threshold, once per tier
    from .world import GOLD, SILVER  # the tiers' thresholds, defined with the card

    offered = np.zeros((n, 2), dtype=bool)
    every = SCHEDULE["upgrade_every_days"]
    band = SCHEDULE["upgrade_band"]
    for d in range(every, n_days, every):
        spend = per_customer((tday >= d - 365) & (tday < d), amount)
        for k, threshold in enumerate((SILVER, GOLD)):
            near = np.flatnonzero((spend >= band * threshold) & (spend < threshold) & ~offered[:, k])
            offered[near, k] = True
            add(near, d, "upgrade", _CH["mail"] if k == 1 else _CH["email"])

    # questionnaire invitations: the survey waves' invited customers, by e-mail on the wave's day
    for d, invited, _ in survey_invitations:
        add(invited, d, "questionnaire", _CH["email"])

    # referral invitations: customers with at least 8 purchase days in the 365 days before
    for share in SCHEDULE["referral_days_share"]:
        d = int(round(share * n_days))
        last_year = (tday >= d - 365) & (tday < d)
        days = pd.DataFrame({"c": cust[last_year], "d": tday[last_year]}).drop_duplicates()
        n_days_365 = np.bincount(days["c"].to_numpy(), minlength=n)
        loyal = np.flatnonzero(n_days_365 >= SCHEDULE["referral_min_purchase_days_365d"])
        add(loyal, d, "referral_invite", rule_channel(d)[loyal])

    # reactivation: the contacted arms of the retention experiment
    arm = experiment["arm"].to_numpy()
    for name, channel in (("email_discount", "email"), ("personal_call", "call")):
        sel = arm == name
        add(experiment["customer_id"].to_numpy()[sel] - 1, experiment["assigned_date"].to_numpy()[sel],
            "reactivation", _CH[channel])

    plan = np.concatenate(rows) if rows else np.empty((0, 6), dtype=np.int64)
    order = np.lexsort((plan[:, 2], plan[:, 0], plan[:, 1]))  # by day, customer, phase
    plan = plan[order]
    idx, day, phase, category, assignment, channel = plan.T
    m = len(plan)

    # the responses
    window = RESPONSE["fatigue_window_days"]
    recent = _recent_contacts(idx, day, window)
    rate_term = _log_rate_term(people.lam[idx], cfg.purchase_r, cfg.purchase_alpha)
    lift = _category_lift(_WEIGHTS, np.array(list(CATEGORY_CENTRE.values())))
    cat_weight = np.where(category >= 0, lift[people.profile[idx], np.maximum(category, 0)], 0.0)
    intercept = np.array([RESPONSE["intercept"][p] for p in CONTACT_PHASES])[phase]
    logit = _logit(RESPONSE, intercept, channel, people.profile[idx], rate_term, recent, cat_weight)
    u_open, u_click, u_buy, u_redeem = rng.random((4, m))
    opens = np.isin(channel, [_CH["email"], _CH["app"]])
    clicks = opens | (channel == _CH["sms"])
    open_int = np.array([RESPONSE["open_intercept"].get(c, 0.0) for c in CONTACT_CHANNELS])[channel]
    p_open = _sigmoid(open_int + RESPONSE["fatigue_per_contact"] * recent)
    opened = opens & (u_open < p_open)
    p_click = _sigmoid(logit + RESPONSE["click_shift"])
    clicked = np.where(opens, opened & (u_click < p_click), u_click < p_click) & clicks

    # questionnaire: clicked = returned the questionnaire (the survey decides), opened at least then
    is_q = phase == _PH["questionnaire"]
    answered = np.zeros(m, dtype=bool)
    for d, _, resp in survey_invitations:
        who = np.zeros(n, dtype=bool)
        who[resp] = True
        on = is_q & (day == d)
        answered[on] = who[idx[on]]
    clicked = np.where(is_q, answered, clicked)
    opened = np.where(is_q, opened | answered, opened)

    is_cross = phase == _PH["cross_sell"]
    purchased = is_cross & (u_buy < _sigmoid(logit))
    redeemed = np.where(is_cross, purchased & (u_redeem < RESPONSE["redeem_given_purchase"]),
                        u_redeem < _sigmoid(logit))
    # reactivation by e-mail: the 15% discount is used on the first purchase in the 90 days (the experiment's outcome)
    is_react = phase == _PH["reactivation"]
    active = pd.Series(experiment["active_90d"].to_numpy(), index=experiment["customer_id"].to_numpy() - 1)
    redeemed = np.where(is_react, active.reindex(idx).fillna(False).to_numpy(dtype=bool), redeemed)
    has_redeem = is_cross | (phase == _PH["upgrade"]) | (is_react & (channel == _CH["email"]))

    def flag(values, where):
        out = pd.Series(np.asarray(values, dtype=bool), dtype="boolean")
        out[~np.asarray(where, dtype=bool)] = pd.NA
        return out

    table = pd.DataFrame({
        "contact_id": np.arange(1, m + 1),
        "customer_id": idx + 1,
        "contact_date": day,
        "phase": np.array(CONTACT_PHASES)[phase],
        "category": pd.Series(np.array(CATEGORIES + ("",))[category], dtype="str").where(category >= 0),
        "assignment": pd.Series(np.array(("", "rule", "random"))[assignment], dtype="str").where(assignment > 0),
        "channel": np.array(CONTACT_CHANNELS)[channel],
        "cost": np.array([CONTACT_COST[c] for c in CONTACT_CHANNELS])[channel],
        "opened": flag(opened, opens),
        "clicked": flag(clicked, clicks | is_q),
        "redeemed": flag(redeemed, has_redeem),
        "purchased_category_30d": flag(purchased, is_cross),
    })
    truth = contacts_truth(cfg, table, logit=logit, recent=recent)
    return table, truth


def contacts_truth(cfg: WorldConfig, table: pd.DataFrame, *, logit: np.ndarray, recent: np.ndarray) -> dict:
    """truth.json -> contacts: the model, the rules and the true mean probabilities of the randomized offers."""
    random = (table["assignment"] == "random").to_numpy()
    p = _sigmoid(logit)
    channel = table["channel"].to_numpy()
    return {
        "response": {k: (dict(v) if isinstance(v, dict) else v) for k, v in RESPONSE.items()}
                    | {"category_centre": CATEGORY_CENTRE},
        "cost": CONTACT_COST,
        "schedule": {k: (list(v) if isinstance(v, tuple) else v) for k, v in SCHEDULE.items()},
        "random_share": cfg.contact_random_share,
        "log_purchase_rate_center": float(np.round(np.log(cfg.purchase_r / cfg.purchase_alpha), 6)),
        "n": int(len(table)),
        "phase_counts": {ph: int((table["phase"] == ph).sum()) for ph in CONTACT_PHASES},
        "random_offers": int(random.sum()),
        "mean_p_purchase_random": {c: float(np.round(p[random & (channel == c)].mean(), 6))
                                   if (random & (channel == c)).any() else None for c in CONTACT_CHANNELS},
        "mean_recent_contacts": float(np.round(recent.mean(), 6)) if len(recent) else 0.0,
        "note": "Log-odds of the main response of a contact (cross_sell: purchased_category_30d; upgrade: redeemed; "
                "welcome, referral_invite, reactivation: clicked) = intercept[phase] + channel[channel] + "
                "profile_channel[profile][channel] + log_purchase_rate x (log purchase_rate - "
                "log_purchase_rate_center; 0 for prospects) + fatigue_per_contact x (contacts of the customer in the "
                "fatigue_window_days days before the contact's day) + category_weight x (the weight of the offered "
                "category in the profile's category mix, truth.json -> profiles, minus category_centre, the mean of "
                "the four profiles' weights; cross_sell only). opened: log-odds "
                "open_intercept[channel] + fatigue_per_contact x recent contacts (e-mail and app only). clicked: among "
                "the opened (e-mail, app) or of all (SMS), log-odds = main log-odds + click_shift; for a questionnaire, "
                "clicked = returned it (survey_waves.csv). redeemed: cross_sell, purchased and the coupon used "
                "(redeem_given_purchase); reactivation by e-mail, the discount used = active_90d of "
                "retention_experiment.csv. Offer purchases are not added to transactions.csv.",
    }


def true_offer_response(truth_customers: pd.DataFrame, truth: dict, *, category: str, channel: str,
                        recent_contacts: int | float | np.ndarray | pd.Series = 0) -> pd.Series:
    """Each customer's true probability of buying the offered category within 30 days of a cross-sell offer.

    The answer a next-best-offer model tries to give, computed from the world's latent values:
    the logistic response model of ``truth.json`` → ``contacts.response``, for one category
    offered on one channel.

    Parameters
    ----------
    truth_customers : pandas.DataFrame
        The world's ``truth_customers`` table, with ``customer_id``, ``profile`` and ``purchase_rate``.
    truth : dict
        The world's truth (``World.truth``), with ``contacts``, ``profiles`` and ``config``.
    category : str
        The offered category, one of :data:`fidelia_kit.schema.CATEGORIES`.
    channel : str
        The channel, one of ``email``, ``app``, ``sms``, ``mail``, ``call``.
    recent_contacts : int, float or array-like, default=0
        Contacts the customer received in the 30 days before the offer (one value, or one per
        row of ``truth_customers``); each lowers the log-odds by ``fatigue_per_contact``.

    Returns
    -------
    pandas.Series
        Indexed by ``customer_id``, named ``p_purchase_30d``: probabilities in (0, 1).

    Raises
    ------
    TypeError
        ``truth_customers`` is not a DataFrame or ``truth`` is not a dict.
    ValueError
        A column is missing, ``category`` or ``channel`` is unknown, ``truth`` has no
        ``contacts`` section, or ``recent_contacts`` is negative or of the wrong length.

    Notes
    -----
    With :math:`w_{pc}` the weight of category :math:`c` in the category mix of profile :math:`p`,
    :math:`\\bar w_c` its mean over the four profiles (``category_centre``) and :math:`k` the
    recent contacts,

    .. math::
        \\operatorname{logit} P = \\beta_0 + \\beta_{ch} + \\beta_{p,ch}
        + \\beta_\\lambda (\\log\\lambda - \\log(r/\\alpha)) + \\beta_k k + \\beta_w (w_{pc} - \\bar w_c)

    An offer works best in the categories the customer's profile buys more than the average
    profile does, so the best category differs between customers.

    The cost of the contact and the margin of the purchase are not in it: a profit is
    ``P x margin - cost`` (``truth.json`` → ``contacts.cost``, ``category_margin``).

    Examples
    --------
    >>> from fidelia_kit.synth import generate_world
    >>> w = generate_world(n_customers=300, seed=1)
    >>> p = true_offer_response(w.truth_customers, w.truth, category="kids", channel="email")
    >>> bool(p.between(0, 1).all()), p.name
    (True, 'p_purchase_30d')
    >>> tired = true_offer_response(w.truth_customers, w.truth, category="kids", channel="email", recent_contacts=2)
    >>> bool((tired < p).all())
    True
    """
    from .._validation import check_frame, check_option

    check_frame("truth_customers", truth_customers, ["customer_id", "profile", "purchase_rate"])
    if not isinstance(truth, dict):
        raise TypeError(f"`truth` must be a dict (World.truth); got {type(truth).__name__}.")
    if "contacts" not in truth or "config" not in truth:
        raise ValueError("`truth` has no 'contacts' section; it must be the truth of a world generated with the "
                         "contact plan (World.truth).")
    check_option("category", category, CATEGORIES)
    check_option("channel", channel, CONTACT_CHANNELS)
    recent = np.asarray(recent_contacts, dtype=float)
    if recent.ndim > 1 or (recent.ndim == 1 and len(recent) != len(truth_customers)):
        raise ValueError(f"`recent_contacts` must be one number or one per row of truth_customers "
                         f"({len(truth_customers)}); got shape {recent.shape}.")
    if np.any(~np.isfinite(recent)) or np.any(recent < 0):
        raise ValueError("`recent_contacts` must be finite and >= 0.")
    response = truth["contacts"]["response"]
    profile = truth_customers["profile"]
    unknown = ~profile.isin(PROFILES)
    if unknown.any():
        raise ValueError(f"truth_customers: column 'profile' must hold {list(PROFILES)}; "
                         f"{int(unknown.sum())} row(s) hold something else, e.g. {profile[unknown].iloc[0]!r}.")
    codes = pd.Index(PROFILES).get_indexer(profile).astype(np.int64)
    weights = np.array([truth["profiles"][p]["categories"] for p in PROFILES], dtype=float)
    lift = _category_lift(weights, np.array([response["category_centre"][c] for c in CATEGORIES], dtype=float))
    cfg = truth["config"]
    lam = truth_customers["purchase_rate"].to_numpy(dtype=float)
    rate_term = _log_rate_term(lam, cfg["purchase_r"], cfg["purchase_alpha"])
    m = len(truth_customers)
    logit = _logit(response, response["intercept"]["cross_sell"], np.full(m, _CH[channel]), codes, rate_term,
                   np.broadcast_to(recent, (m,)), lift[codes, CATEGORIES.index(category)])
    return pd.Series(_sigmoid(logit), index=pd.Index(truth_customers["customer_id"].to_numpy(), name="customer_id"),
                     name="p_purchase_30d")
