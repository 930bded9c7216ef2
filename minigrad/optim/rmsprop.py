"""RMSprop: divide the gradient by a running root-mean-square of recent gradients (Hinton, lecture 6e;
the centered form from Graves, arXiv:1308.0850).

The update for one parameter ``p`` with gradient ``g`` (torch's ``_single_tensor_rmsprop``):

    g <- -g                                    if maximize
    g <- g + weight_decay * p                  if weight_decay != 0
    s <- alpha * s + (1 - alpha) * g * g
    a <- a + (1 - alpha) * (g - a);  avg = sqrt(s - a * a) + eps     if centered
    avg = sqrt(s) + eps                                               otherwise
    b <- momentum * b + g / avg;  p <- p - lr * b                     if momentum > 0
    p <- p - lr * g / avg                                             otherwise
"""
from __future__ import annotations

from ..backend import xp
from .optimizer import (Optimizer, _regularised, _check_flags, _check_lr, _increment, _lerp_, _params_with_grad,
                        _scalar, _step_tensor, _zeros_like)


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``.

    Example::

        >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = minigrad.optim.RMSprop([w], lr=0.01, alpha=0.99)
        >>> (w * w).sum().backward(); opt.step()   # g / sqrt(0.01 g^2) = 10 sign(g)
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, capturable: bool = False, foreach=None,
                 maximize: bool = False, differentiable: bool = False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_flags(capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, alpha, eps, momentum = _scalar(group["lr"]), group["alpha"], group["eps"], group["momentum"]
            weight_decay, centered, maximize = group["weight_decay"], group["centered"], group["maximize"]
            for p in _params_with_grad(group):
                param, grad = p._data, p._grad._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if centered:
                        state["grad_avg"] = _zeros_like(p)
                _increment(state["step"])
                grad = _regularised(param, grad, weight_decay, maximize)
                square_avg = state["square_avg"]._data
                square_avg *= alpha
                square_avg += (1 - alpha) * grad * grad
                if centered:
                    grad_avg = _lerp_(state["grad_avg"]._data, grad, 1 - alpha)
                    avg = xp(square_avg).sqrt(square_avg - grad_avg * grad_avg)
                else:
                    avg = xp(square_avg).sqrt(square_avg)
                avg += eps
                if momentum > 0:
                    buffer = state["momentum_buffer"]._data
                    buffer *= momentum
                    buffer += grad / avg
                    param -= lr * buffer
                else:
                    update = -lr * grad  # (-lr * g) / avg, torch's addcdiv order
                    update /= avg
                    param += update
                p._bump_version()
        return loss
