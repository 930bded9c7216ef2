"""Lazy modules: layers whose input size (``in_features``, ``in_channels``, ``num_features``) is read
from the first input, as torch's ``LazyModuleMixin`` (``torch/nn/modules/lazy.py``).

Until the first forward their parameters and buffers are ``UninitializedParameter`` /
``UninitializedBuffer`` objects (listed by ``parameters()`` and ``state_dict()``, shapeless). The
first call runs ``initialize_parameters(input)`` from a forward pre-hook: it materialises them in
place (the same objects, so an optimiser built earlier keeps working), runs the regular module's
``reset_parameters`` (the same initialisation, and the same random draws for a given seed, as the
regular module built with that input size), and the module becomes ``cls_to_become``:
``type(LazyLinear(3)) is Linear`` after its first forward. Loading a state dict with real tensors
into a lazy module materialises its parameters to the stored shapes.

    >>> m = LazyLinear(4)
    >>> _ = m(minigrad.ones(2, 3)); type(m).__name__, m.in_features, tuple(m.weight.shape)
    ('Linear', 3, (4, 3))
"""
from __future__ import annotations

from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
           "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class LazyModuleMixin:
    """Infers the module's parameters' shapes from its first input (``initialize_parameters``), then
    turns the module into ``cls_to_become``."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def has_uninitialized_params(self) -> bool:
        """Does any parameter or buffer still wait for its shape?"""
        return any(is_lazy(t) for t in list(self._parameters.values()) + list(self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def _infer_parameters(self, module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {type(self).__name__} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # an uninitialised tensor is stored as itself (it has no values to detach)
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if (keep_vars or is_lazy(param)) else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if (keep_vars or is_lazy(buf)) else buf.detach()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs, assign=False):
        # torch's _lazy_load_hook: a stored tensor gives an uninitialised one its shape; an uninitialised
        # one stored for an uninitialised one is skipped (there is nothing to copy)
        skipped = []
        for name, param in list(self._parameters.items()) + list(self._buffers.items()):
            key = prefix + name
            if key in state_dict and is_lazy(param):
                if is_lazy(state_dict[key]):
                    skipped.append(key)
                else:
                    param.materialize(tuple(state_dict[key].shape))
        if skipped:
            state_dict = type(state_dict)((k, v) for k, v in state_dict.items() if k not in skipped)
        before = len(missing_keys)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs, assign)
        missing_keys[before:] = [k for k in missing_keys[before:] if k not in skipped]


# ---- Linear -----------------------------------------------------------------------------------

class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last dim of its first input.

    >>> LazyLinear(5)(minigrad.ones(2, 7)).shape
    minigrad.Size([2, 5])
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(0, 0, False, device=device, dtype=dtype)   # no bias: nothing drawn now
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        if self.in_features == 0:   # loaded from a state dict before the first forward (torch sets it here)
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                                     f"in_features from self.weight: {self.weight.shape[-1]}")
            self.in_features = input.shape[-1]


# ---- convolutions -----------------------------------------------------------------------------

class _LazyConvMixin(LazyModuleMixin):
    def _lazy_parameters(self, out_channels: int, bias: bool, device, dtype) -> None:
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input) -> int:
        unbatched, batched = self._dims + 1, self._dims + 2
        if input.dim() not in (unbatched, batched):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {batched}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.dim() == batched else input.shape[0]

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups) + tuple(self.kernel_size)
            else:
                shape = (self.out_channels, self.in_channels // self.groups) + tuple(self.kernel_size)
            self.weight.materialize(shape)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


def _lazy_conv(regular):
    class LazyConv(_LazyConvMixin, regular):
        cls_to_become = regular

        def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                     bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
            # in_channels 0 and no bias: nothing drawn now (the weight is replaced below)
            super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode,
                             device=device, dtype=dtype)
            self._lazy_parameters(out_channels, bias, device, dtype)
    return LazyConv


def _lazy_conv_transpose(regular):
    class LazyConvTranspose(_LazyConvMixin, regular):
        cls_to_become = regular

        def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0, groups: int = 1,
                     bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None, dtype=None):
            super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
                             padding_mode, device=device, dtype=dtype)
            self._lazy_parameters(out_channels, bias, device, dtype)
    return LazyConvTranspose


def _named(cls, name: str, regular):
    cls.__name__ = cls.__qualname__ = name
    cls.__module__ = __name__
    cls.__doc__ = (f"``{regular.__name__}`` whose ``in_channels`` is read from its first input "
                   f"(dim 1, or dim 0 when unbatched); it becomes a ``{regular.__name__}`` then.")
    return cls


LazyConv1d = _named(_lazy_conv(Conv1d), "LazyConv1d", Conv1d)
LazyConv2d = _named(_lazy_conv(Conv2d), "LazyConv2d", Conv2d)
LazyConv3d = _named(_lazy_conv(Conv3d), "LazyConv3d", Conv3d)
LazyConvTranspose1d = _named(_lazy_conv_transpose(ConvTranspose1d), "LazyConvTranspose1d", ConvTranspose1d)
LazyConvTranspose2d = _named(_lazy_conv_transpose(ConvTranspose2d), "LazyConvTranspose2d", ConvTranspose2d)
LazyConvTranspose3d = _named(_lazy_conv_transpose(ConvTranspose3d), "LazyConvTranspose3d", ConvTranspose3d)


# ---- batch and instance norm ------------------------------------------------------------------

class _LazyNormMixin(LazyModuleMixin):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
        # affine and track_running_stats off: nothing of size 0 is made; the uninitialised ones follow
        super().__init__(0, eps, momentum, False, False, device, dtype)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            from ...autograd.creation import tensor
            from ... import dtypes
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = tensor(0, dtype=dtypes.int64, device=device)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]   # torch's rule, also for an unbatched instance norm input
            if self.affine:
                self.weight.materialize((self.num_features,))
                self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean.materialize((self.num_features,))
                self.running_var.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(regular, name: str):
    cls = type(name, (_LazyNormMixin, regular), {"cls_to_become": regular})
    cls.__module__ = __name__
    cls.__doc__ = (f"``{regular.__name__}`` whose ``num_features`` is ``input.shape[1]`` of its first input; "
                   f"it becomes a ``{regular.__name__}`` then (affine and track_running_stats default to True).")
    return cls


LazyBatchNorm1d = _lazy_norm(BatchNorm1d, "LazyBatchNorm1d")
LazyBatchNorm2d = _lazy_norm(BatchNorm2d, "LazyBatchNorm2d")
LazyBatchNorm3d = _lazy_norm(BatchNorm3d, "LazyBatchNorm3d")
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d, "LazyInstanceNorm1d")
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d, "LazyInstanceNorm2d")
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d, "LazyInstanceNorm3d")
