"""Convolutions (minigrad/ops/conv.py) with channels_last inputs and weights: values, gradients and
the memory format of outputs and gradients against torch, and float64 gradient checks to second
order through the channels-last (NHWC) algorithms of minigrad/kernels/conv.py."""
import itertools

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.kernels import conv as conv_kernels

torch = pytest.importorskip("torch")

FORMATS = {2: (minigrad.channels_last, torch.channels_last), 3: (minigrad.channels_last_3d, torch.channels_last_3d)}
# (function, in channels, out channels, spatial, kernel, keyword arguments): 32 channels take the NHWC
# algorithms, 3 channels and groups the NCHW ones with a layout copy (kernels/conv.py's rule)
CASES = [
    ("conv2d", 32, 16, (6, 7), 3, dict(padding=1)),
    ("conv2d", 32, 16, (7, 7), 3, dict(stride=2, padding=1)),
    ("conv2d", 16, 32, (5, 6), 3, dict(dilation=2, padding=(2, 1))),
    ("conv2d", 32, 8, (4, 4), 1, {}),
    ("conv2d", 3, 32, (17, 17), 3, dict(padding=1)),
    ("conv2d", 32, 32, (6, 6), 3, dict(padding=1, groups=4)),
    ("conv2d", 32, 32, (6, 6), 3, dict(padding=1, groups=32)),
    ("conv3d", 16, 8, (4, 5, 4), 3, dict(padding=1)),
    ("conv_transpose2d", 32, 16, (5, 5), 3, dict(padding=1)),
    ("conv_transpose2d", 16, 32, (4, 5), 4, dict(stride=2, padding=1)),
    ("conv_transpose3d", 16, 16, (3, 3, 3), 2, dict(stride=2)),
]


def _leaf(library, array, fmt):
    t = library.tensor(array) if library is minigrad else torch.tensor(array)
    return (t.contiguous(memory_format=fmt) if fmt is not None else t).requires_grad_()


def _strides(t):  # size-1 dims address nothing; their strides are arbitrary
    return [s for s, n in zip(t.stride(), t.shape) if n != 1]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[5]}")
