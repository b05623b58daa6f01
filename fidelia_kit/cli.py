"""The ``fidelia`` command line: a thin layer over the kit's functions.

Bad input (a bad option, a broken file, a folder that is not empty) prints one line,
``fidelia: error: ...``, on standard error and exits with status 2; never a traceback.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._version import __version__
from .exceptions import DataError
from .schema import TABLE_FILES, TABLES

__all__ = ["main"]

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exits 2 through main()."""

    def error(self, message):
        raise _UsageError(f"{self.prog}: {message}")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fidelia", description="fidelia_kit: customer-loyalty analytics on a synthetic world with known truth.")
    parser.add_argument("--version", action="version", version=f"fidelia_kit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    data = sub.add_parser("data", help="generate, validate and summarise data sets",
                          description="Generate, validate and summarise data sets.")
    dsub = data.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    dsub.required = True

    gen = dsub.add_parser("generate", help="write a synthetic world (tables + truth) to a folder",
                          description="Write a synthetic Fidelia world (all tables and truth.json) to a folder.")
    gen.add_argument("--customers", type=int, default=10_000, metavar="N", help="card holders, prospects included (default 10000)")
    gen.add_argument("--seed", type=int, default=2026, metavar="S", help="random seed (default 2026)")
    gen.add_argument("--years", type=int, default=2, metavar="Y", help="calendar years in the window (default 2)")
    gen.add_argument("--start", default="2024-01-01", metavar="DATE", help="first day of the window (default 2024-01-01)")
    gen.add_argument("--membership-first-year", type=int, default=None, metavar="YEAR",
                     help="first signup year of the paid membership (default 2016, moved back for windows that end "
                          "before it)")
    gen.add_argument("--out", required=True, metavar="DIR", help="folder to write; must be empty unless --force")
    gen.add_argument("--force", action="store_true", help="write into a folder that is not empty (replaces the data set's files)")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")

    val = dsub.add_parser("validate", help="check one table file; exit 0 if valid, 2 if not",
                          description="Check one table file against the schema. Prints one line; exits 0 if valid, 2 if not. "
                                      "Ids are checked against customers.csv / transactions.csv and dates against the "
                                      "window in truth.json when those sit in the same folder.")
    val.add_argument("file", metavar="FILE", help="the file (.csv, .xlsx or .parquet)")
    val.add_argument("--table", required=True, choices=list(TABLES), metavar="NAME",
                     help="which table the file holds: " + ", ".join(TABLES))
    val.add_argument("--customers", metavar="FILE", help="customers file to check customer ids against")
    val.add_argument("--transactions", metavar="FILE", help="transactions file to check transaction ids against")
    val.add_argument("--window", nargs=2, metavar=("START", "END"), help="observation window for date checks")
    val.add_argument("--sheet", metavar="NAME",
                     help="for an Excel file, the sheet to read (default: the one holding the table)")

    run = sub.add_parser("run", help="execute notebooks with papermill and report",
                         description="Execute notebooks (a process each, at most --jobs at once), write each executed "
                                     "notebook and its HTML export, outputs/index.html and outputs/results.json. Never "
                                     "writes over a notebook it runs. Exits 1 if any notebook failed, 2 on bad input, "
                                     "130 if interrupted (Ctrl-C or SIGTERM: the reports keep what had finished).")
    run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="notebooks to run (.ipynb)")
    run.add_argument("--all", action="store_true", help="run every numbered notebook in notebooks/")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="set a parameter (repeatable); values are read as Python literals, else as text; a relative "
                          "path given to a *_dir, *_path, *_file or *_folder parameter is taken from the current folder")
    run.add_argument("--out", default="outputs", metavar="DIR", help="output folder (default outputs/)")
    run.add_argument("--jobs", type=int, default=2, metavar="N", help="notebooks at once (default 2; at most the number of CPUs)")
    run.add_argument("--timeout", type=float, default=600, metavar="S", help="seconds a cell may run (default 600)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    swp = sub.add_parser("sweep", help="rerun a notebook over a grid of parameters (resumable)",
                         description="Run NOTEBOOK once per point of the spec's grid, in parallel processes or on a Dask "
                                     "cluster; writes OUT/results.csv, results.parquet, manifest.json and the executed "
                                     "notebooks. Started again, skips the finished runs. Exits 1 if any run failed, 2 on "
                                     "bad input, 130 if interrupted (every finished run is kept).")
    swp.add_argument("notebook", metavar="NOTEBOOK", help="the notebook (.ipynb)")
    swp.add_argument("--spec", required=True, metavar="FILE", help="the sweep spec (YAML: parameters, grid, points, replicates, seed)")
    swp.add_argument("--out", required=True, metavar="DIR", help="the sweep's folder, e.g. runs/NAME")
    swp.add_argument("--jobs", type=int, default=1, metavar="N", help="runs at once on this machine (default 1)")
    swp.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler, e.g. tcp://host:8786 (default: local processes)")
    swp.add_argument("--timeout", type=float, default=600, metavar="S", help="seconds a cell may run (default 600)")
    swp.add_argument("--retry-failed", action="store_true", help="run again the runs that failed before")
    swp.add_argument("--quiet", action="store_true", help="no progress bar")

    asg = sub.add_parser("assign", help="release an exercise: a world and a notebook per student",
                         description="Write, for each student of the roster, their own world and the exercise's notebook "
                                     "in their language with their parameters, in OUT/<id>/ and OUT/<id>.zip. The "
                                     "release holds no key, no solution and no other student's data.")
    asg.add_argument("exercise", metavar="EXERCISE", help="the exercise's folder or name, e.g. 01_customer_database")
    asg.add_argument("--roster", required=True, metavar="ROSTER", help="Moodle participants export, Canvas gradebook "
                                                                        "export or a CSV with id, name, email")
    asg.add_argument("--out", required=True, metavar="DIR", help="the release folder, e.g. release/")
    asg.add_argument("--salt", default=None, metavar="S", help="the course's secret that seeds the worlds (default: "
                                                               "$FIDELIA_SALT); grade needs the same")
    asg.add_argument("--customers", type=int, default=None, metavar="N", help="customers per world (default: the "
                                                                              "exercise's)")
    asg.add_argument("--lang", default="en", metavar="LANG", help="notebook language where the roster gives none "
                                                                  "(default en)")
    asg.add_argument("--quiet", action="store_true", help="no progress bar")

    grd = sub.add_parser("grade", help="grade the submissions of an exercise in a sandbox; write the grade book",
                         description="Execute each student's submission in a sandbox on their own world, score it "
                                     "against the key computed from that world, and write OUT/grades.csv (in the "
                                     "roster's shape: Canvas, Moodle or plain), scores.csv, free_text.csv, feedback "
                                     "pages and grade.log. A second run grades only the submissions that changed. With "
                                     "--manual, merges manually given points into the grade book instead. Exits 0, or "
                                     "2 on bad input.")
    grd.add_argument("exercise", metavar="EXERCISE", help="the exercise's folder or name")
    grd.add_argument("--submissions", metavar="DIR", help="folder of submissions: <id>/, <id>.zip, <id>.ipynb or a "
                                                          "Moodle/Canvas bulk download")
    grd.add_argument("--roster", required=True, metavar="ROSTER", help="the roster the grades go back to")
    grd.add_argument("--out", required=True, metavar="DIR", help="the grade book's folder, e.g. grades/")
    grd.add_argument("--salt", default=None, metavar="S", help="the course's secret given to assign (default: "
                                                               "$FIDELIA_SALT)")
    grd.add_argument("--customers", type=int, default=None, metavar="N", help="as given to assign")
    grd.add_argument("--jobs", type=int, default=1, metavar="N", help="submissions at once (default 1)")
    grd.add_argument("--timeout", type=float, default=600, metavar="S", help="seconds a submission may run "
                                                                             "(default 600)")
    grd.add_argument("--cell-timeout", type=float, default=None, metavar="S", help="seconds a cell may run before "
                                                                                   "it is interrupted (default: a "
                                                                                   "third of --timeout)")
    grd.add_argument("--memory", type=int, default=4096, metavar="MB", help="address space per process of a "
                                                                            "submission (default 4096)")
    grd.add_argument("--hide-expected", action="store_true", help="feedback pages leave out the expected answers")
    grd.add_argument("--manual", metavar="FILE", help="merge manual points (id, question, points) into the grade "
                                                      "book; nothing is executed")

    summ = dsub.add_parser("summary", help="print a short summary of a data set folder",
                           description="Print table sizes, the date range and the main truth parameters of a data set.")
    summ.add_argument("folder", nargs="?", default="datasets", metavar="DIR", help="data set folder (default datasets)")
    return parser


