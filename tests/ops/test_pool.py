"""Pooling primitives (minigrad/ops/pool.py) through the functional API, against torch.

Generated configurations (Hypothesis) cover 1d/2d/3d, batched and unbatched, odd sizes, stride,
padding, dilation, ceil_mode, count_include_pad, divisor_override and return_indices. For each one,
either torch raises and minigrad raises the same exception with the same message, or values, indices
(exactly) and input gradients agree. Inputs are permutations of distinct values, so max pooling has
no ties except in the tests about ties.
"""
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad.kernels.geometry import WindowGeometry
from minigrad.ops.pool import (AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, FlatGather, FlatScatterAdd, MaxPool,
                               MaxPoolGather, MaxPoolScatter, MaxUnpool)
from utils import gradchecks

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# ---- helpers ----------------------------------------------------------------------------------

def distinct_values(shape, dtype, seed):
    """A random permutation of 0..n-1, centred and scaled: no two entries tie."""
    n = math.prod(shape)
    rng = np.random.default_rng(seed)
    return ((rng.permutation(n) - n / 2) / max(n, 1)).reshape(shape).astype(dtype)


def _wording(error):
    """The message, with the invalid index that max_unpool names masked: which one torch reports
    depends on its thread scheduling."""
    return re.sub(r"invalid max index: -?\d+", "invalid max index: #", str(error))


def run_both(torch, mg_call, th_call, x, *, grad=True, exact=False):
    """Same error (type and message), or the same outputs and the same input gradient."""
    th_x = torch.from_numpy(x.copy()).requires_grad_(grad)
    mg_x = minigrad.tensor(x.copy(), requires_grad=grad)
    try:
        th_out = th_call(th_x)
    except Exception as error:  # torch rejects it: minigrad must reject it the same way
        with pytest.raises(type(error)) as caught:
            mg_call(mg_x)
        assert _wording(caught.value) == _wording(error)
        return None
    mg_out = mg_call(mg_x)
    th_outs = th_out if isinstance(th_out, tuple) else (th_out,)
    mg_outs = mg_out if isinstance(mg_out, tuple) else (mg_out,)
    assert len(mg_outs) == len(th_outs)
    tol = dict(rtol=1e-5, atol=1e-6) if x.dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for m, t in zip(mg_outs, th_outs):
        assert tuple(m.shape) == tuple(t.shape)
        assert m.dtype.name == str(t.dtype).replace("torch.", "")
        if exact or not t.dtype.is_floating_point:
            np.testing.assert_array_equal(m.detach().numpy(), t.detach().numpy())
        else:
            np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), **tol)
    if grad and th_outs[0].numel():
        weight = np.random.default_rng(1).standard_normal(tuple(th_outs[0].shape)).astype(x.dtype)
        (th_outs[0] * torch.from_numpy(weight)).sum().backward()
        (mg_outs[0] * minigrad.tensor(weight)).sum().backward()
        np.testing.assert_allclose(mg_x.grad.numpy(), th_x.grad.numpy(), **tol)
    return mg_outs


def windows_reach_input(size, kernel, stride, padding, dilation, ceil_mode):
    """False when some window reads only padding: torch returns garbage indices for it (and its
    backward writes out of bounds), so those configurations are not compared."""
    for s, k, st_, p, dl in zip(size, kernel, stride, padding, dilation):
        if st_ <= 0 or k <= 0 or dl <= 0 or p < 0:
            return True  # an error case: compared
        numerator = s + 2 * p - dl * (k - 1) - 1 + (st_ - 1 if ceil_mode else 0)
        out = numerator // st_ + 1
        if ceil_mode and (out - 1) * st_ >= s + p:
            out -= 1
        for o in range(max(out, 0)):
            if not any(0 <= o * st_ - p + j * dl < s for j in range(k)):
                return False
    return True


