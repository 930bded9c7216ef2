"""Learning-rate schedulers against torch.optim.lr_scheduler: the same rates (and OneCycle momenta) at
every step, to the last bit, for generated arguments; state_dict round trips; argument errors."""
import copy
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
import minigrad.optim as optim

STEPS = 60


def optimizer_pair(torch, kind="SGD", lrs=(0.1, 0.03)):
    """Two parameter groups with different rates, in minigrad and torch."""
    mg = [minigrad.ones(2, requires_grad=True) for _ in lrs]
    th = [torch.ones(2, requires_grad=True) for _ in lrs]
    kwargs = dict(momentum=0.9) if kind == "SGD" else {}
    mg_opt = getattr(optim, kind)([{"params": [p], "lr": lr} for p, lr in zip(mg, lrs)], **kwargs)
    th_opt = getattr(torch.optim, kind)([{"params": [p], "lr": lr} for p, lr in zip(th, lrs)], **kwargs)
    return mg_opt, th_opt


def group_values(opt, key):
    return [g[key] for g in opt.param_groups]


def run_both(mg_opt, th_opt, mg_sched, th_sched, steps=STEPS, extra_keys=()):
    assert mg_sched.get_last_lr() == th_sched.get_last_lr()
    for step in range(steps):
        mg_opt.step()
        th_opt.step()
        mg_sched.step()
        th_sched.step()
        assert mg_sched.get_last_lr() == th_sched.get_last_lr(), f"step {step}"
        assert group_values(mg_opt, "lr") == group_values(th_opt, "lr"), f"step {step}"
        for key in extra_keys:
            assert group_values(mg_opt, key) == group_values(th_opt, key), f"{key} at step {step}"


gammas = st.floats(0.05, 0.99)


def _lambda(epoch):
    return 0.95 ** epoch


def _warm(epoch):
    return min(1.0, (epoch + 1) / 5)


def _decay(epoch):
    return 0.97 if epoch % 3 else 1.01


