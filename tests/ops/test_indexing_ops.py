"""scatter, index_add, index_copy, index_fill, index_put, masked_select, take_along_dim, nonzero
(minigrad/ops/indexing.py) and their in-place methods against torch over generated shapes, dims and
indices, float32 and float64, with float64 gradcheck and gradgradcheck."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from utils import FLOAT_DTYPES, check_against_torch, gradchecks, random_array

FAST = settings(max_examples=15, deadline=None)
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@st.composite
def scatter_case(draw):
    """x's shape, dim, a unique-per-row index (torch leaves duplicates' order undefined) and src's shape."""
    shape = draw(shapes)
    dim = draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(draw(st.integers(1, n)) if d != dim else draw(st.integers(1, n)) for d, n in enumerate(shape))
    src_shape = tuple(n + draw(st.integers(0, 1)) * draw(st.booleans()) for n in index_shape)  # may be larger
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    # along dim, a permutation prefix per position: no two writes to one entry
    moved = np.moveaxis(np.empty(index_shape), dim, -1).shape
    perms = np.stack([rng.permutation(shape[dim])[:index_shape[dim]] for _ in range(int(np.prod(moved[:-1])))])
    index = np.moveaxis(perms.reshape(moved), -1, dim).astype(np.int64)
    return shape, dim, index, src_shape, seed


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(case=scatter_case())
def test_scatter_src_matches_torch(torch, dtype, case):
    shape, dim, index, src_shape, seed = case
    x, src = random_array(seed, shape, dtype), random_array(seed + 1, src_shape, dtype)
    i_m, i_t = minigrad.tensor(index), torch.from_numpy(index)
    # torch's backward supports only src.shape == index.shape (its docs); larger src: values only
    grad = src.shape == index.shape
    check_against_torch(torch, lambda a, s: minigrad.scatter(a, dim, i_m, s), lambda a, s: torch.scatter(a, dim, i_t, s),
                        [x, src], grad=grad)
    check_against_torch(torch, lambda a, s: a.scatter(dim, i_m, src=s), lambda a, s: a.scatter(dim, i_t, src=s),
                        [x, src], grad=grad)
    check_against_torch(torch, lambda a: minigrad.scatter(a, dim, i_m, value=2.5), lambda a: torch.scatter(a, dim, i_t, value=2.5), [x])
    check_against_torch(torch, lambda a: a.scatter(dim, i_m, -1.0), lambda a: a.scatter(dim, i_t, -1.0), [x])
    for reduce in ("add", "multiply"):  # torch gives no gradient through reduce=; compare values
        check_against_torch(torch, lambda a, s: minigrad.scatter(a, dim, i_m, s, reduce=reduce),
                            lambda a, s: torch.scatter(a, dim, i_t, s, reduce=reduce), [x, src], grad=False)


def test_scatter_reduce_with_repeated_indices_accumulates(torch):
    x = np.ones((3, 2))
    index = np.array([[0, 0], [0, 2], [0, 2]])
    src = np.arange(6.0).reshape(3, 2) + 1
    for reduce in ("add", "multiply"):
        m = minigrad.scatter(minigrad.tensor(x), 0, minigrad.tensor(index), minigrad.tensor(src), reduce=reduce)
        t = torch.scatter(torch.from_numpy(x), 0, torch.from_numpy(index), torch.from_numpy(src), reduce=reduce)
        np.testing.assert_array_equal(m.numpy(), t.numpy())


def test_scatter_gradcheck_and_gradgradcheck():
    index = minigrad.tensor([[2, 0, 1], [0, 2, 0]])
    gradchecks(lambda a, s: minigrad.scatter(a, 0, index, s), [random_array(1, (3, 3)), random_array(2, (3, 4))])
    gradchecks(lambda a: minigrad.scatter(a, 1, index, value=0.5), [random_array(1, (3, 3))])


def test_scatter_in_place_and_errors():
    x = minigrad.zeros(2, 3)
    x.scatter_(1, minigrad.tensor([[2], [0]]), minigrad.tensor([[5.0], [7.0]]))
    assert x.tolist() == [[0, 0, 5], [7, 0, 0]]
    x.scatter_add_(1, minigrad.tensor([[2], [0]]), minigrad.tensor([[1.0], [1.0]]))
    assert x.tolist() == [[0, 0, 6], [8, 0, 0]]
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        minigrad.scatter(x, 0, minigrad.tensor([[0.0]]), 1.0)
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 0 with size 2"):
        minigrad.scatter(x, 0, minigrad.tensor([[5]]), 1.0)
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        minigrad.scatter(x, 0, minigrad.tensor([[0]]), minigrad.ones(1, 1, dtype=minigrad.float64))


