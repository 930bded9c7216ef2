"""Tests of minigrad/nn/modules/loss.py and nn/functional/loss.py against torch.nn."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad import nn
from minigrad.nn import functional as F
from utils import check_against_torch, gradchecks

DTYPES = [np.float32, np.float64]
REDUCTIONS = ["mean", "sum", "none"]


def _kw(lib, kwargs):
    """Turn NumPy arrays among keyword arguments into the library's tensors."""
    convert = minigrad.tensor if lib == "mg" else None
    return {k: (convert(v) if convert else __import__("torch").from_numpy(v)) if isinstance(v, np.ndarray) else v
            for k, v in kwargs.items()}


def _compare_loss(torch, name, logits, target, dtype, **kwargs):
    target_arg = target.astype(dtype) if target.dtype.kind == "f" else target
    kwargs = {k: (v.astype(dtype) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
    mg_loss, th_loss = getattr(nn, name)(**_kw("mg", kwargs)), getattr(torch.nn, name)(**_kw("th", kwargs))
    assert repr(mg_loss) == repr(th_loss)
    check_against_torch(torch, lambda x, t: mg_loss(x, t), lambda x, t: th_loss(x, t),
                        [logits.astype(dtype), target_arg])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5), c=st.integers(2, 5), extra=st.lists(st.integers(1, 3), max_size=2),
       reduction=st.sampled_from(REDUCTIONS), weighted=st.booleans(), ignore=st.booleans(),
       smoothing=st.sampled_from([0.0, 0.25]), dtype=st.sampled_from(DTYPES))
def test_cross_entropy_with_class_indices_matches_torch(torch, n, c, extra, reduction, weighted, ignore, smoothing, dtype):
    rng = np.random.default_rng(n * 10 + c)
    logits = rng.standard_normal((n, c, *extra)) * 3
    target = rng.integers(0, c, (n, *extra))
    kwargs = dict(reduction=reduction, label_smoothing=smoothing)
    if ignore:
        target.ravel()[0] = 1
        kwargs["ignore_index"] = 1
    if weighted:
        kwargs["weight"] = rng.uniform(0.5, 2.0, c)
    _compare_loss(torch, "CrossEntropyLoss", logits, target, dtype, **kwargs)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(2, 5), extra=st.lists(st.integers(1, 3), max_size=1),
       reduction=st.sampled_from(REDUCTIONS), weighted=st.booleans(), smoothing=st.sampled_from([0.0, 0.1]),
       dtype=st.sampled_from(DTYPES))
def test_cross_entropy_with_probabilities_matches_torch(torch, n, c, extra, reduction, weighted, smoothing, dtype):
    rng = np.random.default_rng(c)
    logits = rng.standard_normal((n, c, *extra))
    target = rng.dirichlet(np.ones(c), size=(n, *extra))
    target = np.moveaxis(target, -1, 1)
    kwargs = dict(reduction=reduction, label_smoothing=smoothing)
    if weighted:
        kwargs["weight"] = rng.uniform(0.5, 2.0, c)
    _compare_loss(torch, "CrossEntropyLoss", logits, target, dtype, **kwargs)


def test_cross_entropy_unbatched_input_matches_torch(torch):
    logits = np.random.default_rng(0).standard_normal(4)
    check_against_torch(torch, lambda x: F.cross_entropy(x, minigrad.tensor(2)),
                        lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(2)), [logits])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_is_finite_for_huge_logits(torch, reduction):
    logits = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]], dtype=np.float32)
    target = np.array([2, 0])
    outs, _ = check_against_torch(torch, lambda x: F.cross_entropy(x, minigrad.tensor(target), reduction=reduction),
                                  lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(target), reduction=reduction),
                                  [logits])
    assert np.all(np.isfinite(np.asarray(outs[0].detach())))


def test_cross_entropy_rejects_out_of_range_targets_and_mismatched_batch():
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.cross_entropy(minigrad.zeros(2, 3), minigrad.tensor([0, 3]))
    with pytest.raises(ValueError, match="Expected input batch_size \\(2\\) to match target batch_size \\(3\\)"):
        F.cross_entropy(minigrad.zeros(2, 3), minigrad.tensor([0, 1, 2]))


