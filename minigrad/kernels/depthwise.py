"""Depthwise convolutions (groups = Cx, Cy = M*Cx: M output channels per input channel) by direct
shifted multiply-adds, without columns; NumPy only. Letters as in ``geometry.py`` (S, O, P, K, F,
k, n), plus M, the channel multiplier Cy / Cx.

Output channel o = c*M + m reads only input channel c, so with ``x_k`` the strided view of the
padded input that holds entry k of every window (``WindowGeometry.offset_slices``):

    forward          y[:, c*M + m]      = sum over k (row-major) of  x_k[:, c] * w[c*M + m, 0, k]
    input gradient   x_full[.., k view] += y[:, c*M + m] * w[c*M + m, 0, k]   (then the padding cut)
    weight gradient  w[c*M + m, 0, k]    = sum over n of (sum over O of y[n, c*M + m] * x_k[n, c])

That is K (times M) multiply-adds on (n, C, *O) arrays, against im2col's K copies plus one thin
(1, K) @ (K, n*P) product per channel. The forward (and the unit-stride input gradient, a forward
with the flipped kernel) runs them on flat runs of whole padded samples split in stride phases
(``_wide_layout``): numpy's passes over (n, C, *O) views loop over rows of only O_w values.
The batch is split over threads (``threads.parallel_for``) and, within a thread, into chunks whose
scratch stays in cache (``CHUNK_BYTES``); every output element is summed in the same order whatever
the split, so results are bit-identical for any thread count (the weight gradient sums per-sample
partials (N, Cy, K) over the batch at the end, in batch order).

Memory: beyond the input and output arrays, a chunk's padded input, phases and wide buffers (about
``CHUNK_BYTES``, or one sample's worth), the weight gradient's (N, Cy, K) partials, and the
forward's expanded weights (at most ``EXPANDED_BYTES``).

Arrays keep their memory layout: a channels-last x is padded into a channels-last buffer and the
result is allocated channels-last when asked, so that every elementwise pass runs in memory order.

When it is used (``use_depthwise``, called by ``conv.py``): measured against the im2col + GEMM path
in one process, medians of 7 (see the rule's docstring for the figures).
"""
from __future__ import annotations

import itertools
import math

from ..backend import xp
from ..threads import parallel_for
from .geometry import WindowGeometry, conv_geometry, dilated_kernel_size
from .layout import channels_last_order, empty_in_order

CHUNK_BYTES = 1 << 22     # scratch per batch chunk (measured: 1-4 MB alike, 64 MB 2x slower)
EXPANDED_BYTES = 1 << 25  # the forward's weights expanded over a sample (M*K*C*prod(Q)) kept whole up to this


def use_depthwise(x, channels_in: int, channels_out: int, geometry: WindowGeometry) -> bool:
    """Whether ``conv.py`` takes this module's direct algorithm for a call: depthwise (groups = Cx,
    Cy a multiple of it), NumPy arrays, and a geometry where the forward, the input gradient and the
    weight gradient each measured faster than im2col + GEMM for the geometry:

    - unit stride: always. Old / new time, medians of 7 in one process, 3x3 kernels, padding 1, batch
      128 (64 for the first), 1 thread on a busy 2-core machine, float32 (float64 alike):
      64ch 32x32 batch 64 (bench_conv's depthwise): forward 28.3 / 16.1 ms, input gradient 26.5 /
      14.2, weight gradient 26.5 / 12.8; 32-128 channels at 32x32, 16x16 and 8x8: forward 1.1-2.1x
      faster, input gradient 1.1-1.9x, weight gradient 1.1-2.2x; channels-last inputs 2.3-4.6x.
    - stride > 1: only for outputs at least 8 wide. Stride 2, forward: 32ch 32x32 11.7 / 7.4 ms,
      64ch 32x32 27.2 / 15.7, 128ch 16x16 18.0 / 9.7 (float64 1.5-2.7x, channels-last 2.8-3.2x);
      input and weight gradients: 64ch 32x32 59.5 / 36.3 and 25.4 / 17.6 ms, 128ch 16x16 32.2 /
      17.0 and 17.0 / 11.8. Outputs 4 wide (8x8 stride 2) are slower direct: forward 1.8 / 2.9 ms
      (64ch), input and weight gradients 2.9 / 3.5 and 2.1 / 2.4.
    """
    if not (geometry.groups > 1 and geometry.groups == channels_in and channels_out % geometry.groups == 0
            and xp(x).__name__ == "numpy"):
        return False
    return all(st == 1 for st in geometry.stride) or geometry.output_size[-1] >= 8


