"""Sliding windows over the spatial dims of an (N, C, *spatial) array, for any number of spatial dims.

Legend: N batch, C channels, S = (S1, .., Sd) spatial sizes (after padding), K = (K1, .., Kd) kernel
sizes, O = (O1, .., Od) output sizes, d the number of spatial dims (1, 2 or 3).

``sliding_windows`` returns a strided *view* (no copy) of shape (N, C, *O, *K) whose entry
[n, c, o1.., k1..] is x[n, c, o1*s1 + k1*d1, ...]: every window that a convolution or a pooling
layer reads. Convolution turns it into columns (im2col) with one copy; pooling reduces over the K
axes directly.
"""
from __future__ import annotations

from ..backend import xp


def output_size(size: int, kernel: int, stride: int, dilation: int) -> int:
    """Windows along one dim of an already padded input: floor((S - D*(K-1) - 1) / s) + 1."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def sliding_windows(x, kernel: tuple, stride: tuple, dilation: tuple):
    """View of shape (N, C, *O, *K) over every window of ``x`` (N, C, *S); no padding is applied."""
    module = xp(x)
    d = len(kernel)
    spatial = x.shape[-d:]
    out = tuple(output_size(s, k, st, dl) for s, k, st, dl in zip(spatial, kernel, stride, dilation))
    lead_strides = x.strides[:-d]
    spatial_strides = x.strides[-d:]
    shape = x.shape[:-d] + out + tuple(kernel)
    strides = (lead_strides
               + tuple(st * s for st, s in zip(spatial_strides, stride))      # moving to the next window
               + tuple(st * dl for st, dl in zip(spatial_strides, dilation)))  # moving within a window
    if module.__name__ == "numpy":
        return module.lib.stride_tricks.as_strided(x, shape=shape, strides=strides, writeable=False)
    return module.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)
