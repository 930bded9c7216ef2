"""``DistributedSampler``: each rank reads its own shard of the data set, as ``torch.utils.data.DistributedSampler``.

Index for index torch's: the epoch's order is ``torch.randperm(n, generator=g)`` with
``g.manual_seed(seed + epoch)``, reproduced here without torch. torch's CPU generator is a 32-bit
Mersenne Twister seeded by ``init_genrand(seed)`` (the same as NumPy's legacy ``MT19937`` seeding)
and its ``randperm`` (for n < 2**32 / 20) is the Fisher-Yates walk

    for i in 0 .. n-2:  z = mt() % (n - i);  swap(perm[i], perm[i + z])

Then, as torch: pad by repeating the start of the order up to ``num_samples * num_replicas``
(or cut to it with ``drop_last``), and give rank r every ``num_replicas``-th index from r.

    >>> list(DistributedSampler(range(10), num_replicas=3, rank=0, shuffle=False))
    [0, 3, 6, 9]
"""
from __future__ import annotations

import math

import numpy as np

from .sampler import Sampler


def torch_randperm(n: int, seed: int) -> list[int]:
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()``, without torch."""
    if n >= 2**32 // 20:
        raise NotImplementedError("torch's randperm draws 64-bit numbers for n >= 2**32 / 20; not reproduced")
    bits = np.random.MT19937()
    bits._legacy_seeding(seed & 0xFFFFFFFF)
    draws = bits.random_raw(max(n - 1, 0)).astype(np.int64)     # (n-1,) 32-bit outputs, in order
    offsets = (draws % np.arange(n, 1, -1, dtype=np.int64)).tolist()  # z_i = mt() % (n - i)
    perm = list(range(n))
    for i, z in enumerate(offsets):
        j = i + z
        perm[i], perm[j] = perm[j], perm[i]
    return perm


class DistributedSampler(Sampler):
    """The indices of ``dataset`` that rank ``rank`` of ``num_replicas`` reads this epoch.

    Args:
        num_replicas, rank: default to the process group's world size and rank.
        shuffle: a new order every epoch (call ``set_epoch(epoch)`` before each); else 0, 1, 2, ...
        seed: the same on every rank, so that the shards never overlap.
        drop_last: cut the tail so that every rank gets the same number, instead of padding by repetition.
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from .. import distributed as dist
            if not dist.is_initialized():
                raise RuntimeError("Requires distributed package to be available")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            self.num_samples = math.ceil((len(self.dataset) - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self):
        n = len(self.dataset)
        indices = torch_randperm(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        if not self.drop_last:
            padding_size = self.total_size - len(indices)
            if padding_size <= len(indices):
                indices += indices[:padding_size]
            else:
                indices += (indices * math.ceil(padding_size / len(indices)))[:padding_size]
        else:
            indices = indices[:self.total_size]
        assert len(indices) == self.total_size
        indices = indices[self.rank:self.total_size:self.num_replicas]
        assert len(indices) == self.num_samples
        return iter(indices)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch``: call it before each epoch, with the same value on every rank."""
        self.epoch = epoch

    # The order depends on the epoch alone, so the epoch is the whole state a resumed loader needs.
    def state_dict(self) -> dict:
        return {"epoch": self.epoch}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = state.get("epoch", self.epoch)
