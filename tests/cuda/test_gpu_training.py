"""A training step on the GPU: learns like the CPU one, copies nothing to the host, and a CIFAR-sized
CNN at batch 512 fits in a few GB of CuPy's memory pool. Needs CuPy and a GPU (skipped otherwise);
MINIGRAD_GPU_SUITE_DEVICE=cpu dry-runs the test code on the CPU."""
import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import backend

from gpu import DEVICE, require_gpu, to_host

cupy = require_gpu()
pytestmark = pytest.mark.cuda


def _cnn():
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(128, 10))


def _batch(size, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((size, 3, 32, 32)).astype(np.float32), rng.integers(0, 10, size)


def _step(model, opt, x, y):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def test_training_steps_on_the_gpu_follow_the_cpu_ones():
    images, labels = _batch(16)
    losses = {}
    for device in ("cpu", DEVICE):
        minigrad.manual_seed(0)
        model = _cnn().to(device)
        opt = minigrad.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        x, y = minigrad.tensor(images).to(device), minigrad.tensor(labels).to(device)
        losses[device] = [float(_step(model, opt, x, y).item()) for _ in range(5)]
    np.testing.assert_allclose(losses[DEVICE], losses["cpu"], rtol=1e-3)
    assert losses[DEVICE][-1] < losses[DEVICE][0]


def test_a_training_step_copies_nothing_from_the_gpu_to_the_host(monkeypatch):
    minigrad.manual_seed(0)
    model = _cnn().to(DEVICE)
    opt = minigrad.optim.Adam(model.parameters(), lr=1e-3)
    images, labels = _batch(32)
    x, y = minigrad.tensor(images, device=DEVICE), minigrad.tensor(labels, device=DEVICE)  # the batch itself
    _step(model, opt, x, y)   # first step: kernels compile, optimiser state is created
    copies = []

    def counting(name, real):
        def wrapper(*args, **kwargs):
            copies.append(name)
            return real(*args, **kwargs)
        return wrapper
    monkeypatch.setattr(backend, "to_numpy", counting("backend.to_numpy", backend.to_numpy))
    real_to_device = backend.to_device
    monkeypatch.setattr(backend, "to_device", lambda array, target: (
        copies.append("to_device(cpu)") if backend.device(target).type == "cpu" and backend.is_cupy_array(array)
        else None) or real_to_device(array, target))
    if cupy is not None:
        monkeypatch.setattr(cupy, "asnumpy", counting("cupy.asnumpy", cupy.asnumpy))
        import cupyx
        guard = getattr(cupyx, "allow_synchronize", None)   # deprecated in CuPy 10; used while it exists
    else:
        guard = None
    if guard is not None:
        with guard(False):   # raises cupyx.DeviceSynchronized on any synchronising read (.get(), bool(), item())
            _step(model, opt, x, y)
    else:
        _step(model, opt, x, y)
    assert copies == []


def test_a_cifar_sized_training_step_at_batch_512_fits_in_a_few_gigabytes():
    if cupy is None:
        pytest.skip("measures CuPy's memory pool")
    pool = cupy.get_default_memory_pool()
    pool.free_all_blocks()
    minigrad.manual_seed(0)
    model = _cnn().to(DEVICE)
    opt = minigrad.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    images, labels = _batch(512)
    x, y = minigrad.tensor(images, device=DEVICE), minigrad.tensor(labels, device=DEVICE)
    for _ in range(2):
        loss = _step(model, opt, x, y)
    cupy.cuda.Device().synchronize()
    assert np.isfinite(float(to_host(loss._data)))
    assert pool.total_bytes() < 4 * 2**30, f"{pool.total_bytes() / 2**30:.2f} GiB held by CuPy's pool"
