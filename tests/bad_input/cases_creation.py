"""Bad input to the tensor factories: sizes, counts, numbers, nested lists, dtypes, devices, generators."""
import math

import numpy as np
import pytest

from .harness import Case

CASES = []
add = CASES.append

# ---- sizes: zeros / ones / empty / rand / randn take *size or one sequence --------------------------
BIG = 2**62  # bytes overflow 64 bits
UNALLOCATABLE = 2**56  # 2**58 bytes of float32: beyond any address space, yet no overflow
for fn in ["zeros", "ones", "empty", "rand", "randn"]:
    negative = "zeros: Dimension size must be non-negative." if fn == "zeros" else \
        "Trying to create tensor with negative dimension -1: [-1]"
    negative_2d = "zeros: Dimension size must be non-negative." if fn == "zeros" else \
        "Trying to create tensor with negative dimension -3: [2, -3]"
    for description, args, match in [
        ("a float size", (2.5,), f"{fn}(): argument 'size' (position 1) must be tuple of ints, not float"),
        ("a string size", ("3",), f"{fn}(): argument 'size' (position 1) must be tuple of ints, not str"),
        ("a None size", (None,), f"{fn}(): argument 'size' (position 1) must be tuple of ints, not NoneType"),
        ("a bool size", (True,), f"{fn}(): argument 'size' (position 1) must be tuple of ints, not bool"),
        ("a dict size", ({2: 3},), f"{fn}(): argument 'size' (position 1) must be tuple of ints, not dict"),
        ("a float in a size list", ([2.0],), f"{fn}(): argument 'size' (position 1) must be tuple of ints, "
                                             "but found element of type float at pos 0"),
        ("a float second size", (2, 2.0), f"{fn}(): argument 'size' failed to unpack the object at pos 2 with "
                                          'error "type must be tuple of ints,but got float"'),
        ("a string second size", (2, "a"), f"{fn}(): argument 'size' failed to unpack the object at pos 2 with "
                                           'error "type must be tuple of ints,but got str"'),
        ("a negative size", (-1,), negative),
        ("a negative second size", (2, -3), negative_2d),
        ("a size whose bytes overflow", (BIG,), f"Storage size calculation overflowed with sizes=[{BIG}]"),
        ("sizes whose product overflows", (2**40, 2**40),
         f"Storage size calculation overflowed with sizes=[{2**40}, {2**40}]"),
        ("a size beyond int64", (2**63,), "Overflow when unpacking long long"),
        ("a size no machine can allocate", (UNALLOCATABLE,),
         f"can't allocate memory: you tried to allocate {UNALLOCATABLE * 4} bytes"),
    ]:
        add(Case(f"{fn} with {description}", lambda api, fn=fn, args=args: getattr(api.lib, fn)(*args), match))

def _overcommit_heuristic() -> bool:
    """Linux's default overcommit mode refuses at once an allocation beyond RAM + swap; in mode 1 ("always")
    a 40 TB request would be granted and then kill the machine when filled, so that case is skipped there."""
    try:
        with open("/proc/sys/vm/overcommit_memory") as f:
            return f.read().strip() in ("0", "2")
    except OSError:
        return False


add(Case("ones of 10**13 elements (40 TB)", lambda api: api.lib.ones(10**13),
         "can't allocate memory: you tried to allocate 40000000000000 bytes",
         marks=[pytest.mark.skipif(not _overcommit_heuristic(), reason="needs Linux's overcommit heuristic")]))

for fn in ["zeros", "ones", "empty"]:
    add(Case(f"{fn} with a 0 and a huge size", lambda api, fn=fn: getattr(api.lib, fn)(0, BIG), torch=None,
             match=f"Storage size calculation overflowed with sizes=[0, {BIG}]"))
    add(Case(f"{fn} with 65 dimensions", lambda api, fn=fn: getattr(api.lib, fn)((1,) * 65), torch=None,
             match="at most 64 dimensions"))

