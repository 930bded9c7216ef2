"""Tests of minigrad/ops/conv.py and minigrad/nn/functional/conv.py: the three convolution primitives,
conv1d/2d/3d and conv_transpose1d/2d/3d against torch, gradients to second order, shapes and errors."""
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad.kernels import im2col as im2col_module
from minigrad.kernels import conv as conv_ops
from minigrad.kernels.geometry import conv_geometry
from minigrad.ops.conv import conv, conv_transpose, conv_weight_grad
from utils import check_against_torch, gradchecks, to_torch

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _normal(rng, shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


# ---- generated configurations ---------------------------------------------------------------

@st.composite
def conv_configs(draw, max_dims=3):
    """A valid conv call: dims, shapes, stride / padding (int, tuple, 'same', 'valid') / dilation / groups."""
    d = draw(st.integers(1, max_dims))
    small = 3 if d == 3 else 5
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    in_per_group = draw(st.integers(1, 2))
    out_per_group = draw(st.integers(1, 3))       # >1 with in_per_group == 1: depthwise with a multiplier
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(d))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(d))
    padding_kind = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
    stride = (1,) * d if padding_kind == "same" else tuple(draw(st.integers(1, 3)) for _ in range(d))
    if padding_kind == "int":
        padding = draw(st.integers(0, 2))
        pads = (padding,) * d
    elif padding_kind == "tuple":
        pads = tuple(draw(st.integers(0, 2)) for _ in range(d))
        padding = pads
    else:
        padding, pads = padding_kind, (0,) * d
    spatial = tuple(max(dl * (k - 1) + 1 - 2 * p, 1) + draw(st.integers(0, small))
                    for k, dl, p in zip(kernel, dilation, pads))
    batch = draw(st.sampled_from([None, 1, 2]))    # None: unbatched input
    return dict(d=d, batch=batch, cin=groups * in_per_group, cout=groups * out_per_group, spatial=spatial,
                kernel=kernel, stride=stride if draw(st.booleans()) or len(set(stride)) > 1 else stride[0],
                padding=padding, dilation=dilation, groups=groups, bias=draw(st.booleans()))


