"""default_collate / default_convert follow torch's rules (torch's own functions are the oracle)."""
import collections

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad.data import default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "y"])

DTYPES = ["uint8", "int32", "int64", "float32", "float64", "bool"]


def _leaf(kind, shape, dtype, k):
    """The k-th sample's value of a leaf of the given kind (same structure across the batch)."""
    if kind == "array":
        return (np.arange(int(np.prod(shape))).reshape(shape) + k).astype(dtype)
    if kind == "int":
        return 3 * k - 1
    if kind == "float":
        return 0.5 * k - 1.25
    if kind == "bool":
        return k % 2 == 0
    if kind == "str":
        return f"s{k}"
    if kind == "npscalar":
        return np.dtype(dtype).type(k)
    raise AssertionError(kind)


leaves = st.tuples(st.sampled_from(["array", "int", "float", "bool", "str", "npscalar"]),
                   st.lists(st.integers(1, 3), max_size=3).map(tuple), st.sampled_from(DTYPES))
structures = st.recursive(
    leaves,
    lambda children: st.one_of(st.tuples(st.just("tuple"), st.lists(children, min_size=1, max_size=3)),
                               st.tuples(st.just("list"), st.lists(children, min_size=1, max_size=3)),
                               st.tuples(st.just("dict"), st.lists(children, min_size=1, max_size=3)),
                               st.tuples(st.just("point"), st.tuples(children, children))),
    max_leaves=6)


def _build(spec, k):
    kind = spec[0]
    if kind == "tuple":
        return tuple(_build(s, k) for s in spec[1])
    if kind == "list":
        return [_build(s, k) for s in spec[1]]
    if kind == "dict":
        return {f"key{i}": _build(s, k) for i, s in enumerate(spec[1])}
    if kind == "point":
        return Point(_build(spec[1][0], k), _build(spec[1][1], k))
    return _leaf(*spec, k)


def _same(mine, theirs, torch):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(mine, minigrad.Tensor), type(mine)
        assert str(mine.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert tuple(mine.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(mine) is type(theirs) and mine.keys() == theirs.keys()
        for key in theirs:
            _same(mine[key], theirs[key], torch)
    elif isinstance(theirs, (list, tuple)):
        assert type(mine) is type(theirs) and len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            _same(a, b, torch)
    else:
        assert mine == theirs


@given(spec=structures, batch_size=st.integers(1, 4))
@settings(max_examples=80, deadline=None)
def test_default_collate_matches_torch(torch, spec, batch_size):
    batch = [_build(spec, k) for k in range(batch_size)]
    from torch.utils.data import default_collate as torch_collate
    _same(default_collate(batch), torch_collate(batch), torch)


@given(spec=structures)
@settings(max_examples=40, deadline=None)
def test_default_convert_matches_torch(torch, spec):
    sample = _build(spec, 1)
    from torch.utils.data._utils.collate import default_convert as torch_convert
    _same(default_convert(sample), torch_convert(sample), torch)


def test_collate_stacks_minigrad_tensors_along_new_first_dim():
    batch = [minigrad.full((2, 3), float(k)) for k in range(4)]
    out = default_collate(batch)
    assert out.shape == (4, 2, 3) and out.dtype == minigrad.float32
    assert out.numpy()[:, 0, 0].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_collate_keeps_the_graph_when_a_tensor_requires_grad():
    a = minigrad.ones(2, requires_grad=True)
    out = default_collate([a, a * 2])
    out.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]


def test_collate_rejects_unequal_tensor_shapes():
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([np.zeros(2), np.zeros(3)])


def test_collate_rejects_unequal_sequence_lengths():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])


def test_collate_rejects_string_arrays_and_unknown_types():
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])


# ---- torch tensors as items (a dataset that uses torchvision's own ToTensor) -----------------------
@pytest.mark.parametrize("dtype", ["uint8", "int64", "float32", "float64", "bool"])
def test_collate_accepts_torch_tensors_like_torch_does(torch, dtype):
    rng = np.random.default_rng(0)
    batch = [({"image": torch.from_numpy((rng.random((1, 3, 2)) * 9).astype(dtype)), "scalar": torch.tensor(k)},
              k) for k in range(3)]
    from torch.utils.data import default_collate as torch_collate
    _same(default_collate(batch), torch_collate(batch), torch)
    grads = [torch.ones(2, requires_grad=True).neg() for _ in range(2)]  # non-leaf, with a negative view
    out = default_collate(grads)
    assert isinstance(out, minigrad.Tensor) and out.numpy().tolist() == [[-1.0, -1.0]] * 2


def test_default_convert_turns_a_torch_tensor_into_a_minigrad_tensor(torch):
    out = default_convert([torch.arange(3), "x"])
    assert isinstance(out[0], minigrad.Tensor) and out[0].dtype == minigrad.int64 and out[1] == "x"
    assert out[0].tolist() == [0, 1, 2]


def test_collate_does_not_import_torch():
    import subprocess
    import sys
    code = ("import sys, numpy as np; from minigrad.data import default_collate, default_convert; "
            "default_collate([(np.zeros(2), 1, {'a': 1.0})] * 2); default_convert([np.zeros(1)]); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
