"""Shared fixtures: torch as the oracle (skipped when missing), the data root, seeding."""
import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # so tests can `import utils`

# The NumPy kernels are the reference and the path every test runs; tests/kernels/test_compiled.py
# turns the compiled ones (minigrad[fast], numba) on itself and compares them with NumPy's.
os.environ.setdefault("MINIGRAD_FAST", "0")

import minigrad  # noqa: E402
from utils import data_root_path

try:  # one profile for every Hypothesis test: no per-example deadline (CI machines are slow and
    # shared), reproducible examples, and fixtures such as `torch` may be shared between examples.
    from hypothesis import HealthCheck, settings

    settings.register_profile("minigrad", deadline=None, derandomize=True, database=None,
                              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    settings.load_profile("minigrad")
except ImportError:  # Hypothesis is a test dependency; tests that use it fail to import without it
    pass


@pytest.fixture(autouse=True)
def _seed():
    minigrad.manual_seed(0)
    np.random.seed(0)


@pytest.fixture
def num_threads():
    """``num_threads(n)``: ``minigrad.set_num_threads(n)`` within this test; the count from before the
    test comes back after it."""
    before = minigrad.get_num_threads()
    yield minigrad.set_num_threads
    minigrad.set_num_threads(before)


@pytest.fixture(scope="session")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture
def data_root():
    """The folder with MNIST/, FashionMNIST/, cifar-10-batches-py/ ($MINIGRAD_DATA, else ../shared/data)."""
    root = data_root_path()
    if root is None or not root.is_dir():
        pytest.skip("no data sets: set MINIGRAD_DATA to a folder holding MNIST/raw/...")
    return root
