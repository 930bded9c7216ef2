"""Tests of F.interpolate's mode='bicubic' and antialias=True (minigrad/nn/functional/sampling.py):
values and gradients against torch over generated sizes, scales and align_corners; gradients to
second order; torch's restrictions."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from utils import check_against_torch, gradchecks


@st.composite
def resize_configs(draw):
    spatial = (draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    if draw(st.booleans()):
        resize = dict(size=(draw(st.integers(1, 12)), draw(st.integers(1, 12))))
    else:
        resize = dict(scale_factor=draw(st.sampled_from([0.3, 0.5, 0.75, 1.0, 1.5, 2.0, (0.4, 2.5)])))
        if any(int(s * f) < 1 for s, f in zip(spatial, resize["scale_factor"] if isinstance(
                resize["scale_factor"], tuple) else (resize["scale_factor"],) * 2)):
            resize = dict(size=(2, 3))
    mode, antialias = draw(st.sampled_from([("bicubic", False), ("bicubic", True), ("bilinear", True)]))
    return dict(shape=(draw(st.integers(1, 2)), draw(st.integers(1, 2))) + spatial, mode=mode, antialias=antialias,
                align_corners=draw(st.booleans()), **resize)


@settings(max_examples=60, deadline=None)
@given(resize_configs(), st.sampled_from([np.float32, np.float64]))
def test_bicubic_and_antialiased_resizing_match_torch(torch, config, dtype):
    config = dict(config)
    x = np.random.default_rng(0).standard_normal(config.pop("shape")).astype(dtype)
    check_against_torch(torch, lambda t: F.interpolate(t, **config),
                        lambda t: torch.nn.functional.interpolate(t, **config), [x])


def test_resizing_passes_gradcheck_and_gradgradcheck():
    x = np.random.default_rng(1).standard_normal((1, 2, 5, 4))
    gradchecks(lambda t: F.interpolate(t, size=(7, 3), mode="bicubic"), [x])
    gradchecks(lambda t: F.interpolate(t, size=(2, 3), mode="bicubic", antialias=True, align_corners=True), [x])
    gradchecks(lambda t: F.interpolate(t, scale_factor=0.5, mode="bilinear", antialias=True), [x])


def test_upsample_module_takes_bicubic(torch):
    x = np.random.default_rng(2).standard_normal((1, 1, 3, 4)).astype(np.float32)
    check_against_torch(torch, nn.Upsample(scale_factor=2, mode="bicubic"),
                        torch.nn.Upsample(scale_factor=2, mode="bicubic"), [x])


@pytest.mark.parametrize("shape, mode", [((1, 2, 5), "linear"), ((1, 2, 5, 5), "nearest"), ((1, 2, 5, 5), "area"),
                                         ((1, 1, 3, 3, 3), "trilinear")])
def test_antialias_is_restricted_to_bilinear_and_bicubic_on_4d_input_as_torch(torch, shape, mode):
    with pytest.raises(ValueError) as expected:
        torch.nn.functional.interpolate(torch.zeros(shape), size=2, mode=mode, antialias=True)
    with pytest.raises(ValueError, match=str(expected.value)):
        F.interpolate(minigrad.zeros(*shape), size=2, mode=mode, antialias=True)
