"""Signatures torch accepts: NumPy's ``axis`` / ``keepdims`` names, the overloads of var / std,
``size=`` for the factories, ``to`` / ``type`` / ``new_*``, addcmul / addcdiv / lerp, int32 indices.
Each checked against torch (values, and gradients where the op is differentiable)."""
import itertools

import numpy as np
import pytest

import minigrad
from minigrad.autograd.gradcheck import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def _both(array):
    return minigrad.tensor(array), torch.tensor(array)


def _assert_same(ours, theirs, atol=1e-12):
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b, atol)
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(np.asarray(ours), theirs.detach().numpy(), atol=atol, rtol=1e-10)


def _error(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the type and message are compared
        return type(error), str(error)
    return None


# ---- axis / keepdims ----------------------------------------------------------------------------

X = np.random.default_rng(0).standard_normal((3, 4, 2))

# name -> call(module, x, **kwargs): every function whose torch binding takes ``axis`` for ``dim``
AXIS_OPS = {
    "sum": lambda m, x, **k: m.sum(x, **k), "mean": lambda m, x, **k: m.mean(x, **k),
    "prod": lambda m, x, **k: m.prod(x, **k), "amax": lambda m, x, **k: m.amax(x, **k),
    "amin": lambda m, x, **k: m.amin(x, **k), "max": lambda m, x, **k: tuple(m.max(x, **k)),
    "min": lambda m, x, **k: tuple(m.min(x, **k)), "argmax": lambda m, x, **k: m.argmax(x, **k),
    "argmin": lambda m, x, **k: m.argmin(x, **k), "logsumexp": lambda m, x, **k: m.logsumexp(x, **k),
    "all": lambda m, x, **k: m.all(x > 0, **k), "any": lambda m, x, **k: m.any(x > 0, **k),
    "var": lambda m, x, **k: m.var(x, **k), "std": lambda m, x, **k: m.std(x, **k),
    "var_mean": lambda m, x, **k: m.var_mean(x, **k), "std_mean": lambda m, x, **k: m.std_mean(x, **k),
    "count_nonzero": lambda m, x, **k: m.count_nonzero(x > 0, **k),
    "softmax": lambda m, x, **k: m.softmax(x, **k), "log_softmax": lambda m, x, **k: m.log_softmax(x, **k),
    "cumsum": lambda m, x, **k: m.cumsum(x, **k), "cat": lambda m, x, **k: m.cat([x, x], **k),
    "concat": lambda m, x, **k: m.concat([x, x], **k), "stack": lambda m, x, **k: m.stack([x, x], **k),
    "squeeze": lambda m, x, **k: m.squeeze(x[:, :1], **k), "unsqueeze": lambda m, x, **k: m.unsqueeze(x, **k),
    "chunk": lambda m, x, **k: m.chunk(x, 2, **k), "unbind": lambda m, x, **k: m.unbind(x, **k),
    "narrow": lambda m, x, **k: m.narrow(x, start=0, length=1, **k),
    "gather": lambda m, x, **k: m.gather(x, index=m.zeros(3, 4, 2, dtype=m.int64), **k),
    "index_select": lambda m, x, **k: m.index_select(x, index=m.tensor([0, 1]), **k),
    "scatter_add": lambda m, x, **k: m.scatter_add(x, index=m.zeros(3, 4, 2, dtype=m.int64), src=x, **k),
    "method sum": lambda m, x, **k: x.sum(**k), "method argmax": lambda m, x, **k: x.argmax(**k),
    "method softmax": lambda m, x, **k: x.softmax(**k), "method max": lambda m, x, **k: tuple(x.max(**k)),
}
KEYWORDS = [{"axis": 1}, {"axis": -1, "keepdims": True}, {"axis": 1, "keepdims": False}, {"axis": (0, 2)},
            {"dim": 1, "keepdims": True}, {"axis": 0, "keepdim": True}]


@pytest.mark.parametrize("name", AXIS_OPS)
@pytest.mark.parametrize("kwargs", KEYWORDS, ids=str)
def test_axis_and_keepdims_are_torch_names_for_dim_and_keepdim(name, kwargs):
    ours, theirs = _both(X)
    call = AXIS_OPS[name]
    try:
        expected = call(torch, theirs, **kwargs)
    except (TypeError, RuntimeError, IndexError) as error:
        with pytest.raises(type(error)):
            call(minigrad, ours, **kwargs)
        return
    _assert_same(call(minigrad, ours, **kwargs), expected)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "argmax", "var", "std", "logsumexp", "cat", "softmax"])
