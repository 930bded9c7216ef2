"""Padding layers with torch.nn's names: Zero-, Constant-, Reflection-, Replication- and CircularPad{1,2,3}d.

Each holds its padding as a tuple (an int is repeated: 2 numbers for 1d, 4 for 2d, 6 for 3d, ordered
last dim first, (left, right, top, bottom, front, back), as ``F.pad``) and calls ``F.pad``.
"""
from __future__ import annotations

from collections.abc import Iterable

from .. import functional as F
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


def _ntuple(padding, n: int) -> tuple:
    """torch's ``_ntuple``: an iterable as a tuple, a single value repeated n times."""
    return tuple(padding) if isinstance(padding, Iterable) else (padding,) * n


class _PadNd(Module):
    _mode = "constant"
    _spatial_dims = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(padding, 2 * self._spatial_dims)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``: (left, right)."""


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``: (left, right, top, bottom)."""

    _spatial_dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``: (left, right, top, bottom, front, back)."""

    _spatial_dims = 3


class _ZeroPad:
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    """Pad the last dim with zeros."""


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    """Pad the last two dims with zeros."""


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    """Pad the last three dims with zeros."""


class ReflectionPad1d(_PadNd):
    """Mirror the last dim about its edge entries (the edge is not repeated)."""

    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    _spatial_dims = 2


class ReflectionPad3d(ReflectionPad1d):
    _spatial_dims = 3


class ReplicationPad1d(_PadNd):
    """Repeat the edge entries of the last dim."""

    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    _spatial_dims = 2


class ReplicationPad3d(ReplicationPad1d):
    _spatial_dims = 3


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        low = self._spatial_dims + 1
        if input.dim() not in (low, low + 1):
            raise ValueError(f"expected {low}D or {low + 1}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Wrap the last dim around (periodic padding)."""


class CircularPad2d(_CircularPadNd):
    _spatial_dims = 2


class CircularPad3d(_CircularPadNd):
    _spatial_dims = 3
