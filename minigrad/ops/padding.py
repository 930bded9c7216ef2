"""``pad`` with torch.nn.functional.pad's modes and semantics.

``pad`` lists (left, right) amounts from the last dim backwards: ``(1, 2)`` pads the last dim by 1
before and 2 after; ``(1, 1, 2, 2)`` also pads the dim before it by 2 on each side.

- ``constant``: one primitive, whose backward crops (a negative amount crops in torch, too).
- ``reflect``, ``replicate``, ``circular``: picking entries along each padded dim with an index
  array (``IndexSelect``): reflect ``[2 1 | 0 1 2 3 | 2 1]``, replicate ``[0 0 | 0 1 2 3 | 3 3]``,
  circular ``[2 3 | 0 1 2 3 | 0 1]`` (a negative amount crops first and the rest wraps, as torch:
  ``(-1, 1)`` gives ``[1 2 3 | 1]``). The gradient scatters back through the same indices, summing
  where an entry was used twice.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import xp
from .shape import ConstantPad, IndexSelect

_MODES = ("constant", "reflect", "replicate", "circular")


def _source_indices(mode: str, size: int, before: int, after: int) -> np.ndarray:
    """For each output position along one dim, the input position it copies."""
    positions = np.arange(-before, size + after)
    if mode == "reflect":
        period = 2 * (size - 1)
        positions = positions % period
        positions = np.where(positions > size - 1, period - positions, positions)
    elif mode == "replicate":
        positions = np.clip(positions, 0, size - 1)
    else:  # circular, as torch's _pad_circular: crop by the negative amounts, then wrap what is left
        kept = np.arange(max(-before, 0), size - max(-after, 0))                 # the input positions kept
        if len(kept) == 0:
            return kept
        positions = kept[np.arange(-max(before, 0), len(kept) + max(after, 0)) % len(kept)]
    return positions


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension "
                           f"but got padding length {len(pad)} and input of dimension {input.ndim}")
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    n_pad = len(pad) // 2
    # per dim of the input, (before, after)
    amounts = [(0, 0)] * (input.ndim - n_pad) + [(pad[2 * k], pad[2 * k + 1]) for k in reversed(range(n_pad))]
    if mode == "constant":
        if all(b == 0 and a == 0 for b, a in amounts):
            return input
        for d, (b, a) in enumerate(amounts):
            if input.shape[d] + b + a < 0:
                raise RuntimeError("narrow(): length must be non-negative.")  # torch 2.x's message
        return ConstantPad.apply(input, tuple(amounts), 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if not (n_pad + 1 <= input.ndim <= n_pad + 2) or n_pad > 3:
        raise NotImplementedError(
            f"Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now")
    padded = range(input.ndim - n_pad, input.ndim)
    outputs = [input.shape[d] + sum(amounts[d]) for d in padded]
    if mode != "circular" and all(size < 1 for size in outputs):  # torch's reflection/replication_pad check
        letters = "DHW"[3 - n_pad:]
        raise RuntimeError(f"input ({', '.join(f'{l}: {input.shape[d]}' for l, d in zip(letters, padded))}) is too "
                           f"small. Calculated output {', '.join(f'{l}: {o}' for l, o in zip(letters, outputs))}")
    out = input
    for d in padded:
        before, after = amounts[d]
        size = input.shape[d]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({before}, {after}) at dimension {d} of input {list(input.shape)}")
        if mode == "circular" and (before > size or after > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "circular" and size + before + after < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
        if before == 0 and after == 0:
            continue
        index = _source_indices(mode, size, before, after)
        out = IndexSelect.apply(out, d, xp(input._data).asarray(index))
    return out
