"""`path:line:col: CODE [severity] message`, one finding per line, then a summary line.

Colour (through rich) only when asked for; the decision is the CLI's. Without colour rich is not
imported at all, which keeps the pre-commit path fast.
"""

from __future__ import annotations

from collections import Counter

from lossadvisor.findings import Finding

STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def summary(findings: list[Finding], files_checked: int) -> str:
    files = f"{files_checked} file{'s' if files_checked != 1 else ''}"
    if not findings:
        return f"All clear: no problems in {files}."
    counts = Counter(f.severity for f in findings)
    parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}" for s in ("error", "warning", "info") if counts[s]]
    total = len(findings)
    return f"Found {total} problem{'s' if total != 1 else ''} ({', '.join(parts)}) in {files}."


def line(f: Finding) -> str:
    return f"{f.location}: {f.code} [{f.severity}] {f.message}"


def render(findings: list[Finding], *, files_checked: int, color: bool = False, quiet: bool = False, **_: object) -> str:
    lines = [line(f) for f in findings]
    if not quiet:
        lines.append(summary(findings, files_checked))
    if not lines:
        return ""
    text = "\n".join(lines) + "\n"
    if not color:
        return text
    return _colorize(findings, lines, quiet)


def _colorize(findings: list[Finding], lines: list[str], quiet: bool) -> str:
    import io

    from rich.console import Console
    from rich.markup import escape

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system="standard", width=10_000, highlight=False, soft_wrap=True)
    for f in findings:
        console.print(
            f"[bold]{escape(f.location)}[/]: [{STYLES[f.severity]}]{f.code}[/] [{STYLES[f.severity]}]\\[{f.severity}][/] {escape(f.message)}"
        )
    if not quiet:
        console.print(f"[bold]{escape(lines[-1])}[/]")
    return buf.getvalue()
