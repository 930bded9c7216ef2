"""``minigrad.backends``: the switches PyTorch scripts set in ``torch.backends``, answered truthfully.

minigrad computes with NumPy's BLAS on the CPU and with CuPy (cuBLAS and minigrad's own CUDA kernels,
no cuDNN) on the GPU. Scripts written for torch still set these flags, so they exist and keep what
is assigned to them; the docstring of each says what it changes in minigrad (mostly nothing).

    >>> import minigrad
    >>> minigrad.backends.mps.is_available()
    False
    >>> minigrad.backends.cudnn.benchmark = True   # accepted: minigrad has no cuDNN algorithms to pick
"""
from __future__ import annotations

import types

from .. import backend as _backend

mps = types.SimpleNamespace(
    is_available=lambda: False,  # no Apple GPU path: tensors on 'mps' are not supported
    is_built=lambda: False,
)
mps.__doc__ = "Apple's Metal GPUs: never available in minigrad."

cudnn = types.SimpleNamespace(
    enabled=True,          # accepted; minigrad never calls cuDNN
    benchmark=False,       # accepted; minigrad's convolutions choose their algorithm by a fixed rule
    deterministic=False,   # accepted; minigrad's kernels are deterministic whatever its value
    allow_tf32=True,       # accepted; minigrad computes float32 in float32
    is_available=lambda: False,
    version=lambda: None,
)
cudnn.__doc__ = "NVIDIA's cuDNN: minigrad does not use it; the flags are kept for scripts that set them."

cuda = types.SimpleNamespace(
    is_built=lambda: True,  # the CuPy path is part of minigrad; whether a GPU is present is minigrad.cuda.is_available()
    matmul=types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True),
)

cpu = types.SimpleNamespace(get_cpu_capability=lambda: "DEFAULT")

__all__ = ["cpu", "cuda", "cudnn", "mps"]
del types, _backend
