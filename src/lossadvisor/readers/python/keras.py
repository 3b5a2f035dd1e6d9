"""Keras (Keras 3, tf.keras, tf_keras): layers, models, `compile()` and `fit()`.

    Sequential([...]) / .add(layer)          a Stack
    Model(inputs, outputs)                   a Graph (outputs may be a list or a dict)
    class Net(keras.Model): def call(...)    an Instance, run by the interpreter
    Dense(units, activation=...)             a layer with its own activation (None = linear)
    Activation('softmax'), layers.Softmax()  an activation layer
    model.compile(loss=...)                  recorded on the model, paired with its outputs at the end
    model.fit(x, y)                          the labels of that model

Only API shapes are known here (Dense's default activation is None, compile's second argument is
the loss); what a loss or an activation means comes from the knowledge base.
"""

from __future__ import annotations

from lossadvisor.facts import Head
from lossadvisor.readers.python import activations
from lossadvisor.readers.python.imports import Api
from lossadvisor.readers.python.values import (
    UNKNOWN, UNKNOWN_HEAD, Activate, Const, Dense, Graph, Items, Labels, Mapping, Module, Opaque, PassThrough,
    Ref, Stack, Value, is_count,
)  # fmt: skip

# Layer -> the argument holding its units. Their activation argument defaults to None (linear).
UNITS = {
    "Dense": "units", "Conv1D": "filters", "Conv2D": "filters", "Conv3D": "filters",
    "Convolution1D": "filters", "Convolution2D": "filters", "Convolution3D": "filters",
    "Conv1DTranspose": "filters", "Conv2DTranspose": "filters", "Conv3DTranspose": "filters",
    "SeparableConv1D": "filters", "SeparableConv2D": "filters",
}  # fmt: skip
PASS_THROUGH = {
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout", "GaussianDropout",
    "GaussianNoise", "Flatten", "Reshape", "Identity", "InputLayer", "ActivityRegularization",
}  # fmt: skip
MODEL_METHODS_RETURNING_SELF = {"to", "cuda", "cpu", "train", "eval", "float", "double", "half", "requires_grad_"}


def call(interp, api: Api, site) -> Value | None:
    if api.path[0] != "keras":
        return None
    name = api.name
    if api.has("layers") and name[:1].isupper():
        return _layer(interp, api, site)
    if name == "Sequential":
        layers = site.value(0, "layers")
        stack = Stack(list(layers.items) if isinstance(layers, Items) else ([] if layers is None else [UNKNOWN]), api.framework)
        interp.modules.append(stack)
        return stack
    if name in ("Model", "Functional") and (len(api.path) == 2 or api.has("models")):
        outputs = site.value(1, "outputs")
        model: Module = Graph(outputs, api.framework) if outputs is not None else Opaque(UNKNOWN_HEAD, api.framework)
        interp.modules.append(model)
        return model
    if api.has("applications") and name[:1].isupper():
        return _application(interp, api, site)
    if name in ("load_model", "model_from_json", "model_from_config", "clone_model"):
        model = Opaque(UNKNOWN_HEAD, api.framework)
        interp.modules.append(model)
        return model
    return None


def _layer(interp, api: Api, site) -> Value:
    name, framework = api.name, api.framework
    layer: Module
    if name in UNITS:
        units_value = site.value(0, UNITS[name])
        units = site.fact(units_value.value, site.arg_node(0, UNITS[name])) if is_count(units_value) else None
        index = 1 if name == "Dense" else None  # Dense(units, activation); Conv's 2nd argument is the kernel size
        activation, written = activation_argument(interp, site, index, "activation", framework)
        layer = Dense(units, activation, written, implicit=site.value(index, "activation") is None)
    elif name == "Activation":
        activation, written = activation_argument(interp, site, 0, "activation", framework, default_linear=False)
        layer = Activate(activation, written)
    elif name in PASS_THROUGH:
        layer = PassThrough()
    elif act := activations.spelled_in(interp.kb, name, framework):
        layer = Activate(site.fact(act), last_axis=activations.over_last_axis(site.value(0, "axis")))
    else:
        return UNKNOWN
    layer.framework = framework
    layer.attrs["name"] = site.value(None, "name") or UNKNOWN
    return layer


