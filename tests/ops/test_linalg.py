"""Matrix products (minigrad/ops/linalg.py): matmul / @ for 1-d, 2-d and batched operands with
broadcast batch dims, mm / bmm / dot / outer, against torch and with gradcheck / gradgradcheck."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from utils import FLOAT_DTYPES, broadcastable_shapes, check_against_torch, gradchecks, random_array

FAST = settings(max_examples=25, deadline=None)


@st.composite
def matmul_shapes(draw):
    """Shapes of two operands torch.matmul accepts: 1-d or n-d with broadcastable batch dims."""
    m, k, n = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2, max_side=3))
    a = (k,) if draw(st.integers(0, 4)) == 0 else batch_a + (m, k)
    b = (k,) if draw(st.integers(0, 4)) == 0 else batch_b + (k, n)
    return a, b


@FAST
@given(shapes=matmul_shapes(), dtype=st.sampled_from(FLOAT_DTYPES), seed=st.integers(0, 2**16))
def test_matmul_matches_torch_for_vectors_matrices_and_broadcast_batches(torch, shapes, dtype, seed):
    a = random_array(seed, shapes[0], dtype)
    b = random_array(seed + 1, shapes[1], dtype)
    check_against_torch(torch, lambda x, y: x @ y, lambda x, y: x @ y, [a, b])
    check_against_torch(torch, minigrad.matmul, torch.matmul, [a, b])


@settings(max_examples=8, deadline=None)
@given(shapes=matmul_shapes(), seed=st.integers(0, 2**16))
def test_matmul_gradcheck_and_gradgradcheck(shapes, seed):
    a = random_array(seed, shapes[0])
    b = random_array(seed + 1, shapes[1])
    gradchecks(lambda x, y: x @ y, [a, b])


@pytest.mark.parametrize("name, shapes", [
    ("mm", [(2, 3), (3, 4)]), ("bmm", [(2, 2, 3), (2, 3, 4)]), ("dot", [(3,), (3,)]), ("outer", [(3,), (4,)]),
])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_mm_bmm_dot_outer_match_torch(torch, name, shapes, dtype):
    arrays = [random_array(k, s, dtype) for k, s in enumerate(shapes)]
    check_against_torch(torch, getattr(minigrad.ops, name), getattr(torch, name), arrays)
    gradchecks(getattr(minigrad.ops, name), arrays)


def test_matmul_of_integer_tensors_stays_integer(torch):
    a, b = np.arange(6).reshape(2, 3), np.arange(3)
    out = minigrad.tensor(a) @ minigrad.tensor(b)
    assert out.dtype is minigrad.int64
    np.testing.assert_array_equal(out.numpy(), (torch.from_numpy(a) @ torch.from_numpy(b)).numpy())


@pytest.mark.parametrize("shapes, message", [
    ([(2, 3), (4, 5)], r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    ([(), (3,)], "both arguments to matmul need to be at least 1D"),
])
def test_bad_matmul_shapes_raise_torchs_errors(torch, shapes, message):
    for module in (torch, minigrad):
        with pytest.raises(RuntimeError, match=message):
            module.matmul(module.zeros(shapes[0]), module.zeros(shapes[1]))
