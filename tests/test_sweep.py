"""Research sweeps: the spec, the local process pool, resuming after kill -9, the Dask path, the CLI.

The runs execute ``tests/data/sweep_tiny.ipynb``: it records ``y = 2 x`` (``+ 10`` when
``label == "b"``) and ``draw``, the first uniform number of ``default_rng(seed)``, so every
recorded value can be checked by hand.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fidelia_kit import runner
from fidelia_kit.cli import main
from fidelia_kit.sweep import SweepSpec, read_spec, run_id, sweep

TINY = Path(__file__).resolve().parent / "data" / "sweep_tiny.ipynb"


def _draw(seed):
    return float(np.random.default_rng(seed).random())


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the spec

def test_spec_expands_grid_points_and_replicates_with_derived_seeds():
    spec = read_spec({"parameters": {"label": "a"}, "grid": {"x": [1, 2, 3]}, "points": [{"x": 9, "label": "b"}],
                      "replicates": 2, "seed": 2026})
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(2026).spawn(2)]
    runs = spec.runs()
    assert len(runs) == (3 + 1) * 2
    assert runs[0] == {"label": "a", "x": 1, "seed": seeds[0]}
    assert runs[1] == {"label": "a", "x": 1, "seed": seeds[1]}
    assert runs[-1] == {"label": "b", "x": 9, "seed": seeds[1]}
    assert spec.names() == ["label", "x", "seed"]
    assert read_spec(spec.to_dict()).sha256() == spec.sha256()  # the hash is of the content


def test_spec_grid_is_the_cartesian_product_and_file_is_read(tmp_path):
    path = _write(tmp_path / "s.yaml", "grid: {x: [1, 2], label: [a, b, c]}\n")
    runs = read_spec(path).runs()
    assert len(runs) == 6 and {"x": 2, "label": "c"} in runs
    assert read_spec({}).runs() == [{}]  # no grid: one run with the notebook's defaults


def test_run_id_depends_on_notebook_and_parameters_not_on_their_order():
    assert run_id("abc", {"x": 1, "y": 2}) == run_id("abc", {"y": 2, "x": 1})
    assert run_id("abc", {"x": 1}) != run_id("abd", {"x": 1})
    assert run_id("abc", {"x": 1}) != run_id("abc", {"x": 2})


@pytest.mark.parametrize("spec, error, match", [
    ({"grids": {"x": [1]}}, ValueError, r"unknown key 'grids'"),
    ({"grid": {"x": 1}}, ValueError, r"grid\.x must be a non-empty list"),
    ({"grid": {"x": []}}, ValueError, r"grid\.x must be a non-empty list"),
    ({"grid": {"x": [1, 1]}}, ValueError, r"grid\.x lists 1 more than once"),
    ({"grid": {"x": [[1, 2]]}}, TypeError, r"grid\.x\[0\]: must be a number, text"),
    ({"grid": {"x": [float("nan")]}}, ValueError, r"grid\.x\[0\]: must be a finite number"),
    ({"grid": {"2x": [1]}}, ValueError, r"'2x' is not a parameter name"),
    ({"parameters": [1]}, TypeError, r"key 'parameters': must be a mapping"),
    ({"parameters": {"x": 1}, "grid": {"x": [2]}}, ValueError, r"'x' is both in 'parameters'"),
    ({"points": {"x": 1}}, TypeError, r"key 'points' must be a list"),
    ({"points": [{}]}, ValueError, r"points\[0\] is empty"),
    ({"replicates": 0}, ValueError, r"key 'replicates': `replicates` must be in \[1, 100000\]; got 0"),
    ({"replicates": 2.5, "seed": 1}, TypeError, r"`replicates` must be an integer"),
    ({"replicates": 3}, ValueError, r"key 'seed' is required when 'replicates' is 3"),
    ({"seed": -1}, ValueError, r"key 'seed': `seed` must be in \[0"),
    ({"seed": 1, "grid": {"seed": [1, 2]}}, ValueError, r"'seed' is set in 'grid' and derived"),
    ([1, 2], TypeError, r"must be a mapping with keys"),
])
def test_bad_spec_names_the_key(spec, error, match):
    with pytest.raises(error, match=match):
        read_spec(spec)


def test_bad_spec_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such sweep spec"):
        read_spec(tmp_path / "missing.yaml")
    with pytest.raises(ValueError, match=r"bad\.yaml: not valid YAML"):
        read_spec(_write(tmp_path / "bad.yaml", "grid: {x: [1, 2\n"))
    with pytest.raises(ValueError, match=r"bad2\.yaml: unknown key 'replicate'"):
        read_spec(_write(tmp_path / "bad2.yaml", "replicate: 2\n"))


def test_notebook_must_declare_every_spec_name_before_anything_runs(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=r"the parameter 'n_customers' is not in the parameters cell"):
        sweep(TINY, {"grid": {"n_customers": [10, 20]}}, out, progress=False)
    assert not out.exists()


def test_replicates_need_a_seed_parameter(tmp_path):
    import nbformat

    nb = nbformat.read(TINY, as_version=4)
    nb.cells[1].source = "\n".join(ln for ln in nb.cells[1].source.splitlines() if not ln.startswith("seed"))
    nb.cells[2].source = nb.cells[2].source.replace("default_rng(seed)", "default_rng(0)")
    nbformat.write(nb, tmp_path / "no_seed.ipynb")
    with pytest.raises(ValueError, match=r"no_seed\.ipynb: 'replicates' is 2 but the notebook has no 'seed' parameter"):
        sweep(tmp_path / "no_seed.ipynb", {"replicates": 2, "seed": 1}, tmp_path / "out", progress=False)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"jobs": 0}, ValueError, r"`jobs` must be in \[1"),
    ({"timeout": "long"}, TypeError, r"`timeout`"),
    ({"retry_failed": "yes"}, TypeError, r"`retry_failed` must be True or False"),
    ({"scheduler": 8786}, TypeError, r"`scheduler` must be an address"),
])
def test_bad_arguments(tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        sweep(TINY, {"grid": {"x": [1]}}, tmp_path / "out", progress=False, **kwargs)


# ---------------------------------------------------------------- local processes

def test_sweep_with_two_jobs_keeps_going_past_failures_and_resumes(tmp_path):
    spec = {"parameters": {"label": "b"}, "grid": {"x": [1, 2], "fail": [False, True]}}
    out = tmp_path / "runs" / "tiny"
    result = runner.sweep(TINY, spec, out, jobs=2, progress=False)
    table = result.table
    assert list(table.columns[:4]) == ["run_id", "label", "x", "fail"]
    assert list(table.columns[4:8]) == ["seed", "status", "duration_s", "error"]
    assert "shares" not in table.columns  # a list is not a scalar: kept in the record only
    assert len(table) == 4 and len(result.executed) == 4 and result.skipped == []
    ok = table[table["status"] == "ok"]
    failed = table[table["status"] == "failed"]
    assert list(ok["fail"]) == [False, False] and list(failed["fail"]) == [True, True]
    assert list(ok["y"]) == [2 * 1 + 10, 2 * 2 + 10]  # y = 2x + 10 for label "b"
    assert list(failed["y"]) == [12, 14]  # recorded before the cell that failed
    assert (table["seed"] == 0).all()  # the notebook's default, as no seed is derived
    assert np.allclose(table["draw"], _draw(0))
    assert failed["error"].str.endswith("ValueError: asked to fail").all()
    assert ok["error"].isna().all() and (table["duration_s"] > 0).all()
    # the files hold the same table; every run has its executed notebook
    csv = pd.read_csv(out / "results.csv")
    assert list(csv["run_id"]) == list(table["run_id"]) and list(csv["status"]) == list(table["status"])
    parquet = pd.read_parquet(out / "results.parquet")
    assert list(parquet.columns) == list(table.columns) and list(parquet["y"]) == [12, 12, 14, 14]
    assert all((out / "notebooks" / f"{rid}.ipynb").is_file() for rid in table["run_id"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["notebook_sha256"] == hashlib.sha256(TINY.read_bytes()).hexdigest()
    assert manifest["spec_sha256"] == read_spec(spec).sha256()
    assert manifest["runs"] == 4 and manifest["packages"]["papermill"] and manifest["python"]
    nb_sha = manifest["notebook_sha256"]
    assert set(table["run_id"]) == {run_id(nb_sha, p) for p in SweepSpec(**read_spec(spec).to_dict()).runs()}
    # started again: nothing runs; with retry_failed, only the failed runs
    again = sweep(TINY, spec, out, jobs=2, progress=False)
    assert again.executed == [] and sorted(again.skipped) == sorted(table["run_id"])
    assert again.table.equals(table)
    retried = sweep(TINY, spec, out, jobs=2, retry_failed=True, progress=False)
    assert sorted(retried.executed) == sorted(failed["run_id"])


def test_a_second_sweep_on_the_same_folder_is_refused(tmp_path):
    import fcntl

    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ValueError, match="another sweep is writing to this folder"):
            sweep(TINY, {"grid": {"x": [1]}}, out, progress=False)


def _descendants(pid: int) -> list:
    psutil = pytest.importorskip("psutil")
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _wait_gone(procs, seconds=15.0) -> list:
    psutil = pytest.importorskip("psutil")

    def running(p):
        try:
            return p.is_running() and p.status() != "zombie"
        except psutil.NoSuchProcess:  # ended between the two questions
            return False

    deadline = time.monotonic() + seconds
    alive = procs
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if running(p)]
        time.sleep(0.2)
    return alive


def test_kill_9_mid_sweep_then_restart_loses_nothing_and_runs_nothing_twice(tmp_path):
    log = tmp_path / "log.txt"
    spec = _write(tmp_path / "spec.yaml", f"parameters: {{sleep_s: 1.0, log_file: '{log}'}}\n"
                                           "grid: {x: [1, 2, 3, 4]}\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "fidelia_kit", "sweep", str(TINY), "--spec", str(spec),
                             "--out", str(out), "--jobs", "2", "--quiet"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    records = out / "records"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(records.glob("*.json")) if records.is_dir() else []) < 2:
        time.sleep(0.05)
    children = _descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not _wait_gone(children), "processes left behind by the killed sweep"
    done_before = {p.stem for p in records.glob("*.json")}
    assert 2 <= len(done_before) < 4
    before = pd.read_csv(out / "results.csv")  # whole, never half-written
    assert set(before["run_id"]) <= done_before and (before["status"] == "ok").all()
    lines_before = log.read_text().splitlines()

    result = sweep(TINY, spec, out, jobs=2, progress=False)
    assert not set(result.executed) & done_before  # nothing run twice
    assert set(result.executed) | done_before == set(result.table["run_id"])
    assert len(result.table) == 4 and (result.table["status"] == "ok").all()
    assert sorted(result.table["y"]) == [2, 4, 6, 8]
    finished_x = {int(x) for x in result.table.loc[result.table["run_id"].isin(done_before), "x"]}
    lines = log.read_text().splitlines()
    for x in finished_x:  # a run finished before the kill ran once, and only before it
        assert sum(ln.startswith(f"{x},") for ln in lines) == 1
        assert sum(ln.startswith(f"{x},") for ln in lines_before) == 1
    assert not list((out / "notebooks").glob(".*"))  # no staged copy left


# ---------------------------------------------------------------- command line

def test_cli_bad_spec_exits_2_with_one_line(tmp_path, capsys):
    spec = _write(tmp_path / "bad.yaml", "grid: {x: 3}\n")
    code = main(["sweep", str(TINY), "--spec", str(spec), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("fidelia: error:") and "grid.x must be a non-empty list" in err[0]


def test_cli_unknown_parameter_exits_2_as_a_subprocess(tmp_path):
    spec = _write(tmp_path / "s.yaml", "grid: {discount: [0.1]}\n")
    proc = subprocess.run([sys.executable, "-m", "fidelia_kit", "sweep", str(TINY), "--spec", str(spec),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "'discount' is not in the parameters cell" in proc.stderr


def test_cli_runs_a_sweep_and_exits_1_when_a_run_failed(tmp_path, capsys):
    spec = _write(tmp_path / "s.yaml", "grid: {fail: [false, true]}\n")
    code = main(["sweep", str(TINY), "--spec", str(spec), "--out", str(tmp_path / "out"), "--jobs", "2", "--quiet"])
    assert code == 1
    assert "1 of 2 runs ok" in capsys.readouterr().out
    assert list(pd.read_csv(tmp_path / "out" / "results.csv")["status"]) == ["ok", "failed"]


# ---------------------------------------------------------------- Dask

@pytest.mark.slow
def test_dask_cluster_with_a_worker_killed_mid_run(tmp_path):
    distributed = pytest.importorskip("distributed")
    spec = {"parameters": {"sleep_s": 2.0}, "grid": {"x": [1, 2, 3, 4]}}
    out = tmp_path / "out"
    before = {p.pid for p in _descendants(os.getpid())}  # other tests' processes (e.g. a browser) are not ours
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster, distributed.Client(cluster) as client:
        killed = []

        def kill_a_busy_worker():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                busy = [w for w, keys in client.processing().items() if keys]
                if busy and (out / "records").is_dir():
                    time.sleep(1.0)  # mid-run: the notebook's kernel is up
                    pids = client.run(os.getpid, workers=busy[:1])
                    for pid in pids.values():
                        killed.append(pid)
                        os.kill(pid, signal.SIGKILL)
                    return
                time.sleep(0.1)

        killer = threading.Thread(target=kill_a_busy_worker, daemon=True)
        killer.start()
        result = sweep(TINY, spec, out, scheduler=cluster.scheduler_address, progress=False)
        killer.join()
    assert killed, "no worker was killed"
    left = [p for p in _wait_gone([p for p in _descendants(os.getpid()) if p.pid not in before])
            if "resource_tracker" not in " ".join(p.cmdline())]
    assert not left, [p.cmdline() for p in left]
    table = result.table
    assert len(table) == 4 and (table["status"] == "ok").all(), table["error"].tolist()
    assert sorted(table["y"]) == [2, 4, 6, 8]
    assert all((out / "notebooks" / f"{rid}.ipynb").is_file() for rid in table["run_id"])
    assert json.loads((out / "manifest.json").read_text())["scheduler"] == cluster.scheduler_address


def _worker_side_runs(worker_pids, kinds=("_subprocess_main", "ipykernel")) -> list:
    """The processes running notebooks under the Dask workers: each run's process and its kernel."""
    procs = []
    for pid in worker_pids:
        for p in _descendants(pid):
            try:
                cmd = " ".join(p.cmdline())
            except Exception:  # noqa: BLE001 - ended meanwhile (gone, or a zombie)
                continue
            if any(kind in cmd for kind in kinds):
                procs.append(p)
    return procs


