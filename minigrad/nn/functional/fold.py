"""unfold (im2col) and fold (col2im) with torch.nn.functional's signatures and error messages.

The checks follow ATen's ``im2col_shape_check`` / ``col2im_shape_check``
(``aten/src/ATen/native/im2col_shape_check.h``) in their order; the number of blocks per dim is
``minigrad.kernels.geometry``'s convolution rule. Unbatched input (C, H, W) for unfold, (C*K, L)
for fold, is given a batch dim of 1 and has it removed again.
"""
from __future__ import annotations

import math
import operator

from ...kernels.geometry import WindowGeometry, conv_output_size
from ...ops.fold import Fold, Unfold

__all__ = ["unfold", "fold"]


def _pair(function: str, name: str, value) -> tuple:
    """torch's ``_pair`` followed by its int-list argument parsing."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    try:
        values = tuple(operator.index(v) for v in values)
    except TypeError:
        bad = next(v for v in values if not hasattr(v, "__index__"))
        raise TypeError(f"{function}(): argument '{name}' must be tuple of ints, but found element of type "
                        f"{type(bad).__name__} at pos 0") from None
    if len(values) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(values)}")
    return values


def _hw(values) -> str:
    return f"({values[0]}, {values[1]})"


def _check_common(kernel, dilation, padding, stride, order):
    checks = {
        "kernel": (all(k > 0 for k in kernel), "kernel size should be greater than zero, but got "
                   f"kernel_height: {kernel[0]} kernel_width: {kernel[1]}"),
        "dilation": (all(d > 0 for d in dilation), "dilation should be greater than zero, but got "
                     f"dilation_height: {dilation[0]} dilation_width: {dilation[1]}"),
        "padding": (all(p >= 0 for p in padding), "padding should be non-negative, but got "
                    f"pad_height: {padding[0]} pad_width: {padding[1]}"),
        "stride": (all(s > 0 for s in stride), "stride should be greater than zero, but got "
                   f"stride_height: {stride[0]} stride_width: {stride[1]}"),
    }
    for name in order:
        ok, message = checks[name]
        if not ok:
            raise RuntimeError(message)


def _check_float(function: str, input):
    if not input.dtype.is_floating_point:
        from ...dtypes import torch_scalar_name
        raise NotImplementedError(f'"{function}_out_cpu" not implemented for '
                                  f"'{torch_scalar_name(input.dtype)}'")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: (N, C, H, W) -> (N, C*prod(kernel_size), L), L the number of blocks,
    L = prod_d ((S_d + 2*padding_d - dilation_d*(K_d - 1) - 1) // stride_d + 1). Its adjoint is ``fold``.

    >>> import minigrad
    >>> unfold(minigrad.arange(16.).reshape(1, 1, 4, 4), 2, stride=2)[0, :, 0].tolist()
    [0.0, 1.0, 4.0, 5.0]
    """
    kernel = _pair("im2col", "kernel_size", kernel_size)
    dilation = _pair("im2col", "dilation", dilation)
    padding = _pair("im2col", "padding", padding)
    stride = _pair("im2col", "stride", stride)
    _check_common(kernel, dilation, padding, stride, ("kernel", "dilation", "padding", "stride"))
    shape = tuple(input.shape)
    if not ((input.ndim == 3 and all(shape)) or (input.ndim == 4 and all(shape[1:]))):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    spatial = shape[-2:]
    blocks = tuple(conv_output_size(s, k, st, p, dl) for s, k, st, p, dl in zip(spatial, kernel, stride, padding,
                                                                                  dilation))
    if any(b < 1 for b in blocks):
        raise RuntimeError(f"Given input with spatial size {_hw(spatial)}, kernel_size={_hw(kernel)}, "
                           f"dilation={_hw(dilation)}, padding={_hw(padding)}, calculated shape of the array of "
                           f"sliding blocks as {_hw(blocks)}, but its components must be at least one.")
    _check_float("im2col", input)
    batched = input.ndim == 4
    if not batched:
        input = input.unsqueeze(0)
    geometry = WindowGeometry(spatial, kernel, stride, padding, dilation, output_size=blocks)
    out = Unfold.apply(input, geometry)
    return out if batched else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks into an image, summing overlaps: (N, C*prod(kernel_size), L) ->
    (N, C, *output_size). The adjoint of ``unfold`` (``fold(unfold(x))`` is x times each position's
    number of windows).

    >>> import minigrad
    >>> fold(minigrad.ones(1, 4, 9), (4, 4), 2)[0, 0].tolist()[1]
    [2.0, 4.0, 4.0, 2.0]
    """
    output = _pair("col2im", "output_size", output_size)
    kernel = _pair("col2im", "kernel_size", kernel_size)
    dilation = _pair("col2im", "dilation", dilation)
    padding = _pair("col2im", "padding", padding)
    stride = _pair("col2im", "stride", stride)
    _check_common(kernel, dilation, padding, stride, ("kernel", "stride", "dilation", "padding"))
    shape = tuple(input.shape)
    if not ((input.ndim == 2 and all(shape)) or (input.ndim == 3 and all(shape[1:]))):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    planes, length = shape[-2:]
    if planes % math.prod(kernel):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={planes} and kernel_size={_hw(kernel)}.")
    blocks = tuple(conv_output_size(s, k, st, p, dl) for s, k, st, p, dl in zip(output, kernel, stride, padding,
                                                                                  dilation))
    described = (f"Given output_size={_hw(output)}, kernel_size={_hw(kernel)}, dilation={_hw(dilation)}, "
                 f"padding={_hw(padding)}, stride={_hw(stride)}, ")
    if length != blocks[0] * blocks[1]:
        raise RuntimeError(described + "expected size of input's dimension 2 to match the calculated number of "
                           f"sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
                           f"input.size(2)={length}.")
    if any(b < 1 for b in blocks):
        raise RuntimeError(described + f"calculated shape of the array of sliding blocks as {_hw(blocks)}, which "
                           "is too small (non-positive)")
    if any(o < 1 for o in output):
        raise RuntimeError(f"Expected output spatial size to be positive, but got: output_size={_hw(output)}.")
    _check_float("col2im", input)
    batched = input.ndim == 3
    if not batched:
        input = input.unsqueeze(0)
    geometry = WindowGeometry(output, kernel, stride, padding, dilation, output_size=blocks)
    out = Fold.apply(input, geometry)
    return out if batched else out.squeeze(0)
