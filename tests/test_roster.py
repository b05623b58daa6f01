"""Rosters as Moodle and Canvas export them, and plain ones: shapes, encodings, bad rows named."""
from pathlib import Path

import pytest

from fidelia_kit.cli import main
from fidelia_kit.grading.roster import name_key, read_roster

ROSTERS = Path(__file__).parent / "data" / "rosters"


def test_moodle_participants_export_with_bom_is_identified_by_id_number():
    r = read_roster(ROSTERS / "moodle_participants.csv")
    assert r.kind == "moodle" and r.id_column == "ID number"
    assert r.ids == ["A1001", "A1002", "A1003"]
    assert r.student("A1001").name == "Ana García Núñez"
    assert r.student("A1003").email == "chloe@uni.es"
    assert [s.row for s in r.students] == [2, 3, 4]


def test_spanish_moodle_export_without_id_numbers_uses_email_and_languages():
    r = read_roster(ROSTERS / "moodle_email_only.csv")
    assert r.kind == "moodle" and r.id_column == "Dirección de correo"
    assert r.ids == ["inigo@uni.es", "dana@uni.es"]
    assert [s.lang for s in r.students] == ["es", "en"]
    assert r.student("inigo@uni.es").name == "Iñigo Múgica"


def test_canvas_gradebook_skips_points_possible_and_the_test_student():
    r = read_roster(ROSTERS / "canvas_gradebook.csv")
    assert r.kind == "canvas" and r.id_column == "ID"
    assert r.ids == ["12345", "12346"]
    assert r.student("12345").name == "Ana García"
    assert r.student("12345").fields["SIS User ID"] == "A1001"


def test_plain_latin1_semicolon_roster():
    r = read_roster(ROSTERS / "plain_latin1.csv")
    assert r.kind == "plain"
    assert [(s.id, s.name, s.lang) for s in r.students] == [("s001", "José Peña", "es"), ("s002", "Zoë Brontë", "")]


@pytest.mark.parametrize("name, match", [
    ("bad_duplicate.csv", r"row 5 repeats the id 's001' of row 2"),
    ("bad_empty_id.csv", r"row 3 has no 'id'"),
    ("bad_header.csv", r"not a roster the kit knows"),
])
def test_bad_rosters_are_refused_naming_the_row(name, match):
    with pytest.raises(ValueError, match=match):
        read_roster(ROSTERS / name)


def test_bad_ids_and_languages(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("id,name,lang\ns/1,Ana,en\n")
    with pytest.raises(ValueError, match=r"row 2: id 's/1' cannot name a file"):
        read_roster(p)
    p.write_text("id,name,lang\ns1,Ana,english\n")
    with pytest.raises(ValueError, match=r"row 2: language 'english'"):
        read_roster(p)
    p.write_text("id,name\ns1,Ana,extra\n")
    with pytest.raises(ValueError, match=r"row 2 has 3 cells but the header 2"):
        read_roster(p)
    with pytest.raises(FileNotFoundError, match="no such roster"):
        read_roster(tmp_path / "none.csv")


def test_name_key_matches_file_names_to_names():
    assert name_key("Ana García Núñez") == name_key("ana garcia nuñez") == "anagarcianunez"


def test_cli_refuses_a_bad_roster_in_one_line(tmp_path, capsys):
    code = main(["assign", str(Path(__file__).parent / "data" / "exercises" / "00_demo"), "--roster",
                 str(ROSTERS / "bad_duplicate.csv"), "--out", str(tmp_path / "rel")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "row 5 repeats" in err
