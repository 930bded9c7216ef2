"""``Tensor``: an array (NumPy or CuPy) plus what autograd needs to know about it.

A tensor made by the user is a *leaf*; a tensor made by a recorded operation has a ``grad_fn``, the
graph node (a ``Function``) that made it, and ``_output_nr``, which of that node's outputs it is.
The arithmetic methods (``+``, ``exp``, ``reshape`` ...) are attached by ``minigrad.ops``, which sits a
layer above this file.
"""
from __future__ import annotations

import warnings
import weakref

import numpy as np

from .. import backend
from .. import dtypes
from .grad_mode import is_grad_enabled


class _VersionCounter:
    """Counts in-place changes to an array; views share their base's counter.

    ``value`` starts as the class's 0 (no ``__init__`` to run: one is made for every tensor)."""

    value = 0


class Tensor:
    __slots__ = ("_data", "_requires_grad", "_grad", "grad_fn", "_output_nr", "_retains_grad",
                 "_hooks", "_vc", "_view_of", "__weakref__")
    __array_ufunc__ = None  # NumPy defers to our reflected operators: ndarray * Tensor -> Tensor

    def __init__(self, data, requires_grad: bool = False):
        """``Tensor(data)`` makes a float tensor of the default dtype, as ``torch.Tensor(data)``."""
        if isinstance(data, Tensor):
            data = data._data
        elif not (isinstance(data, np.ndarray) or backend.is_cupy_array(data)):
            data = np.asarray(data, dtype=dtypes.get_default_dtype().numpy)
        self._init(data, counter=None)
        if requires_grad:
            self.requires_grad = True

    def _init(self, array, counter):
        # the fields of every tensor; Tensor._make and _wrap set the same ones inline (keep in step)
        self._data = array
        self._requires_grad = False
        self._grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._retains_grad = False
        self._hooks = None
        self._vc = counter if counter is not None else _VersionCounter()
        self._view_of = None  # (root base, ((primitive, params), ...)) when this tensor is a view

    @classmethod
    def _make(cls, array, requires_grad: bool = False, counter=None) -> "Tensor":
        """Wrap an array without copying or converting it (the fast internal constructor)."""
        t = cls.__new__(cls)
        t._data, t._requires_grad, t._grad, t.grad_fn, t._output_nr = array, requires_grad, None, None, 0
        t._retains_grad, t._hooks, t._view_of = False, None, None
        t._vc = counter if counter is not None else _VersionCounter()
        return t

    # ---- autograd state -----------------------------------------------------------------------
    def _set_grad_fn(self, node, output_nr: int) -> None:
        self.grad_fn, self._output_nr, self._requires_grad = node, output_nr, True

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            if value:
                return
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if value and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self._grad is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = value

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep theirs)."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        self._retains_grad = True
        this = weakref.ref(self)

        def keep(grad):
            t = this()
            if t is not None:
                g = grad.detach()
                t._grad = Tensor._make(g._data.copy()) if t._grad is None else Tensor._make(t._grad._data + g._data)
            return None
        keep.runs_last = True  # torch: the retained gradient is the one after every other hook
        self._add_node_hook(keep)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever a gradient for this tensor is computed; a non-None return
        replaces the gradient. Returns a handle whose ``remove()`` unregisters the hook."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            return _HookHandle(self._hooks, hook)
        return self._add_node_hook(hook)

    def _add_node_hook(self, hook):
        node = self.grad_fn
        if node._pre_hooks is None:
            node._pre_hooks = {}
        hooks = node._pre_hooks.setdefault(self._output_nr, [])
        position = len(hooks)
        if not getattr(hook, "runs_last", False):
            position = next((k for k, h in enumerate(hooks) if getattr(h, "runs_last", False)), position)
        return _HookHandle(hooks, hook, position)

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None):
        """Compute the gradient of this tensor w.r.t. graph leaves and accumulate it in their ``.grad``."""
        engine = _engine or _import_engine()
        engine.backward([self], None if gradient is None else [gradient], retain_graph, create_graph, inputs)

    def detach(self) -> "Tensor":
        """A tensor sharing this one's values, cut from the graph."""
        return Tensor._make(self._data, counter=self._vc)

    def detach_(self) -> "Tensor":
        self.grad_fn, self._output_nr, self._requires_grad = None, 0, False
        return self

    @property
    def data(self) -> "Tensor":
        """The values as a tensor outside the graph (``torch``'s ``.data``); assigning replaces them.

        Unlike ``detach()``, changes made through it are not tracked (its own version counter)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else value

    @property
    def _version(self) -> int:
        return self._vc.value

    def _bump_version(self) -> None:
        self._vc.value += 1

    # ---- metadata -----------------------------------------------------------------------------
    @property
    def shape(self) -> "Size":
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self._data.dtype)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    @property
    def device(self) -> backend.device:
        return backend.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return backend.is_cupy_array(self._data)

    @property
    def is_cpu(self) -> bool:
        return not backend.is_cupy_array(self._data)

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        from .dlpack import to_dlpack_capsule
        return to_dlpack_capsule(self, stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    # devices and layouts minigrad never holds, answered as torch answers for a dense CPU/CUDA tensor
    is_mps = is_xpu = is_meta = is_sparse = is_quantized = is_mkldnn = is_nested = property(lambda self: False)

    def is_contiguous(self, memory_format=None) -> bool:
        """Whether the memory is dense in ``memory_format``'s order (default: row-major, NCHW).

        >>> import minigrad
        >>> minigrad.zeros(1, 3, 2, 2).permute(0, 2, 3, 1).is_contiguous()
        False
        """
        if memory_format is None:
            return bool(self._data.flags.c_contiguous)
        from . import memory_format as formats
        formats.check("is_contiguous", memory_format)
        return formats.is_contiguous(self._data, memory_format)

    def stride(self, dim: int | None = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    # ---- conversions --------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (shared memory on the CPU, as torch)."""
        if self._requires_grad and is_grad_enabled():
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if backend.is_cupy_array(self._data):
            raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = backend.to_numpy(self._data)
        return array if dtype is None else array.astype(dtype, copy=False)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return backend.to_numpy(self._data).tolist()

    def __float__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    __hash__ = object.__hash__

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self):
        from ._format import format_tensor
        return format_tensor(self)

    __str__ = __repr__

    def __reduce__(self):
        return (_rebuild, (backend.to_numpy(self._data), self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.")
        out = type(self).__new__(type(self))
        out._init(self._data.copy(), None)
        out._requires_grad = self._requires_grad
        if self._grad is not None:
            out._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = out
        return out


def _wrap(array) -> Tensor:
    """``Tensor._make(array)`` without its calls: what every operation's output costs. Sets the
    same fields as ``Tensor._init`` (keep the two in step)."""
    t = _new_object(Tensor)
    t._data, t._requires_grad, t._grad, t.grad_fn, t._output_nr = array, False, None, None, 0
    t._retains_grad, t._hooks, t._vc, t._view_of = False, None, _VersionCounter(), None
    return t


_new_object = object.__new__


_engine = None  # autograd.engine, imported on first use (it imports this file)


def _import_engine():
    global _engine
    from . import engine
    _engine = engine
    return engine


def _rebuild(array, requires_grad):
    return Tensor._make(array, requires_grad)


class Size(tuple):
    """A shape, printed as torch prints it: ``minigrad.Size([2, 3])``."""

    def __repr__(self):
        return f"minigrad.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class _HookHandle:
    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook, position: int | None = None):
        hooks.insert(len(hooks) if position is None else position, hook)
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _wrap_dim(dim: int, ndim: int) -> int:
    """A dimension index in [0, ndim), accepting negatives; torch's IndexError otherwise."""
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-bound}, {bound - 1}], but got {dim})")
    return dim % bound
