"""Run the notebooks: execute them with papermill, in parallel processes, and report.

:func:`run_notebooks` executes notebooks in parallel processes with papermill, writes each
executed notebook and its HTML export, an ``index.html`` and a ``results.json`` with what
each notebook recorded. The notebook-side API (``record``, ``read_results``,
``check_parameters``) lives in :mod:`fidelia_kit.notebook`; it is re-exported here, so
``fidelia_kit.runner.record`` keeps working.
"""
from __future__ import annotations

import ast
import datetime as dt
import html
import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._validation import check_int, check_number
from ._version import __version__
from .notebook import RESULT_MIME, check_parameters, read_results, record

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._typing import PathLike


__all__ = ["record", "read_results", "check_parameters", "NotebookRun", "RunInterrupted", "run_notebooks",
           "notebook_parameters", "default_notebooks", "parse_value", "RESULT_MIME"]

def notebook_parameters(path: PathLike) -> dict:
    """The parameters a notebook declares in its cell tagged ``parameters``.

    Parameters
    ----------
    path : str or Path
        The notebook.

    Returns
    -------
    dict
        name -> default value, in the cell's order.

    Raises
    ------
    ValueError
        Naming the file, if it is not a readable notebook (broken JSON, cut short ...).

    Examples
    --------
    >>> import nbformat, tempfile
    >>> nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
    ...                                                        "display_name": "Python 3"}})
    >>> nb.cells = [nbformat.v4.new_code_cell("top_n = 10  # rows", metadata={"tags": ["parameters"]})]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     nbformat.write(nb, f"{d}/nb.ipynb")
    ...     notebook_parameters(f"{d}/nb.ipynb")
    {'top_n': '10'}
    """
    import papermill

    try:
        declared = papermill.inspect_notebook(str(path))
    except Exception as exc:  # nbformat's and json's messages do not name the file
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"{path}: not a readable notebook ({text[:200]}).") from None
    return {name: info["default"] for name, info in declared.items()}


def default_notebooks() -> list[Path]:
    """The numbered notebooks ``NN_topic.ipynb`` of ``notebooks/``.

    Returns
    -------
    list of Path
        Sorted by name, from ``notebooks/`` of the current folder, else of the kit's checkout.

    Raises
    ------
    FileNotFoundError
        Neither folder holds numbered notebooks.

    Examples
    --------
    >>> [p.name for p in default_notebooks()][:1]  # doctest: +SKIP
    ['00_customer_database.ipynb']
    """
    for folder in (Path.cwd() / "notebooks", Path(__file__).resolve().parents[1] / "notebooks"):
        found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
        if found:
            return found
    raise FileNotFoundError("no notebooks found: expected notebooks/NN_topic.ipynb in the current folder.")