@pytest.mark.slow
def test_dask_sweep_interrupted_stops_the_runs_on_the_workers_and_restart_loses_nothing(tmp_path):
    distributed = pytest.importorskip("distributed")
    log = tmp_path / "log.txt"
    # two quick runs, two slow ones: interrupted while the slow ones run on the workers
    spec = _write(tmp_path / "spec.yaml", f"parameters: {{log_file: '{log}'}}\n"
                                           "points: [{x: 1, sleep_s: 0.1}, {x: 2, sleep_s: 0.1}, "
                                           "{x: 3, sleep_s: 6.0}, {x: 4, sleep_s: 6.0}]\n")
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster, distributed.Client(cluster) as client:
        workers = list(client.run(os.getpid).values())
        proc = subprocess.Popen([sys.executable, "-m", "fidelia_kit", "sweep", str(TINY), "--spec", str(spec),
                                 "--out", str(out), "--scheduler", cluster.scheduler_address, "--quiet"],
                                cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        records = out / "records"
        deadline = time.monotonic() + 120
        running: list = []
        while time.monotonic() < deadline:
            done = len(list(records.glob("*.json"))) if records.is_dir() else 0
            running = _worker_side_runs(workers, kinds=("_subprocess_main",))
            if done >= 2 and running:
                break
            time.sleep(0.1)
        assert done >= 2 and running, "the sweep did not reach its slow runs"
        time.sleep(1.0)  # mid-run: the slow notebooks' kernels are up
        on_workers = _worker_side_runs(workers)
        interrupted_at = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)  # Ctrl-C
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        left = _wait_gone(on_workers, seconds=5.0)
        assert not left, [p.cmdline() for p in left]  # the runs on the workers were stopped, kernels included
        finished = {p.stem for p in records.glob("*.json")}
        assert len(finished) == 2
        time.sleep(max(0.0, interrupted_at + 6.5 - time.monotonic()))
        assert sorted(line.split(",")[0] for line in log.read_text().splitlines()) == ["1", "2"]  # no slow run ended

        result = sweep(TINY, spec, out, scheduler=client, progress=False)
    assert not set(result.executed) & finished  # the finished runs were kept, not run again
    assert len(result.table) == 4 and (result.table["status"] == "ok").all(), result.table["error"].tolist()
    assert sorted(result.table["y"]) == [2, 4, 6, 8]
    assert sorted(line.split(",")[0] for line in log.read_text().splitlines()) == ["1", "2", "3", "4"]


