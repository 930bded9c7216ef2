"""Making tensors: ``tensor``, ``from_numpy``, ``zeros`` ... ``randn``, with torch's signatures.

Every factory takes ``dtype``, ``device`` and ``requires_grad`` as torch does; floats default to
``get_default_dtype()`` (float32), Python ints to int64.

Arguments are checked here, before any memory is allocated, with torch's exception types and wording
(``_size``, ``_count``, ``_check_requires_grad``, ``_allocate``): a float or a string is not a size, a
negative size is refused rather than read as an empty tensor, a size whose bytes overflow 64 bits is
``"Storage size calculation overflowed"``, an allocation the machine cannot serve is torch's allocator
message, and a ragged nested list names the dimension where it goes wrong. NumPy's own messages never
reach the user.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend, dtypes, random
from .tensor import Tensor


def _finish(array, dtype, device, requires_grad) -> Tensor:
    """Cast ``array`` to ``dtype``, move it to ``device`` and wrap it."""
    _check_requires_grad(requires_grad, dtype if dtype is not None else array.dtype)
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(dtype).numpy, copy=False)
    if device is not None:
        array = backend.to_device(array, backend.device(device))
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True
    return t


# ---- argument checks (torch's wording) ------------------------------------------------------------

_INT64_MAX = 2**63 - 1
_MAX_DIMS = 64  # NumPy's limit on an array's number of dimensions (torch has none)


def _type_name(value) -> str:
    cls = type(value)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__.split('.')[0]}.{cls.__name__}"


def _as_int(value):
    """``value`` as a Python int when torch's parser takes it as one (int, NumPy int, one-element int
    tensor), else None. A bool counts as an int, as in torch, except where the caller says otherwise."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, Tensor) and value.ndim == 0 and not value.dtype.is_floating_point:
        return int(value.item())
    return None


def _overflow_error(fn: str, argument: str, position: int) -> TypeError:
    return TypeError(f"{fn}(): argument '{argument}' failed to unpack the object at pos {position} with error "
                     '"Overflow when unpacking long long"')


def _size(fn: str, size: tuple, position: int = 1) -> tuple:
    """The shape given as ``*size`` (ints) or as one sequence, checked as torch's argument parser does."""
    if len(size) == 1 and _as_int(size[0]) is None or len(size) == 1 and isinstance(size[0], bool):
        sequence = size[0]
        if not isinstance(sequence, (tuple, list)):  # (minigrad.Size is a tuple)
            raise TypeError(f"{fn}(): argument 'size' (position {position}) must be tuple of ints, "
                            f"not {_type_name(sequence)}")
        shape = []
        for i, s in enumerate(sequence):
            value = _as_int(s)
            if value is None:
                raise TypeError(f"{fn}(): argument 'size' (position {position}) must be tuple of ints, but found "
                                f"element of type {_type_name(s)} at pos {i}")
            if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
                raise _overflow_error(fn, "size", i + 1)
            shape.append(value)
    else:
        shape = []
        for i, s in enumerate(size):
            value = _as_int(s)
            if value is None:
                raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                                f'"type must be tuple of ints,but got {_type_name(s)}"')
            if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
                raise _overflow_error(fn, "size", i + 1)
            shape.append(value)
    return tuple(shape)


def _size_or_keyword(fn: str, args: tuple, size) -> tuple:
    """The ``*size`` of ``zeros`` / ``rand`` ...: positional ints or one sequence, or the keyword
    ``size=`` (a sequence), which torch's parser also takes (``minigrad.rand(size=(8, 8))``)."""
    if size is None:
        return args
    if args:
        raise TypeError(f"{fn}() got multiple values for argument 'size'")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'size' must be tuple of ints, not {_type_name(size)}")
    return (size,)


