"""Module hooks (minigrad/nn/modules/module.py) side by side with torch's: forward pre-hooks and hooks
(with_kwargs, prepend, always_call), full backward hooks and pre-hooks, RemovableHandle."""
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import nn


class TwoInputs:
    """A module computing a * w + b * 2 on two inputs, built for either library."""

    @staticmethod
    def build(lib_nn, lib):
        class Module(lib_nn.Module):
            def __init__(self):
                super().__init__()
                self.w = lib_nn.Parameter(lib.tensor([1.5, -2.0, 0.5], dtype=lib.float64))

            def forward(self, a, b, scale=1.0):
                return a * self.w * scale + b * 2
        return Module()


def _run(lib, lib_nn, log, *, b_requires_grad=True, modify=False):
    module = TwoInputs.build(lib_nn, lib)

    def pre(m, grad_output):
        log.append(("pre", [np.asarray(g).tolist() for g in grad_output]))
        return (grad_output[0] * 10,) if modify else None

    def full(m, grad_input, grad_output):
        log.append(("full", [None if g is None else np.asarray(g).tolist() for g in grad_input],
                    [np.asarray(g).tolist() for g in grad_output]))
        return (None, grad_input[1] * 0) if modify and grad_input[1] is not None else None

    handles = [module.register_full_backward_pre_hook(pre), module.register_full_backward_hook(full)]
    a = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([0.5, 0.5, 0.5], dtype=lib.float64, requires_grad=b_requires_grad)
    (module(a, b, scale=3.0) * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
    return a, b, module, handles


@pytest.mark.parametrize("modify", [False, True])
@pytest.mark.parametrize("b_requires_grad", [True, False])
def test_full_backward_hooks_see_and_replace_gradients_as_torch(torch, modify, b_requires_grad):
    log_m, log_t = [], []
    am, bm, mm, _ = _run(minigrad, nn, log_m, b_requires_grad=b_requires_grad, modify=modify)
    at, bt, mt, _ = _run(torch, torch.nn, log_t, b_requires_grad=b_requires_grad, modify=modify)
    assert log_m == log_t
    for m, t in ((am.grad, at.grad), (mm.w.grad, mt.w.grad), (bm.grad, bt.grad)):
        assert (m is None) == (t is None)      # a hook's None for an input: no gradient reaches it
        if t is not None:
            np.testing.assert_allclose(np.asarray(m), t.numpy())


def test_removed_backward_hooks_no_longer_run_and_prepend_orders_them(torch):
    for lib, lib_nn in ((minigrad, nn), (torch, torch.nn)):
        order = []
        layer = lib_nn.Linear(3, 2)
        first = layer.register_full_backward_hook(lambda m, gi, go: order.append("first"))
        layer.register_full_backward_hook(lambda m, gi, go: order.append("prepended"), prepend=True)
        layer.register_full_backward_pre_hook(lambda m, go: order.append("pre"))
        x = lib.ones(2, 3, requires_grad=True)
        layer(x).sum().backward()
        first.remove()
        layer(x).sum().backward()
        assert order == ["pre", "prepended", "first", "pre", "prepended"], lib.__name__


def test_backward_hook_with_no_input_needing_a_gradient_fires_on_the_outputs_with_a_warning(torch):
    for lib, lib_nn in ((minigrad, nn), (torch, torch.nn)):
        seen = []
        layer = lib_nn.Linear(3, 2)
        layer.register_full_backward_hook(lambda m, gi, go: seen.append((gi, tuple(go[0].shape))))
        with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are computed with respect "
                                             "to module outputs since no inputs require gradients"):
            layer(lib.ones(4, 3)).sum().backward()
        assert seen == [((None,), (4, 2))]
        assert layer.weight.grad is not None


def test_backward_hooks_returning_the_wrong_number_of_gradients_fail_as_torch(torch):
    for lib, lib_nn in ((minigrad, nn), (torch, torch.nn)):
        layer = lib_nn.Linear(3, 2)
        layer.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
        with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of grad_input, got 2, but "
                                               "expected 1"):
            layer(lib.ones(1, 3, requires_grad=True)).sum().backward()
        layer = lib_nn.Linear(3, 2)
        layer.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
        with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of grad_output, got 2, "
                                               "but expected 1"):
            layer(lib.ones(1, 3, requires_grad=True)).sum().backward()


def test_backward_hooks_in_a_sequential_run_from_the_last_layer_to_the_first(torch):
    for lib, lib_nn in ((minigrad, nn), (torch, torch.nn)):
        lib.manual_seed(0)
        order = []
        net = lib_nn.Sequential(lib_nn.Linear(3, 4), lib_nn.Tanh(), lib_nn.Linear(4, 1))
        for name, layer in net.named_children():
            layer.register_full_backward_hook(lambda m, gi, go, name=name: order.append(name))
        net(lib.ones(2, 3, requires_grad=True)).sum().backward()
        assert order == ["2", "1", "0"]


def test_forward_hooks_prepend_with_kwargs_and_always_call_as_torch(torch):
    for lib, lib_nn in ((minigrad, nn), (torch, torch.nn)):
        order = []
        module = TwoInputs.build(lib_nn, lib)
        module.register_forward_pre_hook(lambda m, args: order.append("pre"))
        module.register_forward_pre_hook(lambda m, args, kwargs: order.append(("pre-kw", sorted(kwargs))),
                                          with_kwargs=True, prepend=True)
        module.register_forward_hook(lambda m, args, out: order.append("post"))
        module.register_forward_hook(lambda m, args, kwargs, out: order.append(("post-kw", sorted(kwargs))) or out * 0,
                                     with_kwargs=True, prepend=True)
        out = module(lib.ones(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64), scale=2.0)
        assert np.all(np.asarray(out.detach()) == 0)
        assert order == [("pre-kw", ["scale"]), "pre", ("post-kw", ["scale"]), "post"], lib.__name__
        called = []
        failing = lib_nn.Linear(3, 2)
        failing.register_forward_hook(lambda m, args, out: called.append("always"), always_call=True)
        failing.register_forward_hook(lambda m, args, out: called.append("normal"))
        with pytest.raises(RuntimeError):
            failing(lib.ones(2, 5))
        assert called == ["always"], lib.__name__


def test_removable_handle_is_a_context_manager_and_removes_once():
    layer = nn.Linear(2, 2)
    with layer.register_full_backward_hook(lambda m, gi, go: None) as handle:
        assert layer._backward_hooks
    assert not layer._backward_hooks
    handle.remove()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer(minigrad.ones(1, 2, requires_grad=True)).sum().backward()


def test_a_module_pickled_without_backward_hook_registries_still_runs():
    import pickle
    layer = nn.Linear(2, 2)
    state = dict(layer.__dict__)
    del state["_backward_hooks"], state["_backward_pre_hooks"]
    restored = nn.Linear.__new__(nn.Linear)
    restored.__setstate__(state)
    restored(minigrad.ones(1, 2)).sum().backward()
    assert pickle.loads(pickle.dumps(layer))._backward_hooks == {}