def test_giving_both_the_name_and_its_alias_is_torch_type_error(name):
    ours, theirs = _both(X)
    call = AXIS_OPS[name]
    for kwargs in ({"dim": 0, "axis": 1}, {"dim": 0, "keepdim": True, "keepdims": True}):
        expected = _error(lambda: call(torch, theirs, **kwargs))
        assert expected is not None and expected[0] is TypeError
        with pytest.raises(TypeError, match="unexpected keyword argument"):
            call(minigrad, ours, **kwargs)
    with pytest.raises(TypeError, match="unexpected keyword argument 'axis'"):
        minigrad.sum(ours, 0, axis=1)  # the positional dim counts too


@pytest.mark.parametrize("call", [lambda m, x: m.nn.functional.softmax(x, axis=1),
                                  lambda m, x: m.split(x, 2, axis=0), lambda m, x: m.norm(x, axis=0)])
def test_functions_torch_writes_in_python_do_not_take_axis(call):
    ours, theirs = _both(X)
    with pytest.raises(TypeError):
        call(torch, theirs)
    with pytest.raises(TypeError):
        call(minigrad, ours)


# ---- var / std overloads ------------------------------------------------------------------------

VARIANCE_CALLS = [((), {}), ((True,), {}), ((False,), {}), ((0, False), {}), ((1, True, True), {}),
                  ((0, False, True), {}), (((0, 2), False), {}), ((None, False), {}), ((1,), {"unbiased": False}),
                  ((), {"dim": 1, "correction": 0}), ((), {"correction": 2.5}), ((), {"correction": 0, "keepdim": True}),
                  ((2,), {"keepdim": True}), ((), {"unbiased": False}), ((), {"axis": 0, "correction": 0, "keepdims": True}),
                  ((-1, False), {"keepdims": True})]
BAD_VARIANCE_CALLS = [((0, True), {"correction": 0}), ((), {"unbiased": False, "correction": 0}),
                      ((True,), {"keepdim": True}), ((1, 1), {}), ((), {"dim": True})]


@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("args, kwargs", VARIANCE_CALLS, ids=str)
def test_variance_overloads_read_arguments_as_torch_does(name, args, kwargs):
    ours, theirs = _both(X)
    _assert_same(getattr(minigrad, name)(ours, *args, **kwargs), getattr(torch, name)(theirs, *args, **kwargs))
    if name in ("var", "std"):
        _assert_same(getattr(ours, name)(*args, **kwargs), getattr(theirs, name)(*args, **kwargs))


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("args, kwargs", BAD_VARIANCE_CALLS, ids=str)
def test_variance_overloads_refuse_what_torch_refuses(name, args, kwargs):
    ours, theirs = _both(X)
    assert _error(lambda: getattr(torch, name)(theirs, *args, **kwargs))[0] is TypeError
    with pytest.raises(TypeError, match="invalid combination of arguments"):
        getattr(minigrad, name)(ours, *args, **kwargs)


@pytest.mark.parametrize("args, kwargs", [((True,), {}), ((0, False), {}), ((), {"dim": 1, "correction": 2})], ids=str)
def test_std_gradients_under_each_overload(args, kwargs):
    x = minigrad.tensor(X, requires_grad=True)
    assert gradcheck(lambda t: minigrad.std(t, *args, **kwargs), (x,))
    assert gradgradcheck(lambda t: minigrad.var(t, *args, **kwargs), (x,))


# ---- size= for the factories --------------------------------------------------------------------

@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("size", [(8, 8), [2], (), (0, 3)], ids=str)
def test_factories_take_size_as_a_keyword(name, size):
    ours, theirs = getattr(minigrad, name)(size=size), getattr(torch, name)(size=size)
    assert tuple(ours.shape) == tuple(theirs.shape) and str(ours.dtype)[9:] == str(theirs.dtype)[6:]
    ours = getattr(minigrad, name)(size=size, dtype=minigrad.float64)
    assert ours.dtype is minigrad.float64


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_factories_refuse_size_twice_or_an_int_size_keyword(name):
    for call in (lambda m: getattr(m, name)(2, size=(3,)), lambda m: getattr(m, name)(size=5)):
        expected = _error(lambda: call(torch))
        got = _error(lambda: call(minigrad))
        assert got is not None and got[0] is expected[0] is TypeError and got[1].startswith(f"{name}()")


