"""End to end: an MLP written for torch and its minigrad twin, given the same weights, give the same
outputs, losses, gradients and state dicts, in train and eval mode."""
from collections import OrderedDict

import numpy as np
import pytest

import minigrad


def _mlp(lib):
    nn = lib.nn

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(OrderedDict([
                ("fc1", nn.Linear(12, 16)), ("bn1", nn.BatchNorm1d(16)), ("act1", nn.GELU()),
                ("drop", nn.Dropout(0.0)), ("fc2", nn.Linear(16, 16)), ("norm", nn.LayerNorm(16)), ("act2", nn.SiLU()),
            ]))
            self.head = nn.Linear(16, 5)

        def forward(self, x):
            return self.head(self.body(x.flatten(1)))

    return MLP()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mlp_twin_same_outputs_gradients_and_state(torch, dtype):
    mg, th = _mlp(minigrad).to(getattr(minigrad, dtype)), _mlp(torch).to(getattr(torch, dtype))
    assert repr(mg) == repr(th)
    assert list(mg.state_dict()) == list(th.state_dict())
    mg.load_state_dict({k: v.numpy() for k, v in th.state_dict().items()})
    rng = np.random.default_rng(0)
    tol = dict(rtol=2e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-8, atol=1e-10)
    for mode in ("train", "eval"):
        getattr(mg, mode)(), getattr(th, mode)()
        x = rng.standard_normal((8, 3, 4)).astype(dtype)
        target = rng.integers(0, 5, 8)
        loss_mg = minigrad.nn.CrossEntropyLoss(label_smoothing=0.1)(mg(minigrad.tensor(x)), minigrad.tensor(target))
        loss_th = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(th(torch.tensor(x)), torch.tensor(target))
        np.testing.assert_allclose(float(loss_mg), float(loss_th), **tol)
        mg.zero_grad(), th.zero_grad()
        loss_mg.backward(), loss_th.backward()
        for (name, p), (name_t, q) in zip(mg.named_parameters(), th.named_parameters()):
            assert name == name_t
            np.testing.assert_allclose(np.asarray(p.grad), q.grad.numpy(), err_msg=f"{mode} {name}", **tol)
        for (name, b), q in zip(mg.state_dict().items(), th.state_dict().values()):
            np.testing.assert_allclose(np.asarray(b), q.numpy(), err_msg=f"{mode} {name}", **tol)
