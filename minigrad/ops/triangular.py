"""Matrix-structure and arrangement ops: tril, triu, diag, diagonal, trace, roll, tile,
repeat_interleave, hstack / vstack / dstack, atleast_1d/2d/3d, meshgrid (issue 12).

| primitive | its backward is       |
| --------- | --------------------- |
| Roll      | Roll by -shifts       |

The rest are compositions: tril / triu are ``where`` with a constant mask, diagonal and diag are
``GetItem`` / ``IndexAdd`` with (row, column) index arrays, tile is ``repeat``, repeat_interleave is
``IndexSelect`` with repeated indices, the stacks are ``cat``, meshgrid is ``expand``.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import backend
from ..autograd.function import Primitive
from ..autograd.tensor import Tensor, _wrap_dim
from ..backend import xp
from .elementwise import where
from .reduction import sum as _sum
from .shape import GetItem, IndexAdd, IndexSelect, cat, expand, movedim, repeat, reshape, unsqueeze


def _triangle_mask(x: Tensor, diagonal: int, lower: bool):
    module = xp(x._data)
    rows, cols = x.shape[-2], x.shape[-1]
    return (module.tril if lower else module.triu)(module.ones((rows, cols), dtype=bool), diagonal)


def _check_matrix(x: Tensor, op: str):
    if x.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (entries with column - row <= ``diagonal``) of the last two dims; zeros above."""
    _check_matrix(input, "tril")
    return where(_triangle_mask(input, diagonal, True), input, 0)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (entries with column - row >= ``diagonal``) of the last two dims; zeros below."""
    _check_matrix(input, "triu")
    return where(_triangle_mask(input, diagonal, False), input, 0)


def _diagonal_positions(module, rows: int, cols: int, offset: int):
    """Row and column indices of the ``offset`` diagonal of a (rows, cols) matrix."""
    start_row, start_col = builtins.max(-offset, 0), builtins.max(offset, 0)
    length = builtins.max(builtins.min(rows - start_row, cols - start_col), 0)
    steps = module.arange(length, dtype=np.int64)
    return steps + start_row, steps + start_col


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset`` diagonal of the planes (dim1, dim2), as a new last dim (torch's order)."""
    d1, d2 = _wrap_dim(dim1, input.ndim), _wrap_dim(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    moved = movedim(input, (d1, d2), (-2, -1))                     # (..., rows, cols)
    rows, cols = moved.shape[-2], moved.shape[-1]
    r, c = _diagonal_positions(xp(input._data), rows, cols, offset)
    return GetItem.apply(moved, (Ellipsis, r, c))                   # (..., length)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-d input: a square matrix with ``input`` on its ``diagonal``; 2-d input: that diagonal."""
    if input.ndim == 2:
        return globals()["diagonal"](input, diagonal)
    if input.ndim != 1:
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{input.ndim}D")
    n = input.shape[0] + builtins.abs(diagonal)
    r, c = _diagonal_positions(xp(input._data), n, n, diagonal)
    return IndexAdd.apply(input, (n, n), (r, c))


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Each last-dim vector of ``input`` put on the ``offset`` diagonal of the planes (dim1, dim2)."""
    ndim = input.ndim + 1
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1] + builtins.abs(offset)
    r, c = _diagonal_positions(xp(input._data), n, n, offset)
    out = IndexAdd.apply(input, tuple(input.shape[:-1]) + (n, n), (Ellipsis, r, c))
    return movedim(out, (-2, -1), (d1, d2))


def trace(input: Tensor) -> Tensor:
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    out = _sum(diagonal(input))
    return out


class Roll(Primitive):
    _quiet = False

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return xp(x).roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, grad):
        return Roll.apply(grad, tuple(-s for s in ctx.shifts), ctx.dims)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Entries shifted by ``shifts`` along ``dims``, wrapping around; ``dims=None``: the flattened tensor."""
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"`shifts` required to be of size 1 when `dims` is None, but got {len(shifts)}")
        return reshape(Roll.apply(reshape(input, (-1,)), shifts, (0,)), tuple(input.shape))
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    dims = tuple(_wrap_dim(d, input.ndim) for d in dims)
    return Roll.apply(input, shifts, dims)


