"""Pooling keeps torch's memory layout: a channels_last input gives channels_last output and input
gradient, with torch's values, through the functional API (minigrad/ops/pool.py)."""
import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F


def channels_last(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


CASES = [
    ("max_pool2d", dict(kernel_size=2, stride=2)),
    ("max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    ("max_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("max_pool2d", dict(kernel_size=(2, 3), stride=(1, 2), dilation=2)),
    ("avg_pool2d", dict(kernel_size=2, stride=2)),
    ("avg_pool2d", dict(kernel_size=3, stride=1, padding=1, count_include_pad=False)),
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=4)),
    ("adaptive_avg_pool2d", dict(output_size=(3, 4))),
    ("adaptive_avg_pool2d", dict(output_size=(4, 3))),
    ("adaptive_max_pool2d", dict(output_size=(3, 4))),
    ("adaptive_max_pool2d", dict(output_size=(4, 3))),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=lambda c: str(c))
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_pooling_returns_output_and_grad_input_in_the_inputs_layout(torch, name, kwargs, layout):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 10, 8)).astype(np.float32)
    if layout == "channels_last":
        x = channels_last(x)
    mg_x = minigrad.from_numpy(x).requires_grad_(True)
    th_x = torch.from_numpy(x).requires_grad_(True)
    mg_y = getattr(F, name)(mg_x, **kwargs)
    th_y = getattr(torch.nn.functional, name)(th_x, **kwargs)
    grad = rng.standard_normal(tuple(th_y.shape)).astype(np.float32)
    (mg_grad,) = minigrad.autograd.grad(mg_y, mg_x, minigrad.from_numpy(grad))
    (th_grad,) = torch.autograd.grad(th_y, th_x, torch.from_numpy(grad))
    np.testing.assert_allclose(mg_y.detach().numpy(), th_y.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(mg_grad.numpy(), th_grad.numpy(), rtol=1e-6, atol=1e-6)
    for mg, th in ((mg_y.detach().numpy(), th_y), (mg_grad.numpy(), th_grad)):
        assert mg.strides == tuple(s * mg.itemsize for s in th.stride())


def test_a_sum_backwards_broadcast_gradient_still_gives_a_channels_last_grad_input(torch):
    x = channels_last(np.random.default_rng(1).standard_normal((2, 4, 8, 8)).astype(np.float32))
    mg_x = minigrad.from_numpy(x).requires_grad_(True)
    for pool in (lambda t: F.max_pool2d(t, 2), lambda t: F.avg_pool2d(t, 3, 1, 1)):
        (grad,) = minigrad.autograd.grad(pool(mg_x).sum(), mg_x)
        assert grad.numpy().strides[1] == 4 and grad.numpy().strides[3] == 4 * 4
