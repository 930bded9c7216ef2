"""Device handling on a machine without CuPy or a GPU (tests minigrad/backend.py and the device paths
of tensors, modules and optimisers): clear errors, no CuPy import, torch's device names and its
mixed-device error. The GPU itself is exercised by tests/cuda/test_gpu_*.py."""
import subprocess
import sys

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import backend

if backend.cuda_is_available():
    pytest.skip("these tests check the behaviour without a usable GPU", allow_module_level=True)

NO_CUDA = r'CUDA is not available.*pip install "minigrad\[cuda\]"'
NO_CUDA_ANY = r"CUDA is not available"   # CuPy installed but no GPU: a different reason, same start


def _no_cuda_message():
    try:
        import cupy  # noqa: F401
    except ImportError:
        return NO_CUDA
    return NO_CUDA_ANY


@pytest.mark.parametrize("make", [
    lambda: minigrad.tensor([1.0, 2.0], device="cuda"),
    lambda: minigrad.tensor([1.0, 2.0]).to("cuda"),
    lambda: minigrad.tensor([1.0, 2.0]).to(device="cuda", dtype=minigrad.float64),
    lambda: minigrad.tensor([1.0, 2.0]).to(minigrad.device("cuda", 0)),
    lambda: minigrad.tensor([1.0, 2.0]).cuda(),
    lambda: minigrad.tensor([1.0, 2.0]).cuda(1),
    lambda: minigrad.zeros(3, device="cuda:1"),
    lambda: minigrad.ones(2, 2, device="cuda"),
    lambda: minigrad.randn(3, device="cuda"),
    lambda: minigrad.arange(3, device="cuda"),
    lambda: minigrad.full((2,), 1.5, device="cuda"),
    lambda: minigrad.zeros_like(minigrad.ones(2), device="cuda"),
    lambda: nn.Linear(2, 3, device="cuda"),
    lambda: nn.Conv2d(1, 2, 3, device="cuda"),
], ids=["tensor", "to", "to-dtype", "to-device-object", "cuda", "cuda-1", "zeros-cuda-1", "ones", "randn",
        "arange", "full", "zeros_like", "Linear", "Conv2d"])
def test_asking_for_cuda_without_cupy_or_gpu_raises_a_clear_error(make):
    with pytest.raises(RuntimeError, match=_no_cuda_message()):
        make()


@pytest.mark.parametrize("move", [lambda m: m.to("cuda"), lambda m: m.cuda(), lambda m: m.to("cuda:0", minigrad.float64)])
def test_moving_a_module_to_cuda_fails_before_changing_any_parameter_or_buffer(move):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.LazyLinear(4)
                          if hasattr(nn, "LazyLinear") else nn.Linear(2, 4))
    before = {k: np.array(v._data, copy=True) for k, v in model.state_dict().items()}
    arrays = {k: v._data for k, v in model.state_dict().items()}
    with pytest.raises(RuntimeError, match=_no_cuda_message()):
        move(model)
    for key, tensor in model.state_dict().items():
        assert tensor.device == "cpu" and tensor._data is arrays[key], key
        np.testing.assert_array_equal(tensor._data, before[key])


def test_cuda_is_not_available_and_counts_no_devices():
    assert minigrad.cuda.is_available() is False
    assert minigrad.cuda.device_count() == 0
    assert minigrad.tensor([1.0]).is_cuda is False


def test_importing_and_using_minigrad_on_the_cpu_never_imports_cupy():
    code = (
        "import sys\n"
        "import minigrad, minigrad.nn as nn, minigrad.nn.functional as F, minigrad.optim, minigrad.data\n"
        "import minigrad.kernels.cuda, minigrad.kernels.cuda.launch\n"
        "model = nn.Sequential(nn.Conv2d(1, 2, 3, stride=2), nn.MaxPool2d(2, ceil_mode=True), nn.AvgPool2d(1),\n"
        "                      nn.ConvTranspose2d(2, 1, 3, stride=2))\n"
        "opt = minigrad.optim.Adam(model.parameters())\n"
        "model(minigrad.randn(2, 1, 9, 9)).sum().backward(); opt.step()\n"
        "assert model[0].weight.device == 'cpu'\n"
        "print('cupy' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("name", ["cpu", "cuda", "cuda:0", "cuda:1", "cuda:12"])
def test_device_names_parse_and_print_as_torch(torch, name):
    ours, theirs = minigrad.device(name), torch.device(name)
    assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)


def test_device_from_type_and_index_and_copies_as_torch(torch):
    assert repr(minigrad.device("cuda", 1)) == repr(torch.device("cuda", 1)) == "device(type='cuda', index=1)"
    assert minigrad.device(minigrad.device("cuda:2")) == minigrad.device("cuda", 2)
    assert minigrad.device("cuda:1") != minigrad.device("cuda:0")
    assert minigrad.device("cpu") != "cuda" and minigrad.device("cpu") == "cpu"
    # minigrad treats 'cuda' as the current device cuda:0 (torch's == says they differ)
    assert minigrad.device("cuda") == "cuda:0" and hash(minigrad.device("cuda")) == hash(minigrad.device("cuda:0"))