def _empty(module, shape: tuple, dtype, channels_last: bool):
    """An uninitialised (N, C, *S) array, held as (N, *S, C) memory when ``channels_last``."""
    order = channels_last_order(len(shape)) if channels_last else tuple(range(len(shape)))
    return empty_in_order(module, shape, dtype, order)


def _is_channels_last(a) -> bool:
    """Is (N, C, *S) ``a`` held with C innermost (torch's channels_last memory)?"""
    return a.ndim > 2 and a.strides[1] == a.itemsize and a.shape[1] > 1 and not a.flags.c_contiguous


def _padded(module, x, pads: tuple, channels_last: bool):
    """(n, C, *S) zero-padded (cropped, for negative amounts) to (n, C, *F), in ``x``'s layout; ``x``
    itself (a view, when cropped) when nothing grows."""
    crop = (slice(None),) * 2 + tuple(slice(max(-b, 0), s - max(-a, 0)) for (b, a), s in zip(pads, x.shape[2:]))
    x = x[crop]                                                                     # (n, C, *S - cut)
    grow = [(max(b, 0), max(a, 0)) for b, a in pads]
    if not any(b or a for b, a in grow):
        return x
    full = tuple(s + b + a for s, (b, a) in zip(x.shape[2:], grow))
    out = _empty(module, x.shape[:2] + full, x.dtype, channels_last)                # (n, C, *F)
    for dim, ((before, after), size) in enumerate(zip(grow, full)):                # zero only the borders
        lead = (slice(None),) * (2 + dim)
        if before:
            out[lead + (slice(0, before),)] = 0
        if after:
            out[lead + (slice(size - after, size),)] = 0
    out[(slice(None),) * 2 + tuple(slice(b, b + s) for (b, _), s in zip(grow, x.shape[2:]))] = x
    return out


