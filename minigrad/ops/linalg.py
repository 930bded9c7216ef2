"""Matrix products. One primitive, ``Matmul``, for operands of 2 or more dims with broadcast batch
dims; vectors are handled by the functional ``matmul`` through unsqueeze / squeeze, as torch does.

For ``out = a @ b``: ``grad_a = grad @ b^T`` and ``grad_b = a^T @ grad``, each summed over the batch
dims that broadcasting added.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd.function import Primitive
from ..autograd.tensor import Tensor
from ..backend import xp
from ..threads import matmul as pool_matmul
from .elementwise import _check_same_device, _promote, broadcast_shapes_checked
from .shape import transpose, unbroadcast, unsqueeze, squeeze


class Matmul(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        ctx.save_for_backward(a, b)
        a, b = _promote(a, b)
        return pool_matmul(a, b) if type(a) is np.ndarray else a @ b  # NumPy's on minigrad's threads

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = unbroadcast(grad @ transpose(b, -1, -2), ctx.shapes[0]) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(transpose(a, -1, -2) @ grad, ctx.shapes[1]) if ctx.needs_input_grad[1] else None
        return ga, gb


def _c_type_name(dtype) -> str:
    """ATen's C++ type names, as in "expected m1 and m2 to have the same dtype, but got: float != double"."""
    name = dtypes.torch_scalar_name(dtype)
    return {"Long": "long int", "Half": "c10::Half", "BFloat16": "c10::BFloat16", "Byte": "unsigned char",
            "Char": "signed char", "Short": "short int"}.get(name, name.lower())


def _check_same_dtype(a: Tensor, b: Tensor, batched: bool = False) -> None:
    if a._data.dtype != b._data.dtype:
        if batched:
            raise RuntimeError(f"expected scalar type {dtypes.torch_scalar_name(a._data.dtype)} but found "
                               f"{dtypes.torch_scalar_name(b._data.dtype)}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_c_type_name(a._data.dtype)} != "
                           f"{_c_type_name(b._data.dtype)}")


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """torch.matmul: 1-d operands are treated as a row (left) or column (right) vector."""
    shape_a, shape_b = a._data.shape, b._data.shape
    if not shape_a or not shape_b:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    if type(a._data) is not type(b._data):
        _check_same_device(a, b)
    if a._data.dtype != b._data.dtype:
        _check_same_dtype(a, b, batched=len(shape_a) > 2 or len(shape_b) > 2)
    k_a = shape_a[-1]
    k_b = shape_b[-2] if len(shape_b) > 1 else shape_b[0]
    if k_a != k_b:
        rows = a.shape[-2] if a.ndim > 1 else 1
        cols = b.shape[-1] if b.ndim > 1 else 1
        if a.ndim <= 2 and b.ndim <= 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k_a} and {k_b}x{cols})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{k_a}] but got: [{k_b}].")
    if len(shape_a) > 2 and len(shape_b) > 2:
        broadcast_shapes_checked(shape_a[:-2], shape_b[:-2])
    if a.ndim == 1 and b.ndim == 1:
        return squeeze(Matmul.apply(unsqueeze(a, 0), unsqueeze(b, 1)))
    if a.ndim == 1:
        return squeeze(Matmul.apply(unsqueeze(a, 0), b), -2)
    if b.ndim == 1:
        return squeeze(Matmul.apply(a, unsqueeze(b, 1)), -1)
    return Matmul.apply(a, b)


def mm(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError("self must be a matrix" if a.ndim != 2 else "mat2 must be a matrix")
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if a.ndim != 3 else "batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, {a.shape[2]}] "
                           f"but got: [{b.shape[0]}, {b.shape[1]}].")
    _check_same_dtype(a, b, batched=True)
    return matmul(a, b)


def dot(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{dtypes.torch_scalar_name(a._data.dtype)} and {dtypes.torch_scalar_name(b._data.dtype)}")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the "
                           f"same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")
    return matmul(a, b)


