"""Sliding windows over the spatial dims of an (N, C, *spatial) array, for any number of spatial dims.

Legend: ``minigrad.kernels.geometry``'s (N batch, C channels, Sp padded input sizes, K kernel sizes,
O output sizes, d the number of spatial dims).

``sliding_windows`` returns a strided *view* (no copy) of shape (N, C, *O, *K) whose entry
[n, c, o1.., k1..] is x[n, c, o1*stride1 + k1*dilation1, ...]: every window that a convolution or a
pooling layer reads. Convolution turns it into columns (im2col) with one copy; pooling reduces over
the K axes directly.
"""
from __future__ import annotations

from ..backend import xp
from .geometry import windows_output_size


def sliding_windows(x, kernel: tuple, stride: tuple, dilation: tuple):
    """View of shape (N, C, *O, *K) over every window of ``x`` (N, C, *Sp); no padding is applied."""
    module = xp(x)
    d = len(kernel)
    spatial = x.shape[-d:]
    out = windows_output_size(spatial, kernel, stride, dilation)
    lead_strides = x.strides[:-d]
    spatial_strides = x.strides[-d:]
    shape = x.shape[:-d] + out + tuple(kernel)
    strides = (lead_strides
               + tuple(st * s for st, s in zip(spatial_strides, stride))      # moving to the next window
               + tuple(st * dl for st, dl in zip(spatial_strides, dilation)))  # moving within a window
    if module.__name__ == "numpy":
        return module.lib.stride_tricks.as_strided(x, shape=shape, strides=strides, writeable=False)
    return module.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)
