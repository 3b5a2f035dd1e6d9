"""The knowledge base (`rules/`) is consistent: every reference resolves, every rule has a
registered check and docs, every loss has spellings and expectations. A broken edit in rules/ fails
here, with a message that names the entry."""

from __future__ import annotations

import re

import pytest

from lossadvisor import knowledge
from lossadvisor.checks import all_checks

RAW = knowledge.read_raw()
KB = knowledge.Knowledge(RAW)
PREDICTION_FORMS = set(knowledge.load().forms)
ACTIVATION_FORMS = PREDICTION_FORMS


def test_every_loss_has_expectations_and_known_references():
    problems = []
    for loss_id, loss in KB.losses.items():
        if loss.input not in PREDICTION_FORMS:
            problems.append(f"{loss_id}: input {loss.input!r} is not a prediction form")
        if loss.link and loss.link not in KB.activations:
            problems.append(f"{loss_id}: link {loss.link!r} is not an activation")
        if not loss.targets and loss.input != "embeddings":  # triplet losses take no labels
            problems.append(f"{loss_id}: no targets")
        problems += [f"{loss_id}: target {t!r} is not a label format" for t in loss.targets if t not in KB.label_formats]
        if not loss.tasks:
            problems.append(f"{loss_id}: serves no task")
        problems += [f"{loss_id}: task {t!r} is not a task" for t in loss.tasks if t not in KB.tasks]
        problems += [f"{loss_id}: unknown framework {fw!r}" for fw in loss.names if fw not in KB.vocabulary.frameworks]
        for spellings in loss.names.values():
            for s in spellings:
                if s.input and s.input not in PREDICTION_FORMS:
                    problems.append(f"{loss_id}: spelling {s.name} has input {s.input!r}")
                problems += [f"{loss_id}: spelling {s.name} target {t!r}" for t in s.targets or () if t not in KB.label_formats]
        for p in loss.params.values():
            for change in p.when.values():
                if "input" in change and change["input"] not in PREDICTION_FORMS:
                    problems.append(f"{loss_id}: param {p.name} changes input to {change['input']!r}")
                problems += [f"{loss_id}: param {p.name} target {t!r}" for t in change.get("targets", ()) if t not in KB.label_formats]
    assert not problems, "\n".join(problems)


def test_every_loss_named_somewhere_unless_it_is_custom_only():
    nameless = [lid for lid, loss in KB.losses.items() if not any(loss.names.values()) and not loss.note]
    assert not nameless, f"losses without spellings and without a note explaining why: {nameless}"


def test_no_spelling_means_two_losses_in_one_framework():
    seen: dict[tuple[str, str], str] = {}
    clashes = []
    for loss_id, loss in KB.losses.items():
        for fw in loss.names:
            for s in loss.names[fw]:
                other = seen.setdefault((fw, s.name), loss_id)
                if other != loss_id:
                    clashes.append(f"{fw} {s.name}: {other} and {loss_id}")
    assert not clashes, "\n".join(clashes)


def test_the_losses_the_foundation_issue_requires_are_known():
    required = {
        ("keras", "binary_crossentropy"), ("keras", "categorical_crossentropy"), ("keras", "sparse_categorical_crossentropy"),
        ("pytorch", "BCEWithLogitsLoss"), ("pytorch", "CrossEntropyLoss"), ("pytorch", "NLLLoss"), ("pytorch", "MSELoss"),
        ("pytorch", "L1Loss"), ("pytorch", "HuberLoss"), ("pytorch", "KLDivLoss"), ("keras", "cosine_similarity"),
        ("keras", "dice"), ("keras", "hinge"), ("keras", "squared_hinge"), ("keras", "categorical_hinge"), ("keras", "log_cosh"),
        ("keras", "poisson"), ("keras", "BinaryFocalCrossentropy"), ("tf_keras", "logcosh"), ("tf_keras", "huber_loss"),
        ("tf_keras", "kullback_leibler_divergence"), ("jax", "sigmoid_binary_cross_entropy"), ("jax", "softmax_cross_entropy"),
    }  # fmt: skip
    missing = [f"{fw}:{name}" for fw, name in sorted(required) if KB.find_loss(name, fw) is None]
    assert not missing
    # losses with no built-in anywhere are still explained (recommend and unknown-name hints use the note)
    for loss_id in ("root_mean_squared_error",):
        assert loss_id in KB.losses and KB.losses[loss_id].note


