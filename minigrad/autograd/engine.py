"""The backward engine: ``backward()`` and ``grad()``.

The graph is a DAG of ``Function`` nodes; each node's ``next_edges`` say where the gradients of its
inputs go: another node's output (``(node, output_nr)``) or a leaf tensor. The engine

1. walks the graph once from the roots to count, for every node, how many edges point at it;
2. runs nodes in reverse topological order (Kahn's algorithm): a node runs when every node that
   feeds it a gradient has run, so its incoming gradients are complete and summed;
3. hands each result on to the next node's buffer, or accumulates it into a leaf's ``.grad``.

Both walks are loops over an explicit stack, never recursion, so a chain of 100,000 operations
backpropagates without touching Python's recursion limit. Each node's ``backward`` runs under
``no_grad`` unless ``create_graph=True``, in which case the gradient computation is itself recorded
and can be differentiated again. Without ``create_graph``, a node whose class defines the fused
array-level ``backward_arrays`` runs that instead (see ``function.py``).
"""
from __future__ import annotations

import numpy as np

from .creation import full_like, ones_like, zeros
from .grad_mode import _state as _grad_state
from .tensor import Tensor, _wrap


def _make_root_grads(outputs, grad_outputs):
    grads = []
    for i, out in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            data = out._data
            g = _wrap(np.ones(data.shape, data.dtype)) if type(data) is np.ndarray else ones_like(out)
        elif not isinstance(g, Tensor):
            g = full_like(out, g)
        elif g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} "
                               f"and output[{i}] has a shape of {tuple(out.shape)}.")
        grads.append(g)
    return grads


def _check_roots(outputs):
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")


def _count_dependencies(roots):
    """Number of edges pointing at each node reachable from ``roots`` (a list of nodes)."""
    dependencies = {}
    seen = set()
    stack = [n for n in roots if n is not None]
    for node in stack:
        seen.add(node)
    while stack:
        node = stack.pop()
        for edge in node.next_edges:
            if type(edge) is not tuple:  # None, or a leaf tensor
                continue
            child = edge[0]
            if child in seen:
                dependencies[child] = dependencies.get(child, 0) + 1  # (a root has no count yet)
            else:
                dependencies[child] = 1
                seen.add(child)
                stack.append(child)
    return dependencies


_final_callbacks = None  # the list queue_callback appends to while a backward walk runs


def queue_callback(callback) -> None:
    """Run ``callback()`` once the backward walk now running has finished, after every gradient is in
    place (torch's ``Variable._execution_engine.queue_callback``; DistributedDataParallel uses it)."""
    if _final_callbacks is None:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _final_callbacks.append(callback)


def _runs_final_callbacks(run):
    """Give each backward walk its own callback queue (a hook may start a nested one) and empty it
    after the walk, in the order the callbacks were queued."""
    def wrapper(*args, **kwargs):
        global _final_callbacks
        outer, _final_callbacks = _final_callbacks, []
        try:
            result = run(*args, **kwargs)
            callbacks = _final_callbacks
        finally:
            _final_callbacks = outer
        for callback in callbacks:
            callback()
        return result
    return wrapper


def _add(buffer, index, grad):
    current = buffer[index]
    buffer[index] = grad if current is None else current + grad


def _run_hooks(hooks, grad):
    for hook in list(hooks):
        result = hook(grad)
        if result is not None:
            grad = result
    return grad


def _validate(node, index, grad):
    """Check a gradient's shape against the input it belongs to; cast it to that input's dtype."""
    if type(grad) is not Tensor and not isinstance(grad, Tensor):
        raise TypeError(f"{node.name()}.backward returned a {type(grad).__name__} at index {index}, "
                        "expected a Tensor or None")
    shape, dtype = node._input_meta[index]
    array = grad._data
    if array.shape != shape:
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {index} - "
                           f"got {list(array.shape)} but expected shape compatible with {list(shape)}")
    if array.dtype != dtype:
        grad = grad.to(dtype)
    return grad


def _accumulate(leaf: Tensor, grad: Tensor, create_graph: bool):
    if leaf._hooks:
        grad = _run_hooks(leaf._hooks, grad)
    if leaf._grad is None:
        # A fresh copy: the same gradient object may be handed to several leaves. It keeps the
        # gradient's layout (a channels_last weight gets a channels_last .grad, as in torch).
        leaf._grad = grad if create_graph else _wrap(grad._data.copy(order="K"))
    elif create_graph:
        leaf._grad = leaf._grad + grad
    else:
        leaf._grad = _wrap(leaf._grad._data + grad._data)