def _check_shape(fn: str, shape: tuple, itemsize: int) -> None:
    """Negative dimensions, more dimensions than NumPy holds, and byte counts beyond 64 bits."""
    for d in shape:
        if d < 0:
            if fn == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {d}: {list(shape)}")
    if len(shape) > _MAX_DIMS:
        raise RuntimeError(f"{fn}: minigrad tensors have at most {_MAX_DIMS} dimensions (NumPy's limit), "
                           f"got {len(shape)}")
    # NumPy refuses a shape whose non-zero dimensions overflow even when another dimension is 0
    if math.prod(max(d, 1) for d in shape) * itemsize > _INT64_MAX:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")


def _allocate(make, shape: tuple, itemsize: int):
    """``make()``, with torch's allocator message when the memory is not there (NumPy's MemoryError)."""
    try:
        return make()
    except MemoryError:
        nbytes = math.prod(shape) * itemsize
        raise RuntimeError(f"DefaultCPUAllocator: can't allocate memory: you tried to allocate {nbytes} bytes "
                           f"(a tensor of shape {list(shape)}).") from None


def _check_requires_grad(requires_grad, dtype) -> None:
    if requires_grad and dtypes.as_dtype(dtype).numpy.kind != "f":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


def _count(fn: str, name: str, value, position: int) -> int:
    """An int argument such as ``randperm``'s ``n`` or ``eye``'s ``n``: not a bool, a float or a string."""
    number = _as_int(value)
    if number is None or isinstance(value, bool):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be int, not {_type_name(value)}")
    if not -_INT64_MAX - 1 <= number <= _INT64_MAX:
        raise ValueError("Overflow when unpacking long long")
    return number


def _number(fn: str, name: str, value, position: int):
    """A Number argument (``fill_value``, ``arange``'s bounds): bools, ints, floats, NumPy scalars."""
    if isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
        return value
    if isinstance(value, Tensor) and value.ndim == 0 or isinstance(value, np.ndarray) and value.ndim == 0 \
            and value.dtype.kind in "biuf":
        return value.item()
    raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Number, not {_type_name(value)}")


def _tensor_argument(fn: str, t) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {_type_name(t)}")
    return t


_TORCH_TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                     "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double"}


def _float_only(kernel: str, dtype: np.dtype) -> None:
    """``rand`` / ``randn`` draw floats only (torch: NotImplementedError naming its kernel and the dtype)."""
    if dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_TORCH_TYPE_NAMES[dtype.name]}\'')


def _numpy_dtype(dtype):
    return dtypes.as_dtype(dtype).numpy if dtype is not None else dtypes.get_default_dtype().numpy


