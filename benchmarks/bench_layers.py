"""Per-primitive speed of BatchNorm (training) and ReLU: minigrad against torch in one process, float32.

    python benchmarks/bench_layers.py                          # every case, 7 repeats
    python benchmarks/bench_layers.py --op relu --repeat 15 --threads 1
    python benchmarks/bench_layers.py --layout channels_last   # NHWC memory behind NCHW shapes
    python benchmarks/bench_layers.py --allocator tuned --kernels numpy   # one setting (default: all)

The shapes are the CIFAR CNN's: batch 128 with 32, 64 and 128 channels at 32x32, 16x16 and 8x8.
"forward" times ``y = op(x)``; "fwd+bwd" adds ``grad(y, x, g)`` (and the weight and bias gradients for
BatchNorm), with no gradient accumulated into a leaf. Each repeat times minigrad and torch back to
back on the same arrays (interleaved, so load on the machine hits both alike); the table shows the
median time of each and the median of the per-repeat ratios minigrad / torch (below 1: minigrad is
faster). ``--threads`` sets both libraries' thread counts (minigrad.set_num_threads, torch.set_num_threads).

Every glibc allocator setting (default, and tuned to keep freed memory, so that torch stops paying
page faults on every fresh buffer) and kind of minigrad kernel (NumPy, compiled) is timed in a fresh
process (``settings.py``).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

# torch's OpenMP workers spin for a while after each op and would steal the cores that minigrad is
# timed on next: make them sleep at once, so that interleaved timings compare the libraries, not that.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import settings  # noqa: E402

SHAPES = [(128, 32, 32, 32), (128, 64, 16, 16), (128, 128, 8, 8)]


def _layout(a: np.ndarray, layout: str) -> np.ndarray:
    """An NCHW-shaped array, with NHWC memory for channels_last (as torch's channels_last format)."""
    if layout == "channels_last":
        return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    return a


def cases(op, shape, layout):
    """(name, minigrad forward, minigrad fwd+bwd, torch forward, torch fwd+bwd) for one op and shape."""
    import minigrad
    import minigrad.nn.functional as F
    import torch
    rng = np.random.default_rng(0)
    c = shape[1]
    x = _layout(rng.standard_normal(shape).astype(np.float32), layout)
    g = _layout(rng.standard_normal(shape).astype(np.float32), layout)
    fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
    mx, mg = minigrad.from_numpy(x).requires_grad_(), minigrad.from_numpy(g)
    tx, tg = torch.from_numpy(x).requires_grad_(), torch.from_numpy(g)
    assert tx.is_contiguous(memory_format=fmt)
    if op == "batch_norm":
        w, b = rng.uniform(0.5, 1.5, c).astype(np.float32), rng.standard_normal(c).astype(np.float32)
        mw, mb = minigrad.from_numpy(w).requires_grad_(), minigrad.from_numpy(b).requires_grad_()
        tw, tb = torch.from_numpy(w).requires_grad_(), torch.from_numpy(b).requires_grad_()

        def mg_fwd():
            return F.batch_norm(mx, None, None, mw, mb, training=True)

        def th_fwd():
            return torch.nn.functional.batch_norm(tx, None, None, tw, tb, training=True)
        mg_inputs, th_inputs = (mx, mw, mb), (tx, tw, tb)
    else:
        def mg_fwd():
            return F.relu(mx)

        def th_fwd():
            return torch.relu(tx)
        mg_inputs, th_inputs = (mx,), (tx,)

    def mg_both():
        return minigrad.autograd.grad(mg_fwd(), mg_inputs, mg)

    def th_both():
        return torch.autograd.grad(th_fwd(), th_inputs, tg)

    def th_forward():
        with torch.no_grad():
            return th_fwd()

    def mg_forward():
        with minigrad.no_grad():
            return mg_fwd()
    return mg_forward, mg_both, th_forward, th_both


def _time(fn, iterations):
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return (time.perf_counter() - start) / iterations


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--op", choices=["batch_norm", "relu", "all"], default="all")
    p.add_argument("--layout", choices=["contiguous", "channels_last", "both"], default="both")
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--iterations", type=int, default=3, help="calls per timing")
    p.add_argument("--threads", type=int, default=None, help="both libraries' threads (default: minigrad's choice)")
    settings.add_arguments(p)
    args = p.parse_args(argv)
    if settings.run_each_setting(args, argv):
        return

    import minigrad
    import torch
    if args.threads:
        minigrad.set_num_threads(args.threads)
    torch.set_num_threads(minigrad.get_num_threads())
    print(f"torch {torch.__version__} threads={torch.get_num_threads()}  minigrad threads={minigrad.get_num_threads()}  "
          f"numpy {np.__version__}  {settings.describe()}  load={os.getloadavg()[0]:.1f}")
    print(f"{'op':10s} {'layout':13s} {'shape':18s} {'':8s} {'minigrad ms':>11s} {'torch ms':>9s} {'ratio':>6s}")
    ops = ["batch_norm", "relu"] if args.op == "all" else [args.op]
    layouts = ["contiguous", "channels_last"] if args.layout == "both" else [args.layout]
    ratios = {"forward": [], "fwd+bwd": []}
    for op in ops:
        for layout in layouts:
            for shape in SHAPES:
                mg_fwd, mg_both, th_fwd, th_both = cases(op, shape, layout)
                for kind, mg_fn, th_fn in (("forward", mg_fwd, th_fwd), ("fwd+bwd", mg_both, th_both)):
                    mg_fn(), th_fn()  # warm up both
                    mg_times, th_times, per_repeat = [], [], []
                    for _ in range(args.repeat):
                        th_t = _time(th_fn, args.iterations)
                        mg_t = _time(mg_fn, args.iterations)
                        mg_times.append(mg_t), th_times.append(th_t), per_repeat.append(mg_t / th_t)
                    ratio = statistics.median(per_repeat)
                    ratios[kind].append(ratio)
                    print(f"{op:10s} {layout:13s} {str(shape):18s} {kind:8s} {statistics.median(mg_times) * 1e3:11.2f} "
                          f"{statistics.median(th_times) * 1e3:9.2f} {ratio:5.2f}x", flush=True)
    for kind, values in ratios.items():
        print(f"geometric mean of the ratios, {kind}: {float(np.exp(np.mean(np.log(values)))):.2f}x")


if __name__ == "__main__":
    main()
