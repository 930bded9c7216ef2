"""How many threads minigrad uses: ``minigrad.set_num_threads`` / ``get_num_threads``, as torch's.

Two kinds of work run in threads:

- **Matrix products** (convolutions' GEMMs, ``matmul``) run in the BLAS that NumPy was built with
  (OpenBLAS in NumPy's wheels). BLAS has threads of its own, but minigrad does not let its products
  use them: after each threaded call OpenBLAS's threads spin, waiting for more work, for about 0.1 s
  (2^28 cycles), and take the cores from the pool below, which runs the next kernel meanwhile. A
  CIFAR training step measured 485-566 ms with BLAS's threads against 393-455 ms with them kept
  asleep, its CPU time 870-990 ms against 600-770 (issue 14, 2-core machine); torch, timed in the
  same process, lost as much (LeNet-5: 7600 img/s beside the spinning threads, 11400-13000 without).
  So ``matmul`` below runs a large product as parts (blocks of the result's rows or columns, or of
  the inner dim) on minigrad's pool, each part one BLAS call on one thread: one pool in use, as torch
  runs its GEMMs on its own OpenMP pool. The BLAS
  count is set through threadpoolctl, the well-kept way to reach a loaded BLAS library (``pip
  install threadpoolctl``; the ``examples``, ``fast`` and ``dev`` extras include it). Without it the
  count cannot be changed: products then run in BLAS's threads, and ``set_num_threads`` warns.
- **Memory-bound kernels** (im2col and col2im copies, BatchNorm, ReLU, pooling) run in NumPy loops on
  one core. ``parallel_for`` splits such a kernel over the batch onto a small pool of threads; NumPy
  releases the GIL inside its copy and ufunc loops, so two threads measured 1.4-1.7x faster on a
  quiet 2-core machine (issue 14). Every part writes its own slice of the output and computes each
  value exactly as the one-thread loop does, so results are bit-identical for any thread count.

The default count is the number of cores that are actually free when minigrad first needs the
count: the cores this process may run on, less the work running on the machine over 50 ms (read
from /proc/stat; elsewhere the 1-minute load average). On a busy
machine extra threads fight over the cores (measured: LeNet training at 0.25x torch's speed with two
OpenBLAS threads and another job running, 0.92x with one), so minigrad starts with fewer there.
``set_num_threads(n)`` sets the pool (and BLAS's count) to ``n``.

    >>> import minigrad
    >>> minigrad.get_num_threads() >= 1
    True
"""
from __future__ import annotations

import os
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

MIN_PARALLEL_BYTES = 1 << 18  # a kernel touching less than this runs on one thread: a hand-off costs ~20 us


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _busy_cores(interval: float = 0.05):
    """How many cores' worth of work ran on the machine over the next ``interval`` seconds, from
    Linux's /proc/stat (None elsewhere). A current reading: the load average lags by a minute, so
    it would still count a training run of ours that has just ended."""
    def sample():
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        return sum(fields), fields[3] + fields[4]              # all jiffies, idle + iowait
    try:
        total_before, idle_before = sample()
        time.sleep(interval)
        total_after, idle_after = sample()
    except (OSError, ValueError, IndexError):
        return None
    elapsed = total_after - total_before
    if elapsed <= 0:
        return None
    return (os.cpu_count() or 1) * (1 - (idle_after - idle_before) / elapsed)


def free_cores() -> int:
    """The cores this process may use, less the work already running on them (at least 1)."""
    cores = _usable_cores()
    busy = _busy_cores()
    if busy is None:
        try:
            busy = os.getloadavg()[0]
        except (AttributeError, OSError):
            busy = 0.0
    return max(1, min(cores, round(cores - busy + 0.25)))  # a stray 0.3 of a core does not cost one


_threads = None          # the count for memory-bound kernels; chosen on first use
_executor = None         # the pool's worker threads (count - 1: the calling thread takes a part)
_pool_lock = threading.Lock()
_inside = threading.local()  # set in worker threads: nested parallel_for calls run serially there


_controllers = []  # threadpoolctl's controller (its scan of the loaded libraries), or None


def _controller(rescan: bool = False):
    """threadpoolctl's controller, made on first use and kept: the hot path (``one_blas_thread``)
    needs only NumPy's BLAS, loaded before minigrad. ``rescan``: scan again, for callers that must
    reach every BLAS loaded by now (numba's first compiled call loads another)."""
    if not _controllers or rescan:
        try:
            import threadpoolctl
            controller = threadpoolctl.ThreadpoolController()
        except ImportError:
            controller = None
        _controllers[:] = [controller]
        _libraries.clear()
    return _controllers[0]


