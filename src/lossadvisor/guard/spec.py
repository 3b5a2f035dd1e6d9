"""What a wrapped loss expects, read from rules/ (losses.yaml): its prediction form, the target
formats it takes, its class axis, its ignore value. The guard keeps no table of its own: a loss is
looked up by its framework (from the module it comes from, frameworks.yaml `imports`) and its
class or function name, with the arguments it was built or called with."""

from __future__ import annotations

from typing import Any, NamedTuple

from lossadvisor import knowledge


class LossSpec(NamedTuple):
    name: str  # as the user knows it: CrossEntropyLoss, cross_entropy, CategoricalCrossentropy
    loss_id: str  # the losses.yaml entry
    framework: str  # frameworks.yaml id: pytorch, keras, jax, monai, …
    input: str  # the prediction form it expects (forms.yaml)
    link: str | None  # the activation it applies itself, or the one that makes its input
    targets: tuple[str, ...]  # label formats it takes
    class_axis: int  # the prediction's axis of classes
    batch_axis: int | None  # where it is not the first (CTC's time-major input)
    ignore: int | None  # the label value it ignores (ignore_index, ignore_class)
    ignore_argument: str | None  # the argument that sets it; None when the loss has none
    target_input: str | None  # what a target that is a distribution must be (KL)
    mismatched_shapes: str | None  # what it does with (N, 1) against (N,): broadcasts / raises
    target_dtype: dict[str, list[str]]  # label format -> the dtypes it takes (LA315)
    reduction_warning: bool  # KLDivLoss(reduction='mean') (LA502)
    target_position: int  # which positional argument is the target
    spelling: str  # the losses.yaml spelling it matched (what Knowledge.logits_form reads)
    args: dict[str, Any]  # the arguments it was built or called with


def framework_of(qualified: str) -> str | None:
    """The frameworks.yaml id of a qualified name (`torch.nn.modules.loss.CrossEntropyLoss` -> pytorch)."""
    return knowledge.load().vocabulary.api(qualified).framework


def family_of(framework: str) -> str:
    fw = knowledge.load().vocabulary.frameworks.get(framework)
    return fw.family if fw else framework


def find(name: str, framework: str, args: dict[str, Any]) -> LossSpec | None:
    """The spec of loss `name` in `framework` given its arguments, or None when rules/ does not know
    it there (a loss of the same name in another framework is not it)."""
    kb = knowledge.load()
    match = kb.find_loss(name, framework)
    if match is None:
        return None
    fw = kb.vocabulary.frameworks.get(framework)
    if match.framework not in (framework, fw.inherits if fw else None):
        return None
    loss = match.loss
    ignore, ignore_argument = None, None
    for param in loss.params.values():
        if param.ignores_label and (not param.frameworks or framework in param.frameworks):
            value = args.get(param.name, param.default)
            ignore = int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            ignore_argument = param.name
    family = family_of(framework)
    expected = kb.expected_input(loss.id, match.framework, match.spelling.name, args)
    return LossSpec(
        name=name,
        loss_id=loss.id,
        framework=framework,
        input=expected,
        link=loss.link,
        targets=kb.accepted_targets(loss.id, match.framework, match.spelling.name, args),
        class_axis=_per_framework(loss.class_axis, framework, family, -1),
        batch_axis=_per_framework(loss.batch_axis, framework, family, None),
        ignore=ignore,
        ignore_argument=ignore_argument,
        target_input=kb.expected_target(loss.id, match.framework, match.spelling.name, args),
        mismatched_shapes=_per_framework(loss.mismatched_shapes, framework, family, None),
        target_dtype=dict(_per_framework(loss.target_dtype, framework, family, {}) or {}),
        reduction_warning=_mean_kl(loss, framework, expected, args),
        target_position=loss.target_position or 1,
        spelling=match.spelling.name,
        args=dict(args),
    )  # fmt: skip


def _mean_kl(loss: knowledge.Loss, framework: str, expected: str, args: dict[str, Any]) -> bool:
    """LA502, read as checks/advice.py reads it: a KL on log-probabilities whose framework takes a
    `reduction` argument (PyTorch's KLDivLoss), left at 'mean'."""
    reduction = loss.params.get("reduction")
    if reduction is None or (reduction.frameworks and framework not in reduction.frameworks) or expected != "log_distribution":
        return False
    return args.get("reduction", reduction.default) == "mean" and "log_target" in loss.params


def _per_framework(table: dict[str, Any], framework: str, family: str, default: Any) -> Any:
    return table.get(framework, table.get(family, default))
