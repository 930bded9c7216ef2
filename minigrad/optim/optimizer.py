"""``Optimizer``: the base of every optimiser, with torch's parameter groups, state and state_dict.

An optimiser holds ``param_groups`` (a list of dicts, each with its ``params`` and its own
hyper-parameters, missing ones filled from ``defaults``) and ``state`` (a dict from parameter to
that parameter's buffers, e.g. ``{'step': tensor(3.), 'exp_avg': ..., 'exp_avg_sq': ...}``).

``state_dict()`` replaces parameters by their running index over all groups, exactly as torch:

    {'state': {0: {'momentum_buffer': tensor(...)}, ...},
     'param_groups': [{'lr': 0.1, 'momentum': 0.9, ..., 'params': [0, 1]}, ...]}

so a state_dict made here loads into a torch optimiser of the same kind and back. The update rules
themselves live in the subclasses; they work on the raw arrays (``p._data``, ``p._grad._data``) in
place, with the array module of the parameter (NumPy or CuPy), and never build a graph.
"""
from __future__ import annotations

import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from itertools import chain

import numpy as np

from .. import backend
from ..autograd.grad_mode import enable_grad
from ..autograd.tensor import Tensor
from ..nn.modules.module import RemovableHandle


class _RequiredParameter:
    """Marks a hyper-parameter that every parameter group must give (no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

# Flags torch keeps in every parameter group. minigrad has one implementation per optimiser (already
# vectorised per tensor), so ``foreach`` is accepted and ignored; the others must stay off.
_UNSUPPORTED_FLAGS = ("fused", "capturable", "differentiable")


def _check_flags(**flags) -> None:
    for name in _UNSUPPORTED_FLAGS:
        if flags.get(name):
            raise ValueError(f"minigrad optimisers do not support {name}=True")


def _typename(obj) -> str:
    """torch.typename's spelling: ``int``, ``numpy.ndarray``, and ``minigrad.Tensor`` for a tensor."""
    if isinstance(obj, Tensor):
        return f"minigrad.{type(obj).__name__}"
    module = getattr(type(obj), "__module__", "") or ""
    name = type(obj).__qualname__
    return name if module in ("", "builtins") else f"{module}.{name}"


