"""A convolutional autoencoder on Fashion-MNIST: strided convolutions compress each image to a 16-number
code, transposed convolutions upsample the code back into an image.

    python examples/conv_autoencoder.py --data-root /path/to/data          # FashionMNIST/raw there
    python examples/conv_autoencoder.py --dataset mnist --epochs 2

Writes runs/autoencoder/reconstructions.png: a grid of test images (top row of each pair) above
their reconstructions, plus checkpoints and the loss history.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.data import DataLoader, Subset
from minigrad.data import transforms as T
from minigrad.data.datasets import MNIST, FashionMNIST
from minigrad.optim import Adam

from models import conv_autoencoder
from training import parser, run_script

try:
    from tqdm import tqdm
except ImportError:
    tqdm = None


def save_grid(originals: np.ndarray, reconstructions: np.ndarray, path: Path) -> None:
    """Rows of 8 originals, each above its 8 reconstructions, as one PNG (matplotlib)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no PNG (pip install matplotlib)")
        return
    n = len(originals)
    rows = []
    for start in range(0, n, 8):
        rows.append(np.concatenate(list(originals[start:start + 8]), axis=1))
        rows.append(np.concatenate(list(reconstructions[start:start + 8]), axis=1))
    grid = np.concatenate(rows, axis=0)
    plt.figure(figsize=(8, grid.shape[0] / grid.shape[1] * 8))
    plt.imshow(grid, cmap="gray", vmin=0, vmax=1)
    plt.axis("off")
    plt.title("inputs (odd rows) and reconstructions (even rows)")
    plt.tight_layout()
    plt.savefig(path, dpi=100)
    plt.close()
    print(f"wrote {path}")


def main(argv=None):
    p = parser(__doc__.splitlines()[0], epochs=5, batch_size=128, lr=2e-3, out="runs/autoencoder")
    p.add_argument("--dataset", choices=["fashion", "mnist"], default="fashion")
    p.add_argument("--code", type=int, default=16, help="size of the code each image is compressed to")
    args = p.parse_args(argv)
    minigrad.manual_seed(args.seed)
    dataset = FashionMNIST if args.dataset == "fashion" else MNIST
    train_set = dataset(args.data_root, train=True, transform=T.ToTensor(), download=not args.no_download)
    test_set = dataset(args.data_root, train=False, transform=T.ToTensor(), download=not args.no_download)
    if args.limit:
        train_set = Subset(train_set, range(args.limit))
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=args.num_workers)

    model = conv_autoencoder(nn, args.code).to(args.device)
    optimizer = Adam(model.parameters(), lr=args.lr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / "checkpoint.safetensors"
    start_epoch, history = 0, []
    if args.resume:
        state = minigrad.load(checkpoint)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, history = state["epoch"], json.loads(state["history"])
        minigrad.set_rng_state(json.loads(state["rng"]))
    print(model)

    for epoch in range(start_epoch, args.epochs):
        model.train()
        start, total, seen = time.perf_counter(), 0.0, 0
        batches = loader
        if tqdm is not None and not args.quiet:
            batches = tqdm(loader, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False, unit="batch")
        for images, _ in batches:
            images = images.to(args.device)
            loss = F.binary_cross_entropy(model(images), images)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(images)
            seen += len(images)
            if tqdm is not None and not args.quiet:
                batches.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        model.eval()
        with minigrad.no_grad():
            test_images = minigrad.stack([test_set[i][0] for i in range(1000)]).to(args.device)
            test_loss = F.binary_cross_entropy(model(test_images), test_images).item()
        history.append({"epoch": epoch + 1, "train_bce": total / seen, "test_bce": test_loss})
        print(f"epoch {epoch + 1}/{args.epochs}  train BCE {total / seen:.4f}  test BCE {test_loss:.4f}  "
              f"({time.perf_counter() - start:.1f} s)", flush=True)
        minigrad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch + 1,
                       "history": json.dumps(history), "rng": json.dumps(minigrad.get_rng_state())}, checkpoint)

    model.eval()
    with minigrad.no_grad():
        originals = minigrad.stack([test_set[i][0] for i in range(32)]).to(args.device)
        reconstructions = model(originals)
    save_grid(np.asarray(originals.cpu())[:, 0], np.asarray(reconstructions.cpu())[:, 0], out / "reconstructions.png")
    (out / "history.json").write_text(json.dumps(history, indent=1))
    return history


if __name__ == "__main__":
    run_script(main)
