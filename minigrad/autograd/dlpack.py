"""Zero-copy exchange with torch, CuPy, JAX and NumPy through the DLPack protocol.

``minigrad.from_dlpack(obj)`` wraps the memory of any object that has ``__dlpack__`` (a torch
tensor, a CuPy or NumPy array, a JAX array) as a minigrad Tensor without copying: writes through
one are seen by the other. ``Tensor.__dlpack__`` lets those libraries do the same with minigrad's
tensors (``torch.from_dlpack(t)``). As in torch, a tensor that requires grad is not exported: the
other library could not record its history (``t.detach()`` first).

    >>> import numpy as np, minigrad
    >>> a = np.zeros(3, dtype=np.float32)
    >>> t = minigrad.from_dlpack(a)
    >>> a[0] = 5.0
    >>> t.tolist()
    [5.0, 0.0, 0.0]
"""
from __future__ import annotations

import numpy as np

from .. import backend
from .tensor import Tensor

_CUDA_DEVICE_TYPES = (2, 13)  # DLPack's kDLCUDA and kDLCUDAManaged


def from_dlpack(ext_tensor) -> Tensor:
    """A Tensor sharing the memory of ``ext_tensor`` (anything with ``__dlpack__``), on its device."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(f"from_dlpack expects an object with a __dlpack__ method (a torch tensor, a NumPy, CuPy "
                        f"or JAX array), but got {type(ext_tensor).__name__}")
    device_type = ext_tensor.__dlpack_device__()[0] if hasattr(ext_tensor, "__dlpack_device__") else 1
    if int(device_type) in _CUDA_DEVICE_TYPES:
        array = backend._import_cupy().from_dlpack(ext_tensor)
    elif int(device_type) == 1:
        array = np.from_dlpack(ext_tensor)
    else:
        raise RuntimeError(f"from_dlpack: DLPack device type {int(device_type)} is not supported "
                           "(minigrad holds tensors on the CPU and on CUDA GPUs)")
    return Tensor._make(array)


def to_dlpack_capsule(tensor: Tensor, **kwargs):
    """``Tensor.__dlpack__``: the DLPack capsule of the tensor's array (torch's error for tensors that require grad)."""
    if tensor.requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    return tensor._data.__dlpack__(**{k: v for k, v in kwargs.items() if v is not None})
