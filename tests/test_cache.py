"""The cache behind load_world: a second load is served from it, never for a file that changed,
and a cache that cannot be written or read never stops loading."""
from __future__ import annotations

import os
import shutil
import warnings

import pandas as pd
import pytest

import fidelia_kit.io as fio
from fidelia_kit import DataError, load_world
from fidelia_kit._cache import FOLDER


@pytest.fixture
def world_dir(small_world_dir, tmp_path):
    """A private copy of the small world's files (no cache yet)."""
    folder = tmp_path / "data"
    shutil.copytree(small_world_dir, folder, ignore=shutil.ignore_patterns(FOLDER))
    return folder


@pytest.fixture(autouse=True)
def _user_cache(tmp_path, monkeypatch):
    """Entries that cannot go beside the data go here, not into the real user's cache."""
    monkeypatch.setenv("FIDELIA_CACHE_DIR", str(tmp_path / "user-cache"))
    return tmp_path / "user-cache"


def _no_csv_reading(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("read a CSV although the cache holds it")

    monkeypatch.setattr(fio, "read_table", refuse)


def _assert_world_equal(world, expected):
    assert list(world.tables) == list(expected.tables)
    for name, df in expected.tables.items():
        pd.testing.assert_frame_equal(world.tables[name], df, check_exact=True)
    assert world.truth == expected.truth


def _entries(folder):
    return sorted(p.name.split("-")[0] for p in folder.glob("*.arrow")) if folder.is_dir() else []


def _edit_keeping_size_and_mtime(path, old: str, new: str):
    """Replace the first ``old`` by ``new`` (same length) and put the modification time back."""
    assert len(old) == len(new)
    st = os.stat(path)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (st.st_size, st.st_mtime_ns)


def test_second_load_is_served_from_the_cache_and_equal(small_world, world_dir, monkeypatch):
    _assert_world_equal(load_world(world_dir), small_world)
    assert _entries(world_dir / FOLDER) == sorted(small_world.tables)
    assert (world_dir / FOLDER / ".gitignore").read_text().splitlines()[-1] == "*"
    _no_csv_reading(monkeypatch)
    _assert_world_equal(load_world(world_dir), small_world)
    sub = load_world(world_dir, tables=["complaints"])
    pd.testing.assert_frame_equal(sub.complaints, small_world.complaints, check_exact=True)


def test_cache_false_reads_the_csv_and_writes_nothing(small_world, world_dir):
    _assert_world_equal(load_world(world_dir, cache=False), small_world)
    assert not (world_dir / FOLDER).exists()


@pytest.mark.parametrize("bad", ["no", 0, None])
def test_cache_must_be_a_bool(world_dir, bad):
    with pytest.raises(TypeError, match=r"`cache` must be True or False; got"):
        load_world(world_dir, cache=bad)
    assert not (world_dir / FOLDER).exists()


def test_a_bad_value_with_same_size_and_mtime_is_refused_after_caching(world_dir):
    load_world(world_dir)
    path = world_dir / "transactions.csv"
    first = path.read_text().splitlines()[1].split(",")
    amount = first[3]
    _edit_keeping_size_and_mtime(path, ",".join(first), ",".join(first[:3] + ["-" + amount[1:]] + first[4:]))
    with pytest.raises(DataError, match=r"transactions\.csv: column 'amount' has 1 value\(s\) below 0\.01 \(row 2\)"):
        load_world(world_dir)


def test_a_good_change_with_same_size_and_mtime_is_seen(world_dir):
    before = load_world(world_dir).transactions
    path = world_dir / "transactions.csv"
    first = path.read_text().splitlines()[1].split(",")
    amount = first[3]
    changed = amount[:-1] + ("1" if amount[-1] != "1" else "2")
    _edit_keeping_size_and_mtime(path, ",".join(first), ",".join(first[:3] + [changed] + first[4:]))
    after = load_world(world_dir).transactions
    assert after.loc[0, "amount"] == pytest.approx(float(changed)) != before.loc[0, "amount"]
    pd.testing.assert_frame_equal(after.iloc[1:], before.iloc[1:], check_exact=True)
    assert _entries(world_dir / FOLDER).count("transactions") == 1  # the old entry is gone


def test_a_changed_customers_file_revalidates_the_tables_that_refer_to_it(small_world, world_dir):
    load_world(world_dir)
    referrers = set(small_world.customers["referred_by"].dropna().astype(int))
    buyers = small_world.transactions["customer_id"].value_counts()
    cid = next(int(c) for c in buyers.index if c not in referrers and len(str(c)) == 4)
    gone = "9" * 4  # an id the small world does not have
    assert int(gone) not in set(small_world.customers["customer_id"])
    _edit_keeping_size_and_mtime(world_dir / "customers.csv", f"\n{cid},", f"\n{gone},")
    with pytest.raises(DataError, match=rf"transactions\.csv: column 'customer_id' has {buyers[cid]} value\(s\) "
                                        r"not found in customers\.customer_id"):
        load_world(world_dir)


def test_a_read_only_data_folder_caches_in_the_user_folder(small_world, world_dir, _user_cache, monkeypatch):
    (world_dir / FOLDER).write_text("not a folder: the cache cannot be created here")
    _assert_world_equal(load_world(world_dir), small_world)
    [user] = list(_user_cache.iterdir())
    assert _entries(user) == sorted(small_world.tables)
    _no_csv_reading(monkeypatch)
    _assert_world_equal(load_world(world_dir), small_world)


def test_no_writable_cache_folder_still_loads_quietly(small_world, world_dir, tmp_path, monkeypatch):
    (world_dir / FOLDER).write_text("blocked")
    (tmp_path / "blocked-user").write_text("blocked")
    monkeypatch.setenv("FIDELIA_CACHE_DIR", str(tmp_path / "blocked-user"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _assert_world_equal(load_world(world_dir), small_world)
        _assert_world_equal(load_world(world_dir), small_world)


def test_a_failing_cache_write_leaves_no_partial_entry(small_world, world_dir, _user_cache, monkeypatch):
    def disk_full(self, path, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"half")
        raise OSError("No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_feather", disk_full)
    _assert_world_equal(load_world(world_dir), small_world)
    assert [p.name for p in (world_dir / FOLDER).iterdir()] == [".gitignore"]
    assert not any(_user_cache.rglob("*.arrow")) and not any(_user_cache.rglob("*.tmp"))


def test_a_damaged_entry_is_read_again_from_the_csv_and_replaced(small_world, world_dir):
    load_world(world_dir)
    for entry in (world_dir / FOLDER).glob("*.arrow"):
        entry.write_bytes(b"garbage")
    _assert_world_equal(load_world(world_dir), small_world)
    for entry in (world_dir / FOLDER).glob("*.arrow"):
        assert entry.read_bytes() != b"garbage"


def test_a_table_that_warns_warns_on_every_load_and_is_not_cached(world_dir):
    path = world_dir / "complaints.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0] + ",note"] + [line + ",x" for line in lines[1:]]) + "\n")
    for _ in range(2):
        with pytest.warns(UserWarning, match=r"complaints\.csv: ignoring column\(s\) not in the complaints table"):
            load_world(world_dir)
    assert "complaints" not in _entries(world_dir / FOLDER)
