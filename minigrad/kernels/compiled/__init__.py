"""Compiled kernels (numba), the optional ``minigrad[fast]`` path for the memory-bound kernels.

``pip install "minigrad[fast]"`` installs numba; the kernels below then replace the NumPy paths of
im2col / col2im (``kernels/im2col.py``), the depthwise convolution (``kernels/conv.py``: forward,
transposed and weight gradient), BatchNorm's training forward and backward (``ops/normalization.py``)
and ReLU (``ops/elementwise.py``); and 3x3 unit-stride convolutions (forward, and the unit-stride
transposed ones) take Winograd's F(2x2, 3x3) algorithm where ``supports_winograd`` measured it
faster (``kernels/conv.py``). Each of those NumPy functions starts with a two-line hook::

    if compiled.enabled() and compiled.supports(x, spatial_dims=len(kernel)):
        return compiled.im2col(x, kernel, stride, dilation, groups, slot, batch_last, pads=pads)

Not used, because the loops measured slower than the NumPy code they would replace (issue 14,
``benchmarks/bench_kernels.py`` on a busy 2-core machine): average pooling (NumPy's separable box
sums, one vectorised pass per dim, were 2-10x faster than a loop over each window; not compiled),
and max pooling: ``max_pool_forward`` / ``max_pool_indices`` / ``max_pool_scatter`` below give
NumPy's exact arrays and are tested, but measured 0.9-3x NumPy's time on one thread (NumPy's
branch-free strided ``maximum`` against a branching scan that keeps the first maximum and the
last NaN), so ``kernels/pool.py`` does not call them. Hook them in where a machine shows a win.

The switch: on when numba can be imported, unless the environment variable ``MINIGRAD_FAST=0``
(read once, at import); ``use(flag)`` changes it at run time (a plain call, or a ``with`` block that
restores the previous setting). The NumPy path stays the reference: the test suite runs with
``MINIGRAD_FAST=0`` and ``tests/kernels/test_compiled.py`` compares every compiled kernel with it.

What is compiled: float32 and float64 NumPy arrays with 1, 2 or 3 spatial dims (1d and 2d are
lifted to 3d with unit dims, so one loop serves all three); anything else (other dtypes, CuPy,
empty arrays) takes the NumPy path. The loops are in ``loops.py`` (importing it imports numba,
which happens on the first compiled call, not at ``import minigrad``); each is compiled once per
dtype and cached on disk (``cache=True``: about 1 s to load afterwards). They run on minigrad's own
pool (``minigrad.get_num_threads()`` threads): ``_run`` splits each loop's outer range over
``threads.parallel_for``, each part one call that releases the GIL. numba's threads are never
started: minigrad runs one pool, and numba's OpenMP threads would spin after every loop on the
cores the pool uses next (9 ms of CPU in the 0.2 s after one im2col).

>>> from minigrad.kernels import compiled
>>> with compiled.use(False):
...     compiled.enabled()
False
"""
from __future__ import annotations

import importlib.util
import math
import os

import numpy as np

from ... import threads
from ..geometry import windows_output_size
from ..layout import flat_views

AVAILABLE = importlib.util.find_spec("numba") is not None
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_enabled = AVAILABLE and os.environ.get("MINIGRAD_FAST", "1").strip() != "0"


# ---- the switch ---------------------------------------------------------------------------------

def enabled() -> bool:
    """Are the compiled kernels in use (numba importable, not turned off)?"""
    return _enabled


class use:
    """``use(flag)`` turns the compiled kernels on or off now; as a ``with`` block it restores the
    previous setting on exit. Turning them on without numba installed raises RuntimeError."""

    def __init__(self, flag: bool = True):
        global _enabled
        if flag and not AVAILABLE:
            raise RuntimeError("minigrad's compiled kernels need numba: pip install 'minigrad[fast]'")
        self.previous, _enabled = _enabled, bool(flag)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _enabled
        _enabled = self.previous


def supports(*arrays, spatial_dims: int = 1) -> bool:
    """Can the compiled kernels take these arrays: NumPy, non-empty, all float32 or all float64,
    with 1 to 3 spatial dims?"""
    first = arrays[0]
    return (1 <= spatial_dims <= 3 and first.dtype in _DTYPES
            and all(type(a) is np.ndarray and a.dtype == first.dtype and a.size for a in arrays))


