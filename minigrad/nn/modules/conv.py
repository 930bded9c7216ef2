"""Convolution layers with torch.nn's names, constructor arguments, attributes, repr and state_dict keys:
``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d``.

The layer owns ``weight`` and ``bias`` and checks its constructor arguments with torch's messages;
the arithmetic is ``minigrad.nn.functional``'s. Weights:

    ConvNd:           weight (out_channels, in_channels / groups, *kernel_size)
    ConvTransposeNd:  weight (in_channels, out_channels / groups, *kernel_size)

Default initialisation is torch's: weight ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in),
1/sqrt(fan_in)) with fan_in = weight.shape[1] * prod(kernel_size), and bias ~ the same
U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

``padding_mode`` other than 'zeros' pads the input with ``F.pad`` (reflect / replicate / circular)
before a convolution with no padding, as torch does; transposed convolutions accept only 'zeros'.
"""
from __future__ import annotations

import math

from ...autograd.creation import empty
from ...kernels.geometry import conv_transpose_output_size, same_padding
from .. import functional as F
from ..functional.conv import _check_kernel_nonempty
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_PADDING_STRINGS = ("valid", "same")


def _ntuple(value, n: int) -> tuple:
    """torch's _single/_pair/_triple: an int becomes n copies, an iterable a tuple as it is."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,) * n


def _set_repr(values) -> str:
    return "{" + ", ".join(repr(v) for v in values) + "}"


class _ConvNd(Module):
    """What every convolution layer shares: argument checks, parameters, initialisation, repr."""

    _dims = 0
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        n = self._dims
        kernel_size, stride, dilation = _ntuple(kernel_size, n), _ntuple(stride, n), _ntuple(dilation, n)
        output_padding = _ntuple(output_padding, n)
        _check_kernel_nonempty(kernel_size)
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in _PADDING_STRINGS:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {_set_repr(_PADDING_STRINGS)}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, n)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_set_repr(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.transposed, self.output_padding, self.groups = transposed, output_padding, groups
        self.padding_mode = padding_mode
        # F.pad's amounts, last dim first: 'same' puts an odd total's extra zero after, as F.conv does
        if isinstance(padding, str):
            amounts = [(0, 0)] * n if padding == "valid" else list(same_padding(kernel_size, dilation))
        else:
            amounts = [(p, p) for p in padding]
        self._reversed_padding_repeated_twice = [a for pair in reversed(amounts) for a in pair]
        if transposed:
            shape = (in_channels, out_channels // groups) + kernel_size
        else:
            shape = (out_channels, in_channels // groups) + kernel_size
        self.weight = Parameter(empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)


class _Conv(_ConvNd):
    _function = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups,
                         bias, padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        convolve = type(self)._function
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return convolve(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return convolve(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-d convolution over (N, C_in, L) or (C_in, L); see ``Conv2d``.

    >>> Conv1d(16, 33, 3, stride=2)(minigrad.randn(20, 16, 50)).shape
    minigrad.Size([20, 33, 24])
    """

    _dims = 1
    _function = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-d convolution over (N, C_in, H, W) or (C_in, H, W), weight (C_out, C_in / groups, kH, kW).

    H_out and W_out follow ``minigrad.kernels.geometry.conv_output_size`` (torch's formula).

    >>> Conv2d(3, 16, 3, padding=1)
    Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    >>> Conv2d(3, 16, 3, padding=1)(minigrad.randn(8, 3, 32, 32)).shape
    minigrad.Size([8, 16, 32, 32])
    """

    _dims = 2
    _function = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-d convolution over (N, C_in, D, H, W) or (C_in, D, H, W); see ``Conv2d``.

    >>> Conv3d(2, 4, 3, padding=1)(minigrad.randn(1, 2, 5, 5, 5)).shape
    minigrad.Size([1, 4, 5, 5, 5])
    """

    _dims = 3
    _function = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    _function = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None,
                 dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding,
                         groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size, stride, padding, kernel_size, num_spatial_dims: int,
                        dilation=None) -> list:
        """The output_padding that gives ``output_size`` (torch's _ConvTransposeNd._output_padding)."""
        if output_size is None:
            return list(_ntuple(self.output_padding, num_spatial_dims))
        has_batch_dim = input.ndim == num_spatial_dims + 2
        num_non_spatial_dims = 2 if has_batch_dim else 1
        if len(output_size) == num_non_spatial_dims + num_spatial_dims:
            output_size = output_size[num_non_spatial_dims:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(f"ConvTranspose{num_spatial_dims}D: for {input.ndim}D input, output_size must have "
                             f"{num_spatial_dims} or {num_non_spatial_dims + num_spatial_dims} elements "
                             f"(got {len(output_size)})")
        min_sizes, max_sizes = [], []
        for d in range(num_spatial_dims):
            dim_size = conv_transpose_output_size(input.shape[d + num_non_spatial_dims], kernel_size[d], stride[d],
                                                  padding[d], 0, dilation[d] if dilation is not None else 1)
            min_sizes.append(dim_size)
            max_sizes.append(min_sizes[d] + stride[d] - 1)
        for size, low, high in zip(output_size, min_sizes, max_sizes):
            if size < low or size > high:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from "
                                 f"{min_sizes} to {max_sizes} (for an input of minigrad.Size("
                                 f"{list(input.shape[2:])}))")
        return [output_size[d] - min_sizes[d] for d in range(num_spatial_dims)]

    def forward(self, input, output_size=None):
        if self.padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size,
                                              self._dims, self.dilation)
        return type(self)._function(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                    self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution over (N, C_in, L) or (C_in, L); see ``ConvTranspose2d``.

    >>> ConvTranspose1d(16, 33, 3, stride=2)(minigrad.randn(20, 16, 50)).shape
    minigrad.Size([20, 33, 101])
    """

    _dims = 1
    _function = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution (the gradient of Conv2d w.r.t. its input), weight (C_in, C_out / groups, kH, kW).

    H_out and W_out follow ``minigrad.kernels.geometry.conv_transpose_output_size``; ``forward(input,
    output_size)`` picks the output_padding that gives ``output_size``.

    >>> up = ConvTranspose2d(16, 8, 3, stride=2, padding=1)
    >>> up(minigrad.randn(1, 16, 6, 6), output_size=(12, 12)).shape
    minigrad.Size([1, 8, 12, 12])
    """

    _dims = 2
    _function = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution over (N, C_in, D, H, W) or (C_in, D, H, W); see ``ConvTranspose2d``.

    >>> ConvTranspose3d(2, 4, 2, stride=2)(minigrad.randn(1, 2, 3, 3, 3)).shape
    minigrad.Size([1, 4, 6, 6, 6])
    """

    _dims = 3
    _function = staticmethod(F.conv_transpose3d)
