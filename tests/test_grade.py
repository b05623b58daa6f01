"""fidelia grade: submissions found, executed in the sandbox on each student's world, scored, written back.

The whole flow runs on the demo exercise (tests/data/exercises/00_demo: 300 customers, one year) for
a roster of six: a right, a partly wrong and a blank submission, and three hostile ones that between
them try every attack the grader must survive. Every number of grades.csv is checked against the
key computed from each student's world.
"""
import csv
import hashlib
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from fidelia_kit.cli import main
from fidelia_kit.grading import ANSWER_MIME, assign, grade, load_key, student_seed, student_world
from fidelia_kit.grading.grade import find_submission
from fidelia_kit.grading.roster import Roster, Student, read_roster
from fidelia_kit.grading.sandbox import bwrap_available

DEMO = Path(__file__).parent / "data" / "exercises" / "00_demo"
SALT = "grade-tests"


def _solution():
    return nbformat.read(DEMO / "instructor" / "solution.ipynb", as_version=4)


def _replace(nb, qid, code):
    for cell in nb.cells:
        if cell.cell_type == "code" and f'answer("{qid}"' in cell.source:
            cell.source = code
            return nb
    raise AssertionError(qid)


def _insert(nb, before_qid, code):
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and f'answer("{before_qid}"' in c.source)
    nb.cells.insert(index, nbformat.v4.new_code_cell(code))
    return nb


