"""Tests of minigrad/nn/modules/conv.py: Conv1d/2d/3d and ConvTranspose1d/2d/3d against torch.nn."""
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad import nn
from utils import to_torch

CONV = {1: "Conv1d", 2: "Conv2d", 3: "Conv3d"}
CONV_T = {1: "ConvTranspose1d", 2: "ConvTranspose2d", 3: "ConvTranspose3d"}


def _copy_parameters(torch_module, module):
    for name, value in torch_module.state_dict().items():
        getattr(module, name).data = minigrad.tensor(value.numpy().copy())


def _compare(torch, module, torch_module, x, dtype, forward_kwargs=None, torch_kwargs=None):
    """Same parameters, same input: same output, same input / weight / bias gradients."""
    module.to(dtype=getattr(minigrad, np.dtype(dtype).name))
    torch_module.to(dtype=getattr(torch, np.dtype(dtype).name))
    _copy_parameters(torch_module, module)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-7, atol=1e-9)
    xm, xt = minigrad.tensor(x.astype(dtype), requires_grad=True), to_torch(torch, x.astype(dtype), True)
    ym, yt = module(xm, **(forward_kwargs or {})), torch_module(xt, **(torch_kwargs or forward_kwargs or {}))
    assert tuple(ym.shape) == tuple(yt.shape)
    np.testing.assert_allclose(np.asarray(ym.detach()), yt.detach().numpy(), **tol)
    g = np.random.default_rng(5).standard_normal(tuple(yt.shape)).astype(dtype)
    (ym * minigrad.tensor(g)).sum().backward()
    (yt * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(np.asarray(xm.grad), xt.grad.numpy(), **tol)
    for name, p in torch_module.named_parameters():
        np.testing.assert_allclose(np.asarray(getattr(module, name).grad), p.grad.numpy(), err_msg=name, **tol)


@st.composite
def conv_module_configs(draw):
    d = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([1, 2]))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(d))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(d))
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    padding = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
    stride = (1,) * d if padding == "same" else tuple(draw(st.integers(1, 2)) for _ in range(d))
    if padding == "int":
        padding = draw(st.integers(0, 2))
    elif padding == "tuple":
        padding = tuple(draw(st.integers(0, 2)) for _ in range(d))
    pads = (0,) * d if isinstance(padding, str) else _tuple(padding, d)
    if padding == "same":
        pads = tuple(dl * (k - 1) for k, dl in zip(kernel, dilation))
    # large enough for the kernel, and bigger than reflect / circular padding amounts
    spatial = tuple(max(dl * (k - 1) + 1, p + 1) + draw(st.integers(0, 3))
                    for k, dl, p in zip(kernel, dilation, pads))
    return dict(d=d, cin=groups * draw(st.integers(1, 2)), cout=groups * draw(st.integers(1, 2)), kernel=kernel,
                stride=stride, padding=padding, dilation=dilation, groups=groups, bias=draw(st.booleans()),
                padding_mode=mode, spatial=spatial, batch=draw(st.sampled_from([None, 1, 3])))


def _tuple(value, d):
    return value if isinstance(value, tuple) else (value,) * d


@settings(max_examples=60, deadline=None)
@given(config=conv_module_configs(), dtype=st.sampled_from([np.float32, np.float64]))
def test_conv_module_matches_torch_with_every_padding_mode(torch, config, dtype):
    kwargs = {k: config[k] for k in ("stride", "padding", "dilation", "groups", "bias", "padding_mode")}
    module = getattr(nn, CONV[config["d"]])(config["cin"], config["cout"], config["kernel"], **kwargs)
    torch_module = getattr(torch.nn, CONV[config["d"]])(config["cin"], config["cout"], config["kernel"], **kwargs)
    lead = () if config["batch"] is None else (config["batch"],)
    x = np.random.default_rng(0).standard_normal(lead + (config["cin"],) + config["spatial"])
    _compare(torch, module, torch_module, x, dtype)


