"""Gradient clipping, as torch.nn.utils.clip_grad: rescale (or clamp) the ``.grad`` of parameters in place.

``clip_grad_norm_``: the total norm is the p-norm of the per-parameter p-norms (= the p-norm of all
gradients as one vector); every gradient is multiplied by min(1, max_norm / (total + 1e-6)), the same
coefficient for all, so the direction of the whole update is kept. ``foreach`` is accepted and
ignored (there is one code path).
"""
from __future__ import annotations

import warnings

import numpy

from ... import backend
from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor
from ..functional.distance import vector_norm

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm"]


def _as_list(parameters) -> list:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The ``norm_type``-norm of the norms of ``tensors`` (a 0-d tensor; 0. for no tensors)."""
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(numpy.asarray(0.0, dtype=numpy.float32))
    with no_grad():
        norms = [vector_norm(t.detach(), norm_type) for t in tensors]
        first = norms[0]
        stacked = Tensor._make(backend.xp(first._data).stack(
            [backend.to_device(n._data, first.device).astype(first._data.dtype) for n in norms]))
        total = vector_norm(stacked, norm_type)
    value = float(total.item())
    if error_if_nonfinite and (value != value or value in (float("inf"), float("-inf"))):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Multiply every ``.grad`` by min(1, max_norm / (total_norm + 1e-6))."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    with no_grad():
        total = total_norm._data
        coefficient = backend.xp(total).minimum(max_norm / (total + 1e-6), 1.0)
        for grad in grads:
            data = grad._data
            with numpy.errstate(invalid="ignore"):  # a non-finite norm gives nan gradients, silently as torch
                data *= backend.to_device(coefficient, grad.device).astype(data.dtype)
            grad._bump_version()


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Rescale the gradients of ``parameters`` in place so that their total ``norm_type``-norm is at most
    ``max_norm``; returns the total norm before clipping.

    >>> clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """Deprecated alias of ``clip_grad_norm_`` (torch's warning)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is None:
            continue
        data = p.grad._data
        backend.xp(data).clip(data, -clip_value, clip_value, out=data)
        p.grad._bump_version()
