"""Pooling speed: minigrad against torch in one process, float32, forward and forward+backward.

    python benchmarks/bench_pool.py                      # every case, 7 repeats
    python benchmarks/bench_pool.py --case max_k3s2p1 --repeat 15
    python benchmarks/bench_pool.py --channels-last      # inputs in torch's channels_last layout
    python benchmarks/bench_pool.py --threads 2 --allocator tuned --kernels numpy
    python benchmarks/bench_pool.py --device cuda        # needs CuPy and a GPU (and torch with CUDA)

Each repeat times minigrad and torch back to back on the same input (interleaved, so load on the
machine hits both alike); the table shows the median time of each and the median of the per-repeat
ratios minigrad / torch. Both libraries run with the same number of threads: ``--threads``, by
default minigrad's own choice (``minigrad.get_num_threads()``, the cores free at start); the count is
printed. Every glibc allocator setting and kind of minigrad kernel (NumPy, compiled) is timed in a
fresh process by default (``settings.py``: torch pays page faults on every fresh buffer with the
default allocator, issue 14), so both settings are reported.
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
import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402

CASES = {
    "max_k2s2": ((128, 64, 32, 32), "max_pool2d", dict(kernel_size=2, stride=2)),
    "max_k3s2p1": ((64, 64, 56, 56), "max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    "avg_k2s2": ((128, 64, 32, 32), "avg_pool2d", dict(kernel_size=2, stride=2)),
    "avg_k3s1p1_nopad": ((64, 64, 32, 32), "avg_pool2d",
                         dict(kernel_size=3, stride=1, padding=1, count_include_pad=False)),
    "adaptive_avg_1x1": ((128, 512, 4, 4), "adaptive_avg_pool2d", dict(output_size=1)),
    "adaptive_max_7x7": ((32, 256, 20, 20), "adaptive_max_pool2d", dict(output_size=7)),
    # CIFAR-sized layers (batch 128): a ResNet-style stem pool with ceil_mode, a late 2x2 pool
    "max_k3s2p1_ceil": ((128, 64, 32, 32), "max_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    "max_k2s2_c128": ((128, 128, 16, 16), "max_pool2d", dict(kernel_size=2, stride=2)),
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


def run_case(name, torch, device, repeat, channels_last=False):
    shape, function, kwargs = CASES[name]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    if channels_last:  # an NCHW-shaped view of NHWC memory, as torch's channels_last
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        mg_x = minigrad.from_numpy(x).to(device).requires_grad_(True)
    else:
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
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both libraries (default: minigrad.get_num_threads(), the free cores)")
    parser.add_argument("--channels-last", action="store_true", help="inputs in the channels_last layout")
    settings.add_arguments(parser)
    args = parser.parse_args(argv)
    if settings.run_each_setting(args, argv):
        return
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
    if args.threads is not None:
        minigrad.set_num_threads(args.threads)
    torch.set_num_threads(minigrad.get_num_threads())
    layout = "channels_last" if args.channels_last else "contiguous"
    print(f"numpy {np.__version__}, torch {torch.__version__}, threads: minigrad {minigrad.get_num_threads()} "
          f"torch {torch.get_num_threads()}, device {args.device}, float32 {layout}, {settings.describe()}, "
          f"median of {args.repeat} repeats")
    header = f"{'case':18s} {'shape':18s} {'pass':8s} {'minigrad ms':>12s} {'torch ms':>10s} {'ratio':>7s}"
    print(header)
    print("-" * len(header))
    for name in args.case or list(CASES):
        rows = run_case(name, torch, args.device, args.repeat, args.channels_last)
        for label, (m, t, ratio) in rows.items():
            shape = "x".join(str(s) for s in CASES[name][0])
            print(f"{name:18s} {shape:18s} {label:8s} {m * 1e3:12.2f} {t * 1e3:10.2f} {ratio:7.2f}")


if __name__ == "__main__":
    main()
