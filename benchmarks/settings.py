"""The settings every benchmark reports under: glibc's allocator (default or tuned) and minigrad's kernels
(pure NumPy or compiled), each combination timed in a fresh process.

Why the allocator matters: with glibc's defaults, a freshly allocated multi-megabyte buffer is a new
``mmap`` and costs a page fault per 4 kB on first write, every step. torch allocates its buffers fresh
and pays that; minigrad reuses its workspaces and barely does. Told to keep freed memory
(``TUNED_ALLOCATOR``), torch's convolutions ran 1.3-2.5x faster (issue 14), so a fair comparison
reports both. The variables only act when set before the process starts, hence the fresh processes.

minigrad's compiled kernels (the ``fast`` extra, numba) are used when numba imports, unless
``MINIGRAD_FAST=0``; ``--kernels numpy`` sets that, ``--kernels compiled`` needs numba installed.

    python benchmarks/bench_train.py --allocator tuned --kernels numpy   # one setting
    python benchmarks/bench_train.py                                     # every setting (the default)
"""
from __future__ import annotations

import importlib.util
import itertools
import os
import subprocess
import sys

TUNED_ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "4294967296",
                   "MALLOC_TOP_PAD_": "268435456"}
_CHILD = "MINIGRAD_BENCH_SETTING"  # set in the processes this module starts


def add_arguments(parser) -> None:
    parser.add_argument("--allocator", choices=["default", "tuned", "both"], default="both",
                        help="glibc allocator settings to time under (default: both, each in a fresh process)")
    parser.add_argument("--kernels", choices=["numpy", "compiled", "both"], default="both",
                        help="minigrad's kernels: pure NumPy or compiled with numba (default: both, "
                             "compiled only where numba is installed)")


def _environment(allocator: str, kernels: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in TUNED_ALLOCATOR and k != "MINIGRAD_FAST"}
    if allocator == "tuned":
        env.update(TUNED_ALLOCATOR)
    env["MINIGRAD_FAST"] = "1" if kernels == "compiled" else "0"
    env[_CHILD] = f"{allocator}/{kernels}"
    return env


def describe() -> str:
    """The setting this process runs under, for the benchmark's header line."""
    allocator = "tuned" if all(os.environ.get(k) == v for k, v in TUNED_ALLOCATOR.items()) else "default"
    kernels = "numpy" if os.environ.get("MINIGRAD_FAST") == "0" or not _have_numba() else "compiled"
    return f"allocator={allocator} kernels={kernels}"


def _have_numba() -> bool:
    return importlib.util.find_spec("numba") is not None


def run_each_setting(args, argv) -> bool:
    """Start this script once per requested setting and return True, or return False when this
    process already is the one setting asked for (then the caller times in it)."""
    if os.environ.get(_CHILD):
        return False
    allocators = ["default", "tuned"] if args.allocator == "both" else [args.allocator]
    kernels = ["numpy", "compiled"] if args.kernels == "both" else [args.kernels]
    if "compiled" in kernels and not _have_numba():
        print("kernels=compiled: numba is not installed (pip install 'minigrad[fast]'), so only NumPy is timed",
              flush=True)
        kernels = [k for k in kernels if k != "compiled"] or ["numpy"]
    argv = list(sys.argv[1:] if argv is None else argv)
    for allocator, kind in itertools.product(allocators, kernels):
        print(f"== allocator={allocator} kernels={kind}", flush=True)
        child = argv + ["--allocator", allocator, "--kernels", kind]
        subprocess.run([sys.executable, sys.argv[0], *child], env=_environment(allocator, kind), check=True)
    return True