def _filled(fn: str, size: tuple, dtype, device, requires_grad, make, position: int = 1) -> Tensor:
    """A new tensor of shape ``size`` from ``make(xp, shape, numpy_dtype)``, every argument checked first."""
    shape = _size(fn, size, position)
    numpy_dtype = np.dtype(_numpy_dtype(dtype))
    _check_shape(fn, shape, numpy_dtype.itemsize)
    _check_requires_grad(requires_grad, numpy_dtype)
    xp = backend.module_for(device or "cpu")
    return _finish(_allocate(lambda: make(xp, shape, numpy_dtype), shape, numpy_dtype.itemsize),
                   None, device, requires_grad)


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor)."""
    if isinstance(data, Tensor):
        array = data._data.copy()
    elif isinstance(data, (np.ndarray, np.generic)) or backend.is_cupy_array(data):
        if data.dtype.kind not in "biuf":
            dtypes.from_numpy_dtype(data.dtype)  # torch's "can't convert np.ndarray of type ..."
        array = data.copy() if not isinstance(data, np.generic) else np.asarray(data)  # keeps its dtype, as torch
    else:
        # with a dtype, Python numbers convert straight to it (0.7 as float64 is 0.7, not float32's 0.69999999)
        array = _from_python(data) if dtype is None else _from_python_as(data, dtypes.as_dtype(dtype).numpy)
    if device is None and isinstance(data, Tensor):
        device = data.device
    return _finish(array, dtype, device, requires_grad)


def _from_python(data) -> np.ndarray:
    plain = _plain(data)
    try:
        array = np.array(plain)
    except (ValueError, TypeError, OverflowError):
        array = None
    if array is None or array.dtype.kind not in "biuf" or array.dtype == np.uint64:
        # NumPy could not read it (or read ints beyond int64 as uint64): torch's error for what is wrong
        _check_nested(plain, None)
        if array is None or array.dtype.kind not in "biuf":
            raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    if array.dtype.kind == "f" or (array.size == 0 and array.dtype.kind not in "biu"):
        return array.astype(dtypes.get_default_dtype().numpy)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    return array


def _from_python_as(data, numpy_dtype) -> np.ndarray:
    plain = _plain(data)
    try:
        return np.array(plain, dtype=numpy_dtype)
    except (ValueError, TypeError, OverflowError):
        _check_nested(plain, np.dtype(numpy_dtype))
        raise TypeError(f"could not convert {type(data).__name__} to {np.dtype(numpy_dtype).name}")


def _check_nested(data, numpy_dtype) -> None:
    """Walk nested lists as torch does and raise its error for the first thing wrong: a ragged list
    (the shape is read off the first elements), a non-number, an int beyond 64 bits, or a value the
    requested integer dtype cannot hold."""
    shape = []
    first = data
    while isinstance(first, (list, tuple)):
        shape.append(len(first))
        if not first:
            break
        first = first[0]
    if isinstance(first, str) and shape:  # torch reads a string as one more (endless) dimension
        raise ValueError("too many dimensions 'str'")
    ints = []

    def walk(item, dim: int) -> None:
        if dim < len(shape):
            if not isinstance(item, (list, tuple)):
                raise TypeError(f"not a sequence: expected a sequence of length {shape[dim]} at dim {dim}, "
                                f"got {_type_name(item)}")
            if len(item) != shape[dim]:
                raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(item)})")
            for element in item:
                walk(element, dim + 1)
            return
        if isinstance(item, (list, tuple)):
            raise TypeError(f"expected a number at dim {dim} (the first element's depth), got a {_type_name(item)}")
        if isinstance(item, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{_type_name(item)}'")
        if isinstance(item, (bool, np.bool_, float, np.floating)):
            return
        if isinstance(item, (int, np.integer)):
            ints.append(int(item))
            return
        raise RuntimeError(f"Could not infer dtype of {_type_name(item)}")

    walk(data, 0)
    if numpy_dtype is not None and numpy_dtype.kind in "iub" and ints:
        info = np.iinfo(numpy_dtype) if numpy_dtype.kind != "b" else None
        for value in ints:
            if info is not None and not info.min <= value <= info.max:
                raise RuntimeError(f"value cannot be converted to type {numpy_dtype.name} without overflow")
    for value in ints:
        if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
            raise ValueError(f"Overflow when unpacking long long: {value} does not fit in 64 bits")


def _plain(data):
    """Nested lists with any tensors inside turned into Python numbers."""
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_plain(d) for d in data]
    return data


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with ``data`` when no conversion is needed."""
    if isinstance(data, Tensor):
        out = data
        if dtype is not None or device is not None:
            out = data.to(device=device, dtype=dtype)
        return out
    if isinstance(data, np.ndarray) or backend.is_cupy_array(data):
        dtypes.from_numpy_dtype(data.dtype)  # torch's "can't convert np.ndarray of type ..."
        return _finish(data, dtype, device, False)
    return tensor(data, dtype, device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array, as ``torch.from_numpy``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)  # raises torch's message for unsupported dtypes
    return Tensor._make(array)