@st.composite
def pool_configs(draw, dims=(1, 2, 3), dilation=True, valid=True):
    d = draw(st.sampled_from(dims))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(d))
    stride = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3)] * d)))
    if valid:
        padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    else:
        padding = tuple(draw(st.integers(-1, k)) for k in kernel)
    dil = tuple(draw(st.integers(1, 2)) for _ in range(d)) if dilation else (1,) * d
    size = tuple(draw(st.integers(1, 9)) for _ in range(d))
    batched = draw(st.booleans())
    lead = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) if batched else (draw(st.integers(1, 3)),)
    return dict(d=d, kernel=kernel, stride=stride, padding=padding, dilation=dil, size=size, lead=lead,
                ceil_mode=draw(st.booleans()), seed=draw(st.integers(0, 2 ** 16)))


def _max_fn(module, d):
    return getattr(module, f"max_pool{d}d")


def _avg_fn(module, d):
    return getattr(module, f"avg_pool{d}d")


# ---- max pooling ------------------------------------------------------------------------------

@settings(max_examples=150, **SETTINGS)
@given(config=pool_configs(), return_indices=st.booleans(), dtype=st.sampled_from([np.float32, np.float64]))
def test_max_pool_matches_torch_values_indices_and_gradients(torch, config, return_indices, dtype):
    c = config
    stride = c["stride"] or c["kernel"]
    if not windows_reach_input(c["size"], c["kernel"], stride, c["padding"], c["dilation"], c["ceil_mode"]):
        return
    x = distinct_values(c["lead"] + c["size"], dtype, c["seed"])
    args = (c["kernel"], c["stride"], c["padding"], c["dilation"], c["ceil_mode"], return_indices)
    run_both(torch, lambda t: _max_fn(F, c["d"])(t, *args),
             lambda t: _max_fn(torch.nn.functional, c["d"])(t, *args), x, exact=True)


@settings(max_examples=60, **SETTINGS)
@given(config=pool_configs())
def test_max_pool_ties_pick_the_first_maximum(torch, config):
    c = config
    stride = c["stride"] or c["kernel"]
    if not windows_reach_input(c["size"], c["kernel"], stride, c["padding"], c["dilation"], c["ceil_mode"]):
        return
    x = np.random.default_rng(c["seed"]).integers(0, 3, size=c["lead"] + c["size"]).astype(np.float64)
    args = (c["kernel"], c["stride"], c["padding"], c["dilation"], c["ceil_mode"], True)
    run_both(torch, lambda t: _max_fn(F, c["d"])(t, *args),
             lambda t: _max_fn(torch.nn.functional, c["d"])(t, *args), x, exact=True)


def test_max_pool_nan_propagates_and_its_index_is_the_last_nan(torch):
    x = np.array([[[1.0, np.nan, 3.0, np.nan, 2.0, 5.0, 4.0]]])
    for stride in (1, 2, 3):
        run_both(torch, lambda t: F.max_pool1d(t, 3, stride, return_indices=True),
                 lambda t: torch.nn.functional.max_pool1d(t, 3, stride, return_indices=True), x, grad=False)
    x2 = np.array([[[[1.0, np.nan], [np.nan, 2.0]]]])
    run_both(torch, lambda t: F.max_pool2d(t, 2, return_indices=True),
             lambda t: torch.nn.functional.max_pool2d(t, 2, return_indices=True), x2, grad=False)


def test_max_pool_padding_never_wins_over_minus_infinity_inputs(torch):
    x = np.full((1, 2, 5), -np.inf)
    run_both(torch, lambda t: F.max_pool1d(t, 3, 2, 1, ceil_mode=True, return_indices=True),
             lambda t: torch.nn.functional.max_pool1d(t, 3, 2, 1, ceil_mode=True, return_indices=True), x,
             grad=False)
    x2 = np.full((1, 1, 4, 5), -np.inf)
    run_both(torch, lambda t: F.max_pool2d(t, 3, 2, 1, return_indices=True),
             lambda t: torch.nn.functional.max_pool2d(t, 3, 2, 1, return_indices=True), x2, grad=False)


