"""`lossadvisor explain LOSS` and `compare A B`: what a loss computes and expects, as plain data.

Everything comes from rules/: the loss's entry in losses.yaml (what it expects, its arguments,
every framework's spelling), its entry in rules/explain/ (formula, relations, where frameworks
differ, its reference implementation), labels.yaml and tasks.yaml. The mistakes that apply to a
loss are not listed by hand: they are the rules that fire when the checks run on small setups
built around it (every head, label format and problem type), so the list is right by construction.
The renderers (render/explain.py) turn the dictionaries built here into text, JSON or markdown.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from lossadvisor import knowledge
from lossadvisor.knowledge import Loss, LossMatch, Spelling, python_literal

# Heads and labels the mistakes are probed with: one of each kind of output a loss can meet.
PROBE_ACTIVATIONS = ("linear", "softmax", "sigmoid", "log_softmax", "log_sigmoid", "relu", "exponential", "tanh")
PROBE_UNITS = (1, 2, 10)
PROBE_CLASSES = 10


class UnknownLoss(LookupError):
    """A name that is neither a loss nor a rule; the message has the did-you-mean."""


def find(name: str) -> LossMatch:
    """The loss `name` spells: any name or alias of any framework, bare or qualified
    (`tf.keras.losses.SparseCategoricalCrossentropy`, `F.nll_loss`, `optax.ctc_loss`)."""
    kb = knowledge.load()
    framework = None
    if "." in name:
        api = kb.vocabulary.api(name)
        framework = api.framework
        name = name.rsplit(".", 1)[1]
    match = kb.find_loss(name, framework) or _by_id(name)
    if match is None:
        from lossadvisor.suggest import did_you_mean

        raise UnknownLoss(f"unknown loss `{name}`{did_you_mean(name, [*kb.loss_names(), *kb.losses])} (any framework's name or alias, or a rule code)")
    return match


def _by_id(loss_id: str) -> LossMatch | None:
    """A loss named by its id (`smp_region_loss`), shown as its first framework's first spelling."""
    kb = knowledge.load()
    loss = kb.losses.get(loss_id)
    if loss is None:
        return None
    for framework in kb.vocabulary.frameworks:
        if spellings := loss.spellings(framework):
            return LossMatch(loss, framework, spellings[0])
    return LossMatch(loss, None, Spelling(loss_id))  # no built-in anywhere (quantile): explained by its id


