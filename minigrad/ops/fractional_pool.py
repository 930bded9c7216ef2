"""Fractional max pooling (Graham, "Fractional Max-Pooling", arXiv:1412.6071), for 2 and 3 spatial dims.

Legend: ``minigrad.kernels.geometry``'s (L leading dims (N, C) or (C,), S input sizes, O output
sizes, K kernel sizes). Each plane's windows start at pseudo-random positions drawn from one sample
per spatial dim (torch's ``_random_samples``); the array work is ``minigrad.kernels.pool``'s
``fractional_max_pool_forward``. Like adaptive max pooling, the primitive keeps each window's winner
as a flat index into its plane, so its backward is ``FlatScatterAdd`` (whose backward is
``FlatGather``, whose backward is ``FlatScatterAdd``): any order of derivative.
"""
from __future__ import annotations

import math

from ..autograd.function import Primitive
from ..kernels import pool as kernels
from .pool import FlatScatterAdd


class FractionalMaxPool(Primitive):
    """y[l, o] = max of x[l] over window o (starts from samples[l]); (y, indices) when asked.

    ``samples`` (prod L, d) in [0, 1); ``sample_of_dim[i]`` says which of them drives spatial dim i
    (torch reads W's from entry 0 and H's from entry 1 in 2-d, T, H, W from 0, 1, 2 in 3-d).
    """

    @staticmethod
    def forward(ctx, x, samples, kernel, output_size, sample_of_dim, return_indices):
        d = len(kernel)
        lead, spatial = x.shape[:x.ndim - d], x.shape[x.ndim - d:]
        planes = x.reshape((math.prod(lead),) + tuple(spatial))                       # (P, *S)
        values, indices = kernels.fractional_max_pool_forward(planes, tuple(kernel), tuple(output_size), samples,
                                                              tuple(sample_of_dim))       # (P, *O) twice
        values = values.reshape(lead + tuple(output_size))                            # (L, *O)
        indices = indices.reshape(lead + tuple(output_size))
        ctx.indices, ctx.spatial_size = indices, tuple(spatial)
        if return_indices:
            ctx.mark_non_differentiable(indices)
            return values, indices
        return values

    @staticmethod
    def backward(ctx, grad, *_):
        if grad.numel() == 0:   # an empty batch (kernels.flat_scatter_add reshapes with -1, which 0 rows reject)
            return grad.new_zeros(tuple(grad.shape[:grad.ndim - len(ctx.spatial_size)]) + ctx.spatial_size), None
        return FlatScatterAdd.apply(grad, ctx.indices, ctx.spatial_size), None
