"""minigrad: a small deep-learning framework that speaks PyTorch, on NumPy (CPU) and CuPy (GPU).

    import minigrad
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    print(x.grad)   # tensor([2., 4., 6.])
"""
from . import backend, dtypes
from .autograd import (Function, Tensor, enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled)
from .autograd.dlpack import from_dlpack
from .autograd.memory_format import (channels_last, channels_last_3d, contiguous_format, memory_format,
                                     preserve_format)
from .autograd.tensor import Size
from .backend import device
from .dtypes import (bool_ as bool, dtype, float16, float32, float64, get_default_dtype, int8, int16, int32,
                     int64, set_default_dtype, uint8)
from .ops import *  # noqa: F401,F403
from .ops import (abs, all, any, arange, as_tensor, bmm, cat, chunk, clamp, clone, cos, cumsum, dot, empty,
                  empty_like, eq, exp, eye, flatten, flip, from_numpy, full, full_like, gather, ge, gt, le,
                  linspace, log, log_softmax, logsumexp, lt, matmul, max, maximum, mean, min, minimum, mm, ne,
                  ones, ones_like, outer, permute, pow, prod, rand, rand_like, randint, randint_like, randn,
                  randn_like, randperm, reshape, sigmoid, sin, softmax, split, sqrt, squeeze, stack, std, sum,
                  tanh, tensor, transpose, unsqueeze, var, where, zeros, zeros_like)
from .random import get_rng_state, manual_seed, seed, set_rng_state
from .serialization import load, save
from . import accelerator, backends, cuda  # torch.accelerator, torch.backends, torch.cuda
from .threads import get_num_threads, set_num_threads
from . import data, nn, optim, utils  # minigrad.nn, .optim, .data (torch.utils.data), .utils, as torch
import minigrad.linalg as linalg  # torch.linalg (not ``from . import``: the star import above left ops.linalg here)

half, float, double, long, int, short = float16, float32, float64, int64, int32, int16

__version__ = "0.1.0"


def is_tensor(obj) -> "builtins.bool":
    return isinstance(obj, Tensor)