def outer(a: Tensor, b: Tensor) -> Tensor:
    for name, v in (("self", a), ("vec2", b)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return unsqueeze(a, 1) * unsqueeze(b, 0)


# ---- norms and the SVD --------------------------------------------------------------------------
# Letters: ``...`` batch dims, m x n a matrix, k = min(m, n) singular values.

_INF = float("inf")


def _norm_dims(dim, ndim: int) -> tuple:
    """``dim`` (None, an int or a sequence) as sorted non-negative dims; torch's error for a repeat."""
    from ..autograd.tensor import _wrap_dim
    if dim is None or isinstance(dim, (tuple, list)) and len(dim) == 0:
        return tuple(range(ndim))
    wrapped = [_wrap_dim(d, ndim) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))]
    for k, d in enumerate(wrapped):
        if d in wrapped[:k]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(sorted(wrapped)) if ndim else ()


class VectorNorm(Primitive):
    """``(sum |x|^ord)^(1/ord)`` over ``dims``, with ord 0 (count of non-zeros), inf (max |x|) and -inf
    (min |x|). The backward is torch's ``linalg_vector_norm_backward``: zero entries and a zero norm get
    a zero gradient rather than 0 * inf, and the extremes of the inf norms share it evenly."""

    @staticmethod
    def forward(ctx, x, ord, dims, keepdim):
        module = xp(x)
        size = module.abs(x)
        if ord == _INF:
            out = size.max(axis=dims, keepdims=True)
        elif ord == -_INF:
            out = size.min(axis=dims, keepdims=True)
        elif ord == 0:
            out = (x != 0).sum(axis=dims, keepdims=True).astype(x.dtype)
        elif ord == 1:
            out = size.sum(axis=dims, keepdims=True)
        elif ord == 2:
            out = module.sqrt((x * x).sum(axis=dims, keepdims=True))
        else:
            out = (size ** ord).sum(axis=dims, keepdims=True) ** (1.0 / ord)
        ctx.ord, ctx.keep_shape = ord, out.shape
        if not keepdim:
            out = out.reshape(tuple(s for i, s in enumerate(x.shape) if i not in dims))
        ctx.save_for_backward(x, out)  # the output itself, so that double backward sees its graph
        return out

    @staticmethod
    def backward(ctx, grad):
        from .elementwise import abs as absolute, sign, where
        from .reduction import sum
        from .shape import reshape
        x, norm = ctx.saved_tensors
        grad, norm = reshape(grad, ctx.keep_shape), reshape(norm, ctx.keep_shape)
        ord = ctx.ord
        if ord == 0:
            from ..autograd.creation import zeros_like
            return zeros_like(x)  # a count: no gradient
        if ord == 1:
            return sign(x) * grad
        if ord in (_INF, -_INF):
            is_extreme = absolute(x) == norm
            count = sum(is_extreme.to(grad.dtype), _reduced(ctx.keep_shape, x.shape), keepdim=True)
            return sign(x) * where(is_extreme, grad / count, 0.0)
        is_zero_norm = norm == 0
        safe_norm = where(is_zero_norm, 1.0, norm)     # keeps 0 ** negative out of the discarded branch
        if ord == 2:
            return x * where(is_zero_norm, 0.0, grad / safe_norm)
        is_zero = x == 0
        scaled = sign(x) * absolute(where(is_zero, 1.0, x)) ** (ord - 1)   # sgn(x) |x|^(ord-1), 0 at x = 0
        if ord < 1:
            return where(is_zero, 0.0, scaled) * grad * norm ** (1 - ord)
        return where(is_zero, 0.0, scaled) * where(is_zero_norm, 0.0, grad / safe_norm ** (ord - 1))


def _reduced(keep_shape, shape) -> tuple:
    """The dims a keepdim result of ``keep_shape`` reduced from ``shape``."""
    return tuple(i for i, (k, s) in enumerate(zip(keep_shape, shape)) if k == 1 and s != 1)


