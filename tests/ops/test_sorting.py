"""sort, argsort, topk, msort, cumprod (minigrad/ops/sorting.py) against torch: values, int64
indices, torch's stable order for ties in both directions, gradients, and cumprod's gradient through
zeros; float64 gradcheck and gradgradcheck."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from utils import FLOAT_DTYPES, check_against_torch, gradchecks, random_array

FAST = settings(max_examples=15, deadline=None)
shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


@st.composite
def shape_and_dim(draw):
    shape = draw(shapes)
    return shape, draw(st.integers(-len(shape), len(shape) - 1))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(case=shape_and_dim(), descending=st.booleans(), seed=st.integers(0, 2**16))
def test_sort_matches_torch_values_indices_and_gradient(torch, dtype, case, descending, seed):
    shape, dim = case
    x = random_array(seed, shape, dtype)
    check_against_torch(torch, lambda t: tuple(minigrad.sort(t, dim, descending)),
                        lambda t: tuple(torch.sort(t, dim, descending)), [x])
    check_against_torch(torch, lambda t: tuple(t.sort(dim=dim, descending=descending, stable=True)),
                        lambda t: tuple(t.sort(dim=dim, descending=descending, stable=True)), [x])
    check_against_torch(torch, lambda t: minigrad.argsort(t, dim, descending), lambda t: torch.argsort(t, dim, descending), [x])


@FAST
@given(case=shape_and_dim(), descending=st.booleans(), seed=st.integers(0, 2**16))
def test_sort_orders_ties_as_torchs_stable_sort(torch, case, descending, seed):
    shape, dim = case
    x = np.random.default_rng(seed).integers(0, 3, size=shape)  # many ties
    for data in (x, x.astype(np.float32)):
        m = minigrad.sort(minigrad.tensor(data), dim=dim, descending=descending, stable=True)
        t = torch.sort(torch.from_numpy(data), dim=dim, descending=descending, stable=True)
        np.testing.assert_array_equal(m.values.numpy(), t.values.numpy())
        np.testing.assert_array_equal(m.indices.numpy(), t.indices.numpy())


def test_sort_puts_nan_last_ascending_and_first_descending(torch):
    data = np.array([2.0, np.nan, -1.0, np.nan, 0.5])
    for descending in (False, True):
        m = minigrad.sort(minigrad.tensor(data), descending=descending, stable=True)
        t = torch.sort(torch.from_numpy(data), descending=descending, stable=True)
        np.testing.assert_array_equal(m.values.numpy(), t.values.numpy())
        np.testing.assert_array_equal(m.indices.numpy(), t.indices.numpy())


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(case=shape_and_dim(), largest=st.booleans(), seed=st.integers(0, 2**16), fraction=st.floats(0, 1))
def test_topk_matches_torch(torch, dtype, case, largest, seed, fraction):
    shape, dim = case
    k = int(round(fraction * shape[dim]))
    x = random_array(seed, shape, dtype)
    check_against_torch(torch, lambda t: tuple(minigrad.topk(t, k, dim, largest)),
                        lambda t: tuple(torch.topk(t, k, dim, largest)), [x])
    check_against_torch(torch, lambda t: tuple(t.topk(k, dim=dim, largest=largest, sorted=True)),
                        lambda t: tuple(t.topk(k, dim=dim, largest=largest, sorted=True)), [x])


def test_topk_and_sort_result_types_and_errors(torch):
    x = minigrad.tensor([[3.0, 1.0, 2.0]])
    values, indices = minigrad.topk(x, 2)
    assert indices.dtype == minigrad.int64 and type(minigrad.topk(x, 2)).__name__ == "topk"
    assert type(minigrad.sort(x)).__name__ == "sort" and minigrad.sort(x).indices.dtype == minigrad.int64
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        minigrad.topk(x, 4)
    with pytest.raises(IndexError, match="Dimension out of range"):
        minigrad.sort(x, dim=2)
    scalar = minigrad.tensor(2.0)
    assert minigrad.sort(scalar).values.item() == 2.0 and minigrad.topk(scalar, 1).indices.item() == 0
    np.testing.assert_array_equal(minigrad.msort(minigrad.tensor([[2, 1], [0, 5]])).numpy(),
                                  torch.msort(torch.tensor([[2, 1], [0, 5]])).numpy())


def test_sort_and_topk_gradcheck_and_gradgradcheck():
    x = random_array(11, (3, 5))
    gradchecks(lambda t: minigrad.sort(t, 1, descending=True).values, [x])
    gradchecks(lambda t: minigrad.topk(t, 2, dim=0).values, [x])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(case=shape_and_dim(), seed=st.integers(0, 2**16), zeros=st.integers(0, 3))
def test_cumprod_matches_torch_including_zeros(torch, dtype, case, seed, zeros):
    shape, dim = case
    x = random_array(seed, shape, dtype)
    flat = x.reshape(-1)
    flat[np.random.default_rng(seed).integers(0, flat.size, size=zeros)] = 0.0  # zero, one or several zeros
    check_against_torch(torch, lambda t: minigrad.cumprod(t, dim), lambda t: torch.cumprod(t, dim), [x])
    check_against_torch(torch, lambda t: t.cumprod(dim), lambda t: t.cumprod(dim), [x])


@pytest.mark.parametrize("data", [[1.5, -0.7, 2.0, 0.8], [1.5, 0.0, 2.0, 0.8], [0.0, 1.3, 0.0, -2.0]])
def test_cumprod_gradcheck_and_gradgradcheck_with_and_without_zeros(data):
    gradchecks(lambda t: minigrad.cumprod(t, 0), [np.array(data)])
    gradchecks(lambda t: minigrad.cumprod(t, 1), [np.array([data, data[::-1]])])


def test_cumprod_of_integers_is_int64_and_dtype_argument(torch):
    x = minigrad.tensor([1, 2, 3], dtype=minigrad.int32)
    assert minigrad.cumprod(x, 0).dtype == minigrad.int64
    assert minigrad.cumprod(x, 0, dtype=minigrad.float64).dtype == minigrad.float64
    y = minigrad.tensor([1.0, 2.0, 3.0])
    y.cumprod_(0)
    assert y.tolist() == [1.0, 2.0, 6.0]
