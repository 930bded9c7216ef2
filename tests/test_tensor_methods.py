"""Tensor's methods and operators (the table in minigrad/ops/__init__.py): each is one torch.Tensor has."""
import numpy as np

import minigrad
import minigrad.nn.functional as F

# Python and NumPy machinery rather than API: ``__slots__`` is minigrad's attribute layout (torch's
# Tensor is a C type), ``__array_ufunc__ = None`` makes NumPy hand ``ndarray * Tensor`` to Tensor's
# reflected operators (torch gets there with ``__array_priority__``).
NOT_API = {"__slots__", "__array_ufunc__"}


def _api(cls) -> set:
    """Public names and dunder operators / protocols of ``cls``."""
    return {n for n in dir(cls) if not n.startswith("_") or (n.startswith("__") and n.endswith("__"))} - NOT_API


def test_every_public_tensor_method_and_operator_is_one_torch_tensor_has(torch):
    assert sorted(_api(minigrad.Tensor) - set(dir(torch.Tensor))) == []


def test_the_table_gives_operators_reflected_operators_and_in_place_variants():
    api = _api(minigrad.Tensor)
    for op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor"):
        assert {f"__{op}__", f"__r{op}__"} <= api
    assert {"__matmul__", "__rmatmul__", "__getitem__", "__setitem__", "__iadd__", "__imul__", "add_", "exp_",
            "zero_", "T", "mT"} <= api


def test_ops_torch_has_only_as_functions_are_not_tensor_methods(torch):
    for name in ("gelu", "elu", "silu", "softplus", "leaky_relu"):
        assert not hasattr(minigrad.Tensor, name) and not hasattr(torch.Tensor, name)
        assert callable(getattr(F, name))
    for name in ("var_mean", "std_mean"):
        assert not hasattr(minigrad.Tensor, name) and not hasattr(torch.Tensor, name)
        assert callable(getattr(minigrad, name)) and callable(getattr(torch, name))


def test_matmul_assignment_rebinds_instead_of_writing_in_place_as_torch(torch):
    values = np.arange(4.0).reshape(2, 2)
    for module in (minigrad, torch):
        a = module.tensor(values)
        original = a
        a @= module.tensor(values)
        assert a is not original
        np.testing.assert_array_equal(original.numpy(), values)
        np.testing.assert_array_equal(a.numpy(), values @ values)
