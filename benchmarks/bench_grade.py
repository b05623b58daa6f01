"""Benchmark: `fidelia grade` of 40 submissions of one exercise with --jobs 2 (target: under 3 minutes).

Assigns the exercise to a roster of 40, hands in the reference solution for every student, and
grades them in the sandbox (bubblewrap when installed). Prints the wall time, the time per
submission, the sandbox used, and the peak memory: the largest sum of the resident sets of the
grader and every process it started (kernels included), sampled every 0.2 s. Usage:
.venv/bin/python benchmarks/bench_grade.py [--exercise tests/data/exercises/00_demo] [--students 40] [--jobs 2]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def _sample_peak(stop: threading.Event, peak: list) -> None:
    me = psutil.Process()
    while not stop.is_set():
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                continue
        peak[0] = max(peak[0], total)
        stop.wait(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default=str(ROOT / "tests" / "data" / "exercises" / "00_demo"))
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    sys.modules.setdefault("rfc3987_syntax", None)  # as the command line does
    from fidelia_kit.grading import assign, grade

    exercise = Path(args.exercise)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        roster = d / "class.csv"
        roster.write_text("id,name\n" + "".join(f"s{i:03d},Student {i}\n" for i in range(args.students)))
        assign(exercise, roster, d / "release", salt="bench")
        subs = d / "submissions"
        subs.mkdir()
        for i in range(args.students):
            shutil.copy(exercise / "instructor" / "solution.ipynb", subs / f"s{i:03d}.ipynb")
        stop, peak = threading.Event(), [0]
        sampler = threading.Thread(target=_sample_peak, args=(stop, peak), daemon=True)
        sampler.start()
        start = time.perf_counter()
        run = grade(exercise, subs, roster, d / "grades", salt="bench", jobs=args.jobs, timeout=300)
        wall = time.perf_counter() - start
        stop.set()
        sampler.join()
    full = sum(g.points == sum(q["possible"] for q in g.questions if q["kind"] != "text") for g in run.grades)
    print(f"{exercise.name}: {len(run.grades)} submissions, --jobs {args.jobs}, sandbox {run.sandbox}: "
          f"{wall:.1f} s ({wall / len(run.grades):.2f} s per submission); full marks {full}/{len(run.grades)}; "
          f"peak memory (grader and every process it started, together) {peak[0] / 2**20:.0f} MB")
    return 0 if wall < 180 else 1


if __name__ == "__main__":
    sys.exit(main())
