"""Grade an exercise's submissions: find each, execute it in the sandbox on the student's world, score it.

:func:`grade` finds each roster student's submission in a folder (a folder or a zip named by the
student id, a notebook named by it, or the flat folder of a Moodle or Canvas bulk download, whose
file names carry the student's full name or Canvas id), strips its stored outputs (so answers
forged into them never count), forces the ``python3`` kernel, injects that student's parameters
again (papermill: a student cannot swap worlds), and executes it with
:func:`fidelia_kit.grading.sandbox.run_sandboxed` in a temporary folder holding only the notebook
and the student's world, regenerated from their seed (the grader never reads the copy the student
was given). The key is computed here, outside the sandbox, from the same world; only the answers
given during this execution are read. A broken or hostile submission never stops the batch: it is
scored on what it answered and reported in one line with its reason. The grade book
(:mod:`fidelia_kit.grading.gradebook`) is written atomically; a second run executes again only the
submissions that changed (or all of them when the key's version changed).
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._results import Result
from .answers import read_answers
from .assign import _clear, exercise_key, find_exercise
from .key import Key, score, student_parameters, student_seed, student_world
from .roster import Roster, Student, name_key, read_roster
from .sandbox import Limits, run_sandboxed

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import pandas as pd

    from .._typing import PathLike

__all__ = ["StudentGrade", "GradeRun", "find_submission", "grade_submission", "grade", "merge_manual", "MAX_NOTEBOOK_MB"]

#: Largest notebook (or unpacked zip) the grader reads, in MB.
MAX_NOTEBOOK_MB = 50

_STATE = ".state"


@dataclass(frozen=True, repr=False)
class StudentGrade(Result):
    """One student's grade.

    Attributes
    ----------
    student : str
        The student's id.
    points : float
        Points earned automatically (free text is scored by hand and merged later).
    possible : float
    questions : tuple of dict
        Per question: ``question``, ``kind``, ``points`` (NaN for free text), ``possible``,
        ``status`` (right/partial/wrong/missing/manual), ``given``, ``expected``.
    problems : tuple of str
        What went wrong, one line each (no submission, a cell's error, the time limit, ...).
    submission : str
        The file graded ("" when none was found).
    digest : str
        A hash of the submission, the key's version and the student's seed: a second run
        grades the student again only when it changes.

    Examples
    --------
    >>> g = StudentGrade("s1", 2.0, 3.0, (), ("no submission",), "", "")
    >>> g.problem
    'no submission'
    """

    student: str
    points: float
    possible: float
    questions: tuple
    problems: tuple
    submission: str
    digest: str

    @property
    def problem(self) -> str:
        """The problems in one line ("" when there were none)."""
        return "; ".join(self.problems)

    def to_frame(self) -> pd.DataFrame:
        """One row per question."""
        import pandas as pd

        return pd.DataFrame([{"student": self.student, **q} for q in self.questions])


@dataclass(frozen=True, repr=False)
class GradeRun(Result):
    """What :func:`grade` did.

    Attributes
    ----------
    exercise : str
    grades : tuple of StudentGrade
        In the roster's order.
    graded : tuple of str
        Students whose submission was executed in this run.
    reused : tuple of str
        Students whose grade was kept from an earlier run (same submission, same key version).
    out_dir : str
    sandbox : str
        ``"bwrap"`` or ``"limits"``.

    Examples
    --------
    >>> GradeRun("00_demo", (), (), (), "grades", "bwrap").graded
    ()
    """

    exercise: str
    grades: tuple
    graded: tuple
    reused: tuple
    out_dir: str
    sandbox: str

    def to_frame(self) -> pd.DataFrame:
        """One row per student: student, points, possible, problem."""
        import pandas as pd

        return pd.DataFrame([{"student": g.student, "points": g.points, "possible": g.possible, "problem": g.problem}
                             for g in self.grades])


# -- finding submissions ------------------------------------------------------------------------------------------

def _tokens(name: str) -> set:
    return {t for t in re.split(r"[^A-Za-z0-9@.+-]+|_", name) if t}


def _matches(entry: Path, student: Student, roster: Roster) -> bool:
    stem = entry.name[:-len(entry.suffix)] if entry.is_file() and entry.suffix else entry.name
    if stem == student.id:
        return True
    tokens = _tokens(entry.name)
    if student.id in tokens:
        return True  # Canvas: name_[LATE_]userid_submissionid_file.ipynb; a plain "<id>_anything"
    if roster.kind == "moodle" and "_" in entry.name:  # Moodle: "Full Name_123456_assignsubmission_file..."
        return name_key(entry.name.split("_", 1)[0]) == name_key(student.name) != ""
    return False


def find_submission(submissions: PathLike, student: Student, roster: Roster) -> Path | None:
    """A student's submission in a folder of submissions: a folder, a zip or a notebook.

    Looked for, in this order: an entry named by the student id (``s001/``, ``s001.zip``,
    ``s001.ipynb``); an entry whose name holds the id as a separate part (Canvas's bulk download,
    ``garciaana_12345_678_exercise.ipynb``); for a Moodle roster, an entry whose name starts with
    the student's full name (``Ana García_1234_assignsubmission_file_...``).

    Parameters
    ----------
    submissions : str or Path
        The folder of submissions.
    student : Student
    roster : Roster

    Returns
    -------
    Path or None
        None when nothing is there for the student.

    Examples
    --------
    >>> import tempfile
    >>> from fidelia_kit.grading.roster import Roster, Student
    >>> ana = Student("12345", "Ana García")
    >>> roster = Roster("canvas", (ana,), "ID", ("Student", "ID"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "garciaana_12345_998_exercise.ipynb").write_text("{}")
    ...     find_submission(d, ana, roster).name
    'garciaana_12345_998_exercise.ipynb'
    """
    folder = Path(submissions)
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    for rule in (lambda p: p.name in (student.id, f"{student.id}.zip", f"{student.id}.ipynb"),
                 lambda p: _matches(p, student, roster)):
        found = [p for p in entries if rule(p)]
        if found:
            notebooks = [p for p in found if p.suffix == ".ipynb"]
            return (notebooks or found)[-1]
    return None


def _unzip(path: Path, target: Path) -> Path:
    """Unpack a zip safely (no absolute or ``..`` paths, no links, size capped) into ``target``."""
    limit = MAX_NOTEBOOK_MB * 2**20
    try:
        with zipfile.ZipFile(path) as z:
            members = [m for m in z.infolist() if not m.is_dir()]
            if sum(m.file_size for m in members) > limit:
                raise ValueError(f"the zip unpacks to more than {MAX_NOTEBOOK_MB} MB")
            for m in members:
                name = Path(m.filename)
                if name.is_absolute() or ".." in name.parts or (m.external_attr >> 16) & 0o170000 == 0o120000:
                    continue
                out = target / name
                out.parent.mkdir(parents=True, exist_ok=True)
                with z.open(m) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    except zipfile.BadZipFile:
        raise ValueError("not a zip file") from None
    return target


def _pick_notebook(folder: Path, exercise: str) -> Path:
    notebooks = [p for p in folder.rglob("*.ipynb")
                 if ".ipynb_checkpoints" not in p.parts and p.is_file() and not p.is_symlink()]
    if not notebooks:
        found = sorted(p.name for p in folder.rglob("*") if p.is_file())
        raise ValueError(f"no notebook (.ipynb) in the submission{'; it holds ' + ', '.join(found[:5]) if found else ''}")
    if len(notebooks) == 1:
        return notebooks[0]
    preferred = [p for p in notebooks if exercise in p.name or p.name.startswith("exercise")]
    return max(preferred or notebooks, key=lambda p: p.stat().st_mtime)


def _read_submission(path: Path, exercise: str, scratch: Path):
    """The submission's notebook (nbformat node) and its bytes; ValueError with the reason when unreadable."""
    import nbformat

    if path.is_symlink():
        raise ValueError(f"{path.name} is a link, not a submission")
    if path.is_dir():
        path = _pick_notebook(path, exercise)
    elif path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        path = _pick_notebook(_unzip(path, scratch / "unzipped"), exercise)
    if path.stat().st_size == 0:
        raise ValueError(f"{path.name} is empty")
    if path.stat().st_size > MAX_NOTEBOOK_MB * 2**20:
        raise ValueError(f"{path.name} is larger than {MAX_NOTEBOOK_MB} MB")
    raw = path.read_bytes()
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception as exc:  # noqa: BLE001 - any reason a file is not a notebook
        text = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise ValueError(f"{path.name} is not a notebook ({text})") from None
    if not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path.name} is not a notebook (no cells)")
    return nb, raw, path


# -- grading one submission -----------------------------------------------------------------------------------------

def _digest(raw: bytes | None, key: Key, seed: int) -> str:
    h = hashlib.sha256(raw or b"")
    h.update(f"\x1f{key.exercise}\x1f{key.version}\x1f{seed}\x1f{json.dumps(dict(key.world), sort_keys=True, default=str)}"
             .encode())
    return h.hexdigest()


def _prepare(nb, key: Key, student: Student, seed: int) -> tuple[Any, list]:
    """Strip outputs and injected parameters, force python3, inject this student's parameters."""
    from papermill.parameterize import parameterize_notebook

    notes = []
    named = (nb.metadata.get("kernelspec") or {}).get("name")
    if named and named != "python3":
        notes.append(f"the notebook names the kernel {named!r}; ran with python3")
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            released = re.search(r"^seed = (\d+)\s*$", cell.source, flags=re.M)
            if released and int(released.group(1)) != seed:
                notes.append(f"the notebook was released with seed {released.group(1)}, the grader derives {seed}: "
                             "is --salt the one given to fidelia assign? (graded on the grader's)")
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    _clear(nb)
    params = student_parameters(key, data_dir="data", student_id=student.id, seed=seed)
    return parameterize_notebook(nb, params, kernel_name="python3", language="python"), notes


def _question_rows(s) -> tuple:
    return tuple({"question": q.question, "kind": q.kind, "points": q.points, "possible": q.possible,
                  "status": q.status, "given": q.given, "expected": q.expected} for q in s.questions)


def grade_submission(key: Key, student: Student, submission: PathLike | None, *, salt: str = "",
                     limits: Limits | None = None, cell_timeout: float = 120, hide: Sequence[PathLike] = (), use_bwrap: bool | None = None,
                     exercise: str | None = None, keep: PathLike | None = None) -> StudentGrade:
    """Grade one student's submission: execute it in the sandbox on their world and score its answers.

    Parameters
    ----------
    key : Key
        The exercise's key (its world's knobs included).
    student : Student
    submission : str, Path or None
        The student's folder, zip or notebook (None: nothing was handed in, scored 0).
    salt : str, default=""
        The course's secret, as given to ``fidelia assign``.
    limits : Limits, optional
        The sandbox's limits (``timeout`` is the whole notebook's).
    cell_timeout : float, default=120
        Seconds a cell may run before it is interrupted (the next cells still run).
    hide : sequence of paths, default=()
        What the submission must not see (keys, roster, other submissions, the grade book).
    use_bwrap : bool, optional
        See :func:`fidelia_kit.grading.sandbox.run_sandboxed`.
    exercise : str, optional
        The exercise's folder name, which seeds the worlds (default: ``key.exercise``).
    keep : str or Path, optional
        Where to copy the executed notebook (for the instructor to see what happened).

    Returns
    -------
    StudentGrade

    Examples
    --------
    >>> from fidelia_kit.grading import Key, Question
    >>> from fidelia_kit.grading.roster import Student
    >>> key = Key("demo", (Question("q1", 1, "number"),), lambda world: {"q1": 1}, world={"n_customers": 100})
    >>> grade_submission(key, Student("s1", "Ana"), None).problems
    ('no submission',)
    """
    limits = limits or Limits()
    exercise = exercise or key.exercise
    seed = student_seed(salt, exercise, student.id)
    problems, raw, nb, used = [], None, None, ""
    with tempfile.TemporaryDirectory(prefix=f"fidelia-grade-{student.id}-") as tmp:
        scratch = Path(tmp)
        if submission is None:
            problems.append("no submission")
        else:
            try:
                nb, raw, found = _read_submission(Path(submission), exercise, scratch)
                used = str(found)
            except (ValueError, OSError) as exc:
                problems.append(str(exc))
        world = student_world(key, seed)
        expected = key.answers_for(world)
        answers = {}
        if nb is not None:
            import nbformat

            work = scratch / "work"
            work.mkdir()
            try:
                nb, notes = _prepare(nb, key, student, seed)
                nbformat.write(nb, work / "submission.ipynb")
                problems += notes
            except Exception as exc:  # noqa: BLE001 - a notebook nbformat read but papermill cannot parameterize
                problems.append(f"the notebook could not be prepared ({type(exc).__name__}: "
                                f"{' '.join(str(exc).split())[:120]})")
                nb = None
        if nb is not None:
            world.save(work / "data")
            from . import _executor

            run = run_sandboxed([sys.executable, _executor.__file__, "submission.ipynb", "executed.ipynb",
                                 "status.json", str(max(1.0, limits.timeout - 10)), str(cell_timeout)],
                                work, limits=limits, hide=hide, use_bwrap=use_bwrap)
            status = _read_json(work / "status.json")
            for e in status.get("errors", []):
                problems.append(f"cell {_cell_number(nb, e.get('cell'))}: {e.get('error', 'error')}")
            if status.get("truncated"):
                problems.append("huge output truncated")
            if run.timed_out:
                problems.append(f"stopped at the time limit ({limits.timeout:g} s) after "
                                f"{status.get('done', 0)} of {status.get('cells', '?')} code cells")
            elif status.get("end") == "stalled":
                problems.append("stopped: two cells in a row ran past their time limit (the kernel no longer "
                                "answered)")
            elif status.get("end") == "time":
                problems.append(f"time limit reached after {status.get('done', 0)} of {status.get('cells', '?')} "
                                "code cells")
            elif not status:
                last = (run.stderr.strip().splitlines() or ["no report"])[-1][:200]
                problems.append(f"the execution failed to start: {last}")
            elif status.get("end") == "running" and not run.timed_out:
                problems.append(f"the execution ended abruptly (status {run.returncode}) after {status.get('done', 0)} "
                                "code cells")
            executed = work / "executed.ipynb"
            if executed.is_file() and executed.stat().st_size <= MAX_NOTEBOOK_MB * 2**20:
                try:
                    answers = read_answers(executed)
                except Exception:  # noqa: BLE001 - a notebook damaged by the submission
                    problems.append("the executed notebook could not be read")
                if keep is not None:
                    Path(keep).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(executed, keep)
    s = score(key, expected, answers)
    return StudentGrade(student.id, s.points, s.possible, _question_rows(s), tuple(problems), used,
                        _digest(raw, key, seed))


def _read_json(path: Path) -> dict:
    try:
        if path.stat().st_size > 2**20:
            return {}
        value = json.loads(path.read_text(encoding="utf-8"))
        return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}


