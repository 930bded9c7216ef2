"""minigrad's differentiable operations, and the Tensor methods and operators that call them.

The primitives live by family in ``elementwise``, ``reduction``, ``shape``, ``linalg`` and
``padding``, with ``sorting`` (sort, topk, cumprod), ``indexing`` (scatter, index_*, masked_select,
take_along_dim, nonzero) and ``triangular`` (tril/triu, diagonals, roll, tile, stacks, meshgrid); ``conv`` and ``pool`` hold the convolution and pooling families; ``inplace`` writes
results in place (``x.add_(y)``, ``x += y``, ``x[idx] = v``) with torch's version counters and view
history. This file lists, in ``_TENSOR_METHODS``, every method and operator ``Tensor`` gets from
them, under torch's names; each is one torch has (``tests/test_tensor_methods.py`` checks this).
"""
from __future__ import annotations

import builtins as _builtins

from .. import backend, dtypes
from ..autograd.creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                                 linspace, ones, ones_like, rand, rand_like, randint, randint_like, randn,
                                 randn_like, randperm, tensor, zeros, zeros_like)
from ..autograd import memory_format as formats
from ..autograd.function import Primitive
from ..autograd.tensor import Tensor
from ..backend import xp
from . import elementwise, inplace, reduction, shape
from .elementwise import *  # noqa: F401,F403
from .elementwise import to_copy, where
from .linalg import bmm, dot, matmul, mm, outer
from .padding import pad
from .reduction import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from . import indexing, sorting, triangular  # issue 12's ops
from .indexing import (argwhere, index_add, index_copy, index_fill, index_put, masked_select, nonzero, scatter,
                       take_along_dim)
from .linalg import addbmm, addmm, baddbmm, einsum
from .sorting import argsort, cumprod, msort, sort, topk
from .triangular import (atleast_1d, atleast_2d, atleast_3d, column_stack, diag, diag_embed, diagonal, dstack,
                         hstack, meshgrid, repeat_interleave, roll, row_stack, tile, trace, tril, triu, vstack)


class Clone(Primitive):
    """A copy with its own memory, laid out in a memory format (``memory_format.copy_as``); the
    gradient passes through."""

    @staticmethod
    def forward(ctx, x, memory_format):
        if memory_format is formats.contiguous_format:
            return xp(x).array(x, copy=True, order="C")
        return formats.copy_as(x, memory_format)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def clone(x: Tensor, *, memory_format=formats.preserve_format) -> Tensor:
    """A copy; by default with ``x``'s own strides when ``x`` is dense (torch's ``preserve_format``).

    >>> x = minigrad.zeros(2, 3, 4, 5).contiguous(memory_format=minigrad.channels_last)
    >>> x.clone().stride(), x.clone(memory_format=minigrad.contiguous_format).stride()
    ((60, 1, 15, 3), (60, 20, 5, 1))
    """
    formats.check("clone", memory_format)
    formats.require_rank(x._data, memory_format)
    return Clone.apply(x, memory_format)


def contiguous(x: Tensor, memory_format=formats.contiguous_format) -> Tensor:
    """``x`` itself when its memory is dense in ``memory_format``'s order, else a copy laid out so."""
    formats.check("contiguous", memory_format)
    formats.require_rank(x._data, memory_format)
    if memory_format is formats.preserve_format:
        return x
    return x if formats.is_contiguous(x._data, memory_format) else Clone.apply(x, memory_format)


def masked_fill(x: Tensor, mask: Tensor, value) -> Tensor:
    if isinstance(mask, Tensor) and mask._data.dtype != bool:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           + dtypes.torch_scalar_name(mask._data.dtype).lower().replace("long", "long int"))
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.ndim} dimension(s).")
    return where(mask, value, x)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``input + value * tensor1 * tensor2``, in torch's order of rounding.

        >>> minigrad.addcmul(minigrad.zeros(2), minigrad.tensor([1.0, 2.0]), minigrad.tensor([3.0, 4.0]), value=0.5)
        tensor([1.5000, 4.0000])
    """
    return input + (tensor1 * tensor2 if value == 1 else value * tensor1 * tensor2)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``input + value * tensor1 / tensor2``; integer operands are torch's error (it no longer floors)."""
    if not (tensor1.is_floating_point() or tensor2.is_floating_point()):
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
                           "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
                           "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
                           "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
                           "behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all "
                           "dtypes.")
    return input + (tensor1 / tensor2 if value == 1 else value * tensor1 / tensor2)


