"""minigrad/threads.py: the thread pool that splits memory-bound kernels over the batch."""
import threading

import numpy as np
import pytest

import minigrad
from minigrad import threads


@pytest.fixture
def three_threads():
    before = minigrad.get_num_threads()
    minigrad.set_num_threads(3)
    yield
    minigrad.set_num_threads(before)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 100])
def test_parallel_for_covers_every_index_once_in_contiguous_parts(three_threads, count):
    seen, parts, lock = np.zeros(count, dtype=int), [], threading.Lock()

    def body(start, stop):
        with lock:
            parts.append((start, stop))
        seen[start:stop] += 1

    threads.parallel_for(count, body)
    assert seen.tolist() == [1] * count
    assert len(parts) == min(3, count) and all(stop > start for start, stop in parts)


def test_parallel_for_runs_parts_on_other_threads_and_keeps_small_work_on_the_caller(three_threads):
    names = set()
    threads.parallel_for(6, lambda start, stop: names.add(threading.current_thread().name))
    assert len(names) > 1
    names.clear()
    threads.parallel_for(6, lambda start, stop: names.add(threading.current_thread().name), nbytes=1000)
    assert names == {threading.current_thread().name}


def test_parallel_for_raises_a_parts_exception_after_every_part_ran(three_threads):
    done = []

    def body(start, stop):
        done.append(start)
        if start > 0:
            raise ValueError(f"part {start}")

    with pytest.raises(ValueError, match="part"):
        threads.parallel_for(9, body)
    assert sorted(done) == [0, 3, 6]


def test_a_nested_parallel_for_runs_serially_inside_a_worker(three_threads):
    from_workers = []

    def outer(start, stop):
        mine = []
        threads.parallel_for(4, lambda a, b: mine.append((a, b)))
        if threading.current_thread().name.startswith("minigrad"):
            from_workers.append(mine)

    threads.parallel_for(3, outer)
    assert len(from_workers) == 2 and all(parts == [(0, 4)] for parts in from_workers)


def test_free_cores_counts_between_one_and_the_usable_cores():
    assert 1 <= threads.free_cores() <= threads._usable_cores()


def test_set_num_threads_sets_the_kernel_thread_count(three_threads):
    assert minigrad.get_num_threads() == 3
    minigrad.set_num_threads(1)
    assert minigrad.get_num_threads() == 1