def _generate(args) -> int:
    import signal
    import threading

    # SIGTERM interrupts like Ctrl-C: the world is discarded, the folder left as it was
    out, term, written = Path(args.out), None, []
    if threading.current_thread() is threading.main_thread():
        term = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return _generate_world(args, out, written)
    except KeyboardInterrupt:
        truth = out / "truth.json"
        if written and truth.is_file() and truth.read_text(encoding="utf-8") == written[0]:
            print(f"fidelia: interrupted after the data set was written to {out}.", file=sys.stderr)
        else:
            print(f"fidelia: interrupted; nothing was written, {out} is as it was.", file=sys.stderr)
        return 130  # 128 + SIGINT, as shells report an interrupted command
    finally:
        if term is not None:
            signal.signal(signal.SIGTERM, term)


def _generate_world(args, out: Path, written: list) -> int:
    """generate's work; ``written`` receives the text of truth.json before the files are saved."""
    import dataclasses
    import datetime as dt

    from .synth import WorldConfig, generate_world
    from .synth.world import available_memory, peak_memory_estimate, remove_leftovers, truth_text

    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out}: exists and is not a folder.")
    try:
        removed = remove_leftovers(out)
        not_empty = out.exists() and any(out.iterdir())
    except OSError as exc:
        raise DataError(f"--out {out}: cannot read the folder ({exc.strerror or exc}).") from None
    if removed:
        print(f"fidelia: removed {len(removed)} temporary folder(s) left by an interrupted run "
              f"({', '.join(str(p) for p in removed)}).", file=sys.stderr)
    if not_empty and not args.force:
        raise DataError(f"--out {out}: folder is not empty; use --force to write into it or choose another folder.")
    flags = {"n_customers": "--customers", "seed": "--seed", "n_years": "--years", "start_date": "--start",
             "membership_first_year": "--membership-first-year"}
    knobs = {"n_customers": args.customers, "seed": args.seed, "n_years": args.years, "start_date": args.start}
    # the paid membership predates the card by as many years as in the default world; a window
    # that ends before its default first year moves it back, as no option sets it
    fields = {f.name: f for f in dataclasses.fields(WorldConfig)}
    first_year = fields["membership_first_year"].default
    lead = dt.date.fromisoformat(fields["start_date"].default).year - first_year
    try:
        start_year = dt.date.fromisoformat(args.start).year
    except ValueError:
        start_year = None  # WorldConfig names --start below
    if args.membership_first_year is not None:
        knobs["membership_first_year"] = args.membership_first_year
    elif start_year is not None and start_year + args.years - 1 < first_year:
        knobs["membership_first_year"] = max(start_year - lead, fields["membership_first_year"].metadata["range"][0])
    try:
        config = WorldConfig(**knobs)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        for knob, flag in flags.items():
            message = message.replace(f"`{knob}`", flag)
        raise ValueError(message) from None
    need, have = peak_memory_estimate(config), available_memory()
    if have is not None and need > have:
        fits = int(args.customers * have / need) // 1000 * 1000
        advice = f"use at most about {fits:,} customers" if fits >= 1000 else "free some memory first"
        raise ValueError(f"--customers {args.customers:,} needs about {need / 1e9:.1f} GB of memory to generate, "
                         f"more than the {have / 1e9:.1f} GB available; {advice}.")
    world = generate_world(config, progress=not args.quiet)
    written.append(truth_text(world.truth))
    try:
        world.save(out, overwrite=True, progress=not args.quiet)
    except OSError as exc:
        if isinstance(exc, FileExistsError):  # refused before anything was written; name the option
            raise DataError(f"--out {exc}") from None
        reason = exc.strerror or str(exc)
        raise DataError(f"--out {out}: could not write the data set ({reason}); nothing was written.") from None
    n_tx = len(world.transactions)
    moved = (f"; paid membership from {config.membership_first_year}"
             if "membership_first_year" in knobs and args.membership_first_year is None else "")
    print(f"wrote {len(world.tables) + 1} files to {out}: {args.customers:,} customers, {n_tx:,} transactions "
          f"(seed {args.seed}{moved}).")
    return 0


