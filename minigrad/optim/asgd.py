"""ASGD: averaged stochastic gradient descent (Polyak & Juditsky, SIAM J. Control Optim. 1992), with
torch's decaying step ``eta_t`` and averaging from step ``t0`` on.

The update for one parameter ``p`` with gradient ``g`` at step ``t`` (torch's ``_single_tensor_asgd``;
``eta`` and ``mu`` are float32 scalars, as torch keeps them):

    g <- -g                                   if maximize
    g <- g + weight_decay * p                 if weight_decay != 0
    p <- p * (1 - lambd * eta);  p <- p - eta * g
    ax <- ax + mu * (p - ax)   (ax <- p while mu == 1)
    eta <- lr / (1 + lambd * lr * t) ** alpha;  mu <- 1 / max(1, t - t0)
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from .optimizer import (Optimizer, _regularised, _check_flags, _check_lr, _increment, _params_with_grad, _scalar,
                        _step_tensor, _zeros_like)


class ASGD(Optimizer):
    """Averaged SGD, as ``torch.optim.ASGD`` (state ``step``, ``eta``, ``mu``, ``ax``: the average).

    Example::

        >>> w = minigrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = minigrad.optim.ASGD([w], lr=0.1, t0=0)
        >>> (w * w).sum().backward(); opt.step()
        >>> opt.state[w]['ax']    # the running average of the iterates
    """

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0, foreach=None, maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False):
        _check_lr(lr)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_flags(capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = _scalar(group["lr"]), group["lambd"], group["alpha"], group["t0"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in _params_with_grad(group):
                param, grad = p._data, p._grad._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["eta"] = Tensor._make(np.array(lr, dtype=np.float32))
                    state["mu"] = Tensor._make(np.ones((), dtype=np.float32))
                    state["ax"] = _zeros_like(p)
                step = _increment(state["step"])
                grad = _regularised(param, grad, weight_decay, maximize)
                eta, mu, ax = state["eta"]._data, state["mu"]._data, state["ax"]._data
                eta_value = float(eta)
                param *= 1 - lambd * eta_value
                param += -eta_value * grad
                if float(mu) != 1:
                    ax += (param - ax) * float(mu)  # (mu's value, exactly, in the parameter's dtype)
                else:
                    ax[...] = param
                # through float32 even when a loaded state holds them in float64: torch writes
                # torch.as_tensor(python float), a tensor of the default dtype, into them
                eta[...] = np.float32(lr / ((1 + lambd * lr * step) ** alpha))
                mu[...] = np.float32(1 / max(1, step - t0))
                p._bump_version()
        return loss
