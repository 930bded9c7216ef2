"""The default process group: who this process is, and the collectives, with torch.distributed's API.

    import minigrad.distributed as dist
    dist.init_process_group("mpi")          # rank and world size from mpiexec
    dist.all_reduce(t, op=dist.ReduceOp.SUM)

``init_process_group`` also

- checks that the launcher and the MPI library agree: ``mpiexec`` of one MPI starting processes that
  load another MPI gives N processes that each believe they are "rank 0 of 1"; the launcher's own
  variables (``OMPI_COMM_WORLD_SIZE``, ``PMI_SIZE``, ``MV2_COMM_WORLD_SIZE``, torch's ``WORLD_SIZE``)
  give this away, and the error names both;
- installs an excepthook (world size > 1) that prints the traceback with the rank and calls MPI
  Abort, so an exception on one rank ends the whole job instead of leaving the others waiting in a
  collective forever;
- limits BLAS to one thread per rank (world size > 1) unless ``OMP_NUM_THREADS``,
  ``OPENBLAS_NUM_THREADS`` or ``MKL_NUM_THREADS`` is set: k ranks of n BLAS threads each on a machine
  with fewer than k * n cores fight over them.

Without a launcher a script runs as world size 1 (MPI's singleton start; without mpi4py, a world of one).
"""
from __future__ import annotations

import os
import sys
import traceback

from .backends import LocalBackend, MPIBackend, NCCLBackend, ReduceOp, Work, check_op

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")

# Variables a launcher sets to the number of processes it started.
_LAUNCHER_SIZES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE", "WORLD_SIZE")
_LAUNCHER_RANKS = {"OMPI_COMM_WORLD_SIZE": "OMPI_COMM_WORLD_RANK", "PMI_SIZE": "PMI_RANK",
                   "MV2_COMM_WORLD_SIZE": "MV2_COMM_WORLD_RANK", "WORLD_SIZE": "RANK"}
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class _State:
    backend = None          # a backend object of backends.py
    previous_excepthook = None
    thread_limits = None    # threadpoolctl's limiter, undone by destroy_process_group


_state = _State()


class _World:
    """``group.WORLD``: the only group there is (``new_group`` is not supported)."""

    def __repr__(self):
        return "group.WORLD"


class group:  # noqa: N801 - torch's name
    WORLD = _World()


def is_available() -> bool:
    """True: the package is always there (the MPI engine needs ``pip install "minigrad[distributed]"``)."""
    return True


def is_mpi_available() -> bool:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_nccl_available() -> bool:
    try:
        from cupy.cuda import nccl  # noqa: F401
    except Exception:
        return False
    return True


def is_initialized() -> bool:
    return _state.backend is not None


def _backend():
    if _state.backend is None:
        raise ValueError(_NOT_INITIALIZED)
    return _state.backend


def _check_group(group_) -> None:
    if group_ is not None and group_ is not group.WORLD:
        raise NotImplementedError("minigrad.distributed has only the default group (group=None)")


def get_rank(group=None) -> int:
    _check_group(group)
    return _backend().rank


def get_world_size(group=None) -> int:
    _check_group(group)
    return _backend().size


def get_backend(group=None) -> str:
    _check_group(group)
    return _backend().name


def get_local_rank() -> int:
    """This process's rank among the processes on its machine (MPI's shared-memory split)."""
    return getattr(_backend(), "local_rank", 0)


def _launcher_world():
    """(variable, size, rank) from the first launcher variable that is set, or None."""
    for variable in _LAUNCHER_SIZES:
        value = os.environ.get(variable)
        if value:
            return variable, int(value), int(os.environ.get(_LAUNCHER_RANKS[variable], "0") or 0)
    return None


def _check_launcher(rank: int, size: int, library: str) -> None:
    launcher = _launcher_world()
    if launcher is None or launcher[1] == size:
        return
    variable, launcher_size, launcher_rank = launcher
    import shutil
    raise RuntimeError(
        f"the launcher started this process as rank {launcher_rank} of {launcher_size} ({variable}={launcher_size}), "
        f"but the MPI library mpi4py loaded ({library}) sees rank {rank} of {size}: the launcher and the "
        f"library are different MPIs (mpiexec on PATH: {shutil.which('mpiexec')}). Start the job with the "
        f"mpiexec of the MPI that mpi4py uses (with pip's mpich: {os.path.join(sys.prefix, 'bin', 'mpiexec')})")


