"""The cache of validated tables behind :func:`fidelia_kit.io.load_world` (private).

One Arrow file (Feather v2, LZ4-compressed: it reads several times faster than Parquet)
per table, named by a key that hashes everything the validated table depends on: the size,
modification time and BLAKE2 hash of the bytes of its own file and of the files its ids
refer to, the observation window, the kit's reading code and the pandas, numpy and pyarrow
versions. A changed file therefore changes the key and the table
is read and validated again from the CSV. Entries live in ``<folder>/.fidelia-cache/``
or, when that cannot be written, in ``$FIDELIA_CACHE_DIR`` or the user's cache folder.
Nothing here may stop a load: a failed read is a miss, a failed write is skipped.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from .schema import TABLE_FILES, TABLES

__all__ = ["FOLDER", "fingerprint", "table_key", "cache_dirs", "read", "write"]

FOLDER = ".fidelia-cache"
_FORMAT = 1  # bump when what an entry holds changes
_code_print: str | None = None


def fingerprint(path: Path) -> str:
    """Size, modification time and BLAKE2 hash of a file's bytes (about 10 ms for the default world)."""
    st = path.stat()
    digest = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    return f"{st.st_size}:{st.st_mtime_ns}:{digest}"


def _code_fingerprint() -> str:
    """What a validated table depends on besides the data: the reading code and library versions."""
    global _code_print
    if _code_print is None:
        import numpy as np
        import pyarrow

        from . import _validation, io, schema

        h = hashlib.blake2b(digest_size=16)
        for module in (io, schema, _validation):
            h.update(Path(module.__file__).read_bytes())
        h.update(f"{_FORMAT}|{pd.__version__}|{np.__version__}|{pyarrow.__version__}".encode())
        _code_print = h.hexdigest()
    return _code_print


def table_key(folder: Path, table: str, window, prints: dict) -> str | None:
    """The key of one table of ``folder``, or None when a file it depends on cannot be read.

    ``prints`` maps file names to fingerprints already taken in this load, so a table and
    the tables that check their ids against it are keyed by the same bytes.
    """
    deps = [table] + sorted({c.references.split(".")[0] for c in TABLES[table] if c.references} - {table})
    parts = [_code_fingerprint(), table, repr(window)]
    try:
        for dep in deps:
            name = TABLE_FILES[dep]
            if name not in prints:
                prints[name] = fingerprint(folder / name)
            parts.append(f"{name}={prints[name]}")
    except OSError:
        return None  # reading the file reports the problem
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


def cache_dirs(folder: Path) -> list[Path]:
    """Where a data set's cache may live: beside the data first, then the user's cache folder."""
    user = os.environ.get("FIDELIA_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fidelia_kit"
    where = hashlib.blake2b(str(folder.absolute()).encode(), digest_size=8).hexdigest()
    return [folder / FOLDER, Path(user) / where]


def read(folder: Path, table: str, key: str) -> pd.DataFrame | None:
    """The cached table for ``key``, or None (no entry, or one that cannot be read as the table)."""
    expected = [c.name for c in TABLES[table]]
    for d in cache_dirs(folder):
        entry = d / f"{table}-{key}.arrow"
        if not entry.is_file():
            continue
        try:
            df = pd.read_feather(entry)
        except Exception:  # a damaged entry is only a miss
            continue
        if list(df.columns) == expected:
            return df
    return None


def write(folder: Path, table: str, key: str, df: pd.DataFrame) -> Path | None:
    """Store a validated table and return the entry, or None when no cache folder can be written.

    An entry appears whole (written aside, then renamed) or not at all; the table's older
    entries in the same folder are removed.
    """
    name = f"{table}-{key}.arrow"
    for d in cache_dirs(folder):
        tmp = d / f".{name}.{os.getpid()}.tmp"
        try:
            if not d.is_dir():
                d.mkdir(parents=True, exist_ok=True)
                (d / ".gitignore").write_text("# fidelia_kit's cache of validated tables; safe to delete\n*\n",
                                              encoding="utf-8")
            df.to_feather(tmp, compression="lz4")
            os.replace(tmp, d / name)
        except Exception:  # a cache that cannot be written must never stop loading
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
            continue
        for old in d.glob(f"{table}-*.arrow"):
            if old.name != name:
                try:
                    old.unlink()
                except OSError:
                    pass
        return d / name
    return None
