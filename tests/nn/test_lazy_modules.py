"""Tests of minigrad/nn/modules/lazy.py and the uninitialised tensors of minigrad/nn/parameter.py:
shapes inferred on the first forward as torch's Lazy* modules, the module becoming the regular class,
parameters / state_dict / load_state_dict / optimisers before that, and seeded initialisation."""
import re

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

CASES = [  # (name, constructor args, kwargs, input shape)
    ("LazyLinear", (4,), {}, (2, 7)),
    ("LazyLinear", (3,), {"bias": False}, (2, 5, 6)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 6, 8)),
    ("LazyConv1d", (4, 3), {}, (6, 8)),                           # unbatched: channels are dim 0
    ("LazyConv2d", (4, 3), {"stride": 2, "groups": 2, "bias": False}, (2, 6, 7, 7)),
    ("LazyConv3d", (2, 2), {}, (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 6, 5)),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2, "output_padding": 1, "stride": 2}, (2, 2, 5, 5)),
    ("LazyConvTranspose3d", (2, 2), {"bias": False}, (3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm2d", (), {"affine": False}, (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {"momentum": None}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), {"affine": False, "track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {}, (2, 3, 2, 3, 2)),
]


def _ids(case):
    return f"{case[0]}-{'-'.join(map(str, case[3]))}"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_first_forward_infers_the_sizes_and_becomes_torch_s_regular_class(torch, case):
    name, args, kwargs, shape = case
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [is_lazy(p) for p in ours.parameters()] == [torch.nn.parameter.is_lazy(p) for p in theirs.parameters()]
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params()
    expected = theirs(torch.from_numpy(x))
    out = ours(minigrad.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__ == name[len("Lazy"):]
    assert type(ours) is getattr(nn, name[len("Lazy"):])
    assert repr(ours) == repr(theirs)
    assert not any(is_lazy(t) for t in list(ours.parameters()) + list(ours.buffers()))
    ours.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    theirs.eval(), ours.eval()
    np.testing.assert_allclose(ours(minigrad.tensor(x)).detach().numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    assert tuple(out.shape) == tuple(expected.shape)


@pytest.mark.parametrize("lazy, regular, shape", [
    (lambda: nn.LazyLinear(3), lambda: nn.Linear(5, 3), (3, 5)),
    (lambda: nn.LazyConv2d(4, 3, groups=2), lambda: nn.Conv2d(2, 4, 3, groups=2), (1, 2, 5, 5)),
    (lambda: nn.LazyConvTranspose1d(4, 2), lambda: nn.ConvTranspose1d(2, 4, 2), (1, 2, 5)),
    (lambda: nn.LazyBatchNorm1d(), lambda: nn.BatchNorm1d(2), (3, 2)),
])
def test_seeded_initialisation_draws_the_regular_module_s_values(lazy, regular, shape):
    x = minigrad.randn(*shape)
    minigrad.manual_seed(7)
    m = lazy().eval()
    m(x)
    minigrad.manual_seed(7)
    r = regular()
    for (name, a), (_, b) in zip(m.state_dict().items(), r.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


def test_an_optimiser_built_before_the_first_forward_updates_the_materialised_parameters():
    m = nn.LazyLinear(2)
    params = list(m.parameters())
    optimizer = minigrad.optim.SGD(m.parameters(), lr=0.5)
    m(minigrad.ones(1, 3)).sum().backward()
    assert all(p is q for p, q in zip(params, m.parameters()))     # the same objects, now Parameters
    before = m.weight.detach().numpy().copy()
    optimizer.step()
    np.testing.assert_allclose(m.weight.detach().numpy(), before - 0.5 * m.weight.grad.numpy())


def test_state_dict_loading_before_the_first_forward_as_torch(torch):
    lazy_state = nn.LazyLinear(3).state_dict()
    assert all(isinstance(v, UninitializedParameter) for v in lazy_state.values())
    m = nn.LazyLinear(3)
    m.load_state_dict(lazy_state)                     # uninitialised into uninitialised: nothing happens
    assert type(m) is nn.LazyLinear and m.has_uninitialized_params()
    regular = nn.Linear(5, 3)
    m.load_state_dict(regular.state_dict())           # real tensors give the shapes and the values
    assert type(m) is nn.LazyLinear and not m.has_uninitialized_params()
    np.testing.assert_array_equal(m.weight.detach().numpy(), regular.weight.detach().numpy())
    with pytest.raises(RuntimeError) as expected:
        torch.nn.Linear(5, 3).load_state_dict(torch.nn.LazyLinear(3).state_dict())
    with pytest.raises(RuntimeError, match=re.escape(str(expected.value))):
        nn.Linear(5, 3).load_state_dict(lazy_state)
    m(minigrad.zeros(1, 5))
    assert type(m) is nn.Linear and m.in_features == 5     # torch's LazyLinear sets it on that first forward
    b = nn.LazyBatchNorm2d()
    b.load_state_dict(nn.BatchNorm2d(4).state_dict())
    assert tuple(b.running_mean.shape) == (4,) and type(b.running_mean) is minigrad.Tensor


def test_uninitialised_tensors_refuse_shape_and_arithmetic_with_torch_s_messages(torch):
    ours, theirs = UninitializedParameter(), torch.nn.UninitializedParameter()
    assert repr(ours) == repr(theirs) == "<UninitializedParameter>"
    assert repr(UninitializedBuffer()) == "<UninitializedBuffer>"
    with pytest.raises(RuntimeError) as expected:
        theirs.shape
    with pytest.raises(RuntimeError, match=re.escape(str(expected.value))):
        ours.shape
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        ours + 1
    ours.materialize((2, 3))
    assert type(ours) is nn.Parameter and tuple(ours.shape) == (2, 3) and ours.requires_grad


def test_lazy_conv_rejects_an_input_of_the_wrong_rank_with_torch_s_message(torch):
    with pytest.raises(RuntimeError) as expected:
        torch.nn.LazyConv2d(4, 3)(torch.zeros(1, 2, 3, 5, 5))
    message = str(expected.value).replace("torch.Size", "minigrad.Size")
    with pytest.raises(RuntimeError, match=re.escape(message)):
        nn.LazyConv2d(4, 3)(minigrad.zeros(1, 2, 3, 5, 5))


def test_dtype_and_device_arguments_reach_the_materialised_parameters():
    m = nn.LazyConv1d(2, 2, dtype=minigrad.float64)
    m(minigrad.zeros(1, 3, 4, dtype=minigrad.float64))
    assert m.weight.dtype == minigrad.float64 and tuple(m.weight.shape) == (2, 3, 2)
    m = nn.LazyLinear(2).double()
    m(minigrad.zeros(1, 3, dtype=minigrad.float64))
    assert m.weight.dtype == minigrad.float64
