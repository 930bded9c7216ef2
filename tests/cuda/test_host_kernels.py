"""The CUDA kernels' C source, compiled for the CPU by the host C++ compiler and run on NumPy arrays
(see host_kernels.py), against minigrad's NumPy kernels and torch, over generated geometries.

This runs the exact kernel text that NVRTC compiles on a GPU, through the same Python routines that
size, allocate and launch it (minigrad.kernels.cuda.im2col / .pool), with a grid smaller than the work
so that the grid-stride loop runs several rounds per thread. It checks index arithmetic, bounds,
tie/NaN rules, divisors and argument order; it cannot check NVRTC or GPU behaviour (tests/cuda/test_gpu_*.py).
No GPU or CuPy needed; skipped when no host C++ compiler is installed.
"""
import math
import types

import numpy as np
import pytest
from hypothesis import assume, example, given, reject, settings
from hypothesis import strategies as st

from minigrad.kernels.geometry import WindowGeometry
from minigrad.kernels import im2col as numpy_im2col
from minigrad.kernels import pool as numpy_pool
from minigrad.kernels.cuda import handles
from minigrad.kernels.cuda import im2col as cuda_im2col
from minigrad.kernels.cuda import launch
from minigrad.kernels.cuda import pool as cuda_pool
from minigrad.kernels.cuda.source import KERNELS

from geometries import conv_geometries, conv_input, every_window_reads_the_input, pool_geometries, pool_input

import host_kernels  # noqa: E402  (tests/cuda is on sys.path: pytest prepends a test file's folder)
if host_kernels.COMPILER is None:
    pytest.skip("no host C++ compiler (g++/clang++) to build the kernels for the CPU", allow_module_level=True)

RUN = host_kernels.host_runner(grid=3, block=5)
DTYPES = st.sampled_from([np.float32, np.float64])


@pytest.fixture(params=["int", "long long"])
def index_type(request, monkeypatch):
    """Run each test with 32-bit and with 64-bit index arithmetic (the latter is chosen on the GPU
    only for arrays past 2**31 elements, too large to test directly)."""
    chosen = request.param
    monkeypatch.setattr(launch, "index_type", lambda total, arrays: chosen)
    return chosen


def _close(a, b, dtype):
    tolerance = 1e-5 if np.dtype(dtype) == np.float32 else 1e-12
    np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


# ---- im2col / col2im --------------------------------------------------------------------------

@settings(max_examples=60)
@given(geometry=conv_geometries(), dtype=DTYPES)
def test_im2col_kernel_copies_every_window_entry_as_the_numpy_kernel(geometry, dtype, index_type):
    batch, channels, spatial, kernel, stride, dilation, groups, layout = geometry
    x = conv_input(np.random.default_rng(0), (batch, channels) + spatial, dtype, layout)
    expected = numpy_im2col.im2col(x, ((0, 0),) * len(kernel), kernel, stride, dilation, groups).copy()
    got = cuda_im2col.im2col(x, kernel, stride, dilation, groups, runner=RUN)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=60)
@given(geometry=conv_geometries(), dtype=DTYPES)
def test_col2im_kernel_adds_columns_back_as_the_numpy_kernel(geometry, dtype, index_type):
    batch, channels, spatial, kernel, stride, dilation, groups, layout = geometry
    rng = np.random.default_rng(1)
    windows = numpy_im2col.windows_output_size(spatial, kernel, stride, dilation)
    cols = rng.standard_normal((groups, channels // groups * math.prod(kernel), batch * math.prod(windows))).astype(dtype)
    start = rng.standard_normal((batch, channels) + spatial).astype(dtype)     # col2im adds to what is there
    expected = numpy_im2col.col2im(cols, start.copy(), kernel, stride, dilation, groups)
    if layout == "contiguous":
        out = start.copy()
    else:  # a non-contiguous target: the kernel writes a scratch array that is then added
        out = np.zeros((batch, channels) + spatial[:-1] + (2 * spatial[-1],), dtype=dtype)[..., ::2]
        out[...] = start
    got = cuda_im2col.col2im(cols, out, kernel, stride, dilation, groups, runner=RUN)
    assert got is out
    _close(got, expected, dtype)


@settings(max_examples=30)
@given(geometry=conv_geometries())
def test_col2im_kernel_is_the_adjoint_of_the_im2col_kernel(geometry):
    """<im2col(x), c> = <x, col2im(c)> for every x and c: col2im sums exactly the entries im2col copied."""
    batch, channels, spatial, kernel, stride, dilation, groups, _ = geometry
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, channels) + spatial)
    cols_x = cuda_im2col.im2col(x, kernel, stride, dilation, groups, runner=RUN)
    c = rng.standard_normal(cols_x.shape)
    back = cuda_im2col.col2im(c, np.zeros_like(x), kernel, stride, dilation, groups, runner=RUN)
    assert np.isclose(np.vdot(cols_x, c), np.vdot(x, back), rtol=1e-12)


