"""Window geometry: every output-size and padding formula of convolution and pooling, and one legend.

Legend, for the whole package (shape comments in every file use these letters):

    N    batch (n: one chunk of it)           L    leading dims of a pooling: (N, C), or (C,) unbatched
    C    channels; Cx, Cy those of a convolution's input x and output y
    G    groups; Cxg = Cx / G, Cyg = Cy / G
    d    the number of spatial dims (1, 2 or 3); each letter below is a d-tuple, one entry per dim
    S    input spatial sizes, unpadded
    Sp   padded input sizes, S + before + after
    K    kernel sizes; as a factor in a shape, their product prod(K)
    O    output sizes, the number of windows along each dim; P = prod(O), the number of windows
    F    full size, the extent that the O windows cover: (O - 1)*stride + dilation*(K - 1) + 1
    k    a kernel offset (k1, .., kd); k# its row-major number in 0 .. prod(K) - 1

Window o reads the input at ``o*stride - before + k*dilation`` along each dim: the convolution
``x -> y``, its transpose ``y -> x``, its weight gradient and every pooling describe one geometry,
``WindowGeometry``. ``before`` is ``padding``; ``after = F - S - before`` is derived, and negative
when the last rows of the input are read by no window (they are cut; as zeros in a transpose).

The formulas, per spatial dim (``//`` rounds towards minus infinity):

    one window's extent        dilation*(K - 1) + 1                     (``dilated_kernel_size``)
    windows of a padded input  O = (Sp - dilation*(K - 1) - 1) // stride + 1      (``windows_along``)
    convolution                O = (S + 2*padding - dilation*(K - 1) - 1) // stride + 1
    full size                  F = (O - 1)*stride + dilation*(K - 1) + 1            (``full_size``)
    transposed convolution     S = F - 2*padding + output_padding
                                 = (O - 1)*stride - 2*padding + dilation*(K - 1) + output_padding + 1
    padding='same' (stride 1)  dilation*(K - 1) zeros, total // 2 before, the odd one after
    pooling                    O = floor_or_ceil((S + 2*padding - dilation*(K - 1) - 1) / stride) + 1,
                               and with ceil_mode the last window must start inside the input or the
                               left padding: O -= 1 when (O - 1)*stride >= S + padding
    adaptive pooling           bin i covers [floor(i*S/O), ceil((i + 1)*S/O))

Sources: the convolution and transposed-convolution relations of Dumoulin & Visin, "A guide to
convolution arithmetic for deep learning" (arXiv:1603.07285, sections 2-4); PyTorch's shape rules
in ``torch/_meta_registrations.py`` (``calc_conv_nd_return_shape``: ``_formula`` and
``_formula_transposed``) and ``convolution_same`` in ``aten/src/ATen/native/Convolution.cpp``
(padding='same'); the pooling rule and ceil_mode's correction from PyTorch's
``pooling_output_shape`` in ``aten/src/ATen/native/Pool.h``; adaptive bins from ATen's
``start_index`` / ``end_index`` (``AdaptivePooling.h``).

>>> g = conv_geometry((6,), (3,), (2,), ((0, 0),), (1,))   # the last input entry is read by no window
>>> g.output_size, g.full_size, g.pads
((2,), (5,), ((0, -1),))
"""
from __future__ import annotations

import itertools
import math


# ---- the formulas, per spatial dim ------------------------------------------------------------

def dilated_kernel_size(kernel: int, dilation: int) -> int:
    """The extent of one window: dilation*(K - 1) + 1."""
    return dilation * (kernel - 1) + 1


def windows_along(padded_size: int, kernel: int, stride: int, dilation: int) -> int:
    """O along one dim of an already padded input: (Sp - dilation*(K - 1) - 1) // stride + 1."""
    return (padded_size - dilation * (kernel - 1) - 1) // stride + 1


def windows_output_size(padded_size: tuple, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """O per dim for an already padded input of sizes Sp."""
    return tuple(windows_along(s, k, st, dl) for s, k, st, dl in zip(padded_size, kernel, stride, dilation))


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """A convolution's O: (S + 2*padding - dilation*(K - 1) - 1) // stride + 1."""
    return windows_along(size + 2 * padding, kernel, stride, dilation)


def full_size(windows: int, kernel: int, stride: int, dilation: int) -> int:
    """F: the extent that O windows cover, (O - 1)*stride + dilation*(K - 1) + 1."""
    return (windows - 1) * stride + dilation * (kernel - 1) + 1


def conv_transpose_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                               output_padding: int = 0, dilation: int = 1) -> int:
    """A transposed convolution's output size, of its input O = ``size``: F - 2*padding + output_padding."""
    return full_size(size, kernel, stride, dilation) - 2 * padding + output_padding


def offset_slice(k: int, stride: int, dilation: int, windows: int) -> slice:
    """Along one dim, the input entries that kernel offset k reads in each of O windows, in order."""
    return slice(k * dilation, k * dilation + (windows - 1) * stride + 1, stride)


