"""Memory formats, as torch's: how a 4-d (N, C, H, W) or 5-d (N, C, D, H, W) tensor lies in memory.

A tensor's shape never changes with its memory format; only its strides do. ``channels_last`` holds
an (N, C, H, W) tensor as NHWC memory (``stride() == (H*W*C, 1, W*C, C)``): in NumPy, the transpose
(0, 3, 1, 2) of a C-contiguous (N, H, W, C) array. Convolutions read such inputs with no layout copy
(``minigrad/kernels/conv.py``), and element-wise ops keep the layout (NumPy's ``order='K'``), so
activations travel between layers without copies.

The rules follow c10 (``c10/core/MemoryFormat.h``, ``TensorImpl``): strides of size-1 dims are
ignored by ``is_contiguous(memory_format=...)``; ``suggest_memory_format`` (which a convolution uses to
choose its output's layout) reads the strides with torch's tie-breaks for size-1 dims.

    >>> import minigrad
    >>> x = minigrad.zeros(2, 3, 4, 5).contiguous(memory_format=minigrad.channels_last)
    >>> x.stride(), x.is_contiguous(), x.is_contiguous(memory_format=minigrad.channels_last)
    ((60, 1, 15, 3), False, True)
"""
from __future__ import annotations

from ..backend import xp


class memory_format:
    """One of ``minigrad.contiguous_format``, ``channels_last``, ``channels_last_3d``, ``preserve_format``."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"minigrad.{self.name}"

    def __reduce__(self):  # pickled by name, so a loaded one is the same object
        return self.name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")

_CHANNELS_LAST_ORDER = {4: (1, 3, 2, 0), 5: (1, 4, 3, 2, 0)}  # dims from fastest to slowest, as c10 walks them


def check(function: str, fmt) -> None:
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{function}(): argument 'memory_format' must be torch.memory_format, "
                        f"not {type(fmt).__name__}")


def _rank(fmt) -> int:
    return 4 if fmt is channels_last else 5


def _element_strides(array) -> tuple:
    return tuple(s // array.itemsize for s in array.strides)


def is_contiguous(array, fmt) -> bool:
    """torch's ``is_contiguous(memory_format=fmt)`` of an array's sizes and strides
    (c10's ``compute_channels_last_contiguous_2d/3d``: dims of size 1 are skipped)."""
    if fmt is contiguous_format or fmt is preserve_format:
        return bool(array.flags.c_contiguous)
    if array.ndim != _rank(fmt):
        return False
    expected = 1
    strides = _element_strides(array)
    for d in _CHANNELS_LAST_ORDER[array.ndim]:
        if array.shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= array.shape[d]
    return True


def _is_channels_last_strides(shape: tuple, strides: tuple) -> bool:
    """c10's ``is_channels_last_strides_2d_s4`` / ``_3d_s5``: whether strides look channels-last,
    with NCHW the default for ambiguous size-1 layouts."""
    smallest = 0
    if strides[1] == 0:  # a broadcast channel dim: NCHW
        return False
    for d in _CHANNELS_LAST_ORDER[len(shape)]:
        if shape[d] == 0 or strides[d] < smallest:
            return False
        if d == 0 and smallest == strides[1]:  # N111 with equal strides: ambiguous, NCHW
            return False
        smallest = strides[d] * (shape[d] if shape[d] > 1 else 1)
    return True


def suggest(array):
    """torch's ``suggest_memory_format``: ``channels_last`` (4-d) or ``channels_last_3d`` (5-d) when
    the strides look so, else ``contiguous_format``."""
    if array.ndim in (4, 5) and _is_channels_last_strides(array.shape, _element_strides(array)):
        return channels_last if array.ndim == 4 else channels_last_3d
    return contiguous_format


def _permutation(fmt) -> tuple:
    """The order of (N, C, *S) dims in ``fmt``'s memory, slowest first: (0, 2, 3, 1) for channels_last."""
    return (0,) + tuple(range(2, _rank(fmt))) + (1,)


def copy_as(array, fmt):
    """A fresh copy of ``array`` laid out in ``fmt``. ``preserve_format`` keeps the order of the
    strides (NumPy's ``order='K'``; the same strides for a dense array), as torch's ``clone`` /
    ``empty_like`` (``infer_dense_strides``) do up to the strides of size-1 dims, which address nothing."""
    module = xp(array)
    if fmt is preserve_format:
        return module.array(array, copy=True, order="K")
    if fmt is contiguous_format:
        return module.array(array, copy=True, order="C")
    order = _permutation(fmt)
    out = module.empty(tuple(array.shape[d] for d in order), dtype=array.dtype)  # (N, *S, C)
    out[...] = array.transpose(order)
    return out.transpose(tuple(order.index(d) for d in range(array.ndim)))      # (N, C, *S) view


def require_rank(array, fmt) -> None:
    if fmt in (channels_last, channels_last_3d) and array.ndim != _rank(fmt):
        raise RuntimeError(f"required rank {_rank(fmt)} tensor to use {fmt.name} format")


def as_format(array, fmt):
    """``array`` itself when already contiguous in ``fmt``, else a copy laid out in ``fmt``."""
    return array if is_contiguous(array, fmt) else copy_as(array, fmt)


def empty(shape: tuple, dtype, module, fmt):
    """An uninitialised (N, C, *S) array laid out in ``fmt`` (contiguous or channels-last)."""
    if fmt is contiguous_format or fmt is preserve_format:
        return module.empty(shape, dtype=dtype)
    order = _permutation(fmt)
    return module.empty(tuple(shape[d] for d in order), dtype=dtype).transpose(
        tuple(order.index(d) for d in range(len(shape))))