# ---- full / full_like ------------------------------------------------------------------------------
for description, call, match in [
    ("full with an int size", lambda api: api.lib.full(3, 1.0), "argument 'size' (position 1) must be tuple of ints, not int"),
    ("full with a string size", lambda api: api.lib.full("a", 1.0), "must be tuple of ints, not str"),
    ("full with a negative size", lambda api: api.lib.full((-1,), 1.0), "Trying to create tensor with negative dimension -1: [-1]"),
    ("full with a size whose bytes overflow", lambda api: api.lib.full((BIG,), 1.0), "Storage size calculation overflowed"),
    ("full with a string fill value", lambda api: api.lib.full((2,), "x"), "full(): argument 'fill_value' (position 2) must be Number, not str"),
    ("full with a None fill value", lambda api: api.lib.full((2,), None), "must be Number, not NoneType"),
    ("full with a list fill value", lambda api: api.lib.full((2,), [1.0]), "must be Number, not list"),
    ("full_like with a string fill value", lambda api: api.lib.full_like(api.lib.zeros(2), "x"), "full_like(): argument 'fill_value' (position 2) must be Number, not str"),
    ("full_like with a None fill value", lambda api: api.lib.full_like(api.lib.zeros(2), None), "must be Number, not NoneType"),
]:
    add(Case(description, call, match))

# ---- *_like of something that is not a tensor --------------------------------------------------------
for fn in ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"]:
    for description, value, type_name in [("a list", [1.0, 2.0], "list"), ("None", None, "NoneType"),
                                          ("a NumPy array", np.zeros(2), "numpy.ndarray")]:
        add(Case(f"{fn} of {description}", lambda api, fn=fn, value=value: getattr(api.lib, fn)(value),
                 f"{fn}(): argument 'input' (position 1) must be Tensor, not {type_name}"))
add(Case("full_like of a list", lambda api: api.lib.full_like([1.0], 2.0),
         "full_like(): argument 'input' (position 1) must be Tensor, not list"))

# ---- rand / randn draw floats only -----------------------------------------------------------------
for dtype, torch_name in [("int64", "Long"), ("int32", "Int"), ("int16", "Short"), ("int8", "Char"),
                          ("uint8", "Byte"), ("bool", "Bool")]:
    add(Case(f"rand of dtype {dtype}", lambda api, d=dtype: api.lib.rand(2, dtype=getattr(api.lib, d)),
             f"\"check_uniform_bounds\" not implemented for '{torch_name}'"))
    add(Case(f"randn of dtype {dtype}", lambda api, d=dtype: api.lib.randn(2, dtype=getattr(api.lib, d)),
             f"\"normal_kernel_cpu\" not implemented for '{torch_name}'"))
add(Case("rand_like of an int tensor", lambda api: api.lib.rand_like(api.lib.zeros(2, dtype=api.lib.int64)),
         "\"check_uniform_bounds\" not implemented for 'Long'"))
add(Case("randn_like of an int tensor", lambda api: api.lib.randn_like(api.lib.zeros(2, dtype=api.lib.int64)),
         "\"normal_kernel_cpu\" not implemented for 'Long'"))

# ---- requires_grad of an integer tensor ----------------------------------------------------------
GRAD = "Only Tensors of floating point and complex dtype can require gradients"
for description, call in [
    ("zeros", lambda api: api.lib.zeros(2, dtype=api.lib.int64, requires_grad=True)),
    ("ones", lambda api: api.lib.ones(2, dtype=api.lib.int32, requires_grad=True)),
    ("empty", lambda api: api.lib.empty(2, dtype=api.lib.uint8, requires_grad=True)),
    ("full", lambda api: api.lib.full((2,), 1, requires_grad=True)),
    ("arange", lambda api: api.lib.arange(3, requires_grad=True)),
    ("eye", lambda api: api.lib.eye(2, dtype=api.lib.int64, requires_grad=True)),
    ("tensor of ints", lambda api: api.lib.tensor([1, 2], requires_grad=True)),
    ("tensor of a bool", lambda api: api.lib.tensor(True, requires_grad=True)),
    ("randint", lambda api: api.lib.randint(3, (2,), requires_grad=True)),
    ("zeros_like of an int tensor", lambda api: api.lib.zeros_like(api.lib.zeros(2, dtype=api.lib.int64), requires_grad=True)),
]:
    add(Case(f"{description} with requires_grad", call, GRAD))

