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
    # one cell in another number format no longer switches the whole file (78.56 read as 7856)
    ("transactions_euro_comma_cell.csv", "transactions", {},
     r"column 'amount' mixes number formats: a decimal point in rows 2, 3, 5, 6, 7, \.\.\. \('32\.28', '78\.56'\) "
     r"and a decimal comma in row 4 \('€12,50'\); write every value in one format\."),
    ("transactions_columns_disagree.csv", "transactions", {},
     r"columns use different number formats: 'amount' a decimal point \(row 2: '32\.28'\), 'gross_margin' a decimal "
     r"comma \(row 2: '16,14'\)"),
    ("transactions_id_too_big.csv", "transactions", {},
     r"column 'transaction_id' has 1 value\(s\) too large for a 64-bit integer \(row 2\): '9223372036854775808'"),
    ("transactions_id_exponent.csv", "transactions", {},
     r"column 'transaction_id' has 1 value\(s\) in exponent notation \(row 3\): '1e3'; write whole numbers in digits"),
    ("transactions_infinite_amount.csv", "transactions", {},
     r"column 'amount' has 3 value\(s\) that are not finite numbers \(rows 3, 4, 5\): 'inf', '1e400', '-inf'"),
    ("transactions_partial_dates.csv", "transactions", {},
     r"column 'date' has 2 value\(s\) that are not dates \(rows 3, 4\): '2024', '2024-03'; expected YYYY-MM-DD or DD/MM/YYYY"),
    ("transactions_timezone.csv", "transactions", {},
     r"column 'date' has 1 date\(s\) with a time-zone offset \(row 4\): '2024-01-01T10:00:00\+02:00'; "
     r"write the local day as YYYY-MM-DD"),
    ("transactions_repeated_column.csv", "transactions", {},
     r"column 'amount' appears more than once in the header \(columns 4 and 13\)"),
    ("transactions_blank_lines.csv", "transactions", {},  # the file's line 9, after two blank lines
     r"column 'amount' has 1 value\(s\) that are not numbers \(row 9\): '12\.3x'"),
    ("transactions_extra_values.csv", "transactions", {},
     r"2 row\(s\) have more values than the header's 12 columns \(rows 4, 7\); remove the extra values or name their columns"),
    ("transactions_two_sheets.xlsx", "transactions", {},
     r"2 sheets hold a transactions table \(\['2024', '2025'\]\); choose one with sheet= \(--sheet on the command line\)"),
    ("transactions_title_row.xlsx", "transactions", {},
     r"the transactions header was not found on row 1 of sheet 'Sheet1'; it may be on row 3 of sheet 'Sheet1'"),
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
    assert np.allclose(c360["monetary_total"], revenue)
    referrals = w.customers["referred_by"].dropna().astype(int).value_counts().reindex(c360.index).fillna(0)
    assert (c360["referrals"] == referrals).all()
    complaints = w.complaints.groupby("customer_id").size().reindex(c360.index).fillna(0)
    assert (c360["complaints"] == complaints).all()
    members = set(w.memberships["customer_id"].dropna().astype(int))
    assert set(c360.index[c360["plus_member"]]) == members
    retired = {"n_transactions", "purchase_days", "revenue", "gross_margin"}
    assert not retired & set(c360.columns)


