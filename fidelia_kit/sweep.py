"""Research sweeps: rerun one notebook over a grid of parameters, in parallel, resumable.

A sweep is described by a spec (a YAML file or a dict)::

    parameters: {n_customers: 2000}          # fixed values, passed to every run
    grid: {calibration_weeks: [26, 39, 52], model: [bgnbd, paretonbd]}   # the cartesian product
    points: [{calibration_weeks: 13, model: bgnbd}]                      # added to the grid's points
    replicates: 5                            # seeds per point, derived from `seed`
    seed: 2026

Each run is executed by papermill in a process of its own (local processes, or a task on a
Dask cluster that starts its own process there). Its executed notebook is kept under
``OUT/notebooks/<run_id>.ipynb`` and its outcome under ``OUT/records/<run_id>.json``, written
atomically the moment it ends; ``OUT/results.csv`` and ``OUT/results.parquet`` (one row per
run) and ``OUT/manifest.json`` (versions, git commit, hashes) are rewritten from the records,
also atomically. A sweep started again skips the runs it finished (and the failed ones unless
``retry_failed=True``): a sweep killed at any moment loses no finished run. An interrupted sweep
(Ctrl-C, SIGTERM) stops its running runs, on a Dask cluster's workers too.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._validation import check_ci, check_frame, check_int, check_number

if TYPE_CHECKING:
    import distributed
    import pandas as pd


__all__ = ["sweep", "SweepSpec", "SweepResult", "read_spec", "replicate_means", "SPEC_KEYS"]

SPEC_KEYS = ("parameters", "grid", "points", "replicates", "seed")
#: columns every results table has, in order (the parameters come after ``run_id``)
_STATUS_COLUMNS = ("seed", "status", "duration_s", "error")
_PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "papermill", "nbclient", "ipykernel",
             "pyarrow", "dask", "distributed")


# ---------------------------------------------------------------------------- the spec

@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec: what :func:`read_spec` returns.

    ``runs()`` lists every run's parameters (the notebook's ``seed`` included when seeds are
    derived), the grid's points first, then the explicit ``points``, each ``replicates`` times.

    Examples
    --------
    >>> spec = read_spec({"grid": {"n_customers": [500, 50_000]}, "replicates": 2, "seed": 2026})
    >>> len(spec.runs())
    4
    >>> spec.names()
    ['n_customers', 'seed']
    """

    parameters: dict = field(default_factory=dict)
    grid: dict = field(default_factory=dict)
    points: list = field(default_factory=list)
    replicates: int = 1
    seed: int | None = None
    source: str = "<dict>"

    def to_dict(self) -> dict:
        out = {"parameters": self.parameters, "grid": self.grid, "points": self.points,
               "replicates": self.replicates}
        if self.seed is not None:
            out["seed"] = self.seed
        return out

    def sha256(self) -> str:
        """Hash of the spec's content (not of its layout in the file)."""
        return hashlib.sha256(_canonical(self.to_dict()).encode()).hexdigest()

    def names(self) -> list[str]:
        """Every parameter name the spec sets, in the order it names them."""
        names = list(self.parameters) + [n for n in self.grid if n not in self.parameters]
        for point in self.points:
            names += [n for n in point if n not in names]
        if self.seed is not None and "seed" not in names:
            names.append("seed")
        return names

    def seeds(self) -> list[int] | None:
        """The ``replicates`` seeds every point gets: ``SeedSequence(seed).spawn(replicates)``, one
        32-bit integer each (the same seeds at every point: common random numbers across points)."""
        if self.seed is None:
            return None
        return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(self.seed).spawn(self.replicates)]

    def runs(self) -> list[dict]:
        combos = [dict(zip(self.grid, values)) for values in itertools.product(*self.grid.values())] if self.grid else []
        if not self.grid and not self.points:
            combos = [{}]
        combos = [{**self.parameters, **c} for c in combos] + [{**self.parameters, **p} for p in self.points]
        seeds = self.seeds()
        if seeds is None:
            return combos
        return [{**c, "seed": s} for c in combos for s in seeds]


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _scalar(where: str, value):
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: must be a finite number; got {value!r}.")
        return value
    raise TypeError(f"{where}: must be a number, text, true/false or null; got {type(value).__name__} {value!r}.")


