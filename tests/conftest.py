"""Shared fixtures: torch as the oracle (skipped when missing), the data root, seeding."""
import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # so tests can `import utils`

import minigrad


@pytest.fixture(autouse=True)
def _seed():
    minigrad.manual_seed(0)
    np.random.seed(0)


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _data_root():
    root = os.environ.get("MINIGRAD_DATA")
    if root:
        return Path(root)
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    return shared if shared.is_dir() else None


@pytest.fixture
def data_root():
    """The folder with MNIST/, FashionMNIST/, cifar-10-batches-py/ ($MINIGRAD_DATA, else ../shared/data)."""
    root = _data_root()
    if root is None or not root.is_dir():
        pytest.skip("no data sets: set MINIGRAD_DATA to a folder holding MNIST/raw/...")
    return root
