"""Bad arguments to nn module constructors (not conv / pooling, which have their own family), containers,
losses and Module's registration methods."""
from .harness import Case

CASES = []
add = CASES.append

# ---- layers that own weights: sizes come through empty(), with torch's messages -------------------------
for description, call, match in [
    ("Linear(-1, 3)", lambda api: api.nn.Linear(-1, 3), "Trying to create tensor with negative dimension -1: [3, -1]"),
    ("Linear(3, -1)", lambda api: api.nn.Linear(3, -1), "Trying to create tensor with negative dimension -1: [-1, 3]"),
    ("Linear(2**62, 2**62)", lambda api: api.nn.Linear(2**62, 2**62), "Storage size calculation overflowed"),
    ("Bilinear(-1, 2, 3)", lambda api: api.nn.Bilinear(-1, 2, 3), "Trying to create tensor with negative dimension -1: [3, -1, 2]"),
    ("Bilinear(2, 2, -3)", lambda api: api.nn.Bilinear(2, 2, -3), "Trying to create tensor with negative dimension -3: [-3, 2, 2]"),
    ("Embedding(-1, 3)", lambda api: api.nn.Embedding(-1, 3), "Trying to create tensor with negative dimension -1: [-1, 3]"),
    ("Embedding(3, -1)", lambda api: api.nn.Embedding(3, -1), "Trying to create tensor with negative dimension -1: [3, -1]"),
    ("Embedding(2.5, 2)", lambda api: api.nn.Embedding(2.5, 2), "must be tuple of ints, but found element of type float at pos 0"),
    ("BatchNorm2d(2.5)", lambda api: api.nn.BatchNorm2d(2.5), "must be tuple of ints, not float"),
    ("LayerNorm((2, -1))", lambda api: api.nn.LayerNorm((2, -1)), "Trying to create tensor with negative dimension -1: [2, -1]"),
    ("LayerNorm('a')", lambda api: api.nn.LayerNorm("a"), "must be tuple of ints, but found element of type str at pos 0"),
    ("LayerNorm(2.5)", lambda api: api.nn.LayerNorm(2.5), "'float' object is not iterable"),
]:
    add(Case(description, call, match))
for description, call, match in [
    ("Linear(2.5, 3)", lambda api: api.nn.Linear(2.5, 3), "type float"),
    ("Linear('a', 3)", lambda api: api.nn.Linear("a", 3), "type str"),
]:
    add(Case(description, call, match, torch_match="but got"))
for cls in ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm"]:
    add(Case(f"{cls}(-1)", lambda api, cls=cls: getattr(api.nn, cls)(-1),
             "Trying to create tensor with negative dimension -1: [-1]"))
for cls in ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]:
    add(Case(f"{cls}(-1, affine=True)", lambda api, cls=cls: getattr(api.nn, cls)(-1, affine=True),
             "Trying to create tensor with negative dimension -1: [-1]"))
for padding_idx in [5, -5]:
    add(Case(f"Embedding with padding_idx {padding_idx}", lambda api, p=padding_idx: api.nn.Embedding(3, 2, padding_idx=p),
             "Padding_idx must be within num_embeddings", error=AssertionError))
add(Case("GroupNorm(3, 4)", lambda api: api.nn.GroupNorm(3, 4), "num_channels (4) must be divisible by num_groups (3)"))
add(Case("GroupNorm(0, 4)", lambda api: api.nn.GroupNorm(0, 4), "num_groups must be a positive int", error=ValueError,
         torch_match="integer modulo by zero"))

# ---- dropout probabilities -----------------------------------------------------------------------
for cls in ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout"]:
    for p in [1.5, -0.1, 2]:
        add(Case(f"{cls}(p={p})", lambda api, cls=cls, p=p: getattr(api.nn, cls)(p),
                 f"dropout probability has to be between 0 and 1, but got {p}"))
    add(Case(f"{cls}(p='a')", lambda api, cls=cls: getattr(api.nn, cls)("a"), "dropout probability has to be a number",
             torch_match="not supported between instances of 'str' and 'int'"))

# ---- activations (torch checks some only in the first forward) ----------------------------------------
x = lambda api: api.lib.zeros(2)  # noqa: E731
for description, torch_call, minigrad_call, match in [
    ("Hardtanh with max below min", lambda api: api.nn.Hardtanh(1.0, -1.0), None, "max_val (-1.0) must be greater than min_val (1.0)"),
    ("GELU with an unknown approximation", lambda api: api.nn.GELU("bad")(x(api)), lambda api: api.nn.GELU("bad"), "approximate argument must be either none or tanh."),
    ("Softmax over a string dim", lambda api: api.nn.Softmax(dim="a")(x(api)), lambda api: api.nn.Softmax(dim="a"), "softmax(): argument 'dim' (position 1) must be int, not str"),
    ("LeakyReLU with a string slope", lambda api: api.nn.LeakyReLU("a")(x(api)), lambda api: api.nn.LeakyReLU("a"), "leaky_relu(): argument 'negative_slope' (position 2) must be Number, not str"),
    ("ELU with a string alpha", lambda api: api.nn.ELU("a")(x(api)), lambda api: api.nn.ELU("a"), "elu(): argument 'alpha' (position 2) must be Number, not str"),
]:
    add(Case(description, torch=torch_call, minigrad=minigrad_call or torch_call, match=match,
             error=ValueError if description.startswith("Hardtanh") else None))

