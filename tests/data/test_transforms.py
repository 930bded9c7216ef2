"""Transforms follow torchvision's documented semantics; expected results are computed by hand here."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad.data import generator, transforms as T

images = st.tuples(st.integers(1, 7), st.integers(1, 7), st.sampled_from([None, 1, 3])).map(
    lambda s: np.random.default_rng(sum(s[:2])).integers(0, 256, size=s[:2] + ((s[2],) if s[2] else ()),
                                                          dtype=np.uint8))


@given(img=images)
@settings(max_examples=30, deadline=None)
def test_to_tensor_gives_chw_float_in_unit_range(img):
    out = T.ToTensor()(img)
    hwc = img if img.ndim == 3 else img[:, :, None]
    assert out.dtype == minigrad.float32 and out.shape == (hwc.shape[2], hwc.shape[0], hwc.shape[1])
    expected = hwc.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(out.numpy(), expected)


def test_to_tensor_keeps_non_uint8_values_and_dtype():
    img = np.arange(6, dtype=np.int32).reshape(2, 3)
    out = T.ToTensor()(img)
    assert out.dtype == minigrad.int32 and out.numpy().tolist() == [[[0, 1, 2], [3, 4, 5]]]


def test_to_tensor_follows_default_dtype():
    minigrad.set_default_dtype(minigrad.float64)
    try:
        assert T.ToTensor()(np.zeros((2, 2), np.uint8)).dtype == minigrad.float64
    finally:
        minigrad.set_default_dtype(minigrad.float32)


def test_to_tensor_rejects_wrong_inputs():
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()([[1, 2]])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        T.ToTensor()(np.zeros((1, 1, 1, 1), np.uint8))


@given(c=st.integers(1, 4), seed=st.integers(0, 100))
@settings(max_examples=30, deadline=None)
def test_normalize_subtracts_mean_and_divides_by_std_per_channel(c, seed):
    rng = np.random.default_rng(seed)
    x = rng.random((c, 3, 2)).astype(np.float32)
    mean, std = rng.random(c).tolist(), (rng.random(c) + 0.5).tolist()
    out = T.Normalize(mean, std)(minigrad.tensor(x)).numpy()
    expected = np.stack([(x[k] - np.float32(mean[k])) / np.float32(std[k]) for k in range(c)])
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(T.Normalize(mean, std)(x), expected, rtol=1e-6, atol=1e-6)  # arrays too


def test_normalize_rejects_integer_input_and_zero_std():
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        T.Normalize([0.5], [0.5])(minigrad.zeros(1, 2, 2, dtype=minigrad.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize([0.5], [0.0])(minigrad.zeros(1, 2, 2))


def _pad_by_hand(img, left, top, right, bottom, fill):
    h, w = img.shape[:2]
    out = np.full((h + top + bottom, w + left + right) + img.shape[2:], fill, dtype=img.dtype)
    out[top:top + h, left:left + w] = img
    return out


@given(img=images, padding=st.one_of(st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3)),
                                      st.tuples(*[st.integers(0, 3)] * 4)), fill=st.integers(0, 255))
@settings(max_examples=40, deadline=None)
def test_pad_int_pair_and_quad_follow_torchvision_order(img, padding, fill):
    if isinstance(padding, int):
        sides = (padding,) * 4
    elif len(padding) == 2:
        sides = (padding[0], padding[1], padding[0], padding[1])  # (left/right, top/bottom)
    else:
        sides = padding                                            # (left, top, right, bottom)
    np.testing.assert_array_equal(T.Pad(padding, fill=fill)(img), _pad_by_hand(img, *sides, fill))


def test_pad_modes_match_numpy_definitions():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    for mode in ("edge", "reflect", "symmetric"):
        np.testing.assert_array_equal(T.Pad((1, 2), padding_mode=mode)(img), np.pad(img, ((2, 2), (1, 1)), mode=mode))
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or symmetric"):
        T.Pad(1, padding_mode="wrap")


@given(img=images, size=st.tuples(st.integers(1, 8), st.integers(1, 8)), padding=st.integers(0, 3),
       seed=st.integers(0, 1000))
@settings(max_examples=60, deadline=None)
def test_random_crop_is_a_window_of_the_padded_image(img, size, padding, seed):
    h, w = img.shape[0] + 2 * padding, img.shape[1] + 2 * padding
    crop = T.RandomCrop(size, padding=padding, fill=7)
    if size[0] > h or size[1] > w:
        with pytest.raises(ValueError, match="Required crop size"):
            crop(img)
        return
    minigrad.manual_seed(seed)
    out = crop(img)
    padded = _pad_by_hand(img, padding, padding, padding, padding, 7)
    windows = [(i, j) for i in range(h - size[0] + 1) for j in range(w - size[1] + 1)
               if np.array_equal(padded[i:i + size[0], j:j + size[1]], out)]
    assert out.shape == size + img.shape[2:] and windows
    # the corner is drawn i first, then j, each uniform over the valid offsets
    minigrad.manual_seed(seed)
    if (h, w) != size:
        i, j = int(generator().integers(0, h - size[0] + 1)), int(generator().integers(0, w - size[1] + 1))
        np.testing.assert_array_equal(out, padded[i:i + size[0], j:j + size[1]])


def test_random_crop_pad_if_needed_pads_the_shortfall_on_both_sides():
    img = np.arange(6, dtype=np.uint8).reshape(2, 3) + 1
    out = T.RandomCrop((4, 5), pad_if_needed=True)(img)
    # width 3 < 5: pad [5 - 3, 0] = 2 left and right (7 wide); height 2 < 4: 2 top and bottom (6 high)
    assert out.shape == (4, 5)
    padded = _pad_by_hand(img, 2, 2, 2, 2, 0)
    assert any(np.array_equal(padded[i:i + 4, j:j + 5], out) for i in range(3) for j in range(3))


def test_random_crop_on_a_chw_tensor_crops_the_last_two_dims():
    x = minigrad.arange(2 * 5 * 6, dtype=minigrad.float32).reshape(2, 5, 6)
    out = T.RandomCrop((3, 4))(x)
    assert isinstance(out, minigrad.Tensor) and out.shape == (2, 3, 4)
    a = x.numpy()
    assert any(np.array_equal(a[:, i:i + 3, j:j + 4], out.numpy()) for i in range(3) for j in range(3))


@given(img=images, p=st.sampled_from([0.0, 1.0]))
@settings(max_examples=20, deadline=None)
def test_random_horizontal_flip_with_p_0_or_1(img, p):
    out = T.RandomHorizontalFlip(p)(img)
    np.testing.assert_array_equal(out, img[:, ::-1] if p == 1.0 else img)


def test_random_horizontal_flip_flips_about_half_the_time_and_is_seeded():
    img = np.arange(4, dtype=np.uint8).reshape(1, 4)
    minigrad.manual_seed(0)
    flips = [bool(T.RandomHorizontalFlip()(img)[0, 0] == 3) for _ in range(400)]
    minigrad.manual_seed(0)
    again = [bool(T.RandomHorizontalFlip()(img)[0, 0] == 3) for _ in range(400)]
    assert flips == again and 150 < sum(flips) < 250


def test_horizontal_flip_of_a_tensor_reverses_the_width_axis():
    x = minigrad.arange(12, dtype=minigrad.float32).reshape(1, 3, 4)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(x).numpy(), x.numpy()[..., ::-1])


def test_compose_applies_in_order_and_lambda_wraps_a_function():
    pipeline = T.Compose([T.Lambda(lambda a: a + 1), T.Lambda(lambda a: a * 10)])
    assert pipeline(np.array([1, 2])).tolist() == [20, 30]
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)


def test_classic_cifar_pipeline_gives_normalised_chw_tensor():
    img = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    pipeline = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                          T.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))])
    out = pipeline(img)
    assert out.shape == (3, 32, 32) and out.dtype == minigrad.float32
    assert float(out.numpy().min()) >= -2.0 and float(out.numpy().max()) <= 2.0


# ---- batched helpers -----------------------------------------------------------------------------
def test_to_tensor_batch_equals_per_image_to_tensor():
    imgs = np.random.default_rng(1).integers(0, 256, (5, 4, 6, 3), dtype=np.uint8)
    batch = T.to_tensor_batch(imgs).numpy()
    np.testing.assert_array_equal(batch, np.stack([T.ToTensor()(i).numpy() for i in imgs]))
    grey = T.to_tensor_batch(imgs[..., 0])
    assert grey.shape == (5, 1, 4, 6)


@given(n=st.integers(1, 6), size=st.integers(1, 6), padding=st.integers(0, 2), seed=st.integers(0, 100))
@settings(max_examples=30, deadline=None)
def test_random_crop_batch_takes_one_window_per_image(n, size, padding, seed):
    x = np.random.default_rng(seed).random((n, 2, 5, 6)).astype(np.float32)
    rng = np.random.default_rng(seed)
    if size > 5 + 2 * padding:
        return
    out = T.random_crop_batch(minigrad.tensor(x), size, padding=padding, generator=rng)
    assert out.shape == (n, 2, size, size)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 5 + 2 * padding - size + 1, size=n)
    cols = rng.integers(0, 6 + 2 * padding - size + 1, size=n)
    for k in range(n):
        np.testing.assert_array_equal(out.numpy()[k], padded[k, :, rows[k]:rows[k] + size, cols[k]:cols[k] + size])


def test_random_horizontal_flip_batch_flips_each_image_independently():
    x = np.arange(8 * 1 * 2 * 3, dtype=np.float32).reshape(8, 1, 2, 3)
    out = T.random_horizontal_flip_batch(x, generator=np.random.default_rng(4))
    flipped = np.random.default_rng(4).random(8) < 0.5
    assert 0 < flipped.sum() < 8
    for k in range(8):
        np.testing.assert_array_equal(out[k], x[k, ..., ::-1] if flipped[k] else x[k])


def test_normalize_batch_normalises_the_channel_dim():
    x = np.ones((2, 3, 2, 2), np.float32)
    out = T.normalize_batch(minigrad.tensor(x), [0.0, 0.5, 1.0], [1.0, 0.5, 2.0]).numpy()
    assert out[:, :, 0, 0].tolist() == [[1.0, 1.0, 0.0]] * 2


# ---- PIL images, as torchvision's datasets return them (when Pillow is installed) --------------------
def test_pil_images_go_through_to_tensor_crop_and_flip_like_arrays():
    Image = pytest.importorskip("PIL.Image")
    rgb = np.random.default_rng(2).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    for array, mode in ((rgb, "RGB"), (rgb[..., 0], "L")):
        pic = Image.fromarray(array, mode=mode)
        np.testing.assert_array_equal(T.ToTensor()(pic).numpy(), T.ToTensor()(array).numpy())
        minigrad.manual_seed(4)
        cropped = T.RandomCrop(4, padding=1)(pic)
        minigrad.manual_seed(4)
        assert isinstance(cropped, Image.Image) and cropped.mode == mode
        np.testing.assert_array_equal(np.asarray(cropped), T.RandomCrop(4, padding=1)(array))
        np.testing.assert_array_equal(np.asarray(T.RandomHorizontalFlip(1.0)(pic)), array[:, ::-1])


def test_torchvision_style_dataset_of_pil_images_loads_in_batches():
    Image = pytest.importorskip("PIL.Image")
    from minigrad.data import DataLoader, default_collate
    arrays = np.random.default_rng(3).integers(0, 256, (5, 4, 4), dtype=np.uint8)
    pil_dataset = [(Image.fromarray(a, mode="L"), k) for k, a in enumerate(arrays)]
    images, labels = default_collate(pil_dataset[:3])
    assert images.dtype == minigrad.uint8 and images.shape == (3, 4, 4)
    np.testing.assert_array_equal(images.numpy(), arrays[:3])

    class WithTransform:
        def __len__(self):
            return len(pil_dataset)

        def __getitem__(self, i):
            img, label = pil_dataset[i]
            return T.ToTensor()(img), label

    x, y = next(iter(DataLoader(WithTransform(), batch_size=5, num_workers=1)))
    assert x.shape == (5, 1, 4, 4) and y.tolist() == [0, 1, 2, 3, 4]


# ---- resampling weights against torch's interpolate (torch only; the full transforms are checked against
# torchvision in test_transforms_torchvision.py) -------------------------------------------------------------
@pytest.mark.parametrize("mode, antialias", [("nearest", False), ("nearest-exact", False), ("bilinear", False),
                                             ("bicubic", False), ("bilinear", True), ("bicubic", True)])
def test_resize_weights_are_torch_interpolate_of_unit_images(torch, mode, antialias):
    from minigrad.data.image_kernels import resize_weights
    kwargs = {} if mode.startswith("nearest") else {"align_corners": False, "antialias": antialias}
    for in_size in range(2, 9):
        for out_size in range(1, 13):
            # column k of interpolate(identity) is the resampled unit image e_k: the weight matrix itself
            unit = torch.eye(in_size, dtype=torch.float64)[None, None]
            expected = torch.nn.functional.interpolate(unit, size=(out_size, in_size), mode=mode, **kwargs)
            np.testing.assert_allclose(resize_weights(in_size, out_size, mode, antialias), expected[0, 0].numpy(),
                                       atol=1e-12)


def test_resize_keeps_layout_and_rounds_uint8_per_pass():
    x = np.array([[0, 255], [255, 0]], np.uint8)
    out = T.Resize((4, 4), interpolation=T.InterpolationMode.BILINEAR)(x)
    assert out.dtype == np.uint8 and out.shape == (4, 4)
    assert out[0].tolist() == [0, 64, 191, 255] and (out == out[::-1, ::-1]).all()
    assert T.Resize(2)(minigrad.zeros(3, 4, 6)).shape == (3, 2, 3)     # the smaller edge becomes 2
    assert T.Resize([3, 5], interpolation="nearest")(np.zeros((4, 6, 3), np.uint8)).shape == (3, 5, 3)


@pytest.mark.parametrize("transform", [
    lambda img: T.rotate(img, 33.0, T.InterpolationMode.BILINEAR, expand=True, fill=[5, 6, 7]),
    lambda img: T.affine(img, 10.0, [1, -2], 0.9, [5.0, 3.0]),
    lambda img: T.gaussian_blur(img, [3, 5], [0.8, 1.3]),
    lambda img: T.adjust_hue(T.adjust_saturation(T.adjust_contrast(img, 0.7), 1.4), 0.2),
    lambda img: T.resized_crop(img, 1, 2, 6, 5, [9, 4], T.InterpolationMode.BICUBIC),
    lambda img: T.Grayscale(3)(img),
])
def test_an_hwc_array_goes_through_the_tensor_formula(transform):
    """(H, W, C) arrays (minigrad's datasets without a transform) get what the (C, H, W) tensor gets."""
    hwc = np.random.default_rng(4).integers(0, 256, (8, 9, 3), dtype=np.uint8)
    from_array = transform(hwc)
    from_tensor = transform(minigrad.tensor(hwc.transpose(2, 0, 1).copy())).numpy()
    assert isinstance(from_array, np.ndarray) and from_array.dtype == np.uint8
    np.testing.assert_array_equal(from_array, from_tensor.transpose(1, 2, 0))
