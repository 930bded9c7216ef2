"""``default_collate`` and ``default_convert``: torch's rules for turning a list of samples into a batch.

==========================  =========================================================
sample element              batch
==========================  =========================================================
minigrad ``Tensor``         ``Tensor`` stacked along a new dim 0 (same dtype, device)
NumPy array                 ``Tensor`` stacked along a new dim 0 (same dtype)
NumPy scalar                1-d ``Tensor`` of its dtype
Python ``float``            1-d ``float64`` ``Tensor`` (torch's rule)
Python ``int`` / ``bool``   1-d ``int64`` / ``bool`` ``Tensor``
``str`` / ``bytes``         the list unchanged
mapping                     the same mapping, each key collated
namedtuple                  the same namedtuple, each field collated
tuple                       a **list** of collated fields (torch's backwards compatibility)
other sequence              the same sequence type, each position collated
PIL image                   uint8 ``Tensor`` of shape (N, H, W[, C]) (minigrad's addition,
                            so torchvision datasets without a transform load too)
``torch.Tensor``            ``Tensor`` stacked along a new dim 0, through NumPy (minigrad's
                            addition, for datasets that use torchvision's own transforms)
==========================  =========================================================

    >>> images, labels = default_collate([(np.zeros((2, 2), np.uint8), 3), (np.ones((2, 2), np.uint8), 7)])
    >>> images.shape, images.dtype, labels.tolist()
    (minigrad.Size([2, 2, 2]), minigrad.uint8, [3, 7])
"""
from __future__ import annotations

import collections.abc
import copy
import re
import sys

import numpy as np

from .. import backend
from ..autograd.creation import tensor as _tensor
from ..autograd.tensor import Tensor

np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_pil_image(obj) -> bool:
    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(obj, pil.Image)


def _is_torch_tensor(obj) -> bool:
    """A ``torch.Tensor``? torch is never imported here: if it is not loaded, no object can be one."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def _torch_to_numpy(t) -> np.ndarray:
    """A CPU NumPy copy of a torch tensor (detached; conjugate / negative views resolved)."""
    return t.detach().cpu().resolve_conj().resolve_neg().numpy()


def _stack_tensors(batch) -> Tensor:
    first = batch[0]
    for k, t in enumerate(batch):
        if t.shape != first.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(first.shape)} "
                               f"at entry 0 and {list(t.shape)} at entry {k}")
    if any(t.requires_grad for t in batch):
        from .. import ops  # the differentiable stack, only when a graph is wanted
        return ops.stack(batch, 0)
    xp = backend.xp(first._data)
    # (N, *S) = stack of N arrays of shape S
    return Tensor._make(xp.stack([t._data for t in batch]))


def _stack_arrays(batch) -> Tensor:
    first = batch[0]
    if np_str_obj_array_pattern.search(first.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(first.dtype))
    for k, a in enumerate(batch):
        if a.shape != first.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(first.shape)} "
                               f"at entry 0 and {list(a.shape)} at entry {k}")
    return Tensor._make(np.stack(batch))


def default_collate(batch):
    """Merge a list of samples into a batch, following torch's ``default_collate`` (table above)."""
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        return _stack_arrays(batch)
    if backend.is_cupy_array(elem):
        return Tensor._make(backend.xp(elem).stack(batch))
    if _is_torch_tensor(elem):
        return _stack_arrays([_torch_to_numpy(t) for t in batch])
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        if isinstance(elem, np.object_):
            raise TypeError(default_collate_err_msg_format.format(elem_type))
        return Tensor._make(np.asarray(batch))
    if isinstance(elem, float):
        return _tensor(batch, dtype="float64")
    if isinstance(elem, int):
        return _tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if _is_pil_image(elem):
        return _stack_arrays([np.asarray(img) for img in batch])
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({key: default_collate([d[key] for d in batch]) for key in elem})
                return clone
            return elem_type({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        elem_size = len(elem)
        if not all(len(e) == elem_size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]  # torch returns a list here
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = default_collate(samples)
                return clone
            return elem_type([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def default_convert(data):
    """Turn NumPy arrays (and numbers inside NumPy scalars) into tensors, recursing into containers.

    The loader's collate function when automatic batching is off (``batch_size=None``).
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if _is_torch_tensor(data):
        return Tensor._make(_torch_to_numpy(data))
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_", "bytes_"):
        if isinstance(data, np.ndarray) and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return Tensor._make(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
