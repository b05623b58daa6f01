"""Answer keys: what each question expects, how many points it is worth, how an answer is scored.

An exercise's key lives beside its student notebook, in the instructor-only folder
(``course/exercises/NN_topic/instructor/key.py``), and defines ``KEY``, a :class:`Key`: the
questions (:class:`Question`: points, kind, tolerance, accepted alternatives, partial credit) and
a function that computes every expected answer from the student's own world. :func:`score`
compares a student's answers (:func:`fidelia_kit.grading.read_answers`) with them.

Scoring rules, per kind of question:

- ``"number"``: full points when ``|given - expected| <= atol + rtol * |expected|`` (numpy's
  ``isclose`` rule); ``partial=(factor, share)`` gives ``share`` of the points within ``factor``
  times that tolerance.
- ``"choice"``: full points when the text equals the expected one or an accepted alternative,
  ignoring case, accents and spacing; the Spanish words of :data:`CHOICE_WORDS` count as their
  English ones. The key may expect several equally right choices (a tie).
- ``"table"``: cells matched by row and column label (numbers within the tolerance, text as a
  choice); with ``per_cell=True`` the points are shared out by the share of right cells, else all
  cells must be right.
- ``"bool"``: True/False (or yes/no, si/no, as text).
- ``"text"``: free text, never scored automatically; collected for the instructor, whose points
  are merged in later.
"""
from __future__ import annotations

import hashlib
import importlib.util
import math
import numbers
import sys
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._results import Result
from .answers import answer_value

if TYPE_CHECKING:
    import pandas as pd

    from .._typing import PathLike
    from ..dataset import World

__all__ = ["KINDS", "CHOICE_WORDS", "direction", "Question", "Key", "QuestionScore", "Score", "load_key", "score", "student_seed", "student_world",
           "student_parameters", "KEY_FILE", "STUDENT_PARAMETERS"]

#: The kinds of question the grader knows.
KINDS = ("number", "choice", "table", "bool", "text")

#: Where an exercise's key lives, relative to its folder.
KEY_FILE = Path("instructor") / "key.py"

#: The parameters every exercise notebook declares, which the kit sets for each student.
STUDENT_PARAMETERS = ("data_dir", "student_id", "seed")


#: Spanish words (lower case, without accents) accepted for the English words of choice answers, so
#: a student working in the Spanish notebook may answer in Spanish. Keys state choices in English.
CHOICE_WORDS = {
    "higher": ("mayor", "mas alto", "mas alta", "sube", "aumenta"),
    "lower": ("menor", "mas bajo", "mas baja", "baja", "disminuye"),
    "same": ("igual", "el mismo", "la misma", "lo mismo", "no cambia"),
    "wider": ("mas ancho", "mas ancha", "mas amplio", "mas amplia"),
    "narrower": ("mas estrecho", "mas estrecha"),
    "positive": ("positivo", "positiva"),
    "negative": ("negativo", "negativa"),
    "inconclusive": ("no concluyente", "indistinguible de cero"),
    "about the same": ("mas o menos igual", "aproximadamente igual", "casi igual"),
    "about twice": ("el doble", "aproximadamente el doble", "unas dos veces"),
    "about four times": ("cuatro veces", "unas cuatro veces", "aproximadamente cuatro veces"),
    "less than twice": ("menos del doble", "menos de el doble"),
    "more than twice": ("mas del doble", "mas de el doble"),
    "model": ("modelo", "el modelo"),
    "recency": ("recencia", "la recencia"),
    "history": ("historial", "historia", "el historial"),
    "yes": ("si",),
    "no": (),
}


def direction(before: float, after: float, *, rtol: float = 1e-9) -> str:
    """``"higher"``, ``"lower"`` or ``"same"``: how ``after`` compares with ``before``.

    The expected answer of a "predict, then run" question; ``rtol`` is the relative change below
    which the two count as the same.

    Parameters
    ----------
    before, after : float
    rtol : float, default=1e-9

    Returns
    -------
    str

    Examples
    --------
    >>> direction(10.0, 12.5), direction(10.0, 9.0), direction(10.0, 10.0 + 1e-12)
    ('higher', 'lower', 'same')
    """
    before, after = float(before), float(after)
    if abs(after - before) <= rtol * max(abs(before), abs(after)):
        return "same"
    return "higher" if after > before else "lower"


