"""The bad-input harness: every wrong argument is refused at minigrad's door, clearly, as torch refuses it.

A *case* is one piece of bad input, written once for both libraries::

    Case("zeros with a negative size", lambda api: api.lib.zeros(-1),
         match="Dimension size must be non-negative")

``api`` is a namespace holding the library under test: ``api.lib`` (``torch`` or ``minigrad``), ``api.nn``,
``api.F`` (``nn.functional``), ``api.data`` (``torch.utils.data`` or ``minigrad.data``) and
``api.name`` (``"torch"`` / ``"minigrad"``). When the two libraries spell the call differently, give both:
``Case(description, torch=lambda api: ..., minigrad=lambda api: ...)``; ``torch=None`` marks input that
torch accepts or has no counterpart for (the minigrad side is still checked).

For each case the one test in ``test_bad_input.py`` checks:

1. torch rejects it (skipped when torch is not installed), and its message holds ``torch_match``
   (default: ``match``) -- so the phrase asserted below really is torch's wording;
2. minigrad rejects it with an exception of torch's family -- ``ValueError``, ``RuntimeError``
   (``NotImplementedError`` included), ``TypeError`` or ``IndexError``, the same family as torch's
   exception -- or with ``error=`` when a case says otherwise (e.g. ``AssertionError``, ``KeyError`` where
   torch uses them, ``TypeError`` where torch fails with an ``AttributeError``);
3. the exception was raised by minigrad's own code: the innermost frame of its traceback is in a
   ``minigrad`` module, and its class is not NumPy's (``numpy.exceptions.AxisError``, NumPy's
   ``_ArrayMemoryError``, ``UFuncTypeError`` ... all fail) -- NumPy's words never reach the user;
4. its message holds ``match`` (a substring; a compiled regex is searched), naming the problem.

A family is a module ``cases_<family>.py`` with a list ``CASES``; add it to ``FAMILIES`` in
``test_bad_input.py``. Generate cases where you can (a loop over functions x bad arguments), give each a
description that reads as the test id, and mark a known gap ``xfail="why, and whose code"`` (strict:
the test fails once the gap is closed, so the mark is removed).
"""
from __future__ import annotations

import re
import traceback
import types
from dataclasses import dataclass, field
from typing import Callable, Optional

import pytest

FAMILIES_OF_ERRORS = (IndexError, TypeError, ValueError, RuntimeError)  # (IndexError before ... as listed)
_SAME = object()


@dataclass
class Case:
    description: str
    call: Optional[Callable] = None  # the same call for both libraries
    match: object = ""  # a phrase minigrad's message must hold (str: substring; re.Pattern: searched)
    torch: object = _SAME  # torch's call when it differs; None: torch accepts this input / has no such API
    minigrad: Optional[Callable] = None  # minigrad's call when it differs
    torch_match: object = _SAME  # the phrase torch's message must hold (default: match); None: not checked
    error: object = None  # the exception class(es) minigrad must raise, when not torch's family
    xfail: Optional[str] = None  # a known gap: why, and whose code
    marks: list = field(default_factory=list)

    def torch_call(self):
        return self.call if self.torch is _SAME else self.torch

    def minigrad_call(self):
        return self.minigrad or self.call

    @property
    def id(self) -> str:
        return re.sub(r"[^0-9A-Za-z_.=+-]+", "_", self.description).strip("_")


def same(description: str, call: Callable, match, **kwargs) -> Case:
    return Case(description, call, match, **kwargs)


def api_of(lib) -> types.SimpleNamespace:
    if lib.__name__ == "torch":
        import torch.nn.functional as F
        import torch.utils.data as data
        return types.SimpleNamespace(lib=lib, nn=lib.nn, F=F, data=data, name="torch", autograd=lib.autograd)
    import minigrad.data as data
    import minigrad.nn.functional as F
    return types.SimpleNamespace(lib=lib, nn=lib.nn, F=F, data=data, name="minigrad", autograd=lib.autograd)


def _message(exc: BaseException) -> str:
    """The message as the user reads it (``str(KeyError)`` is the repr of its argument)."""
    if isinstance(exc, KeyError) and len(exc.args) == 1 and isinstance(exc.args[0], str):
        return exc.args[0]
    return str(exc)


def _holds(message: str, phrase) -> bool:
    if isinstance(phrase, re.Pattern):
        return phrase.search(message) is not None
    return phrase in message


def _family(exc: BaseException):
    for family in FAMILIES_OF_ERRORS:
        if isinstance(exc, family):
            return family
    return None


def _raise(call, api):
    try:
        call(api)
    except Exception as exc:  # noqa: BLE001 -- the point is to look at whatever came out
        return exc
    return None


def check_torch(case: Case, torch) -> BaseException:
    call = case.torch_call()
    exc = _raise(call, api_of(torch))
    assert exc is not None, f"torch accepts this input ({case.description}); mark the case torch=None"
    phrase = case.match if case.torch_match is _SAME else case.torch_match
    if phrase is not None:
        assert _holds(_message(exc), phrase), (f"torch's message {_message(exc)[:300]!r} does not hold {phrase!r}: "
                                          "assert torch's wording")
    return exc


def check_minigrad(case: Case, minigrad, torch_exc: Optional[BaseException]) -> BaseException:
    exc = _raise(case.minigrad_call(), api_of(minigrad))
    assert exc is not None, f"minigrad accepts this bad input silently ({case.description})"
    where = "".join(traceback.format_exception(exc)[-6:])
    assert not type(exc).__module__.startswith("numpy"), f"NumPy's exception reached the user:\n{where}"
    frames = traceback.extract_tb(exc.__traceback__)
    innermost = exc.__traceback__
    while innermost.tb_next is not None:
        innermost = innermost.tb_next
    module = innermost.tb_frame.f_globals.get("__name__", "")
    assert module.split(".")[0] == "minigrad", (
        f"raised in {module} ({frames[-1].filename}:{frames[-1].lineno}), not by minigrad's own check:\n{where}")
    if case.error is not None:
        assert isinstance(exc, case.error), f"expected {case.error}, got {type(exc).__name__}: {exc}"
    else:
        family = _family(exc)
        assert family is not None, f"{type(exc).__name__} is not ValueError/RuntimeError/TypeError/IndexError"
        if torch_exc is not None and _family(torch_exc) is not None:
            assert isinstance(exc, _family(torch_exc)), (
                f"torch raises {type(torch_exc).__name__}, minigrad {type(exc).__name__}: {exc}")
    assert _holds(_message(exc), case.match), f"minigrad's message {_message(exc)[:300]!r} does not hold {case.match!r}"
    return exc


def params(cases: list) -> list:
    """``pytest.param`` for each case, with its id and marks (xfail strict for known gaps)."""
    ids = [case.id for case in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"two cases share a description: {sorted(duplicates)}"
    out = []
    for case in cases:
        marks = list(case.marks)
        if case.xfail:
            marks.append(pytest.mark.xfail(reason=case.xfail, strict=True))
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out
