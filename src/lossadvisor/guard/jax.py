"""The guard for optax loss functions (and the JAX side of Keras' guard).

Concrete arrays (eager calls) are inspected as they come. Under `jax.jit` (or `grad`) the arrays
are tracers with no values. By default (`traced="note"`) the guard then says once that traced calls
are not inspected and keeps watching for eager ones: the compiled step is exactly the plain loss's,
at no cost. With `traced="callback"` it asks JAX for the values through `jax.debug.callback`, so the
first batches of a jitted step are inspected too; the callback stays in the compiled step and, after
those batches, returns at once, but the arrays still travel to the host on every step.
"""

from __future__ import annotations

import functools
import inspect as pyinspect
from typing import Any

import jax
import numpy as np

from lossadvisor.guard import spec as specs
from lossadvisor.guard.core import Watch, step_aside_warning
from lossadvisor.guard.inspect import BFLOAT16_TOLERANCE, inspect, tolerance

NOTE = (
    "{name} is called with traced arrays (inside jax.jit or grad), which have no values: those calls "
    "are not inspected (guard(..., traced='callback') inspects them through jax.debug.callback); "
    "eager calls still are"
)


def guard(loss: Any, *, framework: str, batches: int, on: str, traced: str = "note") -> Any:
    name = getattr(loss, "__name__", type(loss).__name__)
    if specs.find(name, framework, {}) is None:
        step_aside_warning(f"{name} is not a loss lossadvisor knows (rules/losses.yaml)")
        return loss
    watch = Watch(name, batches, on)
    signature = pyinspect.signature(loss)
    parameters = [p.name for p in signature.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    defaults = {p.name: p.default for p in signature.parameters.values() if p.default is not p.empty}

    @functools.wraps(loss)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if watch.left > 0:
            bound = {**dict(zip(parameters, args)), **kwargs}
            arguments = {k: v for k, v in {**defaults, **bound}.items() if isinstance(v, (bool, int, float, str, type(None)))}
            spec = specs.find(name, framework, arguments)
            if spec is not None and len(parameters) > spec.target_position:
                look(watch, spec, bound.get(parameters[0]), bound.get(parameters[spec.target_position]), traced)
        return loss(*args, **kwargs)

    guarded.lossadvisor_watch = watch  # type: ignore[attr-defined]
    return guarded


def look(watch: Watch, spec: specs.LossSpec, prediction: Any, target: Any, traced: str) -> None:
    """Inspect one call: now when the arrays are concrete, through a host callback when they are
    traced and `traced="callback"`, else not (with one note)."""
    if isinstance(prediction, jax.core.Tracer) or isinstance(target, jax.core.Tracer):
        if traced == "callback":
            jax.debug.callback(functools.partial(_callback, watch, spec), prediction, target)
        else:
            watch.note_once("traced", NOTE.format(name=watch.name))
        return
    watch.look(lambda: _inspect(spec, prediction, target))


def _callback(watch: Watch, spec: specs.LossSpec, prediction: Any, target: Any) -> None:
    if watch.left > 0:
        watch.look(lambda: _inspect(spec, prediction, target))


def _inspect(spec: specs.LossSpec, prediction: Any, target: Any) -> list:
    dtype = str(getattr(prediction, "dtype", "float32"))
    pred = np.asarray(prediction)
    tgt = None if target is None else np.asarray(target)
    if pred.dtype.kind not in "fiub":
        raise TypeError(f"its prediction has dtype {pred.dtype}")
    tol = BFLOAT16_TOLERANCE if "bfloat16" in dtype else tolerance(dtype)
    return inspect(spec, pred.astype(np.float64) if "bfloat16" in dtype else pred, tgt, tol=tol)