class Svd(Primitive):
    """The reduced SVD ``A = U diag(S) Vh`` of the last two dims (NumPy's / CuPy's ``svd``).

    The backward is torch's ``svd_backward`` for real matrices, written with other primitives so it
    differentiates again (E_jk = S_k^2 - S_j^2 off the diagonal, 1 on it; skew(X) = X - X^T)::

        gA = U [(skew(U^T gU) / E) S + S (skew(V^T gV) / E) + diag(gS)] Vh
             + (I - U U^T) gU S^-1 Vh  + U S^-1 gVh (I - V Vh)

    An output that got no gradient contributes nothing (so the nuclear norm's gradient is U Vh even
    where singular values repeat, when E has zeros)."""

    @staticmethod
    def forward(ctx, a):
        u, s, vh = xp(a).linalg.svd(a, full_matrices=False)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, grad_u, grad_s, grad_vh):
        from ..autograd.creation import eye
        from .elementwise import where
        from .shape import transpose, unsqueeze
        u, s, vh = ctx.saved_tensors
        m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
        identity = eye(k, dtype=s.dtype, device=s.device)                      # (k, k)
        s_row, s_col = unsqueeze(s, -2), unsqueeze(s, -1)                      # (..., 1, k), (..., k, 1)
        inner = 0.0 if grad_s is None else unsqueeze(grad_s, -1) * identity   # (..., k, k) diag(gS)
        if grad_u is None and grad_vh is None:
            return u @ (inner * identity) @ vh if grad_s is not None else None
        e = where(identity.bool(), 1.0, s_row * s_row - s_col * s_col)        # (..., k, k)
        v = transpose(vh, -2, -1)                                               # (..., n, k)
        if grad_u is not None:
            j = transpose(u, -2, -1) @ grad_u                                   # (..., k, k)
            inner = inner + (j - transpose(j, -2, -1)) / e * s_row
        if grad_vh is not None:
            kk = vh @ transpose(grad_vh, -2, -1)                                # (..., k, k) V^T gV
            inner = inner + s_col * ((kk - transpose(kk, -2, -1)) / e)
        grad_a = u @ inner @ vh                                                 # (..., m, n)
        if grad_u is not None and m > k:
            grad_a = grad_a + ((grad_u - u @ (transpose(u, -2, -1) @ grad_u)) / s_row) @ vh
        if grad_vh is not None and n > k:
            grad_a = grad_a + u @ ((grad_vh - (grad_vh @ v) @ vh) / s_col)
        return grad_a


def svd(a: Tensor, full_matrices: bool = True):
    """``torch.linalg.svd`` with ``full_matrices=False`` (the reduced SVD, the differentiable one)."""
    if a.ndim < 2:
        raise RuntimeError(f"linalg.svd: The input tensor A must have at least 2 dimensions.")
    if full_matrices:
        raise NotImplementedError("minigrad's svd is the reduced one: pass full_matrices=False")
    return Svd.apply(a)


def svdvals(a: Tensor) -> Tensor:
    if a.ndim < 2:
        raise RuntimeError("linalg.svdvals: The input tensor A must have at least 2 dimensions.")
    return Svd.apply(a)[1]


def _ord_name(ord) -> str:
    return str(int(ord)) if isinstance(ord, float) and abs(ord) != _INF and ord == int(ord) else str(ord)