def same_padding(kernel: tuple, dilation: tuple) -> tuple:
    """padding='same': dilation*(K - 1) zeros per dim as (before, after), the odd one after
    (ATen's ``convolution_same``)."""
    totals = tuple(dl * (k - 1) for k, dl in zip(kernel, dilation))
    return tuple((total // 2, total - total // 2) for total in totals)


def pooling_windows(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """Pool.h's count before ceil_mode's correction: floor_or_ceil((S + 2p - dil*(K-1) - 1) / s) + 1."""
    numerator = size + 2 * padding - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)
    return numerator // stride + 1   # div_rtn: rounds towards minus infinity, as Python's //


def starts_in_right_padding(window: int, stride: int, size: int, padding: int) -> bool:
    """Does window ``window`` (0-based) start past the input and its left padding: window*s >= S + p?"""
    return window * stride >= size + padding


def pooling_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """Outputs along one dim, PyTorch's ``pooling_output_shape`` (aten/src/ATen/native/Pool.h): in
    ceil_mode a last window that would start in the right padding is dropped."""
    out = pooling_windows(size, kernel, stride, padding, dilation, ceil_mode)
    if ceil_mode and starts_in_right_padding(out - 1, stride, size, padding):
        out -= 1
    return out


def adaptive_bins(in_size: int, out_size: int):
    """Bin i covers [floor(i*S/O), ceil((i+1)*S/O)) (ATen's start_index / end_index): (starts, ends)."""
    starts = [(i * in_size) // out_size for i in range(out_size)]
    ends = [-((-(i + 1) * in_size) // out_size) for i in range(out_size)]
    return starts, ends


# ---- the geometry type ------------------------------------------------------------------------

class WindowGeometry:
    """The windows of a convolution or a pooling over spatial sizes S: kernel K, stride, padding
    (``before``, per dim), dilation, groups, output sizes O, and the full size F they cover.

    ``WindowGeometry(S, K, stride, padding, dilation, ceil_mode=False, output_size=None, groups=1)``;
    without ``output_size``, O is the pooling rule (the convolution rule when ``ceil_mode`` is off).
    The convolution primitives (Conv, ConvTranspose, ConvWeightGrad) and the pooling primitives carry
    one, and the kernels take it. Immutable by convention; built once per call, so kept cheap.
    """

    __slots__ = ("input_size", "kernel", "stride", "padding", "dilation", "groups", "output_size", "full_size")

    def __init__(self, input_size, kernel, stride, padding, dilation, ceil_mode=False, output_size=None,
                 groups: int = 1):
        self.input_size = tuple(input_size)
        self.kernel, self.stride = tuple(kernel), tuple(stride)
        self.padding, self.dilation = tuple(padding), tuple(dilation)
        self.groups = groups
        if output_size is None:
            output_size = tuple(pooling_output_size(*a, ceil_mode) for a in zip(
                self.input_size, self.kernel, self.stride, self.padding, self.dilation))
        self.output_size = tuple(output_size)
        self.full_size = tuple(full_size(o, k, s, dl) for o, k, s, dl in zip(
            self.output_size, self.kernel, self.stride, self.dilation))

    def __repr__(self):
        groups = f", groups={self.groups}" if self.groups != 1 else ""
        return (f"WindowGeometry(S={self.input_size}, K={self.kernel}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}{groups}, O={self.output_size})")

    @property
    def ndim(self) -> int:
        return len(self.kernel)

    @property
    def kernel_numel(self) -> int:
        return math.prod(self.kernel)

    @property
    def pads(self) -> tuple:
        """((before, after), ..) per dim, after = F - S - before (negative: the unread tail is cut)."""
        return tuple((p, f - s - p) for p, f, s in zip(self.padding, self.full_size, self.input_size))

    def overlapping(self) -> bool:
        """Do two windows share an input position (stride shorter than the dilated kernel)?"""
        return any(s < dilated_kernel_size(k, dl) for s, dl, k in zip(self.stride, self.dilation, self.kernel))

    def needs_padding(self) -> bool:
        """Do the windows read outside the input (padding, or ceil_mode's overhang on the right)?"""
        return any(p > 0 for p in self.padding) or any(
            f > p + s for f, p, s in zip(self.full_size, self.padding, self.input_size))

    def pointwise(self) -> bool:
        """1x1 kernel, stride 1, no padding: a convolution is then a plain matrix product per sample."""
        return (all(k == 1 for k in self.kernel) and all(s == 1 for s in self.stride)
                and all(p == 0 for p in self.padding) and self.full_size == self.input_size)

    def offsets(self):
        """Kernel offsets k in row-major order (its position in this list is k#)."""
        return itertools.product(*(range(k) for k in self.kernel))

    def offset_slices(self, offset) -> tuple:
        """Basic slices that pick, for kernel offset k, entry k of every window of an (L, *F) array."""
        return (Ellipsis,) + tuple(offset_slice(k, s, dl, o) for k, dl, s, o in zip(
            offset, self.dilation, self.stride, self.output_size))


def conv_geometry(input_size: tuple, kernel: tuple, stride: tuple, pads: tuple, dilation: tuple,
                  groups: int = 1) -> WindowGeometry:
    """The geometry of a convolution of an input of sizes S padded by ``pads`` ((before, after), ..)."""
    output_size = tuple(windows_along(s + b + a, k, st, dl)
                        for s, (b, a), k, st, dl in zip(input_size, pads, kernel, stride, dilation))
    return WindowGeometry(input_size, kernel, stride, tuple(b for b, _ in pads), dilation,
                          output_size=output_size, groups=groups)


def conv_transpose_geometry(output_size: tuple, kernel: tuple, stride: tuple, pads: tuple, dilation: tuple,
                            groups: int = 1) -> WindowGeometry:
    """The geometry of the convolution whose transpose maps O = ``output_size`` to S = F - before - after."""
    input_size = tuple(full_size(o, k, st, dl) - b - a
                       for o, (b, a), k, st, dl in zip(output_size, pads, kernel, stride, dilation))
    return WindowGeometry(input_size, kernel, stride, tuple(b for b, _ in pads), dilation,
                          output_size=output_size, groups=groups)
