"""Data loading with ``torch.utils.data``'s names, plus torchvision-style datasets and transforms.

    from minigrad.data import DataLoader, TensorDataset, random_split
    from minigrad.data import transforms
    from minigrad.data.datasets import MNIST, CIFAR10

- ``dataset``: ``Dataset``, ``IterableDataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``, ``random_split`` ...
- ``sampler``: ``SequentialSampler``, ``RandomSampler``, ``SubsetRandomSampler``, ``BatchSampler`` ...
- ``collate``: ``default_collate``, ``default_convert``
- ``dataloader``: ``DataLoader`` (background loader threads, deterministic order and augmentation,
  ``state_dict()`` / ``load_state_dict()`` to resume an epoch half-way)
- ``transforms``: ``Compose``, ``ToTensor``, ``Normalize``, ``RandomCrop``, ``RandomHorizontalFlip``,
  ``Lambda`` ... on NumPy arrays, plus batched augmentation helpers
- ``datasets``: ``MNIST``, ``FashionMNIST``, ``CIFAR10``, ``CIFAR100`` (torchvision's on-disk layouts)
- ``download``: mirror lists, MD5 checks, atomic downloads (``$MINIGRAD_MIRRORS``)
- ``generator()``: the generator random transforms draw from (per batch inside a loader)
"""
from . import datasets, download, transforms
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset,
                      random_split)
from .datasets import CIFAR10, CIFAR100, MNIST, FashionMNIST
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)
from .worker import WorkerInfo, generator, get_worker_info

__all__ = ["DataLoader", "Dataset", "IterableDataset", "TensorDataset", "StackDataset", "Subset", "ConcatDataset",
           "ChainDataset", "random_split", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "default_collate", "default_convert", "get_worker_info",
           "WorkerInfo", "generator", "transforms", "datasets", "download", "MNIST", "FashionMNIST", "CIFAR10",
           "CIFAR100"]
from .distributed import DistributedSampler  # noqa: E402

__all__ += ["DistributedSampler"]
