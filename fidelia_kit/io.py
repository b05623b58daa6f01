"""Read what users bring, refuse what is wrong, clearly.

:func:`read_table` reads one table from CSV (UTF-8 or Latin-1/Windows-1252, comma or
semicolon separated, decimal point or decimal comma as Excel writes it in a Spanish
locale), Excel (.xlsx) or Parquet, checks it against :mod:`fidelia_kit.schema` and
returns a typed DataFrame. Every broken rule raises :class:`DataError` naming the file,
the column, what was expected and the first offending rows. Reading never writes or
changes anything.

Row numbers in messages are the lines of the file as a text editor numbers them: in a
plain CSV the header is row 1 and the first data row row 2; blank lines and Excel's
``sep=;`` line count. In an .xlsx file they are the sheet's row numbers; for a DataFrame
given to :func:`validate_table`, its position plus 2 (as if the header were row 1).

Numbers: each numeric column's format (decimal point, with ``,`` for thousands, or
decimal comma, with ``.`` for thousands, as a Spanish Excel writes them) is decided from
all its cells, never from one. A column, or a file, that uses both is refused; a column
whose every value reads two ways (``1.234``) takes the format the file's other columns
show, or is refused. Whole-number columns (ids, counts) are read as exact 64-bit
integers, never through floating point; non-finite numbers are refused.

:func:`load_world` reads a whole data set folder (as written by ``World.save``),
checking the links between tables and that dates lie in the observation window.
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import io as _io
import json
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._validation import as_window, check_option, format_rows
from .exceptions import DataError
from .schema import TABLE_FILES, TABLES, Column, coerce_table

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

    from ._typing import DateLike, PathLike
    from .dataset import World


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


_SEP_LINE = re.compile(r'"?sep=(.)"?[ \t]*', re.IGNORECASE)


def _field_names(line: str, sep: str) -> list[str]:
    return next(csv.reader([line], delimiter=sep), [])


def _check_header(names, source: str) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        key = str(name).strip().lower()
        if not key or key == "nan":
            continue
        if key in seen:
            raise DataError(f"{source}: column '{key}' appears more than once in the header (columns {seen[key]} "
                            f"and {i}); give each column one name.")
        seen[key] = i


def _line_numbers(text: str, sep: str, first_line: int, n_rows: int, lines_after_header: int):
    """The line on which each data row starts (blank lines and quoted line breaks counted)."""
    if lines_after_header == n_rows:  # the usual file: one line per row, no blank lines
        return np.arange(n_rows) + first_line + 1
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True)
    starts, prev = [], 0
    for record in reader:
        start, prev = prev + 1, reader.line_num
        if len(record) == 0 or (len(record) == 1 and not record[0].strip()):
            continue  # a blank line: pandas skips it too
        starts.append(start + first_line - 1)
    if len(starts) != n_rows + 1:  # pragma: no cover (the two parsers disagree: fall back to positions)
        return np.arange(n_rows) + first_line + 1
    return np.asarray(starts[1:])


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    text, _ = _decode(raw, path.name)
    if not text.strip():
        raise DataError(f"{path.name}: the file is empty; expected a header row and data rows.")
    if "\n" not in text:  # old Mac line ends
        text = text.replace("\r", "\n")
    lines = text.split("\n")  # not splitlines(): a cell may hold a form feed or a line separator
    if not lines[-1].strip():
        lines.pop()
    skipped = 0
    while skipped < len(lines) and not lines[skipped].strip():
        skipped += 1
    sep = None
    match = _SEP_LINE.fullmatch(lines[skipped].strip(" \r"))
    if match:  # Excel's "sep=;" line names the separator
        sep = match.group(1)
        skipped += 1
        while skipped < len(lines) and not lines[skipped].strip():
            skipped += 1
        if skipped == len(lines):
            raise DataError(f"{path.name}: the file has a 'sep=' line but no header row.")
    header = lines[skipped]
    if sep is None:
        sep = max([",", ";", "\t"], key=lambda c: header.count(c))
    names = _field_names(header, sep)
    _check_header(names, path.name)
    body = text if skipped == 0 else "\n".join(lines[skipped:])
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            df = pd.read_csv(_io.StringIO(body), sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                             skipinitialspace=True, index_col=False)
    except pd.errors.ParserError as exc:
        raise DataError(f"{path.name}: not a readable CSV file ({str(exc).strip()}).") from None
    for w in caught:
        if not issubclass(w.category, pd.errors.ParserWarning):  # pragma: no cover (none known with dtype=str)
            warnings.warn(w.message, w.category, stacklevel=4)
    first_line = skipped + 1
    rows = _line_numbers(body, sep, first_line, len(df), len(lines) - skipped - 1)
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        long = _long_rows(body, sep, len(names), first_line)
        raise DataError(f"{path.name}: {len(long)} row(s) have more values than the header's {len(names)} columns "
                        f"({format_rows(long)}); remove the extra values or name their columns.")
    unnamed = [c for c in df.columns if str(c).startswith("Unnamed: ") and df[c].isna().all()]
    df = df.drop(columns=unnamed)  # trailing separators: columns with no name and no values
    df.index = rows
    return df


def _long_rows(text: str, sep: str, width: int, first_line: int) -> list[int]:
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=sep)
    out, prev = [], 0
    for record in reader:
        start, prev = prev + 1, reader.line_num
        while record and not record[-1].strip() and len(record) > width:
            record = record[:-1]
        if len(record) > width:
            out.append(start + first_line - 1)
    return out


def _excel_header_row(grid: pd.DataFrame, expected: set[str]) -> int | None:
    for i in range(min(len(grid), 30)):
        names = {str(v).strip().lower() for v in grid.iloc[i] if isinstance(v, str)}
        if len(names & expected) >= max(2, len(expected) // 2):
            return i
    return None


def _read_excel(path: Path, table: str, sheet) -> pd.DataFrame:
    try:
        book = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
    except Exception as exc:  # the libraries raise many types for a broken file
        raise DataError(f"{path.name}: cannot read the file as excel ({type(exc).__name__}: {exc}).") from None
    sheets = {name: grid.dropna(how="all").dropna(axis=1, how="all") for name, grid in book.items()}
    full = [name for name, grid in sheets.items() if len(grid)]
    expected = {c.name for c in TABLES[table]}
    if sheet is not None:
        if sheet not in book:
            raise DataError(f"{path.name}: no sheet {sheet!r}; the workbook has {list(book)}.")
        chosen = sheet
    elif not full:
        raise DataError(f"{path.name}: the workbook is empty.")
    elif len(full) == 1:
        chosen = full[0]
    else:
        with_header = [n for n in full if _excel_header_row(book[n], expected) == 0]
        if len(with_header) > 1:
            raise DataError(f"{path.name}: {len(with_header)} sheets hold a {table} table ({with_header}); "
                            "choose one with sheet= (--sheet on the command line).")
        chosen = with_header[0] if with_header else full[0]
        others = [n for n in full if n != chosen]
        warnings.warn(f"{path.name}: read sheet {chosen!r}; the workbook also has data on {others} "
                      "(choose with sheet=, or --sheet).", UserWarning, stacklevel=4)
    grid = book[chosen]
    if grid.dropna(how="all").empty:
        raise DataError(f"{path.name}: sheet {chosen!r} is empty.")
    at = _excel_header_row(grid, expected)
    where = [f"row {at + 1} of sheet {chosen!r}"] if at else []
    where += [f"row {r + 1} of sheet {n!r}" for n in book if n != chosen and at != 0
              for r in [_excel_header_row(book[n], expected)] if r is not None]
    if where:  # else row 1 is read as the header, and the schema check says which columns are missing
        hint = f"; it may be on {', '.join(where)}"
        raise DataError(f"{path.name}: the {table} header was not found on row 1 of sheet {chosen!r}{hint}. "
                        "Put the column names on row 1 of the sheet, above the data.")
    names = list(grid.iloc[0])
    _check_header(names, path.name)
    data = grid.iloc[1:]
    keep = [i for i, n in enumerate(names) if not (pd.isna(n) and data.iloc[:, i].isna().all())]
    df = pd.DataFrame(data.iloc[:, keep].to_numpy(), columns=[names[i] if not pd.isna(names[i]) else f"Unnamed: {i}"
                                                             for i in keep])
    df.index = np.asarray(data.index) + 1  # the sheet's row numbers: grid row 0 is row 1
    return df


def _read_file(path: Path, table: str, sheet=None) -> pd.DataFrame:
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a file; give the path of one table file (.csv, .xlsx or .parquet).")
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"{path.name}: unsupported file type {path.suffix!r}; expected .csv, .xlsx or .parquet.")
    if not path.is_file():
        raise DataError(f"{path}: file not found.")
    if sheet is not None and kind != "excel":
        raise DataError(f"{path.name}: `sheet` applies to Excel files only; got sheet={sheet!r}.")
    if kind == "csv":
        return _read_csv(path)
    if path.stat().st_size == 0:
        raise DataError(f"{path.name}: the file is empty.")
    if kind == "excel":
        return _read_excel(path, table, sheet)
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # the libraries raise many types for a broken file
        raise DataError(f"{path.name}: cannot read the file as {kind} ({type(exc).__name__}: {exc}).") from None
    df = df.reset_index(drop=True)
    df.index = np.arange(len(df)) + _ROW_OFFSET
    return df


def _rows(mask: pd.Series) -> str:
    """The rows a mask marks, by the row numbers the table's index holds (see the module's docstring)."""
    return format_rows(mask.index[np.asarray(mask, dtype=bool)])


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
        warnings.warn(f"{source}: ignoring column(s) not in the {table} table: {extra}.", UserWarning, stacklevel=4)
    return df[expected]


# Number formats, decided per column from all its cells. Patterns are matched on whole cells.
_POINT = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"      # 1234.56, 12, .5, 1e3
_POINT_GROUPED = r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?"  # 1,234.56
_COMMA = r"[+-]?(?:\d+,?\d*|,\d+)"                          # 1234,56, 12
_COMMA_GROUPED = r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d*)?"  # 1.234,56
_INFINITE = r"(?i)[+-]?inf(?:inity)?"
_EXPONENT = r".*[eE].*"


class _Numbers:
    """One numeric column's cells read under both conventions, before the file's convention is known."""

    def __init__(self, s: pd.Series, col: Column, source: str):
        self.col, self.source, self.raw = col, source, s
        self.fixed = None  # cells that already hold numbers (Excel, Parquet, a DataFrame of numbers)
        if pd.api.types.is_bool_dtype(s):
            raise DataError(f"{source}: column '{col.name}' holds true/false values; expected numbers.")
        if pd.api.types.is_numeric_dtype(s):
            self.fixed, txt = s, pd.Series(np.nan, index=s.index, dtype="str")
        elif isinstance(s.dtype, pd.StringDtype):
            txt = s
        else:
            obj = s.astype(object)
            number = obj.map(lambda v: v is not None and not isinstance(v, str) and not pd.isna(v))
            if number.any():
                if obj[number].map(lambda v: isinstance(v, (bool, np.bool_))).any():
                    raise DataError(f"{source}: column '{col.name}' holds true/false values; expected numbers.")
                self.fixed = obj.where(number)
            txt = obj.where(~number).astype("str")
        txt = txt.str.strip()
        if txt.str.contains("\u20ac", regex=False).any():
            txt = txt.str.replace("\u20ac", "", regex=False).str.strip()
        self.txt = txt.where(txt != "")
        t = self.txt
        self.filled = t.notna()
        self.plain = t.str.fullmatch(r"[+-]?\d+").fillna(False).astype(bool)
        if self.plain[self.filled].all():  # the usual column: whole numbers in digits only
            self.point = self.comma = self.plain
            self.point_only = self.comma_only = self.ambiguous = pd.Series(False, index=t.index)
            self.infinite = self.point_only
            return
        comma_grouped = t.str.fullmatch(_COMMA_GROUPED).fillna(False).astype(bool)
        if t.str.contains(",", regex=False).any():
            point_grouped = t.str.fullmatch(_POINT_GROUPED).fillna(False).astype(bool)
            self.comma = t.str.fullmatch(_COMMA).fillna(False).astype(bool) | comma_grouped
        else:  # without a comma, '1.234' is the one text the two conventions read differently
            point_grouped = pd.Series(False, index=t.index)
            self.comma = self.plain | comma_grouped
        self.point = t.str.fullmatch(_POINT).fillna(False).astype(bool) | point_grouped
        self.point_grouped, self.comma_grouped = point_grouped, comma_grouped
        self.point_only = self.point & ~self.comma
        self.comma_only = self.comma & ~self.point
        self.ambiguous = self.point & self.comma & ~self.plain
        self._check_text()

    def _check_text(self) -> None:
        t, col, source = self.txt, self.col, self.source
        bad = self.filled & ~self.point & ~self.comma
        infinite = pd.Series(False, index=t.index)
        if bad.any():
            infinite = t.str.fullmatch(_INFINITE).fillna(False).astype(bool)
            bad &= ~infinite
        if bad.any():
            raise DataError(f"{source}: column '{col.name}' has {int(bad.sum())} value(s) that are not numbers "
                            f"({_rows(bad)}): {_examples(self.raw[bad])}.")
        self.infinite = infinite  # 'inf' and the like: refused with the other non-finite values
        if self.point_only.any() and self.comma_only.any():
            p, c = self.point_only, self.comma_only
            raise DataError(f"{source}: column '{col.name}' mixes number formats: a decimal point in {_rows(p)} "
                            f"({_examples(self.raw[p], 2)}) and a decimal comma in {_rows(c)} "
                            f"({_examples(self.raw[c], 2)}); write every value in one format.")

    @property
    def convention(self) -> str | None:
        return "point" if self.point_only.any() else "comma" if self.comma_only.any() else None

    def example(self, convention: str) -> str:
        mask = self.point_only if convention == "point" else self.comma_only
        first = mask.idxmax()
        return f"row {first}: {self.raw[first]!r}"

    def values(self, convention: str | None) -> pd.Series:
        """The column as float64 (Int64 for whole-number columns), read under ``convention``."""
        t, col, source = self.txt, self.col, self.source
        if self.ambiguous.any() and convention is None:
            a = self.ambiguous
            raise DataError(f"{source}: column '{col.name}' has {int(a.sum())} value(s) where '.' or ',' may be a "
                            f"decimal or a thousands separator ({_rows(a)}): {_examples(self.raw[a])}; nothing else in "
                            "the file shows which. Write the numbers without thousands separators.")
        convention = convention or "point"
        if not self.plain[self.filled].all():
            if convention == "point":
                t = t.where(~self.point_grouped, t.str.replace(",", "", regex=False))
            else:
                t = t.where(~self.comma_grouped, t.str.replace(".", "", regex=False))
                t = t.str.replace(",", ".", regex=False)
        if col.kind == "int":
            out = self._whole(t)
        else:
            out = pd.to_numeric(t, errors="coerce").astype("float64")
            if self.fixed is not None:
                fixed = self.fixed.astype("float64") if self.fixed.dtype != object else \
                    pd.to_numeric(self.fixed.where(self.fixed.notna()), errors="coerce").astype("float64")
                out = out.where(self.filled, fixed)
            infinite = out.notna() & ~np.isfinite(out)
            if infinite.any():
                _refuse_infinite(infinite, self.raw, col, source)
        return out

    def _whole(self, t: pd.Series) -> pd.Series:
        col, source = self.col, self.source
        if self.infinite.any():
            _refuse_infinite(self.infinite, self.raw, col, source)
        exponent = t.str.fullmatch(_EXPONENT).fillna(False).astype(bool)
        if exponent.any():
            raise DataError(f"{source}: column '{col.name}' has {int(exponent.sum())} value(s) in exponent notation "
                            f"({_rows(exponent)}): {_examples(self.raw[exponent])}; write whole numbers in digits.")
        digits = t.str.replace(r"\.0*$", "", regex=True)
        frac = digits.notna() & ~digits.str.fullmatch(r"[+-]?\d+").fillna(False).astype(bool)
        if frac.any():
            raise DataError(f"{source}: column '{col.name}' has {int(frac.sum())} value(s) that are not whole numbers "
                            f"({_rows(frac)}): {_examples(self.raw[frac])}.")
        too_big = digits.str.lstrip("+-").str.lstrip("0").str.len().fillna(0) >= 19
        if too_big.any():
            outside = digits[too_big].map(lambda v: not -2**63 <= int(v) < 2**63)
            big = too_big & outside.reindex(t.index, fill_value=False)
            if big.any():
                raise DataError(f"{source}: column '{col.name}' has {int(big.sum())} value(s) too large for a 64-bit "
                                f"integer ({_rows(big)}): {_examples(self.raw[big])}; expected at most {2**63 - 1}.")
        out = _exact_ints(digits.str.replace(r"^\+", "", regex=True))
        if self.fixed is not None:
            out = out.where(self.filled, self._whole_fixed())
        return out


    def _whole_fixed(self) -> pd.Series:
        """Cells that hold numbers already, as Int64: whole, finite and within 64 bits, else refused."""
        fixed, col, source = self.fixed, self.col, self.source
        if pd.api.types.is_integer_dtype(fixed):
            big = fixed > 2**63 - 1 if pd.api.types.is_unsigned_integer_dtype(fixed) else fixed < -2**63
            big = pd.Series(big, index=fixed.index).fillna(False).astype(bool)  # missing cells (Int64) are not big
            ints = fixed.where(~big, 0).astype("Int64")
        else:
            values = fixed.astype("float64") if pd.api.types.is_float_dtype(fixed) else fixed.map(
                lambda v: v if isinstance(v, (int, np.integer)) else float(v), na_action="ignore")
            as_float = values.astype("float64")
            infinite = as_float.notna() & ~np.isfinite(as_float)
            if infinite.any():
                _refuse_infinite(infinite, self.raw, col, source)
            frac = as_float.notna() & (as_float != np.floor(as_float))
            if frac.any():
                raise DataError(f"{source}: column '{col.name}' has {int(frac.sum())} value(s) that are not whole "
                                f"numbers ({_rows(frac)}): {_examples(self.raw[frac])}.")
            if values.dtype == "float64":
                big = (as_float >= 2.0**63) | (as_float < -2.0**63)
                ints = as_float.where(~big, 0).astype("Int64")
            else:  # Python ints (from Excel) may exceed what a float holds exactly
                exact = values.map(lambda v: int(v) if not pd.isna(v) else None).astype(object)
                big = exact.map(lambda v: v is not None and not -2**63 <= v < 2**63).astype(bool)
                ints = pd.Series(pd.array(exact.where(~big, 0).tolist(), dtype="Int64"), index=fixed.index)
        big = pd.Series(np.asarray(big, dtype=bool), index=fixed.index)
        if big.any():
            raise DataError(f"{source}: column '{col.name}' has {int(big.sum())} value(s) too large for a 64-bit "
                            f"integer ({_rows(big)}): {_examples(self.raw[big])}; expected at most {2**63 - 1}.")
        return ints


def _exact_ints(digits: pd.Series) -> pd.Series:
    """Text of whole numbers (all within 64 bits) as Int64, never through float."""
    try:
        return digits.astype("Int64")
    except (TypeError, ValueError):  # pragma: no cover (text storage without pyarrow)
        return pd.Series(pd.array([None if pd.isna(v) else int(v) for v in digits], dtype="Int64"), index=digits.index)


def _refuse_infinite(mask, raw, col, source) -> None:
    raise DataError(f"{source}: column '{col.name}' has {int(mask.sum())} value(s) that are not finite numbers "
                    f"({_rows(mask)}): {_examples(raw[mask])}; expected ordinary numbers.")


def _file_convention(numbers: dict, source: str) -> str | None:
    """The decimal convention the file's numeric columns agree on; refuse a file that uses both."""
    decided = {name: n.convention for name, n in numbers.items() if n.convention}
    points = [n for n, c in decided.items() if c == "point"]
    commas = [n for n, c in decided.items() if c == "comma"]
    if points and commas:
        raise DataError(f"{source}: columns use different number formats: '{points[0]}' a decimal point "
                        f"({numbers[points[0]].example('point')}), '{commas[0]}' a decimal comma "
                        f"({numbers[commas[0]].example('comma')}); write every number in one format.")
    return "point" if points else "comma" if commas else None


