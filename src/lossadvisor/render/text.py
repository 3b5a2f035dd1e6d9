"""`path:line:col: CODE [severity] message`, one finding per line, then a summary line.

`--show-source` adds the offending line and a caret under the column; `--statistics` prints one
line per rule (count, code, name) instead of the findings; `quiet` drops the summary.

Colour is plain ANSI SGR codes when the CLI asks for it (the decision is the CLI's): four styles do
not need rich, and importing rich would cost ~40 ms on every coloured pre-commit run (pre-commit
gives hooks a terminal when it colours its own output).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from lossadvisor.findings import Finding

STYLES = {"error": "1;31", "warning": "33", "info": "36", "location": "1", "summary": "1", "gutter": "2"}


def summary(findings: list[Finding], files_checked: int) -> str:
    files = f"{files_checked} file{'s' if files_checked != 1 else ''}"
    if not findings:
        return f"All clear: no problems in {files}."
    counts = Counter(f.severity for f in findings)
    parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}" for s in ("error", "warning", "info") if counts[s]]
    total = len(findings)
    return f"Found {total} problem{'s' if total != 1 else ''} ({', '.join(parts)}) in {files}."


def _painter(color: bool) -> Callable[[str, str], str]:
    if not color:
        return lambda text, style: text
    return lambda text, style: f"\x1b[{STYLES[style]}m{text}\x1b[0m"


def line(f: Finding, paint: Callable[[str, str], str] = _painter(False)) -> str:
    return f"{paint(f.location, 'location')}: {paint(f.code, f.severity)} {paint(f'[{f.severity}]', f.severity)} {f.message}"


def source_excerpt(f: Finding, source: str, paint: Callable[[str, str], str] = _painter(False)) -> list[str]:
    """The offending line under a gutter with its number, and a caret under the column (tabs kept,
    so the caret lines up however the terminal expands them)."""
    source = source.rstrip("\r\n")
    number = str(f.line)
    column = max(1, f.column or 1)
    padding = "".join(ch if ch == "\t" else " " for ch in source[: column - 1])
    width = f.end_column - column if f.end_line == f.line and f.end_column and f.end_column > column else 1
    gutter = paint(f"{' ' * len(number)} |", "gutter")
    return [f"{paint(f'{number} |', 'gutter')} {source}", f"{gutter} {padding}{paint('^' * width, f.severity)}"]


def render(
    findings: list[Finding], *, files_checked: int, color: bool = False, quiet: bool = False, statistics: bool = False,
    source_line: Callable[[Finding], str | None] | None = None, **_: object,
) -> str:  # fmt: skip
    from lossadvisor.render import statistics as count_by_rule

    paint = _painter(color)
    out: list[str] = []
    if statistics:
        out += [f"{count:>5}  {paint(code, 'location')}  {name}" for count, code, name in count_by_rule(findings)]
    else:
        for f in findings:
            out.append(line(f, paint))
            source = source_line(f) if source_line is not None and f.line is not None else None
            if source is not None:
                out += source_excerpt(f, source, paint)
    if not quiet:
        out.append(paint(summary(findings, files_checked), "summary"))
    return "\n".join(out) + "\n" if out else ""
