"""Hypothesis strategies for convolution and pooling geometries, shared by the kernel tests."""
import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from minigrad.kernels.geometry import WindowGeometry


@st.composite
def conv_geometries(draw):
    d = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(d))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(d))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(d))
    # padded sizes: at least one window, plus a few rows that may be read by no window
    spatial = tuple(dl * (k - 1) + 1 + draw(st.integers(0, 4 if d < 3 else 2))
                    for k, dl in zip(kernel, dilation))
    groups = draw(st.integers(1, 3))
    channels = groups * draw(st.integers(1, 2))
    batch = draw(st.integers(1, 2))
    layout = draw(st.sampled_from(["contiguous", "strided", "reversed"]))
    return batch, channels, spatial, kernel, stride, dilation, groups, layout


def conv_input(rng, shape, dtype, layout):
    """An input of ``shape`` that is contiguous, a strided view, or a view with negative strides."""
    if layout == "strided":
        big = rng.standard_normal(shape[:-1] + (2 * shape[-1],)).astype(dtype)
        return big[..., ::2]
    if layout == "reversed":
        return rng.standard_normal(shape).astype(dtype)[:, ::-1, ..., ::-1]
    return rng.standard_normal(shape).astype(dtype)


@st.composite
def pool_geometries(draw, dilated=True):
    d = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 4 if d < 3 else 3)) for _ in range(d))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(d))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)       # PyTorch: pad <= kernel / 2
    dilation = tuple(draw(st.integers(1, 2)) if dilated else 1 for _ in range(d))
    ceil_mode = draw(st.booleans())
    spatial = tuple(draw(st.integers(1, 7 if d < 3 else 5)) for _ in range(d))
    geometry = WindowGeometry(spatial, kernel, stride, padding, dilation, ceil_mode)
    assume(all(o >= 1 for o in geometry.output_size))
    lead = draw(st.sampled_from([(2, 3), (1, 1), (3,)]))   # batched (N, C) or unbatched (C,)
    return lead, geometry, ceil_mode


def pool_input(rng, shape, dtype, values):
    if values == "ties":       # few distinct values: many equal maxima
        return rng.integers(-2, 3, size=shape).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    if values == "special":    # NaN, -inf and +inf at random places
        x.flat[rng.integers(0, x.size, size=max(1, x.size // 5))] = np.nan
        x.flat[rng.integers(0, x.size, size=max(1, x.size // 5))] = -np.inf
        x.flat[rng.integers(0, x.size, size=max(1, x.size // 10))] = np.inf
    return x


def every_window_reads_the_input(geometry) -> bool:
    """False for windows that lie wholly in the padding (possible with dilation; PyTorch then writes the
    gradient through an index outside the plane, so there is no reference to compare with)."""
    return all(any(0 <= o * s - p + k * dl < size for k in range(kernel))
               for size, kernel, s, p, dl, out in zip(geometry.input_size, geometry.kernel, geometry.stride,
                                                      geometry.padding, geometry.dilation, geometry.output_size)
               for o in range(out))