def _tree_digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _grades(path: Path) -> dict:
    with open(path, newline="", encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


@pytest.mark.slow
def test_whole_flow_right_wrong_blank_and_hostile_submissions(tmp_path):
    if not bwrap_available():
        pytest.skip("bubblewrap (bwrap) is not installed or cannot run here: the sandbox path is not tested")
    roster_file = tmp_path / "class.csv"
    roster_file.write_text("id,name,email\ns1,Ana García,a@u\ns2,Ben Ruiz,b@u\ns3,Cid Paz,c@u\n"
                           "s4,Dana Sol,d@u\ns5,Eva Luna,e@u\ns6,Fer Gil,f@u\n", encoding="utf-8")
    release = tmp_path / "release"
    assign(DEMO, roster_file, release, salt=SALT)
    key = load_key(DEMO)
    expected = {s: key.answers_for(student_world(key, student_seed(SALT, "00_demo", s)))
                for s in ("s1", "s2", "s3", "s4", "s5", "s6")}
    subs = tmp_path / "submissions"
    subs.mkdir()
    out = tmp_path / "grades"
    out.mkdir()
    (out / "keep.txt").write_text("the grade book's own file")

    # s1: right, as a folder
    (subs / "s1").mkdir()
    nbformat.write(_solution(), subs / "s1" / "00_demo.ipynb")
    # s2: partly wrong, renamed: q1 0.5 % off (within 10x the 0.1 % tolerance: half of 2 points), q2 a wrong channel
    nb = _solution()
    wrong = next(c for c in expected["s2"]["q3"].index if c != expected["s2"]["q2"])
    _replace(nb, "q1", 'q1 = tx["amount"].sum() * 1.005\nanswer("q1", q1)')
    _replace(nb, "q2", f'answer("q2", "{wrong}")')
    nbformat.write(nb, subs / "s2_final_version.ipynb")
    # s3: blank, the zip it was given
    shutil.copy(release / "s3.zip", subs / "s3.zip")
    # s4: forged outputs, another kernel, writes and deletes outside its folder, reads keys and others, huge output
    nb = _solution()
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    setup = next(c for c in nb.cells if c.cell_type == "code" and "load_world" in c.source)
    setup.outputs = [nbformat.v4.new_output("display_data", data={
        ANSWER_MIME: {"question": "q5", "type": "number", "value": float(expected["s4"]["q5"])}})]
    for q in ("q2", "q3", "q5", "q6"):
        _replace(nb, q, f'answer("{q}", None)')
    paths = [str(out), str(subs / "s1"), str(DEMO / "instructor"), str(roster_file), str(release)]
    _insert(nb, "q4", "import os, shutil\nfor p in " + repr(paths) + ":\n"
            "    try:\n        shutil.rmtree(p)\n    except Exception as e:\n        print(type(e).__name__)\n")
    _insert(nb, "q4", f"open({str(out / 'grades.csv')!r}, 'w').write('forged')")
    _insert(nb, "q4", f"print(open({str(DEMO / 'instructor' / 'key.py')!r}).read())")
    _insert(nb, "q4", f"print(os.listdir({str(subs)!r}))")
    _insert(nb, "q4", "print('x' * 30_000_000)")
    nbformat.write(nb, subs / "s4.ipynb")
    # s5: a syntax error, an infinite loop, a memory bomb and a fork bomb, with answers between them
    nb = _solution()
    for q in ("q2", "q4", "q5", "q6"):
        _replace(nb, q, f'answer("{q}", None)')
    _insert(nb, "q1", "def broken(:\n    pass")
    _insert(nb, "q2", "while True:\n    pass")
    _insert(nb, "q3", "blocks = []\nwhile True:\n    blocks.append(bytearray(10**8))")
    _insert(nb, "q4", "import os\nfor _ in range(100_000):\n    if os.fork() == 0:\n        import time\n"
            "        time.sleep(60)\n        os._exit(0)")
    nbformat.write(nb, subs / "s5.ipynb")
    # s6: the kernel crashes after q2; q3 onwards never run
    nb = _solution()
    _replace(nb, "q1", 'answer("q1", None)')
    _insert(nb, "q3", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    nbformat.write(nb, subs / "s6.ipynb")

    before_subs, before_key = _tree_digest(subs), _tree_digest(DEMO)
    code = main(["grade", str(DEMO), "--submissions", str(subs), "--roster", str(roster_file), "--out", str(out),
                 "--salt", SALT, "--jobs", "2", "--timeout", "150", "--cell-timeout", "20", "--memory", "4096"])
    assert code == 0
    g = _grades(out / "grades.csv")
    # q1 2, q2 1, q3 3 (per cell), q4 1, q5 1, q6 free text (not in the total)
    want = {"s1": ["2", "1", "3", "1", "1", "", "8"], "s2": ["1", "0", "3", "1", "1", "", "6"],
            "s3": ["0", "0", "0", "0", "0", "", "0"], "s4": ["2", "0", "0", "1", "0", "", "3"],
            "s5": ["2", "0", "3", "0", "0", "", "5"], "s6": ["0", "1", "0", "0", "0", "", "1"]}
    for s, row in want.items():
        assert [g[s][c] for c in ("q1", "q2", "q3", "q4", "q5", "q6", "total")] == row, (s, g[s])
    log = (out / "grade.log").read_text()
    assert "the kernel 'ir'" in log and "huge output truncated" in log
    s5 = log.split("s5:")[1].split("\n")[0]
    assert "SyntaxError" in s5 and "still running after" in s5 and "MemoryError" in s5
    assert "kernel died" in log.split("s6:")[1].split("\n")[0]
    # nothing outside a submission's folder was touched
    assert _tree_digest(subs) == before_subs and _tree_digest(DEMO) == before_key
    assert (out / "keep.txt").read_text() == "the grade book's own file"
    assert (release / "s1.zip").is_file() and roster_file.is_file()
    feedback = (out / "feedback" / "s2.html").read_text()
    assert "partial" in feedback and str(expected["s2"]["q2"]) in feedback
    free = list(csv.DictReader(open(out / "free_text.csv", encoding="utf-8")))
    assert [r["id"] for r in free] == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert free[0]["answer"].startswith("Most receipts")

    # a second run executes nothing and gives the same numbers; a changed submission is graded again
    text = (out / "grades.csv").read_text()
    run = grade(DEMO, subs, roster_file, out, salt=SALT, jobs=2, timeout=150, cell_timeout=20)
    assert run.graded == () and (out / "grades.csv").read_text() == text
    shutil.copy(subs / "s1" / "00_demo.ipynb", subs / "s3.ipynb")
    (subs / "s3.zip").unlink()
    run = grade(DEMO, subs, roster_file, out, salt=SALT, jobs=2, timeout=150, cell_timeout=20)
    assert run.graded == ("s3",) and _grades(out / "grades.csv")["s3"]["total"] == "8"

    # manual points for free text go into the totals, and stay there on the next run
    manual = tmp_path / "manual.csv"
    manual.write_text("id,question,points\ns1,q6,1.5\n")
    assert main(["grade", str(DEMO), "--roster", str(roster_file), "--out", str(out), "--manual", str(manual)]) == 0
    assert _grades(out / "grades.csv")["s1"]["total"] == "9.5"
    grade(DEMO, subs, roster_file, out, salt=SALT, timeout=150, cell_timeout=20)
    assert _grades(out / "grades.csv")["s1"]["q6"] == "1.5"


def test_missing_empty_and_non_notebook_submissions_score_zero_with_a_reason(tmp_path):
    roster = tmp_path / "class.csv"
    roster.write_text("id,name\nm1,Ana\nm2,Ben\nm3,Cid\nm4,Dan\n")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "m2.ipynb").write_bytes(b"")
    (subs / "m3.ipynb").write_text("this is a PDF, really")
    (subs / "m4").mkdir()
    (subs / "m4" / "notes.txt").write_text("I forgot the notebook")
    (subs / "m4" / "classmate.ipynb").symlink_to(DEMO / "instructor" / "solution.ipynb")  # a link is no submission
    run = grade(DEMO, subs, roster, tmp_path / "grades", salt=SALT)
    problems = {g.student: g.problem for g in run.grades}
    assert problems["m1"] == "no submission"
    assert problems["m2"] == "m2.ipynb is empty"
    assert problems["m3"].startswith("m3.ipynb is not a notebook")
    assert problems["m4"] == "no notebook (.ipynb) in the submission; it holds classmate.ipynb, notes.txt"
    assert all(g.points == 0 for g in run.grades)


def test_bulk_downloads_are_matched_by_canvas_id_or_moodle_name(tmp_path):
    ana, ben = Student("12345", "Ana García"), Student("A2", "Ben Ruiz")
    canvas = Roster("canvas", (ana,), "ID", ("Student", "ID"))
    moodle = Roster("moodle", (ben,), "ID number", ("First name", "Last name", "ID number"))
    (tmp_path / "garciaana_late_12345_777_exercise.ipynb").write_text("{}")
    (tmp_path / "garciaana_123456_778_exercise.ipynb").write_text("{}")  # another student's id
    (tmp_path / "Ben Ruiz_998877_assignsubmission_file_").mkdir()
    assert find_submission(tmp_path, ana, canvas).name == "garciaana_late_12345_777_exercise.ipynb"
    assert find_submission(tmp_path, ben, moodle).name == "Ben Ruiz_998877_assignsubmission_file_"
    assert find_submission(tmp_path, Student("zz", "Nobody"), moodle) is None


def test_canvas_and_moodle_grade_books_take_their_import_shapes(tmp_path):
    roster_dir = Path(__file__).parent / "data" / "rosters"
    for name, header in (("canvas_gradebook.csv", ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                                                   "00_demo (4455)"]),
                         ("moodle_participants.csv", ["ID number", "First name", "Last name", "00_demo",
                                                      "Feedback: 00_demo"])):
        subs = tmp_path / name / "subs"
        subs.mkdir(parents=True)
        grade(DEMO, subs, roster_dir / name, tmp_path / name / "grades", salt=SALT)
        rows = list(csv.reader(open(tmp_path / name / "grades" / "grades.csv", encoding="utf-8")))
        assert rows[0] == header
        roster = read_roster(roster_dir / name)
        if name.startswith("canvas"):
            assert rows[1][0].strip() == "Points Possible" and rows[1][-1] == "10"
            assert [r[1] for r in rows[2:]] == roster.ids and rows[2][2:5] == ["A1001", "ana@uni.es", "Sect 1"]
        else:
            assert [r[0] for r in rows[1:]] == roster.ids and rows[1][1:3] == ["Ana", "García Núñez"]
            assert rows[1][3] == "0" and "no submission" in rows[1][4]


