"""Tests of F.affine_grid and F.grid_sample (minigrad/nn/functional/sampling.py): values and gradients
for input and grid against torch over generated modes, padding modes, align_corners and shapes, in
float32 and float64; gradcheck and gradgradcheck; torch's checks."""
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
import minigrad.nn.functional as F
from utils import check_against_torch, gradchecks


@st.composite
def sample_configs(draw):
    d = draw(st.sampled_from([2, 3]))
    mode = draw(st.sampled_from(["bilinear", "nearest"] + (["bicubic"] if d == 2 else [])))
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(d))
    out = tuple(draw(st.integers(1, 4)) for _ in range(d))
    return dict(d=d, mode=mode, padding_mode=draw(st.sampled_from(["zeros", "border", "reflection"])),
                align_corners=draw(st.booleans()), shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3))) + spatial,
                out=out, reach=draw(st.sampled_from([0.9, 1.5])))


@settings(max_examples=60, deadline=None)
@given(sample_configs(), st.sampled_from([np.float32, np.float64]))
def test_grid_sample_matches_torch_for_input_and_grid(torch, config, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(config["shape"]).astype(dtype)
    grid = rng.uniform(-config["reach"], config["reach"], (config["shape"][0],) + config["out"] + (config["d"],))
    kwargs = dict(mode=config["mode"], padding_mode=config["padding_mode"], align_corners=config["align_corners"])
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 and config["mode"] == "bicubic" else {}
    check_against_torch(torch, lambda a, g: F.grid_sample(a, g, **kwargs),
                        lambda a, g: torch.nn.functional.grid_sample(a, g, **kwargs), [x, grid.astype(dtype)], **tol)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_passes_gradcheck_and_gradgradcheck(mode, padding_mode):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2, 4, 3))
    grid = rng.uniform(-1.2, 1.2, (1, 3, 2, 2))
    gradchecks(lambda a, g: F.grid_sample(a, g, mode=mode, padding_mode=padding_mode, align_corners=False),
               [x, grid])


def test_trilinear_grid_sample_passes_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(2)
    gradchecks(lambda a, g: F.grid_sample(a, g, padding_mode="reflection", align_corners=True),
               [rng.standard_normal((1, 1, 3, 3, 2)), rng.uniform(-1.2, 1.2, (1, 2, 1, 2, 3))])


@settings(max_examples=20, deadline=None)
@given(st.sampled_from([2, 3]), st.booleans(), st.lists(st.integers(1, 4), min_size=3, max_size=3),
       st.sampled_from([np.float32, np.float64]))
def test_affine_grid_matches_torch(torch, d, align_corners, sizes, dtype):
    theta = np.random.default_rng(3).standard_normal((2, d, d + 1)).astype(dtype)
    size = (2, 3) + tuple(sizes[:d])
    check_against_torch(torch, lambda t: F.affine_grid(t, size, align_corners=align_corners),
                        lambda t: torch.nn.functional.affine_grid(t, size, align_corners=align_corners), [theta])


def test_affine_grid_then_grid_sample_is_differentiable_in_theta_to_second_order():
    rng = np.random.default_rng(4)
    image = minigrad.tensor(rng.standard_normal((2, 1, 4, 4)))
    gradchecks(lambda t: F.grid_sample(image, F.affine_grid(t, (2, 1, 3, 3), align_corners=False),
                                       align_corners=False),
               [np.array([[[0.9, 0.1, 0.05], [-0.1, 0.8, 0.1]]] * 2)])


BAD = [
    (dict(mode="cubic"), (1, 1, 3, 3), (1, 2, 2, 2), ValueError),
    (dict(padding_mode="wrap"), (1, 1, 3, 3), (1, 2, 2, 2), ValueError),
    ({}, (1, 1, 3, 3), (1, 2, 2, 2, 3), RuntimeError),
    ({}, (2, 1, 3, 3), (1, 2, 2, 2), RuntimeError),
    ({}, (1, 1, 3, 3), (1, 2, 2, 3), RuntimeError),
    ({}, (1, 1, 0, 3), (1, 2, 2, 2), RuntimeError),
    (dict(mode="bicubic"), (1, 1, 3, 3, 3), (1, 2, 2, 2, 3), RuntimeError),
]


@pytest.mark.parametrize("kwargs, input_shape, grid_shape, error", BAD)
def test_grid_sample_checks_arguments_as_torch(torch, kwargs, input_shape, grid_shape, error):
    with pytest.raises(error) as expected:
        torch.nn.functional.grid_sample(torch.zeros(input_shape), torch.zeros(grid_shape), align_corners=False,
                                        **kwargs)
    with pytest.raises(error, match=re.escape(str(expected.value))):
        F.grid_sample(minigrad.zeros(*input_shape), minigrad.zeros(*grid_shape), align_corners=False, **kwargs)


@pytest.mark.parametrize("theta_shape, size", [((1, 3, 3), (1, 1, 2, 2)), ((1, 2, 3), (1, 1, 2, 2, 2)),
                                               ((1, 2, 3), (1, 1, 2)), ((1, 2, 3), (1, 1, 0, 2))])
def test_affine_grid_checks_arguments_as_torch(torch, theta_shape, size):
    with pytest.raises((ValueError, NotImplementedError)) as expected:
        torch.nn.functional.affine_grid(torch.zeros(theta_shape), size, align_corners=False)
    with pytest.raises(expected.type, match=re.escape(str(expected.value).replace("torch.Size", "minigrad.Size"))):
        F.affine_grid(minigrad.zeros(*theta_shape), size, align_corners=False)
