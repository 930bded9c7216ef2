"""MNIST, FashionMNIST, CIFAR10 and CIFAR100 with torchvision's signatures and on-disk layouts.

    root/MNIST/raw/train-images-idx3-ubyte.gz ...         (or the same files un-gzipped)
    root/FashionMNIST/raw/train-images-idx3-ubyte.gz ...
    root/cifar-10-batches-py/data_batch_1 ... test_batch, batches.meta
    root/cifar-100-python/train, test, meta

Each data set is decoded once into a uint8 array: ``.data`` is ``(N, 28, 28)`` for the MNIST family and
``(N, 32, 32, 3)`` (HWC) for CIFAR; ``.targets`` holds the labels (an int64 array for the MNIST family,
a list of ints for CIFAR, as torchvision). ``ds[i]`` is ``(image, target)`` with ``transform`` /
``target_transform`` applied; without a transform the image is a uint8 NumPy array, which
``transforms.ToTensor`` and ``default_collate`` accept (torchvision returns a PIL image there).

``download=True`` fetches what is missing or unreadable from the class's ``mirrors`` (or the
``mirrors=`` argument, or ``$MINIGRAD_MIRRORS``), checking the published MD5 of every downloaded file
(see ``minigrad.data.download``). Files already present are accepted when they parse correctly, even if
their MD5 differs from the official one (e.g. a rebuilt CIFAR-10 copy).

CIFAR batches are Python pickles. They are read with a restricted unpickler that only lets through the
NumPy array reconstruction they need, so a data file can never run code.

    >>> train = MNIST("data", train=True, download=True, transform=ToTensor())
    >>> image, label = train[0]          # (1, 28, 28) float32 tensor, 5
"""
from __future__ import annotations

import gzip
import io
import math
import os
import pickle
from pathlib import Path

import numpy as np

from .dataset import Dataset
from .download import DownloadError, download_url, extract_tar, mirrors_from_env

__all__ = ["VisionDataset", "MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "DatasetCorruptError",
           "read_idx", "safe_unpickle"]


class DatasetCorruptError(RuntimeError):
    """A data set file exists but cannot be parsed."""


def _describe(array: np.ndarray) -> str:
    return f"{array.ndim}-d {array.dtype} data of shape {tuple(array.shape)}"


def _looks_like(array: np.ndarray, other: str) -> str:
    """A hint when a file holds the other kind of MNIST data (labels are 1-d, images 3-d)."""
    if other == "labels" and array.ndim == 1 or other == "images" and array.ndim == 3:
        return f" (this looks like the {other} file)"
    return ""


# ---- file formats ---------------------------------------------------------------------------------
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """Parse an IDX file (``.gz`` or not): 2 zero bytes, type code, ndim, ndim big-endian int32 sizes, data.

    Reference: LeCun et al., "THE MNIST DATABASE", file format section.
    """
    path = Path(path)
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DatasetCorruptError(f"{path} is not a readable IDX file: {exc}") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DatasetCorruptError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetCorruptError(f"{path} is truncated (header of {header} bytes)")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = math.prod(shape) * dtype.itemsize  # Python ints: a crafted shape cannot overflow into a match
    if len(raw) - header != expected:
        raise DatasetCorruptError(f"{path} is corrupt: shape {shape} needs {expected} bytes of data, "
                                  f"found {len(raw) - header}")
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)  # native byte order, writable


def _allowed_dtype(*args, **kwargs):
    dtype = np.dtype(*args, **kwargs)
    if dtype.hasobject:
        raise pickle.UnpicklingError("refusing to load an object array from a data file")
    return dtype


def _reconstruct(subtype, shape, dtype):
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError("refusing to reconstruct a non-ndarray from a data file")
    return np.ndarray.__new__(np.ndarray, shape, _allowed_dtype(dtype))


