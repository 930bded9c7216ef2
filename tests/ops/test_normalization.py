"""Tests of minigrad/ops/normalization.py: BatchNormTrain's one-pass statistics (their precision
against torch with large means), the layouts it keeps (channels-last in, channels-last out, no
copy), and its results being bit-identical for any thread count. Module-level parity with torch and
the gradchecks live in tests/nn/test_normalization_modules.py; the fused backward is checked against
the Tensor-level one in tests/autograd/test_fused_backward.py."""
import numpy as np
import pytest

import minigrad
from minigrad.kernels import compiled
import minigrad.nn.functional as F
from minigrad import threads
from minigrad.ops import normalization


def _channels_last(a):
    """An NCHW-shaped array whose memory is NHWC, as torch's channels_last format."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def _is_channels_last(a):
    return not a.flags.c_contiguous and np.moveaxis(a, 1, -1).flags.c_contiguous


def _minigrad_batch_norm(x, w, b, g, running=None):
    xt = minigrad.from_numpy(x).requires_grad_()
    wt, bt = minigrad.from_numpy(w).requires_grad_(), minigrad.from_numpy(b).requires_grad_()
    stats = running if running is not None else (None, None)
    y = F.batch_norm(xt, *stats, wt, bt, training=True)
    grads = minigrad.autograd.grad(y, (xt, wt, bt), minigrad.from_numpy(g))  # as computed (.grad is a copy)
    return [y.detach().numpy()] + [t.numpy() for t in grads]


def _torch_batch_norm(torch, x, w, b, g, dtype):
    xt, wt, bt = (torch.tensor(a, dtype=dtype, requires_grad=True) for a in (np.asarray(x), w, b))
    y = torch.nn.functional.batch_norm(xt, None, None, wt, bt, training=True)
    y.backward(torch.tensor(np.asarray(g), dtype=dtype))
    return [t.detach().numpy().astype(np.float64) for t in (y, xt.grad, wt.grad, bt.grad)]


def _error(value, exact):
    return float(np.max(np.abs(np.asarray(value, np.float64) - exact)) / np.max(np.abs(exact)))


@pytest.mark.parametrize("offset", [0.0, 0.9, 3.0, 1000.0, 1e4])
@pytest.mark.parametrize("shape, layout", [((32, 8, 8, 8), "contiguous"), ((32, 8, 8, 8), "channels_last"),
                                           ((256, 6), "contiguous"), ((8, 4, 50), "contiguous")], ids=str)
def test_float32_statistics_stay_as_accurate_as_torch_for_large_means(torch, offset, shape, layout):
    """x = offset + randn in float32: a mean of 1000 or 10^4 against a spread of 1. Sums of squares of
    raw x in float32 would lose every digit; each output's error against the float64 answer (for the
    same float32 input) stays within a small multiple of torch's own float32 error."""
    rng = np.random.default_rng(1)
    c = shape[1]
    x = (rng.standard_normal(shape) + offset).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    w, b = rng.uniform(0.5, 1.5, c).astype(np.float32), rng.standard_normal(c).astype(np.float32)
    if layout == "channels_last":
        x, g = _channels_last(x), _channels_last(g)
    exact = _torch_batch_norm(torch, x, w, b, g, torch.float64)
    theirs = _torch_batch_norm(torch, x, w, b, g, torch.float32)
    ours = _minigrad_batch_norm(x, w, b, g)
    for name, mine, torch_value, answer in zip(("y", "dx", "dweight", "dbias"), ours, theirs, exact):
        assert mine.dtype == np.float32
        assert _error(mine, answer) <= 2 * _error(torch_value, answer) + 2e-6, name


@pytest.mark.parametrize("offset", [0.0, 1000.0])
def test_float64_matches_torch_to_round_off(torch, offset):
    rng = np.random.default_rng(2)
    x, g = rng.standard_normal((16, 5, 6, 7)) + offset, rng.standard_normal((16, 5, 6, 7))
    w, b = rng.uniform(0.5, 1.5, 5), rng.standard_normal(5)
    for mine, answer in zip(_minigrad_batch_norm(x, w, b, g), _torch_batch_norm(torch, x, w, b, g, torch.float64)):
        assert mine.dtype == np.float64
        np.testing.assert_allclose(mine, answer, rtol=1e-9, atol=1e-9 * np.abs(answer).max())


