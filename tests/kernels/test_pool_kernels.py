"""Pooling kernels (minigrad/kernels/pool.py) on raw arrays: split over threads, memory layouts, paths.

Every kernel splits the batch over ``threads.parallel_for``: the results must be bit-identical for any
thread count. A channels_last input (an NCHW-shaped view of NHWC memory) must give the same values as
its C-ordered copy, with results laid out channels_last. Windows with stride > 1 are read from a
stride-phase copy (in the input's layout), others from a padded copy or the input itself: each must
agree with a plain loop over the windows, with torch's tie, NaN and padding rules.
"""
import itertools

import numpy as np
import pytest

import minigrad
from minigrad import threads
from minigrad.kernels import im2col, pool
from minigrad.kernels.geometry import WindowGeometry

RNG = np.random.default_rng(0)


def channels_last(a):
    """The same values as ``a`` (N, C, *S), in memory (N, *S, C)."""
    moved = np.ascontiguousarray(np.moveaxis(a, 1, -1))
    return np.moveaxis(moved, -1, 1)


def is_channels_last(a):
    return a.strides[1] == a.itemsize and all(a.strides[i] > a.strides[i + 1] for i in range(2, a.ndim - 1))


def tricky(shape, dtype=np.float32, seed=0):
    """Rounded values (many ties), a NaN, a plane of -inf and some signed zeros."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.standard_normal(shape) * 2).astype(dtype)
    x[0, 0].flat[5] = np.nan
    x[-1, -1] = -np.inf
    x[0, -1].flat[::4] = -0.0
    return x


def reference_max_pool(x, geometry):
    """A loop over the windows of each plane (small inputs only): torch's scan, val > max or isnan(val)."""
    lead = x.shape[:-geometry.ndim]
    values = np.empty(lead + geometry.output_size, x.dtype)
    argmax = np.empty(lead + geometry.output_size, np.int64)
    for plane in np.ndindex(*lead):
        for o in np.ndindex(*geometry.output_size):
            best, winner = None, None
            for number, k in enumerate(geometry.offsets()):
                position = tuple(oi * s - p + ki * dl for oi, s, p, ki, dl in zip(
                    o, geometry.stride, geometry.padding, k, geometry.dilation))
                if any(q < 0 or q >= size for q, size in zip(position, geometry.input_size)):
                    continue
                value = x[plane + position]
                if best is None or value > best or np.isnan(value):
                    best, winner = value, number
            values[plane + o], argmax[plane + o] = best, winner
    return values, argmax


GEOMETRIES = [
    WindowGeometry((9, 8), (2, 2), (2, 2), (0, 0), (1, 1)),
    WindowGeometry((9, 8), (3, 3), (2, 2), (1, 1), (1, 1)),
    WindowGeometry((9, 8), (3, 3), (2, 2), (1, 1), (1, 1), ceil_mode=True),
    WindowGeometry((9, 8), (3, 2), (1, 3), (1, 1), (1, 1), ceil_mode=True),
    WindowGeometry((9, 8), (2, 3), (3, 2), (0, 1), (2, 2)),
    WindowGeometry((9, 8), (3, 3), (1, 1), (1, 1), (1, 1)),
]


@pytest.fixture
def split_everything(monkeypatch, num_threads):
    """Split even the small test arrays over the threads (whose count the test may set: it comes back after)."""
    monkeypatch.setattr(threads, "MIN_PARALLEL_BYTES", 0)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=repr)
@pytest.mark.parametrize("layout", ["nchw", "channels_last"])
def test_max_pool_forward_matches_a_loop_over_windows(geometry, layout):
    x = tricky((2, 3) + geometry.input_size)
    values, argmax = pool.max_pool_forward(channels_last(x) if layout == "channels_last" else x, geometry)
    expected_values, expected_argmax = reference_max_pool(x, geometry)
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_array_equal(argmax, expected_argmax)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=repr)
def test_channels_last_input_gives_the_same_values_in_a_channels_last_layout(geometry):
    x = tricky((3, 4) + geometry.input_size, np.float64, seed=1)
    x_last = channels_last(x)
    values, argmax = pool.max_pool_forward(x, geometry)
    values_last, argmax_last = pool.max_pool_forward(x_last, geometry)
    assert is_channels_last(values_last) and is_channels_last(argmax_last)
    np.testing.assert_array_equal(values_last, values)
    np.testing.assert_array_equal(argmax_last, argmax)
    grad = RNG.standard_normal(values.shape)
    order = pool.memory_order(x_last)
    scattered = pool.max_pool_scatter(grad, argmax, geometry)
    scattered_last = pool.max_pool_scatter(channels_last(grad), argmax_last, geometry, order)
    assert is_channels_last(scattered_last)
    np.testing.assert_array_equal(scattered_last, scattered)
    np.testing.assert_array_equal(np.signbit(scattered_last), np.signbit(scattered))
    for count_include_pad in (True, False):
        averaged = pool.avg_pool_forward(x, geometry, count_include_pad)
        averaged_last = pool.avg_pool_forward(x_last, geometry, count_include_pad)
        assert is_channels_last(averaged_last)
        np.testing.assert_array_equal(averaged_last, averaged)
        spread = pool.avg_pool_transpose(grad, geometry, count_include_pad)
        spread_last = pool.avg_pool_transpose(grad, geometry, count_include_pad, order=order)  # grad C-ordered
        assert is_channels_last(spread_last)
        np.testing.assert_array_equal(spread_last, spread)


