"""Image transforms with torchvision's names and semantics, on NumPy arrays (no PIL needed).

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

import numbers
import sys
from collections.abc import Sequence

import numpy as np

from .. import backend, dtypes
from ..autograd.tensor import Tensor
from .worker import generator as _data_generator

__all__ = ["Compose", "ToTensor", "PILToTensor", "Normalize", "Pad", "CenterCrop", "RandomCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "Lambda", "to_tensor", "normalize", "pad", "crop",
           "center_crop", "hflip", "vflip", "to_tensor_batch", "random_crop_batch",
           "random_horizontal_flip_batch", "normalize_batch"]

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
            self.mode = img.mode
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
    th, tw = _setup_size(output_size)
    h, w = _Image(img).size_hw
    if th > h or tw > w:
        raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
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
