"""The harness itself: it fails a case that NumPy rejects, that minigrad accepts, that has the wrong words
or the wrong family of exception -- so a green bad-input suite means what it says."""
import numpy as np
import pytest

import minigrad

from .harness import Case, check_minigrad, check_torch


def fails(case, torch_exc=None):
    with pytest.raises(AssertionError) as failure:
        check_minigrad(case, minigrad, torch_exc)
    return str(failure.value)


def test_an_error_raised_inside_numpy_fails():
    message = fails(Case("numpy's zeros", lambda api: np.zeros(-1), "negative"))
    assert "not by minigrad's own check" in message


def test_an_error_of_a_numpy_class_fails():
    def raise_axis_error(api):
        raise np.exceptions.AxisError("axis 3 is out of bounds")
    assert "NumPy's exception reached the user" in fails(Case("an AxisError", raise_axis_error, "axis"))


def test_bad_input_that_minigrad_accepts_fails():
    assert "accepts this bad input silently" in fails(Case("fine input", lambda api: api.lib.zeros(2), "x"))


def test_a_message_without_the_phrase_fails():
    assert "does not hold" in fails(Case("zeros(-1)", lambda api: api.lib.zeros(-1), "some other words"))


def test_an_exception_of_another_family_than_torchs_fails():
    message = fails(Case("zeros(-1)", lambda api: api.lib.zeros(-1), "non-negative"), torch_exc=TypeError("x"))
    assert "torch raises TypeError" in message


def test_a_case_torch_accepts_fails(torch):
    with pytest.raises(AssertionError, match="torch accepts this input"):
        check_torch(Case("zeros(2)", lambda api: api.lib.zeros(2), "x"), torch)


def test_a_phrase_that_is_not_torchs_fails(torch):
    with pytest.raises(AssertionError, match="assert torch's wording"):
        check_torch(Case("zeros(-1)", lambda api: api.lib.zeros(-1), "words torch never says"), torch)
