"""Run untrusted code (a student's notebook) with limits, inside bubblewrap where it is installed.

:func:`run_sandboxed` starts a command in a folder of its own, in its own process group
(session), with a wall-clock timeout and these process limits (:class:`Limits`): CPU seconds
(``RLIMIT_CPU``), address space (``RLIMIT_AS``), processes (``RLIMIT_NPROC``), file size
(``RLIMIT_FSIZE``) and no core files. Linux does not apply the process limit to root, so run as
root the run also gets a ``pids`` control group of its own with the same limit, where the
system offers one.

Where bubblewrap (Debian package ``bubblewrap``) is on the PATH and works, the command runs
inside it: a new root holding read-only the system folders, Python and the kit's package only;
the submission's folder as ``/submission``, the only writable folder besides an empty ``/tmp``;
no network (``--unshare-all``); its own PID namespace, so nothing it started outlives it
(``--die-with-parent``, ``--new-session``); its own user namespace, as the user ``nobody``.
Paths given as ``hide`` (the keys, the roster, the other submissions, the grade book) are
covered even if they lie inside a folder the sandbox sees. Without bubblewrap the grader warns once and relies on the process limits alone.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .._results import Result

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import PathLike

__all__ = ["Limits", "SandboxRun", "bwrap_available", "run_sandboxed", "SANDBOX_DIR", "NOBODY"]

_PIDS_CGROUPS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))

#: Where the submission's folder appears inside bubblewrap.
SANDBOX_DIR = "/submission"

#: The user id and group id a command runs as inside bubblewrap.
NOBODY = 65534

#: Set to stop every sandboxed run of this process (the grader's Ctrl-C): each kills its processes and
#: raises KeyboardInterrupt in the thread that waits for it.
_cancel = threading.Event()

_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
_warned: list = []


@dataclass(frozen=True)
class Limits:
    """The limits of one sandboxed run.

    Parameters
    ----------
    timeout : float, default=600
        Wall-clock seconds before the whole run (every process it started) is killed.
    cpu_seconds : int, optional
        CPU seconds per process (``RLIMIT_CPU``); by default ``timeout`` + 10.
    memory_mb : int, default=4096
        Address space per process in MiB (``RLIMIT_AS``): a larger allocation fails with
        ``MemoryError``.
    processes : int, default=256
        Processes and threads the run may have at once (``RLIMIT_NPROC``).
    file_mb : int, default=512
        Largest file the run may write, in MiB (``RLIMIT_FSIZE``).

    Examples
    --------
    >>> Limits(timeout=60).cpu
    70
    """

    timeout: float = 600.0
    cpu_seconds: int | None = None
    memory_mb: int = 4096
    processes: int = 256
    file_mb: int = 512

    def __post_init__(self):
        for name in ("timeout", "memory_mb", "processes", "file_mb"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise ValueError(f"Limits: {name} must be a number > 0; got {v!r}.")
        if self.cpu_seconds is not None and (not isinstance(self.cpu_seconds, int) or self.cpu_seconds <= 0):
            raise ValueError(f"Limits: cpu_seconds must be a whole number > 0; got {self.cpu_seconds!r}.")

    @property
    def cpu(self) -> int:
        """CPU seconds per process."""
        return int(self.cpu_seconds if self.cpu_seconds is not None else self.timeout + 10)


@dataclass(frozen=True, repr=False)
class SandboxRun(Result):
    """What a sandboxed run did.

    Attributes
    ----------
    returncode : int or None
        The command's exit status (negative: killed by that signal); None when the wall-clock
        limit killed it.
    timed_out : bool
    seconds : float
        Wall-clock time.
    stdout, stderr : str
        The command's output (the last 20,000 characters of each).
    sandbox : str
        ``"bwrap"`` or ``"limits"`` (process limits alone).

    Examples
    --------
    >>> SandboxRun(0, False, 0.5, "", "", "limits").ok
    True
    """

    returncode: int | None
    timed_out: bool
    seconds: float
    stdout: str
    stderr: str
    sandbox: str

    @property
    def ok(self) -> bool:
        """The command ended by itself with status 0."""
        return self.returncode == 0 and not self.timed_out


@lru_cache(maxsize=1)
def _bwrap_works(bwrap: str) -> bool:
    args = [bwrap, "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--unshare-all", "--die-with-parent",
            "--new-session", "--uid", str(NOBODY), "--gid", str(NOBODY), "true"]
    try:
        return subprocess.run(args, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def bwrap_available() -> bool:
    """Whether bubblewrap is on the PATH and can start a sandbox here.

    Returns
    -------
    bool

    Examples
    --------
    >>> isinstance(bwrap_available(), bool)
    True
    """
    path = shutil.which("bwrap")
    return bool(path) and sys.platform.startswith("linux") and _bwrap_works(path)


def _pids_cgroup(limit: int) -> Path | None:
    """A new ``pids`` control group limited to ``limit`` tasks (root only), or None where there is none."""
    if os.geteuid() != 0:
        return None
    for base in _PIDS_CGROUPS:
        if not (base / "cgroup.procs").exists():
            continue
        for stale in base.glob("fidelia-grade-*"):  # left by a run whose processes took long to go; empty by now
            try:
                if time.time() - stale.stat().st_mtime > 600:
                    stale.rmdir()
            except OSError:
                pass
        try:
            group = Path(tempfile.mkdtemp(prefix="fidelia-grade-", dir=base))
        except OSError:
            continue
        try:
            (group / "pids.max").write_text(str(limit))
            return group
        except OSError:
            _remove_cgroup(group)
    return None


def _remove_cgroup(group: Path | None) -> None:
    if group is None:
        return
    for _ in range(100):
        try:
            for pid in (group / "cgroup.procs").read_text().split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
            group.rmdir()
            return
        except OSError:
            time.sleep(0.1)


def _own_tasks() -> int:
    """Processes and threads this user runs now (RLIMIT_NPROC counts them all)."""
    uid, n = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    n += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return n


_LIMITER = """\
import os, resource, sys
procs, values, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
if procs:
    with open(procs, "w") as f:
        f.write(str(os.getpid()))
