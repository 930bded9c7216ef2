"""Shape primitives: reshape, permute, expand / sum-to-shape, indexing, concatenation, flip, pad.

They come in pairs that differentiate into each other:

| primitive       | its backward is       |
| --------------- | --------------------- |
| Reshape         | Reshape               |
| Permute         | Permute (inverse)     |
| Expand          | SumToShape            |
| SumToShape      | Expand                |
| GetItem         | IndexAdd (scatter)    |
| IndexAdd        | GetItem (gather)      |
| Cat             | GetItem (slices)      |
| Flip            | Flip                  |
| IndexSelect     | IndexAdd along a dim  |

Everything else here (view, transpose, squeeze, stack, split, repeat, the padding modes ...) is
written with these, so its gradient, and the gradient of that, come for free.
"""
from __future__ import annotations

import builtins
import math

from ..autograd.function import Primitive
from ..autograd.tensor import Tensor, _wrap_dim
from ..backend import xp
from ._aliases import numpy_names


# ---- helpers ----------------------------------------------------------------------------------

def _shape_arg(shape) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _dims(dim, ndim: int) -> tuple:
    """Normalise ``dim`` (None, an int, or a sequence) to a sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    wrapped = tuple(sorted({_wrap_dim(d, ndim) for d in dims}))
    return wrapped if ndim else ()  # a 0-d tensor accepts dim 0 / -1, which name no array axis


def _infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolve a -1 in a target shape, with torch's error for sizes that do not fit."""
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(numel // known if s == -1 else s for s in shape)
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


# ---- primitives -------------------------------------------------------------------------------

class Reshape(Primitive):
    _quiet = False  # moves values, no arithmetic: no floating-point warnings to silence
    _view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return Reshape.apply(grad, ctx.input_shape)


class Permute(Primitive):
    _quiet = False  # moves values, no arithmetic: no floating-point warnings to silence
    _view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for position, d in enumerate(ctx.dims):
            inverse[d] = position
        return Permute.apply(grad, tuple(inverse))


class Expand(Primitive):
    """Broadcast to ``shape`` (a view); the gradient sums back over the broadcast dims."""

    _quiet = False  # moves values, no arithmetic: no floating-point warnings to silence
    _view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return xp(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return SumToShape.apply(grad, ctx.input_shape)


class SumToShape(Primitive):
    """Sum a broadcast result back to ``shape``: over leading dims and dims where ``shape`` has 1."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
        out = x.sum(axis=axes, keepdims=True) if axes else x
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return Expand.apply(grad, ctx.input_shape)


def unbroadcast(grad: Tensor, shape) -> Tensor:
    """Reduce a gradient to ``shape`` after broadcasting made it larger."""
    return grad if grad.shape == shape else SumToShape.apply(grad, tuple(shape))


def _index_to_arrays(index, like):
    """Turn tensors (and lists) inside an index into arrays of ``like``'s array module."""
    if not isinstance(index, tuple):
        index = (index,)
    module = xp(like)
    out = []
    for i in index:
        if isinstance(i, Tensor):
            i = i._data
        elif isinstance(i, list):
            i = module.asarray(i)
        out.append(i)
    out = tuple(out)
    _check_index(out, like.shape)
    return out


def _check_index(index: tuple, shape: tuple) -> None:
    """torch's IndexErrors for an index (of ints, slices, None, Ellipsis, bools and arrays) into ``shape``,
    raised before NumPy sees it: too many indices, out-of-range integers, wrong index dtypes and masks."""
    consumed = 0
    for i in index:
        if i is None or i is Ellipsis or isinstance(i, bool):
            continue
        consumed += i.ndim if getattr(i, "dtype", None) is not None and i.dtype == bool else 1
    if consumed > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    dim = 0       # the dim of ``shape`` the next index applies to
    reported = 0  # the dim torch names in its message: Nones count, advanced (tensor) indices count apart
    advanced = 0
    for i in index:
        if i is None or isinstance(i, bool):
            reported += 1
            continue
        if i is Ellipsis:
            dim += len(shape) - consumed
            reported += len(shape) - consumed
            continue
        if isinstance(i, slice):
            dim, reported = dim + 1, reported + 1
            continue
        if isinstance(i, int):
            size = shape[dim]
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {reported} with size {size}")
            dim, reported = dim + 1, reported + 1
            continue
        kind = getattr(getattr(i, "dtype", None), "kind", None)
        if kind == "b":
            if i.shape != shape[dim:dim + i.ndim]:
                for k in range(i.ndim):
                    if i.shape[k] != shape[dim + k]:
                        raise IndexError(f"The shape of the mask {list(i.shape)} at index {k} does not match the shape "
                                         f"of the indexed tensor {list(shape)} at index {dim + k}")
            dim, reported, advanced = dim + i.ndim, reported + i.ndim, advanced + 1
            continue
        if kind not in ("i", "u"):
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        size = shape[dim]
        if i.size:
            low, high = int(i.min()), int(i.max())
            if low < -size or high >= size:
                bad = low if low < -size else high
                raise IndexError(f"index {bad} is out of bounds for dimension {advanced} with size {size}")
        dim, reported, advanced = dim + 1, reported + 1, advanced + 1


def _is_basic(index) -> bool:
    """Only ints, slices, None and Ellipsis: numpy returns a view and no element repeats."""
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in index)


class GetItem(Primitive):
    _quiet = False  # moves values, no arithmetic: no floating-point warnings to silence
    _view = True  # NumPy returns a view for basic indices

    @staticmethod
    def forward(ctx, x, index):
        ctx.input_shape, ctx.index, ctx.dtype = x.shape, index, x.dtype
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        return IndexAdd.apply(grad, ctx.input_shape, ctx.index)


class IndexAdd(Primitive):
    """Zeros of ``shape`` with ``values`` added at ``index``; repeated indices accumulate."""

    @staticmethod
    def forward(ctx, values, shape, index):
        ctx.index = index
        module = xp(values)
        out = module.zeros(shape, dtype=values.dtype)
        if _is_basic(index):
            out[index] = values
        else:
            module.add.at(out, index, values)
        return out

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, ctx.index)


