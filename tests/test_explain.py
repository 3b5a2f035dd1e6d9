"""`lossadvisor explain`, `compare`, `--code`, `--demo` and `--verify`, as a user runs them."""

from __future__ import annotations

import json
import math

import pytest
from conftest import ROOT, run_cli

from lossadvisor import explain, knowledge, reference


@pytest.mark.parametrize(
    ("name", "loss_id", "framework"),
    [
        ("CrossEntropyLoss", "cross_entropy", "pytorch"),
        ("bce", "binary_crossentropy", "keras"),
        ("tf.keras.losses.SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", "tf_keras"),
        ("optax.sigmoid_binary_cross_entropy", "binary_crossentropy", "jax"),
        ("F.nll_loss", "nll", "pytorch"),
        ("torch.nn.functional.nll_loss", "nll", "pytorch"),
        ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy", "keras"),
    ],
)
def test_any_framework_name_finds_its_loss(name, loss_id, framework):
    match = explain.find(name)
    assert (match.loss.id, match.framework) == (loss_id, framework)


def test_unknown_name_exits_2_with_a_suggestion():
    proc = run_cli("explain", "CrossEntropyLos")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == "lossadvisor: error: unknown loss `CrossEntropyLos`; did you mean `CrossEntropyLoss`? (any framework's name or alias, or a rule code)"


def test_the_spelling_asked_decides_the_prediction_shown():
    logits = explain.explain(explain.find("BCEWithLogitsLoss"))
    probabilities = explain.explain(explain.find("BCELoss"))
    assert logits["prediction"]["form"] == "logits" and probabilities["prediction"]["form"] == "probabilities"
    assert any("BCELoss" in other and other.endswith("take probabilities") for other in logits["prediction"]["other_forms"])


def test_text_output_has_every_section(tmp_path):
    proc = run_cli("explain", "nn.BCEWithLogitsLoss", env={"COLUMNS": "100"})
    assert proc.returncode == 0
    out = proc.stdout
    assert out.startswith("Binary crossentropy · binary_crossentropy\nasked as PyTorch BCEWithLogitsLoss\n")
    for heading in ("Formula ", "Prediction ", "Target ", "Arguments", "Every framework's name", "Relations", "Where the frameworks differ", "Mistakes lossadvisor checks for", "Reference implementation"):
        assert heading in out, heading
    assert "- pos_weight=None (PyTorch)" in out and "- optax: sigmoid_binary_cross_entropy" in out


def test_json_and_markdown_carry_the_latex():
    doc = json.loads(run_cli("explain", "BCELoss", "-f", "json").stdout)
    assert doc["id"] == "binary_crossentropy" and doc["formula"]["latex"].startswith("\\ell")
    assert doc["reference"]["function"] == "lossadvisor.reference.binary_crossentropy"
    markdown = run_cli("explain", "BCELoss", "-f", "markdown").stdout
    assert "$$\n\\ell" in markdown and "### Mistakes lossadvisor checks for" in markdown


def test_mistakes_are_the_rules_that_fire_around_the_loss():
    """Probed, not listed by hand: a logits loss gets the double-activation rule, a probability
    loss the logits-into-probabilities rule, a regression loss neither but the class-ids one."""
    codes = {loss_id: {m["code"] for m in explain.mistakes(loss_id)} for loss_id in ("cross_entropy", "binary_crossentropy", "mean_squared_error")}
    assert {"LA101", "LA201", "LA303"} <= codes["cross_entropy"] or {"LA101", "LA201"} <= codes["cross_entropy"]
    assert {"LA101", "LA102", "LA301", "LA307"} <= codes["binary_crossentropy"]
    assert "LA101" not in codes["mean_squared_error"] and "LA306" in codes["mean_squared_error"]


def test_code_prints_the_reference_function():
    proc = run_cli("explain", "bce", "--code")
    assert proc.returncode == 0
    assert "def binary_crossentropy(y_true, y_pred" in proc.stdout
    namespace: dict = {}
    exec(proc.stdout.split("\n", 1)[1].replace("reduce(values, reduction)", "values.mean()"), {"np": __import__("numpy"), "as_float": reference._common.as_float, "log_sigmoid": reference._common.log_sigmoid}, namespace)  # noqa: S102 - our own printed code
    assert math.isclose(namespace["binary_crossentropy"]([1.0], [0.9]), -math.log(0.9))