@st.composite
def along_case(draw, unique=False, negative=False):
    shape = draw(shapes)
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    size = shape[dim]
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if unique:
        index = rng.permutation(size)[:draw(st.integers(0, size))]
    else:
        index = rng.integers(-size if negative else 0, size, size=draw(st.integers(0, 5)))
    return shape, dim, index.astype(np.int64), int(rng.integers(0, 2**16))


def _source_shape(shape, dim, count):
    shape = list(shape)
    shape[dim] = count
    return tuple(shape)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(case=along_case(), alpha=st.sampled_from([1, 2.5, -1]))
def test_index_add_matches_torch_with_repeated_indices(torch, dtype, case, alpha):
    shape, dim, index, seed = case
    x, src = random_array(seed, shape, dtype), random_array(seed + 1, _source_shape(shape, dim, len(index)), dtype)
    i_m, i_t = minigrad.tensor(index), torch.from_numpy(index)
    check_against_torch(torch, lambda a, s: minigrad.index_add(a, dim, i_m, s, alpha=alpha),
                        lambda a, s: torch.index_add(a, dim, i_t, s, alpha=alpha), [x, src])
    check_against_torch(torch, lambda a, s: a.index_add(dim, i_m, s), lambda a, s: a.index_add(dim, i_t, s), [x, src])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(case=along_case(unique=True))
def test_index_copy_and_index_fill_match_torch(torch, dtype, case):
    shape, dim, index, seed = case
    x, src = random_array(seed, shape, dtype), random_array(seed + 1, _source_shape(shape, dim, len(index)), dtype)
    i_m, i_t = minigrad.tensor(index), torch.from_numpy(index)
    check_against_torch(torch, lambda a, s: minigrad.index_copy(a, dim, i_m, s), lambda a, s: torch.index_copy(a, dim, i_t, s), [x, src])
    check_against_torch(torch, lambda a: minigrad.index_fill(a, dim, i_m, -3.0), lambda a: torch.index_fill(a, dim, i_t, -3.0), [x])
    negative = index - shape[dim]  # index_fill (only) wraps negative indices
    check_against_torch(torch, lambda a: a.index_fill(dim, minigrad.tensor(negative), 2.0),
                        lambda a: a.index_fill(dim, torch.from_numpy(negative), 2.0), [x])
    value = np.array(1.25, dtype=dtype)  # a 0-d tensor value gets the gradient of what it filled
    check_against_torch(torch, lambda a, v: a.index_fill(dim, i_m, v), lambda a, v: a.index_fill(dim, i_t, v), [x, value])


def test_index_ops_gradcheck_gradgradcheck_and_in_place():
    index = minigrad.tensor([2, 0, 2])
    gradchecks(lambda a, s: minigrad.index_add(a, 1, index, s, alpha=2.0), [random_array(1, (2, 3)), random_array(2, (2, 3))])
    gradchecks(lambda a, s: minigrad.index_copy(a, 0, minigrad.tensor([1, 0]), s), [random_array(1, (3, 2)), random_array(2, (2, 2))])
    gradchecks(lambda a: minigrad.index_fill(a, 1, index, 0.5), [random_array(1, (2, 3))])
    x = minigrad.zeros(3)
    x.index_add_(0, minigrad.tensor([0, 0]), minigrad.tensor([1.0, 2.0]))
    x.index_fill_(0, minigrad.tensor([2]), 9.0)
    x.index_copy_(0, minigrad.tensor([1]), minigrad.tensor([4.0]))
    assert x.tolist() == [3.0, 4.0, 9.0]
    with pytest.raises(IndexError, match="index out of range in self"):
        minigrad.index_add(x, 0, minigrad.tensor([3]), minigrad.ones(1))
    with pytest.raises(IndexError, match=r"index_copy_\(\): index -1 is out of bounds for dimension 0 with size 3"):
        minigrad.index_copy(x, 0, minigrad.tensor([-1]), minigrad.ones(1))
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0 with size 3"):
        minigrad.index_fill(x, 0, minigrad.tensor([-4]), 1.0)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_matches_torch(torch, dtype, accumulate):
    rng = np.random.default_rng(0)
    for shape in [(5,), (4, 3), (2, 3, 4)]:
        rows = np.array([0, 1, 1] if accumulate else [0, 1, 3 % shape[0]], dtype=np.int64) % shape[0]
        if not accumulate:
            rows = np.unique(rows)
        x = random_array(1, shape, dtype)
        for values_shape in [(len(rows),) + shape[1:], shape[1:], ()]:
            values = rng.standard_normal(values_shape).astype(dtype)
            check_against_torch(torch, lambda a, v: minigrad.index_put(a, (minigrad.tensor(rows),), v, accumulate),
                                lambda a, v: torch.index_put(a, (torch.from_numpy(rows),), v, accumulate), [x, values])
        mask = x > 0
        check_against_torch(torch, lambda a, v: a.index_put((minigrad.tensor(mask),), v, accumulate=accumulate),
                            lambda a, v: a.index_put((torch.from_numpy(mask),), v, accumulate=accumulate),
                            [x, np.array(0.5, dtype=dtype)])


