"""Activation functions with torch.nn.functional's names and signatures.

Most are primitives of ``minigrad.ops`` (relu, leaky_relu, softplus, sigmoid, tanh, softmax,
log_softmax) or short compositions of them (elu, gelu, silu); this file adds the torch signatures
(``inplace``, ``dim=None`` for softmax) and the few that are compositions: relu6, hardtanh,
logsigmoid, softmin.

``inplace=True`` writes the result into the input's memory (``x.relu_()`` ...), as torch.
"""
from __future__ import annotations

import warnings

from ...autograd.tensor import Tensor
from ...ops.inplace import apply_ as _apply_inplace
from ...ops import elementwise as E
from ...ops import reduction as R

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "gelu", "silu", "sigmoid", "tanh",
           "softmax", "log_softmax", "softmin", "softplus", "hardtanh", "hardtanh_", "logsigmoid",
           "threshold", "threshold_"]


def _maybe_inplace(function, input: Tensor, inplace: bool, *args, saves_result: bool = False,
                   saves_input: bool = True) -> Tensor:
    """``function(input, *args)``, or, with ``inplace``, computed from a snapshot of ``input`` and
    written into it (``ops.inplace.apply_``): then the graph and version counters are torch's (an
    in-place activation on a non-leaf keeps backward working; ``saves_result`` where torch's node
    keeps the result, so a later in-place change of it raises on backward, as in torch)."""
    if inplace:
        return _apply_inplace(function, input, *args, saves_result=saves_result, saves_input=saves_input)
    return function(input, *args)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return _maybe_inplace(E.relu, input, inplace, saves_result=True, saves_input=False)


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """min(max(x, min_val), max_val)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    # torch's gradient passes only strictly inside (min_val, max_val), unlike clamp's, which
    # includes the ends: so the value comes from a constant clamp wherever x is not strictly inside.
    return _maybe_inplace(_hardtanh, input, inplace, min_val, max_val)


def _hardtanh(input: Tensor, min_val: float, max_val: float) -> Tensor:
    inside = (input > min_val) & (input < max_val)
    return E.where(inside, input, E.clamp(input.detach(), min_val, max_val))


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, value elsewhere (the gradient passes where x > threshold)."""
    return _maybe_inplace(_threshold, input, inplace, threshold, value)


def _threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    return E.where(input > threshold, input, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _maybe_inplace(_threshold, input, True, threshold, value)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, negative_slope * x elsewhere."""
    return _maybe_inplace(E.leaky_relu, input, inplace, negative_slope, saves_result=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, alpha * (exp(x) - 1) elsewhere."""
    return _maybe_inplace(E.elu, input, inplace, alpha, saves_result=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (``approximate='none'``) or its tanh approximation (``'tanh'``)."""
    return E.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (a.k.a. swish)."""
    return _maybe_inplace(E.silu, input, inplace)


def sigmoid(input: Tensor) -> Tensor:
    return E.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return E.tanh(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold."""
    return E.softplus(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for large |x|."""
    return -E.softplus(-input, 1.0, 20.0)


def _softmax_dim(name: str, ndim: int) -> int:
    # torch's legacy rule (torch/nn/functional.py, _get_softmax_dim) for an implicit dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim())
    return R.softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("softmin", input.dim())
    return R.softmax(-input if dtype is None else -input.to(dtype), dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x_i - log sum_j exp(x_j) along ``dim``, computed stably."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim())
    return R.log_softmax(input, dim, dtype=dtype)
