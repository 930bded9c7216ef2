"""torchvision's own dataset objects and transforms feed minigrad's DataLoader (the ``datasets`` extra)."""
import gzip
import shutil

import numpy as np
import pytest

import minigrad
from minigrad.data import MNIST, DataLoader, Subset, transforms as T


@pytest.fixture(scope="module")
def torchvision_mnist_root(tmp_path_factory, request):
    """torchvision's MNIST wants the IDX files un-gzipped in ROOT/MNIST/raw: a copy of the real data set's."""
    from utils import data_root_path
    source = data_root_path()
    if source is None or not (source / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("no MNIST: set MINIGRAD_DATA to a folder holding MNIST/raw/...")
    root = tmp_path_factory.mktemp("tv")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for gz in (source / "MNIST" / "raw").glob("*-ubyte.gz"):
        with gzip.open(gz, "rb") as src, open(raw / gz.stem, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return root, source


def test_torchvision_mnist_with_its_to_tensor_loads_through_a_minigrad_loader(torchvision, torchvision_mnist_root):
    import torch
    root, source = torchvision_mnist_root
    theirs = torchvision.datasets.MNIST(root, train=False, transform=torchvision.transforms.Compose(
        [torchvision.transforms.ToTensor(), torchvision.transforms.Normalize((0.1307,), (0.3081,))]))
    image, label = theirs[0]
    assert isinstance(image, torch.Tensor) and type(label) is int
    ours = MNIST(source, train=False, transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]))
    indices = range(0, 10000, 50)
    batches = list(DataLoader(Subset(theirs, indices), batch_size=64, num_workers=2))
    expected = list(DataLoader(Subset(ours, indices), batch_size=64))
    assert len(batches) == len(expected) == 4
    for (x, y), (x_ours, y_ours) in zip(batches, expected):
        assert isinstance(x, minigrad.Tensor) and x.dtype == minigrad.float32 and x.shape[1:] == (1, 28, 28)
        assert isinstance(y, minigrad.Tensor) and y.dtype == minigrad.int64
        np.testing.assert_allclose(x.numpy(), x_ours.numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(y.numpy(), y_ours.numpy())


def test_torchvision_mnist_of_pil_images_with_minigrad_transforms(torchvision, torchvision_mnist_root):
    root, source = torchvision_mnist_root
    augment = T.Compose([T.RandomRotation(10, interpolation=T.InterpolationMode.BILINEAR), T.Resize(32),
                         T.CenterCrop(28), T.ToTensor()])
    theirs = torchvision.datasets.MNIST(root, train=False, transform=augment)
    x, y = next(iter(DataLoader(theirs, batch_size=16, shuffle=True, num_workers=2)))
    assert x.shape == (16, 1, 28, 28) and x.dtype == minigrad.float32 and y.dtype == minigrad.int64
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0 and float(x.mean()) > 0.05
    raw_images, raw_labels = next(iter(DataLoader(torchvision.datasets.MNIST(root, train=False), batch_size=8)))
    assert raw_images.dtype == minigrad.uint8 and raw_images.shape == (8, 28, 28)   # PIL images collated
    np.testing.assert_array_equal(raw_images.numpy(), MNIST(source, train=False).data[:8])
