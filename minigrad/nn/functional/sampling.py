"""Resampling: ``interpolate`` (nearest, nearest-exact, linear / bilinear / trilinear), ``upsample``,
``pixel_shuffle`` and ``pixel_unshuffle``.

Letters: N = batch, C = channels, I = an input spatial size, O = the matching output size.

Interpolation is separable: one spatial axis at a time.

- nearest: out[o] = in[min(floor(o * s), I - 1)], s = 1 / scale_factor when given, else I / O (torch's
  ``nearest_idx``; ``nearest-exact`` uses floor((o + 0.5) * s)). A pick along the axis (IndexSelect),
  whose gradient sums back into the picked positions.
- linear: source coordinate src = s (o + 0.5) - 0.5 clamped at 0 (``align_corners=False``) or
  src = o (I - 1) / (O - 1) (``align_corners=True``); out[o] = (1 - l) in[i0] + l in[i1] with
  i0 = floor(src), i1 = min(i0 + 1, I - 1), l = src - i0 (torch's ``area_pixel_compute_source_index``).
  Written as a product with an (O, I) interpolation matrix, so forward and backward are one matmul each.
- bicubic (4-d input): src as linear's without the clamp at 0; out[o] = sum_{j=-1..2} w_j in[clamp(i0 + j)]
  with Keys' cubic convolution weights (A = -0.75) of t = src - i0 (torch's ``upsample_bicubic2d``):
  again an (O, I) matrix per axis.
- antialias=True (bilinear / bicubic, 4-d input): each output averages the inputs under the filter
  stretched by the scale when downsampling, support (1 or 2) * max(scale, 1) around its centre
  scale * (o + 0.5), weights normalised to sum 1 (torch's ``_upsample_*_aa``, PIL's resampling; the
  bicubic filter uses A = -0.5 there): an (O, I) matrix per axis too.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ... import backend
from ...autograd.tensor import Tensor
from ...ops.shape import IndexSelect

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle"]

_LINEAR_MODES = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _scale_for_index(input_size: int, output_size: int, scale) -> float:
    """torch's compute_scales_value: 1 / scale_factor when one was given, else in / out."""
    return 1.0 / scale if scale is not None and scale > 0 else input_size / output_size


def _nearest_indices(input_size: int, output_size: int, scale, exact: bool, xp):
    scale_value = np.float32(_scale_for_index(input_size, output_size, scale))
    positions = xp.arange(output_size, dtype=np.float32)
    if exact:
        positions = positions + np.float32(0.5)
    index = xp.floor(positions * scale_value).astype(np.int64)      # float32 arithmetic, as torch's kernel
    return xp.minimum(index, input_size - 1)


def _linear_matrix(input_size: int, output_size: int, scale, align_corners: bool, dtype, xp):
    """(O, I) matrix whose row o holds the two linear-interpolation weights of output position o."""
    out_positions = np.arange(output_size, dtype=np.float64)
    if align_corners:
        step = (input_size - 1) / (output_size - 1) if output_size > 1 else 0.0
        source = out_positions * step
    else:
        step = _scale_for_index(input_size, output_size, scale)
        source = np.maximum(step * (out_positions + 0.5) - 0.5, 0.0)
    lower = np.floor(source).astype(np.int64)
    lower = np.minimum(lower, input_size - 1)
    upper = np.where(lower < input_size - 1, lower + 1, lower)
    upper_weight = source - lower
    matrix = np.zeros((output_size, input_size), dtype=np.float64)
    rows = np.arange(output_size)
    np.add.at(matrix, (rows, lower), 1.0 - upper_weight)
    np.add.at(matrix, (rows, upper), upper_weight)
    return Tensor._make(xp.asarray(matrix.astype(dtype)))


def _cubic_weights(t, a: float):
    """Keys' cubic convolution weights of the four neighbours i0 - 1 .. i0 + 2 at offset t in [0, 1)
    (torch's ``get_cubic_upsample_coefficients``)."""
    def near(x):   # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):    # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _cubic_matrix(input_size: int, output_size: int, scale, align_corners: bool, dtype, xp):
    """(O, I) matrix whose row o holds the bicubic weights of output position o (A = -0.75); indices
    past an edge are clamped to it, so their weights add up there."""
    out_positions = np.arange(output_size, dtype=np.float64)
    if align_corners:
        step = (input_size - 1) / (output_size - 1) if output_size > 1 else 0.0
        source = out_positions * step
    else:
        source = _scale_for_index(input_size, output_size, scale) * (out_positions + 0.5) - 0.5
    lower = np.floor(source)
    weights = _cubic_weights(source - lower, -0.75)
    matrix = np.zeros((output_size, input_size), dtype=np.float64)
    rows = np.arange(output_size)
    for j, weight in enumerate(weights):
        np.add.at(matrix, (rows, np.clip(lower.astype(np.int64) - 1 + j, 0, input_size - 1)), weight)
    return Tensor._make(xp.asarray(matrix.astype(dtype)))


