"""What the example scripts share: command-line options, the epoch loop with a progress bar, evaluation,
checkpoints that resume exactly, and plots.

A checkpoint (``OUT/checkpoint.safetensors``) holds the model, the optimiser, the scheduler, the data
loader's position in the epoch, minigrad's random state and the history so far. It is written every
``--checkpoint-every`` steps and at the end of every epoch, atomically (``minigrad.save``), so a run
killed at any moment resumes with ``--resume`` from its last checkpoint and ends with exactly the
weights an uninterrupted run would have: the loader replays the same order and augmentation for the
rest of the epoch, and dropout draws the same numbers.

``--distributed`` (under ``mpiexec -n K``) trains data-parallel: ``--batch-size`` stays the global batch,
each rank loads ``batch_size / K`` of it through a ``DistributedSampler`` and the model is wrapped in
``DistributedDataParallel``, so K ranks follow the single-process recipe (same batch, learning rate and
steps per epoch). Every rank evaluates its share of the test set and the sums are all-reduced. Rank 0
alone prints, draws and writes checkpoints; a checkpoint holds every rank's random state and loader
position, so a distributed run resumes exactly too (with the same K, from a folder every rank can read).
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
    p.add_argument("--distributed", action="store_true",
                   help="data-parallel over the processes of mpiexec (MPI; NCCL with --device cuda); "
                        "--batch-size is the global batch, split evenly between the ranks")
    return p


def setup_distributed(args) -> None:
    """Join the process group when ``--distributed``; set ``args.rank`` and ``args.world_size``."""
    args.rank, args.world_size = 0, 1
    if not args.distributed:
        return
    import minigrad.distributed as dist
    cuda = args.device.startswith("cuda")
    dist.init_process_group("nccl" if cuda else "mpi")
    args.rank, args.world_size = dist.get_rank(), dist.get_world_size()
    if cuda:  # one GPU per rank: the one NCCL's bootstrap picked
        args.device = f"cuda:{dist.get_local_rank() % minigrad.cuda.device_count()}"
    if args.batch_size % args.world_size:
        raise SystemExit(f"--batch-size {args.batch_size} does not split evenly between {args.world_size} ranks")


def rank_batch_size(args) -> int:
    return args.batch_size // getattr(args, "world_size", 1)


def train_sampling(args, dataset) -> dict:
    """The DataLoader arguments that choose the training order: a shuffled order, or this rank's shard of it."""
    if getattr(args, "world_size", 1) == 1 and not getattr(args, "distributed", False):
        return {"shuffle": True}
    from minigrad.data import DistributedSampler
    return {"sampler": DistributedSampler(dataset, args.world_size, args.rank, shuffle=True, seed=args.seed)}


def test_shard(args, dataset):
    """This rank's share of the test set (every K-th image from its rank: no padding, no repeats)."""
    if getattr(args, "world_size", 1) == 1:
        return dataset
    from minigrad.data import Subset
    return Subset(dataset, range(args.rank, len(dataset), args.world_size))


def parallel(args, model):
    """The model wrapped for data-parallel training (its BatchNorm layers made SyncBatchNorm)."""
    if not getattr(args, "distributed", False):
        return model
    import minigrad.nn as nn
    from minigrad.nn.parallel import DistributedDataParallel
    return DistributedDataParallel(nn.SyncBatchNorm.convert_sync_batchnorm(model))


def unwrap(model):
    """The model itself, without DistributedDataParallel (its state-dict keys have no ``module.``)."""
    return getattr(model, "module", model)


