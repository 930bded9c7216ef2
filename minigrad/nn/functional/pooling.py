"""Pooling with torch.nn.functional's names, signatures, checks and messages (torch 2.13).

Each function turns ints into tuples, runs PyTorch's argument checks in PyTorch's order with its
wording (the checks live in ATen: ``pooling_output_shape`` and ``pool2d_shape_check`` /
``pool3d_shape_check`` in ``aten/src/ATen/native/Pool.h``, ``check_max_pool1d``, the adaptive and
unpooling kernels), then calls one primitive of ``minigrad.ops.pool``. The primitives work for any
leading dims, so unbatched inputs need no reshape.

1d pooling goes, in PyTorch, through the 2d kernels on ``input.unsqueeze(-2)`` (except ``max_pool1d``
without indices); its errors are those of the 2d check on that shape, reproduced here the same way.
"""
from __future__ import annotations

from ...autograd.tensor import Tensor
from ...dtypes import torch_scalar_name
from ...kernels.geometry import WindowGeometry, conv_transpose_output_size, dilated_kernel_size, pooling_output_size
from ...ops.elementwise import relu, sign
from ...ops.pool import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, MaxPool, MaxUnpool

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "max_unpool1d", "max_unpool2d",
    "max_unpool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d",
    "lp_pool3d",
]

_WORDS = {1: "one", 2: "two", 3: "three"}


# ---- argument helpers -------------------------------------------------------------------------

def _as_list(value):
    """An int stays one value; a sequence becomes a list of ints."""
    if isinstance(value, (tuple, list)):
        return [int(v) for v in value]
    return [int(value)]


def _expand(values: list, n: int) -> tuple:
    return tuple(values * n) if len(values) == 1 else tuple(values)


def _c_div(a: int, b: int) -> int:
    """C++ integer division (truncates towards zero), as ATen's checks compute it."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _sizes(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _single_arg(fn: str, name: str, value):
    """PyTorch's argument parser for an IntArrayRef[1] argument."""
    values = _as_list(value)
    if len(values) != 1:
        raise RuntimeError(f"{fn}() argument '{name}' should contain one int (got {len(values)})")
    return values


def _check_rank_range(input: Tensor, fn: str, low: int = 2, high: int = 3):
    if not low <= input.ndim <= high:
        raise RuntimeError(f"Expected {low} to {high} dimensions, but got {input.ndim}-dimensional tensor for "
                           f"argument #1 'self' (while checking arguments for {fn})")


def _output_sizes(spatial, kernel, stride, padding, dilation, ceil_mode) -> tuple:
    """Pool.h's pooling_output_shape per dim, with its checks, in ATen's order (first dim first)."""
    out = []
    for s, k, st, p, dl in zip(spatial, kernel, stride, padding, dilation):
        if st == 0:
            raise RuntimeError("stride should not be zero")
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > _c_div(dilated_kernel_size(k, dl), 2):
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={dl}")
        out.append(pooling_output_size(s, k, st, p, dl, ceil_mode))
    return tuple(out)


def _pool2d_shape_check(shape, kernel, stride, padding, dilation, out):
    """Pool.h's pool2d_shape_check (kernel, stride, dilation, dims, padding, output size)."""
    (kh, kw), (dh, dw), (ph, pw), (dlh, dlw) = kernel, stride, padding, dilation
    if not (kw > 0 and kh > 0):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if not (dw > 0 and dh > 0):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {dh} dW: {dw}")
    if not (dlh > 0 and dlw > 0):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dlh} dilationW: {dlw}")
    ndim = len(shape)
    valid = shape[1] != 0 and shape[2] != 0
    if not ((ndim == 3 and shape[0] != 0 and valid) or (ndim == 4 and valid and shape[3] != 0)):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{_sizes(shape)}")
    if not (kw // 2 >= pw and kh // 2 >= ph):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {pw}, "
                           f"padH = {ph}, kW = {kw}, kH = {kh}")
    if not (out[1] >= 1 and out[0] >= 1):
        c, h, w = shape[-3:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out[0]}x{out[1]}). "
                           "Output size is too small")


