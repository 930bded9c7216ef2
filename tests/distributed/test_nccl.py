"""The NCCL backend without a GPU: its bootstrap (unique id made on rank 0 and sent over MPI, local GPU
from the shared-memory rank) and its dtype / op mapping, with two ranks in two threads talking through a
stand-in for ``cupy.cuda.nccl`` that checks every call's dtype code against the array it is given."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import numpy as np
import pytest

from minigrad.distributed.backends import NCCLBackend, ReduceOp

WORLD = 2
DTYPE_CODES = {"int8": 0, "uint8": 1, "int32": 2, "int64": 4, "float16": 6, "float32": 7, "float64": 8}


class FakeArray(np.ndarray):
    """A 'CuPy array': a NumPy array whose ``.data.ptr`` is its address."""

    @property
    def data(self):
        return SimpleNamespace(ptr=self.ctypes.data)


class FakeCupy:
    ndarray = FakeArray
    devices_used = []

    def __init__(self, device_count=4):
        self.cuda = SimpleNamespace(
            runtime=SimpleNamespace(getDeviceCount=lambda: device_count),
            Device=lambda index: SimpleNamespace(use=lambda: FakeCupy.devices_used.append(index)),
            get_current_stream=lambda: SimpleNamespace(ptr=1234, synchronize=lambda: None,
                                                       record=lambda: SimpleNamespace(synchronize=lambda: None,
                                                                                      done=True)))

    @staticmethod
    def asarray(a):
        return np.asarray(a).view(FakeArray)

    @staticmethod
    def ascontiguousarray(a):
        return np.ascontiguousarray(a).view(FakeArray)

    @staticmethod
    def asnumpy(a):
        return np.asarray(a)


class Rendezvous:
    """What the two ranks share: a barrier and a place to put each rank's contribution."""

    def __init__(self):
        self.barrier = threading.Barrier(WORLD, timeout=10)
        self.slots = [None] * WORLD
        self.ids_created = 0


class FakeMPI:
    def __init__(self, rank, meeting):
        self.rank, self.size, self.local_rank, self.local_size = rank, WORLD, rank, WORLD
        self.meeting = meeting

    def broadcast_object(self, obj, src):
        if self.rank == src:
            self.meeting.slots[src] = obj
        self.meeting.barrier.wait()
        value = self.meeting.slots[src]
        self.meeting.barrier.wait()
        return value

    def barrier(self):
        self.meeting.barrier.wait()


def fake_nccl(meeting, registry):
    """A stand-in for cupy.cuda.nccl: collectives reduce the ranks' arrays with NumPy."""
    reduce = {10: np.add, 11: np.multiply, 12: np.maximum, 13: np.minimum}

    def array_at(ptr, count, code):
        array = registry[ptr]
        assert DTYPE_CODES[array.dtype.name] == code, (array.dtype, code)
        assert array.size >= count
        return array.reshape(-1)

    class Communicator:
        def __init__(self, size, unique_id, rank):
            assert size == WORLD and unique_id == b"the-id"
            self.rank = rank

        def _exchange(self, value):
            meeting.slots[self.rank] = value.copy()
            meeting.barrier.wait()
            everyone = list(meeting.slots)
            meeting.barrier.wait()
            return everyone

        def allReduce(self, send, receive, count, code, op, stream):
            assert stream == 1234
            everyone = self._exchange(array_at(send, count, code)[:count])
            result = everyone[0]
            for other in everyone[1:]:
                result = reduce[op](result, other) if op in reduce else (result + other) / WORLD
            array_at(receive, count, code)[:count] = result

        def bcast(self, buffer, count, code, root, stream):
            everyone = self._exchange(array_at(buffer, count, code)[:count])
            array_at(buffer, count, code)[:count] = everyone[root]

        def allGather(self, send, receive, count, code, stream):
            everyone = self._exchange(array_at(send, count, code)[:count])
            array_at(receive, count * WORLD, code)[:] = np.concatenate(everyone)

        def reduceScatter(self, send, receive, count, code, op, stream):
            everyone = self._exchange(array_at(send, count * WORLD, code))
            total = everyone[0] + everyone[1] if op == 10 else reduce[op](everyone[0], everyone[1])
            array_at(receive, count, code)[:] = total[self.rank * count:(self.rank + 1) * count]

    def get_unique_id():
        meeting.ids_created += 1
        return b"the-id"

    return SimpleNamespace(get_unique_id=get_unique_id, NcclCommunicator=Communicator,
                           NCCL_SUM=10, NCCL_PROD=11, NCCL_MAX=12, NCCL_MIN=13,
                           **{f"NCCL_{name.upper()}": code for name, code in DTYPE_CODES.items()})


