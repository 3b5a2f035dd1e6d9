"""LA3xx: the labels vs the loss (and vs the head's output range).

Label facts come from a config's `labels:` section or from profiling a label file; which formats a
loss accepts comes from losses.yaml (`targets`), and which formats a label format also satisfies
(binary 0/1 labels are also class ids, also values in [0, 1], …) from labels.yaml (`also`).
LA309 reports any label format the loss does not accept; the specific rules, which also say what
to do, supersede it on the same setup.
"""

from __future__ import annotations

from collections.abc import Iterator

from lossadvisor.checks import Hit, rule
from lossadvisor.checks.context import Context

INTEGER_FORMATS = {"binary", "class_ids"}


def _base(c: Context) -> dict[str, str]:
    return {"loss": c.loss_call(), "labels": c.labels_described()}


def _class_count(c: Context) -> int | None:
    labels = c.setup.labels
    if labels and labels.num_classes:
        return labels.num_classes
    return c.declared_classes or (c.units if c.units and c.units > 1 else None)


def _multiclass_ids(c: Context) -> bool:
    count = _class_count(c)
    return c.label_format == "class_ids" and count is not None and count > 2


@rule("LA301")
def class_ids_to_binary_loss(c: Context) -> Iterator[Hit]:
    """The classic: integer multi-class ids into binary crossentropy. Trains, learns nothing useful."""
    if c.loss and c.classification_link == "sigmoid" and _multiclass_ids(c):
        yield Hit("LA301", c.labels_at, {**_base(c), "classes": _class_count(c), "instead": c.recommended_loss("multiclass")}, also=c.labels_declared_at)


@rule("LA302")
def class_ids_to_one_hot_loss(c: Context) -> Iterator[Hit]:
    targets = c.accepted_targets
    if c.loss and c.label_format in INTEGER_FORMATS and "one_hot" in targets and "class_ids" not in targets:
        sparse = c.sparse_form()
        one_hot = f"one-hot encode the labels ({c.one_hot_code()})"
        remedy = f"use the sparse form `{sparse}` (same arguments) or {one_hot}" if sparse else one_hot
        yield Hit("LA302", c.labels_at, {**_base(c), "remedy": remedy}, also=c.labels_declared_at)


@rule("LA303")
def one_hot_to_sparse_loss(c: Context) -> Iterator[Hit]:
    targets = c.accepted_targets
    if c.loss and c.label_format == "one_hot" and "class_ids" in targets and not {"one_hot", "distribution"} & set(targets):
        yield Hit("LA303", c.labels_at, _base(c), also=c.labels_declared_at)


@rule("LA304")
def multi_hot_to_single_label_loss(c: Context) -> Iterator[Hit]:
    if c.label_format != "multi_hot" or not c.loss:
        return
    softmax_head = c.activation is not None and c.activation.output in {"distribution", "log_distribution"}
    if c.classification_link == "softmax" or softmax_head:
        yield Hit("LA304", c.labels_at, _base(c), also=c.labels_declared_at)


@rule("LA305")
def continuous_to_classification_loss(c: Context) -> Iterator[Hit]:
    if c.loss and c.classification_link and c.label_format in {"continuous", "nonnegative"} and not _lowest_is_ignored(c):
        yield Hit("LA305", c.labels_at, _base(c), also=c.labels_declared_at)


def _lowest_is_ignored(c: Context) -> bool:
    """[-1, 2] with ignore_class=-1: ids with an ignore label, which a profile of two values reads as
    integers from -1 (it tells an ignore label by how often it occurs)."""
    labels = c.setup.labels
    return labels is not None and labels.minimum is not None and labels.minimum < 0 and labels.minimum in _ignored_by_the_loss(c)


def _ignore_params(c: Context) -> list:
    """This loss's parameters that name a label to ignore, in this framework (ignore_index, ignore_class)."""
    return [p for p in c.params if p.ignores_label]


def _ignored_by_the_loss(c: Context) -> set:
    """The label values this loss is told (or defaults) to ignore: ignore_index=-100, ignore_class=-1."""
    return {c.loss_args.get(p.name, p.default) for p in _ignore_params(c)}


@rule("LA306")
def class_ids_to_regression_loss(c: Context) -> Iterator[Hit]:
    """Ids as ordered numbers: fine when the user says the task is ordinal, counts or regression.
    Whole numbers profiled from a label file look the same as integer regression targets (ages,
    ratings): they count as class ids here only when the config also declares `num_classes`. A
    source that gives class ids (MNIST's digits, a LabelEncoder) says so itself."""
    if not c.loss or c.classification_link or not _multiclass_ids(c):
        return
    if c.setup.labels.inferred and not c.declared_classes:
        return
    if c.task and c.task.id not in {"multiclass", "segmentation"}:
        return
    if "regression" in c.loss.tasks:
        yield Hit("LA306", c.labels_at, {**_base(c), "classes": _class_count(c)}, also=c.labels_declared_at)


