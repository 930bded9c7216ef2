"""Gradient checking: compare backward's Jacobian with central finite differences.

``gradcheck(func, inputs)`` builds, for every input that requires grad and every output, two
Jacobians:

- numerical: perturb one input element by +-eps and take ``(f(x+eps) - f(x-eps)) / (2 eps)``;
- analytical: run backward once per output element, with a one-hot ``grad_output``.

They must agree within ``atol + rtol * |numerical|`` elementwise, as in torch. Use float64: with
float32, eps = 1e-6 is lost in rounding and the check fails for reasons that have nothing to do
with the gradient. ``gradgradcheck`` applies the same check to the function that maps
(inputs, grad_outputs) to the gradients, which tests the backward of the backward.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import backend
from .engine import grad as autograd_grad
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical gradients disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _float_outputs(result):
    """The outputs gradcheck compares: floating-point tensors (integer outputs such as indices have
    no derivative)."""
    return [o for o in _as_tuple(result) if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _differentiable_outputs(func, inputs):
    return [o for o in _float_outputs(func(*inputs)) if o.requires_grad]


def _numerical_jacobians(func, inputs, index, eps):
    """d(outputs)/d(inputs[index]) by central differences: one (numel_out, numel_in) array per output."""
    x = inputs[index]
    if not x._data.flags.c_contiguous:
        x._data = backend.xp(x._data).ascontiguousarray(x._data)
    flat = x._data.reshape(-1)  # a view: writing to it perturbs x in place
    columns = []
    for k in range(flat.size):
        original = flat[k].item()
        with no_grad():
            flat[k] = original + eps
            plus = [backend.to_numpy(o._data).astype(np.float64).reshape(-1) for o in _float_outputs(func(*inputs))]
            flat[k] = original - eps
            minus = [backend.to_numpy(o._data).astype(np.float64).reshape(-1) for o in _float_outputs(func(*inputs))]
            flat[k] = original
        columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    n_outputs = len(columns[0]) if columns else len(_float_outputs(func(*inputs)))
    return [np.stack([c[j] for c in columns], axis=1) if columns else None for j in range(n_outputs)]


def _analytical_jacobians(outputs, inputs, index):
    """d(outputs)/d(inputs[index]) by backward with one-hot grad_outputs."""
    x = inputs[index]
    jacobians = []
    for out in outputs:
        rows = np.zeros((out.numel(), x.numel()))
        for r in range(out.numel() if out.requires_grad else 0):  # no graph: a zero Jacobian
            one_hot = Tensor._make(_one_hot(out, r))
            (g,) = autograd_grad(out, x, one_hot, retain_graph=True, allow_unused=True)
            if g is not None:
                rows[r] = backend.to_numpy(g._data).reshape(-1)
        jacobians.append(rows)
    return jacobians


def _one_hot(out: Tensor, position: int):
    module = backend.xp(out._data)
    array = module.zeros(out._data.size, dtype=out._data.dtype)
    array[position] = 1
    return array.reshape(out._data.shape)


def _fail(message, raise_exception):
    if raise_exception:
        raise GradcheckError(message)
    return False


_FAST_NOTE = ("\n\n The above quantities relating the numerical and analytical jacobians are computed \n"
              "in fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more background \n"
              "about fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n")


def _fast_mismatch(func, inputs, outputs, i, eps, atol, rtol):
    """torch's fast mode for input ``i``: compare v^T J u, numerically (a central difference along a
    random direction u) and analytically (one backward with grad_output v), per output. Returns the
    first (output index, numerical, analytical) that disagree, or None."""
    from .. import random
    x = inputs[i]
    rng = random.generator()
    module = backend.xp(x._data)
    u = module.asarray(rng.standard_normal(x.shape)).astype(x._data.dtype)
    original = x._data.copy()
    with no_grad():
        x._data[...] = original + eps * u
        plus = [backend.to_numpy(o._data).astype(np.float64) for o in _float_outputs(func(*inputs))]
        x._data[...] = original - eps * u
        minus = [backend.to_numpy(o._data).astype(np.float64) for o in _float_outputs(func(*inputs))]
        x._data[...] = original
    u_host = backend.to_numpy(u).astype(np.float64)
    for j, out in enumerate(outputs):
        v = rng.standard_normal(out.shape)
        numerical = float(((plus[j] - minus[j]) / (2 * eps) * v).sum())
        analytical = 0.0
        if out.requires_grad:
            v_tensor = Tensor._make(backend.to_device(v.astype(out._data.dtype), out.device))
            (g,) = autograd_grad(out, x, v_tensor, retain_graph=True, allow_unused=True)
            if g is not None:
                analytical = float((backend.to_numpy(g._data).astype(np.float64) * u_host).sum())
        adjusted_atol = atol * float(u_host.sum()) * float(v.sum())  # torch's _adjusted_atol
        if not abs(analytical - numerical) <= abs(adjusted_atol) + rtol * abs(numerical):
            return j, numerical, analytical
    return None


def _check_undefined_grad(func, inputs, outputs):
    """torch's check_undefined_grad: a backward must cope with outputs that receive no gradient
    (``None`` with ``set_materialize_grads(False)``). Each output in turn gets the only gradient."""
    if len(outputs) < 2:
        return None
    wanted = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    for j, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        try:
            autograd_grad(out, wanted, Tensor._make(_ones(out)), retain_graph=True, allow_unused=True)
        except Exception:  # noqa: BLE001 - any failure of the user's backward is the finding
            return ("Expected backward function to handle undefined output grads. Please look at \"Notes "
                    "about undefined output gradients\" in \"tools/autograd/derivatives.yaml\"")
    return None


def _multiplied_by_grad_output(inputs, outputs) -> bool:
    """torch's check: with zero grad_outputs, every input gradient must be zero."""
    wanted = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    differentiable = [o for o in outputs if o.requires_grad]
    if not differentiable:
        return True
    zeros = [Tensor._make(backend.xp(o._data).zeros(o._data.shape, dtype=o._data.dtype)) for o in differentiable]
    grads = autograd_grad(differentiable, wanted, zeros, retain_graph=True, allow_unused=True)
    return all(g is None or not bool(backend.xp(g._data).any(g._data)) for g in grads)


