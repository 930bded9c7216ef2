"""CPU vs GPU parity: every op family, layer, loss and optimiser gives the same values and gradients
on device 'cuda' as on the CPU (float32 within 1e-5 relative, float64 within 1e-10), float64
gradchecks on the GPU, and a training step with no device-to-host copies.

Needs CuPy and a GPU (skipped otherwise); MINIGRAD_GPU_SUITE_DEVICE=cpu dry-runs the test code on the CPU.
"""
import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F

from gpu import DEVICE, require_gpu, to_host

cupy = require_gpu()
pytestmark = pytest.mark.cuda

TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}
DTYPES = [np.float32, np.float64]


def _on(device, arrays, dtype, requires_grad=True):
    return [minigrad.tensor(a.astype(dtype) if a.dtype.kind == "f" else a, device=device,
                            requires_grad=requires_grad and a.dtype.kind == "f") for a in arrays]


def check_parity(fn, arrays, dtype, grad=True):
    """fn on the CPU and on the GPU: equal outputs and equal gradients of every float input."""
    tolerance = TOLERANCE[dtype]
    cpu, gpu = _on("cpu", arrays, dtype, grad), _on(DEVICE, arrays, dtype, grad)
    out_cpu, out_gpu = fn(*cpu), fn(*gpu)
    outs_cpu = out_cpu if isinstance(out_cpu, (tuple, list)) else (out_cpu,)
    outs_gpu = out_gpu if isinstance(out_gpu, (tuple, list)) else (out_gpu,)
    rng = np.random.default_rng(0)
    loss_cpu = loss_gpu = 0
    for c, g in zip(outs_cpu, outs_gpu):
        assert g.device == DEVICE and g.dtype == c.dtype and g.shape == c.shape
        np.testing.assert_allclose(to_host(g.detach()._data), c.detach()._data, **tolerance)
        if grad and c.requires_grad:
            weight = rng.standard_normal(tuple(c.shape)).astype(c.detach()._data.dtype)
            loss_cpu = loss_cpu + (c * minigrad.tensor(weight)).sum()
            loss_gpu = loss_gpu + (g * minigrad.tensor(weight, device=DEVICE)).sum()
    if isinstance(loss_cpu, int):
        return
    loss_cpu.backward()
    loss_gpu.backward()
    for k, (c, g) in enumerate(zip(cpu, gpu)):
        if c.requires_grad:
            assert (c.grad is None) == (g.grad is None), f"input {k}"
            if c.grad is not None:
                assert g.grad.device == DEVICE
                np.testing.assert_allclose(to_host(g.grad._data), c.grad._data, err_msg=f"gradient {k}", **tolerance)


def _rand(*shape, positive=False, seed=0):
    x = np.random.default_rng(seed + len(shape)).standard_normal(shape)
    return np.abs(x) + 0.5 if positive else x


LABELS = np.array([1, 0, 3, 2, 1])

