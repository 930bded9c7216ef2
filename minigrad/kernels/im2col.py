"""im2col / col2im for any number of spatial dims (1d, 2d and 3d share every line), NumPy or CuPy.

Legend: ``minigrad.kernels.geometry``'s (n a batch chunk, Cx channels, G groups, Cxg = Cx / G,
Sp padded input sizes, K kernel sizes, O output sizes, P = prod(O) the number of windows).

``im2col`` copies every window of a padded input into a column matrix, laid out so that one GEMM per
group computes a convolution:

    cols[g, (c, k), (o, n)] = x_padded[n, g*Cxg + c, o*stride + k*dilation]      # (G, Cxg*K, P*n)

or with the batch index slowest, (G, Cxg*K, n*P). Batch-last columns are copied from a batch-last copy
of the input, (Cx, *Sp, n), so every row of a window is one contiguous run of O_d * n values: on
small images (LeNet's 10x10 windows) im2col and col2im become ~4x faster. With long window rows
(CIFAR's 32x32) both copies run equally fast, and batch-first columns save the transposing copies
of the GEMM's product that batch-last ones need (measured 5x slower than batch-first's), so
``conv.py`` picks the order per call.

``im2col_channels_last`` / ``col2im_channels_last`` (at the end) do the same for channels-last
(N, *S, C) memory, where each window row is one contiguous run of Kw*C values.

``col2im`` is its adjoint: it adds each column entry back to the input position it was read from,
with one strided add per kernel offset (a loop over the K offsets; never over the batch or pixels).

Both work on chunks of the batch so that the column buffer stays under a memory budget
(``COLUMN_BUDGET_BYTES``); ``batch_chunks`` gives the chunks. On the CPU the column buffer is kept
and reused between calls (``workspace``): a fresh multi-megabyte array costs a page fault per 4 kB
on its first write, which measured slower than the copy itself for the larger benchmark cases.

The copies are split over the batch (or, for NCHW columns, over the channels: their leading axis)
with ``minigrad.threads.parallel_for``; every part writes its own rows, so results are bit-identical
for any thread count. Called from inside one part of an outer ``parallel_for`` (``conv.py``'s
cache-sized blocks), a copy runs on that part's thread (``parallel_for`` does not nest).
"""
from __future__ import annotations

import itertools
import math
import threading

from ..backend import xp
from ..threads import parallel_for
from . import compiled, cuda
from .geometry import offset_slice, windows_output_size
from .windows import sliding_windows

COLUMN_BUDGET_BYTES = 256 * 2**20  # scratch of one batch chunk (columns, padded input, product); larger batches are chunked

_local = threading.local()


def workspace(module, name: str, shape: tuple, dtype):
    """An uninitialised array of ``shape`` for scratch use, reused across calls on the CPU.

    Each ``name`` is one slot: a caller must be done with the previous array from a slot before it asks
    that slot again. CuPy has its own memory pool, so on the GPU this is a plain ``empty``.
    """
    if module.__name__ != "numpy":
        return module.empty(shape, dtype=dtype)
    slots = getattr(_local, "slots", None)
    if slots is None:
        slots = _local.slots = {}
    size = math.prod(shape)
    key = (name, module.dtype(dtype).str)
    buffer = slots.get(key)
    if buffer is None or buffer.size < size:
        if size * module.dtype(dtype).itemsize > COLUMN_BUDGET_BYTES:  # never keep more than the budget
            return module.empty(shape, dtype=dtype)
        buffer = slots[key] = module.empty(size, dtype=dtype)
    return buffer[:size].reshape(shape)