@cache
def explanations() -> dict[str, dict[str, Any]]:
    """rules/explain/*.yaml: loss id -> formula, relations, differences, reference. Read only by
    explain and compare (not part of the cached rules every check loads)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    entries: dict[str, dict[str, Any]] = {}
    for path in sorted((knowledge.rules_dir() / "explain").glob("*.yaml")):
        for loss_id, entry in (yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}).items():
            entries[loss_id] = {**entry, "family": path.stem}
    return entries


def explain(match: LossMatch) -> dict[str, Any]:
    """Everything `explain` prints about one loss, as plain data (the JSON output is this)."""
    kb = knowledge.load()
    loss = match.loss
    about = explanations().get(loss.id, {})
    reference = about.get("reference")
    return {
        "id": loss.id,
        "title": loss.title,
        "asked_as": {"name": match.spelling.name, "framework": match.framework},
        "formula": {"text": about.get("formula"), "latex": about.get("latex")},
        "prediction": prediction(match),
        "target": [_label_format(kb, fmt) for fmt in loss.targets],
        "arguments": [_argument(param) for param in loss.params.values()],
        "frameworks": spellings(loss),
        "relations": list(about.get("relations") or ()),
        "differences": list(about.get("differences") or ()),
        "note": loss.note,
        "mistakes": mistakes(loss.id),
        "serves": [{"task": t, "title": kb.tasks[t].title} for t in loss.tasks if t in kb.tasks],
        "instead": instead(match),
        "reference": {
            "function": f"lossadvisor.reference.{reference}" if reference else None,
            "verify": about.get("verify"),
            "not_closed_form": about.get("not_closed_form"),
            "compared_with": list(about.get("compared_with") or ()),
            "tolerance": about.get("tolerance"),
        },
    }


# The everyday problem types: for those a loss does not serve, explain says what does.
NEARBY_TASKS = ("binary", "multiclass", "multilabel", "regression", "count", "segmentation")


def instead(match: LossMatch) -> list[dict[str, str]]:
    """For each everyday problem type the loss does not serve, the loss `recommend` advises for it
    in the framework asked about (recommend maps a third-party PyTorch library to PyTorch, tf.keras
    to Keras where they do not differ)."""
    from lossadvisor.recommend import recommend

    kb = knowledge.load()
    out = []
    for task in NEARBY_TASKS:
        if task in match.loss.tasks:
            continue
        advised = recommend(task, match.framework or "pytorch").frameworks
        if advised:
            out.append({"task": task, "title": kb.tasks[task].title, "loss": advised[0].loss, "head": advised[0].head})
    return out


def prediction(match: LossMatch) -> dict[str, Any]:
    """The prediction form for the spelling asked about, and the other forms the same loss takes
    under other spellings (BCELoss vs BCEWithLogitsLoss) or arguments (from_logits=True)."""
    kb = knowledge.load()
    loss = match.loss
    asked = kb.expected_input(loss.id, match.framework, match.spelling.name, {})
    by_form: dict[str, list[str]] = {}
    for framework, names in loss.names.items():
        for spelling in names:
            form = spelling.input or loss.input
            if form != asked:
                by_form.setdefault(form, []).append(spelling.name)
    others = [f"{', '.join(dict.fromkeys(names))} take {form}" for form, names in by_form.items()]
    for param in loss.params.values():
        for value, change in param.when.items():
            if "input" in change and change["input"] != asked:
                others.append(f"{param.name}={python_literal(value)} takes {change['input']}")
    return {"form": asked, "link": loss.link, "other_forms": others}


def _label_format(kb: knowledge.Knowledge, fmt: str) -> dict[str, Any]:
    found = kb.label_formats.get(fmt)
    if found is None:
        return {"id": fmt, "title": fmt, "description": None, "example": None, "dtype": None}
    return {"id": fmt, "title": found.title, "description": found.description, "example": found.example, "dtype": found.dtype}


def _argument(param) -> dict[str, Any]:
    effect = "; ".join(f"{python_literal(value)} takes {change['input']}" if set(change) == {"input"} else f"{python_literal(value)}: {change}" for value, change in param.when.items())
    return {"name": param.name, "default": param.default, "frameworks": list(param.frameworks or ()), "changes": effect or None}


def spellings(loss: Loss) -> dict[str, list[str]]:
    """framework -> the names it spells this loss with (inherited ones are not repeated)."""
    kb = knowledge.load()
    shown: dict[str, list[str]] = {}
    for framework in kb.vocabulary.frameworks:
        names = [s.name for s in loss.spellings(framework)]
        parent = kb.vocabulary.frameworks[framework].inherits
        if parent and [s.name for s in loss.spellings(parent)] == names:
            continue  # tf_keras listed only where it differs from keras
        if names:
            shown[framework] = names
    return shown


@cache
def mistakes(loss_id: str) -> list[dict[str, str]]:
    """The rules that fire on some setup built around this loss: each of its spellings with every
    probe head and label format, and each problem type. Codes in rule order."""
    from lossadvisor.engine import findings_for
    from lossadvisor.facts import Fact, Head, LossUse, Position, TrainingSetup
    from lossadvisor.render.rules import first_sentence
    from lossadvisor.settings import Settings

    kb = knowledge.load()
    loss = kb.losses[loss_id]
    at = Position("probe", 1, 1)
    settings = Settings()
    fired: set[str] = set()
    for framework in kb.vocabulary.frameworks:
        for spelling in loss.spellings(framework):
            use = LossUse(Fact(spelling.name, at), loss.id, framework)
            setups = [
                TrainingSetup("probe", framework, head=Head(Fact(units, at), Fact(activation, at)), loss=use, labels=labels, num_classes=Fact(PROBE_CLASSES, at))
                for activation in PROBE_ACTIVATIONS for units in PROBE_UNITS for labels in _probe_labels(kb)
            ]  # fmt: skip
            # Layouts: channels-last (N, H, W, C) scores, and a batch-first (N, T, C) sequence.
            layouts = (Head(Fact(PROBE_CLASSES, at), Fact("log_softmax", at), rank=4), Head(Fact(PROBE_CLASSES, at), Fact("log_softmax", at), rank=3, batch_axis=Fact(0, at)))
            setups += [TrainingSetup("probe", framework, head=head, loss=use) for head in layouts]
            setups += [TrainingSetup("probe", framework, task=Fact(task, at), loss=use) for task in kb.tasks]
            for setup in setups:
                fired.update(f.code for f in findings_for(setup, settings))
    fired -= {"LA001", "LA002", "LA003", "LA004", "LA005", "LA006", "LA007", "LA008"}  # about the input, not this loss
    return [{"code": code, "name": kb.rules[code].name, "summary": first_sentence(kb.rules[code].docs.get("what", ""))} for code in sorted(fired)]


def _probe_labels(kb: knowledge.Knowledge) -> list:
    from lossadvisor.facts import Fact, LabelFacts, Position

    at = Position("probe", 1, 1)
    ranges = {"class_ids": (0, PROBE_CLASSES - 1), "binary": (0, 1), "signed_binary": (-1, 1), "continuous": (-5.0, 250.0), "counts": (0, 40)}
    probes = [None]
    for fmt in kb.label_formats:
        lo, hi = ranges.get(fmt, (None, None))
        classes = PROBE_CLASSES if fmt in ("class_ids", "one_hot", "multi_hot", "distribution") else None
        probes.append(LabelFacts(format=Fact(fmt, at), num_classes=classes, minimum=lo, maximum=hi))
    return probes


def compare(a: LossMatch, b: LossMatch) -> dict[str, Any]:
    """Two explanations side by side, and which problem types each serves that the other does not."""
    left, right = explain(a), explain(b)
    left_tasks = {t["task"] for t in left["serves"]}
    right_tasks = {t["task"] for t in right["serves"]}
    titles = {t["task"]: t["title"] for t in left["serves"] + right["serves"]}
    return {
        "losses": [left, right],
        "same_loss": a.loss.id == b.loss.id,
        "only_first": [titles[t] for t in sorted(left_tasks - right_tasks)],
        "only_second": [titles[t] for t in sorted(right_tasks - left_tasks)],
    }
