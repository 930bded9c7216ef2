"""Helpers for comparing minigrad with torch: one call checks values and every gradient."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

import minigrad

TOLERANCE = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-7, atol=1e-9)}


def tolerance(dtype):
    return TOLERANCE[np.dtype(dtype).type]


def to_torch(torch, array, requires_grad=False):
    t = torch.from_numpy(np.array(array))
    if requires_grad:
        t.requires_grad_(True)
    return t


def check_against_torch(torch, mg_fn, torch_fn, arrays, *, grad=True, rtol=None, atol=None, seed=0):
    """Run ``mg_fn`` and ``torch_fn`` on the same inputs (NumPy arrays); compare the outputs and,
    when ``grad``, the gradients of every floating input for a random weighting of the outputs."""
    float_dtype = next((a.dtype for a in arrays if np.asarray(a).dtype.kind == "f"), np.dtype(np.float64))
    tol = tolerance(float_dtype)
    rtol = tol["rtol"] if rtol is None else rtol
    atol = tol["atol"] if atol is None else atol
    needs = [grad and np.asarray(a).dtype.kind == "f" for a in arrays]
    mg_inputs = [minigrad.tensor(a, requires_grad=n) for a, n in zip(arrays, needs)]
    th_inputs = [to_torch(torch, a, n) for a, n in zip(arrays, needs)]
    mg_out, th_out = mg_fn(*mg_inputs), torch_fn(*th_inputs)
    mg_outs = mg_out if isinstance(mg_out, (tuple, list)) else (mg_out,)
    th_outs = th_out if isinstance(th_out, (tuple, list)) else (th_out,)
    assert len(mg_outs) == len(th_outs)
    for m, t in zip(mg_outs, th_outs):
        assert tuple(m.shape) == tuple(t.shape), f"shape {tuple(m.shape)} != torch {tuple(t.shape)}"
        assert m.dtype.name == str(t.dtype).replace("torch.", ""), f"dtype {m.dtype} != torch {t.dtype}"
        np.testing.assert_allclose(np.asarray(m.detach()), t.detach().numpy(), rtol=rtol, atol=atol)
    if not any(needs):
        return mg_outs, th_outs
    rng = np.random.default_rng(seed)
    mg_loss, th_loss = 0, 0
    for m, t in zip(mg_outs, th_outs):
        if m.requires_grad and t.requires_grad:
            weight = rng.standard_normal(tuple(m.shape)).astype(np.asarray(m.detach()).dtype)
            mg_loss = mg_loss + (m * minigrad.tensor(weight)).sum()
            th_loss = th_loss + (t * torch.from_numpy(weight)).sum()
    if isinstance(mg_loss, int):
        return mg_outs, th_outs
    mg_loss.backward()
    th_loss.backward()
    for k, (m, t) in enumerate(zip(mg_inputs, th_inputs)):
        if not needs[k]:
            continue
        if t.grad is None:
            assert m.grad is None or not np.any(np.asarray(m.grad)), f"input {k}: torch has no gradient"
            continue
        assert m.grad is not None, f"input {k}: minigrad has no gradient"
        np.testing.assert_allclose(np.asarray(m.grad), t.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {k}")
    return mg_outs, th_outs


def gradchecks(fn, arrays, *, second_order=True, atol=1e-5, rtol=1e-3):
    """float64 gradcheck (and gradgradcheck) of ``fn`` at the given arrays (cast to float64)."""
    inputs = [minigrad.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    assert minigrad.autograd.gradcheck(fn, inputs, atol=atol, rtol=rtol)
    if second_order:
        assert minigrad.autograd.gradgradcheck(fn, inputs, atol=atol, rtol=rtol)


# ---- generated inputs (Hypothesis) -----------------------------------------------------------

FLOAT_DTYPES = (np.float32, np.float64)


def random_array(seed, shape, dtype=np.float64, low=-2.0, high=2.0, away_from=None, margin=0.1):
    """Uniform values in [low, high) of ``shape``; with ``away_from``, values closer than ``margin``
    to that point are pushed out of the way (finite differences must not straddle a kink)."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(low, high, size=shape)
    if away_from is not None:
        close = np.abs(values - away_from) < margin
        values = np.where(close, away_from + np.where(values >= away_from, margin, -margin), values)
    return np.asarray(values.astype(dtype))


def broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4, min_dims=0):
    """Hypothesis strategy: a tuple of ``num_shapes`` shapes that broadcast together."""
    from hypothesis.extra.numpy import mutually_broadcastable_shapes
    return mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims,
                                         max_side=max_side).map(lambda s: s.input_shapes)


def data_root_path():
    """$MINIGRAD_DATA, else ../shared/data beside the checkout; None when neither exists."""
    root = os.environ.get("MINIGRAD_DATA")
    if root:
        return Path(root)
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    return shared if shared.is_dir() else None
