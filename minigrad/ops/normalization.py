"""Batch norm with batch statistics as one primitive (``BatchNormTrain``), forward and backward fused.

Letters: N = batch, C = channels, R = the remaining (spatial) positions flattened, M = N * R, the
number of values that share one channel's statistics.

Batch norm in training mode (Ioffe & Szegedy, 2015), per channel c:

    mean = sum(x) / M,   var = sum((x - mean)^2) / M,   x_hat = (x - mean) / sqrt(var + eps)
    y = x_hat * weight + bias

It is in the hot path of every CNN, so its backward is the standard closed form:

    dbias   = sum(g)
    dweight = sum(g * x_hat)
    dx      = weight / sqrt(var + eps) * (g - dbias / M - x_hat * dweight / M)

``backward`` evaluates it with differentiable operations from ``x`` (so double backward is exact);
``backward_arrays``, used when no graph of the backward is built, evaluates it on arrays with the
statistics the forward kept, in one buffer. ``nn.functional.batch_norm`` checks the arguments,
updates the running statistics and, in evaluation mode, applies an affine map per channel written
with ordinary operations.
"""
from __future__ import annotations

from .. import backend
from ..autograd.function import Primitive
from ..kernels import compiled
from .elementwise import rsqrt


def _channel_view(shape: tuple, ndim: int) -> tuple:
    """Shape that broadcasts a (C,) vector against an (N, C, ...) input: (1, C, 1, ...)."""
    return (1, shape[1]) + (1,) * (ndim - 2)


def _as_ncr(x):
    """(N, C, ...) array -> (N, C, R) (a view for contiguous input)."""
    return x.reshape(x.shape[0], x.shape[1], -1)


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
        if compiled.enabled() and compiled.supports(x):  # minigrad[fast]: numba, statistics summed in float64
            return _forward_compiled(ctx, x, weight, bias, eps, stats)
        xp = backend.xp(x)
        x3 = _as_ncr(x)                                              # (N, C, R)
        count = x3.shape[0] * x3.shape[2]                            # M
        mean = x3.sum(axis=(0, 2)) / count                           # (C,)
        centred = x3 - mean[:, None]                                 # (N, C, R)
        var = xp.einsum("ncr,ncr->c", centred, centred) / count      # (C,) biased variance
        invstd = 1.0 / xp.sqrt(var + eps)                            # (C,)
        scale = invstd if weight is None else invstd * weight       # (C,)
        out = centred
        out *= scale[:, None]                                        # in place: y = (x - mean) * scale
        if bias is not None:
            out += bias[:, None]
        ctx.mean, ctx.invstd, ctx.eps, ctx.count = mean, invstd, eps, count
        stats.append((mean, var, count))
        ctx.save_for_backward(x, weight)
        return out.reshape(x.shape)

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
        """The closed form on arrays, reusing the forward's mean and 1/std; dx is built in x_hat's buffer."""
        x, weight = ctx.saved_arrays
        if compiled.enabled() and compiled.supports(grad, x):  # minigrad[fast]: numba, sums in float64
            return compiled.batch_norm_backward(grad, x, weight, ctx.mean, ctx.invstd, ctx.count, ctx.needs_input_grad)
        xp = backend.xp(grad)
        g = _as_ncr(grad)                                            # (N, C, R)
        x_hat = _as_ncr(x) - ctx.mean[:, None]                       # (N, C, R)
        x_hat *= ctx.invstd[:, None]
        grad_bias = g.sum(axis=(0, 2))                               # (C,)
        grad_weight = xp.einsum("ncr,ncr->c", g, x_hat)              # (C,)
        grad_x = None
        if ctx.needs_input_grad[0]:
            k = ctx.invstd if weight is None else ctx.invstd * weight  # (C,)
            # dx = k * (g - grad_bias / M - x_hat * grad_weight / M)
            x_hat *= (-k * grad_weight / ctx.count)[:, None]
            x_hat += g * k[:, None]
            x_hat -= (k * grad_bias / ctx.count)[:, None]
            grad_x = x_hat.reshape(grad.shape)
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
