"""Answer key of exercise 02, the satisfaction survey (instructor only: never given to students)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from fidelia_kit import survey
from fidelia_kit.grading import Key, Question
from fidelia_kit.schema import REVERSE_ITEMS, SURVEY_ITEMS

CI, CHANGED_CI = 0.95, 0.90
ACTIVE_DAYS = 365


def active_population(world, *, days: int = ACTIVE_DAYS) -> pd.DataFrame:
    """Customers who bought in the ``days`` days before the first questionnaire came back."""
    start = world.survey_responses["response_date"].min().normalize()
    tx = world.transactions
    ids = tx.loc[(tx["date"] < start) & (tx["date"] >= start - pd.Timedelta(days=days)), "customer_id"].unique()
    return world.customers[world.customers["customer_id"].isin(ids)]


def expected(world) -> dict:
    answers = world.survey_responses
    staff = list(SURVEY_ITEMS["staff"])
    alpha = survey.cronbach_alpha(survey.reverse_code(answers[staff], [i for i in REVERSE_ITEMS if i in staff]))
    raw = survey.nps(answers["recommend"], ci=CI)
    narrow = survey.nps(answers["recommend"], ci=CHANGED_CI)
    by_region = survey.nps_by(answers.merge(world.customers[["customer_id", "region"]], on="customer_id"),
                              group_col="region", ci=CI)
    scores = survey.scale_scores(answers, SURVEY_ITEMS, reverse=REVERSE_ITEMS).join(
        answers["overall_satisfaction"].astype(float))
    tops = {survey.driver_importance(scores, outcome_col="overall_satisfaction", driver_cols=list(SURVEY_ITEMS),
                                     method=m).ranking[0] for m in ("relative_weights", "shapley")}
    sample = answers.merge(world.customers, on="customer_id")
    weights = survey.poststratify(sample, active_population(world), by="age_band")
    weighted = survey.nps(sample["recommend"], weights=weights, ci=CI)
    width, narrow_width = raw.ci[1] - raw.ci[0], narrow.ci[1] - narrow.ci[0]
    return {
        "q1": alpha.alpha,
        "q2": raw.nps,
        "q3": raw.ci[0],
        "q4": by_region[["nps"]],
        "q5": str(by_region["nps"].idxmax()),
        "q6": tuple(sorted(tops)),
        "q7": weighted.nps,
        "q8": ("narrower", "same", "wider")[int(np.sign(round(narrow_width - width, 12))) + 1],
        "q9": narrow_width,
    }


KEY = Key(
    exercise="02_satisfaction_survey",
    questions=(
        Question("q1", 1, "number", atol=0.01, text="Cronbach's alpha of the staff scale, negatively worded item reversed."),
        Question("q2", 1, "number", atol=0.1, text="NPS of the respondents, in points (-100 to 100)."),
        Question("q3", 1, "number", atol=0.3, text="Lower end of its 95% (Wald) confidence interval, in points."),
        Question("q4", 2, "table", atol=0.1, per_cell=True, text="NPS by region: region as index, column nps."),
        Question("q5", 1, "choice", text="The region with the highest NPS."),
        Question("q6", 1, "choice", text="The most important driver of overall satisfaction."),
        Question("q7", 2, "number", atol=0.3, partial=(5, 0.5),
                 text="NPS weighted by age band to the customers active in the 365 days before the survey."),
        Question("q8", 1, "choice", text="Prediction before running: a 90% interval is wider, narrower or the same."),
        Question("q9", 1, "number", atol=0.1, text="Width of the 90% interval, in points."),
        Question("q10", 2, "text", text="What the interval and the weights can and cannot fix about who answered."),
    ),
    expected=expected,
    world={"n_customers": 3000},
    version="1",
)
