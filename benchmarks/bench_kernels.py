"""Time the compiled kernels (``minigrad[fast]``, numba) against the NumPy ones and torch's ops.

For each kernel on the CIFAR CNN's shapes (batch 128; 32 channels at 32x32, 64 at 16x16, 128 at
8x8), float32 (the 3x3 convolutions as ``kernels/conv.py`` runs them: Winograd where ``[fast]``'s
rules take it): the median time of the NumPy kernel, the compiled kernel and torch's op (where torch
has one: ``F.unfold`` / ``F.fold`` for im2col / col2im, ``aten.max_pool2d_with_indices`` and its
backward, ``aten.native_batch_norm`` and its backward, ``relu`` / ``threshold_backward``), measured interleaved so that a busy machine slows all alike, and
the ratios compiled / NumPy and compiled / torch. Before that, in fresh processes: the time of the
first call of every kernel with an empty numba cache (compilation) and with a warm one (cache load).

    python benchmarks/bench_kernels.py                 # 7 repeats
    python benchmarks/bench_kernels.py --repeat 15 --threads 2
    python benchmarks/bench_kernels.py --skip-compile  # only the kernel timings

The numba kernels and torch run on ``minigrad.get_num_threads()`` threads (``--threads`` sets it).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # torch's OpenMP workers sleep at once (see bench_conv.py)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
import minigrad  # noqa: E402
from minigrad.kernels import compiled, conv, im2col, pool  # noqa: E402
from minigrad.kernels.geometry import WindowGeometry, conv_geometry  # noqa: E402
from minigrad.ops import normalization  # noqa: E402

LAYERS = [(32, 32), (64, 16), (128, 8)]  # (channels, image size) of the CIFAR CNN, batch 128

# the first call of every kernel, float32, in a fresh process (run with NUMBA_CACHE_DIR set)
FIRST_CALLS = """
import time, numpy as np
from minigrad.kernels import compiled, conv
from minigrad.kernels.geometry import WindowGeometry, conv_geometry
start = time.perf_counter()  # numba's import and every kernel's compilation or cache load, not minigrad's import
x = np.ones((2, 3, 8, 8), np.float32)
g = WindowGeometry((8, 8), (2, 2), (2, 2), (0, 0), (1, 1))
cols = compiled.im2col(x, (3, 3), (1, 1), (1, 1), 1, "a", False).copy()
compiled.im2col(x, (3, 3), (1, 1), (1, 1), 1, "b", True)
compiled.col2im(cols, np.zeros((2, 3, 10, 10), np.float32)[..., :8, :8].copy(), (3, 3), (1, 1), (1, 1), 1, False)
compiled.col2im(cols, np.zeros((2, 3, 8, 8), np.float32), (3, 3), (1, 1), (1, 1), 1, True)
v, a = compiled.max_pool_forward(x, g)
compiled.max_pool_indices(a, g); compiled.max_pool_scatter(v, a, g)
y, m, var, inv = compiled.batch_norm_forward(x, None, None, 1e-5)
compiled.batch_norm_backward(y, x, None, m, inv, 128)
compiled.relu_backward(x, compiled.relu_forward(x))
d = conv_geometry((8, 8), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 3)
w = np.ones((3, 1, 3, 3), np.float32)
conv.conv_weight_grad_forward(x, conv.conv_transpose_forward(conv.conv_forward(x, w, None, d), w, None, d), d)
wg, w3 = conv_geometry((8, 8), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1), np.ones((3, 3, 3, 3), np.float32)
for layout in (False, True):  # Winograd's contiguous and channels-last loops
    compiled.winograd_weight_grad(x, compiled.winograd_conv(x, w3, None, wg, channels_last=layout), wg, channels_last=layout)
