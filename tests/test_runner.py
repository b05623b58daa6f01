"""`fidelia run` loses nothing and says what went wrong: no output over a source notebook, one output
per notebook, a dying process fails only its notebook, interruptions keep what finished, and every
message names the notebook, the cell or the file. Tiny notebooks written here keep these tests fast."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from fidelia_kit.runner import (
    RESULT_MIME,
    RunInterrupted,
    _output_names,
    _resolve_path_parameters,
    _run_processes,
    run_notebooks,
)

from .conftest import ROOT

# a result recorded without importing the kit: the kernel starts and answers in well under a second
RECORD = ("from IPython.display import display\n"
          f"display({{{RESULT_MIME!r}: {{'name': 'value', 'value': {{value}}}}, 'text/plain': ''}}, raw=True)")


def _nb(path, *cells, params="x = 1  # a number"):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    first = nbformat.v4.new_code_cell(params)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first] + [nbformat.v4.new_markdown_cell(c[3:]) if c.startswith("md:") else nbformat.v4.new_code_cell(c)
                          for c in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _record(expr):
    return RECORD.replace("{value}", expr)


def _fidelia(*args, cwd=None, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "fidelia_kit", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300, cwd=cwd, env=env, **kw)


# --- nothing written over a source notebook ---------------------------------------------------------------

def test_an_output_folder_holding_a_source_notebook_is_refused(tmp_path):
    nb = _nb(tmp_path / "nb" / "ok.ipynb", "y = 2")
    before = nb.read_bytes()
    for out in (tmp_path / "nb", tmp_path / "nb" / ".", tmp_path / "other" / ".." / "nb"):
        with pytest.raises(ValueError, match=r"the output folder holds the notebook .*ok\.ipynb being run, which its "
                                             r"executed copy would overwrite; choose another output folder"):
            run_notebooks([nb], out_dir=out, progress=False)
    # a link in the output folder pointing at the source: writing through it would overwrite the source
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "ok.ipynb").symlink_to(nb)
    with pytest.raises(ValueError, match=r"out/ok\.ipynb: the executed copy of .*nb/ok\.ipynb would overwrite a "
                                         r"notebook being run"):
        run_notebooks([nb], out_dir=tmp_path / "out", progress=False)
    # the notebook itself a link into the output folder
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "ok.ipynb").symlink_to(nb)
    with pytest.raises(ValueError, match="the output folder holds the notebook"):
        run_notebooks([tmp_path / "elsewhere" / "ok.ipynb"], out_dir=tmp_path / "nb", progress=False)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(NotADirectoryError, match=r"afile: exists and is not a folder"):
        run_notebooks([nb], out_dir=tmp_path / "afile", progress=False)
    cli = _fidelia("run", str(nb), "--out", str(tmp_path / "nb"), "--quiet")
    assert cli.returncode == 2 and cli.stdout == ""
    assert cli.stderr.count("\n") == 1 and cli.stderr.startswith("fidelia: error: ")
    assert "the output folder holds the notebook" in cli.stderr
    assert nb.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "nb").iterdir()) == ["ok.ipynb"]


def test_output_names_are_distinct():
    from pathlib import Path

    names = _output_names([Path("nb/ok.ipynb"), Path("other/ok.ipynb"), Path("a/b.ipynb"), Path("x/nb/ok.ipynb"),
                           Path("nb/ok.ipynb"), Path("index.ipynb"), Path("c/OK.ipynb")])
    assert names == ["nb_ok", "other_ok", "b", "nb_ok-2", "nb_ok-3", "index-2", "c_OK"]
    assert _output_names([Path("nb/ok.ipynb"), Path("nb_ok.ipynb")]) == ["ok", "nb_ok"]


def test_notebooks_of_one_name_keep_both_results_and_the_times(tmp_path):
    a = _nb(tmp_path / "nb" / "ok.ipynb", _record("x * 2"))
    b = _nb(tmp_path / "other" / "ok.ipynb", _record("x * 3"))
    out = tmp_path / "r"
    with pytest.warns(UserWarning, match=r"`jobs` = 100 lowered to \d+, the number of CPUs"):
        runs = run_notebooks([a, b], parameters={"x": 7}, out_dir=out, jobs=100, progress=False)
    assert [r.status for r in runs] == ["ok", "ok"]
    assert [r.results for r in runs] == [{"value": 14}, {"value": 21}]
    assert [r.output for r in runs] == [str(out / "nb_ok.ipynb"), str(out / "other_ok.ipynb")]
    assert [r.source for r in runs] == [str(a), str(b)]
    report = json.loads((out / "results.json").read_text())
    assert [(n["notebook"], n["output"], n["results"]) for n in report["notebooks"]] == [
        ("ok.ipynb", str(out / "nb_ok.ipynb"), {"value": 14}), ("ok.ipynb", str(out / "other_ok.ipynb"), {"value": 21})]
    assert report["run"]["interrupted"] is False
    for n in report["notebooks"]:  # per-notebook times: the execution, and the whole process
        assert 0 < n["seconds"] < n["wall_seconds"] < 120
    page = (out / "index.html").read_text()
    assert 'href="nb_ok.html"' in page and 'href="other_ok.html"' in page
    assert str(a) in page and str(b) in page  # which of the two each row is
    assert "<th>wall time</th>" in page and f"{runs[1].wall_seconds:.1f} s" in page
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "nb_ok.html", "nb_ok.ipynb", "other_ok.html",
                                                      "other_ok.ipynb", "results.json"]


# --- a notebook that dies, hangs or is broken -------------------------------------------------------------

def test_a_dying_process_fails_only_its_own_notebook(tmp_path):
    ok = _nb(tmp_path / "ok.ipynb", _record("x + 1"))
    worker = _nb(tmp_path / "worker.ipynb", "md:# kills the process that runs it",
                 "import os\nos.kill(os.getppid(), 9)")  # the kernel's parent: the worker running the notebook
    kernel = _nb(tmp_path / "kernel.ipynb", "y = 1", "import os\nos.kill(os.getpid(), 9)")
    slow = _nb(tmp_path / "slow.ipynb", "y = 1", "md:# hangs", "import time\ntime.sleep(60)", "z = 3")
    out = tmp_path / "r"
    runs = run_notebooks([worker, kernel, slow, ok], out_dir=out, jobs=2, timeout=2, progress=False)
    assert [r.status for r in runs] == ["failed", "failed", "failed", "ok"]
    assert runs[0].error == ("cell [2]: the process running the notebook was killed by SIGKILL "
                             "(out of memory, or killed from outside)")
    assert runs[1].error == "cell [3]: DeadKernelError: the kernel died while the cell ran (out of memory, or killed)"
    assert runs[2].error == "cell [3]: CellTimeoutError: still running after 2 s, the time limit per cell (timeout)"
    assert runs[3].results == {"value": 2}
    report = json.loads((out / "results.json").read_text())
    assert [n["status"] for n in report["notebooks"]] == ["failed", "failed", "failed", "ok"]
    page = (out / "index.html").read_text()
    assert "killed by SIGKILL" in page and "time limit per cell" in page
    assert (out / "worker.ipynb").is_file()  # what it ran before it died is kept, for a look


def _exit_now(conn, code):  # a worker that ends without a word, as os._exit does
    os._exit(code)


def _answer(conn, value):
    conn.send({"value": value})


def test_a_worker_that_exits_without_a_word_is_reported(tmp_path):
    done = {}
    interrupted, stopped = _run_processes([(3,), (5,)], 2, lambda i, info, wall: done.setdefault(i, info),
                                          lambda: None, target=_exit_now)
    assert (interrupted, stopped) == (False, [])
    assert done == {0: {"died": 3}, 1: {"died": 5}}
    done.clear()
    _run_processes([("a",), ("b",), ("c",)], 1, lambda i, info, wall: done.setdefault(i, info), lambda: None,
                   target=_answer)
    assert done == {0: {"value": "a"}, 1: {"value": "b"}, 2: {"value": "c"}}


def test_a_corrupt_notebook_is_named(tmp_path):
    good = _nb(tmp_path / "good.ipynb", "y = 1")
    for name, text in [("cut.ipynb", good.read_text()[:60]), ("empty.ipynb", ""), ("list.ipynb", "[1, 2]")]:
        bad = tmp_path / name
        bad.write_text(text)
        with pytest.raises(ValueError, match=rf"^{bad}: not a readable notebook \(.+\)\.$"):
            run_notebooks([good, bad], out_dir=tmp_path / "r", progress=False)
    cli = _fidelia("run", str(good), str(tmp_path / "cut.ipynb"), "--out", str(tmp_path / "r"), "--quiet")
    assert cli.returncode == 2 and cli.stderr.count("\n") == 1
    assert cli.stderr.startswith(f"fidelia: error: {tmp_path / 'cut.ipynb'}: not a readable notebook (")
    assert not (tmp_path / "r").exists()


# --- parameters and jobs on the command line --------------------------------------------------------------

def test_path_parameters_are_taken_from_the_current_folder(tmp_path):
    assert _resolve_path_parameters({"data_dir": "datasets", "method": "datasets", "n": 3, "in_file": "~/a.csv",
                                     "out_path": "s3://bucket/x", "data_folder": str(tmp_path)}) == {
        "data_dir": os.path.join(os.getcwd(), "datasets"), "method": "datasets", "n": 3,
        "in_file": os.path.expanduser("~/a.csv"), "out_path": "s3://bucket/x", "data_folder": str(tmp_path)}
    _nb(tmp_path / "notebooks" / "where.ipynb", "import os\n" + _record("[data_dir, os.path.isdir(data_dir)]"),
        params='data_dir = "../datasets"  # folder')
    (tmp_path / "datasets").mkdir()
    (tmp_path / "notebooks" / "datasets").mkdir()  # the wrong one, beside the notebook
    (tmp_path / "notebooks" / "datasets" / "wrong").touch()
    cli = _fidelia("run", "notebooks/where.ipynb", "-p", "data_dir", "datasets", "--out", "r", "--jobs", "100",
                   "--quiet", cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    assert cli.stderr == f"fidelia: note: --jobs 100 lowered to {len(os.sched_getaffinity(0))}, the number of CPUs.\n"
    report = json.loads((tmp_path / "r" / "results.json").read_text())
    assert report["run"]["parameters"] == {"data_dir": str(tmp_path / "datasets")}
    assert report["notebooks"][0]["results"] == {"value": [str(tmp_path / "datasets"), True]}


# --- interruptions ----------------------------------------------------------------------------------------

def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "Ctrl-C"])
def test_an_interrupted_run_keeps_what_finished(tmp_path, how):
    ok = _nb(tmp_path / "ok.ipynb", _record("x * 5"))
    pid_file = tmp_path / "kernel.pid"
    hang = _nb(tmp_path / "hang.ipynb", f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
                                        "time.sleep(120)")
    later = _nb(tmp_path / "later.ipynb", "y = 1")
    out = tmp_path / "r"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "fidelia_kit", "run", str(ok), str(hang), str(later), "--out",
                             str(out), "--jobs", "1", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (pid_file.is_file() and pid_file.read_text() and (out / "ok.html").is_file()):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        kernel = int(pid_file.read_text())
        time.sleep(0.3)
        if how == "Ctrl-C":  # a terminal sends SIGINT to the whole foreground process group
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(getattr(signal, how))
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130
    assert stdout == ""
    assert stderr == f"fidelia: interrupted: 1 of 3 notebooks finished; report: {out / 'index.html'}\n"
    report = json.loads((out / "results.json").read_text())
    assert report["run"]["interrupted"] is True
    assert [(n["notebook"], n["status"], n["error"]) for n in report["notebooks"]] == [
        ("ok.ipynb", "ok", None), ("hang.ipynb", "interrupted", "stopped: the run was interrupted"),
        ("later.ipynb", "interrupted", "not started: the run was interrupted")]
    assert report["notebooks"][0]["results"] == {"value": 5}
    assert "The run was interrupted" in (out / "index.html").read_text()
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "ok.html", "ok.ipynb", "results.json"]
    deadline = time.monotonic() + 10  # the stopped notebook's kernel goes too
    while _pid_alive(kernel) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _pid_alive(kernel)


def test_run_notebooks_raises_run_interrupted_with_the_outcomes(tmp_path, monkeypatch):
    import fidelia_kit.runner as runner

    nb = _nb(tmp_path / "a.ipynb", "y = 1")

    def interrupted(tasks, jobs, on_done, on_interrupt, target=None):
        on_interrupt()
        return True, [0]

    monkeypatch.setattr(runner, "_run_processes", interrupted)
    with pytest.raises(RunInterrupted) as info:
        run_notebooks([nb], out_dir=tmp_path / "r", progress=False)
    assert [r.status for r in info.value.runs] == ["interrupted"]
    assert json.loads((tmp_path / "r" / "results.json").read_text())["notebooks"][0]["status"] == "interrupted"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handlers are given back
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_cli_interrupted_lines(tmp_path, monkeypatch, capsys):
    import fidelia_kit.runner as runner
    from fidelia_kit.cli import main

    nb = _nb(tmp_path / "a.ipynb", "y = 1")

    def early(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_notebooks", early)
    assert main(["run", str(nb), "--out", str(tmp_path / "r")]) == 130
    assert capsys.readouterr().err == "fidelia: interrupted before the run's reports were written.\n"

    def late(paths, **kw):
        raise RunInterrupted([runner.NotebookRun("a.ipynb", "ok", 1.0, "a", None),
                              runner.NotebookRun("b.ipynb", "interrupted", 0.0, None, None)], kw["out_dir"])

    monkeypatch.setattr(runner, "run_notebooks", late)
    assert main(["run", str(nb), "--out", str(tmp_path / "r")]) == 130
    assert capsys.readouterr().err == (f"fidelia: interrupted: 1 of 2 notebooks finished; "
                                       f"report: {tmp_path / 'r' / 'index.html'}\n")
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_an_output_that_is_not_an_earlier_executed_copy_is_never_replaced(tmp_path):
    # `fidelia run other/ok.ipynb --out .` in a folder holding its own ok.ipynb used to replace it.
    mine = _nb(tmp_path / "ok.ipynb", "y = 'mine'")
    before = mine.read_bytes()
    other = _nb(tmp_path / "other" / "ok.ipynb", _record("x + 1"))
    cli = _fidelia("run", "other/ok.ipynb", "--out", ".", "--quiet", cwd=tmp_path)
    assert cli.returncode == 2
    assert cli.stderr == ("fidelia: error: ok.ipynb: exists and is not an executed copy from an earlier run, and the "
                          "executed copy of other/ok.ipynb would overwrite it; choose another output folder.\n")
    assert mine.read_bytes() == before
    # an earlier run's executed copy is replaced as before
    first = run_notebooks([other], out_dir=tmp_path / "r", progress=False)
    again = run_notebooks([other], out_dir=tmp_path / "r", progress=False)
    assert [r.results for r in first + again] == [{"value": 2}, {"value": 2}]


def test_an_interrupted_rerun_keeps_the_earlier_complete_results(tmp_path):
    ok = _nb(tmp_path / "ok.ipynb", _record("x * 5"))
    pid_file = tmp_path / "kernel.pid"
    hang = _nb(tmp_path / "hang.ipynb", "import os, time, pathlib\n"
                                        f"p = pathlib.Path({str(pid_file)!r})\n"
                                        "if p.exists(): time.sleep(120)\n"
                                        "p.write_text(str(os.getpid()))")
    out = tmp_path / "r"
    run_notebooks([ok, hang], out_dir=out, progress=False)  # the first, complete run (hang does not hang yet)
    kept = {f.name: f.read_bytes() for f in out.iterdir() if f.suffix in (".ipynb", ".html") and f.stem != "index"}
    assert sorted(kept) == ["hang.html", "hang.ipynb", "ok.html", "ok.ipynb"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "fidelia_kit", "run", str(hang), str(ok), "--out", str(out),
                             "--jobs", "1", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / ".hang.running.ipynb").is_file():  # the re-run is executing hang, which now hangs
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130
    assert {name: (out / name).read_bytes() for name in kept} == kept  # the earlier results, untouched
    assert not any(f.name.startswith(".") and "running" in f.name for f in out.iterdir())


def test_a_library_warning_during_run_is_one_line(tmp_path):
    # nbformat warns in two lines, quoting its own source, about a notebook whose cells have no id
    nb = json.loads(nbformat.writes(nbformat.read(_nb(tmp_path / "noid.ipynb", "y = x + 1"), as_version=4)))
    for cell in nb["cells"]:
        cell.pop("id", None)
    (tmp_path / "noid.ipynb").write_text(json.dumps(nb))
    cli = _fidelia("run", "noid.ipynb", "--out", "r", "--quiet", cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    lines = cli.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("fidelia: warning: Cell is missing an id field"), cli.stderr


def test_records_are_data_for_read_results_and_shown_only_when_asked(tmp_path):
    nb = _nb(tmp_path / "nb" / "rec.ipynb",
             "import fidelia_kit as fk\nfk.record('hidden', 1.23456789)\nfk.record('shown', 2.5, show=True)\nprint('done')")
    [run] = run_notebooks([nb], out_dir=tmp_path / "r", progress=False)
    assert run.status == "ok" and run.results == {"hidden": 1.23456789, "shown": 2.5}  # stored in full
    executed = nbformat.read(run.output, as_version=4)
    texts = [o.get("data", {}).get("text/plain", o.get("text", "")) for o in executed.cells[1].outputs]
    assert texts == ["", "recorded shown = 2.5", "done\n"]
    page = (tmp_path / "r" / "rec.html").read_text()
    # the HTML shows the asked-for record and the print, and no empty block for the hidden record
    assert "recorded shown = 2.5" in page and page.count('data-mime-type="text/plain"') == 2


# --- figures ----------------------------------------------------------------------------------------------

def test_figures_are_kept_whatever_the_callers_matplotlib_backend(tmp_path, monkeypatch):
    # a caller with MPLBACKEND=Agg (a server, a test session, a site build) must still get the notebook's figures
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = _nb(tmp_path / "plot.ipynb", "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()",
             "plt.figure()\nplt.bar([0], [1])")   # the second is never shown explicitly: the inline backend flushes it
    runs = run_notebooks([nb], out_dir=tmp_path / "out", progress=False)
    assert runs[0].error is None
    executed = nbformat.read(runs[0].output, as_version=4)
    images = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert len(images) == 2
    assert os.environ["MPLBACKEND"] == "Agg"   # the caller's setting is left as it was