for item in values.split(","):
    which, value = (int(v) for v in item.split("="))
    hard = resource.getrlimit(which)[1]
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(which, (value, value))
os.execvp(argv[0], argv)
"""


def _limited(argv: list, limits: Limits, group: Path | None) -> list:
    """``argv`` started through a small Python that joins the control group, sets the limits and execs it.

    (Setting them in the child between fork and exec, ``preexec_fn``, may deadlock in a grader that
    runs several submissions from threads.)
    """
    import resource

    nproc = limits.processes if os.geteuid() == 0 else _own_tasks() + limits.processes
    values = ((resource.RLIMIT_CPU, limits.cpu), (resource.RLIMIT_AS, limits.memory_mb * 2**20),
              (resource.RLIMIT_NPROC, nproc), (resource.RLIMIT_FSIZE, limits.file_mb * 2**20),
              (resource.RLIMIT_CORE, 0))
    spec = ",".join(f"{int(w)}={int(v)}" for w, v in values)
    procs = str(group / "cgroup.procs") if group is not None else ""
    return [sys.executable, "-S", "-c", _LIMITER, procs, spec, *argv]


def _bwrap_args(bwrap: str, workdir: Path, hide: Sequence[Path], env: dict) -> list:
    import fidelia_kit

    args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--uid", str(NOBODY), "--gid", str(NOBODY),
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--clearenv"]
    seen = set()
    binds = [Path(d) for d in _SYSTEM_DIRS] + [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
                                               Path(fidelia_kit.__file__).resolve().parent]
    binds += [Path(p) for p in sys.path if p and Path(p).is_dir() and "site-packages" in p]
    for d in binds:
        for p in {d, d.resolve()} if d.exists() else ():
            if str(p) not in seen and not any(str(p).startswith(s + "/") for s in seen):
                seen.add(str(p))
                args += ["--ro-bind", str(p), str(p)]
    for h in hide:
        h = Path(h).resolve()
        if h.exists() and any(str(h) == s or str(h).startswith(s + "/") for s in seen):
            args += ["--tmpfs", str(h)] if h.is_dir() else ["--ro-bind", "/dev/null", str(h)]
    args += ["--bind", str(workdir), SANDBOX_DIR, "--remount-ro", "/", "--chdir", SANDBOX_DIR]
    for k, v in env.items():
        args += ["--setenv", k, v]
    return args


def _kill_tree(pid: int) -> None:
    """Kill a process group and every process descended from its leader (kernels start sessions of their own)."""
    try:
        import psutil
        try:
            family = psutil.Process(pid).children(recursive=True)
        except psutil.Error:
            family = []
    except ImportError:  # pragma: no cover - psutil comes with jupyter
        family = []
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    for p in family:
        try:
            p.kill()
        except Exception:  # noqa: BLE001 - already gone
            pass


def run_sandboxed(argv: Sequence[str], workdir: PathLike, *, limits: Limits | None = None,
                  hide: Sequence[PathLike] = (), use_bwrap: bool | None = None,
                  env: dict | None = None) -> SandboxRun:
    """Run a command in ``workdir`` with limits, inside bubblewrap where it is available.

    Parameters
    ----------
    argv : sequence of str
        The command. Inside bubblewrap the folder is ``/submission`` (:data:`SANDBOX_DIR`), so
        paths in ``argv`` should be relative to it.
    workdir : str or Path
        The run's folder: its working directory and the only one it may write to (with ``/tmp``,
        empty and private, inside bubblewrap).
    limits : Limits, optional
        Default :class:`Limits`.
    hide : sequence of paths, default=()
        Files and folders the command must not see.
    use_bwrap : bool, optional
        Default: when :func:`bwrap_available`. ``True`` without bubblewrap raises; ``False`` uses
        the process limits alone.
    env : dict, optional
        Extra environment variables. The command gets a small environment: ``PATH`` (the kit's
        Python first), ``HOME`` and Jupyter's and matplotlib's folders in a private place, and one
        BLAS thread.

    Returns
    -------
    SandboxRun

    Raises
    ------
    RuntimeError
        ``use_bwrap=True`` but bubblewrap cannot run here.

    Warns
    -----
    UserWarning
        Once per process, when bubblewrap is not available and the limits alone apply.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     run = run_sandboxed([sys.executable, "-c", "print(6 * 7)"], d, limits=Limits(timeout=30))
    >>> run.ok, run.stdout.strip()
    (True, '42')
    """
    limits = limits or Limits()
    workdir = Path(workdir).resolve()
    if not workdir.is_dir():
        raise FileNotFoundError(f"run_sandboxed(): workdir {workdir} is not a folder.")
    if use_bwrap is None:
        use_bwrap = bwrap_available()
        if not use_bwrap and not _warned:
            _warned.append(True)
            warnings.warn("bubblewrap (bwrap) is not available: submissions run with process limits alone (time, CPU, "
                          "memory, processes), which cannot stop one from reading or writing files the grader's user "
                          "may; install the Debian package 'bubblewrap'.", UserWarning, stacklevel=2)
    elif use_bwrap and not bwrap_available():
        raise RuntimeError("run_sandboxed(use_bwrap=True): bubblewrap (bwrap) is not installed or cannot run here.")
    home = "/tmp" if use_bwrap else str(workdir / ".home")
    base_env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": home,
                "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{home}/.matplotlib",
                "JUPYTER_RUNTIME_DIR": f"{home}/.jupyter-runtime", "JUPYTER_CONFIG_DIR": f"{home}/.jupyter",
                "JUPYTER_DATA_DIR": f"{home}/.jupyter-data", "IPYTHONDIR": f"{home}/.ipython",
                "MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "PYDEVD_DISABLE_FILE_VALIDATION": "1", "FIDELIA_CACHE_DIR": f"{home}/.fidelia-cache",
                **(env or {})}
    if use_bwrap:
        command = _bwrap_args(shutil.which("bwrap"), workdir, [Path(h) for h in hide], base_env) + list(argv)
        run_env, cwd = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, "/"
    else:
        Path(home).mkdir(exist_ok=True)
        command, run_env, cwd = list(argv), base_env, str(workdir)
    start = time.perf_counter()
    group = _pids_cgroup(limits.processes)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(_limited(command, limits, group), cwd=cwd, env=run_env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err, start_new_session=True, close_fds=True)
        except BaseException:
            _remove_cgroup(group)
            raise
        timed_out = False
        deadline = time.monotonic() + limits.timeout
        try:
            while True:
                try:
                    proc.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    if _cancel.is_set():
                        raise KeyboardInterrupt("the grader was interrupted") from None
                    if time.monotonic() >= deadline:
                        timed_out = True
                        break
        except BaseException:  # Ctrl-C in the grader: the run must not outlive it
            _kill_tree(proc.pid)
            proc.wait()
            _remove_cgroup(group)
            raise
        finally:
            if not use_bwrap or timed_out:
                _kill_tree(proc.pid)  # a kernel starts a session of its own: kill it by ancestry too
            if timed_out:
                proc.wait()
            _remove_cgroup(group)
        seconds = time.perf_counter() - start

        def tail(f):
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 20_000))
            return f.read().decode("utf-8", "replace")

        return SandboxRun(None if timed_out else proc.returncode, timed_out, seconds, tail(out), tail(err),
                          "bwrap" if use_bwrap else "limits")
