"""``minigrad.cuda``: what ``torch.cuda`` answers about GPUs, through CuPy.

    >>> import minigrad
    >>> minigrad.cuda.is_available() in (True, False)
    True

Without CuPy (or without a visible GPU) ``is_available()`` is False and ``device_count()`` is 0,
as torch's CPU build says; seeding calls are accepted either way, so scripts written for a GPU run
unchanged on the CPU.
"""
from __future__ import annotations

from . import backend
from . import random as _random


def is_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    return backend.cuda_is_available()


def device_count() -> int:
    """The number of visible GPUs (0 without CuPy)."""
    return backend._import_cupy().cuda.runtime.getDeviceCount() if is_available() else 0


def current_device() -> int:
    """The index of the current GPU; torch's error when there is none."""
    _require("current_device")
    return backend._import_cupy().cuda.runtime.getDevice()


def set_device(device) -> None:
    """Make GPU ``device`` (an int, 'cuda:1' or a minigrad.device) the current one."""
    _require("set_device")
    index = device if isinstance(device, int) else (backend.device(device).index or 0)
    backend._import_cupy().cuda.runtime.setDevice(index)


def get_device_name(device=None) -> str:
    _require("get_device_name")
    cupy = backend._import_cupy()
    index = cupy.cuda.runtime.getDevice() if device is None else (
        device if isinstance(device, int) else (backend.device(device).index or 0))
    name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else name


def synchronize(device=None) -> None:
    """Wait for every kernel queued on the current GPU (nothing to wait for without one)."""
    if is_available():
        backend._import_cupy().cuda.Device().synchronize()


def empty_cache() -> None:
    """Return CuPy's cached, unused GPU blocks to the driver (a no-op without CuPy)."""
    if is_available():
        backend._import_cupy().get_default_memory_pool().free_all_blocks()


def manual_seed(seed: int) -> None:
    """Seed the random numbers drawn on the GPU. minigrad has one generator per device type, seeded
    together by ``minigrad.manual_seed``; this is that call, so it also seeds the CPU's."""
    _random.manual_seed(seed)


manual_seed_all = manual_seed


def _require(name: str) -> None:
    if not is_available():
        raise RuntimeError(f"minigrad.cuda.{name}() needs a GPU: CuPy is not installed or sees no device "
                           "(pip install \"minigrad[cuda]\")")
