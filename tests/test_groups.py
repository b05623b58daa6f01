"""The sort-based grouping helper (fidelia_kit._groups) against pandas' groupby."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fidelia_kit._groups import distinct_keys, fits_int64, pack_keys, sorted_groups, unpack_keys


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 40), st.integers(0, 7), st.floats(-100, 100)), min_size=1, max_size=200))
def test_groups_equal_pandas_groupby(rows):
    a, b, v = (np.array(c) for c in zip(*rows))
    key, layout = pack_keys(a, b)
    g = sorted_groups(key)
    ref = pd.DataFrame({"a": a, "b": b, "v": v, "row": np.arange(len(a))}).groupby(["a", "b"])
    ua, ub = unpack_keys(g.keys, layout)
    assert list(zip(ua.tolist(), ub.tolist())) == list(ref.groups.keys())        # same groups, same (sorted) order
    assert g.sizes.tolist() == ref.size().tolist()
    assert np.allclose(g.sum(v), ref["v"].sum().to_numpy(), rtol=1e-12, atol=1e-9)
    assert g.first(np.arange(len(a))).tolist() == ref["row"].first().tolist()   # stable: the earliest row
    assert g.last(np.arange(len(a))).tolist() == ref["row"].last().tolist()
    assert g.codes.tolist() == ref.ngroup().tolist()
    assert distinct_keys(key).tolist() == g.keys.tolist()                       # the fast path rfm_table uses


def test_hand_worked_and_bad_input():
    g = sorted_groups(np.array([7, 3, 7, 3, 5]))
    assert g.keys.tolist() == [3, 5, 7] and g.sizes.tolist() == [2, 1, 2] and g.codes.tolist() == [2, 0, 2, 0, 1]
    key, layout = pack_keys(np.array([2, 1, 2]), np.array([10, 30, 20]))
    assert key.tolist() == [21, 20, 31] and layout == ((1, 2), (10, 21))
    with pytest.raises(TypeError, match=r"`key` must hold whole numbers \(an int array\); got float64"):
        sorted_groups(np.array([1.5, 2.0]))
    assert fits_int64(2**31, 2**30) and not fits_int64(2**32, 2**31)
    with pytest.raises(ValueError, match="too many values to pack into one 64-bit key"):
        pack_keys(np.array([0, 2**40]), np.array([0, 2**30]))
    empty = sorted_groups(np.zeros(0, dtype=np.int64))
    assert empty.n_groups == 0 and empty.sum(np.zeros(0)).tolist() == []
