"""Grad mode: whether new operations are recorded in the graph.

``no_grad()``, ``enable_grad()`` and ``set_grad_enabled(mode)`` work as context managers and as
decorators, exactly as in torch.
"""
from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True  # per thread, as in torch: a loader thread cannot switch off the main thread's graph


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


def _set(mode: bool) -> None:
    _state.enabled = bool(mode)


class _GradMode:
    """Context manager and decorator that sets grad mode to ``self.mode`` and restores it after."""

    mode: bool

    def __enter__(self):
        self._previous = _state.enabled
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self._previous
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            previous = is_grad_enabled()
            _set(self.mode)
            try:
                return func(*args, **kwargs)
            finally:
                _set(previous)
        return wrapper


class no_grad(_GradMode):
    """Operations inside record nothing, as ``torch.no_grad``."""

    mode = False


class enable_grad(_GradMode):
    """Operations inside are recorded, even within ``no_grad``, as ``torch.enable_grad``."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn recording on or off; takes effect at once (like torch) and undoes itself on exit."""

    def __init__(self, mode: bool):
        self._previous = is_grad_enabled()
        self.mode = bool(mode)
        _set(self.mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(self._previous)
        return False

    def __call__(self, func):
        # As a decorator, ``set_grad_enabled(False)`` was evaluated at definition time and already
        # switched the mode: switch it back; the wrapper sets it on every call instead (torch's rule).
        _set(self._previous)
        return super().__call__(func)
