"""`# noqa` comments, flake8/ruff style, in Python and YAML (and notebook cells):

    loss = nn.CrossEntropyLoss()  # noqa: LA101        this line, this code (or prefix, LA1)
    loss = nn.CrossEntropyLoss()  # noqa               this line, every code
    return F.softmax(x, dim=1)  # noqa: LA101        the other half of a finding's mismatch works too
    # lossadvisor: noqa                                 the whole file
    # lossadvisor: noqa: LA501, LA502                   the whole file, these codes

Codes are case-insensitive and separated by commas or spaces. JSON, archives and label files
cannot hold comments: use `per-file-ignores` for them.
"""

from __future__ import annotations

import re
from functools import cache

from lossadvisor.findings import Finding

CODES = r"(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?"
ALL = ("",)  # the empty prefix matches every code


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(line noqa, file-level noqa), compiled on first use: most files have no `noqa` at all, and
    compiling costs more than the rest of this module."""
    return re.compile(r"#\s*noqa" + CODES, re.IGNORECASE), re.compile(r"#\s*lossadvisor:\s*noqa" + CODES, re.IGNORECASE)


def _codes(match: re.Match[str]) -> tuple[str, ...]:
    codes = match.group("codes")
    return tuple(c.upper() for c in re.split(r"[,\s]+", codes.strip())) if codes else ALL


def _covers(codes: tuple[str, ...], code: str) -> bool:
    return any(code.startswith(c) for c in codes)


def file_level(lines: list[str]) -> tuple[str, ...]:
    """Codes a file-level `# lossadvisor: noqa[: …]` comment suppresses (() if none)."""
    found: list[str] = []
    for line in lines:
        if "noqa" in line.lower() and (m := _patterns()[1].search(line)):
            found.extend(_codes(m))
    return tuple(found)


def line_level(line: str) -> tuple[str, ...]:
    if "noqa" not in line.lower():
        return ()
    noqa, file_noqa = _patterns()
    if file_noqa.search(line):
        return ()
    m = noqa.search(line)
    return _codes(m) if m else ()


def apply(findings: list[Finding], lines_by_cell: dict[int | None, list[str]]) -> list[Finding]:
    """Drop findings suppressed by comments. `lines_by_cell` maps a notebook cell (None for plain
    files) to its source lines. LA001 (unreadable input) is never suppressed."""
    everywhere = file_level([l for lines in lines_by_cell.values() for l in lines])
    kept = []
    for f in findings:
        if f.code == "LA001":
            kept.append(f)
            continue
        if everywhere and _covers(everywhere, f.code):
            continue
        if _noqa_at(lines_by_cell, f.cell, f.line, f.code):
            continue
        other = f.related
        if other is not None and other.path == f.path and _noqa_at(lines_by_cell, other.cell, other.line, f.code):
            continue  # a mismatch has two halves, and either line may carry the comment
        kept.append(f)
    return kept


def _noqa_at(lines_by_cell: dict[int | None, list[str]], cell: int | None, line: int | None, code: str) -> bool:
    lines = lines_by_cell.get(cell, [])
    return line is not None and 1 <= line <= len(lines) and _covers(line_level(lines[line - 1]), code)
