"""generate_world: one linked synthetic world, and the truth that made it."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from tqdm import tqdm  # a text bar: tqdm.auto would warn in every notebook kernel without ipywidgets

from ..dataset import DATA_TABLES, TMP_PREFIX, TRUTH_FILE, World, alive_on, remove_leftovers, truth_text, write_csv
from ..schema import (
    ACQUISITION_CHANNELS,
    AGE_BANDS,
    ARMS,
    CARD_TIERS,
    CONSTRUCTS,
    PROFILES,
    REGIONS,
    coerce_table,
)
from .complaints import defection_log_odds, make_complaints
from .config import WorldConfig
from .contacts import make_contacts, true_offer_response
from .experiment import run_experiment
from .memberships import make_memberships
from .people import CONSTRUCT_CORRELATION, DRIVER_WEIGHTS, PROFILE_TRAITS, REFERRAL_WEIGHTS, make_people
from .purchases import GOLD, SILVER, TIER_DAYS, simulate_purchases, tier_index
from .survey import WALLET_STEP, _respondents, make_first_wave, make_survey, survey_waves, wallet_answer
from .transactions import CATEGORY_MARGIN, POINTS_BLOCK, make_transactions
from .welcome import welcome_table, welcome_truth

if TYPE_CHECKING:
    from .._typing import ArrayLike, DateLike

# World, the file names and the writers live in fidelia_kit.dataset (which fidelia_kit.io reads with,
# without loading the generator); they stay importable from here.
__all__ = ["generate_world", "true_expected_purchases", "true_wallet_report_error", "true_offer_response", "peak_memory_estimate", "available_memory",
           "World", "TRUTH_FILE", "TMP_PREFIX", "DATA_TABLES", "remove_leftovers", "truth_text", "write_csv"]

# one random stream per part of the world, in this order (a part added at the end leaves the others' draws)
_STREAM_NAMES = ("people", "purchases", "experiment", "baskets", "complaints", "survey", "memberships", "first_wave",
                 "welcome", "contacts", "wallet_report")
HORIZON_WEEKS = 52


def peak_memory_estimate(config: WorldConfig) -> int:
    """Bytes of memory that ``generate_world(config)`` needs at its peak, beyond the imports.

    Calibrated on peak resident sizes measured with ``resource.getrusage``: about
    3.8 kB per customer for one year, 5.3 kB for two (5.2 GB at a million customers,
    see benchmarks/bench_generate.py) and 8.2 kB for five. The estimate,
    ``n_customers * (2.9 kB + 1.25 kB * n_years)``, is at or above every measurement.
    Saving the world as CSV needs no more than generating it.

    Parameters
    ----------
    config : WorldConfig
        The world to be generated (its size and number of years count).

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> peak_memory_estimate(WorldConfig(n_customers=10_000))
    54000000
    """
    return int(config.n_customers * (2_900 + 1_250 * config.n_years))


def available_memory() -> int | None:
    """Bytes of memory available to this process (MemAvailable, capped by a cgroup limit); None if unknown.

    Read from ``/proc/meminfo`` (or ``sysconf``) and, in a container, the cgroup v2 limit minus
    what is in use; the command line refuses to generate a world that would not fit.

    Returns
    -------
    int or None

    Examples
    --------
    >>> have = available_memory()
    >>> have is None or have > 0
    True
    """
    have = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    have = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    if have is None:
        try:
            have = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            pass
    try:  # a container's limit (cgroup v2)
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text(encoding="ascii"))
        if limit != "max":
            have = int(limit) - used if have is None else min(have, int(limit) - used)
    except (OSError, ValueError):
        pass
    return have


def _dates(start: dt.date, days) -> pd.Series:
    return pd.Series(np.datetime64(start, "D") + np.asarray(days, dtype="timedelta64[D]"))


def _r(x, digits=6):
    """Round for the truth file (stable text across machines)."""
    return float(np.round(float(x), digits))


def _bgnbd_expected_purchases(lam, p, weeks):
    """(1 - exp(-lambda p t)) / p: a customer alive now, buying at rate lambda per week and leaving
    after each purchase with probability p, makes this many purchases on average in the next t weeks."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (1 - np.exp(-lam * p * weeks)) / p


