"""LA4xx: the declared problem type vs the loss and the head that serve it (tasks.yaml says which
activations serve a task and what its targets span; losses.yaml says which tasks a loss serves)."""

from __future__ import annotations

from collections.abc import Iterator

from lossadvisor.checks import Hit, rule
from lossadvisor.checks.context import Context


@rule("LA401")
def loss_does_not_serve_task(c: Context) -> Iterator[Hit]:
    if not c.task or not c.loss or c.task.special or c.task.id in c.loss.tasks:
        return
    if c.task.id in c.loss.scoring_rule_for and (not c.activation or c.activation.output == "probabilities"):
        return  # the Brier score, or a head we cannot see: LA504's advice at most
    yield Hit("LA401", c.loss_at, {"loss": c.loss_call(), "task": c.task.id, "instead": c.recommended_loss(c.task.id)}, also=c.task_at)


@rule("LA402")
def head_does_not_serve_task(c: Context) -> Iterator[Hit]:
    if not c.task or not c.activation or c.task.special or not c.task.activations:
        return
    if c.activation.id in c.task.activations:
        return
    span = c.task.label_range
    lo, hi = c.activation.range
    if span and (lo > span[0] or hi < span[1]):
        from lossadvisor.checks.prediction import _range

        reason = f"outputs only {_range((lo, hi))}, but {c.task.id} targets span {_range(span)}"
    else:
        reason = "is not a head this problem type uses"
    allowed = ", ".join(c.task.activations)
    yield Hit("LA402", c.setup.head.activation.at, {
        "activation": c.activation.id, "where": c.activation_where, "task": c.task.id, "reason": reason, "allowed": allowed,
    }, also=c.task_at)  # fmt: skip