_ISO_DATE = r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DMY_DATE = r"\d{1,2}/\d{1,2}/\d{4}"
_ZONED_DATE = _ISO_DATE + r" ?(?:Z|[+-]\d{2}(?::?\d{2})?)"


def _parse_date(s: pd.Series, col: Column, source: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        out = pd.to_datetime(s)
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        return out.dt.normalize().astype("datetime64[ns]")
    obj = s if isinstance(s.dtype, pd.StringDtype) else s.astype(object)
    stamp = None
    if obj.dtype == object:  # Excel: date cells hold datetimes, other cells text or numbers
        is_stamp = obj.map(lambda v: isinstance(v, (pd.Timestamp, dt.datetime, dt.date)))
        if is_stamp.any():
            stamp = pd.to_datetime(obj.where(is_stamp), errors="coerce")
        other = obj.notna() & ~is_stamp & ~obj.map(lambda v: isinstance(v, str))
        obj = obj.where(~is_stamp).astype("str").where(~other, "\x00")  # numbers are not dates
    txt = obj.str.strip()
    txt = txt.where(txt != "")
    iso = txt.str.fullmatch(_ISO_DATE).fillna(False).astype(bool)
    dmy = txt.str.fullmatch(_DMY_DATE).fillna(False).astype(bool)
    zoned = txt.str.fullmatch(_ZONED_DATE).fillna(False).astype(bool)
    if zoned.any():
        raise DataError(f"{source}: column '{col.name}' has {int(zoned.sum())} date(s) with a time-zone offset "
                        f"({_rows(zoned)}): {_examples(s[zoned])}; write the local day as YYYY-MM-DD.")
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if iso.any():
        out[iso] = pd.to_datetime(txt[iso], format="ISO8601", errors="coerce")
    if dmy.any():  # day/month/year, as a Spanish spreadsheet writes dates
        out[dmy] = pd.to_datetime(txt[dmy], format="%d/%m/%Y", errors="coerce")
    if stamp is not None:
        out = out.where(stamp.isna(), stamp)
    bad = out.isna() & txt.notna()
    if bad.any():
        raise DataError(f"{source}: column '{col.name}' has {int(bad.sum())} value(s) that are not dates "
                        f"({_rows(bad)}): {_examples(s[bad])}; expected YYYY-MM-DD or DD/MM/YYYY.")
    return out.dt.normalize().astype("datetime64[ns]")


def _parse_bool(s: pd.Series, col: Column, source: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean")
    values = s.astype(object)
    uniques = pd.Index(pd.unique(values), dtype=object)  # a flag column holds few distinct cells: read each once
    txt = [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v).strip().lower()
           for v in uniques]
    parsed = pd.array([True if t in _TRUE else False if t in _FALSE else pd.NA for t in txt], dtype="boolean")
    codes = uniques.get_indexer(values)
    out = pd.Series(parsed.take(codes), index=s.index)
    bad = pd.Series(np.array([p is pd.NA and t not in (None, "") for p, t in zip(parsed, txt)], dtype=bool)[codes],
                    index=s.index)
    if bad.any():
        raise DataError(f"{source}: column '{col.name}' has {int(bad.sum())} value(s) that are not true/false "
                        f"({_rows(bad)}): {_examples(s[bad])}.")
    return out


def _parse_text(s: pd.Series, col: Column, source: str) -> pd.Series:
    if isinstance(s.dtype, pd.StringDtype):
        txt = s.str.strip()
    else:
        txt = s.astype(object).map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                   else str(v).strip()).astype("str")
    if col.options is None:
        return txt
    out = txt.str.lower().map({o.lower(): o for o in col.options})
    bad = txt.notna() & out.isna()
    if bad.any():
        raise DataError(f"{source}: column '{col.name}' has {int(bad.sum())} value(s) outside {list(col.options)} "
                        f"({_rows(bad)}): {_examples(s[bad])}.")
    return out


