"""im2col / col2im on the GPU as CUDA kernels (gather form, no atomics), same contract as
``minigrad.kernels.im2col``; the C source is in ``source.py``.

Legend: ``minigrad.kernels.geometry``'s (n batch chunk, Cx channels, G groups, Cxg = Cx / G, Sp padded
input sizes, K kernel sizes, O output sizes, P = prod(O)).
"""
from __future__ import annotations

import math

from ..geometry import windows_output_size
from . import source
from .launch import launch


def as_3d(values: tuple, fill: int) -> tuple:
    """A per-dim tuple for 1, 2 or 3 spatial dims, widened to 3 with ``fill`` in front."""
    return (fill,) * (3 - len(values)) + tuple(values)


def element_strides(array) -> tuple:
    """Strides in elements (CuPy and NumPy give bytes)."""
    return tuple(s // array.itemsize for s in array.strides)


def im2col(x_padded, kernel: tuple, stride: tuple, dilation: tuple, groups: int, runner=None):
    """Columns (G, Cxg*K, P*n) of a padded chunk ``x_padded`` (n, Cx, *Sp), any strides.

    cols[(c, k), (o, b)] = x_padded[b, c, o*stride + k*dilation], one thread per column entry.
    """
    from ...backend import xp
    module = xp(x_padded)
    d = len(kernel)
    n, channels = x_padded.shape[:2]
    windows = windows_output_size(x_padded.shape[2:], kernel, stride, dilation)
    cols = module.empty((channels,) + tuple(kernel) + windows + (n,), dtype=x_padded.dtype)  # (Cx, *K, *O, n)
    strides = element_strides(x_padded)
    spatial_strides = (0,) * (3 - d) + strides[2:]
    S, O, K = as_3d(x_padded.shape[2:], 1), as_3d(windows, 1), as_3d(kernel, 1)
    st, dl = as_3d(stride, 1), as_3d(dilation, 1)
    launch(source.IM2COL, cols.size, dict(
        x=x_padded, cols=cols, n=n,
        S1=S[0], S2=S[1], S3=S[2], O1=O[0], O2=O[1], O3=O[2], K1=K[0], K2=K[1], K3=K[2],
        st1=st[0], st2=st[1], st3=st[2], dl1=dl[0], dl2=dl[1], dl3=dl[2],
        xs0=strides[0], xs1=strides[1], xs2=spatial_strides[0], xs3=spatial_strides[1], xs4=spatial_strides[2],
    ), x_padded.dtype, runner=runner)
    return cols.reshape(groups, channels // groups * math.prod(kernel), n * math.prod(windows))


def col2im(cols, out, kernel: tuple, stride: tuple, dilation: tuple, groups: int, runner=None):
    """Add columns (G, Cxg*K, P*n) back into ``out`` (n, Cx, *Sp) in place; returns ``out``.

    out[b, c, s] += sum of cols[(c, k), (o, b)] over o*stride + k*dilation = s: one thread per entry
    of ``out`` sums its own terms in a fixed order (deterministic, no atomics).
    """
    from ...backend import xp
    module = xp(cols)
    n, channels = out.shape[:2]
    windows = windows_output_size(out.shape[2:], kernel, stride, dilation)
    cols = module.ascontiguousarray(cols)
    target = out if out.flags.c_contiguous else module.zeros(out.shape, dtype=out.dtype)  # (n, Cx, *Sp)
    S, O, K = as_3d(out.shape[2:], 1), as_3d(windows, 1), as_3d(kernel, 1)
    st, dl = as_3d(stride, 1), as_3d(dilation, 1)
    launch(source.COL2IM, target.size, dict(
        cols=cols, out=target, n=n, C=channels,
        S1=S[0], S2=S[1], S3=S[2], O1=O[0], O2=O[1], O3=O[2], K1=K[0], K2=K[1], K3=K[2],
        st1=st[0], st2=st[1], st3=st[2], dl1=dl[0], dl2=dl[1], dl3=dl[2],
    ), out.dtype, runner=runner)
    if target is not out:
        out += target
    return out
