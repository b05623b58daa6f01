"""Exercises 04-06 (customer lifetime value, the retention experiment, churn early warning) on students' worlds.

For each exercise: the reference solution scores every automatically graded point on three students'
worlds and writes nothing on stderr; the blank notebook runs to its end in both languages and scores 0;
a solution that makes one typical mistake of method loses exactly that question's points, which shows
the key's tolerances are strict enough to catch it. On more worlds than the students', every key answer
is defined and obeys what the question's mathematics requires, and a share rounded to three significant
digits scores as a share or as a percentage.
"""
from __future__ import annotations

import numpy as np
import pytest

from fidelia_kit.grading import load_key, score, student_world
from tests.exercise_harness import EXERCISES, STUDENTS, check_blank, check_full_marks, check_one_answer_lost

pytestmark = pytest.mark.slow

MODEL_EXERCISES = ("04_customer_lifetime_value", "05_retention_experiment", "06_churn_early_warning")

#: Per exercise: the question a mistaken solution gets wrong, and the mistake (solution code -> mistaken code).
MISTAKES = {
    # CLV on revenue instead of gross margin
    "04_customer_lifetime_value": ("q6", "q6 = value.total",
                                   "q6 = clv.customer_value(tx, as_of=as_of, horizon_days=horizon_days, "
                                   "discount_rate=discount_rate, margin_col=None).total"),
    # ROI on the 90-day revenue instead of the gross margin
    "05_retention_experiment": ("q4", 'value_col="margin_90d"', 'value_col="revenue_90d"'),
    # the model's AUC on its own training customers instead of the later test date
    "06_churn_early_warning": ("q2", "q2 = ev.auc",
                               'q2 = retention.evaluate_churn(train["churned"], model.predict(train[features])).auc'),
}


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise", MODEL_EXERCISES)
def test_solution_scores_full_marks(exercise, student, tmp_path):
    check_full_marks(exercise, student, tmp_path)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("exercise", MODEL_EXERCISES)
def test_blank_notebook_runs_and_scores_zero(exercise, language, tmp_path):
    check_blank(exercise, language, tmp_path)


@pytest.mark.parametrize("exercise", MODEL_EXERCISES)
def test_one_mistake_of_method_loses_exactly_its_points(exercise, tmp_path, monkeypatch):
    qid, right, mistaken = MISTAKES[exercise]

    def edit(source):
        assert right in source
        return source.replace(right, mistaken)

    check_one_answer_lost(exercise, qid, edit, tmp_path, monkeypatch)


#: Seeds of worlds beyond the three students', for the keys alone (no notebook is run).
MORE_SEEDS = (11, 12, 13, 14)


def _first(value):
    """The key's main expected value (a share is given as (share, percentage))."""
    return value[0] if isinstance(value, tuple) else value


def _check_clv(a):
    assert 0 < _first(a["q1"]) < 1 and 0 < _first(a["q3"]) < 1
    assert (a["q2"] > 0).all() and a["q4"] > 0 and (a["q5"] > 0).all()
    # a second year adds margin, but less than the first: customers leave and later margin is discounted
    assert 1 < a["q9"] / a["q6"] < 2 * (1 - 0.05)
    assert a["q8"] == "less than twice"


def _check_experiment(a):
    rates = a["q1"]
    assert list(rates.index) == ["control", "email_discount", "personal_call"] and rates.between(0, 1).all()
    # the lift is the difference of the two arms' rates
    assert _first(a["q2"]) == pytest.approx(rates["personal_call"] - rates["control"], abs=1e-12)
    assert a["q3"] in ("positive", "negative", "inconclusive")
    assert np.isfinite([a["q4"], a["q5"]]).all()
    # Cohen's h: n grows as 1 / h**2, so half the lift needs close to four times the customers
    assert 3.5 < a["q8"] / a["q6"] < 4.5 and a["q7"] == "about four times"
    assert 0 <= a["q9"]


def _check_churn(a):
    assert 0 < _first(a["q1"]) < 1 and 0.5 < a["q2"] < 1 and 0.5 < a["q3"] < 1
    assert a["q4"] == ("model" if a["q2"] > a["q3"] else "recency")
    assert list(a["q5"].index) == [1, 2, 3] and (a["q5"] > 1).all()
    # no purchase in 180 days implies none in the first 90: a shorter window labels more customers churned
    assert _first(a["q7"]) > _first(a["q1"]) and a["q6"] == "higher"
    # the reactivation list keeps customers likely to be still there and about to lapse; the highest risks are
    # mostly gone already, so the list holds the larger share of truly winnable customers
    assert 0.3 <= _first(a["q8"]) <= 1 and a["q9"] == "winnable"


CHECKS = {"04_customer_lifetime_value": _check_clv, "05_retention_experiment": _check_experiment,
          "06_churn_early_warning": _check_churn}


@pytest.mark.parametrize("seed", MORE_SEEDS)
@pytest.mark.parametrize("exercise", MODEL_EXERCISES)
def test_key_answers_are_defined_on_other_worlds(exercise, seed):
    key = load_key(EXERCISES / exercise)
    expected = key.answers_for(student_world(key, seed))
    CHECKS[exercise](expected)
    # a share the key also accepts as a percentage: both, rounded to three significant digits, are right
    shares = {q: v[0] for q, v in expected.items() if isinstance(v, tuple) and isinstance(v[0], float)}
    assert shares and all(expected[q][1] == pytest.approx(100 * s) for q, s in shares.items())
    for given in ({q: float(f"{s:.3g}") for q, s in shares.items()},
                  {q: float(f"{100 * s:.3g}") for q, s in shares.items()}):
        result = score(key, expected, given)
        assert {r.question: r.status for r in result.questions if r.question in given} == dict.fromkeys(given, "right")