def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """``input + weight * (end - input)``, computed as torch does: from ``end`` backwards where
    ``|weight| >= 0.5`` (``end - (end - input) * (1 - weight)``), so that weight 1 gives ``end`` exactly."""
    if end.dtype is not input.dtype:
        raise RuntimeError(f"expected dtype {input.dtype.name} for `end` but got dtype {end.dtype.name}")
    difference = end - input
    if not isinstance(weight, Tensor):
        if abs(weight) < 0.5:
            return input + weight * difference
        return end - difference * (1 - weight)
    from .elementwise import abs as absolute
    return where(absolute(weight) < 0.5, input + weight * difference, end - difference * (1 - weight))


_TO_OVERLOADS = (
    " * (minigrad.device device = None, minigrad.dtype dtype = None, bool non_blocking = False, bool copy = False, "
    "*, memory_format memory_format = None)\n"
    " * (minigrad.dtype dtype, bool non_blocking = False, bool copy = False, *, memory_format memory_format = None)\n"
    " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, memory_format memory_format = None)\n")


def _is_dtype(value) -> bool:
    return isinstance(value, dtypes.dtype) or value in (float, int, bool)


def _is_device(value) -> bool:
    return isinstance(value, (str, backend.device)) or isinstance(value, int) and not isinstance(value, bool)


def _to(self: Tensor, *args, **kwargs) -> Tensor:
    """torch's three overloads, each with ``non_blocking`` and ``copy`` after the positional ones:

    - ``to(dtype, non_blocking=False, copy=False)``
    - ``to(device=None, dtype=None, non_blocking=False, copy=False)``: ``x.to('cpu', minigrad.float64, False, True)``
    - ``to(other, non_blocking=False, copy=False)``: ``other``'s dtype and device

    ``self`` itself when nothing changes, unless ``copy=True``. ``non_blocking`` changes nothing here (the
    copies are synchronous). The keyword ``memory_format`` lays the result out in that format
    (``x.to(memory_format=minigrad.channels_last)``); as in torch, ``x`` itself comes back when nothing
    else changes and its suggested format is already that one."""
    def invalid():
        got = [type(a).__name__ for a in args] + [f"{k}={type(v).__name__}" for k, v in kwargs.items()]
        return TypeError(f"to() received an invalid combination of arguments - got ({', '.join(got)}), "
                         f"but expected one of:\n{_TO_OVERLOADS}")

    rest, dtype, device = list(args), None, None
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        dtype, device = other.dtype, other.device
        names = ["non_blocking", "copy"]
    elif rest and _is_dtype(rest[0]):
        dtype = rest.pop(0)
        names = ["non_blocking", "copy"]
    else:
        names = ["device", "dtype", "non_blocking", "copy"]
    if len(rest) > len(names):
        raise invalid()
    bound = dict(zip(names, rest))
    for name, value in kwargs.items():
        if name not in names and name != "memory_format" or name in bound:
            raise invalid()
        bound[name] = value
    device, dtype = bound.get("device", device), bound.get("dtype", dtype)
    if device is not None and not _is_device(device) or dtype is not None and not _is_dtype(dtype) \
            or not _builtins.all(isinstance(bound.get(flag, False), bool) for flag in ("non_blocking", "copy")):
        raise invalid()
    if isinstance(device, int) and not isinstance(device, bool):
        device = f"cuda:{device}"  # torch reads a bare int as a GPU index
    memory_format = bound.get("memory_format")
    if memory_format is not None:
        formats.check("to", memory_format)
        formats.require_rank(self._data, memory_format)
    out = to_copy(self, dtype, device)
    if bound.get("copy") and out is self:
        out = clone(self)
    if memory_format not in (None, formats.preserve_format) and (
            out is not self or formats.suggest(self._data) is not memory_format):
        out = Clone.apply(out, memory_format)  # torch's to_will_alias: no copy when the suggested format matches
    return out


def _type_name(x: Tensor) -> str:
    """torch's legacy type name: ``'torch.FloatTensor'``, ``'torch.cuda.LongTensor'``."""
    from ..autograd.creation import _TORCH_TYPE_NAMES
    return f"torch.{'cuda.' if x.is_cuda else ''}{_TORCH_TYPE_NAMES[x._data.dtype.name]}Tensor"


