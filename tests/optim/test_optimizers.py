"""Optimisers against torch.optim step for step, state_dict round trips (within minigrad and across to
torch and back), zero_grad, parameter groups and argument errors."""
import copy
import importlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
import minigrad.nn  # noqa: F401  (minigrad.nn is a subpackage)
import minigrad.optim as optim

SHAPES = [(3, 4), (5,), ()]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}
STEPS = 20

unit = st.floats(0.0, 1.0)


def sgd_kwargs():
    @st.composite
    def build(draw):
        momentum = draw(st.sampled_from([0.0, 0.5, 0.9]) | st.floats(0.0, 0.99))
        dampening = draw(st.sampled_from([0.0, 0.0, 0.3]))
        nesterov = momentum > 0 and dampening == 0 and draw(st.booleans())
        return dict(lr=draw(st.floats(1e-3, 0.3)), momentum=momentum, dampening=dampening, nesterov=nesterov,
                    weight_decay=draw(st.sampled_from([0.0, 1e-2]) | st.floats(0.0, 0.1)),
                    maximize=draw(st.booleans()))
    return build()


def adam_kwargs():
    return st.fixed_dictionaries(dict(
        lr=st.floats(1e-4, 0.1), betas=st.tuples(st.floats(0.0, 0.99), st.floats(0.5, 0.9999)),
        eps=st.sampled_from([1e-8, 1e-6, 1e-3]), weight_decay=st.sampled_from([0.0, 1e-2]) | st.floats(0.0, 0.1),
        amsgrad=st.booleans(), maximize=st.booleans()))


def rmsprop_kwargs():
    return st.fixed_dictionaries(dict(
        lr=st.floats(1e-4, 0.05), alpha=st.floats(0.5, 0.999), eps=st.sampled_from([1e-8, 1e-4]),
        weight_decay=st.sampled_from([0.0, 1e-2]), momentum=st.sampled_from([0.0, 0.9]) | st.floats(0.0, 0.99),
        centered=st.booleans(), maximize=st.booleans()))


def adagrad_kwargs():
    return st.fixed_dictionaries(dict(
        lr=st.floats(1e-3, 0.3), lr_decay=st.sampled_from([0.0, 0.1]) | st.floats(0.0, 0.5),
        weight_decay=st.sampled_from([0.0, 1e-2]), initial_accumulator_value=st.sampled_from([0.0, 0.1]) | unit,
        eps=st.sampled_from([1e-10, 1e-6]), maximize=st.booleans()))


weight_decays = st.sampled_from([0.0, 1e-2]) | st.floats(0.0, 0.1)
betas = st.tuples(st.floats(0.0, 0.99), st.sampled_from([0.9, 0.999]) | st.floats(0.5, 0.9999))


def adadelta_kwargs():
    return st.fixed_dictionaries(dict(
        # (rho just below 1 makes (1 - rho) * g * g a few float32 ulps of the average: float32 drifts there)
        lr=st.sampled_from([1.0]) | st.floats(0.05, 2.0), rho=st.sampled_from([0.9, 1.0]) | st.floats(0.0, 0.99),
        eps=st.sampled_from([1e-6, 1e-3]), weight_decay=weight_decays, maximize=st.booleans()))


def adamax_kwargs():
    return st.fixed_dictionaries(dict(
        lr=st.floats(1e-4, 0.1), betas=betas, eps=st.sampled_from([1e-8, 1e-3]), weight_decay=weight_decays,
        maximize=st.booleans()))


def nadam_kwargs():
    return st.fixed_dictionaries(dict(
        lr=st.floats(1e-4, 0.1), betas=betas, eps=st.sampled_from([1e-8, 1e-3]), weight_decay=weight_decays,
        momentum_decay=st.sampled_from([4e-3, 0.0]) | st.floats(0.0, 0.1), decoupled_weight_decay=st.booleans(),
        maximize=st.booleans()))