# ---- pooling ----------------------------------------------------------------------------------

VALUES = st.sampled_from(["random", "ties", "special"])


@settings(max_examples=80)
@given(case=pool_geometries(), dtype=DTYPES, values=VALUES)
def test_max_pool_kernels_match_numpy_values_winners_scatter_and_gather(case, dtype, values, index_type):
    lead, geometry, _ = case
    rng = np.random.default_rng(3)
    x = pool_input(rng, lead + geometry.input_size, dtype, values)
    expected_values, expected_argmax = numpy_pool.max_pool_forward(x, geometry)
    got_values, got_argmax = cuda_pool.max_pool_forward(x, geometry, runner=RUN)
    np.testing.assert_array_equal(got_values, expected_values)     # NaN == NaN here
    assert got_argmax.dtype == expected_argmax.dtype
    np.testing.assert_array_equal(got_argmax, expected_argmax)

    grad = rng.standard_normal(expected_values.shape).astype(dtype)
    if values == "special":
        grad.flat[0] = np.inf  # an infinite gradient must reach only its own winner
    _close(cuda_pool.max_pool_scatter(grad, got_argmax, geometry, runner=RUN),
           numpy_pool.max_pool_scatter(grad, expected_argmax, geometry), dtype)
    y = rng.standard_normal(x.shape).astype(dtype)
    np.testing.assert_array_equal(cuda_pool.max_pool_gather(y, got_argmax, geometry, runner=RUN),
                                  numpy_pool.max_pool_gather(y, expected_argmax, geometry))


def test_max_pool_kernels_use_int32_winners_past_127_offsets(index_type):
    geometry = WindowGeometry((6, 7, 7), (4, 6, 6), (1, 1, 1), (1, 2, 3), (1, 1, 1), False)
    x = np.random.default_rng(4).standard_normal((2, 6, 7, 7)).astype(np.float32)
    values, argmax = cuda_pool.max_pool_forward(x, geometry, runner=RUN)
    expected_values, expected_argmax = numpy_pool.max_pool_forward(x, geometry)
    assert argmax.dtype == np.int32 and argmax.max() > 127
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_array_equal(argmax, expected_argmax)
    grad = np.random.default_rng(5).standard_normal(values.shape).astype(np.float32)
    _close(cuda_pool.max_pool_scatter(grad, argmax, geometry, runner=RUN),
           numpy_pool.max_pool_scatter(grad, expected_argmax, geometry), np.float32)


# windows reaching into the right padding by more than one position, with and without ceil_mode
@example(case=((2,), WindowGeometry((5,), (4,), (1,), (2,), (1,)), False), dtype=np.float64,
         count_include_pad=False, divisor_override=None)
@example(case=((1, 2), WindowGeometry((6, 5), (4, 3), (3, 2), (2, 1), (1, 1), True), True), dtype=np.float32,
         count_include_pad=True, divisor_override=None)
@settings(max_examples=80)
@given(case=pool_geometries(dilated=False), dtype=DTYPES, count_include_pad=st.booleans(),
       divisor_override=st.sampled_from([None, None, 1, 5]))
def test_avg_pool_kernels_match_numpy_with_torch_divisor_rules(case, dtype, count_include_pad, divisor_override,
                                                               index_type):
    lead, geometry, _ = case
    rng = np.random.default_rng(6)
    x = rng.standard_normal(lead + geometry.input_size).astype(dtype)
    _close(cuda_pool.avg_pool_forward(x, geometry, count_include_pad, divisor_override, runner=RUN),
           numpy_pool.avg_pool_forward(x, geometry, count_include_pad, divisor_override), dtype)
    grad = rng.standard_normal(lead + geometry.output_size).astype(dtype)
    _close(cuda_pool.avg_pool_transpose(grad, geometry, count_include_pad, divisor_override, runner=RUN),
           numpy_pool.avg_pool_transpose(grad, geometry, count_include_pad, divisor_override), dtype)


