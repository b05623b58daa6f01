"""Exercises 01-03 (customer database, satisfaction survey, value segmentation) run on students' worlds.

For each: the reference solution scores every automatically graded point on three students' worlds;
the blank notebook runs to its end in both languages and scores 0; a solution with one deliberately
wrong answer loses exactly that question's points and no other. And, without running notebooks, the keys'
tolerances: honest alternatives (a percentage for a share, pingouin's alpha) earn the points, the usual
mistakes (a wrong denominator, an unreversed item, a setting left unchanged) do not.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from fidelia_kit import clv, survey
from fidelia_kit.grading import load_key, score, student_seed, student_world
from fidelia_kit.schema import REVERSE_ITEMS, SURVEY_ITEMS
from tests.exercise_harness import EXERCISES, SALT, STUDENTS, check_blank, check_full_marks, check_one_answer_lost

pytestmark = pytest.mark.slow

CUSTOMER_EXERCISES = ("01_customer_database", "02_satisfaction_survey", "03_value_segmentation")

#: Per exercise, a question whose answer the wrong-answer test spoils, and how (the right value is ``v``).
SPOILED = {
    "01_customer_database": ("q2", "1 - v"),  # the share of buyers instead of those who never bought
    "02_satisfaction_survey": ("q1", "v - 0.05"),  # alpha outside its 0.01 tolerance
    "03_value_segmentation": ("q8", "v * 1.2"),  # CLV 20% off: outside even the partial-credit band
}


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise", CUSTOMER_EXERCISES)
def test_solution_scores_full_marks(exercise, student, tmp_path):
    check_full_marks(exercise, student, tmp_path)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("exercise", CUSTOMER_EXERCISES)
def test_blank_notebook_runs_and_scores_zero(exercise, language, tmp_path):
    check_blank(exercise, language, tmp_path)


@pytest.mark.parametrize("exercise", CUSTOMER_EXERCISES)
def test_one_wrong_answer_loses_exactly_its_points(exercise, tmp_path, monkeypatch):
    qid, spoil = SPOILED[exercise]
    call = f'answer("{qid}", {qid})'
    check_one_answer_lost(exercise, qid, lambda src: src.replace(call, f'answer("{qid}", (lambda v: {spoil})({qid}))'),
                          tmp_path, monkeypatch)


# The tolerances: honest alternatives earn the points, the usual mistakes do not -------------------------------

def _world(exercise):
    key = load_key(EXERCISES / exercise)
    return key, student_world(key, student_seed(SALT, exercise, STUDENTS[0]))


def _status(key, expected, answers) -> dict:
    return {q.question: q.status for q in score(key, expected, answers).questions if q.question in answers}


def test_exercise_01_tolerances():
    key, world = _world("01_customer_database")
    expected = key.answers_for(world)
    n = len(world.customers)
    day = world.transactions["date"].dt.normalize()
    since = (day.max() + pd.Timedelta(days=1) - day.groupby(world.transactions["customer_id"]).max()).dt.days
    right = {"q2": 100 * expected["q2"][0],                        # a percentage for a share
             "q5": expected["q5"].upper(),                         # a choice ignores case
             "q7": float((since <= 365).sum() / n)}                # the same share computed in pandas
    assert set(_status(key, expected, right).values()) == {"right"}
    wrong = {"q7": float((since <= 365).mean()),                   # buyers, not card holders, as denominator
             "q9": float((since <= 365).sum() / n),                # the window left at 365 days
             "q8": "higher"}
    assert set(_status(key, expected, wrong).values()) == {"wrong"}


def test_exercise_02_tolerances():
    key, world = _world("02_satisfaction_survey")
    expected = key.answers_for(world)
    answers = world.survey_responses
    staff = list(SURVEY_ITEMS["staff"])
    right = {"q1": pg.cronbach_alpha(data=survey.reverse_code(answers[staff], ["stf_4"]).dropna())[0],  # pingouin
             "q6": "Staff"}
    assert REVERSE_ITEMS[-1] == "stf_4"
    assert set(_status(key, expected, right).values()) == {"right"}
    wrong = {"q1": survey.cronbach_alpha(answers[staff]).alpha,                        # the item not reversed
             "q2": survey.nps(answers["recommend"].fillna(0)).nps,                     # no answer counted as 0
             "q7": survey.nps(answers["recommend"]).nps,                               # unweighted
             "q9": float(np.diff(survey.nps(answers["recommend"], ci=0.95).ci)[0])}    # the level left at 95%
    assert _status(key, expected, wrong) == {q: "wrong" for q in wrong}


def test_exercise_03_tolerances():
    key, world = _world("03_value_segmentation")
    expected = key.answers_for(world)
    right = {"q4": 100 * expected["q4"][0], "q5": expected["q5"].lower()}
    assert set(_status(key, expected, right).values()) == {"right"}
    unchanged = clv.customer_value(world.transactions, horizon_days=365, discount_rate=0.10).total
    wrong = {"q8": unchanged, "q7": "higher"}                      # the rate left at 10%
    assert _status(key, expected, wrong) == {"q8": "wrong", "q7": "wrong"}
