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
exactly one of each; otherwise each is checked on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from lossadvisor import knowledge
from lossadvisor.facts import Fact, Head, LossUse, TrainingSetup
from lossadvisor.readers import Source
from lossadvisor.readers.document import Document

Keys = tuple[Any, ...]

# Framework of a target, by module prefix (longest first).
FRAMEWORK_PREFIXES = (
    ("tensorflow.keras.", "tf_keras"), ("tf.keras.", "tf_keras"), ("tf_keras.", "tf_keras"),
    ("keras.", "keras"), ("torch.", "pytorch"), ("optax.", "jax"), ("flax.", "jax"), ("jax.", "jax"),
)  # fmt: skip
# Modules where every name is a loss (so an unknown name is a misspelt loss, LA002).
LOSS_MODULES = (
    "torch.nn.modules.loss.", "keras.losses.", "keras.src.losses.", "tf.keras.losses.",
    "tensorflow.keras.losses.", "tf_keras.losses.", "optax.losses.",
)  # fmt: skip
# Sequential containers, and modules that hand their input on unchanged.
SEQUENTIAL = frozenset({"torch.nn.Sequential", "torch.nn.modules.container.Sequential"})
TORCH_PASS_THROUGH = frozenset({"Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"})
# Linear layers and where their output size is: keyword, position in `_args_`.
TORCH_LINEAR = {"Linear": ("out_features", 1), "LazyLinear": ("out_features", 0)}
# Keys on a model's arguments that name its output activation / its output size.
OUTPUT_ACTIVATION_KEYS = ("output_activation", "final_activation", "out_activation", "last_activation", "head_activation")
OUTPUT_UNITS_KEYS = ("out_features", "output_dim", "out_dim", "output_size", "num_outputs")
CLASS_KEYS = ("num_classes", "n_classes")


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
    def framework(self) -> str | None:
        return next((fw for prefix, fw in FRAMEWORK_PREFIXES if self.target.startswith(prefix)), None)


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


def claims(doc: Document) -> bool:
    return next(nodes(doc.data), None) is not None


# --------------------------------------------------------------------------- losses


def loss_match(node: Node, kb: knowledge.Knowledge) -> tuple[bool, knowledge.LossMatch | None]:
    """Whether a node instantiates a loss, and the loss the knowledge base knows it as."""
    framework = node.framework
    if framework is None:
        return False, None
    match = kb.find_loss(node.bare, framework)
    if match is not None and match.framework not in _family(framework):
        match = None  # e.g. torch.nn.functional.cosine_similarity is not Keras' cosine_similarity loss
    in_loss_module = node.target.startswith(LOSS_MODULES) or (node.target.startswith("torch.nn.") and node.bare.endswith("Loss"))
    return match is not None or in_loss_module, match


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


def _family(framework: str) -> tuple[str, ...]:
    return next((fws for fws in knowledge.FRAMEWORK_FAMILIES.values() if framework in fws), (framework,))


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
        inside_sequential: set[Keys] = set()
        for node in all_nodes:
            if any(node.keys[: len(k)] == k for k in inside_sequential):
                continue  # a layer of a net already read
            if node.target in SEQUENTIAL:
                inside_sequential.add(node.keys)
                head = self.sequential_head(node)
            else:
                head = self.declared_head(node)
            if head is not None and (head.activation or head.units):
                found.append(FoundHead(head, node.keys, node.framework if node.target in SEQUENTIAL else None))
        return found

    def sequential_head(self, node: Node) -> Head:
        """Walk the layers back from the end: pass-through modules, then the activation module
        nearest the end, then the Linear that sets the units."""
        activation: Fact[str] | None = None
        units: Fact[int] | None = None
        context = _context(node.keys)
        for layer in self._layers_backwards(node):
            if layer is None:
                break  # interpolated or not an object: unknown from here on
            if layer.bare in TORCH_PASS_THROUGH:
                continue
            if layer.bare in TORCH_LINEAR:
                units = self._linear_units(layer)
                break
            act = self._torch_activation(layer.bare)
            if act is None:
                break  # a module we do not model (conv, norm, user code): its output is unknown
            if activation is None:
                activation = Fact(act.id, self.doc.at(*layer.keys, layer.target_key), context)
                if act.output in ("distribution", "log_distribution") and layer.kwargs.get("dim", -1) not in (-1, 1, None):
                    break  # a softmax over another dim: the Linear's units are not its classes
        return Head(units=units, activation=activation)

    def _layers_backwards(self, node: Node) -> Iterator[Node | None]:
        for i in range(len(node.positional) - 1, -1, -1):
            layer = node_at(node.positional[i], (*node.keys, "_args_", i))
            if layer is not None and layer.target in SEQUENTIAL:
                yield from self._layers_backwards(layer)
                return  # a nested net's first layer is this one's input: nothing further is ours to read
            yield layer

    def _linear_units(self, layer: Node) -> Fact[int] | None:
        key, position = TORCH_LINEAR[layer.bare]
        if key in layer.kwargs:
            value, at = layer.kwargs[key], self.doc.at(*layer.kwargs_keys, key)
        elif position < len(layer.positional):
            value, at = layer.positional[position], self.doc.at(*layer.keys, "_args_", position)
        else:
            return None
        return Fact(value, at) if _positive_int(value) else None

    def _torch_activation(self, name: str) -> knowledge.Activation | None:
        act = self.kb.find_activation(name, "pytorch")
        return act if act is not None and name in act.names.get("pytorch", ()) and act.id != "linear" else None

    def declared_head(self, node: Node) -> Head | None:
        """A model whose arguments name its output activation (and maybe its output size)."""
        key = next((k for k in OUTPUT_ACTIVATION_KEYS if k in node.kwargs), None)
        if key is None:
            return None
        value = node.kwargs[key]
        if (inner := node_at(value, (*node.kwargs_keys, key))) is not None:
            value = inner.bare
        activation = None
        if isinstance(value, str) and not unknown(value):  # null: the model's default, whatever it is
            act = self.kb.find_activation(value.rsplit(".", 1)[-1])
            if act is not None:
                activation = Fact(act.id, self.doc.at(*node.kwargs_keys, key), _context(node.keys))
        units = None
        for units_key in OUTPUT_UNITS_KEYS:
            if _positive_int(node.kwargs.get(units_key)):
                units = Fact(node.kwargs[units_key], self.doc.at(*node.kwargs_keys, units_key))
                break
        return Head(units=units, activation=activation)


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _num_classes(doc: Document, keys: Keys) -> Fact[int] | None:
    """`num_classes` on the model or on the nearest mapping around it."""
    for depth in range(len(keys), -1, -1):
        around = keys[:depth]
        node = node_at(doc.get(*around), around)
        mapping, mapping_keys = (node.kwargs, node.kwargs_keys) if node else (doc.get(*around), around)
        if not isinstance(mapping, dict):
            continue
        for key in CLASS_KEYS:
            if _positive_int(mapping.get(key)):
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
    setups = []
    for found, loss in pairs:
        framework = (loss.framework if loss else None) or (found.framework if found else None)
        setups.append(TrainingSetup(
            path=source.display, framework=framework, head=found.head if found else None, loss=loss,
            num_classes=_num_classes(doc, found.keys) if found else None,
        ))  # fmt: skip
    return setups
