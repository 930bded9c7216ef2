"""minigrad's differentiable operations, and the Tensor methods and operators that call them.

The primitives live by family in ``elementwise``, ``reduction``, ``shape``, ``linalg`` and
``padding``, with ``sorting`` (sort, topk, cumprod), ``indexing`` (scatter, index_*, masked_select,
take_along_dim, nonzero) and ``triangular`` (tril/triu, diagonals, roll, tile, stacks, meshgrid); ``conv`` and ``pool`` hold the convolution and pooling families; ``inplace`` writes
results in place (``x.add_(y)``, ``x += y``, ``x[idx] = v``) with torch's version counters and view
history. This file lists, in ``_TENSOR_METHODS``, every method and operator ``Tensor`` gets from
them, under torch's names; each is one torch has (``tests/test_tensor_methods.py`` checks this).
"""
from __future__ import annotations

from .. import backend, dtypes
from ..autograd.creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                                 linspace, ones, ones_like, rand, rand_like, randint, randint_like, randn,
                                 randn_like, randperm, tensor, zeros, zeros_like)
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
    """A copy with its own memory (C-contiguous); the gradient passes through."""

    @staticmethod
    def forward(ctx, x):
        return xp(x).array(x, copy=True, order="C")

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(x: Tensor) -> Tensor:
    return Clone.apply(x)


def contiguous(x: Tensor) -> Tensor:
    return x if x._data.flags.c_contiguous else Clone.apply(x)


def masked_fill(x: Tensor, mask: Tensor, value) -> Tensor:
    return where(mask, value, x)


def _to(self: Tensor, *args, **kwargs) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``, or keywords, as torch."""
    dtype, device = kwargs.get("dtype"), kwargs.get("device")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, backend.device)):
            device = a
        elif a is not None:
            dtype = a
    out = to_copy(self, dtype, device)
    if kwargs.get("copy") and out is self:
        out = clone(self)
    return out


def _cuda(self: Tensor, device=None) -> Tensor:
    if device is None:
        device = "cuda"
    elif isinstance(device, int):
        device = f"cuda:{device}"
    return to_copy(self, device=device)


def _reflected(function):
    """``other OP self``, for the reflected operators (``2 - x`` is ``x.__rsub__(2)``)."""
    def reflected(self, other):
        return function(other, self)
    return reflected


def _converter(dtype):
    """``x.float()``, ``x.long()`` ...: ``x`` as ``dtype`` (``x`` itself when it already is)."""
    return lambda self: to_copy(self, dtype)


def _new(factory):
    """``x.new_zeros(...)`` ...: ``factory(...)`` with ``x``'s dtype and device unless given."""
    return lambda self, *args, **kwargs: factory(*args, **{"dtype": self.dtype, "device": self.device, **kwargs})


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
    "trunc": elementwise.trunc,
    "clamp": elementwise.clamp, "clip": elementwise.clip,
    "clamp_min": lambda self, min: elementwise.clamp(self, min=min),
    "clamp_max": lambda self, max: elementwise.clamp(self, max=max),
    "maximum": elementwise.maximum, "minimum": elementwise.minimum,
    "where": lambda self, condition, other: where(condition, self, other),  # self where condition holds
    "masked_fill": masked_fill,
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
    "to": _to, "cuda": _cuda, "cpu": lambda self: to_copy(self, device="cpu"),
    "type_as": lambda self, other: to_copy(self, other.dtype),
    "float": _converter(dtypes.float32), "double": _converter(dtypes.float64),
    "half": _converter(dtypes.float16), "long": _converter(dtypes.int64), "int": _converter(dtypes.int32),
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
    "exp_": inplace.method(elementwise.exp), "log_": inplace.method(elementwise.log),
    "log1p_": inplace.method(elementwise.log1p), "sqrt_": inplace.method(elementwise.sqrt),
    "reciprocal_": inplace.method(elementwise.reciprocal), "square_": inplace.method(elementwise.square),
    "abs_": inplace.method(elementwise.abs), "sin_": inplace.method(elementwise.sin),
    "cos_": inplace.method(elementwise.cos), "tanh_": inplace.method(elementwise.tanh),
    "sigmoid_": inplace.method(elementwise.sigmoid), "relu_": inplace.method(elementwise.relu),
    "clamp_": inplace.method(elementwise.clamp), "clip_": inplace.method(elementwise.clip),
    "masked_fill_": inplace.method(masked_fill),
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