def test_index_put_gradcheck_and_in_place():
    rows = minigrad.tensor([0, 2, 2])
    gradchecks(lambda a, v: minigrad.index_put(a, (rows,), v, accumulate=True), [random_array(1, (3, 2)), random_array(2, (3, 2))])
    gradchecks(lambda a, v: minigrad.index_put(a, (minigrad.tensor([1]), minigrad.tensor([0])), v), [random_array(1, (3, 2)), random_array(2, ())])
    x = minigrad.zeros(2, 2)
    x.index_put_((minigrad.tensor([1]), minigrad.tensor([0])), minigrad.tensor(3.0))
    assert x.tolist() == [[0, 0], [3, 0]]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(shapes=st.sampled_from([((3, 4), (3, 4)), ((3, 4), (4,)), ((1, 4), (3, 1)), ((), (2, 2)), ((2, 3), ())]),
       seed=st.integers(0, 2**16))
def test_masked_select_matches_torch_with_broadcasting(torch, dtype, shapes, seed):
    x = random_array(seed, shapes[0], dtype)
    mask = np.asarray(np.random.default_rng(seed).random(shapes[1]) > 0.5)
    check_against_torch(torch, lambda a: minigrad.masked_select(a, minigrad.tensor(mask)),
                        lambda a: torch.masked_select(a, torch.from_numpy(mask)), [x])
    check_against_torch(torch, lambda a: a.masked_select(minigrad.tensor(mask)), lambda a: a.masked_select(torch.from_numpy(mask)), [x])


def test_masked_select_gradchecks_and_needs_a_bool_mask():
    mask = minigrad.tensor([[True, False, True]])
    gradchecks(lambda a: minigrad.masked_select(a, mask), [random_array(1, (2, 3))])
    with pytest.raises(RuntimeError, match="expected BoolTensor for mask"):
        minigrad.masked_select(minigrad.ones(3), minigrad.tensor([1, 0, 1]))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(case=shapes.flatmap(lambda s: st.tuples(st.just(s), st.none() | st.integers(-len(s), len(s) - 1))),
       seed=st.integers(0, 2**16), broadcast=st.booleans())
def test_take_along_dim_matches_torch(torch, dtype, case, seed, broadcast):
    shape, dim = case
    rng = np.random.default_rng(seed)
    x = random_array(seed, shape, dtype)
    if dim is None:
        index = rng.integers(0, x.size, size=(rng.integers(1, 6),))
    else:
        index_shape = [1 if broadcast and rng.random() < 0.5 else n for n in shape]
        index_shape[dim] = int(rng.integers(1, 5))
        index = rng.integers(-shape[dim], shape[dim], size=index_shape)  # negatives wrap along a dim
    i_m, i_t = minigrad.tensor(index), torch.from_numpy(index)
    check_against_torch(torch, lambda a: minigrad.take_along_dim(a, i_m, dim), lambda a: torch.take_along_dim(a, i_t, dim), [x])
    check_against_torch(torch, lambda a: a.take_along_dim(i_m, dim=dim), lambda a: a.take_along_dim(i_t, dim=dim), [x])


