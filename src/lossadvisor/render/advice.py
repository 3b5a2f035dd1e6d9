"""Render a recommendation as text, Markdown or JSON: pure functions of an `Advice`.

The text fits the width it is given without breaking a word, carries no trailing spaces, and prints
each snippet flush left with no border, so that copying it from a terminal copies the code and
nothing else. Colour (bold headings, syntax colour in snippets) only where asked for.
"""

from __future__ import annotations

import json
import textwrap

from lossadvisor.recommend import Advice, FrameworkAdvice

LABEL_WIDTH = 17  # "Last activation" and two spaces


def render_json(advice: Advice) -> str:
    return json.dumps(advice.as_dict(), indent=2, ensure_ascii=False) + "\n"


def summary_rows(advice: Advice) -> list[tuple[str, str]]:
    """The facts shown above the per-framework advice, in order: (name, value)."""
    rows = []
    if advice.units is not None:
        rows.append(("Output units", str(advice.units)))
        rows.append(("Last activation", last_activation(advice)))
    if advice.label_format:
        label = advice.label_format
        if advice.label_shape:
            label += f": {advice.label_shape}"
        if advice.label_example:
            label += f", e.g. {advice.label_example}"
        rows.append(("Label format", label))
    if advice.inference:
        rows.append(("At inference", advice.inference))
    if advice.why:
        rows.append(("Why", advice.why))
    return rows


def last_activation(advice: Advice) -> str:
    """"none: the outputs are values", plus the frameworks whose head differs ("Keras 3: exponential")."""
    if advice.activation in (None, "linear"):
        base = f"none: the outputs are {(advice.output or 'logits').replace('_', '-')}"
    else:
        base = str(advice.activation)
    own = [f"{fw.title}: {fw.activation}" for fw in advice.frameworks if fw.activation and fw.activation != advice.activation]
    return base + (f" ({'; '.join(own)})" if own else "")


def framework_rows(fw: FrameworkAdvice) -> list[tuple[str, str]]:
    rows = [("Last layer", fw.head), ("Loss", fw.loss)]
    if fw.metrics:
        rows.append(("Metrics", "; ".join(fw.metrics)))
    return rows


def snippet_caption(fw: FrameworkAdvice) -> str:
    if fw.runnable:
        return "Runs as printed, given the x and y its first comments describe:"
    return "A fragment: it needs tensors from your own model, as its comments say:"


# --------------------------------------------------------------------------- text


def render_text(advice: Advice, *, color: bool = False, width: int | None = None) -> str:
    if width is None:  # the terminal's width when there is one, at most a readable 100 columns
        import shutil

        width = min(shutil.get_terminal_size((100, 24)).columns, 100)
    width = max(width, 40)
    bold = (lambda s: f"\033[1m{s}\033[0m") if color else (lambda s: s)
    dim = (lambda s: f"\033[2m{s}\033[0m") if color else (lambda s: s)
    out: list[str] = []
    out += _wrap(f"{bold(advice.title)} {dim('· --task ' + advice.task)}", width, plain=f"{advice.title} · --task {advice.task}")
    if advice.description:
        out += _wrap(advice.description, width)
    if advice.evidence:
        out += _wrap(f"From the labels: {advice.evidence}", width)
    if advice.special:
        out += ["", bold("A dedicated loss is used")]
        out += _wrap(advice.special, width)
    out.append("")
    out += _rows(summary_rows(advice), width, bold)
    for fw in advice.frameworks:
        out += ["", bold(fw.title)]
        out += _rows(framework_rows(fw), width, bold, indent="  ")
        out += [""] + [dim(line) for line in _wrap(snippet_caption(fw), width)] + [""]
        out += _code(fw.snippet, color)
    if advice.alternatives:
        out += ["", bold("Alternatives")]
        for alt in advice.alternatives:
            out += _wrap(f"- when {alt['when']}: {alt['use']}", width, subsequent="  ")
    return "\n".join(line.rstrip() for line in out) + "\n"


def _wrap(text: str, width: int, *, plain: str | None = None, subsequent: str = "") -> list[str]:
    """Wrap at spaces only: a loss name or a URL longer than the width stays whole."""
    if plain is not None and len(plain) <= width:
        return [text]
    lines = textwrap.wrap(plain or text, width, subsequent_indent=subsequent, break_long_words=False, break_on_hyphens=False)
    return lines or [""]


def _rows(rows: list[tuple[str, str]], width: int, bold, indent: str = "") -> list[str]:
    out = []
    label_width = max(LABEL_WIDTH, *(len(name) + 1 for name, _ in rows)) if rows else LABEL_WIDTH
    pad = indent + " " * label_width
    for name, value in rows:
        lines = textwrap.wrap(value, max(width - len(pad), 20), break_long_words=False, break_on_hyphens=False) or [""]
        out.append(indent + bold(name.ljust(label_width)) + lines[0])
        out += [pad + line for line in lines[1:]]
    return out


def _code(code: str, color: bool) -> list[str]:
    if not color:
        return code.rstrip("\n").splitlines()
    import io

    from rich.console import Console
    from rich.syntax import Syntax

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=1000, highlight=False)
    console.print(Syntax(code.rstrip("\n"), "python", theme="ansi_dark", background_color="default"), crop=False)
    return buf.getvalue().rstrip("\n").splitlines()


# --------------------------------------------------------------------------- markdown


def render_markdown(advice: Advice) -> str:
    """The same advice for a notebook or a design doc: a table of facts, a section per framework
    with its snippet in fenced code, the alternatives as a list."""
    out = [f"## {advice.title} · `--task {advice.task}`", ""]
    if advice.description:
        out += [advice.description, ""]
    if advice.evidence:
        out += [f"From the labels: {advice.evidence}", ""]
    if advice.special:
        out += [f"**A dedicated loss is used.** {advice.special}", ""]
    out += ["| | |", "|---|---|"]
    out += [f"| {name} | {_cell(value)} |" for name, value in summary_rows(advice)]
    for fw in advice.frameworks:
        out += ["", f"### {fw.title}", ""]
        out += [f"- **{name}:** {_inline(value)}" for name, value in framework_rows(fw)]
        out += ["", snippet_caption(fw), "", "```python", fw.snippet.rstrip("\n"), "```"]
    if advice.alternatives:
        out += ["", "### Alternatives", ""]
        out += [f"- **When {alt['when']}:** {alt['use']}" for alt in advice.alternatives]
    return "\n".join(out) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _inline(value: str) -> str:
    """A single call in backticks (`CrossEntropyLoss()`), a phrase ("Linear(3), no activation
    (logits)") as it is."""
    name, paren, _ = value.partition("(")
    if not paren or not name.replace(".", "").replace("_", "").isalnum() or "`" in value:
        return value
    depth = 0
    for i, char in enumerate(value):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char == ")":
            return f"`{value}`" if i == len(value) - 1 else value
    return value
