"""What each rank runs under ``mpiexec -n 2`` for tests/distributed/test_mpi.py:

    mpiexec -n 2 python tests/distributed/mpi_scenarios.py SCENARIO OUT_DIR

Rank 0 writes what the test compares into OUT_DIR; a failed check raises, which aborts the job.
The single-process twins of these runs live in test_mpi.py (``make_model``, ``data`` are shared).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

import minigrad
import minigrad.distributed as dist
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.data import DataLoader, DistributedSampler, TensorDataset
from minigrad.nn.parallel import DistributedDataParallel as DDP

STEPS, GLOBAL_BATCH = 3, 64


def data(n=STEPS * GLOBAL_BATCH):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 1, 8, 8))
    y = rng.integers(0, 3, n)
    return TensorDataset(minigrad.from_numpy(x), minigrad.from_numpy(y))


def make_model(batch_norm: bool, width: int = 4) -> nn.Module:
    layers = [nn.Conv2d(1, width, 3, padding=1)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(width))
    layers += [nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(width * 16, 3)]
    return nn.Sequential(*layers).double()


def flat_weights(module) -> np.ndarray:
    return np.concatenate([np.asarray(v.detach()).astype(np.float64).ravel() for v in module.state_dict().values()])


def check_identical_on_all_ranks(module, what: str) -> None:
    everyone = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, flat_weights(module))
    for rank, weights in enumerate(everyone[1:], start=1):
        if not np.array_equal(weights, everyone[0]):
            raise AssertionError(f"{what}: rank {rank}'s weights differ from rank 0's")


def check_one_blas_thread():
    """Unless the user chose a number of threads, each rank runs BLAS on one."""
    if any(os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")):
        return
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return
    blas = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    assert blas and all(n == 1 for n in blas), blas


def check_collectives(rank, world):
    t = minigrad.tensor([rank + 1.0, 2.0 * (rank + 1)], dtype=minigrad.float64)
    expected = {dist.ReduceOp.SUM: [3.0, 6.0], dist.ReduceOp.AVG: [1.5, 3.0], dist.ReduceOp.MAX: [2.0, 4.0],
                dist.ReduceOp.MIN: [1.0, 2.0], dist.ReduceOp.PRODUCT: [2.0, 8.0]}
    for op, want in expected.items():
        for dtype in (minigrad.float64, minigrad.float32, minigrad.int64):
            u = t.to(dtype).clone()
            dist.all_reduce(u, op=op)
            assert u.tolist() == [type(u.tolist()[0])(w) for w in want], (op, dtype, u.tolist())
    u = t.clone()
    work = dist.all_reduce(u, async_op=True)
    work.wait()
    assert work.is_completed() and u.tolist() == [3.0, 6.0]
    strided = minigrad.tensor([[rank + 1.0, 5.0], [7.0, 9.0]]).t()   # non-contiguous: through a copy
    dist.all_reduce(strided)
    assert strided.tolist() == [[3.0, 14.0], [10.0, 18.0]], strided.tolist()
    b = minigrad.tensor([float(rank)] * 3)
    dist.broadcast(b, src=1)
    assert b.tolist() == [1.0] * 3
    gathered = [minigrad.zeros(2) for _ in range(world)]
    dist.all_gather(gathered, minigrad.tensor([rank, 10.0 * rank]))
    assert [g.tolist() for g in gathered] == [[0.0, 0.0], [1.0, 10.0]]
    out = minigrad.zeros(2)
    dist.reduce_scatter(out, [minigrad.tensor([1.0, 2.0]) * (rank + 1), minigrad.tensor([3.0, 4.0]) * (rank + 1)])
    assert out.tolist() == ([3.0, 6.0] if rank == 0 else [9.0, 12.0]), out.tolist()
    objects = [None] * world
    dist.all_gather_object(objects, {"rank": rank})
    assert objects == [{"rank": 0}, {"rank": 1}]
    dist.barrier()


def train(kind: str, out: Path, rank: int) -> None:
    """2 ranks x 32 samples per step; rank 0 starts from seed 0's weights, rank 1 from seed 1's."""
    minigrad.manual_seed(rank)
    model = make_model(kind == "syncbn")
    if kind == "syncbn":
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ddp = DDP(model, bucket_cap_mb=0.0005)  # about 500 bytes: several buckets
    assert len(ddp._buckets) > 2
    check_identical_on_all_ranks(ddp, f"{kind}: after the constructor")
    optimizer = minigrad.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    dataset = data()
    loader = DataLoader(dataset, batch_size=GLOBAL_BATCH // 2, sampler=DistributedSampler(dataset, shuffle=False))
    for step, (x, y) in enumerate(loader):
        loss = F.cross_entropy(ddp(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        check_identical_on_all_ranks(ddp, f"{kind}: after step {step}")
    if rank == 0:
        minigrad.save(ddp.module.state_dict(), out / f"{kind}.safetensors")


def check_no_sync(rank: int) -> None:
    """Two micro-batches inside no_sync(), one outside: the average over ranks of the three local sums."""
    minigrad.manual_seed(0)
    ddp = DDP(make_model(False))
    dataset = data()
    batches = [(dataset.tensors[0][k * 16 + rank * 8:k * 16 + rank * 8 + 8], dataset.tensors[1][k * 16 + rank * 8:k * 16 + rank * 8 + 8])
               for k in range(3)]
    for x, y in batches:  # the expected value: local sums (calling the module itself does not synchronise)
        F.cross_entropy(ddp.module(x), y).backward()
    expected = [p.grad.clone() for p in ddp.parameters()]
    for e in expected:
        dist.all_reduce(e, op=dist.ReduceOp.AVG)
    for p in ddp.parameters():
        p.grad = None
    with ddp.no_sync():
        for x, y in batches[:2]:
            F.cross_entropy(ddp(x), y).backward()
    local = [p.grad.clone() for p in ddp.parameters()]
    everyone = [None, None]
    dist.all_gather_object(everyone, np.concatenate([np.asarray(g).ravel() for g in local]))
    assert not np.array_equal(everyone[0], everyone[1]), "no_sync() averaged"
    F.cross_entropy(ddp(batches[2][0]), batches[2][1]).backward()
    for p, e in zip(ddp.parameters(), expected):
        np.testing.assert_allclose(np.asarray(p.grad), np.asarray(e), rtol=1e-12, atol=1e-12)


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk, self.left, self.right, self.never = nn.Linear(4, 4), nn.Linear(4, 2), nn.Linear(4, 2), nn.Linear(4, 2)

    def forward(self, x, use_right: bool):
        h = self.trunk(x)
        return self.left(h).sum() + (self.right(h).sum() if use_right else 0.0)


def check_unused_parameters(rank: int) -> None:
    """The right head has a gradient on rank 1 only, the 'never' head on no rank: no hang, and the
    right head's gradient is rank 1's divided by 2, the never head's stays None."""
    minigrad.manual_seed(0)
    ddp = DDP(TwoHeads().double())
    x = minigrad.ones(3, 4, dtype=minigrad.float64)
    ddp(x, use_right=rank == 1).backward()
    right = ddp.module.right.weight.grad
    assert right is not None and ddp.module.never.weight.grad is None
    h = ddp.module.trunk(x).detach()
    np.testing.assert_allclose(np.asarray(right), np.asarray(h.sum(0, keepdim=True).expand(2, 4)) / 2)


