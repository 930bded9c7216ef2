"""Tests of minigrad/nn/modules/padding.py against torch.nn's padding layers: reprs, values, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad import nn
from twins import compare_modules

KINDS = ["ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"]


@settings(max_examples=100)
@given(kind=st.sampled_from(KINDS), spatial=st.integers(1, 3), batched=st.booleans(), as_int=st.booleans(),
       data=st.data(), dtype=st.sampled_from([np.float32, np.float64]))
def test_padding_layer_matches_torch(torch, kind, spatial, batched, as_int, data, dtype):
    size = data.draw(st.lists(st.integers(2, 4), min_size=spatial, max_size=spatial))
    # reflection needs padding < size, circular padding <= size: 0..1 always fits; replication and
    # constant padding may be larger (and constant padding negative: a crop)
    high = 1 if kind in ("ReflectionPad", "CircularPad") else 3
    low = -1 if kind in ("ZeroPad", "ConstantPad") else 0
    padding = data.draw(st.integers(0, high)) if as_int else tuple(
        data.draw(st.lists(st.integers(low, high), min_size=2 * spatial, max_size=2 * spatial)))
    args = (padding, 1.5) if kind == "ConstantPad" else (padding,)
    name = f"{kind}{spatial}d"
    mg, th = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(mg) == repr(th)
    shape = ([2] if batched else []) + [3] + size
    x = np.random.default_rng(0).standard_normal(shape)
    compare_modules(torch, mg, th, [x], dtype)


def test_circular_padding_checks_the_input_dims_as_torch():
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.CircularPad2d(1)(minigrad.zeros(3, 3))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.CircularPad1d(1)(minigrad.zeros(1, 1, 3, 3))
