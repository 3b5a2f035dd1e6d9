"""Keras (Keras 3, tf.keras, tf_keras): model zoos, `compile()` and `fit()`.

    keras.applications.ResNet50(...)         a model whose head the zoo's entry describes
    .add(layer) / .pop() on a Sequential     the Stack `layers.call` built
    class Net(keras.Model): def call(...)    an Instance, run by the interpreter
    model.compile(loss=..., metrics=[...])   recorded on the model, paired with its outputs at the end
    keras.metrics.AUC(from_logits=True)      a Metric (what it reads: rules/metrics.yaml)
    model.fit(x, y)                          the labels of that model

Layers, Sequential and Model are read by `layers` from rules/frameworks.yaml. Only API shapes of
models are known here (compile's second argument is the loss); what a loss or an activation means
comes from the knowledge base.
"""

from __future__ import annotations

import ast

from lossadvisor.facts import Fact, Head, MetricUse
from lossadvisor.readers.python.layers import argument_place, activation_argument
from lossadvisor.readers.python.values import UNKNOWN, Const, Function, Items, Labels, Mapping, Metric, Module, Opaque, Stack, Tensor, Value, is_count
from lossadvisor.readers.python.values import UNKNOWN_HEAD
from lossadvisor.vocabulary import Api, ModelZoo

MODEL_METHODS_RETURNING_SELF = {"to", "cuda", "cpu", "train", "eval", "float", "double", "half", "requires_grad_"}


def call(interp, api: Api, site) -> Value | None:
    """A model zoo's builder (keras.applications.ResNet50) or a loaded model; layers and
    Sequential / Model are `layers.call`'s."""
    vocabulary = interp.kb.vocabulary
    if vocabulary.in_metric_module(api):
        return metric(interp, api, site)
    zoo = vocabulary.model_zoo(api)
    if zoo is not None and zoo.default_activation is not None and api.name[:1].isupper():
        return _application(interp, zoo, api, site)
    if vocabulary.is_loader(api):
        model = Opaque(UNKNOWN_HEAD, api.framework)
        interp.modules.append(model)
        return model
    return None


def metric(interp, api: Api, site) -> Metric:
    """`keras.metrics.BinaryAccuracy(threshold=0.0)`: the metric and its literal keyword arguments
    (a non-literal one is recorded as passed, value unknown, so no check assumes a default)."""
    from lossadvisor.readers.python.losses import Expression

    args = {}
    for name, (value, at, node) in site.keyword_facts().items():
        args[name] = Fact(value.value if isinstance(value, Const) and not value.assumed else Expression(ast.unparse(node)), at)
    use = MetricUse(site.fact(api.name), interp.kb.find_metric(api.name, api.framework), args)
    return Metric(use)


def metrics_of(interp, value: Value | None, framework: str | None) -> tuple[MetricUse, ...]:
    """compile(metrics=...) as a flat list or tuple of names and metric objects; anything else
    (a dict per output, a list the reader cannot follow) as no metrics at all."""
    if not isinstance(value, Items):
        return ()
    out = []
    for item in value.items:
        if isinstance(item, Metric):
            out.append(item.use)
        elif isinstance(item, Const) and isinstance(item.value, str):
            out.append(MetricUse(Fact(item.value, item.at), interp.kb.find_metric(item.value, framework)))
    return tuple(out)


def _application(interp, zoo: ModelZoo, api: Api, site) -> Value:
    """keras.applications.ResNet50(classes=…, classifier_activation=…): with its top, the model ends
    in Dense(classes, activation=classifier_activation), the zoo's default activation unless told otherwise."""
    top = site.value(*argument_place(zoo.top))
    if top is not None and not (isinstance(top, Const) and top.value is True):
        head = UNKNOWN_HEAD
    else:
        classes = site.value(*argument_place(zoo.classes))
        units = site.fact(classes.value, site.arg_node(*argument_place(zoo.classes))) if is_count(classes) else None
        if site.value(*argument_place(zoo.activation)) is None and not site.unexpanded:
            activation, written = site.fact(zoo.default_activation), None
        else:
            activation, written = activation_argument(interp, site, zoo.activation, api.framework)
        head = Head(units=units, activation=activation, activation_written=written)
    model = Opaque(head, api.framework)
    interp.modules.append(model)
    return model


def method(interp, obj: Value, name: str, site) -> Value | None:
    if not isinstance(obj, Module):
        return None
    if name == "compile":
        loss = site.value(1, "loss") or UNKNOWN
        obj.compiles.append((loss, site.at, interp.tick(), site.value(3, "metrics")))
        if isinstance(loss, Function):
            _run_own_loss(interp, obj, loss, site)
        return Const(None, site.at)
    kind = interp.kb.vocabulary.model_method(name)
    if kind == "training":
        weighted = site.arg_node(None, "class_weight")
        class_weight = interp.at(weighted, site.frame) if weighted is not None else None
        obj.fits.append((_fit_labels(interp, site), interp.tick(), class_weight))
        return UNKNOWN
    if kind == "inference":
        obj.uses["inference"] = interp.tick()
        return _predicted(interp, obj, site)
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


def _run_own_loss(interp, model: Module, loss: Function, site) -> None:
    """`compile(loss=ctc_loss)` with `def ctc_loss(y_true, y_pred): return K.ctc_batch_cost(…)`:
    Keras calls the function with the labels and the model's output, so the losses inside meet the
    output (of a one-output model)."""
    from lossadvisor.readers.python.prediction import through

    output = through(interp, model, UNKNOWN, site.frame)
    if isinstance(output, Tensor):
        interp.run_function(loss, interp.empty_call(site.frame, [UNKNOWN, output]))


def _predicted(interp, model: Module, site) -> Value:
    """`model.predict(x)` of a one-output model: its output, so that `model.predict(x) > 0.5` is
    read as the cut it is (a threshold on what the compiled loss gets)."""
    if not model.compiles:
        return UNKNOWN
    heads = outputs(interp, model, site.frame)
    return Tensor(heads[0], model.framework) if len(heads) == 1 and heads[0] is not None else UNKNOWN


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
    if not isinstance(value, Tensor):
        return None
    return value.head._replace(name=name) if name is not None else value.head


def layer_name(layer: Module) -> str | None:
    value = layer.attrs.get("name")
    return value.value if isinstance(value, Const) and isinstance(value.value, str) else None