@_runs_final_callbacks
def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None, allow_unused=False):
    """The engine behind ``backward`` (``inputs`` is None: accumulate into leaves) and ``grad``
    (``inputs`` given: return their gradients and touch no ``.grad``)."""
    outputs = list(outputs)
    _check_roots(outputs)
    root_grads = _make_root_grads(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph

    # Where the gradient of each requested input is read from.
    capture_leaf = {}      # id(leaf) -> position in inputs
    capture_node = {}      # (node, output_nr) -> position in inputs
    results = None
    if inputs is not None:
        results = [None] * len(inputs)
        for k, t in enumerate(inputs):
            if not t.requires_grad:
                raise RuntimeError(f"One of the differentiated Tensors does not require grad")
            if t.grad_fn is None:
                capture_leaf[id(t)] = k
            else:
                capture_node[(t.grad_fn, t._output_nr)] = k

    buffers = {}
    ready = []
    # grad mode for the walk: on only when the backward's own graph is wanted (create_graph)
    previous_mode, _grad_state.enabled = _grad_state.enabled, bool(create_graph)
    try:
        root_nodes = []
        for out, g in zip(outputs, root_grads):
            if out.grad_fn is None:  # a leaf as its own root
                _deliver_to_leaf(out, g, results, capture_leaf, create_graph)
                continue
            node = out.grad_fn
            if node not in buffers:
                buffers[node] = [None] * node._num_outputs
                root_nodes.append(node)
            _add(buffers[node], out._output_nr, g)
        dependencies = _count_dependencies(root_nodes)
        ready = [n for n in root_nodes if dependencies.get(n, 0) == 0]

        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            if node._pre_hooks:
                grads = [_run_hooks(node._pre_hooks.get(i, ()), g) if g is not None else g
                         for i, g in enumerate(grads)]
            if capture_node:
                for i, g in enumerate(grads):
                    k = capture_node.get((node, i))
                    if k is not None:
                        results[k] = g
            # how many outputs received no gradient (by identity: == would compare tensors)
            missing = (grads[0] is None) if len(grads) == 1 else sum([g is None for g in grads])
            if not missing:  # the common case
                for guard in node._guards:  # a saved in-place result changed since: torch's error
                    guard.unpack(node)
                input_grads = _backward_of(node, grads, create_graph)
            elif missing == len(grads):
                input_grads = ()
            else:
                if node._materialize_grads:
                    grads = [g if g is not None else _zeros_like_output(node, i, grads) for i, g in enumerate(grads)]
                for guard in node._guards:
                    guard.unpack(node)
                input_grads = _backward_of(node, grads, create_graph)
            if not retain_graph:
                node._release()
            count = len(input_grads)
            index = -1
            for edge in node.next_edges:
                index += 1
                if edge is None:
                    continue
                grad = input_grads[index] if index < count else None
                if grad is not None:
                    grad = _validate(node, index, grad)
                if type(edge) is not tuple:  # a leaf tensor
                    if grad is not None:
                        _deliver_to_leaf(edge, grad, results, capture_leaf, create_graph)
                    continue
                child, output_nr = edge
                if grad is not None:
                    buffer = buffers.get(child)
                    if buffer is None:
                        buffer = buffers[child] = [None] * child._num_outputs
                    current = buffer[output_nr]
                    buffer[output_nr] = grad if current is None else current + grad
                left = dependencies[child] - 1
                dependencies[child] = left
                if left == 0:
                    if child not in buffers:  # nothing flowed into it: skip it, but release its dependants in turn
                        buffers[child] = [None] * child._num_outputs
                    ready.append(child)
    finally:
        _grad_state.enabled = previous_mode
    if results is not None:
        for k, (t, g) in enumerate(zip(inputs, results)):
            if g is None and not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {k} appears to not have been used "
                                   "in the graph. Set allow_unused=True if this is the desired behavior.")
            if g is not None and not create_graph:
                results[k] = g.detach()
    return results


def _zeros_like_output(node, index, grads):
    """A zero gradient for an output that received none (torch's ``materialize_grads``)."""
    shape, dtype = node._output_meta[index]
    return zeros(shape, dtype=dtype, device=next(g for g in grads if g is not None).device)


def _backward_of(node, grads, create_graph):
    """Run the node's backward: the fused ``backward_arrays`` when it has one and no graph is being
    built, its Tensor-level ``backward`` otherwise."""
    cls = type(node)
    fused = cls.backward_arrays is not None and not create_graph
    result = (cls.backward_arrays(node, *[g if g is None else g._data for g in grads]) if fused
              else cls.backward(node, *grads))
    if not isinstance(result, tuple):
        result = (result,)
    expected = len(node.next_edges)
    if len(result) > expected:
        if any(r is not None for r in result[expected:]):
            raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                               f"(expected {expected}, got {len(result)})")
        result = result[:expected]  # extra Nones are allowed, as in torch
    if fused:  # arrays to Tensors; NumPy turns 0-d results into scalars (np.float64), a tensor holds an array
        result = tuple([r if r is None else _wrap(np.asarray(r) if isinstance(r, np.generic) else r)
                        for r in result])
    return result


def _deliver_to_leaf(leaf, grad, results, capture_leaf, create_graph):
    if results is None:
        _accumulate(leaf, grad, create_graph)
        return
    k = capture_leaf.get(id(leaf))
    if k is not None:
        if leaf._hooks:
            grad = _run_hooks(leaf._hooks, grad)
        results[k] = grad if results[k] is None else results[k] + grad


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``minigrad.autograd.backward``: accumulate gradients of ``tensors`` into the leaves' ``.grad``."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    if isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        if any(not t.requires_grad for t in inputs):  # torch's wording: backward retains the inputs' grads
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        grads = run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs, allow_unused=True)
        for t, g in zip(inputs, grads):
            if g is not None:
                _accumulate(t, g, create_graph)
        return
    run_backward(tensors, grad_tensors, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """``minigrad.autograd.grad``: the gradients of ``outputs`` w.r.t. ``inputs``, as a tuple.

    Leaves' ``.grad`` are left untouched. With ``create_graph=True`` the returned gradients carry a
    graph of their own and can be differentiated again.
    """
    single = isinstance(inputs, Tensor)
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if single else list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    return tuple(run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs, allow_unused))
