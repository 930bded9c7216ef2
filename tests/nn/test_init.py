"""Tests of minigrad/nn/init.py: distributions (statistical bounds), gains and fans as torch, in-place fills."""
import math

import numpy as np
import pytest

import minigrad
from minigrad.nn import init
from twins import assert_same_distribution


def _sample(fill, shape, repeats=20):
    return np.concatenate([np.asarray(fill(minigrad.empty(*shape))).ravel() for _ in range(repeats)])


def _torch_sample(torch, fill, shape, repeats=20):
    torch.manual_seed(0)
    return np.concatenate([fill(torch.empty(*shape)).numpy().ravel() for _ in range(repeats)])


@pytest.mark.parametrize("name,kwargs", [
    ("uniform_", dict(a=-2.0, b=3.0)), ("normal_", dict(mean=1.0, std=0.5)), ("xavier_uniform_", dict(gain=2.0)),
    ("xavier_normal_", {}), ("kaiming_uniform_", dict(a=math.sqrt(5))), ("kaiming_uniform_", dict(mode="fan_out",
                                                                                                   nonlinearity="relu")),
    ("kaiming_normal_", dict(nonlinearity="tanh")), ("kaiming_normal_", dict(a=0.2, mode="fan_out")),
    ("trunc_normal_", dict(mean=0.5, std=2.0, a=-1.0, b=3.0)), ("orthogonal_", dict(gain=1.5)),
])
def test_init_draws_from_torch_distribution(torch, name, kwargs):
    shape = (16, 8, 3)
    mg = _sample(lambda t: getattr(init, name)(t, **kwargs), shape)
    th = _torch_sample(torch, lambda t: getattr(torch.nn.init, name)(t, **kwargs), shape)
    assert_same_distribution(mg, th, name)


def test_uniform_and_trunc_normal_respect_their_bounds():
    assert np.all((_sample(lambda t: init.uniform_(t, -0.5, 0.25), (100,)) >= -0.5))
    values = _sample(lambda t: init.trunc_normal_(t, std=3.0, a=-1.0, b=0.5), (1000,))
    assert values.min() >= -1.0 and values.max() <= 0.5


def test_kaiming_uniform_bound_is_gain_times_sqrt_3_over_fan_in():
    values = _sample(lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), (10, 50))
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 50)
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.98 * bound
    # the standard deviation of U(-b, b) is b / sqrt(3); 10000 draws give ~0.7% standard error
    assert abs(values.std() / (bound / math.sqrt(3)) - 1) < 0.04


def test_orthogonal_gives_orthonormal_rows_or_columns():
    for shape in [(4, 6), (6, 4), (3, 2, 2)]:
        w = np.asarray(init.orthogonal_(minigrad.empty(*shape))).reshape(shape[0], -1)
        small = w @ w.T if shape[0] <= w.shape[1] else w.T @ w
        np.testing.assert_allclose(small, np.eye(small.shape[0]), atol=1e-5)


def test_deterministic_fills_match_torch(torch):
    for name, shape, args in [("eye_", (3, 5), ()), ("dirac_", (4, 2, 3, 3), ()), ("dirac_", (4, 2, 3), (2,)),
                              ("constant_", (2, 3), (0.7,)), ("ones_", (2,), ()), ("zeros_", (2, 2), ())]:
        mg = getattr(init, name)(minigrad.empty(*shape), *args)
        th = getattr(torch.nn.init, name)(torch.empty(*shape), *args)
        np.testing.assert_array_equal(np.asarray(mg), th.numpy(), err_msg=name)


def test_calculate_gain_and_fans_match_torch(torch):
    for args in [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2),
                 ("selu",)]:
        assert init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    for shape in [(3, 4), (5, 2, 3, 3), (2, 7, 4)]:
        assert init._calculate_fan_in_and_fan_out(minigrad.empty(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(minigrad.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(minigrad.empty(3, 3), mode="fan_avg")


def test_init_fills_in_place_without_recording_and_follows_the_seed():
    p = minigrad.nn.Parameter(minigrad.empty(3, 4))
    before = p._data
    minigrad.manual_seed(7)
    out = init.kaiming_uniform_(p)
    assert out is p and p._data is before and p.grad_fn is None and p.requires_grad
    first = np.asarray(p.detach()).copy()
    minigrad.manual_seed(7)
    init.kaiming_uniform_(p)
    np.testing.assert_array_equal(np.asarray(p.detach()), first)


def test_init_keeps_dtype():
    t = init.normal_(minigrad.empty(5, dtype=minigrad.float64))
    assert t.dtype == minigrad.float64
