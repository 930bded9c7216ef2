"""Which generator data loading draws from, and ``get_worker_info`` for code running inside a loader.

While a ``DataLoader`` loads batch ``b`` (in the main thread or in one of its worker threads), random
transforms draw from a generator seeded by ``(base_seed, b)``, where ``base_seed`` is drawn from the
loader's generator when the iterator is created (torch draws its worker base seed the same way). So the
contents of a batch depend only on the seed and its position in the epoch: never on ``num_workers``, on
thread timing, or on whether the epoch was resumed half-way. Outside a loader, ``generator()`` is
minigrad's global generator, so ``minigrad.manual_seed`` makes a transform called directly reproducible.

Write a custom random transform with ``minigrad.data.generator()`` to get the same guarantees.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .. import random as _random

_local = threading.local()


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a loader's worker thread (torch's fields)."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info() -> WorkerInfo | None:
    """The current worker thread's ``WorkerInfo``; ``None`` in the main thread, as in torch."""
    return getattr(_local, "worker_info", None)


def generator() -> np.random.Generator:
    """The generator random transforms draw from: the batch's own inside a loader, else the global one."""
    batch_generator = getattr(_local, "generator", None)
    return batch_generator if batch_generator is not None else _random.generator()


def batch_generator(base_seed: int, batch_index: int) -> np.random.Generator:
    """The generator for batch ``batch_index`` of an epoch whose base seed is ``base_seed``."""
    return np.random.default_rng([int(base_seed), int(batch_index)])


class _use_generator:
    """Context manager: make ``generator()`` return ``rng`` in this thread while loading one batch."""

    def __init__(self, rng):
        self.rng = rng

    def __enter__(self):
        self.previous = getattr(_local, "generator", None)
        _local.generator = self.rng

    def __exit__(self, *exc):
        _local.generator = self.previous


def _set_worker_info(info: WorkerInfo | None) -> None:
    _local.worker_info = info