def parse_value(text: str) -> Any:
    """A command-line value (``-p name=value``) as Python.

    Parameters
    ----------
    text : str

    Returns
    -------
    object
        A number, True/False/None, a list or a quoted string as Python reads it; else the text itself.

    Examples
    --------
    >>> parse_value("0.05"), parse_value("None"), parse_value("../datasets")
    (0.05, None, '../datasets')
    """
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (SIGINT) or SIGTERM; ``runs`` holds every notebook's outcome.

    The notebooks that had finished keep their results; the others have status
    ``"interrupted"``. The reports were written before this was raised.

    Parameters
    ----------
    runs : list of NotebookRun
        Every notebook's outcome, in the order given.
    out_dir : str or Path
        The output folder, where the reports are.

    Examples
    --------
    >>> exc = RunInterrupted([], "outputs")
    >>> isinstance(exc, KeyboardInterrupt), exc.out_dir.name
    (True, 'outputs')
    """

    def __init__(self, runs: list, out_dir: PathLike) -> None:
        super().__init__("interrupted")
        self.runs = runs
        self.out_dir = Path(out_dir)


@dataclass
class NotebookRun:
    """The outcome of one notebook run.

    ``seconds`` is the notebook's execution by papermill (kernel start and every cell);
    ``wall_seconds`` the wall time of its whole process, start to end (execution, HTML export and
    the process's own start), on the parent's clock; None for a notebook that did not finish.

    Examples
    --------
    >>> r = NotebookRun("00_customer_database.ipynb", "ok", 4.2, "outputs/00.ipynb", None, {"n_customers": 10})
    >>> r.status, r.results["n_customers"], r.error
    ('ok', 10, None)
    """

    notebook: str
    status: str               # "ok", "failed" or "interrupted"
    seconds: float
    output: str | None        # executed .ipynb (None when the run was interrupted before it finished)
    html: str | None
    results: dict = field(default_factory=dict)
    error: str | None = None  # "cell [N]: Ename: message" on failure (N as in the executed notebook)
    parameters: dict = field(default_factory=dict)
    source: str = ""          # the notebook that was run, as given
    wall_seconds: float | None = None


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _failed_cell(output) -> str:
    """'cell [N]' for the cell that was running when a notebook stopped, numbered as in its executed copy;
    '' if there is no such copy."""
    import nbformat

    try:
        nb = nbformat.read(str(output), as_version=4)
    except Exception:  # no executed copy yet, or an unreadable one
        return ""
    last_count = 0
    started = ""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        count = cell.get("execution_count")
        papermill = cell.get("metadata", {}).get("papermill", {})
        if not papermill.get("start_time"):  # never started: the run stopped before it
            break
        # a cell stopped before the kernel numbered it (a kernel that died at once) takes the next number
        started = f"cell [{count or last_count + 1}]"
        if papermill.get("status") == "running":  # its process died while the cell ran
            break
        last_count = count or last_count + 1
    # papermill marks a cell "completed" even when its kernel died in it: the cell that stopped the run
    # is the last one that started
    return started


def _export_html(output: str) -> str:
    """Write the executed notebook's HTML export beside it; return its path."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(output, as_version=4)
    from .notebook import RESULT_MIME
    for cell in nb.cells:  # a result recorded without show=True is data for read_results, not for the reader
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (RESULT_MIME in o.get("data", {}) and not o["data"].get("text/plain"))]
    body, _ = HTMLExporter().from_notebook_node(nb)
    html_path = str(Path(output).with_suffix(".html"))
    Path(html_path).write_text(body, encoding="utf-8")
    return html_path


def _execute(notebook: str, output: str, parameters: dict, timeout: float, kernel: str) -> dict:
    """Run one notebook in this (worker) process."""
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    # the kernels' own chatter (transport warnings) would flood the terminal: errors come back as exceptions
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    start = time.perf_counter()
    error = None
    # The kernel inherits this process's environment: a MPLBACKEND set for scripts (Agg, as on servers and
    # in tests) would make plt.show() draw nothing, and the executed notebook would lose its figures.
    # Without it the kernel takes its own inline backend. Restored afterwards (a Dask worker runs many).
    backend = os.environ.pop("MPLBACKEND", None)
    try:
        papermill.execute_notebook(notebook, output, parameters=parameters, kernel_name=kernel,
                                   execution_timeout=timeout, progress_bar=False, cwd=str(Path(notebook).parent),
                                   log_output=False)
    except papermill.PapermillExecutionError as exc:
        last = str(exc.evalue).strip().splitlines()[-1] if str(exc.evalue).strip() else ""
        error = f"cell [{exc.exec_count}]: {exc.ename}: {last}"  # as numbered in the executed notebook
    except CellTimeoutError:
        cell = _failed_cell(output) or "a cell"
        error = f"{cell}: CellTimeoutError: still running after {_seconds(timeout)}, the time limit per cell (timeout)"
    except DeadKernelError:
        cell = _failed_cell(output) or "a cell"
        error = f"{cell}: DeadKernelError: the kernel died while the cell ran (out of memory, or killed)"
    except Exception as exc:  # unreadable notebook, kernel that would not start ...
        text = str(exc).strip().splitlines()
        cell = _failed_cell(output)
        error = f"{cell + ': ' if cell else ''}{type(exc).__name__}: {text[-1] if text else ''}"
    finally:
        if backend is not None:
            os.environ["MPLBACKEND"] = backend
    seconds = time.perf_counter() - start
    html_path = None
    if Path(output).is_file():
        try:
            html_path = _export_html(output)
        except Exception as exc:  # an HTML export failure must not hide the run's result
            error = error or f"HTML export failed: {exc}"
    return {"seconds": seconds, "error": error, "html": html_path}


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _share_cores(threads: int) -> None:
    """In a worker: the kernels it starts use ``threads`` BLAS/OpenMP threads, unless the user set them.

    Two kernels with a thread per core each on the same cores wait on each other's spinning
    threads: scikit-learn's k-means and distance matrices ran several times slower. OpenMP
    threads that wait also sleep instead of spinning (``OMP_WAIT_POLICY=PASSIVE``): with any
    other process busy, spinning made notebook 03's k-means 3-4 times slower even alone.
    """
    for var in _THREAD_VARS:
        os.environ.setdefault(var, str(threads))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _ignore_signal(signum, frame):  # a handler, not SIG_IGN: the kernel started from here gets the defaults back
    pass


