"""Read what users bring, refuse what is wrong, clearly.

:func:`read_table` reads one table from CSV (UTF-8 or Latin-1/Windows-1252, comma or
semicolon separated, decimal point or decimal comma as Excel writes it in a Spanish
locale), Excel (.xlsx) or Parquet, checks it against :mod:`fidelia_kit.schema` and
returns a typed DataFrame. Every broken rule raises :class:`DataError` naming the file,
the column, what was expected and the first offending rows. Row numbers are those a
spreadsheet shows: the header is row 1, the first data row is row 2. Reading never
writes or changes anything.

:func:`load_world` reads a whole data set folder (as written by ``World.save``),
checking the links between tables and that dates lie in the observation window.
"""
from __future__ import annotations

import difflib
import io as _io
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._validation import check_option, format_rows
from .exceptions import DataError
from .schema import TABLE_FILES, TABLES, Column, coerce_table

__all__ = ["read_table", "validate_table", "load_world", "read_truth", "truth_window", "warehouse", "DataError"]

_TRUE = {"true", "1", "yes", "y", "t", "verdadero", "si", "sí", "1.0"}
_FALSE = {"false", "0", "no", "n", "f", "falso", "0.0"}
_READERS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "excel", ".xlsm": "excel",
            ".parquet": "parquet", ".pq": "parquet"}
_ROW_OFFSET = 2  # header is row 1


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    if b"\x00" in raw[:4096]:
        raise DataError(f"{name}: cannot read the file as text: it holds NUL bytes (UTF-16 or a binary file?); "
                        "save it as CSV in UTF-8 or Latin-1.")
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise DataError(f"{name}: cannot read the file as UTF-8 or Latin-1 text.")  # pragma: no cover (latin-1 decodes all)


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    text, _ = _decode(raw, path.name)
    if not text.strip():
        raise DataError(f"{path.name}: the file is empty; expected a header row and data rows.")
    header = text.lstrip().splitlines()[0]
    sep = max([",", ";", "\t"], key=lambda c: header.count(c))
    try:
        return pd.read_csv(_io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                           na_values=[""], skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise DataError(f"{path.name}: not a readable CSV file ({str(exc).strip()}).") from None


def _read_file(path: Path) -> pd.DataFrame:
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"{path.name}: unsupported file type {path.suffix!r}; expected .csv, .xlsx or .parquet.")
    if not path.is_file():
        raise DataError(f"{path}: file not found.")
    if kind == "csv":
        return _read_csv(path)
    if path.stat().st_size == 0:
        raise DataError(f"{path.name}: the file is empty.")
    try:
        if kind == "excel":
            return pd.read_excel(path, dtype=object)
        return pd.read_parquet(path)
    except Exception as exc:  # the libraries raise many types for a broken file
        raise DataError(f"{path.name}: cannot read the file as {kind} ({type(exc).__name__}: {exc}).") from None


def _rows(mask) -> str:
    return format_rows(np.flatnonzero(np.asarray(mask)) + _ROW_OFFSET)


def _examples(values, limit=3) -> str:
    vals = list(dict.fromkeys(str(v) for v in values))[:limit]
    return ", ".join(repr(v) for v in vals)


def _match_columns(df: pd.DataFrame, table: str, source: str) -> pd.DataFrame:
    expected = [c.name for c in TABLES[table]]
    rename = {c: str(c).strip().lower() for c in df.columns}
    df = df.rename(columns=rename)
    dup = df.columns[df.columns.duplicated()].tolist()
    if dup:
        raise DataError(f"{source}: column(s) {dup} appear more than once.")
    missing = [c for c in expected if c not in df.columns]
    extra = [c for c in df.columns if c not in expected]
    if missing:
        hints = []
        for m in missing:
            close = difflib.get_close_matches(m, extra, n=1, cutoff=0.7)
            hints.append(f"'{m}' (found '{close[0]}': misspelt?)" if close else f"'{m}'")
        raise DataError(f"{source}: missing column(s) {', '.join(hints)}; the {table} table needs "
                        f"{expected}.")
    if extra:
        warnings.warn(f"{source}: ignoring column(s) not in the {table} table: {extra}.", UserWarning, stacklevel=3)
    return df[expected]


