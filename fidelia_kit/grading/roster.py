"""Class rosters as learning platforms export them: Moodle, Canvas, or a plain CSV.

:func:`read_roster` reads

- a **Moodle** participants (or grades) export: ``First name``, ``Last name`` (or ``Surname``),
  ``ID number`` and/or ``Email address`` (their Spanish headers too); a student is identified by
  the ID number when every row has one, else by the e-mail address;
- a **Canvas** gradebook export: ``Student`` ("Last, First"), ``ID``, ``SIS User ID``,
  ``SIS Login ID``, ``Section``, then the assignments; its ``Points Possible`` (and ``Manual
  Posting``) rows and the test student are skipped; a student is identified by the Canvas ``ID``;
- a **plain** CSV: ``id``, ``name`` and optionally ``email``.

Any of them may carry a ``lang`` (or ``language``, ``idioma``) column with the language of the
student's notebook (``en``, ``es``, ...). Files are read as UTF-8 (with or without a byte-order
mark), else as Windows-1252/Latin-1, separated by commas, semicolons or tabs. A bad roster is
refused with the row named (rows are the file's line numbers, the header being line 1), and
the roster keeps its shape so that the grades go back in it (:mod:`fidelia_kit.grading.gradebook`).
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._typing import PathLike

__all__ = ["ROSTER_KINDS", "Student", "Roster", "read_roster", "name_key"]

#: The roster shapes the kit reads (and writes grades in).
ROSTER_KINDS = ("moodle", "canvas", "plain")

_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_LANG_OK = re.compile(r"^[a-z]{2}$")

_MOODLE_FIRST = ("first name", "nombre")
_MOODLE_LAST = ("last name", "surname", "apellido(s)", "apellidos")
_MOODLE_IDNUMBER = ("id number", "numero de id", "idnumber")
_MOODLE_EMAIL = ("email address", "direccion de correo", "direccion email", "correo electronico", "email")
_CANVAS = ("student", "id", "sis user id", "sis login id", "section")
_PLAIN_ID = ("id", "student_id", "student id")
_PLAIN_NAME = ("name", "nombre", "full name")
_PLAIN_EMAIL = ("email", "e-mail", "email address", "correo")
_LANG = ("lang", "language", "idioma")


def _fold(text: str) -> str:
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(s.casefold().split())


def name_key(name: str) -> str:
    """A person's name folded for matching file names: no accents, case, spaces or punctuation.

    Parameters
    ----------
    name : str

    Returns
    -------
    str

    Examples
    --------
    >>> name_key("José  Pérez-Núñez")
    'josepereznunez'
    """
    return "".join(ch for ch in _fold(name) if ch.isalnum())


@dataclass(frozen=True)
class Student:
    """One student of a roster.

    Parameters
    ----------
    id : str
        What identifies the student: it names their folder, their zip and their submission, and
        seeds their world.
    name : str
        Full name, "First Last".
    email : str, default=""
    lang : str, default=""
        Language of their notebook ("" = the course's default).
    row : int, default=0
        Line of the roster file the student was read from.
    fields : mapping, default={}
        The roster row as read (column -> text), so the grades can be written back in its shape.

    Examples
    --------
    >>> Student("s001", "Ana García", "ana@example.org").name
    'Ana García'
    """

    id: str
    name: str
    email: str = ""
    lang: str = ""
    row: int = 0
    fields: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Roster:
    """A class roster: its students and the shape it came in.

    Parameters
    ----------
    kind : {"moodle", "canvas", "plain"}
    students : tuple of Student
    id_column : str
        The column that identifies a student (e.g. ``ID number``, ``Email address``, ``ID``, ``id``).
    columns : tuple of str
        The roster's columns, as read.
    source : str, default=""
        The file it was read from.

    Examples
    --------
    >>> r = Roster("plain", (Student("s1", "Ana"),), "id", ("id", "name"))
    >>> [s.id for s in r.students], r.student("s1").name
    (['s1'], 'Ana')
    """

    kind: str
    students: tuple
    id_column: str
    columns: tuple
    source: str = ""

    def student(self, student_id: str) -> Student:
        """The student with that id (KeyError naming the roster if there is none)."""
        for s in self.students:
            if s.id == student_id:
                return s
        raise KeyError(f"{self.source or 'roster'}: no student {student_id!r}.")

    @property
    def ids(self) -> list:
        """The students' ids, in the roster's order."""
        return [s.id for s in self.students]


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def _find(columns: dict, names: tuple) -> str | None:
    for n in names:
        if n in columns:
            return columns[n]
    return None


def _rows(text: str, where: str) -> tuple[list, list]:
    """The header and the (line number, cells) of every non-blank line."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise ValueError(f"{where}: the roster is empty; expected a header line (id, name, email) and a row per student.")
    try:
        dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, rows = None, []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
                continue
            rows.append((line, cells))
    except csv.Error as exc:
        raise ValueError(f"{where}: row {reader.line_num}: not readable as CSV ({exc}).") from None
    return header, rows


def read_roster(path: PathLike, *, kind: str | None = None) -> Roster:
    """Read a class roster: a Moodle or Canvas export, or a plain CSV (id, name, email).

    Parameters
    ----------
    path : str or Path
        The CSV file (UTF-8, or Windows-1252/Latin-1; commas, semicolons or tabs).
    kind : {"moodle", "canvas", "plain"}, optional
        The shape; by default recognised from the header.

    Returns
    -------
    Roster

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        A header the kit does not recognise, or a bad row (named by its line): an empty or
        repeated id, an id with characters a file name cannot hold, a row with more cells than
        the header, a language that is not a two-letter code.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "class.csv"
    ...     _ = p.write_text("id,name,email\\ns001,Ana García,ana@uni.es\\ns002,Ben Ruiz,ben@uni.es\\n")
    ...     r = read_roster(p)
    >>> r.kind, r.ids, r.student("s001").name
    ('plain', ['s001', 's002'], 'Ana García')
    """
    from .._validation import check_option

    if kind is not None:
        check_option("kind", kind, ROSTER_KINDS)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such roster file.")
    where = str(path)
    if path.suffix.lower() in (".xlsx", ".xls", ".ods"):
        raise ValueError(f"{where}: a roster is read as CSV; export it from the platform as CSV (comma or semicolon).")
    header, rows = _rows(_decode(path.read_bytes()), where)
    folded = {}
    for c in header:
        folded.setdefault(_fold(c), c)
    first, last = _find(folded, _MOODLE_FIRST), _find(folded, _MOODLE_LAST)
    idnumber, email = _find(folded, _MOODLE_IDNUMBER), _find(folded, _MOODLE_EMAIL)
    lang_col = _find(folded, _LANG)
    if kind is None:
        if all(c in folded for c in _CANVAS[:2]) and "sis user id" in folded:
            kind = "canvas"
        elif first and last and (idnumber or email):
            kind = "moodle"
        elif _find(folded, _PLAIN_ID) and _find(folded, _PLAIN_NAME):
            kind = "plain"
        else:
            raise ValueError(f"{where}: not a roster the kit knows; expected a Moodle participants export (First "
                             "name, Last name, ID number or Email address), a Canvas gradebook export (Student, ID, "
                             f"SIS User ID, ...) or a plain CSV with id, name, email; the header is {header}.")

    records = []
    for line, cells in rows:
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            raise ValueError(f"{where}: row {line} has {len(cells)} cells but the header {len(header)}; "
                             "a name with the separator in it must be quoted.")
        values = {c: (cells[i].strip() if i < len(cells) else "") for i, c in enumerate(header)}
        if kind == "canvas":
            who = values[folded["student"]]
            if who in ("Points Possible", "") or who.startswith("Points Possible") or who == "Student, Test":
                continue
            if any("Manual Posting" in v or v == "Muted" for v in values.values()) and not values[folded["id"]]:
                continue
            sid = values[folded["id"]]
            surname, _, given = who.partition(",")
            name = f"{given.strip()} {surname.strip()}".strip() if given else who
            mail = values.get(folded.get("sis login id", ""), "")
            mail = mail if "@" in mail else ""
            id_column = folded["id"]
        elif kind == "moodle":
            if not (first and last):
                raise ValueError(f"{where}: a Moodle roster needs 'First name' and 'Last name' columns.")
            name = f"{values[first]} {values[last]}".strip()
            mail = values[email] if email else ""
            use_idnumber = idnumber is not None and all(
                (c[header.index(idnumber)].strip() if header.index(idnumber) < len(c) else "") for _, c in rows)
            id_column = idnumber if use_idnumber else email
            if id_column is None:
                raise ValueError(f"{where}: a Moodle roster needs an 'ID number' or 'Email address' column to "
                                 "identify students.")
            sid = values[id_column]
        else:
            id_column = _find(folded, _PLAIN_ID)
            name_col = _find(folded, _PLAIN_NAME)
            if id_column is None or name_col is None:
                raise ValueError(f"{where}: a plain roster needs the columns id and name (and email); "
                                 f"the header is {header}.")
            sid, name = values[id_column], values[name_col]
            mail_col = _find(folded, _PLAIN_EMAIL)
            mail = values[mail_col] if mail_col else ""
        if not sid:
            raise ValueError(f"{where}: row {line} has no {id_column!r}; every student needs one.")
        if not _ID_OK.match(sid):
            raise ValueError(f"{where}: row {line}: {id_column} {sid!r} cannot name a file; use letters, digits and "
                             ". _ @ + - only.")
        lang = values[lang_col].lower() if lang_col else ""
        if lang and not _LANG_OK.match(lang):
            raise ValueError(f"{where}: row {line}: language {values[lang_col]!r} is not a two-letter code such as "
                             "'en' or 'es'.")
        records.append(Student(sid, name, mail, lang, line, values))
    seen: dict[str, int] = {}
    for s in records:
        if s.id in seen:
            raise ValueError(f"{where}: row {s.row} repeats the id {s.id!r} of row {seen[s.id]}.")
        seen[s.id] = s.row
    if not records:
        raise ValueError(f"{where}: the roster has a header but no students.")
    return Roster(kind, tuple(records), id_column, tuple(header), where)
