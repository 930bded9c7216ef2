"""Loss functions with torch.nn.functional's names, signatures and reductions.

Letters: N = batch, C = classes, d1 ... = extra dims of an N-d input (N, C, d1, ...).

Every loss is numerically stable for large logits: ``cross_entropy`` works on ``log_softmax`` (the
max-shifted log-sum-exp) and picks the target's log-probability with a gather instead of a one-hot
product; ``binary_cross_entropy_with_logits`` uses (1 - t) x + softplus(-x), never log(sigmoid(x)).

Reductions: ``'none'`` keeps one loss per element (per sample for classification), ``'sum'`` adds
them, ``'mean'`` averages them (for weighted classification losses, divides by the sum of the
weights of the targets, as torch).

The two loss primitives, cross entropy of logits against class indices (forward and backward fused)
and binary cross entropy, are in ``minigrad.ops.loss``; here are their argument checks and reductions.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ... import backend
from ...dtypes import torch_scalar_name
from ...autograd.tensor import Tensor
from ...ops.elementwise import abs as _abs
from ...ops.elementwise import clamp, exp, log, log1p, minimum, softplus, sqrt, where
from ...ops.loss import BinaryCrossEntropy, CrossEntropyIndices
from ...ops.reduction import Gather, log_softmax
from .distance import _broadcast_shape, pairwise_distance

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "margin_ranking_loss",
           "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss", "cosine_embedding_loss",
           "multi_margin_loss", "multilabel_margin_loss", "triplet_margin_loss", "poisson_nll_loss",
           "gaussian_nll_loss", "triplet_margin_with_distance_loss"]

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce) -> str:
    """torch's mapping of the deprecated ``size_average`` / ``reduce`` flags to ``reduction``."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{result}' instead.")
    return result


def _resolve_reduction(reduction: str, size_average=None, reduce=None) -> str:
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.mean()


def _constant(array, like: Tensor) -> Tensor:
    """A constant tensor with ``like``'s dtype (no gradient)."""
    return Tensor._make(backend.xp(like._data).asarray(array, dtype=like._data.dtype))


# ---- classification ---------------------------------------------------------------------------

def _check_targets(target_array, n_classes: int, ignore_index: int) -> None:
    valid = target_array[target_array != ignore_index]
    if valid.size and (int(valid.min()) < 0 or int(valid.max()) >= n_classes):
        bad = int(valid.max()) if int(valid.max()) >= n_classes else int(valid.min())
        raise IndexError(f"Target {bad} is out of bounds.")


def _check_index_target_dtype(target: Tensor) -> None:
    """Class indices are int64 (or uint8), as torch's kernels require; int32 is refused, not cast."""
    if not target.is_floating_point() and target._data.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {torch_scalar_name(target.dtype)}")


def _check_floating_input(input: Tensor, kernel: str) -> None:
    if not input.is_floating_point():
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_scalar_name(input.dtype)}\'')


def _check_batch(input: Tensor, target: Tensor) -> None:
    if input.dim() >= 2 and (target.dim() == 0 or input.shape[0] != target.shape[0]):
        got = target.shape[0] if target.dim() else 0
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({got}).")
    expected = tuple(input.shape[:1]) + tuple(input.shape[2:]) if input.dim() >= 2 else ()
    if tuple(target.shape) != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")


