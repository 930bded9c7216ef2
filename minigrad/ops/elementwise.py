"""Elementwise primitives: arithmetic with broadcasting, math functions, activations, casts.

Binary operations follow torch's type promotion (``minigrad.dtypes.result_type``) and broadcast;
their backward reduces each gradient back to its input's shape with ``unbroadcast``. Each backward
is written with these same primitives, so second derivatives come for free.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend, dtypes, threads
from ..autograd import function as _function
from ..autograd.function import Primitive
from ..autograd.grad_mode import _state as _grad_state
from ..autograd.tensor import Tensor, _wrap
from ..backend import xp
from ..kernels import compiled
from ..kernels.layout import flat_views
from .shape import unbroadcast


# ---- promotion and devices --------------------------------------------------------------------

def _shape(v):
    return v.shape if hasattr(v, "shape") else None


def _promote_pair(a, b):
    """``_promote(a, b)`` for the binary arithmetic ops, deciding the common cases cheaply: two
    float arrays of one dtype, or a float array and a Python number."""
    if type(a) is np.ndarray and (type(b) is np.ndarray and b.dtype is a.dtype or type(b) is float
                                  or type(b) is int) and a.dtype.kind == "f":
        return a, b
    return _promote(a, b)


def _promote(*values, floating: bool = False):
    """Arrays cast to torch's result dtype; Python scalars stay (NumPy treats them as weak)."""
    first = values[0]
    if type(first) is np.ndarray and first.dtype.kind == "f":  # the common cases, decided cheaply
        if len(values) == 1:
            return values
        second = values[1]
        if len(values) == 2 and ((type(second) is np.ndarray and second.dtype == first.dtype)
                                 or type(second) is float or type(second) is int):
            return values
    dtype = dtypes.result_type(*values)
    if floating and dtype.kind != "f":
        dtype = dtypes.get_default_dtype().numpy
    return tuple(v.astype(dtype, copy=False) if hasattr(v, "dtype") else v for v in values)


def _common_dtype(*tensors) -> np.dtype:
    return dtypes.result_type(*[t._data if isinstance(t, Tensor) else t for t in tensors])


def _check_same_device(*tensors):
    backend.check_same_device([t._data for t in tensors if isinstance(t, Tensor)])


def broadcast_shapes_checked(*shapes) -> tuple:
    """The broadcast of ``shapes`` (folded left to right, as torch's ``infer_size``), with torch's error
    naming the first pair of sizes that do not match."""
    out = tuple(shapes[0])
    for shape in shapes[1:]:
        shape = tuple(shape)
        if shape == out:
            continue
        ndim = len(out) if len(out) > len(shape) else len(shape)
        a, b = (1,) * (ndim - len(out)) + out, (1,) * (ndim - len(shape)) + shape
        for d in range(ndim):
            if a[d] != b[d] and a[d] != 1 and b[d] != 1:
                raise RuntimeError(f"The size of tensor a ({a[d]}) must match the size of tensor b ({b[d]}) "
                                   f"at non-singleton dimension {d}")
        out = tuple(y if x == 1 else x for x, y in zip(a, b))
    return out


def _check_tensor_first(name, value, argument="input", position=1):
    """torch's functions take a Tensor first (``torch.eq(2, t)`` is a TypeError), and some a Tensor second."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{argument}' (position {position}) must be Tensor, not {type(value).__name__}")


def _needs(ctx, i):
    return i < len(ctx.needs_input_grad) and ctx.needs_input_grad[i]


def _reduce_to_input(ctx, i, grad):
    """``grad`` summed back to the shape of input ``i`` (which needs a gradient), as the graph
    recorded it: undoes broadcasting."""
    shape = ctx._input_meta[i][0]
    return grad if grad._data.shape == shape else unbroadcast(grad, shape)


# ---- arithmetic -------------------------------------------------------------------------------

class Add(Primitive):
    """a + alpha * b"""

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        a, b = _promote_pair(a, b)
        return a + b if alpha == 1 else a + alpha * b

    @staticmethod
    def backward(ctx, grad):
        ga = _reduce_to_input(ctx, 0, grad) if _needs(ctx, 0) else None
        gb = _reduce_to_input(ctx, 1, grad if ctx.alpha == 1 else grad * ctx.alpha) if _needs(ctx, 1) else None
        return ga, gb


class Sub(Primitive):
    """a - alpha * b"""

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        a, b = _promote_pair(a, b)
        return a - b if alpha == 1 else a - alpha * b

    @staticmethod
    def backward(ctx, grad):
        ga = _reduce_to_input(ctx, 0, grad) if _needs(ctx, 0) else None
        gb = _reduce_to_input(ctx, 1, -grad if ctx.alpha == 1 else grad * -ctx.alpha) if _needs(ctx, 1) else None
        return ga, gb


class Mul(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        needs_a, needs_b = ctx.needs_input_grad
        ctx.save_for_backward(a if needs_b else None, b if needs_a else None)  # only what backward reads, as torch
        a, b = _promote_pair(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = _reduce_to_input(ctx, 0, grad * b) if _needs(ctx, 0) else None
        gb = _reduce_to_input(ctx, 1, grad * a) if _needs(ctx, 1) else None
        return ga, gb


class Div(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)  # a only for b's gradient, as torch
        a, b = _promote(a, b, floating=True)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = _reduce_to_input(ctx, 0, grad / b) if _needs(ctx, 0) else None
        gb = _reduce_to_input(ctx, 1, -grad * a / (b * b)) if _needs(ctx, 1) else None
        return ga, gb


class Neg(Primitive):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Primitive):
    """a ** b, where either may be a tensor or a Python number."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        pa, pb = _promote(a, b)
        out = pa ** pb
        # the output only when b needs a gradient, as torch (so x ** 2 followed by an in-place op works)
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if _needs(ctx, 0):
            if isinstance(b, Tensor):
                ga = where(b == 0, 0.0, grad * b * a ** (b - 1))
            else:
                ga = grad * 0.0 if b == 0 else grad * b * a ** (b - 1)
            ga = unbroadcast(ga, ctx.shapes[0])
        if _needs(ctx, 1):
            log_a = log(a) if isinstance(a, Tensor) else math.log(a) if a > 0 else float("nan")
            gb = grad * out * log_a
            if isinstance(a, Tensor):  # 0 ** b with b >= 0 has a zero derivative in b
                gb = where((a == 0) & (b >= 0), 0.0, gb)
            gb = unbroadcast(gb, ctx.shapes[1])
        return ga, gb


