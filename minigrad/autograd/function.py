"""``Function``: the one graph-node type.

Every differentiable operation is a subclass of ``Function`` with a static ``forward`` and a static
``backward`` side by side, exactly as ``torch.autograd.Function``:

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    y = Exp.apply(x)

``apply`` runs ``forward`` with grad mode off and, when any input requires grad, records the call as a
node of the graph: the node *is* ``ctx``. ``backward`` receives and returns Tensors, so when it is
written with differentiable operations, its own graph can be recorded (``create_graph=True``) and
differentiated again.

minigrad's own primitives (``minigrad/ops``) are written the same way, with one difference that keeps
them short and fast: they subclass ``Primitive``, whose ``forward`` receives and returns raw arrays
(NumPy or CuPy) instead of Tensors. Their ``backward`` still works on Tensors.

The fused backward: ``backward_arrays``
---------------------------------------
When no graph of the backward is being built (``create_graph=False``, every ordinary ``backward()``
and ``grad()``), the engine runs ``backward`` under ``no_grad``, so its cost is the array work alone.
Where a hand-fused formula on arrays is much faster still (BatchNorm, cross-entropy), or an array
algorithm is cheaper than the differentiable form (a product with zeros: cumulative products instead
of an O(n^2) stack), a class may also define

    @staticmethod
    def backward_arrays(ctx, *grad_arrays):
        # the incoming gradients as arrays (None where one is missing and materialize_grads is off);
        # returns one array, or a tuple with an array or None per forward argument, like backward
        x, weight = ctx.saved_arrays
        ...

The engine calls it instead of ``backward`` when ``create_graph=False`` and wraps the arrays it
returns in Tensors (the result is checked and cast exactly as ``backward``'s). With
``create_graph=True`` (double backward, ``gradgradcheck``) it calls the Tensor-level ``backward``,
which stays the definition: the two must agree, and ``tests/autograd/test_fused_backward.py``
checks every minigrad primitive that defines ``backward_arrays`` against its ``backward``. Hooks, ``retain_graph``
and the freeing of saved values work the same on either path.
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from .. import backend
from ..dtypes import torch_scalar_name
from .grad_mode import _state as _grad_state
from .tensor import Tensor, _wrap

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors "
          "after they have already been freed). Saved intermediate values of the graph are freed "
          "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
          "backward through the graph a second time or if you need to access saved tensors after "
          "calling backward.")


class Function:
    """Base class of graph nodes. Subclass it and define static ``forward`` and ``backward``."""

    _array_forward = False  # True for Primitive: forward sees arrays instead of Tensors
    _view = False           # True for primitives whose output may be a view of their first input
    _quiet = True           # run forward with NumPy's floating-point warnings off (False: no arithmetic)

    # Per-node state, as class-level defaults so that making a node costs nothing until it is
    # used; each is replaced (never mutated) on the instance.
    next_edges = ()          # per forward argument: None, (node, output_nr) or a leaf Tensor
    needs_input_grad = ()    # per forward argument: does it need a gradient?
    _input_meta = ()         # per forward argument needing a gradient: (shape, numpy dtype)
    _output_meta = ()        # per output, when there are several: (shape, numpy dtype)
    _to_save = ()
    _saved = None
    _saved_freed = False
    _non_differentiable = ()
    _materialize_grads = True
    _pre_hooks = None        # {output_nr: [hook, ...]}: tensor hooks of this node's outputs
    _num_outputs = 1
    _dirty = ()
    _guards = ()             # _SavedValue entries checked before backward (results of in-place ops)

    # Optional fused backward on arrays (see the module docstring): a staticmethod
    # ``backward_arrays(ctx, *grad_arrays)`` that the engine uses instead of ``backward`` when no
    # graph of the backward is being built. None: always use ``backward``.
    backward_arrays = None

    # ---- what forward may call on ctx -------------------------------------------------------
    def save_for_backward(self, *tensors):
        """Keep tensors (or, in a Primitive, arrays) for ``backward``; read them with ``saved_tensors``."""
        self._to_save = tensors

    def mark_non_differentiable(self, *outputs):
        self._non_differentiable = outputs

    def mark_dirty(self, *tensors):
        """Declare inputs that ``forward`` modified in place and returns: they become the outputs."""
        self._dirty = tensors

    def set_materialize_grads(self, value: bool):
        self._materialize_grads = bool(value)

    @property
    def saved_tensors(self):
        if self._saved is None:
            if self._saved_freed:
                raise RuntimeError(_FREED)
            return ()
        return tuple([_unpack(entry, self) for entry in self._saved])

    @property
    def saved_arrays(self):
        """``saved_tensors`` as arrays (Python scalars and None as saved), for ``backward_arrays``:
        nothing is wrapped in a Tensor."""
        if self._saved is None:
            if self._saved_freed:
                raise RuntimeError(_FREED)
            return ()
        return tuple([_unpack_array(entry, self) for entry in self._saved])

    # ---- graph bookkeeping --------------------------------------------------------------------
    def name(self) -> str:
        return f"{type(self).__name__}Backward0" if self._array_forward else f"{type(self).__name__}Backward"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        """``((node, output_nr), ...)`` as torch prints it; leaves show as ``AccumulateGrad``."""
        return tuple(
            (None, 0) if edge is None else ((_AccumulateGrad(edge), 0) if isinstance(edge, Tensor) else edge)
            for edge in self.next_edges)

    def register_hook(self, hook):
        raise NotImplementedError("register hooks on tensors with Tensor.register_hook")

    def _release(self):
        """Free what was saved, after a backward without retain_graph."""
        if self._saved is not None:
            self._saved = None
            self._saved_freed = True

    # ---- running ------------------------------------------------------------------------------
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """New style (torch >= 2.0): define ``forward(*args)`` without ``ctx`` and this method to fill
        ``ctx`` from the inputs (positional, with keyword arguments and defaults bound in) and the output."""
        raise NotImplementedError("setup_context is not implemented.")

    def save_for_forward(self, *tensors):
        """Keep tensors for a forward-mode ``jvp`` (minigrad has no forward-mode AD: kept, not used)."""
        self.saved_for_forward = tensors

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` without recording and, when grad mode is on and an input requires grad,
        make the call a node of the graph. (A ``Primitive`` has its own, leaner copy of this.)"""
        if cls.setup_context is not Function.setup_context:
            return _apply_new_style(cls, args, kwargs)
        ctx = cls()  # (a user's Function may define __init__)
        needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        recording = _grad_state.enabled and True in needs
        ctx.needs_input_grad = needs if recording else (False,) * len(args)
        previous, _grad_state.enabled = _grad_state.enabled, False
        quiet = _quiet_fp_state() if cls._quiet else None
        token = _fp_state.set(quiet) if quiet is not None else None
        try:
            raw = cls.forward(ctx, *args, **kwargs)
        finally:
            _grad_state.enabled = previous
            if token is not None:
                _fp_state.reset(token)
        multiple = type(raw) is tuple
        raw_outputs = raw if multiple else (raw,)
        outputs = tuple([_as_output(r, args, ctx._dirty) for r in raw_outputs])
        if cls._view:
            _mark_view(outputs[0], cls, args)
        if recording:
            ctx._connect(args, needs, raw_outputs, outputs)
        elif ctx._to_save:
            ctx._to_save = ()
        return outputs if multiple else outputs[0]

    def _connect(self, args, needs, raw_outputs, outputs):
        """Make this call a node: edges to the inputs, grad_fn on the outputs, saved values packed."""
        self._connect_inputs(args, needs)
        if len(outputs) > 1:
            self._num_outputs = len(outputs)
            self._output_meta = tuple([(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else ((), None)
                                       for o in outputs])
        non_differentiable = self._non_differentiable
        for index, (raw, out) in enumerate(zip(raw_outputs, outputs)):
            if (isinstance(out, Tensor) and out._data.dtype.kind == "f"
                    and not (non_differentiable and any(raw is t for t in non_differentiable))):
                out.grad_fn, out._output_nr, out._requires_grad = self, index, True
        if self._to_save:
            self._saved = [_pack(v, args, raw_outputs, outputs) for v in self._to_save]
            self._to_save = ()

    def _connect_inputs(self, args, needs):
        """``next_edges`` and ``_input_meta``: where each input's gradient goes, and the shape and
        dtype it must have (recorded now: an input's history or array may be replaced later)."""
        edges, meta = [], []
        for a, need in zip(args, needs):
            if need:
                node, data = a.grad_fn, a._data
                edges.append(a if node is None else (node, a._output_nr))
                meta.append((data.shape, data.dtype))
            else:
                edges.append(None)
                meta.append(None)
        self.next_edges, self._input_meta = edges, meta


class Primitive(Function):
    """A minigrad primitive: ``forward(ctx, *arrays_and_params)`` works on raw arrays.

    ``ctx.save_for_backward`` takes arrays too: an array that is an input's array comes back from
    ``ctx.saved_tensors`` as that input Tensor (with its graph), the output array as the output
    Tensor (with this node as its grad_fn), and any other array as a constant Tensor.
    """

    _array_forward = True

    @classmethod
    def apply(cls, *args, **kwargs):
        """``Function.apply`` for array forwards: the hot path of every operation, kept lean (plain
        loops rather than comprehensions, no helper calls that can be inlined: a recorded ``x * y``
        on small tensors costs a few microseconds, most of them here)."""
        ctx = _new_node(cls)
        arrays = []  # what forward receives
        previous = recording = _grad_state.enabled
        if previous:  # and, per input, whether it needs a gradient and where that gradient goes
            needs, edges, meta = [], [], []  # see _connect_inputs
            recording = False
            for a in args:
                if isinstance(a, Tensor):
                    data = a._data
                    arrays.append(data)
                    if a._requires_grad:
                        recording = True
                        node = a.grad_fn
                        needs.append(True)
                        edges.append(a if node is None else (node, a._output_nr))
                        meta.append((data.shape, data.dtype))
                        continue
                else:
                    arrays.append(a)
                needs.append(False)
                edges.append(None)
                meta.append(None)
        else:
            for a in args:
                arrays.append(a._data if isinstance(a, Tensor) else a)
        ctx.needs_input_grad = tuple(needs) if recording else (False,) * len(args)
        if backend._cupy is not None:  # GPU arrays exist: no op may mix devices
            backend.check_same_device([a for a in arrays if hasattr(a, "ndim")])
        _grad_state.enabled = False
        if cls._quiet:  # NumPy's floating-point warnings off (see _quiet_of)
            current = _fp_state.get()
            token = _fp_state.set(_quiet_of.get(current) or _quiet_twin(current))
        else:
            token = None
        try:
            raw = cls.forward(ctx, *arrays, **kwargs)
        finally:
            _grad_state.enabled = previous
            if token is not None:
                _fp_state.reset(token)
        if type(raw) is tuple:
            return ctx._finish_several(args, raw, recording)
        # the one-output case, inline: NumPy turns 0-d results into scalars (np.float64), a tensor
        # always holds an array
        out = _wrap(raw if type(raw) is np.ndarray or not isinstance(raw, np.generic) else np.asarray(raw))
        if cls._view:
            _mark_view(out, cls, args)
        if recording:
            ctx.next_edges, ctx._input_meta = edges, meta
            if out._data.dtype.kind == "f" and not (ctx._non_differentiable and
                                                    any(raw is t for t in ctx._non_differentiable)):
                out.grad_fn, out._requires_grad = ctx, True
            if ctx._to_save:
                ctx._saved = _pack_arrays(ctx._to_save, args, arrays, raw, out)
                ctx._to_save = ()
        elif ctx._to_save:
            ctx._to_save = ()
        return out

    def _finish_several(self, args, raw_outputs, recording):
        outputs = tuple([_wrap(r if not isinstance(r, np.generic) else np.asarray(r)) for r in raw_outputs])
        if self._view:
            _mark_view(outputs[0], type(self), args)
        if recording:
            self._connect(args, self.needs_input_grad, raw_outputs, outputs)
        elif self._to_save:
            self._to_save = ()
        return outputs


def _forward_signature(cls):
    signature = cls.__dict__.get("_signature")
    if signature is None:
        signature = inspect.signature(cls.forward)
        cls._signature = signature
    return signature


def _apply_new_style(cls, args, kwargs):
    """``apply`` of a Function with ``setup_context``: ``forward(*args)`` takes no ctx; keyword
    arguments and defaults are bound into the positional inputs that ``setup_context`` receives
    (torch's ``bind_default_args``), then the call is recorded as for the classic style."""
    bound = _forward_signature(cls).bind(*args, **kwargs)
    bound.apply_defaults()
    args = tuple(bound.args)
    ctx = cls()
    recording = _grad_state.enabled
    needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
    recording = recording and True in needs
    ctx.needs_input_grad = needs if recording else (False,) * len(args)
    previous, _grad_state.enabled = _grad_state.enabled, False
    try:
        raw = cls.forward(*args)
        cls.setup_context(ctx, args, raw)
    finally:
        _grad_state.enabled = previous
    multiple = type(raw) is tuple
    raw_outputs = raw if multiple else (raw,)
    outputs = tuple([_as_output(r, args, ctx._dirty) for r in raw_outputs])
    if recording:
        ctx._connect(args, needs, raw_outputs, outputs)
    elif ctx._to_save:
        ctx._to_save = ()
    return outputs if multiple else outputs[0]


def once_differentiable(fn):
    """Decorate a ``backward`` that is not itself differentiable: it runs with grad mode off, and
    when a graph of the backward was asked for (``create_graph=True``), its results are wired to a
    node that raises torch's error if anything differentiates through them."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        previous, _grad_state.enabled = _grad_state.enabled, False
        try:
            outputs = fn(ctx, *args)
        finally:
            _grad_state.enabled = previous
        if not _grad_state.enabled or not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        multiple = isinstance(outputs, tuple)
        outputs = outputs if multiple else (outputs,)
        wrapped = _DelayedError.apply(*[o.detach().requires_grad_() if isinstance(o, Tensor) else o
                                        for o in outputs])
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        wrapped = tuple(w if isinstance(o, Tensor) else None for w, o in zip(wrapped, outputs))
        return wrapped if multiple else wrapped[0]
    return wrapper


class _DelayedError(Function):
    """torch's ``DelayedError``: passes values through; raises when differentiated."""

    @staticmethod
    def forward(ctx, *values):
        results = tuple(v.detach() if isinstance(v, Tensor) else v for v in values)
        return results if len(results) != 1 else results[0]

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")

    def name(self):
        return "DelayedError"


def _mark_view(out, cls, args):
    """When ``out`` shares memory with ``args[0]``, make it a view as torch has them: it shares the
    base's version counter (an in-place change through either is seen by both) and remembers how
    to be rebuilt from its root base, so an in-place op on it can rewrite the base's history."""
    base = args[0]
    module = np if type(base._data) is np.ndarray else backend.xp(base._data)
    if not module.may_share_memory(out._data, base._data):
        return
    out._vc = base._vc
    root, chain = base._view_of if base._view_of is not None else (base, ())
    out._view_of = (root, chain + ((cls, args[1:]),))


def _as_output(raw, args, dirty):
    """An output of a user Function's forward (which works on Tensors)."""
    if dirty and any(raw is d for d in dirty):  # modified in place: the input itself is the output
        if raw._requires_grad and raw.grad_fn is None and _grad_state.enabled:
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        raw._vc.value += 1
        return raw
    if isinstance(raw, Tensor):
        # A custom forward that returns an input unchanged still gives a distinct output tensor.
        return Tensor._make(raw._data) if any(raw is a for a in args) or raw.grad_fn is not None else raw
    return raw


# ---- saved values ---------------------------------------------------------------------------------
#
# A saved value is kept as a plain tuple ``(tensor, array, output_nr, counter, version)`` (cheaper to
# make than an object, and made on every recorded call):
#
# - an input of the call (the Tensor, or its array in a Primitive): ``(tensor, None, None, counter, version)``;
# - an output of the node itself: ``(None, array, output_nr, counter, version)``, kept as an array to
#   avoid a node -> output -> node reference cycle, and rebuilt as an equivalent Tensor (same array,
#   same grad_fn) when backward asks;
# - any other array: ``(None, array, None, None, None)``, wrapped in a constant Tensor only when
#   ``saved_tensors`` asks (``saved_arrays`` never wraps it);
# - a Python scalar or None: ``(value, None, None, None, None)``, returned as is.
#
# The version counter snapshot catches an in-place change made after saving, with torch's message.

def _pack(value, args, raw_outputs, outputs):
    """The saved entry of ``value`` (see above), for a call with several outputs."""
    for index, (raw, out) in enumerate(zip(raw_outputs, outputs)):
        if value is raw or value is out:
            counter = out._vc
            return (None, out._data, index, counter, counter.value)
    return _pack_input(value, args)


def _pack_arrays(values, args, arrays, raw, out):
    """The saved entries of a Primitive's call with one output (the common case): ``arrays`` are
    the arrays its forward received, ``raw`` the array it returned, ``out`` the output Tensor."""
    saved = []
    for value in values:
        if value is raw:
            counter = out._vc
            saved.append((None, out._data, 0, counter, counter.value))
            continue
        if value is None:
            saved.append(_SAVED_NONE)
            continue
        i = 0  # (an index loop: cheaper than zip for the few inputs there are)
        for array in arrays:
            if value is array and args[i] is not array:  # the array of an input Tensor
                counter = args[i]._vc
                saved.append((args[i], None, None, counter, counter.value))
                break
            i += 1
        else:
            saved.append(_pack_input(value, args))
    return saved


_SAVED_NONE = (None, None, None, None, None)


def _pack_input(value, args):
    if isinstance(value, Tensor):
        counter = value._vc
        return (value, None, None, counter, counter.value)
    if not hasattr(value, "shape"):  # a Python scalar or None: kept as is
        return (value, None, None, None, None)
    for a in args:
        if isinstance(a, Tensor) and value is a._data:
            counter = a._vc
            return (a, None, None, counter, counter.value)
    return (None, value, None, None, None)


def _check_version(entry, node):
    """torch's error when what was saved has been changed in place since."""
    tensor, array, output_nr, counter, version = entry
    if counter.value == version:
        return
    array = array if tensor is None else tensor._data
    what = f"[minigrad.{torch_scalar_name(array.dtype)}Tensor {list(array.shape)}]"
    if tensor is None:
        what += f", which is output {output_nr} of {node.name()},"
    elif tensor.grad_fn is not None:  # its node now: the in-place op that changed it
        what += f", which is output {tensor._output_nr} of {tensor.grad_fn.name()},"
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {what} is at version {counter.value}; expected version "
        f"{version} instead. Hint: the backtrace further above shows the operation that "
        "failed to compute its gradient. The variable in question was changed in there or anywhere later. Good luck!")