def test_ceil_mode_last_window_must_start_inside_input_or_left_padding(torch):
    # size 5, kernel 2, stride 2, padding 1: ceil would give 4 windows; the 4th starts at 5 = S + p - 1 + 1
    x = distinct_values((1, 1, 5), np.float64, 0)
    outs = run_both(torch, lambda t: F.max_pool1d(t, 2, 2, 1, ceil_mode=True),
                    lambda t: torch.nn.functional.max_pool1d(t, 2, 2, 1, ceil_mode=True), x)
    assert outs[0].shape == (1, 1, 3)
    x = distinct_values((1, 1, 6), np.float64, 0)
    outs = run_both(torch, lambda t: F.avg_pool1d(t, 3, 2, 1, ceil_mode=True),
                    lambda t: torch.nn.functional.avg_pool1d(t, 3, 2, 1, ceil_mode=True), x)
    assert outs[0].shape == (1, 1, 4)


def test_max_pool_on_an_empty_batch(torch):
    x = np.zeros((0, 2, 6, 6))
    run_both(torch, lambda t: F.max_pool2d(t, 2, return_indices=True),
             lambda t: torch.nn.functional.max_pool2d(t, 2, return_indices=True), x, grad=False)


# ---- average pooling --------------------------------------------------------------------------

@settings(max_examples=150, **SETTINGS)
@given(config=pool_configs(dilation=False), count_include_pad=st.booleans(),
       divisor=st.one_of(st.none(), st.integers(-3, 5)), dtype=st.sampled_from([np.float32, np.float64]))
def test_avg_pool_matches_torch_with_its_divisor_rules(torch, config, count_include_pad, divisor, dtype):
    c = config
    x = distinct_values(c["lead"] + c["size"], dtype, c["seed"])
    args = (c["kernel"], c["stride"], c["padding"], c["ceil_mode"], count_include_pad)
    if c["d"] > 1:
        args = args + (divisor,)
    run_both(torch, lambda t: _avg_fn(F, c["d"])(t, *args),
             lambda t: _avg_fn(torch.nn.functional, c["d"])(t, *args), x)


def test_avg_pool_never_counts_ceil_mode_positions_past_the_padding(torch):
    x = distinct_values((1, 1, 6, 6), np.float64, 3)
    for count_include_pad in (True, False):
        run_both(torch, lambda t: F.avg_pool2d(t, 3, 2, 1, True, count_include_pad),
                 lambda t: torch.nn.functional.avg_pool2d(t, 3, 2, 1, True, count_include_pad), x)


# ---- Lp pooling -------------------------------------------------------------------------------

@settings(max_examples=40, **SETTINGS)
@given(config=pool_configs(dims=(1, 2, 3), dilation=False),
       norm_type=st.sampled_from([1, 2, 3, 1.5, float("inf")]))
def test_lp_pool_matches_torch(torch, config, norm_type):
    c = config
    x = distinct_values(c["lead"] + c["size"], np.float64, c["seed"]) + 0.7  # positive: x ** 1.5 is real
    fn = f"lp_pool{c['d']}d"
    kernel = c["kernel"][0] if c["d"] == 1 else c["kernel"]  # torch's lp_pool1d multiplies by kernel_size
    args = (norm_type, kernel, c["stride"], c["ceil_mode"])
    run_both(torch, lambda t: getattr(F, fn)(t, *args), lambda t: getattr(torch.nn.functional, fn)(t, *args), x)


# ---- adaptive pooling -------------------------------------------------------------------------

@st.composite
def adaptive_configs(draw):
    d = draw(st.sampled_from([1, 2, 3]))
    size = tuple(draw(st.integers(1, 9)) for _ in range(d))
    out = tuple(draw(st.integers(1, 10)) for _ in range(d))
    batched = draw(st.booleans())
    lead = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) if batched else (draw(st.integers(1, 3)),)
    return d, size, out, lead, draw(st.integers(0, 2 ** 16))


@settings(max_examples=100, **SETTINGS)
@given(config=adaptive_configs(), dtype=st.sampled_from([np.float32, np.float64]))
def test_adaptive_avg_pool_matches_torch(torch, config, dtype):
    d, size, out, lead, seed = config
    x = distinct_values(lead + size, dtype, seed)
    fn = f"adaptive_avg_pool{d}d"
    target = out[0] if d == 1 else out
    run_both(torch, lambda t: getattr(F, fn)(t, target), lambda t: getattr(torch.nn.functional, fn)(t, target), x)


