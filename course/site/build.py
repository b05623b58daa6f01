"""Build the course site: execute the notebooks once, then one Sphinx site per language.

``make course`` runs this script. What it does, in order:

1. executes ``notebooks/NN_*.ipynb`` on the default world (the committed ``datasets/``) with the
   kit's runner, into ``<build>/executed/``;
2. for each language, copies the executed notebooks into ``course/<lang>/notebooks/<stem>.ipynb``
   and writes every ``image/png`` output into ``course/<lang>/figures/<stem>/fig<k>.png``
   (k = 1, 2, ... in the order of cells and outputs), the figures the lessons show;
3. builds ``course/en`` and ``course/es`` with Sphinx (the shared ``course/site/conf.py``,
   MyST-NB rendering the notebooks without executing them) into ``<build>/site/en`` and
   ``<build>/site/es``, failing on any warning (a broken reference, a missing figure);
4. writes ``<build>/site/index.html``, which opens the English site and offers the Spanish one.

The site opens from the file system (``<build>/site/index.html``) and works offline.

Usage::

    python course/site/build.py [--build DIR] [--course DIR] [--notebooks DIR] [--reuse] [--jobs N]
"""
from __future__ import annotations

import argparse
import base64
import filecmp
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

SITE = Path(__file__).resolve().parent
COURSE = SITE.parent
ROOT = COURSE.parent
LANGUAGES = ("en", "es")

