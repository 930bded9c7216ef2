"""The Tensor API (minigrad/autograd/tensor.py, creation.py, _format.py) against torch: constructors
and dtype inference, factories, metadata, conversions, and repr text."""
import copy
import pickle

import numpy as np
import pytest

import minigrad


def _same(mine, theirs):
    """Same shape, dtype name and values (NaN equal to NaN)."""
    assert tuple(mine.shape) == tuple(theirs.shape)
    assert mine.dtype.name == str(theirs.dtype).split(".")[1]
    np.testing.assert_array_equal(np.asarray(mine.tolist(), dtype=object if mine.dtype.name == "bool" else None),
                                  np.asarray(theirs.tolist(), dtype=object if mine.dtype.name == "bool" else None))


@pytest.mark.parametrize("data", [
    1, 2.5, True, [1, 2, 3], [1.0, 2], [[True, False]], [], [[1, 2], [3, 4]], np.float64(1.5), np.int32(3),
    [1, 2.5, True], ((1, 2), (3, 4)),
])
def test_tensor_infers_dtype_and_shape_as_torch(torch, data):
    _same(minigrad.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("array", [np.arange(6, dtype=np.int32).reshape(2, 3), np.ones(3, dtype=np.float16),
                                   np.array([True, False]), np.arange(4.0), np.arange(3, dtype=np.uint8)])
def test_tensor_of_a_numpy_array_keeps_its_dtype_and_copies(torch, array):
    t = minigrad.tensor(array)
    _same(t, torch.tensor(array))
    array.flat[0] = 1 - array.flat[0]
    assert t.tolist() != array.tolist()


def test_tensor_with_an_explicit_dtype_converts_python_numbers_exactly(torch):
    _same(minigrad.tensor([0.1, 0.7], dtype=minigrad.float64), torch.tensor([0.1, 0.7], dtype=torch.float64))
    _same(minigrad.tensor([1.7, -1.7], dtype=minigrad.int64), torch.tensor([1.7, -1.7], dtype=torch.int64))
    _same(minigrad.tensor([1, 0, 2], dtype=minigrad.bool), torch.tensor([1, 0, 2], dtype=torch.bool))


def test_from_numpy_shares_memory_both_ways():
    array = np.zeros(3, dtype=np.float32)
    t = minigrad.from_numpy(array)
    array[0] = 5
    assert t.tolist() == [5.0, 0.0, 0.0]
    t.add_(1)
    assert array.tolist() == [6.0, 1.0, 1.0]
    assert t.numpy() is array or np.shares_memory(t.numpy(), array)
    with pytest.raises(TypeError, match="expected np.ndarray"):
        minigrad.from_numpy([1, 2])


@pytest.mark.parametrize("name, args, kwargs", [
    ("zeros", (2, 3), {}), ("zeros", ((2, 3),), {"dtype": "int32"}), ("ones", (4,), {"dtype": "float64"}),
    ("ones", ([2, 2],), {}), ("full", ((2, 2), 7), {}), ("full", ((2,), 1.5), {}), ("full", ((3,), True), {}),
    ("full", ((2,), 2), {"dtype": "float16"}), ("eye", (3,), {}), ("eye", (2, 4), {"dtype": "int64"}),
    ("arange", (5,), {}), ("arange", (1, 4), {}), ("arange", (0, 1, 0.1), {}), ("arange", (1.0, 2.5, 0.5), {}),
    ("arange", (10, 0, -3), {}), ("arange", (0, 0.3, 0.1), {}), ("arange", (-1.0, 1.0, 0.25), {"dtype": "float64"}),
    ("arange", (0, 5, 2), {"dtype": "float32"}), ("arange", (1, 2, 0.3), {}),
    ("linspace", (0, 1, 5), {}), ("linspace", (-2, 3, 1), {}), ("linspace", (1, 10, 4), {"dtype": "float64"}),
    ("linspace", (0, 1, 0), {}),
])
def test_factories_match_torch(torch, name, args, kwargs):
    mine = getattr(minigrad, name)(*args, **{k: getattr(minigrad, v) for k, v in kwargs.items()})
    theirs = getattr(torch, name)(*args, **{k: getattr(torch, v) for k, v in kwargs.items()})
    assert tuple(mine.shape) == tuple(theirs.shape)
    assert mine.dtype.name == str(theirs.dtype).split(".")[1]
    np.testing.assert_allclose(np.asarray(mine.tolist(), dtype=np.float64),
                               np.asarray(theirs.tolist(), dtype=np.float64), rtol=1e-6)


def test_arange_length_is_ceil_of_the_span_over_the_step(torch):
    for start, end, step in [(0, 1, 0.1), (0, 0.3, 0.1), (1, 1.9, 0.3), (0, 10, 3), (-5, 5, 0.7), (0.5, 0.5, 1)]:
        assert minigrad.arange(start, end, step).numel() == torch.arange(start, end, step).numel()
    for module in (minigrad, torch):
        with pytest.raises(RuntimeError, match="step must be nonzero"):
            module.arange(0, 1, 0)
        with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
            module.arange(0, 1, -1)


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"])
def test_like_factories_copy_shape_dtype_and_take_overrides(name):
    base = minigrad.zeros(2, 3, dtype=minigrad.float64)
    out = getattr(minigrad, name)(base)
    assert out.shape == (2, 3) and out.dtype is minigrad.float64 and not out.requires_grad
    out = getattr(minigrad, name)(base, dtype=minigrad.float32, requires_grad=True)
    assert out.dtype is minigrad.float32 and out.requires_grad and out.is_leaf
    assert minigrad.full_like(base, 4).tolist() == [[4.0] * 3] * 2
    ints = minigrad.randint_like(minigrad.zeros(50, dtype=minigrad.int64), 3, 6)
    assert ints.dtype is minigrad.int64 and 3 <= ints.min().item() and ints.max().item() < 6


def test_random_factories_are_reproducible_with_manual_seed():
    minigrad.manual_seed(123)
    first = (minigrad.rand(3), minigrad.randn(2, 2), minigrad.randint(0, 10, (4,)), minigrad.randperm(5))
    minigrad.manual_seed(123)
    second = (minigrad.rand(3), minigrad.randn(2, 2), minigrad.randint(0, 10, (4,)), minigrad.randperm(5))
    for a, b in zip(first, second):
        assert a.tolist() == b.tolist()
    assert first[0].dtype is minigrad.float32 and first[2].dtype is minigrad.int64
    state = minigrad.get_rng_state()
    after = minigrad.randn(3).tolist()
    minigrad.set_rng_state(state)
    assert minigrad.randn(3).tolist() == after


def test_random_factories_have_the_right_ranges_and_moments():
    u = minigrad.rand(20000, dtype=minigrad.float64).numpy()
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    n = minigrad.randn(20000).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    for dtype in (minigrad.float16, minigrad.float32):
        assert minigrad.rand(100000, dtype=dtype).max().item() < 1  # no value rounds up to 1
    r = minigrad.randint(5, (1000,)).numpy()
    assert r.min() == 0 and r.max() == 4
    assert sorted(minigrad.randperm(6).tolist()) == list(range(6))


def test_metadata_matches_torch(torch):
    for module in (minigrad, torch):
        t = module.zeros(2, 3, 4)
        assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
        assert t.ndim == 3 and t.dim() == 3 and t.numel() == 24 and len(t) == 2
        assert t.T.shape == (4, 3, 2) and t.device.type == "cpu" and str(t.device) == "cpu"
        assert t.is_floating_point() and t.element_size() == 4
        assert t.is_leaf and t.grad is None and t.grad_fn is None and not t.requires_grad
    assert repr(minigrad.zeros(2, 3).shape) == "minigrad.Size([2, 3])"


def test_numpy_shares_memory_and_refuses_tensors_that_require_grad(torch):
    t = minigrad.zeros(3)
    t.numpy()[1] = 7
    assert t.tolist() == [0.0, 7.0, 0.0]
    for module in (minigrad, torch):
        x = module.zeros(2, requires_grad=True)
        with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. Use tensor.detach\(\).numpy\(\) instead."):
            x.numpy()
        assert x.detach().numpy().tolist() == [0.0, 0.0]


def test_item_tolist_and_python_conversions(torch):
    for module in (minigrad, torch):
        assert module.tensor([[2.5]]).item() == 2.5 and isinstance(module.tensor(3).item(), int)
        assert module.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
        assert float(module.tensor(1.5)) == 1.5 and int(module.tensor(7)) == 7 and bool(module.tensor([True]))
        with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
            module.tensor([1.0, 2.0]).item()
        with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
            bool(module.tensor([1.0, 2.0]))
    assert [1, 2, 3][minigrad.tensor(1)] == 2  # __index__


def test_detach_clone_and_requires_grad_(torch):
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and np.shares_memory(d.numpy(), x.detach().numpy())
    c = x.clone()
    assert c.grad_fn is not None and not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    y = minigrad.zeros(2)
    assert y.requires_grad_() is y and y.requires_grad
    assert y.requires_grad_(False) is y and not y.requires_grad


def test_to_cpu_float_double_long_and_casts_are_differentiable(torch):
    x = minigrad.tensor([1.5, -2.5], requires_grad=True)
    assert x.to(minigrad.float64).dtype is minigrad.float64 and x.double().dtype is minigrad.float64
    assert x.long().tolist() == torch.tensor([1.5, -2.5]).long().tolist()
    assert x.to("cpu") is x and x.cpu() is x and x.float() is x
    assert x.to(minigrad.zeros(1, dtype=minigrad.float16)).dtype is minigrad.float16
    assert x.to("cpu", minigrad.float64).dtype is minigrad.float64
    assert x.to(dtype=minigrad.int32).dtype is minigrad.int32
    (x.double() * 2).sum().backward()
    assert x.grad.dtype is minigrad.float32 and x.grad.tolist() == [2.0, 2.0]


def test_zero_and_data_and_array_protocol():
    x = minigrad.tensor([1.0, 2.0])
    assert x.zero_() is x and x.tolist() == [0.0, 0.0]
    y = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y.data.mul_(3)  # changes through .data are not tracked
    assert y.tolist() == [3.0, 6.0] and y.is_leaf
    assert np.asarray(y).tolist() == [3.0, 6.0] and np.array(y, dtype=np.float64).dtype == np.float64
    assert (np.ones(2) * minigrad.ones(2)).__class__ is minigrad.Tensor  # NumPy defers to Tensor


def test_cuda_without_cupy_or_gpu_raises_a_clear_error():
    if minigrad.cuda.is_available():
        pytest.skip("a GPU is available here")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        minigrad.zeros(2).cuda()
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        minigrad.zeros(2, device="cuda")


def test_pickle_and_deepcopy_keep_values_and_requires_grad():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    for y in (pickle.loads(pickle.dumps(x)), copy.deepcopy(x)):
        assert y.tolist() == [1.0, 2.0] and y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(x * 2)


REPR_CASES = [
    lambda m: m.tensor([1, 2, 3]), lambda m: m.tensor([1.5, 2.0, 3.0]), lambda m: m.tensor([1.0, 2.0]),
    lambda m: m.tensor([1e-5, 2.0, 3.0]), lambda m: m.tensor([1e10, 1.0]), lambda m: m.tensor([True, False]),
    lambda m: m.tensor(3.5), lambda m: m.tensor(7), lambda m: m.zeros(0), lambda m: m.zeros(2, 0),
    lambda m: m.zeros(0, dtype=m.int64), lambda m: m.tensor([[1.0, float("nan")], [float("inf"), -2.0]]),
    lambda m: m.tensor([1.0, 2.0], dtype=m.float64), lambda m: m.tensor([1, 2], dtype=m.int32),
    lambda m: m.tensor([0.5, 0.25], dtype=m.float16), lambda m: m.arange(10000.0), lambda m: m.arange(2000).reshape(40, 50),
    lambda m: (m.arange(60.0).reshape(3, 4, 5) / 7), lambda m: m.linspace(-1000, 1000, 41),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True), lambda m: m.zeros(3, 3), lambda m: m.tensor([-0.0, 0.0]),
    lambda m: m.arange(30.0).reshape(5, 6) * 12345.678, lambda m: m.tensor([123456789.0, 1.0]),
    lambda m: m.tensor([[[1, -2], [3, 4]], [[5, 6], [7, 8]]]), lambda m: m.tensor(float("nan")),
]


@pytest.mark.parametrize("case", range(len(REPR_CASES)))
def test_repr_is_torchs_text(torch, case):
    make = REPR_CASES[case]
    assert repr(make(minigrad)) == repr(make(torch)).replace("torch.", "minigrad.")


def test_repr_of_a_tensor_with_a_graph_names_its_grad_fn():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert str(x.sum()) == "tensor(3., grad_fn=<SumBackward0>)"
