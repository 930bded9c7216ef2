"""Tests of minigrad/ops/fractional_pool.py and F.fractional_max_pool2d/3d, nn.FractionalMaxPool2d/3d:
torch's windows from the same _random_samples (values, indices, gradients), gradients to second order,
the checks in torch's order."""
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from utils import check_against_torch, gradchecks


@st.composite
def fractional_configs(draw):
    d = draw(st.sampled_from([2, 3]))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(d))
    spatial = tuple(k + draw(st.integers(1, 5)) for k in kernel)
    # 2-d allows O + K - 1 <= S, 3-d needs O + K - 1 < S (torch's checks)
    output = tuple(draw(st.integers(1, s - k + (1 if d == 2 else 0))) for s, k in zip(spatial, kernel))
    batch = draw(st.sampled_from([None, 1, 2]))
    return dict(d=d, kernel=kernel, spatial=spatial, output=output, batch=batch, channels=draw(st.integers(1, 3)),
                return_indices=draw(st.booleans()))


@settings(max_examples=40, deadline=None)
@given(fractional_configs(), st.sampled_from([np.float32, np.float64]))
def test_windows_values_indices_and_gradients_match_torch_given_its_samples(torch, config, dtype):
    d = config["d"]
    rng = np.random.default_rng(0)
    lead = () if config["batch"] is None else (config["batch"],)
    x = rng.standard_normal(lead + (config["channels"],) + config["spatial"]).astype(dtype)
    samples = rng.random((config["batch"] or 1, config["channels"], d)).astype(dtype)
    kwargs = dict(kernel_size=config["kernel"], output_size=config["output"], return_indices=config["return_indices"])
    ours, theirs = getattr(F, f"fractional_max_pool{d}d"), getattr(torch.nn.functional, f"fractional_max_pool{d}d")
    mg_out, th_out = check_against_torch(
        torch, lambda t, s: ours(t, _random_samples=s.detach(), **kwargs),
        lambda t, s: theirs(t, _random_samples=s.detach(), **kwargs), [x, samples])
    if config["return_indices"]:
        np.testing.assert_array_equal(mg_out[1].numpy(), th_out[1].numpy())


@settings(max_examples=6, deadline=None)
@given(fractional_configs())
def test_fractional_max_pool_passes_gradcheck_and_gradgradcheck(config):
    d = config["d"]
    rng = np.random.default_rng(1)
    lead = () if config["batch"] is None else (config["batch"],)
    x = rng.permutation(np.prod(lead + (config["channels"],) + config["spatial"])).reshape(
        lead + (config["channels"],) + config["spatial"]) / 7.0            # distinct values: no ties
    samples = minigrad.tensor(rng.random((config["batch"] or 1, config["channels"], d)))
    pool = getattr(F, f"fractional_max_pool{d}d")
    gradchecks(lambda t: pool(t, config["kernel"], config["output"], _random_samples=samples), [x])


def test_output_ratio_gives_floor_of_ratio_times_size_and_unseeded_calls_draw_new_windows():
    x = minigrad.randn(2, 3, 10, 9)
    out = F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.7))
    assert tuple(out.shape) == (2, 3, 5, 6)
    out3 = F.fractional_max_pool3d(minigrad.randn(1, 2, 8, 8, 8), 2, output_ratio=0.5)
    assert tuple(out3.shape) == (1, 2, 4, 4, 4)


def test_modules_use_their_samples_buffer_and_torch_s_constructor_checks(torch):
    x = np.random.default_rng(3).standard_normal((2, 3, 9, 9)).astype(np.float32)
    samples = np.random.default_rng(4).random((2, 3, 2)).astype(np.float32)
    ours = nn.FractionalMaxPool2d(3, output_size=4, return_indices=True, _random_samples=minigrad.tensor(samples))
    theirs = torch.nn.FractionalMaxPool2d(3, output_size=4, return_indices=True,
                                          _random_samples=torch.from_numpy(samples))
    (a, ai), (b, bi) = ours(minigrad.tensor(x)), theirs(torch.from_numpy(x))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(ai.numpy(), bi.numpy())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for kwargs in [dict(), dict(output_size=2, output_ratio=(0.5, 0.5)), dict(output_ratio=(1.5, 0.5))]:
        with pytest.raises(ValueError) as expected:
            torch.nn.FractionalMaxPool2d(2, **kwargs)
        with pytest.raises(ValueError, match=re.escape(str(expected.value))):
            nn.FractionalMaxPool2d(2, **kwargs)
    assert tuple(nn.FractionalMaxPool3d(2, output_size=2)(minigrad.randn(1, 1, 5, 5, 5)).shape) == (1, 1, 2, 2, 2)


