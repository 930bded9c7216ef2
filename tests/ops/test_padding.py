"""``pad`` (minigrad/ops/padding.py) against torch.nn.functional.pad: every mode, 1-3 padded dims,
negative constant pads, values and gradients, gradcheck and gradgradcheck, and torch's errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad.autograd.gradcheck import gradcheck, gradgradcheck
from minigrad.ops.padding import pad
from utils import FLOAT_DTYPES, check_against_torch, gradchecks, random_array

FAST = settings(max_examples=15, deadline=None)


@st.composite
def padding_case(draw, mode):
    n_pad = draw(st.integers(1, 3))
    extra = draw(st.integers(1, 2)) if mode != "constant" else draw(st.integers(0, 2))
    shape = tuple(draw(st.integers(1, 3)) for _ in range(extra)) + tuple(draw(st.integers(1, 4)) for _ in range(n_pad))
    amounts = []
    for k in range(n_pad):
        size = shape[-1 - k]
        if mode == "reflect":
            limit = (0, size - 1)
        elif mode == "circular":
            limit = (0, size)
        elif mode == "replicate":
            limit = (0, 3)
        else:
            limit = (-size, 3)
        before, after = draw(st.integers(*limit)), draw(st.integers(*limit))
        if mode == "constant" and size + before + after < 0:
            after = -size - before
        amounts += [before, after]
    return shape, tuple(amounts)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@FAST
@given(data=st.data(), dtype=st.sampled_from(FLOAT_DTYPES), seed=st.integers(0, 2**16))
def test_pad_matches_torch(torch, mode, data, dtype, seed):
    shape, amounts = data.draw(padding_case(mode))
    x = random_array(seed, shape, dtype)
    kw = {"value": 1.5} if mode == "constant" and seed % 2 else {}
    check_against_torch(torch, lambda t: pad(t, amounts, mode, **kw),
                        lambda t: torch.nn.functional.pad(t, amounts, mode, **kw), [x])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@settings(max_examples=4, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_pad_gradcheck_and_gradgradcheck(mode, data, seed):
    shape, amounts = data.draw(padding_case(mode))
    x = random_array(seed, shape)
    gradchecks(lambda t: pad(t, amounts, mode), [x])


def test_constant_pad_with_negative_amounts_crops_as_torch(torch):
    x = random_array(0, (2, 5, 4), np.float32)
    for amounts in ((-1, -2), (-1, 2, 1, -3), (0, -4, -2, 0, 1, 1)):
        check_against_torch(torch, lambda t: pad(t, amounts), lambda t: torch.nn.functional.pad(t, amounts), [x])


@pytest.mark.parametrize("call, message", [
    (lambda F, x: F.pad(x, (1,)), "Padding length must be divisible by 2"),
    (lambda F, x: F.pad(x, (1, 1, 1, 1, 1, 1, 1, 1)), "Padding length should be less than or equal to two times the input dimension"),
    (lambda F, x: F.pad(x, (3, 0), mode="reflect"), "Padding size should be less than the corresponding input dimension"),
    (lambda F, x: F.pad(x, (4, 0), mode="circular"), "Padding value causes wrapping around more than once"),
    (lambda F, x: F.pad(x, (-3, -2)), "length must be non-negative"),
])
def test_bad_padding_raises_torchs_errors(torch, call, message):
    class F:
        pad = staticmethod(pad)
    with pytest.raises(Exception, match=message) as expected:
        call(torch.nn.functional, torch.zeros(2, 3, 3))
    with pytest.raises(type(expected.value), match=message):
        call(F, minigrad.zeros(2, 3, 3))


@pytest.mark.parametrize("mode", ["circular", "reflect", "replicate"])
@pytest.mark.parametrize("amounts", [(-1, 1), (1, -1), (-1, -1), (-1, 3), (-3, 0), (-4, 0), (-5, 1), (0, -2),
                                 (-1, 1, 1, -1), (1, -2, -1, 0), (-1, 0, 0, 2, 1, -1)], ids=str)
def test_negative_pads_crop_then_pad_as_torch(torch, mode, amounts):
    """torch crops by a negative amount; circular then wraps the cropped rows ((-1, 1): [1 2 3 | 1])."""
    shape = (1, 2) + (6, 5, 4)[3 - len(amounts) // 2:]
    x = np.random.default_rng(len(amounts)).standard_normal(shape)
    t = torch.tensor(x, requires_grad=True)
    try:
        expected = torch.nn.functional.pad(t, amounts, mode)
    except (RuntimeError, NotImplementedError) as error:
        with pytest.raises(type(error)):
            pad(minigrad.tensor(x), amounts, mode)
        return
    ours = minigrad.tensor(x, requires_grad=True)
    out = pad(ours, amounts, mode)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    weight = np.random.default_rng(0).standard_normal(tuple(expected.shape))
    (expected * torch.tensor(weight)).sum().backward()
    (out * minigrad.tensor(weight)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), t.grad.numpy(), atol=1e-12)
    if out.numel():
        assert gradcheck(lambda a: pad(a, amounts, mode), (ours,)) and gradgradcheck(lambda a: pad(a, amounts, mode), (ours,))


def test_circular_pad_refuses_a_negative_output_size():
    with pytest.raises(RuntimeError, match="Negative padding value is resulting in an empty dimension"):
        pad(minigrad.zeros(1, 2, 4), (-5, 0), "circular")
