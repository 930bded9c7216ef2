"""Pooling speed: minigrad against torch in one process, float32, forward and forward+backward.

    python benchmarks/bench_pool.py                      # every case, 7 repeats
    python benchmarks/bench_pool.py --case max_k3s2p1 --repeat 15
    python benchmarks/bench_pool.py --device cuda        # needs CuPy and a GPU (and torch with CUDA)

Each repeat times minigrad and torch back to back on the same input (interleaved, so load on the
machine hits both alike); the table shows the median time of each and the median of the per-repeat
ratios minigrad / torch. torch runs with as many threads as NumPy's element-wise code uses (one,
unless --threads says otherwise); the count is printed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

# torch's OpenMP workers spin for a while after each op and would steal the cores that minigrad is
# timed on next: make them sleep at once, so that interleaved timings compare the libraries, not that.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import minigrad
import minigrad.nn.functional as F

CASES = {
    "max_k2s2": ((128, 64, 32, 32), "max_pool2d", dict(kernel_size=2, stride=2)),
    "max_k3s2p1": ((64, 64, 56, 56), "max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    "avg_k2s2": ((128, 64, 32, 32), "avg_pool2d", dict(kernel_size=2, stride=2)),
    "avg_k3s1p1_nopad": ((64, 64, 32, 32), "avg_pool2d",
                         dict(kernel_size=3, stride=1, padding=1, count_include_pad=False)),
    "adaptive_avg_1x1": ((128, 512, 4, 4), "adaptive_avg_pool2d", dict(output_size=1)),
    "adaptive_max_7x7": ((32, 256, 20, 20), "adaptive_max_pool2d", dict(output_size=7)),
}


def _sync(device):
    if device == "cuda":
        import cupy
        cupy.cuda.Device().synchronize()


def _time(fn, device) -> float:
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


def run_case(name, torch, device, repeat):
    shape, function, kwargs = CASES[name]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    mg_x = minigrad.tensor(x, device=device, requires_grad=True)
    th_x = torch.from_numpy(x).to(device).requires_grad_(True)
    mg_fn, th_fn = getattr(F, function), getattr(torch.nn.functional, function)

    def mg_forward():
        with minigrad.no_grad():
            mg_fn(mg_x, **kwargs)

    def th_forward():
        with torch.no_grad():
            th_fn(th_x, **kwargs)

    def mg_both():
        out = mg_fn(mg_x, **kwargs)
        out.sum().backward()
        mg_x.grad = None

    def th_both():
        out = th_fn(th_x, **kwargs)
        out.sum().backward()
        th_x.grad = None

    for fn in (mg_forward, th_forward, mg_both, th_both):  # warm up
        fn()
    rows = {}
    for label, mg_call, th_call in (("forward", mg_forward, th_forward), ("fwd+bwd", mg_both, th_both)):
        mg_times, th_times, ratios = [], [], []
        for _ in range(repeat):
            m, t = _time(mg_call, device), _time(th_call, device)
            mg_times.append(m)
            th_times.append(t)
            ratios.append(m / t)
        rows[label] = (statistics.median(mg_times), statistics.median(th_times), statistics.median(ratios))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="run only this case (repeatable)")
    parser.add_argument("--repeat", type=int, default=7, help="timed repeats per case (median reported)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads; NumPy's element-wise kernels run on one thread (default 1)")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        raise SystemExit("bench_pool.py compares with torch: pip install torch")
    if args.device == "cuda":
        if not minigrad.backend.cuda_is_available():
            raise SystemExit("--device cuda needs CuPy and a visible GPU: pip install \"minigrad[cuda]\" "
                             "(CuPy was not found or saw no GPU)")
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda needs a CUDA build of torch to compare with")
    torch.set_num_threads(args.threads)
    print(f"numpy {np.__version__}, torch {torch.__version__}, torch threads {torch.get_num_threads()}, "
          f"device {args.device}, float32, median of {args.repeat} repeats")
    header = f"{'case':18s} {'shape':18s} {'pass':8s} {'minigrad ms':>12s} {'torch ms':>10s} {'ratio':>7s}"
    print(header)
    print("-" * len(header))
    for name in args.case or list(CASES):
        rows = run_case(name, torch, args.device, args.repeat)
        for label, (m, t, ratio) in rows.items():
            shape = "x".join(str(s) for s in CASES[name][0])
            print(f"{name:18s} {shape:18s} {label:8s} {m * 1e3:12.2f} {t * 1e3:10.2f} {ratio:7.2f}")


if __name__ == "__main__":
    main()