def validate_table(df: pd.DataFrame, table: str, *, source: str | None = None, customers: pd.DataFrame | None = None,
                   transactions: pd.DataFrame | None = None, window: tuple[DateLike, DateLike] | None = None,
                   allow_empty: bool = False) -> pd.DataFrame:
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
    allow_empty : bool, default=False
        Accept a table with a header but no rows (a world may have no complaints, no
        members or no survey answers); by default it is refused, as an export that lost
        its rows.

    Returns
    -------
    DataFrame
        Columns in the schema's order with its dtypes (extra columns dropped, with a warning).

    Raises
    ------
    DataError
        For any broken rule, naming the source, column and first rows (the frame's position
        plus 2, as if the header were row 1).

    See Also
    --------
    read_table : the same checks on a file.

    Examples
    --------
    >>> raw = pd.DataFrame({"customer_id": ["1", "2"], "first_seen": ["2024-01-05", "07/01/2024"],
    ...                     "acquisition_channel": ["store", "web"], "referred_by": ["", "1"],
    ...                     "region": ["North", "south"], "age_band": ["25-34", "65+"],
    ...                     "card_tier": ["basic", "gold"]})
    >>> typed = validate_table(raw, "customers")
    >>> typed["first_seen"].dt.date.astype(str).tolist(), typed["region"].tolist(), typed["referred_by"].tolist()
    (['2024-01-05', '2024-01-07'], ['North', 'South'], [<NA>, 1])
    >>> validate_table(raw.assign(region=["North", "Mars"]), "customers", source="crm.csv")
    Traceback (most recent call last):
    ...
    fidelia_kit.exceptions.DataError: crm.csv: column 'region' has 1 value(s) outside ['North', 'South', 'East', 'West', 'Central'] (row 3): 'Mars'.
    """
    check_option("table", table, TABLES)
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`df` must be a pandas DataFrame; got {type(df).__name__}.")
    df = df.reset_index(drop=True)
    df.index = np.arange(len(df)) + _ROW_OFFSET
    return _validate(df, table, source or table, customers=customers, transactions=transactions, window=window,
                     allow_empty=allow_empty)


def _validate(df: pd.DataFrame, table: str, source: str, *, customers=None, transactions=None,
              window=None, allow_empty: bool = False) -> pd.DataFrame:
    """validate_table on a frame whose index holds the row numbers messages name."""
    rows = df.index
    window = as_window("window", window) if window is not None else None
    df = _match_columns(df, table, source)
    if len(df) == 0 and not allow_empty:
        raise DataError(f"{source}: the table has a header but no rows.")
    numbers = {c.name: _Numbers(df[c.name], c, source) for c in TABLES[table] if c.kind in ("int", "float")}
    convention = _file_convention(numbers, source)
    out = {}
    for col in TABLES[table]:
        s = df[col.name]
        if col.kind in ("int", "float"):
            v = numbers[col.name].values(numbers[col.name].convention or convention)
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
            lo, hi = window
            outside = v.notna() & ((v < lo) | (v > hi))
            if outside.any():
                raise DataError(f"{source}: column '{col.name}' has {int(outside.sum())} date(s) outside the observation "
                                f"window {lo.date()} to {hi.date()} ({_rows(outside)}): {_examples(s[outside])}.")
        out[col.name] = v
    result = coerce_table(pd.DataFrame(out), table)
    _check_links(result.set_axis(rows), table, source, {"customers": customers, "transactions": transactions})
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


def read_table(path: PathLike, table: str, *, customers: pd.DataFrame | None = None,
               transactions: pd.DataFrame | None = None, window: tuple[DateLike, DateLike] | None = None,
               sheet: str | None = None, allow_empty: bool = False) -> pd.DataFrame:
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
    sheet : str, optional
        For Excel files, the sheet to read. By default the only sheet with data; when
        several hold data, the one whose row 1 is the table's header (with a warning
        naming it), and an error when more than one is.
    allow_empty : bool, default=False
        Accept a file with a header but no rows (see :func:`validate_table`).

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
    raw = _read_file(path, table, sheet)
    return _validate(raw, table, path.name, window=window, allow_empty=allow_empty, **others)


def read_truth(folder: PathLike) -> dict:
    """The data set's ``truth.json``: the parameters and latent values that made a synthetic world.

    Parameters
    ----------
    folder : str or Path
        The data set folder.

    Returns
    -------
    dict
        The parsed file; ``{}`` when the folder has none (real data).

    Raises
    ------
    DataError
        The file is not JSON, or not a JSON object.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     read_truth(d)
    {}
    """
    from .dataset import TRUTH_FILE

    truth_path = Path(folder) / TRUTH_FILE
    if not truth_path.is_file():
        return {}
    try:
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{truth_path.name}: not valid JSON ({exc}).") from None
    if not isinstance(truth, dict):
        raise DataError(f"{truth_path.name}: must hold a JSON object (with 'window', 'config', ...); "
                        f"got a JSON {type(truth).__name__}.")
    return truth


def truth_window(truth: dict) -> tuple[str, str] | None:
    """The observation window a truth dict states: its first and last day, both included.

    Parameters
    ----------
    truth : dict
        As :func:`read_truth` returns it.

    Returns
    -------
    tuple of str or None
        ``(start, end)`` as written (YYYY-MM-DD); None when the truth states no window.

    Raises
    ------
    DataError
        ``window`` is not an object with ``start`` and ``end`` dates, or ends before it starts.

    Examples
    --------
    >>> truth_window({"window": {"start": "2024-01-01", "end": "2025-12-31"}})
    ('2024-01-01', '2025-12-31')
    >>> truth_window({}) is None
    True
    """
    if not isinstance(truth, dict) or "window" not in truth:
        return None
    window = truth["window"]
    if not isinstance(window, dict) or not {"start", "end"} <= set(window):
        raise DataError(f"truth.json: 'window' must be an object with 'start' and 'end' dates; got {window!r}.")
    try:
        as_window("window", (window["start"], window["end"]))
    except ValueError as exc:
        raise DataError(f"truth.json: {str(exc).replace('`window`', chr(39) + 'window' + chr(39))}") from None
    return (window["start"], window["end"])


# a world always has card holders and purchases; it may have no complaints, members, survey answers ...
REQUIRED_ROWS = ("customers", "transactions")


def load_world(folder: PathLike, *, tables: Sequence[str] | None = None, cache: bool = True) -> World:
    """Read a data set folder written by ``World.save`` back into a ``World``.

    Links are checked (transactions of unknown customers, items of unknown receipts,
    ...) and, when ``truth.json`` is present, dates outside its observation window
    are refused. ``tables`` restricts the tables read (default: all present; the
    seven data tables are required). Customers and transactions must have rows; the
    other tables may hold a header alone (a world with no complaints, say).

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

    Returns
    -------
    World
        The tables (typed as :func:`read_table` types them) and the truth (``{}`` without
        ``truth.json``).

    Raises
    ------
    DataError
        A missing folder or required file, or any broken rule of a table, naming the file.

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

    Examples
    --------
    >>> import tempfile
    >>> from fidelia_kit import generate_world
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = generate_world(n_customers=200, seed=1).save(d)
    ...     world = load_world(d, cache=False)
    >>> len(world.customers), world.truth["window"]["start"]
    (200, '2024-01-01')
    """
    from . import _cache
    from .dataset import DATA_TABLES, World

    if not isinstance(cache, bool):
        raise TypeError(f"`cache` must be True or False; got {cache!r}.")
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: is a file, not a data set folder; give the folder that holds the tables."
                        if folder.is_file() else f"{folder}: no such data set folder.")
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
                df = read_table(path, t, customers=out.get("customers"), transactions=out.get("transactions"),
                                window=window, allow_empty=t not in REQUIRED_ROWS)
            for w in caught:  # shown as if not caught; a table that warns is read anew each time
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
            if key and not caught and _cache.fingerprint(path) == prints[path.name]:  # unchanged while read
                _cache.write(folder, t, key, df)
        out[t] = df
    return World(tables={t: out[t] for t in TABLES if t in wanted}, truth=truth)


_CUSTOMER_360 = """
CREATE OR REPLACE VIEW customer_360 AS
WITH t AS (SELECT *, CAST(date AS DATE) AS day FROM transactions),
b AS (SELECT MAX(day) + 1 AS as_of FROM t),
d AS (SELECT customer_id, COUNT(*) AS n_purchases,
             COUNT(*) FILTER (WHERE day >= as_of - 90) AS n_purchases_90d,
             COUNT(*) FILTER (WHERE day >= as_of - 180 AND day < as_of - 90) AS n_purchases_prev_90d,
             COUNT(*) FILTER (WHERE day >= as_of - 365) AS n_purchases_365d,
             MIN(day) AS first_purchase, MAX(day) AS last_purchase,
             date_diff('day', MAX(day), ANY_VALUE(as_of)) AS days_since_last,
             date_diff('day', MIN(day), ANY_VALUE(as_of)) AS tenure_days
      FROM (SELECT DISTINCT customer_id, day FROM t), b GROUP BY customer_id),