def _pool3d_shape_check(shape, kernel, stride, padding, dilation, out, fn: str, check_input_size: bool):
    """Pool.h's pool3d_shape_check."""
    (kt, kh, kw), (dt, dh, dw), (pt, ph, pw), (dlt, dlh, dlw) = kernel, stride, padding, dilation
    if not (kt > 0 and kw > 0 and kh > 0):
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {kt} kH: {kh} kW: {kw}")
    if not (dt > 0 and dw > 0 and dh > 0):
        raise RuntimeError(f"stride should be greater than zero, but got dT: {dt} dH: {dh} dW: {dw}")
    if not (dlt > 0 and dlw > 0 and dlh > 0):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {dlt} dilationH: {dlh} "
                           f"dilationW: {dlw}")
    ndim = len(shape)
    for i in range(ndim):
        if ndim == 5 and i == 0:
            continue
        if shape[i] <= 0:
            raise RuntimeError(f"{fn}: Expected input's non-batch dimensions to have positive length, but input "
                               f"has a shape of {_sizes(shape)} and non-batch dimension {shape[i]} has length zero!")
    t, h, w = shape[-3:]
    if check_input_size and not (t >= kt and h >= kh and w >= kw):
        raise RuntimeError(f"input image (T: {t} H: {h} W: {w}) smaller than kernel size (kT: {kt} kH: {kh} kW: {kw})")
    if not (kt // 2 >= pt and kw // 2 >= pw and kh // 2 >= ph):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got kT: {kt} kW: {kw} "
                           f"kH: {kh} padT: {pt} padW: {pw} padH: {ph}")
    if not (out[0] >= 1 and out[2] >= 1 and out[1] >= 1):
        c = shape[-4]
        raise RuntimeError(f"Given input size: ({c}x{t}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}x{out[2]}). Output size is too small")


def _nd_args(fn: str, d: int, kernel_size, stride, padding, dilation, avg: bool):
    """Length checks of kernel_size / stride / padding / dilation for the 2d and 3d functions."""
    word = _WORDS[d]
    either = "either " if (d == 2 or not avg) else ""
    kernel = _as_list(kernel_size)
    if len(kernel) not in (1, d):
        raise RuntimeError(f"{fn}: kernel_size must {either}be a single int, or a tuple of {word} ints")
    strides = [] if stride is None else _as_list(stride)
    if len(strides) not in (0, 1, d):
        raise RuntimeError(f"{fn}: stride must {either}be omitted, a single int, or a tuple of {word} ints")
    pads = _as_list(padding)
    if len(pads) not in (1, d):
        raise RuntimeError(f"{fn}: padding must {either}be a single int, or a tuple of {word} ints")
    dils = _as_list(dilation)
    if len(dils) not in (1, d):
        raise RuntimeError(f"{fn}: dilation must be either a single int, or a tuple of {word} ints")
    kernel = _expand(kernel, d)
    return kernel, (_expand(strides, d) if strides else kernel), _expand(pads, d), _expand(dils, d)


def _dim_out_of_range(ndim: int, dim: int):
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    return IndexError(f"Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})")


def _check_2d(shape, kernel, stride, padding, dilation, ceil_mode, max_pool: bool):
    """max_pool2d_with_indices / avg_pool2d shape rules on an input of ``shape``; returns (geometry)."""
    out = _output_sizes(shape[-2:], kernel, stride, padding, dilation, ceil_mode)
    _pool2d_shape_check(shape, kernel, stride, padding, dilation, out)
    return WindowGeometry(shape[-2:], kernel, stride, padding, dilation, output_size=out)


# ---- max pooling ------------------------------------------------------------------------------

def _max_pool2d_geometry(input, kernel_size, stride, padding, dilation, ceil_mode):
    kernel, stride, padding, dilation = _nd_args("max_pool2d", 2, kernel_size, stride, padding, dilation, False)
    if input.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    return _check_2d(input.shape, kernel, stride, padding, dilation, ceil_mode, True)