def _mpi_world():
    """The MPI backend on COMM_WORLD, or a world of one when mpi4py is missing and no launcher ran us."""
    try:
        from mpi4py import MPI
    except ImportError:
        launcher = _launcher_world()
        if launcher is not None and launcher[1] > 1:
            raise RuntimeError(f"started as one of {launcher[1]} processes ({launcher[0]}) but mpi4py is not "
                               'installed: pip install "minigrad[distributed]" (mpi4py and mpich)') from None
        return LocalBackend()
    backend = MPIBackend(MPI.COMM_WORLD)
    _check_launcher(backend.rank, backend.size, MPI.Get_library_version().splitlines()[0].strip())
    return backend


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout=None,
                       world_size: int = -1, rank: int = -1, store=None, group_name: str = "", pg_options=None,
                       device_id=None) -> None:
    """Join the job: ``backend='mpi'`` (NumPy tensors; CuPy ones go through the host) or ``'nccl'``
    (CuPy tensors, one GPU per rank). The rank and world size come from the MPI launcher; a
    ``world_size`` / ``rank`` given here, or ``init_method='env://'`` with torch's ``WORLD_SIZE`` and
    ``RANK``, must agree with it. ``backend=None`` picks ``'nccl'`` when CuPy's NCCL is there, else ``'mpi'``.
    """
    if _state.backend is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is None:
        backend = "nccl" if is_nccl_available() else "mpi"
    backend = str(backend).lower()
    if backend not in ("mpi", "nccl"):
        raise ValueError(f"backend {backend!r} is not supported: use 'mpi' (CPU, mpi4py) or 'nccl' (GPU, CuPy)")
    if init_method not in (None, "env://"):
        raise ValueError(f"init_method {init_method!r} is not supported: the MPI launcher gives rank and world "
                         "size (use None or 'env://')")
    world = _mpi_world()
    if init_method == "env://":
        world_size = int(os.environ.get("WORLD_SIZE", world_size))
        rank = int(os.environ.get("RANK", rank))
    if world_size not in (-1, None) and world_size != world.size:
        raise ValueError(f"world_size={world_size} was asked for, but the launcher started {world.size} processes")
    if rank not in (-1, None) and rank != world.rank:
        raise ValueError(f"rank={rank} was asked for, but the launcher made this process rank {world.rank}")
    if backend == "nccl":
        world = NCCLBackend(world if isinstance(world, MPIBackend) else _SingleRankMPI())
    _state.backend = world
    if world.size > 1:
        _limit_blas_threads()
        _install_excepthook(world)


class _SingleRankMPI(LocalBackend):
    """The MPI side of an NCCL world of one started without mpi4py."""

    local_size = 1


def _limit_blas_threads() -> None:
    if any(os.environ.get(v) for v in _THREAD_VARIABLES):
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    _state.thread_limits = threadpool_limits(1, user_api="blas")


def _install_excepthook(world) -> None:
    previous = sys.excepthook

    def abort_on_exception(kind, value, tb):
        try:
            sys.stderr.write(f"[rank {world.rank}] uncaught {kind.__name__}: aborting all {world.size} ranks\n")
            traceback.print_exception(kind, value, tb, file=sys.stderr)
            sys.stderr.flush()
            sys.stdout.flush()
        finally:
            world.abort(1)

    _state.previous_excepthook = previous
    sys.excepthook = abort_on_exception


def destroy_process_group(group=None) -> None:
    _check_group(group)
    _backend()
    if _state.previous_excepthook is not None:
        sys.excepthook, _state.previous_excepthook = _state.previous_excepthook, None
    if _state.thread_limits is not None:
        _state.thread_limits.restore_original_limits()
        _state.thread_limits = None
    _state.backend = None


# ---- collectives on tensors -------------------------------------------------------------------------

def _array(tensor):
    from ..autograd.tensor import Tensor
    if not isinstance(tensor, Tensor):
        raise TypeError(f"expected a minigrad Tensor, got {type(tensor).__name__}")
    return tensor._data


def _changed(tensor) -> None:
    tensor._bump_version()


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Replace ``tensor`` (in place) by the reduction of every rank's ``tensor``. With ``async_op=True``
    return a ``Work`` whose ``wait()`` finishes it; otherwise ``None``."""
    _check_group(group)
    check_op(op)
    work = _backend().all_reduce(_array(tensor), op, async_op)
    _changed(tensor)
    return work


def broadcast(tensor, src: int = 0, group=None, async_op: bool = False):
    """Replace ``tensor`` (in place) by rank ``src``'s."""
    _check_group(group)
    _backend().broadcast(_array(tensor), src)
    _changed(tensor)
    return Work(lambda: None) if async_op else None


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    """Fill ``tensor_list[r]`` with rank ``r``'s ``tensor`` (every tensor of one shape and dtype)."""
    _check_group(group)
    world = _backend()
    if len(tensor_list) != world.size:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors, the world has {world.size} ranks")
    array = _array(tensor)
    from ..backend import xp
    out = xp(array).empty((world.size,) + array.shape, dtype=array.dtype)
    world.all_gather(out, array)
    for r, t in enumerate(tensor_list):
        _array(t)[...] = out[r]
        _changed(t)
    return Work(lambda: None) if async_op else None


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """``output`` becomes the reduction over ranks of each rank's ``input_list[rank]``."""
    _check_group(group)
    check_op(op)
    world = _backend()
    if len(input_list) != world.size:
        raise ValueError(f"reduce_scatter: input_list has {len(input_list)} tensors, the world has {world.size} ranks")
    from ..backend import xp
    arrays = [_array(t) for t in input_list]
    world.reduce_scatter(_array(output), xp(arrays[0]).stack(arrays), op)
    _changed(output)
    return Work(lambda: None) if async_op else None


def barrier(group=None, async_op: bool = False, device_ids=None):
    _check_group(group)
    _backend().barrier()
    return Work(lambda: None) if async_op else None


def all_gather_object(object_list, obj, group=None) -> None:
    """``object_list[r]`` becomes rank ``r``'s ``obj`` (any picklable object)."""
    _check_group(group)
    gathered = _backend().all_gather_object(obj)
    object_list[:len(gathered)] = gathered


def broadcast_object_list(object_list, src: int = 0, group=None, device=None) -> None:
    """Every rank's ``object_list`` becomes rank ``src``'s (in place)."""
    _check_group(group)
    object_list[:] = _backend().broadcast_object(list(object_list), src)
