"""PyTorch's own OpInfo database as the oracle: every sample of every op minigrad has, forward and
backward, in float32 and float64, and every error input.

``torch.testing._internal.common_methods_invocations.op_db`` lists, for each torch op, generated
sample inputs (``sample_inputs``) and inputs that must be rejected (``error_inputs``). For each
OpInfo whose op minigrad has (``nn.functional.X`` as ``minigrad.nn.functional.X``, ``torch.X`` as
``minigrad.X``, a method as the Tensor method), every sample is converted to minigrad tensors and run
on both sides:

- forward: the outputs agree in shape, dtype and value (torch.testing's tolerances per dtype; the
  values of random ops are not compared, their shapes and dtypes are), and each floating output
  requires grad exactly when torch's does;
- backward: the gradients of a random weighted sum of the floating outputs, with respect to every
  input that requires grad, agree (a missing gradient counts as zeros);
- errors: minigrad raises, from its own code (not from inside NumPy), a ValueError, RuntimeError,
  TypeError, IndexError or NotImplementedError.

What still differs is written down, one line per (op, dtype, sample, kind), in
``opinfo_known_failures.txt`` beside this file. The test is a ratchet both ways: a new failure fails
it, and so does a listed failure that now passes (remove it from the list). To rewrite the list
after fixing or adding ops: ``python tests/test_opinfo.py --write-known``; without the option the
script prints the tally per op and kind.
"""
from __future__ import annotations

import os
import sys
import traceback
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F

KNOWN_FILE = Path(__file__).with_name("opinfo_known_failures.txt")
DTYPES = ("float32", "float64")
CLEAR_ERRORS = (ValueError, RuntimeError, TypeError, IndexError, NotImplementedError)
RANDOM_OPS = ("rand", "empty", "dropout", "bernoulli", "normal", "multinomial", "uniform", "fractional_max_pool",
              "rrelu")  # values
# not compared: drawn from each library's own generator
# The pooling OpInfos generate over a thousand samples each; by default every k-th sample of an op runs so
# that at most SAMPLE_CAP do per dtype (spread over the whole list). MINIGRAD_OPINFO_ALL=1 runs them all.
SAMPLE_CAP = None if os.environ.get("MINIGRAD_OPINFO_ALL") else 240


