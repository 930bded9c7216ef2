"""``DataLoader``: batches from a dataset, with torch's arguments, loaded ahead by background threads.

How a batch is made: the (batch) sampler gives indices, the dataset gives samples, ``collate_fn`` merges
them (``default_collate``: a tensor per field). ``num_workers=0`` loads each batch in the calling thread
when it is asked for (torch's behaviour). ``num_workers=k > 0`` starts ``k`` threads that load up to
``prefetch_factor * k`` batches ahead into a bounded buffer, so reading and augmenting the next batches
overlaps the training step (NumPy releases the GIL in its copies and kernels). Threads, not processes:
nothing is pickled, datasets need no special care, and start-up is instant.

Guarantees:

- **Order.** Batches come out in sampler order whatever the number of threads or their timing.
- **Randomness.** Batch ``b`` of an epoch is loaded with ``minigrad.data.generator()`` seeded by
  ``(base_seed, b)``; ``base_seed`` and the shuffling seed are drawn from ``generator`` (default:
  minigrad's global generator) when ``iter(loader)`` is called. So with ``minigrad.manual_seed(s)`` an
  epoch's batches, augmentation included, are the same for any ``num_workers``.
- **Shutdown.** Threads stop when the epoch ends, when the iterator is garbage-collected (e.g. after
  ``break``), or when loading fails; an exception raised while loading is re-raised in the main thread
  with the worker's traceback in its message.

Resuming an epoch half-way:

    state = loader.state_dict()   # {"sampler": {...}, "base_seed": ..., "batches_yielded": k}
    ... save it in the checkpoint, beside the model, optimiser and minigrad.get_rng_state() ...
    loader.load_state_dict(state) # in the resumed run, before the epoch's `for batch in loader`
    # the next iter(loader) replays the same epoch order and per-batch seeds, skips the first k batches
    # without loading them, and draws nothing from the global generator
    # (a loader built with an explicit ``generator=`` needs that generator's state restored too:
    #  ``g.bit_generator.state``; custom samplers are replayed through their own state_dict() if they have one)

A checkpoint taken after the last batch of an epoch resumes into an empty remainder of that epoch, and
the following ``iter(loader)`` starts the next epoch exactly as the uninterrupted run did.

Compatibility: any object with ``__getitem__``/``__len__`` (or ``__iter__``) works as a dataset,
torchvision's datasets included; their PIL images are handled by ``transforms.ToTensor`` and by
``default_collate``. minigrad never imports torch or torchvision.

    >>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, num_workers=2)
    >>> for xb, yb in loader:
    ...     loss = criterion(model(xb), yb)
"""
from __future__ import annotations

import math
import queue
import threading
import traceback

from .. import random as _random
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, _load_state, _state_of
from .worker import WorkerInfo, _set_worker_info, _use_generator, batch_generator

__all__ = ["DataLoader"]

_POLL_SECONDS = 0.1  # how often a waiting consumer or producer checks for shutdown


class _KeyErrorMessage(str):
    """KeyError shows the repr of its message; this keeps the traceback text readable (torch does the same)."""

    def __repr__(self):
        return self


class _ExceptionWrapper:
    """An exception raised in a worker thread, carried to the main thread with its traceback."""

    def __init__(self, exc: BaseException, where: str):
        self.exc_type = type(exc)
        self.exception = exc
        self.msg = f"Caught {self.exc_type.__name__} {where}.\nOriginal " + "".join(
            traceback.format_exception(self.exc_type, exc, exc.__traceback__))

    def reraise(self):
        msg = _KeyErrorMessage(self.msg) if self.exc_type is KeyError else self.msg
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(self.msg) from self.exception
        raise exception from self.exception


class _Progress:
    """What ``DataLoader.state_dict()`` reports: shared by a loader and its latest iterator."""

    __slots__ = ("sampler", "base_seed", "batches_yielded")

    def __init__(self, sampler_state, base_seed, batches_yielded=0):
        self.sampler, self.base_seed, self.batches_yielded = sampler_state, base_seed, batches_yielded


