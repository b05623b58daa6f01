"""The data set's container: :class:`World` (tables plus truth) and how it is written to disk.

This module is neutral ground between the generator (:mod:`fidelia_kit.synth`), which builds
a :class:`World`, and the readers (:mod:`fidelia_kit.io`), which read a saved folder back into
one. It imports neither, so reading a data set never loads the generator.

A data set folder holds one CSV file per table (``fidelia_kit.schema.TABLE_FILES``) and
``truth.json``. :data:`DATA_TABLES` are the tables every data set folder must hold; the
other tables of the schema (``truth_customers``, ``survey_waves``, ``welcome_experiment``,
``contacts``) are read when present, so folders written by earlier versions still load.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .schema import TABLE_FILES, TABLES

if TYPE_CHECKING:
    from ._typing import DateLike, PathLike


__all__ = ["alive_on", "World", "TRUTH_FILE", "TMP_PREFIX", "DATA_TABLES", "OPTIONAL_TABLES", "write_csv", "truth_text",
           "remove_leftovers"]

#: File name of the truth that made a data set, beside its tables.
TRUTH_FILE = "truth.json"
#: Prefix of the hidden folder a save writes into, then the writing process id: .fidelia-tmp-<pid>-<random>.
TMP_PREFIX = ".fidelia-tmp-"
#: Tables a data set folder may lack (read when present): the truth per customer, and tables added
#: after the first version of the data set.
OPTIONAL_TABLES = ("truth_customers", "survey_waves", "welcome_experiment", "contacts")
#: Tables every data set folder holds.
DATA_TABLES = tuple(name for name in TABLES if name not in OPTIONAL_TABLES)


@dataclass
class World:
    """The tables of a data set (pandas DataFrames, by schema name) and its truth.

    Tables are reachable as attributes (``world.transactions``). ``truth`` is a dict
    (the content of truth.json); ``truth_customers`` is one of the tables.

    Parameters
    ----------
    tables : dict of str to DataFrame
        The tables, keyed by their names in ``fidelia_kit.schema.TABLES``.
    truth : dict, default={}
        What made the data (the content of truth.json); empty for data without a known truth.

    Attributes
    ----------
    tables : dict of str to DataFrame
    truth : dict

    See Also
    --------
    fidelia_kit.synth.generate_world : makes a World from a WorldConfig.
    fidelia_kit.io.load_world : reads a saved World back, validating every table.

    Examples
    --------
    >>> w = World(tables={"customers": pd.DataFrame({"customer_id": [1, 2]})})
    >>> w
    World(customers=2)
    >>> w.customers["customer_id"].tolist()
    [1, 2]
    >>> w.complaints
    Traceback (most recent call last):
    ...
    AttributeError: World has no table or attribute 'complaints'; tables: ['customers'].
    """

    tables: dict[str, pd.DataFrame]
    truth: dict = field(default_factory=dict)

    def __getattr__(self, name):
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(f"World has no table or attribute {name!r}; tables: {sorted(tables)}.")

    def __repr__(self):
        sizes = ", ".join(f"{k}={len(v):,}" for k, v in self.tables.items())
        return f"World({sizes})"

    def save(self, folder: PathLike, *, overwrite: bool = False, progress: bool = False) -> Path:
        """Write every table as CSV plus truth.json into ``folder``.

        Files are written to a hidden temporary folder inside ``folder`` (so on the
        same file system, also when ``folder`` is a mount point) and moved into place
        only when all are complete; an error or an interruption (Ctrl-C) on the way
        leaves ``folder`` as it was. Ctrl-C or SIGTERM during the final moves is held
        until they are done. A folder holding any file is refused unless
        ``overwrite=True`` (which replaces only the data set's own files, after the
        new ones are complete).

        Temporary folders that an earlier, killed save left in or beside ``folder``
        are removed first (see :func:`remove_leftovers`), with a UserWarning naming them.

        Parameters
        ----------
        folder : str or Path
            Where to write; made (with its parents) if missing.
        overwrite : bool, default=False
            Replace the data set files of a folder that is not empty.
        progress : bool, default=False
            Show a progress bar (one step per file).

        Returns
        -------
        Path
            ``folder``.

        Raises
        ------
        FileExistsError
            If ``folder`` is a file, or a folder that is not empty and ``overwrite``
            is False.
        OSError
            If writing fails (disk full, no permission); nothing is left behind.
        """
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise FileExistsError(f"{folder}: exists and is not a folder.")
        removed = remove_leftovers(folder)
        if removed:
            warnings.warn(f"removed {len(removed)} temporary folder(s) left by an interrupted save "
                          f"({', '.join(str(p) for p in removed)}).", UserWarning, stacklevel=2)
        if folder.exists() and any(folder.iterdir()) and not overwrite:
            raise FileExistsError(f"{folder}: folder is not empty; choose an empty folder or overwrite it explicitly.")
        targets = [folder / TABLE_FILES[name] for name in self.tables] + [folder / TRUTH_FILE]
        blocked = [p.name for p in targets if p.exists() and not p.is_file()]
        if blocked:  # found before anything is written, so no half data set can be left
            raise FileExistsError(f"{folder}: {', '.join(blocked)} exist(s) but not as file(s); "
                                  "move them away first.")
        from tqdm import tqdm  # a text bar: tqdm.auto would warn in every notebook kernel without ipywidgets

        created = [p for p in (folder, *folder.parents) if not p.exists()]
        tmp, done = None, False
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=folder))
            with tqdm(self.tables.items(), desc="writing files", unit="file", disable=not progress) as bar:
                for name, df in bar:
                    write_csv(df, tmp / TABLE_FILES[name])
            (tmp / TRUTH_FILE).write_text(truth_text(self.truth), encoding="utf-8")
            with _interruptions_held():
                for f in sorted(tmp.iterdir()):
                    os.replace(f, folder / f.name)
                done = True
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            if not done:
                for p in created:  # innermost first; only folders this call made, and only if empty
                    try:
                        p.rmdir()
                    except OSError:
                        break
        return folder

    def summary(self) -> str:
        """A few lines for people: table sizes, window, the main truth parameters (of a generated world)."""
        t = self.truth
        lines = [f"Fidelia world: {t['window']['start']} to {t['window']['end']} (seed {t['config']['seed']})"]
        for name, df in self.tables.items():
            lines.append(f"  {TABLE_FILES[name]:<26} {len(df):>10,} rows")
        bt, gg = t["purchase_process"], t["spend_process"]
        lines.append(f"  purchases: BG/NBD per week r={bt['r']}, alpha={bt['alpha']}, a={bt['a']}, b={bt['b']}")
        lines.append(f"  spend: Gamma-Gamma p={gg['p']}, q={gg['q']}, v={gg['v']} (mean {gg['mean_spend']:.2f} EUR)")
        lines.append(f"  buyers alive at the end: {t['counts']['alive_end']:,} of {t['counts']['buyers']:,}; "
                     f"NPS of active customers {t['survey']['nps_population']:.1f}")
        eff = t["experiment"]["average_effect"]
        lines.append("  campaign effects on 90-day purchase: " + ", ".join(f"{k} {v:+.3f}" for k, v in eff.items()))
        if "welcome" in t:  # worlds written before the welcome trial have none
            wel = t["welcome"]
            lines.append(f"  welcome trial: {wel['n']:,} prospects; effect on a first purchase within "
                         f"{wel['outcome_days']} days {wel['effect']:+.3f}")
        if "contacts" in t:  # worlds written before the contact plan have none
            con = t["contacts"]
            lines.append(f"  contact plan: {con['n']:,} contacts, {con['random_offers']:,} cross-sell offers at random; "
                         f"fatigue {con['response']['fatigue_per_contact']:+.2f} log-odds per contact in the "
                         f"{con['response']['fatigue_window_days']} days before")
        return "\n".join(lines)


def write_csv(df: pd.DataFrame, path: PathLike) -> None:
    """Write a table as CSV the way the kit writes it: UTF-8, comma, ISO dates, empty cells for missing values.

    Parameters
    ----------
    df : DataFrame
        The table; datetime columns are written as ``YYYY-MM-DD``.
    path : str or Path
        The file to write (replaced if it exists).

    Returns
    -------
    None

    Examples
    --------
    >>> import tempfile, pathlib
    >>> df = pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime(["2024-01-05", None])})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_csv(df, pathlib.Path(tmp) / "t.csv")
    ...     print(open(pathlib.Path(tmp) / "t.csv").read(), end="")
    customer_id,date
    1,2024-01-05
    2,
    """
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def truth_text(truth: dict) -> str:
    """The text of truth.json as the kit writes it: sorted keys, 2-space indent, final newline.

    The same truth gives the same bytes on every machine (a test compares files byte for byte).

    Parameters
    ----------
    truth : dict
        JSON-ready content (numbers, strings, lists, dicts).

    Returns
    -------
    str

    Examples
    --------
    >>> print(truth_text({"b": 1, "a": [1, 2]}), end="")
    {
      "a": [
        1,
        2
      ],
      "b": 1
    }
    """
    return json.dumps(truth, indent=2, sort_keys=True) + "\n"


def remove_leftovers(folder: PathLike) -> list[Path]:
    """Remove the temporary folders that killed saves of ``folder`` left; return them.

    They are looked for inside ``folder`` (where saves write) and beside it (where
    earlier versions of the kit wrote them). A leftover is a folder named
    ``.fidelia-tmp-*`` that holds nothing but data-set files and whose writing
    process is no longer running (a save in progress in another process is left alone).

    Parameters
    ----------
    folder : str or Path
        A data set folder (it need not exist).

    Returns
    -------
    list of Path
        The folders removed (empty when there were none).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     left = pathlib.Path(tmp) / "data" / (TMP_PREFIX + "abc")   # no process id: an old leftover
    ...     left.mkdir(parents=True)
    ...     _ = (left / "customers.csv").write_text("customer_id")
    ...     [p.name for p in remove_leftovers(pathlib.Path(tmp) / "data")], left.exists()
    (['.fidelia-tmp-abc'], False)
    """
    folder = Path(folder)
    places = [p for p in (folder, folder.parent) if p.is_dir()]
    if len(places) == 2 and places[0].resolve() == places[1].resolve():
        places = places[:1]
    ours = set(TABLE_FILES.values()) | {TRUTH_FILE}
    removed = []
    for tmp in (t for place in places for t in sorted(place.glob(TMP_PREFIX + "*"))):
        if not tmp.is_dir() or tmp.is_symlink() or _writer_running(tmp):
            continue
        if all(f.is_file() and f.name in ours for f in tmp.iterdir()):
            shutil.rmtree(tmp)
            removed.append(tmp)
    return removed


def _writer_running(tmp: Path) -> bool:
    """Whether the process that named ``tmp`` (.fidelia-tmp-<pid>-...) may still be writing it."""
    rest = tmp.name[len(TMP_PREFIX):]
    pid = rest.split("-")[0]
    if not pid.isdigit() or "-" not in rest:
        return False  # written before the name carried the process id
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows: go by age instead
        return time.time() - tmp.stat().st_mtime < 3600
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:  # PermissionError: a process of another user
        return True
    return True


@contextlib.contextmanager
def _interruptions_held():
    """Hold SIGINT and SIGTERM while the block runs (main thread only), then deliver them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(sig)
        if handler is not None and handler is not signal.SIG_IGN:
            previous[sig] = signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if caught:
            signal.raise_signal(caught[0])


