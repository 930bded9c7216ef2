"""Tests of minigrad/nn/utils (clip_grad_norm_, clip_grad_value_, get_total_norm, parameters_to_vector,
vector_to_parameters) side by side with torch.nn.utils, on the same gradients."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad import nn


def _twin_parameters(torch, grads, dtype):
    mg, th = [], []
    for g in grads:
        p = nn.Parameter(minigrad.tensor(np.zeros_like(g, dtype=dtype)))
        p.grad = minigrad.tensor(g.astype(dtype))
        q = torch.nn.Parameter(torch.zeros(g.shape, dtype=getattr(torch, np.dtype(dtype).name)))
        q.grad = torch.tensor(g.astype(dtype))
        mg.append(p)
        th.append(q)
    return mg, th


@settings(max_examples=60)
@given(shapes=st.lists(st.lists(st.integers(1, 4), min_size=0, max_size=3), min_size=1, max_size=4),
       max_norm=st.sampled_from([0.1, 1.0, 100.0]), norm_type=st.sampled_from([2.0, 1.0, 3.0, float("inf"), 0.5]),
       scale=st.sampled_from([0.01, 1.0, 10.0]), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 100))
def test_clip_grad_norm_matches_torch(torch, shapes, max_norm, norm_type, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(s) * scale for s in shapes]
    mg, th = _twin_parameters(torch, grads, dtype)
    total_m = nn.utils.clip_grad_norm_(mg, max_norm, norm_type, foreach=True)
    total_t = torch.nn.utils.clip_grad_norm_(th, max_norm, norm_type)
    tol = dict(rtol=1e-5, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-12)
    assert total_m.dtype.name == str(total_t.dtype).replace("torch.", "") and tuple(total_m.shape) == ()
    np.testing.assert_allclose(float(total_m), float(total_t), **tol)
    for p, q in zip(mg, th):
        np.testing.assert_allclose(np.asarray(p.grad), q.grad.numpy(), **tol)


def test_clip_grad_norm_skips_missing_gradients_and_accepts_one_tensor(torch):
    p = nn.Parameter(minigrad.ones(3))
    assert float(nn.utils.clip_grad_norm_([p, nn.Parameter(minigrad.ones(2))], 1.0)) == 0.0
    p.grad = minigrad.tensor([3.0, 4.0, 0.0])
    assert float(nn.utils.clip_grad_norm_(p, 1.0)) == pytest.approx(5.0)
    np.testing.assert_allclose(np.asarray(p.grad), [0.6, 0.8, 0.0], rtol=1e-5)


def test_clip_grad_norm_raises_on_a_nonfinite_norm_only_when_asked(torch):
    p = nn.Parameter(minigrad.ones(2))
    p.grad = minigrad.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                           "non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert not np.isfinite(float(nn.utils.clip_grad_norm_([p], 1.0)))


@settings(max_examples=20)
@given(clip=st.sampled_from([0.01, 0.5, 2]), seed=st.integers(0, 100))
def test_clip_grad_value_matches_torch(torch, clip, seed):
    grads = [np.random.default_rng(seed).standard_normal((3, 4)), np.array([-5.0, 0.2, 5.0])]
    mg, th = _twin_parameters(torch, grads, np.float64)
    assert nn.utils.clip_grad_value_(mg, clip) is None
    torch.nn.utils.clip_grad_value_(th, clip)
    for p, q in zip(mg, th):
        np.testing.assert_array_equal(np.asarray(p.grad), q.grad.numpy())


def test_parameters_to_vector_and_back_as_torch(torch):
    net_m = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    net_t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    net_m.load_state_dict({k: v.detach().numpy().copy() for k, v in net_t.state_dict().items()})
    vec_m = nn.utils.parameters_to_vector(net_m.parameters())
    vec_t = torch.nn.utils.parameters_to_vector(net_t.parameters())
    np.testing.assert_allclose(np.asarray(vec_m.detach()), vec_t.detach().numpy())
    assert vec_m.requires_grad                       # differentiable, as torch's
    (vec_m * vec_m).sum().backward()
    np.testing.assert_allclose(np.asarray(net_m[0].weight.grad), 2 * np.asarray(net_m[0].weight.detach()))
    new = np.arange(vec_t.numel(), dtype=np.float32)
    nn.utils.vector_to_parameters(minigrad.tensor(new), net_m.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), net_t.parameters())
    for (name, p), q in zip(net_m.named_parameters(), net_t.parameters()):
        np.testing.assert_array_equal(np.asarray(p.detach()), q.detach().numpy(), err_msg=name)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], net_m.parameters())
