"""Shared fixtures: a seeded rng, small worlds, and closing figures after each test."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # figures render off-screen in tests

import numpy as np
import pytest

from fidelia_kit import generate_world

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def default_world():
    """The default world (10,000 customers, seed 2026), as committed in datasets/."""
    return generate_world()


@pytest.fixture(scope="session")
def small_world():
    return generate_world(n_customers=2_000, seed=11)


@pytest.fixture(scope="session")
def small_world_dir(small_world, tmp_path_factory):
    folder = tmp_path_factory.mktemp("world") / "small"
    small_world.save(folder)
    return folder


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import sys
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


# Tests that build the default world, execute notebooks or draw many worlds are marked slow,
# so `make test-fast` (pytest -m "not slow") gives a quick edit loop; `make test` runs them all.
_SLOW_FIXTURES = {"default_world", "large_world", "executed"}
_SLOW_FILES = {"test_any_world.py", "test_notebooks.py", "test_notebooks_any_world.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())) or item.path.name in _SLOW_FILES:
            item.add_marker(pytest.mark.slow)
