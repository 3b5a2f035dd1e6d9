"""What the checks look at: one setup, with what the knowledge base says about its loss, head and
labels worked out once (the prediction form the loss expects given its spelling and arguments, the
label formats it accepts, what the activation outputs)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from lossadvisor.facts import Position, TrainingSetup
from lossadvisor.knowledge import Activation, Knowledge, Loss, Param, Task, python_literal, spell_loss


class Context:
    def __init__(self, setup: TrainingSetup, kb: Knowledge):
        self.setup = setup
        self.kb = kb

    # -- the loss
    @cached_property
    def loss(self) -> Loss | None:
        use = self.setup.loss
        return self.kb.losses.get(use.id) if use and use.id else None

    @cached_property
    def framework(self) -> str | None:
        use = self.setup.loss
        return (use.framework if use else None) or self.setup.framework

    @cached_property
    def params(self) -> list[Param]:
        """The loss's parameters that exist in this setup's framework (losses.yaml `frameworks`)."""
        return [p for p in self.loss.params.values() if not p.frameworks or self.framework in p.frameworks] if self.loss else []

    @cached_property
    def loss_args(self) -> dict[str, Any]:
        use = self.setup.loss
        return {k: f.value for k, f in use.args.items()} if use else {}

    @cached_property
    def spelling(self) -> str | None:
        use = self.setup.loss
        if use is None:
            return None
        return use.spelling or use.written.value.rsplit(".", 1)[-1]

    @cached_property
    def expected_input(self) -> str | None:
        if not self.loss:
            return None
        return self.kb.expected_input(self.loss.id, self.framework, self.spelling, self.loss_args)

    @cached_property
    def accepted_targets(self) -> tuple[str, ...]:
        if not self.loss:
            return ()
        return self.kb.accepted_targets(self.loss.id, self.framework, self.spelling, self.loss_args)

    @property
    def loss_at(self) -> Position:
        assert self.setup.loss is not None
        return self.setup.loss.written.at

    @property
    def loss_written(self) -> str:
        assert self.setup.loss is not None
        return self.setup.loss.written.value

    def loss_call(self) -> str:
        """The loss as the user wrote it, with the arguments that matter: `BinaryCrossentropy(from_logits=True)`."""
        shown = {k: v for k, v in self.loss_args.items() if self.loss and k in self.loss.params}
        if not shown:
            return self.loss_written
        return f"{self.loss_written}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    def logits_form(self, stabler: bool = False) -> str | None:
        """How this loss takes logits (Knowledge.logits_form)."""
        assert self.loss is not None
        return self.kb.logits_form(self.loss.id, self.framework, self.spelling, stabler)

    def sparse_form(self) -> str | None:
        """The same loss on integer class ids, spelled in this framework with the same input form
        and naming style (categorical_crossentropy -> sparse_categorical_crossentropy, optax
        softmax_cross_entropy -> softmax_cross_entropy_with_integer_labels); None when there is none."""
        sparse = self.kb.losses.get(self.loss.sparse_form or "") if self.loss else None
        if sparse is None:
            return None
        form = self.expected_input
        class_style = (self.spelling or "")[:1].isupper()
        for framework in self.kb.vocabulary.lookup_order(self.framework)[:2]:  # its own, then what it inherits
            candidates = [s for s in sparse.spellings(framework) if not s.strings_only and (s.input or sparse.input) in (form, None)]
            candidates += [s for s in sparse.spellings(framework) if not s.strings_only and s not in candidates]
            candidates.sort(key=lambda s: s.name[:1].isupper() != class_style)
            if candidates:
                return candidates[0].name
        return None

    def for_framework(self, per_framework: dict[str, Any]) -> Any:
        """This setup's value in a per-framework table of losses.yaml (class_axis, mismatched_shapes):
        its framework's, else the one it inherits or its family's; None when none is listed."""
        return next((per_framework[f] for f in self.kb.vocabulary.lookup_order(self.framework) if f in per_framework), None)

    def axis_word(self) -> str:
        """What this framework's activations call their axis argument (dim, axis)."""
        found = self.kb.vocabulary.frameworks.get(self.framework or "")
        return found.axis_word if found else "axis"

    def one_hot_code(self) -> str:
        """This framework's code for one-hot rows (its family's, for a third-party library)."""
        frameworks = self.kb.vocabulary.frameworks
        for framework in self.kb.vocabulary.lookup_order(self.framework):
            if framework in frameworks and frameworks[framework].one_hot:
                return frameworks[framework].one_hot
        return "a one-hot encoding of y"

    @cached_property
    def classification_link(self) -> str | None:
        """'softmax' for losses over exclusive classes, 'sigmoid' for independent ones, else None."""
        link = self.loss.link if self.loss else None
        return {"softmax": "softmax", "log_softmax": "softmax", "sigmoid": "sigmoid"}.get(link or "")

    # -- the head
    @cached_property
    def activation(self) -> Activation | None:
        head = self.setup.head
        return self.kb.activations.get(head.activation.value) if head and head.activation else None

    @property
    def activation_where(self) -> str:
        head = self.setup.head
        assert head is not None and head.activation is not None
        return head.activation.where()

    # Where each half of a setup is written: a finding sits on one and names the other (`Hit.also`).
    @property
    def activation_at(self) -> Position | None:
        head = self.setup.head
        return head.activation.at if head and head.activation else None

    @property
    def units_at(self) -> Position | None:
        head = self.setup.head
        return head.units.at if head and head.units else None

    @property
    def loss_place(self) -> Position | None:
        return self.setup.loss.written.at if self.setup.loss else None

    @property
    def labels_declared_at(self) -> Position | None:
        labels = self.setup.labels
        return labels.format.at if labels and labels.format else None

    @property
    def task_at(self) -> Position | None:
        return self.setup.task.at if self.setup.task else None

    @cached_property
    def units(self) -> int | None:
        head = self.setup.head
        return head.units.value if head and head.units else None

    # -- problem type and classes
    @cached_property
    def task(self) -> Task | None:
        return self.kb.tasks.get(self.setup.task.value) if self.setup.task else None

    @cached_property
    def declared_classes(self) -> int | None:
        return self.setup.num_classes.value if self.setup.num_classes else None

    # -- labels
    @cached_property
    def label_format(self) -> str | None:
        labels = self.setup.labels
        return labels.format.value if labels and labels.format else None

    @cached_property
    def label_formats(self) -> set[str]:
        """The label format and every format its values also satisfy."""
        return self.kb.satisfied_formats(self.label_format) if self.label_format else set()

    @property
    def labels_at(self) -> Position:
        """Label findings point at the loss (that is what to change), else at the labels' declaration."""
        if self.setup.loss:
            return self.loss_at
        labels = self.setup.labels
        if labels and labels.format:
            return labels.format.at
        return Position(self.setup.path)

    def labels_described(self) -> str:
        labels = self.setup.labels
        assert labels is not None
        fmt = self.kb.label_formats.get(self.label_format or "")
        title = fmt.title.lower() if fmt else (self.label_format or "unknown")
        if labels.source:
            evidence = f": {labels.evidence}" if labels.evidence else ""
            return f"the labels in {labels.source} are {title}{evidence}"
        return f"the labels are declared as {title}"

    def recommended_loss(self, task_id: str) -> str:
        """The stable-form loss tasks.yaml recommends for this framework, as code."""
        task = self.kb.tasks.get(task_id)
        if not task:
            return "a loss for this problem type"
        found = self.kb.vocabulary.frameworks.get(self.framework or "")
        family = found.family if found else None
        choices = task.raw.get("loss") or {}
        choice = choices.get(family) if family else None
        if not choice:
            parts = [spell_loss(c) for c in choices.values() if c]
            return " / ".join(parts) or "a dedicated loss"
        return spell_loss(self._for_these_labels(choice))

    def _for_these_labels(self, choice: dict[str, Any]) -> dict[str, Any]:
        """The recommended loss in the form that takes the labels as they are: one-hot rows get the
        dense form of a loss on class ids (SparseCategoricalCrossentropy -> CategoricalCrossentropy)."""
        if self.label_format != "one_hot" or "name" not in choice:
            return choice
        match = self.kb.find_loss(choice["name"], self.framework)
        if match is None or "one_hot" in match.loss.targets:
            return choice
        dense = next((loss for loss in self.kb.losses.values() if loss.sparse_form == match.loss.id), None)
        if dense is None:
            return choice
        style = choice["name"][:1].isupper()
        names = [s.name for s in dense.spellings(match.framework) if not s.strings_only]
        names.sort(key=lambda n: n[:1].isupper() != style)
        return {**choice, "name": names[0]} if names else choice