@pytest.mark.parametrize("x_format, w_format", list(itertools.product([False, True], repeat=2)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_gradients_and_layouts_match_torch(case, x_format, w_format, dtype):
    function, cin, cout, spatial, kernel, kwargs = case
    d = len(spatial)
    groups = kwargs.get("groups", 1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, cin) + spatial).astype(dtype)
    w_shape = (cin, cout // groups) if function.startswith("conv_transpose") else (cout, cin // groups)
    w = rng.standard_normal(w_shape + (kernel,) * d).astype(dtype)
    b = rng.standard_normal(cout).astype(dtype)
    results = []
    for library, fmt in zip((minigrad, torch), FORMATS[d]):
        xt, wt = _leaf(library, x, fmt if x_format else None), _leaf(library, w, fmt if w_format else None)
        bt = _leaf(library, b, None)
        functional = F if library is minigrad else torch.nn.functional
        y = getattr(functional, function)(xt, wt, bt, **kwargs)
        grad = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(dtype)
        grads = library.autograd.grad(y, (xt, wt, bt), library.tensor(grad))
        results.append((y, *grads))
    tolerance = 1e-10 if dtype == np.float64 else 1e-4
    for name, mine, theirs in zip(("output", "grad_input", "grad_weight", "grad_bias"), *results):
        np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=tolerance, atol=tolerance,
                                   err_msg=name)
        assert _strides(mine) == _strides(theirs), (name, mine.stride(), theirs.stride())


CHECKS = [  # (function, x shape, weight shape, keyword arguments): each takes the NHWC algorithms
    (F.conv2d, (2, 16, 3, 4), (3, 16, 3, 3), dict(padding=1)),
    (F.conv2d, (1, 16, 5, 4), (2, 16, 3, 2), dict(stride=2, padding=(1, 0))),
    (F.conv2d, (1, 2, 3, 17), (2, 2, 2, 3), dict(padding=1)),           # few channels, a wide output
    (F.conv_transpose2d, (1, 2, 3, 3), (2, 16, 3, 3), dict(stride=2, padding=1)),
    (F.conv3d, (1, 16, 2, 3, 2), (2, 16, 2, 2, 1), dict(padding=(1, 0, 0))),
]


@pytest.mark.parametrize("function, x_shape, w_shape, kwargs", CHECKS)
def test_channels_last_convolutions_pass_gradcheck_and_gradgradcheck(function, x_shape, w_shape, kwargs):
    fmt = FORMATS[len(x_shape) - 2][0]
    rng = np.random.default_rng(0)
    x, w = (minigrad.tensor(rng.standard_normal(s), requires_grad=True) for s in (x_shape, w_shape))

    def fn(x, w):
        return function(x.contiguous(memory_format=fmt), w.contiguous(memory_format=fmt), **kwargs)
    assert minigrad.autograd.gradcheck(fn, [x, w], atol=1e-6, rtol=1e-4)
    assert minigrad.autograd.gradgradcheck(fn, [x, w], atol=1e-6, rtol=1e-4)


def test_channels_last_activations_travel_between_convolutions_without_copies(monkeypatch):
    copies = []
    real = conv_kernels.channels_last_copy
    monkeypatch.setattr(conv_kernels, "channels_last_copy", lambda a: copies.append(a.shape) or real(a))
    model = minigrad.nn.Sequential(minigrad.nn.Conv2d(16, 32, 3, padding=1), minigrad.nn.Conv2d(32, 32, 3, padding=1))
    model.to(memory_format=minigrad.channels_last)
    x = minigrad.randn(2, 16, 8, 8).contiguous(memory_format=minigrad.channels_last)
    y = model(x)
    assert y.is_contiguous(memory_format=minigrad.channels_last) and not y.is_contiguous()
    y.sum().backward()
    assert copies == []
    assert model[0].weight.grad.is_contiguous(memory_format=minigrad.channels_last)


def _channels_last_conv(seed=0):
    rng = np.random.default_rng(seed)
    x = minigrad.tensor(rng.standard_normal((2, 16, 6, 6))).contiguous(memory_format=minigrad.channels_last)
    w = minigrad.tensor(rng.standard_normal((8, 16, 3, 3))).contiguous(memory_format=minigrad.channels_last)
    return x.requires_grad_(), w.requires_grad_()


def _count_im2col(monkeypatch):
    calls = []
    real = conv_kernels.channels_last_columns
    monkeypatch.setattr(conv_kernels, "channels_last_columns", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_weight_gradient_reuses_the_forwards_columns_and_gives_the_same_values(monkeypatch):
    x, w = _channels_last_conv()
    reference = torch.autograd.grad(torch.nn.functional.conv2d(torch.tensor(x.detach().numpy()),
                                                               wt := torch.tensor(w.detach().numpy(), requires_grad=True),
                                                               padding=1).sum(), wt)[0]
    calls = _count_im2col(monkeypatch)
    F.conv2d(x.detach(), w, padding=1).sum().backward()  # no input gradient: its flipped convolution has columns too
    assert len(calls) == 1  # the forward's; the weight gradient took them from the graph
    np.testing.assert_allclose(w.grad.numpy(), reference.numpy(), rtol=1e-10)
    assert conv_kernels._kept_bytes == {}  # given back after use


def test_kept_columns_respect_their_budget(monkeypatch):
    monkeypatch.setattr(conv_kernels, "KEPT_COLUMNS_BUDGET_BYTES", 1000)  # less than one layer's columns
    x, w = _channels_last_conv()
    calls = _count_im2col(monkeypatch)
    y = F.conv2d(x.detach(), w, padding=1)
    assert conv_kernels._kept_bytes == {}
    y.sum().backward()
    assert len(calls) == 2  # forward and weight gradient each build them


def test_a_retained_graph_recomputes_the_columns_for_a_second_backward():
    x, w = _channels_last_conv()
    y = F.conv2d(x, w, padding=1)
    first = minigrad.autograd.grad(y.sum(), w, retain_graph=True)[0].numpy().copy()
    F.conv2d(x * 2, w, padding=1).sum().backward()  # another forward and backward reuse the pooled buffer
    second = minigrad.autograd.grad(y.sum(), w)[0].numpy()
    np.testing.assert_array_equal(first, second)


def test_a_graph_dropped_without_backward_gives_its_columns_budget_back():
    import gc
    x, w = _channels_last_conv()
    y = F.conv2d(x, w, padding=1)
    assert sum(conv_kernels._kept_bytes.values()) > 0
    del y
    gc.collect()
    assert conv_kernels._kept_bytes == {}