def true_expected_purchases(truth_customers: pd.DataFrame, *, as_of: DateLike,
                            horizon_days: float) -> pd.Series:
    """Each customer's true expected number of purchases in the ``horizon_days`` days from ``as_of``.

    The answer a BG/NBD or Pareto/NBD prediction made at ``as_of`` tries to give, computed from
    the world's latent values instead of from the purchases: a customer still alive on ``as_of``
    buys at rate lambda (``purchase_rate``, per week) and leaves after each purchase with
    probability p (``dropout_prob``); a customer who left before ``as_of`` buys nothing more.

    Parameters
    ----------
    truth_customers : pandas.DataFrame
        The world's ``truth_customers`` table, with ``customer_id``, ``purchase_rate``,
        ``dropout_prob``, ``alive_end`` and ``dropout_date`` (empty while alive at the window's end).
    as_of : date
        The first day of the horizon (exclusive end of the calibration: the holdout's first day).
        A customer is alive on it when ``alive_end`` is true or ``dropout_date >= as_of``.
    horizon_days : float
        Length of the horizon in days (>= 0); the rates are per week, so t = horizon_days / 7.

    Returns
    -------
    pandas.Series
        Indexed by ``customer_id``, named ``expected_purchases``: 0 for a customer not alive on
        ``as_of``, missing for prospects (they have no purchase process).

    Raises
    ------
    TypeError
        ``truth_customers`` is not a DataFrame.
    ValueError
        A column is missing, ``dropout_date`` holds text that is not a date, ``as_of`` is not a
        date or ``horizon_days`` is negative.

    See Also
    --------
    fidelia_kit.clv.BetaGeoModel.expected_purchases : the model's estimate of the same number.

    Notes
    -----
    For a customer alive at the start of the horizon (Fader, Hardie & Lee 2005, the individual
    level of the BG/NBD; also ``expected_purchases_52w`` of the truth, with t = 52 weeks):

    .. math:: E[X(t) \\mid \\lambda, p, \\text{alive}] = \\frac{1 - e^{-\\lambda p t}}{p}

    The formula assumes the customer was on the books the whole horizon: restrict the result to
    customers who made their first purchase before ``as_of`` (those of a calibration summary).

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the
       easy way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> truth = pd.DataFrame({"customer_id": [1, 2, 3], "purchase_rate": [0.5, 0.5, 0.5],
    ...                       "dropout_prob": [0.1, 0.1, 0.1], "alive_end": [True, False, False],
    ...                       "dropout_date": [None, "2024-03-01", "2024-05-01"]})
    >>> true_expected_purchases(truth, as_of="2024-04-01", horizon_days=70).round(4).tolist()
    [3.9347, 0.0, 3.9347]
    """
    from .._validation import as_date, check_frame, check_number

    check_frame("truth_customers", truth_customers,
                ["customer_id", "purchase_rate", "dropout_prob", "alive_end", "dropout_date"])
    as_of = as_date("as_of", as_of)
    weeks = check_number("horizon_days", horizon_days, 0, 100 * 366) / 7
    alive = alive_on(truth_customers, as_of).to_numpy()
    lam = truth_customers["purchase_rate"].to_numpy(dtype=float)
    p = truth_customers["dropout_prob"].to_numpy(dtype=float)
    expected = np.where(alive, _bgnbd_expected_purchases(lam, p, weeks), 0.0)
    expected = np.where(np.isnan(lam) | np.isnan(p), np.nan, expected)
    return pd.Series(expected, index=pd.Index(truth_customers["customer_id"].to_numpy(), name="customer_id"),
                     name="expected_purchases")