def test_cross_entropy_gradgradcheck():
    rng = np.random.default_rng(0)
    target = minigrad.tensor(rng.integers(0, 3, (4, 2)))
    weight = minigrad.tensor([1.0, 2.0, 0.5], dtype=minigrad.float64)
    for kwargs in [{}, dict(weight=weight, reduction="none"), dict(label_smoothing=0.2, reduction="sum")]:
        gradchecks(lambda x: F.cross_entropy(x, target, **kwargs), [rng.standard_normal((4, 3, 2))])
    probs = minigrad.tensor(rng.dirichlet(np.ones(3), size=4))
    gradchecks(lambda x: F.cross_entropy(x, probs), [rng.standard_normal((4, 3))])


@settings(max_examples=20, deadline=None)
@given(reduction=st.sampled_from(REDUCTIONS), weighted=st.booleans(), ignore=st.booleans(), dtype=st.sampled_from(DTYPES))
def test_nll_loss_matches_torch(torch, reduction, weighted, ignore, dtype):
    rng = np.random.default_rng(1)
    log_probs = np.log(rng.dirichlet(np.ones(4), size=(5, 2))).transpose(0, 2, 1)   # (N, C, d1)
    target = rng.integers(0, 4, (5, 2))
    kwargs = dict(reduction=reduction)
    if ignore:
        kwargs["ignore_index"] = int(target[0, 0])
    if weighted:
        kwargs["weight"] = rng.uniform(0.5, 2.0, 4)
    _compare_loss(torch, "NLLLoss", log_probs, target, dtype, **kwargs)


REGRESSION = [("MSELoss", {}), ("L1Loss", {}), ("SmoothL1Loss", {}), ("SmoothL1Loss", {"beta": 0.5}),
              ("SmoothL1Loss", {"beta": 0.0}), ("HuberLoss", {}), ("HuberLoss", {"delta": 0.3})]


@settings(max_examples=40, deadline=None)
@given(case=st.sampled_from(REGRESSION), shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       reduction=st.sampled_from(REDUCTIONS), dtype=st.sampled_from(DTYPES))
def test_regression_losses_match_torch(torch, case, shape, reduction, dtype):
    name, kwargs = case
    rng = np.random.default_rng(len(shape))
    _compare_loss(torch, name, rng.standard_normal(shape), rng.standard_normal(shape), dtype, reduction=reduction,
                  **kwargs)


def test_regression_loss_warns_on_broadcasting_target_like_torch():
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(minigrad.zeros(3, 1), minigrad.zeros(3))


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), reduction=st.sampled_from(REDUCTIONS),
       weighted=st.booleans(), dtype=st.sampled_from(DTYPES))
def test_bce_matches_torch(torch, shape, reduction, weighted, dtype):
    rng = np.random.default_rng(len(shape))
    probs = rng.uniform(0.02, 0.98, shape)
    target = rng.uniform(0, 1, shape)
    kwargs = dict(reduction=reduction)
    if weighted:
        kwargs["weight"] = rng.uniform(0.5, 2, shape[-1:])
    _compare_loss(torch, "BCELoss", probs, target, dtype, **kwargs)


def test_bce_clamps_log_at_minus_100_like_torch(torch):
    probs, target = np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 1.0])
    mg = F.binary_cross_entropy(minigrad.tensor(probs), minigrad.tensor(target), reduction="none")
    th = torch.nn.functional.binary_cross_entropy(torch.tensor(probs), torch.tensor(target), reduction="none")
    np.testing.assert_allclose(np.asarray(mg), th.numpy())
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(minigrad.tensor([1.5]), minigrad.tensor([1.0]))


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), reduction=st.sampled_from(REDUCTIONS),
       weighted=st.booleans(), pos=st.booleans(), dtype=st.sampled_from(DTYPES))
