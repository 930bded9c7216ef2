"""DistributedSampler against torch.utils.data.DistributedSampler, index for index, without MPI."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minigrad.data import DataLoader, DistributedSampler
from minigrad.data.distributed import torch_randperm


@given(n=st.integers(0, 300), seed=st.integers(-2**40, 2**40))
def test_torch_randperm_is_reproduced(torch, n, seed):
    g = torch.Generator()
    g.manual_seed(seed)
    assert torch_randperm(n, seed) == torch.randperm(n, generator=g).tolist()


@given(n=st.integers(1, 60), replicas=st.integers(1, 7), data=st.data(), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 2**31), epoch=st.integers(0, 5))
def test_every_rank_reads_torchs_indices(torch, n, replicas, data, shuffle, drop_last, seed, epoch):
    rank = data.draw(st.integers(0, replicas - 1))
    ours = DistributedSampler(range(n), replicas, rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
    theirs = torch.utils.data.DistributedSampler(range(n), replicas, rank, shuffle=shuffle, seed=seed,
                                                 drop_last=drop_last)
    ours.set_epoch(epoch)
    theirs.set_epoch(epoch)
    assert (len(ours), ours.num_samples, ours.total_size) == (len(theirs), theirs.num_samples, theirs.total_size)
    assert list(ours) == list(theirs)


def test_a_small_data_set_is_padded_by_repetition(torch):
    # padding longer than the data set: the order is repeated, as torch
    for rank in range(5):
        ours = list(DistributedSampler(range(2), 5, rank, shuffle=False))
        assert ours == list(torch.utils.data.DistributedSampler(range(2), 5, rank, shuffle=False))
    assert [list(DistributedSampler(range(2), 5, r, shuffle=False)) for r in range(5)] == [[0], [1], [0], [1], [0]]


def test_the_shards_of_an_epoch_cover_the_data_set_once():
    shards = [list(DistributedSampler(range(50000), 4, r, seed=3)) for r in range(4)]
    assert sorted(i for shard in shards for i in shard) == list(range(50000))


def test_set_epoch_changes_the_order_and_the_state_replays_it():
    sampler = DistributedSampler(range(20), 2, 1)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert first != second
    other = DistributedSampler(range(20), 2, 1)
    other.load_state_dict(sampler.state_dict())
    assert list(other) == second
    loader = DataLoader(list(range(20)), batch_size=4, sampler=sampler)
    assert [int(i) for batch in loader for i in batch] == second


@pytest.mark.parametrize("rank", [-1, 2])
def test_a_rank_outside_the_world_is_refused_with_torchs_message(rank):
    with pytest.raises(ValueError, match=rf"Invalid rank {rank}, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=rank)


def test_without_a_process_group_num_replicas_and_rank_must_be_given():
    with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
        DistributedSampler(range(4))