# ---- tensor / as_tensor from Python data -------------------------------------------------------------
for fn in ["tensor", "as_tensor"]:
    for description, data, match in [
        ("a ragged list", [[1, 2], [3]], "expected sequence of length 2 at dim 1 (got 1)"),
        ("a ragged list, longer second row", [[1], [2, 3]], "expected sequence of length 1 at dim 1 (got 2)"),
        ("a list ragged at dim 2", [[[1]], [[2, 3]]], "expected sequence of length 1 at dim 2 (got 2)"),
        ("a string", "abc", "new(): invalid data type 'str'"),
        ("a list of strings", ["a"], "too many dimensions 'str'"),
        ("a string among numbers", [1, "a"], "new(): invalid data type 'str'"),
        ("None", None, "Could not infer dtype of NoneType"),
        ("a None in a list", [1, None], "Could not infer dtype of NoneType"),
        ("an object", object(), "Could not infer dtype of object"),
        ("a dict", {1: 2}, "Could not infer dtype of dict"),
        ("a set", {1}, "Could not infer dtype of set"),
        ("bytes", b"ab", "new(): invalid data type 'bytes'"),
        ("an int beyond 64 bits", 2**64, "Overflow when unpacking long long"),
        ("2**63", 2**63, "Overflow when unpacking long long"),
        ("a negative int beyond 64 bits", -2**64, "Overflow when unpacking long long"),
        ("an int beyond 64 bits in a list", [1, 2**64], "Overflow when unpacking long long"),
    ]:
        add(Case(f"{fn} of {description}", lambda api, fn=fn, data=data: getattr(api.lib, fn)(data), match))
    add(Case(f"{fn} of a NumPy string array", lambda api, fn=fn: getattr(api.lib, fn)(np.array(["a"])),
             "can't convert np.ndarray of type numpy.str_"))
    add(Case(f"{fn} of a NumPy object array", lambda api, fn=fn: getattr(api.lib, fn)(np.array([1, "a"], dtype=object)),
             "can't convert np.ndarray of type numpy.object_"))
add(Case("tensor of a scalar sequence mix", lambda api: api.lib.tensor([[1, 2], 3]), "not a sequence"))
add(Case("tensor of a list deeper than its first element", lambda api: api.lib.tensor([1, [2]]),
         "expected a number at dim 1", torch_match="'list' object cannot be interpreted as an integer"))
add(Case("tensor of 300 as int8", lambda api: api.lib.tensor(300, dtype=api.lib.int8),
         "value cannot be converted to type int8 without overflow"))
add(Case("tensor of -1 as uint8 in a list", lambda api: api.lib.tensor([1, -1, 300], dtype=api.lib.uint8),
         "value cannot be converted to type uint8 without overflow"))
add(Case("tensor with an unknown dtype name", lambda api: api.lib.tensor(1.0, dtype="foo"), "dtype",
         torch_match="argument 'dtype' must be torch.dtype, not str"))
add(Case("tensor on an unknown device type", lambda api: api.lib.tensor(1.0, device="tpu"),
         "device type at start of device string: tpu"))
add(Case("tensor on a malformed cuda device", lambda api: api.lib.tensor(1.0, device="cuda:x"),
         "Invalid device string: 'cuda:x'"))
add(Case("zeros on an unknown device type", lambda api: api.lib.zeros(2, device="tpu"),
         "device type at start of device string: tpu"))
add(Case("tensor of a complex number", lambda api: api.lib.tensor(1j), torch=None, match="Could not infer dtype of complex"))
for description, value, match in [("a list", [1.0], "expected np.ndarray (got list)"),
                                  ("a string array", np.array(["a"]), "can't convert np.ndarray of type numpy.str_"),
                                  ("an object array", np.array([None]), "can't convert np.ndarray of type numpy.object_")]:
    add(Case(f"from_numpy of {description}", lambda api, value=value: api.lib.from_numpy(value), match))