def test_full_and_randint_take_their_arguments_by_name():
    assert minigrad.full(size=(2,), fill_value=3.0).tolist() == [3.0, 3.0]
    for kwargs in ({"low": 2, "high": 10, "size": (5,)}, {"high": 10, "size": (5,)}):
        ours = minigrad.randint(**kwargs)
        assert tuple(ours.shape) == tuple(torch.randint(**kwargs).shape) and ours.dtype is minigrad.int64
    assert tuple(minigrad.randint(3, 10, size=(2,)).shape) == (2,)


# ---- to / type / new_* --------------------------------------------------------------------------

def _to_calls(m):
    return [((m.float64,), {}), ((m.float32,), {}), ((m.float32, False, True), {}), ((m.float32, False, False), {}),
            (("cpu", m.float64, False, True), {}), (("cpu", m.float32, False, True), {}), (("cpu",), {"copy": True}),
            ((None, m.float64), {}), ((), {"dtype": m.int64, "device": "cpu"}), ((), {}),
            ((m.float32,), {"copy": True, "memory_format": None}), ((), {"device": None, "copy": True}),
            (("SELF", True, True), {}), (("SELF",), {}), ((m.int32, True), {"non_blocking": False})]


@pytest.mark.parametrize("case", range(len(_to_calls(minigrad))))
def test_to_reads_torch_positional_non_blocking_and_copy(case):
    x, y = _both(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    results = []
    for module, tensor in ((minigrad, x), (torch, y)):
        args, kwargs = _to_calls(module)[case]
        args = tuple(tensor if a == "SELF" else a for a in args)
        out = _error(lambda: tensor.to(*args, **kwargs)) or tensor.to(*args, **kwargs)
        if isinstance(out, tuple):
            results.append(out[0])
            continue
        shares = out.data_ptr() == tensor.data_ptr() if module is torch else out._data is tensor._data
        results.append((str(out.dtype).split(".")[-1], out is tensor, shares))
    assert results[0] == results[1]


@pytest.mark.parametrize("bad", [lambda m: ("cpu", False), lambda m: (m.float32, m.float64),
                                 lambda m: (m.float32, False, True, True)], ids=range(3))
def test_to_refuses_what_torch_refuses(bad):
    x, y = _both(np.zeros(2))
    with pytest.raises(TypeError):
        y.to(*bad(torch))
    with pytest.raises(TypeError, match=r"to\(\) received an invalid combination of arguments"):
        x.to(*bad(minigrad))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool"])
def test_type_names_and_converts_as_torch(dtype):
    x, y = _both(np.ones(3, dtype=dtype))
    assert x.type() == y.type()
    for target in ("float64", "int32"):
        for spelling in (lambda m: getattr(m, target), lambda m: y.to(getattr(torch, target)).type()):
            ours, theirs = x.type(spelling(minigrad)), y.type(spelling(torch))
            assert str(ours.dtype)[9:] == str(theirs.dtype)[6:]
            assert (ours is x) == (theirs is y)
    assert x.type(x.dtype) is x
    assert x.type("minigrad.DoubleTensor").dtype is minigrad.float64
    with pytest.raises(ValueError, match="invalid type: 'float64'"):
        x.type("float64")


NEW_CALLS = [("new_zeros", (2, 3), {}), ("new_zeros", ((2, 3),), {}), ("new_zeros", (), {"size": (2, 3), "dtype": "int64"}),
             ("new_ones", (2,), {"requires_grad": True}), ("new_ones", ([4],), {"dtype": None}),
             ("new_full", ((2,), 5), {}), ("new_full", (), {"size": (2,), "fill_value": 5, "dtype": "int32"}),
             ("new_empty", (2, 3), {}), ("new_empty", (), {"size": (0,)}), ("new_tensor", ([1, 2],), {}),
             ("new_tensor", (), {"data": [1.5, 2], "dtype": "int64", "requires_grad": False}),
             ("new_tensor", ([1.5],), {"dtype": None})]


@pytest.mark.parametrize("source", ["float64", "int64"])
@pytest.mark.parametrize("name, args, kwargs", NEW_CALLS, ids=str)
def test_new_factories_have_torch_signatures(source, name, args, kwargs):
    x, y = _both(np.zeros(2, dtype=source))
    if kwargs.get("requires_grad") and source == "int64":
        return
    outs = []
    for module, tensor in ((minigrad, x), (torch, y)):
        k = {key: getattr(module, v) if key == "dtype" and v else v for key, v in kwargs.items()}
        out = getattr(tensor, name)(*args, **k)
        outs.append((tuple(out.shape), str(out.dtype).split(".")[-1], out.requires_grad,
                     None if name == "new_empty" else out.tolist()))
    assert outs[0] == outs[1]


# ---- addcmul / addcdiv / lerp -------------------------------------------------------------------

RNG = np.random.default_rng(1)
A, B, C = RNG.standard_normal((3, 4)), RNG.standard_normal((1, 4)), RNG.standard_normal((3, 1)) + 3


@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("value", [1, 0.5, -2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_addcmul_and_addcdiv_match_torch_in_every_form(name, value, dtype):
    arrays = [a.astype(dtype) for a in (A, B, C)]
    ours, theirs = zip(*(_both(a) for a in arrays))
    atol = 1e-6 if dtype == "float32" else 1e-12
    expected = getattr(torch, name)(*theirs, value=value)
    _assert_same(getattr(minigrad, name)(*ours, value=value), expected, atol)
    _assert_same(getattr(ours[0], name)(*ours[1:], value=value), expected, atol)
    x = ours[0].clone()
    assert getattr(x, name + "_")(*ours[1:], value=value) is x
    _assert_same(x, expected, atol)
    if dtype == "float64":
        leaves = [minigrad.tensor(a, requires_grad=True) for a in arrays]
        function = lambda *t: getattr(minigrad, name)(*t, value=value)  # noqa: E731
        assert gradcheck(function, leaves) and gradgradcheck(function, leaves)


def test_addcdiv_of_integers_is_torch_error():
    x, y = _both(np.arange(1, 4))
    expected = _error(lambda: torch.addcdiv(y, y, y))
    with pytest.raises(RuntimeError) as error:
        minigrad.addcdiv(x, x, x)
    assert (RuntimeError, str(error.value)) == expected


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.5, 1.0, -0.7, 1.5, "tensor"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lerp_matches_torch_values_and_gradients(weight, dtype):
    start, end = (a.astype(dtype) for a in (A, B))
    weights = RNG.uniform(-1, 2, (3, 4)).astype(dtype)
    (s, t), (e, u) = _both(start), _both(end)
    w, v = _both(weights) if weight == "tensor" else (weight, weight)
    atol = 1e-6 if dtype == "float32" else 1e-15
    expected = torch.lerp(t, u, v)
    _assert_same(minigrad.lerp(s, e, w), expected, atol)
    x = s.clone()
    assert x.lerp_(e, w) is x
    _assert_same(x, expected, atol)
    if dtype == "float64":
        leaves = [minigrad.tensor(a, requires_grad=True) for a in (start, end)]
        if weight == "tensor":
            leaves.append(minigrad.tensor(weights, requires_grad=True))
            function = minigrad.lerp
        else:
            function = lambda a, b: minigrad.lerp(a, b, weight)  # noqa: E731
        assert gradcheck(function, leaves) and gradgradcheck(function, leaves)


# ---- int32 indices ------------------------------------------------------------------------------

@pytest.mark.parametrize("index_dtype", ["int32", "int64"])
def test_gather_index_select_and_scatter_add_take_int32_indices(index_dtype):
    x = RNG.standard_normal((4, 5))
    index = RNG.integers(0, 4, (3, 5)).astype(index_dtype)
    (ours, theirs), (i, j) = _both(x), _both(index)
    _assert_same(minigrad.gather(ours, 0, i), torch.gather(theirs, 0, j))
    _assert_same(minigrad.index_select(ours, 0, i[0]), torch.index_select(theirs, 0, j[0]))
    _assert_same(minigrad.scatter_add(ours, 0, i, ours[:3]), torch.scatter_add(theirs, 0, j, theirs[:3]))
    leaf = minigrad.tensor(x, requires_grad=True)
    assert gradcheck(lambda t: minigrad.gather(t, 0, i), (leaf,))
    assert gradgradcheck(lambda t: minigrad.scatter_add(t, 0, i, t[:3] * 2), (leaf,))


@pytest.mark.parametrize("shape, index_shape, index_dtype",
                         [((), (1,), "int64"), ((), (), "int64"), ((5,), (0,), "uint8"), ((5,), (2, 0), "uint8")])
def test_gather_of_a_scalar_or_with_an_empty_index_as_torch(shape, index_shape, index_dtype):
    (ours, theirs) = _both(RNG.standard_normal(shape))
    (i, j) = _both(np.zeros(index_shape, dtype=index_dtype))
    _assert_same(minigrad.gather(ours, 0, i), torch.gather(theirs, 0, j))
    if shape == ():
        _assert_same(minigrad.scatter_add(ours, 0, i, ours.reshape(index_shape) * 3),
                     torch.scatter_add(theirs, 0, j, theirs.reshape(index_shape) * 3))


def test_gather_refuses_a_non_empty_index_that_is_not_int32_or_int64():
    with pytest.raises(RuntimeError, match=r"gather\(\): Expected dtype int32/int64 for index"):
        minigrad.gather(minigrad.zeros(3), 0, minigrad.zeros(2, dtype=minigrad.int16))


# ---- empty dims: softmax, log_softmax, batch_norm, group_norm ------------------------------------

@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, dim", [((5, 0, 0), -1), ((5, 0), 0), ((5, 0), 1), ((0,), 0)], ids=str)
def test_softmax_over_empty_dims_is_empty_as_torch(name, shape, dim):
    x = minigrad.zeros(shape, dtype=minigrad.float64, requires_grad=True)
    out = getattr(minigrad, name)(x, dim)
    assert tuple(out.shape) == tuple(getattr(torch, name)(torch.zeros(shape), dim).shape)
    out.sum().backward()
    assert tuple(x.grad.shape) == shape


@pytest.mark.parametrize("shape, stats, training", [((0,), 0, True), ((0,), 0, False), ((0, 3), 3, True),
                                                    ((0, 3), None, True), ((2, 3, 0), 3, True), ((2, 0, 4), 0, True),
                                                    ((0, 3), 3, False)], ids=str)
def test_batch_norm_of_nothing_is_empty_and_leaves_running_stats(shape, stats, training):
    F = minigrad.nn.functional
    make = (lambda m: (None, None)) if stats is None else (lambda m: (m.zeros(stats), m.ones(stats)))
    ours_stats, theirs_stats = make(minigrad), make(torch)
    out = F.batch_norm(minigrad.zeros(shape), *ours_stats, training=training)
    expected = torch.nn.functional.batch_norm(torch.zeros(shape), *theirs_stats, training=training)
    assert tuple(out.shape) == tuple(expected.shape)
    if stats:
        assert ours_stats[0].tolist() == theirs_stats[0].tolist() and ours_stats[1].tolist() == theirs_stats[1].tolist()


@pytest.mark.parametrize("call", [lambda F, m: F.batch_norm(m.zeros(3), m.zeros(3), m.ones(3), training=False),
                                  lambda F, m: F.batch_norm(m.zeros(3), None, None, training=True)], ids=range(2))
def test_batch_norm_of_a_vector_is_torch_error(call):
    expected = _error(lambda: call(torch.nn.functional, torch))
    assert _error(lambda: call(minigrad.nn.functional, minigrad)) == expected


@pytest.mark.parametrize("shape, groups", [((0, 2), 1), ((0, 2, 3), 2), ((2, 2, 0), 2), ((2, 0, 3), 1)], ids=str)
def test_group_norm_of_empty_inputs_as_torch(shape, groups):
    ours = minigrad.nn.functional.group_norm(minigrad.zeros(shape), groups)
    assert tuple(ours.shape) == tuple(torch.nn.functional.group_norm(torch.zeros(shape), groups).shape)
