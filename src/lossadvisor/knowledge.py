"""Load `rules/` (the knowledge, as YAML data) into typed, frozen objects, once and lazily.

Parsing YAML costs ~40 ms of start-up (the import alone), which a pre-commit hook pays on every
commit. So the parsed rules are cached as JSON in the user's cache folder, keyed by the rule files'
names, sizes and modification times: a warm start reads one JSON file and never imports yaml.
"""

from __future__ import annotations

import json
import math
import os
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from lossadvisor.vocabulary import Api, LayerKind, Vocabulary, normalize

__all__ = ["Knowledge", "load", "normalize", "read_raw", "rules_dir"]


def rules_dir() -> Path:
    shipped = Path(__file__).parent / "rules"  # inside the wheel
    return shipped if shipped.is_dir() else Path(__file__).resolve().parents[2] / "rules"


# --------------------------------------------------------------------------- typed objects


class Spelling(NamedTuple):
    name: str
    input: str | None = None  # overrides the loss's default prediction form
    targets: tuple[str, ...] | None = None  # overrides the loss's accepted label formats
    strings_only: bool = False
    target_input: str | None = None  # overrides the form the loss expects of a target that is a model's output
    kind: str | None = None  # "class" or "function", where the name's case misleads (Keras' class `CTC`)
    own_arguments: bool = True  # False: a spelling that takes none of the loss's arguments (TF1 log_loss: no from_logits)


class Param(NamedTuple):
    name: str
    default: Any = None
    frameworks: tuple[str, ...] | None = None
    when: dict[str, dict[str, Any]] = {}  # value (as YAML text) -> changes (never mutated)
    ignores_label: bool = False
    advised: dict[str, Any] | None = None  # {value, why}: a value worth passing whatever the data (LA505)
    per_element: bool = False  # a tensor that multiplies each output element: it must broadcast against the output (LA208)


class Loss(NamedTuple):
    id: str
    title: str
    input: str
    link: str | None
    targets: tuple[str, ...]
    tasks: tuple[str, ...]
    params: dict[str, Param]
    names: dict[str, tuple[Spelling, ...]]
    note: str | None = None
    scoring_rule_for: tuple[str, ...] = ()  # tasks it serves only on probabilities, as a proper scoring rule (Brier)
    target_input: str | None = None  # the form a target that is a model's output must have (KL: distribution)
    needs_one_of: tuple[str, ...] = ()  # arguments of which one must be passed (MONAI DiceCELoss: sigmoid / softmax)
    sparse_form: str | None = None  # the loss id of the same loss on integer class ids (LA302's fix)
    # What each framework's spelling does with a prediction and a target of different shapes,
    # (N, 1) against (N,): broadcasts (silently, or with a warning) or raises (LA205).
    mismatched_shapes: dict[str, str] = {}
    class_axis: dict[str, int] = {}  # where each framework's spelling reads the classes (PyTorch: axis 1 of (N, C, …)); LA206
    under_autocast: dict[str, str] = {}  # what a framework's probability form does under CUDA autocast (raises); LA111
    target_position: int | None = None  # where a call passes the target when not second (margin ranking: third)
    target_dtype: dict[str, dict[str, list[str]]] = {}  # framework -> label format (or any) -> the dtypes it takes; LA315
    batch_axis: dict[str, int] = {}  # where each framework's spelling reads the batch (PyTorch CTCLoss: axis 1 of (T, N, C)); LA209
    maximised: bool = False  # a score to maximise, not a loss (optax cosine_similarity: +cos); LA114

    def spellings(self, framework: str) -> tuple[Spelling, ...]:
        return self.names.get(framework, ())  # a framework's inherited spellings are filled in at load


class LossMatch(NamedTuple):
    loss: Loss
    framework: str
    spelling: Spelling


class Activation(NamedTuple):
    id: str
    title: str
    output: str
    range: tuple[float, float]
    names: dict[str, tuple[str, ...]]


class LabelFormat(NamedTuple):
    id: str
    title: str
    description: str
    aliases: tuple[str, ...]
    also: tuple[str, ...]
    example: str | None = None
    dtype: str | None = None  # the dtype and shape a loss wants targets of this format in


class Task(NamedTuple):
    id: str
    title: str
    aliases: tuple[str, ...]
    raw: dict[str, Any]  # the whole entry, for `recommend` to render

    @property
    def activations(self) -> tuple[str, ...]:
        return tuple(self.raw.get("activations") or ())

    @property
    def label_range(self) -> tuple[float, float] | None:
        r = self.raw.get("label_range")
        return (_num(r[0]), _num(r[1])) if r else None

    @property
    def special(self) -> str | None:
        return self.raw.get("special")


