"""``LocalResponseNorm`` and ``FractionalMaxPool2d`` / ``FractionalMaxPool3d``: torch.nn's modules
around ``F.local_response_norm`` and ``F.fractional_max_pool2d/3d``."""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["LocalResponseNorm", "FractionalMaxPool2d", "FractionalMaxPool3d"]


class LocalResponseNorm(Module):
    """Normalisation across neighbouring channels; see ``F.local_response_norm``.

    >>> LocalResponseNorm(2)(minigrad.ones(1, 4, 3, 3)).shape
    minigrad.Size([1, 4, 3, 3])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return "{size}, alpha={alpha}, beta={beta}, k={k}".format(**self.__dict__)


def _ntuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _FractionalMaxPoolNd(Module):
    _dims = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                 _random_samples=None):
        super().__init__()
        n, name = self._dims, type(self).__name__
        self.kernel_size = _ntuple(kernel_size, n)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _ntuple(output_size, n) if output_size is not None else None
        self.output_ratio = _ntuple(output_ratio, n) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        function = F.fractional_max_pool2d if self._dims == 2 else F.fractional_max_pool3d
        return function(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                        _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling over (N, C, H, W) or (C, H, W); see ``F.fractional_max_pool2d``.

    >>> FractionalMaxPool2d(3, output_ratio=(0.5, 0.5))(minigrad.randn(1, 2, 10, 10)).shape
    minigrad.Size([1, 2, 5, 5])
    """

    _dims = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling over (N, C, T, H, W) or (C, T, H, W); see ``F.fractional_max_pool3d``."""

    _dims = 3
