"""The satisfaction survey: who is asked, who answers, and what they answer.

Items are ordinal cuts of ``loading * construct + sqrt(1 - loading^2) * noise``
(reverse-worded items use minus the construct), so every item has a known loading on
its own construct. Invited customers answer with probability
``logistic(logit(response_rate) + age effect + k * satisfaction)``: the satisfied answer
more, so the raw NPS of respondents is biased upwards.

The survey of ``survey_responses`` is the current wave (60% into the window). An
earlier, shorter wave (the relationship questions only: overall satisfaction,
recommendation, share of wallet) goes out 30% into the window, before the middle of
the window where notebook 02 compares the loyalty ladder with its end, so a ladder at
either date has survey answers to go by. ``survey_waves`` holds the relationship
answers of both waves: the first wave's, and the current wave's (the same answers as
``survey_responses``). A customer's answer to the recommendation question is the same
latent value in both waves (truth_customers.recommend); overall satisfaction is drawn anew
around the same latent satisfaction.

The answer to the share-of-wallet question misreports the true share
(truth_customers.share_of_wallet): ``clip(true + wallet_report_bias + wallet_report_sd * z,
0, 100)`` in steps of 5, with a standard normal ``z`` drawn anew in each wave from a stream of
its own. Respondents overstate their loyalty to the store that asks, and answer noisily. Only
the answer is misreported: no cause in the world reads it (the true share itself feeds no
other table either).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import CONSTRUCTS, REVERSE_ITEMS, SURVEY_ITEMS
from .config import WorldConfig
from .people import People

__all__ = ["make_survey", "make_first_wave", "survey_waves", "wallet_answer", "ITEM_THRESHOLDS", "IMPORTANCE_MEANS",
           "RELATIONSHIP_ITEMS", "WALLET_STEP"]

ITEM_THRESHOLDS = np.array([-1.6, -0.8, 0.1, 1.0])
AGE_RESPONSE = np.array([-0.8, -0.5, -0.1, 0.2, 0.6, 0.9])
IMPORTANCE_MEANS = {"staff": 4.3, "accessibility": 4.0, "communication": 3.6,
                    "added_services": 3.3, "participation": 2.9}
FIELD_DAYS = 28
#: The questions of the short first wave, kept in survey_waves for both waves.
RELATIONSHIP_ITEMS = ("overall_satisfaction", "recommend", "share_of_wallet")
#: Answers to the share-of-wallet question are given in steps of this many points (%).
WALLET_STEP = 5


def _likert(y, thresholds):
    return 1 + (y[:, None] > thresholds).sum(axis=1)


def _respondents(cfg: WorldConfig, people: People, purchases_day: np.ndarray, purchases_owner: np.ndarray,
                 day: int, rng: np.random.Generator):
    """Who is eligible (bought in the 365 days before ``day``), invited and answers: index arrays."""
    recent = (purchases_day >= day - 365) & (purchases_day < day)
    active = np.zeros(people.n, dtype=bool)
    active[purchases_owner[recent]] = True
    eligible = np.flatnonzero(active)
    invited = eligible[rng.random(len(eligible)) < cfg.survey_share]
    sat = people.satisfaction[invited]
    logit = np.log(cfg.response_rate / (1 - cfg.response_rate)) if cfg.response_rate < 1 else 10.0
    p_resp = 1 / (1 + np.exp(-(logit + AGE_RESPONSE[people.age[invited]] + cfg.nonresponse_satisfaction * sat)))
    resp = invited[rng.random(len(invited)) < p_resp]
    return eligible, invited, resp


def _overall_satisfaction(s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Answers 1-10 to the overall-satisfaction question, given latent satisfaction ``s``."""
    return np.clip(np.rint(6.8 + 1.7 * s + 0.8 * rng.standard_normal(len(s))), 1, 10).astype(int)


def wallet_answer(share: np.ndarray) -> np.ndarray:
    """An answer to the share-of-wallet question: ``share`` (%) clipped to 0-100, in steps of :data:`WALLET_STEP`."""
    return WALLET_STEP * np.rint(np.clip(share, 0, 100) / WALLET_STEP)


