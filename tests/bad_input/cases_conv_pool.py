"""Bad input to convolution, pooling and normalisation: empty kernels (torch builds ``nn.Conv2d(3, 8, 0)``
and refuses it in forward; minigrad refuses it when built), mixed dtypes, pooling windows that do not fit."""
from .harness import Case

CASES = []
add = CASES.append

KERNEL_2D = "kernel size should be greater than zero, but got kernel_height: {} kernel_width: {}"
for dims, kernel, match in [
    (1, (0,), KERNEL_2D.format(1, 0)),
    (2, (0, 3), KERNEL_2D.format(0, 3)),
    (2, (3, 0), KERNEL_2D.format(3, 0)),
    (3, (1, 0, 3), "kernel size should be greater than zero, but got: 1 x 0 x 3 (TxHxW)"),
]:
    spatial = (5,) * dims
    add(Case(f"conv{dims}d with a {kernel} kernel",
             lambda api, d=dims, k=kernel, s=spatial: getattr(api.F, f"conv{d}d")(api.lib.ones(1, 1, *s), api.lib.ones(1, 1, *k)), match))
    add(Case(f"conv_transpose{dims}d with a {kernel} kernel",
             lambda api, d=dims, k=kernel, s=spatial: getattr(api.F, f"conv_transpose{d}d")(api.lib.ones(1, 1, *s), api.lib.ones(1, 1, *k)), match,
             torch_match="non-empty 5D" if dims == 3 else match))  # torch's slow 3-d transposed path words it so
for dims in [1, 2, 3]:
    spatial = (5,) * dims
    match = "kernel size should be greater than zero, but got: 0 x 0 x 0 (TxHxW)" if dims == 3 else \
        KERNEL_2D.format(1 if dims == 1 else 0, 0)
    for cls in [f"Conv{dims}d", f"ConvTranspose{dims}d"]:
        add(Case(f"{cls}(3, 8, 0)", torch=lambda api, cls=cls, s=spatial: getattr(api.nn, cls)(3, 8, 0)(api.lib.ones(1, 3, *s)),
                 minigrad=lambda api, cls=cls: getattr(api.nn, cls)(3, 8, 0), match=match,
                 torch_match="non-empty 5D" if cls == "ConvTranspose3d" else match))
add(Case("Conv2d(3, 8, (3, 0))", torch=lambda api: api.nn.Conv2d(3, 8, (3, 0))(api.lib.ones(1, 3, 5, 5)),
         minigrad=lambda api: api.nn.Conv2d(3, 8, (3, 0)), match=KERNEL_2D.format(3, 0)))

# ---- mixed dtypes -------------------------------------------------------------------------------------
for dims in [1, 2, 3]:
    spatial = (4,) * dims
    for fn in [f"conv{dims}d", f"conv_transpose{dims}d"]:
        add(Case(f"{fn} of a float64 input with float32 weights",
                 lambda api, fn=fn, s=spatial, d=dims: getattr(api.F, fn)(api.lib.ones(1, 1, *s, dtype=api.lib.float64), api.lib.ones(1, 1, *(1,) * d)),
                 "expected scalar type Double but found Float"))
    add(Case(f"Conv{dims}d of a float64 input", lambda api, s=spatial, d=dims: getattr(api.nn, f"Conv{d}d")(1, 1, 1)(api.lib.ones(1, 1, *s, dtype=api.lib.float64)),
             "expected scalar type Double but found Float", torch_match=None))
MIXED = "mixed dtype (CPU): all inputs must share same datatype."
for cls, shape in [("BatchNorm1d", (2, 3)), ("BatchNorm2d", (2, 3, 2, 2)), ("BatchNorm3d", (2, 3, 2, 2, 2))]:
    add(Case(f"{cls} of a float64 input", lambda api, cls=cls, shape=shape: getattr(api.nn, cls)(3)(api.lib.ones(*shape, dtype=api.lib.float64)), MIXED))
    add(Case(f"{cls} in eval of a float64 input",
             lambda api, cls=cls, shape=shape: getattr(api.nn, cls)(3).eval()(api.lib.ones(*shape, dtype=api.lib.float64)), MIXED))
add(Case("LayerNorm of a float64 input", lambda api: api.nn.LayerNorm(3)(api.lib.ones(2, 3, dtype=api.lib.float64)), MIXED))
add(Case("F.batch_norm with float64 running stats", lambda api: api.F.batch_norm(api.lib.ones(2, 3), api.lib.zeros(3, dtype=api.lib.float64),
                                                                                api.lib.ones(3, dtype=api.lib.float64)),
         "mixed dtype (CPU): expect parameter to have scalar type of Float"))
add(Case("F.layer_norm with a float64 weight", lambda api: api.F.layer_norm(api.lib.ones(2, 3), (3,), api.lib.ones(3, dtype=api.lib.float64)),
         "mixed dtype (CPU): expect parameter to have scalar type of Float"))
