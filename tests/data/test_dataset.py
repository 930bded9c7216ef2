"""minigrad.data.dataset and minigrad.data.sampler: torch.utils.data's rules."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad.data import (BatchSampler, ConcatDataset, RandomSampler, SequentialSampler, Subset,
                           SubsetRandomSampler, TensorDataset, WeightedRandomSampler, random_split)


def test_tensor_dataset_item_is_tuple_of_rows():
    x = minigrad.arange(12).reshape(6, 2)
    y = minigrad.arange(6) * 10
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    assert xi.tolist() == [8, 9] and yi.item() == 40


def test_tensor_dataset_rejects_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(minigrad.zeros(3), minigrad.zeros(4))


def test_subset_maps_indices():
    ds = list(range(100, 110))
    sub = Subset(ds, [3, 0, 7])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [103, 100, 107]
    assert sub.__getitems__([2, 1]) == [107, 100]


@given(sizes=st.lists(st.integers(0, 5), min_size=1, max_size=4), data=st.data())
@settings(max_examples=40, deadline=None)
def test_concat_dataset_indexes_like_the_concatenated_list(sizes, data):
    parts = [list(range(100 * k, 100 * k + n)) for k, n in enumerate(sizes)]
    flat = [v for p in parts for v in p]
    ds = ConcatDataset(parts)
    assert len(ds) == len(flat) and ds.cumulative_sizes == list(np.cumsum(sizes))
    if flat:
        i = data.draw(st.integers(-len(flat), len(flat) - 1))
        assert ds[i] == flat[i]
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        ds[-len(flat) - 1]


def test_dataset_add_concatenates():
    a, b = TensorDataset(minigrad.arange(3)), TensorDataset(minigrad.arange(3, 5))
    both = a + b
    assert isinstance(both, ConcatDataset) and [both[i][0].item() for i in range(5)] == [0, 1, 2, 3, 4]


@given(n=st.integers(1, 60), fractions=st.lists(st.integers(1, 10), min_size=1, max_size=5))
@settings(max_examples=40, deadline=None)
def test_random_split_fraction_lengths_match_torch(torch, n, fractions):
    total = sum(fractions)
    fracs = [f / total for f in fractions]
    fracs[-1] = 1 - sum(fracs[:-1])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = [len(s) for s in torch.utils.data.random_split(range(n), fracs)]
        parts = random_split(range(n), fracs)
    assert [len(p) for p in parts] == expected
    together = sorted(i for p in parts for i in p)
    assert together == list(range(n))  # disjoint and complete


def test_random_split_is_reproducible_with_seed_and_generator():
    minigrad.manual_seed(3)
    a = [list(s) for s in random_split(range(20), [5, 15])]
    minigrad.manual_seed(3)
    b = [list(s) for s in random_split(range(20), [5, 15])]
    c = [list(s) for s in random_split(range(20), [5, 15], generator=np.random.default_rng(1))]
    d = [list(s) for s in random_split(range(20), [5, 15], generator=np.random.default_rng(1))]
    assert a == b and c == d and a != c


def test_random_split_rejects_wrong_total():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(range(10), [3, 3])


def test_sequential_sampler_counts_up():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]


@given(n=st.integers(1, 50), seed=st.integers(0, 2**32))
@settings(max_examples=30, deadline=None)
def test_random_sampler_is_a_permutation_fixed_by_the_seed(n, seed):
    minigrad.manual_seed(seed)
    first = list(RandomSampler(range(n)))
    minigrad.manual_seed(seed)
    again = list(RandomSampler(range(n)))
    assert sorted(first) == list(range(n)) and first == again


def test_random_sampler_num_samples_chains_permutations():
    order = list(RandomSampler(range(4), num_samples=10))
    assert len(order) == 10
    assert sorted(order[:4]) == [0, 1, 2, 3] and sorted(order[4:8]) == [0, 1, 2, 3]


def test_random_sampler_with_replacement_stays_in_range():
    order = list(RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(order) == 50 and set(order) <= {0, 1, 2}


def test_random_sampler_replays_epoch_from_state_dict():
    sampler = RandomSampler(range(30))
    first = list(sampler)
    state = sampler.state_dict()
    second = list(sampler)
    sampler.load_state_dict(state)
    assert list(sampler) == first and first != second


def test_random_sampler_draws_its_seed_when_iter_is_called():
    # the seed must be drawn eagerly (in the caller's thread), not at the first next()
    minigrad.manual_seed(0)
    it = iter(RandomSampler(range(10)))
    state_after_iter = minigrad.get_rng_state()
    list(it)
    assert minigrad.get_rng_state() == state_after_iter


def test_subset_random_sampler_permutes_the_given_indices():
    order = list(SubsetRandomSampler([5, 9, 11]))
    assert sorted(order) == [5, 9, 11]


def test_weighted_random_sampler_never_draws_zero_weight():
    order = list(WeightedRandomSampler([0.0, 1.0, 0.0, 2.0], num_samples=40))
    assert set(order) <= {1, 3}


@given(n=st.integers(0, 30), batch_size=st.integers(1, 8), drop_last=st.booleans())
@settings(max_examples=40, deadline=None)
def test_batch_sampler_matches_torch(torch, n, batch_size, drop_last):
    mine = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(mine) == list(theirs) and len(mine) == len(theirs)


def test_batch_sampler_rejects_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(SequentialSampler(range(3)), 0, False)


def test_weighted_sampler_without_replacement_takes_zero_weights_last_as_torch(torch):
    """More draws than non-zero weights: torch's multinomial then returns zero-weight indices too (after
    every non-zero one); NumPy's choice would refuse."""
    ours = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 4, replacement=False))
    theirs = list(torch.utils.data.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 4, replacement=False))
    for order in (ours, theirs):
        assert sorted(order) == [0, 1, 2, 3] and set(order[:2]) == {1, 3}


def test_weighted_sampler_takes_a_tensor_that_requires_grad():
    weights = minigrad.tensor([1.0, 0.0, 2.0], requires_grad=True)
    assert set(WeightedRandomSampler(weights, 10)) <= {0, 2}
