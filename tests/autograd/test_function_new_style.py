"""autograd.Function in torch's new style (forward without ctx + setup_context), once_differentiable,
ctx options and torch's gradcheck options, each against torch (issue 12, point 6). The Functions are
the examples of torch's "Extending torch.autograd" docs (MyCube, LinearFunction, MulConstant),
written here in both styles for both libraries."""
import numpy as np
import pytest
import torch

import minigrad


def _functions(lib):
    """The same Functions, written once, for torch or minigrad."""
    Function = lib.autograd.Function
    once_differentiable = (torch.autograd.function.once_differentiable if lib is torch
                           else minigrad.autograd.function.once_differentiable)

    class MyCube(Function):
        @staticmethod
        def forward(x):
            return x ** 3, 3 * x ** 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            _, dx = output
            ctx.save_for_backward(x, dx)

        @staticmethod
        def backward(ctx, grad_output, grad_dx):
            x, dx = ctx.saved_tensors
            return grad_output * dx + grad_dx * 6 * x

    class LinearNew(Function):
        @staticmethod
        def forward(input, weight, bias=None):
            output = input @ weight.t()
            return output + bias if bias is not None else output

        @staticmethod
        def setup_context(ctx, inputs, output):
            input, weight, bias = inputs
            ctx.save_for_backward(input, weight, bias)

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output @ weight
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t() @ input
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    class LinearOld(Function):
        @staticmethod
        def forward(ctx, input, weight, bias=None):
            ctx.save_for_backward(input, weight, bias)
            output = input @ weight.t()
            return output + bias if bias is not None else output

        backward = LinearNew.backward

    class MulConstant(Function):
        @staticmethod
        def forward(tensor, constant):
            return tensor * constant

        @staticmethod
        def setup_context(ctx, inputs, output):
            _, ctx.constant = inputs

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.constant, None

    class SortPair(Function):  # mark_non_differentiable and set_materialize_grads in setup_context
        @staticmethod
        def forward(x):
            return x * 2, (x > 0).to(x.dtype)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.mark_non_differentiable(output[1])
            ctx.set_materialize_grads(False)

        @staticmethod
        def backward(ctx, grad, grad_mask):
            assert grad_mask is None
            return None if grad is None else grad * 2

    class AddOne_(Function):  # mark_dirty in setup_context
        @staticmethod
        def forward(x):
            x.add_(1)
            return x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.mark_dirty(inputs[0])

        @staticmethod
        def backward(ctx, grad):
            return grad

    class ExpOnce(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            assert not lib.is_grad_enabled()
            return grad * y

    return dict(MyCube=MyCube, LinearNew=LinearNew, LinearOld=LinearOld, MulConstant=MulConstant,
                SortPair=SortPair, AddOne_=AddOne_, ExpOnce=ExpOnce)


def _inputs(lib, *shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.normal(size=s), requires_grad=True) for s in shapes]


def _run_both(body):
    results = []
    for lib in (torch, minigrad):
        results.append(body(lib, _functions(lib)))
    return results


def _assert_same(a, b):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif a is None or isinstance(a, (bool, int, str)):
        assert a == b
    else:
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-12, atol=1e-12)


