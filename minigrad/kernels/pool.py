"""Pooling scans on raw arrays (NumPy or CuPy, through ``xp``), one code path for 1, 2 and 3 spatial dims.

Legend: ``minigrad.kernels.geometry``'s: L the leading dims ((N, C) batched, (C,) unbatched), S input
spatial sizes, F the full size the windows cover (the input with its padding, ceil_mode's overhang,
or cut of the unused tail), K kernel sizes, O output sizes, d the number of spatial dims, k a kernel
offset (k1, .., kd) and k# its row-major number in 0 .. prod(K)-1; s a stride, r a stride phase
(0 .. s-1), Q = ceil(F / s) the entries per phase; l a part of L.

Window o reads x[o*stride - padding + k*dilation] along each dim. Every routine walks the prod(K) kernel offsets and
treats each as one strided slice of shape (L, *O): one vectorised array operation per offset, whose
cost is the size of the output, never a Python loop over windows.

- max pooling keeps, per output, the row-major number k# of the winning kernel offset (``argmax``,
  int8 when it fits): the backward scatters through it with one write per offset, and the
  flat indices that torch returns ((h*W + w) into each unpadded plane) are computed from it only when
  asked for.
- average pooling is a box sum, which is separable: it sums along one dim at a time, so a 3x3 window
  costs 2 + 2 additions instead of 8. Its transpose spreads the gradient back the same way.
- adaptive pooling uses per-bin windows (``geometry.adaptive_bins``). When S is a multiple of O along
  every dim the bins are a regular pooling (kernel = stride = S/O) and reuse it.

Speed (issue 14). NumPy's ufuncs are fast on dense arrays and several times slower per element on
views that step through memory (stride-2 inner axes, short runs between jumps). With stride > 1 the
max-pool scan reads its windows from a stride-phase copy (``_phase_split_views``) and its scatter
accumulates into one, so each kernel offset is a dense run. Kernels split the batch over
``threads.parallel_for`` (``_over_leading``), each part writing only its own slice: bit-identical for
any thread count, and each part's scratch within ``im2col.COLUMN_BUDGET_BYTES``.

Layout. Results are allocated in the input's memory order (``memory_order``, ``empty_in_order``): a
channels_last input (an NCHW-shaped view of NHWC memory, torch's ``channels_last``) gives
channels_last results, and the backward kernels take the order of the pooled input, so grad_input
keeps it too, as torch's. Nothing is copied to NCHW and back.
"""
from __future__ import annotations

import itertools
import math

from .. import threads as _threads
from ..backend import xp
from . import cuda
from . import im2col as _im2col
from .geometry import WindowGeometry, adaptive_bins, dilated_kernel_size, offset_slice
from .layout import empty_in_order, memory_order
from .scatter import scatter_add
from .windows import sliding_windows


# Every routine here takes a ``WindowGeometry`` (geometry.py), built with the pooling rule for O:
# WindowGeometry(input_size, kernel, stride, padding, dilation, ceil_mode=False, output_size=None).


def _fill_value(dtype, module, lowest: bool):
    if not lowest:
        return 0
    if dtype.kind == "f":
        return -module.inf
    if dtype.kind == "b":
        return False
    return module.iinfo(dtype).min


# ---- splitting over the batch: threads and the memory budget -----------------------------------

# Scratch of one part of a multi-pass scan (max pooling's prod(K) passes over output-sized arrays are
# memory-bound on the whole batch): parts of this size stay in cache. Measured on (128, 64, 32, 32)
# and (64, 64, 56, 56) 3x3 stride-2 max pooling, forward and backward: 0.5, 1, 2 and 4 MB parts
# 1.5-2x faster than whole-batch passes, 4 MB best (smaller parts pay ~0.1 ms of Python each).
CACHE_BYTES = 4 << 20