_libraries = []  # the controller's BLAS handles, selected once


def _blas_libraries() -> list:
    """threadpoolctl's handles on the loaded BLAS libraries; empty without threadpoolctl."""
    if not _libraries:
        controller = _controller()
        _libraries.append([] if controller is None else controller.select(user_api="blas").lib_controllers)
    return _libraries[0]


_blas_lock = threading.Lock()


class one_blas_thread:
    """``with one_blas_thread() as blas:`` BLAS on one thread inside the block, its previous count
    after, for callers whose own threads are the parallelism (each thread's GEMMs would otherwise start
    BLAS's threads on top). ``blas.held``: whether BLAS does run on one thread inside, which callers
    check before splitting work over threads: False without threadpoolctl, and in threads where
    OpenBLAS ignores the call (0.3.31 takes a new count from the main thread only). A block opened
    inside another (or while BLAS is on one thread anyway) changes nothing."""

    def __enter__(self):
        libraries = _blas_libraries()
        with _blas_lock:
            self.before = [(lib, count) for lib in libraries if (count := lib.get_num_threads()) != 1]
            for lib, _ in self.before:
                lib.set_num_threads(1)
            self.held = bool(libraries) and all(lib.get_num_threads() == 1 for lib, _ in self.before)
        return self

    def __exit__(self, *exc):
        with _blas_lock:
            for lib, count in self.before:
                lib.set_num_threads(count)


def _kernel_threads() -> int:
    global _threads
    if _threads is None:
        _threads = free_cores()
        if _threads < _usable_cores():  # a busy machine: fewer BLAS threads too, when they can be set
            controller = _controller()
            if controller is not None:
                controller.limit(limits=_threads, user_api="blas")
    return _threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in minigrad's pool (memory-bound kernels and the parts of matrix products),
    and as BLAS's own count, which only products made where threadpoolctl is missing use."""
    global _threads, _executor
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    controller = _controller(rescan=True)  # every BLAS loaded by now, not only those at the first scan
    if controller is None:
        warnings.warn("minigrad.set_num_threads: threadpoolctl is not installed, so the BLAS thread count "
                      "is unchanged (pip install threadpoolctl)", RuntimeWarning, stacklevel=2)
    else:
        controller.limit(limits=n, user_api="blas")
    with _pool_lock:
        if _executor is not None and n != _threads:
            _executor.shutdown(wait=True)
            _executor = None
        _threads = n


def get_num_threads() -> int:
    """The number of threads minigrad's kernels use (``set_num_threads``'s value, else the free cores)."""
    return _kernel_threads()


def blas_threads():
    """The thread count the loaded BLAS reports (the most of any), or None without threadpoolctl."""
    controller = _controller()
    if controller is None:
        return None
    blas = controller.select(user_api="blas").info()
    return max(lib["num_threads"] for lib in blas) if blas else None


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _pool_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=max(1, _kernel_threads() - 1), thread_name_prefix="minigrad",
                                           initializer=setattr, initargs=(_inside, "worker", True))
        return _executor


def in_part() -> bool:
    """Is this thread running a part of a ``parallel_for`` now (where a nested one runs serially)?"""
    return getattr(_inside, "worker", False)