def _cell_number(nb, index) -> str:
    """A code cell as a student counts it (1 = the first code cell of their notebook, parameters included)."""
    if not isinstance(index, int) or index >= len(nb.cells):
        return "?"
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and "injected-parameters" not in c.metadata.get("tags", [])]
    return str(code.index(index) + 1) if index in code else "(injected parameters)"


# -- the whole class ------------------------------------------------------------------------------------------------

def _load_state(out: Path, student_id: str) -> dict:
    return _read_json(out / _STATE / f"{student_id}.json")


def _save_state(out: Path, g: StudentGrade) -> None:
    from .gradebook import atomic_write

    state = {"student": g.student, "points": g.points, "possible": g.possible, "questions": list(g.questions),
             "problems": list(g.problems), "submission": g.submission, "digest": g.digest}
    atomic_write(out / _STATE / f"{g.student}.json", json.dumps(state, default=_jsonable, allow_nan=True))


def _jsonable(v):
    if hasattr(v, "item"):
        return v.item()
    return str(v)


def _from_state(state: dict) -> StudentGrade:
    return StudentGrade(state["student"], float(state["points"]), float(state["possible"]),
                        tuple(state["questions"]), tuple(state["problems"]), state.get("submission", ""),
                        state["digest"])


def _submission_digest(path: Path | None, key: Key, seed: int, exercise: str) -> str | None:
    if path is None:
        return _digest(None, key, seed)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return _digest(_read_submission(path, exercise, Path(tmp))[1], key, seed)
    except (ValueError, OSError):
        return None


