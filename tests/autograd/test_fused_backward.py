"""The fused array-level backward (``Function.backward_arrays``, minigrad/autograd/function.py).

A class may define it beside its Tensor-level ``backward``; the engine uses it when no graph of the
backward is being built and ``backward`` otherwise, so the two must agree. Every minigrad class that
defines it is found by scanning the subclasses of ``Primitive`` and checked here against its
``backward`` in float64 over the argument combinations in ``CASES``: a new fused primitive fails
``test_the_array_backward_agrees_with_the_tensor_backward`` until it has cases of its own.
"""
import importlib
import pkgutil

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
import minigrad.ops
from minigrad.autograd import Function, Primitive, grad

for _module in pkgutil.iter_modules(minigrad.ops.__path__):  # every primitive is defined before the scan
    importlib.import_module(f"minigrad.ops.{_module.name}")


def _subclasses(cls):
    found = set()
    stack = [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return found


FUSED = sorted((c for c in _subclasses(Primitive)
                if c.__module__.startswith("minigrad.") and c.backward_arrays is not None),
               key=lambda c: c.__name__)


def _array(rng, shape, zeros=()):
    a = np.array(rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape))
    for position in zeros:
        a[position] = 0.0
    return a


def _prod_cases(rng):
    for shape, dim, keepdim, zeros in [
            ((5,), None, False, ()), ((5,), 0, True, [(2,)]), ((), None, False, ()), ((), None, False, [()]),
            ((3, 4), None, False, [(1, 2)]), ((3, 4), 1, False, ()), ((3, 4), 1, False, [(0, 1), (2, 3)]),
            ((3, 4), 0, True, [(1, 1), (2, 1)]), ((3, 4), -1, True, [(1, 0), (1, 3)]),
            ((2, 3, 4), 1, False, [(0, 0, 0), (1, 1, 2), (1, 2, 2)]), ((2, 3, 4), None, False, [(1, 1, 1), (0, 2, 3)]),
            ((2, 0, 3), 1, False, ())]:
        x = minigrad.tensor(_array(rng, shape, zeros), requires_grad=True)
        out = x.prod() if dim is None else x.prod(dim, keepdim)
        yield f"{shape} dim={dim} keepdim={keepdim} zeros={len(zeros)}", out, [x]


def _sigmoid_cases(rng):
    for shape in [(), (5,), (3, 4), (2, 3, 4, 5)]:
        x = minigrad.tensor(rng.normal(size=shape) * 30, requires_grad=True)  # saturated entries too
        yield f"{shape}", minigrad.sigmoid(x), [x]


def _batch_norm_cases(rng):
    for shape in [(4, 3), (2, 3, 5), (2, 3, 4, 5), (2, 2, 2, 2, 3)]:
        for affine in (False, True):
            for needs_x in (True, False):
                if not affine and not needs_x:
                    continue
                c = shape[1]
                x = minigrad.tensor(rng.normal(size=shape) * 3 + 1, requires_grad=needs_x)
                weight = minigrad.tensor(rng.normal(size=c), requires_grad=True) if affine else None
                bias = minigrad.tensor(rng.normal(size=c), requires_grad=True) if affine else None
                out = F.batch_norm(x, None, None, weight, bias, training=True, eps=1e-3)
                inputs = [t for t in (x, weight, bias) if t is not None and t.requires_grad]
                yield f"{shape} affine={affine} x.requires_grad={needs_x}", out, inputs


def _cross_entropy_cases(rng):
    for shape in [(6, 4), (5,), (3, 4, 5), (2, 3, 2, 2)]:
        class_dim = 1 if len(shape) >= 2 else 0
        classes = shape[class_dim]
        target_shape = shape[:class_dim] + shape[class_dim + 1:]
        for reduction in ("none", "mean", "sum"):
            for weighted in (False, True):
                for ignored in ("none", "some", "all"):
                    x = minigrad.tensor(rng.normal(size=shape) * 2, requires_grad=True)
                    t = rng.integers(0, classes, target_shape)
                    if ignored == "some":
                        drop = np.array(rng.random(target_shape) < 0.4)
                        drop.flat[0] = True
                        t = np.where(drop, -1, t)
                    elif ignored == "all":
                        t = np.full(target_shape, -1)
                    weight = minigrad.tensor(rng.uniform(0.2, 2.0, classes)) if weighted else None
                    out = F.cross_entropy(x, minigrad.tensor(t), weight=weight, ignore_index=-1, reduction=reduction)
                    yield f"{shape} {reduction} weighted={weighted} ignored={ignored}", out, [x]


