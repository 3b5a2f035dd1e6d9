"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run; the driver lists the rules that fired, described from their docs (rules/checks/*.yaml):
shortDescription is the first sentence of "what", fullDescription all of it, help the rule's page
(the same Markdown as docs/rules/CODE.md) and helpUri that page's address, where one is set
(render/__init__.py, RULE_DOCS_KEY). The run's properties count the files checked, those with
nothing to check and those unreadable; each file named on the command line that held nothing to
check is a note in the invocation's toolExecutionNotifications. Regions are 1-based;
inputs without lines (label arrays, archives) and notebook cells point at line 1, with the cell
named in the message. Fields and limits follow GitHub's "SARIF support for code scanning".
"""

from __future__ import annotations

import json
from urllib.parse import quote

from lossadvisor.findings import Coverage, Finding
from lossadvisor.render import HOMEPAGE_KEY, docs_url, file_position, flat_message, project_urls

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "info": "recommendation"}
MAX_DESCRIPTION = 1024  # GitHub's limit for shortDescription and fullDescription


def _limit(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def descriptor(rule) -> dict:
    from lossadvisor.render.rules import first_sentence, markdown, plain_text

    what = rule.docs.get("what") or rule.name
    described = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _limit(first_sentence(what))},
        "fullDescription": {"text": _limit(what)},
        "help": {"text": plain_text(rule), "markdown": markdown(rule)},
        "helpUri": docs_url(rule.code),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["lossadvisor", "correctness"], "precision": "high", "problem.severity": PROBLEM_SEVERITY[rule.severity]},
    }
    return {key: value for key, value in described.items() if value is not None}


def artifact_uri(path: str) -> str:
    """A relative URI reference as GitHub wants it (`src/train.yaml`), or a file: URI. A file name
    that is not UTF-8 keeps its own bytes, percent-encoded (`bad%FF.yaml`)."""
    import os
    from pathlib import Path

    posix = path.replace("\\", "/")
    while posix.startswith("./"):
        posix = posix[2:]
    if Path(path).is_absolute():
        return "file://" + quote(os.fsencode(os.path.abspath(posix)))
    return quote(os.fsencode(posix))


def result(f: Finding, rule_index: int) -> dict:
    line, column = file_position(f)
    region = {"startLine": line, "startColumn": column} if line is not None else {"startLine": 1}
    if line is not None and f.end_line is not None:
        region["endLine"] = f.end_line
        if f.end_column is not None:
            region["endColumn"] = f.end_column
    found = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": flat_message(f)},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": artifact_uri(f.path)}, "region": region}}],
    }
    other = f.related
    if other is not None and other.cell is None and other.line is not None:  # a notebook cell has no file line
        where = {"startLine": other.line, "startColumn": other.column or 1}
        found["relatedLocations"] = [{
            "id": 1, "message": {"text": "the other half of the mismatch"},
            "physicalLocation": {"artifactLocation": {"uri": artifact_uri(other.path)}, "region": where},
        }]  # fmt: skip
    return found


def render(findings: list[Finding], *, coverage: Coverage = Coverage(), **_: object) -> str:
    from lossadvisor import __version__, knowledge

    rules = knowledge.load().rules
    fired = sorted({f.code for f in findings})
    index = {code: i for i, code in enumerate(fired)}
    driver = {"name": "lossadvisor", "version": __version__, "semanticVersion": __version__}
    if homepage := project_urls().get(HOMEPAGE_KEY):
        driver["informationUri"] = homepage
    invocation: dict = {"executionSuccessful": not any(f.code == "LA001" for f in findings)}
    notes = [
        {"level": "note", "message": {"text": f"nothing to check: {why}"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": artifact_uri(path)}}}]}
        for path, why, named in coverage.not_checked if named
    ]  # fmt: skip
    if notes:
        invocation["toolExecutionNotifications"] = notes
    run = {
        "tool": {"driver": {**driver, "rules": [descriptor(rules[code]) for code in fired]}},
        "invocations": [invocation],
        "results": [result(f, index[f.code]) for f in findings],
        "properties": {"filesChecked": coverage.checked, "filesWithNothingToCheck": len(coverage.not_checked), "filesUnreadable": coverage.unreadable},
    }  # fmt: skip
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
