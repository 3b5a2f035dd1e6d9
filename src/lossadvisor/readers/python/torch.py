"""PyTorch beyond its layers (which `layers` reads): model zoos whose classifiers end in a Linear
layer, heads replaced by fine-tuning, trainers that apply the loss themselves, and
`nn.Sequential.append`.

    model = torchvision.models.resnet18(num_classes=10)     logits; `model.fc = …` replaces the head
    model.classifier[6] = nn.Linear(4096, 10)               still logits
    AutoModelForSequenceClassification.from_pretrained(…, num_labels=3)
                                                            `model(…).logits`; with labels=, its own loss
    create_supervised_trainer(model, optimizer, loss_fn)    the loss applied to the model's output
    class Net(nn.Module): def forward(...)                  an Instance, run by the interpreter

Loss objects and functions are read by `losses`; `F.softmax` & co. by `activations`.
"""

from __future__ import annotations

import ast

from typing import NamedTuple

from lossadvisor.facts import Fact, Head, Position
from lossadvisor.readers.python import activations, losses
from lossadvisor.readers.python.imports import api
from lossadvisor.readers.python.layers import activation_argument, argument_place
from lossadvisor.readers.python.values import UNKNOWN, UNKNOWN_HEAD, Const, Layer, LossFn, Module, Opaque, Record, Stack, Tensor, Value, is_count
from lossadvisor.vocabulary import Api, ModelZoo

def call(interp, api: Api, site) -> Value | None:
    """A model zoo's builder (torchvision.models.resnet18); layers are `layers.call`'s."""
    if (precisions := interp.kb.vocabulary.mixed_precision(api)) is not None:
        written = {argument: site.const(None, argument, None) for argument in precisions}
        if interp.kb.vocabulary.asks_for_autocast(api, written):
            interp.mixed_trainer = site.at  # Trainer(precision="16-mixed"): its training steps run under CUDA autocast
        return None
    if (places := interp.kb.vocabulary.trainer(api)) is not None:
        return _trainer(interp, places, site)
    zoo = interp.kb.vocabulary.model_zoo(api)
    if zoo is not None and zoo.default_activation is None:  # zoos of models that output logits
        return _zoo_model(interp, zoo, api, site)
    return None


def _trainer(interp, places: dict, site) -> Value:
    """`create_supervised_trainer(model, optimizer, loss_fn)`: the trainer applies the loss to the
    model's output on each batch, which the file never writes; read it as if it did."""
    from lossadvisor.readers.python.prediction import apply_loss, through
    from lossadvisor.readers.python.values import LossFn

    model, loss = site.value(*argument_place(places["model"])), site.value(*argument_place(places["loss"]))
    if isinstance(model, Module) and isinstance(loss, LossFn):
        output = through(interp, model, UNKNOWN, site.frame, site)
        applied = interp.empty_call(site.frame, [output, UNKNOWN])
        applied.node = site.node  # the trainer's call: where the loss meets the model's output
        # F.cross_entropy passed as loss_fn: its arguments are not the trainer's
        apply_loss(interp, LossFn(loss.use, loss.labels_first, loss.certain, False, loss.framework), applied)
    return UNKNOWN


def _zoo_model(interp, zoo: ModelZoo, api: Api, site) -> Value:
    """A model builder directly in the zoo's module (`torchvision.models.resnet18`: logits;
    `smp.Unet(classes=1, activation="sigmoid")`: masks after that activation), or a classifier
    class's builder (`AutoModelForSequenceClassification.from_pretrained`: logits)."""
    if not _builds_a_model(zoo, api):
        return UNKNOWN
    if any(site.passed(None, name) for name in zoo.tuple_when):
        return UNKNOWN  # (masks, labels)
    where = (zoo.classes.position, (zoo.classes.keyword,)) if zoo.classes else (None, ())
    classes = site.value(*where)
    if isinstance(classes, Const) and classes.value == 0:
        return UNKNOWN  # timm's num_classes=0: no head, pooled features
    units = site.fact(classes.value, site.arg_node(*where)) if is_count(classes) else None
    if classes is None and zoo.default_classes and not site.unexpanded:
        units = site.fact(zoo.default_classes)
    built = ZooBuild(zoo, api.path[-2], site.value(*argument_place(zoo.own_loss.problem_type)) if zoo.own_loss else None, site.at)
    head = Head(units=units, activation=_zoo_activation(interp, zoo, api, site), units_axis=zoo.units_axis)
    model = Opaque(head, api.framework, built if zoo.output else None)
    model.attrs["zoo"] = Const(zoo.heads, site.at)
    interp.modules.append(model)
    return model


def _builds_a_model(zoo: ModelZoo, api: Api) -> bool:
    if zoo.builder is not None:  # AutoModelForSequenceClassification.from_pretrained
        return zoo.builds(api.path)
    if len(api.path) != len(zoo.module) + 1 or api.name in zoo.excluded:
        return False
    if zoo.only:
        return api.name in zoo.only
    # weights enums, segmentation / detection models: heads we do not know
    return api.name[:1].islower() and not api.name.startswith(("get_", "list_"))


class ZooBuild(NamedTuple):
    """How a zoo built a model whose call returns an output object (transformers)."""

    zoo: ModelZoo
    model_class: str  # AutoModelForSequenceClassification
    problem_type: Value | None  # the builder's problem_type argument; None when not passed
    at: Position  # the builder's call


