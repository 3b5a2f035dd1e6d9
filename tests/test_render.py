"""Renderers: SARIF against the official 2.1.0 schema, GitHub workflow-command escaping, the text
layout (source excerpt, statistics, colour) and JSON."""

from __future__ import annotations

import os

import json
import pytest
from cli_samples import DOUBLE_SOFTMAX, MALFORMED, MISSPELT_LOSS, write
from conftest import ROOT, run_cli

from lossadvisor import knowledge
from lossadvisor.facts import Position
from lossadvisor.findings import Coverage, Finding
from lossadvisor.render import github, render, sarif, text

SARIF_SCHEMA = ROOT.parent / "shared/data/sarif-schema-2.1.0.json"


def finding(code="LA101", severity="error", message="`CrossEntropyLoss` applies softmax itself", path="configs/train.yaml", **where) -> Finding:
    name = knowledge.load().rules[code].name
    return Finding(code, name, severity, message, path, **where)


FINDINGS = [
    finding(line=5, column=3, related=Position("configs/train.yaml", 3, 23)),
    finding("LA002", "warning", "unknown loss `x`", line=2, column=1, end_line=2, end_column=9),
    finding("LA301", "error", "class ids into BCE", path="labels.npy"),  # no lines
    finding("LA501", "info", "fused form is stabler", path="nb/train.ipynb", line=4, column=7, cell=3),
    finding("LA101", "error", "again", path="dir with space/ü.yaml", line=1, column=1),
]


# --------------------------------------------------------------------------- SARIF


@pytest.fixture(scope="module")
def sarif_validator():
    if not SARIF_SCHEMA.exists():
        missing = f"the SARIF schema is not at {SARIF_SCHEMA} (the shared/data folder beside the clone)"
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI always has shared/ beside the clone: never skip validation there
        pytest.skip(missing)
    import jsonschema

    return jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text()), format_checker=jsonschema.FormatChecker())


def _valid(validator, log: dict) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_sarif_is_valid_and_complete(sarif_validator):
    log = json.loads(sarif.render(FINDINGS, coverage=Coverage(checked=4)))
    _valid(sarif_validator, log)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["LA002", "LA101", "LA301", "LA501"]  # the rules that fired, once each
    kb = knowledge.load().rules
    for r in rules:
        assert r["name"] == kb[r["id"]].name
        assert r["fullDescription"]["text"] == " ".join(kb[r["id"]].docs["what"].split())
        assert r["help"]["markdown"].startswith(f"# {kb[r['id']].name} ({r['id']})")
        assert all(len(r[k]["text"]) <= 1024 for k in ("shortDescription", "fullDescription"))
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    regions = [res["locations"][0]["physicalLocation"]["region"] for res in run["results"]]
    assert regions[0] == {"startLine": 5, "startColumn": 3}
    assert regions[1] == {"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 9}
    assert regions[2] == {"startLine": 1}  # no lines: the file's first line
    assert regions[3] == {"startLine": 1}  # a notebook cell's line is not a line of the .ipynb file
    assert run["results"][3]["message"]["text"] == "cell 3, line 4: fused form is stabler"
    assert [res["level"] for res in run["results"]] == ["error", "warning", "error", "note", "error"]
    uris = [res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in run["results"]]
    assert uris[0] == "configs/train.yaml" and uris[4] == "dir%20with%20space/%C3%BC.yaml"
    (related,) = run["results"][0]["relatedLocations"]  # the softmax the loss finding is about
    assert related["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 23}
    assert all("relatedLocations" not in res for res in run["results"][1:])


def test_sarif_without_findings_is_valid(sarif_validator):
    log = json.loads(sarif.render([], coverage=Coverage()))
    _valid(sarif_validator, log)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_sarif_from_the_cli(sarif_validator, tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path, "train.yaml", DOUBLE_SOFTMAX)
    write(tmp_path, "typo.yaml", MISSPELT_LOSS)
    write(tmp_path, "broken.yaml", MALFORMED)
    proc = run_cli("check", ".", "--format", "sarif", cwd=tmp_path)
    assert proc.returncode == 2
    log = json.loads(proc.stdout)
    _valid(sarif_validator, log)
    assert sorted(r["ruleId"] for r in log["runs"][0]["results"]) == ["LA001", "LA002", "LA101"]
    assert log["runs"][0]["invocations"] == [{"executionSuccessful": False}]  # a file was not checked


# --------------------------------------------------------------------------- GitHub


def test_github_commands():
    lines = github.render(FINDINGS).splitlines()
    assert lines[0] == "::error file=configs/train.yaml,line=5,col=3,title=LA101 probabilities-into-logits-loss::`CrossEntropyLoss` applies softmax itself"
    assert lines[1].startswith("::warning file=configs/train.yaml,line=2,col=1,endLine=2,endColumn=9,title=LA002 ")
    assert lines[2].startswith("::error file=labels.npy,title=LA301 ")  # no line, no col
    assert lines[3] == "::notice file=nb/train.ipynb,title=LA501 prefer-logits-form::cell 3, line 4: fused form is stabler"


def test_github_escaping():
    tricky = finding(message="100% sure:\r\nline two, really", path="./a,b:c%.yaml", line=1, column=1)
    assert github.command(tricky) == (
        "::error file=a%2Cb%3Ac%25.yaml,line=1,col=1,title=LA101 probabilities-into-logits-loss::100%25 sure:%0D%0Aline two, really"
    )


# --------------------------------------------------------------------------- text and JSON


def test_text_source_excerpt_keeps_tabs():
    f = finding(line=12, column=4)
    assert text.source_excerpt(f, "\tx = softmax\n") == ["12 | \tx = softmax", "   | \t  ^"]
    spanning = f._replace(end_line=12, end_column=8)
    assert text.source_excerpt(spanning, "\tx = softmax") == ["12 | \tx = softmax", "   | \t  ^^^^"]


def test_text_without_colour_has_no_escape_codes_and_with_colour_the_same_words():
    plain = text.render(FINDINGS, coverage=Coverage(checked=4))
    coloured = text.render(FINDINGS, coverage=Coverage(checked=4), color=True)
    assert "\x1b[" not in plain and "\x1b[1;31mLA101\x1b[0m" in coloured
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
    assert plain.splitlines()[2] == "labels.npy: LA301 [error] class ids into BCE"
    assert plain.splitlines()[3].startswith("nb/train.ipynb:cell 3:4:7: LA501 [info]")
    assert plain.splitlines()[-1] == "Found 5 problems (3 errors, 1 warning, 1 info) in 4 checked files."


def test_text_statistics():
    assert text.render(FINDINGS, coverage=Coverage(checked=4), statistics=True, quiet=True).splitlines() == [
        "    2  LA101  probabilities-into-logits-loss",
        "    1  LA002  unknown-loss",
        "    1  LA301  class-ids-to-binary-loss",
        "    1  LA501  prefer-logits-form",
    ]


def test_json_is_the_findings_verbatim():
    doc = json.loads(render("json", FINDINGS, coverage=Coverage(checked=4)))
    assert doc["files_checked"] == 4 and doc["summary"] == {"error": 3, "warning": 1, "info": 1}
    assert [f["code"] for f in doc["findings"]] == [f.code for f in FINDINGS]
    assert doc["findings"][2]["line"] is None and doc["findings"][3]["cell"] == 3
    assert doc["statistics"][0] == {"code": "LA101", "name": "probabilities-into-logits-loss", "count": 2}


def test_machine_formats_ignore_colour():
    for fmt in ("json", "sarif", "github"):
        assert "\x1b[" not in render(fmt, FINDINGS, coverage=Coverage(checked=4), color=True)

