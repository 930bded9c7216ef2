"""Memory layouts of (N, C, *S) arrays on raw arrays (no autograd), for the kernels that keep a
channels_last input channels_last: an NCHW-shaped view of NHWC memory, as torch's ``channels_last``
memory format holds it (``minigrad.autograd.memory_format`` answers torch's questions about formats).
"""
from __future__ import annotations

from ..backend import xp
from ..threads import parallel_for


def memory_order(x) -> tuple:
    """The axes of x from the slowest-varying in memory to the fastest (NumPy's order='K'): (0, 1, 2, 3)
    for an NCHW array, (0, 2, 3, 1) for a channels_last one (an NCHW-shaped view of NHWC memory).
    Ties (size-1 axes) keep the axis order, so an ambiguous array counts as contiguous, as torch's
    ``suggest_memory_format``."""
    return tuple(sorted(range(x.ndim), key=lambda a: (-abs(x.strides[a]) if x.shape[a] > 1 else 0, a)))


def channels_last_order(ndim: int) -> tuple:
    """``memory_order`` of a channels-last (N, C, *S) array: (0, 2, .., ndim-1, 1)."""
    return (0,) + tuple(range(2, ndim)) + (1,)


def empty_in_order(module, shape: tuple, dtype, order: tuple, zeros: bool = False):
    """An array of ``shape`` laid out in memory in ``order`` (``memory_order``'s tuple): an NCHW-shaped
    view of NHWC memory for a channels_last order, a plain C-ordered array for (0, 1, .., ndim-1)."""
    make = module.zeros if zeros else module.empty
    if order == tuple(range(len(shape))):
        return make(shape, dtype=dtype)
    inverse = [0] * len(order)
    for position, axis in enumerate(order):
        inverse[axis] = position
    return make(tuple(shape[a] for a in order), dtype=dtype).transpose(inverse)


def flat_views(*arrays):
    """1-D views of same-shaped arrays, in memory order, whose positions match: one element of the
    tensor at the same place in each (NCHW views of channels-last memory included). None when an
    array is not one dense block (a strided view) or the arrays' layouts differ (contiguous and
    channels-last)."""
    first = arrays[0]
    if all(a.flags.c_contiguous for a in arrays):
        return [a.reshape(-1) for a in arrays]
    axes = sorted(range(first.ndim), key=lambda d: -abs(first.strides[d]))  # outermost first
    views = [a.transpose(axes) for a in arrays]
    if not all(v.flags.c_contiguous for v in views):
        return None
    return [v.reshape(-1) for v in views]


def copy_into(out, source, axis: int = 0):
    """``out[...] = source`` split over ``axis`` on minigrad's threads (each part copies its own
    slice: a transposing copy of megabytes runs in NumPy on one core otherwise); returns ``out``."""
    if xp(out).__name__ != "numpy":
        out[...] = source
        return out
    lead = (slice(None),) * axis

    def part(start, stop):
        out[lead + (slice(start, stop),)] = source[lead + (slice(start, stop),)]
    parallel_for(out.shape[axis], part, out.nbytes)
    return out


def contiguous(a):
    """``ascontiguousarray(a)``, the copy split over the threads (``copy_into``)."""
    if a.flags.c_contiguous:
        return a
    return copy_into(xp(a).empty(a.shape, dtype=a.dtype), a)