def _validate(args) -> int:
    import warnings

    from ._validation import as_window
    from .io import read_table, read_truth, truth_window

    path = Path(args.file)
    folder = path.parent
    refs = {}
    for name in ("customers", "transactions"):
        given = getattr(args, name)
        sibling = folder / TABLE_FILES[name]
        needs = any(c.references and c.references.startswith(name + ".") for c in TABLES[args.table])
        if given:
            refs[name] = given
        elif needs and args.table != name and sibling.is_file() and sibling.resolve() != path.resolve():
            refs[name] = sibling
    if args.window:
        as_window("--window", args.window)
        window = tuple(args.window)
    else:
        try:  # a truth.json beside the file gives the window; a broken one is not skipped silently
            window = truth_window(read_truth(folder))
        except DataError as exc:
            raise DataError(f"{folder / str(exc).strip().rstrip('.')}; the dates of {path.name} cannot be checked "
                            "against the observation window: fix truth.json or give --window START END.") from None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        df = read_table(path, args.table, window=window, sheet=args.sheet, **refs)
    _data_warnings(caught)
    checks = [f"linked to {', '.join(Path(p).name for p in refs.values())}"] if refs else []
    if window:
        checks.append(f"dates within {window[0]}..{window[1]}")
    extra = f"; {', '.join(checks)}" if checks else ""
    print(f"{path.name}: OK, {len(df):,} rows of table '{args.table}' ({df.shape[1]} columns{extra}).")
    return 0