def _torch_pool(torch, kind, d):
    return getattr(torch.nn.functional, f"{kind}_pool{d}d")


@settings(max_examples=40)
@given(case=pool_geometries(), values=st.sampled_from(["random", "ties"]))
def test_max_pool_kernels_match_torch_values_indices_and_gradient(torch, case, values):
    lead, geometry, ceil_mode = case
    assume(every_window_reads_the_input(geometry))
    d = geometry.ndim
    x = pool_input(np.random.default_rng(7), lead + geometry.input_size, np.float64, values)
    values_, argmax = cuda_pool.max_pool_forward(x, geometry, runner=RUN)
    tx = torch.from_numpy(x).requires_grad_(True)
    t_values, t_indices = _torch_pool(torch, "max", d)(
        tx, geometry.kernel, geometry.stride, geometry.padding, geometry.dilation, ceil_mode, return_indices=True)
    np.testing.assert_array_equal(values_, t_values.detach().numpy())
    np.testing.assert_array_equal(numpy_pool.max_pool_indices(argmax, geometry), t_indices.numpy())
    grad = np.random.default_rng(8).standard_normal(values_.shape)
    t_values.backward(torch.from_numpy(grad))
    np.testing.assert_allclose(cuda_pool.max_pool_scatter(grad, argmax, geometry, runner=RUN), tx.grad.numpy(),
                               rtol=1e-12, atol=1e-12)


@settings(max_examples=40)
@given(case=pool_geometries(dilated=False), count_include_pad=st.booleans(),
       divisor_override=st.sampled_from([None, 3]))
