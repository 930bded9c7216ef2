"""The compiled kernels (``minigrad/kernels/compiled``, the ``minigrad[fast]`` extra) against the NumPy ones.

The rest of the suite runs the NumPy kernels (conftest.py sets MINIGRAD_FAST=0); here each compiled
kernel is turned on and compared with its NumPy reference over generated argument combinations
(1d/2d/3d, strides, dilations, paddings, ceil_mode, odd sizes, groups, batch 1, float32 and float64):
exact equality for copies, max pooling and its indices, and col2im (which adds in NumPy's order); a
tight tolerance for sums in another order. Skipped where numba is not installed.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("numba")

import minigrad  # noqa: E402
import minigrad.nn as nn  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad.kernels import compiled, im2col, pool  # noqa: E402
from minigrad.kernels.geometry import WindowGeometry, conv_geometry, pooling_output_size  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DTYPES = (np.float32, np.float64)
TOLERANCE = {np.float32: dict(rtol=2e-6, atol=2e-6), np.float64: dict(rtol=1e-13, atol=1e-13)}


@pytest.fixture(autouse=True)
def compiled_on():
    with compiled.use(True):
        yield


def conv_cases(count: int, seed: int = 0):
    """(d, x (n, Cx, *S), kernel, stride, dilation, pads, groups): random convolution geometries."""
    rng = np.random.default_rng(seed)
    for number in range(count):
        d = (1, 2, 2, 3)[number % 4]
        groups = int(rng.choice([1, 1, 2, 3]))
        channels = groups * int(rng.integers(1, 4))
        n = int(rng.choice([1, 2, 3]))
        kernel = tuple(int(k) for k in rng.integers(1, 4, d))
        stride = tuple(int(s) for s in rng.integers(1, 4, d))
        dilation = tuple(int(s) for s in rng.integers(1, 3, d))
        size = tuple(int(s) for s in rng.integers(4 if d == 3 else 5, 7 if d == 3 else 12, d))
        pads = tuple((int(rng.integers(0, 3)), int(rng.integers(-1, 3))) for _ in range(d))
        if any(s + b + a < dl * (k - 1) + 1 for s, (b, a), k, dl in zip(size, pads, kernel, dilation)):
            continue
        dtype = DTYPES[number % 2]
        x = rng.standard_normal((n, channels) + size).astype(dtype)
        yield d, x, kernel, stride, dilation, pads, groups


def pool_cases(count: int, seed: int = 1):
    """(x (N, C, *S) or (C, *S), geometry): random pooling geometries with PyTorch's constraints
    (padding at most half the kernel), ceil_mode on or off."""
    rng = np.random.default_rng(seed)
    for number in range(count):
        d = (1, 2, 2, 3)[number % 4]
        kernel = tuple(int(k) for k in rng.integers(1, 5, d))
        stride = tuple(int(s) for s in rng.integers(1, 4, d))
        dilation = tuple(int(s) for s in rng.choice([1, 1, 2], d))
        padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
        size = tuple(int(s) for s in rng.integers(4 if d == 3 else 5, 7 if d == 3 else 12, d))
        ceil_mode = bool(number % 3 == 0)
        if any(pooling_output_size(s, k, st, p, dl, ceil_mode) < 1
               for s, k, st, p, dl in zip(size, kernel, stride, padding, dilation)):
            continue
        lead = (int(rng.choice([1, 2])), int(rng.integers(1, 4))) if number % 5 else (2,)
        dtype = DTYPES[number % 2]
        # few distinct values, so windows hold ties; some -inf, NaN and -0.0
        x = rng.integers(-3, 4, lead + size).astype(dtype)
        flat = x.reshape(-1)
        picks = rng.integers(0, flat.size, 3)
        flat[picks[0]] = -np.inf
        flat[picks[1]] = -0.0
        if number % 4 == 1:
            flat[picks[2]] = np.nan
        yield x, WindowGeometry(size, kernel, stride, padding, dilation, ceil_mode)


def numpy_path(function, *args, **kwargs):
    with compiled.use(False):
        return function(*args, **kwargs)


# ---- the switch -------------------------------------------------------------------------------

def test_the_suite_runs_numpy_and_use_restores_the_previous_setting():
    assert os.environ.get("MINIGRAD_FAST") == "0"
    with compiled.use(False):
        assert not compiled.enabled()
        with compiled.use(True):
            assert compiled.enabled()
        assert not compiled.enabled()


@pytest.mark.parametrize("value, expected", [("0", "False"), ("1", "True"), (None, "True")])
def test_the_environment_variable_is_read_at_import(value, expected):
    env = {k: v for k, v in os.environ.items() if k != "MINIGRAD_FAST"}
    if value is not None:
        env["MINIGRAD_FAST"] = value
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-c", "from minigrad.kernels import compiled; print(compiled.enabled())"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == expected, result.stderr


def test_unsupported_arrays_are_left_to_numpy():
    assert compiled.supports(np.zeros((2, 3), np.float32))
    assert not compiled.supports(np.zeros((2, 3), np.int64))
    assert not compiled.supports(np.zeros((2, 3), np.float16))
    assert not compiled.supports(np.zeros((0, 3), np.float32))
    assert not compiled.supports(np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float64))
    assert not compiled.supports(np.zeros((2, 3, 4, 4, 4, 4), np.float32), spatial_dims=4)


# ---- im2col / col2im --------------------------------------------------------------------------

@pytest.mark.parametrize("batch_last", [True, False])
def test_im2col_gives_numpys_columns(batch_last):
    checked = 0
    for d, x, kernel, stride, dilation, pads, groups in conv_cases(80):
        padded = im2col.pad_spatial(x, pads)
        no_pads = ((0, 0),) * d
        expected = numpy_path(im2col.im2col, padded, no_pads, kernel, stride, dilation, groups, "expected",
                              batch_last).copy()
        # NumPy's own padding (into a workspace) gives the same columns
        np.testing.assert_array_equal(numpy_path(im2col.im2col, x, pads, kernel, stride, dilation, groups, "np",
                                                 batch_last), expected)
        got = compiled.im2col(padded, kernel, stride, dilation, groups, "got", batch_last)
        np.testing.assert_array_equal(got, expected)
        # implicit padding: the same columns read straight from the unpadded input
        implicit = im2col.im2col(x, pads, kernel, stride, dilation, groups, "got", batch_last)
        np.testing.assert_array_equal(implicit, expected)
        assert implicit.dtype == x.dtype
        checked += 1
    assert checked > 50


def test_the_compiled_loops_run_on_minigrads_pool_and_never_start_numbas_threads(monkeypatch, num_threads):
    import numba.np.ufunc.parallel as numba_parallel
    from minigrad import threads
    parts = []
    real = threads.parallel_for
    monkeypatch.setattr(threads, "parallel_for", lambda count, body, nbytes=None: parts.append(count) or
                        real(count, body, nbytes))
    x = np.random.default_rng(0).standard_normal((64, 32, 16, 16)).astype(np.float32)
    results = []
    for count in (1, 2, 3):  # the same values from any number of parts
        num_threads(count)
        results.append([a.copy() for a in compiled.batch_norm_forward(x, None, None, 1e-5)[:2]]
                       + [compiled.relu_forward(x - 0.5)])
    assert parts and all(count > 1 for count in parts)
    for result in results[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(result, results[0]))
    assert not numba_parallel._is_initialized  # no numba thread pool was launched


def test_channels_last_columns_equal_numpys_padded_copy_and_im2col(monkeypatch, num_threads):
    """NHWC columns (n*P, K*Cx) with the padding implicit (negative pads crop), into a workspace and into
    a given buffer, and from a transposed view of NCHW memory."""
    calls, real = [], compiled.im2col_channels_last
    monkeypatch.setattr(compiled, "im2col_channels_last", lambda *args: calls.append(1) or real(*args))
    checked = expected_calls = 0
    for number, (d, x, kernel, stride, dilation, pads, groups) in enumerate(conv_cases(80, seed=5)):
        num_threads(1 + number % 3)  # the batch split over 1-3 threads: the same columns
        x_cl = np.ascontiguousarray(np.moveaxis(x, 1, -1))          # (n, *S, Cx) NHWC memory
        expected = numpy_path(im2col.channels_last_columns, x_cl, pads, kernel, stride, dilation).copy()
        got = im2col.channels_last_columns(x_cl, pads, kernel, stride, dilation)
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == x.dtype and got.shape == expected.shape
        out = np.full(expected.shape, np.nan, dtype=x.dtype)
        assert im2col.channels_last_columns(x_cl, pads, kernel, stride, dilation, out=out) is out
        np.testing.assert_array_equal(out, expected)
        # a strided view (NCHW memory): the loop copies from NumPy's padded copy, and NumPy's own
        # im2col takes it when there is nothing to pad
        view = np.moveaxis(x, 1, -1)
        np.testing.assert_array_equal(im2col.channels_last_columns(view, pads, kernel, stride, dilation), expected)
        checked += 1
        expected_calls += 2 + (view.flags.c_contiguous or any(b or a for b, a in pads))
    assert checked > 50 and len(calls) == expected_calls  # the compiled loop made every NHWC call


@pytest.mark.parametrize("batch_last", [True, False])
def test_col2im_adds_in_numpys_order_bit_for_bit(batch_last):
    rng = np.random.default_rng(2)
    checked = 0
    for d, x, kernel, stride, dilation, pads, groups in conv_cases(80, seed=3):
        padded = im2col.pad_spatial(x, pads)
        cols = rng.standard_normal(im2col.im2col(padded, ((0, 0),) * d, kernel, stride, dilation, groups, "c",
                                                 batch_last).shape)
        cols = cols.astype(x.dtype)
        start = rng.standard_normal(padded.shape).astype(x.dtype)
        expected = numpy_path(im2col.col2im, cols, start.copy(), kernel, stride, dilation, groups, batch_last)
        out = start.copy()
        got = compiled.col2im(cols, out, kernel, stride, dilation, groups, batch_last)
        assert got is out
        np.testing.assert_array_equal(got, expected)
        checked += 1
    assert checked > 50


def test_col2im_writes_through_to_a_non_contiguous_target():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 7, 6))
    cols = im2col.im2col(x, ((0, 0), (0, 0)), (3, 2), (1, 2), (1, 1), 1, "c", False).copy()
    base = np.zeros((2, 3, 7, 12))
    target = base[..., ::2]
    compiled.col2im(cols, target, (3, 2), (1, 2), (1, 1), 1, False)
    expected = numpy_path(im2col.col2im, cols, np.zeros((2, 3, 7, 6)), (3, 2), (1, 2), (1, 1), 1, False)
    np.testing.assert_array_equal(base[..., ::2], expected)


def test_convolutions_agree_through_the_hooks():
    """conv, its transpose and its weight gradient (im2col + GEMM + col2im) with the hooks on and off."""
    from minigrad.kernels import conv
    for d, x, kernel, stride, dilation, pads, groups in conv_cases(40, seed=5):
        geometry = conv_geometry(x.shape[2:], kernel, stride, pads, dilation, groups)
        weight = np.random.default_rng(6).standard_normal((2 * groups, x.shape[1] // groups) + kernel).astype(x.dtype)
        y = numpy_path(conv.conv_forward, x, weight, None, geometry)
        np.testing.assert_allclose(conv.conv_forward(x, weight, None, geometry), y, **TOLERANCE[x.dtype.type])
        np.testing.assert_allclose(conv.conv_transpose_forward(y, weight, None, geometry),
                                   numpy_path(conv.conv_transpose_forward, y, weight, None, geometry),
                                   **TOLERANCE[x.dtype.type])
        np.testing.assert_allclose(conv.conv_weight_grad_forward(x, y, geometry),
                                   numpy_path(conv.conv_weight_grad_forward, x, y, geometry),
                                   **TOLERANCE[x.dtype.type])


def test_depthwise_convolutions_agree_with_im2col_and_gemm():
    """groups = Cx = Cy: the direct loops (forward, transposed, weight gradient) against NumPy's path."""
    from minigrad.kernels import conv
    rng = np.random.default_rng(16)
    checked = 0
    for d, x, kernel, stride, dilation, pads, _ in conv_cases(60, seed=17):
        channels = x.shape[1]
        geometry = conv_geometry(x.shape[2:], kernel, stride, pads, dilation, channels)
        weight = rng.standard_normal((channels, 1) + kernel).astype(x.dtype)
        bias = rng.standard_normal(channels).astype(x.dtype)
        y = numpy_path(conv.conv_forward, x, weight, bias, geometry)
        np.testing.assert_allclose(conv.conv_forward(x, weight, bias, geometry), y, **TOLERANCE[x.dtype.type])
        got = conv.conv_transpose_forward(y, weight, bias, geometry)
        assert got.shape == x.shape and got.dtype == x.dtype
        np.testing.assert_allclose(got, numpy_path(conv.conv_transpose_forward, y, weight, bias, geometry),
                                   **TOLERANCE[x.dtype.type])
        got = conv.conv_weight_grad_forward(x, y, geometry)
        assert got.shape == weight.shape and got.dtype == x.dtype
        np.testing.assert_allclose(got, numpy_path(conv.conv_weight_grad_forward, x, y, geometry),
                                   **TOLERANCE[x.dtype.type])
        checked += channels > 1
    assert checked > 20