def radam_kwargs():
    return st.fixed_dictionaries(dict(
        lr=st.floats(1e-4, 0.1), betas=st.tuples(st.floats(0.0, 0.99), st.sampled_from([0.9, 0.99, 0.999])),
        eps=st.sampled_from([1e-8, 1e-3]), weight_decay=weight_decays, decoupled_weight_decay=st.booleans(),
        maximize=st.booleans()))


def asgd_kwargs():
    return st.fixed_dictionaries(dict(
        lr=st.floats(1e-3, 0.1), lambd=st.sampled_from([1e-4, 0.01, 0.5]), alpha=st.floats(0.25, 1.0),
        t0=st.sampled_from([0.0, 3.0, 1e6]) | st.floats(0.0, 25.0), weight_decay=weight_decays,
        maximize=st.booleans()))


def rprop_kwargs():
    return st.fixed_dictionaries(dict(
        lr=st.floats(1e-3, 0.1), etas=st.tuples(st.floats(0.05, 0.95), st.floats(1.05, 3.0)),
        step_sizes=st.sampled_from([(1e-6, 50), (1e-3, 0.05)]) | st.tuples(st.floats(0.0, 0.01), st.floats(0.01, 1.0)),
        maximize=st.booleans()))


def adafactor_kwargs():
    return st.fixed_dictionaries(dict(
        lr=st.floats(1e-3, 0.1), beta2_decay=st.sampled_from([-0.8, 0.0]) | st.floats(-1.0, -0.1),
        eps=st.sampled_from([(None, 1e-3), (1e-30, 1e-3), (None, 0.0), (1e-3, 1e-2)]),
        d=st.sampled_from([1.0]) | st.floats(1.0, 3.0), weight_decay=weight_decays, maximize=st.booleans()))


STRATEGIES = {"SGD": sgd_kwargs(), "Adam": adam_kwargs(), "AdamW": adam_kwargs(), "RMSprop": rmsprop_kwargs(),
              "Adagrad": adagrad_kwargs(), "Adadelta": adadelta_kwargs(), "Adamax": adamax_kwargs(),
              "NAdam": nadam_kwargs(), "RAdam": radam_kwargs(), "ASGD": asgd_kwargs(), "Rprop": rprop_kwargs(),
              "Adafactor": adafactor_kwargs()}
DEFAULT_KWARGS = {"SGD": dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True),
                  "Adam": dict(lr=0.05, amsgrad=True, weight_decay=0.01), "AdamW": dict(lr=0.05),
                  "RMSprop": dict(lr=0.01, momentum=0.5, centered=True), "Adagrad": dict(lr=0.1, lr_decay=0.05),
                  "Adadelta": dict(lr=0.5, weight_decay=0.01), "Adamax": dict(lr=0.05, weight_decay=0.01),
                  "NAdam": dict(lr=0.05, weight_decay=0.01, decoupled_weight_decay=True),
                  "RAdam": dict(lr=0.05, betas=(0.9, 0.9), weight_decay=0.01),
                  "ASGD": dict(lr=0.05, t0=2.0, lambd=0.01), "Rprop": dict(lr=0.05, etas=(0.4, 1.5)),
                  "Adafactor": dict(lr=0.05, weight_decay=0.01)}


class Twin:
    """The same parameters in minigrad and torch, and gradients ``g = a * p + b`` computed from each
    framework's own current parameters (so any drift between the two would compound)."""

    def __init__(self, torch, dtype, seed, shapes=SHAPES):
        rng = np.random.default_rng(seed)
        self.torch, self.dtype, self.rng = torch, dtype, rng
        initial = [rng.standard_normal(s).astype(dtype) for s in shapes]
        self.mg = [minigrad.tensor(a, requires_grad=True) for a in initial]
        self.th = [torch.tensor(a, requires_grad=True) for a in initial]

    def groups(self, params, split: bool, overrides: dict):
        if not split:
            return list(params)
        return [{"params": params[:2]}, {"params": params[2:], **overrides}]

    def set_grads(self, skip=()):
        for i, (m, t) in enumerate(zip(self.mg, self.th)):
            a = self.rng.standard_normal(m.shape)
            b = self.rng.standard_normal(m.shape)
            if i in skip:
                m.grad, t.grad = None, None
                continue
            m.grad = minigrad.tensor(np.asarray(a * m.detach().numpy() + b, dtype=self.dtype))
            t.grad = self.torch.from_numpy(np.asarray(a * t.detach().numpy() + b, dtype=self.dtype))

    def assert_close(self, step):
        for i, (m, t) in enumerate(zip(self.mg, self.th)):
            assert m.dtype.name == str(t.dtype).replace("torch.", "")
            np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), **TOL[self.dtype],
                                       err_msg=f"parameter {i} after step {step}")


