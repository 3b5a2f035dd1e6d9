"""The guard for PyTorch losses: modules (guarded in place) and functions (wrapped).

A module keeps its identity, class and state_dict: the guard registers a forward pre-hook that
inspects and removes itself after the last inspected call, so the module is exactly what it was
(PyTorch's hook-free fast path). A function comes back wrapped; after the inspected calls the
wrapper is one counter test and the call.

The inspection works on copies (`detach()`, under `torch.no_grad()`, moved to the CPU, at most
MAX_VALUES values), so the loss value and its gradient are the unwrapped loss's, bit for bit.
Inside `torch.compile` the guard does not inspect (a numpy copy cannot be part of a graph): the call
goes straight to the loss, and the calls that are inspected are the eager ones.
"""

from __future__ import annotations

import functools
import inspect as pyinspect
from typing import Any

import numpy as np
import torch

from lossadvisor import knowledge
from lossadvisor.guard import spec as specs
from lossadvisor.guard.core import Watch, step_aside_warning
from lossadvisor.guard.inspect import BFLOAT16_TOLERANCE, inspect, tolerance

MAX_VALUES = 1 << 22  # larger predictions are inspected on their first samples only


def guard(loss: Any, *, framework: str, batches: int, on: str, traced: str = "note") -> Any:
    """`traced` is JAX's; torch.compile is handled without it (see the module's docstring)."""
    if isinstance(loss, torch.nn.Module):
        return _guard_module(loss, framework, batches, on)
    return _guard_function(loss, framework, batches, on)


def _guard_module(module: torch.nn.Module, framework: str, batches: int, on: str) -> torch.nn.Module:
    name = type(module).__name__
    if any(isinstance(h, Inspection) for h in module._forward_pre_hooks.values()):
        return module  # guarded already
    if specs.find(name, framework, _arguments(module)) is None:
        step_aside_warning(f"{name} is not a loss lossadvisor knows (rules/losses.yaml)")
        return module
    if batches == 0:
        return module
    hook = Inspection(name, framework, Watch(name, batches, on), _parameter_names(type(module).forward))
    hook.key = module.register_forward_pre_hook(hook, with_kwargs=True).id
    return module


class Inspection:
    """The forward pre-hook that inspects a module's first calls and then removes itself, so that the
    module is back on PyTorch's hook-free path. A plain object, not a closure: a guarded module can
    still be deep-copied (EMA models) and pickled (torch.save of a whole model)."""

    def __init__(self, name: str, framework: str, watch: Watch, parameters: list[str]):
        self.name, self.framework, self.watch, self.parameters = name, framework, watch, parameters
        self.key: int | None = None

    def __call__(self, module: torch.nn.Module, args: tuple, kwargs: dict) -> None:
        if torch.compiler.is_compiling():
            return None
        self.watch.look(lambda: _inspect(self.name, self.framework, _arguments(module), self.parameters, args, kwargs))
        if not self.watch.active:
            module._forward_pre_hooks.pop(self.key, None)  # what RemovableHandle.remove() does
            module._forward_pre_hooks_with_kwargs.pop(self.key, None)
        return None


def _guard_function(fn: Any, framework: str, batches: int, on: str) -> Any:
    name = getattr(fn, "__name__", type(fn).__name__)
    if specs.find(name, framework, {}) is None:
        step_aside_warning(f"{name} is not a loss lossadvisor knows (rules/losses.yaml)")
        return fn
    watch = Watch(name, batches, on)
    parameters = _parameter_names(fn)
    defaults = _defaults(fn)

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if watch.left > 0 and not torch.compiler.is_compiling():
            watch.look(lambda: _inspect(name, framework, defaults, parameters, args, kwargs))
        return fn(*args, **kwargs)

    guarded.lossadvisor_watch = watch  # type: ignore[attr-defined]
    return guarded


# --------------------------------------------------------------------------- one inspection


def _parameter_names(fn: Any) -> list[str]:
    names = [p.name for p in pyinspect.signature(fn).parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return names[1:] if names and names[0] == "self" else names


def _defaults(fn: Any) -> dict[str, Any]:
    return {p.name: p.default for p in pyinspect.signature(fn).parameters.values() if p.default is not p.empty}


def _arguments(module: torch.nn.Module) -> dict[str, Any]:
    """A module's plain attributes: reduction, ignore_index, label_smoothing, log_target, …"""
    return {k: v for k, v in vars(module).items() if not k.startswith("_") and isinstance(v, (bool, int, float, str, type(None)))}


def _inspect(name: str, framework: str, fixed: dict[str, Any], parameters: list[str], args: tuple, kwargs: dict) -> list:
    bound = dict(zip(parameters, args))
    bound.update(kwargs)
    arguments = {**fixed, **{k: v for k, v in bound.items() if isinstance(v, (bool, int, float, str, type(None)))}}
    spec = specs.find(name, framework, arguments)
    if spec is None:
        return []
    prediction = bound.get(parameters[0]) if parameters else None
    target = bound.get(parameters[spec.target_position]) if len(parameters) > spec.target_position else None
    if not isinstance(prediction, torch.Tensor):
        raise TypeError(f"its prediction is a {type(prediction).__name__}, not a tensor")
    if target is not None and not isinstance(target, torch.Tensor):
        target = None  # a Python number, a list of lengths: nothing to read
    activation = _activation(prediction)
    with torch.no_grad():
        pred, tgt = _sample(prediction, target, spec.batch_axis or 0)
        tol = BFLOAT16_TOLERANCE if prediction.dtype == torch.bfloat16 else tolerance(str(prediction.dtype).removeprefix("torch."))
        return inspect(spec, _numpy(pred), _numpy(tgt) if tgt is not None else None, tol=tol, activation=activation)


def _activation(prediction: torch.Tensor) -> str | None:
    """The activation that made the prediction, when autograd shows it (SigmoidBackward0 -> sigmoid)."""
    node = prediction.grad_fn
    if node is None:
        return None
    op = type(node).__name__.removesuffix("Backward0").removesuffix("Backward1")
    act = knowledge.load().activation_in(op, "pytorch")
    return act.id if act else None


def _sample(prediction: torch.Tensor, target: torch.Tensor | None, batch_axis: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    if prediction.is_nested or (target is not None and target.is_nested):
        raise TypeError("nested tensors are not inspected")
    if prediction.numel() <= MAX_VALUES or prediction.ndim == 0:
        return prediction.detach(), None if target is None else target.detach()
    per_sample = max(prediction.numel() // max(prediction.shape[batch_axis], 1), 1)
    keep = max(1, MAX_VALUES // per_sample)
    pred = prediction.detach().narrow(batch_axis, 0, min(keep, prediction.shape[batch_axis]))
    if target is not None and batch_axis == 0 and target.ndim and target.shape[0] == prediction.shape[0]:
        return pred, target.detach()[: pred.shape[0]]
    return pred, None if target is None else target.detach()


def _numpy(t: torch.Tensor) -> np.ndarray:
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.float()
    elif t.is_complex():
        raise TypeError("complex tensors are not inspected")
    return t.cpu().numpy()