class DataLoader:
    """Iterate over ``dataset`` in batches (torch's signature and argument checks).

    Args:
        dataset: map-style (``__getitem__`` + ``__len__``) or iterable (``IterableDataset``).
        batch_size: samples per batch; ``None`` turns automatic batching off (samples come one by one,
            converted by ``default_convert``).
        shuffle: a new random order every epoch (``RandomSampler`` with ``generator``).
        sampler, batch_sampler: custom orders (mutually exclusive with ``shuffle`` / the batching args).
        num_workers: loader threads (0: load in the calling thread).
        collate_fn: merges a list of samples into a batch (default ``default_collate``).
        pin_memory: accepted for compatibility; a no-op (minigrad moves batches with ``.to(device)``).
        drop_last: drop the last, incomplete batch.
        timeout: seconds to wait for a batch from the workers before raising (0: wait forever).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` at the start of each worker thread.
        generator: NumPy ``Generator`` for the shuffling and base seeds (default: minigrad's global one).
        prefetch_factor: batches loaded ahead per worker (default 2 when ``num_workers > 0``).
        persistent_workers, multiprocessing_context, pin_memory_device, in_order: accepted for
            compatibility; threads are restarted each epoch (cheap) and batches always come in order.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if not isinstance(num_workers, (int, float)) or isinstance(num_workers, bool):
            raise TypeError(f"num_workers option should be an int, but got num_workers={num_workers!r}")
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
            raise TypeError(f"timeout option should be a number of seconds, but got timeout={timeout!r}")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if multiprocessing_context is not None:  # (minigrad loads in threads; the value is checked as torch does)
            if num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                                 f"but got num_workers={num_workers}")
            if isinstance(multiprocessing_context, str) and multiprocessing_context not in ("fork", "spawn", "forkserver"):
                raise ValueError("multiprocessing_context option should specify a valid start method in "
                                 f"['fork', 'spawn', 'forkserver'], but got multiprocessing_context={multiprocessing_context!r}")
        for name, function in (("collate_fn", collate_fn), ("worker_init_fn", worker_init_fn)):
            if function is not None and not callable(function):
                raise TypeError(f"{name} should be callable, but got {name}={function!r}")
        if not isinstance(dataset, IterableDataset) and not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            if sampler is None and batch_sampler is None:
                raise TypeError(f"DataLoader needs a dataset with __getitem__ and __len__ (or an IterableDataset), "
                                f"got {type(dataset).__name__}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        elif num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            if shuffle not in {False, None}:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
                                 f"batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None and not self._is_iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._is_iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._progress = _Progress(None, None)
        self._resume = None

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._is_iterable and self.batch_size is not None)

    @property
    def _index_sampler(self):
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __len__(self) -> int:
        if self._is_iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)

    def __iter__(self) -> "_DataLoaderIter":
        return _DataLoaderIter(self)

    # ---- resuming ------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Where the latest epoch stands: sampler seed, per-batch base seed, batches handed out so far."""
        p = self._progress
        return {"sampler": p.sampler, "base_seed": p.base_seed, "batches_yielded": p.batches_yielded}

    def load_state_dict(self, state: dict) -> None:
        """Make the next ``iter(self)`` continue the epoch described by ``state`` (see the module docstring)."""
        self._resume = dict(state) if state.get("base_seed") is not None else None


