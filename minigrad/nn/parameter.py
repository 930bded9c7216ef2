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

__all__ = ["Parameter"]


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
