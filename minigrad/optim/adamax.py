"""Adamax: Adam with the infinity norm in place of the second moment (Kingma & Ba, arXiv:1412.6980,
section 7).

The update for one parameter ``p`` with gradient ``g`` at step ``t`` (torch's ``_single_tensor_adamax``):

    g <- -g                                   if maximize
    g <- g + weight_decay * p                 if weight_decay != 0
    m <- m + (1 - beta1) * (g - m)            (torch's lerp)
    u <- max(beta2 * u, |g| + eps)
    p <- p - lr / (1 - beta1 ** t) * m / u
"""
from __future__ import annotations

from ..backend import xp
from .optimizer import (Optimizer, _regularised, _check_adam_family, _check_flags, _increment, _lerp_,
                        _params_with_grad, _scalar, _step_tensor, _zeros_like)


class Adamax(Optimizer):
    """Adamax, as ``torch.optim.Adamax`` (state ``step``, ``exp_avg``, ``exp_inf``).

    Example::

        >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = minigrad.optim.Adamax([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()   # the first step moves each coordinate by lr
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 foreach=None, *, maximize: bool = False, differentiable: bool = False, capturable: bool = False):
        _check_adam_family(lr, betas, eps, weight_decay)
        _check_flags(capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = _scalar(group["lr"]), group["betas"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in _params_with_grad(group):
                param, grad = p._data, p._grad._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_inf"] = _zeros_like(p)
                step = _increment(state["step"])
                grad = _regularised(param, grad, weight_decay, maximize)
                exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
                _lerp_(exp_avg, grad, 1 - beta1)
                exp_inf *= beta2
                xp(param).maximum(exp_inf, xp(param).abs(grad) + eps, out=exp_inf)
                clr = lr / (1 - beta1 ** step)
                update = -clr * exp_avg  # (-clr * m) / u, torch's addcdiv order
                update /= exp_inf
                param += update
                p._bump_version()
        return loss
