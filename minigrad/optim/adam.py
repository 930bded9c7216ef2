"""Adam and AdamW: moment estimates with bias correction (Kingma & Ba, arXiv:1412.6980; decoupled
weight decay from Loshchilov & Hutter, arXiv:1711.05101).

The update for one parameter ``p`` with gradient ``g`` at step ``t`` (torch's ``_single_tensor_adam``):

    g <- -g                                     if maximize
    p <- p * (1 - lr * weight_decay)            AdamW (decoupled)
    g <- g + weight_decay * p                   Adam with weight_decay != 0
    m <- m + (1 - beta1) * (g - m)              (torch's lerp)
    v <- beta2 * v + (1 - beta2) * g * g
    v_max <- max(v_max, v);  v <- v_max          if amsgrad (for the denominator only)
    denom = sqrt(v) / sqrt(1 - beta2 ** t) + eps
    p <- p - lr / (1 - beta1 ** t) * m / denom
"""
from __future__ import annotations

from ..backend import xp
from ..autograd.tensor import Tensor
from .optimizer import (Optimizer, _regularised, _check_adam_family, _check_flags, _increment, _lerp_,
                        _params_with_grad, _scalar, _step_tensor, _zeros_like)


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (including ``amsgrad``, ``maximize`` and
    ``decoupled_weight_decay``, which makes it AdamW).

    Example::

        >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = minigrad.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w    # the first Adam step moves every coordinate by lr against its gradient's sign
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False, fused=None,
                 decoupled_weight_decay: bool = False):
        _check_adam_family(lr, betas, eps, weight_decay)
        if not (all(isinstance(b, float) for b in betas) or all(isinstance(b, Tensor) for b in betas)):
            raise ValueError("betas must be either both floats or both Tensors")
        for index, beta in enumerate(betas):
            if isinstance(beta, Tensor) and beta.numel() != 1:
                raise ValueError(f"Tensor betas[{index}] must be 1-element")
        _check_flags(capturable=capturable, differentiable=differentiable, fused=fused)
        defaults = dict(lr=lr, betas=(_scalar(betas[0]), _scalar(betas[1])), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = _scalar(group["lr"]), group["betas"], group["eps"]
            weight_decay, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
            decoupled = group.get("decoupled_weight_decay", False)
            for p in _params_with_grad(group):
                param, grad = p._data, p._grad._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_like(p)
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                step = _increment(state["step"])
                grad = _regularised(param, grad, weight_decay, maximize, lr, decoupled)
                _lerp_(exp_avg, grad, 1 - beta1)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                bias_correction1 = 1 - beta1 ** step
                bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
                step_size = lr / bias_correction1
                if amsgrad:
                    max_exp_avg_sq = state["max_exp_avg_sq"]._data
                    xp(param).maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                    denom = xp(param).sqrt(max_exp_avg_sq)
                else:
                    denom = xp(param).sqrt(exp_avg_sq)
                denom /= bias_correction2_sqrt
                denom += eps
                update = -step_size * exp_avg  # (-step_size * m) / denom, torch's addcdiv order
                update /= denom
                param += update
                p._bump_version()
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (default ``weight_decay=1e-2``), as ``torch.optim.AdamW``."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False, foreach=None,
                 capturable: bool = False, differentiable: bool = False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
