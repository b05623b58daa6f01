"""Writing a world: `fidelia data generate` and World.save never lose or half-write anything."""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import fidelia_kit.dataset as dataset_mod
import fidelia_kit.synth.world as world_mod
from fidelia_kit.cli import main
from fidelia_kit.schema import TABLE_FILES
from fidelia_kit.synth import WorldConfig

N_FILES = len(TABLE_FILES) + 1  # every table and truth.json

GENERATE = ["data", "generate", "--customers", "300", "--quiet"]


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
            for p in sorted(Path(folder).iterdir())}


def _one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def old_world(tmp_path):
    """A folder holding a data set (seed 1) and a file of the user's."""
    out = tmp_path / "w"
    assert main([*GENERATE, "--seed", "1", "--out", str(out)]) == 0
    (out / "mine.txt").write_text("keep me")
    return out


# --- interruption ---------------------------------------------------------------------------

# stops for a minute at a chosen point, after leaving a marker file, so the signal arrives there
_STOPPING = """
import sys, time
from pathlib import Path
import fidelia_kit.dataset as dataset_mod
import fidelia_kit.synth as synth
import fidelia_kit.synth.world as world_mod
where, marker, args = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]

def stop():
    marker.write_text("here")
    time.sleep(60)

real_write, real_generate, real_baskets = dataset_mod.write_csv, synth.generate_world, world_mod.make_transactions
def baskets(*a, **k):
    stop()
    return real_baskets(*a, **k)
if where == "baskets":
    world_mod.make_transactions = baskets
def write(df, path):
    real_write(df, path)
    if where == "writing" and path.name == "customers.csv":
        stop()
def generate(*a, **k):
    if where == "generating":
        stop()
    return real_generate(*a, **k)
dataset_mod.write_csv, synth.generate_world = write, generate
from fidelia_kit.cli import main
sys.exit(main(args))
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("where, force", [("writing", False), ("writing", True), ("generating", True)],
                         ids=["writing-new-folder", "writing-force-over-a-data-set", "generating"])
def test_generate_interrupted_discards_cleanly_and_exits_130(sig, where, force, tmp_path, old_world):
    out = old_world if force else tmp_path / "new"
    before = _hashes(old_world)
    marker = tmp_path / "marker"
    args = [*GENERATE, "--seed", "2", "--out", str(out)] + (["--force"] if force else [])
    proc = subprocess.Popen([sys.executable, "-c", _STOPPING, where, str(marker), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.01)
    if where == "writing":  # the first file is in the temporary folder inside the target
        assert [p.name for p in out.glob(".fidelia-tmp-*/*")] == ["customers.csv"]
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert _one_line(stderr) == f"fidelia: interrupted; nothing was written, {out} is as it was."
    assert stdout == ""
    assert _hashes(old_world) == before  # the old data set and the user's file untouched
    assert not (tmp_path / "new").exists()
    assert not list(tmp_path.rglob(".fidelia-tmp-*"))


def test_generate_interrupted_with_progress_bars_prints_the_line_on_its_own(tmp_path):
    out, marker = tmp_path / "w", tmp_path / "marker"
    args = ["data", "generate", "--customers", "300", "--out", str(out)]  # no --quiet: the bar is open
    proc = subprocess.Popen([sys.executable, "-c", _STOPPING, "baskets", str(marker), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130
    lines = [line for line in stderr.split("\n") if line.strip()]
    assert lines[-1] == f"fidelia: interrupted; nothing was written, {out} is as it was."
    assert all("fidelia" not in line and "Traceback" not in line for line in lines[:-1])
    assert "generating world" in lines[-2] and "3/8" in lines[-2]  # the bar, closed where it stopped
    assert not out.exists()


def test_generate_interrupted_during_the_final_moves_says_the_data_set_was_written(tmp_path, monkeypatch, capsys):
    real = os.replace

    def replace_then_interrupt(src, dst):
        if Path(dst).name == "customers.csv":
            signal.raise_signal(signal.SIGTERM)  # held by save until every file is in place
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace_then_interrupt)
    out = tmp_path / "w"
    assert main([*GENERATE, "--out", str(out)]) == 130
    captured = capsys.readouterr()
    assert _one_line(captured.err) == f"fidelia: interrupted after the data set was written to {out}."
    assert len(list(out.iterdir())) == N_FILES and not list(out.glob(".fidelia-tmp-*"))
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_interruption_during_the_final_moves_is_held_until_they_are_done(small_world, tmp_path, monkeypatch):
    real = os.replace
    calls = []

    def replace_then_interrupt(src, dst):
        calls.append(Path(dst).name)
        if len(calls) == 1:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C after the first of nine files is in place
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        small_world.save(tmp_path / "w")
    assert len(calls) == N_FILES and sorted(p.name for p in (tmp_path / "w").iterdir()) == sorted(calls)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# --- leftovers of a killed run --------------------------------------------------------------

def test_generate_removes_temporary_folders_a_killed_run_left_and_says_so(tmp_path, capsys):
    out = tmp_path / "w"
    inside = out / ".fidelia-tmp-99999999-abc"      # a killed run of this version (no such process)
    beside = tmp_path / ".fidelia-tmp-k2j4_x9q"      # a killed run of an earlier version
    for d, name in ((inside, "customers.csv"), (beside, "transactions.csv")):
        d.mkdir(parents=True)
        (d / name).write_text("customer_id\n1\n")
    assert main([*GENERATE, "--out", str(out)]) == 0
    err = _one_line(capsys.readouterr().err)
    assert err == f"fidelia: removed 2 temporary folder(s) left by an interrupted run ({inside}, {beside})."
    assert not inside.exists() and not beside.exists()
    assert sorted(p.name for p in out.iterdir()) == sorted([*TABLE_FILES.values(), "truth.json"])


def test_temporary_folders_of_a_running_writer_or_with_other_files_are_kept(tmp_path, capsys):
    out = tmp_path / "w"
    running = out / f".fidelia-tmp-{os.getpid()}-abc"   # this process is alive: a save in progress
    foreign = out / ".fidelia-tmp-notes"
    for d, name in ((running, "customers.csv"), (foreign, "notes.txt")):
        d.mkdir(parents=True)
        (d / name).write_text("x")
    assert world_mod.remove_leftovers(out) == []
    assert main([*GENERATE, "--out", str(out)]) == 2
    assert _one_line(capsys.readouterr().err) == (
        f"fidelia: error: --out {out}: folder is not empty; use --force to write into it or choose another folder.")
    assert (running / "customers.csv").is_file() and (foreign / "notes.txt").is_file()


def test_without_posix_signals_a_writer_counts_as_running_for_an_hour(tmp_path, monkeypatch):
    fresh, old = tmp_path / ".fidelia-tmp-4242-a", tmp_path / ".fidelia-tmp-4242-b"
    fresh.mkdir()
    old.mkdir()
    os.utime(old, (time.time() - 7200, time.time() - 7200))

    def never(pid, sig):  # on Windows os.kill(pid, 0) would end process pid
        raise AssertionError("os.kill called")

    monkeypatch.setattr(os, "kill", never)
    monkeypatch.setattr(os, "name", "nt")
    assert dataset_mod._writer_running(fresh) is True
    assert dataset_mod._writer_running(old) is False


def test_save_removes_leftovers_with_a_warning(small_world, tmp_path):
    left = tmp_path / "w" / ".fidelia-tmp-x7"
    left.mkdir(parents=True)
    (left / "truth.json").write_text("{")
    with pytest.warns(UserWarning, match=r"removed 1 temporary folder\(s\) left by an interrupted save"):
        small_world.save(tmp_path / "w")
    assert not left.exists() and len(list((tmp_path / "w").iterdir())) == N_FILES


# --- file systems and full disks ------------------------------------------------------------

def test_generate_onto_a_mount_point_renames_only_within_it(tmp_path, monkeypatch, capsys):
    """--out on another file system: a rename that crosses the target's boundary fails (EXDEV)."""
    out = tmp_path / "mnt"
    out.mkdir()
    real = os.replace

    def mount_point_replace(src, dst):
        inside = [Path(p).resolve().is_relative_to(out.resolve()) for p in (src, dst)]
        if inside[0] != inside[1]:
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(src), None, str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", mount_point_replace)
    assert main([*GENERATE, "--out", str(out)]) == 0
    assert f"wrote {N_FILES} files" in capsys.readouterr().out
    assert len(list(out.iterdir())) == N_FILES and list(tmp_path.iterdir()) == [out]


