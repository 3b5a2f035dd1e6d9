"""JAX model libraries beyond their layers (which `layers` reads): how a model's output reaches a loss.

    model.apply(variables, x)                       Flax linen: the model's __call__ on x
    logits, updates = model.apply(v, x, mutable=[…])   …and the updated state beside it
    TrainState.create(apply_fn=model.apply, …)      keeps apply_fn: `state.apply_fn(v, x)` is the model

Function transforms (`jax.vmap(model)`, `nnx.value_and_grad(loss_fn)`) are layers of role `wraps`
and `differentiates` in rules/frameworks.yaml; a Flax or Equinox module class is an Instance that
the interpreter runs.
"""

from __future__ import annotations

from lossadvisor.readers.python.values import UNKNOWN, Const, Instance, Items, Module, Record, Value
from lossadvisor.vocabulary import Api


def call(interp, api: Api, site) -> Value | None:
    """`TrainState.create(apply_fn=model.apply, params=…, tx=…)`: an object that keeps apply_fn."""
    kept = interp.kb.vocabulary.holder(api)
    if kept is None:
        return None
    return Record({name: value for name in kept if (value := site.value(None, name)) is not None})


def method(interp, obj: Value, name: str, site) -> Value | None:
    """`model.apply(variables, x, …)` of a module class whose framework runs it that way, or of one
    of its layers (`nn.Sequential([...]).apply(variables, x)`)."""
    if isinstance(obj, Instance):
        classes = obj.cls.kind
    elif isinstance(obj, Module) and (fw := interp.kb.vocabulary.frameworks.get(obj.framework or "")) is not None:
        classes = fw.model_classes
    else:
        return None
    applied = classes.applied_by if classes is not None else None
    if applied is None or name != applied["method"]:
        return None
    if site.passed(None, applied["other_method"]):
        return UNKNOWN  # apply(v, x, method=Model.encode): another method than __call__
    from lossadvisor.readers.python.prediction import apply_module

    inputs = site.shifted(applied["skip"], set(applied["options"]))
    output = apply_module(interp, obj, inputs)
    state = site.value(None, applied["with_state"])
    if state is not None and not (isinstance(state, Const) and state.value is False):
        return Items([output, UNKNOWN])  # (output, updated collections)
    return output