def test_a_rule_code_prints_the_rule_and_its_demo():
    proc = run_cli("explain", "LA101", "--demo", env={"COLUMNS": "100"})
    assert proc.returncode == 0
    assert proc.stdout.startswith("# probabilities-into-logits-loss (LA101)")
    floor = math.log(math.e + 9) - 1
    flat = " ".join(proc.stdout.split())
    assert f"log(e + C − 1) − 1 = {floor:.3f} with C = 10" in flat
    assert "−log σ(1) = 0.313" in flat and "* logits into CrossEntropyLoss (right)" in flat
    assert run_cli("explain", "bce", "--demo").returncode == 2  # --demo is for rule codes
    doc = json.loads(run_cli("explain", "LA301", "--demo", "-f", "json").stdout)  # one JSON document
    assert doc["code"] == "LA301" and "-4.289" in doc["demo"]["lines"][0] and len(doc["demo"]["curves"]) == 2


def test_every_loss_is_explained_with_a_reference_or_a_reason():
    entries = explain.explanations()
    functions = reference.functions()
    missing = sorted(set(knowledge.load().losses) - set(entries))
    assert not missing, f"no rules/explain entry: {missing}"
    assert set(functions) == set(knowledge.load().losses)  # one public function per loss id, nothing else
    for loss_id, entry in entries.items():
        assert loss_id in knowledge.load().losses, f"rules/explain/{entry['family']}.yaml: {loss_id} is no loss id"
        assert entry.get("formula") and entry.get("latex"), loss_id
        if entry.get("reference"):
            assert entry["reference"] in functions, f"{loss_id}: no function lossadvisor.reference.{entry['reference']}"
            assert entry.get("compared_with") and entry.get("tolerance"), loss_id
        else:
            assert entry.get("not_closed_form"), f"{loss_id}: neither a reference nor the reason there is none"


# --------------------------------------------------------------------------- compare


def test_compare_side_by_side():
    proc = run_cli("compare", "CrossEntropyLoss", "NLLLoss", env={"COLUMNS": "100"})
    assert proc.returncode == 0
    first = proc.stdout.splitlines()[0]
    assert first.startswith("Loss") and "CrossEntropyLoss (PyTorch)" in first and "| NLLLoss (PyTorch)" in first
    assert "CrossEntropyLoss takes logits, NLLLoss takes log_distribution" in proc.stdout.replace("\n  ", " ")
    same = run_cli("compare", "bce", "BCELoss")
    assert "Both names are the same loss (binary_crossentropy)" in same.stdout
    doc = json.loads(run_cli("compare", "HuberLoss", "SmoothL1Loss", "-f", "json").stdout)
    assert [e["id"] for e in doc["losses"]] == ["huber", "smooth_l1"] and doc["same_loss"] is False


# --------------------------------------------------------------------------- --verify

MINE = '''
import numpy as np

def bce(y_true, y_pred):
    p = np.clip(y_pred, 1e-12, 1 - 1e-12)
    return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))

def bce_unclipped(y_true, y_pred):
    return -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))

def mse_sum(y_true, y_pred):
    return np.sum((y_true - y_pred) ** 2)

def sparse_ce(y_true, y_pred):
    return -np.mean(np.log(y_pred[np.arange(len(y_true)), y_true]))

def sparse_ce_times_id(y_true, y_pred):
    return -np.mean(y_true * np.log(y_pred).sum(axis=1))

def torch_style(input, target):
    import torch
    return torch.nn.functional.binary_cross_entropy(input, target)

def broken(y_true, y_pred):
    return undefined_name + 1
'''