def test_the_gradient_takes_the_layout_it_is_asked_for_not_the_broadcast_grads():
    geometry = GEOMETRIES[1]
    x_last = channels_last(RNG.standard_normal((2, 3) + geometry.input_size))
    _, argmax = pool.max_pool_forward(x_last, geometry)
    ones = np.broadcast_to(np.float64(1), argmax.shape)            # what out.sum().backward() sends
    assert is_channels_last(pool.max_pool_scatter(ones, argmax, geometry, pool.memory_order(x_last)))
    assert pool.max_pool_scatter(ones, argmax, geometry).flags.c_contiguous


@pytest.mark.parametrize("output_size", [(1, 1), (3, 4), (4, 2), (5, 3), (12, 10)])
def test_adaptive_pools_keep_a_channels_last_layout_and_values(output_size):
    x = tricky((2, 3, 8, 6), np.float64, seed=2)
    x[-1, -1] = 7.0  # no -inf: the bin-average matrices would turn it into NaN (inf * 0)
    x_last = channels_last(x)
    values, indices = pool.adaptive_max_pool_forward(x, output_size)
    values_last, indices_last = pool.adaptive_max_pool_forward(x_last, output_size)
    np.testing.assert_array_equal(values_last, values)
    np.testing.assert_array_equal(indices_last, indices)
    averaged_last = pool.adaptive_avg_pool_forward(x_last, output_size)
    np.testing.assert_allclose(averaged_last, pool.adaptive_avg_pool_forward(x, output_size), rtol=1e-12)
    grad = RNG.standard_normal(values.shape)
    order = pool.memory_order(x_last)
    spread_last = pool.adaptive_avg_pool_transpose(grad, (8, 6), order)
    np.testing.assert_allclose(spread_last, pool.adaptive_avg_pool_transpose(grad, (8, 6)), rtol=1e-12)
    scattered_last = pool.flat_scatter_add(grad, indices, (8, 6), order)
    np.testing.assert_array_equal(scattered_last, pool.flat_scatter_add(grad, indices, (8, 6)))
    for result in (spread_last, scattered_last) + ((values_last, averaged_last) if output_size != (1, 1) else ()):
        assert is_channels_last(result)


def _every_kernel(x, geometry):
    values, argmax = pool.max_pool_forward(x, geometry)
    grad = np.random.default_rng(3).standard_normal(values.shape).astype(x.dtype)
    return [values, argmax, pool.max_pool_scatter(grad, argmax, geometry), pool.max_pool_gather(x, argmax, geometry),
            pool.avg_pool_forward(x, geometry, False), pool.avg_pool_transpose(grad, geometry, False),
            pool.max_pool_indices(argmax, geometry)]


@pytest.mark.parametrize("geometry", GEOMETRIES[1:3] + GEOMETRIES[4:], ids=repr)
@pytest.mark.parametrize("layout", ["nchw", "channels_last"])
def test_results_are_bit_identical_for_any_thread_count(split_everything, geometry, layout):
    x = tricky((7, 5) + geometry.input_size)
    x = channels_last(x) if layout == "channels_last" else x
    results = {}
    for count in (1, 2, 3):
        minigrad.set_num_threads(count)
        results[count] = _every_kernel(x, geometry)
    for count in (2, 3):
        for one, many in zip(results[1], results[count]):
            assert one.tobytes() == many.tobytes()      # bit for bit, signed zeros and NaN payloads too
            assert one.strides == many.strides


