"""DataLoader: batching, order, shuffling, samplers, collate_fn, worker threads, errors, resuming."""
import gc
import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad.data import (BatchSampler, DataLoader, Dataset, IterableDataset, SequentialSampler, TensorDataset,
                           generator, get_worker_info, transforms)


class Indexed(Dataset):
    """Sample i is (i, a random number drawn from the data generator while loading it)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i, float(generator().random())


class Failing(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 6:
            raise KeyError(f"no sample {i}")
        return i


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def _loader_threads():
    return [t for t in threading.enumerate() if t.name.startswith("minigrad-DataLoader")]


def _ids(batches):
    return [b[0].tolist() for b in batches]


@given(n=st.integers(0, 40), batch_size=st.integers(1, 9), drop_last=st.booleans(), workers=st.integers(0, 3))
@settings(max_examples=40, deadline=None)
def test_batches_follow_the_sampler_order_with_len_as_torch(torch, n, batch_size, drop_last, workers):
    loader = DataLoader(Indexed(n), batch_size=batch_size, drop_last=drop_last, num_workers=workers)
    expected = list(torch.utils.data.BatchSampler(range(n), batch_size, drop_last))
    assert _ids(loader) == expected
    assert len(loader) == len(expected) == len(torch.utils.data.DataLoader(range(n), batch_size=batch_size,
                                                                          drop_last=drop_last))


def test_batch_is_collated_into_tensors():
    x = minigrad.randn(10, 3)
    y = minigrad.arange(10)
    xb, yb = next(iter(DataLoader(TensorDataset(x, y), batch_size=4)))
    assert xb.shape == (4, 3) and yb.tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(xb.numpy(), x.numpy()[:4])


@pytest.mark.parametrize("workers", [0, 2])
def test_shuffle_is_a_permutation_reproducible_with_manual_seed(workers):
    minigrad.manual_seed(7)
    first = DataLoader(Indexed(50), batch_size=8, shuffle=True, num_workers=workers)
    a = [x for b in first for x in b[0].tolist()]
    minigrad.manual_seed(7)
    b = [x for b in DataLoader(Indexed(50), batch_size=8, shuffle=True, num_workers=workers) for x in b[0].tolist()]
    assert sorted(a) == list(range(50)) and a == b and a != list(range(50))
    assert [x for b in first for x in b[0].tolist()] != a  # the next epoch has a new order


def test_explicit_generator_drives_the_shuffle():
    runs = [[x for b in DataLoader(Indexed(30), batch_size=5, shuffle=True, generator=np.random.default_rng(s))
             for x in b[0].tolist()] for s in (1, 1, 2)]
    assert runs[0] == runs[1] != runs[2]


def test_batches_and_augmentation_do_not_depend_on_num_workers():
    def epoch(workers):
        minigrad.manual_seed(3)
        loader = DataLoader(Indexed(37), batch_size=4, shuffle=True, num_workers=workers)
        return [(ids.tolist(), noise.tolist()) for ids, noise in loader]
    assert epoch(0) == epoch(1) == epoch(3)


def test_random_transforms_in_a_loader_are_deterministic_per_batch():
    images = np.arange(20 * 6 * 6, dtype=np.uint8).reshape(20, 6, 6)

    class Images(Dataset):
        def __len__(self):
            return 20

        def __getitem__(self, i):
            return transforms.RandomCrop(4, padding=1)(images[i])

    def epoch(workers):
        minigrad.manual_seed(11)
        return [b.numpy() for b in DataLoader(Images(), batch_size=6, num_workers=workers)]
    for a, b in zip(epoch(0), epoch(2)):
        np.testing.assert_array_equal(a, b)


def test_sampler_and_batch_sampler_are_used():
    loader = DataLoader(Indexed(10), batch_size=3, sampler=[9, 8, 7, 6, 5])
    assert _ids(loader) == [[9, 8, 7], [6, 5]]
    loader = DataLoader(Indexed(10), batch_sampler=[[1, 2], [0], [5, 6, 7]])
    assert _ids(loader) == [[1, 2], [0], [5, 6, 7]]


def test_batch_size_none_yields_converted_samples():
    loader = DataLoader(TensorDataset(minigrad.arange(4)), batch_size=None)
    assert [s[0].item() for s in loader] == [0, 1, 2, 3]
    loader = DataLoader([np.array([1, 2]), np.array([3, 4])], batch_size=None)
    assert [isinstance(s, minigrad.Tensor) for s in loader] == [True, True]


def test_custom_collate_fn_receives_the_list_of_samples():
    seen = []
    loader = DataLoader(Indexed(5), batch_size=2, collate_fn=lambda batch: seen.append(batch) or len(batch),
                        num_workers=2)
    assert list(loader) == [2, 2, 1]
    assert [[s[0] for s in batch] for batch in seen] == [[0, 1], [2, 3], [4]]


@pytest.mark.parametrize("kwargs, message", [
    (dict(shuffle=True, sampler=[0]), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive with batch_size"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
])
def test_bad_arguments_raise_torch_messages(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(Indexed(3), **kwargs)


def test_iterable_dataset_batches_and_len():
    for workers in (0, 2):
        loader = DataLoader(Stream(10), batch_size=4, num_workers=workers)
        assert [b.tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(loader) == 3
        loader = DataLoader(Stream(10), batch_size=4, drop_last=True, num_workers=workers)
        assert [b.tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(loader) == 2
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(3), shuffle=True)


@pytest.mark.parametrize("dataset", [Failing(), None])
def test_worker_exception_is_reraised_in_main_thread_and_threads_stop(dataset):
    class FailingStream(IterableDataset):
        def __iter__(self):
            yield 1
            raise KeyError("stream broke")
    dataset = dataset if dataset is not None else FailingStream()
    loader = DataLoader(dataset, batch_size=2, num_workers=2)
    it = iter(loader)
    with pytest.raises(KeyError) as info:
        for _ in it:
            pass
    assert "Caught KeyError in DataLoader worker thread" in str(info.value)
    assert not _loader_threads()
    with pytest.raises(StopIteration):
        next(it)


def test_exception_in_main_thread_loading_propagates_unchanged():
    with pytest.raises(KeyError, match="no sample 6"):
        list(DataLoader(Failing(), batch_size=2))


def test_threads_stop_when_the_iterator_is_dropped_mid_epoch():
    it = iter(DataLoader(Indexed(1000), batch_size=2, num_workers=3))
    next(it)
    assert len(_loader_threads()) == 3
    del it
    gc.collect()
    assert not _loader_threads()


def test_threads_stop_at_the_end_of_the_epoch():
    list(DataLoader(Indexed(10), batch_size=3, num_workers=2))
    assert not _loader_threads()


def test_worker_info_and_init_fn_run_in_worker_threads():
    seen = []

    class WhoLoads(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            info = get_worker_info()
            return -1 if info is None else info.id

    loader = DataLoader(WhoLoads(), batch_size=1, num_workers=2, worker_init_fn=seen.append)
    ids = [b.item() for b in loader]
    assert set(ids) <= {0, 1} and sorted(seen) == [0, 1]
    assert [b.item() for b in DataLoader(WhoLoads(), batch_size=1)] == [-1] * 6
    assert get_worker_info() is None


def test_prefetching_is_bounded_by_prefetch_factor():
    loaded = []

    class Counting(Dataset):
        def __len__(self):
            return 100

        def __getitem__(self, i):
            loaded.append(i)
            return i

    it = iter(DataLoader(Counting(), batch_size=1, num_workers=2, prefetch_factor=3))
    next(it)
    del it  # shutdown joins the threads, so `loaded` is final
    gc.collect()
    assert len(loaded) <= 1 + 2 * 3


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("stop_after", [0, 3, 7])
def test_resumed_epoch_continues_exactly_where_it_stopped(workers, stop_after):
    def fresh():
        minigrad.manual_seed(5)
        return DataLoader(Indexed(29), batch_size=4, shuffle=True, num_workers=workers)

    loader = fresh()
    full = [(i.tolist(), r.tolist()) for i, r in loader]
    after_epoch_rng = minigrad.get_rng_state()

    loader = fresh()
    it = iter(loader)
    head = [(i.tolist(), r.tolist()) for _, (i, r) in zip(range(stop_after), it)]
    state, rng_state = loader.state_dict(), minigrad.get_rng_state()
    del it

    minigrad.manual_seed(999)  # a new process: everything else is restored from the checkpoint
    resumed = DataLoader(Indexed(29), batch_size=4, shuffle=True, num_workers=workers)
    minigrad.set_rng_state(rng_state)
    resumed.load_state_dict(state)
    tail = [(i.tolist(), r.tolist()) for i, r in resumed]
    assert head + tail == full
    assert minigrad.get_rng_state() == after_epoch_rng
    assert resumed.state_dict()["batches_yielded"] == len(full)


def test_resume_skips_batches_without_loading_them():
    loaded = []

    class Counting(Dataset):
        def __len__(self):
            return 20

        def __getitem__(self, i):
            loaded.append(i)
            return i

    loader = DataLoader(Counting(), batch_size=5)
    loader.load_state_dict({"sampler": {}, "base_seed": 1, "batches_yielded": 3})
    assert [b.tolist() for b in loader] == [[15, 16, 17, 18, 19]]
    assert loaded == [15, 16, 17, 18, 19]
