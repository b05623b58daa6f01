"""fidelia_kit.io: typed reading from CSV, Excel and Parquet, and clear refusals."""
from __future__ import annotations

import hashlib
import os

import numpy as np
import pandas as pd
import pytest

from fidelia_kit import DataError, load_world, read_table, validate_table
from fidelia_kit.schema import TABLE_FILES, TABLES

from .conftest import DATA

WINDOW = ("2024-01-01", "2025-12-31")


def test_saved_world_reads_back_equal(small_world, small_world_dir):
    back = load_world(small_world_dir)
    assert set(back.tables) == set(small_world.tables)
    for name, df in small_world.tables.items():
        pd.testing.assert_frame_equal(back.tables[name], df, check_exact=True)
    assert back.truth == small_world.truth


def test_load_world_subset_and_missing_folder(small_world_dir, tmp_path):
    w = load_world(small_world_dir, tables=["complaints"])
    assert list(w.tables) == ["complaints"]
    with pytest.raises(DataError, match="no such data set folder"):
        load_world(tmp_path / "nowhere")
    (tmp_path / "part").mkdir()
    (tmp_path / "part" / "customers.csv").write_bytes((small_world_dir / "customers.csv").read_bytes())
    with pytest.raises(DataError, match=r"transactions\.csv: file not found"):
        load_world(tmp_path / "part")


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_excel_and_parquet_read_like_csv(suffix, tmp_path):
    expected = read_table(DATA / "transactions_ok.csv", "transactions")
    path = tmp_path / f"transactions{suffix}"
    if suffix == ".xlsx":
        expected.to_excel(path, index=False)
    else:
        expected.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(read_table(path, "transactions"), expected)


def test_spanish_excel_csv_reads_the_same_numbers():
    """Semicolons, decimal comma with '.' thousands, euro signs, DD/MM/YYYY, Windows-1252, CRLF."""
    raw = (DATA / "transactions_es.csv").read_bytes()
    assert b";" in raw and b"\x80" in raw and b"\r\n" in raw  # the file really is that format
    es = read_table(DATA / "transactions_es.csv", "transactions")
    ok = read_table(DATA / "transactions_ok.csv", "transactions")
    pd.testing.assert_frame_equal(es, ok)
    assert ok["amount"].max() == 1234.56


def test_latin1_text_is_decoded(tmp_path):
    df = pd.read_csv(DATA / "customers_ok.csv")
    df["note"] = "Señora Núñez"
    path = tmp_path / "customers.csv"
    df.to_csv(path, index=False, encoding="latin-1", sep=";")
    with pytest.warns(UserWarning, match=r"ignoring column\(s\) not in the customers table: \['note'\]"):
        out = read_table(path, "customers")
    assert len(out) == len(df)


def test_column_names_are_matched_loosely(tmp_path):
    df = pd.read_csv(DATA / "customers_ok.csv")
    df.columns = [f" {c.upper()} " for c in df.columns]
    df.to_csv(tmp_path / "c.csv", index=False)
    pd.testing.assert_frame_equal(read_table(tmp_path / "c.csv", "customers"), read_table(DATA / "customers_ok.csv", "customers"))