def selected(index: int, count: int) -> bool:
    """Whether sample ``index`` of ``count`` runs under the cap."""
    return SAMPLE_CAP is None or count <= SAMPLE_CAP or index % -(-count // SAMPLE_CAP) == 0


def _op_db():
    try:
        import torch  # noqa: F401
        from torch.testing._internal.common_methods_invocations import op_db
    except ImportError:
        return []
    return op_db


def full_name(op) -> str:
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


class Unsupported(Exception):
    """A sample uses something minigrad has no counterpart for (complex numbers, memory formats)."""


# OpInfos whose ``op`` is a lambda of torch's test suite that calls a torch function (not a method):
# the same lambda written with minigrad's function.
LAMBDA_COUNTERPARTS = {
    "einsum": lambda: lambda tensors, equation: minigrad.einsum(equation, tensors),
    "normal": lambda: lambda mean, *args, **kwargs: minigrad.normal(mean, *args, **kwargs),
    "normal.number_mean": lambda: lambda std, mean, *args, **kwargs: minigrad.normal(mean, std, *args, **kwargs),
    "normal.in_place": lambda: lambda tensor, *args, **kwargs: tensor.normal_(*args, **kwargs),
    "nn.functional.embedding": lambda: lambda weight, index, **kwargs: F.embedding(index, weight, **kwargs),
    "zero_": lambda: lambda x: x.clone().zero_(),
}


def minigrad_callable(op):
    """The minigrad function that stands for ``op``, or None when minigrad lacks it."""
    import torch
    name = op.name
    if full_name(op) in LAMBDA_COUNTERPARTS and (hasattr(minigrad, op.name) or hasattr(minigrad.Tensor, op.name)
                                                 or op.name.startswith("nn.functional.")):
        return LAMBDA_COUNTERPARTS[full_name(op)]()
    if name.startswith("nn.functional."):
        return getattr(F, name[len("nn.functional."):], None)
    if "." in name:
        return None
    if getattr(torch, name, None) is op.op and callable(getattr(minigrad, name, None)):
        return getattr(minigrad, name)
    if (type(op.op).__name__ == "function" and any(word in name for word in RANDOM_OPS)
            and callable(getattr(minigrad, name, None))):
        return getattr(minigrad, name)  # torch's test lambda seeds and calls torch.X (randn_like, randint ...)
    if callable(getattr(minigrad.Tensor, name, None)):
        return getattr(minigrad.Tensor, name)
    if type(op.op).__name__ == "function" and (hasattr(minigrad.Tensor, name) or hasattr(minigrad, name)):
        return op.op  # a lambda of torch's test suite written with Tensor methods: it runs on minigrad's too
    return None


class Converter:
    """torch objects -> minigrad objects; the same torch tensor always maps to the same minigrad one."""

    def __init__(self):
        self.tensors = {}

    def __call__(self, obj):
        import torch
        if isinstance(obj, torch.Tensor):
            if id(obj) not in self.tensors:
                if obj.is_complex() or obj.dtype == torch.bfloat16 or obj.layout != torch.strided:
                    raise Unsupported(f"{obj.dtype} {obj.layout}")
                try:
                    array = obj.detach().numpy().copy()
                except (ValueError, RuntimeError) as why:  # e.g. NumPy's limit of 64 dims
                    raise Unsupported(str(why)) from why
                tensor = minigrad.tensor(array, requires_grad=obj.requires_grad)
                self.tensors[id(obj)] = (obj, tensor)
            return self.tensors[id(obj)][1]
        if isinstance(obj, torch.dtype):
            if obj.is_complex or obj == torch.bfloat16:
                raise Unsupported(str(obj))
            return getattr(minigrad, str(obj).split(".")[1])
        if isinstance(obj, torch.Size):
            return tuple(obj)
        if isinstance(obj, torch.device):
            return str(obj)
        if isinstance(obj, (torch.memory_format, torch.layout, torch.Generator, torch.nn.Module)):
            raise Unsupported(type(obj).__name__)
        if isinstance(obj, tuple) and type(obj) is not tuple:  # namedtuples keep their type
            return type(obj)(*(self(v) for v in obj))
        if isinstance(obj, (list, tuple)):
            return type(obj)(self(v) for v in obj)
        if isinstance(obj, dict):
            return {k: self(v) for k, v in obj.items()}
        return obj


def _flat(obj):
    if isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _flat(v)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _flat(v)
    else:
        yield obj


def _tolerance(dtype: str):
    return dict(rtol=1.3e-6, atol=1e-5) if dtype == "float32" else dict(rtol=1e-7, atol=1e-7)


def _same_values(t_out, m_out, dtype: str, compare_values: bool) -> str | None:
    """None when a torch output and a minigrad output agree, else what differs."""
    import torch
    if isinstance(t_out, torch.Tensor):
        if not isinstance(m_out, minigrad.Tensor):
            return f"minigrad returned {type(m_out).__name__}, torch a Tensor"
        if tuple(t_out.shape) != tuple(m_out.shape):
            return f"shape {tuple(m_out.shape)} != torch's {tuple(t_out.shape)}"
        if str(t_out.dtype).split(".")[1] != str(m_out.dtype).split(".")[1]:
            return f"dtype {m_out.dtype} != torch's {t_out.dtype}"
        if not compare_values:
            return None
        try:
            torch.testing.assert_close(torch.from_numpy(np.array(m_out.detach().numpy(), copy=True)),
                                       t_out.detach(), equal_nan=True, check_dtype=False, **_tolerance(dtype))
        except AssertionError as error:
            return "values: " + str(error).splitlines()[0]
        return None
    if isinstance(t_out, (list, tuple)):
        if not isinstance(m_out, (list, tuple)) or len(m_out) != len(t_out):
            return f"minigrad returned {type(m_out).__name__}, torch a {type(t_out).__name__} of {len(t_out)}"
        for t_item, m_item in zip(t_out, m_out):
            problem = _same_values(t_item, m_item, dtype, compare_values)
            if problem:
                return problem
        return None
    if isinstance(t_out, float) and isinstance(m_out, (float, int)):
        return None if (not compare_values or np.isclose(m_out, t_out, equal_nan=True, **_tolerance(dtype))) \
            else f"{m_out} != torch's {t_out}"
    return None if (not compare_values or t_out == m_out) else f"{m_out!r} != torch's {t_out!r}"


def _float_outputs(out):
    return [t for t in _flat(out) if hasattr(t, "dtype") and hasattr(t, "requires_grad")
            and t.dtype in _FLOATING() and t.requires_grad]


def _FLOATING():
    import torch
    return (torch.float16, torch.float32, torch.float64, minigrad.float16, minigrad.float32, minigrad.float64)


def _in_float64(obj, torch, copies: dict):
    """The sample's arguments with every float32 tensor as a float64 copy (same requires_grad), for the
    reference answer; ``copies`` maps id(original) -> copy."""
    if isinstance(obj, torch.Tensor):
        if obj.dtype != torch.float32:
            return obj
        if id(obj) not in copies:
            copies[id(obj)] = obj.detach().double().requires_grad_(obj.requires_grad)
        return copies[id(obj)]
    if isinstance(obj, tuple) and type(obj) is not tuple:
        return type(obj)(*(_in_float64(v, torch, copies) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_in_float64(v, torch, copies) for v in obj)
    if isinstance(obj, dict):
        return {k: _in_float64(v, torch, copies) for k, v in obj.items()}
    return obj


def _as_close_as_torch(theirs, ours, reference) -> bool:
    """Float32 results that miss torch's by more than the tolerance still count as equal when they are
    no further from the float64 answer than twice torch's own float32 result is, or than 8 float32 ulps
    of the largest value (sums in another order: GEMM blocking, a batch summed in one product)."""
    for t, m, r in zip(_flat(theirs), _flat(ours), _flat(reference)):
        if not hasattr(t, "detach") or not hasattr(r, "detach"):
            continue
        r = r.detach().double().numpy()
        error_t = float(np.abs(t.detach().double().numpy() - r).max(initial=0.0))
        error_m = float(np.abs(np.asarray(m.detach().numpy(), dtype=np.float64) - r).max(initial=0.0))
        scale = float(np.abs(r).max(initial=0.0))  # a few float32 ulps of the largest value count as rounding
        if not error_m <= max(2 * error_t, 1e-5, 8 * float(np.finfo(np.float32).eps) * scale):
            return False
    return True


def run_sample(op, function, sample, dtype: str, torch, seed: int = 0) -> list:  # op: the OpInfo
    """[(kind, detail)] for what differs between torch and minigrad on one sample."""
    convert = Converter()
    try:
        m_input, m_args, m_kwargs = convert(sample.input), convert(sample.args), convert(sample.kwargs)
    except Unsupported as why:
        return [("unsupported", str(why))]
    try:
        t_out = op.op(sample.input, *sample.args, **sample.kwargs)
    except Exception as why:  # noqa: BLE001 - a sample this torch build cannot run on the CPU
        return [("unsupported", f"torch: {type(why).__name__}")]
    try:
        m_out = function(m_input, *m_args, **m_kwargs)
    except Exception as error:  # noqa: BLE001 - every failure is a finding
        return [("forward-error", f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")]
    compare_values = not any(word in op.name for word in RANDOM_OPS)
    problem = _same_values(t_out, m_out, dtype, compare_values)
    reference = {}
    if problem and problem.startswith("values") and dtype == "float32":
        copies = {}
        ref_args = _in_float64((sample.input, sample.args, sample.kwargs), torch, copies)
        reference = dict(out=op.op(ref_args[0], *ref_args[1], **ref_args[2]), copies=copies)
        problem = None if _as_close_as_torch(t_out, m_out, reference["out"]) else problem
    if problem:
        return [("forward", problem)]
    findings = []
    t_flat, m_flat = list(_flat(t_out)), list(_flat(m_out))
    for t_item, m_item in zip(t_flat, m_flat):
        if isinstance(t_item, torch.Tensor) and t_item.is_floating_point() and isinstance(m_item, minigrad.Tensor):
            if t_item.requires_grad != m_item.requires_grad:
                findings.append(("requires_grad", f"{m_item.requires_grad} != torch's {t_item.requires_grad}"))
                break
    if findings or not op.supports_autograd or not compare_values:
        return findings
    leaves = [(t, m) for t, m in convert.tensors.values() if t.requires_grad and t.is_floating_point()]
    if not leaves:
        return findings
    try:
        t_outs = _float_outputs(sample.output_process_fn_grad(t_out))
        m_outs = _float_outputs(sample.output_process_fn_grad(m_out))
    except Exception as error:  # noqa: BLE001
        return [("backward-error", f"output processing: {type(error).__name__}")]
    if not t_outs:
        return findings
    if len(t_outs) != len(m_outs):
        return [("backward", f"{len(m_outs)} differentiable outputs, torch {len(t_outs)}")]
    rng = np.random.default_rng(seed)  # the sample's own weights: the same whichever samples ran before
    weights = [torch.from_numpy(rng.standard_normal(tuple(t.shape))).to(t.dtype) for t in t_outs]
    t_grads = torch.autograd.grad(t_outs, [t for t, _ in leaves], weights, allow_unused=True)
    try:
        m_grads = minigrad.autograd.grad(m_outs, [m for _, m in leaves], [convert(w) for w in weights],
                                         allow_unused=True)
    except Exception as error:  # noqa: BLE001
        return [("backward-error", f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")]
    for (t_leaf, _), t_grad, m_grad in zip(leaves, t_grads, m_grads):
        t_grad = torch.zeros_like(t_leaf) if t_grad is None else t_grad
        m_grad = minigrad.zeros(*t_leaf.shape, dtype=getattr(minigrad, dtype)) if m_grad is None else m_grad
        problem = _same_values(t_grad, m_grad, dtype, True)
        if problem and problem.startswith("values") and dtype == "float32":
            problem = None if _as_close_as_torch(t_grad, m_grad, _reference_grad(op, sample, weights, t_leaf, torch)) \
                else problem
        if problem:
            return [("backward", problem)]
    return findings


def _reference_grad(op, sample, weights, leaf, torch):
    """The float64 gradient with respect to ``leaf`` of the weighted sum of the sample's outputs."""
    copies = {}
    ref_args = _in_float64((sample.input, sample.args, sample.kwargs), torch, copies)
    outputs = _float_outputs(sample.output_process_fn_grad(op.op(ref_args[0], *ref_args[1], **ref_args[2])))
    target = copies.get(id(leaf), leaf)
    (grad,) = torch.autograd.grad(outputs, [target], [w.double() for w in weights], allow_unused=True)
    return torch.zeros_like(target) if grad is None else grad


def run_error_input(function, error_input, op=None) -> str | None:
    """None when minigrad rejects the input clearly (or torch itself accepts it: some of the database's
    error inputs are meant for other devices), else how it failed to."""
    convert = Converter()
    sample = error_input.sample_input
    if op is not None:
        try:
            op.op(sample.input, *sample.args, **sample.kwargs)
        except Exception:  # noqa: BLE001 - torch rejects it, as it should
            pass
        else:
            return None
    try:
        m_input, m_args, m_kwargs = convert(sample.input), convert(sample.args), convert(sample.kwargs)
    except Unsupported:
        return None  # not expressible in minigrad: nothing to reject
    try:
        function(m_input, *m_args, **m_kwargs)
    except CLEAR_ERRORS as error:
        frames = traceback.extract_tb(error.__traceback__)
        origin = frames[-1].filename if frames else ""
        if "numpy" in origin.replace("\\", "/").split("/") or type(error).__module__.startswith("numpy"):
            return f"raised inside NumPy: {type(error).__name__}"
        return None
    except Exception as error:  # noqa: BLE001
        return f"unclear error: {type(error).__name__}"
    return "accepted"


def findings_for(op, torch, counts: dict | None = None) -> dict:
    """{key: detail} for every difference of one OpInfo; keys are 'op|dtype|sample#|kind'.
    ``counts`` receives the number of samples per dtype."""
    function = minigrad_callable(op)
    findings = {}
    name = full_name(op)
    supported = {str(d).split(".")[1] for d in op.supported_dtypes("cpu")}
    for dtype in DTYPES:
        if dtype not in supported:
            continue
        torch.manual_seed(0)
        samples = list(op.sample_inputs("cpu", getattr(torch, dtype), requires_grad=op.supports_autograd))
        if counts is not None:
            counts[dtype] = len(samples)
        for index, sample in enumerate(samples):
            if not selected(index, len(samples)):
                continue
            for kind, detail in run_sample(op, function, sample, dtype, torch, seed=index):
                if kind != "unsupported":
                    findings[f"{name}|{dtype}|{index}|{kind}"] = detail
                elif counts is not None:  # what minigrad has no counterpart for (complex, bfloat16, ...)
                    counts.setdefault("skipped", Counter())[detail.split(" ")[0]] += 1
    try:
        torch.manual_seed(0)
        errors = list(op.error_inputs("cpu"))
    except Exception:  # noqa: BLE001 - some OpInfos cannot build their error inputs on this build
        errors = []
    for index, error_input in enumerate(errors):
        problem = run_error_input(function, error_input, op)
        if problem:
            findings[f"{name}|errors|{index}|{problem.split(':')[0]}"] = problem
    return findings


def covered_ops():
    return [op for op in _op_db() if minigrad_callable(op) is not None]


def read_known() -> dict:
    known = defaultdict(set)
    if KNOWN_FILE.exists():
        for line in KNOWN_FILE.read_text().splitlines():
            if line and not line.startswith("#"):
                key = line.split("  # ")[0].strip()
                known[key.split("|")[0]].add(key)
    return known


OPS = covered_ops()


@pytest.mark.skipif(not OPS, reason="needs torch (and expecttest) for its OpInfo database")
@pytest.mark.parametrize("op", OPS, ids=full_name)
def test_opinfo_samples_and_errors_match_torch_or_are_listed(op, torch):
    counts = {}
    found = findings_for(op, torch, counts)
    known = {key for key in read_known()[full_name(op)]  # only the listed samples that ran this time
             if key.split("|")[1] not in counts or selected(int(key.split("|")[2]), counts[key.split("|")[1]])}
    new = {k: v for k, v in found.items() if k not in known}
    fixed = sorted(known - set(found))
    assert not new, f"new differences from torch (fix them, or list them in {KNOWN_FILE.name}): {new}"
    assert not fixed, f"listed differences that no longer occur (remove them from {KNOWN_FILE.name}): {fixed}"


def test_the_runner_catches_a_wrong_result(torch, monkeypatch):
    """A deliberately wrong op is reported by the runner, forward and backward."""
    op = next(op for op in OPS if op.name == "exp") if OPS else pytest.skip("no OpInfo database")
    monkeypatch.setattr(minigrad, "exp", lambda x: minigrad.sin(x))
    found = findings_for(op, torch)
    assert any(k.endswith("|forward") for k in found)


def main(argv) -> None:  # pragma: no cover - a maintenance script
    import torch
    import time
    tally, everything, seconds, skipped, ran = Counter(), {}, {}, Counter(), 0
    for op in OPS:
        start = time.perf_counter()
        counts = {}
        found = findings_for(op, torch, counts)
        skipped.update(counts.pop("skipped", Counter()))
        ran += sum(counts.values())
        seconds[full_name(op)] = time.perf_counter() - start
        everything.update(found)
        for key in found:
            tally[key.split("|")[3] if key.split("|")[1] != "errors" else "errors:" + key.split("|")[3]] += 1
    print(f"{len(OPS)} OpInfos covered, {ran} samples; differences by kind: {dict(tally)}")
    print(f"samples skipped (no minigrad counterpart), by reason: {dict(skipped)}")
    if "--write-known" in argv:
        lines = ["# Differences from torch on its OpInfo samples (see tests/test_opinfo.py); one per line.",
                 "# key: op|dtype|sample#|kind   (errors: op|errors|error-input#|how)"]
        lines += [f"{key}  # {detail[:160]}" for key, detail in sorted(everything.items())]
        KNOWN_FILE.write_text("\n".join(lines) + "\n")
        print(f"wrote {len(everything)} lines to {KNOWN_FILE}")
    else:
        per_op = Counter(key.split("|")[0] for key in everything)
        for name, count in per_op.most_common():
            print(f"{count:5d}  {name}")
        print("slowest:", sorted(seconds.items(), key=lambda kv: -kv[1])[:15])


if __name__ == "__main__":
    main(sys.argv[1:])
