"""The factories' argument checks let every spelling torch accepts through (the bad spellings are in
tests/bad_input): sizes as ints, one tuple, list or Size, NumPy ints and integer 0-d tensors,
randint's keyword size, Number-like fill values."""
import numpy as np
import pytest

import minigrad


def spellings(lib):
    return [
        lambda: lib.zeros(2, 3), lambda: lib.zeros((2, 3)), lambda: lib.zeros([2, 3]), lambda: lib.zeros(lib.Size([2, 3])),
        lambda: lib.ones(np.int64(2), 3), lambda: lib.empty(lib.tensor(2), 3), lambda: lib.rand((2, lib.tensor(3))),
        lambda: lib.randn(2, True), lambda: lib.zeros(()), lambda: lib.zeros(0, 5), lambda: lib.full((2, 3), np.float32(1.5)),
        lambda: lib.full((2,), lib.tensor(3.0)), lambda: lib.randint(10, size=(2, 3)),
        lambda: lib.randint(2, 10, (2, 3)), lambda: lib.randint(3, (2,), dtype=lib.float32), lambda: lib.randperm(np.int64(4)),
        lambda: lib.eye(np.int64(2), 3), lambda: lib.linspace(0, 1, np.int64(5)), lambda: lib.arange(True),
        lambda: lib.arange(0, 1, 0.25), lambda: lib.arange(lib.tensor(4)), lambda: lib.tensor([[1, 2], [3, 4]], dtype=lib.int8),
        lambda: lib.tensor([lib.tensor(1.0), 2.0]), lambda: lib.tensor(2**63 - 1), lambda: lib.tensor([]),
        lambda: lib.tensor([[]]), lambda: lib.as_tensor(np.zeros((2, 0))),
    ]


def test_every_spelling_torch_accepts_gives_torchs_shape_and_dtype(torch):
    for i, (ours, theirs) in enumerate(zip(spellings(minigrad), spellings(torch))):
        a, b = ours(), theirs()
        assert tuple(a.shape) == tuple(b.shape) and str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], i


def test_manual_seed_takes_torchs_range_and_reads_a_negative_seed_as_twos_complement():
    minigrad.manual_seed(-1)
    a = minigrad.rand(3)
    minigrad.manual_seed(2**64 - 1)
    assert np.array_equal(a.numpy(), minigrad.rand(3).numpy())
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        minigrad.manual_seed(-2**63 - 1)


def test_lists_of_numpy_unsigned_scalars_still_convert():
    assert minigrad.tensor([np.uint8(1), np.uint8(2)]).tolist() == [1, 2]
    assert minigrad.tensor([np.uint64(3)]).tolist() == [3]