# ---- eye / linspace / arange ---------------------------------------------------------------------
for description, call, match in [
    ("eye of -1", lambda api: api.lib.eye(-1), "n must be greater or equal to 0, got -1"),
    ("eye with m of -1", lambda api: api.lib.eye(2, -1), "m must be greater or equal to 0, got -1"),
    ("eye of a float", lambda api: api.lib.eye(2.5), "eye(): argument 'n' (position 1) must be int, not float"),
    ("eye of a string", lambda api: api.lib.eye("a"), "eye(): argument 'n' (position 1) must be int, not str"),
    ("eye of a bool", lambda api: api.lib.eye(True), "eye(): argument 'n' (position 1) must be int, not bool"),
    ("linspace with -1 steps", lambda api: api.lib.linspace(0, 1, -1), "number of steps must be non-negative"),
    ("arange to infinity", lambda api: api.lib.arange(0, math.inf), "unsupported range: 0 -> inf"),
    ("arange from minus infinity", lambda api: api.lib.arange(-math.inf, 0), "unsupported range: -inf -> 0"),
    ("arange to nan", lambda api: api.lib.arange(math.nan), "unsupported range: 0 -> nan"),
    ("arange with step 0", lambda api: api.lib.arange(0, 1, 0), "step must be nonzero"),
    ("arange with a nan step", lambda api: api.lib.arange(0, 1, math.nan), "step must be nonzero"),
    ("arange downwards with a positive step", lambda api: api.lib.arange(0, -1), "upper bound and lower bound inconsistent with step sign"),
    ("arange upwards with a negative step", lambda api: api.lib.arange(0, 10, -1), "upper bound and lower bound inconsistent with step sign"),
    ("arange too long to store", lambda api: api.lib.arange(0, BIG), "Storage size calculation overflowed"),
    ("arange of a string", lambda api: api.lib.arange("a"), "arange(): argument 'end' (position 1) must be Number, not str"),
    ("arange of None", lambda api: api.lib.arange(None), "must be Number, not NoneType"),
    ("arange of a 1-d tensor", lambda api: api.lib.arange(api.lib.tensor([1, 2])), "must be Number, not"),
    ("linspace too long to store", lambda api: api.lib.linspace(0, 1, BIG), "Storage size calculation overflowed"),
]:
    add(Case(description, call, match))
for description, call, match in [
    ("eye too big to store", lambda api: api.lib.eye(2**40), "Storage size calculation overflowed"),
    ("eye with a float m", lambda api: api.lib.eye(2, 2.5), "argument 'm' (position 2) must be int, not float"),
    ("linspace with a float step count", lambda api: api.lib.linspace(0, 1, 2.5), "argument 'steps' (position 3) must be int, not float"),
    ("linspace with a string step count", lambda api: api.lib.linspace(0, 1, "a"), "argument 'steps' (position 3) must be int, not str"),
    ("linspace from a string", lambda api: api.lib.linspace("a", 1, 3), "argument 'start' (position 1) must be Number, not str"),
]:
    add(Case(description, call, match, torch_match=None))  # torch: its own words ("invalid combination", "numel")

