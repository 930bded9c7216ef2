"""Image transforms with torchvision's names, semantics and numbers, on arrays, tensors and PIL images.

A PIL image goes through what torchvision does with it (Pillow's ``resize``, ``rotate``, ``transform``,
``ImageEnhance``, ``convert('L')``); a tensor or array goes through torchvision's tensor formulas, written
on arrays in ``image_kernels`` (resize with antialiasing as torchvision's v2 default, affine grid
sampling, Gaussian blur, HSV hue shifts). ``tests/data/test_transforms_torchvision.py`` checks both
against torchvision itself, the random transforms given the same parameters (``get_params``).

Layouts:

- a NumPy array is an image as PIL would hold it: ``(H, W)`` or ``(H, W, C)``, usually uint8 (what
  ``MNIST`` / ``CIFAR10`` return without a transform); spatial transforms return the same layout;
- a minigrad ``Tensor`` is ``(..., C, H, W)`` as in torchvision's tensor transforms (after ``ToTensor``);
  ``Normalize`` also accepts a float NumPy array laid out ``(..., C, H, W)``;
- a PIL image (when Pillow is installed, e.g. from a torchvision dataset) is converted to an array and,
  for spatial transforms, back to a PIL image.

Random transforms draw from ``minigrad.data.generator()``: inside a ``DataLoader`` that is a generator
seeded per batch (deterministic for any ``num_workers``), outside it is minigrad's global generator
(seeded by ``minigrad.manual_seed``).

Per-sample transforms run Python code for every image; for CIFAR-sized data the batched helpers at the
end of this file (``to_tensor_batch``, ``random_crop_batch``, ``random_horizontal_flip_batch``,
``normalize_batch``) do the same work on a whole ``(N, C, H, W)`` batch in a few array operations, on
NumPy or CuPy arrays or minigrad tensors:

    >>> train = CIFAR10(root, train=True)                # no per-sample transform: uint8 (32, 32, 3)
    >>> def augment(batch):                              # runs in the loader's threads
    ...     images, labels = default_collate(batch)      # (N, 32, 32, 3) uint8
    ...     x = to_tensor_batch(images)                  # (N, 3, 32, 32) float32 in [0, 1]
    ...     x = random_crop_batch(x, 32, padding=4)
    ...     x = random_horizontal_flip_batch(x)
    ...     return normalize_batch(x, CIFAR_MEAN, CIFAR_STD), labels
    >>> loader = DataLoader(train, batch_size=128, shuffle=True, num_workers=2, collate_fn=augment)

Per-sample equivalent (torchvision's classic recipe):

    >>> transform = Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(), ToTensor(),
    ...                      Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))])
"""
from __future__ import annotations

import enum
import math
import numbers
import sys
from collections.abc import Sequence

import numpy as np

from .. import backend, dtypes
from ..autograd.tensor import Tensor
from . import image_kernels as kernels
from .worker import generator as _data_generator

__all__ = [
    # classes
    "Compose", "ToTensor", "PILToTensor", "ToPILImage", "ConvertImageDtype", "Normalize", "Lambda", "Resize",
    "Pad", "CenterCrop", "RandomCrop", "RandomResizedCrop", "FiveCrop", "TenCrop", "RandomHorizontalFlip",
    "RandomVerticalFlip", "RandomRotation", "RandomAffine", "ColorJitter", "Grayscale", "RandomGrayscale",
    "GaussianBlur", "RandomErasing", "RandomApply", "RandomChoice", "RandomOrder", "InterpolationMode",
    # functional
    "to_tensor", "to_pil_image", "convert_image_dtype", "normalize", "resize", "pad", "crop", "center_crop",
    "resized_crop", "five_crop", "ten_crop", "hflip", "vflip", "rotate", "affine", "rgb_to_grayscale",
    "to_grayscale", "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue", "gaussian_blur",
    "erase", "get_dimensions",
    # batched helpers
    "to_tensor_batch", "random_crop_batch", "random_horizontal_flip_batch", "normalize_batch"]

_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


# ---- image kinds ---------------------------------------------------------------------------------
def _pil_module():
    return sys.modules.get("PIL.Image")


def _is_pil_image(img) -> bool:
    pil = _pil_module()
    return pil is not None and isinstance(img, pil.Image)