def supports_indices(argmax, spatial_dims: int = 1) -> bool:
    """Can the compiled kernels take max pooling's offset numbers ``argmax`` (a non-empty NumPy int array)?"""
    return 1 <= spatial_dims <= 3 and type(argmax) is np.ndarray and argmax.dtype.kind == "i" and argmax.size > 0


def _run(name: str, count: int, *args):
    """loops.<name>(*args, start, stop) over [0, count), its outer loop, split over minigrad's threads
    (imports numba, and compiles or loads the loop, on first use)."""
    from . import loops
    kernel = getattr(loops, name)
    threads.parallel_for(count, lambda start, stop: kernel(*args, start, stop), getattr(args[0], "nbytes", None))


# ---- lifting 1d / 2d to the loops' 3 spatial dims -----------------------------------------------

def _lift(array, lead: int, d: int):
    """(lead.., *S) with d spatial dims -> a C-contiguous (lead.., 1.., *S) with 3 (a view when it can)."""
    array = np.ascontiguousarray(array)
    return array.reshape(array.shape[:lead] + (1,) * (3 - d) + array.shape[lead:])


def _triple(values, fill: int) -> tuple:
    """A d-tuple of ints padded in front to 3 entries with ``fill``."""
    return (fill,) * (3 - len(values)) + tuple(int(v) for v in values)


def _planes(x, d: int):
    """x (L, *S) as (prod L, 1.., *S): pooling's leading dims in one."""
    return _lift(x, 1, d).reshape((-1,) + (1,) * (3 - d) + x.shape[x.ndim - d:])


# ---- im2col / col2im ----------------------------------------------------------------------------

