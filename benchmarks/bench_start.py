"""Benchmark: how fast a notebook answers, before (a reference commit) and after (this tree), in one run.

Measures, for the reference commit (default 0e0a5ac, checked out into a temporary git worktree and
imported through PYTHONPATH with this virtual environment's packages) and for the working tree:

- ``import fidelia_kit`` in a fresh interpreter (target: under 0.5 s);
- ``load_world`` of the default data set: the first call on a fresh copy of ``datasets/`` and the
  second call, in a new process as the next notebook makes it (target: under 0.3 s);
- each notebook alone (``fidelia run NB``), with where its time goes: kernel start and papermill,
  the setup cell (imports and ``load_world``), the other cells, and the rest of the command (the
  command's own start and the HTML export) (target: median under 6 s each);
- ``fidelia run --all --jobs 2`` (target: under 30 s).

Every figure is the median of ``--repeat`` runs (default 3); each measurement is taken before,
then after, so both see the same machine load. The table goes to stdout and to benchmarks/results/bench_start.md.
Usage: .venv/bin/python benchmarks/bench_start.py [--ref 0e0a5ac] [--repeat 3] [--notebooks 00 04]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CACHE = ".fidelia-cache"


def _env(tree: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FIDELIA_CACHE_DIR")}
    env["PYTHONPATH"] = str(tree)  # ahead of the editable install of this tree
    env["MPLBACKEND"] = "Agg"
    return env


def _python(tree: Path, code: str) -> str:
    res = subprocess.run([sys.executable, "-c", code], cwd=tree, env=_env(tree), capture_output=True, text=True,
                         check=True, timeout=600)
    return res.stdout.strip().splitlines()[-1]


def _seconds_import(tree: Path) -> float:
    code = "import time; t = time.perf_counter(); import fidelia_kit; print(time.perf_counter() - t)"
    return float(_python(tree, code))


def _seconds_load(tree: Path, folder: Path) -> float:
    code = ("import time, fidelia_kit as fk; fk.load_world; t = time.perf_counter(); "
            f"fk.load_world({str(folder)!r}); print(time.perf_counter() - t)")
    return float(_python(tree, code))


def _notebook(tree: Path, nb: Path, out: Path) -> dict:
    """Run one notebook with the command line; split its wall time from the executed notebook."""
    import nbformat

    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fidelia_kit", "run", str(nb), "--quiet", "--out", str(out)], cwd=tree,
                   env=_env(tree), check=True, capture_output=True, timeout=1200)
    wall = time.perf_counter() - t
    done = nbformat.read(out / nb.name, as_version=4)
    code = [c for c in done.cells if c.cell_type == "code"]
    cells = [c.metadata.get("papermill", {}).get("duration") or 0.0 for c in code]
    setup = next(i for i, c in enumerate(code) if "import fidelia_kit" in c.source)
    papermill = done.metadata["papermill"]["duration"]
    return {"wall": wall, "kernel": papermill - sum(cells), "setup": cells[setup],
            "cells": sum(cells) - cells[setup], "rest": wall - papermill}


def _run_all(tree: Path, out: Path) -> float:
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "fidelia_kit", "run", "--all", "--jobs", "2", "--quiet", "--out",
                          str(out)], cwd=tree, env=_env(tree), capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - t
    if res.returncode != 0:
        raise RuntimeError(f"fidelia run --all failed in {tree}:\n{res.stderr}")
    return seconds


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores ({model}), {platform.system()} {platform.machine()}, Python {platform.python_version()}"


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default="0e0a5ac", help="the commit measured as 'before' (default 0e0a5ac)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the table shows the median")
    ap.add_argument("--notebooks", nargs="*", default=None, help="numbers of the notebooks to time alone (default all)")
    args = ap.parse_args()
    med = statistics.median
    load_before = _load()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        tmp = Path(tmp)
        ref = tmp / "ref"
        subprocess.run(["git", "worktree", "add", "--detach", str(ref), args.ref], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            trees = {"before": ref, "after": ROOT}
            names = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
                           if args.notebooks is None or p.name[:2] in args.notebooks)
            m = {side: {"import": [], "load1": [], "load2": [], "all": [], "nb": {n: [] for n in names}}
                 for side in trees}
            for tree in trees.values():  # the notebooks start as after any first run (the cache, if any, is warm)
                _seconds_load(tree, tree / "datasets")
            for rep in range(args.repeat):  # each measurement before, then after: both see the same load
                step = f"[{rep + 1}/{args.repeat}]"
                print(f"{step} import, load_world", file=sys.stderr)
                for side, tree in trees.items():
                    m[side]["import"].append(_seconds_import(tree))
                    data = tmp / f"data-{side}-{rep}"
                    shutil.copytree(tree / "datasets", data, ignore=shutil.ignore_patterns(CACHE))
                    m[side]["load1"].append(_seconds_load(tree, data))
                    m[side]["load2"].append(_seconds_load(tree, data))
                    shutil.rmtree(data)
                for n in names:
                    print(f"{step} {n}", file=sys.stderr)
                    for side, tree in trees.items():
                        m[side]["nb"][n].append(_notebook(tree, tree / "notebooks" / n, tmp / f"out-{side}-{rep}"))
                print(f"{step} fidelia run --all --jobs 2", file=sys.stderr)
                for side, tree in trees.items():
                    m[side]["all"].append(_run_all(tree, tmp / f"all-{side}-{rep}"))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(ref)], cwd=ROOT, capture_output=True)
    minutes = (time.perf_counter() - started) / 60
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()

    def cell(side, key, fmt="{:.2f} s"):
        return fmt.format(med(m[side][key]))

    lines = [f"`benchmarks/bench_start.py`, {dt.date.today().isoformat()}: before = {args.ref}, after = {sha}"
             f"{' + uncommitted changes' if dirty else ''}; {_machine()}; load average {load_before} at the start, "
             f"{_load()} at the end; median of {args.repeat} runs, each measurement before, then after; {minutes:.0f} min.",
             "",
             "| what | before | after | target |",
             "| --- | --- | --- | --- |",
             f"| `import fidelia_kit` | {cell('before', 'import')} | {cell('after', 'import')} | < 0.5 s |",
             f"| `load_world(\"datasets\")`, first call | {cell('before', 'load1')} | {cell('after', 'load1')} | - |",
             f"| `load_world(\"datasets\")`, second call (new process) | {cell('before', 'load2')} | "
             f"{cell('after', 'load2')} | < 0.3 s |",
             f"| `fidelia run --all --jobs 2` | {cell('before', 'all', '{:.1f} s')} | {cell('after', 'all', '{:.1f} s')} "
             "| < 30 s |"]
    lines += ["", "Each notebook alone (`fidelia run NB`), median wall time, and where it goes (after): kernel start "
              "and papermill; the setup cell (imports, `load_world`); the other cells; the command's own start and "
              "the HTML export.", "",
              "| notebook | before | after | kernel | setup cell | other cells | start + HTML |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for n in names:
        b = med(r["wall"] for r in m["before"]["nb"][n])
        a = {k: med(r[k] for r in m["after"]["nb"][n]) for k in ("wall", "kernel", "setup", "cells", "rest")}
        lines.append(f"| `{n[:-6]}` | {b:.1f} s | {a['wall']:.1f} s | {a['kernel']:.1f} s | {a['setup']:.1f} s | "
                     f"{a['cells']:.1f} s | {a['rest']:.1f} s |")
    if names:
        worst = {side: max(med(r["wall"] for r in m[side]["nb"][n]) for n in names) for side in trees}
        lines.append(f"| slowest (target < 6 s) | {worst['before']:.1f} s | {worst['after']:.1f} s | | | | |")
    table = "\n".join(lines)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_start.md").write_text(table + "\n", encoding="utf-8")
    (RESULTS / "bench_start.json").write_text(json.dumps(m, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
