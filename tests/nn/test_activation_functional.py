"""Tests of the activations added to minigrad/nn/functional/activation.py (selu ... gumbel_softmax),
rms_norm (functional/normalization.py) and channel_shuffle (functional/shuffle.py) against torch:
values and gradients in float32 and float64 over generated shapes, arguments and scales, float64
gradcheck and gradgradcheck away from the kinks, and torch's errors for bad arguments."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad.nn import functional as F
from utils import check_against_torch, gradchecks

# (name, positional args after the input, keyword args): each a call F.name(x, *args, **kwargs)
UNARY = [
    ("selu", (), {}), ("celu", (), {}), ("celu", (0.5,), {}), ("celu", (2.0,), {}),
    ("hardswish", (), {}), ("hardsigmoid", (), {}), ("hardshrink", (), {}), ("hardshrink", (1.2,), {}),
    ("hardshrink", (0.0,), {}), ("softshrink", (), {}), ("softshrink", (1.3,), {}), ("softshrink", (0.0,), {}),
    ("tanhshrink", (), {}), ("softsign", (), {}), ("mish", (), {}), ("threshold", (0.3, -2.0), {}),
    ("threshold", (-1.0, 5.0), {}), ("rrelu", (), {}), ("rrelu", (0.1, 0.6), {"training": False}),
    ("glu", (), {}), ("glu", (0,), {}), ("glu", (), {"dim": 1}), ("logsigmoid", (), {}), ("softmin", (1,), {}),
]


def _call(module, name, args, kwargs):
    return lambda x: getattr(module, name)(x, *args, **kwargs)


@settings(max_examples=120)
@given(case=st.sampled_from(UNARY), shape=st.lists(st.integers(1, 4), min_size=2, max_size=4),
       scale=st.sampled_from([0.5, 3.0, 10.0]), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 1000))
def test_activation_matches_torch_values_and_gradients(torch, case, shape, scale, dtype, seed):
    name, args, kwargs = case
    if name == "glu":
        dim = (args or (kwargs.get("dim", -1),))[0]
        shape[dim] *= 2
    x = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)
    check_against_torch(torch, _call(F, name, args, kwargs), _call(torch.nn.functional, name, args, kwargs), [x])


@pytest.mark.parametrize("name,args", [("hardswish", ()), ("hardsigmoid", ()), ("hardshrink", (0.5,)),
                                       ("softshrink", (0.5,)), ("threshold", (0.5, 1.0)), ("celu", (1.0,)),
                                       ("selu", ()), ("softsign", ()), ("mish", ()), ("rrelu", ())])
def test_gradient_at_the_kinks_is_torchs(torch, name, args):
    x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0, -3.5, 3.5, 1.0, -1.0])
    check_against_torch(torch, _call(F, name, args, {}), _call(torch.nn.functional, name, args, {}), [x])


@pytest.mark.parametrize("case", [c for c in UNARY if c[0] not in ("rrelu",)], ids=lambda c: f"{c[0]}{c[1]}")
def test_activation_gradcheck_and_gradgradcheck(case):
    name, args, kwargs = case
    x = np.random.default_rng(3).standard_normal((4, 4)) * 2
    kinks = [0.0, 3.0, -3.0, 0.5, -0.5, 1.2, -1.2, 1.3, -1.3, 0.3, -1.0, 1.0]
    for k in kinks:  # keep 0.05 away from every kink of every activation here
        x[np.abs(x - k) < 0.05] += 0.11
    gradchecks(_call(F, name, args, kwargs), [x])


@settings(max_examples=40)
@given(channels=st.integers(1, 4), shape=st.lists(st.integers(1, 3), min_size=0, max_size=3),
       scalar_weight=st.booleans(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 100))
def test_prelu_matches_torch(torch, channels, shape, scalar_weight, dtype, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal([2, channels] + shape) * 2).astype(dtype)
    w = rng.uniform(-0.5, 0.8, 1 if scalar_weight else channels).astype(dtype)
    check_against_torch(torch, F.prelu, torch.nn.functional.prelu, [x, w])


def test_prelu_gradchecks_and_1d_and_scalar_inputs(torch):
    gradchecks(F.prelu, [np.array([[-1.0, 2.0, -0.3], [0.4, -2.0, 1.5]]), np.array([0.25, -0.1, 0.6])])
    for x, w in [(np.array([-1.0, 2.0, -3.0]), np.array([0.3])), (np.array(-2.0), np.array([0.3]))]:
        check_against_torch(torch, F.prelu, torch.nn.functional.prelu, [x, w])


def test_prelu_rejects_a_weight_that_is_not_per_channel(torch):
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size. Found parameter "
                                           "numbers = 3 and channel size = 5."):
        F.prelu(minigrad.zeros(2, 5), minigrad.ones(3))
    with pytest.raises(RuntimeError, match="Not allow zero-dim input tensor."):
        F.prelu(minigrad.tensor(1.0), minigrad.ones(2))


def test_softshrink_rejects_negative_lambda_and_celu_zero_alpha():
    with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 3.40282e\+38\] for input dtype Float, "
                                           "but found -1"):
        F.softshrink(minigrad.zeros(2), -1.0)
    with pytest.raises(RuntimeError, match=r"for input dtype Double, but found -0.5"):
        F.softshrink(minigrad.zeros(2, dtype=minigrad.float64), -0.5)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: alpha cannot be 0 for CELU"):
        F.celu(minigrad.zeros(2), 0.0)


def test_glu_errors_are_torchs():
    with pytest.raises(RuntimeError, match="glu does not support scalars because halving size must be even"):
        F.glu(minigrad.tensor(1.0))
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 5"):
        F.glu(minigrad.zeros(3, 5))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        F.glu(minigrad.zeros(3, 4), 2)


def test_rrelu_training_draws_one_slope_per_negative_entry_in_its_bounds():
    x = minigrad.tensor(-np.ones((200, 50)), requires_grad=True)
    out = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -np.asarray(out.detach())
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.005
    assert len(np.unique(slopes)) > 1000
    out.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), slopes)               # the gradient is the slope drawn
    positive = minigrad.tensor(np.linspace(0.1, 3, 7), requires_grad=True)
    np.testing.assert_array_equal(np.asarray(F.rrelu(positive, training=True).detach()), np.linspace(0.1, 3, 7))


def test_rrelu_is_seeded_and_checks_its_bounds():
    minigrad.manual_seed(3)
    a = F.rrelu(-minigrad.ones(10), training=True)
    minigrad.manual_seed(3)
    b = F.rrelu(-minigrad.ones(10), training=True)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for training in (True, False):
        with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
            F.rrelu(minigrad.zeros(2), 0.5, 0.2, training=training)


def test_inplace_activations_write_into_their_input(torch):
    for name, args in [("selu", ()), ("celu", (0.5,)), ("hardswish", ()), ("hardsigmoid", ()), ("mish", ()),
                       ("threshold", (0.1, 2.0)), ("rrelu", ())]:
        x = np.random.default_rng(0).standard_normal((3, 4)) * 4
        xm, xt = minigrad.tensor(x), torch.tensor(x)
        out = getattr(F, name)(xm, *args, inplace=True)
        getattr(torch.nn.functional, name)(xt, *args, inplace=True)
        assert out is xm
        np.testing.assert_allclose(np.asarray(xm), xt.numpy(), rtol=1e-12)


@settings(max_examples=30)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), tau=st.sampled_from([0.3, 1.0, 2.5]),
       hard=st.booleans(), dim=st.integers(-1, 0), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 100))
def test_gumbel_softmax_with_the_same_noise_matches_torchs_formula(torch, shape, tau, hard, dim, dtype, seed):
    """torch draws its Gumbel noise from its own generator: with the noise fixed, the rest is compared."""
    from minigrad.nn.functional.activation import _gumbel_softmax_from_noise
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal(shape).astype(dtype)
    gumbels = -np.log(rng.standard_exponential(shape)).astype(dtype)

    def torch_gumbel(x, g):   # torch's F.gumbel_softmax after its noise draw (torch/nn/functional.py)
        y_soft = ((x + g) / tau).softmax(dim)
        if not hard:
            return y_soft
        index = y_soft.max(dim, keepdim=True)[1]
        return torch.zeros_like(x).scatter_(dim, index, 1.0) - y_soft.detach() + y_soft

    check_against_torch(torch, lambda x, g: _gumbel_softmax_from_noise(x, g, tau, hard, dim), torch_gumbel,
                        [logits, gumbels])


def test_gumbel_softmax_samples_are_distributions_and_hard_ones_one_hot():
    logits = minigrad.tensor(np.log([[0.7, 0.2, 0.1]] * 4000), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(np.asarray(soft.detach()).sum(1), 1, rtol=1e-6)
    hard = F.gumbel_softmax(logits, hard=True)
    values = np.asarray(hard.detach())
    assert set(np.unique(values)) == {0.0, 1.0} and np.all(values.sum(1) == 1)
    # Gumbel-max: the argmax of logits + Gumbel noise is a sample of softmax(logits)
    np.testing.assert_allclose(values.mean(0), [0.7, 0.2, 0.1], atol=0.03)
    (hard * minigrad.tensor(np.arange(3.0))).sum().backward()
    assert logits.grad is not None and np.all(np.isfinite(np.asarray(logits.grad)))
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(logits, eps=1e-5)


# ---- rms_norm, channel_shuffle ----------------------------------------------------------------

@settings(max_examples=40)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), k=st.integers(1, 3), affine=st.booleans(),
       eps=st.sampled_from([None, 1e-5, 0.1]), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 100))
def test_rms_norm_matches_torch(torch, shape, k, affine, eps, dtype, seed):
    k = min(k, len(shape))
    normalized_shape = shape[len(shape) - k:]
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape).astype(dtype) * 3]
    if affine:
        arrays.append(rng.standard_normal(normalized_shape).astype(dtype))
    check_against_torch(torch, lambda x, *w: F.rms_norm(x, normalized_shape, *w, eps=eps),
                        lambda x, *w: torch.nn.functional.rms_norm(x, normalized_shape, *w, eps=eps), arrays)


def test_rms_norm_gradchecks_and_errors():
    rng = np.random.default_rng(0)
    gradchecks(lambda x, w: F.rms_norm(x, [4], w, 1e-3), [rng.standard_normal((3, 4)), rng.standard_normal(4)])
    x = minigrad.zeros(3, 5)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4, 5\], expected input with shape \[\*4, 5\], "
                                           r"but got input of size\[3, 5\]"):
        F.rms_norm(x, [4, 5])
    with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as normalized_shape, but got "
                                           r"weight of shape \[4\] and normalized_shape = \[5\]"):
        F.rms_norm(x, [5], minigrad.ones(4))
    with pytest.raises(RuntimeError, match="Expected normalized_shape to be at least 1-dimensional"):
        F.rms_norm(x, [])


@settings(max_examples=30)
@given(groups=st.integers(1, 4), per_group=st.integers(1, 3), spatial=st.lists(st.integers(1, 3), min_size=1,
       max_size=3), dtype=st.sampled_from([np.float32, np.float64]))
def test_channel_shuffle_matches_torch(torch, groups, per_group, spatial, dtype):
    x = np.random.default_rng(0).standard_normal([2, groups * per_group] + spatial).astype(dtype)
    check_against_torch(torch, lambda t: F.channel_shuffle(t, groups),
                        lambda t: torch.nn.functional.channel_shuffle(t, groups), [x])


def test_channel_shuffle_errors_are_torchs():
    with pytest.raises(RuntimeError, match=r"Number of channels must be divisible by groups. Got 5 channels and 2 "
                                           "groups."):
        F.channel_shuffle(minigrad.zeros(2, 5, 3), 2)
    with pytest.raises(RuntimeError, match="Number of groups to divide channels in must be positive. Value of "
                                           "groups:0"):
        F.channel_shuffle(minigrad.zeros(2, 6, 3), 0)
    with pytest.raises(RuntimeError, match=r"channel_shuffle expects input with > 2 dims, but got input with sizes "
                                           r"\[2, 6\]"):
        F.channel_shuffle(minigrad.zeros(2, 6), 2)


def test_prelu_rejects_a_weight_of_more_than_one_dim():
    with pytest.raises(RuntimeError, match=r"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2"):
        F.prelu(minigrad.zeros(3, 4), minigrad.ones(2, 2))


@pytest.mark.parametrize("fn", [F.softmax, F.softmin, F.log_softmax])
def test_softmax_family_of_an_empty_input_is_empty(torch, fn):
    x = minigrad.zeros(5, 0, 0, requires_grad=True)
    out = fn(x, -1)
    assert tuple(out.shape) == (5, 0, 0) and out.requires_grad
    assert fn(x, -1, dtype=minigrad.float64).dtype == minigrad.float64


def test_channel_shuffle_and_gumbel_softmax_gradchecks():
    from minigrad.nn.functional.activation import _gumbel_softmax_from_noise
    rng = np.random.default_rng(0)
    gradchecks(lambda x: F.channel_shuffle(x, 2), [rng.standard_normal((2, 4, 3))])
    noise = minigrad.tensor(rng.standard_normal((3, 4)))
    # (hard=True's straight-through gradient is by design not the derivative of its one-hot value)
    gradchecks(lambda x: _gumbel_softmax_from_noise(x, noise, 0.7, False, -1), [rng.standard_normal((3, 4))])