BAD = [
    ("customers_missing_column.csv", "customers", {}, r"customers_missing_column\.csv: missing column\(s\) 'region'"),
    ("customers_misspelt_column.csv", "customers", {}, r"missing column\(s\) 'region' \(found 'regoin': misspelt\?\)"),
    ("customers_duplicate_ids.csv", "customers", {}, r"column 'customer_id' has 1 duplicate value\(s\) \(row 6\): '2'"),
    ("customers_bad_option.csv", "customers", {}, r"column 'region' has 1 value\(s\) outside \['North', .*\] \(row 4\): 'Narnia'"),
    ("transactions_bad_date.csv", "transactions", {}, r"column 'date' has 2 value\(s\) that are not dates \(rows 4, 7\): '2024-02-30', 'yesterday'"),
    ("transactions_negative_amount.csv", "transactions", {}, r"column 'amount' has 1 value\(s\) below 0\.01 \(row 3\): '-12\.5'"),
    ("transactions_not_a_number.csv", "transactions", {}, r"column 'amount' has 1 value\(s\) that are not numbers \(row 5\): '12\.3x'"),
    ("transactions_empty_amount.csv", "transactions", {}, r"column 'amount' has 1 empty cell\(s\) \(row 4\)"),
    ("transactions_fractional_items.csv", "transactions", {}, r"column 'n_items' has 1 value\(s\) that are not whole numbers \(row 4\): '2\.5'"),
    ("transactions_unknown_customer.csv", "transactions", {"customers": DATA / "customers_ok.csv"},
     r"column 'customer_id' has 1 value\(s\) not found in customers\.customer_id \(row 8\): '999'"),
    ("transactions_outside_window.csv", "transactions", {"window": WINDOW},
     r"column 'date' has 1 date\(s\) outside the observation window 2024-01-01 to 2025-12-31 \(row 2\): '2023-12-31'"),
    ("survey_likert_out_of_range.csv", "survey_responses", {}, r"column 'acc_1' has 1 value\(s\) outside 1-5 \(row 3\): '7'"),
    ("complaints_bad_flag.csv", "complaints", {}, r"column 'resolved_front_line' has 1 value\(s\) that are not true/false \(row 2\): 'maybe'"),
    ("empty.csv", "customers", {}, r"empty\.csv: the file is empty"),
    ("header_only.csv", "customers", {}, r"header_only\.csv: the table has a header but no rows"),
    ("customers_utf16.csv", "customers", {}, r"customers_utf16\.csv: cannot read the file as text: it holds NUL bytes"),
    ("customers.json", "customers", {}, r"customers\.json: unsupported file type '\.json'; expected \.csv, \.xlsx or \.parquet"),
]


@pytest.mark.parametrize("name, table, kwargs, match", BAD, ids=[b[0] for b in BAD])
def test_bad_file_is_refused_clearly_and_left_untouched(name, table, kwargs, match):
    path = DATA / name
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns, sorted(os.listdir(DATA)))
    with pytest.raises(DataError, match=match):
        read_table(path, table, **kwargs)
    after = (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns, sorted(os.listdir(DATA)))
    assert before == after


def test_data_error_is_a_value_error():
    with pytest.raises(ValueError):
        read_table(DATA / "empty.csv", "customers")


def test_unknown_table_and_wrong_types(tmp_path):
    with pytest.raises(ValueError, match=r"`table` must be one of \[.*'customers'.*\]; got 'orders'"):
        read_table(DATA / "customers_ok.csv", "orders")
    with pytest.raises(TypeError, match="`df` must be a pandas DataFrame; got list"):
        validate_table([1, 2], "customers")
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "missing.csv", "customers")


def test_validate_table_accepts_a_dataframe_of_text():
    raw = pd.read_csv(DATA / "customers_ok.csv", dtype=str)
    typed = validate_table(raw, "customers")
    assert typed["first_seen"].dtype == "datetime64[ns]" and typed["customer_id"].dtype == "int64"
    assert [c.name for c in TABLES["customers"]] == list(typed.columns)


def test_links_inside_a_table_are_checked():
    raw = pd.read_csv(DATA / "customers_ok.csv", dtype=str)
    raw.loc[3, "referred_by"] = "77"
    with pytest.raises(DataError, match=r"column 'referred_by' has 1 value\(s\) not found in customers\.customer_id \(row 5\): '77'"):
        validate_table(raw, "customers", source="mine.csv")


def test_every_table_file_name_is_fixed():
    assert TABLE_FILES["transactions"] == "transactions.csv"
    assert set(TABLE_FILES) == set(TABLES)


def test_warehouse_tables_and_customer_360_match_pandas(small_world, small_world_dir):
    from fidelia_kit import warehouse

    con = warehouse(small_world_dir)
    w = small_world
    for name, df in w.tables.items():
        assert con.sql(f"SELECT COUNT(*) FROM {name}").fetchall()[0][0] == len(df), name
    c360 = con.sql("SELECT * FROM customer_360").df().set_index("customer_id")
    assert len(c360) == len(w.customers) and c360.index.is_monotonic_increasing
    revenue = w.transactions.groupby("customer_id")["amount"].sum().reindex(c360.index).fillna(0.0)
    assert np.allclose(c360["revenue"], revenue)
    referrals = w.customers["referred_by"].dropna().astype(int).value_counts().reindex(c360.index).fillna(0)
    assert (c360["referrals"] == referrals).all()
    complaints = w.complaints.groupby("customer_id").size().reindex(c360.index).fillna(0)
    assert (c360["complaints"] == complaints).all()
    members = set(w.memberships["customer_id"].dropna().astype(int))
    assert set(c360.index[c360["plus_member"]]) == members