def _ones(out: Tensor):
    return backend.xp(out._data).ones(out._data.shape, dtype=out._data.dtype)


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False,
              check_batched_forward_grad: bool = False, check_forward_ad: bool = False,
              check_backward_ad: bool = True, fast_mode: bool = False, masked=None) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against central finite differences.

    Returns True when they agree; otherwise raises ``GradcheckError`` naming the output, the input
    and the first mismatching element with both values (or returns False when
    ``raise_exception=False``). The options are torch's:

    - ``fast_mode``: compare v^T J u for random u, v (one backward per output) instead of whole
      Jacobians; on a mismatch the Jacobians are recomputed in slow mode for the message;
    - ``nondet_tol``: backward runs twice; the two Jacobians may differ by this much (reentrancy);
    - ``check_undefined_grad``: a backward must cope with outputs that get no gradient;
    - ``check_batched_grad``, ``check_grad_dtypes``, ``masked``: accepted (minigrad has no vmap;
      gradients are always cast to their input's dtype); ``check_forward_ad``: minigrad has no
      forward-mode AD, so True raises NotImplementedError.

        >>> x = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
        >>> minigrad.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
        True
    """
    if check_forward_ad or check_batched_forward_grad:
        raise NotImplementedError("minigrad has no forward-mode automatic differentiation (check_forward_ad)")
    inputs = _as_tuple(inputs)
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x._data.dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or "
                          "complex. This check will likely fail if all the inputs are not of double "
                          "precision floating point or complex. ", UserWarning, stacklevel=2)
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of "
                         "the them have requires_grad=True.")
    outputs = _float_outputs(func(*inputs))  # one that does not require grad has a zero Jacobian
    if not outputs:
        return _fail("gradcheck expects at least one floating-point output tensor", raise_exception)
    if not check_backward_ad:
        return True
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        prefix = ""
        if fast_mode:
            mismatch = _fast_mismatch(func, inputs, outputs, i, eps, atol, rtol)
            if mismatch is None:
                continue
            j, n, a = mismatch
            prefix = (f"Jacobian mismatch for output {j} with respect to input {i},\n"
                      f"numerical:{n!r}\nanalytical:{a!r}" + _FAST_NOTE)
        numerical = _numerical_jacobians(func, inputs, i, eps)
        analytical = _analytical_jacobians(outputs, inputs, i)
        if nondet_tol >= 0 and not fast_mode:
            again = _analytical_jacobians(outputs, inputs, i)
            if any(np.abs(a1 - a2).max(initial=0.0) > nondet_tol for a1, a2 in zip(analytical, again)):
                return _fail("Backward is not reentrant, i.e., running backward with same input and grad_output "
                             "multiple times gives different values, although analytical gradient matches "
                             f"numerical gradient.The tolerance for nondeterminism was {nondet_tol}.",
                             raise_exception)
        for j, (a, n) in enumerate(zip(analytical, numerical)):
            if n is None:
                continue
            bad = ~np.isclose(a, n, rtol=rtol, atol=atol, equal_nan=False)
            if bad.any():
                r, c = np.argwhere(bad)[0]
                in_index = np.unravel_index(c, x.shape) if x.ndim else ()
                out_index = np.unravel_index(r, outputs[j].shape) if outputs[j].ndim else ()
                return _fail(
                    prefix +
                    f"Jacobian mismatch for output {j} with respect to input {i},\n"
                    f"first mismatch at output element {tuple(int(v) for v in out_index)}, input element "
                    f"{tuple(int(v) for v in in_index)}: analytical {float(a[r, c])!r} vs numerical {float(n[r, c])!r} "
                    f"(atol={atol}, rtol={rtol}; {int(bad.sum())} of {bad.size} entries differ)\n"
                    f"numerical:{n}\nanalytical:{a}\n", raise_exception)
        if prefix:  # fast mode saw a mismatch that the slow recomputation did not confirm
            return _fail(prefix, raise_exception)
    if not _multiplied_by_grad_output(inputs, outputs):
        return _fail("backward not multiplied by grad_output", raise_exception)
    if check_undefined_grad:
        problem = _check_undefined_grad(func, inputs, outputs)
        if problem:
            return _fail(problem, raise_exception)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False) -> bool:
    """Check second derivatives: gradcheck the map (inputs, grad_outputs) -> gradients of ``func``.

    ``grad_outputs`` default to random tensors (float64, requiring grad), as in torch.
    """
    from .. import random
    inputs = _as_tuple(inputs)
    outputs = _differentiable_outputs(func, inputs)
    if grad_outputs is None:
        rng = random.generator()
        grad_outputs = tuple(
            Tensor._make(backend.to_device(rng.standard_normal(o.shape).astype(o._data.dtype), o.device),
                         requires_grad=True) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    diff_positions = [k for k, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    n_inputs = len(inputs)

    def first_derivatives(*args):
        # enable_grad: the numerical Jacobian calls this under no_grad, where func would record no graph
        # and there would be no first derivatives to difference (the check then passed vacuously).
        with enable_grad():
            xs, gs = args[:n_inputs], args[n_inputs:]
            outs = _differentiable_outputs(func, xs)
            grads = autograd_grad(outs, [xs[k] for k in diff_positions], gs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    if check_fwd_over_rev:
        raise NotImplementedError("minigrad has no forward-mode automatic differentiation (check_fwd_over_rev)")
    if not check_rev_over_rev:
        return True
    return gradcheck(first_derivatives, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad, fast_mode=fast_mode)
