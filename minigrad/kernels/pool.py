"""Pooling scans on raw arrays (NumPy or CuPy, through ``xp``), one code path for 1, 2 and 3 spatial dims.

Legend: ``minigrad.kernels.geometry``'s: L the leading dims ((N, C) batched, (C,) unbatched), S input
spatial sizes, F the full size the windows cover (the input with its padding, ceil_mode's overhang,
or cut of the unused tail), K kernel sizes, O output sizes, d the number of spatial dims, k a kernel
offset (k1, .., kd) and k# its row-major number in 0 .. prod(K)-1.

Window o reads x[o*stride - padding + k*dilation] along each dim. Every routine walks the prod(K) kernel offsets and
treats each as one strided slice of shape (L, *O): one vectorised array operation per offset, whose
cost is the size of the output, never a Python loop over windows.

- max pooling keeps, per output, the row-major number k# of the winning kernel offset (``argmax``,
  int8 when it fits): the backward scatters through it with one strided write per offset, and the
  flat indices that torch returns ((h*W + w) into each unpadded plane) are computed from it only when
  asked for.
- average pooling is a box sum, which is separable: it sums along one dim at a time, so a 3x3 window
  costs 2 + 2 additions instead of 8. Its transpose spreads the gradient back the same way.
- adaptive pooling uses per-bin windows (``geometry.adaptive_bins``). When S is a multiple of O along
  every dim the bins are a regular pooling (kernel = stride = S/O) and reuse it.
"""
from __future__ import annotations

import math

from ..backend import xp
from . import cuda
from . import im2col as _im2col
from .geometry import WindowGeometry, adaptive_bins, dilated_kernel_size, offset_slice
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


def pad_for_windows(x, geometry: WindowGeometry, value):
    """(L, *S) -> (L, *F): ``value`` on the left padding and past the right edge, the unused tail cut."""
    module = xp(x)
    d = geometry.ndim
    if not geometry.needs_padding():
        crop = (Ellipsis,) + tuple(slice(0, ps) for ps in geometry.full_size)
        return x[crop]
    lead = x.shape[:-d]
    out = module.full(lead + geometry.full_size, value, dtype=x.dtype)
    kept = tuple(min(s, ps - p) for s, ps, p in zip(geometry.input_size, geometry.full_size, geometry.padding))
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
    out = module.zeros(padded.shape[:-d] + geometry.input_size, dtype=padded.dtype)
    out[(Ellipsis,) + tuple(slice(0, k) for k in kept)] = inner
    return out


