"""fidelia assign: a world and a notebook per student, and nothing else in the release."""
import json
import zipfile
from pathlib import Path

import nbformat
import pytest

from fidelia_kit.cli import main
from fidelia_kit.grading import student_seed, student_world
from fidelia_kit.grading.assign import exercise_key
from fidelia_kit.io import load_world

DEMO = Path(__file__).parent / "data" / "exercises" / "00_demo"


def test_release_holds_each_students_own_world_and_notebook_and_nothing_else(tmp_path):
    roster = tmp_path / "class.csv"
    roster.write_text("id,name,email,lang\ns1,Ana García,a@u,es\ns2,Ben Ruiz,b@u,\n", encoding="utf-8")
    out = tmp_path / "release"
    code = main(["assign", str(DEMO), "--roster", str(roster), "--out", str(out), "--salt", "k", "--customers", "120",
                 "--quiet"])
    assert code == 0
    key = exercise_key(DEMO, customers=120)
    for sid, lang in (("s1", "es"), ("s2", "en")):
        seed = student_seed("k", "00_demo", sid)
        nb = nbformat.read(out / sid / "00_demo.ipynb", as_version=4)
        injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        assert f"seed = {seed}" in injected.source and f'student_id = "{sid}"' in injected.source
        assert ("Ejercicio" in nb.cells[0].source) == (lang == "es")
        world = load_world(out / sid / "data", cache=False)
        assert len(world.customers) == 120
        # the world is the one the grader regenerates from the seed
        regenerated = student_world(key, seed)
        assert world.transactions["amount"].sum() == pytest.approx(regenerated.transactions["amount"].sum())
        with zipfile.ZipFile(out / f"{sid}.zip") as z:
            names = z.namelist()
        assert all(n.startswith(f"00_demo_{sid}/") for n in names)
        assert not any("instructor" in n or "key" in n or "solution" in n for n in names)
        assert f"00_demo_{sid}/00_demo.ipynb" in names and f"00_demo_{sid}/data/transactions.csv" in names
        with zipfile.ZipFile(out / f"{sid}.zip") as z:  # the zip holds exactly the student's folder
            for n in names:
                assert z.read(n) == (out / sid / n.split("/", 1)[1]).read_bytes(), n
        assert len(names) == sum(1 for p in (out / sid).rglob("*") if p.is_file())
    assert load_world(out / "s1" / "data", cache=False).transactions["amount"].sum() != pytest.approx(
        load_world(out / "s2" / "data", cache=False).transactions["amount"].sum())
    manifest = json.loads((out / "assignment.json").read_text())
    assert manifest["students"] == ["s1", "s2"] and "salt" not in json.dumps(manifest)
    # a second release into the same folder is refused, naming the students
    assert main(["assign", str(DEMO), "--roster", str(roster), "--out", str(out), "--quiet"]) == 2


def test_assign_without_a_salt_warns_that_worlds_can_be_guessed(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FIDELIA_SALT", raising=False)
    roster = tmp_path / "class.csv"
    roster.write_text("id,name\ns1,Ana\n")
    assert main(["assign", str(DEMO), "--roster", str(roster), "--out", str(tmp_path / "r"), "--customers", "100",
                 "--quiet"]) == 0
    assert "fidelia: warning: no --salt" in capsys.readouterr().err


def test_a_language_without_a_notebook_is_refused_naming_the_row(tmp_path, capsys):
    roster = tmp_path / "class.csv"
    roster.write_text("id,name,lang\ns1,Ana,en\ns2,Ben,fr\n")
    code = main(["assign", str(DEMO), "--roster", str(roster), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "row 3: language 'fr' has no notebook in 00_demo; it has en, es" in err
    assert main(["assign", "99_nothing", "--roster", str(roster), "--out", str(tmp_path / "r")]) == 2
