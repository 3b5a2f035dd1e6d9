"""A serialized Keras model (its config dict) → one `TrainingSetup` per output.

Shared by the `.keras` / `.h5` reader (keras_archive) and the model JSON reader (keras_json). It
reads the data Keras writes — Keras 3 `serialize_keras_object` and tf.keras 2.x `to_json()`,
Sequential and functional — and never imports Keras: a layer is only ever looked at by its class
name and a few config keys, so custom objects and Lambda layers are never deserialized.

The head of each output is found by walking back from the output layer: through layers that leave
values alone (Dropout, Identity, …), through activation layers (`Activation`, `Softmax`, `ReLU`, …,
the nearest one to the output wins) to the layer that makes the units (`Dense`, `Conv2D`, …, whose
own `activation` counts only when no activation layer follows it). Anything else on that path — a
custom layer, a Lambda, BatchNormalization, a merge — stops the walk: what it outputs is unknown,
so checks that need it stay silent. A custom layer anywhere else in the model does not matter.

Where a fact sits is given by `locate(*keys)`: a line in model JSON, just the file in an archive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from lossadvisor import heads, knowledge
from lossadvisor.facts import Fact, Head, LossUse, Position, TrainingSetup
from lossadvisor.inputs import brief
from lossadvisor.readers import InputError
from lossadvisor.vocabulary import Arg, LayerKind

Locate = Callable[..., Position]
Keys = tuple[Any, ...]

class SavedModel(NamedTuple):
    """What a reader found in a file: the serialized model, its loss (`compile_config.loss` or
    `training_config.loss`, None when not compiled) and where each sits for `locate`."""

    model: Any
    loss: Any = None
    model_keys: Keys = ()
    loss_keys: Keys = ()
    keras_version: str | None = None


def from_config(config: Any, keras_version: Any = None) -> SavedModel:
    """A Keras 3 model config (`config.json`, `to_json()`), with its loss from `compile_config`."""
    compile_config = config.get("compile_config") if isinstance(config, dict) else None
    loss = compile_config.get("loss") if isinstance(compile_config, dict) else None
    version = keras_version if keras_version is not None else config.get("keras_version") if isinstance(config, dict) else None
    return SavedModel(config, loss, (), ("compile_config", "loss"), version)


def framework_of(keras_version: Any) -> str:
    """tf.keras 2.x writes keras_version 2.x; Keras 3 writes 3.x or nothing."""
    return knowledge.load().vocabulary.saved_by(keras_version) or ""


def is_custom(entry: dict[str, Any]) -> bool:
    """A class from user code: registered as 'package>Name', or from a module outside Keras."""
    registered, module = entry.get("registered_name"), entry.get("module")
    if isinstance(registered, str) and ">" in registered:
        return True
    return isinstance(module, str) and knowledge.load().vocabulary.api(module).framework is None


def looks_like_model(data: Any) -> bool:
    """A serialized Keras model: a model class with a list of layers, each with a class name."""
    if not isinstance(data, dict) or not isinstance(data.get("class_name"), str):
        return False
    config = data.get("config")
    layers = config.get("layers") if isinstance(config, dict) else config
    return isinstance(layers, list) and bool(layers) and all(isinstance(x, dict) and "class_name" in x for x in layers)


# --------------------------------------------------------------------------- the layer graph

Ref = tuple[int, int, int]  # layer index, call (node) index, output tensor index


class Graph(NamedTuple):
    """The layers of one (possibly nested) model and the calls between them."""

    layers: list[dict[str, Any]]
    keys: Keys  # where the layer list sits, for positions
    functional: bool
    by_name: dict[str, int]
    outputs: list[tuple[str, Ref]]  # output name, the layer call that produces it

    def layer_name(self, index: int) -> str:
        layer = self.layers[index]
        config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        return str(layer.get("name") or config.get("name") or f"#{index + 1}")

    def input_of(self, ref: Ref) -> Ref | None:
        """The one tensor this layer call consumes; None when it consumes none or several."""
        index, node, _ = ref
        if not self.functional:
            return (index - 1, 0, 0) if index > 0 else None
        calls = self.layers[index].get("inbound_nodes") or []
        if not isinstance(calls, list) or not calls:
            return None
        call = calls[node] if 0 <= node < len(calls) else calls[0] if len(calls) == 1 else None
        tensors = list(_tensors_of_call(call))
        if len(tensors) != 1 or tensors[0][0] not in self.by_name:
            return None
        name, node, tensor = tensors[0]
        return (self.by_name[name], node, tensor)


def parse_graph(model: Any, keys: Keys) -> Graph | None:
    """The model's layers and outputs; None for a model without a layer list (a subclassed model,
    whose layers live in Python code). Raises InputError for a malformed serialization."""
    if not isinstance(model, dict) or not isinstance(model.get("class_name"), str):
        raise InputError("not a Keras model config: no `class_name`")
    config = model.get("config")
    if isinstance(config, list):  # Keras ≤ 2.2 Sequential: the config is the layer list itself
        layers, layers_keys = config, (*keys, "config")
    elif isinstance(config, dict) and isinstance(config.get("layers"), list):
        layers, layers_keys = config["layers"], (*keys, "config", "layers")
    else:
        return None
    if not layers:
        raise InputError(f"the `{model['class_name']}` model has no layers")
    for number, layer in enumerate(layers, start=1):
        if not isinstance(layer, dict) or not isinstance(layer.get("class_name"), str):
            raise InputError(f"layer {number} of the model has no class name")
    functional = isinstance(config, dict) and "output_layers" in config
    graph = Graph(layers, layers_keys, functional, {}, [])
    graph.by_name.update({graph.layer_name(i): i for i in range(len(layers))})
    if functional:
        graph.outputs.extend(_functional_outputs(graph, config["output_layers"]))
    else:
        graph.outputs.append((graph.layer_name(len(layers) - 1), (len(layers) - 1, 0, 0)))
    return graph


def _functional_outputs(graph: Graph, spec: Any) -> Iterator[tuple[str, Ref]]:
    """`output_layers`: one [name, node, tensor], a list of them, or (Keras 3) a dict by output name."""
    if isinstance(spec, dict):
        named = list(spec.items())
    elif isinstance(spec, list) and spec and isinstance(spec[0], str):
        named = [(None, spec)]
    elif isinstance(spec, list):
        named = [(None, item) for item in spec]
    else:
        raise InputError("the model's `output_layers` is not a list of layer references")
    for name, item in named:
        ref = _reference(item)
        if ref is None:
            raise InputError(f"the model's output {brief(item)} is not a [layer, node, tensor] reference")
        layer, node, tensor = ref
        if layer not in graph.by_name:
            raise InputError(f"the model's output names layer '{layer}', which the model does not have")
        yield (str(name) if name is not None else layer, (graph.by_name[layer], node, tensor))


def _reference(item: Any) -> tuple[str, int, int] | None:
    if isinstance(item, list) and len(item) >= 3 and isinstance(item[0], str) and all(isinstance(i, int) for i in item[1:3]):
        return item[0], item[1], item[2]
    return None


def _tensors_of_call(call: Any) -> Iterator[tuple[str, int, int]]:
    """The tensors one layer call consumes. Keras 3: `__keras_tensor__` entries with a
    `keras_history` anywhere in args/kwargs; tf.keras 2.x: a list of [name, node, tensor, kwargs]."""
    if isinstance(call, dict):
        if call.get("class_name") == "__keras_tensor__":
            history = (call.get("config") or {}).get("keras_history")
            if ref := _reference(history):
                yield ref
            return
        for value in call.values():
            yield from _tensors_of_call(value)
    elif isinstance(call, list):
        if ref := _reference(call):
            yield ref
            return
        for item in call:
            yield from _tensors_of_call(item)


# --------------------------------------------------------------------------- the head of one output


class HeadReader:
    """Finds each output's head (its activation and its unit count, with their positions) by the
    one walk of `lossadvisor.heads`, with each layer's role from rules/frameworks.yaml."""

    def __init__(self, kb: knowledge.Knowledge, framework: str, locate: Locate, multi_output: bool):
        self.kb, self.framework, self.locate, self.multi_output = kb, framework, locate, multi_output
        linear = kb.activation_in(None, framework)
        self.linear = linear.id if linear else None

    def head(self, graph: Graph, output_name: str, ref: Ref) -> Head:
        return heads.walk_back(self._steps_back(graph, ref, output_name))._replace(name=output_name)

    def kind(self, class_name: str) -> LayerKind | None:
        vocabulary = self.kb.vocabulary
        root = next(iter(vocabulary.frameworks[self.framework].imports), self.framework)
        return self.kb.layer(vocabulary.api(f"{root}.layers.{class_name}")) or self.kb.layer(vocabulary.api(f"{root}.{class_name}"))

    def _steps_back(self, graph: Graph, ref: Ref | None, output_name: str) -> Iterator[heads.Step]:
        seen: set[Ref] = set()
        while ref is not None and ref not in seen and 0 <= ref[0] < len(graph.layers):
            seen.add(ref)
            keys = (*graph.keys, ref[0])
            entry = graph.layers[ref[0]]
            kind = None if is_custom(entry) else self.kind(entry["class_name"])
            if kind is not None and kind.role == "wraps":  # TimeDistributed(Dense(…)) has its inner layer's head
                entry, keys = _inner_layer(entry, keys)
                kind = None if entry is None or is_custom(entry) else self.kind(entry["class_name"])
            if kind is None or entry is None:
                yield heads.UNKNOWN_STEP  # user code, a merge, BatchNormalization…: what it outputs is unknown
                return
            if kind.role == "contains":
                yield from self._steps_nested(entry, keys, ref[2], output_name)
                return
            config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
            layer = graph.layer_name(ref[0])
            context = self._context(layer, output_name)
            own = self._keras_activation(entry["class_name"])
            made = heads.step(kind, _Config(self, config, keys, context), self.linear, own.id if own else None)
            if made is None:
                yield heads.UNKNOWN_STEP
                return
            if made.role == "units" and made.activation is not None:
                made = made._replace(activation=made.activation._replace(at=self.locate(*keys, "config", "activation")))
            yield made
            if made.role == "units":
                return
            ref = graph.input_of(ref)

    def _steps_nested(self, entry: dict[str, Any], keys: Keys, tensor: int, output_name: str) -> Iterator[heads.Step]:
        inner = parse_graph(entry, keys)
        if inner is None or not inner.outputs:
            yield heads.UNKNOWN_STEP
            return
        _, ref = inner.outputs[tensor] if 0 <= tensor < len(inner.outputs) else inner.outputs[0]
        yield from self._steps_back(inner, ref, output_name)

    def _context(self, layer: str, output_name: str) -> str:
        return f"in layer '{layer}'" + (f" of output '{output_name}'" if self.multi_output and output_name != layer else "")

    def activation_fact(self, value: Any, at: Position, context: str) -> tuple[Fact[str] | None, Fact[str] | None]:
        """An `activation` as Keras serialized it: a name, None, or a function {class_name: function}."""
        name = value
        if isinstance(value, dict):  # a serialized function: only Keras' own are known by name
            name = value.get("config") if value.get("class_name") == "function" and not is_custom(value) else None
            if not isinstance(name, str):
                return None, None
        if name is not None and not isinstance(name, str):
            return None, None
        act = self._keras_activation(name)
        if act is None:
            return None, None  # a custom activation: the saved model ran with it, so it is no typo to report
        return Fact(act.id, at, context), None

    def _keras_activation(self, name: str | None) -> knowledge.Activation | None:
        """The activation `name` spells in Keras 3 or tf.keras (a saved model may use either's)."""
        return next((act for fw in self.kb.vocabulary.family_of(self.framework) if (act := self.kb.activation_in(name, fw))), None)