# ---- randint / randperm / manual_seed ----------------------------------------------------------------
for description, call, match in [
    ("randint with low above high", lambda api: api.lib.randint(5, 2, (3,)), "random_ expects 'from' to be less than 'to', but got from=5 >= to=2"),
    ("randint with high 0", lambda api: api.lib.randint(0, (3,)), "but got from=0 >= to=0"),
    ("randint with a negative high", lambda api: api.lib.randint(-1, (2,)), "but got from=0 >= to=-1"),
    ("randint with a negative size", lambda api: api.lib.randint(5, (-1,)), "Trying to create tensor with negative dimension -1: [-1]"),
    ("randint with an int size", lambda api: api.lib.randint(5, 3), "randint(): argument 'size' (position 2) must be tuple of ints, not int"),
    ("randint with a string size", lambda api: api.lib.randint(2, "a"), "argument 'size' (position 2) must be tuple of ints, not str"),
    ("randint with a float in its size", lambda api: api.lib.randint(2, (2.5,)), "randint(): argument 'size' (position 2) must be tuple of ints, but found element of type float at pos 0"),
    ("randint with high beyond int64", lambda api: api.lib.randint(0, 2**64, (2,)), "Overflow when unpacking long long"),
    ("randint too big to store", lambda api: api.lib.randint(0, 2, (BIG,)), "Storage size calculation overflowed"),
    ("randint beyond int8", lambda api: api.lib.randint(0, 300, (2,), dtype=api.lib.int8), "to - 1 is out of bounds for"),
    ("randint beyond bool", lambda api: api.lib.randint(0, 3, (2,), dtype=api.lib.bool), "to - 1 is out of bounds for"),
    ("randint below uint8", lambda api: api.lib.randint(-1, 3, (2,), dtype=api.lib.uint8), "from is out of bounds for"),
    ("randint_like with low above high", lambda api: api.lib.randint_like(api.lib.zeros(2), 5, 2), "but got from=5 >= to=2"),
    ("randint_like with high 0", lambda api: api.lib.randint_like(api.lib.zeros(2), 0), "but got from=0 >= to=0"),
    ("randperm of -1", lambda api: api.lib.randperm(-1), "Trying to create tensor with negative dimension -1: [-1]"),
    ("randperm of a float", lambda api: api.lib.randperm(2.5), "randperm(): argument 'n' (position 1) must be int, not float"),
    ("randperm of a string", lambda api: api.lib.randperm("a"), "randperm(): argument 'n' (position 1) must be int, not str"),
    ("randperm of a bool", lambda api: api.lib.randperm(True), "randperm(): argument 'n' (position 1) must be int, not bool"),
    ("randperm beyond int64", lambda api: api.lib.randperm(2**70), "Overflow when unpacking long long"),
    ("randperm beyond int8", lambda api: api.lib.randperm(300, dtype=api.lib.int8), "without overflow"),
    ("manual_seed beyond 64 bits", lambda api: api.lib.manual_seed(2**64), "Overflow when unpacking long long"),
    ("manual_seed of a word", lambda api: api.lib.manual_seed("a"), "invalid literal for int()"),
]:
    add(Case(description, call, match))
add(Case("randint with a float high", lambda api: api.lib.randint(0, 1.5, (2,)), "argument 'high' must be int, not float",
         torch_match="invalid combination of arguments"))
add(Case("randint without a size", lambda api: api.lib.randint(2), "randint()", torch_match="randint()"))
add(Case("randperm from a list generator", lambda api: api.lib.randperm(3, generator=[1]), torch=None,
         match="generator must be a NumPy Generator"))

# ---- Tensor.new_* (methods in ops/__init__ over the factories above) -----------------------------------
for description, call, match in [
    ("new_ones with a float size", lambda api: api.lib.zeros(2).new_ones(2.5), "argument 'size' (position 1) must be tuple of ints, not float"),
    ("new_empty with a string size", lambda api: api.lib.zeros(2).new_empty("a"), "argument 'size' (position 1) must be tuple of ints, not str"),
    ("new_full with a negative size", lambda api: api.lib.zeros(2).new_full((-1,), 1.0), "Trying to create tensor with negative dimension -1: [-1]"),
    ("new_ones with a negative second size", lambda api: api.lib.zeros(2).new_ones((2, -3)), "Trying to create tensor with negative dimension -3: [2, -3]"),
    ("new_zeros with a size whose bytes overflow", lambda api: api.lib.zeros(2).new_zeros(BIG), "Storage size calculation overflowed"),
    ("new_tensor of a ragged list", lambda api: api.lib.zeros(2).new_tensor([[1], [2, 3]]), "expected sequence of length 1 at dim 1 (got 2)"),
]:
    add(Case(description, call, match))
add(Case("new_zeros with a negative size", lambda api: api.lib.zeros(2).new_zeros(-1),
         "Trying to create tensor with negative dimension -1: [-1]"))

# ---- the generator's state -------------------------------------------------------------------------
add(Case("set_rng_state of a dict", torch=lambda api: api.lib.set_rng_state({"a": 1}),
         minigrad=lambda api: api.lib.set_rng_state(5), match="set_rng_state expects the dict",
         torch_match="expected a torch.ByteTensor"))
for description, state in [("a foreign dict", {"a": 1}), ("another generator's state", {"bit_generator": "MT19937", "state": {}}),
                           ("a corrupt PCG64 state", {"bit_generator": "PCG64", "state": {"state": "x", "inc": 1},
                                                      "has_uint32": 0, "uinteger": 0})]:
    add(Case(f"set_rng_state of {description}", torch=None, minigrad=lambda api, s=state: api.lib.set_rng_state(s),
             match="not a state from minigrad.get_rng_state()"))
