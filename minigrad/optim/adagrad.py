"""Adagrad: per-coordinate learning rates from the sum of squared gradients (Duchi, Hazan & Singer,
JMLR 2011).

The update for one parameter ``p`` with gradient ``g`` at step ``t`` (torch's ``_single_tensor_adagrad``):

    g <- -g                                   if maximize
    g <- g + weight_decay * p                 if weight_decay != 0
    clr = lr / (1 + (t - 1) * lr_decay)
    s <- s + g * g                            (s starts at initial_accumulator_value)
    p <- p - clr * g / (sqrt(s) + eps)
"""
from __future__ import annotations

from ..autograd.tensor import Tensor
from ..backend import xp
from .optimizer import (Optimizer, _regularised, _check_flags, _check_lr, _increment, _params_with_grad, _scalar,
                        _step_tensor)


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad`` (its state is made when the optimiser is made, as torch's).

    Example::

        >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = minigrad.optim.Adagrad([w], lr=0.5)
        >>> (w * w).sum().backward(); opt.step()   # g / sqrt(g^2) = sign(g)
        >>> w
        tensor([ 0.5000, -1.5000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False, fused=None):
        _check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_flags(differentiable=differentiable, fused=fused)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Tensor, group: dict) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_tensor()
            state["sum"] = Tensor._make(xp(p._data).full_like(p._data, group["initial_accumulator_value"]))
        return state

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = _scalar(group["lr"]), group["lr_decay"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in _params_with_grad(group):
                param, grad = p._data, p._grad._data
                state = self._init_state(p, group)  # a group added later gets its state here
                step = _increment(state["step"])
                grad = _regularised(param, grad, weight_decay, maximize)
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]._data
                state_sum += grad * grad
                std = xp(state_sum).sqrt(state_sum)
                std += eps
                update = -clr * grad  # (-clr * g) / std, torch's addcdiv order
                update /= std
                param += update
                p._bump_version()
        return loss