def true_wallet_report_error(true_share: ArrayLike, *, bias: float = 8.0, sd: float = 12.0) -> np.ndarray:
    """The expected error (answered minus true) of a customer's answer to the share-of-wallet question.

    The world's respondents misreport: a customer whose true share of wallet is :math:`t` %
    answers :math:`t + b + \\sigma Z` (:math:`Z` standard normal, drawn anew in every survey
    wave), clipped to 0-100 and rounded to steps of 5. Clipping pulls the error of customers
    near 0 or 100 towards zero, so the mean error over respondents is not quite the bias
    :math:`b`: this function gives the exact expectation, the value a mean difference between
    answers and truth (:func:`fidelia_kit.survey.share_of_wallet_check`) estimates.

    Parameters
    ----------
    true_share : array-like of float
        True shares of wallet (%, 0-100; ``truth_customers.share_of_wallet``); missing values
        give missing errors.
    bias : float, default=8.0
        Points a respondent adds on average (the world's ``wallet_report_bias``).
    sd : float, default=12.0
        Standard deviation of the reporting error in points, >= 0 (``wallet_report_sd``).

    Returns
    -------
    numpy.ndarray
        Expected answer minus ``true_share``, per customer (points).

    Raises
    ------
    ValueError
        ``true_share`` holds values outside 0-100 or text, ``bias`` is not a finite number in
        [-100, 100] or ``sd`` is negative.

    See Also
    --------
    fidelia_kit.survey.share_of_wallet_check : the answers against the truth, with the mean difference's interval.

    Notes
    -----
    With the answers :math:`5k`, :math:`k = 0, \\dots, 20`, each the rounding of the interval
    :math:`[l_k, u_k) = [5k - 2.5, 5k + 2.5)` (open to :math:`-\\infty` at 0, to
    :math:`+\\infty` at 100, which takes in the clipped mass):

    .. math:: E[\\text{answer} - t] = \\sum_{k=0}^{20} 5k \\left[\\Phi\\left(\\frac{u_k - t - b}{\\sigma}\\right)
              - \\Phi\\left(\\frac{l_k - t - b}{\\sigma}\\right)\\right] - t

    With :math:`\\sigma = 0` the answer is certain: :math:`t + b` clipped and rounded.

    Examples
    --------
    >>> true_wallet_report_error([50.0, 99.0], bias=8.0, sd=12.0).round(2).tolist()
    [8.0, -1.05]
    >>> true_wallet_report_error([41.0, 99.0], bias=0.0, sd=0.0).tolist()
    [-1.0, 1.0]
    """
    from .._validation import check_number

    t = _share_array("true_share", true_share)
    bias = check_number("bias", bias, -100, 100)
    sd = check_number("sd", sd, 0, 100)
    if sd == 0:
        return wallet_answer(t + bias) - t
    from scipy import stats

    expected = np.zeros_like(t)
    for k in range(0, 101, WALLET_STEP):
        low = -np.inf if k == 0 else k - WALLET_STEP / 2
        high = np.inf if k == 100 else k + WALLET_STEP / 2
        # P(answer = k) by the survival function on the upper side: exact in both tails
        expected += k * (stats.norm.sf((low - t - bias) / sd) - stats.norm.sf((high - t - bias) / sd))
    return expected - t


def _share_array(name: str, values) -> np.ndarray:
    """``values`` as floats in 0-100 (missing allowed), or a ValueError naming ``name``."""
    try:
        t = np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must hold shares of wallet in % (numbers from 0 to 100).") from None
    bad = ~np.isnan(t) & ((t < 0) | (t > 100))
    if bad.any():
        raise ValueError(f"`{name}` must hold shares of wallet from 0 to 100 %; {int(bad.sum())} value(s) are not: "
                         f"{t[bad][:3].tolist()}.")
    return t


