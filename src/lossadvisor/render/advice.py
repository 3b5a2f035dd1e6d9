"""Render a recommendation as text, Markdown or JSON: pure functions of an `Advice`.

The text fits the width it is given without breaking a word, carries no trailing spaces, and prints
each snippet flush left with no border, so that copying it from a terminal copies the code and
nothing else. Colour (bold headings, syntax colour in snippets) only where asked for.
"""

from __future__ import annotations

import json

from lossadvisor.recommend import Advice, FrameworkAdvice
from lossadvisor.render.layout import code_lines, rows, terminal_width, wrap

def render_json(advice: Advice) -> str:
    return json.dumps(advice.as_dict(), indent=2, ensure_ascii=False) + "\n"


def summaryrows(advice: Advice) -> list[tuple[str, str]]:
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


def frameworkrows(fw: FrameworkAdvice) -> list[tuple[str, str]]:
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
    width = terminal_width(width)
    bold = (lambda s: f"\033[1m{s}\033[0m") if color else (lambda s: s)
    dim = (lambda s: f"\033[2m{s}\033[0m") if color else (lambda s: s)
    out: list[str] = []
    out += wrap(f"{bold(advice.title)} {dim('· --task ' + advice.task)}", width, plain=f"{advice.title} · --task {advice.task}")
    if advice.description:
        out += wrap(advice.description, width)
    if advice.evidence:
        out += wrap(f"From the labels: {advice.evidence}", width)
    if advice.special:
        out += ["", bold("A dedicated loss is used")]
        out += wrap(advice.special, width)
    out.append("")
    out += rows(summaryrows(advice), width, bold)
    for fw in advice.frameworks:
        out += ["", bold(fw.title)]
        out += rows(frameworkrows(fw), width, bold, indent="  ")
        out += [""] + [dim(line) for line in wrap(snippet_caption(fw), width)] + [""]
        out += code_lines(fw.snippet, color)
    if advice.alternatives:
        out += ["", bold("Alternatives")]
        for alt in advice.alternatives:
            out += wrap(f"- when {alt['when']}: {alt['use']}", width, subsequent="  ")
    return "\n".join(line.rstrip() for line in out) + "\n"


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
    out += [f"| {name} | {_cell(value)} |" for name, value in summaryrows(advice)]
    for fw in advice.frameworks:
        out += ["", f"### {fw.title}", ""]
        out += [f"- **{name}:** {_inline(value)}" for name, value in frameworkrows(fw)]
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
