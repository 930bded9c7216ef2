"""``channel_shuffle`` (Zhang et al., ShuffleNet, arXiv:1707.01083): interleave the channels of ``groups``
groups, a reshape-transpose-reshape. (``pixel_shuffle``, which moves channels into space, is in sampling.)
"""
from __future__ import annotations

from ...autograd.tensor import Tensor

__all__ = ["channel_shuffle"]


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) -> (N, g, C/g, *) -> transpose groups and members -> (N, C, *)."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    channels = input.shape[1]
    if channels % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {channels} channels and "
                           f"{groups} groups.")
    n, rest = input.shape[0], tuple(input.shape[2:])
    grouped = input.reshape((n, groups, channels // groups) + rest)               # (N, g, C/g, *)
    return grouped.transpose(1, 2).reshape((n, channels) + rest)                  # (N, C/g, g, *) -> (N, C, *)