def test_avg_pool_kernels_match_torch_values_and_gradient(torch, case, count_include_pad, divisor_override):
    lead, geometry, ceil_mode = case
    d = geometry.ndim
    if d == 1:
        divisor_override = None  # avg_pool1d has no divisor_override
    x = np.random.default_rng(9).standard_normal(lead + geometry.input_size)
    tx = torch.from_numpy(x).requires_grad_(True)
    options = dict(divisor_override=divisor_override) if d > 1 else {}
    try:
        t_out = _torch_pool(torch, "avg", d)(tx, geometry.kernel, geometry.stride, geometry.padding, ceil_mode,
                                             count_include_pad, **options)
    except RuntimeError:  # avg_pool3d refuses inputs smaller than the kernel
        reject()
    out = cuda_pool.avg_pool_forward(x, geometry, count_include_pad, divisor_override, runner=RUN)
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    grad = np.random.default_rng(10).standard_normal(out.shape)
    t_out.backward(torch.from_numpy(grad))
    np.testing.assert_allclose(cuda_pool.avg_pool_transpose(grad, geometry, count_include_pad, divisor_override,
                                                            runner=RUN), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


# ---- launch plumbing --------------------------------------------------------------------------

def test_index_type_is_64_bit_only_when_an_offset_passes_2_to_the_31():
    small = np.empty(10, dtype=np.float32)
    # a (2, 3) float32 view whose second row starts 2**31 elements after the first (metadata only)
    huge_view = types.SimpleNamespace(size=6, itemsize=4, shape=(2, 3), strides=(4 * 2**31, 4))
    assert launch.index_type(small.size, [small]) == "int"
    assert launch.index_type(small.size, [small, huge_view]) == "long long"
    assert launch.index_type(2**31 - 1, [small]) == "long long"    # the grid-stride loop would overflow


def test_every_kernel_names_each_parameter_once_and_takes_total():
    for kernel in KERNELS.values():
        names = [name for _, name in kernel.param_list]
        assert len(names) == len(set(names)) and "total" in names, kernel
        assert all(c_type in ("T", "I", "A", "const T*", "T*", "const A*", "A*") for c_type, _ in kernel.param_list)


def test_kernels_with_nothing_to_write_launch_nothing():
    def refuse(*args):
        raise AssertionError("launched an empty kernel")
    x = np.zeros((0, 2, 5), dtype=np.float32)
    assert cuda_im2col.im2col(x, (3,), (1,), (1,), 1, runner=refuse).shape == (1, 6, 0)


def test_numpy_arrays_never_take_the_cuda_kernels():
    assert not handles(np.zeros(3, dtype=np.float32))


# ---- the whole op stack through the kernels ---------------------------------------------------

@pytest.fixture
def numpy_through_cuda_kernels(monkeypatch):
    """Route NumPy float arrays to the CUDA kernels (run on the host), as CuPy arrays are on a GPU."""
    from minigrad.kernels import cuda
    launched = []

    def runner(kernel, types, total, args):
        launched.append(kernel.name)
        RUN(kernel, types, total, args)
    monkeypatch.setattr(cuda, "handles", lambda array: launch.supported_dtype(array.dtype))
    monkeypatch.setattr(launch, "gpu_runner", runner)
    return launched


@settings(max_examples=25)
@given(d=st.integers(1, 3), stride=st.integers(1, 2), padding=st.integers(0, 1), dilation=st.integers(1, 2),
       groups=st.sampled_from([1, 2]), dtype=DTYPES)
def test_conv_primitives_through_the_kernels_match_torch_values_and_gradients(
        torch, numpy_through_cuda_kernels, d, stride, padding, dilation, groups, dtype):
    import utils
    import minigrad.nn.functional as F
    numpy_through_cuda_kernels.clear()   # one list for all examples
    rng = np.random.default_rng(11)
    spatial = (6, 5, 4)[:d]
    x = rng.standard_normal((2, 2 * groups) + spatial).astype(dtype)
    w = rng.standard_normal((2 * groups, 2) + (3, 2, 2)[:d]).astype(dtype)
    y = rng.standard_normal((2, 2 * groups) + (3, 4, 2)[:d]).astype(dtype)
    conv, conv_t = f"conv{d}d", f"conv_transpose{d}d"
    utils.check_against_torch(
        torch, lambda a, b: getattr(F, conv)(a, b, None, stride, padding, dilation, groups),
        lambda a, b: getattr(torch.nn.functional, conv)(a, b, None, stride, padding, dilation, groups), [x, w])
    utils.check_against_torch(   # stride > 1 takes col2im; its gradients take im2col
        torch, lambda a, b: getattr(F, conv_t)(a, b, None, stride, padding, 0, groups, dilation),
        lambda a, b: getattr(torch.nn.functional, conv_t)(a, b, None, stride, padding, 0, groups, dilation), [y, w])
    assert "im2col" in numpy_through_cuda_kernels
    if stride > 1:  # (at unit stride col2im is taken only when its columns are much smaller)
        assert "col2im" in numpy_through_cuda_kernels


@settings(max_examples=20)
@given(d=st.integers(1, 3), kernel=st.integers(2, 3), stride=st.integers(1, 2), ceil_mode=st.booleans(),
       dtype=DTYPES)
def test_pool_primitives_through_the_kernels_match_torch_values_gradients_and_double_backward(
        torch, numpy_through_cuda_kernels, d, kernel, stride, ceil_mode, dtype):
    import utils
    import minigrad.nn.functional as F
    numpy_through_cuda_kernels.clear()
    x = np.random.default_rng(12).standard_normal((2, 3) + (7, 6, 5)[:d]).astype(dtype)
    for kind, options in (("max", dict(padding=1, ceil_mode=ceil_mode)),
                          ("avg", dict(padding=1, ceil_mode=ceil_mode, count_include_pad=False))):
        name = f"{kind}_pool{d}d"
        utils.check_against_torch(torch, lambda a: getattr(F, name)(a, kernel, stride, **options),
                                  lambda a: getattr(torch.nn.functional, name)(a, kernel, stride, **options), [x])
    assert {"max_pool_forward", "max_pool_scatter", "avg_pool_forward",
            "avg_pool_transpose"} <= set(numpy_through_cuda_kernels)
    if dtype == np.float64:  # double backward goes through max_pool_gather
        utils.gradchecks(lambda a: F.max_pool2d(a, 2, 1, ceil_mode=ceil_mode) if d == 2 else
                         getattr(F, f"max_pool{d}d")(a, 2, 1), [x[:1, :1]])
        assert "max_pool_gather" in numpy_through_cuda_kernels