@pytest.mark.parametrize("layout", ["nchw", "channels_last"])
def test_adaptive_max_pool_and_its_scatter_are_bit_identical_for_any_thread_count(split_everything, layout):
    x = tricky((7, 5, 20, 20))
    x = channels_last(x) if layout == "channels_last" else x
    grad = np.random.default_rng(4).standard_normal((7, 5, 7, 7)).astype(np.float32)
    results = {}
    for count in (1, 2, 3):
        minigrad.set_num_threads(count)
        values, indices = pool.adaptive_max_pool_forward(x, (7, 7))
        results[count] = [values, indices, pool.flat_scatter_add(grad, indices, (20, 20), pool.memory_order(x))]
    for count in (2, 3):
        for one, many in zip(results[1], results[count]):
            assert one.tobytes() == many.tobytes() and one.strides == many.strides


def test_one_sample_over_the_budget_is_split_over_its_channels(monkeypatch, num_threads):
    geometry = WindowGeometry((32, 32), (3, 3), (2, 2), (1, 1), (1, 1))
    x = tricky((2, 16, 32, 32))
    whole = _every_kernel(x, geometry)
    monkeypatch.setattr(im2col, "COLUMN_BUDGET_BYTES", 3 * 33 * 33 * 4 * 3)   # about three planes
    im2col._local.slots = {}
    calls = []
    real = pool._max_pool_part
    monkeypatch.setattr(pool, "_max_pool_part", lambda x, *rest: calls.append(x.shape) or real(x, *rest))
    for count in (1, 2):
        num_threads(count)
        for one, chunked in zip(whole, _every_kernel(x, geometry)):
            assert one.tobytes() == chunked.tobytes()
    assert max(shape[1] for shape in calls) < 16                  # channels were split
    im2col._local.slots = {}


@pytest.mark.parametrize("stride, dilation", list(itertools.product((2, 3), (1, 2))))
def test_stride_phase_copy_reads_every_window_entry(stride, dilation):
    geometry = WindowGeometry((11, 10), (3, 3), (stride, stride), (1, 1), (dilation, dilation), ceil_mode=True)
    x = RNG.standard_normal((2, 3, 11, 10))
    padded = pool.pad_for_windows(x, geometry, -np.inf)
    for layout in (x, channels_last(x)):
        assert pool._phase_split_pays(layout, geometry)
        views = pool._phase_split_views(layout, geometry, -np.inf)
        assert len(views) == 9
        for view, offset in zip(views, geometry.offsets()):
            np.testing.assert_array_equal(view, padded[geometry.offset_slices(offset)])
            assert view.strides[1] < view.strides[3] if layout is not x else view.strides[3] == view.itemsize
        # wide views: one dense run per outer index, whose valid entries are the windows' entries
        narrow, wide, unwide = pool._phase_split_views(layout, geometry, -np.inf, wide=True)
        for view, run, offset in zip(narrow, wide, geometry.offsets()):
            assert run.strides[-1] == run.itemsize and run.ndim == (3 if layout is x else 2)
            np.testing.assert_array_equal(unwide(run.copy()), padded[geometry.offset_slices(offset)])
            np.testing.assert_array_equal(view, padded[geometry.offset_slices(offset)])


@pytest.mark.parametrize("layout", ["nchw", "channels_last"])
def test_adaptive_max_pool_gradient_sums_in_torchs_order_bit_for_bit(torch, layout):
    # overlapping bins (20 -> 7): a position shared by neighbouring bins sums their gradients in
    # float32 in output order, as torch's loop
    x = np.random.default_rng(5).standard_normal((3, 4, 20, 20)).astype(np.float32)
    x[:, :, 2::3, 2::3] = 5.0  # ties where bins overlap in both dims: four bins share a winner
    x = channels_last(x) if layout == "channels_last" else x
    grad = np.random.default_rng(6).standard_normal((3, 4, 7, 7)).astype(np.float32)
    values, indices = pool.adaptive_max_pool_forward(x, (7, 7))
    ours = pool.flat_scatter_add(grad, indices, (20, 20), pool.memory_order(x))
    tx = torch.from_numpy(np.ascontiguousarray(x)).requires_grad_(True)
    out, t_indices = torch.nn.functional.adaptive_max_pool2d(tx, 7, return_indices=True)
    out.backward(torch.from_numpy(grad))
    np.testing.assert_array_equal(indices, t_indices.numpy())
    assert np.ascontiguousarray(ours).tobytes() == tx.grad.numpy().tobytes()
