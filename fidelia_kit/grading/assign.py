"""Release an exercise: every student's own world and notebook, in a folder and a zip each.

:func:`assign` writes, for each student of a roster, ``OUT/<id>/`` holding the student notebook
in the student's language with their parameters injected (``data_dir``, ``student_id``,
``seed``; papermill, prepare only) and their world in ``data/``, and ``OUT/<id>.zip`` with the
same files. A student's seed comes from the course's salt, the exercise and their id
(:func:`fidelia_kit.grading.student_seed`), so it cannot be guessed from a classmate's. The
release holds nothing of the instructor's folder: no key, no solution, no other student's data.
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .._results import Result
from .key import Key, load_key, student_parameters, student_seed, student_world
from .roster import Roster, read_roster

if TYPE_CHECKING:
    from .._typing import PathLike

__all__ = ["Assignment", "find_exercise", "exercise_notebook", "exercise_key", "assign", "EXERCISES_DIR",
           "MANIFEST"]

#: Where exercises live, relative to a course checkout.
EXERCISES_DIR = Path("course") / "exercises"

#: The instructor-side record of a release, in its folder (never in a student's zip).
MANIFEST = "assignment.json"


def find_exercise(exercise: PathLike) -> Path:
    """The folder of an exercise given by its path or its name (e.g. ``01_customer_database``).

    A name is looked up in ``course/exercises/`` of the current folder, then of the kit's checkout.

    Parameters
    ----------
    exercise : str or Path

    Returns
    -------
    Path

    Raises
    ------
    FileNotFoundError
        No such exercise, naming where it was looked for.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     (Path(d) / "instructor").mkdir()
    ...     _ = (Path(d) / "instructor" / "key.py").write_text("")
    ...     find_exercise(d) == Path(d)
    True
    """
    path = Path(exercise)
    if (path / "instructor").is_dir():
        return path
    tried = []
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = root / EXERCISES_DIR / path.name
        tried.append(str(candidate))
        if (candidate / "instructor").is_dir():
            return candidate
    raise FileNotFoundError(f"exercise {str(exercise)!r}: no such exercise folder (looked in {', '.join(tried)}; "
                            "an exercise folder holds exercise.<lang>.ipynb and instructor/key.py).")


def exercise_notebook(folder: PathLike, lang: str) -> Path:
    """The student notebook of an exercise in a language: ``exercise.<lang>.ipynb``.

    Parameters
    ----------
    folder : str or Path
        The exercise's folder.
    lang : str
        A two-letter language code.

    Returns
    -------
    Path

    Raises
    ------
    ValueError
        The exercise has no notebook in that language (naming the ones it has).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "exercise.es.ipynb").write_text("{}")
    ...     exercise_notebook(d, "es").name
    'exercise.es.ipynb'
    """
    folder = Path(folder)
    path = folder / f"exercise.{lang}.ipynb"
    if not path.is_file():
        have = sorted(p.name.split(".")[1] for p in folder.glob("exercise.*.ipynb"))
        raise ValueError(f"{folder.name}: no notebook in language {lang!r}; it has {', '.join(have) or 'none'}.")
    return path


def exercise_key(folder: PathLike, *, customers: int | None = None) -> Key:
    """An exercise's key, with the size of the students' worlds changed when ``customers`` is given.

    Parameters
    ----------
    folder : str or Path
        The exercise's folder.
    customers : int, optional
        Customers per student world (default: the key's).

    Returns
    -------
    Key

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     (Path(d) / "instructor").mkdir()
    ...     _ = (Path(d) / "instructor" / "key.py").write_text(
    ...         "from fidelia_kit.grading import Key, Question\\n"
    ...         "KEY = Key('demo', (Question('q1', 1, 'number'),), lambda world: {'q1': 1})\\n")
    ...     exercise_key(d, customers=400).world["n_customers"]
    400
    """
    from .._validation import check_int

    key = load_key(folder)
    if customers is not None:
        check_int("customers", customers, 50, 1_000_000)
        key = dataclasses.replace(key, world={**dict(key.world), "n_customers": int(customers)})
    return key


def _clear(nb) -> None:
    """Strip a notebook's outputs in place, give every cell the tags papermill reads, force the python3 kernel."""
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.setdefault("language_info", {})["name"] = "python"
    nb.metadata.setdefault("papermill", {})


@dataclass(frozen=True, repr=False)
class Assignment(Result):
    """What :func:`assign` wrote.

    Attributes
    ----------
    exercise : str
    out_dir : str
    students : tuple of str
        The students' ids, in the roster's order.
    zips : tuple of str
        One zip per student.

    Examples
    --------
    >>> Assignment("00_demo", "release", ("s1",), ("release/s1.zip",)).students
    ('s1',)
    """

    exercise: str
    out_dir: str
    students: tuple
    zips: tuple


def _write_zip(folder: Path, target: Path, inside: str) -> None:
    part = target.with_name(f".{target.name}.part")
    with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, f"{inside}/{path.relative_to(folder).as_posix()}")
    os.replace(part, target)


