"""LA2xx: the number of output units vs the loss and the number of classes."""

from __future__ import annotations

from collections.abc import Iterator

from lossadvisor.checks import Hit, rule
from lossadvisor.checks.context import Context


def _units_at(c: Context):
    head = c.setup.head
    assert head is not None and head.units is not None
    return head.units.at


@rule("LA201")
def softmax_on_one_unit(c: Context) -> Iterator[Hit]:
    if c.units == 1 and c.activation and c.activation.output in {"distribution", "log_distribution"}:
        yield Hit("LA201", c.setup.head.activation.at, {"activation": c.activation.id, "where": c.activation_where}, also=c.loss_place)


@rule("LA202")
def categorical_loss_on_one_unit(c: Context) -> Iterator[Hit]:
    if c.units == 1 and c.classification_link == "softmax":
        yield Hit("LA202", c.loss_at, {"loss": c.loss_call(), "where": _units_at(c).describe()}, also=c.units_at)


@rule("LA203")
def units_do_not_match_classes(c: Context) -> Iterator[Hit]:
    """Declared number of classes vs output units, for losses with one unit per class."""
    classes = c.declared_classes
    if not classes or not c.units or c.units == 1:
        return  # a single unit is LA202's business (softmax) or the binary form (sigmoid)
    per_class = c.classification_link == "softmax" or (
        c.classification_link == "sigmoid" and (c.task is not None and c.task.id == "multilabel" or "multi_hot" == c.label_format)
    )
    if per_class and c.units != classes:
        yield Hit("LA203", _units_at(c), {"units": c.units, "classes": classes, "loss": c.loss_call() if c.loss else "the loss"}, also=c.loss_place)


@rule("LA204")
def two_sigmoid_units_for_binary_ids(c: Context) -> Iterator[Hit]:
    """Binary task, 2 units, a sigmoid loss, one integer label per sample: shapes (N, 2) vs (N,)."""
    if c.units != 2 or c.classification_link != "sigmoid":
        return
    if c.label_format in {"binary", "class_ids"}:
        yield Hit("LA204", c.loss_at, {"loss": c.loss_call(), "where": _units_at(c).describe(), "labels": c.labels_described()}, also=c.units_at)
