"""Differentiable collectives, as ``torch.distributed.nn.functional``.

``all_reduce`` (sum) returns a new tensor holding the sum over ranks of ``tensor``. When every rank's
loss depends on that sum, the gradient reaching one rank's input is the sum over ranks of the
gradients reaching their outputs, so the backward of an all-reduce is again an all-reduce. Every
rank must call the backward of these collectives in the same order, as it calls the forward.
"""
from __future__ import annotations

from ...autograd.function import Primitive
from .. import process_group as _pg
from ..backends import ReduceOp


class AllReduceSum(Primitive):
    """out = sum over ranks of x; its backward is AllReduceSum of the gradient."""

    @staticmethod
    def forward(ctx, x):
        out = x.copy()
        _pg._backend().all_reduce(out, ReduceOp.SUM)
        return out

    @staticmethod
    def backward(ctx, grad):
        return AllReduceSum.apply(grad)


def all_reduce(tensor, op=ReduceOp.SUM, group=None):
    """The sum over ranks of ``tensor`` as a new tensor, differentiable (only ``ReduceOp.SUM``)."""
    _pg._check_group(group)
    if op != ReduceOp.SUM:
        raise NotImplementedError("minigrad.distributed.nn.functional.all_reduce differentiates ReduceOp.SUM only")
    return AllReduceSum.apply(tensor)
