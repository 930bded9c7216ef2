"""Sorting and scans: sort, argsort, topk, cumprod (issue 12).

sort / topk compute the order on arrays, then take their values with ``Gather``, so the gradient
is a scatter of the output-gradient back to where each value came from (and double backward is
``Gather`` again).

Ties: minigrad always sorts stably (NumPy's ``kind='stable'``), so equal values keep their input
order, in both directions. That is torch's order for ``stable=True``; with torch's default
``stable=False`` torch may order ties differently (its CPU sort is in practice stable too). NaN sorts
as the largest value, as in torch.

cumprod's gradient, for out_j = prod_{i<=j} x_i: grad_x_k = sum_{j>=k} g_j prod_{i<=j, i!=k} x_i.
Without zeros this is revcumsum(g * out) / x; with zeros (where that divides by zero) it is
computed as written, with one cumprod per k (torch's ``cumprod_backward`` special-cases zeros too).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd.function import Primitive
from ..autograd.tensor import Tensor, _wrap_dim
from ..backend import xp
from .reduction import Gather, cumsum, sum as _sum
from .shape import flip, reshape, unsqueeze
from .elementwise import where

_sort_type = namedtuple("sort", ["values", "indices"])
_topk_type = namedtuple("topk", ["values", "indices"])


def _stable_order(data, dim: int, descending: bool):
    """Indices that sort ``data`` along ``dim``, ties in input order (both directions)."""
    module = xp(data)
    if not descending:
        return module.argsort(data, axis=dim, kind="stable")
    # descending: an ascending stable sort of the reversed input, reversed, keeps ties in order
    n = data.shape[dim]
    reversed_order = module.argsort(module.flip(data, axis=dim), axis=dim, kind="stable")
    return (n - 1 - module.flip(reversed_order, axis=dim)).astype(np.int64)


def _copy_0d(x: Tensor) -> Tensor:
    """A 0-d tensor's own copy, in the graph (a 0-d sort or topk)."""
    return reshape(Gather.apply(reshape(x, (1,)), 0, xp(x._data).zeros((1,), dtype=np.int64)), ())


def _check_sortable(x: Tensor, op: str):
    if x._data.dtype == np.bool_ and op == "topk":
        raise RuntimeError('"topk_cpu" not implemented for \'Bool\'')


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """(values, indices) of ``input`` sorted along ``dim``; ``stable`` is accepted, sorting always is."""
    if input.ndim == 0:
        _wrap_dim(dim, 0)
        return _sort_type(_copy_0d(input), Tensor._make(xp(input._data).zeros((), dtype=np.int64)))
    dim = _wrap_dim(dim, input.ndim)
    order = _stable_order(input._data, dim, descending).astype(np.int64, copy=False)
    return _sort_type(Gather.apply(input, dim, order), Tensor._make(order))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    return sort(input, dim, descending, stable).indices


def msort(input: Tensor) -> Tensor:
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """(values, indices) of the ``k`` largest (``largest=False``: smallest) entries along ``dim``."""
    _check_sortable(input, "topk")
    dim = _wrap_dim(dim, input.ndim)
    size = input.shape[dim] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        return _topk_type(_copy_0d(input), Tensor._make(xp(input._data).zeros((), dtype=np.int64)))
    order = _stable_order(input._data, dim, largest).astype(np.int64, copy=False)
    order = xp(order).ascontiguousarray(order[(slice(None),) * dim + (slice(0, k),)])
    return _topk_type(Gather.apply(input, dim, order), Tensor._make(order))


class Cumprod(Primitive):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        ctx.save_for_backward(x)
        if x.ndim == 0:
            return x.astype(np.int64 if x.dtype.kind in "bui" else x.dtype)
        out = xp(x).cumprod(x, axis=dim, dtype=np.int64 if x.dtype.kind in "bui" else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        dim = ctx.dim
        if x.ndim == 0:
            return grad
        n = x.shape[dim]
        if n == 0:
            return grad
        if not bool((x._data == 0).any()):
            out = cumprod(x, dim)
            return flip(cumsum(flip(grad * out, dim), dim), dim) / x
        # with zeros: grad_x_k = sum_{j>=k} g_j prod_{i<=j, i!=k} x_i, one row per k (dim dim+1 is j)
        module = xp(x._data)
        eye = module.eye(n, dtype=bool).reshape((n, n) + (1,) * (x.ndim - 1 - dim))  # (k, i, ...)
        rows = where(eye, 1.0, unsqueeze(x, dim))                       # (..., k, i, ...): x with x_k = 1
        products = cumprod(rows, dim + 1)                                # (..., k, j, ...)
        after = module.triu(module.ones((n, n), dtype=bool)).reshape(eye.shape)  # j >= k
        terms = where(after, products * unsqueeze(grad, dim), 0.0)
        return _sum(terms, dim + 1)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    return Cumprod.apply(input, _wrap_dim(dim, input.ndim))
