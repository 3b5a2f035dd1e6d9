"""Hydra / OmegaConf and LightningCLI configs: the objects a YAML file instantiates.

    model:
      _target_: torch.nn.Sequential            # Hydra: `_target_`, kwargs beside it, `_args_` positional
      _args_:
        - {_target_: torch.nn.Linear, in_features: 128, out_features: 10}
        - {_target_: torch.nn.Softmax, dim: -1}   # the net ends in an activation: that is the head
    criterion:
      _target_: torch.nn.CrossEntropyLoss      # a loss: torch.nn(.modules.loss), torch.nn.functional,
      label_smoothing: 0.1                     # keras.losses, tf.keras.losses, optax(.losses)

    model:                                     # LightningCLI / jsonargparse: class_path + init_args
      class_path: my_project.LitClassifier
      init_args:
        output_activation: softmax             # an output-activation key on the model's arguments
        out_features: 1
        loss_fn: {class_path: torch.nn.BCEWithLogitsLoss}

A document is claimed only when some mapping in it has a `_target_` or `class_path`. The file is
read as it stands: interpolations (`${…}`, `???`) and defaults lists are not resolved, and a value
that cannot be known is never reported on — an interpolated argument that changes what the loss
expects drops the loss, an interpolated layer ends the walk. A net that ends in a Linear says
nothing about the activation (the training step may apply one); only an activation module at the
end, or an output-activation key, does. A head and a loss are paired only when the file holds
exactly one of each; otherwise each is checked on its own. A Trainer with fp16 mixed precision
(`precision: 16-mixed`) reaches the losses of the file, and those of the training steps of a
project model class the file instantiates (its module found beside the config or a few folders up).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from lossadvisor import heads, knowledge
from lossadvisor.facts import Fact, Head, LossUse, Position, TrainingSetup
from lossadvisor.readers import Source
from lossadvisor.readers.document import Document
from lossadvisor.vocabulary import Api, Arg

Keys = tuple[Any, ...]

def unknown(value: Any) -> bool:
    """A value this file alone does not determine: an interpolation or OmegaConf's MISSING."""
    return isinstance(value, str) and ("${" in value or value.strip() == "???")


def _context(keys: Keys) -> str | None:
    """"in `model.net`" for messages; None at the document's root."""
    out = ""
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return f"in `{out}`" if out else None


class Node(NamedTuple):
    """One object the config instantiates."""

    keys: Keys  # where its mapping sits
    target: str
    target_key: str  # "_target_" or "class_path"
    kwargs: dict[str, Any]  # keyword arguments (Hydra: the other keys; Lightning: init_args)
    kwargs_keys: Keys
    positional: list[Any]  # Hydra `_args_`

    @property
    def bare(self) -> str:
        return self.target.rsplit(".", 1)[-1]

    @property
    def api(self) -> Api:
        return knowledge.load().vocabulary.api(self.target)

    @property
    def framework(self) -> str | None:
        return self.api.framework


def node_at(value: Any, keys: Keys) -> Node | None:
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("_target_"), str) and not unknown(value["_target_"]):
        kwargs = {k: v for k, v in value.items() if not (isinstance(k, str) and k.startswith("_") and k.endswith("_"))}
        positional = value.get("_args_") if isinstance(value.get("_args_"), list) else []
        return Node(keys, value["_target_"], "_target_", kwargs, keys, positional)
    if isinstance(value.get("class_path"), str) and not unknown(value["class_path"]):
        init = value.get("init_args") if isinstance(value.get("init_args"), dict) else {}
        return Node(keys, value["class_path"], "class_path", init, (*keys, "init_args"), [])
    return None