# ---- unary math -------------------------------------------------------------------------------

class Exp(Primitive):
    @staticmethod
    def forward(ctx, x):
        out = xp(x).exp(_promote(x, floating=True)[0])
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Expm1(Primitive):
    """exp(x) - 1, exact for small |x| (``expm1``, not ``exp(x) - 1``, which is 0 for x = 1e-10 in float32)."""

    @staticmethod
    def forward(ctx, x):
        out = xp(x).expm1(_promote(x, floating=True)[0])
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out + 1)


class Log(Primitive):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp(x).log(_promote(x, floating=True)[0])

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Log1p(Primitive):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp(x).log1p(_promote(x, floating=True)[0])

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x + 1)


class Sqrt(Primitive):
    @staticmethod
    def forward(ctx, x):
        out = xp(x).sqrt(_promote(x, floating=True)[0])
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (out * 2)


class Abs(Primitive):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp(x).abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * sign(x)


class Sin(Primitive):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp(x).sin(_promote(x, floating=True)[0])

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * cos(x)


class Cos(Primitive):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp(x).cos(_promote(x, floating=True)[0])

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * sin(x)


class Tanh(Primitive):
    @staticmethod
    def forward(ctx, x):
        out = xp(x).tanh(_promote(x, floating=True)[0])
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


class Sigmoid(Primitive):
    """sigmoid(x) = 1 / (1 + e^-x); gradient grad * out * (1 - out)."""

    @staticmethod
    def forward(ctx, x):
        x = _promote(x, floating=True)[0]
        module = xp(x)
        # torch's formula, in one buffer (4 passes, no temporaries): e^-x overflows to inf for
        # x < -88 in float32 and 1 / inf gives 0, as torch's float32 sigmoid does there
        out = module.negative(x, out=module.empty_like(x))          # (empty_like: 0-d input stays an array)
        with np.errstate(over="ignore"):
            module.exp(out, out=out)
        out += 1
        module.reciprocal(out, out=out)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out * (1 - out))

    @staticmethod
    def backward_arrays(ctx, grad):
        """grad * out * (1 - out) in one buffer."""
        (out,) = ctx.saved_arrays
        result = xp(out).subtract(1, out, dtype=out.dtype)   # 1 - out
        result *= out
        result *= grad
        return (result,)


def _erf_array(x):
    """erf to double precision, with no SciPy: a series without cancellation for |x| < 6,
    ``erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n x (2x^2)^n / (1*3*...*(2n+1))``; erf(+-6) is +-1 in
    float64."""
    module = xp(x)
    a = module.minimum(module.abs(x.astype(np.float64)), 6.0)
    term = a.copy()
    total = a.copy()
    two_a2 = 2 * a * a
    for n in range(1, 200):
        term *= two_a2 / (2 * n + 1)
        total += term
        if float(term.max(initial=0.0)) <= 1e-17 * float(total.min(initial=1.0)) or not term.size:
            break
    out = module.minimum(2 / math.sqrt(math.pi) * module.exp(-a * a) * total, 1.0)
    return (module.sign(x) * out).astype(x.dtype)