# ---- losses: an unknown reduction (torch: in the first forward; minigrad: when built) -------------------
LOSS_INPUTS = {
    "L1Loss": lambda api: (api.lib.zeros(2, 3), api.lib.zeros(2, 3)),
    "MSELoss": lambda api: (api.lib.zeros(2, 3), api.lib.zeros(2, 3)),
    "SmoothL1Loss": lambda api: (api.lib.zeros(2, 3), api.lib.zeros(2, 3)),
    "BCELoss": lambda api: (api.lib.full((2, 3), 0.5), api.lib.full((2, 3), 0.5)),
    "BCEWithLogitsLoss": lambda api: (api.lib.zeros(2, 3), api.lib.zeros(2, 3)),
    "NLLLoss": lambda api: (api.lib.zeros(2, 3), api.lib.tensor([0, 1])),
    "CrossEntropyLoss": lambda api: (api.lib.zeros(2, 3), api.lib.tensor([0, 1])),
    "KLDivLoss": lambda api: (api.lib.zeros(2, 3), api.lib.zeros(2, 3)),
}
for cls, inputs in LOSS_INPUTS.items():
    for reduction in ["bad", "average"]:
        add(Case(f"{cls} with reduction {reduction!r}",
                 torch=lambda api, cls=cls, r=reduction, inputs=inputs: getattr(api.nn, cls)(reduction=r)(*inputs(api)),
                 minigrad=lambda api, cls=cls, r=reduction: getattr(api.nn, cls)(reduction=r),
                 match=f"{reduction} is not a valid value for reduction"))
add(Case("HuberLoss with reduction 'bad'", torch=lambda api: api.nn.HuberLoss(reduction="bad")(*LOSS_INPUTS["MSELoss"](api)),
         minigrad=lambda api: api.nn.HuberLoss(reduction="bad"), match="bad is not a valid value for reduction"))
for description, call, match in [
    ("CrossEntropyLoss with label_smoothing 1.5", lambda api: api.nn.CrossEntropyLoss(label_smoothing=1.5)(*LOSS_INPUTS["CrossEntropyLoss"](api)), "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    ("SmoothL1Loss with a negative beta", lambda api: api.nn.SmoothL1Loss(beta=-1.0)(*LOSS_INPUTS["MSELoss"](api)), "smooth_l1_loss does not support negative values for beta."),
    ("HuberLoss with delta 0", lambda api: api.nn.HuberLoss(delta=0.0)(*LOSS_INPUTS["MSELoss"](api)), "huber_loss does not support non-positive values for delta."),
]:
    add(Case(description, call, match))

# ---- containers and Module's registration --------------------------------------------------------
for description, call, match, extra in [
    ("Sequential of an int", lambda api: api.nn.Sequential(3), "int is not a Module subclass", {}),
    ("Sequential with a string", lambda api: api.nn.Sequential(api.nn.ReLU(), "x"), "str is not a Module subclass", {}),
    ("ModuleList of an int", lambda api: api.nn.ModuleList([3]), "int is not a Module subclass", {}),
    ("ModuleDict of an int", lambda api: api.nn.ModuleDict({"a": 3}), "int is not a Module subclass", {}),
    ("ModuleDict with an int key", lambda api: api.nn.ModuleDict({1: api.nn.ReLU()}), "module name should be a string. Got int", {}),
    ("ModuleDict with a dotted key", lambda api: api.nn.ModuleDict({"a.b": api.nn.ReLU()}), "module name can't contain \".\", got: a.b", dict(error=KeyError)),
    ("ModuleDict with an empty key", lambda api: api.nn.ModuleDict({"": api.nn.ReLU()}), "module name can't be empty string", dict(error=KeyError)),
    ("Sequential indexed past its end", lambda api: api.nn.Sequential(api.nn.ReLU())[5], "index 5 is out of range", {}),
    ("ModuleList indexed past its end", lambda api: api.nn.ModuleList([api.nn.ReLU()])[5], "index 5 is out of range", {}),
    ("Sequential.append of an int", lambda api: api.nn.Sequential().append(3), "int is not a Module subclass", {}),
    ("ModuleList.append of an int", lambda api: api.nn.ModuleList().append(3), "int is not a Module subclass", {}),
    ("register_buffer with a dotted name", lambda api: api.nn.Module().register_buffer("a.b", api.lib.zeros(1)), "buffer name can't contain \".\"", dict(error=KeyError)),
    ("register_buffer of an int", lambda api: api.nn.Module().register_buffer("x", 3), "cannot assign 'int' object to buffer 'x'", {}),
    ("register_parameter with an empty name", lambda api: api.nn.Module().register_parameter("", None), "parameter name can't be empty string", dict(error=KeyError)),
    ("add_module with a dotted name", lambda api: api.nn.Module().add_module("a.b", api.nn.ReLU()), "module name can't contain \".\", got: a.b", dict(error=KeyError)),
    ("add_module of an int", lambda api: api.nn.Module().add_module("a", 3), "int is not a Module subclass", {}),
    ("Module.to an unknown device", lambda api: api.nn.Linear(1, 1).to("tpu"), "device type at start of device string: tpu", {}),
    ("load_state_dict missing keys", lambda api: api.nn.Linear(2, 2).load_state_dict({}), "Missing key(s) in state_dict: \"weight\", \"bias\".", {}),
    ("load_state_dict with a wrong shape", lambda api: api.nn.Linear(2, 2).load_state_dict({"weight": api.lib.zeros(3, 3), "bias": api.lib.zeros(2)}), "size mismatch for weight", {}),
    ("Parameter of an int tensor", lambda api: api.nn.Parameter(api.lib.tensor([1, 2])), "Only Tensors of floating point and complex dtype can require gradients", {}),
]:
    add(Case(description, call, match, **extra))