ROOT_INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0; url=en/index.html">
<title>fidelia_kit: the course</title>
</head>
<body>
<p><a href="en/index.html" hreflang="en">Customer loyalty analytics with fidelia_kit (English)</a></p>
<p><a href="es/index.html" hreflang="es" lang="es">Analítica de la fidelización de clientes con fidelia_kit (español)</a></p>
</body>
</html>
"""


def extract_figures(notebook: str | Path, out_dir: str | Path) -> list[Path]:
    """Write every ``image/png`` output of an executed notebook as ``fig<k>.png``.

    Parameters
    ----------
    notebook : path
        An executed notebook.
    out_dir : path
        Gets ``fig1.png``, ``fig2.png``, ...: k counts the PNG outputs from 1, in the order of
        the cells and, within a cell, of its outputs (display data and results alike). Earlier
        ``fig*.png`` files in it are removed first, so a figure that went away does not linger.

    Returns
    -------
    list of Path
        The files written, in order.

    Examples
    --------
    >>> import tempfile, nbformat
    >>> png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    >>> cell = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("display_data", {"image/png": png})])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     nbformat.write(nbformat.v4.new_notebook(cells=[cell]), f"{d}/nb.ipynb")
    ...     [p.name for p in extract_figures(f"{d}/nb.ipynb", f"{d}/figures")]
    ['fig1.png']
    """
    nb = nbformat.read(str(notebook), as_version=4)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("fig*.png"):
        old.unlink()
    written = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = output.get("data", {}).get("image/png")
            if data is None:
                continue
            path = out / f"fig{len(written) + 1}.png"
            path.write_bytes(base64.b64decode(data if isinstance(data, str) else "".join(data)))
            written.append(path)
    return written


def _copy_if_changed(source: Path, target: Path) -> None:
    """Copy unless the target holds the same bytes (Sphinx then keeps its cached page)."""
    if target.is_file() and filecmp.cmp(source, target, shallow=False):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def execute_notebooks(notebooks_dir: Path, executed_dir: Path, *, jobs: int = 2) -> list[Path]:
    """Execute the numbered notebooks on their default world; return the executed copies."""
    from fidelia_kit.runner import run_notebooks

    sources = sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"{notebooks_dir}: no notebooks NN_topic.ipynb to execute.")
    runs = run_notebooks(sources, out_dir=executed_dir, jobs=jobs, progress=False)
    failed = [r for r in runs if r.status != "ok"]
    if failed:
        lines = "\n".join(f"  {r.notebook}: {r.error}" for r in failed)
        raise RuntimeError(f"{len(failed)} notebook(s) failed, so the site would show stale results:\n{lines}")
    return [Path(r.output) for r in runs]


def prepare_language(course_dir: Path, lang: str, executed: list[Path]) -> None:
    """Put the executed notebooks and their figures into ``course/<lang>/`` (both generated)."""
    src = course_dir / lang
    stems = {p.stem for p in executed}
    for folder in (src / "notebooks", src / "figures"):  # a notebook that went away takes its page along
        for stale in folder.glob("*") if folder.is_dir() else []:
            if stale.name.split(".")[0] not in stems:
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    for path in executed:
        _copy_if_changed(path, src / "notebooks" / path.name)
        extract_figures(path, src / "figures" / path.stem)


def _sphinx_command(course_dir: Path, lang: str, build_dir: Path, *, strict: bool) -> list[str]:
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(SITE), "-D", f"language={lang}",
               "-d", str(build_dir / "doctrees" / lang), "-q"]
    if strict:
        command += ["-W", "--keep-going"]
    return command + [str(course_dir / lang), str(build_dir / "site" / lang)]


def build_site(*, course_dir: Path = COURSE, build_dir: Path = COURSE / "_build",
               notebooks_dir: Path = ROOT / "notebooks", reuse: bool = False, jobs: int = 2,
               strict: bool = True) -> Path:
    """Execute the notebooks and build both languages; return the site's folder."""
    executed_dir = build_dir / "executed"
    start = time.perf_counter()
    stems = [p.stem for p in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb"))]
    executed = [executed_dir / f"{s}.ipynb" for s in stems]
    if reuse and executed and all(p.is_file() for p in executed):
        print(f"course: reusing the {len(executed)} executed notebooks in {executed_dir}", flush=True)
    else:
        print(f"course: executing {len(stems)} notebooks on the default world ...", flush=True)
        executed = execute_notebooks(notebooks_dir, executed_dir, jobs=jobs)
    print(f"course: notebooks ready in {time.perf_counter() - start:.0f} s", flush=True)
    for lang in LANGUAGES:
        prepare_language(course_dir, lang, executed)
    site = build_dir / "site"
    site.mkdir(parents=True, exist_ok=True)
    # the two languages are independent builds: run them side by side
    logs = {lang: build_dir / f"sphinx-{lang}.log" for lang in LANGUAGES}
    procs = {}
    for lang in LANGUAGES:
        with open(logs[lang], "w") as log:
            procs[lang] = subprocess.Popen(_sphinx_command(course_dir, lang, build_dir, strict=strict),
                                           stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    failed = []
    for lang, proc in procs.items():
        code = proc.wait()
        text = logs[lang].read_text().strip()
        if text:
            print(f"course: sphinx ({lang}) says:\n{text}", flush=True)
        if code != 0:
            failed.append(lang)
    if failed:
        raise RuntimeError(f"the {' and '.join(failed)} site failed to build (warnings count as errors); "
                           f"see the messages above or {build_dir}/sphinx-<lang>.log.")
    (site / "index.html").write_text(ROOT_INDEX, encoding="utf-8")
    (site / ".nojekyll").write_text("")  # GitHub Pages: serve _static/ and _images/ as they are
    print(f"course: site built in {time.perf_counter() - start:.0f} s: {site / 'index.html'}", flush=True)
    return site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description="Build the course site (both languages).")
    parser.add_argument("--course", default=str(COURSE), help="the course folder (holds en/, es/, exercises/)")
    parser.add_argument("--build", default=None, help="build folder (default: <course>/_build)")
    parser.add_argument("--notebooks", default=str(ROOT / "notebooks"), help="the notebooks to execute")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the executed notebooks of an earlier build instead of executing them again")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    parser.add_argument("--no-strict", dest="strict", action="store_false", help="do not fail on warnings")
    args = parser.parse_args(argv)
    course_dir, notebooks_dir = Path(args.course).resolve(), Path(args.notebooks).resolve()
    build_dir = Path(args.build).resolve() if args.build else course_dir / "_build"
    for lang in LANGUAGES:
        if not (course_dir / lang / "index.md").is_file():
            print(f"build.py: error: --course {course_dir}: no {lang}/index.md (expected the course folder).",
                  file=sys.stderr)
            return 2
    if not any(notebooks_dir.glob("[0-9][0-9]_*.ipynb")):
        print(f"build.py: error: --notebooks {notebooks_dir}: no notebooks NN_topic.ipynb.", file=sys.stderr)
        return 2
    if not 1 <= args.jobs <= 64:
        print(f"build.py: error: --jobs must be between 1 and 64; got {args.jobs}.", file=sys.stderr)
        return 2
    try:
        build_site(course_dir=course_dir, build_dir=build_dir, notebooks_dir=notebooks_dir,
                   reuse=args.reuse, jobs=args.jobs, strict=args.strict)
    except (RuntimeError, FileNotFoundError) as exc:
        print(f"build.py: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("build.py: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
