"""The guard for Keras 3 losses: a Loss instance comes back as a Loss (usable in `compile(loss=…)`,
alone or in a per-output dict), a loss function as a function.

It inspects `y_true` and `y_pred` on the first calls, when they are concrete: on the torch backend
always (fit runs eagerly; autograd also shows the activation that made `y_pred`). On the JAX
backend the loss always sees tracers (Keras takes the gradient with jax, even with run_eagerly):
the guard says once that it does not inspect them, or with `traced="callback"` inspects them through
jax.debug.callback (lossadvisor.guard.jax). On the TensorFlow backend a graph-mode step has
symbolic tensors: the guard says so once and inspects only eager calls (run_eagerly=True).
Keras' own calls on stand-in tensors while it builds the compiled loss are not batches and are
skipped.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import keras
import numpy as np

from lossadvisor.guard import spec as specs
from lossadvisor.guard.core import Watch, step_aside_warning
from lossadvisor.guard.inspect import BFLOAT16_TOLERANCE, inspect, tolerance

SYMBOLIC = (
    "the tensors are symbolic here (a graph-mode train step), so the guard does not inspect them; "
    "compile with run_eagerly=True for the first epoch to have them inspected"
)


def guard(loss: Any, *, framework: str, batches: int, on: str, traced: str = "note") -> Any:
    if isinstance(loss, keras.losses.Loss):
        name, arguments = type(loss).__name__, _arguments(loss)
    else:
        name, arguments = getattr(loss, "__name__", type(loss).__name__), {}
    if specs.find(name, framework, arguments) is None:
        step_aside_warning(f"{name} is not a loss lossadvisor knows (rules/losses.yaml)")
        return loss
    watch = Watch(name, batches, on)

    def look(y_true: Any, y_pred: Any, more: dict[str, Any]) -> None:
        if _in_symbolic_scope() or _placeholder(y_pred) or _placeholder(y_true):
            return  # Keras working out shapes (KerasTensors, torch's meta device, ones): not a batch
        spec = specs.find(name, framework, {**arguments, **more})
        if spec is None:
            return
        if keras.backend.backend() == "jax":
            from lossadvisor.guard import jax as on_jax

            on_jax.look(watch, spec, y_pred, y_true, traced)
            return
        watch.look(lambda: _inspect(spec, y_true, y_pred, watch))

    if isinstance(loss, keras.losses.Loss):
        return _guarded_loss_class()(loss, look, watch)

    @functools.wraps(loss)
    def guarded(y_true: Any, y_pred: Any, *args: Any, **kwargs: Any) -> Any:
        if watch.left > 0:
            look(y_true, y_pred, {k: v for k, v in kwargs.items() if isinstance(v, (bool, int, float, str, type(None)))})
        return loss(y_true, y_pred, *args, **kwargs)

    guarded.lossadvisor_watch = watch  # type: ignore[attr-defined]
    return guarded


@functools.cache
def _guarded_loss_class() -> type:
    class GuardedLoss(keras.losses.Loss):
        """A Keras loss that inspects its first calls, then calls the loss it wraps."""

        def __init__(self, inner: keras.losses.Loss, look: Any, watch: Watch):
            super().__init__(name=inner.name, reduction=inner.reduction, dtype=inner.dtype)
            self.inner, self._look, self.lossadvisor_watch = inner, look, watch

        def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
            if self.lossadvisor_watch.left > 0:
                self._look(y_true, y_pred, {})
            return self.inner(y_true, y_pred, sample_weight=sample_weight)

        def call(self, y_true: Any, y_pred: Any) -> Any:
            return self.inner.call(y_true, y_pred)

        def get_config(self) -> dict[str, Any]:
            return self.inner.get_config()

    return GuardedLoss


def _in_symbolic_scope() -> bool:
    """Keras builds a compiled loss by calling it on stand-ins (on the torch backend, meta tensors or,
    failing those, ones) inside its SymbolicScope."""
    try:
        from keras.src.backend.common.symbolic_scope import in_symbolic_scope
    except ImportError:
        return False
    return bool(in_symbolic_scope())


def _placeholder(x: Any) -> bool:
    return isinstance(x, keras.KerasTensor) or getattr(x, "is_meta", False) is True


def _arguments(loss: Any) -> dict[str, Any]:
    """A Keras loss's arguments: from_logits, label_smoothing, axis, ignore_class, …"""
    found = {k: v for k, v in vars(loss).items() if not k.startswith("_") and isinstance(v, (bool, int, float, str, type(None)))}
    found.update(getattr(loss, "_fn_kwargs", None) or {})
    return found


def _inspect(spec: specs.LossSpec, y_true: Any, y_pred: Any, watch: Watch) -> list:
    if isinstance(y_pred, (dict, list, tuple)) or isinstance(y_true, (dict, list, tuple)):
        raise TypeError(f"its prediction or target is a {type(y_pred).__name__}, not one tensor")
    activation = None
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(y_pred, torch.Tensor):
        from lossadvisor.guard.torch import _activation, _numpy

        activation = _activation(y_pred)
        with torch.no_grad():
            pred = _numpy(y_pred.detach())
            target = _numpy(y_true.detach()) if isinstance(y_true, torch.Tensor) else np.asarray(y_true)
    else:
        try:
            pred, target = np.asarray(keras.ops.convert_to_numpy(y_pred)), np.asarray(keras.ops.convert_to_numpy(y_true))
        except Exception:  # noqa: BLE001 -- a graph-mode (tf.function) tensor: no values
            watch.left += 1  # not a batch seen: the eager ones (run_eagerly=True) still count
            watch.note_once("symbolic", f"{spec.name}: {SYMBOLIC}")
            return []
    dtype = str(y_pred.dtype).removeprefix("torch.")
    tol = BFLOAT16_TOLERANCE if "bfloat16" in dtype else tolerance(dtype)
    return inspect(spec, pred, target, tol=tol, activation=activation)