def check_mismatch(rank: int, out: Path) -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3 + rank, 2))
    try:
        DDP(model)
    except RuntimeError as error:  # a file per rank: the ranks' stdout lines may interleave
        (out / f"mismatch_rank{rank}.txt").write_text(str(error))
    else:
        raise AssertionError("a model that differs between ranks was accepted")


def scenario_train(out: Path) -> None:
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    assert world == 2 and dist.get_backend() == "mpi" and dist.is_initialized()
    check_one_blas_thread()
    check_collectives(rank, world)
    for kind in ("plain", "syncbn"):
        train(kind, out, rank)
    check_no_sync(rank)
    check_unused_parameters(rank)
    check_mismatch(rank, out)
    dist.destroy_process_group()
    (out / f"done_rank{rank}").write_text("done")


def scenario_raise(out: Path) -> None:
    dist.init_process_group("mpi")
    dist.barrier()
    if dist.get_rank() == 1:
        print(f"raising at {time.time():.3f}", flush=True)
        raise ValueError("rank 1 fails on purpose")
    dist.barrier()  # rank 0 would wait here forever without the abort
    time.sleep(60)


def scenario_resume(out: Path) -> None:
    """The example scripts' Run, data-parallel: straight, crashed mid-epoch and resumed, same weights."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
    from types import SimpleNamespace

    from training import Run, parallel, rank_batch_size, train_sampling
    from minigrad.data import transforms as T

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()

    class Crash(Exception):
        pass

    def run(folder, *, resume=False, crash_at=None):
        args = SimpleNamespace(out=str(out / folder), resume=resume, epochs=2, device="cpu", quiet=True,
                               checkpoint_every=2, no_plots=True, distributed=True, rank=rank, world_size=world,
                               seed=0, batch_size=16)
        minigrad.manual_seed(args.seed + rank)
        dataset = data(96)

        def collate(samples):  # a random augmentation per batch, drawn in the loader thread
            x = minigrad.stack([s[0] for s in samples])
            y = minigrad.stack([s[1] for s in samples])
            return minigrad.from_numpy(T.random_horizontal_flip_batch(x._data)), y

        loader = DataLoader(dataset, batch_size=rank_batch_size(args), collate_fn=collate, num_workers=1,
                            **train_sampling(args, dataset))
        model = parallel(args, nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                                             nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.3),
                                             nn.Linear(4 * 4 * 4, 3)).double())
        optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        scheduler = minigrad.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, epochs=2,
                                                           steps_per_epoch=len(loader))
        steps = {"n": 0}

        def loss_fn(logits, target, reduction="mean"):
            if model.training:
                steps["n"] += 1
                if steps["n"] == crash_at:
                    raise Crash()
            return F.cross_entropy(logits, target, reduction=reduction)

        return Run(args, model, optimizer, loader, loader, scheduler, scheduler_per_step=True, loss_fn=loss_fn)

    straight = run("straight")
    straight.fit()
    check_identical_on_all_ranks(straight.model, "straight run")
    crashed = run("crashed", crash_at=9)  # epoch 2 (6 steps per epoch), after the checkpoint at step 8
    try:
        crashed.fit()
    except Crash:
        pass
    resumed = run("crashed", resume=True)
    resumed.fit()
    check_identical_on_all_ranks(resumed.model, "resumed run")
    assert resumed.step == straight.step == 12, (resumed.step, straight.step)
    if not np.array_equal(flat_weights(resumed.model), flat_weights(straight.model)):
        raise AssertionError("the resumed run ends with other weights than the straight one")
    assert resumed.history["test_loss"] == straight.history["test_loss"]
    if rank == 0:
        minigrad.save(straight.model.module.state_dict(), out / "straight.safetensors")
    (out / f"resumed_rank{rank}").write_text("resumed exactly")


if __name__ == "__main__":
    globals()[f"scenario_{sys.argv[1]}"](Path(sys.argv[2]))