def _pick(log_probs: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int):
    """Per-element -w[t] * log_probs[t] along the class dim, and the per-element weights (array).

    The gather costs O(N) instead of a one-hot product's O(N C).
    """
    class_dim = 1 if log_probs.dim() >= 2 else 0
    t = target._data
    xp = backend.xp(t)
    keep = t != ignore_index                                          # (N, d1, ...)
    all_kept = bool(keep.all())
    safe_t = t if all_kept else xp.where(keep, t, 0)
    index = xp.expand_dims(safe_t, class_dim)                         # (N, 1, d1, ...)
    picked = Gather.apply(log_probs, class_dim, index)                # (N, 1, d1, ...)
    picked = picked.reshape(t.shape)                                  # (N, d1, ...)
    dtype = log_probs._data.dtype
    if weight is None:
        weights = None if all_kept else keep.astype(dtype)
    else:
        weights = weight._data.astype(dtype, copy=False)[safe_t] * keep
    losses = -picked if weights is None else -picked * Tensor._make(weights)
    return losses, weights, keep


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices: loss_i = -w[t_i] * input[i, t_i].

    ``input`` holds log-probabilities, (N, C), (C,) or (N, C, d1, ...); ``target`` class indices.
    ``'mean'`` divides by the sum of the weights of the non-ignored targets.
    """
    reduction = _resolve_reduction(reduction, size_average, reduce)
    if target.is_floating_point():
        raise RuntimeError(f"expected scalar type Long but found {target.dtype.name.capitalize()}")
    _check_index_target_dtype(target)
    _check_batch(input, target)
    _check_floating_input(input, "nll_loss_out_frame" if input.dim() <= 2 else "nll_loss2d_forward_out_frame")
    n_classes = input.shape[1] if input.dim() >= 2 else input.shape[0]
    if weight is not None and weight.numel() != n_classes:
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes "
                           f"but got weight tensor of shape: {list(weight.shape)}")
    _check_targets(target._data, n_classes, ignore_index)
    losses, weights, _ = _pick(input, target, weight, ignore_index)
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    if weights is None:
        return total / losses.numel() if losses.numel() else total + _constant(float("nan"), total)
    denominator = weights.sum()
    if denominator == 0:  # every target ignored: the loss is NaN, as torch's, yet its gradient 0 (not NaN)
        return total + _constant(float("nan"), total)
    return total / _constant(denominator, total)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits ``input`` against class indices or class probabilities ``target``.

    Class indices: loss_i = -w[t_i] log softmax(x_i)[t_i]  (= nll_loss(log_softmax(x), t)).
    Probabilities: loss_i = -sum_c w_c p_ic log softmax(x_i)_c.
    ``label_smoothing`` = eps mixes the target with the uniform distribution: (1 - eps) t + eps / C.

    >>> cross_entropy(minigrad.tensor([[1e4, 0.0]]), minigrad.tensor([1]))   # finite: tensor(10000.)
    """
    reduction = _resolve_reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 1 if input.dim() >= 2 else 0
    _check_floating_input(input, "log_softmax_lastdim_kernel_impl" if class_dim == input.dim() - 1
                          else "log_softmax_kernel_impl")
    _check_index_target_dtype(target)
    n_classes = input.shape[class_dim]
    weight_view = None
    if weight is not None:
        if weight.numel() != n_classes:
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no "
                               f"classes but got weight tensor of shape: {list(weight.shape)}")
        shape = [1] * input.dim()
        shape[class_dim] = n_classes
        weight_view = weight.detach().reshape(shape)                   # (1, C, 1, ...)

    if target.is_floating_point():                                    # class probabilities
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(f"Expected target size {list(input.shape)}, got {list(target.shape)}")
        log_probs = log_softmax(input, class_dim)
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        products = log_probs * target if weight_view is None else log_probs * target * weight_view
        if reduction == "none":
            return -products.sum(class_dim)
        total = -products.sum()
        if reduction == "sum":
            return total
        count = input.numel() // n_classes if n_classes else 0
        return total / count if count else total * float("nan")

    if label_smoothing == 0.0:
        return _cross_entropy_indices(input, target, weight, ignore_index, reduction, class_dim, n_classes)
    log_probs = log_softmax(input, class_dim)
    nll = nll_loss(log_probs, target, weight, None, ignore_index, None, reduction)
    # torch's label smoothing for class indices (aten/src/ATen/native/LossNLL.cpp)
    keep = _constant(target._data != ignore_index, log_probs)
    smooth = -(log_probs if weight_view is None else log_probs * weight_view).sum(class_dim) * keep
    if reduction == "none":
        smooth_reduced = smooth
    elif reduction == "sum":
        smooth_reduced = smooth.sum()
    else:
        if weight is None:
            denominator = keep._data.sum()
        else:
            t = target._data
            denominator = weight._data[t[t != ignore_index]].sum()
        # every target ignored: NaN, as torch's, but through an addition so that the gradient stays 0
        smooth_reduced = (smooth.sum() / _constant(denominator, log_probs) if denominator != 0
                          else smooth.sum() + _constant(float("nan"), log_probs))
    return (1 - label_smoothing) * nll + smooth_reduced * (label_smoothing / n_classes)