class _Image:
    """An image taken apart into (array, spatial axes) and put back together in its original kind."""

    def __init__(self, img):
        self.kind = "tensor" if isinstance(img, Tensor) else "pil" if _is_pil_image(img) else "array"
        if self.kind == "tensor":
            self.array, self.h_axis = img._data, img.ndim - 2     # (..., C, H, W)
        elif self.kind == "pil":
            self.mode, self.pil = img.mode, img
            self.array, self.h_axis = np.array(img), 0            # (H, W[, C])
        elif isinstance(img, np.ndarray) or backend.is_cupy_array(img):
            self.array, self.h_axis = img, 0                      # (H, W[, C])
        else:
            raise TypeError(f"img should be a NumPy array, a minigrad Tensor or a PIL Image. Got {type(img)}")
        if self.array.ndim < 2 or (self.kind == "array" and self.array.ndim > 3):
            raise ValueError(f"Expected an image of shape (H, W), (H, W, C) or a tensor (..., H, W), "
                             f"got shape {tuple(self.array.shape)}")

    @property
    def size_hw(self) -> tuple[int, int]:
        return int(self.array.shape[self.h_axis]), int(self.array.shape[self.h_axis + 1])

    def rebuild(self, array):
        if self.kind == "tensor":
            return Tensor._make(array)
        if self.kind == "pil":
            return _pil_module().fromarray(np.ascontiguousarray(array), mode=None if self.mode == "1" else self.mode)
        return array

    @property
    def num_channels(self) -> int:
        return int(self.chw().shape[-3])

    def chw(self):
        """The pixels laid out ``(..., C, H, W)``, as torchvision's tensor kernels take them."""
        a = self.array
        if self.kind == "tensor":
            return a[None] if a.ndim == 2 else a                   # (H, W) -> (1, H, W)
        return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)    # (H, W[, C]) -> (C, H, W)

    def rebuild_chw(self, chw):
        """The inverse of ``chw``: the same kind and layout as the input (its channel count may change)."""
        xp = backend.xp(chw)
        if self.array.ndim == 2 and chw.shape[-3] == 1:
            return self.rebuild(chw[..., 0, :, :])
        if self.kind == "tensor":
            return Tensor._make(chw)
        hwc = xp.ascontiguousarray(chw.transpose(1, 2, 0))
        if self.kind == "pil":
            return to_pil_image(hwc, mode=self.mode if hwc.shape[2] == len(self.pil.getbands()) else None)
        return hwc


def _setup_size(size, error_msg: str = "Please provide only two dimensions (h, w) for size.") -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(error_msg)
    return int(size[0]), int(size[1])


def _parse_padding(padding) -> tuple[int, int, int, int]:
    """torchvision's rule: int -> all sides; (lr, tb); (left, top, right, bottom)."""
    if isinstance(padding, numbers.Number):
        padding = [int(padding)]
    if not isinstance(padding, (list, tuple)):
        raise TypeError("Got inappropriate padding arg")
    if len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if len(padding) == 1:
        left = top = right = bottom = int(padding[0])
    elif len(padding) == 2:
        left = right = int(padding[0])
        top = bottom = int(padding[1])
    else:
        left, top, right, bottom = (int(p) for p in padding)
    if min(left, top, right, bottom) < 0:
        raise ValueError("minigrad transforms support only non-negative padding")
    return left, top, right, bottom


# ---- functional API (torchvision.transforms.functional) -------------------------------------------
def to_tensor(pic) -> Tensor:
    """``(H, W[, C])`` image -> ``(C, H, W)`` tensor; uint8 is scaled to ``[0, 1]`` in the default float dtype.

    Other dtypes keep their values and dtype (torchvision's rule). PIL images are converted first
    (mode ``'1'`` becomes 0/255 uint8, as torchvision does).
    """
    if _is_pil_image(pic):
        array = np.array(pic)
        if pic.mode == "1":
            array = 255 * array.astype(np.uint8)
        pic = array
    if not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if pic.ndim not in {2, 3}:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.ndim == 2:
        pic = pic[:, :, None]
    chw = np.ascontiguousarray(pic.transpose(2, 0, 1))  # (C, H, W) = (H, W, C) transposed
    if chw.dtype == np.uint8:
        float_type = np.dtype(dtypes.get_default_dtype().numpy).type
        chw = chw.astype(float_type) / float_type(255)
    return Tensor._make(chw)


def normalize(tensor, mean, std, inplace: bool = False):
    """``(x[c] - mean[c]) / std[c]`` over the channel dim of a ``(..., C, H, W)`` float tensor or array."""
    is_tensor = isinstance(tensor, Tensor)
    if not is_tensor and not (isinstance(tensor, np.ndarray) or backend.is_cupy_array(tensor)):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    array = tensor._data if is_tensor else tensor
    if array.dtype.kind != "f":
        raise TypeError(f"Input tensor should be a float tensor. Got {dtypes.from_numpy_dtype(array.dtype) if is_tensor else array.dtype}.")
    if array.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = {tuple(array.shape)}")
    out = _normalize_array(array, mean, std, channel_axis=array.ndim - 3, inplace=inplace)
    if is_tensor:
        if inplace:
            tensor._vc.value += 1
            return tensor
        return Tensor._make(out)
    return out


