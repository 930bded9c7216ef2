"""The engines under ``minigrad.distributed``: MPI (mpi4py) for NumPy arrays, NCCL (``cupy.cuda.nccl``)
for CuPy arrays, and a world of one for a script started without a launcher and without mpi4py.

Every backend works on raw arrays, in place, and has the same small surface:

| method | does |
| --- | --- |
| ``all_reduce(array, op, async_op)`` | ``array`` becomes the reduction over ranks; a ``Work`` (or ``None``) |
| ``broadcast(array, src)`` | ``array`` becomes rank ``src``'s |
| ``all_gather(out, array)`` | ``out[r]`` becomes rank ``r``'s ``array``; ``out`` is ``(world, *array.shape)`` |
| ``reduce_scatter(out, stacked, op)`` | ``out`` becomes the reduction of every rank's ``stacked[rank]`` |
| ``barrier()``, ``all_gather_object(obj)``, ``broadcast_object(obj, src)``, ``abort(code)`` | |

A reduction of ``op=AVG`` is a sum divided by the world size (true division for floating point,
floor division for integers) where the engine has no averaging of its own.
"""
from __future__ import annotations

import numpy as np

from ..backend import xp


class ReduceOp:
    """``torch.distributed.ReduceOp``: how ``all_reduce`` and ``reduce_scatter`` combine ranks' values."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MAX = "max"
    MIN = "min"


_OPS = (ReduceOp.SUM, ReduceOp.AVG, ReduceOp.PRODUCT, ReduceOp.MAX, ReduceOp.MIN)


def check_op(op) -> str:
    if op not in _OPS:
        raise ValueError(f"unknown reduce op {op!r}; use one of ReduceOp.SUM, AVG, PRODUCT, MAX, MIN")
    return op


class Work:
    """The handle ``all_reduce(..., async_op=True)`` returns (torch's ``Work``): ``wait()`` blocks until
    the collective has finished and its result is in the tensor; ``is_completed()`` asks without blocking."""

    def __init__(self, wait, test=None):
        self._wait, self._test, self._done = wait, test, False

    def wait(self, timeout=None) -> bool:
        if not self._done:
            self._wait()
            self._done = True
        return True

    def is_completed(self) -> bool:
        if not self._done and self._test is not None and self._test():
            self.wait()
        return self._done or self._test is None

    def is_success(self) -> bool:
        return self.is_completed()


def _divide(array, world_size: int) -> None:
    if array.dtype.kind == "f":
        array /= world_size
    else:
        array //= world_size


class LocalBackend:
    """A world of one process: every collective leaves its array as it is."""

    name = "mpi"

    def __init__(self):
        self.rank, self.size, self.local_rank = 0, 1, 0

    def all_reduce(self, array, op, async_op=False):
        return Work(lambda: None) if async_op else None

    def broadcast(self, array, src):
        pass

    def all_gather(self, out, array):
        out[0] = array

    def reduce_scatter(self, out, stacked, op):
        out[...] = stacked[0]

    def barrier(self):
        pass

    def all_gather_object(self, obj):
        return [obj]

    def broadcast_object(self, obj, src):
        return obj

    def abort(self, code=1):
        raise SystemExit(code)


class MPIBackend:
    """Collectives over an ``mpi4py`` communicator. NumPy arrays are sent from their own memory; a
    CuPy array (or a non-contiguous or float16 one) goes through a contiguous host copy."""

    name = "mpi"

    def __init__(self, comm):
        from mpi4py import MPI
        self.MPI, self.comm = MPI, comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        local = comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        self._ops = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
                     ReduceOp.MAX: MPI.MAX, ReduceOp.MIN: MPI.MIN}

    @staticmethod
    def _host(array):
        """A contiguous NumPy buffer MPI can use in place of ``array``, and how to write it back."""
        if isinstance(array, np.ndarray) and array.flags.c_contiguous and array.dtype != np.float16:
            return array, None
        host = np.ascontiguousarray(xp(array).asnumpy(array) if not isinstance(array, np.ndarray) else array)
        if host.dtype == np.float16:  # MPI has no half type: reduce in float32
            host = host.astype(np.float32)

        def write_back():
            array[...] = xp(array).asarray(host.astype(array.dtype, copy=False))
        return host, write_back

    def all_reduce(self, array, op, async_op=False):
        host, write_back = self._host(array)
        if host.size == 0:
            return Work(lambda: None) if async_op else None

        def finish():
            if op == ReduceOp.AVG:
                _divide(host, self.size)
            if write_back is not None:
                write_back()
        if async_op:
            request = self.comm.Iallreduce(self.MPI.IN_PLACE, host, self._ops[op])
            return Work(lambda: (request.Wait(), finish()), request.Test)
        self.comm.Allreduce(self.MPI.IN_PLACE, host, self._ops[op])
        finish()
        return None

    def broadcast(self, array, src):
        host, write_back = self._host(array)
        self.comm.Bcast(host, root=src)
        if write_back is not None:
            write_back()

    def all_gather(self, out, array):
        send, _ = self._host(array)
        receive, write_back = self._host(out)
        self.comm.Allgather(send, receive)
        if write_back is not None:
            write_back()

    def reduce_scatter(self, out, stacked, op):
        send, _ = self._host(stacked)
        receive, write_back = self._host(out)
        self.comm.Reduce_scatter_block(send, receive, self._ops[op])
        if op == ReduceOp.AVG:
            _divide(receive, self.size)
        if write_back is not None:
            write_back()

    def barrier(self):
        self.comm.Barrier()

    def all_gather_object(self, obj):
        return self.comm.allgather(obj)

    def broadcast_object(self, obj, src):
        return self.comm.bcast(obj, root=src)

    def abort(self, code=1):
        self.comm.Abort(code)


class NCCLBackend:
    """Collectives over an NCCL communicator (``cupy.cuda.nccl``), on CuPy arrays, on the current stream.

    Bootstrap (no sockets of our own): MPI gives the rank and world size; rank 0 creates NCCL's unique
    id and broadcasts it over MPI; each rank picks its local GPU, ``local_rank % device_count`` where
    the local rank is the rank within the MPI shared-memory communicator (the processes on one machine).
    The MPI communicator stays for object collectives, barriers and abort. ``nccl`` and ``cupy`` are
    parameters so that the tests can run the bootstrap and the dtype / op mapping with a stand-in.
    """

    name = "nccl"

    def __init__(self, mpi_backend, nccl=None, cupy=None):
        if nccl is None or cupy is None:
            try:
                import cupy
                from cupy.cuda import nccl
            except Exception as error:
                raise RuntimeError("the 'nccl' backend needs CuPy built with NCCL and a GPU "
                                   f'(pip install "minigrad[cuda]"): {error}') from None
        self.mpi, self.nccl, self.cupy = mpi_backend, nccl, cupy
        self.rank, self.size = mpi_backend.rank, mpi_backend.size
        self.local_rank, self.local_size = mpi_backend.local_rank, mpi_backend.local_size
        self.device_index = self.local_rank % cupy.cuda.runtime.getDeviceCount()
        cupy.cuda.Device(self.device_index).use()
        unique_id = nccl.get_unique_id() if self.rank == 0 else None
        unique_id = mpi_backend.broadcast_object(unique_id, 0)
        self.comm = nccl.NcclCommunicator(self.size, unique_id, self.rank)
        self._ops = {ReduceOp.SUM: nccl.NCCL_SUM, ReduceOp.PRODUCT: nccl.NCCL_PROD,
                     ReduceOp.MAX: nccl.NCCL_MAX, ReduceOp.MIN: nccl.NCCL_MIN}
        if hasattr(nccl, "NCCL_AVG"):  # NCCL >= 2.10
            self._ops[ReduceOp.AVG] = nccl.NCCL_AVG

    def nccl_dtype(self, dtype) -> int:
        """NCCL's number for a NumPy dtype (bool travels as uint8)."""
        nccl = self.nccl
        table = {"float16": nccl.NCCL_FLOAT16, "float32": nccl.NCCL_FLOAT32, "float64": nccl.NCCL_FLOAT64,
                 "int8": nccl.NCCL_INT8, "uint8": nccl.NCCL_UINT8, "bool": nccl.NCCL_UINT8,
                 "int32": nccl.NCCL_INT32, "int64": nccl.NCCL_INT64}
        name = np.dtype(dtype).name
        if name not in table:
            raise TypeError(f"NCCL cannot reduce tensors of dtype {name}")
        return table[name]

    def nccl_op(self, op):
        return self._ops.get(op, self.nccl.NCCL_SUM)  # AVG without NCCL_AVG: a sum, divided after

    def _device(self, array):
        """``array`` as a contiguous CuPy array on this rank's GPU, and how to write it back."""
        cupy = self.cupy
        if isinstance(array, cupy.ndarray) and array.flags.c_contiguous:
            return array, None
        buffer = cupy.ascontiguousarray(cupy.asarray(array))

        def write_back():
            array[...] = buffer if isinstance(array, cupy.ndarray) else cupy.asnumpy(buffer)
        return buffer, write_back

    def _stream(self):
        return self.cupy.cuda.get_current_stream()

    def all_reduce(self, array, op, async_op=False):
        buffer, write_back = self._device(array)
        stream = self._stream()
        self.comm.allReduce(buffer.data.ptr, buffer.data.ptr, buffer.size, self.nccl_dtype(buffer.dtype),
                            self.nccl_op(op), stream.ptr)
        if op == ReduceOp.AVG and ReduceOp.AVG not in self._ops:
            _divide(buffer, self.size)
        if write_back is not None:
            write_back()
        if async_op:
            event = stream.record()
            return Work(event.synchronize, lambda: event.done)
        return None

    def broadcast(self, array, src):
        buffer, write_back = self._device(array)
        self.comm.bcast(buffer.data.ptr, buffer.size, self.nccl_dtype(buffer.dtype), src, self._stream().ptr)
        if write_back is not None:
            write_back()

    def all_gather(self, out, array):
        send, _ = self._device(array)
        receive, write_back = self._device(out)
        self.comm.allGather(send.data.ptr, receive.data.ptr, send.size, self.nccl_dtype(send.dtype),
                            self._stream().ptr)
        if write_back is not None:
            write_back()

    def reduce_scatter(self, out, stacked, op):
        send, _ = self._device(stacked)
        receive, write_back = self._device(out)
        self.comm.reduceScatter(send.data.ptr, receive.data.ptr, receive.size, self.nccl_dtype(send.dtype),
                                self.nccl_op(op), self._stream().ptr)
        if op == ReduceOp.AVG and ReduceOp.AVG not in self._ops:
            _divide(receive, self.size)
        if write_back is not None:
            write_back()

    def barrier(self):
        self._stream().synchronize()
        self.mpi.barrier()

    def all_gather_object(self, obj):
        return self.mpi.all_gather_object(obj)

    def broadcast_object(self, obj, src):
        return self.mpi.broadcast_object(obj, src)

    def abort(self, code=1):
        self.mpi.abort(code)
