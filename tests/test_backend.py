"""The backend (minigrad/backend.py): device names as torch parses them, the array module of an
array, and CUDA errors when CuPy or a GPU is missing. Importing minigrad never imports CuPy."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad import backend


@pytest.mark.parametrize("name", ["cpu", "cuda", "cuda:0", "cuda:3"])
def test_device_parsing_str_and_repr_match_torch(torch, name):
    mine, theirs = minigrad.device(name), torch.device(name)
    assert (mine.type, mine.index) == (theirs.type, theirs.index)
    assert str(mine) == str(theirs) and repr(mine) == repr(theirs)


def test_device_from_type_and_index_and_equality():
    assert minigrad.device("cuda", 1) == minigrad.device("cuda:1") == "cuda:1"
    assert minigrad.device("cpu") == "cpu" and minigrad.device(minigrad.device("cuda:2")).index == 2
    assert minigrad.device("cuda") != minigrad.device("cpu")
    assert len({minigrad.device("cpu"), minigrad.device("cpu")}) == 1


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "cuda:-1", "tpu:0"])
def test_bad_device_strings_raise_like_torch(torch, bad):
    with pytest.raises(RuntimeError):
        torch.device(bad)
    with pytest.raises(RuntimeError):
        minigrad.device(bad)


def test_xp_gives_numpy_for_numpy_arrays_and_device_of_is_cpu():
    a = np.zeros(3)
    assert backend.xp(a) is np and backend.device_of(a) == "cpu"
    assert backend.to_device(a, "cpu") is a


def test_importing_minigrad_never_imports_cupy():
    code = "import sys, minigrad; minigrad.zeros(2) + 1; print('cupy' in sys.modules)"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "False"


def test_cuda_without_cupy_gives_a_clear_error(monkeypatch):
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` now raises ImportError
    with pytest.raises(RuntimeError, match=r"CUDA is not available: minigrad needs CuPy for device 'cuda'. "
                                           r"Install it with: pip install \"minigrad\[cuda\]\""):
        backend.to_device(np.zeros(2), "cuda")
    assert not minigrad.cuda.is_available() and minigrad.cuda.device_count() == 0
