"""The convolution algorithms on raw arrays (no autograd): forward, transposed and weight-gradient
convolutions for N spatial dims, each described by one ``WindowGeometry`` (``geometry.py``, whose
legend these shape comments use: S input sizes, F the full size the windows cover, O output sizes,
P = prod(O), K kernel sizes, G groups, Cxg / Cyg channels per group, n a batch chunk).

The arithmetic is im2col (``im2col.py``) and one GEMM per group, over batch chunks that keep the
column buffer bounded; 1x1 kernels skip im2col and multiply the input directly. With ``minigrad[fast]``
installed, 3x3 unit-stride convolutions (and the transposed ones computed as such) take Winograd's
F(2x2, 3x3) algorithm where it measured faster (``compiled.supports_winograd``). A transposed
convolution picks one of three algorithms per call (the matrix product of a 1x1 kernel, a
convolution with the flipped kernel, or GEMM + col2im); the choices and the column order below are
measured speed heuristics (``benchmarks/bench_conv.py``), and every path gives the same values.

Channels-last (torch's ``channels_last`` memory format, an (N, C, *S) array held as (N, *S, C)
memory): when the caller asks for a channels-last result (``ops/conv.py`` follows torch's rule), the
NHWC algorithms at the end of this file compute it without layout copies -- im2col from the NHWC
buffer into (n*P, K*Cx) columns, one GEMM (n*P, K*Cx) @ (K*Cx, Cy) writing the NHWC output, the
weight gradient as one GEMM (K*Cx, n*P) @ (n*P, Cy), optionally from the forward's kept columns --
except where ``_channels_last_algorithm`` measured NCHW faster. Contiguous-format convolutions with
many channels on small images, and 3-d ones from 8 channels, also compute in NHWC, with a copy in and out
(``_contiguous_via_channels_last``); the others stay NCHW.

On the CPU, the NHWC algorithms and the NCHW ones with batch-first columns walk the batch in
cache-sized blocks of a few samples (``BLOCK_BYTES`` of columns), each block's padding, im2col and
GEMM (or, transposed, GEMM and col2im) run back to back on one thread, the blocks split over the threads
(``_run_blocks``); the weight gradient sums a fixed number of partial sums in a fixed order, so the
results do not depend on the thread count.

Memory budget: beyond its input and output arrays, a call holds at most about ``COLUMN_BUDGET_BYTES``
(256 MB) of scratch -- one chunk's columns, its padded input (padding is applied per chunk, never to
the whole batch), its batch-last copy and its GEMM product -- or one sample's worth when a single
sample needs more; the weight-gradient adds its (G, Cxg*K, Cyg) accumulator (the blocked one, up to
``_WEIGHT_GRAD_PARTS`` of them). Blocks run on several threads only while the threads' blocks fit the
budget together, each thread with its own workspaces. The reused workspaces
(``im2col.workspace``) are kept between calls up to the same budget each.
"""
from __future__ import annotations

import math
import threading
import weakref

from ..backend import xp
from ..threads import get_num_threads, in_part, matmul as pool_matmul, one_blas_thread, parallel_for
from . import compiled, depthwise
from . import im2col as im2col_module
from .geometry import WindowGeometry, conv_geometry, dilated_kernel_size, full_size
from .layout import channels_last_order, contiguous, copy_into, empty_in_order
from .im2col import (batch_chunks, channels_last_columns, col2im, col2im_channels_last, im2col, pad_spatial,
                     workspace)

_SMALL_GEMM = 16384  # a product of at most this many multiply-adds per group goes to einsum, not BLAS


def _gemm(module, a, b, out=None):
    """``a @ b`` (into ``out``): NumPy's on minigrad's pool with BLAS on one thread (``threads.matmul``),
    CuPy's as it is."""
    return pool_matmul(a, b, out) if module.__name__ == "numpy" else module.matmul(a, b, out=out)


def _matmul_per_group(module, a, b, out=None):
    """(G, I, J) = (G, I, K) @ (G, K, J) as one 2-d GEMM per group.

    A stacked ``matmul`` falls back to a slow non-BLAS loop when an operand is a transposed view;
    2-d products always reach BLAS (with its transpose flags, so no copy is made).
    """
    if out is None:
        out = module.empty((a.shape[0], a.shape[1], b.shape[2]), dtype=a.dtype)
    rows, inner, cols = a.shape[1], a.shape[2], b.shape[2]
    if inner == 1 or rows * inner * cols <= _SMALL_GEMM:
        # Outer products (inner 1: a depthwise weight gradient's (9, 1) @ (1, n*P)) and tiny products
        # measured 1.6-2.3x faster in einsum's own loops than in one BLAS call per group. Everything
        # else goes to BLAS, thin ones too (quiet 2-core machine, float32, medians of 7): LeNet-5's
        # (6, 25) @ (25, 200704) 2.1 ms against einsum's 5.7, its weight gradient (25, 200704) @
        # (200704, 6) 3.7 against 23, depthwise (1, 9) @ (9, 65536) x 64 groups 6.0 against 10.6.
        if module.__name__ == "numpy":
            return module.einsum("gik,gkj->gij", a, b, out=out)
        out[...] = module.einsum("gik,gkj->gij", a, b)  # CuPy's einsum has no ``out``
        return out
    if module.__name__ == "numpy" and in_part() and all(m.flags.c_contiguous for m in (a, b, out)):
        # inside a cache block (one BLAS thread): one stacked call, NumPy looping over the groups in C
        # with the same BLAS call per group (grouped 64->64 / 8 at 32x32, one sample: 0.09 against 0.14 ms)
        return module.matmul(a, b, out=out)
    for g in range(a.shape[0]):
        _gemm(module, a[g], b[g], out=out[g])
    return out


