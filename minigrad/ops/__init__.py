"""minigrad's differentiable operations, and the Tensor methods and operators that call them.

The primitives live by family in ``elementwise``, ``reduction``, ``shape``, ``linalg`` and
``padding``; ``conv`` and ``pool`` hold the convolution and pooling families. This file attaches
the operations to ``Tensor`` as methods (``x.exp()``, ``x @ y``, ``x[idx]``) and implements the
in-place variants (``x.add_(y)``, ``x += y``, ``x[idx] = v``) on top of the out-of-place ones.
"""
from __future__ import annotations

import builtins

from .. import backend, dtypes
from .. import random as _random
from ..autograd.creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                                 linspace, ones, ones_like, rand, rand_like, randint, randint_like, randn,
                                 randn_like, randperm, tensor, zeros, zeros_like)
from ..autograd.function import Primitive
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..autograd.tensor import Tensor
from ..backend import xp
from .elementwise import *  # noqa: F401,F403
from .elementwise import (_promote, _scalar, abs, add, clamp, div, eq, exp, floor_divide, ge, gt, le, log, lt,
                          maximum, minimum, mul, ne, neg, pow, remainder, sigmoid, sqrt, sub, tanh, to_copy,
                          where, relu, bitwise_and, bitwise_or, bitwise_xor, bitwise_not)
from .linalg import bmm, dot, matmul, mm, outer
from .padding import pad
from .reduction import *  # noqa: F401,F403
from .reduction import amax, amin, argmax, argmin, max, mean, min, prod, std, sum, var
from .shape import *  # noqa: F401,F403
from .shape import GetItem, getitem, _index_to_arrays


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


# ---- in-place operations ----------------------------------------------------------------------

def _inplace(self: Tensor, result: Tensor) -> Tensor:
    """Write ``result`` into ``self``'s memory and make ``self`` the output of ``result``'s node.

    Views of ``self`` see the new values; tensors that saved the old values for backward notice the
    version change and refuse to give wrong gradients.
    """
    recording = is_grad_enabled()
    if recording and self._requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if builtins.any(stride == 0 and size > 1 for stride, size in zip(self._data.strides, self._data.shape)):
        # an expanded (broadcast) view: several entries are one memory location (CuPy would not say)
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    root = self._view_of[0] if self._view_of is not None else None
    if recording and root is not None and root._requires_grad and root.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    if dtypes._category(result._data.dtype) > dtypes._category(self._data.dtype):
        raise RuntimeError(f"result type {dtypes.torch_scalar_name(result._data.dtype)} can't be cast to the "
                           f"desired output type {dtypes.torch_scalar_name(self._data.dtype)}")
    if result.shape != self.shape:
        if backend.xp(self._data).broadcast_shapes(result.shape, self.shape) != self.shape:
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                               f"{list(backend.xp(self._data).broadcast_shapes(result.shape, self.shape))}")
        result = result.expand(self.shape)
    if root is not None and recording and (root._requires_grad or result._requires_grad):
        if result._data is not self._data:
            self._data[...] = result._data
        self._bump_version()
        _rebase_view_history(self, root, result)
        return self
    if recording and self._requires_grad and not result._requires_grad:
        # keep self in the graph, with a zero gradient to its past (where, not self * 0 + result:
        # inf * 0 would be nan)
        result = where(xp(self._data).ones((), dtype=bool), result, self)
    if result._data is not self._data:
        self._data[...] = result._data
    self._bump_version()
    if recording and result.grad_fn is not None:
        self.grad_fn, self._output_nr, self._requires_grad = result.grad_fn, result._output_nr, True
    return self


def _snapshot(self: Tensor) -> Tensor:
    """``self``'s current values in memory of their own, at ``self``'s place in the graph: what an
    in-place op computes from, so that what its backward saved is not overwritten by the op itself
    (torch saves the original ``self`` for in-place ops that need it)."""
    if self._requires_grad and self.grad_fn is None:
        return self  # a leaf that requires grad: _inplace raises torch's error
    copy = Tensor._make(self._data.copy())
    copy.grad_fn, copy._output_nr, copy._requires_grad = self.grad_fn, self._output_nr, self._requires_grad
    return copy


