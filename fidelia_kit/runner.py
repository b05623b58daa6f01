"""Run the notebooks: record results inside them, execute them with papermill, report.

``record(name, value)`` in a notebook stores a result as a display output of its own type;
``read_results(path)`` reads every recorded result back from the executed notebook (the
small piece scrapbook used to do, on nbformat). :func:`run_notebooks` executes notebooks in
parallel processes with papermill, writes each executed notebook and its HTML export, an
``index.html`` and a ``results.json``.
"""
from __future__ import annotations

import ast
import datetime as dt
import html
import json
import math
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ._validation import check_int, check_number

__all__ = ["record", "read_results", "check_parameters", "NotebookRun", "run_notebooks", "notebook_parameters",
           "default_notebooks", "parse_value", "RESULT_MIME"]

RESULT_MIME = "application/vnd.fidelia.result+json"


def _jsonable(value, name):
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, str) or value is None:
        return value
    if hasattr(value, "to_dict") and not isinstance(value, dict):
        value = value.to_dict()
    if isinstance(value, dict):
        return {str(k): _jsonable(v, name) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v, name) for v in list(value)]
    raise TypeError(f"record({name!r}, ...): a {type(value).__name__} cannot be recorded; record numbers, text, "
                    "lists or dicts (or a pandas Series).")