def im2col(x, kernel: tuple, stride: tuple, dilation: tuple, groups: int, slot: str = "cols",
           batch_last: bool = True, pads: tuple = None):
    """``kernels.im2col.im2col``'s columns (the same arrays, in the same workspace slot), read
    straight from x (n, Cx, *S) padded by ``pads`` ((before, after), ..; none by default) without a
    padded copy: (G, Cxg*K, P*n) when ``batch_last``, else (G, Cxg*K, n*P)."""
    from .. import im2col as numpy_im2col
    d = len(kernel)
    n, channels = x.shape[:2]
    pads = ((0, 0),) * d if pads is None else pads
    windows = windows_output_size(tuple(s + b + a for s, (b, a) in zip(x.shape[2:], pads)), kernel, stride, dilation)
    lifted_kernel, lifted_windows = _triple(kernel, 1), _triple(windows, 1)
    if batch_last:
        shape, lifted = (channels,) + tuple(kernel) + windows + (n,), (channels,) + lifted_kernel + lifted_windows + (n,)
    else:
        shape, lifted = (channels,) + tuple(kernel) + (n,) + windows, (channels,) + lifted_kernel + (n,) + lifted_windows
    cols = numpy_im2col.workspace(np, slot, shape, x.dtype)         # (Cx, *K, *O, n) or (Cx, *K, n, *O)
    _run("im2col_batch_last" if batch_last else "im2col_batch_first",
         channels if batch_last else channels * math.prod(kernel),          # channels, or (channel, k#) rows
         _lift(x, 2, d), cols.reshape(lifted), _triple(stride, 1), _triple(dilation, 1),
         _triple([b for b, _ in pads], 0))
    return cols.reshape(groups, channels // groups * math.prod(kernel), n * math.prod(windows))


def im2col_channels_last(x_cl, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple, out):
    """``kernels.im2col.channels_last_columns``: the (n*P, K*Cx) columns of x_cl (n, *S, Cx) padded by
    ``pads`` ((before, after), ..), read straight from x_cl (C-contiguous: NHWC memory) into ``out``
    without a padded copy. The samples are split over minigrad's threads (on this thread alone inside a
    part of an outer ``parallel_for``: a convolution's cache-sized block)."""
    d = len(kernel)
    n, channels = x_cl.shape[0], x_cl.shape[-1]
    windows = windows_output_size(tuple(s + b + a for s, (b, a) in zip(x_cl.shape[1:-1], pads)), kernel, stride, dilation)
    lifted = x_cl.reshape((n,) + (1,) * (3 - d) + x_cl.shape[1:])      # (n, 1.., *S, Cx), a view
    cols = out.reshape((n,) + _triple(windows, 1) + _triple(kernel, 1) + (channels,))
    _run("im2col_channels_last", n, lifted, cols, _triple(stride, 1), _triple(dilation, 1),
         _triple([b for b, _ in pads], 0))                                # samples
    return out


def col2im(cols, out, kernel: tuple, stride: tuple, dilation: tuple, groups: int, batch_last: bool = True):
    """``kernels.im2col.col2im``: add columns into ``out`` (n, Cx, *Sp) in place, bit-identically to
    NumPy's strided adds (each entry adds its contributions in the same order); returns ``out``."""
    d = len(kernel)
    n, channels = out.shape[:2]
    windows = _triple(windows_output_size(out.shape[2:], kernel, stride, dilation), 1)
    lifted_kernel = _triple(kernel, 1)
    shape = (channels,) + lifted_kernel + (windows + (n,) if batch_last else (n,) + windows)
    cols = np.ascontiguousarray(cols).reshape(shape)                    # (Cx, *K, *O, n) or (Cx, *K, n, *O)
    target = _lift(out, 2, d)                                           # (n, Cx, *Sp), a view of out when contiguous
    if batch_last:
        _run("col2im_batch_last", channels, cols, target, _triple(stride, 1), _triple(dilation, 1))
    else:
        _run("col2im_batch_first", n * channels, cols, target, _triple(stride, 1), _triple(dilation, 1))
    if not np.shares_memory(target, out):
        out[...] = target.reshape(out.shape)
    return out


# ---- pooling ------------------------------------------------------------------------------------

def _pool_args(geometry) -> tuple:
    return (_triple(geometry.stride, 1), _triple(geometry.padding, 0), _triple(geometry.dilation, 1),
            _triple(geometry.kernel, 1))


def max_pool_forward(x, geometry):
    """``kernels.pool.max_pool_forward``: (values (L, *O), argmax k# (L, *O), int8 when prod(K) <= 127)."""
    d = geometry.ndim
    lead = x.shape[:x.ndim - d]
    planes = _planes(x, d)                                              # (prod L, 1.., *S)
    shape = planes.shape[:1] + _triple(geometry.output_size, 1)
    count = geometry.kernel_numel
    values = np.empty(shape, dtype=x.dtype)
    argmax = np.empty(shape, dtype=np.int8 if count <= 127 else np.int32)
    _run("max_pool_forward", planes.shape[0], planes, values, argmax, *_pool_args(geometry), x.dtype.type(-np.inf))
    return values.reshape(lead + geometry.output_size), argmax.reshape(lead + geometry.output_size)


def max_pool_indices(argmax, geometry):
    """``kernels.pool.max_pool_indices``: torch's flat indices into each unpadded plane (int64)."""
    d = geometry.ndim
    planes = _planes(argmax, d)
    indices = np.empty(planes.shape, dtype=np.int64)
    _run("max_pool_indices", planes.shape[0], planes, indices, _triple(geometry.input_size, 1), *_pool_args(geometry))
    return indices.reshape(argmax.shape)


def max_pool_scatter(grad, argmax, geometry):
    """``kernels.pool.max_pool_scatter``: grad (L, *O) added at each window's winner -> (L, *S)."""
    d = geometry.ndim
    lead = grad.shape[:grad.ndim - d]
    planes = _planes(grad, d)
    out = np.zeros(planes.shape[:1] + _triple(geometry.input_size, 1), dtype=grad.dtype)
    _run("max_pool_scatter", planes.shape[0], planes, _planes(argmax, d), out, *_pool_args(geometry))
    return out.reshape(lead + geometry.input_size)


# ---- BatchNorm (N, C, R: R the spatial positions flattened, M = N*R) and ReLU ------------------

def _as_ncr(x):
    return np.ascontiguousarray(x).reshape(x.shape[0], x.shape[1], -1)   # (N, C, R)


def batch_norm_forward(x, weight, bias, eps: float):
    """BatchNorm with batch statistics: (y, mean, biased var, invstd), the statistics (C,) summed in
    float64 in one pass per channel; y = (x - mean) * invstd * weight + bias as ``BatchNormTrain``."""
    x3 = _as_ncr(x)                                                     # (N, C, R)
    channels = x3.shape[1]
    mean64, var64 = np.empty(channels), np.empty(channels)
    _run("channel_mean_var", channels, x3, mean64, var64)
    mean, var = mean64.astype(x.dtype), var64.astype(x.dtype)
    invstd = 1.0 / np.sqrt(var + eps)                                   # (C,)
    scale = invstd if weight is None else invstd * weight
    shift = np.zeros_like(mean) if bias is None else bias.astype(x.dtype, copy=False)
    out = np.empty_like(x3)
    _run("channel_affine", x3.shape[0] * channels, x3, out, mean, scale.astype(x.dtype, copy=False), shift)
    return out.reshape(x.shape), mean, var, invstd


def batch_norm_backward(grad, x, weight, mean, invstd, count: int, needs_input_grad=(True, True, True)):
    """BatchNorm's closed-form backward: (dx, dweight, dbias), the sums in float64:
    dbias = sum(g), dweight = sum(g * x_hat), dx = k * (g - dbias / M - x_hat * dweight / M), k = invstd * weight."""
    g3, x3 = _as_ncr(grad), _as_ncr(x)                                  # (N, C, R)
    dtype = grad.dtype
    grad_bias64, grad_weight64 = np.empty(x3.shape[1]), np.empty(x3.shape[1])
    _run("batch_norm_grad_sums", x3.shape[1], g3, x3, mean, invstd, grad_bias64, grad_weight64)
    grad_bias, grad_weight = grad_bias64.astype(dtype), grad_weight64.astype(dtype)
    grad_x = None
    if needs_input_grad[0]:
        k = (invstd if weight is None else invstd * weight).astype(dtype, copy=False)   # (C,)
        grad_x = np.empty_like(g3)
        _run("batch_norm_grad_input", x3.shape[0] * x3.shape[1], g3, x3, grad_x, mean, invstd, k,
             (-k * grad_weight / count).astype(dtype, copy=False), (-k * grad_bias / count).astype(dtype, copy=False))
        grad_x = grad_x.reshape(grad.shape)
    return (grad_x, grad_weight if needs_input_grad[1] else None, grad_bias if needs_input_grad[2] else None)


def relu_forward(x):
    """max(x, 0) as NumPy's ``maximum`` (NaN passes, -0.0 becomes 0.0), in x's memory layout."""
    out = np.empty_like(x)                                              # x's layout when x is dense
    flat = flat_views(x, out)
    if flat is None:
        x = np.ascontiguousarray(x)
        out = np.empty_like(x)
        flat = [x.reshape(-1), out.reshape(-1)]
    _run("relu_forward", flat[0].shape[0], *flat)
    return out


def relu_backward(grad, out):
    """grad * (out > 0) as NumPy computes it (inf * 0 is NaN), in grad's memory layout."""
    dx = np.empty_like(grad)
    flat = flat_views(grad, out, dx)
    if flat is None:
        grad, out = np.ascontiguousarray(grad), np.ascontiguousarray(out)
        dx = np.empty_like(grad)
        flat = [grad.reshape(-1), out.reshape(-1), dx.reshape(-1)]
    _run("relu_backward", flat[0].shape[0], *flat, grad.dtype.type(0))
    return dx


# ---- Winograd F(2x2, 3x3) -----------------------------------------------------------------------

# Samples per block: a block's tiles (16 x Cx x its tiles) take about this much (at least one sample),
# in cache while the GEMMs read them. Forward time / im2col's, batch 128, 2 threads: 64->64 at 32x32
# 0.59-0.62 with 256-512 KB blocks, 0.64 with 1 MB, 0.61-0.64 with 2 MB; 64->64 at 16x16 0.72-0.75
# (256-512 KB), 0.78 (1 MB), 0.91 (4 MB).
WINOGRAD_BLOCK_BYTES = 512 << 10
WINOGRAD_MIN_CHANNELS = 4    # input channels
WINOGRAD_MIN_WIDTH = 16      # output columns
# The weight gradient gains less (its 16 GEMMs have a small (Cy, Cx) result over a long inner dim):
# Winograd / im2col time, batch 128, 3x3, padding 1: 64->64 at 32x32 0.74-0.92, 32->32 0.79-1.03,
# 16->16 0.92, 4->4 0.73, 64->64 at 56x56 (batch 64) 0.79; but 16x16 0.89-1.07, 8x8 1.3-1.55, and
# batch 4 at 32x32 1.26-1.31. So it takes outputs at least 32 wide and batches of at least 32.
WINOGRAD_WEIGHT_GRAD_MIN_WIDTH = 32
WINOGRAD_WEIGHT_GRAD_MIN_BATCH = 32
WINOGRAD_CHANNELS_LAST_MIN_CHANNELS = 32   # the channels-last loops: input channels
WINOGRAD_CHANNELS_LAST_MIN_WIDTH = 8       # and output columns


def _winograd_geometry(geometry) -> bool:
    """2-d, a 3x3 kernel, unit stride and dilation, one group, padding >= 0 before."""
    return (geometry.ndim == 2 and geometry.kernel == (3, 3) and geometry.stride == (1, 1)
            and geometry.dilation == (1, 1) and geometry.groups == 1 and all(b >= 0 for b, _ in geometry.pads))


def supports_winograd_channels_last(x, weight, geometry) -> bool:
    """Does a channels-last convolution (``conv.py``'s NHWC algorithms: a channels-last result, or a
    contiguous one computed in NHWC) take ``winograd_conv(.., channels_last=True)`` (and its weight
    gradient ``winograd_weight_grad``): ``_winograd_geometry``, float NumPy arrays, at least
    ``WINOGRAD_CHANNELS_LAST_MIN_CHANNELS`` input channels, outputs at least
    ``WINOGRAD_CHANNELS_LAST_MIN_WIDTH`` wide.

    The channels-last loops run over the channels, so narrow images pay no per-row cost. Measured on
    channels-last arrays against the NHWC im2col + GEMM algorithms, 2 threads, idle 2-core machine,
    medians of 7 interleaved, float32, batch 128, padding 1, forward / input gradient / weight
    gradient time ratios: 32->32 at 32x32 0.83 / 0.86 / 0.79, 64->64 0.65 / 0.65 / 0.65; 32->64 at
    16x16 0.77 / 0.88 / 0.72, 64->64 0.62 / 0.69 / 0.60; 64->128 at 8x8 0.77 / 0.66 / 0.77, 128->128
    0.69 / 0.72 / 0.71. Not taken: 128->128 at 4x4 (1.10 / 1.32 / 1.24) and 16->16 at 8x8 (1.26 /
    1.21 / 1.08). Contiguous calls that ``conv.py`` computes in NHWC (many channels on small images)
    take it too; their copies in and out stay, so the gain is smaller: against the NHWC im2col with
    the same copies, 64->128 at 8x8 0.79 / 1.02 / 0.89, 128->128 0.85 / 0.90 / 0.94, 64->64 at 16x16
    weight gradient 0.82 (its forward and input gradient take the contiguous loops first).
    """
    return (_winograd_geometry(geometry) and geometry.output_size[1] >= WINOGRAD_CHANNELS_LAST_MIN_WIDTH
            and x.shape[1] >= WINOGRAD_CHANNELS_LAST_MIN_CHANNELS and supports(x, weight, spatial_dims=2))


def supports_winograd_weight_grad(x, grad, geometry) -> bool:
    """Does a weight gradient take ``winograd_weight_grad``: ``supports_winograd``'s convolutions with
    outputs at least ``WINOGRAD_WEIGHT_GRAD_MIN_WIDTH`` wide and ``WINOGRAD_WEIGHT_GRAD_MIN_BATCH``
    samples."""
    return (geometry.output_size[-1] >= WINOGRAD_WEIGHT_GRAD_MIN_WIDTH and x.shape[0] >= WINOGRAD_WEIGHT_GRAD_MIN_BATCH
            and supports_winograd(x, grad, geometry))


def supports_winograd(x, weight, geometry) -> bool:
    """Does a convolution take ``winograd_conv``: 2-d, a 3x3 kernel, unit stride and dilation, one
    group, padding >= 0 before, float NumPy arrays (x and the weight, or the output gradient), at
    least ``WINOGRAD_MIN_CHANNELS`` input channels and outputs at least ``WINOGRAD_MIN_WIDTH`` wide.

    Measured against the im2col + GEMM path (or its NHWC path with copies, where ``conv.py`` takes
    that), both on 2 threads, idle 2-core machine, medians of 7 interleaved, float32, batch 128,
    padding 1, Winograd / im2col time, forward and unit-stride input gradient (the same call with the
    kernel flipped): 8->8, 16->16, 32->32, 64->64 at 32x32 0.56-0.64; 16->32, 32->64, 64->64,
    128->128 at 16x16 0.59-0.86 (256->256, batch 32: 0.75-0.81); 64->64 at 56x56 (batch 64) 0.59;
    4->4 at 32x32 0.68-0.75, 32->3 forward 0.56; batch 1 and 4 of 64->64 at 32x32 0.95 and 0.66-0.78.
    Not taken: 1 input channel (1->8 at 28x28: 3.7, the transforms carry 16 values a tile where im2col
    copies 9) and 3 (3->32 at 32x32: 0.97-1.16, no gain); outputs of 8x8 (64->128 1.01-1.03,
    128->128 0.86-0.89, 16->16 1.00-1.03) and 4x4 (128->128 2.0-2.5): rows of 2-4 tiles.
    """
    return (_winograd_geometry(geometry) and geometry.output_size[1] >= WINOGRAD_MIN_WIDTH
            and x.shape[1] >= WINOGRAD_MIN_CHANNELS and supports(x, weight, spatial_dims=2))


_G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])   # Winograd's G (4, 3)


