"""How many threads minigrad's BLAS uses: ``minigrad.set_num_threads`` / ``get_num_threads``, as torch's.

minigrad's matrix products run in the BLAS that NumPy was built with (OpenBLAS in NumPy's wheels),
which starts one thread per core. On a busy machine those threads fight over the cores and a
training step can get several times slower; ``set_num_threads(1)`` is then the cure, as it is for
torch. The limit is set through threadpoolctl, the well-kept way to reach a loaded BLAS library
(``pip install threadpoolctl``; the ``examples`` and ``dev`` extras include it). Without it the
number is remembered and returned, and a warning says that the BLAS threads did not change.

    >>> import minigrad
    >>> minigrad.get_num_threads() >= 1
    True
"""
from __future__ import annotations

import os
import warnings

_requested = None  # the last value given to set_num_threads


def _controller():
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl.ThreadpoolController()


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in the BLAS that NumPy calls (matrix products, convolutions' GEMMs)."""
    global _requested
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
    _requested = n


def get_num_threads() -> int:
    """The BLAS thread count: what the loaded BLAS reports, else the last value set, else the cores."""
    controller = _controller()
    if controller is not None:
        blas = controller.select(user_api="blas").info()
        if blas:
            return max(lib["num_threads"] for lib in blas)
    return _requested if _requested is not None else (os.cpu_count() or 1)
