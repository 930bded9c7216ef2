"""``SyncBatchNorm``: batch norm whose batch is the union of every rank's batch.

A BatchNorm layer normalises with the mean and variance of the batch it sees. Under data parallelism
each rank sees only its shard of b samples, so plain BatchNorm on k ranks computes k different sets of
statistics and is not the network trained on k * b samples in one process. SyncBatchNorm sums the
per-channel statistics over ranks (two small all-reduces of C numbers each: the sum, which gives the
mean, then the centred sum of squares, which gives the variance), so every rank normalises with the
statistics of the whole global batch and updates the running statistics with them (unbiased over
the global count, as torch). The all-reduces are the differentiable ``distributed.nn.functional.all_reduce``,
so the backward pass sums the statistics' gradients over ranks too, and DDP's averaging then gives
exactly the gradient of the big batch.

Outside a process group, with world size 1, or in eval mode it is ``BatchNorm``.
"""
from __future__ import annotations

from ... import ops
from ...autograd.grad_mode import no_grad
from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


def _world_size() -> int:
    from ... import distributed as dist
    return dist.get_world_size() if dist.is_initialized() else 1


class SyncBatchNorm(_BatchNorm):
    """Batch norm over (N, C, *) input with statistics over the batches of all ranks.

    >>> SyncBatchNorm(3)(minigrad.randn(8, 3, 4, 4)).shape     # one process: BatchNorm
    minigrad.Size([8, 3, 4, 4])
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, input):
        if not self.training or _world_size() == 1:
            return super().forward(input)
        from ...distributed.nn.functional import all_reduce
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data[...] += 1
            self.num_batches_tracked._bump_version()
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        channels = input.shape[1]
        dims = [0] + list(range(2, input.dim()))
        view = (1, channels) + (1,) * (input.dim() - 2)
        count = ops.full((1,), input.numel() // channels, dtype=input.dtype, device=input.device)
        # (C + 1,): every rank's per-channel sums and sample count, summed over ranks
        totals = all_reduce(ops.cat([input.sum(dims), count]))
        n = float(totals[channels].item())
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(input.shape)}")
        mean = totals[:channels] / n
        centred = input - mean.reshape(view)
        var = all_reduce((centred * centred).sum(dims)) / n                    # biased, over the global batch
        out = centred * ops.rsqrt(var + self.eps).reshape(view)
        if self.weight is not None:
            out = out * self.weight.reshape(view)
        if self.bias is not None:
            out = out + self.bias.reshape(view)
        if self.track_running_stats and self.running_mean is not None:
            with no_grad():
                for running, batch in ((self.running_mean, mean), (self.running_var, var * (n / (n - 1)))):
                    running._data[...] = (1 - factor) * running._data + factor * batch._data
                    running._bump_version()
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every ``BatchNorm*d`` replaced by a ``SyncBatchNorm`` holding the same
        parameters (the same objects) and buffers."""
        output = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            output = cls(module.num_features, module.eps, module.momentum, module.affine,
                         module.track_running_stats, process_group)
            if module.affine:
                with no_grad():
                    output.weight = module.weight
                    output.bias = module.bias
            output.running_mean = module.running_mean
            output.running_var = module.running_var
            output.num_batches_tracked = module.num_batches_tracked
            output.training = module.training
        for name, child in module.named_children():
            output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return output
