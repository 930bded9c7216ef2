"""The channels-last (NHWC) convolution algorithms of minigrad/kernels/conv.py and their im2col /
col2im (minigrad/kernels/im2col.py) against the NCHW ones, over 1d, 2d and 3d geometries with
stride, dilation, padding (asymmetric, and negative: trailing entries no window reads), batch chunks
and thread counts."""
import math

import numpy as np
import pytest

import minigrad
from minigrad.kernels import conv, im2col
from minigrad.kernels.geometry import conv_geometry

GEOMETRIES = [  # spatial, kernel, stride, pads, dilation, cin, cout
    ((9,), (3,), (2,), ((1, 1),), (1,), 5, 3),
    ((7, 8), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 4, 6),
    ((7, 8), (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 3, 5),
    ((9, 7), (3, 2), (1, 2), ((2, 0), (1, 2)), (2, 1), 2, 3),
    ((8, 8), (2, 2), (3, 3), ((0, -1), (0, -1)), (1, 1), 3, 2),  # the last row and column are read by no window
    ((6, 6), (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 4, 3),     # pointwise
    ((6, 6), (1, 1), (2, 2), ((0, 0), (0, 0)), (1, 1), 4, 3),     # 1x1 strided
    ((4, 5, 4), (3, 3, 2), (1, 2, 1), ((1, 1), (1, 0), (0, 1)), (1, 1, 2), 3, 4),
]


def _arrays(geometry, dtype=np.float64, batch=3, seed=0):
    spatial, kernel, stride, pads, dilation, cin, cout = geometry
    g = conv_geometry(spatial, kernel, stride, pads, dilation, 1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, cin) + spatial).astype(dtype)
    w = rng.standard_normal((cout, cin) + kernel).astype(dtype)
    y = rng.standard_normal((batch, cout) + g.output_size).astype(dtype)
    return g, x, w, y


def _is_channels_last(a):
    return conv._to_channels_last(a).flags.c_contiguous


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("layout", ["channels_last", "contiguous"])
def test_channels_last_algorithms_equal_the_nchw_ones(geometry, layout):
    g, x, w, y = _arrays(geometry)
    b = np.arange(w.shape[0], dtype=x.dtype)
    bt = np.arange(w.shape[1], dtype=x.dtype)
    if layout == "channels_last" and x.ndim > 3:
        x, w, y = conv.channels_last_copy(x), conv.channels_last_copy(w), conv.channels_last_copy(y)
    results = [
        (conv.conv_forward_channels_last(x, w, b, g), conv._conv_forward_nchw(x, w, b, g)),
        (conv.conv_transpose_forward_channels_last(y, w, bt, g), conv._conv_transpose_forward_nchw(y, w, bt, g)),
        (conv.conv_weight_grad_forward_channels_last(x, y, g), conv._conv_weight_grad_forward_nchw(x, y, g)),
    ]
    for mine, reference in results:
        assert mine.shape == reference.shape
        assert _is_channels_last(mine)  # every result is held channels-last, whatever the inputs' layout
        np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-12)


def test_weight_gradient_from_the_forwards_columns_equals_the_one_from_x():
    g, x, w, y = _arrays(GEOMETRIES[1])
    x_padded = im2col.pad_channels_last(conv._to_channels_last(x), g.pads)
    columns = im2col.im2col_channels_last(x_padded, g.kernel, g.stride, g.dilation).copy()
    np.testing.assert_array_equal(conv.conv_weight_grad_forward_channels_last(x, y, g, columns=columns),
                                  conv.conv_weight_grad_forward_channels_last(x, y, g))


def test_im2col_and_col2im_channels_last_are_adjoint():
    """<im2col(x), c> == <x, col2im(c)> for random x and columns c."""
    rng = np.random.default_rng(1)
    for spatial, kernel, stride, pads, dilation, cin, _ in GEOMETRIES:
        g = conv_geometry(spatial, kernel, stride, pads, dilation, 1)
        x = rng.standard_normal((2,) + g.full_size + (cin,))
        cols = im2col.im2col_channels_last(x, kernel, stride, dilation).copy()
        c = rng.standard_normal(cols.shape)
        back = im2col.col2im_channels_last(c, np.zeros_like(x), kernel, stride, dilation)
        np.testing.assert_allclose(np.vdot(cols, c), np.vdot(x, back), rtol=1e-10)


def test_pad_channels_last_equals_numpy_pad_and_crop():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 6, 3))
    padded = im2col.pad_channels_last(x, ((2, -1), (0, 3)))
    expected = np.pad(x, ((0, 0), (2, 0), (0, 3), (0, 0)))[:, :-1]
    np.testing.assert_array_equal(padded, expected)


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("geometry", [GEOMETRIES[2], ((5, 20), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 5, 4)],
                         ids=["batch-last NCHW columns", "batch-first NCHW columns"])