def record(name: str, value):
    """Record a result in the running notebook, to be read back by :func:`read_results`.

    The value is stored as JSON (numbers, text, lists, dicts; a pandas Series becomes a
    dict) and shown as ``name = value``. Outside a notebook it is only returned.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"record(): the name must be an identifier such as 'alpha_staff'; got {name!r}.")
    value = _jsonable(value, name)
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython comes with the kit
        shell = None
    if shell is not None:
        from IPython.display import display
        display({RESULT_MIME: {"name": name, "value": value}, "text/plain": f"{name} = {value!r}"}, raw=True)
    return value


def read_results(path) -> dict:
    """Every value recorded with :func:`record` in an executed notebook, by name (last wins)."""
    import nbformat

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such notebook.")
    nb = nbformat.read(path, as_version=4)
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = o.get("data", {}) if o.get("output_type") in ("display_data", "execute_result") else {}
            if RESULT_MIME in data:
                item = data[RESULT_MIME]
                if isinstance(item, str):
                    item = json.loads(item)
                out[item["name"]] = item["value"]
    return out


def check_parameters(**specs):
    """Validate a notebook's parameters: ``name=(value, low, high)`` for numbers (integers when
    both bounds are ints), ``name=(value, options)`` for a choice. Raises with a clear message."""
    for name, spec in specs.items():
        if len(spec) == 2:
            value, options = spec
            if value not in options:
                raise ValueError(f"parameter `{name}` must be one of {list(options)}; got {value!r}.")
        else:
            value, low, high = spec
            try:
                if isinstance(low, int) and isinstance(high, int):
                    check_int(name, value, low, high)
                else:
                    check_number(name, value, low, high)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"parameter {exc}") from None


def notebook_parameters(path) -> dict:
    """The parameters a notebook declares in its cell tagged ``parameters`` (name -> default)."""
    import papermill

    return {name: info["default"] for name, info in papermill.inspect_notebook(str(path)).items()}


def default_notebooks() -> list[Path]:
    """The numbered notebooks of ``notebooks/`` (of the current folder, else of the kit's checkout)."""
    for folder in (Path.cwd() / "notebooks", Path(__file__).resolve().parents[1] / "notebooks"):
        found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
        if found:
            return found
    raise FileNotFoundError("no notebooks found: expected notebooks/NN_topic.ipynb in the current folder.")


def parse_value(text: str):
    """A command-line value as Python: numbers, True/False/None, quoted strings, else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


@dataclass
class NotebookRun:
    """The outcome of one notebook run."""

    notebook: str
    status: str               # "ok" or "failed"
    seconds: float
    output: str               # executed .ipynb
    html: str | None
    results: dict = field(default_factory=dict)
    error: str | None = None  # "cell [N]: Ename: message" on failure (N as in the executed notebook)
    parameters: dict = field(default_factory=dict)


def _execute(notebook: str, output: str, parameters: dict, timeout: float, kernel: str) -> dict:
    """Run one notebook in this (worker) process."""
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    # the kernels' own chatter (transport warnings) would flood the terminal: errors come back as exceptions
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    start = time.perf_counter()
    error = None
    try:
        papermill.execute_notebook(notebook, output, parameters=parameters, kernel_name=kernel,
                                   execution_timeout=timeout, progress_bar=False, cwd=str(Path(notebook).parent),
                                   log_output=False)
    except papermill.PapermillExecutionError as exc:
        last = str(exc.evalue).strip().splitlines()[-1] if str(exc.evalue).strip() else ""
        error = f"cell [{exc.exec_count}]: {exc.ename}: {last}"  # as numbered in the executed notebook
    except Exception as exc:  # kernel died, timeout, unreadable notebook ...
        text = str(exc).strip().splitlines()
        error = f"{type(exc).__name__}: {text[-1] if text else ''}"
    seconds = time.perf_counter() - start
    html_path = None
    if Path(output).is_file():
        try:
            body, _ = HTMLExporter().from_notebook_node(nbformat.read(output, as_version=4))
            html_path = str(Path(output).with_suffix(".html"))
            Path(html_path).write_text(body, encoding="utf-8")
        except Exception as exc:  # an HTML export failure must not hide the run's result
            error = error or f"HTML export failed: {exc}"
    return {"seconds": seconds, "error": error, "html": html_path}


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _share_cores(threads: int) -> None:
    """Worker initializer: the kernels it starts use ``threads`` BLAS/OpenMP threads, unless the user set them.

    Two kernels with a thread per core each on the same cores wait on each other's spinning
    threads: scikit-learn's k-means and distance matrices ran several times slower. OpenMP
    threads that wait also sleep instead of spinning (``OMP_WAIT_POLICY=PASSIVE``): with any
    other process busy, spinning made notebook 03's k-means 3-4 times slower even alone.
    """
    for var in _THREAD_VARS:
        os.environ.setdefault(var, str(threads))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def run_notebooks(notebooks=None, *, parameters: dict | None = None, out_dir="outputs", jobs: int = 1,
                  timeout: float = 600, kernel: str = "python3", progress: bool = True) -> list[NotebookRun]:
    """Execute notebooks with papermill, a process per notebook and at most ``jobs`` at once.

    Parameters
    ----------
    notebooks : list of paths, optional
        Default: every numbered notebook of ``notebooks/``.
    parameters : dict, optional
        Parameter values. Each is passed to the notebooks whose parameters cell declares it;
        a name no selected notebook declares is an error (papermill only warns).
    out_dir : path, default "outputs"
        Gets ``<name>.ipynb`` and ``<name>.html`` per notebook, ``index.html`` and ``results.json``.
    jobs : int, default=1
    timeout : float, default=600
        Seconds one cell may run.

    Returns
    -------
    list of NotebookRun, in the order given. A failing notebook does not stop the others.
    """
    from tqdm.auto import tqdm

    paths = [Path(p) for p in (notebooks if notebooks else default_notebooks())]
    for p in paths:
        if not p.is_file() or p.suffix != ".ipynb":
            raise FileNotFoundError(f"{p}: no such notebook (.ipynb).")
    jobs = check_int("jobs", jobs, 1, 256)
    timeout = check_number("timeout", timeout, 1, 86_400)
    parameters = dict(parameters or {})
    declared = {p: notebook_parameters(p) for p in paths}
    unknown = sorted(n for n in parameters if not any(n in d for d in declared.values()))
    if unknown:
        known = sorted({n for d in declared.values() for n in d})
        raise ValueError(f"unknown parameter(s) {unknown}; the notebooks take {known}.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs = {}
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    threads = max(1, cores // min(jobs, len(paths)))
    with ProcessPoolExecutor(max_workers=jobs, initializer=_share_cores, initargs=(threads,)) as pool:
        futures = {}
        for p in paths:
            own = {k: v for k, v in parameters.items() if k in declared[p]}
            target = out / p.name
            futures[pool.submit(_execute, str(p.resolve()), str(target.resolve()), own, timeout, kernel)] = (p, own, target)
        bar = tqdm(total=len(futures), desc="running notebooks", unit="notebook", disable=not progress)
        for fut in as_completed(futures):
            p, own, target = futures[fut]
            info = fut.result()
            results = read_results(target) if target.is_file() else {}
            runs[p] = NotebookRun(notebook=p.name, status="failed" if info["error"] else "ok", seconds=info["seconds"],
                                  output=str(target), html=info["html"], results=results, error=info["error"],
                                  parameters=own)
            bar.set_postfix_str(p.stem)
            bar.update(1)
        bar.close()
    ordered = [runs[p] for p in paths]
    _write_reports(ordered, out, parameters)
    return ordered


def _write_reports(runs: list[NotebookRun], out: Path, parameters: dict) -> None:
    import fidelia_kit

    meta = {"created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "fidelia_kit": fidelia_kit.__version__, "python": platform.python_version(), "parameters": parameters}
    (out / "results.json").write_text(json.dumps({"run": meta, "notebooks": [asdict(r) for r in runs]}, indent=2,
                                                  default=str) + "\n", encoding="utf-8")
    rows = []
    for r in runs:
        link = f'<a href="{html.escape(Path(r.html).name)}">{html.escape(r.notebook)}</a>' if r.html else html.escape(r.notebook)
        res = "<br>".join(f"{html.escape(k)} = {html.escape(json.dumps(v)[:120])}" for k, v in r.results.items())
        colour = "#2e7d32" if r.status == "ok" else "#c62828"
        err = f"<br><small>{html.escape(r.error)}</small>" if r.error else ""
        rows.append(f'<tr><td>{link}</td><td style="color:{colour}"><b>{r.status}</b>{err}</td>'
                    f"<td>{r.seconds:.1f} s</td><td><small>{res}</small></td></tr>")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fidelia_kit notebook run</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:6px;vertical-align:top}}</style>
</head><body>
<h1>Notebook run</h1>
<p>{html.escape(meta['created'])} &middot; fidelia_kit {html.escape(meta['fidelia_kit'])} &middot; Python {html.escape(meta['python'])}
&middot; parameters: {html.escape(json.dumps(parameters))}</p>
<table><tr><th>notebook</th><th>status</th><th>run time</th><th>recorded results</th></tr>
{''.join(rows)}
</table></body></html>
"""
    (out / "index.html").write_text(page, encoding="utf-8")
