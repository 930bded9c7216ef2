"""Tests of minigrad/kernels/geometry.py (the window geometry and its formulas) and
minigrad/kernels/scatter.py, against torch's shapes and NumPy's ``add.at``."""
import numpy as np
from hypothesis import given, settings, strategies as st

from minigrad.kernels import geometry
from minigrad.kernels.scatter import scatter_add


# per dim: kernel, stride, dilation, zeros before, zeros after, input entries beyond one window
_DIM = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(0, 3), st.integers(0, 3),
                 st.integers(0, 6))


@st.composite
def conv_cases(draw):
    kernel, stride, dilation, before, after, extra = zip(*draw(st.lists(_DIM, min_size=1, max_size=3)))
    pads = tuple(zip(before, after))
    spatial = tuple(max(1, geometry.dilated_kernel_size(k, dl) - b - a + e)
                    for k, dl, b, a, e in zip(kernel, dilation, before, after, extra))
    return spatial, kernel, stride, pads, dilation


@settings(max_examples=200)
@given(case=conv_cases())
def test_transposed_geometry_of_a_conv_gives_back_its_input_size(case):
    """The pads of a conv's geometry (after = F - S - before) make its transpose map O back to S."""
    spatial, kernel, stride, pads, dilation = case
    conv = geometry.conv_geometry(spatial, kernel, stride, pads, dilation)
    back = geometry.conv_transpose_geometry(conv.output_size, kernel, stride, conv.pads, dilation)
    assert back.input_size == spatial and back.output_size == conv.output_size and back.pads == conv.pads
    for (b, a), (b2, a2) in zip(pads, conv.pads):  # only the rows read by no window are cut
        assert b2 == b and 0 <= a - a2 < max(stride)


@settings(max_examples=100)
@given(size=st.integers(1, 12), kernel=st.integers(1, 5), stride=st.integers(1, 4), padding=st.integers(0, 2),
       dilation=st.integers(1, 3), output_padding=st.integers(0, 3))
def test_output_sizes_match_torch(torch, size, kernel, stride, padding, dilation, output_padding):
    import torch.nn.functional as TF
    x = torch.zeros(1, 1, size)
    if size + 2 * padding >= geometry.dilated_kernel_size(kernel, dilation):
        out = TF.conv1d(x, torch.zeros(1, 1, kernel), stride=stride, padding=padding, dilation=dilation)
        assert out.shape[-1] == geometry.conv_output_size(size, kernel, stride, padding, dilation)
    if output_padding < max(stride, dilation) and geometry.conv_transpose_output_size(
            size, kernel, stride, padding, output_padding, dilation) >= 1:
        out = TF.conv_transpose1d(x, torch.zeros(1, 1, kernel), stride=stride, padding=padding,
                                  output_padding=output_padding, dilation=dilation)
        assert out.shape[-1] == geometry.conv_transpose_output_size(size, kernel, stride, padding, output_padding,
                                                                    dilation)
    if padding <= kernel // 2:
        for ceil_mode in (False, True):
            expected = geometry.pooling_output_size(size, kernel, stride, padding, dilation, ceil_mode)
            if expected >= 1:
                out = TF.max_pool1d(x, kernel, stride, padding, dilation, ceil_mode)
                assert out.shape[-1] == expected


@settings(max_examples=100)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_scatter_add_matches_add_at(shape, data):
    shape = tuple(shape)
    dim = data.draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(data.draw(st.integers(1, 5)) if a == dim else data.draw(st.integers(1, s))
                        for a, s in enumerate(shape))
    rng = np.random.default_rng(len(shape) * 10 + dim)
    index = rng.integers(0, shape[dim], size=index_shape)
    values = rng.standard_normal(index_shape)
    expected = np.zeros(shape)
    positions = list(np.indices(index_shape))
    positions[dim] = index
    np.add.at(expected, tuple(positions), values)
    np.testing.assert_allclose(scatter_add(values, dim, index, shape), expected, rtol=1e-12, atol=1e-12)