class Erf(Primitive):
    @staticmethod
    def forward(ctx, x):
        x = _promote(x, floating=True)[0]
        ctx.save_for_backward(x)
        return _erf_array(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (2 / math.sqrt(math.pi)) * exp(-(x * x))


def _relu_array(x):
    """max(x, 0) with NaN kept (np.maximum's rule, torch's too), split over threads for large arrays."""
    module = xp(x)
    if (module is not np or x.dtype.kind != "f" or x.nbytes < threads.MIN_PARALLEL_BYTES
            or threads.get_num_threads() == 1):
        return module.maximum(x, 0)
    out = np.empty_like(x)  # x's layout (contiguous, channels-last ...), as torch's output
    flat = flat_views(x, out)
    if flat is None:
        return np.maximum(x, 0)
    source, target = flat
    threads.parallel_for(source.size, lambda lo, hi: np.maximum(source[lo:hi], 0, out=target[lo:hi]),
                         nbytes=2 * x.nbytes)
    return out


def _relu_grad_array(out, grad):
    """grad * (out > 0) in ``out``'s layout, with no bool-to-float copy: the mask is written as 0.0 / 1.0
    into the result's buffer and multiplied there (two ufunc calls, one buffer; issue 14 measured the
    general Mul with its promotion 1.65x slower)."""
    module = xp(out)
    if module is not np or grad.dtype != out.dtype or grad.shape != out.shape or out.dtype.kind != "f":
        return grad * (out > 0)
    result = np.empty_like(out)
    split = out.nbytes >= threads.MIN_PARALLEL_BYTES and threads.get_num_threads() > 1
    flat = flat_views(out, grad, result) if split else None

    def masked(out, grad, result):
        np.greater(out, 0, out=result)
        with np.errstate(invalid="ignore"):  # inf * 0 is nan, quietly, as in Mul (errstate is per thread)
            np.multiply(grad, result, out=result)  # grad first, as in ``backward`` (equal either way)

    if flat is None:  # small, one thread, or grad in another layout: one call over the whole arrays
        masked(out, grad, result)
        return result
    out_flat, grad_flat, result_flat = flat
    threads.parallel_for(out_flat.size, lambda lo, hi: masked(out_flat[lo:hi], grad_flat[lo:hi], result_flat[lo:hi]),
                         nbytes=3 * out.nbytes)
    return result


class Relu(Primitive):
    """max(x, 0); its gradient is ``grad * (x > 0)``, read from the saved output (0 at x = 0, as torch).

    ``backward`` is written with primitives (so it can be differentiated again); ``backward_arrays``, used
    when no graph of the backward is built, is the same product in one buffer. Large arrays are split
    over ``minigrad.threads`` (elementwise, so any split gives the same bits).

    >>> minigrad.tensor([-1.0, 0.0, 2.0]).relu().tolist()
    [0.0, 0.0, 2.0]
    """

    @staticmethod
    def forward(ctx, x):
        use_compiled = compiled.enabled() and compiled.supports(x)  # minigrad[fast]: numba
        out = compiled.relu_forward(x) if use_compiled else _relu_array(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out > 0)

    @staticmethod
    def backward_arrays(ctx, grad):
        """grad * (out > 0) on arrays: one compiled loop with minigrad[fast], else NumPy's in one buffer."""
        (out,) = ctx.saved_arrays
        if (compiled.enabled() and compiled.supports(grad, out)  # minigrad[fast]: numba, for one shared layout
                and grad.flags.c_contiguous and out.flags.c_contiguous):
            return compiled.relu_backward(grad, out)
        return _relu_grad_array(out, grad)


class LeakyRelu(Primitive):
    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return xp(x).where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return where(x > 0, grad, grad * ctx.slope)


class Softplus(Primitive):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold (torch's rule)."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        module = xp(x)
        z = x * beta
        return module.where(z > threshold, x, module.logaddexp(0, z) / beta).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        z = x * ctx.beta
        return where(z > ctx.threshold, grad, grad * sigmoid(z))


class Clamp(Primitive):
    """min(max(x, low), high); the gradient passes where low <= x <= high (torch's rule)."""

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        dtype = dtypes.result_type(x, *(v for v in (low, high) if v is not None))
        return xp(x).clip(x.astype(dtype, copy=False), low, high)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        mask = None
        if ctx.low is not None:
            mask = x >= ctx.low
        if ctx.high is not None:
            mask = x <= ctx.high if mask is None else mask & (x <= ctx.high)
        return grad * mask


class Maximum(Primitive):
    """Elementwise max; at a tie each input gets half the gradient (torch's rule)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        ctx.save_for_backward(a, b)
        a, b = _promote(a, b)
        return xp(a).maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_by_winner(ctx, grad, a > b, a == b)


class Minimum(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        ctx.save_for_backward(a, b)
        a, b = _promote(a, b)
        return xp(a).minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_by_winner(ctx, grad, a < b, a == b)


def _split_by_winner(ctx, grad, a_wins, tie):
    half = grad * 0.5
    ga = unbroadcast(where(a_wins, grad, where(tie, half, 0.0)), ctx.shapes[0]) if _needs(ctx, 0) else None
    gb = unbroadcast(where(a_wins, 0.0, where(tie, half, grad)), ctx.shapes[1]) if _needs(ctx, 1) else None
    return ga, gb


class Where(Primitive):
    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        ctx.save_for_backward(condition)
        a, b = _promote(a, b)
        return xp(condition).where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        ga = unbroadcast(where(condition, grad, 0.0), ctx.shapes[0]) if _needs(ctx, 1) else None
        gb = unbroadcast(where(condition, 0.0, grad), ctx.shapes[1]) if _needs(ctx, 2) else None
        return None, ga, gb


class ToCopy(Primitive):
    """A cast and/or device move; the gradient is cast and moved back."""

    @staticmethod
    def forward(ctx, x, dtype, device):
        ctx.dtype, ctx.device = x.dtype, backend.device_of(x)
        if device is not None:
            x = backend.to_device(x, device)
        return x.astype(dtype, copy=False) if dtype is not None else x

    @staticmethod
    def backward(ctx, grad):
        return ToCopy.apply(grad, ctx.dtype, ctx.device)


# ---- the functional API -----------------------------------------------------------------------

def _binary(cls, a, b, *extra):
    """Apply a binary primitive after the checks at the door: one device, shapes that broadcast
    (torch's message), other operands as ``_scalar`` takes them. Two tensors, the common case,
    come first and cheaply."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        data_a, data_b = a._data, b._data
        if type(data_a) is not type(data_b):
            _check_same_device(a, b)
        if data_a.shape != data_b.shape:
            broadcast_shapes_checked(data_a.shape, data_b.shape)
        return cls.apply(a, b, *extra)
    a, b = _scalar(a), _scalar(b)
    if isinstance(a, Tensor) and isinstance(b, Tensor):  # a NumPy array became a tensor
        return _binary(cls, a, b, *extra)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"expected at least one Tensor, got {type(a).__name__} and {type(b).__name__}")
    return cls.apply(a, b, *extra)


def _scalar(v):
    """Python numbers and 0-d arrays pass through; lists become arrays is not torch behaviour."""
    if isinstance(v, (Tensor, int, float, bool)):
        return v
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return Tensor._make(v)
    raise TypeError(f"unsupported operand type: {type(v).__name__}")


def add(a, b, alpha=1):
    return _binary(Add, a, b, alpha)


_BOOL_SUB = ("Subtraction, the `-` operator, with {} is not supported. If you are trying to invert a mask, "
             "use the `~` or `logical_not()` operator instead.")


def _is_bool(v) -> bool:
    return isinstance(v, (bool, np.bool_)) or (isinstance(v, Tensor) and v._data.dtype == np.bool_)


def sub(a, b, alpha=1):
    if (isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.dtype.kind != "b"
            and b._data.dtype.kind != "b"):  # the common case, without the bool checks' calls
        return _binary(Sub, a, b, alpha)
    a, b = _scalar(a), _scalar(b)
    if _is_bool(a) or _is_bool(b):
        if _is_bool(a) and _is_bool(b) and isinstance(a, Tensor) and isinstance(b, Tensor):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        raise RuntimeError(_BOOL_SUB.format("a bool tensor"))
    return _binary(Sub, a, b, alpha)


def mul(a, b):
    if type(a) is Tensor and type(b) is Tensor:
        data_a, data_b = a._data, b._data
        if (type(data_a) is np.ndarray and type(data_b) is np.ndarray and data_a.dtype is data_b.dtype
                and data_a.shape == data_b.shape and data_a.dtype.kind == "f"):
            return _mul_same(a, b, data_a, data_b)
    return _binary(Mul, a, b)


def _mul_same(a, b, data_a, data_b):
    """``Mul.apply(a, b)`` for two NumPy tensors of one float dtype and shape, the commonest product,
    inline: no checks to make (nothing to promote, broadcast or move), and the node that
    ``Primitive.apply`` would record, made directly (the same fields: edges, input metadata, the saved
    inputs as ``_pack_arrays`` packs them). Measured (issue 14, a recorded ``x * y`` on (4, 4) float32,
    ``x`` requiring grad, thread CPU time, interleaved in one process on a busy 2-core machine): 2.2
    us per call, against 4.1-4.6 us through ``_binary`` and ``Mul.apply`` (bench_overhead.py
    mul_recorded: 3.98 -> 2.14 us, torch 2.0 us)."""
    fp_state = _function._fp_state
    current = fp_state.get()
    token = fp_state.set(_function._quiet_of.get(current) or _function._quiet_twin(current))
    try:  # NumPy's floating-point warnings off, as every forward (Function._quiet)
        raw = data_a * data_b
    finally:
        fp_state.reset(token)
    out = _wrap(raw if type(raw) is np.ndarray else np.asarray(raw))   # a 0-d product is a NumPy scalar
    needs_a, needs_b = a._requires_grad, b._requires_grad
    if (needs_a or needs_b) and _grad_state.enabled:
        ctx = _function._new_node(Mul)
        ctx.needs_input_grad = (needs_a, needs_b)
        if needs_a:
            node = a.grad_fn
            edge_a, meta_a = (a if node is None else (node, a._output_nr)), (data_a.shape, data_a.dtype)
        else:
            edge_a = meta_a = None
        if needs_b:
            node = b.grad_fn
            edge_b, meta_b = (b if node is None else (node, b._output_nr)), (data_b.shape, data_b.dtype)
        else:
            edge_b = meta_b = None
        ctx.next_edges, ctx._input_meta = [edge_a, edge_b], [meta_a, meta_b]
        out.grad_fn, out._requires_grad = ctx, True
        # Mul.forward saves (a if b needs a gradient, b if a does); an array is packed as the first
        # input holding it
        none = _function._SAVED_NONE
        saved_b = a if data_b is data_a else b
        ctx._saved = [(a, None, None, a._vc, a._vc.value) if needs_b else none,
                      (saved_b, None, None, saved_b._vc, saved_b._vc.value) if needs_a else none]
    return out


def div(a, b, rounding_mode=None):
    if rounding_mode is None:
        return _binary(Div, _scalar(a), _scalar(b))
    a_arr = a._data if isinstance(a, Tensor) else a
    b_arr = b._data if isinstance(b, Tensor) else b
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a_arr.shape != b_arr.shape:
        broadcast_shapes_checked(a_arr.shape, b_arr.shape)
    pa, pb = _promote(a_arr, b_arr)
    module = xp(pa if hasattr(pa, "shape") else pb)
    _check_integer_divisor(module, pa, pb)
    with np.errstate(all="ignore"):
        if rounding_mode == "floor":
            out = module.floor_divide(pa, pb) if module.result_type(pa, pb).kind != "f" else module.floor(pa / pb)
        elif rounding_mode == "trunc":
            out = module.trunc(pa / pb).astype(module.result_type(pa, pb)) if module.result_type(pa, pb).kind != "f" else module.trunc(pa / pb)
        else:
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
    # torch's DivBackward2: in the graph, with a zero gradient for each input
    return _zero_gradient(Tensor._make(module.asarray(out)), "DivBackward2", a, b)


def true_divide(a, b):
    return div(a, b)


def floor_divide(a, b):
    out = div(a, b, rounding_mode="floor")
    # torch: the result requires grad but its node has no derivative (backward through it raises)
    return _not_implemented(out, "floor_divide", a, b)


def _check_integer_divisor(module, pa, pb):
    """Integer division by zero is an error in torch (floats give inf / nan)."""
    if module.result_type(pa, pb).kind in "iub" and not bool(module.all(module.asarray(pb) != 0)):
        raise RuntimeError("ZeroDivisionError")


class _Modulo(Primitive):
    """a - round(a / b) * b for one rounding of the quotient. Gradients, as torch: 1 for a, and
    -round(a / b) for b (the quotient is piecewise constant)."""

    function, rounding = None, None  # the array module's function, and div's rounding_mode

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        pa, pb = _promote(a, b)
        module = xp(pa if hasattr(pa, "shape") else pb)
        _check_integer_divisor(module, pa, pb)
        if _needs(ctx, 1):
            ctx.save_for_backward(a, b)
        return module.asarray(getattr(module, cls.function)(pa, pb))

    @classmethod
    def backward(cls, ctx, grad):
        ga = unbroadcast(grad, ctx.shapes[0]) if _needs(ctx, 0) else None
        gb = None
        if _needs(ctx, 1):
            a, b = ctx.saved_tensors
            gb = unbroadcast(-grad * div(a.detach() if isinstance(a, Tensor) else a, b.detach(),
                                         rounding_mode=cls.rounding), ctx.shapes[1])
        return ga, gb


class Remainder(_Modulo):
    """a - floor(a / b) * b (Python's ``%``: the sign of b)."""

    function, rounding = "mod", "floor"


class Fmod(_Modulo):
    """a - trunc(a / b) * b (C's ``fmod``: the sign of a)."""

    function, rounding = "fmod", "trunc"


def remainder(a, b):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"remainder() received an invalid combination of arguments - got ({type(a).__name__}, "
                        f"{type(b).__name__}), but expected one of: (Tensor input, Tensor other), (Number self, Tensor other)")
    a, b = _scalar(a), _scalar(b)
    with np.errstate(all="ignore"):
        out = _binary(Remainder, a, b)  # (_binary checks that the shapes broadcast)
    if not isinstance(a, Tensor):  # torch has no derivative for remainder(Scalar, Tensor)
        return _not_implemented(out, "remainder", b)
    return out


def fmod(a, b):
    if not isinstance(a, Tensor):
        raise TypeError(f"fmod(): argument 'input' (position 1) must be Tensor, not {type(a).__name__}")
    with np.errstate(all="ignore"):
        return _binary(Fmod, a, _scalar(b))


def pow(a, b):
    return _binary(Pow, _scalar(a), _scalar(b))


def neg(x):
    if x._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(x)


def reciprocal(x):
    return Div.apply(1.0, x)


def exp(x):
    return Exp.apply(x)


def log(x):
    return Log.apply(x)


def log1p(x):
    return Log1p.apply(x)


def expm1(x):
    return Expm1.apply(x)


def sqrt(x):
    return Sqrt.apply(x)


def rsqrt(x):
    return reciprocal(sqrt(x))


def square(x):
    return x * x


def abs(x):
    return Abs.apply(x)


def sin(x):
    return Sin.apply(x)


def cos(x):
    return Cos.apply(x)


def tanh(x):
    return Tanh.apply(x)


def sigmoid(x):
    return Sigmoid.apply(x)


def erf(x):
    return Erf.apply(x)


def sign(x):
    return _zero_gradient(Tensor._make(xp(x._data).sign(x._data)), "SignBackward0", x)


def relu(x):
    return Relu.apply(x)


def leaky_relu(x, negative_slope: float = 0.01):
    return LeakyRelu.apply(x, negative_slope)


def elu(x, alpha: float = 1.0):
    """x where x > 0, alpha * (exp(x) - 1) elsewhere."""
    # exp of the clamped value: no overflow on the unused side. clamp, not minimum: at x = 0 the
    # gradient must pass whole (alpha), where minimum would split it between its two inputs.
    negative = exp(clamp(x, max=0.0)) - 1
    return where(x > 0, x, negative * alpha if alpha != 1 else negative)


def gelu(x, approximate: str = "none"):
    """x * Phi(x); ``approximate='tanh'`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate == "none":
        return x * 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2 / math.pi)
        return x * 0.5 * (1 + tanh(inner))
    raise RuntimeError(f"approximate argument must be either none or tanh.")


def silu(x):
    return x * sigmoid(x)


def softplus(x, beta: float = 1.0, threshold: float = 20.0):
    return Softplus.apply(x, beta, threshold)


def clamp(x, min=None, max=None):
    _check_tensor_first("clamp", x)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = maximum(out, min) if isinstance(min, Tensor) else Clamp.apply(out, min, None)
        if max is not None:
            out = minimum(out, max) if isinstance(max, Tensor) else Clamp.apply(out, None, max)
        return out
    return Clamp.apply(x, min, max)


clip = clamp


def maximum(a, b):
    _check_tensor_first("maximum", a)
    _check_tensor_first("maximum", b, "other", position=2)
    return _binary(Maximum, _scalar(a), _scalar(b))


def minimum(a, b):
    _check_tensor_first("minimum", a)
    _check_tensor_first("minimum", b, "other", position=2)
    return _binary(Minimum, _scalar(a), _scalar(b))


def where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b``; either may be a Python number."""
    if isinstance(condition, Tensor) and condition._data.dtype != np.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor with dtype "
                           + dtypes.torch_scalar_name(condition._data.dtype))
    broadcast_shapes_checked(*[v.shape for v in (condition, a, b) if hasattr(v, "shape")])
    condition = condition._data if isinstance(condition, Tensor) else condition
    a, b = _scalar(a), _scalar(b)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        _check_same_device(a, b)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return Tensor._make(xp(condition).where(condition, *_promote(a, b)))
    return Where.apply(condition, a, b)


