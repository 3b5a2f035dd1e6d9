"""`path:line:col: CODE [severity] message`, one finding per line, then a summary line.

`--show-source` adds the offending line and a caret under the column; `--statistics` prints one
line per rule (count, code, name) instead of the findings. Before the summary, one line for each
file named on the command line that held nothing to check (with -v, for every such file), saying
why; `quiet` drops these and the summary.

Colour is plain ANSI SGR codes when the CLI asks for it (the decision is the CLI's): four styles do
not need rich, and importing rich would cost ~40 ms on every coloured pre-commit run (pre-commit
gives hooks a terminal when it colours its own output).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from lossadvisor.findings import Coverage, Finding

STYLES = {"error": "1;31", "warning": "33", "info": "36", "location": "1", "summary": "1", "gutter": "2"}


def _files(n: int, kind: str = "") -> str:
    return f"{n} {kind}file{'s' if n != 1 else ''}"


def summary(findings: list[Finding], coverage: Coverage, verbose: bool = False) -> str:
    """One line: the findings, then what was read. Never "All clear" when nothing was checked."""
    others = []
    if coverage.not_checked:
        listed = verbose or all(named for _, _, named in coverage.not_checked)
        others.append(f"{_files(len(coverage.not_checked))} had nothing to check{'' if listed else ' (-v lists them)'}")
    if coverage.unreadable:
        others.append(f"{_files(coverage.unreadable)} could not be read")
    tail = "".join(f"; {part}" for part in others)
    if findings:
        counts = Counter(f.severity for f in findings)
        parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}" for s in ("error", "warning", "info") if counts[s]]
        total = len(findings)
        where = f" in {_files(coverage.checked, 'checked ')}" if coverage.checked else ""
        return f"Found {total} problem{'s' if total != 1 else ''} ({', '.join(parts)}){where}{tail}."
    if not coverage.checked:
        return f"Nothing checked: {'; '.join(others) if others else 'no file lossadvisor reads was found'}."
    return f"All clear: no problems in {_files(coverage.checked, 'checked ')}{tail}."


def not_checked_lines(coverage: Coverage, verbose: bool) -> list[str]:
    """`path: nothing to check: why` for files named on the command line (always) and, with -v,
    for those found in folders."""
    return [f"{path}: nothing to check: {why}" for path, why, named in coverage.not_checked if named or verbose]


def _painter(color: bool) -> Callable[[str, str], str]:
    if not color:
        return lambda text, style: text
    return lambda text, style: f"\x1b[{STYLES[style]}m{text}\x1b[0m"


def line(f: Finding, paint: Callable[[str, str], str] = _painter(False)) -> str:
    return f"{paint(f.location, 'location')}: {paint(f.code, f.severity)} {paint(f'[{f.severity}]', f.severity)} {f.message}"


def source_excerpt(f: Finding, source: str, paint: Callable[[str, str], str] = _painter(False)) -> list[str]:
    """The offending line under a gutter with its number, and a caret under the column (tabs kept,
    so the caret lines up however the terminal expands them)."""
    width = f.end_column - max(1, f.column or 1) if f.end_line == f.line and f.end_column else 1
    return _excerpt(f.line, f.column, source, paint("^" * max(1, width), f.severity), paint)


def related_excerpt(f: Finding, source: str, paint: Callable[[str, str], str] = _painter(False)) -> list[str]:
    """The other half of the mismatch (the softmax a loss finding is about), marked with '-' and
    headed by where it is, as it may be far from the finding's line."""
    other = f.related
    assert other is not None
    title = f"{other.path}:{'' if other.cell is None else f'cell {other.cell}:'}{other.line}:{other.column or 1}"
    note = paint("-", "gutter") + " the other half of the mismatch"
    return [paint(f"  = {title}", "gutter"), *_excerpt(other.line, other.column, source, note, paint)]


def _excerpt(line_number, column, source: str, marker: str, paint) -> list[str]:
    source = source.rstrip("\r\n")
    number = str(line_number)
    padding = "".join(ch if ch == "\t" else " " for ch in source[: max(1, column or 1) - 1])
    gutter = paint(f"{' ' * len(number)} |", "gutter")
    return [f"{paint(f'{number} |', 'gutter')} {source}", f"{gutter} {padding}{marker}"]


def render(
    findings: list[Finding], *, coverage: Coverage, color: bool = False, quiet: bool = False, statistics: bool = False,
    source_line: Callable[[str, int | None, int | None], str | None] | None = None, verbose: bool = False, **_: object,
) -> str:  # fmt: skip
    from lossadvisor.render import statistics as count_by_rule

    paint = _painter(color)
    out: list[str] = []
    if statistics:
        out += [f"{count:>5}  {paint(code, 'location')}  {name}" for count, code, name in count_by_rule(findings)]
    else:
        for f in findings:
            out.append(line(f, paint))
            if source_line is None or f.line is None:
                continue
            if (source := source_line(f.path, f.cell, f.line)) is not None:
                out += source_excerpt(f, source, paint)
            if f.related is not None and (other := source_line(f.related.path, f.related.cell, f.related.line)) is not None:
                out += related_excerpt(f, other, paint)
    if not quiet:
        out += not_checked_lines(coverage, verbose)
        out.append(paint(summary(findings, coverage, verbose), "summary"))
    return "\n".join(out) + "\n" if out else ""
