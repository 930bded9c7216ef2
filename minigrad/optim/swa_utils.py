"""Stochastic weight averaging (Izmailov et al., arXiv:1803.05407) and exponential moving averages of a
model's weights, as ``torch.optim.swa_utils``:

* ``AveragedModel(model)`` keeps a copy of ``model`` whose parameters are the running average of the
  values ``update_parameters(model)`` sees (equal weights by default, or ``avg_fn`` / ``multi_avg_fn``,
  e.g. ``get_ema_multi_avg_fn(0.999)`` for an EMA);
* ``update_bn(loader, model)`` recomputes BatchNorm running statistics for the averaged weights (a
  cumulative average over one pass of ``loader``);
* ``SWALR`` anneals each group's rate from its current value to ``swa_lr`` over ``anneal_epochs``.

    >>> swa_model = minigrad.optim.swa_utils.AveragedModel(model)
    >>> swa_scheduler = minigrad.optim.swa_utils.SWALR(optimizer, swa_lr=0.05)
    >>> for epoch in range(100):
    ...     train_one_epoch(model, optimizer)
    ...     if epoch >= 75:
    ...         swa_model.update_parameters(model); swa_scheduler.step()
    >>> minigrad.optim.swa_utils.update_bn(loader, swa_model)
"""
from __future__ import annotations

import itertools
import math
import warnings
from copy import deepcopy

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..nn.modules.module import Module
from ..nn.modules.normalization import _BatchNorm
from .lr_scheduler import LRScheduler, _format_param
from .optimizer import Optimizer, _lerp_

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def get_ema_multi_avg_fn(decay: float = 0.999):
    """In place, for lists of tensors: ``ema <- ema + (1 - decay) * (current - ema)`` (torch's lerp)."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        for ema, current in zip(ema_param_list, current_param_list):
            if ema._data.dtype.kind == "f":
                _lerp_(ema._data, current._data, 1 - decay)
            else:
                ema._data[...] = ema._data * decay + current._data * (1 - decay)
    return ema_update


def get_swa_multi_avg_fn():
    """In place, for lists of tensors: the running mean ``avg <- avg + (current - avg) / (n + 1)``."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = int(num_averaged.item() if isinstance(num_averaged, Tensor) else num_averaged)
        weight = 1 / (n + 1)
        if isinstance(num_averaged, Tensor):  # torch: 1 / (int64 tensor + 1) is a float32 tensor
            weight = float(np.float32(weight))
        for averaged, current in zip(averaged_param_list, current_param_list):
            if averaged._data.dtype.kind == "f":
                _lerp_(averaged._data, current._data, weight)
            else:
                averaged._data[...] = averaged._data + (current._data - averaged._data) / (n + 1)
    return swa_update


def get_ema_avg_fn(decay: float = 0.999):
    """``decay * ema + (1 - decay) * current``, a new tensor."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """``averaged + (current - averaged) / (num_averaged + 1)``, a new tensor."""
    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` holding the average of the weights passed to ``update_parameters``.

    ``n_averaged`` (an int64 buffer) counts the updates; the first copies the weights. Buffers (e.g.
    BatchNorm statistics) are copied from the model each update, or averaged too when ``use_buffers``.
    """

    def __init__(self, model: Module, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        n_averaged = Tensor._make(np.array(0, dtype=np.int64))
        self.register_buffer("n_averaged", n_averaged if device is None else n_averaged.to(device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average."""
        if self.use_buffers:
            self_params = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            model_params = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            self_params, model_params = list(self.parameters()), list(model.parameters())
        pairs = [(p.detach(), q.detach().to(p.device)) for p, q in zip(self_params, model_params)]
        n_averaged = int(self.n_averaged.item())
        with no_grad():
            if n_averaged == 0:
                for averaged, current in pairs:
                    averaged.copy_(current)
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn([a for a, _ in pairs], [c for _, c in pairs], self.n_averaged)
            else:
                avg_fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
                for averaged, current in pairs:
                    averaged.copy_(avg_fn(averaged, current, self.n_averaged))
            if not self.use_buffers:
                for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                    b_swa.detach().copy_(b_model.detach().to(b_swa.device))
        self.n_averaged._data += 1


def update_bn(loader, model: Module, device=None) -> None:
    """Recompute every BatchNorm's running statistics over one pass of ``loader`` (a cumulative average:
    momentum ``None``), in training mode, then restore the momenta and the model's mode."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's rate to ``swa_lr`` over ``anneal_epochs`` epochs ('cos' or 'linear'), then hold it."""

    def __init__(self, optimizer: Optimizer, swa_lr, anneal_epochs=10, anneal_strategy: str = "cos",
                 last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list:
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)
        # the rate before annealing, recovered from the current one, then annealed one step further
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
