"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay.

The update for one parameter ``p`` with gradient ``g`` (torch's ``_single_tensor_sgd``, step for step):

    g <- -g                                  if maximize
    g <- g + weight_decay * p                if weight_decay != 0
    b <- g  (first step),  b <- momentum * b + (1 - dampening) * g  (later steps)   if momentum != 0
    g <- g + momentum * b  if nesterov,  else  g <- b                                if momentum != 0
    p <- p - lr * g
"""
from __future__ import annotations

from ..autograd.tensor import Tensor
from ..backend import xp
from .optimizer import Optimizer, _regularised, _check_flags, _check_lr, _scalar, _params_with_grad


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Example::

        >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = minigrad.optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True)
        >>> (w * w).sum().backward(); opt.step()
        >>> w    # w - 0.1 * (g + 0.9 * g) with g = 2 w
        tensor([ 0.6200, -1.2400], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None):
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_flags(differentiable=differentiable, fused=fused)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum, dampening = _scalar(group["lr"]), group["momentum"], group["dampening"]
            weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for p in _params_with_grad(group):
                param, grad = p._data, p._grad._data
                grad = _regularised(param, grad, weight_decay, maximize)
                if momentum != 0:
                    state = self.state[p]
                    buffer = state.get("momentum_buffer")
                    if buffer is None:
                        # (a copy that is an array even for 0-d parameters, where NumPy math gives scalars)
                        state["momentum_buffer"] = buffer = Tensor._make(xp(param).array(grad, dtype=param.dtype))
                    else:
                        buf = buffer._data
                        buf *= momentum
                        buf += grad if dampening == 0 else (1 - dampening) * grad
                    grad = grad + momentum * buffer._data if nesterov else buffer._data
                param -= lr * grad
                p._bump_version()
        return loss
