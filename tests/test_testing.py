"""minigrad.testing.assert_close against torch.testing.assert_close: pass/fail, error type and the
whole message on generated mismatches (attribute messages with minigrad's names for torch's)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad.testing import assert_close, make_tensor


def _outcome(check, actual, expected, **kwargs):
    try:
        check(actual, expected, **kwargs)
    except Exception as error:  # noqa: BLE001
        return type(error), str(error).replace("torch.", "minigrad.")
    return None


def _both(a, e, **kwargs):
    expected = _outcome(torch.testing.assert_close, torch.tensor(a), torch.tensor(e), **kwargs)
    got = _outcome(assert_close, minigrad.tensor(a), minigrad.tensor(e), **kwargs)
    return got, expected


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["float32", "float64", "int64", "int32", "bool"]), st.integers(0, 2),
       st.integers(1, 4), st.data())
def test_generated_mismatches_give_torchs_message(dtype, ndim, size, data):
    shape = (size,) * ndim
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16)))
    a = rng.normal(size=shape) * 3
    e = a.copy()
    flat = e.reshape(-1)
    for k in data.draw(st.lists(st.integers(0, flat.size - 1), max_size=3)):
        flat[k] += data.draw(st.sampled_from([1e-8, 1e-6, 1e-4, 0.5, 2.0, float("nan"), float("inf")]))
    if dtype == "bool":
        a, e = a > 0, e > 0
    elif dtype.startswith("int"):
        if not (np.isfinite(a).all() and np.isfinite(e).all()):
            return
        a, e = np.round(a), np.round(e)
    a, e = a.astype(dtype), e.astype(dtype)
    kwargs = data.draw(st.sampled_from([{}, {"equal_nan": True}, {"rtol": 0.0, "atol": 0.1},
                                        {"rtol": 1e-2, "atol": 0.0}]))
    got, expected = _both(a, e, **kwargs)
    assert got == expected


@pytest.mark.parametrize("a,e,kwargs", [
    (np.array([1.0, 2.0], np.float32), np.array([1.0, 2.0], np.float64), {}),
    (np.array([1.0, 2.0], np.float32), np.array([1.0, 2.0], np.float64), {"check_dtype": False}),
    (np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]), {}),
    (np.array(1.0), np.array(2.0), {}),
    (np.array([1.0, 2.0]), np.array([1.0, 2.1]), {"msg": "custom"}),
    (np.array([1.0, 2.0]), np.array([1.0, 2.0]), {"rtol": 0.1}),
    (np.array([1.0, 2.0]), np.array([1.0, 2.0]), {"atol": 0.1}),
    (np.array([1.0, np.nan]), np.array([1.0, np.nan]), {}),
    (np.array([1.0, np.nan]), np.array([1.0, np.nan]), {"equal_nan": True}),
    (np.array([0.0, 1.0]), np.array([1e-9, 1.0]), {}),
])
def test_attribute_and_option_cases_match_torch(a, e, kwargs):
    got, expected = _both(a, e, **kwargs)
    assert got == expected


def test_callable_msg_sequences_and_numbers_match_torch():
    for check, lib in ((torch.testing.assert_close, torch), (assert_close, minigrad)):
        with pytest.raises(AssertionError) as info:
            check([lib.tensor([1.0]), lib.tensor([2.0, 3.0])], [lib.tensor([1.0]), lib.tensor([2.0, 3.5])])
        assert info.value.args[0].endswith("The failure occurred for item [1]")
        with pytest.raises(AssertionError, match="^prefix Tensor-likes"):
            check(lib.tensor([1.0]), lib.tensor([2.0]), msg=lambda m: "prefix " + m)
    check_numbers = [_outcome(f, 1.0, 1.5) for f in (torch.testing.assert_close, assert_close)]
    assert check_numbers[0] == check_numbers[1]


def test_make_tensor_ranges_and_options():
    for dtype, low, high in [(minigrad.float32, -9, 9), (minigrad.int64, -9, 9), (minigrad.float64, 2, 3)]:
        t = make_tensor(50, 3, dtype=dtype, low=low, high=high)
        assert t.shape == (50, 3) and t.dtype == dtype
        assert (t.numpy() >= low).all() and (t.numpy() <= high).all()
    t = make_tensor((4, 5), dtype=minigrad.float64, requires_grad=True, noncontiguous=True, exclude_zero=True)
    assert t.requires_grad and not t.is_contiguous() and (t.detach().numpy() != 0).all()
    assert make_tensor(3, dtype=minigrad.bool).dtype == minigrad.bool