def zeros(*args, size=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled("zeros", _size_or_keyword("zeros", args, size), dtype, device, requires_grad, lambda xp, shape, dt: xp.zeros(shape, dtype=dt))


def ones(*args, size=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled("ones", _size_or_keyword("ones", args, size), dtype, device, requires_grad, lambda xp, shape, dt: xp.ones(shape, dtype=dt))


def empty(*args, size=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled("empty", _size_or_keyword("empty", args, size), dtype, device, requires_grad, lambda xp, shape, dt: xp.empty(shape, dtype=dt))


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if _as_int(size) is not None or not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {_type_name(size)}")
    fill_value = _number("full", "fill_value", fill_value, 2)
    if dtype is None:
        dtype = dtypes.from_numpy_dtype(dtypes.result_type(fill_value))
    return _filled("full", (size,), dtype, device, requires_grad,
                   lambda xp, shape, dt: xp.full(shape, fill_value, dtype=dt))


def _like(fn: str, t: Tensor, dtype, device):
    _tensor_argument(fn, t)
    return (dtypes.as_dtype(dtype) if dtype is not None else t.dtype,
            device if device is not None else t.device)


def _laid_out_like(fn: str, out: Tensor, t: Tensor, memory_format) -> Tensor:
    """``out`` (fresh, row-major) laid out as torch lays out a ``*_like`` result: with ``t``'s stride
    order (``preserve_format``, the default; on ``t``'s own device), else in ``memory_format``."""
    from . import memory_format as formats
    formats.check(fn, memory_format)
    formats.require_rank(out._data, memory_format)
    if memory_format is formats.contiguous_format or (
            memory_format is formats.preserve_format
            and (t._data.flags.c_contiguous or backend.xp(t._data) is not backend.xp(out._data))):
        return out
    module = backend.xp(out._data)
    if memory_format is formats.preserve_format:
        array = module.empty_like(t._data, dtype=out._data.dtype)  # order 'K': t's stride order
    else:
        array = formats.empty(out._data.shape, out._data.dtype, module, memory_format)
    array[...] = out._data
    out._data = array
    return out


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like("zeros_like", t, dtype, device)
    out = zeros(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)
    return _laid_out_like("zeros_like", out, t, memory_format or _preserve())


def ones_like(t: Tensor, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like("ones_like", t, dtype, device)
    out = ones(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)
    return _laid_out_like("ones_like", out, t, memory_format or _preserve())


def empty_like(t: Tensor, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like("empty_like", t, dtype, device)
    out = empty(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)
    return _laid_out_like("empty_like", out, t, memory_format or _preserve())


def full_like(t: Tensor, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like("full_like", t, dtype, device)
    fill_value = _number("full_like", "fill_value", fill_value, 2)
    out = full(t.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)
    return _laid_out_like("full_like", out, t, memory_format or _preserve())


def _preserve():
    from .memory_format import preserve_format
    return preserve_format


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; int64 unless an argument is a float."""
    if end is None:
        start, end = 0, _number("arange", "end", start, 1)
    else:
        start, end = _number("arange", "start", start, 1), _number("arange", "end", end, 2)
    step = _number("arange", "step", step, 3)
    if step == 0 or step != step:  # (nan)
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = dtypes.from_numpy_dtype(dtypes.result_type(start, end, step))
    length = max(math.ceil((end - start) / step), 0)
    target = np.dtype(dtypes.as_dtype(dtype).numpy)
    _check_shape("arange", (length,), max(target.itemsize, 8))  # (the values are made in float64 first)
    _check_requires_grad(requires_grad, target)
    xp = backend.module_for(device or "cpu")
    # start + i*step in float64, then cast: the values torch computes for float steps
    values = _allocate(lambda: start + xp.arange(length, dtype=np.float64) * step, (length,), 8)
    return _finish(values.astype(target), None, device, requires_grad)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    start, end = _number("linspace", "start", start, 1), _number("linspace", "end", end, 2)
    if _as_int(steps) is None or isinstance(steps, bool):
        raise TypeError(f"linspace(): argument 'steps' (position 3) must be int, not {_type_name(steps)}")
    steps = _as_int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    target = np.dtype(_numpy_dtype(dtype))
    _check_shape("linspace", (steps,), 8)
    _check_requires_grad(requires_grad, target)
    xp = backend.module_for(device or "cpu")
    values = _allocate(lambda: xp.linspace(start, end, steps), (steps,), 8)
    return _finish(values.astype(target), None, device, requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    n = _count("eye", "n", n, 1)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None:
        m = _count("eye", "m", m, 2)
        if m < 0:
            raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _filled("eye", ((n, n if m is None else m),), dtype, device, requires_grad,
                   lambda xp, shape, dt: xp.eye(*shape, dtype=dt))


def _generator(generator, device):
    if generator is not None and not isinstance(generator, np.random.Generator) and \
            not type(generator).__module__.startswith("cupy"):
        raise TypeError(f"generator must be a NumPy Generator (np.random.default_rng), not {_type_name(generator)}")
    return generator or random.generator(device)


def rand(*args, size=None, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Uniform on [0, 1)."""
    rng = _generator(generator, device)
    _float_only("check_uniform_bounds", np.dtype(_numpy_dtype(dtype)))

    def make(xp, shape, target):
        if target in (np.float32, np.float64):  # drawn in the target precision: a cast could round up to 1
            return rng.random(shape, dtype=target)
        # float16: cast, then keep [0, 1) half-open
        return rng.random(shape).astype(target).clip(0, float(np.nextafter(target.type(1), target.type(0))))
    return _filled("rand", _size_or_keyword("rand", args, size), dtype, device, requires_grad, make)


def randn(*args, size=None, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Standard normal."""
    rng = _generator(generator, device)
    _float_only("normal_kernel_cpu", np.dtype(_numpy_dtype(dtype)))
    return _filled("randn", _size_or_keyword("randn", args, size), dtype, device, requires_grad,
                   lambda xp, shape, target: rng.standard_normal(shape).astype(target))


def randint(low=None, high=None, size=None, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Integers in [low, high); ``randint(high, size)`` and ``randint(high=10, size=(2,))`` as in torch."""
    if low is None and high is not None:  # randint(high=..., size=...): low defaults to 0
        low = 0
    if size is None:
        if high is None:
            raise TypeError("randint() missing the 'size' argument: randint(high, size) or randint(low, high, size)")
        low, high, size = 0, low, high
        position = 2
    elif high is None:  # randint(high, size=...)
        low, high, position = 0, low, 2
    else:
        position = 3
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position {position}) must be tuple of ints, "
                        f"not {_type_name(size)}")
    for name, value in (("low", low), ("high", high)):
        if _as_int(value) is None or isinstance(value, bool):
            raise TypeError(f"randint(): argument '{name}' must be int, not {_type_name(value)}")
        if not -_INT64_MAX - 1 <= _as_int(value) <= _INT64_MAX:
            raise ValueError("Overflow when unpacking long long")
    low, high = _as_int(low), _as_int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    target = np.dtype(np.int64 if dtype is None else dtypes.as_dtype(dtype).numpy)
    if target.kind in "iub":
        info = np.iinfo(target) if target.kind != "b" else None
        lowest, highest = (0, 1) if info is None else (info.min, info.max)
        if low < lowest:
            raise RuntimeError(f"from is out of bounds for {target.name}")
        if high - 1 > highest:
            raise RuntimeError(f"to - 1 is out of bounds for {target.name}")
    rng = _generator(generator, device)
    return _filled("randint", (size,), target, device, requires_grad,
                   lambda xp, shape, dt: rng.integers(low, high, size=shape).astype(dt), position)


def randperm(n: int, dtype=None, device=None, generator=None) -> Tensor:
    n = _count("randperm", "n", n, 1)
    target = np.dtype(np.int64 if dtype is None else dtypes.as_dtype(dtype).numpy)
    _check_shape("randperm", (n,), 8)
    if target.kind in "iu" and n - 1 > np.iinfo(target).max:
        raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")
    rng = _generator(generator, device)
    return _finish(_allocate(lambda: rng.permutation(n).astype(np.int64), (n,), 8), dtype, device, False)


def rand_like(t: Tensor, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like("rand_like", t, dtype, device)
    out = rand(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)
    return _laid_out_like("rand_like", out, t, memory_format or _preserve())


def randn_like(t: Tensor, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like("randn_like", t, dtype, device)
    out = randn(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)
    return _laid_out_like("randn_like", out, t, memory_format or _preserve())


def randint_like(t: Tensor, low, high=None, dtype=None, device=None) -> Tensor:
    dtype, device = _like("randint_like", t, dtype, device)
    if high is None:
        low, high = 0, low
    return randint(low, high, t.shape, dtype=dtype, device=device)
