"""fidelia_kit: a research and teaching kit for customer-loyalty analytics.

The kit stands on a synthetic world whose ground truth is known
(:mod:`fidelia_kit.synth`), readers that refuse bad data clearly
(:mod:`fidelia_kit.io`), and one module per area of analysis.
"""
from __future__ import annotations

from ._version import __version__
from .exceptions import ConvergenceError, DataError, NotFittedError
from .io import load_world, read_table, validate_table, warehouse
from .runner import read_results, record
from . import clv, plots, retention, segmentation, survey
from .synth import World, WorldConfig, generate_world

__all__ = [
    "__version__",
    "ConvergenceError",
    "DataError",
    "NotFittedError",
    "World",
    "WorldConfig",
    "generate_world",
    "load_world",
    "read_table",
    "validate_table",
    "warehouse",
    "record",
    "read_results",
    "clv",
    "plots",
    "retention",
    "segmentation",
    "survey",
]
