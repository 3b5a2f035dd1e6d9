"""Problem type (or a label profile) → advice: last layer, activation, loss with its arguments,
label format, why, alternatives, metrics and a short snippet per framework.

Everything comes from tasks.yaml; this module only assembles it and writes the snippets from the
recommended head and loss, so a recommendation and its snippet cannot disagree.
"""

from __future__ import annotations

import re
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
    head: str  # "Dense(10), no activation (logits)"
    loss: str  # "SparseCategoricalCrossentropy(from_logits=True)"
    snippet: str
    metrics: list[str] = field(default_factory=list)
    activation: str | None = None  # the head's last activation in this framework's spelling; None: linear
    runnable: bool = True  # False: a fragment that needs more of the user's code (it says what)


@dataclass(frozen=True)
class Advice:
    task: str
    title: str
    description: str
    units: int | str | None
    activation: str | None
    output: str | None  # what the head outputs: logits, values, embeddings, log_rate, noise
    label_format: str | None
    label_example: str | None
    label_shape: str | None  # "float32 (N,)", "int64 (N, H, W) class-id masks"
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


def has_classes(task: Task) -> bool:
    """Whether the head has one unit per class, so that --classes means something."""
    return "num_classes" in str((task.raw.get("head") or {}).get("units", ""))


def recommend(task: str, framework: str = "all", classes: int | None = None, evidence: str | None = None) -> Advice:
    """Advice for a problem type id or alias (`lossadvisor.recommend("multi-class", "pytorch", 10)`)."""
    kb = knowledge.load()
    t = find_task(kb, task)
    raw = t.raw
    head = raw.get("head") or {}
    units = _units(head.get("units"), classes)
    frameworks = _advised(kb, t, framework)
    label_format = kb.label_formats.get(raw.get("labels") or "")
    example = raw.get("example") or {}
    return Advice(
        task=t.id,
        title=t.title,
        description=raw.get("description", ""),
        units=units,
        activation=head.get("activation"),
        output=example.get("output"),
        label_format=label_format.title if label_format else raw.get("labels"),
        label_example=label_format.example if label_format and _natural_shape(example) else None,
        label_shape=_label_shape(example),
        inference=raw.get("inference"),
        why=_text(raw.get("why")),
        special=_text(raw.get("special")),
        alternatives=[{"when": str(a.get("when", "")), "use": _text(a.get("use")) or ""} for a in raw.get("alternatives") or []],
        frameworks=[_framework_advice(kb, t, fw, units) for fw in frameworks if _has_advice(t, fw)],
        evidence=evidence,
    )


def _advised(kb: Knowledge, task: Task, framework: str) -> list[str]:
    """Whom to advise: per family (Keras 3 and tf.keras share one), plus a member of a family whose
    advice differs for this task (tf.keras' CTC), given after its family for `all` and on its own
    when asked for by name. Raises suggest.UnknownFramework for a name no framework answers to."""
    own = set(task.raw.get("loss") or {}) - set(kb.vocabulary.families())
    if framework == "all":
        return [fw for family in kb.vocabulary.families() for fw in (family, *sorted(o for o in own if kb.vocabulary.frameworks[o].family == family))]
    from lossadvisor.suggest import find_framework

    found = find_framework(kb.vocabulary, framework, also=("all",))
    return [found.id if found.id in own else found.family]


def _per_framework(table: dict[str, Any] | None, kb: Knowledge, framework: str) -> Any:
    """A tasks.yaml entry for this framework, or its family's."""
    table = table or {}
    return table.get(framework) or table.get(kb.vocabulary.frameworks[framework].family)


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


def _natural_shape(example: dict[str, Any]) -> bool:
    """Label format examples are one value or one row per sample: shown where y is (N,) or (N, C)."""
    return (example.get("y") or {}).get("shape") in (None, "(N,)", "(N, C)")


def _label_shape(example: dict[str, Any]) -> str | None:
    y = example.get("y") or {}
    if not y:
        return None
    return " ".join(filter(None, (y.get("dtype"), y.get("shape"), y.get("text"))))


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


def _loss_text(name: str, args: dict[str, Any]) -> str:
    """A class as it is built (`BCEWithLogitsLoss()`); a function by its name, with the arguments
    the advice sets after its inputs (`huber_loss(…, delta=1.0)`)."""
    if name[:1].isupper():
        return _call(name, args)
    return f"{name}(…, {', '.join(f'{k}={_py(v)}' for k, v in args.items())})" if args else name


def _py(value: Any) -> str:
    return repr(value)