def test_bce_with_logits_matches_torch(torch, shape, reduction, weighted, pos, dtype):
    rng = np.random.default_rng(len(shape) + 7)
    logits, target = rng.standard_normal(shape) * 4, rng.uniform(0, 1, shape)
    kwargs = dict(reduction=reduction)
    if weighted:
        kwargs["weight"] = rng.uniform(0.5, 2, shape[-1:])
    if pos:
        kwargs["pos_weight"] = rng.uniform(0.5, 3, shape[-1:])
    _compare_loss(torch, "BCEWithLogitsLoss", logits, target, dtype, **kwargs)


def test_bce_with_logits_is_finite_for_huge_logits(torch):
    logits, target = np.array([1e4, -1e4, 1e4, -1e4], np.float32), np.array([0.0, 1.0, 1.0, 0.0], np.float32)
    pos_weight = np.array([2.0], np.float32)
    outs, _ = check_against_torch(
        torch, lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=minigrad.tensor(pos_weight)),
        lambda x, t: torch.nn.functional.binary_cross_entropy_with_logits(x, t, pos_weight=torch.tensor(pos_weight)),
        [logits, target])
    assert np.isfinite(float(outs[0]))


@settings(max_examples=20, deadline=None)
@given(reduction=st.sampled_from(REDUCTIONS + ["batchmean"]), log_target=st.booleans(), dtype=st.sampled_from(DTYPES))
def test_kl_div_matches_torch(torch, reduction, log_target, dtype):
    rng = np.random.default_rng(3)
    log_probs = np.log(rng.dirichlet(np.ones(4), size=3))
    target = rng.dirichlet(np.ones(4), size=3)
    target = np.log(target + 1e-3) if log_target else target
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _compare_loss(torch, "KLDivLoss", log_probs, target, dtype, reduction=reduction, log_target=log_target)


def test_kl_div_zero_target_contributes_zero_like_torch(torch):
    log_probs, target = np.log(np.array([[0.2, 0.8]])), np.array([[0.0, 1.0]])
    xm, xt = minigrad.tensor(log_probs, requires_grad=True), torch.tensor(log_probs, requires_grad=True)
    mg = F.kl_div(xm, minigrad.tensor(target), reduction="sum")
    th = torch.nn.functional.kl_div(xt, torch.tensor(target), reduction="sum")
    np.testing.assert_allclose(float(mg), float(th))
    mg.backward(), th.backward()
    np.testing.assert_allclose(np.asarray(xm.grad), xt.grad.numpy())


def test_losses_gradgradcheck():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    gradchecks(lambda a, b: F.mse_loss(a, b), [x, y])
    gradchecks(lambda a, b: F.smooth_l1_loss(a, b, beta=0.7), [x, y])
    gradchecks(lambda a, b: F.huber_loss(a, b, delta=0.7), [x, y])
    gradchecks(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=minigrad.tensor([2.0] * 4, dtype=minigrad.float64)),
               [x, rng.uniform(0, 1, (3, 4))])
    gradchecks(lambda a, b: F.binary_cross_entropy(a, b), [rng.uniform(0.1, 0.9, (3, 4)), rng.uniform(0, 1, (3, 4))])
    gradchecks(lambda a, b: F.kl_div(a, b, reduction="batchmean", log_target=True), [x, y])


def test_invalid_reduction_is_rejected_like_torch(torch):
    with pytest.raises(ValueError) as mg:
        F.mse_loss(minigrad.zeros(2), minigrad.zeros(2), reduction="avg")
    with pytest.raises(ValueError) as th:
        torch.nn.functional.mse_loss(torch.zeros(2), torch.zeros(2), reduction="avg")
    assert str(mg.value) == str(th.value)


def test_loss_weights_are_buffers_like_torch(torch):
    mg = nn.BCEWithLogitsLoss(weight=minigrad.ones(3), pos_weight=minigrad.ones(3))
    th = torch.nn.BCEWithLogitsLoss(weight=torch.ones(3), pos_weight=torch.ones(3))
    assert list(mg.state_dict()) == list(th.state_dict())
    assert list(nn.CrossEntropyLoss().state_dict()) == list(torch.nn.CrossEntropyLoss().state_dict()) == []
    assert nn.CrossEntropyLoss(weight=minigrad.ones(2)).double().weight.dtype == minigrad.float64