def _sum_over_ranks(*values):
    import minigrad.distributed as dist
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return values
    totals = minigrad.tensor([float(v) for v in values], dtype=minigrad.float64)
    dist.all_reduce(totals)
    return tuple(totals.tolist())


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
        self.rank, self.world_size = getattr(args, "rank", 0), getattr(args, "world_size", 1)
        self.is_main = self.rank == 0

    def log(self, *message, **print_options) -> None:
        if self.is_main:
            print(*message, **{"flush": True, **print_options})

    # ---- checkpoints ------------------------------------------------------------------------
    def save(self, mid_epoch: bool) -> None:
        rank_state = {"rng": minigrad.get_rng_state(),
                      "loader": self.train_loader.state_dict() if mid_epoch else None}
        ranks = [rank_state]
        if self.world_size > 1:  # every rank's random state and loader position; rank 0 writes them
            import minigrad.distributed as dist
            ranks = [None] * self.world_size
            dist.all_gather_object(ranks, rank_state)
        if not self.is_main:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        minigrad.save({
            "model": unwrap(self.model).state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "loader": self.train_loader.state_dict() if mid_epoch else None,
            "epoch": self.epoch, "step": self.step, "epochs": self.args.epochs,
            "rng": json.dumps(minigrad.get_rng_state()),
            "history": json.dumps(self.history),
            "ranks": json.dumps(ranks),
        }, self.checkpoint_path)

    def resume(self) -> None:
        if not self.checkpoint_path.exists():
            raise SystemExit(f"--resume: no checkpoint at {self.checkpoint_path}")
        state = minigrad.load(self.checkpoint_path)
        if state["epochs"] != self.args.epochs:
            raise SystemExit(f"--resume: {self.checkpoint_path} belongs to a run of --epochs {state['epochs']}; "
                             "resume with the same --epochs (the learning-rate schedule depends on it)")
        unwrap(self.model).load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        loader, rng = state["loader"], json.loads(state["rng"])
        if "ranks" in state:  # this rank's own random state and loader position
            ranks = json.loads(state["ranks"])
            if len(ranks) != self.world_size:
                raise SystemExit(f"--resume: {self.checkpoint_path} was written by {len(ranks)} ranks; resume "
                                 f"with as many (this job has {self.world_size})")
            loader, rng = ranks[self.rank]["loader"], ranks[self.rank]["rng"]
        if loader is not None:
            self.train_loader.load_state_dict(loader)
        self.epoch, self.step = state["epoch"], state["step"]
        minigrad.set_rng_state(rng)
        self.history = json.loads(state["history"])
        self.log(f"resumed from {self.checkpoint_path}: epoch {self.epoch + 1}, step {self.step}")

    # ---- the loops ----------------------------------------------------------------------------
    def train_epoch(self) -> tuple[float, float]:
        model, device = self.model.train(), self.args.device
        total_loss, correct, seen = 0.0, 0, 0
        batches = self.train_loader
        if hasattr(batches.sampler, "set_epoch"):  # a DistributedSampler: this epoch's order
            batches.sampler.set_epoch(self.epoch)
        bar = None
        if tqdm is not None and not self.args.quiet and self.is_main:
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
        total_loss, correct, seen = _sum_over_ranks(total_loss, correct, seen)
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
        total_loss, correct, seen = _sum_over_ranks(total_loss, correct, seen)
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
            self.log(f"epoch {self.epoch + 1}/{self.args.epochs}  train loss {train_loss:.4f} acc {train_acc:.4f}  "
                  f"test loss {test_loss:.4f} acc {test_acc:.4f}  ({seconds:.1f} s)", flush=True)
            self.epoch += 1
            self.save(mid_epoch=False)
        if not self.is_main:
            return self.history
        (self.out / "history.json").write_text(json.dumps(self.history, indent=1))
        if not self.args.no_plots:
            plot_history(self.history, self.out / "curves.png")
        return self.history


def describe_and_fit(run: Run, training_images: int) -> dict:
    """What the classification examples do around ``Run.fit``: print the model and its size, train,
    print the final test accuracy, and draw the first layer's filters."""
    model = unwrap(run.model)
    run.log(model)
    run.log(f"{sum(p.numel() for p in model.parameters()):,} parameters; {training_images:,} training images"
            + (f"; {run.world_size} ranks" if run.world_size > 1 else ""))
    history = run.fit()
    run.log(f"test accuracy {history['test_acc'][-1]:.4f} after {len(history['epoch'])} epochs "
          f"({sum(history['seconds']):.0f} s)")
    if not run.args.no_plots and run.is_main:
        plot_filters(model[0].weight, run.out / "filters.png", "conv1 filters")
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
