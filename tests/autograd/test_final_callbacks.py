"""engine.queue_callback: work queued during a backward walk runs once, after every gradient is in place."""
from __future__ import annotations

import pytest

import minigrad
from minigrad.autograd.engine import queue_callback


def test_a_callback_queued_by_a_hook_runs_after_all_leaves_have_their_gradients():
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = minigrad.tensor([3.0], requires_grad=True)
    seen = []

    def hook(grad):
        queue_callback(lambda: seen.append((a.grad.tolist(), b.grad.tolist())))

    a.register_hook(hook)
    ((a * 2).sum() + (b * 5).sum()).backward()
    assert seen == [([2.0, 2.0], [5.0])]


def test_callbacks_run_in_the_order_queued_once_per_backward():
    x = minigrad.ones(2, requires_grad=True)
    order = []
    x.register_hook(lambda g: (queue_callback(lambda: order.append(1)), queue_callback(lambda: order.append(2)))
                    and None)
    y = (x * 3).sum()
    y.backward(retain_graph=True)
    assert order == [1, 2]
    y.backward()
    assert order == [1, 2, 1, 2]


def test_a_nested_backward_has_its_own_queue():
    x = minigrad.ones(2, requires_grad=True)
    z = minigrad.ones(1, requires_grad=True)
    order = []

    def hook(grad):
        queue_callback(lambda: order.append("outer"))
        with minigrad.enable_grad():  # a backward inside a hook: its callbacks run when it ends
            (z * 3).sum().backward()
        return None

    z.register_hook(lambda g: queue_callback(lambda: order.append("inner")) and None)
    x.register_hook(hook)
    (x * 2).sum().backward()
    assert order == ["inner", "outer"]


def test_queueing_outside_a_backward_is_an_error():
    with pytest.raises(RuntimeError, match="Final callbacks can only be installed during backward pass"):
        queue_callback(lambda: None)
