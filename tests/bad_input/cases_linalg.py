"""Bad input to the matrix products and linear layers: mixed dtypes (torch never promotes a matmul), shapes
that do not multiply, batch dims that do not match, operands of the wrong rank."""
from .harness import Case

CASES = []
add = CASES.append

C_NAMES = {"float32": "float", "float64": "double", "int64": "long int"}
SCALAR_NAMES = {"float32": "Float", "float64": "Double", "int64": "Long"}
PAIRS = [("float32", "float64"), ("float64", "float32"), ("float32", "int64")]


def ones(api, *shape, dtype="float32"):
    return api.lib.ones(*shape, dtype=getattr(api.lib, dtype))


for a, b in PAIRS:
    same = f"expected m1 and m2 to have the same dtype, but got: {C_NAMES[a]} != {C_NAMES[b]}"
    add(Case(f"{a} @ {b}", lambda api, a=a, b=b: ones(api, 2, 3, dtype=a) @ ones(api, 3, 2, dtype=b), same))
    add(Case(f"mm of {a} and {b}", lambda api, a=a, b=b: api.lib.mm(ones(api, 2, 3, dtype=a), ones(api, 3, 2, dtype=b)), same))
    add(Case(f"matmul of {a} and {b}", lambda api, a=a, b=b: api.lib.matmul(ones(api, 2, 3, dtype=a), ones(api, 3, 2, dtype=b)), same))
    add(Case(f"bmm of {a} and {b}", lambda api, a=a, b=b: api.lib.bmm(ones(api, 2, 2, 3, dtype=a), ones(api, 2, 3, 2, dtype=b)),
             f"expected scalar type {SCALAR_NAMES[a]} but found {SCALAR_NAMES[b]}"))
    add(Case(f"batched matmul of {a} and {b}", lambda api, a=a, b=b: ones(api, 2, 2, 3, dtype=a) @ ones(api, 2, 3, 2, dtype=b),
             f"expected scalar type {SCALAR_NAMES[a]} but found {SCALAR_NAMES[b]}"))
for a, b in PAIRS[:2]:
    add(Case(f"F.linear of {a} input and {b} weight", lambda api, a=a, b=b: api.F.linear(ones(api, 2, 3, dtype=a), ones(api, 4, 3, dtype=b)),
             f"expected m1 and m2 to have the same dtype, but got: {C_NAMES[a]} != {C_NAMES[b]}"))
    add(Case(f"F.linear with bias of {a} input and {b} weight",
             lambda api, a=a, b=b: api.F.linear(ones(api, 2, 3, dtype=a), ones(api, 4, 3, dtype=b), ones(api, 4, dtype=b)),
             f"mat1 and mat2 must have the same dtype, but got {SCALAR_NAMES[a]} and {SCALAR_NAMES[b]}"))
add(Case("nn.Linear of a float64 input", lambda api: api.nn.Linear(3, 2)(ones(api, 2, 3, dtype="float64")),
         "mat1 and mat2 must have the same dtype, but got Double and Float"))
add(Case("nn.Linear without bias of a float64 input", lambda api: api.nn.Linear(3, 2, bias=False)(ones(api, 2, 3, dtype="float64")),
         "expected m1 and m2 to have the same dtype, but got: double != float"))

# ---- shapes ------------------------------------------------------------------------------------------
for description, call, match in [
    ("mm of (2, 3) and (2, 2)", lambda api: api.lib.mm(ones(api, 2, 3), ones(api, 2, 2)), "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x2)"),
    ("(2, 3) @ (4, 2)", lambda api: ones(api, 2, 3) @ ones(api, 4, 2), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x2)"),
    ("mm of a vector", lambda api: api.lib.mm(ones(api, 3), ones(api, 3, 2)), "self must be a matrix"),
    ("mm by a vector", lambda api: api.lib.mm(ones(api, 2, 3), ones(api, 3)), "mat2 must be a matrix"),
    ("bmm of a matrix", lambda api: api.lib.bmm(ones(api, 2, 3), ones(api, 2, 3, 2)), "batch1 must be a 3D tensor"),
    ("bmm by a matrix", lambda api: api.lib.bmm(ones(api, 2, 2, 3), ones(api, 3, 2)), "batch2 must be a 3D tensor"),
    ("bmm with batches 2 and 3", lambda api: api.lib.bmm(ones(api, 2, 2, 3), ones(api, 3, 3, 2)),
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [3, 3]."),
    ("bmm with inner sizes 3 and 4", lambda api: api.lib.bmm(ones(api, 2, 2, 3), ones(api, 2, 4, 2)),
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4]."),
    ("batched matmul with batches 2 and 3", lambda api: ones(api, 2, 2, 3) @ ones(api, 3, 3, 2),
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    ("batched matmul with batches (2, 1) and (5,)", lambda api: ones(api, 4, 2, 2, 3) @ ones(api, 5, 3, 2),
     "The size of tensor a (2) must match the size of tensor b (5) at non-singleton dimension 1"),
    ("matmul of a 0-d tensor", lambda api: api.lib.matmul(api.lib.ones(()), ones(api, 2)), "both arguments to matmul need to be at least 1D"),
    ("dot of matrices", lambda api: api.lib.dot(ones(api, 2, 2), ones(api, 2, 2)), "1D tensors expected, but got 2D and 2D tensors"),
    ("dot of a float32 and a float64 vector", lambda api: api.lib.dot(ones(api, 2), ones(api, 2, dtype="float64")),
     "dot : expected both vectors to have same dtype, but found Float and Double"),
    ("dot of vectors of sizes 2 and 3", lambda api: api.lib.dot(ones(api, 2), ones(api, 3)),
     "inconsistent tensor size, expected tensor [2] and src [3] to have the same number of elements, but got 2 and 3 elements respectively"),
    ("outer of a matrix", lambda api: api.lib.outer(ones(api, 2, 2), ones(api, 3)), "outer: Expected 1-D argument self, but got 2-D"),
    ("outer by a matrix", lambda api: api.lib.outer(ones(api, 2), ones(api, 3, 1)), "outer: Expected 1-D argument vec2, but got 2-D"),
    ("F.linear of in_features 4 for weight of 3", lambda api: api.F.linear(ones(api, 2, 4), ones(api, 5, 3)), "mat1 and mat2 shapes cannot be multiplied (2x4 and 3x5)"),
    ("nn.Linear(3, 2) of 4 features", lambda api: api.nn.Linear(3, 2)(ones(api, 5, 4)), "mat1 and mat2 shapes cannot be multiplied (5x4 and 3x2)"),
]:
    add(Case(description, call, match))
