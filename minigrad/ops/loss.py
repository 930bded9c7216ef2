"""Loss primitives: cross entropy of logits against class indices (forward and backward fused) and
binary cross entropy of probabilities. ``nn.functional``'s losses check their arguments, resolve
the reduction and the weights, and call these; the other losses are written with ordinary operations.

Letters: N = batch, C = classes, d1 ... = extra dims of an N-d input (N, C, d1, ...).
"""
from __future__ import annotations

from .. import backend
from ..autograd.function import Primitive
from ..autograd.tensor import Tensor
from .elementwise import clamp, log
from .reduction import softmax


class CrossEntropyIndices(Primitive):
    """Cross entropy of logits against class indices in one node: forward and backward fused.

    forward: loss_i = -w_i log softmax(x_i)[t_i], reduced (``'mean'`` divides by ``denominator``).
    backward: d loss / d x_i = g_i w_i (softmax(x_i) - onehot(t_i)) / denominator; ``backward`` writes
    it with operations on ``x`` (so double backward is exact), ``backward_arrays`` (used when no graph
    of the backward is built) on arrays, from the log-probabilities the forward kept.
    ``index`` is the target with a size-1 class dim; ``weights`` the per-element weights (w[t_i],
    zero where ignored) or None for all ones.
    """

    def name(self) -> str:
        return "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, index, weights, class_dim, reduction, denominator):
        xp = backend.xp(x)
        shifted = x - x.max(axis=class_dim, keepdims=True)                     # (N, C, d1, ...)
        log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=class_dim, keepdims=True))
        losses = -xp.take_along_axis(log_probs, index, axis=class_dim)          # (N, 1, d1, ...)
        if weights is not None:
            losses = losses * weights
        ctx.log_probs, ctx.index, ctx.weights = log_probs, index, weights
        ctx.class_dim, ctx.reduction, ctx.denominator = class_dim, reduction, denominator
        ctx.save_for_backward(x)
        if reduction == "none":
            return xp.squeeze(losses, axis=class_dim)
        total = losses.sum(dtype=x.dtype)
        return xp.asarray(total / denominator if reduction == "mean" else total, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        """(softmax(x) - onehot(t)) * g w / denominator, written with operations on ``x``."""
        (x,) = ctx.saved_tensors
        g = grad if ctx.reduction != "none" else grad.unsqueeze(ctx.class_dim)   # (N, 1, d1, ...) or ()
        if ctx.reduction == "mean":
            g = g / _grad_denominator(ctx)
        if ctx.weights is not None:
            g = g * Tensor._make(ctx.weights)
        return (softmax(x, ctx.class_dim) - Tensor._make(_one_hot(ctx, x._data).astype(x._data.dtype))) * g

    @staticmethod
    def backward_arrays(ctx, grad):
        """The same on arrays, from the log-probabilities the forward kept, in one buffer."""
        (x,) = ctx.saved_arrays
        xp = backend.xp(grad)
        # per-element coefficient g_i w_i / denominator, shaped (N, 1, d1, ...) or a scalar
        coefficient = grad if ctx.reduction != "none" else xp.expand_dims(grad, ctx.class_dim)
        if ctx.reduction == "mean":
            coefficient = coefficient / x.dtype.type(_grad_denominator(ctx))
        if ctx.weights is not None:
            coefficient = coefficient * ctx.weights
        probs = xp.exp(ctx.log_probs)                                           # (N, C, d1, ...)
        probs -= _one_hot(ctx, x)
        probs *= coefficient
        return probs.astype(x.dtype, copy=False)


def _grad_denominator(ctx) -> float:
    """The mean's denominator for the gradient. When every target is ignored the loss is 0 / 0 = NaN (as
    torch's), but each element's weight is 0, so its gradient is 0, as torch's: one such batch must not
    poison the weights with NaN."""
    return ctx.denominator if ctx.denominator == ctx.denominator else 1.0


def _one_hot(ctx, x):
    """onehot(t) along the class dim, as booleans: (N, C, d1, ...)."""
    xp = backend.xp(x)
    shape = [1] * x.ndim
    shape[ctx.class_dim] = x.shape[ctx.class_dim]
    return xp.arange(x.shape[ctx.class_dim]).reshape(shape) == ctx.index


class BinaryCrossEntropy(Primitive):
    """-(t log x + (1 - t) log(1 - x)) elementwise, each log clamped at -100 (torch's rule, so that
    x = 0 or 1 gives a finite loss). Gradient (torch's): (x - t) / max(x (1 - x), 1e-12) for x, and
    log(1 - x) - log(x) (clamped) for t."""

    @staticmethod
    def forward(ctx, x, t):
        xp = backend.xp(x)
        ctx.save_for_backward(x, t)
        with _IgnoreLogOfZero(xp):
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        return (-(t * log_x + (1 - t) * log_1mx)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        grad_x = grad * (x - t) / clamp(x * (1 - x), min=1e-12) if ctx.needs_input_grad[0] else None
        grad_t = None
        if ctx.needs_input_grad[1]:
            grad_t = grad * (clamp(log(1 - x), min=-100) - clamp(log(x), min=-100))
        return grad_x, grad_t


class _IgnoreLogOfZero:
    """``numpy.errstate(divide='ignore')`` for NumPy arrays (log(0) = -inf is expected); no-op for CuPy."""

    def __init__(self, xp):
        import numpy
        self._state = numpy.errstate(divide="ignore") if xp is numpy else None

    def __enter__(self):
        if self._state is not None:
            self._state.__enter__()

    def __exit__(self, *exc):
        if self._state is not None:
            self._state.__exit__(*exc)
