"""LBFGS against torch.optim.LBFGS: the same iterates, losses, evaluation counts and state after every
``step(closure)``, with and without the strong-Wolfe line search, over combinations of its options;
state_dict round trips within minigrad and across from torch."""
import copy
import itertools

import numpy as np
import pytest

import minigrad
import minigrad.optim as optim

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 5))
Y = RNG.standard_normal((2, 5))


class Problem:
    """Rosenbrock in 4-d (curved valley, a local minimum) plus a least-squares term, over three parameters:
    ``a`` (4,), ``B`` (2, 3) and ``unused`` (2,), which never gets a gradient (its slice of the flat
    gradient is zeros), written once for both frameworks."""

    def __init__(self, lib, dtype):
        self.lib = lib
        self.a = lib.tensor(np.array([-1.2, 1.0, 0.5, -0.3], dtype=dtype), requires_grad=True)
        self.B = lib.tensor(np.full((2, 3), 0.1, dtype=dtype), requires_grad=True)
        self.unused = lib.tensor(np.ones(2, dtype=dtype), requires_grad=True)
        self.x, self.y = lib.tensor(X.astype(dtype)), lib.tensor(Y.astype(dtype))
        self.params = [self.a, self.B, self.unused]

    def loss(self):
        a = self.a
        rosenbrock = ((1 - a[:-1]) ** 2).sum() + (100 * (a[1:] - a[:-1] * a[:-1]) ** 2).sum()
        return rosenbrock + ((self.B @ self.x - self.y) ** 2).sum()

    def closure(self, opt):
        def closure():
            opt.zero_grad()
            loss = self.loss()
            loss.backward()
            return loss
        return closure

    def numpy(self):
        return [p.detach().numpy() for p in self.params]


OPTIONS = [dict(zip(("line_search_fn", "history_size", "max_iter", "lr", "max_eval"), values)) for values in
           itertools.product([None, "strong_wolfe"], [100, 3], [10, 4], [1.0, 0.3], [None, 7])]


def _pair(torch, dtype, kwargs):
    mg, th = Problem(minigrad, dtype), Problem(torch, dtype)
    mg.opt, th.opt = optim.LBFGS(mg.params, **kwargs), torch.optim.LBFGS(th.params, **kwargs)
    return mg, th


def _assert_state_like_torch(torch, mg_state, th_state, rtol):
    assert list(mg_state) == list(th_state)  # the same keys, in torch's order
    for key, th_value in th_state.items():
        mg_value = mg_state[key]
        if isinstance(th_value, list):
            assert len(mg_value) == len(th_value), key
            pairs = [(m, t) for m, t in zip(mg_value, th_value) if t is not None]
        else:
            pairs = [(mg_value, th_value)]
        for m, t in pairs:
            assert isinstance(m, minigrad.Tensor) == isinstance(t, torch.Tensor), key
            m = m.detach().numpy() if isinstance(m, minigrad.Tensor) else m
            t = t.detach().numpy() if isinstance(t, torch.Tensor) else t
            np.testing.assert_allclose(m, t, rtol=rtol, atol=rtol * 1e-4, err_msg=key)


@pytest.mark.parametrize("kwargs", OPTIONS, ids=lambda k: "-".join(f"{v}" for v in k.values()))
def test_iterates_and_counts_match_torch_step_for_step_in_float64(torch, kwargs):
    """Up to 30 iterations. Longer runs in the valley with a short history amplify last-bit differences
    (dot products and losses summed in another order) about tenfold per ten iterations, in torch too."""
    mg, th = _pair(torch, np.float64, kwargs)
    for step in range(3):
        mg_loss = mg.opt.step(mg.closure(mg.opt))
        th_loss = th.opt.step(th.closure(th.opt))
        np.testing.assert_allclose(mg_loss.item(), th_loss.item(), rtol=1e-10)
        for m, t in zip(mg.numpy(), th.numpy()):
            np.testing.assert_allclose(m, t, rtol=1e-9, atol=1e-12, err_msg=f"step {step}")
        mg_state, th_state = mg.opt.state[mg.a], th.opt.state[th.a]
        assert (mg_state["func_evals"], mg_state["n_iter"]) == (th_state["func_evals"], th_state["n_iter"])
    # the state near convergence holds small differences of close numbers: checked more loosely
    _assert_state_like_torch(torch, mg.opt.state_dict()["state"][0], th.opt.state_dict()["state"][0], rtol=1e-5)
    assert mg.opt.state_dict()["param_groups"] == th.opt.state_dict()["param_groups"]
    np.testing.assert_array_equal(mg.unused.detach().numpy(), np.ones(2))


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_float32_iterates_stay_close_to_torch(torch, line_search_fn):
    """Away from convergence (where a last-bit difference in a float32 sum can flip a stopping test)."""
    mg, th = _pair(torch, np.float32, dict(line_search_fn=line_search_fn, max_iter=4))
    for step in range(2):
        mg.opt.step(mg.closure(mg.opt))
        th.opt.step(th.closure(th.opt))
        for m, t in zip(mg.numpy(), th.numpy()):
            assert m.dtype == np.float32
            np.testing.assert_allclose(m, t, rtol=1e-4, atol=1e-5, err_msg=f"step {step}")


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip_resumes_exactly(torch, line_search_fn):
    kwargs = dict(line_search_fn=line_search_fn, max_iter=5, history_size=4)
    mg = Problem(minigrad, np.float64)
    mg.opt = optim.LBFGS(mg.params, **kwargs)
    for _ in range(2):
        mg.opt.step(mg.closure(mg.opt))
    resumed = Problem(minigrad, np.float64)
    for p, q in zip(resumed.params, mg.params):
        p.data = q.detach().clone()
    resumed.opt = optim.LBFGS(resumed.params, lr=0.1, **{k: v for k, v in kwargs.items() if k != "history_size"})
    resumed.opt.load_state_dict(copy.deepcopy(mg.opt.state_dict()))
    assert resumed.opt.param_groups[0]["history_size"] == 4
    for _ in range(3):
        mg.opt.step(mg.closure(mg.opt))
        resumed.opt.step(resumed.closure(resumed.opt))
        for m, r in zip(mg.numpy(), resumed.numpy()):
            np.testing.assert_array_equal(m, r)


def test_state_dict_from_torch_continues_like_torch(torch):
    kwargs = dict(line_search_fn="strong_wolfe", max_iter=5)
    mg, th = _pair(torch, np.float64, kwargs)
    for _ in range(2):
        th.opt.step(th.closure(th.opt))

    def to_minigrad(value):
        if isinstance(value, list):
            return [to_minigrad(v) for v in value]
        return minigrad.tensor(value.numpy()) if isinstance(value, torch.Tensor) else value

    saved = th.opt.state_dict()
    for p, q in zip(mg.params, th.params):
        p.data = minigrad.tensor(q.detach().numpy())
    mg.opt.load_state_dict({"state": {i: {k: to_minigrad(v) for k, v in s.items()} for i, s in saved["state"].items()},
                            "param_groups": saved["param_groups"]})
    for _ in range(2):
        mg.opt.step(mg.closure(mg.opt))
        th.opt.step(th.closure(th.opt))
        for m, t in zip(mg.numpy(), th.numpy()):
            np.testing.assert_allclose(m, t, rtol=1e-9, atol=1e-12)


def test_a_zero_gradient_returns_at_once_without_state():
    w = minigrad.zeros(3, requires_grad=True)
    opt = optim.LBFGS([w])

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 0.0
    assert opt.state[w] == {"func_evals": 1, "n_iter": 0}
