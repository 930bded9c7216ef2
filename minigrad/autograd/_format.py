"""``repr`` of a tensor, character for character as torch prints it (``torch/_tensor_str.py``).

    tensor([1.0000, 2.5000], requires_grad=True)

The rules, for floating tensors, decided over the non-zero finite values (of the summarised data
when the tensor is summarised):

- *int mode* when every such value is a whole number: ``1.``, ``-3.``;
- *scientific* when ``max|v| / min|v| > 1e3``, ``max|v| > 1e8`` or ``min|v| < 1e-4``: ``1.0000e-05``;
- otherwise 4 decimals: ``0.2500``.

Every element is right-aligned to the widest one. A tensor with more than 1000 elements is
summarised: 3 items, `` ...``, 3 items along every dimension. Lines wrap at 80 characters, and the
suffixes (``dtype=``, ``grad_fn=`` ...) go on a new line when they do not fit.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend, dtypes

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80


class _Formatter:
    """Chooses the notation and the common width of the elements of one tensor."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        flat = flat.astype(np.float64)
        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            return
        magnitudes = np.abs(nonzero_finite)
        smallest, largest = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        self.sci_mode = bool(largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)
        for v in nonzero_finite.tolist():
            if self.sci_mode:
                width = len(f"{v:.{PRECISION}e}")
            elif self.int_mode:
                width = len(f"{v:.0f}") + 1
            else:
                width = len(f"{v:.{PRECISION}f}")
            self.max_width = max(self.max_width, width)

    def format(self, v) -> str:
        if not self.floating:
            text = str(v)
        elif self.sci_mode:
            text = f"{v:{self.max_width}.{PRECISION}e}"
        elif self.int_mode:
            text = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            text = f"{v:.{PRECISION}f}"
        return " " * (self.max_width - len(text)) + text


def _summarized(values: np.ndarray) -> np.ndarray:
    """Only the entries that a summarised print shows (the first and last EDGEITEMS per dim)."""
    if values.ndim == 0:
        return values
    if values.shape[0] > 2 * EDGEITEMS:
        values = np.concatenate([values[:EDGEITEMS], values[-EDGEITEMS:]])
    if values.ndim == 1:
        return values
    return np.stack([_summarized(row) for row in values])


def _vector(values: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    element_length = formatter.max_width + 2
    per_line = max(1, math.floor((LINEWIDTH - indent) / element_length))
    if summarize and values.shape[0] > 2 * EDGEITEMS:
        items = ([formatter.format(v) for v in values[:EDGEITEMS].tolist()] + [" ..."]
                 + [formatter.format(v) for v in values[-EDGEITEMS:].tolist()])
    else:
        items = [formatter.format(v) for v in values.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(values: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    if values.ndim == 0:
        return formatter.format(values.item())
    if values.ndim == 1:
        return _vector(values, indent, summarize, formatter)
    rows = range(values.shape[0])
    if summarize and values.shape[0] > 2 * EDGEITEMS:
        shown = [_nested(values[i], indent + 1, summarize, formatter) for i in rows[:EDGEITEMS]]
        shown += ["..."] + [_nested(values[i], indent + 1, summarize, formatter) for i in rows[-EDGEITEMS:]]
    else:
        shown = [_nested(values[i], indent + 1, summarize, formatter) for i in rows]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(shown) + "]"


def _with_suffixes(text: str, suffixes: list, indent: int) -> str:
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"


def format_tensor(t, prefix: str = "tensor(") -> str:
    values = backend.to_numpy(t._data)
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    d = t.dtype
    if values.size == 0:
        if values.ndim != 1:
            suffixes.append(f"size={tuple(values.shape)}")
        if d is not dtypes.get_default_dtype():
            suffixes.append(f"dtype={d!r}")
        body = "[]"
    else:
        if d not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_):
            suffixes.append(f"dtype={d!r}")
        summarize = values.size > THRESHOLD
        formatter = _Formatter(_summarized(values) if summarize else values)
        body = _nested(values, indent, summarize, formatter)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
