"""Pooling primitives: max, average, adaptive average, adaptive max, max-unpooling, for 1, 2 and 3 spatial dims.

Legend: ``minigrad.kernels.geometry``'s (L leading dims: (N, C), or (C,) for an unbatched input; S
input spatial sizes, O output sizes, K kernel sizes). Each windowed primitive carries a
``WindowGeometry``; the array work lives in ``minigrad/kernels/pool.py``.

The family is closed under differentiation; each pair below differentiates into each other, so
double backward (``create_graph=True``, ``gradgradcheck``) needs no extra code:

| primitive               | its backward is                                   |
| ----------------------- | ------------------------------------------------- |
| MaxPool                 | MaxPoolScatter (grad to each window's winner)     |
| MaxPoolScatter          | MaxPoolGather (read each window's winner)         |
| MaxPoolGather           | MaxPoolScatter                                    |
| AvgPool                 | AvgPoolTranspose (linear: its transpose)          |
| AvgPoolTranspose        | AvgPool                                           |
| AdaptiveAvgPool         | AdaptiveAvgPoolTranspose                          |
| AdaptiveAvgPoolTranspose| AdaptiveAvgPool                                   |
| AdaptiveMaxPool         | FlatScatterAdd (through the flat indices)         |
| FlatScatterAdd          | FlatGather                                        |
| FlatGather              | FlatScatterAdd                                    |
| MaxUnpool               | FlatGather                                        |

Max pooling remembers the winner of each window as its kernel-offset number (int8): the scatter is
then one strided write per kernel offset, much faster than a scatter through flat indices. The flat
indices PyTorch returns are computed from it only when ``return_indices`` asks for them.
"""
from __future__ import annotations

from ..autograd.function import Primitive
from ..kernels import pool as kernels


class MaxPool(Primitive):
    """y[l, o] = max_k x[l, o*stride - padding + k*dilation] over window o; (y, indices) when asked.

    Example: ``MaxPool.apply(x, WindowGeometry((4, 4), (2, 2), (2, 2), (0, 0), (1, 1)), False)``.
    """

    @staticmethod
    def forward(ctx, x, geometry, return_indices):
        values, argmax = kernels.max_pool_forward(x, geometry)       # (L, *O), (L, *O) int8, in x's layout
        ctx.geometry, ctx.argmax, ctx.order = geometry, argmax, kernels.memory_order(x)
        if return_indices:
            indices = kernels.max_pool_indices(argmax, geometry)      # (L, *O) int64
            ctx.mark_non_differentiable(indices)
            return values, indices
        return values

    @staticmethod
    def backward(ctx, grad, *_):
        return MaxPoolScatter.apply(grad, ctx.argmax, ctx.geometry, ctx.order)


class MaxPoolScatter(Primitive):
    """dx[l, winner(o)] += g[l, o]: (L, *O) -> (L, *S). Linear in g; its transpose is the gather.
    ``order`` is the memory layout of the result (``kernels.memory_order`` of the pooled input, so
    that a channels_last input gets a channels_last gradient, as torch's); None: grad's."""

    @staticmethod
    def forward(ctx, grad, argmax, geometry, order=None):
        ctx.argmax, ctx.geometry = argmax, geometry
        return kernels.max_pool_scatter(grad, argmax, geometry, order)

    @staticmethod
    def backward(ctx, grad):
        return MaxPoolGather.apply(grad, ctx.argmax, ctx.geometry)


class MaxPoolGather(Primitive):
    """y[l, o] = x[l, winner(o)]: (L, *S) -> (L, *O)."""

    @staticmethod
    def forward(ctx, x, argmax, geometry):
        ctx.argmax, ctx.geometry, ctx.order = argmax, geometry, kernels.memory_order(x)
        return kernels.max_pool_gather(x, argmax, geometry)

    @staticmethod
    def backward(ctx, grad):
        return MaxPoolScatter.apply(grad, ctx.argmax, ctx.geometry, ctx.order)


class AvgPool(Primitive):
    """y[l, o] = sum_k x[l, o*stride - padding + k] / divisor(o), PyTorch's divisor rules.

    Example: ``AvgPool.apply(x, WindowGeometry((5,), (3,), (1,), (1,), (1,)), True, None)``.
    """

    @staticmethod
    def forward(ctx, x, geometry, count_include_pad, divisor_override):
        ctx.args = (geometry, count_include_pad, divisor_override)
        ctx.order = kernels.memory_order(x)
        return kernels.avg_pool_forward(x, geometry, count_include_pad, divisor_override)

    @staticmethod
    def backward(ctx, grad):
        return AvgPoolTranspose.apply(grad, *ctx.args, ctx.order)