# ---------------------------------------------------------------- the research studies

ROOT = Path(__file__).resolve().parents[1]
STUDIES = sorted((ROOT / "sweeps").glob("*.yaml"))


@pytest.mark.parametrize("spec", STUDIES, ids=[p.stem for p in STUDIES])
def test_each_study_spec_is_valid_for_its_notebook(spec):
    from fidelia_kit.sweep import _check_notebook

    notebook = ROOT / "notebooks" / "research" / f"{spec.stem}.ipynb"
    summary = ROOT / "notebooks" / "research" / f"{spec.stem}_summary.ipynb"
    assert notebook.is_file() and summary.is_file()
    parsed = read_spec(spec)
    _check_notebook(notebook, parsed)
    assert len(parsed.runs()) <= 60  # a study runs in minutes on two cores


def _stderr_outputs(path: Path) -> list:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.get("name") == "stderr"]


@pytest.mark.slow
def test_clv_recovery_study_runs_and_its_summary_reads_the_table(tmp_path):
    out = tmp_path / "clv"
    spec = {"parameters": {"n_customers": 1000, "calibration_weeks": 52}, "grid": {"model": ["bgnbd", "paretonbd"]}}
    result = sweep(ROOT / "notebooks" / "research" / "clv_recovery.ipynb", spec, out, jobs=2, progress=False)
    table = result.table
    assert (table["status"] == "ok").all(), table["error"].tolist()
    # the truth is r = 0.85, alpha = 6 (BG/NBD, weekly): the errors are relative to it
    assert np.allclose(table["r_hat"], 0.85 * (1 + table["r_rel_error"]))
    assert table["holdout_bias"].abs().max() < 0.5 and (table["holdout_corr"] > 0.3).all()
    # the true expected purchases are the holdout counts without their Poisson-like noise: the model's
    # predictions correlate better with them than with the counts, and their total is close
    assert (table["truth_purchases_corr"] > table["holdout_corr"]).all()
    assert table["truth_purchases_bias"].abs().max() < 0.3 and (table["truth_value_corr"] > 0.5).all()
    assert (table["truth_value_mae"] > 0).all()
    assert not any(_stderr_outputs(p) for p in (out / "notebooks").glob("*.ipynb"))
    [run] = runner.run_notebooks([ROOT / "notebooks" / "research" / "clv_recovery_summary.ipynb"],
                                 parameters={"results_file": str(out / "results.csv")}, out_dir=tmp_path / "s",
                                 progress=False)
    assert run.status == "ok", run.error
    summary = tmp_path / "s" / "clv_recovery_summary.ipynb"
    assert summary.is_file() and not _stderr_outputs(summary)