def winograd_kernel(weight):
    """G w G^T for every (Cy, Cx) pair: (16, Cy, Cx), entry 4a + b; computed in float64."""
    transformed = np.einsum("ak,ockl,bl->aboc", _G, weight.astype(np.float64), _G)      # (4, 4, Cy, Cx)
    return np.ascontiguousarray(transformed.reshape((16,) + weight.shape[:2]), dtype=weight.dtype)


def _winograd_blocks(x, channels_out: int, geometry) -> tuple:
    """(the batch's blocks, tiles_h, tiles_w, the scratch one block holds: its input tiles and its
    16 products or output gradients' tiles)."""
    from ..im2col import batch_chunks
    out_h, out_w = geometry.output_size
    tiles_h, tiles_w = -(-out_h // 2), -(-out_w // 2)
    per_sample = 16 * x.shape[1] * tiles_h * tiles_w * x.itemsize
    blocks = batch_chunks(x.shape[0], per_sample, WINOGRAD_BLOCK_BYTES)
    block_bytes = (blocks[0].stop - blocks[0].start) * per_sample * (1 + channels_out / x.shape[1])
    return blocks, tiles_h, tiles_w, block_bytes


def _winograd_source(x, channels_last: bool):
    """What ``_winograd_input_tiles`` reads: x C-contiguous, or with ``channels_last`` its (N, H, W, Cx)
    view of any memory (each block's padding copy transposes in passing; no whole-batch copy)."""
    from .. import conv
    return conv._to_channels_last(x) if channels_last else np.ascontiguousarray(x)


def _winograd_input_tiles(x, chunk, geometry, tiles_h: int, tiles_w: int, channels_last: bool):
    """A block's input tiles B^T d B: (16, Cx, tiles) from contiguous (N, Cx, H, W) ``x``, or with
    ``channels_last`` (16, tiles, Cx) from the (N, H, W, Cx) ``x`` (a view of any memory: the block's
    padding copy lays it out), in a workspace."""
    from . import loops
    from ..im2col import pad_channels_last, workspace
    count = (chunk.stop - chunk.start) * tiles_h * tiles_w
    (before_h, _), (before_w, _) = geometry.pads
    if not channels_last:
        tiles = workspace(np, "winograd_tiles", (16, x.shape[1], count), x.dtype)
        loops.winograd_input(x[chunk], tiles, before_h, before_w, tiles_h, tiles_w, 0, x.shape[1])
        return tiles
    height, width = x.shape[1:3]                     # padded to the tiles' reach: (2Th + 2, 2Tw + 2)
    pads = ((before_h, 2 * tiles_h + 2 - height - before_h), (before_w, 2 * tiles_w + 2 - width - before_w))
    padded = np.ascontiguousarray(pad_channels_last(x[chunk], pads, slot="winograd_padded"))  # a copy unless no pads
    tiles = workspace(np, "winograd_tiles", (16, count, x.shape[3]), x.dtype)
    loops.winograd_input_channels_last(padded, tiles, tiles_h, tiles_w, 0, padded.shape[0])
    return tiles


def winograd_conv(x, weight, bias, geometry, channels_last: bool = False):
    """``kernels.conv.conv_forward`` by Winograd F(2x2, 3x3) (``loops.winograd_input`` / ``_output``):
    y (N, Cy, Oh, Ow) from x (N, Cx, H, W); with ``channels_last``, y held as (N, Oh, Ow, Cy) memory,
    computed by the channels-last loops (x in any layout: each block's padding copy lays it out).

    The batch runs in blocks of a few samples on minigrad's threads (``conv._run_blocks``), each
    block's input transform, 16 GEMMs over the channels ((16, Cy, Cx) @ (16, Cx, tiles), or
    channels-last (16, tiles, Cx) @ (16, Cx, Cy)) and output transform back to back on one thread;
    the blocks depend on the shapes only, so the result does not depend on the thread count."""
    from .. import conv
    from ..im2col import workspace
    from . import loops
    source = _winograd_source(x, channels_last)
    batch, channels_out = x.shape[0], weight.shape[0]
    blocks, tiles_h, tiles_w, block_bytes = _winograd_blocks(x, channels_out, geometry)
    kernel = winograd_kernel(weight)                                                  # (16, Cy, Cx)
    if channels_last:
        kernel = np.ascontiguousarray(kernel.transpose(0, 2, 1))                      # (16, Cx, Cy)
        y = np.empty((batch,) + geometry.output_size + (channels_out,), dtype=x.dtype)  # (N, Oh, Ow, Cy)
    else:
        y = np.empty((batch, channels_out) + geometry.output_size, dtype=x.dtype)     # (N, Cy, Oh, Ow)

    def block(index):  # one block: transform, multiply, transform back, on this thread
        chunk = blocks[index]
        tiles = _winograd_input_tiles(source, chunk, geometry, tiles_h, tiles_w, channels_last)
        if channels_last:
            products = workspace(np, "winograd_products", (16, tiles.shape[1], channels_out), x.dtype)
            np.matmul(tiles, kernel, out=products)                      # (16, tiles, Cy)
            loops.winograd_output_channels_last(products, y[chunk], tiles_h, tiles_w, 0, chunk.stop - chunk.start)
        else:
            products = workspace(np, "winograd_products", (16, channels_out, tiles.shape[2]), x.dtype)
            np.matmul(kernel, tiles, out=products)                      # (16, Cy, tiles)
            loops.winograd_output(products, y[chunk], tiles_h, tiles_w, 0, channels_out)
    conv._run_blocks(len(blocks), block, block_bytes)
    if bias is not None:
        y += bias if channels_last else bias.reshape(-1, 1, 1)
    return conv._from_channels_last(y) if channels_last else y


def winograd_weight_grad(x, grad, geometry, channels_last: bool = False):
    """``kernels.conv.conv_weight_grad_forward`` for the convolutions ``winograd_conv`` computes:
    w (Cy, Cx, 3, 3) = G^T [sum over tiles of (A g A^T) * (B^T d B)] G, the adjoint of the forward's
    y = A^T [(G w G^T) * (B^T d B)] A; the tiles' sums are 16 GEMMs per block, (16, Cy, tiles) @
    (16, tiles, Cx) (channels-last: (16, Cx, tiles) @ (16, tiles, Cy), from x's and grad's (N, H, W,
    C) memory; w then held as (Cy, 3, 3, Cx) memory). Blocks as the forward's, summed into a fixed
    number of partial sums (one per part, its blocks in order) that are added in order, so the
    result does not depend on the thread count."""
    from .. import conv
    from ..im2col import COLUMN_BUDGET_BYTES, workspace
    from . import loops
    channels_in, channels_out = x.shape[1], grad.shape[1]
    source = _winograd_source(x, channels_last)
    grad = np.ascontiguousarray(conv._to_channels_last(grad) if channels_last else grad)   # (N, Oh, Ow, Cy) or (N, Cy, Oh, Ow)
    blocks, tiles_h, tiles_w, block_bytes = _winograd_blocks(x, channels_out, geometry)
    shape = (channels_in, channels_out) if channels_last else (channels_out, channels_in)
    # a fixed number of partial sums (shapes alone decide it), together within half the column budget
    per_part = 16 * channels_in * channels_out * x.itemsize
    parts = max(1, min(len(blocks), conv._WEIGHT_GRAD_PARTS, COLUMN_BUDGET_BYTES // 2 // per_part))
    bounds = [len(blocks) * p // parts for p in range(parts + 1)]
    partial = np.zeros((parts, 16) + shape, dtype=x.dtype)

    def part_sum(p):  # the blocks of part p, in order, on this thread
        for chunk in blocks[bounds[p]:bounds[p + 1]]:
            tiles = _winograd_input_tiles(source, chunk, geometry, tiles_h, tiles_w, channels_last)
            count = (chunk.stop - chunk.start) * tiles_h * tiles_w
            if channels_last:
                grads = workspace(np, "winograd_products", (16, count, channels_out), x.dtype)
                loops.winograd_output_adjoint_channels_last(grad[chunk], grads, tiles_h, tiles_w, 0, chunk.stop - chunk.start)
                partial[p] += np.matmul(tiles.transpose(0, 2, 1), grads)        # (16, Cx, Cy)
            else:
                grads = workspace(np, "winograd_products", (16, channels_out, count), x.dtype)
                loops.winograd_output_adjoint(grad[chunk], grads, tiles_h, tiles_w, 0, channels_out)
                partial[p] += np.matmul(grads, tiles.transpose(0, 2, 1))        # (16, Cy, Cx)
    conv._run_blocks(parts, part_sum, block_bytes)
    summed = partial[0].astype(np.float64)
    for p in range(1, parts):
        summed += partial[p]
    if channels_last:   # (Cy, 3, 3, Cx) memory
        weight = np.einsum("au,abji,bv->iuvj", _G, summed.reshape((4, 4) + shape), _G)
        return conv._from_channels_last(np.ascontiguousarray(weight, dtype=x.dtype))
    weight = np.einsum("au,abij,bv->ijuv", _G, summed.reshape((4, 4) + shape), _G)
    return np.ascontiguousarray(weight, dtype=x.dtype)


# ---- depthwise convolution ----------------------------------------------------------------------

def supports_depthwise(x, channels_out: int, geometry, *others) -> bool:
    """Is this a depthwise convolution (groups = Cx = Cy) of arrays the loops take? x is the
    convolution's input (or, transposed, its output y) and ``others`` the other arrays it reads."""
    return (1 < geometry.groups == x.shape[1] == channels_out
            and supports(x, *others, spatial_dims=geometry.ndim))


def _conv_args(geometry) -> tuple:
    return _triple(geometry.stride, 1), _triple(geometry.dilation, 1), _triple(geometry.padding, 0)


def _depthwise(source, weight, bias, geometry, size: tuple, transpose: bool):
    """loops.depthwise from source (N, C, ...) into a new (N, C, *size) array, plus bias."""
    d = geometry.ndim
    batch, channels = source.shape[:2]
    target = np.zeros((batch, channels) + _triple(size, 1), dtype=source.dtype)       # (N, C, 1.., *size)
    _run("depthwise", batch * channels, _lift(source, 2, d), _lift(weight[:, 0], 1, d), target,
         *_conv_args(geometry), transpose)
    target = target.reshape((batch, channels) + size)
    if bias is not None:
        target += bias.reshape((channels,) + (1,) * d)
    return target


def depthwise_conv(x, weight, bias, geometry):
    """``kernels.conv.conv_forward`` for a depthwise convolution: y (N, C, *O), read straight from x
    (N, C, *S) with implicit padding, one loop per plane (no columns)."""
    return _depthwise(x, weight, bias, geometry, geometry.output_size, transpose=False)


def depthwise_conv_transpose(y, weight, bias, geometry):
    """``kernels.conv.conv_transpose_forward`` for a depthwise convolution: x (N, C, *S) from y (N, C, *O)."""
    return _depthwise(y, weight, bias, geometry, geometry.input_size, transpose=True)


def depthwise_weight_grad(x, y, geometry):
    """``kernels.conv.conv_weight_grad_forward`` for a depthwise convolution: w (C, 1, *K), summed in float64."""
    d = geometry.ndim
    channels = x.shape[1]
    weight = np.empty((channels,) + _triple(geometry.kernel, 1), dtype=np.float64)       # (C, 1.., *K)
    _run("depthwise_weight_grad", channels, _lift(x, 2, d), _lift(y, 2, d), weight, *_conv_args(geometry))
    return weight.astype(x.dtype).reshape((channels, 1) + geometry.kernel)
