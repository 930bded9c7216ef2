"""``minigrad.accelerator``: torch 2.x's device-neutral questions about the accelerator.

    >>> import minigrad
    >>> device = minigrad.accelerator.current_accelerator() if minigrad.accelerator.is_available() else minigrad.device("cpu")
    >>> device.type in ("cpu", "cuda")
    True

minigrad's only accelerator is an NVIDIA GPU through CuPy.
"""
from __future__ import annotations

from . import backend, cuda


def is_available() -> bool:
    return cuda.is_available()


def device_count() -> int:
    return cuda.device_count()


def current_accelerator(check_available: bool = False):
    """``device('cuda')`` when CuPy sees a GPU, else None (torch's answer on a machine without one)."""
    return backend.device("cuda") if cuda.is_available() else None


def current_device_index() -> int:
    return cuda.current_device()


def set_device_index(device) -> None:
    cuda.set_device(device)


def synchronize(device=None) -> None:
    cuda.synchronize(device)
