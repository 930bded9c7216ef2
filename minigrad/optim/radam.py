"""RAdam: Adam with the variance of the adaptive rate rectified (Liu et al., arXiv:1908.03265); while
the variance is intractable (``rho_t <= 5``) the step is plain momentum SGD.

The update for one parameter ``p`` with gradient ``g`` at step ``t`` (torch's ``_single_tensor_radam``):

    g <- -g                                   if maximize
    p <- p * (1 - lr * weight_decay)          if decoupled_weight_decay (RAdamW)
    g <- g + weight_decay * p                 otherwise, if weight_decay != 0
    m <- m + (1 - beta1) * (g - m);  v <- beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** t)
    rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2 ** t / (1 - beta2 ** t)
    rect = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
    p <- p - lr * m_hat * sqrt(1 - beta2 ** t) / (sqrt(v) + eps) * rect     if rho_t > 5
    p <- p - lr * m_hat                                                      otherwise
"""
from __future__ import annotations

from ..backend import xp
from .optimizer import (Optimizer, _regularised, _check_adam_family, _check_flags, _increment, _lerp_,
                        _params_with_grad, _scalar, _step_tensor, _zeros_like)


class RAdam(Optimizer):
    """RAdam, as ``torch.optim.RAdam`` (state ``step``, ``exp_avg``, ``exp_avg_sq``).

    Example::

        >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = minigrad.optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()   # first steps: momentum SGD, m_hat = g
        >>> w
        tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 decoupled_weight_decay: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):
        _check_adam_family(lr, betas, eps, weight_decay)
        _check_flags(capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = _scalar(group["lr"]), group["betas"], group["eps"]
            weight_decay, decoupled, maximize = group["weight_decay"], group["decoupled_weight_decay"], group["maximize"]
            for p in _params_with_grad(group):
                param, grad = p._data, p._grad._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                step = _increment(state["step"])
                grad = _regularised(param, grad, weight_decay, maximize, lr, decoupled)
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                _lerp_(exp_avg, grad, 1 - beta1)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                bias_corrected_exp_avg = exp_avg / bias_correction1
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    adaptive_lr = bias_correction2 ** 0.5 / (xp(param).sqrt(exp_avg_sq) + eps)
                    param -= bias_corrected_exp_avg * lr * adaptive_lr * rect
                else:
                    param -= bias_corrected_exp_avg * lr
                p._bump_version()
        return loss
