"""Tests of the margin, embedding and likelihood losses of minigrad/nn/functional/loss.py
(margin_ranking ... gaussian_nll) against torch: values and gradients of every floating input, every
reduction, float32 and float64, generated shapes and arguments; gradchecks; torch's errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad.nn import functional as F
from utils import check_against_torch, gradchecks

REDUCTIONS = ["mean", "sum", "none"]


def _signs(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape)


def _make(name, rng, n, c, dtype, options):
    """(arrays, kwargs) for one call of loss ``name`` on a batch of n samples of c classes/features."""
    f = lambda *s: rng.standard_normal(s).astype(dtype)  # noqa: E731
    if name == "margin_ranking_loss":
        return [f(n), f(n), _signs(rng, n).astype(dtype)], {"margin": options["margin"]}
    if name == "hinge_embedding_loss":
        return [np.abs(f(n, c)) * 2, _signs(rng, (n, c)).astype(dtype)], {"margin": options["margin"] + 1}
    if name == "soft_margin_loss":
        return [f(n, c) * 3, _signs(rng, (n, c)).astype(dtype)], {}
    if name == "multilabel_soft_margin_loss":
        arrays = [f(n, c) * 3, (rng.random((n, c)) < 0.4).astype(dtype)]
        if options["weight"]:
            arrays.append(rng.random(c).astype(dtype) + 0.1)
        return arrays, {}
    if name == "cosine_embedding_loss":
        return [f(n, c), f(n, c), _signs(rng, n).astype(dtype)], {"margin": options["margin"] / 2}
    if name == "multi_margin_loss":
        arrays = [f(n, c) * 2, rng.integers(0, c, n)]
        if options["weight"]:
            arrays.append(rng.random(c).astype(dtype) + 0.1)
        return arrays, {"p": options["p"], "margin": options["margin"] + 0.5}
    if name == "multilabel_margin_loss":
        target = np.full((n, c), -1)
        for i in range(n):
            k = rng.integers(0, c + 1)
            target[i, :k] = rng.permutation(c)[:k]
            target[i, k + 1:] = rng.integers(0, c, c - k - 1) if k + 1 < c else target[i, k + 1:]
        return [f(n, c) * 2, target], {}
    if name == "triplet_margin_loss":
        return [f(n, c), f(n, c), f(n, c)], {"margin": options["margin"] + 0.5, "p": options["norm"],
                                              "swap": options["swap"]}
    if name == "poisson_nll_loss":
        if options["log_input"]:
            return [f(n, c), rng.poisson(2.0, (n, c)).astype(dtype)], {"full": options["full"]}
        return [np.abs(f(n, c)) + 0.1, rng.poisson(2.0, (n, c)).astype(dtype)], {"log_input": False,
                                                                                  "full": options["full"]}
    if name == "gaussian_nll_loss":
        var_shape = {"same": (n, c), "short": (n,), "one": (n, 1)}[options["var"]]
        var = (rng.random(var_shape) + (0.0 if options["tiny_var"] else 0.2)).astype(dtype)
        if options["tiny_var"]:
            var[..., 0] = 1e-8
        return [f(n, c), f(n, c), var], {"full": options["full"]}
    raise AssertionError(name)


NAMES = ["margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
         "cosine_embedding_loss", "multi_margin_loss", "multilabel_margin_loss", "triplet_margin_loss",
         "poisson_nll_loss", "gaussian_nll_loss"]
OPTIONS = st.fixed_dictionaries({
    "margin": st.sampled_from([0.0, 0.5, 1.5]), "weight": st.booleans(), "p": st.sampled_from([1, 2]),
    "norm": st.sampled_from([2.0, 1.0, 3.0]), "swap": st.booleans(), "log_input": st.booleans(),
    "full": st.booleans(), "var": st.sampled_from(["same", "short", "one"]), "tiny_var": st.booleans()})


@settings(max_examples=200)
@given(name=st.sampled_from(NAMES), n=st.integers(1, 5), c=st.integers(1, 5), options=OPTIONS,
       reduction=st.sampled_from(REDUCTIONS), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 1000))
def test_loss_matches_torch_values_and_gradients(torch, name, n, c, options, reduction, dtype, seed):
    arrays, kwargs = _make(name, np.random.default_rng(seed), n, c, dtype, options)
    weighted = name in ("multilabel_soft_margin_loss", "multi_margin_loss") and len(arrays) == 3
    # inputs torch does not differentiate (or where its gradient is nan: d/dt of t log t at t = 0, which
    # Stirling's term masks only in value) are passed as constants
    n_constant = {"soft_margin_loss": 1, "multi_margin_loss": len(arrays) - 1}.get(name, 0)
    if name == "poisson_nll_loss" and options["full"]:
        n_constant = 1
    variables, constants = arrays[:len(arrays) - n_constant], arrays[len(arrays) - n_constant:]

    def call(module, as_tensor):
        def fn(*tensors):
            tensors = list(tensors) + [as_tensor(a) for a in constants]
            if weighted:
                *tensors, weight = tensors
                return getattr(module, name)(*tensors, weight=weight, reduction=reduction, **kwargs)
            return getattr(module, name)(*tensors, reduction=reduction, **kwargs)
        return fn

    check_against_torch(torch, call(F, minigrad.tensor), call(torch.nn.functional, torch.from_numpy), variables)


@pytest.mark.parametrize("name", ["multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss"])
def test_classification_losses_take_one_unbatched_sample(torch, name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(5)
    target = {"multi_margin_loss": np.array(2), "multilabel_margin_loss": np.array([3, 0, -1, 1, 1]),
              "multilabel_soft_margin_loss": (rng.random(5) < 0.5).astype(np.float64)}[name]
    for reduction in REDUCTIONS:
        check_against_torch(torch, lambda a, t: getattr(F, name)(a, t, reduction=reduction),
                            lambda a, t: getattr(torch.nn.functional, name)(a, t, reduction=reduction), [x, target])


def test_gradient_at_the_hinges_is_torchs(torch):
    """margin - x[y] + x[j] = 0 exactly: the kernels' ``z > 0`` passes nothing; clamp_min passes the gradient."""
    x = np.array([[1.0, 0.0, 2.0], [0.5, 1.5, 0.5]])
    check_against_torch(torch, lambda a, t: F.multi_margin_loss(a, t), lambda a, t: torch.nn.functional.
                        multi_margin_loss(a, t), [x, np.array([0, 1])])
    check_against_torch(torch, F.multilabel_margin_loss, torch.nn.functional.multilabel_margin_loss,
                        [x, np.array([[0, -1, 0], [1, 1, -1]])])
    check_against_torch(torch, lambda a, b, y: F.margin_ranking_loss(a, b, y, 1.0),
                        lambda a, b, y: torch.nn.functional.margin_ranking_loss(a, b, y, 1.0),
                        [np.array([1.0, 2.0]), np.array([0.0, 1.0]), np.array([1.0, -1.0])])
    check_against_torch(torch, F.hinge_embedding_loss, torch.nn.functional.hinge_embedding_loss,
                        [np.array([1.0, 0.5, 2.0]), np.array([-1.0, -1.0, 1.0])])


