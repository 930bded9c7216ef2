"""im2col / col2im for any number of spatial dims (1d, 2d and 3d share every line), NumPy or CuPy.

Legend (shape comments below):
    N   batch (n: one chunk of it)          G    groups
    Cx  channels on the input side          Cxg  Cx / G
    S   spatial sizes (S1, .., Sd)          Sp   spatial sizes after padding
    K   kernel sizes (K1, .., Kd); as a factor, their product
    O   output (window) sizes (O1, .., Od); P = prod(O), the number of windows

``im2col`` copies every window of a padded input into a column matrix, laid out so that one GEMM per
group computes a convolution:

    cols[g, (c, k), (n, o)] = x_padded[n, g*Cxg + c, o*stride + k*dilation]      # (G, Cxg*K, n*P)

``col2im`` is its adjoint: it adds each column entry back to the input position it was read from,
with one strided add per kernel offset (a loop over the K offsets; never over the batch or pixels).

Both work on chunks of the batch so that the column buffer stays under a memory budget
(``COLUMN_BUDGET_BYTES``); ``batch_chunks`` gives the chunks. On the CPU the column buffer is kept
and reused between calls (``workspace``): a fresh multi-megabyte array costs a page fault per 4 kB
on its first write, which measured slower than the copy itself for the larger benchmark cases.
"""
from __future__ import annotations

import itertools
import math
import threading

from ..backend import xp
from . import cuda
from .windows import output_size, sliding_windows

COLUMN_BUDGET_BYTES = 256 * 2**20  # largest column buffer built at once; larger batches are chunked

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


def windows_output_size(spatial: tuple, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """O per dim for an already padded input."""
    return tuple(output_size(s, k, st, dl) for s, k, st, dl in zip(spatial, kernel, stride, dilation))


def im2col(x_padded, kernel: tuple, stride: tuple, dilation: tuple, groups: int, slot: str = "cols"):
    """Columns (G, Cxg*K, n*P) of a padded chunk ``x_padded`` (n, Cx, *Sp); a workspace array."""
    if cuda.handles(x_padded):  # CuPy float arrays: one CUDA thread per column entry
        return cuda.im2col.im2col(x_padded, kernel, stride, dilation, groups)
    module = xp(x_padded)
    d = len(kernel)
    n, channels = x_padded.shape[:2]
    windows = sliding_windows(x_padded, kernel, stride, dilation)   # (n, Cx, *O, *K) view
    out = windows.shape[2:2 + d]
    cols = workspace(module, slot, (channels,) + tuple(kernel) + (n,) + out, x_padded.dtype)  # (Cx, *K, n, *O)
    kernel_axes = tuple(range(2 + d, 2 + 2 * d))
    out_axes = tuple(range(2, 2 + d))
    cols[...] = windows.transpose((1,) + kernel_axes + (0,) + out_axes)   # the one copy
    return cols.reshape(groups, channels // groups * math.prod(kernel), n * math.prod(out))


def col2im(cols, out, kernel: tuple, stride: tuple, dilation: tuple, groups: int):
    """Add columns (G, Cxg*K, n*P) back into ``out`` (n, Cx, *Sp) in place; returns ``out``.

    One strided add per kernel offset k: out[:, :, k*dilation + o*stride] += cols[:, k, :, o].
    """
    if cuda.handles(cols):  # CuPy float arrays: gather form, one CUDA thread per entry of out
        return cuda.im2col.col2im(cols, out, kernel, stride, dilation, groups)
    module = xp(cols)
    d = len(kernel)
    n, channels = out.shape[:2]
    windows_out = windows_output_size(out.shape[2:], kernel, stride, dilation)
    cols = cols.reshape((channels,) + tuple(kernel) + (n,) + windows_out)   # (Cx, *K, n, *O)
    swap_batch_channel = (1, 0) + tuple(range(2, 2 + d))
    for offset in itertools.product(*(range(k) for k in kernel)):
        target = out[(slice(None), slice(None)) + tuple(
            slice(k * dl, k * dl + (o - 1) * st + 1, st)
            for k, dl, o, st in zip(offset, dilation, windows_out, stride))]   # (n, Cx, *O) view
        module.add(target, cols[(slice(None),) + offset].transpose(swap_batch_channel), out=target)
    return out
