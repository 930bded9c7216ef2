"""Numerical edge cases against torch, values and gradients: finite where torch is finite, NaN where torch
gives NaN. Logits at +-1e4, every target ignored, zero rows, empty batches, single-element variance, -inf
rows in softmax. One batch whose gradient is NaN poisons the weights for good, so gradients are checked
with the values."""
import warnings

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F

from utils import check_against_torch

F64 = np.float64


def big_logits():
    return np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, 0.0, 0.0]], dtype=F64)


def inf_rows():
    return np.array([[-np.inf, 0.0, 1.0], [-np.inf, -np.inf, 2.0], [-np.inf, -np.inf, -np.inf]], dtype=F64)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ---- cross entropy and nll ----------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_logits_at_1e4_is_finite_with_finite_gradients(torch, reduction):
    target = np.array([1, 0, 2])
    mg, _ = check_against_torch(torch, lambda x, t: F.cross_entropy(x, t, reduction=reduction),
                                lambda x, t: torch.nn.functional.cross_entropy(x, t, reduction=reduction),
                                [big_logits(), target])
    assert np.isfinite(np.asarray(mg[0].detach())).all()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_with_every_target_ignored_has_a_zero_gradient(torch, reduction, smoothing):
    # torch: the mean is 0/0 = NaN, but the gradient is 0 -- one such batch must not poison the weights
    logits = np.random.default_rng(0).standard_normal((2, 3))
    target = np.array([-100, -100])
    check_against_torch(torch, lambda x, t: F.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing),
                        lambda x, t: torch.nn.functional.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing),
                        [logits, target])
    x = minigrad.tensor(logits, requires_grad=True)
    F.cross_entropy(x, minigrad.tensor(target), reduction=reduction, label_smoothing=smoothing).sum().backward()
    assert np.isfinite(np.asarray(x.grad)).all()


def test_cross_entropy_with_every_target_ignored_and_class_weights(torch):
    logits = np.random.default_rng(1).standard_normal((2, 3, 2))
    target = np.array([[-100, -100], [-100, -100]])
    weight = np.array([0.2, 1.0, 3.0])
    check_against_torch(torch, lambda x, t: F.cross_entropy(x, t, weight=minigrad.tensor(weight)),
                        lambda x, t: torch.nn.functional.cross_entropy(x, t, weight=torch.from_numpy(weight)),
                        [logits, target])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_nll_loss_with_every_target_ignored_has_a_zero_gradient(torch, reduction):
    log_probs = np.log(np.full((3, 4), 0.25))
    target = np.array([-100, -100, -100])
    check_against_torch(torch, lambda x, t: F.nll_loss(x, t, reduction=reduction),
                        lambda x, t: torch.nn.functional.nll_loss(x, t, reduction=reduction), [log_probs, target])
    x = minigrad.tensor(log_probs, requires_grad=True)
    F.nll_loss(x, minigrad.tensor(target), reduction=reduction).backward()
    assert np.isfinite(np.asarray(x.grad)).all()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_an_empty_batch(torch, reduction):
    check_against_torch(torch, lambda x, t: F.cross_entropy(x, t, reduction=reduction),
                        lambda x, t: torch.nn.functional.cross_entropy(x, t, reduction=reduction),
                        [np.zeros((0, 3)), np.zeros((0,), dtype=np.int64)])


# ---- softmax, log_softmax, logsumexp -----------------------------------------------------------------

@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("rows", [big_logits, inf_rows])
def test_softmax_family_of_extreme_rows(torch, name, rows):
    # -inf entries get probability 0; a row of only -inf gives NaN in torch, and here
    check_against_torch(torch, lambda x: getattr(F, name)(x, 1), lambda x: getattr(torch.nn.functional, name)(x, 1), [rows()])


@pytest.mark.parametrize("rows", [big_logits, inf_rows])
def test_logsumexp_of_extreme_rows(torch, rows):
    check_against_torch(torch, lambda x: minigrad.logsumexp(x, 1), lambda x: torch.logsumexp(x, 1), [rows()])


