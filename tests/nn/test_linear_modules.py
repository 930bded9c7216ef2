"""Tests of minigrad/nn/modules/linear.py and nn/functional/linear.py against torch.nn."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad import nn
from minigrad.nn import functional as F
from twins import assert_same_distribution, compare_modules

DTYPES = [np.float32, np.float64]


@settings(max_examples=25, deadline=None)
@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=2), fin=st.integers(1, 6), fout=st.integers(1, 6),
       bias=st.booleans(), dtype=st.sampled_from(DTYPES))
def test_linear_matches_torch(torch, lead, fin, fout, bias, dtype):
    x = np.random.default_rng(0).standard_normal((*lead, fin))
    compare_modules(torch, nn.Linear(fin, fout, bias=bias), torch.nn.Linear(fin, fout, bias=bias), [x], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bilinear_matches_torch(torch, dtype):
    rng = np.random.default_rng(1)
    x1, x2 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 5))
    compare_modules(torch, nn.Bilinear(4, 5, 3), torch.nn.Bilinear(4, 5, 3), [x1, x2], dtype)
    compare_modules(torch, nn.Bilinear(4, 5, 2, bias=False), torch.nn.Bilinear(4, 5, 2, bias=False), [x1, x2], dtype)


def test_linear_and_bilinear_gradgradcheck():
    from utils import gradchecks
    rng = np.random.default_rng(2)
    gradchecks(lambda x, w, b: F.linear(x, w, b), [rng.standard_normal((3, 4)), rng.standard_normal((2, 4)),
                                                    rng.standard_normal(2)])
    gradchecks(lambda a, b, w: F.bilinear(a, b, w), [rng.standard_normal((2, 3)), rng.standard_normal((2, 2)),
                                                     rng.standard_normal((2, 3, 2))])


def test_linear_shape_error_matches_torch_message(torch):
    with pytest.raises(RuntimeError) as mg:
        nn.Linear(3, 2)(minigrad.zeros(4, 5))
    with pytest.raises(RuntimeError) as th:
        torch.nn.Linear(3, 2)(torch.zeros(4, 5))
    assert str(mg.value) == str(th.value)


@pytest.mark.parametrize("start,end", [(1, -1), (0, -1), (1, 2), (2, 3)])
def test_flatten_and_unflatten_match_torch(torch, start, end):
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5))
    compare_modules(torch, nn.Flatten(start, end), torch.nn.Flatten(start, end), [x], np.float64)
    compare_modules(torch, nn.Unflatten(1, (3, 1)), torch.nn.Unflatten(1, (3, 1)), [x], np.float32)
    assert repr(nn.Flatten(start, end)) == repr(torch.nn.Flatten(start, end))
    assert repr(nn.Unflatten(1, (3, 1))) == repr(torch.nn.Unflatten(1, (3, 1)))


def test_identity_returns_its_input():
    x = minigrad.randn(2, 3)
    assert nn.Identity(54, unused="x")(x) is x


@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_embedding_matches_torch_and_padding_row_gets_no_gradient(torch, padding_idx):
    idx = np.array([[0, 2, 4], [4, 1, 0]])
    mg, th = nn.Embedding(5, 3, padding_idx=padding_idx), torch.nn.Embedding(5, 3, padding_idx=padding_idx)
    assert repr(mg) == repr(th)
    if padding_idx is not None:
        assert not np.any(np.asarray(mg.weight.detach())[padding_idx])
    compare_modules(torch, mg, th, [idx], np.float32)
    with pytest.raises(IndexError):
        mg(minigrad.tensor([5]))


def test_one_hot_matches_torch(torch):
    t = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(minigrad.tensor(t)).numpy(), torch.nn.functional.one_hot(torch.tensor(t)).numpy())
    np.testing.assert_array_equal(F.one_hot(minigrad.tensor(t), 6).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor(t), 6).numpy())


@pytest.mark.parametrize("build", [lambda m: m.Linear(7, 3), lambda m: m.Bilinear(4, 6, 3), lambda m: m.Embedding(6, 4)])
def test_default_initialisation_has_torch_distribution(torch, build):
    """Same family and bounds as torch: compare each tensor's range and spread over many draws."""
    torch.manual_seed(0)
    mg_state = {k: [] for k in build(torch.nn).state_dict()}
    th_state = {k: [] for k in mg_state}
    for _ in range(300):
        for k, v in build(minigrad.nn).state_dict().items():
            mg_state[k].append(np.asarray(v).ravel())
        for k, v in build(torch.nn).state_dict().items():
            th_state[k].append(v.numpy().ravel())
    for k in mg_state:
        assert_same_distribution(np.concatenate(mg_state[k]), np.concatenate(th_state[k]), k)
