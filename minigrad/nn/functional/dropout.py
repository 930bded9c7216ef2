"""Dropout: zero entries (or whole channels) with probability p during training, scale the rest by 1/(1-p).

The keep-mask is drawn from minigrad's seeded generator for the input's device; the op is then an
ordinary multiplication by a constant mask, so its gradient is the same mask.
"""
from __future__ import annotations

import warnings

from ... import random as _random
from ...autograd.tensor import Tensor
from ...ops.inplace import write as _inplace

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout"]


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _masked(input: Tensor, p: float, mask_shape: tuple, inplace: bool) -> Tensor:
    """input * mask / (1 - p), mask ~ Bernoulli(1 - p) of ``mask_shape`` (broadcast over the rest)."""
    rng = _random.generator(input.device)
    if p == 1.0:
        scaled_mask = (rng.random(mask_shape) < 0).astype(input._data.dtype)   # all zeros
    else:
        scaled_mask = ((rng.random(mask_shape) >= p) * (1.0 / (1.0 - p))).astype(input._data.dtype)
    out = input * Tensor._make(scaled_mask)
    return _inplace(input, out) if inplace else out


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each entry with probability ``p`` (when ``training``), scaling survivors by 1/(1-p)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _masked(input, p, tuple(input.shape), inplace)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, batched: bool) -> Tensor:
    _check_p(p)
    if not training or p == 0.0:
        return input
    channel_dims = 2 if batched else 1
    mask_shape = tuple(input.shape[:channel_dims]) + (1,) * (input.dim() - channel_dims)   # (N, C, 1, ...)
    return _masked(input, p, mask_shape, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, batched=input.dim() == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels (feature maps) of (N, C, H, W) input; a 3-D input is read as (N, C, L), as torch."""
    _check_p(p)
    if input.dim() not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.dim()}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on "
                      "inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if input.dim() == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, batched=input.dim() >= 2)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    return _feature_dropout(input, p, training, inplace, batched=input.dim() != 4)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance (Klambauer et al., 2017)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:  # every unit dropped: zeros (torch's input.mul(0)); the scale below would divide by 0
        out = input * 0.0
        return _inplace(input, out) if inplace else out
    alpha_prime = -1.7580993408473766   # -selu scale * selu alpha
    keep = _random.generator(input.device).random(tuple(input.shape)) >= p
    a = ((1 - p) * (1 + p * alpha_prime ** 2)) ** -0.5
    b = -a * alpha_prime * p
    keep_t = Tensor._make(keep.astype(input._data.dtype))
    out = (input * keep_t + alpha_prime * (1 - keep_t)) * a + b
    return _inplace(input, out) if inplace else out
