"""Shape ops (minigrad/ops/shape.py): reshape ... flip against torch (values, gradients, float32 and
float64, generated shapes) with float64 gradcheck and gradgradcheck, and torch's error messages."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from utils import FLOAT_DTYPES, check_against_torch, gradchecks, random_array

FAST = settings(max_examples=12, deadline=None)

shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


def both(torch, fn, x, check_grad=True):
    """Compare ``fn`` (written once, with methods both libraries share) on minigrad and torch, then
    gradcheck it in float64."""
    check_against_torch(torch, fn, fn, [x])
    if check_grad and x.size <= 36:
        gradchecks(fn, [x])


@FAST
@given(shape=shapes, dtype=st.sampled_from(FLOAT_DTYPES), seed=st.integers(0, 2**16), data=st.data())
def test_reshape_and_view_with_inferred_dim_match_torch(torch, shape, dtype, seed, data):
    x = random_array(seed, shape, dtype)
    n = x.size
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    first = data.draw(st.sampled_from(divisors))
    both(torch, lambda t: t.reshape(first, -1) * 1, x)
    both(torch, lambda t: t.view(-1, first) * 1, x)
    both(torch, lambda t: t.reshape(n) * 1, x)


@FAST
@given(shape=shapes, dtype=st.sampled_from(FLOAT_DTYPES), seed=st.integers(0, 2**16), data=st.data())
def test_permute_transpose_and_T_match_torch(torch, shape, dtype, seed, data):
    x = random_array(seed, shape, dtype)
    order = data.draw(st.permutations(range(len(shape))))
    negative = [d - len(shape) if k % 2 else d for k, d in enumerate(order)]
    both(torch, lambda t: t.permute(*negative) * 1, x)
    a, b = data.draw(st.integers(-len(shape), len(shape) - 1)), data.draw(st.integers(-len(shape), len(shape) - 1))
    both(torch, lambda t: t.transpose(a, b) * 1, x)
    if len(shape) == 2:
        both(torch, lambda t: t.T * 1, x)
        both(torch, lambda t: t.t() * 1, x)
    both(torch, lambda t: t.mT * 1 if t.ndim >= 2 else t * 1, x)


@FAST
@given(shape=shapes, dtype=st.sampled_from(FLOAT_DTYPES), seed=st.integers(0, 2**16), data=st.data())
def test_flatten_squeeze_unsqueeze_match_torch(torch, shape, dtype, seed, data):
    shape = tuple(1 if data.draw(st.booleans()) else s for s in shape)  # some size-1 dims to squeeze
    x = random_array(seed, shape, dtype)
    ndim = len(shape)
    start = data.draw(st.integers(-ndim, ndim - 1))
    end = data.draw(st.integers(start % ndim, ndim - 1))
    both(torch, lambda t: t.flatten(start, end) * 1, x)
    both(torch, lambda t: t.flatten() * 1, x)
    both(torch, lambda t: t.squeeze() * 1, x)
    d = data.draw(st.integers(-ndim, ndim - 1))
    both(torch, lambda t: t.squeeze(d) * 1, x)
    u = data.draw(st.integers(-ndim - 1, ndim))
    both(torch, lambda t: t.unsqueeze(u) * 1, x)


def test_squeeze_with_a_tuple_of_dims_matches_torch(torch):
    x = random_array(0, (1, 3, 1, 2), np.float32)
    both(torch, lambda t: t.squeeze((0, 2)) * 1, x)
    both(torch, lambda t: t.squeeze((-1, 0)) * 1, x)


@FAST
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple), dtype=st.sampled_from(FLOAT_DTYPES),
       seed=st.integers(0, 2**16), data=st.data())
def test_expand_and_repeat_match_torch(torch, shape, dtype, seed, data):
    shape = tuple(1 if data.draw(st.booleans()) else s for s in shape)
    x = random_array(seed, shape, dtype)
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))
    target = tuple(lead) + tuple(data.draw(st.sampled_from([-1, 2, 3])) if s == 1 else data.draw(st.sampled_from([-1, s]))
                                 for s in shape)
    both(torch, lambda t: t.expand(*target) * 1, x)
    repeats = tuple(lead) + tuple(data.draw(st.integers(1, 3)) for _ in shape)
    both(torch, lambda t: t.repeat(*repeats), x)


@FAST
@given(shape=shapes, dtype=st.sampled_from(FLOAT_DTYPES), seed=st.integers(0, 2**16), data=st.data())
def test_cat_and_stack_match_torch(torch, shape, dtype, seed, data):
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    sizes = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    arrays = [random_array(seed + k, tuple(s if d != dim % ndim else n for d, s in enumerate(shape)), dtype)
              for k, n in enumerate(sizes)]
    check_against_torch(torch, lambda *ts: minigrad.cat(ts, dim), lambda *ts: torch.cat(ts, dim), arrays)
    same = [random_array(seed + k, shape, dtype) for k in range(len(sizes))]
    stack_dim = data.draw(st.integers(-ndim - 1, ndim))
    check_against_torch(torch, lambda *ts: minigrad.stack(ts, stack_dim), lambda *ts: torch.stack(ts, stack_dim), same)


def test_cat_and_stack_gradcheck_and_gradgradcheck():
    a, b = random_array(0, (2, 3)), random_array(1, (2, 2))
    gradchecks(lambda x, y: minigrad.cat([x, y], 1), [a, b])
    gradchecks(lambda x, y: minigrad.stack([x, y * 2], 0), [a, a + 1])


def test_cat_promotes_dtypes_and_skips_legacy_empty_tensors(torch):
    parts = [np.array([1, 2]), np.array([0.5], dtype=np.float32), np.zeros(0, dtype=np.float64)]
    out = minigrad.cat([minigrad.tensor(p) for p in parts])
    expected = torch.cat([torch.from_numpy(p) for p in parts])
    assert out.dtype.name == str(expected.dtype).split(".")[1]
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    m = minigrad.cat([minigrad.zeros(2, 3), minigrad.zeros(0)])
    assert tuple(m.shape) == tuple(torch.cat([torch.zeros(2, 3), torch.zeros(0)]).shape)


@FAST
@given(shape=shapes, dtype=st.sampled_from(FLOAT_DTYPES), seed=st.integers(0, 2**16), data=st.data())
def test_split_chunk_and_unbind_match_torch(torch, shape, dtype, seed, data):
    x = random_array(seed, shape, dtype)
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    size = shape[dim]
    step = data.draw(st.integers(1, size + 1))
    check_against_torch(torch, lambda t: t.split(step, dim), lambda t: t.split(step, dim), [x])
    sections = data.draw(st.lists(st.integers(0, size), min_size=1, max_size=3).filter(lambda s: sum(s) <= size))
    sections = sections + [size - sum(sections)]
    check_against_torch(torch, lambda t: t.split(sections, dim), lambda t: t.split(sections, dim), [x])
    chunks = data.draw(st.integers(1, 5))
    check_against_torch(torch, lambda t: t.chunk(chunks, dim), lambda t: t.chunk(chunks, dim), [x])
    check_against_torch(torch, lambda t: t.unbind(dim), lambda t: t.unbind(dim), [x])


def test_split_and_chunk_gradcheck_and_gradgradcheck():
    x = random_array(2, (5, 2))
    gradchecks(lambda t: t.split(2, 0), [x])
    gradchecks(lambda t: t.chunk(3, 0)[1] * t.chunk(3, 0)[0], [x])


@FAST
@given(shape=shapes, dtype=st.sampled_from(FLOAT_DTYPES), seed=st.integers(0, 2**16), data=st.data())
def test_flip_matches_torch(torch, shape, dtype, seed, data):
    x = random_array(seed, shape, dtype)
    ndim = len(shape)
    dims = data.draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    dims = [d - ndim if k % 2 else d for k, d in enumerate(dims)]
    both(torch, lambda t: t.flip(dims) * 1, x)


def test_movedim_narrow_and_index_select_match_torch(torch):
    x = random_array(4, (2, 3, 4), np.float32)
    both(torch, lambda t: t.movedim(0, -1) * 1, x)
    both(torch, lambda t: t.movedim((0, 1), (2, 0)) * 1, x)
    both(torch, lambda t: t.narrow(2, 1, 2) * 1, x)
    index = np.array([2, 0, 2])
    check_against_torch(torch, lambda t: t.index_select(1, minigrad.tensor(index)),
                        lambda t: t.index_select(1, torch.from_numpy(index)), [x])
    gradchecks(lambda t: t.index_select(1, minigrad.tensor(index)), [x])


@pytest.mark.parametrize("call, message", [
    (lambda m, x: x.reshape(4, 4), r"shape '\[4, 4\]' is invalid for input of size 6"),
    (lambda m, x: x.reshape(-1, -1), "only one dimension can be inferred"),
    (lambda m, x: x.permute(0, 0), "duplicate dims are not allowed"),
    (lambda m, x: x.expand(3, 3), r"The expanded size of the tensor \(3\) must match the existing size \(2\) at non-singleton dimension 0"),
    (lambda m, x: m.cat([x, m.zeros(3, 2)], 0),
     "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 2 for tensor number 1 in the list"),
    (lambda m, x: m.stack([x, m.zeros(3, 2)]), "stack expects each tensor to be equal size"),
    (lambda m, x: x.split([1, 2], 0), "split_with_sizes expects split_sizes to sum exactly to 2"),
    (lambda m, x: x.transpose(0, 2), r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda m, x: x.flatten(1, 0), "flatten\\(\\) has invalid args: start_dim cannot come after end_dim"),
])
def test_bad_shape_arguments_raise_torchs_errors(torch, call, message):
    with pytest.raises((RuntimeError, IndexError), match=message):
        call(torch, torch.zeros(2, 3))
    with pytest.raises((RuntimeError, IndexError), match=message):
        call(minigrad, minigrad.zeros(2, 3))


def test_reshape_of_a_tensor_to_its_own_shape_is_still_differentiable(torch):
    x = random_array(0, (2, 3), np.float32)
    both(torch, lambda t: t.reshape(2, 3), x)
    both(torch, lambda t: t.expand(2, 3), x)