def to_copy(x, dtype=None, device=None):
    """``x`` cast to ``dtype`` and/or moved to ``device``; ``x`` itself when nothing changes."""
    numpy_dtype = dtypes.as_dtype(dtype).numpy if dtype is not None else None
    if numpy_dtype == x._data.dtype:
        numpy_dtype = None
    if device is not None and backend.device(device) == x.device:
        device = None
    if numpy_dtype is None and device is None:
        return x
    return ToCopy.apply(x, numpy_dtype, backend.device(device) if device is not None else None)


# ---- comparisons and logic (no gradient) ------------------------------------------------------

_TORCH_NAMES = {"equal": "eq", "not_equal": "ne", "less": "lt", "less_equal": "le", "greater": "gt",
                "greater_equal": "ge"}


def _compare(name):
    torch_name = _TORCH_NAMES.get(name, name)

    def compare(a, b):
        if name in _TORCH_NAMES and not isinstance(a, Tensor):
            raise TypeError(f"{torch_name}() received an invalid combination of arguments - got ({type(a).__name__}, "
                            f"{type(b).__name__}), but expected one of: (Tensor input, Tensor other), "
                            "(Tensor input, Number other)")
        _check_tensor_first(torch_name, a)
        if name.startswith("logical"):
            _check_tensor_first(torch_name, b, "other", position=2)
        if isinstance(b, Tensor) and a._data.shape != b._data.shape:
            broadcast_shapes_checked(a._data.shape, b._data.shape)
        if name.startswith("bitwise"):
            result = dtypes.result_type(a._data, b._data if isinstance(b, Tensor) else _scalar(b))
            if result.kind in "fc":
                raise NotImplementedError(f'"{name}_cpu" not implemented for \'{dtypes.torch_scalar_name(result)}\'')
        pa, pb = _promote(a._data if isinstance(a, Tensor) else _scalar(a),
                          b._data if isinstance(b, Tensor) else _scalar(b))
        module = xp(pa if hasattr(pa, "shape") else pb)
        return Tensor._make(module.asarray(getattr(module, name)(pa, pb)))
    compare.__name__ = name
    return compare