# ---- margin, embedding and likelihood loss modules ----------------------------------------------

def _module_inputs(name, rng, n, c):
    f = lambda *s: rng.standard_normal(s)  # noqa: E731
    signs = lambda *s: rng.choice([-1.0, 1.0], size=s)  # noqa: E731
    return {
        "MarginRankingLoss": [f(n), f(n), signs(n)], "HingeEmbeddingLoss": [np.abs(f(n, c)), signs(n, c)],
        "SoftMarginLoss": [f(n, c), signs(n, c)], "MultiLabelSoftMarginLoss": [f(n, c), rng.random((n, c)) < 0.5],
        "CosineEmbeddingLoss": [f(n, c), f(n, c), signs(n)], "MultiMarginLoss": [f(n, c), rng.integers(0, c, n)],
        "MultiLabelMarginLoss": [f(n, c), np.where(rng.random((n, c)) < 0.3, -1, rng.integers(0, c, (n, c)))],
        "TripletMarginLoss": [f(n, c), f(n, c), f(n, c)],
        "PoissonNLLLoss": [f(n, c), rng.poisson(2.0, (n, c)).astype(np.float64)],
        "GaussianNLLLoss": [f(n, c), f(n, c), rng.random((n, c)) + 0.1],
    }[name]


MODULE_CASES = [
    ("MarginRankingLoss", {"margin": 0.5}), ("HingeEmbeddingLoss", {"margin": 2.0}), ("SoftMarginLoss", {}),
    ("MultiLabelSoftMarginLoss", {"weight": "c"}), ("MultiLabelSoftMarginLoss", {}), ("CosineEmbeddingLoss", {}),
    ("CosineEmbeddingLoss", {"margin": 0.3}), ("MultiMarginLoss", {}),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": "c"}), ("MultiLabelMarginLoss", {}),
    ("TripletMarginLoss", {}), ("TripletMarginLoss", {"margin": 0.5, "p": 1.0, "swap": True}),
    ("PoissonNLLLoss", {}), ("PoissonNLLLoss", {"log_input": False, "full": True}), ("GaussianNLLLoss", {}),
    ("GaussianNLLLoss", {"full": True, "eps": 1e-3}),
]


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(MODULE_CASES), n=st.integers(1, 4), c=st.integers(2, 5),
       reduction=st.sampled_from(REDUCTIONS), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 100))
def test_margin_and_likelihood_loss_modules_match_torch(torch, case, n, c, reduction, dtype, seed):
    name, kwargs = case
    rng = np.random.default_rng(seed)
    kwargs = dict(kwargs, reduction=reduction)
    if kwargs.get("weight") == "c":
        kwargs["weight"] = (rng.random(c) + 0.1).astype(dtype)
    mg_loss, th_loss = getattr(nn, name)(**_kw("mg", kwargs)), getattr(torch.nn, name)(**_kw("th", kwargs))
    assert repr(mg_loss) == repr(th_loss)
    assert list(mg_loss.state_dict()) == list(th_loss.state_dict())
    arrays = [a.astype(dtype) if a.dtype.kind in "fb" else a for a in _module_inputs(name, rng, n, c)]
    first = arrays[:1] if name in ("SoftMarginLoss", "MultiMarginLoss", "PoissonNLLLoss") else arrays
    rest = arrays[len(first):]
    check_against_torch(torch, lambda *xs: mg_loss(*xs, *[minigrad.tensor(a) for a in rest]),
                        lambda *xs: th_loss(*xs, *[torch.from_numpy(a) for a in rest]), first)


def test_loss_module_constructors_check_like_torch():
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="MultiMarginLoss: expected weight to be None or 1D tensor, got 2D instead"):
        nn.MultiMarginLoss(weight=minigrad.ones(2, 2))
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0, got 0 instead"):
        nn.TripletMarginLoss(margin=0)
