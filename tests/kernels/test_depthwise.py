"""Depthwise convolutions by direct multiply-adds (minigrad/kernels/depthwise.py): values and gradients
against torch over generated 1d / 2d / 3d shapes (stride, dilation, padding, odd sizes, channel
multipliers), channels-last layouts kept, bit-identical results for any thread count, gradcheck."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad.kernels import conv, depthwise
from minigrad.kernels.geometry import conv_geometry
from tests.utils import check_against_torch, gradchecks, tolerance


@st.composite
def depthwise_configs(draw):
    """A depthwise conv call (groups = Cx, Cy = M*Cx) with stride, dilation, padding and odd sizes."""
    d = draw(st.integers(1, 3))
    channels = draw(st.integers(2, 5))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(d))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(d))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(d))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(d))
    low = [max(1, dl * (k - 1) + 1 - 2 * p) for k, dl, p in zip(kernel, dilation, padding)]
    spatial = tuple(draw(st.integers(lo, lo + (6 if d < 3 else 3))) for lo in low)
    return dict(d=d, batch=draw(st.integers(1, 3)), channels=channels, multiplier=draw(st.sampled_from([1, 1, 2])),
                spatial=spatial, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                bias=draw(st.booleans()), dtype=draw(st.sampled_from([np.float32, np.float64])))


def _direct_always(x, channels_in, channels_out, geometry):
    """``depthwise.use_depthwise`` without its speed rule: every depthwise call takes the direct algorithm."""
    return geometry.groups > 1 and geometry.groups == channels_in and channels_out % geometry.groups == 0


def _arrays(config, seed=0):
    rng = np.random.default_rng(seed)
    cin, cout = config["channels"], config["channels"] * config["multiplier"]
    x = rng.standard_normal((config["batch"], cin) + config["spatial"]).astype(config["dtype"])
    w = rng.standard_normal((cout, 1) + config["kernel"]).astype(config["dtype"])
    b = rng.standard_normal(cout).astype(config["dtype"])
    return x, w, b


@settings(max_examples=60, deadline=None)
@given(config=depthwise_configs(), direct=st.booleans())
def test_depthwise_convolution_values_and_gradients_match_torch(torch, config, direct):
    """``direct``: every step by the direct algorithm; else as the speed rule picks (small strided
    outputs take im2col + GEMM)."""
    x, w, b = _arrays(config)
    name = f"conv{config['d']}d"
    kwargs = dict(stride=config["stride"], padding=config["padding"], dilation=config["dilation"],
                  groups=config["channels"])
    arrays = [x, w, b] if config["bias"] else [x, w]
    tol = tolerance(config["dtype"])
    with pytest.MonkeyPatch.context() as patch:
        if direct:
            patch.setattr(depthwise, "use_depthwise", _direct_always)
        check_against_torch(torch, lambda *a: getattr(F, name)(*a, **kwargs),
                            lambda *a: getattr(torch.nn.functional, name)(*a, **kwargs), arrays,
                            rtol=tol["rtol"] * 10, atol=tol["atol"] * 10)


@settings(max_examples=30, deadline=None)
@given(config=depthwise_configs(), direct=st.booleans())
def test_depthwise_transposed_convolution_values_and_gradients_match_torch(torch, config, direct):
    assume(all((s - 1) * st_ - 2 * p + dl * (k - 1) + 1 > 0 for s, st_, p, dl, k in zip(
        config["spatial"], config["stride"], config["padding"], config["dilation"], config["kernel"])))
    x, w, b = _arrays(config)  # conv_transpose's weight (Cin, Cout/G, *K): x's channels in, M out each
    w = w.reshape((config["channels"], config["multiplier"]) + config["kernel"])
    name = f"conv_transpose{config['d']}d"
    kwargs = dict(stride=config["stride"], padding=config["padding"], dilation=config["dilation"],
                  groups=config["channels"])
    b = b[:config["channels"] * config["multiplier"]]
    tol = tolerance(config["dtype"])
    with pytest.MonkeyPatch.context() as patch:
        if direct:
            patch.setattr(depthwise, "use_depthwise", _direct_always)
        check_against_torch(torch, lambda *a: getattr(F, name)(*a, **kwargs),
                            lambda *a: getattr(torch.nn.functional, name)(*a, **kwargs), [x, w, b],
                            rtol=tol["rtol"] * 10, atol=tol["atol"] * 10)


def test_depthwise_calls_take_the_direct_algorithm(monkeypatch):
    calls = []
    for name in ("depthwise_forward", "depthwise_transpose", "depthwise_weight_grad"):
        real = getattr(depthwise, name)
        monkeypatch.setattr(depthwise, name,
                            lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    x = minigrad.randn(2, 4, 9, 9, requires_grad=True)
    w = minigrad.randn(8, 1, 3, 3, requires_grad=True)
    F.conv2d(x, w, padding=1, groups=4).sum().backward()
    assert sorted(set(calls)) == ["depthwise_forward", "depthwise_transpose", "depthwise_weight_grad"]
    calls.clear()
    F.conv2d(x, minigrad.randn(8, 2, 3, 3), groups=2)  # grouped, not depthwise: im2col + GEMM
    assert calls == []


@pytest.mark.parametrize("d, stride", [(2, 1), (2, 2), (3, 1), (3, 2)])
def test_depthwise_channels_last_input_keeps_its_layout(torch, d, stride, monkeypatch):
    monkeypatch.setattr(depthwise, "use_depthwise", _direct_always)
    fmt_mg = minigrad.channels_last if d == 2 else minigrad.channels_last_3d
    fmt_th = torch.channels_last if d == 2 else torch.channels_last_3d
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 6) + (7,) * d)
    w = rng.standard_normal((6, 1) + (3,) * d)
    conv_mg = getattr(F, f"conv{d}d")
    conv_th = getattr(torch.nn.functional, f"conv{d}d")
    x_mg = minigrad.tensor(x).contiguous(memory_format=fmt_mg).requires_grad_()
    w_mg = minigrad.tensor(w, requires_grad=True)
    x_th = torch.tensor(x).contiguous(memory_format=fmt_th).requires_grad_()
    w_th = torch.tensor(w, requires_grad=True)
    y_mg = conv_mg(x_mg, w_mg, stride=stride, padding=1, groups=6)
    y_th = conv_th(x_th, w_th, stride=stride, padding=1, groups=6)
    # The layout is ops/conv.py's choice (torch's rule), which the kernels follow. For 3d depthwise,
    # torch's own choices differ between forward and input gradient and minigrad's rule does not
    # copy them (the same before the direct algorithm): values only there.
    if d == 2:
        assert y_mg.is_contiguous(memory_format=fmt_mg) and y_th.is_contiguous(memory_format=fmt_th)
    np.testing.assert_allclose(np.asarray(y_mg.detach()), y_th.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(tuple(y_th.shape))
    (y_mg * minigrad.tensor(g)).sum().backward()
    (y_th * torch.tensor(g)).sum().backward()
    if d == 2:
        assert x_mg.grad.is_contiguous(memory_format=fmt_mg) and x_th.grad.is_contiguous(memory_format=fmt_th)
    np.testing.assert_allclose(np.asarray(x_mg.grad), x_th.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.asarray(w_mg.grad), w_th.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_depthwise_kernels_are_bit_identical_for_any_thread_count(monkeypatch, stride, layout, num_threads):
    monkeypatch.setattr(minigrad.threads, "MIN_PARALLEL_BYTES", 0)  # split even these small arrays
    rng = np.random.default_rng(2)
    x = rng.standard_normal((7, 5, 11, 10)).astype(np.float32)
    w = rng.standard_normal((10, 1, 3, 3)).astype(np.float32)      # multiplier 2
    g = conv_geometry((11, 10), (3, 3), (stride, stride), ((1, 1), (1, 1)), (1, 1), 5)
    y = rng.standard_normal((7, 10) + g.output_size).astype(np.float32)
    w1 = w[:5]
    cl = layout == "channels_last"
    if cl:
        x, y = conv.channels_last_copy(x), conv.channels_last_copy(y)
    results = []
    for count, chunk_bytes in [(1, 1), (1, 2**30), (2, 2**30), (3, 2**30), (3, 1)]:
        num_threads(count)  # chunks of 1 sample, or each thread's whole part (7, 4 + 3, 3 + 2 + 2)
        monkeypatch.setattr(depthwise, "CHUNK_BYTES", chunk_bytes)
        results.append([depthwise.depthwise_forward(x, w, None, g, cl).copy(),
                        depthwise.depthwise_transpose(y, w, None, g, cl).copy(),
                        depthwise.depthwise_transpose(y[:, :5], w1, None, g, cl).copy(),
                        depthwise.depthwise_weight_grad(x, y, g).copy()])
    for other in results[1:]:
        for one, many in zip(results[0], other):
            np.testing.assert_array_equal(one, many)


def test_forward_with_weights_expanded_per_pass_equals_the_one_expanded_once(monkeypatch):
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((3, 4, 9, 10)), rng.standard_normal((8, 1, 3, 3))
    for stride in (1, 2):
        g = conv_geometry((9, 10), (3, 3), (stride, stride), ((1, 1), (1, 1)), (1, 1), 4)
        once = depthwise.depthwise_forward(x, w, None, g)
        monkeypatch.setattr(depthwise, "EXPANDED_BYTES", 0)
        np.testing.assert_array_equal(depthwise.depthwise_forward(x, w, None, g), once)
        monkeypatch.undo()


def test_depthwise_rows_no_window_reads_get_zero_gradient(torch, monkeypatch):
    monkeypatch.setattr(depthwise, "use_depthwise", _direct_always)
    # stride 3 over 8 entries with a 2-wide kernel: the last entry is read by no window
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((3, 1, 2, 2))
    check_against_torch(torch, lambda x, w: F.conv2d(x, w, stride=3, groups=3),
                        lambda x, w: torch.nn.functional.conv2d(x, w, stride=3, groups=3), [x, w])


@pytest.mark.parametrize("stride, dilation", [(1, 1), (2, 2)])
def test_depthwise_convolution_passes_gradcheck_and_gradgradcheck(stride, dilation, monkeypatch):
    monkeypatch.setattr(depthwise, "use_depthwise", _direct_always)
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((6, 1, 3, 2)), rng.standard_normal(6)
    gradchecks(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=1, dilation=dilation, groups=3), [x, w, b])
