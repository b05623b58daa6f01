"""Run an exercise notebook for a student's world and score it: what the exercise tests share.

The grader (``fidelia grade``) does the same inside its sandbox; here the notebook runs with
papermill in the test's own temporary folder.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from fidelia_kit.grading import load_key, read_answers, score, student_parameters, student_seed, student_world

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "course" / "exercises"
SALT = "tests-salt"
STUDENTS = ("s001", "s002", "s003")


def run_and_score(exercise: str, notebook: str, student_id: str, tmp_path: Path):
    """Execute ``exercise/notebook`` on ``student_id``'s world; return (Score, expected, answers)."""
    import papermill as pm

    folder = EXERCISES / exercise
    key = load_key(folder)
    seed = student_seed(SALT, exercise, student_id)
    world = student_world(key, seed)
    work = tmp_path / f"{exercise}-{student_id}"
    work.mkdir()
    world.save(work / "data")
    source = work / "notebook.ipynb"
    shutil.copy(folder / notebook, source)
    params = student_parameters(key, data_dir="data", student_id=student_id, seed=seed)
    pm.execute_notebook(str(source), str(work / "executed.ipynb"), parameters=params, cwd=str(work),
                        progress_bar=False, kernel_name="python3")
    expected = key.answers_for(world)
    answers = read_answers(work / "executed.ipynb")
    return score(key, expected, answers), expected, answers


def auto_points(score) -> float:
    """The points scored automatically: every question but free text."""
    return sum(q.possible for q in score.questions if q.kind != "text")


def stderr_of(tmp_path: Path, exercise: str, student_id: str) -> list[str]:
    """What the executed notebook of :func:`run_and_score` wrote on stderr (a student should see none)."""
    nb = nbformat.read(tmp_path / f"{exercise}-{student_id}" / "executed.ipynb", as_version=4)
    return [o["text"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.get("output_type") == "stream" and o.get("name") == "stderr"]


def check_full_marks(exercise: str, student_id: str, tmp_path: Path) -> None:
    """The reference solution earns every automatic point, free text is collected unscored, nothing on stderr."""
    import math

    sc, _, _ = run_and_score(exercise, "instructor/solution.ipynb", student_id, tmp_path)
    wrong = [(q.question, q.status, q.given, q.expected) for q in sc.questions
             if q.kind != "text" and q.status != "right"]
    assert wrong == []
    assert abs(sc.points - auto_points(sc)) <= 1e-9
    text = [q for q in sc.questions if q.kind == "text"]
    assert text and all(q.status == "manual" and math.isnan(q.points) for q in text)
    assert stderr_of(tmp_path, exercise, student_id) == []  # no warning reaches the student


def check_blank(exercise: str, language: str, tmp_path: Path) -> None:
    """The blank student notebook runs to its end, records no answer and scores 0, with nothing on stderr."""
    sc, _, answers = run_and_score(exercise, f"exercise.{language}.ipynb", STUDENTS[0], tmp_path)
    assert answers == {}
    assert sc.points == 0.0
    assert {q.status for q in sc.questions} == {"missing"}
    assert stderr_of(tmp_path, exercise, STUDENTS[0]) == []


def check_one_answer_lost(exercise: str, qid: str, edit, tmp_path: Path, monkeypatch) -> None:
    """A copy of the solution whose cell answering ``qid`` is changed by ``edit(source)`` loses exactly that
    question's points: it is wrong, every other automatic answer stays right."""
    folder = tmp_path / exercise
    shutil.copytree(EXERCISES / exercise, folder)
    path = folder / "instructor" / "solution.ipynb"
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and f'answer("{qid}", {qid})' in c.source]
    assert len(cells) == 1
    cells[0].source = edit(cells[0].source)
    nbformat.write(nb, path)
    monkeypatch.setattr("tests.exercise_harness.EXERCISES", tmp_path)
    sc, expected, answers = run_and_score(exercise, "instructor/solution.ipynb", STUDENTS[0], tmp_path)
    status = {q.question: q.status for q in sc.questions if q.kind != "text"}
    assert status.pop(qid) == "wrong", (answers.get(qid), expected[qid])
    assert set(status.values()) == {"right"}
    lost = next(q.possible for q in sc.questions if q.question == qid)
    assert abs(sc.points - (auto_points(sc) - lost)) <= 1e-9