def _encode(text, encoding="utf-8"):
    """``_codecs.encode``: how Python 3 writes ``bytes`` in protocol-2 pickles (text only, no other codecs)."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("refusing _codecs.encode call other than str -> latin1 bytes")
    return text.encode("latin1")


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the globals a pickled NumPy array needs; anything else is refused."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): _allowed_dtype,
        ("_codecs", "encode"): _encode,
    }

    def find_class(self, module, name):
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name} from a data file") from None


def safe_unpickle(path):
    """Load a pickle of plain containers, strings, numbers and NumPy arrays, never running code."""
    try:
        with open(path, "rb") as f:
            return _RestrictedUnpickler(io.BufferedReader(f), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        raise DatasetCorruptError(f"{path} is not a readable data batch: {exc}") from exc


# ---- base ---------------------------------------------------------------------------------------------
class VisionDataset(Dataset):
    """Root folder, transforms and torchvision's ``repr``."""

    _repr_indent = 4
    mirrors: list = []

    def __init__(self, root, transform=None, target_transform=None, mirrors=None) -> None:
        self.root = os.path.expanduser(os.fspath(root)) if root is not None else None
        self.transform = transform
        self.target_transform = target_transform
        if mirrors is not None:
            self.mirrors = list(mirrors)

    def _mirrors(self) -> list:
        return mirrors_from_env(self.mirrors)

    def _load_or_download(self, download: bool):
        try:
            return self._load()
        except (FileNotFoundError, DatasetCorruptError):
            if not download:
                raise
        try:
            self.download()
        except DownloadError as exc:
            raise DownloadError(self._download_help(exc)) from None  # the message says it all: no chained traceback
        return self._load()

    def _download_help(self, exc: DownloadError) -> str:
        """What failed, and the exact files to put in place by hand instead (torchvision's layout)."""
        if hasattr(self, "resources"):   # the MNIST family: four IDX files, .gz as published or un-gzipped
            files = [os.path.join(self.raw_folder, name) for name, _ in self.resources]
            how = "each .gz as published, or un-gzipped"
        else:                            # CIFAR: the folder inside the python archive
            files = [os.path.join(self.root, self.base_folder, name) for name, _ in self.train_list + self.test_list]
            files.append(os.path.join(self.root, self.base_folder, self.meta["filename"]))
            how = f"as extracted from {self.filename} into root"
        return (f"Could not download {type(self).__name__} (no internet access?): {exc}\n"
                f"Put these files there yourself ({how}):\n" + "".join(f"  {f}\n" for f in files)
                + f"or pass root= a folder that already holds them (now root={self.root!r}); "
                  f"$MINIGRAD_MIRRORS can name other mirrors.")

    def _not_found(self, path) -> FileNotFoundError:
        return FileNotFoundError(f"Dataset not found: {path} does not exist. You can use download=True to download "
                                 f"it (or point root at the folder that holds {type(self).__name__}'s files).")

    def __getitem__(self, index: int):
        img, target = self.data[index].copy(), int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    @property
    def class_to_idx(self) -> dict:
        return {name: i for i, name in enumerate(self.classes)}

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}", f"Root location: {self.root}", *self.extra_repr().splitlines()]
        for label, value in (("Transform", self.transform), ("Target transform", self.target_transform)):
            if value is not None:
                lines += f"{label}: {value!r}".splitlines()
        return "\n".join([f"Dataset {type(self).__name__}"] + [" " * self._repr_indent + line for line in lines])