class AvgPoolTranspose(Primitive):
    """The transpose of AvgPool: each g[l, o] / divisor(o) added to every input of window o; the
    result in memory layout ``order`` (the pooled input's; None: grad's)."""

    @staticmethod
    def forward(ctx, grad, geometry, count_include_pad, divisor_override, order=None):
        ctx.args = (geometry, count_include_pad, divisor_override)
        return kernels.avg_pool_transpose(grad, geometry, count_include_pad, divisor_override, order)

    @staticmethod
    def backward(ctx, grad):
        return AvgPool.apply(grad, *ctx.args)


class AdaptiveAvgPool(Primitive):
    """y[l, i] = mean of x over bin i along each dim (``geometry.adaptive_bins``)."""

    @staticmethod
    def forward(ctx, x, output_size):
        ctx.input_size = x.shape[x.ndim - len(output_size):]
        ctx.order = kernels.memory_order(x)
        return kernels.adaptive_avg_pool_forward(x, tuple(output_size))

    @staticmethod
    def backward(ctx, grad):
        return AdaptiveAvgPoolTranspose.apply(grad, ctx.input_size, ctx.order)


class AdaptiveAvgPoolTranspose(Primitive):
    """The transpose of AdaptiveAvgPool: g[l, i] / |bin i| added to every input of bin i; the result
    in memory layout ``order`` (the pooled input's; None: grad's)."""

    @staticmethod
    def forward(ctx, grad, input_size, order=None):
        ctx.output_size = grad.shape[grad.ndim - len(input_size):]
        return kernels.adaptive_avg_pool_transpose(grad, tuple(input_size), order)

    @staticmethod
    def backward(ctx, grad):
        return AdaptiveAvgPool.apply(grad, ctx.output_size)


class AdaptiveMaxPool(Primitive):
    """(y, indices): max over each adaptive bin and its flat index into the (unpadded) plane."""

    @staticmethod
    def forward(ctx, x, output_size):
        d = len(output_size)
        values, indices = kernels.adaptive_max_pool_forward(x, tuple(output_size))
        ctx.input_size, ctx.indices = x.shape[x.ndim - d:], indices
        ctx.order = kernels.memory_order(x)
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad, *_):
        return FlatScatterAdd.apply(grad, ctx.indices, ctx.input_size, ctx.order)


class FlatScatterAdd(Primitive):
    """out[l, indices[l, o]] += values[l, o] in each plane: (L, *O) -> (L, *S); repeats accumulate.
    ``order``: the result's memory layout (``kernels.memory_order``'s tuple; None: C order)."""

    @staticmethod
    def forward(ctx, values, indices, spatial_size, order=None):
        ctx.indices, ctx.ndim = indices, len(spatial_size)
        return kernels.flat_scatter_add(values, indices, tuple(spatial_size), order)

    @staticmethod
    def backward(ctx, grad):
        return FlatGather.apply(grad, ctx.indices, ctx.ndim)


class FlatGather(Primitive):
    """y[l, o] = x[l, indices[l, o]] in each plane: (L, *S) -> (L, *O)."""

    @staticmethod
    def forward(ctx, x, indices, spatial_ndim):
        ctx.indices, ctx.spatial_size = indices, x.shape[x.ndim - spatial_ndim:]
        return kernels.flat_gather(x, indices, spatial_ndim)

    @staticmethod
    def backward(ctx, grad):
        return FlatScatterAdd.apply(grad, ctx.indices, ctx.spatial_size)


class MaxUnpool(Primitive):
    """Zeros of (L, *output_size) with out[l, indices[l, o]] = x[l, o] (a repeated index keeps one)."""

    @staticmethod
    def forward(ctx, x, indices, output_size):
        ctx.indices, ctx.ndim = indices, len(output_size)
        return kernels.flat_scatter(x, indices, tuple(output_size))

    @staticmethod
    def backward(ctx, grad):
        return FlatGather.apply(grad, ctx.indices, ctx.ndim)