def grade(exercise: PathLike, submissions: PathLike, roster: PathLike | Roster, out_dir: PathLike, *,
          salt: str = "", customers: int | None = None, jobs: int = 1, timeout: float = 600,
          cell_timeout: float | None = None, memory_mb: int = 4096, hide_expected: bool = False,
          use_bwrap: bool | None = None,
          on_grade: Callable[[StudentGrade, bool], Any] | None = None) -> GradeRun:
    """Grade every roster student's submission of an exercise and write the grade book.

    Parameters
    ----------
    exercise : str or Path
        The exercise's folder or name.
    submissions : str or Path
        The folder of submissions (see :func:`find_submission`).
    roster : str, Path or Roster
        The roster the grades go back to, in its shape (Moodle, Canvas or plain).
    out_dir : str or Path
        The grade book's folder: ``grades.csv``, ``scores.csv``, ``free_text.csv``,
        ``feedback/<id>.html``, ``grade.log`` (see :mod:`fidelia_kit.grading.gradebook`), and each
        executed notebook in ``executed/<id>.ipynb``.
    salt : str, default=""
        The course's secret, as given to ``fidelia assign``.
    customers : int, optional
        Customers per world, as given to ``fidelia assign`` (default: the key's).
    jobs : int, default=1
        Submissions executed at once.
    timeout : float, default=600
        Wall-clock seconds a submission may run; then everything it started is killed.
    cell_timeout : float, optional
        Seconds a cell may run before it is interrupted (default: a third of ``timeout``).
    memory_mb : int, default=4096
        Address space of each process of a submission, in MiB.
    hide_expected : bool, default=False
        Feedback pages leave out the expected answers.
    use_bwrap : bool, optional
        Default: when bubblewrap is available.
    on_grade : callable, optional
        Called with each :class:`StudentGrade` as it is done (and whether it was reused).

    Returns
    -------
    GradeRun

    Raises
    ------
    FileNotFoundError
        No such exercise, submissions folder or roster.
    ValueError
        ``out_dir`` is the submissions folder or inside it, or a bad option.
    KeyboardInterrupt
        Ctrl-C: the running submissions are killed; each grade finished before is kept in
        ``out_dir`` and not executed again by the next run.

    Examples
    --------
    >>> import tempfile
    >>> demo = Path(__file__).resolve().parents[2] / "tests" / "data" / "exercises" / "00_demo"
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "class.csv").write_text("id,name\\ns1,Ana\\n")
    ...     (Path(d) / "subs").mkdir()
    ...     run = grade(demo, Path(d) / "subs", Path(d) / "class.csv", Path(d) / "grades")
    ...     [(g.student, g.points, g.problem) for g in run.grades]
    [('s1', 0.0, 'no submission')]
    """
    from .._validation import check_int, check_number
    from .gradebook import write_gradebook

    folder = find_exercise(exercise)
    name = folder.resolve().name
    key = exercise_key(folder, customers=customers)
    roster = roster if isinstance(roster, Roster) else read_roster(roster)
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise FileNotFoundError(f"--submissions {submissions}: no such folder.")
    out = Path(out_dir)
    if out.resolve() == submissions.resolve() or submissions.resolve() in out.resolve().parents:
        raise ValueError(f"--out {out}: the grade book must not be inside the submissions folder.")
    check_int("jobs", jobs, 1, 64)
    check_number("timeout", timeout, 5, 86_400)
    cell_timeout = cell_timeout if cell_timeout is not None else max(5.0, timeout / 3)
    limits = Limits(timeout=float(timeout), memory_mb=int(memory_mb))
    hide = [folder, submissions, Path(roster.source) if roster.source else None, out, Path(tempfile.gettempdir())]
    hide = [h for h in hide if h is not None]
    out.mkdir(parents=True, exist_ok=True)
    from .sandbox import bwrap_available

    sandbox = "bwrap" if (use_bwrap if use_bwrap is not None else bwrap_available()) else "limits"
    if sandbox == "limits" and use_bwrap is None:
        import warnings

        warnings.warn("bubblewrap (bwrap) is not available: submissions run with process limits alone (time, CPU, "
                      "memory, processes), which cannot keep one from reading or writing files this user may; install "
                      "the Debian package 'bubblewrap'.", UserWarning, stacklevel=2)
    use = sandbox == "bwrap"

    def one(student: Student):
        path = find_submission(submissions, student, roster)
        seed = student_seed(salt, name, student.id)
        state = _load_state(out, student.id)
        if state and state.get("digest") and state.get("digest") == _submission_digest(path, key, seed, name):
            g, reused = _from_state(state), True
        else:
            g = grade_submission(key, student, path, salt=salt, limits=limits, cell_timeout=cell_timeout, hide=hide,
                                 use_bwrap=use, exercise=name, keep=out / "executed" / f"{student.id}.ipynb")
            _save_state(out, g)
            reused = False
        if on_grade is not None:
            on_grade(g, reused)
        return g, reused

    from .sandbox import _cancel

    pool = ThreadPoolExecutor(max_workers=jobs)
    futures = [pool.submit(one, s) for s in roster.students]
    try:
        done = [f.result() for f in futures]
    except BaseException:  # Ctrl-C: stop the running submissions now; the grades done so far are kept
        _cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        _cancel.clear()
        raise
    pool.shutdown()
    grades = tuple(g for g, _ in done)
    write_gradebook(out, roster, key, grades, exercise=name, hide_expected=hide_expected, sandbox=sandbox)
    return GradeRun(name, grades, tuple(g.student for g, r in done if not r), tuple(g.student for g, r in done if r),
                    str(out), sandbox)



