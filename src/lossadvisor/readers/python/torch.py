"""PyTorch beyond its layers (which `layers` reads): model zoos whose classifiers end in a Linear
layer, heads replaced by fine-tuning, and `nn.Sequential.append`.

    model = torchvision.models.resnet18(num_classes=10)     logits; `model.fc = …` replaces the head
    model.classifier[6] = nn.Linear(4096, 10)               still logits
    class Net(nn.Module): def forward(...)                  an Instance, run by the interpreter

Loss objects and functions are read by `losses`; `F.softmax` & co. by `activations`.
"""

from __future__ import annotations

import ast

from lossadvisor.facts import Head
from lossadvisor.readers.python import activations
from lossadvisor.readers.python.layers import activation_argument, argument_place
from lossadvisor.readers.python.values import UNKNOWN, UNKNOWN_HEAD, Const, Layer, Module, Opaque, Stack, Tensor, Value, is_count
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
    `smp.Unet(classes=1, activation="sigmoid")`: masks after that activation)."""
    if len(api.path) != len(zoo.module) + 1 or api.name in zoo.excluded:
        return UNKNOWN
    if zoo.only and api.name not in zoo.only:
        return UNKNOWN
    if not zoo.only and (not api.name[:1].islower() or api.name.startswith(("get_", "list_"))):
        return UNKNOWN  # weights enums, segmentation / detection models: heads we do not know
    if any(site.passed(None, name) for name in zoo.tuple_when):
        return UNKNOWN  # (masks, labels)
    where = (zoo.classes.position, (zoo.classes.keyword,)) if zoo.classes else (None, ())
    classes = site.value(*where)
    units = site.fact(classes.value, site.arg_node(*where)) if is_count(classes) else None
    if classes is None and zoo.default_classes and not site.unexpanded:
        units = site.fact(zoo.default_classes)
    model = Opaque(Head(units=units, activation=_zoo_activation(interp, zoo, api, site), units_axis=zoo.units_axis), api.framework)
    model.attrs["zoo"] = Const(zoo.heads, site.at)
    interp.modules.append(model)
    return model


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
    if isinstance(obj, Stack) and name in ("append", "add_module"):
        obj.layers.append(site.value(1 if name == "add_module" else 0, "module") or UNKNOWN)
        return obj if name == "append" else Const(None, site.at)
    return None
