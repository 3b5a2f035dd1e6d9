"""Rule documentation: docs/rules/ is generated from rules/checks/ and in sync; every example in the
docs does what it says (the bad one triggers its rule, the corrected one does not); `lossadvisor
rule` / `rules` print the same docs."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, run_cli

from lossadvisor import knowledge
from lossadvisor.engine import check_paths
from lossadvisor.findings import severity_rank
from lossadvisor.render import rules as rule_docs
from lossadvisor.settings import Settings

DOCS = ROOT / "docs" / "rules"
RULES = sorted(knowledge.load().rules.values(), key=lambda r: r.code)
WITH_EXAMPLES = [r for r in RULES if r.docs.get("example")]
# An unreadable file, code for a newer Python and a rule about label files have no native-config example.
NO_CONFIG_EXAMPLE = {"LA001", "LA007", "LA313"}


def test_pages_are_in_sync_with_rules():
    expected = rule_docs.pages()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")}
    stale = sorted(set(on_disk) - set(expected))
    missing = sorted(set(expected) - set(on_disk))
    outdated = sorted(name for name in set(expected) & set(on_disk) if expected[name] != on_disk[name])
    assert not (stale or missing or outdated), (
        f"docs/rules is out of date (stale {stale}, missing {missing}, outdated {outdated}); "
        "run: python -m lossadvisor.render.rules --write docs/rules"
    )


def test_generator_writes_and_prunes(tmp_path):
    (tmp_path / "LA999.md").write_text("old")
    changed = rule_docs.write_pages(tmp_path)
    assert "LA999.md" in changed and not (tmp_path / "LA999.md").exists()
    assert sorted(p.name for p in tmp_path.glob("*.md")) == sorted(rule_docs.pages())
    assert rule_docs.write_pages(tmp_path) == []  # idempotent


def test_every_rule_but_known_exceptions_has_examples():
    assert {r.code for r in RULES if not (r.docs.get("example") and r.docs.get("instead"))} <= NO_CONFIG_EXAMPLE


def _codes_for(tmp_path, text: str, language: str = "yaml") -> list:
    path = tmp_path / ("example.py" if language == "python" else "example.yaml")
    path.write_text(text, encoding="utf-8")
    return check_paths([path], Settings(select=("ALL",))).findings


@pytest.mark.parametrize("rule", WITH_EXAMPLES, ids=lambda r: r.code)
def test_bad_example_triggers_its_rule(tmp_path, rule):
    found = _codes_for(tmp_path, rule.docs["example"], rule.docs.get("language", "yaml"))
    assert rule.code in [f.code for f in found], [f"{f.code} {f.message}" for f in found]


@pytest.mark.parametrize("rule", [r for r in RULES if r.docs.get("instead")], ids=lambda r: r.code)
def test_corrected_example_is_clean(tmp_path, rule):
    found = _codes_for(tmp_path, rule.docs["instead"], rule.docs.get("language", "yaml"))
    assert rule.code not in [f.code for f in found]
    # and the fix does not trade one problem for another (advice at info level may remain)
    assert not [f for f in found if severity_rank(f.severity) >= severity_rank("warning")], [f"{f.code} {f.message}" for f in found]


def test_rule_command_prints_the_page():
    proc = run_cli("rule", "LA101")
    assert proc.returncode == 0
    assert proc.stdout == (DOCS / "LA101.md").read_text(encoding="utf-8")
    assert run_cli("rule", "probabilities-into-logits-loss").stdout == proc.stdout
    assert run_cli("rule", "la101").stdout == proc.stdout


def test_rule_command_json():
    doc = json.loads(run_cli("rule", "LA101", "--format", "json").stdout)
    assert (doc["code"], doc["name"], doc["fixable"]) == ("LA101", "probabilities-into-logits-loss", False)
    assert doc["docs"]["example"] == knowledge.load().rules["LA101"].docs["example"]


def test_unknown_rule_suggests_one():
    proc = run_cli("rule", "LA10l")
    assert proc.returncode == 2 and "did you mean `LA101`?" in proc.stderr


def test_rules_lists_every_rule():
    proc = run_cli("rules", env={"COLUMNS": "300"})
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["CODE", "NAME", "SEVERITY", "FIXABLE", "SUMMARY"]
    rows = [line.split()[:4] for line in lines[1:]]
    assert rows == [[r.code, r.name, r.severity, "no"] for r in RULES]
    listed = json.loads(run_cli("rules", "--format", "json").stdout)
    assert [r["code"] for r in listed] == [r.code for r in RULES]
    assert all(r["url"] is None for r in listed)  # until [project.urls] "Rule docs" is set (test_render)


def test_references_become_links():
    assert rule_docs._reference("pytorch/pytorch#55902") == "[pytorch/pytorch#55902](https://github.com/pytorch/pytorch/issues/55902)"
    assert rule_docs._reference("stackoverflow.com/questions/42081257") == "<https://stackoverflow.com/questions/42081257>"