# ---- MNIST family -----------------------------------------------------------------------------------
class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_: 60,000 train / 10,000 test 28x28 grey digits.

    Files: ``root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train: bool = True, transform=None, target_transform=None, download: bool = False,
                 *, mirrors=None) -> None:
        super().__init__(root, transform, target_transform, mirrors)
        self.train = train
        self.data, self.targets = self._load_or_download(download)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    def _path(self, gz_name: str) -> Path:
        """The file on disk: the ``.gz`` as downloaded, else its un-gzipped form (torchvision extracts)."""
        gz = Path(self.raw_folder) / gz_name
        plain = gz.with_suffix("")
        if gz.is_file():
            return gz
        if plain.is_file():
            return plain
        raise self._not_found(gz)

    def _load(self):
        prefix = "train" if self.train else "t10k"
        images_path = self._path(f"{prefix}-images-idx3-ubyte.gz")
        labels_path = self._path(f"{prefix}-labels-idx1-ubyte.gz")
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise DatasetCorruptError(f"{images_path}: expected an IDX file of (N, H, W) uint8 images, found "
                                      f"{_describe(images)}{_looks_like(images, 'labels')}")
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise DatasetCorruptError(f"{labels_path}: expected an IDX file of N integer labels, found "
                                      f"{_describe(labels)}{_looks_like(labels, 'images')}")
        if len(images) != len(labels):
            raise DatasetCorruptError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                                      f"{len(labels)} labels")
        return images, labels.astype(np.int64)

    def _check_exists(self) -> bool:
        try:
            for name, _ in self.resources:
                self._path(name)
        except FileNotFoundError:
            return False
        return True

    def download(self) -> None:
        """Fetch every file that is missing or fails its MD5 (the official MD5s), mirror by mirror."""
        for filename, md5 in self.resources:
            download_url(self._mirrors(), self.raw_folder, filename, md5)


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_: MNIST's format, 10 clothing classes."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


# ---- CIFAR ----------------------------------------------------------------------------------------------
class CIFAR10(VisionDataset):
    """`CIFAR-10 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 50,000 train / 10,000 test 32x32 RGB images.

    Files: ``root/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}`` (pickled dicts with
    ``data``: (N, 3072) uint8 rows of R, G, B planes, and ``labels``). ``download=True`` fetches
    ``cifar-10-python.tar.gz`` (MD5-checked) and extracts it.
    """

    base_folder = "cifar-10-batches-py"
    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    # the official batch MD5s (informational: a folder whose files parse is accepted whatever their MD5)
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    labels_key = "labels"

    def __init__(self, root, train: bool = True, transform=None, target_transform=None, download: bool = False,
                 *, mirrors=None) -> None:
        super().__init__(root, transform, target_transform, mirrors)
        self.train = train
        self.data, self.targets, self.classes = self._load_or_download(download)

    def _file(self, name: str) -> Path:
        path = Path(self.root) / self.base_folder / name
        if not path.is_file():
            raise self._not_found(path)
        return path

    def _load(self):
        batches, targets = [], []
        for name, _ in (self.train_list if self.train else self.test_list):
            path = self._file(name)
            entry = safe_unpickle(path)
            data = entry.get("data") if isinstance(entry, dict) else None
            labels = entry.get(self.labels_key) if isinstance(entry, dict) else None
            if (not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072
                    or labels is None or len(labels) != len(data)):
                raise DatasetCorruptError(f"{path} is not a CIFAR batch: expected 'data' (N, 3072) uint8 and "
                                          f"N '{self.labels_key}'")
            batches.append(data)
            targets.extend(int(t) for t in labels)
        # (N, 32, 32, 3) = (N, 3, 32, 32) planes moved last, made contiguous once for fast per-image reads
        data = np.ascontiguousarray(np.vstack(batches).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        meta_path = self._file(self.meta["filename"])
        meta = safe_unpickle(meta_path)
        if not isinstance(meta, dict) or self.meta["key"] not in meta:
            raise DatasetCorruptError(f"{meta_path} has no '{self.meta['key']}'")
        classes = [c.decode("latin1") if isinstance(c, bytes) else str(c) for c in meta[self.meta["key"]]]
        return data, targets, classes

    def _check_integrity(self) -> bool:
        try:
            self._load()
        except (FileNotFoundError, DatasetCorruptError):
            return False
        return True

    def download(self) -> None:
        """Fetch the archive (MD5-checked), extract it safely, and remove the archive."""
        archive = download_url(self._mirrors(), self.root, self.filename, self.tgz_md5)
        extract_tar(archive, self.root, self.base_folder)
        os.remove(archive)


class CIFAR100(CIFAR10):
    """`CIFAR-100 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: CIFAR-10's format with 100 fine classes."""

    base_folder = "cifar-100-python"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names", "md5": "7973b15100ade9c7d40fb424638fde48"}
    labels_key = "fine_labels"