@settings(max_examples=100, **SETTINGS)
@given(config=adaptive_configs(), return_indices=st.booleans(), ties=st.booleans())
def test_adaptive_max_pool_matches_torch_values_indices_and_gradients(torch, config, return_indices, ties):
    d, size, out, lead, seed = config
    if ties:
        x = np.random.default_rng(seed).integers(0, 3, size=lead + size).astype(np.float64)
    else:
        x = distinct_values(lead + size, np.float64, seed)
    fn = f"adaptive_max_pool{d}d"
    target = out[0] if d == 1 else out
    run_both(torch, lambda t: getattr(F, fn)(t, target, return_indices),
             lambda t: getattr(torch.nn.functional, fn)(t, target, return_indices), x, exact=True, grad=not ties)


def test_adaptive_pool_none_keeps_the_input_size(torch):
    x = distinct_values((2, 3, 7, 5), np.float64, 0)
    outs = run_both(torch, lambda t: F.adaptive_avg_pool2d(t, (None, 3)),
                    lambda t: torch.nn.functional.adaptive_avg_pool2d(t, (None, 3)), x)
    assert outs[0].shape == (2, 3, 7, 3)
    x3 = distinct_values((1, 2, 4, 5, 6), np.float64, 0)
    run_both(torch, lambda t: F.adaptive_max_pool3d(t, (2, None, 4), True),
             lambda t: torch.nn.functional.adaptive_max_pool3d(t, (2, None, 4), True), x3, exact=True)


def test_adaptive_max_pool_nan_propagates(torch):
    x = np.array([[[1.0, np.nan, np.nan, 3.0, 2.0]]])
    run_both(torch, lambda t: F.adaptive_max_pool1d(t, 2, True),
             lambda t: torch.nn.functional.adaptive_max_pool1d(t, 2, True), x, grad=False)


def test_adaptive_pool_to_size_zero_gives_an_empty_output(torch):
    x = distinct_values((2, 3, 4, 4), np.float64, 0)
    run_both(torch, lambda t: F.adaptive_avg_pool2d(t, 0), lambda t: torch.nn.functional.adaptive_avg_pool2d(t, 0),
             x, grad=False)
    run_both(torch, lambda t: F.adaptive_max_pool2d(t, (0, 2)),
             lambda t: torch.nn.functional.adaptive_max_pool2d(t, (0, 2)), x, grad=False)


# ---- max-unpooling ----------------------------------------------------------------------------

@settings(max_examples=60, **SETTINGS)
@given(config=pool_configs(dilation=False), use_output_size=st.booleans())
def test_max_unpool_puts_values_back_at_their_indices_as_torch(torch, config, use_output_size):
    c = config
    d, stride = c["d"], c["stride"] or c["kernel"]
    if not windows_reach_input(c["size"], c["kernel"], stride, c["padding"], (1,) * d, False):
        return
    x = distinct_values(c["lead"] + c["size"], np.float64, c["seed"])
    try:
        values, indices = torch.nn.functional.__dict__[f"max_pool{d}d"](
            torch.from_numpy(x), c["kernel"], stride, c["padding"], return_indices=True)
    except RuntimeError:
        return
    output_size = c["size"] if use_output_size else None
    th_indices, mg_indices = indices, minigrad.tensor(indices.numpy())
    args = (c["kernel"], c["stride"], c["padding"], output_size)
    run_both(torch, lambda t: getattr(F, f"max_unpool{d}d")(t, mg_indices, *args),
             lambda t: getattr(torch.nn.functional, f"max_unpool{d}d")(t, th_indices, *args),
             values.numpy(), exact=True)


# ---- gradient checks (float64, no ties) -------------------------------------------------------