@pytest.mark.slow
def test_retention_design_study_runs_and_its_summary_reads_the_table(tmp_path):
    out = tmp_path / "ret"
    spec = {"parameters": {"n_customers": 3000}, "grid": {"call_effect": [0.0, 0.09], "call_effect_spread": [0.0, 2.0]}}
    result = sweep(ROOT / "notebooks" / "research" / "retention_design.ipynb", spec, out, jobs=2, progress=False)
    table = result.table.set_index(["call_effect", "call_effect_spread"])
    assert (table["status"] == "ok").all(), table["error"].tolist()
    assert (table["profit_no_one"] == 0).all()
    assert (table["profit_oracle"] >= table[["profit_uplift", "profit_everyone", "profit_no_one"]].max(axis=1) - 1e-9).all()
    # the knobs move the truth: the average effect, and the spread of effects (only clipping at
    # [-p0, 1 - p0] spreads them when the knob is 0); with more spread the oracle has more to gain
    for spread in (0.0, 2.0):
        assert table.loc[(0.09, spread), "true_effect_call"] > table.loc[(0.0, spread), "true_effect_call"] + 0.05
    for effect in (0.0, 0.09):
        assert table.loc[(effect, 0.0), "effect_sd"] < 0.02 < 0.12 < table.loc[(effect, 2.0), "effect_sd"]
        assert table.loc[(effect, 2.0), "profit_oracle"] > table.loc[(effect, 0.0), "profit_oracle"] + 1.0
    assert not any(_stderr_outputs(p) for p in (out / "notebooks").glob("*.ipynb"))
    [run] = runner.run_notebooks([ROOT / "notebooks" / "research" / "retention_design_summary.ipynb"],
                                 parameters={"results_file": str(out / "results.csv")}, out_dir=tmp_path / "s",
                                 progress=False)
    assert run.status == "ok", run.error
    assert not _stderr_outputs(tmp_path / "s" / "retention_design_summary.ipynb")


