"""Batch norm with batch statistics as one primitive (``BatchNormTrain``), forward and backward fused.

Letters: N = batch, C = channels, R = the remaining (spatial) positions flattened, M = N * R, the
number of values that share one channel's statistics; k = the samples of one chunk.

Batch norm in training mode (Ioffe & Szegedy, 2015), per channel c:

    mean = sum(x) / M,   var = sum((x - mean)^2) / M,   x_hat = (x - mean) / sqrt(var + eps)
    y = x_hat * weight + bias

It is in the hot path of every CNN, so its backward is the standard closed form:

    dbias   = sum(g)
    dweight = sum(g * x_hat)
    dx      = weight / sqrt(var + eps) * (g - dbias / M - x_hat * dweight / M)

``backward`` evaluates it with differentiable operations from ``x`` (so double backward is exact);
``backward_arrays``, used when no graph of the backward is built, evaluates it on arrays.
``nn.functional.batch_norm`` checks the arguments, updates the running statistics and, in
evaluation mode, applies an affine map per channel written with ordinary operations.

How the arrays are computed (memory-bound work, so the passes over memory are the cost):

- **Statistics**: per-row sums (a row is the R values of one (n, c)) in x's dtype, combined per
  channel in float64 in a fixed order: the mean. Then ``d = x - mean`` is written into the output's
  buffer and its per-row sums of squares are taken while the chunk is in cache, again combined in
  float64: the variance. Sums of squares of raw ``x`` would need no second pass but lose every digit
  in float32 when the mean is large against the spread (x = 1000 + randn): the float32 results here
  stay within torch's own float32 error there (tests/ops/test_normalization.py), where the old
  float32 per-channel sums were 4-10x further off.
- **The affine map in place**: ``y = d * scale + bias`` over the output buffer, per-channel scale.
- **The backward in two passes**: per row ``sum(g)`` and ``sum(g * (x - mean))``, combined in float64
  into dbias and dweight; then ``dx = k * g + a * (x - mean) + b`` with per-channel ``k``, ``a``, ``b``.
- **Both cores**: each pass is split over the batch with ``threads.parallel_for``; within a part,
  samples are taken a few at a time (``CHUNK_BYTES``) so that a chunk's second and third visits hit
  the cache. A row's sums do not depend on the split and the rows are combined over n in a fixed
  order, so results are bit-identical for any thread count.
- **Layouts**: an input whose memory is channels-last (NHWC behind an NCHW shape, torch's
  ``channels_last`` and ``channels_last_3d``) is read as (N, R, C) rows, and its output and input
  gradient keep that layout, as torch's; a contiguous input is read as (N, C, R). Any other strides
  are copied to contiguous first (torch's output is contiguous there too).
"""
from __future__ import annotations

from .. import backend
from ..autograd.function import Primitive
from ..kernels import compiled
from ..threads import parallel_for
from .elementwise import rsqrt

# Samples a pass handles together: the chunk's second and third visits should find it in cache, and
# the per-call overhead (a few us per ufunc) should stay small against the work. Measured on the CIFAR
# shapes (batch 128, 32..128 channels, 32..8 pixels, forward + backward, one thread, CPU time):
# 1 MiB fastest; 256 KiB 1.05-1.1x, 64 KiB 1.3-1.5x and whole-batch passes 1.0-1.35x slower.
CHUNK_BYTES = 1 << 20

# The variance from raw sums, E[x^2] - mean^2, loses log10(1 + mean^2 / var) digits to cancellation:
# with mean^2 <= var (the usual case after a convolution), at most 0.3, and then y = x * scale + shift
# and dx = k * g + a * x + b need no pass over x - mean. A larger mean (x = 1000 + randn) takes the
# centred passes instead. Which one ran depends only on the batch's statistics, never on the threads.
ONE_PASS_RATIO = 1.0


