"""The ``fidelia`` command line: a thin layer over the kit's functions.

Bad input (a bad option, a broken file, a folder that is not empty) prints one line,
``fidelia: error: ...``, on standard error and exits with status 2; never a traceback.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .exceptions import DataError
from .schema import TABLE_FILES, TABLES

__all__ = ["main"]

EXIT_BAD_INPUT = 2


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

    run = sub.add_parser("run", help="execute notebooks with papermill and report",
                         description="Execute notebooks (a process each, at most --jobs at once), write each executed "
                                     "notebook and its HTML export, outputs/index.html and outputs/results.json. Exits 1 "
                                     "if any notebook failed, 2 on bad input.")
    run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="notebooks to run (.ipynb)")
    run.add_argument("--all", action="store_true", help="run every numbered notebook in notebooks/")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="set a parameter (repeatable); values are read as Python literals, else as text")
    run.add_argument("--out", default="outputs", metavar="DIR", help="output folder (default outputs/)")
    run.add_argument("--jobs", type=int, default=2, metavar="N", help="notebooks at once (default 2)")
    run.add_argument("--timeout", type=float, default=600, metavar="S", help="seconds a cell may run (default 600)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    summ = dsub.add_parser("summary", help="print a short summary of a data set folder",
                           description="Print table sizes, the date range and the main truth parameters of a data set.")
    summ.add_argument("folder", nargs="?", default="datasets", metavar="DIR", help="data set folder (default datasets)")
    return parser


def _generate(args) -> int:
    from .synth import generate_world

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: exists and is not a folder.")
    if out.exists() and any(out.iterdir()) and not args.force:
        raise DataError(f"{out}: folder is not empty; use --force to write into it or choose another folder.")
    flags = {"n_customers": "--customers", "seed": "--seed", "n_years": "--years", "start_date": "--start"}
    try:
        world = generate_world(n_customers=args.customers, seed=args.seed, n_years=args.years,
                               start_date=args.start, progress=not args.quiet)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        for knob, flag in flags.items():
            message = message.replace(f"`{knob}`", flag)
        raise ValueError(message) from None
    world.save(out, overwrite=True, progress=not args.quiet)
    n_tx = len(world.transactions)
    print(f"wrote {len(world.tables) + 1} files to {out}: {args.customers:,} customers, {n_tx:,} transactions "
          f"(seed {args.seed}).")
    return 0


def _validate(args) -> int:
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
    window = tuple(args.window) if args.window else None
    if window is None:
        try:  # a missing or unreadable truth.json only means no window check
            window = truth_window(read_truth(folder))
        except (DataError, KeyError):
            pass
    df = read_table(path, args.table, window=window, **refs)
    checks = [f"linked to {', '.join(Path(p).name for p in refs.values())}"] if refs else []
    if window:
        checks.append(f"dates within {window[0]}..{window[1]}")
    extra = f"; {', '.join(checks)}" if checks else ""
    print(f"{path.name}: OK, {len(df):,} rows of table '{args.table}' ({df.shape[1]} columns{extra}).")
    return 0


def _summary(args) -> int:
    from .io import load_world

    world = load_world(args.folder)
    if not world.truth:
        for name, df in world.tables.items():
            print(f"{TABLE_FILES[name]:<26} {len(df):>10,} rows")
        return 0
    print(world.summary())
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
    from .runner import default_notebooks, parse_value, run_notebooks

    if args.all and args.notebooks:
        raise ValueError("give notebooks or --all, not both.")
    if not args.all and not args.notebooks:
        raise ValueError("name the notebooks to run, or use --all.")
    paths = default_notebooks() if args.all else [Path(p) for p in args.notebooks]
    params = {name: parse_value(value) for name, value in args.parameter}
    runs = run_notebooks(paths, parameters=params, out_dir=args.out, jobs=args.jobs, timeout=args.timeout,
                         progress=not args.quiet)
    failed = [r for r in runs if r.status != "ok"]
    total = sum(r.seconds for r in runs)
    print(f"{len(runs) - len(failed)} of {len(runs)} notebooks ran ({total:.0f} s of notebook time); "
          f"report: {Path(args.out) / 'index.html'}")
    for r in failed:
        print(f"FAILED {r.notebook}: {r.error}", file=sys.stderr)
    return 1 if failed else 0


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input)."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        handler = {("data", "generate"): _generate, ("data", "validate"): _validate,
                   ("data", "summary"): _summary, ("run", None): _run}[(args.command, getattr(args, "action", None))]
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
