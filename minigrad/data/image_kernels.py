"""Array routines behind ``minigrad.data.transforms``: resampling, affine warps, blur, colour, dtype scaling.

Every routine takes and returns an array laid out ``(..., C, H, W)`` (NumPy or CuPy) and follows the
formula torchvision applies to tensors, so the transforms give torchvision's numbers:

- integer images are computed in float32, then rounded (``_cast_squeeze_out`` in torchvision) where
  torchvision rounds, or truncated where it casts (colour blends, grayscale); uint8 resizing rounds after
  each of its two passes, as torchvision v2's native uint8 kernel (and Pillow) do;
- ``resize`` is separable: ``out = W_h @ x @ W_w^T`` with one ``(out, in)`` weight matrix per axis (two GEMMs),
  built from PyTorch's ``interpolate`` rules (``aten/src/ATen/native/UpSample.h`` for nearest, bilinear
  and bicubic; ``UpSampleKernel.cpp``'s ``_compute_indices_min_size_weights_aa`` for antialiasing, which
  follows Pillow's ``ImagingResample``);
- ``affine_grid_sample`` is torchvision's ``_gen_affine_grid`` followed by ``grid_sample``
  (``align_corners=False``, zeros outside, an extra all-ones channel marking where ``fill`` goes).

Legend: C channels, H x W input size, h x w output size, K kernel size.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend

INTEGER_MAX = {np.dtype(np.uint8): 255, np.dtype(np.int8): 127, np.dtype(np.int16): 32767,
               np.dtype(np.uint16): 65535, np.dtype(np.int32): 2147483647, np.dtype(np.int64): 9223372036854775807}


def max_value(dtype) -> int:
    """The value of a full-intensity pixel: the integer maximum, or 1 for floats (torchvision's ``_max_value``)."""
    return INTEGER_MAX.get(np.dtype(dtype), 1)


def to_float(array, float_dtypes=(np.float32, np.float64)):
    """``(array as float, original dtype)``: float32 unless the array already has an accepted float dtype."""
    if array.dtype in [np.dtype(d) for d in float_dtypes]:
        return array, array.dtype
    return array.astype(np.float32), array.dtype


def from_float(array, dtype):
    """Back to ``dtype``: integers are rounded half to even first (``torch.round``), as torchvision does."""
    if array.dtype == dtype:
        return array
    xp = backend.xp(array)
    if np.dtype(dtype).kind in "iub":
        array = xp.round(array)
    return array.astype(dtype)


# ---- resize -----------------------------------------------------------------------------------------------
def _linear_filter(x):
    x = np.abs(x)
    return np.where(x < 1.0, 1.0 - x, 0.0)


def _cubic_filter(x, a: float):
    """Keys' cubic convolution kernel with parameter ``a`` (PyTorch: -0.75, Pillow and antialias: -0.5)."""
    x = np.abs(x)
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0          # |x| < 1
    far = (((x - 5.0) * x + 8.0) * x - 4.0) * a                # 1 <= |x| < 2
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def resize_weights(in_size: int, out_size: int, mode: str, antialias: bool) -> np.ndarray:
    """The ``(out_size, in_size)`` float64 matrix that resamples one axis (``align_corners=False``)."""
    scale = in_size / out_size
    weights = np.zeros((out_size, in_size))
    dst = np.arange(out_size)
    if mode in ("nearest", "nearest-exact"):
        offset = 0.5 if mode == "nearest-exact" else 0.0
        # float32 scale as PyTorch's nearest_idx computes it
        src = np.floor((dst + offset).astype(np.float32) * np.float32(in_size / out_size)).astype(np.int64)
        weights[dst, np.minimum(src, in_size - 1)] = 1.0
        return weights
    if antialias:
        # Pillow's / PyTorch's antialiased resampling: a filter stretched by the scale when shrinking
        interp_size = 2 if mode == "bilinear" else 4
        support = interp_size * 0.5 * scale if scale >= 1.0 else interp_size * 0.5
        inv_scale = 1.0 / scale if scale >= 1.0 else 1.0
        max_taps = int(math.ceil(support)) * 2 + 1
        for i in range(out_size):
            center = scale * (i + 0.5)
            xmin = max(int(center - support + 0.5), 0)
            xsize = min(max(min(int(center + support + 0.5), in_size) - xmin, 0), max_taps)
            x = (np.arange(xsize) + xmin - center + 0.5) * inv_scale
            w = _linear_filter(x) if mode == "bilinear" else _cubic_filter(x, -0.5)
            total = w.sum()
            weights[i, xmin:xmin + xsize] = w / total if total != 0 else w
        return weights
    if mode == "bilinear":
        src = np.maximum(scale * (dst + 0.5) - 0.5, 0.0)                      # clamped at 0 for linear
        i0 = src.astype(np.int64)
        i1 = np.minimum(i0 + 1, in_size - 1)
        frac = src - i0
        np.add.at(weights, (dst, i0), 1.0 - frac)
        np.add.at(weights, (dst, i1), frac)
        return weights
    if mode == "bicubic":
        src = scale * (dst + 0.5) - 0.5                                       # not clamped for cubic
        i0 = np.floor(src).astype(np.int64)
        t = src - i0
        for k, w in zip(range(-1, 3), (_cubic_filter(t + 1.0, -0.75), _cubic_filter(t, -0.75),
                                        _cubic_filter(1.0 - t, -0.75), _cubic_filter(2.0 - t, -0.75))):
            np.add.at(weights, (dst, np.clip(i0 + k, 0, in_size - 1)), w)
        return weights
    raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")


def _resample_last_axis(x, weights):
    """``(..., n) -> (..., m)`` by an ``(m, n)`` weight matrix, as one GEMM over the flattened leading dims."""
    # ((...)*, m) = ((...)*, n) @ (n, m); NumPy's broadcasting matmul of a stack would loop over it instead
    return (x.reshape(-1, x.shape[-1]) @ weights.T).reshape(x.shape[:-1] + (weights.shape[0],))


def _resample_rows(x, weights):
    """``(..., H, W) -> (..., h, W)``: the height axis moved last, resampled, moved back."""
    return _resample_last_axis(x.swapaxes(-1, -2), weights).swapaxes(-1, -2)


def resize(array, size_hw, mode: str, antialias: bool):
    """``(..., C, H, W)`` -> ``(..., C, h, w)``; nearest keeps the dtype exactly, other modes compute in float."""
    h, w = size_hw
    xp = backend.xp(array)
    in_h, in_w = array.shape[-2:]
    antialias = antialias and mode in ("bilinear", "bicubic")
    if mode in ("nearest", "nearest-exact"):
        rows = resize_weights(in_h, h, mode, False).argmax(axis=1)
        cols = resize_weights(in_w, w, mode, False).argmax(axis=1)
        return array[..., xp.asarray(rows)[:, None], xp.asarray(cols)[None, :]]
    x, dtype = to_float(array)
    weights_h = xp.asarray(resize_weights(in_h, h, mode, antialias), dtype=x.dtype)   # (h, H)
    weights_w = xp.asarray(resize_weights(in_w, w, mode, antialias), dtype=x.dtype)   # (w, W)
    if dtype == np.uint8:
        # torchvision v2 resamples uint8 natively, as Pillow does: a horizontal pass, then a vertical one,
        # each rounded (ties up) and clamped to [0, 255] (so a bicubic overshoot is cut after each pass)
        if in_w != w:
            x = xp.clip(xp.floor(_resample_last_axis(x, weights_w) + np.float32(0.5)), 0, 255)  # (..., C, H, w)
        if in_h != h:
            x = xp.clip(xp.floor(_resample_rows(x, weights_h) + np.float32(0.5)), 0, 255)       # (..., C, h, w)
        return xp.ascontiguousarray(x.astype(np.uint8))
    out = _resample_rows(_resample_last_axis(x, weights_w), weights_h)                # (..., C, h, w) = W_h x W_w^T
    return xp.ascontiguousarray(from_float(out, dtype))


# ---- affine warps (rotate, affine) ------------------------------------------------------------------------
def affine_output_size(matrix, w: int, h: int) -> tuple[int, int]:
    """``(w, h)`` of the canvas that holds the whole warped image (``expand=True``), in float32 as torchvision."""
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    theta = np.asarray(matrix, dtype=np.float32).reshape(2, 3)
    new_pts = pts @ theta.T                                                           # (4, 2)
    centre = np.array([w * 0.5, h * 0.5], dtype=np.float32)
    min_vals, max_vals = new_pts.min(axis=0) + centre, new_pts.max(axis=0) + centre
    tol = np.float32(1e-4)   # truncate to 1e-4 so that a ceil of 1e-15 does not add a pixel
    cmax = np.ceil(np.trunc(max_vals / tol) * tol)
    cmin = np.floor(np.trunc(min_vals / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def affine_grid_sample(array, matrix, mode: str, out_hw=None, fill=None):
    """Warp ``(..., C, H, W)`` by the inverse affine ``matrix`` (6 numbers, centre-origin pixel coordinates).

    Output pixel ``(x, y)`` (centre-origin) reads input point ``matrix @ (x, y, 1)``: bilinear or nearest
    (round half to even), zero outside the input, or ``fill`` (a number or one per channel) there.
    """
    xp = backend.xp(array)
    x, dtype = to_float(array)
    lead, (channels, in_h, in_w) = x.shape[:-3], x.shape[-3:]
    out_h, out_w = out_hw if out_hw is not None else (in_h, in_w)
    x = x.reshape((-1, channels, in_h, in_w))
    if fill is not None:                    # an extra channel of ones: where it is < 1, fill shows through
        x = xp.concatenate([x, xp.ones_like(x[:, :1])], axis=1)
    theta = np.asarray(matrix, dtype=x.dtype).reshape(2, 3)
    # centre-origin output pixel centres (x, y, 1) times theta^T / (W/2, H/2): normalised input points,
    # summed in the order PyTorch's bmm does (x * t0 + y * t1) + t2, so that ties round the same way
    xs = (np.arange(out_w, dtype=x.dtype) + x.dtype.type(-out_w * 0.5 + 0.5))[None, :]      # (1, w)
    ys = (np.arange(out_h, dtype=x.dtype) + x.dtype.type(-out_h * 0.5 + 0.5))[:, None]      # (h, 1)
    rescaled_theta = theta.T / np.array([0.5 * in_w, 0.5 * in_h], dtype=x.dtype)      # (3, 2)
    grid = np.stack([xs * rescaled_theta[0, k] + ys * rescaled_theta[1, k] + rescaled_theta[2, k]
                     for k in range(2)], axis=-1)                                     # (h, w, 2)
    # grid_sample, align_corners=False: normalised -> input pixel coordinates
    # written as PyTorch's CPU kernel computes ((g + 1) * size - 1) / 2: (g + 1) * (size / 2) - 0.5
    one, half = x.dtype.type(1), x.dtype.type(0.5)
    ix = (grid[..., 0] + one) * x.dtype.type(in_w / 2) - half                         # (h, w)
    iy = (grid[..., 1] + one) * x.dtype.type(in_h / 2) - half
    out = _sample(xp, x, ix, iy, mode)                                                # (N, C[+1], h, w)
    if fill is not None:
        mask, out = out[:, -1:], out[:, :-1]
        fill_values = [float(fill)] if isinstance(fill, (int, float)) else [float(f) for f in fill]
        fill_image = xp.asarray(np.asarray(fill_values, dtype=x.dtype).reshape(1, -1, 1, 1))
        mask = xp.broadcast_to(mask, out.shape)
        if mode == "nearest":
            out = xp.where(mask < 0.5, xp.broadcast_to(fill_image, out.shape), out)
        else:
            out = out * mask + (one - mask) * fill_image
    return from_float(out.reshape(lead + (channels, out_h, out_w)), dtype)


def _sample(xp, x, ix, iy, mode):
    """``grid_sample`` with zero padding: ``x`` (N, C, H, W) read at float coordinates ``(ix, iy)`` (h, w)."""
    in_h, in_w = x.shape[-2:]

    def gather(rows, cols):
        inside = (rows >= 0) & (rows < in_h) & (cols >= 0) & (cols < in_w)
        values = x[:, :, xp.asarray(np.clip(rows, 0, in_h - 1)), xp.asarray(np.clip(cols, 0, in_w - 1))]
        return values * xp.asarray(inside.astype(x.dtype))                            # (N, C, h, w)

    if mode == "nearest":
        return gather(np.rint(iy).astype(np.int64), np.rint(ix).astype(np.int64))
    if mode != "bilinear":
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    x0, y0 = np.floor(ix), np.floor(iy)
    wx1, wy1 = ix - x0, iy - y0
    wx0, wy0 = x.dtype.type(1) - wx1, x.dtype.type(1) - wy1
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    return (gather(y0, x0) * xp.asarray(wx0 * wy0) + gather(y0, x0 + 1) * xp.asarray(wx1 * wy0)
            + gather(y0 + 1, x0) * xp.asarray(wx0 * wy1) + gather(y0 + 1, x0 + 1) * xp.asarray(wx1 * wy1))


def inverse_affine_matrix(center, angle: float, translate, scale: float, shear) -> list[float]:
    """The inverse of ``T * C * R(angle) * S(scale) * Shear * C^-1`` as 6 numbers (torchvision's
    ``_get_inverse_affine_matrix``): the matrix Pillow's ``Image.transform`` and the grid sampler take."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    matrix = [m / scale for m in (d, -b, 0.0, -c, a, 0.0)]       # det([[a, b], [c, d]]) == 1
    matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
    matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
    matrix[2] += cx
    matrix[5] += cy
    return matrix


# ---- blur ---------------------------------------------------------------------------------------------------
def gaussian_kernel1d(kernel_size: int, sigma: float, dtype) -> np.ndarray:
    half = (kernel_size - 1) * 0.5
    x = np.linspace(-half, half, kernel_size).astype(dtype)
    pdf = np.exp(dtype.type(-0.5) * (x / dtype.type(sigma)) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(array, kernel_size, sigma):
    """Correlate each channel with the ``(Ky, Kx)`` Gaussian, borders reflected (torchvision's ``gaussian_blur``)."""
    xp = backend.xp(array)
    x, dtype = to_float(array)
    kx = gaussian_kernel1d(kernel_size[0], sigma[0], x.dtype)
    ky = gaussian_kernel1d(kernel_size[1], sigma[1], x.dtype)
    kernel = xp.asarray(np.outer(ky, kx))                                             # (Ky, Kx)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    widths = [(0, 0)] * (x.ndim - 2) + [(py, py), (px, px)]
    padded = xp.pad(x, widths, mode="reflect")                                        # (..., C, H+Ky-1, W+Kx-1)
    windows = xp.lib.stride_tricks.sliding_window_view(padded, kernel.shape, axis=(-2, -1))  # (..., C, H, W, Ky, Kx)
    out = xp.einsum("...ij,ij->...", windows, kernel)                                 # (..., C, H, W)
    return from_float(out, dtype)


# ---- colour -------------------------------------------------------------------------------------------------
def _float32_if_integer(array):
    return array if array.dtype.kind == "f" else array.astype(np.float32)


def rgb_to_grayscale(array, num_output_channels: int = 1):
    """ITU-R 601-2 luma ``0.2989 R + 0.587 G + 0.114 B``, cast (truncated) back to the input dtype."""
    xp = backend.xp(array)
    if array.shape[-3] == 3:
        r, g, b = (_float32_if_integer(array[..., k, :, :]) for k in range(3))
        luma = (0.2989 * r + 0.587 * g + 0.114 * b).astype(array.dtype)[..., None, :, :]   # (..., 1, H, W)
    else:
        luma = array.copy()
    if num_output_channels == 3:   # torchvision expands to the input's shape: a 1-channel input stays 1 channel
        return xp.ascontiguousarray(xp.broadcast_to(luma, array.shape))
    return luma


def blend(image, other, ratio: float):
    """``clamp(ratio * image + (1 - ratio) * other, 0, max)`` cast (truncated) to the image's dtype."""
    xp = backend.xp(image)
    ratio = float(ratio)
    mixed = ratio * _float32_if_integer(image) + (1.0 - ratio) * _float32_if_integer(other)
    return xp.clip(mixed, 0, max_value(image.dtype)).astype(image.dtype)


def adjust_brightness(array, factor: float):
    return blend(array, backend.xp(array).zeros_like(array), factor)


def adjust_contrast(array, factor: float):
    gray = rgb_to_grayscale(array) if array.shape[-3] == 3 else array
    mean = _float32_if_integer(gray).mean(axis=(-3, -2, -1), keepdims=True)           # (..., 1, 1, 1)
    return blend(array, mean, factor)


def adjust_saturation(array, factor: float):
    if array.shape[-3] == 1:  # Pillow's behaviour: nothing to saturate
        return array
    return blend(array, rgb_to_grayscale(array), factor)


def _rgb_to_hsv(array):
    """Pillow's RGB -> HSV (``Convert.c``) on floats in [0, 1], without dividing by zero."""
    xp = backend.xp(array)
    r, g, b = array[..., 0, :, :], array[..., 1, :, :], array[..., 2, :, :]
    maxc, minc = array.max(axis=-3), array.min(axis=-3)
    equal = maxc == minc
    chroma = maxc - minc
    ones = xp.ones_like(maxc)
    s = chroma / xp.where(equal, ones, maxc)
    divisor = xp.where(equal, ones, chroma)
    rc, gc, bc = (maxc - r) / divisor, (maxc - g) / divisor, (maxc - b) / divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = xp.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return h, s, maxc


def _hsv_to_rgb(h, s, v):
    xp = backend.xp(h)
    i = xp.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = xp.clip(v * (1.0 - s), 0.0, 1.0)
    q = xp.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = xp.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    # sector i of the hue circle picks (R, G, B) from (v, q, p, p, t, v) / (t, v, v, q, p, p) / (p, p, t, v, v, q)
    table = [xp.stack(c, axis=0) for c in ((v, q, p, p, t, v), (t, v, v, q, p, p), (p, p, t, v, v, q))]
    return xp.stack([xp.take_along_axis(c, i[None], axis=0)[0] for c in table], axis=-3)


def adjust_hue(array, factor: float):
    if array.shape[-3] == 1:  # Pillow's behaviour: no hue in a grey image
        return array
    x = convert_image_dtype(array, np.float32)
    h, s, v = _rgb_to_hsv(x)
    h = (h + np.float32(factor)) % np.float32(1.0)
    return convert_image_dtype(_hsv_to_rgb(h, s, v), array.dtype)


def convert_image_dtype(array, dtype):
    """Rescale pixel values between dtypes (torchvision's ``convert_image_dtype``): floats span [0, 1],
    integers [0, max]; float -> int multiplies by ``max + 1 - 0.001`` and truncates."""
    dtype = np.dtype(dtype)
    xp = backend.xp(array)
    if array.dtype == dtype:
        return array
    if array.dtype.kind == "f":
        if dtype.kind == "f":
            return array.astype(dtype)
        if (array.dtype == np.float32 and dtype in (np.int32, np.int64)) or (
                array.dtype == np.float64 and dtype == np.int64):
            raise RuntimeError(f"The cast from {array.dtype} to {dtype} cannot be performed safely.")
        return (array * array.dtype.type(max_value(dtype) + 1.0 - 1e-3)).astype(dtype)
    input_max = float(max_value(array.dtype))
    if dtype.kind == "f":
        return array.astype(dtype) / dtype.type(input_max)
    output_max = float(max_value(dtype))
    if input_max > output_max:
        return xp.floor_divide(array, int((input_max + 1) // (output_max + 1))).astype(dtype)
    return array.astype(dtype) * int((output_max + 1) // (input_max + 1))
