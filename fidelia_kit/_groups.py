"""Sort-based grouping of whole-number keys: the fast path of the kit's per-customer summaries.

pandas' ``groupby`` hashes its keys; when the keys are whole numbers (customer ids, day or
week numbers, purchase counts) one ``argsort`` of a packed int64 key does the same work
several times faster at a million rows, and gives the groups in ascending key order.
``pack_keys`` turns several whole-number columns into one such key (and ``unpack_keys``
back), ``sorted_groups`` finds the groups. Used by the BTYD summary
(:func:`fidelia_kit.clv.summarize_transactions`) and the models' row compression.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Groups", "sorted_groups", "distinct_keys", "pack_keys", "unpack_keys", "fits_int64"]


@dataclass(frozen=True)
class Groups:
    """The groups of equal keys, in ascending key order.

    ``order`` sorts the rows by key (stable), ``starts`` are the positions in that order
    where each group begins, ``keys`` the distinct keys and ``codes`` the group (0, 1, ...)
    of each row in the caller's order.

    >>> g = sorted_groups(np.array([7, 3, 7, 3, 5]))
    >>> g.keys.tolist(), g.sizes.tolist(), g.sum(np.array([1.0, 2.0, 3.0, 4.0, 5.0])).tolist()
    ([3, 5, 7], [2, 1, 2], [6.0, 5.0, 4.0])
    """

    order: np.ndarray
    starts: np.ndarray
    keys: np.ndarray

    @property
    def n_groups(self) -> int:
        """How many distinct keys."""
        return len(self.starts)

    @property
    def sizes(self) -> np.ndarray:
        """Rows per group."""
        return np.diff(np.r_[self.starts, len(self.order)])

    @property
    def codes(self) -> np.ndarray:
        """The group number of each row, in the caller's row order."""
        out = np.empty(len(self.order), dtype=np.int64)
        out[self.order] = np.repeat(np.arange(self.n_groups), self.sizes)
        return out

    def sum(self, values) -> np.ndarray:
        """Sum of ``values`` (one per row) in each group."""
        v = np.asarray(values)
        if len(v) == 0:
            return v[:0].astype(float)
        return np.add.reduceat(v[self.order], self.starts)

    def first(self, values) -> np.ndarray:
        """The value of each group's first row in key order (stable: the earliest row of the group)."""
        return np.asarray(values)[self.order[self.starts]]

    def last(self, values) -> np.ndarray:
        """The value of each group's last row (stable: the latest row of the group)."""
        return np.asarray(values)[self.order[np.r_[self.starts[1:], len(self.order)] - 1]]


def sorted_groups(key) -> Groups:
    """Group the rows of a whole-number ``key`` (any int array) by sorting it once."""
    key = np.asarray(key)
    if key.dtype.kind not in "iu":
        raise TypeError(f"`key` must hold whole numbers (an int array); got {key.dtype}.")
    order = np.argsort(key, kind="stable")
    ks = key[order]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]]) if len(ks) else np.zeros(0, dtype=np.int64)
    return Groups(order=order, starts=starts, keys=ks[starts])


def distinct_keys(key) -> np.ndarray:
    """The distinct values of a whole-number ``key``, ascending: ``sorted_groups(key).keys`` without the
    row order (one plain sort, about twice as fast as the stable argsort at a million rows).

    >>> distinct_keys(np.array([7, 3, 7, 3, 5])).tolist()
    [3, 5, 7]
    """
    ks = np.sort(np.asarray(key))
    return ks[np.r_[True, ks[1:] != ks[:-1]]] if len(ks) else ks


def fits_int64(*spans: int) -> bool:
    """True when columns with these many distinct values (``max - min + 1`` each) pack into one int64."""
    total = 1
    for s in spans:
        total *= max(int(s), 1)
    return total < 2**62


def pack_keys(*columns) -> tuple[np.ndarray, tuple[tuple[int, int], ...]]:
    """One int64 key for rows of several whole-number columns, ordered like the tuples of the columns.

    Returns the key and, per column, its ``(minimum, span)`` for :func:`unpack_keys`. Raise
    ValueError when the columns' ranges do not fit together in an int64 (check with
    :func:`fits_int64`).

    >>> key, layout = pack_keys(np.array([2, 1, 2]), np.array([10, 30, 20]))
    >>> key.tolist(), [c.tolist() for c in unpack_keys(key, layout)]
    ([21, 20, 31], [[2, 1, 2], [10, 30, 20]])
    """
    cols = [np.asarray(c).astype(np.int64) for c in columns]
    layout = tuple((int(c.min()), int(c.max()) - int(c.min()) + 1) if len(c) else (0, 1) for c in cols)
    if not fits_int64(*(s for _, s in layout)):
        raise ValueError("the key columns span too many values to pack into one 64-bit key.")
    key = np.zeros(len(cols[0]) if cols else 0, dtype=np.int64)
    for c, (low, span) in zip(cols, layout):
        key = key * span + (c - low)
    return key, layout


def unpack_keys(key, layout) -> tuple[np.ndarray, ...]:
    """The columns that :func:`pack_keys` packed into ``key``, from its ``layout``."""
    key = np.asarray(key, dtype=np.int64)
    out = []
    for low, span in reversed(layout):
        out.append(key % span + low)
        key = key // span
    return tuple(reversed(out))