class Cat(Primitive):
    _quiet = False  # moves values, no arithmetic: no floating-point warnings to silence
    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim, ctx.sizes = dim, [a.shape[dim] for a in arrays]
        module = xp(arrays[0])
        return module.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        grads, start = [None], 0
        for k, size in enumerate(ctx.sizes):
            if ctx.needs_input_grad[k + 1]:
                index = (slice(None),) * ctx.dim + (slice(start, start + size),)
                grads.append(GetItem.apply(grad, index))
            else:
                grads.append(None)
            start += size
        return tuple(grads)


class Flip(Primitive):
    _quiet = False  # moves values, no arithmetic: no floating-point warnings to silence
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return xp(x).flip(x, axis=dims)

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, ctx.dims)


class IndexSelect(Primitive):
    """Pick entries ``index`` (a 1-d integer array) along ``dim``; entries may repeat."""

    _quiet = False  # moves values, no arithmetic: no floating-point warnings to silence

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.index, ctx.size = dim, index, x.shape[dim]
        return xp(x).take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return IndexAddAlong.apply(grad, ctx.dim, ctx.index, ctx.size)


class IndexAddAlong(Primitive):
    """The transpose of IndexSelect: entries of ``values`` summed into position ``index`` along ``dim``."""

    @staticmethod
    def forward(ctx, values, dim, index, size):
        ctx.dim, ctx.index = dim, index
        module = xp(values)
        shape = list(values.shape)
        shape[dim] = size
        out = module.zeros(shape, dtype=values.dtype)
        module.add.at(out, (slice(None),) * dim + (index,), values)
        return out

    @staticmethod
    def backward(ctx, grad):
        return IndexSelect.apply(grad, ctx.dim, ctx.index)


class ConstantPad(Primitive):
    """Pad with a constant; ``pads`` is ((before, after), ...) per dim, negative values crop."""

    _quiet = False  # moves values, no arithmetic: no floating-point warnings to silence

    @staticmethod
    def forward(ctx, x, pads, value):
        grow = [(builtins.max(b, 0), builtins.max(a, 0)) for b, a in pads]
        out = xp(x).pad(x, grow, mode="constant", constant_values=value) if any(b or a for b, a in grow) else x
        crop = tuple(slice(-b if b < 0 else 0, s + builtins.max(b, 0) + a if a < 0 else None)
                     for (b, a), s in zip(pads, x.shape))
        ctx.pads = pads
        return out[crop]

    @staticmethod
    def backward(ctx, grad):
        return ConstantPad.apply(grad, tuple((-b, -a) for b, a in ctx.pads), 0)


# ---- the functional API -----------------------------------------------------------------------

def reshape(x: Tensor, *shape) -> Tensor:
    shape = _infer_shape(_shape_arg(shape), x.numel())
    return Reshape.apply(x, shape)  # a new view even for the same shape, as torch (its node is ViewBackward)


