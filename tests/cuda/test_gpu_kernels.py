"""The CUDA kernels on a GPU (NVRTC-compiled, launched by CuPy) against minigrad's NumPy kernels over
generated 1d-3d geometries, both index widths, and bitwise determinism of the gather-form backwards.
Needs CuPy and a GPU; skipped otherwise."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.kernels.geometry import WindowGeometry
from minigrad.kernels import im2col as numpy_im2col
from minigrad.kernels import pool as numpy_pool
from minigrad.kernels.cuda import handles, launch
from minigrad.kernels.cuda import im2col as cuda_im2col
from minigrad.kernels.cuda import pool as cuda_pool

from geometries import conv_geometries, conv_input, pool_geometries, pool_input
from gpu import require_gpu

cupy = require_gpu(allow_cpu_dry_run=False)
pytestmark = pytest.mark.cuda

DTYPES = st.sampled_from([np.float32, np.float64])


@pytest.fixture(params=["int", "long long"])
def index_type(request, monkeypatch):
    """Compile and run both index widths (64-bit is chosen by itself only past 2**31 elements)."""
    monkeypatch.setattr(launch, "index_type", lambda total, arrays: request.param)
    return request.param


def _close(gpu, expected, dtype):
    tolerance = 1e-5 if np.dtype(dtype) == np.float32 else 1e-12
    np.testing.assert_allclose(cupy.asnumpy(gpu), expected, rtol=tolerance, atol=tolerance)


def test_cupy_float_arrays_take_the_kernels_and_others_do_not():
    assert handles(cupy.zeros(2, dtype=cupy.float32)) and handles(cupy.zeros(2, dtype=cupy.float64))
    assert not handles(cupy.zeros(2, dtype=cupy.float16)) and not handles(cupy.zeros(2, dtype=cupy.int32))
    assert not handles(np.zeros(2, dtype=np.float32))


@settings(max_examples=40)
@given(geometry=conv_geometries(), dtype=DTYPES)
def test_im2col_and_col2im_kernels_on_the_gpu_match_the_numpy_kernels(geometry, dtype, index_type):
    batch, channels, spatial, kernel, stride, dilation, groups, layout = geometry
    rng = np.random.default_rng(0)
    x = conv_input(rng, (batch, channels) + spatial, dtype, layout)
    x_gpu = cupy.asarray(np.ascontiguousarray(x))
    if layout == "strided":
        x_gpu = cupy.asarray(np.repeat(np.ascontiguousarray(x), 2, axis=-1))[..., ::2]
    elif layout == "reversed":
        x_gpu = cupy.ascontiguousarray(x_gpu[:, ::-1, ..., ::-1])[:, ::-1, ..., ::-1]   # negative strides
    expected = numpy_im2col.im2col(x, ((0, 0),) * len(kernel), kernel, stride, dilation, groups).copy()
    got = cuda_im2col.im2col(x_gpu, kernel, stride, dilation, groups)
    np.testing.assert_array_equal(cupy.asnumpy(got), expected)

    windows = numpy_im2col.windows_output_size(spatial, kernel, stride, dilation)
    cols = rng.standard_normal((groups, channels // groups * math.prod(kernel), batch * math.prod(windows))).astype(dtype)
    start = rng.standard_normal((batch, channels) + spatial).astype(dtype)
    expected = numpy_im2col.col2im(cols, start.copy(), kernel, stride, dilation, groups)
    out = cupy.asarray(start)
    assert cuda_im2col.col2im(cupy.asarray(cols), out, kernel, stride, dilation, groups) is out
    _close(out, expected, dtype)


@settings(max_examples=60)
@given(case=pool_geometries(), dtype=DTYPES, values=st.sampled_from(["random", "ties", "special"]))
def test_max_pool_kernels_on_the_gpu_match_the_numpy_kernels(case, dtype, values, index_type):
    lead, geometry, _ = case
    rng = np.random.default_rng(1)
    x = pool_input(rng, lead + geometry.input_size, dtype, values)
    expected_values, expected_argmax = numpy_pool.max_pool_forward(x, geometry)
    got_values, got_argmax = cuda_pool.max_pool_forward(cupy.asarray(x), geometry)
    np.testing.assert_array_equal(cupy.asnumpy(got_values), expected_values)
    np.testing.assert_array_equal(cupy.asnumpy(got_argmax), expected_argmax)
    grad = rng.standard_normal(expected_values.shape).astype(dtype)
    _close(cuda_pool.max_pool_scatter(cupy.asarray(grad), got_argmax, geometry),
           numpy_pool.max_pool_scatter(grad, expected_argmax, geometry), dtype)
    y = rng.standard_normal(x.shape).astype(dtype)
    np.testing.assert_array_equal(cupy.asnumpy(cuda_pool.max_pool_gather(cupy.asarray(y), got_argmax, geometry)),
                                  numpy_pool.max_pool_gather(y, expected_argmax, geometry))


@settings(max_examples=60)
@given(case=pool_geometries(dilated=False), dtype=DTYPES, count_include_pad=st.booleans(),
       divisor_override=st.sampled_from([None, None, 1, 5]))
def test_avg_pool_kernels_on_the_gpu_match_the_numpy_kernels(case, dtype, count_include_pad, divisor_override,
                                                             index_type):
    lead, geometry, _ = case
    rng = np.random.default_rng(2)
    x = rng.standard_normal(lead + geometry.input_size).astype(dtype)
    _close(cuda_pool.avg_pool_forward(cupy.asarray(x), geometry, count_include_pad, divisor_override),
           numpy_pool.avg_pool_forward(x, geometry, count_include_pad, divisor_override), dtype)
    grad = rng.standard_normal(lead + geometry.output_size).astype(dtype)
    _close(cuda_pool.avg_pool_transpose(cupy.asarray(grad), geometry, count_include_pad, divisor_override),
           numpy_pool.avg_pool_transpose(grad, geometry, count_include_pad, divisor_override), dtype)


def test_gather_form_backwards_are_bitwise_deterministic():
    rng = np.random.default_rng(3)
    cols = cupy.asarray(rng.standard_normal((1, 4 * 9, 8 * 15 * 15)).astype(np.float32))
    runs = [cuda_im2col.col2im(cols, cupy.zeros((8, 4, 31, 31), dtype=cupy.float32), (3, 3), (2, 2), (1, 1), 1)
            for _ in range(3)]
    assert all(bool((r == runs[0]).all()) for r in runs)
    geometry = WindowGeometry((33, 33), (3, 3), (1, 1), (1, 1), (1, 1))
    _, argmax = cuda_pool.max_pool_forward(cupy.asarray(rng.integers(0, 3, (16, 33, 33)).astype(np.float32)), geometry)
    grad = cupy.asarray(rng.standard_normal((16, 33, 33)).astype(np.float32))
    runs = [cuda_pool.max_pool_scatter(grad, argmax, geometry) for _ in range(3)]
    assert all(bool((r == runs[0]).all()) for r in runs)


def test_kernels_run_on_the_device_that_holds_the_arrays():
    if cupy.cuda.runtime.getDeviceCount() < 2:
        pytest.skip("needs two GPUs")
    with cupy.cuda.Device(1):
        x = cupy.asarray(np.random.default_rng(4).standard_normal((2, 3, 8, 8)).astype(np.float32))
    geometry = WindowGeometry((8, 8), (2, 2), (2, 2), (0, 0), (1, 1))
    values, _ = cuda_pool.max_pool_forward(x, geometry)   # current device is 0
    assert values.device.id == 1
    np.testing.assert_array_equal(cupy.asnumpy(values), numpy_pool.max_pool_forward(cupy.asnumpy(x), geometry)[0])
