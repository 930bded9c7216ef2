"""make_grid / save_image (minigrad/utils/image.py) give torchvision.utils' pixels; torchvision is the oracle."""
import io

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad.utils import make_grid, save_image

grids = st.fixed_dictionaries({
    "n": st.integers(1, 11), "c": st.sampled_from([1, 3]), "h": st.integers(1, 6), "w": st.integers(1, 6),
    "nrow": st.integers(1, 9), "padding": st.integers(0, 3), "normalize": st.booleans(),
    "value_range": st.sampled_from([None, (-0.5, 0.5), (0.2, 0.2)]), "scale_each": st.booleans(),
    "pad_value": st.sampled_from([0.0, 1.0, 0.25]), "dtype": st.sampled_from(["float32", "float64"]),
    "seed": st.integers(0, 100)})


def _batch(spec):
    rng = np.random.default_rng(spec["seed"])
    return (rng.standard_normal((spec["n"], spec["c"], spec["h"], spec["w"])) * 2).astype(spec["dtype"])


def _kwargs(spec):
    return {k: spec[k] for k in ("nrow", "padding", "normalize", "value_range", "scale_each", "pad_value")}


@given(spec=grids)
@settings(max_examples=60, deadline=None)
def test_make_grid_matches_torchvision(torchvision, spec):
    import torch
    x = _batch(spec)
    expected = torchvision.utils.make_grid(torch.from_numpy(x), **_kwargs(spec)).numpy()
    out = make_grid(minigrad.tensor(x), **_kwargs(spec))
    assert out.dtype == getattr(minigrad, spec["dtype"]) and tuple(out.shape) == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(x, _batch(spec))  # the input is left alone


@given(spec=grids)
@settings(max_examples=25, deadline=None)
def test_save_image_writes_torchvisions_png_pixels(torchvision, spec):
    import torch
    from PIL import Image
    x = _batch(spec)
    ours, theirs = io.BytesIO(), io.BytesIO()
    save_image(minigrad.tensor(x), ours, format="png", **_kwargs(spec))
    torchvision.utils.save_image(torch.from_numpy(x), theirs, format="png", **_kwargs(spec))
    a, b = Image.open(ours), Image.open(theirs)
    assert a.mode == b.mode and a.size == b.size
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_make_grid_of_a_list_a_single_image_and_a_2d_image(torchvision):
    import torch
    rng = np.random.default_rng(0)
    images = [rng.random((3, 4, 5)).astype(np.float32) for _ in range(3)]
    expected = torchvision.utils.make_grid([torch.from_numpy(i) for i in images], nrow=2).numpy()
    np.testing.assert_array_equal(make_grid([minigrad.tensor(i) for i in images], nrow=2).numpy(), expected)
    for single in (images[0][:1], images[0][0], images[0][None]):
        np.testing.assert_array_equal(make_grid(minigrad.tensor(single)).numpy(),
                                      torchvision.utils.make_grid(torch.from_numpy(single)).numpy())


def test_make_grid_shape_and_layout_by_hand():
    x = minigrad.tensor(np.arange(5, dtype=np.float32).reshape(5, 1, 1, 1) + 1)
    grid = make_grid(x, nrow=2, padding=1, pad_value=-1).numpy()
    assert grid.shape == (3, 7, 5)                 # 3 rows x 2 columns of 1x1 tiles, 1 pixel apart
    assert grid[0, 1::2, 1::2].tolist() == [[1, 2], [3, 4], [5, -1]]
    assert (grid[:, ::2] == -1).all() and (grid[1] == grid[0]).all()


def test_make_grid_rejects_what_torchvision_rejects():
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid("not an image")
    with pytest.raises(TypeError, match="a list containing"):
        make_grid([np.zeros((3, 2, 2))])
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(minigrad.zeros(2, 3, 2, 2), normalize=True, value_range=[0, 1])


def test_save_image_writes_a_png_file(tmp_path, Image):
    path = tmp_path / "grid.png"
    save_image(minigrad.ones(4, 1, 3, 3) * 0.5, path, nrow=2, padding=1)
    with Image.open(path) as img:
        assert img.format == "PNG" and img.mode == "RGB" and img.size == (9, 9)
        assert np.asarray(img)[1, 1].tolist() == [128, 128, 128] and np.asarray(img)[0, 0].tolist() == [0, 0, 0]


def test_save_image_without_pillow_says_how_to_install_it(monkeypatch, tmp_path):
    import builtins
    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(ImportError, match=r"Pillow, which is not installed: pip install pillow"):
        save_image(minigrad.zeros(1, 2, 2), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
