"""One JSON object: {"tool", "version", "files_checked", "files", "not_checked", "summary",
"statistics", "findings": [...]}.

`files` counts the files read: {"checked", "nothing_to_check", "unreadable"} (`files_checked` is
its "checked"); `not_checked` lists each file with nothing to check as {"path", "reason"}.
Each finding: code, name, severity, message, path, line, column (1-based; null where the input has
no lines), end_line, end_column, cell (notebook cell, 1-based, or null), fix (what to use instead),
url (the rule's documentation, or null until the project publishes it: render/__init__.py),
related (where the other half of the mismatch is written, {"path", "line", "column", "cell"},
or null).
`statistics` counts findings per rule, most frequent first.
"""

from __future__ import annotations

import json
from collections import Counter

from lossadvisor.findings import Coverage, Finding
from lossadvisor.render import docs_url, statistics


def finding_dict(f: Finding) -> dict:
    return {
        "code": f.code, "name": f.name, "severity": f.severity, "message": f.message, "path": f.path,
        "line": f.line, "column": f.column, "end_line": f.end_line, "end_column": f.end_column,
        "cell": f.cell, "fix": f.fix, "url": docs_url(f.code), "related": _related(f),
    }  # fmt: skip


def _related(f: Finding) -> dict | None:
    other = f.related
    return None if other is None else {"path": other.path, "line": other.line, "column": other.column, "cell": other.cell}


def render(findings: list[Finding], *, coverage: Coverage, **_: object) -> str:
    from lossadvisor import __version__

    counts = Counter(f.severity for f in findings)
    doc = {
        "tool": "lossadvisor",
        "version": __version__,
        "files_checked": coverage.checked,
        "files": {"checked": coverage.checked, "nothing_to_check": len(coverage.not_checked), "unreadable": coverage.unreadable},
        "not_checked": [{"path": path, "reason": why} for path, why, _named in coverage.not_checked],
        "summary": {"error": counts["error"], "warning": counts["warning"], "info": counts["info"]},
        "statistics": [{"code": code, "name": name, "count": n} for n, code, name in statistics(findings)],
        "findings": [finding_dict(f) for f in findings],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