def _normalize_array(array, mean, std, channel_axis: int, inplace: bool = False):
    xp = backend.xp(array)
    shape = [1] * array.ndim
    shape[channel_axis] = -1
    mean = xp.asarray(mean, dtype=array.dtype).reshape(-1)
    std = xp.asarray(std, dtype=array.dtype).reshape(-1)
    if bool((std == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {array.dtype}, leading to division by zero.")
    mean, std = mean.reshape(shape), std.reshape(shape)  # broadcast over (..., C, 1, 1)
    if inplace:
        array -= mean
        array /= std
        return array
    return (array - mean) / std


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the spatial dims: ``padding`` int / (lr, tb) / (left, top, right, bottom), torchvision's modes."""
    if padding_mode not in _PADDING_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_padding(padding)
    image = _Image(img)
    array = image.array
    widths = [(0, 0)] * array.ndim
    widths[image.h_axis], widths[image.h_axis + 1] = (top, bottom), (left, right)
    xp = backend.xp(array)
    if padding_mode != "constant":
        return image.rebuild(xp.pad(array, widths, mode=padding_mode))
    if isinstance(fill, (list, tuple)) and image.kind != "tensor" and array.ndim == 3:
        if len(fill) not in (1, array.shape[2]):
            raise ValueError(f"fill should have 1 or {array.shape[2]} values, got {len(fill)}")
        fills = list(fill) * (array.shape[2] if len(fill) == 1 else 1)
        channels = [xp.pad(array[:, :, c], widths[:2], mode="constant", constant_values=fills[c])
                    for c in range(array.shape[2])]
        return image.rebuild(xp.stack(channels, axis=2))
    if isinstance(fill, (list, tuple)):
        if len(set(fill)) != 1:
            raise TypeError("a per-channel fill is supported for (H, W, C) arrays and PIL images only")
        fill = fill[0]
    return image.rebuild(xp.pad(array, widths, mode="constant", constant_values=fill))


def crop(img, top: int, left: int, height: int, width: int):
    """The window ``[top:top+height, left:left+width]`` of the spatial dims."""
    image = _Image(img)
    index = [slice(None)] * image.array.ndim
    index[image.h_axis] = slice(top, top + height)
    index[image.h_axis + 1] = slice(left, left + width)
    return image.rebuild(image.array[tuple(index)].copy())


def center_crop(img, output_size):
    """The central ``output_size`` window; an image smaller than that is first padded with zeros (torchvision)."""
    th, tw = _setup_size(output_size)
    h, w = _Image(img).size_hw
    if th > h or tw > w:
        padding_ltrb = [(tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                        (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0]
        img = pad(img, padding_ltrb, fill=0)
        h, w = _Image(img).size_hw
        if (th, tw) == (h, w):
            return img
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


def _flip(img, axis_offset: int):
    image = _Image(img)
    index = [slice(None)] * image.array.ndim
    index[image.h_axis + axis_offset] = slice(None, None, -1)
    return image.rebuild(image.array[tuple(index)].copy())


def hflip(img):
    """Mirror left-right (reverse the width axis)."""
    return _flip(img, 1)


def vflip(img):
    """Mirror top-bottom (reverse the height axis)."""
    return _flip(img, 0)


# ---- interpolation modes and PIL conversions ------------------------------------------------------------
class InterpolationMode(enum.Enum):
    """torchvision's interpolation modes; their values are the mode names ``torch.nn.functional.interpolate``
    uses. Tensors take ``NEAREST``, ``NEAREST_EXACT``, ``BILINEAR`` and ``BICUBIC``; PIL images all of them."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's resampling filter numbers (Image.Resampling): NEAREST 0, LANCZOS 1, BILINEAR 2, BICUBIC 3, BOX 4, HAMMING 5
_PIL_FILTERS = {InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0, InterpolationMode.BILINEAR: 2,
                InterpolationMode.BICUBIC: 3, InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
                InterpolationMode.LANCZOS: 1}
_FROM_PIL_FILTER = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
                    4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


def _interpolation(mode) -> InterpolationMode:
    """An ``InterpolationMode`` from ours, torchvision's (same values), a mode name or a Pillow filter number."""
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, bool) or not isinstance(mode, (int, str, enum.Enum)):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                        f"constant, got {type(mode)}")
    if isinstance(mode, int):
        return _FROM_PIL_FILTER[mode]
    return InterpolationMode(mode.value if isinstance(mode, enum.Enum) else mode)


def to_pil_image(pic, mode=None):
    """A ``(C, H, W)`` tensor or ``(H, W[, C])`` array as a PIL image (torchvision's ``to_pil_image``):
    floats are scaled by 255 to uint8 (unless ``mode='F'``); the mode follows from channels and dtype."""
    Image = _pil_image_module()
    if isinstance(pic, Tensor):
        pic = backend.to_numpy(pic._data)
        if pic.ndim == 3:
            pic = pic.transpose(1, 2, 0)                           # (H, W, C) = (C, H, W) moved
    elif backend.is_cupy_array(pic):
        pic = backend.to_numpy(pic)
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = pic[:, :, None]
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)
    channels = npimg.shape[2]
    if channels == 1:
        npimg = npimg[:, :, 0]
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16" if sys.byteorder == "little" else "I;16B",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(npimg.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {npimg.dtype}. Should be {expected}")
        mode = expected
    else:
        permitted = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {channels}D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    # frombuffer reads the bytes in `mode` (Image.fromarray's mode argument is deprecated since Pillow 11.3)
    npimg = np.ascontiguousarray(npimg)
    return Image.frombuffer(mode, (npimg.shape[1], npimg.shape[0]), npimg.tobytes(), "raw", mode, 0, 1)


def _pil_image_module():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("this needs Pillow, which is not installed: pip install pillow") from None
    return Image


