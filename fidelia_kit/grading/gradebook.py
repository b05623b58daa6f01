"""The grade book: grades in the shape the roster came in, feedback pages, free text, a log.

:func:`write_gradebook` writes into the grade book's folder, each file atomically (a temporary
file beside it, flushed, then renamed, so a reader never sees half a file):

- ``grades.csv``, in the roster's shape: **Canvas**'s gradebook import (``Student``, ``ID``,
  ``SIS User ID``, ``SIS Login ID``, ``Section``, then the assignment as ``Title (assignment id)``
  when the roster has that assignment's column, else the exercise's name, which Canvas imports as
  a new assignment; a ``Points Possible`` row first); **Moodle**'s (the identifier the roster had,
  ``ID number`` or ``Email address``, then the names, a grade column and its paired feedback
  column, so one import maps both: a feedback column imported without its grade would overwrite
  the grades); **plain** (``id``, ``name``, the points of each question, ``total``);
- ``scores.csv``: one row per student and question (status, points, the answer given, the one
  expected);
- ``free_text.csv``: every free-text answer of every student (``id``, ``name``, ``question``,
  ``possible``, ``answer``, ``points`` left empty): fill in ``points`` and give the file to
  ``fidelia grade --manual``;
- ``feedback/<id>.html``: per question, right or wrong, the answer given, the expected one (unless
  hidden), the points;
- ``grade.log``: one line per student (points, and what went wrong).

Manual points (:func:`read_manual`) are kept in ``manual.csv`` and added to the totals of every
later grade book.
"""
from __future__ import annotations

import csv
import html
import io
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import PathLike
    from .grade import StudentGrade
    from .key import Key
    from .roster import Roster

__all__ = ["atomic_write", "write_gradebook", "read_manual", "MANUAL_FILE", "GRADES_FILE"]

#: The grade book's file of grades.
GRADES_FILE = "grades.csv"

#: The manual points merged into every grade book (``fidelia grade --manual``).
MANUAL_FILE = "manual.csv"


