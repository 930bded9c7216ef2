"""In-place operations (``x.add_(y)``, ``x += y``, ``x[idx] = v``, ``x.zero_()``) with torch's semantics.

An in-place op is computed out of place, then written into ``x``'s memory by ``write``. What torch
does around that write, minigrad mirrors (torch's docs, "Autograd mechanics: In-place operations on
Tensors"; ``torch/csrc/autograd/variable.cpp``, ``rebase_history``):

- **Version counters.** Every tensor has a version counter, shared with its views (``_vc``). An
  in-place write bumps it. A tensor saved for backward records the version it was saved at;
  unpacking it at a different version raises torch's "one of the variables needed for gradient
  computation has been modified by an inplace operation" instead of giving a wrong gradient
  (``_SavedValue.unpack`` in ``autograd/function.py``).
- **Rebasing history.** After ``x.exp_()``, ``x`` is the output of the ``Exp`` node: its
  ``grad_fn`` becomes the op's node, whose input is ``x``'s old history. The op computes from
  ``snapshot(x)``, a copy at ``x``'s old place in the graph, so what its backward saved is not the
  memory the op overwrites. A leaf that requires grad (or a view of one) may not be written while
  grad is recorded.
- **What the in-place op's node saves.** ``apply_`` computes from the snapshot, so the op's own
  saved values survive the write (``nn.ReLU(inplace=True)`` on a non-leaf keeps backward working).
  Where torch's node saves its *result*, which is ``self`` after the write (``relu_``, ``sigmoid_``,
  ``exp_`` ...: ``saves_result=True``), the node keeps a guard on ``self``'s version, so a later
  in-place change of ``self`` makes backward raise exactly where torch's does.
- **View history (torch's ``CopySlices``).** Writing into a view ``v`` of a base ``b`` changes
  ``b`` too, so ``b``'s history is rewritten: ``b``'s new value is its old value with ``v``'s
  entries replaced (``IndexPut``), and ``v`` becomes that new ``b`` seen through the same view ops
  again (``rebase_view_history``). Every view remembers its root base and its chain of view
  primitives (``Tensor._view_of``, set by ``autograd.function._mark_view``).
"""
from __future__ import annotations

from .. import backend, dtypes
from .. import random as _random
from ..autograd.creation import arange, full, zeros
from ..autograd.function import Primitive, _SavedValue
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..autograd.tensor import Tensor
from ..backend import xp
from .elementwise import where
from .shape import GetItem, _index_to_arrays, unbroadcast


def write(self: Tensor, result: Tensor) -> Tensor:
    """Write ``result`` into ``self``'s memory and make ``self`` the output of ``result``'s node.

    Views of ``self`` see the new values; tensors that saved the old values for backward notice the
    version change and refuse to give wrong gradients.
    """
    recording = is_grad_enabled()
    if recording and self._requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if any(stride == 0 and size > 1 for stride, size in zip(self._data.strides, self._data.shape)):
        # an expanded (broadcast) view: several entries are one memory location (CuPy would not say)
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    root = self._view_of[0] if self._view_of is not None else None
    if recording and root is not None and root._requires_grad and root.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    if dtypes._category(result._data.dtype) > dtypes._category(self._data.dtype):
        raise RuntimeError(f"result type {dtypes.torch_scalar_name(result._data.dtype)} can't be cast to the "
                           f"desired output type {dtypes.torch_scalar_name(self._data.dtype)}")
    if result.shape != self.shape:
        if backend.xp(self._data).broadcast_shapes(result.shape, self.shape) != self.shape:
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                               f"{list(backend.xp(self._data).broadcast_shapes(result.shape, self.shape))}")
        result = result.expand(self.shape)
    if root is not None and recording and (root._requires_grad or result._requires_grad):
        if result._data is not self._data:
            self._data[...] = result._data
        self._bump_version()
        rebase_view_history(self, root, result)
        return self
    if recording and self._requires_grad and not result._requires_grad:
        # keep self in the graph, with a zero gradient to its past (where, not self * 0 + result:
        # inf * 0 would be nan)
        result = where(xp(self._data).ones((), dtype=bool), result, self)
    if result._data is not self._data:
        self._data[...] = result._data
    self._bump_version()
    if recording and result.grad_fn is not None:
        self.grad_fn, self._output_nr, self._requires_grad = result.grad_fn, result._output_nr, True
    return self


def snapshot(self: Tensor) -> Tensor:
    """``self``'s current values in memory of their own, at ``self``'s place in the graph: what an
    in-place op computes from, so that what its backward saved is not overwritten by the op itself
    (torch saves the original ``self`` for in-place ops that need it)."""
    if self._requires_grad and self.grad_fn is None:
        return self  # a leaf that requires grad: write raises torch's error
    copy = Tensor._make(self._data.copy())
    copy.grad_fn, copy._output_nr, copy._requires_grad = self.grad_fn, self._output_nr, self._requires_grad
    return copy


