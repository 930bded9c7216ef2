"""Data-parallel training across processes and machines: ``torch.distributed``'s API on MPI (mpi4py, for
NumPy arrays) and NCCL (``cupy.cuda.nccl``, for CuPy arrays).

    import minigrad.distributed as dist
    from minigrad.nn.parallel import DistributedDataParallel as DDP
    from minigrad.data import DistributedSampler

    dist.init_process_group("mpi")                    # mpiexec -n 2 python train.py
    model = DDP(model)                                # same weights everywhere, averaged gradients
    sampler = DistributedSampler(train_set)           # each rank its own shard of every epoch

``pip install "minigrad[distributed]"`` brings mpi4py and MPICH (with ``mpiexec``). See docs/distributed.md.
"""
from . import nn
from .backends import ReduceOp, Work
from .process_group import (all_gather, all_gather_object, all_reduce, barrier, broadcast, broadcast_object_list,
                            destroy_process_group, get_backend, get_local_rank, get_rank, get_world_size, group,
                            init_process_group, is_available, is_initialized, is_mpi_available, is_nccl_available,
                            reduce_scatter)

__all__ = ["ReduceOp", "Work", "all_gather", "all_gather_object", "all_reduce", "barrier", "broadcast",
           "broadcast_object_list", "destroy_process_group", "get_backend", "get_local_rank", "get_rank",
           "get_world_size", "group", "init_process_group", "is_available", "is_initialized", "is_mpi_available",
           "is_nccl_available", "reduce_scatter", "nn"]
