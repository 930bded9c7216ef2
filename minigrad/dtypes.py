"""Data types and torch's type-promotion rules.

``minigrad.float32`` and friends are ``dtype`` objects that wrap a NumPy dtype. Promotion follows
torch, not NumPy: the result of an operation is decided by category (bool < integer < floating) and,
within a category, by the dimensioned tensors first; a zero-dimensional tensor or a Python scalar
only decides the result when it is of a higher category. So ``float32_tensor * 2.5`` stays float32
and ``int64_tensor * 2.5`` becomes the default float dtype (float32).
"""
from __future__ import annotations

import numpy as np


class dtype:
    """A tensor element type (``minigrad.float32`` ...), with torch's names."""

    __slots__ = ("name", "numpy", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, numpy_dtype):
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        self.is_floating_point = self.numpy.kind == "f"
        self.is_signed = self.numpy.kind in "fi"
        self.itemsize = self.numpy.itemsize

    def __repr__(self):
        return f"minigrad.{self.name}"

    def __reduce__(self):  # pickles as the module-level singleton
        return (_from_name, (self.name,))


bool_ = dtype("bool", np.bool_)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)

_ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NUMPY = {d.numpy: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, long=int64, int=int32, short=int16)

_default_float = float32


def _from_name(name: str) -> dtype:
    return _BY_NAME[name]


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d) -> None:
    """Set the dtype of new floating tensors (float32 unless changed), as ``torch.set_default_dtype``."""
    global _default_float
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


def as_dtype(d) -> dtype:
    """Accept a minigrad dtype, a NumPy dtype or type, or a name such as ``'float32'``."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return _default_float
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    try:
        return _BY_NUMPY[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"minigrad does not support dtype {d!r}") from None


def from_numpy_dtype(numpy_dtype) -> dtype:
    try:
        return _BY_NUMPY[np.dtype(numpy_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(numpy_dtype).type.__name__}. The only supported types "
            "are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


# torch's ScalarType names (c10/core/ScalarType.h), by NumPy dtype name: what torch's messages call a
# dtype ("expected scalar type Float but found Double", "[torch.LongTensor [3]]")
_TORCH_SCALAR_NAMES = {
    "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
    "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64",
    "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
    "complex64": "ComplexFloat", "complex128": "ComplexDouble", "bool": "Bool",
}


def torch_scalar_name(d) -> str:
    """torch's name for dtype ``d`` (a minigrad or NumPy dtype, or a name): ``"Float"`` for float32,
    ``"Long"`` for int64; a dtype torch has no name for keeps its own."""
    name = d if isinstance(d, str) else d.name
    return _TORCH_SCALAR_NAMES.get(name, name)


def _category(d: np.dtype) -> int:
    return {"b": 0, "u": 1, "i": 1, "f": 2}[d.kind]


def promote_types(a, b) -> np.dtype:
    """``torch.promote_types`` on NumPy dtypes: the higher category wins; within one, the wider."""
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    if ca == 1 and {a, b} == {np.dtype(np.uint8), np.dtype(np.int8)}:
        return np.dtype(np.int16)
    return np.promote_types(a, b)


def _scalar_dtype(value) -> np.dtype:
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(value, (float, np.floating)):
        return _default_float.numpy
    raise TypeError(f"unsupported operand type: {type(value).__name__}")


def _combine(higher, lower):
    """torch's ``combine_categories``: keep ``higher`` unless ``lower`` is of a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if _category(higher) == 2:
        return higher
    if _category(higher) == 0 or _category(lower) == 2:
        return promote_types(higher, lower)
    return higher


def result_type(*operands) -> np.dtype:
    """The dtype torch gives to an operation on ``operands`` (arrays of tensors, or Python scalars).

    Operands are arrays (the values of tensors) or Python numbers. Dimensioned arrays decide first,
    then zero-dimensional arrays, then Python scalars; each lower group only matters when it is of a
    higher category.
    """
    groups = [None, None, None]  # dimensioned arrays, zero-dim arrays, Python scalars
    for x in operands:
        if hasattr(x, "dtype") and hasattr(x, "ndim"):
            slot, d = (0 if x.ndim > 0 else 1), np.dtype(x.dtype)
        else:
            slot, d = 2, _scalar_dtype(x)
        groups[slot] = d if groups[slot] is None else promote_types(groups[slot], d)
    return _combine(groups[0], _combine(groups[1], groups[2]))