def on_two_ranks(work, device_count=4):
    """Run ``work(backend, rank)`` on two threads, each with its own NCCLBackend; return the results."""
    meeting, registry, results, errors = Rendezvous(), {}, [None] * WORLD, []
    FakeCupy.devices_used = []
    cupy = FakeCupy(device_count)

    def register(array):
        array = np.ascontiguousarray(array).view(FakeArray)
        registry[array.ctypes.data] = array
        return array

    def rank_main(rank):
        try:
            backend = NCCLBackend(FakeMPI(rank, meeting), nccl=fake_nccl(meeting, registry), cupy=cupy)
            results[rank] = work(backend, rank, register)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            meeting.barrier.abort()

    threads = [threading.Thread(target=rank_main, args=(r,)) for r in range(WORLD)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    if errors:
        raise errors[0]
    return results, meeting


def test_the_unique_id_is_made_on_rank_0_and_each_rank_takes_its_local_gpu():
    results, meeting = on_two_ranks(lambda backend, rank, register: (backend.rank, backend.device_index))
    assert meeting.ids_created == 1
    assert results == [(0, 0), (1, 1)]
    assert sorted(FakeCupy.devices_used) == [0, 1]
    results, _ = on_two_ranks(lambda backend, rank, register: backend.device_index, device_count=1)
    assert results == [0, 0]  # more ranks than GPUs on a machine: they share by local_rank % count


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64", "uint8", "int8"])
@pytest.mark.parametrize("op, expected", [(ReduceOp.SUM, [4, 6]), (ReduceOp.AVG, [2, 3]), (ReduceOp.PRODUCT, [3, 8]),
                                          (ReduceOp.MAX, [3, 4]), (ReduceOp.MIN, [1, 2])])
def test_all_reduce_maps_every_dtype_and_op(dtype, op, expected):
    def work(backend, rank, register):
        array = register(np.array([1 + 2 * rank, 2 + 2 * rank], dtype=dtype))  # rank 0: [1, 2]; rank 1: [3, 4]
        backend.all_reduce(array, op)
        return array.tolist()

    results, _ = on_two_ranks(work)
    assert results == [expected, expected]


def test_async_all_reduce_broadcast_all_gather_and_reduce_scatter():
    def work(backend, rank, register):
        a = register(np.full(3, rank + 1.0, dtype=np.float32))
        handle = backend.all_reduce(a, ReduceOp.SUM, async_op=True)
        assert handle.wait() and handle.is_completed()
        b = register(np.full(2, 10.0 * rank))
        backend.broadcast(b, 1)
        out = register(np.zeros((2, 2), dtype=np.int64))
        backend.all_gather(out, register(np.array([rank, rank], dtype=np.int64)))
        scattered = register(np.zeros(2))
        backend.reduce_scatter(scattered, register(np.arange(4.0).reshape(2, 2) * (rank + 1)), ReduceOp.SUM)
        backend.barrier()
        return a.tolist(), b.tolist(), out.tolist(), scattered.tolist()

    results, _ = on_two_ranks(work)
    assert results[0] == ([3.0] * 3, [10.0, 10.0], [[0, 0], [1, 1]], [0.0, 3.0])
    assert results[1] == ([3.0] * 3, [10.0, 10.0], [[0, 0], [1, 1]], [6.0, 9.0])


def test_a_dtype_nccl_cannot_reduce_is_refused():
    def work(backend, rank, register):
        with pytest.raises(TypeError, match="NCCL cannot reduce tensors of dtype complex64"):
            backend.nccl_dtype(np.complex64)
        return backend.nccl_dtype(np.bool_)

    results, _ = on_two_ranks(work)
    assert results == [1, 1]  # bool travels as uint8
