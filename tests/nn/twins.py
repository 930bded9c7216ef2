"""Helpers for tests/nn: run a minigrad module and its torch twin on the same weights and inputs."""
import numpy as np

import minigrad

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-7, atol=1e-9)}


def tol(dtype):
    return TOL[np.dtype(dtype).type]


def copy_state(torch_module, module):
    """Load torch's parameters and buffers into the minigrad module (through load_state_dict)."""
    module.load_state_dict({k: v.detach().numpy().copy() for k, v in torch_module.state_dict().items()})


def compare_modules(torch, module, torch_module, inputs, dtype, *, grad=True, seed=5, rtol=None, atol=None,
                    copy_weights=True):
    """Same weights, same inputs: same outputs, input gradients, parameter gradients and buffers."""
    mg_dtype, th_dtype = getattr(minigrad, np.dtype(dtype).name), getattr(torch, np.dtype(dtype).name)
    module.to(mg_dtype)
    torch_module.to(th_dtype)
    if copy_weights:
        copy_state(torch_module, module)
    t = dict(tol(dtype))
    if rtol is not None:
        t["rtol"] = rtol
    if atol is not None:
        t["atol"] = atol
    inputs = [np.asarray(a) for a in inputs]
    floats = [a.dtype.kind == "f" for a in inputs]
    mg_in = [minigrad.tensor(a.astype(dtype) if f else a, requires_grad=grad and f) for a, f in zip(inputs, floats)]
    th_in = [torch.tensor(a.astype(dtype) if f else a, requires_grad=grad and f) for a, f in zip(inputs, floats)]
    ym, yt = module(*mg_in), torch_module(*th_in)
    assert tuple(ym.shape) == tuple(yt.shape)
    assert ym.dtype.name == str(yt.dtype).replace("torch.", "")
    np.testing.assert_allclose(np.asarray(ym.detach()), yt.detach().numpy(), **t)
    for name, buf in torch_module.named_buffers():
        np.testing.assert_allclose(np.asarray(module.get_buffer(name)), buf.numpy(), err_msg=name, **t)
    if not grad or not yt.requires_grad:
        return ym, yt
    g = np.random.default_rng(seed).standard_normal(tuple(yt.shape)).astype(dtype)
    (ym * minigrad.tensor(g)).sum().backward()
    (yt * torch.from_numpy(g)).sum().backward()
    for k, (m, th) in enumerate(zip(mg_in, th_in)):
        if th.requires_grad:
            np.testing.assert_allclose(np.asarray(m.grad), th.grad.numpy(), err_msg=f"input {k}", **t)
    for name, p in torch_module.named_parameters():
        if p.grad is None:
            assert module.get_parameter(name).grad is None
            continue
        np.testing.assert_allclose(np.asarray(module.get_parameter(name).grad), p.grad.numpy(), err_msg=name, **t)
    return ym, yt


def assert_same_distribution(a, b, name=""):
    """Two samples agree in mean and standard deviation within 5 standard errors, and in range."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    se_mean = np.sqrt(a.var() / a.size + b.var() / b.size)
    assert abs(a.mean() - b.mean()) <= 5 * se_mean + 1e-12, f"{name}: means {a.mean()} vs {b.mean()}"
    se_std = np.sqrt(a.var() / (2 * a.size) + b.var() / (2 * b.size))
    assert abs(a.std() - b.std()) <= 5 * se_std + 1e-12, f"{name}: stds {a.std()} vs {b.std()}"
    # mean absolute deviation tells the shapes apart (0.80 std for a normal, 0.87 std for a uniform)
    dev_a, dev_b = np.abs(a - a.mean()), np.abs(b - b.mean())
    se_dev = np.sqrt(dev_a.var() / a.size + dev_b.var() / b.size)
    assert abs(dev_a.mean() - dev_b.mean()) <= 5 * se_dev + 1e-12, f"{name}: mean |deviation| differs"
    assert a.min() >= b.min() - 6 * b.std() and a.max() <= b.max() + 6 * b.std(), name