def alive_on(truth_customers: pd.DataFrame, day: DateLike, *, customer_col: str = "customer_id") -> pd.Series:
    """Whether each customer of a synthetic world's truth was still a customer on ``day``.

    Parameters
    ----------
    truth_customers : DataFrame
        The world's ``truth_customers`` table, with ``customer_col``, ``alive_end`` (alive at the
        end of the window) and ``dropout_date`` (the day a customer left; empty while alive).
    day : date-like
        The day asked about.
    customer_col : str, default="customer_id"

    Returns
    -------
    Series of bool
        Indexed by customer: ``alive_end`` or ``dropout_date >= day`` (a customer who leaves on a
        day made that day's purchase first). Prospects, who never bought, count as not alive.

    Raises
    ------
    ValueError
        A missing column, a ``day`` or a ``dropout_date`` that is not a date.

    Examples
    --------
    >>> truth = pd.DataFrame({"customer_id": [1, 2, 3], "alive_end": [True, False, False],
    ...                       "dropout_date": [None, "2024-03-01", "2024-01-15"]})
    >>> alive_on(truth, "2024-02-01").tolist()
    [True, True, False]
    """
    from ._validation import as_date, as_dates, check_frame

    check_frame("truth_customers", truth_customers, [customer_col, "alive_end", "dropout_date"])
    day = as_date("day", day)
    left = truth_customers["dropout_date"].reset_index(drop=True)
    known = left.notna().to_numpy()
    dropout = pd.Series(pd.NaT, index=left.index, dtype="datetime64[ns]")
    dropout[known] = as_dates("truth_customers", "dropout_date", left[known]).to_numpy()
    alive = truth_customers["alive_end"].astype("boolean").fillna(False).to_numpy(dtype=bool) | (dropout >= day).to_numpy()
    return pd.Series(alive, index=pd.Index(truth_customers[customer_col].to_numpy(), name=customer_col), name="alive")
