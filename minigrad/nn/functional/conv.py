"""conv1d/2d/3d and conv_transpose1d/2d/3d with torch.nn.functional's signatures and error messages.

Each function checks its arguments once, in the order and with the words torch uses (its
``Convolution.cpp``: ``check_shape_forward`` and friends), turns ints into per-dim tuples, resolves
``padding='same'`` (an odd total goes one more to the right / bottom, as torch pads it), builds the
call's ``WindowGeometry`` and calls one of the N-d primitives in ``minigrad.ops.conv``. Unbatched
input (C, *spatial) is given a batch dim of 1 and has it removed again. The output-size and padding
formulas are those of ``minigrad.kernels.geometry``.
"""
from __future__ import annotations

import operator

from ...autograd.tensor import Tensor
from ...dtypes import torch_scalar_name
from ...kernels.geometry import (WindowGeometry, conv_geometry, conv_transpose_output_size, dilated_kernel_size,
                                 same_padding)
from ...ops.conv import Conv, ConvTranspose

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]

_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}
_AXIS_NAMES = {2: ("height", "width"), 3: ("depth", "height", "width")}


# ---- argument normalisation and checks --------------------------------------------------------

def _int_tuple(function: str, name: str, value, dims: int) -> tuple:
    """An int becomes ``dims`` copies; a sequence is kept as ints (its length is checked later, as torch)."""
    try:
        if isinstance(value, (tuple, list)):
            return tuple(operator.index(v) for v in value)
        return (operator.index(value),) * dims
    except TypeError:
        raise TypeError(f"{function}(): argument '{name}' must be tuple of ints, not "
                        f"{type(value).__name__}") from None


def _expand(name: str, values: tuple, dims: int) -> tuple:
    """torch's expand_param_if_needed: one value serves every dim; otherwise exactly ``dims`` values."""
    if len(values) == 1:
        return values * dims
    if len(values) != dims:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dims} values to match "
                           f"the convolution dimensions, but got {name}={list(values)}")
    return values


def _check_rank(function: str, input: Tensor, dims: int):
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {function}, "
                           f"but got input of size: {list(input.shape)}")


def _check_stride_dilation_rank_groups(input, weight, stride, dilation, groups) -> None:
    """The checks convolutions and transposed convolutions share, in torch's order (after padding's)."""
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(dl < 0 for dl in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if weight.ndim != input.ndim:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
                           f"{list(weight.shape)}, but got {input.ndim}-dimensional input of size "
                           f"{list(input.shape)} instead")
    _check_groups_and_weight(weight, groups)


def _check_groups_and_weight(weight: Tensor, groups: int):
    channels = weight.shape[0]
    if channels < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    if channels % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{list(weight.shape)}] instead")


def _check_dtypes(input: Tensor, weight: Tensor, bias):
    if weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {torch_scalar_name(input.dtype)} but found "
                           f"{torch_scalar_name(weight.dtype)}")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_C_NAMES.get(input.dtype.name, input.dtype.name)}) and bias type "
                           f"({_C_NAMES.get(bias.dtype.name, bias.dtype.name)}) should be the same")


def _check_kernel_nonempty(kernel: tuple) -> None:
    """torch's check (ATen's ConvUtils.h): a kernel with a size-0 spatial dim computes nothing sensible
    (torch builds ``nn.Conv2d(3, 8, 0)`` and refuses it in forward; minigrad's constructor refuses it)."""
    kernel = tuple(kernel)
    if any(kk <= 0 for kk in kernel):
        if len(kernel) == 3:
            raise RuntimeError(f"kernel size should be greater than zero, but got: {kernel[0]} x {kernel[1]} x "
                               f"{kernel[2]} (TxHxW)")
        height, width = (1,) + kernel if len(kernel) == 1 else kernel
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {height} "
                           f"kernel_width: {width}")


def _sizes(values) -> str:
    return " x ".join(str(v) for v in values)


# ---- convolution ------------------------------------------------------------------------------

