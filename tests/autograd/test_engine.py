"""The backward engine (minigrad/autograd/engine.py and tensor.py): accumulation, retain_graph,
autograd.grad, hooks, retain_grad, deep graphs, create_graph, compared with torch where it has an
opinion."""
import sys

import numpy as np
import pytest

import minigrad
from minigrad.autograd import grad


def test_gradients_accumulate_across_backward_calls(torch):
    for module in (minigrad, torch):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        (x * 3).sum().backward()
        assert x.grad.tolist() == [5.0, 7.0]
        x.grad = None
        (x * 3).sum().backward()
        assert x.grad.tolist() == [3.0, 3.0]


def test_a_second_backward_through_a_freed_graph_raises_torchs_message(torch):
    messages = []
    for module in (minigrad, torch):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward()
        with pytest.raises(RuntimeError) as error:
            y.backward()
        messages.append(str(error.value))
    assert messages[0] == messages[1]


def test_retain_graph_allows_a_second_backward_that_accumulates(torch):
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_backward_of_a_non_scalar_needs_a_gradient_argument(torch):
    for module in (minigrad, torch):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
            (x * 2).backward()
        (x * 2).backward(module.tensor([1.0, -1.0]))
        assert x.grad.tolist() == [2.0, -2.0]


def test_backward_of_a_tensor_that_does_not_require_grad_raises_torchs_message(torch):
    for module in (minigrad, torch):
        with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
            module.tensor([1.0]).sum().backward()


def test_a_node_used_twice_receives_the_sum_of_its_gradients(torch):
    for module in (minigrad, torch):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        h = x.exp()
        (h * h + h.sin() + h).sum().backward()
        expected = (np.exp([1.0, 2.0]) * (2 * np.exp([1.0, 2.0]) + np.cos(np.exp([1.0, 2.0])) + 1))
        np.testing.assert_allclose(x.grad.tolist(), expected, rtol=1e-6)


def test_autograd_grad_returns_gradients_without_touching_dot_grad(torch):
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    w = minigrad.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    gx, gw = grad(y, [x, w])
    assert gx.tolist() == [3.0, 4.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None and not gx.requires_grad


def test_autograd_grad_with_respect_to_a_non_leaf(torch):
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    (gh,) = grad(y, h)
    assert gh.tolist() == [4.0, 8.0]


def test_autograd_grad_allow_unused(torch):
    for module in (minigrad, torch):
        x = module.tensor([1.0], requires_grad=True)
        unused = module.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not have been used in the graph. "
                                               "Set allow_unused=True if this is the desired behavior."):
            module.autograd.grad((x * 2).sum(), [x, unused])
        gx, gu = module.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
        assert gx.tolist() == [2.0] and gu is None


def test_autograd_grad_with_grad_outputs_weights_the_outputs(torch):
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad(x * x, x, grad_outputs=minigrad.tensor([1.0, 10.0]))
    assert g.tolist() == [2.0, 40.0]
    a, b = x * 1, x * 3
    (g,) = grad([a, b], x, grad_outputs=[minigrad.ones(2), minigrad.ones(2)])
    assert g.tolist() == [4.0, 4.0]


def test_create_graph_gives_higher_derivatives_of_x_to_the_fourth():
    x = minigrad.tensor(1.5, dtype=minigrad.float64, requires_grad=True)
    y = x ** 4
    (d1,) = grad(y, x, create_graph=True)
    (d2,) = grad(d1, x, create_graph=True)
    (d3,) = grad(d2, x, create_graph=True)
    (d4,) = grad(d3, x)
    assert np.allclose([d1.item(), d2.item(), d3.item(), d4.item()],
                       [4 * 1.5 ** 3, 12 * 1.5 ** 2, 24 * 1.5, 24.0])


def test_backward_with_create_graph_leaves_a_differentiable_grad(torch):
    for module in (minigrad, torch):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        assert x.grad.requires_grad
        g = x.grad
        x.grad = None
        g.sum().backward()
        assert x.grad.tolist() == [6.0, 12.0]


