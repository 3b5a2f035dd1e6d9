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


@rule("LA205")
def prediction_and_target_shapes_differ(c: Context) -> Iterator[Hit]:
    """(N, 1) predictions against (N,) targets, or (N,) against (N, 1), where the code shows both
    (`Linear(h, 1)`, `view(-1)`, `squeeze(-1)`, `unsqueeze(1)`, `torch.ones(n)`), into a loss whose
    framework broadcasts them to (N, N) or refuses them (losses.yaml `mismatched_shapes`)."""
    head, target = c.setup.head, c.setup.target
    if not c.loss or head is None or target is None or {head.trailing, target.trailing} != {"one", "flat"}:
        return
    behaviour = c.for_framework(c.loss.mismatched_shapes)
    if behaviour is None:
        return
    if head.trailing == "one":
        shapes, fix = ("(N, 1)", "(N,)"), "squeeze the prediction's unit axis (`.squeeze(-1)`) or give the target one (`.view(-1, 1)`)"
    else:
        shapes, fix = ("(N,)", "(N, 1)"), "squeeze the target (`.squeeze(-1)`) or keep the prediction's unit axis"
    what = {"broadcasts": "broadcasts to (N, N), comparing every prediction with every target", "raises": "refuses with a ValueError at the first batch"}[behaviour]
    at = c.setup.applied_at or c.loss_at
    yield Hit("LA205", at, {"loss": c.loss_call(), "prediction": shapes[0], "target": shapes[1], "what": what, "fix": fix}, also=c.units_at if head.trailing == "one" else c.loss_place)


@rule("LA206")
def units_not_on_the_class_axis(c: Context) -> Iterator[Hit]:
    """Channels-last (N, H, W, C) scores into a loss that reads the classes on axis 1 (PyTorch's
    CrossEntropyLoss, NLLLoss), where the code shows where the units went (`permute(0, 2, 3, 1)`)."""
    head = c.setup.head
    if not c.loss or head is None:
        return
    wanted = c.for_framework(c.loss.class_axis)
    if wanted is None:
        return
    rank = head.rank
    if rank is None:  # units counted from the front at axis 2 or later: three axes at least
        if head.units_axis < 2:
            return
        prediction, where = "the prediction", f"axis {head.units_axis}"
    else:
        if rank < 3 or head.units_axis % rank == wanted % rank:
            return  # two axes: the last is axis 1
        units = head.units_axis % rank
        prediction, where = f"the {rank}-axis prediction", "the last axis (channels last)" if units == rank - 1 else f"axis {units}"
    fix = f"keep them on axis {wanted} (undo the permute), or flatten both to (N·H·W, C) and (N·H·W,)"
    if rank == 3 and head.batch_axis is not None and head.units_axis % 3 == 2:  # an RNN's (N, T, C) scores
        prediction, where = "the sequence prediction (N, T, C)", "the last axis"
        fix = "move them to axis 1 (`.transpose(1, 2)`), or flatten both to (N·T, C) and (N·T,)"
    yield Hit("LA206", c.setup.applied_at or c.loss_at, {
        "loss": c.loss_call(), "axis": wanted, "prediction": prediction, "where": where, "fix": fix,
    }, also=c.units_at)  # fmt: skip


@rule("LA209")
def batch_first_into_time_major_loss(c: Context) -> Iterator[Hit]:
    """A batch-first (N, T, C) output into a loss that reads the batch on axis 1 (PyTorch CTCLoss),
    where a recurrent layer fixed the batch axis and nothing the code does moved it back."""
    head = c.setup.head
    if not c.loss or head is None or head.batch_axis is None or head.rank is None:
        return
    wanted = c.for_framework(c.loss.batch_axis)
    if wanted is None or head.batch_axis.value % head.rank == wanted % head.rank:
        return
    where = f"`batch_first=True`, {head.batch_axis.where()}"
    yield Hit("LA209", c.setup.applied_at or c.loss_at, {"loss": c.loss_call(), "axis": wanted, "where": where}, also=head.batch_axis.at)


@rule("LA207")
def class_ids_with_an_extra_axis(c: Context) -> Iterator[Hit]:
    """Class ids with an axis of size 1 the loss does not take: (N, 1) against (N, C) scores,
    (N, 1, H, W) masks against (N, C, H, W), where the code gave the target that axis
    (`y.view(-1, 1)`, `masks.unsqueeze(1)`), into a loss that reads the classes on axis 1."""
    head, target = c.setup.head, c.setup.target
    if not c.loss or head is None or target is None or not (c.units and c.units > 1):
        return  # one unit is LA202's
    wanted = c.for_framework(c.loss.class_axis)
    if wanted is None:
        return
    if target.singleton_axis == wanted and head.units_axis == wanted:
        shapes = {"wanted": "(N, H, W)", "scores": "(N, C, H, W)", "given": "(N, 1, H, W)", "instead": "masks.squeeze(1).long()"}
    elif target.trailing == "one" and head.units_axis == -1 and (head.rank in (None, 2)):
        shapes = {"wanted": "(N,)", "scores": "(N, C)", "given": "(N, 1)", "instead": "y.view(-1).long()"}
    else:
        return  # a head whose classes are elsewhere says nothing of the target
    yield Hit("LA207", c.setup.applied_at or c.loss_at, {"loss": c.loss_call(), "units": c.units, **shapes}, also=c.units_at)


@rule("LA208")
def element_weight_does_not_fit_the_output(c: Context) -> Iterator[Hit]:
    """A per-element `weight` (losses.yaml `per_element`: BCELoss, BCEWithLogitsLoss) written with a
    length that broadcasts against neither one output nor the units, on an output whose last axis
    the code shows: two class weights on a one-unit head, where `pos_weight` was meant."""
    head = c.setup.head
    if not c.loss or head is None or not c.units or head.units_axis != -1:
        return
    if c.units == 1 and head.trailing != "one":
        return  # a flattened (N,) output takes per-sample weights, as long as the batch
    for param in c.params:
        name = param.name
        written = c.setup.loss.args.get(name) if param.per_element else None
        length = getattr(written.value, "length", None) if written is not None else None
        if length is None or length in (1, c.units):
            continue
        fix = (
            "for a binary output pass the positives' weight as `pos_weight=torch.tensor([w_pos / w_neg])` (one value)"
            if c.units == 1 and length == 2 else f"give `{name}` 1 or {c.units} values"
        )
        yield Hit("LA208", written.at, {
            "loss": c.loss_written, "param": name, "length": length, "units": c.units,
            "unit_word": "unit" if c.units == 1 else "units", "where": _units_at(c).describe(), "fix": fix,
        }, also=c.units_at)  # fmt: skip
