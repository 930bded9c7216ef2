"""``make_grid`` and ``save_image``: torchvision.utils' way of laying a batch of images out as one picture.

``make_grid`` tiles an ``(N, C, H, W)`` batch into a ``(C, rows * (H + padding) + padding,
cols * (W + padding) + padding)`` tensor, ``nrow`` images per row, ``padding`` pixels of ``pad_value``
around every tile; single-channel images become three identical channels (torchvision's rule, so the
grid is RGB). ``normalize=True`` first clamps to ``value_range`` (default: the batch's min and max, or each
image's with ``scale_each=True``) and maps it to ``[0, 1]``. ``save_image`` writes that grid as an 8-bit
image file with Pillow (``round(255 * x)`` clamped to ``[0, 255]``); Pillow is optional
(``pip install pillow``, or the ``examples`` extra).

    >>> samples = model.decode(minigrad.randn(64, 16))           # (64, 1, 28, 28), values in [0, 1]
    >>> save_image(samples, "samples.png", nrow=8)               # an 8 x 8 grid, 242 x 242 pixels
    >>> grid = make_grid(samples, nrow=8, normalize=True)        # (3, 242, 242) tensor in [0, 1]

Legend: N images, C channels, H x W image size, P padding.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor

__all__ = ["make_grid", "save_image"]


def _batch_array(tensor):
    """The images as one ``(N, C, H, W)``-or-fewer-dims array (a list of images is stacked)."""
    if isinstance(tensor, Tensor):
        return tensor.detach()._data
    if isinstance(tensor, np.ndarray) or backend.is_cupy_array(tensor):
        return tensor
    if isinstance(tensor, list):
        for t in tensor:
            if not isinstance(t, Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        if not tensor:
            raise ValueError("make_grid expects a non-empty list of tensors")
        xp = backend.xp(tensor[0]._data)
        return xp.stack([t.detach()._data for t in tensor])
    raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")


def _normalize_range(array, low: float, high: float):
    """Clamp to ``[low, high]`` and map it to ``[0, 1]`` in the array's dtype (torchvision's ``norm_ip``)."""
    xp = backend.xp(array)
    out = xp.clip(array, array.dtype.type(low), array.dtype.type(high))
    out -= array.dtype.type(low)
    out /= array.dtype.type(max(high - low, 1e-5))
    return out


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False, value_range=None,
              scale_each: bool = False, pad_value: float = 0.0) -> Tensor:
    """Tile a batch of images into one image, as ``torchvision.utils.make_grid``.

    ``tensor``: an ``(N, C, H, W)`` tensor, a ``(C, H, W)`` or ``(H, W)`` image, or a list of ``(C, H, W)``
    tensors. Returns a ``(C', H', W')`` tensor of the input's dtype (C' = 3 when C = 1), without autograd
    history; a single image comes back unpadded. The grid has ``ceil(N / nrow)`` rows of
    ``min(nrow, N)`` tiles.

        >>> make_grid(minigrad.zeros(5, 1, 4, 4), nrow=2, padding=1).shape
        minigrad.Size([3, 16, 11])
    """
    array = _batch_array(tensor)
    xp = backend.xp(array)
    if array.ndim == 2:                                     # (H, W) -> (1, H, W)
        array = array[None]
    if array.ndim == 3:                                     # (C, H, W) -> (1, C', H, W)
        if array.shape[0] == 1:
            array = xp.concatenate([array] * 3, axis=0)
        array = array[None]
    if array.ndim == 4 and array.shape[1] == 1:             # (N, 1, H, W) -> (N, 3, H, W)
        array = xp.concatenate([array] * 3, axis=1)
    if normalize is True:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")

        def norm_range(a):
            if value_range is not None:
                return _normalize_range(a, value_range[0], value_range[1])
            return _normalize_range(a, float(a.min()), float(a.max()))

        if scale_each is True:
            array = xp.stack([norm_range(image) for image in array])     # each (C, H, W) on its own range
        else:
            array = norm_range(array)
    if array.shape[0] == 1:
        return Tensor._make(array[0].copy())
    n, channels, h, w = array.shape
    cols = min(nrow, n)
    rows = int(math.ceil(float(n) / cols))
    cell_h, cell_w = int(h + padding), int(w + padding)
    # (C, rows*(H+P)+P, cols*(W+P)+P), pad_value everywhere, then each image copied into its cell
    grid = xp.full((channels, cell_h * rows + padding, cell_w * cols + padding), pad_value, dtype=array.dtype)
    for k in range(n):
        y, x = divmod(k, cols)
        grid[:, y * cell_h + padding: (y + 1) * cell_h, x * cell_w + padding: (x + 1) * cell_w] = array[k]
    return Tensor._make(grid)


def _pil_image_module():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("save_image writes image files with Pillow, which is not installed: "
                          "pip install pillow (or pip install 'minigrad[examples]')") from None
    return Image


def save_image(tensor, fp, format: str | None = None, **kwargs) -> None:
    """Write ``make_grid(tensor, **kwargs)`` to ``fp`` (a path or a binary file) as an 8-bit image.

    Pixels are ``floor(255 * x + 0.5)`` clamped to ``[0, 255]``, as torchvision; the format comes from the
    file name's extension unless ``format`` is given (required for a file object). Needs Pillow.

        >>> save_image(minigrad.rand(16, 3, 32, 32), "grid.png", nrow=4, padding=2)
    """
    Image = _pil_image_module()
    grid = make_grid(tensor, **kwargs)._data
    xp = backend.xp(grid)
    if grid.dtype.kind != "f":
        grid = grid.astype(np.float64)
    one = grid.dtype.type
    # (H', W', C) uint8 = floor(255 * grid + 0.5) clamped, in the grid's float dtype as torchvision, channels last
    scaled = xp.clip(grid * one(255) + one(0.5), 0, 255)
    pixels = backend.to_numpy(scaled.transpose(1, 2, 0)).astype(np.uint8)
    Image.fromarray(pixels).save(fp, format=format)
