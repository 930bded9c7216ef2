"""Bad arguments to optimisers and schedulers: for every check torch makes, minigrad raises the same
exception type with torch's message (its key phrase where the message names a framework's type), and
raises it in the constructor, before any state is made or any rate is changed.

Each case is a function of the library (``torch`` or ``minigrad``) that should raise; the test first
checks that torch raises, so a case that torch stops rejecting fails here rather than testing nothing.
"""
import warnings

import pytest

import minigrad

OPTIMIZERS = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop",
              "LBFGS", "Adafactor"]
BETAS = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"]
EPS = ["Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam"]
WEIGHT_DECAY = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD",
                "Adafactor"]


def _param(lib):
    return lib.ones(2, requires_grad=True)


def _optimizer_cases():
    """(id, make) for every optimiser x every argument torch checks for it."""
    cases = []

    def add(name, label, make):
        cases.append(pytest.param(make, id=f"{name}-{label}"))

    for name in OPTIMIZERS:
        def build(lib, name=name, params=None, **kwargs):
            return getattr(lib.optim, name)([_param(lib)] if params is None else params, **kwargs)

        add(name, "negative_lr", lambda lib, b=build: b(lib, lr=-0.1))
        add(name, "tensor_lr_of_two_elements", lambda lib, b=build: b(lib, lr=lib.tensor([0.1, 0.2])))
        add(name, "empty_params", lambda lib, b=build: b(lib, params=[]))
        add(name, "params_a_tensor", lambda lib, b=build: b(lib, params=_param(lib)))
        add(name, "params_not_tensors", lambda lib, b=build: b(lib, params=[1.0]))
        add(name, "non_leaf_param", lambda lib, b=build: b(lib, params=[_param(lib) * 2]))
        add(name, "params_in_a_set", lambda lib, b=build: b(lib, params=[{"params": {_param(lib)}}]))
        add(name, "names_missing", lambda lib, b=build: b(lib, params=[("w", _param(lib)), _param(lib)]))
        if name != "LBFGS":
            add(name, "param_in_two_groups", lambda lib, b=build: (lambda w: b(
                lib, params=[{"params": [w]}, {"params": [w]}]))(_param(lib)))
            add(name, "group_without_names", lambda lib, b=build: b(
                lib, params=[{"params": [("w", _param(lib))]}, {"params": [_param(lib)]}]))
            add(name, "add_param_group_not_a_dict", lambda lib, b=build: b(lib).add_param_group([_param(lib)]))
            add(name, "load_fewer_groups", lambda lib, b=build: b(lib).load_state_dict(b(
                lib, params=[{"params": [_param(lib)]}, {"params": [_param(lib)]}]).state_dict()))
            add(name, "load_other_group_size", lambda lib, b=build: b(lib).load_state_dict(b(
                lib, params=[_param(lib), _param(lib)]).state_dict()))
        if name in EPS:
            add(name, "negative_eps", lambda lib, b=build: b(lib, eps=-1e-8))
        if name in WEIGHT_DECAY:
            add(name, "negative_weight_decay", lambda lib, b=build: b(lib, weight_decay=-0.1))
        if name in BETAS:
            add(name, "beta0_one", lambda lib, b=build: b(lib, betas=(1.0, 0.999)))
            add(name, "beta0_negative", lambda lib, b=build: b(lib, betas=(-0.1, 0.999)))
            add(name, "beta1_above_one", lambda lib, b=build: b(lib, betas=(0.9, 1.5)))
            add(name, "beta1_negative", lambda lib, b=build: b(lib, betas=(0.9, -0.5)))
    for name in ("Adam", "AdamW"):
        add(name, "betas_not_floats", lambda lib, n=name: getattr(lib.optim, n)([_param(lib)], betas=(0, 0.9)))
    sgd = lambda lib, **kw: lib.optim.SGD([_param(lib)], lr=0.1, **kw)  # noqa: E731
    add("SGD", "negative_momentum", lambda lib: sgd(lib, momentum=-0.9))
    add("SGD", "nesterov_without_momentum", lambda lib: sgd(lib, nesterov=True))
    add("SGD", "nesterov_with_dampening", lambda lib: sgd(lib, nesterov=True, momentum=0.9, dampening=0.1))
    add("Adagrad", "negative_lr_decay", lambda lib: lib.optim.Adagrad([_param(lib)], lr_decay=-0.1))
    add("Adagrad", "negative_initial_accumulator",
        lambda lib: lib.optim.Adagrad([_param(lib)], initial_accumulator_value=-1.0))
    add("RMSprop", "negative_momentum", lambda lib: lib.optim.RMSprop([_param(lib)], momentum=-0.1))
    add("RMSprop", "negative_alpha", lambda lib: lib.optim.RMSprop([_param(lib)], alpha=-0.1))
    add("Adadelta", "rho_above_one", lambda lib: lib.optim.Adadelta([_param(lib)], rho=1.5))
    add("Adadelta", "rho_negative", lambda lib: lib.optim.Adadelta([_param(lib)], rho=-0.1))
    add("NAdam", "negative_momentum_decay", lambda lib: lib.optim.NAdam([_param(lib)], momentum_decay=-0.1))
    for label, etas in (("etaminus_zero", (0.0, 1.2)), ("etaplus_one", (0.5, 1.0)), ("etas_swapped", (1.2, 0.5)),
                        ("etaminus_one", (1.0, 1.2))):
        add("Rprop", label, lambda lib, etas=etas: lib.optim.Rprop([_param(lib)], etas=etas))
    adafactor = lambda lib, **kw: lib.optim.Adafactor([_param(lib)], **kw)  # noqa: E731
    add("Adafactor", "positive_beta2_decay", lambda lib: adafactor(lib, beta2_decay=0.5))
    add("Adafactor", "negative_eps1", lambda lib: adafactor(lib, eps=(-1e-30, 1e-3)))
    add("Adafactor", "negative_eps2", lambda lib: adafactor(lib, eps=(None, -1e-3)))
    add("Adafactor", "d_below_one", lambda lib: adafactor(lib, d=0.5))
    add("LBFGS", "parameter_groups", lambda lib: lib.optim.LBFGS([{"params": [_param(lib)]}, {"params": [_param(lib)]}]))
    add("LBFGS", "unknown_line_search", lambda lib: (lambda w: (lambda opt: opt.step(
        lambda: (opt.zero_grad(), (w * w).sum().backward(), (w * w).sum())[-1]))(
        lib.optim.LBFGS([w], line_search_fn="wolfe")))(lib.tensor([1.0, 2.0], requires_grad=True)))
    return cases