def _channel_view(shape: tuple, ndim: int) -> tuple:
    """Shape that broadcasts a (C,) vector against an (N, C, ...) input: (1, C, 1, ...)."""
    return (1, shape[1]) + (1,) * (ndim - 2)


def _is_channels_last(x) -> bool:
    """An (N, C, H, W) or (N, C, D, H, W) array whose memory is channels-last (NHWC / NDHWC)."""
    return x.ndim in (4, 5) and not x.flags.c_contiguous and backend.xp(x).moveaxis(x, 1, -1).flags.c_contiguous


class _Rows:
    """An (N, C, ...) array's memory seen as rows of R values per (n, c), with no copy: (N, C, R)
    for a contiguous array, (N, R, C) for a channels-last one."""

    def __init__(self, x, channels_last: bool):
        self.last = channels_last
        # per-row sums and dot products (einsum: 2-4x faster than ufunc.reduce for rows of 64 values and
        # for channels-last rows, measured on the CIFAR shapes)
        self.sum_spec = "nrc->nc" if channels_last else "ncr->nc"
        self.dot_spec = "nrc,nrc->nc" if channels_last else "ncr,ncr->nc"

    def of(self, a):
        """(N, C, ...) -> (N, C, R) or (N, R, C), a view."""
        n, c = a.shape[:2]
        if self.last:
            return backend.xp(a).moveaxis(a, 1, -1).reshape(n, -1, c)
        return a.reshape(n, c, -1)

    def per_channel(self, v):
        """(C,) -> broadcastable against rows."""
        return v if self.last else v[:, None]


def _working_copy(x):
    """``x`` as the statistics are computed from it: float32 or float64, contiguous or channels-last."""
    xp = backend.xp(x)
    if x.dtype.itemsize < 4:  # float16: computed in float32 (NumPy's float16 loops are slow and coarse)
        x = x.astype(xp.float32)
    if not x.flags.c_contiguous and not _is_channels_last(x):
        x = xp.ascontiguousarray(x)
    return x


def _in_layout(a, like):
    """``a`` with ``like``'s dtype and memory layout (a no-op when it has them already)."""
    if a.dtype == like.dtype and a.strides == like.strides:
        return a
    out = backend.xp(like).empty_like(like)
    out[...] = a
    return out


