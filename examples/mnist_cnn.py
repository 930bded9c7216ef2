"""Train a LeNet-style CNN on MNIST with minigrad.

    python examples/mnist_cnn.py                      # 4 epochs, ~99.1% test accuracy
    python examples/mnist_cnn.py --data-root ../shared/data --epochs 1
    python examples/mnist_cnn.py --resume             # continue from runs/mnist/checkpoint.safetensors
    mpiexec -n 2 python examples/mnist_cnn.py --distributed   # data-parallel on 2 processes

MNIST is read from DATA_ROOT/MNIST/raw (torchvision's layout) and downloaded there when missing.
Writes runs/mnist/checkpoint.safetensors, history.json, curves.png and filters.png.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import minigrad
import minigrad.nn as nn
from minigrad.data import DataLoader, Subset
from minigrad.data import transforms as T
from minigrad.data.datasets import MNIST
from minigrad.optim import Adam
from minigrad.optim.lr_scheduler import OneCycleLR

from models import lenet
from training import (Run, describe_and_fit, parallel, parser, rank_batch_size, run_script, setup_distributed,
                      test_shard, train_sampling)

MEAN, STD = (0.1307,), (0.3081,)  # MNIST's pixel statistics


def main(argv=None):
    args = parser(__doc__.splitlines()[0], epochs=4, batch_size=64, lr=3e-3, out="runs/mnist").parse_args(argv)
    setup_distributed(args)                   # --distributed: join mpiexec's ranks
    minigrad.manual_seed(args.seed + args.rank)  # ranks draw different augmentation and dropout
    transform = T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)])
    download = not args.no_download
    train_set = MNIST(args.data_root, train=True, transform=transform, download=download)
    test_set = MNIST(args.data_root, train=False, transform=transform, download=download)
    if args.limit:
        train_set = Subset(train_set, range(args.limit))

    train_loader = DataLoader(train_set, batch_size=rank_batch_size(args), num_workers=args.num_workers,
                              **train_sampling(args, train_set))
    test_loader = DataLoader(test_shard(args, test_set), batch_size=1000, num_workers=args.num_workers)

    model: nn.Module = parallel(args, lenet(nn).to(args.device))  # DDP with --distributed
    optimizer = Adam(model.parameters(), lr=args.lr)
    scheduler = OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=len(train_loader))
    run = Run(args, model, optimizer, train_loader, test_loader, scheduler, scheduler_per_step=True)
    return describe_and_fit(run, len(train_set))


if __name__ == "__main__":
    run_script(main)
