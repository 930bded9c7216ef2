"""Which array library holds an array, device names, and moving arrays between devices.

minigrad keeps every tensor's values in a NumPy array (device ``cpu``) or a CuPy array (device
``cuda:N``). Array code never imports NumPy for math directly: it asks ``xp(array)`` for the module
that owns the array, so one line of code serves both devices. CuPy is imported only when a CUDA
device is asked for, so importing minigrad never needs it.
"""
from __future__ import annotations

import numpy as np

_cupy = None  # the cupy module, once imported successfully


def _import_cupy():
    """Import CuPy or raise a clear error saying what is missing."""
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as exc:  # no CuPy installed
            raise RuntimeError(
                "CUDA is not available: minigrad needs CuPy for device 'cuda'. "
                'Install it with: pip install "minigrad[cuda]"') from exc
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # CuPy present but no driver / GPU
            raise RuntimeError(f"CUDA is not available: CuPy found no usable GPU ({exc})") from exc
        if count == 0:
            raise RuntimeError("CUDA is not available: CuPy found no GPU")
        _cupy = cupy
    return _cupy


def cuda_is_available() -> bool:
    """True when CuPy imports and sees at least one GPU (``minigrad.cuda.is_available()``)."""
    try:
        _import_cupy()
    except RuntimeError:
        return False
    return True


def is_cupy_array(array) -> bool:
    return _cupy is not None and isinstance(array, _cupy.ndarray)


def xp(array):
    """The array module (numpy or cupy) that owns ``array``."""
    return _cupy if is_cupy_array(array) else np


class device:
    """A device name, as ``torch.device``: ``device('cpu')``, ``device('cuda')``, ``device('cuda', 1)``.

    Compares equal to its string form, so ``t.device == 'cpu'`` works.
    """

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device", index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu' or 'cuda:0', got {type!r}")
        name = type
        if ":" in name:
            name, _, number = name.partition(":")
            if index is not None or not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(number)
        if name not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type}")
        if name == "cpu" and index not in (None, 0):
            raise RuntimeError(f"CPU device index must be 0, got {index}")
        self.type = name
        self.index = index if name == "cuda" else None

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and (self.index or 0) == (other.index or 0)

    def __hash__(self):
        return hash((self.type, self.index or 0))


CPU = device("cpu")


def device_of(array) -> device:
    """The device that holds ``array``."""
    if is_cupy_array(array):
        return device("cuda", array.device.id)
    return CPU


def to_device(array, target: device):
    """Return ``array`` on device ``target`` (the same object when it is already there)."""
    target = device(target)
    if target.type == "cpu":
        return array.get() if is_cupy_array(array) else array
    cupy = _import_cupy()
    index = target.index or 0
    if index >= cupy.cuda.runtime.getDeviceCount():
        raise RuntimeError(f"CUDA error: invalid device ordinal (asked for cuda:{index})")
    with cupy.cuda.Device(index):
        return cupy.asarray(array)


def check_same_device(arrays) -> None:
    """torch's error when arrays of one operation live on two devices (0-d CPU arrays mix freely,
    as Python numbers do)."""
    devices = {device_of(a) for a in arrays if hasattr(a, "ndim")}
    if len(devices) > 1:  # 0-d CPU arrays do not count
        devices = {device_of(a) for a in arrays if hasattr(a, "ndim") and (a.ndim > 0 or device_of(a).type != "cpu")}
    if len(devices) > 1:
        gpu, cpu = sorted((str(d) for d in devices), reverse=True)[:2]
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                           f"{gpu} and {cpu}!")


def module_for(target: device):
    """The array module (numpy or cupy) for arrays created on ``target``."""
    return np if device(target).type == "cpu" else _import_cupy()


def to_numpy(array) -> np.ndarray:
    return array.get() if is_cupy_array(array) else np.asarray(array)