@pytest.mark.parametrize("name", NAMES)
def test_loss_gradcheck_and_gradgradcheck(name):
    arrays, kwargs = _make(name, np.random.default_rng(7), 3, 4, np.float64,
                           {"margin": 0.5, "weight": False, "p": 2, "norm": 2.0, "swap": True, "log_input": True,
                            "full": True, "var": "same", "tiny_var": False})
    floats = [a for a in arrays if a.dtype.kind == "f"]
    others = [a for a in arrays if a.dtype.kind != "f"]
    if name in ("margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "cosine_embedding_loss",
                "multilabel_soft_margin_loss", "poisson_nll_loss"):
        floats, constant = floats[:-1], [minigrad.tensor(floats[-1])]    # the target is data, not a variable
    else:
        constant = [minigrad.tensor(a) for a in others]
    if name == "gaussian_nll_loss":
        gradchecks(lambda a, t, v: F.gaussian_nll_loss(a, t, v, **kwargs), floats)
        return
    gradchecks(lambda *xs: getattr(F, name)(*xs, *constant, **kwargs), floats)


def test_gaussian_nll_loss_float_variance_and_errors(torch):
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    check_against_torch(torch, lambda a, b: F.gaussian_nll_loss(a, b, 0.5),
                        lambda a, b: torch.nn.functional.gaussian_nll_loss(a, b, 0.5), [x, t])
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(minigrad.tensor(x), minigrad.tensor(t), -1.0)
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(minigrad.tensor(x), minigrad.tensor(t), -minigrad.ones(3, 4))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(minigrad.tensor(x), minigrad.tensor(t), minigrad.ones(3, 2))
    with pytest.raises(ValueError, match="bad is not valid"):
        F.gaussian_nll_loss(minigrad.tensor(x), minigrad.tensor(t), minigrad.ones(3, 4), reduction="bad")