def _sgd(lib, lr=0.1, groups=1):
    return lib.optim.SGD([{"params": [_param(lib)]} for _ in range(groups)], lr=lr, momentum=0.9)


def _scheduler_cases():
    def s(lib):
        return lib.optim.lr_scheduler

    cases = {
        # every scheduler that checks its optimiser (LambdaLR and MultiplicativeLR read param_groups first)
        **{f"{name}-not_an_optimizer": (lambda lib, name=name, args=args: getattr(s(lib), name)(object(), *args))
           for name, args in [("StepLR", (3,)), ("ConstantLR", ()), ("LinearLR", ()), ("ExponentialLR", (0.9,)),
                              ("CosineAnnealingLR", (5,)), ("PolynomialLR", ()), ("ReduceLROnPlateau", ()),
                              ("CyclicLR", (0.01, 0.1)), ("CosineAnnealingWarmRestarts", (5,)), ("OneCycleLR", (0.1, 10)),
                              ("LambdaLR", (abs,)), ("MultiplicativeLR", (abs,))]},
        "StepLR-resume_without_initial_lr": lambda lib: s(lib).StepLR(_sgd(lib), 3, last_epoch=4),
        "LambdaLR-lambda_count": lambda lib: s(lib).LambdaLR(_sgd(lib), [abs, abs]),
        "MultiplicativeLR-lambda_count": lambda lib: s(lib).MultiplicativeLR(_sgd(lib, groups=2), [abs]),
        "MultiplicativeLR-not_callable": lambda lib: s(lib).MultiplicativeLR(_sgd(lib), 0.9),
        "ConstantLR-factor_above_one": lambda lib: s(lib).ConstantLR(_sgd(lib), factor=1.5),
        "ConstantLR-factor_negative": lambda lib: s(lib).ConstantLR(_sgd(lib), factor=-0.1),
        "LinearLR-start_factor_zero": lambda lib: s(lib).LinearLR(_sgd(lib), start_factor=0.0),
        "LinearLR-start_factor_above_one": lambda lib: s(lib).LinearLR(_sgd(lib), start_factor=1.5),
        "LinearLR-end_factor_negative": lambda lib: s(lib).LinearLR(_sgd(lib), end_factor=-0.1),
        "LinearLR-end_factor_above_one": lambda lib: s(lib).LinearLR(_sgd(lib), end_factor=1.5),
        "ReduceLROnPlateau-factor_one": lambda lib: s(lib).ReduceLROnPlateau(_sgd(lib), factor=1.0),
        "ReduceLROnPlateau-mode": lambda lib: s(lib).ReduceLROnPlateau(_sgd(lib), mode="up"),
        "ReduceLROnPlateau-threshold_mode": lambda lib: s(lib).ReduceLROnPlateau(_sgd(lib), threshold_mode="pct"),
        "ReduceLROnPlateau-min_lr_count": lambda lib: s(lib).ReduceLROnPlateau(_sgd(lib), min_lr=[0.1, 0.2]),
        "CyclicLR-mode": lambda lib: s(lib).CyclicLR(_sgd(lib), 0.01, 0.1, mode="square"),
        "CyclicLR-no_momentum": lambda lib: s(lib).CyclicLR(lib.optim.Adagrad([_param(lib)]), 0.01, 0.1),
        "CyclicLR-base_lr_count": lambda lib: s(lib).CyclicLR(_sgd(lib), [0.01, 0.02], 0.1),
        "CyclicLR-max_lr_count": lambda lib: s(lib).CyclicLR(_sgd(lib), 0.01, [0.1, 0.2]),
        "CyclicLR-momentum_count": lambda lib: s(lib).CyclicLR(_sgd(lib), 0.01, 0.1, base_momentum=[0.8, 0.7]),
        "CosineAnnealingWarmRestarts-T_0_zero": lambda lib: s(lib).CosineAnnealingWarmRestarts(_sgd(lib), 0),
        "CosineAnnealingWarmRestarts-T_0_float": lambda lib: s(lib).CosineAnnealingWarmRestarts(_sgd(lib), 2.5),
        "CosineAnnealingWarmRestarts-T_mult_zero": lambda lib: s(lib).CosineAnnealingWarmRestarts(_sgd(lib), 5, 0),
        "CosineAnnealingWarmRestarts-T_mult_float": lambda lib: s(lib).CosineAnnealingWarmRestarts(_sgd(lib), 5, 1.5),
        "CosineAnnealingWarmRestarts-eta_min": lambda lib: s(lib).CosineAnnealingWarmRestarts(_sgd(lib), 5,
                                                                                              eta_min="0"),
        "CosineAnnealingWarmRestarts-negative_epoch": lambda lib: s(lib).CosineAnnealingWarmRestarts(
            _sgd(lib), 5).step(-1),
        "OneCycleLR-no_length": lambda lib: s(lib).OneCycleLR(_sgd(lib), 0.1),
        "OneCycleLR-total_steps_zero": lambda lib: s(lib).OneCycleLR(_sgd(lib), 0.1, total_steps=0),
        "OneCycleLR-total_steps_float": lambda lib: s(lib).OneCycleLR(_sgd(lib), 0.1, total_steps=10.0),
        "OneCycleLR-epochs_zero": lambda lib: s(lib).OneCycleLR(_sgd(lib), 0.1, epochs=0, steps_per_epoch=5),
        "OneCycleLR-steps_per_epoch_zero": lambda lib: s(lib).OneCycleLR(_sgd(lib), 0.1, epochs=3, steps_per_epoch=0),
        "OneCycleLR-pct_start_above_one": lambda lib: s(lib).OneCycleLR(_sgd(lib), 0.1, 10, pct_start=1.5),
        "OneCycleLR-pct_start_int": lambda lib: s(lib).OneCycleLR(_sgd(lib), 0.1, 10, pct_start=0),
        "OneCycleLR-anneal_strategy": lambda lib: s(lib).OneCycleLR(_sgd(lib), 0.1, 10, anneal_strategy="step"),
        "OneCycleLR-no_momentum": lambda lib: s(lib).OneCycleLR(lib.optim.Adagrad([_param(lib)]), 0.1, 10),
        "OneCycleLR-max_lr_count": lambda lib: s(lib).OneCycleLR(_sgd(lib), [0.1, 0.2], 10),
        "OneCycleLR-past_total_steps": lambda lib: (lambda o: [o.step() for _ in range(3)])(
            s(lib).OneCycleLR(_sgd(lib), 0.1, 2)),
    }
    for name in ("SequentialLR", "ChainedScheduler"):
        def chain(lib, schedulers, opt, name=name, milestones=None):
            if name == "SequentialLR":
                return s(lib).SequentialLR(opt, schedulers, milestones=[] if milestones is None else milestones)
            return s(lib).ChainedScheduler(schedulers, opt)

        def other_optimizer(lib, chain=chain):
            a, b = _sgd(lib), _sgd(lib)
            return chain(lib, [s(lib).StepLR(a, 2), s(lib).StepLR(b, 2)], a, milestones=[3])

        def plateau(lib, chain=chain):
            a = _sgd(lib)
            return chain(lib, [s(lib).StepLR(a, 2), s(lib).ReduceLROnPlateau(a)], a, milestones=[3])

        cases[f"{name}-empty"] = lambda lib, chain=chain: chain(lib, [], _sgd(lib))
        cases[f"{name}-other_optimizer"] = other_optimizer
        cases[f"{name}-plateau"] = plateau
        cases[f"{name}-not_a_scheduler"] = lambda lib, chain=chain: (lambda a: chain(
            lib, [s(lib).StepLR(a, 2), object()], a, milestones=[3]))(_sgd(lib))
    cases["SequentialLR-milestone_count"] = lambda lib: (lambda a: s(lib).SequentialLR(
        a, [s(lib).StepLR(a, 2), s(lib).StepLR(a, 3)], milestones=[2, 4]))(_sgd(lib))
    return [pytest.param(make, id=label) for label, make in cases.items()]


