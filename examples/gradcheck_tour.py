"""A tour of gradient checks: ``minigrad.autograd.gradcheck`` (first derivatives) and ``gradgradcheck``
(second derivatives) over the convolution, transposed-convolution and pooling configurations users
meet, printed as a table.

    python examples/gradcheck_tour.py
    python examples/gradcheck_tour.py --no-second-order      # faster

Each row builds small float64 inputs, compares backward's Jacobian with central finite differences,
and prints PASS or FAIL with the time taken. Max pooling uses inputs without ties (a shuffled range),
since at a tie the derivative does not exist and finite differences disagree with any choice.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck, gradgradcheck


def rand(*shape):
    return minigrad.randn(*shape, dtype=minigrad.float64, requires_grad=True)


def distinct(*shape):
    """Values with no ties, so max pooling has a unique winner in every window."""
    values = np.random.default_rng(0).permutation(int(np.prod(shape))).reshape(shape) / 10.0
    return minigrad.tensor(values, dtype=minigrad.float64, requires_grad=True)


CASES = [
    ("conv1d k3", lambda: (F.conv1d, (rand(2, 2, 7), rand(3, 2, 3)), {})),
    ("conv1d stride 2, padding 'valid'", lambda: (F.conv1d, (rand(1, 2, 8), rand(2, 2, 3)), dict(stride=2))),
    ("conv2d k3 p1 + bias", lambda: (F.conv2d, (rand(2, 2, 5, 5), rand(3, 2, 3, 3), rand(3)), dict(padding=1))),
    ("conv2d stride 2, dilation 2", lambda: (F.conv2d, (rand(1, 2, 7, 7), rand(2, 2, 3, 3)), dict(stride=2, dilation=2))),
    ("conv2d padding='same', even kernel", lambda: (F.conv2d, (rand(1, 1, 5, 5), rand(2, 1, 2, 4)), dict(padding="same"))),
    ("conv2d groups=2", lambda: (F.conv2d, (rand(1, 4, 5, 5), rand(4, 2, 3, 3)), dict(groups=2))),
    ("conv2d depthwise (groups=C)", lambda: (F.conv2d, (rand(1, 3, 5, 5), rand(6, 1, 3, 3)), dict(groups=3, padding=1))),
    ("conv3d k2", lambda: (F.conv3d, (rand(1, 2, 4, 4, 4), rand(2, 2, 2, 2, 2)), {})),
    ("conv_transpose1d stride 2", lambda: (F.conv_transpose1d, (rand(1, 2, 4), rand(2, 3, 3)), dict(stride=2))),
    ("conv_transpose2d s2 p1 output_padding 1", lambda: (F.conv_transpose2d, (rand(1, 2, 3, 3), rand(2, 2, 3, 3)),
                                                         dict(stride=2, padding=1, output_padding=1))),
    ("conv_transpose2d groups=2, dilation 2", lambda: (F.conv_transpose2d, (rand(1, 4, 3, 3), rand(4, 1, 2, 2)),
                                                       dict(groups=2, dilation=2))),
    ("conv_transpose3d stride 2", lambda: (F.conv_transpose3d, (rand(1, 1, 2, 2, 2), rand(1, 2, 2, 2, 2)), dict(stride=2))),
    ("max_pool1d k2", lambda: (F.max_pool1d, (distinct(1, 2, 8),), dict(kernel_size=2))),
    ("max_pool2d k3 s2 p1", lambda: (F.max_pool2d, (distinct(1, 2, 6, 6),), dict(kernel_size=3, stride=2, padding=1))),
    ("max_pool2d k2 ceil_mode", lambda: (F.max_pool2d, (distinct(1, 1, 5, 5),), dict(kernel_size=2, ceil_mode=True))),
    ("max_pool2d k2 dilation 2", lambda: (F.max_pool2d, (distinct(1, 1, 6, 6),), dict(kernel_size=2, dilation=2))),
    ("max_pool3d k2", lambda: (F.max_pool3d, (distinct(1, 1, 4, 4, 4),), dict(kernel_size=2))),
    ("avg_pool2d k3 s1 p1 count_include_pad=False", lambda: (F.avg_pool2d, (rand(1, 2, 5, 5),),
                                                             dict(kernel_size=3, stride=1, padding=1, count_include_pad=False))),
    ("avg_pool2d k2 ceil_mode divisor_override=3", lambda: (F.avg_pool2d, (rand(1, 1, 5, 5),),
                                                            dict(kernel_size=2, ceil_mode=True, divisor_override=3))),
    ("avg_pool1d k3 s2", lambda: (F.avg_pool1d, (rand(2, 2, 7),), dict(kernel_size=3, stride=2))),
    ("adaptive_avg_pool2d 5x7 -> 3x2", lambda: (F.adaptive_avg_pool2d, (rand(1, 2, 5, 7),), dict(output_size=(3, 2)))),
    ("adaptive_max_pool2d 6x5 -> 4x3", lambda: (F.adaptive_max_pool2d, (distinct(1, 1, 6, 5),), dict(output_size=(4, 3)))),
    ("lp_pool2d p=2 k2", lambda: (F.lp_pool2d, (rand(1, 1, 4, 4),), dict(norm_type=2, kernel_size=2))),
]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-second-order", action="store_true", help="skip gradgradcheck")
    args = p.parse_args(argv)
    minigrad.manual_seed(0)
    width = max(len(name) for name, _ in CASES)
    print(f"{'configuration':{width}s}  gradcheck  gradgradcheck   time")
    failures = 0
    for name, make in CASES:
        function, inputs, kwargs = make()

        def f(*xs):
            return function(*xs, **kwargs)
        start = time.perf_counter()
        first = gradcheck(f, inputs, raise_exception=False)
        second = None if args.no_second_order else gradgradcheck(f, inputs, raise_exception=False)
        seconds = time.perf_counter() - start
        failures += (not first) + (second is False)
        second_text = "-" if second is None else ("PASS" if second else "FAIL")
        print(f"{name:{width}s}  {'PASS' if first else 'FAIL':9s}  {second_text:13s}  {seconds:5.2f} s", flush=True)
    print(f"{len(CASES)} configurations, {failures} failures")
    return failures


if __name__ == "__main__":
    raise SystemExit(1 if main() else 0)