def test_customer_360_has_the_names_and_numbers_of_customer_features(small_world, small_world_dir):
    """Every measure the SQL view shares with customer_features agrees, column by column, to 1e-9."""
    from fidelia_kit import warehouse
    from fidelia_kit.features import FEATURES, customer_features

    w = small_world
    c360 = warehouse(small_world_dir).sql("SELECT * FROM customer_360").df().set_index("customer_id")
    f = customer_features(w.transactions, complaints=w.complaints, customers=w.customers)
    as_of = w.transactions["date"].max() + pd.Timedelta(days=1)
    assert (pd.to_datetime(c360["as_of"]) == as_of).all()
    assert list(f.index) == sorted(w.customers.loc[w.customers["first_seen"] < as_of, "customer_id"])
    shared = [c for c in f.columns if c in FEATURES]
    assert len(shared) == 28 and set(shared) <= set(c360.columns)
    for col in shared:
        mine, sql = f[col], c360.loc[f.index, col]
        if pd.api.types.is_datetime64_any_dtype(mine):
            same = pd.to_datetime(sql).astype("datetime64[ns]") == mine
            assert (same | (mine.isna() & sql.isna())).all(), col
        else:
            np.testing.assert_allclose(sql.astype(float), mine.astype(float), rtol=1e-9, atol=1e-9,
                                       equal_nan=True, err_msg=col)
    # digital_share is "not in a store"; online_share is the web shop only
    assert np.allclose((c360["online_share"] + c360["app_share"]).dropna(), c360["digital_share"].dropna())


@pytest.mark.parametrize("name", ["transactions_thousands_point.csv", "transactions_sep_line.csv",
                                  "transactions_trailing_separators.csv"])
def test_files_excel_writes_read_like_the_plain_csv(name, recwarn):
    """'1,234.56' is read as 1234.56 (not as the decimal comma 1.23456), 'sep=;' names the separator,
    a separator at the end of every line adds no column and no warning."""
    ok = read_table(DATA / "transactions_ok.csv", "transactions")
    pd.testing.assert_frame_equal(read_table(DATA / name, "transactions"), ok)
    assert ok["amount"].tolist()[:4] == [32.28, 78.56, 87.5, 1234.56]
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_long_ids_are_read_exactly_not_through_float():
    out = read_table(DATA / "transactions_long_ids.csv", "transactions")
    assert out["transaction_id"].dtype == "int64"
    assert out["transaction_id"].tolist()[:3] == [9876543210987653, 9876543210987652, 3]
    assert float(9876543210987653) == 9876543210987652  # what a float64 would have read


@pytest.mark.parametrize("values, convention, expected", [
    (["1.234,56", "12,5", "7"], "comma", [1234.56, 12.5, 7.0]),
    (["1.234.567", "3"], "comma", [1234567.0, 3.0]),
    (["1,234,567.5", "3"], "point", [1234567.5, 3.0]),
    (["1,234", "2.5"], "point", [1234.0, 2.5]),  # '2.5' shows the column uses a decimal point
    (["1.234", "2,5"], "comma", [1234.0, 2.5]),
])
def test_thousands_separators_of_either_convention_are_read_by_the_column(values, convention, expected):
    raw = pd.read_csv(DATA / "transactions_ok.csv", dtype=str).head(len(values))
    raw["amount"] = values
    raw[["gross_margin", "discount"]] = "0"
    assert validate_table(raw, "transactions")["amount"].tolist() == expected


def test_a_column_of_only_ambiguous_numbers_follows_the_file_or_is_refused():
    raw = pd.read_csv(DATA / "transactions_ok.csv", dtype=str).head(3)
    raw["amount"] = ["1.234", "2.500", "3.125"]  # 1.234 with a decimal point, 1234 with a thousands point
    raw["gross_margin"] = "0"
    raw["discount"] = ["0,5", "1", "0"]  # the file's other column settles it: decimal comma
    assert validate_table(raw, "transactions")["amount"].tolist() == [1234.0, 2500.0, 3125.0]
    raw["discount"] = "0"
    with pytest.raises(DataError, match=r"column 'amount' has 3 value\(s\) where '\.' or ',' may be a decimal or a "
                                        r"thousands separator \(rows 2, 3, 4\): '1\.234', '2\.500', '3\.125'"):
        validate_table(raw, "transactions")