def _parse_number(s: pd.Series, col: Column, source: str, decimal_comma: bool) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        raise DataError(f"{source}: column '{col.name}' holds true/false values; expected numbers.")
    if pd.api.types.is_numeric_dtype(s):
        num = s.astype("float64")
        bad = pd.Series(False, index=s.index)
    else:
        txt = s.astype(object).where(s.notna(), None)
        txt = txt.map(lambda v: v if v is None or not isinstance(v, str) else v.strip().replace("\u20ac", "").strip())
        if decimal_comma:
            txt = txt.map(lambda v: v.replace(".", "").replace(",", ".") if isinstance(v, str) else v)
        num = pd.to_numeric(txt, errors="coerce").astype("float64")
        bad = num.isna() & txt.notna() & (txt.astype(str) != "")
    if bad.any():
        raise DataError(f"{source}: column '{col.name}' has {int(bad.sum())} value(s) that are not numbers "
                        f"({_rows(bad)}): {_examples(s[bad])}.")
    if col.kind == "int":
        frac = num.notna() & (num != np.floor(num))
        if frac.any():
            raise DataError(f"{source}: column '{col.name}' has {int(frac.sum())} value(s) that are not whole numbers "
                            f"({_rows(frac)}): {_examples(s[frac])}.")
    return num