def _framework_advice(kb: Knowledge, task: Task, framework: str, units: int | str | None) -> FrameworkAdvice:
    head = _head_for(task, framework)
    activation = head.get("activation")
    choice = (task.raw.get("loss") or {}).get(framework) or {}
    output = _output_name(kb, task, activation)
    metrics = _metrics(kb, task, framework, output, units)
    loss = _loss_text(choice["name"], choice.get("args") or {}) if "name" in choice else str(choice.get("custom") or "custom loss")
    if choice.get("against"):
        loss += f" against {choice['against']}"
    snippet, runnable = _snippet(kb, task, framework, units, activation, choice, metrics)
    return FrameworkAdvice(
        framework, kb.vocabulary.frameworks[framework].title, _head_text(kb, task, framework, units, activation),
        loss, snippet, metrics, _activation_spelling(kb, activation, framework), runnable,
    )  # fmt: skip


def _output_name(kb: Knowledge, task: Task, activation: str | None) -> str:
    """What a snippet calls the head's output: the task's name for a linear head, else the activation's."""
    if activation and activation != "linear":
        return kb.snippets["outputs"].get(activation, "outputs")
    return (task.raw.get("example") or {}).get("output") or "outputs"


def _head_text(kb: Knowledge, task: Task, framework: str, units: Any, activation: str | None) -> str:
    if units is None:
        return "task-specific (see the description)"
    act = _activation_spelling(kb, activation, framework)
    layer = f"{kb.vocabulary.frameworks[framework].head_layer}({units})"
    if (task.raw.get("example") or {}).get("x") == "feature_map":
        layer = f"1x1 convolution to {units} channels"
    output = (task.raw.get("example") or {}).get("output") or "logits"
    return f"{layer} + {act}" if act else f"{layer}, no activation ({output.replace('_', '-')})"


# --------------------------------------------------------------------------- metrics


def _metrics(kb: Knowledge, task: Task, framework: str, output: str, units: Any) -> list[str]:
    """The task's metrics, right for this head: a metric that reads probabilities gets its
    `on_logits` arguments on a logits head (BinaryAccuracy(threshold=0.0)), and one that cannot be
    right there is left out. Metrics that rules/metrics.yaml does not know are advice in words."""
    family = kb.vocabulary.frameworks[framework].family
    known = kb.metrics.get(family) or {}
    out = []
    for entry in _per_framework(task.raw.get("metrics"), kb, framework) or []:
        entry = str(entry).replace("$units", str(units if isinstance(units, int) else "num_classes"))
        m = re.fullmatch(r"(\w+)(?:\((.*)\))?", entry)
        spec = known.get(m.group(1)) if m else None
        if spec is None:
            out.append(entry)
            continue
        args = m.group(2) or ""
        if output == "logits" and spec.get("reads") in ("probabilities", "values"):
            fix = spec.get("on_logits")
            if not fix:
                continue
            args = ", ".join(filter(None, (args, *(f"{k}={_py(v)}" for k, v in fix.items()))))
        out.append(f"{m.group(1)}({args})")
    return out


# --------------------------------------------------------------------------- snippets


def _snippet(kb: Knowledge, task: Task, framework: str, units: Any, activation: str | None, choice: dict[str, Any], metrics: list[str]) -> tuple[str, bool]:
    """A whole small program (rules/snippets.yaml), or the task's fragment where it needs the
    user's own model (detection, VAE). Returns the code and whether it runs as printed."""
    spec = kb.snippets["frameworks"].get(framework) or {}
    example = task.raw.get("example") or {}
    own = example.get(framework) or ({} if framework in (task.raw.get("loss") or {}) else example.get(kb.vocabulary.frameworks[framework].family)) or {}
    args = dict(choice.get("args") or {})
    name = choice.get("name")
    slots = {
        "loss": own.get("loss") or (_long_call(_fill(spec.get("loss", "$call"), {"call": _call(name, args), "name": name})) if name else ""),
        "arguments": "".join(f", {k}={_py(v)}" for k, v in args.items()),
    }
    if "fragment" in own or not example.get("x") or not spec:
        code = own.get("fragment") or f"loss = {slots['loss']}  # see the description for what it takes"
        return _fill(code, slots).rstrip() + "\n", False
    kind = example["x"]
    unit_code = str(example.get("units") or units)
    act = _activation_spelling(kb, activation, framework)
    layer = _fill(spec["head"][kind], {"units": unit_code, "activation": ""})
    if act and "$layer" in spec["activation"]:  # the activation wraps the layer: nn.Sequential(…, nn.LogSoftmax(dim=-1))
        layer = _fill(spec["activation"], {"layer": layer, "name": act, "axis": (spec.get("axis") or {}).get(kind, "")})
    elif act:  # the layer takes it as an argument: Dense(1, activation="exponential")
        layer = _fill(spec["head"][kind], {"units": unit_code, "activation": _fill(spec["activation"], {"name": act})})
    y = example.get("y") or {}
    output = _output_name(kb, task, activation)
    squeeze = spec.get("squeeze") and str(unit_code) == "1" and y.get("shape") == "(N,)"
    setup = []
    if isinstance(units, str) and "num_classes" in units:
        setup.append("num_classes = 10  # your number of classes")
    if own.get("setup"):
        defines = own["setup"].lstrip().startswith("def ")
        setup.append(own["setup"].rstrip() + ("\n\n" if defines else ""))
    slots.update(
        data=f"# x: {_input_text(kb, spec, kind)}\n# y: {_label_text(kb, task, y)}",
        setup="\n".join(setup),
        units=unit_code,
        head=layer,
        output=output,
        prediction=f"{output}.squeeze(-1)" if squeeze else output,
        criterion=f"criterion = {slots['loss']}" if name else "",  # for templates that build the loss once
    )
    slots["metrics"], slots["metrics_advice"] = _metrics_code(spec.get("metric_objects"), metrics)
    slots["step"] = _fill(own.get("step") or spec["step"], slots)
    return _fill(spec["template"], slots).rstrip() + "\n", True