def _worker(conn, notebook: str, output: str, parameters: dict, timeout: float, kernel: str,
            threads: int | None = None) -> None:
    """The body of one notebook's process: run it (its kernel with ``threads`` BLAS/OpenMP threads),
    send the outcome to the parent."""
    import signal

    if threads is not None:
        _share_cores(threads)

    signal.signal(signal.SIGINT, _ignore_signal)    # Ctrl-C reaches the whole process group: the parent decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)   # the parent stops a worker with SIGTERM
    start = time.perf_counter()
    try:
        info = _execute(notebook, output, parameters, timeout, kernel)
    except BaseException as exc:  # noqa: BLE001 - whatever happens, the parent gets one line
        info = {"seconds": time.perf_counter() - start, "html": None,
                "error": f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"}
    conn.send(info)
    conn.close()


def _cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


PATH_SUFFIXES = ("_dir", "_path", "_file", "_folder")


def _resolve_path_parameters(parameters: dict) -> dict:
    """Relative paths given for path parameters (``*_dir``, ``*_path``, ``*_file``, ``*_folder``), made
    absolute against the current folder: a notebook runs in its own folder, where they would mean another place."""
    resolved = {}
    for name, value in parameters.items():
        if isinstance(value, str) and value and name.endswith(PATH_SUFFIXES) and "://" not in value:
            value = os.path.abspath(os.path.expanduser(value))
        resolved[name] = value
    return resolved


def _output_names(paths: list[Path]) -> list[str]:
    """A distinct output name per notebook: its own name, ``<folder>_<name>`` where two share a name,
    ``-2``, ``-3`` ... where even that repeats (or the same notebook is given twice). Never ``index``."""
    from collections import Counter

    counts = Counter(p.stem.lower() for p in paths)
    taken = {"index"}  # index.html is the report
    names = []
    for p in paths:
        name = p.stem
        if counts[p.stem.lower()] > 1:
            folder = p.absolute().parent.name
            name = f"{folder}_{p.stem}" if folder else p.stem
        base, k = name, 2
        while name.lower() in taken:  # lower: case-insensitive file systems
            name, k = f"{base}-{k}", k + 1
        taken.add(name.lower())
        names.append(name)
    return names


def _output_paths(paths: list[Path], out: Path) -> list[Path]:
    """Where each executed notebook goes; refuses any output that would overwrite a source notebook."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out}: exists and is not a folder; choose another output folder.")
    out_real = out.resolve()
    sources = {p.resolve() for p in paths}
    for p in paths:
        if out_real in (p.resolve().parent, p.absolute().parent.resolve()):
            raise ValueError(f"{out}: the output folder holds the notebook {p} being run, which its executed "
                             "copy would overwrite; choose another output folder (e.g. outputs).")
    targets = [out / f"{name}.ipynb" for name in _output_names(paths)]
    for p, t in zip(paths, targets):
        for f in (t, t.with_suffix(".html")):
            if f.resolve() in sources:  # e.g. a link in the output folder pointing at a source notebook
                raise ValueError(f"{f}: the executed copy of {p} would overwrite a notebook being run; "
                                 "choose another output folder.")
        if t.exists() and not _is_executed_copy(t):
            raise ValueError(f"{t}: exists and is not an executed copy from an earlier run, and the executed copy "
                             f"of {p} would overwrite it; choose another output folder.")
    return targets


def _is_executed_copy(path: Path) -> bool:
    """Whether ``path`` is a notebook papermill executed (which a new run may replace)."""
    try:
        with open(path, encoding="utf-8") as f:
            return "papermill" in json.load(f).get("metadata", {})
    except (OSError, ValueError, AttributeError):
        return False


def _staging(target: Path) -> Path:
    """Where a notebook is executed before its copy replaces ``target``: an interrupted run must not
    destroy the complete result of an earlier one."""
    return target.with_name(f".{target.stem}.running.ipynb")


def _move_in(staged: Path, target: Path) -> str | None:
    """Move an executed copy (and its HTML export, if any) from its staging place to ``target``;
    return the HTML's path."""
    if staged.is_file():
        os.replace(staged, target)
    html_staged, html_target = staged.with_suffix(".html"), target.with_suffix(".html")
    if html_staged.is_file():
        os.replace(html_staged, html_target)
        return str(html_target)
    return None


class _SigtermAsInterrupt:
    """While active (main thread only), SIGTERM raises KeyboardInterrupt as Ctrl-C does."""

    def __enter__(self):
        import signal
        import threading

        self._old = None
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGTERM, self._raise)
        return self

    @staticmethod
    def _raise(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    def ignore_further(self):
        """A second Ctrl-C must not cut the clean-up short."""
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._old_int = signal.signal(signal.SIGINT, _ignore_signal)
            signal.signal(signal.SIGTERM, _ignore_signal)

    def __exit__(self, *exc):
        import signal

        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)
        if getattr(self, "_old_int", None) is not None:
            signal.signal(signal.SIGINT, self._old_int)
        return False


