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


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against central finite differences.

    Returns True when they agree; otherwise raises ``GradcheckError`` naming the output, the input
    and the first mismatching element with both values (or returns False when
    ``raise_exception=False``).

        >>> x = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
        >>> minigrad.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
        True
    """
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
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        numerical = _numerical_jacobians(func, inputs, i, eps)
        analytical = _analytical_jacobians(outputs, inputs, i)
        for j, (a, n) in enumerate(zip(analytical, numerical)):
            if n is None:
                continue
            bad = ~np.isclose(a, n, rtol=rtol, atol=atol, equal_nan=False)
            if bad.any():
                r, c = np.argwhere(bad)[0]
                in_index = np.unravel_index(c, x.shape) if x.ndim else ()
                out_index = np.unravel_index(r, outputs[j].shape) if outputs[j].ndim else ()
                return _fail(
                    f"Jacobian mismatch for output {j} with respect to input {i},\n"
                    f"first mismatch at output element {tuple(int(v) for v in out_index)}, input element "
                    f"{tuple(int(v) for v in in_index)}: analytical {float(a[r, c])!r} vs numerical {float(n[r, c])!r} "
                    f"(atol={atol}, rtol={rtol}; {int(bad.sum())} of {bad.size} entries differ)\n"
                    f"numerical:{n}\nanalytical:{a}\n", raise_exception)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0) -> bool:
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

    return gradcheck(first_derivatives, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
