"""In-place ops after every kind of producer, against torch (issue 12, point 1).

For each (producer, in-place op) pair torch either succeeds, and then minigrad's gradients and
version counters equal torch's, or raises (at the in-place op or at backward), and then minigrad
raises the same error type at the same stage with torch's message (up to its first colon, the part
that names no tensor class): e.g. "one of the variables needed for gradient computation has been
modified by an inplace operation" when a tensor saved for backward was overwritten.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minigrad
import minigrad.nn.functional as MF

PRODUCERS = {
    "mul_scalar": lambda x, F: x * 2,
    "add_scalar": lambda x, F: x + 1,
    "clone": lambda x, F: x.clone(),
    "exp": lambda x, F: x.exp(),              # saves its output
    "sigmoid": lambda x, F: x.sigmoid(),      # saves its output
    "tanh": lambda x, F: x.tanh(),            # saves its output
    "relu": lambda x, F: x.relu(),            # saves its output
    "sin": lambda x, F: x.sin(),              # saves its input
    "pow2": lambda x, F: x ** 2,              # saves its input
    "leaky_relu": lambda x, F: F.leaky_relu(x, 0.1),
    "leaf": lambda x, F: x,
    "view_of_leaf": lambda x, F: x[1:],
    "view_of_nonleaf": lambda x, F: (x * 2)[1:],
    "view_of_exp": lambda x, F: x.exp()[1:],
    "after_relu_": lambda x, F: (x * 1).relu_(),        # relu_ saves its result: self
    "after_sigmoid_": lambda x, F: (x * 1).sigmoid_(),
    "after_add_": lambda x, F: (x * 1).add_(1),
    "after_leaky_relu_inplace": lambda x, F: F.leaky_relu(x * 1, 0.2, inplace=True),
    "detached": lambda x, F: x.detach() * 1,
}

INPLACE = {
    "relu_": lambda y, z, F: y.relu_(),
    "F.relu_": lambda y, z, F: F.relu_(y),
    "relu(inplace)": lambda y, z, F: F.relu(y, inplace=True),
    "leaky_relu_": lambda y, z, F: F.leaky_relu_(y, 0.2),
    "elu_": lambda y, z, F: F.elu_(y, 0.7),
    "silu(inplace)": lambda y, z, F: F.silu(y, inplace=True),
    "hardtanh_": lambda y, z, F: F.hardtanh_(y, -0.5, 0.5),
    "relu6(inplace)": lambda y, z, F: F.relu6(y, inplace=True),
    "threshold_": lambda y, z, F: F.threshold_(y, 0.1, 2.0),
    "sigmoid_": lambda y, z, F: y.sigmoid_(),
    "tanh_": lambda y, z, F: y.tanh_(),
    "exp_": lambda y, z, F: y.exp_(),
    "clamp_": lambda y, z, F: y.clamp_(-0.3, 0.4),
    "clamp_min_": lambda y, z, F: y.clamp_min_(0.1),
    "add_": lambda y, z, F: y.add_(1),
    "mul_scalar_": lambda y, z, F: y.mul_(3),
    "mul_tensor_": lambda y, z, F: y.mul_(z),
    "sub_tensor_": lambda y, z, F: y.sub_(z),
    "neg_": lambda y, z, F: y.neg_(),
    "reciprocal_": lambda y, z, F: y.reciprocal_(),
    "expm1_": lambda y, z, F: y.expm1_(),
    "torch.relu_": lambda y, z, F: (torch if F is TF else minigrad).relu_(y),
    "torch.sigmoid_": lambda y, z, F: (torch if F is TF else minigrad).sigmoid_(y),
    "round_": lambda y, z, F: y.round_(),
    "frac_": lambda y, z, F: y.frac_(),
    "remainder_": lambda y, z, F: y.remainder_(0.5),
}


def _scenario(lib, F, producer, op):
    """Run producer, in-place op, then backward of a loss using the result; report the outcome."""
    rng = np.random.default_rng(0)
    values = rng.uniform(-1.5, 1.5, (5,))
    values[np.abs(values) < 0.2] = 0.7     # stay away from kinks
    x = lib.tensor(values, requires_grad=True)
    z = lib.tensor(rng.uniform(0.5, 1.5, values.shape[0] - 1 if "view" in producer else 5), requires_grad=True)
    try:
        y = PRODUCERS[producer](x, F)
        out = INPLACE[op](y, z, F)
    except RuntimeError as error:
        return ("forward", type(error), str(error).split(":")[0])
    assert out is y
    versions = (x._version, y._version)
    if not y.requires_grad:
        return ("no grad", versions, y.detach().numpy().copy())
    try:
        (y * lib.arange(y.shape[0], dtype=y.dtype)).sum().backward()
    except RuntimeError as error:
        return ("backward", type(error), str(error).split(":")[0])
    grads = tuple(None if t.grad is None else t.grad.numpy().copy() for t in (x, z))
    return ("ok", versions, y.detach().numpy().copy(), grads)


@pytest.mark.parametrize("op", list(INPLACE))
@pytest.mark.parametrize("producer", list(PRODUCERS))
def test_inplace_after_producer_matches_torch(producer, op):
    expected = _scenario(torch, TF, producer, op)
    got = _scenario(minigrad, MF, producer, op)
    assert got[0] == expected[0], (got, expected)
    if expected[0] in ("forward", "backward"):
        assert got[1:] == expected[1:]
        return
    assert got[1] == expected[1], "versions (x, y)"
    np.testing.assert_allclose(got[2], expected[2], rtol=1e-12, atol=1e-12)
    if expected[0] == "ok":
        for g, e in zip(got[3], expected[3]):
            assert (g is None) == (e is None)
            if e is not None:
                np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("producer", ["mul_scalar", "exp", "sigmoid", "leaf", "view_of_nonleaf", "after_relu_"])
@pytest.mark.parametrize("feature", [False, True])
def test_dropout_inplace_matches_torch_outcome(producer, feature):
    """Dropout's mask is random, so compare the outcome and the gradient's relation to the mask."""
    outcomes = []
    for lib, F in ((torch, TF), (minigrad, MF)):
        x = lib.tensor(np.linspace(0.2, 1.2, 16).reshape(2, 2, 4), requires_grad=True)
        try:
            y = PRODUCERS[producer](x, F)
            before = y.detach().clone()
            version = y._version
            out = (F.dropout2d if feature else F.dropout)(y, 0.5, True, inplace=True)
            assert out is y and y._version == version + 1
            y.sum().backward()
        except RuntimeError as error:
            outcomes.append(str(error).split(":")[0])
            continue
        kept = (y.detach().numpy() != 0)
        np.testing.assert_allclose(y.detach().numpy(), before.numpy() * kept * 2.0)
        outcomes.append("ok")
    assert outcomes[0] == outcomes[1]


def test_inplace_activation_modules_backward():
    """The reported case: nn.LeakyReLU(0.2, inplace=True)(x * 1).sum().backward() works, as in torch."""
    for name, args in [("LeakyReLU", (0.2,)), ("ReLU", ()), ("ELU", ()), ("SiLU", ()), ("Hardtanh", ()),
                       ("ReLU6", ()), ("Threshold", (0.1, 20.0))]:
        grads = []
        for lib in (torch, minigrad):
            x = lib.tensor(np.linspace(-2, 2, 9), requires_grad=True)
            getattr(lib.nn, name)(*args, inplace=True)(x * 1.5).sum().backward()
            grads.append(x.grad.numpy())
        np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("op", ["relu_", "sigmoid_", "add_", "clamp_", "leaky_relu_"])
@pytest.mark.parametrize("then", [None, "mul_"])
def test_inplace_on_a_view_then_backward_through_the_base_matches_torch(op, then):
    """The in-place op's node is inside the base's rewritten history (torch's CopySlices): a later
    change of the view must still make it raise when it saved its result."""
    outcomes = []
    for lib, F in ((torch, TF), (minigrad, MF)):
        x = lib.tensor([1.0, -2.0, 3.0, -0.5], dtype=lib.float64, requires_grad=True)
        base = x * 2
        view = base[1:]
        INPLACE[op](view, None, F)
        if then:
            view.mul_(2)
        try:
            (base * lib.arange(4, dtype=lib.float64)).sum().backward()
        except RuntimeError as error:
            outcomes.append(str(error).split(":")[0])
            continue
        outcomes.append((base._version, x.grad.numpy().copy()))
    assert type(outcomes[1]) is type(outcomes[0])
    if isinstance(outcomes[0], str):
        assert outcomes[1] == outcomes[0]
    else:
        assert outcomes[1][0] == outcomes[0][0]
        np.testing.assert_allclose(outcomes[1][1], outcomes[0][1], rtol=1e-12, atol=1e-15)
