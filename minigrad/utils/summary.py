"""``summary(model, input_size)``: a per-layer table of a model, like torchinfo's, and a shape explainer.

    >>> import minigrad.nn as nn
    >>> from minigrad.utils import summary
    >>> model = nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 28 * 28, 10))
    >>> info = summary(model, (1, 28, 28), explain=True, verbose=False)
    >>> info.total_params == sum(p.numel() for p in model.parameters())
    True
    >>> print(info.explanations[0])
    0 (Conv2d): input [1, 1, 28, 28] -> output [1, 8, 28, 28]
      H_out = floor((28 + 2*2 - 1*(5-1) - 1)/1) + 1 = 28
      W_out = floor((28 + 2*2 - 1*(5-1) - 1)/1) + 1 = 28

It runs one forward pass on zeros of shape ``(batch_size, *input_size)`` with a forward pre-hook and a
forward hook on every submodule (in eval mode and under ``no_grad``; each module's training flag is
restored afterwards, so BatchNorm running statistics are left untouched), and records per call:

* the output shape,
* the number of parameters the module owns (its own and its children's),
* the multiply-accumulates (MACs) of its matrix products, for one forward pass of the whole batch:

      Linear:           out_elems * in_features
      ConvNd:           out_elems * (in_channels / groups) * prod(kernel_size)
      ConvTransposeNd:  in_elems  * (out_channels / groups) * prod(kernel_size)

  (each input element is multiplied by every weight of its group once). Bias additions and
  elementwise layers count 0, as in torchinfo.
* the memory of its outputs and of its own parameters, in bytes.

Totals: parameters (each shared parameter once), trainable parameters, MACs of the leaf layers,
input size, "forward/backward pass size" = 2 x the bytes of the leaf layers' outputs (each activation
and its gradient), and the parameters' size, in MB (10**6 bytes, as torchinfo).

Before every convolution, transposed convolution and pooling layer runs, the pre-hook works out the
output size with the layer's formula. ``explain=True`` prints that arithmetic with the numbers filled in.
Whether or not ``explain`` is set, a shape that cannot work (a kernel larger than its padded input, an
output size below 1, a Linear whose ``in_features`` differs from what reaches it, e.g. from a Flatten)
raises ``ShapeError`` naming the layer and the arithmetic, before the layer's own less specific error.
The sizes are computed by ``minigrad.kernels.geometry`` (whose docstring gives the formulas and
their sources: Dumoulin & Visin, arXiv:1603.07285; ceil_mode as PyTorch's ``Pool.h``); the functions
below add the arithmetic as text, written in the form PyTorch's docs use (avg pool without the
dilation term, ceil_mode's "the last window must start inside the input or its left padding").
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

from ..kernels import geometry

__all__ = ["summary", "ModelSummary", "LayerInfo", "ShapeError", "conv_output_size",
           "conv_transpose_output_size", "pool_output_size"]

_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


class ShapeError(ValueError):
    """A layer cannot accept the shape that reaches it; the message names the layer and the arithmetic."""


# ---- the formulas, with the arithmetic as text ------------------------------------------------------

def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> tuple:
    """``(O, text)``: a convolution's (or max pool's) output size along one dim and its arithmetic.

    >>> conv_output_size(28, 5, padding=2)
    (28, 'floor((28 + 2*2 - 1*(5-1) - 1)/1) + 1 = 28')
    """
    out = geometry.conv_output_size(size, kernel, stride, padding, dilation)
    return out, f"floor(({size} + 2*{padding} - {dilation}*({kernel}-1) - 1)/{stride}) + 1 = {out}"


def conv_transpose_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                               output_padding: int = 0, dilation: int = 1) -> tuple:
    """``(O, text)`` for a transposed convolution along one dim.

    >>> conv_transpose_output_size(7, 3, stride=2, padding=1, output_padding=1)
    (14, '(7 - 1)*2 - 2*1 + 1*(3-1) + 1 + 1 = 14')
    """
    out = geometry.conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation)
    return out, f"({size} - 1)*{stride} - 2*{padding} + {dilation}*({kernel}-1) + {output_padding} + 1 = {out}"


def pool_output_size(size: int, kernel: int, stride: int, padding: int = 0, dilation: int = 1,
                     ceil_mode: bool = False) -> tuple:
    """``(O, text)`` for max pooling (avg pooling is the same with dilation 1), with ceil_mode's rule.

    >>> pool_output_size(5, 2, 2, ceil_mode=True)
    (3, 'ceil((5 + 2*0 - 1*(2-1) - 1)/2) + 1 = 3')
    >>> pool_output_size(5, 2, 2, padding=1, ceil_mode=True)[1]
    'ceil((5 + 2*1 - 1*(2-1) - 1)/2) + 1 = 4, but (4-1)*2 = 6 >= 5 + 1: the last window would start in the right padding, so 3'
    """
    rounding = "ceil" if ceil_mode else "floor"
    out = geometry.pooling_windows(size, kernel, stride, padding, dilation, ceil_mode)
    text = f"{rounding}(({size} + 2*{padding} - {dilation}*({kernel}-1) - 1)/{stride}) + 1 = {out}"
    if ceil_mode and geometry.starts_in_right_padding(out - 1, stride, size, padding):
        text += (f", but ({out}-1)*{stride} = {(out - 1) * stride} >= {size} + {padding}: the last window "
                 f"would start in the right padding, so {out - 1}")
        out -= 1
    return out, text


def _avg_pool_output_size(size, kernel, stride, padding, ceil_mode):
    out, text = pool_output_size(size, kernel, stride, padding, 1, ceil_mode)
    # Written without the dilation term, as the AvgPool docs write it.
    rounding = "ceil" if ceil_mode else "floor"
    head = f"{rounding}(({size} + 2*{padding} - {kernel})/{stride}) + 1"
    return out, head + text[text.index(" = "):]


def _adaptive_bins(size: int, out: int) -> str:
    bins = list(zip(*geometry.adaptive_bins(size, out)))
    shown = ", ".join(f"[{a},{b})" for a, b in bins[:4]) + (", ..." if out > 4 else "")
    return f"{out} (output_size); bins [floor(i*{size}/{out}), ceil((i+1)*{size}/{out})): {shown}"


def _tuple(value, n):
    if isinstance(value, (tuple, list)):
        return tuple(value) if len(value) == n else tuple(value) * n
    return (value,) * n


# ---- what one layer call records -------------------------------------------------------------------

@dataclass
class LayerInfo:
    """One row of the table: one call of one module."""
    name: str                    # dotted name in the model ("" for the model itself)
    type: str                    # class name
    depth: int                   # 0 for the model, 1 for its children, ...
    output_shape: list = field(default_factory=list)   # list of ints, or a list of lists
    num_params: int = 0          # parameters of this module and its children
    trainable_params: int = 0
    macs: int = 0                # multiply-accumulates of this module's own matrix products
    output_bytes: int = 0
    param_bytes: int = 0
    is_leaf: bool = True
    explanation: str = ""        # the output-size arithmetic (conv / conv transpose / pool layers)

    @property
    def label(self) -> str:
        return f"{self.name.rsplit('.', 1)[-1]} ({self.type})" if self.name else self.type


@dataclass
class ModelSummary:
    """What ``summary`` returns; ``str()`` of it is the printed table."""
    layers: list
    input_shapes: list
    total_params: int
    trainable_params: int
    total_macs: int
    input_bytes: int
    forward_backward_bytes: int
    param_bytes: int
    explain: bool = False
    depth: int = 3

    @property
    def explanations(self) -> list:
        return [f"{layer.name or '(model)'} ({layer.type}): " + layer.explanation.replace("\n", "\n  ")
                for layer in self.layers if layer.explanation]

    @property
    def total_mult_adds(self) -> int:
        return self.total_macs

    def __str__(self) -> str:
        rows = [(("  " * (layer.depth - 1) + "└─" if layer.depth else "") + layer.label,
                 str(layer.output_shape), f"{layer.num_params:,}" if layer.num_params or layer.depth == 0
                 or not layer.is_leaf else "--", f"{layer.macs:,}" if layer.macs else "--",
                 f"{(layer.output_bytes + layer.param_bytes) / 1e6:.2f}")
                for layer in self.layers if layer.depth <= self.depth]
        header = ("Layer (type)", "Output Shape", "Param #", "Mult-Adds", "Memory (MB)")
        widths = [max(len(r[i]) for r in rows + [header]) for i in range(5)]

        def line(cells):
            return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

        rule = "=" * len(line(header))
        out = [rule, line(header), rule, *(line(r) for r in rows), rule,
               f"Total params: {self.total_params:,}",
               f"Trainable params: {self.trainable_params:,}",
               f"Non-trainable params: {self.total_params - self.trainable_params:,}",
               f"Total mult-adds (M): {self.total_macs / 1e6:.2f}",
               rule,
               f"Input size (MB): {self.input_bytes / 1e6:.2f}",
               f"Forward/backward pass size (MB): {self.forward_backward_bytes / 1e6:.2f}",
               f"Params size (MB): {self.param_bytes / 1e6:.2f}",
               f"Estimated Total Size (MB): "
               f"{(self.input_bytes + self.forward_backward_bytes + self.param_bytes) / 1e6:.2f}",
               rule]
        if self.explain:
            out += ["Output sizes:"] + ["  " + e.replace("\n", "\n  ") for e in self.explanations]
            if not self.explanations:
                out.append("  (no convolution or pooling layers)")
            out.append(rule)
        return "\n".join(out)

    __repr__ = __str__


# ---- the hooks -------------------------------------------------------------------------------------

def _shape_of(value):
    from ..autograd.tensor import Tensor
    if isinstance(value, Tensor):
        return list(value.shape)
    if isinstance(value, (tuple, list)):
        return [_shape_of(v) for v in value]
    return []


def _tensors(value):
    from ..autograd.tensor import Tensor
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v)


def _family(module) -> str:
    """'conv', 'conv_transpose', 'max_pool', 'avg_pool', 'adaptive_pool', 'linear', 'flatten' or ''."""
    from ..nn.modules.conv import _ConvNd, _ConvTransposeNd
    from ..nn.modules.linear import Flatten, Linear
    if isinstance(module, _ConvTransposeNd):
        return "conv_transpose"
    if isinstance(module, _ConvNd):
        return "conv"
    if isinstance(module, Linear):
        return "linear"
    if isinstance(module, Flatten):
        return "flatten"
    name = type(module).__name__
    if name.startswith("Adaptive") and "Pool" in name:
        return "adaptive_pool"
    if name.startswith(("MaxPool", "AvgPool", "LPPool")):
        return "max_pool" if name.startswith("MaxPool") else "avg_pool"
    return ""


def _spatial_dims(module) -> int:
    name = type(module).__name__
    for d in (1, 2, 3):
        if name.endswith(f"{d}d"):
            return d
    return 0


def _predict(name: str, module, family: str, shape: list) -> tuple:
    """``(predicted spatial sizes, text)`` of a conv / conv transpose / pool layer for an input shape.

    Raises ``ShapeError`` when the arithmetic gives an output size below 1.
    """
    d = _spatial_dims(module)
    if d == 0 or len(shape) < d + 1:
        return None, ""
    spatial = shape[-d:]
    axes = _AXES[d]
    lines, sizes = [], []
    if family == "conv":
        kernel, stride, dilation = (_tuple(getattr(module, a), d) for a in ("kernel_size", "stride", "dilation"))
        padding = module.padding
        if padding == "same":
            for axis, s, k, dl, (before, after) in zip(axes, spatial, kernel, dilation,
                                                       geometry.same_padding(kernel, dilation)):
                lines.append(f"{axis}_out = {axis}_in = {s} (padding='same': {dl}*({k}-1) = {before + after} zeros, "
                             f"{before} before and {after} after)")
                sizes.append(s)
            return sizes, "\n".join(lines)
        padding = (0,) * d if padding == "valid" else _tuple(padding, d)
        for axis, s, k, st, p, dl in zip(axes, spatial, kernel, stride, padding, dilation):
            out, text = conv_output_size(s, k, st, p, dl)
            if s + 2 * p < geometry.dilated_kernel_size(k, dl):
                raise ShapeError(f"{name} ({type(module).__name__}): the kernel does not fit in the input along "
                                 f"{axis}: padded input {s} + 2*{p} = {s + 2 * p} < dilated kernel "
                                 f"{dl}*({k}-1) + 1 = {geometry.dilated_kernel_size(k, dl)}; {axis}_out = {text}")
            lines.append(f"{axis}_out = {text}")
            sizes.append(out)
    elif family == "conv_transpose":
        kernel, stride, dilation, padding, output_padding = (
            _tuple(getattr(module, a), d) for a in ("kernel_size", "stride", "dilation", "padding", "output_padding"))
        for axis, s, k, st, p, op, dl in zip(axes, spatial, kernel, stride, padding, output_padding, dilation):
            out, text = conv_transpose_output_size(s, k, st, p, op, dl)
            if out < 1:
                raise ShapeError(f"{name} ({type(module).__name__}): output size {axis}_out = {text} is less than 1")
            lines.append(f"{axis}_out = {text}")
            sizes.append(out)
    elif family in ("max_pool", "avg_pool"):
        kernel = _tuple(module.kernel_size, d)
        stride = _tuple(module.stride if module.stride not in (None, ()) else module.kernel_size, d)
        padding = _tuple(getattr(module, "padding", 0), d)
        dilation = _tuple(getattr(module, "dilation", 1), d)
        ceil_mode = bool(getattr(module, "ceil_mode", False))
        for axis, s, k, st, p, dl in zip(axes, spatial, kernel, stride, padding, dilation):
            if family == "max_pool":
                out, text = pool_output_size(s, k, st, p, dl, ceil_mode)
            else:
                out, text = _avg_pool_output_size(s, k, st, p, ceil_mode)
            if out < 1:
                raise ShapeError(f"{name} ({type(module).__name__}): the window does not fit in the input along "
                                 f"{axis}: {axis}_out = {text} < 1")
            lines.append(f"{axis}_out = {text}")
            sizes.append(out)
    elif family == "adaptive_pool":
        output_size = _tuple(module.output_size, d)
        for axis, s, o in zip(axes, spatial, output_size):
            o = s if o is None else o
            lines.append(f"{axis}_out = {_adaptive_bins(s, o)}")
            sizes.append(o)
    return sizes, "\n".join(lines)


def _macs(module, family: str, inputs: list, output) -> int:
    outs = list(_tensors(output))
    if family == "linear" and outs:
        return outs[0].numel() * module.in_features
    if family == "conv" and outs:
        return outs[0].numel() * (module.in_channels // module.groups) * math.prod(module.kernel_size)
    if family == "conv_transpose" and inputs:
        return inputs[0].numel() * (module.out_channels // module.groups) * math.prod(module.kernel_size)
    return 0


def _bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


class _Recorder:
    def __init__(self, model):
        self.model = model
        self.names = {id(m): n for n, m in model.named_modules()}
        self.depths = {id(m): (n.count(".") + 1 if n else 0) for n, m in model.named_modules()}
        self.layers: list = []
        self.pending: dict = {}          # id(module) -> stack of (LayerInfo, inputs)
        self.last_leaf = None            # (name, module, input shape, output shape) of the latest leaf call

    def pre_hook(self, module, args):
        name = self.names.get(id(module), type(module).__name__)
        family = _family(module)
        inputs = list(_tensors(args))
        shape = list(inputs[0].shape) if inputs else []
        info = LayerInfo(name=name, type=type(module).__name__, depth=self.depths.get(id(module), 0),
                         is_leaf=not any(True for _ in module.children()))
        params = list(module.parameters())
        info.num_params = sum(p.numel() for p in params)
        info.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        info.param_bytes = _bytes(module.parameters(recurse=False))
        if family in ("conv", "conv_transpose", "max_pool", "avg_pool", "adaptive_pool") and shape:
            sizes, text = _predict(name, module, family, shape)
            if sizes is not None:
                lead = shape[:-len(sizes)]
                if family in ("conv", "conv_transpose"):
                    lead = lead[:-1] + [module.out_channels]
                info.explanation = f"input {shape} -> output {lead + sizes}\n" + text
                if family == "conv" and len(shape) >= 2 and shape[-len(sizes) - 1] != module.in_channels:
                    raise ShapeError(f"{name} ({info.type}): expects {module.in_channels} input channels "
                                     f"(in_channels) but its input {shape} has {shape[-len(sizes) - 1]}")
        if family == "linear" and shape and shape[-1] != module.in_features:
            raise ShapeError(self._linear_message(name, module, shape))
        self.layers.append(info)
        self.pending.setdefault(id(module), []).append((info, inputs))

    def _linear_message(self, name, module, shape) -> str:
        message = (f"{name} (Linear): in_features={module.in_features}, but the input that reaches it has shape "
                   f"{shape}, whose last dim is {shape[-1]}")
        if self.last_leaf is not None:
            prev_name, prev, prev_in, prev_out = self.last_leaf
            if isinstance(prev_out, list) and prev_out and prev_out == shape:
                if _family(prev) == "flatten":
                    start = prev.start_dim % len(prev_in)
                    end = prev.end_dim % len(prev_in)
                    dims = prev_in[start:end + 1]
                    message += (f"; it comes from {prev_name} (Flatten) of {prev_in}: "
                                f"{'*'.join(str(v) for v in dims)} = {math.prod(dims)}")
                else:
                    message += f"; it comes from {prev_name} ({type(prev).__name__}) with output {prev_out}"
        return message + f". Use Linear({shape[-1]}, {module.out_features}) or change the layers before it."

    def hook(self, module, args, output):
        stack = self.pending.get(id(module))
        if not stack:
            return
        info, inputs = stack.pop()
        info.output_shape = _shape_of(output)
        info.output_bytes = _bytes(_tensors(output))
        info.macs = _macs(module, _family(module), inputs, output)
        if info.explanation:
            predicted = info.explanation.split("\n", 1)[0].rsplit("output ", 1)[1]
            if str(info.output_shape) != predicted:  # e.g. ConvTranspose called with output_size=
                info.explanation += f"\n(the layer returned {info.output_shape})"
        if info.is_leaf:
            self.last_leaf = (info.name, module, list(inputs[0].shape) if inputs else [], info.output_shape)


def summary(model, input_size=None, *, batch_size: int = 1, dtypes=None, device=None, explain: bool = False,
            depth: int = 3, input_data=None, verbose: bool = True, file=None) -> ModelSummary:
    """Print and return a per-layer table of ``model`` for a forward pass on zeros.

    Args:
        model: a ``minigrad.nn.Module``.
        input_size: the shape of one sample without the batch dim, e.g. ``(1, 28, 28)``, or a list of
            such shapes for a model with several inputs.
        batch_size: prepended to every input shape (default 1).
        dtypes: one dtype per input (default: the default dtype; integer inputs hold zeros).
        device: where the inputs are made (default: the device of the model's first parameter).
        explain: also print the output-size arithmetic of every conv / conv transpose / pool layer.
        depth: nesting depth of the rows printed (the model is depth 0).
        input_data: a Tensor (or list of Tensors) to use instead of zeros; ``input_size`` is then ignored.
        verbose: print the table (to ``file``, default stdout).

    Returns:
        ``ModelSummary``: ``.layers`` (``LayerInfo`` per call), the totals, ``.explanations``; ``str()``
        gives the table.

    Raises:
        ShapeError: a layer cannot take the shape that reaches it (the message names it and the arithmetic).
    """
    from .. import dtypes as _dtypes
    from ..autograd.creation import tensor, zeros
    from ..autograd.grad_mode import no_grad
    from ..autograd.tensor import Tensor

    if input_data is not None:
        inputs = list(input_data) if isinstance(input_data, (list, tuple)) else [input_data]
    else:
        if input_size is None:
            raise ValueError("summary() needs input_size (one sample's shape, without the batch dim) or input_data")
        sizes = [tuple(input_size)] if all(isinstance(v, int) for v in input_size) else [tuple(s) for s in input_size]
        if device is None:
            first = next(iter(model.parameters()), None)
            device = first.device if first is not None else "cpu"
        if dtypes is None:
            dtypes = [_dtypes.get_default_dtype()] * len(sizes)
        inputs = [zeros(batch_size, *s, dtype=dt, device=device) for s, dt in zip(sizes, dtypes)]
    inputs = [x if isinstance(x, Tensor) else tensor(x) for x in inputs]

    recorder = _Recorder(model)
    modules = list(model.modules())
    handles = []
    training = {id(m): m.training for m in modules}
    try:
        for m in modules:
            handles.append(m.register_forward_pre_hook(recorder.pre_hook))
            handles.append(m.register_forward_hook(recorder.hook))
        model.eval()
        with no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        for m in modules:
            m.training = training[id(m)]

    unique = {id(p): p for p in model.parameters()}.values()
    leaves = [layer for layer in recorder.layers if layer.is_leaf]
    result = ModelSummary(
        layers=recorder.layers,
        input_shapes=[list(x.shape) for x in inputs],
        total_params=sum(p.numel() for p in unique),
        trainable_params=sum(p.numel() for p in unique if p.requires_grad),
        total_macs=sum(layer.macs for layer in recorder.layers),
        input_bytes=_bytes(inputs),
        forward_backward_bytes=2 * sum(layer.output_bytes for layer in leaves),
        param_bytes=_bytes(unique),
        explain=explain, depth=depth)
    if verbose:
        print(result, file=file or sys.stdout)
    return result