def test_conv_kernels_are_bit_identical_for_any_thread_count(threads, geometry, monkeypatch, num_threads):
    """The NHWC and NCHW im2col / col2im copies are split over threads; every part writes its own rows."""
    monkeypatch.setattr(minigrad.threads, "MIN_PARALLEL_BYTES", 0)  # split even these small copies
    g, x, w, y = _arrays(geometry, np.float32, batch=7)
    x, y = conv.channels_last_copy(x), conv.channels_last_copy(y)
    results = []
    for count in (1, threads):
        num_threads(count)
        results.append([conv.conv_forward_channels_last(x, w, None, g).copy(),
                        conv.conv_transpose_forward_channels_last(y, w, None, g).copy(),
                        conv.conv_weight_grad_forward_channels_last(x, y, g).copy(),
                        conv._conv_forward_nchw(x, w, None, g).copy(),
                        conv._conv_transpose_forward_nchw(y, w, None, g).copy(),
                        conv._conv_weight_grad_forward_nchw(x, y, g).copy()])
    for one, many in zip(*results):
        np.testing.assert_array_equal(one, many)


@pytest.mark.parametrize("threads", [2, 3])
def test_cache_blocks_are_bit_identical_for_any_thread_count(threads, monkeypatch, num_threads):
    """The blocked forward and weight gradient (NHWC, and NCHW with long window rows): with blocks of one
    or two samples, split over the threads, the results equal one thread's bit for bit, and the unblocked
    arithmetic (einsum over the padded input's windows) to rounding, with and without the forward's
    kept columns."""
    geometry = ((6, 20), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 5, 4)
    g, x, w, y = _arrays(geometry, np.float32, batch=9)
    columns = 5 * 9 * 6 * 20 * 4  # one sample's columns, bytes
    monkeypatch.setattr(conv, "BLOCK_BYTES", 2 * columns - 1)  # one sample a block
    monkeypatch.setattr(conv, "SMALL_CALL_BYTES", 0)           # even for this small call
    monkeypatch.setattr(minigrad.threads, "MIN_PARALLEL_BYTES", 0)
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3), (2, 3))
    expected_y = np.einsum("ncpqkl,ockl->nopq", windows, w)
    expected_w = np.einsum("ncpqkl,nopq->ockl", windows, y)
    x_cl, y_cl = conv.channels_last_copy(x), conv.channels_last_copy(y)
    results = []
    for count in (1, threads):
        num_threads(count)
        kept = []
        forward_cl = conv.conv_forward_channels_last(x_cl, w, None, g, keep_columns=kept).copy()
        assert len(kept) == 1
        results.append([forward_cl,
                        conv.conv_weight_grad_forward_channels_last(x_cl, y_cl, g).copy(),
                        conv.conv_weight_grad_forward_channels_last(x_cl, y_cl, g, columns=kept[0]).copy(),
                        conv._conv_forward_nchw(x, w, None, g).copy(),
                        conv._conv_weight_grad_forward_nchw(x, y, g).copy()])
        conv.release_columns(kept[0])
    for one, many in zip(*results):
        np.testing.assert_array_equal(one, many)
    for result, expected in zip(results[0], [expected_y, expected_w, expected_w, expected_y, expected_w]):
        np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4)


def test_channels_last_batch_chunks_give_the_unchunked_result(monkeypatch):
    g, x, w, y = _arrays(GEOMETRIES[1], batch=5)
    whole = [conv.conv_forward_channels_last(x, w, None, g), conv.conv_transpose_forward_channels_last(y, w, None, g),
             conv.conv_weight_grad_forward_channels_last(x, y, g)]
    monkeypatch.setattr(im2col, "COLUMN_BUDGET_BYTES", 8 * 1024)  # about two samples per chunk
    im2col._local.slots = {}
    chunked = [conv.conv_forward_channels_last(x, w, None, g), conv.conv_transpose_forward_channels_last(y, w, None, g),
               conv.conv_weight_grad_forward_channels_last(x, y, g)]
    im2col._local.slots = {}
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cin, kernel, width, col2im, expected", [
    (64, 3, 32, False, True), (3, 3, 32, False, True), (3, 3, 32, True, False), (8, 3, 32, True, False),
    (1, 5, 28, False, False), (6, 5, 10, False, False), (64, 3, 8, False, True), (16, 3, 8, True, True)])