def _wallet_report_truth(cfg, people, answers) -> dict:
    """The truth of a wave's share-of-wallet answers: the knobs, and the expected mean error of those who answered."""
    said = answers.dropna(subset=["share_of_wallet"])
    true = people.share_of_wallet[said["customer_id"].to_numpy() - 1]
    expected = true_wallet_report_error(true, bias=cfg.wallet_report_bias, sd=cfg.wallet_report_sd)
    return {"bias": cfg.wallet_report_bias, "sd": cfg.wallet_report_sd, "clip": [0, 100], "step": WALLET_STEP,
            "n_answered": int(len(said)),
            "expected_mean_difference": _r(expected.mean()) if len(said) else float("nan"),
            "note": "answer = clip(true + bias + sd * z, 0, 100) rounded to steps of 5, z standard normal drawn anew "
                    "in each wave; expected_mean_difference is the mean over the wave's respondents who answered "
                    "the question of the expected answer minus their true share (true_wallet_report_error): "
                    "clipping makes it smaller than the bias."}


def _contact_plan(cfg, people, purchases, tx, items, experiment, rng):
    """The contacts table and its truth; the survey waves' invitations are replayed from their own streams.

    The survey draws who is invited first thing from its stream, so a fresh copy of that stream,
    on the same purchases, gives the same invited and responding customers without drawing anew.
    """
    fresh = dict(zip(_STREAM_NAMES, np.random.default_rng(cfg.seed).spawn(len(_STREAM_NAMES))))
    invitations = []
    for day, name in ((cfg.first_wave_day, "first_wave"), (cfg.survey_day, "survey")):
        _, invited, resp = _respondents(cfg, people, purchases.day, purchases.owner, day, fresh[name])
        invitations.append((day, invited, resp))
    return make_contacts(cfg, people, tx, items, experiment, invitations, rng)


