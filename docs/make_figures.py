"""Regenerate the figures in docs/figures/ with minigrad and matplotlib.

    python docs/make_figures.py [--data-root DIR] [--steps 300]

Every number drawn comes from minigrad: window positions and output sizes from real convolutions of
one-hot images, overlap counts from a transposed convolution, filters, feature maps and saliency maps
from a small CNN that this script trains briefly on MNIST (skipped with a message when the data set is
missing: set $MINIGRAD_DATA or pass --data-root). Runs in about a minute on a laptop CPU.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import minigrad  # noqa: E402
import minigrad.nn as nn  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402

FIGURES = Path(__file__).resolve().parent / "figures"
DPI = 90


def save(fig, name: str) -> None:
    path = FIGURES / name
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    print(f"  {path.relative_to(ROOT)}  {path.stat().st_size / 1024:.0f} KB")


# ---- sliding-window diagrams ------------------------------------------------------------------

def window_of(size: int, kernel: int, stride: int, padding: int, dilation: int, out_r: int, out_c: int):
    """Padded-input cells read by output (out_r, out_c), found by minigrad: the gradient of that output
    w.r.t. the padded input is nonzero exactly at the kernel's taps."""
    padded = size + 2 * padding
    x = minigrad.zeros(1, 1, padded, padded, dtype=minigrad.float64, requires_grad=True)
    w = minigrad.ones(1, 1, kernel, kernel, dtype=minigrad.float64)
    y = F.conv2d(x, w, stride=stride, dilation=dilation)
    y[0, 0, out_r, out_c].backward()
    taps = np.argwhere(x.grad[0, 0].numpy() != 0)
    return [tuple(t) for t in taps], y.shape[-1]


def draw_grid(ax, n, offset=(0, 0), fill=None, edge="0.4"):
    for r in range(n):
        for c in range(n):
            color = fill(r, c) if fill else "white"
            ax.add_patch(Rectangle((offset[0] + c, offset[1] - r - 1), 1, 1, facecolor=color, edgecolor=edge, lw=0.8))


def sliding_window_figure(name, size, kernel, stride, padding, dilation, title):
    placements = [(0, 0), (0, 1), (1, 1)]
    fig, axes = plt.subplots(1, len(placements), figsize=(3.1 * len(placements), 2.6))
    padded = size + 2 * padding
    for ax, (r, c) in zip(axes, placements):
        taps, out = window_of(size, kernel, stride, padding, dilation, r, c)
        if r >= out or c >= out:
            ax.axis("off")
            continue
        inside = lambda i, j: padding <= i < padding + size and padding <= j < padding + size  # noqa: E731
        tapset = set(taps)
        draw_grid(ax, padded, fill=lambda i, j: ("#1f77b4" if (i, j) in tapset else "#aec7e8") if inside(i, j)
                  else ("#ff7f0e" if (i, j) in tapset else "white"))
        draw_grid(ax, out, offset=(padded + 1, -(padded - out) / 2),
                  fill=lambda i, j: "#2ca02c" if (i, j) == (r, c) else "#c7e9c0")
        ax.set_xlim(-0.2, padded + out + 1.2)
        ax.set_ylim(-padded - 0.2, 0.2)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(f"output ({r}, {c})", fontsize=9)
    fig.suptitle(title + f": {size}x{size} input -> {out}x{out} output", fontsize=10)
    save(fig, name)


def conv_transpose_figure():
    """Each of the 2x2 input units paints a 3x3 copy of the kernel onto the 5x5 output (stride 2);
    the numbers are the overlap counts, from conv_transpose2d of ones."""
    size, kernel, stride = 2, 3, 2
    counts = F.conv_transpose2d(minigrad.ones(1, 1, size, size), minigrad.ones(1, 1, kernel, kernel), stride=stride)
    out = counts.shape[-1]
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.0), gridspec_kw={"width_ratios": [1, 2]})
    ax = axes[0]
    draw_grid(ax, size, fill=lambda i, j: colors[i * size + j])
    ax.set_xlim(-0.2, size + 0.2), ax.set_ylim(-size - 0.2, 0.2), ax.set_aspect("equal"), ax.axis("off")
    ax.set_title(f"input {size}x{size}", fontsize=9)
    ax = axes[1]
    draw_grid(ax, out)
    for unit in range(size * size):
        one_hot = minigrad.zeros(1, 1, size * size)
        one_hot[0, 0, unit] = 1.0
        painted = F.conv_transpose2d(one_hot.reshape(1, 1, size, size), minigrad.ones(1, 1, kernel, kernel),
                                     stride=stride)[0, 0].numpy()
        for i, j in np.argwhere(painted != 0):
            shift = 0.12 * (unit - 1.5)
            ax.add_patch(Rectangle((j + 0.3 + shift, -i - 0.7 + shift), 0.4, 0.4, facecolor=colors[unit], alpha=0.8))
    for i in range(out):
        for j in range(out):
            ax.text(j + 0.85, -i - 0.2, str(int(counts[0, 0, i, j].item())), fontsize=7, ha="right", va="top")
    ax.set_xlim(-0.2, out + 0.2), ax.set_ylim(-out - 0.2, 0.2), ax.set_aspect("equal"), ax.axis("off")
    ax.set_title(f"output {out}x{out} (kernel 3, stride 2): overlaps 1, 2, 4", fontsize=9)
    save(fig, "conv_transpose.png")


