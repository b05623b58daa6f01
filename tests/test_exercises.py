"""Checks every exercise folder under course/exercises against the layout the grader relies on.

Per exercise: the English and Spanish student notebooks, the key and the reference solution exist;
the two languages have the same cells with identical code; the first code cell is the tagged
parameters cell declaring ``data_dir = "data"``, ``student_id = ""``, ``seed = 0`` (and the key's
own parameters) and the second loads the world; the key loads and names its folder; every question
is answered by an ``answer("id", ...)`` call in each notebook and no other id is; notebooks are
committed without outputs and their code cells hold no prose comments (words go in markdown).
These run without executing anything (tests/test_exercises_customers.py and the other exercise
tests execute them).
"""
from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import nbformat
import pytest

from fidelia_kit import WorldConfig
from fidelia_kit.grading import KINDS, STUDENT_PARAMETERS, load_key
from tests.exercise_harness import EXERCISES

FOLDERS = sorted(p for p in EXERCISES.iterdir() if p.is_dir() and p.name[:2].isdigit()) if EXERCISES.is_dir() else []
NOTEBOOKS = ("exercise.en.ipynb", "exercise.es.ipynb", "instructor/solution.ipynb")
STUDENT_VALUES = {"data_dir": "data", "student_id": "", "seed": 0}


def _code(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def answer_ids(nb) -> list[str]:
    """The question ids of every ``answer("id", ...)`` call in the notebook's code cells, in order."""
    ids = []
    for source in _code(nb):
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "answer"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                ids.append(node.args[0].value)
    return ids


def prose_comments(source: str) -> list[str]:
    """Comments in a code cell other than tool directives (``# noqa``)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [t.string for t in tokens if t.type == tokenize.COMMENT and not t.string.lstrip("# ").startswith("noqa")]


def parameters(source: str) -> dict:
    """name -> literal value of each assignment in a parameters cell (ValueError if one is not a literal)."""
    out = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ValueError(f"the parameters cell holds more than `name = literal` lines: {ast.unparse(node)!r}")
        try:
            out[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            raise ValueError(f"the parameters cell must hold literals only: {ast.unparse(node)!r}") from None
    return out


def test_there_are_exercises():
    assert [f.name for f in FOLDERS][:3] == ["01_customer_database", "02_satisfaction_survey", "03_value_segmentation"]


@pytest.fixture(params=FOLDERS, ids=lambda p: p.name)
def exercise(request) -> Path:
    return request.param


def _read(folder: Path, name: str):
    return nbformat.read(folder / name, as_version=4)


def test_files_exist(exercise):
    missing = [n for n in (*NOTEBOOKS, "instructor/key.py") if not (exercise / n).is_file()]
    assert missing == []


def test_languages_have_the_same_cells_and_identical_code(exercise):
    en, es = _read(exercise, NOTEBOOKS[0]), _read(exercise, NOTEBOOKS[1])
    assert [c.cell_type for c in en.cells] == [c.cell_type for c in es.cells]
    assert _code(en) == _code(es)
    # the markdown is really translated, not copied
    same = [c.source[:60] for c, d in zip(en.cells, es.cells) if c.cell_type == "markdown" and c.source == d.source]
    assert same == []


def test_parameters_cell_then_the_world(exercise):
    key = load_key(exercise)
    for name in NOTEBOOKS:
        nb = _read(exercise, name)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", []), name
        assert parameters(code[0].source) == {**STUDENT_VALUES, **dict(key.parameters)}, name
        assert "fk.load_world(data_dir)" in code[1].source, name
        assert nb.metadata["kernelspec"]["name"] == "python3", name
    assert tuple(STUDENT_VALUES) == STUDENT_PARAMETERS


def test_key_loads_and_describes_the_exercise(exercise):
    key = load_key(exercise)
    assert key.exercise == exercise.name
    assert all(q.points > 0 for q in key.questions)
    kinds = {q.kind for q in key.questions}
    assert kinds <= set(KINDS)
    assert {"number", "choice", "table", "text"} <= kinds
    assert 6 <= len(key.questions) <= 10
    assert "seed" not in key.world and 0 < key.world.get("n_customers", 2000) <= 5000


def test_every_question_is_answered_once_and_no_other(exercise):
    ids = sorted(q.id for q in load_key(exercise).questions)
    for name in NOTEBOOKS:
        assert sorted(answer_ids(_read(exercise, name))) == ids, name  # each once, no other


def test_committed_without_outputs_or_prose_in_code(exercise):
    for name in NOTEBOOKS:
        nb = _read(exercise, name)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{name} cell {i}"
                assert prose_comments(cell.source) == [], f"{name} cell {i}"


def test_student_notebooks_are_blank(exercise):
    """The student's answer cells start from ``qN = None``: no answer is given away."""
    key = load_key(exercise)
    for name in NOTEBOOKS[:2]:
        source = "\n".join(_code(_read(exercise, name)))
        for q in key.questions:
            assert f"{q.id} = None" in source, f"{name}: {q.id}"


# the checks themselves, on hand-made cells ---------------------------------------------------------------------

def test_answer_ids_finds_calls_only():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('q1 = 3\nanswer("q1", q1)\ntext = "answer(\'q9\', 1)"'),
        nbformat.v4.new_code_cell('grading.answer("q2", None)'),
        nbformat.v4.new_markdown_cell('answer("q3", 1)'),
    ])
    assert answer_ids(nb) == ["q1", "q2"]


def test_prose_comments_and_parameters_are_detected():
    assert prose_comments("x = 1  # the mean\nimport y  # noqa: F401") == ["# the mean"]
    assert prose_comments('s = "# not a comment"') == []
    assert parameters('data_dir = "data"\nseed = 0') == {"data_dir": "data", "seed": 0}
    with pytest.raises(ValueError, match="literal"):
        parameters("seed = 1 + int('2')")


def test_readme_lists_every_exercise_with_its_key_numbers():
    """course/exercises/README.md has one row per folder, and its questions, points and world match the key."""
    rows = {}
    for line in (EXERCISES / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 5:
            rows[cells[0].strip("`")] = cells
    assert sorted(rows) == [f.name for f in FOLDERS]
    defaults = WorldConfig.knobs().set_index("knob")["default"].to_dict()
    for folder in FOLDERS:
        key = load_key(folder)
        _, _, questions, points, world = rows[folder.name]
        auto = sum(q.points for q in key.questions if q.kind != "text")
        assert questions == str(len(key.questions)), folder.name
        assert points == f"{key.points:g} ({auto:g})", folder.name
        knobs = {**defaults, **dict(key.world)}
        n_years = int(knobs["n_years"])
        assert world == f"{int(knobs['n_customers']):,} customers, {n_years} year{'s' * (n_years != 1)}", folder.name
