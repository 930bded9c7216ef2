"""Tests of minigrad/nn/functional/distance.py (cosine_similarity, pairwise_distance) against torch."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad.nn import functional as F
from utils import check_against_torch, gradchecks

P_VALUES = [2.0, 1.0, 3.0, 1.5, 0.5, 0.0, float("inf"), float("-inf")]


def _broadcast_pair(draw_shape, drop):
    other = list(draw_shape)
    for d in drop:
        if d < len(other):
            other[d] = 1
    return other


@settings(max_examples=80)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), drop=st.lists(st.integers(0, 3), max_size=2),
       lead=st.booleans(), dim=st.integers(-4, 3), eps=st.sampled_from([1e-8, 0.5]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 100))
def test_cosine_similarity_matches_torch_with_broadcasting(torch, shape, drop, lead, dim, eps, dtype, seed):
    rng = np.random.default_rng(seed)
    other = _broadcast_pair(shape, drop)
    if lead:
        other = other[1:] if len(other) > 1 else other
    dim = dim % len(shape) - len(shape) if dim < 0 else min(dim, len(shape) - 1)
    x1 = rng.standard_normal(shape).astype(dtype)
    x2 = rng.standard_normal(other).astype(dtype)
    check_against_torch(torch, lambda a, b: F.cosine_similarity(a, b, dim, eps),
                        lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim, eps), [x1, x2])


def test_cosine_similarity_of_zero_and_tiny_vectors_is_torchs(torch):
    x1 = np.array([[0.0, 0.0, 0.0], [1e-9, 0.0, 2e-9], [1.0, 2.0, 3.0]])
    x2 = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    check_against_torch(torch, F.cosine_similarity, torch.nn.functional.cosine_similarity, [x1, x2])


@settings(max_examples=80)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), drop=st.lists(st.integers(0, 2), max_size=2),
       p=st.sampled_from(P_VALUES), eps=st.sampled_from([1e-6, 0.0, 0.3]), keepdim=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 100))
def test_pairwise_distance_matches_torch_for_every_p(torch, shape, drop, p, eps, keepdim, dtype, seed):
    rng = np.random.default_rng(seed)
    x1 = rng.standard_normal(shape).astype(dtype)
    x2 = rng.standard_normal(_broadcast_pair(shape, drop)).astype(dtype)
    check_against_torch(torch, lambda a, b: F.pairwise_distance(a, b, p, eps, keepdim),
                        lambda a, b: torch.nn.functional.pairwise_distance(a, b, p, eps, keepdim), [x1, x2])


def test_pairwise_distance_of_scalars_and_vectors(torch):
    for a, b in [(np.array(1.5), np.array(-0.5)), (np.array([1.0, 2.0]), np.array([0.5, -1.0])),
                 (np.ones((2, 3, 4)), np.arange(4.0))]:
        check_against_torch(torch, F.pairwise_distance, torch.nn.functional.pairwise_distance, [a, b])


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 1.5, float("inf")])
def test_distances_gradcheck(p):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    gradchecks(lambda x, y: F.pairwise_distance(x, y, p), [a, b], second_order=p != float("inf"))
    gradchecks(lambda x, y: F.cosine_similarity(x, y, 1), [a, b])


def test_distance_errors_are_torchs():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(4\) at "
                                           "non-singleton dimension 0"):
        F.cosine_similarity(minigrad.zeros(3, 5), minigrad.zeros(4, 5))
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(5\) must match the size of tensor b \(2\) at "
                                           "non-singleton dimension 1"):
        F.pairwise_distance(minigrad.zeros(3, 5), minigrad.zeros(2))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        F.cosine_similarity(minigrad.zeros(3, 5), minigrad.zeros(3, 5), dim=2)
    with pytest.raises(RuntimeError, match="expected common dtype to be floating point, yet common dtype is Long"):
        F.cosine_similarity(minigrad.zeros(3, 5, dtype=minigrad.int64), minigrad.zeros(3, 5, dtype=minigrad.int64))


@settings(max_examples=40)
@given(n=st.integers(1, 5), m=st.integers(1, 4), p=st.sampled_from([2.0, 1.0, 3.0, 0.0, float("inf")]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 100))
def test_pdist_matches_torch(torch, n, m, p, dtype, seed):
    x = np.random.default_rng(seed).standard_normal((n, m)).astype(dtype)
    check_against_torch(torch, lambda t: F.pdist(t, p), lambda t: torch.nn.functional.pdist(t, p), [x])


def test_pdist_gradchecks_and_errors():
    gradchecks(lambda t: F.pdist(t, 2.0), [np.random.default_rng(0).standard_normal((4, 3))])
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 1D"):
        F.pdist(minigrad.zeros(3))
    with pytest.raises(RuntimeError, match="pdist only supports non-negative p values"):
        F.pdist(minigrad.zeros(3, 2), -1.0)