def to_numpy(value):
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


def assert_state_matches(mg_opt, th_opt, dtype):
    mg_sd, th_sd = mg_opt.state_dict(), th_opt.state_dict()
    assert [sorted(g) for g in mg_sd["param_groups"]] == [sorted(g) for g in th_sd["param_groups"]]
    for mg_group, th_group in zip(mg_sd["param_groups"], th_sd["param_groups"]):
        assert mg_group == th_group
    assert sorted(mg_sd["state"]) == sorted(th_sd["state"])
    for index, th_state in th_sd["state"].items():
        mg_state = mg_sd["state"][index]
        assert sorted(mg_state) == sorted(th_state)
        for key, value in th_state.items():
            assert tuple(mg_state[key].shape) == tuple(value.shape), key
            np.testing.assert_allclose(to_numpy(mg_state[key]), to_numpy(value), **TOL[dtype],
                                       err_msg=f"state[{index}][{key!r}]")


# Scalars kept in float32 by torch (ASGD's eta and mu, NAdam's mu_product) are cast to the parameters'
# dtype by load_state_dict, in torch as here, so a float64 run resumed from a state_dict rounds differently.
FLOAT32_SCALAR_STATE = {"ASGD", "NAdam"}


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_trajectory_matches_torch_step_for_step(torch, name):
    """Generated options, two parameter groups or one, float32 and float64: the parameters after every one
    of STEPS steps, and the state at the end, are torch's. Half-way, each framework's state_dict is loaded
    into a fresh optimiser on copies of the parameters; the resumed pair matches too, and the resumed
    minigrad optimiser runs in lockstep with the uninterrupted one, bit for bit."""
    @settings(max_examples=12, deadline=None)
    @given(kwargs=STRATEGIES[name], dtype=st.sampled_from([np.float32, np.float64]), split=st.booleans(),
           group_lr=st.floats(1e-3, 0.1), seed=st.integers(0, 2**16))
    def check(kwargs, dtype, split, group_lr, seed):
        twin = Twin(torch, dtype, seed)
        overrides = {"lr": group_lr}
        if "weight_decay" in kwargs:
            overrides["weight_decay"] = 0.05
        mg_opt = getattr(optim, name)(twin.groups(twin.mg, split, overrides), **kwargs)
        th_opt = getattr(torch.optim, name)(twin.groups(twin.th, split, overrides), **kwargs)
        resumed = None
        for step in range(STEPS):
            if step == STEPS // 2:
                resumed = Twin(torch, dtype, seed)
                for m, t, mg_param, th_param in zip(resumed.mg, resumed.th, twin.mg, twin.th):
                    m.data = minigrad.tensor(mg_param.detach().numpy())
                    t.data = th_param.detach().clone()
                resumed.mg_opt = getattr(optim, name)(resumed.groups(resumed.mg, split, {}), lr=0.5)
                resumed.th_opt = getattr(torch.optim, name)(resumed.groups(resumed.th, split, {}), lr=0.5)
                resumed.mg_opt.load_state_dict(copy.deepcopy(mg_opt.state_dict()))  # lr=0.5 is overwritten
                resumed.th_opt.load_state_dict(copy.deepcopy(th_opt.state_dict()))
            skip = (1,) if step in (2, 13) else ()  # a parameter without a gradient is left alone
            if resumed is not None:
                resumed.rng = copy.deepcopy(twin.rng)  # the same gradient rule for both
            twin.set_grads(skip)
            mg_opt.step()
            th_opt.step()
            twin.assert_close(step)
            if resumed is not None:
                resumed.set_grads(skip)
                resumed.mg_opt.step()
                resumed.th_opt.step()
                resumed.assert_close(step)
                if dtype == np.float32 or name not in FLOAT32_SCALAR_STATE:
                    for a, b in zip(twin.mg, resumed.mg):
                        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        assert_state_matches(mg_opt, th_opt, dtype)
        assert_state_matches(resumed.mg_opt, resumed.th_opt, dtype)

    check()


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_parameter_never_given_a_gradient_gets_no_state_and_no_change(torch, name):
    twin = Twin(torch, np.float64, 0)
    mg_opt = getattr(optim, name)(twin.mg, **DEFAULT_KWARGS[name])
    th_opt = getattr(torch.optim, name)(twin.th, **DEFAULT_KWARGS[name])
    before = twin.mg[1].detach().numpy().copy()
    for step in range(3):
        twin.set_grads(skip=(1,))
        mg_opt.step()
        th_opt.step()
    np.testing.assert_array_equal(twin.mg[1].detach().numpy(), before)
    assert sorted(mg_opt.state_dict()["state"]) == sorted(th_opt.state_dict()["state"])


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_state_dict_round_trip_resumes_exactly_like_uninterrupted(torch, name):
    twin = Twin(torch, np.float32, 1)
    opt = getattr(optim, name)(twin.groups(twin.mg, True, {"lr": 0.02}), **DEFAULT_KWARGS[name])
    rng = np.random.default_rng(5)
    grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(7)]

    def run(params, optimizer, steps):
        for gs in steps:
            for p, g in zip(params, gs):
                p.grad = minigrad.tensor(g)
            optimizer.step()

    run(twin.mg, opt, grads[:4])
    saved = copy.deepcopy(opt.state_dict())
    resumed_params = [minigrad.tensor(p.detach().numpy(), requires_grad=True) for p in twin.mg]
    resumed = getattr(optim, name)(twin.groups(resumed_params, True, {"lr": 0.02}), lr=123.0)  # overwritten by load
    resumed.load_state_dict(saved)
    run(twin.mg, opt, grads[4:])
    run(resumed_params, resumed, grads[4:])
    for a, b in zip(twin.mg, resumed_params):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert resumed.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_state_dict_crosses_to_torch_and_back(torch, name):
    """torch's state_dict loads into minigrad and minigrad's into torch; both continue identically."""
    twin = Twin(torch, np.float64, 2)
    kwargs = DEFAULT_KWARGS[name]
    mg_opt = getattr(optim, name)(twin.mg, **kwargs)
    th_opt = getattr(torch.optim, name)(twin.th, **kwargs)
    for _ in range(3):
        twin.set_grads()
        mg_opt.step()
        th_opt.step()

    def to_mg(value):
        return minigrad.tensor(value.numpy()) if isinstance(value, torch.Tensor) else value

    def to_th(value):
        return torch.from_numpy(value.numpy().copy()) if isinstance(value, minigrad.Tensor) else value

    th_sd = th_opt.state_dict()
    mg_sd = mg_opt.state_dict()
    from_torch = {"state": {i: {k: to_mg(v) for k, v in s.items()} for i, s in th_sd["state"].items()},
                  "param_groups": th_sd["param_groups"]}
    from_minigrad = {"state": {i: {k: to_th(v) for k, v in s.items()} for i, s in mg_sd["state"].items()},
                     "param_groups": mg_sd["param_groups"]}
    mg_twin = Twin(torch, np.float64, 2)
    for m, t in zip(mg_twin.mg, twin.th):  # minigrad continues from torch's parameters and state
        m.data = minigrad.tensor(t.detach().numpy())
    mg_resumed = getattr(optim, name)(mg_twin.mg, **kwargs)
    mg_resumed.load_state_dict(from_torch)
    th_twin = Twin(torch, np.float64, 2)
    for t, m in zip(th_twin.th, twin.mg):  # torch continues from minigrad's parameters and state
        t.data = torch.from_numpy(m.detach().numpy().copy())
    th_resumed = getattr(torch.optim, name)(th_twin.th, **kwargs)
    th_resumed.load_state_dict(from_minigrad)
    for step in range(3):
        grads = np.random.default_rng(step)
        for m, t in zip(mg_twin.mg, th_twin.th):
            g = grads.standard_normal(m.shape)
            m.grad, t.grad = minigrad.tensor(g), torch.from_numpy(g)
        mg_resumed.step()
        th_resumed.step()
    for m, t in zip(mg_twin.mg, th_twin.th):
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), **TOL[np.float64])


