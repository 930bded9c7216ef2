"""Tests of Relu in minigrad/ops/elementwise.py: the threaded forward and the fused array backward
keep torch's values (NaN, signed zeros, the zero gradient at 0), the input's layout, and the same
bits for any thread count. Gradcheck and gradgradcheck of relu are in tests/ops/test_elementwise.py;
backward_arrays is checked against backward in tests/autograd/test_fused_backward.py."""
import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import threads
from minigrad.ops.elementwise import Relu


def _channels_last(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def _is_channels_last(a):
    return not a.flags.c_contiguous and np.moveaxis(a, 1, -1).flags.c_contiguous


def _special_values(shape, dtype, seed=0):
    """Random values with NaNs, infinities and both zeros scattered in."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    flat = a.reshape(-1)
    for value in (np.nan, np.inf, -np.inf, 0.0, -0.0):
        flat[rng.integers(0, flat.size, 5)] = value
    return a


def _relu_and_grad(x, g):
    xt = minigrad.from_numpy(x).requires_grad_()
    y = F.relu(xt)
    (dx,) = minigrad.autograd.grad(y, xt, minigrad.from_numpy(g))
    return y.detach().numpy(), dx.numpy()


@pytest.fixture(params=[1, 2], ids=["1 thread", "2 threads"])
def thread_count(request, num_threads):
    pytest.importorskip("threadpoolctl")
    num_threads(request.param)
    return request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_large_relu_and_its_gradient_match_torch_bit_for_bit(torch, dtype, layout, thread_count):
    """A batch over threads.MIN_PARALLEL_BYTES takes the split path (with 2 threads); NaN stays NaN
    (torch's rule), and the gradient is g where y > 0, else 0."""
    x, g = _special_values((64, 8, 12, 12), dtype), _special_values((64, 8, 12, 12), dtype, seed=1)
    assert x.nbytes > threads.MIN_PARALLEL_BYTES
    if layout == "channels_last":
        x, g = _channels_last(x), _channels_last(g)
    y, dx = _relu_and_grad(x, g)
    xt = torch.from_numpy(x).requires_grad_()
    yt = torch.relu(xt)
    (dxt,) = torch.autograd.grad(yt, xt, torch.from_numpy(g))
    np.testing.assert_array_equal(y, yt.detach().numpy())
    # torch's threshold_backward selects (g where not y <= 0); minigrad multiplies by (y > 0), as its
    # Tensor-level backward does: they differ where g is inf or nan (0 * inf) and where y is nan
    # (torch passes g, minigrad 0). Everywhere else, equal.
    same = np.isfinite(g) & ~np.isnan(x)
    np.testing.assert_array_equal(dx[same], dxt.numpy()[same])
    assert y.strides == yt.detach().numpy().strides and dx.strides == dxt.numpy().strides


def test_channels_last_gradient_follows_the_output_layout_even_for_a_contiguous_incoming_gradient(thread_count):
    rng = np.random.default_rng(2)
    x = _channels_last(rng.standard_normal((40, 6, 16, 16)))
    g = rng.standard_normal((40, 6, 16, 16))  # contiguous: the flat split cannot pair it with x
    y, dx = _relu_and_grad(x, g)
    assert _is_channels_last(y) and _is_channels_last(dx)  # torch's layout: the input's
    np.testing.assert_array_equal(dx, g * (x > 0))


@pytest.mark.parametrize("make", [lambda a: a[:, ::2], lambda a: a.transpose(1, 0, 2, 3), lambda a: a[::-1]],
                         ids=["strided", "transposed", "flipped"])
def test_other_strides_give_the_same_values(make, thread_count):
    rng = np.random.default_rng(3)
    x, g = make(rng.standard_normal((32, 16, 16, 16))), make(rng.standard_normal((32, 16, 16, 16)))
    y, dx = _relu_and_grad(x, g)
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    np.testing.assert_array_equal(dx, g * (x > 0))


def test_results_are_bit_identical_for_any_thread_count(monkeypatch, num_threads):
    pytest.importorskip("threadpoolctl")
    x, g = _special_values((9, 5, 7, 3), np.float32), _special_values((9, 5, 7, 3), np.float32, seed=4)
    monkeypatch.setattr(threads, "MIN_PARALLEL_BYTES", 0)
    results = []
    for count in (1, 2, 3):
        num_threads(count)
        results.append([a.tobytes() for a in _relu_and_grad(x, g)])
    assert results[0] == results[1] == results[2]


def test_the_array_backward_runs_without_a_graph_and_the_tensor_backward_with_one(monkeypatch):
    calls = []
    original = Relu.backward_arrays
    monkeypatch.setattr(Relu, "backward_arrays", staticmethod(lambda ctx, g: calls.append("arrays") or original(ctx, g)))
    x = minigrad.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    (x.relu() * x).sum().backward()
    assert calls == ["arrays"] and x.grad.tolist() == [0.0, 4.0, 6.0]
    calls.clear()
    (first,) = minigrad.autograd.grad((x.relu() ** 2).sum(), x, create_graph=True)
    assert calls == []  # a graph of the backward is built: the Tensor-level backward ran
    (second,) = minigrad.autograd.grad(first.sum(), x)
    assert first.tolist() == [0.0, 4.0, 6.0] and second.tolist() == [0.0, 2.0, 2.0]


def test_in_place_relu_backward_sees_a_later_in_place_change(torch):
    x = minigrad.tensor([-1.0, 2.0], requires_grad=True)
    y = (x * 1.0).relu_()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
