"""The estimator contract shared by every model of the kit (scikit-learn's): settings in
``__init__``, learned state in names ending in ``_`` set by ``fit``, and ``get_params`` /
``set_params`` / :func:`clone` so a model can be rebuilt with the same settings (bootstrap,
cross-fitting, sweeps)."""
from __future__ import annotations

import copy
import inspect
from typing import Any, Self

__all__ = ["ParamsMixin", "clone"]


class ParamsMixin:
    """``get_params``/``set_params`` read from ``__init__``'s keyword arguments, as in scikit-learn.

    >>> class M(ParamsMixin):
    ...     def __init__(self, *, penalizer=0.0, max_iter=500):
    ...         self.penalizer = penalizer
    ...         self.max_iter = max_iter
    >>> m = M(penalizer=0.1)
    >>> m.get_params()
    {'penalizer': 0.1, 'max_iter': 500}
    >>> clone(m.set_params(max_iter=50)).get_params()
    {'penalizer': 0.1, 'max_iter': 50}
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind not in (p.VAR_POSITIONAL,
                                                                                              p.VAR_KEYWORD)]

    def get_params(self) -> dict:
        """The model's settings (not what it learned), as passed to ``__init__``."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Change settings; an unknown name raises ValueError listing the valid ones. Returns ``self``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"{type(self).__name__} has no setting `{name}`; its settings are {valid}.")
            setattr(self, name, value)
        return self


def clone(model):
    """A new, unfitted model with the same settings (settings that are models are cloned too)."""
    if type(model).__module__.startswith("sklearn"):
        from sklearn.base import clone as sk_clone

        return sk_clone(model)
    if not hasattr(model, "get_params"):
        raise TypeError(f"cannot clone {model!r}: it has no get_params().")
    params = {k: clone(v) if hasattr(v, "get_params") and not isinstance(v, type) else copy.deepcopy(v)
              for k, v in model.get_params().items()}
    return type(model)(**params)
