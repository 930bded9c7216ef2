"""tril, triu, diag, diag_embed, diagonal, trace, roll, tile, repeat_interleave, hstack / vstack /
dstack / column_stack / atleast_nd, meshgrid (minigrad/ops/triangular.py) against torch over
generated shapes and arguments, float32 and float64, with float64 gradcheck and gradgradcheck."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from utils import FLOAT_DTYPES, check_against_torch, gradchecks, random_array

FAST = settings(max_examples=15, deadline=None)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(shape=st.lists(st.integers(0, 4), min_size=2, max_size=4).map(tuple), diagonal=st.integers(-4, 4),
       seed=st.integers(0, 2**16))
def test_tril_triu_match_torch(torch, dtype, shape, diagonal, seed):
    x = random_array(seed, shape, dtype)
    for name in ("tril", "triu"):
        check_against_torch(torch, lambda t: getattr(minigrad, name)(t, diagonal), lambda t: getattr(torch, name)(t, diagonal), [x])
        check_against_torch(torch, lambda t: getattr(t, name)(diagonal=diagonal), lambda t: getattr(t, name)(diagonal=diagonal), [x])


def test_tril_triu_in_place_gradchecks_and_errors():
    x = minigrad.ones(3, 3)
    x.tril_(-1)
    assert x.tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0]]
    x = minigrad.ones(2, 3)
    x.triu_(1)
    assert x.tolist() == [[0, 1, 1], [0, 0, 1]]
    gradchecks(lambda t: minigrad.tril(t, 1), [random_array(1, (2, 3, 4))])
    gradchecks(lambda t: minigrad.triu(t), [random_array(1, (3, 3))])
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions"):
        minigrad.tril(minigrad.ones(3))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple), data=st.data(), seed=st.integers(0, 2**16))
def test_diagonal_matches_torch(torch, dtype, shape, data, seed):
    ndim = len(shape)
    dim1, dim2 = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=2, max_size=2, unique_by=lambda d: d % ndim))
    offset = data.draw(st.integers(-4, 4))
    x = random_array(seed, shape, dtype)
    check_against_torch(torch, lambda t: minigrad.diagonal(t, offset, dim1, dim2), lambda t: torch.diagonal(t, offset, dim1, dim2), [x])
    check_against_torch(torch, lambda t: t.diagonal(offset=offset, dim1=dim1, dim2=dim2),
                        lambda t: t.diagonal(offset=offset, dim1=dim1, dim2=dim2), [x])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape,offset", itertools.product([(4,), (1,), (0,), (3, 3), (2, 5), (5, 2)], [-3, -1, 0, 1, 2]))
def test_diag_and_trace_match_torch(torch, dtype, shape, offset):
    x = random_array(3, shape, dtype)
    check_against_torch(torch, lambda t: minigrad.diag(t, offset), lambda t: torch.diag(t, offset), [x])
    check_against_torch(torch, lambda t: t.diag(offset), lambda t: t.diag(offset), [x])
    if len(shape) == 2:
        check_against_torch(torch, minigrad.trace, torch.trace, [x])
        check_against_torch(torch, lambda t: t.trace(), lambda t: t.trace(), [x])
    if len(shape) == 1:
        check_against_torch(torch, lambda t: minigrad.diag_embed(t, offset), lambda t: torch.diag_embed(t, offset), [x])


def test_diagonal_diag_trace_gradchecks_and_errors():
    gradchecks(lambda t: minigrad.diagonal(t, 1, 2, 0), [random_array(1, (3, 2, 4))])
    gradchecks(lambda t: minigrad.diag(t, -1), [random_array(1, (3,))])
    gradchecks(lambda t: minigrad.diag(t, 1), [random_array(1, (3, 4))])
    gradchecks(minigrad.trace, [random_array(1, (3, 4))])
    gradchecks(lambda t: minigrad.diag_embed(t, 0, 0, 2), [random_array(1, (2, 3))])
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical 1, 1"):
        minigrad.diagonal(minigrad.ones(2, 2), 0, 1, 1)
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 3"):
        minigrad.trace(minigrad.ones(2, 2, 2))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), data=st.data(), seed=st.integers(0, 2**16))
def test_roll_matches_torch(torch, dtype, shape, data, seed):
    ndim = len(shape)
    count = data.draw(st.integers(0, ndim))
    dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=count, max_size=count))
    shifts = data.draw(st.lists(st.integers(-7, 7), min_size=max(count, 1), max_size=max(count, 1)))
    x = random_array(seed, shape, dtype)
    if count == 0:  # dims=None: the flattened tensor, one shift
        check_against_torch(torch, lambda t: minigrad.roll(t, shifts[0]), lambda t: torch.roll(t, shifts[0]), [x])
    else:
        check_against_torch(torch, lambda t: minigrad.roll(t, shifts, dims), lambda t: torch.roll(t, shifts, dims), [x])
        check_against_torch(torch, lambda t: t.roll(tuple(shifts), tuple(dims)), lambda t: t.roll(tuple(shifts), tuple(dims)), [x])


def test_roll_gradchecks_and_errors():
    gradchecks(lambda t: minigrad.roll(t, (1, -2), (0, 1)), [random_array(1, (3, 4))])
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        minigrad.roll(minigrad.ones(2, 2), (1, 1), 0)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(shape=st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple),
       dims=st.lists(st.integers(0, 3), min_size=0, max_size=4).map(tuple), seed=st.integers(0, 2**16))
def test_tile_matches_torch(torch, dtype, shape, dims, seed):
    x = random_array(seed, shape, dtype)
    check_against_torch(torch, lambda t: minigrad.tile(t, dims), lambda t: torch.tile(t, dims), [x])
    check_against_torch(torch, lambda t: t.tile(dims), lambda t: t.tile(dims), [x])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple), data=st.data(), seed=st.integers(0, 2**16))
def test_repeat_interleave_matches_torch(torch, dtype, shape, data, seed):
    x = random_array(seed, shape, dtype)
    dim = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
    size = int(np.prod(shape)) if dim is None else shape[dim]
    repeats = data.draw(st.integers(0, 3) | st.lists(st.integers(0, 3), min_size=size, max_size=size))
    r_m = repeats if isinstance(repeats, int) else minigrad.tensor(np.array(repeats, dtype=np.int64))
    r_t = repeats if isinstance(repeats, int) else torch.tensor(repeats, dtype=torch.int64)
    check_against_torch(torch, lambda t: minigrad.repeat_interleave(t, r_m, dim), lambda t: torch.repeat_interleave(t, r_t, dim), [x])
    check_against_torch(torch, lambda t: t.repeat_interleave(r_m, dim=dim), lambda t: t.repeat_interleave(r_t, dim=dim), [x])


def test_repeat_interleave_of_counts_gradchecks_and_errors(torch):
    counts = np.array([2, 0, 3])
    np.testing.assert_array_equal(minigrad.repeat_interleave(minigrad.tensor(counts)).numpy(),
                                  torch.repeat_interleave(torch.from_numpy(counts)).numpy())
    gradchecks(lambda t: minigrad.repeat_interleave(t, minigrad.tensor([1, 3]), dim=1), [random_array(1, (2, 2))])
    with pytest.raises(RuntimeError, match="Repeats must be non-negative"):
        minigrad.repeat_interleave(minigrad.ones(2), -1)
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        minigrad.repeat_interleave(minigrad.ones(2), minigrad.tensor([1, -1]))
    with pytest.raises(RuntimeError, match="repeats must have the same size as input along dim"):
        minigrad.repeat_interleave(minigrad.ones(2), minigrad.tensor([1, 2, 3]))


STACK_SHAPES = [[(3,), (3,)], [(), ()], [(2, 3), (2, 1)], [(2, 3), (2, 3)], [(2, 3, 2), (2, 3, 1)], [(1, 4), (1, 4), (1, 4)]]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack", "row_stack"])
@pytest.mark.parametrize("shapes", STACK_SHAPES)
def test_stacks_match_torch(torch, dtype, name, shapes):
    arrays = [random_array(k, s, dtype) for k, s in enumerate(shapes)]
    try:
        expected = getattr(torch, name)([torch.from_numpy(a) for a in arrays])
    except RuntimeError:
        with pytest.raises(RuntimeError):
            getattr(minigrad, name)([minigrad.tensor(a) for a in arrays])
        return
    del expected
    check_against_torch(torch, lambda *ts: getattr(minigrad, name)(ts), lambda *ts: getattr(torch, name)(ts), arrays)


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4)])
def test_atleast_nd_match_torch(torch, name, shape):
    x = random_array(0, shape)
    check_against_torch(torch, getattr(minigrad, name), getattr(torch, name), [x])
    check_against_torch(torch, lambda a, b: getattr(minigrad, name)(a, b), lambda a, b: getattr(torch, name)(a, b), [x, x])


def test_stacks_gradcheck():
    gradchecks(lambda a, b: minigrad.hstack([a, b]), [random_array(1, (2, 3)), random_array(2, (2, 1))])
    gradchecks(lambda a, b: minigrad.vstack([a, b]), [random_array(1, (3,)), random_array(2, (2, 3))])
    gradchecks(lambda a, b: minigrad.dstack([a, b]), [random_array(1, (2, 3)), random_array(2, (2, 3, 2))])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("shapes", [[(3,)], [(3,), (4,)], [(), (2,)], [(2,), (3,), (4,)], [(1,), (3,), (2,), (2,)]])
def test_meshgrid_matches_torch(torch, dtype, indexing, shapes):
    arrays = [random_array(k, s, dtype) for k, s in enumerate(shapes)]
    check_against_torch(torch, lambda *ts: minigrad.meshgrid(*ts, indexing=indexing),
                        lambda *ts: torch.meshgrid(*ts, indexing=indexing), arrays)
    check_against_torch(torch, lambda *ts: minigrad.meshgrid(list(ts), indexing=indexing),
                        lambda *ts: torch.meshgrid(list(ts), indexing=indexing), arrays)


def test_meshgrid_gradchecks_and_errors():
    gradchecks(lambda a, b: minigrad.meshgrid(a, b, indexing="xy")[0] * minigrad.meshgrid(a, b, indexing="xy")[1],
               [random_array(1, (3,)), random_array(2, (2,))])
    with pytest.raises(RuntimeError, match='indexing must be one of "xy" or "ij"'):
        minigrad.meshgrid(minigrad.ones(2), indexing="yx")
