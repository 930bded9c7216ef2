"""``minigrad.testing``: ``assert_close`` and ``make_tensor`` with torch.testing's behaviour.

``assert_close(actual, expected)`` passes when the two have the same shape, device and dtype (each
check can be turned off) and ``|actual - expected| <= atol + rtol * |expected|`` elementwise. The
default tolerances depend on the dtype, as torch's (``torch/testing/_comparison.py``):

    dtype      rtol     atol
    float16    1e-3     1e-5
    bfloat16   1.6e-2   1e-5
    float32    1.3e-6   1e-5
    float64    1e-7     1e-7
    integers   0        0        (and bool)

On failure it raises ``AssertionError`` with torch's message, e.g.

    Tensor-likes are not close!

    Mismatched elements: 1 / 3 (33.3%)
    Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)
    Greatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)

Sequences and mappings are compared item by item (the message then names the item); Python numbers
are compared as scalars.
"""
from __future__ import annotations

import collections.abc
import math

import numpy as np

from . import backend, dtypes
from .autograd.tensor import Tensor

__all__ = ["assert_close", "make_tensor"]

_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7)}


class _Mismatch(Exception):
    def __init__(self, message, kind=AssertionError):
        super().__init__(message)
        self.kind = kind


def _tolerances(*numpy_dtypes):
    """torch's default (rtol, atol): the largest over the dtypes compared."""
    pairs = [_TOLERANCES.get(np.dtype(d), (0.0, 0.0)) for d in numpy_dtypes]
    if any(getattr(d, "name", "") == "bfloat16" for d in numpy_dtypes):
        pairs.append((1.6e-2, 1e-5))
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _make_mismatch_msg(*, default_identifier, identifier, extra, abs_diff, abs_diff_idx, atol, rel_diff,
                       rel_diff_idx, rtol):
    equality = rtol == 0 and atol == 0

    def diff_msg(kind, diff, idx, tol):
        msg = f"{kind.title()} difference: {diff}" if idx is None else f"Greatest {kind} difference: {diff} at index {idx}"
        if not equality:
            msg += f" (up to {tol} allowed)"
        return msg + "\n"

    if identifier is None:
        identifier = default_identifier
    elif callable(identifier):
        identifier = identifier(default_identifier)
    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += f"{extra.strip()}\n"
    msg += diff_msg("absolute", abs_diff, abs_diff_idx, atol)
    msg += diff_msg("relative", rel_diff, rel_diff_idx, rtol)
    return msg.strip()


def _unravel(flat_index, shape):
    return tuple(int(i) for i in np.unravel_index(flat_index, shape)) if shape else ()


def _tensor_mismatch_msg(actual, expected, matches, rtol, atol):
    """torch's ``make_tensor_mismatch_msg``: counts and the greatest differences among mismatches,
    computed in the compared dtype (integers as int64, their ratios in the default float dtype)."""
    total = matches.size
    mismatches = total - int(matches.sum())
    extra = f"Mismatched elements: {mismatches} / {total} ({mismatches / total:.1%})"
    a, e, m = actual.reshape(-1), expected.reshape(-1), matches.reshape(-1)
    floating = a.dtype.kind in "fc"
    if not floating:
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(all="ignore"):
        abs_diff = np.abs(a - e)
        abs_diff[m] = 0
        ratio_dtype = a.dtype if floating else dtypes.get_default_dtype().numpy
        rel_diff = (abs_diff.astype(ratio_dtype) / np.abs(e).astype(ratio_dtype)).astype(ratio_dtype)
    rel_diff[m] = 0
    abs_index = _nan_aware_argmax(abs_diff)
    rel_index = _nan_aware_argmax(rel_diff)
    return _make_mismatch_msg(default_identifier="Tensor-likes", identifier=None, extra=extra,
                              abs_diff=abs_diff[abs_index].item(), abs_diff_idx=_unravel(abs_index, actual.shape),
                              atol=atol, rel_diff=rel_diff[rel_index].item(),
                              rel_diff_idx=_unravel(rel_index, actual.shape), rtol=rtol)


