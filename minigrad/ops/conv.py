"""The convolution family: three primitives that differentiate into one another, for N spatial dims.

Legend (shape comments below):
    N   batch (n: one chunk of it)            G    groups
    Cx  channels of the convolution's input   Cxg  Cx / G
    Cy  channels of the convolution's output  Cyg  Cy / G
    S   input spatial sizes (S1, .., Sd)      Sp   after zero padding
    K   kernel sizes; as a factor, their product
    O   output spatial sizes; P = prod(O)
    F   the full (uncropped) size of a transposed convolution: (O - 1)*stride + dilation*(K - 1) + 1

Every primitive describes the same geometry from the side of a convolution ``x -> y``:
``padding`` is ((before, after), ..) per spatial dim, the zeros added to ``x`` (an ``after`` may be
negative: the last entries are then cut, which the gradients of transposed convolutions need).

    Conv            y = conv(x, w)            x (N, Cx, *S), w (Cy, Cxg, *K)  ->  y (N, Cy, *O)
    ConvTranspose   x = conv_transpose(y, w)  y (N, Cy, *O), w (Cy, Cxg, *K)  ->  x (N, Cx, *S)
    ConvWeightGrad  w = conv_weight_grad(x, y)                               ->  w (Cy, Cxg, *K)

with, written per group, ``y[n, o, p] = sum_{c, k} x_padded[n, c, p*stride + k*dilation] w[o, c, k]``.
``conv_transpose`` is the adjoint of ``conv`` in ``x`` and ``conv_weight_grad`` the adjoint in ``w``,
so (Dumoulin & Visin, arXiv:1603.07285, section 4; JAX's "convolution transpose rules"):

| primitive      | gradient for its first input      | for its second input                |
| -------------- | --------------------------------- | ----------------------------------- |
| Conv           | ConvTranspose(grad_y, w)          | ConvWeightGrad(x, grad_y)           |
| ConvTranspose  | Conv(grad_x, w)                   | ConvWeightGrad(grad_x, y)           |
| ConvWeightGrad | ConvTranspose(y, grad_w)          | Conv(x, grad_w)                     |

so the gradient of a gradient is again one of the three, to any order. Bias is added inside
``Conv`` and ``ConvTranspose`` (its gradient is a sum of the output gradient over batch and space).

The arithmetic is im2col (``minigrad.kernels.im2col``) and one GEMM per group, over batch chunks
that keep the column buffer bounded; 1x1 kernels skip im2col and multiply the input directly.
"""
from __future__ import annotations

import math

from ..autograd.function import Primitive
from ..backend import xp
from ..kernels.im2col import batch_chunks, col2im, im2col, pad_spatial, windows_output_size, workspace


# ---- geometry ---------------------------------------------------------------------------------