def test_model_trained_with_autograd_matches_torch(torch):
    """A two-layer minigrad model and its torch twin: same losses, gradients and SGD/Adam steps."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 4)).astype(np.float32), rng.standard_normal((16, 2)).astype(np.float32)
    mg_model = minigrad.nn.Sequential(minigrad.nn.Linear(4, 8), minigrad.nn.Linear(8, 2))
    th_model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 2))
    th_model.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in mg_model.state_dict().items()})
    mg_opts = [optim.SGD(mg_model[0].parameters(), lr=0.05, momentum=0.9), optim.Adam(mg_model[1].parameters(), lr=0.01)]
    th_opts = [torch.optim.SGD(th_model[0].parameters(), lr=0.05, momentum=0.9),
               torch.optim.Adam(th_model[1].parameters(), lr=0.01)]
    for step in range(5):
        mg_loss = ((mg_model(minigrad.tensor(x)) - minigrad.tensor(y)) ** 2).mean()
        th_loss = ((th_model(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean()
        np.testing.assert_allclose(mg_loss.item(), th_loss.item(), rtol=1e-5)
        for o in mg_opts + th_opts:
            o.zero_grad()
        mg_loss.backward()
        th_loss.backward()
        for o in mg_opts + th_opts:
            o.step()
    for (key, m), (_, t) in zip(mg_model.state_dict().items(), th_model.state_dict().items()):
        np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)


def test_step_updates_in_place_and_bumps_the_version_counter():
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    view = w.detach()  # shares memory and the version counter
    opt = optim.Adam([w], lr=0.1)
    version = w._version
    w.grad = minigrad.tensor([1.0, -1.0])
    opt.step()
    assert w._version > version
    np.testing.assert_array_equal(view.numpy(), w.detach().numpy())
    np.testing.assert_allclose(w.detach().numpy(), [0.9, 2.1], rtol=1e-6)


def test_step_returns_the_closure_loss_computed_with_grad_enabled():
    w = minigrad.tensor([3.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with minigrad.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(w.detach().numpy(), [3.0 - 0.1 * 6.0])


def test_zero_grad_sets_none_by_default_and_zeros_in_place_otherwise():
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.grad = minigrad.tensor([3.0, 4.0])
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and not np.any(grad.numpy())
    opt.zero_grad()
    assert w.grad is None


def test_optimizer_state_lives_on_the_parameter_dtype():
    w = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
    opt = optim.RMSprop([w], momentum=0.9, centered=True)
    w.grad = minigrad.tensor([1.0, 1.0], dtype=minigrad.float64)
    opt.step()
    for key, value in opt.state[w].items():
        assert value.dtype == (minigrad.float32 if key == "step" else minigrad.float64), key


def test_add_param_group_fills_defaults_and_later_groups_are_stepped():
    a, b = minigrad.tensor([1.0], requires_grad=True), minigrad.tensor([1.0], requires_grad=True)
    opt = optim.Adagrad([a], lr=0.5)
    opt.add_param_group({"params": b, "lr": 0.25})
    assert opt.param_groups[1]["eps"] == 1e-10 and opt.param_groups[1]["lr"] == 0.25
    a.grad, b.grad = minigrad.tensor([2.0]), minigrad.tensor([2.0])
    opt.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.5, 0.75], rtol=1e-6)


def _message(callable_):
    try:
        callable_()
    except (ValueError, TypeError, KeyError) as exc:
        return type(exc).__name__, str(exc)
    return None


@pytest.mark.parametrize("case", [
    "empty", "non_leaf", "shared", "set", "bad_lr", "nesterov", "bad_beta", "groups", "group_size"])
def test_argument_errors_match_torch(torch, case):
    def make(lib):
        w = lib.ones(2, requires_grad=True)
        v = lib.ones(2, requires_grad=True)
        o = lib.optim
        return {
            "empty": lambda: o.SGD([], lr=0.1),
            "non_leaf": lambda: o.SGD([w * 2], lr=0.1),
            "shared": lambda: o.SGD([{"params": [w]}, {"params": [w]}], lr=0.1),
            "set": lambda: o.SGD([{"params": {w}}], lr=0.1),
            "bad_lr": lambda: o.Adam([w], lr=-1.0),
            "nesterov": lambda: o.SGD([w], lr=0.1, nesterov=True),
            "bad_beta": lambda: o.Adam([w], betas=(1.0, 0.9)),
            "groups": lambda: o.SGD([w], lr=0.1).load_state_dict(
                o.SGD([{"params": [w]}, {"params": [v]}], lr=0.1).state_dict()),
            "group_size": lambda: o.SGD([w], lr=0.1).load_state_dict(o.SGD([w, v], lr=0.1).state_dict()),
        }[case]
    expected = _message(make(torch))
    assert expected is not None
    assert _message(make(minigrad)) == expected


def test_unsupported_torch_flags_are_refused_not_ignored():
    w = minigrad.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="fused"):
        optim.Adam([w], fused=True)
    optim.Adam([w], foreach=True)  # accepted: one implementation serves both


ALL_OPTIMIZERS = list(STRATEGIES) + ["LBFGS"]


@pytest.mark.parametrize("name", ALL_OPTIMIZERS)
@pytest.mark.parametrize("flags", [{}, {"foreach": True}, {"foreach": False}], ids=["defaults", "foreach", "single"])
def test_defaults_and_param_group_keys_are_torchs(torch, name, flags):
    """Made with no arguments but the parameters (and foreach, accepted and ignored: one implementation
    serves both), the parameter groups hold torch's keys with torch's default values."""
    if name == "LBFGS" and flags:
        pytest.skip("torch.optim.LBFGS has no foreach argument")
    mg_opt = getattr(optim, name)([minigrad.ones(2, requires_grad=True)], **flags)
    th_opt = getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **flags)
    assert mg_opt.state_dict()["param_groups"] == th_opt.state_dict()["param_groups"]
    assert mg_opt.defaults == th_opt.defaults


@pytest.mark.parametrize("name", ALL_OPTIMIZERS)
def test_a_one_element_tensor_lr_is_accepted_and_read_as_a_number(name):
    w = minigrad.tensor([1.0, -2.0], requires_grad=True)
    v = minigrad.tensor([1.0, -2.0], requires_grad=True)
    by_tensor = getattr(optim, name)([w], lr=minigrad.tensor(0.01))
    by_float = getattr(optim, name)([v], lr=0.01)
    for p, opt in ((w, by_tensor), (v, by_float)):
        def closure(p=p, opt=opt):
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss
        closure()
        opt.step(closure)
    np.testing.assert_array_equal(w.detach().numpy(), v.detach().numpy())


@pytest.mark.parametrize("name", ALL_OPTIMIZERS)
def test_state_dict_survives_a_safetensors_checkpoint(name, tmp_path):
    """minigrad.save / minigrad.load keep every optimiser's state (LBFGS's lists with None entries, NAdam's
    float32 mu_product, Adafactor's eps=(None, ...)), and the loaded optimiser continues bit for bit."""
    def run(w, opt, steps):
        def closure():
            opt.zero_grad()
            loss = (w * w * w * w).sum() + w.sum()
            loss.backward()
            return loss
        for _ in range(steps):
            opt.step(closure)

    # float32 parameters: float64 ones would get NAdam's float32 mu_product cast up on load (as in torch)
    w = minigrad.tensor(np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(3, 2), requires_grad=True)
    opt = getattr(optim, name)([w], **DEFAULT_KWARGS.get(name, {}))
    run(w, opt, 3)
    minigrad.save({"optimizer": opt.state_dict()}, tmp_path / "checkpoint.safetensors")
    resumed_w = minigrad.tensor(w.detach().numpy(), requires_grad=True)
    resumed = getattr(optim, name)([resumed_w])
    resumed.load_state_dict(minigrad.load(tmp_path / "checkpoint.safetensors")["optimizer"])
    run(w, opt, 2)
    run(resumed_w, resumed, 2)
    np.testing.assert_array_equal(resumed_w.detach().numpy(), w.detach().numpy())


