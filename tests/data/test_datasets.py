"""MNIST / FashionMNIST / CIFAR loaders on synthetic files in the standard formats, and on the real data."""
import gzip
import os
import pickle

import numpy as np
import pytest

import minigrad
from minigrad.data import CIFAR10, CIFAR100, MNIST, DataLoader, FashionMNIST, transforms
from minigrad.data.datasets import DatasetCorruptError, read_idx, safe_unpickle

from conftest import make_cifar10_folder, make_mnist_raw, write_cifar_batch, write_idx


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_mnist_family_reads_idx_files_in_torchvision_layout(tmp_path, cls, compress):
    made = make_mnist_raw(tmp_path / cls.__name__ / "raw", compress=compress)
    for train, prefix in ((True, "train"), (False, "t10k")):
        ds = cls(tmp_path, train=train)
        images, labels = made[prefix]
        assert ds.data.dtype == np.uint8 and ds.data.shape == images.shape and len(ds) == len(images)
        np.testing.assert_array_equal(ds.data, images)
        np.testing.assert_array_equal(ds.targets, labels.astype(np.int64))
        img, target = ds[3]
        assert isinstance(img, np.ndarray) and type(target) is int and target == labels[3]
        np.testing.assert_array_equal(img, images[3])
    assert len(ds.classes) == 10 and ds.class_to_idx[ds.classes[4]] == 4


def test_mnist_applies_transform_and_target_transform(tmp_path):
    made = make_mnist_raw(tmp_path / "MNIST" / "raw")
    ds = MNIST(tmp_path, transform=transforms.ToTensor(), target_transform=lambda t: t + 100)
    img, target = ds[0]
    assert img.shape == (1, 28, 28) and img.dtype == minigrad.float32
    np.testing.assert_array_equal(img.numpy()[0], made["train"][0][0] / np.float32(255))
    assert target == int(made["train"][1][0]) + 100