@st.composite
def conv_transpose_configs(draw, max_dims=3):
    d = draw(st.integers(1, max_dims))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    in_per_group = draw(st.integers(1, 2))
    out_per_group = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(d))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(d))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(d))
    output_padding = tuple(draw(st.integers(0, max(s, dl) - 1)) for s, dl in zip(stride, dilation))
    spatial = tuple(draw(st.integers(1, 3 if d == 3 else 5)) for _ in range(d))
    # padding as large as the output size allows
    padding = tuple(draw(st.integers(0, max(0, ((s - 1) * st_ + dl * (k - 1) + op) // 2)))
                    for s, st_, dl, k, op in zip(spatial, stride, dilation, kernel, output_padding))
    batch = draw(st.sampled_from([None, 1, 2]))
    return dict(d=d, batch=batch, cin=groups * in_per_group, cout=groups * out_per_group, spatial=spatial,
                kernel=kernel, stride=stride, padding=padding, output_padding=output_padding,
                dilation=dilation, groups=groups, bias=draw(st.booleans()))


def _conv_arrays(config, dtype, seed=0):
    rng = np.random.default_rng(seed)
    lead = () if config["batch"] is None else (config["batch"],)
    x = _normal(rng, lead + (config["cin"],) + config["spatial"], dtype)
    w = _normal(rng, (config["cout"], config["cin"] // config["groups"]) + config["kernel"], dtype)
    arrays = [x, w] + ([_normal(rng, (config["cout"],), dtype)] if config["bias"] else [])
    return arrays


def _conv_transpose_arrays(config, dtype, seed=0):
    rng = np.random.default_rng(seed)
    lead = () if config["batch"] is None else (config["batch"],)
    x = _normal(rng, lead + (config["cin"],) + config["spatial"], dtype)
    w = _normal(rng, (config["cin"], config["cout"] // config["groups"]) + config["kernel"], dtype)
    arrays = [x, w] + ([_normal(rng, (config["cout"],), dtype)] if config["bias"] else [])
    return arrays


@settings(max_examples=120, deadline=None)
@given(config=conv_configs(), dtype=st.sampled_from([np.float32, np.float64]))
def test_conv_matches_torch_values_and_gradients(torch, config, dtype):
    import torch.nn.functional as TF
    torch_conv = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}[config["d"]]
    kwargs = dict(stride=config["stride"], padding=config["padding"], dilation=config["dilation"],
                  groups=config["groups"])
    check_against_torch(torch, lambda *a: CONV[config["d"]](*a, **kwargs), lambda *a: torch_conv(*a, **kwargs),
                        _conv_arrays(config, dtype), rtol=1e-4 if dtype == np.float32 else 1e-7,
                        atol=1e-4 if dtype == np.float32 else 1e-9)


@settings(max_examples=100, deadline=None)
@given(config=conv_transpose_configs(), dtype=st.sampled_from([np.float32, np.float64]))
def test_conv_transpose_matches_torch_values_and_gradients(torch, config, dtype):
    import torch.nn.functional as TF
    torch_conv_t = {1: TF.conv_transpose1d, 2: TF.conv_transpose2d, 3: TF.conv_transpose3d}[config["d"]]
    kwargs = dict(stride=config["stride"], padding=config["padding"], output_padding=config["output_padding"],
                  groups=config["groups"], dilation=config["dilation"])
    check_against_torch(torch, lambda *a: CONV_T[config["d"]](*a, **kwargs), lambda *a: torch_conv_t(*a, **kwargs),
                        _conv_transpose_arrays(config, dtype), rtol=1e-4 if dtype == np.float32 else 1e-7,
                        atol=1e-4 if dtype == np.float32 else 1e-9)


@pytest.mark.parametrize("batch_last", [True, False])
@settings(max_examples=40, deadline=None)
@given(config=conv_configs(), config_t=conv_transpose_configs(), dtype=st.sampled_from([np.float32, np.float64]))
def test_both_column_orders_match_torch(torch, monkeypatch, batch_last, config, config_t, dtype):
    # ops/conv.py picks batch-last or batch-first columns by window size; force each order everywhere
    import torch.nn.functional as TF
    monkeypatch.setattr(conv_ops, "_batch_last_columns", lambda module, windows: batch_last)
    tolerance = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-7, atol=1e-9)
    kwargs = dict(stride=config["stride"], padding=config["padding"], dilation=config["dilation"],
                  groups=config["groups"])
    torch_conv = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}[config["d"]]
    check_against_torch(torch, lambda *a: CONV[config["d"]](*a, **kwargs), lambda *a: torch_conv(*a, **kwargs),
                        _conv_arrays(config, dtype), **tolerance)
    kwargs = dict(stride=config_t["stride"], padding=config_t["padding"], output_padding=config_t["output_padding"],
                  groups=config_t["groups"], dilation=config_t["dilation"])
    torch_conv_t = {1: TF.conv_transpose1d, 2: TF.conv_transpose2d, 3: TF.conv_transpose3d}[config_t["d"]]
    check_against_torch(torch, lambda *a: CONV_T[config_t["d"]](*a, **kwargs),
                        lambda *a: torch_conv_t(*a, **kwargs), _conv_transpose_arrays(config_t, dtype), **tolerance)


@settings(max_examples=25, deadline=None)
@given(config=conv_configs(max_dims=2))
def test_conv_second_derivatives_match_torch(torch, config):
    """Double backward: d/d(x, w) of <grad_x, u> + <grad_w, v> agrees with torch's."""
    import torch.nn.functional as TF
    torch_conv = {1: TF.conv1d, 2: TF.conv2d}[config["d"]]
    kwargs = dict(stride=config["stride"], padding=config["padding"], dilation=config["dilation"],
                  groups=config["groups"])
    x, w = _conv_arrays(config, np.float64)[:2]
    results = []
    for lib, fn, make in ((minigrad, CONV[config["d"]], lambda a: minigrad.tensor(a, requires_grad=True)),
                          (torch, torch_conv, lambda a: to_torch(torch, a, True))):
        xt, wt = make(x), make(w)
        y = fn(xt, wt, **kwargs)
        g = lib.tensor(np.random.default_rng(2).standard_normal(tuple(y.shape)))
        gx, gw = lib.autograd.grad((y * g).sum(), (xt, wt), create_graph=True)
        u, v = (lib.tensor(np.random.default_rng(3).standard_normal(tuple(t.shape))) for t in (gx, gw))
        second = lib.autograd.grad((gx * u).sum() + (gw * v).sum(), (xt, wt))
        results.append([np.asarray(s.detach()) if lib is minigrad else s.detach().numpy() for s in second])
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-7, atol=1e-9)


# ---- gradient checks of the three primitives -------------------------------------------------

GEOMETRIES = [  # spatial, kernel, stride, padding pairs, dilation, groups, cin, cout
    ((7,), (3,), (2,), ((1, 1),), (1,), 1, 2, 3),
    ((6,), (2,), (1,), ((0, 1),), (2,), 2, 2, 4),
    ((5, 4), (3, 2), (2, 1), ((1, 1), (0, 2)), (1, 2), 2, 4, 2),
    ((4, 4), (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 1, 3, 2),
    ((5, 5), (2, 2), (3, 2), ((1, 0), (2, 1)), (1, 1), 3, 3, 3),
    ((3, 4, 3), (2, 2, 1), (1, 2, 1), ((1, 1), (0, 0), (0, 1)), (1, 1, 2), 1, 2, 2),
]


def _geometry_arrays(geometry, seed=0):
    spatial, kernel, stride, pads, dilation, groups, cin, cout = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, cin) + spatial)
    w = rng.standard_normal((cout, cin // groups) + kernel)
    b = rng.standard_normal(cout)
    padded = tuple(s + bb + a for s, (bb, a) in zip(spatial, pads))
    out = tuple((p - dl * (k - 1) - 1) // s + 1 for p, k, s, dl in zip(padded, kernel, stride, dilation))
    y = rng.standard_normal((2, cout) + out)
    return x, w, b, y


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: f"{len(g[0])}d-k{g[1]}-s{g[2]}-g{g[5]}")
def test_conv_primitive_passes_gradcheck_and_gradgradcheck(geometry):
    spatial, kernel, stride, pads, dilation, groups, cin, cout = geometry
    x, w, b, _ = _geometry_arrays(geometry)
    gradchecks(lambda x, w, b: conv(x, w, b, stride, pads, dilation, groups), [x, w, b])


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: f"{len(g[0])}d-k{g[1]}-s{g[2]}-g{g[5]}")
def test_conv_transpose_primitive_passes_gradcheck_and_gradgradcheck(geometry):
    spatial, kernel, stride, pads, dilation, groups, cin, cout = geometry
    _, w, _, y = _geometry_arrays(geometry)
    b = np.random.default_rng(1).standard_normal(cin)
    adjoint = conv_geometry(spatial, kernel, stride, pads, dilation).pads  # the rows no window reads, cut
    gradchecks(lambda y, w, b: conv_transpose(y, w, b, stride, adjoint, dilation, groups), [y, w, b])


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: f"{len(g[0])}d-k{g[1]}-s{g[2]}-g{g[5]}")
def test_conv_weight_grad_primitive_passes_gradcheck_and_gradgradcheck(geometry):
    spatial, kernel, stride, pads, dilation, groups, cin, cout = geometry
    x, _, _, y = _geometry_arrays(geometry)
    gradchecks(lambda x, y: conv_weight_grad(x, y, kernel, stride, pads, dilation, groups), [x, y])


def test_conv_transpose_is_the_adjoint_of_conv():
    """<conv(x, w), y> == <x, conv_transpose(y, w)> for every x, y: the defining identity."""
    for geometry in GEOMETRIES:
        spatial, kernel, stride, pads, dilation, groups, cin, cout = geometry
        x, w, _, y = _geometry_arrays(geometry)
        adjoint = conv_geometry(spatial, kernel, stride, pads, dilation).pads  # the rows no window reads, cut
        lhs = float((conv(minigrad.tensor(x), minigrad.tensor(w), None, stride, pads, dilation, groups)
                     * minigrad.tensor(y)).sum())
        back = conv_transpose(minigrad.tensor(y), minigrad.tensor(w), None, stride, adjoint, dilation, groups)
        assert back.shape == x.shape
        rhs = float((back * minigrad.tensor(x)).sum())
        np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


def test_conv_weight_grad_is_the_adjoint_of_conv_in_the_weight():
    for geometry in GEOMETRIES:
        spatial, kernel, stride, pads, dilation, groups, cin, cout = geometry
        x, w, _, y = _geometry_arrays(geometry)
        lhs = float((conv(minigrad.tensor(x), minigrad.tensor(w), None, stride, pads, dilation, groups)
                     * minigrad.tensor(y)).sum())
        rhs = float((conv_weight_grad(minigrad.tensor(x), minigrad.tensor(y), kernel, stride, pads, dilation, groups)
                     * minigrad.tensor(w)).sum())
        np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


def test_functional_conv2d_and_conv_transpose2d_pass_gradgradcheck_with_bias_and_same_padding():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((1, 2, 4, 5)), rng.standard_normal((2, 2, 2, 3)), rng.standard_normal(2)
    gradchecks(lambda x, w, b: F.conv2d(x, w, b, padding="same", dilation=(1, 2)), [x, w, b])
    gradchecks(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1), [x, w, b])


# ---- internals: chunking, workspace reuse, skipped gradients --------------------------------

def test_batch_chunking_under_a_small_budget_gives_the_same_values_and_gradients(monkeypatch):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((5, 4, 6, 6)), rng.standard_normal((6, 2, 3, 3))

    def run():
        xt, wt = minigrad.tensor(x, requires_grad=True), minigrad.tensor(w, requires_grad=True)
        y = F.conv2d(xt, wt, stride=2, padding=1, groups=2)
        z = F.conv_transpose2d(y, minigrad.tensor(w), stride=2)
        (y.sum() + (z * z).sum()).backward()
        return [np.asarray(y.detach()), np.asarray(z.detach()), np.asarray(xt.grad), np.asarray(wt.grad)]

    whole = run()
    monkeypatch.setattr(im2col_module, "COLUMN_BUDGET_BYTES", 4 * 2 * 9 * 9 * 8)  # a couple of samples a chunk
    assert len(im2col_module.batch_chunks(5, 4 * 9 * 9 * 8)) > 1
    for a, b in zip(run(), whole):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_outputs_do_not_share_memory_with_the_reused_workspace():
    rng = np.random.default_rng(0)
    x1, x2, w = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3))
    first = F.conv2d(minigrad.tensor(x1), minigrad.tensor(w))
    kept = np.asarray(first).copy()
    F.conv2d(minigrad.tensor(x2), minigrad.tensor(w))  # reuses the column and product buffers
    np.testing.assert_array_equal(np.asarray(first), kept)