def atomic_write(path: PathLike, text: str) -> Path:
    """Write text to a file atomically: a temporary file in the same folder, flushed, then renamed.

    Parameters
    ----------
    path : str or Path
    text : str

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     atomic_write(Path(d) / "a" / "x.txt", "hello").read_text()
    'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _csv(rows: list, header: list) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _num(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{float(v):.2f}".rstrip("0").rstrip(".")


def _short(v: Any, limit: int = 200) -> str:
    if isinstance(v, dict) and {"index", "columns", "data"} <= set(v):
        return "; ".join(f"{i}: {', '.join(str(c) for c in row)}" for i, row in zip(v["index"], v["data"]))[:limit]
    if isinstance(v, float):
        return f"{v:.6g}"
    return ("" if v is None else str(v))[:limit]


def read_manual(path: PathLike, roster: Roster, key: Key) -> dict:
    """Read manually given points (for free text): a CSV with ``id``, ``question`` and ``points``.

    ``free_text.csv`` of the grade book has these columns; other columns are ignored, and a row
    whose ``points`` is empty is skipped.

    Parameters
    ----------
    path : str or Path
    roster : Roster
    key : Key

    Returns
    -------
    dict
        ``{(student id, question id): points}``.

    Raises
    ------
    ValueError
        Naming the row: an unknown student or question, a question that is not free text, points
        that are not a number between 0 and the question's points.

    Examples
    --------
    >>> import tempfile
    >>> from fidelia_kit.grading import Key, Question
    >>> from fidelia_kit.grading.roster import Roster, Student
    >>> key = Key("demo", (Question("q1", 1, "number"), Question("q9", 2, "text")), lambda world: {"q1": 1})
    >>> roster = Roster("plain", (Student("s1", "Ana"),), "id", ("id", "name"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "m.csv").write_text("id,question,points\\ns1,q9,1.5\\n")
    ...     read_manual(Path(d) / "m.csv", roster, key)
    {('s1', 'q9'): 1.5}
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--manual {path}: no such file.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    reader = csv.DictReader(io.StringIO(text))
    need = {"id", "question", "points"}
    if not reader.fieldnames or not need <= set(reader.fieldnames):
        raise ValueError(f"{path}: manual points need the columns id, question, points; found {reader.fieldnames}.")
    ids = set(roster.ids)
    out = {}
    for row in reader:
        line = reader.line_num
        sid, qid, pts = ((row.get(c, "") or "").strip() for c in ("id", "question", "points"))
        if not pts:
            continue
        if sid not in ids:
            raise ValueError(f"{path}: row {line}: no student {sid!r} in the roster.")
        try:
            q = key.question(qid)
        except KeyError:
            raise ValueError(f"{path}: row {line}: no question {qid!r} in {key.exercise}.") from None
        if q.kind != "text":
            raise ValueError(f"{path}: row {line}: question {qid!r} is scored automatically ({q.kind}); only free-text "
                             "questions take manual points.")
        try:
            value = float(pts.replace(",", "."))
        except ValueError:
            value = float("nan")
        if not (math.isfinite(value) and 0 <= value <= q.points):
            raise ValueError(f"{path}: row {line}: points must be a number from 0 to {q.points:g} for {qid}; got "
                             f"{pts!r}.")
        out[(sid, qid)] = value
    return out


def _stored_manual(out: Path) -> dict:
    path = out / MANUAL_FILE
    if not path.is_file():
        return {}
    return {(r["id"], r["question"]): float(r["points"]) for r in csv.DictReader(io.StringIO(path.read_text("utf-8")))}


def _canvas_column(roster: Roster, exercise: str) -> str:
    for c in roster.columns:
        if c.startswith(f"{exercise} (") and c.endswith(")"):
            return c
    return exercise


def write_gradebook(out_dir: PathLike, roster: Roster, key: Key, grades: Sequence[StudentGrade], *, exercise: str | None = None,
                    hide_expected: bool = False, sandbox: str = "", manual: dict | None = None) -> Path:
    """Write the grade book (grades.csv in the roster's shape, scores, free text, feedback, log).

    Parameters
    ----------
    out_dir : str or Path
    roster : Roster
    key : Key
    grades : sequence of StudentGrade
        One per roster student.
    exercise : str, optional
        The exercise's name (default: ``key.exercise``).
    hide_expected : bool, default=False
        Feedback pages leave out the expected answers.
    sandbox : str, default=""
        How the submissions ran, for the log.
    manual : dict, optional
        New manual points ``{(id, question): points}`` (:func:`read_manual`), merged with those
        given before and kept in ``manual.csv``.

    Returns
    -------
    Path
        ``grades.csv``.

    Examples
    --------
    >>> import tempfile
    >>> from fidelia_kit.grading import Key, Question
    >>> from fidelia_kit.grading.grade import StudentGrade
    >>> from fidelia_kit.grading.roster import Roster, Student
    >>> key = Key("demo", (Question("q1", 2, "number"),), lambda world: {"q1": 1})
    >>> roster = Roster("plain", (Student("s1", "Ana"),), "id", ("id", "name"))
    >>> q = {"question": "q1", "kind": "number", "points": 2.0, "possible": 2.0, "status": "right",
    ...      "given": 1.0, "expected": 1.0}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     print(write_gradebook(d, roster, key, [StudentGrade("s1", 2.0, 2.0, (q,), (), "", "")]).read_text())
    id,name,q1,total
    s1,Ana,2,2
    <BLANKLINE>
    """
    out = Path(out_dir)
    exercise = exercise or key.exercise
    merged = {**_stored_manual(out), **(manual or {})}
    by_id = {g.student: g for g in grades}
    texts = {q.id for q in key.questions if q.kind == "text"}

    def points(g, q):
        if q["question"] in texts:
            return merged.get((g.student, q["question"]), float("nan"))
        return q["points"]

    totals, rows_scores, rows_free = {}, [], []
    for s in roster.students:
        g = by_id[s.id]
        totals[s.id] = sum(p for p in (points(g, q) for q in g.questions) if not math.isnan(p))
        for q in g.questions:
            rows_scores.append([s.id, q["question"], q["kind"], q["status"], _num(points(g, q)), _num(q["possible"]),
                                _short(q["given"], 500), _short(q["expected"], 500)])
            if q["question"] in texts:
                rows_free.append([s.id, s.name, q["question"], _num(q["possible"]), q["given"] or "",
                                  _num(merged.get((s.id, q["question"]), float("nan")))])
    possible = key.points
    if roster.kind == "canvas":
        col = _canvas_column(roster, exercise)
        head = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        fields = [next((c for c in roster.columns if c.casefold() == h.casefold()), h) for h in head]
        rows = [["    Points Possible", "", "", "", "", _num(possible)]]
        rows += [[s.fields.get(f, "") for f in fields] + [_num(totals[s.id])] for s in roster.students]
        text = _csv(rows, head + [col])
    elif roster.kind == "moodle":
        first = next((c for c in roster.columns if c.casefold() in ("first name", "nombre")), None)
        last = next((c for c in roster.columns if c.casefold() in ("last name", "surname", "apellido(s)", "apellidos")),
                    None)
        names = [c for c in (first, last) if c and c != roster.id_column]
        head = [roster.id_column, *names, exercise, f"Feedback: {exercise}"]
        rows = []
        for s in roster.students:
            g = by_id[s.id]
            summary = "; ".join(f"{q['question']} {q['status']} {_num(points(g, q)) or '-'}/{_num(q['possible'])}"
                                for q in g.questions)
            rows.append([s.fields.get(roster.id_column, s.id), *(s.fields.get(c, "") for c in names),
                         _num(totals[s.id]), summary + (f" ({g.problem})" if g.problem else "")])
        text = _csv(rows, head)
    else:
        qids = [q.id for q in key.questions]
        rows = []
        for s in roster.students:
            g = by_id[s.id]
            per = {q["question"]: points(g, q) for q in g.questions}
            rows.append([s.id, s.name, *(_num(per.get(i, float("nan"))) for i in qids), _num(totals[s.id])])
        text = _csv(rows, ["id", "name", *qids, "total"])
    for s in roster.students:
        atomic_write(out / "feedback" / f"{s.id}.html", _feedback_page(s, by_id[s.id], key, exercise, hide_expected,
                                                                        points))
    atomic_write(out / "scores.csv", _csv(rows_scores, ["id", "question", "kind", "status", "points", "possible",
                                                        "given", "expected"]))
    atomic_write(out / "free_text.csv", _csv(rows_free, ["id", "name", "question", "possible", "answer", "points"]))
    if merged:
        atomic_write(out / MANUAL_FILE, _csv([[i, q, _num(p)] for (i, q), p in sorted(merged.items())],
                                             ["id", "question", "points"]))
    log = [f"{exercise}: {len(roster.students)} students, sandbox {sandbox or 'unknown'}"]
    for s in roster.students:
        g = by_id[s.id]
        log.append(f"{s.id}: {_num(totals[s.id]) or '0'}/{_num(possible)}" + (f" - {g.problem}" if g.problem else ""))
    atomic_write(out / "grade.log", "\n".join(log) + "\n")
    return atomic_write(out / GRADES_FILE, text)


def _feedback_page(student, g, key, exercise: str, hide_expected: bool, points) -> str:
    esc = html.escape
    rows = []
    for q in g.questions:
        question = key.question(q["question"])
        expected = "" if hide_expected or q["kind"] == "text" else esc(_short(q["expected"], 2000))
        shown = _num(points(g, q))
        rows.append(f"<tr><td>{esc(q['question'])}</td><td>{esc(question.text)}</td><td>{esc(q['status'])}</td>"
                    f"<td>{esc(_short(q['given'], 2000))}</td>"
                    + ("" if hide_expected else f"<td>{expected}</td>")
                    + f"<td>{shown or ('to be scored' if q['status'] == 'manual' else '0')} / {_num(q['possible'])}"
                      "</td></tr>")
    head = "<tr><th>question</th><th></th><th>result</th><th>your answer</th>" + (
        "" if hide_expected else "<th>expected</th>") + "<th>points</th></tr>"
    problems = "".join(f"<li>{esc(p)}</li>" for p in g.problems)
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{esc(exercise)}: {esc(student.name)}</title>"
            "<style>td,th{border:1px solid #ccc;padding:4px;text-align:left}table{border-collapse:collapse}</style>"
            f"</head><body><h1>{esc(exercise)}</h1><p>{esc(student.name)} ({esc(student.id)}): "
            f"{_num(g.points) or '0'} of {_num(g.possible)} points scored automatically.</p>"
            + (f"<p>While grading:</p><ul>{problems}</ul>" if problems else "")
            + f"<table>{head}{''.join(rows)}</table></body></html>\n")