def test_max_pool_gradients_and_second_order():
    x = distinct_values((2, 2, 5, 6), np.float64, 0)
    gradchecks(lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True), [x])
    gradchecks(lambda t: F.max_pool1d(t, 2, 1, 1, dilation=2), [distinct_values((2, 7), np.float64, 1)])
    gradchecks(lambda t: F.max_pool3d(t, 2, (1, 2, 1)), [distinct_values((1, 1, 3, 4, 3), np.float64, 2)])


def test_max_pool_scatter_and_gather_are_transposes_with_gradients():
    x = distinct_values((1, 2, 5, 5), np.float64, 0)
    geometry = WindowGeometry((5, 5), (3, 3), (2, 2), (1, 1), (1, 1))
    _, argmax = minigrad.kernels.pool.max_pool_forward(x, geometry)
    grad = distinct_values((1, 2) + geometry.output_size, np.float64, 3)
    gradchecks(lambda g: MaxPoolScatter.apply(g, argmax, geometry), [grad])
    gradchecks(lambda t: MaxPoolGather.apply(t, argmax, geometry), [x])
    # <scatter(g), x> == <g, gather(x)>
    scattered = MaxPoolScatter.apply(minigrad.tensor(grad), argmax, geometry).numpy()
    gathered = MaxPoolGather.apply(minigrad.tensor(x), argmax, geometry).numpy()
    assert np.isclose((scattered * x).sum(), (grad * gathered).sum())


def test_avg_pool_gradients_and_second_order():
    x = distinct_values((2, 2, 5, 6), np.float64, 0)
    gradchecks(lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), [x])
    gradchecks(lambda t: F.avg_pool2d(t, (2, 3), 1, (1, 0), divisor_override=4), [x])
    gradchecks(lambda t: F.avg_pool1d(t, 3, 2, 1, ceil_mode=True), [distinct_values((2, 7), np.float64, 1)])
    gradchecks(lambda t: F.avg_pool3d(t, 2, 1, 1, count_include_pad=False),
               [distinct_values((1, 1, 3, 4, 3), np.float64, 2)])


def test_adaptive_pool_gradients_and_second_order():
    x = distinct_values((2, 2, 5, 7), np.float64, 0)
    gradchecks(lambda t: F.adaptive_avg_pool2d(t, (3, 4)), [x])
    gradchecks(lambda t: F.adaptive_avg_pool2d(t, (6, 9)), [x])
    gradchecks(lambda t: F.adaptive_max_pool2d(t, (3, 4)), [x])
    gradchecks(lambda t: F.adaptive_max_pool1d(t, 4), [distinct_values((2, 3), np.float64, 1)])
    gradchecks(lambda t: F.adaptive_avg_pool3d(t, (2, 1, 3)), [distinct_values((1, 1, 3, 4, 5), np.float64, 2)])


def test_lp_pool_and_max_unpool_gradients_and_second_order():
    x = distinct_values((1, 2, 5, 6), np.float64, 0) + 1.0
    gradchecks(lambda t: F.lp_pool2d(t, 2, 2, 1), [x])
    values, indices = F.max_pool2d(minigrad.tensor(x), 2, return_indices=True)
    gradchecks(lambda t: F.max_unpool2d(t, indices, 2, output_size=(5, 6)), [values.numpy()])


def test_flat_scatter_add_and_gather_are_transposes_with_gradients():
    indices = np.array([[[0, 3, 3], [5, 1, 0]]])   # (1, 2, 3) into planes of size 6; 3 and 0 repeat
    values = distinct_values((1, 2, 3), np.float64, 0)
    gradchecks(lambda v: FlatScatterAdd.apply(v, indices, (6,)), [values])
    gradchecks(lambda t: FlatGather.apply(t, indices, 1), [distinct_values((1, 2, 6), np.float64, 1)])


def test_primitives_run_directly_on_unbatched_arrays():
    x = minigrad.tensor(distinct_values((3, 5, 4), np.float64, 0), requires_grad=True)
    geometry = WindowGeometry((5, 4), (2, 2), (2, 2), (0, 0), (1, 1))
    values, indices = MaxPool.apply(x, geometry, True)
    assert values.shape == (3, 2, 2) and indices.shape == (3, 2, 2)
    assert AvgPool.apply(x, geometry, True, None).shape == (3, 2, 2)
    assert AdaptiveAvgPool.apply(x, (3, 3)).shape == (3, 3, 3)
    assert AdaptiveMaxPool.apply(x, (3, 3))[0].shape == (3, 3, 3)
    assert MaxUnpool.apply(values, indices.numpy(), (5, 4)).shape == (3, 5, 4)