ENOUGH_ROWS = 30  # one-hot read from the values says "one class per sample" only over this many rows


def _one_class_per_sample(c: Context) -> bool:
    """One-hot labels from a source that makes them (to_categorical), or read from enough rows: a few
    rows with one 1 each may be multi-label rows that happen to hold one."""
    labels = c.setup.labels
    return labels is not None and (not labels.inferred or (labels.samples or 0) >= ENOUGH_ROWS)


@rule("LA316")
def regression_loss_on_a_classifier(c: Context) -> Iterator[Hit]:
    """MSE / MAE / Huber on a classifier: a softmax over several outputs, or one-hot labels. Against
    a teacher's output (distillation) the squared error is the method, not a mistake."""
    if not c.loss or c.classification_link or "regression" not in c.loss.tasks or c.expected_input != "real":
        return
    if c.task or (c.setup.target is not None and c.setup.target.activation is not None):
        return  # a declared task has LA401 / LA504; a model's output as the target is distillation
    instead = c.recommended_loss("multiclass")
    if c.label_format == "one_hot" and _one_class_per_sample(c):
        what, at = c.labels_described(), c.labels_declared_at
        advice = f"squared or absolute error on class probabilities learns slowly once the outputs saturate; use {instead}"
    elif c.activation is not None and c.activation.output == "distribution" and c.units and c.units > 1:
        what, at = f"the output is a softmax over {c.units} classes ({c.activation_where})", c.activation_at
        advice = f"if the targets are classes, use {instead}; if they are real values, drop the softmax, whose outputs must sum to 1"
    else:
        return
    yield Hit("LA316", c.loss_at, {"loss": c.loss_call(), "what": what, "advice": advice}, also=at)


@rule("LA317")
def independent_outputs_for_one_class_per_sample(c: Context) -> Iterator[Hit]:
    """Binary crossentropy over several outputs, each its own yes/no, where the labels are one-hot
    rows: one class per sample, which a softmax over the outputs models."""
    if not c.loss or c.classification_link != "sigmoid" or c.label_format != "one_hot":
        return
    if not _one_class_per_sample(c):
        return
    classes = c.units if c.units and c.units > 1 else _class_count(c)
    if not classes or classes < 3:
        return  # two one-hot columns with two sigmoid units train the same yes/no twice: LA3xx says nothing
    yield Hit("LA317", c.labels_at, {**_base(c), "classes": classes, "instead": c.recommended_loss("multiclass")}, also=c.labels_declared_at)


@rule("LA307")
def signed_labels_to_bce(c: Context) -> Iterator[Hit]:
    if c.loss and c.label_format == "signed_binary" and c.classification_link == "sigmoid":
        yield Hit("LA307", c.labels_at, _base(c), also=c.labels_declared_at)


@rule("LA308")
def binary_labels_to_margin_loss(c: Context) -> Iterator[Hit]:
    targets = c.accepted_targets
    if c.loss and c.label_format == "binary" and "signed_binary" in targets and "binary" not in targets:
        yield Hit("LA308", c.labels_at, _base(c), also=c.labels_declared_at)


@rule("LA309")
def labels_not_accepted(c: Context) -> Iterator[Hit]:
    if not c.loss or not c.label_format or not c.accepted_targets:
        return
    if c.label_formats & set(c.accepted_targets) or _lowest_is_ignored(c):
        return
    # The specific LA30x rules supersede this one (rules/checks/): they say what to do instead.
    accepted = ", ".join(c.kb.label_formats[t].title.lower() for t in c.accepted_targets if t in c.kb.label_formats)
    yield Hit("LA309", c.labels_at, {**_base(c), "accepted": accepted}, also=c.labels_declared_at)


@rule("LA310")
def class_id_out_of_range(c: Context) -> Iterator[Hit]:
    """Ids ≥ the number of output units (or classes), negative ids, and 1-based ids."""
    labels = c.setup.labels
    if not labels or labels.maximum is None or c.label_format not in INTEGER_FORMATS:
        return
    if c.classification_link != "softmax":
        return
    low = labels.minimum
    if low is not None and low < 0 and low not in labels.ignore_values and low not in _ignored_by_the_loss(c):
        problem = f"ids go down to {int(low)}, below 0"
        params = _ignore_params(c)
        skip = f"pass {params[0].name}={int(low)}" if params else "mask those samples out (this loss has no ignore argument)"
        hint = f"if {int(low)} marks samples to skip, {skip}; else shift the ids to start at 0"
        yield Hit("LA310", c.labels_at, {**_base(c), "problem": problem, "hint": hint}, also=c.labels_declared_at)
        return
    limit = c.units if c.units and c.units > 1 else c.declared_classes
    if not limit:
        return
    top = int(labels.maximum)
    if top >= limit:
        one_based = labels.minimum == 1 and top == limit
        if one_based:
            hint = "they look 1-based: subtract 1"
        elif top >= 128 and (top >= 4 * limit or bool(labels.num_classes and labels.num_classes <= limit)):
            # up to 128..255 for a few dozen classes, or a few values spread far apart: pixel values, not ids
            hint = "they look like mask colours (0..255), not class ids: map each colour to its class id"
        else:
            hint = f"use {top + 1} output units or remap the ids"
        problem = f"the largest id is {top} and the output has only {limit} classes"
        yield Hit("LA310", c.labels_at, {**_base(c), "problem": problem, "hint": hint}, also=c.labels_declared_at)