def _col2im_is_cheaper(y_shape: tuple, weight_shape: tuple, groups: int, dilation: tuple) -> bool:
    """Whether a unit-stride transposed convolution should take the col2im path.

    The flipped-kernel convolution builds columns of size Cy*K*N*prod(O + dilation*(K-1)) (y padded
    all round); col2im builds Cx*K*N*P and adds them back with K strided adds. Measured
    (benchmarks/bench_conv.py shapes): col2im wins when its columns are over 3x smaller, as in the
    LeNet input gradients (16 -> 1 and 32 -> 16 channels, 5x5 kernels: 2-8x faster); the flipped
    convolution wins by ~2x for equal channel counts and 3x3 kernels (the CIFAR layers).
    """
    channels_out, channels_in = y_shape[1], weight_shape[1] * groups
    kernel, windows = weight_shape[2:], y_shape[2:]
    padded = math.prod(full_size(o, k, 1, dl) for o, k, dl in zip(windows, kernel, dilation))  # O + dilation*(K-1)
    return channels_out * padded > 3 * channels_in * math.prod(windows)


def _batch_last_columns(module, windows: tuple) -> bool:
    """Column order for im2col / col2im: batch-last (P*n) when window rows are short (< 16 entries,
    as LeNet's 10x10), where it makes the copies ~4x faster; batch-first (n*P) for long rows, where
    the copies are as fast either way and batch-first spares two transposing copies (measured 5x
    faster than batch-last's). The CUDA kernels always use batch-last."""
    return module.__name__ != "numpy" or windows[-1] < 16


def _columns_to_batch(product, positions: int, n: int, batch_last: bool):
    """The GEMM's product (G, Cyg, P*n) or (G, Cyg, n*P) as a view (n, G, Cyg, P)."""
    groups = product.shape[0]
    if batch_last:
        return product.reshape(groups, -1, positions, n).transpose(3, 0, 1, 2)
    return product.reshape(groups, -1, n, positions).transpose(2, 0, 1, 3)


def _batch_to_columns(module, y_chunk, batch_last: bool):
    """(n, G, Cyg, P) copied into a workspace as GEMM columns (G, Cyg, P*n) or (G, Cyg, n*P)."""
    n, groups, channels, positions = y_chunk.shape
    order = (1, 2, 3, 0) if batch_last else (1, 2, 0, 3)
    shape = (groups, channels, positions, n) if batch_last else (groups, channels, n, positions)
    y_t = workspace(module, "product", shape, y_chunk.dtype)
    copy_into(y_t, y_chunk.transpose(order), axis=2)  # split over n (batch-first) or P (batch-last)
    return y_t.reshape(groups, channels, n * positions)


def _bytes_per_sample(x, channels_in: int, channels_out: int, geometry: WindowGeometry, batch_last: bool) -> int:
    """The scratch bytes one sample of a batch chunk costs: its columns (Cx*K*P), its padded input
    (Cx*F) and its batch-last copy, and the GEMM's product (Cy*P) (or, transposed, the full-size
    col2im target Cx*F). Chunks are sized so that these stay within ``COLUMN_BUDGET_BYTES`` together."""
    positions, full = math.prod(geometry.output_size), math.prod(geometry.full_size)
    columns = channels_in * math.prod(geometry.kernel) * positions
    padded = channels_in * full * (2 if batch_last else 1)
    return (columns + padded + channels_out * positions) * x.itemsize


def _channels_last_algorithm(x, geometry: WindowGeometry, channels_last: bool, channels_in: int,
                             col2im: bool = False) -> bool:
    """Whether a call computes in NHWC (the ``*_channels_last`` functions below) rather than NCHW.

    ``channels_in``: the channels of the columns' source (x for a convolution and a weight gradient;
    for a transposed convolution by the flipped kernel, y); ``col2im``: a transposed convolution by
    GEMM + col2im, with ``channels_in`` the channels it writes.

    Only for a channels-last result (torch's rule, decided by the caller): the NHWC algorithms read
    channels-last inputs with no layout copy and write the layout asked for, where NCHW pays a copy
    in and a copy out. Measured per primitive against NCHW + copies (channels-last inputs, batch 128,
    3x3 kernels, busy 2-core machine): forward 0.60-0.84x NCHW's time, weight gradient 0.71-0.89x,
    input gradient 0.44-0.92x, on the CIFAR CNN's layers (3->32 at 32x32 to 128->128 at 8x8) and
    64->64 at 32x32; conv3d 8->16 at 16^3: forward 0.70x, input gradient 0.61x. NCHW stays for
    - groups > 1 (depthwise columns (9, n*P) are faster in NCHW's thin products) and the GPU (its
      im2col kernels are NCHW);
    - window rows of fewer than 8 contiguous values (K_w*Cx < 8): LeNet's 1->6 5x5 weight gradient
      took 1.5x NCHW's time;
    - few channels (Cx < 16) on narrow outputs (O_w < 16), where NCHW's batch-last columns are fast:
      LeNet's 6->16 forward took 2.7x NCHW's time;
    - col2im writing fewer than 16 channels, whose strided adds then move runs of Cx values: 2.2x
      NCHW's time for 32->3 and 32->8 channels at 32x32, 3.4x for LeNet's 16->6.
    """
    if not channels_last or geometry.groups != 1 or xp(x).__name__ != "numpy":
        return False
    if col2im:
        return channels_in >= 16
    return channels_in * geometry.kernel[-1] >= 8 and (channels_in >= 16 or geometry.output_size[-1] >= 16)


def _transpose_by_flipped_kernel(y_shape: tuple, weight_shape: tuple, geometry: WindowGeometry) -> bool:
    """Whether a transposed convolution runs as a convolution with the flipped kernel (unit stride,
    unless col2im's columns are much smaller: ``_col2im_is_cheaper``), rather than GEMM + col2im."""
    return (not geometry.pointwise() and all(s == 1 for s in geometry.stride)
            and not _col2im_is_cheaper(y_shape, weight_shape, geometry.groups, geometry.dilation))