def _share_of_wallet(cfg: WorldConfig, people: People, resp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Self-reported share of wallet: the true share plus the bias and a noise, clipped, in steps of 5 %.

    One noise is drawn for every customer, respondent or not, so a customer's error does not
    depend on who else answers; the true share (``people.share_of_wallet``) is left as it is.
    """
    noise = rng.standard_normal(people.n)[resp]
    said = people.share_of_wallet[resp] + cfg.wallet_report_bias + cfg.wallet_report_sd * noise
    return wallet_answer(said).astype(int)


def _response_days(day: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """Days answers come back: most in the first days, none after the field period."""
    return day + np.minimum(rng.geometric(0.15, m) - 1, FIELD_DAYS - 1)


def _nps(rec) -> float:
    return float(100 * (np.mean(rec >= 9) - np.mean(rec <= 6))) if len(rec) else float("nan")


def make_survey(cfg: WorldConfig, people: People, purchases_day: np.ndarray, purchases_owner: np.ndarray,
                rng: np.random.Generator, wallet_rng: np.random.Generator):
    """Return (survey_responses table, survey truth dict) of the current wave.

    ``wallet_rng`` draws the reporting error of the share-of-wallet answers (every other draw
    comes from ``rng``).
    """
    d = cfg.survey_day
    eligible, invited, resp = _respondents(cfg, people, purchases_day, purchases_owner, d, rng)
    m = len(resp)

    cons = people.constructs
    cons_std = (cons - cons.mean(axis=0)) / cons.std(axis=0)
    all_items = [item for items in SURVEY_ITEMS.values() for item in items]
    loadings = np.round(rng.uniform(0.72, 0.88, len(all_items)), 3)
    shifts = np.round(rng.uniform(-0.3, 0.3, len(all_items)), 3)
    cols = {}
    j = 0
    for c_i, items in enumerate(SURVEY_ITEMS.values()):
        for item in items:
            f = cons_std[resp, c_i] * (-1 if item in REVERSE_ITEMS else 1)
            y = loadings[j] * f + np.sqrt(1 - loadings[j] ** 2) * rng.standard_normal(m)
            cols[item] = _likert(y, ITEM_THRESHOLDS + shifts[j])
            j += 1
    for construct in CONSTRUCTS:
        cols[f"imp_{construct}"] = np.clip(np.rint(IMPORTANCE_MEANS[construct] + 0.8 * rng.standard_normal(m)), 1, 5).astype(int)
    s = people.satisfaction[resp]
    cols["overall_satisfaction"] = _overall_satisfaction(s, rng)
    cols["recommend"] = people.recommend[resp]
    cols["share_of_wallet"] = _share_of_wallet(cfg, people, resp, wallet_rng)
    cols["repurchase_intention"] = np.clip(np.rint(3.6 + 0.9 * s + 0.7 * rng.standard_normal(m)), 1, 5).astype(int)

    answers = pd.DataFrame(cols)
    missing = rng.random(answers.shape) < cfg.item_missing_rate
    answers = answers.astype("Int64").mask(missing)
    response_day = _response_days(d, m, rng)
    table = pd.concat([pd.DataFrame({"customer_id": resp + 1, "day": response_day}), answers], axis=1)
    table = table.sort_values(["day", "customer_id"], kind="stable").reset_index(drop=True)
    table.insert(0, "response_id", np.arange(1, m + 1))

    truth = {
        "survey_date_day": d,
        "n_eligible": int(len(eligible)),
        "n_invited": int(len(invited)),
        "n_responded": int(m),
        "item_loadings": dict(zip(all_items, loadings.tolist())),
        "reverse_items": list(REVERSE_ITEMS),
        "nps_population": _nps(people.recommend[eligible]),
        "nps_invited": _nps(people.recommend[invited]),
        "nps_respondents": _nps(people.recommend[resp]),
        "mean_satisfaction_respondents": float(np.mean(s)) if m else float("nan"),
        "importance_means": IMPORTANCE_MEANS,
    }
    return table, truth


def make_first_wave(cfg: WorldConfig, people: People, purchases_day: np.ndarray, purchases_owner: np.ndarray,
                    rng: np.random.Generator, wallet_rng: np.random.Generator):
    """Return (first wave's answers, its truth dict): the relationship questions only, on ``first_wave_day``.

    The same rules as the current wave decide who is eligible, invited and answers (so the
    same non-response bias); answers may be left blank at the same rate. ``wallet_rng`` draws
    the share-of-wallet answers' reporting error, anew for this wave.
    """
    d = cfg.first_wave_day
    eligible, invited, resp = _respondents(cfg, people, purchases_day, purchases_owner, d, rng)
    m = len(resp)
    answers = pd.DataFrame({
        "overall_satisfaction": _overall_satisfaction(people.satisfaction[resp], rng),
        "recommend": people.recommend[resp],
        "share_of_wallet": _share_of_wallet(cfg, people, resp, wallet_rng),
    })
    missing = rng.random(answers.shape) < cfg.item_missing_rate
    answers = answers.astype("Int64").mask(missing)
    table = pd.concat([pd.DataFrame({"wave": 1, "customer_id": resp + 1, "day": _response_days(d, m, rng)}),
                       answers], axis=1)
    truth = {
        "wave": 1, "day": d,
        "n_eligible": int(len(eligible)), "n_invited": int(len(invited)), "n_responded": int(m),
        "nps_population": _nps(people.recommend[eligible]),
        "nps_respondents": _nps(people.recommend[resp]),
    }
    return table, truth


def survey_waves(first_wave: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """The survey_waves table: the relationship answers of the first wave and of the current one.

    Both tables hold ``customer_id``, ``day`` (or ``response_date``) and the
    :data:`RELATIONSHIP_ITEMS`; rows are ordered by wave, day and customer.
    """
    date = "response_date" if "response_date" in current else "day"
    second = current[["customer_id", date, *RELATIONSHIP_ITEMS]].rename(columns={date: "day"}).assign(wave=2)
    table = pd.concat([first_wave, second[first_wave.columns]], ignore_index=True)
    return table.sort_values(["wave", "day", "customer_id"], kind="stable").reset_index(drop=True)