def test_missing_dask_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    spec = _write(tmp_path / "s.yaml", "grid: {x: [1]}\n")
    code = main(["sweep", str(TINY), "--spec", str(spec), "--out", str(tmp_path / "out"),
                 "--scheduler", "tcp://127.0.0.1:8786"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and 'needs Dask distributed: pip install "dask[distributed]"' in err[0]
    assert not (tmp_path / "out").exists()  # refused before anything was written


# ---------------------------------------------------------------- replicate means

def test_replicate_means_match_statsmodels_t_interval():
    from statsmodels.stats.weightstats import DescrStatsW

    from fidelia_kit.sweep import replicate_means

    table = pd.DataFrame({"n": [500, 500, 500, 500, 2000, 2000, 2000, 9000],
                          "status": ["ok", "ok", "ok", "failed", "ok", "ok", "ok", "ok"],
                          "bias": [0.12, 0.31, 0.05, 99.0, -0.02, 0.04, 0.01, 0.3],
                          "covered": [True, False, True, True, True, True, False, True]})
    got = replicate_means(table, ["bias", "covered"], by="n", ci=0.90).set_index(["quantity", "n"])
    low, high = DescrStatsW(np.array([0.12, 0.31, 0.05])).tconfint_mean(alpha=0.10)
    row = got.loc[("bias", 500)]
    assert row["runs"] == 3 and row["mean"] == pytest.approx(0.16)  # the failed run's 99 is left out
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-10)
    assert got.loc[("covered", 2000), "mean"] == pytest.approx(2 / 3)
    one = got.loc[("bias", 9000)]
    assert one["runs"] == 1 and np.isnan(one["sd"]) and np.isnan(one["ci_low"])  # no spread from one run
    assert list(got.reset_index().columns) == ["quantity", "n", "runs", "mean", "sd", "ci_low", "ci_high"]


@pytest.mark.parametrize("args, error, match", [
    (([1, 2], "x"), TypeError, r"`table` must be a pandas DataFrame"),
    ((pd.DataFrame({"n": [1]}), "bias"), ValueError, r"`table` has no column\(s\) \['bias'\]"),
    ((pd.DataFrame({"n": [1], "bias": ["a"]}), "bias"), ValueError, r"column 'bias' must hold numbers"),
])
def test_replicate_means_bad_input(args, error, match):
    from fidelia_kit.sweep import replicate_means

    with pytest.raises(error, match=match):
        replicate_means(*args, by="n")
    with pytest.raises(ValueError, match=r"`ci` must be in \[0.5, 0.9999\]"):
        replicate_means(pd.DataFrame({"n": [1], "bias": [0.1]}), "bias", by="n", ci=95)


def test_manifest_created_is_when_the_sweep_started_and_updated_when_it_ended(tmp_path):
    out = tmp_path / "out"
    sweep(TINY, {"parameters": {"sleep_s": 1.1}, "grid": {"x": [1, 2]}}, out, jobs=1, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    finished = sorted(json.loads(p.read_text())["finished"] for p in (out / "records").glob("*.json"))
    # ISO times in UTC, to the second: the runs end at least 1.1 s apart, so the end is after the first
    assert manifest["created"] <= finished[0] < finished[-1] <= manifest["updated"]
    sweep(TINY, {"parameters": {"sleep_s": 1.1}, "grid": {"x": [1, 2, 3]}}, out, jobs=1, progress=False)
    again = json.loads((out / "manifest.json").read_text())
    assert again["created"] == manifest["created"] and again["updated"] > manifest["updated"]
