"""Time minigrad's convolutions against torch's on the same cases, in one process.

For each case: the median time of a forward pass and of a forward + backward pass (input, weight and
bias gradients) for minigrad and for torch, measured interleaved (minigrad, torch, minigrad, ...) so
that a busy machine slows both alike, and the ratio minigrad / torch of the medians.

    python benchmarks/bench_conv.py                      # every case, 5 repeats
    python benchmarks/bench_conv.py --case cifar --case depthwise --repeat 9
    python benchmarks/bench_conv.py --device cuda        # needs CuPy and a GPU
    python benchmarks/bench_conv.py --channels-last      # 4-d / 5-d inputs and weights in channels_last(_3d)

torch runs with as many threads as NumPy's BLAS (OpenBLAS) uses, so both get the same cores.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import settings  # noqa: E402

# name: (function, batch, in_channels, out_channels, spatial, kernel, keyword arguments)
CASES = {
    "lenet_c1": ("conv2d", 128, 1, 6, (28, 28), 5, dict(padding=2)),
    "lenet_c2": ("conv2d", 128, 6, 16, (14, 14), 5, {}),
    "cifar": ("conv2d", 128, 64, 64, (32, 32), 3, dict(padding=1)),
    "strided": ("conv2d", 128, 64, 128, (32, 32), 3, dict(stride=2, padding=1)),
    "grouped": ("conv2d", 64, 64, 64, (32, 32), 3, dict(padding=1, groups=8)),
    "depthwise": ("conv2d", 64, 64, 64, (32, 32), 3, dict(padding=1, groups=64)),
    "dilated": ("conv2d", 64, 32, 32, (32, 32), 3, dict(dilation=2, padding=2)),
    "conv1d": ("conv1d", 64, 32, 64, (1024,), 7, dict(padding=3)),
    "conv3d": ("conv3d", 8, 8, 16, (16, 16, 16), 3, dict(padding=1)),
    "conv_transpose2d": ("conv_transpose2d", 64, 64, 32, (16, 16), 4, dict(stride=2, padding=1)),
}


def blas_threads() -> int:
    """Threads NumPy's BLAS uses: threadpoolctl's answer when installed, else the usual env vars / cores."""
    try:
        from threadpoolctl import threadpool_info
        counts = [info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"]
        if counts:
            return max(counts)
    except ImportError:
        pass
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def make_inputs(case, seed=0):
    function, batch, cin, cout, spatial, kernel, kwargs = case
    rng = np.random.default_rng(seed)
    groups = kwargs.get("groups", 1)
    x = rng.standard_normal((batch, cin) + spatial).astype(np.float32)
    if function.startswith("conv_transpose"):
        w_shape = (cin, cout // groups) + (kernel,) * len(spatial)
    else:
        w_shape = (cout, cin // groups) + (kernel,) * len(spatial)
    w = (rng.standard_normal(w_shape) * 0.1).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32)
    return x, w, b


def _channels_last(library, t):
    """``t`` in channels_last (4-d) or channels_last_3d (5-d) memory, as a leaf; other ranks unchanged."""
    formats = {4: library.channels_last, 5: library.channels_last_3d}
    if t.ndim not in formats:
        return t
    return t.detach().contiguous(memory_format=formats[t.ndim]).requires_grad_()


def runners(case, device, torch, channels_last=False):
    """(minigrad forward, minigrad forward+backward, torch forward, torch forward+backward)."""
    function, _, _, _, _, _, kwargs = case
    x, w, b = make_inputs(case)
    mg_fn = getattr(F, function)
    xm = minigrad.tensor(x, device=device, requires_grad=True)
    wm = minigrad.tensor(w, device=device, requires_grad=True)
    if channels_last:
        xm, wm = _channels_last(minigrad, xm), _channels_last(minigrad, wm)
    bm = minigrad.tensor(b, device=device, requires_grad=True)
    sync = (lambda: minigrad.backend.module_for(device).cuda.Device().synchronize()) if device != "cpu" else (lambda: None)

    def mg_forward():
        with minigrad.no_grad():
            mg_fn(xm, wm, bm, **kwargs)
        sync()

    def mg_backward():
        xm.grad = wm.grad = bm.grad = None
        mg_fn(xm, wm, bm, **kwargs).sum().backward()
        sync()

    if torch is None:
        return mg_forward, mg_backward, None, None
    tdevice = "cuda" if device != "cpu" else "cpu"
    th_fn = getattr(torch.nn.functional, function)
    xt, wt, bt = (torch.tensor(a, device=tdevice, requires_grad=True) for a in (x, w, b))
    if channels_last:
        xt, wt = _channels_last(torch, xt), _channels_last(torch, wt)
    tsync = torch.cuda.synchronize if tdevice == "cuda" else (lambda: None)

    def th_forward():
        with torch.no_grad():
            th_fn(xt, wt, bt, **kwargs)
        tsync()

    def th_backward():
        xt.grad = wt.grad = bt.grad = None
        th_fn(xt, wt, bt, **kwargs).sum().backward()
        tsync()

    return mg_forward, mg_backward, th_forward, th_backward


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(name, case, device, torch, repeat, channels_last=False):
    mg_f, mg_fb, th_f, th_fb = runners(case, device, torch, channels_last)
    for fn in (mg_f, mg_fb, th_f, th_fb):  # warm up (buffers, caches, lazy init)
        if fn is not None:
            fn()
    times = {key: [] for key in ("mg_f", "th_f", "mg_fb", "th_fb")}
    for _ in range(repeat):
        for key, fn in (("mg_f", mg_f), ("th_f", th_f), ("mg_fb", mg_fb), ("th_fb", th_fb)):
            if fn is not None:
                times[key].append(timed(fn))
    med = {key: statistics.median(v) if v else float("nan") for key, v in times.items()}
    ratio_f = statistics.median(m / t for m, t in zip(times["mg_f"], times["th_f"])) if times["th_f"] else float("nan")
    ratio_fb = statistics.median(m / t for m, t in zip(times["mg_fb"], times["th_fb"])) if times["th_fb"] else float("nan")
    print(f"{name:<18}{med['mg_f'] * 1e3:>10.1f}{med['th_f'] * 1e3:>10.1f}{ratio_f:>8.2f}"
          f"{med['mg_fb'] * 1e3:>12.1f}{med['th_fb'] * 1e3:>10.1f}{ratio_fb:>8.2f}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed repeats per case (medians are reported)")
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="run only this case (repeatable)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (cuda needs CuPy and a GPU)")
    parser.add_argument("--no-torch", action="store_true", help="time minigrad alone")
    parser.add_argument("--channels-last", action="store_true",
                        help="both libraries get channels_last (channels_last_3d) inputs and weights")
    settings.add_arguments(parser)
    args = parser.parse_args(argv)
    if settings.run_each_setting(args, argv):
        return
    device = minigrad.device(args.device)
    if device.type == "cuda":
        try:
            import cupy  # noqa: F401
        except ImportError:
            raise SystemExit("--device cuda needs CuPy: pip install \"minigrad[cuda]\" (or cupy-cudaXXx)")
        minigrad.backend.module_for(str(device))  # raises a clear message when no GPU is usable
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("torch is not installed: timing minigrad alone")
    threads = blas_threads()
    minigrad.set_num_threads(threads)  # minigrad's memory-bound kernels get the same count
    if torch is not None:
        torch.set_num_threads(threads)
        print(f"torch {torch.__version__}, torch.set_num_threads({threads}) to match NumPy's BLAS threads ({threads})")
    print(f"numpy {np.__version__}, device {device}, float32, {settings.describe()}, medians of {args.repeat} repeats, times in ms"
          + (", channels_last inputs and weights" if args.channels_last else ""))
    print(f"{'case':<18}{'mg fwd':>10}{'th fwd':>10}{'ratio':>8}{'mg fwd+bwd':>12}{'th f+b':>10}{'ratio':>8}")
    for name in args.case or list(CASES):
        bench(name, CASES[name], str(device), torch, args.repeat, args.channels_last)


if __name__ == "__main__":
    main()
