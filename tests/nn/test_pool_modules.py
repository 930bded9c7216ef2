"""Pooling layers (minigrad/nn/modules/pooling.py) against torch.nn: constructor defaults, attributes,
repr, no parameters, and the same outputs and gradients as the torch layer built with the same args."""
import numpy as np
import pytest

import minigrad
import minigrad.nn as nn

CASES = [
    ("MaxPool1d", (3,), {}, (2, 3, 9)),
    ("MaxPool1d", (3, 2, 1), dict(dilation=2, ceil_mode=True), (3, 10)),
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", ((3, 2), (2, 1), (1, 0)), dict(ceil_mode=True), (3, 7, 6)),
    ("MaxPool3d", (2,), dict(stride=1, padding=1), (1, 2, 3, 4, 5)),
    ("AvgPool1d", (3,), dict(count_include_pad=False, padding=1), (2, 3, 9)),
    ("AvgPool2d", (3, 2, 1), dict(ceil_mode=True, divisor_override=5), (2, 3, 7, 8)),
    ("AvgPool2d", (2,), {}, (3, 6, 6)),
    ("AvgPool3d", (2,), dict(stride=1, count_include_pad=False, padding=1), (1, 2, 3, 4, 5)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((None, 3),), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool3d", (2,), {}, (2, 3, 5, 4, 3)),
    ("AdaptiveMaxPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveMaxPool2d", (3,), dict(return_indices=True), (2, 3, 7, 5)),
    ("AdaptiveMaxPool3d", ((2, None, 3),), {}, (2, 3, 5, 4, 5)),
    ("LPPool1d", (2, 3), {}, (2, 3, 9)),
    ("LPPool2d", (3, 2), dict(stride=1, ceil_mode=True), (2, 3, 6, 7)),
    ("LPPool3d", (1.5, 2), {}, (1, 2, 4, 4, 4)),
    ("MaxPool2d", (2,), dict(return_indices=True), (2, 3, 8, 8)),
]


def _distinct(shape, seed=0):
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) / n + 0.5).reshape(shape)


@pytest.mark.parametrize("name, args, kwargs, shape", CASES)
def test_pooling_layer_matches_torch_repr_attributes_outputs_and_gradients(torch, name, args, kwargs, shape):
    mg_layer, th_layer = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(mg_layer) == repr(th_layer)
    for attribute in ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices",
                      "count_include_pad", "divisor_override", "output_size", "norm_type"):
        if hasattr(th_layer, attribute):
            assert getattr(mg_layer, attribute) == getattr(th_layer, attribute), attribute
    assert list(mg_layer.parameters()) == [] and list(mg_layer.state_dict()) == []
    x = _distinct(shape)
    mg_x, th_x = minigrad.tensor(x, requires_grad=True), torch.from_numpy(x.copy()).requires_grad_(True)
    mg_out, th_out = mg_layer(mg_x), th_layer(th_x)
    if isinstance(th_out, tuple):
        np.testing.assert_array_equal(mg_out[1].numpy(), th_out[1].numpy())
        mg_out, th_out = mg_out[0], th_out[0]
    np.testing.assert_allclose(mg_out.detach().numpy(), th_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    weight = np.random.default_rng(1).standard_normal(tuple(th_out.shape))
    (mg_out * minigrad.tensor(weight)).sum().backward()
    (th_out * torch.from_numpy(weight)).sum().backward()
    np.testing.assert_allclose(mg_x.grad.numpy(), th_x.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_max_unpool_layer_inverts_max_pool_layer_as_torch(torch, dims):
    shape = (2, 3) + (5, 6, 4)[:dims]
    x = _distinct(shape)
    kwargs = dict(kernel_size=2, stride=2)
    mg_pool = getattr(nn, f"MaxPool{dims}d")(return_indices=True, **kwargs)
    th_pool = getattr(torch.nn, f"MaxPool{dims}d")(return_indices=True, **kwargs)
    mg_unpool, th_unpool = getattr(nn, f"MaxUnpool{dims}d")(**kwargs), getattr(torch.nn, f"MaxUnpool{dims}d")(**kwargs)
    assert repr(mg_unpool) == repr(th_unpool)
    assert (mg_unpool.kernel_size, mg_unpool.stride, mg_unpool.padding) == \
        (th_unpool.kernel_size, th_unpool.stride, th_unpool.padding)
    mg_values, mg_indices = mg_pool(minigrad.tensor(x))
    th_values, th_indices = th_pool(torch.from_numpy(x))
    mg_back = mg_unpool(mg_values, mg_indices, output_size=shape)
    th_back = th_unpool(th_values, th_indices, output_size=shape)
    np.testing.assert_array_equal(mg_back.numpy(), th_back.numpy())
    mg_default, th_default = mg_unpool(mg_values, mg_indices), th_unpool(th_values, th_indices)
    assert mg_default.shape == tuple(th_default.shape)


def test_pooling_layers_default_stride_is_the_kernel_size(torch):
    assert nn.MaxPool2d(3).stride == torch.nn.MaxPool2d(3).stride == 3
    assert nn.AvgPool1d(3).stride == torch.nn.AvgPool1d(3).stride == (3,)
    assert nn.MaxUnpool3d(2).stride == torch.nn.MaxUnpool3d(2).stride == (2, 2, 2)
    assert nn.LPPool2d(2, 3).stride is None


def test_pooling_layer_raises_torchs_error_on_bad_input(torch):
    x = np.zeros((1, 1, 2, 2))
    with pytest.raises(RuntimeError) as expected:
        torch.nn.MaxPool2d(3)(torch.from_numpy(x))
    with pytest.raises(RuntimeError) as caught:
        nn.MaxPool2d(3)(minigrad.tensor(x))
    assert str(caught.value) == str(expected.value)
