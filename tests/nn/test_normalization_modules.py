"""Tests of minigrad/nn/modules/normalization.py and nn/functional/normalization.py against torch.nn."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad import nn
from minigrad.nn import functional as F
from twins import compare_modules
from utils import gradchecks

BATCH_NORMS = {"BatchNorm1d": [(6, 3), (4, 3, 5)], "BatchNorm2d": [(4, 3, 3, 5)], "BatchNorm3d": [(2, 3, 2, 3, 2)]}


@settings(max_examples=20, deadline=None)
@given(name=st.sampled_from(sorted(BATCH_NORMS)), momentum=st.sampled_from([0.1, 0.5, None]), affine=st.booleans(),
       bias=st.booleans(), track=st.booleans(), dtype=st.sampled_from([np.float32, np.float64]), data=st.data())
def test_batch_norm_train_then_eval_matches_torch(torch, name, momentum, affine, bias, track, dtype, data):
    shape = data.draw(st.sampled_from(BATCH_NORMS[name]))
    kwargs = dict(momentum=momentum, affine=affine, track_running_stats=track, bias=bias, eps=1e-3)
    mg, th = getattr(nn, name)(3, **kwargs), getattr(torch.nn, name)(3, **kwargs)
    assert repr(mg) == repr(th)
    assert list(mg.state_dict()) == list(th.state_dict())
    rng = np.random.default_rng(len(shape))
    with torch.no_grad():
        for p in th.parameters():
            p.uniform_(0.5, 1.5)
    for step in range(3):  # running statistics accumulate over several steps, compared after each
        x = rng.standard_normal(shape) * 2 + 1
        compare_modules(torch, mg, th, [x], dtype, copy_weights=step == 0, seed=step)
        for p, q in zip(mg.parameters(), th.parameters()):
            p.grad, q.grad = None, None
    mg.eval(), th.eval()
    compare_modules(torch, mg, th, [rng.standard_normal(shape)], dtype, copy_weights=False)
    if track:
        assert int(mg.num_batches_tracked) == int(th.num_batches_tracked) == 3


def test_batch_norm_training_gradgradcheck():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3, 2)), rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    gradchecks(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=1e-3), [x, w, b])
    gradchecks(lambda x: F.batch_norm(x, None, None, training=True), [rng.standard_normal((5, 2))])


def test_batch_norm_eval_gradgradcheck():
    rng = np.random.default_rng(1)
    mean, var = minigrad.tensor(rng.standard_normal(3)), minigrad.tensor(rng.uniform(0.5, 2, 3))
    gradchecks(lambda x, w, b: F.batch_norm(x, mean, var, w, b, training=False),
               [rng.standard_normal((4, 3, 2)), rng.standard_normal(3), rng.standard_normal(3)])


def test_batch_norm_running_var_uses_unbiased_variance_and_momentum_none_is_cumulative():
    bn = nn.BatchNorm1d(1, momentum=None)
    batches = [np.array([[1.0], [3.0]]), np.array([[0.0], [10.0], [5.0]])]
    for x in batches:
        bn(minigrad.tensor(x, dtype=minigrad.float32))
    expected_var = np.mean([b.var(ddof=1) for b in batches])
    expected_mean = np.mean([b.mean() for b in batches])
    np.testing.assert_allclose(np.asarray(bn.running_var), [expected_var], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(bn.running_mean), [expected_mean], rtol=1e-6)


def test_batch_norm_errors_match_torch(torch):
    for mg_call, th_call in [
        (lambda: nn.BatchNorm2d(3)(minigrad.zeros(2, 3, 4)), lambda: torch.nn.BatchNorm2d(3)(torch.zeros(2, 3, 4))),
        (lambda: nn.BatchNorm1d(3)(minigrad.zeros(1, 3)), lambda: torch.nn.BatchNorm1d(3)(torch.zeros(1, 3))),
    ]:
        with pytest.raises(ValueError) as mg:
            mg_call()
        with pytest.raises(ValueError) as th:
            th_call()
        assert str(mg.value) == str(th.value).replace("torch.Size", "minigrad.Size")


def test_batch_norm_loads_state_dict_without_num_batches_tracked():
    bn = nn.BatchNorm2d(2)
    state = {k: v for k, v in nn.BatchNorm2d(2).state_dict().items() if k != "num_batches_tracked"}
    assert bn.load_state_dict(state).missing_keys == []


def test_batch_norm_is_stable_for_large_offsets():
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((64, 4)) + 1e4, dtype=minigrad.float32)
    y = np.asarray(F.batch_norm(x, None, None, training=True))
    np.testing.assert_allclose(y.std(0), 1.0, rtol=1e-2)


@settings(max_examples=20, deadline=None)
@given(shape=st.sampled_from([(2, 3, 4), (3, 4), (2, 2, 3, 4)]), k=st.integers(1, 2), affine=st.booleans(),
       bias=st.booleans(), dtype=st.sampled_from([np.float32, np.float64]))
def test_layer_norm_matches_torch(torch, shape, k, affine, bias, dtype):
    normalized = shape[-k:]
    mg = nn.LayerNorm(normalized, elementwise_affine=affine, bias=bias)
    th = torch.nn.LayerNorm(normalized, elementwise_affine=affine, bias=bias)
    assert repr(mg) == repr(th)
    with torch.no_grad():
        for p in th.parameters():
            p.normal_()
    compare_modules(torch, mg, th, [np.random.default_rng(0).standard_normal(shape)], dtype)


@pytest.mark.parametrize("groups,channels,shape", [(1, 4, (2, 4)), (2, 4, (2, 4, 3)), (4, 4, (3, 4, 2, 2)), (3, 6, (2, 6, 5))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_group_norm_matches_torch(torch, groups, channels, shape, dtype):
    mg, th = nn.GroupNorm(groups, channels), torch.nn.GroupNorm(groups, channels)
    assert repr(mg) == repr(th)
    with torch.no_grad():
        for p in th.parameters():
            p.normal_()
    compare_modules(torch, mg, th, [np.random.default_rng(1).standard_normal(shape)], dtype)


@pytest.mark.parametrize("affine,track", [(False, False), (True, False), (True, True)])
def test_instance_norm_matches_torch(torch, affine, track):
    mg = nn.InstanceNorm2d(3, affine=affine, track_running_stats=track)
    th = torch.nn.InstanceNorm2d(3, affine=affine, track_running_stats=track)
    assert repr(mg) == repr(th)
    compare_modules(torch, mg, th, [np.random.default_rng(2).standard_normal((2, 3, 4, 4))], np.float64)
    mg.eval(), th.eval()
    compare_modules(torch, mg, th, [np.random.default_rng(3).standard_normal((2, 3, 4, 4))], np.float64,
                    copy_weights=False)


def test_layer_and_group_norm_gradgradcheck():
    rng = np.random.default_rng(4)
    gradchecks(lambda x, w, b: F.layer_norm(x, (4,), w, b), [rng.standard_normal((3, 4)), rng.standard_normal(4),
                                                          rng.standard_normal(4)])
    gradchecks(lambda x, w, b: F.group_norm(x, 2, w, b), [rng.standard_normal((2, 4, 3)), rng.standard_normal(4),
                                                          rng.standard_normal(4)])