def test_bad_manual_points_are_refused_naming_the_row(tmp_path, capsys):
    roster = tmp_path / "class.csv"
    roster.write_text("id,name\ns1,Ana\n")
    (tmp_path / "subs").mkdir()
    grade(DEMO, tmp_path / "subs", roster, tmp_path / "grades")
    for text, match in (("id,question,points\ns1,q6,5\n", "row 2: points must be a number from 0 to 2"),
                        ("id,question,points\ns1,q1,1\n", "row 2: question 'q1' is scored automatically"),
                        ("id,question,points\nzz,q6,1\n", "row 2: no student 'zz'")):
        (tmp_path / "m.csv").write_text(text)
        code = main(["grade", str(DEMO), "--roster", str(roster), "--out", str(tmp_path / "grades"), "--manual",
                     str(tmp_path / "m.csv")])
        err = capsys.readouterr().err
        assert code == 2 and match in err and err.count("\n") == 1


def test_grade_refuses_an_out_folder_inside_the_submissions(tmp_path, capsys):
    roster = tmp_path / "class.csv"
    roster.write_text("id,name\ns1,Ana\n")
    (tmp_path / "subs").mkdir()
    code = main(["grade", str(DEMO), "--submissions", str(tmp_path / "subs"), "--roster", str(roster), "--out",
                 str(tmp_path / "subs" / "grades")])
    assert code == 2 and "must not be inside the submissions" in capsys.readouterr().err