def batch_chunks(batch: int, bytes_per_sample: int, budget: int = None) -> list:
    """Slices of the batch whose column buffers fit in ``budget`` bytes (at least one sample each)."""
    budget = COLUMN_BUDGET_BYTES if budget is None else budget
    per_chunk = max(1, budget // max(1, bytes_per_sample))
    return [slice(start, min(start + per_chunk, batch)) for start in range(0, max(batch, 1), per_chunk)]


def pad_spatial(x, padding: tuple):
    """Zero-pad (or crop, for negative amounts) the trailing spatial dims; ``padding`` is ((before, after), ..)."""
    if all(b == 0 and a == 0 for b, a in padding):
        return x
    module = xp(x)
    d = len(padding)
    grow = [(0, 0)] * (x.ndim - d) + [(max(b, 0), max(a, 0)) for b, a in padding]
    if any(b or a for b, a in grow):
        x = module.pad(x, grow)                                   # (N, C, *S+grow)
    crop = (slice(None),) * (x.ndim - d) + tuple(
        slice(max(-b, 0), size - max(-a, 0)) for (b, a), size in zip(padding, x.shape[-d:]))
    return x[crop]                                                # (N, C, *Sp)


def _batch_last(x):
    """(n, Cx, *Sp) -> a contiguous (Cx, *Sp, n) copy."""
    return xp(x).ascontiguousarray(x.transpose(tuple(range(1, x.ndim)) + (0,)))


def _windows_batch_last(x_t, kernel: tuple, stride: tuple, dilation: tuple, windows: tuple):
    """Strided view (Cx, *K, *O, n) of a batch-last array x_t (Cx, *Sp, n): every window entry."""
    module = xp(x_t)
    d = len(kernel)
    channel_stride, *spatial_strides, batch_stride = x_t.strides
    shape = (x_t.shape[0],) + tuple(kernel) + tuple(windows) + (x_t.shape[-1],)
    strides = ((channel_stride,)
               + tuple(s * dl for s, dl in zip(spatial_strides, dilation))    # within a window
               + tuple(s * st for s, st in zip(spatial_strides, stride))      # to the next window
               + (batch_stride,))
    return module.lib.stride_tricks.as_strided(x_t, shape=shape, strides=strides)


def pad_nchw(x, pads: tuple):
    """(n, C, *S) zero-padded (cropped, for negative amounts) into a workspace (n, C, *F):
    ``pad_channels_last`` on the (n*C, *S, 1) view; x itself when there is no padding."""
    padded = pad_channels_last(x.reshape((-1,) + x.shape[2:] + (1,)), pads)
    return padded.reshape(x.shape[:2] + padded.shape[1:-1])


def im2col(x, pads: tuple, kernel: tuple, stride: tuple, dilation: tuple, groups: int, slot: str = "cols",
           batch_last: bool = True):
    """Columns of a chunk ``x`` (n, Cx, *S) zero-padded by ``pads`` ((before, after), ..; negative
    amounts crop); a workspace array.

    (G, Cxg*K, P*n) when ``batch_last`` (copied from a batch-last copy of the input), else
    (G, Cxg*K, n*P) (copied straight from the input: faster when window rows are long, since the
    product then needs no transposing copy back to (n, Cy, *O)). The GPU always uses batch-last.
    NumPy pads into a workspace first; the compiled loop reads x with the padding implicit.
    """
    if compiled.enabled() and compiled.supports(x, spatial_dims=len(kernel)):
        return compiled.im2col(x, kernel, stride, dilation, groups, slot, batch_last, pads=pads)
    if cuda.handles(x):  # CuPy float arrays: one CUDA thread per column entry
        return cuda.im2col.im2col(pad_spatial(x, pads), kernel, stride, dilation, groups)
    x_padded = pad_nchw(x, pads)                                         # (n, Cx, *Sp)
    module = xp(x_padded)
    d = len(kernel)
    n, channels = x_padded.shape[:2]
    windows = windows_output_size(x_padded.shape[2:], kernel, stride, dilation)
    if batch_last:
        x_t = _batch_last(x_padded)                                      # (Cx, *Sp, n)
        cols = workspace(module, slot, (channels,) + tuple(kernel) + windows + (n,), x_padded.dtype)  # (Cx, *K, *O, n)
        view = _windows_batch_last(x_t, kernel, stride, dilation, windows)
    else:
        view = sliding_windows(x_padded, kernel, stride, dilation)       # (n, Cx, *O, *K)
        cols = workspace(module, slot, (channels,) + tuple(kernel) + (n,) + windows, x_padded.dtype)  # (Cx, *K, n, *O)
        view = view.transpose((1,) + tuple(range(2 + d, 2 + 2 * d)) + (0,) + tuple(range(2, 2 + d)))

    def copy(start, stop):  # the one big copy, split over the channels (each part writes its own rows)
        cols[start:stop] = view[start:stop]
    if module.__name__ == "numpy":
        parallel_for(channels, copy, cols.nbytes)
    else:
        copy(0, channels)
    return cols.reshape(groups, channels // groups * math.prod(kernel), n * math.prod(windows))


def col2im(cols, out, kernel: tuple, stride: tuple, dilation: tuple, groups: int, batch_last: bool = True):
    """Add columns (G, Cxg*K, P*n) (or (G, Cxg*K, n*P) when not ``batch_last``) back into ``out``
    (n, Cx, *Sp) in place; returns ``out``.

    One strided add per kernel offset k: out[.., k*dilation + o*stride, ..] += cols[:, k, o, ..].
    """
    if compiled.enabled() and compiled.supports(cols, out, spatial_dims=len(kernel)):  # minigrad[fast]: numba
        return compiled.col2im(cols, out, kernel, stride, dilation, groups, batch_last)
    if cuda.handles(cols):  # CuPy float arrays: gather form, one CUDA thread per entry of out
        return cuda.im2col.col2im(cols, out, kernel, stride, dilation, groups)
    module = xp(cols)
    d = len(kernel)
    n, channels = out.shape[:2]
    windows = windows_output_size(out.shape[2:], kernel, stride, dilation)

    def window_entries(offset):
        return tuple(offset_slice(k, st, dl, o) for k, dl, o, st in zip(offset, dilation, windows, stride))
    offsets = itertools.product(*(range(k) for k in kernel))
    offsets = list(offsets)
    parts = parallel_for if module.__name__ == "numpy" else (lambda count, body, nbytes: body(0, count))
    if batch_last:
        cols = cols.reshape((channels,) + tuple(kernel) + windows + (n,))    # (Cx, *K, *O, n)
        out_t = workspace(module, "col2im", (channels,) + tuple(out.shape[2:]) + (n,), out.dtype)  # (Cx, *Sp, n)

        def add(start, stop):  # split over the channels: each part adds into its own channels
            part = out_t[start:stop]
            part[...] = 0
            for offset in offsets:
                part[(slice(None),) + window_entries(offset)] += cols[(slice(start, stop),) + offset]  # (c, *O, n)
            out[:, start:stop] += part.transpose((d + 1, 0) + tuple(range(1, d + 1)))  # (n, c, *Sp)
    else:
        cols = cols.reshape((channels,) + tuple(kernel) + (n,) + windows)    # (Cx, *K, n, *O)
        swap_batch_channel = (1, 0) + tuple(range(2, 2 + d))

        def add(start, stop):
            for offset in offsets:
                target = out[(slice(None), slice(start, stop)) + window_entries(offset)]  # (n, c, *O) view
                target += cols[(slice(start, stop),) + offset].transpose(swap_batch_channel)
    parts(channels, add, cols.nbytes)
    return out


# ---- torch's im2col / col2im layout: batch first, (n, Cx*K, P) --------------------------------

def unfold_columns(x_padded, kernel: tuple, stride: tuple, dilation: tuple):
    """A fresh (n, Cx*K, P) array of every window of a padded ``x_padded`` (n, Cx, *Sp): torch's
    ``F.unfold`` layout, cols[n, (c, k), o] = x_padded[n, c, o*stride + k*dilation]. One copy."""
    module = xp(x_padded)
    d = len(kernel)
    n, channels = x_padded.shape[:2]
    view = sliding_windows(x_padded, kernel, stride, dilation)            # (n, Cx, *O, *K)
    windows = view.shape[2:2 + d]
    by_offset = view.transpose((0, 1) + tuple(range(2 + d, 2 + 2 * d)) + tuple(range(2, 2 + d)))  # (n, Cx, *K, *O)
    return module.ascontiguousarray(by_offset).reshape(n, channels * math.prod(kernel), math.prod(windows))


def fold_columns(cols, out, kernel: tuple, stride: tuple, dilation: tuple):
    """The adjoint of ``unfold_columns``: add cols (n, Cx*K, P) into ``out`` (n, Cx, *Sp) in place
    (torch's ``F.fold``), one strided add per kernel offset; returns ``out``."""
    n, channels = out.shape[:2]
    windows = windows_output_size(out.shape[2:], kernel, stride, dilation)
    cols = cols.reshape((n, channels) + tuple(kernel) + windows)           # (n, Cx, *K, *O)
    for offset in itertools.product(*(range(k) for k in kernel)):
        entries = tuple(offset_slice(k, st, dl, o) for k, dl, o, st in zip(offset, dilation, windows, stride))
        out[(slice(None), slice(None)) + entries] += cols[(slice(None), slice(None)) + offset]  # (n, Cx, *O)
    return out


# ---- channels-last (NHWC) columns: batch first, channels fastest, (n*P, K*Cx) ---------------------
#
# For an input held as (n, *S, Cx) memory (torch's channels_last), every row of a window is one
# contiguous run of Kw*Cx values, and the columns come out as (n*P, K*Cx), which one GEMM with the
# weight as (K*Cx, Cy) turns into (n*P, Cy): the NHWC output itself, with no transposing copy.
# Each copy is split over the batch with ``parallel_for`` (every part writes its own samples).

def pad_channels_last(x_cl, pads: tuple, slot: str = "padded"):
    """(n, *S, Cx) zero-padded (cropped, for negative amounts) by ``pads`` ((before, after), ..) along
    its spatial dims, in a workspace (n, *F, Cx); ``x_cl`` itself when there is no padding."""
    if all(b == 0 and a == 0 for b, a in pads):
        return x_cl
    module = xp(x_cl)
    n, channels = x_cl.shape[0], x_cl.shape[-1]
    sizes = x_cl.shape[1:-1]
    full = tuple(s + b + a for s, (b, a) in zip(sizes, pads))
    out = workspace(module, slot, (n,) + full + (channels,), x_cl.dtype)       # (n, *F, Cx)
    for dim, ((before, after), size) in enumerate(zip(pads, full)):           # zero only the borders
        lead = (slice(None),) * (1 + dim)
        if before > 0:
            out[lead + (slice(0, before),)] = 0
        if after > 0:
            out[lead + (slice(size - after, size),)] = 0
    inside = (slice(None),) + tuple(slice(max(b, 0), f - max(a, 0)) for (b, a), f in zip(pads, full))
    source = (slice(None),) + tuple(slice(max(-b, 0), s - max(-a, 0)) for (b, a), s in zip(pads, sizes))

    def copy(start, stop):
        out[inside][start:stop] = x_cl[source][start:stop]
    parallel_for(n, copy, out.nbytes)
    return out


def _windows_channels_last(x_cl, kernel: tuple, stride: tuple, dilation: tuple, windows: tuple):
    """Strided view (n, *O, *K, Cx) of x_cl (n, *F, Cx): every window entry, channels fastest."""
    module = xp(x_cl)
    batch_stride, *spatial_strides, channel_stride = x_cl.strides
    shape = (x_cl.shape[0],) + tuple(windows) + tuple(kernel) + (x_cl.shape[-1],)
    strides = ((batch_stride,)
               + tuple(s * st for s, st in zip(spatial_strides, stride))      # to the next window
               + tuple(s * dl for s, dl in zip(spatial_strides, dilation))    # within a window
               + (channel_stride,))
    return module.lib.stride_tricks.as_strided(x_cl, shape=shape, strides=strides)


def im2col_channels_last(x_padded, kernel: tuple, stride: tuple, dilation: tuple, slot: str = "cols", out=None):
    """Columns (n*P, K*Cx) of a padded channels-last chunk ``x_padded`` (n, *F, Cx), in a workspace
    (or in ``out``, of n*P*K*Cx entries): cols[(n, o), (k, c)] = x_padded[n, o*stride + k*dilation, c]."""
    module = xp(x_padded)
    n, channels = x_padded.shape[0], x_padded.shape[-1]
    windows = windows_output_size(x_padded.shape[1:-1], kernel, stride, dilation)
    view = _windows_channels_last(x_padded, kernel, stride, dilation, windows)  # (n, *O, *K, Cx)
    if out is None:
        cols = workspace(module, slot, view.shape, x_padded.dtype)             # (n, *O, *K, Cx)
    else:
        cols = out.reshape(view.shape)

    def copy(start, stop):
        cols[start:stop] = view[start:stop]
    parallel_for(n, copy, cols.nbytes)
    return cols.reshape(n * math.prod(windows), math.prod(kernel) * channels)


def channels_last_columns(x_cl, pads: tuple, kernel: tuple, stride: tuple, dilation: tuple, out=None):
    """Columns (n*P, K*Cx) of a channels-last chunk ``x_cl`` (n, *S, Cx) zero-padded by ``pads``
    ((before, after), ..): ``pad_channels_last`` then ``im2col_channels_last`` (in the "cols" workspace,
    or in ``out``, a (n*P, K*Cx) array). With minigrad[fast], a compiled loop copies the windows: from
    x_cl itself, the padding implicit, when it is NHWC memory; from NumPy's padded copy otherwise (a
    transposed view of NCHW memory: the padding copy transposes in passing, faster than the loop's
    strided reads)."""
    if not (compiled.enabled() and compiled.supports(x_cl, spatial_dims=len(kernel))):
        return im2col_channels_last(pad_channels_last(x_cl, pads), kernel, stride, dilation, out=out)
    if not x_cl.flags.c_contiguous:
        padded = pad_channels_last(x_cl, pads)
        if not padded.flags.c_contiguous:  # nothing to pad: NumPy copies the windows from the view itself
            return im2col_channels_last(padded, kernel, stride, dilation, out=out)
        x_cl, pads = padded, ((0, 0),) * len(kernel)
    if out is None:
        windows = windows_output_size(tuple(s + b + a for s, (b, a) in zip(x_cl.shape[1:-1], pads)), kernel, stride,
                                      dilation)
        out = workspace(xp(x_cl), "cols", (x_cl.shape[0] * math.prod(windows), math.prod(kernel) * x_cl.shape[-1]),
                        x_cl.dtype)
    return compiled.im2col_channels_last(x_cl, kernel, stride, dilation, pads, out)


def col2im_channels_last(cols, out, kernel: tuple, stride: tuple, dilation: tuple):
    """Add columns (n*P, K*Cx) back into ``out`` (n, *F, Cx) in place (the adjoint of
    ``im2col_channels_last``), one strided add per kernel offset; returns ``out``."""
    d = len(kernel)
    n, channels = out.shape[0], out.shape[-1]
    windows = windows_output_size(out.shape[1:-1], kernel, stride, dilation)
    cols = cols.reshape((n,) + windows + tuple(kernel) + (channels,))          # (n, *O, *K, Cx)
    offsets = list(itertools.product(*(range(k) for k in kernel)))

    def add(start, stop):
        for offset in offsets:
            entries = tuple(offset_slice(k, st, dl, o) for k, dl, o, st in zip(offset, dilation, windows, stride))
            out[(slice(start, stop),) + entries] += cols[(slice(start, stop),) + (slice(None),) * d + offset]  # (n, *O, Cx)
    parallel_for(n, add, cols.nbytes)
    return out
