"""Tests of minigrad/nn/modules/activation.py and nn/functional/activation.py against torch.nn."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad import nn
from minigrad.nn import functional as F
from twins import compare_modules
from utils import gradchecks

CASES = [
    ("ReLU", (), {}), ("ReLU6", (), {}), ("LeakyReLU", (0.2,), {}), ("ELU", (0.7,), {}), ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}), ("SiLU", (), {}), ("Sigmoid", (), {}), ("Tanh", (), {}),
    ("Softmax", (1,), {}), ("Softmax", (-1,), {}), ("LogSoftmax", (0,), {}), ("LogSoftmax", (1,), {}),
    ("Softplus", (), {}), ("Softplus", (2.0, 5.0), {}), ("Hardtanh", (-0.5, 2.0), {}), ("LogSigmoid", (), {}),
    ("Softmin", (1,), {}),
]


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(CASES), shape=st.lists(st.integers(1, 4), min_size=2, max_size=3),
       scale=st.sampled_from([1.0, 8.0]), dtype=st.sampled_from([np.float32, np.float64]))
def test_activation_matches_torch(torch, case, shape, scale, dtype):
    name, args, kwargs = case
    x = np.random.default_rng(len(shape)).standard_normal(shape) * scale
    mg, th = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(mg) == repr(th)
    compare_modules(torch, mg, th, [x], dtype)


@pytest.mark.parametrize("name,args", [("ReLU", ()), ("LeakyReLU", (0.1,)), ("ELU", ()), ("SiLU", ()), ("ReLU6", ()),
                                       ("Hardtanh", ())])
def test_inplace_activation_writes_into_input_and_matches_torch(torch, name, args):
    x = np.random.default_rng(0).standard_normal((3, 4)) * 4
    xm, xt = minigrad.tensor(x), torch.tensor(x)
    out_m = getattr(nn, name)(*args, inplace=True)(xm)
    out_t = getattr(torch.nn, name)(*args, inplace=True)(xt)
    assert out_m is xm
    np.testing.assert_allclose(np.asarray(xm), xt.numpy(), rtol=1e-12)
    assert repr(getattr(nn, name)(*args, inplace=True)) == repr(getattr(torch.nn, name)(*args, inplace=True))


def test_inplace_activation_after_an_op_backpropagates_like_torch(torch):
    x = np.random.default_rng(1).standard_normal((4, 3))
    xm, xt = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.relu(xm * 2, inplace=True).sum().backward()
    torch.nn.functional.relu(xt * 2, inplace=True).sum().backward()
    np.testing.assert_allclose(np.asarray(xm.grad), xt.grad.numpy())


def test_softmax_family_is_stable_for_huge_logits():
    x = minigrad.tensor([[1e4, 0.0, -1e4]], requires_grad=True)
    out = F.log_softmax(x, 1)
    assert np.all(np.isfinite(np.asarray(out.detach())))
    out[0, 1].backward()
    assert np.all(np.isfinite(np.asarray(x.grad)))
    assert np.all(np.isfinite(np.asarray(F.logsigmoid(minigrad.tensor([-1e4, 1e4])))))


def test_softmax_implicit_dim_follows_torch_rule(torch):
    for shape in [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        x = np.random.default_rng(0).standard_normal(shape)
        with pytest.warns(UserWarning, match="Implicit dimension"):
            mg = F.softmax(minigrad.tensor(x))
        with pytest.warns(UserWarning):
            th = torch.nn.functional.softmax(torch.tensor(x))
        np.testing.assert_allclose(np.asarray(mg), th.numpy(), rtol=1e-10)


@pytest.mark.parametrize("fn", [lambda x: F.gelu(x), lambda x: F.gelu(x, approximate="tanh"), lambda x: F.elu(x, 0.5),
                                lambda x: F.silu(x), lambda x: F.softplus(x, 2.0), lambda x: F.log_softmax(x, 1),
                                lambda x: F.logsigmoid(x), lambda x: F.leaky_relu(x, 0.3)])
def test_activation_gradgradcheck(fn):
    x = np.random.default_rng(3).standard_normal((3, 4))
    x[np.abs(x) < 0.05] += 0.2  # keep away from kinks
    gradchecks(fn, [x])


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(RuntimeError, match="approximate"):
        F.gelu(minigrad.zeros(2), approximate="fast")


def test_hardtanh_and_relu6_pass_no_gradient_at_their_limits_as_torch(torch):
    import minigrad.nn.functional as F
    values = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0, 6.0, 7.0])
    for ours, theirs in ((F.hardtanh, torch.nn.functional.hardtanh), (F.relu6, torch.nn.functional.relu6)):
        x = minigrad.tensor(values, requires_grad=True)
        ours(x).sum().backward()
        t = torch.tensor(values, requires_grad=True)
        theirs(t).sum().backward()
        np.testing.assert_array_equal(np.asarray(x.grad), t.grad.numpy())


NEW_CASES = [
    ("SELU", (), {}), ("SELU", (), {"inplace": True}), ("CELU", (0.5,), {}), ("CELU", (), {"inplace": True}),
    ("Hardswish", (), {}), ("Hardswish", (True,), {}), ("Hardsigmoid", (), {}), ("Hardshrink", (), {}),
    ("Hardshrink", (1.1,), {}), ("Softshrink", (), {}), ("Softshrink", (0.7,), {}), ("Tanhshrink", (), {}),
    ("Softsign", (), {}), ("Mish", (), {}), ("Mish", (True,), {}), ("Threshold", (0.2, -1.0), {}),
    ("Threshold", (0.2, 3.0, True), {}), ("GLU", (), {}), ("GLU", (0,), {}), ("PReLU", (), {}),
    ("PReLU", (6,), {}), ("PReLU", (6, 0.1), {}), ("ChannelShuffle", (3,), {}), ("Softmax2d", (), {}),
    ("RMSNorm", (4,), {}), ("RMSNorm", ([3, 4],), {"eps": 1e-3}), ("RMSNorm", (4,), {"elementwise_affine": False}),
    ("CosineSimilarity", (), {}), ("CosineSimilarity", (2, 0.1), {}), ("PairwiseDistance", (), {}),
    ("PairwiseDistance", (1.0, 1e-3, True), {}),
]


@settings(max_examples=80)
@given(case=st.sampled_from(NEW_CASES), batch=st.integers(1, 3), scale=st.sampled_from([1.0, 5.0]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 100))
def test_new_activation_and_distance_modules_match_torch(torch, case, batch, scale, dtype, seed):
    name, args, kwargs = case
    rng = np.random.default_rng(seed)
    mg, th = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(mg) == repr(th)
    assert list(mg.state_dict()) == list(th.state_dict())
    if name == "PReLU":   # a weight per channel, not all equal
        th.weight.data.uniform_(-0.5, 0.5)
    x = rng.standard_normal((2 * batch, 6, 3, 4)) * scale
    inputs = [x, rng.standard_normal(x.shape)] if name in ("CosineSimilarity", "PairwiseDistance") else [x]
    inplace = kwargs.get("inplace", False) or (bool(args) and args[-1] is True)
    # an in-place layer cannot take a leaf that requires grad (torch's rule too): values only
    compare_modules(torch, mg, th, inputs, dtype, grad=not inplace)


def test_prelu_module_learns_one_slope_per_channel(torch):
    mg, th = nn.PReLU(4, init=0.3), torch.nn.PReLU(4, init=0.3)
    np.testing.assert_allclose(np.asarray(mg.weight.detach()), th.weight.detach().numpy())
    x = np.random.default_rng(0).standard_normal((5, 4, 3))
    compare_modules(torch, mg, th, [x], np.float64)


def test_rrelu_module_uses_random_slopes_in_training_and_their_mean_in_eval(torch):
    layer = nn.RReLU(0.1, 0.3)
    assert repr(layer) == repr(torch.nn.RReLU(0.1, 0.3))
    x = -minigrad.ones(1000)
    slopes = -np.asarray(layer(x))
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    layer.eval()
    np.testing.assert_allclose(np.asarray(layer(x)), -0.2)


def test_softmax2d_checks_its_input_dims():
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        nn.Softmax2d()(minigrad.zeros(2, 3))