print(f"{time.perf_counter() - start:.2f}")
"""


def first_call_seconds(cache_dir: str) -> float:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=str(ROOT), MINIGRAD_FAST="1")
    result = subprocess.run([sys.executable, "-c", FIRST_CALLS], env=env, capture_output=True, text=True, check=True)
    return float(result.stdout.split()[-1])


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cases(torch, channels: int, size: int):
    """name -> (numpy/compiled call, torch call or None) for one CIFAR layer shape."""
    F = torch.nn.functional
    aten = torch.ops.aten
    rng = np.random.default_rng(0)
    n = 128
    x = rng.standard_normal((n, channels, size, size)).astype(np.float32)
    x_padded = im2col.pad_spatial(x, ((1, 1), (1, 1)))
    batch_last = size < 16  # kernels/conv.py's rule: batch-last columns for short window rows
    cols = im2col.im2col(x, ((1, 1), (1, 1)), (3, 3), (1, 1), (1, 1), 1, "bench", batch_last).copy()
    geometry = WindowGeometry((size, size), (2, 2), (2, 2), (0, 0), (1, 1))
    _, argmax = pool.max_pool_forward(x, geometry)
    grad_pooled = rng.standard_normal((n, channels, size // 2, size // 2)).astype(np.float32)
    grad = rng.standard_normal(x.shape).astype(np.float32)
    weight, bias = np.ones(channels, np.float32), np.zeros(channels, np.float32)
    relu_out = np.maximum(x, 0)
    depthwise = conv_geometry((size, size), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), channels)
    kernel = rng.standard_normal((channels, 1, 3, 3)).astype(np.float32)
    dense = conv_geometry((size, size), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    dense_kernel = rng.standard_normal((channels, channels, 3, 3)).astype(np.float32)
    x_cl, dense_kernel_cl = conv.channels_last_copy(x), conv.channels_last_copy(dense_kernel)

    tx, tgrad, tgrad_pooled = torch.from_numpy(x), torch.from_numpy(grad), torch.from_numpy(grad_pooled)
    tcols = F.unfold(tx, 3, padding=1)
    _, tindices = aten.max_pool2d_with_indices(tx, [2, 2], [2, 2])
    tweight, tbias = torch.ones(channels), torch.zeros(channels)
    _, tmean, tinvstd = aten.native_batch_norm(tx, tweight, tbias, None, None, True, 0.1, 1e-5)
    trelu = torch.relu(tx)
    tkernel, tdense = torch.from_numpy(kernel), torch.from_numpy(dense_kernel)
    tx_cl, tdense_cl = tx.to(memory_format=torch.channels_last), tdense.to(memory_format=torch.channels_last)

    class Ctx:  # what BatchNormTrain's forward leaves for its backward
        needs_input_grad = (True, True, True)
        saved_arrays = (x, weight)
        def save_for_backward(self, *a): pass
    ctx = Ctx()
    normalization.BatchNormTrain.forward(ctx, x, weight, bias, 1e-5, [])

    return {
        # conv.py's choice for these calls: Winograd with [fast] where its rules take it (the weight
        # gradient of contiguous 16x16 and 8x8 layers computed in NHWC), im2col + GEMM otherwise
        "conv 3x3": (lambda: conv.conv_forward(x, dense_kernel, None, dense),
                     lambda: F.conv2d(tx, tdense, padding=1)),
        "conv 3x3 dw": (lambda: conv.conv_weight_grad_forward(x, grad, dense),
                        lambda: aten.convolution_backward(tgrad, tx, tdense, None, [1, 1], [1, 1], [1, 1], False,
                                                          [0, 0], 1, [False, True, False])),
        "conv 3x3 NHWC": (lambda: conv.conv_forward(x_cl, dense_kernel_cl, None, dense, channels_last=True),
                          lambda: F.conv2d(tx_cl, tdense_cl, padding=1)),
        "depthwise 3x3": (lambda: conv.conv_forward(x, kernel, None, depthwise),
                          lambda: F.conv2d(tx, tkernel, padding=1, groups=channels)),
        "depthwise dx": (lambda: conv.conv_transpose_forward(grad, kernel, None, depthwise),
                         lambda: F.conv_transpose2d(tgrad, tkernel, padding=1, groups=channels)),
        "depthwise dw": (lambda: conv.conv_weight_grad_forward(x, grad, depthwise),
                         lambda: aten.convolution_backward(tgrad, tx, tkernel, None, [1, 1], [1, 1], [1, 1], False,
                                                           [0, 0], channels, [False, True, False])),
        "im2col 3x3": (lambda: im2col.im2col(x, ((1, 1), (1, 1)), (3, 3), (1, 1), (1, 1), 1, "cols", batch_last),
                       lambda: F.unfold(tx, 3, padding=1)),
        "col2im 3x3": (lambda: im2col.col2im(cols, np.zeros(x_padded.shape, np.float32), (3, 3), (1, 1), (1, 1), 1,
                                             batch_last),
                       lambda: F.fold(tcols, (size, size), 3, padding=1)),
        # not hooked into kernels/pool.py (slower than NumPy there): the compiled kernels are called directly
        "max_pool2d 2x2": (lambda: (compiled.max_pool_forward if compiled.enabled() else pool.max_pool_forward)(x, geometry),
                           lambda: aten.max_pool2d_with_indices(tx, [2, 2], [2, 2])),
        "max_pool2d backward": (lambda: (compiled.max_pool_scatter if compiled.enabled() else pool.max_pool_scatter)(
                                    grad_pooled, argmax, geometry),
                                lambda: aten.max_pool2d_with_indices_backward(tgrad_pooled, tx, [2, 2], [2, 2], [0, 0],
                                                                              [1, 1], False, tindices)),
        "batch_norm": (lambda: normalization.BatchNormTrain.forward(ctx, x, weight, bias, 1e-5, []),
                       lambda: aten.native_batch_norm(tx, tweight, tbias, None, None, True, 0.1, 1e-5)),
        "batch_norm backward": (lambda: normalization.BatchNormTrain.backward_arrays(ctx, grad),
                                lambda: aten.native_batch_norm_backward(tgrad, tx, tweight, None, None, tmean, tinvstd,
                                                                        True, 1e-5, [True, True, True])),
        "relu": (lambda: np.maximum(x, 0) if not compiled.enabled() else compiled.relu_forward(x),
                 lambda: torch.relu(tx)),
        "relu backward": (lambda: grad * (relu_out > 0) if not compiled.enabled() else compiled.relu_backward(grad, relu_out),
                          lambda: aten.threshold_backward(tgrad, trelu, 0)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None, help="minigrad.set_num_threads (and torch's)")
    parser.add_argument("--skip-compile", action="store_true", help="skip the first-compile / cache-load timing")
    args = parser.parse_args(argv)
    import torch
    if args.threads:
        minigrad.set_num_threads(args.threads)
    torch.set_num_threads(minigrad.get_num_threads())
    print(f"threads: {minigrad.get_num_threads()} (minigrad, numba, torch); numpy {np.__version__}, "
          f"torch {torch.__version__}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not args.skip_compile:
        with tempfile.TemporaryDirectory() as cache:
            compile_s = first_call_seconds(cache)
            load_s = first_call_seconds(cache)
        print(f"first call of every kernel (float32), fresh process: {compile_s:.1f} s compiling, "
              f"{load_s:.1f} s from numba's cache")
    with compiled.use(True):  # compile everything once before timing
        for fast, _ in cases(torch, 8, 8).values():
            fast()
    print(f"{'kernel':22} {'shape':>14} {'numpy ms':>9} {'fast ms':>8} {'torch ms':>9} {'fast/numpy':>10} "
          f"{'fast/torch':>10}")
    ratios_numpy, ratios_torch = [], []
    for channels, size in LAYERS:
        for name, (run, run_torch) in cases(torch, channels, size).items():
            times = {"numpy": [], "fast": [], "torch": []}
            for _ in range(args.repeat):
                with compiled.use(False):
                    times["numpy"].append(timed(run))
                with compiled.use(True):
                    times["fast"].append(timed(run))
                with torch.no_grad():
                    times["torch"].append(timed(run_torch))
            numpy_ms, fast_ms, torch_ms = (1e3 * statistics.median(times[k]) for k in ("numpy", "fast", "torch"))
            ratios_numpy.append(fast_ms / numpy_ms)
            ratios_torch.append(fast_ms / torch_ms)
            print(f"{name:22} {f'128x{channels}x{size}x{size}':>14} {numpy_ms:9.2f} {fast_ms:8.2f} {torch_ms:9.2f} "
                  f"{fast_ms / numpy_ms:10.2f} {fast_ms / torch_ms:10.2f}")
    geomean = lambda r: float(np.exp(np.mean(np.log(r))))  # noqa: E731
    print(f"geometric mean: fast/numpy {geomean(ratios_numpy):.2f}, fast/torch {geomean(ratios_torch):.2f}")


if __name__ == "__main__":
    main()
