"""Adafactor: Adam-like steps with a factored second moment, a row and a column average per matrix in
place of a full matrix, and steps relative to the parameter's own scale (Shazeer & Stern,
arXiv:1804.04235), in torch's variant (``lr`` caps the relative step and scales decoupled weight decay).

The update for one parameter ``p`` with gradient ``g`` at step ``t`` (torch's ``_single_tensor_adafactor``):

    g <- -g                                           if maximize
    w = t ** beta2_decay                              (the weight of the new squared gradient)
    alpha = max(eps2, RMS(p)) * min(lr, 1 / sqrt(t))
    p <- p * (1 - lr * weight_decay)
    matrices (..., R, C):  r <- lerp(r, mean of g*g over the last dim, w);  c <- lerp(c, mean over dim -2, w)
                           v = r @ c / max(mean(r over rows), eps1)
    others:                v <- lerp(v, g*g, w)
    u = g / sqrt(max(v, eps1 ** 2));  p <- p - alpha / max(1, RMS(u) / d) * u

``eps1=None`` means the parameter dtype's machine epsilon, as in torch.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import xp
from .optimizer import Optimizer, _increment, _lerp_, _params_with_grad, _scalar, _step_tensor


class Adafactor(Optimizer):
    """Adafactor, as ``torch.optim.Adafactor`` (state ``step`` and ``row_var`` / ``col_var`` for tensors of
    two or more dims, ``variance`` otherwise).

    Example::

        >>> w = minigrad.randn(4, 3, requires_grad=True)
        >>> opt = minigrad.optim.Adafactor([w], lr=1e-2)
        >>> (w * w).sum().backward(); opt.step()
        >>> opt.state[w]['row_var'].shape, opt.state[w]['col_var'].shape   # 4 + 3 numbers, not 4 x 3
        (minigrad.Size([4, 1]), minigrad.Size([1, 3]))
    """

    def __init__(self, params, lr: float = 1e-2, beta2_decay: float = -0.8, eps=(None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach=None, maximize: bool = False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, beta2_decay, (eps1, eps2) = _scalar(group["lr"]), group["beta2_decay"], group["eps"]
            d, weight_decay, maximize = group["d"], group["weight_decay"], group["maximize"]
            for p in _params_with_grad(group):
                param, grad = p._data, p._grad._data
                array = xp(param)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    if grad.ndim > 1:
                        state["row_var"] = Tensor._make(array.zeros(grad.shape[:-1] + (1,), grad.dtype))
                        state["col_var"] = Tensor._make(array.zeros(grad.shape[:-2] + (1,) + grad.shape[-1:],
                                                                    grad.dtype))
                    else:
                        state["variance"] = Tensor._make(array.zeros_like(grad))
                if maximize:
                    grad = -grad
                if eps1 is None:  # torch sets it from the first parameter and keeps it for the group
                    eps1 = float(np.finfo(param.dtype).eps)
                step = _increment(state["step"])
                one_minus_beta2_t = step ** beta2_decay
                rho_t = min(lr, 1 / (step ** 0.5))
                alpha = max(eps2, float(_norm(param)) / (param.size ** 0.5)) * rho_t
                if weight_decay != 0:
                    param *= 1 - lr * weight_decay
                if grad.ndim > 1:
                    row_var, col_var = state["row_var"]._data, state["col_var"]._data
                    row_norm = _norm(grad, axis=-1)  # (..., R, 1)
                    _lerp_(row_var, row_norm * row_norm / grad.shape[-1], one_minus_beta2_t)
                    col_norm = _norm(grad, axis=-2)  # (..., 1, C)
                    _lerp_(col_var, col_norm * col_norm / grad.shape[-2], one_minus_beta2_t)
                    var_estimate = row_var @ col_var  # (..., R, C) = (..., R, 1) @ (..., 1, C)
                    var_estimate /= array.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
                else:
                    variance = state["variance"]._data
                    _lerp_(variance, grad * grad, one_minus_beta2_t)
                    var_estimate = variance.copy()
                update = 1 / array.sqrt(array.maximum(var_estimate, eps1 * eps1))
                update = update * grad
                denom = max(1.0, float(_norm(update)) / ((update.size ** 0.5) * d))
                param += (-alpha / denom) * update
                p._bump_version()
        return loss


def _norm(array, axis=None):
    """The 2-norm over ``axis`` (kept as a size-1 dim), or of the whole array."""
    squares = array * array
    if axis is None:
        return xp(array).sqrt(squares.sum())
    return xp(array).sqrt(squares.sum(axis=axis, keepdims=True))