eq = _compare("equal")
ne = _compare("not_equal")
lt = _compare("less")
le = _compare("less_equal")
gt = _compare("greater")
ge = _compare("greater_equal")
logical_and = _compare("logical_and")
logical_or = _compare("logical_or")
logical_xor = _compare("logical_xor")
bitwise_and = _compare("bitwise_and")
bitwise_or = _compare("bitwise_or")
bitwise_xor = _compare("bitwise_xor")


def logical_not(x):
    return Tensor._make(xp(x._data).logical_not(x._data))


def bitwise_not(x):
    return Tensor._make(xp(x._data).invert(x._data))


def isnan(x):
    return Tensor._make(xp(x._data).isnan(x._data))


def isinf(x):
    return Tensor._make(xp(x._data).isinf(x._data))


def isfinite(x):
    return Tensor._make(xp(x._data).isfinite(x._data))


class _ZeroGradient(Primitive):
    """A piecewise-constant result (floor, ceil, round, trunc, sign, division with a rounding mode)
    kept in the graph as torch keeps it: it requires grad when an input does, and the gradient it
    passes back is zero, a zero tensor of each input's shape (not None: ``x.grad`` is zeros, as torch)."""

    @staticmethod
    def forward(ctx, result, *inputs):
        return result

    @staticmethod
    def backward(ctx, grad):
        from ..autograd.creation import zeros  # noqa: PLC0415 (creation imports ops lazily)
        return (None,) + tuple(zeros(meta[0], dtype=grad.dtype, device=grad.device) if meta is not None else None
                               for meta in ctx._input_meta[1:])

    _torch_name = "ZeroGradientBackward0"

    def name(self):
        return self._torch_name