def _chunk(batch_part: int, per_sample: int) -> int:
    """Samples per chunk: those whose scratch fits ``CHUNK_BYTES``, at least one."""
    return max(1, min(batch_part, CHUNK_BYTES // max(per_sample, 1)))


def _phase_sizes(geometry: WindowGeometry) -> tuple:
    """Q: the sizes of the stride phases of a padded (*F) plane, ceil(F / stride) (F itself at stride 1)."""
    return tuple(-(-f // st) for f, st in zip(geometry.full_size, geometry.stride))


def _wide_layout(geometry: WindowGeometry, channels: int, channels_last: bool):
    """The flat layout of a padded sample for the wide algorithm.

    Stride s splits a padded (C, *F) sample into prod(s) phases, phase r holding the positions
    r + s*q (q < Q = ceil(F / s), the tails zero): window o's entry k reads position
    o*s + k*dilation = r(k) + s*(o + q(k)), with r(k) = k*dilation mod s and q(k) = k*dilation // s,
    i.e. phase r(k) shifted by q(k). (At stride 1 there is one phase, the padded sample itself.)
    Each phase block (C, *Q) is read flat: window o of channel c is at flat index
    phase(r(k))*block + shift(k) + index(o, c), so for each k one contiguous run
    [offset(k), offset(k) + R) of the sample holds entry k of all windows of all channels,
    R = block - shift(K - 1) ("wide" positions: the runs also cover the columns between output rows
    and the planes' tails, computed on and dropped). In the contiguous format the channels' planes
    follow each other, index(o, c) = c*prod(Q) + sum of o_i * Qstride_i; channels-last, the channels
    are innermost, index(o, c) = C * sum of o_i * Qstride_i + c.
    Returns (the K offsets in row-major order, R, the block size C*prod(Q)).
    """
    phases = _phase_sizes(geometry)
    scale = channels if channels_last else 1
    row_strides = tuple(math.prod(phases[i + 1:]) * scale for i in range(len(phases)))
    block = channels * math.prod(phases)
    strides = geometry.stride
    residues = list(itertools.product(*(range(st) for st in strides)))            # phases in row-major order
    offsets = []
    for offset in geometry.offsets():
        reach = [k * dl for k, dl in zip(offset, geometry.dilation)]
        phase = residues.index(tuple(r % st for r, st in zip(reach, strides)))
        offsets.append(phase * block + sum(r // st * fs for r, st, fs in zip(reach, strides, row_strides)))
    last = [(k - 1) * dl // st for k, dl, st in zip(geometry.kernel, geometry.dilation, strides)]
    return offsets, block - sum(q * fs for q, fs in zip(last, row_strides)), block


def _forward_wide(module, x, w, y, geometry: WindowGeometry, multiplier: int, channels_last: bool) -> None:
    """``depthwise_forward``'s algorithm on whole padded samples split in stride phases
    (``_wide_layout``), in x's layout: per k, wide (n, R) += x_flat (n, run k) * w_k expanded to
    (R,), every pass over one contiguous run per sample (numpy's passes over the (n, C, *O) views,
    rows of O_w values, cost 3-4x more per value in a 32x32 plane), then the real windows copied
    into y."""
    batch, channels = x.shape[:2]
    offsets, run, block = _wide_layout(geometry, channels, channels_last)
    phases = _phase_sizes(geometry)
    strides = geometry.stride
    residues = list(itertools.product(*(range(st) for st in strides)))
    sample = block * len(residues)
    w_mk = w.reshape(channels, multiplier, -1).transpose(1, 2, 0)                  # (M, K, C)

    def expand(w_c):
        """(.., C) -> (.., block): w_c over the channel of every flat position of a phase block."""
        if channels_last:                                                          # (.., prod(Q)*C): tiled
            return module.tile(w_c, (1,) * (w_c.ndim - 1) + (math.prod(phases),))
        return module.repeat(w_c, math.prod(phases), axis=-1)                     # (.., C*prod(Q)): repeated

    # (M, K, block), made once when it fits EXPANDED_BYTES, else one (block,) row per pass
    expanded = expand(w_mk) if w_mk.size * math.prod(phases) * x.itemsize <= EXPANDED_BYTES else None
    per_sample = x.itemsize * (x[:1].size * 2 + block * 2)                          # padded x, phases, wide y, scratch
    windows = tuple(slice(0, o) for o in geometry.output_size)

    def as_blocks(flat, n, count):
        """(n, count*block) as (n, count, C, *Q) views (channels-last: of (n, count, *Q, C) memory)."""
        if channels_last:
            held = flat.reshape((n, count) + phases + (channels,))                  # (n, count, *Q, C)
            return held.transpose((0, 1, held.ndim - 1) + tuple(range(2, held.ndim - 1)))
        return flat.reshape((n, count, channels) + phases)                         # (n, count, C, *Q)

    def body(start, stop):
        step = _chunk(stop - start, per_sample)
        wide = scratch = split = None
        for first in range(start, stop, step):                                     # chunks that stay in cache
            chunk = slice(first, min(first + step, stop))
            n = chunk.stop - chunk.start
            x_full = _padded(module, x[chunk], geometry.pads, channels_last)       # (n, C, *F)
            if wide is None or wide.shape[0] != n:
                wide = module.empty((n, block), dtype=x.dtype)                     # (n, C*prod(Q))
                scratch = module.empty((n, run), dtype=x.dtype)                    # (n, R)
                if len(residues) > 1:                                              # zero tails, never rewritten
                    split = module.zeros((n, sample), dtype=x.dtype)               # (n, phases*C*prod(Q))
            if len(residues) == 1:
                held = _to_held(x_full) if channels_last else x_full
                x_flat = module.ascontiguousarray(held).reshape(n, sample)         # (n, C*prod(F))
            else:
                blocks = as_blocks(split, n, len(residues))                        # (n, phases, C, *Q)
                for phase, residue in enumerate(residues):                         # phase r: x_full[r::s]
                    picks = tuple(slice(r, None, st) for r, st in zip(residue, strides))
                    part = x_full[(slice(None), slice(None)) + picks]              # (n, C, *Q or less)
                    blocks[(slice(None), phase, slice(None)) + tuple(slice(0, q) for q in part.shape[2:])] = part
                x_flat = split
            wide_run = wide[:, :run]                                               # (n, R)
            for m in range(multiplier):
                for k, offset in enumerate(offsets):                               # k# in row-major order
                    x_k = x_flat[:, offset:offset + run]                           # (n, R)
                    w_k = (expanded[m, k] if expanded is not None else expand(w_mk[m, k]))[:run]  # (R,)
                    if k == 0:
                        module.multiply(x_k, w_k, out=wide_run)                    # (n, R) = x_k * w_k
                    else:
                        module.multiply(x_k, w_k, out=scratch)
                        wide_run += scratch                                        # (n, R) += x_k * w_k
                y[chunk, m::multiplier] = as_blocks(wide, n, 1)[(slice(None), 0, slice(None)) + windows]  # (n, C, *O)

    parallel_for(batch, body, x.nbytes + y.nbytes)


def _to_held(a):
    """(n, C, *S) -> the (n, *S, C) view (its memory order when channels-last)."""
    return a.transpose((0,) + tuple(range(2, a.ndim)) + (1,))


def depthwise_forward(x, weight, bias, geometry: WindowGeometry, channels_last: bool = False):
    """y (N, Cy, *O) = conv(x (N, C, *S), weight (Cy, 1, *K), groups = C) + bias (Cy,); y held as
    (N, *O, Cy) memory when ``channels_last``.

    >>> import numpy as np
    >>> from minigrad.kernels.geometry import conv_geometry
    >>> x = np.arange(8.0).reshape(1, 2, 4)                 # channels [0 1 2 3] and [4 5 6 7]
    >>> w = np.array([[[1.0, -1.0]], [[0.5, 0.5]]])          # a difference and a mean
    >>> depthwise_forward(x, w, None, conv_geometry((4,), (2,), (1,), ((0, 0),), (1,), groups=2))
    array([[[-1. , -1. , -1. ],
            [ 4.5,  5.5,  6.5]]])
    """
    module = xp(x)
    batch, channels = x.shape[:2]
    channels_out = weight.shape[0]
    multiplier = channels_out // channels
    w = weight.reshape(channels_out, geometry.kernel_numel)                         # (Cy, K)
    spread = (1,) * geometry.ndim
    y = _empty(module, (batch, channels_out) + geometry.output_size, x.dtype, channels_last)  # (N, Cy, *O)
    _forward_wide(module, x, w, y, geometry, multiplier, _is_channels_last(x))
    if bias is not None:
        y += bias.reshape((channels_out,) + spread)                                # (N, Cy, *O) + (Cy, 1..)
    return y


def depthwise_transpose(y, weight, bias, geometry: WindowGeometry, channels_last: bool = False):
    """x (N, C, *S) = conv_transpose(y (N, Cy, *O), weight (Cy, 1, *K), groups = C) + bias (C,), the
    adjoint of ``depthwise_forward``: every y[:, c*M + m] * w[c*M + m, 0, k] is added into a zeroed
    padded buffer (n, C, *F) at window entry k, and the padding is cut. Held as (N, *S, C) memory when
    ``channels_last``."""
    module = xp(y)
    batch, channels_out = y.shape[:2]
    channels = geometry.groups
    multiplier = channels_out // channels
    if multiplier == 1 and all(st == 1 for st in geometry.stride):
        # Unit stride: the convolution of y, padded by dilation*(K - 1) minus the cut, with the kernel
        # flipped (Dumoulin & Visin, section 4.1), by the wide forward: no zeroed buffer, no strided adds
        flipped = weight[(Ellipsis,) + (slice(None, None, -1),) * geometry.ndim]    # (C, 1, *K) reversed in K
        pads = tuple((dilated_kernel_size(k, dl) - 1 - b, dilated_kernel_size(k, dl) - 1 - a)
                     for k, dl, (b, a) in zip(geometry.kernel, geometry.dilation, geometry.pads))
        flipped_geometry = conv_geometry(geometry.output_size, geometry.kernel, geometry.stride, pads,
                                         geometry.dilation, channels)
        return depthwise_forward(y, flipped, bias, flipped_geometry, channels_last)
    kernel_numel = geometry.kernel_numel
    w = weight.reshape(channels_out, kernel_numel)                                  # (Cy, K)
    spread = (1,) * geometry.ndim
    x = _empty(module, (batch, channels) + geometry.input_size, y.dtype, channels_last)  # (N, C, *S)
    offsets = [geometry.offset_slices(k) for k in geometry.offsets()]
    # the inside of the full (n, C, *F) buffer that is x, and x's part that some window reads
    inside = tuple(slice(max(b, 0), f - max(a, 0)) for (b, a), f in zip(geometry.pads, geometry.full_size))
    read = tuple(slice(max(-b, 0), s - max(-a, 0)) for (b, a), s in zip(geometry.pads, geometry.input_size))
    unread = any(b < 0 or a < 0 for b, a in geometry.pads)
    per_sample = y.itemsize * channels * (math.prod(geometry.full_size) + math.prod(geometry.output_size))

    def body(start, stop):
        step = _chunk(stop - start, per_sample)
        x_full = scratch = None
        for first in range(start, stop, step):
            chunk = slice(first, min(first + step, stop))
            n = chunk.stop - chunk.start
            shape = (n, channels) + geometry.full_size
            if x_full is None or x_full.shape != shape:
                x_full = _empty(module, shape, y.dtype, channels_last)             # (n, C, *F)
                scratch = _empty(module, (n, channels) + geometry.output_size, y.dtype, channels_last)
            x_full[...] = 0
            for m in range(multiplier):
                y_m = y[chunk, m::multiplier]                                      # (n, C, *O)
                w_m = w[m::multiplier]                                             # (C, K)
                for k, view in enumerate(offsets):
                    module.multiply(y_m, w_m[:, k].reshape((channels,) + spread), out=scratch)
                    x_full[view] += scratch                                        # (n, C, k view of *F) += y * w_k
            if unread:
                x[chunk] = 0                                                       # rows no window reads
            x[(chunk, slice(None)) + read] = x_full[(slice(None), slice(None)) + inside]

    parallel_for(batch, body, x.nbytes + y.nbytes)
    if bias is not None:
        x += bias.reshape((channels,) + spread)                                    # (N, C, *S) + (C, 1..)
    return x


def depthwise_weight_grad(x, y, geometry: WindowGeometry):
    """w (Cy, 1, *K) = sum over batch and windows of y[n, c*M + m, o] * x_padded[n, c, o*stride + k*dilation]:
    per sample and offset one dot product over O per channel (einsum), then the (N, Cy, K) partials
    summed over the batch in batch order."""
    module = xp(x)
    batch, channels = x.shape[:2]
    channels_out = y.shape[1]
    multiplier = channels_out // channels
    kernel_numel = geometry.kernel_numel
    partial = module.empty((batch, channels_out, kernel_numel), dtype=x.dtype)     # (N, Cy, K)
    offsets = [geometry.offset_slices(k) for k in geometry.offsets()]
    pads = geometry.pads
    x_cl = _is_channels_last(x)
    per_sample = x.itemsize * channels * math.prod(geometry.full_size)
    spatial = "xyz"[:geometry.ndim]
    dots = f"nc{spatial},nc{spatial}->nc"                                          # sum over O

    def body(start, stop):
        step = _chunk(stop - start, per_sample)
        for first in range(start, stop, step):
            chunk = slice(first, min(first + step, stop))
            x_full = _padded(module, x[chunk], pads, x_cl)                         # (n, C, *F)
            for m in range(multiplier):
                y_m = y[chunk, m::multiplier]                                      # (n, C, *O)
                for k, view in enumerate(offsets):
                    # (n, C) = sum over O of (n, C, *O) * (n, C, *O)
                    partial[chunk, m::multiplier, k] = module.einsum(dots, y_m, x_full[view])

    parallel_for(batch, body, x.nbytes + y.nbytes)
    w = partial.sum(axis=0)                                                        # (Cy, K): in batch order
    return w.reshape((channels_out, 1) + geometry.kernel)
