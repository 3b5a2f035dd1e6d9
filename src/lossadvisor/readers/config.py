"""lossadvisor's native training config (YAML or JSON):

    framework: keras            # optional: any name in rules/frameworks.yaml (keras, tf_keras, pytorch, jax, torch, …)
    task: multiclass            # optional: any problem type id or alias
    num_classes: 10
    model:
      output: {units: 10, activation: softmax}
    loss:
      name: categorical_crossentropy      # any name or alias of any framework
      args: {from_logits: false, label_smoothing: 0.1}
    labels:
      format: class_ids         # any label format id or alias
      file: y_train.npy         # optional, relative to this file
      range: [0, 9]             # optional: smallest and largest target
      ignore_values: [255]      # optional: labels that mean "ignore"

Only these keys are read; other sections (optimizer, data, …) are ignored. A present but malformed
section is an `InputError` at its line. `loss` may also be a bare name, and loss arguments may sit
next to `name` instead of under `args`.
"""

from __future__ import annotations

from typing import Any

from lossadvisor import knowledge
from lossadvisor.facts import Fact, Head, LabelFacts, LossUse, MetricUse, TrainingSetup, merge_labels
from lossadvisor.inputs import brief
from lossadvisor.readers import InputError, Source
from lossadvisor.readers.document import Document

KEYS = ("task", "loss", "model", "labels", "num_classes")
# A top-level key, in YAML (`loss:` at the start of a line) or JSON (`"loss":` at a line's start or
# after `{` or `,`).
MARKER = rf'^(?:{"|".join(KEYS)})[ \t]*:|(?:^|[{{,])[ \t]*"(?:{"|".join(KEYS)})"[ \t]*:'
# The shape each key has in this schema. A document is ours only if some key has it: a GitHub
# issue form's `labels: [bug]` or a mobile app's `model: "file.tflite"` is someone else's schema.
SHAPES = {"task": str, "loss": (str, dict), "model": dict, "labels": dict, "num_classes": int}


def claims(doc: Document) -> bool:
    return any(isinstance(doc.data.get(key), SHAPES[key]) and not isinstance(doc.data.get(key), bool) for key in KEYS)


def _fail(doc: Document, keys: tuple[Any, ...], what: str) -> InputError:
    pos = doc.at(*keys)
    return InputError(f"`{'.'.join(map(str, keys))}` {what}", pos.line, pos.column)


def _positive_int(doc: Document, *keys: Any) -> Fact[int] | None:
    value = doc.get(*keys)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(doc, keys, f"must be a positive integer, got {brief(value)}")
    return Fact(value, doc.at(*keys))


def read_framework(doc: Document, kb: knowledge.Knowledge) -> str | None:
    value = doc.get("framework")
    if value is None:
        return None
    from lossadvisor.suggest import UnknownFramework, find_framework

    try:
        return find_framework(kb.vocabulary, str(value)).id
    except UnknownFramework as exc:
        raise _fail(doc, ("framework",), f"names no framework: {exc}") from None


def read_head(doc: Document, kb: knowledge.Knowledge, framework: str | None) -> Head | None:
    model = doc.get("model")
    if model is None:
        return None
    if not isinstance(model, dict):
        raise _fail(doc, ("model",), "must be a mapping (with an `output` section)")
    output = model.get("output")
    if output is None:
        return None
    if not isinstance(output, dict):
        raise _fail(doc, ("model", "output"), "must be a mapping such as {units: 10, activation: softmax}")
    units = _positive_int(doc, "model", "output", "units")
    if "activation" not in output:
        return Head(units=units)  # not written: unknown, never assumed linear
    written = output["activation"]
    if written is not None and not isinstance(written, str):
        raise _fail(doc, ("model", "output", "activation"), f"must be an activation name, got {brief(written)}")
    at = doc.at("model", "output", "activation")
    act = kb.find_activation(written, framework)
    if act is None:
        return Head(units=units, activation_written=Fact(str(written), at))
    return Head(units=units, activation=Fact(act.id, at, "in `model.output`"))