def _full_disk_after(n):
    real = dataset_mod.write_csv
    calls = {"n": 0}

    def write(df, path):
        calls["n"] += 1
        if calls["n"] > n:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(df, path)

    return write


def test_generate_on_a_full_disk_exits_2_with_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    out = tmp_path / "w"
    monkeypatch.setattr(dataset_mod, "write_csv", _full_disk_after(3))
    assert main([*GENERATE, "--out", str(out)]) == 2
    assert _one_line(capsys.readouterr().err) == (
        f"fidelia: error: --out {out}: could not write the data set (No space left on device); nothing was written.")
    assert list(tmp_path.iterdir()) == []


def test_generate_force_on_a_full_disk_keeps_the_old_data_set(old_world, monkeypatch, capsys):
    before = _hashes(old_world)
    monkeypatch.setattr(dataset_mod, "write_csv", _full_disk_after(7))
    assert main([*GENERATE, "--seed", "2", "--out", str(old_world), "--force"]) == 2
    assert "No space left on device" in _one_line(capsys.readouterr().err)
    assert _hashes(old_world) == before


def test_generate_force_replaces_the_data_set_and_keeps_other_files(old_world, tmp_path, capsys):
    assert main([*GENERATE, "--seed", "2", "--out", str(old_world), "--force"]) == 0
    assert main([*GENERATE, "--seed", "2", "--out", str(tmp_path / "fresh")]) == 0
    after = _hashes(old_world)
    assert after.pop("mine.txt") == hashlib.sha256(b"keep me").hexdigest()
    assert after == _hashes(tmp_path / "fresh")


