"""User-defined ``minigrad.autograd.Function`` subclasses, written exactly as for torch; gradcheck and
gradgradcheck behaviour (messages, warnings, results); grad mode as context manager and decorator."""
import threading

import pytest

import minigrad
from minigrad.autograd import Function, gradcheck, gradgradcheck


def _define(module):
    """The same user code for both libraries: only the module differs."""

    class Cube(module.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x ** 3 * scale

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2 * ctx.scale, None

    class SplitSigns(module.autograd.Function):
        """Two outputs, one of them non-differentiable (an integer mask)."""

        @staticmethod
        def forward(ctx, x):
            positive = x.clamp(min=0)
            mask = (x > 0).long()
            ctx.mark_non_differentiable(mask)
            ctx.save_for_backward(mask)
            return positive, mask

        @staticmethod
        def backward(ctx, grad_positive, grad_mask):
            (mask,) = ctx.saved_tensors
            return grad_positive * mask

    class MulAdd(module.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, c):
            ctx.save_for_backward(a, b)
            ctx.flags = tuple(ctx.needs_input_grad)
            return a * b + c

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            ga = grad * b if ctx.needs_input_grad[0] else None
            gb = grad * a if ctx.needs_input_grad[1] else None
            gc = grad if ctx.needs_input_grad[2] else None
            return ga, gb, gc

    return Cube, SplitSigns, MulAdd


def test_a_user_function_gives_the_same_values_and_gradients_as_in_torch(torch):
    grads = []
    for module in (minigrad, torch):
        Cube, SplitSigns, MulAdd = _define(module)
        x = module.tensor([1.0, -2.0, 0.5], requires_grad=True)
        y = Cube.apply(x, 2.0)
        positive, mask = SplitSigns.apply(y)
        assert not mask.requires_grad and positive.requires_grad
        b = module.tensor([3.0, 1.0, 2.0])
        out = MulAdd.apply(positive, b, x)
        out.sum().backward()
        grads.append((out.tolist(), x.grad.tolist(), mask.tolist()))
    assert grads[0] == grads[1]


def test_mark_dirty_makes_the_modified_input_the_output_as_torch(torch):
    results = []
    for module in (minigrad, torch):
        class DoubleInPlace(module.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad * 2

        w = module.tensor([1.0, 3.0], requires_grad=True)
        h = w * 1
        out = DoubleInPlace.apply(h)
        assert out is h and h.grad_fn is not None
        (h * w).sum().backward()
        results.append(w.grad.tolist())
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            DoubleInPlace.apply(module.tensor([1.0], requires_grad=True))
    assert results[0] == results[1]


def test_needs_input_grad_tells_which_inputs_need_a_gradient():
    _, _, MulAdd = _define(minigrad)
    a = minigrad.tensor([1.0], requires_grad=True)
    out = MulAdd.apply(a, minigrad.tensor([2.0]), minigrad.tensor([3.0], requires_grad=True))
    assert out.grad_fn.flags == (True, False, True)


def test_a_user_function_passes_gradcheck_and_gradgradcheck():
    Cube, _, MulAdd = _define(minigrad)
    x = minigrad.randn(4, dtype=minigrad.float64, requires_grad=True)
    b = minigrad.randn(4, dtype=minigrad.float64, requires_grad=True)
    assert gradcheck(lambda t: Cube.apply(t, 1.5), (x,))
    assert gradgradcheck(lambda t: Cube.apply(t, 1.5), (x,))
    assert gradcheck(lambda p, q: MulAdd.apply(p, q, p), (x, b))


def test_gradcheck_catches_a_wrong_backward_and_names_input_and_element():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, grad):
            x, y = ctx.saved_tensors
            return grad * y, grad * x * 1.5  # the second is wrong

    x = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
    y = minigrad.tensor([3.0, 4.0], dtype=minigrad.float64, requires_grad=True)
    with pytest.raises(minigrad.autograd.GradcheckError) as error:
        gradcheck(Wrong.apply, (x, y))
    message = str(error.value)
    assert "Jacobian mismatch for output 0 with respect to input 1" in message
    assert "analytical 1.5" in message and "numerical 1.0" in message  # d(x*y)/dy at element 0 is x = 1
    assert gradcheck(Wrong.apply, (x, y), raise_exception=False) is False


def test_gradgradcheck_catches_a_wrong_double_backward():
    class FirstOrderOnly(Function):
        """Correct first derivative, but written with raw arrays: its own derivative is lost."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * minigrad.tensor(2 * x.detach().numpy())  # constant in x: d2/dx2 is lost

    x = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
    assert gradcheck(FirstOrderOnly.apply, (x,))
    assert gradgradcheck(FirstOrderOnly.apply, (x,), raise_exception=False) is False


def test_gradcheck_skips_integer_outputs_and_sees_a_cut_graph():
    x = minigrad.tensor([[1.0, 3.0], [4.0, 2.0]], dtype=minigrad.float64, requires_grad=True)
    assert gradcheck(lambda t: t.max(1), (x,))  # (values, indices): the indices are not compared
    assert gradcheck(lambda t: t.detach() * 2, (x,), raise_exception=False) is False
    with pytest.raises(ValueError, match="gradcheck expects at least one input tensor to require gradient"):
        gradcheck(lambda t: t * 2, (x.detach(),))


def test_gradcheck_warns_for_inputs_that_are_not_double(torch):
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double precision floating point"):
        gradcheck(lambda t: t * 2, (x,), atol=1e-2, rtol=1e-2, raise_exception=False)


def test_saved_tensors_are_freed_after_backward(torch):
    for module in (minigrad, torch):
        Cube, _, _ = _define(module)
        x = module.tensor([1.0], requires_grad=True)
        y = Cube.apply(x, 1.0)
        y.sum().backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            y.grad_fn.saved_tensors


def test_a_function_without_backward_raises_torchs_message(torch):
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    y = NoBackward.apply(minigrad.tensor([1.0], requires_grad=True))
    with pytest.raises(NotImplementedError, match="You must implement the backward function for custom autograd.Function."):
        y.sum().backward()


def test_a_backward_that_returns_a_wrong_shape_raises(torch):
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.sum()

    y = BadShape.apply(minigrad.tensor([1.0, 2.0], requires_grad=True))
    with pytest.raises(RuntimeError, match=r"Function BadShapeBackward returned an invalid gradient at index 0 - "
                                           r"got \[\] but expected shape compatible with \[2\]"):
        y.sum().backward()


def test_forward_runs_without_recording_inside(torch):
    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.inner = minigrad.is_grad_enabled()
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    y = Probe.apply(minigrad.tensor([1.0], requires_grad=True))
    assert y.grad_fn.inner is False


# ---- grad mode ----------------------------------------------------------------------------

def test_no_grad_enable_grad_and_set_grad_enabled_as_context_managers(torch):
    x = minigrad.tensor([1.0], requires_grad=True)
    with minigrad.no_grad():
        assert not (x * 2).requires_grad
        with minigrad.enable_grad():
            assert (x * 2).requires_grad
        assert not minigrad.is_grad_enabled()
    assert minigrad.is_grad_enabled()
    with minigrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    minigrad.set_grad_enabled(False)  # a plain call switches at once, as torch
    try:
        assert not minigrad.is_grad_enabled()
    finally:
        minigrad.set_grad_enabled(True)


def test_grad_modes_work_as_decorators_and_restore_on_exceptions():
    @minigrad.no_grad()
    def off(t):
        return t * 2

    @minigrad.enable_grad()
    def on(t):
        return t * 2

    @minigrad.no_grad()
    def fails():
        raise ValueError("boom")

    @minigrad.set_grad_enabled(False)
    def switched_off(t):
        return t * 2

    assert minigrad.is_grad_enabled()  # decorating did not switch the mode
    x = minigrad.tensor([1.0], requires_grad=True)
    assert not off(x).requires_grad and not switched_off(x).requires_grad
    assert minigrad.is_grad_enabled()
    with minigrad.no_grad():
        assert on(x).requires_grad
    with pytest.raises(ValueError):
        fails()
    assert minigrad.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []
    with minigrad.no_grad():
        thread = threading.Thread(target=lambda: seen.append(minigrad.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]
