"""Every public function and class teaches: a numpydoc docstring whose examples run.

The examples in the docstrings are run here as doctests (with ``np`` and ``pd`` imported), so a
docstring cannot drift from the code it documents.
"""
from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import numpy as np
import pandas as pd
import pytest

import fidelia_kit

# modules whose public names make the kit's API (the command line, the executor and the world's
# generator internals are documented in the README and their own docstrings)
_SKIP = {"fidelia_kit.__main__", "fidelia_kit.cli", "fidelia_kit._version"}
_SYNTH_PUBLIC = {"fidelia_kit.synth.config", "fidelia_kit.synth.world"}  # the other synth modules are the generator's parts
MODULES = sorted(m.name for m in pkgutil.walk_packages(fidelia_kit.__path__, "fidelia_kit.")
                 if m.name not in _SKIP and not m.name.split(".")[-1].startswith("_")
                 and (not m.name.startswith("fidelia_kit.synth.") or m.name in _SYNTH_PUBLIC))


def _public(module):
    names = getattr(module, "__all__", [])
    for name in names:
        obj = getattr(module, name)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__:
            yield name, obj


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name, globs={"np": np, "pd": pd, **vars(module)}):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} docstring examples fail (output above)"


def _missing_sections(obj) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    need = ["Examples"]
    if inspect.isfunction(obj):
        params = [p for p in inspect.signature(obj).parameters if p not in ("self", "cls")]
        if params:
            need.append("Parameters")
        need.append("Returns")
    return [s for s in need if f"\n{s}\n" + "-" * len(s) not in doc]


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_has_a_numpydoc_docstring(name):
    module = importlib.import_module(name)
    missing = {n: m for n, obj in _public(module) if (m := _missing_sections(obj))}
    assert not missing, f"{name}: docstrings without these numpydoc sections: {missing}"