class _NotImplementedNode(Primitive):
    """torch's ``NotImplemented`` node: the result requires grad, backward through it raises."""

    @staticmethod
    def forward(ctx, result, *inputs):
        return result

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(f"derivative for aten::{ctx.op_name} is not implemented")

    def name(self):
        return "NotImplemented"


def _zero_gradient(result, torch_name, *inputs):
    out = _ZeroGradient.apply(result, *inputs)
    if out.grad_fn is not None:
        out.grad_fn._torch_name = torch_name
    return out


def _not_implemented(result, op_name, *inputs):
    out = _NotImplementedNode.apply(result.detach(), *inputs)
    if out.grad_fn is not None:
        out.grad_fn.op_name = op_name
    return out


def floor(x):
    return _zero_gradient(Tensor._make(xp(x._data).floor(x._data)), "FloorBackward0", x)


def ceil(x):
    return _zero_gradient(Tensor._make(xp(x._data).ceil(x._data)), "CeilBackward0", x)


def round(x, decimals: int = 0):
    return _zero_gradient(Tensor._make(xp(x._data).round(x._data, decimals)),
                          "RoundBackward1" if decimals else "RoundBackward0", x)


def trunc(x):
    return _zero_gradient(Tensor._make(xp(x._data).trunc(x._data)), "TruncBackward0", x)


