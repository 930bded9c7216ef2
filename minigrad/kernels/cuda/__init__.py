"""CUDA kernels for CuPy arrays: im2col / col2im and max / average pooling, forward and backward.

``minigrad.kernels.im2col`` and ``minigrad.kernels.pool`` call these when an array is a CuPy array
of float32 or float64 (``handles``); every other case takes the device-agnostic array code. Nothing
here imports CuPy until a kernel is first launched; each kernel is compiled (NVRTC, through
``cupy.RawKernel``) on first use per element type and cached. No cuDNN.

- ``source.py``: the CUDA C of each kernel, 1d/2d/3d in one source, gather form (one thread per
  element written, no atomics, deterministic).
- ``launch.py``: argument conversion, lazy compilation, the launch.
- ``im2col.py``, ``pool.py``: the array-level routines (shapes, strides, output allocation).

What is checked where: tests/cuda/test_host_kernels.py compiles this same C source with the host C++
compiler (shims for ``__global__``, ``blockIdx``, ...) and runs it on NumPy arrays through these
same Python routines against the NumPy kernels and torch, over generated geometries. That proves
the index arithmetic, the argument marshalling and the grid-stride loop; it does not prove that
NVRTC accepts the source or how it behaves on a GPU (memory model, launch limits): tests/cuda/test_gpu_*.py
do, on a machine with a GPU.
"""
from __future__ import annotations

from ...backend import is_cupy_array
from . import im2col, pool  # noqa: F401  (minigrad.kernels.im2col / .pool call cuda.im2col.*, cuda.pool.*)
from .launch import supported_dtype


def handles(array) -> bool:
    """Should this array take the CUDA kernels (a CuPy array of float32 or float64)?"""
    return is_cupy_array(array) and supported_dtype(array.dtype)