def test_zips_are_unpacked_without_escaping(tmp_path):
    from fidelia_kit.grading.grade import _unzip

    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("../outside.txt", "x")
        f.writestr("/abs.txt", "x")
        f.writestr("ok/nb.ipynb", "{}")
    target = tmp_path / "t"
    _unzip(z, target)
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()) == ["ok/nb.ipynb"]
    assert not (tmp_path / "outside.txt").exists()


def _python(code):
    import sys

    return [sys.executable, "-c", code]


def test_limits_alone_kill_a_runaway_at_the_wall_clock_and_refuse_a_huge_allocation(tmp_path):
    import time

    from fidelia_kit.grading.sandbox import Limits, run_sandboxed

    start = time.perf_counter()
    run = run_sandboxed(_python("import subprocess, time\nsubprocess.Popen(['sleep', '60'])\nwhile True: pass"),
                        tmp_path, limits=Limits(timeout=3), use_bwrap=False)
    assert run.timed_out and run.returncode is None and time.perf_counter() - start < 15
    run = run_sandboxed(_python("try:\n    bytearray(8 * 2**30)\nexcept MemoryError:\n    print('refused')"),
                        tmp_path, limits=Limits(timeout=30, memory_mb=1024), use_bwrap=False)
    assert run.ok and run.stdout.strip() == "refused"


def test_bubblewrap_keeps_a_run_in_its_folder(tmp_path):
    if not bwrap_available():
        pytest.skip("bubblewrap (bwrap) is not installed or cannot run here: the sandbox path is not tested")
    from fidelia_kit.grading.sandbox import Limits, run_sandboxed

    secret = Path(__file__).resolve()  # inside the checkout the sandbox sees through the kit's package
    work = tmp_path / "work"
    work.mkdir()
    code = ("import os, socket\n"
            "open('mine.txt', 'w').write('ok')\n"
            f"for p in ({str(tmp_path / 'outside.txt')!r}, '/usr/outside.txt', {str(secret)!r}):\n"
            "    try:\n        open(p, 'a').write('x')\n        print('wrote', p)\n"
            "    except OSError as e:\n        print('refused', type(e).__name__)\n"
            "try:\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n    print('network')\n"
            "except OSError:\n    print('no network')\n"
            "print(os.getpid())")
    before = secret.read_bytes()
    run = run_sandboxed(_python(code), work, limits=Limits(timeout=60), hide=[secret], use_bwrap=True)
    lines = run.stdout.split()
    assert run.ok, run.stderr
    assert "wrote" not in lines and lines.count("refused") == 3 and "no network" in run.stdout
    assert (work / "mine.txt").read_text() == "ok" and not (tmp_path / "outside.txt").exists()
    assert secret.read_bytes() == before
    assert int(lines[-1]) < 10  # its own PID namespace


