"""Old names keep working for one release, with a DeprecationWarning that names the new one."""
from __future__ import annotations

import functools
import inspect
import warnings

__all__ = ["renamed", "keyword_only_since"]


def renamed(**old_to_new: str):
    """Accept each old keyword ``old`` as ``new`` for one release, warning once per call.

    >>> @renamed(n="n_resamples")
    ... def f(*, n_resamples=10):
    ...     return n_resamples
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     f(n=3), str(w[0].message)
    (3, 'f: `n` is deprecated; use `n_resamples` (the old name stops working in the next release).')
    """
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{func.__name__}: pass `{new}` only (`{old}` is its deprecated name).")
                    warnings.warn(f"{func.__name__}: `{old}` is deprecated; use `{new}` (the old name stops working "
                                  f"in the next release).", DeprecationWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)
        return wrapper
    return decorate


def keyword_only_since(*names: str, n_positional: int | None = None):
    """Let options that became keyword-only still be passed by position, with a DeprecationWarning.

    ``names`` are the options in their old positional order, right after the first
    ``n_positional`` arguments (default: the function's positional parameters).

    >>> @keyword_only_since("q")
    ... def scores(data, *, q=5):
    ...     return q
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     scores([1], 4), str(w[0].message)
    (4, 'scores: pass `q` by name (q=...); passing it by position is deprecated and stops working in the next release.')
    """
    def decorate(func):
        sig = inspect.signature(func)
        n_pos = n_positional if n_positional is not None else sum(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in sig.parameters.values())

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if len(args) > n_pos:
                extra = args[n_pos:]
                if len(extra) > len(names):
                    raise TypeError(f"{func.__name__}() takes {n_pos} positional argument(s) but {len(args)} were given.")
                moved = names[:len(extra)]
                for name, value in zip(moved, extra):
                    if name in kwargs:
                        raise TypeError(f"{func.__name__}() got multiple values for argument '{name}'.")
                    kwargs[name] = value
                warnings.warn(f"{func.__name__}: pass {', '.join(f'`{m}`' for m in moved)} by name "
                              f"({', '.join(f'{m}=...' for m in moved)}); passing "
                              f"{'it' if len(moved) == 1 else 'them'} by position is deprecated and stops working in "
                              f"the next release.", DeprecationWarning, stacklevel=2)
                args = args[:n_pos]
            return func(*args, **kwargs)
        return wrapper
    return decorate