def read_loss(doc: Document, kb: knowledge.Knowledge, framework: str | None) -> LossUse | None:
    loss = doc.get("loss")
    if loss is None:
        return None
    args: dict[str, Fact[Any]] = {}
    if isinstance(loss, str):
        name, name_keys = loss, ("loss",)
    elif isinstance(loss, dict) and isinstance(loss.get("name"), str):
        name, name_keys = loss["name"], ("loss", "name")
        extra = loss.get("args", {})
        if extra is None:
            extra = {}
        if not isinstance(extra, dict):
            raise _fail(doc, ("loss", "args"), "must be a mapping of argument names to values")
        for key, value in extra.items():
            args[key] = Fact(value, doc.at("loss", "args", key))
        for key, value in loss.items():
            if key not in ("name", "args", "framework"):
                args[key] = Fact(value, doc.at("loss", key))
    else:
        raise _fail(doc, ("loss",), "must be a loss name or a mapping with `name` (and optional `args`)")
    match = kb.find_loss(name, framework)
    written = Fact(name, doc.at(*name_keys))
    if match is None:
        return LossUse(written, None, framework, args)
    return LossUse(written, match.loss.id, match.framework, args)


def read_metrics(doc: Document, kb: knowledge.Knowledge, framework: str | None) -> tuple[MetricUse, ...]:
    """`metrics: [accuracy, {name: AUC, args: {from_logits: true}}]`: what training reports.
    `metrics` is a common key in other tools' configs too, so a value in another shape is not ours
    and is passed over, never an input error."""
    metrics = doc.get("metrics")
    if not isinstance(metrics, list):
        return ()
    out = []
    for i, entry in enumerate(metrics):
        if isinstance(entry, str):
            out.append(MetricUse(Fact(entry, doc.at("metrics", i)), kb.find_metric(entry, framework)))
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(entry.get("args") or {}, dict):
            args = {k: Fact(v, doc.at("metrics", i, "args", k)) for k, v in (entry.get("args") or {}).items()}
            out.append(MetricUse(Fact(entry["name"], doc.at("metrics", i, "name")), kb.find_metric(entry["name"], framework), args))
    return tuple(out)


def read_labels(doc: Document, kb: knowledge.Knowledge, source: Source) -> LabelFacts | None:
    labels = doc.get("labels")
    if labels is None:
        return None
    if not isinstance(labels, dict):
        raise _fail(doc, ("labels",), "must be a mapping (format, file, range)")
    facts = LabelFacts()
    if (path := labels.get("file")) is not None:
        if not isinstance(path, str):
            raise _fail(doc, ("labels", "file"), "must be a path relative to the config")
        from lossadvisor.readers.label_file import label_facts

        label_file = source.path.parent / path
        try:
            facts = label_facts(label_file, display=path, key=labels.get("key"), column=labels.get("column"))
        except InputError as exc:
            pos = doc.at("labels", "file")
            raise InputError(f"labels.file {path}: {exc.message}", pos.line, pos.column) from None
    declared = _declared_labels(doc, kb, labels)
    return merge_labels(facts, declared)


def _declared_labels(doc: Document, kb: knowledge.Knowledge, labels: dict[str, Any]) -> LabelFacts:
    fmt = written = None
    if (value := labels.get("format")) is not None:
        if not isinstance(value, str):
            raise _fail(doc, ("labels", "format"), f"must be a label format name, got {brief(value)}")
        found = kb.find_label_format(value)
        at = doc.at("labels", "format")
        fmt, written = (Fact(found.id, at), None) if found else (None, Fact(value, at))
    lo = hi = None
    if (bounds := labels.get("range")) is not None:
        ok = isinstance(bounds, list) and len(bounds) == 2 and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
        if not ok or bounds[0] > bounds[1]:
            raise _fail(doc, ("labels", "range"), f"must be [low, high] numbers, got {brief(bounds)}")
        lo, hi = float(bounds[0]), float(bounds[1])
    ignore = labels.get("ignore_values") or []
    if not isinstance(ignore, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in ignore):
        raise _fail(doc, ("labels", "ignore_values"), f"must be a list of integers, got {brief(ignore)}")
    return LabelFacts(format=fmt, format_written=written, minimum=lo, maximum=hi, ignore_values=tuple(ignore), ignore_declared=bool(ignore))


def read(doc: Document, source: Source) -> list[TrainingSetup]:
    kb = knowledge.load()
    framework = read_framework(doc, kb)
    task = task_written = None
    if (value := doc.get("task")) is not None:
        found = kb.find_task(str(value))
        at = doc.at("task")
        task, task_written = (Fact(found.id, at), None) if found else (None, Fact(str(value), at))
    loss = read_loss(doc, kb, framework)
    setup = TrainingSetup(
        path=source.display,
        framework=framework or (loss.framework if loss else None),
        task=task,
        task_written=task_written,
        num_classes=_positive_int(doc, "num_classes"),
        head=read_head(doc, kb, framework or (loss.framework if loss else None)),
        loss=loss,
        labels=read_labels(doc, kb, source),
        metrics=read_metrics(doc, kb, framework or (loss.framework if loss else None)),
    )
    return [setup]