def _antialias_matrix(input_size: int, output_size: int, scale, align_corners: bool, mode: str, dtype, xp):
    """(O, I) matrix of torch's anti-aliased resampling (``_compute_index_ranges_weights`` with the
    triangle filter for bilinear, the cubic one with A = -0.5 for bicubic), weights normalised per row."""
    if align_corners:
        step = (input_size - 1) / (output_size - 1) if output_size > 1 else 0.0
    else:
        step = _scale_for_index(input_size, output_size, scale)
    interp_size = 2 if mode == "bilinear" else 4
    support = interp_size * 0.5 * step if step >= 1.0 else interp_size * 0.5
    inverse = 1.0 / step if step >= 1.0 else 1.0
    max_size = int(math.ceil(support)) * 2 + 1
    centers = step * (np.arange(output_size, dtype=np.float64) + 0.5)
    starts = np.maximum((centers - support + 0.5).astype(np.int64), 0)                    # (O,)
    sizes = np.clip(np.minimum((centers + support + 0.5).astype(np.int64), input_size) - starts, 0, max_size)
    offsets = np.arange(max_size)                                                         # (M,)
    x = np.abs((offsets[None, :] + starts[:, None] - centers[:, None] + 0.5) * inverse)  # (O, M)
    if mode == "bilinear":
        weights = np.where(x < 1.0, 1.0 - x, 0.0)
    else:
        a = -0.5
        weights = np.where(x < 1.0, ((a + 2) * x - (a + 3)) * x * x + 1,
                           np.where(x < 2.0, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, 0.0))
    weights = np.where(offsets[None, :] < sizes[:, None], weights, 0.0)
    totals = weights.sum(axis=1, keepdims=True)
    weights = np.where(totals != 0, weights / np.where(totals != 0, totals, 1.0), weights)
    matrix = np.zeros((output_size, input_size), dtype=np.float64)
    columns = np.minimum(starts[:, None] + offsets[None, :], input_size - 1)
    np.add.at(matrix, (np.repeat(np.arange(output_size), max_size), columns.ravel()), weights.ravel())
    return Tensor._make(xp.asarray(matrix.astype(dtype)))


def _apply_along(x: Tensor, axis: int, matrix: Tensor) -> Tensor:
    """Contract ``x``'s ``axis`` (size I) with an (O, I) matrix: the axis becomes size O."""
    if axis == x.dim() - 1:
        return x @ matrix.t()                                        # (..., O) = (..., I) @ (I, O)
    moved = x.transpose(axis, -1)
    return (moved @ matrix.t()).transpose(axis, -1)


def _output_size(input: Tensor, size, scale_factor, spatial: int):
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * spatial
        if len(sizes) != spatial:
            raise ValueError("Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(input.shape[2:])} and output size of {size}. Please provide "
                             "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
        return [int(s) for s in sizes], [None] * spatial
    if scale_factor is not None:
        scales = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * spatial
        if len(scales) != spatial:
            raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                             f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                             "scale_factor in (s1, s2, ...,sK) format.")
        scales = [float(s) for s in scales]
        sizes = [int(math.floor(float(input.shape[i + 2]) * scales[i])) for i in range(spatial)]
        return sizes, scales
    raise ValueError("either size or scale_factor should be defined")


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, d1, ...) ``input`` to ``size`` or by ``scale_factor``.

    >>> interpolate(minigrad.arange(4.).reshape(1, 1, 2, 2), scale_factor=2, mode="bilinear").shape
    minigrad.Size([1, 1, 4, 4])
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif mode in _LINEAR_MODES or mode == "bicubic":
        align_corners = bool(align_corners) if align_corners is not None else False
    else:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  "for the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                                  f"nearest-exact (got {mode})")
    spatial = input.dim() - 2
    if spatial not in (1, 2, 3):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  "for the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                                  f"nearest-exact (got {mode})")
    if mode in _LINEAR_MODES and _LINEAR_MODES[mode] != spatial:
        needed = _LINEAR_MODES[mode] + 2
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {needed}D input")
    sizes, scales = _output_size(input, size, scale_factor, spatial)
    if recompute_scale_factor:
        scales = [None] * spatial
    if antialias and not (mode in ("bilinear", "bicubic") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a "
                         "4-D tensor as input")
    if mode == "bicubic" and input.dim() != 4:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  "for the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | "
                                  f"area | nearest-exact (got {mode})")
    xp = backend.xp(input._data)
    out = input
    for i in range(spatial):
        axis, in_size, out_size = i + 2, input.shape[i + 2], sizes[i]
        if mode == "area":
            matrix = _area_matrix(in_size, out_size, input._data.dtype, xp)
            out = _apply_along(out, axis, matrix)
        elif antialias:
            matrix = _antialias_matrix(in_size, out_size, scales[i], align_corners, mode, input._data.dtype, xp)
            out = _apply_along(out, axis, matrix)
        elif mode == "bicubic":
            matrix = _cubic_matrix(in_size, out_size, scales[i], align_corners, input._data.dtype, xp)
            out = _apply_along(out, axis, matrix)
        elif mode in _LINEAR_MODES:
            matrix = _linear_matrix(in_size, out_size, scales[i], align_corners, input._data.dtype, xp)
            out = _apply_along(out, axis, matrix)
        elif in_size != out_size:
            index = _nearest_indices(in_size, out_size, scales[i], mode == "nearest-exact", xp)
            out = IndexSelect.apply(out, axis, index)
    return out