def _type(self: Tensor, dtype=None, non_blocking: bool = False, **kwargs):
    """``x.type()``: the legacy type name, as torch writes it (``'torch.FloatTensor'``, ``'torch.cuda.
    FloatTensor'`` on a GPU). It is the string code written for torch compares with, so minigrad
    answers torch's string rather than a ``'minigrad.FloatTensor'`` nothing else would recognise.

    ``x.type(dtype)`` or ``x.type('torch.DoubleTensor')`` (``'minigrad.DoubleTensor'`` is read too):
    ``x`` converted, or ``x`` itself when it already is of that type."""
    if dtype is None:
        if kwargs:
            raise TypeError(f"type() got an unexpected keyword argument '{next(iter(kwargs))}'")
        return _type_name(self)
    if isinstance(dtype, str):
        from ..autograd.creation import _TORCH_TYPE_NAMES
        by_name = {f"{prefix}{cuda}{name}Tensor": (numpy_name, cuda)
                   for numpy_name, name in _TORCH_TYPE_NAMES.items()
                   for prefix in ("torch.", "minigrad.") for cuda in ("", "cuda.")}
        if dtype not in by_name:
            raise ValueError(f"invalid type: '{dtype}'")
        numpy_name, cuda = by_name[dtype]
        return to_copy(self, dtypes.as_dtype(numpy_name), "cuda" if cuda else "cpu")
    return to_copy(self, dtypes.as_dtype(dtype))


def _cuda(self: Tensor, device=None) -> Tensor:
    if device is None:
        device = "cuda"
    elif isinstance(device, int):
        device = f"cuda:{device}"
    return to_copy(self, device=device)


def _reflected(function):
    """``other OP self``, for the reflected operators (``2 - x`` is ``x.__rsub__(2)``)."""
    def reflected(self, other):
        if not isinstance(self, Tensor):
            raise TypeError(f"descriptor '{function.__name__}' requires a 'Tensor' object but received a "
                            f"'{type(self).__name__}'")
        return function(other, self)
    return reflected


def _converter(dtype):
    """``x.float()``, ``x.long()`` ...: ``x`` as ``dtype`` (``x`` itself when it already is)."""
    return lambda self: to_copy(self, dtype)


def _new(factory):
    """``x.new_zeros(...)`` ...: ``factory(...)`` with torch's signature (the size as ints, a sequence or
    ``size=``; ``dtype``, ``device``, ``requires_grad`` keywords), of ``x``'s dtype and device unless
    given (``dtype=None`` too means ``x``'s)."""
    def new(self, *args, dtype=None, device=None, **kwargs):
        size = kwargs.get("size", args[0] if args and (factory is full or isinstance(args[0], (tuple, list))) else args)
        if isinstance(size, (tuple, list)) and _builtins.all(type(d) is int for d in size) and _builtins.any(d < 0 for d in size):
            negative = next(d for d in size if d < 0)  # torch's wording for new_*, not the factory's
            raise RuntimeError(f"Trying to create tensor with negative dimension {negative}: {list(size)}")
        return factory(*args, dtype=self.dtype if dtype is None else dtype,
                       device=self.device if device is None else device, **kwargs)
    new.__name__ = f"new_{factory.__name__}"
    return new


def _checked_std(std):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return std


