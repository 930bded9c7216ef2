"""Parameters as one flat vector and back (torch.nn.utils.convert_parameters)."""
from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor
from ...ops.shape import cat

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_device(param: Tensor, device):
    if device is None:
        return param.device
    if param.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return device


def parameters_to_vector(parameters) -> Tensor:
    """Every parameter flattened and concatenated, in order (differentiable, as torch's)."""
    device, pieces = None, []
    for param in parameters:
        device = _check_same_device(param, device)
        pieces.append(param.reshape(-1))
    return cat(pieces)


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (their values are replaced, as ``param.data = ...``)."""
    if not isinstance(vec, Tensor):
        kind = type(vec)
        name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
        raise TypeError(f"expected torch.Tensor, but got: {name}")
    device, pointer = None, 0
    with no_grad():
        for param in parameters:
            device = _check_same_device(param, device)
            n = param.numel()
            param.data = vec[pointer:pointer + n].view_as(param).data
            pointer += n