class Frac(Primitive):
    """x - trunc(x), the sign of x; gradient 1."""

    @staticmethod
    def forward(ctx, x):
        return x - xp(x).trunc(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


def frac(x):
    return Frac.apply(x)


def equal(a, b) -> bool:
    return a.shape == b.shape and bool((a._data == b._data).all())


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(xp(a._data).allclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    _check_tensor_first("isclose", a)
    _check_tensor_first("isclose", b, "other")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{dtypes.torch_scalar_name(a._data.dtype)} did not match "
                           f"{dtypes.torch_scalar_name(b._data.dtype)}")
    broadcast_shapes_checked(a._data.shape, b._data.shape)
    return Tensor._make(xp(a._data).isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


# ---- more math: log2 log10 tan atan asin acos atan2 nan_to_num normal (issue 12) ------ ----------
#
# | primitive | its backward is                      |
# | --------- | ------------------------------------ |
# | Log2      | g / (x ln 2)                         |
# | Log10     | g / (x ln 10)                        |
# | Tan       | g (1 + out^2)                        |
# | Atan      | g / (1 + x^2)                        |
# | Asin      | g / sqrt(1 - x^2)                    |
# | Acos      | -g / sqrt(1 - x^2)                   |
# | Atan2     | (g b, -g a) / (a^2 + b^2)            |
# | Normal    | zeros (torch: no gradient to mean, std) |

def _unary_float(name):
    """Forward of a floating unary function: ints and bools promote to the default dtype, as torch."""
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return getattr(xp(x), name)(_promote(x, floating=True)[0])
    return staticmethod(forward)


class Log2(Primitive):
    forward = _unary_float("log2")

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * math.log(2.0))


class Log10(Primitive):
    forward = _unary_float("log10")

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * math.log(10.0))