def _cross_entropy_indices(input, target, weight, ignore_index, reduction, class_dim, n_classes):
    if target.is_floating_point():
        raise RuntimeError(f"expected scalar type Long but found {target.dtype.name.capitalize()}")
    _check_batch(input, target)
    t = target._data
    _check_targets(t, n_classes, ignore_index)
    xp = backend.xp(t)
    dtype = input._data.dtype
    keep = t != ignore_index
    all_kept = bool(keep.all())
    safe_t = t if all_kept else xp.where(keep, t, 0)
    if weight is None:
        weights = None if all_kept else keep.astype(dtype)
    else:
        weights = weight._data.astype(dtype, copy=False)[safe_t] * keep
    denominator = float(weights.sum()) if weights is not None else float(t.size)
    if reduction == "mean" and denominator == 0:
        denominator = float("nan")
    index = xp.expand_dims(safe_t, class_dim)                             # (N, 1, d1, ...)
    if weights is not None:
        weights = xp.expand_dims(weights, class_dim)
    return CrossEntropyIndices.apply(input, index, weights, class_dim, reduction, denominator)


# ---- regression -------------------------------------------------------------------------------

def _check_same_size(input: Tensor, target: Tensor, name: str) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have "
                      "the same size.", stacklevel=3)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight=None) -> Tensor:
    """(x - y)^2, reduced."""
    reduction = _resolve_reduction(reduction, size_average, reduce)
    _check_same_size(input, target, "mse_loss")
    diff = input - target
    losses = diff * diff
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight=None) -> Tensor:
    """|x - y|, reduced."""
    reduction = _resolve_reduction(reduction, size_average, reduce)
    _check_same_size(input, target, "l1_loss")
    losses = _abs(input - target)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = x - y); beta = 0 is L1."""
    reduction = _resolve_reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _check_same_size(input, target, "smooth_l1_loss")
    d = _abs(input - target)
    if beta == 0.0:
        return _reduce(d, reduction)
    losses = where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta)
    return _reduce(losses, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (d = x - y)."""
    reduction = _resolve_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _check_same_size(input, target, "huber_loss")
    d = _abs(input - target)
    losses = where(d < delta, d * d * 0.5, (d - 0.5 * delta) * delta)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


# ---- binary classification ----------------------------------------------------------------------

def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-w (t log x + (1 - t) log(1 - x)) for probabilities x in [0, 1]; logs clamped at -100."""
    reduction = _resolve_reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    x = input._data
    if x.size and (bool((x < 0).any()) or bool((x > 1).any())):
        raise RuntimeError("all elements of input should be between 0 and 1")
    target = target.to(input.dtype) if target.dtype != input.dtype else target
    losses = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE on logits, stably: (1 - t) x + (1 + (p - 1) t) softplus(-x), p = pos_weight (default 1).

    softplus(-x) = -log sigmoid(x) never overflows, so a logit of +-1e4 gives a finite loss and gradient.
    """
    reduction = _resolve_reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    neg_log_sigmoid = softplus(-input, 1.0, 20.0)                     # -log sigmoid(x)
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        losses = (1 - target) * input + log_weight * neg_log_sigmoid
    else:
        losses = (1 - target) * input + neg_log_sigmoid
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


# ---- distributions ------------------------------------------------------------------------------

def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: t (log t - x), or exp(t) (t - x) with ``log_target``.

    ``input`` holds log-probabilities. ``'batchmean'`` divides the sum by the batch size (the
    mathematically correct KL); ``'mean'`` divides by the number of elements, as torch.
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.")
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        losses = exp(target) * (target - input)
    else:
        positive = Tensor._make(target._data > 0)
        safe = where(positive, target, 1.0)                          # log(1) = 0 where t <= 0: no -inf
        losses = where(positive, target * log(safe), 0.0) - target * input
    if reduction == "batchmean":
        return losses.sum() / input.shape[0] if input.dim() != 0 else losses.sum()
    return _reduce(losses, reduction)


# ---- margin and embedding losses ----------------------------------------------------------------
# Written as torch's ATen composites (aten/src/ATen/native/Loss.cpp), so the values and the
# gradients at the kinks are torch's: clamp_min passes the gradient at 0, ``where(z > 0, ...)``
# (the kernels' ``if (z > 0)``) does not.