# ---- errors: torch's exception type and wording -----------------------------------------------

ERROR_CASES = [
    # padding more than half the (effective) kernel
    ("max_pool2d", (2, 3, 8, 8), (2, 2, 2), {}),
    ("max_pool2d", (2, 3, 9, 9), (3,), dict(padding=2, dilation=2)),
    ("max_pool1d", (2, 3, 8), (2, 2, 2), {}),
    ("max_pool1d", (2, 3, 8), (2, 2, 2), dict(return_indices=True)),
    ("max_pool1d", (2, 3, 8), (3, 1, 2, 2), dict(return_indices=True)),
    ("max_pool3d", (2, 3, 6, 6, 6), (2, 2, 2), {}),
    ("max_pool3d", (1, 2, 9, 9, 9), (3,), dict(padding=2, dilation=2)),
    ("avg_pool1d", (2, 3, 8), (2, 2, 2), {}),
    ("avg_pool2d", (2, 3, 8, 8), (2, 2, 2), {}),
    ("avg_pool3d", (2, 3, 6, 6, 6), (2, 2, 2), {}),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(padding=-1)),
    ("max_pool1d", (2, 3, 8), (2, 1, -1), {}),
    # output size below 1
    ("max_pool1d", (1, 1, 2), (3,), {}),
    ("max_pool1d", (1, 1, 2), (3,), dict(return_indices=True)),
    ("max_pool2d", (1, 1, 2, 2), (3,), {}),
    ("max_pool3d", (1, 1, 2, 2, 2), (3,), {}),
    ("avg_pool1d", (1, 1, 2), (3,), {}),
    ("avg_pool2d", (1, 1, 2, 2), (3,), {}),
    ("avg_pool3d", (1, 1, 2, 2, 2), (3,), {}),
    ("max_pool2d", (1, 1, 5, 2), ((1, 3),), {}),
    # wrong rank / empty dims
    ("max_pool1d", (8,), (2,), {}),
    ("max_pool1d", (1, 1, 1, 8), (2,), {}),
    ("max_pool1d", (1, 1, 1, 8), (2,), dict(return_indices=True)),
    ("max_pool1d", (2, 0, 8), (2,), {}),
    ("max_pool2d", (8,), (2,), {}),
    ("max_pool2d", (1, 1, 1, 8, 8), (2,), {}),
    ("max_pool2d", (2, 0, 8, 8), (2,), {}),
    ("max_pool3d", (8, 8), (2,), {}),
    ("max_pool3d", (2, 0, 4, 4, 4), (2,), {}),
    ("avg_pool1d", (8,), (2,), {}),
    ("avg_pool1d", (2, 3, 3, 4), (2,), {}),
    ("avg_pool2d", (8,), (2,), {}),
    ("avg_pool2d", (3, 4), (2,), {}),
    ("avg_pool2d", (1, 2, 3, 3, 4), (2,), {}),
    ("avg_pool3d", (8, 8), (2,), {}),
    ("avg_pool3d", (2, 0, 4, 4, 4), (2,), {}),
    ("avg_pool3d", (1, 1, 2, 2, 2), (3,), dict(padding=1)),
    # divisor_override of 0
    ("avg_pool2d", (2, 3, 8, 8), (2,), dict(divisor_override=0)),
    ("avg_pool3d", (2, 3, 4, 4, 4), (2,), dict(divisor_override=0)),
    # non-positive kernel, stride, dilation
    ("max_pool1d", (2, 3, 8), (0,), {}),
    ("max_pool1d", (2, 3, 8), (2, -1), {}),
    ("max_pool1d", (2, 3, 8), (0,), dict(return_indices=True)),
    ("max_pool1d", (2, 3, 8), (0, 1), dict(return_indices=True)),
    ("max_pool1d", (2, 3, 8), (2, 1, 0, 0), {}),
    ("max_pool2d", (2, 3, 8, 8), (0,), {}),
    ("max_pool2d", (2, 3, 8, 8), ((2, -1),), {}),
    ("max_pool2d", (2, 3, 8, 8), (2, 0), {}),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(dilation=0)),
    ("max_pool3d", (1, 2, 9, 9, 9), ((2, 2, -1),), {}),
    ("max_pool3d", (2, 3, 4, 4, 4), (2, -1), {}),
    ("max_pool3d", (2, 3, 4, 4, 4), (2,), dict(dilation=-1)),
    ("avg_pool1d", (1, 2, 9), (-1,), {}),
    ("avg_pool1d", (1, 2, 9), (0,), {}),
    ("avg_pool2d", (1, 2, 9, 9), ((2, -1),), {}),
    ("avg_pool2d", (1, 2, 9, 9), (2, -1), {}),
    ("avg_pool3d", (1, 2, 9, 9, 9), ((2, 2, -1),), {}),
    ("avg_pool3d", (1, 2, 9, 9, 9), (2, 0), {}),
    # argument lengths
    ("max_pool1d", (1, 1, 4), ((2, 2),), {}),
    ("max_pool1d", (1, 1, 4), (2, (1, 1)), {}),
    ("max_pool1d", (1, 1, 4), (2, (1, 1)), dict(return_indices=True)),
    ("max_pool2d", (1, 1, 4, 4), ((2, 2, 2),), {}),
    ("max_pool2d", (1, 1, 4, 4), (2, (1, 1, 1)), {}),
    ("max_pool3d", (1, 1, 4, 4, 4), ((2, 2),), {}),
    ("avg_pool1d", (1, 1, 4), ((2, 2),), {}),
    ("avg_pool2d", (1, 1, 4, 4), (2, 2, (1, 1, 1)), {}),
    ("avg_pool3d", (1, 1, 4, 4, 4), ((2, 2),), {}),
    # adaptive pooling
    ("adaptive_avg_pool1d", (4,), (2,), {}),
    ("adaptive_avg_pool1d", (2, 3, 8), ((2, 2),), {}),
    ("adaptive_avg_pool1d", (2, 3, 8), (-1,), {}),
    ("adaptive_avg_pool2d", (4, 4), (2,), {}),
    ("adaptive_avg_pool2d", (2, 3, 8, 8), ((2, 2, 2),), {}),
    ("adaptive_avg_pool2d", (1, 2, 0, 4), (2,), {}),
    ("adaptive_avg_pool2d", (2, 3, 8, 8), (-1,), {}),
    ("adaptive_avg_pool3d", (4, 4, 4), (2,), {}),
    ("adaptive_avg_pool3d", (1, 0, 4, 4, 4), (2,), {}),
    ("adaptive_avg_pool3d", (2, 3, 4, 4, 4), (-1,), {}),
    ("adaptive_max_pool1d", (4,), (2,), {}),
    ("adaptive_max_pool1d", (1, 0, 4), (2,), {}),
    ("adaptive_max_pool2d", (4, 4), (2,), {}),
    ("adaptive_max_pool2d", (1, 0, 4, 4), (2,), {}),
    ("adaptive_max_pool2d", (2, 3, 8, 8), ((2, 2, 2),), {}),
    ("adaptive_max_pool2d", (2, 3, 8, 8), (-1,), {}),
    ("adaptive_max_pool3d", (4, 4, 4), (2,), {}),
    ("adaptive_max_pool3d", (2, 3, 4, 4, 4), ((2, 2),), {}),
]