def generate_world(config: WorldConfig | None = None, *, progress: bool = False, **overrides: Any) -> World:
    """Generate the linked tables of a synthetic Fidelia world and its ground truth.

    Parameters
    ----------
    config : WorldConfig, optional
        The settings; defaults to ``WorldConfig()`` (10,000 customers, seed 2026,
        2024-2025).
    progress : bool, default=False
        Show a progress bar.
    **overrides
        Knobs of :class:`WorldConfig` to change, e.g. ``n_customers=2_000``.

    Returns
    -------
    World
        Tables customers, transactions, transaction_items, survey_responses,
        retention_experiment, memberships, complaints, truth_customers, survey_waves,
        welcome_experiment and contacts, plus the ``truth`` dict.

    Raises
    ------
    TypeError
        For an unknown knob.
    ValueError
        For a knob outside its range (the message names it and the range).

    See Also
    --------
    WorldConfig : every knob, its default, range and meaning.
    fidelia_kit.dataset.World.save : write the world as CSV files plus truth.json.
    fidelia_kit.io.load_world : read a saved world back, validated.

    Notes
    -----
    Every draw comes from one ``numpy.random.Generator`` seeded with ``config.seed`` and
    split with ``spawn`` into one independent stream per part of the world (people,
    purchases, experiment, baskets, complaints, survey, memberships, first survey wave,
    welcome trial, contact plan), so the same seed gives byte-identical files on every machine, and
    a part added at the end leaves the others' streams as they were. Purchases follow
    BG/NBD per week [1]_, amounts Gamma-Gamma [2]_, the membership the sBG model [3]_.

    References
    ----------
    .. [1] Fader, Hardie & Lee (2005). "Counting your customers" the easy way. Marketing Science 24(2).
    .. [2] Fader, Hardie & Lee (2005). RFM and CLV: using iso-value curves for customer base
       analysis. Journal of Marketing Research 42(4).
    .. [3] Fader & Hardie (2007). How to project customer retention. Journal of Interactive Marketing 21(1).

    Examples
    --------
    >>> world = generate_world(n_customers=300, seed=1)
    >>> sorted(world.tables)[:3]
    ['complaints', 'contacts', 'customers']
    """
    known = {f.name for f in dataclasses.fields(WorldConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"generate_world() got unknown knob(s) {unknown}; known knobs: {sorted(known)}.")
    if config is None:
        config = WorldConfig(**overrides)
    elif not isinstance(config, WorldConfig):
        raise TypeError(f"`config` must be a WorldConfig or None; got {type(config).__name__}.")
    else:
        config = dataclasses.replace(config, **overrides)
    cfg = config
    # one independent stream per part (spawned children keep their order, so a part added at the end
    # leaves the draws of the others as they were)
    streams = dict(zip(_STREAM_NAMES, np.random.default_rng(cfg.seed).spawn(len(_STREAM_NAMES))))
    with tqdm(total=8, desc="generating world", disable=not progress, unit="step") as bar:  # closed on Ctrl-C too

        def step(label):
            bar.set_postfix_str(label)
            bar.update(1)

        people = make_people(cfg, streams["people"], streams["welcome"]); step("customers")
        purchases, life = simulate_purchases(cfg, people, streams["purchases"]); step("purchases")
        experiment, purchases, exp_truth = run_experiment(cfg, people, purchases, life, streams["experiment"]); step("experiment")
        tx, items, tid = make_transactions(people, purchases, streams["baskets"]); step("baskets")
        complaints = make_complaints(cfg, purchases, tid, streams["complaints"]); step("complaints")
        # the share-of-wallet answers' reporting error: one stream per wave, from a stream of its own
        wallet_current, wallet_first = streams["wallet_report"].spawn(2)
        survey, survey_truth = make_survey(cfg, people, purchases.day, purchases.owner, streams["survey"],
                                           wallet_current); step("survey")
        memberships = make_memberships(cfg, people, streams["memberships"]); step("memberships")
        first_wave, first_wave_truth = make_first_wave(cfg, people, purchases.day, purchases.owner,
                                                       streams["first_wave"], wallet_first); step("first survey wave")
        waves = survey_waves(first_wave, survey)

    start = cfg.start
    ids = np.arange(1, people.n + 1)
    # card tier by spend in the last 365 days
    last_year = tx["day"].to_numpy() >= cfg.n_days - 365
    spend = np.bincount(tx["customer_id"].to_numpy()[last_year] - 1, weights=tx["amount"].to_numpy()[last_year], minlength=people.n)
    tier = tier_index(spend)
    customers = pd.DataFrame({
        "customer_id": ids,
        "first_seen": _dates(start, people.first_day),
        "acquisition_channel": np.array(ACQUISITION_CHANNELS)[people.channel],
        "referred_by": pd.array(np.where(people.referred_by > 0, people.referred_by, 0), dtype="Int64"),
        "region": np.array(REGIONS)[people.region],
        "age_band": np.array(AGE_BANDS)[people.age],
        "card_tier": np.array(CARD_TIERS)[tier],
    })
    customers.loc[people.referred_by == 0, "referred_by"] = pd.NA
    contacts, contacts_truth = _contact_plan(cfg, people, purchases, tx, items, experiment, streams["contacts"])
    contacts["contact_date"] = _dates(start, contacts["contact_date"])
    tx.insert(2, "date", _dates(start, tx.pop("day")))
    complaints.insert(3, "date", _dates(start, complaints.pop("day")))
    survey.insert(2, "response_date", _dates(start, survey.pop("day")))
    waves.insert(2, "response_date", _dates(start, waves.pop("day")))
    experiment["assigned_date"] = _dates(start, experiment["assigned_date"])
    welcome = welcome_table(people.welcome, people.first_day)
    welcome["contact_date"] = _dates(start, welcome["contact_date"])

    # the truth, per customer
    alive = people.buyer & ~life.died
    lam, p = people.lam, people.p
    exp_purch = np.where(alive, _bgnbd_expected_purchases(lam, p, HORIZON_WEEKS), 0.0)
    mean_spend = cfg.spend_p / people.nu
    exp_idx = exp_truth["idx"]

    def per_customer(values):
        out = np.full(people.n, np.nan)
        out[exp_idx] = values
        return np.round(out, 6) + 0.0  # no negative zeros in the files

    truth_customers = pd.DataFrame({
        "customer_id": ids,
        "profile": np.array(PROFILES)[people.profile],
        "buyer": people.buyer,
        "purchase_rate": np.round(lam, 6),
        "dropout_prob": np.round(p, 6),
        "mean_spend": np.round(mean_spend, 4),
        "alive_end": pd.array(np.where(people.buyer, alive, False), dtype="boolean"),
        "dropout_date": _dates(start, np.where(people.buyer & life.died, np.floor(life.death_time), 0)).where(
            people.buyer & life.died),
        "satisfaction": np.round(people.satisfaction, 6),
        "recommend": pd.array(people.recommend, dtype="Int64"),
        "share_of_wallet": people.share_of_wallet,
        "expected_purchases_52w": np.round(np.where(people.buyer, exp_purch, np.nan), 6),
        "expected_spend_52w": np.round(np.where(people.buyer, exp_purch * mean_spend, np.nan), 4),
        "p_active_90d": per_customer(exp_truth["p0"]),
        "effect_email_discount": per_customer(exp_truth["email"]),
        "effect_personal_call": per_customer(exp_truth["call"]),
    })
    truth_customers.loc[~people.buyer, ["alive_end", "recommend"]] = pd.NA

    arm = exp_truth["arm"]
    tau = {ARMS[1]: exp_truth["email"], ARMS[2]: exp_truth["call"]}
    gg_mean = cfg.spend_p * cfg.spend_v / (cfg.spend_q - 1)
    truth = {
        "config": cfg.to_dict(),
        "window": {"start": cfg.start.isoformat(), "end": cfg.end.isoformat(), "n_days": cfg.n_days},
        "market_size": int(round(cfg.market_size_factor * cfg.n_customers)),
        "counts": {
            "customers": int(people.n), "buyers": int(people.buyer.sum()),
            "prospects": int((~people.buyer).sum()), "alive_end": int(alive.sum()),
            "referred": int((people.referred_by > 0).sum()),
            "profiles": {name: int((people.profile == i).sum()) for i, name in enumerate(PROFILES)},
        },
        "purchase_process": {
            "model": "BG/NBD", "time_unit": "week", "r": cfg.purchase_r, "alpha": cfg.purchase_alpha,
            "a": cfg.dropout_a, "b": cfg.dropout_b,
            "note": "Exact for every purchase before the experiment date; after it, the campaign adds "
                    "reactivation purchases and removes the purchases of customers it drove away.",
        },
        "spend_process": {"model": "Gamma-Gamma", "p": cfg.spend_p, "q": cfg.spend_q, "v": cfg.spend_v,
                          "mean_spend": _r(gg_mean), "currency": "EUR",
                          "note": "Amounts are rounded to cents (at least 0.01)."},
        "satisfaction": {
            "driver_weights": DRIVER_WEIGHTS,
            "construct_correlation": CONSTRUCT_CORRELATION,
            "dropout_link": cfg.satisfaction_dropout_link,
            "constructs": list(CONSTRUCTS),
        },
        "survey": {k: (_r(v) if isinstance(v, float) else v) for k, v in survey_truth.items()
                   if k != "survey_date_day"}
                  | {"date": (start + dt.timedelta(days=cfg.survey_day)).isoformat(),
                     "share_of_wallet_report": _wallet_report_truth(cfg, people, survey)},
        "survey_waves": {
            "1": {k: (_r(v) if isinstance(v, float) else v) for k, v in first_wave_truth.items()
                  if k not in ("wave", "day")}
                 | {"date": (start + dt.timedelta(days=cfg.first_wave_day)).isoformat(),
                    "questions": ["overall_satisfaction", "recommend", "share_of_wallet"],
                    "share_of_wallet_expected_mean_difference":
                        _wallet_report_truth(cfg, people, first_wave)["expected_mean_difference"]},
            "2": {"date": (start + dt.timedelta(days=cfg.survey_day)).isoformat(),
                  "note": "The satisfaction survey of survey_responses.csv; its truth is under 'survey'."},
            "note": "Each customer's answer to the recommendation question is the same latent value in every "
                    "wave (truth_customers.recommend); the share-of-wallet answer's reporting error is drawn anew in "
                    "each wave (see survey.share_of_wallet_report); answers are returned within 28 days of the "
                    "wave's date.",
        },
        "experiment": {
            "date": (start + dt.timedelta(days=cfg.experiment_day)).isoformat(),
            "outcome_days": 90,
            "n": int(len(arm)),
            "arm_sizes": {a: int((arm == i).sum()) for i, a in enumerate(ARMS)},
            "average_effect": {a: _r(tau[a].mean()) if len(arm) else float("nan") for a in ARMS[1:]},
            "average_effect_in_arm": {a: _r(tau[a][arm == i].mean()) if (arm == i).any() else float("nan")
                                      for i, a in enumerate(ARMS) if i > 0},
            "mean_p_active_90d": _r(exp_truth["p0"].mean()) if len(arm) else float("nan"),
        },
        "welcome": welcome_truth(cfg, people.welcome),
        "memberships": {"model": "sBG", "alpha": cfg.membership_alpha, "beta": cfg.membership_beta,
                        "period": "year"},
        "complaints": {"defection_log_odds": {k: _r(v) for k, v in
                                              defection_log_odds(cfg.complaint_tolerance_days).items()},
                       "tolerance_days": cfg.complaint_tolerance_days,
                       "scale": "log-odds of leaving",
                       "note": "Slopes of the log-odds that the customer leaves (drops out for good) right after the "
                               "purchase complained about, per unit of each handling variable (resolved_front_line "
                               "0/1; days_beyond_tolerance per day of max(0, days_to_resolve - tolerance_days): the "
                               "log-odds are flat in the days to resolve up to tolerance_days and rise beyond it, a "
                               "hinge; n_handoffs per hand-off, severity dummies against "
                               "severity 1, compensation per EUR), given the customer's prior odds of leaving at "
                               "that purchase (BG/NBD dropout_prob, times complaint_rate_leaving / "
                               "complaint_rate_staying). Front-line resolution and hand-offs are separate causes: "
                               "each varies at every value of the other. stayed_180d (bought again within 180 "
                               "days) is an observable proxy of staying; it is empty when the window ends first."},
        "profiles": {name: {k: list(v) if isinstance(v, tuple) else v for k, v in PROFILE_TRAITS[name].items()}
                     for name in PROFILES},
        "category_margin": CATEGORY_MARGIN,
        "referrals": {"weights": dict(REFERRAL_WEIGHTS), "share": cfg.referral_share,
                      "note": "A referred customer's referrer is drawn among the buyers who registered before them, "
                              "with these relative weights by NPS group of the latent recommendation answer "
                              "(promoter 9-10, passive 7-8, detractor 0-6); prospects never refer. Referrals "
                              "are counted over the whole window."},
        "points": {"per_euro": 1, "block": POINTS_BLOCK, "value_eur": 0.01},
        "card_tiers": {
            "gold": GOLD, "silver": SILVER, "basis": "spend in the last 365 days of the window, EUR",
            "effect": {"silver": cfg.tier_effect_silver, "gold": cfg.tier_effect_gold},
            "trailing_days": TIER_DAYS,
            "definition": "The tier is a state over time: at each purchase it is set by the customer's spend (amount "
                          "paid) on the 365 days before the purchase's day; a purchase made while silver (gold) is "
                          "(1 + effect) times its Gamma-Gamma amount (rounded to cents). customers.card_tier is the "
                          "tier by the last 365 days of the window. The retention campaign's reactivation purchases "
                          "(kind 'campaign', after the experiment date) are drawn without the effect and do not "
                          "count in the spend that sets the tier.",
        },
        "expected_purchases_horizon_weeks": HORIZON_WEEKS,
        "contacts": contacts_truth,
    }
    tables = {
        "customers": customers, "transactions": tx, "transaction_items": items,
        "survey_responses": survey, "retention_experiment": experiment, "memberships": memberships,
        "complaints": complaints, "truth_customers": truth_customers, "survey_waves": waves,
        "welcome_experiment": welcome, "contacts": contacts,
    }
    tables = {name: coerce_table(df, name) for name, df in tables.items()}
    return World(tables=tables, truth=json.loads(json.dumps(truth)))
