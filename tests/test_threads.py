"""minigrad/threads.py: the thread pool that splits memory-bound kernels over the batch."""
import threading

import numpy as np
import pytest

import minigrad
from minigrad import threads


@pytest.fixture
def three_threads(num_threads):
    num_threads(3)


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


def test_a_nested_parallel_for_runs_serially_in_every_part(three_threads):
    inner_parts, lock = [], threading.Lock()

    def outer(start, stop):
        assert threads.in_part()
        mine = []
        threads.parallel_for(4, lambda a, b: mine.append((a, b)))
        with lock:
            inner_parts.append(mine)

    assert not threads.in_part()
    threads.parallel_for(3, outer)
    assert not threads.in_part()  # the calling thread's part is over
    assert inner_parts == [[(0, 4)]] * 3  # the calling thread's part included


def test_free_cores_counts_between_one_and_the_usable_cores():
    assert 1 <= threads.free_cores() <= threads._usable_cores()


def test_set_num_threads_sets_the_kernel_thread_count(three_threads):
    assert minigrad.get_num_threads() == 3
    minigrad.set_num_threads(1)
    assert minigrad.get_num_threads() == 1


needs_threadpoolctl = pytest.mark.skipif(threads.blas_threads() is None, reason="needs threadpoolctl")


@pytest.mark.parametrize("a_shape, b_shape, transposed", [
    ((700, 300), (300, 90), False),        # split by rows
    ((40, 300), (300, 2000), False),       # by columns (a convolution's (Cy, K) @ (K, n*P))
    ((300, 900), (900, 70), True),         # a transposed view (a weight gradient's cols.T)
    ((3, 200, 100), (100, 300), False),    # stacked, b broadcast
    ((2, 1, 64, 100), (3, 100, 700), False),
    ((20, 30000), (30000, 10), False),     # thin: split over the inner dim
    ((20, 30000), (30000, 10), True),
    ((5, 7), (7, 3), False),               # small: NumPy's own call
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pool_matmul_gives_numpys_product_bit_for_bit_for_any_thread_count(a_shape, b_shape, transposed, dtype, num_threads):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(a_shape[::-1] if transposed else a_shape).astype(dtype)
    a = a.T if transposed else a
    b = rng.standard_normal(b_shape).astype(dtype)
    results = []
    for count in (1, 2, 3):
        num_threads(count)
        results.append(threads.matmul(a, b))
    out = np.full(results[0].shape, np.nan, dtype=dtype)
    assert threads.matmul(a, b, out=out) is out
    expected = np.matmul(a, b)
    # (not bit for bit: OpenBLAS on several threads may sum in another order)
    np.testing.assert_allclose(results[0], expected, rtol=1e-4, atol=1e-3 if dtype == np.float32 else 1e-10)
    for result in results[1:] + [out]:
        assert result.dtype == expected.dtype and result.shape == expected.shape
        assert np.array_equal(result, results[0])


@needs_threadpoolctl
def test_pool_matmul_keeps_blas_on_one_thread_and_restores_its_count(three_threads):
    seen = []
    real = np.matmul

    def spy(*args, **kwargs):
        seen.append(threads.blas_threads())
        return real(*args, **kwargs)
    a, b = np.ones((512, 256), np.float32), np.ones((256, 256), np.float32)
    np.matmul = spy
    try:
        threads.matmul(a, b)
    finally:
        np.matmul = real
    assert len(seen) > 1 and set(seen) == {1}  # split into parts, each on one BLAS thread
    assert threads.blas_threads() == 3


@needs_threadpoolctl
def test_one_blas_thread_holds_one_thread_and_a_nested_block_changes_nothing(three_threads):
    counts = []
    with threads.one_blas_thread() as outer:
        counts.append(threads.blas_threads())
        with threads.one_blas_thread() as inner:
            counts.append(threads.blas_threads())
        counts.append(threads.blas_threads())
    counts.append(threads.blas_threads())
    assert outer.held and inner.held
    assert counts == [1, 1, 1, 3]
