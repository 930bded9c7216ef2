"""Distances between vectors, with torch.nn.functional's names: cosine_similarity, pairwise_distance, pdist.

Both broadcast their two inputs (torch's message when they cannot) and reduce one dim. The vector
norm here follows torch's ``linalg.vector_norm`` for every ``p`` (0, 1, 2, inf, -inf, any other),
including its gradient rules: 0 where the norm is 0 (p = 2), ties of the inf-norm share the gradient.
"""
from __future__ import annotations

import numpy as np

from ... import backend
from ...autograd.tensor import Tensor
from ...ops import elementwise as E
from ...ops import reduction as R

__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]

_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _broadcast_shape(a_shape, b_shape) -> tuple:
    """The broadcast of two shapes, or torch's error naming the first mismatching dim from the right."""
    ndim = max(len(a_shape), len(b_shape))
    a = (1,) * (ndim - len(a_shape)) + tuple(a_shape)
    b = (1,) * (ndim - len(b_shape)) + tuple(b_shape)
    out = []
    for d in reversed(range(ndim)):
        if a[d] != b[d] and a[d] != 1 and b[d] != 1:
            raise RuntimeError(f"The size of tensor a ({a[d]}) must match the size of tensor b ({b[d]}) "
                               f"at non-singleton dimension {d}")
        out.append(a[d] if b[d] == 1 else b[d])
    return tuple(reversed(out))


def _wrap_dim(dim: int, ndim: int) -> int:
    low, high = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not low <= dim <= high:
        raise IndexError(f"Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})")
    return dim % max(ndim, 1)


def _common_float(x1: Tensor, x2: Tensor, op: str) -> tuple:
    """Cast an integer input to the other's floating dtype; two integer inputs are torch's error."""
    f1, f2 = x1.is_floating_point(), x2.is_floating_point()
    if not f1 and not f2:
        name = _TYPE_NAMES.get(x1.dtype.name, x1.dtype.name)
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {name}")
    if not f1:
        x1 = x1.to(x2.dtype)
    elif not f2:
        x2 = x2.to(x1.dtype)
    elif x1.dtype != x2.dtype:  # promote to the wider float
        wide = x1.dtype if x1._data.dtype.itemsize >= x2._data.dtype.itemsize else x2.dtype
        x1, x2 = x1.to(wide), x2.to(wide)
    return x1, x2


def vector_norm(x: Tensor, p: float = 2.0, dim=None, keepdim: bool = False) -> Tensor:
    """(sum |x|^p)^(1/p) over ``dim``; p = inf / -inf: max / min |x|; p = 0: the count of nonzeros."""
    p = float(p)
    if x.dim() == 0:  # torch treats a scalar as a 1-vector along dim 0 / -1
        x = x.reshape(1)
        out = vector_norm(x, p, 0, keepdim=False)
        return out
    if p == 2.0:
        return R.SqrtOfSquares.apply(R.sum(x * x, dim, keepdim))
    if p == 1.0:
        return R.sum(E.abs(x), dim, keepdim)
    if p == float("inf"):
        return R.amax(E.abs(x), dim if dim is not None else (), keepdim)
    if p == float("-inf"):
        return R.amin(E.abs(x), dim if dim is not None else (), keepdim)
    if p == 0.0:
        # the count of nonzeros; torch's gradient is 0, so x enters only as x * 0
        count = (x != 0).to(x.dtype)
        return R.sum(count.detach() + x * 0.0, dim, keepdim)
    return R.sum(E.abs(x) ** p, dim, keepdim) ** (1.0 / p)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps)) along ``dim``, after broadcasting.

    As torch (ATen ``cosine_similarity``), each input is divided by its own clamped norm (the result
    stays in [-1, 1]), and the clamp is done outside autograd: the gradient flows through the norm
    as if unclamped.
    """
    x1, x2 = _common_float(x1, x2, "cosine_similarity")
    shape = _broadcast_shape(x1.shape, x2.shape)
    dim = _wrap_dim(dim, len(shape))
    if tuple(x1.shape) != shape:
        x1 = x1.expand(*shape)
    if tuple(x2.shape) != shape:
        x2 = x2.expand(*shape)

    def normalised(x):
        norm = vector_norm(x, 2, dim, keepdim=True)                      # (..., 1, ...)
        # value max(norm, eps), gradient of norm: the clamp is torch's in-place clamp under no_grad
        clamped = norm + (E.clamp(norm.detach(), min=eps) - norm.detach())
        return x / clamped

    return R.sum(normalised(x1) * normalised(x2), dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim of the broadcast shape (torch's formula, eps inside)."""
    x1, x2 = _common_float(x1, x2, "pairwise_distance")
    shape = _broadcast_shape(x1.shape, x2.shape)
    innermost = max(x1.dim(), x2.dim()) - 1
    difference = x1 - x2 + eps
    if not shape:
        return vector_norm(difference, p, 0, keepdim)
    return vector_norm(difference, p, innermost, keepdim)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """||x_i - x_j||_p for every pair of rows i < j of an (N, M) input, in row-major order: N (N - 1) / 2 values."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    first, second = np.triu_indices(n, 1)                                   # (P,) each, P = N (N - 1) / 2
    xp = backend.xp(input._data)
    rows_i = input.index_select(0, Tensor._make(xp.asarray(first)))          # (P, M)
    rows_j = input.index_select(0, Tensor._make(xp.asarray(second)))         # (P, M)
    if first.size == 0:
        return (rows_i - rows_j).sum(1)                                      # (0,)
    return vector_norm(rows_i - rows_j, p, 1)
