"""Reductions: sum, mean, prod, var, std, max/min (with and without dim), logsumexp, softmax,
log_softmax, cumsum, and the gather / scatter-add pair they use.

| primitive  | its backward is                                       |
| ---------- | ----------------------------------------------------- |
| Sum        | Expand of the gradient                                |
| Amax/Amin  | the gradient shared evenly among the maxima (torch)   |
| Gather     | ScatterAdd                                            |
| ScatterAdd | Gather                                                |
| Softmax    | out * (g - sum(g * out))                               |
| LogSoftmax | g - exp(out) * sum(g)                                  |
"""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from .. import dtypes
from ..autograd.function import Primitive
from ..autograd.tensor import Tensor, _wrap_dim
from ..backend import xp
from ..kernels.scatter import scatter_add as _scatter_add_array  # private: ops' names are star-exported
from .elementwise import exp, log, where
from ._aliases import numpy_names
from .shape import Expand, _check_unique_dims, _dims, reshape, squeeze, unsqueeze


def _keep_shape(shape, dims):
    """``shape`` with the reduced ``dims`` set to 1 (the keepdim shape)."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


class Sum(Primitive):
    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype=None):
        ctx.input_shape, ctx.dims = x.shape, dims
        if dtype is None and x.dtype.kind in "bui":
            dtype = np.int64  # torch sums integers and bools as int64
        return x.sum(axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        grad = reshape(grad, _keep_shape(ctx.input_shape, ctx.dims))
        return Expand.apply(grad, ctx.input_shape)


class _Extreme(Primitive):
    """amax / amin over ``dims``; ties share the gradient equally, as torch's amax does."""

    function = "max"

    @classmethod
    def forward(cls, ctx, x, dims, keepdim):
        ctx.input_shape, ctx.dims = x.shape, dims
        out = getattr(x, cls.function)(axis=dims, keepdims=True)
        ctx.save_for_backward(x, out)
        return out if keepdim else out.reshape(tuple(s for i, s in enumerate(x.shape) if i not in dims))

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        is_extreme = x == out
        count = Tensor._make(is_extreme._data.sum(axis=ctx.dims, keepdims=True).astype(grad._data.dtype))
        grad = reshape(grad, _keep_shape(ctx.input_shape, ctx.dims))
        return Expand.apply(grad / count, ctx.input_shape) * is_extreme


class Amax(_Extreme):
    function = "max"


class Amin(_Extreme):
    function = "min"


class Prod(Primitive):
    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.dim = dim
        kept = x.prod(axis=dim, keepdims=True, dtype=np.int64 if x.dtype.kind in "bui" else None)
        ctx.keep_shape = kept.shape
        out = kept if keepdim else kept.reshape(tuple(s for i, s in enumerate(x.shape) if i != dim) if dim is not None else ())
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        grad, out = reshape(grad, ctx.keep_shape), reshape(out, ctx.keep_shape)
        if not bool((x._data == 0).any()):
            return grad * out / x
        # With zeros, out / x is undefined: the product of the other entries, written differentiably
        return grad * _product_of_others(x, ctx.dim)

    @staticmethod
    def backward_arrays(ctx, grad):
        x, out = ctx.saved_arrays
        grad, out = grad.reshape(ctx.keep_shape), out.reshape(ctx.keep_shape)
        if not bool((x == 0).any()):
            return grad * out / x
        # The product of the other entries without the O(n^2) stack of _product_of_others:
        # exclusive cumulative products from the left and from the right.
        module = xp(x)
        axis = ctx.dim
        flat = x.reshape(-1) if axis is None or x.ndim == 0 else x   # a 0-d x is one entry along dim 0
        axis = 0 if axis is None or x.ndim == 0 else axis
        ones = module.ones_like(module.take(flat, [0], axis=axis))
        left = module.cumprod(module.concatenate([ones, module.take(flat, range(flat.shape[axis] - 1), axis=axis)], axis), axis)
        right = module.flip(module.cumprod(module.flip(module.concatenate(
            [module.take(flat, range(1, flat.shape[axis]), axis=axis), ones], axis), axis), axis), axis)
        return grad * (left * right).reshape(x.shape)


