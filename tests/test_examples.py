"""The example scripts' machinery: exact resumption after a crash, real learning on MNIST, the gradcheck tour."""
from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.data import DataLoader, TensorDataset
from minigrad.data import transforms as T

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

from training import Run  # noqa: E402


class Crash(Exception):
    """Stands for the process being killed."""


def _small_run(out, *, resume=False, crash_at=None, epochs=2):
    minigrad.manual_seed(123)
    rng = np.random.default_rng(0)
    images = rng.standard_normal((96, 1, 8, 8)).astype(np.float32)
    labels = rng.integers(0, 3, 96)
    dataset = TensorDataset(minigrad.from_numpy(images), minigrad.from_numpy(labels))

    def collate(samples):  # a random augmentation per batch, drawn in the loader thread
        x = minigrad.stack([s[0] for s in samples])
        y = minigrad.stack([s[1] for s in samples])
        return minigrad.from_numpy(T.random_horizontal_flip_batch(x._data)), y

    loader = DataLoader(dataset, batch_size=16, shuffle=True, collate_fn=collate, num_workers=1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Dropout(0.3), nn.Linear(4 * 4 * 4, 3))
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = minigrad.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, epochs=epochs,
                                                       steps_per_epoch=len(loader))
    steps = {"n": 0}

    def loss_fn(logits, target, reduction="mean"):
        if model.training:
            steps["n"] += 1
            if crash_at is not None and steps["n"] == crash_at:
                raise Crash()
        return F.cross_entropy(logits, target, reduction=reduction)

    args = SimpleNamespace(out=str(out), resume=resume, epochs=epochs, device="cpu", quiet=True,
                           checkpoint_every=4, no_plots=True)
    run = Run(args, model, optimizer, loader, loader, scheduler, scheduler_per_step=True, loss_fn=loss_fn)
    return run, model


def test_a_run_killed_mid_epoch_resumes_to_exactly_the_same_weights(tmp_path):
    pytest.importorskip("safetensors")
    run, model = _small_run(tmp_path / "straight")
    run.fit()
    expected = {k: np.asarray(v) for k, v in model.state_dict().items()}

    crashed, _ = _small_run(tmp_path / "crashed", crash_at=10)  # epoch 2, after the checkpoint at step 8
    with pytest.raises(Crash):
        crashed.fit()
    resumed, model = _small_run(tmp_path / "crashed", resume=True)
    resumed.fit()
    assert resumed.step == run.step
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(value), expected[key], err_msg=key)
    assert resumed.history["test_loss"] == run.history["test_loss"]  # same weights after every epoch


def test_a_small_cnn_learns_real_mnist_in_a_few_hundred_steps(data_root):
    from minigrad.data.datasets import MNIST
    minigrad.manual_seed(0)
    transform = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    train = MNIST(data_root, train=True, transform=transform)
    held_out = MNIST(data_root, train=False, transform=transform)
    train_loader = DataLoader(minigrad.data.Subset(train, range(4000)), batch_size=32, shuffle=True)
    model = nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 10))
    optimizer = minigrad.optim.Adam(model.parameters(), lr=2e-3)
    losses = []
    for epoch in range(2):  # 250 steps
        for x, y in train_loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:20])
    model.eval()
    test_x = minigrad.stack([held_out[i][0] for i in range(1000)])
    test_y = minigrad.tensor([held_out[i][1] for i in range(1000)])
    with minigrad.no_grad():
        accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
    assert accuracy > 0.90


def test_the_gradcheck_tour_passes_every_configuration(capsys):
    import gradcheck_tour
    assert gradcheck_tour.main(["--no-second-order"]) == 0
    assert "0 failures" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["lenet", "lenet5", "cifar_cnn", "conv_autoencoder"])
def test_the_example_models_are_the_same_network_in_minigrad_and_torch(name, torch):
    """examples/models.py builds one network from either nn namespace: same state_dict keys and shapes,
    and with the same weights the same outputs and gradients (what bench_train.py relies on)."""
    import models
    build = getattr(models, name)
    ours, theirs = build(nn), build(torch.nn)
    ours_state = ours.state_dict()
    assert [(k, tuple(v.shape)) for k, v in ours_state.items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.detach().numpy())) for k, v in ours_state.items()})
    shape = (4, 3, 32, 32) if name == "cifar_cnn" else (4, 1, 28, 28)
    images = np.random.default_rng(1).standard_normal(shape)
    x, x_torch = minigrad.tensor(images, dtype=minigrad.float32), torch.tensor(images, dtype=torch.float32)
    out, out_torch = ours(x), theirs(x_torch)
    np.testing.assert_allclose(out.detach().numpy(), out_torch.detach().numpy(), rtol=1e-4, atol=1e-5)
    out.sum().backward()
    out_torch.sum().backward()
    first = next(iter(ours_state))
    np.testing.assert_allclose(dict(ours.named_parameters())[first].grad.numpy(),
                               dict(theirs.named_parameters())[first].grad.numpy(), rtol=1e-3, atol=1e-4)
