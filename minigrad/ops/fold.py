"""Unfold (im2col) and Fold (col2im): two primitives that differentiate into each other.

Legend: ``minigrad.kernels.geometry``'s (N batch, C channels, S spatial sizes, K kernel sizes,
O the windows along each dim, P = prod(O) = L, torch's number of blocks).

    Unfold   cols = unfold(x)   x (N, C, *S)  ->  cols (N, C*K, P)
             cols[n, (c, k), o] = x[n, c, o*stride - padding + k*dilation]   (zero outside x)
    Fold     x = fold(cols)     cols (N, C*K, P)  ->  x (N, C, *S), the adjoint: each column entry
             is added back to the position it would be read from (positions outside x are dropped)

Both are linear, and each is the other's transpose, so each one's backward is the other with the
same ``WindowGeometry`` (S the image side, O the windows), to any order. The array work is
``minigrad.kernels.im2col``'s ``unfold_columns`` / ``fold_columns``; a convolution is an Unfold
followed by a matrix product with the (Cy, C*K) weight.
"""
from __future__ import annotations

from ..autograd.function import Primitive
from ..backend import xp
from ..kernels.im2col import fold_columns, pad_spatial, unfold_columns


class Unfold(Primitive):
    """cols = im2col(x): (N, C, *S) -> (N, C*K, P); backward: Fold."""

    @staticmethod
    def forward(ctx, x, geometry):
        ctx.geometry = geometry
        g = geometry
        padded = pad_spatial(x, g.pads)                                   # (N, C, *F)
        return unfold_columns(padded, g.kernel, g.stride, g.dilation)     # (N, C*K, P)

    @staticmethod
    def backward(ctx, grad):
        return Fold.apply(grad, ctx.geometry)


class Fold(Primitive):
    """x = col2im(cols): (N, C*K, P) -> (N, C, *S), summing overlaps; backward: Unfold."""

    @staticmethod
    def forward(ctx, cols, geometry):
        ctx.geometry = geometry
        g = geometry
        module = xp(cols)
        n, channels = cols.shape[0], cols.shape[1] // g.kernel_numel
        out = module.zeros((n, channels) + g.full_size, dtype=cols.dtype)            # (N, C, *F)
        fold_columns(cols, out, g.kernel, g.stride, g.dilation)
        crop = (slice(None), slice(None)) + tuple(
            slice(before, before + size) for before, size in zip(g.padding, g.input_size))
        grow = [(0, 0), (0, 0)] + [(0, max(0, before + size - f)) for before, size, f in
                                   zip(g.padding, g.input_size, g.full_size)]
        if any(a for _, a in grow):            # rows past the last window's reach: no column lands there
            out = module.pad(out, grow)
        return module.ascontiguousarray(out[crop])                                  # (N, C, *S)

    @staticmethod
    def backward(ctx, grad):
        return Unfold.apply(grad, ctx.geometry)
