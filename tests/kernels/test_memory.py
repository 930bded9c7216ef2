"""Convolution and pooling keep their scratch memory within a fixed budget beyond input and output.

The budget (``im2col.COLUMN_BUDGET_BYTES``, 256 MB) is lowered here to 2 MB so that a small, fast case is
far above it: the whole-batch padded copies the kernels used to make (4-9 MB here) would pass it by
several times. NumPy reports its allocations to ``tracemalloc``, so the peak of one call, less what was
allocated before it and what it returns, is the scratch it held.
"""
import tracemalloc

import numpy as np
import pytest

from minigrad.kernels import conv, im2col, pool
from minigrad.kernels.geometry import WindowGeometry, conv_geometry

BUDGET = 2 * 2**20
SLACK = 1.25  # small temporaries (a chunk's bool masks, the weight-gradient accumulator) on top


@pytest.fixture
def small_budget(monkeypatch):
    monkeypatch.setattr(im2col, "COLUMN_BUDGET_BYTES", BUDGET)
    im2col._local.slots = {}  # no workspace kept from earlier calls
    yield
    im2col._local.slots = {}


def scratch_bytes(call) -> tuple:
    """(bytes held beyond the arguments and the result at the call's peak, the result)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    results = result if isinstance(result, tuple) else (result,)
    kept = sum(r.base.nbytes if r.base is not None and isinstance(r.base, np.ndarray) else r.nbytes for r in results)
    return peak - before - kept, result


RNG = np.random.default_rng(0)
X = RNG.standard_normal((32, 8, 64, 64)).astype(np.float32)          # 4 MB input
WEIGHT = RNG.standard_normal((8, 8, 3, 3)).astype(np.float32)
GEOMETRY = conv_geometry((64, 64), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)


def test_conv_forward_pads_per_chunk_within_the_budget(small_budget):
    extra, y = scratch_bytes(lambda: conv.conv_forward(X, WEIGHT, None, GEOMETRY))
    print(f"conv_forward scratch {extra / 2**20:.2f} MB (budget {BUDGET / 2**20:.0f} MB, input {X.nbytes / 2**20:.0f} MB)")
    assert extra <= SLACK * BUDGET
    im2col._local.slots = {}
    unchunked = conv.conv_forward(X[:2], WEIGHT, None, GEOMETRY)
    np.testing.assert_allclose(y[:2], unchunked, rtol=1e-5, atol=1e-5)


def test_conv_weight_grad_pads_per_chunk_within_the_budget(small_budget):
    grad = RNG.standard_normal((32, 8, 64, 64)).astype(np.float32)
    extra, w = scratch_bytes(lambda: conv.conv_weight_grad_forward(X, grad, GEOMETRY))
    print(f"conv_weight_grad scratch {extra / 2**20:.2f} MB")
    assert extra <= SLACK * BUDGET
    assert w.shape == WEIGHT.shape


@pytest.mark.parametrize("stride", [1, 2])
def test_conv_transpose_builds_its_padded_target_per_chunk(small_budget, stride):
    # stride 2 takes the col2im path (a padded (n, Cx, *F) target per chunk), stride 1 the flipped conv
    y = RNG.standard_normal((32, 8, 64 // stride, 64 // stride)).astype(np.float32)
    geometry = WindowGeometry((64, 64), (3, 3), (stride,) * 2, (1, 1), (1, 1), output_size=y.shape[2:], groups=1)
    extra, x = scratch_bytes(lambda: conv.conv_transpose_forward(y, WEIGHT, None, geometry))
    print(f"conv_transpose (stride {stride}) scratch {extra / 2**20:.2f} MB")
    assert x.shape[:2] == (32, 8)
    assert extra <= SLACK * BUDGET


def _pool_geometry():
    return WindowGeometry((64, 64), (3, 3), (2, 2), (1, 1), (1, 1))


@pytest.mark.parametrize("which", ["max_forward", "max_scatter", "avg_forward", "avg_transpose"])
def test_pooling_pads_per_chunk_of_planes_within_the_budget(small_budget, which):
    geometry = _pool_geometry()
    values, argmax = pool.max_pool_forward(X[:1], geometry)  # warm-up: shapes and dtypes
    out_shape = X.shape[:2] + geometry.output_size
    grad = RNG.standard_normal(out_shape).astype(np.float32)
    calls = {
        "max_forward": lambda: pool.max_pool_forward(X, geometry),
        "max_scatter": lambda: pool.max_pool_scatter(grad, argmax_full, geometry),
        "avg_forward": lambda: pool.avg_pool_forward(X, geometry),
        "avg_transpose": lambda: pool.avg_pool_transpose(grad, geometry),
    }
    argmax_full = pool.max_pool_forward(X, geometry)[1]
    extra, _ = scratch_bytes(calls[which])
    print(f"{which} scratch {extra / 2**20:.2f} MB")
    assert extra <= SLACK * BUDGET


def test_chunked_pooling_gives_the_unchunked_values(small_budget, monkeypatch):
    geometry = _pool_geometry()
    chunked = pool.max_pool_forward(X, geometry)
    averaged = pool.avg_pool_forward(X, geometry)
    monkeypatch.setattr(im2col, "COLUMN_BUDGET_BYTES", 2**40)
    whole = pool.max_pool_forward(X, geometry)
    np.testing.assert_array_equal(chunked[0], whole[0])
    np.testing.assert_array_equal(chunked[1], whole[1])
    np.testing.assert_allclose(averaged, pool.avg_pool_forward(X, geometry), rtol=1e-6)