OPS = {
    # elementwise
    "add-broadcast": (lambda a, b: a + b, [_rand(3, 4), _rand(4)]),
    "sub-mul-div": (lambda a, b: (a - b) * a / b, [_rand(3, 4), _rand(3, 4, positive=True)]),
    "pow": (lambda a, b: a ** b, [_rand(3, 4, positive=True), _rand(3, 4)]),
    "unary": (lambda a: (a.exp() + a.sin() + a.cos() + a.tanh() + a.sigmoid() + a.abs()).sum(0), [_rand(3, 4)]),
    "log-sqrt": (lambda a: a.log() + a.sqrt(), [_rand(3, 4, positive=True)]),
    "clamp-maximum-where": (lambda a, b: minigrad.where(a > 0, minigrad.maximum(a, b), a.clamp(-0.5, 0.5)),
                            [_rand(4, 5), _rand(4, 5, seed=1)]),
    "activations": (lambda a: F.relu(a) + F.gelu(a) + F.silu(a) + F.elu(a) + F.leaky_relu(a, 0.1) + F.softplus(a)
                    + F.hardtanh(a) + F.logsigmoid(a), [_rand(4, 5)]),
    # reductions
    "sum-mean-dims": (lambda a: a.sum((0, 2)) + a.mean(1, keepdim=True).sum(), [_rand(2, 3, 4)]),
    "max-min-amax": (lambda a: a.max(1)[0] + a.min(0)[0].sum() + a.amax(-1), [_rand(3, 3)]),
    "var-std-norm": (lambda a: a.var(0) + a.std(1).sum() + a.norm(), [_rand(4, 4)]),
    "softmax-logsumexp": (lambda a: F.softmax(a, 1) + F.log_softmax(a, 0) + a.logsumexp(1, keepdim=True), [_rand(4, 5)]),
    "prod-cumsum": (lambda a: a.prod(1) + a.cumsum(1)[:, -1], [_rand(3, 4)]),
    # shape and indexing
    "reshape-permute-transpose": (lambda a: a.reshape(4, 6).transpose(0, 1).permute(1, 0).flatten(), [_rand(2, 3, 4)]),
    "cat-stack-split": (lambda a, b: minigrad.stack([minigrad.cat([a, b], 1)] * 2).split(3, dim=2)[1],
                        [_rand(2, 3), _rand(2, 4)]),
    "getitem": (lambda a: a[1:, ::2] + a[[0, 2, 2]][:, :2].sum(), [_rand(4, 4)]),
    "gather-index_select": (lambda a, i: a.gather(1, i).sum() + a.index_select(0, i[:, 0]).sum(1),
                            [_rand(3, 4), np.array([[0, 3], [1, 1], [2, 0]])]),
    "flip-expand-squeeze": (lambda a: a.flip(0).unsqueeze(0).expand(2, 3, 4).squeeze(), [_rand(3, 4)]),
    # linear algebra
    "matmul-bmm-linear": (lambda a, b, w: (a @ b).sum() + minigrad.bmm(a.unsqueeze(0), b.unsqueeze(0)).sum()
                          + F.linear(a, w).sum(), [_rand(3, 4), _rand(4, 5), _rand(2, 4)]),
    # padding
    "pad-modes": (lambda a: F.pad(a, (1, 2, 2, 1)).sum() + F.pad(a, (1, 1, 1, 1), mode="reflect").sum()
                  + F.pad(a, (2, 0, 1, 1), mode="replicate").sum() + F.pad(a, (1, 1, 1, 1), mode="circular").sum(),
                  [_rand(2, 2, 4, 5)]),
    # convolution
    "conv1d-groups": (lambda x, w: F.conv1d(x, w, None, 2, 1, 2, 2), [_rand(2, 4, 11), _rand(4, 2, 3)]),
    "conv2d-stride-padding": (lambda x, w, b: F.conv2d(x, w, b, 2, 1), [_rand(2, 3, 9, 8), _rand(4, 3, 3, 3), _rand(4)]),
    "conv2d-same-dilation": (lambda x, w: F.conv2d(x, w, padding="same", dilation=2), [_rand(2, 3, 8, 8), _rand(2, 3, 3, 3)]),
    "conv2d-depthwise": (lambda x, w: F.conv2d(x, w, padding=1, groups=4), [_rand(2, 4, 7, 7), _rand(4, 1, 3, 3)]),
    "conv2d-pointwise": (lambda x, w: F.conv2d(x, w), [_rand(2, 4, 5, 5), _rand(3, 4, 1, 1)]),
    "conv3d": (lambda x, w: F.conv3d(x, w, None, (1, 2, 1), 1), [_rand(1, 2, 5, 6, 5), _rand(3, 2, 3, 2, 3)]),
    "conv_transpose2d-stride": (lambda y, w, b: F.conv_transpose2d(y, w, b, 2, 1, 1), [_rand(2, 4, 4, 5), _rand(4, 3, 3, 3), _rand(3)]),
    "conv_transpose1d-unit-stride": (lambda y, w: F.conv_transpose1d(y, w, None, 1, 1), [_rand(2, 3, 6), _rand(3, 2, 4)]),
    "conv_transpose3d": (lambda y, w: F.conv_transpose3d(y, w, None, 2), [_rand(1, 2, 3, 3, 2), _rand(2, 2, 2, 2, 2)]),
    # pooling
    "max_pool2d-ceil-indices": (lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True), [_rand(2, 3, 9, 8)]),
    "max_pool1d-dilation": (lambda x: F.max_pool1d(x, 2, 1, 1, 2), [_rand(2, 3, 9)]),
    "max_pool3d": (lambda x: F.max_pool3d(x, 2), [_rand(1, 2, 4, 5, 6)]),
    "avg_pool2d-no-pad-count": (lambda x: F.avg_pool2d(x, 3, 2, 1, True, False), [_rand(2, 3, 9, 8)]),
    "avg_pool2d-divisor": (lambda x: F.avg_pool2d(x, 2, divisor_override=3), [_rand(2, 3, 6, 6)]),
    "avg_pool1d-3d": (lambda x, y: F.avg_pool1d(x, 3, 1, 1).sum() + F.avg_pool3d(y, 2).sum(),
                      [_rand(2, 3, 8), _rand(1, 2, 4, 4, 4)]),
    "adaptive": (lambda x: F.adaptive_avg_pool2d(x, (3, 2)).sum() + F.adaptive_max_pool2d(x, 3).sum()
                 + F.adaptive_avg_pool2d(x, 1).sum(), [_rand(2, 3, 7, 5)]),
    "max_unpool2d": (lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2), [_rand(2, 3, 6, 6)]),
    "lp_pool2d": (lambda x: F.lp_pool2d(x, 2, 2), [_rand(2, 3, 6, 6, positive=True)]),
    # sampling
    "interpolate": (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False).sum()
                    + F.interpolate(x, size=(5, 7), mode="nearest").sum(), [_rand(1, 2, 4, 4)]),
    # losses
    "cross_entropy": (lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1) + F.cross_entropy(x, t, ignore_index=1),
                      [_rand(5, 4), LABELS]),
    "nll-mse-l1-huber": (lambda x, y: F.nll_loss(F.log_softmax(x, 1), minigrad.tensor(LABELS, device=x.device))
                         + F.mse_loss(x, y) + F.l1_loss(x, y, reduction="sum") + F.smooth_l1_loss(x, y)
                         + F.huber_loss(x, y, delta=0.5), [_rand(5, 4), _rand(5, 4, seed=1)]),
    "bce-kl": (lambda x, y: F.binary_cross_entropy(x.sigmoid(), y.sigmoid()) + F.binary_cross_entropy_with_logits(x, y.sigmoid())
               + F.kl_div(F.log_softmax(x, 1), F.softmax(y, 1), reduction="batchmean"), [_rand(5, 4), _rand(5, 4, seed=1)]),
    # normalisation in functional form
    "layer-group-norm": (lambda x, w, b: F.layer_norm(x, (5,), w, b).sum() + F.group_norm(x.transpose(1, 2), 1).sum(),
                         [_rand(2, 3, 5), _rand(5), _rand(5)]),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_op_on_the_gpu_matches_the_cpu_in_values_and_gradients(name, dtype):
    fn, arrays = OPS[name]
    check_parity(fn, arrays, dtype)