def test_generate_onto_a_file_names_the_option(tmp_path, capsys):
    (tmp_path / "f").write_text("mine")
    assert main([*GENERATE, "--out", str(tmp_path / "f")]) == 2
    assert _one_line(capsys.readouterr().err) == f"fidelia: error: --out {tmp_path / 'f'}: exists and is not a folder."
    assert (tmp_path / "f").read_text() == "mine"


# --- every refusal: one line naming the option, exit 2, nothing written ---------------------

@pytest.mark.parametrize("extra, message", [
    (["--customers", "10"], "--customers must be in [50, 10000000]; got 10."),
    (["--seed", "-1"], "--seed must be in [0, 9223372036854775807]; got -1."),
    (["--years", "9"], "--years must be in [1, 5]; got 9."),
    (["--start", "2024-02-30"], "--start must be an ISO date 'YYYY-MM-DD' in [2000-01-01, 2099-01-01]; got '2024-02-30'."),
    (["--start", "1999-12-31"], "--start must be in [2000-01-01, 2099-01-01]; got '1999-12-31'."),
    (["--years", "two"], "fidelia data generate: argument --years: invalid int value: 'two'"),
])
def test_generate_refusals_are_one_line_naming_the_option(extra, message, tmp_path, capsys):
    assert main([*GENERATE, "--out", str(tmp_path / "w"), *extra]) == 2
    assert _one_line(capsys.readouterr().err) == f"fidelia: error: {message}"
    assert list(tmp_path.iterdir()) == []


def test_generate_refusal_as_a_subprocess_exits_2_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "fidelia_kit", *GENERATE, "--start", "1999-12-31",
                             "--out", str(tmp_path / "w")], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=300)
    assert result.returncode == 2 and result.stdout == ""
    assert _one_line(result.stderr) == "fidelia: error: --start must be in [2000-01-01, 2099-01-01]; got '1999-12-31'."
    assert list(tmp_path.iterdir()) == []


def test_generate_on_an_unreadable_folder_names_the_option(tmp_path, monkeypatch, capsys):
    def unreadable(folder):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))

    monkeypatch.setattr(world_mod, "remove_leftovers", unreadable)
    assert main([*GENERATE, "--out", str(tmp_path)]) == 2
    assert _one_line(capsys.readouterr().err) == f"fidelia: error: --out {tmp_path}: cannot read the folder (Permission denied)."


# --- dates ----------------------------------------------------------------------------------

@pytest.mark.parametrize("start, years, end", [
    ("2024-02-29", 1, "2025-02-28"), ("2024-02-29", 2, "2026-02-28"), ("2024-02-29", 4, "2028-02-28"),
    ("2024-01-01", 2, "2025-12-31"), ("2023-03-15", 1, "2024-03-14"),
])
def test_window_ends_the_day_before_the_same_date_years_later(start, years, end):
    assert WorldConfig(start_date=start, n_years=years).end == dt.date.fromisoformat(end)


def test_generate_starting_on_29_february(tmp_path, capsys):
    out = tmp_path / "w"
    assert main([*GENERATE, "--start", "2024-02-29", "--out", str(out)]) == 0
    window = json.loads((out / "truth.json").read_text())["window"]
    assert window == {"start": "2024-02-29", "end": "2026-02-28", "n_days": 731}
    dates = pd.to_datetime(pd.read_csv(out / "transactions.csv")["date"])
    assert dates.min() >= pd.Timestamp("2024-02-29") and dates.max() <= pd.Timestamp("2026-02-28")


def test_generate_at_the_earliest_start_moves_the_membership_back(tmp_path, capsys):
    out = tmp_path / "w"
    assert main([*GENERATE, "--start", "2000-01-01", "--out", str(out)]) == 0
    assert "(seed 2026; paid membership from 1992)." in capsys.readouterr().out
    cohorts = pd.read_csv(out / "memberships.csv")["cohort"]
    assert cohorts.min() == 1992 and cohorts.max() == 2001
    assert json.loads((out / "truth.json").read_text())["config"]["membership_first_year"] == 1992


