"""Indexing (``x[index]`` and ``x[index] = v``, minigrad/ops/shape.py and ops/__init__.py): basic,
integer-array and boolean indices against torch, duplicate indices accumulating in backward, and
gradcheck / gradgradcheck."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from utils import FLOAT_DTYPES, check_against_torch, gradchecks, random_array

FAST = settings(max_examples=20, deadline=None)


@st.composite
def basic_index(draw, shape):
    """A tuple of ints, slices (positive steps, as torch allows), None and at most one Ellipsis."""
    parts, used_ellipsis = [], False
    for size in shape:
        kind = draw(st.sampled_from(["int", "slice", "none", "full", "ellipsis"]))
        if kind == "int":
            parts.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-size - 1, size + 1))
            stop = draw(st.none() | st.integers(-size - 1, size + 1))
            parts.append(slice(start, stop, draw(st.none() | st.integers(1, 3))))
        elif kind == "none":
            parts.extend([None, slice(None)])
        elif kind == "ellipsis" and not used_ellipsis:
            parts.append(Ellipsis)
            used_ellipsis = True
            break
        else:
            parts.append(slice(None))
    return tuple(parts[:len(shape) + parts.count(None) + 1])


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@FAST
@given(shape=shapes, dtype=st.sampled_from(FLOAT_DTYPES), seed=st.integers(0, 2**16), data=st.data())
def test_basic_indexing_matches_torch(torch, shape, dtype, seed, data):
    x = random_array(seed, shape, dtype)
    index = data.draw(basic_index(shape))
    check_against_torch(torch, lambda t: t[index], lambda t: t[index], [x])


@FAST
@given(shape=shapes, dtype=st.sampled_from(FLOAT_DTYPES), seed=st.integers(0, 2**16), data=st.data())
def test_integer_array_indexing_matches_torch_and_duplicates_accumulate(torch, shape, dtype, seed, data):
    x = random_array(seed, shape, dtype)
    rng = np.random.default_rng(seed)
    n_arrays = data.draw(st.integers(1, len(shape)))
    index_shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    arrays = [rng.integers(-shape[d], shape[d], size=index_shape) for d in range(n_arrays)]  # repeats likely
    as_list = data.draw(st.booleans())
    mg_index = tuple(a.tolist() if as_list and n_arrays == 1 else minigrad.tensor(a) for a in arrays)
    th_index = tuple(a.tolist() if as_list and n_arrays == 1 else torch.from_numpy(a) for a in arrays)
    if n_arrays == 1 and data.draw(st.booleans()):  # integer array after a slice
        if len(shape) > 1:
            mg_index, th_index = (slice(None),) + mg_index, (slice(None),) + th_index
            arrays[0] = rng.integers(0, shape[1], size=index_shape)
            mg_index = (slice(None), minigrad.tensor(arrays[0]))
            th_index = (slice(None), torch.from_numpy(arrays[0]))
    check_against_torch(torch, lambda t: t[mg_index], lambda t: t[th_index], [x])


@FAST
@given(shape=shapes, dtype=st.sampled_from(FLOAT_DTYPES), seed=st.integers(0, 2**16), data=st.data())
def test_boolean_mask_indexing_matches_torch(torch, shape, dtype, seed, data):
    x = random_array(seed, shape, dtype)
    mask_dims = data.draw(st.integers(1, len(shape)))
    mask = np.random.default_rng(seed).random(shape[:mask_dims]) > 0.5
    check_against_torch(torch, lambda t: t[minigrad.tensor(mask)], lambda t: t[torch.from_numpy(mask)], [x])
    check_against_torch(torch, lambda t: t[t > 0], lambda t: t[t > 0], [x])


def test_indexing_gradcheck_and_gradgradcheck_with_repeated_indices():
    x = random_array(0, (4, 3))
    rows = minigrad.tensor([0, 2, 0, 0, 3])
    gradchecks(lambda t: t[rows], [x])
    gradchecks(lambda t: t[rows, minigrad.tensor([1, 1, 2, 0, 1])], [x])
    gradchecks(lambda t: t[1:, ::2], [x])
    gradchecks(lambda t: t[None, ..., 1], [x])
    gradchecks(lambda t: t[minigrad.tensor([[True, False, True]] * 4)], [x])


def test_duplicate_indices_sum_their_gradients():
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[minigrad.tensor([0, 0, 2, 0])].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_index_out_of_range_raises_index_error(torch):
    with pytest.raises(IndexError):
        torch.zeros(3)[3]
    with pytest.raises(IndexError):
        minigrad.zeros(3)[3]
    with pytest.raises(IndexError):
        minigrad.zeros(3)[minigrad.tensor([0, 5])]


def test_indexing_with_a_zero_dim_integer_tensor_matches_torch(torch):
    x = random_array(1, (3, 2), np.float32)
    check_against_torch(torch, lambda t: t[minigrad.tensor(2)], lambda t: t[torch.tensor(2)], [x])


@pytest.mark.parametrize("index", [
    1, (slice(None), 0), (slice(0, 2),), "mask", "array", (slice(None), "array"),
])
@pytest.mark.parametrize("value_kind", ["scalar", "tensor", "broadcast"])
def test_setitem_matches_torch_values_and_gradients(torch, index, value_kind):
    x = random_array(3, (3, 4), np.float64)
    v_shape = {"scalar": None, "tensor": "full", "broadcast": (1,)}[value_kind]

    def make_index(module):
        def one(i):
            if i == "mask":
                return module.tensor([True, False, True])
            if i == "array":
                return module.tensor([2, 0])
            return i
        return tuple(one(i) for i in index) if isinstance(index, tuple) else one(index)

    target_shape = torch.zeros(3, 4)[make_index(torch)].shape
    value = None if v_shape is None else random_array(4, tuple(target_shape) if v_shape == "full" else v_shape)

    def run(module):
        def fn(base, *v):
            y = base * 1  # a non-leaf: setitem on it is allowed and differentiable
            y[make_index(module)] = 2.5 if not v else v[0] * 3
            return y
        return fn

    arrays = [x] if value is None else [x, value]
    check_against_torch(torch, run(minigrad), run(torch), arrays)
    gradchecks(run(minigrad), arrays)


def test_setitem_on_a_leaf_that_requires_grad_raises_torchs_error(torch):
    for module in (minigrad, torch):
        x = module.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
            x[0] = 1.0
        with module.no_grad():
            x[0] = 1.0
        assert x.tolist() == [1.0, 0.0, 0.0]


def test_setitem_without_grad_writes_in_place_and_bumps_the_version():
    x = minigrad.zeros(2, 3)
    version = x._version
    x[:, 1] = minigrad.tensor([5.0, 6.0])
    x[x > 5] = -1
    assert x.tolist() == [[0.0, 5.0, 0.0], [0.0, -1.0, 0.0]]
    assert x._version > version