def test_mycube_values_gradients_and_double_backward_match_torch():
    def body(lib, F):
        (x,) = _inputs(lib, (5,))
        result, dx = F["MyCube"].apply(x)
        (g,) = lib.autograd.grad(result.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        return result.detach().numpy(), dx.detach().numpy(), g.detach().numpy(), gg.numpy(), dx.requires_grad
    _assert_same(*_run_both(body))


@pytest.mark.parametrize("style", ["LinearNew", "LinearOld"])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_function_both_styles_match_torch(style, with_bias):
    def body(lib, F):
        x, w, b = _inputs(lib, (4, 3), (2, 3), (2,))
        w.requires_grad_(False)
        out = F[style].apply(x, w, b) if with_bias else F[style].apply(x, w)
        (out ** 2).sum().backward()
        return out.detach().numpy(), x.grad.numpy(), w.grad, None if not with_bias else b.grad.numpy()
    _assert_same(*_run_both(body))


def test_keyword_arguments_and_defaults_are_bound_into_inputs_as_torch():
    def body(lib, F):
        (x,) = _inputs(lib, (3,))
        y = F["MulConstant"].apply(x, constant=2.5)
        y.sum().backward()
        z = F["LinearNew"].apply(x.reshape(1, 3), weight=lib.ones(2, 3, dtype=lib.float64))  # bias default
        return y.detach().numpy(), x.grad.numpy(), z.detach().numpy()
    _assert_same(*_run_both(body))


def test_mark_non_differentiable_and_unmaterialized_grads_in_setup_context_match_torch():
    def body(lib, F):
        (x,) = _inputs(lib, (4,))
        y, mask = F["SortPair"].apply(x)
        y.sum().backward()
        return mask.requires_grad, y.requires_grad, x.grad.numpy()
    _assert_same(*_run_both(body))


def test_mark_dirty_in_setup_context_matches_torch():
    def body(lib, F):
        (x,) = _inputs(lib, (3,))
        a = x * 1
        out = F["AddOne_"].apply(a)
        (out * 3).sum().backward()
        return out is a, a._version, a.detach().numpy(), x.grad.numpy()
    _assert_same(*_run_both(body))
    for lib in (torch, minigrad):  # a leaf that requires grad may not be dirtied
        (x,) = _inputs(lib, (3,))
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            _functions(lib)["AddOne_"].apply(x)


def test_once_differentiable_runs_without_grad_and_refuses_double_backward_as_torch():
    messages = []
    for lib in (torch, minigrad):
        F = _functions(lib)
        (x,) = _inputs(lib, (3,))
        y = F["ExpOnce"].apply(x)
        (g,) = lib.autograd.grad(y.sum(), x)
        np.testing.assert_allclose(g.numpy(), np.exp(x.detach().numpy()))
        y = F["ExpOnce"].apply(x)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        assert not g.requires_grad  # the grad_output did not require grad: nothing to differentiate
        y = F["ExpOnce"].apply(x)
        v = lib.ones(3, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(y, x, v, create_graph=True)
        assert g.requires_grad
        with pytest.raises(RuntimeError) as info:
            g.sum().backward()
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("name", ["MyCube", "LinearNew", "LinearOld", "MulConstant"])
@pytest.mark.parametrize("fast_mode", [False, True])
def test_docs_functions_pass_gradcheck_and_gradgradcheck(name, fast_mode):
    F = _functions(minigrad)
    x, w, b = _inputs(minigrad, (4, 3), (2, 3), (2,))
    call = {"MyCube": lambda x: F["MyCube"].apply(x), "LinearNew": lambda x, w, b: F["LinearNew"].apply(x, w, b),
            "LinearOld": lambda x, w, b: F["LinearOld"].apply(x, w, b),
            "MulConstant": lambda x: F["MulConstant"].apply(x, 1.5)}[name]
    args = (x,) if name in ("MyCube", "MulConstant") else (x, w, b)
    assert minigrad.autograd.gradcheck(call, args, fast_mode=fast_mode, check_batched_grad=True, nondet_tol=0.0)
    assert minigrad.autograd.gradgradcheck(call, args, fast_mode=fast_mode)


def _wrong(lib):
    class Wrong(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2.01
    return Wrong


def _noisy(lib):
    class Noisy(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * (2 + float(np.random.default_rng().normal()) * 1e-9)
    return Noisy


def _undefined(lib):
    class TwoOutputs(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3  # fails when one output gets no gradient
    return TwoOutputs


@pytest.mark.parametrize("case,kwargs", [
    ("wrong", {}), ("wrong", {"fast_mode": True}), ("noisy", {}), ("noisy", {"nondet_tol": 1e-6}),
    ("undefined", {}), ("undefined", {"check_undefined_grad": False})])
def test_gradcheck_options_give_torchs_verdict(case, kwargs):
    verdicts = []
    for lib in (torch, minigrad):
        function = {"wrong": _wrong, "noisy": _noisy, "undefined": _undefined}[case](lib)
        (x,) = _inputs(lib, (3,))
        try:
            verdicts.append(lib.autograd.gradcheck(function.apply, (x,), raise_exception=False, **kwargs))
        except Exception as error:  # noqa: BLE001 - torch lets the user's backward's error through
            verdicts.append(type(error))
    assert verdicts[1] == verdicts[0]


def _not_multiplied(lib):
    class NotMultiplied(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2 + 1e-3 * float(not bool((grad != 0).any()))  # wrong only for a zero grad
    return NotMultiplied


@pytest.mark.parametrize("case", ["noisy", "not_multiplied"])
def test_gradcheck_failure_messages_start_as_torchs(case):
    messages = []
    for lib in (torch, minigrad):
        function = {"noisy": _noisy, "not_multiplied": _not_multiplied}[case](lib)
        (x,) = _inputs(lib, (3,))
        with pytest.raises(RuntimeError) as info:
            lib.autograd.gradcheck(function.apply, (x,))
        messages.append(str(info.value)[:60])
    assert messages[1] == messages[0]