def merge_manual(exercise: PathLike, roster: PathLike | Roster, out_dir: PathLike, manual: PathLike, *,
                 customers: int | None = None, hide_expected: bool = False) -> Path:
    """Merge manually given points (free text) into a grade book that :func:`grade` wrote.

    Parameters
    ----------
    exercise : str or Path
    roster : str, Path or Roster
    out_dir : str or Path
        The grade book's folder.
    manual : str or Path
        A CSV with ``id``, ``question``, ``points`` (``free_text.csv`` with its ``points`` filled in).
    customers : int, optional
        As given to :func:`grade`.
    hide_expected : bool, default=False

    Returns
    -------
    Path
        The rewritten ``grades.csv``.

    Raises
    ------
    ValueError
        A bad row of ``manual`` (named), or a student the grade book has not graded yet.

    Examples
    --------
    >>> import tempfile
    >>> demo = Path(__file__).resolve().parents[2] / "tests" / "data" / "exercises" / "00_demo"
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "class.csv").write_text("id,name\\ns1,Ana\\n")
    ...     (Path(d) / "subs").mkdir()
    ...     _ = grade(demo, Path(d) / "subs", Path(d) / "class.csv", Path(d) / "grades")
    ...     _ = (Path(d) / "m.csv").write_text("id,question,points\\ns1,q6,1.5\\n")
    ...     print(merge_manual(demo, Path(d) / "class.csv", Path(d) / "grades", Path(d) / "m.csv").read_text())
    id,name,q1,q2,q3,q4,q5,q6,total
    s1,Ana,0,0,0,0,0,1.5,1.5
    <BLANKLINE>
    """
    from .gradebook import read_manual, write_gradebook

    folder = find_exercise(exercise)
    key = exercise_key(folder, customers=customers)
    roster = roster if isinstance(roster, Roster) else read_roster(roster)
    out = Path(out_dir)
    points = read_manual(manual, roster, key)
    grades = []
    for s in roster.students:
        state = _load_state(out, s.id)
        if not state:
            raise ValueError(f"{out}: {s.id} has not been graded yet; run fidelia grade first.")
        grades.append(_from_state(state))
    return write_gradebook(out, roster, key, grades, exercise=folder.resolve().name, hide_expected=hide_expected,
                           sandbox="(manual points merged)", manual=points)