def parallel_for(count: int, body, nbytes: int = None) -> None:
    """Run ``body(start, stop)`` over ``[0, count)`` split into contiguous parts, one per thread.

    ``body`` must write only its own part of the output, so the parts can run in any order (and any
    number of them) with the same result. ``nbytes``, the memory the whole loop touches, keeps small
    loops on the calling thread. Exceptions from any part are raised here.
    """
    threads = min(_kernel_threads(), count)
    if (threads <= 1 or in_part()
            or (nbytes is not None and nbytes < MIN_PARALLEL_BYTES)):
        body(0, count)
        return
    bounds = [count * i // threads for i in range(threads + 1)]
    pool = _pool()
    futures = [pool.submit(body, bounds[i], bounds[i + 1]) for i in range(1, threads)]
    error = None
    _inside.worker = True  # this thread runs a part too: a parallel_for nested in it runs serially
    try:
        body(bounds[0], bounds[1])
    except BaseException as caught:  # noqa: B036 -- re-raised below, once every part has stopped writing
        error = caught
    finally:
        _inside.worker = False
    for future in futures:  # wait for every part, even after a failure: they write into the caller's arrays
        part_error = future.exception()
        error = error or part_error
    if error is not None:
        raise error


# ---- matrix products on the pool --------------------------------------------------------------

BLAS_ALONE_MACS = 1 << 18    # OpenBLAS runs a product of at most 65536 * 4 multiply-adds on one thread itself
SPLIT_MACS = 1 << 22         # a product of at least this many multiply-adds is split into parts
GEMM_PARTS = 8               # at most; each part is a block of >= GEMM_PART_LINES rows (or columns)
GEMM_PART_LINES = 32
# A product too thin to split otherwise goes in blocks of the inner dim small enough that both
# operands' blocks stay in cache (OpenBLAS runs a (25, 200704) @ (200704, 6) weight gradient at 8 GF/s
# in one call): LeNet-5's first weight gradient 3.7 ms in 8 blocks of 25088, 2.1-2.4 in 64 of 3136;
# CIFAR's first, (27, 131072) @ (131072, 32), 4.9 in one, 2.4 in 8, 1.5-2.5 in 64 (2 threads).
GEMM_PART_INNER = 2048
THIN_GEMM_PARTS = 64


def matmul(a, b, out=None):
    """``numpy.matmul(a, b, out=out)`` for floating NumPy arrays of 2 or more dims, run on minigrad's
    threads with BLAS on one thread (see the module's docstring for why).

    A product of at least ``SPLIT_MACS`` multiply-adds is cut into up to ``GEMM_PARTS`` blocks of the
    result's rows, or of its columns when it has more of those (a convolution's (Cy, K) @ (K, n*P)),
    each computed by one BLAS call on one thread, the blocks shared by the pool's threads; a 2-d
    product with too few of either, over a long inner dim, into blocks of that dim whose products are
    added up in order. The blocks depend on the shapes alone, never on the thread count, so neither
    do the results. Inside a ``parallel_for`` part, and without threadpoolctl, it is ``numpy.matmul``
    itself.

    >>> import numpy as np
    >>> a, b = np.ones((600, 700), np.float32), np.ones((700, 500), np.float32)
    >>> bool((matmul(a, b) == 700).all())
    True
    """
    rows, inner, cols = a.shape[-2], a.shape[-1], b.shape[-1]
    macs = rows * inner * cols
    if macs > BLAS_ALONE_MACS and (a.ndim > 2 or b.ndim > 2):  # stacked: count every product
        for size in np.broadcast_shapes(a.shape[:-2], b.shape[:-2]):
            macs *= size
    if (macs <= BLAS_ALONE_MACS or in_part() or a.dtype.kind not in "fc"
            or not _blas_libraries()):
        return np.matmul(a, b, out=out)
    if out is None:
        out = np.empty(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (rows, cols),
                       dtype=np.result_type(a, b))
    by_rows = rows >= cols
    lines = rows if by_rows else cols
    parts = max(1, min(GEMM_PARTS, lines // GEMM_PART_LINES)) if macs >= SPLIT_MACS else 1  # never by thread count
    partial = None
    if parts == 1 and macs >= SPLIT_MACS and a.ndim == b.ndim == 2:
        # thin: few rows and columns over a long inner dim (a first layer's weight gradient, (27, n*P) @
        # (n*P, 32)): products over fixed blocks of the inner dim, added up in order afterwards
        parts = max(1, min(THIN_GEMM_PARTS, inner // GEMM_PART_INNER))
        partial = np.empty((parts,) + out.shape, dtype=out.dtype) if parts > 1 else None
    bounds = [(inner if partial is not None else lines) * i // parts for i in range(parts + 1)]

    def body(start, stop):
        for i in range(start, stop):
            block = slice(bounds[i], bounds[i + 1])
            if partial is not None:
                np.matmul(a[:, block], b[block], out=partial[i])
            elif by_rows:
                np.matmul(a[..., block, :], b, out=out[..., block, :])
            else:
                np.matmul(a, b[..., block], out=out[..., block])
    with one_blas_thread() as blas:
        if blas.held:
            parallel_for(parts, body)
        else:  # BLAS's threads it is, one part after another
            body(0, parts)
    if partial is not None:
        out[...] = partial[0]
        for i in range(1, parts):
            out += partial[i]
    return out