def _view_is_possible(array, shape: tuple) -> bool:
    """torch's rule (``computeStride`` in ATen's TensorUtils.cpp): a view of new ``shape`` exists when
    each run of old dims that the new shape merges or splits is contiguous within itself. Arrays with
    negative strides (NumPy's flip, a copy in torch) are left to ``reshape``."""
    old_shape = array.shape
    if array.size == 0 or not old_shape:
        return True
    strides = [st // array.itemsize for st in array.strides]
    if builtins.min(strides) < 0:
        return True
    view_d = len(shape) - 1
    chunk_base_stride = strides[-1]
    tensor_numel = view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1
                             and strides[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or shape[view_d] == 1):
                view_numel *= shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return False
            if tensor_d > 0:
                chunk_base_stride = strides[tensor_d - 1]
                tensor_numel = view_numel = 1
    return view_d == -1


def view(x: Tensor, *shape) -> Tensor:
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
        return x.to(shape[0])  # view(dtype)
    target = _infer_shape(_shape_arg(shape), x.numel())
    if target != x.shape and not x._data.flags.c_contiguous and not _view_is_possible(x._data, target):
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one dimension "
                           "spans across two contiguous subspaces). Use .reshape(...) instead.")
    return reshape(x, target)


def view_as(x: Tensor, other: Tensor) -> Tensor:
    return view(x, other.shape)


def reshape_as(x: Tensor, other: Tensor) -> Tensor:
    return reshape(x, other.shape)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = _wrap_dim(start_dim, x.ndim), _wrap_dim(end_dim, x.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x.shape
    flat = shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:]
    return x if flat == x.shape else reshape(x, flat)  # torch's flatten returns the input itself then


@numpy_names
def unflatten(x: Tensor, dim: int, sizes) -> Tensor:
    dim = _wrap_dim(dim, x.ndim)
    return reshape(x, x.shape[:dim] + tuple(sizes) + x.shape[dim + 1:])


def permute(x: Tensor, *dims) -> Tensor:
    dims = _shape_arg(dims)
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {x.ndim} is not "
                           f"equal to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, x.ndim) for d in dims)
    if sorted(dims) != list(range(x.ndim)):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return x if dims == tuple(range(x.ndim)) else Permute.apply(x, dims)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    if x.ndim == 0:
        return x
    dims = list(range(x.ndim))
    a, b = _wrap_dim(dim0, x.ndim), _wrap_dim(dim1, x.ndim)
    dims[a], dims[b] = dims[b], dims[a]
    return permute(x, dims)


def movedim(x: Tensor, source, destination) -> Tensor:
    """Move dims ``source`` to positions ``destination`` (ints or sequences), keeping the others' order."""
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({source} dims) should "
                           f"contain the same number of dims as destination ({destination} dims)")
    wrapped_source = [_wrap_dim(d, x.ndim) for d in source]
    wrapped_destination = [_wrap_dim(d, x.ndim) for d in destination]
    for name, given, wrapped in (("source", source, wrapped_source), ("destination", destination, wrapped_destination)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({given})")
    source, destination = wrapped_source, wrapped_destination
    order = [d for d in range(x.ndim) if d not in source]
    for dst, src in sorted(zip(destination, source)):
        order.insert(dst, src)
    return permute(x, order)


moveaxis = movedim


def t(x: Tensor) -> Tensor:
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return transpose(x, 0, 1) if x.ndim == 2 else x


def T(x: Tensor) -> Tensor:
    return permute(x, tuple(reversed(range(x.ndim))))


@numpy_names
def squeeze(x: Tensor, dim=None) -> Tensor:
    dims = _dims(dim, x.ndim) if x.ndim else ()
    shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    return reshape(x, shape)


@numpy_names
def unsqueeze(x: Tensor, dim: int) -> Tensor:
    dim = _wrap_dim(dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def expand(x: Tensor, *sizes) -> Tensor:
    sizes = _shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal "
                           f"to the number of dimensions in the tensor ({x.ndim})")
    lead = len(sizes) - x.ndim
    shape = []
    for i, s in enumerate(sizes):
        current = x.shape[i - lead] if i >= lead else 1
        if s == -1:
            if i < lead:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}")
            s = current
        elif current != 1 and current != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({current}) "
                               f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(x.shape)}")
        shape.append(s)
    return Expand.apply(x, tuple(shape))  # a new view even for the same shape, as torch


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand(x, other.shape)


def broadcast_to(x: Tensor, shape) -> Tensor:
    return expand(x, tuple(shape))


