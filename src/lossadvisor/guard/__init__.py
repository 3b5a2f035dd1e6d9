"""A first-batch guard: check the real tensors that reach a loss, on the first calls only.

    criterion = lossadvisor.guard(nn.CrossEntropyLoss())      # any PyTorch loss module or function
    loss_fn = lossadvisor.guard(keras.losses.CategoricalCrossentropy(from_logits=True))
    loss_fn = lossadvisor.guard(optax.softmax_cross_entropy)

For the first `batches` calls the guard inspects the prediction and the target (numpy copies, taken
without gradient) and reports each finding once, with the rule code `lossadvisor check` uses, as a
`LossAdvisorWarning`, or with `on="raise"` as a `LossAdvisorError` raised before the loss runs. Then
it is a pure pass-through. What it checks and what it cannot see: docs/guard.md.

This module imports no framework and no numpy: the adapter of the wrapped loss's framework is
imported when `guard()` is called.
"""

from __future__ import annotations

from typing import Any

__all__ = ["guard", "LossAdvisorWarning", "LossAdvisorError"]

ON = ("warn", "raise")
TRACED = ("note", "callback")


class LossAdvisorWarning(UserWarning):
    """A finding of the guard (the message starts with its rule code), or a note that it stepped aside."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


class LossAdvisorError(ValueError):
    """Raised by a guard made with on="raise", before the loss is computed."""

    def __init__(self, message: str, codes: list[str] | None = None):
        super().__init__(message)
        self.codes = list(codes or [])


def guard(loss: Any, *, batches: int = 3, on: str = "warn", traced: str = "note") -> Any:
    """Guard `loss` (a PyTorch loss module or function, a Keras loss, an optax loss function).

    PyTorch modules are guarded in place and returned (same object, same state_dict): a forward
    pre-hook inspects `batches` calls and then removes itself. Functions and Keras losses come
    back wrapped. A loss the guard does not know comes back unchanged, with one warning saying so.
    `traced` (JAX: optax, and Keras on the JAX backend) says what to do with traced arrays under
    jit or grad: "note" (say once that they are not inspected) or "callback" (inspect them
    through jax.debug.callback).
    """
    if on not in ON:
        raise ValueError(f"guard(on={on!r}): expected one of {', '.join(map(repr, ON))}")
    if traced not in TRACED:
        raise ValueError(f"guard(traced={traced!r}): expected one of {', '.join(map(repr, TRACED))}")
    if isinstance(batches, bool) or not isinstance(batches, int) or batches < 0:
        raise ValueError(f"guard(batches={batches!r}): expected a whole number ≥ 0")
    from lossadvisor.guard import spec

    owner = loss if _is_function(loss) else type(loss)
    qualified = f"{getattr(owner, '__module__', '') or ''}.{getattr(owner, '__qualname__', '')}"
    framework = spec.framework_of(qualified)
    family = spec.family_of(framework) if framework else None
    if family is None and _is_torch_module(loss):
        framework, family = "pytorch", "pytorch"
    if family == "pytorch":
        from lossadvisor.guard import torch as adapter
    elif family == "keras":
        from lossadvisor.guard import keras as adapter
    elif family == "jax":
        from lossadvisor.guard import jax as adapter
    else:
        from lossadvisor.guard.core import step_aside_warning

        step_aside_warning(f"{qualified.strip('.')} is not a PyTorch, Keras or optax loss")
        return loss
    return adapter.guard(loss, framework=framework, batches=batches, on=on, traced=traced)


def _is_function(obj: Any) -> bool:
    import types

    return isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, types.MethodType))


def _is_torch_module(obj: Any) -> bool:
    import sys

    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)
