"""Samplers as in ``torch.utils.data``: which indices a loader reads, in which order, in which batches.

Random samplers draw one 63-bit seed per epoch from their generator (``generator=`` or minigrad's global
one) when ``iter()`` is called, and derive the whole epoch's order from that seed. So the order of an
epoch depends only on the generator state at the start of the epoch, and ``state_dict()`` (the seed of
the current epoch) is all it takes to replay it: ``load_state_dict(state)`` makes the next ``iter()``
reuse that seed instead of drawing a new one. ``DataLoader.state_dict()`` builds on this to resume an
epoch half-way (see ``minigrad.data.dataloader``).

    >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
"""
from __future__ import annotations

import numpy as np

from .. import random as _random
from ..autograd.creation import as_tensor as _as_tensor
from ..dtypes import float64


class Sampler:
    """Base class: ``__iter__`` yields indices (or lists of indices, for a batch sampler)."""

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class _SeededSampler(Sampler):
    """Shared by the random samplers: one seed per epoch, drawn eagerly in ``__iter__``, replayable."""

    generator = None

    def _epoch_rng(self) -> np.random.Generator:
        if getattr(self, "_replay_seed", None) is not None:
            seed, self._replay_seed = self._replay_seed, None
        else:
            source = self.generator if self.generator is not None else _random.generator()
            seed = int(source.integers(0, 2**63 - 1))
        self._epoch_seed = seed
        return np.random.default_rng(seed)

    def state_dict(self) -> dict:
        """``{"seed": s}``: the seed of the epoch started by the last ``iter()``."""
        return {"seed": getattr(self, "_epoch_seed", None)}

    def load_state_dict(self, state: dict) -> None:
        """Make the next ``iter()`` replay the epoch whose seed is ``state["seed"]``."""
        self._replay_seed = state.get("seed")


class RandomSampler(_SeededSampler):
    """A random permutation each epoch (or ``num_samples`` draws with replacement).

    With ``num_samples`` larger than the dataset and no replacement, whole permutations are chained, as in
    torch. ``generator`` is a NumPy ``Generator``; by default minigrad's global one.
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        rng = self._epoch_rng()  # drawn now, in the caller's thread, not lazily
        n = len(self.data_source)
        if self.replacement:
            order = rng.integers(0, n, size=self.num_samples)
        else:
            order = np.concatenate([rng.permutation(n) for _ in range(-(-self.num_samples // n))])
            order = order[: self.num_samples]
        return iter(order.tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(_SeededSampler):
    """The given indices in a random order each epoch."""

    def __init__(self, indices, generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        rng = self._epoch_rng()
        return iter([self.indices[i] for i in rng.permutation(len(self.indices)).tolist()])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(_SeededSampler):
    """``num_samples`` indices drawn with probability proportional to ``weights``."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights = _as_tensor(weights, dtype=float64).detach().cpu().numpy()  # torch's errors for strings, ragged lists ...
        if weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(weights.shape)}")
        # torch finds these when the first epoch draws (torch.multinomial); here they are refused at the door
        if np.isnan(weights).any() or (weights < 0).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        if np.isinf(weights).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
        if not weights.sum() > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > len(weights):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        self.weights, self.num_samples, self.replacement, self.generator = weights, num_samples, replacement, generator

    def __iter__(self):
        rng = self._epoch_rng()
        p = self.weights / self.weights.sum()
        nonzero = np.count_nonzero(p)
        if self.replacement or self.num_samples <= nonzero:
            return iter(rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p).tolist())
        # more draws than non-zero weights, without replacement: torch then takes zero-weight indices too
        # (NumPy's choice refuses); every non-zero index in a weighted order, then zero-weight ones at random
        order = rng.choice(len(p), size=nonzero, replace=False, p=p).tolist()
        zeros = np.flatnonzero(p == 0)
        return iter(order + zeros[rng.permutation(len(zeros))][: self.num_samples - nonzero].tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter unless ``drop_last``)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        indices = iter(self.sampler)  # eager, so a random sampler draws its seed when iter() is called
        return self._batches(indices)

    def _batches(self, indices):
        batch = []
        for idx in indices:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size

    def state_dict(self) -> dict:
        return _state_of(self.sampler)

    def load_state_dict(self, state: dict) -> None:
        _load_state(self.sampler, state)


def _state_of(sampler):
    """A sampler's ``state_dict()``, or ``None`` for a sampler that has none."""
    method = getattr(sampler, "state_dict", None)
    return method() if callable(method) else None


def _load_state(sampler, state) -> None:
    method = getattr(sampler, "load_state_dict", None)
    if state is not None and callable(method):
        method(state)