def _parse_date(s: pd.Series, col: Column, source: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        out = pd.to_datetime(s)
    else:
        txt = s.astype(object).where(s.notna(), None)
        txt = txt.map(lambda v: v.strip() if isinstance(v, str) else v)
        out = pd.to_datetime(txt, format="ISO8601", errors="coerce")
        retry = out.isna() & txt.notna()
        if retry.any():  # day/month/year, as a Spanish spreadsheet writes dates
            out[retry] = pd.to_datetime(txt[retry], format="%d/%m/%Y", errors="coerce")
        bad = out.isna() & txt.notna() & (txt.astype(str) != "")
        if bad.any():
            raise DataError(f"{source}: column '{col.name}' has {int(bad.sum())} value(s) that are not dates "
                            f"({_rows(bad)}): {_examples(s[bad])}; expected YYYY-MM-DD or DD/MM/YYYY.")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out.dt.normalize().astype("datetime64[ns]")


def _parse_bool(s: pd.Series, col: Column, source: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean")
    txt = s.astype(object).map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                else str(v).strip().lower())
    out = pd.array([True if v in _TRUE else False if v in _FALSE else pd.NA for v in txt], dtype="boolean")
    out = pd.Series(out, index=s.index)
    bad = out.isna() & txt.notna() & (txt != "")
    if bad.any():
        raise DataError(f"{source}: column '{col.name}' has {int(bad.sum())} value(s) that are not true/false "
                        f"({_rows(bad)}): {_examples(s[bad])}.")
    return out


def _parse_text(s: pd.Series, col: Column, source: str) -> pd.Series:
    txt = s.astype(object).map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
    if col.options is None:
        return txt
    canon = {o.lower(): o for o in col.options}
    out = txt.map(lambda v: canon.get(v.lower(), v) if isinstance(v, str) else v)
    bad = out.notna() & ~out.isin(col.options)
    if bad.any():
        raise DataError(f"{source}: column '{col.name}' has {int(bad.sum())} value(s) outside {list(col.options)} "
                        f"({_rows(bad)}): {_examples(s[bad])}.")
    return out


def validate_table(df: pd.DataFrame, table: str, *, source: str | None = None, customers=None,
                   transactions=None, window=None) -> pd.DataFrame:
    """Check a DataFrame against the schema of ``table`` and return it typed.

    Parameters
    ----------
    df : DataFrame
        The raw table (text, numbers or dates in any mix).
    table : str
        One of the schema's tables, e.g. ``"transactions"``.
    source : str, optional
        How messages name the data (a file name); defaults to ``table``.
    customers, transactions : DataFrame, optional
        Tables whose ids the ``customer_id`` / ``transaction_id`` columns must match.
    window : (date, date), optional
        First and last day of the observation window; dates outside it are refused.

    Raises
    ------
    DataError
        For any broken rule, naming the source, column and first rows.
    """
    check_option("table", table, TABLES)
    source = source or table
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`df` must be a pandas DataFrame; got {type(df).__name__}.")
    df = _match_columns(df.reset_index(drop=True), table, source)
    if len(df) == 0:
        raise DataError(f"{source}: the table has a header but no rows.")
    numeric_text = [c.name for c in TABLES[table] if c.kind in ("int", "float") and df[c.name].dtype == object
                    or c.kind in ("int", "float") and pd.api.types.is_string_dtype(df[c.name])]
    decimal_comma = any(df[name].astype(str).str.contains(",", regex=False).any() for name in numeric_text)
    out = {}
    for col in TABLES[table]:
        s = df[col.name]
        if col.kind in ("int", "float"):
            v = _parse_number(s, col, source, decimal_comma)
        elif col.kind == "date":
            v = _parse_date(s, col, source)
        elif col.kind == "bool":
            v = _parse_bool(s, col, source)
        else:
            v = _parse_text(s, col, source)
        empty = v.isna()
        if not col.nullable and empty.any():
            raise DataError(f"{source}: column '{col.name}' has {int(empty.sum())} empty cell(s) ({_rows(empty)}); "
                            "it must be filled in every row.")
        if col.min is not None or col.max is not None:
            low = col.min if col.min is not None else -np.inf
            high = col.max if col.max is not None else np.inf
            out_of = v.notna() & ((v < low) | (v > high))
            if out_of.any():
                if col.min == 0 and col.max is None:
                    what = "negative value(s)"
                elif col.max is None:
                    what = f"value(s) below {col.min:g}"
                else:
                    what = f"value(s) outside {low:g}-{high:g}"
                raise DataError(f"{source}: column '{col.name}' has {int(out_of.sum())} {what} "
                                f"({_rows(out_of)}): {_examples(s[out_of])}.")
        if col.unique:
            dup = v.notna() & v.duplicated(keep="first")
            if dup.any():
                raise DataError(f"{source}: column '{col.name}' has {int(dup.sum())} duplicate value(s) "
                                f"({_rows(dup)}): {_examples(s[dup])}; each must be unique.")
        if col.in_window and window is not None:
            lo, hi = (pd.Timestamp(w) for w in window)
            outside = v.notna() & ((v < lo) | (v > hi))
            if outside.any():
                raise DataError(f"{source}: column '{col.name}' has {int(outside.sum())} date(s) outside the observation "
                                f"window {lo.date()} to {hi.date()} ({_rows(outside)}): {_examples(s[outside])}.")
        out[col.name] = v
    result = coerce_table(pd.DataFrame(out), table)
    _check_links(result, table, source, {"customers": customers, "transactions": transactions})
    return result


def _check_links(df: pd.DataFrame, table: str, source: str, others: dict) -> None:
    for col in TABLES[table]:
        if col.references is None:
            continue
        ref_table, ref_col = col.references.split(".")
        ref = df if ref_table == table else others.get(ref_table)
        if ref is None:
            continue
        values = df[col.name]
        unknown = values.notna() & ~values.isin(ref[ref_col])
        if unknown.any():
            raise DataError(f"{source}: column '{col.name}' has {int(unknown.sum())} value(s) not found in "
                            f"{ref_table}.{ref_col} ({_rows(unknown)}): {_examples(values[unknown])}.")


def read_table(path, table: str, *, customers=None, transactions=None, window=None) -> pd.DataFrame:
    """Read one table of a data set from CSV, Excel (.xlsx) or Parquet, checked and typed.

    Parameters
    ----------
    path : str or Path
        The file. CSV may be UTF-8 or Latin-1, comma- or semicolon-separated, with a
        decimal point or a decimal comma; dates as YYYY-MM-DD or DD/MM/YYYY.
    table : str
        Which table it is: one of ``fidelia_kit.schema.TABLES``.
    customers, transactions : DataFrame or path, optional
        When given, every ``customer_id`` (``transaction_id``) must exist there.
    window : (date, date), optional
        Observation window; dates outside it are refused.

    Returns
    -------
    DataFrame
        Columns in the schema's order with its dtypes.

    Raises
    ------
    DataError
        Naming the file, the column and the first offending rows.

    Examples
    --------
    >>> read_table("datasets/customers.csv", "customers").shape  # doctest: +SKIP
    (10000, 7)
    """
    check_option("table", table, TABLES)
    path = Path(path)
    others = {}
    for name, ref in (("customers", customers), ("transactions", transactions)):
        if ref is not None and not isinstance(ref, pd.DataFrame):
            ref = read_table(ref, name)
        others[name] = ref
    raw = _read_file(path)
    return validate_table(raw, table, source=path.name, window=window, **others)


def read_truth(folder) -> dict:
    """The data set's truth.json as a dict ({} when the folder has none)."""
    from .synth.world import TRUTH_FILE

    truth_path = Path(folder) / TRUTH_FILE
    if not truth_path.is_file():
        return {}
    try:
        return json.loads(truth_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{truth_path.name}: not valid JSON ({exc}).") from None


def truth_window(truth: dict):
    """(first day, last day) of the observation window a truth dict states, or None."""
    return (truth["window"]["start"], truth["window"]["end"]) if "window" in truth else None


def load_world(folder, *, tables=None, cache: bool = True):
    """Read a data set folder written by ``World.save`` back into a ``World``.

    Links are checked (transactions of unknown customers, items of unknown receipts,
    ...) and, when ``truth.json`` is present, dates outside its observation window
    are refused. ``tables`` restricts the tables read (default: all present; the
    seven data tables are required).

    Parameters
    ----------
    folder : str or Path
        The data set folder.
    tables : list of str, optional
        The tables to read (default: every table present).
    cache : bool, default=True
        Keep each validated table as an Arrow file and read it from there while the files it
        was validated from are unchanged (see Notes). ``False`` reads and validates the
        CSV files every time and writes nothing.

    Notes
    -----
    The CSV files stay the data set; the cache only saves reading and validating them
    again. It lives in ``<folder>/.fidelia-cache/`` or, when that cannot be written (a
    read-only folder), in ``$FIDELIA_CACHE_DIR`` or the user's cache folder
    (``$XDG_CACHE_HOME/fidelia_kit``, by default ``~/.cache/fidelia_kit``). An entry is used
    only when the size, modification time and BLAKE2 hash of the bytes of every file its
    table was validated against (its own file and the tables its ids refer to) match,
    along with the observation window, the kit's reading code and the pandas and pyarrow
    versions; anything else is read and validated again from the CSV. A table whose
    reading raised a warning is not cached, so the warning comes every time. A cache that
    cannot be written or read never stops loading; deleting it is always safe.
    """
    from . import _cache
    from .synth.world import DATA_TABLES, World

    if not isinstance(cache, bool):
        raise TypeError(f"`cache` must be True or False; got {cache!r}.")
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such data set folder.")
    truth = read_truth(folder)
    window = truth_window(truth)
    wanted = list(tables) if tables is not None else [
        t for t in TABLES if t in DATA_TABLES or (folder / TABLE_FILES[t]).is_file()]
    for t in wanted:
        check_option("tables", t, TABLES)
    order = [t for t in TABLES if t in wanted or t in ("customers", "transactions")
             and any(c.references and c.references.startswith(t) for w in wanted for c in TABLES[w])]
    out = {}
    prints = {}  # file fingerprints of this call, so a table and its dependants agree on them
    for t in order:
        path = folder / TABLE_FILES[t]
        key = _cache.table_key(folder, t, window, prints) if cache and path.is_file() else None
        df = _cache.read(folder, t, key) if key else None
        if df is None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                df = read_table(path, t, customers=out.get("customers"),
                                transactions=out.get("transactions"), window=window)
            for w in caught:  # shown as if not caught; a table that warns is read anew each time
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
            if key and not caught and _cache.fingerprint(path) == prints[path.name]:  # unchanged while read
                _cache.write(folder, t, key, df)
        out[t] = df
    return World(tables={t: out[t] for t in TABLES if t in wanted}, truth=truth)


_CUSTOMER_360 = """
CREATE OR REPLACE VIEW customer_360 AS
WITH tx AS (
    SELECT customer_id, COUNT(*) AS n_transactions, COUNT(DISTINCT date) AS purchase_days,
           SUM(amount) AS revenue, SUM(gross_margin) AS gross_margin, AVG(amount) AS avg_basket,
           MIN(date) AS first_purchase, MAX(date) AS last_purchase,
           AVG(CASE WHEN channel <> 'store' THEN 1.0 ELSE 0.0 END) AS online_share,
           SUM(points_earned) - SUM(points_redeemed) AS points_balance
    FROM transactions GROUP BY customer_id),
cx AS (SELECT customer_id, COUNT(*) AS complaints, SUM(compensation) AS compensation
       FROM complaints GROUP BY customer_id),
ref AS (SELECT referred_by AS customer_id, COUNT(*) AS referrals FROM customers
        WHERE referred_by IS NOT NULL GROUP BY referred_by)
SELECT c.*, COALESCE(tx.n_transactions, 0) AS n_transactions, COALESCE(tx.purchase_days, 0) AS purchase_days,
       COALESCE(tx.revenue, 0) AS revenue, COALESCE(tx.gross_margin, 0) AS gross_margin, tx.avg_basket,
       tx.first_purchase, tx.last_purchase, tx.online_share, COALESCE(tx.points_balance, 0) AS points_balance,
       s.overall_satisfaction, s.recommend, s.share_of_wallet,
       COALESCE(cx.complaints, 0) AS complaints, COALESCE(cx.compensation, 0) AS compensation,
       COALESCE(ref.referrals, 0) AS referrals,
       m.member_id IS NOT NULL AS plus_member, e.arm AS experiment_arm
FROM customers c
LEFT JOIN tx USING (customer_id)
LEFT JOIN survey_responses s USING (customer_id)
LEFT JOIN cx USING (customer_id)
LEFT JOIN ref USING (customer_id)
LEFT JOIN memberships m USING (customer_id)
LEFT JOIN retention_experiment e USING (customer_id)
ORDER BY customer_id
"""


def warehouse(folder, *, database: str = ":memory:"):
    """An embedded DuckDB database of a data set: one table per file plus a ``customer_360`` view.

    Every table is read and checked with :func:`load_world` first, so SQL runs on validated,
    typed data. ``customer_360`` is the single customer view: one row per card holder with
    their purchases (count, revenue, margin, first and last purchase, online share, points),
    survey answers, complaints, referrals made, membership and experiment arm.

    Returns a ``duckdb.DuckDBPyConnection``; e.g.
    ``warehouse("datasets").sql("SELECT region, AVG(revenue) FROM customer_360 GROUP BY 1").df()``.
    """
    import duckdb

    world = load_world(folder)
    con = duckdb.connect(database)
    for name, df in world.tables.items():
        con.register("_frame", df)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _frame")
        con.unregister("_frame")
    con.execute(_CUSTOMER_360)
    return con
