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