tx AS (SELECT customer_id, COUNT(*) AS n_receipts, SUM(amount) AS monetary_total,
              SUM(amount) FILTER (WHERE day >= as_of - 90) AS monetary_90d,
              SUM(amount) FILTER (WHERE day >= as_of - 365) AS monetary_365d,
              SUM(gross_margin) AS margin_total, AVG(amount) AS avg_basket,
              AVG(CASE WHEN channel = 'online' THEN 1.0 ELSE 0.0 END) AS online_share,
              AVG(CASE WHEN channel = 'app' THEN 1.0 ELSE 0.0 END) AS app_share,
              AVG(CASE WHEN channel <> 'store' THEN 1.0 ELSE 0.0 END) AS digital_share,
              AVG(CASE WHEN discount > 0 THEN 1.0 ELSE 0.0 END) AS discount_share,
              AVG(CASE WHEN payment_method = 'cash' THEN 1.0 ELSE 0.0 END) AS cash_share,
              AVG(CASE WHEN payment_method = 'mobile' THEN 1.0 ELSE 0.0 END) AS mobile_share,
              AVG(n_items) AS items_per_basket,
              CAST(SUM(points_earned) - SUM(points_redeemed) AS BIGINT) AS points_balance
       FROM t, b GROUP BY customer_id),
