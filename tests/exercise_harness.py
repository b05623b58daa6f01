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