def _channels_last(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def _batch_norm_layout_cases(rng):
    """Channels-last inputs (NHWC memory), and a large offset, through the fused BatchNorm."""
    for offset in (0.0, 1000.0):
        for affine in (False, True):
            x = minigrad.from_numpy(_channels_last(rng.normal(size=(3, 4, 5, 2)) + offset)).requires_grad_()
            weight = minigrad.tensor(rng.normal(size=4), requires_grad=True) if affine else None
            bias = minigrad.tensor(rng.normal(size=4), requires_grad=True) if affine else None
            out = F.batch_norm(x, None, None, weight, bias, training=True)
            yield f"channels_last offset={offset} affine={affine}", out, [t for t in (x, weight, bias) if t is not None]


def _relu_cases(rng):
    big = rng.normal(size=(70, 3, 20, 20))  # over threads.MIN_PARALLEL_BYTES: the split path
    for label, data in [("vector", rng.normal(size=7)), ("zeros and nan", np.array([-1.0, 0.0, -0.0, np.nan, 2.0])),
                        ("large", big), ("large channels_last", _channels_last(big)),
                        ("matrix transposed", rng.normal(size=(4, 6)).T)]:
        x = minigrad.from_numpy(data).requires_grad_()
        yield label, x.relu(), [x]
    for shape, zeros in [((5,), [(1,)]), ((2, 3, 4), [(0, 1, 2), (1, 0, 0)]), ((), ()), ((3, 1), [(2, 0)])]:
        x = minigrad.tensor(_array(rng, shape, zeros), requires_grad=True)
        yield f"{shape} zeros={len(zeros)}", minigrad.relu(x), [x]
    leaf = minigrad.tensor(rng.normal(size=(4, 5)), requires_grad=True)
    yield "in place", (leaf * 1.0).relu_(), [leaf]


CASES = {"Prod": _prod_cases, "Sigmoid": _sigmoid_cases, "BatchNormTrain": lambda rng: [*_batch_norm_cases(rng), *_batch_norm_layout_cases(rng)],
         "CrossEntropyIndices": _cross_entropy_cases, "Relu": _relu_cases}


def _check_agreement(cls, label, out, inputs, rng):
    """The two backwards of ``out``'s node, called directly and through the engine, agree."""
    node = out.grad_fn
    assert type(node) is cls, f"{label}: the case's output comes from {node.name()}, not {cls.__name__}"
    g = rng.normal(size=tuple(out.shape))
    with minigrad.no_grad():
        tensors = cls.backward(node, minigrad.tensor(g))
    arrays = cls.backward_arrays(node, g)
    tensors = tensors if isinstance(tensors, tuple) else (tensors,)
    arrays = arrays if isinstance(arrays, tuple) else (arrays,)
    for index, needed in enumerate(node.needs_input_grad):
        if not needed:
            continue
        assert index < len(tensors) and tensors[index] is not None, f"{label}: backward gave no gradient {index}"
        assert index < len(arrays) and arrays[index] is not None, f"{label}: backward_arrays gave no gradient {index}"
        expected, got = tensors[index].numpy(), np.asarray(arrays[index])
        assert got.shape == expected.shape and got.dtype == expected.dtype, f"{label}: input {index}"
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, equal_nan=True,
                                   err_msg=f"{cls.__name__} {label}: the two backwards differ at input {index}")
    # through the engine: create_graph=False takes backward_arrays, create_graph=True backward
    fused = grad(out, inputs, minigrad.tensor(g), retain_graph=True)
    graphed = grad(out, inputs, minigrad.tensor(g), retain_graph=True, create_graph=True)
    for k, (a, b) in enumerate(zip(fused, graphed)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12, equal_nan=True,
                                   err_msg=f"{cls.__name__} {label}: grad() of input {k}")