# ---- Winograd F(2x2, 3x3) ---------------------------------------------------------------------

def winograd_tolerance(dtype, reference):
    """Winograd rounds differently from im2col's dot products: float32 to a few units in the last
    place of the largest output, float64 to rounding."""
    scale = float(np.abs(reference).max()) if reference.size else 1.0
    return dict(rtol=0, atol=(3e-6 if dtype == np.float32 else 1e-13) * max(scale, 1.0))


def test_winograd_equals_im2col_for_any_size_and_padding():
    """``winograd_conv`` and ``winograd_weight_grad`` called directly (no rule), with the contiguous
    and the channels-last loops: odd and even sizes down to one output, tiles cut
    by the output's edge, padding 0-2 before and -1-2 after, 1-5 channels, bias or none."""
    from minigrad.kernels import conv
    rng = np.random.default_rng(30)
    checked = 0
    for number in range(60):
        pads = tuple((int(rng.integers(0, 3)), int(rng.integers(-1, 3))) for _ in range(2))
        size = tuple(int(rng.integers(1, 10)) for _ in range(2))
        if any(s + b + a < 3 for s, (b, a) in zip(size, pads)):
            continue
        dtype = DTYPES[number % 2]
        n, cx, cy = (int(v) for v in rng.integers(1, 6, 3))
        geometry = conv_geometry(size, (3, 3), (1, 1), pads, (1, 1), 1)
        x = rng.standard_normal((n, cx) + size).astype(dtype)
        weight = rng.standard_normal((cy, cx, 3, 3)).astype(dtype)
        bias = rng.standard_normal(cy).astype(dtype) if number % 3 else None
        channels_last = number % 4 >= 2                 # the channels-last loops, from either layout
        if number % 4 == 3:
            x = conv.channels_last_copy(x)
        expected = numpy_path(conv.conv_forward, x, weight, bias, geometry)
        got = compiled.winograd_conv(x, weight, bias, geometry, channels_last=channels_last)
        assert got.shape == expected.shape and got.dtype == expected.dtype
        assert (conv._to_channels_last(got) if channels_last else got).flags.c_contiguous
        np.testing.assert_allclose(got, expected, **winograd_tolerance(dtype, expected))
        grad = rng.standard_normal(expected.shape).astype(dtype)
        expected = numpy_path(conv.conv_weight_grad_forward, x, grad, geometry)
        got = compiled.winograd_weight_grad(x, grad, geometry, channels_last=channels_last)
        assert got.shape == weight.shape and got.dtype == dtype
        assert (conv._to_channels_last(got) if channels_last else got).flags.c_contiguous
        np.testing.assert_allclose(got, expected, **winograd_tolerance(dtype, expected))
        checked += 1
    assert checked > 40


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_hooks_take_winograd_for_3x3_unit_stride_convolutions_and_their_input_gradients(dtype, monkeypatch):
    from minigrad.kernels import conv
    rng = np.random.default_rng(31)
    calls = []
    real = compiled.winograd_conv
    monkeypatch.setattr(compiled, "winograd_conv", lambda *args: calls.append(args[2] is None) or real(*args))
    geometry = conv_geometry((9, 17), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x = rng.standard_normal((3, 6, 9, 17)).astype(dtype)
    weight = rng.standard_normal((5, 6, 3, 3)).astype(dtype)
    bias = rng.standard_normal(5).astype(dtype)
    y = numpy_path(conv.conv_forward, x, weight, bias, geometry)
    np.testing.assert_allclose(conv.conv_forward(x, weight, bias, geometry), y, **winograd_tolerance(dtype, y))
    assert calls == [False]
    grad = rng.standard_normal(y.shape).astype(dtype)
    expected = numpy_path(conv.conv_transpose_forward, grad, weight, None, geometry)    # 5 -> 6 channels
    np.testing.assert_allclose(conv.conv_transpose_forward(grad, weight, None, geometry), expected,
                               **winograd_tolerance(dtype, expected))
    assert calls == [False, True]
    conv.conv_forward(x, weight, bias, geometry, channels_last=True)   # the NHWC path, no copies
    conv.conv_transpose_forward(grad[:, :3], weight[:3], None, geometry)  # 3 input channels: im2col
    assert len(calls) == 2


@pytest.mark.parametrize("batch, width, expected", [(32, 32, True), (31, 32, False), (32, 31, False)])
def test_the_weight_gradient_takes_winograd_for_wide_outputs_and_large_batches(batch, width, expected, monkeypatch):
    from minigrad.kernels import conv
    rng = np.random.default_rng(34)
    calls = []
    real = compiled.winograd_weight_grad
    monkeypatch.setattr(compiled, "winograd_weight_grad", lambda *args: calls.append(1) or real(*args))
    geometry = conv_geometry((3, width), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x = rng.standard_normal((batch, 4, 3, width)).astype(np.float32)
    grad = rng.standard_normal((batch, 5, 3, width)).astype(np.float32)
    expected_w = numpy_path(conv.conv_weight_grad_forward, x, grad, geometry)
    np.testing.assert_allclose(conv.conv_weight_grad_forward(x, grad, geometry), expected_w,
                               **winograd_tolerance(np.float32, expected_w))
    assert calls == ([1] if expected else [])


@pytest.mark.parametrize("change, expected", [
    ({}, True), (dict(kernel=(3, 5)), False), (dict(stride=(1, 2)), False), (dict(dilation=(2, 1)), False),
    (dict(groups=2), False), (dict(channels=3), False), (dict(width=14), False), (dict(pads=((0, 2), (1, 1))), True),
    (dict(pads=((-1, 2), (1, 1))), False), (dict(dtype=np.float16), False), (dict(ndim=3), False)])
def test_winograd_is_taken_where_it_measured_faster(change, expected):
    """3x3, unit stride and dilation, one group, >= 4 input channels, outputs >= 16 wide."""
    ndim, channels = change.get("ndim", 2), change.get("channels", 8)
    kernel = change.get("kernel", (3,) * ndim)
    size = (6,) * (ndim - 1) + (change.get("width", 16),)
    pads = change.get("pads", ((1, 1),) * ndim)
    geometry = conv_geometry(size, kernel, change.get("stride", (1,) * ndim), pads,
                             change.get("dilation", (1,) * ndim), change.get("groups", 1))
    x = np.zeros((2, channels) + size, dtype=change.get("dtype", np.float32))
    weight = np.zeros((4, channels // geometry.groups) + kernel, dtype=x.dtype)
    assert compiled.supports_winograd(x, weight, geometry) is expected


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, padding, channels_out, layout", [
    ((2, 4, 16, 16), 1, 6, "contiguous"), ((3, 8, 9, 21), 0, 6, "contiguous"), ((1, 5, 18, 17), 2, 6, "contiguous"),
    ((32, 4, 3, 32), 1, 6, "contiguous"), ((3, 32, 8, 8), 1, 33, "channels_last")])
def test_winograd_convolutions_match_torch_forward_and_backward(torch, dtype, shape, padding, channels_out, layout):
    """F.conv2d through Winograd, against torch's convolution in the same memory format: values and the
    three gradients. Contiguous: the forward and input gradient (the weight gradient too for the
    batch of 32 at 32 wide); channels-last (32 -> 33 at 8x8): the channels-last loops, all three."""
    rng = np.random.default_rng(33)
    x = rng.standard_normal(shape).astype(dtype)
    weight = rng.standard_normal((channels_out, shape[1], 3, 3)).astype(dtype)
    bias = rng.standard_normal(channels_out).astype(dtype)
    channels_last = layout == "channels_last"

    def leaf(library, a):  # a tensor of ``library`` laid out as the case asks, requiring grad
        t = library.tensor(a)
        return (t.to(memory_format=library.channels_last) if channels_last and t.ndim == 4 else t).requires_grad_()
    mx, mw, mb = (leaf(minigrad, a) for a in (x, weight, bias))
    tx, tw, tb = (leaf(torch, a) for a in (x, weight, bias))
    out = F.conv2d(mx, mw, mb, padding=padding)
    expected = torch.nn.functional.conv2d(tx, tw, tb, padding=padding)
    assert out.is_contiguous(memory_format=minigrad.channels_last) is channels_last
    grad = rng.standard_normal(expected.shape).astype(dtype)
    out.backward(minigrad.tensor(grad))
    expected.backward(torch.tensor(grad))
    tolerance = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    for mine, theirs in [(out, expected), (mx.grad, tx.grad), (mw.grad, tw.grad), (mb.grad, tb.grad)]:
        np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), **tolerance)


