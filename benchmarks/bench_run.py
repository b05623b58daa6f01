"""Benchmark: `fidelia run --all` on the default data set (target: `make run` under 2 minutes).

Times the notebook run alone and `fidelia data summary` (the other part of `make run` once the
virtual environment exists). Usage: .venv/bin/python benchmarks/bench_run.py [--jobs N]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    fidelia = [sys.executable, "-m", "fidelia_kit"]
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        subprocess.run(fidelia + ["data", "summary", str(ROOT / "datasets")], check=True, capture_output=True, cwd=ROOT)
        t1 = time.perf_counter()
        res = subprocess.run(fidelia + ["run", "--all", "--quiet", "--jobs", str(args.jobs), "--out", out],
                             capture_output=True, text=True, cwd=ROOT)
        t2 = time.perf_counter()
    print(res.stdout.strip())
    print(f"data summary: {t1 - t0:.1f} s; fidelia run --all (jobs={args.jobs}): {t2 - t1:.1f} s; total {t2 - t0:.1f} s")


if __name__ == "__main__":
    main()