g AS (SELECT d.*, CASE WHEN n_purchases > 1
                       THEN date_diff('day', first_purchase, last_purchase) / (n_purchases - 1)
                       ELSE GREATEST(tenure_days, 1) END AS mean_gap_days
      FROM d),
cx AS (SELECT customer_id, COUNT(*) AS complaints, SUM(compensation) AS compensation
       FROM complaints, b WHERE CAST(date AS DATE) < as_of GROUP BY customer_id),
ref AS (SELECT referred_by AS customer_id, COUNT(*) AS referrals FROM customers, b
        WHERE referred_by IS NOT NULL AND CAST(first_seen AS DATE) < as_of GROUP BY referred_by)
SELECT c.*, COALESCE(tx.n_receipts, 0) AS n_receipts, COALESCE(g.n_purchases, 0) AS n_purchases,
       COALESCE(g.n_purchases_90d, 0) AS n_purchases_90d,
       COALESCE(g.n_purchases_prev_90d, 0) AS n_purchases_prev_90d,
       COALESCE(g.n_purchases_365d, 0) AS n_purchases_365d,
       COALESCE(tx.monetary_total, 0) AS monetary_total, COALESCE(tx.monetary_90d, 0) AS monetary_90d,
       COALESCE(tx.monetary_365d, 0) AS monetary_365d, tx.monetary_total / g.n_purchases AS monetary_mean,
       tx.avg_basket, COALESCE(tx.margin_total, 0) AS margin_total, g.days_since_last, g.tenure_days,
       g.first_purchase, g.last_purchase, tx.online_share, tx.app_share, tx.digital_share, tx.discount_share,
       tx.cash_share, tx.mobile_share, tx.items_per_basket, g.mean_gap_days,
       g.days_since_last / GREATEST(g.mean_gap_days, 1) AS overdue,
       COALESCE(g.n_purchases_90d, 0) - COALESCE(g.n_purchases_prev_90d, 0) AS trend,
       COALESCE(cx.complaints, 0) AS complaints, COALESCE(ref.referrals, 0) AS referrals,
       COALESCE(tx.points_balance, 0) AS points_balance,
       s.overall_satisfaction, s.recommend, s.share_of_wallet, COALESCE(cx.compensation, 0) AS compensation,
       m.member_id IS NOT NULL AS plus_member, e.arm AS experiment_arm, b.as_of