def test_take_along_dim_gradchecks():
    gradchecks(lambda a: minigrad.take_along_dim(a, minigrad.tensor([[0, 0, 2]]), 1), [random_array(1, (2, 3))])
    gradchecks(lambda a: minigrad.take_along_dim(a, minigrad.tensor([5, 0, 5])), [random_array(1, (2, 3))])


@FAST
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple), seed=st.integers(0, 2**16))
def test_nonzero_matches_torch_both_forms(torch, shape, seed):
    x = np.asarray((np.random.default_rng(seed).random(shape) > 0.6).astype(np.float32))
    m, t = minigrad.tensor(x), torch.from_numpy(x)
    out = minigrad.nonzero(m)
    assert out.dtype == minigrad.int64 and tuple(out.shape) == tuple(torch.nonzero(t).shape)
    np.testing.assert_array_equal(out.numpy(), torch.nonzero(t).numpy())
    np.testing.assert_array_equal(m.nonzero().numpy(), t.nonzero().numpy())
    np.testing.assert_array_equal(minigrad.argwhere(m).numpy(), torch.argwhere(t).numpy())
    m_tuple, t_tuple = minigrad.nonzero(m, as_tuple=True), torch.nonzero(t, as_tuple=True)
    assert len(m_tuple) == len(t_tuple)
    for a, b in zip(m_tuple, t_tuple):
        assert a.dtype == minigrad.int64
        np.testing.assert_array_equal(a.numpy(), b.numpy())


BAD_CALLS = {  # name -> call(lib, tensor) that torch rejects
    "index_add float index": lambda lib, t: lib.index_add(t([1.0, 2.0]), 0, t([0.0]), t([1.0])),
    "index_add 2-d index": lambda lib, t: lib.index_add(t([1.0, 2.0]), 0, t([[0]]), t([1.0])),
    "index_add dtypes": lambda lib, t: lib.index_add(t([1.0, 2.0]), 0, t([0]), t([1])),
    "index_add count": lambda lib, t: lib.index_add(t([1.0, 2.0]), 0, t([0]), t([1.0, 2.0])),
    "index_add slice shape": lambda lib, t: lib.index_add(t([[1.0, 2.0, 3.0]] * 2), 0, t([0]), t([[1.0, 2.0]])),
    "index_add range": lambda lib, t: lib.index_add(t([1.0, 2.0]), 0, t([2]), t([1.0])),
    "index_copy float index": lambda lib, t: lib.index_copy(t([1.0, 2.0]), 0, t([0.0]), t([1.0])),
    "index_copy count": lambda lib, t: lib.index_copy(t([1.0, 2.0]), 0, t([0]), t([1.0, 2.0])),
    "index_copy slice shape": lambda lib, t: lib.index_copy(t([[1.0, 2.0, 3.0]] * 2), 0, t([0]), t([[1.0, 2.0]])),
    "index_copy range": lambda lib, t: lib.index_copy(t([1.0, 2.0]), 0, t([-1]), t([1.0])),
    "index_fill float index": lambda lib, t: lib.index_fill(t([1.0, 2.0]), 0, t([0.0]), 1.0),
    "index_fill 2-d index": lambda lib, t: lib.index_fill(t([1.0, 2.0]), 0, t([[0]]), 1.0),
    "index_fill range": lambda lib, t: lib.index_fill(t([1.0, 2.0]), 0, t([-3]), 1.0),
    "scatter index dtype": lambda lib, t: lib.scatter(t([1.0, 2.0]), 0, t([0.0]), 1.0),
    "scatter range": lambda lib, t: lib.scatter(t([1.0, 2.0]), 0, t([2]), 1.0),
    "take_along_dim ndim": lambda lib, t: lib.take_along_dim(t([[1.0]]), t([0]), 0),
    "masked_select mask": lambda lib, t: lib.masked_select(t([1.0]), t([1.0])),
}


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_bad_arguments_raise_torchs_error(torch, name):
    with pytest.raises(Exception) as expected:
        BAD_CALLS[name](torch, torch.tensor)
    with pytest.raises(type(expected.value)) as raised:
        BAD_CALLS[name](minigrad, minigrad.tensor)
    assert str(raised.value).splitlines()[0] == str(expected.value).splitlines()[0]
