"""Bad input to the loss functions: integer logits, class indices of the wrong dtype, targets whose shape
does not broadcast (torch's words, not NumPy's), batch sizes that disagree, targets out of range."""
from .harness import Case

CASES = []
add = CASES.append


def t(api, values, dtype):
    return api.lib.tensor(values, dtype=getattr(api.lib, dtype))


for dtype, name in [("int64", "Long"), ("int32", "Int"), ("int16", "Short"), ("uint8", "Byte")]:
    add(Case(f"cross_entropy of {dtype} logits", lambda api, d=dtype: api.F.cross_entropy(t(api, [[1, 2, 3]], d), t(api, [0], "int64")),
             f"\"log_softmax_lastdim_kernel_impl\" not implemented for '{name}'"))
    add(Case(f"cross_entropy of (N, C, L) {dtype} logits",
             lambda api, d=dtype: api.F.cross_entropy(api.lib.ones(2, 3, 4, dtype=getattr(api.lib, d)), api.lib.zeros(2, 4, dtype=api.lib.int64)),
             f"\"log_softmax_kernel_impl\" not implemented for '{name}'"))
    add(Case(f"nll_loss of {dtype} log-probabilities",
             lambda api, d=dtype: api.F.nll_loss(api.lib.ones(2, 3, dtype=getattr(api.lib, d)), api.lib.zeros(2, dtype=api.lib.int64)),
             f"\"nll_loss_out_frame\" not implemented for '{name}'"))
for dtype, name in [("int32", "Int"), ("int16", "Short"), ("int8", "Char"), ("bool", "Bool")]:
    target = lambda api, d=dtype: api.lib.tensor([0, 1], dtype=getattr(api.lib, d))  # noqa: E731
    for fn in ["cross_entropy", "nll_loss"]:
        add(Case(f"{fn} with an {dtype} target", lambda api, fn=fn, target=target: getattr(api.F, fn)(api.lib.zeros(2, 3), target(api)),
                 f"expected target dtype to be Long or Byte, but got {name}"))
    add(Case(f"CrossEntropyLoss with an {dtype} target", lambda api, target=target: api.nn.CrossEntropyLoss()(api.lib.zeros(2, 3), target(api)),
             f"expected target dtype to be Long or Byte, but got {name}"))

# ---- targets that do not broadcast (torch warns for the size, then refuses the broadcast) ------------
MISMATCH = "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"
for fn in ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"]:
    add(Case(f"{fn} of (2, 3) against (2, 4)", lambda api, fn=fn: getattr(api.F, fn)(api.lib.zeros(2, 3), api.lib.zeros(2, 4)), MISMATCH))
for cls in ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss"]:
    add(Case(f"{cls} of (2, 3) against (2, 4)", lambda api, cls=cls: getattr(api.nn, cls)()(api.lib.zeros(2, 3), api.lib.zeros(2, 4)), MISMATCH))
add(Case("kl_div of (2, 3) against (2, 4)", lambda api: api.F.kl_div(api.lib.zeros(2, 3), api.lib.zeros(2, 4), reduction="batchmean"),
         "The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 1"))
add(Case("kl_div with log_target of (2, 3) against (2, 4)",
         lambda api: api.F.kl_div(api.lib.zeros(2, 3), api.lib.zeros(2, 4), reduction="batchmean", log_target=True),
         "The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 1"))
for fn, match in [("binary_cross_entropy", "that is different to the input size"),
                  ("binary_cross_entropy_with_logits", "must be the same as input size")]:
    add(Case(f"{fn} of (2, 3) against (2, 4)", lambda api, fn=fn: getattr(api.F, fn)(api.lib.full((2, 3), 0.5), api.lib.full((2, 4), 0.5)),
             match))

# ---- batch sizes, class indices out of range --------------------------------------------------------
for fn in ["cross_entropy", "nll_loss"]:
    add(Case(f"{fn} with 3 targets for 2 samples", lambda api, fn=fn: getattr(api.F, fn)(api.lib.zeros(2, 3), api.lib.tensor([0, 1, 2])),
             "Expected input batch_size (2) to match target batch_size (3)."))
    add(Case(f"{fn} with a target of 3 classes of 3", lambda api, fn=fn: getattr(api.F, fn)(api.lib.zeros(2, 3), api.lib.tensor([0, 3])),
             "Target 3 is out of bounds."))
    add(Case(f"{fn} with a target of -1", lambda api, fn=fn: getattr(api.F, fn)(api.lib.zeros(2, 3), api.lib.tensor([0, -1])),
             "Target -1 is out of bounds."))
add(Case("cross_entropy with probabilities of another shape", lambda api: api.F.cross_entropy(api.lib.zeros(2, 3), api.lib.zeros(2, 4)),
         "Expected target size [2, 3], got [2, 4]", torch_match="0D or 1D target tensor expected, multi-target not supported"))
