"""What `fidelia run` pays besides the notebooks: kernels run at once share the cores, and the
command does not build grammars it never uses."""
from __future__ import annotations

import os
import subprocess
import sys

import nbformat

from fidelia_kit.runner import run_notebooks

VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY")


def _threads_notebook(path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    params = nbformat.v4.new_code_cell("x = 1  # a number")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "import os\nimport fidelia_kit as fk\n"
        f"fk.record('threads', [os.environ.get(v) for v in {VARS!r}])")]
    nbformat.write(nb, path)
    return path


def _cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def test_kernels_running_at_once_share_the_cores_and_the_callers_environment_is_untouched(tmp_path, monkeypatch):
    for var in VARS:
        monkeypatch.delenv(var, raising=False)
    paths = [_threads_notebook(tmp_path / f"n{i}.ipynb") for i in range(2)]
    runs = run_notebooks(paths, out_dir=tmp_path / "out", jobs=2, progress=False)
    share = str(max(1, _cores() // 2))
    assert [r.results["threads"] for r in runs] == [[share] * 3 + ["PASSIVE"]] * 2
    assert not any(var in os.environ for var in VARS)


def test_a_thread_count_the_user_set_wins(tmp_path, monkeypatch):
    for var in VARS:
        monkeypatch.setenv(var, "3")
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    runs = run_notebooks([_threads_notebook(tmp_path / "n.ipynb")], out_dir=tmp_path / "out", jobs=2, progress=False)
    assert runs[0].results["threads"] == ["3"] * 3 + ["ACTIVE"]


def test_the_run_command_does_not_import_the_iri_grammar(tmp_path):
    nb = _threads_notebook(tmp_path / "n.ipynb")
    code = ("import sys\nfrom fidelia_kit.cli import main\n"
            f"status = main(['run', {str(nb)!r}, '--quiet', '--out', {str(tmp_path / 'out')!r}])\n"
            "print(status, sys.modules.get('rfc3987_syntax') is not None, 'nbformat' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert res.stdout.split()[-3:] == ["0", "False", "True"], res.stderr
