"""Every bad-input case of every family: torch refuses it, and minigrad refuses it at its door, with
torch's exception type and wording, never with NumPy's (see ``harness.py``)."""
import importlib

import pytest

import minigrad

from .harness import check_minigrad, check_torch, params

FAMILIES = ["creation", "data", "checkpoints", "modules", "autograd", "ops", "indexing", "linalg", "losses", "conv_pool"]
CASES = [case for family in FAMILIES for case in importlib.import_module(f".cases_{family}", __package__).CASES]


def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


@pytest.mark.parametrize("case", params(CASES))
def test_bad_input_is_refused_at_the_door_with_torchs_words(case):
    torch = _torch_or_none()  # without torch, its half of the check is skipped; minigrad's still runs
    torch_exc = check_torch(case, torch) if torch is not None and case.torch_call() is not None else None
    check_minigrad(case, minigrad, torch_exc)


def test_the_suite_holds_many_cases_in_every_family():
    assert len(CASES) >= 400
