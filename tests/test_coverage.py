"""Silence means "checked and clean": every run says what it checked, what held nothing to check
(and why), and what could not be read, in every output format."""

from __future__ import annotations

import json

import pytest
from cli_samples import DOUBLE_SOFTMAX, write
from conftest import run_cli

from lossadvisor import render as render_package
from lossadvisor.findings import Coverage, Finding
from lossadvisor.render import json as json_render
from lossadvisor.render import sarif, text

CLEAN = "framework: pytorch\nmodel:\n  output: {units: 10, activation: linear}\nloss:\n  name: CrossEntropyLoss\n"
WORKFLOW = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".git").mkdir()  # the search for a configuration file stops here
    return tmp_path


def test_a_requirements_file_is_not_all_clear(project):
    write(project, "requirements.txt", "numpy\ntorch>=2\n")
    proc = run_cli("check", "requirements.txt", cwd=project)
    assert proc.returncode == 0
    first, last = proc.stdout.splitlines()
    assert first.startswith("requirements.txt: nothing to check: read as text labels, with no loss or model")
    assert last == "Nothing checked: 1 file had nothing to check."


def test_a_ci_workflow_is_not_a_training_config(project):
    write(project, ".github/workflows/ci.yml", WORKFLOW)
    proc = run_cli("check", ".github/workflows/ci.yml", cwd=project)
    assert proc.returncode == 0 and "All clear" not in proc.stdout
    assert proc.stdout.splitlines()[0].startswith(".github/workflows/ci.yml: nothing to check: not a training config")


def test_an_unknown_file_type_named_on_the_command_line(project):
    write(project, "README.md", "# notes\n")
    proc = run_cli("check", "README.md", cwd=project)
    assert (proc.returncode, proc.stdout) == (0, "README.md: nothing to check: lossadvisor does not read '.md' files\nNothing checked: 1 file had nothing to check.\n")


def test_yaml_on_standard_input_without_a_name_says_it_was_read_as_python(project):
    proc = run_cli("check", "-", stdin=WORKFLOW, cwd=project)
    assert proc.returncode == 0
    line, summary = proc.stdout.splitlines()
    assert line.startswith("stdin.py: nothing to check: no loss or model found (read as Python") and "--stdin-filename" in line
    assert summary == "Nothing checked: 1 file had nothing to check."
    named = run_cli("check", "-", "--stdin-filename", "train.yaml", stdin=DOUBLE_SOFTMAX, cwd=project)
    assert named.returncode == 1 and named.stdout.splitlines()[-1] == "Found 1 problem (1 error) in 1 checked file."


def test_an_empty_folder(project):
    (project / "empty").mkdir()
    proc = run_cli("check", "empty", cwd=project)
    assert (proc.returncode, proc.stdout) == (0, "Nothing checked: no file lossadvisor reads was found.\n")


def test_a_mixed_tree_counts_each_kind_and_v_lists_the_others(project):
    write(project, "conf/train.yaml", DOUBLE_SOFTMAX)
    write(project, "conf/clean.yaml", CLEAN)
    write(project, ".github/workflows/ci.yml", WORKFLOW)
    write(project, "src/util.py", "import os\nprint(os.getcwd())\n")
    write(project, "conf/broken.yaml", "loss: {name: [\n")  # ours (a loss key) and broken
    write(project, "deploy/chart.yaml", "spec: {{ .Values.x }\n  - [\n")  # broken, not ours: a Helm template
    proc = run_cli("check", ".", cwd=project)
    assert proc.returncode == 2
    assert proc.stdout.splitlines()[-1] == (
        "Found 2 problems (2 errors) in 2 checked files; 3 files had nothing to check (-v lists them); 1 file could not be read."
    )
    assert "nothing to check" not in proc.stdout.replace("had nothing to check", "")
    verbose = run_cli("check", ".", "-v", cwd=project).stdout.splitlines()
    listed = [line for line in verbose if ": nothing to check: " in line]
    assert [line.split(":")[0] for line in listed] == [".github/workflows/ci.yml", "deploy/chart.yaml", "src/util.py"]
    assert "invalid YAML" in listed[1] and "nothing in it looks like a training config" in listed[1]
    assert listed[2].endswith("no loss or model found")
    assert verbose[-1].endswith("3 files had nothing to check; 1 file could not be read.")
    doc = json.loads(run_cli("check", ".", "-f", "json", cwd=project).stdout)
    assert doc["files"] == {"checked": 2, "nothing_to_check": 3, "unreadable": 1} and doc["files_checked"] == 2
    assert [entry["path"] for entry in doc["not_checked"]] == [".github/workflows/ci.yml", "deploy/chart.yaml", "src/util.py"]
    log = json.loads(run_cli("check", ".", "-f", "sarif", cwd=project).stdout)
    assert log["runs"][0]["properties"] == {"filesChecked": 2, "filesWithNothingToCheck": 3, "filesUnreadable": 1}


