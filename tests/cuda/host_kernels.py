"""Run minigrad's CUDA kernels on the CPU: the same C source, compiled by the host C++ compiler.

``host_runner()`` is a runner for ``minigrad.kernels.cuda.launch.launch``: it compiles a kernel's
translation unit (``Kernel.source``, the exact text NVRTC gets) with g++ after a few shims
(``__global__``/``__device__`` vanish, ``blockIdx``/``threadIdx``/``blockDim``/``gridDim`` become
globals), adds a driver that calls the kernel once for every (block, thread) of a small grid, and
calls it through ctypes with the NumPy arrays' pointers. The grid is deliberately smaller than the
work, so each "thread" runs the grid-stride loop several times.

What this proves: the index arithmetic, bounds logic, summation terms and argument order of each
kernel, and the Python routines that size, allocate and launch them. What it does not: that NVRTC
compiles the source, anything about the GPU memory model, launch limits, or speed.
"""
from __future__ import annotations

import ctypes
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

COMPILER = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")

SHIMS = r"""
#define __global__
#define __device__
#define __forceinline__ inline
struct HostDim3 { unsigned int x, y, z; };
static HostDim3 blockIdx, threadIdx, blockDim, gridDim;
"""

_CTYPES = {"float": ctypes.c_float, "double": ctypes.c_double, "int": ctypes.c_int32,
           "long long": ctypes.c_int64, "signed char": ctypes.c_int8}

_directory = None
_libraries: dict = {}


def _driver(kernel) -> str:
    names = ", ".join(name for _, name in kernel.param_list)
    return (f'\nextern "C" void host_launch(unsigned int grid, unsigned int block, {kernel.params}) {{\n'
            "    gridDim.x = grid; gridDim.y = gridDim.z = 1;\n"
            "    blockDim.x = block; blockDim.y = blockDim.z = 1;\n"
            "    blockIdx.y = blockIdx.z = threadIdx.y = threadIdx.z = 0;\n"
            "    for (unsigned int b = 0; b < grid; ++b)\n"
            "        for (unsigned int t = 0; t < block; ++t) {\n"
            f"            blockIdx.x = b; threadIdx.x = t; {kernel.name}({names});\n"
            "        }\n}\n")


def translation_unit(kernel, types: dict) -> str:
    return SHIMS + kernel.source(types) + _driver(kernel)


def compile_kernel(kernel, types: dict):
    """The host build of ``kernel`` for ``types`` (cached per process): a ctypes function."""
    global _directory
    text = translation_unit(kernel, types)
    key = hashlib.sha1(text.encode()).hexdigest()[:16]
    if key not in _libraries:
        if _directory is None:
            _directory = Path(tempfile.mkdtemp(prefix="minigrad-host-kernels-"))
        source = _directory / f"{kernel.name}_{key}.cpp"
        library = _directory / f"{kernel.name}_{key}.so"
        source.write_text(text)
        # -Werror: a warning (unused variable, sign mix, narrowing) fails the test, as it would be
        # worth a look in the CUDA source too.
        subprocess.run([COMPILER, "-std=c++11", "-O1", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror",
                        "-Wno-unused-parameter", "-o", str(library), str(source)],
                       check=True, capture_output=True, text=True)
        function = ctypes.CDLL(str(library)).host_launch
        function.restype = None
        function.argtypes = [ctypes.c_uint, ctypes.c_uint] + [
            ctypes.c_void_p if c_type.endswith("*") else _CTYPES[types[c_type]] for c_type, _ in kernel.param_list]
        _libraries[key] = function
    return _libraries[key]


def host_runner(grid: int = 3, block: int = 5):
    """A runner that executes kernels on NumPy arrays with ``grid`` blocks of ``block`` threads."""
    def run(kernel, types, total, args):
        function = compile_kernel(kernel, types)
        converted = []
        for (c_type, _), value in zip(kernel.param_list, args):
            if c_type.endswith("*"):
                assert isinstance(value, np.ndarray), f"{kernel.name}: a pointer argument must be an array"
                converted.append(value.ctypes.data)
            else:
                converted.append(value.item())
        function(grid, block, *converted)
    return run
