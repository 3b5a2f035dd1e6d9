"""`lossadvisor rules` and `lossadvisor rule CODE`: the rule catalogue from rules/checks/, as text,
JSON or Markdown. The Markdown is also each rule's page in docs/rules/ and its SARIF help, so
the rule's docs are written once (in YAML) and shown in four places.

Regenerate the pages after editing rules/checks/ (a test fails while they are out of date):

    python -m lossadvisor.render.rules --write docs/rules
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from lossadvisor import knowledge
from lossadvisor.knowledge import Rule
from lossadvisor.render import docs_url

__all__ = ["find_rule", "render_rule_list", "render_rule_doc", "markdown", "write_pages"]

# lossadvisor reports; it never rewrites files (there is no --fix): every fix is manual, and the
# rule's page says what to change. Codes listed here would be fixable.
AUTOFIX: frozenset[str] = frozenset()
UNSUPPRESSIBLE = ("LA001",)  # an unreadable file is never hidden by a comment
ISSUE_REFERENCE = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)#(?P<number>\d+)$")


def find_rule(code_or_name: str) -> Rule | None:
    rules = knowledge.load().rules
    return rules.get(code_or_name.upper()) or next((r for r in rules.values() if r.name == code_or_name), None)


def _sorted_rules() -> list[Rule]:
    return sorted(knowledge.load().rules.values(), key=lambda r: r.code)


def render_rule_list(fmt: str) -> str:
    rules = _sorted_rules()
    if fmt == "json":
        return json.dumps([_summary(r) for r in rules], indent=2) + "\n"
    width = max(len(r.name) for r in rules)
    rows = [f"{'CODE':<6} {'NAME':<{width}}  {'SEVERITY':<8}  {'FIXABLE':<7}  SUMMARY"]
    for r in rules:
        fixable = "yes" if r.code in AUTOFIX else "no"
        rows.append(f"{r.code:<6} {r.name:<{width}}  {r.severity:<8}  {fixable:<7}  {first_sentence(r.docs.get('what', ''))}")
    return "\n".join(rows) + "\n"


def _summary(r: Rule) -> dict:
    return {
        "code": r.code, "name": r.name, "severity": r.severity, "fixable": r.code in AUTOFIX,
        "summary": first_sentence(r.docs.get("what", "")), "url": docs_url(r.code),
    }  # fmt: skip


ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.")  # a full stop that does not end a sentence


def first_sentence(text: str) -> str:
    text = " ".join(str(text).split())
    start = 0
    while (end := text.find(". ", start)) >= 0:
        if not any(text[: end + 1].endswith(a) for a in ABBREVIATIONS):
            return text[: end + 1]
        start = end + 2
    return text


def render_rule_doc(r: Rule, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({**_summary(r), "message": r.message, "fix": r.fix, "docs": r.docs}, indent=2) + "\n"
    return markdown(r)


def _fix_sentence(r: Rule) -> str:
    return (r.fix[:1].upper() + r.fix[1:] + ("" if r.fix.endswith(".") else ".")) if r.fix else ""


def plain_text(r: Rule) -> str:
    """What, why and the fix as plain text (SARIF `help.text`)."""
    parts = [_para(r.docs.get("what")), _para(r.docs.get("why")), _fix_sentence(r)]
    return "\n\n".join(p for p in parts if p)


def markdown(r: Rule) -> str:
    """The rule's page: the same text `lossadvisor rule` prints and docs/rules/CODE.md holds."""
    d = r.docs
    out = [f"# {r.name} ({r.code})", "", f"Default severity: **{r.severity}**.", ""]
    out += ["## What it does", "", _para(d.get("what")), "", "## Why is this bad?", "", _para(d.get("why")), ""]
    fence = f"```{d.get('language', 'yaml')}"  # examples are native configs unless the rule says python
    if d.get("example"):
        out += ["## Example", "", fence, str(d["example"]).rstrip(), "```", ""]
    if d.get("instead"):
        out += ["Use instead:", "", fence, str(d["instead"]).rstrip(), "```", ""]
    if r.fix:
        out += ["## Fix", "", _fix_sentence(r), ""]
    out += ["## Turning it off", "", _turning_off(r), ""]
    if d.get("references"):
        out += ["## References", ""] + [f"- {_reference(ref)}" for ref in d["references"]] + [""]
    return "\n".join(out)


def _turning_off(r: Rule) -> str:
    if r.code in UNSUPPRESSIBLE:
        return "This finding cannot be suppressed: it means a file was not checked (exit status 2). Use `exclude` to skip the file."
    return (
        f"On one line: `# noqa: {r.code}` (Python, YAML, notebook cells). In a whole file: "
        f"`# lossadvisor: noqa: {r.code}`. Everywhere: `ignore = [\"{r.code}\"]` in `[tool.lossadvisor]`, "
        f"or `per-file-ignores` for files without comments (JSON, label files, archives)."
    )


def _reference(ref: str) -> str:
    """`owner/repo#123` becomes a link to the issue; a bare host/path becomes an https link."""
    if m := ISSUE_REFERENCE.match(ref):
        return f"[{ref}](https://github.com/{m['repo']}/issues/{m['number']})"
    if re.match(r"^[\w.-]+\.[a-z]{2,}/", ref):
        return f"<https://{ref}>"
    return ref


def _para(text) -> str:
    return " ".join(str(text or "").split())


# --------------------------------------------------------------------------- docs/rules/


def index_page() -> str:
    rows = [f"| [{r.code}]({r.code}.md) | {r.name} | {r.severity} | {first_sentence(r.docs.get('what', ''))} |" for r in _sorted_rules()]
    head = [
        "# Rules", "",
        "Generated from `rules/checks/*.yaml` by `python -m lossadvisor.render.rules --write docs/rules`;",
        "`lossadvisor rules` lists the same, and `lossadvisor rule CODE` prints a page.", "",
        "| code | name | default severity | what it finds |", "|---|---|---|---|",
    ]  # fmt: skip
    return "\n".join(head + rows) + "\n"


def pages() -> dict[str, str]:
    """File name -> content of every generated page."""
    out = {f"{r.code}.md": markdown(r) for r in _sorted_rules()}
    out["README.md"] = index_page()
    return out


def write_pages(folder: Path) -> list[str]:
    """Write the pages, delete stale ones; returns the names that changed."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    changed = []
    for name, text in wanted.items():
        target = folder / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(name)
    for stale in folder.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
            changed.append(stale.name)
    return changed


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "--write":
        print("usage: python -m lossadvisor.render.rules --write docs/rules", file=sys.stderr)
        return 2
    changed = write_pages(Path(argv[1]))
    print(f"{len(changed)} page(s) updated in {argv[1]}" + (f": {', '.join(changed)}" if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