class Decay:
    """A callable object: MultiplicativeLR's and LambdaLR's state_dict keep its __dict__."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, epoch):
        return self.rate


SCHEDULERS = {
    "StepLR": st.fixed_dictionaries(dict(step_size=st.integers(1, 12), gamma=gammas)),
    "MultiStepLR": st.fixed_dictionaries(dict(milestones=st.lists(st.integers(1, STEPS), max_size=5), gamma=gammas)),
    "ExponentialLR": st.fixed_dictionaries(dict(gamma=gammas)),
    "CosineAnnealingLR": st.fixed_dictionaries(dict(T_max=st.integers(1, 40), eta_min=st.sampled_from([0.0, 1e-4, 0.01]))),
    "LinearLR": st.fixed_dictionaries(dict(start_factor=st.floats(0.01, 1.0), end_factor=st.floats(0.0, 1.0),
                                           total_iters=st.integers(1, 30))),
    "LambdaLR": st.fixed_dictionaries(dict(lr_lambda=st.sampled_from([_lambda, [_lambda, _warm]]))),
    "MultiplicativeLR": st.fixed_dictionaries(dict(lr_lambda=st.sampled_from([_decay, [_decay, _warm]]))),
    "ConstantLR": st.fixed_dictionaries(dict(factor=st.sampled_from([1.0 / 3, 1.0]) | st.floats(0.01, 1.0),
                                             total_iters=st.integers(0, 70))),
    "PolynomialLR": st.fixed_dictionaries(dict(total_iters=st.integers(1, 70),
                                               power=st.sampled_from([1.0, 2.0]) | st.floats(0.1, 4.0))),
    "CosineAnnealingWarmRestarts": st.fixed_dictionaries(dict(
        T_0=st.integers(1, 20), T_mult=st.integers(1, 3), eta_min=st.sampled_from([0.0, 1e-4, 0.01]))),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_trajectory_matches_torch_exactly(torch, name):
    @settings(max_examples=25, deadline=None)
    @given(kwargs=SCHEDULERS[name])
    def check(kwargs):
        mg_opt, th_opt = optimizer_pair(torch)
        mg_sched = getattr(optim.lr_scheduler, name)(mg_opt, **kwargs)
        th_sched = getattr(torch.optim.lr_scheduler, name)(th_opt, **kwargs)
        run_both(mg_opt, th_opt, mg_sched, th_sched)

    check()


@settings(max_examples=40, deadline=None)
@given(total_steps=st.integers(6, 80), pct_start=st.floats(0.05, 0.6), anneal=st.sampled_from(["cos", "linear"]),
       three_phase=st.booleans(), cycle_momentum=st.booleans(), kind=st.sampled_from(["SGD", "Adam"]),
       max_lr=st.sampled_from([0.1, [0.2, 0.05]]), div_factor=st.floats(2.0, 50.0))
def test_one_cycle_lr_and_momentum_match_torch(torch, total_steps, pct_start, anneal, three_phase, cycle_momentum,
                                               kind, max_lr, div_factor):
    mg_opt, th_opt = optimizer_pair(torch, kind)
    kwargs = dict(max_lr=max_lr, total_steps=total_steps, pct_start=pct_start, anneal_strategy=anneal,
                  three_phase=three_phase, cycle_momentum=cycle_momentum, div_factor=div_factor)
    mg_sched = optim.lr_scheduler.OneCycleLR(mg_opt, **kwargs)
    th_sched = torch.optim.lr_scheduler.OneCycleLR(th_opt, **kwargs)
    extra = () if not cycle_momentum else (("betas",) if kind == "Adam" else ("momentum",))
    run_both(mg_opt, th_opt, mg_sched, th_sched, steps=total_steps - 1, extra_keys=extra)
    with pytest.raises(ValueError) as th_error:
        th_sched.step(), th_sched.step()
    with pytest.raises(ValueError) as mg_error:
        mg_sched.step(), mg_sched.step()
    assert str(mg_error.value) == str(th_error.value)


def test_one_cycle_with_epochs_and_steps_per_epoch_matches_torch(torch):
    mg_opt, th_opt = optimizer_pair(torch)
    mg = optim.lr_scheduler.OneCycleLR(mg_opt, max_lr=0.5, epochs=3, steps_per_epoch=7)
    th = torch.optim.lr_scheduler.OneCycleLR(th_opt, max_lr=0.5, epochs=3, steps_per_epoch=7)
    run_both(mg_opt, th_opt, mg, th, steps=20, extra_keys=("momentum",))


@settings(max_examples=25, deadline=None)
@given(warmup=st.integers(1, 15), T_max=st.integers(1, 40), start_factor=st.floats(0.01, 1.0),
       gamma=gammas, second=st.integers(1, 20))
def test_sequential_lr_chains_schedulers_like_torch(torch, warmup, T_max, start_factor, gamma, second):
    def build(lib, opt):
        s = lib.optim.lr_scheduler
        return s.SequentialLR(opt, [s.LinearLR(opt, start_factor=start_factor, total_iters=warmup),
                                    s.CosineAnnealingLR(opt, T_max=T_max),
                                    s.StepLR(opt, step_size=3, gamma=gamma)],
                              milestones=[warmup, warmup + second])

    mg_opt, th_opt = optimizer_pair(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about the constructor's initial steps
        th_sched = build(torch, th_opt)
    mg_sched = build(minigrad, mg_opt)
    run_both(mg_opt, th_opt, mg_sched, th_sched)


@settings(max_examples=40, deadline=None)
@given(base_lr=st.sampled_from([0.001, [0.01, 0.002]]), max_lr=st.sampled_from([0.1, [0.2, 0.05]]),
       step_size_up=st.integers(1, 12), step_size_down=st.none() | st.integers(1, 12),
       mode=st.sampled_from(["triangular", "triangular2", "exp_range"]), gamma=st.floats(0.8, 1.0),
       scale=st.sampled_from([None, "function", "object"]), scale_mode=st.sampled_from(["cycle", "iterations"]),
       cycle_momentum=st.booleans(), kind=st.sampled_from(["SGD", "Adam"]))
def test_cyclic_lr_and_momentum_match_torch(torch, base_lr, max_lr, step_size_up, step_size_down, mode, gamma, scale,
                                            scale_mode, cycle_momentum, kind):
    mg_opt, th_opt = optimizer_pair(torch, kind)
    scale_fn = {None: None, "function": _lambda, "object": Decay(0.9)}[scale]
    kwargs = dict(base_lr=base_lr, max_lr=max_lr, step_size_up=step_size_up, step_size_down=step_size_down,
                  mode=mode, gamma=gamma, scale_fn=scale_fn, scale_mode=scale_mode, cycle_momentum=cycle_momentum)
    mg_sched = optim.lr_scheduler.CyclicLR(mg_opt, **kwargs)
    th_sched = torch.optim.lr_scheduler.CyclicLR(th_opt, **kwargs)
    extra = () if not cycle_momentum else (("betas",) if kind == "Adam" else ("momentum",))
    run_both(mg_opt, th_opt, mg_sched, th_sched, extra_keys=extra)
    assert sorted(mg_sched.state_dict()) == sorted(th_sched.state_dict())


@settings(max_examples=25, deadline=None)
@given(factor=st.floats(0.05, 1.0), total_iters=st.integers(0, 20), gamma=gammas, T_max=st.integers(1, 30),
       order=st.permutations([0, 1, 2]))
def test_chained_scheduler_composes_like_torch(torch, factor, total_iters, gamma, T_max, order):
    def build(lib, opt):
        s = lib.optim.lr_scheduler
        made = [s.ConstantLR(opt, factor=factor, total_iters=total_iters), s.ExponentialLR(opt, gamma=gamma),
                s.CosineAnnealingLR(opt, T_max=T_max)]
        return s.ChainedScheduler([made[i] for i in order])

    mg_opt, th_opt = optimizer_pair(torch)
    mg_sched, th_sched = build(minigrad, mg_opt), build(torch, th_opt)
    run_both(mg_opt, th_opt, mg_sched, th_sched)


@settings(max_examples=25, deadline=None)
@given(T_0=st.integers(1, 10), T_mult=st.integers(1, 3), eta_min=st.sampled_from([0.0, 1e-3]),
       epochs=st.lists(st.integers(0, 400).map(lambda e: e / 8), min_size=1, max_size=30))
def test_cosine_warm_restarts_with_fractional_epochs_match_torch(torch, T_0, T_mult, eta_min, epochs):
    """``step(epoch)`` per batch, as the SGDR recipe: the closed form at fractional epochs."""
    mg_opt, th_opt = optimizer_pair(torch)
    mg_sched = optim.lr_scheduler.CosineAnnealingWarmRestarts(mg_opt, T_0=T_0, T_mult=T_mult, eta_min=eta_min)
    th_sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(th_opt, T_0=T_0, T_mult=T_mult, eta_min=eta_min)
    for epoch in epochs:
        mg_sched.step(epoch)
        th_sched.step(epoch)
        assert mg_sched.get_last_lr() == th_sched.get_last_lr(), epoch
        assert (mg_sched.T_cur, mg_sched.T_i, mg_sched.last_epoch) == (th_sched.T_cur, th_sched.T_i,
                                                                         th_sched.last_epoch)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
                                  "PolynomialLR", "CosineAnnealingLR"])
@pytest.mark.parametrize("epochs", [[3, 7, 7, 12, 2], [0, 1, 2, 30]])
def test_step_with_an_epoch_uses_torchs_closed_form(torch, name, epochs):
    kwargs = {"StepLR": dict(step_size=3), "MultiStepLR": dict(milestones=[2, 5, 5, 9]), "ConstantLR": dict(),
              "LinearLR": dict(), "ExponentialLR": dict(gamma=0.9), "PolynomialLR": dict(total_iters=9, power=1.5),
              "CosineAnnealingLR": dict(T_max=8)}[name]
    mg_opt, th_opt = optimizer_pair(torch)
    mg_sched = getattr(optim.lr_scheduler, name)(mg_opt, **kwargs)
    th_sched = getattr(torch.optim.lr_scheduler, name)(th_opt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn that the epoch argument is deprecated
        for epoch in epochs:
            mg_sched.step(epoch)
            th_sched.step(epoch)
            assert mg_sched.get_last_lr() == th_sched.get_last_lr(), epoch


@settings(max_examples=40, deadline=None)
@given(mode=st.sampled_from(["min", "max"]), factor=st.floats(0.05, 0.9), patience=st.integers(0, 5),
       threshold=st.sampled_from([1e-4, 0.1, 1.0]), threshold_mode=st.sampled_from(["rel", "abs"]),
       cooldown=st.integers(0, 3), min_lr=st.sampled_from([0.0, 1e-3, [1e-3, 0.02]]),
       eps=st.sampled_from([1e-8, 1e-3]), metrics=st.lists(st.integers(0, 6), min_size=10, max_size=50))
def test_reduce_lr_on_plateau_follows_torch_on_the_same_metrics(torch, mode, factor, patience, threshold,
                                                                 threshold_mode, cooldown, min_lr, eps, metrics):
    kwargs = dict(mode=mode, factor=factor, patience=patience, threshold=threshold, threshold_mode=threshold_mode,
                  cooldown=cooldown, min_lr=min_lr, eps=eps)
    mg_opt, th_opt = optimizer_pair(torch)
    mg_sched = optim.lr_scheduler.ReduceLROnPlateau(mg_opt, **kwargs)
    th_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(th_opt, **kwargs)
    for step, metric in enumerate(metrics):
        value = metric / 4.0
        mg_sched.step(value if step % 2 else minigrad.tensor(value))  # a tensor metric is accepted too
        th_sched.step(value)
        assert mg_sched.get_last_lr() == th_sched.get_last_lr(), f"step {step}"
        assert (mg_sched.num_bad_epochs, mg_sched.cooldown_counter, mg_sched.best) == (
            th_sched.num_bad_epochs, th_sched.cooldown_counter, th_sched.best)


def _make(name, opt, lib=minigrad):
    s = lib.optim.lr_scheduler
    return {
        "StepLR": lambda: s.StepLR(opt, step_size=4, gamma=0.5),
        "MultiStepLR": lambda: s.MultiStepLR(opt, milestones=[3, 7, 7, 12], gamma=0.5),
        "ExponentialLR": lambda: s.ExponentialLR(opt, gamma=0.9),
        "CosineAnnealingLR": lambda: s.CosineAnnealingLR(opt, T_max=9, eta_min=1e-3),
        "LinearLR": lambda: s.LinearLR(opt, start_factor=0.2, total_iters=8),
        "LambdaLR": lambda: s.LambdaLR(opt, _lambda),
        "OneCycleLR": lambda: s.OneCycleLR(opt, max_lr=0.4, total_steps=30, three_phase=True),
        "SequentialLR": lambda: s.SequentialLR(opt, [s.LinearLR(opt, total_iters=4), s.ExponentialLR(opt, gamma=0.8)],
                                               milestones=[4]),
        "MultiplicativeLR": lambda: s.MultiplicativeLR(opt, Decay(0.9)),
        "ConstantLR": lambda: s.ConstantLR(opt, factor=0.5, total_iters=9),
        "PolynomialLR": lambda: s.PolynomialLR(opt, total_iters=15, power=2.0),
        "CyclicLR": lambda: s.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4, mode="triangular2"),
        "CosineAnnealingWarmRestarts": lambda: s.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=1e-3),
        "ChainedScheduler": lambda: s.ChainedScheduler([s.ConstantLR(opt, factor=0.5, total_iters=8),
                                                        s.ExponentialLR(opt, gamma=0.9)]),
    }[name]()


ROUND_TRIP = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "LambdaLR", "OneCycleLR",
              "SequentialLR", "MultiplicativeLR", "ConstantLR", "PolynomialLR", "CyclicLR",
              "CosineAnnealingWarmRestarts", "ChainedScheduler"]


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_state_dict_round_trip_resumes_like_uninterrupted(name):
    w = minigrad.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    sched = _make(name, opt)
    for _ in range(6):
        opt.step()
        sched.step()
    saved_opt, saved_sched = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    w2 = minigrad.ones(2, requires_grad=True)
    opt2 = optim.SGD([w2], lr=0.1, momentum=0.9)
    sched2 = _make(name, opt2)  # torch's recipe: make both, then load both
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    for step in range(20):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert sched2.get_last_lr() == sched.get_last_lr(), f"step {step}"
        assert opt2.param_groups[0]["momentum"] == opt.param_groups[0]["momentum"]


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_state_dict_has_torchs_keys_and_values(torch, name):
    """The same entries as torch's state_dict (nested ones for SequentialLR and ChainedScheduler), equal
    where they are plain values; so a checkpoint's scheduler part reads the same in both."""
    mg_opt, th_opt = optimizer_pair(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mg_sched, th_sched = _make(name, mg_opt), _make(name, th_opt, torch)
    for _ in range(6):
        for o, s in ((mg_opt, mg_sched), (th_opt, th_sched)):
            o.step()
            s.step()

    def plain(state):
        return {k: ([plain(v) for v in value] if k == "_schedulers" else value) for k, value in state.items()
                if not callable(value)}

    mg_state, th_state = plain(mg_sched.state_dict()), plain(th_sched.state_dict())
    assert mg_state == th_state


def test_reduce_lr_on_plateau_state_dict_round_trip():
    opt = optim.SGD([minigrad.ones(1, requires_grad=True)], lr=1.0)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for metric in [5, 4, 4, 4, 4]:
        sched.step(metric)
    opt2 = optim.SGD([minigrad.ones(1, requires_grad=True)], lr=1.0)
    sched2 = optim.lr_scheduler.ReduceLROnPlateau(opt2)
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    sched2.load_state_dict(copy.deepcopy(sched.state_dict()))
    for metric in [4, 4, 4, 3, 3, 3, 3]:
        sched.step(metric)
        sched2.step(metric)
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_stepping_the_scheduler_before_the_optimizer_warns():
    opt = optim.SGD([minigrad.ones(1, requires_grad=True)], lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()


@pytest.mark.parametrize("case", ["plateau_factor", "plateau_mode", "linear_start", "one_cycle_steps",
                                  "one_cycle_momentum", "sequential_milestones", "lambda_count"])
def test_argument_errors_match_torch(torch, case):
    def attempt(lib):
        s = lib.optim.lr_scheduler
        w = lib.ones(1, requires_grad=True)
        make = {
            "plateau_factor": lambda: s.ReduceLROnPlateau(lib.optim.SGD([w], lr=1.0), factor=1.0),
            "plateau_mode": lambda: s.ReduceLROnPlateau(lib.optim.SGD([w], lr=1.0), mode="up"),
            "linear_start": lambda: s.LinearLR(lib.optim.SGD([w], lr=1.0), start_factor=0.0),
            "one_cycle_steps": lambda: s.OneCycleLR(lib.optim.SGD([w], lr=1.0), max_lr=1.0),
            "one_cycle_momentum": lambda: s.OneCycleLR(lib.optim.Adagrad([w]), max_lr=1.0, total_steps=5),
            "sequential_milestones": lambda: (lambda o: s.SequentialLR(o, [s.StepLR(o, 2)], milestones=[3]))(
                lib.optim.SGD([w], lr=1.0)),
            "lambda_count": lambda: s.LambdaLR(lib.optim.SGD([w], lr=1.0), [_lambda, _lambda]),
        }[case]
        try:
            make()
        except (ValueError, TypeError) as exc:
            return type(exc).__name__, str(exc)
        return None

    expected = attempt(torch)
    assert expected is not None
    assert attempt(minigrad) == expected


def test_every_torch_scheduler_exists_with_torchs_signatures(torch):
    import inspect

    def signature(function):
        return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]

    for name in torch.optim.lr_scheduler.__all__:
        ours, theirs = getattr(optim.lr_scheduler, name), getattr(torch.optim.lr_scheduler, name)
        for method in ("__init__", "step", "state_dict", "load_state_dict", "get_last_lr"):
            assert signature(getattr(ours, method)) == signature(getattr(theirs, method)), (name, method)


@pytest.mark.parametrize("lib_name", ["torch", "minigrad"])
def test_get_lr_outside_step_warns_to_use_get_last_lr(torch, lib_name):
    lib = torch if lib_name == "torch" else minigrad
    opt = lib.optim.SGD([lib.ones(1, requires_grad=True)], lr=1.0)
    sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()  # inside step: no warning