def _product_of_others(x: Tensor, dim) -> Tensor:
    """For each entry, the product of the other entries along ``dim`` (all of them if None), as a
    differentiable graph: row i of an (n, n) stack is the slice with entry i replaced by 1.
    O(n^2) memory, so ``Prod.backward_arrays`` uses cumulative products instead when no graph is built."""
    from .shape import movedim
    last = reshape(x, (-1,)) if dim is None else movedim(x, dim, -1)      # (..., n)
    n = last.shape[-1]
    diagonal = Tensor._make(xp(x._data).eye(n, dtype=bool))                  # (n, n)
    rows = where(diagonal, 1.0, unsqueeze(last, -2))                          # (..., n, n)
    others = prod(rows, -1)                                                   # (..., n)
    return reshape(others, x.shape) if dim is None else movedim(others, -1, dim)


class Gather(Primitive):
    """``out[i][j][k] = x[i][index[i][j][k]][k]`` along ``dim`` (torch.gather / take_along_axis)."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.index, ctx.input_shape = dim, index, x.shape
        # torch lets index be smaller than x on the other dims: only that corner of x is read
        corner = tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(index.shape))
        return xp(x).take_along_axis(x[corner], index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return ScatterAdd.apply(grad, ctx.dim, ctx.index, ctx.input_shape)


class ScatterAdd(Primitive):
    @staticmethod
    def forward(ctx, values, dim, index, shape):
        ctx.dim, ctx.index = dim, index
        return _scatter_add_array(values, dim, index, tuple(shape))

    @staticmethod
    def backward(ctx, grad):
        return Gather.apply(grad, ctx.dim, ctx.index)


class Softmax(Primitive):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        module = xp(x)
        if x.size == 0:  # an empty dim: torch's empty result (NumPy's max has no identity)
            out = x.copy()
            ctx.save_for_backward(out)
            return out
        e = module.exp(x - x.max(axis=dim, keepdims=True))
        out = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return out * (grad - sum(grad * out, ctx.dim, keepdim=True))


class LogSoftmax(Primitive):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        module = xp(x)
        if x.size == 0:  # an empty dim: torch's empty result (NumPy's max has no identity)
            out = x.copy()
            ctx.save_for_backward(out)
            return out
        shifted = x - x.max(axis=dim, keepdims=True)
        out = shifted - module.log(module.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad - exp(out) * sum(grad, ctx.dim, keepdim=True)


class Cumsum(Primitive):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        if x.ndim == 0:
            return x.astype(np.int64 if x.dtype.kind in "bui" else x.dtype)
        return xp(x).cumsum(x, axis=dim, dtype=np.int64 if x.dtype.kind in "bui" else None)

    @staticmethod
    def backward(ctx, grad):
        from .shape import flip
        return flip(cumsum(flip(grad, ctx.dim), ctx.dim), ctx.dim)


# ---- the functional API -----------------------------------------------------------------------

def _floating(x: Tensor, op: str):
    if not x.is_floating_point():
        raise RuntimeError(f"{op}(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {x.dtype.name.capitalize()}")


def _reduce_dims(dim, ndim: int) -> tuple:
    """The dims a reduction reduces: ``dim=None`` and (deprecated in torch) ``dim=()`` mean all."""
    return _dims(None if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0) else dim, ndim)


@numpy_names
def sum(x: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    dims = _reduce_dims(dim, x.ndim)
    return Sum.apply(x, dims, keepdim, dtypes.as_dtype(dtype).numpy if dtype is not None else None)


@numpy_names
def mean(x: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    _floating(x, "mean")
    dims = _reduce_dims(dim, x.ndim)
    count = 1
    for d in dims:
        count *= x.shape[d]
    return sum(x, dims, keepdim) / count if count else sum(x, dims, keepdim) * float("nan")


_VARIANCE_OVERLOADS = (" * (tuple of ints dim, bool unbiased = True, bool keepdim = False)\n"
                       " * (tuple of ints dim = None, *, Number correction = None, bool keepdim = False)\n"
                       " * (bool unbiased = True)\n")


def _variance_arguments(op: str, args: tuple, kwargs: dict):
    """(dim, correction, keepdim) from torch's three overloads of var / std / var_mean / std_mean:

    - ``(dim, unbiased=True, keepdim=False)``: ``x.var(0, False)`` is dim 0 without Bessel's correction;
    - ``(dim=None, *, correction=1, keepdim=False)``: ``correction`` a number, not with ``unbiased``;
    - ``(unbiased=True)``: a lone bool is ``unbiased``, so ``x.std(True)`` is the unbiased std of all.

    ``axis`` and ``keepdims`` are taken for ``dim`` and ``keepdim``, as torch's parser does."""
    def invalid():
        got = [type(a).__name__ for a in args] + [f"{k}={type(v).__name__}" for k, v in kwargs.items()]
        return TypeError(f"{op}() received an invalid combination of arguments - got ({', '.join(got)}), "
                         f"but expected one of:\n{_VARIANCE_OVERLOADS}")

    kwargs = dict(kwargs)
    for alias, name in (("axis", "dim"), ("keepdims", "keepdim")):
        if alias in kwargs:
            if name in kwargs:
                raise TypeError(f"{op}() got an unexpected keyword argument '{alias}'")
            kwargs[name] = kwargs.pop(alias)
    is_bool = lambda value: isinstance(value, (bool, np.bool_))  # noqa: E731
    if len(args) == 1 and is_bool(args[0]):  # (bool unbiased)
        if kwargs:
            raise invalid()
        return None, 1 if args[0] else 0, False
    if len(args) > 3:
        raise invalid()
    bound = dict(zip(("dim", "unbiased", "keepdim"), args))
    for name, value in kwargs.items():
        if name not in ("dim", "unbiased", "keepdim", "correction"):
            raise TypeError(f"{op}() got an unexpected keyword argument '{name}'")
        if name in bound:
            raise TypeError(f"{op}() got multiple values for argument '{name}'")
        bound[name] = value
    dim, unbiased, correction = bound.get("dim"), bound.get("unbiased"), bound.get("correction")
    keepdim = bound.get("keepdim", False)
    if is_bool(dim) or unbiased is not None and not is_bool(unbiased) or not is_bool(keepdim) \
            or unbiased is not None and correction is not None:
        raise invalid()
    if correction is None:
        correction = 0 if unbiased is not None and not unbiased else 1
    return dim, correction, bool(keepdim)


