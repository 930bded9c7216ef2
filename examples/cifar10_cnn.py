"""Train a small VGG-style CNN with BatchNorm on CIFAR-10 with minigrad.

    python examples/cifar10_cnn.py --data-root /path/to/data     # needs DATA/cifar-10-batches-py
    python examples/cifar10_cnn.py --epochs 1 --limit 5000        # a quick look
    python examples/cifar10_cnn.py --resume
    mpiexec -n 2 python examples/cifar10_cnn.py --distributed   # data-parallel, SyncBatchNorm

Augmentation is the standard one (random 32x32 crops of the image padded by 4, random horizontal
flips), done a whole batch at a time inside the loader's thread: per-batch random numbers come from
``minigrad.data.generator()``, so a resumed run sees exactly the same augmented batches.
SGD with Nesterov momentum and weight decay, one-cycle learning rate, label smoothing 0.1.
Writes runs/cifar10/checkpoint.safetensors, history.json, curves.png and filters.png.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.data import DataLoader, Subset
from minigrad.data import transforms as T
from minigrad.data.datasets import CIFAR10
from minigrad.optim import SGD
from minigrad.optim.lr_scheduler import OneCycleLR

from models import cifar_cnn
from training import (Run, describe_and_fit, parallel, parser, rank_batch_size, run_script, setup_distributed,
                      test_shard, train_sampling)

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)  # CIFAR-10's per-channel statistics


def _stack(samples):
    """(N, 32, 32, 3) uint8 images and (N,) int64 labels from a list of (image, label) pairs."""
    images = np.stack([image for image, _ in samples])
    labels = np.asarray([label for _, label in samples], dtype=np.int64)
    return images, labels


def train_batch(samples):
    """Collate and augment one training batch: pad-4 random crop, random flip, scale, normalise."""
    images, labels = _stack(samples)
    images = np.ascontiguousarray(images.transpose(0, 3, 1, 2))                      # (N, 3, 32, 32)
    images = T.random_crop_batch(images, 32, padding=4)
    images = T.random_horizontal_flip_batch(images)
    x = T.to_tensor_batch(images, channels_last=False)
    return T.normalize_batch(x, MEAN, STD), minigrad.from_numpy(labels)


def test_batch(samples):
    images, labels = _stack(samples)
    return T.normalize_batch(T.to_tensor_batch(images), MEAN, STD), minigrad.from_numpy(labels)


def main(argv=None):
    p = parser(__doc__.splitlines()[0], epochs=10, batch_size=128, lr=0.1, out="runs/cifar10")
    p.add_argument("--width", type=int, default=32, help="channels of the first stage (then 2x, 4x)")
    args = p.parse_args(argv)
    setup_distributed(args)                   # --distributed: join mpiexec's ranks
    minigrad.manual_seed(args.seed + args.rank)  # ranks draw different augmentation and dropout
    download = not args.no_download
    train_set = CIFAR10(args.data_root, train=True, download=download)
    test_set = CIFAR10(args.data_root, train=False, download=download)
    if args.limit:
        train_set = Subset(train_set, range(args.limit))
    train_loader = DataLoader(train_set, batch_size=rank_batch_size(args), drop_last=True, collate_fn=train_batch,
                              num_workers=args.num_workers, **train_sampling(args, train_set))
    test_loader = DataLoader(test_shard(args, test_set), batch_size=500, collate_fn=test_batch, num_workers=args.num_workers)

    model = parallel(args, cifar_cnn(nn, args.width).to(args.device))  # DDP + SyncBatchNorm with --distributed
    optimizer = SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    scheduler = OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=len(train_loader),
                           pct_start=0.25)

    def loss_fn(logits, labels, reduction="mean"):
        return F.cross_entropy(logits, labels, reduction=reduction, label_smoothing=0.1 if model.training else 0.0)

    run = Run(args, model, optimizer, train_loader, test_loader, scheduler, scheduler_per_step=True, loss_fn=loss_fn)
    return describe_and_fit(run, len(train_set))


if __name__ == "__main__":
    run_script(main)
