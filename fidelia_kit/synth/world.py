"""generate_world: one linked synthetic world, and the truth that made it."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
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

import numpy as np
import pandas as pd
from tqdm import tqdm  # a text bar: tqdm.auto would warn in every notebook kernel without ipywidgets

from ..schema import (
    ACQUISITION_CHANNELS,
    AGE_BANDS,
    ARMS,
    CARD_TIERS,
    CONSTRUCTS,
    PROFILES,
    REGIONS,
    TABLE_FILES,
    TABLES,
    coerce_table,
)
from .complaints import defection_log_odds, make_complaints
from .config import WorldConfig
from .experiment import run_experiment
from .memberships import make_memberships
from .people import CONSTRUCT_CORRELATION, DRIVER_WEIGHTS, PROFILE_TRAITS, make_people
from .purchases import simulate_purchases
from .survey import make_survey
from .transactions import CATEGORY_MARGIN, POINTS_BLOCK, make_transactions

__all__ = ["World", "generate_world", "TRUTH_FILE", "TMP_PREFIX", "remove_leftovers", "truth_text",
           "peak_memory_estimate", "available_memory"]

TRUTH_FILE = "truth.json"
TMP_PREFIX = ".fidelia-tmp-"  # then the writing process id: .fidelia-tmp-<pid>-<random>
DATA_TABLES = tuple(name for name in TABLES if name != "truth_customers")
GOLD, SILVER = 1200.0, 400.0
HORIZON_WEEKS = 52


@dataclass
class World:
    """The tables of a data set (pandas DataFrames, by schema name) and its truth.

    Tables are reachable as attributes (``world.transactions``). ``truth`` is a dict
    (the content of truth.json); ``truth_customers`` is one of the tables.
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

    def save(self, folder, *, overwrite: bool = False, progress: bool = False) -> Path:
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
        """A few lines for people: table sizes, window, the main truth parameters."""
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
        return "\n".join(lines)


def write_csv(df: pd.DataFrame, path) -> None:
    """CSV as the kit writes it: UTF-8, comma, ISO dates, empty cells for missing values."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def truth_text(truth: dict) -> str:
    """truth.json's text as the kit writes it (sorted keys, 2-space indent, final newline)."""
    return json.dumps(truth, indent=2, sort_keys=True) + "\n"