def _check_broadcast(*tensors) -> None:
    shape = ()
    for t in tensors:
        shape = _broadcast_shape(shape, t.shape)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin), y = 1 when x1 should rank higher, -1 when x2 should."""
    reduction = _resolve_reduction(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_torch_size(input1)}, input2: {_torch_size(input2)}, "
                           f"target: {_torch_size(target)} ")
    _check_broadcast(input1, input2, target)
    return _reduce(clamp(-target * (input1 - input2) + margin, min=0), reduction)


def _torch_size(t: Tensor) -> str:
    return f"torch.Size({list(t.shape)})"


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x a distance, y = +-1)."""
    reduction = _resolve_reduction(reduction, size_average, reduce)
    _check_broadcast(input, target)
    margin_clamp = clamp(margin - input, min=0)
    losses = where(target != 1, margin_clamp, 0.0) + where(target != -1, input, 0.0)
    return _reduce(losses, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)), y = +-1 (two-class logistic loss)."""
    reduction = _resolve_reduction(reduction, size_average, reduce)
    _check_broadcast(input, target)
    return _reduce(log1p(exp(-input * target)), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """-(y log sigmoid(x) + (1 - y) log sigmoid(-x)) w, averaged over the classes (last dim)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if input.dim() == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    log_sigmoid, log_sigmoid_neg = -softplus(-input, 1.0, 20.0), -softplus(input, 1.0, 20.0)
    losses = -(target * log_sigmoid + (1 - target) * log_sigmoid_neg)
    if weight is not None:
        losses = losses * weight
    class_dim = input.dim() - 1
    losses = losses.sum(class_dim) / input.shape[class_dim]                # (N,): one loss per sample
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not valid")
    return _reduce(losses, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1."""
    reduction = _resolve_reduction(reduction, size_average, reduce)
    target_dim = target.dim()
    if target_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target_dim == 1 and not (input1.dim() == 2 and input2.dim() == 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if target_dim == 0 and not (input1.dim() == 1 and input2.dim() == 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    epsilon = 1e-12                                                         # ATen's EPSILON
    prod_sum = (input1 * input2).sum(target_dim)
    magnitude1 = (input1 * input1).sum(target_dim) + epsilon
    magnitude2 = (input2 * input2).sum(target_dim) + epsilon
    cos = prod_sum / sqrt(magnitude1 * magnitude2)
    _check_broadcast(cos, target)
    losses = where(target == 1, 1 - cos, 0.0) + where(target == -1, clamp(cos - margin, min=0), 0.0)
    return _reduce(losses, reduction)


def _classification_frame(input: Tensor, op: str) -> tuple:
    """(number of samples, number of classes) of a 0-d, (C) or (N, C) input, or torch's error."""
    ndim = input.dim()
    if not ((ndim == 2 and input.shape[1] != 0) or (ndim == 1 and input.shape[0] != 0) or ndim == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    return (1 if ndim <= 1 else input.shape[0]), (1 if ndim == 0 else input.shape[ndim - 1])


def _check_long(target: Tensor) -> None:
    if target.dtype.name != "int64":
        raise RuntimeError(f"expected scalar type Long but found {_dtype_title(target)}")


def _dtype_title(t: Tensor) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(t.dtype.name, t.dtype.name)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """sum over j != y of max(0, margin - x[y] + x[j])^p w[y] / C, per sample (multi-class hinge loss)."""
    reduction = _resolve_reduction(reduction, size_average, reduce)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    n_samples, n_classes = _classification_frame(input, "multi_margin_loss")
    if target.dim() > 1 or target.numel() != n_samples:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n_samples}], but got "
                           f"{list(target.shape)}. Input has shape {list(input.shape)}.")
    if weight is not None and weight.numel() != n_classes:
        raise RuntimeError(f"inconsistent weight size, expected {n_classes} but got {list(weight.shape)}")
    _check_long(target)
    if weight is not None and weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_title(input)} but found {_dtype_title(weight)}")
    labels = backend.to_device(target._data, "cpu").reshape(-1)
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
        raise RuntimeError("target out of range")
    x = input.reshape(n_samples, n_classes)                                          # (N, C)
    xp = backend.xp(input._data)
    index = xp.asarray(labels.reshape(n_samples, 1))                                 # (N, 1)
    picked = Gather.apply(x, 1, index)                                                # (N, 1): x[y]
    z = margin - picked + x                                                           # (N, C)
    others = Tensor._make(xp.arange(n_classes).reshape(1, n_classes) != index)        # j != y
    hinge = where((z > 0) & others, z, 0.0)                                           # the kernel's if (z > 0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * Gather.apply(weight.reshape(1, n_classes).expand(n_samples, n_classes), 1, index)
    losses = hinge.sum(1) / n_classes                                                 # (N,)
    if input.dim() <= 1:
        losses = losses.reshape(())
    return _reduce(losses, reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """sum over targets j and non-targets k of max(0, 1 - (x[j] - x[k])) / C, per sample.

    ``target`` holds class indices, ended by the first -1 (the rest is ignored).
    """
    reduction = _resolve_reduction(reduction, size_average, reduce)
    n_samples, n_classes = _classification_frame(input, "multilabel_margin_loss")
    if input.dim() <= 1:
        shape_ok = target.dim() <= 1 and target.numel() == n_classes
    else:
        shape_ok = target.dim() == 2 and tuple(target.shape) == (n_samples, n_classes)
    if not shape_ok:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    _check_long(target)
    labels = backend.to_device(target._data, "cpu").reshape(n_samples, n_classes)
    if labels.size and (int(labels.min()) < -1 or int(labels.max()) >= n_classes):
        raise RuntimeError("argument #2 'target' is out of range")
    # count[n, j]: how often j is listed before the first -1 (a repeated target counts again, as the kernel)
    listed = np.cumprod(labels >= 0, axis=1).astype(bool)                             # (N, C): before the first -1
    count = np.zeros((n_samples, n_classes), dtype=np.int64)
    rows = np.repeat(np.arange(n_samples), n_classes).reshape(n_samples, n_classes)
    np.add.at(count, (rows[listed], labels[listed]), 1)
    xp = backend.xp(input._data)
    x = input.reshape(n_samples, n_classes)                                           # (N, C)
    z = 1 - x.unsqueeze(2) + x.unsqueeze(1)                                           # (N, j, k): 1 - x[j] + x[k]
    pairs = count[:, :, None] * (count[:, None, :] == 0)                              # j a target, k not
    pair_weight = Tensor._make(xp.asarray(pairs.astype(input._data.dtype)))
    hinge = where(z > 0, z, 0.0) * pair_weight
    losses = hinge.sum((1, 2)) / n_classes                                            # (N,)
    if input.dim() <= 1:
        losses = losses.reshape(())
    if reduction == "mean" and n_samples == 0:
        return losses.sum()                                                           # torch's 0, not nan
    return _reduce(losses, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d the pairwise p-distance (Balntas et al., BMVC 2016);
    ``swap`` uses min(d(a, n), d(p, n)) for the negative distance."""
    reduction = _resolve_reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not (a_dim == p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    distance_positive = pairwise_distance(anchor, positive, p, eps)
    distance_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        distance_negative = minimum(distance_negative, pairwise_distance(positive, negative, p, eps))
    return _reduce(clamp(margin + distance_positive - distance_negative, min=0), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) for any distance ``d`` (default ``pairwise_distance``)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not (a_dim == p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    distance = pairwise_distance if distance_function is None else distance_function
    distance_positive, distance_negative = distance(anchor, positive), distance(anchor, negative)
    if swap:
        distance_negative = minimum(distance_negative, distance(positive, negative))
    return _reduce(clamp(margin + distance_positive - distance_negative, min=0), reduction)


# ---- likelihood losses ----------------------------------------------------------------------------

def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """exp(x) - t x (``log_input``) or x - t log(x + eps); ``full`` adds Stirling's t log t - t + log(2 pi t)/2
    where t > 1."""
    reduction = _resolve_reduction(reduction, size_average, reduce)
    _check_broadcast(target, input)                         # torch's first broadcast is target * input
    losses = exp(input) - target * input if log_input else input - target * log(input + eps)
    if full:
        above_one = target > 1
        safe = where(above_one, target, 2.0)                # log of t <= 1 is never needed
        stirling = safe * log(safe) - safe + 0.5 * log(2 * math.pi * safe)
        losses = losses + where(above_one, stirling, 0.0)
    return _reduce(losses, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """(log(max(var, eps)) + (x - t)^2 / max(var, eps)) / 2 (+ log(2 pi) / 2 with ``full``).

    ``var`` has the input's shape, or one dim fewer / a size-1 dim (one variance for a whole vector),
    or is a float. The clamp at ``eps`` is torch's in-place clamp under no_grad: the gradient flows
    to ``var`` as if unclamped.
    """
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor._make(backend.xp(input._data).full(tuple(input.shape), var, dtype=input._data.dtype))
    elif var.numel() and bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.dim() == var.dim() and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not valid")
    _check_broadcast(input, target)
    clamped = var + (clamp(var.detach(), min=eps) - var.detach())
    losses = 0.5 * (log(clamped) + (input - target) ** 2 / clamped)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return _reduce(losses, reduction)