def activation_argument(interp, site, index: int | None, keyword: str, framework: str | None, default_linear: bool = True):
    """(activation fact, written fact) for an `activation=` argument: a string, None, a function
    such as `tf.nn.softmax`, or a layer object. A value that cannot be known gives (None, None)."""
    value = site.value(index, keyword)
    node = site.arg_node(index, keyword)
    kb = interp.kb
    if value is None:
        if not default_linear or site.unexpanded:
            return None, None
        return site.fact(activations.spelled_in(kb, None, framework)), None
    if isinstance(value, Const) and (value.value is None or isinstance(value.value, str)):
        # tf.keras is Keras 3 since TensorFlow 2.16: a Keras 3 string is not a typo there.
        found = activations.spelled_in(kb, value.value, framework) or activations.spelled_in(kb, value.value, "keras")
        if found is None:
            return None, site.fact(str(value.value), node)
        return site.fact(found, node), None
    if isinstance(value, Ref):
        found = activations.spelled_in(kb, value.api.name, value.api.framework or framework)
        return (site.fact(found, node), None) if found else (None, None)
    if isinstance(value, Activate):
        return value.activation, value.written
    return None, None


def _application(interp, api: Api, site) -> Value:
    """keras.applications.ResNet50(classes=…, classifier_activation=…): with its top, the model ends
    in Dense(classes, activation=classifier_activation), 'softmax' unless told otherwise."""
    top = site.value(None, "include_top")
    if top is not None and not (isinstance(top, Const) and top.value is True):
        head = UNKNOWN_HEAD
    else:
        classes = site.value(None, "classes")
        units = site.fact(classes.value, site.arg_node(None, "classes")) if is_count(classes) else None
        if site.value(None, "classifier_activation") is None and not site.unexpanded:
            activation, written = site.fact("softmax"), None
        else:
            activation, written = activation_argument(interp, site, None, "classifier_activation", api.framework)
        head = Head(units=units, activation=activation, activation_written=written)
    model = Opaque(head, api.framework)
    interp.modules.append(model)
    return model


def method(interp, obj: Value, name: str, site) -> Value | None:
    if not isinstance(obj, Module):
        return None
    if name == "compile":
        obj.compiles.append((site.value(1, "loss") or UNKNOWN, site.at))
        return Const(None, site.at)
    if name == "fit":
        obj.fits.append(_fit_labels(interp, site))
        return UNKNOWN
    if name == "add" and isinstance(obj, Stack):
        obj.layers.append(site.value(0, "layer") or UNKNOWN)
        return Const(None, site.at)
    if name == "pop" and isinstance(obj, Stack):
        if obj.layers:
            obj.layers.pop()
        return UNKNOWN
    if name in MODEL_METHODS_RETURNING_SELF:
        return obj
    return None


def _fit_labels(interp, site) -> Labels | None:
    from lossadvisor.readers.python.values import Data

    y = site.value(1, "y")
    if isinstance(y, Labels):
        return y
    x = site.value(0, "x")
    if y is None and isinstance(x, Data):
        return x.labels
    return None


def outputs(interp, model: Module, frame) -> list[Head | None]:
    """The heads of a model's outputs, in order, each with its output name when it has one."""
    from lossadvisor.readers.python.prediction import through

    produced = through(interp, model, UNKNOWN, frame)
    if isinstance(produced, Mapping):
        return [_named(v, k) for k, v in produced.items.items()]
    if isinstance(produced, Items):
        return [_named(v, None) for v in produced.items]
    return [_named(produced, None)]


def _named(value: Value, name) -> Head | None:
    from lossadvisor.readers.python.values import Tensor

    if not isinstance(value, Tensor):
        return None
    return value.head._replace(name=name) if name is not None else value.head


def layer_name(layer: Module) -> str | None:
    value = layer.attrs.get("name")
    return value.value if isinstance(value, Const) and isinstance(value.value, str) else None