def remove_leftovers(folder) -> list[Path]:
    """Remove the temporary folders that killed saves of ``folder`` left; return them.

    They are looked for inside ``folder`` (where saves write) and beside it (where
    earlier versions of the kit wrote them). A leftover is a folder named
    ``.fidelia-tmp-*`` that holds nothing but data-set files and whose writing
    process is no longer running (a save in progress in another process is left alone).
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


def peak_memory_estimate(config: WorldConfig) -> int:
    """Bytes of memory that ``generate_world(config)`` needs at its peak, beyond the imports.

    Calibrated on peak resident sizes measured with ``resource.getrusage``: about
    3.8 kB per customer for one year, 5.3 kB for two (5.2 GB at a million customers,
    see benchmarks/bench_generate.py) and 8.2 kB for five. The estimate,
    ``n_customers * (2.9 kB + 1.25 kB * n_years)``, is at or above every measurement.
    Saving the world as CSV needs no more than generating it.
    """
    return int(config.n_customers * (2_900 + 1_250 * config.n_years))


def available_memory() -> int | None:
    """Bytes of memory available to this process (MemAvailable, capped by a cgroup limit); None if unknown."""
    have = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    have = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    if have is None:
        try:
            have = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            pass
    try:  # a container's limit (cgroup v2)
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text(encoding="ascii"))
        if limit != "max":
            have = int(limit) - used if have is None else min(have, int(limit) - used)
    except (OSError, ValueError):
        pass
    return have


def _dates(start: dt.date, days) -> pd.Series:
    return pd.Series(np.datetime64(start, "D") + np.asarray(days, dtype="timedelta64[D]"))


def _r(x, digits=6):
    """Round for the truth file (stable text across machines)."""
    return float(np.round(float(x), digits))


def generate_world(config: WorldConfig | None = None, *, progress: bool = False, **overrides) -> World:
    """Generate the linked tables of a synthetic Fidelia world and its ground truth.

    Parameters
    ----------
    config : WorldConfig, optional
        The settings; defaults to ``WorldConfig()`` (10,000 customers, seed 2026,
        2024-2025).
    progress : bool, default=False
        Show a progress bar.
    **overrides
        Knobs of :class:`WorldConfig` to change, e.g. ``n_customers=2_000``.

    Returns
    -------
    World
        Tables customers, transactions, transaction_items, survey_responses,
        retention_experiment, memberships, complaints and truth_customers, plus the
        ``truth`` dict.

    Raises
    ------
    TypeError
        For an unknown knob.
    ValueError
        For a knob outside its range (the message names it and the range).

    Examples
    --------
    >>> world = generate_world(n_customers=300, seed=1)
    >>> sorted(world.tables)[:3]
    ['complaints', 'customers', 'memberships']
    """
    known = {f.name for f in dataclasses.fields(WorldConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"generate_world() got unknown knob(s) {unknown}; known knobs: {sorted(known)}.")
    if config is None:
        config = WorldConfig(**overrides)
    elif not isinstance(config, WorldConfig):
        raise TypeError(f"`config` must be a WorldConfig or None; got {type(config).__name__}.")
    else:
        config = dataclasses.replace(config, **overrides)
    cfg = config
    streams = dict(zip(["people", "purchases", "experiment", "baskets", "complaints", "survey", "memberships"],
                       np.random.default_rng(cfg.seed).spawn(7)))
    with tqdm(total=7, desc="generating world", disable=not progress, unit="step") as bar:  # closed on Ctrl-C too

        def step(label):
            bar.set_postfix_str(label)
            bar.update(1)

        people = make_people(cfg, streams["people"]); step("customers")
        purchases, life = simulate_purchases(cfg, people, streams["purchases"]); step("purchases")
        experiment, purchases, exp_truth = run_experiment(cfg, people, purchases, life, streams["experiment"]); step("experiment")
        tx, items, tid = make_transactions(people, purchases, streams["baskets"]); step("baskets")
        complaints = make_complaints(cfg, purchases, tid, streams["complaints"]); step("complaints")
        survey, survey_truth = make_survey(cfg, people, purchases.day, purchases.owner, streams["survey"]); step("survey")
        memberships = make_memberships(cfg, people, streams["memberships"]); step("memberships")

    start = cfg.start
    ids = np.arange(1, people.n + 1)
    # card tier by spend in the last 365 days
    last_year = tx["day"].to_numpy() >= cfg.n_days - 365
    spend = np.bincount(tx["customer_id"].to_numpy()[last_year] - 1, weights=tx["amount"].to_numpy()[last_year], minlength=people.n)
    tier = np.where(spend >= GOLD, 2, np.where(spend >= SILVER, 1, 0))
    customers = pd.DataFrame({
        "customer_id": ids,
        "first_seen": _dates(start, people.first_day),
        "acquisition_channel": np.array(ACQUISITION_CHANNELS)[people.channel],
        "referred_by": pd.array(np.where(people.referred_by > 0, people.referred_by, 0), dtype="Int64"),
        "region": np.array(REGIONS)[people.region],
        "age_band": np.array(AGE_BANDS)[people.age],
        "card_tier": np.array(CARD_TIERS)[tier],
    })
    customers.loc[people.referred_by == 0, "referred_by"] = pd.NA
    tx.insert(2, "date", _dates(start, tx.pop("day")))
    complaints.insert(3, "date", _dates(start, complaints.pop("day")))
    survey.insert(2, "response_date", _dates(start, survey.pop("day")))
    experiment["assigned_date"] = _dates(start, experiment["assigned_date"])

    # the truth, per customer
    alive = people.buyer & ~life.died
    lam, p = people.lam, people.p
    with np.errstate(invalid="ignore"):
        exp_purch = np.where(alive, (1 - np.exp(-lam * p * HORIZON_WEEKS)) / p, 0.0)
    mean_spend = cfg.spend_p / people.nu
    exp_idx = exp_truth["idx"]

    def per_customer(values):
        out = np.full(people.n, np.nan)
        out[exp_idx] = values
        return np.round(out, 6) + 0.0  # no negative zeros in the files

    truth_customers = pd.DataFrame({
        "customer_id": ids,
        "profile": np.array(PROFILES)[people.profile],
        "buyer": people.buyer,
        "purchase_rate": np.round(lam, 6),
        "dropout_prob": np.round(p, 6),
        "mean_spend": np.round(mean_spend, 4),
        "alive_end": pd.array(np.where(people.buyer, alive, False), dtype="boolean"),
        "satisfaction": np.round(people.satisfaction, 6),
        "recommend": pd.array(people.recommend, dtype="Int64"),
        "share_of_wallet": people.share_of_wallet,
        "expected_purchases_52w": np.round(np.where(people.buyer, exp_purch, np.nan), 6),
        "expected_spend_52w": np.round(np.where(people.buyer, exp_purch * mean_spend, np.nan), 4),
        "p_active_90d": per_customer(exp_truth["p0"]),
        "effect_email_discount": per_customer(exp_truth["email"]),
        "effect_personal_call": per_customer(exp_truth["call"]),
    })
    truth_customers.loc[~people.buyer, ["alive_end", "recommend"]] = pd.NA

    arm = exp_truth["arm"]
    tau = {ARMS[1]: exp_truth["email"], ARMS[2]: exp_truth["call"]}
    gg_mean = cfg.spend_p * cfg.spend_v / (cfg.spend_q - 1)
    truth = {
        "config": cfg.to_dict(),
        "window": {"start": cfg.start.isoformat(), "end": cfg.end.isoformat(), "n_days": cfg.n_days},
        "market_size": int(round(cfg.market_size_factor * cfg.n_customers)),
        "counts": {
            "customers": int(people.n), "buyers": int(people.buyer.sum()),
            "prospects": int((~people.buyer).sum()), "alive_end": int(alive.sum()),
            "referred": int((people.referred_by > 0).sum()),
            "profiles": {name: int((people.profile == i).sum()) for i, name in enumerate(PROFILES)},
        },
        "purchase_process": {
            "model": "BG/NBD", "time_unit": "week", "r": cfg.purchase_r, "alpha": cfg.purchase_alpha,
            "a": cfg.dropout_a, "b": cfg.dropout_b,
            "note": "Exact for every purchase before the experiment date; after it, the campaign adds "
                    "reactivation purchases and removes the purchases of customers it drove away.",
        },
        "spend_process": {"model": "Gamma-Gamma", "p": cfg.spend_p, "q": cfg.spend_q, "v": cfg.spend_v,
                          "mean_spend": _r(gg_mean), "currency": "EUR",
                          "note": "Amounts are rounded to cents (at least 0.01)."},
        "satisfaction": {
            "driver_weights": DRIVER_WEIGHTS,
            "construct_correlation": CONSTRUCT_CORRELATION,
            "dropout_link": cfg.satisfaction_dropout_link,
            "constructs": list(CONSTRUCTS),
        },
        "survey": {k: (_r(v) if isinstance(v, float) else v) for k, v in survey_truth.items()
                   if k != "survey_date_day"}
                  | {"date": (start + dt.timedelta(days=cfg.survey_day)).isoformat()},
        "experiment": {
            "date": (start + dt.timedelta(days=cfg.experiment_day)).isoformat(),
            "outcome_days": 90,
            "n": int(len(arm)),
            "arm_sizes": {a: int((arm == i).sum()) for i, a in enumerate(ARMS)},
            "average_effect": {a: _r(tau[a].mean()) if len(arm) else float("nan") for a in ARMS[1:]},
            "average_effect_in_arm": {a: _r(tau[a][arm == i].mean()) if (arm == i).any() else float("nan")
                                      for i, a in enumerate(ARMS) if i > 0},
            "mean_p_active_90d": _r(exp_truth["p0"].mean()) if len(arm) else float("nan"),
        },
        "memberships": {"model": "sBG", "alpha": cfg.membership_alpha, "beta": cfg.membership_beta,
                        "period": "year"},
        "complaints": {"defection_log_odds": {k: _r(v) for k, v in defection_log_odds().items()},
                       "note": "Slopes of the log-odds that the customer leaves after the purchase complained about."},
        "profiles": {name: {k: list(v) if isinstance(v, tuple) else v for k, v in PROFILE_TRAITS[name].items()}
                     for name in PROFILES},
        "category_margin": CATEGORY_MARGIN,
        "points": {"per_euro": 1, "block": POINTS_BLOCK, "value_eur": 0.01},
        "card_tiers": {"gold": GOLD, "silver": SILVER, "basis": "spend in the last 365 days of the window, EUR"},
        "expected_purchases_horizon_weeks": HORIZON_WEEKS,
    }
    tables = {
        "customers": customers, "transactions": tx, "transaction_items": items,
        "survey_responses": survey, "retention_experiment": experiment, "memberships": memberships,
        "complaints": complaints, "truth_customers": truth_customers,
    }
    tables = {name: coerce_table(df, name) for name, df in tables.items()}
    return World(tables=tables, truth=json.loads(json.dumps(truth)))