@pytest.fixture
def mine(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(MINE)
    return path


def test_verify_accepts_a_correct_implementation(mine):
    proc = run_cli("explain", "binary_crossentropy", "--verify", f"{mine}:bce")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith(f"{mine}:bce agrees with lossadvisor.reference.binary_crossentropy on all 7 inputs (called as f(y_true, y_pred) with numpy arrays")
    sparse = run_cli("explain", "sparse_categorical_crossentropy", "--verify", f"{mine}:sparse_ce")
    assert sparse.returncode == 0, sparse.stdout + sparse.stderr


def test_verify_finds_the_classic_mistakes_with_their_smallest_input(mine):
    unclipped = run_cli("explain", "bce", "--verify", f"{mine}:bce_unclipped")
    assert unclipped.returncode == 1
    assert "(confident right predictions: probabilities exactly 1 and 0)" in unclipped.stdout and "got      nan" in unclipped.stdout
    assert "hint: a log of 0" in unclipped.stdout
    summed = run_cli("explain", "mean_squared_error", "--verify", f"{mine}:mse_sum")
    assert summed.returncode == 1 and "first on input 1 of" in summed.stdout
    assert "hint: it equals the reference with reduction='sum'" in summed.stdout
    times_id = run_cli("explain", "sparse_categorical_crossentropy", "--verify", f"{mine}:sparse_ce_times_id")
    assert times_id.returncode == 1 and "y_true = [" in times_id.stdout and "expected" in times_id.stdout


@pytest.mark.frameworks
def test_verify_tries_the_other_argument_order_and_torch_tensors(mine):
    pytest.importorskip("torch")
    proc = run_cli("explain", "BCELoss", "--verify", f"{mine}:torch_style")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "called as f(input, target) with torch tensors" in proc.stdout


def test_verify_reports_the_users_errors_not_a_traceback(mine, tmp_path):
    proc = run_cli("explain", "bce", "--verify", f"{mine}:broken")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "NameError: name 'undefined_name' is not defined" in proc.stderr
    missing = run_cli("explain", "bce", "--verify", f"{mine}:nope")
    assert missing.returncode == 2 and "no function 'nope'" in missing.stderr and "bce_unclipped" in missing.stderr
    bad = tmp_path / "bad.py"
    bad.write_text("def f(:\n")
    assert "importing it raised SyntaxError" in run_cli("explain", "bce", "--verify", f"{bad}:f").stderr
    assert run_cli("explain", "bce", "--verify", "nofile.py:f").stderr.strip() == "lossadvisor: error: nofile.py: no such file"


def test_help_says_verify_runs_the_users_code():
    help_text = " ".join(run_cli("explain", "--help", env={"COLUMNS": "200"}).stdout.split())
    assert "IMPORTS FILE.py (running its module code) and calls FUNCTION" in help_text


def test_checking_never_imports_the_reference_or_verify_modules():
    """Only explain runs numpy references or user code: a check stays as light as before."""
    import subprocess
    import sys

    code = "import sys; from lossadvisor.cli import main; sys.argv=['lossadvisor','check','examples/configs']\ntry: main()\nexcept SystemExit: pass\nprint(sorted(m for m in sys.modules if m.startswith(('lossadvisor.reference', 'lossadvisor.verify', 'lossadvisor.explain'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_every_loss_explains_in_every_format():
    """All 70 losses, including those no framework has built in (explained by their id)."""
    from lossadvisor.render import explain as render

    kb = knowledge.load()
    for loss_id in kb.losses:
        match = explain.find(loss_id)
        assert match.loss.id == loss_id
        data = explain.explain(match)
        text = render.render_text(data, kb.forms, width=100)
        assert data["title"] in text and "Prediction" in text and "Reference implementation" in text
        assert "$$" in render.render_markdown(data, kb.forms)
        assert json.loads(render.render_json(data))["id"] == loss_id
        assert all(len(line) <= 100 or " " not in line.strip() for line in text.splitlines())


def test_compare_the_two_forms_of_one_loss():
    out = " ".join(run_cli("compare", "BCELoss", "BCEWithLogitsLoss").stdout.split())
    assert "Both names are the same loss (binary_crossentropy), on a different input:" in out
    assert "BCELoss takes probabilities, BCEWithLogitsLoss takes logits" in out
    assert "BCEWithLogitsLoss(x, y) = BCELoss(sigmoid(x), y)" in out