def _max_pool3d_geometry(input, kernel_size, stride, padding, dilation, ceil_mode):
    kernel, stride, padding, dilation = _nd_args("max_pool3d", 3, kernel_size, stride, padding, dilation, False)
    if input.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    out = _output_sizes(input.shape[-3:], kernel, stride, padding, dilation, ceil_mode)
    _pool3d_shape_check(input.shape, kernel, stride, padding, dilation, out,
                        "max_pool3d_with_indices_out_cpu_template()", False)
    return WindowGeometry(input.shape[-3:], kernel, stride, padding, dilation, output_size=out)


def _max_pool1d_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    if return_indices:
        # torch.max_pool1d_with_indices: max_pool2d_with_indices on input.unsqueeze(-2)
        kernel = _single_arg("max_pool1d", "kernel_size", kernel_size)
        strides = [] if stride is None else _single_arg("max_pool1d", "stride", stride)
        pads = _single_arg("max_pool1d", "padding", padding)
        dils = _single_arg("max_pool1d", "dilation", dilation)
        _check_rank_range(input, "max_pool1d")
        shape = input.shape[:-1] + (1,) + input.shape[-1:]
        geometry = _check_2d(shape, (1, kernel[0]), (1, (strides or kernel)[0]), (0, pads[0]), (1, dils[0]),
                             ceil_mode, True)
        return WindowGeometry(input.shape[-1:], geometry.kernel[1:], geometry.stride[1:], geometry.padding[1:],
                            geometry.dilation[1:], output_size=geometry.output_size[1:])
    # ATen's check_max_pool1d
    shape = input.shape
    if not ((input.ndim == 2 and shape[0] != 0 and shape[1] != 0)
            or (input.ndim == 3 and shape[1] != 0 and shape[2] != 0)):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{_sizes(shape)}")
    kernel = _as_list(kernel_size)
    if len(kernel) != 1:
        raise RuntimeError("max_pool1d() kernel_size must be an int, list of ints or tuple of ints of size 1 "
                           f"but got size {len(kernel)}")
    strides = [] if stride is None else _as_list(stride)
    if len(strides) not in (0, 1):
        raise RuntimeError("max_pool1d() stride must be None, an int, list of ints, or tuple of ints of size 1 "
                           f"but got size {len(strides)}")
    pads = _as_list(padding)
    if len(pads) != 1:
        raise RuntimeError("max_pool1d() padding must be an int, list of ints, or tuple of ints of size 1 "
                           f"but got size {len(pads)}")
    dils = _as_list(dilation)
    if len(dils) != 1:
        raise RuntimeError("max_pool1d() dilation must be an int, list of ints or tuple of ints of size 1 "
                           f"but got size {len(dils)}")
    k, s, p, dl = kernel[0], (strides or kernel)[0], pads[0], dils[0]
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} "
                           f"and kernel_size={k}")
    if dl <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {dl}")
    out = pooling_output_size(shape[-1], k, s, p, dl, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    return WindowGeometry(shape[-1:], (k,), (s,), (p,), (dl,), output_size=(out,))


def _max_pool(input, geometry, return_indices):
    if input.dtype.name == "bool":
        raise RuntimeError("\"max_pool\" not implemented for 'Bool'")
    return MaxPool.apply(input, geometry, bool(return_indices))


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over windows along the last dim: (N, C, L) or (C, L) -> (.., L_out), L_out as PyTorch's Pool.h.

    >>> max_pool1d(minigrad.tensor([[[1., 3., 2., 5.]]]), 2)   # [[[3., 5.]]]
    """
    geometry = _max_pool1d_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    return _max_pool(input, geometry, return_indices)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over each kh x kw window (padding acts as -inf): (N, C, H, W) or (C, H, W) -> (.., H_out, W_out);
    with ``return_indices`` also the flat index h*W + w of each maximum.

    >>> max_pool2d(minigrad.arange(16.).reshape(1, 1, 4, 4), 2)   # [[[[5., 7.], [13., 15.]]]]
    """
    geometry = _max_pool2d_geometry(input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool(input, geometry, return_indices)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over each kt x kh x kw window: (N, C, D, H, W) or (C, D, H, W); indices d*H*W + h*W + w."""
    geometry = _max_pool3d_geometry(input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool(input, geometry, return_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---- average pooling --------------------------------------------------------------------------

def _check_float(input: Tensor, fn: str):
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{fn}\" is implemented for floating point inputs only in minigrad, "
                                  f"got {input.dtype}")


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True):
    """Mean over windows along the last dim; the divisor counts the padding when ``count_include_pad``
    (never the positions ceil_mode adds past it).

    >>> avg_pool1d(minigrad.tensor([[[1., 2., 3., 4.]]]), 2)   # [[[1.5, 3.5]]]
    """
    kernel = _single_arg("avg_pool1d", "kernel_size", kernel_size)
    strides = [] if stride is None else _single_arg("avg_pool1d", "stride", stride)
    pads = _single_arg("avg_pool1d", "padding", padding)
    _check_rank_range(input, "avg_pool1d")
    shape = input.shape[:-1] + (1,) + input.shape[-1:]   # torch runs avg_pool2d on input.unsqueeze(-2)
    geometry = _check_2d(shape, (1, kernel[0]), (1, (strides or kernel)[0]), (0, pads[0]), (1, 1), ceil_mode, False)
    _check_float(input, "avg_pool1d")
    geometry = WindowGeometry(input.shape[-1:], geometry.kernel[1:], geometry.stride[1:], geometry.padding[1:],
                            (1,), output_size=geometry.output_size[1:])
    return AvgPool.apply(input, geometry, bool(count_include_pad), None)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None):
    """Mean over each kh x kw window: sum / divisor, the divisor being ``divisor_override``, else the
    window's size clipped to the padded input (``count_include_pad``) or to the input.

    >>> avg_pool2d(minigrad.ones(1, 1, 4, 4), 2)   # all ones, (1, 1, 2, 2)
    """
    kernel, stride, padding, _ = _nd_args("avg_pool2d", 2, kernel_size, stride, padding, 1, True)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.ndim < 3:
        raise _dim_out_of_range(input.ndim, -3)
    geometry = _check_2d(input.shape, kernel, stride, padding, (1, 1), ceil_mode, False)
    _check_float(input, "avg_pool2d")
    return AvgPool.apply(input, geometry, bool(count_include_pad),
                         None if divisor_override is None else int(divisor_override))


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None):
    """Mean over each kt x kh x kw window, with avg_pool2d's divisor rules."""
    kernel, stride, padding, _ = _nd_args("avg_pool3d", 3, kernel_size, stride, padding, 1, True)
    if input.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out = _output_sizes(input.shape[-3:], kernel, stride, padding, (1, 1, 1), ceil_mode)
    _pool3d_shape_check(input.shape, kernel, stride, padding, (1, 1, 1), out, "avg_pool3d()", True)
    _check_float(input, "avg_pool3d")
    geometry = WindowGeometry(input.shape[-3:], kernel, stride, padding, (1, 1, 1), output_size=out)
    return AvgPool.apply(input, geometry, bool(count_include_pad),
                         None if divisor_override is None else int(divisor_override))


# ---- Lp pooling -------------------------------------------------------------------------------

def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, d):
    kernel = _expand(_as_list(kernel_size), d)
    max_pool, avg_pool = {1: (max_pool1d, avg_pool1d), 2: (max_pool2d, avg_pool2d), 3: (max_pool3d, avg_pool3d)}[d]
    if norm_type == float("inf"):
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    size = 1
    for k in kernel:
        size *= k
    return (sign(out) * relu(out.abs())).mul(size).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """(sum over the window of x**p) ** (1/p), composed as PyTorch does: avg_pool of x**p times the
    window size, then the 1/p power (``sign(out) * relu(|out|)`` keeps the gradient 0 at a 0 sum)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """2d power-average pooling; see ``lp_pool1d``."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """3d power-average pooling; see ``lp_pool1d``."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)


# ---- adaptive pooling -------------------------------------------------------------------------

def _with_default(output_size, input: Tensor, d: int) -> list:
    """torch's _list_with_default: an int means that size on every dim, None keeps the input's size."""
    if isinstance(output_size, int):
        return [output_size] * d
    values = list(output_size) if isinstance(output_size, (tuple, list)) else [output_size]
    if len(values) != d or input.ndim < len(values):
        return [int(v) if v is not None else v for v in values]
    return [int(input.shape[input.ndim - d + i]) if v is None else int(v) for i, v in enumerate(values)]


def _check_nonempty(input: Tensor, fn: str, dims):
    for i in dims:
        if input.shape[i] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {_sizes(input.shape)} with dimension {i} being empty")


def _check_output_nonnegative(fn: str, sizes):
    if any(s < 0 for s in sizes):
        shown = ", ".join(str(s) for s in sizes[:2]) + ("," + str(sizes[2]) if len(sizes) == 3 else "")
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 but received {{{shown}}}")


def _adaptive_avg(input, sizes, d):
    _check_float(input, f"adaptive_avg_pool{d}d")
    return AdaptiveAvgPool.apply(input, tuple(sizes))


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Mean over L_out bins along the last dim, bin i = [floor(i*L/L_out), ceil((i+1)*L/L_out)).

    >>> adaptive_avg_pool1d(minigrad.tensor([[[1., 2., 3.]]]), 2)   # [[[1.5, 2.5]]]
    """
    sizes = _single_arg("adaptive_avg_pool1d", "output_size", output_size)
    _check_rank_range(input, "adaptive_avg_pool1d")
    _check_output_nonnegative("adaptive_avg_pool2d", [1] + sizes)
    _check_nonempty(input, "adaptive_avg_pool2d", (input.ndim - 1,))
    return _adaptive_avg(input, sizes, 1)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean over adaptive bins along the last two dims; None in output_size keeps that size."""
    sizes = _with_default(output_size, input, 2)
    if len(sizes) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    _check_output_nonnegative("adaptive_avg_pool2d", sizes)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {_sizes(input.shape)}")
    _check_nonempty(input, "adaptive_avg_pool2d", (input.ndim - 2, input.ndim - 1))
    return _adaptive_avg(input, sizes, 2)


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Mean over adaptive bins along the last three dims; None in output_size keeps that size."""
    sizes = _with_default(output_size, input, 3)
    if len(sizes) != 3:
        raise RuntimeError("adaptive_avg_pool3d: output_size must be 3")
    _check_output_nonnegative("adaptive_avg_pool3d", sizes)
    if input.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got {_sizes(input.shape)}")
    _check_nonempty(input, "adaptive_avg_pool3d", range(1, input.ndim))
    return _adaptive_avg(input, sizes, 3)


def _adaptive_max(input, sizes, d, return_indices):
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"adaptive_max_pool{d}d\" not implemented for '{input.dtype}'")
    if any(s < 0 for s in sizes):
        shape = list(input.shape[:input.ndim - d]) + list(sizes)
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: {_sizes(shape)}")
    values, indices = AdaptiveMaxPool.apply(input, tuple(sizes))
    return (values, indices) if return_indices else values


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max over L_out adaptive bins along the last dim (and flat indices with ``return_indices``)."""
    sizes = _single_arg("adaptive_max_pool1d", "output_size", output_size)
    _check_rank_range(input, "adaptive_max_pool1d")
    _check_nonempty(input, "adaptive_max_pool1d", range(1, input.ndim))
    return _adaptive_max(input, sizes, 1, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive bins along the last two dims; indices h*W + w; None keeps that size."""
    sizes = _with_default(output_size, input, 2)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {_sizes(input.shape)}")
    _check_nonempty(input, "adaptive_max_pool2d", range(1, input.ndim))
    if len(sizes) != 2:
        raise RuntimeError("adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    return _adaptive_max(input, sizes, 2, return_indices)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive bins along the last three dims; indices d*H*W + h*W + w."""
    sizes = _with_default(output_size, input, 3)
    if input.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: {_sizes(input.shape)}")
    _check_nonempty(input, "adaptive_max_pool3d", range(1, input.ndim))
    if len(sizes) != 3:
        raise RuntimeError("adaptive_max_pool3d(): internal error: output_size.size() must be 3")
    return _adaptive_max(input, sizes, 3, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool3d(input, output_size, True)


# ---- max-unpooling ----------------------------------------------------------------------------

def _unpool_output_size(input: Tensor, kernel, stride, padding, output_size) -> list:
    """torch.nn.functional._unpool_output_size: a transposed convolution's size, (in - 1)*s + k - 2p,
    unless output_size is given."""
    d = len(kernel)
    default = [conv_transpose_output_size(input.shape[input.ndim - d + i], kernel[i], stride[i], padding[i])
               for i in range(d)]
    if output_size is None:
        sizes = default
    else:
        sizes = list(output_size)
        if len(sizes) == d + 2:
            sizes = sizes[2:]
        if len(sizes) != d:
            raise ValueError(f"output_size should be a sequence containing {d} or {d + 2} elements, but it has "
                             f"a length of '{len(sizes)}'")
        for i in range(d):
            low, high = default[i] - stride[i], default[i] + stride[i]
            if not low < sizes[i] < high:
                raise ValueError(f'invalid output_size "{output_size}" (dim {i} must be between {low} and {high})')
    for i in range(d):
        if sizes[i] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{i}]={sizes[i]}")
    return [int(s) for s in sizes]


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, d):
    kernel = _expand(_as_list(kernel_size), d)
    stride = kernel if stride is None else _expand(_as_list(stride), d)
    padding = _expand(_as_list(padding), d)
    sizes = _unpool_output_size(input, kernel, stride, padding, output_size)
    # ATen's max_unpooling2d/3d checks; 1d runs max_unpool2d on input.unsqueeze(-1)
    shape_in = input.shape + (1,) if d == 1 else input.shape
    shape_idx = indices.shape + (1,) if d == 1 else indices.shape
    aten_d = 2 if d == 1 else d
    if indices.dtype.name != "int64":
        suffix = "" if aten_d == 3 else f" but got: {torch_scalar_name(indices.dtype)}"
        raise RuntimeError("elements in indices should be type int64" + suffix)
    if len(shape_in) not in (aten_d + 1, aten_d + 2):
        raise RuntimeError(f"Input to max_unpooling{aten_d}d should be a {aten_d + 1}d or {aten_d + 2}d Tensor, "
                           f"but got a tensor with {len(shape_in)} dimensions.")
    if aten_d == 3 and not all(s > 0 for s in stride):
        raise RuntimeError(f"strides should be greater than zero, but got stride: {_sizes(stride)}")
    if shape_in != shape_idx:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({_sizes(shape_in)}) "
                           f"but got indices tensor with shape: {_sizes(shape_idx)}")
    for i in range(1, len(shape_in)):
        if shape_in[i] <= 0:
            raise RuntimeError(f"max_unpooling{aten_d}d_forward_out_cpu(): Expected input to have non-zero size for "
                               f"non-batch dimensions, but got {_sizes(shape_in)} with dimension {i} being empty.")
    plane = 1
    for s in sizes:
        plane *= s
    flat = indices._data
    if flat.size and plane:
        bad = (flat < 0) | (flat >= plane)
        if bool(bad.any()):
            first = int(flat.reshape(-1)[int(bad.reshape(-1).argmax())])
            shown = "x".join(str(s) for s in (sizes + [1] if d == 1 else sizes))
            raise RuntimeError(f"Found an invalid max index: {first} (output volumes are of size {shown})")
    return MaxUnpool.apply(input, flat, tuple(sizes))


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool1d: zeros of the pooled input's size with each value put back at
    its index (``output_size`` resolves the sizes that pooling maps to the same output)."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool2d.

    >>> y, i = max_pool2d(x, 2, return_indices=True); max_unpool2d(y, i, 2)   # maxima in place, zeros elsewhere
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool3d."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)