def _unpack(entry, node):
    """The Tensor a saved entry stands for (``saved_tensors``)."""
    tensor, array, output_nr, counter, version = entry
    if counter is None:
        return tensor if array is None else Tensor._make(array)
    if counter.value != version:
        _check_version(entry, node)
    if tensor is not None:
        return tensor
    out = Tensor._make(array, counter=counter)
    if any(e is not None for e in node.next_edges):
        out._set_grad_fn(node, output_nr)
    return out


def _unpack_array(entry, node):
    """The array (or Python value) a saved entry stands for (``saved_arrays``)."""
    tensor, array, _, counter, version = entry
    if counter is not None and counter.value != version:
        _check_version(entry, node)
    return array if tensor is None else tensor._data if isinstance(tensor, Tensor) else tensor


class _SavedValue:
    """A saved entry as an object, for callers outside this file that check a version later (the
    guards of in-place ops, ``ops/inplace.py``): set its five fields, then ``unpack(node)`` raises
    torch's error if the counter moved."""

    __slots__ = ("tensor", "array", "output_nr", "counter", "version")

    def unpack(self, node):
        return _unpack((self.tensor, self.array, self.output_nr, self.counter, self.version), node)


# ---- the hot path's helpers -----------------------------------------------------------------------

_new_node = object.__new__  # a Primitive's node, without a call to __init__ (none defines one)


