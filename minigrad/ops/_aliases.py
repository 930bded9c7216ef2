"""NumPy's argument names, which torch's argument parser also takes: ``axis`` for ``dim`` and
``keepdims`` for ``keepdim`` (``x.argmax(axis=1)``, ``minigrad.sum(x, axis=0, keepdims=True)``).

torch takes them in every function its C++ parser binds (``sum``, ``mean``, ``cat``, ``softmax``,
``squeeze`` ...), not in the ones written in Python (``torch.norm``, ``split``, ``F.softmax``), so
only the functions decorated with ``numpy_names`` take them. Giving both names is torch's error:
``sum() got an unexpected keyword argument 'axis'``.
"""
from __future__ import annotations

import functools
import inspect

_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))


def numpy_names(function):
    """``function`` also taking ``axis=`` for its ``dim`` and ``keepdims=`` for its ``keepdim``."""
    parameters = list(inspect.signature(function).parameters.values())
    positional = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    # (alias, name, how many positional arguments reach the name): only names the function has
    aliases = tuple((alias, name, positional.index(name) + 1 if name in positional else None)
                    for alias, name in _ALIASES if name in (p.name for p in parameters))
    op = function.__name__

    @functools.wraps(function)
    def with_numpy_names(*args, **kwargs):
        if kwargs:
            for alias, name, reach in aliases:
                if alias in kwargs:
                    if name in kwargs or reach is not None and len(args) >= reach:
                        raise TypeError(f"{op}() got an unexpected keyword argument '{alias}'")
                    kwargs[name] = kwargs.pop(alias)
        return function(*args, **kwargs)
    return with_numpy_names