# ---- fractional max pooling -------------------------------------------------------------------

def _fractional_max_pool(d: int, input, kernel_size, output_size, output_ratio, return_indices, _random_samples):
    """torch's fractional_max_pool{2,3}d_with_indices (the Python wrapper, then ATen's checks in their order)."""
    import operator as _operator
    from ...autograd.creation import rand
    from ...ops.fractional_pool import FractionalMaxPool
    name = f"fractional_max_pool{d}d"
    aten = name if d == 2 else name + "_out"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratios = list(output_ratio) if isinstance(output_ratio, (tuple, list)) else [output_ratio]
        if len(ratios) > d:
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple of Ints.")
        ratios = ratios * d if len(ratios) == 1 else ratios
        output_size = [int(input.size(i - d) * ratios[i]) for i in range(d)]
    if _random_samples is None:
        batch = 1 if input.dim() == d + 1 else input.size(0)
        _random_samples = rand(batch, input.size(-d - 1), d, dtype=input.dtype, device=input.device)
    kernel = [_operator.index(k) for k in _as_list(kernel_size)]
    output = [_operator.index(o) for o in _as_list(output_size)]
    three = "" if d == 2 else " three"
    if len(kernel) not in (1, d):
        raise RuntimeError(f"fractional_max_pool{d}d: kernel_size must either be a single Int or tuple of{three} Ints")
    if len(output) not in (1, d):
        raise RuntimeError(f"fractional_max_pool{d}d: output_size must either be a single Int or tuple of{three} Ints")
    kernel, output = kernel * (d // len(kernel)), output * (d // len(output))
    shape = list(input.shape)
    if input.dim() not in (d + 1, d + 2):
        raise RuntimeError(f"{aten}(): Expected {d + 1}D or {d + 2}D tensor, but got: {shape}")
    for i in range(1, input.dim()):
        if shape[i] <= 0:
            raise RuntimeError(f"{aten}(): Expected input to have non-zero size for non-batch dimensions, but got"
                               f"{shape} with dimension {i} being empty.")
    spatial = shape[-d:]
    words = ("height", "width") if d == 2 else ("time", "height", "width")
    for o, k, s, word in zip(output, kernel, spatial, words):
        if not (o + k - 1 <= s if d == 2 else o + k - 1 < s):
            raise RuntimeError(f"{aten}(): pool {word} {k} too large relative to input {word} {s}")
    samples = _random_samples
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.dim()}")
    batch, channels = (1, shape[0]) if input.dim() == d + 1 else (shape[0], shape[1])
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != channels:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != d:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {d}; got {samples.shape[2]}.")
    planes = samples.detach()[:batch].reshape(batch * channels, d)
    sample_of_dim = (1, 0) if d == 2 else (0, 1, 2)
    return FractionalMaxPool.apply(input, planes, tuple(kernel), tuple(output), sample_of_dim, return_indices)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                          _random_samples=None):
    """Max pooling over pseudo-random, overlapping windows of ``kernel_size`` giving ``output_size`` (or
    ``output_ratio`` times the input size) outputs; ``_random_samples`` (N, C, 2) in [0, 1) fixes the
    windows (torch's samples give torch's windows).

    >>> fractional_max_pool2d(minigrad.randn(1, 2, 9, 9), 3, output_size=4).shape
    minigrad.Size([1, 2, 4, 4])
    """
    return _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                          _random_samples=None):
    """The 3-d ``fractional_max_pool2d``: (N, C, T, H, W) or (C, T, H, W); ``_random_samples`` (N, C, 3)."""
    return _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    return _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    return _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, True, _random_samples)


__all__ += ["fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
            "fractional_max_pool3d_with_indices"]


# ---- local response normalisation -------------------------------------------------------------

def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
    """Normalise each entry by its neighbours across channels (Krizhevsky et al., 2012):
    b_c = a_c / (k + alpha / size * sum_{c' in window(c)} a_{c'}^2)^beta, the window ``size`` channels
    centred on c (size // 2 before, (size - 1) // 2 after, zeros past the ends), as torch's composite:
    an average pool over the channel axis of the squares. Differentiable to any order through its parts.

    >>> local_response_norm(minigrad.ones(1, 3, 2), 2).shape
    minigrad.Size([1, 3, 2])
    """
    from ...ops.padding import pad
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input * input
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))              # (N, 1, C + size - 1, L)
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)                        # (N, C, L)
    else:
        sizes = input.shape
        div = div.reshape(sizes[0], 1, sizes[1], sizes[2], -1)                       # (N, 1, C, S1, rest)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).reshape(sizes)
    div = (div * alpha + k) ** beta
    return input / div


__all__ += ["local_response_norm"]
