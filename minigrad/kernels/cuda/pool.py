"""Max and average pooling on the GPU as CUDA kernels, same contracts as ``minigrad.kernels.pool``.

Legend: ``minigrad.kernels.geometry``'s (L the leading dims, flattened; S input spatial sizes, O output
sizes, K kernel sizes); each routine takes the call's ``WindowGeometry``.
Each routine makes its input C-contiguous (a no-op for the usual inputs) and writes a new
C-contiguous result with one thread per output element (gather form: deterministic, no atomics).
"""
from __future__ import annotations


import numpy as np

from . import source
from .im2col import as_3d
from .launch import launch


def _winner_dtype(geometry):
    """int8 winners when k# fits (as the NumPy path), else int32."""
    return np.int8 if geometry.kernel_numel <= 127 else np.int32


def _geometry_arguments(geometry) -> dict:
    S, O, K = as_3d(geometry.input_size, 1), as_3d(geometry.output_size, 1), as_3d(geometry.kernel, 1)
    st, pd, dl = as_3d(geometry.stride, 1), as_3d(geometry.padding, 0), as_3d(geometry.dilation, 1)
    return dict(S1=S[0], S2=S[1], S3=S[2], O1=O[0], O2=O[1], O3=O[2], K1=K[0], K2=K[1], K3=K[2],
                st1=st[0], st2=st[1], st3=st[2], pd1=pd[0], pd2=pd[1], pd3=pd[2],
                dl1=dl[0], dl2=dl[1], dl3=dl[2])


def _lead(array, geometry) -> tuple:
    return array.shape[:array.ndim - geometry.ndim]


def max_pool_forward(x, geometry, runner=None):
    """(values (L, *O), argmax (L, *O)): the max of each window of x (L, *S) and the row-major number
    of its winning kernel offset; ties keep the first maximum, the last NaN wins, padding never wins."""
    from ...backend import xp
    module = xp(x)
    x = module.ascontiguousarray(x)
    shape = _lead(x, geometry) + geometry.output_size
    values = module.empty(shape, dtype=x.dtype)
    argmax = module.empty(shape, dtype=_winner_dtype(geometry))
    launch(source.MAX_POOL_FORWARD, values.size,
           dict(x=x, values=values, argmax=argmax, lowest=-np.inf, **_geometry_arguments(geometry)),
           x.dtype, argmax.dtype, runner=runner)
    return values, argmax


def max_pool_scatter(grad, argmax, geometry, runner=None):
    """The gradient of max pooling: grad (L, *O) summed into each window's winner -> (L, *S)."""
    from ...backend import xp
    module = xp(grad)
    grad, argmax = module.ascontiguousarray(grad), module.ascontiguousarray(argmax)
    out = module.empty(_lead(grad, geometry) + geometry.input_size, dtype=grad.dtype)
    launch(source.MAX_POOL_SCATTER, out.size,
           dict(grad=grad, argmax=argmax, out=out, **_geometry_arguments(geometry)),
           grad.dtype, argmax.dtype, runner=runner)
    return out


def max_pool_gather(x, argmax, geometry, runner=None):
    """The transpose of ``max_pool_scatter``: x (L, *S) read at each window's winner -> (L, *O)."""
    from ...backend import xp
    module = xp(x)
    x, argmax = module.ascontiguousarray(x), module.ascontiguousarray(argmax)
    out = module.empty(argmax.shape, dtype=x.dtype)
    launch(source.MAX_POOL_GATHER, out.size,
           dict(x=x, argmax=argmax, out=out, **_geometry_arguments(geometry)),
           x.dtype, argmax.dtype, runner=runner)
    return out


def avg_pool_forward(x, geometry, count_include_pad: bool = True, divisor_override=None, runner=None):
    """Mean over each window of x (L, *S) -> (L, *O), PyTorch's divisor rules."""
    from ...backend import xp
    module = xp(x)
    x = module.ascontiguousarray(x)
    out = module.empty(_lead(x, geometry) + geometry.output_size, dtype=x.dtype)
    launch(source.AVG_POOL_FORWARD, out.size,
           dict(x=x, out=out, count_include_pad=int(bool(count_include_pad)),
                divisor_override=int(divisor_override or 0), **_geometry_arguments(geometry)),
           x.dtype, runner=runner)
    return out


def avg_pool_transpose(grad, geometry, count_include_pad: bool = True, divisor_override=None, runner=None):
    """The gradient of average pooling: grad (L, *O) -> (L, *S)."""
    from ...backend import xp
    module = xp(grad)
    grad = module.ascontiguousarray(grad)
    out = module.empty(_lead(grad, geometry) + geometry.input_size, dtype=grad.dtype)
    launch(source.AVG_POOL_TRANSPOSE, out.size,
           dict(grad=grad, out=out, count_include_pad=int(bool(count_include_pad)),
                divisor_override=int(divisor_override or 0), **_geometry_arguments(geometry)),
           grad.dtype, runner=runner)
    return out


