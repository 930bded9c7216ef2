"""Norms (``ops/linalg.py``, ``minigrad.linalg``): torch.norm, linalg.vector_norm / matrix_norm / norm
and the SVD they use, against torch: values in float32 and float64, gradients (torch's conventions at
zeros and ties), gradcheck and gradgradcheck, and torch's errors."""
import itertools

import numpy as np
import pytest

import minigrad
from minigrad.autograd.gradcheck import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

INF = float("inf")
VECTOR_ORDS = [0, 1, 2, 3, 0.5, 1.5, -1, -0.5, INF, -INF]
MATRIX_ORDS = ["fro", "nuc", 1, -1, 2, -2, INF, -INF]


def _array(shape, seed=0, zeros=False, ties=False):
    a = np.random.default_rng(seed).standard_normal(shape)
    if zeros and a.size:
        a.reshape(-1)[:: 3] = 0.0
    if ties and a.size > 1:
        a.reshape(-1)[1] = -a.reshape(-1)[0]  # equal absolute values: inf norms share the gradient
    return a


def _compare(ours_fn, torch_fn, array, dtype="float64", grad=True):
    """Values (and gradients of the sum of the output times a fixed weight) of both functions."""
    array = array.astype(dtype)
    x = minigrad.tensor(array, requires_grad=grad)
    t = torch.tensor(array, requires_grad=grad)
    try:
        expected = torch_fn(t)
    except (RuntimeError, IndexError) as error:
        with pytest.raises(type(error)) as ours_error:
            ours_fn(x)
        assert str(ours_error.value) == str(error)
        return
    ours = ours_fn(x)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    assert tuple(ours.shape) == tuple(expected.shape)
    assert str(ours.dtype)[9:] == str(expected.dtype)[6:]
    np.testing.assert_allclose(ours.detach().numpy(), expected.detach().numpy(), **tol)
    if grad and expected.requires_grad and expected.numel():
        weight = np.random.default_rng(5).uniform(0.5, 1.5, tuple(expected.shape)).astype(dtype)
        (expected * torch.tensor(weight)).sum().backward()
        (ours * minigrad.tensor(weight)).sum().backward()
        if t.grad is None:  # torch: no gradient at all (the 0-norm); minigrad: zeros
            assert not np.asarray(x.grad).any()
        else:
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), **tol)


SHAPES_AND_DIMS = [((5,), None), ((3, 4), None), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), (0, 2)), ((2, 3, 4), (2, 0, 1)),
                   ((), None), ((0, 3), 1), ((0, 3), 0), ((0, 3), None), ((3, 4), ())]


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
@pytest.mark.parametrize("shape, dim", SHAPES_AND_DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("kind", ["plain", "zeros", "ties"])
def test_vector_norm_values_and_gradients_match_torch(ord, shape, dim, keepdim, kind):
    array = _array(shape, zeros=kind == "zeros", ties=kind == "ties")
    _compare(lambda x: minigrad.linalg.vector_norm(x, ord, dim, keepdim),
             lambda t: torch.linalg.vector_norm(t, ord, dim, keepdim), array)


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
def test_vector_norm_in_float32(ord):
    _compare(lambda x: minigrad.linalg.vector_norm(x, ord, 1),
             lambda t: torch.linalg.vector_norm(t, ord, 1), _array((4, 6), zeros=True), "float32")


@pytest.mark.parametrize("ord", [1, 2, 3, 0.5, 1.5, -1, -0.5, INF, -INF], ids=str)
def test_vector_norm_gradcheck_and_gradgradcheck(ord):
    x = minigrad.tensor(_array((3, 4), seed=2), requires_grad=True)
    assert gradcheck(lambda t: minigrad.linalg.vector_norm(t, ord, 1), (x,))
    assert gradgradcheck(lambda t: minigrad.linalg.vector_norm(t, ord, (0, 1)), (x,))


def test_zero_and_minus_inf_norms_are_right_with_zero_entries():
    """The issue: norm(x, 0) and norm(x, -inf) gave wrong values, and -inf a NaN gradient."""
    x = minigrad.tensor([[1.0, -2.0], [0.0, 2.0]], requires_grad=True)
    assert minigrad.norm(x, 0).item() == 3.0
    out = minigrad.norm(x, -INF)
    assert out.item() == 0.0
    out.backward()
    assert not np.isnan(x.grad.numpy()).any()


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
@pytest.mark.parametrize("shape, dim", [((3, 4), (-2, -1)), ((4, 3), (0, 1)), ((4, 3), (1, 0)), ((2, 3, 4), (0, 2)),
                                        ((2, 2, 3), (-1, -2)), ((0, 4), (0, 1)), ((2, 0, 3), (1, 2))], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_matrix_norm_values_and_gradients_match_torch(ord, shape, dim, keepdim):
    array = _array(shape, seed=3)
    _compare(lambda x: minigrad.linalg.matrix_norm(x, ord, dim, keepdim),
             lambda t: torch.linalg.matrix_norm(t, ord, dim, keepdim), array, grad=0 not in shape)


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_matrix_norm_in_float32(ord):
    _compare(lambda x: minigrad.linalg.matrix_norm(x, ord), lambda t: torch.linalg.matrix_norm(t, ord),
             _array((2, 3, 5), seed=4), "float32")


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, INF], ids=str)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2), (2, 3, 2)], ids=str)
def test_matrix_norm_gradcheck_and_gradgradcheck(ord, shape):
    x = minigrad.tensor(_array(shape, seed=6), requires_grad=True)
    assert gradcheck(lambda t: minigrad.linalg.matrix_norm(t, ord), (x,))
    assert gradgradcheck(lambda t: minigrad.linalg.matrix_norm(t, ord), (x,))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2), (2, 3, 4)], ids=str)
