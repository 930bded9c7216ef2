"""``minigrad.linalg``: torch.linalg's norms and SVD, on the primitives of ``minigrad/ops/linalg.py``.

    >>> import minigrad
    >>> a = minigrad.tensor([[3.0, 0.0], [0.0, -4.0]])
    >>> minigrad.linalg.matrix_norm(a, "nuc"), minigrad.linalg.vector_norm(a, float("inf"))
    (tensor(7.), tensor(4.))
"""
from .ops.linalg import linalg_norm as norm
from .ops.linalg import matrix_norm, svdvals, vector_norm
from .ops.linalg import svd as _svd


def svd(A, full_matrices: bool = True):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``; only the reduced SVD (``full_matrices=False``)."""
    return _svd(A, full_matrices)


__all__ = ["norm", "vector_norm", "matrix_norm", "svd", "svdvals"]
