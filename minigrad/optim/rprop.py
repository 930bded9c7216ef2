"""Rprop: resilient backpropagation, steps that follow only the sign of the gradient (Riedmiller &
Braun, ICNN 1993), in torch's form (the variant without weight backtracking).

The update for one parameter ``p`` with gradient ``g`` (torch's ``_single_tensor_rprop``), per coordinate:

    g <- -g                                   if maximize
    s = g * g_prev
    step_size <- clamp(step_size * (etaplus if s > 0, etaminus if s < 0, 1 if s == 0), *step_sizes)
    g <- 0                                    where s < 0 (the sign flipped: skip this step)
    p <- p - sign(g) * step_size;  g_prev <- g
"""
from __future__ import annotations

from ..autograd.tensor import Tensor
from ..backend import xp
from .optimizer import (Optimizer, _check_flags, _check_lr, _increment, _params_with_grad, _scalar, _step_tensor,
                        _zeros_like)


class Rprop(Optimizer):
    """Rprop, as ``torch.optim.Rprop`` (state ``step``, ``prev``, ``step_size``; full batches only).

    Example::

        >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = minigrad.optim.Rprop([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()   # the first step is lr against the gradient's sign
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable: bool = False, foreach=None, maximize: bool = False, differentiable: bool = False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_flags(capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            maximize = group["maximize"]
            for p in _params_with_grad(group):
                param, grad = p._data, p._grad._data
                array = xp(param)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["prev"] = _zeros_like(p)
                    state["step_size"] = Tensor._make(array.full_like(grad, _scalar(group["lr"])))
                _increment(state["step"])
                if maximize:
                    grad = -grad
                prev, step_size = state["prev"]._data, state["step_size"]._data
                sign = array.sign(grad * prev)
                sign = array.where(sign > 0, array.asarray(etaplus, dtype=sign.dtype), sign)
                sign = array.where(sign < 0, array.asarray(etaminus, dtype=sign.dtype), sign)
                sign = array.where(sign == 0, array.asarray(1, dtype=sign.dtype), sign)
                step_size *= sign
                array.clip(step_size, step_size_min, step_size_max, out=step_size)
                grad = array.where(sign == array.asarray(etaminus, dtype=sign.dtype), 0, grad).astype(grad.dtype)
                param -= array.sign(grad) * step_size
                prev[...] = grad
                p._bump_version()
        return loss