def _over_leading(lead: tuple, per_plane: int, touched: int, body, budget: int = None) -> None:
    """``body(index)`` over parts of the leading dims L, ``index`` a tuple of slices into L.

    The parts split the first leading dim (the batch; the channels of an unbatched input) over
    ``threads.parallel_for``'s threads; each part writes only its own slice of the results, and every
    value is computed as on the whole array, so results are bit-identical for any thread count.
    Within a thread, parts are small enough that their scratch (``per_plane`` bytes for each of the
    prod(L) planes: padded copies, masks) stays within ``im2col.COLUMN_BUDGET_BYTES`` for all threads
    together; when one sample alone passes it, its channels are split too.
    """
    if not lead:
        body(())
        return
    count = lead[0]
    plane_bytes = max(1, per_plane) * math.prod(lead[1:])                    # one sample's scratch
    workers = _threads.get_num_threads()
    budget = _im2col.COLUMN_BUDGET_BYTES if budget is None else min(budget, _im2col.COLUMN_BUDGET_BYTES)
    per_thread = max(1, budget // max(1, min(workers, count)))
    step = max(1, per_thread // plane_bytes)
    inner = len(lead) > 1 and plane_bytes > per_thread
    inner_step = max(1, per_thread // max(1, per_plane * math.prod(lead[2:]))) if inner else 0

    def run(start, stop):
        for first in range(start, stop, step):
            rows = slice(first, min(first + step, stop))
            if not inner:
                body((rows,))
                continue
            for channel in range(0, lead[1], inner_step):
                body((rows, slice(channel, min(channel + inner_step, lead[1]))))

    _threads.parallel_for(count, run, touched)


def pad_for_windows(x, geometry: WindowGeometry, value, slot: str = None):
    """(L, *S) -> (L, *F): ``value`` on the left padding and past the right edge, the unused tail cut.
    The copy keeps x's memory order; with ``slot`` it is a reused workspace (``im2col.workspace``)."""
    module = xp(x)
    d = geometry.ndim
    if not geometry.needs_padding():
        crop = (Ellipsis,) + tuple(slice(0, ps) for ps in geometry.full_size)
        return x[crop]
    lead = x.shape[:-d]
    shape = lead + geometry.full_size
    order = memory_order(x)
    if slot is not None and module.__name__ == "numpy" and order == tuple(range(x.ndim)):
        out = _im2col.workspace(module, slot, shape, x.dtype)
    elif slot is not None and module.__name__ == "numpy":
        inverse = [order.index(a) for a in range(x.ndim)]
        out = _im2col.workspace(module, slot, tuple(shape[a] for a in order), x.dtype).transpose(inverse)
    else:
        out = empty_in_order(module, shape, x.dtype, order)
    kept = tuple(min(s, ps - p) for s, ps, p in zip(geometry.input_size, geometry.full_size, geometry.padding))
    # the border only: before the kept block and after it, one dim at a time
    for i, (p, k, f) in enumerate(zip(geometry.padding, kept, geometry.full_size)):
        before = (Ellipsis,) + (slice(None),) * i + (slice(0, p),) + (slice(None),) * (d - 1 - i)
        after = (Ellipsis,) + (slice(None),) * i + (slice(p + k, f),) + (slice(None),) * (d - 1 - i)
        if p > 0:
            out[before] = value
        if p + k < f:
            out[after] = value
    out[(Ellipsis,) + tuple(slice(p, p + k) for p, k in zip(geometry.padding, kept))] = \
        x[(Ellipsis,) + tuple(slice(0, k) for k in kept)]
    return out


def unpad_from_windows(padded, geometry: WindowGeometry):
    """(L, *F) -> (L, *S): the transpose of ``pad_for_windows`` (drop the padding, zeros for a cut tail)."""
    module = xp(padded)
    d = geometry.ndim
    kept = tuple(min(s, ps - p) for s, ps, p in zip(geometry.input_size, geometry.full_size, geometry.padding))
    inner = padded[(Ellipsis,) + tuple(slice(p, p + k) for p, k in zip(geometry.padding, kept))]
    if kept == geometry.input_size:
        return inner
    out = empty_in_order(module, padded.shape[:-d] + geometry.input_size, padded.dtype, memory_order(padded),
                         zeros=True)
    out[(Ellipsis,) + tuple(slice(0, k) for k in kept)] = inner
    return out


def _offset_dtype(module, count: int):
    return module.int8 if count <= 127 else module.int32


def _clip_along(k: int, stride: int, padding: int, dilation: int, windows: int, size: int):
    """Along one dim, for kernel offset k: (the windows o whose entry k lies inside the unpadded input,
    the input positions they read) as two slices, or None when no window's does. The position is
    o*stride - padding + k*dilation, kept when in [0, S)."""
    shift = k * dilation - padding                                   # position of window 0's entry k
    first = (-shift + stride - 1) // stride if shift < 0 else 0     # first o with position >= 0
    last = min(windows - 1, (size - 1 - shift) // stride)           # last o with position < S
    if last < first:
        return None
    return slice(first, last + 1), slice(first * stride + shift, last * stride + shift + 1, stride)


def _clipped_offset(geometry: WindowGeometry, offset):
    """``_clip_along`` for every dim of kernel offset k: (slices of (*O), slices of (*S)), or None."""
    windows, positions = [], []
    for along in zip(offset, geometry.stride, geometry.padding, geometry.dilation, geometry.output_size,
                     geometry.input_size):
        clipped = _clip_along(*along)
        if clipped is None:
            return None
        windows.append(clipped[0])
        positions.append(clipped[1])
    return tuple(windows), tuple(positions)


# ---- stride phases: contiguous windows along the last dim -----------------------------------

def _phase_split_pays(x, geometry: WindowGeometry) -> bool:
    """Read the windows from a stride-phase copy (``_phase_split_views``)? When windows step with
    stride > 1 along some dim: NumPy's ufuncs run several times slower per element over views that
    step through memory (stride-2 inner axes, or short runs between jumps) than over dense arrays
    (measured: ``maximum`` of two (128, 64, 16, 16) float32 arrays, 6 ms from stride-2 views, 0.2-0.7
    ms dense), so one copy into phases beats prod(K) strided passes."""
    return any(s > 1 for s in geometry.stride)


def _phase_split_views(x, geometry: WindowGeometry, value, slot: str = None, wide: bool = False):
    """Per kernel offset k (row-major), the (l, *O) view of x's padded windows, read from a copy split
    into stride phases along every spatial dim: buffer (s1, .., sd, *x's dims in memory order with
    each Si replaced by Qi = ceil(Fi / si)), whose entry [r1, .., rd][.., q1, .., qd, ..] holds padded
    position (q1*s1 + r1, ..) (``value`` outside the input). Offset k reads phase (k*dilation) % s
    from q = (k*dilation) // s on along each dim: dense runs, and with Q = O (windows that tile the
    input) one dense block per plane. The views keep x's memory order (channels_last stays so).

    (Measured: phases inside each plane, (l, F1.., s, Q), read 3-4x slower than phases outermost.)

    With ``wide``, returns (views, wide views, unwide) instead: each wide view is one dense run per
    outer index (the dims before the first spatial one in memory: (N, C) for NCHW, N for NHWC) that
    covers offset k's whole window block, rows of Q instead of O entries (the extra entries are
    junk); a scan over wide views runs at dense speed, and ``unwide(scratch)`` is the (l, *O) view of
    the valid entries of a result computed so. One extra row of Q along the first spatial dim keeps
    the last offset's run inside the buffer."""
    module = xp(x)
    d = geometry.ndim
    ndim = x.ndim
    order = memory_order(x)
    inverse = [order.index(a) for a in range(ndim)]
    spatial = [inverse[ndim - d + i] for i in range(d)]                  # spatial axes in memory order
    phases = tuple(-(-f // s) for f, s in zip(geometry.full_size, geometry.stride))        # Q per dim
    dense_shape = [x.shape[a] for a in order]
    for i in range(d):
        dense_shape[spatial[i]] = phases[i]
    first_axis = min(spatial)                                            # outer dims: before it
    if wide:
        dense_shape[first_axis] += 1                                     # the slack row
    shape = tuple(geometry.stride) + tuple(dense_shape)                  # (s1.., sd, dims in memory order)
    if slot is not None and module.__name__ == "numpy":
        buffer = _im2col.workspace(module, slot, shape, x.dtype)
    else:
        buffer = module.empty(shape, dtype=x.dtype)
    source = x.transpose(order)                                          # x in memory order
    for phase in itertools.product(*(range(s) for s in geometry.stride)):
        target = buffer[phase]
        inside, reads = [slice(None)] * ndim, [slice(None)] * ndim
        for i, (r, s, p, size, q_count) in enumerate(zip(phase, geometry.stride, geometry.padding,
                                                           geometry.input_size, phases)):
            # phase r holds input positions q*s + r - p: inside the input for q in [first, last)
            first = min(q_count, max(0, -(-(p - r) // s)))
            last = max(first, min(q_count, (size - 1 + p - r) // s + 1))
            axis = spatial[i]
            before = [slice(None)] * ndim
            before[axis] = slice(0, first)
            after = [slice(None)] * ndim
            after[axis] = slice(last, dense_shape[axis])                 # with the slack row, if any
            if first > 0:
                target[tuple(before)] = value
            if last < dense_shape[axis]:
                target[tuple(after)] = value
            start = first * s + r - p
            inside[axis] = slice(first, last)
            reads[axis] = slice(start, start + (last - first - 1) * s + 1, s) if last > first else slice(0, 0)
        target[tuple(inside)] = source[tuple(reads)]
    views = []
    for offset in geometry.offsets():
        shifts = [k * dl for k, dl in zip(offset, geometry.dilation)]
        index = [slice(None)] * ndim
        for i, (shift, s, o) in enumerate(zip(shifts, geometry.stride, geometry.output_size)):
            index[spatial[i]] = slice(shift // s, shift // s + o)
        phase = tuple(shift % s for shift, s in zip(shifts, geometry.stride))
        views.append(buffer[phase][tuple(index)].transpose(inverse))    # (l, *O) in x's layout
    if not wide:
        return views
    outer = tuple(dense_shape[:first_axis])
    inner = dense_shape[first_axis:]
    inner_strides = [math.prod(inner[j + 1:]) for j in range(len(inner))]   # in elements
    run = geometry.output_size[spatial.index(first_axis)] * inner_strides[0]   # O rows of the first dim
    wide_views = []
    for offset in geometry.offsets():
        shifts = [k * dl for k, dl in zip(offset, geometry.dilation)]
        start = sum((shift // s) * inner_strides[spatial[i] - first_axis]
                    for i, (shift, s) in enumerate(zip(shifts, geometry.stride)))
        phase = tuple(shift % s for shift, s in zip(shifts, geometry.stride))
        wide_views.append(buffer[phase].reshape(outer + (-1,))[..., start:start + run])   # (outer, run)

    def unwide(scratch):
        """(outer, run) -> the (l, *O) view of its valid entries."""
        blocks = scratch.reshape(outer + (geometry.output_size[spatial.index(first_axis)],) + tuple(inner[1:]))
        index = [slice(None)] * ndim
        for i in range(d):
            index[spatial[i]] = slice(0, geometry.output_size[i])
        return blocks[tuple(index)].transpose(inverse)

    return views, wide_views, unwide


# ---- max pooling ------------------------------------------------------------------------------

def max_pool_forward(x, geometry: WindowGeometry):
    """Max over each window of x (L, *S): returns (values (L, *O), argmax (L, *O)), argmax being the
    row-major number k# of the winning kernel offset. Ties pick the first maximum, a NaN wins (the last
    NaN, as PyTorch's ``val > maxval || isnan(val)`` scan), padding never wins. Both results are laid
    out in memory as x (a channels_last input gives channels_last results)."""
    if cuda.handles(x):  # CuPy float arrays: a CUDA kernel
        return cuda.pool.max_pool_forward(x, geometry)
    module = xp(x)
    d = geometry.ndim
    lead = x.shape[:-d]
    order = memory_order(x)
    count = geometry.kernel_numel
    values = empty_in_order(module, lead + geometry.output_size, x.dtype, order)          # (L, *O)
    argmax = empty_in_order(module, values.shape, _offset_dtype(module, count), order)   # (L, *O)
    copied = geometry.needs_padding() or _phase_split_pays(x, geometry)     # a padded or phase copy
    per_plane = (math.prod(geometry.full_size) if copied else 0) * x.itemsize \
        + (2 * x.itemsize + 4) * math.prod(geometry.output_size)              # scan scratch, masks
    if values.size == 0:
        return values, argmax

    def part(index):
        _max_pool_part(x[index], geometry, values[index], argmax[index])

    # parts small enough for the scan's prod(K) passes to run in cache (CACHE_BYTES)
    _over_leading(lead, per_plane, x.nbytes + values.nbytes, part, CACHE_BYTES * _threads.get_num_threads())
    return values, argmax


def _max_pool_part(x, geometry: WindowGeometry, values, argmax):
    """``max_pool_forward`` of one part of the planes, written into ``values`` and ``argmax``.

    One pass per kernel offset in row-major order, as torch's scan: where the entry is greater than
    the running maximum (strictly: ties keep the first), the maximum and its offset number move
    there. ``maximum`` keeps NaN (a NaN window's value), whose offset a last pass sets (the last NaN).
    """
    module = xp(x)
    fill = _fill_value(x.dtype, module, lowest=True)
    if _phase_split_pays(x, geometry):
        # the scan runs over wide views (dense runs) into scratch, then keeps the valid entries
        views, scanned, unwide = _phase_split_views(x, geometry, fill, slot="pool_padded", wide=True)
        best = module.empty(scanned[0].shape, dtype=values.dtype)                 # (outer, run)
        winner = module.empty(scanned[0].shape, dtype=argmax.dtype)
    else:
        padded = pad_for_windows(x, geometry, fill, slot="pool_padded")      # (l, *F)
        windows = sliding_windows(padded, geometry.kernel, geometry.stride, geometry.dilation)  # (l, *O, *K)
        views = scanned = [windows[(Ellipsis,) + k] for k in geometry.offsets()]   # prod(K) x (l, *O)
        best, winner, unwide = values, argmax, None
    module.copyto(best, scanned[0])
    winner.fill(0)
    _scan_max(module, scanned, best, winner)
    if unwide is not None:
        module.copyto(values, unwide(best))
        module.copyto(argmax, unwide(winner))
    if geometry.needs_padding() and bool((values == fill).any()):
        # a window whose real entries all equal the fill (-inf) may have its winner in the padding:
        # pick the first one inside the input
        valid = pad_for_windows(module.ones(geometry.input_size, dtype=bool), geometry, False)
        valid_windows = sliding_windows(valid, geometry.kernel, geometry.stride, geometry.dilation)
        argmax.fill(len(views) - 1)
        _first_equal(module, views, values, argmax, [valid_windows[(Ellipsis,) + k] for k in geometry.offsets()])
    if values.dtype.kind == "f" and bool(module.isnan(values).any()):
        for number, view in enumerate(views):
            module.copyto(argmax, number, where=module.isnan(view))


def _scan_max(module, candidates, best, winner):
    """torch's scan over ``candidates`` (best holding candidates[0] and winner 0 on entry, scratch in
    best's memory order): where a candidate is strictly greater than the running maximum (ties keep
    the first), ``maximum`` moves best there and winner to the candidate's number k. ``maximum`` keeps
    NaN; the callers set a NaN's winner afterwards."""
    if len(candidates) < 2:
        return
    greater, step = module.empty_like(best, dtype=bool), module.empty_like(winner)
    for number, candidate in enumerate(candidates[1:], start=1):
        module.greater(candidate, best, out=greater)
        module.maximum(best, candidate, out=best)
        # winner += (k - winner) * greater: int8 arithmetic, several times faster than a masked copy
        module.subtract(winner.dtype.type(number), winner, out=step)
        step *= greater
        winner += step


def _first_equal(module, views, values, argmax, valid):
    """argmax <- the first k# whose view equals ``values`` (argmax holds prod(K)-1 on entry).

    Scanning from the last offset to the first, ``argmax -= (argmax - k#) * equal`` moves argmax to k#
    wherever the entry equals the maximum; the last move is the first offset. Integer arithmetic on
    int8 is several times faster than ``where``.
    """
    for number in range(len(views) - 2, -1, -1):
        equal = views[number] == values
        if valid is not None:
            equal &= valid[number]
        step = argmax - argmax.dtype.type(number)
        step *= equal
        argmax -= step


def max_pool_indices(argmax, geometry: WindowGeometry):
    """Flat indices into each unpadded plane, PyTorch's convention: d*H*W + h*W + w (int64, (L, *O))."""
    module = xp(argmax)
    d = geometry.ndim
    flat = module.zeros(argmax.shape, dtype=module.int64)
    offset_number = argmax.astype(module.int64)
    plane_stride = 1
    for i in reversed(range(d)):
        k_i = offset_number % geometry.kernel[i]
        offset_number //= geometry.kernel[i]
        # position along dim i: o*s - p + k*dil, the window start broadcast along the other dims
        start = module.arange(geometry.output_size[i], dtype=module.int64) * geometry.stride[i] - geometry.padding[i]
        start = start.reshape((-1,) + (1,) * (d - 1 - i))
        flat += (k_i * geometry.dilation[i] + start) * plane_stride
        plane_stride *= geometry.input_size[i]
    return flat


def max_pool_scatter(grad, argmax, geometry: WindowGeometry, order=None):
    """The gradient of max pooling: grad (L, *O) sent to each window's winner -> (L, *S), summed where
    windows overlap. One strided write (or add) per kernel offset, straight into the unpadded result
    (padding never wins); no ``add.at``. The result is laid out in memory in ``order``
    (``memory_order``'s tuple; the input's, so that grad_input keeps a channels_last layout), by
    default grad's."""
    if cuda.handles(grad):  # CuPy float arrays: a CUDA kernel
        return cuda.pool.max_pool_scatter(grad, argmax, geometry)
    module = xp(grad)
    d = geometry.ndim
    lead = grad.shape[:-d]
    order = memory_order(grad) if order is None else tuple(order)
    finite = bool(module.isfinite(grad).all()) if grad.dtype.kind == "f" else True
    # Offsets whose targets are disjoint are written directly into the zeros first: all of them when
    # windows do not overlap, else (without dilation) those with k < s along every dim, which tile
    # the input. The others, where windows overlap, are added afterwards.
    offsets = list(enumerate(geometry.offsets()))
    if not geometry.overlapping():
        tiling, rest = offsets, []
    elif all(dl == 1 for dl in geometry.dilation):
        tiling = [(n, o) for n, o in offsets if all(k < s for k, s in zip(o, geometry.stride))]
        rest = [(n, o) for n, o in offsets if not all(k < s for k, s in zip(o, geometry.stride))]
    else:
        tiling, rest = [], offsets
    # every input position is written when the windows tile the input exactly (kernel = stride, no
    # padding, no cut tail): no zeros needed then
    covered = (not geometry.overlapping() and geometry.kernel == geometry.stride and not geometry.needs_padding()
               and geometry.full_size == geometry.input_size)
    # With stride > 1 the targets are accumulated in stride phases (the transpose of
    # _phase_split_views: dense runs instead of strided ones), then copied out once per phase.
    phased = _phase_split_pays(grad, geometry)
    out = empty_in_order(module, lead + geometry.input_size, grad.dtype, order,
                         zeros=not (covered or phased))                                      # (L, *S)
    if out.size == 0 or grad.size == 0:
        return out
    ndim = grad.ndim
    inverse = [order.index(a) for a in range(ndim)]
    spatial = [inverse[ndim - d + i] for i in range(d)]                  # spatial axes in memory order
    phases = tuple(-(-s // st) for s, st in zip(geometry.input_size, geometry.stride))      # Q per dim

    def target_index(positions):
        """Where kernel offset k's clipped input positions lie: in the result, or in the phases."""
        if not phased:
            return (Ellipsis,) + positions
        phase = tuple(p.start % st for p, st in zip(positions, geometry.stride))
        index = [slice(None)] * ndim
        for i, (p, st) in enumerate(zip(positions, geometry.stride)):
            index[spatial[i]] = slice(p.start // st, p.start // st + len(range(p.start, p.stop, p.step)))
        return phase, tuple(index)

    groups = []
    for add, group in ((False, tiling), (True, rest)):
        members = []
        for number, offset in group:
            clipped = _clipped_offset(geometry, offset)
            members.append((number, None if clipped is None else (clipped[0], target_index(clipped[1]))))
        groups.append((add, members))
    per_plane = (2 + grad.itemsize) * math.prod(geometry.output_size) \
        + (grad.itemsize * math.prod(q * st for q, st in zip(phases, geometry.stride)) if phased else 0)

    def part(index):
        g, a = grad[index], argmax[index]
        if phased:  # (s1.., sd, l.., Q1.., Qd in memory order): phase r holds positions q*s + r
            planes = out[index]
            dense_shape = [planes.shape[ax] for ax in order]
            for i in range(d):
                dense_shape[spatial[i]] = phases[i]
            accumulated = _im2col.workspace(module, "pool_scatter", tuple(geometry.stride) + tuple(dense_shape),
                                            g.dtype)
            if not covered:
                accumulated.fill(0)
        else:
            target_planes = out[index]
        scratch = module.empty(g.size, dtype=g.dtype) if rest else None
        for add, group in groups:
            for number, clipped in group:
                if clipped is None:
                    continue
                windows, where = clipped
                source = (Ellipsis,) + windows
                if phased:
                    target = accumulated[where[0]][where[1]].transpose(inverse)   # (l, *o), dense runs
                else:
                    target = target_planes[where]                            # (l, *o), a strided view
                g_k = g[source]
                chosen = a[source] == a.dtype.type(number)
                if not finite:  # inf * 0 would be NaN where this offset did not win
                    picked = module.where(chosen, g_k, 0)
                    if add:
                        target += picked
                    else:
                        target[...] = picked
                elif add:
                    # a dense product (a view of the clipped windows' shape would add short rows)
                    partial = _dense(scratch, g_k.shape, memory_order(chosen))
                    module.multiply(g_k, chosen, out=partial)
                    target += partial
                else:
                    module.multiply(g_k, chosen, out=target)
        if phased:
            result = planes.transpose(order)                                 # memory order
            for phase in itertools.product(*(range(st) for st in geometry.stride)):
                write, read = [slice(None)] * ndim, [slice(None)] * ndim
                for i, (r, st, size) in enumerate(zip(phase, geometry.stride, geometry.input_size)):
                    write[spatial[i]] = slice(r, size, st)
                    read[spatial[i]] = slice(0, len(range(r, size, st)))
                result[tuple(write)] = accumulated[phase][tuple(read)]

    # parts small enough for the prod(K) passes to run in cache
    _over_leading(lead, per_plane, grad.nbytes + out.nbytes, part, CACHE_BYTES * _threads.get_num_threads())
    return out


def _dense(buffer, shape: tuple, order: tuple):
    """A dense array of ``shape`` in the first entries of the flat ``buffer``, laid out in ``order``."""
    inverse = [0] * len(order)
    for position, axis in enumerate(order):
        inverse[axis] = position
    return buffer[:math.prod(shape)].reshape(tuple(shape[a] for a in order)).transpose(inverse)


def max_pool_gather(x, argmax, geometry: WindowGeometry):
    """The transpose of ``max_pool_scatter``: x (L, *S) read at each window's winner -> (L, *O)."""
    if cuda.handles(x):  # CuPy float arrays: a CUDA kernel
        return cuda.pool.max_pool_gather(x, argmax, geometry)
    module = xp(x)
    d = geometry.ndim
    out = empty_in_order(module, argmax.shape, x.dtype, memory_order(argmax), zeros=True)
    per_plane = math.prod(geometry.full_size) * x.itemsize

    def part(index):
        padded = pad_for_windows(x[index], geometry, 0)
        windows = sliding_windows(padded, geometry.kernel, geometry.stride, geometry.dilation)
        a, o = argmax[index], out[index]
        for number, offset in enumerate(geometry.offsets()):
            module.copyto(o, windows[(Ellipsis,) + offset], where=a == a.dtype.type(number))

    if out.size:
        _over_leading(x.shape[:-d], per_plane, x.nbytes + out.nbytes, part)
    return out


# ---- average pooling --------------------------------------------------------------------------

def _window_counts(geometry: WindowGeometry, count_include_pad: bool):
    """Per dim, the divisor factor of each window (PyTorch's avg_pool kernels): with count_include_pad
    the window clipped to the padded input [-p, S+p) (ceil_mode's overhang past the padding is never
    counted), else clipped to the input [0, S). The divisor of a window is the product over dims."""
    counts = []
    for o_count, k, s, p, size in zip(geometry.output_size, geometry.kernel, geometry.stride,
                                      geometry.padding, geometry.input_size):
        per_window = []
        for o in range(o_count):
            start = o * s - p
            end = min(start + k, size + p)
            if not count_include_pad:
                start, end = max(start, 0), min(end, size)
            per_window.append(end - start)
        counts.append(per_window)
    return counts


def avg_pool_divisor(geometry: WindowGeometry, count_include_pad: bool, divisor_override, module, dtype):
    """The divisor of each window: a Python number when it is the same for all, else an (*O) array."""
    if divisor_override is not None:
        return divisor_override
    counts = _window_counts(geometry, count_include_pad)
    if all(len(set(c)) == 1 for c in counts):
        return math.prod(c[0] for c in counts)
    d = geometry.ndim
    divisor = module.ones(geometry.output_size, dtype=dtype)
    for i, c in enumerate(counts):
        divisor = divisor * module.asarray(c, dtype=dtype).reshape((-1,) + (1,) * (d - 1 - i))
    return divisor


def _sum_windows_along(x, axis: int, kernel: int, stride: int, dilation: int, out_size: int, out=None):
    """Sum of the ``kernel`` window entries along one axis: (.., F, ..) -> (.., O, ..), into ``out``
    when given. Results keep x's memory order."""
    module = xp(x)
    def pick(k):
        return x[(slice(None),) * axis + (offset_slice(k, stride, dilation, out_size),)]
    if kernel == stride and dilation == 1 and kernel > 8 and axis < x.ndim - 1:
        # non-overlapping long windows: a reshape and one reduction over a middle axis
        shape = x.shape[:axis] + (out_size, kernel) + x.shape[axis + 1:]
        total = x[(slice(None),) * axis + (slice(0, out_size * kernel),)].reshape(shape).sum(axis=axis + 1)
        if out is None:
            return total
        out[...] = total
        return out
    if out is None:
        out = module.array(pick(0), copy=True)                       # keeps x's memory order
    else:
        module.copyto(out, pick(0))
    for k in range(1, kernel):
        out += pick(k)
    return out


def avg_pool_forward(x, geometry: WindowGeometry, count_include_pad: bool = True, divisor_override=None):
    """Mean over each window of x (L, *S) -> (L, *O), with PyTorch's divisor rules. The box sum is
    separable: summed along one spatial dim at a time. The result is laid out in memory as x."""
    if cuda.handles(x):  # CuPy float arrays: a CUDA kernel
        return cuda.pool.avg_pool_forward(x, geometry, count_include_pad, divisor_override)
    module = xp(x)
    d = geometry.ndim
    lead = x.shape[:-d]
    out = empty_in_order(module, lead + geometry.output_size, x.dtype, memory_order(x))    # (L, *O)
    if out.size == 0:
        return out
    divisor = avg_pool_divisor(geometry, count_include_pad, divisor_override, module, x.dtype)
    # scratch per plane: the padded copy and the partial sums (F1 x .. then O1 x F2 x ..)
    per_plane = 3 * math.prod(geometry.full_size) * x.itemsize

    def part(index):
        total = pad_for_windows(x[index], geometry, 0, slot="pool_padded")   # (l, *F)
        target = out[index]
        first = total.ndim - d
        for i in range(d):                                           # (l, O1.., Oi, F(i+1)..)
            total = _sum_windows_along(total, first + i, geometry.kernel[i], geometry.stride[i],
                                       geometry.dilation[i], geometry.output_size[i],
                                       out=target if i == d - 1 else None)
        if isinstance(divisor, (int, float)):
            target /= target.dtype.type(divisor)
        else:
            target /= divisor

    _over_leading(lead, per_plane, x.nbytes + out.nbytes, part, CACHE_BYTES * _threads.get_num_threads())
    return out


def _spread_windows_along(grad, axis: int, kernel: int, stride: int, dilation: int, full: int):
    """Transpose of ``_sum_windows_along``: (.., O, ..) -> (.., F, ..), each output copied to its window.
    The result keeps grad's memory order."""
    module = xp(grad)
    out_size = grad.shape[axis]
    shape = grad.shape[:axis] + (full,) + grad.shape[axis + 1:]
    tiling = kernel == stride and dilation == 1                     # windows tile the axis exactly
    out = empty_in_order(module, shape, grad.dtype, memory_order(grad), zeros=not tiling)
    overlapping = stride < dilated_kernel_size(kernel, dilation)
    for k in range(kernel):
        target = out[(slice(None),) * axis + (offset_slice(k, stride, dilation, out_size),)]
        if overlapping:
            target += grad
        else:
            target[...] = grad
    return out


def avg_pool_transpose(grad, geometry: WindowGeometry, count_include_pad: bool = True, divisor_override=None,
                       order=None):
    """The gradient of average pooling (its transpose): grad (L, *O) -> (L, *S), laid out in memory
    in ``order`` (``memory_order``'s tuple, the input's), by default grad's.

    Spread along the last dims into a scratch (l, O1, F2, ..), then along the first dim straight into
    the result, each kernel offset's rows clipped to the input (padding dropped, never copied)."""
    if cuda.handles(grad):  # CuPy float arrays: a CUDA kernel
        return cuda.pool.avg_pool_transpose(grad, geometry, count_include_pad, divisor_override)
    module = xp(grad)
    d = geometry.ndim
    lead = grad.shape[:-d]
    order = memory_order(grad) if order is None else tuple(order)
    covered = (not geometry.overlapping() and geometry.kernel == geometry.stride and not geometry.needs_padding()
               and geometry.full_size == geometry.input_size)
    out = empty_in_order(module, lead + geometry.input_size, grad.dtype, order, zeros=not covered)   # (L, *S)
    if out.size == 0 or grad.size == 0:
        return out
    divisor = avg_pool_divisor(geometry, count_include_pad, divisor_override, module, grad.dtype)
    divisor = grad.dtype.type(divisor) if isinstance(divisor, (int, float)) else divisor
    kept = tuple(min(s, f - p) for s, f, p in zip(geometry.input_size, geometry.full_size, geometry.padding))
    inner = tuple(slice(p, p + k) for p, k in zip(geometry.padding[1:], kept[1:]))   # dims 2.. inside the input
    kept_inner = tuple(slice(0, k) for k in kept[1:])
    overlapping = geometry.stride[0] < dilated_kernel_size(geometry.kernel[0], geometry.dilation[0])
    per_plane = 3 * math.prod(geometry.full_size) * grad.itemsize

    def part(index):
        spread = grad[index] / divisor                               # (l, *O)
        first = spread.ndim - d
        for i in reversed(range(1, d)):                              # (l, O1, .., Oi-1, Fi, ..)
            spread = _spread_windows_along(spread, first + i, geometry.kernel[i], geometry.stride[i],
                                           geometry.dilation[i], geometry.full_size[i])
        target_planes = out[index]
        for k in range(geometry.kernel[0]):
            clipped = _clip_along(k, geometry.stride[0], geometry.padding[0], geometry.dilation[0],
                                  geometry.output_size[0], geometry.input_size[0])
            if clipped is None:
                continue
            windows, positions = clipped
            source = spread[(Ellipsis, windows) + inner]
            target = target_planes[(Ellipsis, positions) + kept_inner]
            if overlapping:
                target += source
            else:
                target[...] = source

    _over_leading(lead, per_plane, grad.nbytes + out.nbytes, part, CACHE_BYTES * _threads.get_num_threads())
    return out


# ---- adaptive pooling -------------------------------------------------------------------------

def adaptive_as_regular(input_size, output_size):
    """The regular pooling geometry equal to these bins when every S is a multiple of its O, else None."""
    if all(o > 0 and s % o == 0 for s, o in zip(input_size, output_size)):
        kernel = tuple(s // o for s, o in zip(input_size, output_size))
        return WindowGeometry(input_size, kernel, kernel, (0,) * len(kernel), (1,) * len(kernel),
                            output_size=output_size)
    return None


def _bin_matrix(module, in_size: int, out_size: int, dtype):
    """(Out, In): row i is 1/len on bin i, so ``matrix @ v`` averages v over each bin."""
    starts, ends = adaptive_bins(in_size, out_size)
    matrix = [[0.0] * in_size for _ in range(out_size)]
    for i, (a, b) in enumerate(zip(starts, ends)):
        for j in range(a, b):
            matrix[i][j] = 1.0 / (b - a)
    return module.asarray(matrix, dtype=dtype)


def _apply_along(x, axis: int, matrix):
    """Contract axis ``axis`` of x with matrix (A, B): (.., B, ..) -> (.., A, ..), one GEMM."""
    module = xp(x)
    moved = module.moveaxis(x, axis, -1)                             # (.., B)
    out = moved.reshape(-1, moved.shape[-1]) @ matrix.T              # (M, A) = (M, B) @ (B, A)
    return module.moveaxis(out.reshape(moved.shape[:-1] + (matrix.shape[0],)), -1, axis)


def _along_in_memory_order(x, d: int, matrices, order=None):
    """``_apply_along`` over the last d axes of x with one matrix per spatial dim, computed on the
    view of x in memory ``order`` (by default x's own: a channels_last array contracts its H and W
    axes in place, with no transposing copy); the result is laid out in that order."""
    module = xp(x)
    order = memory_order(x) if order is None else tuple(order)
    inverse = [order.index(a) for a in range(x.ndim)]
    out = x.transpose(order)                                         # dense in memory
    for i, matrix in enumerate(matrices):
        out = _apply_along(out, inverse[x.ndim - d + i], matrix)
    return module.ascontiguousarray(out).transpose(inverse)


def adaptive_avg_pool_forward(x, output_size):
    """Mean over each adaptive bin of x (L, *S) -> (L, *O), laid out in memory as x."""
    module = xp(x)
    d = len(output_size)
    input_size = x.shape[-d:]
    if 0 in output_size or x.size == 0:
        return module.zeros(x.shape[:-d] + tuple(output_size), dtype=x.dtype)
    if all(o == 1 for o in output_size):  # global average: one row sum per plane
        if memory_order(x) == tuple(range(x.ndim)):
            planes = x.reshape(-1, math.prod(input_size))                         # (prod L, prod S)
            total = module.einsum("ps->p", planes)                                # (prod L,)
        else:  # e.g. channels_last: sum the spatial axes where they lie, no copy
            total = module.einsum(x, list(range(x.ndim)), list(range(x.ndim - d)))   # (L)
        total /= total.dtype.type(math.prod(input_size))
        return total.reshape(x.shape[:-d] + (1,) * d)
    regular = adaptive_as_regular(input_size, output_size)
    if regular is not None:
        return avg_pool_forward(x, regular)
    # separable: average along one dim at a time
    return _along_in_memory_order(x, d, [_bin_matrix(module, input_size[i], output_size[i], x.dtype)
                                         for i in range(d)])


def adaptive_avg_pool_transpose(grad, input_size, order=None):
    """The gradient of adaptive average pooling: grad (L, *O) -> (L, *S), laid out in memory in
    ``order`` (``memory_order``'s tuple, the input's), by default grad's."""
    module = xp(grad)
    d = len(input_size)
    output_size = grad.shape[-d:]
    order = memory_order(grad) if order is None else tuple(order)
    if grad.size == 0:
        return empty_in_order(module, grad.shape[:-d] + tuple(input_size), grad.dtype, order, zeros=True)
    if all(o == 1 for o in output_size):  # global average: every input gets grad / |plane|
        spread = grad * grad.dtype.type(1.0 / math.prod(input_size))
        lead, plane = grad.shape[:-d], math.prod(input_size)
        # ``repeat`` measured 1.8x faster than a broadcasting assignment (whose inner loop is a plane)
        if order == tuple(range(grad.ndim)):
            return module.repeat(spread.reshape(-1, 1), plane, axis=1).reshape(lead + tuple(input_size))
        if len(lead) == 2 and order == (0,) + tuple(range(2, 2 + d)) + (1,):   # channels_last
            dense = module.repeat(spread.reshape(lead[0], 1, lead[1]), plane, axis=1)   # (N, prod S, C)
            return dense.reshape((lead[0],) + tuple(input_size) + (lead[1],)).transpose(
                (0, d + 1) + tuple(range(1, d + 1)))
        out = empty_in_order(module, lead + tuple(input_size), grad.dtype, order)
        out[...] = spread
        return out
    regular = adaptive_as_regular(input_size, output_size)
    if regular is not None:
        return avg_pool_transpose(grad, regular, order=order)
    return _along_in_memory_order(grad, d, [_bin_matrix(module, input_size[i], output_size[i], grad.dtype).T
                                            for i in range(d)], order)


def _bin_gather(module, size_in: int, size_out: int):
    """Per k < Kmax, the input position read by bin i (the bin's last position when k runs past it)."""
    starts, ends = adaptive_bins(size_in, size_out)
    longest = max(b - a for a, b in zip(starts, ends))
    return [module.asarray([min(a + k, b - 1) for a, b in zip(starts, ends)], dtype=module.int64)
            for k in range(longest)]


def adaptive_max_pool_forward(x, output_size):
    """Max over each adaptive bin of x (L, *S): returns (values (L, *O), flat indices (L, *O) int64),
    laid out in memory as x.

    Max is separable: reduce the last dim first, then the one before it, carrying along the winning
    bin entry k of each later dim (the earlier dim's scan keeps the first maximum among the later
    dims' row winners: row-major first, as torch's ``val > maxval || isnan(val)`` scan). A bin's
    positions past its end repeat its last one, which neither changes the maximum nor (ties keep the
    first, NaN keeps the last, clipped) the chosen position. The work array is (B, *S, P), the spatial
    dims in front of the planes, so that gathering the k-th entry of every bin copies contiguous runs
    of P instead of single elements: a channels_last input is already (N, *S, C) in memory (a view,
    no copy); any other is copied to (1, *S, prod L).

    (Measured, issue 14: reading the k-th entries of runs of equally spaced bins as strided views, no
    gather, made the scan 3-4x slower: NumPy's ufuncs over such views of a 1 MB part ran at a quarter
    of their dense speed, more than a gathered copy costs.)
    """
    module = xp(x)
    d = len(output_size)
    input_size = tuple(x.shape[-d:])
    lead = x.shape[:-d]
    if 0 in output_size or x.size == 0:
        shape = lead + tuple(output_size)
        return module.zeros(shape, dtype=x.dtype), module.zeros(shape, dtype=module.int64)
    regular = adaptive_as_regular(input_size, output_size)
    if regular is not None:
        values, argmax = max_pool_forward(x, regular)
        return values, max_pool_indices(argmax, regular)
    order = memory_order(x)
    values = empty_in_order(module, lead + tuple(output_size), x.dtype, order)                # (L, *O)
    flat = empty_in_order(module, values.shape, module.int64, order)
    per_plane = 3 * math.prod(input_size) * x.itemsize                 # the work copy and the candidates
    picks = [_bin_gather(module, input_size[i], output_size[i]) for i in range(d)]   # per dim, Kmax x (Oi,)
    last = []                                                            # per dim, each bin's last k
    for i in range(d):
        starts, ends = adaptive_bins(input_size[i], output_size[i])
        last.append(module.asarray([b - a - 1 for a, b in zip(starts, ends)], dtype=module.int64))
    # flat index of each bin's first position: sum over dims of start * (the plane stride of the dim)
    base = module.zeros((1,) * d, dtype=module.int64)
    plane_stride = 1
    for i in reversed(range(d)):
        starts, _ = adaptive_bins(input_size[i], output_size[i])
        base = base + module.asarray(starts, dtype=module.int64).reshape((-1,) + (1,) * (d - 1 - i)) * plane_stride
        plane_stride *= input_size[i]

    def part(index):
        _adaptive_max_part(x[index], tuple(output_size), picks, last, base, values[index], flat[index])

    _over_leading(lead, per_plane, x.nbytes + values.nbytes + flat.nbytes, part,
                  CACHE_BYTES * _threads.get_num_threads())
    return values, flat


def _adaptive_max_part(x, output_size, picks, last, base, values_out, flat_out):
    """``adaptive_max_pool_forward`` of one part of the planes (no empty or regular case), written into
    ``values_out`` and ``flat_out``; per dim ``picks`` the ``_bin_gather`` positions and ``last`` each
    bin's last k, ``base`` the flat index of each bin's first position (*O)."""
    module = xp(x)
    d = len(output_size)
    input_size = tuple(x.shape[-d:])
    lead = x.shape[:-d]
    channels_last = len(lead) == 2 and memory_order(x) == (0,) + tuple(range(2, 2 + d)) + (1,)
    if channels_last:
        values = x.transpose((0,) + tuple(range(2, 2 + d)) + (1,))                         # (N, *S, C)
    else:
        planes = math.prod(lead)
        values = module.ascontiguousarray(module.moveaxis(x.reshape((planes,) + input_size), 0, -1))[None]
    winners = {}                            # dim -> the winning bin entry k along it, (B, *O so far, P)
    for i in reversed(range(d)):
        axis = 1 + i
        candidates = [module.take(values, p, axis=axis) for p in picks[i]]    # Kmax x (B, .., Oi, .., P)
        # torch's scan: strictly greater moves the winner (ties keep the first), as max_pool_forward
        best = candidates[0]
        winner = module.zeros(best.shape, dtype=_offset_dtype(module, len(candidates)))
        _scan_max(module, candidates, best, winner)
        if best.dtype.kind == "f" and bool(module.isnan(best).any()):
            for number, c in enumerate(candidates):
                module.copyto(winner, number, where=module.isnan(c))
            # a NaN repeated past its bin's end: the bin's last entry
            module.minimum(winner, last[i].astype(winner.dtype).reshape((-1,) + (1,) * (best.ndim - 1 - axis)),
                           out=winner)
        # the later dims' winners are those of the entry that won along this dim (small int arrays):
        # chosen += (entry k's - chosen) * (winner == k), integer arithmetic (a masked copy per k
        # measured several times slower)
        for later, earlier_winner in winners.items():
            entries = [module.take(earlier_winner, p, axis=axis) for p in picks[i]]
            chosen = entries[0]
            for number, entry in enumerate(entries[1:], start=1):
                module.subtract(entry, chosen, out=entry)
                entry *= winner == winner.dtype.type(number)
                chosen += entry
            winners[later] = chosen
        winners[i] = winner
        values = best
    # the results in the output's layout: (N, *O, C) -> (N, C, *O) for channels_last (views), and
    # (1, *O, L) -> (L, *O) otherwise (splitting the moved L axis needs no copy)
    if channels_last:
        back = (0, d + 1) + tuple(range(1, d + 1))

        def final(a):
            return a.transpose(back)
    else:
        def final(a):
            return module.moveaxis(a[0], -1, 0).reshape(lead + tuple(output_size))
    module.copyto(values_out, final(values))
    # flat index: the bin's first position plus per dim k times the dim's plane stride, summed in the
    # output's layout from the small int winners (made dense first: the int64 sums then run over dense
    # arrays, instead of transposing an int64 result)
    module.copyto(flat_out, base)
    plane_stride = 1
    for i in reversed(range(d)):
        k = final(winners[i])
        if not channels_last:
            k = module.ascontiguousarray(k)
        if plane_stride == 1:
            flat_out += k
        else:
            flat_out += module.multiply(k, plane_stride, dtype=module.int64)
        plane_stride *= input_size[i]


# ---- scatter / gather through flat indices ----------------------------------------------------

def flat_scatter_add(values, indices, spatial_size, order=None):
    """out (L, *S) with out.flat-per-plane[indices] += values (L, *O); repeated indices accumulate.
    With ``order`` (``memory_order``'s tuple) the result is laid out so, e.g. channels_last: the sums
    land on offsets into that memory directly, with no transposing copy.

    NumPy float32 / float64: one ``add.at`` over offsets into the result's memory, in the values' C
    order, so each position's sum runs in the dtype in output order, as torch's loop (``for o: grad_input
    [index[o]] += grad[o]``): bit-identical to torch's gradient. Measured (issue 14) on adaptive max
    pooling (32, 256, 20, 20) -> 7x7: 0.8 ms against 2.8 ms for per-group ``bincount`` (float64 sums,
    a cast and a copy, 3582 entries differing from torch in the last bit); ``add.at`` holds the GIL (two
    threads measured slower), so it runs on one. Other dtypes (half, complex) and CuPy: ``bincount`` /
    ``scatter_add``.
    """
    module = xp(values)
    d = len(spatial_size)
    lead = values.shape[:values.ndim - d]
    planes, plane = math.prod(lead), math.prod(spatial_size)
    ndim = values.ndim
    shape = lead + tuple(spatial_size)
    order = tuple(range(ndim)) if order is None else tuple(order)
    at = module.__name__ == "numpy" and values.dtype.kind == "f" and values.itemsize >= 4
    if order == tuple(range(ndim)) and not at:
        if module.__name__ != "numpy":
            summed = scatter_add(values.reshape(planes, -1), 1, indices.reshape(planes, -1), (planes, plane))
            return summed.reshape(shape)
        # scatter_add's bincount per group of planes: each group's float64 sums stay in cache, and
        # the groups run on the threads (each writes its own planes; sums in the same order)
        out = module.empty((planes, plane), dtype=values.dtype)
        flat_values, flat_indices = values.reshape(planes, -1), indices.reshape(planes, -1)
        group = max(1, (1 << 17) // max(1, plane))                         # ~128k positions per bincount

        def part(start, stop):
            for first in range(start, stop, group):
                last = min(first + group, stop)
                out[first:last] = scatter_add(flat_values[first:last], 1, flat_indices[first:last],
                                              (last - first, plane))

        if out.size:
            _threads.parallel_for(planes, part, out.nbytes)
        return out.reshape(shape)
    dense = module.zeros(tuple(shape[a] for a in order), dtype=values.dtype)    # out's memory
    out = dense.transpose([order.index(a) for a in range(ndim)])                 # (L, *S)
    if out.size == 0 or values.size == 0:
        return out
    element_strides = [s // out.itemsize for s in out.strides]
    # offset into out's memory: the plane's (lead coordinates) plus the position's (unravelled index)
    base = module.zeros((1,) * ndim, dtype=module.int64)                         # broadcasts to (L, 1..)
    for axis in range(len(lead)):
        coordinate = module.arange(lead[axis], dtype=module.int64).reshape((-1,) + (1,) * (ndim - 1 - axis))
        base = base + coordinate * element_strides[axis]
    if order[len(lead):] == tuple(range(len(lead), ndim)):  # the plane is dense: the flat index is the offset
        step = element_strides[-1]
        offsets = module.add(indices if step == 1 else indices * step, base, dtype=module.int64)  # (L, *O)
    else:
        offsets = module.zeros(indices.shape, dtype=module.int64) + base
        remaining = indices.astype(module.int64)
        for i in reversed(range(d)):
            offsets += (remaining % spatial_size[i]) * element_strides[len(lead) + i]
            remaining //= spatial_size[i]
    if at:
        module.add.at(dense.reshape(-1), offsets.ravel(), values.ravel())
        return out
    summed = module.bincount(offsets.ravel(), weights=values.ravel(), minlength=out.size)   # as scatter_add
    dense = summed.astype(values.dtype, copy=False).reshape(dense.shape)
    return dense.transpose([order.index(a) for a in range(ndim)])


def flat_gather(x, indices, spatial_ndim: int):
    """x (L, *S) read per plane at flat ``indices`` (L, *O) -> (L, *O)."""
    module = xp(x)
    d = spatial_ndim
    lead = x.shape[:x.ndim - d]
    planes = math.prod(lead)
    out = module.take_along_axis(x.reshape(planes, -1), indices.reshape(planes, -1), axis=1)
    return out.reshape(indices.shape)


def flat_scatter(values, indices, spatial_size):
    """Max-unpooling: zeros (L, *S) with out.flat-per-plane[indices] = values; a repeated index keeps one."""
    module = xp(values)
    d = len(spatial_size)
    lead = values.shape[:values.ndim - d]
    plane = math.prod(spatial_size)
    planes = math.prod(lead)
    out = module.zeros((planes, plane), dtype=values.dtype)
    if plane == 0 or planes == 0:
        return out.reshape(lead + tuple(spatial_size))
    module.put_along_axis(out, indices.reshape(planes, -1), values.reshape(planes, -1), axis=1)
    return out.reshape(lead + tuple(spatial_size))


# ---- fractional max pooling (Graham, "Fractional Max-Pooling", arXiv:1412.6071) ---------------

def fractional_intervals(samples, input_size: int, output_size: int, kernel: int):
    """Window starts (P, O) along one dim, one row per plane from its sample u in [0, 1): torch's
    ``generate_intervals`` (FractionalMaxPool2d.cpp), in the samples' own precision as there:
    start[i] = int((i + u) * alpha) - int(u * alpha) for i < O - 1, alpha = (S - K) / (O - 1), and
    the last window ends at the input's end, start[O - 1] = S - K."""
    module = xp(samples)
    planes = samples.shape[0]
    last = module.full((planes, 1), input_size - kernel, dtype=module.int64)
    if output_size <= 1:
        return last[:, :output_size]
    scalar = samples.dtype.type
    alpha = scalar(input_size - kernel) / scalar(output_size - 1)
    steps = module.arange(output_size - 1, dtype=samples.dtype)                      # (O - 1,)
    starts = (((steps[None, :] + samples[:, None]) * alpha).astype(module.int64)
              - (samples * alpha).astype(module.int64)[:, None])                     # (P, O - 1)
    return module.concatenate([starts, last], axis=1)                                 # (P, O)


def fractional_max_pool_forward(x, kernel: tuple, output_size: tuple, samples, sample_of_dim: tuple):
    """Max over pseudo-random windows of x (P, *S), P planes: returns (values (P, *O), flat indices
    (P, *O) int64). Window o spans [start_d[o_d], start_d[o_d] + K_d) along each dim, the starts from
    the plane's sample ``samples[:, sample_of_dim[d]]`` (``fractional_intervals``). Ties keep the first
    entry in row-major window order, as torch's loop."""
    module = xp(x)
    d = len(kernel)
    planes, spatial = x.shape[0], tuple(x.shape[1:])
    plane_strides = [math.prod(spatial[i + 1:]) for i in range(d)]
    index = 0
    for dim in range(d):
        starts = fractional_intervals(samples[:, sample_of_dim[dim]], spatial[dim], output_size[dim], kernel[dim])
        positions = starts[:, :, None] + module.arange(kernel[dim])                   # (P, O_d, K_d)
        shape = [planes] + [1] * (2 * d)
        shape[1 + dim], shape[1 + d + dim] = output_size[dim], kernel[dim]
        index = index + positions.reshape(shape) * plane_strides[dim]                # (P, *O, *K) by broadcasting
    windows, window_size = math.prod(output_size), math.prod(kernel)
    index = module.broadcast_to(index, (planes,) + tuple(output_size) + tuple(kernel)).reshape(
        planes, windows, window_size)                                                # (P, prod O, prod K)
    values = module.take_along_axis(x.reshape(planes, math.prod(spatial)), index.reshape(planes, windows * window_size),
                                    axis=1)
    values = values.reshape(planes, windows, window_size)
    winner = values.argmax(axis=2)[..., None] if window_size else module.zeros((planes, windows, 1), module.int64)
    best = module.take_along_axis(values, winner, axis=2)[..., 0]
    indices = module.take_along_axis(index, winner, axis=2)[..., 0]
    return best.reshape((planes,) + tuple(output_size)), indices.reshape((planes,) + tuple(output_size))