def test_keras3_rejects_tf_keras_only_strings():
    # Keras 3 dropped these strings (loss-semantics §2.1); tf.keras accepts them.
    for name in ("logcosh", "huber_loss", "kullback_leibler_divergence"):
        assert all(s.name != name for loss in KB.losses.values() for s in loss.spellings("keras")), name
        assert KB.find_loss(name, "tf_keras") is not None, name


def test_activations_have_a_form_a_range_and_spellings():
    problems = []
    for act in KB.activations.values():
        if act.output not in ACTIVATION_FORMS:
            problems.append(f"{act.id}: output {act.output!r}")
        if not act.range[0] <= act.range[1]:
            problems.append(f"{act.id}: range {act.range}")
        if not any(act.names.values()):
            problems.append(f"{act.id}: no spellings")
        problems += [f"{act.id}: unknown framework {fw!r}" for fw in act.names if fw not in KB.vocabulary.frameworks]
    assert not problems, "\n".join(problems)
    for required in ("linear", "softmax", "sigmoid", "log_softmax", "tanh", "relu", "softplus"):
        assert required in KB.activations


def test_label_formats_reference_each_other():
    problems = [f"{f.id}: also {a!r}" for f in KB.label_formats.values() for a in f.also if a not in KB.label_formats]
    assert not problems, "\n".join(problems)


REQUIRED_TASKS = (
    "binary", "multiclass", "multilabel", "regression", "bounded-regression", "robust-regression", "count",
    "quantile", "ordinal", "segmentation", "similarity", "distribution", "sequence",
)  # fmt: skip


@pytest.mark.parametrize("task_id", sorted(KB.tasks))
def test_task_entries_resolve(task_id):
    task = KB.tasks[task_id]
    raw = task.raw
    problems = []
    if raw.get("labels") and raw["labels"] not in KB.label_formats:
        problems.append(f"labels {raw['labels']!r}")
    problems += [f"activation {a!r}" for a in task.activations if a not in KB.activations]
    head = raw.get("head") or {}
    if head.get("activation") and head["activation"] not in KB.activations:
        problems.append(f"head activation {head['activation']!r}")
    for fw, choice in (raw.get("loss") or {}).items():
        if fw not in KB.vocabulary.frameworks:
            problems.append(f"loss framework {fw!r}")
        elif choice and "name" in choice:
            match = KB.find_loss(choice["name"], fw)
            family = KB.vocabulary.family_of(fw)
            if match is None or match.framework not in family:
                problems.append(f"{fw} loss {choice['name']!r} is not a {fw} spelling")
            elif task_id not in match.loss.tasks and not task.special:
                problems.append(f"{fw} loss {choice['name']} does not list task {task_id}")
        elif choice and "custom" not in choice:
            problems.append(f"{fw} loss has neither name nor custom")
    if not task.special and not (raw.get("loss") or {}):
        problems.append("no loss and not special")
    assert not problems, f"{task_id}: " + "; ".join(problems)


def test_required_tasks_and_aliases():
    for task_id in REQUIRED_TASKS + ("detection", "gan", "vae", "diffusion"):
        assert task_id in KB.tasks, task_id
    for alias, task_id in {"multi-class": "multiclass", "binary-classification": "binary", "Multi_Label": "multilabel"}.items():
        assert KB.find_task(alias).id == task_id
    aliases = [(a, t.id) for t in KB.tasks.values() for a in t.aliases]
    clashes = [a for a, tid in aliases if KB.find_task(a).id != tid]
    assert not clashes, f"aliases that resolve to another task: {clashes}"


def test_rule_catalogue_matches_registered_checks():
    registered = set(all_checks())
    catalogue = set(KB.rules)
    engine_only = {"LA001", "LA007"}  # reported by the engine for unreadable input or newer syntax, not by a check
    assert registered == catalogue - engine_only, (registered ^ (catalogue - engine_only))


def test_rules_are_documented_and_well_formed():
    names = set()
    problems = []
    for rule in KB.rules.values():
        if not re.fullmatch(r"LA\d{3}", rule.code):
            problems.append(f"{rule.code}: code shape")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name) or rule.name in names:
            problems.append(f"{rule.code}: name {rule.name!r} not kebab-case or not unique")
        names.add(rule.name)
        if rule.severity not in ("error", "warning", "info"):
            problems.append(f"{rule.code}: severity {rule.severity!r}")
        for section in ("what", "why"):
            if not str(rule.docs.get(section) or "").strip():
                problems.append(f"{rule.code}: docs.{section} missing")
        if not rule.fix:
            problems.append(f"{rule.code}: no fix text")
        problems += [f"{rule.code}: supersedes unknown {c}" for c in rule.supersedes if c not in KB.rules or c == rule.code]
    assert not problems, "\n".join(problems)


