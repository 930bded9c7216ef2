"""The compiled loops (numba): each kernel is a loop over the output with the window written out.

Legend: ``minigrad.kernels.geometry``'s, with every kernel written for 3 spatial dims: 1d and 2d
arrive here with unit leading spatial dims (``__init__.py`` lifts them), which costs nothing, so one
loop serves 1d, 2d and 3d. Spatial triples are (d, h, w); kernel offsets k = (a, b, e) run over
(Kd, Kh, Kw) and have the row-major number k# = (a*Kh + b)*Kw + e; o = (p, q, r) a window.

Window o reads the input at ``o*stride - before + k*dilation`` along each dim, zero (or nothing, for
pooling) outside it: padding is implicit, no padded copy is made.

Every kernel's outer loop runs over independent slices (channels, planes, or entries), and a call
runs the slices [start, stop) of it, writing only those: ``__init__.py``'s ``_run`` splits the loop
over minigrad's own pool (``threads.parallel_for``), each part one call on its thread with the GIL
released (``nogil``). numba's own threads are not used: minigrad runs one pool, and numba's would
spin after each loop on the cores the pool uses next (see ``minigrad/threads.py``). The result does
not depend on the thread count. Sums
that the NumPy path accumulates in the array's dtype are accumulated here in the same dtype and in
the same order where that is cheap (col2im: bit-identical); BatchNorm's statistics and the depthwise
weight gradient are summed in float64. ``fastmath`` stays off, so NaN propagates as in NumPy and
no sum is reordered behind the reader's back.

Importing this module imports numba; ``minigrad.kernels.compiled`` does so only on first use.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_options = dict(cache=True, fastmath=False, nogil=True)


@njit(inline="always", cache=True)
def _inside(p, q, r, size):
    return 0 <= p < size[0] and 0 <= q < size[1] and 0 <= r < size[2]


# Numba wraps negative indices around (x[-1] is the last entry) with a test on every computed
# signed index, which keeps LLVM from vectorising a loop: measured 5x slower on im2col's copy. The
# loops below therefore index with values numba knows are never negative: ``range(n)`` counters over
# 1-d views (``_copy``, ``_add``, ``_zero``), or positions already checked to lie inside the array
# cast to unsigned (``_u``).

@njit(inline="always", cache=True)
def _u(index):
    """A position known to be >= 0, as unsigned: numba then skips the negative-index wraparound."""
    return np.uint64(index)


@njit(inline="always", cache=True)
def _copy(target, source):
    for t in range(target.shape[0]):
        target[t] = source[t]


@njit(inline="always", cache=True)
def _add(target, source):
    for t in range(target.shape[0]):
        target[t] += source[t]


@njit(inline="always", cache=True)
def _zero(target):
    for t in range(target.shape[0]):
        target[t] = 0


@njit(inline="always", cache=True)
def _valid_windows(windows, stride, before, reach, size):
    """Along one dim: the windows o in [lo, hi) whose entry o*stride - before + reach lies in [0, size)."""
    lo = min(windows, max(0, -((reach - before) // stride)))    # ceil((before - reach) / stride)
    hi = min(windows, -((reach - before - size) // stride))      # ceil((size + before - reach) / stride)
    return lo, max(lo, hi)


# ---- im2col / col2im (the column layouts of kernels/im2col.py) ----------------------------------

@njit(**_options)
def im2col_batch_first(x, cols, stride, dilation, before, start, stop):
    """cols[c, a, b, e, i, p, q, r] = x[i, c, p*s - before + a*dil, ...], zero outside x.

    x (n, Cx, Sd, Sh, Sw) unpadded; cols (Cx, Kd, Kh, Kw, n, Od, Oh, Ow). Parallel over (c, k) rows;
    each window row (Ow,) is one strided run of x between zeros for the padding.
    """
    n = x.shape[0]
    size = x.shape[2:]
    kd, kh, kw = cols.shape[1], cols.shape[2], cols.shape[3]
    od, oh, ow = cols.shape[5], cols.shape[6], cols.shape[7]
    for row in range(start, stop):  # of channels * kd * kh * kw
        c, a, b, e = row // (kd * kh * kw), row // (kh * kw) % kd, row // kw % kh, row % kw
        r_lo, r_hi = _valid_windows(ow, stride[2], before[2], e * dilation[2], size[2])
        w_lo = r_lo * stride[2] - before[2] + e * dilation[2]          # the first column of x read
        for i in range(n):
            for p in range(od):
                z_d = p * stride[0] - before[0] + a * dilation[0]
                for q in range(oh):
                    z_h = q * stride[1] - before[1] + b * dilation[1]
                    if not (0 <= z_d < size[0] and 0 <= z_h < size[1]):
                        for r in range(ow):
                            cols[c, a, b, e, i, p, q, r] = 0
                        continue
                    for r in range(r_lo):
                        cols[c, a, b, e, i, p, q, r] = 0
                    for t in range(r_hi - r_lo):  # unsigned indices: no wraparound check, the copy vectorises
                        cols[c, a, b, e, i, p, q, _u(r_lo + t)] = x[i, c, z_d, z_h, _u(w_lo + t * stride[2])]
                    for t in range(ow - r_hi):
                        cols[c, a, b, e, i, p, q, _u(r_hi + t)] = 0


@njit(**_options)
def im2col_channels_last(x, cols, stride, dilation, before, start, stop):
    """cols[i, p, q, r, a, b, e, c] = x[i, p*s - before + a*dil, q*.., r*.., c], zero outside x.

    x (n, Sd, Sh, Sw, Cx) unpadded and C-contiguous (NHWC memory); cols (n, Od, Oh, Ow, Kd, Kh, Kw,
    Cx). A window row (Kw entries of Cx values) that lies inside x at unit dilation is one contiguous
    run of Kw*Cx values, copied in one loop; entries outside x are zeros.
    """
    channels = x.shape[4]
    sd, sh, sw = x.shape[1], x.shape[2], x.shape[3]
    od, oh, ow = cols.shape[1], cols.shape[2], cols.shape[3]
    kd, kh, kw = cols.shape[4], cols.shape[5], cols.shape[6]
    source, target = x.reshape(-1), cols.reshape(-1)
    run = kw * channels
    for i in range(start, stop):  # of n
        for p in range(od):
            for q in range(oh):
                for r in range(ow):
                    z_w0 = r * stride[2] - before[2]
                    whole = dilation[2] == 1 and z_w0 >= 0 and z_w0 + kw <= sw
                    for a in range(kd):
                        z_d = p * stride[0] - before[0] + a * dilation[0]
                        for b in range(kh):
                            z_h = q * stride[1] - before[1] + b * dilation[1]
                            at = ((((((i * od + p) * oh + q) * ow + r) * kd + a) * kh + b) * run)
                            if z_d < 0 or z_d >= sd or z_h < 0 or z_h >= sh:
                                for t in range(run):
                                    target[_u(at + t)] = 0
                            elif whole:
                                start = ((i * sd + z_d) * sh + z_h) * sw * channels + z_w0 * channels
                                for t in range(run):
                                    target[_u(at + t)] = source[_u(start + t)]
                            else:
                                for e in range(kw):
                                    z_w = z_w0 + e * dilation[2]
                                    entry = at + e * channels
                                    if 0 <= z_w < sw:
                                        start = (((i * sd + z_d) * sh + z_h) * sw + z_w) * channels
                                        for t in range(channels):
                                            target[_u(entry + t)] = source[_u(start + t)]
                                    else:
                                        for t in range(channels):
                                            target[_u(entry + t)] = 0


@njit(**_options)
def im2col_batch_last(x, cols, stride, dilation, before, start, stop):
    """cols[c, a, b, e, p, q, r, i] = x[i, c, p*s - before + a*dil, ...], zero outside x.

    x (n, Cx, Sd, Sh, Sw) unpadded; cols (Cx, Kd, Kh, Kw, Od, Oh, Ow, n). Parallel over channels c:
    each channel is first copied batch-last, (Sd, Sh, Sw, n), so that every column entry is one
    contiguous run of n values (as kernels/im2col.py's batch-last copy).
    """
    n = x.shape[0]
    size = x.shape[2:]
    kd, kh, kw = cols.shape[1], cols.shape[2], cols.shape[3]
    od, oh, ow = cols.shape[4], cols.shape[5], cols.shape[6]
    for c in range(start, stop):  # of channels
        channel = np.empty(size + (n,), dtype=x.dtype)                 # (Sd, Sh, Sw, n)
        for i in range(n):
            for z_d in range(size[0]):
                for z_h in range(size[1]):
                    _copy(channel[z_d, z_h, :, i], x[i, c, z_d, z_h])
        for a in range(kd):
            for b in range(kh):
                for e in range(kw):
                    for p in range(od):
                        z_d = p * stride[0] - before[0] + a * dilation[0]
                        for q in range(oh):
                            z_h = q * stride[1] - before[1] + b * dilation[1]
                            for r in range(ow):
                                z_w = r * stride[2] - before[2] + e * dilation[2]
                                if _inside(z_d, z_h, z_w, size):
                                    _copy(cols[c, a, b, e, p, q, r], channel[z_d, z_h, z_w])   # (n,)
                                else:
                                    _zero(cols[c, a, b, e, p, q, r])


@njit(**_options)
def col2im_batch_first(cols, out, stride, dilation, start, stop):
    """out[i, c, o*stride + k*dilation] += cols[c, k, i, o], one kernel offset k after the other in
    k# order, as NumPy's strided adds: bit-identical.

    cols (Cx, Kd, Kh, Kw, n, Od, Oh, Ow); out (n, Cx, *Sp), padded. Parallel over (i, c) planes:
    each plane's columns add only into that plane, so no two threads write one entry.
    """
    channels = out.shape[1]
    kd, kh, kw = cols.shape[1], cols.shape[2], cols.shape[3]
    od, oh, ow = cols.shape[5], cols.shape[6], cols.shape[7]
    for plane in range(start, stop):  # of n * channels
        i, c = plane // channels, plane % channels
        for a in range(kd):
            for b in range(kh):
                for e in range(kw):
                    w_lo = e * dilation[2]
                    for p in range(od):
                        z_d = p * stride[0] + a * dilation[0]
                        for q in range(oh):
                            z_h = q * stride[1] + b * dilation[1]
                            _add(out[i, c, z_d, z_h, w_lo:w_lo + (ow - 1) * stride[2] + 1:stride[2]],
                                 cols[c, a, b, e, i, p, q])                                  # (Ow,)


@njit(**_options)
def col2im_batch_last(cols, out, stride, dilation, start, stop):
    """out[i, c] += the sum over k (in k# order, started from zero) of cols[c, k, o, i] at
    o*stride + k*dilation, as NumPy's batch-last path builds it in a zeroed (Sp, n) buffer per
    channel: bit-identical.

    cols (Cx, Kd, Kh, Kw, Od, Oh, Ow, n); out (n, Cx, *Sp), padded. Parallel over channels c.
    """
    n = out.shape[0]
    kd, kh, kw = cols.shape[1], cols.shape[2], cols.shape[3]
    od, oh, ow = cols.shape[4], cols.shape[5], cols.shape[6]
    for c in range(start, stop):  # of channels
        summed = np.zeros(out.shape[2:] + (n,), dtype=out.dtype)        # (*Sp, n)
        for a in range(kd):
            for b in range(kh):
                for e in range(kw):
                    for p in range(od):
                        for q in range(oh):
                            for r in range(ow):
                                _add(summed[p * stride[0] + a * dilation[0], q * stride[1] + b * dilation[1],
                                            r * stride[2] + e * dilation[2]], cols[c, a, b, e, p, q, r])  # (n,)
        for i in range(n):
            for z_d in range(out.shape[2]):
                for z_h in range(out.shape[3]):
                    _add(out[i, c, z_d, z_h], summed[z_d, z_h, :, i])                       # (Sw,)


# ---- pooling ------------------------------------------------------------------------------------

@njit(**_options)
def max_pool_forward(x, values, argmax, stride, padding, dilation, kernel, lowest, start, stop):
    """values[l, o] = max over the window's entries inside x; argmax[l, o] = its offset number k#.

    x (L, Sd, Sh, Sw); values, argmax (L, Od, Oh, Ow). As kernels/pool.py: the first maximum wins,
    a NaN wins and the last NaN's offset is kept, padding never wins (a window with no entry inside
    keeps ``lowest`` and k# = prod(K) - 1). Parallel over planes l.
    """
    kd, kh, kw = kernel
    size = x.shape[1:]
    for l in range(start, stop):  # of x.shape[0]
        for p in range(values.shape[1]):
            for q in range(values.shape[2]):
                for r in range(values.shape[3]):
                    best, winner, found = lowest, kd * kh * kw - 1, False
                    for a in range(kd):
                        z_d = p * stride[0] - padding[0] + a * dilation[0]
                        if z_d < 0 or z_d >= size[0]:
                            continue
                        for b in range(kh):
                            z_h = q * stride[1] - padding[1] + b * dilation[1]
                            if z_h < 0 or z_h >= size[1]:
                                continue
                            for e in range(kw):
                                z_w = r * stride[2] - padding[2] + e * dilation[2]
                                if z_w < 0 or z_w >= size[2]:
                                    continue
                                v = x[l, _u(z_d), _u(z_h), _u(z_w)]
                                if v != v:                      # NaN: keep the first NaN, the last k#
                                    if best == best:
                                        best = v
                                    winner, found = (a * kh + b) * kw + e, True
                                elif best == best and (not found or v > best):
                                    best, winner, found = v, (a * kh + b) * kw + e, True
                    values[l, p, q, r] = best
                    argmax[l, p, q, r] = winner


@njit(inline="always", cache=True)
def _winner_at(number, p, q, r, stride, padding, dilation, kernel):
    """The input position (z_d, z_h, z_w) of window (p, q, r)'s kernel offset number k# (may lie in the padding)."""
    kh, kw = kernel[1], kernel[2]
    number = np.int64(number)
    a, b, e = number // (kh * kw), number // kw % kh, number % kw
    return (p * stride[0] - padding[0] + a * dilation[0], q * stride[1] - padding[1] + b * dilation[1],
            r * stride[2] - padding[2] + e * dilation[2])


@njit(**_options)
def max_pool_indices(argmax, indices, input_size, stride, padding, dilation, kernel, start, stop):
    """indices[l, o] = the flat position (z_d*Sh + z_h)*Sw + z_w of the winner k# = argmax[l, o]."""
    for l in range(start, stop):  # of argmax.shape[0]
        for p in range(argmax.shape[1]):
            for q in range(argmax.shape[2]):
                for r in range(argmax.shape[3]):
                    z_d, z_h, z_w = _winner_at(argmax[l, p, q, r], p, q, r, stride, padding, dilation, kernel)
                    indices[l, p, q, r] = (z_d * input_size[1] + z_h) * input_size[2] + z_w


@njit(**_options)
def max_pool_scatter(grad, argmax, out, stride, padding, dilation, kernel, start, stop):
    """out[l, winner(o)] += grad[l, o]; out (L, Sd, Sh, Sw) zeroed by the caller. Parallel over planes l."""
    size = out.shape[1:]
    for l in range(start, stop):  # of grad.shape[0]
        for p in range(grad.shape[1]):
            for q in range(grad.shape[2]):
                for r in range(grad.shape[3]):
                    z_d, z_h, z_w = _winner_at(argmax[l, p, q, r], p, q, r, stride, padding, dilation, kernel)
                    if _inside(z_d, z_h, z_w, size):
                        out[l, _u(z_d), _u(z_h), _u(z_w)] += grad[l, p, q, r]


# ---- BatchNorm and ReLU (N batch, C channels, R spatial positions flattened, M = N*R) -----------

@njit(**_options)
def channel_mean_var(x, mean, var, start, stop):
    """Per channel of x (N, C, R): mean and biased variance in one pass, summed in float64 from a
    shift (the channel's first value: the shifted-data algorithm, no cancellation for large means)."""
    count = x.shape[0] * x.shape[2]
    for c in range(start, stop):  # of x.shape[1]
        shift = np.float64(x[0, c, 0])
        s1, s2 = 0.0, 0.0
        for i in range(x.shape[0]):
            for j in range(x.shape[2]):
                t = np.float64(x[i, c, j]) - shift
                s1 += t
                s2 += t * t
        mean[c] = shift + s1 / count
        var[c] = max((s2 - s1 * s1 / count) / count, 0.0)


@njit(**_options)
def channel_affine(x, out, mean, scale, shift, start, stop):
    """out[n, c, r] = (x[n, c, r] - mean[c]) * scale[c] + shift[c]: x, out (N, C, R). Parallel over (n, c)."""
    channels = x.shape[1]
    for plane in range(start, stop):  # of x.shape[0] * channels
        i, c = plane // channels, plane % channels
        for j in range(x.shape[2]):
            out[i, c, j] = (x[i, c, j] - mean[c]) * scale[c] + shift[c]


@njit(**_options)
def batch_norm_grad_sums(grad, x, mean, invstd, grad_bias, grad_weight, start, stop):
    """Per channel, in float64: grad_bias = sum(g), grad_weight = sum(g * (x - mean) * invstd)."""
    for c in range(start, stop):  # of x.shape[1]
        s_g, s_gx = 0.0, 0.0
        m = np.float64(mean[c])
        for i in range(x.shape[0]):
            for j in range(x.shape[2]):
                g = np.float64(grad[i, c, j])
                s_g += g
                s_gx += g * (np.float64(x[i, c, j]) - m)
        grad_bias[c] = s_g
        grad_weight[c] = s_gx * np.float64(invstd[c])


@njit(**_options)
def batch_norm_grad_input(grad, x, out, mean, invstd, k, a, b, start, stop):
    """out = (x - mean) * invstd * a + grad * k + b, per channel coefficients (C,): BatchNorm's
    dx = k * (g - grad_bias / M - x_hat * grad_weight / M) with a = -k*grad_weight/M, b = -k*grad_bias/M."""
    channels = x.shape[1]
    for plane in range(start, stop):  # of x.shape[0] * channels
        i, c = plane // channels, plane % channels
        for j in range(x.shape[2]):
            x_hat = (x[i, c, j] - mean[c]) * invstd[c]
            out[i, c, j] = x_hat * a[c] + grad[i, c, j] * k[c] + b[c]


@njit(**_options)
def relu_forward(x, out, start, stop):
    """out = x where x > 0 or NaN, else 0 (as NumPy's maximum(x, 0): NaN passes, -0.0 becomes 0.0); flat arrays."""
    source, target = x[start:stop], out[start:stop]   # of x.shape[0]; range(n) indices: no wraparound test
    for i in range(source.shape[0]):
        v = source[i]
        target[i] = v if (v > 0 or v != v) else 0


@njit(**_options)
def relu_backward(grad, out, dx, zero, start, stop):
    """dx = grad where out > 0, else grad * 0 (as NumPy's grad * (out > 0): inf * 0 is NaN); flat arrays."""
    g, o, d = grad[start:stop], out[start:stop], dx[start:stop]   # of grad.shape[0]
    for i in range(g.shape[0]):
        d[i] = g[i] if o[i] > 0 else g[i] * zero


# ---- depthwise convolution (groups = Cx = Cy: one K-kernel per channel) -------------------------

@njit(**_options)
def depthwise(source, weight, target, stride, dilation, before, transpose, start, stop):
    """The depthwise convolution and its transpose (its input gradient), one kernel offset k at a time.

    Forward (``transpose`` False): target y[i, c, o] += weight[c, k] * source x[i, c, o*stride - before
    + k*dilation] (zero outside), one scaled strided row of x added to each output row. Transposed:
    target x[i, c, o*stride - before + k*dilation] += weight[c, k] * source y[i, c, o]. x (n, C, Sd,
    Sh, Sw); y (n, C, Od, Oh, Ow); weight (C, Kd, Kh, Kw); the target zeroed by the caller. Parallel
    over (i, c) planes: a plane reads and writes only its own plane.
    """
    x, y = (target, source) if transpose else (source, target)
    channels = x.shape[1]
    size = x.shape[2:]
    kd, kh, kw = weight.shape[1], weight.shape[2], weight.shape[3]
    od, oh, ow = y.shape[2], y.shape[3], y.shape[4]
    for plane in range(start, stop):  # of n * channels
        i, c = plane // channels, plane % channels
        for a in range(kd):
            for b in range(kh):
                for e in range(kw):
                    w = weight[c, a, b, e]
                    r_lo, r_hi = _valid_windows(ow, stride[2], before[2], e * dilation[2], size[2])
                    w_lo = r_lo * stride[2] - before[2] + e * dilation[2]
                    for p in range(od):
                        z_d = p * stride[0] - before[0] + a * dilation[0]
                        if z_d < 0 or z_d >= size[0]:
                            continue
                        for q in range(oh):
                            z_h = q * stride[1] - before[1] + b * dilation[1]
                            if z_h < 0 or z_h >= size[1]:
                                continue
                            if transpose:
                                for t in range(r_hi - r_lo):
                                    x[i, c, _u(z_d), _u(z_h), _u(w_lo + t * stride[2])] += w * y[i, c, p, q, _u(r_lo + t)]
                            else:
                                for t in range(r_hi - r_lo):
                                    y[i, c, p, q, _u(r_lo + t)] += w * x[i, c, _u(z_d), _u(z_h), _u(w_lo + t * stride[2])]


@njit(**_options)
def depthwise_weight_grad(x, y, weight, stride, dilation, before, start, stop):
    """weight[c, k] = sum over i and o of y[i, c, o] * x[i, c, o*stride - before + k*dilation], summed
    in float64 (one partial sum per output column, added at the end). x (n, C, Sd, Sh, Sw); y (n, C, Od, Oh, Ow); weight (C, Kd, Kh, Kw). Parallel over c."""
    n = x.shape[0]
    size = x.shape[2:]
    kd, kh, kw = weight.shape[1], weight.shape[2], weight.shape[3]
    od, oh, ow = y.shape[2], y.shape[3], y.shape[4]
    for c in range(start, stop):  # of channels
        for a in range(kd):
            for b in range(kh):
                for e in range(kw):
                    r_lo, r_hi = _valid_windows(ow, stride[2], before[2], e * dilation[2], size[2])
                    w_lo = r_lo * stride[2] - before[2] + e * dilation[2]
                    partial = np.zeros(ow)         # float64 sums per output column: the adds vectorise
                    for i in range(n):
                        for p in range(od):
                            z_d = p * stride[0] - before[0] + a * dilation[0]
                            if z_d < 0 or z_d >= size[0]:
                                continue
                            for q in range(oh):
                                z_h = q * stride[1] - before[1] + b * dilation[1]
                                if z_h < 0 or z_h >= size[1]:
                                    continue
                                for t in range(r_hi - r_lo):
                                    partial[t] += (np.float64(y[i, c, p, q, _u(r_lo + t)])
                                                   * np.float64(x[i, c, _u(z_d), _u(z_h), _u(w_lo + t * stride[2])]))
                    weight[c, a, b, e] = partial.sum()



# ---- Winograd F(2x2, 3x3): a 3x3 convolution in 4x4 input tiles (Lavin & Gray, 2016) -----------
#
# Each 2x2 block of outputs is A^T [(G w G^T) * (B^T d B)] A, with d the 4x4 input tile under it and
# * the entrywise product (``__init__.py``'s ``winograd_conv`` makes the 16 entries' products as 16
# GEMMs over the channels). The two transforms here:
#     B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
#     A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]
# Both work a row of tiles at a time, their inner loops over contiguous runs.

@njit(**_options)
def winograd_input(x, tiles, before_h, before_w, tiles_h, tiles_w, start, stop):
    """tiles[4a + b, c, (n*Th + i)*Tw + j] = (B^T d B)[a, b], d the 4x4 tile of x[n, c] whose top-left
    entry is at (2i - before_h, 2j - before_w), zero outside x. x (n, C, H, W); tiles (16, C, n*Th*Tw).
    Parallel over channels c."""
    height, width = x.shape[2], x.shape[3]
    span = 2 * tiles_w + 2                             # the columns a row of tiles reads
    copied = max(0, min(width, span - before_w))
    rows = np.zeros((4, span), dtype=x.dtype)          # 4 input rows, zero outside x
    mixed = np.empty((4, span), dtype=x.dtype)         # B^T applied down the rows
    for c in range(start, stop):  # of x.shape[1]
        for n in range(x.shape[0]):
            for i in range(tiles_h):
                for a in range(4):
                    h = 2 * i - before_h + a
                    if 0 <= h < height:
                        _copy(rows[a, before_w:before_w + copied], x[n, c, _u(h), :copied])
                    else:
                        _zero(rows[a])
                for u in range(span):
                    mixed[0, u] = rows[0, u] - rows[2, u]
                    mixed[1, u] = rows[1, u] + rows[2, u]
                    mixed[2, u] = rows[2, u] - rows[1, u]
                    mixed[3, u] = rows[1, u] - rows[3, u]
                first = (n * tiles_h + i) * tiles_w
                for a in range(4):                     # B across the columns: tiles_w tiles
                    m = mixed[a]
                    t0, t1 = tiles[4 * a, c, first:first + tiles_w], tiles[4 * a + 1, c, first:first + tiles_w]
                    t2, t3 = tiles[4 * a + 2, c, first:first + tiles_w], tiles[4 * a + 3, c, first:first + tiles_w]
                    for j in range(tiles_w):
                        t0[j] = m[2 * j] - m[2 * j + 2]
                        t1[j] = m[2 * j + 1] + m[2 * j + 2]
                        t2[j] = m[2 * j + 2] - m[2 * j + 1]
                        t3[j] = m[2 * j + 1] - m[2 * j + 3]


@njit(**_options)
def winograd_output(products, y, tiles_h, tiles_w, start, stop):
    """y[n, o, 2i.., 2j..] = A^T m A, m the 4x4 entries products[:, o, (n*Th + i)*Tw + j] (cut where
    y ends). products (16, Cy, n*Th*Tw); y (n, Cy, Oh, Ow). Parallel over output channels o."""
    out_h, out_w = y.shape[2], y.shape[3]
    down = np.empty((8, tiles_w), dtype=y.dtype)       # A^T applied down each tile's 4 rows
    across = np.empty((2, 2 * tiles_w), dtype=y.dtype)
    for o in range(start, stop):  # of y.shape[1]
        for n in range(y.shape[0]):
            for i in range(tiles_h):
                first = (n * tiles_h + i) * tiles_w
                for b in range(4):
                    m0, m1 = products[b, o, first:first + tiles_w], products[4 + b, o, first:first + tiles_w]
                    m2, m3 = products[8 + b, o, first:first + tiles_w], products[12 + b, o, first:first + tiles_w]
                    for j in range(tiles_w):
                        down[b, j] = m0[j] + m1[j] + m2[j]
                        down[4 + b, j] = m1[j] - m2[j] - m3[j]
                for r in range(2):
                    for j in range(tiles_w):
                        across[r, 2 * j] = down[4 * r, j] + down[4 * r + 1, j] + down[4 * r + 2, j]
                        across[r, 2 * j + 1] = down[4 * r + 1, j] - down[4 * r + 2, j] - down[4 * r + 3, j]
                for r in range(min(2, out_h - 2 * i)):
                    _copy(y[n, o, _u(2 * i + r)], across[r, :out_w])


@njit(**_options)
def winograd_output_adjoint(grad, tiles, tiles_h, tiles_w, start, stop):
    """The adjoint of ``winograd_output``: tiles[4a + b, o, (n*Th + i)*Tw + j] = (A g A^T)[a, b], g the
    2x2 block of grad[n, o] at (2i, 2j) (zero past grad's edge). grad (n, Cy, Oh, Ow); tiles (16, Cy,
    n*Th*Tw). Parallel over output channels o."""
    out_h, out_w = grad.shape[2], grad.shape[3]
    rows = np.zeros((2, 2 * tiles_w), dtype=grad.dtype)    # the block row's 2 rows, zero past the edge
    mixed = np.empty((4, 2 * tiles_w), dtype=grad.dtype)   # A applied down the 2 rows
    for o in range(start, stop):  # of grad.shape[1]
        for n in range(grad.shape[0]):
            for i in range(tiles_h):
                for r in range(2):
                    if 2 * i + r < out_h:
                        _copy(rows[r, :out_w], grad[n, o, _u(2 * i + r)])
                    else:
                        _zero(rows[r])
                for u in range(2 * tiles_w):
                    mixed[0, u] = rows[0, u]
                    mixed[1, u] = rows[0, u] + rows[1, u]
                    mixed[2, u] = rows[0, u] - rows[1, u]
                    mixed[3, u] = -rows[1, u]
                first = (n * tiles_h + i) * tiles_w
                for a in range(4):                     # A across the columns: tiles_w tiles
                    m = mixed[a]
                    t0, t1 = tiles[4 * a, o, first:first + tiles_w], tiles[4 * a + 1, o, first:first + tiles_w]
                    t2, t3 = tiles[4 * a + 2, o, first:first + tiles_w], tiles[4 * a + 3, o, first:first + tiles_w]
                    for j in range(tiles_w):
                        t0[j] = m[2 * j]
                        t1[j] = m[2 * j] + m[2 * j + 1]
                        t2[j] = m[2 * j] - m[2 * j + 1]
                        t3[j] = -m[2 * j + 1]


# The same three transforms on channels-last memory: every tile's 16 entries are rows of channels,
# so each inner loop runs over the channels (contiguous), whatever the width of the image.

@njit(**_options)
def winograd_input_channels_last(padded, tiles, tiles_h, tiles_w, start, stop):
    """tiles[4a + b, (n*Th + i)*Tw + j, c] = (B^T d B)[a, b] for the 4x4 tile d of padded[n, .., .., c]
    at (2i, 2j). padded (n, >= 2Th + 2, >= 2Tw + 2, C), zero-padded by the caller; tiles (16, n*Th*Tw, C).
    Parallel over samples n."""
    mixed = np.empty((4, 4, padded.shape[3]), dtype=padded.dtype)   # B^T applied down the tile's columns
    for n in range(start, stop):  # of padded.shape[0]
        for i in range(tiles_h):
            for j in range(tiles_w):
                t = (n * tiles_h + i) * tiles_w + j
                for b in range(4):
                    d0, d1 = padded[n, 2 * i, 2 * j + b], padded[n, 2 * i + 1, 2 * j + b]
                    d2, d3 = padded[n, 2 * i + 2, 2 * j + b], padded[n, 2 * i + 3, 2 * j + b]
                    m0, m1, m2, m3 = mixed[0, b], mixed[1, b], mixed[2, b], mixed[3, b]
                    for c in range(d0.shape[0]):
                        m0[c] = d0[c] - d2[c]
                        m1[c] = d1[c] + d2[c]
                        m2[c] = d2[c] - d1[c]
                        m3[c] = d1[c] - d3[c]
                for a in range(4):
                    s0, s1, s2, s3 = mixed[a, 0], mixed[a, 1], mixed[a, 2], mixed[a, 3]
                    t0, t1, t2, t3 = tiles[4 * a, t], tiles[4 * a + 1, t], tiles[4 * a + 2, t], tiles[4 * a + 3, t]
                    for c in range(s0.shape[0]):
                        t0[c] = s0[c] - s2[c]
                        t1[c] = s1[c] + s2[c]
                        t2[c] = s2[c] - s1[c]
                        t3[c] = s1[c] - s3[c]


@njit(**_options)
def winograd_output_channels_last(products, y, tiles_h, tiles_w, start, stop):
    """y[n, 2i.., 2j.., o] = A^T m A, m the 4x4 entries products[:, (n*Th + i)*Tw + j, o] (cut where y
    ends). products (16, n*Th*Tw, Cy); y (n, Oh, Ow, Cy). Parallel over samples n."""
    out_h, out_w = y.shape[1], y.shape[2]
    down = np.empty((2, 4, y.shape[3]), dtype=y.dtype)             # A^T applied down the tile's columns
    for n in range(start, stop):  # of y.shape[0]
        for i in range(tiles_h):
            for j in range(tiles_w):
                t = (n * tiles_h + i) * tiles_w + j
                for b in range(4):
                    m0, m1, m2, m3 = products[b, t], products[4 + b, t], products[8 + b, t], products[12 + b, t]
                    r0, r1 = down[0, b], down[1, b]
                    for o in range(m0.shape[0]):
                        r0[o] = m0[o] + m1[o] + m2[o]
                        r1[o] = m1[o] - m2[o] - m3[o]
                for r in range(min(2, out_h - 2 * i)):
                    s0, s1, s2, s3 = down[r, 0], down[r, 1], down[r, 2], down[r, 3]
                    left = y[n, _u(2 * i + r), _u(2 * j)]
                    for o in range(s0.shape[0]):
                        left[o] = s0[o] + s1[o] + s2[o]
                    if 2 * j + 1 < out_w:
                        right = y[n, _u(2 * i + r), _u(2 * j + 1)]
                        for o in range(s0.shape[0]):
                            right[o] = s1[o] - s2[o] - s3[o]


@njit(**_options)
def winograd_output_adjoint_channels_last(grad, tiles, tiles_h, tiles_w, start, stop):
    """The adjoint of ``winograd_output_channels_last``: tiles[4a + b, (n*Th + i)*Tw + j, o] =
    (A g A^T)[a, b], g the 2x2 block of grad[n, .., .., o] at (2i, 2j) (zero past grad's edge).
    grad (n, Oh, Ow, Cy); tiles (16, n*Th*Tw, Cy). Parallel over samples n."""
    out_h, out_w = grad.shape[1], grad.shape[2]
    zeros = np.zeros(grad.shape[3], dtype=grad.dtype)
    mixed = np.empty((4, 2, grad.shape[3]), dtype=grad.dtype)      # A applied down the block's 2 columns
    for n in range(start, stop):  # of grad.shape[0]
        for i in range(tiles_h):
            for j in range(tiles_w):
                t = (n * tiles_h + i) * tiles_w + j
                for s in range(2):
                    inside = 2 * j + s < out_w
                    g0 = grad[n, _u(2 * i), _u(2 * j + s)] if inside else zeros
                    g1 = grad[n, _u(2 * i + 1), _u(2 * j + s)] if inside and 2 * i + 1 < out_h else zeros
                    e0, e1, e2, e3 = mixed[0, s], mixed[1, s], mixed[2, s], mixed[3, s]
                    for o in range(g0.shape[0]):
                        e0[o] = g0[o]
                        e1[o] = g0[o] + g1[o]
                        e2[o] = g0[o] - g1[o]
                        e3[o] = -g1[o]
                for a in range(4):
                    s0, s1 = mixed[a, 0], mixed[a, 1]
                    t0, t1, t2, t3 = tiles[4 * a, t], tiles[4 * a + 1, t], tiles[4 * a + 2, t], tiles[4 * a + 3, t]
                    for o in range(s0.shape[0]):
                        t0[o] = s0[o]
                        t1[o] = s0[o] + s1[o]
                        t2[o] = s0[o] - s1[o]
                        t3[o] = -s1[o]
