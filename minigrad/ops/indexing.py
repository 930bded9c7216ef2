"""Indexed reads and writes along a dim: scatter, index_add, index_copy, index_fill, index_put,
masked_select, take_along_dim, nonzero (issue 12). All out of place; the in-place ``x.scatter_(...)``
methods write the result back through ``ops.inplace.method``.

| primitive | forward                                   | its backward is                          |
| --------- | ----------------------------------------- | ---------------------------------------- |
| Scatter   | x with src put at index along dim         | x: Scatter of zeros; src: Gather (padded) |

The rest are compositions of existing primitives (``Gather``, ``ScatterAdd``, ``IndexAddAlong``,
``IndexSelect``, ``GetItem``, ``IndexPut``, ``where``), so their gradients come with them.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import backend, dtypes
from ..autograd.function import Primitive
from ..autograd.tensor import Tensor, _wrap_dim
from ..backend import xp
from .elementwise import _check_same_device, where
from .reduction import Gather, ScatterAdd, gather
from .shape import GetItem, IndexAdd, IndexAddAlong, IndexSelect, broadcast_to, expand, reshape


def _corner(shape) -> tuple:
    return tuple(slice(0, n) for n in shape)


def _positions(module, index, dim: int) -> tuple:
    """The full index tuple of a scatter: ``index`` along ``dim``, the entry's own position elsewhere."""
    grids = [module.arange(n).reshape([-1 if a == d else 1 for a in range(index.ndim)])
             for d, n in enumerate(index.shape)]
    grids[dim] = index
    return tuple(module.broadcast_arrays(*grids))


class Scatter(Primitive):
    """``out = x`` with ``out[i][index[i][j]] = src[i][j]`` along ``dim`` (for dim 1); ``index`` may
    be smaller than ``x`` and ``src`` on every dim (torch reads the corner of ``src`` it covers)."""

    _quiet = False

    @staticmethod
    def forward(ctx, x, src, dim, index):
        ctx.dim, ctx.index, ctx.src_shape = dim, index, src.shape
        out = x.copy()
        if index.size:  # out[grid with index along dim] = src's corner (advanced indexing: NumPy and CuPy)
            out[_positions(xp(x), index, dim)] = src[_corner(index.shape)].astype(x.dtype, copy=False)
        return out

    @staticmethod
    def backward(ctx, grad):
        g_x = g_src = None
        if ctx.needs_input_grad[0]:
            g_x = Scatter.apply(grad, xp(grad._data).zeros(ctx.index.shape, dtype=grad._data.dtype), ctx.dim, ctx.index)
        if ctx.needs_input_grad[1]:
            g_src = Gather.apply(grad, ctx.dim, ctx.index)                    # (index shape)
            if tuple(g_src.shape) != tuple(ctx.src_shape):
                g_src = IndexAdd.apply(g_src, tuple(ctx.src_shape), _corner(ctx.index.shape))  # zeros elsewhere
        return g_x, g_src


def _check_index(x: Tensor, dim: int, index: Tensor, op: str, src: Tensor | None = None):
    if not isinstance(index, Tensor) or index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype != x.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
    if index.ndim != x.ndim and index.numel() and not (index.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if src is not None and index.numel() and index.ndim != src.ndim and not (index.ndim <= 1 and src.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for d in range(index.ndim):
        if src is not None and src.ndim == index.ndim and index.shape[d] > src.shape[d]:
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self {list(x.shape)} apart "
                               f"from dimension {dim} and to be no larger than src {list(src.shape)}")
        if d != dim and x.ndim == index.ndim and index.shape[d] > x.shape[d]:
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self {list(x.shape)} apart "
                               f"from dimension {dim}" + (f" and to be no larger than src {list(src.shape)}"
                                                           if src is not None else ""))
    size = x.shape[dim] if x.ndim else 1
    if index.numel() and (bool((index._data < -size).any()) or bool((index._data >= size).any())):
        raise RuntimeError(f"index {int(index._data.max())} is out of bounds for dimension {dim} with size {size}")


def _as_nd(t: Tensor, ndim: int) -> Tensor:
    return reshape(t, (1,) * ndim) if t.ndim == 0 and ndim else t


def scatter(input: Tensor, dim: int, index: Tensor, src=None, value=None, *, reduce=None) -> Tensor:
    """``input`` with ``src`` (a tensor) or ``value`` (a number) written at ``index`` along ``dim``;
    ``reduce='add'`` / ``'multiply'`` combines with what is there instead (torch's deprecated form)."""
    if src is None and value is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    dim = _wrap_dim(dim, input.ndim)
    _check_index(input, dim, index, "scatter", src)
    if src is not None:
        _check_same_device(input, src, index)
    idx = index._data.astype(np.int64, copy=False)
    size = input.shape[dim] if input.ndim else 1
    idx = xp(idx).where(idx < 0, idx + size, idx)
    if src is None:
        src = Tensor._make(xp(input._data).full(index.shape, value, dtype=input._data.dtype))
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if reduce == "add":
            return input + ScatterAdd.apply(_as_nd(src, max(input.ndim, 1))[_corner(index.shape)], dim, idx, tuple(input.shape))
        # 'multiply': the gradient reaches input only (src gets none here)
        return input * Tensor._make(_multiply_at(input._data, _as_nd(src, max(input.ndim, 1))._data, dim, idx))
    if input.ndim == 0:
        return reshape(Scatter.apply(reshape(input, (1,)), _as_nd(src, 1), 0, idx.reshape(-1)), ())
    return Scatter.apply(input, _as_nd(src, input.ndim), dim, idx)