@pytest.mark.parametrize("name, shape, args, kwargs", ERROR_CASES)
def test_bad_arguments_raise_torchs_error(torch, name, shape, args, kwargs):
    x = np.zeros(shape)
    th_fn, mg_fn = getattr(torch.nn.functional, name), getattr(F, name)
    with pytest.raises(Exception) as expected:
        th_fn(torch.from_numpy(x), *args, **kwargs)
    with pytest.raises(type(expected.value)) as caught:
        mg_fn(minigrad.tensor(x), *args, **kwargs)
    assert str(caught.value) == str(expected.value)


@settings(max_examples=150, **SETTINGS)
@given(config=pool_configs(valid=False), kind=st.sampled_from(["max", "max_indices", "avg"]),
       zero=st.sampled_from([None, "kernel", "stride", "dilation"]))
def test_generated_bad_arguments_raise_torchs_error(torch, config, kind, zero):
    c = config
    kernel, stride, dilation = list(c["kernel"]), list(c["stride"] or c["kernel"]), list(c["dilation"])
    if zero:
        {"kernel": kernel, "stride": stride, "dilation": dilation}[zero][0] = 0 if c["seed"] % 2 else -1
    stride = None if c["stride"] is None and zero != "stride" else tuple(stride)
    if not windows_reach_input(c["size"], kernel, stride or kernel, c["padding"], dilation, c["ceil_mode"]):
        return
    x = distinct_values(c["lead"] + c["size"], np.float64, c["seed"])
    d = c["d"]
    if kind == "avg":
        args = (tuple(kernel), stride, c["padding"], c["ceil_mode"])
        mg, th = _avg_fn(F, d), _avg_fn(torch.nn.functional, d)
    else:
        args = (tuple(kernel), stride, c["padding"], tuple(dilation), c["ceil_mode"], kind == "max_indices")
        mg, th = _max_fn(F, d), _max_fn(torch.nn.functional, d)
    run_both(torch, lambda t: mg(t, *args), lambda t: th(t, *args), x, grad=False, exact=kind != "avg")