def model_output(interp, model: Opaque, call) -> Value:
    """`outputs = model(**batch)`: an object with the logits in `.logits` (`outputs["logits"]`,
    `outputs.get("logits")`, and `outputs[0]`, or `outputs[1]` after the loss when labels are
    passed). Called with the labels, the model computes its own loss on them."""
    built: ZooBuild = model.built
    logits = Tensor(model.fixed_head, model.framework)
    own = built.zoo.own_loss
    labels = call.value(*argument_place(own.labels)) if own is not None else None
    if labels is None and own is not None and call.unexpanded:  # model(**batch): the labels may be in it
        return Record({built.zoo.output: logits})
    if labels is not None:
        _apply_own_loss(interp, model, logits, labels, call)
    return Record({built.zoo.output: logits, 0 if labels is None else 1: logits})


def _apply_own_loss(interp, model: Opaque, logits: Tensor, labels: Value, call) -> None:
    """The loss the model picks (transformers: by problem_type, else by its units and the labels' dtype),
    applied as if the file wrote it at the builder's call, where that choice is made."""
    from lossadvisor.readers.python import labels as label_sources
    from lossadvisor.readers.python.prediction import apply_loss

    built: ZooBuild = model.built
    own = built.zoo.own_loss
    assert own is not None
    problem = _problem(own, built, model.fixed_head, label_sources.facts_of(interp, labels))
    if problem not in own.losses:
        return
    path = own.losses[problem]
    reason = f"problem_type={problem!r}" if built.problem_type is not None else _reason(own, problem, model.fixed_head)
    written = Fact(f"{built.model_class}'s own {path.rsplit('.', 1)[-1]} ({reason})", built.at)
    loss = losses.from_api(interp.kb, api(path), written)
    if loss is not None:
        loss = LossFn(loss.use._replace(written=written, spelling=path.rsplit(".", 1)[-1]), loss.labels_first, loss.certain, loss.function, loss.framework)
        applied = interp.empty_call(call.frame, [logits, labels])
        applied.node = call.node
        apply_loss(interp, loss, applied)


def _problem(own, built: ZooBuild, head: Head, labels) -> str | None:
    if built.problem_type is not None:
        return built.problem_type.value if isinstance(built.problem_type, Const) else None
    if head.units is None:
        return None  # num_labels from the checkpoint
    if head.units.value == 1:
        return own.one_unit
    dtype = labels.dtype.value if labels is not None and labels.dtype is not None else None
    if dtype is None and labels is not None and labels.format is not None and labels.format.value in ("class_ids", "binary"):
        dtype = "int64"  # class ids from a source that makes them (a dataset, an encoder, torch.tensor([0, 2]))
    kind = "float" if dtype == "float" else "int" if dtype is not None else None
    return own.by_dtype.get(kind or "")


def _reason(own, problem: str, head: Head) -> str:
    if problem == own.one_unit:
        return f"num_labels=1: {problem}"
    return f"num_labels={head.units.value if head.units else '?'} and {'float' if own.by_dtype.get('float') == problem else 'int'} labels: {problem}"


def _zoo_activation(interp, zoo: ModelZoo, api: Api, site):
    """The head's activation: linear, or what the zoo's activation argument names (unknown for a
    name that is no activation we read)."""
    linear = site.fact(activations.spelled_in(interp.kb, None, api.framework))
    if zoo.activation is None:
        return linear
    if site.value(*argument_place(zoo.activation)) is None:
        return None if site.unexpanded else linear
    return activation_argument(interp, site, zoo.activation, api.framework)[0]


def attribute_set(interp, obj: Module, name: str, value: Value, frame) -> None:
    """`model.fc = nn.Linear(512, 10)` on a torchvision model: the new layer is the head."""
    if isinstance(obj, Opaque) and name in _heads_of(obj):
        from lossadvisor.readers.python.prediction import through

        produced = through(interp, value, Tensor(UNKNOWN_HEAD), frame) if isinstance(value, Module) else UNKNOWN
        obj.fixed_head = produced.head if isinstance(produced, Tensor) else UNKNOWN_HEAD


def item_set(interp, target: ast.Subscript, value: Value, frame) -> None:
    """`model.classifier[6] = nn.Linear(4096, 10)`: torchvision classifiers end in a Linear layer, so
    replacing one keeps logits (how many units is only known when the last one is replaced)."""
    holder = target.value
    if not isinstance(holder, ast.Attribute):
        return
    model = interp.eval(holder.value, frame)
    if isinstance(model, Opaque) and holder.attr in _heads_of(model):
        keep = isinstance(value, Layer) and value.step.role == "units" and model.fixed_head.activation is not None
        model.fixed_head = Head(activation=value.step.activation) if keep else UNKNOWN_HEAD  # type: ignore[union-attr]


def _heads_of(model: Opaque) -> tuple[str, ...]:
    """The attributes that hold a zoo model's last layer (what fine-tuning replaces)."""
    heads = model.attrs.get("zoo")
    return heads.value if isinstance(heads, Const) else ()


def method(interp, obj: Value, name: str, site) -> Value | None:
    if isinstance(obj, Record) and name == "get" and isinstance(key := site.value(0), Const):  # outputs.get("logits")
        return obj.attrs.get(key.value, UNKNOWN)
    if isinstance(obj, Stack) and name in ("append", "add_module"):
        obj.layers.append(site.value(1 if name == "add_module" else 0, "module") or UNKNOWN)
        return obj if name == "append" else Const(None, site.at)
    return None