def _rebase_view_history(view: Tensor, root: Tensor, result: Tensor) -> None:
    """After writing ``result`` into ``view`` (a view of ``root``), rewrite the graph as torch's
    CopySlices does: root's new value is its old value with the view's entries replaced by
    ``result``, and the view is that new root seen through the same view ops again.

    Which entries of root the view covers is found by sending the flat positions
    ``arange(root.numel())`` through the view's chain of view primitives."""
    chain = view._view_of[1]
    with no_grad():
        positions = arange(root.numel(), device=root.device).reshape(root.shape)
        for primitive, params in chain:
            positions = primitive.apply(positions, *params)
    old_root = Tensor._make(root._data)  # root's history as it was; its values are no longer read
    old_root.grad_fn, old_root._output_nr, old_root._requires_grad = root.grad_fn, root._output_nr, root._requires_grad
    flat = IndexPut.apply(old_root.reshape(-1), result.to(root.dtype), (positions._data,))  # (numel,)
    new_root = flat.reshape(root.shape)
    root.grad_fn, root._output_nr, root._requires_grad = new_root.grad_fn, new_root._output_nr, True
    seen = root
    for primitive, params in chain:
        seen = primitive.apply(seen, *params)
    view.grad_fn, view._output_nr, view._requires_grad = seen.grad_fn, seen._output_nr, True


def _setitem(self: Tensor, index, value) -> None:
    index = _index_to_arrays(index, self._data)
    if not (is_grad_enabled() and (self._requires_grad or (isinstance(value, Tensor) and value._requires_grad))):
        if self._requires_grad and self.grad_fn is None and is_grad_enabled():
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        self._data[index] = value._data if isinstance(value, Tensor) else value
        self._bump_version()
        return
    value = value if isinstance(value, Tensor) else full((), value, dtype=self.dtype, device=self.device)
    _inplace(self, IndexPut.apply(self, value, index))


class IndexPut(Primitive):
    """``x`` with ``x[index] = value``, out of place. Gradients: zero at ``index`` for ``x``, the
    selected entries (summed over broadcasting) for ``value``."""

    @staticmethod
    def forward(ctx, x, value, index):
        ctx.index, ctx.value_shape = index, value.shape
        out = x.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        from .shape import unbroadcast
        g_x = IndexPut.apply(grad, zeros((), dtype=grad.dtype, device=grad.device), ctx.index) if ctx.needs_input_grad[0] else None
        g_value = None
        if ctx.needs_input_grad[1]:
            g_value = GetItem.apply(grad, ctx.index)
            g_value = unbroadcast(g_value, ctx.value_shape) if g_value.ndim >= len(ctx.value_shape) else g_value.reshape(ctx.value_shape)
        return g_x, g_value


def _random_fill(self: Tensor, sample) -> Tensor:
    with no_grad():
        values = sample(_random.generator(self.device), self.shape)
        return _inplace(self, Tensor._make(backend.to_device(values.astype(self._data.dtype), self.device)))


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
    def reflected(self, other):
        return function(other, self)
    return reflected


