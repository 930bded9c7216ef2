"""Tests of minigrad/nn/modules/dropout.py and nn/functional/dropout.py."""
import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.nn import functional as F


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
def test_dropout_zeroes_a_fraction_p_and_scales_survivors(p):
    x = minigrad.ones(200, 500)
    y = np.asarray(nn.Dropout(p)(x))
    zero_fraction = (y == 0).mean()
    # binomial standard error of the fraction over 100k draws is below 0.0016
    assert abs(zero_fraction - p) < 0.01
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)


def test_dropout_gradient_is_the_same_mask():
    x = minigrad.randn(50, 40, requires_grad=True)
    y = F.dropout(x, 0.3)
    y.sum().backward()
    mask = np.asarray(y.detach()) / np.asarray(x.detach())
    np.testing.assert_allclose(np.asarray(x.grad), mask, rtol=1e-5)


def test_dropout_is_identity_in_eval_mode_and_with_p_one_gives_zeros():
    x = minigrad.randn(10, 10)
    d = nn.Dropout(0.5).eval()
    assert d(x) is x
    assert not np.any(np.asarray(F.dropout(x, 1.0)))


def test_dropout_follows_the_seed():
    minigrad.manual_seed(3)
    a = np.asarray(F.dropout(minigrad.ones(100)))
    minigrad.manual_seed(3)
    b = np.asarray(F.dropout(minigrad.ones(100)))
    np.testing.assert_array_equal(a, b)


def test_dropout2d_zeroes_whole_channels():
    y = np.asarray(nn.Dropout2d(0.5)(minigrad.ones(64, 16, 3, 3)))
    per_channel = y.reshape(64, 16, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.4 < (per_channel[..., 0] == 0).mean() < 0.6


def test_dropout_rejects_bad_probability_with_torch_message(torch):
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError) as mg:
            nn.Dropout(p)
        with pytest.raises(ValueError) as th:
            torch.nn.Dropout(p)
        assert str(mg.value) == str(th.value)


def test_dropout_repr_matches_torch(torch):
    for name in ("Dropout", "Dropout2d", "Dropout1d", "Dropout3d"):
        assert repr(getattr(nn, name)(0.25, inplace=True)) == repr(getattr(torch.nn, name)(0.25, inplace=True))


def test_inplace_dropout_writes_into_input():
    x = minigrad.ones(30, 30)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and (np.asarray(x) == 0).any()


def test_feature_alpha_dropout_drops_whole_channels_and_keeps_mean_and_variance(torch):
    x = minigrad.randn(400, 64, 3)
    layer = nn.FeatureAlphaDropout(0.3)
    assert repr(layer) == repr(torch.nn.FeatureAlphaDropout(0.3))
    out = np.asarray(layer(x))
    saturated = -1.7580993408473766 * ((1 - 0.3) * (1 + 0.3 * 1.7580993408473766 ** 2)) ** -0.5 \
        + ((1 - 0.3) * (1 + 0.3 * 1.7580993408473766 ** 2)) ** -0.5 * 1.7580993408473766 * 0.3
    dropped = np.all(np.isclose(out, saturated), axis=2)                 # a channel is dropped whole
    assert abs(dropped.mean() - 0.3) < 0.02
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02
    layer.eval()
    np.testing.assert_array_equal(np.asarray(layer(x)), np.asarray(x))
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
        F.feature_alpha_dropout(minigrad.ones(3), 0.5, True)
    np.testing.assert_array_equal(np.asarray(F.feature_alpha_dropout(minigrad.ones(2, 3), 1.0, True)), 0)
