"""A student's answers, recorded in the running notebook and read back from the executed one.

:func:`answer` works like :func:`fidelia_kit.record`, with a MIME type of its own
(:data:`ANSWER_MIME`), so the results a notebook records and the answers a student gives never
mix. The grader strips every stored output before it executes a submission, so only answers
given during that execution count (forged outputs are never read).
"""
from __future__ import annotations

import json
import math
import numbers
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._typing import PathLike

__all__ = ["ANSWER_MIME", "answer", "read_answers", "answer_value", "MAX_TABLE_CELLS", "MAX_TEXT_CHARS"]

#: The MIME type of an answer in a notebook's outputs.
ANSWER_MIME = "application/vnd.fidelia.answer+json"

#: Largest table an answer may hold (rows x columns): answers are small by design.
MAX_TABLE_CELLS = 10_000

#: Longest free-text answer kept, in characters.
MAX_TEXT_CHARS = 20_000

_QUESTION_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


def _check_id(question_id: Any) -> str:
    if not isinstance(question_id, str) or not _QUESTION_ID.match(question_id):
        raise ValueError(f"answer(): the question id must be text such as 'q1' or 'q2b' (a letter, then letters, "
                         f"digits, '_', '.' or '-'); got {question_id!r}.")
    return question_id


def _cell(value: Any, question_id: str) -> Any:
    import numpy as np

    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        v = float(value)
        return v if math.isfinite(v) else None
    if hasattr(value, "isoformat"):  # dates and timestamps
        return value.isoformat()
    try:
        import pandas as pd
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def answer_value(value: Any, *, question_id: str = "q") -> dict:
    """The JSON form of an answer: ``{"type": ..., "value": ...}``.

    Parameters
    ----------
    value : number, bool, str, pandas Series or DataFrame, list or tuple of numbers/text
        A number (``type`` ``"number"``), text (a choice or free text, ``"text"``), a boolean
        (``"bool"``), or a small table (``"table"``, stored as pandas' ``orient="split"``
        with index and column labels as text). A list or tuple becomes a one-column table.
    question_id : str, default="q"
        Named in error messages.

    Returns
    -------
    dict

    Raises
    ------
    TypeError
        A value of another kind (a model, a figure, a dict, ...).
    ValueError
        A table larger than :data:`MAX_TABLE_CELLS` cells.

    Examples
    --------
    >>> answer_value(3)
    {'type': 'number', 'value': 3.0}
    >>> answer_value(pd.Series({"a": 1.5, "b": 2}))["value"]
    {'index': ['a', 'b'], 'columns': ['value'], 'data': [[1.5], [2.0]]}
    """
    import numpy as np
    import pandas as pd

    if isinstance(value, (bool, np.bool_)):
        return {"type": "bool", "value": bool(value)}
    if isinstance(value, numbers.Real):
        v = float(value)
        return {"type": "number", "value": v if math.isfinite(v) else None}
    if isinstance(value, str):
        return {"type": "text", "value": value[:MAX_TEXT_CHARS]}
    if isinstance(value, (list, tuple, np.ndarray)):
        value = pd.Series(list(value), name="value")
    if isinstance(value, pd.Series):
        value = value.to_frame(name=value.name if value.name is not None else "value")
    if isinstance(value, pd.DataFrame):
        if value.size > MAX_TABLE_CELLS:
            raise ValueError(f"answer({question_id!r}, ...): a table of {value.shape[0]} x {value.shape[1]} cells is "
                             f"too large to be an answer (at most {MAX_TABLE_CELLS:,} cells); answer the rows asked.")
        data = [[_cell(v, question_id) for v in row] for row in value.itertuples(index=False, name=None)]
        return {"type": "table", "value": {"index": [str(i) for i in value.index],
                                           "columns": [str(c) for c in value.columns], "data": data}}
    raise TypeError(f"answer({question_id!r}, ...): a {type(value).__name__} cannot be an answer; give a number, "
                    "text (a choice or free text), True/False, or a small table (a pandas Series or DataFrame).")


def answer(question_id: str, value: Any) -> None:
    """Record the answer to a question in the running notebook, for the grader.

    Parameters
    ----------
    question_id : str
        The question's id as the exercise names it, e.g. ``"q3"``. A later answer to the same
        question replaces an earlier one.
    value : number, bool, str, pandas Series or DataFrame, or None
        The answer: a number, a choice (e.g. a segment's name), free text, or a small table.
        ``None`` records nothing (the question stays unanswered), so a blank exercise with
        ``q1 = None`` placeholders runs to its end.

    Returns
    -------
    None
        Nothing, so a cell ending in ``answer(...)`` shows the answer once: inside a notebook it
        is shown as ``answer q3: ...``, with the answer's own MIME type (:data:`ANSWER_MIME`).

    Raises
    ------
    ValueError
        ``question_id`` is not a question id, or a table is too large.
    TypeError
        A value that cannot be an answer.

    See Also
    --------
    read_answers : every answer given in an executed notebook.
    fidelia_kit.record : the same for a notebook's results.

    Examples
    --------
    >>> answer("q1", 42.5)
    >>> answer("q2", "loyal")
    """
    _check_id(question_id)
    if value is None:  # a blank exercise: "q1 = None  # your answer" runs without recording anything
        try:
            from IPython import get_ipython
            if get_ipython() is not None:
                print(f"answer {question_id}: not answered yet")
        except ImportError:  # pragma: no cover
            pass
        return None
    stored = answer_value(value, question_id=question_id)
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython comes with the kit
        shell = None
    if shell is not None:
        from IPython.display import display
        shown = stored["value"]
        if stored["type"] == "number" and shown is not None and float(shown).is_integer():
            shown = int(shown)
        elif stored["type"] == "table":
            shown = f"a table of {len(shown['index'])} rows x {len(shown['columns'])} columns"
        elif stored["type"] == "text" and len(shown) > 80:
            shown = shown[:77] + "..."
        display({ANSWER_MIME: {"question": question_id, **stored}, "text/plain": f"answer {question_id}: {shown}"},
                raw=True)
    return None


def read_answers(notebook: PathLike | Any) -> dict[str, dict]:
    """Every answer given in an executed notebook, by question id (the last answer wins).

    Parameters
    ----------
    notebook : str, Path or nbformat.NotebookNode
        The executed notebook.

    Returns
    -------
    dict
        question id -> ``{"type": ..., "value": ...}`` as :func:`answer_value` stores it.
        Malformed answer outputs are skipped.

    Raises
    ------
    FileNotFoundError
        No such notebook.

    Examples
    --------
    >>> import nbformat
    >>> out = nbformat.v4.new_output("display_data", data={ANSWER_MIME: {"question": "q1", "type": "number", "value": 4.0}})
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=[out])])
    >>> read_answers(nb)
    {'q1': {'type': 'number', 'value': 4.0}}
    """
    import nbformat

    if isinstance(notebook, (str, Path)):
        path = Path(notebook)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such notebook.")
        notebook = nbformat.read(path, as_version=4)
    out: dict[str, dict] = {}
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for o in cell.get("outputs", []):
            if o.get("output_type") not in ("display_data", "execute_result"):
                continue
            item = o.get("data", {}).get(ANSWER_MIME)
            if isinstance(item, str):
                try:
                    item = json.loads(item)
                except ValueError:
                    continue
            if (isinstance(item, dict) and isinstance(item.get("question"), str)
                    and item.get("type") in ("number", "text", "bool", "table") and "value" in item):
                out[item["question"]] = {"type": item["type"], "value": item["value"]}
    return out
