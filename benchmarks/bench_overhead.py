"""Per-op overhead: minigrad against torch on tiny tensors, where the Python bookkeeping is the cost.

    python benchmarks/bench_overhead.py                  # every case, 7 repeats
    python benchmarks/bench_overhead.py --case mul_recorded --repeat 15
    python benchmarks/bench_overhead.py --number 5000    # calls per timing (default 2000)

Cases (float32):

- ``mul_recorded``: ``x * y`` on two (4, 4) tensors, ``x`` requiring grad (a graph node is made);
- ``mul_no_grad``: the same under ``no_grad`` (nothing recorded);
- ``small_graph``: ``(x * y + z).sum().backward()`` on (4, 4) tensors (three nodes, forward and backward);
- ``mlp_step``: one step of a 2-layer MLP (16 -> 32 -> 10, batch 8): forward, cross-entropy,
  backward, SGD update with zeroed gradients.

Each repeat times ``--number`` calls of minigrad and of torch back to back (interleaved, so load on the
machine hits both alike); the table shows the median microseconds per call of each and the median
of the per-repeat ratios minigrad / torch. torch runs on one thread (these tensors are far too small
for more), so both libraries do all their work on the calling thread, and by default the time
measured is that thread's CPU time (``time.thread_time``), which other jobs on a busy machine
disturb far less than the wall clock; ``--wall`` measures wall-clock time instead.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

import minigrad
import minigrad.nn as mnn


def _cases(torch):
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal((4, 4)).astype(np.float32) for _ in range(3))
    mx, my, mz = minigrad.tensor(a, requires_grad=True), minigrad.tensor(b), minigrad.tensor(c, requires_grad=True)
    tx, ty, tz = torch.tensor(a, requires_grad=True), torch.tensor(b), torch.tensor(c, requires_grad=True)

    def mul(x, y):
        return lambda: x * y

    def mul_no_grad(lib, x, y):
        def run():
            with lib.no_grad():
                x * y
        return run

    def small_graph(x, y, z):
        def run():
            (x * y + z).sum().backward()
        return run

    def mlp(lib, nn, functional):
        lib.manual_seed(0)
        model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 10))
        optimizer = lib.optim.SGD(model.parameters(), lr=0.01)
        inputs = lib.tensor(rng.standard_normal((8, 16)).astype(np.float32))
        targets = lib.tensor(rng.integers(0, 10, 8))

        def step():
            optimizer.zero_grad()
            functional.cross_entropy(model(inputs), targets).backward()
            optimizer.step()
        return step

    import minigrad.nn.functional as MF
    return {
        "mul_recorded": (mul(mx, my), mul(tx, ty)),
        "mul_no_grad": (mul_no_grad(minigrad, mx, my), mul_no_grad(torch, tx, ty)),
        "small_graph": (small_graph(mx, my, mz), small_graph(tx, ty, tz)),
        "mlp_step": (mlp(minigrad, mnn, MF), mlp(torch, torch.nn, torch.nn.functional)),
    }


def _per_call_us(fn, number: int, clock) -> float:
    start = clock()
    for _ in range(number):
        fn()
    return (clock() - start) / number * 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", help="run only this case (repeatable)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=2000)
    parser.add_argument("--wall", action="store_true", help="wall-clock time instead of the thread's CPU time")
    args = parser.parse_args(argv)
    clock = time.perf_counter if args.wall else time.thread_time

    import torch
    torch.set_num_threads(1)
    cases = _cases(torch)
    names = args.case or list(cases)
    print(f"minigrad {minigrad.__version__} vs torch {torch.__version__} (1 thread), "
          f"{args.number} calls x {args.repeat} repeats, medians of {'wall' if args.wall else 'thread CPU'} time")
    print(f"{'case':<14}{'minigrad us':>13}{'torch us':>11}{'ratio':>8}")
    for name in names:
        mg_fn, th_fn = cases[name]
        number = max(1, args.number // 20) if name == "mlp_step" else args.number
        mg_fn(), th_fn()  # warm up
        mg_times, th_times, ratios = [], [], []
        for _ in range(args.repeat):
            m, t = _per_call_us(mg_fn, number, clock), _per_call_us(th_fn, number, clock)
            mg_times.append(m), th_times.append(t), ratios.append(m / t)
        print(f"{name:<14}{statistics.median(mg_times):>13.2f}{statistics.median(th_times):>11.2f}"
              f"{statistics.median(ratios):>7.2f}x")


if __name__ == "__main__":
    main()