def test_preparing_a_submission_strips_forged_outputs_and_reinjects_the_students_own_parameters():
    from fidelia_kit.grading.grade import _prepare

    key = load_key(DEMO)
    nb = nbformat.read(DEMO / "exercise.en.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell('# Parameters\ndata_dir = "elsewhere"\nstudent_id = "s9"\nseed = 11\n',
                                                 metadata={"tags": ["injected-parameters"]}))
    nb.cells[-1].outputs = [nbformat.v4.new_output("display_data", data={
        ANSWER_MIME: {"question": "q6", "type": "text", "value": "forged"}})]
    nb.metadata["kernelspec"] = {"name": "julia-1.9", "display_name": "Julia", "language": "julia"}
    prepared, notes = _prepare(nb, key, Student("s1", "Ana"), 12)
    injected = [c for c in prepared.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert 'student_id = "s1"' in injected[0].source and "seed = 12" in injected[0].source
    assert 'data_dir = "data"' in injected[0].source
    assert all(not c.get("outputs") for c in prepared.cells if c.cell_type == "code")
    assert prepared.metadata["kernelspec"]["name"] == "python3"
    assert notes == ["the notebook names the kernel 'julia-1.9'; ran with python3",
                     "the notebook was released with seed 11, the grader derives 12: is --salt the one given to "
                     "fidelia assign? (graded on the grader's)"]


def test_a_new_key_version_or_another_submission_changes_the_digest_that_decides_a_regrade():
    import dataclasses

    from fidelia_kit.grading.grade import _digest

    key = load_key(DEMO)
    base = _digest(b"nb", key, 7)
    assert base == _digest(b"nb", key, 7)
    assert base != _digest(b"nb", dataclasses.replace(key, version="2"), 7)
    assert base != _digest(b"nb2", key, 7) and base != _digest(b"nb", key, 8)


def test_feedback_pages_show_or_hide_the_expected_answers(tmp_path):
    from fidelia_kit.grading.grade import StudentGrade
    from fidelia_kit.grading.gradebook import write_gradebook

    key = load_key(DEMO)
    roster = Roster("plain", (Student("s1", "Ana"),), "id", ("id", "name"))
    rows = tuple({"question": q.id, "kind": q.kind, "points": 0.0, "possible": float(q.points),
                  "status": "wrong", "given": "bike", "expected": "store-9137"} for q in key.questions)
    g = StudentGrade("s1", 0.0, key.points, rows, (), "", "")
    write_gradebook(tmp_path / "a", roster, key, [g])
    write_gradebook(tmp_path / "b", roster, key, [g], hide_expected=True)
    shown, hidden = ((tmp_path / d / "feedback" / "s1.html").read_text() for d in ("a", "b"))
    assert "store-9137" in shown and "store-9137" not in hidden and "bike" in hidden


@pytest.mark.slow
def test_sigterm_stops_grading_at_once_and_leaves_no_process_behind(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    roster = tmp_path / "class.csv"
    roster.write_text("id,name\nl1,Ana\n")
    subs = tmp_path / "subs"
    subs.mkdir()
    nb = _solution()
    _insert(nb, "q1", "while True:\n    pass")
    nbformat.write(nb, subs / "l1.ipynb")
    proc = subprocess.Popen([sys.executable, "-m", "fidelia_kit", "grade", str(DEMO), "--submissions", str(subs),
                             "--roster", str(roster), "--out", str(tmp_path / "grades"), "--timeout", "300",
                             "--cell-timeout", "200"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    me = psutil.Process(proc.pid)
    family = []

    def command(p):
        try:
            return " ".join(p.cmdline())
        except psutil.Error:
            return ""

    for _ in range(300):  # wait until the submission's kernel runs
        time.sleep(0.2)
        family = me.children(recursive=True)
        if any("ipykernel" in command(p) for p in family):
            break
    assert family, "the grader started no process"
    time.sleep(1)
    start = time.perf_counter()
    os.kill(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and time.perf_counter() - start < 20
    assert "interrupted" in err and "Traceback" not in err
    time.sleep(0.5)
    assert not [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@pytest.mark.slow
def test_a_course_exercise_graded_by_the_grader_full_marks_for_the_solution_zero_for_the_blank(tmp_path):
    """The grader itself (sandbox, re-injected parameters, regenerated world), not only the harness, on a real
    exercise: its reference solution earns every automatic point and the blank notebook it releases earns 0."""
    exercise = Path(__file__).resolve().parents[1] / "course" / "exercises" / "01_customer_database"
    roster_file = tmp_path / "class.csv"
    roster_file.write_text("id,name\nsol,Ana García\nblank,Ben Ruiz\n", encoding="utf-8")
    release = tmp_path / "release"
    assign(exercise, roster_file, release, salt=SALT)
    subs = tmp_path / "submissions"
    (subs / "sol").mkdir(parents=True)
    shutil.copy(exercise / "instructor" / "solution.ipynb", subs / "sol" / "01_customer_database.ipynb")
    shutil.copy(release / "blank.zip", subs / "blank.zip")
    run = grade(exercise, subs, roster_file, tmp_path / "grades", salt=SALT, jobs=2)
    by = {g.student: g for g in run.grades}
    key = load_key(exercise)
    automatic = sum(q.points for q in key.questions if q.kind != "text")
    assert by["sol"].points == pytest.approx(automatic, abs=1e-9), by["sol"].questions
    assert by["blank"].points == 0.0
    assert all(not g.problems for g in run.grades), [g.problems for g in run.grades]