def test_rule_codes_are_unique_across_files():
    codes = [r["code"] for r in RAW["checks"]]
    assert len(codes) == len(set(codes))
    files = sorted(p.stem for p in (knowledge.rules_dir() / "checks").glob("*.yaml"))
    assert files == sorted(codes), "each rules/checks/CODE.yaml must hold the rule CODE"


def test_json_cache_round_trip_gives_the_same_knowledge(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSSADVISOR_CACHE_DIR", str(tmp_path))
    knowledge.load.cache_clear()
    try:
        first = knowledge.load()  # parses YAML, writes the cache
        assert list(tmp_path.glob("rules-*.json"))
        knowledge.load.cache_clear()
        second = knowledge.load()  # reads the cache
        assert first.losses == second.losses and first.activations == second.activations and first.rules == second.rules
    finally:
        knowledge.load.cache_clear()


# --------------------------------------------------------------------------- frameworks.yaml

ROLES = {"units", "activation", "identity", "passes", "reshapes", "sequence", "wraps", "differentiates", "contains"}


def test_framework_vocabulary_is_consistent():
    vocabulary = KB.vocabulary
    problems = []
    spellings = [n for fw in vocabulary.frameworks.values() for n in {knowledge.normalize(n) for n in (fw.id, *fw.names)}]
    problems += [f"framework name {n!r} names two frameworks" for n in set(spellings) if spellings.count(n) > 1]
    roots = [r for fw in vocabulary.frameworks.values() for r in fw.imports]
    problems += [f"import root {r!r} belongs to two frameworks" for r in set(roots) if roots.count(r) > 1]
    for fw in vocabulary.frameworks.values():
        if fw.family not in vocabulary.frameworks:
            problems.append(f"{fw.id}: family {fw.family!r} is no framework")
        if fw.inherits and fw.inherits not in vocabulary.frameworks:
            problems.append(f"{fw.id}: inherits {fw.inherits!r}, which is no framework")
        for kind in fw.layers.values():
            if kind.role not in ROLES:
                problems.append(f"{fw.id} {kind.name}: unknown role {kind.role!r}")
            if kind.role == "units" and kind.units is None and kind.name not in ("EinsumDense", "DepthwiseConv1D", "DepthwiseConv2D"):
                problems.append(f"{fw.id} {kind.name}: a unit layer without its units argument")
            if kind.role == "activation" and kind.activation is None and KB.activation_in(kind.name, fw.id) is None:
                problems.append(f"{fw.id} {kind.name}: an activation layer that activations.yaml does not name")
            if kind.role in ("wraps", "differentiates") and kind.layer is None:
                problems.append(f"{fw.id} {kind.name}: a wrapper without its `layer` argument")
            if kind.role == "sequence" and kind.batch_first is None:
                problems.append(f"{fw.id} {kind.name}: a sequence layer needs batch_first (where its batch axis is)")
            if kind.role == "contains" and kind.layers is None and kind.outputs is None:
                problems.append(f"{fw.id} {kind.name}: a container without `layers` or `outputs`")
    assert problems == []


def test_layer_lookup_is_strict_within_a_framework():
    api = KB.vocabulary.api
    assert KB.layer(api("torch.nn.Flatten")).framework == "pytorch"
    assert KB.layer(api("tensorflow.keras.layers.Flatten")).keeps_units
    assert KB.layer(api("keras.src.layers.core.dense.Dense")).role == "units"
    assert KB.layer(api("torch.nn.Dense")) is None  # Keras' name, not PyTorch's
    assert KB.layer(api("keras.layers.Linear")) is None
    assert KB.layer(api("torch.nn.Tanh")).role == "activation"  # a capitalised activation spelling
    assert KB.layer(api("torch.compile")).role == "wraps" and KB.layer(api("torch.nn.compile")) is None


def test_label_sources_name_known_label_formats():
    sets = KB.label_sources["keras_datasets"]["sets"]
    assert all(entry["format"] in KB.label_formats for entry in sets.values())