def _pil_fill(fill, pil) -> dict:
    """torchvision's ``_parse_fill``: the ``fillcolor`` Pillow's ``rotate`` / ``transform`` take."""
    channels = len(pil.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and channels > 1:
        fill = tuple([fill] * channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * channels
        elif len(fill) != channels:
            raise ValueError("The number of elements in 'fill' does not match the number of channels of the image "
                             f"({len(fill)} != {channels})")
        fill = tuple(fill)
    if pil.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {"fillcolor": fill}


def get_dimensions(img) -> list[int]:
    """``[channels, height, width]``."""
    image = _Image(img)
    return [image.num_channels, *image.size_hw]


# ---- geometry ------------------------------------------------------------------------------------------------
def _resized_output_size(size_hw, size, max_size=None) -> list[int]:
    """torchvision's ``_compute_resized_output_size``: an int (or [int]) sets the smaller edge, keeping the
    aspect ratio (the longer edge truncated, then capped at ``max_size``); (h, w) is taken as is."""
    h, w = size_hw
    if isinstance(size, numbers.Number):
        size = [int(size)]
    if size is None:
        if not isinstance(max_size, int):
            raise ValueError(f"max_size must be an integer when size is None, but got {max_size} instead.")
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = int(max_size * short / long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        return [new_h, new_w]
    if len(size) == 1:
        short, long = (w, h) if w <= h else (h, w)
        requested = size[0]
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                                 f"smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        return [new_h, new_w]
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, i.e. "
                         "size should be an int or a sequence of length 1 in torchscript mode.")
    return [int(size[0]), int(size[1])]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias: bool | None = True):
    """Resize the spatial dims to ``size`` (see ``_resized_output_size``), as torchvision.

    PIL images go through Pillow's ``resize`` (always antialiased); tensors and arrays through
    ``image_kernels.resize``: nearest / nearest-exact index, bilinear / bicubic with PyTorch's
    ``interpolate`` weights, antialiased when ``antialias`` (torchvision's default) as Pillow does.
    """
    interpolation = _interpolation(interpolation)
    if size is not None and not isinstance(size, (int, list, tuple)):
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    if isinstance(size, (list, tuple)) and len(size) not in (1, 2):
        raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element tuple/list")
    image = _Image(img)
    new_hw = _resized_output_size(image.size_hw, size, max_size)
    if list(image.size_hw) == new_hw:
        return img
    if image.kind == "pil":
        return image.pil.resize((new_hw[1], new_hw[0]), resample=_PIL_FILTERS[interpolation])
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT, InterpolationMode.BILINEAR,
                             InterpolationMode.BICUBIC):
        raise ValueError(f"Interpolation mode '{interpolation.value}' is unsupported with Tensor input")
    return image.rebuild_chw(kernels.resize(image.chw(), new_hw, interpolation.value, bool(antialias)))


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True):
    """``crop`` then ``resize`` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def five_crop(img, size):
    """The four corner crops and the centre crop: (top-left, top-right, bottom-left, bottom-right, centre)."""
    size = _setup_size(size)
    image_h, image_w = _Image(img).size_hw
    crop_h, crop_w = size
    if crop_w > image_w or crop_h > image_h:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(image_h, image_w)}")
    return (crop(img, 0, 0, crop_h, crop_w), crop(img, 0, image_w - crop_w, crop_h, crop_w),
            crop(img, image_h - crop_h, 0, crop_h, crop_w),
            crop(img, image_h - crop_h, image_w - crop_w, crop_h, crop_w), center_crop(img, [crop_h, crop_w]))


def ten_crop(img, size, vertical_flip: bool = False):
    """``five_crop`` of the image and of its mirror image (horizontal, or vertical with ``vertical_flip``)."""
    size = _setup_size(size)
    return five_crop(img, size) + five_crop(vflip(img) if vertical_flip else hflip(img), size)


def _check_fill(fill):
    if fill is not None and not isinstance(fill, (int, float, tuple, list)):
        raise TypeError("Argument fill should be either int, float, tuple or list")


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False, center=None,
           fill=None):
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (default: the image centre).

    PIL images: Pillow's ``rotate``. Tensors and arrays: torchvision's affine grid and ``grid_sample``
    (nearest or bilinear; outside the input is 0, or ``fill``). ``expand`` enlarges the canvas to hold
    the whole rotated image.
    """
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _check_fill(fill)
    image = _Image(img)
    if image.kind == "pil":
        return image.pil.rotate(angle, _PIL_FILTERS[interpolation], expand, center, **_pil_fill(fill, image.pil))
    height, width = image.size_hw
    center_f = [0.0, 0.0] if center is None else [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    # torchvision's affine and rotate disagree on the sign of the angle: rotate passes -angle
    matrix = kernels.inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    out_w, out_h = kernels.affine_output_size(matrix, width, height) if expand else (width, height)
    return image.rebuild_chw(kernels.affine_grid_sample(image.chw(), matrix, _grid_mode(interpolation),
                                                        (out_h, out_w), _tensor_fill(fill, image)))


def affine(img, angle: float, translate, scale: float, shear, interpolation=InterpolationMode.NEAREST, fill=None,
           center=None):
    """Rotate by ``angle``, scale, shear (degrees, x then y) about ``center``, then translate by ``translate``
    pixels, keeping the image size (torchvision's ``affine``, Pillow's ``transform`` for PIL images)."""
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    _check_fill(fill)
    shear = [float(shear), 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    image = _Image(img)
    height, width = image.size_hw
    if image.kind == "pil":
        # Pillow's centre without the 0.5 offset, as torchvision (a 90-degree turn then matches torch.rot90)
        pil_center = [width * 0.5, height * 0.5] if center is None else center
        matrix = kernels.inverse_affine_matrix(pil_center, float(angle), list(translate), scale, shear)
        return image.pil.transform(image.pil.size, 0, matrix, _PIL_FILTERS[interpolation],   # 0: Image.AFFINE
                                   **_pil_fill(fill, image.pil))
    center_f = [0.0, 0.0] if center is None else [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = kernels.inverse_affine_matrix(center_f, float(angle), [1.0 * t for t in translate], scale, shear)
    return image.rebuild_chw(kernels.affine_grid_sample(image.chw(), matrix, _grid_mode(interpolation), None,
                                                        _tensor_fill(fill, image)))


def _grid_mode(interpolation: InterpolationMode) -> str:
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise ValueError(f"Interpolation mode '{interpolation.value}' is unsupported with Tensor input")
    return interpolation.value


def _tensor_fill(fill, image):
    channels = image.num_channels
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of channels of "
                         f"the image ({len(fill)} != {channels})")
    return fill


# ---- colour ----------------------------------------------------------------------------------------------------
def _color_channels(image, permitted=(1, 3)):
    if image.num_channels not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {list(permitted)}, but found "
                        f"{image.num_channels}")


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` (Pillow's ``convert('L')`` for PIL images), 1 or 3 channels."""
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    image = _Image(img)
    if image.kind == "pil":
        gray = image.pil.convert("L")
        return gray if num_output_channels == 1 else to_pil_image(np.dstack([np.array(gray)] * 3), "RGB")
    _color_channels(image)
    return image.rebuild_chw(kernels.rgb_to_grayscale(image.chw(), num_output_channels))


to_grayscale = rgb_to_grayscale


def _enhance(img, factor: float, name: str, kernel, pil_enhancer: str):
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")
    image = _Image(img)
    if image.kind == "pil":
        from PIL import ImageEnhance
        return getattr(ImageEnhance, pil_enhancer)(image.pil).enhance(factor)
    _color_channels(image)
    return image.rebuild_chw(kernel(image.chw(), factor))


def adjust_brightness(img, brightness_factor: float):
    """Blend with black: 0 gives black, 1 the image, 2 twice as bright (clamped)."""
    return _enhance(img, brightness_factor, "brightness_factor", kernels.adjust_brightness, "Brightness")


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level of the image."""
    return _enhance(img, contrast_factor, "contrast_factor", kernels.adjust_contrast, "Contrast")


def adjust_saturation(img, saturation_factor: float):
    """Blend with the grayscale image: 0 gives grey, 1 the image."""
    return _enhance(img, saturation_factor, "saturation_factor", kernels.adjust_saturation, "Color")


def adjust_hue(img, hue_factor: float):
    """Rotate the hue by ``hue_factor`` turns (in [-0.5, 0.5]) in HSV space."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    image = _Image(img)
    if image.kind == "pil":
        Image = _pil_image_module()
        if image.mode in {"L", "1", "I", "F"}:
            return image.pil
        h, s, v = image.pil.convert("HSV").split()
        np_h = np.array(h, dtype=np.uint8)
        np_h += np.int32(hue_factor * 255).astype(np.uint8)   # wraps around, as a hue should
        return Image.merge("HSV", (to_pil_image(np_h, "L"), s, v)).convert(image.mode)
    _color_channels(image)
    return image.rebuild_chw(kernels.adjust_hue(image.chw(), hue_factor))


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a ``kernel_size`` Gaussian of standard deviation ``sigma`` (default ``0.15 * k + 0.35``),
    borders reflected; PIL images are blurred as uint8 tensors and converted back, as torchvision does."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    image = _Image(img)
    return image.rebuild_chw(kernels.gaussian_blur(image.chw(), list(kernel_size), list(sigma)))


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """Set the window ``[i:i+h, j:j+w]`` of a ``(..., C, H, W)`` tensor to ``v`` (broadcast to ``(C, h, w)``)."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    array = img._data if inplace else img._data.copy()
    xp = backend.xp(array)
    value = v._data if isinstance(v, Tensor) else v
    array[..., i:i + h, j:j + w] = xp.asarray(value).astype(array.dtype)
    if inplace:
        img._vc.value += 1
        return img
    return Tensor._make(array)


def convert_image_dtype(image, dtype=None):
    """Convert a tensor image to ``dtype`` (default: the default float dtype), rescaling the values:
    floats are in [0, 1], integers in [0, max of the dtype] (torchvision's ``convert_image_dtype``)."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    target = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    return Tensor._make(kernels.convert_image_dtype(image._data, target.numpy))


# ---- transform classes -----------------------------------------------------------------------------
class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({body}\n)"


class ToTensor:
    """``(H, W[, C])`` uint8 image -> ``(C, H, W)`` float tensor in ``[0, 1]`` (see ``to_tensor``)."""

    def __call__(self, pic) -> Tensor:
        return to_tensor(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """``(H, W[, C])`` image -> ``(C, H, W)`` tensor of the same dtype, without scaling."""

    def __call__(self, pic) -> Tensor:
        array = np.array(pic) if _is_pil_image(pic) else pic
        if not isinstance(array, np.ndarray):
            raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
        if array.ndim == 2:
            array = array[:, :, None]
        return Tensor._make(np.ascontiguousarray(array.transpose(2, 0, 1)))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class Normalize:
    """``output[c] = (input[c] - mean[c]) / std[c]`` on a ``(..., C, H, W)`` float tensor."""

    def __init__(self, mean, std, inplace: bool = False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        return normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Pad:
    """Pad the borders (see ``pad``)."""

    def __init__(self, padding, fill=0, padding_mode: str = "constant"):
        _parse_padding(padding)
        if padding_mode not in _PADDING_MODES:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class CenterCrop:
    def __init__(self, size):
        self.size = _setup_size(size)

    def __call__(self, img):
        return center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class RandomCrop:
    """Crop a random ``size`` window, after optional padding (torchvision's rules).

    ``padding`` pads every side first; ``pad_if_needed`` then pads an image smaller than ``size`` by the
    shortfall on both sides of that dim. The window's top-left corner ``(i, j)`` is uniform over
    ``[0, H - h] x [0, W - w]`` (``i`` drawn first).
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0, padding_mode: str = "constant"):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        if padding is not None:
            _parse_padding(padding)
        if padding_mode not in _PADDING_MODES:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    @staticmethod
    def get_params(img, output_size) -> tuple[int, int, int, int]:
        """``(i, j, h, w)`` of a random crop of ``output_size``."""
        h, w = _Image(img).size_hw
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        rng = _data_generator()
        i = int(rng.integers(0, h - th + 1))
        j = int(rng.integers(0, w - tw + 1))
        return i, j, th, tw

    def __call__(self, img):
        if self.padding is not None:
            img = pad(img, self.padding, self.fill, self.padding_mode)
        height, width = _Image(img).size_hw
        if self.pad_if_needed and width < self.size[1]:
            img = pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return crop(img, i, j, h, w)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p``."""

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, img):
        return hflip(img) if _data_generator().random() < self.p else img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomVerticalFlip:
    """Mirror top-bottom with probability ``p``."""

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, img):
        return vflip(img) if _data_generator().random() < self.p else img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class Lambda:
    """A user function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class Resize:
    """Resize to ``size``: an int sets the smaller edge (aspect ratio kept), ``(h, w)`` the exact size (``resize``)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias: bool | None = True):
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = _interpolation(interpolation)

    def __call__(self, img):
        return resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


def _uniform(low: float, high: float) -> float:
    return float(_data_generator().uniform(low, high))


def _randint(low: int, high: int) -> int:
    """An int in ``[low, high)``."""
    return int(_data_generator().integers(low, high))


class RandomResizedCrop:
    """Crop a random window of ``scale`` times the area and aspect ratio in ``ratio`` (log-uniform), then
    resize it to ``size`` (the Inception-style crop; torchvision's ``get_params``: 10 tries, then a
    centre crop at the nearest allowed ratio)."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=InterpolationMode.BILINEAR,
                 antialias: bool | None = True):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            import warnings
            warnings.warn("Scale and ratio should be of kind (min, max)")
        self.interpolation, self.antialias = _interpolation(interpolation), antialias
        self.scale, self.ratio = scale, ratio

    @staticmethod
    def get_params(img, scale, ratio) -> tuple[int, int, int, int]:
        """``(i, j, h, w)`` of a random window."""
        height, width = _Image(img).size_hw
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                return _randint(0, height - h + 1), _randint(0, width - w + 1), h, w
        in_ratio = float(width) / float(height)   # fallback: the central window of the nearest allowed ratio
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return resized_crop(img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={self.interpolation.value}, "
                f"antialias={self.antialias})")


class FiveCrop:
    """The four corners and the centre, as a tuple of 5 images (see ``five_crop``)."""

    def __init__(self, size):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def __call__(self, img):
        return five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class TenCrop:
    """``FiveCrop`` of the image and of its mirror image: a tuple of 10 images (see ``ten_crop``)."""

    def __init__(self, size, vertical_flip: bool = False):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        self.vertical_flip = vertical_flip

    def __call__(self, img):
        return ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


class ColorJitter:
    """Random brightness, contrast, saturation and hue changes, applied in a random order.

    Each argument is a factor range: a number ``x`` means ``[max(0, 1 - x), 1 + x]`` (hue: ``[-x, x]``,
    ``x <= 0.5``), a pair is taken as ``(min, max)``; 0 turns the change off.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    @staticmethod
    def _check_input(value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        return None if value[0] == value[1] == center else tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """``(order, b, c, s, h)``: a permutation of the four changes and each factor (None when off)."""
        order = [int(k) for k in _data_generator().permutation(4)]
        b = None if brightness is None else _uniform(brightness[0], brightness[1])
        c = None if contrast is None else _uniform(contrast[0], contrast[1])
        s = None if saturation is None else _uniform(saturation[0], saturation[1])
        h = None if hue is None else _uniform(hue[0], hue[1])
        return order, b, c, s, h

    def __call__(self, img):
        order, b, c, s, h = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        return self.apply(img, order, b, c, s, h)

    @staticmethod
    def apply(img, order, brightness_factor, contrast_factor, saturation_factor, hue_factor):
        """The changes with given parameters (what ``__call__`` does after ``get_params``)."""
        for fn_id in order:
            if fn_id == 0 and brightness_factor is not None:
                img = adjust_brightness(img, brightness_factor)
            elif fn_id == 1 and contrast_factor is not None:
                img = adjust_contrast(img, contrast_factor)
            elif fn_id == 2 and saturation_factor is not None:
                img = adjust_saturation(img, saturation_factor)
            elif fn_id == 3 and hue_factor is not None:
                img = adjust_hue(img, hue_factor)
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


def _setup_angle(x, name, req_sizes=(2,)) -> list[float]:
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        _check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def _check_sequence_input(x, name, req_sizes) -> None:
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join([str(s) for s in req_sizes])
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}.")


def _transform_fill(fill, img):
    """torchvision's classes pass tensors a per-channel float list; PIL images get the fill as given."""
    if isinstance(img, Tensor) or not _is_pil_image(img):
        channels = _Image(img).num_channels
        return [float(fill)] * channels if isinstance(fill, (int, float)) else [float(f) for f in fill]
    return fill


class RandomRotation:
    """Rotate by an angle drawn uniformly from ``degrees`` (a number ``d`` means ``(-d, d)``); see ``rotate``."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand: bool = False, center=None, fill=0):
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.interpolation, self.expand, self.center, self.fill = _interpolation(interpolation), expand, center, fill

    @staticmethod
    def get_params(degrees) -> float:
        return _uniform(float(degrees[0]), float(degrees[1]))

    def __call__(self, img):
        fill = _transform_fill(self.fill, img)
        return rotate(img, self.get_params(self.degrees), self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        center = f", center={self.center}" if self.center is not None else ""
        return (f"{self.__class__.__name__}(degrees={self.degrees}, interpolation={self.interpolation.value}, "
                f"expand={self.expand}{center}, fill={self.fill})")


class RandomAffine:
    """A random ``affine``: angle from ``degrees``, translation up to ``translate`` (fractions of width and
    height, rounded to whole pixels), scale from ``scale``, shear from ``shear`` (x, or x then y)."""

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation=InterpolationMode.NEAREST,
                 fill=0, center=None):
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            _check_sequence_input(translate, "translate", req_sizes=(2,))
            for t in translate:
                if not (0.0 <= t <= 1.0):
                    raise ValueError("translation values should be between 0 and 1")
        if scale is not None:
            _check_sequence_input(scale, "scale", req_sizes=(2,))
            for s in scale:
                if s <= 0:
                    raise ValueError("scale values should be positive")
        self.translate, self.scale = translate, scale
        self.shear = _setup_angle(shear, name="shear", req_sizes=(2, 4)) if shear is not None else None
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.interpolation, self.fill, self.center = _interpolation(interpolation), fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """``(angle, (tx, ty), scale, (shear_x, shear_y))``; ``img_size`` is ``[width, height]``."""
        angle = _uniform(float(degrees[0]), float(degrees[1]))
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (int(round(_uniform(-max_dx, max_dx))), int(round(_uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = _uniform(scale_ranges[0], scale_ranges[1]) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        height, width = _Image(img).size_hw
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear, [width, height])
        return affine(img, *params, interpolation=self.interpolation, fill=_transform_fill(self.fill, img),
                      center=self.center)

    def __repr__(self) -> str:
        s = f"{self.__class__.__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        s += f", interpolation={self.interpolation.value}" if self.interpolation != InterpolationMode.NEAREST else ""
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"


class Grayscale:
    """Convert to grayscale with 1 or 3 (equal) channels (see ``rgb_to_grayscale``)."""

    def __init__(self, num_output_channels: int = 1):
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return rgb_to_grayscale(img, self.num_output_channels)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale:
    """Convert to grayscale with probability ``p``, keeping the number of channels."""

    def __init__(self, p: float = 0.1):
        self.p = p

    def __call__(self, img):
        channels = _Image(img).num_channels
        if _data_generator().random() < self.p:
            return rgb_to_grayscale(img, num_output_channels=channels)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class GaussianBlur:
    """Blur with a Gaussian of ``kernel_size`` and a standard deviation drawn uniformly from ``sigma``."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self.kernel_size = _setup_size(kernel_size, "Kernel size should be a tuple/list of two integers")
        for k in self.kernel_size:
            if k <= 0 or k % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        return _uniform(sigma_min, sigma_max)

    def __call__(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return gaussian_blur(img, list(self.kernel_size), [sigma, sigma])

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomErasing:
    """With probability ``p``, overwrite a random window of a ``(..., C, H, W)`` tensor (Zhong et al., "Random
    Erasing Data Augmentation", arXiv:1708.04896): area fraction from ``scale``, aspect ratio log-uniform in
    ``ratio``, filled with ``value`` (a number, one per channel, or ``'random'``: standard normal noise)."""

    def __init__(self, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace: bool = False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            import warnings
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """``(i, j, h, w, v)``: the window and its fill (``(C, h, w)`` noise when ``value`` is None); the whole
        image and itself when 10 tries find no window that fits."""
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = Tensor._make(_data_generator().standard_normal((img_c, h, w)).astype(np.float32))
            else:
                v = Tensor._make(np.asarray(value, dtype=np.float32)[:, None, None])
            return _randint(0, img_h - h + 1), _randint(0, img_w - w + 1), h, w, v
        return 0, 0, img_h, img_w, img

    def __call__(self, img):
        if not isinstance(img, Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(img)}")
        if _data_generator().random() < self.p:
            if isinstance(self.value, (int, float)):
                value = [float(self.value)]
            elif isinstance(self.value, str):
                value = None
            else:
                value = [float(v) for v in self.value]
            if value is not None and len(value) not in (1, img.shape[-3]):
                raise ValueError("If value is a sequence, it should have either a single value or "
                                 f"{img.shape[-3]} (number of input channels)")
            i, j, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
            return erase(img, i, j, h, w, v, self.inplace)
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value}, "
                f"inplace={self.inplace})")


class ConvertImageDtype:
    """Convert a tensor image to ``dtype``, rescaling values (see ``convert_image_dtype``)."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __call__(self, image):
        return convert_image_dtype(image, self.dtype)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class ToPILImage:
    """A tensor or array as a PIL image (see ``to_pil_image``); needs Pillow."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        mode = f"mode={self.mode}" if self.mode is not None else ""
        return f"{self.__class__.__name__}({mode})"


class RandomApply:
    """Apply all of ``transforms`` with probability ``p``, none otherwise."""

    def __init__(self, transforms, p: float = 0.5):
        self.transforms, self.p = transforms, p

    def __call__(self, img):
        if self.p < _data_generator().random():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}(\n    p={self.p}{body}\n)"


class RandomChoice:
    """Apply one of ``transforms``, picked with probabilities proportional to ``p`` (default: uniform)."""

    def __init__(self, transforms, p=None):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if p is not None and len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}")
        self.transforms, self.p = transforms, p

    def __call__(self, *args):
        weights = np.ones(len(self.transforms)) if self.p is None else np.asarray(self.p, dtype=np.float64)
        index = int(_data_generator().choice(len(self.transforms), p=weights / weights.sum()))
        return self.transforms[index](*args)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(transforms={self.transforms}, p={self.p})"


class RandomOrder:
    """Apply all of ``transforms`` in a random order."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for k in _data_generator().permutation(len(self.transforms)):
            img = self.transforms[int(k)](img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({body}\n)"


# ---- batched helpers: one call per (N, C, H, W) batch ------------------------------------------------
# Legend: N batch, C channels, H x W input size, h x w crop size, P = padded.
def _batch_array(images):
    if isinstance(images, Tensor):
        return images._data, True
    if isinstance(images, np.ndarray) or backend.is_cupy_array(images):
        return images, False
    raise TypeError(f"images should be a minigrad Tensor or an array, got {type(images)}")


def to_tensor_batch(images, channels_last: bool = True) -> Tensor:
    """``(N, H, W[, C])`` uint8 images -> ``(N, C, H, W)`` float tensor in ``[0, 1]``: ``ToTensor`` for a batch.

    ``channels_last=False`` takes ``(N, C, H, W)`` input. Non-uint8 input keeps its values and dtype.
    """
    array, _ = _batch_array(images)
    xp = backend.xp(array)
    if array.ndim == 3:
        array = array[:, None] if not channels_last else array[..., None]
    if channels_last:
        array = array.transpose(0, 3, 1, 2)  # (N, C, H, W) = (N, H, W, C) transposed
    array = xp.ascontiguousarray(array)
    if array.dtype == np.uint8:
        float_type = np.dtype(dtypes.get_default_dtype().numpy).type
        array = array.astype(float_type) / float_type(255)
    return Tensor._make(array)


def normalize_batch(images, mean, std):
    """``(x[:, c] - mean[c]) / std[c]`` for an ``(N, C, H, W)`` batch (tensor in, tensor out)."""
    return normalize(images, mean, std)


def random_crop_batch(images, size, padding=0, fill=0, padding_mode: str = "constant", generator=None):
    """``RandomCrop(size, padding)`` applied independently to each image of an ``(N, C, H, W)`` batch.

    Pads once, draws every image's corner ``(i_n, j_n)`` at once (all ``i`` then all ``j``), and gathers
    all windows with one advanced index into a sliding-window view. Returns the same kind (tensor or
    array) on the same device.
    """
    array, is_tensor = _batch_array(images)
    if padding_mode not in _PADDING_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    xp = backend.xp(array)
    th, tw = _setup_size(size)
    left, top, right, bottom = _parse_padding(padding)
    if left or top or right or bottom:
        widths = ((0, 0), (0, 0), (top, bottom), (left, right))
        if padding_mode == "constant":
            array = xp.pad(array, widths, mode="constant", constant_values=fill)   # (N, C, P_H, P_W)
        else:
            array = xp.pad(array, widths, mode=padding_mode)
    n, c, h, w = array.shape
    if h < th or w < tw:
        raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
    rng = generator if generator is not None else _data_generator()
    tops = xp.asarray(rng.integers(0, h - th + 1, size=n))                        # (N,)
    lefts = xp.asarray(rng.integers(0, w - tw + 1, size=n))                       # (N,)
    windows = xp.lib.stride_tricks.sliding_window_view(array, (th, tw), axis=(2, 3))  # (N, C, H-h+1, W-w+1, h, w), a view
    out = windows[xp.arange(n), :, tops, lefts]                                    # (N, C, h, w), one gather
    return Tensor._make(out) if is_tensor else out


def random_horizontal_flip_batch(images, p: float = 0.5, generator=None):
    """Mirror each image of an ``(N, C, H, W)`` batch left-right with probability ``p``, independently."""
    array, is_tensor = _batch_array(images)
    xp = backend.xp(array)
    rng = generator if generator is not None else _data_generator()
    flip = xp.asarray(rng.random(array.shape[0]) < p)                              # (N,)
    out = array.copy()
    out[flip] = array[flip, ..., ::-1]                                             # (F, C, H, W) mirrored
    return Tensor._make(out) if is_tensor else out