@pytest.mark.parametrize("layout", ["channels_last", "contiguous"])
def test_nhwc_algorithms_take_the_channels_last_winograd_loops(layout, monkeypatch):
    """conv.py's NHWC algorithms (a channels-last result, or a contiguous 8x8 one with many channels)
    run Winograd's channels-last loops for the forward, the unit-stride input gradient and the weight
    gradient, in the layout asked for."""
    from minigrad.kernels import conv
    rng = np.random.default_rng(35)
    calls = []
    for name in ("winograd_conv", "winograd_weight_grad"):
        real = getattr(compiled, name)
        monkeypatch.setattr(compiled, name, lambda *a, real=real, name=name, **k: calls.append((name, k)) or real(*a, **k))
    geometry = conv_geometry((8, 8), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x = rng.standard_normal((2, 32, 8, 8)).astype(np.float32)
    weight = rng.standard_normal((33, 32, 3, 3)).astype(np.float32)
    grad = rng.standard_normal((2, 33, 8, 8)).astype(np.float32)
    channels_last = layout == "channels_last"
    if channels_last:
        x, weight, grad = conv.channels_last_copy(x), conv.channels_last_copy(weight), conv.channels_last_copy(grad)
    results = [(conv.conv_forward(x, weight, None, geometry, channels_last),
                numpy_path(conv.conv_forward, x, weight, None, geometry, channels_last)),
               (conv.conv_transpose_forward(grad, weight, None, geometry, channels_last),
                numpy_path(conv.conv_transpose_forward, grad, weight, None, geometry, channels_last)),
               (conv.conv_weight_grad_forward(x, grad, geometry, channels_last),
                numpy_path(conv.conv_weight_grad_forward, x, grad, geometry, channels_last))]
    assert calls == [("winograd_conv", dict(channels_last=True))] * 2 + [("winograd_weight_grad", dict(channels_last=True))]
    for got, expected in results:
        assert conv._to_channels_last(got).flags.c_contiguous is channels_last and got.flags.c_contiguous is not channels_last
        np.testing.assert_allclose(got, expected, **winograd_tolerance(np.float32, expected))


@pytest.mark.parametrize("channels, width, expected", [(32, 8, True), (31, 8, False), (32, 7, False), (64, 32, True)])
def test_the_channels_last_winograd_rule(channels, width, expected):
    geometry = conv_geometry((4, width), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x = np.zeros((2, channels, 4, width), np.float32)
    assert compiled.supports_winograd_channels_last(x, np.zeros((3, channels, 3, 3), np.float32), geometry) is expected
    strided = conv_geometry((4, width), (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 1)
    assert not compiled.supports_winograd_channels_last(x, np.zeros((3, channels, 3, 3), np.float32), strided)


def test_winograd_blocks_are_bit_identical_for_any_thread_count(monkeypatch, num_threads):
    rng = np.random.default_rng(32)
    geometry = conv_geometry((10, 20), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x = rng.standard_normal((7, 8, 10, 20)).astype(np.float32)
    weight = rng.standard_normal((6, 8, 3, 3)).astype(np.float32)
    monkeypatch.setattr(compiled, "WINOGRAD_BLOCK_BYTES", 1)            # one sample a block
    monkeypatch.setattr(minigrad.threads, "MIN_PARALLEL_BYTES", 0)
    grad = rng.standard_normal((7, 6, 10, 20)).astype(np.float32)
    results = []
    for threads in (1, 2, 3):
        num_threads(threads)
        results.append([compiled.winograd_conv(x, weight, None, geometry),
                        compiled.winograd_weight_grad(x, grad, geometry),
                        compiled.winograd_conv(x, weight, None, geometry, channels_last=True),
                        compiled.winograd_weight_grad(x, grad, geometry, channels_last=True)])
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


# ---- pooling ----------------------------------------------------------------------------------

def test_max_pool_values_winners_and_indices_equal_numpys():
    """Values, winners k# and flat indices equal (the sign of a zero maximum is left open: NumPy's SIMD
    ``maximum`` does not keep the first of 0.0 and -0.0; the winner is the first zero either way)."""
    checked = 0
    for x, geometry in pool_cases(120):
        values, argmax = numpy_path(pool.max_pool_forward, x, geometry)
        got_values, got_argmax = compiled.max_pool_forward(x, geometry)
        np.testing.assert_array_equal(got_values, values)
        assert got_argmax.dtype == argmax.dtype
        np.testing.assert_array_equal(got_argmax, argmax)
        np.testing.assert_array_equal(compiled.max_pool_indices(argmax, geometry),
                                      numpy_path(pool.max_pool_indices, argmax, geometry))
        checked += 1
    assert checked > 80


def test_max_pool_with_over_127_offsets_uses_int32_winners():
    x = np.random.default_rng(7).standard_normal((2, 1, 7, 7, 7))
    geometry = WindowGeometry((7, 7, 7), (6, 6, 6), (1, 1, 1), (0, 0, 0), (1, 1, 1))
    values, argmax = numpy_path(pool.max_pool_forward, x, geometry)
    got_values, got_argmax = compiled.max_pool_forward(x, geometry)
    assert got_argmax.dtype == argmax.dtype == np.int32
    np.testing.assert_array_equal(got_argmax, argmax)
    np.testing.assert_array_equal(got_values, values)


def test_max_pool_scatter_sends_each_gradient_to_its_winner():
    rng = np.random.default_rng(8)
    for x, geometry in pool_cases(120, seed=9):
        _, argmax = numpy_path(pool.max_pool_forward, x, geometry)
        grad = rng.standard_normal(argmax.shape).astype(x.dtype)
        expected = numpy_path(pool.max_pool_scatter, grad, argmax, geometry)
        got = compiled.max_pool_scatter(grad, argmax, geometry)
        if geometry.overlapping():  # overlapping windows add in window order, NumPy in offset order
            np.testing.assert_allclose(got, expected, **TOLERANCE[x.dtype.type])
        else:
            np.testing.assert_array_equal(got, expected)


# ---- BatchNorm and ReLU -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (1, 2, 5), (3, 4, 5, 6), (2, 3, 2, 3, 4)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_forward_and_backward_agree(dtype, shape, affine):
    rng = np.random.default_rng(12)
    x_data = (rng.standard_normal(shape) * 3 + 50).astype(dtype)   # a large mean: the sums must not cancel
    g = rng.standard_normal(shape).astype(dtype)
    results = []
    for flag in (False, True):
        with compiled.use(flag):
            x = minigrad.tensor(x_data, requires_grad=True)
            weight = minigrad.tensor(rng.standard_normal(shape[1]).astype(dtype), requires_grad=True) if affine else None
            bias = minigrad.tensor(rng.standard_normal(shape[1]).astype(dtype), requires_grad=True) if affine else None
            running_mean, running_var = minigrad.zeros(shape[1], dtype=x.dtype), minigrad.ones(shape[1], dtype=x.dtype)
            y = F.batch_norm(x, running_mean, running_var, weight, bias, training=True, eps=1e-3)
            y.backward(minigrad.tensor(g))
            results.append([y.detach().numpy(), x.grad.numpy(), running_mean.numpy(), running_var.numpy()]
                           + ([weight.grad.numpy(), bias.grad.numpy()] if affine else []))
        rng = np.random.default_rng(12)
        rng.standard_normal(shape), rng.standard_normal(shape)
    tolerance = dict(rtol=2e-4, atol=2e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    for got, expected in zip(results[1], results[0]):
        assert got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, **tolerance)


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_equals_numpys_maximum_and_keeps_the_layout(dtype):
    rng = np.random.default_rng(13)
    x = rng.standard_normal((3, 4, 5, 6)).astype(dtype)
    x.flat[:4] = [np.nan, -0.0, np.inf, -np.inf]
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for array in (x, channels_last, x[:, :, ::2]):
        out = compiled.relu_forward(array)
        expected = np.maximum(array, 0)
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))
        grad = rng.standard_normal(array.shape).astype(dtype)
        grad.flat[:2] = [np.inf, -np.inf]
        with np.errstate(invalid="ignore"):  # inf * 0: NaN, on both sides
            np.testing.assert_array_equal(compiled.relu_backward(grad, out), grad * (out > 0))
    assert compiled.relu_forward(channels_last).strides == channels_last.strides


# ---- thread counts and a whole network --------------------------------------------------------

def test_results_are_bit_identical_for_any_thread_count(num_threads):
    rng = np.random.default_rng(14)
    x = rng.standard_normal((5, 6, 13, 11)).astype(np.float32)
    geometry = WindowGeometry((13, 11), (3, 3), (2, 2), (1, 1), (1, 1), ceil_mode=True)
    grad = rng.standard_normal((5, 6) + geometry.output_size).astype(np.float32)
    outputs = []
    for threads in (1, 2, 3):
        num_threads(threads)
        values, argmax = compiled.max_pool_forward(x, geometry)
        outputs.append([compiled.im2col(x, (3, 3), (1, 2), (1, 1), 2, "t", False, ((1, 1), (2, 0))).copy(),
                        values, argmax, compiled.max_pool_scatter(grad, argmax, geometry),
                        *compiled.batch_norm_forward(x, None, None, 1e-5)])
    for other in outputs[1:]:
        for a, b in zip(outputs[0], other):
            np.testing.assert_array_equal(a, b)


def test_a_small_cnn_trains_the_same_with_compiled_kernels_on_and_off():
    """Forward and backward of conv -> BatchNorm -> ReLU -> max-pool -> depthwise conv -> avg-pool -> linear."""
    rng = np.random.default_rng(15)
    images = rng.standard_normal((4, 3, 12, 12)).astype(np.float32)
    labels = rng.integers(0, 5, 4)
    results = []
    for flag in (False, True):
        minigrad.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8), nn.ReLU(), nn.AvgPool2d(3, 1, 1),
                              nn.Flatten(), nn.Linear(8 * 3 * 3, 5))
        with compiled.use(flag):
            loss = F.cross_entropy(model(minigrad.tensor(images)), minigrad.tensor(labels))
            loss.backward()
        results.append([loss.detach().numpy()] + [p.grad.numpy() for p in model.parameters()])
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_winograd_weight_gradient_partial_sums_stay_within_half_the_column_budget(monkeypatch):
    """The weight gradient's (parts, 16, Cy, Cx) partial sums: fewer parts when 8 would pass half of
    ``COLUMN_BUDGET_BYTES``; the sum is the same to rounding."""
    rng = np.random.default_rng(37)
    geometry = conv_geometry((6, 20), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x = rng.standard_normal((9, 8, 6, 20))
    grad = rng.standard_normal((9, 6, 6, 20))
    monkeypatch.setattr(compiled, "WINOGRAD_BLOCK_BYTES", 1)            # one sample a block: 9 blocks
    expected = compiled.winograd_weight_grad(x, grad, geometry)
    allocated = []
    real_zeros = np.zeros
    monkeypatch.setattr(compiled.np, "zeros", lambda shape, *a, **k: allocated.append(shape) or real_zeros(shape, *a, **k))
    monkeypatch.setattr(im2col, "COLUMN_BUDGET_BYTES", 2 * 3 * 16 * 8 * 6 * 8)   # room for 3 parts in half of it
    got = compiled.winograd_weight_grad(x, grad, geometry)
    assert allocated == [(3, 16, 6, 8)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