@settings(max_examples=40, deadline=None)
@given(d=st.integers(1, 3), stride=st.integers(1, 3), kernel=st.integers(1, 4), padding=st.integers(0, 1),
       groups=st.sampled_from([1, 2]), extra=st.integers(0, 2), batch=st.sampled_from([None, 2]),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_conv_transpose_module_output_size_matches_torch(torch, d, stride, kernel, padding, groups, extra, batch,
                                                         dtype):
    extra = min(extra, stride - 1)
    spatial = (3,) * d
    size = [(s - 1) * stride - 2 * padding + kernel - 1 + 1 + extra for s in spatial]
    if min(size) < 1:
        return
    module = getattr(nn, CONV_T[d])(2, 2 * groups, kernel, stride=stride, padding=padding, groups=groups)
    torch_module = getattr(torch.nn, CONV_T[d])(2, 2 * groups, kernel, stride=stride, padding=padding, groups=groups)
    lead = () if batch is None else (batch,)
    x = np.random.default_rng(0).standard_normal(lead + (2,) + spatial)
    _compare(torch, module, torch_module, x, dtype, dict(output_size=size))


@pytest.mark.parametrize("name, args, kwargs", [
    ("Conv2d", (3, 16, 3), dict(padding=1)),
    ("Conv2d", (3, 16, (3, 2)), dict(stride=2, dilation=2, bias=False, padding_mode="reflect")),
    ("Conv1d", (2, 4, 3), dict(padding="same")),
    ("Conv1d", (2, 4, 3), dict(padding="valid")),
    ("Conv2d", (4, 4, 3), dict(groups=2)),
    ("Conv3d", (2, 4, (3, 1, 2)), dict(padding=(1, 0, 1), padding_mode="circular")),
    ("ConvTranspose2d", (3, 16, 3), dict(stride=2, output_padding=1)),
    ("ConvTranspose1d", (2, 4, 3), dict(dilation=2, groups=2, bias=False)),
    ("ConvTranspose3d", (2, 4, 2), dict(stride=(1, 2, 2), padding=1)),
])
def test_repr_and_state_dict_match_torch(torch, name, args, kwargs):
    module, torch_module = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(module) == repr(torch_module)
    ours, theirs = module.state_dict(), torch_module.state_dict()
    assert list(ours) == list(theirs)
    for key in theirs:
        assert tuple(ours[key].shape) == tuple(theirs[key].shape)
    assert module._reversed_padding_repeated_twice == list(torch_module._reversed_padding_repeated_twice)


def test_torch_state_dict_loads_and_gives_torch_outputs(torch):
    torch_module = torch.nn.Conv2d(3, 5, 3, stride=2, padding=1)
    module = nn.Conv2d(3, 5, 3, stride=2, padding=1)
    module.load_state_dict({k: minigrad.tensor(v.numpy()) for k, v in torch_module.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 7)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(module(minigrad.tensor(x)).detach()),
                               torch_module(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, args", [("Conv2d", (8, 64, 5)), ("ConvTranspose2d", (64, 8, 5)),
                                        ("Conv1d", (6, 32, 7))])
def test_default_initialisation_is_uniform_within_one_over_sqrt_fan_in(name, args):
    module = getattr(nn, name)(*args)
    weight = np.asarray(module.weight.detach())
    fan_in = weight.shape[1] * math.prod(weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)): gain sqrt(2/6), bound gain*sqrt(3/fan_in)
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.1 * bound
    bias = np.asarray(module.bias.detach())
    assert np.abs(bias).max() <= bound and len(np.unique(bias)) == len(bias)


def test_module_parameters_receive_gradients_and_bias_false_has_none():
    module = nn.Conv2d(2, 3, 3, bias=False)
    assert module.bias is None and [n for n, _ in module.named_parameters()] == ["weight"]
    module(minigrad.randn(1, 2, 5, 5)).sum().backward()
    assert module.weight.grad is not None and tuple(module.weight.grad.shape) == (3, 2, 3, 3)


# ---- errors ----------------------------------------------------------------------------------

def _raises(error, message, fn):
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        fn()


def test_error_groups_must_be_positive():
    _raises(ValueError, "groups must be a positive integer", lambda: nn.Conv2d(4, 4, 3, groups=0))


def test_error_in_channels_not_divisible_by_groups():
    _raises(ValueError, "in_channels must be divisible by groups", lambda: nn.Conv2d(3, 4, 3, groups=2))


def test_error_out_channels_not_divisible_by_groups():
    _raises(ValueError, "out_channels must be divisible by groups", lambda: nn.Conv2d(4, 3, 3, groups=2))


def test_error_unknown_padding_string_in_module():
    with pytest.raises(ValueError, match=r"^Invalid padding string 'foo', should be one of \{"):
        nn.Conv2d(4, 4, 3, padding="foo")


def test_error_same_padding_with_stride_in_module():
    _raises(ValueError, "padding='same' is not supported for strided convolutions",
            lambda: nn.Conv2d(4, 4, 3, padding="same", stride=2))


def test_error_unknown_padding_mode():
    with pytest.raises(ValueError, match=r"^padding_mode must be one of \{.*\}, but got padding_mode='foo'$"):
        nn.Conv2d(4, 3, 3, padding_mode="foo")


def test_error_transposed_convolution_accepts_only_zeros_padding_mode():
    _raises(ValueError, 'Only "zeros" padding mode is supported for ConvTranspose2d',
            lambda: nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect"))


def test_error_reflect_padding_not_smaller_than_the_input():
    _raises(RuntimeError, "Argument #4: Padding size should be less than the corresponding input dimension, "
            "but got: padding (4, 4) at dimension 2 of input [1, 4, 3]",
            lambda: nn.Conv1d(4, 3, 3, padding=4, padding_mode="reflect")(minigrad.zeros(1, 4, 3)))


def test_error_output_size_outside_the_valid_range():
    module = nn.ConvTranspose2d(4, 3, 3, stride=2)
    _raises(ValueError, "requested an output size of (14, 14), but valid sizes range from [11, 11] to [12, 12] "
            "(for an input of minigrad.Size([5, 5]))", lambda: module(minigrad.zeros(1, 4, 5, 5), output_size=(14, 14)))
    _raises(ValueError, "requested an output size of [10, 10], but valid sizes range from [11, 11] to [12, 12] "
            "(for an input of minigrad.Size([5, 5]))", lambda: module(minigrad.zeros(1, 4, 5, 5), output_size=[10, 10]))


def test_error_output_size_with_the_wrong_number_of_elements():
    _raises(ValueError, "ConvTranspose2D: for 4D input, output_size must have 2 or 4 elements (got 1)",
            lambda: nn.ConvTranspose2d(4, 3, 3, stride=2)(minigrad.zeros(1, 4, 5, 5), output_size=(12,)))


def test_output_size_may_include_batch_and_channel_dims():
    out = nn.ConvTranspose2d(4, 3, 3, stride=2)(minigrad.zeros(1, 4, 5, 5), output_size=(1, 3, 12, 12))
    assert tuple(out.shape) == (1, 3, 12, 12)