def _area_matrix(input_size: int, output_size: int, dtype, xp):
    """(O, I) averaging matrix of adaptive average pooling: bin o covers [floor(o I / O), ceil((o+1) I / O))."""
    matrix = np.zeros((output_size, input_size), dtype=np.float64)
    for o in range(output_size):
        start = (o * input_size) // output_size
        end = -((-(o + 1) * input_size) // output_size)
        matrix[o, start:end] = 1.0 / (end - start)
    return Tensor._make(xp.asarray(matrix.astype(dtype)))


def upsample(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r) (Shi et al., 2016, sub-pixel convolution)."""
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    r = upscale_factor
    *lead, channels, height, width = input.shape
    if channels % (r * r) != 0:
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}")
    out_channels = channels // (r * r)
    k = len(lead)
    x = input.reshape(*lead, out_channels, r, r, height, width)       # (*, C, r, r, H, W)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)           # (*, C, H, r, W, r)
    return x.reshape(*lead, out_channels, height * r, width * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of ``pixel_shuffle``."""
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    r = downscale_factor
    *lead, channels, height, width = input.shape
    if height % r != 0:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)="
                           f"{height} is not divisible by {r}")
    if width % r != 0:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)="
                           f"{width} is not divisible by {r}")
    k = len(lead)
    x = input.reshape(*lead, channels, height // r, r, width // r, r)  # (*, C, H, r, W, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)           # (*, C, r, r, H, W)
    return x.reshape(*lead, channels * r * r, height // r, width // r)


# ---- affine_grid and grid_sample --------------------------------------------------------------

def _linspace_from_neg_one(steps: int, align_corners: bool, dtype, xp):
    """ATen's linspace_from_neg_one: the normalised pixel centres (align_corners=False) or corners."""
    if steps <= 1:
        return xp.zeros(1, dtype=dtype)
    values = xp.linspace(-1, 1, steps, dtype=dtype)
    return values * (steps - 1) / steps if not align_corners else values


def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """The sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps theta (N, 2, 3) (or
    (N, 3, 4)) for an output of ``size`` (N, C, H, W) (or (N, C, D, H, W)): grid[n, h, w] =
    theta[n] @ (x_w, y_h, 1), x and y the normalised coordinates of the output pixels in [-1, 1]. A
    matrix product with a constant base grid, so differentiable in theta to any order.

    >>> affine_grid(minigrad.tensor([[[1., 0., 0.], [0., 1., 0.]]]), (1, 1, 2, 2), align_corners=True)[0, 0].tolist()
    [[-1.0, -1.0], [1.0, -1.0]]
    """
    if align_corners is None:
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    given, size = size, list(size)
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {given}. "
                             f"Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {given}. "
                             f"Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {given}.")
    if min(spatial) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {given}")
    xp = backend.xp(theta._data)
    dtype = theta._data.dtype
    d = len(spatial)
    axes = [_linspace_from_neg_one(s, align_corners, dtype, xp) for s in spatial]      # per dim, (S_i,)
    base = xp.ones(tuple(spatial) + (d + 1,), dtype=dtype)                              # (*S, d + 1)
    for coordinate in range(d):          # coordinate 0 is x (the last spatial dim), 1 is y, 2 is z
        dim = d - 1 - coordinate
        shape = [1] * d
        shape[dim] = spatial[dim]
        base[..., coordinate] = axes[dim].reshape(shape)
    base = Tensor._make(base.reshape(1, -1, d + 1))                                      # (1, P, d + 1)
    grid = base @ theta.transpose(1, 2)                                                  # (N, P, d)
    return grid.reshape((size[0],) + tuple(spatial) + (d,))


def _reflect(coordinate: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """ATen's reflect_coordinates: fold a coordinate into [low, high] by reflecting at both ends."""
    xp = backend.xp(coordinate._data)
    if twice_low == twice_high:
        return _connected_zeros(coordinate)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    shifted = coordinate - low
    sign = Tensor._make(xp.where(shifted._data < 0, -1, 1).astype(shifted._data.dtype))
    distance = shifted * sign                                                             # |coordinate - low|
    flips = xp.floor(distance._data / span)
    extra = distance - Tensor._make((flips * span).astype(distance._data.dtype))          # fmod(distance, span)
    even = Tensor._make(flips % 2 == 0)
    from ...ops.elementwise import where
    return where(even, extra + low, (extra * -1 + span) + low)


def _connected_zeros(tensor: Tensor) -> Tensor:
    """Zeros of ``tensor``'s shape that depend on it with gradient zero (torch's zero, not absent, gradient)."""
    from ...ops.elementwise import where
    xp = backend.xp(tensor._data)
    return where(Tensor._make(xp.zeros((), dtype=bool)), tensor, Tensor._make(xp.zeros((), dtype=tensor._data.dtype)))


def _clip(coordinate: Tensor, size: int) -> Tensor:
    """ATen's clip_coordinates: into [0, size - 1], with gradient 0 at and past either end."""
    from ...ops.elementwise import where
    xp = backend.xp(coordinate._data)
    data = coordinate._data
    inside = Tensor._make((data > 0) & (data < size - 1))
    clipped = Tensor._make(xp.clip(data, 0, size - 1).astype(data.dtype))
    return where(inside, coordinate, clipped)


def _source_coordinate(coordinate: Tensor, size: int, padding_mode: str, align_corners: bool, vectorised: bool):
    """ATen's grid_sampler_compute_source_index: unnormalise a [-1, 1] coordinate, then apply the padding
    mode (border: clip; reflection: reflect, then clip). ``vectorised``: the 2-d CPU kernel's
    arithmetic ((x + 1) * scale - 0.5), else the scalar kernel's (((x + 1) * size - 1) / 2)."""
    if vectorised:
        scale = (size - 1) / 2 if align_corners else size / 2
        source = (coordinate + 1) * scale if align_corners else (coordinate + 1) * scale - 0.5
    elif align_corners:
        source = (coordinate + 1) / 2 * (size - 1)
    else:
        source = ((coordinate + 1) * size - 1) / 2
    if padding_mode == "border":
        source = _clip(source, size)
    elif padding_mode == "reflection":
        source = _reflect(source, 0, 2 * (size - 1)) if align_corners else _reflect(source, -1, 2 * size - 1)
        source = _clip(source, size)
    return source


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None) -> Tensor:
    """Sample input (N, C, H, W) (or (N, C, D, H, W)) at the normalised locations grid (N, Ho, Wo, 2)
    (or (N, Do, Ho, Wo, 3); x first, in [-1, 1]) -> (N, C, Ho, Wo): bilinear (trilinear) or nearest,
    with zeros / border / reflection padding (torch's GridSampler). Built from differentiable parts:
    the weights are elementwise functions of the grid, the corner values a gather (FlatGather, whose
    backward is a scatter and vice versa), so gradients flow to input and grid, to any order.

    >>> grid_sample(minigrad.arange(4.).reshape(1, 1, 2, 2), minigrad.zeros(1, 1, 1, 2), align_corners=True).item()
    1.5
    """
    from ...ops.pool import FlatGather
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        align_corners = False
    in_sizes, grid_sizes = list(input.shape), list(grid.shape)
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but input has "
                           f"{_torch_dtype(input.dtype)} and grid has {_torch_dtype(grid.dtype)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {in_sizes} and grid with sizes {grid_sizes}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, but got "
                           f"grid with sizes {grid_sizes}")
    for i in range(2, input.dim()):
        if input.shape[i] <= 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {in_sizes} with dimension {i} being empty")
    expected = 4 if input.dim() == 4 else 5      # ATen's check_grid_sampler_2d / _3d
    if input.dim() != expected or grid.dim() != expected:
        raise RuntimeError(f"grid_sampler(): expected {expected}D input and grid with same number of dimensions, but "
                           f"got input with sizes {in_sizes} and grid with sizes {grid_sizes}")
    if mode == "bicubic" and input.dim() != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    xp = backend.xp(input._data)
    d = input.dim() - 2
    n, channels, spatial = input.shape[0], input.shape[1], tuple(input.shape[2:])
    out_spatial = tuple(grid.shape[1:-1])
    # per spatial dim i (0 = depth/height first), its source coordinate; grid's last axis lists x first
    sources = [_source_coordinate(grid[..., d - 1 - i], spatial[i], padding_mode, align_corners, d == 2)
               for i in range(d)]                                                           # each (N, *O)
    plane_strides = [int(np.prod(spatial[i + 1:])) for i in range(d)]

    def gather(positions):
        """input at integer positions (one (N, *O) array per dim), zero outside: (N, C, *O)."""
        inside = np.ones((), dtype=bool)
        flat = 0
        for i, p in enumerate(positions):
            inside = inside & (p >= 0) & (p < spatial[i])
            flat = flat + xp.clip(p, 0, spatial[i] - 1) * plane_strides[i]
        index = xp.ascontiguousarray(xp.broadcast_to(flat[:, None], (n, channels) + out_spatial))
        values = FlatGather.apply(input, index, d)                                          # (N, C, *O)
        return values, Tensor._make(xp.asarray(inside[:, None]).astype(input._data.dtype))

    if mode == "bicubic":
        return _grid_sample_bicubic(input, grid, padding_mode, align_corners, gather)
    if mode == "nearest":
        positions = [xp.round(s._data).astype(np.int64) for s in sources]     # nearbyint: half to even
        values, inside = gather(positions)
        out = values * inside
        if grid.requires_grad:   # torch gives the grid a zero gradient here (not none)
            out = out + _connected_zeros(sources[0]).unsqueeze(1)
        return out
    lower = [xp.floor(s._data) for s in sources]
    upper_weights = [s - Tensor._make(f) for s, f in zip(sources, lower)]                   # (N, *O) each
    lower_weights = [1 - w for w in upper_weights]
    out = None
    for corner in itertools.product((0, 1), repeat=d):
        weight = None
        for i, bit in enumerate(corner):
            w = upper_weights[i] if bit else lower_weights[i]
            weight = w if weight is None else weight * w
        values, inside = gather([f.astype(np.int64) + bit for f, bit in zip(lower, corner)])
        term = values * (weight.unsqueeze(1) * inside)
        out = term if out is None else out + term
    return out