class _Fetcher:
    """Loads batch ``b`` from its indices; holds no reference to the iterator (so that it can be collected)."""

    def __init__(self, loader: DataLoader, base_seed: int):
        self.dataset = loader.dataset
        self.auto_collation = loader._auto_collation
        self.collate_fn = loader.collate_fn
        self.base_seed = base_seed
        self.batch_size = loader.batch_size
        self.drop_last = loader.drop_last
        self.dataset_iter = None

    def fetch_map(self, batch_index: int, indices):
        with _use_generator(batch_generator(self.base_seed, batch_index)):
            if self.auto_collation:
                getitems = getattr(self.dataset, "__getitems__", None)
                data = getitems(indices) if callable(getitems) else [self.dataset[i] for i in indices]
            else:
                data = self.dataset[indices]
            return self.collate_fn(data)

    def fetch_iterable(self, batch_index: int):
        """The next batch of an iterable dataset; raises StopIteration at its end."""
        with _use_generator(batch_generator(self.base_seed, batch_index)):
            if self.dataset_iter is None:
                self.dataset_iter = iter(self.dataset)
            if not self.auto_collation:
                return self.collate_fn(next(self.dataset_iter))
            data = []
            for sample in self.dataset_iter:
                data.append(sample)
                if len(data) == self.batch_size:
                    break
            if not data or (self.drop_last and len(data) < self.batch_size):
                raise StopIteration
            return self.collate_fn(data)


def _map_worker(worker_id, num_workers, fetcher, init_fn, tasks, results, stop):
    """Worker thread for map-style datasets: (batch_index, indices) from ``tasks`` -> ``results``."""
    _set_worker_info(WorkerInfo(worker_id, num_workers, fetcher.base_seed + worker_id, fetcher.dataset))
    if init_fn is not None:
        try:
            init_fn(worker_id)
        except BaseException as exc:  # noqa: BLE001 - carried to the main thread
            results.put((-1, None, _ExceptionWrapper(exc, f"in DataLoader worker thread {worker_id}")))
            return
    while not stop.is_set():
        task = tasks.get()
        if task is None or stop.is_set():
            break
        batch_index, indices = task
        try:
            results.put((batch_index, fetcher.fetch_map(batch_index, indices), None))
        except BaseException as exc:  # noqa: BLE001
            results.put((batch_index, None, _ExceptionWrapper(exc, f"in DataLoader worker thread {worker_id}")))
        del task, indices


