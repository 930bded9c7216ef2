"""A torch-defined CNN and its minigrad twin, given the same weights, produce the same outputs, gradients
and optimiser steps, and their checkpoints cross between the two libraries in both directions."""
import numpy as np
import pytest

import minigrad


def small_cnn(nn):
    """Conv + BatchNorm + ReLU + max pool, a strided conv, a transposed conv, global average pool,
    dropout-free head: every family the examples use, in one network."""
    return nn.Sequential(
        nn.Conv2d(3, 6, kernel_size=3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 8, kernel_size=3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.ConvTranspose2d(8, 8, kernel_size=2, stride=2), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5),
    )


def _twins(torch, dtype):
    torch.manual_seed(0)
    theirs = small_cnn(torch.nn).to(getattr(torch, dtype))
    ours = small_cnn(minigrad.nn).to(getattr(minigrad, dtype))
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return theirs, ours


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 2e-4)])
def test_same_weights_give_the_same_outputs_gradients_and_sgd_steps(torch, dtype, tol):
    theirs, ours = _twins(torch, dtype)
    their_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    our_opt = minigrad.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    rng = np.random.default_rng(1)
    for step in range(3):
        images = rng.standard_normal((4, 3, 12, 12)).astype(dtype)
        labels = rng.integers(0, 5, 4)
        their_loss = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(images)), torch.from_numpy(labels))
        our_loss = minigrad.nn.functional.cross_entropy(ours(minigrad.from_numpy(images)), minigrad.from_numpy(labels))
        np.testing.assert_allclose(our_loss.item(), their_loss.item(), rtol=tol, err_msg=f"loss at step {step}")
        their_opt.zero_grad()
        their_loss.backward()
        our_opt.zero_grad()
        our_loss.backward()
        for (name, p), q in zip(theirs.named_parameters(), ours.parameters()):
            np.testing.assert_allclose(np.asarray(q.grad), p.grad.numpy(), rtol=tol, atol=tol,
                                       err_msg=f"grad of {name} at step {step}")
        their_opt.step()
        our_opt.step()
    for name, value in theirs.state_dict().items():  # weights after 3 steps, and BatchNorm's running stats
        np.testing.assert_allclose(np.asarray(ours.state_dict()[name]), value.numpy(), rtol=tol, atol=tol, err_msg=name)
    theirs.eval()
    ours.eval()
    images = rng.standard_normal((2, 3, 12, 12)).astype(dtype)
    with torch.no_grad(), minigrad.no_grad():
        np.testing.assert_allclose(np.asarray(ours(minigrad.from_numpy(images))),
                                   theirs(torch.from_numpy(images)).numpy(), rtol=tol, atol=tol)


def test_checkpoints_cross_between_torch_and_minigrad_both_ways(torch, tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    theirs, ours = _twins(torch, "float32")
    ours.train()(minigrad.randn(2, 3, 12, 12))  # move minigrad's running statistics away from torch's
    minigrad.save(ours.state_dict(), tmp_path / "ours.safetensors")
    fresh = small_cnn(torch.nn)
    fresh.load_state_dict(safetensors_torch.load_file(str(tmp_path / "ours.safetensors")))
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[name].numpy(), np.asarray(value), err_msg=name)

    safetensors_torch.save_file(theirs.state_dict(), str(tmp_path / "theirs.safetensors"))
    back = small_cnn(minigrad.nn)
    back.load_state_dict(minigrad.load(tmp_path / "theirs.safetensors"))
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(np.asarray(back.state_dict()[name]), value.numpy(), err_msg=name)
