"""Normalisation: ``batch_norm``, ``layer_norm``, ``group_norm``, ``instance_norm``, ``normalize``, ``rms_norm``.

Batch norm in training mode is the primitive ``minigrad.ops.normalization.BatchNormTrain`` (its
formulas and fused backward are written there); here are the argument checks, the running
statistics and evaluation mode, an affine map per channel written with ordinary operations. The
other normalisations are written with ordinary operations too.
"""
from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor
from ...ops.linalg import vector_norm
from ...ops.elementwise import rsqrt
from ...ops.normalization import BatchNormTrain, _channel_view

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "normalize", "rms_norm"]


def _verify_batch_size(shape) -> None:
    size_prods = shape[0]
    for s in shape[2:]:
        size_prods *= s
    if size_prods == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {shape}")


def _check_same_dtype_as_input(input: Tensor, *others) -> None:
    """torch's CPU kernels refuse parameters of another dtype than the input (float32 weights with a
    float64 input would otherwise silently promote the output)."""
    for t in others:
        if t is not None and t.dtype != input.dtype:
            if input.dtype.name == "float32":
                raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) of ``input``.

    In training (or without running statistics) the batch's statistics are used and the running
    ones, if given, are updated in place: running = (1 - momentum) * running + momentum * batch, with
    the *unbiased* batch variance for ``running_var``. Otherwise the running statistics are used.

    >>> batch_norm(minigrad.randn(8, 3), None, None, training=True).mean(0)   # ~ 0
    """
    channels = input.shape[1] if input.dim() > 1 else 0  # torch: a 1-D input has no channels
    if input.numel() == 0 or input.dim() < 2:
        # nothing to normalise: torch returns the empty input and leaves the running statistics alone
        for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
            if t is not None and t.numel() != channels:
                raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
        if input.numel():
            raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got 1)")
        return input.clone()
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    _check_same_dtype_as_input(input, weight, bias, running_mean, running_var)
    if training:
        _verify_batch_size(input.shape)
    if training or running_mean is None or running_var is None:
        out, stats = _batch_norm_train(input, weight, bias, eps)
        if training and running_mean is not None and running_var is not None:
            mean, var, count = stats
            with no_grad():
                unbiased = var * (count / (count - 1))  # count > 1: checked above
                _blend_into(running_mean, mean, momentum)
                _blend_into(running_var, unbiased, momentum)
        return out
    # evaluation: y = x * scale + shift per channel, scale = weight / sqrt(running_var + eps)
    view = _channel_view(tuple(input.shape), input.dim())
    scale = rsqrt(running_var + eps)
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return input * scale.reshape(view) + shift.reshape(view)


def _batch_norm_train(input, weight, bias, eps):
    """Run the primitive and return (output, (batch mean, biased var, count)) as arrays."""
    stats = []
    out = BatchNormTrain.apply(input, weight, bias, eps, stats)
    return out, stats[0]


def _blend_into(running: Tensor, batch_value, momentum: float) -> None:
    """running <- (1 - momentum) * running + momentum * batch_value, in place."""
    data = running._data
    data *= (1.0 - momentum)
    data += (momentum * batch_value).astype(data.dtype, copy=False)
    running._bump_version()


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims: (x - mean) / sqrt(var + eps) * weight + bias."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or tuple(input.shape[-k:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size"
                           f"{list(input.shape)}")
    _check_same_dtype_as_input(input, weight, bias)
    dims = tuple(range(input.dim() - k, input.dim()))
    mean = input.mean(dims, keepdim=True)
    centred = input - mean
    var = (centred * centred).mean(dims, keepdim=True)
    out = centred * rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each group of C/G channels of each sample (Wu & He, 2018), then scale per channel."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {list(input.shape)} and num_groups={num_groups}")
    rest = c // num_groups * int(np.prod(input.shape[2:], dtype=np.int64))
    grouped = input.reshape(n, num_groups, rest)                     # (N, G, C/G * R), N or R may be 0
    mean = grouped.mean(2, keepdim=True)
    centred = grouped - mean
    var = (centred * centred).mean(2, keepdim=True)
    out = (centred * rsqrt(var + eps)).reshape(input.shape)
    view = _channel_view(tuple(input.shape), input.dim())
    if weight is not None:
        out = out * weight.reshape(view)
    if bias is not None:
        out = out + bias.reshape(view)
    return out


def instance_norm(input: Tensor, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial positions."""
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    dims = tuple(range(2, input.dim()))
    mean = input.mean(dims, keepdim=True)
    centred = input - mean
    var = (centred * centred).mean(dims, keepdim=True)
    out = centred * rsqrt(var + eps)
    if running_mean is not None and running_var is not None:
        count = int(np.prod(input.shape[2:]))
        with no_grad():
            batch_mean = mean._data.reshape(input.shape[0], input.shape[1]).mean(0)
            batch_var = var._data.reshape(input.shape[0], input.shape[1]).mean(0) * (count / max(count - 1, 1))
            _blend_into(running_mean, batch_mean, momentum)
            _blend_into(running_var, batch_var, momentum)
    view = _channel_view(tuple(input.shape), input.dim())
    if weight is not None:
        out = out * weight.reshape(view)
    if bias is not None:
        out = out + bias.reshape(view)
    return out


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``. A zero row's norm has gradient 0 (torch's rule for norm at 0),
    so the row's gradient is 1 / eps, finite, as torch's."""
    norm = vector_norm(input, p, dim, keepdim=True)  # torch's norm gradients: 0 at a zero norm, any p
    return input / norm.clamp(min=eps)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) * weight over the last ``len(normalized_shape)`` dims (Zhang & Sennrich,
    arXiv:1910.07467). ``eps=None`` is the dtype's machine epsilon, as torch."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if k == 0:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    if weight is not None and tuple(weight.shape) != normalized_shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(normalized_shape)}")
    if input.dim() < k or tuple(input.shape[-k:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*{', '.join(str(s) for s in normalized_shape)}], but got input of size"
                           f"{list(input.shape)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.dim() - k, input.dim()))
    out = input * rsqrt((input * input).mean(dims, keepdim=True) + eps)     # (..., 1, ..., 1) broadcast
    return out * weight if weight is not None else out
