"""fidelia_kit: a research and teaching kit for customer-loyalty analytics.

The kit stands on a synthetic world whose ground truth is known
(:mod:`fidelia_kit.synth`), readers that refuse bad data clearly
(:mod:`fidelia_kit.io`), and one module per area of analysis.

``import fidelia_kit`` is quick: the public names below are imported the first time they
are used (PEP 562), so a notebook or the command line pays only for the modules it uses
(pandas with the readers, scikit-learn and statsmodels inside the functions that fit).
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

from ._version import __version__
from .exceptions import ConvergenceError, DataError, NotFittedError

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from . import clv, contact, features, notebook, plots, programme, retention, segmentation, survey, verdict
    from .features import customer_features
    from .io import load_world, read_table, validate_table, warehouse
    from .notebook import check_parameters, read_results, record
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
    "customer_features",
    "record",
    "read_results",
    "check_parameters",
    "clv",
    "contact",
    "features",
    "notebook",
    "plots",
    "programme",
    "retention",
    "segmentation",
    "survey",
    "verdict",
]

# public name -> the module that defines it
_LAZY = {
    "World": ".dataset", "WorldConfig": ".synth", "generate_world": ".synth",
    "load_world": ".io", "read_table": ".io", "validate_table": ".io", "warehouse": ".io",
    "customer_features": ".features",
    "record": ".notebook", "read_results": ".notebook", "check_parameters": ".notebook",
}


def __getattr__(name: str):
    """A public name or a submodule (``fk.load_world``, ``fk.runner``), imported on first use."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    elif not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