def _floating_input(x: Tensor, op: str, dtype) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    if not x.is_floating_point():
        raise RuntimeError(f"linalg.{op}: Expected a floating point or complex tensor as input. "
                           f"Got {x.dtype.name.capitalize() if x.dtype.name != 'int64' else 'Long'}")
    return x


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``torch.linalg.vector_norm``: ``(sum |x|^ord)^(1/ord)`` over ``dim`` (all dims when None);
    ord inf / -inf: the max / min of |x|; ord 0: the number of non-zeros.

        >>> minigrad.linalg.vector_norm(minigrad.tensor([3.0, -4.0, 0.0]), 0)
        tensor(2.)
    """
    if isinstance(ord, (str, bool)) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not {type(ord).__name__}")
    x = _floating_input(x, "vector_norm", dtype)
    dims = _norm_dims(dim, x.ndim)
    if ord < 0 or ord == _INF:
        if x.numel() == 0 and (dim is None or isinstance(dim, (tuple, list)) and len(dim) == 0):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_name(ord)} norm on an empty tensor "
                               f"because the operation does not have an identity")
        for d in dims:
            if x.ndim and x.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_name(ord)} norm on the dimension "
                                   f"{d}because this dimension is empty and the operation does not have an identity")
    if x.ndim == 0:
        dims = ()
    return VectorNorm.apply(x, float(ord), dims, bool(keepdim))


_MATRIX_ORDS = ("fro", "nuc", _INF, -_INF, 1, -1, 2, -2)


def matrix_norm(a: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """``torch.linalg.matrix_norm`` over the two ``dim``: 'fro' (the 2-norm of the entries), 'nuc'
    (the sum of the singular values), 2 / -2 (the largest / smallest singular value), 1 / -1 (the max /
    min absolute column sum), inf / -inf (the max / min absolute row sum)."""
    from .elementwise import abs as absolute
    from .reduction import amax, amin, sum
    from .shape import movedim, reshape
    a = _floating_input(a, "matrix_norm", dtype)
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    dim = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
    from ..autograd.tensor import _wrap_dim
    rows, cols = (_wrap_dim(d, a.ndim) for d in dim)
    if rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord == "fro":
        return vector_norm(a, 2, (rows, cols), keepdim)
    if ord in ("nuc", 2, -2):
        # the singular values of each (rows, cols) matrix, those two dims moved last
        values = svdvals(movedim(a, (rows, cols), (-2, -1)))                  # (..., k)
        if ord == "nuc":
            out = sum(values, -1)
        else:
            if values.shape[-1] == 0 and ord == -2:  # torch's amin on no singular values
                raise IndexError("amin(): Expected reduction dim -1 to have non-zero size.")
            out = (amax if ord == 2 else amin)(values, -1) if values.shape[-1] else sum(values, -1)
        if keepdim:
            shape = list(a.shape)
            shape[rows] = shape[cols] = 1
            out = reshape(out, tuple(shape))
        return out
    # 1 / -1: over rows first then the extreme column sum; inf / -inf: the other way round
    summed, extreme_dim = (rows, cols) if ord in (1, -1) else (cols, rows)
    sums = sum(absolute(a), summed, keepdim=True)
    pick = amax if ord in (1, _INF) else amin
    if sums.shape[extreme_dim] == 0 and pick is amax:  # an empty matrix: torch's 0 (amin is its error)
        out = sum(sums, extreme_dim, keepdim=True)
    else:
        out = pick(sums, extreme_dim, keepdim=True)
    return out if keepdim else reshape(out, tuple(s for i, s in enumerate(a.shape) if i not in (rows, cols)))


def linalg_norm(a: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``torch.linalg.norm``, as ATen's ``linalg_norm`` decides: a string ``ord`` is a matrix norm over
    ``dim`` (default (0, 1)); a number is a matrix norm over a 2-tuple ``dim`` (or of a 2-D input when
    ``dim`` is None) and a vector norm otherwise; no ``ord`` is the 2-norm of the entries over ``dim``."""
    if dim is not None:
        dims = list(dim) if isinstance(dim, (tuple, list)) else [dim]
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {dims}")
    elif ord is not None and a.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {a.ndim}D.")
    if isinstance(ord, str):
        return matrix_norm(a, ord, (0, 1) if dim is None else dims, keepdim, dtype=dtype)
    if ord is not None and (len(dims) == 2 if dim is not None else a.ndim == 2):
        return matrix_norm(a, ord, (0, 1) if dim is None else dims, keepdim, dtype=dtype)
    return vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def norm(x: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """``torch.norm`` (as torch.functional writes it): a number ``p`` is ``vector_norm`` over ``dim``
    (all dims when None); 'fro' with at most 2 dims is the 2-norm; 'nuc' (or 'fro' over more dims) is
    ``matrix_norm`` over ``dim`` (all dims when None, so a 2-D input).

        >>> minigrad.norm(minigrad.tensor([[1.0, -2.0], [0.0, 2.0]]), float("-inf"))
        tensor(0.)
    """
    dims = None if dim is None else (list(dim) if isinstance(dim, (tuple, list)) else [dim])
    if isinstance(p, str):
        if p == "fro" and (dims is None or len(dims) <= 2):
            return vector_norm(x, 2, dims, keepdim, dtype=dtype)
        return matrix_norm(x, p, list(range(x.ndim)) if dims is None else dims, keepdim, dtype=dtype)
    return vector_norm(x, 2.0 if p is None else p, dims, keepdim, dtype=dtype)


# ---- einsum, addmm, addbmm, baddbmm (issue 12) ------------------------------------------------
#
# Einsum's backward for operand k is one einsum again: the output-gradient and the other operands
# contracted into operand k's subscripts. Two cases need more than that:
#   - a letter only operand k has (summed away, e.g. 'ij->i'): the gradient is constant along it,
#     so a ones vector of that size joins the contraction;
#   - a letter repeated in operand k ('ii->i'): the gradient lives on the diagonal only; each repeat
#     gets a fresh letter tied to the first by an identity matrix ('i,iJ->iJ' with eye 'iJ').
# Ellipses are expanded into explicit letters first, and operands broadcast along them are expanded
# by the functional einsum (Expand's backward sums them back).

import builtins as _builtins
import string as _string

from .. import backend as _backend


class Einsum(Primitive):
    @staticmethod
    def forward(ctx, equation, *operands):
        ctx.equation, ctx.shapes = equation, [o.shape for o in operands]
        ctx.save_for_backward(*operands)
        operands = _promote(*operands) if len(operands) > 1 else operands
        return _backend.xp(operands[0]).einsum(equation, *operands)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        inputs, output = ctx.equation.split("->")
        subscripts = inputs.split(",")
        sizes = {}
        for sub, shape in zip(subscripts, ctx.shapes):
            sizes.update(zip(sub, shape))
        free = [c for c in _string.ascii_letters if c not in sizes]
        grads = [None]
        for k, sub in enumerate(subscripts):
            if not ctx.needs_input_grad[k + 1]:
                grads.append(None)
                continue
            others = [(s, o) for j, (s, o) in enumerate(zip(subscripts, operands)) if j != k]
            terms = [(output, grad)] + others
            present = set("".join(s for s, _ in terms))
            target, seen, extra = [], set(), []
            module = _backend.xp(grad._data)
            for c in sub:
                if c in seen:  # a repeated letter: a fresh one, tied by an identity matrix
                    fresh = free.pop()
                    extra.append((c + fresh, Tensor._make(module.eye(sizes[c], dtype=grad._data.dtype))))
                    target.append(fresh)
                    continue
                seen.add(c)
                target.append(c)
                if c not in present:
                    extra.append((c, Tensor._make(module.ones(sizes[c], dtype=grad._data.dtype))))
                    present.add(c)
            terms += extra
            equation = ",".join(s for s, _ in terms) + "->" + "".join(target)
            grads.append(Einsum.apply(equation, *[t for _, t in terms]))
        return tuple(grads)


def _einsum_equation(equation: str, operands):
    """``equation`` without spaces and ellipses, with an explicit output; and the operands expanded
    where an ellipsis broadcasts them."""
    equation = equation.replace(" ", "")
    if "->" in equation:
        inputs, output = equation.split("->")
        explicit = True
    else:
        inputs, output, explicit = equation, None, False
    subscripts = inputs.split(",")
    if len(subscripts) != len(operands):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the equation"
                           if len(operands) > len(subscripts) else
                           "einsum(): fewer operands were provided than specified in the equation")
    used = set(c for c in equation if c.isalpha())
    for c in equation:
        if not (c.isalpha() or c in ",.->"):
            raise RuntimeError(f"einsum(): invalid subscript given at index {equation.index(c)} in the equation "
                               f"string, subscripts must be in [a-zA-Z]")
    spare = [c for c in _string.ascii_letters[::-1] if c not in used]
    ellipsis_ndim = 0
    for sub, op in zip(subscripts, operands):
        letters = len(sub.replace("...", ""))
        if "..." in sub:
            ellipsis_ndim = _builtins.max(ellipsis_ndim, op.ndim - letters)
        elif letters != op.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({letters}) does not match the "
                               f"number of dimensions ({op.ndim}) for operand {subscripts.index(sub)} and no "
                               f"ellipsis was given")
    ellipsis_letters = "".join(spare[:ellipsis_ndim][::-1])
    new_subs, new_ops = [], []
    sizes = {}
    for sub, op in zip(subscripts, operands):
        if "..." in sub:
            n = op.ndim - len(sub.replace("...", ""))
            sub = sub.replace("...", ellipsis_letters[ellipsis_ndim - n:] if n else "")
        new_subs.append(sub)
        for c, s in zip(sub, op.shape):
            if s != 1:
                if sizes.get(c, s) != s:
                    raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes (original->remapped)")
                sizes[c] = s
    for sub, op in zip(new_subs, operands):
        # a size-1 dim facing a larger one broadcasts (torch): expand it
        shape = tuple(sizes.get(c, s) if s == 1 else s for c, s in zip(sub, op.shape))
        if len(set(sub)) == len(sub) and shape != tuple(op.shape):
            op = op.expand(shape)
        new_ops.append(op)
    if not explicit:
        counts = {c: "".join(new_subs).count(c) for c in set("".join(new_subs))}
        output = ellipsis_letters + "".join(sorted((c for c in counts if counts[c] == 1 and c not in ellipsis_letters),
                                                   key=lambda c: (c.islower(), c)))
    else:
        output = output.replace("...", ellipsis_letters)
        for c in output:
            if c not in "".join(new_subs):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input operand")
    return ",".join(new_subs) + "->" + output, new_ops