def _contiguous_via_channels_last(x, geometry: WindowGeometry, channels_last: bool, channels_in: int,
                                  col2im: bool = False) -> bool:
    """Whether a contiguous-format call computes in NHWC all the same, with a layout copy in (inside
    the padding copy) and one out. ``channels_in``: x's channels (Cx), for the transposed convolution
    too; ``col2im``: a transposed convolution by GEMM + col2im.

    2-d, for many channels on small images: NCHW columns copy runs of O_w values, NHWC ones runs of
    K_w*Cx. Measured forward + both gradients, batch 128, 3x3, busy 2-core machine, NHWC+copies /
    NCHW time: 0.76 (32->64 at 16x16), 0.88 (64->64 at 16x16), 0.96 (64->128 at 8x8), 0.81
    (128->128 at 8x8); but 0.90-1.06 at 32x32 (32->32, 64->64, 64->128 strided) and 1.08 for 3->32,
    which stay NCHW.

    3-d, from 8 channels (16 where col2im writes them, as ``_channels_last_algorithm``): the GEMM's
    thin side is Cy, and OpenBLAS runs (n*P, K*Cx) @ (K*Cx, Cy) faster than (Cy, K*Cx) @ (K*Cx, n*P)
    (one thread, 16 x 216 x 4096: 80 against 53 GFLOP/s). Measured fwd + dx + dw, idle 2-core
    machine, medians of 9 interleaved, NCHW -> NHWC+copies, ms: 8->16 at 16^3 17.4 -> 13.0 (stride 2:
    5.8 -> 4.7), 16->32 at 16^3 44.3 -> 37.6, 32->64 at 8^3 33.1 -> 29.5, 64->64 at 4^3 16.4 -> 14.0;
    but 1->8 (5x5x5) 19.6 -> 28.0 and 3->16 31 -> 73 (its col2im input gradient), which stay NCHW.
    """
    if channels_last or geometry.groups != 1 or xp(x).__name__ != "numpy":
        return False
    if x.ndim == 5:
        return channels_in >= (16 if col2im else 8)
    return (x.ndim == 4 and channels_in >= 32 and geometry.output_size[-1] <= 16
            and geometry.input_size[-1] <= 16)


def _as_layout(a, channels_last: bool):
    """``a`` laid out as asked: a channels-last copy when it is asked and ``a`` is not."""
    if not channels_last or a.ndim not in (4, 5):
        return a
    return a if _to_channels_last(a).flags.c_contiguous else channels_last_copy(a)


def conv_forward(x, weight, bias, geometry: WindowGeometry, channels_last: bool = False, keep_columns: list = None):
    """y (N, Cy, *O) = conv(x (N, Cx, *S), weight (Cy, Cxg, *K)) + bias (Cy,); y held as (N, *O, Cy)
    memory when ``channels_last``. ``keep_columns``: see ``conv_forward_channels_last``."""
    if compiled.enabled() and compiled.supports_depthwise(x, weight.shape[0], geometry, weight):
        return _as_layout(compiled.depthwise_conv(x, weight, bias, geometry), channels_last)  # minigrad[fast]
    if depthwise.use_depthwise(x, x.shape[1], weight.shape[0], geometry):  # direct multiply-adds, no columns
        return depthwise.depthwise_forward(x, weight, bias, geometry, channels_last)
    if not channels_last and compiled.enabled() and compiled.supports_winograd(x, weight, geometry):
        return compiled.winograd_conv(x, weight, bias, geometry)                      # minigrad[fast]: 3x3
    if _channels_last_algorithm(x, geometry, channels_last, x.shape[1]):
        return conv_forward_channels_last(x, weight, bias, geometry, keep_columns)
    if _contiguous_via_channels_last(x, geometry, channels_last, x.shape[1]):
        return contiguous(conv_forward_channels_last(x, weight, bias, geometry))
    return _as_layout(_conv_forward_nchw(x, weight, bias, geometry), channels_last)