def _put_unless_stopped(q: queue.Queue, item, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False


def _iterable_worker(first_batch, fetcher, init_fn, results, stop):
    """The one producer thread for an iterable dataset: batches in order into the bounded ``results``."""
    _set_worker_info(WorkerInfo(0, 1, fetcher.base_seed, fetcher.dataset))
    batch_index = first_batch
    try:
        if init_fn is not None:
            init_fn(0)
        while not stop.is_set():
            try:
                batch = fetcher.fetch_iterable(batch_index)
            except StopIteration:
                _put_unless_stopped(results, (batch_index, None, StopIteration), stop)
                return
            if not _put_unless_stopped(results, (batch_index, batch, None), stop):
                return
            batch_index += 1
    except BaseException as exc:  # noqa: BLE001
        _put_unless_stopped(results, (batch_index, None, _ExceptionWrapper(exc, "in DataLoader worker thread 0")), stop)


class _DataLoaderIter:
    """One epoch over a ``DataLoader``."""

    def __init__(self, loader: DataLoader):
        self._loader = loader
        resume, loader._resume = loader._resume, None
        if resume is not None:
            base_seed, skip = int(resume["base_seed"]), int(resume["batches_yielded"])
            if not loader._is_iterable:
                _load_state(loader._index_sampler, resume.get("sampler"))
        else:
            source = loader.generator if loader.generator is not None else _random.generator()
            base_seed, skip = int(source.integers(0, 2**62)), 0
        # the index iterator is made here, in the caller's thread: a random sampler draws its seed now
        self._index_iter = None if loader._is_iterable else iter(loader._index_sampler)
        self._progress = _Progress(None if loader._is_iterable else _state_of(loader._index_sampler), base_seed)
        loader._progress = self._progress
        self._fetcher = _Fetcher(loader, base_seed)
        self._num_workers = loader.num_workers
        self._is_iterable = loader._is_iterable
        self._timeout = loader.timeout
        self._next_batch = 0  # index (in the epoch) of the next batch to hand out
        self._done = False
        self._threads = []
        for _ in range(skip):  # fast-forward: indices only, nothing is loaded (an iterable dataset must be read)
            try:
                if self._is_iterable:
                    self._fetcher.fetch_iterable(self._next_batch)
                else:
                    next(self._index_iter)
            except StopIteration:
                break
            self._next_batch += 1
        self._progress.batches_yielded = self._next_batch
        if self._num_workers > 0:
            self._start_workers(loader)

    def _start_workers(self, loader):
        self._stop = threading.Event()
        if self._is_iterable:
            self._results = queue.Queue(maxsize=max(1, loader.prefetch_factor * self._num_workers))
            thread = threading.Thread(target=_iterable_worker, daemon=True, name="minigrad-DataLoader-0",
                                      args=(self._next_batch, self._fetcher, loader.worker_init_fn, self._results,
                                            self._stop))
            self._threads.append(thread)
        else:
            self._tasks, self._results = queue.Queue(), queue.Queue()
            self._reorder = {}          # batch_index -> (data, error), arrived ahead of their turn
            self._next_task = self._next_batch
            self._max_in_flight = max(1, loader.prefetch_factor * self._num_workers)
            for k in range(self._num_workers):
                thread = threading.Thread(target=_map_worker, daemon=True, name=f"minigrad-DataLoader-{k}",
                                          args=(k, self._num_workers, self._fetcher, loader.worker_init_fn,
                                                self._tasks, self._results, self._stop))
                self._threads.append(thread)
        for thread in self._threads:
            thread.start()
        if not self._is_iterable:
            self._fill_tasks()

    def _fill_tasks(self):
        """Keep ``prefetch_factor * num_workers`` batches in flight (indices are drawn in this thread)."""
        while self._index_iter is not None and self._next_task - self._next_batch < self._max_in_flight:
            try:
                indices = next(self._index_iter)
            except StopIteration:
                self._index_iter = None
                break
            self._tasks.put((self._next_task, indices))
            self._next_task += 1

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def __next__(self):
        if self._done:
            raise StopIteration
        try:
            if self._num_workers == 0:
                data = self._next_in_this_thread()
            elif self._is_iterable:
                data = self._next_from_producer()
            else:
                data = self._next_from_workers()
        except BaseException:
            self._shutdown()
            raise
        self._next_batch += 1
        self._progress.batches_yielded = self._next_batch
        return data

    def _next_in_this_thread(self):
        if self._is_iterable:
            return self._fetcher.fetch_iterable(self._next_batch)
        indices = next(self._index_iter)
        return self._fetcher.fetch_map(self._next_batch, indices)

    def _get_result(self):
        if self._timeout > 0:
            try:
                return self._results.get(timeout=self._timeout)
            except queue.Empty:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
        while True:
            try:
                return self._results.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not any(t.is_alive() for t in self._threads):
                    raise RuntimeError("DataLoader worker threads exited unexpectedly") from None

    def _next_from_producer(self):
        batch_index, data, error = self._get_result()
        if error is StopIteration:
            raise StopIteration
        if error is not None:
            error.reraise()
        return data

    def _next_from_workers(self):
        if self._next_batch == self._next_task and self._index_iter is None:
            raise StopIteration
        while self._next_batch not in self._reorder:
            batch_index, data, error = self._get_result()
            if batch_index == -1:  # a worker_init_fn failed
                error.reraise()
            self._reorder[batch_index] = (data, error)
        data, error = self._reorder.pop(self._next_batch)
        if error is not None:
            error.reraise()
        self._next_batch += 1  # counted before refilling, so that the window moves on
        try:
            self._fill_tasks()
        finally:
            self._next_batch -= 1
        return data

    def _shutdown(self):
        if self._done:
            return
        self._done = True
        if self._threads:
            self._stop.set()
            if not self._is_iterable:
                for _ in self._threads:
                    self._tasks.put(None)
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join()
            self._threads = []

    def __del__(self):
        try:
            self._shutdown()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
