"""Matrix products. One primitive, ``Matmul``, for operands of 2 or more dims with broadcast batch
dims; vectors are handled by the functional ``matmul`` through unsqueeze / squeeze, as torch does.

For ``out = a @ b``: ``grad_a = grad @ b^T`` and ``grad_b = a^T @ grad``, each summed over the batch
dims that broadcasting added.
"""
from __future__ import annotations

from ..autograd.function import Primitive
from ..autograd.tensor import Tensor
from .elementwise import _check_same_device, _promote
from .shape import transpose, unbroadcast, unsqueeze, squeeze


class Matmul(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        ctx.save_for_backward(a, b)
        a, b = _promote(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = unbroadcast(grad @ transpose(b, -1, -2), ctx.shapes[0]) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(transpose(a, -1, -2) @ grad, ctx.shapes[1]) if ctx.needs_input_grad[1] else None
        return ga, gb


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """torch.matmul: 1-d operands are treated as a row (left) or column (right) vector."""
    shape_a, shape_b = a._data.shape, b._data.shape
    if not shape_a or not shape_b:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    if type(a._data) is not type(b._data):
        _check_same_device(a, b)
    k_a = shape_a[-1]
    k_b = shape_b[-2] if len(shape_b) > 1 else shape_b[0]
    if k_a != k_b:
        rows = a.shape[-2] if a.ndim > 1 else 1
        cols = b.shape[-1] if b.ndim > 1 else 1
        if a.ndim <= 2 and b.ndim <= 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k_a} and {k_b}x{cols})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{k_a}] but got: [{k_b}].")
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
    return matmul(a, b)


def dot(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return matmul(a, b)


def outer(a: Tensor, b: Tensor) -> Tensor:
    return unsqueeze(a, 1) * unsqueeze(b, 0)


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
