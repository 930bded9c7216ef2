"""The convolution family: three primitives that differentiate into one another, for N spatial dims.

Legend: ``minigrad.kernels.geometry``'s (N batch, Cx / Cy channels of a convolution's input x and
output y, G groups, Cxg = Cx / G, S input sizes, K kernel sizes, O output sizes, F full size).

Every primitive carries the same ``WindowGeometry``, described from the side of a convolution
``x -> y``: S is x's spatial size, O is y's, and ``padding`` the zeros before x along each dim (the
zeros after are derived, F - S - before; negative when x's last entries are read by no window, which
a transposed convolution then gives back as zeros).

    Conv            y = conv(x, w)            x (N, Cx, *S), w (Cy, Cxg, *K)  ->  y (N, Cy, *O)
    ConvTranspose   x = conv_transpose(y, w)  y (N, Cy, *O), w (Cy, Cxg, *K)  ->  x (N, Cx, *S)
    ConvWeightGrad  w = conv_weight_grad(x, y)                               ->  w (Cy, Cxg, *K)

with, written per group, ``y[n, co, o] = sum_{c, k} x[n, c, o*stride - padding + k*dilation] w[co, c, k]``
(zero outside x).
``conv_transpose`` is the adjoint of ``conv`` in ``x`` and ``conv_weight_grad`` the adjoint in ``w``,
so (Dumoulin & Visin, arXiv:1603.07285, section 4; JAX's "convolution transpose rules"):

| primitive      | gradient for its first input      | for its second input                |
| -------------- | --------------------------------- | ----------------------------------- |
| Conv           | ConvTranspose(grad_y, w)          | ConvWeightGrad(x, grad_y)           |
| ConvTranspose  | Conv(grad_x, w)                   | ConvWeightGrad(grad_x, y)           |
| ConvWeightGrad | ConvTranspose(y, grad_w)          | Conv(x, grad_w)                     |

so the gradient of a gradient is again one of the three, to any order, with the same geometry. Bias
is added inside ``Conv`` and ``ConvTranspose`` (its gradient is a sum of the output gradient over
batch and space).

The array work (im2col and one GEMM per group, and the choice between algorithms) lives in
``minigrad/kernels/conv.py``.

Memory format (torch's rule, ``_determine_backend_memory_format`` in ATen's ``Convolution.cpp``): when
the input or the weight of a 4-d (5-d) convolution is channels_last (channels_last_3d) by
``suggest_memory_format``, its output, and the gradients for its input and weight, are held in that
format; otherwise they are contiguous. (torch's float64 3-d convolutions take a slow path that is
always contiguous; minigrad does as it does.) Each primitive carries that choice, ``channels_last``,
from the forward to the primitives of its backward.
"""
from __future__ import annotations

from ..autograd import memory_format as formats
from ..autograd.function import Primitive
from ..kernels import conv as kernels
from ..kernels.geometry import conv_geometry, conv_transpose_geometry


def channels_last_result(x, weight) -> bool:
    """torch's choice of a channels-last output for a convolution of arrays ``x`` and ``weight``."""
    if x.ndim == 5 and x.dtype.itemsize == 8 and x.dtype.kind == "f":  # torch's slow_conv3d: contiguous only
        return False
    return x.ndim in (4, 5) and (formats.suggest(x) is not formats.contiguous_format
                                 or formats.suggest(weight) is not formats.contiguous_format)


def _channel_axes(ndim: int) -> tuple:
    """The axes a bias gradient sums over: batch and every spatial axis."""
    return (0,) + tuple(range(2, ndim))


# ---- primitives -------------------------------------------------------------------------------

class Conv(Primitive):
    """y = conv(x, weight) + bias; gradients: conv_transpose for x, conv_weight_grad for weight."""

    @staticmethod
    def forward(ctx, x, weight, bias, geometry, channels_last=None):
        if channels_last is None:
            channels_last = channels_last_result(x, weight)
        ctx.geometry, ctx.channels_last = geometry, channels_last
        ctx.save_for_backward(x, weight)
        # the NHWC forward may keep its columns of x for the weight gradient (kernels/conv.py's budget)
        kept = [] if ctx.needs_input_grad[1] else None
        y = kernels.conv_forward(x, weight, bias, geometry, channels_last, keep_columns=kept)
        ctx.columns = kept[0] if kept else None
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = ConvTranspose.apply(grad, weight, None, ctx.geometry, ctx.channels_last)
        if ctx.needs_input_grad[1]:
            # still a function of x and grad alone (double backward differentiates it as such); the
            # columns only spare recomputing them, and are given back after one use (a second
            # backward through a retained graph builds them again)
            columns, ctx.columns = ctx.columns, None
            grad_weight = ConvWeightGrad.apply(x, grad, ctx.geometry, ctx.channels_last, columns)
            if columns is not None:
                kernels.release_columns(columns)
        if ctx.needs_input_grad[2]:
            grad_bias = grad.sum(_channel_axes(grad.ndim))
        return grad_x, grad_weight, grad_bias


