"""PyTorch modules: `nn.Linear`/`nn.Conv2d` (units, no activation), activation modules, containers,
and torchvision classification models (which end in a Linear layer).

    nn.Sequential(nn.Linear(128, 10), nn.Softmax(dim=1))    a Stack ending in softmax
    class Net(nn.Module): def forward(...)                  an Instance, run by the interpreter
    model = torchvision.models.resnet18(num_classes=10)     logits; `model.fc = …` replaces the head

Loss objects and functions are read by `losses`; `F.softmax` & co. by `activations`.
"""

from __future__ import annotations

import ast

from lossadvisor.facts import Head
from lossadvisor.readers.python import activations
from lossadvisor.readers.python.imports import Api
from lossadvisor.readers.python.values import (
    UNKNOWN, UNKNOWN_HEAD, Activate, Const, Dense, Module, Opaque, PassThrough, Stack, Tensor, Value, is_count,
)  # fmt: skip

# Module -> (position, keyword) of its number of outputs. None of them has an activation.
UNITS = {
    "Linear": (1, "out_features"), "LazyLinear": (0, "out_features"), "Bilinear": (2, "out_features"),
    **{f"Conv{d}d": (1, "out_channels") for d in (1, 2, 3)},
    **{f"ConvTranspose{d}d": (1, "out_channels") for d in (1, 2, 3)},
    **{f"LazyConv{d}d": (0, "out_channels") for d in (1, 2, 3)},
    **{f"LazyConvTranspose{d}d": (0, "out_channels") for d in (1, 2, 3)},
}  # fmt: skip
PASS_THROUGH = {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "Flatten", "Unflatten", "Identity"}
# Where torchvision classification models keep their last layer (what fine-tuning replaces).
HEAD_ATTRIBUTES = ("fc", "classifier", "head", "heads")
# torchvision.models functions that are not plain classifiers returning logits.
NOT_CLASSIFIERS = {"inception_v3", "googlenet"}  # training mode returns (logits, aux_logits)


# Wrappers that return (a module that runs) the model they are given.
WRAPPERS = {("torch", "compile"), ("torch", "nn", "DataParallel"), ("torch", "nn", "parallel", "DistributedDataParallel")}


def call(interp, api: Api, site) -> Value | None:
    if api.under("torchvision", "models"):
        return _torchvision_model(interp, api, site)
    if api.path in WRAPPERS:
        wrapped = site.value(0, ("model", "module"))
        return wrapped if isinstance(wrapped, Module) else UNKNOWN
    if not api.under("torch", "nn") or api.has("functional") or not api.name[:1].isupper():
        return None
    name = api.name
    layer: Module
    if name in UNITS:
        index, keyword = UNITS[name]
        units = site.value(index, keyword)
        fact = site.fact(units.value, site.arg_node(index, keyword)) if is_count(units) else None
        layer = Dense(fact, site.fact(activations.spelled_in(interp.kb, None, "pytorch")), implicit=True)
    elif name == "Sequential":
        layer = Stack(list(site.args) + ([UNKNOWN] if site.unexpanded else []), "pytorch")
        interp.modules.append(layer)
    elif name in PASS_THROUGH:
        layer = PassThrough()
    elif act := activations.spelled_in(interp.kb, name, "pytorch"):
        layer = Activate(site.fact(act), last_axis=activations.over_last_axis(site.value(0, "dim")))
    else:
        return UNKNOWN
    layer.framework = "pytorch"
    return layer


def _torchvision_model(interp, api: Api, site) -> Value | None:
    if len(api.path) != 3 or not api.name[:1].islower() or api.name.startswith(("get_", "list_")) or api.name in NOT_CLASSIFIERS:
        return UNKNOWN  # weights enums, segmentation / detection models: heads we do not know
    classes = site.value(None, "num_classes")
    units = site.fact(classes.value, site.arg_node(None, "num_classes")) if is_count(classes) else None
    linear = activations.spelled_in(interp.kb, None, "pytorch")
    model = Opaque(Head(units=units, activation=site.fact(linear)), "pytorch")
    interp.modules.append(model)
    return model


def attribute_set(interp, obj: Module, name: str, value: Value, frame) -> None:
    """`model.fc = nn.Linear(512, 10)` on a torchvision model: the new layer is the head."""
    if isinstance(obj, Opaque) and obj.framework == "pytorch" and name in HEAD_ATTRIBUTES:
        from lossadvisor.readers.python.prediction import through

        produced = through(interp, value, Tensor(UNKNOWN_HEAD), frame) if isinstance(value, Module) else UNKNOWN
        obj.fixed_head = produced.head if isinstance(produced, Tensor) else UNKNOWN_HEAD


def item_set(interp, target: ast.Subscript, value: Value, frame) -> None:
    """`model.classifier[6] = nn.Linear(4096, 10)`: torchvision classifiers end in a Linear layer, so
    replacing one keeps logits (how many units is only known when the last one is replaced)."""
    holder = target.value
    if not (isinstance(holder, ast.Attribute) and holder.attr in HEAD_ATTRIBUTES):
        return
    model = interp.eval(holder.value, frame)
    if isinstance(model, Opaque) and model.framework == "pytorch":
        keep = isinstance(value, Dense) and model.fixed_head.activation is not None
        model.fixed_head = Head(activation=value.activation) if keep else UNKNOWN_HEAD  # type: ignore[union-attr]


def method(interp, obj: Value, name: str, site) -> Value | None:
    if isinstance(obj, Stack) and name in ("append", "add_module"):
        obj.layers.append(site.value(1 if name == "add_module" else 0, "module") or UNKNOWN)
        return obj if name == "append" else Const(None, site.at)
    return None
