"""How many threads minigrad uses: ``minigrad.set_num_threads`` / ``get_num_threads``, as torch's.

Two kinds of work run in threads:

- **Matrix products** (convolutions' GEMMs, ``matmul``) run in the BLAS that NumPy was built with
  (OpenBLAS in NumPy's wheels), which has its own threads. Their count is set through threadpoolctl,
  the well-kept way to reach a loaded BLAS library (``pip install threadpoolctl``; the ``examples``,
  ``fast`` and ``dev`` extras include it). Without it the BLAS count cannot be changed and a warning
  says so.
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
``set_num_threads(n)`` sets both kinds to ``n``.

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


_controllers = []  # threadpoolctl's controller, made once (it scans the loaded libraries), or None


def _controller():
    if not _controllers:
        try:
            import threadpoolctl
            _controllers.append(threadpoolctl.ThreadpoolController())
        except ImportError:
            _controllers.append(None)
    return _controllers[0]


def _blas_libraries() -> list:
    """threadpoolctl's handles on the loaded BLAS libraries; empty without threadpoolctl."""
    controller = _controller()
    return [] if controller is None else controller.select(user_api="blas").lib_controllers


class one_blas_thread:
    """``with one_blas_thread():`` BLAS on one thread inside the block, its previous count after, for
    callers whose own threads are the parallelism (each thread's GEMMs would otherwise start BLAS's
    threads on top). ``one_blas_thread.possible()``: False without threadpoolctl, where the count cannot
    be changed."""

    @staticmethod
    def possible() -> bool:
        return bool(_blas_libraries())

    def __enter__(self):
        self.before = [(lib, lib.get_num_threads()) for lib in _blas_libraries()]
        for lib, _ in self.before:
            lib.set_num_threads(1)

    def __exit__(self, *exc):
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
    """Use ``n`` threads for memory-bound kernels and in the BLAS that NumPy calls."""
    global _threads, _executor
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    controller = _controller()
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
    """The thread count the loaded BLAS reports, or None without threadpoolctl."""
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


def parallel_for(count: int, body, nbytes: int = None) -> None:
    """Run ``body(start, stop)`` over ``[0, count)`` split into contiguous parts, one per thread.

    ``body`` must write only its own part of the output, so the parts can run in any order (and any
    number of them) with the same result. ``nbytes``, the memory the whole loop touches, keeps small
    loops on the calling thread. Exceptions from any part are raised here.
    """
    threads = min(_kernel_threads(), count)
    if (threads <= 1 or getattr(_inside, "worker", False)
            or (nbytes is not None and nbytes < MIN_PARALLEL_BYTES)):
        body(0, count)
        return
    bounds = [count * i // threads for i in range(threads + 1)]
    pool = _pool()
    futures = [pool.submit(body, bounds[i], bounds[i + 1]) for i in range(1, threads)]
    error = None
    try:
        body(bounds[0], bounds[1])
    except BaseException as caught:  # noqa: B036 -- re-raised below, once every part has stopped writing
        error = caught
    for future in futures:  # wait for every part, even after a failure: they write into the caller's arrays
        part_error = future.exception()
        error = error or part_error
    if error is not None:
        raise error