def nodes(value: Any, keys: Keys = ()) -> Iterator[Node]:
    """Every instantiated object in the document, outermost first."""
    if (node := node_at(value, keys)) is not None:
        yield node
    if isinstance(value, dict):
        for key, child in value.items():
            yield from nodes(child, (*keys, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from nodes(child, (*keys, i))


MARKER = r"\b_target_\b|\bclass_path\b"  # in text that does not parse: document.MARKER


def claims(doc: Document) -> bool:
    return next(nodes(doc.data), None) is not None


# --------------------------------------------------------------------------- losses


def loss_match(node: Node, kb: knowledge.Knowledge) -> tuple[bool, knowledge.LossMatch | None]:
    """Whether a node instantiates a loss, and the loss the knowledge base knows it as."""
    api = node.api
    framework = api.framework
    if framework is None:
        return False, None
    match = kb.find_loss(node.bare, framework)
    if match is not None and match.framework not in kb.vocabulary.family_of(framework):
        match = None  # e.g. torch.nn.functional.cosine_similarity is not Keras' cosine_similarity loss
    return match is not None or _meant_as_loss(kb, api), match


def _meant_as_loss(kb: knowledge.Knowledge, api: Api) -> bool:
    """A target in a loss module that is not a known loss is a misspelt one (LA002)."""
    module = kb.vocabulary.loss_module(api)
    if module is None or module.unknown_names is None or api.name in module.not_losses:
        return False
    return module.unknown_names == "all" or api.name.endswith("Loss")


def loss_of(node: Node, match: knowledge.LossMatch | None, doc: Document) -> LossUse | None:
    """The loss a node instantiates; None when an argument that changes what the loss expects is
    not in this file (interpolated, or possibly passed positionally)."""
    written = Fact(node.target, doc.at(*node.keys, node.target_key))
    if match is None:
        return LossUse(written, None, node.framework)
    decisive = {name for name, p in match.loss.params.items() if p.when or p.ignores_label}
    if node.positional and decisive:
        return None
    if any(name in decisive and (unknown(v) or isinstance(v, (dict, list))) for name, v in node.kwargs.items()):
        return None
    args = {k: Fact(v, doc.at(*node.kwargs_keys, k)) for k, v in node.kwargs.items() if not unknown(v)}
    return LossUse(written, match.loss.id, match.framework, args)


# --------------------------------------------------------------------------- heads


class FoundHead(NamedTuple):
    head: Head
    keys: Keys  # the model's mapping, to look for num_classes around it
    framework: str | None


class HeadFinder:
    def __init__(self, doc: Document, kb: knowledge.Knowledge):
        self.doc, self.kb = doc, kb

    def heads(self, all_nodes: list[Node]) -> list[FoundHead]:
        found = []
        inside_net: set[Keys] = set()
        for node in all_nodes:
            if any(node.keys[: len(k)] == k for k in inside_net):
                continue  # a layer of a net already read
            kind = self.kb.layer(node.api)
            if kind is not None and kind.role == "contains" and kind.layers == "*":
                inside_net.add(node.keys)
                head = heads.walk_back(self._steps_back(node, _context(node.keys)))
                framework = node.framework
            else:
                head, framework = self.declared_head(node), None
            if head is not None and (head.activation or head.units):
                found.append(FoundHead(head, node.keys, framework))
        return found

    def _steps_back(self, net: Node, context: str | None) -> Iterator[heads.Step]:
        """The net's layers, last first, as walk steps; a nested net is walked into."""
        for i in range(len(net.positional) - 1, -1, -1):
            layer = node_at(net.positional[i], (*net.keys, "_args_", i))
            if layer is None:
                yield heads.UNKNOWN_STEP  # interpolated or not an object: unknown from here on
                return
            kind = self.kb.layer(layer.api)
            if kind is not None and kind.role == "contains" and kind.layers == "*":
                yield from self._steps_back(layer, context)
                return  # a nested net's first layer is this one's input: nothing further is ours to read
            if kind is not None and kind.role == "wraps":
                inner = _inner(layer, kind.layer)
                layer, kind = (inner, self.kb.layer(inner.api)) if inner is not None else (layer, None)
            made = heads.step(kind, _Arguments(self, layer, context), self._linear(layer), self._own_activation(layer)) if kind else None
            if made is not None and made.role == "units":
                made = made._replace(activation=None)  # a net ending in a Linear: the training step may apply one
            yield made if made is not None else heads.UNKNOWN_STEP

    def _linear(self, layer: Node) -> str | None:
        act = self.kb.activation_in(None, layer.framework)
        return act.id if act else None

    def _own_activation(self, layer: Node) -> str | None:
        act = self.kb.activation_in(layer.bare, layer.framework)
        return act.id if act else None

    def declared_head(self, node: Node) -> Head | None:
        """A model whose arguments name its output activation (and maybe its output size)."""
        key = next((k for k in self.kb.model_arguments["output_activation"] if k in node.kwargs), None)
        if key is None:
            return None
        value = node.kwargs[key]
        if (inner := node_at(value, (*node.kwargs_keys, key))) is not None:
            value = inner.bare
        activation = None
        if value is None or (isinstance(value, str) and not unknown(value)):  # null: no activation, as in the native config
            act = self.kb.find_activation(value.rsplit(".", 1)[-1] if isinstance(value, str) else None)
            if act is not None:
                activation = Fact(act.id, self.doc.at(*node.kwargs_keys, key), _context(node.keys))
        units = None
        for units_key in self.kb.model_arguments["output_units"]:
            if heads.positive_int(node.kwargs.get(units_key)):
                units = Fact(node.kwargs[units_key], self.doc.at(*node.kwargs_keys, units_key))
                break
        return Head(units=units, activation=activation)


def _inner(layer: Node, arg: Arg | None) -> Node | None:
    """The layer a wrapper applies: its keyword argument or its `_args_` entry."""
    if arg is None:
        return None
    if arg.keyword in layer.kwargs:
        return node_at(layer.kwargs[arg.keyword], (*layer.kwargs_keys, arg.keyword))
    if arg.position is not None and arg.position < len(layer.positional):
        return node_at(layer.positional[arg.position], (*layer.keys, "_args_", arg.position))
    return None


class _Arguments:
    """A Hydra layer's arguments for `heads.step`: keywords beside `_target_`, positions in `_args_`."""

    def __init__(self, finder: HeadFinder, layer: Node, context: str | None):
        self.finder, self.layer, self.context = finder, layer, context

    def _where(self, arg: Arg) -> Keys | None:
        if arg.keyword in self.layer.kwargs:
            return (*self.layer.kwargs_keys, arg.keyword)
        if arg.position is not None and arg.position < len(self.layer.positional):
            return (*self.layer.keys, "_args_", arg.position)
        return None

    def literal(self, arg: Arg) -> Any:
        keys = self._where(arg)
        if keys is None:
            return heads.MISSING
        value = self.finder.doc.get(*keys)
        return heads.OPAQUE if unknown(value) or isinstance(value, (dict, list)) else value

    def _at(self, arg: Arg | None) -> Position:
        keys = self._where(arg) if arg is not None else None
        return self.finder.doc.at(*keys) if keys is not None else self.finder.doc.at(*self.layer.keys, self.layer.target_key)

    def fact(self, value: Any, arg: Arg | None, activation: bool) -> Fact[Any]:
        return Fact(value, self._at(arg), self.context if activation else None)

    def activation(self, arg: Arg) -> tuple[Fact[str] | None, Fact[str] | None]:
        value = self.literal(arg)
        if value is heads.OPAQUE or not (value is None or isinstance(value, str)):
            return None, None
        act = self.finder.kb.activation_in(value, self.layer.framework)
        return (self.fact(act.id, arg, True), None) if act else (None, self.fact(str(value), arg, False))


def _num_classes(doc: Document, keys: Keys) -> Fact[int] | None:
    """`num_classes` on the model or on the nearest mapping around it."""
    class_keys = knowledge.load().model_arguments["num_classes"]
    for depth in range(len(keys), -1, -1):
        around = keys[:depth]
        node = node_at(doc.get(*around), around)
        mapping, mapping_keys = (node.kwargs, node.kwargs_keys) if node else (doc.get(*around), around)
        if not isinstance(mapping, dict):
            continue
        for key in class_keys:
            if heads.positive_int(mapping.get(key)):
                return Fact(mapping[key], doc.at(*mapping_keys, key))
    return None


# --------------------------------------------------------------------------- entry point


def read(doc: Document, source: Source) -> list[TrainingSetup]:
    kb = knowledge.load()
    all_nodes = list(nodes(doc.data))
    matches = {n.keys: loss_match(n, kb) for n in all_nodes}
    loss_nodes = [n for n in all_nodes if matches[n.keys][0]]
    losses = [use for n in loss_nodes if (use := loss_of(n, matches[n.keys][1], doc)) is not None]
    heads = HeadFinder(doc, kb).heads([n for n in all_nodes if n not in loss_nodes])
    if len(heads) == 1 and len(loss_nodes) == 1:
        pairs = [(heads[0], losses[0] if losses else None)]
    else:
        pairs = [(h, None) for h in heads] + [(None, use) for use in losses]
    autocast = _mixed_precision(doc, all_nodes, kb)
    setups = _trained_modules(source, all_nodes, autocast) if autocast is not None else []
    for found, loss in pairs:
        framework = (loss.framework if loss else None) or (found.framework if found else None)
        setups.append(TrainingSetup(
            path=source.display, framework=framework, head=found.head if found else None, loss=loss,
            num_classes=_num_classes(doc, found.keys) if found else None, autocast=autocast if loss else None,
        ))  # fmt: skip
    return setups


MAX_PACKAGE_DEPTH = 4  # folders above the config searched for the package a `_target_` names


def _trained_modules(source: Source, all_nodes: list[Node], precision: Position) -> list[TrainingSetup]:
    """A project model class the config instantiates beside its mixed-precision Trainer
    (`model: {class_path: my_project.models.LitSegmenter}`): the losses of its training steps run
    under CUDA autocast. Only LA111 is checked on them, at the precision line: the module's other
    findings are its own file's."""
    from lossadvisor.readers.python import trained_by_a_config

    setups = []
    for node in all_nodes:
        if node.framework is not None or node.target.count(".") < 1:
            continue
        *package, class_name = node.target.split(".")
        found = _project_module(source.path.parent, package)
        if found is None:
            continue
        file, display = found, os.path.normpath(os.path.join(os.path.dirname(source.display), os.path.relpath(found, source.path.parent)))
        for trained in trained_by_a_config(file, display, class_name, precision):
            setups.append(TrainingSetup(
                path=source.display, framework=trained.framework, head=trained.head, loss=trained.loss,
                applied_at=trained.applied_at, autocast=precision, only=("LA111",),
            ))  # fmt: skip
    return setups


def _project_module(config_dir: Path, package: list[str]) -> Path | None:
    """`src/models/mnist_module.py` for `src.models.mnist_module`, in the config's folder or one of
    the few above it (Hydra keeps configs in `configs/`, the code beside it)."""
    if not package or not all(part.isidentifier() for part in package):
        return None
    root = config_dir
    for _ in range(MAX_PACKAGE_DEPTH + 1):
        for candidate in (root.joinpath(*package).with_suffix(".py"), root.joinpath(*package, "__init__.py")):
            if candidate.is_file():
                return candidate
        if root.parent == root:
            break
        root = root.parent
    return None


def _mixed_precision(doc: Document, all_nodes: list[Node], kb: knowledge.Knowledge) -> Position | None:
    """Where the file's Trainer asks for CUDA mixed precision (`precision: 16-mixed`), under which
    the losses it trains run: a Hydra `_target_` Trainer, or LightningCLI's `trainer:` mapping."""
    for node in all_nodes:
        if (argument := kb.vocabulary.asks_for_autocast(node.api, node.kwargs)) is not None:
            return doc.at(*node.kwargs_keys, argument)
    if isinstance(doc.data, dict) and (found := kb.vocabulary.mixed_precision_config(doc.data)) is not None:
        return doc.at(*found)
    return None