def _names_map(where: str, value) -> dict:
    if not isinstance(value, dict):
        raise TypeError(f"{where}: must be a mapping of parameter name -> value; got {type(value).__name__} {value!r}.")
    for name in value:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"{where}: {name!r} is not a parameter name (a Python identifier such as n_customers).")
    return value


def read_spec(spec: str | os.PathLike | dict | SweepSpec) -> SweepSpec:
    """Read and validate a sweep spec: a path to a YAML file, or a dict of the same shape.

    Parameters
    ----------
    spec : path or dict
        Keys ``parameters`` (name -> value), ``grid`` (name -> non-empty list of values),
        ``points`` (list of name -> value maps), ``replicates`` (int >= 1, default 1) and ``seed``
        (int >= 0; required when ``replicates`` > 1). Values are numbers, text, booleans or null.

    Returns
    -------
    SweepSpec

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError, TypeError
        A bad spec; the message names the file and the key.

    Examples
    --------
    >>> read_spec({"parameters": {"n_customers": 2000}, "grid": {"model": ["bgnbd", "paretonbd"]}}).runs()
    [{'n_customers': 2000, 'model': 'bgnbd'}, {'n_customers': 2000, 'model': 'paretonbd'}]
    >>> read_spec({"replicates": 5})
    Traceback (most recent call last):
    ...
    ValueError: <dict>: key 'seed' is required when 'replicates' is 5 (> 1): each replicate's seed is derived from it.
    """
    if isinstance(spec, SweepSpec):
        return spec
    source = "<dict>"
    if isinstance(spec, (str, os.PathLike)):
        import yaml

        path = Path(spec)
        source = str(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such sweep spec (a .yaml file).")
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: not valid YAML ({' '.join(str(exc).split())[:200]}).") from None
        if spec is None:
            spec = {}
    if not isinstance(spec, dict):
        raise TypeError(f"{source}: a sweep spec must be a mapping with keys {list(SPEC_KEYS)}; "
                        f"got {type(spec).__name__}.")
    unknown = [k for k in spec if k not in SPEC_KEYS]
    if unknown:
        raise ValueError(f"{source}: unknown key {unknown[0]!r}; a sweep spec has the keys {list(SPEC_KEYS)}.")
    parameters = _names_map(f"{source}: key 'parameters'", spec.get("parameters") or {})
    parameters = {n: _scalar(f"{source}: parameters.{n}", v) for n, v in parameters.items()}
    grid = _names_map(f"{source}: key 'grid'", spec.get("grid") or {})
    clean_grid = {}
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ValueError(f"{source}: grid.{name} must be a non-empty list of values; got {values!r}.")
        values = [_scalar(f"{source}: grid.{name}[{i}]", v) for i, v in enumerate(values)]
        dupes = sorted({_canonical(v) for v in values if values.count(v) > 1})
        if dupes:
            raise ValueError(f"{source}: grid.{name} lists {', '.join(dupes)} more than once.")
        if name in parameters:
            raise ValueError(f"{source}: {name!r} is both in 'parameters' (fixed) and in 'grid'; keep it in one.")
        clean_grid[name] = values
    points = spec.get("points") or []
    if not isinstance(points, list):
        raise TypeError(f"{source}: key 'points' must be a list of name -> value maps; got {type(points).__name__}.")
    clean_points = []
    for i, point in enumerate(points):
        point = _names_map(f"{source}: points[{i}]", point)
        if not point:
            raise ValueError(f"{source}: points[{i}] is empty; give at least one name -> value.")
        clean_points.append({n: _scalar(f"{source}: points[{i}].{n}", v) for n, v in point.items()})
    replicates = spec.get("replicates", 1)
    try:
        replicates = check_int("replicates", replicates, 1, 100_000)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{source}: key 'replicates': {exc}") from None
    seed = spec.get("seed")
    if seed is not None:
        try:
            seed = check_int("seed", seed, 0, 2**63 - 1)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{source}: key 'seed': {exc}") from None
    if replicates > 1 and seed is None:
        raise ValueError(f"{source}: key 'seed' is required when 'replicates' is {replicates} (> 1): each "
                         "replicate's seed is derived from it.")
    if seed is not None:
        where = ("parameters" if "seed" in parameters else "grid" if "seed" in clean_grid else
                 "points" if any("seed" in p for p in clean_points) else None)
        if where:
            raise ValueError(f"{source}: 'seed' is set in '{where}' and derived from the key 'seed'; "
                             "use one or the other.")
    return SweepSpec(parameters=parameters, grid=clean_grid, points=clean_points, replicates=replicates, seed=seed,
                     source=source)


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_id(notebook_sha256: str, parameters: dict) -> str:
    """A run's id: 16 hex digits of the hash of the notebook's content and its parameters."""
    return hashlib.sha256(f"{notebook_sha256}\n{_canonical(parameters)}".encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------- files

def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a temporary file beside it, flushed to disk, renamed over it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_records(folder: Path) -> dict[str, dict]:
    records = {}
    for f in sorted(folder.glob("*.json")):
        try:
            rec = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # cannot happen with atomic writes; a hand-edited file is rerun
            continue
        if isinstance(rec, dict) and rec.get("run_id") == f.stem:
            records[f.stem] = rec
    return records


def _git_commit(folder: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _manifest(notebook: Path, spec: SweepSpec, n_runs: int, scheduler: str | None, created: str | None) -> dict:
    import fidelia_kit

    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return {"fidelia_kit": fidelia_kit.__version__, "python": platform.python_version(),
            "platform": platform.platform(), "packages": _versions(),
            "git_commit": _git_commit(notebook.resolve().parent),
            "notebook": str(notebook), "notebook_sha256": _file_sha256(notebook),
            "spec": spec.to_dict(), "spec_source": spec.source, "spec_sha256": spec.sha256(),
            "runs": n_runs, "scheduler": scheduler, "created": created or now, "updated": now}


def _results_table(planned: list[tuple[str, dict]], records: dict, names: list[str], defaults: dict):
    """One row per planned run that has a record, in the spec's order."""
    import pandas as pd

    rows, extra = [], []
    reserved = {"run_id", *names, *_STATUS_COLUMNS}
    for rid, params in planned:
        rec = records.get(rid)
        if rec is None:
            continue
        row = {"run_id": rid}
        for n in names:
            row[n] = params.get(n, defaults.get(n))
        row.update(seed=params.get("seed", defaults.get("seed")), status=rec["status"],
                   duration_s=rec["duration_s"], error=rec.get("error"))
        for key, value in (rec.get("results") or {}).items():
            if isinstance(value, (list, dict)):
                continue  # only scalars become columns; the record keeps the rest
            col = key if key not in reserved else f"{key}_result"
            if col not in extra:
                extra.append(col)
            row[col] = value
        rows.append(row)
    columns = ["run_id", *[n for n in names if n != "seed"], *_STATUS_COLUMNS, *extra]
    return pd.DataFrame(rows, columns=columns)


def _write_tables(table, out: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    _write_atomic(out / "results.csv", table.to_csv(index=False).encode("utf-8"))
    frame = table.copy()
    for col in frame.columns:  # a column mixing numbers and text is kept as text in Parquet
        if frame[col].dtype == object:
            kinds = {type(v) for v in frame[col] if v is not None and not (isinstance(v, float) and math.isnan(v))}
            if len(kinds) > 1 and not kinds <= {int, float}:
                frame[col] = frame[col].map(lambda v: None if v is None else str(v))
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    _write_atomic(out / "results.parquet", sink.getvalue().to_pybytes())


@contextlib.contextmanager
def _lock(out: Path):
    """One sweep at a time writes to a folder."""
    import fcntl

    with open(out / ".lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValueError(f"{out}: another sweep is writing to this folder; wait for it or choose another "
                             "--out.") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------- executing one run

def _die_with_parent() -> None:
    """Linux: this process gets SIGKILL when its parent dies (a sweep killed with kill -9 leaves nothing running;
    the kernel this process started notices and exits)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _local_worker(conn, notebook, output, parameters, timeout, kernel, threads, parent_pid):
    _die_with_parent()
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)
    from .runner import _worker

    _worker(conn, notebook, output, parameters, timeout, kernel, threads)


def _subprocess_main() -> None:
    """Body of the process a Dask task starts: read a job from stdin, run it, write the outcome to a file."""
    _die_with_parent()
    job = json.loads(sys.stdin.read())
    if os.getppid() != job["parent_pid"]:
        os._exit(1)
    from .runner import _execute, _share_cores

    if job.get("threads"):
        _share_cores(job["threads"])
    start = time.perf_counter()
    try:
        info = _execute(job["notebook"], job["output"], job["parameters"], job["timeout"], job["kernel"])
    except BaseException as exc:  # noqa: BLE001 - the task gets one line
        text = str(exc).strip().splitlines()
        info = {"seconds": time.perf_counter() - start, "error": f"{type(exc).__name__}: {text[-1] if text else ''}"}
    Path(job["result"]).write_text(json.dumps(info), encoding="utf-8")


_STOP_POLL_S = 0.5  # how often a run on a Dask worker asks whether the sweep was interrupted
_STOPPED = "stopped: the sweep was interrupted"


def _stop_requested(event_name: str | None) -> bool:
    """Whether the sweep that sent this task was interrupted (its Dask Event is set)."""
    if event_name is None:
        return False
    try:
        from distributed import Event

        return bool(Event(event_name).is_set())
    except Exception:  # noqa: BLE001 - scheduler unreachable: keep running; a lost worker's run is retried
        return False


def _kill_tree(pid: int) -> None:
    """Kill a process and every process it started (the notebook's kernel included), and reap them."""
    import psutil  # a dependency of Dask distributed

    try:
        parent = psutil.Process(pid)
        procs = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(procs, timeout=10)


def _dask_task(notebook: str, notebook_bytes: bytes, notebook_sha: str, parameters: dict, timeout: float,
               kernel: str, threads: int | None, stop_event: str | None = None) -> dict:
    """A run as a Dask task: a process of its own on the worker; returns the outcome and the executed notebook.

    The notebook runs where it is if the worker sees the same file (a shared file system: its relative
    paths then work), else from the copy sent with the task, in a temporary folder. Every
    ``_STOP_POLL_S`` seconds the task checks the sweep's Dask Event ``stop_event``: once it is set
    (the sweep was interrupted), the process and the kernel it started are killed and the task ends.
    """
    if _stop_requested(stop_event):
        return {"seconds": 0.0, "error": _STOPPED, "executed": None, "html_bytes": None}
    with tempfile.TemporaryDirectory(prefix="fidelia-sweep-") as tmp:
        tmp = Path(tmp)
        source = Path(notebook)
        if not (source.is_file() and _file_sha256(source) == notebook_sha):
            source = tmp / Path(notebook).name
            source.write_bytes(notebook_bytes)
        output = tmp / "executed.ipynb"
        job = {"notebook": str(source), "output": str(output), "parameters": parameters, "timeout": timeout,
               "kernel": kernel, "threads": threads, "result": str(tmp / "result.json"), "parent_pid": os.getpid()}
        code = "from fidelia_kit.sweep import _subprocess_main; _subprocess_main()"
        start = time.perf_counter()
        stopped = False
        with open(tmp / "stderr.txt", "w+", encoding="utf-8", errors="replace") as stderr:
            proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=stderr, text=True)
            try:
                proc.stdin.write(json.dumps(job))
                proc.stdin.close()
            except OSError:  # the process is already gone; its exit status says why
                pass
            while True:
                try:
                    proc.wait(timeout=_STOP_POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    if _stop_requested(stop_event):
                        stopped = True
                        _kill_tree(proc.pid)
                        proc.wait()
                        break
            stderr.seek(0)
            err_text = stderr.read().strip()
        wall = time.perf_counter() - start
        if stopped:
            return {"seconds": wall, "error": _STOPPED, "worker_wall": wall, "executed": None, "html_bytes": None}
        result = tmp / "result.json"
        if result.is_file():
            info = json.loads(result.read_text(encoding="utf-8"))
        else:
            last = err_text.splitlines()[-1] if err_text else ""
            info = {"seconds": wall, "error": f"the process running the notebook exited with status "
                                              f"{proc.returncode}{': ' + last if last else ''}"}
        info["executed"] = output.read_bytes() if output.is_file() else None
        html = output.with_suffix(".html")
        info["html_bytes"] = html.read_bytes() if html.is_file() else None
        info["worker_wall"] = wall
        return info


# ---------------------------------------------------------------------------- the sweep

@dataclass(frozen=True)
class SweepResult:
    """What :func:`sweep` did.

    Attributes
    ----------
    table : pandas.DataFrame
        ``results.csv``: one row per run of the spec that has finished (now or before).
    out_dir : Path
        The sweep's folder.
    executed : list of str
        Ids of the runs executed by this call.
    skipped : list of str
        Ids of the runs finished earlier and not run again.

    Examples
    --------
    >>> result = sweep("notebooks/research/clv_recovery.ipynb", "sweeps/clv_recovery.yaml",
    ...                "runs/clv_recovery", jobs=2)  # doctest: +SKIP
    >>> result.table.groupby("n_customers")["r_hat"].describe()  # doctest: +SKIP
    """

    table: object
    out_dir: Path
    executed: list
    skipped: list

    @property
    def n_failed(self) -> int:
        return int((self.table["status"] != "ok").sum()) if len(self.table) else 0

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def _check_notebook(notebook: Path, spec: SweepSpec) -> dict:
    from .runner import notebook_parameters

    if not notebook.is_file():
        raise FileNotFoundError(f"{notebook}: no such notebook (.ipynb).")
    if notebook.suffix != ".ipynb":
        raise FileNotFoundError(f"{notebook}: is not a notebook (.ipynb).")
    declared = notebook_parameters(notebook)
    if spec.replicates > 1 and "seed" not in declared:
        raise ValueError(f"{notebook}: 'replicates' is {spec.replicates} but the notebook has no 'seed' parameter "
                         "in its parameters cell to receive the replicates' seeds.")
    for name in spec.names():
        if name not in declared:
            raise ValueError(f"{spec.source}: the parameter {name!r} is not in the parameters cell of {notebook}; "
                             f"it declares {sorted(declared)}.")
    return declared


def _default_value(text):
    from .runner import parse_value

    return parse_value(text) if isinstance(text, str) else text


def _error_line(info: dict, wall: float) -> dict:
    if "died" in info:
        from .runner import _signal_name

        code = info["died"]
        how = f"killed by {_signal_name(-code)}" if code is not None and code < 0 else f"exited with status {code}"
        return {"seconds": wall, "error": f"the process running the notebook was {how} (out of memory, or killed)"}
    return info


def sweep(
    notebook: str | os.PathLike,
    spec: str | os.PathLike | dict | SweepSpec,
    out_dir: str | os.PathLike,
    *,
    jobs: int = 1,
    scheduler: str | distributed.Client | None = None,
    timeout: float = 600,
    retry_failed: bool = False,
    kernel: str = "python3",
    progress: bool = True,
) -> SweepResult:
    """Run a notebook once per point of a parameter grid, in parallel, resumable.

    Parameters
    ----------
    notebook : path
        The notebook (its parameters cell must declare every name the spec sets, and ``seed``
        when ``replicates`` > 1).
    spec : path or dict
        The sweep spec; see :func:`read_spec`.
    out_dir : path
        Gets ``notebooks/<run_id>.ipynb`` (and ``.html``) per run, ``records/<run_id>.json``,
        ``results.csv``, ``results.parquet`` and ``manifest.json``.
    jobs : int, default=1
        Runs at once on this machine (at most the number of CPUs). Not used with ``scheduler``:
        there the cluster's worker threads decide.
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:port``), or a ``distributed.Client``.
        Each run is a task that starts a process of its own on a worker; a run whose worker is
        lost is retried on another. Default: local processes.
    timeout : float, default=600
        Seconds one cell may run.
    retry_failed : bool, default=False
        Run again the runs that failed in an earlier call (finished runs are always skipped).

    Returns
    -------
    SweepResult
        ``table`` is ``results.csv``: ``run_id``, one column per parameter, ``seed``, ``status``
        ('ok' or 'failed'), ``duration_s``, ``error`` (the last line), then every scalar
        recorded with :func:`fidelia_kit.record`.

    Raises
    ------
    ValueError, TypeError, FileNotFoundError
        A bad spec or notebook, before anything runs.
    KeyboardInterrupt
        On Ctrl-C (or SIGTERM): the running runs are stopped (on a Dask cluster too: each run's
        process and kernel on the worker are killed within a second or so, the waiting runs are
        cancelled); every finished run is kept.

    Notes
    -----
    A run's id is a hash of the notebook's content and its parameters: editing the notebook
    starts the sweep afresh (the old records stay in ``records/``). The ``replicates`` seeds are
    ``numpy.random.SeedSequence(seed).spawn(replicates)``, the same at every point.

    Examples
    --------
    >>> from fidelia_kit.runner import sweep
    >>> spec = {"parameters": {"n_customers": 2000}, "grid": {"calibration_weeks": [26, 52]},
    ...         "replicates": 5, "seed": 2026}
    >>> result = sweep("notebooks/research/clv_recovery.ipynb", spec, "runs/clv_recovery",
    ...                jobs=2)  # doctest: +SKIP
    >>> result.table[["calibration_weeks", "seed", "status"]].head()  # doctest: +SKIP
    """
    from .runner import _cpu_count, _resolve_path_parameters, _SigtermAsInterrupt

    notebook = Path(notebook)
    spec = read_spec(spec)
    declared = _check_notebook(notebook, spec)
    jobs = check_int("jobs", jobs, 1, 1024)
    timeout = check_number("timeout", timeout, 1, 7 * 86_400)
    if not isinstance(retry_failed, bool):
        raise TypeError(f"`retry_failed` must be True or False; got {retry_failed!r}.")
    if scheduler is not None and not isinstance(scheduler, str) and not hasattr(scheduler, "submit"):
        raise TypeError(f"`scheduler` must be an address such as 'tcp://127.0.0.1:8786' or a distributed.Client; "
                        f"got {type(scheduler).__name__}.")
    if scheduler is None and jobs > _cpu_count():
        import warnings

        warnings.warn(f"`jobs` = {jobs} lowered to {_cpu_count()}, the number of CPUs.", UserWarning, stacklevel=2)
        jobs = _cpu_count()
    if isinstance(scheduler, str):
        _dask_client_class()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out}: exists and is not a folder; choose another output folder.")
    if out.resolve() == notebook.resolve().parent:
        raise ValueError(f"{out}: the output folder holds the notebook being run; choose another (e.g. runs/NAME).")
    nb_sha = _file_sha256(notebook)
    planned, seen = [], set()
    for params in spec.runs():
        rid = run_id(nb_sha, params)
        if rid not in seen:  # a point named both by the grid and by `points` runs once
            seen.add(rid)
            planned.append((rid, params))
    names = spec.names()
    defaults = {n: _default_value(declared.get(n)) for n in {*names, "seed"}}  # seed: the notebook's own
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    (out / "records").mkdir(exist_ok=True)
    with _lock(out):
        for stale in (out / "notebooks").glob(".*.running.*"):  # left by a sweep that was killed
            stale.unlink(missing_ok=True)
        records = _read_records(out / "records")
        old = {}
        with contextlib.suppress(OSError, ValueError):
            old = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        scheduler_name = scheduler if isinstance(scheduler, str) or scheduler is None else "dask client"

        def write_manifest():  # `created` is the first call's time (of the first sweep into this folder)
            manifest = _manifest(notebook, spec, len(planned), scheduler_name, old.get("created"))
            old.setdefault("created", manifest["created"])
            _write_atomic(out / "manifest.json", (json.dumps(manifest, indent=2) + "\n").encode())

        write_manifest()
        todo = [(rid, p) for rid, p in planned
                if rid not in records or (retry_failed and records[rid]["status"] != "ok")]
        to_run = {rid for rid, _ in todo}
        skipped = [rid for rid, _ in planned if rid not in to_run]
        executed: list[str] = []

        def finish(rid, params, info, wall):
            info = _error_line(info, wall)
            target = out / "notebooks" / f"{rid}.ipynb"
            results = {}
            if target.is_file():  # a failed run keeps what it recorded before it stopped
                from .runner import read_results

                try:
                    results = read_results(target)
                except Exception as exc:  # noqa: BLE001 - an unreadable executed copy fails the run
                    info = {**info, "error": info.get("error") or f"results unreadable: {exc}"}
            rec = {"run_id": rid, "parameters": params, "status": "failed" if info.get("error") else "ok",
                   "duration_s": round(float(info.get("seconds") or wall), 3), "error": info.get("error"),
                   "results": results, "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
            _write_atomic(out / "records" / f"{rid}.json", (json.dumps(rec, indent=1, default=str) + "\n").encode())
            records[rid] = rec
            executed.append(rid)
            _write_tables(_results_table(planned, records, names, defaults), out)

        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="sweep", unit="run", disable=not progress, file=sys.stderr)
        counts = {"ok": 0, "failed": 0}

        def tick(rid):
            counts[records[rid]["status"]] += 1
            bar.set_postfix(ok=counts["ok"], failed=counts["failed"], refresh=False)
            bar.update(1)

        run_params = [_resolve_path_parameters(p) for _, p in todo]
        try:
            with _SigtermAsInterrupt() as signals:
                if scheduler is None:
                    _run_local(notebook, out, todo, run_params, jobs, timeout, kernel, finish, tick, signals)
                else:
                    _run_dask(scheduler, notebook, nb_sha, out, todo, run_params, timeout, kernel, finish, tick,
                              signals)
        finally:
            bar.close()
            _write_tables(_results_table(planned, records, names, defaults), out)
            write_manifest()
        table = _results_table(planned, records, names, defaults)
    return SweepResult(table=table, out_dir=out, executed=executed, skipped=skipped)


def _run_local(notebook, out, todo, run_params, jobs, timeout, kernel, finish, tick, signals) -> None:
    from .runner import _cpu_count, _run_processes

    threads = max(1, _cpu_count() // max(1, min(jobs, len(todo) or 1)))  # kernels running at once share the cores
    tasks = [(str(Path(notebook).resolve()), str((out / "notebooks" / f".{rid}.running.ipynb").resolve()), params,
              timeout, kernel, threads, os.getpid()) for (rid, _), params in zip(todo, run_params)]

    def on_done(i, info, wall):
        rid, params = todo[i]
        staged = out / "notebooks" / f".{rid}.running.ipynb"
        target = out / "notebooks" / f"{rid}.ipynb"
        if staged.is_file():
            os.replace(staged, target)
        else:  # no executed copy this time: an earlier attempt's copy must not pass for this run's
            target.unlink(missing_ok=True)
        if staged.with_suffix(".html").is_file():
            os.replace(staged.with_suffix(".html"), target.with_suffix(".html"))
        finish(rid, params, info, wall)
        tick(rid)

    with contextlib.suppress(ImportError):  # imported once here, each run's forked process starts with them
        import nbclient  # noqa: F401
        import nbconvert  # noqa: F401
        import papermill  # noqa: F401
    interrupted, stopped = _run_processes(tasks, jobs, on_done, signals.ignore_further, target=_local_worker)
    for i in stopped:
        staged = out / "notebooks" / f".{todo[i][0]}.running.ipynb"
        for f in (staged, staged.with_suffix(".html")):
            f.unlink(missing_ok=True)
    if interrupted:
        raise KeyboardInterrupt("sweep interrupted")


def _dask_client_class():
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("a sweep on a Dask cluster (--scheduler) needs Dask distributed: "
                          "pip install \"dask[distributed]\"") from None
    return Client


def _run_dask(scheduler, notebook, nb_sha, out, todo, run_params, timeout, kernel, finish, tick, signals) -> None:
    """Send the runs to a Dask cluster. If the sweep stops before they all end (Ctrl-C, SIGTERM, an error),
    its Dask Event is set, so the runs already running on workers kill their processes, and the waiting
    ones are cancelled."""
    import uuid

    from distributed import Event, as_completed

    Client = _dask_client_class()
    client = Client(scheduler, timeout="30s") if isinstance(scheduler, str) else scheduler
    own = isinstance(scheduler, str)
    futures = {}
    stop_event = f"fidelia-sweep-stop-{uuid.uuid4().hex}"
    completed = False
    try:
        data = Path(notebook).read_bytes()  # sent with each task: scattered data dies with its worker
        for (rid, params), run_p in zip(todo, run_params):
            fut = client.submit(_dask_task, str(Path(notebook).resolve()), data, nb_sha, run_p, timeout, kernel,
                                1, stop_event, key=f"fidelia-run-{rid}", pure=False)
            futures[fut] = (rid, params)
        for fut in as_completed(futures):
            rid, params = futures[fut]
            try:
                info = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker after repeated losses
                text = str(exc).strip().splitlines()
                info = {"seconds": 0.0, "error": f"{type(exc).__name__}: {text[-1] if text else ''}"}
            target = out / "notebooks" / f"{rid}.ipynb"
            if info.get("executed") is not None:
                _write_atomic(target, info["executed"])
            else:  # an earlier attempt's copy must not pass for this run's
                target.unlink(missing_ok=True)
            if info.get("html_bytes") is not None:
                _write_atomic(target.with_suffix(".html"), info["html_bytes"])
            finish(rid, params, {k: info.get(k) for k in ("seconds", "error")}, info.get("worker_wall", 0.0))
            tick(rid)
            fut.release()
        completed = True
    except KeyboardInterrupt:
        signals.ignore_further()
        raise
    finally:
        if futures and not completed:
            with contextlib.suppress(Exception):  # the cluster may be gone too; the runs then die with it
                Event(stop_event, client=client).set()
        if futures:
            client.cancel(list(futures))
        if own:
            client.close()


# ---------------------------------------------------------------------------- reading a sweep's table

def replicate_means(table: pd.DataFrame, value_cols: str | list[str], *, by: str | list[str],
                    ci: float = 0.95) -> pd.DataFrame:
    """Mean of each result over a sweep's replicates, per point, with a t confidence interval.

    The replicates of a point differ only in their seed, so their results are independent
    draws of the same quantity; the interval says how well their mean pins it down.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep's results (``results.csv``). Rows whose ``status`` is not ``'ok'`` are left out
        when the table has a ``status`` column.
    value_cols : str or list of str
        The recorded results to average (numeric or true/false columns).
    by : str or list of str
        The parameters that define a point (e.g. ``["n_customers", "model"]``).
    ci : float, default=0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per point and result: the ``by`` columns, ``quantity`` (the result's name),
        ``runs``, ``mean``, ``sd``, ``ci_low`` and ``ci_high``. A point with one run has no
        spread: its ``sd`` and interval are missing.

    Raises
    ------
    TypeError
        ``table`` is not a DataFrame.
    ValueError
        A column is missing or not numeric, or ``ci`` is outside [0.5, 0.9999].

    Notes
    -----
    With n runs of mean m and standard deviation s, the interval is
    :math:`m \\pm t_{n-1,\\,(1+ci)/2}\\, s / \\sqrt{n}`.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"n": [500, 500, 500, 2000, 2000], "status": "ok",
    ...                      "bias": [0.10, 0.20, 0.30, 0.05, 0.07]})
    >>> replicate_means(runs, "bias", by="n").round(3)
          n quantity  runs  mean     sd  ci_low  ci_high
    0   500     bias     3  0.20  0.100  -0.048    0.448
    1  2000     bias     2  0.06  0.014  -0.067    0.187
    """
    import pandas as pd
    from scipy import stats

    value_cols = [value_cols] if isinstance(value_cols, str) else list(value_cols)
    by = [by] if isinstance(by, str) else list(by)
    check_frame("table", table, [*by, *value_cols])
    level = check_ci(ci)
    for col in value_cols:
        if not (pd.api.types.is_numeric_dtype(table[col]) or pd.api.types.is_bool_dtype(table[col])):
            raise ValueError(f"`table`: column {col!r} must hold numbers or true/false; got {table[col].dtype}.")
    rows = table[table["status"] == "ok"] if "status" in table.columns else table
    frames = []
    for col in value_cols:
        values = rows[by].assign(value=rows[col].astype(float))
        out = values.groupby(by, sort=True)["value"].agg(runs="count", mean="mean", sd="std").reset_index()
        n = out["runs"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            half = stats.t.ppf((1 + level) / 2, np.where(n > 1, n - 1, np.nan)) * out["sd"] / np.sqrt(n)
        out.insert(len(by), "quantity", col)
        out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
        frames.append(out)
    return pd.concat(frames, ignore_index=True)
