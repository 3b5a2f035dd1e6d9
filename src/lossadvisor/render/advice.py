"""Render a recommendation: rich panels and a table on a terminal, the same content as JSON."""

from __future__ import annotations

import json

from lossadvisor.recommend import Advice


def render_json(advice: Advice) -> str:
    return json.dumps(advice.as_dict(), indent=2, ensure_ascii=False) + "\n"


def render_text(advice: Advice, *, color: bool = False, width: int | None = None) -> str:
    import io

    from rich.console import Console, Group
    from rich.markup import escape
    from rich.panel import Panel
    from rich.syntax import Syntax
    from rich.table import Table

    buf = io.StringIO()
    if width is None:  # the terminal's width when there is one, else a readable 100 columns
        import shutil

        width = min(shutil.get_terminal_size((100, 24)).columns, 120)
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width, highlight=False)
    console.print(f"[bold]{escape(advice.title)}[/] [dim]({advice.task})[/]")
    if advice.description:
        console.print(escape(advice.description))
    if advice.evidence:
        console.print(f"[cyan]From the labels:[/] {escape(advice.evidence)}")
    if advice.special:
        console.print(Panel(escape(advice.special), title="A dedicated loss is used", border_style="yellow"))

    summary = Table(show_header=False, box=None, padding=(0, 1))
    summary.add_column(style="bold")
    summary.add_column()
    if advice.units is not None:
        summary.add_row("Output units", str(advice.units))
        summary.add_row("Last activation", "none (logits)" if advice.activation in (None, "linear") else str(advice.activation))
    if advice.label_format:
        example = f"  e.g. {advice.label_example}" if advice.label_example else ""
        summary.add_row("Label format", escape(f"{advice.label_format}{example}"))
    if advice.inference:
        summary.add_row("At inference", escape(advice.inference))
    if advice.why:
        summary.add_row("Why", escape(advice.why))
    console.print(summary)

    table = Table(title="Per framework (numerically stable form first)", show_lines=True, expand=True)
    table.add_column("Framework", style="bold", no_wrap=True)
    table.add_column("Last layer", overflow="fold")
    table.add_column("Loss", overflow="fold", ratio=2)
    for fw in advice.frameworks:
        table.add_row(fw.title, escape(fw.head), escape(fw.loss))
    if advice.frameworks:
        console.print(table)
    for fw in advice.frameworks:
        code = fw.snippet + (f"\n# metrics: {', '.join(fw.metrics)}" if fw.metrics else "")
        body = Syntax(code, "python", theme="ansi_dark", background_color="default", word_wrap=True) if color else escape(code)
        console.print(Panel(body, title=fw.title, title_align="left", border_style="dim"))
    if advice.alternatives:
        alt = Table(title="Alternatives", show_header=True, expand=True, show_lines=False)
        alt.add_column("When", ratio=1)
        alt.add_column("Use", ratio=2)
        for a in advice.alternatives:
            alt.add_row(escape(a["when"]), escape(a["use"]))
        console.print(Group(alt))
    return buf.getvalue()