def apply_(function, self: Tensor, *args, saves_result: bool = False, saves_input: bool = True, **kwargs) -> Tensor:
    """``self.op_(*args)``: compute ``function(self, *args)`` out of place (from a snapshot when a
    graph is recorded, so the op's own saved values are not the memory it overwrites), then write
    the result into ``self``.

    ``saves_result``: torch's node for this in-place op saves its result, which *is* ``self`` after
    the write (``relu_``, ``sigmoid_``, ``exp_`` ...). Then a later in-place change of ``self`` must
    make that node's backward raise, as torch's does: the node keeps a guard on ``self``'s version
    counter at the version the write left it (checked by the engine before the node runs).

    ``saves_input=False``: minigrad's primitive saves only its own output (Relu, Sigmoid, Tanh, Exp,
    Sqrt), so it may read ``self`` directly and the snapshot's copy is saved."""
    source = self
    if saves_input and is_grad_enabled() and (self._requires_grad or any(
            isinstance(a, Tensor) and a._requires_grad for a in args)):
        source = snapshot(self)
    result = function(source, *args, **kwargs)
    node = result.grad_fn  # the op's own node (a view's history is rebuilt around it by write)
    out = write(self, result)
    if saves_result and node is not None and is_grad_enabled():
        guard = _SavedValue()
        guard.tensor, guard.array, guard.output_nr = None, self._data, result._output_nr
        guard.counter, guard.version = self._vc, self._vc.value
        node._guards = node._guards + (guard,)
    return out


def method(function, saves_result: bool = False, saves_input: bool = True):
    """The in-place method ``x.op_(...)`` of an out-of-place ``op(x, ...)`` (see ``apply_``)."""
    def op_(self, *args, **kwargs):
        return apply_(function, self, *args, saves_result=saves_result, saves_input=saves_input, **kwargs)
    op_.__name__ = op_.__qualname__ = function.__name__ + "_"
    return op_


def rebase_view_history(view: Tensor, root: Tensor, result: Tensor) -> None:
    """After writing ``result`` into ``view`` (a view of ``root``), rewrite the graph as torch's
    CopySlices does: root's new value is its old value with the view's entries replaced by
    ``result``, and the view is that new root seen through the same view ops again.

    Which entries of root the view covers is found by sending the flat positions
    ``arange(root.numel())`` through the view's chain of view primitives."""
    chain = view._view_of[1]
    with no_grad():
        positions = arange(root.numel(), device=root.device).reshape(root.shape)
        for primitive, params in chain:
            positions = primitive.apply(positions, *params)
    old_root = Tensor._make(root._data)  # root's history as it was; its values are no longer read
    old_root.grad_fn, old_root._output_nr, old_root._requires_grad = root.grad_fn, root._output_nr, root._requires_grad
    flat = IndexPut.apply(old_root.reshape(-1), result.to(root.dtype), (positions._data,))  # (numel,)
    new_root = flat.reshape(root.shape)
    root.grad_fn, root._output_nr, root._requires_grad = new_root.grad_fn, new_root._output_nr, True
    seen = root
    for primitive, params in chain:
        seen = primitive.apply(seen, *params)
    view.grad_fn, view._output_nr, view._requires_grad = seen.grad_fn, seen._output_nr, True


def setitem(self: Tensor, index, value) -> None:
    """``self[index] = value``: a plain array write when no graph is recorded, else ``IndexPut``
    written back in place."""
    index = _index_to_arrays(index, self._data)
    if not (is_grad_enabled() and (self._requires_grad or (isinstance(value, Tensor) and value._requires_grad))):
        if self._requires_grad and self.grad_fn is None and is_grad_enabled():
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        self._data[index] = value._data if isinstance(value, Tensor) else value
        self._bump_version()
        return
    value = value if isinstance(value, Tensor) else full((), value, dtype=self.dtype, device=self.device)
    write(self, IndexPut.apply(self, value, index))


class IndexPut(Primitive):
    """``x`` with ``x[index] = value``, out of place. Gradients: zero at ``index`` for ``x``, the
    selected entries (summed over broadcasting) for ``value``."""

    @staticmethod
    def forward(ctx, x, value, index):
        ctx.index, ctx.value_shape = index, value.shape
        out = x.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        g_x = IndexPut.apply(grad, zeros((), dtype=grad.dtype, device=grad.device), ctx.index) if ctx.needs_input_grad[0] else None
        g_value = None
        if ctx.needs_input_grad[1]:
            g_value = GetItem.apply(grad, ctx.index)
            g_value = unbroadcast(g_value, ctx.value_shape) if g_value.ndim >= len(ctx.value_shape) else g_value.reshape(ctx.value_shape)
        return g_x, g_value


def random_fill(self: Tensor, sample) -> Tensor:
    """Fill ``self`` in place with ``sample(generator, shape)`` (``uniform_``, ``normal_`` ...), not
    recorded in the graph."""
    with no_grad():
        values = sample(_random.generator(self.device), self.shape)
        return write(self, Tensor._make(backend.to_device(values.astype(self._data.dtype), self.device)))