# Floating-point warnings. torch gives inf / nan silently; NumPy warns unless told not to, so
# forwards run with NumPy's error state set to "ignore". ``np.errstate(all="ignore")`` does that but
# costs about a microsecond per call; NumPy >= 2 keeps that state in a context variable, which is
# set and reset here directly (same effect, same scoping: only the forward's own computation is
# quiet, never the user's NumPy code). ``_quiet_of`` maps each error state met to its quiet twin
# (and the twin to itself: a nested forward finds it), built with NumPy's own ``_make_extobj``,
# which keeps the current state's other settings (buffer size, error callback).
class _SeterrState:
    """NumPy 1.x's floating-point error state, which has no context variable: set with
    ``np.seterr``, which returns the settings to restore."""

    @staticmethod
    def get():
        return "numpy1"

    @staticmethod
    def set(quiet):
        return np.seterr(all="ignore")

    @staticmethod
    def reset(previous):
        np.seterr(**previous)

    @staticmethod
    def make_quiet(all):
        return "quiet"


try:
    from numpy._core._ufunc_config import _extobj_contextvar as _fp_state, _make_extobj
except ImportError:  # NumPy 1.x
    _fp_state, _make_extobj = _SeterrState(), _SeterrState.make_quiet

_quiet_of = {}


def _quiet_twin(current):
    """The quiet twin of the floating-point error state ``current`` (made once, then looked up)."""
    if len(_quiet_of) > 64:  # states made by many errstate blocks: keep the table small
        _quiet_of.clear()
    quiet = _make_extobj(all="ignore")
    _quiet_of[current], _quiet_of[quiet] = quiet, quiet
    return quiet


def _quiet_fp_state():
    """The quiet twin of the current floating-point error state, or None when it is quiet already."""
    current = _fp_state.get()
    quiet = _quiet_of.get(current) or _quiet_twin(current)
    return None if quiet is current else quiet


class _AccumulateGrad:
    """What ``next_functions`` shows for a leaf: torch's ``AccumulateGrad`` node."""

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"