ERRORS = [
    (2, (2, 3, 7, 8), dict(kernel_size=2)),
    (2, (2, 3, 7, 8), dict(kernel_size=2, output_size=(7, 8))),
    (2, (2, 3, 7, 8), dict(kernel_size=2, output_size=(3, 3, 3))),
    (2, (2, 3, 7, 8), dict(kernel_size=(2, 2, 2), output_size=(3, 3))),
    (2, (2, 0, 7, 8), dict(kernel_size=2, output_size=3)),
    (2, (2, 3, 7, 8), dict(kernel_size=2, output_size=3, samples=(2, 3, 3))),
    (2, (2, 3, 7, 8), dict(kernel_size=2, output_size=3, samples=(2, 2, 2))),
    (2, (2, 3, 7, 8), dict(kernel_size=2, output_size=3, samples=(1, 3, 2))),
    (2, (2, 3, 7, 8), dict(kernel_size=2, output_size=3, samples=(6, 2))),
    (3, (2, 3, 5, 5, 5), dict(kernel_size=2, output_size=4)),
    (3, (2, 3, 5, 5, 5), dict(kernel_size=2, output_size=3, samples=(2, 3, 2))),
]


@pytest.mark.parametrize("d, shape, kwargs", ERRORS)
def test_bad_arguments_raise_torch_s_error(torch, d, shape, kwargs):
    kwargs = dict(kwargs)
    samples = kwargs.pop("samples", None)
    ours, theirs = getattr(F, f"fractional_max_pool{d}d"), getattr(torch.nn.functional, f"fractional_max_pool{d}d")
    with pytest.raises((RuntimeError, ValueError)) as expected:
        theirs(torch.zeros(shape), _random_samples=None if samples is None else torch.rand(samples), **kwargs)
    with pytest.raises(expected.type, match=re.escape(str(expected.value))):
        ours(minigrad.zeros(*shape), _random_samples=None if samples is None else minigrad.rand(*samples), **kwargs)


@st.composite
def lrn_configs(draw):
    ndim = draw(st.integers(3, 5))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 6))) + tuple(draw(st.integers(1, 3)) for _ in range(ndim - 2))
    return dict(shape=shape, size=draw(st.integers(1, 5)), alpha=draw(st.sampled_from([1e-4, 0.5, 2.0])),
                beta=draw(st.sampled_from([0.75, 0.5, 1.5])), k=draw(st.sampled_from([1.0, 2.0])))


@settings(max_examples=30, deadline=None)
@given(lrn_configs(), st.sampled_from([np.float32, np.float64]))
def test_local_response_norm_matches_torch(torch, config, dtype):
    x = np.random.default_rng(5).standard_normal(config["shape"]).astype(dtype)
    args = (config["size"], config["alpha"], config["beta"], config["k"])
    check_against_torch(torch, lambda t: F.local_response_norm(t, *args),
                        lambda t: torch.nn.functional.local_response_norm(t, *args), [x])
    ours, theirs = nn.LocalResponseNorm(*args), torch.nn.LocalResponseNorm(*args)
    assert repr(ours) == repr(theirs)


def test_local_response_norm_gradchecks_and_rejects_2d_input():
    x = np.random.default_rng(6).standard_normal((2, 5, 3))
    gradchecks(lambda t: F.local_response_norm(t, 3, alpha=0.5), [x])
    gradchecks(lambda t: F.local_response_norm(t, 2, alpha=0.5, beta=1.5), [x.reshape(2, 5, 3, 1)])
    with pytest.raises(ValueError, match=re.escape("Expected 3D or higher dimensionality input (got 2 dimensions)")):
        F.local_response_norm(minigrad.zeros(2, 3), 2)