def _install_tensor_methods():
    """Attach the functional ops as Tensor methods, under torch's names."""
    from . import elementwise, reduction, shape
    functions = {}
    for module in (elementwise, reduction, shape):
        functions.update({k: v for k, v in vars(module).items() if callable(v) and not k.startswith("_")
                          and not isinstance(v, type) and getattr(v, "__module__", "") == module.__name__})
    for name in ("cat", "concat", "concatenate", "stack", "where", "to_copy", "unbroadcast", "equal",
                 "allclose", "isclose"):
        functions.pop(name, None)
    functions.update(matmul=matmul, mm=mm, bmm=bmm, dot=dot, outer=outer, clone=clone, contiguous=contiguous,
                     masked_fill=masked_fill, type_as=lambda self, other: to_copy(self, other.dtype),
                     to=_to, cuda=_cuda, cpu=lambda self: to_copy(self, device="cpu"),
                     float=lambda self: to_copy(self, dtypes.float32), double=lambda self: to_copy(self, dtypes.float64),
                     half=lambda self: to_copy(self, dtypes.float16), long=lambda self: to_copy(self, dtypes.int64),
                     int=lambda self: to_copy(self, dtypes.int32), bool=lambda self: to_copy(self, dtypes.bool_),
                     where=lambda self, condition, other: where(condition, self, other),
                     equal=equal, allclose=allclose, isclose=isclose,
                     new_zeros=lambda self, *size, **kw: zeros(*size, **{"dtype": self.dtype, "device": self.device, **kw}),
                     new_ones=lambda self, *size, **kw: ones(*size, **{"dtype": self.dtype, "device": self.device, **kw}),
                     new_full=lambda self, size, value, **kw: full(size, value, **{"dtype": self.dtype, "device": self.device, **kw}),
                     new_empty=lambda self, *size, **kw: empty(*size, **{"dtype": self.dtype, "device": self.device, **kw}),
                     new_tensor=lambda self, data, **kw: tensor(data, **{"dtype": self.dtype, "device": self.device, **kw}))
    for name, function in functions.items():
        setattr(Tensor, name, function)
    Tensor.T = property(shape.T)
    Tensor.mT = property(lambda self: shape.transpose(self, -2, -1))

    operators = {
        "__add__": add, "__sub__": sub, "__mul__": mul, "__truediv__": div, "__floordiv__": floor_divide,
        "__mod__": remainder, "__pow__": pow, "__matmul__": matmul, "__eq__": eq, "__ne__": ne, "__lt__": lt,
        "__le__": le, "__gt__": gt, "__ge__": ge, "__and__": bitwise_and, "__or__": bitwise_or,
        "__xor__": bitwise_xor,
    }
    for name, function in operators.items():
        setattr(Tensor, name, function)
    for name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor"):
        setattr(Tensor, f"__r{name}__", _reflected(operators[f"__{name}__"]))
    Tensor.__neg__ = neg
    Tensor.__pos__ = lambda self: self
    Tensor.__abs__ = abs
    Tensor.__invert__ = bitwise_not
    Tensor.__getitem__ = getitem
    Tensor.__setitem__ = _setitem

    # in-place: x.op_(...) computes op out of place, then writes the result into x
    def make_inplace(function):
        def method(self, *args, **kwargs):
            source = self
            if is_grad_enabled() and (self._requires_grad or builtins.any(
                    isinstance(a, Tensor) and a._requires_grad for a in args)):
                source = _snapshot(self)
            return _inplace(self, function(source, *args, **kwargs))
        method.__name__ = function.__name__ + "_"
        return method

    for name in ("add", "sub", "mul", "div", "pow", "clamp", "neg", "exp", "log", "sqrt", "abs", "relu",
                 "sigmoid", "tanh", "masked_fill", "maximum", "minimum", "floor_divide", "remainder",
                 "sin", "cos", "clip", "log1p", "reciprocal", "square"):
        setattr(Tensor, name + "_", make_inplace(getattr(Tensor, name)))
    for name, inplace_name in (("add", "iadd"), ("sub", "isub"), ("mul", "imul"), ("div", "itruediv"),
                               ("pow", "ipow"), ("floor_divide", "ifloordiv"), ("matmul", "imatmul")):
        setattr(Tensor, f"__{inplace_name}__", getattr(Tensor, name + "_") if name != "matmul" else
                (lambda self, other: _inplace(self, matmul(self, other))))
    Tensor.clamp_min = lambda self, min: clamp(self, min=min)
    Tensor.clamp_max = lambda self, max: clamp(self, max=max)
    Tensor.zero_ = lambda self: _inplace(self, zeros_like(self))
    Tensor.fill_ = lambda self, value: _inplace(self, full_like(self, value.item() if isinstance(value, Tensor) else value))
    Tensor.copy_ = lambda self, src: _inplace(self, to_copy(src, self.dtype, self.device))
    Tensor.uniform_ = lambda self, a=0.0, b=1.0: _random_fill(self, lambda g, s: g.uniform(a, b, s))
    Tensor.normal_ = lambda self, mean=0.0, std=1.0: _random_fill(self, lambda g, s: g.normal(mean, std, s))
    Tensor.bernoulli_ = lambda self, p=0.5: _random_fill(self, lambda g, s: g.random(s) < p)
    Tensor.exponential_ = lambda self, lambd=1.0: _random_fill(self, lambda g, s: g.exponential(1 / lambd, s))


_install_tensor_methods()
