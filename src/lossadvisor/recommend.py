"""Problem type (or a label profile) → advice: last layer, activation, loss with its arguments,
label format, why, alternatives, metrics and a short snippet per framework.

Everything comes from tasks.yaml; this module only assembles it and writes the snippets from the
recommended head and loss, so a recommendation and its snippet cannot disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lossadvisor import knowledge
from lossadvisor.knowledge import Knowledge, Task


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


class UnknownFramework(ValueError):
    pass


def _family(kb: Knowledge, framework: str) -> str:
    """Advice is given per family (Keras 3 and tf.keras share one): any spelling of a framework."""
    found = kb.vocabulary.framework(framework)
    if found is None:
        from lossadvisor.suggest import did_you_mean

        names = kb.vocabulary.spellings()
        raise UnknownFramework(f"unknown framework `{framework}`{did_you_mean(framework, names)} (valid: {', '.join(names)}, all)")
    return found.family


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