def repeat(x: Tensor, *repeats) -> Tensor:
    """Tile ``x``: each dim i becomes ``repeats[i]`` copies, built as reshape -> expand -> reshape."""
    repeats = _shape_arg(repeats)
    if len(repeats) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    shape = (1,) * (len(repeats) - x.ndim) + tuple(x.shape)
    interleaved = [d for s in shape for d in (1, s)]                  # (1, s0, 1, s1, ...)
    expanded = [d for r, s in zip(repeats, shape) for d in (r, s)]    # (r0, s0, r1, s1, ...)
    out = expand(reshape(x, interleaved), expanded)
    return reshape(out, tuple(r * s for r, s in zip(repeats, shape)))


def getitem(x: Tensor, index) -> Tensor:
    return GetItem.apply(x, _index_to_arrays(index, x._data))


@numpy_names
def cat(tensors, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    from .elementwise import _common_dtype, _check_same_device
    dtype = _common_dtype(*tensors)  # legacy empty (0,) tensors are skipped but still promote
    tensors = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    ndim = tensors[0].ndim
    if ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    dim = _wrap_dim(dim, ndim)
    for k, t in enumerate(tensors):
        if t.ndim != ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ndim} and {t.ndim}")
        for d in range(ndim):
            if d != dim and t.shape[d] != tensors[0].shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size "
                                   f"{tensors[0].shape[d]} but got size {t.shape[d]} for tensor number {k} in the list.")
    _check_same_device(*tensors)
    tensors = [t if t._data.dtype == dtype else t.to(dtype) for t in tensors]
    return Cat.apply(dim, *tensors)


concat = concatenate = cat


@numpy_names
def stack(tensors, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for k, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} "
                               f"at entry 0 and {list(t.shape)} at entry {k}")
    dim = _wrap_dim(dim, tensors[0].ndim + 1)
    return cat([unsqueeze(t, dim) for t in tensors], dim)


def split(x: Tensor, split_size_or_sections, dim: int = 0):
    dim = _wrap_dim(dim, x.ndim)
    size = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sections = [builtins.min(step, size - s) for s in range(0, size, step)] if size else [0]
    else:
        sections = list(split_size_or_sections)
        if builtins.sum(sections) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                               f"size at dimension {dim}), but got split_sizes={sections}")
    out, start = [], 0
    for s in sections:
        out.append(getitem(x, (slice(None),) * dim + (slice(start, start + s),)))
        start += s
    return tuple(out)


@numpy_names
def chunk(x: Tensor, chunks: int, dim: int = 0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    size = x.shape[_wrap_dim(dim, x.ndim)]
    return split(x, builtins.max(-(-size // chunks), 1), dim)


@numpy_names
def unbind(x: Tensor, dim: int = 0):
    dim = _wrap_dim(dim, x.ndim)
    return tuple(getitem(x, (slice(None),) * dim + (i,)) for i in range(x.shape[dim]))


def _check_unique_dims(dims, ndim: int) -> None:
    """torch refuses a dim named twice (``flip((1, 1))``, ``amax(dim=(0, -2))`` of a 2-d tensor)."""
    seen = set()
    for d in dims:
        wrapped = _wrap_dim(d, ndim)
        if wrapped in seen:
            raise RuntimeError(f"dim {wrapped} appears multiple times in the list of dims")
        seen.add(wrapped)


def flip(x: Tensor, dims) -> Tensor:
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    _check_unique_dims(dims, x.ndim)
    dims = _dims(dims, x.ndim)
    return Flip.apply(x, dims)


@numpy_names
def index_select(x: Tensor, dim: int, index) -> Tensor:
    index = index._data if isinstance(index, Tensor) else xp(x._data).asarray(index)
    dim = _wrap_dim(dim, x.ndim)
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"index_select(): Expected dtype int32 or int64 for index")
    if index.size and int(index.max()) >= (x.shape[dim] if x.ndim else 1):
        raise IndexError("index out of range in self")
    if index.size and int(index.min()) < 0:  # torch: a RuntimeError from its gather kernel
        raise RuntimeError(f"index out of range in self: index {int(index.min())} is negative")
    if x.ndim == 0:  # torch: a 0-d input is one entry along dim 0, and the result is 0-d again
        return reshape(IndexSelect.apply(reshape(x, (1,)), 0, index.reshape(-1)), ())
    return IndexSelect.apply(x, _wrap_dim(dim, x.ndim), index)


@numpy_names
def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, x.ndim)
    if isinstance(start, Tensor):
        if start.ndim or start._data.dtype.kind not in "iu":
            raise RuntimeError("start must be an 0-dim integral Tensor.")
        start = int(start.item())
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    size = x.shape[dim]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    start = start + size if start < 0 else start
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return getitem(x, (slice(None),) * dim + (slice(start, start + length),))
