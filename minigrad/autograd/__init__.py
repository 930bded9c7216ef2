"""The autograd core: Tensor, Function, the backward engine, grad mode and gradient checking."""
from .engine import backward, grad
from .function import Function, Primitive
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .tensor import Tensor

__all__ = ["Function", "Primitive", "Tensor", "backward", "grad", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "gradcheck", "gradgradcheck", "GradcheckError"]
