"""Memory formats (minigrad/autograd/memory_format.py) against torch: is_contiguous, stride, the
layout of contiguous / clone / to, and suggest_memory_format, over many shapes including size-0 and
size-1 dims, permutations and sliced (non-dense) strides."""
import itertools
import pickle

import numpy as np
import pytest
import torch

import minigrad
from minigrad.autograd import memory_format as formats

FORMATS = [(minigrad.contiguous_format, torch.contiguous_format), (minigrad.channels_last, torch.channels_last),
           (minigrad.channels_last_3d, torch.channels_last_3d)]


def _strided_pair(shape, order, step):
    """The same sizes and strides in NumPy and torch: dims laid out in ``order`` (slowest first), the
    last dim sliced with ``step``."""
    full = list(shape)
    full[-1] = shape[-1] * step
    base = np.arange(int(np.prod(full)), dtype=np.float32).reshape([full[d] for d in order])
    array = base.transpose(np.argsort(order))[..., ::step]
    strides = tuple(s // 4 for s in array.strides)
    tensor = torch.as_strided(torch.from_numpy(base.reshape(-1).copy()), array.shape, strides)
    return array, tensor


def _cases():
    rng = np.random.default_rng(0)
    for ndim in (3, 4, 5):
        for _ in range(150):
            shape = tuple(int(v) for v in rng.choice([0, 1, 1, 2, 3], size=ndim))
            order = tuple(int(v) for v in rng.permutation(ndim))
            yield shape, order, int(rng.choice([1, 1, 2]))
    for shape in [(2, 3, 1, 1), (1, 3, 1, 1), (2, 1, 3, 3), (1, 1, 1, 1), (1, 3, 2, 1), (4, 1, 1, 5), (2, 3, 1, 4, 1)]:
        for order in itertools.permutations(range(len(shape))):
            yield shape, order, 1


@pytest.mark.parametrize("shape, order, step", list(_cases()))
def test_is_contiguous_stride_and_suggested_format_match_torch(shape, order, step):
    array, expected = _strided_pair(shape, order, step)
    x = minigrad.from_numpy(array)
    assert x.stride() == expected.stride()
    for ours, theirs in FORMATS:
        assert x.is_contiguous(memory_format=ours) == expected.is_contiguous(memory_format=theirs), (ours, x.stride())
    assert x.is_contiguous() == expected.is_contiguous()
    suggested = formats.suggest(array)
    if array.ndim in (4, 5) and array.size:
        # torch's own suggest_memory_format, seen through empty_like of a non-dense tensor (preserve_format
        # falls back to it) -- here computed on an overlapping expand of the same strides
        theirs = torch._prims_common.suggest_memory_format(expected)
        assert repr(suggested).split(".")[1] == repr(theirs).split(".")[1]


@pytest.mark.parametrize("shape, order, step", [c for c in _cases() if len(c[0]) == 4 and 0 not in c[0]][:120])
def test_clone_contiguous_and_to_lay_out_as_torch(shape, order, step):
    """(Empty arrays left out: NumPy gives them zero strides, where torch keeps the formula's.)"""
    array, expected = _strided_pair(shape, order, step)
    x = minigrad.from_numpy(array)

    def strides(t):  # the strides of size-1 dims address nothing; torch's choice for them is arbitrary
        return [s for s, n in zip(t.stride(), t.shape) if n != 1]
    assert strides(x.clone()) == strides(expected.clone())
    for ours, theirs in FORMATS[:2]:
        assert strides(x.contiguous(memory_format=ours)) == strides(expected.contiguous(memory_format=theirs))
        assert strides(x.clone(memory_format=ours)) == strides(expected.clone(memory_format=theirs))
        assert strides(x.to(memory_format=ours)) == strides(expected.to(memory_format=theirs))
        np.testing.assert_array_equal(x.contiguous(memory_format=ours).numpy(), expected.numpy())


def test_contiguous_returns_self_when_already_in_the_format():
    x = minigrad.randn(2, 3, 4, 5).contiguous(memory_format=minigrad.channels_last)
    assert x.contiguous(memory_format=minigrad.channels_last) is x
    assert x.to(memory_format=minigrad.channels_last) is x
    assert x.contiguous() is not x and x.contiguous().is_contiguous()


def test_memory_format_objects_have_torch_names_and_pickle_to_themselves():
    for ours, theirs in FORMATS + [(minigrad.preserve_format, torch.preserve_format)]:
        assert repr(ours) == repr(theirs).replace("torch", "minigrad")
        assert pickle.loads(pickle.dumps(ours)) is ours


def test_wrong_rank_and_wrong_type_raise_torch_errors():
    for fn in (lambda x: x.contiguous(memory_format=minigrad.channels_last),
               lambda x: x.to(memory_format=minigrad.channels_last)):
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
            fn(minigrad.zeros(2, 3, 4))
    with pytest.raises(RuntimeError, match="required rank 5 tensor to use channels_last_3d format"):
        minigrad.zeros(2, 3, 4, 4).contiguous(memory_format=minigrad.channels_last_3d)
    with pytest.raises(TypeError, match="argument 'memory_format' must be torch.memory_format, not int"):
        minigrad.zeros(2, 3, 4, 4).contiguous(memory_format=3)


def test_gradient_flows_through_a_layout_change():
    x = minigrad.randn(2, 3, 4, 5, requires_grad=True)
    (x.contiguous(memory_format=minigrad.channels_last) * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3, 4, 5), 2, np.float32))


def test_module_to_channels_last_converts_4d_parameters_only():
    model = minigrad.nn.Sequential(minigrad.nn.Conv2d(3, 4, 3), minigrad.nn.BatchNorm2d(4))
    reference = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    model.to(memory_format=minigrad.channels_last)
    reference.to(memory_format=torch.channels_last)
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        assert p.stride() == q.stride(), name
    assert isinstance(model[0].weight, minigrad.nn.Parameter)


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"])
@pytest.mark.parametrize("order", [(0, 1, 2, 3), (0, 2, 3, 1), (3, 1, 0, 2)])
def test_like_constructors_lay_out_their_result_as_torch(name, order):
    array, expected = _strided_pair((2, 3, 4, 5), order, 1)
    x = minigrad.from_numpy(array)
    for ours, theirs in [(None, None)] + FORMATS[:2] + [(minigrad.preserve_format, torch.preserve_format)]:
        mine = getattr(minigrad, name)(x, **({} if ours is None else {"memory_format": ours}))
        reference = getattr(torch, name)(expected, **({} if theirs is None else {"memory_format": theirs}))
        assert mine.stride() == reference.stride(), (ours, mine.stride(), reference.stride())
    assert minigrad.full_like(x, 2.0).stride() == torch.full_like(expected, 2.0).stride()
    np.testing.assert_array_equal(minigrad.ones_like(x, memory_format=minigrad.channels_last).numpy(), 1)
