"""Benchmark: `fidelia grade` of 40 submissions of one exercise with --jobs 2 (target: under 3 minutes).

Assigns the exercise to a roster of 40, hands in the reference solution for every student, and
grades them in the sandbox (bubblewrap when installed). Prints the wall time, the time per
submission, the sandbox used, and the peak memory (the largest resident set of the grader and of
any one process it started). Usage:
.venv/bin/python benchmarks/bench_grade.py [--exercise tests/data/exercises/00_demo] [--students 40] [--jobs 2]
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
        start = time.perf_counter()
        run = grade(exercise, subs, roster, d / "grades", salt="bench", jobs=args.jobs, timeout=300)
        wall = time.perf_counter() - start
    full = sum(g.points == sum(q["possible"] for q in g.questions if q["kind"] != "text") for g in run.grades)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{exercise.name}: {len(run.grades)} submissions, --jobs {args.jobs}, sandbox {run.sandbox}: "
          f"{wall:.1f} s ({wall / len(run.grades):.2f} s per submission); full marks {full}/{len(run.grades)}; "
          f"peak memory: grader {own:.0f} MB, largest process it started {child:.0f} MB")
    return 0 if wall < 180 else 1


if __name__ == "__main__":
    sys.exit(main())
