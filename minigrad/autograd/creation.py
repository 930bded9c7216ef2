"""Making tensors: ``tensor``, ``from_numpy``, ``zeros`` ... ``randn``, with torch's signatures.

Every factory takes ``dtype``, ``device`` and ``requires_grad`` as torch does; floats default to
``get_default_dtype()`` (float32), Python ints to int64.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend, dtypes, random
from .tensor import Tensor


def _finish(array, dtype, device, requires_grad) -> Tensor:
    """Cast ``array`` to ``dtype``, move it to ``device`` and wrap it."""
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(dtype).numpy, copy=False)
    if device is not None:
        array = backend.to_device(array, backend.device(device))
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _numpy_dtype(dtype):
    return dtypes.as_dtype(dtype).numpy if dtype is not None else dtypes.get_default_dtype().numpy


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor)."""
    if isinstance(data, Tensor):
        array = data._data.copy()
    elif isinstance(data, (np.ndarray, np.generic)) or backend.is_cupy_array(data):
        array = data.copy() if not isinstance(data, np.generic) else np.asarray(data)  # keeps its dtype, as torch
        if array.dtype.kind not in "biuf":
            raise TypeError(f"can't convert np.ndarray of type {array.dtype}")
    else:
        # with a dtype, Python numbers convert straight to it (0.7 as float64 is 0.7, not float32's 0.69999999)
        array = _from_python(data) if dtype is None else np.array(_plain(data), dtype=dtypes.as_dtype(dtype).numpy)
    if device is None and isinstance(data, Tensor):
        device = data.device
    return _finish(array, dtype, device, requires_grad)


def _from_python(data) -> np.ndarray:
    array = np.array(_plain(data))
    if array.dtype.kind == "f" or (array.size == 0 and array.dtype.kind not in "biu"):
        return array.astype(dtypes.get_default_dtype().numpy)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    if array.dtype.kind != "b":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return array


def _plain(data):
    """Nested lists with any tensors inside turned into Python numbers."""
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_plain(d) for d in data]
    return data


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with ``data`` when no conversion is needed."""
    if isinstance(data, Tensor):
        out = data
        if dtype is not None or device is not None:
            out = data.to(device=device, dtype=dtype)
        return out
    if isinstance(data, np.ndarray) or backend.is_cupy_array(data):
        return _finish(data, dtype, device, False)
    return tensor(data, dtype, device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array, as ``torch.from_numpy``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)  # raises torch's message for unsupported dtypes
    return Tensor._make(array)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    xp = backend.module_for(device or "cpu")
    return _finish(xp.zeros(_shape(size), dtype=_numpy_dtype(dtype)), None, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    xp = backend.module_for(device or "cpu")
    return _finish(xp.ones(_shape(size), dtype=_numpy_dtype(dtype)), None, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    xp = backend.module_for(device or "cpu")
    return _finish(xp.empty(_shape(size), dtype=_numpy_dtype(dtype)), None, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = dtypes.from_numpy_dtype(dtypes.result_type(fill_value))
    xp = backend.module_for(device or "cpu")
    return _finish(xp.full(_shape((size,)), fill_value, dtype=dtypes.as_dtype(dtype).numpy), None, device, requires_grad)


def _like(t: Tensor, dtype, device):
    return (dtypes.as_dtype(dtype) if dtype is not None else t.dtype,
            device if device is not None else t.device)


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return zeros(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return ones(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return empty(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return full(t.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; int64 unless an argument is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = dtypes.from_numpy_dtype(dtypes.result_type(start, end, step))
    length = max(math.ceil((end - start) / step), 0)
    xp = backend.module_for(device or "cpu")
    # start + i*step in float64, then cast: the values torch computes for float steps
    values = start + xp.arange(length, dtype=np.float64) * step
    return _finish(values.astype(dtypes.as_dtype(dtype).numpy), None, device, requires_grad)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    xp = backend.module_for(device or "cpu")
    return _finish(xp.linspace(start, end, int(steps)).astype(_numpy_dtype(dtype)), None, device, requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    xp = backend.module_for(device or "cpu")
    return _finish(xp.eye(n, m, dtype=_numpy_dtype(dtype)), None, device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Uniform on [0, 1)."""
    rng = generator or random.generator(device)
    target = np.dtype(_numpy_dtype(dtype))
    if target in (np.float32, np.float64):  # drawn in the target precision: a cast could round up to 1
        values = rng.random(_shape(size), dtype=target)
    else:  # float16: cast, then keep [0, 1) half-open
        values = rng.random(_shape(size)).astype(target).clip(0, float(np.nextafter(target.type(1), target.type(0))))
    return _finish(values, None, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Standard normal."""
    rng = generator or random.generator(device)
    return _finish(rng.standard_normal(_shape(size)).astype(_numpy_dtype(dtype)), None, device, requires_grad)


def randint(low, high=None, size=None, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Integers in [low, high); ``randint(high, size)`` as in torch."""
    if size is None:
        low, high, size = 0, low, high
    rng = generator or random.generator(device)
    array = rng.integers(low, high, size=tuple(size)).astype(np.int64)
    return _finish(array, dtype, device, requires_grad)


def randperm(n: int, dtype=None, device=None, generator=None) -> Tensor:
    rng = generator or random.generator(device)
    return _finish(rng.permutation(int(n)).astype(np.int64), dtype, device, False)


def rand_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return rand(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return randn(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randint_like(t: Tensor, low, high=None, dtype=None, device=None) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return randint(low, high, t.shape, dtype=dtype, device=device)