def _long_call(code: str, width: int = 72) -> str:
    """`Name(a=1, b=2)` over several lines where one would run past the width."""
    if len(code) <= width or not code.endswith(")"):
        return code
    name, _, args = code[:-1].partition("(")
    return f"{name}(\n    {args}\n)"


def _input_text(kb: Knowledge, spec: dict[str, Any], kind: str) -> str:
    inputs = kb.snippets["inputs"][kind]
    return (inputs.get(spec["channels"]) or inputs)["text"] if "text" not in inputs else inputs["text"]


def _label_text(kb: Knowledge, task: Task, y: dict[str, Any]) -> str:
    fmt = kb.label_formats.get(task.raw.get("labels") or "")
    what = y.get("text") or (fmt.title[0].lower() + fmt.title[1:] if fmt else "targets")
    return " ".join(filter(None, (y.get("dtype"), y.get("shape"), what)))


def _metrics_code(prefix: str | None, metrics: list[str]) -> tuple[str, str]:
    """Metrics the snippet builds (where the template has `metric_objects`: Keras'
    compile(metrics=[...])), and the rest as a comment to act on."""
    objects = [f"{prefix}{m}" for m in metrics if prefix and _is_call(m)]
    words = [m for m in metrics if not (prefix and _is_call(m))]
    listed = "metrics=[" + "".join(f"\n    {o}," for o in objects) + ("\n]," if objects else "],")
    return listed, _comment("metrics: " + "; ".join(words)) if words else ""


def _comment(text: str, width: int = 99) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width, initial_indent="# ", subsequent_indent="#   ", break_long_words=False))


def _is_call(metric: str) -> bool:
    return bool(re.fullmatch(r"\w+\(.*\)", metric))


def _fill(template: str, slots: dict[str, str]) -> str:
    """Fill `$slot`s. A slot alone on its line takes that line's indentation for every line of its
    value, and an empty one removes the line (no setup, no criterion)."""
    from string import Template

    out = []
    for line in template.splitlines():
        stripped = line.strip()
        if stripped.startswith("$") and stripped[1:].isidentifier() and stripped[1:] in slots:
            value = slots[stripped[1:]]
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + v if v.strip() else "" for v in value.rstrip().splitlines())
            continue
        out.append(Template(line).safe_substitute(slots))
    return "\n".join(out) + ("\n" if template.endswith("\n") else "")


# --------------------------------------------------------------------------- recommend --labels: labels → problem type and losses


@dataclass(frozen=True)
class Inference:
    """What `lossadvisor recommend --labels FILE` needs."""

    task: str
    classes: int | None
    evidence: str
    reading: Reading | None = field(default=None, repr=False)


def infer_task_from_file(path: Path, column: str | None = None) -> Inference:
    from lossadvisor.readers.label_file import profile_file, read_profiled

    reading = read_profiled(profile_file(path, column=column))
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
        if "name" not in choice or choice.get("against"):  # written out, or on targets made from the labels
            note = "see `lossadvisor recommend --task {}`".format(fit.task)
            out.append(LossChoice(fw.framework, fw.title, fw.loss, note if choice.get("against") else f"no built-in loss: {note}"))
            continue
        name, args, note = choice["name"], dict(choice.get("args") or {}), None
        if not _accepts(kb, name, fw.framework, args, reading.format):
            found = _loss_taking(kb, task, fw.framework, reading.format)
            wanted = kb.label_formats.get(task.raw.get("labels") or "")
            if found:
                note = f"instead of {_loss_text(name, args)}, which needs {wanted.title.lower() if wanted else 'other labels'}"
                name, args = found
            else:
                note = f"convert the labels to {wanted.title.lower() if wanted else 'the format it takes'} first"
        args, ignore_note = _ignore_args(kb, name, fw.framework, args, reading.ignore)
        out.append(LossChoice(fw.framework, fw.title, _loss_text(name, args), note or ignore_note))
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
