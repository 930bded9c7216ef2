"""minigrad.distributed in one process: a script started without a launcher is a world of one (MPI's
singleton start, or without mpi4py a world of one), the API's errors, the launcher / library check,
and DDP, SyncBatchNorm and the differentiable all_reduce at world size 1."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import minigrad
import minigrad.distributed as dist
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.nn.parallel import DistributedDataParallel as DDP


@pytest.fixture
def world(monkeypatch):
    for variable in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE", "WORLD_SIZE", "RANK"):
        monkeypatch.delenv(variable, raising=False)
    dist.init_process_group("mpi")
    yield
    dist.destroy_process_group()


def test_without_a_process_group_the_queries_raise_torchs_error():
    assert not dist.is_initialized() and dist.is_available()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.all_reduce(minigrad.ones(2))


def test_a_script_without_a_launcher_is_a_world_of_one(world):
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend(), dist.get_local_rank()) == (0, 1, "mpi", 0)
    assert getattr(sys.excepthook, "__name__", "") != "abort_on_exception"  # only installed for world size > 1
    t = minigrad.tensor([1.0, -2.0])
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX, dist.ReduceOp.MIN, dist.ReduceOp.PRODUCT):
        assert dist.all_reduce(t, op=op) is None and t.tolist() == [1.0, -2.0]
    work = dist.all_reduce(t, async_op=True)
    assert work.wait() and work.is_completed()
    dist.broadcast(t, 0)
    gathered = [minigrad.zeros(2)]
    dist.all_gather(gathered, t)
    assert gathered[0].tolist() == [1.0, -2.0]
    out = minigrad.zeros(2)
    dist.reduce_scatter(out, [t])
    assert out.tolist() == [1.0, -2.0]
    objects = [None]
    dist.all_gather_object(objects, {"a": 1})
    assert objects == [{"a": 1}]
    dist.barrier()


def test_initialising_twice_or_with_a_wrong_world_raises(world):
    with pytest.raises(ValueError, match="twice"):
        dist.init_process_group("mpi")


@pytest.mark.parametrize("kwargs, match", [
    ({"backend": "gloo"}, "backend 'gloo' is not supported"),
    ({"backend": "mpi", "world_size": 2}, "world_size=2 was asked for, but the launcher started 1"),
    ({"backend": "mpi", "rank": 1}, "rank=1 was asked for"),
    ({"backend": "mpi", "init_method": "tcp://10.0.0.1:23456"}, "init_method 'tcp://10.0.0.1:23456' is not supported"),
])
def test_bad_arguments_are_named(monkeypatch, kwargs, match):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with pytest.raises(ValueError, match=match):
        dist.init_process_group(**kwargs)
    assert not dist.is_initialized()


def test_env_init_method_reads_torchs_variables(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("RANK", "0")
    dist.init_process_group("mpi", init_method="env://")
    try:
        assert dist.get_world_size() == 1
    finally:
        dist.destroy_process_group()


def test_a_launcher_of_another_mpi_is_detected_and_named(monkeypatch):
    # Open MPI's mpiexec starting processes that load MPICH: each sees "rank 0 of 1", but the launcher's
    # variables say 2 processes were started.
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "1")
    with pytest.raises(RuntimeError, match="OMPI_COMM_WORLD_SIZE") as error:
        dist.init_process_group("mpi")
    if dist.is_mpi_available():
        assert "rank 1 of 2" in str(error.value) and "sees rank 0 of 1" in str(error.value)
    assert not dist.is_initialized()


def test_an_unknown_reduce_op_is_refused(world):
    with pytest.raises(ValueError, match="unknown reduce op"):
        dist.all_reduce(minigrad.ones(1), op="median")


def test_the_nccl_backend_without_cupy_says_what_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(RuntimeError, match="the 'nccl' backend needs CuPy"):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


def test_the_differentiable_all_reduce_is_the_identity_in_a_world_of_one(world):
    from minigrad.distributed.nn.functional import all_reduce
    x = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
    assert minigrad.autograd.gradcheck(all_reduce, (x,))
    assert minigrad.autograd.gradgradcheck(all_reduce, (x,))
    with pytest.raises(NotImplementedError):
        all_reduce(x, op=dist.ReduceOp.MAX)


def test_ddp_in_a_world_of_one_changes_nothing_but_the_state_dict_prefix(world):
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    reference = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    reference.load_state_dict(model.state_dict())
    ddp = DDP(model)
    assert ddp.module is model
    assert list(ddp.state_dict()) == ["module." + k for k in model.state_dict()]
    x = minigrad.randn(5, 4)
    ddp(x).sum().backward()
    reference(x).sum().backward()
    for p, q in zip(ddp.parameters(), reference.parameters()):
        np.testing.assert_allclose(np.asarray(p.grad), np.asarray(q.grad), rtol=1e-6)
    with ddp.no_sync():
        ddp(x).sum().backward()
    reference(x).sum().backward()
    for p, q in zip(ddp.parameters(), reference.parameters()):
        np.testing.assert_allclose(np.asarray(p.grad), np.asarray(q.grad), rtol=1e-6)


def test_ddp_needs_a_process_group():
    with pytest.raises(ValueError, match="init_process_group"):
        DDP(nn.Linear(2, 2))


@pytest.mark.parametrize("in_group", [False, True])
def test_sync_batchnorm_of_one_process_is_batchnorm(request, in_group):
    if in_group:
        request.getfixturevalue("world")
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU()).double()
    synced = nn.SyncBatchNorm.convert_sync_batchnorm(
        nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU()).double())
    synced.load_state_dict(model.state_dict())
    assert isinstance(synced[1], nn.SyncBatchNorm)
    x = minigrad.randn(4, 2, 6, 6, dtype=minigrad.float64)
    for m in (model, synced):
        m(x).square().sum().backward()
    for (key, a), b in zip(model.state_dict().items(), synced.state_dict().values()):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-12, err_msg=key)
    for p, q in zip(model.parameters(), synced.parameters()):
        np.testing.assert_allclose(np.asarray(q.grad), np.asarray(p.grad), rtol=1e-10)


def test_convert_sync_batchnorm_keeps_the_parameter_objects():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Sequential(nn.BatchNorm1d(4)))
    weight = model[1].weight
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted[1], nn.SyncBatchNorm) and isinstance(converted[2][0], nn.SyncBatchNorm)
    assert converted[1].weight is weight
    assert list(converted.state_dict()) == list(model.state_dict())