def _grid_sample_bicubic(input, grid, padding_mode, align_corners, gather):
    """torch's bicubic grid sampling: the 4 x 4 neighbours of the unpadded source point, each integer
    neighbour mapped by the padding mode (and read as zero outside), weighted by Keys' cubic
    convolution (A = -0.75) of the fractional offsets, which carry the gradient to the grid."""
    xp = backend.xp(input._data)
    height, width = input.shape[2], input.shape[3]
    sources = [_source_coordinate(grid[..., 1], height, "zeros", align_corners, False),
               _source_coordinate(grid[..., 0], width, "zeros", align_corners, False)]    # y, x: (N, Ho, Wo)
    lower = [xp.floor(s._data) for s in sources]
    weights = [_cubic_weights(s - Tensor._make(f), -0.75) for s, f in zip(sources, lower)]  # 4 per dim

    def neighbour(position, size):
        """An integer neighbour through the padding mode (ATen's compute_coordinates on it)."""
        if padding_mode == "zeros":
            return position.astype(np.int64)
        coordinate = Tensor._make(position)
        if padding_mode == "reflection":
            coordinate = (_reflect(coordinate, 0, 2 * (size - 1)) if align_corners
                          else _reflect(coordinate, -1, 2 * size - 1))
        return xp.clip(coordinate._data, 0, size - 1).astype(np.int64)
    out = None
    for i in range(4):
        for j in range(4):
            values, inside = gather([neighbour(lower[0] - 1 + i, height), neighbour(lower[1] - 1 + j, width)])
            term = values * ((weights[0][i] * weights[1][j]).unsqueeze(1) * inside)
            out = term if out is None else out + term
    return out


def _torch_dtype(dtype) -> str:
    return f"torch.{dtype.name}"


__all__ += ["affine_grid", "grid_sample"]