GRADCHECKED = ["conv2d-stride-padding", "conv_transpose2d-stride", "max_pool2d-ceil-indices", "avg_pool2d-no-pad-count",
               "adaptive", "cross_entropy", "softmax-logsumexp", "getitem", "pad-modes", "matmul-bmm-linear"]


@pytest.mark.parametrize("name", GRADCHECKED)
def test_float64_gradcheck_and_gradgradcheck_pass_on_the_gpu(name):
    fn, arrays = OPS[name]
    inputs = _on(DEVICE, arrays, np.float64)
    checked = [t for t in inputs if t.requires_grad]   # integer inputs (labels, indices) are held fixed

    def first_output(*floats):
        it = iter(floats)
        out = fn(*[next(it) if t.requires_grad else t for t in inputs])
        return out[0] if isinstance(out, tuple) else out
    assert minigrad.autograd.gradcheck(first_output, checked, atol=1e-5, rtol=1e-3)
    assert minigrad.autograd.gradgradcheck(first_output, checked, atol=1e-5, rtol=1e-3)


# ---- layers (modules with parameters and buffers) ---------------------------------------------

LAYERS = {
    "Linear": (lambda: nn.Linear(4, 3), (5, 4)),
    "Conv2d": (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 8, 8)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, output_padding=1), (2, 3, 4, 4)),
    "Conv1d-reflect": (lambda: nn.Conv1d(2, 3, 3, padding=1, padding_mode="reflect"), (2, 2, 7)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(3), (4, 3, 5, 5)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(4), (6, 4)),
    "LayerNorm": (lambda: nn.LayerNorm(5), (2, 3, 5)),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(3, affine=True), (2, 3, 4, 4)),
    "Bilinear": (lambda: nn.Bilinear(3, 2, 4), None),
    "Embedding": (lambda: nn.Embedding(10, 3), None),
    "CNN": (lambda: nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(8, 8, 3, padding=1, groups=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                  nn.Flatten(), nn.Dropout(0.5), nn.Linear(8, 10)), (4, 3, 8, 8)),
}