def test_svd_reconstructs_and_its_gauge_invariant_uses_differentiate_twice(shape):
    a = minigrad.tensor(_array(shape, seed=7), requires_grad=True)
    u, s, vh = minigrad.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(((u * s.unsqueeze(-2)) @ vh).detach().numpy(), a.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(s.detach().numpy(), torch.linalg.svdvals(torch.tensor(a.detach().numpy())).numpy())

    def projector(t):  # U U^T and V V^T do not depend on the signs LAPACK picks
        u, s, vh = minigrad.linalg.svd(t, full_matrices=False)
        return (u @ u.mT).sum() * 0.5 + ((vh.mT @ vh) * s.sum()).sum() + (u * (s * s).unsqueeze(-2) @ vh).sum()
    assert gradcheck(projector, (a,))
    assert gradgradcheck(lambda t: minigrad.linalg.svdvals(t), (a,))


NORM_CALLS = [((), {}), ((0,), {}), ((-INF,), {}), ((INF,), {}), ((1,), {"dim": 1}), ((2, 1, True), {}),
              (("fro",), {}), (("fro", (0, 1)), {}), (("fro", 1), {}), (("nuc",), {}), (("nuc", (1, 0), True), {}),
              ((3, (0, 1)), {}), ((0.5,), {"dim": 0, "keepdim": True}), ((2,), {"dtype": "float64"}),
              ((None,), {}), (("fro", (0, 1, 2)), {}), (("nuc", 0), {}), ((2, 5), {})]


@pytest.mark.parametrize("args, kwargs", NORM_CALLS, ids=str)
@pytest.mark.parametrize("form", ["function", "method"])
def test_norm_matches_torch_norm(args, kwargs, form):
    def call(module, x):
        k = {key: getattr(module, v) if key == "dtype" else v for key, v in kwargs.items()}
        return module.norm(x, *args, **k) if form == "function" else x.norm(*args, **k)
    for dtype in ("float32", "float64"):
        _compare(lambda x: call(minigrad, x), lambda t: call(torch, t), _array((3, 4), seed=8, zeros=True), dtype)


LINALG_NORM_CALLS = [((), {}), ((None, 1), {}), ((2,), {}), (("nuc",), {}), ((INF,), {}), ((-1, (0, 1)), {}),
                     ((3, 0), {"keepdim": True}), ((None, (1, 0)), {}), (("fro", 1), {}), ((2, (0, 1, 2)), {})]


@pytest.mark.parametrize("args, kwargs", LINALG_NORM_CALLS, ids=str)
@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 4)], ids=str)
def test_linalg_norm_picks_vector_or_matrix_as_torch(args, kwargs, shape):
    _compare(lambda x: minigrad.linalg.norm(x, *args, **kwargs), lambda t: torch.linalg.norm(t, *args, **kwargs),
             _array(shape, seed=9))


@pytest.mark.parametrize("call", [
    lambda m, x: m.linalg.vector_norm(x.long(), 2), lambda m, x: m.linalg.vector_norm(x, 2, (0, 0)),
    lambda m, x: m.linalg.matrix_norm(x[0], "fro"), lambda m, x: m.linalg.matrix_norm(x, 3),
    lambda m, x: m.linalg.matrix_norm(x, "fro", (0, 0)), lambda m, x: m.linalg.matrix_norm(x, "fro", (0, 1, 2)),
    lambda m, x: m.norm(x[0], "nuc"), lambda m, x: m.linalg.vector_norm(x[:0], INF),
    lambda m, x: m.linalg.vector_norm(x[:0], -1, 0)], ids=range(9))
def test_norm_errors_are_torch_errors(call):
    array = _array((3, 4))
    ours, theirs = minigrad.tensor(array), torch.tensor(array)
    with pytest.raises(RuntimeError) as expected:
        call(torch, theirs)
    with pytest.raises(RuntimeError) as error:
        call(minigrad, ours)
    assert str(error.value) == str(expected.value)


def test_vector_norm_ord_must_be_a_number():
    with pytest.raises(TypeError, match="must be Number, not str"):
        minigrad.linalg.vector_norm(minigrad.zeros(3), "fro")