def _conv(function: str, dims: int, input, weight, bias, stride, padding, dilation, groups):
    _check_rank(function, input, dims)
    batched = input.ndim == dims + 2
    if not batched:
        input = input.unsqueeze(0)
    stride = _int_tuple(function, "stride", stride, dims)
    dilation = _int_tuple(function, "dilation", dilation, dims)
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
    else:
        padding = _int_tuple(function, "padding", padding, dims)
    groups = operator.index(groups)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    k = weight.ndim - 2  # torch takes the number of spatial dims from the weight
    stride = _expand("stride", stride, k)
    if not isinstance(padding, str):
        padding = _expand("padding", padding, k)
    dilation = _expand("dilation", dilation, k)
    if not isinstance(padding, str) and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    _check_stride_dilation_rank_groups(input, weight, stride, dilation, groups)
    _check_kernel_nonempty(weight.shape[2:])
    if input.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(input.shape)} to have {weight.shape[1] * groups} channels, but got "
                           f"{input.shape[1]} channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != weight.shape[0]):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{weight.shape[0]} elements, but got bias of size {list(bias.shape)} instead")
    kernel = tuple(weight.shape[2:])
    if padding == "valid":
        pairs = ((0, 0),) * k
    elif padding == "same":
        pairs = same_padding(kernel, dilation)
    else:
        pairs = tuple((p, p) for p in padding)
    padded = tuple(s + b + a for s, (b, a) in zip(input.shape[2:], pairs))
    dilated_kernel = tuple(dilated_kernel_size(kk, dl) for kk, dl in zip(kernel, dilation))
    if any(p < dk for p, dk in zip(padded, dilated_kernel)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_sizes(padded)}). Kernel size: "
                           f"({_sizes(dilated_kernel)}). Kernel size can't be greater than actual input size")
    _check_dtypes(input, weight, bias)
    if any(dl == 0 for dl in dilation):
        shown = (1,) + dilation if k == 1 else dilation  # torch runs conv1d as a 2-d convolution here
        raise RuntimeError(f"dilation should be greater than zero, but got {list(shown)}")
    out = Conv.apply(input, weight, bias, conv_geometry(input.shape[2:], kernel, stride, pairs, dilation, groups))
    return out if batched else out.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution of input (N, Cin, L) with weight (Cout, Cin/groups, K); see ``conv2d``.

    >>> import minigrad
    >>> conv1d(minigrad.ones(1, 1, 5), minigrad.ones(1, 1, 3), padding='same').tolist()
    [[[2.0, 3.0, 3.0, 3.0, 2.0]]]
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation, as torch) of input (N, Cin, H, W) with weight (Cout, Cin/groups, kH, kW).

    out[n, o, i, j] = bias[o] + sum_{c, p, q} input_padded[n, c, i*sH + p*dH, j*sW + q*dW] * weight[o, c, p, q]
    with c over the input channels of o's group; ``padding`` is an int, a tuple, 'valid' or 'same'.

    >>> import minigrad
    >>> conv2d(minigrad.ones(1, 1, 3, 3), minigrad.ones(2, 1, 2, 2)).shape
    minigrad.Size([1, 2, 2, 2])
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution of input (N, Cin, D, H, W) with weight (Cout, Cin/groups, kD, kH, kW); see ``conv2d``.

    >>> import minigrad
    >>> conv3d(minigrad.ones(1, 2, 3, 3, 3), minigrad.ones(4, 2, 3, 3, 3)).shape
    minigrad.Size([1, 4, 1, 1, 1])
    """
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


# ---- transposed convolution -------------------------------------------------------------------

def _axis_message(prefix: str, names: tuple, values: tuple, separator: str) -> str:
    return separator.join(f"{prefix}_{name}: {v}" for name, v in zip(names, values))


def _as_2d_at_least(values: tuple, fill: int) -> tuple:
    """torch reports 1-d transposed convolutions as 2-d ones with a leading dim of size ``fill``."""
    return (fill,) + values if len(values) == 1 else values


def _conv_transpose(function: str, dims: int, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    _check_rank(function, input, dims)
    batched = input.ndim == dims + 2
    if not batched:
        input = input.unsqueeze(0)
    if isinstance(padding, str):
        raise TypeError(f"{function}(): argument 'padding' must be tuple of ints, not str")
    stride = _int_tuple(function, "stride", stride, dims)
    padding = _int_tuple(function, "padding", padding, dims)
    output_padding = _int_tuple(function, "output_padding", output_padding, dims)
    dilation = _int_tuple(function, "dilation", dilation, dims)
    groups = operator.index(groups)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    k = weight.ndim - 2
    stride = _expand("stride", stride, k)
    padding = _expand("padding", padding, k)
    output_padding = _expand("output_padding", output_padding, k)
    dilation = _expand("dilation", dilation, k)
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    _check_stride_dilation_rank_groups(input, weight, stride, dilation, groups)
    _check_kernel_nonempty(weight.shape[2:])
    if input.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
                           f"{list(input.shape)} to have {weight.shape[0]} channels, but got "
                           f"{input.shape[1]} channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != weight.shape[1] * groups):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[1] * groups} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    _check_dtypes(input, weight, bias)
    names = _AXIS_NAMES[max(k, 2)]
    if any(dl == 0 for dl in dilation):
        raise RuntimeError("dilation should be greater than zero, but got "
                           + _axis_message("dilation", names, _as_2d_at_least(dilation, 1), ", "))
    if any(op >= s and op >= dl for op, s, dl in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join((_axis_message("output_padding", names, _as_2d_at_least(output_padding, 0), " "),
                        _axis_message("stride", names, _as_2d_at_least(stride, 1), " "),
                        _axis_message("dilation", names, _as_2d_at_least(dilation, 1), " "))))
    kernel = tuple(weight.shape[2:])
    spatial = tuple(input.shape[2:])
    out_size = tuple(conv_transpose_output_size(s, kk, st, p, op, dl)
                     for s, st, p, dl, kk, op in zip(spatial, stride, padding, dilation, kernel, output_padding))
    if any(o < 1 for o in out_size):
        raise RuntimeError(f"Given input size per channel: ({_sizes(_as_2d_at_least(spatial, 1))}). Calculated "
                           f"output size per channel: ({_sizes(_as_2d_at_least(out_size, 1))}). "
                           f"Output size is too small")
    # the geometry of the adjoint convolution out_size -> spatial: `padding` zeros before (and
    # `padding - output_padding` after)
    geometry = WindowGeometry(out_size, kernel, stride, padding, dilation, output_size=spatial, groups=groups)
    out = ConvTranspose.apply(input, weight, bias, geometry)
    return out if batched else out.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-d transposed convolution of input (N, Cin, L) with weight (Cin, Cout/groups, K); see ``conv_transpose2d``.

    >>> import minigrad
    >>> conv_transpose1d(minigrad.ones(1, 1, 3), minigrad.ones(1, 1, 2)).tolist()
    [[[1.0, 2.0, 2.0, 1.0]]]
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-d transposed convolution (the gradient of conv2d with respect to its input), weight (Cin, Cout/groups, kH, kW).

    Each input pixel scatters ``input[n, c, i, j] * weight[c, o]`` onto the output window at
    (i*sH + p*dH - padH, j*sW + q*dW - padW); output size per dim as
    ``minigrad.kernels.geometry.conv_transpose_output_size``.

    >>> import minigrad
    >>> conv_transpose2d(minigrad.ones(1, 4, 5, 5), minigrad.ones(4, 2, 4, 4), stride=2, padding=1).shape
    minigrad.Size([1, 2, 10, 10])
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-d transposed convolution, weight (Cin, Cout/groups, kD, kH, kW); see ``conv_transpose2d``.

    >>> import minigrad
    >>> conv_transpose3d(minigrad.ones(1, 2, 2, 2, 2), minigrad.ones(2, 3, 3, 3, 3)).shape
    minigrad.Size([1, 3, 4, 4, 4])
    """
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)