class _Config:
    """A serialized layer's config for `heads.step`: every argument is a key of `config`."""

    def __init__(self, reader: HeadReader, config: dict[str, Any], keys: Keys, context: str):
        self.reader, self.config, self.keys, self.context = reader, config, keys, context

    def literal(self, arg: Arg) -> Any:
        if arg.keyword not in self.config:
            return heads.MISSING
        value = self.config[arg.keyword]
        return heads.OPAQUE if isinstance(value, dict) else value

    def _at(self, arg: Arg | None) -> Position:
        if arg is not None and arg.keyword in self.config:
            return self.reader.locate(*self.keys, "config", arg.keyword)
        return self.reader.locate(*self.keys, "class_name")

    def fact(self, value: Any, arg: Arg | None, activation: bool) -> Fact[Any]:
        return Fact(value, self._at(arg), self.context if activation else None)

    def activation(self, arg: Arg) -> tuple[Fact[str] | None, Fact[str] | None]:
        return self.reader.activation_fact(self.config.get(arg.keyword or ""), self._at(arg), self.context)


def _inner_layer(entry: dict[str, Any], keys: Keys) -> tuple[dict[str, Any] | None, Keys]:
    config = entry.get("config")
    inner = config.get("layer") if isinstance(config, dict) else None
    if isinstance(inner, dict) and isinstance(inner.get("class_name"), str):
        return inner, (*keys, "config", "layer")
    return None, keys