def _conv_forward_nchw(x, weight, bias, geometry: WindowGeometry):
    module = xp(x)
    d, groups, kernel = geometry.ndim, geometry.groups, geometry.kernel
    batch, channels_in = x.shape[:2]
    channels_out = weight.shape[0]
    weight_matrix = weight.reshape(groups, channels_out // groups, -1)          # (G, Cyg, Cxg*K)
    if geometry.pointwise():
        y = _gemm(module, weight_matrix,                                       # (N, G, Cyg, P) =
                  x.reshape(batch, groups, channels_in // groups, -1))  # (G, Cyg, Cxg) @ (N, G, Cxg, P)
        y = y.reshape((batch, channels_out) + geometry.output_size)            # (N, Cy, *O)
    else:
        windows = geometry.output_size
        positions = math.prod(windows)
        y = module.empty((batch, channels_out) + windows, dtype=x.dtype)       # (N, Cy, *O)
        y_groups = y.reshape(batch, groups, channels_out // groups, positions)  # (N, G, Cyg, P)
        batch_last = _batch_last_columns(module, windows)
        if not batch_last and module.__name__ == "numpy":
            blocks, block_bytes = _cache_blocks(x, channels_in, channels_out, geometry)

            def block(i):  # one cache-sized block: pad, im2col, a GEMM per group, on this thread
                chunk = blocks[i]
                n = chunk.stop - chunk.start
                cols = im2col(x[chunk], geometry.pads, kernel, geometry.stride, geometry.dilation, groups,
                              batch_last=False)                                # (G, Cxg*K, n*P)
                product = workspace(module, "product", (groups, channels_out // groups, n * positions), x.dtype)
                _matmul_per_group(module, weight_matrix, cols, out=product)   # (G, Cyg, n*P) = (G, Cyg, Cxg*K) @ (G, Cxg*K, n*P)
                copy_into(y_groups[chunk], _columns_to_batch(product, positions, n, False))  # (n, G, Cyg, P)
            _run_blocks(len(blocks), block, block_bytes)
            chunks = []
        else:
            chunks = batch_chunks(batch, _bytes_per_sample(x, channels_in, channels_out, geometry, batch_last))
        for chunk in chunks:
            n = chunk.stop - chunk.start
            cols = im2col(x[chunk], geometry.pads, kernel, geometry.stride, geometry.dilation, groups,  # (G, Cxg*K, P*n)
                          batch_last=batch_last)                                                # or (.., n*P)
            product = workspace(module, "product", (groups, channels_out // groups, positions * n), x.dtype)
            _matmul_per_group(module, weight_matrix, cols, out=product)       # (G, Cyg, P*n) = (G, Cyg, Cxg*K) @ (G, Cxg*K, P*n)
            y_groups[chunk] = _columns_to_batch(product, positions, n, batch_last)  # (n, G, Cyg, P)
    if bias is not None:
        y += bias.reshape((channels_out,) + (1,) * d)                         # (N, Cy, *O) + (Cy, 1..)
    return y


def conv_transpose_forward(y, weight, bias, geometry: WindowGeometry, channels_last: bool = False):
    """x (N, Cx, *S) = conv_transpose(y (N, Cy, *O), weight (Cy, Cxg, *K)) + bias (Cx,), S = F - before - after;
    x held as (N, *S, Cx) memory when ``channels_last``."""
    if compiled.enabled() and compiled.supports_depthwise(y, weight.shape[1] * geometry.groups, geometry, weight):
        return _as_layout(compiled.depthwise_conv_transpose(y, weight, bias, geometry), channels_last)  # [fast]
    if depthwise.use_depthwise(y, weight.shape[1] * geometry.groups, y.shape[1], geometry):
        return depthwise.depthwise_transpose(y, weight, bias, geometry, channels_last)
    flipped = _transpose_by_flipped_kernel(y.shape, weight.shape, geometry)
    if (flipped and not channels_last and compiled.enabled()                          # minigrad[fast]: 3x3
            and compiled.supports_winograd(y, weight, _flipped_geometry(geometry))):
        flipped_weight, flipped_geometry = _flipped_kernel(weight, geometry)
        return compiled.winograd_conv(y, flipped_weight, bias, flipped_geometry)
    if _channels_last_algorithm(y, geometry, channels_last, y.shape[1] if flipped else weight.shape[1] * geometry.groups,
                                col2im=not flipped):
        return conv_transpose_forward_channels_last(y, weight, bias, geometry)
    if _contiguous_via_channels_last(y, geometry, channels_last, weight.shape[1] * geometry.groups, col2im=not flipped):
        return contiguous(conv_transpose_forward_channels_last(y, weight, bias, geometry))
    return _as_layout(_conv_transpose_forward_nchw(y, weight, bias, geometry), channels_last)


def _flipped_geometry(geometry: WindowGeometry) -> WindowGeometry:
    """A unit-stride transposed convolution is a convolution of y, padded by dilation*(K - 1) minus
    the cut, with the kernel flipped and its two channel axes swapped (Dumoulin & Visin, section
    4.1): that convolution's geometry."""
    kernel, dilation = geometry.kernel, geometry.dilation
    pads = tuple((dilated_kernel_size(k, dl) - 1 - b, dilated_kernel_size(k, dl) - 1 - a)
                 for k, dl, (b, a) in zip(kernel, dilation, geometry.pads))
    return conv_geometry(geometry.output_size, kernel, geometry.stride, pads, dilation, geometry.groups)


def _flipped_kernel(weight, geometry: WindowGeometry) -> tuple:
    """(the flipped weight (Cx, Cyg, *K), contiguous, ``_flipped_geometry``): the convolution that
    computes a unit-stride transposed convolution."""
    module = xp(weight)
    d, groups, kernel = geometry.ndim, geometry.groups, geometry.kernel
    channels_out, channels_in = weight.shape[0], weight.shape[1] * groups
    flipped = weight.reshape((groups, channels_out // groups, channels_in // groups) + kernel)
    flipped = flipped[(slice(None),) * 3 + (slice(None, None, -1),) * d]           # (G, Cyg, Cxg, *K) reversed in K
    flipped = module.ascontiguousarray(flipped.swapaxes(1, 2)).reshape(
        (channels_in, channels_out // groups) + kernel)                            # (Cx, Cyg, *K)
    return flipped, _flipped_geometry(geometry)


def _conv_transpose_forward_nchw(y, weight, bias, geometry: WindowGeometry):
    module = xp(y)
    d, groups, kernel, dilation = geometry.ndim, geometry.groups, geometry.kernel, geometry.dilation
    batch, channels_out = y.shape[:2]
    windows = geometry.output_size
    positions = math.prod(windows)
    channels_in = weight.shape[1] * groups
    weight_matrix_t = weight.reshape(groups, channels_out // groups, -1).transpose(0, 2, 1)  # (G, Cxg*K, Cyg)
    if geometry.pointwise():
        x = _gemm(module, weight_matrix_t,                                        # (N, G, Cxg, P) =
                  y.reshape(batch, groups, channels_out // groups, -1))   # (G, Cxg, Cyg) @ (N, G, Cyg, P)
        x = x.reshape((batch, channels_in) + geometry.input_size)                 # (N, Cx, *S)
    elif all(s == 1 for s in geometry.stride) and not _col2im_is_cheaper(y.shape, weight.shape, groups, dilation):
        # im2col + GEMM measured ~2x faster than col2im's strided adds for this step when the channel
        # counts are alike (the CIFAR layers)
        flipped, flipped_geometry = _flipped_kernel(weight, geometry)
        x = _conv_forward_nchw(y, flipped, None, flipped_geometry)                 # (N, Cx, *S)
    else:
        x = module.empty((batch, channels_in) + geometry.input_size, dtype=y.dtype)  # (N, Cx, *S)
        y_groups = y.reshape(batch, groups, channels_out // groups, positions)    # (N, G, Cyg, P)
        batch_last = _batch_last_columns(module, windows)
        cut = tuple((-b, -a) for b, a in geometry.pads)

        def chunk_of(chunk):  # GEMM into columns, then col2im into a padded chunk, then cut into x
            n = chunk.stop - chunk.start
            y_t = _batch_to_columns(module, y_groups[chunk], batch_last)          # (G, Cyg, P*n) or (.., n*P)
            cols = workspace(module, "cols", (groups, weight_matrix_t.shape[1], positions * n), y.dtype)
            _matmul_per_group(module, weight_matrix_t, y_t, out=cols)             # (G, Cxg*K, P*n) = (G, Cxg*K, Cyg) @ (G, Cyg, P*n)
            x_full = workspace(module, "full", (n, channels_in) + geometry.full_size, y.dtype)  # (n, Cx, *F), per chunk
            x_full[...] = 0
            col2im(cols, x_full, kernel, geometry.stride, dilation, groups,       # (n, Cx, *F) += cols
                   batch_last=batch_last)
            copy_into(x[chunk], pad_spatial(x_full, cut))                         # (n, Cx, *S): cut the padding
        if not batch_last and module.__name__ == "numpy":
            # cache-sized blocks on the threads, as the forward: the columns are added back while in cache
            blocks, block_bytes = _cache_blocks(x, channels_in, channels_out, geometry)
            _run_blocks(len(blocks), lambda i: chunk_of(blocks[i]), block_bytes)
        else:
            for chunk in batch_chunks(batch, _bytes_per_sample(x, channels_in, channels_out, geometry, batch_last)):
                chunk_of(chunk)
    if bias is not None:
        x += bias.reshape((channels_in,) + (1,) * d)                             # (N, Cx, *S) + (Cx, 1..)
    return x


def conv_weight_grad_forward(x, y, geometry: WindowGeometry, channels_last: bool = False, columns=None):
    """w (Cy, Cxg, *K) = sum over batch and windows of y[n, o, p] * x_padded[n, c, p*stride + k*dilation];
    w held as (Cy, *K, Cxg) memory when ``channels_last``. ``columns``: x's columns kept by the forward."""
    if compiled.enabled() and compiled.supports_depthwise(x, y.shape[1], geometry, y):  # minigrad[fast]: numba
        return _as_layout(compiled.depthwise_weight_grad(x, y, geometry), channels_last)
    if depthwise.use_depthwise(x, x.shape[1], y.shape[1], geometry):
        return _as_layout(depthwise.depthwise_weight_grad(x, y, geometry), channels_last)
    if not channels_last and compiled.enabled() and compiled.supports_winograd_weight_grad(x, y, geometry):
        return compiled.winograd_weight_grad(x, y, geometry)                          # minigrad[fast]: 3x3
    if _channels_last_algorithm(x, geometry, channels_last, x.shape[1]):
        return conv_weight_grad_forward_channels_last(x, y, geometry, columns)
    if _contiguous_via_channels_last(x, geometry, channels_last, x.shape[1]):
        return contiguous(conv_weight_grad_forward_channels_last(x, y, geometry))
    return _as_layout(_conv_weight_grad_forward_nchw(x, y, geometry), channels_last)


def _conv_weight_grad_forward_nchw(x, y, geometry: WindowGeometry):
    module = xp(x)
    groups, kernel = geometry.groups, geometry.kernel
    batch, channels_in = x.shape[:2]
    channels_out = y.shape[1]
    windows = geometry.output_size
    positions = math.prod(windows)
    y_groups = y.reshape(batch, groups, channels_out // groups, positions)         # (N, G, Cyg, P)
    if geometry.pointwise():
        x_groups = x.reshape(batch, groups, channels_in // groups, positions)      # (N, G, Cxg, P)
        # (G, Cyg, Cxg) = sum_n (N, G, Cyg, P) @ (N, G, P, Cxg)
        options = dict(optimize=True) if module.__name__ == "numpy" else {}  # numpy: BLAS via tensordot
        w = module.einsum("ngop,ngcp->goc", y_groups, x_groups, **options)
    else:
        # accumulated transposed, w^T (G, Cxg*K, Cyg): BLAS is several times faster with the long
        # P*n dimension as the inner one of a (Cxg*K, P*n) @ (P*n, Cyg) product than the other way round
        w_t = module.zeros((groups, channels_in // groups * math.prod(kernel), channels_out // groups), dtype=x.dtype)
        batch_last = _batch_last_columns(module, windows)
        if not batch_last and module.__name__ == "numpy":
            blocks, block_bytes = _cache_blocks(x, channels_in, channels_out, geometry)
            parts = max(1, min(len(blocks), _WEIGHT_GRAD_PARTS))  # fixed parts, each summing its blocks in order
            bounds = [len(blocks) * i // parts for i in range(parts + 1)]
            partial = module.zeros((parts,) + w_t.shape, dtype=x.dtype)       # (parts, G, Cxg*K, Cyg)

            def part_sum(p):
                for chunk in blocks[bounds[p]:bounds[p + 1]]:
                    cols = im2col(x[chunk], geometry.pads, kernel, geometry.stride, geometry.dilation,
                                  groups, batch_last=False)                    # (G, Cxg*K, n*P)
                    y_t = _batch_to_columns(module, y_groups[chunk], False)    # (G, Cyg, n*P)
                    # (G, Cxg*K, Cyg) += (G, Cxg*K, n*P) @ (G, n*P, Cyg)
                    partial[p] += _matmul_per_group(module, cols, y_t.transpose(0, 2, 1))
            _run_blocks(parts, part_sum, block_bytes)
            w_t[...] = partial.sum(axis=0)                                     # parts in order
            chunks = []
        else:
            chunks = batch_chunks(batch, _bytes_per_sample(x, channels_in, channels_out, geometry, batch_last))
        for chunk in chunks:
            cols = im2col(x[chunk], geometry.pads, kernel, geometry.stride, geometry.dilation, groups,  # (G, Cxg*K, P*n)
                          batch_last=batch_last)                                                # or (.., n*P)
            y_t = _batch_to_columns(module, y_groups[chunk], batch_last)              # (G, Cyg, P*n) or (.., n*P)
            # (G, Cxg*K, Cyg) += (G, Cxg*K, P*n) @ (G, P*n, Cyg)
            w_t += _matmul_per_group(module, cols, y_t.transpose(0, 2, 1))
        w = w_t.transpose(0, 2, 1)                                                  # (G, Cyg, Cxg*K)
    return module.ascontiguousarray(w).reshape((channels_out, channels_in // groups) + kernel)


# ---- channels-last (NHWC) algorithms ------------------------------------------------------------
#
# x (N, Cx, *S) held as (N, *S, Cx) memory: im2col gives (n*P, K*Cx) columns whose window rows are
# contiguous runs of Kw*Cx values, and one GEMM (n*P, K*Cx) @ (K*Cx, Cy) writes (n*P, Cy), the
# channels-last output itself. The weight is used as (K*Cx, Cy): the transpose of (Cy, *K, Cx), which
# is the weight's own memory when the weight is channels_last. Groups > 1 stay with the NCHW code.

def _to_channels_last(a):
    """(N, C, *S) -> the (N, *S, C) view (a transpose, no copy)."""
    return a.transpose((0,) + tuple(range(2, a.ndim)) + (1,))


def _from_channels_last(a):
    """(N, *S, C) -> the (N, C, *S) view: a channels-last array in torch's sense when ``a`` is contiguous."""
    return a.transpose((0, a.ndim - 1) + tuple(range(1, a.ndim - 1)))


def channels_last_copy(a):
    """A copy of (N, C, *S) ``a`` held as (N, *S, C) memory."""
    out = empty_in_order(xp(a), a.shape, a.dtype, channels_last_order(a.ndim))  # (N, C, *S) view of (N, *S, C)
    return copy_into(out, a)                                                     # split over the batch


def _weight_columns(weight):
    """(Cy, Cx, *K) -> (K*Cx, Cy), a transposed view of the (Cy, *K, Cx) order (copied unless the weight
    is channels_last)."""
    module = xp(weight)
    return module.ascontiguousarray(_to_channels_last(weight)).reshape(weight.shape[0], -1).T


def _channels_last_chunks(x, channels_in: int, channels_out: int, geometry: WindowGeometry) -> list:
    """Batch chunks for the channels-last algorithms: per sample, the columns (P*K*Cx) and the padded
    input (F*Cx) must fit the budget together (the GEMM writes into the output; col2im's target is F*Cx)."""
    positions, full = math.prod(geometry.output_size), math.prod(geometry.full_size)
    per_sample = (channels_in * math.prod(geometry.kernel) * positions + channels_in * full) * x.itemsize
    return batch_chunks(x.shape[0], per_sample)


# ---- cache-sized blocks over threads ------------------------------------------------------------
#
# The NumPy NHWC forward and weight gradient, and the NCHW ones with batch-first columns (and the
# NCHW transposed convolution by GEMM + col2im), walk the batch in blocks of a few samples whose columns
# take about ``BLOCK_BYTES``, and run each block's padding, im2col and GEMM back to back on one
# thread: the GEMM then reads columns that are still in cache instead of a whole batch's columns from
# RAM, and the blocks are split over the threads (``parallel_for``), each GEMM on one BLAS thread.
# The block size does not depend on the thread count, so neither do the results (the weight
# gradient sums fixed parts in a fixed order). Measured in one process, medians of 9-11 interleaved,
# busy 2-core machine (load 1.6-2.9), batch 128, 3x3 kernels, old -> blocked time in ms:
# - block size, NHWC forward: 4 samples a block of 32->32 at 32x32 75 against 95 unblocked, 64->64 at
#   16x16 33 against 42, 128->128 at 8x8 28-30 against 34; 16 or 32 samples a block lost the gain;
# - the CIFAR CNN's six layers, forward + input gradient + weight gradient summed: 703 -> 622
#   (contiguous; NHWC-with-copies layers only), 570 -> 457 (channels-last);
# - NCHW batch-first columns (32x32 images, contiguous): 32->32 forward 74 -> 53, input gradient
#   (the flipped-kernel forward) 76 -> 53, weight gradient 53 -> 42; 64->64 178 -> 162, 183 -> 163,
#   161 -> 145; 64->128 stride 2 forward 98 -> 74, weight gradient 81 -> 75; its input gradient
#   (GEMM + col2im, idle machine, medians of 11 interleaved) 73 -> 52, with 8 groups 22 -> 12.5,
#   the 4x4 stride-2 conv_transpose2d 64->32 at 16x16 forward 21.7 -> 18.2.
# - threads taking the next block when free (``_run_blocks``) against a fixed half each, the six
#   layers' fwd + dx + dw summed, very busy machine (load 3-4.7), unblocked / fixed halves / next
#   block: 1168 / 1290 / 1025, 1037 / 1151 / 893; channels-last 1016 / 1032 / 850 -- with fixed
#   halves a thread that lost its core held the call up, and the blocks lost to the unblocked code.
# Sending the 32x32 contiguous layers through the blocked NHWC path with layout copies instead
# measured 1.1-1.5x slower than NCHW. Switching OpenBLAS to one thread and back costs ~2 us.

BLOCK_BYTES = 4 * 2**20
# A call whose columns take at most this runs as one block, BLAS threaded (fwd+bwd, 2 threads, quiet
# machine, blocks / one block: LeNet's c2 (7.7 MB of columns) 5.9 / 4.7 ms, c1 (10 MB) 8.6 / 7.8 ms;
# but CIFAR's 64->64 (302 MB) 222 / 297 ms, conv1d (58 MB) 59 / 82 ms, dilated (75 MB) 62 / 70 ms).
# 16 MB, not 32: calls of 16-32 MB of columns gained from blocks (medians of 9 interleaved, idle
# machine, 16 MB / 32 MB): bench_conv's conv3d (8->16 at 16^3, 28 MB) forward 6.3 / 8.6 ms, weight
# gradient 5.9 / 7.8; the 4x4 stride-2 conv_transpose2d's input gradient (32 MB) 14.6 / 17.2, its
# weight gradient 13.5 / 16.3; LeNet's layers (<= 10 MB) and CIFAR's 3->32 (14 MB) unchanged.
SMALL_CALL_BYTES = 16 * 2**20
_WEIGHT_GRAD_PARTS = 8          # accumulators of the blocked weight gradient, each summing its blocks in order
def _cache_blocks(x, channels_in: int, channels_out: int, geometry: WindowGeometry) -> tuple:
    """Batch blocks whose columns take about ``BLOCK_BYTES`` and whose whole scratch (columns, padded
    input and GEMM product) stays within ``COLUMN_BUDGET_BYTES`` (at least one sample each), and the
    scratch one block holds."""
    columns = channels_in * math.prod(geometry.kernel) * math.prod(geometry.output_size) * x.itemsize
    per_sample = _bytes_per_sample(x, channels_in, channels_out, geometry, False)
    block = BLOCK_BYTES if columns * x.shape[0] > SMALL_CALL_BYTES else SMALL_CALL_BYTES  # small: one block
    samples = max(1, min(block // max(1, columns), im2col_module.COLUMN_BUDGET_BYTES // per_sample))
    blocks = batch_chunks(x.shape[0], 1, samples)
    return blocks, (blocks[0].stop - blocks[0].start) * per_sample


def _run_blocks(count: int, body, block_bytes: int) -> None:
    """``body(i)`` for i in [0, count), on the threads with BLAS on one thread, unless the threads'
    blocks together (``block_bytes`` each) would pass ``COLUMN_BUDGET_BYTES``: then on this thread
    alone, block after block (the same blocks, so the same results).

    Each thread takes the next block when it is done with one, rather than a fixed half of them: on
    a busy machine a thread that loses its core would otherwise hold up the whole call."""
    threads = min(get_num_threads(), count)
    if threads > 1 and threads * block_bytes <= im2col_module.COLUMN_BUDGET_BYTES:
        tasks, lock = iter(range(count)), threading.Lock()

        def worker(start, stop):  # one per thread: blocks until none is left
            while True:
                with lock:
                    i = next(tasks, None)
                if i is None:
                    return
                body(i)
        with one_blas_thread() as blas:
            # where BLAS cannot be told to use one thread (no threadpoolctl), each block's GEMM would
            # start BLAS's own threads on top of ours: then the blocks run one after another
            if blas.held:
                parallel_for(threads, worker)
                return
    for i in range(count):
        body(i)


# ---- the forward's columns kept for the weight gradient ---------------------------------------
#
# A convolution's weight gradient needs the same columns of x that its forward built. The NHWC
# forward can keep them for the backward (``keep_columns``) when the kept columns of all live graphs
# stay within ``KEPT_COLUMNS_BUDGET_BYTES``; the weight gradient then skips its padding and im2col
# (measured on the CIFAR CNN's 3x3 layers, batch 128: 0.75-0.89x the weight gradient's time). Once
# used, a buffer goes back to a pool (``release_columns``) that the next forward takes it from, so
# that training steps do not pay fresh pages for it.

KEPT_COLUMNS_BUDGET_BYTES = 256 * 2**20
_kept_bytes = {}                # id(buffer) -> bytes, for every kept buffer still in use
_pool = threading.local()       # released buffers, by (shape, dtype)


def _forget(key):
    _kept_bytes.pop(key, None)


def _take_columns(module, shape: tuple, dtype):
    """A buffer for columns to keep, or None when it would take the kept total past the budget."""
    nbytes = math.prod(shape) * module.dtype(dtype).itemsize
    if module.__name__ != "numpy" or sum(_kept_bytes.values()) + nbytes > KEPT_COLUMNS_BUDGET_BYTES:
        return None
    free = getattr(_pool, "buffers", None)
    if free is None:
        free = _pool.buffers = {}
    key = (shape, module.dtype(dtype).str)
    buffer = free[key].pop() if free.get(key) else module.empty(shape, dtype=dtype)
    _kept_bytes[id(buffer)] = nbytes
    weakref.finalize(buffer, _forget, id(buffer))  # a graph dropped without a backward frees its share
    return buffer


def release_columns(buffer) -> None:
    """Give back kept columns once the weight gradient has used them (the next forward reuses them)."""
    _forget(id(buffer))
    free = getattr(_pool, "buffers", None)
    if free is None:
        free = _pool.buffers = {}
    if sum(b.nbytes for kept in free.values() for b in kept) + buffer.nbytes <= KEPT_COLUMNS_BUDGET_BYTES:
        free.setdefault((buffer.shape, buffer.dtype.str), []).append(buffer)


def conv_forward_channels_last(x, weight, bias, geometry: WindowGeometry, keep_columns: list = None):
    """y (N, Cy, *O) held as (N, *O, Cy) = conv(x (N, Cx, *S), weight (Cy, Cx, *K)) + bias, groups = 1.

    Any layout of x is read (a contiguous-format x is transposed by the padding copy, no extra pass).
    With a list ``keep_columns``, the (N*P, K*Cx) columns are appended to it when they were built in one
    chunk and fit the kept-columns budget (for ``conv_weight_grad_forward_channels_last``)."""
    if compiled.enabled() and compiled.supports_winograd_channels_last(x, weight, geometry):
        return compiled.winograd_conv(x, weight, bias, geometry, channels_last=True)  # minigrad[fast]: 3x3
    module = xp(x)
    batch, channels_in = x.shape[:2]
    channels_out = weight.shape[0]
    x_cl = _to_channels_last(x)                                                  # (N, *S, Cx) view
    weight_columns = _weight_columns(weight)                                     # (K*Cx, Cy)
    y_cl = module.empty((batch,) + geometry.output_size + (channels_out,), dtype=x.dtype)  # (N, *O, Cy)
    y_rows = y_cl.reshape(-1, channels_out)                                      # (N*P, Cy)
    positions = math.prod(geometry.output_size)
    if geometry.pointwise() or module.__name__ != "numpy":
        for chunk in _channels_last_chunks(x, channels_in, channels_out, geometry):
            cols = (x_cl[chunk].reshape(-1, channels_in) if geometry.pointwise() else  # (n*P, Cx): a view when NHWC
                    channels_last_columns(x_cl[chunk], geometry.pads, geometry.kernel, geometry.stride,
                                          geometry.dilation))                    # (n*P, K*Cx)
            rows = slice(chunk.start * positions, chunk.stop * positions)
            _gemm(module, cols, weight_columns, out=y_rows[rows])               # (n*P, Cy) = (n*P, K*Cx) @ (K*Cx, Cy)
    else:
        kept = None
        if keep_columns is not None and len(_channels_last_chunks(x, channels_in, channels_out, geometry)) == 1:
            kept = _take_columns(module, (batch * positions, math.prod(geometry.kernel) * channels_in), x.dtype)

        blocks, block_bytes = _cache_blocks(x, channels_in, channels_out, geometry)

        def block(i):  # one cache-sized block: padding and im2col, GEMM, on this thread
            chunk = blocks[i]
            rows = slice(chunk.start * positions, chunk.stop * positions)
            cols = channels_last_columns(x_cl[chunk], geometry.pads, geometry.kernel, geometry.stride,  # (n*P, K*Cx)
                                         geometry.dilation, out=None if kept is None else kept[rows])
            _gemm(module, cols, weight_columns, out=y_rows[rows])               # (n*P, Cy) = (n*P, K*Cx) @ (K*Cx, Cy)
        _run_blocks(len(blocks), block, block_bytes)
        if kept is not None:
            keep_columns.append(kept)
    if bias is not None:
        y_cl += bias                                                             # (N, *O, Cy) + (Cy,)
    return _from_channels_last(y_cl)


def conv_transpose_forward_channels_last(y, weight, bias, geometry: WindowGeometry):
    """x (N, Cx, *S) held as (N, *S, Cx) = conv_transpose(y (N, Cy, *O), weight (Cy, Cx, *K)) + bias, groups = 1.

    Unit stride: the convolution of y with the flipped kernel (as the NCHW code, and chosen by the
    same rule, ``_col2im_is_cheaper``). Otherwise GEMM + col2im: cols (n*P, K*Cx) = y (n*P, Cy) @
    weight (Cy, K*Cx), added back into a padded (n, *F, Cx) buffer, whose inside is x.
    """
    module = xp(y)
    d, kernel, dilation = geometry.ndim, geometry.kernel, geometry.dilation
    batch, channels_out = y.shape[:2]
    channels_in = weight.shape[1]
    if _transpose_by_flipped_kernel(y.shape, weight.shape, geometry):
        flipped = weight[(slice(None), slice(None)) + (slice(None, None, -1),) * d].swapaxes(0, 1)  # (Cx, Cy, *K) view
        return conv_forward_channels_last(y, flipped, bias, _flipped_geometry(geometry))
    weight_rows = _weight_columns(weight).T                                      # (Cy, K*Cx)
    y_cl = _to_channels_last(y)                                                  # (N, *O, Cy) view
    x_cl = module.empty((batch,) + geometry.input_size + (channels_in,), dtype=y.dtype)  # (N, *S, Cx)
    cut = tuple((-b, -a) for b, a in geometry.pads)
    for chunk in _channels_last_chunks(y, channels_in, channels_out, geometry):
        n = chunk.stop - chunk.start
        y_rows = y_cl[chunk].reshape(-1, channels_out)                           # (n*P, Cy): a view when y is NHWC
        if geometry.pointwise():
            x_cl[chunk].reshape(-1, channels_in)[...] = _gemm(module, y_rows, weight_rows)  # (n*P, Cx)
            continue
        cols = workspace(module, "cols", (y_rows.shape[0], weight_rows.shape[1]), y.dtype)
        _gemm(module, y_rows, weight_rows, out=cols)                             # (n*P, K*Cx) = (n*P, Cy) @ (Cy, K*Cx)
        x_full = workspace(module, "full", (n,) + geometry.full_size + (channels_in,), y.dtype)  # (n, *F, Cx)
        x_full[...] = 0
        col2im_channels_last(cols, x_full, kernel, geometry.stride, dilation)
        x_cl[chunk] = _to_channels_last(pad_spatial(_from_channels_last(x_full), cut))  # (n, *S, Cx): cut the padding
    if bias is not None:
        x_cl += bias                                                             # (N, *S, Cx) + (Cx,)
    return _from_channels_last(x_cl)


def conv_weight_grad_forward_channels_last(x, y, geometry: WindowGeometry, columns=None):
    """w (Cy, Cx, *K), held as (Cy, *K, Cx) = sum over batch and windows of y[n, o, p] x_padded[n, c, p*stride + k*dilation]
    (groups = 1), as one GEMM per batch chunk: (K*Cx, n*P) @ (n*P, Cy).

    ``columns``: the forward's (N*P, K*Cx) columns of x when it kept them, which spares the im2col."""
    if compiled.enabled() and compiled.supports_winograd_channels_last(x, y, geometry):
        return compiled.winograd_weight_grad(x, y, geometry, channels_last=True)     # minigrad[fast]: 3x3
    module = xp(x)
    batch, channels_in = x.shape[:2]
    channels_out = y.shape[1]
    x_cl, y_cl = _to_channels_last(x), _to_channels_last(y)                     # (N, *S, Cx), (N, *O, Cy) views
    if geometry.pointwise() or module.__name__ != "numpy":
        w_t = None                                                               # (K*Cx, Cy)
        for chunk in _channels_last_chunks(x, channels_in, channels_out, geometry):
            cols = (x_cl[chunk].reshape(-1, channels_in) if geometry.pointwise() else  # (n*P, Cx)
                    channels_last_columns(x_cl[chunk], geometry.pads, geometry.kernel, geometry.stride,
                                          geometry.dilation))                    # (n*P, K*Cx)
            product = _gemm(module, cols.T, y_cl[chunk].reshape(-1, channels_out))            # (K*Cx, Cy) = (K*Cx, n*P) @ (n*P, Cy)
            w_t = product if w_t is None else w_t.__iadd__(product)
    else:
        positions = math.prod(geometry.output_size)
        blocks, block_bytes = _cache_blocks(x, channels_in, channels_out, geometry)
        # fixed parts of consecutive blocks, each accumulated in block order into its own partial sum
        parts = max(1, min(len(blocks), _WEIGHT_GRAD_PARTS))
        bounds = [len(blocks) * i // parts for i in range(parts + 1)]
        partial = module.zeros((parts, math.prod(geometry.kernel) * channels_in, channels_out), dtype=x.dtype)

        def part_sum(p):  # part p: its blocks in order, on this thread
            for chunk in blocks[bounds[p]:bounds[p + 1]]:
                rows = slice(chunk.start * positions, chunk.stop * positions)
                if columns is not None:
                    cols = columns[rows]                                         # (n*P, K*Cx), kept by the forward
                else:
                    cols = channels_last_columns(x_cl[chunk], geometry.pads, geometry.kernel, geometry.stride,
                                                 geometry.dilation)              # (n*P, K*Cx)
                y_rows = y_cl[chunk].reshape(-1, channels_out)                   # (n*P, Cy)
                partial[p] += _gemm(module, cols.T, y_rows)                                    # (K*Cx, Cy) += (K*Cx, n*P) @ (n*P, Cy)
        _run_blocks(parts, part_sum, block_bytes)
        w_t = partial.sum(axis=0)                                                # (K*Cx, Cy), parts in order
    w = module.ascontiguousarray(w_t.T).reshape((channels_out,) + geometry.kernel + (channels_in,))  # (Cy, *K, Cx)
    return _from_channels_last(w)                                                # (Cy, Cx, *K) view