@dataclass(frozen=True)
class Question:
    """One question of an exercise: its points, its kind and how an answer is scored.

    Parameters
    ----------
    id : str
        The id the student notebook uses in ``answer(id, ...)``, e.g. ``"q3"``.
    points : float
        Points for a right answer (free text: the most the instructor may give).
    kind : {"number", "choice", "table", "bool", "text"}
    atol, rtol : float, default=0
        Absolute and relative tolerance of a number or of a table's numeric cells.
    accept : tuple, default=()
        Alternatives also worth full points (e.g. a percentage for a share, or a synonym of a
        choice).
    partial : tuple of (factor, share), optional
        A number (or an all-or-nothing table) within ``factor`` times the tolerance earns
        ``share`` of the points, e.g. ``(5, 0.5)``.
    per_cell : bool, default=False
        A table earns the share of its cells that are right.
    text : str, default=""
        A short statement of the question, for feedback pages.

    Examples
    --------
    >>> Question("q1", points=2, kind="number", rtol=0.01, partial=(5, 0.5))
    Question(id='q1', points=2, kind='number', atol=0.0, rtol=0.01, accept=(), partial=(5, 0.5), per_cell=False, text='')
    """

    id: str
    points: float
    kind: str
    atol: float = 0.0
    rtol: float = 0.0
    accept: tuple = ()
    partial: tuple | None = None
    per_cell: bool = False
    text: str = ""

    def __post_init__(self):
        where = f"Question {self.id!r}"
        if not isinstance(self.id, str) or not self.id:
            raise ValueError(f"Question: id must be non-empty text; got {self.id!r}.")
        if self.kind not in KINDS:
            raise ValueError(f"{where}: kind must be one of {', '.join(KINDS)}; got {self.kind!r}.")
        for name in ("points", "atol", "rtol"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v < 0:
                raise ValueError(f"{where}: {name} must be a number >= 0; got {v!r}.")
        if self.partial is not None:
            ok = (isinstance(self.partial, tuple) and len(self.partial) == 2
                  and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in self.partial)
                  and self.partial[0] > 1 and 0 < self.partial[1] < 1)
            if not ok:
                raise ValueError(f"{where}: partial must be (factor > 1, share between 0 and 1), e.g. (5, 0.5); "
                                 f"got {self.partial!r}.")
        if not isinstance(self.accept, tuple):
            raise ValueError(f"{where}: accept must be a tuple of alternatives; got {type(self.accept).__name__}.")


