"""Matrix products. One primitive, ``Matmul``, for operands of 2 or more dims with broadcast batch
dims; vectors are handled by the functional ``matmul`` through unsqueeze / squeeze, as torch does.

For ``out = a @ b``: ``grad_a = grad @ b^T`` and ``grad_b = a^T @ grad``, each summed over the batch
dims that broadcasting added.
"""
from __future__ import annotations

from .. import dtypes
from ..autograd.function import Primitive
from ..autograd.tensor import Tensor
from .elementwise import _check_same_device, _promote, broadcast_shapes_checked
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
