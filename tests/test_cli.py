"""The command line: exit 0 with one summary line, or exit 2 with one error line."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fidelia_kit import generate_world
from fidelia_kit.cli import main

from .conftest import DATA


def _run(*args):
    return subprocess.run([sys.executable, "-m", "fidelia_kit", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
            for p in sorted(folder.iterdir())}


def test_help_lists_every_command():
    top = _run("--help")
    assert top.returncode == 0 and "data" in top.stdout
    data = _run("data", "--help")
    assert data.returncode == 0
    for command in ("generate", "validate", "summary"):
        assert command in data.stdout


def test_generate_writes_the_same_world_as_the_library(tmp_path, capsys):
    assert main(["data", "generate", "--customers", "600", "--seed", "9", "--out", str(tmp_path / "w"), "--quiet"]) == 0
    said = capsys.readouterr().out
    generate_world(n_customers=600, seed=9).save(tmp_path / "lib")
    assert _hashes(tmp_path / "w") == _hashes(tmp_path / "lib")
    # every table, truth.json and truth_customers.csv, and the message counts them
    assert f"wrote {len(_hashes(tmp_path / 'lib'))} files" in said


def test_generate_refuses_a_non_empty_folder_unless_forced(tmp_path, capsys):
    out = tmp_path / "w"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    assert main(["data", "generate", "--customers", "300", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "folder is not empty; use --force" in err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert main(["data", "generate", "--customers", "300", "--out", str(out), "--quiet", "--force"]) == 0
    assert (out / "mine.txt").read_text() == "keep me" and (out / "transactions.csv").is_file()


@pytest.mark.parametrize("args, match", [
    (["data", "generate", "--customers", "10", "--out", "x"], r"--customers must be in \[50, 10000000\]; got 10"),
    (["data", "generate", "--customers", "many", "--out", "x"], r"argument --customers: invalid int value: 'many'"),
    (["data", "generate", "--start", "2024-02-31", "--out", "x"], r"--start must be an ISO date"),
    (["data", "generate"], r"the following arguments are required: --out"),
    (["data", "validate", "f.csv", "--table", "orders"], r"argument --table: invalid choice: 'orders'"),
    (["data"], r"the following arguments are required: ACTION"),
    (["nonsense"], r"invalid choice: 'nonsense'"),
])
def test_bad_arguments_exit_2_with_one_line(args, match, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("fidelia: error:") and "\n" not in err
    assert re.search(match, err), err
    assert not (tmp_path / "x").exists()


def test_validate_ok_prints_one_line(capsys):
    assert main(["data", "validate", str(DATA / "transactions_ok.csv"), "--table", "transactions",
                 "--customers", str(DATA / "customers_ok.csv"), "--window", "2024-01-01", "2025-12-31"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == ("transactions_ok.csv: OK, 12 rows of table 'transactions' (12 columns; linked to customers_ok.csv, "
                   "dates within 2024-01-01..2025-12-31).")


def test_validate_finds_the_customers_file_and_window_beside_the_file(tmp_path, small_world_dir, capsys):
    shutil.copy(DATA / "transactions_unknown_customer.csv", tmp_path / "transactions.csv")
    shutil.copy(DATA / "customers_ok.csv", tmp_path / "customers.csv")
    shutil.copy(small_world_dir / "truth.json", tmp_path / "truth.json")
    assert main(["data", "validate", str(tmp_path / "transactions.csv"), "--table", "transactions"]) == 2
    assert "value(s) not found in customers.customer_id (row 8): '999'" in capsys.readouterr().err
    assert main(["data", "validate", str(small_world_dir / "complaints.csv"), "--table", "complaints"]) == 0
    assert "linked to customers.csv, transactions.csv, dates within" in capsys.readouterr().out


@pytest.mark.parametrize("name, table", [("customers_bad_option.csv", "customers"), ("empty.csv", "customers"),
                                         ("customers_utf16.csv", "customers"), ("transactions_bad_date.csv", "transactions"),
                                         ("transactions_timezone.csv", "transactions"),
                                         ("transactions_title_row.xlsx", "transactions"),
                                         ("transactions_extra_values.csv", "transactions")])
def test_validate_bad_file_as_a_subprocess_exits_2_without_traceback(name, table):
    result = _run("data", "validate", str(DATA / name), "--table", table)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"fidelia: error: {name}:")
    assert "Traceback" not in result.stderr


def test_summary_prints_sizes_and_truth(small_world_dir, capsys):
    assert main(["data", "summary", str(small_world_dir)]) == 0
    out = capsys.readouterr().out
    assert "transactions.csv" in out and "BG/NBD per week r=0.85, alpha=6.0, a=0.8, b=5.0" in out
    assert main(["data", "summary", str(small_world_dir / "nowhere")]) == 2


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == "" and err.startswith("fidelia: error:") and "\n" not in err, captured
    return err


def test_validate_refuses_a_window_that_is_not_two_dates(capsys):
    args = ["data", "validate", str(DATA / "transactions_ok.csv"), "--table", "transactions"]
    assert main([*args, "--window", "2024-01-01", "notadate"]) == 2
    assert _one_error_line(capsys) == ("fidelia: error: `--window`: the last day must be a date YYYY-MM-DD; "
                                       "got 'notadate'.")
    assert main([*args, "--window", "2024-01-01", "2024-01-01T00:00+02:00"]) == 2
    assert "the last day must be a date YYYY-MM-DD" in _one_error_line(capsys)


@pytest.mark.parametrize("truth, match", [
    ('{"window": "2024"}', r"truth\.json: 'window' must be an object with 'start' and 'end' dates; got '2024'; the dates "
                           r"of transactions\.csv cannot be checked against the observation window: fix truth\.json or "
                           r"give --window START END\.$"),
    ('{"window": ', r"truth\.json: not valid JSON \(.*\); the dates of transactions\.csv cannot be checked"),
    ("[1, 2]", r"truth\.json: must hold a JSON object \(with 'window', 'config', \.\.\.\); got a JSON list; the dates "
               r"of transactions\.csv cannot be checked"),
])
def test_validate_says_when_truth_json_beside_the_file_is_broken(truth, match, tmp_path, capsys):
    shutil.copy(DATA / "transactions_ok.csv", tmp_path / "transactions.csv")
    (tmp_path / "truth.json").write_text(truth)
    assert main(["data", "validate", str(tmp_path / "transactions.csv"), "--table", "transactions"]) == 2
    assert re.search(match, _one_error_line(capsys))
    assert main(["data", "validate", str(tmp_path / "transactions.csv"), "--table", "transactions",
                 "--window", "2024-01-01", "2025-12-31"]) == 0


def test_summary_of_a_truth_file_without_config_is_one_line(small_world_dir, tmp_path, capsys):
    folder = tmp_path / "w"
    shutil.copytree(small_world_dir, folder)
    truth = json.loads((folder / "truth.json").read_text())
    del truth["config"]
    (folder / "truth.json").write_text(json.dumps(truth))
    assert main(["data", "summary", str(folder)]) == 2
    assert _one_error_line(capsys) == (f"fidelia: error: {folder / 'truth.json'}: has no entry 'config', which the "
                                       "summary needs; it is not a truth file as World.save writes it.")


def test_validate_a_folder_named_like_a_file(tmp_path, capsys):
    (tmp_path / "x.csv").mkdir()
    assert main(["data", "validate", str(tmp_path / "x.csv"), "--table", "transactions"]) == 2
    assert _one_error_line(capsys) == (f"fidelia: error: {tmp_path / 'x.csv'}: is a folder, not a file; give the path "
                                       "of one table file (.csv, .xlsx or .parquet).")


@pytest.mark.parametrize("name", ["transactions_sep_line.csv", "transactions_trailing_separators.csv"])
def test_validate_reads_excel_csv_quirks_without_warnings(name):
    result = _run("data", "validate", str(DATA / name), "--table", "transactions")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == f"{name}: OK, 12 rows of table 'transactions' (12 columns).\n"


def test_validate_warnings_are_one_line_and_sheet_is_named():
    result = _run("data", "validate", str(DATA / "transactions_notes_first.xlsx"), "--table", "transactions")
    assert result.returncode == 0
    assert result.stderr == ("fidelia: warning: transactions_notes_first.xlsx: read sheet 'Data'; the workbook also has "
                             "data on ['Notes'] (choose with sheet=, or --sheet).\n")
    result = _run("data", "validate", str(DATA / "transactions_two_sheets.xlsx"), "--table", "transactions",
                  "--sheet", "2025")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("transactions_two_sheets.xlsx: OK, 6 rows")


def test_validate_names_the_files_line_after_blank_lines(capsys):
    assert main(["data", "validate", str(DATA / "transactions_blank_lines.csv"), "--table", "transactions"]) == 2
    assert _one_error_line(capsys).endswith("column 'amount' has 1 value(s) that are not numbers (row 9): '12.3x'.")


def _catches_sigterm(pid) -> bool:
    """Whether the process has a handler for SIGTERM (Linux: the SigCgt mask of /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as f:
        mask = next(int(line.split()[1], 16) for line in f if line.startswith("SigCgt:"))
    return bool(mask >> (signal.SIGTERM - 1) & 1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the signal mask from /proc (Linux)")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("delay", [0.0, 0.2])
def test_an_interruption_while_the_command_starts_is_one_line_and_130(sig, delay, tmp_path):
    # Early in a command, Python is still importing pandas and friends: an interruption there used
    # to print a long KeyboardInterrupt traceback and end by the signal instead of with status 130.
    # The entry point catches it from its first line (fidelia_kit.__main__).
    datasets = Path(__file__).resolve().parents[1] / "datasets"
    for name in ("transactions.csv", "customers.csv", "truth.json"):
        shutil.copy(datasets / name, tmp_path / name)
    proc = subprocess.Popen([sys.executable, "-m", "fidelia_kit", "data", "validate", str(tmp_path / "transactions.csv"),
                             "--table", "transactions"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not _catches_sigterm(proc.pid):  # the entry point's first line has run; the imports follow
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        # rare: the interrupt fell inside an import that a library wraps in a blanket `except:`, which
        # swallows it; the command then simply completes. Never a traceback, never another status.
        assert err == "" and out.startswith("transactions.csv: OK"), (out, err)
        return
    assert proc.returncode == 130, (proc.returncode, err)
    assert err.strip().splitlines() == ["fidelia: interrupted."], err