def test_gradient_penalty_matches_torch(torch):
    values = np.array([[0.3, -1.2], [2.0, 0.7]])
    results = []
    for module in (minigrad, torch):
        w = module.tensor(values, requires_grad=True)
        x = module.tensor(values[::-1].copy(), requires_grad=True)
        out = (x @ w).tanh().sum()
        (gx,) = module.autograd.grad(out, x, create_graph=True)
        penalty = (gx * gx).sum()
        penalty.backward()
        results.append(np.array(w.grad.tolist()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_hooks_on_leaves_and_non_leaves_see_and_replace_gradients(torch):
    for module in (minigrad, torch):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        x.register_hook(lambda g: seen.append(g.tolist()))
        h = x * 3
        handle = h.register_hook(lambda g: g * 10)
        (h * h).sum().backward()
        assert seen == [[180.0, 360.0]] and x.grad.tolist() == [180.0, 360.0]  # 3 * 10 * 2h
        handle.remove()
        x.grad = None
        h = x * 3
        (h * 1).sum().backward()
        assert x.grad.tolist() == [3.0, 3.0]


def test_a_hook_on_a_leaf_can_replace_the_gradient_it_accumulates(torch):
    for module in (minigrad, torch):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        handle = x.register_hook(lambda g: g * -1)
        (x * 2).sum().backward()
        assert x.grad.tolist() == [-2.0, -2.0]
        handle.remove()
        (x * 2).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0]


def test_a_hook_on_a_tensor_that_does_not_require_grad_raises(torch):
    for module in (minigrad, torch):
        with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
            module.zeros(2).register_hook(lambda g: g)


def test_retain_grad_keeps_a_non_leaf_gradient_and_otherwise_warns(torch):
    for module in (minigrad, torch):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        kept = x * 3
        kept.retain_grad()
        (h * kept).sum().backward()
        assert kept.grad.tolist() == [2.0, 4.0] and kept.retains_grad
        with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf Tensor is being accessed"):
            assert h.grad is None


def test_retain_grad_keeps_the_gradient_after_hooks_registered_later(torch):
    for module in (minigrad, torch):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        h.retain_grad()
        h.register_hook(lambda g: g * 5)
        h.sum().backward()
        assert h.grad.tolist() == [5.0, 5.0] and x.grad.tolist() == [10.0, 10.0]


def test_leaf_grad_fn_is_leaf_and_requires_grad_flags_as_torch(torch):
    for module in (minigrad, torch):
        x = module.tensor([1.0], requires_grad=True)
        y = x * 2
        assert x.is_leaf and x.grad_fn is None and not y.is_leaf and y.grad_fn is not None and y.requires_grad
        z = module.tensor([1.0]) * 2
        assert z.is_leaf and not z.requires_grad
        with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
            y.requires_grad_(False)
        with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
            module.tensor([1, 2]).requires_grad_()
        assert y.detach().is_leaf and not y.detach().requires_grad


def test_grad_fn_names_and_next_functions_follow_torch(torch):
    x = minigrad.tensor([1.0], requires_grad=True)
    y = (x * 2).exp()
    assert y.grad_fn.name() == "ExpBackward0"
    ((mul, _),) = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    assert mul.next_functions[0][0].name() == "AccumulateGrad"


def test_integer_outputs_of_a_differentiable_op_do_not_require_grad():
    x = minigrad.tensor([1.5, -2.0], requires_grad=True)
    assert not x.argmax().requires_grad and not (x > 0).requires_grad
    assert not x.max(0).indices.requires_grad and x.max(0).values.requires_grad


def test_a_chain_of_100000_ops_backpropagates_without_recursion_and_is_freed():
    limit = sys.getrecursionlimit()
    x = minigrad.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]
    assert sys.getrecursionlimit() == limit
    del y  # dropping the head of a 100,000-node graph must not overflow the C stack


def test_a_deep_graph_without_backward_is_freed_without_crashing():
    x = minigrad.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    del y


def test_backward_inputs_argument_accumulates_only_into_the_given_tensors(torch):
    for module in (minigrad, torch):
        x = module.tensor([1.0], requires_grad=True)
        w = module.tensor([2.0], requires_grad=True)
        (x * w).sum().backward(inputs=[w])
        assert x.grad is None and w.grad.tolist() == [1.0]


def test_backward_casts_gradients_to_the_input_dtype(torch):
    x = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
    y = x.float() * 2
    y.sum().backward()
    assert x.grad.dtype is minigrad.float64 and x.grad.tolist() == [2.0, 2.0]


def test_no_grad_inside_backward_hooks_does_not_leak(torch):
    x = minigrad.tensor([1.0], requires_grad=True)
    (x * 2).sum().backward()
    assert minigrad.is_grad_enabled()
