"""Laying out text for a terminal: paragraphs wrapped at spaces (a name or URL longer than the
width stays whole), label/value rows, and code printed flush left (syntax colour only on request).
Shared by the advice (recommend) and explain renderers."""

from __future__ import annotations

import textwrap

LABEL_WIDTH = 17  # "Last activation" and two spaces


def terminal_width(width: int | None = None) -> int:
    """The width to fill: the terminal's when there is one, at most a readable 100 columns."""
    if width is None:
        import shutil

        width = min(shutil.get_terminal_size((100, 24)).columns, 100)
    return max(width, 40)


def wrap(text: str, width: int, *, plain: str | None = None, subsequent: str = "") -> list[str]:
    """Wrap at spaces only: a loss name or a URL longer than the width stays whole."""
    if plain is not None and len(plain) <= width:
        return [text]
    lines = textwrap.wrap(plain or text, width, subsequent_indent=subsequent, break_long_words=False, break_on_hyphens=False)
    return lines or [""]


def rows(rows: list[tuple[str, str]], width: int, bold, indent: str = "") -> list[str]:
    out = []
    label_width = max(LABEL_WIDTH, *(len(name) + 1 for name, _ in rows)) if rows else LABEL_WIDTH
    pad = indent + " " * label_width
    for name, value in rows:
        lines = textwrap.wrap(value, max(width - len(pad), 20), break_long_words=False, break_on_hyphens=False) or [""]
        out.append(indent + bold(name.ljust(label_width)) + lines[0])
        out += [pad + line for line in lines[1:]]
    return out


def code_lines(code: str, color: bool) -> list[str]:
    if not color:
        return code.rstrip("\n").splitlines()
    import io

    from rich.console import Console
    from rich.syntax import Syntax

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=1000, highlight=False)
    console.print(Syntax(code.rstrip("\n"), "python", theme="ansi_dark", background_color="default"), crop=False)
    return buf.getvalue().rstrip("\n").splitlines()
