"""``DistributedDataParallel``: one model per process, the same weights on every rank, gradients
averaged across ranks after each ``backward()``.

Why averaging is right: with the loss of a batch a mean over its samples, a global batch of k * b
samples split into k shards of b gives

    grad (1/(k b)) sum_i loss_i  =  (1/k) sum_r [ grad (1/b) sum_{i in shard r} loss_i ]

so the mean of the k ranks' gradients is the big-batch gradient, and k optimisers that start from the
same weights and apply the same gradient stay identical without ever sending weights again.

How: the constructor checks that every rank has the same parameters (names, shapes, dtypes) and copies
rank 0's parameters and buffers to all. A hook on each parameter notes that a backward has begun and
queues one callback with the autograd engine (``queue_callback``); when the walk ends the callback
packs the gradients into buckets of at most ``bucket_cap_mb`` (in reverse parameter order, as torch,
by dtype and device), all-reduces every bucket (started together, awaited in order), and writes the
averages back. A parameter with no gradient on a rank counts as zero there, so a branch one rank did
not use cannot leave the others waiting; it keeps ``grad=None`` only if no rank used it (each bucket
carries one "used" count per parameter for this).
"""
from __future__ import annotations

import contextlib

from ...autograd.tensor import Tensor
from ...backend import xp
from ..modules.module import Module

_DEFAULT_BUCKET_CAP_MB = 25


class DistributedDataParallel(Module):
    """``torch.nn.parallel.DistributedDataParallel``: wrap ``module`` (already on its device) after
    ``minigrad.distributed.init_process_group``.

    Args:
        module: the model; kept as ``self.module``, so state-dict keys start with ``module.``.
        broadcast_buffers: copy rank 0's buffers (BatchNorm's running statistics) to every rank at the
            start of each forward that records a graph, as torch does.
        bucket_cap_mb: the most megabytes of gradients all-reduced in one message (default 25).
        device_ids, output_device, dim, find_unused_parameters, gradient_as_bucket_view, static_graph:
            accepted for torch's signature; a missing gradient is always handled (as zero).

    ``no_sync()``: the backward of a forward run inside it is not averaged (gradient accumulation);
    the first forward-backward outside it averages everything accumulated. Calling ``self.module``
    directly also skips the averaging, as in torch.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False, **kwargs):
        super().__init__()
        from ... import distributed as dist
        if not dist.is_initialized():
            raise ValueError("Default process group has not been initialized, please make sure to call "
                             "init_process_group.")
        dist.process_group._check_group(process_group)
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.bucket_cap_mb = _DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb
        self.find_unused_parameters, self.static_graph = find_unused_parameters, static_graph
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim
        self.require_backward_grad_sync = True
        self._world = dist.process_group._backend()
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._parameters_to_sync = [p for _, p in named]
        self._buffers_to_sync = [b for _, b in module.named_buffers() if b is not None]
        self._verify_same_parameters(named)
        self._sync_from_rank0(list(module.parameters()) + self._buffers_to_sync)
        self._buckets = self._make_buckets(self._parameters_to_sync)
        self._queued = False
        self._expect_hooks = False  # set by a forward that will be followed by a synchronised backward
        self._hook_handles = [p.register_hook(self._on_gradient) for p in self._parameters_to_sync]

    # ---- construction -------------------------------------------------------------------------
    def _verify_same_parameters(self, named) -> None:
        """Every rank compares every rank's (name, shape, dtype) list with rank 0's, so all ranks raise
        the same error, naming the first mismatch."""
        mine = [(name, tuple(p.shape), str(p.dtype)) for name, p in named]
        everyone = self._world.all_gather_object(mine)
        reference = everyone[0]
        for rank, theirs in enumerate(everyone[1:], start=1):
            for k, (ours, other) in enumerate(zip(reference, theirs)):
                if ours != other:
                    raise RuntimeError(
                        f"DistributedDataParallel: the model differs between ranks: parameter {k} is "
                        f"{other[0]!r} with shape {list(other[1])} and dtype {other[2]} on rank {rank}, but "
                        f"{ours[0]!r} with shape {list(ours[1])} and dtype {ours[2]} on rank 0")
            if len(theirs) != len(reference):
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank {rank} has {len(theirs)} "
                                   f"params, while rank 0 has inconsistent {len(reference)} params.")

    def _sync_from_rank0(self, tensors) -> None:
        for t in tensors:
            self._world.broadcast(t._data, 0)
            t._bump_version()

    def _make_buckets(self, parameters):
        """Lists of parameters, reverse order (the order gradients tend to arrive), one dtype and device
        per bucket, each under the cap (the first at most 1 MB, as torch, so that the first message is small)."""
        buckets, current, size = [], [], 0
        cap = min(1 << 20, int(self.bucket_cap_mb * (1 << 20)))
        key = None
        for p in reversed(parameters):
            nbytes = p._data.nbytes
            p_key = (p._data.dtype, p.device)
            if current and (p_key != key or size + nbytes > cap):
                buckets.append(current)
                current, size, cap = [], 0, int(self.bucket_cap_mb * (1 << 20))
            current.append(p)
            size += nbytes
            key = p_key
        if current:
            buckets.append(current)
        return buckets

    # ---- forward ----------------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        from ...autograd.grad_mode import is_grad_enabled
        # As torch, the forward decides: the backward of a forward run inside no_sync() (or of a call of
        # self.module directly) is not averaged; that of a forward outside it is.
        self._expect_hooks = is_grad_enabled() and self.require_backward_grad_sync
        if self.broadcast_buffers and self._buffers_to_sync and self._expect_hooks:
            self._sync_from_rank0(self._buffers_to_sync)
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """The backward passes of forwards run inside accumulate gradients locally, without averaging;
        the first forward-backward after it averages all that was accumulated."""
        previous, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # ---- backward ---------------------------------------------------------------------------------
    def _on_gradient(self, grad):
        if self._expect_hooks and not self._queued:
            from ...autograd.engine import queue_callback
            self._queued = True
            queue_callback(self._average_gradients)
        return None

    def _average_gradients(self) -> None:
        self._queued = self._expect_hooks = False
        pending = [self._start_bucket(bucket) for bucket in self._buckets]
        for bucket, (flat, work) in zip(self._buckets, pending):
            work.wait()
            self._finish_bucket(bucket, flat)

    def _start_bucket(self, bucket):
        """One flat array: the gradients (zeros where missing), then one "used" flag per parameter."""
        first = bucket[0]._data
        module = xp(first)
        sizes = [p._data.size for p in bucket]
        flat = module.zeros(sum(sizes) + len(bucket), dtype=first.dtype)
        offset = 0
        for k, (p, n) in enumerate(zip(bucket, sizes)):
            if p._grad is not None:
                flat[offset:offset + n] = p._grad._data.reshape(-1)
                flat[sum(sizes) + k] = 1
            offset += n
        return flat, self._world.all_reduce(flat, "sum", async_op=True)

    def _finish_bucket(self, bucket, flat) -> None:
        total = flat.size - len(bucket)
        used = flat[total:]
        flat = flat[:total]
        flat /= self._world.size
        offset = 0
        for k, p in enumerate(bucket):
            n = p._data.size
            if float(used[k]) > 0:
                p._grad = Tensor._make(flat[offset:offset + n].reshape(p._data.shape).copy())
            offset += n