def _variance(x: Tensor, dim, correction, keepdim: bool) -> Tensor:
    dims = _reduce_dims(dim, x.ndim)
    count = 1
    for d in dims:
        count *= x.shape[d]
    centred = x - mean(x, dims, keepdim=True)
    return sum(centred * centred, dims, keepdim) / builtins.max(count - correction, 0)


def var(x: Tensor, *args, **kwargs) -> Tensor:
    """Variance, ``sum((x - mean)^2) / max(N - correction, 0)``, with Bessel's correction
    (``correction=1``) by default. torch's overloads: ``var(dim, unbiased=True, keepdim=False)``,
    ``var(dim=None, *, correction=1, keepdim=False)`` and ``var(unbiased)``.

        >>> minigrad.tensor([[1.0, 2.0], [3.0, 5.0]]).var(0, False)   # dim 0, no correction
        tensor([1.0000, 2.2500])
    """
    return _variance(x, *_variance_arguments("var", args, kwargs))


class SqrtOfSquares(Primitive):
    """sqrt of a sum of squares (std from var, the 2-norm); where the result is 0 the gradient is 0,
    not inf * 0 = nan: torch's rule for ``std`` and ``norm`` at a constant / zero input."""

    @staticmethod
    def forward(ctx, x):
        out = xp(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        is_zero = out == 0
        # the safe denominator keeps 0/0 out of the masked branch, which double backward also visits
        return where(is_zero, 0.0, grad / where(is_zero, 1.0, out * 2))


def std(x: Tensor, *args, **kwargs) -> Tensor:
    """The square root of ``var``, with its overloads (``x.std(True)`` is the unbiased std of all)."""
    return SqrtOfSquares.apply(_variance(x, *_variance_arguments("std", args, kwargs)))


def var_mean(x: Tensor, *args, **kwargs):
    """(var, mean) over the same dims, with ``var``'s overloads."""
    dim, correction, keepdim = _variance_arguments("var_mean", args, kwargs)
    return _variance(x, dim, correction, keepdim), mean(x, _reduce_dims(dim, x.ndim), keepdim)


def std_mean(x: Tensor, *args, **kwargs):
    """(std, mean) over the same dims, with ``var``'s overloads."""
    dim, correction, keepdim = _variance_arguments("std_mean", args, kwargs)
    return (SqrtOfSquares.apply(_variance(x, dim, correction, keepdim)),
            mean(x, _reduce_dims(dim, x.ndim), keepdim))


@numpy_names
def prod(x: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    return Prod.apply(x, None if dim is None else _wrap_dim(dim, x.ndim), keepdim)


@numpy_names
def amax(x: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    whole = dim is None or dim == () or dim == []
    if isinstance(dim, (tuple, list)):
        _check_unique_dims(dim, x.ndim)
    dims = _dims(None if whole else dim, x.ndim)
    _check_nonempty(x, None if whole else dims, "amax")
    return Amax.apply(x, dims, keepdim)


@numpy_names
def amin(x: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    whole = dim is None or dim == () or dim == []
    if isinstance(dim, (tuple, list)):
        _check_unique_dims(dim, x.ndim)
    dims = _dims(None if whole else dim, x.ndim)
    _check_nonempty(x, None if whole else dims, "amin")
    return Amin.apply(x, dims, keepdim)


def _check_nonempty(x, dims, op, error=RuntimeError):
    """torch's errors for a max-like reduction of nothing: ``dims`` None means over everything."""
    if dims is None:
        if x.numel() == 0:
            raise error(f"{op}(): Expected reduction dim to be specified for input.numel() == 0."
                        + (" Specify the reduction dim with the 'dim' argument." if error is RuntimeError else ""))
        return
    for d in dims:
        if x.shape[d] == 0 if x.ndim else False:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


MinMax = namedtuple("MinMax", ["values", "indices"])
_max_type = namedtuple("max", ["values", "indices"])
_min_type = namedtuple("min", ["values", "indices"])


def _select_along(x: Tensor, dim, keepdim, pick, result_type):
    """values and indices of the first extreme along ``dim``: the gradient goes to that index."""
    dim = _wrap_dim(dim, x.ndim)
    module = xp(x._data)
    _check_nonempty(x, (dim,), result_type.__name__)
    if x.ndim == 0:
        return result_type(x, Tensor._make(module.zeros((), dtype=np.int64)))
    index = module.expand_dims(pick(x._data, dim), dim)  # NumPy's argmax also picks the first NaN
    values = Gather.apply(x, dim, index)
    indices = Tensor._make(index)
    if not keepdim:
        values, indices = squeeze(values, dim), Tensor._make(index.squeeze(axis=dim))
    return result_type(values, indices)


@numpy_names
def max(x: Tensor, dim=None, keepdim: bool = False):
    """``max(x)``: the largest value; ``max(x, dim)``: (values, indices); ``max(a, b)``: elementwise."""
    if not isinstance(x, Tensor):
        raise TypeError(f"max() received an invalid combination of arguments - got ({type(x).__name__}, "
                        f"{type(dim).__name__}), but expected one of: (Tensor input), (Tensor input, Tensor other), "
                        "(Tensor input, int dim, bool keepdim)")
    if isinstance(dim, Tensor):
        from .elementwise import maximum
        return maximum(x, dim)
    if dim is None:
        _check_nonempty(x, None, "max")
        return Amax.apply(x, tuple(range(x.ndim)), False)
    return _select_along(x, dim, keepdim, lambda a, d: a.argmax(axis=d), _max_type)


@numpy_names
def min(x: Tensor, dim=None, keepdim: bool = False):
    if not isinstance(x, Tensor):
        raise TypeError(f"min() received an invalid combination of arguments - got ({type(x).__name__}, "
                        f"{type(dim).__name__}), but expected one of: (Tensor input), (Tensor input, Tensor other), "
                        "(Tensor input, int dim, bool keepdim)")
    if isinstance(dim, Tensor):
        from .elementwise import minimum
        return minimum(x, dim)
    if dim is None:
        _check_nonempty(x, None, "min")
        return Amin.apply(x, tuple(range(x.ndim)), False)
    return _select_along(x, dim, keepdim, lambda a, d: a.argmin(axis=d), _min_type)


def _arg_extreme(x: Tensor, dim, keepdim: bool, op: str) -> Tensor:
    """Index of the first max / min (NumPy's argmax also picks the first NaN, like torch)."""
    module = xp(x._data)
    if dim is None:
        _check_nonempty(x, None, op, error=IndexError)
        flat_index = getattr(x._data.reshape(-1), op)()
        shape = (1,) * x.ndim if keepdim else ()
        return Tensor._make(module.asarray(flat_index, dtype=np.int64).reshape(shape))
    dim = _wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return Tensor._make(module.zeros((), dtype=np.int64))
    _check_nonempty(x, (dim,), op)
    return Tensor._make(getattr(x._data, op)(axis=dim, keepdims=keepdim).astype(np.int64))


@numpy_names
def argmax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _arg_extreme(x, dim, keepdim, "argmax")


@numpy_names
def argmin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _arg_extreme(x, dim, keepdim, "argmin")


@numpy_names
def logsumexp(x: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) computed as m + log(sum(exp(x - m))) with m the (detached) maximum."""
    dims = _dims(dim, x.ndim)
    m = amax(x, dims, keepdim=True).detach()
    m = where(m.isinf(), 0.0, m)  # all -inf (or +inf) slices: avoid inf - inf
    out = log(sum(exp(x - m), dims, keepdim=True)) + m
    return out if keepdim else reshape(out, tuple(s for i, s in enumerate(x.shape) if i not in dims))


@numpy_names
def softmax(x: Tensor, dim: int, dtype=None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    _floating(x, "softmax")
    return Softmax.apply(x, _wrap_dim(dim, x.ndim))


@numpy_names
def log_softmax(x: Tensor, dim: int, dtype=None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    _floating(x, "log_softmax")
    return LogSoftmax.apply(x, _wrap_dim(dim, x.ndim))


@numpy_names
def cumsum(x: Tensor, dim: int, dtype=None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    return Cumsum.apply(x, _wrap_dim(dim, x.ndim))


def _check_scatter_gather_index(x: Tensor, dim: int, index, op: str, src=None) -> None:
    """torch's checks (ATen's ScatterGatherChecks.h): same number of dims, index no larger than ``x``
    (and ``src``) off ``dim``, and every index inside ``x``'s size along ``dim``."""
    if index.ndim != x.ndim and not (index.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as "
                           f"{'input' if op == 'gather' else 'self'} tensor")
    shape, index_shape = x.shape or (1,), index.shape or (1,)
    for d in range(len(index_shape)):
        if d != dim and index_shape[d] > shape[d]:
            if src is None:
                raise RuntimeError(f"Size does not match at dimension {d} expected index {list(index.shape)} to be "
                                   f"no larger than self {list(x.shape)} apart from dimension {dim}")
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self {list(x.shape)} apart "
                               f"from dimension {dim} and to be no larger size than src {list(src.shape)}")
        if src is not None and index_shape[d] > (src.shape or (1,))[d]:
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self {list(x.shape)} apart "
                               f"from dimension {dim} and to be no larger size than src {list(src.shape)}")
    if index.numel():
        low, high = int(index._data.min()), int(index._data.max())
        if low < 0 or high >= shape[dim]:
            raise RuntimeError(f"index {low if low < 0 else high} is out of bounds for dimension {dim} "
                               f"with size {shape[dim]}")


@numpy_names
def gather(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """``out[i][j][k] = x[i][index[i][j][k]][k]`` for ``dim=1``; ``index`` int32 or int64 (any integer
    dtype when it is empty, as torch). A 0-d ``x`` is read as one entry along ``dim``."""
    dim = _wrap_dim(dim, x.ndim)
    if index.dtype not in (dtypes.int32, dtypes.int64) and index.numel():
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if not index.numel():  # nothing is read: an empty result of the index's shape, still in x's graph
        return reshape(reshape(x, (-1,))[0:0], index.shape)
    _check_scatter_gather_index(x, dim, index, "gather")
    if x.ndim == 0:  # torch: out has the index's shape
        return reshape(Gather.apply(reshape(x, (1,)), 0, index._data.reshape(-1)), index.shape)
    return Gather.apply(x, dim, index._data)


@numpy_names
def scatter_add(x: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``x`` plus ``src`` added at ``index`` along ``dim`` (out of place); int32 or int64 ``index``."""
    dim = _wrap_dim(dim, x.ndim)
    if index.dtype is not dtypes.int64 and index.dtype is not dtypes.int32:
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if src.dtype != x.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _check_scatter_gather_index(x, dim, index, "scatter_add", src)
    if x.ndim == 0:
        return reshape(scatter_add(reshape(x, (1,)), 0, reshape(index, (-1,)), reshape(src, (-1,))), ())
    return x + ScatterAdd.apply(src, dim, index._data, tuple(x.shape))


@numpy_names
def all(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    axis = None if dim is None else _dims(dim, x.ndim)
    return Tensor._make(xp(x._data).asarray(x._data.all(axis=axis, keepdims=keepdim)))


@numpy_names
def any(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    axis = None if dim is None else _dims(dim, x.ndim)
    return Tensor._make(xp(x._data).asarray(x._data.any(axis=axis, keepdims=keepdim)))


@numpy_names
def count_nonzero(x: Tensor, dim=None) -> Tensor:
    axis = None if dim is None else _dims(dim, x.ndim)
    return Tensor._make(xp(x._data).asarray(xp(x._data).count_nonzero(x._data, axis=axis), dtype=np.int64))


def norm(x: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """``torch.norm``: ``linalg.vector_norm`` for a number ``p``, ``linalg.matrix_norm`` for 'nuc' (see
    ``ops/linalg.py``)."""
    from .linalg import norm as torch_norm
    return torch_norm(x, p, dim, keepdim, dtype)