@pytest.mark.parametrize("name, message", [("cuda:x", "Invalid device string"), ("cuda:-1", "Invalid device string"),
                                           ("tpu", "Expected one of cpu, cuda device type"),
                                           ("cpu:1", "CPU device index must be 0")])
def test_bad_device_names_raise_runtime_errors(name, message):
    with pytest.raises(RuntimeError, match=message):
        minigrad.device(name)


def test_cpu_tensors_report_the_cpu_device():
    t = minigrad.zeros(2)
    assert t.device == minigrad.device("cpu") and repr(t.device) == "device(type='cpu')"
    assert t.cpu() is t and t.to("cpu") is t


# ---- mixing devices: the check, exercised with tensors that report a GPU ----------------------

class _ArrayOnGpu(np.ndarray):
    """A NumPy array that minigrad is told lives on cuda:0 (a different array type, as CuPy's is)."""


@pytest.fixture
def on_cuda(monkeypatch):
    """Make chosen CPU tensors report device cuda:0, as CuPy-backed tensors do, without a GPU."""
    real_device_of = backend.device_of

    def device_of(array):
        return backend.device("cuda", 0) if isinstance(array, _ArrayOnGpu) else real_device_of(array)
    monkeypatch.setattr(backend, "device_of", device_of)

    def mark(t):
        t._data = t._data.view(_ArrayOnGpu)
        return t
    return mark


MIXED = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"


@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: b * a, lambda a, b: minigrad.maximum(a, b), lambda a, b: a @ b,
    lambda a, b: minigrad.cat([a, b]), lambda a, b: minigrad.stack([b, a]),
], ids=["add", "mul-reversed", "maximum", "matmul", "cat", "stack"])
def test_an_op_on_tensors_of_two_devices_raises_torchs_error(on_cuda, op):
    a = on_cuda(minigrad.tensor([1.0, 2.0]))
    b = minigrad.tensor([3.0, 4.0])
    assert a.device == "cuda:0" and b.device == "cpu"
    with pytest.raises(RuntimeError) as error:
        op(a, b)
    assert str(error.value) == MIXED


def test_a_zero_dim_cpu_tensor_mixes_with_a_gpu_tensor_as_in_torch(on_cuda):
    a = on_cuda(minigrad.tensor([1.0, 2.0]))
    assert (a * minigrad.tensor(2.0)).tolist() == [2.0, 4.0]


def test_optimizer_load_state_dict_moves_state_to_each_parameters_device(on_cuda):
    model = nn.Linear(2, 2)
    opt = minigrad.optim.Adam(model.parameters())
    model(minigrad.randn(3, 2)).sum().backward()
    opt.step()
    state = opt.state_dict()
    for p in model.parameters():
        on_cuda(p)
    fresh = minigrad.optim.Adam(model.parameters())
    with pytest.raises(RuntimeError, match=_no_cuda_message()):   # it tries to copy the buffers to cuda:0
        fresh.load_state_dict(state)


def test_optimizer_state_is_created_with_the_parameters_array_module():
    model = nn.Linear(2, 2)
    for opt in (minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), minigrad.optim.Adam(model.parameters()),
                minigrad.optim.RMSprop(model.parameters()), minigrad.optim.Adagrad(model.parameters())):
        model(minigrad.randn(3, 2)).sum().backward()
        opt.step()
        for p in model.parameters():
            for key, value in opt.state[p].items():
                if isinstance(value, minigrad.Tensor) and key != "step":
                    assert value.device == p.device and type(value._data) is type(p._data), key


@pytest.mark.parametrize("op", [
    lambda x, w: F.conv2d(x, w), lambda x, w: F.conv_transpose2d(x, w.transpose(0, 1)),
    lambda x, w: F.batch_norm(x, None, None, w[0, :, 0, 0], training=True), lambda x, w: x.sum() * w,
], ids=["conv2d", "conv_transpose2d", "batch_norm", "0-d-gpu-times-cpu"])
def test_once_cupy_is_loaded_every_primitive_refuses_two_devices_with_torchs_error(on_cuda, monkeypatch, op):
    # with CuPy imported, Function.apply checks every primitive's arrays (a stand-in module here:
    # no array is an instance of its ndarray, so only the fixture's arrays report cuda:0)
    import types
    monkeypatch.setattr(backend, "_cupy", types.SimpleNamespace(ndarray=type("NoGpuArray", (), {})))
    x = on_cuda(minigrad.randn(1, 2, 4, 4))
    w = minigrad.randn(3, 2, 3, 3)
    with pytest.raises(RuntimeError) as error:
        op(x, w)
    assert str(error.value) == MIXED