def test_input_gradient_is_not_computed_when_the_input_needs_none(monkeypatch):
    calls = []
    real = conv_ops.conv_transpose_forward
    monkeypatch.setattr(conv_ops, "conv_transpose_forward", lambda *a: calls.append(1) or real(*a))
    x = minigrad.randn(2, 3, 5, 5)
    w = minigrad.randn(4, 3, 3, 3, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert calls == [] and w.grad is not None and x.grad is None
    x.requires_grad_(True)
    F.conv2d(x, w).sum().backward()
    assert calls == [1]


def test_weight_gradient_is_not_computed_when_the_weight_needs_none(monkeypatch):
    calls = []
    real = conv_ops.conv_weight_grad_forward
    monkeypatch.setattr(conv_ops, "conv_weight_grad_forward", lambda *a: calls.append(1) or real(*a))
    x = minigrad.randn(2, 3, 5, 5, requires_grad=True)
    F.conv2d(x, minigrad.randn(4, 3, 3, 3)).sum().backward()
    assert calls == [] and x.grad is not None


# ---- output shapes ---------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(config=conv_configs())
def test_conv_output_shape_follows_the_documented_formula(config):
    x, w = (minigrad.tensor(a) for a in _conv_arrays(config, np.float32)[:2])
    y = CONV[config["d"]](x, w, stride=config["stride"], padding=config["padding"], dilation=config["dilation"],
                          groups=config["groups"])
    stride = config["stride"] if isinstance(config["stride"], tuple) else (config["stride"],) * config["d"]
    expected = []
    for i, (s, k, dl) in enumerate(zip(config["spatial"], config["kernel"], config["dilation"])):
        if config["padding"] == "same":
            expected.append(s)
            continue
        p = 0 if config["padding"] == "valid" else (
            config["padding"][i] if isinstance(config["padding"], tuple) else config["padding"])
        expected.append((s + 2 * p - dl * (k - 1) - 1) // stride[i] + 1)
    lead = () if config["batch"] is None else (config["batch"],)
    assert tuple(y.shape) == lead + (config["cout"],) + tuple(expected)


@settings(max_examples=60, deadline=None)
@given(config=conv_transpose_configs())
def test_conv_transpose_output_shape_follows_the_documented_formula(config):
    x, w = (minigrad.tensor(a) for a in _conv_transpose_arrays(config, np.float32)[:2])
    y = CONV_T[config["d"]](x, w, stride=config["stride"], padding=config["padding"],
                            output_padding=config["output_padding"], groups=config["groups"],
                            dilation=config["dilation"])
    expected = tuple((s - 1) * st_ - 2 * p + dl * (k - 1) + op + 1 for s, st_, p, dl, k, op in zip(
        config["spatial"], config["stride"], config["padding"], config["dilation"], config["kernel"],
        config["output_padding"]))
    lead = () if config["batch"] is None else (config["batch"],)
    assert tuple(y.shape) == lead + (config["cout"],) + expected


def test_same_padding_puts_the_odd_extra_zero_after():
    """An even kernel of 2 with padding='same' pads 0 before and 1 after: out[i] = x[i] + x[i+1]."""
    x = minigrad.tensor([[[1.0, 2.0, 4.0]]])
    out = F.conv1d(x, minigrad.ones(1, 1, 2), padding="same")
    assert out.tolist() == [[[3.0, 6.0, 4.0]]]


# ---- errors (torch's wording) ----------------------------------------------------------------

def _raises(message, fn, error=RuntimeError):
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        fn()


def test_error_wrong_channel_count():
    _raises("Given groups=1, weight of size [64, 3, 3, 3], expected input[1, 1, 256, 256] to have 3 channels, "
            "but got 1 channels instead", lambda: F.conv2d(minigrad.zeros(1, 1, 256, 256), minigrad.zeros(64, 3, 3, 3)))


def test_error_wrong_channel_count_transposed():
    _raises("Given transposed=1, weight of size [4, 3, 3, 3], expected input[1, 3, 5, 5] to have 4 channels, "
            "but got 3 channels instead",
            lambda: F.conv_transpose2d(minigrad.zeros(1, 3, 5, 5), minigrad.zeros(4, 3, 3, 3)))


def test_error_kernel_larger_than_padded_input():
    _raises("Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size can't be "
            "greater than actual input size",
            lambda: F.conv2d(minigrad.zeros(1, 3, 2, 2), minigrad.zeros(4, 3, 5, 5), padding=1))
    _raises("Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size can't be "
            "greater than actual input size",
            lambda: F.conv2d(minigrad.zeros(1, 3, 4, 4), minigrad.zeros(4, 3, 3, 3), dilation=2))


def test_error_groups_not_dividing_output_channels():
    _raises("Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size "
            "[[3, 2, 3, 3]] instead", lambda: F.conv2d(minigrad.zeros(1, 4, 8, 8), minigrad.zeros(3, 2, 3, 3), groups=2))


def test_error_groups_not_dividing_input_channels():
    _raises("Given groups=2, weight of size [4, 1, 3, 3], expected input[1, 3, 8, 8] to have 2 channels, "
            "but got 3 channels instead",
            lambda: F.conv2d(minigrad.zeros(1, 3, 8, 8), minigrad.zeros(4, 1, 3, 3), groups=2))


def test_error_non_positive_groups():
    _raises("non-positive groups is not supported",
            lambda: F.conv2d(minigrad.zeros(1, 4, 8, 8), minigrad.zeros(4, 4, 3, 3), groups=0))


def test_error_non_positive_stride():
    for fn in (lambda: F.conv2d(minigrad.zeros(1, 3, 8, 8), minigrad.zeros(4, 3, 3, 3), stride=0),
               lambda: F.conv_transpose1d(minigrad.zeros(1, 4, 8), minigrad.zeros(4, 3, 3), stride=-1)):
        _raises("non-positive stride is not supported", fn)


def test_error_non_positive_dilation():
    _raises("dilation should be greater than zero, but got [0, 0]",
            lambda: F.conv2d(minigrad.zeros(1, 3, 8, 8), minigrad.zeros(4, 3, 3, 3), dilation=0))
    _raises("dilation should be greater than zero, but got dilation_height: 0, dilation_width: 0",
            lambda: F.conv_transpose2d(minigrad.zeros(1, 4, 5, 5), minigrad.zeros(4, 3, 3, 3), dilation=0))
    _raises("dilation should be greater than zero",
            lambda: F.conv3d(minigrad.zeros(1, 3, 8, 8, 8), minigrad.zeros(4, 3, 3, 3, 3), dilation=(1, -1, 1)))


def test_error_negative_padding():
    _raises("negative padding is not supported",
            lambda: F.conv1d(minigrad.zeros(1, 3, 8), minigrad.zeros(4, 3, 3), padding=-1))
    _raises("negative padding is not supported",
            lambda: F.conv_transpose2d(minigrad.zeros(1, 4, 5, 5), minigrad.zeros(4, 3, 3, 3), padding=-1))


def test_error_negative_output_padding():
    _raises("negative output_padding is not supported",
            lambda: F.conv_transpose1d(minigrad.zeros(1, 4, 8), minigrad.zeros(4, 3, 3), output_padding=-1))


def test_error_wrong_input_rank():
    _raises("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [1, 1, 3, 8, 8]",
            lambda: F.conv2d(minigrad.zeros(1, 1, 3, 8, 8), minigrad.zeros(4, 3, 3, 3)))
    _raises("Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, but got input of size: [4]",
            lambda: F.conv_transpose1d(minigrad.zeros(4), minigrad.zeros(4, 3, 3)))


def test_error_weight_rank_not_matching_the_convolution():
    _raises("expected stride to be a single integer value or a list of 1 values to match the convolution "
            "dimensions, but got stride=[1, 1]", lambda: F.conv2d(minigrad.zeros(1, 3, 8, 8), minigrad.zeros(4, 3, 3)))


def test_error_parameter_tuple_of_wrong_length():
    _raises("expected padding to be a single integer value or a list of 2 values to match the convolution "
            "dimensions, but got padding=[1, 2, 3]",
            lambda: F.conv2d(minigrad.zeros(1, 3, 8, 8), minigrad.zeros(4, 3, 3, 3), padding=(1, 2, 3)))


def test_error_unknown_padding_string():
    _raises("Invalid padding string: 'foo'",
            lambda: F.conv2d(minigrad.zeros(1, 3, 8, 8), minigrad.zeros(4, 3, 3, 3), padding="foo"))


def test_error_padding_string_for_transposed_convolution():
    _raises("conv_transpose2d(): argument 'padding' must be tuple of ints, not str",
            lambda: F.conv_transpose2d(minigrad.zeros(1, 4, 5, 5), minigrad.zeros(4, 3, 3, 3), padding="same"),
            TypeError)


def test_error_same_padding_with_a_stride():
    _raises("padding='same' is not supported for strided convolutions",
            lambda: F.conv2d(minigrad.zeros(1, 3, 8, 8), minigrad.zeros(4, 3, 3, 3), padding="same", stride=(1, 2)))


def test_error_output_padding_too_large():
    _raises("output padding must be smaller than either stride or dilation, but got output_padding_height: 2 "
            "output_padding_width: 2 stride_height: 2 stride_width: 2 dilation_height: 1 dilation_width: 1",
            lambda: F.conv_transpose2d(minigrad.zeros(1, 4, 5, 5), minigrad.zeros(4, 3, 3, 3), stride=2,
                                       output_padding=2))
    _raises("output padding must be smaller than either stride or dilation, but got output_padding_height: 0 "
            "output_padding_width: 2 stride_height: 1 stride_width: 2 dilation_height: 1 dilation_width: 1",
            lambda: F.conv_transpose1d(minigrad.zeros(1, 4, 5), minigrad.zeros(4, 3, 3), stride=2, output_padding=2))


def test_output_padding_below_dilation_is_allowed():
    out = F.conv_transpose2d(minigrad.zeros(1, 4, 5, 5), minigrad.zeros(4, 3, 3, 3), dilation=2, output_padding=1)
    assert tuple(out.shape) == (1, 3, 10, 10)


def test_error_transposed_output_too_small():
    _raises("Given input size per channel: (1 x 1). Calculated output size per channel: (-3 x -3). "
            "Output size is too small",
            lambda: F.conv_transpose2d(minigrad.zeros(1, 4, 1, 1), minigrad.zeros(4, 3, 1, 1), padding=2))


def test_error_bias_of_wrong_size():
    _raises("Given weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 4 elements, but got bias "
            "of size [3] instead",
            lambda: F.conv2d(minigrad.zeros(1, 3, 8, 8), minigrad.zeros(4, 3, 3, 3), bias=minigrad.zeros(3)))
    _raises("Given transposed=1, weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 3 elements, "
            "but got bias of size [4] instead",
            lambda: F.conv_transpose2d(minigrad.zeros(1, 4, 5, 5), minigrad.zeros(4, 3, 3, 3), bias=minigrad.zeros(4)))


def test_error_mixed_dtypes():
    _raises("expected scalar type Float but found Double",
            lambda: F.conv2d(minigrad.zeros(1, 3, 8, 8), minigrad.zeros(4, 3, 3, 3, dtype=minigrad.float64)))
    _raises("Input type (float) and bias type (double) should be the same",
            lambda: F.conv2d(minigrad.zeros(1, 3, 8, 8), minigrad.zeros(4, 3, 3, 3),
                             bias=minigrad.zeros(4, dtype=minigrad.float64)))
