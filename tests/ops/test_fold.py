"""Tests of minigrad/ops/fold.py, minigrad/nn/functional/fold.py and nn.Unfold / nn.Fold: im2col and
col2im against torch over generated geometries, each the other's gradient, to second order, errors."""
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.ops.fold import Fold, Unfold
from utils import check_against_torch, gradchecks


@st.composite
def fold_geometries(draw):
    """A valid call: batch (None: unbatched), channels, spatial size, kernel/dilation/padding/stride as
    ints or pairs, with at least one block along each dim."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    spatial = tuple(max(dl * (k - 1) + 1 - 2 * p, 1) + draw(st.integers(0, 4))
                    for k, dl, p in zip(kernel, dilation, padding))

    def maybe_int(pair):
        return pair[0] if pair[0] == pair[1] and draw(st.booleans()) else pair
    return dict(batch=draw(st.sampled_from([None, 1, 2])), channels=draw(st.integers(1, 3)), spatial=spatial,
                kwargs=dict(kernel_size=maybe_int(kernel), dilation=maybe_int(dilation),
                            padding=maybe_int(padding), stride=maybe_int(stride)))


def _shape(config):
    lead = () if config["batch"] is None else (config["batch"],)
    return lead + (config["channels"],) + config["spatial"]


@settings(max_examples=40, deadline=None)
@given(fold_geometries(), st.sampled_from([np.float32, np.float64]))
def test_unfold_and_fold_match_torch_values_and_gradients(torch, config, dtype):
    rng = np.random.default_rng(0)
    kwargs = config["kwargs"]
    x = rng.standard_normal(_shape(config)).astype(dtype)
    out, _ = check_against_torch(torch, lambda t: F.unfold(t, **kwargs),
                                 lambda t: torch.nn.functional.unfold(t, **kwargs), [x])
    cols = rng.standard_normal(tuple(out[0].shape)).astype(dtype)
    check_against_torch(torch, lambda t: F.fold(t, config["spatial"], **kwargs),
                        lambda t: torch.nn.functional.fold(t, config["spatial"], **kwargs), [cols])


@settings(max_examples=8, deadline=None)
@given(fold_geometries())
def test_unfold_and_fold_pass_gradcheck_and_gradgradcheck(config):
    rng = np.random.default_rng(1)
    kwargs = config["kwargs"]
    x = rng.standard_normal(_shape(config))
    gradchecks(lambda t: F.unfold(t, **kwargs), [x])
    cols = rng.standard_normal(tuple(F.unfold(minigrad.tensor(x), **kwargs).shape))
    gradchecks(lambda t: F.fold(t, config["spatial"], **kwargs), [cols])


def test_unfold_backward_is_fold_and_fold_backward_is_unfold():
    x = minigrad.randn(2, 3, 5, 5, requires_grad=True)
    cols = F.unfold(x, 2, padding=1)
    assert type(cols.grad_fn).__name__ == Unfold.__name__
    (grad,) = minigrad.autograd.grad((cols * cols).sum() / 2, x, create_graph=True)
    assert type(grad.grad_fn).__name__ == Fold.__name__
    np.testing.assert_allclose(grad.detach().numpy(), F.fold(cols, (5, 5), 2, padding=1).detach().numpy())
    (again,) = minigrad.autograd.grad((grad * grad).sum(), x)   # fold's backward: unfold, so double backward works
    assert again is not None


def test_fold_of_unfold_counts_each_position_s_windows():
    x = minigrad.ones(1, 1, 4, 4)
    counts = F.fold(F.unfold(x, 2), (4, 4), 2)[0, 0]
    assert counts.tolist() == [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]


def test_modules_call_the_functionals_and_print_like_torch(torch):
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 5))
    unfold, fold = nn.Unfold((2, 3), dilation=1, padding=1, stride=2), nn.Fold((6, 5), (2, 3), padding=1, stride=2)
    t_unfold = torch.nn.Unfold((2, 3), dilation=1, padding=1, stride=2)
    t_fold = torch.nn.Fold((6, 5), (2, 3), padding=1, stride=2)
    np.testing.assert_allclose(fold(unfold(minigrad.tensor(x))).numpy(), t_fold(t_unfold(torch.tensor(x))).numpy())
    assert repr(unfold) == repr(t_unfold) and repr(fold) == repr(t_fold)


UNFOLD_ERRORS = [
    ((2, 3, 4, 4, 4), dict(kernel_size=2)),
    ((2, 0, 4, 4), dict(kernel_size=2)),
    ((2, 3, 4, 4), dict(kernel_size=(2, 2, 2))),
    ((2, 3, 4, 5), dict(kernel_size=(5, 7))),
    ((2, 3, 4, 4), dict(kernel_size=0, dilation=0, padding=-1, stride=0)),
    ((2, 3, 4, 4), dict(kernel_size=1, dilation=0, padding=-1, stride=0)),
    ((2, 3, 4, 4), dict(kernel_size=1, padding=-1, stride=0)),
    ((2, 3, 4, 4), dict(kernel_size=1, stride=0)),
    ((2, 3, 4, 4), dict(kernel_size=(1, 1), dilation=(1, 1, 1))),
]
FOLD_ERRORS = [
    ((2, 12, 8), dict(output_size=(4, 4), kernel_size=2)),
    ((2, 13, 9), dict(output_size=(4, 4), kernel_size=2)),
    ((2, 12, 9, 1), dict(output_size=(4, 4), kernel_size=2)),
    ((2, 0, 9), dict(output_size=(4, 4), kernel_size=2)),
    ((2, 12, 9), dict(output_size=(4, 4, 4), kernel_size=2)),
    ((2, 12, 9), dict(output_size=(4, 4), kernel_size=0, dilation=0, padding=-1, stride=0)),
    ((2, 12, 9), dict(output_size=(4, 4), kernel_size=1, dilation=0, padding=-1, stride=0)),
    ((2, 12, 9), dict(output_size=(4, 4), kernel_size=1, dilation=0, padding=-1)),
    ((2, 12, 9), dict(output_size=(4, 4), kernel_size=1, padding=-1)),
    ((2, 12, 1), dict(output_size=(1, 1), kernel_size=2)),
]


@pytest.mark.parametrize("shape, kwargs", UNFOLD_ERRORS + [(s, dict(k, fold=True)) for s, k in FOLD_ERRORS])
def test_bad_arguments_raise_torch_s_error(torch, shape, kwargs):
    kwargs = dict(kwargs)
    is_fold = kwargs.pop("fold", False)
    mg, th = (F.fold, torch.nn.functional.fold) if is_fold else (F.unfold, torch.nn.functional.unfold)
    with pytest.raises(RuntimeError) as expected:
        th(torch.zeros(shape), **kwargs)
    with pytest.raises(RuntimeError, match=re.escape(str(expected.value))):
        mg(minigrad.zeros(*shape), **kwargs)


def test_integer_input_is_not_implemented_as_in_torch():
    with pytest.raises(NotImplementedError, match="im2col_out_cpu"):
        F.unfold(minigrad.zeros(1, 1, 3, 3, dtype=minigrad.int64), 2)
    with pytest.raises(NotImplementedError, match="col2im_out_cpu"):
        F.fold(minigrad.zeros(1, 4, 4, dtype=minigrad.int64), (3, 3), 2)


def test_unfold_then_a_matrix_product_is_conv2d():
    rng = np.random.default_rng(7)
    x, w = minigrad.tensor(rng.standard_normal((2, 3, 6, 5))), minigrad.tensor(rng.standard_normal((4, 3, 2, 3)))
    cols = F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=2)                     # (N, C*K, L)
    expected = F.conv2d(x, w, dilation=(1, 2), padding=1, stride=2)                      # (N, 4, Ho, Wo)
    np.testing.assert_allclose((w.reshape(4, -1) @ cols).reshape(expected.shape).numpy(), expected.numpy(),
                               rtol=1e-10, atol=1e-10)
