"""minigrad/kernels/layout.py: memory orders and the copies split over the threads."""
import numpy as np
import pytest

from minigrad.kernels import layout


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_copy_into_copies_every_entry_for_any_thread_count(num_threads, axis):
    rng = np.random.default_rng(0)
    source = rng.standard_normal((64, 48, 40, 3)).astype(np.float32).transpose(0, 3, 1, 2)  # (64, 3, 48, 40) view
    for count in (1, 2, 3):
        num_threads(count)
        out = np.full(source.shape, np.nan, dtype=np.float32)
        assert layout.copy_into(out, source, axis=axis) is out
        assert np.array_equal(out, source)


def test_contiguous_copies_a_strided_array_once_and_returns_a_contiguous_one_as_it_is():
    a = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    assert layout.contiguous(a) is a
    view = a.transpose(0, 2, 3, 1)
    copy = layout.contiguous(view)
    assert copy.flags.c_contiguous and not np.shares_memory(copy, a) and np.array_equal(copy, view)


def test_memory_order_of_contiguous_and_channels_last_arrays():
    x = np.zeros((2, 3, 4, 5))
    assert layout.memory_order(x) == (0, 1, 2, 3)
    nhwc = layout.empty_in_order(np, (2, 3, 4, 5), np.float32, layout.channels_last_order(4))
    assert nhwc.shape == (2, 3, 4, 5) and layout.memory_order(nhwc) == (0, 2, 3, 1)