def _data_warnings(caught) -> None:
    """Each warning as one line on standard error (not Python's two lines quoting the source), once."""
    for line in dict.fromkeys(" ".join(str(w.message).split()) for w in caught):
        print(f"fidelia: warning: {line}", file=sys.stderr)


def _summary(args) -> int:
    import warnings

    from .io import load_world

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        world = load_world(args.folder)
    _data_warnings(caught)
    if not world.truth:
        for name, df in world.tables.items():
            print(f"{TABLE_FILES[name]:<26} {len(df):>10,} rows")
        return 0
    try:
        text = world.summary()
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        what = f"has no entry {exc}" if isinstance(exc, KeyError) else f"has an entry of the wrong form ({exc})"
        raise DataError(f"{Path(args.folder) / 'truth.json'}: {what}, which the summary needs; it is not a truth "
                        "file as World.save writes it.") from None
    print(text)
    return 0


def _without_iri_grammar() -> None:
    """Keep jsonschema (imported by papermill through nbformat) from importing rfc3987-syntax.

    That package builds its IRI grammar at import, 1-3 s per ``fidelia run``, for an "iri"
    format check nbformat never asks for (python-jsonschema/jsonschema#1392). Only this
    command's own process is affected: jsonschema then leaves "iri" values unchecked.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def _run(args) -> int:
    _without_iri_grammar()
    from .runner import RunInterrupted, _cpu_count, _SigtermAsInterrupt, default_notebooks, parse_value, run_notebooks

    if args.all and args.notebooks:
        raise ValueError("give notebooks or --all, not both.")
    if not args.all and not args.notebooks:
        raise ValueError("name the notebooks to run, or use --all.")
    paths = default_notebooks() if args.all else [Path(p) for p in args.notebooks]
    params = {name: parse_value(value) for name, value in args.parameter}
    jobs = args.jobs
    if isinstance(jobs, int) and jobs > _cpu_count():
        print(f"fidelia: note: --jobs {jobs} lowered to {_cpu_count()}, the number of CPUs.", file=sys.stderr)
        jobs = _cpu_count()
    report = Path(args.out) / "index.html"
    import warnings

    try:
        with _SigtermAsInterrupt(), warnings.catch_warnings(record=True) as caught:  # SIGTERM as Ctrl-C
            warnings.simplefilter("always")  # e.g. nbformat on a notebook without cell ids: one line each
            try:
                runs = run_notebooks(paths, parameters=params, out_dir=args.out, jobs=jobs, timeout=args.timeout,
                                     progress=not args.quiet)
            finally:
                _data_warnings(caught)
    except RunInterrupted as exc:
        done = [r for r in exc.runs if r.status != "interrupted"]
        print(f"fidelia: interrupted: {len(done)} of {len(exc.runs)} notebooks finished; report: {report}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("fidelia: interrupted before the run's reports were written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    failed = [r for r in runs if r.status != "ok"]
    total = sum(r.seconds for r in runs)
    print(f"{len(runs) - len(failed)} of {len(runs)} notebooks ran ({total:.0f} s of notebook time); "
          f"report: {report}")
    names = [r.notebook for r in runs]
    for r in failed:
        print(f"FAILED {r.notebook if names.count(r.notebook) == 1 else r.source}: {r.error}", file=sys.stderr)
    return 1 if failed else 0


def _sweep(args) -> int:
    _without_iri_grammar()
    from .sweep import sweep

    try:
        result = sweep(args.notebook, args.spec, args.out, jobs=args.jobs, scheduler=args.scheduler,
                       timeout=args.timeout, retry_failed=args.retry_failed, progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"fidelia: interrupted; the finished runs are kept in {args.out} (start again to resume).", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ImportError as exc:
        print(f"fidelia: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{len(result.table) - result.n_failed} of {len(result.table)} runs ok ({len(result.executed)} run now, "
          f"{len(result.skipped)} done before); results: {Path(args.out) / 'results.csv'}")
    return 1 if result.n_failed else 0


def _salt(args) -> str:
    import os

    return args.salt if args.salt is not None else os.environ.get("FIDELIA_SALT", "")


def _assign(args) -> int:
    _without_iri_grammar()
    from .grading.assign import assign

    try:
        result = assign(args.exercise, args.roster, args.out, salt=_salt(args), customers=args.customers,
                        lang=args.lang, progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"fidelia: interrupted; the students released so far are complete in {args.out} (to release again, give "
              "another --out or remove their folders).", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not _salt(args):
        print("fidelia: warning: no --salt (nor $FIDELIA_SALT): anyone who knows a student's id can regenerate their "
              "world; give the course a secret salt, and the same one to fidelia grade.", file=sys.stderr)
    print(f"{result.exercise}: released to {len(result.students)} students in {result.out_dir} (a folder and a zip "
          "each)")
    return 0


def _grade(args) -> int:
    _without_iri_grammar()
    import warnings

    from .grading.grade import grade, merge_manual

    if args.manual:
        path = merge_manual(args.exercise, args.roster, args.out, args.manual, customers=args.customers,
                            hide_expected=args.hide_expected)
        print(f"manual points merged; grades: {path}")
        return 0
    if not args.submissions:
        raise ValueError("--submissions DIR is needed (or --manual FILE to merge manual points).")

    def report(g, reused):
        mark = "kept" if reused else "graded"
        line = f"{g.student}: {g.points:g}/{g.possible:g} {mark}" + (f" - {g.problem}" if g.problem else "")
        print(line, flush=True)

    from .runner import _SigtermAsInterrupt

    with warnings.catch_warnings(record=True) as caught, _SigtermAsInterrupt():
        warnings.simplefilter("always")
        try:
            run = grade(args.exercise, args.submissions, args.roster, args.out, salt=_salt(args),
                        customers=args.customers, jobs=args.jobs, timeout=args.timeout, cell_timeout=args.cell_timeout,
                        memory_mb=args.memory, hide_expected=args.hide_expected, on_grade=report)
        except KeyboardInterrupt:
            print(f"fidelia: interrupted; the grades done so far are kept in {args.out} (run again to resume).",
                  file=sys.stderr)
            return EXIT_INTERRUPTED
        finally:
            for w in caught:
                print(f"fidelia: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    print(f"{run.exercise}: {len(run.graded)} graded, {len(run.reused)} unchanged (sandbox: {run.sandbox}); grades: "
          f"{Path(run.out_dir) / 'grades.csv'}")
    return 0


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input)."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        handler = {("data", "generate"): _generate, ("data", "validate"): _validate,
                   ("data", "summary"): _summary, ("run", None): _run,
                   ("sweep", None): _sweep, ("assign", None): _assign, ("grade", None): _grade}[(args.command, getattr(args, "action", None))]
        return handler(args)
    except _UsageError as exc:
        print(f"fidelia: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (DataError, ValueError, TypeError, FileExistsError, FileNotFoundError, PermissionError,
            IsADirectoryError, NotADirectoryError) as exc:
        message = " ".join(str(exc).split())
        print(f"fidelia: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
