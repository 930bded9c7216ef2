"""Adadelta: per-coordinate steps from running averages of squared gradients and squared updates
(Zeiler, arXiv:1212.5701).

The update for one parameter ``p`` with gradient ``g`` (torch's ``_single_tensor_adadelta``):

    g <- -g                                   if maximize
    g <- g + weight_decay * p                 if weight_decay != 0
    v <- rho * v + (1 - rho) * g * g
    delta = sqrt(u + eps) / sqrt(v + eps) * g
    u <- rho * u + (1 - rho) * delta * delta
    p <- p - lr * delta
"""
from __future__ import annotations

from ..backend import xp
from .optimizer import (Optimizer, _regularised, _check_flags, _check_lr, _increment, _params_with_grad, _scalar,
                        _step_tensor, _zeros_like)


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta`` (state ``step``, ``square_avg``, ``acc_delta``).

    Example::

        >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = minigrad.optim.Adadelta([w], lr=1.0)
        >>> (w * w).sum().backward(); opt.step()   # first step: sqrt(eps) / sqrt(0.1 g^2 + eps) * g
        >>> w
        tensor([ 0.9968, -1.9968], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0,
                 foreach=None, *, capturable: bool = False, maximize: bool = False, differentiable: bool = False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_flags(capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, rho, eps = _scalar(group["lr"]), group["rho"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in _params_with_grad(group):
                param, grad = p._data, p._grad._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros_like(p)
                    state["acc_delta"] = _zeros_like(p)
                _increment(state["step"])
                grad = _regularised(param, grad, weight_decay, maximize)
                square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
                square_avg *= rho
                square_avg += (1 - rho) * grad * grad
                std = xp(param).sqrt(square_avg + eps)
                delta = xp(param).sqrt(acc_delta + eps)
                delta = delta / std * grad
                acc_delta *= rho
                acc_delta += (1 - rho) * delta * delta
                param += -lr * delta
                p._bump_version()
        return loss
