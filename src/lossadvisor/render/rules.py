"""`lossadvisor rules` and `lossadvisor rule CODE`: the rule catalogue from rules/checks/, as text,
JSON or Markdown (the docs/rules/ pages are this Markdown)."""

from __future__ import annotations

import json

from lossadvisor import knowledge
from lossadvisor.knowledge import Rule

DOCS_URL = "https://github.com/lossadvisor/lossadvisor/blob/main/docs/rules/{code}.md"


def find_rule(code_or_name: str) -> Rule | None:
    rules = knowledge.load().rules
    return rules.get(code_or_name.upper()) or next((r for r in rules.values() if r.name == code_or_name), None)


def render_rule_list(fmt: str) -> str:
    rules = sorted(knowledge.load().rules.values(), key=lambda r: r.code)
    if fmt == "json":
        return json.dumps([_summary(r) for r in rules], indent=2) + "\n"
    width = max(len(r.name) for r in rules)
    lines = [f"{r.code}  {r.name:<{width}}  {r.severity:<7}  {_first_sentence(r.docs.get('what', ''))}" for r in rules]
    return "\n".join(lines) + "\n"


def _summary(r: Rule) -> dict:
    return {"code": r.code, "name": r.name, "severity": r.severity, "fixable": False, "summary": _first_sentence(r.docs.get("what", "")), "url": DOCS_URL.format(code=r.code)}


def _first_sentence(text: str) -> str:
    text = " ".join(str(text).split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def render_rule_doc(r: Rule, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({**_summary(r), "message": r.message, "fix": r.fix, "docs": r.docs}, indent=2) + "\n"
    return markdown(r)


def markdown(r: Rule) -> str:
    """The rule's page: the same text `lossadvisor rule` prints and docs/rules/CODE.md holds."""
    d = r.docs
    out = [f"# {r.name} ({r.code})", "", f"Default severity: **{r.severity}**.", ""]
    out += ["## What it does", "", _para(d.get("what")), "", "## Why is this bad?", "", _para(d.get("why")), ""]
    if d.get("example"):
        out += ["## Example", "", "```yaml", str(d["example"]).rstrip(), "```", ""]
    if d.get("instead"):
        out += ["Use instead:", "", "```yaml", str(d["instead"]).rstrip(), "```", ""]
    if r.fix:
        out += ["## Fix", "", _para(r.fix[:1].upper() + r.fix[1:] + ("." if not r.fix.endswith(".") else "")), ""]
    if d.get("references"):
        out += ["## References", ""] + [f"- {ref}" for ref in d["references"]] + [""]
    return "\n".join(out)


def _para(text) -> str:
    return " ".join(str(text or "").split())
