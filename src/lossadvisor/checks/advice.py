"""LA5xx: setups that train, but not as well as they could (info and warnings)."""

from __future__ import annotations

from collections.abc import Iterator

from lossadvisor.checks import Hit, rule
from lossadvisor.checks.context import Context
from lossadvisor.knowledge import python_literal


@rule("LA501")
def prefer_logits_form(c: Context) -> Iterator[Hit]:
    """sigmoid + BCE / softmax + CCE train, but the fused logits form is more stable."""
    if not c.loss or not c.activation or c.expected_input not in {"probabilities", "distribution"}:
        return
    if c.activation.id != c.loss.link:
        return  # a different activation is LA102/LA105's business
    if instead := c.logits_form(stabler=True):
        yield Hit("LA501", c.loss_at, {
            "loss": c.loss_call(), "activation": c.activation.id, "where": c.activation_where, "instead": instead,
        }, also=c.activation_at)  # fmt: skip


@rule("LA502")
def kl_div_mean_reduction(c: Context) -> Iterator[Hit]:
    """PyTorch KLDivLoss(reduction='mean') divides by every element, not by the batch."""
    reduction = c.loss.params.get("reduction") if c.loss else None
    if reduction is None or (reduction.frameworks and c.framework not in reduction.frameworks) or c.expected_input != "log_distribution":
        return
    if c.loss_args.get("reduction", reduction.default) == "mean" and "log_target" in c.loss.params:
        yield Hit("LA502", c.loss_at, {"loss": c.loss_call()})


@rule("LA503")
def focal_alpha_ignored(c: Context) -> Iterator[Hit]:
    """Keras BinaryFocalCrossentropy ignores `alpha` unless apply_class_balancing=True."""
    if not c.loss or "apply_class_balancing" not in c.loss.params or "alpha" not in c.loss_args:
        return
    if not c.loss_args.get("apply_class_balancing", c.loss.params["apply_class_balancing"].default):
        yield Hit("LA503", c.loss_at, {"loss": c.loss_call()})


@rule("LA504")
def slow_scoring_rule(c: Context) -> Iterator[Hit]:
    """MSE on sigmoid probabilities for a classification task: the Brier score. Proper, but slower."""
    if not c.task or not c.loss or not c.activation or c.task.id not in c.loss.scoring_rule_for:
        return
    if c.activation.output == "probabilities":
        yield Hit("LA504", c.loss_at, {
            "loss": c.loss_call(), "activation": c.activation.id, "task": c.task.id, "instead": c.recommended_loss(c.task.id),
        })  # fmt: skip


@rule("LA505")
def advised_argument_missing(c: Context) -> Iterator[Hit]:
    """An argument worth passing whatever the data (losses.yaml `advised`): CTCLoss(zero_infinity=True)."""
    if not c.loss or c.setup.loss is None or c.setup.loss.unseen_arguments:
        return  # positional or **kwargs arguments may pass it
    for param in c.params:
        if not param.advised or param.name in c.setup.loss.args:
            continue  # passed: the user chose (a literal of another value is a choice too)
        value = param.advised["value"]
        yield Hit("LA505", c.loss_at, {"loss": c.loss_call(), "argument": f"{param.name}={python_literal(value)}", "why": param.advised["why"]})
