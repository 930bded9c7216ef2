"""Activation functions with torch.nn.functional's names and signatures.

Most are primitives of ``minigrad.ops`` (relu, leaky_relu, softplus, sigmoid, tanh, softmax,
log_softmax) or short compositions of them (elu, gelu, silu); this file adds the torch signatures
(``inplace``, ``dim=None`` for softmax) and the few that are compositions: relu6, hardtanh,
logsigmoid, softmin, and torch's other pointwise activations (selu, celu, prelu, rrelu, hardswish,
hardsigmoid, hardshrink, softshrink, tanhshrink, softsign, mish, threshold), glu and gumbel_softmax.

Where torch's gradient at a kink differs from the one a plain composition would give, the
composition is chosen to give torch's (noted at each function): ``where(x > t, ...)`` passes no
gradient at ``x == t`` from the branch not taken.

``inplace=True`` writes the result into the input's memory (``x.relu_()`` ...), as torch.
"""
from __future__ import annotations

import warnings

import numpy as np

from ... import backend
from ... import random as _random
from ...autograd.tensor import Tensor
from ...ops.inplace import apply_ as _apply_inplace
from ...ops import elementwise as E
from ...ops import reduction as R

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "gelu", "silu", "sigmoid", "tanh",
           "softmax", "log_softmax", "softmin", "softplus", "hardtanh", "hardtanh_", "logsigmoid",
           "threshold", "threshold_", "selu", "celu", "prelu", "rrelu", "hardswish", "hardsigmoid", "hardshrink",
           "softshrink", "tanhshrink", "softsign", "mish", "glu", "gumbel_softmax"]


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
    if input.numel() == 0:
        return _empty_like_result(input, dtype)
    return R.softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("softmin", input.dim())
    if input.numel() == 0:
        return _empty_like_result(input, dtype)
    return R.softmax(-input if dtype is None else -input.to(dtype), dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x_i - log sum_j exp(x_j) along ``dim``, computed stably."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim())
    if input.numel() == 0:
        return _empty_like_result(input, dtype)
    return R.log_softmax(input, dim, dtype=dtype)


def _empty_like_result(input: Tensor, dtype) -> Tensor:
    """The (empty) result of a softmax over an input with no entries: no max to shift by, nothing to do."""
    return (input if dtype is None else input.to(dtype)) * 1.0


# ---- torch's other pointwise activations ------------------------------------------------------

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha), with Klambauer et al.'s constants (arXiv:1706.02515)."""
    return _maybe_inplace(lambda x: E.elu(x, _SELU_ALPHA) * _SELU_SCALE, input, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)) = alpha elu(x / alpha) (Barron, arXiv:1704.07483)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    def scaled_elu(x):
        result = E.elu(x / alpha if alpha != 1 else x, 1.0)
        return result * alpha if alpha != 1 else result
    return _maybe_inplace(scaled_elu, input, inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, weight * x elsewhere; ``weight`` has 1 or C (= input.shape[1]) entries."""
    channels = input.shape[1] if input.dim() >= 2 else 1
    n_weights = weight.numel()
    if n_weights != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        if n_weights != channels:
            raise RuntimeError("Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{n_weights} and channel size = {channels}.")
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    if n_weights == 1:
        slope = weight.reshape(())
    else:
        slope = weight.reshape((channels,) + (1,) * (input.dim() - 2))     # (C, 1, ...): broadcasts over d1 ...
    # x > 0 strictly: at x = 0 the gradient is weight's, as torch
    return E.where(input > 0, input, input * slope)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU (Xu et al., arXiv:1505.00853): in training, x <= 0 is multiplied by a slope
    drawn uniformly from [lower, upper] per element; in evaluation the slope is (lower + upper) / 2."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return _maybe_inplace(lambda x: E.leaky_relu(x, (lower + upper) / 2), input, inplace)
    rng = _random.generator(input.device)
    slopes = lower + (upper - lower) * rng.random(tuple(input.shape))             # U[lower, upper)
    noise = Tensor._make(backend.xp(input._data).where(input._data > 0, 1, slopes).astype(input._data.dtype))
    return _maybe_inplace(lambda x: x * noise, input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6 (Howard et al., MobileNetV3, arXiv:1905.02244).

    torch's gradient is x / 3 + 1/2 strictly inside (-3, 3), 0 at and below -3, 1 at and above 3:
    the branches are chosen with ``<=`` / ``<`` to give exactly that.
    """
    def hardswish_of(x):
        middle = x * (x + 3) / 6
        return E.where(x <= -3, 0.0, E.where(x < 3, middle, x))
    return _maybe_inplace(hardswish_of, input, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6; gradient 1/6 strictly inside (-3, 3), 0 elsewhere (torch's)."""
    return _maybe_inplace(lambda x: hardtanh(x + 3, 0.0, 6.0) / 6, input, inplace)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, 0 elsewhere."""
    return E.where((input > lambd) | (input < -lambd), input, 0.0)


def _float_max(input: Tensor) -> tuple:
    info = np.finfo(input._data.dtype)
    return float(info.max), {"float32": "Float", "float64": "Double", "float16": "Half"}[info.dtype.name]


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd where x > lambd, x + lambd where x < -lambd, 0 elsewhere."""
    largest, type_name = _float_max(input)
    if not 0 <= lambd <= largest:
        raise RuntimeError(f"lambda must be in range [0, {largest:g}] for input dtype {type_name}, "
                           f"but found {lambd:g}")
    return E.where(input > lambd, input - lambd, E.where(input < -lambd, input + lambd, 0.0))


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - E.tanh(input)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (E.abs(input) + 1)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)) (Misra, arXiv:1908.08681)."""
    return _maybe_inplace(lambda x: x * E.tanh(E.softplus(x, 1.0, 20.0)), input, inplace)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit (Dauphin et al., arXiv:1612.08083): a * sigmoid(b), a and b the halves of ``dim``."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    ndim = input.dim()
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    dim = dim % ndim
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {size}")
    first, second = input.narrow(dim, 0, size // 2), input.narrow(dim, size // 2, size // 2)
    return first * E.sigmoid(second)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """softmax((logits + g) / tau) with g ~ Gumbel(0, 1) (Jang et al., arXiv:1611.01144).

    ``hard=True`` returns the one-hot of the argmax with the soft sample's gradient (straight through).
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    rng = _random.generator(logits.device)
    exponential = rng.standard_exponential(tuple(logits.shape))
    gumbels = Tensor._make(-backend.xp(logits._data).log(exponential).astype(logits._data.dtype))
    return _gumbel_softmax_from_noise(logits, gumbels, tau, hard, dim)


def _gumbel_softmax_from_noise(logits: Tensor, gumbels: Tensor, tau: float, hard: bool, dim: int) -> Tensor:
    y_soft = R.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    xp = backend.xp(logits._data)
    axis = dim % max(logits.dim(), 1)
    data = y_soft._data if logits.dim() else y_soft._data.reshape(1)
    index = xp.expand_dims(data.argmax(axis=axis), axis)                          # (..., 1, ...)
    positions = xp.arange(data.shape[axis]).reshape([-1 if d == axis else 1 for d in range(data.ndim)])
    one_hot = (positions == index).astype(data.dtype)
    y_hard = Tensor._make(one_hot.reshape(y_soft._data.shape))
    return y_hard - y_soft.detach() + y_soft
