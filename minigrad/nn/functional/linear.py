"""Affine maps and lookups: ``linear``, ``bilinear``, ``embedding``, ``one_hot``.

Letters: N = batch (any leading dims, flattened), I = in_features, O = out_features.
"""
from __future__ import annotations

from ... import backend
from ...dtypes import torch_scalar_name
from ...autograd.tensor import Tensor
from ...ops.elementwise import where
from ...ops.shape import IndexSelect

__all__ = ["linear", "bilinear", "embedding", "one_hot"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, with W of shape (O, I) as torch lays it out.

    >>> linear(minigrad.ones(2, 3), minigrad.ones(4, 3)).shape
    minigrad.Size([2, 4])
    """
    if bias is not None and input.ndim == 2 and input.dtype != weight.dtype:  # torch's addmm path
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {torch_scalar_name(input.dtype)} and "
                           f"{torch_scalar_name(weight.dtype)}")
    if input.shape[-1:] != weight.shape[-1:] and weight.ndim == 2:
        rows = input.numel() // max(input.shape[-1], 1) if input.ndim > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    out = input @ weight.t()                                  # (..., O) = (..., I) @ (I, O)
    return out + bias if bias is not None else out


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij x1[..., i] A[o, i, j] x2[..., j] + b[o], with A of shape (O, I1, I2)."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError("bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if weight.ndim != 3 or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input sizes {input1.shape[-1]} and {input2.shape[-1]} do not match "
                           f"weight of shape {list(weight.shape)}")
    lead = input1.shape[:-1]
    out_features, in1, in2 = weight.shape
    x1 = input1.reshape(-1, in1)                               # (N, I1)
    x2 = input2.reshape(-1, in2)                               # (N, I2)
    a = weight.permute(1, 0, 2).reshape(in1, out_features * in2)  # (I1, O*I2)
    left = (x1 @ a).reshape(-1, out_features, in2)             # (N, O, I2)
    out = (left * x2.unsqueeze(1)).sum(-1)                     # (N, O)
    if bias is not None:
        out = out + bias
    return out.reshape(*lead, out_features)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``: out[...] = weight[input[...]].

    Entries equal to ``padding_idx`` receive no gradient.
    """
    if input.is_floating_point():
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.dtype} instead (while checking arguments for embedding)")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    num_embeddings = weight.shape[0]
    indices = input._data.reshape(-1)                           # (N,)
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= num_embeddings):
        raise IndexError("index out of range in self")
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += num_embeddings
        keep = backend.xp(indices).asarray(indices != padding_idx)
        rows = IndexSelect.apply(weight, 0, indices % num_embeddings)    # (N, D)
        # a padding row passes its value forward but, as in torch, gets no gradient
        rows = where(Tensor._make(keep[:, None]), rows, rows.detach())
    else:
        rows = IndexSelect.apply(weight, 0, indices % num_embeddings)    # (N, D)
    return rows.reshape(*input.shape, weight.shape[1])


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(..., num_classes) int64 tensor with a 1 at each entry's class."""
    if tensor.is_floating_point():
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    values = tensor._data
    xp = backend.xp(values)
    if num_classes == -1:
        num_classes = int(values.max()) + 1 if values.size else 0
    if values.size and (int(values.min()) < 0 or int(values.max()) >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes." if values.size and int(values.max()) >= num_classes
                           else "Class values must be non-negative.")
    out = (values[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return Tensor._make(out)