def _signature(function):
    import inspect
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("name", ALL_OPTIMIZERS)
def test_signatures_are_torchs(torch, name):
    """Argument names, order, keyword-only markers and defaults of the constructor and the methods."""
    for method in ("__init__", "step", "zero_grad", "state_dict", "load_state_dict", "add_param_group"):
        assert _signature(getattr(getattr(optim, name), method)) == _signature(
            getattr(getattr(torch.optim, name), method)), method


def test_every_torch_optimizer_exists_but_the_sparse_and_bfloat16_ones(torch):
    missing = {name for name in torch.optim.__all__ if name[0].isupper() and not hasattr(optim, name)}
    assert missing == {"SparseAdam", "Muon"}


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "NAdam", "LBFGS"])
def test_hooks_run_in_torchs_order_with_torchs_arguments(torch, name):
    """Global and per-optimiser step hooks, state_dict and load_state_dict hooks (with prepend): the same
    calls in the same order in both frameworks; a step pre hook can swap the closure, a state_dict post
    hook and a load pre hook can replace the dict."""
    def record(lib):
        calls = []
        w = lib.ones(2, requires_grad=True)
        opt = getattr(lib.optim, name)([w], lr=0.1)
        hooks = importlib.import_module(lib.__name__ + ".optim.optimizer")

        def closure():
            calls.append("closure")
            opt.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss

        def swap_closure(o, args, kwargs):
            calls.append(("pre", type(o).__name__, len(args), sorted(kwargs)))
            return (args[0],), {"closure": closure}

        handles = [hooks.register_optimizer_step_pre_hook(lambda o, a, k: calls.append("global pre")),
                   hooks.register_optimizer_step_post_hook(lambda o, a, k: calls.append("global post"))]
        try:
            opt.register_step_pre_hook(swap_closure)
            opt.register_step_post_hook(lambda o, a, k: calls.append(("post", sorted(k))))
            opt.register_state_dict_pre_hook(lambda o: calls.append("sd pre"))
            opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
            opt.register_state_dict_post_hook(lambda o, sd: calls.append(("sd post", sorted(sd))), prepend=True)
            opt.register_load_state_dict_pre_hook(
                lambda o, sd: {**sd, "param_groups": [{**g, "lr": 0.5} for g in sd["param_groups"]]})
            opt.register_load_state_dict_post_hook(lambda o: calls.append(("load post", o.param_groups[0]["lr"])))
            handle = opt.register_step_post_hook(lambda o, a, k: calls.append("removed"))
            handle.remove()
            opt.step()
            saved = opt.state_dict()
            calls.append(sorted(saved))
            opt.load_state_dict(saved)
            calls.append(opt.param_groups[0]["lr"])
        finally:
            for h in handles:
                h.remove()
        return calls

    assert record(minigrad) == record(torch)


def test_a_step_pre_hook_must_return_none_or_args_and_kwargs(torch):
    for lib in (torch, minigrad):
        opt = lib.optim.SGD([lib.ones(1, requires_grad=True)], lr=0.1)
        opt.register_step_pre_hook(lambda o, a, k: "nonsense")
        with pytest.raises(RuntimeError, match="must return None or a tuple of \\(new_args, new_kwargs\\)"):
            opt.step()
