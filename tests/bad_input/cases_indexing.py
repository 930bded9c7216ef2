"""Bad indices: integers out of range, too many indices, float and mis-shaped bool index tensors -- read and
written (``x[i]`` and ``x[i] = v``) -- and the gather / scatter / index_select / embedding family."""
from .harness import Case

CASES = []
add = CASES.append

x = lambda api: api.lib.ones(2, 3)  # noqa: E731
INDICES = [
    ("2", lambda api: 2, "index 2 is out of bounds for dimension 0 with size 2"),
    ("-3", lambda api: -3, "index -3 is out of bounds for dimension 0 with size 2"),
    ("(0, 3)", lambda api: (0, 3), "index 3 is out of bounds for dimension 1 with size 3"),
    ("(slice, 5)", lambda api: (slice(None), 5), "index 5 is out of bounds for dimension 1 with size 3"),
    ("(..., -4)", lambda api: (Ellipsis, -4), "index -4 is out of bounds for dimension 1 with size 3"),
    ("(None, 2)", lambda api: (None, 2), "index 2 is out of bounds for dimension 1 with size 2"),
    ("(0, 0, 0)", lambda api: (0, 0, 0), "too many indices for tensor of dimension 2"),
    ("a tensor [0, 5]", lambda api: api.lib.tensor([0, 5]), "index 5 is out of bounds for dimension 0 with size 2"),
    ("a tensor [-3]", lambda api: api.lib.tensor([-3]), "index -3 is out of bounds for dimension 0 with size 2"),
    ("(slice, tensor [3])", lambda api: (slice(None), api.lib.tensor([3])), "index 3 is out of bounds for dimension 0 with size 3"),
    ("a list [0, 2]", lambda api: [0, 2], "index 2 is out of bounds for dimension 0 with size 2"),
    ("a float tensor", lambda api: api.lib.tensor([0.0]), "tensors used as indices must be long, int, byte or bool tensors"),
    ("a float64 tensor", lambda api: api.lib.tensor([1.0], dtype=api.lib.float64), "tensors used as indices must be long, int, byte or bool tensors"),
    ("(slice, float tensor)", lambda api: (slice(None), api.lib.tensor([0.5])), "tensors used as indices must be long, int, byte or bool tensors"),
    ("a bool mask of 3 rows", lambda api: api.lib.tensor([True, False, True]),
     "The shape of the mask [3] at index 0 does not match the shape of the indexed tensor [2, 3] at index 0"),
    ("a bool mask of shape (2, 2)", lambda api: api.lib.ones(2, 2) > 0,
     "The shape of the mask [2, 2] at index 1 does not match the shape of the indexed tensor [2, 3] at index 1"),
    ("(slice, bool mask of 2)", lambda api: (slice(None), api.lib.tensor([True, False])),
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [2, 3] at index 1"),
]
for description, index, match in INDICES:
    add(Case(f"x[{description}]", lambda api, index=index: x(api)[index(api)], match))

    def write(api, index=index):
        target = x(api)
        target[index(api)] = 1.0
    add(Case(f"x[{description}] = 1.0", write, match))

    def write_tensor(api, index=index):
        target = x(api).requires_grad_(False)
        target[index(api)] = api.lib.zeros(())
    add(Case(f"x[{description}] = a 0-d tensor", write_tensor, match))

# ---- gather, scatter_add, index_select -----------------------------------------------------------
long = lambda api, values: api.lib.tensor(values, dtype=api.lib.int64)  # noqa: E731
for description, call, match in [
    ("gather with an index past the end", lambda api: x(api).gather(1, long(api, [[5]])), "index 5 is out of bounds for dimension 1 with size 3"),
    ("gather with a negative index", lambda api: x(api).gather(1, long(api, [[-1]])), "index -1 is out of bounds for dimension 1 with size 3"),
    ("gather along dim 0 past the end", lambda api: x(api).gather(0, long(api, [[2, 0]])), "index 2 is out of bounds for dimension 0 with size 2"),
    ("gather with a 1-d index of a 2-d input", lambda api: x(api).gather(1, long(api, [0])), "Index tensor must have the same number of dimensions as input tensor"),
    ("gather with a 3-d index", lambda api: x(api).gather(1, long(api, [[[0]]])), "Index tensor must have the same number of dimensions as input tensor"),
    ("gather with an index larger than the input", lambda api: api.lib.ones(1, 1).gather(1, long(api, [[0, 0], [0, 0]])), "Size does not match at dimension 0"),
    ("gather with a float index", lambda api: x(api).gather(1, api.lib.tensor([[0.0]])), "gather(): Expected dtype int32/int64 for index"),
    ("gather with a bool index", lambda api: x(api).gather(1, api.lib.tensor([[True]])), "gather(): Expected dtype int32/int64 for index"),
    ("scatter_add with an index past the end", lambda api: x(api).scatter_add(1, long(api, [[5]]), x(api)), "index 5 is out of bounds for dimension 1 with size 3"),
    ("scatter_add with a negative index", lambda api: x(api).scatter_add(0, long(api, [[-1]]), x(api)), "index -1 is out of bounds for dimension 0 with size 2"),
    ("scatter_add with a 1-d index", lambda api: x(api).scatter_add(1, long(api, [0]), x(api)), "Index tensor must have the same number of dimensions as self tensor"),
    ("scatter_add with an index larger than src", lambda api: x(api).scatter_add(1, long(api, [[0, 1]]), api.lib.ones(1, 1)), "to be no larger size than src"),
    ("scatter_add with a float index", lambda api: x(api).scatter_add(1, api.lib.tensor([[0.0]]), x(api)), "scatter(): Expected dtype int32/int64 for index"),
    ("scatter_add with a float64 src", lambda api: x(api).scatter_add(1, long(api, [[0]]), api.lib.ones(2, 3, dtype=api.lib.float64)), "scatter(): Expected self.dtype to be equal to src.dtype"),
    ("index_select past the end", lambda api: x(api).index_select(0, long(api, [5])), "index out of range in self"),
    ("index_select with a float index", lambda api: x(api).index_select(0, api.lib.tensor([0.0])), "index_select(): Expected dtype int32 or int64 for index"),
    ("index_select with a 2-d index", lambda api: x(api).index_select(0, long(api, [[0]])), "index_select(): Index is supposed to be a vector"),
    ("embedding of an index past the end", lambda api: api.F.embedding(long(api, [3]), api.lib.ones(3, 2)), "index out of range in self"),
    ("embedding of a negative index", lambda api: api.F.embedding(long(api, [-1]), api.lib.ones(3, 2)), "index out of range in self"),
    ("Embedding module of an index past the end", lambda api: api.nn.Embedding(3, 2)(long(api, [[0, 7]])), "index out of range in self"),
    ("embedding of float indices", lambda api: api.F.embedding(api.lib.tensor([0.0]), api.lib.ones(3, 2)),
     "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int"),
]:
    add(Case(description, call, match))
add(Case("index_select with a negative index", lambda api: x(api).index_select(1, long(api, [-1])), "index out of range in self",
         torch_match="INDICES element is out of DATA bounds, id=-1 axis_dim=3"))