def test_ids_in_a_dataframe_or_parquet_stay_exact(tmp_path):
    raw = pd.read_csv(DATA / "transactions_ok.csv", dtype=str)
    raw["transaction_id"] = raw["transaction_id"].astype("int64") + 9876543210987600
    typed = validate_table(raw.astype({"transaction_id": "int64"}), "transactions")
    assert typed["transaction_id"].iloc[0] == 9876543210987601
    big = raw.astype({"transaction_id": "uint64"})
    big.loc[0, "transaction_id"] = 2**63
    with pytest.raises(DataError, match=r"column 'transaction_id' has 1 value\(s\) too large for a 64-bit integer \(row 2\)"):
        validate_table(big, "transactions")
    path = tmp_path / "t.parquet"  # (Excel itself keeps 15 significant digits: such ids cannot live there)
    raw.astype({"transaction_id": "int64"}).to_parquet(path, index=False)
    assert read_table(path, "transactions")["transaction_id"].iloc[0] == 9876543210987601


def test_non_finite_numbers_from_a_parquet_file_are_refused(tmp_path):
    df = read_table(DATA / "transactions_ok.csv", "transactions")
    df.loc[2, "discount"] = np.inf
    df.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(DataError, match=r"t\.parquet: column 'discount' has 1 value\(s\) that are not finite numbers \(row 4\)"):
        read_table(tmp_path / "t.parquet", "transactions")


def test_excel_notes_sheet_first_reads_the_data_sheet_and_says_so():
    with pytest.warns(UserWarning, match=r"transactions_notes_first\.xlsx: read sheet 'Data'; the workbook also has "
                                         r"data on \['Notes'\]"):
        out = read_table(DATA / "transactions_notes_first.xlsx", "transactions")
    pd.testing.assert_frame_equal(out, read_table(DATA / "transactions_ok.csv", "transactions"))
    with pytest.raises(DataError, match=r"the transactions header was not found on row 1 of sheet 'Notes'; it may be "
                                        r"on row 1 of sheet 'Data'"):
        read_table(DATA / "transactions_notes_first.xlsx", "transactions", sheet="Notes")


def test_excel_sheet_is_chosen_by_name():
    out = read_table(DATA / "transactions_two_sheets.xlsx", "transactions", sheet="2025")
    ok = read_table(DATA / "transactions_ok.csv", "transactions")
    pd.testing.assert_frame_equal(out, ok.tail(6).reset_index(drop=True))
    with pytest.raises(DataError, match=r"no sheet 'nope'; the workbook has \['2024', '2025'\]"):
        read_table(DATA / "transactions_two_sheets.xlsx", "transactions", sheet="nope")
    with pytest.raises(DataError, match=r"`sheet` applies to Excel files only"):
        read_table(DATA / "transactions_ok.csv", "transactions", sheet="2025")


def test_excel_rows_are_the_sheets_row_numbers(tmp_path):
    df = pd.read_csv(DATA / "transactions_ok.csv")
    df.loc[3, "n_items"] = 0
    df.to_excel(tmp_path / "t.xlsx", index=False)
    with pytest.raises(DataError, match=r"column 'n_items' has 1 value\(s\) below 1 \(row 5\)"):
        read_table(tmp_path / "t.xlsx", "transactions")


def test_a_folder_is_not_reported_as_missing(tmp_path):
    (tmp_path / "x.csv").mkdir()
    with pytest.raises(DataError, match=r"x\.csv: is a folder, not a file"):
        read_table(tmp_path / "x.csv", "transactions")


@pytest.mark.parametrize("window, match", [
    (("2024-01-01", "notadate"), r"`window`: the last day must be a date YYYY-MM-DD; got 'notadate'"),
    (("2025-01-01", "2024-01-01"), r"`window`: the first day 2025-01-01 comes after the last day 2024-01-01"),
    ("2024", r"`window` must be two dates \(first day, last day\); got '2024'"),
])
def test_bad_window_is_named(window, match):
    with pytest.raises(ValueError, match=match):
        read_table(DATA / "transactions_ok.csv", "transactions", window=window)


