"""What the example scripts share: command-line options, the epoch loop with a progress bar, evaluation,
checkpoints that resume exactly, and plots.

A checkpoint (``OUT/checkpoint.safetensors``) holds the model, the optimiser, the scheduler, the data
loader's position in the epoch, minigrad's random state and the history so far. It is written every
``--checkpoint-every`` steps and at the end of every epoch, atomically (``minigrad.save``), so a run
killed at any moment resumes with ``--resume`` from its last checkpoint and ends with exactly the
weights an uninterrupted run would have: the loader replays the same order and augmentation for the
rest of the epoch, and dropout draws the same numbers.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import minigrad
import minigrad.nn.functional as F

try:
    from tqdm import tqdm
except ImportError:  # progress bars are optional
    tqdm = None


def default_data_root() -> str:
    return os.environ.get("MINIGRAD_DATA") or str(Path.home() / ".cache" / "minigrad-data")


def run_script(main) -> None:
    """Run an example's ``main()``; a failed data set download ends it with the library's message (which
    lists the files to put in place) and how these scripts choose the data folder, without a traceback."""
    from minigrad.data.download import DownloadError
    try:
        main()
    except DownloadError as exc:
        sys.exit(f"error: {exc}\nIn these scripts root is --data-root DIR (default: $MINIGRAD_DATA if set, "
                 f"else ~/.cache/minigrad-data).")


def parser(description: str, *, epochs: int, batch_size: int, lr: float, out: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data-root", default=default_data_root(),
                   help="folder holding the data sets in torchvision's layout (default: $MINIGRAD_DATA, "
                        "else ~/.cache/minigrad-data, downloaded there when missing)")
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--num-workers", type=int, default=1, help="loader threads (0: load in the main thread)")
    p.add_argument("--limit", type=int, default=None, help="train on the first N training images only")
    p.add_argument("--out", default=out, help="folder for checkpoints, plots and history")
    p.add_argument("--checkpoint-every", type=int, default=200, help="steps between checkpoints")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.safetensors")
    p.add_argument("--no-download", action="store_true", help="fail instead of downloading missing data")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


class Run:
    """One training run: the objects whose state a checkpoint holds, and where it stands."""

    def __init__(self, args, model, optimizer, train_loader, test_loader, scheduler=None,
                 scheduler_per_step: bool = False, loss_fn=F.cross_entropy, augment=None):
        self.args, self.model, self.optimizer, self.scheduler = args, model, optimizer, scheduler
        self.train_loader, self.test_loader = train_loader, test_loader
        self.scheduler_per_step = scheduler_per_step
        self.loss_fn, self.augment = loss_fn, augment
        self.epoch, self.step = 0, 0
        self.history = {"epoch": [], "train_loss": [], "train_acc": [], "test_loss": [], "test_acc": [],
                        "seconds": []}
        self.out = Path(args.out)
        self.checkpoint_path = self.out / "checkpoint.safetensors"

    # ---- checkpoints ------------------------------------------------------------------------
    def save(self, mid_epoch: bool) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        minigrad.save({
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "loader": self.train_loader.state_dict() if mid_epoch else None,
            "epoch": self.epoch, "step": self.step, "epochs": self.args.epochs,
            "rng": json.dumps(minigrad.get_rng_state()),
            "history": json.dumps(self.history),
        }, self.checkpoint_path)

    def resume(self) -> None:
        if not self.checkpoint_path.exists():
            raise SystemExit(f"--resume: no checkpoint at {self.checkpoint_path}")
        state = minigrad.load(self.checkpoint_path)
        if state["epochs"] != self.args.epochs:
            raise SystemExit(f"--resume: {self.checkpoint_path} belongs to a run of --epochs {state['epochs']}; "
                             "resume with the same --epochs (the learning-rate schedule depends on it)")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if state["loader"] is not None:
            self.train_loader.load_state_dict(state["loader"])
        self.epoch, self.step = state["epoch"], state["step"]
        minigrad.set_rng_state(json.loads(state["rng"]))
        self.history = json.loads(state["history"])
        print(f"resumed from {self.checkpoint_path}: epoch {self.epoch + 1}, step {self.step}")

    # ---- the loops ----------------------------------------------------------------------------
    def train_epoch(self) -> tuple[float, float]:
        model, device = self.model.train(), self.args.device
        total_loss, correct, seen = 0.0, 0, 0
        batches = self.train_loader
        bar = None
        if tqdm is not None and not self.args.quiet:
            bar = batches = tqdm(batches, desc=f"epoch {self.epoch + 1}/{self.args.epochs}", leave=False,
                                 unit="batch", dynamic_ncols=True)
        for images, labels in batches:
            images, labels = images.to(device), labels.to(device)
            if self.augment is not None:
                images = self.augment(images)
            logits = model(images)
            loss = self.loss_fn(logits, labels)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            if self.scheduler is not None and self.scheduler_per_step:
                self.scheduler.step()
            self.step += 1
            batch_loss = loss.item()
            total_loss += batch_loss * len(labels)
            correct += int((logits.argmax(1) == labels).sum().item())
            seen += len(labels)
            if bar is not None:
                bar.set_postfix(loss=f"{batch_loss:.4f}", acc=f"{correct / seen:.4f}", refresh=False)
            if self.args.checkpoint_every and self.step % self.args.checkpoint_every == 0:
                self.save(mid_epoch=True)
        if bar is not None:
            bar.close()
        return total_loss / max(seen, 1), correct / max(seen, 1)

    def evaluate(self, loader=None) -> tuple[float, float]:
        model, device = self.model.eval(), self.args.device
        total_loss, correct, seen = 0.0, 0, 0
        with minigrad.no_grad():
            for images, labels in loader or self.test_loader:
                images, labels = images.to(device), labels.to(device)
                logits = model(images)
                total_loss += self.loss_fn(logits, labels, reduction="sum").item()
                correct += int((logits.argmax(1) == labels).sum().item())
                seen += len(labels)
        return total_loss / max(seen, 1), correct / max(seen, 1)

    def fit(self) -> dict:
        if self.args.resume:
            self.resume()
        while self.epoch < self.args.epochs:
            start = time.perf_counter()
            train_loss, train_acc = self.train_epoch()
            test_loss, test_acc = self.evaluate()
            seconds = time.perf_counter() - start
            if self.scheduler is not None and not self.scheduler_per_step:
                self.scheduler.step()
            for key, value in zip(self.history, (self.epoch + 1, train_loss, train_acc, test_loss, test_acc, seconds)):
                self.history[key].append(value)
            print(f"epoch {self.epoch + 1}/{self.args.epochs}  train loss {train_loss:.4f} acc {train_acc:.4f}  "
                  f"test loss {test_loss:.4f} acc {test_acc:.4f}  ({seconds:.1f} s)", flush=True)
            self.epoch += 1
            self.save(mid_epoch=False)
        (self.out / "history.json").write_text(json.dumps(self.history, indent=1))
        if not self.args.no_plots:
            plot_history(self.history, self.out / "curves.png")
        return self.history


def describe_and_fit(run: Run, training_images: int) -> dict:
    """What the classification examples do around ``Run.fit``: print the model and its size, train,
    print the final test accuracy, and draw the first layer's filters."""
    print(run.model)
    print(f"{sum(p.numel() for p in run.model.parameters()):,} parameters; {training_images:,} training images")
    history = run.fit()
    print(f"test accuracy {history['test_acc'][-1]:.4f} after {len(history['epoch'])} epochs "
          f"({sum(history['seconds']):.0f} s)")
    if not run.args.no_plots:
        plot_filters(run.model[0].weight, run.out / "filters.png", "conv1 filters")
    return history


def plot_history(history: dict, path: Path) -> None:
    """Loss and accuracy per epoch, train and test, as a PNG (needs matplotlib; skipped without it)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plots (pip install matplotlib)")
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for split in ("train", "test"):
        left.plot(history["epoch"], history[f"{split}_loss"], marker="o", label=split)
        right.plot(history["epoch"], history[f"{split}_acc"], marker="o", label=split)
    left.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for axes in (left, right):
        axes.legend()
        axes.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")


def plot_filters(weight, path: Path, title: str) -> None:
    """The first layer's filters (out, in, kH, kW) as a grid of small images (first input channel,
    or RGB when there are three)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    import numpy as np
    w = np.asarray(weight.detach().cpu())
    n = w.shape[0]
    cols = min(n, 8)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.2, rows * 1.2))
    for i, axis in enumerate(np.atleast_1d(axes).ravel()):
        axis.axis("off")
        if i < n:
            if w.shape[1] == 3:
                image = w[i].transpose(1, 2, 0)
                axis.imshow((image - image.min()) / (np.ptp(image) + 1e-12))
            else:
                axis.imshow(w[i, 0], cmap="gray")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")
