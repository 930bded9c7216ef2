"""Reductions (minigrad/ops/reduction.py): sum ... logsumexp, softmax, gather / scatter-add, against
torch over generated shapes and dims (int, tuple, negative, keepdim), plus gradcheck and
gradgradcheck in float64."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from utils import FLOAT_DTYPES, check_against_torch, gradchecks, random_array

FAST = settings(max_examples=15, deadline=None)
GRADCHECK = settings(max_examples=4, deadline=None)


@st.composite
def shape_and_dims(draw, max_dims=3, max_side=4, allow_none=True, min_dims=0):
    """A shape and a ``dim`` argument for it: None, an int (maybe negative) or a tuple of ints."""
    shape = tuple(draw(st.lists(st.integers(1, max_side), min_size=min_dims, max_size=max_dims)))
    ndim = len(shape)
    options = [st.none()] if allow_none else []
    if ndim:
        options.append(st.integers(-ndim, ndim - 1))
        options.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).flatmap(
            lambda dims: st.tuples(*[st.sampled_from([d, d - ndim]) for d in dims])))
    dim = draw(st.one_of(*options)) if options else None
    return shape, dim


def _kw(dim, keepdim):
    return {} if dim is None else {"dim": dim, "keepdim": keepdim}


REDUCTIONS = {
    "sum": (lambda x, **kw: x.sum(**kw), lambda x, **kw: x.sum(**kw)),
    "mean": (lambda x, **kw: x.mean(**kw), lambda x, **kw: x.mean(**kw)),
    "var": (lambda x, **kw: x.var(**kw), lambda x, **kw: x.var(**kw)),
    "std": (lambda x, **kw: x.std(**kw), lambda x, **kw: x.std(**kw)),
    "var_biased": (lambda x, **kw: x.var(correction=0, **kw), lambda x, **kw: x.var(correction=0, **kw)),
    "std_unbiased_false": (lambda x, **kw: minigrad.std(x, unbiased=False, **kw),
                           lambda x, **kw: x.std(unbiased=False, **kw)),
    "amax": (lambda x, **kw: x.amax(**kw), lambda x, **kw: x.amax(**kw)),
    "amin": (lambda x, **kw: x.amin(**kw), lambda x, **kw: x.amin(**kw)),
    "logsumexp": (lambda x, **kw: x.logsumexp(**kw), lambda x, **kw: x.logsumexp(**kw)),
    "norm": (lambda x, **kw: x.norm(2, **kw), lambda x, **kw: x.norm(2, **kw)),  # p="fro" over 3+ dims is an error
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@FAST
@given(case=shape_and_dims(), keepdim=st.booleans(), dtype=st.sampled_from(FLOAT_DTYPES), seed=st.integers(0, 2**16))
def test_reduction_matches_torch_over_dims_and_keepdim(torch, name, case, keepdim, dtype, seed):
    shape, dim = case
    mg_fn, th_fn = REDUCTIONS[name]
    if name in ("logsumexp",) and dim is None:
        dim = tuple(range(len(shape)))  # torch's logsumexp needs dim
    x = random_array(seed, shape, dtype)
    if name in ("var", "std", "var_biased", "std_unbiased_false", "norm") and x.size > 0:
        x = x + np.arange(x.size, dtype=dtype).reshape(shape) * 0.1  # no zero variance / norm: sqrt' is finite
    kw = {"dim": dim, "keepdim": keepdim} if dim is not None else ({} if name not in ("norm",) else {})
    check_against_torch(torch, lambda t: mg_fn(t, **kw), lambda t: th_fn(t, **kw), [x])


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@GRADCHECK
@given(case=shape_and_dims(max_side=3), keepdim=st.booleans(), seed=st.integers(0, 2**16))
def test_reduction_gradcheck_and_gradgradcheck(name, case, keepdim, seed):
    shape, dim = case
    if name == "logsumexp" and dim is None:
        dim = tuple(range(len(shape)))
    mg_fn = REDUCTIONS[name][0]
    reduced = int(np.prod([shape[d] for d in ({dim} if isinstance(dim, int) else set(dim or range(len(shape))))]))
    if name in ("var", "std") and reduced == 1:
        return  # 1 / (n - 1) with n = 1: nan, which no check can compare
    # distinct values: max / min are differentiable, variance is not zero
    x = np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) * 0.3 + 0.1
    kw = {"dim": dim, "keepdim": keepdim} if dim is not None else {}
    gradchecks(lambda t: mg_fn(t, **kw), [x])


@pytest.mark.parametrize("name", ["prod"])
@FAST
@given(shape=st.lists(st.integers(1, 4), max_size=3).map(tuple), keepdim=st.booleans(), dtype=st.sampled_from(FLOAT_DTYPES),
       zeros=st.integers(0, 2), seed=st.integers(0, 2**16), data=st.data())
def test_prod_matches_torch_including_zeros(torch, name, shape, keepdim, dtype, zeros, seed, data):
    x = random_array(seed, shape, dtype, 0.5, 1.5)
    flat = x.reshape(-1)
    for k in range(min(zeros, flat.size)):
        flat[(seed + 7 * k) % flat.size] = 0.0  # zero, one or two zeros: the three cases of prod's gradient
    dim = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
    kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    check_against_torch(torch, lambda t: t.prod(**kw), lambda t: t.prod(**kw), [x])


@pytest.mark.parametrize("zeros", [0, 1, 2])
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_prod_gradcheck_and_gradgradcheck_with_zeros(zeros, dim):
    x = random_array(zeros, (3, 4), np.float64, 0.5, 1.5)
    x[1, :zeros] = 0.0
    x[2, 1] = 0.0 if zeros == 2 else x[2, 1]
    kw = {} if dim is None else {"dim": dim}
    gradchecks(lambda t: t.prod(**kw), [x])


@pytest.mark.parametrize("name", ["max", "min"])
@FAST
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), keepdim=st.booleans(),
       dtype=st.sampled_from(FLOAT_DTYPES), seed=st.integers(0, 2**16), data=st.data())
def test_max_min_with_dim_give_values_and_first_indices_as_torch(torch, name, shape, keepdim, dtype, seed, data):
    x = np.asarray(np.round(random_array(seed, shape, dtype), 0))  # ties: torch returns the first index
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    mg, th = check_against_torch(torch, lambda t: getattr(t, name)(dim, keepdim)[0],
                                 lambda t: getattr(t, name)(dim, keepdim)[0], [x])
    mg_result = getattr(minigrad.tensor(x), name)(dim=dim, keepdim=keepdim)
    th_result = getattr(torch.from_numpy(x), name)(dim=dim, keepdim=keepdim)
    assert mg_result.indices.dtype is minigrad.int64
    np.testing.assert_array_equal(mg_result.indices.numpy(), th_result.indices.numpy())
    values, indices = mg_result  # unpacks like torch's named tuple
    np.testing.assert_array_equal(values.numpy(), th_result.values.numpy())


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_full_max_and_min_share_the_gradient_among_ties_as_torch(torch, name):
    x = np.array([[1.0, 3.0, 3.0], [3.0, -1.0, 0.5]])
    check_against_torch(torch, lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x])
    if name.startswith("a"):
        check_against_torch(torch, lambda t: getattr(t, name)(1), lambda t: getattr(t, name)(1), [x])


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_gradcheck_and_gradgradcheck(name):
    x = np.random.default_rng(1).permutation(12).reshape(3, 4) * 0.5
    gradchecks(lambda t: getattr(t, name)(), [x])
    gradchecks(lambda t: getattr(t, name)(1)[0], [x])
    gradchecks(lambda t: getattr(t, name)(0, keepdim=True).values, [x])


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@FAST
@given(shape=st.lists(st.integers(1, 4), max_size=3).map(tuple), keepdim=st.booleans(), seed=st.integers(0, 2**16),
       data=st.data())
def test_argmax_argmin_match_torch(torch, name, shape, keepdim, seed, data):
    x = np.asarray(np.round(random_array(seed, shape, np.float32), 0))
    dim = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
    out = getattr(minigrad.tensor(x), name)(dim=dim, keepdim=keepdim)
    expected = getattr(torch.from_numpy(x), name)(dim=dim, keepdim=keepdim)
    assert out.dtype is minigrad.int64 and tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@FAST
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), dtype=st.sampled_from(FLOAT_DTYPES),
       seed=st.integers(0, 2**16), data=st.data())
def test_softmax_and_log_softmax_match_torch(torch, function, shape, dtype, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = random_array(seed, shape, dtype, -3, 3)
    check_against_torch(torch, lambda t: getattr(minigrad, function)(t, dim), lambda t: getattr(torch, function)(t, dim), [x])


@pytest.mark.parametrize("function", ["softmax", "log_softmax", "logsumexp"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family_gradcheck_and_gradgradcheck(function, dim):
    x = random_array(5, (3, 4), np.float64, -2, 2)
    gradchecks(lambda t: getattr(minigrad, function)(t, dim), [x])


@pytest.mark.parametrize("function", ["softmax", "log_softmax", "logsumexp"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_softmax_family_is_stable_for_large_values(torch, function, dtype):
    x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0], [1e4, 0.0, -1e4]], dtype=dtype)
    mg, _ = check_against_torch(torch, lambda t: getattr(minigrad, function)(t, 1),
                                lambda t: getattr(torch, function)(t, 1), [x])
    assert np.isfinite(mg[0].detach().numpy()).all()


@pytest.mark.parametrize("function", ["std", "norm"])
def test_std_and_norm_have_zero_gradient_where_they_are_zero_as_torch(torch, function):
    x = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 4.0]])
    check_against_torch(torch, lambda t: getattr(t, function)(dim=1), lambda t: getattr(t, function)(dim=1), [x])


def test_logsumexp_of_all_minus_infinity_is_minus_infinity(torch):
    x = np.array([[-np.inf, -np.inf], [0.0, -np.inf]])
    out = minigrad.tensor(x).logsumexp(1)
    np.testing.assert_array_equal(out.numpy(), torch.from_numpy(x).logsumexp(1).numpy())


def test_integer_sum_gives_int64_and_mean_of_integers_raises_as_torch(torch):
    x = minigrad.tensor([[1, 2], [3, 4]], dtype=minigrad.int32)
    assert x.sum().dtype is minigrad.int64 and x.sum().item() == 10
    assert minigrad.tensor([True, True, False]).sum().item() == 2
    assert x.sum(dtype=minigrad.float64).dtype is minigrad.float64
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        x.mean()
    with pytest.raises(RuntimeError, match="could not infer output dtype"):
        torch.tensor([1, 2]).mean()


def test_reducing_an_empty_tensor_follows_torch(torch):
    assert minigrad.zeros(0).sum().item() == torch.zeros(0).sum().item() == 0
    assert np.isnan(minigrad.zeros(0).mean().item()) and np.isnan(torch.zeros(0).mean().item())
    assert minigrad.zeros(0).prod().item() == 1
    for module in (minigrad, torch):
        with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified for input.numel\(\) == 0"):
            module.zeros(0).max()
        with pytest.raises(RuntimeError, match="amin\\(\\): Expected reduction dim to be specified"):
            module.zeros(0).amin()
        with pytest.raises(IndexError, match=r"amax\(\): Expected reduction dim 1 to have non-zero size"):
            module.zeros(2, 0).amax(1)
        with pytest.raises(IndexError, match=r"argmax\(\): Expected reduction dim to be specified"):
            module.zeros(0).argmax()
        assert tuple(module.zeros(0, 3).max(1).values.shape) == (0,)


def test_reduction_dim_out_of_range_raises_torchs_index_error(torch):
    for module in (minigrad, torch):
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
            module.zeros(2, 3).sum(2)


@FAST
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), dtype=st.sampled_from(FLOAT_DTYPES),
       seed=st.integers(0, 2**16), data=st.data())
def test_gather_matches_torch_and_repeated_indices_accumulate(torch, shape, dtype, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    index_shape = tuple(data.draw(st.integers(1, s + 2)) if d != dim % len(shape) else data.draw(st.integers(1, 5))
                        for d, s in enumerate(shape))
    index_shape = tuple(min(i, s) if d != dim % len(shape) else i for d, (i, s) in enumerate(zip(index_shape, shape)))
    index = np.random.default_rng(seed).integers(0, shape[dim], size=index_shape)
    x = random_array(seed, shape, dtype)
    check_against_torch(torch, lambda t: minigrad.gather(t, dim, minigrad.tensor(index)),
                        lambda t: torch.gather(t, dim, torch.from_numpy(index)), [x])
    gradchecks(lambda t: minigrad.gather(t, dim, minigrad.tensor(index)), [x])


def test_scatter_add_matches_torch_and_is_differentiable(torch):
    x = random_array(0, (3, 4), np.float64)
    src = random_array(1, (2, 4), np.float64)
    index = np.array([[0, 1, 2, 0], [0, 0, 2, 1]])
    check_against_torch(torch, lambda a, s: minigrad.ops.scatter_add(a, 0, minigrad.tensor(index), s),
                        lambda a, s: a.scatter_add(0, torch.from_numpy(index), s), [x, src])
    gradchecks(lambda a, s: minigrad.ops.scatter_add(a, 0, minigrad.tensor(index), s), [x, src])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_matches_torch_and_is_differentiable(torch, dim):
    x = random_array(2, (3, 4), np.float32)
    check_against_torch(torch, lambda t: t.cumsum(dim), lambda t: t.cumsum(dim), [x])
    gradchecks(lambda t: t.cumsum(dim), [x])


def test_all_any_and_count_nonzero_match_torch(torch):
    x = np.array([[0, 1, 2], [0, 0, 3]])
    for name in ("all", "any"):
        for kw in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}):
            out = getattr(minigrad.tensor(x), name)(**kw)
            expected = getattr(torch.from_numpy(x), name)(**kw)
            assert out.dtype is minigrad.bool
            np.testing.assert_array_equal(out.numpy(), expected.numpy())
    np.testing.assert_array_equal(minigrad.tensor(x).count_nonzero(1).numpy(),
                                  torch.from_numpy(x).count_nonzero(1).numpy())


@pytest.mark.parametrize("call", [
    lambda t: t.sum(0), lambda t: t.sum(-1, keepdim=True), lambda t: t.mean(0), lambda t: t.amax(0),
    lambda t: t.logsumexp(0), lambda t: t.cumsum(0), lambda t: t.softmax(0), lambda t: t.log_softmax(-1),
    lambda t: t.max(0)[0], lambda t: t.prod(0), lambda t: t.var(0, correction=0),
])
def test_zero_dim_tensors_accept_dim_0_and_minus_1_as_torch(torch, call):
    check_against_torch(torch, call, call, [np.array(1.5)])


@pytest.mark.parametrize("name", ["sum", "mean"])
def test_an_empty_dim_tuple_reduces_every_dim_as_torch(torch, name):
    x = random_array(0, (2, 3), np.float32)
    check_against_torch(torch, lambda t: getattr(t, name)(dim=()), lambda t: getattr(t, name)(dim=()), [x])