# --------------------------------------------------------------------------- losses


def is_loss_entry(value: Any) -> bool:
    """One loss (a name or a serialized loss object), as opposed to a dict or list of losses."""
    return isinstance(value, str) or (isinstance(value, dict) and isinstance(value.get("class_name"), str))


def losses_by_output(loss: Any, keys: Keys, output_names: list[str]) -> list[tuple[Any, Keys] | None]:
    """Each output's loss, as Keras pairs them: one loss serves every output; a dict is keyed by
    output name; a list is positional. A structure that does not fit the outputs is left unknown."""
    count = len(output_names)
    if loss is None:
        return [None] * count
    if is_loss_entry(loss):
        return [(loss, keys)] * count
    if isinstance(loss, dict):
        return [(loss[name], (*keys, name)) if loss.get(name) is not None else None for name in output_names]
    if isinstance(loss, list) and len(loss) == count:
        return [(item, (*keys, i)) if item is not None else None for i, item in enumerate(loss)]
    return [None] * count


def loss_use(value: Any, keys: Keys, framework: str, kb: knowledge.Knowledge, locate: Locate) -> LossUse | None:
    """A loss as Keras serialized it: a string, a loss object {class_name, config}, or a function
    (`class_name: function`, its name in `config`). A custom loss object or a function that is not a
    Keras loss is the user's own code: None, as if the model had no loss."""
    args: dict[str, Fact[Any]] = {}
    if isinstance(value, str):
        name, at = value, locate(*keys)
    elif is_loss_entry(value) and value["class_name"] == "function":
        name, at = value.get("config"), locate(*keys, "config")
        if not isinstance(name, str) or kb.find_loss(name, framework) is None:
            return None
    elif is_loss_entry(value) and not is_custom(value):
        name, at = value["class_name"], locate(*keys, "class_name")
        config = value.get("config") if isinstance(value.get("config"), dict) else {}
        args = {k: Fact(v, locate(*keys, "config", k)) for k, v in config.items() if k != "name"}
    else:
        return None
    match = kb.find_loss(name, framework)
    written = Fact(name, at)
    if match is None:
        return LossUse(written, None, framework, args)
    # The serialized config lists every argument; keep those the user changed, as they wrote them.
    params = match.loss.params
    changed = {k: fact for k, fact in args.items() if k not in params or fact.value != params[k].default}
    return LossUse(written, match.loss.id, match.framework, changed)