def _nan_aware_argmax(values):
    """torch.max propagates nan: its index is the first nan's, if any."""
    if values.dtype.kind in "fc":
        nans = np.flatnonzero(np.isnan(values))
        if nans.size:
            return int(nans[0])
    return int(np.argmax(values))


def _scalar_mismatch_msg(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _make_mismatch_msg(default_identifier="Scalars", identifier=None,
                              extra=f"Expected {expected} but got {actual}.", abs_diff=abs_diff, abs_diff_idx=None,
                              atol=atol, rel_diff=rel_diff, rel_diff_idx=None, rtol=rtol)


def _attribute_mismatch(name, actual, expected):
    raise _Mismatch(f"The values for attribute '{name}' do not match: {actual} != {expected}.")


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, check_stride):
    if actual.shape != expected.shape:
        _attribute_mismatch("shape", actual.shape, expected.shape)
    if check_device and actual.device != expected.device:
        _attribute_mismatch("device", actual.device, expected.device)
    if check_dtype and actual.dtype != expected.dtype:
        _attribute_mismatch("dtype", actual.dtype, expected.dtype)
    if check_stride and actual.stride() != expected.stride():
        _attribute_mismatch("stride()", actual.stride(), expected.stride())
    a = backend.to_numpy(actual._data)
    e = backend.to_numpy(expected._data)
    if rtol is None:
        rtol, atol = _tolerances(a.dtype, e.dtype)
    common = dtypes.promote_types(a.dtype, e.dtype)
    a, e = a.astype(common), e.astype(common)
    if common.kind == "b":
        matches = a == e
    else:
        with np.errstate(all="ignore"):
            matches = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan) | (a == e)
            if common.kind in "fc" and not equal_nan:
                matches &= ~(np.isnan(a) | np.isnan(e))
    if matches.all():
        return
    if a.ndim == 0:
        raise _Mismatch(_scalar_mismatch_msg(a.item(), e.item(), rtol, atol))
    raise _Mismatch(_tensor_mismatch_msg(a, e, matches, rtol, atol))


def _compare_numbers(actual, expected, rtol, atol, equal_nan, check_dtype):
    if check_dtype and type(actual) is not type(expected):
        _attribute_mismatch("type", type(actual), type(expected))  # torch's NumberPair's wording differs
    if rtol is None:
        floating = isinstance(actual, float) or isinstance(expected, float)
        rtol, atol = (1.3e-6, 1e-5) if floating and not (isinstance(actual, float) and isinstance(expected, float)) \
            else (1e-7, 1e-7) if floating else (0.0, 0.0)
    if actual == expected or (equal_nan and _isnan(actual) and _isnan(expected)):
        return
    if not (_isnan(actual) or _isnan(expected)) and abs(actual - expected) <= atol + rtol * abs(expected):
        return
    raise _Mismatch(_scalar_mismatch_msg(actual, expected, rtol, atol))