class Rule(NamedTuple):
    code: str
    name: str
    severity: str
    message: str
    fix: str | None
    docs: dict[str, Any]
    default_enabled: bool = True
    supersedes: tuple[str, ...] = ()  # codes this rule makes redundant on the same setup
    guard: dict[str, str] = {}  # what the first-batch guard says, by case (fields filled by guard/inspect.py)


def _num(value: Any) -> float:
    if isinstance(value, str):
        return float(value.replace(".inf", "inf"))
    return float(value)


def _key(value: Any) -> str:
    """Parameter values as YAML would spell them, so `when: {true: …}` matches `from_logits=True`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def spell_loss(choice: dict[str, Any]) -> str:
    """A tasks.yaml loss choice as code: `CrossEntropyLoss(label_smoothing=0.1)`."""
    if "name" not in choice:
        return "a custom loss"
    args = ", ".join(f"{k}={v!r}" for k, v in (choice.get("args") or {}).items())
    return f"{choice['name']}({args})"


def python_literal(value: str) -> str:
    """A `when:` key (YAML text, as `_key` spells it) as Python writes it: true -> True."""
    return {"true": "True", "false": "False", "null": "None"}.get(str(value), str(value))


# --------------------------------------------------------------------------- the knowledge base


class Knowledge:
    """The loaded `rules/`. Build with `load()`; lookups are dictionaries built once."""

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        self.vocabulary = Vocabulary(raw["frameworks"])
        self.model_arguments: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in raw["model_arguments"].items()}
        self.label_sources: dict[str, Any] = raw["label_sources"]  # read as it stands by the Python reader
        self.ipython = {k: frozenset(v) for k, v in raw["ipython"].items()}  # line_magics, python_cell_magics
        self.libraries = frozenset(raw["libraries"]["libraries"])  # import roots that are never project modules
        inherits = {fw.id: fw.inherits for fw in self.vocabulary.frameworks.values() if fw.inherits}
        self.losses = {k: _loss(k, v, inherits) for k, v in raw["losses"].items()}
        self.activations = {k: _activation(k, v, inherits) for k, v in raw["activations"].items()}
        self.label_formats = {k: _label_format(k, v) for k, v in raw["labels"].items()}
        self.tasks = {k: Task(k, v.get("title", k), tuple(v.get("aliases") or ()), v) for k, v in raw["tasks"].items()}
        self.metrics: dict[str, dict[str, Any]] = raw["metrics"]  # framework -> metric name -> what it reads
        # framework -> loss spelling -> the keyword arguments it takes (generated from the frameworks)
        self.loss_arguments: dict[str, dict[str, frozenset[str]]] = {
            fw: {name: frozenset(args) for name, args in (table or {}).items()}
            for fw, table in (raw["loss_arguments"] or {}).items() if fw != "namespaces"
        }  # fmt: skip
        self.loss_argument_namespaces = {fw: tuple(m) for fw, m in (raw["loss_arguments"] or {}).get("namespaces", {}).items()}
        self.snippets: dict[str, Any] = raw["snippets"]  # how `recommend` writes a snippet, read by recommend.py
        self.forms: dict[str, str] = {k: v["meaning"] for k, v in raw["forms"].items()}  # prediction form -> what it means (explain)
        self.form_words: dict[str, str] = {k: v["words"] for k, v in raw["forms"].items()}  # its short name in findings
        self._metric_index = {
            (family, name): key for family, table in self.metrics.items() for key, spec in table.items() for name in (key, *(spec.get("strings") or ()))
        }  # fmt: skip
        self.rules = {r["code"]: _rule(r) for r in raw["checks"]}
        self._loss_index: dict[tuple[str, str], LossMatch] = {}
        for loss in self.losses.values():
            for framework in self.vocabulary.frameworks:
                for spelling in loss.spellings(framework):
                    self._loss_index.setdefault((framework, spelling.name), LossMatch(loss, framework, spelling))
        self._activation_index: dict[tuple[str, str], Activation] = {}
        for act in self.activations.values():
            for framework, names in act.names.items():
                for name in names:
                    self._activation_index.setdefault((framework, name), act)
        self._task_index = {normalize(a): t for t in self.tasks.values() for a in (t.id, *t.aliases)}
        self._label_index = {normalize(a): f for f in self.label_formats.values() for a in (f.id, *f.aliases)}

    # -- losses
    def find_loss(self, name: str, framework: str | None = None) -> LossMatch | None:
        """The loss a spelling names: in `framework` first (tf_keras falls back to keras), then any."""
        for fw in self.vocabulary.lookup_order(framework):
            if match := self._loss_index.get((fw, name)):
                return match
        return None

    def loss_names(self, framework: str | None = None) -> list[str]:
        return sorted({n for (fw, n) in self._loss_index if framework in (None, fw)})

    def recommended_loss(self, task_id: str, framework: str | None) -> str | None:
        """The stable-form loss tasks.yaml recommends for a problem type in a framework's family, as
        code (`CrossEntropyLoss()`, `SparseCategoricalCrossentropy(from_logits=True)`); None when it
        names none there."""
        task = self.tasks.get(task_id)
        found = self.vocabulary.frameworks.get(framework or "")
        choice = (task.raw.get("loss") or {}).get(found.family) if task and found else None
        return spell_loss(choice) if choice else None

    def logits_form(self, loss_id: str, framework: str | None, spelling: str | None, stabler: bool = False) -> str | None:
        """How a loss takes logits: an argument of the same loss (Keras' from_logits) before another
        spelling (PyTorch's BCEWithLogitsLoss, tf.nn's *_with_logits). With `stabler`, only a form
        that is: an argument marked `fused: false` (Keras focal losses: the activation, then the
        clipped probability loss) takes logits but is no stabler."""
        loss = self.losses[loss_id]
        own = next((s for s in loss.spellings(framework or "") if s.name == spelling), None)
        for param in loss.params.values() if own is None or own.own_arguments else ():
            if param.frameworks and framework and framework not in param.frameworks:
                continue
            for value, change in param.when.items():
                if change.get("input") == "logits" and (change.get("fused", True) or not stabler):
                    return f"pass {param.name}={python_literal(value)}"
        # F.binary_cross_entropy -> F.binary_cross_entropy_with_logits, BCELoss -> BCEWithLogitsLoss
        class_style = (spelling or "")[:1].isupper()
        spellings = sorted(loss.spellings(framework or "keras"), key=lambda s: s.name[:1].isupper() != class_style)
        for candidate in spellings:
            if candidate.input == "logits" and not candidate.strings_only:
                return f"use `{candidate.name}` on the logits"
        return None

    def expected_input(self, loss_id: str, framework: str | None, spelling: str | None, args: dict[str, Any]) -> str:
        """The prediction form a loss expects, given the spelling and the arguments passed."""
        loss = self.losses[loss_id]
        return self._form(loss, framework, spelling, args, "input", loss.input)

    def expected_target(self, loss_id: str, framework: str | None, spelling: str | None, args: dict[str, Any]) -> str | None:
        """The form a target that is itself a model's output must have (teacher probabilities for
        KL), given the spelling and the arguments; None when the loss does not say."""
        loss = self.losses[loss_id]
        return self._form(loss, framework, spelling, args, "target_input", loss.target_input)

    def target_form_change(self, loss_id: str, framework: str | None, spelling: str | None, args: dict[str, Any], got: str) -> tuple[str, str, Any] | None:
        """What makes the loss read a target of form `got` (a teacher's log-probabilities into KL):
        ("pass", argument, value) for an argument that says so (log_target=True), ("drop", argument,
        value) for one passed that says otherwise, ("use", spelling, None) for another spelling of
        the same loss (optax kl_divergence_with_log_targets); None when nothing does."""
        loss = self.losses[loss_id]
        for name, param in loss.params.items():
            if param.frameworks and framework and framework not in param.frameworks:
                continue
            current = args.get(name, param.default)
            for value in param.when:
                if _key(current) != value and self.expected_target(loss_id, framework, spelling, {**args, name: value}) == got:
                    return ("pass", name, value)
            if name in args and _key(current) != _key(param.default):
                if self.expected_target(loss_id, framework, spelling, {**args, name: param.default}) == got:
                    return ("drop", name, current)
        for other in loss.spellings(framework or ""):
            if other.name != spelling and not other.strings_only and self.expected_target(loss_id, framework, other.name, args) == got:
                return ("use", other.name, None)
        return None

    def _form(self, loss: Loss, framework: str | None, spelling: str | None, args: dict[str, Any], field: str, form: Any) -> Any:
        """`field` (input, target_input) as the loss sets it, then its spelling, then its arguments."""
        if spelling and framework:
            for s in loss.spellings(framework):
                if s.name == spelling and getattr(s, field):
                    form = getattr(s, field)
        for change in self._param_changes(loss, framework, args):
            form = change.get(field, form)
        return form

    def accepted_targets(self, loss_id: str, framework: str | None, spelling: str | None, args: dict[str, Any]) -> tuple[str, ...]:
        loss = self.losses[loss_id]
        targets = loss.targets
        if spelling and framework:
            for s in loss.spellings(framework):
                if s.name == spelling and s.targets is not None:
                    targets = s.targets
        for change in self._param_changes(loss, framework, args):
            if "targets" in change:
                targets = tuple(change["targets"])
        return targets

    def _param_changes(self, loss: Loss, framework: str | None, args: dict[str, Any]) -> list[dict[str, Any]]:
        changes = []
        for name, param in loss.params.items():
            if param.frameworks and framework and framework not in param.frameworks:
                continue
            value = args.get(name, param.default)
            if (change := param.when.get(_key(value))) is not None:
                changes.append(change)
            elif name in args and value is not None and "any" in param.when:  # other_act=torch.softmax
                changes.append(param.when["any"])
        return changes

    # -- activations
    def find_activation(self, name: str | None, framework: str | None = None) -> Activation | None:
        key = "null" if name is None else name
        for fw in self.vocabulary.lookup_order(framework):
            if act := self._activation_index.get((fw, key)):
                return act
        return None

    def activation_in(self, name: str | None, framework: str | None) -> Activation | None:
        """The activation `name` spells in `framework` itself (strict: Keras' `linear` is not
        PyTorch's `F.linear`, a matrix product)."""
        return self._activation_index.get((framework or "", "null" if name is None else name))

    # -- layers and frameworks
    def layer(self, api: Api) -> LayerKind | None:
        """What a layer class does (frameworks.yaml); a capitalised activation spelling of the
        framework in its layer modules (nn.Tanh, layers.ELU) is an activation layer."""
        kind = self.vocabulary.layer(api)
        if kind is None and api.name[:1].isupper() and self.vocabulary.in_layer_module(api) and self.activation_in(api.name, api.framework):
            kind = LayerKind(api.name, "activation", api.framework or "")
        return kind

    def activation_names(self) -> list[str]:
        return sorted({n for (_, n) in self._activation_index})

    # -- metrics
    def find_metric(self, name: str, framework: str | None) -> str | None:
        """The rules/metrics.yaml key a metric spelling names (`acc` -> accuracy), or None."""
        family = self._metric_family(framework)
        return self._metric_index.get((family, name)) or self._metric_index.get((family, name.lower()))

    def metric(self, key: str, framework: str | None) -> dict[str, Any]:
        return (self.metrics.get(self._metric_family(framework)) or {}).get(key) or {}

    def _metric_family(self, framework: str | None) -> str:
        """Metrics are listed per family; a setup that names no framework reads Keras' (the only one)."""
        fw = self.vocabulary.frameworks.get(framework or "")
        return fw.family if fw else "keras"

    # -- tasks and label formats
    def find_task(self, name: str) -> Task | None:
        return self._task_index.get(normalize(name))

    def find_label_format(self, name: str) -> LabelFormat | None:
        return self._label_index.get(normalize(name))

    def satisfied_formats(self, label_format: str) -> set[str]:
        """A format and everything a value of it also is (transitively): binary → class_ids → counts …"""
        seen, todo = set(), [label_format]
        while todo:
            fmt = todo.pop()
            if fmt in seen or fmt not in self.label_formats:
                continue
            seen.add(fmt)
            todo.extend(self.label_formats[fmt].also)
        return seen


def _spelling(entry: Any) -> Spelling:
    if isinstance(entry, str):
        return Spelling(entry)
    targets = entry.get("targets")
    return Spelling(
        entry["name"], entry.get("input"), tuple(targets) if targets is not None else None, bool(entry.get("strings_only")), entry.get("target_input"),
        entry.get("kind"), entry.get("arguments") != "none",
    )  # fmt: skip


def _inherit(names: dict[str, Any], inherits: dict[str, str]) -> dict[str, Any]:
    """A framework that inherits another's spellings (tf.keras from Keras 3) has them wherever it
    lists none of its own; an empty list means it has none."""
    return {**{fw: names[parent] for fw, parent in inherits.items() if fw not in names and parent in names}, **names}


def _loss(key: str, v: dict[str, Any], inherits: dict[str, str]) -> Loss:
    params = {}
    for name, p in (v.get("params") or {}).items():
        p = p or {}
        when = {_key(k): dict(c) for k, c in (p.get("when") or {}).items()}
        frameworks = tuple(p["frameworks"]) if p.get("frameworks") else None
        params[name] = Param(name, p.get("default"), frameworks, when, bool(p.get("ignores_label")), p.get("advised"), bool(p.get("per_element")))
    names = {fw: tuple(_spelling(e) for e in (entries or ())) for fw, entries in _inherit(v.get("names") or {}, inherits).items()}
    return Loss(
        key, v.get("title", key), v.get("input", "real"), v.get("link"), tuple(v.get("targets") or ()),
        tuple(v.get("tasks") or ()), params, names, v.get("note"), tuple(v.get("scoring_rule_for") or ()), v.get("target_input"),
        tuple(v.get("needs_one_of") or ()), v.get("sparse_form"), dict(v.get("mismatched_shapes") or {}),
        dict(v.get("class_axis") or {}), dict(v.get("under_autocast") or {}),
        v.get("target_position"), dict(v.get("target_dtype") or {}), dict(v.get("batch_axis") or {}), bool(v.get("maximised")),
    )  # fmt: skip


def _activation(key: str, v: dict[str, Any], inherits: dict[str, str]) -> Activation:
    lo, hi = v.get("range") or (-math.inf, math.inf)
    raw_names = _inherit(v.get("names") or {}, inherits)
    names = {fw: tuple("null" if n is None else str(n) for n in (entries or ())) for fw, entries in raw_names.items()}
    return Activation(key, v.get("title", key), v["output"], (_num(lo), _num(hi)), names)


def _label_format(key: str, v: dict[str, Any]) -> LabelFormat:
    return LabelFormat(
        key, v.get("title", key), v.get("description", ""), tuple(v.get("aliases") or ()),
        tuple(v.get("also") or ()), v.get("example"), v.get("dtype"),
    )  # fmt: skip


def _rule(r: dict[str, Any]) -> Rule:
    return Rule(
        r["code"], r["name"], r["severity"], r["message"], r.get("fix"), r.get("docs") or {},
        r.get("default_enabled", True), tuple(r.get("supersedes") or ()), dict(r.get("guard") or {}),
    )  # fmt: skip


# --------------------------------------------------------------------------- loading and caching


def _rule_files(root: Path) -> list[Path]:
    return sorted(root.glob("*.yaml")) + sorted((root / "checks").glob("*.yaml"))


def _cache_file(root: Path, files: list[Path]) -> Path:
    from lossadvisor import __version__

    import zlib  # crc32 is enough to tell versions apart, and hashlib costs ~4 ms to import

    stamp = __version__ + "".join(f"\n{f.relative_to(root)}\0{f.stat().st_size}\0{f.stat().st_mtime_ns}" for f in files)
    base = os.environ.get("LOSSADVISOR_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "lossadvisor"
    )
    return Path(base) / f"rules-{zlib.crc32(stamp.encode()):08x}-{len(stamp)}.json"


RULE_TABLES = (
    "losses", "loss_arguments", "activations", "labels", "tasks", "metrics", "snippets", "frameworks", "model_arguments", "label_sources",
    "ipython", "libraries", "forms",
)  # fmt: skip


def read_raw(root: Path | None = None) -> dict[str, Any]:
    """Parse the YAML files of `rules/` (no cache). Used by the cache and by the knowledge test."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    root = root or rules_dir()
    raw: dict[str, Any] = {"checks": []}
    for name in RULE_TABLES:
        raw[name] = yaml.load((root / f"{name}.yaml").read_text(encoding="utf-8"), Loader=loader) or {}
    for f in sorted((root / "checks").glob("*.yaml")):
        raw["checks"].append(yaml.load(f.read_text(encoding="utf-8"), Loader=loader))
    return raw


@cache
def load() -> Knowledge:
    root = rules_dir()
    files = _rule_files(root)
    cache_file = _cache_file(root, files)
    try:
        raw = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raw = read_raw(root)
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(raw, default=str), encoding="utf-8")
            os.replace(tmp, cache_file)
            for stale in cache_file.parent.glob("rules-*.json"):
                if stale != cache_file:
                    stale.unlink(missing_ok=True)  # one cache per install is plenty
        except OSError:
            pass  # a read-only home is fine: we just parse YAML every time
    return Knowledge(raw)