@pytest.mark.parametrize("shape", [(4, 3, 5, 6), (3, 4, 2, 3, 5)], ids=str)
def test_channels_last_input_keeps_its_layout_in_output_and_input_gradient_with_no_copy(shape):
    rng = np.random.default_rng(3)
    def last(a):
        return np.ascontiguousarray(np.moveaxis(a, 1, -1)).transpose(0, a.ndim - 1, *range(1, a.ndim - 1))
    x, g = rng.standard_normal(shape), rng.standard_normal(shape)
    w, b = rng.uniform(0.5, 1.5, shape[1]), rng.standard_normal(shape[1])
    x_last, g_last = last(x), last(g)
    assert _is_channels_last(x_last) and normalization._working_copy(x_last) is x_last  # read where it lies
    ours = _minigrad_batch_norm(x_last, w, b, g_last)
    assert _is_channels_last(ours[0]) and _is_channels_last(ours[1])  # y and dx as torch's: channels-last
    for mine, contiguous in zip(ours, _minigrad_batch_norm(x, w, b, g)):
        np.testing.assert_allclose(mine, contiguous, rtol=1e-12, atol=1e-12)
    # a contiguous gradient for a channels-last input still gives a channels-last dx (torch's rule)
    mixed = _minigrad_batch_norm(x_last, w, b, g)
    assert _is_channels_last(mixed[1])
    np.testing.assert_allclose(mixed[1], ours[1], rtol=1e-12, atol=1e-12)


def test_channels_last_output_matches_torch(torch):
    rng = np.random.default_rng(4)
    x, g = _channels_last(rng.standard_normal((4, 3, 5, 6))), _channels_last(rng.standard_normal((4, 3, 5, 6)))
    w, b = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    xt = torch.from_numpy(x).requires_grad_()
    yt = torch.nn.functional.batch_norm(xt, None, None, torch.from_numpy(w), torch.from_numpy(b), training=True)
    yt.backward(torch.from_numpy(g))
    assert yt.is_contiguous(memory_format=torch.channels_last) and xt.grad.is_contiguous(memory_format=torch.channels_last)
    y, dx, _, _ = _minigrad_batch_norm(x, w, b, g)
    assert y.strides == yt.detach().numpy().strides and dx.strides == xt.grad.numpy().strides
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_other_strides_are_normalised_as_a_contiguous_copy(torch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 7, 3)).transpose(0, 2, 1)  # (6, 3, 7), neither contiguous nor channels-last
    g, w, b = rng.standard_normal((6, 3, 7)), rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    ours = _minigrad_batch_norm(x, w, b, g)
    assert ours[0].flags.c_contiguous
    for mine, answer in zip(ours, _torch_batch_norm(torch, x, w, b, g, torch.float64)):
        np.testing.assert_allclose(mine, answer, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_results_are_bit_identical_for_any_thread_count_and_chunk_size(monkeypatch, layout, num_threads):
    """Each part of the batch writes its own rows' sums and its own slice of y and dx; the rows are
    combined over n in a fixed order. So 1, 2 or 3 threads, and any chunk size, give the same bits."""
    pytest.importorskip("threadpoolctl")
    rng = np.random.default_rng(6)
    shape = (7, 5, 6, 9)
    x, g = rng.standard_normal(shape).astype(np.float32) + 3, rng.standard_normal(shape).astype(np.float32)
    if layout == "channels_last":
        x, g = _channels_last(x), _channels_last(g)
    w, b = rng.uniform(0.5, 1.5, 5).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    monkeypatch.setattr(threads, "MIN_PARALLEL_BYTES", 0)  # split even this small batch
    results = []
    for count, chunk in [(1, 1 << 30), (2, 1 << 18), (3, 1), (2, 1)]:
        num_threads(count)
        monkeypatch.setattr(normalization, "CHUNK_BYTES", chunk)
        running = (minigrad.zeros(5), minigrad.ones(5))
        results.append(_minigrad_batch_norm(x, w, b, g, running) + [running[0].numpy(), running[1].numpy()])
    for other in results[1:]:
        for a, b_ in zip(results[0], other):
            assert a.tobytes() == b_.tobytes() and a.strides == b_.strides


@pytest.mark.parametrize("offset, one_pass", [(0.0, True), (0.9, True), (1.5, False), (1000.0, False)])
def test_a_mean_small_against_the_spread_takes_the_one_pass_path_and_a_large_one_the_centred_passes(offset, one_pass):
    """The precision test above covers both paths: which one ran is decided by mean^2 <= var."""
    x = minigrad.tensor(np.random.default_rng(7).standard_normal((64, 3, 4, 4)) + offset, requires_grad=True)
    with compiled.use(False):  # the NumPy kernel's paths (MINIGRAD_FAST=1 would take the compiled one)
        y = F.batch_norm(x, None, None, training=True)
    assert y.grad_fn.one_pass is one_pass