def tile(input: Tensor, dims) -> Tensor:
    """``repeat`` with ``dims`` padded by leading ones to ``input``'s number of dims."""
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    for d in dims:
        if d < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {d}: {list(dims)}")
    dims = (1,) * builtins.max(input.ndim - len(dims), 0) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Each entry (``dim=None``: of the flattened input) repeated ``repeats`` times in place;
    ``repeat_interleave(repeats)`` with a 1-d tensor alone gives the indices repeated."""
    if repeats is None:  # repeat_interleave(repeats_tensor)
        counts = input
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        host = backend.to_numpy(counts._data).reshape(-1)  # (CuPy's repeat takes no array of counts)
        return Tensor._make(backend.to_device(np.repeat(np.arange(host.shape[0], dtype=np.int64), host),
                                              backend.device_of(counts._data)))
    module = xp(input._data)
    if dim is None:
        input = reshape(input, (-1,))
        dim = 0
    dim = _wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        input = reshape(input, (1,))
    size = input.shape[dim]
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if repeats._data.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave only support int32 and int64 repeats")
        counts = repeats._data.reshape(-1)
        if counts.shape[0] == 1:
            counts = module.full(size, int(counts[0]), dtype=np.int64)
        elif counts.shape[0] != size:
            raise RuntimeError("repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{counts.shape[0]} and input.size({dim}) = {size}")
        if counts.size and bool((counts < 0).any()):
            raise RuntimeError("repeats can not be negative")
    else:
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        counts = module.full(size, repeats, dtype=np.int64)
    index = backend.to_device(np.repeat(np.arange(size, dtype=np.int64), backend.to_numpy(counts)),
                              backend.device_of(input._data))  # (size * repeats,) source positions
    if output_size is not None and index.shape[0] != output_size:
        raise RuntimeError("allocated size does not match required size")
    return IndexSelect.apply(input, dim, index)


def atleast_1d(*tensors):
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    return _atleast(tensors, 3)


def _atleast(tensors, n: int):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    out = []
    for t in tensors:
        if t.ndim < n:
            if n == 3 and t.ndim == 2:
                t = unsqueeze(t, -1)
            elif n == 3 and t.ndim == 1:
                t = reshape(t, (1, t.shape[0], 1))
            else:
                t = reshape(t, (1,) * (n - t.ndim) + tuple(t.shape))
        out.append(t)
    return out[0] if single else tuple(out)


def _stack_helper(tensors, n: int, dim: int, name: str):
    tensors = list(tensors) if not isinstance(tensors, Tensor) else None
    if tensors is None:
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    tensors = list(_atleast(tuple(tensors), n)) if len(tensors) > 1 else [_atleast((tensors[0],), n)]
    if name == "hstack" and tensors[0].ndim == 1:
        dim = 0
    return cat(tensors, dim)


def hstack(tensors) -> Tensor:
    return _stack_helper(tensors, 1, 1, "hstack")


def vstack(tensors) -> Tensor:
    return _stack_helper(tensors, 2, 0, "vstack")


row_stack = vstack


def dstack(tensors) -> Tensor:
    return _stack_helper(tensors, 3, 2, "dstack")


def column_stack(tensors) -> Tensor:
    tensors = [reshape(t, (-1, 1)) if t.ndim <= 1 else t for t in tensors]
    return cat(tensors, 1)


def meshgrid(*tensors, indexing: str | None = None):
    """Coordinate grids: with ``indexing='ij'`` output k varies along dim k; ``'xy'`` swaps the first two."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D")
    for t in tensors[1:]:
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("torch.meshgrid: Expected all tensors in the tensor list to have the same dtype.")
    flat = [reshape(t, (-1,)) for t in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    if swap:
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(t.shape[0] for t in flat)
    grids = []
    for k, t in enumerate(flat):
        view = reshape(t, tuple(-1 if j == k else 1 for j in range(len(flat))))
        grids.append(expand(view, shape))
    if swap:  # the grids of the first two inputs, in input order; their shape stays (len 1, len 0, ...)
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)