def _over_batch(x, body, passes: int) -> None:
    """Run ``body(lo, hi)`` over chunks of samples covering [0, N), split over the threads (NumPy)."""
    n = x.shape[0]
    step = max(1, CHUNK_BYTES // max(1, x[0].nbytes))

    def part(start, stop):
        for lo in range(start, stop, step):
            body(lo, min(lo + step, stop))

    if not backend.is_cupy_array(x):
        parallel_for(n, part, nbytes=passes * x.nbytes)
    else:  # CuPy: one launch per call covers the batch
        body(0, n)


class BatchNormTrain(Primitive):
    """Batch norm with batch statistics: forward and fused backward, normalising over all dims but 1.

    ``forward(x, weight, bias, eps, stats)`` returns y and appends the statistics it used,
    ``(mean, biased var, M)``, to the list ``stats`` (``batch_norm`` updates the running averages
    with them).
    """

    def name(self) -> str:
        return "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, eps, stats):
        if compiled.enabled() and compiled.supports(x) and x.flags.c_contiguous:  # minigrad[fast]: numba, sums in float64
            # (the loops read (N, C, R) rows: a channels_last x stays on the NumPy path, which keeps its layout)
            return _forward_compiled(ctx, x, weight, bias, eps, stats)
        xp = backend.xp(x)
        work = _working_copy(x)
        rows = _Rows(work, _is_channels_last(work))
        out = xp.empty_like(work)
        x_rows, out_rows = rows.of(work), rows.of(out)               # (N, C, R) or (N, R, C)
        n, c = x.shape[:2]
        count = x.size // c                                          # M
        sums = xp.empty((n, c), dtype=xp.float64)                    # (N, C) sum(x) per row
        squares = xp.empty((n, c), dtype=xp.float64)                 # (N, C) sum(x^2) per row

        def moments(lo, hi):
            chunk = x_rows[lo:hi]
            sums[lo:hi] = xp.einsum(rows.sum_spec, chunk)
            squares[lo:hi] = xp.einsum(rows.dot_spec, chunk, chunk)

        _over_batch(work, moments, passes=1)
        mean = sums.sum(axis=0) / count                              # (C,) float64, rows added in a fixed order
        var = squares.sum(axis=0) / count - mean * mean              # (C,) biased variance, from raw sums
        one_pass = bool((mean * mean <= ONE_PASS_RATIO * var).all())
        if one_pass:  # y = x * scale + (bias - mean * scale), straight from x
            invstd = 1.0 / xp.sqrt(var + eps)                        # (C,)
            scale = invstd if weight is None else invstd * weight   # (C,)
            shift = -mean * scale if bias is None else bias - mean * scale
            scale, shift = scale.astype(work.dtype), shift.astype(work.dtype)

            def affine(lo, hi):
                y = out_rows[lo:hi]
                xp.multiply(x_rows[lo:hi], rows.per_channel(scale), out=y)
                y += rows.per_channel(shift)
        else:  # a large mean: the variance again from x - mean, which is also y's start
            centre = mean.astype(work.dtype)

            def centred_squares(lo, hi):
                d = out_rows[lo:hi]
                xp.subtract(x_rows[lo:hi], rows.per_channel(centre), out=d)  # x - mean, in the output's buffer
                squares[lo:hi] = xp.einsum(rows.dot_spec, d, d)

            _over_batch(work, centred_squares, passes=2)
            var = squares.sum(axis=0) / count
            invstd = 1.0 / xp.sqrt(var + eps)                        # (C,)
            scale = (invstd if weight is None else invstd * weight).astype(work.dtype)
            shift = None if bias is None else bias.astype(work.dtype)

            def affine(lo, hi):
                y = out_rows[lo:hi]
                y *= rows.per_channel(scale)                          # y = (x - mean) * scale + bias, in place
                if shift is not None:
                    y += rows.per_channel(shift)

        _over_batch(work, affine, passes=2)
        ctx.one_pass = one_pass
        ctx.mean, ctx.invstd, ctx.eps, ctx.count = mean, invstd, eps, count
        stats.append((mean.astype(x.dtype), var.astype(x.dtype), count))
        ctx.save_for_backward(x, weight)
        return out if out.dtype == x.dtype else out.astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        """The closed form written with operations on ``x``, so that it can be differentiated again."""
        x, weight = ctx.saved_tensors
        dims = (0,) + tuple(range(2, x.ndim))
        view = _channel_view(tuple(x.shape), x.ndim)
        mean = x.mean(dims, keepdim=True)                            # (1, C, 1, ...)
        centred = x - mean
        var = (centred * centred).mean(dims, keepdim=True)
        invstd = rsqrt(var + ctx.eps)
        x_hat = centred * invstd                                     # (N, C, ...)
        grad_bias = grad.sum(dims)                                   # (C,)
        grad_weight = (grad * x_hat).sum(dims)                       # (C,)
        grad_x = None
        if ctx.needs_input_grad[0]:
            k = invstd if weight is None else invstd * weight.reshape(view)
            grad_x = k * (grad - grad_bias.reshape(view) / ctx.count - x_hat * (grad_weight.reshape(view) / ctx.count))
        return (grad_x, grad_weight if ctx.needs_input_grad[1] else None,
                grad_bias if ctx.needs_input_grad[2] else None)

    @staticmethod
    def backward_arrays(ctx, grad):
        """The closed form on arrays, from the forward's mean and 1/std: two passes over x and g."""
        x, weight = ctx.saved_arrays
        if compiled.enabled() and compiled.supports(grad, x) and x.flags.c_contiguous:  # minigrad[fast]: numba
            return compiled.batch_norm_backward(grad, x, weight, ctx.mean, ctx.invstd, ctx.count, ctx.needs_input_grad)
        xp = backend.xp(grad)
        work = _working_copy(x)
        rows = _Rows(work, _is_channels_last(work))
        g = _in_layout(grad, work)                                    # the gradient in x's layout
        x_rows, g_rows = rows.of(work), rows.of(g)                    # (N, C, R) or (N, R, C)
        n, c = x.shape[:2]
        invstd, count = ctx.invstd, ctx.count
        centre = ctx.mean.astype(work.dtype)                          # (C,) as the forward subtracted it
        grad_sums = xp.empty((n, c), dtype=xp.float64)                # (N, C) sum(g) per row
        grad_dots = xp.empty((n, c), dtype=xp.float64)                # (N, C) sum(g * (x - mean)) per row

        def sums(lo, hi):
            g_chunk = g_rows[lo:hi]
            # x - mean, in cache; a small mean (the forward's one-pass test) lets x stand for it
            d = x_rows[lo:hi] if ctx.one_pass else x_rows[lo:hi] - rows.per_channel(centre)
            grad_sums[lo:hi] = xp.einsum(rows.sum_spec, g_chunk)
            grad_dots[lo:hi] = xp.einsum(rows.dot_spec, g_chunk, d)

        _over_batch(work, sums, passes=2)
        grad_bias = grad_sums.sum(axis=0)                             # (C,) sum(g)
        centred_dots = grad_dots.sum(axis=0)                          # (C,) sum(g * (x - mean))
        if ctx.one_pass:
            centred_dots -= ctx.mean * grad_bias
        grad_weight = centred_dots * invstd                           # (C,) sum(g * x_hat)
        grad_x = None
        if ctx.needs_input_grad[0]:
            # dx = k * (g - dbias / M - x_hat * dweight / M) = k * g + a * (x - mean) + b per channel
            k = invstd if weight is None else invstd * weight        # (C,)
            a = -k * invstd * grad_weight / count                     # (C,)
            b = -k * grad_bias / count                                # (C,)
            if ctx.one_pass:
                b -= a * ctx.mean                                     # dx = k * g + a * x + b
            k, a, b = k.astype(work.dtype), a.astype(work.dtype), b.astype(work.dtype)
            grad_x = xp.empty_like(work)
            dx_rows = rows.of(grad_x)

            def input_grad(lo, hi):
                dx = dx_rows[lo:hi]
                if ctx.one_pass:
                    xp.multiply(x_rows[lo:hi], rows.per_channel(a), out=dx)
                else:
                    xp.subtract(x_rows[lo:hi], rows.per_channel(centre), out=dx)
                    dx *= rows.per_channel(a)
                dx += g_rows[lo:hi] * rows.per_channel(k)
                dx += rows.per_channel(b)

            _over_batch(work, input_grad, passes=3)
            if grad_x.dtype != grad.dtype:
                grad_x = grad_x.astype(grad.dtype)
        dtype = grad.dtype
        return (grad_x, grad_weight.astype(dtype, copy=False) if ctx.needs_input_grad[1] else None,
                grad_bias.astype(dtype, copy=False) if ctx.needs_input_grad[2] else None)


def _forward_compiled(ctx, x, weight, bias, eps, stats):
    """``BatchNormTrain.forward`` with the compiled kernels (``kernels/compiled``): the same outputs
    and saved state, the statistics summed in float64 in one pass per channel."""
    out, mean, var, invstd = compiled.batch_norm_forward(x, weight, bias, eps)
    count = x.size // x.shape[1]                                     # M
    ctx.mean, ctx.invstd, ctx.eps, ctx.count = mean, invstd, eps, count
    stats.append((mean, var, count))
    ctx.save_for_backward(x, weight)
    return out