def test_max_unpool_rejects_bad_indices_and_output_sizes_as_torch(torch):
    x = distinct_values((2, 3, 8, 8), np.float64, 0)
    values, indices = torch.nn.functional.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    v3, i3 = torch.nn.functional.max_pool3d(torch.from_numpy(distinct_values((2, 3, 4, 4, 4), np.float64, 0)), 2,
                                            return_indices=True)
    v1, i1 = torch.nn.functional.max_pool1d(torch.from_numpy(x[:, :, 0]), 2, return_indices=True)
    cases = [
        (2, values, indices.float(), (2,), {}),
        (2, values, indices.int(), (2,), {}),
        (2, values, indices[:, :, :2], (2,), {}),            # indices of the wrong shape
        (2, values[0, 0], indices[0, 0], (2,), {}),          # wrong rank
        (2, values[None], indices[None], (2,), {}),
        (2, values, indices, (2,), dict(output_size=(20, 20))),
        (2, values, indices, (2,), dict(output_size=(8, 8, 8))),
        (2, values, indices + 100, (2,), {}),
        (2, values, indices - 100, (2,), {}),
        (2, values, indices, (-1,), {}),
        (1, v1, i1[:, :, :2], (2,), {}),
        (1, v1[0, 0], i1[0, 0], (2,), {}),
        (1, v1, i1 + 100, (2,), {}),
        (1, v1, i1.float(), (2,), {}),
        (3, v3, i3[:, :, :1], (2,), {}),
        (3, v3[0, 0], i3[0, 0], (2,), {}),
        (3, v3, i3 + 100, (2,), {}),
        (3, v3, i3.float(), (2,), {}),
        (3, v3, i3, (2, 0), {}),
        (3, v3, i3, (2,), dict(output_size=(20, 20, 20))),
    ]
    for d, v, i, args, kwargs in cases:
        with pytest.raises(Exception) as expected:
            getattr(torch.nn.functional, f"max_unpool{d}d")(v, i, *args, **kwargs)
        with pytest.raises(type(expected.value)) as caught:
            getattr(F, f"max_unpool{d}d")(minigrad.tensor(v.numpy()), minigrad.tensor(i.numpy()), *args, **kwargs)
        # which invalid index torch names depends on its thread scheduling: compare the wording only
        number = re.compile(r"index: -?\d+")
        assert number.sub("index: #", str(caught.value)) == number.sub("index: #", str(expected.value)), (d, args)