def assign(exercise: PathLike, roster: PathLike | Roster, out_dir: PathLike, *, salt: str = "",
           customers: int | None = None, lang: str = "en", progress: bool = False) -> Assignment:
    """Release an exercise to every student of a roster: their world, their notebook, a zip each.

    Parameters
    ----------
    exercise : str or Path
        The exercise's folder or name (see :func:`find_exercise`).
    roster : str, Path or Roster
        The class roster (:func:`fidelia_kit.grading.read_roster`).
    out_dir : str or Path
        The release folder: ``<id>/`` and ``<id>.zip`` per student, and ``assignment.json``
        (the exercise, its key's version, the world's knobs, the students; never the salt).
        A student folder that exists already is refused.
    salt : str, default=""
        The course's secret: keep it, ``fidelia grade`` needs the same one.
    customers : int, optional
        Customers per student world (default: the key's).
    lang : str, default="en"
        Language of the notebook for students whose roster row names none.
    progress : bool, default=False
        Show a progress bar.

    Returns
    -------
    Assignment

    Raises
    ------
    FileNotFoundError
        No such exercise or roster.
    FileExistsError
        A student's folder or zip exists in ``out_dir``.
    ValueError
        A student's language has no notebook in this exercise (naming the roster row).

    Examples
    --------
    >>> import tempfile
    >>> demo = Path(__file__).resolve().parents[2] / "tests" / "data" / "exercises" / "00_demo"
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "class.csv").write_text("id,name\\ns1,Ana\\n")
    ...     a = assign(demo, Path(d) / "class.csv", Path(d) / "release", salt="x", customers=100)
    ...     sorted(p.name for p in (Path(d) / "release" / "s1").iterdir())
    ['00_demo.ipynb', 'data']
    """
    import nbformat
    from papermill.parameterize import parameterize_notebook

    from .._validation import check_option

    folder = find_exercise(exercise)
    name = folder.resolve().name
    key = exercise_key(folder, customers=customers)
    roster = roster if isinstance(roster, Roster) else read_roster(roster)
    if not isinstance(salt, str):
        raise TypeError(f"assign(): salt must be text; got {type(salt).__name__}.")
    langs = sorted(p.name.split(".")[1] for p in folder.glob("exercise.*.ipynb"))
    check_option("lang", lang, langs)
    for s in roster.students:
        if s.lang and s.lang not in langs:
            raise ValueError(f"{roster.source}: row {s.row}: language {s.lang!r} has no notebook in {name}; "
                             f"it has {', '.join(langs)}.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clash = [s.id for s in roster.students if (out / s.id).exists() or (out / f"{s.id}.zip").exists()]
    if clash:
        raise FileExistsError(f"{out}: already holds the release of {', '.join(clash[:5])}"
                              f"{' ...' if len(clash) > 5 else ''}; give another --out or remove them.")
    students = roster.students
    if progress:
        from tqdm.auto import tqdm
        students = tqdm(students, desc=f"assign {name}", unit="student")
    zips = []
    for s in students:
        seed = student_seed(salt, name, s.id)
        nb = nbformat.read(exercise_notebook(folder, s.lang or lang), as_version=4)
        _clear(nb)
        nb = parameterize_notebook(nb, student_parameters(key, data_dir="data", student_id=s.id, seed=seed),
                                   kernel_name="python3", language="python")
        with tempfile.TemporaryDirectory(dir=out, prefix=f".{s.id}-") as tmp:
            stage = Path(tmp) / s.id
            student_world(key, seed).save(stage / "data")
            nbformat.write(nb, stage / f"{name}.ipynb")
            _write_zip(stage, out / f"{s.id}.zip", f"{name}_{s.id}")
            os.replace(stage, out / s.id)
        zips.append(str(out / f"{s.id}.zip"))
    manifest = {"exercise": name, "key_version": key.version, "world": dict(key.world),
                "students": [s.id for s in roster.students], "roster": str(roster.source)}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return Assignment(name, str(out), tuple(s.id for s in roster.students), tuple(zips))