class Tan(Primitive):
    @staticmethod
    def forward(ctx, x):
        out = xp(x).tan(_promote(x, floating=True)[0])
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out * out + 1)


class Atan(Primitive):
    forward = _unary_float("arctan")

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * x + 1)


class Asin(Primitive):
    forward = _unary_float("arcsin")

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * rsqrt(1 - x * x)


class Acos(Primitive):
    forward = _unary_float("arccos")

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * rsqrt(1 - x * x)


class Atan2(Primitive):
    """atan2(a, b): the angle of the point (b, a)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        ctx.save_for_backward(a, b)
        a, b = _promote(a, b, floating=True)
        return xp(a).arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        scale = grad / (a * a + b * b)
        ga = unbroadcast(scale * b, ctx.shapes[0]) if _needs(ctx, 0) else None
        gb = unbroadcast(-scale * a, ctx.shapes[1]) if _needs(ctx, 1) else None
        return ga, gb


def log2(x):
    return Log2.apply(x)


def log10(x):
    return Log10.apply(x)


def tan(x):
    return Tan.apply(x)


def atan(x):
    return Atan.apply(x)


def asin(x):
    return Asin.apply(x)


def acos(x):
    return Acos.apply(x)


arctan, arcsin, arccos = atan, asin, acos


def atan2(input, other):
    if not isinstance(input, Tensor):
        raise TypeError(f"atan2(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not isinstance(other, Tensor):
        raise TypeError(f"atan2(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return _binary(Atan2, input, other)


arctan2 = atan2


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default the dtype's
    largest and lowest finite values); the gradient passes only where ``input`` is finite."""
    data = input._data
    if data.dtype.kind not in "fc":
        return Tensor._make(data.copy())  # integers hold no NaN or inf
    info = np.finfo(data.dtype)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    module = xp(data)
    with np.errstate(all="ignore"):
        replacement = module.where(module.isnan(data), nan, module.where(data > 0, posinf, neginf)).astype(data.dtype)
    return where(module.isfinite(data), input, Tensor._make(replacement))


class Normal(Primitive):
    """A sample of N(mean, std^2); torch gives mean and std no gradient (zeros), but the output
    requires grad when they do."""

    @staticmethod
    def forward(ctx, mean, std, shape, dtype):
        from .. import random as _random
        ctx.shapes = (_shape(mean), _shape(std))
        like = mean if hasattr(mean, "shape") else std
        sample = _random.generator(backend.device_of(like)).normal(0.0, 1.0, shape)  # (broadcast shape)
        return (xp(like).asarray(sample) * std + mean).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return tuple(None if shape is None or not _needs(ctx, i) else grad.new_zeros(shape)
                     for i, shape in enumerate(ctx.shapes))


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """torch.normal's overloads: (Tensor mean, Tensor std), (Tensor mean, float std=1.0),
    (float mean, Tensor std), (float mean, float std, size)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if isinstance(std, Tensor) and not isinstance(mean, Tensor):
            shape = std.shape
            dtype_ = std._data.dtype
        elif isinstance(mean, Tensor) and not isinstance(std, Tensor):
            shape = mean.shape
            dtype_ = mean._data.dtype
            if std < 0:
                raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        else:
            _check_same_device(mean, std)
            shape = tuple(np.broadcast_shapes(tuple(mean.shape), tuple(std.shape)))
            dtype_ = _common_dtype(mean, std)
        if isinstance(std, Tensor) and std.numel() and bool((std._data < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        if (isinstance(mean, Tensor) and mean._data.dtype.kind not in "f") or (
                isinstance(std, Tensor) and std._data.dtype.kind not in "f"):
            raise RuntimeError('"normal_kernel_cpu" not implemented for '
                               f"'{dtypes.torch_scalar_name(dtype_)}'")
        return Normal.apply(mean, std, tuple(shape), dtype_)
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments - got (float, float), but expected "
                        "one of: (Tensor mean, Tensor std), (Tensor mean, float std), (float mean, Tensor std), "
                        "(float mean, float std, tuple of ints size)")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    from ..autograd.creation import empty
    shape = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    out = empty(*shape, dtype=dtype, device=device)
    out.normal_(mean, std)
    if requires_grad:
        out.requires_grad_(True)
    return out
