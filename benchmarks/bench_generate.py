"""Benchmark: generate a world of 1,000,000 customers (target: < 2 minutes, < 8 GB).

Runs generate_world in this process and reports wall time and peak resident memory
(ru_maxrss), then the time to write the CSV files. Usage:

    .venv/bin/python benchmarks/bench_generate.py [--customers N] [--save]
"""
from __future__ import annotations

import argparse
import platform
import resource
import shutil
import tempfile
import time

import numpy as np

from fidelia_kit import generate_world


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--save", action="store_true", help="also time World.save to a temporary folder")
    args = ap.parse_args()
    t0 = time.perf_counter()
    world = generate_world(n_customers=args.customers, seed=2026)
    t_gen = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"machine: {platform.processor() or platform.machine()}, numpy {np.__version__}")
    print(f"generate_world(n_customers={args.customers:,}): {t_gen:.1f} s, peak RSS {peak_gb:.2f} GB")
    print("rows: " + ", ".join(f"{k}={len(v):,}" for k, v in world.tables.items()))
    if args.save:
        tmp = tempfile.mkdtemp()
        try:
            t0 = time.perf_counter()
            world.save(f"{tmp}/world")
            t_save = time.perf_counter() - t0
            peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
            print(f"World.save: {t_save:.1f} s, peak RSS so far {peak_gb:.2f} GB")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