FROM customers c CROSS JOIN b
LEFT JOIN tx USING (customer_id)
LEFT JOIN g USING (customer_id)
LEFT JOIN survey_responses s USING (customer_id)
LEFT JOIN cx USING (customer_id)
LEFT JOIN ref USING (customer_id)
LEFT JOIN memberships m USING (customer_id)
LEFT JOIN retention_experiment e USING (customer_id)
ORDER BY customer_id
"""


def warehouse(folder: PathLike, *, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """An embedded DuckDB database of a data set: one table per file plus a ``customer_360`` view.

    Every table is read and checked with :func:`load_world` first, so SQL runs on validated,
    typed data. ``customer_360`` is the single customer view: one row per card holder with
    every column of ``customers``, their purchase measures, survey answers, complaints,
    referrals made, membership and experiment arm.

    Parameters
    ----------
    folder : str or Path
        The data set folder.
    database : str, default=":memory:"
        Where DuckDB keeps the database: in memory, or a file path.

    Returns
    -------
    duckdb.DuckDBPyConnection
        With the tables and the view.

    Raises
    ------
    DataError
        As :func:`load_world`.

    See Also
    --------
    fidelia_kit.features.customer_features : the same purchase measures in pandas.

    Notes
    -----
    The purchase measures of ``customer_360`` have the names and meanings of
    :data:`fidelia_kit.features.FEATURES` (``n_receipts``, ``n_purchases``,
    ``n_purchases_90d``, ``monetary_total``, ``monetary_mean``, ``avg_basket``,
    ``margin_total``, ``days_since_last``, ``tenure_days``, ``online_share`` (channel
    'online' only), ``app_share``, ``digital_share`` (not 'store'), ``points_balance``,
    ``complaints``, ``referrals``, ...), computed as seen at ``as_of`` (a column of the
    view): the day after the last receipt of the data set. A test checks every one
    against :func:`fidelia_kit.features.customer_features` to 1e-9. Counts and sums are 0
    for people who never bought; means, shares and dates are NULL.

    Examples
    --------
    >>> import tempfile
    >>> from fidelia_kit import generate_world
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = generate_world(n_customers=200, seed=1).save(d)
    ...     con = warehouse(d)
    >>> sql = "SELECT COUNT(*), SUM(n_receipts) = (SELECT COUNT(*) FROM transactions) FROM customer_360"
    >>> con.sql(sql).fetchall()
    [(200, True)]
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
