"""Every public signature of the kit carries type hints.

Walks the public modules (not the private ``_*.py`` ones, not ``cli``, and of ``synth`` only
``synth.config`` and ``synth.world``) and, for each function and class in a module's
``__all__`` that the module defines, checks that every parameter (``self``/``cls`` aside;
``*args``/``**kwargs`` included) and the return are annotated. For a class, its public
methods and ``__init__`` are checked, inherited ones included when they come from the kit
(``fit``/``predict``/``summary`` of the models live in private base classes); the
dataclass-generated ``__init__`` is left out.

Resolving: the modules import the names their annotations use under ``TYPE_CHECKING`` only
(``from __future__ import annotations`` keeps annotations strings, so ``import fidelia_kit``
stays free of pandas and numpy). ``typing.get_type_hints`` is therefore called with a local
namespace that supplies those names: the aliases of :mod:`fidelia_kit._typing` (its
``namespace()``), the public names of every kit module walked, and the few third-party names
the annotations use (``Sequence``, ``BaseEstimator``, ``duckdb``, ``distributed``, ...). Each
annotation must then evaluate to a real object, not merely be a non-empty string.
"""
from __future__ import annotations

import collections.abc
import importlib
import inspect
import pkgutil
import typing

import pytest

import fidelia_kit

SYNTH_PUBLIC = {"fidelia_kit.synth.config", "fidelia_kit.synth.world"}


def _public_modules() -> list[str]:
    names = ["fidelia_kit"]
    for info in pkgutil.walk_packages(fidelia_kit.__path__, "fidelia_kit."):
        leaf = info.name.rsplit(".", 1)[1]
        if leaf.startswith("_") or info.name == "fidelia_kit.cli":
            continue
        if info.name.startswith("fidelia_kit.synth.") and info.name not in SYNTH_PUBLIC:
            continue
        names.append(info.name)
    return names


def _is_dataclass_init(cls: type, func: object) -> bool:
    return "__dataclass_fields__" in vars(cls) and getattr(func, "__qualname__", "").endswith("__create_fn__.<locals>.__init__")


def _callables() -> list[tuple[str, object]]:
    """(qualified name, function) for every public function and public method."""
    out = []
    for modname in _public_modules():
        module = importlib.import_module(modname)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if getattr(obj, "__module__", None) != modname:
                continue
            if inspect.isfunction(obj):
                out.append((f"{modname}.{attr}", obj))
            elif inspect.isclass(obj):
                for name in dir(obj):
                    if name.startswith("_") and name != "__init__":
                        continue
                    raw = inspect.getattr_static(obj, name)
                    if isinstance(raw, (staticmethod, classmethod)):
                        raw = raw.__func__
                    elif isinstance(raw, property):
                        raw = raw.fget
                    if not inspect.isfunction(raw) or not raw.__module__.startswith("fidelia_kit"):
                        continue
                    if name == "__init__" and _is_dataclass_init(obj, raw):
                        continue
                    out.append((f"{modname}.{attr}.{name}", raw))
    return out


CALLABLES = _callables()


def _namespace() -> dict[str, object]:
    import distributed
    import duckdb
    import matplotlib
    from sklearn.base import BaseEstimator

    from fidelia_kit import _typing
    from fidelia_kit.clv._base import BaseModel, BTYDModel

    ns: dict[str, object] = {}
    for modname in _public_modules():
        module = importlib.import_module(modname)
        ns.update({n: getattr(module, n) for n in getattr(module, "__all__", [])})
    ns.update({n: getattr(collections.abc, n) for n in collections.abc.__all__})
    ns.update({"Any": typing.Any, "Literal": typing.Literal, "Self": typing.Self,
               "BaseEstimator": BaseEstimator, "duckdb": duckdb, "distributed": distributed,
               "matplotlib": matplotlib, "BaseModel": BaseModel, "BTYDModel": BTYDModel})
    ns.update(_typing.namespace())
    return ns


def test_the_walk_finds_the_api():
    names = {name for name, _ in CALLABLES}
    assert len(CALLABLES) > 200
    assert {"fidelia_kit.plots.arms_plot", "fidelia_kit.io.load_world", "fidelia_kit.synth.world.generate_world",
            "fidelia_kit.clv.bgnbd.BetaGeoModel.fit", "fidelia_kit.clv.bgnbd.BetaGeoModel.summary",
            "fidelia_kit.retention.uplift.UpliftModel.predict"} <= names


@pytest.mark.parametrize("name, func", CALLABLES, ids=[n for n, _ in CALLABLES])
def test_signature_is_annotated(name, func):
    sig = inspect.signature(func)
    missing = [p.name for p in sig.parameters.values()
               if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    assert not missing, f"{name}: parameters without a type hint: {missing}"
    assert sig.return_annotation is not inspect.Signature.empty, f"{name}: no return type hint"
    for p in sig.parameters.values():
        if p.annotation is not inspect.Parameter.empty:
            assert str(p.annotation).strip(), f"{name}: empty annotation on {p.name}"


def test_type_hints_resolve():
    ns = _namespace()
    failures = []
    for name, func in CALLABLES:
        try:
            hints = typing.get_type_hints(inspect.unwrap(func), localns=ns)
        except Exception as exc:  # noqa: BLE001 - collect them all
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if "return" not in hints:
            failures.append(f"{name}: no return hint")
    assert not failures, "\n".join(failures)