def _run_processes(tasks: list[tuple], jobs: int, on_done, on_interrupt, target=None) -> tuple[bool, list[int]]:
    """Run ``target(conn, *task)`` (default :func:`_worker`) in a process per task, at most ``jobs`` at once.

    ``on_done(i, info, wall)`` as each ends; ``info`` is what it sent, or ``{"died": exitcode}`` if its
    process died without a word. On Ctrl-C or SIGTERM, calls ``on_interrupt()`` and stops the running
    processes (a kernel notices its worker is gone and exits). Returns (interrupted, indices stopped).
    """
    import multiprocessing
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context()
    pending = list(range(len(tasks)))
    running: dict[int, tuple] = {}

    def finish(i):
        proc, conn, start = running.pop(i)
        info = None
        try:
            if conn.poll():
                info = conn.recv()
        except (EOFError, OSError):  # died while sending
            info = None
        proc.join(10)
        if proc.is_alive():  # sent its outcome but does not end
            proc.kill()
            proc.join()
        conn.close()
        if info is None:
            info = {"died": proc.exitcode}
        on_done(i, info, time.perf_counter() - start)

    interrupted = False
    try:
        while pending or running:
            while pending and len(running) < jobs:
                i = pending.pop(0)
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=target or _worker, args=(send, *tasks[i]), daemon=True)
                proc.start()
                send.close()
                running[i] = (proc, recv, time.perf_counter())
            ready = wait([r[0].sentinel for r in running.values()] + [r[1] for r in running.values()])
            for i in [i for i, (proc, conn, _) in running.items() if proc.sentinel in ready or conn in ready]:
                proc, conn, _ = running[i]
                if proc.sentinel not in ready:  # sent its outcome; it ends in a moment
                    proc.join(5)
                    if proc.is_alive():
                        continue
                finish(i)
    except KeyboardInterrupt:
        interrupted = True
        on_interrupt()
    finally:
        for i in list(running):  # those that finished in the meantime still count
            proc, conn, _ = running[i]
            try:
                ready_now = conn.poll()
            except (EOFError, OSError):
                ready_now = False
            if ready_now:
                finish(i)
        for proc, _conn, _ in running.values():
            proc.terminate()
        for proc, conn, _ in running.values():
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()
            conn.close()
    return interrupted, sorted(running)