def _multiply_at(x, src, dim, index):
    """The product of the src values landing on each entry (ones where none land)."""
    # on the host: NumPy's multiply.at accumulates repeated indices (CuPy has no multiply.at)
    x_host, src_host, index_host = (backend.to_numpy(a) for a in (x, src, index))
    factor = np.ones(x_host.shape, dtype=x_host.dtype)
    np.multiply.at(factor, _positions(np, index_host, dim), src_host[_corner(index_host.shape)])
    return backend.to_device(factor, backend.device_of(x))


def _check_index_along(x: Tensor, dim: int, index: Tensor, op: str, source: Tensor | None = None):
    """torch's checks (and messages, which differ per op) for index_add / index_copy / index_fill."""
    name = dtypes.torch_scalar_name
    kind = index._data.dtype if isinstance(index, Tensor) else None
    if op == "index_add" and kind not in (np.int64, np.int32):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {name(kind) if kind else ''}")
    if op == "index_copy" and kind != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {name(kind) if kind else ''}")
    if op == "index_fill" and kind != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if index.ndim > 1:
        if op == "index_fill":
            raise RuntimeError("Index has to be a vector/scalar")
        raise IndexError(f"{op}_(): Index is supposed to be a vector, but got dim: {index.ndim} with type: "
                         f"{name(kind)} and size: {list(index.shape)}")
    if source is not None:
        if source.dtype != x.dtype:
            if op == "index_copy":
                raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                                   f"{name(x._data.dtype)} and (source) {name(source._data.dtype)}")
            raise RuntimeError(f"index_add_(): self ({name(x._data.dtype)}) and source ({name(source._data.dtype)}) "
                               "must have the same scalar type")
        count = source.shape[dim] if source.ndim else 1
        if source.ndim and source.ndim == x.ndim and any(
                source.shape[d] != x.shape[d] for d in range(x.ndim) if d != dim):
            if op == "index_copy":
                d = next(d for d in range(x.ndim) if d != dim and source.shape[d] != x.shape[d])
                at = d if d < dim else d - 1  # the dim's place in the slice shape (dim removed)
                raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. "
                                   f"Destination slice shape: {x.shape[d]} at dimension {at} and source slice shape: "
                                   f"{source.shape[d]} at dimension {at}.")
            raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                               f"Got self.shape = {list(x.shape)} source.shape = {list(source.shape)}")
        if source.ndim != x.ndim and source.numel() != index.numel() * (x.numel() // builtins.max(x.shape[dim] if x.ndim else 1, 1)):
            raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                               f"Got self.shape = {list(x.shape)} source.shape = {list(source.shape)}")
        if count != index.numel():
            message = (f"{op}_(): Number of indices ({index.numel()}) should be equal to source.size(dim)"
                       + (f" ({count})" if op == "index_copy" else f": ({count}), for dim: {dim}"))
            raise (IndexError if op == "index_copy" else RuntimeError)(message)
    size = x.shape[dim] if x.ndim else 1
    if not index.numel():
        return
    data = index._data.reshape(-1)
    low = -size if op == "index_fill" else 0  # torch: index_fill wraps negatives, add / copy reject them
    bad = (data < low) | (data >= size)
    if bool(bad.any()):
        first = int(data[xp(data).argmax(bad)])
        if op == "index_add":
            raise IndexError("index out of range in self")
        prefix = "index_copy_(): " if op == "index_copy" else ""
        raise IndexError(f"{prefix}index {first} is out of bounds for dimension {dim} with size {size}")


def _flat_index(index: Tensor, size: int):
    return (index._data.reshape(-1).astype(np.int64) % max(size, 1))


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """``input`` with ``alpha * source``'s slices added at positions ``index`` along ``dim``."""
    dim = _wrap_dim(dim, input.ndim)
    _check_index_along(input, dim, index, "index_add", source)
    if input.ndim == 0:
        return input + reshape(source, ()) * alpha
    source = source * alpha if alpha != 1 else source
    return input + IndexAddAlong.apply(_as_nd(source, input.ndim), dim, _flat_index(index, input.shape[dim]), input.shape[dim])


