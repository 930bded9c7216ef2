"""The random number generator behind ``rand``, ``randn``, initialisation, dropout and shuffling.

One global NumPy ``Generator`` (PCG64) for the CPU and, once CUDA is used, one CuPy generator per
process; ``manual_seed`` seeds both. ``get_rng_state`` / ``set_rng_state`` save and restore the CPU
state so that a resumed training run draws the same numbers as an uninterrupted one.
"""
from __future__ import annotations

import numpy as np

from . import backend

_generator = np.random.default_rng(0)
_cuda_seed = 0
_cuda_generator = None


def manual_seed(seed: int):
    """Seed every generator minigrad uses, as ``torch.manual_seed``."""
    global _generator, _cuda_seed, _cuda_generator
    seed = int(seed)
    if not -2**63 <= seed < 2**64:  # torch's range; a negative seed is read as its 64-bit two's complement
        raise ValueError(f"Overflow when unpacking long long: seed {seed} does not fit in 64 bits")
    seed %= 2**64
    _generator = np.random.default_rng(seed)
    _cuda_seed, _cuda_generator = seed, None
    return _generator


def seed() -> int:
    """Seed from the operating system's entropy and return the seed used."""
    value = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(value)
    return value


def generator(device=None):
    """The generator for arrays made on ``device`` (NumPy's or CuPy's)."""
    global _cuda_generator
    if device is None or backend.device(device).type == "cpu":
        return _generator
    if _cuda_generator is None:
        cupy = backend.module_for(device)
        _cuda_generator = cupy.random.default_rng(_cuda_seed)
    return _cuda_generator


def get_rng_state() -> dict:
    """The CPU generator's state, a JSON-serialisable dict."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state that ``get_rng_state`` returned (checked first: a wrong one changes nothing)."""
    if not isinstance(state, dict):
        raise TypeError(f"set_rng_state expects the dict that minigrad.get_rng_state() returned, "
                        f"but got {type(state).__name__}")
    trial = np.random.PCG64()
    try:
        trial.state = state
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"set_rng_state: not a state from minigrad.get_rng_state() (a PCG64 state dict): "
                         f"{type(exc).__name__}: {exc}") from None
    _generator.bit_generator.state = state