# ---- checkerboard -----------------------------------------------------------------------------

def checkerboard_figure():
    minigrad.manual_seed(1)
    channels = 4
    x = minigrad.ones(1, channels, 4, 4)
    transposed = [nn.ConvTranspose2d(channels, channels, kernel_size=3, stride=2, padding=1, output_padding=1)
                  for _ in range(4)]
    resize = [nn.Conv2d(channels, channels, kernel_size=3, padding=1) for _ in range(4)]
    for layer in transposed + resize:  # positive weights: the pattern is not averaged away by signs
        layer.weight.data = layer.weight.data.abs()
        layer.bias.data = layer.bias.data * 0
    with minigrad.no_grad():
        a = x
        for layer in transposed:
            a = F.relu(layer(a))
        b = x
        for layer in resize:
            b = F.relu(layer(F.interpolate(b, scale_factor=2, mode="nearest")))
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4))
    for ax, image, title in ((axes[0], a, "ConvTranspose2d(k=3, s=2) x4"),
                             (axes[1], b, "nearest resize + Conv2d(k=3) x4")):
        ax.imshow(image[0].mean(0).numpy(), cmap="magma")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.suptitle("A constant 4x4 input upsampled to 64x64 by random layers", fontsize=10)
    save(fig, "checkerboard.png")


# ---- a small MNIST model: filters, feature maps, saliency ---------------------------------------

def mnist_figures(data_root: Path, steps: int):
    from minigrad.data import MNIST, DataLoader, Subset, transforms
    minigrad.manual_seed(0)
    to_tensor = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train = MNIST(str(data_root), train=True, transform=to_tensor)
    test = MNIST(str(data_root), train=False, transform=to_tensor)
    model = nn.Sequential(
        nn.Conv2d(1, 8, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 10))
    optimizer = minigrad.optim.Adam(model.parameters(), lr=3e-3)
    loader = DataLoader(Subset(train, range(steps * 64)), batch_size=64, shuffle=True)
    for images, labels in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
    model.eval()
    images, labels = next(iter(DataLoader(Subset(test, range(1000)), batch_size=1000)))
    with minigrad.no_grad():
        accuracy = (model(images).argmax(1) == labels).float().mean().item()
    print(f"  trained {steps} steps, test accuracy on 1000 images: {accuracy:.3f}, last loss {loss.item():.3f}")

    weights = model[0].weight.detach()[:, 0]  # (8, 5, 5)
    fig, axes = plt.subplots(1, 8, figsize=(8, 1.3))
    for ax, w in zip(axes, weights):
        limit = w.abs().max().item()
        ax.imshow(w.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.axis("off")
    fig.suptitle("First-layer filters (5x5) of the MNIST CNN (red positive, blue negative)", fontsize=9)
    save(fig, "filters.png")

    digit = images[:1]
    with minigrad.no_grad():
        maps = F.relu(model[0](digit))[0]  # (8, 28, 28)
    fig, axes = plt.subplots(1, 9, figsize=(9, 1.4))
    axes[0].imshow(digit[0, 0].numpy(), cmap="gray")
    axes[0].set_title("input", fontsize=8)
    for ax, m, k in zip(axes[1:], maps, range(8)):
        ax.imshow(m.numpy(), cmap="viridis")
        ax.set_title(f"map {k}", fontsize=8)
    for ax in axes:
        ax.axis("off")
    fig.suptitle("Feature maps after conv1 + ReLU", fontsize=9)
    save(fig, "feature_maps.png")

    # saliency: |d logit_of_true_class / d input|
    batch = images[:6].detach().requires_grad_()
    logits = model(batch)
    logits.gather(1, labels[:6].unsqueeze(1)).sum().backward()
    saliency = batch.grad.abs()[:, 0]
    fig, axes = plt.subplots(2, 6, figsize=(7.5, 2.8))
    for k in range(6):
        axes[0, k].imshow(images[k, 0].numpy(), cmap="gray")
        axes[0, k].set_title(f"label {labels[k].item()}", fontsize=8)
        axes[1, k].imshow(saliency[k].numpy(), cmap="hot")
    for ax in axes.flat:
        ax.axis("off")
    fig.suptitle("Input-gradient saliency |d logit / d pixel| (bottom)", fontsize=9)
    save(fig, "saliency.png")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_root = os.environ.get("MINIGRAD_DATA") or str(ROOT.parent / "shared" / "data")
    parser.add_argument("--data-root", default=default_root)
    parser.add_argument("--steps", type=int, default=300, help="training steps of the MNIST model")
    args = parser.parse_args(argv)
    FIGURES.mkdir(exist_ok=True)
    start = time.time()
    print("sliding windows")
    sliding_window_figure("conv_padding_stride.png", 5, 3, 2, 1, 1, "kernel 3, padding 1, stride 2")
    sliding_window_figure("conv_dilation.png", 7, 3, 1, 0, 2, "kernel 3, dilation 2")
    conv_transpose_figure()
    print("checkerboard")
    checkerboard_figure()
    if (Path(args.data_root) / "MNIST").is_dir():
        print("MNIST model")
        mnist_figures(Path(args.data_root), args.steps)
    else:
        print(f"no MNIST under {args.data_root}: skipped filters, feature maps and saliency "
              "(set MINIGRAD_DATA or --data-root)")
    print(f"done in {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