class ConvTranspose(Primitive):
    """x = conv_transpose(y, weight) + bias; gradients: conv for y, conv_weight_grad for weight."""

    @staticmethod
    def forward(ctx, y, weight, bias, geometry, channels_last=None):
        if channels_last is None:
            channels_last = channels_last_result(y, weight)
        ctx.geometry, ctx.channels_last = geometry, channels_last
        ctx.save_for_backward(y, weight)
        return kernels.conv_transpose_forward(y, weight, bias, geometry, channels_last)

    @staticmethod
    def backward(ctx, grad):
        y, weight = ctx.saved_tensors
        grad_y = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_y = Conv.apply(grad, weight, None, ctx.geometry, ctx.channels_last)
        if ctx.needs_input_grad[1]:
            grad_weight = ConvWeightGrad.apply(grad, y, ctx.geometry, ctx.channels_last)
        if ctx.needs_input_grad[2]:
            grad_bias = grad.sum(_channel_axes(grad.ndim))
        return grad_y, grad_weight, grad_bias


class ConvWeightGrad(Primitive):
    """w = conv_weight_grad(x, y): the correlation of a conv's input with its output (gradient).

    Gradients: conv_transpose(y, grad_w) for x, conv(x, grad_w) for y.
    """

    @staticmethod
    def forward(ctx, x, y, geometry, channels_last=None, columns=None):
        if channels_last is None:
            channels_last = channels_last_result(x, y)
        ctx.geometry, ctx.channels_last = geometry, channels_last
        ctx.save_for_backward(x, y)
        return kernels.conv_weight_grad_forward(x, y, geometry, channels_last, columns)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_x = ConvTranspose.apply(y, grad, None, ctx.geometry, ctx.channels_last)
        if ctx.needs_input_grad[1]:
            grad_y = Conv.apply(x, grad, None, ctx.geometry, ctx.channels_last)
        return grad_x, grad_y


# ---- internal functional forms (validated arguments; the public API is minigrad.nn.functional) ----

def _defaults(d: int, stride, padding, dilation) -> tuple:
    return (tuple(stride or (1,) * d), tuple(padding or ((0, 0),) * d), tuple(dilation or (1,) * d))


def conv(x, weight, bias=None, stride=None, padding=None, dilation=None, groups: int = 1):
    """Convolution of a batched x (N, Cx, *S) with weight (Cy, Cx/groups, *K); ``padding`` as ((before, after), ..).

    y[n, o, p] = bias[o] + sum_{c, k} x_padded[n, c, p*stride + k*dilation] weight[o, c, k]
    (c over the channels of o's group). Arguments are assumed valid (see nn.functional.conv2d).

    >>> import minigrad
    >>> conv(minigrad.ones(1, 1, 4), minigrad.ones(1, 1, 2), padding=((1, 0),)).tolist()
    [[[1.0, 2.0, 2.0, 2.0]]]
    """
    stride, padding, dilation = _defaults(weight.ndim - 2, stride, padding, dilation)
    geometry = conv_geometry(x.shape[2:], weight.shape[2:], stride, padding, dilation, int(groups))
    return Conv.apply(x, weight, bias, geometry)


def conv_transpose(y, weight, bias=None, stride=None, padding=None, dilation=None, groups: int = 1):
    """Transposed convolution of y (N, Cy, *O) with weight (Cy, Cx/groups, *K): the adjoint of ``conv``.

    The output has spatial size S = F - before - after per dim (``minigrad.kernels.geometry``).

    >>> import minigrad
    >>> conv_transpose(minigrad.ones(1, 1, 3), minigrad.ones(1, 1, 2)).tolist()
    [[[1.0, 2.0, 2.0, 1.0]]]
    """
    stride, padding, dilation = _defaults(weight.ndim - 2, stride, padding, dilation)
    geometry = conv_transpose_geometry(y.shape[2:], weight.shape[2:], stride, padding, dilation, int(groups))
    return ConvTranspose.apply(y, weight, bias, geometry)


def conv_weight_grad(x, y, kernel, stride=None, padding=None, dilation=None, groups: int = 1):
    """The weight gradient of ``conv``: w[o, c, k] = sum_{n, p} y[n, o, p] x_padded[n, c, p*stride + k*dilation]."""
    stride, padding, dilation = _defaults(len(kernel), stride, padding, dilation)
    geometry = conv_geometry(x.shape[2:], tuple(kernel), stride, padding, dilation, int(groups))
    return ConvWeightGrad.apply(x, y, geometry)
