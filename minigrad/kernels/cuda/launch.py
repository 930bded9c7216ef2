"""Compile the kernels of ``source.py`` lazily (on first use, per element type) and launch them.

``launch(kernel, total, arguments, ...)`` converts the arguments to the C types of the kernel's
parameter list and hands them to a *runner*: by default ``gpu_runner``, which compiles the source with
NVRTC through ``cupy.RawKernel`` (cached here per type combination, and on disk by CuPy) and launches
it on the device that holds the arrays. Tests pass a runner that compiles the same source with the
host C++ compiler and runs it on NumPy arrays instead (tests/cuda/host_kernels.py), so everything in
this package except the NVRTC compile and the launch itself also runs without a GPU.
"""
from __future__ import annotations

import numpy as np

from .source import Kernel

BLOCK = 256                # threads per block
MAX_BLOCKS = 65535 * 32    # the grid-stride loop covers the rest
_INT32_LIMIT = 2**31 - 1

C_TYPES = {"float32": "float", "float64": "double", "int8": "signed char", "int32": "int", "int64": "long long"}
_SCALAR_TYPES = {"int": np.int32, "long long": np.int64, "float": np.float32, "double": np.float64,
                 "signed char": np.int8}

_compiled: dict = {}       # (kernel name, types) -> cupy.RawKernel


def supported_dtype(dtype) -> bool:
    """The value types the kernels are compiled for."""
    return np.dtype(dtype) in (np.float32, np.float64)


def _span(array) -> int:
    """One past the largest element offset an array's strides reach (its size when contiguous)."""
    if array.size == 0:
        return 0
    return 1 + sum(abs(stride) // array.itemsize * (size - 1) for stride, size in zip(array.strides, array.shape))


def index_type(total: int, arrays) -> str:
    """``int`` when every offset and the grid-stride loop fit in 32 bits (faster division), else ``long long``."""
    largest = max([total + BLOCK * MAX_BLOCKS] + [_span(a) for a in arrays])
    return "int" if largest <= _INT32_LIMIT else "long long"


def launch(kernel: Kernel, total: int, arguments: dict, value_dtype, argmax_dtype=None, runner=None):
    """Run ``kernel`` over ``total`` elements; ``arguments`` maps every parameter name except ``total``."""
    if total == 0:
        return
    arrays = [arguments[name] for c_type, name in kernel.param_list if c_type.endswith("*")]
    types = {"T": C_TYPES[np.dtype(value_dtype).name],
             "I": index_type(total, arrays),
             "A": C_TYPES[np.dtype(argmax_dtype).name] if argmax_dtype is not None else "int"}
    values = dict(arguments, total=total)
    args = []
    for c_type, name in kernel.param_list:
        value = values[name]
        if c_type.endswith("*"):
            args.append(value)
        else:
            args.append(_SCALAR_TYPES[types[c_type]](value))
    (runner or gpu_runner)(kernel, types, total, args)


def compiled(kernel: Kernel, types: dict):
    """The ``cupy.RawKernel`` for ``kernel`` with these types, built on first use."""
    key = (kernel.name, tuple(sorted(types.items())))
    function = _compiled.get(key)
    if function is None:
        from ...backend import _import_cupy
        cupy = _import_cupy()
        function = _compiled[key] = cupy.RawKernel(kernel.source(types), kernel.name)
    return function


def gpu_runner(kernel: Kernel, types: dict, total: int, args: list):
    """Launch on the GPU that holds the kernel's first array, ``BLOCK`` threads per block."""
    function = compiled(kernel, types)
    blocks = min((total + BLOCK - 1) // BLOCK, MAX_BLOCKS)
    first_array = next(a for (c_type, _), a in zip(kernel.param_list, args) if c_type.endswith("*"))
    with first_array.device:
        function((blocks,), (BLOCK,), tuple(args))