@dataclass(frozen=True)
class Key:
    """An exercise's answer key.

    Parameters
    ----------
    exercise : str
        The exercise's folder name, e.g. ``"03_value_segmentation"``.
    questions : tuple of Question
    expected : callable
        ``expected(world) -> dict``: question id -> the expected answer, computed from the
        student's own world (a :class:`fidelia_kit.World`). Free-text questions may be left
        out; every other question must be there. A choice may be a tuple of equally right
        answers.
    world : mapping, default={"n_customers": 2000}
        Knobs of :class:`fidelia_kit.synth.WorldConfig` for the students' worlds (the seed comes
        from :func:`student_seed`), small enough that forty worlds stay small.
    parameters : mapping, default={}
        Further parameters injected into the student notebook besides ``data_dir``,
        ``student_id`` and ``seed``.
    version : str, default="1"
        Change it when the key changes, so that graded submissions are graded again.

    Examples
    --------
    >>> key = Key("00_demo", (Question("q1", 1, "number", atol=0.5),), lambda world: {"q1": 3})
    >>> key.points, key.question("q1").kind
    (1.0, 'number')
    """

    exercise: str
    questions: tuple
    expected: Callable[[World], dict]
    world: Mapping[str, Any] = field(default_factory=lambda: {"n_customers": 2000})
    parameters: Mapping[str, Any] = field(default_factory=dict)
    version: str = "1"

    def __post_init__(self):
        if not isinstance(self.questions, tuple) or not self.questions or not all(
                isinstance(q, Question) for q in self.questions):
            raise ValueError(f"Key {self.exercise!r}: questions must be a non-empty tuple of Question.")
        ids = [q.id for q in self.questions]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"Key {self.exercise!r}: question ids must be unique; repeated: {', '.join(dup)}.")
        if not callable(self.expected):
            raise ValueError(f"Key {self.exercise!r}: expected must be a function of the world.")

    @property
    def points(self) -> float:
        """Total points of the exercise, free text included."""
        return float(sum(q.points for q in self.questions))

    def question(self, question_id: str) -> Question:
        """The question with that id (KeyError naming the ids if there is none)."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(f"{self.exercise}: no question {question_id!r}; the questions are "
                       f"{', '.join(q.id for q in self.questions)}.")

    def answers_for(self, world: World) -> dict:
        """``expected(world)``, checked: every question that is not free text has an answer.

        Raises
        ------
        ValueError
            The key misses a question or names one that does not exist.
        """
        out = dict(self.expected(world))
        ids = {q.id for q in self.questions}
        unknown = sorted(set(out) - ids)
        missing = sorted(q.id for q in self.questions if q.kind != "text" and q.id not in out)
        if unknown or missing:
            raise ValueError(f"Key {self.exercise!r}: expected() must give every question that is not free text"
                             + (f"; missing: {', '.join(missing)}" if missing else "")
                             + (f"; unknown: {', '.join(unknown)}" if unknown else "") + ".")
        return out


def load_key(exercise_dir: PathLike) -> Key:
    """Import an exercise's key (``instructor/key.py``, which defines ``KEY``).

    Parameters
    ----------
    exercise_dir : str or Path
        The exercise's folder.

    Returns
    -------
    Key

    Raises
    ------
    FileNotFoundError
        The folder has no ``instructor/key.py``.
    ValueError
        The file defines no ``KEY`` of type :class:`Key`.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     (Path(d) / "instructor").mkdir()
    ...     _ = (Path(d) / "instructor" / "key.py").write_text(
    ...         "from fidelia_kit.grading import Key, Question\\n"
    ...         "KEY = Key('demo', (Question('q1', 1, 'number'),), lambda world: {'q1': 1})\\n")
    ...     load_key(d).exercise
    'demo'
    """
    path = Path(exercise_dir) / KEY_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no answer key (an exercise keeps it in {KEY_FILE}).")
    name = "_fidelia_key_" + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    key = getattr(module, "KEY", None)
    if not isinstance(key, Key):
        raise ValueError(f"{path}: must define KEY = Key(...); found {type(key).__name__}.")
    return key


def student_seed(salt: str, exercise: str, student_id: str) -> int:
    """The seed of a student's world: a hash of the course's salt, the exercise and the student id.

    Without the salt, a classmate's seed cannot be guessed from one's own.

    Parameters
    ----------
    salt : str
        The course's secret.
    exercise : str
        The exercise's folder name.
    student_id : str

    Returns
    -------
    int
        In ``[0, 2**31)``.

    Examples
    --------
    >>> student_seed("s3cret", "01_customer_database", "ana") == student_seed("s3cret", "01_customer_database", "ana")
    True
    >>> student_seed("s3cret", "01_customer_database", "ana") != student_seed("s3cret", "01_customer_database", "ben")
    True
    """
    for name, v in (("salt", salt), ("exercise", exercise), ("student_id", student_id)):
        if not isinstance(v, str) or (name != "salt" and not v):
            raise ValueError(f"student_seed(): {name} must be non-empty text; got {v!r}.")
    digest = hashlib.sha256("\x1f".join((salt, exercise, student_id)).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def student_world(key: Key, seed: int) -> World:
    """Generate a student's world: the key's knobs with the student's seed.

    The grader calls it again from the seed, so it never reads the copy the student was given.

    Parameters
    ----------
    key : Key
    seed : int
        From :func:`student_seed`.

    Returns
    -------
    World

    Examples
    --------
    >>> key = Key("demo", (Question("q1", 1, "number"),), lambda world: {}, world={"n_customers": 500})
    >>> student_world(key, 7).customers.shape[0]
    500
    """
    from ..synth import generate_world

    knobs = dict(key.world)
    if "seed" in knobs:
        raise ValueError(f"Key {key.exercise!r}: world must not set the seed; each student's comes from student_seed().")
    return generate_world(seed=int(seed), **knobs)


def student_parameters(key: Key, *, data_dir: str, student_id: str, seed: int) -> dict:
    """The parameters injected into a student's notebook: :data:`STUDENT_PARAMETERS` and the key's own.

    Parameters
    ----------
    key : Key
    data_dir : str
        The student's world, as the notebook should read it (relative to the notebook).
    student_id : str
    seed : int

    Returns
    -------
    dict

    Examples
    --------
    >>> key = Key("demo", (Question("q1", 1, "number"),), lambda world: {}, parameters={"k": 4})
    >>> student_parameters(key, data_dir="data", student_id="s1", seed=3)
    {'data_dir': 'data', 'student_id': 's1', 'seed': 3, 'k': 4}
    """
    clash = sorted(set(key.parameters) & set(STUDENT_PARAMETERS))
    if clash:
        raise ValueError(f"Key {key.exercise!r}: parameters must not set {', '.join(clash)}; the kit sets them per student.")
    return {"data_dir": str(data_dir), "student_id": str(student_id), "seed": int(seed), **dict(key.parameters)}


# -- scoring -------------------------------------------------------------------------------------------------------

def _norm(text: Any) -> str:
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(s.casefold().replace("_", " ").replace("-", " ").split())


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, numbers.Real):
        return float(v) if math.isfinite(float(v)) else None
    if isinstance(v, str):
        try:
            x = float(v.strip().replace(",", ".").rstrip("%"))
        except ValueError:
            return None
        return x if math.isfinite(x) else None
    return None


def _bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        n = _norm(v)
        if n in ("true", "yes", "si", "verdadero", "1"):
            return True
        if n in ("false", "no", "falso", "0"):
            return False
    if isinstance(v, numbers.Real) and v in (0, 1):
        return bool(v)
    return None


def _within(given: float, expected: float, q: Question, factor: float = 1.0) -> bool:
    return abs(given - expected) <= factor * (q.atol + q.rtol * abs(expected))


def _number_credit(given: Any, expected: Any, q: Question) -> float:
    g = _number(given)
    if g is None:
        return 0.0
    targets = [expected, *q.accept] if not isinstance(expected, tuple) else [*expected, *q.accept]
    targets = [t for t in (_number(t) for t in targets) if t is not None]
    if any(_within(g, t, q) for t in targets):
        return 1.0
    if q.partial and any(_within(g, t, q, q.partial[0]) for t in targets):
        return float(q.partial[1])
    return 0.0


def _choice_credit(given: Any, expected: Any, q: Question) -> float:
    if given is None:
        return 0.0
    options = (tuple(expected) if isinstance(expected, (tuple, list, set, frozenset)) else (expected,)) + tuple(q.accept)
    accepted = {_norm(o) for o in options}
    accepted |= {_norm(w) for o in list(accepted) for w in CHOICE_WORDS.get(o, ())}
    return 1.0 if _norm(given) in accepted else 0.0


def _table_frame(value: Any) -> pd.DataFrame | None:
    import pandas as pd

    if isinstance(value, dict) and {"index", "columns", "data"} <= set(value):
        try:
            return pd.DataFrame(value["data"], index=[str(i) for i in value["index"]],
                                columns=[str(c) for c in value["columns"]])
        except (ValueError, TypeError):
            return None
    if isinstance(value, (pd.DataFrame, pd.Series, list, tuple)):
        return _table_frame(answer_value(value)["value"])
    return None


def _cell_right(given: Any, expected: Any, q: Question, factor: float = 1.0) -> bool:
    e = _number(expected) if not isinstance(expected, str) else None
    if e is not None:
        g = _number(given)
        return g is not None and _within(g, e, q, factor)
    if expected is None:
        return given is None
    return given is not None and _norm(given) == _norm(expected)


def _table_credit(given: Any, expected: Any, q: Question) -> float:
    want, got = _table_frame(expected), _table_frame(given)
    if want is None:
        raise ValueError(f"Question {q.id!r}: the key's expected table must be a DataFrame or Series.")
    if got is None or want.size == 0:
        return 0.0
    # a one-column answer matches a one-column key whatever the column's name
    if want.shape[1] == 1 and got.shape[1] == 1:
        got = got.set_axis(want.columns, axis=1)

    def share(factor):
        right = 0
        for r in want.index:
            for c in want.columns:
                if r in got.index and c in got.columns:
                    cell = got.loc[r, c]
                    if isinstance(cell, (Sequence,)) and not isinstance(cell, str):
                        continue  # duplicated labels: ambiguous, not right
                    right += _cell_right(None if _isna(cell) else cell, want.loc[r, c], q, factor)
        return right / want.size

    exact = share(1.0)
    if q.per_cell:
        return exact
    if exact == 1.0:
        return 1.0
    if q.partial and share(q.partial[0]) == 1.0:
        return float(q.partial[1])
    return 0.0


def _isna(v: Any) -> bool:
    try:
        return v is None or (isinstance(v, float) and math.isnan(v))
    except TypeError:
        return False


@dataclass(frozen=True, repr=False)
class QuestionScore(Result):
    """How one answer scored.

    Attributes
    ----------
    question : str
    kind : str
    points : float
        Points earned (``nan`` for free text, which the instructor scores).
    possible : float
    status : str
        ``"right"``, ``"partial"``, ``"wrong"``, ``"missing"`` (no answer given) or
        ``"manual"`` (free text).
    given, expected : object
        The answer as given (JSON form) and as the key expects it.

    Examples
    --------
    >>> key = Key("demo", (Question("q1", 1, "number", atol=0.5),), lambda world: {})
    >>> score(key, {"q1": 3.0}, {"q1": 3.4}).questions[0]
    QuestionScore(question='q1', kind='number', points=1, possible=1, status='right', given=3.4, expected=3)
    """

    question: str
    kind: str
    points: float
    possible: float
    status: str
    given: Any
    expected: Any


@dataclass(frozen=True, repr=False)
class Score(Result):
    """A submission's score: one :class:`QuestionScore` per question.

    Attributes
    ----------
    exercise : str
    points : float
        Points earned automatically (free text not included).
    possible : float
        Points of every question, free text included.
    questions : tuple of QuestionScore

    Examples
    --------
    >>> key = Key("demo", (Question("q1", 2, "number"), Question("q2", 1, "choice")), lambda world: {})
    >>> s = score(key, {"q1": 3.0, "q2": "loyal"}, {"q1": 3.0})
    >>> s.points, s.possible
    (2.0, 3.0)
    >>> s.to_frame()[["question", "points", "status"]]
      question  points   status
    0       q1     2.0    right
    1       q2     0.0  missing
    """

    exercise: str
    points: float
    possible: float
    questions: tuple

    def to_frame(self) -> pd.DataFrame:
        """One row per question: question, kind, points, possible, status, given, expected."""
        import pandas as pd

        return pd.DataFrame([{f: getattr(s, f) for f in ("question", "kind", "points", "possible", "status",
                                                           "given", "expected")} for s in self.questions])


def _json_expected(value: Any) -> Any:
    import pandas as pd

    if isinstance(value, (pd.DataFrame, pd.Series)):
        return answer_value(value)["value"]
    if isinstance(value, tuple):
        return [_json_expected(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, TypeError):
            return value
    return value


def score(key: Key, expected: Mapping[str, Any], answers: Mapping[str, Any]) -> Score:
    """Score a submission's answers against the key's expected answers.

    Parameters
    ----------
    key : Key
    expected : mapping
        question id -> expected answer (``key.answers_for(world)``).
    answers : mapping
        question id -> the answer given: the JSON form :func:`read_answers` returns
        (``{"type", "value"}``), or a plain value.

    Returns
    -------
    Score

    Examples
    --------
    >>> key = Key("demo", (Question("q1", 2, "number", rtol=0.01, partial=(5, 0.5)),
    ...                    Question("q2", 1, "choice"), Question("q3", 1, "text")), lambda world: {})
    >>> s = score(key, {"q1": 100.0, "q2": "Loyal"}, {"q1": 103.0, "q2": " loyal "})
    >>> s.points, s.possible, [q.status for q in s.questions]
    (2.0, 4.0, ['partial', 'right', 'missing'])
    """
    rows = []
    for q in key.questions:
        given = answers.get(q.id)
        if isinstance(given, dict) and set(given) == {"type", "value"}:
            given = given["value"]
        want = expected.get(q.id)
        if q.kind == "text":
            status = "manual" if isinstance(given, str) and given.strip() else "missing"
            rows.append(QuestionScore(q.id, q.kind, float("nan") if status == "manual" else 0.0, float(q.points),
                                      status, given, None))
            continue
        if given is None:
            rows.append(QuestionScore(q.id, q.kind, 0.0, float(q.points), "missing", None, _json_expected(want)))
            continue
        if q.kind == "number":
            credit = _number_credit(given, want, q)
        elif q.kind == "choice":
            credit = _choice_credit(given, want, q)
        elif q.kind == "bool":
            credit = float(_bool(given) is not None and _bool(given) == _bool(want))
        else:
            credit = _table_credit(given, want, q)
        status = "right" if credit == 1.0 else "wrong" if credit == 0.0 else "partial"
        rows.append(QuestionScore(q.id, q.kind, round(credit * q.points, 6), float(q.points), status, given,
                                  _json_expected(want)))
    earned = float(sum(r.points for r in rows if not math.isnan(r.points)))
    return Score(key.exercise, earned, key.points, tuple(rows))