def _sublist_equation(arguments):
    """torch's sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as ``('ab,bc->ac', a, b)``:
    integers 0-51 name the letters a-z, A-Z; ``...`` (Ellipsis) stays an ellipsis."""
    def letters(sublist):
        out = []
        for s in sublist:
            if s is Ellipsis:
                out.append("...")
            elif not isinstance(s, int) or not 0 <= s < 52:
                raise ValueError(f"einsum(): expected subscript to be within the range [0, 52), but got {s}")
            else:
                out.append(_string.ascii_letters[s])
        return "".join(out)
    operands = list(arguments[0::2])
    subscripts = [letters(sub) for sub in arguments[1::2]]
    equation = ",".join(subscripts[:len(operands)])
    if len(arguments) % 2:  # an output sublist last
        operands = operands[:-1]
        equation = ",".join(subscripts[:len(operands)]) + "->" + letters(arguments[-1])
    return equation, operands


def einsum(equation, *operands) -> Tensor:
    """torch.einsum: ``einsum('ij,jk->ik', a, b)``; the operands may also come as one list, or in
    torch's sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``."""
    if isinstance(equation, Tensor):
        equation, operands = _sublist_equation((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    equation, operands = _einsum_equation(equation, operands)
    return Einsum.apply(equation, *operands)


def _scaled(t: Tensor, factor):
    return t if factor == 1 else t * factor


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2); with beta = 0 ``input`` is ignored (NaN included)."""
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1.ndim}-D tensor" if mat1.ndim != 2 else
                           f"mat2 must be a matrix, got {mat2.ndim}-D tensor")
    product = _scaled(mm(mat1, mat2), alpha)
    if beta == 0:
        return _beta_zero(input, product)
    return _scaled(input, beta) + product


def _beta_zero(input: Tensor, product: Tensor) -> Tensor:
    """torch ignores input when beta is 0, but still broadcasts to its shape and gives it a zero gradient."""
    from .elementwise import where
    return where(_backend.xp(product._data).ones((), dtype=bool), product, input)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * sum_b batch1[b] @ batch2[b]."""
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if batch1.ndim != 3 else "batch2 must be a 3D tensor")
    b, n, m = batch1.shape
    if batch2.shape[0] != b:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {b} and {batch2.shape[0]}")
    if batch2.shape[1] != m:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({n}x{m} and {batch2.shape[1]}x{batch2.shape[2]})")
    # one GEMM over the joined (batch, inner) dims: (n, b*m) @ (b*m, p), summed as torch does
    joined = batch1.permute(1, 0, 2).reshape(n, b * m)
    product = _scaled(mm(joined, batch2.reshape(b * m, batch2.shape[2])), alpha)
    if beta == 0:
        return _beta_zero(input, product)
    return _scaled(input, beta) + product


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * batch1 @ batch2, per batch."""
    product = _scaled(bmm(batch1, batch2), alpha)
    if beta == 0:
        return _beta_zero(input, product)
    return _scaled(input, beta) + product