def transposed_full_size(windows: tuple, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """F per dim: the extent that O windows cover, (O - 1)*stride + dilation*(K - 1) + 1."""
    return tuple((o - 1) * s + dl * (k - 1) + 1 for o, k, s, dl in zip(windows, kernel, stride, dilation))


def _padding_for_adjoint(spatial: tuple, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple) -> tuple:
    """Padding that makes conv_transpose give back exactly ``spatial`` from the windows of a conv.

    When (Sp - dilation*(K - 1) - 1) is not a multiple of the stride, the last rows of the padded
    input are read by no window; the transposed convolution covers only F < Sp, so its ``after``
    shrinks by the remainder Sp - F (the rows come back as zeros).
    """
    padded = tuple(s + b + a for s, (b, a) in zip(spatial, padding))
    windows = windows_output_size(padded, kernel, stride, dilation)
    full = transposed_full_size(windows, kernel, stride, dilation)
    return tuple((b, a - (sp - f)) for (b, a), sp, f in zip(padding, padded, full))


def _channel_axes(ndim: int) -> tuple:
    """The axes a bias gradient sums over: batch and every spatial axis."""
    return (0,) + tuple(range(2, ndim))


_SMALL_GEMM = 256  # a product whose two smaller dims multiply to at most this goes to einsum, not BLAS


def _matmul_per_group(module, a, b, out=None):
    """(G, I, J) = (G, I, K) @ (G, K, J) as one 2-d GEMM per group.

    A stacked ``matmul`` falls back to a slow non-BLAS loop when an operand is a transposed view;
    2-d products always reach BLAS (with its transpose flags, so no copy is made).
    """
    if out is None:
        out = module.empty((a.shape[0], a.shape[1], b.shape[2]), dtype=a.dtype)
    rows, inner, cols = a.shape[1], a.shape[2], b.shape[2]
    if rows * inner * cols // max(rows, inner, cols) <= _SMALL_GEMM:
        # Thin products (depthwise: (1, 9) @ (9, n*P)) measured 10-100x faster in einsum's own loops
        # than in a BLAS call, whose threads cost more than the few operations per output entry.
        if module.__name__ == "numpy":
            return module.einsum("gik,gkj->gij", a, b, out=out)
        out[...] = module.einsum("gik,gkj->gij", a, b)  # CuPy's einsum has no ``out``
        return out
    for g in range(a.shape[0]):
        module.matmul(a[g], b[g], out=out[g])
    return out


def _is_pointwise(kernel: tuple, stride: tuple, padding: tuple) -> bool:
    """1x1 kernel, stride 1, no padding: the convolution is a plain matrix product per sample."""
    return all(k == 1 for k in kernel) and all(s == 1 for s in stride) and all(b == 0 and a == 0 for b, a in padding)


def _col2im_is_cheaper(y_shape: tuple, weight_shape: tuple, groups: int, dilation: tuple) -> bool:
    """Whether a unit-stride transposed convolution should take the col2im path.

    The flipped-kernel convolution builds columns of size Cy*K*N*prod(O + dilation*(K-1)) (y padded
    all round); col2im builds Cx*K*N*prod(O) and adds them back with K strided adds. Measured
    (benchmarks/bench_conv.py shapes): col2im wins when its columns are over 3x smaller, as in the
    LeNet input gradients (16 -> 1 and 32 -> 16 channels, 5x5 kernels: 2-8x faster); the flipped
    convolution wins by ~2x for equal channel counts and 3x3 kernels (the CIFAR layers).
    """
    channels_out, channels_in = y_shape[1], weight_shape[1] * groups
    kernel, windows = weight_shape[2:], y_shape[2:]
    padded = math.prod(o + dl * (k - 1) for o, k, dl in zip(windows, kernel, dilation))
    return channels_out * padded > 3 * channels_in * math.prod(windows)


def _batch_last_columns(module, windows: tuple) -> bool:
    """Column order for im2col / col2im: batch-last (P*n) when window rows are short (< 16 entries,
    as LeNet's 10x10), where it makes the copies ~4x faster; batch-first (n*P) for long rows, where
    the copies are as fast either way and batch-first spares two transposing copies (measured 5x
    faster than batch-last's). The CUDA kernels always use batch-last."""
    return module.__name__ != "numpy" or windows[-1] < 16


def _columns_to_batch(product, positions: int, n: int, batch_last: bool):
    """The GEMM's product (G, Cyg, P*n) or (G, Cyg, n*P) as a view (n, G, Cyg, P)."""
    groups = product.shape[0]
    if batch_last:
        return product.reshape(groups, -1, positions, n).transpose(3, 0, 1, 2)
    return product.reshape(groups, -1, n, positions).transpose(2, 0, 1, 3)


def _batch_to_columns(module, y_chunk, batch_last: bool):
    """(n, G, Cyg, P) copied into a workspace as GEMM columns (G, Cyg, P*n) or (G, Cyg, n*P)."""
    n, groups, channels, positions = y_chunk.shape
    order = (1, 2, 3, 0) if batch_last else (1, 2, 0, 3)
    shape = (groups, channels, positions, n) if batch_last else (groups, channels, n, positions)
    y_t = workspace(module, "product", shape, y_chunk.dtype)
    y_t[...] = y_chunk.transpose(order)
    return y_t.reshape(groups, channels, n * positions)


# ---- array routines (no autograd) -------------------------------------------------------------

def conv_forward(x, weight, bias, stride, padding, dilation, groups):
    """y (N, Cy, *O) = conv(x (N, Cx, *S), weight (Cy, Cxg, *K)) + bias (Cy,)."""
    module = xp(x)
    d = weight.ndim - 2
    kernel = weight.shape[2:]
    batch, channels_in = x.shape[:2]
    channels_out = weight.shape[0]
    weight_matrix = weight.reshape(groups, channels_out // groups, -1)          # (G, Cyg, Cxg*K)
    if _is_pointwise(kernel, stride, padding):
        spatial = x.shape[2:]
        y = module.matmul(weight_matrix,                                       # (N, G, Cyg, P) =
                          x.reshape(batch, groups, channels_in // groups, -1))  # (G, Cyg, Cxg) @ (N, G, Cxg, P)
        y = y.reshape((batch, channels_out) + spatial)                         # (N, Cy, *O)
    else:
        x_padded = pad_spatial(x, padding)                                     # (N, Cx, *Sp)
        windows = windows_output_size(x_padded.shape[2:], kernel, stride, dilation)
        positions = math.prod(windows)
        y = module.empty((batch, channels_out) + windows, dtype=x.dtype)       # (N, Cy, *O)
        y_groups = y.reshape(batch, groups, channels_out // groups, positions)  # (N, G, Cyg, P)
        batch_last = _batch_last_columns(module, windows)
        for chunk in batch_chunks(batch, channels_in * math.prod(kernel) * positions * x.itemsize):
            n = chunk.stop - chunk.start
            cols = im2col(x_padded[chunk], kernel, stride, dilation, groups,   # (G, Cxg*K, P*n) or (.., n*P)
                          batch_last=batch_last)
            product = workspace(module, "product", (groups, channels_out // groups, positions * n), x.dtype)
            _matmul_per_group(module, weight_matrix, cols, out=product)       # (G, Cyg, P*n) = (G, Cyg, Cxg*K) @ (G, Cxg*K, P*n)
            y_groups[chunk] = _columns_to_batch(product, positions, n, batch_last)  # (n, G, Cyg, P)
    if bias is not None:
        y += bias.reshape((channels_out,) + (1,) * d)                         # (N, Cy, *O) + (Cy, 1..)
    return y


def conv_transpose_forward(y, weight, bias, stride, padding, dilation, groups):
    """x (N, Cx, *S) = conv_transpose(y (N, Cy, *O), weight (Cy, Cxg, *K)) + bias (Cx,), S = F - before - after."""
    module = xp(y)
    d = weight.ndim - 2
    kernel = weight.shape[2:]
    batch, channels_out = y.shape[:2]
    windows = y.shape[2:]
    positions = math.prod(windows)
    channels_in = weight.shape[1] * groups
    weight_matrix_t = weight.reshape(groups, channels_out // groups, -1).transpose(0, 2, 1)  # (G, Cxg*K, Cyg)
    if _is_pointwise(kernel, stride, padding):
        x = module.matmul(weight_matrix_t,                                        # (N, G, Cxg, P) =
                          y.reshape(batch, groups, channels_out // groups, -1))   # (G, Cxg, Cyg) @ (N, G, Cyg, P)
        x = x.reshape((batch, channels_in) + windows)                             # (N, Cx, *S)
    elif all(s == 1 for s in stride) and not _col2im_is_cheaper(y.shape, weight.shape, groups, dilation):
        # Unit stride: the transposed convolution is a convolution of y, padded by dilation*(K - 1)
        # minus the cut, with the kernel flipped and its two channel axes swapped (Dumoulin & Visin,
        # section 4.1). im2col + GEMM measured ~2x faster than col2im's strided adds for this step
        # when the channel counts are alike (the CIFAR layers).
        flipped = weight.reshape((groups, channels_out // groups, channels_in // groups) + tuple(kernel))
        flipped = flipped[(slice(None),) * 3 + (slice(None, None, -1),) * d]       # (G, Cyg, Cxg, *K) reversed in K
        flipped = module.ascontiguousarray(flipped.swapaxes(1, 2)).reshape(
            (channels_in, channels_out // groups) + tuple(kernel))                 # (Cx, Cyg, *K)
        pads = tuple((dl * (k - 1) - b, dl * (k - 1) - a) for k, dl, (b, a) in zip(kernel, dilation, padding))
        x = conv_forward(y, flipped, None, stride, pads, dilation, groups)         # (N, Cx, *S)
    else:
        full = transposed_full_size(windows, kernel, stride, dilation)
        x_full = module.zeros((batch, channels_in) + full, dtype=y.dtype)         # (N, Cx, *F)
        y_groups = y.reshape(batch, groups, channels_out // groups, positions)    # (N, G, Cyg, P)
        batch_last = _batch_last_columns(module, windows)
        for chunk in batch_chunks(batch, channels_in * math.prod(kernel) * positions * y.itemsize):
            n = chunk.stop - chunk.start
            y_t = _batch_to_columns(module, y_groups[chunk], batch_last)          # (G, Cyg, P*n) or (.., n*P)
            cols = workspace(module, "cols", (groups, weight_matrix_t.shape[1], positions * n), y.dtype)
            _matmul_per_group(module, weight_matrix_t, y_t, out=cols)             # (G, Cxg*K, P*n) = (G, Cxg*K, Cyg) @ (G, Cyg, P*n)
            col2im(cols, x_full[chunk], kernel, stride, dilation, groups, batch_last=batch_last)  # (n, Cx, *F) += cols
        x = pad_spatial(x_full, tuple((-b, -a) for b, a in padding))             # (N, Cx, *S): cut the padding
        if not x.flags.c_contiguous:
            x = module.ascontiguousarray(x)
    if bias is not None:
        x += bias.reshape((channels_in,) + (1,) * d)                             # (N, Cx, *S) + (Cx, 1..)
    return x


def conv_weight_grad_forward(x, y, kernel, stride, padding, dilation, groups):
    """w (Cy, Cxg, *K) = sum over batch and windows of y[n, o, p] * x_padded[n, c, p*stride + k*dilation]."""
    module = xp(x)
    batch, channels_in = x.shape[:2]
    channels_out = y.shape[1]
    windows = y.shape[2:]
    positions = math.prod(windows)
    y_groups = y.reshape(batch, groups, channels_out // groups, positions)         # (N, G, Cyg, P)
    if _is_pointwise(kernel, stride, padding):
        x_groups = x.reshape(batch, groups, channels_in // groups, positions)      # (N, G, Cxg, P)
        # (G, Cyg, Cxg) = sum_n (N, G, Cyg, P) @ (N, G, P, Cxg)
        options = dict(optimize=True) if module.__name__ == "numpy" else {}  # numpy: BLAS via tensordot
        w = module.einsum("ngop,ngcp->goc", y_groups, x_groups, **options)
    else:
        x_padded = pad_spatial(x, padding)                                         # (N, Cx, *Sp)
        # accumulated transposed, w^T (G, Cxg*K, Cyg): BLAS is several times faster with the long
        # P*n dimension as the inner one of a (Cxg*K, P*n) @ (P*n, Cyg) product than the other way round
        w_t = module.zeros((groups, channels_in // groups * math.prod(kernel), channels_out // groups), dtype=x.dtype)
        batch_last = _batch_last_columns(module, windows)
        for chunk in batch_chunks(batch, channels_in * math.prod(kernel) * positions * x.itemsize):
            n = chunk.stop - chunk.start
            cols = im2col(x_padded[chunk], kernel, stride, dilation, groups,       # (G, Cxg*K, P*n) or (.., n*P)
                          batch_last=batch_last)
            y_t = _batch_to_columns(module, y_groups[chunk], batch_last)              # (G, Cyg, P*n) or (.., n*P)
            # (G, Cxg*K, Cyg) += (G, Cxg*K, P*n) @ (G, P*n, Cyg)
            w_t += _matmul_per_group(module, cols, y_t.transpose(0, 2, 1))
        w = w_t.transpose(0, 2, 1)                                                  # (G, Cyg, Cxg*K)
    return module.ascontiguousarray(w).reshape((channels_out, channels_in // groups) + tuple(kernel))


# ---- primitives -------------------------------------------------------------------------------

class Conv(Primitive):
    """y = conv(x, weight) + bias; gradients: conv_transpose for x, conv_weight_grad for weight."""

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        ctx.geometry = (stride, padding, dilation, groups)
        ctx.spatial = x.shape[2:]
        ctx.save_for_backward(x, weight)
        return conv_forward(x, weight, bias, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.geometry
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            adjoint_padding = _padding_for_adjoint(ctx.spatial, weight.shape[2:], stride, padding, dilation)
            grad_x = ConvTranspose.apply(grad, weight, None, stride, adjoint_padding, dilation, groups)
        if ctx.needs_input_grad[1]:
            grad_weight = ConvWeightGrad.apply(x, grad, weight.shape[2:], stride, padding, dilation, groups)
        if ctx.needs_input_grad[2]:
            grad_bias = grad.sum(_channel_axes(grad.ndim))
        return grad_x, grad_weight, grad_bias


class ConvTranspose(Primitive):
    """x = conv_transpose(y, weight) + bias; gradients: conv for y, conv_weight_grad for weight."""

    @staticmethod
    def forward(ctx, y, weight, bias, stride, padding, dilation, groups):
        ctx.geometry = (stride, padding, dilation, groups)
        ctx.save_for_backward(y, weight)
        return conv_transpose_forward(y, weight, bias, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        y, weight = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.geometry
        grad_y = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_y = Conv.apply(grad, weight, None, stride, padding, dilation, groups)
        if ctx.needs_input_grad[1]:
            grad_weight = ConvWeightGrad.apply(grad, y, weight.shape[2:], stride, padding, dilation, groups)
        if ctx.needs_input_grad[2]:
            grad_bias = grad.sum(_channel_axes(grad.ndim))
        return grad_y, grad_weight, grad_bias


class ConvWeightGrad(Primitive):
    """w = conv_weight_grad(x, y): the correlation of a conv's input with its output (gradient).

    Gradients: conv_transpose(y, grad_w) for x, conv(x, grad_w) for y.
    """

    @staticmethod
    def forward(ctx, x, y, kernel, stride, padding, dilation, groups):
        ctx.geometry = (stride, padding, dilation, groups)
        ctx.spatial = x.shape[2:]
        ctx.save_for_backward(x, y)
        return conv_weight_grad_forward(x, y, tuple(kernel), stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.geometry
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            adjoint_padding = _padding_for_adjoint(ctx.spatial, grad.shape[2:], stride, padding, dilation)
            grad_x = ConvTranspose.apply(y, grad, None, stride, adjoint_padding, dilation, groups)
        if ctx.needs_input_grad[1]:
            grad_y = Conv.apply(x, grad, None, stride, padding, dilation, groups)
        return grad_x, grad_y


# ---- internal functional forms (validated arguments; the public API is minigrad.nn.functional) ----

def conv(x, weight, bias=None, stride=None, padding=None, dilation=None, groups: int = 1):
    """Convolution of a batched x (N, Cx, *S) with weight (Cy, Cx/groups, *K); ``padding`` as ((before, after), ..).

    y[n, o, p] = bias[o] + sum_{c, k} x_padded[n, c, p*stride + k*dilation] weight[o, c, k]
    (c over the channels of o's group). Arguments are assumed valid (see nn.functional.conv2d).

    >>> import minigrad
    >>> conv(minigrad.ones(1, 1, 4), minigrad.ones(1, 1, 2), padding=((1, 0),)).tolist()
    [[[1.0, 2.0, 2.0, 2.0]]]
    """
    d = weight.ndim - 2
    stride = stride or (1,) * d
    padding = padding or ((0, 0),) * d
    dilation = dilation or (1,) * d
    return Conv.apply(x, weight, bias, tuple(stride), tuple(padding), tuple(dilation), int(groups))


def conv_transpose(y, weight, bias=None, stride=None, padding=None, dilation=None, groups: int = 1):
    """Transposed convolution of y (N, Cy, *O) with weight (Cy, Cx/groups, *K): the adjoint of ``conv``.

    The output has spatial size (O - 1)*stride + dilation*(K - 1) + 1 - before - after per dim.

    >>> import minigrad
    >>> conv_transpose(minigrad.ones(1, 1, 3), minigrad.ones(1, 1, 2)).tolist()
    [[[1.0, 2.0, 2.0, 1.0]]]
    """
    d = weight.ndim - 2
    stride = stride or (1,) * d
    padding = padding or ((0, 0),) * d
    dilation = dilation or (1,) * d
    return ConvTranspose.apply(y, weight, bias, tuple(stride), tuple(padding), tuple(dilation), int(groups))


def conv_weight_grad(x, y, kernel, stride=None, padding=None, dilation=None, groups: int = 1):
    """The weight gradient of ``conv``: w[o, c, k] = sum_{n, p} y[n, o, p] x_padded[n, c, p*stride + k*dilation]."""
    d = len(kernel)
    stride = stride or (1,) * d
    padding = padding or ((0, 0),) * d
    dilation = dilation or (1,) * d
    return ConvWeightGrad.apply(x, y, tuple(kernel), tuple(stride), tuple(padding), tuple(dilation), int(groups))
