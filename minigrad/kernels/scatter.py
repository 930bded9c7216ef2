"""Scatter-add on raw arrays (NumPy or CuPy): the one routine behind ``ScatterAdd`` (the backward of
``gather``) and the flat-index scatter of adaptive max pooling (``pool.flat_scatter_add``)."""
from __future__ import annotations

import math

from ..backend import xp


def scatter_add(values, dim: int, index, shape: tuple):
    """Zeros of ``shape`` with ``values`` added at ``index`` along ``dim``, repeated indices summed:
    out[i][index[i][j][k]][k] += values[i][j][k] for dim 1 (``index`` may be smaller than ``shape``
    along the other dims, as torch allows).

    One ``bincount`` over flat offsets into the C-ordered result (much faster than ``add.at``; CuPy's
    ``bincount`` accumulates with atomics).
    """
    module = xp(values)
    ndim = len(shape)
    flat = None
    element_stride = 1
    for axis in reversed(range(ndim)):  # flat offset = sum over axes of coordinate * element stride
        if axis == dim:
            coordinate = index
        else:
            coordinate = module.arange(index.shape[axis], dtype=module.int64).reshape(
                [-1 if a == axis else 1 for a in range(ndim)])
        term = coordinate * element_stride if element_stride != 1 else coordinate
        flat = term if flat is None else flat + term
        element_stride *= shape[axis]
    if flat is None:  # a 0-d result: every value lands on its one entry
        flat = module.zeros(index.shape, dtype=module.int64)
    summed = module.bincount(flat.ravel(), weights=values.ravel(), minlength=math.prod(shape))
    return summed.astype(values.dtype, copy=False).reshape(shape)