def test_the_scan_finds_the_fused_primitives_and_every_case_names_one():
    names = {c.__name__ for c in FUSED}
    assert {"Prod", "BatchNormTrain", "CrossEntropyIndices"} <= names
    assert set(CASES) <= names, f"cases for classes without backward_arrays: {set(CASES) - names}"


@pytest.mark.parametrize("cls", FUSED, ids=lambda c: c.__name__)
def test_the_array_backward_agrees_with_the_tensor_backward(cls):
    assert cls.__name__ in CASES, (f"{cls.__module__}.{cls.__name__} defines backward_arrays: add argument "
                                   "combinations for it to CASES in this file")
    rng = np.random.default_rng(0)
    count = 0
    for label, out, inputs in CASES[cls.__name__](rng):
        _check_agreement(cls, label, out, inputs, rng)
        count += 1
    assert count >= 4


def test_a_diverging_array_backward_is_caught(monkeypatch):
    from minigrad.ops.reduction import Prod
    original = Prod.backward_arrays
    monkeypatch.setattr(Prod, "backward_arrays", staticmethod(lambda ctx, g: original(ctx, g) * 1.0001))
    rng = np.random.default_rng(0)
    label, out, inputs = next(iter(_prod_cases(rng)))
    with pytest.raises(AssertionError, match="the two backwards differ"):
        _check_agreement(Prod, label, out, inputs, rng)


class _Twice(Function):
    """y = 2x, whose two backwards say which one ran."""
    calls = []

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        _Twice.calls.append(("tensor", type(g).__name__))
        return g * 2

    @staticmethod
    def backward_arrays(ctx, g):
        _Twice.calls.append(("arrays", type(g).__name__))
        return g * 2


def test_the_engine_uses_the_array_backward_only_when_no_graph_is_built():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    _Twice.calls = []
    _Twice.apply(x).sum().backward()
    assert _Twice.calls == [("arrays", "ndarray")] and x.grad.tolist() == [2.0, 2.0]
    _Twice.calls = []
    (g,) = grad(_Twice.apply(x).sum(), x, create_graph=True)
    assert _Twice.calls == [("tensor", "Tensor")] and g.tolist() == [2.0, 2.0]


def test_hooks_and_retain_graph_work_through_a_fused_backward():
    x = minigrad.randn(4, 3, 5, requires_grad=True)
    weight = minigrad.ones(3, requires_grad=True)
    seen = []
    weight.register_hook(lambda g: seen.append(g.shape) or g * 0)   # the hook's result replaces the gradient
    loss = F.batch_norm(x, None, None, weight, None, training=True).pow(2).sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-5, atol=1e-6)
    assert seen == [(3,), (3,)] and weight.grad.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_double_backward_through_the_fused_primitives_still_passes_gradgradcheck():
    from minigrad.autograd import gradcheck, gradgradcheck
    x = minigrad.tensor(np.random.default_rng(1).normal(size=(4, 3)), requires_grad=True)
    t = minigrad.tensor([0, 2, 1, 2])
    for fn in (lambda x: F.cross_entropy(x, t), lambda x: F.batch_norm(x, None, None, training=True),
               lambda x: (x * minigrad.tensor([[1.0, 0.0, 1.0]] * 4, dtype=minigrad.float64)).prod(1)):
        assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


def test_an_array_backward_may_return_a_numpy_scalar_for_a_0d_input():
    x = minigrad.tensor(3.0, dtype=minigrad.float64, requires_grad=True)
    _Twice.apply(x).backward()                      # 0-d array * 2 is an np.float64 in NumPy
    assert x.grad.shape == () and x.grad.item() == 2.0 and x.grad.dtype == minigrad.float64


class _Split(Function):
    """(2x, 3x) with materialize_grads off: a missing output gradient reaches backward_arrays as None."""
    seen = None

    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g2, g3):
        raise AssertionError("create_graph is off: backward_arrays runs")

    @staticmethod
    def backward_arrays(ctx, g2, g3):
        _Split.seen = (g2 is None, g3 is None)
        return (0 if g2 is None else 2 * g2) + (0 if g3 is None else 3 * g3)


def test_an_array_backward_gets_none_for_an_output_without_gradient_when_grads_are_not_materialized():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    doubled, _ = _Split.apply(x)
    doubled.sum().backward()
    assert _Split.seen == (False, True) and x.grad.tolist() == [2.0, 2.0]