# Every Tensor method and operator minigrad defines outside ``autograd/tensor.py``, by family. Each
# name is torch's, with torch's meaning: ops torch only has as functions (``gelu``, ``var_mean``)
# stay functions (``F.gelu``, ``minigrad.var_mean``).
_TENSOR_METHODS = {
    # ---- arithmetic and its operators (ops/elementwise.py, ops/linalg.py) ----
    "add": elementwise.add, "sub": elementwise.sub, "mul": elementwise.mul, "div": elementwise.div,
    "true_divide": elementwise.true_divide, "floor_divide": elementwise.floor_divide,
    "remainder": elementwise.remainder, "pow": elementwise.pow, "neg": elementwise.neg,
    "matmul": matmul, "mm": mm, "bmm": bmm, "dot": dot, "outer": outer,
    "__add__": elementwise.add, "__sub__": elementwise.sub, "__mul__": elementwise.mul,
    "__truediv__": elementwise.div, "__floordiv__": elementwise.floor_divide, "__mod__": elementwise.remainder,
    "__pow__": elementwise.pow, "__matmul__": matmul, "__neg__": elementwise.neg, "__abs__": elementwise.abs,
    "__pos__": lambda self: self,
    "__radd__": _reflected(elementwise.add), "__rsub__": _reflected(elementwise.sub),
    "__rmul__": _reflected(elementwise.mul), "__rtruediv__": _reflected(elementwise.div),
    "__rfloordiv__": _reflected(elementwise.floor_divide), "__rmod__": _reflected(elementwise.remainder),
    "__rpow__": _reflected(elementwise.pow), "__rmatmul__": _reflected(matmul),

    # ---- unary math, clamping, selection ----
    "reciprocal": elementwise.reciprocal, "exp": elementwise.exp, "log": elementwise.log,
    "log1p": elementwise.log1p, "expm1": elementwise.expm1, "sqrt": elementwise.sqrt, "rsqrt": elementwise.rsqrt,
    "square": elementwise.square, "abs": elementwise.abs, "sin": elementwise.sin, "cos": elementwise.cos,
    "tanh": elementwise.tanh, "sigmoid": elementwise.sigmoid, "relu": elementwise.relu, "erf": elementwise.erf,
    "sign": elementwise.sign, "floor": elementwise.floor, "ceil": elementwise.ceil, "round": elementwise.round,
    "trunc": elementwise.trunc, "frac": elementwise.frac, "fmod": elementwise.fmod,
    "clamp": elementwise.clamp, "clip": elementwise.clip,
    "clamp_min": lambda self, min: elementwise.clamp(self, min=min),
    "clamp_max": lambda self, max: elementwise.clamp(self, max=max),
    "maximum": elementwise.maximum, "minimum": elementwise.minimum,
    "where": lambda self, condition, other: where(condition, self, other),  # self where condition holds
    "masked_fill": masked_fill, "addcmul": addcmul, "addcdiv": addcdiv, "lerp": lerp,
    "log2": elementwise.log2, "log10": elementwise.log10, "tan": elementwise.tan, "atan": elementwise.atan,
    "asin": elementwise.asin, "acos": elementwise.acos, "arctan": elementwise.atan, "arcsin": elementwise.asin,
    "arccos": elementwise.acos, "atan2": elementwise.atan2, "arctan2": elementwise.atan2,
    "nan_to_num": elementwise.nan_to_num,

    # ---- comparison and logic, and their operators ----
    "eq": elementwise.eq, "ne": elementwise.ne, "lt": elementwise.lt, "le": elementwise.le,
    "gt": elementwise.gt, "ge": elementwise.ge,
    "__eq__": elementwise.eq, "__ne__": elementwise.ne, "__lt__": elementwise.lt, "__le__": elementwise.le,
    "__gt__": elementwise.gt, "__ge__": elementwise.ge,
    "logical_and": elementwise.logical_and, "logical_or": elementwise.logical_or,
    "logical_xor": elementwise.logical_xor, "logical_not": elementwise.logical_not,
    "bitwise_and": elementwise.bitwise_and, "bitwise_or": elementwise.bitwise_or,
    "bitwise_xor": elementwise.bitwise_xor, "bitwise_not": elementwise.bitwise_not,
    "__and__": elementwise.bitwise_and, "__or__": elementwise.bitwise_or, "__xor__": elementwise.bitwise_xor,
    "__invert__": elementwise.bitwise_not, "__rand__": _reflected(elementwise.bitwise_and),
    "__ror__": _reflected(elementwise.bitwise_or), "__rxor__": _reflected(elementwise.bitwise_xor),
    "isnan": elementwise.isnan, "isinf": elementwise.isinf, "isfinite": elementwise.isfinite,
    "equal": elementwise.equal, "allclose": elementwise.allclose, "isclose": elementwise.isclose,

    # ---- reductions, scans, softmax, gather / scatter (ops/reduction.py) ----
    "sum": reduction.sum, "mean": reduction.mean, "var": reduction.var, "std": reduction.std,
    "prod": reduction.prod, "norm": reduction.norm, "amax": reduction.amax, "amin": reduction.amin,
    "max": reduction.max, "min": reduction.min, "argmax": reduction.argmax, "argmin": reduction.argmin,
    "all": reduction.all, "any": reduction.any, "count_nonzero": reduction.count_nonzero,
    "logsumexp": reduction.logsumexp, "softmax": reduction.softmax, "log_softmax": reduction.log_softmax,
    "cumsum": reduction.cumsum, "gather": reduction.gather, "scatter_add": reduction.scatter_add,
    "cumprod": sorting.cumprod, "sort": sorting.sort, "argsort": sorting.argsort, "msort": sorting.msort,
    "topk": sorting.topk,
    "scatter": indexing.scatter, "index_add": indexing.index_add, "index_copy": indexing.index_copy,
    "index_fill": indexing.index_fill, "index_put": indexing.index_put, "masked_select": indexing.masked_select,
    "take_along_dim": indexing.take_along_dim, "nonzero": indexing.nonzero, "argwhere": indexing.argwhere,

    # ---- shape, views, indexing, copies (ops/shape.py) ----
    "reshape": shape.reshape, "view": shape.view, "view_as": shape.view_as, "reshape_as": shape.reshape_as,
    "flatten": shape.flatten, "unflatten": shape.unflatten, "permute": shape.permute,
    "transpose": shape.transpose, "movedim": shape.movedim, "moveaxis": shape.moveaxis, "t": shape.t,
    "T": property(shape.T), "mT": property(lambda self: shape.transpose(self, -2, -1)),
    "squeeze": shape.squeeze, "unsqueeze": shape.unsqueeze, "expand": shape.expand,
    "expand_as": shape.expand_as, "broadcast_to": shape.broadcast_to, "repeat": shape.repeat,
    "split": shape.split, "chunk": shape.chunk, "unbind": shape.unbind, "flip": shape.flip,
    "index_select": shape.index_select, "narrow": shape.narrow,
    "__getitem__": shape.getitem, "__setitem__": inplace.setitem,
    "clone": clone, "contiguous": contiguous,
    "tril": triangular.tril, "triu": triangular.triu, "diag": triangular.diag, "diagonal": triangular.diagonal,
    "diag_embed": triangular.diag_embed, "trace": triangular.trace, "roll": triangular.roll,
    "tile": triangular.tile, "repeat_interleave": triangular.repeat_interleave,
    "addmm": addmm, "addbmm": addbmm, "baddbmm": baddbmm,

    # ---- dtype, device, new tensors of the same kind ----
    "to": _to, "type": _type, "cuda": _cuda, "cpu": lambda self: to_copy(self, device="cpu"),
    "type_as": lambda self, other: to_copy(self, other.dtype),
    "float": _converter(dtypes.float32), "double": _converter(dtypes.float64),
    "half": _converter(dtypes.float16), "long": _converter(dtypes.int64), "int": _converter(dtypes.int32), "short": _converter(dtypes.int16),
    "bool": _converter(dtypes.bool_),
    "new_zeros": _new(zeros), "new_ones": _new(ones), "new_full": _new(full), "new_empty": _new(empty),
    "new_tensor": _new(tensor),

    # ---- in place (ops/inplace.py): op_ computes op, then writes the result into self ----
    "add_": inplace.method(elementwise.add), "sub_": inplace.method(elementwise.sub),
    "mul_": inplace.method(elementwise.mul), "div_": inplace.method(elementwise.div),
    "pow_": inplace.method(elementwise.pow), "floor_divide_": inplace.method(elementwise.floor_divide),
    "remainder_": inplace.method(elementwise.remainder), "neg_": inplace.method(elementwise.neg),
    "__iadd__": inplace.method(elementwise.add), "__isub__": inplace.method(elementwise.sub),
    "__imul__": inplace.method(elementwise.mul), "__itruediv__": inplace.method(elementwise.div),
    "__ipow__": inplace.method(elementwise.pow), "__ifloordiv__": inplace.method(elementwise.floor_divide),
    # (no __imatmul__: torch has none, so x @= y rebinds x to x @ y)
    "exp_": inplace.method(elementwise.exp, saves_result=True, saves_input=False), "log_": inplace.method(elementwise.log),
    "log1p_": inplace.method(elementwise.log1p), "sqrt_": inplace.method(elementwise.sqrt, saves_result=True, saves_input=False),
    "reciprocal_": inplace.method(elementwise.reciprocal, saves_result=True), "square_": inplace.method(elementwise.square),
    "abs_": inplace.method(elementwise.abs), "sin_": inplace.method(elementwise.sin),
    "cos_": inplace.method(elementwise.cos), "tanh_": inplace.method(elementwise.tanh, saves_result=True, saves_input=False),
    "sigmoid_": inplace.method(elementwise.sigmoid, saves_result=True, saves_input=False), "relu_": inplace.method(elementwise.relu, saves_result=True, saves_input=False),
    "clamp_": inplace.method(elementwise.clamp), "clip_": inplace.method(elementwise.clip),
    "masked_fill_": inplace.method(masked_fill),
    "rsqrt_": inplace.method(elementwise.rsqrt, saves_result=True), "expm1_": inplace.method(elementwise.expm1, saves_result=True),
    "erf_": inplace.method(elementwise.erf), "sign_": inplace.method(elementwise.sign),
    "floor_": inplace.method(elementwise.floor), "ceil_": inplace.method(elementwise.ceil),
    "round_": inplace.method(elementwise.round), "trunc_": inplace.method(elementwise.trunc),
    "frac_": inplace.method(elementwise.frac), "fmod_": inplace.method(elementwise.fmod),
    "clamp_min_": inplace.method(lambda self, min: elementwise.clamp(self, min=min)),
    "clamp_max_": inplace.method(lambda self, max: elementwise.clamp(self, max=max)),
    "addcmul_": inplace.method(addcmul), "addcdiv_": inplace.method(addcdiv), "lerp_": inplace.method(lerp),
    "log2_": inplace.method(elementwise.log2), "log10_": inplace.method(elementwise.log10),
    "tan_": inplace.method(elementwise.tan), "atan_": inplace.method(elementwise.atan),
    "asin_": inplace.method(elementwise.asin), "acos_": inplace.method(elementwise.acos),
    "arctan_": inplace.method(elementwise.atan), "arcsin_": inplace.method(elementwise.asin),
    "arccos_": inplace.method(elementwise.acos), "atan2_": inplace.method(elementwise.atan2),
    "arctan2_": inplace.method(elementwise.atan2),
    "nan_to_num_": inplace.method(elementwise.nan_to_num), "cumprod_": inplace.method(sorting.cumprod),
    "scatter_": inplace.method(indexing.scatter), "scatter_add_": inplace.method(reduction.scatter_add),
    "index_add_": inplace.method(indexing.index_add), "index_copy_": inplace.method(indexing.index_copy),
    "index_fill_": inplace.method(indexing.index_fill), "index_put_": inplace.method(indexing.index_put),
    "tril_": inplace.method(triangular.tril), "triu_": inplace.method(triangular.triu),
    "addmm_": inplace.method(addmm), "addbmm_": inplace.method(addbmm), "baddbmm_": inplace.method(baddbmm),
    "zero_": lambda self: inplace.write(self, zeros_like(self)),
    "fill_": lambda self, value: inplace.write(
        self, full_like(self, value.item() if isinstance(value, Tensor) else value)),
    "copy_": lambda self, src: inplace.write(self, to_copy(src, self.dtype, self.device)),
    "uniform_": lambda self, a=0.0, b=1.0: inplace.random_fill(self, lambda g, s: g.uniform(a, b, s)),
    "normal_": lambda self, mean=0.0, std=1.0, *, generator=None: inplace.random_fill(
        self, lambda g, s: g.normal(mean, _checked_std(std), s)),
    "bernoulli_": lambda self, p=0.5: inplace.random_fill(self, lambda g, s: g.random(s) < p),
    "exponential_": lambda self, lambd=1.0: inplace.random_fill(self, lambda g, s: g.exponential(1 / lambd, s)),
}

for _name, _method in _TENSOR_METHODS.items():
    setattr(Tensor, _name, _method)

# torch's in-place functions: torch.relu_(x) is x.relu_()
for _name in ("abs_", "ceil_", "clamp_", "clip_", "cos_", "erf_", "exp_", "expm1_", "floor_", "frac_", "log1p_",
              "log_", "neg_", "reciprocal_", "relu_", "round_", "rsqrt_", "sigmoid_", "sin_", "sqrt_", "square_",
              "tanh_", "trunc_"):
    globals()[_name] = _TENSOR_METHODS[_name]
