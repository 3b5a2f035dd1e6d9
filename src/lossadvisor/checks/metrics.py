"""LA6xx: metrics that report something else than they seem to (rules/metrics.yaml says what each
reads). Training is unaffected, so these are warnings; the finding sits on the metric, the line a
fix changes, and names the loss or head that makes it wrong."""

from __future__ import annotations

from collections.abc import Iterator

from lossadvisor.checks import Hit, rule
from lossadvisor.checks.context import Context
from lossadvisor.facts import MetricUse

REAL_VALUED = {"continuous", "nonnegative", "counts"}  # targets an accuracy never matches


@rule("LA601")
def metric_reads_logits(c: Context) -> Iterator[Hit]:
    """A metric that thresholds probabilities (accuracy on one unit, BinaryAccuracy, AUC, Precision,
    Recall) on an output that is logits, without the arguments that make it read logits."""
    if not c.setup.metrics or not _outputs_logits(c):
        return
    for metric in c.setup.metrics:
        spec = c.kb.metric(metric.id, c.framework) if metric.id else {}
        if spec.get("one_unit"):  # 'accuracy': what it becomes depends on the output's size
            if c.units != 1:
                continue
            resolved = spec["one_unit"]
            spec = c.kb.metric(resolved, c.framework)
            fix = _with_args(resolved, spec.get("on_logits") or {})
        elif spec.get("reads") == "probabilities" and spec.get("instead"):
            fix = spec["instead"]  # not an object with arguments: a comparison written in the code
        elif spec.get("reads") == "probabilities" and spec.get("on_logits"):
            wanted = spec["on_logits"]
            if all(name in metric.args and metric.args[name].value == value for name, value in wanted.items()):
                continue
            if any(name in metric.args and not _literal(metric.args[name].value) for name in wanted):
                continue  # passed, value unknown
            fix = _with_args(metric.id, {**{k: f.value for k, f in metric.args.items()}, **wanted})
        else:
            continue
        yield Hit("LA601", metric.written.at, {"metric": _shown(metric), "why": _why_logits(c), "fix": fix}, also=c.activation_at or c.loss_place)


@rule("LA602")
def accuracy_on_regression(c: Context) -> Iterator[Hit]:
    """An accuracy (counts predicted classes equal to the target) on a regression setup: real-valued
    targets are never equal to a predicted class, so it reads about 0 whatever the model does."""
    if not c.setup.metrics or not _real_valued_targets(c):
        return
    for metric in c.setup.metrics:
        spec = c.kb.metric(metric.id, c.framework) if metric.id else {}
        if spec.get("counts") == "classes":
            yield Hit("LA602", metric.written.at, {"metric": _shown(metric), "why": _why_regression(c)}, also=c.task_at or c.labels_declared_at or c.loss_place)


@rule("LA603")
def per_output_accuracy_on_exclusive_classes(c: Context) -> Iterator[Hit]:
    """Binary accuracy on a softmax over several classes: each of the C outputs is scored as its
    own yes/no answer, so the C-1 right zeros of every sample make it start near (C-1)/C."""
    if not c.setup.metrics or c.activation is None or c.activation.output != "distribution":
        return
    if not (c.units and c.units > 1):
        return
    for metric in c.setup.metrics:
        spec = c.kb.metric(metric.id, c.framework) if metric.id else {}
        if spec.get("per_output"):
            yield Hit("LA603", metric.written.at, {
                "metric": _shown(metric), "units": c.units, "where": c.activation_where, "floor": f"{(c.units - 1) / c.units:.0%}",
            }, also=c.activation_at)  # fmt: skip


def _outputs_logits(c: Context) -> bool:
    """The model's outputs are classification logits: a classification loss (a regression head has
    no activation either, and its outputs are values) with a head that has no activation, or,
    where the head is not seen, a loss told it gets logits (from_logits=True)."""
    if c.classification_link is None:
        return False
    if c.activation is not None:
        return c.activation.output == "logits"
    head = c.setup.head
    if head is not None and head.activation_written is not None:
        return False  # an activation we do not know
    return c.expected_input == "logits"


def _why_logits(c: Context) -> str:
    if c.activation is not None and c.setup.head is not None and c.setup.head.activation is not None:
        return f"no activation, {c.activation_where}"
    return f"the loss `{c.loss_call()}` takes logits" + (f", line {c.loss_at.line}" if c.loss_at.line else "")


def _real_valued_targets(c: Context) -> bool:
    """Targets are real values: a regression task, or labels seen to be real-valued."""
    if c.task is not None:
        return c.task.raw.get("labels") in REAL_VALUED
    if c.label_format is not None:
        return c.label_format in REAL_VALUED
    # Only what the setup declares or the labels show: MSE on 0/1 targets is a linear classifier
    # (or, on a sigmoid, the Brier score), whose accuracy means something, so the loss says nothing.
    return False


def _why_regression(c: Context) -> str:
    if c.task is not None:
        return f"the task is {c.task.id}"
    if c.label_format is not None:
        return f"the labels are {c.label_format.replace('_', ' ')} values"
    return "the targets are real values"


def _shown(metric: MetricUse) -> str:
    if not metric.args:
        return metric.written.value
    return f"{metric.written.value}({', '.join(f'{k}={f.value!r}' for k, f in metric.args.items())})"


def _with_args(name: str, args: dict) -> str:
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in args.items())})"


def _literal(value: object) -> bool:
    return isinstance(value, (bool, int, float, str, type(None)))