def test_loss_errors_are_torchs():
    x = minigrad.zeros(3, 5)
    with pytest.raises(RuntimeError, match=r"margin_ranking_loss : All input tensors should have same dimension but "
                                           r"got sizes: input1: torch.Size\(\[3, 5\]\), input2: torch.Size\(\[3, 5\]\), "
                                           r"target: torch.Size\(\[5\]\) "):
        F.margin_ranking_loss(x, x, minigrad.zeros(5))
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(2\)"):
        F.soft_margin_loss(x, minigrad.zeros(2, 5))
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.hinge_embedding_loss(x, x, reduction="bad")
    with pytest.raises(ValueError, match="bad is not valid"):
        F.multilabel_soft_margin_loss(x, x, reduction="bad")
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        F.cosine_embedding_loss(x, x, minigrad.ones(3, 1))
    with pytest.raises(RuntimeError, match=r"0D target tensor expects 1D input tensors, but found inputs with sizes "
                                           r"\[3, 5\] and \[3, 5\]."):
        F.cosine_embedding_loss(x, x, minigrad.tensor(1.0))
    labels = minigrad.tensor([0, 1, 2])
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(x, labels, p=3)
    with pytest.raises(ValueError, match="weight must be one-dimensional"):
        F.multi_margin_loss(x, labels, weight=minigrad.ones(5, 1))
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(x, minigrad.tensor([0, 1, 5]))
    with pytest.raises(RuntimeError, match=r"multi_margin_loss: target tensor should be 1-D with size equal to the "
                                           r"number of input samples \(batch size\). Expected target size \[3\], but "
                                           r"got \[2\]. Input has shape \[3, 5\]."):
        F.multi_margin_loss(x, minigrad.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"inconsistent weight size, expected 5 but got \[4\]"):
        F.multi_margin_loss(x, labels, weight=minigrad.ones(4))
    with pytest.raises(RuntimeError, match=r"Expected non-empty vector or matrix with optional 0-dim batch size, "
                                           r"but got: \[2, 3, 4\]"):
        F.multi_margin_loss(minigrad.zeros(2, 3, 4), minigrad.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        F.multi_margin_loss(x, minigrad.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"inconsistent target size: \[3, 4\] for input of size: \[3, 5\]"):
        F.multilabel_margin_loss(x, minigrad.zeros(3, 4, dtype=minigrad.int64))
    with pytest.raises(RuntimeError, match="argument #2 'target' is out of range"):
        F.multilabel_margin_loss(minigrad.zeros(5), minigrad.tensor([0, -1, 7, 0, 0]))
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        F.triplet_margin_loss(x, x, x, margin=0)
    with pytest.raises(RuntimeError, match="The anchor, positive, and negative tensors are expected to have the same "
                                           "number of dimensions, but got: anchor 2D, positive 2D, and negative 1D "
                                           "inputs"):
        F.triplet_margin_loss(x, x, minigrad.zeros(5))
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.poisson_nll_loss(x, x, reduction="bad")


def test_legacy_size_average_and_reduce_flags_warn_and_map_like_torch():
    x = minigrad.tensor([[0.5, -1.0], [2.0, 0.1]])
    y = minigrad.tensor([[1.0, -1.0], [-1.0, 1.0]])
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        summed = F.soft_margin_loss(x, y, size_average=False)
    np.testing.assert_allclose(np.asarray(summed), np.asarray(F.soft_margin_loss(x, y, reduction="sum")))


@settings(max_examples=30)
@given(distance=st.sampled_from(["default", "cosine", "l1"]), margin=st.sampled_from([0.2, 1.0, 3.0]),
       swap=st.booleans(), reduction=st.sampled_from(REDUCTIONS), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 100))
def test_triplet_margin_with_distance_loss_matches_torch(torch, distance, margin, swap, reduction, dtype, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((4, 5)).astype(dtype) for _ in range(3)]

    def call(lib_f):
        fn = {"default": None, "cosine": lambda a, b: 1.0 - lib_f.cosine_similarity(a, b),
              "l1": lambda a, b: lib_f.pairwise_distance(a, b, p=1.0)}[distance]
        return lambda a, p, n: lib_f.triplet_margin_with_distance_loss(a, p, n, distance_function=fn, margin=margin,
                                                                       swap=swap, reduction=reduction)
    check_against_torch(torch, call(F), call(torch.nn.functional), arrays)
    module_m = minigrad.nn.TripletMarginWithDistanceLoss(margin=margin, swap=swap, reduction=reduction)
    module_t = torch.nn.TripletMarginWithDistanceLoss(margin=margin, swap=swap, reduction=reduction)
    assert repr(module_m) == repr(module_t)
    if distance == "default":
        check_against_torch(torch, module_m, module_t, arrays)


def test_triplet_margin_with_distance_loss_errors_are_torchs():
    x = minigrad.zeros(3, 5)
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.triplet_margin_with_distance_loss(x, x, x, reduction="bad")
    with pytest.raises(ValueError, match="margin must be greater than 0, got -1"):
        F.triplet_margin_with_distance_loss(x, x, x, margin=-1)
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: expected margin to be greater than 0"):
        minigrad.nn.TripletMarginWithDistanceLoss(margin=0)