def _positions_mask(x: Tensor, dim: int, index: Tensor):
    """A boolean array broadcastable to ``x``: True at the positions ``index`` along ``dim``."""
    module = xp(x._data)
    size = x.shape[dim] if x.ndim else 1
    mask = module.zeros(size, dtype=bool)
    mask[_flat_index(index, size)] = True
    return mask.reshape([-1 if d == dim else 1 for d in range(x.ndim)])


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``input`` with the slices at ``index`` along ``dim`` replaced by ``source``'s."""
    dim = _wrap_dim(dim, input.ndim)
    _check_index_along(input, dim, index, "index_copy", source)
    if input.ndim == 0:
        return where(xp(input._data).ones((), dtype=bool), reshape(source, ()), input)
    placed = IndexAddAlong.apply(_as_nd(source, input.ndim), dim, _flat_index(index, input.shape[dim]), input.shape[dim])
    return where(_positions_mask(input, dim, index), placed, input)


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    dim = _wrap_dim(dim, input.ndim)
    _check_index_along(input, dim, index, "index_fill")
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        value = value.to(input.dtype)
    out = where(_positions_mask(input, dim, index), value, input)
    return out if out.dtype == input.dtype else out.to(input.dtype)


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """``input`` with ``input[indices] = values`` (``accumulate``: ``+=``, repeated indices summed)."""
    from .inplace import IndexPut
    index = tuple(i._data if isinstance(i, Tensor) else i for i in indices)
    for i in indices:
        if isinstance(i, Tensor) and i._data.dtype not in (np.int64, np.int32, np.bool_, np.uint8):
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if values.dtype != input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{dtypes.torch_scalar_name(input._data.dtype).capitalize()} for the destination and "
                           f"{dtypes.torch_scalar_name(values._data.dtype).capitalize()} for the source.")
    if accumulate:
        selected_shape = input._data[index].shape
        return input + IndexAdd.apply(broadcast_to(values, selected_shape), tuple(input.shape), index)
    return IndexPut.apply(input, values, index)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The entries of ``input`` where ``mask`` holds (both broadcast), as a 1-d tensor."""
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    _check_same_device(input, mask)
    shape = tuple(np.broadcast_shapes(tuple(input.shape), tuple(mask.shape)))
    values = expand(input, shape) if tuple(input.shape) != shape else input
    flat_mask = xp(mask._data).broadcast_to(mask._data, shape).reshape(-1)
    return GetItem.apply(reshape(values, (-1,)), (xp(mask._data).flatnonzero(flat_mask),))


def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:
    """torch.take_along_dim: ``gather`` with ``input`` and ``indices`` broadcast on the other dims;
    ``dim=None`` indexes the flattened input."""
    if not isinstance(indices, Tensor) or indices._data.dtype != np.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be int64 but got "
                           f"{dtypes.torch_scalar_name(indices._data.dtype) if isinstance(indices, Tensor) else type(indices).__name__}")
    if indices.numel():
        size = input.numel() if dim is None else (input.shape[_wrap_dim(dim, input.ndim)] if input.ndim else 1)
        data = indices._data.reshape(-1)
        bad = (data < (0 if dim is None else -size)) | (data >= size)
        if bool(bad.any()):  # torch: negative indices wrap along a dim, not in the flattened form
            raise RuntimeError(f"index {int(data[xp(data).argmax(bad)])} is out of bounds for dimension "
                               f"{0 if dim is None else _wrap_dim(dim, input.ndim)} with size {size}")
    if dim is None:
        return gather(reshape(input, (-1,)), 0, reshape(indices, (-1,)))
    dim = _wrap_dim(dim, input.ndim)
    if input.ndim != indices.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input.ndim} dimensions for input, and {indices.ndim} dimensions for indices")
    module = xp(input._data)
    in_shape, idx_shape = list(input.shape), list(indices.shape)
    in_shape[dim] = idx_shape[dim] = 1
    common = list(np.broadcast_shapes(tuple(in_shape), tuple(idx_shape)))
    input_shape = common[:dim] + [input.shape[dim]] + common[dim + 1:]
    index_shape = common[:dim] + [indices.shape[dim]] + common[dim + 1:]
    if input.ndim == 0:
        return gather(input, 0, indices)
    expanded = expand(input, tuple(input_shape)) if list(input.shape) != input_shape else input
    index = module.broadcast_to(indices._data, tuple(index_shape))
    index = module.where(index < 0, index + input.shape[dim], index)
    return Gather.apply(expanded, dim, module.ascontiguousarray(index))


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The indices of the nonzero entries: (n, ndim) int64, or with ``as_tuple`` one 1-d tensor per dim."""
    module = xp(input._data)
    data = input._data
    if as_tuple:
        found = module.nonzero(data.reshape(1) if data.ndim == 0 else data)
        return tuple(Tensor._make(i.astype(np.int64)) for i in found)
    if data.ndim == 0:
        return Tensor._make(module.zeros((1 if bool(data) else 0, 0), dtype=np.int64))
    return Tensor._make(module.ascontiguousarray(module.argwhere(data).astype(np.int64)))


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)
