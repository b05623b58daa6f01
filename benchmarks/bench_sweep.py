"""Benchmark: `fidelia sweep` of 20 runs of a notebook that computes for about 5 s, with --jobs 2.

Target (issue 17): on a 2-core machine the sweep's wall time is at most 1.25 x (sum of the runs'
times / 2), i.e. a parallel efficiency of at least 80 %. A run's time is its ``duration_s`` in
results.csv (papermill's execution: kernel start and every cell); the wall time also holds each
run's process start, HTML export, results reading and the atomic table rewrites.
Usage: .venv/bin/python benchmarks/bench_sweep.py [--jobs 2] [--runs 20] [--seconds 4.5]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_notebook

PARAMETERS = """# Parameters (papermill overrides these; literals only)
seconds = 4.5   # CPU time the notebook spends
seed = 0        # seed of the random matrices"""

WORK = """import time

import numpy as np

from fidelia_kit import record

rng = np.random.default_rng(seed)
start = time.perf_counter()
n = 0
while time.perf_counter() - start < seconds:  # busy: a core's worth of work, not a sleep
    np.linalg.svd(rng.normal(size=(120, 120)))
    n += 1
record("svds", n)"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=4.5, help="compute per run (kernel start comes on top)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        nb = new_notebook(cells=[new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}), new_code_cell(WORK)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, tmp / "work.ipynb")
        (tmp / "spec.yaml").write_text(f"parameters: {{seconds: {args.seconds}}}\nreplicates: {args.runs}\nseed: 1\n")
        start = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "fidelia_kit", "sweep", str(tmp / "work.ipynb"), "--spec",
                              str(tmp / "spec.yaml"), "--out", str(tmp / "out"), "--jobs", str(args.jobs), "--quiet"],
                             capture_output=True, text=True)
        wall = time.perf_counter() - start
        if res.returncode != 0:
            sys.exit(f"the sweep failed ({res.returncode}): {res.stderr.strip()}")
        table = pd.read_csv(tmp / "out" / "results.csv")
    total = table["duration_s"].sum()
    ideal = total / args.jobs
    print(res.stdout.strip())
    print(f"{len(table)} runs, mean {table['duration_s'].mean():.1f} s each, sum {total:.1f} s; --jobs {args.jobs}: "
          f"wall {wall:.1f} s = {wall / ideal:.2f} x (sum / jobs); parallel efficiency {ideal / wall:.0%} "
          f"(target: wall <= 1.25 x, efficiency >= 80 %)")


if __name__ == "__main__":
    main()
