"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights.

Assigning a ``Parameter`` to a module attribute (``self.weight = Parameter(...)``) adds it to
``module.parameters()`` and to ``state_dict()``; any other tensor stays a plain attribute unless it is
registered as a buffer. Operations on a parameter return ordinary tensors.

    >>> w = Parameter(minigrad.zeros(2))
    >>> w
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
"""
from __future__ import annotations

from ..autograd.creation import empty
from ..autograd.tensor import Tensor

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]


class Parameter(Tensor):
    """``Parameter(data=None, requires_grad=True)``: shares ``data``'s memory, as torch does."""

    __slots__ = ()

    def __new__(cls, data=None, requires_grad: bool = True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            data = Tensor(data)
        if requires_grad and not data.dtype.is_floating_point:  # (torch's wording for a new tensor)
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        param = object.__new__(cls)
        param._init(data._data, data._vc)
        param.requires_grad = requires_grad  # checks the dtype is floating, with torch's message
        return param

    def __init__(self, data=None, requires_grad: bool = True):
        pass  # everything happens in __new__, so that Tensor.__init__ does not re-wrap the data

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce__(self):
        from .. import backend
        return (_rebuild_parameter, (backend.to_numpy(self._data), self._requires_grad))


def _rebuild_parameter(array, requires_grad):
    return Parameter(Tensor._make(array), requires_grad)


# ---- uninitialised parameters and buffers (the lazy modules') ---------------------------------

_SHAPE_MESSAGE = ("Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
                  "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. "
                  "Call `forward` to initialize the parameters before accessing their attributes.")


def _refuse(name):
    def method(self, *args, **kwargs):
        raise ValueError(f"Attempted to use an uninitialized parameter in {name}. This error happens when you "
                         "are using a `LazyModule` or explicitly manipulating "
                         "`minigrad.nn.parameter.UninitializedParameter` objects. When using LazyModules Call "
                         "`forward` with a dummy batch to initialize the parameters before calling minigrad "
                         "functions")
    method.__name__ = name
    return method


class UninitializedTensorMixin:
    """A tensor with no shape yet: only its dtype and device are known. ``materialize(shape)`` gives it
    values (uninitialised memory) and turns it, in place, into ``cls_to_become`` (torch's behaviour:
    the same object, so an optimiser built before materialisation still holds it)."""

    __slots__ = ()
    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Create this tensor's storage of ``shape`` (on its device and dtype unless given) and become
        ``cls_to_become``."""
        if device is None:
            device = self.device
        if dtype is None:
            dtype = self.dtype
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self._data = empty(shape, device=device, dtype=dtype)._data
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_SHAPE_MESSAGE)

    def to(self, *args, **kwargs):
        """Moving or casting keeps the tensor uninitialised (only its device / dtype change)."""
        moved = Tensor.to(self, *args, **kwargs)
        if moved is self:
            return self
        lazy = object.__new__(type(self))
        lazy._init(moved._data, None)
        lazy._requires_grad = self._requires_grad
        return lazy

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __reduce__(self):
        return (type(self), (self.requires_grad, self.device, self.dtype))

    def __deepcopy__(self, memo):
        copied = type(self)(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = copied
        return copied

    for _name in ("size", "dim", "numel", "numpy", "tolist", "item", "view", "reshape", "sum", "mean", "t",
                  "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
                  "__rtruediv__", "__matmul__", "__rmatmul__", "__neg__", "__pow__", "__getitem__",
                  "__setitem__", "__len__", "__iter__", "add_", "mul_", "sub_", "copy_", "zero_", "fill_"):
        locals()[_name] = _refuse(f"Tensor.{_name}")
    del _name


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A ``Parameter`` whose shape is not known yet (a lazy module's, until its first forward).

    >>> w = UninitializedParameter()
    >>> w.materialize((2, 3)); type(w).__name__, tuple(w.shape)
    ('Parameter', (2, 3))
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        param = object.__new__(cls)
        param._init(empty(0, device=device, dtype=dtype)._data, None)
        param._requires_grad = requires_grad
        return param

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy batch norm's running statistics)."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None):
        buffer = object.__new__(cls)
        buffer._init(empty(0, device=device, dtype=dtype)._data, None)
        buffer._requires_grad = requires_grad
        return buffer

    def __init__(self, requires_grad: bool = False, device=None, dtype=None):
        pass


def is_lazy(param) -> bool:
    """Is ``param`` an uninitialised parameter or buffer?"""
    return isinstance(param, UninitializedTensorMixin)