# ---- normalize ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_normalize_of_a_zero_row_has_a_finite_gradient(torch, p):
    x = np.array([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0]])
    check_against_torch(torch, lambda t: F.normalize(t, p=p), lambda t: torch.nn.functional.normalize(t, p=p), [x])
    t = minigrad.tensor(x, requires_grad=True)
    F.normalize(t, p=p).sum().backward()
    assert np.isfinite(np.asarray(t.grad)).all()


# ---- variance and normalisation layers ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("correction", [0, 1])
def test_variance_of_a_single_element(torch, name, correction):
    # correction 1 over one element: 0/0 = NaN in torch (and its gradient); correction 0: 0, finite
    check_against_torch(torch, lambda x: getattr(minigrad, name)(x, 1, correction=correction),
                        lambda x: getattr(torch, name)(x, 1, correction=correction), [np.array([[2.0], [3.0]])])


@pytest.mark.parametrize("name", ["var", "std"])
def test_variance_of_a_constant_row(torch, name):
    check_against_torch(torch, lambda x: getattr(minigrad, name)(x, 1), lambda x: getattr(torch, name)(x, 1),
                        [np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])])


def test_batch_norm_of_a_constant_channel_is_finite(torch):
    x = np.ones((4, 2, 3))
    x[:, 1] = np.random.default_rng(2).standard_normal((4, 3))
    check_against_torch(torch, lambda t: F.batch_norm(t, None, None, training=True),
                        lambda t: torch.nn.functional.batch_norm(t, None, None, training=True), [x])


def test_layer_norm_of_a_constant_row_is_finite(torch):
    x = np.array([[5.0, 5.0, 5.0], [1e4, -1e4, 0.0]])
    check_against_torch(torch, lambda t: F.layer_norm(t, (3,)), lambda t: torch.nn.functional.layer_norm(t, (3,)), [x])


# ---- binary cross entropy, kl_div ------------------------------------------------------------------------

def test_binary_cross_entropy_at_0_and_1_is_finite(torch):
    # the input's gradient only: for the target's, at x = 0 or 1 torch gives +-inf, minigrad clamps log at -100
    probabilities = np.array([0.0, 1.0, 0.5, 1.0, 0.0])
    target = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    check_against_torch(torch, lambda x: F.binary_cross_entropy(x, minigrad.tensor(target)),
                        lambda x: torch.nn.functional.binary_cross_entropy(x, torch.from_numpy(target)), [probabilities])


def test_binary_cross_entropy_with_logits_at_1e4_is_finite(torch):
    logits = np.array([1e4, -1e4, 1e4, -1e4, 0.0])
    target = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    check_against_torch(torch, F.binary_cross_entropy_with_logits, torch.nn.functional.binary_cross_entropy_with_logits,
                        [logits, target])


@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_with_zero_targets(torch, log_target):
    inputs = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]))
    target = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    if log_target:
        target = np.log(np.where(target == 0, 1e-300, target))
    # the input's gradient only: for a zero target's own gradient torch gives NaN (log 0), minigrad a number
    check_against_torch(torch, lambda x: F.kl_div(x, minigrad.tensor(target), reduction="batchmean", log_target=log_target),
                        lambda x: torch.nn.functional.kl_div(x, torch.from_numpy(target), reduction="batchmean",
                                                             log_target=log_target), [inputs])


# ---- dropout and prod ------------------------------------------------------------------------------------

def test_alpha_dropout_with_p_1_gives_zeros_and_a_zero_gradient():
    x = minigrad.randn(3, 4, requires_grad=True)
    out = F.alpha_dropout(x, p=1.0, training=True)
    assert not np.asarray(out.detach()).any()
    out.sum().backward()
    assert not np.asarray(x.grad).any()


def test_prod_of_a_0d_tensor_along_dim_0(torch):
    check_against_torch(torch, lambda x: minigrad.prod(x, 0), lambda x: torch.prod(x, 0), [np.array(3.0)])