def test_the_algorithm_rule_keeps_nchw_where_it_measured_faster(cin, kernel, width, col2im, expected):
    g = conv_geometry((width, width), (kernel, kernel), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x = np.zeros((1, cin, width, width), np.float32)
    assert conv._channels_last_algorithm(x, g, True, cin, col2im) is expected
    assert conv._channels_last_algorithm(x, g, False, cin, col2im) is False
    grouped = conv_geometry((width, width), (kernel, kernel), (1, 1), ((1, 1), (1, 1)), (1, 1), 2)
    assert conv._channels_last_algorithm(x, grouped, True, cin, col2im) is False


def test_input_gradients_by_the_flipped_kernel_go_nhwc_with_few_output_channels():
    """conv3d 8->16 at 16^3: its input gradient (16 -> 8 channels) runs as a flipped-kernel convolution
    reading 16 channels, measured 0.61x NCHW's time in NHWC."""
    g = conv_geometry((16, 16, 16), (3, 3, 3), (1, 1, 1), ((1, 1),) * 3, (1, 1, 1), 1)
    y_shape, w_shape = (2, 16, 16, 16, 16), (16, 8, 3, 3, 3)
    assert conv._transpose_by_flipped_kernel(y_shape, w_shape, g)
    assert conv._channels_last_algorithm(np.zeros(1), g, True, y_shape[1], col2im=False)


@pytest.mark.parametrize("cin, width, expected", [(32, 16, True), (128, 8, True), (64, 32, False), (3, 32, False),
                                                  (16, 8, False)])
def test_contiguous_inputs_take_nhwc_only_for_many_channels_on_small_images(cin, width, expected):
    g = conv_geometry((width, width), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x = np.zeros((1, cin, width, width), np.float32)
    assert conv._contiguous_via_channels_last(x, g, False, cin) is expected
    assert conv._contiguous_via_channels_last(x, g, True, cin) is False  # channels-last results: the rule above


@pytest.mark.parametrize("cin, stride, expected", [(8, 1, True), (64, 1, True), (3, 1, False), (1, 1, False),
                                                   (8, 2, False), (16, 2, True)])
def test_contiguous_3d_inputs_take_nhwc_from_8_channels_16_where_col2im_writes_them(cin, stride, expected):
    g = conv_geometry((16, 16, 16), (3, 3, 3), (stride,) * 3, ((1, 1),) * 3, (1, 1, 1), 1)
    x = np.zeros((1, cin, 16, 16, 16), np.float32)
    col2im = stride > 1  # a strided transposed convolution: GEMM + col2im writing cin channels
    assert conv._contiguous_via_channels_last(x, g, False, cin, col2im=col2im) is expected
    assert conv._contiguous_via_channels_last(x, g, False, cin) is (cin >= 8)
    assert conv._contiguous_via_channels_last(x, g, True, cin) is False
    grouped = conv_geometry((16, 16, 16), (3, 3, 3), (1, 1, 1), ((1, 1),) * 3, (1, 1, 1), 2)
    assert conv._contiguous_via_channels_last(x, grouped, False, cin) is False


@pytest.mark.parametrize("geometry", [((8, 8), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 32, 8),
                                      ((5, 6, 4), (3, 3, 3), (1, 1, 1), ((1, 1),) * 3, (1, 1, 1), 8, 16),
                                      ((5, 6, 7), (3, 2, 3), (2, 1, 2), ((1, 0), (1, 1), (0, 1)), (1, 1, 1), 16, 4)],
                         ids=["2d 32->8", "3d 8->16", "3d 16->4 strided"])
def test_contiguous_results_through_the_nhwc_algorithms_are_contiguous_and_equal_nchw(geometry):
    g, x, w, y = _arrays(geometry)
    assert conv._contiguous_via_channels_last(x, g, False, x.shape[1])
    for mine, reference in [(conv.conv_forward(x, w, None, g), conv._conv_forward_nchw(x, w, None, g)),
                            (conv.conv_transpose_forward(y, w, None, g), conv._conv_transpose_forward_nchw(y, w, None, g)),
                            (conv.conv_weight_grad_forward(x, y, g), conv._conv_weight_grad_forward_nchw(x, y, g))]:
        assert mine.flags.c_contiguous
        np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-12)


def test_a_small_call_is_one_block_and_a_large_one_is_cut_into_cache_sized_blocks():
    """``_cache_blocks``: columns of at most SMALL_CALL_BYTES in all run as one block (BLAS threaded);
    larger calls in blocks of about BLOCK_BYTES of columns."""
    from minigrad.kernels.geometry import conv_geometry
    geometry = conv_geometry((32, 32), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    large = np.broadcast_to(np.float32(0), (128, 64, 32, 32))  # 302 MB of columns, no memory behind it
    small = large[:32, :8]                                         # 9.4 MB: over BLOCK_BYTES, under SMALL_CALL_BYTES
    blocks, _ = conv._cache_blocks(small, 8, 8, geometry)
    assert blocks == [slice(0, 32)]
    blocks, _ = conv._cache_blocks(large[:64, :8], 8, 8, geometry)  # 19 MB: over SMALL_CALL_BYTES
    assert len(blocks) > 1
    blocks, _ = conv._cache_blocks(large, 64, 64, geometry)
    per_sample = 64 * 9 * 32 * 32 * 4
    assert len(blocks) > 1 and all((b.stop - b.start) * per_sample <= max(conv.BLOCK_BYTES, per_sample) for b in blocks)
    assert blocks[0].start == 0 and blocks[-1].stop == 128


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("groups", [1, 2])
def test_blocked_col2im_transpose_is_bit_identical_for_any_thread_count_and_the_adjoint(threads, groups, monkeypatch,
                                                                                         num_threads):
    """The strided transposed convolution (GEMM + col2im) in cache blocks of one sample, split over the
    threads: equal to one thread's bit for bit, and the adjoint of the forward:
    <conv(x), y> == <x, conv_transpose(y)>."""
    g = conv_geometry((12, 34), (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), groups)  # output rows of 17 >= 16
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4, 12, 34))
    w = rng.standard_normal((6, 4 // groups, 3, 3))
    y = rng.standard_normal((5, 6) + g.output_size)
    columns = 4 * 9 * math.prod(g.output_size) * 8  # one sample's columns, bytes
    monkeypatch.setattr(conv, "BLOCK_BYTES", columns)           # one sample a block
    monkeypatch.setattr(conv, "SMALL_CALL_BYTES", 0)            # even for this small call
    monkeypatch.setattr(minigrad.threads, "MIN_PARALLEL_BYTES", 0)
    spy = []
    real = conv._run_blocks
    monkeypatch.setattr(conv, "_run_blocks", lambda count, body, nbytes: (spy.append(count), real(count, body, nbytes)))
    results = []
    for count in (1, threads):
        num_threads(count)
        results.append(conv._conv_transpose_forward_nchw(y, w, None, g).copy())
    assert spy == [5, 5]
    np.testing.assert_array_equal(results[0], results[1])
    forward = conv._conv_forward_nchw(x, w, None, g)
    np.testing.assert_allclose(np.vdot(forward, y), np.vdot(x, results[0]), rtol=1e-12)


@pytest.mark.parametrize("threads", [2, 3])
def test_blocked_grouped_convolutions_are_bit_identical_for_any_thread_count(threads, monkeypatch, num_threads):
    """Grouped NCHW convolutions in cache blocks of one sample: on several threads each block makes one
    stacked product over its groups, on one thread a product per group; the results agree bit for
    bit, and with the grouped einsum over the padded input's windows to rounding."""
    groups = 4
    g = conv_geometry((6, 20), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), groups)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 16, 6, 20)).astype(np.float32)
    w = rng.standard_normal((16, 16 // groups, 3, 3)).astype(np.float32)   # 4 x 36 x 120 per group: BLAS, not einsum
    y = rng.standard_normal((5, 16, 6, 20)).astype(np.float32)
    monkeypatch.setattr(conv, "BLOCK_BYTES", 16 * 9 * 6 * 20 * 4)  # one sample's columns a block
    monkeypatch.setattr(conv, "SMALL_CALL_BYTES", 0)
    monkeypatch.setattr(minigrad.threads, "MIN_PARALLEL_BYTES", 0)
    stacked = []
    monkeypatch.setattr(conv, "in_part", lambda: stacked.append(minigrad.threads.in_part()) or stacked[-1])
    results = []
    for count in (1, threads):
        num_threads(count)
        results.append([conv.conv_forward(x, w, None, g).copy(), conv.conv_transpose_forward(y, w, None, g).copy(),
                        conv.conv_weight_grad_forward(x, y, g).copy()])
    assert any(stacked) and not all(stacked)  # both ways were taken
    for one, many in zip(*results):
        np.testing.assert_array_equal(one, many)
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3), (2, 3))
    windows = windows.reshape(5, groups, 4, 6, 20, 3, 3)
    expected_y = np.einsum("ngcpqkl,gockl->ngopq", windows, w.reshape(groups, 4, 4, 3, 3)).reshape(5, 16, 6, 20)
    np.testing.assert_allclose(results[0][0], expected_y, rtol=1e-4, atol=1e-4)
    expected_w = np.einsum("ngcpqkl,ngopq->gockl", windows, y.reshape(5, groups, 4, 6, 20)).reshape(w.shape)
    np.testing.assert_allclose(results[0][2], expected_w, rtol=1e-4, atol=1e-4)
