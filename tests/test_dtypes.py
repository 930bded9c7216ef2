"""dtypes and torch's type promotion (minigrad/dtypes.py), with torch as the oracle."""
import itertools

import numpy as np
import pytest

import minigrad

DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]


def _operand(module, kind, dtype):
    """A dimensioned tensor, a 0-dim tensor, or a Python scalar of a dtype's category."""
    if kind == "scalar":
        return {"bool": True, "int32": 3, "int64": 3, "float16": 2.5, "float32": 2.5, "float64": 2.5}[dtype]
    value = [1, 0] if kind == "tensor" else 1
    return module.tensor(value, dtype=getattr(module, dtype))


CASES = [(ka, da, kb, db) for ka, kb in [("tensor", "tensor"), ("tensor", "zerodim"), ("zerodim", "tensor"),
                                         ("zerodim", "zerodim"), ("tensor", "scalar"), ("scalar", "tensor"),
                                         ("zerodim", "scalar")]
         for da, db in itertools.product(DTYPES, DTYPES) if not (kb == "scalar" and db in ("int32", "float16", "float32"))
         and not (ka == "scalar" and da in ("int32", "float16", "float32"))]


@pytest.mark.parametrize("op", ["add", "mul", "div", "maximum", "where"])
@pytest.mark.parametrize("kind_a, dtype_a, kind_b, dtype_b", CASES)
def test_result_dtype_of_binary_ops_matches_torch(torch, op, kind_a, dtype_a, kind_b, dtype_b):
    def run(module):
        a, b = _operand(module, kind_a, dtype_a), _operand(module, kind_b, dtype_b)
        if op == "add":
            return a + b if not (dtype_a == dtype_b == "bool" and kind_a == kind_b == "scalar") else None
        if op == "mul":
            return a * b
        if op == "div":
            return a / b
        if op == "maximum":
            if not isinstance(a, (module.Tensor,)) or not isinstance(b, module.Tensor):
                return None  # torch.maximum takes tensors only
            return module.maximum(a, b)
        condition = module.tensor([True, False]) if "tensor" in (kind_a, kind_b) else module.tensor(True)
        return module.where(condition, a, b)

    expected = run(torch)
    out = run(minigrad)
    if expected is None:
        return
    assert out.dtype.name == str(expected.dtype).split(".")[1], f"{out.dtype} vs {expected.dtype}"
    np.testing.assert_allclose(np.asarray(out.tolist(), dtype=np.float64), np.asarray(expected.tolist(), dtype=np.float64))


def test_a_python_float_does_not_upcast_float32_or_float16():
    for dtype in (minigrad.float16, minigrad.float32):
        assert (minigrad.ones(2, dtype=dtype) * 2.5).dtype is dtype
        assert (1.5 + minigrad.ones(2, dtype=dtype)).dtype is dtype
    assert (minigrad.ones(2, dtype=minigrad.int64) * 2.5).dtype is minigrad.float32


def test_promote_types_matches_torch(torch):
    for a, b in itertools.product(DTYPES + ["uint8", "int8", "int16"], repeat=2):
        expected = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert minigrad.dtypes.promote_types(getattr(minigrad, a).numpy, getattr(minigrad, b).numpy).name == \
            str(expected).split(".")[1]


def test_dtype_names_aliases_and_properties():
    assert minigrad.float is minigrad.float32 and minigrad.double is minigrad.float64
    assert minigrad.long is minigrad.int64 and minigrad.half is minigrad.float16 and minigrad.int is minigrad.int32
    assert repr(minigrad.float32) == "minigrad.float32"
    assert minigrad.float64.is_floating_point and not minigrad.int64.is_floating_point
    assert minigrad.float16.itemsize == 2
    import pickle
    assert pickle.loads(pickle.dumps(minigrad.float64)) is minigrad.float64


def test_default_dtype_can_be_changed_and_only_to_floats():
    assert minigrad.get_default_dtype() is minigrad.float32
    minigrad.set_default_dtype(minigrad.float64)
    try:
        assert minigrad.tensor([1.5]).dtype is minigrad.float64
        assert minigrad.zeros(2).dtype is minigrad.float64
        assert (minigrad.tensor([1, 2]) * 0.5).dtype is minigrad.float64
    finally:
        minigrad.set_default_dtype(minigrad.float32)
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        minigrad.set_default_dtype(minigrad.int64)


def test_unsupported_numpy_dtypes_raise_torchs_message(torch):
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.complex128|can't convert np.ndarray of type complex128"):
        minigrad.from_numpy(np.zeros(2, dtype=np.complex128))


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64", "float16",
                                  "bfloat16", "float32", "float64", "complex64", "complex128", "bool"])
def test_torch_scalar_name_is_the_name_in_torchs_tensor_type(torch, name):
    expected = torch.empty(0, dtype=getattr(torch, name)).type()  # 'torch.FloatTensor'
    assert f"torch.{minigrad.dtypes.torch_scalar_name(name)}Tensor" == expected
    if hasattr(np, name):  # NumPy has no bfloat16
        assert minigrad.dtypes.torch_scalar_name(np.dtype(name)) == minigrad.dtypes.torch_scalar_name(name)


def test_torch_scalar_name_accepts_minigrad_dtypes():
    assert [minigrad.dtypes.torch_scalar_name(d) for d in (minigrad.float32, minigrad.int64, minigrad.bool)] == \
        ["Float", "Long", "Bool"]
