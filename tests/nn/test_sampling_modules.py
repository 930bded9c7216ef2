"""Tests of minigrad/nn/modules/sampling.py and nn/functional/sampling.py against torch.nn."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad import nn
from minigrad.nn import functional as F
from utils import check_against_torch, gradchecks

MODES = {1: ["nearest", "nearest-exact", "linear", "area"], 2: ["nearest", "nearest-exact", "bilinear", "area"],
         3: ["nearest", "trilinear"]}


@settings(max_examples=50, deadline=None)
@given(spatial=st.sampled_from([1, 2, 3]), data=st.data(), dtype=st.sampled_from([np.float32, np.float64]))
def test_interpolate_matches_torch(torch, spatial, data, dtype):
    mode = data.draw(st.sampled_from(MODES[spatial]))
    in_sizes = data.draw(st.lists(st.integers(1, 6), min_size=spatial, max_size=spatial))
    kwargs = {"mode": mode}
    if data.draw(st.booleans()) or mode == "area":
        kwargs["size"] = tuple(data.draw(st.lists(st.integers(1, 9), min_size=spatial, max_size=spatial)))
    else:
        kwargs["scale_factor"] = data.draw(st.sampled_from([2, 0.5, 1.7, 3.0, (1.5,) * spatial]))
        if data.draw(st.booleans()):
            kwargs["recompute_scale_factor"] = True
    if mode in ("linear", "bilinear", "trilinear"):
        kwargs["align_corners"] = data.draw(st.booleans())
    x = np.random.default_rng(spatial).standard_normal((2, 2, *in_sizes)).astype(dtype)
    if "scale_factor" in kwargs:
        factors = kwargs["scale_factor"] if isinstance(kwargs["scale_factor"], tuple) else (kwargs["scale_factor"],) * spatial
        if any(int(s * f) < 1 for s, f in zip(in_sizes, factors)):
            return  # an empty output: torch rejects it
    check_against_torch(torch, lambda t: F.interpolate(t, **kwargs), lambda t: torch.nn.functional.interpolate(t, **kwargs), [x])


def test_upsample_module_and_repr_match_torch(torch):
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 4))
    for kwargs in [dict(scale_factor=2), dict(size=(5, 7), mode="bilinear"), dict(scale_factor=(2, 3), mode="nearest"),
                   dict(scale_factor=1.5, mode="bilinear", align_corners=True)]:
        mg, th = nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs)
        assert repr(mg) == repr(th)
        check_against_torch(torch, mg, th, [x])
    check_against_torch(torch, nn.UpsamplingBilinear2d(scale_factor=2), torch.nn.UpsamplingBilinear2d(scale_factor=2), [x])
    check_against_torch(torch, nn.UpsamplingNearest2d(size=5), torch.nn.UpsamplingNearest2d(size=5), [x])


def test_interpolate_argument_errors_match_torch(torch):
    x_mg, x_th = minigrad.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)
    for kwargs in [dict(), dict(size=2, scale_factor=2), dict(size=2, align_corners=True)]:
        with pytest.raises(ValueError) as mg:
            F.interpolate(x_mg, **kwargs)
        with pytest.raises(ValueError) as th:
            torch.nn.functional.interpolate(x_th, **kwargs)
        assert str(mg.value) == str(th.value)
    with pytest.raises(NotImplementedError, match="bilinear mode needs 4D input"):
        F.interpolate(minigrad.zeros(1, 1, 4), scale_factor=2, mode="bilinear")


@pytest.mark.parametrize("mode,align", [("bilinear", False), ("bilinear", True), ("nearest", None)])
def test_interpolate_gradgradcheck(mode, align):
    x = np.random.default_rng(1).standard_normal((1, 2, 3, 3))
    gradchecks(lambda t: F.interpolate(t, scale_factor=1.5, mode=mode, align_corners=align), [x])


@pytest.mark.parametrize("shape,factor", [((1, 8, 2, 3), 2), ((2, 3, 9, 1, 2), 3), ((4, 1, 1), 2)])
def test_pixel_shuffle_and_unshuffle_match_torch_and_invert_each_other(torch, shape, factor):
    x = np.random.default_rng(2).standard_normal(shape)
    if shape[-3] % (factor * factor):
        with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
            F.pixel_shuffle(minigrad.tensor(x), factor)
        return
    check_against_torch(torch, nn.PixelShuffle(factor), torch.nn.PixelShuffle(factor), [x])
    shuffled = F.pixel_shuffle(minigrad.tensor(x), factor)
    np.testing.assert_array_equal(np.asarray(F.pixel_unshuffle(shuffled, factor)), x)
    check_against_torch(torch, nn.PixelUnshuffle(factor), torch.nn.PixelUnshuffle(factor), [np.asarray(shuffled)])
    assert repr(nn.PixelShuffle(factor)) == repr(torch.nn.PixelShuffle(factor))
    assert repr(nn.PixelUnshuffle(factor)) == repr(torch.nn.PixelUnshuffle(factor))


def test_interpolate_bicubic_needs_a_4d_input_as_torch():
    import minigrad
    from minigrad.nn import functional as F
    with pytest.raises(NotImplementedError, match=r"got 3D\) .* \(got bicubic\)"):
        F.interpolate(minigrad.randn(1, 1, 4), scale_factor=2, mode="bicubic")