def _raised(make, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            make(lib)
        except Exception as exc:  # noqa: BLE001  (the point is which exception)
            return exc
    return None


def _key_phrase(message: str) -> str:
    """torch's message up to where it names a type of its own (``torch.FloatTensor``, an optimizer's repr)."""
    for cut in (", but got torch.", "params is torch.", " has SGD (", " has Adagrad ("):
        message = message.split(cut)[0]
    return message


@pytest.mark.parametrize("make", _optimizer_cases() + _scheduler_cases())
def test_bad_argument_raises_torchs_error(torch, make):
    expected = _raised(make, torch)
    assert expected is not None, "torch accepts this: the case is stale"
    got = _raised(make, minigrad)
    assert got is not None, f"minigrad accepts what torch rejects with {type(expected).__name__}: {expected}"
    assert type(got) is type(expected), f"{type(got).__name__}: {got}  vs torch's {type(expected).__name__}: {expected}"
    assert _key_phrase(str(expected)) in str(got)


def test_constructor_errors_leave_the_optimizer_untouched():
    """A scheduler that refuses its arguments changes no rate; an optimiser that refuses makes no state."""
    opt = _sgd(minigrad)
    with pytest.raises(ValueError):
        minigrad.optim.lr_scheduler.LinearLR(opt, start_factor=0.0)
    assert opt.param_groups[0]["lr"] == 0.1 and "initial_lr" not in opt.param_groups[0]
    with pytest.raises(ValueError):
        minigrad.optim.Adagrad([_param(minigrad)], eps=-1.0)