def _check_lr(lr) -> None:
    """torch's checks of a learning rate (a number, or a one-element Tensor): 'Invalid learning rate: -0.1'."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_adam_family(lr, betas, eps, weight_decay) -> None:
    """The checks torch's Adam, AdamW, Adamax, NAdam and RAdam share, with their messages."""
    _check_lr(lr)
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    for index, beta in enumerate(betas[:2]):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _regularised(param, grad, weight_decay, maximize: bool, lr=0.0, decoupled: bool = False):
    """The first lines of every torch step: the gradient negated for ``maximize``, then L2 weight decay
    added to it, or (``decoupled``, AdamW's rule) the parameter itself shrunk in place by lr * weight_decay."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled:
            param *= 1 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    return grad


def _scalar(value) -> float:
    """A hyper-parameter as a Python number (a one-element Tensor ``lr`` is read with ``item()``)."""
    return value.item() if isinstance(value, Tensor) else value


_global_optimizer_pre_hooks: OrderedDict = OrderedDict()
_global_optimizer_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook) -> RemovableHandle:
    """A hook run before the ``step()`` of every optimiser: ``hook(optimizer, args, kwargs)``, returning
    ``None`` or new ``(args, kwargs)``."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook) -> RemovableHandle:
    """A hook run after the ``step()`` of every optimiser: ``hook(optimizer, args, kwargs)``."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _hooked(step):
    """``step`` that runs the global and per-optimiser pre hooks before it and post hooks after it."""
    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}.")
        out = step(*args, **kwargs)
        for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


class Optimizer:
    """Base class of all optimisers, as ``torch.optim.Optimizer``.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter groups,
            each with a ``'params'`` entry and optional per-group hyper-parameters).
        defaults: the hyper-parameters used by groups that do not set them.

    Example::

        >>> w = minigrad.randn(3, requires_grad=True)
        >>> opt = minigrad.optim.SGD([{'params': [w], 'lr': 0.1}], lr=0.01, momentum=0.9)
        >>> (w * w).sum().backward(); opt.step(); opt.zero_grad()
    """

    def __init__(self, params, defaults: dict):
        self._init_hooks()
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or "
                            f"dicts, but got {_typename(params)}")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ---- hooks (torch's: step, state_dict and load_state_dict, each before and after) ----------------
    _HOOK_DICTS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                   "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                   "_optimizer_load_state_dict_post_hooks")

    def _init_hooks(self) -> None:
        for name in self._HOOK_DICTS:
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        # as torch, wrap the step of the optimiser's own class once, when the first one is made
        if not getattr(type(self).step, "hooked", False):
            type(self).step = _hooked(type(self).step)

    def _register(self, hooks: OrderedDict, hook, prepend: bool = False) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` before each ``step()``; it may return new ``(args, kwargs)``."""
        return self._register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` after each ``step()``."""
        return self._register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer)`` before ``state_dict()`` builds the dict."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` on the built dict; it may return a replacement."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` before loading (on a shallow copy); it may return a replacement."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer)`` after loading."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---- parameter groups ---------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyper-parameters (e.g. for fine-tuning a new head)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                            "ordering of tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        _check_flags(**param_group)
        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this "
                          "will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                          "information", stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- gradients ----------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: drop them (default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if grad.grad_fn is not None:
                        grad.detach_()
                    else:
                        grad._requires_grad = False
                    grad._data[...] = 0
                    grad._bump_version()

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` re-evaluates and returns the loss."""
        raise NotImplementedError

    def _evaluate(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ---- state_dict ---------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``, as torch.

        The tensors in ``state`` are the optimiser's own (not copies), as in torch.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index_of: dict[int, int] = {}
        start = 0
        packed_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index_of.setdefault(id(p), i)
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(packed["params"])
            packed_groups.append(packed)
        packed_state = {(index_of[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": packed_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore state and hyper-parameters from ``state_dict`` (from minigrad or torch's layout).

        Buffers are copied to each parameter's device and (except ``step``) dtype, so the loaded
        optimiser never shares memory with ``state_dict``.
        """
        state_dict = state_dict.copy()  # (shallow: a pre hook may edit its entries)
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = _cast(param, value)
            else:
                state[key] = copy.deepcopy(value)
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            _check_flags(**saved)
        self.state = state
        self.param_groups = saved_groups
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._init_hooks()  # hooks are not pickled, as in torch


def _cast(param: Tensor, value, key=None):
    """A copy of ``value`` (a state entry) with its tensors on ``param``'s device and dtype."""
    if isinstance(value, Tensor):
        array = value._data
        if key != "step" and param._data.dtype.kind == "f":
            array = array.astype(param._data.dtype, copy=False)
        if key != "step":
            array = backend.to_device(array, param.device)
        return Tensor._make(backend.xp(array).array(array, copy=True))
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v) for v in value)
    return copy.deepcopy(value)


# ---- helpers shared by the update rules -------------------------------------------------------

def _step_tensor() -> Tensor:
    """A new ``step`` counter: a float32 scalar on the CPU, as torch keeps it."""
    return Tensor._make(np.zeros((), dtype=np.float32))


def _increment(step: Tensor) -> float:
    """Add one to a ``step`` counter in place and return its new value as a Python float."""
    step._data += 1  # float32, as torch's: the same count (and the same rounding) at any step
    return float(step._data)


def _zeros_like(p: Tensor) -> Tensor:
    return Tensor._make(backend.xp(p._data).zeros_like(p._data))


def _lerp_(start, end, weight: float):
    """``start += weight * (end - start)`` in place, torch's ``lerp_`` (its two-sided formula)."""
    if abs(weight) < 0.5:
        diff = end - start
        diff *= weight
        start += diff
    else:
        diff = end - start
        diff *= 1.0 - weight
        start[...] = end - diff
    return start


def _params_with_grad(group: dict):
    for p in group["params"]:
        if p._grad is not None:
            yield p