def test_missing_files_error_names_path_and_download_option(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        MNIST(tmp_path)
    message = str(info.value)
    assert str(tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte.gz") in message and "download=True" in message
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py.*download=True"):
        CIFAR10(tmp_path)


@pytest.mark.parametrize("swap", ["labels_in_images_file", "images_in_labels_file", "lengths_differ"])
def test_mnist_file_of_the_wrong_kind_is_named_with_what_is_wrong(tmp_path, swap):
    raw = tmp_path / "MNIST" / "raw"
    made = make_mnist_raw(raw)
    images, labels = made["train"]
    images_file, labels_file = raw / "train-images-idx3-ubyte.gz", raw / "train-labels-idx1-ubyte.gz"
    if swap == "labels_in_images_file":
        write_idx(images_file, labels)
        named, words = images_file, ["(N, H, W) uint8 images", "1-d", "looks like the labels file"]
    elif swap == "images_in_labels_file":
        write_idx(labels_file, images)
        named, words = labels_file, ["N integer labels", "3-d", "looks like the images file"]
    else:
        write_idx(labels_file, labels[:-1])
        named, words = images_file, [f"holds {len(images)} images", f"{labels_file} holds {len(labels) - 1} labels"]
    with pytest.raises(DatasetCorruptError) as info:
        MNIST(tmp_path)
    message = str(info.value)
    assert message.startswith(str(named)) and all(w in message for w in words), message


def test_read_idx_rejects_truncated_and_foreign_files(tmp_path):
    path = write_idx(tmp_path / "x.gz", np.zeros((3, 4), np.uint8))
    raw = gzip.decompress(path.read_bytes())
    (tmp_path / "short").write_bytes(raw[:-1])
    with pytest.raises(DatasetCorruptError, match="needs 12 bytes of data, found 11"):
        read_idx(tmp_path / "short")
    (tmp_path / "foreign").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(DatasetCorruptError, match="bad magic number"):
        read_idx(tmp_path / "foreign")


@pytest.mark.parametrize("protocol", [2, 4])
def test_cifar10_reads_pickled_batches_into_hwc_uint8(tmp_path, protocol):
    made = make_cifar10_folder(tmp_path, per_batch=3, protocol=protocol)
    train = CIFAR10(tmp_path, train=True)
    test = CIFAR10(tmp_path, train=False)
    assert train.data.shape == (15, 32, 32, 3) and train.data.dtype == np.uint8 and len(test) == 3
    rows = np.vstack([made[f"data_batch_{k}"][0] for k in range(1, 6)])
    # CIFAR rows are R plane, G plane, B plane of a 32x32 image, row-major
    red, green, blue = rows[4, :1024].reshape(32, 32), rows[4, 1024:2048].reshape(32, 32), rows[4, 2048:].reshape(32, 32)
    np.testing.assert_array_equal(train.data[4], np.stack([red, green, blue], axis=-1))
    assert train.targets == [int(v) for k in range(1, 6) for v in made[f"data_batch_{k}"][1]]
    assert train.classes[0] == "airplane" and len(train.classes) == 10
    img, target = test[1]
    assert img.shape == (32, 32, 3) and target == int(made["test_batch"][1][1])


def test_cifar100_uses_fine_labels(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    data = np.arange(2 * 3072, dtype=np.uint64).astype(np.uint8).reshape(2, 3072)
    write_cifar_batch(folder / "train", data, [42, 7], labels_key="fine_labels")
    write_cifar_batch(folder / "test", data[:1], [3], labels_key="fine_labels")
    (folder / "meta").write_bytes(pickle.dumps({"fine_label_names": [f"c{k}" for k in range(100)]}, protocol=2))
    ds = CIFAR100(tmp_path)
    assert ds.targets == [42, 7] and len(ds.classes) == 100 and ds[1][1] == 7


class _Exploit:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_unpickler_refuses_to_run_code_from_a_data_file(tmp_path):
    make_cifar10_folder(tmp_path, per_batch=1)
    marker = tmp_path / "pwned"
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_1"
    batch.write_bytes(pickle.dumps({"data": _Exploit(str(marker)), "labels": [1]}, protocol=2))
    with pytest.raises(DatasetCorruptError, match="refusing to load global io.open"):
        CIFAR10(tmp_path)
    assert not marker.exists()


def test_unpickler_refuses_object_arrays(tmp_path):
    path = tmp_path / "obj"
    path.write_bytes(pickle.dumps(np.array([1, "a"], dtype=object), protocol=2))
    with pytest.raises(DatasetCorruptError, match="object array"):
        safe_unpickle(path)


def test_loader_batches_a_dataset_without_transform_into_uint8(tmp_path):
    make_mnist_raw(tmp_path / "MNIST" / "raw", n_train=10)
    images, labels = next(iter(DataLoader(MNIST(tmp_path), batch_size=4, num_workers=1)))
    assert images.shape == (4, 28, 28) and images.dtype == minigrad.uint8 and labels.dtype == minigrad.int64


# ---- the real data sets (skipped when $MINIGRAD_DATA / ../shared/data is absent) ----------------------
def _raw_idx(path, header):
    return np.frombuffer(gzip.decompress(path.read_bytes()), dtype=np.uint8, offset=header)


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_real_mnist_family_matches_its_raw_files(data_root, cls):
    raw = data_root / cls.__name__ / "raw"
    if not raw.is_dir():
        pytest.skip(f"no {raw}")
    for train, prefix, count in ((True, "train", 60000), (False, "t10k", 10000)):
        ds = cls(data_root, train=train)
        assert len(ds) == count and ds.data.shape == (count, 28, 28)
        pixels = _raw_idx(raw / f"{prefix}-images-idx3-ubyte.gz", 16)
        labels = _raw_idx(raw / f"{prefix}-labels-idx1-ubyte.gz", 8)
        assert ds.data.mean() == pytest.approx(pixels.mean(), rel=1e-12)
        np.testing.assert_array_equal(np.bincount(ds.targets, minlength=10), np.bincount(labels, minlength=10))
        assert set(np.unique(ds.targets)) == set(range(10))
        k = count // 3
        np.testing.assert_array_equal(ds[k][0], pixels[k * 784:(k + 1) * 784].reshape(28, 28))


def test_real_cifar10_when_present(data_root):
    if not (data_root / "cifar-10-batches-py").is_dir():
        pytest.skip("no cifar-10-batches-py under the data root (build it with ../shared/data/cifar10/get-cifar10)")
    train, test = CIFAR10(data_root, train=True), CIFAR10(data_root, train=False)
    assert train.data.shape == (50000, 32, 32, 3) and len(test) == 10000
    first = safe_unpickle(data_root / "cifar-10-batches-py" / "data_batch_1")
    np.testing.assert_array_equal(train.data.reshape(50000, -1, 3)[:10000].transpose(0, 2, 1).reshape(10000, -1),
                                  first["data"])
    assert np.bincount(train.targets).tolist() == [5000] * 10
