"""``repr`` of a tensor in torch's style: ``tensor([1.0000, 2.5000], requires_grad=True)``.

Floats print with 4 decimals; as ``1.`` when every value is a whole number; in scientific notation
when the magnitudes span more than 1e3, exceed 1e8 or fall below 1e-4 (the rules of torch's
``_tensor_str.py``). Large tensors are summarised with their first and last three items.
"""
from __future__ import annotations

import numpy as np

from .. import backend, dtypes


def _float_formatter(values: np.ndarray):
    finite = np.abs(values[np.isfinite(values)]).astype(np.float64)
    nonzero = finite[finite != 0]
    if finite.size and np.all(finite == np.round(finite)) and (nonzero.size == 0 or nonzero.max() < 1e8):
        fmt = lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v}"
    elif nonzero.size and (nonzero.max() / nonzero.min() > 1e3 or nonzero.max() > 1e8 or nonzero.min() < 1e-4):
        fmt = lambda v: f"{v:.4e}" if np.isfinite(v) else f"{v}"
    else:
        fmt = lambda v: f"{v:.4f}" if np.isfinite(v) else f"{v}"
    return fmt


def format_tensor(t) -> str:
    values = backend.to_numpy(t._data)
    if values.dtype.kind == "f":
        fmt = _float_formatter(values)
    elif values.dtype.kind == "b":
        fmt = str
    else:
        fmt = lambda v: str(int(v))
    sample = values.reshape(-1)[:1000] if values.size <= 1000 else np.concatenate(
        [values.reshape(-1)[:500], values.reshape(-1)[-500:]])
    width = max((len(fmt(v)) for v in sample.tolist()), default=0)
    if values.ndim == 0:
        body = fmt(values.item())
    elif values.size == 0:
        body = "[]"
    else:
        body = np.array2string(values, separator=", ", prefix="tensor(", threshold=1000, edgeitems=3,
                               max_line_width=80, formatter={"all": lambda v: fmt(v).rjust(width)})
    suffix = []
    if values.size == 0 and values.ndim > 1:
        suffix.append(f"size={tuple(values.shape)}")
    if t.device.type != "cpu":
        suffix.append(f"device='{t.device}'")
    d = t.dtype
    if d not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_):
        suffix.append(f"dtype={d!r}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    return "tensor(" + ", ".join([body] + suffix) + ")"