def run_notebooks(notebooks: Sequence[PathLike] | None = None, *, parameters: dict | None = None,
                  out_dir: PathLike = "outputs", jobs: int = 1,
                  timeout: float = 600, kernel: str = "python3", progress: bool = True) -> list[NotebookRun]:
    """Execute notebooks with papermill, a process per notebook and at most ``jobs`` at once.

    Parameters
    ----------
    notebooks : list of paths, optional
        Default: every numbered notebook of ``notebooks/``.
    parameters : dict, optional
        Parameter values. Each is passed to the notebooks whose parameters cell declares it;
        a name no selected notebook declares is an error (papermill only warns). A notebook runs
        in its own folder, so a relative path given to a path parameter (a name ending in ``_dir``,
        ``_path``, ``_file`` or ``_folder``) is made absolute against the current folder first.
    out_dir : path, default "outputs"
        Gets ``<name>.ipynb`` and ``<name>.html`` per notebook, ``index.html`` and ``results.json``.
        Two notebooks of the same name get ``<folder>_<name>``. A folder that holds one of the
        notebooks is refused: nothing is ever written over a source notebook.
    jobs : int, default=1
        At most the number of CPUs (a larger value is lowered, with a warning).
    timeout : float, default=600
        Seconds one cell may run.

    Returns
    -------
    list of NotebookRun, in the order given. A failing notebook, even one whose process dies
    (killed, out of memory), does not stop the others; the reports are always written.

    Raises
    ------
    RunInterrupted
        On Ctrl-C or SIGTERM: the running notebooks are stopped, the reports written with what
        had finished, and the exception carries every notebook's outcome.

    See Also
    --------
    fidelia_kit.notebook.record : how a notebook records a result.
    fidelia_kit.notebook.read_results : read them back from an executed notebook.

    Examples
    --------
    >>> runs = run_notebooks(["notebooks/00_customer_database.ipynb"], out_dir="outputs")  # doctest: +SKIP
    >>> runs[0].status, runs[0].results["n_customers"]  # doctest: +SKIP
    ('ok', 10000)
    """
    import warnings

    from tqdm.auto import tqdm

    paths = [Path(p) for p in (notebooks if notebooks else default_notebooks())]
    for p in paths:
        if p.is_dir():
            raise FileNotFoundError(f"{p}: is a folder, not a notebook; give .ipynb files or --all.")
        if p.is_file() and p.suffix != ".ipynb":
            raise FileNotFoundError(f"{p}: is not a notebook (.ipynb).")
        if not p.is_file():
            raise FileNotFoundError(f"{p}: no such notebook (.ipynb).")
    jobs = check_int("jobs", jobs, 1, 256)
    if jobs > _cpu_count():
        warnings.warn(f"`jobs` = {jobs} lowered to {_cpu_count()}, the number of CPUs.", UserWarning, stacklevel=2)
        jobs = _cpu_count()
    timeout = check_number("timeout", timeout, 1, 86_400)
    parameters = _resolve_path_parameters(dict(parameters or {}))
    declared = {p: notebook_parameters(p) for p in paths}
    unknown = sorted(n for n in parameters if not any(n in d for d in declared.values()))
    if unknown:
        known = sorted({n for d in declared.values() for n in d})
        raise ValueError(f"unknown parameter(s) {unknown}; the notebooks take {known}.")
    out = Path(out_dir)
    targets = _output_paths(paths, out)
    out.mkdir(parents=True, exist_ok=True)
    owns = [{k: v for k, v in parameters.items() if k in declared[p]} for p in paths]
    threads = max(1, _cpu_count() // min(jobs, len(paths)))  # kernels running at once share the cores
    tasks = [(str(p.resolve()), str(_staging(t).resolve()), own, timeout, kernel, threads)
             for p, t, own in zip(paths, targets, owns)]
    runs: dict[int, NotebookRun] = {}
    bar = tqdm(total=len(tasks), desc="running notebooks", unit="notebook", disable=not progress)

    def on_done(i, info, wall):
        p, target = paths[i], targets[i]
        executed = _staging(target).is_file()  # else an earlier run's copy at the target is not this run's
        html_path = _move_in(_staging(target), target)
        if "died" not in info:
            info = {**info, "html": html_path}
        else:
            code = info["died"]
            how = f"killed by {_signal_name(-code)}" if code is not None and code < 0 else f"exited with status {code}"
            cell = _failed_cell(target) if executed else ""
            info = {"seconds": wall, "html": None,
                    "error": f"{cell + ': ' if cell else ''}the process running the notebook was {how} "
                             "(out of memory, or killed from outside)"}
            if executed:
                try:
                    info["html"] = _export_html(str(target))
                except Exception:  # a partial notebook: the .ipynb is still there
                    pass
        try:
            results = read_results(target) if executed else {}
        except Exception:  # a partial executed copy
            results = {}
        runs[i] = NotebookRun(notebook=p.name, status="failed" if info["error"] else "ok", seconds=info["seconds"],
                              output=str(target) if executed else None, html=info["html"], results=results, error=info["error"],
                              parameters=owns[i], source=str(p), wall_seconds=wall)
        bar.set_postfix_str(p.stem)
        bar.update(1)

    with _SigtermAsInterrupt() as signals:
        interrupted, stopped = _run_processes(tasks, jobs, on_done, signals.ignore_further)
        bar.close()
        for i, (p, target) in enumerate(zip(paths, targets)):
            if i in runs:
                continue
            if i in stopped:  # a half-executed copy would pass for a result: discard it (an earlier complete
                staged = _staging(target)  # result at the target stays as it was)
                for f in (staged, staged.with_suffix(".html")):
                    f.unlink(missing_ok=True)
            runs[i] = NotebookRun(notebook=p.name, status="interrupted", seconds=0.0, output=None, html=None,
                                  error="stopped: the run was interrupted" if i in stopped else
                                  "not started: the run was interrupted", parameters=owns[i], source=str(p))
        ordered = [runs[i] for i in range(len(paths))]
        _write_reports(ordered, out, parameters, interrupted=interrupted)
    if interrupted:
        raise RunInterrupted(ordered, out)
    return ordered


def _signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _write_reports(runs: list[NotebookRun], out: Path, parameters: dict, *, interrupted: bool = False) -> None:
    meta = {"created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "fidelia_kit": __version__, "python": platform.python_version(), "parameters": parameters,
            "interrupted": interrupted}
    (out / "results.json").write_text(json.dumps({"run": meta, "notebooks": [asdict(r) for r in runs]}, indent=2,
                                                  default=str) + "\n", encoding="utf-8")
    names = [r.notebook for r in runs]
    rows = []
    for r in runs:
        link = f'<a href="{html.escape(Path(r.html).name)}">{html.escape(r.notebook)}</a>' if r.html else html.escape(r.notebook)
        if names.count(r.notebook) > 1:  # which of the notebooks of this name
            link += f"<br><small>{html.escape(r.source)}</small>"
        res = "<br>".join(f"{html.escape(k)} = {html.escape(json.dumps(v)[:120])}" for k, v in r.results.items())
        colour = {"ok": "#2e7d32", "failed": "#c62828"}.get(r.status, "#6d4c41")
        err = f"<br><small>{html.escape(r.error)}</small>" if r.error else ""
        wall = f"{r.wall_seconds:.1f} s" if r.wall_seconds is not None else ""
        rows.append(f'<tr><td>{link}</td><td style="color:{colour}"><b>{r.status}</b>{err}</td>'
                    f"<td>{r.seconds:.1f} s</td><td>{wall}</td><td><small>{res}</small></td></tr>")
    note = ("<p><b>The run was interrupted</b>: the notebooks marked interrupted did not finish.</p>"
            if interrupted else "")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fidelia_kit notebook run</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:6px;vertical-align:top}}</style>
</head><body>
<h1>Notebook run</h1>
<p>{html.escape(meta['created'])} &middot; fidelia_kit {html.escape(meta['fidelia_kit'])} &middot; Python {html.escape(meta['python'])}
&middot; parameters: {html.escape(json.dumps(parameters))}</p>
{note}<table><tr><th>notebook</th><th>status</th><th>run time</th><th>wall time</th><th>recorded results</th></tr>
{''.join(rows)}
</table>
<p><small>run time: the notebook's execution (kernel start and cells); wall time: its whole process, HTML export included.</small></p>
</body></html>
"""
    (out / "index.html").write_text(page, encoding="utf-8")


def __getattr__(name: str):
    """``fidelia_kit.runner.sweep``, defined in :mod:`fidelia_kit.sweep` and imported on first use (it needs
    numpy, which the executor and the notebook API do without)."""
    if name == "sweep":
        from .sweep import sweep

        return sweep
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
