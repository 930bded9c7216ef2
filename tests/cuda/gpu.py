"""What the GPU suite (tests/cuda/test_gpu_*.py) runs on, and its module-level skip.

The suite runs on device 'cuda' when CuPy imports and sees a GPU, and is skipped otherwise. Setting
MINIGRAD_GPU_SUITE_DEVICE=cpu runs the parity and training files with the CPU standing in for the
GPU: every comparison is then trivially CPU vs CPU, but the test code itself is exercised (a dry
run of the suite on a machine without a GPU). The kernel file always needs CuPy.
"""
import os

import pytest

import minigrad

DEVICE = os.environ.get("MINIGRAD_GPU_SUITE_DEVICE", "cuda")


def require_gpu(allow_cpu_dry_run: bool = True):
    """Call at module level: returns the cupy module (None in a CPU dry run), or skips the module."""
    if DEVICE == "cpu" and allow_cpu_dry_run:
        return None
    cupy = pytest.importorskip("cupy", reason="the GPU suite needs CuPy: pip install \"minigrad[cuda]\"")
    if not minigrad.cuda.is_available():
        pytest.skip("the GPU suite needs a GPU that CuPy can use", allow_module_level=True)
    return cupy


def to_host(array):
    """A NumPy copy of a NumPy or CuPy array."""
    return minigrad.backend.to_numpy(array)
