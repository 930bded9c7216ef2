"""Training throughput (images per second), minigrad against torch, in one process.

    python benchmarks/bench_train.py                  # our LeNet, the classic LeNet-5 and the CIFAR CNN
    python benchmarks/bench_train.py --model lenet5 --steps 20 --repeat 5
    python benchmarks/bench_train.py --allocator tuned --kernels numpy   # one setting (default: all)
    python benchmarks/bench_train.py --profile lenet  # cProfile of minigrad's training step
    python benchmarks/bench_train.py --primitives cifar --steps 5   # time per primitive, both libraries

Both libraries train the same network (built by examples/models.py from either ``nn`` namespace),
starting from the same weights, on the same random batches, with the same optimiser. One "step" is
forward, cross-entropy, backward and an optimiser update. Timings alternate between the libraries and
the ratio minigrad/torch throughput is reported per repeat; the median is the figure to quote.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

# torch's OpenMP workers spin for a while after each op and would steal the cores that minigrad is
# timed on next: make them sleep at once, so that interleaved timings compare the libraries, not that.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import minigrad  # noqa: E402
import minigrad.nn as mnn  # noqa: E402
import minigrad.nn.functional as MF  # noqa: E402

import settings  # noqa: E402
from models import cifar_cnn, lenet, lenet5  # noqa: E402

MODELS = {
    "lenet": dict(build=lenet, shape=(1, 28, 28), batch=64, optimizer="adam"),
    # the textbook model as d2l trains it (batch 256, SGD), with weight decay
    "lenet5": dict(build=lenet5, shape=(1, 28, 28), batch=256, optimizer="sgd-wd"),
    "cifar": dict(build=cifar_cnn, shape=(3, 32, 32), batch=128, optimizer="sgd"),
}


def _optimizer(library, params, kind):
    if kind == "adam":
        return library.optim.Adam(params, lr=1e-3)
    if kind == "sgd-wd":
        return library.optim.SGD(params, lr=0.1, weight_decay=1e-4)
    return library.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)


def make_minigrad(name, device, memory_format=None):
    spec = MODELS[name]
    model = spec["build"](mnn).to(device, memory_format=memory_format)
    opt = _optimizer(minigrad, model.parameters(), spec["optimizer"])

    def step(images, labels):
        x, y = minigrad.from_numpy(images).to(device, memory_format=memory_format), minigrad.from_numpy(labels).to(device)
        loss = MF.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return model, step


def make_torch(name, device, weights, memory_format=None):
    import torch
    spec = MODELS[name]
    model = spec["build"](torch.nn)
    model.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in weights.items()})
    model = model.to(device, memory_format=memory_format)
    opt = _optimizer(torch, model.parameters(), spec["optimizer"])

    def step(images, labels):
        x, y = torch.from_numpy(images).to(device, memory_format=memory_format), torch.from_numpy(labels).to(device)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if device != "cpu":
            torch.cuda.synchronize()
        return loss.item()
    return step


def batches(name, count, batch, seed=0):
    rng = np.random.default_rng(seed)
    shape = (batch,) + MODELS[name]["shape"]
    return [(rng.standard_normal(shape).astype(np.float32), rng.integers(0, 10, batch).astype(np.int64))
            for _ in range(count)]


def time_steps(step, data) -> float:
    start = time.perf_counter()
    for images, labels in data:
        step(images, labels)
    return time.perf_counter() - start


class PrimitiveTimer:
    """Self time (wall clock) per minigrad primitive: each forward (``Primitive.apply``) and each backward
    (the engine's call of a node's backward) under its class name, less the time of the primitives it
    runs inside (Conv's backward runs ConvTranspose and ConvWeightGrad forwards: those are counted as
    themselves), so the entries add up to the time spent in primitives."""

    def __init__(self):
        from minigrad.autograd import engine, function
        self.engine, self.function, self.times, self.stack = engine, function, {}, []
        self.apply, self.backward_of = function.Primitive.__dict__["apply"], engine._backward_of

    def _timed(self, key, run):
        self.stack.append(0.0)
        start = time.perf_counter()
        try:
            return run()
        finally:
            elapsed = time.perf_counter() - start
            inner = self.stack.pop()
            self.times[key] = self.times.get(key, 0.0) + elapsed - inner
            if self.stack:
                self.stack[-1] += elapsed

    def __enter__(self):
        apply, backward_of, timed = self.apply.__func__, self.backward_of, self._timed
        self.function.Primitive.apply = classmethod(
            lambda cls, *a, **k: timed("forward  " + cls.__name__, lambda: apply(cls, *a, **k)))
        self.engine._backward_of = lambda node, grads, create: timed(
            "backward " + type(node).__name__, lambda: backward_of(node, grads, create))
        return self

    def __exit__(self, *exc):
        self.function.Primitive.apply, self.engine._backward_of = self.apply, self.backward_of


def profile_primitives(args):
    """Where a training step's time goes: minigrad per primitive, torch per operator (its profiler's
    self CPU time), both in ms per step, on the same model and batches."""
    import torch
    from torch.profiler import profile
    name = args.primitives
    threads = args.threads or os.cpu_count()
    torch.set_num_threads(threads)
    minigrad.set_num_threads(threads)
    layout = minigrad.channels_last if args.channels_last else minigrad.preserve_format
    data = batches(name, args.steps, args.batch_size or MODELS[name]["batch"])
    model, step = make_minigrad(name, args.device, layout)
    torch_step = make_torch(name, args.device, {k: v.detach().cpu() for k, v in model.state_dict().items()},
                            torch.channels_last if args.channels_last else torch.preserve_format)
    step(*data[0])
    torch_step(*data[0])
    with PrimitiveTimer() as timer:
        total = time_steps(step, data)
    with profile() as torch_profile:
        torch_total = time_steps(torch_step, data)
    rows = sorted(timer.times.items(), key=lambda kv: -kv[1])
    print(f"minigrad: {total / args.steps * 1e3:.1f} ms per step, {sum(timer.times.values()) / args.steps * 1e3:.1f} "
          f"in primitives (self time; timing adds ~2 us per call)")
    for key, seconds in rows[:args.top]:
        print(f"  {key:40s} {seconds / args.steps * 1e3:8.2f}")
    events = sorted(torch_profile.key_averages(), key=lambda e: -e.self_cpu_time_total)
    print(f"torch: {torch_total / args.steps * 1e3:.1f} ms per step (profiled), self CPU time per operator:")
    for event in events[:args.top]:
        print(f"  {event.key[:52]:52s} {event.self_cpu_time_total / args.steps / 1e3:8.2f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=[*MODELS, "all"], default="all")
    p.add_argument("--steps", type=int, default=10, help="training steps per timing")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: the CPU count, as numpy's BLAS)")
    p.add_argument("--profile", choices=list(MODELS), default=None, help="cProfile minigrad's step and exit")
    p.add_argument("--primitives", choices=list(MODELS), default=None,
                   help="time per primitive of minigrad's step and per operator of torch's, and exit")
    p.add_argument("--top", type=int, default=14, help="rows of --primitives per library")
    settings.add_arguments(p)
    p.add_argument("--channels-last", action="store_true",
                   help="models and input batches of both libraries in channels_last memory")
    args = p.parse_args(argv)
    if not (args.profile or args.primitives) and settings.run_each_setting(args, argv):
        return
    if args.primitives:
        profile_primitives(args)
        return

    if args.profile:
        if args.threads:
            minigrad.set_num_threads(args.threads)
        import cProfile
        import pstats
        _, step = make_minigrad(args.profile, args.device,
                                minigrad.channels_last if args.channels_last else minigrad.preserve_format)
        data = batches(args.profile, args.steps, args.batch_size or MODELS[args.profile]["batch"])
        step(*data[0])
        profiler = cProfile.Profile()
        profiler.enable()
        time_steps(step, data)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return

    import torch
    threads = args.threads or os.cpu_count()
    torch.set_num_threads(threads)
    minigrad.set_num_threads(threads)
    print(f"torch {torch.__version__} threads={torch.get_num_threads()}  minigrad threads={minigrad.get_num_threads()}  "
          f"numpy {np.__version__}  {settings.describe()}  device={args.device}"
          + ("  channels_last" if args.channels_last else ""))
    names = list(MODELS) if args.model == "all" else [args.model]
    for name in names:
        batch = args.batch_size or MODELS[name]["batch"]
        minigrad.manual_seed(0)
        model, mg_step = make_minigrad(name, args.device,
                                       minigrad.channels_last if args.channels_last else minigrad.preserve_format)
        th_step = make_torch(name, args.device, {k: v.detach().cpu() for k, v in model.state_dict().items()},
                             torch.channels_last if args.channels_last else torch.preserve_format)
        data = batches(name, args.steps, batch)
        mg_step(*data[0]), th_step(*data[0])  # warm up both
        ratios, mg_rates, th_rates = [], [], []
        for _ in range(args.repeat):
            th_time = time_steps(th_step, data)
            mg_time = time_steps(mg_step, data)
            images = batch * len(data)
            mg_rates.append(images / mg_time)
            th_rates.append(images / th_time)
            ratios.append(th_time / mg_time)
        print(f"{name:6s} batch {batch:4d}: minigrad {statistics.median(mg_rates):8.0f} img/s   "
              f"torch {statistics.median(th_rates):8.0f} img/s   ratio {statistics.median(ratios):.2f}x "
              f"(per repeat: {', '.join(f'{r:.2f}' for r in ratios)})", flush=True)


if __name__ == "__main__":
    main()
