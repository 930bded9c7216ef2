"""NAdam: Adam with Nesterov momentum (Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016
workshop), with torch's momentum schedule ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``.

The update for one parameter ``p`` with gradient ``g`` at step ``t`` (torch's ``_single_tensor_nadam``):

    g <- -g                                   if maximize
    p <- p * (1 - lr * weight_decay)          if decoupled_weight_decay (NAdamW)
    g <- g + weight_decay * p                 otherwise, if weight_decay != 0
    P_t = mu_1 * ... * mu_t                   (``mu_product``, a float32 scalar as in torch)
    m <- m + (1 - beta1) * (g - m);  v <- beta2 * v + (1 - beta2) * g * g
    denom = sqrt(v / (1 - beta2 ** t)) + eps
    p <- p - lr * (1 - mu_t) / (1 - P_t) * g / denom - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / denom
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import xp
from .optimizer import (Optimizer, _regularised, _check_adam_family, _check_flags, _increment, _lerp_,
                        _params_with_grad, _scalar, _step_tensor, _zeros_like)


class NAdam(Optimizer):
    """NAdam, as ``torch.optim.NAdam`` (state ``step``, ``mu_product``, ``exp_avg``, ``exp_avg_sq``).

    Example::

        >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = minigrad.optim.NAdam([w], lr=0.01, decoupled_weight_decay=True, weight_decay=0.01)
        >>> (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False):
        _check_adam_family(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        _check_flags(capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = _scalar(group["lr"]), group["betas"], group["eps"]
            weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
            decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
            for p in _params_with_grad(group):
                param, grad = p._data, p._grad._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["mu_product"] = Tensor._make(np.ones((), dtype=np.float32))
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                step = _increment(state["step"])
                grad = _regularised(param, grad, weight_decay, maximize, lr, decoupled)
                bias_correction2 = 1 - beta2 ** step
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product_array = state["mu_product"]._data
                mu_product_array *= mu  # in float32, as torch's scalar tensor
                mu_product = float(mu_product_array)
                mu_product_next = mu_product * mu_next
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                _lerp_(exp_avg, grad, 1 - beta1)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                denom = xp(param).sqrt(exp_avg_sq / bias_correction2)
                denom += eps
                update = (-lr * (1.0 - mu) / (1.0 - mu_product)) * grad  # torch's addcdiv order
                param += update / denom
                update = ((-lr * mu_next) / (1.0 - mu_product_next)) * exp_avg
                param += update / denom
                p._bump_version()
        return loss
