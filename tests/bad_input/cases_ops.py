"""Bad input to the elementwise, reduction and shape ops: shapes that do not broadcast, dims out of range
or named twice, wrong dtypes (float masks and conditions, bitwise ops on floats), non-tensors where
torch wants a tensor, and views that cannot be views. Generated: each op x each bad argument."""
from .harness import Case

CASES = []
add = CASES.append

# ---- broadcasting: torch's words, never NumPy's "operands could not be broadcast" --------------------
BROADCAST = [((2, 3), (2, 4), "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
             ((3,), (4,), "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0"),
             ((2, 3, 4), (5, 4), "The size of tensor a (3) must match the size of tensor b (5) at non-singleton dimension 1")]
BINARY = ["add", "sub", "mul", "div", "true_divide", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge",
          "logical_and", "logical_or", "logical_xor", "remainder", "floor_divide"]
for fn in BINARY:
    for a, b, match in BROADCAST:
        add(Case(f"{fn} of shapes {a} and {b}",
                 lambda api, fn=fn, a=a, b=b: getattr(api.lib, fn)(api.lib.ones(*a), api.lib.ones(*b)), match))
for mode in ("floor", "trunc"):
    for a, b, match in BROADCAST:
        add(Case(f"div with rounding_mode={mode!r} of shapes {a} and {b}",
                 lambda api, mode=mode, a=a, b=b: api.lib.div(api.lib.ones(*a), api.lib.ones(*b), rounding_mode=mode),
                 match))
for symbol, operator in [("add (+)", lambda x, y: x + y), ("sub (-)", lambda x, y: x - y), ("mul (*)", lambda x, y: x * y),
                         ("div (/)", lambda x, y: x / y), ("pow (**)", lambda x, y: x ** y), ("lt (<)", lambda x, y: x < y),
                         ("eq (==)", lambda x, y: x == y)]:
    a, b, match = BROADCAST[0]
    add(Case(f"operator {symbol} of shapes {a} and {b}",
             lambda api, op=operator, a=a, b=b: op(api.lib.ones(*a), api.lib.ones(*b)), match))
for fn in ["bitwise_and", "bitwise_or", "bitwise_xor"]:
    for a, b, match in BROADCAST[:2]:
        add(Case(f"{fn} of int shapes {a} and {b}",
                 lambda api, fn=fn, a=a, b=b: getattr(api.lib, fn)(api.lib.ones(*a, dtype=api.lib.int64),
                                                                  api.lib.ones(*b, dtype=api.lib.int64)), match))
for a, b, match in BROADCAST:
    add(Case(f"where with values of shapes {a} and {b}",
             lambda api, a=a, b=b: api.lib.where(api.lib.ones(*a) > 0, api.lib.ones(*a), api.lib.ones(*b)), match))
add(Case("where with a condition of another shape",
         lambda api: api.lib.where(api.lib.ones(4) > 0, api.lib.ones(2, 3), api.lib.ones(2, 3)),
         "The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 1"))
add(Case("masked_fill with a mask of another shape", lambda api: api.lib.ones(2, 3).masked_fill(api.lib.ones(4) > 0, 0.0),
         "The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 1"))

# ---- dtypes: float conditions and masks, bitwise ops on floats ------------------------------------
for dtype, name, lower in [("float32", "Float", "float"), ("int64", "Long", "long int"), ("float64", "Double", "double")]:
    add(Case(f"where with a {dtype} condition",
             lambda api, d=dtype: api.lib.where(api.lib.ones(3, dtype=getattr(api.lib, d)), api.lib.ones(3), api.lib.zeros(3)),
             f"where expected condition to be a boolean tensor, but got a tensor with dtype {name}"))
    add(Case(f"masked_fill with a {dtype} mask",
             lambda api, d=dtype: api.lib.ones(3).masked_fill(api.lib.ones(3, dtype=getattr(api.lib, d)), 0.0),
             f"masked_fill_ only supports boolean masks, but got mask with dtype {lower}"))
add(Case("masked_fill with a 1-d value tensor", lambda api: api.lib.ones(3).masked_fill(api.lib.ones(3) > 0, api.lib.ones(1)),
         "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension"))
for fn, kernel in [("bitwise_and", "bitwise_and_cpu"), ("bitwise_or", "bitwise_or_cpu"), ("bitwise_xor", "bitwise_xor_cpu")]:
    for dtype, name in [("float32", "Float"), ("float64", "Double")]:
        add(Case(f"{fn} of {dtype} tensors",
                 lambda api, fn=fn, d=dtype: getattr(api.lib, fn)(api.lib.ones(3, dtype=getattr(api.lib, d)),
                                                                  api.lib.ones(3, dtype=getattr(api.lib, d))),
                 f'"{kernel}" not implemented for \'{name}\''))
for symbol, operator, kernel in [("and (&)", lambda x, y: x & y, "bitwise_and_cpu"), ("or (|)", lambda x, y: x | y, "bitwise_or_cpu"),
                                 ("xor (^)", lambda x, y: x ^ y, "bitwise_xor_cpu")]:
    add(Case(f"operator {symbol} of float tensors", lambda api, op=operator: op(api.lib.ones(3), api.lib.ones(3)),
             f'"{kernel}" not implemented for \'Float\''))

# ---- a number where torch wants a tensor -----------------------------------------------------------
for fn in ["eq", "ne", "lt", "le", "gt", "ge"]:
    add(Case(f"{fn} of a number and a tensor", lambda api, fn=fn: getattr(api.lib, fn)(2, api.lib.ones(3)),
             f"{fn}() received an invalid combination of arguments - got (int, Tensor)"))
for fn in ["maximum", "minimum", "logical_and", "logical_or", "isclose"]:
    add(Case(f"{fn} of a number and a tensor", lambda api, fn=fn: getattr(api.lib, fn)(2, api.lib.ones(3)),
             f"{fn}(): argument 'input' (position 1) must be Tensor, not int"))
for fn in ["maximum", "minimum", "logical_and", "logical_xor"]:
    add(Case(f"{fn} of a tensor and a number", lambda api, fn=fn: getattr(api.lib, fn)(api.lib.ones(3), 2),
             f"{fn}(): argument 'other' (position 2) must be Tensor, not int"))
for fn in ["max", "min", "remainder"]:
    add(Case(f"{fn} of two numbers", lambda api, fn=fn: getattr(api.lib, fn)(2, 3),
             f"{fn}() received an invalid combination of arguments - got (int, int)"))

# ---- isclose tolerances ---------------------------------------------------------------------------
for name in ["rtol", "atol"]:
    for value in [-0.4, -1e-9]:
        add(Case(f"isclose with {name}={value}", lambda api, n=name, v=value: api.lib.isclose(api.lib.ones(2), api.lib.ones(2), **{n: v}),
                 f"{name} must be greater than or equal to zero, but got {value}"))
add(Case("isclose of float32 and float64", lambda api: api.lib.isclose(api.lib.ones(2), api.lib.ones(2, dtype=api.lib.float64)),
         "Float did not match Double"))

# ---- dims out of range -----------------------------------------------------------------------------
RANGE = "Dimension out of range (expected to be in range of [-2, 1], but got {})"
DIM_OPS = {
    "sum": lambda api, x, d: x.sum(d), "mean": lambda api, x, d: x.mean(d), "prod": lambda api, x, d: x.prod(d),
    "amax": lambda api, x, d: x.amax(d), "amin": lambda api, x, d: x.amin(d), "argmax": lambda api, x, d: x.argmax(d),
    "argmin": lambda api, x, d: x.argmin(d), "max": lambda api, x, d: x.max(d), "min": lambda api, x, d: x.min(d),
    "softmax": lambda api, x, d: x.softmax(d), "log_softmax": lambda api, x, d: x.log_softmax(d),
    "logsumexp": lambda api, x, d: x.logsumexp(d), "cumsum": lambda api, x, d: x.cumsum(d),
    "flip": lambda api, x, d: x.flip(d), "unsqueeze": lambda api, x, d: x.unsqueeze(d + (1 if d > 0 else -1)),
    "transpose": lambda api, x, d: x.transpose(0, d), "unbind": lambda api, x, d: x.unbind(d),
    "narrow": lambda api, x, d: x.narrow(d, 0, 1),
    "chunk": lambda api, x, d: x.chunk(2, d), "split": lambda api, x, d: x.split(1, d),
    "movedim": lambda api, x, d: x.movedim(d, 0), "index_select": lambda api, x, d: x.index_select(d, api.lib.tensor([0])),
    "gather": lambda api, x, d: x.gather(d, api.lib.zeros(2, 3, dtype=api.lib.int64)),
    "cat": lambda api, x, d: api.lib.cat([x, x], d), "stack": lambda api, x, d: api.lib.stack([x, x], d + (1 if d > 0 else -1)),
}
for name, call in DIM_OPS.items():
    for d in [2, -3]:
        shown = (d + 1 if d > 0 else d - 1) if name in ("unsqueeze", "stack") else d
        match = (f"Dimension out of range (expected to be in range of [-3, 2], but got {shown})"
                 if name in ("unsqueeze", "stack") else RANGE.format(d))
        add(Case(f"{name} over dim {d} of a 2-d tensor", lambda api, call=call, d=d: call(api, api.lib.ones(2, 3), d), match))

# ---- a dim named twice -----------------------------------------------------------------------------
for name, call in [("flip", lambda api, x, dims: x.flip(dims)), ("amax", lambda api, x, dims: x.amax(dim=dims)),
                   ("amin", lambda api, x, dims: x.amin(dim=dims))]:
    for dims, shown in [((1, 1), 1), ((0, -2), 0), ((1, 0, -1), 1)]:
        add(Case(f"{name} over dims {dims}", lambda api, call=call, dims=dims: call(api, api.lib.ones(2, 3), dims),
                 f"dim {shown} appears multiple times in the list of dims"))
for source, destination, which, shown in [((0, 1), (0, 0), "destination", "[0, 0]"), ((0, -2), (0, 1), "source", "[0, -2]"),
                                          ((1, 1), (0, 1), "source", "[1, 1]"), ((0, 1), (1, -1), "destination", "[1, -1]")]:
    add(Case(f"movedim from {source} to {destination}",
             lambda api, s=source, d=destination: api.lib.movedim(api.lib.ones(2, 3), s, d),
             f"movedim: repeated dim in `{which}` ({shown})"))
add(Case("permute with a repeated dim", lambda api: api.lib.ones(2, 3).permute(1, 1), "duplicate dims are not allowed"))

# ---- narrow ------------------------------------------------------------------------------------------
for description, args, match, shape in [
    ("past the end", (1, 2, 3), "start (2) + length (3) exceeds dimension size (3).", (2, 3)),
    ("from a start past the end", (1, 4, 0), "start out of range (expected to be in range of [-3, 3], but got 4)", (2, 3)),
    ("from a start before the beginning", (1, -4, 1), "start out of range (expected to be in range of [-3, 3], but got -4)", (2, 3)),
    ("with a negative length", (0, 0, -1), "narrow(): length must be non-negative.", (2, 3)),
    ("from a negative start past the end", (1, -1, 2), "start (2) + length (2) exceeds dimension size (3).", (2, 3)),
    ("of a 0-d tensor", (0, 0, 1), "narrow() cannot be applied to a 0-dim tensor.", ((),)),
]:
    add(Case(f"narrow {description}", lambda api, args=args, shape=shape: api.lib.ones(*shape).narrow(*args), match))
add(Case("narrow with a 1-d start tensor", lambda api: api.lib.ones(2, 3).narrow(1, api.lib.tensor([0, 1]), 1),
         "start must be an 0-dim integral Tensor."))

# ---- views that cannot be views (torch's stride rule), shapes that do not fit -------------------------
VIEW = "view size is not compatible with input tensor's size and stride"
for description, make, shape in [
    ("of a transposed matrix as a vector", lambda api: api.lib.ones(2, 3).t(), (6,)),
    ("of a transposed matrix with -1", lambda api: api.lib.ones(2, 3).t(), (-1,)),
    ("of a transposed matrix as (2, 3)", lambda api: api.lib.ones(2, 3).t(), (2, 3)),
    ("of a permuted 3-d tensor", lambda api: api.lib.ones(2, 3, 4).permute(2, 0, 1), (8, 3)),
    ("of an expanded tensor", lambda api: api.lib.ones(1, 3).expand(2, 3), (6,)),
    ("of a column slice", lambda api: api.lib.ones(4, 4)[:, :2], (8,)),
]:
    add(Case(f"view {description}", lambda api, make=make, shape=shape: make(api).view(*shape), VIEW))
for shape, size in [((4,), 6), ((2, 2), 6), ((-1, 4), 6), ((0, -1), 6)]:
    add(Case(f"view of 6 elements as {shape}", lambda api, shape=shape: api.lib.ones(2, 3).view(*shape),
             f"shape '{list(shape)}' is invalid for input of size {size}"))
    add(Case(f"reshape of 6 elements to {shape}", lambda api, shape=shape: api.lib.ones(2, 3).reshape(*shape),
             f"shape '{list(shape)}' is invalid for input of size {size}"))
