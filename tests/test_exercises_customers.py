"""Exercises 01-03 (customer database, satisfaction survey, value segmentation) run on students' worlds.

For each: the reference solution scores every automatically graded point on three students' worlds;
the blank notebook runs to its end in both languages and scores 0; a solution with one deliberately
wrong answer loses exactly that question's points and no other.
"""
from __future__ import annotations

import math
import shutil

import nbformat
import pytest

from tests.exercise_harness import EXERCISES, STUDENTS, run_and_score

pytestmark = pytest.mark.slow

CUSTOMER_EXERCISES = ("01_customer_database", "02_satisfaction_survey", "03_value_segmentation")

#: Per exercise, a question whose answer the wrong-answer test spoils, and how (the right value is ``v``).
SPOILED = {
    "01_customer_database": ("q2", "1 - v"),  # the share of buyers instead of those who never bought
    "02_satisfaction_survey": ("q1", "v - 0.05"),  # alpha outside its 0.01 tolerance
    "03_value_segmentation": ("q8", "v * 1.2"),  # CLV 20% off: outside even the partial-credit band
}


def _auto_points(score) -> float:
    return sum(q.possible for q in score.questions if q.kind != "text")


def _stderr(tmp_path, exercise, student) -> list[str]:
    nb = nbformat.read(tmp_path / f"{exercise}-{student}" / "executed.ipynb", as_version=4)
    return [o["text"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.get("output_type") == "stream" and o.get("name") == "stderr"]


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise", CUSTOMER_EXERCISES)
def test_solution_scores_full_marks(exercise, student, tmp_path):
    score, _, answers = run_and_score(exercise, "instructor/solution.ipynb", student, tmp_path)
    wrong = [(q.question, q.status, q.given, q.expected) for q in score.questions
             if q.kind != "text" and q.status != "right"]
    assert wrong == []
    assert score.points == pytest.approx(_auto_points(score), abs=1e-9)
    # the free-text answers are collected for the instructor, unscored
    text = [q for q in score.questions if q.kind == "text"]
    assert text and all(q.status == "manual" and math.isnan(q.points) for q in text)
    assert _stderr(tmp_path, exercise, student) == []  # no warning reaches the student


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("exercise", CUSTOMER_EXERCISES)
def test_blank_notebook_runs_and_scores_zero(exercise, language, tmp_path):
    score, _, answers = run_and_score(exercise, f"exercise.{language}.ipynb", STUDENTS[0], tmp_path)
    assert answers == {}
    assert score.points == 0.0
    assert {q.status for q in score.questions} == {"missing"}
    assert _stderr(tmp_path, exercise, STUDENTS[0]) == []


@pytest.mark.parametrize("exercise", CUSTOMER_EXERCISES)
def test_one_wrong_answer_loses_exactly_its_points(exercise, tmp_path, monkeypatch):
    qid, spoil = SPOILED[exercise]
    folder = tmp_path / exercise
    shutil.copytree(EXERCISES / exercise, folder)
    path = folder / "instructor" / "solution.ipynb"
    nb = nbformat.read(path, as_version=4)
    call = f'answer("{qid}", {qid})'
    cells = [c for c in nb.cells if c.cell_type == "code" and call in c.source]
    assert len(cells) == 1
    cells[0].source = cells[0].source.replace(call, f'answer("{qid}", (lambda v: {spoil})({qid}))')
    nbformat.write(nb, path)
    monkeypatch.setattr("tests.exercise_harness.EXERCISES", tmp_path)
    score, _, _ = run_and_score(exercise, "instructor/solution.ipynb", STUDENTS[0], tmp_path)
    status = {q.question: q.status for q in score.questions if q.kind != "text"}
    assert status.pop(qid) == "wrong"
    assert set(status.values()) == {"right"}
    lost = next(q.possible for q in score.questions if q.question == qid)
    assert score.points == pytest.approx(_auto_points(score) - lost, abs=1e-9)