def test_library_names_both_knobs_when_the_window_ends_before_the_membership():
    with pytest.raises(ValueError, match=r"^`membership_first_year` must be <= the last year of the window \(2001\); "
                                         r"got 2016; set an earlier `membership_first_year` or a later `start_date`\.$"):
        WorldConfig(start_date="2000-01-01")
    assert WorldConfig(start_date="2000-01-01", membership_first_year=1995).end == dt.date(2001, 12, 31)


def test_generate_with_a_window_after_the_membership_keeps_its_default(tmp_path, capsys):
    assert main([*GENERATE, "--start", "2015-01-01", "--out", str(tmp_path / "w")]) == 0
    assert "paid membership" not in capsys.readouterr().out
    assert json.loads((tmp_path / "w" / "truth.json").read_text())["config"]["membership_first_year"] == 2016


def test_generate_sets_the_membership_first_year_when_asked(tmp_path, capsys):
    out = tmp_path / "w"
    assert main([*GENERATE, "--start", "2000-01-01", "--membership-first-year", "1998", "--out", str(out)]) == 0
    assert "paid membership" not in capsys.readouterr().out  # nothing was moved
    assert json.loads((out / "truth.json").read_text())["config"]["membership_first_year"] == 1998
    assert pd.read_csv(out / "memberships.csv")["cohort"].min() == 1998
    assert main([*GENERATE, "--membership-first-year", "2030", "--out", str(tmp_path / "x")]) == 2
    assert _one_line(capsys.readouterr().err) == (
        "fidelia: error: --membership-first-year must be <= the last year of the window (2025); got 2030; "
        "set an earlier --membership-first-year or a later --start.")
    assert not (tmp_path / "x").exists()


# --- memory ---------------------------------------------------------------------------------

def test_generate_refuses_a_world_larger_than_the_memory(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(world_mod, "available_memory", lambda: 2_000_000_000)
    start = time.monotonic()
    assert main(["data", "generate", "--customers", "1000000", "--quiet", "--out", str(tmp_path / "w")]) == 2
    assert time.monotonic() - start < 5  # refused up front, before generating
    # 1e6 customers * (2.9 kB + 1.25 kB * 2 years) = 5.4 GB; 2.0 / 5.4 of a million fit
    assert _one_line(capsys.readouterr().err) == (
        "fidelia: error: --customers 1,000,000 needs about 5.4 GB of memory to generate, more than the 2.0 GB "
        "available; use at most about 370,000 customers.")
    assert list(tmp_path.iterdir()) == []


def test_generate_with_almost_no_memory_left_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(world_mod, "available_memory", lambda: 1_000_000)
    assert main([*GENERATE, "--out", str(tmp_path / "w")]) == 2
    assert _one_line(capsys.readouterr().err) == (
        "fidelia: error: --customers 300 needs about 0.0 GB of memory to generate, more than the 0.0 GB "
        "available; free some memory first.")


def test_memory_estimate_matches_the_benchmark_at_a_million_customers():
    # benchmarks/bench_generate.py: 5.2 GB peak at a million customers over two years
    assert 5.2e9 <= world_mod.peak_memory_estimate(WorldConfig(n_customers=1_000_000)) <= 5.2e9 * 1.1
    assert world_mod.peak_memory_estimate(WorldConfig(n_customers=10_000_000)) == 54_000_000_000


def test_memory_estimate_covers_the_measured_peak_of_a_small_world():
    import tracemalloc

    from fidelia_kit import generate_world

    config = WorldConfig(n_customers=20_000, seed=1)
    generate_world(n_customers=300)  # imports and caches outside the measurement
    tracemalloc.start()
    try:
        generate_world(config)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = world_mod.peak_memory_estimate(config)
    assert peak <= estimate <= 1.5 * peak  # measured: 4.65 kB per customer against 5.4 kB estimated


def test_available_memory_is_a_positive_number_of_bytes_here():
    have = world_mod.available_memory()
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        kb = next(int(line.split()[1]) for line in meminfo.read_text().splitlines() if line.startswith("MemAvailable:"))
        assert 0 < have <= kb * 1024 * 1.5


def test_generate_force_over_a_table_that_is_a_folder_writes_nothing(old_world, capsys):
    # A folder where a table's file should be: found before anything moves, so the old data set
    # stays whole (the message used to say "nothing was written" after the tables were replaced).
    (old_world / "truth_customers.csv").unlink()
    (old_world / "truth_customers.csv").mkdir()
    before = _hashes(old_world)
    assert main([*GENERATE, "--seed", "2", "--out", str(old_world), "--force"]) == 2
    assert _one_line(capsys.readouterr().err) == (f"fidelia: error: --out {old_world}: truth_customers.csv exist(s) "
                                                  "but not as file(s); move them away first.")
    assert _hashes(old_world) == before