# --------------------------------------------------------------------------- entry point


def setups(saved: SavedModel, path: str, locate: Locate) -> list[TrainingSetup]:
    """One setup per model output, each with its head and its loss."""
    kb = knowledge.load()
    framework = framework_of(saved.keras_version)
    graph = parse_graph(saved.model, saved.model_keys)
    if graph is None:  # a subclassed model: no layers to read, but its loss can still be checked
        return _loss_only_setups(saved, path, framework, kb, locate)
    names = [name for name, _ in graph.outputs]
    reader = HeadReader(kb, framework, locate, multi_output=len(names) > 1)
    out = []
    for (name, ref), loss in zip(graph.outputs, losses_by_output(saved.loss, saved.loss_keys, names)):
        use = loss_use(*loss, framework, kb, locate) if loss else None
        head = reader.head(graph, name, ref)
        out.append(TrainingSetup(path=path, framework=use.framework if use else framework, head=head, loss=use))
    return out


def _loss_only_setups(saved: SavedModel, path: str, framework: str, kb: knowledge.Knowledge, locate: Locate) -> list[TrainingSetup]:
    loss = saved.loss
    if isinstance(loss, dict) and not is_loss_entry(loss):
        entries = [((value, (*saved.loss_keys, key)), str(key)) for key, value in loss.items()]
    elif isinstance(loss, list):
        entries = [((value, (*saved.loss_keys, i)), None) for i, value in enumerate(loss)]
    else:
        entries = [((loss, saved.loss_keys), None)]
    out = []
    for (value, keys), name in entries:
        use = loss_use(value, keys, framework, kb, locate) if value is not None else None
        head = Head(name=name) if name else None
        out.append(TrainingSetup(path=path, framework=use.framework if use else framework, head=head, loss=use))
    return out