def _in_plane_chunks(function, arrays: tuple, geometry: WindowGeometry, *args):
    """``function(*arrays, geometry, *args)`` over chunks of the leading planes L when the whole-batch
    scratch would pass the budget, else None (the caller then runs on the whole batch).

    Memory budget: the pooling scans hold per plane a padded copy (L, *F) and up to two arrays of its
    size (box sums, the scatter target, its unpadded copy), estimated at 3 * prod(F) elements. Chunks of
    planes keep that scratch within ``im2col.COLUMN_BUDGET_BYTES`` beyond input and output (one plane's
    worth when a single plane needs more). The chunks write into the full results, in order.
    """
    d = geometry.ndim
    first = arrays[0]
    lead = first.shape[:-d]
    planes = math.prod(lead)
    per_plane = 3 * math.prod(geometry.full_size) * first.itemsize
    budget = _im2col.COLUMN_BUDGET_BYTES
    if planes <= 1 or planes * per_plane <= budget:
        return None
    module = xp(first)
    flat = [a.reshape((planes,) + a.shape[len(lead):]) for a in arrays]   # (L, ...) each
    step = max(1, budget // per_plane)
    results, single = None, False
    for start in range(0, planes, step):
        part = function(*(a[start:start + step] for a in flat), geometry, *args)
        single = not isinstance(part, tuple)
        part = (part,) if single else part
        if results is None:
            results = tuple(module.empty((planes,) + p.shape[1:], dtype=p.dtype) for p in part)
        for result, piece in zip(results, part):
            result[start:start + step] = piece
    results = tuple(r.reshape(lead + r.shape[1:]) for r in results)
    return results[0] if single else results


def _offset_dtype(module, count: int):
    return module.int8 if count <= 127 else module.int32


# ---- max pooling ------------------------------------------------------------------------------

def max_pool_forward(x, geometry: WindowGeometry):
    """Max over each window of x (L, *S): returns (values (L, *O), argmax (L, *O)), argmax being the
    row-major number k# of the winning kernel offset. Ties pick the first maximum, a NaN wins (the last
    NaN, as PyTorch's ``val > maxval || isnan(val)`` scan), padding never wins."""
    if cuda.handles(x):  # CuPy float arrays: a CUDA kernel
        return cuda.pool.max_pool_forward(x, geometry)
    chunked = _in_plane_chunks(max_pool_forward, (x,), geometry)
    if chunked is not None:
        return chunked
    module = xp(x)
    fill = _fill_value(x.dtype, module, lowest=True)
    padded = pad_for_windows(x, geometry, fill)                       # (L, *F)
    windows = sliding_windows(padded, geometry.kernel, geometry.stride, geometry.dilation)  # (L, *O, *K)
    views = [windows[(Ellipsis,) + k] for k in geometry.offsets()]    # prod(K) x (L, *O)
    values = module.array(views[0], copy=True)
    for view in views[1:]:
        module.maximum(values, view, out=values)
    count = len(views)
    argmax = module.full(values.shape, count - 1, dtype=_offset_dtype(module, count))
    _first_equal(module, views, values, argmax, valid=None)
    if geometry.needs_padding() and bool((values == fill).any()):
        # every real entry of such a window equals the fill (-inf): pick the first one inside the input
        valid = pad_for_windows(module.ones(geometry.input_size, dtype=bool), geometry, False)
        valid_windows = sliding_windows(valid, geometry.kernel, geometry.stride, geometry.dilation)
        argmax.fill(count - 1)
        _first_equal(module, views, values, argmax, [valid_windows[(Ellipsis,) + k] for k in geometry.offsets()])
    if values.dtype.kind == "f" and bool(module.isnan(values).any()):
        for number, view in enumerate(views):
            module.copyto(argmax, number, where=module.isnan(view))
    return values, argmax


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


def max_pool_scatter(grad, argmax, geometry: WindowGeometry):
    """The gradient of max pooling: grad (L, *O) sent to each window's winner -> (L, *S), summed where
    windows overlap. One strided write (or add) per kernel offset; no ``add.at``."""
    if cuda.handles(grad):  # CuPy float arrays: a CUDA kernel
        return cuda.pool.max_pool_scatter(grad, argmax, geometry)
    chunked = _in_plane_chunks(max_pool_scatter, (grad, argmax), geometry)
    if chunked is not None:
        return chunked
    module = xp(grad)
    d = geometry.ndim
    lead = grad.shape[:-d]
    finite = bool(module.isfinite(grad).all()) if grad.dtype.kind == "f" else True
    out = module.zeros(lead + geometry.full_size, dtype=grad.dtype)                   # (L, *F)
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
    contribution = module.empty(grad.shape, dtype=grad.dtype) if rest else None
    for add, group in ((False, tiling), (True, rest)):
        for number, offset in group:
            target = out[geometry.offset_slices(offset)]              # (L, *O), a strided view
            chosen = argmax == argmax.dtype.type(number)
            if not finite:  # inf * 0 would be NaN where this offset did not win
                picked = module.where(chosen, grad, 0)
                if add:
                    target += picked
                else:
                    target[...] = picked
            elif add:
                module.multiply(grad, chosen, out=contribution)
                target += contribution
            else:
                module.multiply(grad, chosen, out=target)
    return unpad_from_windows(out, geometry)                           # (L, *S)


def max_pool_gather(x, argmax, geometry: WindowGeometry):
    """The transpose of ``max_pool_scatter``: x (L, *S) read at each window's winner -> (L, *O)."""
    if cuda.handles(x):  # CuPy float arrays: a CUDA kernel
        return cuda.pool.max_pool_gather(x, argmax, geometry)
    chunked = _in_plane_chunks(max_pool_gather, (x, argmax), geometry)
    if chunked is not None:
        return chunked
    module = xp(x)
    padded = pad_for_windows(x, geometry, 0)
    windows = sliding_windows(padded, geometry.kernel, geometry.stride, geometry.dilation)
    out = module.zeros(argmax.shape, dtype=x.dtype)
    for number, offset in enumerate(geometry.offsets()):
        module.copyto(out, windows[(Ellipsis,) + offset], where=argmax == argmax.dtype.type(number))
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


def _sum_windows_along(x, axis: int, kernel: int, stride: int, dilation: int, out_size: int):
    """Sum of the ``kernel`` window entries along one axis: (.., F, ..) -> (.., O, ..)."""
    module = xp(x)
    def pick(k):
        return x[(slice(None),) * axis + (offset_slice(k, stride, dilation, out_size),)]
    if kernel == stride and dilation == 1 and kernel > 8 and axis < x.ndim - 1:
        # non-overlapping long windows: a reshape and one reduction over a middle axis
        shape = x.shape[:axis] + (out_size, kernel) + x.shape[axis + 1:]
        return x[(slice(None),) * axis + (slice(0, out_size * kernel),)].reshape(shape).sum(axis=axis + 1)
    total = module.array(pick(0), copy=True)
    for k in range(1, kernel):
        total += pick(k)
    return total


def avg_pool_forward(x, geometry: WindowGeometry, count_include_pad: bool = True, divisor_override=None):
    """Mean over each window of x (L, *S) -> (L, *O), with PyTorch's divisor rules. The box sum is
    separable: summed along one spatial dim at a time."""
    if cuda.handles(x):  # CuPy float arrays: a CUDA kernel
        return cuda.pool.avg_pool_forward(x, geometry, count_include_pad, divisor_override)
    chunked = _in_plane_chunks(avg_pool_forward, (x,), geometry, count_include_pad, divisor_override)
    if chunked is not None:
        return chunked
    module = xp(x)
    d = geometry.ndim
    total = pad_for_windows(x, geometry, 0)                          # (L, *F)
    lead = total.ndim - d
    for i in range(d):                                               # (L, O1.., Oi, F(i+1)..)
        total = _sum_windows_along(total, lead + i, geometry.kernel[i], geometry.stride[i],
                                   geometry.dilation[i], geometry.output_size[i])
    divisor = avg_pool_divisor(geometry, count_include_pad, divisor_override, module, total.dtype)
    if isinstance(divisor, (int, float)):
        total /= total.dtype.type(divisor)
    else:
        total /= divisor
    return total


def _spread_windows_along(grad, axis: int, kernel: int, stride: int, dilation: int, full: int):
    """Transpose of ``_sum_windows_along``: (.., O, ..) -> (.., F, ..), each output copied to its window."""
    module = xp(grad)
    out_size = grad.shape[axis]
    shape = grad.shape[:axis] + (full,) + grad.shape[axis + 1:]
    if kernel == stride and dilation == 1:  # windows tile the axis: one broadcast copy
        tiled = module.broadcast_to(grad[(slice(None),) * (axis + 1) + (None,)],
                                    grad.shape[:axis + 1] + (kernel,) + grad.shape[axis + 1:])
        return tiled.reshape(shape)
    out = module.zeros(shape, dtype=grad.dtype)
    overlapping = stride < dilated_kernel_size(kernel, dilation)
    for k in range(kernel):
        target = out[(slice(None),) * axis + (offset_slice(k, stride, dilation, out_size),)]
        if overlapping:
            target += grad
        else:
            target[...] = grad
    return out


def avg_pool_transpose(grad, geometry: WindowGeometry, count_include_pad: bool = True, divisor_override=None):
    """The gradient of average pooling (its transpose): grad (L, *O) -> (L, *S)."""
    if cuda.handles(grad):  # CuPy float arrays: a CUDA kernel
        return cuda.pool.avg_pool_transpose(grad, geometry, count_include_pad, divisor_override)
    chunked = _in_plane_chunks(avg_pool_transpose, (grad,), geometry, count_include_pad, divisor_override)
    if chunked is not None:
        return chunked
    module = xp(grad)
    d = geometry.ndim
    divisor = avg_pool_divisor(geometry, count_include_pad, divisor_override, module, grad.dtype)
    spread = grad / (grad.dtype.type(divisor) if isinstance(divisor, (int, float)) else divisor)
    lead = grad.ndim - d
    for i in reversed(range(d)):
        spread = _spread_windows_along(spread, lead + i, geometry.kernel[i], geometry.stride[i],
                                       geometry.dilation[i], geometry.full_size[i])
    return unpad_from_windows(spread, geometry)


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


def adaptive_avg_pool_forward(x, output_size):
    """Mean over each adaptive bin of x (L, *S) -> (L, *O)."""
    module = xp(x)
    d = len(output_size)
    input_size = x.shape[-d:]
    if 0 in output_size or x.size == 0:
        return module.zeros(x.shape[:-d] + tuple(output_size), dtype=x.dtype)
    if all(o == 1 for o in output_size):  # global average: one row sum per plane
        planes = x.reshape(-1, math.prod(input_size))                             # (prod L, prod S)
        total = module.einsum("ps->p", planes)                                    # (prod L,)
        total /= total.dtype.type(planes.shape[1])
        return total.reshape(x.shape[:-d] + (1,) * d)
    regular = adaptive_as_regular(input_size, output_size)
    if regular is not None:
        return avg_pool_forward(x, regular)
    out = x
    for i in range(d):  # separable: average along one dim at a time
        axis = x.ndim - d + i
        out = _apply_along(out, axis, _bin_matrix(module, input_size[i], output_size[i], x.dtype))
    return module.ascontiguousarray(out)


def adaptive_avg_pool_transpose(grad, input_size):
    """The gradient of adaptive average pooling: grad (L, *O) -> (L, *S)."""
    module = xp(grad)
    d = len(input_size)
    output_size = grad.shape[-d:]
    if grad.size == 0:
        return module.zeros(grad.shape[:-d] + tuple(input_size), dtype=grad.dtype)
    if all(o == 1 for o in output_size):  # global average: every input gets grad / |plane|
        spread = grad * grad.dtype.type(1.0 / math.prod(input_size))
        return module.broadcast_to(spread, grad.shape[:-d] + tuple(input_size)).copy()
    regular = adaptive_as_regular(input_size, output_size)
    if regular is not None:
        return avg_pool_transpose(grad, regular)
    out = grad
    for i in range(d):
        axis = grad.ndim - d + i
        out = _apply_along(out, axis, _bin_matrix(module, input_size[i], output_size[i], grad.dtype).T)
    return module.ascontiguousarray(out)


def _bin_gather(module, size_in: int, size_out: int):
    """Per k < Kmax, the input position read by bin i (the bin's last position when k runs past it)."""
    starts, ends = adaptive_bins(size_in, size_out)
    longest = max(b - a for a, b in zip(starts, ends))
    return [module.asarray([min(a + k, b - 1) for a, b in zip(starts, ends)], dtype=module.int64)
            for k in range(longest)]


def adaptive_max_pool_forward(x, output_size):
    """Max over each adaptive bin of x (L, *S): returns (values (L, *O), flat indices (L, *O) int64).

    Max is separable: reduce the last dim first, then the one before it, carrying along the flat
    position of each partial winner. A bin's positions past its end repeat its last one, which neither
    changes the maximum nor (ties keep the first, NaN keeps the last, clipped) the chosen position.
    The spatial dims are moved in front of the (flattened) leading dims first, so that gathering the
    k-th entry of every bin copies contiguous rows instead of single elements.
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
    planes = math.prod(lead)
    values = module.ascontiguousarray(module.moveaxis(x.reshape((planes,) + input_size), 0, -1))  # (*S, L)
    flat = None
    plane_stride = 1
    for i in reversed(range(d)):
        starts, ends = adaptive_bins(input_size[i], output_size[i])
        picks = _bin_gather(module, input_size[i], output_size[i])
        candidates = [module.take(values, p, axis=i) for p in picks]          # Kmax x (.., Oi, .., L)
        best = module.array(candidates[0], copy=True)
        for c in candidates[1:]:
            module.maximum(best, c, out=best)
        winner = module.full(best.shape, len(candidates) - 1, dtype=_offset_dtype(module, len(candidates)))
        _first_equal(module, candidates, best, winner, valid=None)
        if best.dtype.kind == "f" and bool(module.isnan(best).any()):
            for number, c in enumerate(candidates):
                module.copyto(winner, number, where=module.isnan(c))
        # the winner's position along dim i: start + k, clipped to the bin's last position
        along = (-1,) + (1,) * (values.ndim - 1 - i)
        start = module.asarray(starts, dtype=module.int64).reshape(along)
        last = module.asarray(ends, dtype=module.int64).reshape(along) - 1
        position = module.minimum(start + winner, last)                         # (.., Oi, .., L)
        if flat is None:
            flat = position * plane_stride
        else:
            # the later dims' positions come from the winning entry along this dim
            carried = [module.take(flat, p, axis=i) for p in picks]
            chosen = module.array(carried[0], copy=True)
            for number, c in enumerate(carried[1:], start=1):
                module.copyto(chosen, c, where=winner == winner.dtype.type(number))
            flat = chosen + position * plane_stride
        plane_stride *= input_size[i]
        values = best
    # (*O, L) -> (L, *O)
    values = module.ascontiguousarray(module.moveaxis(values, -1, 0)).reshape(lead + tuple(output_size))
    flat = module.ascontiguousarray(module.moveaxis(flat, -1, 0)).reshape(lead + tuple(output_size))
    return values, flat


# ---- scatter / gather through flat indices ----------------------------------------------------

def flat_scatter_add(values, indices, spatial_size):
    """out (L, *S) with out.flat-per-plane[indices] += values (L, *O); repeated indices accumulate:
    ``scatter_add`` along the flattened plane of (prod L, prod S)."""
    d = len(spatial_size)
    lead = values.shape[:values.ndim - d]
    planes, plane = math.prod(lead), math.prod(spatial_size)
    summed = scatter_add(values.reshape(planes, -1), 1, indices.reshape(planes, -1), (planes, plane))
    return summed.reshape(lead + tuple(spatial_size))


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