def _layer_inputs(name, device, dtype):
    rng = np.random.default_rng(5)
    if name == "Bilinear":
        return [minigrad.tensor(rng.standard_normal(s).astype(dtype), device=device) for s in ((5, 3), (5, 2))]
    if name == "Embedding":
        return [minigrad.tensor(np.array([[1, 4, 9], [0, 0, 3]]), device=device)]
    return [minigrad.tensor(rng.standard_normal(LAYERS[name][1]).astype(dtype), device=device, requires_grad=True)]


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_moved_to_the_gpu_matches_the_cpu_outputs_gradients_and_buffers(name, dtype, training):
    tolerance = TOLERANCE[dtype]
    minigrad.manual_seed(0)
    cpu_model = LAYERS[name][0]().to(minigrad.float64 if dtype == np.float64 else minigrad.float32)
    minigrad.manual_seed(0)
    gpu_model = LAYERS[name][0]().to(minigrad.float64 if dtype == np.float64 else minigrad.float32)
    parameters = list(gpu_model.parameters())
    assert gpu_model.to(DEVICE) is gpu_model
    assert [id(p) for p in gpu_model.parameters()] == [id(p) for p in parameters]  # same Parameter objects
    for key, value in gpu_model.state_dict().items():
        assert value.device == DEVICE, key
    cpu_model.train(training)
    gpu_model.train(training)
    if training and name == "CNN":   # dropout draws differ between devices: compare without it
        cpu_model[8].p = gpu_model[8].p = 0.0
    cpu_inputs, gpu_inputs = _layer_inputs(name, "cpu", dtype), _layer_inputs(name, DEVICE, dtype)
    out_cpu, out_gpu = cpu_model(*cpu_inputs), gpu_model(*gpu_inputs)
    np.testing.assert_allclose(to_host(out_gpu.detach()._data), out_cpu.detach()._data, **tolerance)
    weight = np.random.default_rng(6).standard_normal(tuple(out_cpu.shape)).astype(dtype)
    (out_cpu * minigrad.tensor(weight)).sum().backward()
    (out_gpu * minigrad.tensor(weight, device=DEVICE)).sum().backward()
    for (key, p_cpu), p_gpu in zip(cpu_model.named_parameters(), gpu_model.parameters()):
        assert p_gpu.grad.device == DEVICE
        np.testing.assert_allclose(to_host(p_gpu.grad._data), p_cpu.grad._data, err_msg=key, **tolerance)
    for (key, b_cpu), b_gpu in zip(cpu_model.named_buffers(), gpu_model.buffers()):   # running statistics
        np.testing.assert_allclose(to_host(b_gpu._data), b_cpu._data, err_msg=key, **tolerance)
    if gpu_inputs[0].requires_grad:
        np.testing.assert_allclose(to_host(gpu_inputs[0].grad._data), cpu_inputs[0].grad._data, **tolerance)
    back = gpu_model.to("cpu")
    for key, value in back.state_dict().items():
        assert value.device == "cpu", key


# ---- optimisers -------------------------------------------------------------------------------

OPTIMIZERS = {
    "SGD-momentum-nesterov": lambda ps: minigrad.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adam-amsgrad": lambda ps: minigrad.optim.Adam(ps, lr=0.01, amsgrad=True, weight_decay=0.01),
    "AdamW": lambda ps: minigrad.optim.AdamW(ps, lr=0.01),
    "RMSprop-centered": lambda ps: minigrad.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda ps: minigrad.optim.Adagrad(ps, lr=0.1),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_steps_on_the_gpu_match_the_cpu_and_keep_state_on_the_gpu(name, dtype):
    tolerance = TOLERANCE[dtype]
    rng = np.random.default_rng(7)
    start = [rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal(4).astype(dtype)]
    grads = [[rng.standard_normal(a.shape).astype(dtype) for a in start] for _ in range(4)]
    results = {}
    for device in ("cpu", DEVICE):
        params = [nn.Parameter(minigrad.tensor(a, device=device)) for a in start]
        opt = OPTIMIZERS[name](params)
        for step_grads in grads:
            for p, g in zip(params, step_grads):
                p.grad = minigrad.tensor(g, device=device)
            opt.step()
        for p in params:
            assert p.device == device
            for key, value in opt.state[p].items():
                if isinstance(value, minigrad.Tensor) and key != "step":   # torch keeps `step` on the CPU
                    assert value.device == device, key
        # a state dict loaded into an optimiser of GPU parameters lands on the GPU
        fresh = OPTIMIZERS[name](params)
        fresh.load_state_dict(opt.state_dict())
        for p in params:
            for key, value in fresh.state[p].items():
                if isinstance(value, minigrad.Tensor) and key != "step":
                    assert value.device == device, key
        results[device] = [to_host(p._data) for p in params]
    for a, b in zip(results[DEVICE], results["cpu"]):
        np.testing.assert_allclose(a, b, **tolerance)