def _isnan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, check_stride, where):
    if isinstance(actual, Tensor) or isinstance(expected, Tensor):
        if not (isinstance(actual, Tensor) and isinstance(expected, Tensor)):
            raise _Mismatch(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                            f"{type(expected)}.", TypeError)
        _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, check_stride)
        return
    if isinstance(actual, (bool, int, float)) and isinstance(expected, (bool, int, float)):
        _compare_numbers(actual, expected, rtol, atol, equal_nan, check_dtype)
        return
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        if set(actual) != set(expected):
            raise _Mismatch(f"The keys of the mappings do not match:\nMissing keys in the actual mapping: "
                            f"{sorted(set(expected) - set(actual))}\nAdditional keys in the actual mapping: "
                            f"{sorted(set(actual) - set(expected))}")
        for key in expected:
            _compare(actual[key], expected[key], rtol, atol, equal_nan, check_device, check_dtype, check_stride,
                     where + (key,))
        return
    if (isinstance(actual, collections.abc.Sequence) and isinstance(expected, collections.abc.Sequence)
            and not isinstance(actual, str) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for index, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, rtol, atol, equal_nan, check_device, check_dtype, check_stride, where + (index,))
        return
    raise _Mismatch(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.",
                    TypeError)


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg=None) -> None:
    """Assert that ``actual`` and ``expected`` are close, as ``torch.testing.assert_close``.

        >>> minigrad.testing.assert_close(minigrad.tensor([1.0, 2.0]), minigrad.tensor([1.0, 2.0 + 1e-7]))
    """
    if (rtol is None) ^ (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, "
                         f"but got no {'rtol' if rtol is None else 'atol'}.")
    try:
        _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, check_stride, ())
    except _Mismatch as mismatch:
        message = str(mismatch)
        where = _where(actual, expected)
        if where is not None:
            message += f"\n\nThe failure occurred for item {where}"
        if msg is not None:
            message = msg(message) if callable(msg) else msg
        raise mismatch.kind(message) from None


def _where(actual, expected):
    """The ``[i][key]`` path of the first failing item in nested containers (None at top level)."""
    if isinstance(actual, (Tensor, bool, int, float)) or not isinstance(actual, (collections.abc.Mapping,
                                                                                  collections.abc.Sequence)):
        return None
    path = []

    def walk(a, e):
        if isinstance(a, collections.abc.Mapping) and isinstance(e, collections.abc.Mapping):
            for key in e:
                if key in a and _fails(a[key], e[key]):
                    path.append(key)
                    walk(a[key], e[key])
                    return
        elif isinstance(a, collections.abc.Sequence) and isinstance(e, collections.abc.Sequence):
            for index, (x, y) in enumerate(zip(a, e)):
                if _fails(x, y):
                    path.append(index)
                    walk(x, y)
                    return

    walk(actual, expected)
    return "".join(f"[{p!r}]" for p in path) if path else None


def _fails(a, e) -> bool:
    try:
        _compare(a, e, None, None, False, True, True, False, ())
    except _Mismatch:
        return True
    return False


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False, memory_format=None) -> Tensor:
    """A tensor of ``shape`` filled with values drawn uniformly from [low, high), as
    ``torch.testing.make_tensor``: floats default to [-9, 9), integers to [-9, 10) ([0, 10) unsigned),
    bools to {False, True}. ``exclude_zero`` replaces zeros by the dtype's tiny / 1."""
    from . import random as _random
    from .autograd.creation import tensor as _tensor

    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    numpy_dtype = dtypes.as_dtype(dtype).numpy
    rng = _random.generator()
    if numpy_dtype == np.bool_:
        values = rng.random(shape) < 0.5
    elif numpy_dtype.kind in "iu":
        low = (0 if numpy_dtype.kind == "u" else -9) if low is None else math.ceil(low)
        high = 10 if high is None else math.ceil(high)
        values = rng.integers(low, max(high, low + 1), shape) if high != low else np.full(shape, low)
    else:
        low = -9.0 if low is None else low
        high = 9.0 if high is None else high
        if low > high:
            raise ValueError(f"low must be less than or equal to high, but got low={low} and high={high}")
        values = rng.uniform(low, high, shape)
    values = np.asarray(values).astype(numpy_dtype)
    if exclude_zero:
        values[values == 0] = 1 if numpy_dtype.kind in "iub" else np.finfo(numpy_dtype).tiny
    if noncontiguous and values.size > 1:
        doubled = np.repeat(values[..., None], 2, axis=-1)
        values = doubled[..., 0]
    out = _tensor(values, dtype=dtype, device=device)
    if noncontiguous and values.size > 1:  # every other element of a buffer twice the size
        out._data = backend.to_device(doubled, out.device)[..., 0]
    if requires_grad:
        out.requires_grad_()
    return out
