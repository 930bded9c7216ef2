"""einsum, addmm, addbmm, baddbmm (the end of minigrad/ops/linalg.py) against torch, values and
gradients in float32 and float64, over many equations (ellipsis, repeated letters, implicit output,
broadcasting) and generated shapes / alpha / beta; float64 gradcheck and gradgradcheck."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from utils import FLOAT_DTYPES, check_against_torch, gradchecks, random_array

FAST = settings(max_examples=15, deadline=None)

# (equation, operand shapes)
EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]),
    ("ij->i", [(2, 3)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ii->", [(3, 3)]), ("iij->ij", [(2, 2, 3)]),
    ("i,i->", [(4,), (4,)]), ("i,j->ij", [(2,), (3,)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 1)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]), ("...ij,...jk", [(5, 1, 3, 4), (2, 4, 2)]),
    ("i...->...", [(2, 3, 4)]), ("...->...", [(2, 3)]), ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 2)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]), ("ij,ij,ij->", [(2, 3), (2, 3), (2, 3)]), ("i,i,i->i", [(3,), (3,), (3,)]),
    ("ijk,ikj->i", [(2, 3, 3), (2, 3, 3)]), ("ij,jk->", [(2, 3), (3, 4)]), ("ji,jk->ik", [(3, 2), (3, 4)]),
    (" i j , j k -> i k ", [(2, 3), (3, 4)]), ("ij,kl->ijkl", [(2, 1), (1, 2)]), ("i,->i", [(3,), ()]),
    ("aA,Ab->ab", [(2, 3), (3, 2)]), ("bn,anm,bm->ba", [(2, 3), (4, 3, 2), (2, 2)]),
    ("ij,j->i", [(2, 1), (3,)]),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("equation,shapes", EQUATIONS)
def test_einsum_matches_torch(torch, dtype, equation, shapes):
    arrays = [random_array(k, s, dtype) for k, s in enumerate(shapes)]
    check_against_torch(torch, lambda *ts: minigrad.einsum(equation, *ts), lambda *ts: torch.einsum(equation, *ts), arrays)
    check_against_torch(torch, lambda *ts: minigrad.einsum(equation, list(ts)), lambda *ts: torch.einsum(equation, list(ts)), arrays)


@pytest.mark.parametrize("equation,shapes", EQUATIONS)
def test_einsum_gradcheck_and_gradgradcheck(equation, shapes):
    gradchecks(lambda *ts: minigrad.einsum(equation, *ts), [random_array(k, s) for k, s in enumerate(shapes)])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@FAST
@given(sizes=st.lists(st.integers(1, 3), min_size=4, max_size=4), data=st.data(), seed=st.integers(0, 2**16))
def test_einsum_generated_equations_match_torch(torch, dtype, sizes, data, seed):
    """Random subscripts over four letters for two operands, output a random subset (no repeats)."""
    letters = "abcd"
    subs = [data.draw(st.lists(st.sampled_from(letters), min_size=0, max_size=3)) for _ in range(2)]
    used = sorted(set("".join(s for sub in subs for s in sub)))
    output = data.draw(st.permutations(used).flatmap(lambda p: st.integers(0, len(p)).map(lambda k: p[:k])))
    equation = ",".join("".join(s) for s in subs) + "->" + "".join(output)
    arrays = [random_array(seed + k, tuple(sizes[letters.index(c)] for c in sub), dtype) for k, sub in enumerate(subs)]
    check_against_torch(torch, lambda *ts: minigrad.einsum(equation, *ts), lambda *ts: torch.einsum(equation, *ts), arrays)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_einsum_sublist_form_matches_torch(torch, dtype):
    a, b = random_array(0, (2, 3, 4), dtype), random_array(1, (4, 5), dtype)
    cases = [lambda e, x, y: e(x, [0, 1, 2], y, [2, 3], [0, 1, 3]), lambda e, x, y: e(x, [0, 1, 2], y, [2, 3]),
             lambda e, x, y: e(x, [Ellipsis, 2], y, [2, 3], [Ellipsis, 3]), lambda e, x, y: e(x, [0, 1, 27], y, [27, 3])]
    for case in cases:
        check_against_torch(torch, lambda x, y: case(minigrad.einsum, x, y), lambda x, y: case(torch.einsum, x, y), [a, b])


def test_einsum_errors():
    with pytest.raises(RuntimeError, match="does not match the number of dimensions"):
        minigrad.einsum("ij,jk->ik", minigrad.ones(2), minigrad.ones(2, 2))
    with pytest.raises(RuntimeError, match="more operands were provided"):
        minigrad.einsum("ij->i", minigrad.ones(2, 2), minigrad.ones(2, 2))
    with pytest.raises(RuntimeError, match="output subscript k does not appear"):
        minigrad.einsum("ij->k", minigrad.ones(2, 2))


def _matmul_shapes(draw, kind):
    n, m, p, b = (draw(st.integers(1, 4)) for _ in range(4))
    out = {"addmm": (n, p), "addbmm": (n, p), "baddbmm": (b, n, p)}[kind]
    input_shape = draw(st.sampled_from([out, out[-1:], (), (1,) + out[1:] if len(out) > 1 else out]))
    mats = [(n, m), (m, p)] if kind == "addmm" else [(b, n, m), (b, m, p)]
    return input_shape, mats


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("kind", ["addmm", "addbmm", "baddbmm"])
@FAST
@given(data=st.data(), beta=st.sampled_from([1, 0, 0.5, -2]), alpha=st.sampled_from([1, 0, 2.5]), seed=st.integers(0, 2**16))
def test_addmm_family_matches_torch(torch, dtype, kind, data, beta, alpha, seed):
    input_shape, mats = _matmul_shapes(data.draw, kind)
    arrays = [random_array(seed, input_shape, dtype)] + [random_array(seed + k + 1, s, dtype) for k, s in enumerate(mats)]
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else {}
    check_against_torch(torch, lambda i, a, b: getattr(minigrad, kind)(i, a, b, beta=beta, alpha=alpha),
                        lambda i, a, b: getattr(torch, kind)(i, a, b, beta=beta, alpha=alpha), arrays, **tol)
    check_against_torch(torch, lambda i, a, b: getattr(i, kind)(a, b, alpha=alpha),
                        lambda i, a, b: getattr(i, kind)(a, b, alpha=alpha), arrays, **tol)


@pytest.mark.parametrize("kind", ["addmm", "addbmm", "baddbmm"])
def test_addmm_family_beta_zero_ignores_nan_input(torch, kind):
    _, mats = {"addmm": (0, [(2, 3), (3, 2)]), "addbmm": (0, [(2, 2, 3), (2, 3, 2)]),
               "baddbmm": (0, [(2, 2, 3), (2, 3, 2)])}[kind]
    nan_input = np.full((2,), np.nan)
    arrays = [nan_input] + [random_array(k, s) for k, s in enumerate(mats)]
    check_against_torch(torch, lambda i, a, b: getattr(minigrad, kind)(i, a, b, beta=0),
                        lambda i, a, b: getattr(torch, kind)(i, a, b, beta=0), arrays)


@pytest.mark.parametrize("kind", ["addmm", "addbmm", "baddbmm"])
def test_addmm_family_gradcheck_gradgradcheck_and_in_place(kind):
    mats = [(2, 3), (3, 4)] if kind == "addmm" else [(2, 2, 3), (2, 3, 4)]
    out = (2, 2, 4) if kind == "baddbmm" else (2, 4)
    arrays = [random_array(0, out)] + [random_array(k + 1, s) for k, s in enumerate(mats)]
    gradchecks(lambda i, a, b: getattr(minigrad, kind)(i, a, b, beta=0.5, alpha=-1.5), arrays)
    x = minigrad.tensor(arrays[0])
    expected = getattr(minigrad, kind)(x, minigrad.tensor(arrays[1]), minigrad.tensor(arrays[2]), beta=2)
    getattr(x, kind + "_")(minigrad.tensor(arrays[1]), minigrad.tensor(arrays[2]), beta=2)
    np.testing.assert_allclose(x.numpy(), expected.numpy())


def test_addmm_family_errors():
    with pytest.raises(RuntimeError, match="mat1 must be a matrix"):
        minigrad.addmm(minigrad.ones(2), minigrad.ones(2), minigrad.ones(2, 2))
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        minigrad.addbmm(minigrad.ones(2), minigrad.ones(2, 2), minigrad.ones(2, 2, 2))
    with pytest.raises(RuntimeError, match="batch2 must be a 3D tensor"):
        minigrad.baddbmm(minigrad.ones(2), minigrad.ones(2, 2, 2), minigrad.ones(2, 2))
