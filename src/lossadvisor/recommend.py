"""Problem type (or a label profile) → advice: last layer, activation, loss with its arguments,
label format, why, alternatives, metrics and a short snippet per framework.

Everything comes from tasks.yaml; this module only assembles it and writes the snippets from the
recommended head and loss, so a recommendation and its snippet cannot disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lossadvisor import knowledge
from lossadvisor.knowledge import Knowledge, Task

if TYPE_CHECKING:
    from lossadvisor.labels.infer import Fit, Reading

LINEAR_FORMS = frozenset({"logits", "scores", "real"})  # what a linear last layer outputs, whatever a loss calls it


class UnknownTask(ValueError):
    def __init__(self, name: str, suggestion: str, valid: list[str]):
        super().__init__(f"unknown problem type `{name}`{suggestion}")
        self.valid = valid


@dataclass(frozen=True)
class FrameworkAdvice:
    framework: str
    title: str
    head: str  # "Dense(10) (no activation: logits)"
    loss: str  # "SparseCategoricalCrossentropy(from_logits=True)"
    snippet: str
    metrics: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Advice:
    task: str
    title: str
    description: str
    units: int | str | None
    activation: str | None
    label_format: str | None
    label_example: str | None
    inference: str | None
    why: str | None
    special: str | None
    alternatives: list[dict[str, str]]
    frameworks: list[FrameworkAdvice]
    evidence: str | None = None  # when inferred from labels: what the labels showed, how sure

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_task(kb: Knowledge, name: str) -> Task:
    task = kb.find_task(name)
    if task is None:
        from lossadvisor.suggest import did_you_mean

        valid = list(kb.tasks)
        raise UnknownTask(name, did_you_mean(name, {a: t.id for t in kb.tasks.values() for a in (t.id, *t.aliases)}), valid)
    return task


def recommend(task: str, framework: str = "all", classes: int | None = None, evidence: str | None = None) -> Advice:
    """Advice for a problem type id or alias (`lossadvisor.recommend("multi-class", "pytorch", 10)`)."""
    kb = knowledge.load()
    t = find_task(kb, task)
    raw = t.raw
    head = raw.get("head") or {}
    units = _units(head.get("units"), classes)
    frameworks = kb.vocabulary.families() if framework == "all" else (_family(kb, framework),)
    label_format = kb.label_formats.get(raw.get("labels") or "")
    return Advice(
        task=t.id,
        title=t.title,
        description=raw.get("description", ""),
        units=units,
        activation=head.get("activation"),
        label_format=label_format.title if label_format else raw.get("labels"),
        label_example=label_format.example if label_format else None,
        inference=raw.get("inference"),
        why=_text(raw.get("why")),
        special=_text(raw.get("special")),
        alternatives=[{"when": str(a.get("when", "")), "use": str(a.get("use", ""))} for a in raw.get("alternatives") or []],
        frameworks=[_framework_advice(kb, t, fw, units) for fw in frameworks if _has_advice(t, fw)],
        evidence=evidence,
    )


def _family(kb: Knowledge, framework: str) -> str:
    """Advice is given per family (Keras 3 and tf.keras share one): any spelling of a framework.
    Raises suggest.UnknownFramework for a name no framework answers to."""
    from lossadvisor.suggest import find_framework

    return find_framework(kb.vocabulary, framework, also=("all",)).family


def _units(units: Any, classes: int | None) -> int | str | None:
    """tasks.yaml writes units as a number, "num_classes" or "num_classes - 1" (ordinal, K-1 logits)."""
    if not isinstance(units, str) or "num_classes" not in units:
        return units
    if classes is None:
        return units
    offset = units.replace("num_classes", "").replace(" ", "")
    return classes + int(offset) if offset else classes


def _text(value: Any) -> str | None:
    return " ".join(str(value).split()) if value else None


def _has_advice(task: Task, framework: str) -> bool:
    return bool((task.raw.get("loss") or {}).get(framework)) or not task.special


def _head_for(task: Task, framework: str) -> dict[str, Any]:
    head = dict(task.raw.get("head") or {})
    head.update((task.raw.get("head_by_framework") or {}).get(framework) or {})
    return head


def _activation_spelling(kb: Knowledge, activation: str | None, framework: str) -> str | None:
    if not activation or activation == "linear":
        return None
    act = kb.activations.get(activation)
    names = act.names.get(framework, ()) if act else ()
    return names[0] if names else activation


def _call(name: str, args: dict[str, Any]) -> str:
    return f"{name}({', '.join(f'{k}={_py(v)}' for k, v in args.items())})"


def _py(value: Any) -> str:
    return repr(value)


def _framework_advice(kb: Knowledge, task: Task, framework: str, units: int | str | None) -> FrameworkAdvice:
    head = _head_for(task, framework)
    n = units
    if isinstance(head.get("units"), int):
        n = head["units"]
    activation = head.get("activation")
    choice = (task.raw.get("loss") or {}).get(framework) or {}
    metrics = [str(m) for m in (task.raw.get("metrics") or {}).get(framework) or []]
    if "name" not in choice:
        custom = choice.get("custom") or "no built-in loss; see the alternatives"
        head_text = _head_text(kb, framework, n, activation)
        return FrameworkAdvice(framework, kb.vocabulary.frameworks[framework].title, head_text, "custom loss", str(custom).rstrip(), metrics)
    loss = _call(choice["name"], choice.get("args") or {})
    snippet = SNIPPETS[framework](kb, n if n is not None else 1, activation, choice["name"], choice.get("args") or {})
    return FrameworkAdvice(framework, kb.vocabulary.frameworks[framework].title, _head_text(kb, framework, n, activation), loss, snippet, metrics)


def _head_text(kb: Knowledge, framework: str, units: Any, activation: str | None) -> str:
    if units is None:
        return "task-specific (see the description)"
    act = _activation_spelling(kb, activation, framework)
    layer = kb.vocabulary.frameworks[framework].head_layer
    return f"{layer}({units}) + {act}" if act else f"{layer}({units}), no activation (logits)"


def _keras_snippet(kb: Knowledge, units: Any, activation: str | None, loss: str, args: dict[str, Any]) -> str:
    act = _activation_spelling(kb, activation, "keras")
    layer = f'keras.layers.Dense({units}, activation="{act}")' if act else f"keras.layers.Dense({units})"
    loss_code = f"keras.losses.{_call(loss, args)}" if loss[:1].isupper() or args else f'"{loss}"'
    return f"outputs = {layer}(x)\nmodel = keras.Model(inputs, outputs)\nmodel.compile(optimizer=\"adam\", loss={loss_code})"


def _pytorch_snippet(kb: Knowledge, units: Any, activation: str | None, loss: str, args: dict[str, Any]) -> str:
    act = _activation_spelling(kb, activation, "pytorch")
    # Softmax-like modules need their class axis, or PyTorch warns about an implicit dim.
    act_args = "dim=-1" if act in ("Softmax", "LogSoftmax") else ""
    layers = f"nn.Linear(in_features, {units})" + (f", nn.{act}({act_args})" if act else "")
    head = f"head = nn.Sequential({layers})" if act else f"head = {layers}"
    if loss[:1].isupper():
        return f"{head}\ncriterion = nn.{_call(loss, args)}\nloss = criterion(head(x), y)"
    extra = "".join(f", {k}={_py(v)}" for k, v in args.items())
    return f"{head}\nloss = F.{loss}(head(x), y{extra})"


def _jax_snippet(kb: Knowledge, units: Any, activation: str | None, loss: str, args: dict[str, Any]) -> str:
    act = _activation_spelling(kb, activation, "jax")
    out = f"jax.nn.{act}(nn.Dense({units})(x))" if act else f"nn.Dense({units})(x)"
    extra = "".join(f", {k}={_py(v)}" for k, v in args.items())
    pred = "predictions" if act else "logits"
    return f"{pred} = {out}  # flax.linen as nn\nloss = optax.losses.{loss}({pred}, labels{extra}).mean()"


SNIPPETS = {"keras": _keras_snippet, "pytorch": _pytorch_snippet, "jax": _jax_snippet}


# --------------------------------------------------------------------------- recommend --labels: labels → problem type and losses


@dataclass(frozen=True)
class Inference:
    """What `lossadvisor recommend --labels FILE` needs."""

    task: str
    classes: int | None
    evidence: str
    reading: Reading | None = field(default=None, repr=False)


def infer_task_from_file(path: Path) -> Inference:
    from lossadvisor.labels.infer import read_profile
    from lossadvisor.readers.label_file import profile_file

    reading = read_profile(profile_file(path).profile)
    first = reading.fits[0]
    return Inference(first.task, first.classes, reading.summary(), reading)


@dataclass(frozen=True)
class LossChoice:
    framework: str
    title: str  # "PyTorch"
    loss: str  # "CrossEntropyLoss(ignore_index=255)"
    note: str | None = None


def losses_for(reading: Reading, fit: Fit) -> list[LossChoice]:
    """The recommended loss per framework for this problem type, made to fit the labels: a loss
    that takes this label format, and the ignore value passed where the loss has a parameter."""
    kb = knowledge.load()
    task = kb.tasks[fit.task]
    advice = recommend(fit.task, "all", fit.classes)
    out = []
    for fw in advice.frameworks:
        choice = (task.raw.get("loss") or {}).get(fw.framework) or {}
        if "name" not in choice:
            out.append(LossChoice(fw.framework, fw.title, fw.loss, f"no built-in loss: see `lossadvisor recommend --task {fit.task}`"))
            continue
        name, args, note = choice["name"], dict(choice.get("args") or {}), None
        if not _accepts(kb, name, fw.framework, args, reading.format):
            found = _loss_taking(kb, task, fw.framework, reading.format)
            wanted = kb.label_formats.get(task.raw.get("labels") or "")
            if found:
                note = f"instead of {_call(name, args)}, which needs {wanted.title.lower() if wanted else 'other labels'}"
                name, args = found
            else:
                note = f"convert the labels to {wanted.title.lower() if wanted else 'the format it takes'} first"
        args, ignore_note = _ignore_args(kb, name, fw.framework, args, reading.ignore)
        out.append(LossChoice(fw.framework, fw.title, _call(name, args), note or ignore_note))
    return out


def _accepts(kb, name: str, framework: str, args: dict[str, Any], label_format: str) -> bool:
    match = kb.find_loss(name, framework)
    if match is None:
        return True  # not a loss we know: no second guessing
    targets = kb.accepted_targets(match.loss.id, framework, name, args)
    return not targets or bool(kb.satisfied_formats(label_format) & set(targets))


def _loss_taking(kb, task, framework: str, label_format: str) -> tuple[str, dict[str, Any]] | None:
    """The first loss in losses.yaml serving `task` that takes these labels from the task's head."""
    head = dict(task.raw.get("head") or {})
    head.update((task.raw.get("head_by_framework") or {}).get(framework) or {})
    activation = kb.activations.get(head.get("activation") or "linear")
    output = activation.output if activation else "logits"
    for loss in kb.losses.values():
        if task.id not in loss.tasks:
            continue
        for spelling in loss.spellings(framework):
            if spelling.strings_only:
                continue
            for args in _argument_choices(loss, framework):
                form = kb.expected_input(loss.id, framework, spelling.name, args)
                same_head = form == output or (form in LINEAR_FORMS and output in LINEAR_FORMS)
                if same_head and _accepts(kb, spelling.name, framework, args, label_format):
                    return spelling.name, args
    return None


def _argument_choices(loss, framework: str) -> list[dict[str, Any]]:
    """No arguments first, then each argument value that changes what the loss expects."""
    choices: list[dict[str, Any]] = [{}]
    for param in loss.params.values():
        if param.frameworks and framework not in param.frameworks:
            continue
        for value in param.when:
            choices.append({param.name: {"true": True, "false": False}.get(value, value)})
    return choices


def _ignore_args(kb, name: str, framework: str, args: dict[str, Any], ignore: tuple[tuple[int, int], ...]) -> tuple[dict[str, Any], str | None]:
    if not ignore:
        return args, None
    match = kb.find_loss(name, framework)
    params = [p for p in match.loss.params.values() if p.ignores_label and (not p.frameworks or framework in p.frameworks)] if match else []
    value = ignore[0][0]
    if not params:
        return args, f"has no ignore parameter: mask the {value} labels out"
    param = params[0]
    if args.get(param.name, param.default) == value:
        return args, None
    return {**args, param.name: value}, None
