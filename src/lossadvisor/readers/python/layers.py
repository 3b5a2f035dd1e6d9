"""Layers and models as code builds them, by their role in rules/frameworks.yaml.

    nn.Linear(128, 10), layers.Dense(10, activation="softmax")   a unit layer (Layer)
    nn.Softmax(dim=1), layers.Activation("sigmoid"), nn.Tanh()    an activation layer
    nn.Dropout(0.2), layers.Flatten(), nn.Identity()             passes / reshapes / identity
    nn.Sequential(...), keras.Sequential([...]), keras.Model(i, o)   containers (Stack, Graph)
    TimeDistributed(Dense(3)), nn.DataParallel(model), torch.compile(model)   wrappers: the inner one

No layer name is written here: `kb.layer(api)` says what a class is, and `heads.step` what it does
to a prediction, the same for every reader.
"""

from __future__ import annotations

from typing import Any

from lossadvisor import heads
from lossadvisor.facts import Fact
from lossadvisor.readers.python import activations
from lossadvisor.readers.python.values import (
    UNKNOWN, UNKNOWN_HEAD, Const, Differentiated, Function, Graph, Items, Layer, Module, Opaque, Ref, Stack, Value,
)  # fmt: skip
from lossadvisor.vocabulary import Api, Arg, LayerKind


def call(interp, api: Api, site) -> Value | None:
    """A layer or model class called: its Value; UNKNOWN for a layer the vocabulary does not
    describe; None when `api` is no layer."""
    kind = interp.kb.layer(api)
    if kind is None:
        return UNKNOWN if api.name[:1].isupper() and interp.kb.vocabulary.in_layer_module(api) else None
    if kind.role in ("wraps", "differentiates"):
        inner = site.value(*argument_place(kind.layer))
        if kind.role == "differentiates":
            return Differentiated(inner) if isinstance(inner, (Function, Module)) else UNKNOWN
        return inner if isinstance(inner, (Function, Module)) else UNKNOWN  # jax.vmap(model), jax.jit(train_step)
    if kind.role == "contains":
        return _container(interp, kind, api, site)
    linear = activations.spelled_in(interp.kb, None, api.framework)
    own = activations.spelled_in(interp.kb, api.name, api.framework)
    step = heads.step(kind, CallArguments(interp, site, api.framework), linear, own)
    if step is None:
        return UNKNOWN
    if kind.elementwise and step.activation is not None and activations.normalising(interp.kb, step.activation.value):
        return UNKNOWN  # eqx.nn.MLP(final_activation=jax.nn.softmax) softmaxes each output alone
    implicit = step.role == "units" and (kind.activation is None or site.value(*argument_place(kind.activation)) is None)
    layer = Layer(step, implicit=implicit and kind.default_activation is None)
    layer.framework = api.framework
    layer.attrs["name"] = site.value(None, "name") or UNKNOWN  # Keras names an output after its last layer
    if kind.applies is not None:  # tf.layers.dense(x, 10): the layer's output, at once
        from lossadvisor.readers.python.prediction import through

        return through(interp, layer, site.value(*argument_place(kind.applies)) or UNKNOWN, site.frame, site)
    return layer


def _container(interp, kind: LayerKind, api: Api, site) -> Value:
    model: Module
    if kind.layers == "*":
        model = Stack(list(site.args) + ([UNKNOWN] if site.unexpanded else []), api.framework)
    elif isinstance(kind.layers, Arg):
        layers = site.value(*argument_place(kind.layers))
        model = Stack(list(layers.items) if isinstance(layers, Items) else ([] if layers is None else [UNKNOWN]), api.framework)
    else:
        outputs = site.value(*argument_place(kind.outputs))
        model = Graph(outputs, api.framework) if outputs is not None else Opaque(UNKNOWN_HEAD, api.framework)
    interp.modules.append(model)
    return model


def argument_place(arg: Arg | None) -> tuple[int | None, tuple[str, ...]]:
    """CallSite.value's (index, names) for an argument of the vocabulary."""
    if arg is None:
        return None, ()
    return arg.position, (arg.keyword,) if arg.keyword else ()


class CallArguments:
    """A layer call's arguments for `heads.step`."""

    def __init__(self, interp, site, framework: str | None):
        self.interp, self.site, self.framework = interp, site, framework

    def literal(self, arg: Arg) -> Any:
        value = self.site.value(*argument_place(arg))
        if value is None:
            return heads.OPAQUE if self.site.unexpanded else heads.MISSING
        return value.value if isinstance(value, Const) else heads.OPAQUE

    def fact(self, value: Any, arg: Arg | None, activation: bool) -> Fact[Any]:
        return self.site.fact(value, self.site.arg_node(*argument_place(arg)) if arg is not None else None)

    def activation(self, arg: Arg) -> tuple[Fact[str] | None, Fact[str] | None]:
        return activation_argument(self.interp, self.site, arg, self.framework)


def activation_argument(interp, site, arg: Arg, framework: str | None) -> tuple[Fact[str] | None, Fact[str] | None]:
    """(activation fact, written fact) for an activation passed as an argument: a string, None, a
    function such as `tf.nn.softmax`, or a layer object. A value that cannot be known gives (None, None)."""
    value = site.value(*argument_place(arg))
    node = site.arg_node(*argument_place(arg))
    kb = interp.kb
    if value is None:
        return None, None
    if isinstance(value, Const) and (value.value is None or isinstance(value.value, str)):
        # tf.keras is Keras 3 since TensorFlow 2.16: a Keras 3 string is not a typo there.
        found = activations.spelled_in(kb, value.value, framework)
        if found is None and framework is not None:
            family = kb.vocabulary.family_of(framework)
            found = next((f for fw in family if (f := activations.spelled_in(kb, value.value, fw))), None)
        if found is None:
            return None, site.fact(str(value.value), node)
        return site.fact(found, node), None
    if isinstance(value, Ref):
        found = activations.spelled_in(kb, value.api.name, value.api.framework or framework)
        return (site.fact(found, node), None) if found else (None, None)
    if isinstance(value, Layer) and value.step.role == "activation":
        return value.step.activation, value.step.activation_written
    return None, None
