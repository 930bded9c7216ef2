"""Data-parallel training throughput: 1 process against K MPI ranks, on the same global batch.

    python benchmarks/bench_distributed.py                        # the CIFAR CNN, 1 vs 2 ranks
    python benchmarks/bench_distributed.py --model lenet --ranks 2 --steps 30 --repeat 3

Each repeat runs one plain process (no MPI, one step = the whole global batch) and one
``mpiexec -n K`` job (DistributedDataParallel + SyncBatchNorm, each rank batch / K), one after the
other, each as a fresh subprocess; both time ``--steps`` training steps after 3 warm-up steps on the same
random images. Printed: global images per second of each, their ratio (the speed-up; the median over
repeats is the figure to quote), the share of the distributed step spent averaging gradients, and
images per CPU-second of each (all threads of all ranks): on a machine shared with other work, a job
of K processes gets a larger share of the cores than a job of one, which inflates the speed-up; the
CPU-second figure does not depend on that share and shows what parallelism costs in extra work.
Ranks use one BLAS thread each (minigrad.distributed's default); the single process keeps NumPy's default.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1] / "examples"))


def worker(args) -> None:
    import minigrad
    import minigrad.distributed as dist
    import minigrad.nn as nn
    import minigrad.nn.functional as F
    from models import cifar_cnn, lenet

    distributed = args.worker == "ddp"
    rank, world = 0, 1
    if distributed:
        dist.init_process_group("mpi")
        rank, world = dist.get_rank(), dist.get_world_size()
    minigrad.manual_seed(0)
    shape = (3, 32, 32) if args.model == "cifar" else (1, 28, 28)
    model = cifar_cnn(nn) if args.model == "cifar" else lenet(nn)
    comm = {"seconds": 0.0}
    if distributed:
        from minigrad.nn.parallel import DistributedDataParallel
        model = DistributedDataParallel(nn.SyncBatchNorm.convert_sync_batchnorm(model))
        average = model._average_gradients

        def timed_average():
            start = time.perf_counter()
            average()
            comm["seconds"] += time.perf_counter() - start
        model._average_gradients = timed_average
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    rng = np.random.default_rng(rank)
    per_rank = args.batch // world
    images = minigrad.from_numpy(rng.standard_normal((per_rank,) + shape).astype(np.float32))
    labels = minigrad.from_numpy(rng.integers(0, 10, per_rank))

    def step():
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    if distributed:
        dist.barrier()
    comm["seconds"] = 0.0
    cpu_start, start = time.process_time(), time.perf_counter()
    for _ in range(args.steps):
        step()
    if distributed:
        dist.barrier()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    if distributed:  # the CPU time of all ranks
        total = minigrad.tensor([cpu_seconds], dtype=minigrad.float64)
        dist.all_reduce(total)
        cpu_seconds = total.item()
    if rank == 0:
        images = args.steps * args.batch
        print(f"RESULT {images / seconds:.2f} {comm['seconds'] / seconds:.4f} {images / cpu_seconds:.2f}", flush=True)


def run(command) -> tuple[float, float, float]:
    """(images per second, share of the time averaging gradients, images per CPU-second)."""
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    return tuple(map(float, line.split()[1:]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=["cifar", "lenet"], default="cifar")
    p.add_argument("--batch", type=int, default=None, help="global batch (default: 128 CIFAR, 64 LeNet)")
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--mpiexec", default=str(Path(sys.executable).parent / "mpiexec")
                   if (Path(sys.executable).parent / "mpiexec").exists() else "mpiexec")
    p.add_argument("--worker", choices=["single", "ddp"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.batch is None:
        args.batch = 128 if args.model == "cifar" else 64
    if args.worker:
        return worker(args)
    common = [str(HERE), "--model", args.model, "--batch", str(args.batch), "--steps", str(args.steps)]
    ratios = []
    print(f"{args.model}: global batch {args.batch}, {args.steps} steps, 1 process vs {args.ranks} ranks; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for k in range(args.repeat):
        single, _, single_cpu = run([sys.executable] + common + ["--worker", "single"])
        ddp, comm, ddp_cpu = run([args.mpiexec, "-n", str(args.ranks), sys.executable] + common + ["--worker", "ddp"])
        ratios.append(ddp / single)
        print(f"repeat {k + 1}: 1 process {single:7.1f} img/s   {args.ranks} ranks {ddp:7.1f} img/s   "
              f"speed-up {ddp / single:.2f}x   gradient averaging {100 * comm:.1f}% of the time   "
              f"images per CPU-second {single_cpu:.1f} vs {ddp_cpu:.1f}   (load {os.getloadavg()[0]:.1f})", flush=True)
    print(f"median speed-up {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
