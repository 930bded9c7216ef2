"""``Function.apply`` / ``Primitive.apply``, the hot path of every operation: what it must keep
doing while it is made cheap (floating-point warnings off inside forwards only, saved values that
come back right and catch in-place changes, no graph where none is wanted)."""
import warnings

import numpy as np
import pytest

import minigrad
from minigrad.autograd.function import Primitive


def test_an_overflow_inside_an_op_is_silent_as_in_torch(torch):
    big = np.full((2, 2), 3e38, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning from NumPy would fail the test
        out = minigrad.tensor(big) * minigrad.tensor(big)
        zero = minigrad.tensor([0.0]) / minigrad.tensor([0.0])
    expected = torch.tensor(big) * torch.tensor(big)
    assert np.array_equal(out.numpy(), expected.numpy())
    assert np.isnan(zero.numpy()).all()


def test_the_users_numpy_error_state_is_untouched_around_ops():
    big = np.full(3, 3e38, dtype=np.float32)
    with np.errstate(over="raise"):
        minigrad.tensor(big) * minigrad.tensor(big)  # quiet inside the op, even under "raise"
        with pytest.raises(FloatingPointError):
            big * big  # the user's own NumPy code still raises as asked
    before = np.geterr()
    minigrad.tensor(big) * minigrad.tensor(big)
    assert np.geterr() == before


def test_the_error_state_is_restored_when_a_forward_raises():
    class Fails(Primitive):
        @staticmethod
        def forward(ctx, x):
            raise ValueError("boom")

    before = np.geterr()
    with np.errstate(divide="raise"):
        with pytest.raises(ValueError, match="boom"):
            Fails.apply(minigrad.ones(2))
        assert np.geterr()["divide"] == "raise"
        assert minigrad.is_grad_enabled()
    assert np.geterr() == before


def test_a_forward_sees_grad_mode_off_and_the_mode_comes_back():
    seen = []

    class Probe(Primitive):
        @staticmethod
        def forward(ctx, x):
            seen.append(minigrad.is_grad_enabled())
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = minigrad.ones(3, requires_grad=True)
    y = Probe.apply(x)
    with minigrad.no_grad():
        z = Probe.apply(x)
    assert seen == [False, False] and minigrad.is_grad_enabled()
    assert y.requires_grad and y.grad_fn is not None and not z.requires_grad and z.grad_fn is None


def test_saved_inputs_outputs_constants_and_scalars_come_back_from_saved_tensors():
    class Saves(Primitive):
        @staticmethod
        def forward(ctx, x, y, scale):
            out = x * y * scale
            ctx.save_for_backward(x, out, x + 1, scale, None)
            return out

        @staticmethod
        def backward(ctx, grad):
            x, out, x_plus_one, scale, nothing = ctx.saved_tensors
            arrays = ctx.saved_arrays
            assert arrays[0] is x._data and arrays[1] is out._data and arrays[3] == 2.0 and arrays[4] is None
            assert np.array_equal(arrays[2], x._data + 1) and np.array_equal(x_plus_one.numpy(), x._data + 1)
            assert out.grad_fn is ctx and scale == 2.0 and nothing is None
            ctx.checked = True
            return grad * ctx.y_value * scale, None, None

    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = minigrad.tensor([3.0, 4.0])
    out = Saves.apply(x, y, 2.0)
    out.grad_fn.y_value = y
    assert out.grad_fn.saved_tensors[0] is x  # the input itself, with its graph
    out.sum().backward()
    assert np.array_equal(x.grad.numpy(), [6.0, 8.0])


def test_an_input_changed_in_place_after_mul_saved_it_raises_torchs_error(torch):
    for library in (minigrad, torch):
        x = library.ones(3, requires_grad=True)
        y = library.ones(3)
        out = x * y
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


def test_no_input_requiring_grad_records_nothing_and_saves_nothing():
    x, y = minigrad.ones(3), minigrad.ones(3)
    out = x * y
    assert out.grad_fn is None and not out.requires_grad
    with minigrad.no_grad():
        out = minigrad.ones(3, requires_grad=True) * y
    assert out.grad_fn is None and not out.requires_grad


def test_mul_of_a_broadcast_input_reduces_its_gradient_to_its_shape(torch):
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    for library in (minigrad, torch):
        a = library.tensor(values, requires_grad=True)
        b = library.tensor(values[0], requires_grad=True)
        (a * b + b - a / (b + 1)).sum().backward()
        if library is minigrad:
            ours = (a.grad.numpy(), b.grad.numpy())
        else:
            assert np.allclose(ours[0], a.grad.numpy()) and np.allclose(ours[1], b.grad.numpy())


def test_the_numpy_1_fallback_also_silences_ops_and_restores_the_state(monkeypatch):
    from minigrad.autograd import function
    monkeypatch.setattr(function, "_fp_state", function._SeterrState())
    monkeypatch.setattr(function, "_make_extobj", function._SeterrState.make_quiet)
    monkeypatch.setattr(function, "_quiet_of", {})
    big = np.full(3, 3e38, dtype=np.float32)
    with np.errstate(over="raise"):
        out = minigrad.tensor(big, requires_grad=True) * minigrad.tensor(big)
        assert np.geterr()["over"] == "raise"
    assert np.isinf(out.detach().numpy()).all()


def test_mul_and_div_save_only_what_their_backward_reads_as_torch(torch):
    # a's values are only needed for b's gradient: with b constant, changing a in place afterwards
    # is allowed in torch (a is not saved), and the gradient is still right
    grads = []
    for library in (minigrad, torch):
        leaf = library.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a = leaf * 1.0
        b = library.tensor([2.0, 3.0, 4.0])
        out = a * b + a / b
        a.add_(5)
        out.sum().backward()
        grads.append(leaf.grad.numpy() if library is torch else leaf.grad.numpy().copy())
    assert np.allclose(grads[0], grads[1])