def test_a_github_issue_form_is_not_a_malformed_config(project):
    """`labels: [bug]` is the issue form's schema, not ours: no "invalid input" (exit 2)."""
    write(project, ".github/ISSUE_TEMPLATE/bug.yml", "name: Bug\ndescription: report\nlabels: [bug, triage]\nbody: []\n")
    write(project, "app/config.json", '{"model": "model.tflite", "labels": ["cat", "dog"]}\n')
    proc = run_cli("check", ".", "-v", cwd=project)
    assert proc.returncode == 0 and "LA001" not in proc.stdout
    assert proc.stdout.splitlines()[-1] == "Nothing checked: 2 files had nothing to check."
    ours = run_cli("check", "-", "--stdin-filename", "t.yaml", stdin="loss: {name: CrossEntropyLoss}\nlabels: [bug]\n", cwd=project)
    assert ours.returncode == 2 and "`labels` must be a mapping" in ours.stdout  # a config of ours, malformed


def test_a_clean_run_says_how_many_files_it_checked(project):
    write(project, "train.yaml", CLEAN)
    write(project, "notes.yaml", "title: notes\n")
    proc = run_cli("check", ".", cwd=project)
    assert (proc.returncode, proc.stdout) == (0, "All clear: no problems in 1 checked file; 1 file had nothing to check (-v lists them).\n")


def test_github_format_notes_a_named_file_with_nothing_to_check(project):
    write(project, "requirements.txt", "numpy\ntorch\n")
    proc = run_cli("check", "requirements.txt", "-f", "github", cwd=project)
    assert proc.stdout.startswith("::notice file=requirements.txt,title=lossadvisor%3A nothing to check::read as text labels")


# --------------------------------------------------------------------------- renderers


COVERAGE = Coverage(checked=3, not_checked=(("a.md", "lossadvisor does not read '.md' files", True), ("b/c.py", "no loss or model found", False)), unreadable=1)
FINDING = Finding("LA101", "probabilities-into-logits-loss", "error", "double softmax", "t.yaml", 5, 3)


def test_text_summary_lists_named_files_always_and_walked_ones_with_v():
    plain = text.render([FINDING], coverage=COVERAGE).splitlines()
    assert plain[1:] == [
        "a.md: nothing to check: lossadvisor does not read '.md' files",
        "Found 1 problem (1 error) in 3 checked files; 2 files had nothing to check (-v lists them); 1 file could not be read.",
    ]
    verbose = text.render([FINDING], coverage=COVERAGE, verbose=True).splitlines()
    assert verbose[2] == "b/c.py: nothing to check: no loss or model found" and "(-v lists them)" not in verbose[-1]
    assert text.render([FINDING], coverage=COVERAGE, quiet=True).splitlines() == [plain[0]]


def test_sarif_notes_named_files_and_counts_all(monkeypatch):
    log = json.loads(sarif.render([FINDING], coverage=COVERAGE))
    (invocation,) = log["runs"][0]["invocations"]
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "note" and note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.md"
    assert log["runs"][0]["properties"]["filesWithNothingToCheck"] == 2


def test_rule_urls_come_from_one_setting(monkeypatch):
    """No URL until `[project.urls] "Rule docs"` names where the pages are published; then that."""
    from lossadvisor import knowledge

    assert render_package.RULE_DOCS_KEY not in render_package.project_urls()
    assert json.loads(json_render.render([FINDING], coverage=COVERAGE))["findings"][0]["url"] is None
    assert "helpUri" not in sarif.descriptor(knowledge.load().rules["LA101"])
    monkeypatch.setattr(render_package, "project_urls", lambda: {"Rule docs": "https://example.org/rules/{code}.html"})
    assert json.loads(json_render.render([FINDING], coverage=COVERAGE))["findings"][0]["url"] == "https://example.org/rules/LA101.html"
    assert sarif.descriptor(knowledge.load().rules["LA101"])["helpUri"] == "https://example.org/rules/LA101.html"
