"""DLPack: minigrad and torch (and NumPy) share memory without copies, both ways."""
import numpy as np
import pytest

import minigrad


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool"])
def test_torch_tensor_to_minigrad_shares_memory(torch, dtype):
    source = torch.zeros(2, 3, dtype=getattr(torch, dtype))
    t = minigrad.from_dlpack(source)
    assert t.shape == (2, 3) and str(t.dtype).split(".")[-1] == dtype
    source[1, 2] = 1
    assert t.tolist() == source.tolist()  # the write through torch is seen by minigrad


def test_minigrad_tensor_to_torch_shares_memory(torch):
    t = minigrad.arange(6, dtype=minigrad.float32).reshape(2, 3)
    view = torch.from_dlpack(t)
    assert view.tolist() == t.tolist()
    view[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    transposed = torch.from_dlpack(t.t())  # strided memory travels as strides, not a copy
    assert transposed.tolist() == t.t().tolist()


def test_numpy_round_trip_and_non_contiguous():
    a = np.arange(12.0).reshape(3, 4)[:, ::2]
    t = minigrad.from_dlpack(a)
    assert t.tolist() == a.tolist()
    assert np.shares_memory(np.from_dlpack(t), a)


def test_requires_grad_is_not_exported_as_torch(torch):
    with pytest.raises(BufferError) as expected:
        torch.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(BufferError) as got:
        minigrad.ones(2, requires_grad=True).__dlpack__()
    assert str(got.value) == str(expected.value)
    assert torch.from_dlpack(minigrad.ones(2, requires_grad=True).detach()).tolist() == [1.0, 1.0]


def test_from_dlpack_rejects_objects_without_the_protocol():
    with pytest.raises(TypeError, match="__dlpack__"):
        minigrad.from_dlpack([1, 2])