@pytest.mark.parametrize("truth, match", [
    ('{"window": "2024"}', r"truth\.json: 'window' must be an object with 'start' and 'end' dates; got '2024'"),
    ('{"window": {"start": "2024-01-01", "end": "soon"}}', r"truth\.json: 'window': the last day must be a date"),
    ('{"window": ', r"truth\.json: not valid JSON"),
])
def test_load_world_names_a_broken_truth_file(truth, match, small_world_dir, tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    for p in small_world_dir.iterdir():
        if p.is_file():  # not the cache another test's load left beside the tables
            (folder / p.name).write_bytes(p.read_bytes())
    (folder / "truth.json").write_text(truth)
    with pytest.raises(DataError, match=match):
        load_world(folder)


def test_rows_are_line_numbers_after_a_cell_spanning_two_lines(tmp_path):
    lines = (DATA / "transactions_not_a_number.csv").read_text().splitlines()  # '12.3x' on line 5
    # a 'note' cell on line 2 holds a line break, so '12.3x' moves to line 6
    text = "\n".join([lines[0] + ",note"] + [v + (',"a\nb"' if i == 1 else ",") for i, v in enumerate(lines[1:], 1)])
    (tmp_path / "t.csv").write_text(text + "\n")
    with pytest.warns(UserWarning, match=r"ignoring column\(s\) not in the transactions table: \['note'\]"):
        with pytest.raises(DataError, match=r"column 'amount' has 1 value\(s\) that are not numbers \(row 6\): '12\.3x'"):
            read_table(tmp_path / "t.csv", "transactions")


def test_excel_repeated_column_is_named(tmp_path):
    df = pd.read_csv(DATA / "transactions_ok.csv")
    df.insert(4, "amount", df["amount"] * 2, allow_duplicates=True)  # pandas reads the second as 'amount.1'
    df.to_excel(tmp_path / "t.xlsx", index=False)
    with pytest.raises(DataError, match=r"t\.xlsx: column 'amount' appears more than once in the header \(columns 4 and 5\)"):
        read_table(tmp_path / "t.xlsx", "transactions")


def test_an_empty_table_is_refused_unless_allowed_and_then_typed():
    # A world may have no complaints, no members or no survey answers: World.save writes the
    # header alone, and load_world must read it back (typed, zero rows) rather than refuse it.
    raw = pd.DataFrame({c.name: pd.Series([], dtype=object) for c in TABLES["complaints"]})
    with pytest.raises(DataError, match=r"complaints: the table has a header but no rows"):
        validate_table(raw, "complaints")
    out = validate_table(raw, "complaints", allow_empty=True)
    assert len(out) == 0 and list(out.columns) == [c.name for c in TABLES["complaints"]]
    assert str(out["date"].dtype) == "datetime64[ns]" and str(out["compensation"].dtype) == "float64"


def test_load_world_reads_header_only_tables_but_not_an_empty_customer_file(small_world_dir, tmp_path):
    import shutil

    folder = tmp_path / "w"
    shutil.copytree(small_world_dir, folder)
    header = (folder / "complaints.csv").read_text().splitlines()[0]
    (folder / "complaints.csv").write_text(header + "\n")
    world = load_world(folder, cache=False)
    assert len(world.complaints) == 0 and len(world.customers) == 2_000
    (folder / "customers.csv").write_text((folder / "customers.csv").read_text().splitlines()[0] + "\n")
    with pytest.raises(DataError, match=r"customers\.csv: the table has a header but no rows"):
        load_world(folder, cache=False)


def test_load_world_of_a_file_says_it_is_a_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(DataError, match=r"afile: is a file, not a data set folder"):
        load_world(tmp_path / "afile")


def test_a_typed_frame_with_missing_nullable_ids_validates():
    # a typed table as load_world returns it: memberships' customer_id is Int64 with missing values
    typed = pd.DataFrame({"member_id": [1, 2], "customer_id": pd.array([7, pd.NA], dtype="Int64"),
                          "signup_date": pd.to_datetime(["2024-03-01", "2024-05-01"]), "cohort": [2024, 2024],
                          "renewals": [0, 0], "cancelled": [False, False], "cancel_date": pd.to_datetime([None, None])})
    out = validate_table(typed, "memberships")
    assert out["customer_id"].tolist()[0] == 7 and out["customer_id"].isna().tolist() == [False, True]
