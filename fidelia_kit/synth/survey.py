"""The satisfaction survey: who is asked, who answers, and what they answer.

Items are ordinal cuts of ``loading * construct + sqrt(1 - loading^2) * noise``
(reverse-worded items use minus the construct), so every item has a known loading on
its own construct. Invited customers answer with probability
``logistic(logit(response_rate) + age effect + k * satisfaction)``: the satisfied answer
more, so the raw NPS of respondents is biased upwards.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import CONSTRUCTS, REVERSE_ITEMS, SURVEY_ITEMS
from .config import WorldConfig
from .people import People

__all__ = ["make_survey", "ITEM_THRESHOLDS", "IMPORTANCE_MEANS"]

ITEM_THRESHOLDS = np.array([-1.6, -0.8, 0.1, 1.0])
AGE_RESPONSE = np.array([-0.8, -0.5, -0.1, 0.2, 0.6, 0.9])
IMPORTANCE_MEANS = {"staff": 4.3, "accessibility": 4.0, "communication": 3.6,
                    "added_services": 3.3, "participation": 2.9}
FIELD_DAYS = 28


def _likert(y, thresholds):
    return 1 + (y[:, None] > thresholds).sum(axis=1)


def make_survey(cfg: WorldConfig, people: People, purchases_day: np.ndarray, purchases_owner: np.ndarray,
                rng: np.random.Generator):
    """Return (survey_responses table, survey truth dict)."""
    d = cfg.survey_day
    recent = (purchases_day >= d - 365) & (purchases_day < d)
    active = np.zeros(people.n, dtype=bool)
    active[purchases_owner[recent]] = True
    eligible = np.flatnonzero(active)
    invited = eligible[rng.random(len(eligible)) < cfg.survey_share]
    sat = people.satisfaction[invited]
    logit = np.log(cfg.response_rate / (1 - cfg.response_rate)) if cfg.response_rate < 1 else 10.0
    p_resp = 1 / (1 + np.exp(-(logit + AGE_RESPONSE[people.age[invited]] + cfg.nonresponse_satisfaction * sat)))
    resp = invited[rng.random(len(invited)) < p_resp]
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
    cols["overall_satisfaction"] = np.clip(np.rint(6.8 + 1.7 * s + 0.8 * rng.standard_normal(m)), 1, 10).astype(int)
    cols["recommend"] = people.recommend[resp]
    cols["share_of_wallet"] = (5 * np.rint(people.share_of_wallet[resp] / 5)).astype(int)
    cols["repurchase_intention"] = np.clip(np.rint(3.6 + 0.9 * s + 0.7 * rng.standard_normal(m)), 1, 5).astype(int)

    answers = pd.DataFrame(cols)
    missing = rng.random(answers.shape) < cfg.item_missing_rate
    answers = answers.astype("Int64").mask(missing)
    response_day = d + np.minimum(rng.geometric(0.15, m) - 1, FIELD_DAYS - 1)
    table = pd.concat([pd.DataFrame({"customer_id": resp + 1, "day": response_day}), answers], axis=1)
    table = table.sort_values(["day", "customer_id"], kind="stable").reset_index(drop=True)
    table.insert(0, "response_id", np.arange(1, m + 1))

    def nps(rec):
        return float(100 * (np.mean(rec >= 9) - np.mean(rec <= 6))) if len(rec) else float("nan")

    truth = {
        "survey_date_day": d,
        "n_eligible": int(len(eligible)),
        "n_invited": int(len(invited)),
        "n_responded": int(m),
        "item_loadings": dict(zip(all_items, loadings.tolist())),
        "reverse_items": list(REVERSE_ITEMS),
        "nps_population": nps(people.recommend[eligible]),
        "nps_invited": nps(people.recommend[invited]),
        "nps_respondents": nps(people.recommend[resp]),
        "mean_satisfaction_respondents": float(np.mean(s)) if m else float("nan"),
        "importance_means": IMPORTANCE_MEANS,
    }
    return table, truth