@rule("LA311")
def unhandled_ignore_label(c: Context) -> Iterator[Hit]:
    """-1 / 255 / -100 'ignore' labels that the loss is not told to ignore."""
    labels = c.setup.labels
    if not labels or not labels.ignore_values or not c.loss:
        return
    ignore_params = _ignore_params(c)
    ignored = _ignored_by_the_loss(c)
    missing = [v for v in labels.ignore_values if v not in ignored]
    if not missing:
        return
    if ignore_params:
        fix = f"pass {ignore_params[0].name}={missing[0]}"
    else:
        fix = "this loss has no ignore parameter: mask those positions out (sample weights) before the loss"
    values = ", ".join(str(v) for v in missing)
    contain = "`ignore_values` declares" if labels.ignore_declared else "they contain"  # seen in the labels, or only declared
    yield Hit("LA311", c.labels_at, {**_base(c), "values": values, "fix": fix, "contain": contain}, also=c.labels_declared_at)


# Label formats that index classes: a loss taking them reads ids, not values an output must reach.
INDEX_FORMATS = {"class_ids", "one_hot", "multi_hot"}


@rule("LA312")
def targets_outside_output_range(c: Context) -> Iterator[Hit]:
    """A sigmoid/tanh/relu head asked to produce targets it cannot reach."""
    labels = c.setup.labels
    if not labels or labels.minimum is None or labels.maximum is None or not c.activation:
        return
    if c.activation.output in {"logits", "log_distribution", "log_probabilities"} or (c.loss and c.classification_link):
        return  # classification losses compare labels with probabilities, not with raw outputs
    if c.loss and INDEX_FORMATS & set(c.accepted_targets):
        return  # a loss that takes class ids (smp's FocalLoss(mode="multiclass")) does not compare them with outputs
    lo, hi = c.activation.range
    if labels.minimum < lo or labels.maximum > hi:
        from lossadvisor.checks.prediction import _range

        yield Hit("LA312", c.setup.head.activation.at, {
            "activation": c.activation.id, "where": c.activation_where, "range": _range((lo, hi)),
            "low": f"{labels.minimum:g}", "high": f"{labels.maximum:g}",
            "origin": f"in {labels.source}" if labels.source else "as declared in `labels.range`",
        }, also=c.labels_declared_at)  # fmt: skip


@rule("LA313")
def non_finite_labels(c: Context) -> Iterator[Hit]:
    labels = c.setup.labels
    if labels and labels.nan_count:
        yield Hit("LA313", c.labels_at, {"count": labels.nan_count, "source": labels.source or "the labels"})


@rule("LA314")
def class_weight_on_multi_hot(c: Context) -> Iterator[Hit]:
    """Keras fit(class_weight=...) on multi-label targets: each sample gets the weight of the argmax
    of its row, the first positive tag (or class 0 for a row with none)."""
    weighted = c.setup.class_weight
    if weighted is None:
        return
    if c.label_format == "multi_hot":
        why = c.labels_described()
    elif c.task is not None and c.task.id == "multilabel":
        why = "the task is multilabel"
    elif c.classification_link == "sigmoid" and c.units is not None and c.units > 1:
        why = f"`{c.loss_call()}` on {c.units} outputs trains {c.units} independent tags"
    else:
        return
    yield Hit("LA314", weighted.at, {"why": why})


@rule("LA315")
def target_dtype_refused(c: Context) -> Iterator[Hit]:
    """A target dtype the loss refuses, where the code shows it: float class ids into
    CrossEntropyLoss, `.long()` targets into BCEWithLogitsLoss (losses.yaml `target_dtype`)."""
    labels = c.setup.labels
    if not c.loss or labels is None or labels.dtype is None or not c.label_format:
        return
    by_format = c.for_framework(c.loss.target_dtype) or {}
    wanted = next((dtypes for fmt, dtypes in by_format.items() if fmt == "any" or fmt in c.label_formats), None)
    dtype = labels.dtype.value
    if wanted is None or dtype in wanted:
        return
    tables = c.kb.vocabulary.frameworks[c.framework].dtypes if c.framework in c.kb.vocabulary.frameworks else {}
    words, convert = tables.get("words", {}), tables.get("convert", {})
    yield Hit("LA315", c.setup.applied_at or c.labels_at, {  # where this target meets the loss
        **_base(c), "dtype": words.get(dtype, dtype), "wanted": " or ".join(words.get(d, d) for d in wanted),
        "how": labels.dtype.context or "in the code",
        "fix": convert.get(wanted[0], wanted[0]),
    }, also=labels.dtype.at)  # fmt: skip
