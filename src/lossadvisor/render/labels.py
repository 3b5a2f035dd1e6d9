"""`lossadvisor labels FILE` output: every fact of a label reading as plain data (the JSON), and
the text a terminal shows (rich: a summary, a bar chart of the most frequent classes with the rest
folded, then the problem types with the loss per framework). Pure: facts in, text out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TOP_CLASSES = 10  # bars shown in the terminal; the rest are folded into one line
JSON_CLASSES = 1000  # classes listed in JSON (the count is always complete)
BAR_WIDTH = 32


def render_labels(file: Path, name: str | None, reading, fits, fmt: str = "text", color: bool = False) -> str:
    report = _report(file, name, reading, fits)
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n" if fmt == "json" else _text(report, color)


def _report(file: Path, name: str | None, reading, fits) -> dict[str, Any]:
    """Every fact, as plain data: the JSON output, and what the text output shows."""
    from lossadvisor import knowledge
    from lossadvisor.labels.profile import plain

    p = reading.profile
    kb = knowledge.load()
    total = p.count
    title = kb.label_formats[reading.format].title
    return {
        "file": str(file),
        "array": name,
        "dtype": p.dtype,
        "shape": list(p.shape),
        "count": total,
        "format": reading.format,
        "format_title": title,
        "evidence": reading.evidence,
        "caveat": reading.caveat,
        "num_classes": reading.num_classes,
        "minimum": plain(reading.minimum),
        "maximum": plain(reading.maximum),
        "nan": p.nan,
        "inf": p.inf,
        "ignore_values": [{"value": v, "count": c, "share": c / total} for v, c in reading.ignore],
        "classes": [{"label": plain(label), "count": c, "share": c / _class_total(reading)} for label, c in reading.classes[:JSON_CLASSES]],
        "classes_listed": min(len(reading.classes), JSON_CLASSES),
        "empty_classes": list(reading.empty_classes),
        "imbalance_ratio": reading.imbalance,
        "labels_per_row": reading.per_row,
        "outlier_share": reading.outlier_share,
        "fits": [
            {
                "task": fit.task, "title": kb.tasks[fit.task].title, "classes": fit.classes, "reading": fit.phrase,
                "losses": {c.framework: {"loss": c.loss, "note": c.note} for c in choices},
            }
            for fit, choices in fits
        ],
    }  # fmt: skip


def _class_total(reading) -> int:
    return sum(c for _, c in reading.classes) or 1


# --------------------------------------------------------------------------- text


def _text(r: dict[str, Any], color: bool, width: int = 100) -> str:
    import io

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from lossadvisor.labels.arrays import shape_text

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width, highlight=False)
    source = escape(r["file"] + (f" [{r['array']}]" if r["array"] else ""))
    samples = r["shape"][0]
    size = f"{r['count']:,} labels" if len(r["shape"]) == 1 else f"{samples:,} samples ({r['count']:,} values)"
    console.print(f"[bold]{source}[/]: {size}, {r['dtype']}, shape {shape_text(tuple(r['shape']))}")

    summary = Table(show_header=False, box=None, padding=(0, 1))
    summary.add_column(style="bold", no_wrap=True)
    summary.add_column()
    summary.add_row("Format", escape(f"{r['format_title']}: {r['evidence']}"))
    if r["caveat"]:
        summary.add_row("Note", escape(r["caveat"]))
    if r["minimum"] is not None:
        summary.add_row("Range", f"{_num(r['minimum'])} .. {_num(r['maximum'])}")
    summary.add_row("NaN / inf", _non_finite(r))
    for item in r["ignore_values"]:
        summary.add_row("Ignore?", f"{item['value']} on {item['count']:,} labels ({item['share']:.1%}): looks like an ignore label")
    if r["labels_per_row"] is not None:
        summary.add_row("Per row", f"{r['labels_per_row']:.2f} positive labels on average")
    if r["imbalance_ratio"] is not None:
        summary.add_row("Imbalance", f"{r['imbalance_ratio']:.3g}× (largest class / smallest class)")
    if r["empty_classes"]:
        summary.add_row("Empty", f"{len(r['empty_classes'])} classes never occur: {_few(r['empty_classes'])}")
    if r["outlier_share"] is not None:
        summary.add_row("Outliers", f"{r['outlier_share']:.2%} beyond 3 IQR from the quartiles")
    console.print(summary)
    if r["classes"]:
        console.print(_bars(r))
    console.print("[bold]Fits[/] (problem type, then the loss per framework)")
    for fit in r["fits"]:
        console.print(f"  [cyan]{escape(fit['task'])}[/]: {escape(fit['reading'])}")
        losses = Table(show_header=False, box=None, padding=(0, 1))
        losses.add_column(no_wrap=True)
        losses.add_column()
        choices = fit["losses"]
        if len({(c["loss"], c["note"]) for c in choices.values()}) == 1 and len(choices) > 1:
            choices = {"every framework": next(iter(choices.values()))}  # the same words three times: once
        for framework, choice in choices.items():
            note = f"  [dim]· {escape(choice['note'])}[/]" if choice["note"] else ""
            losses.add_row(f"    {_framework_title(framework)}", escape(choice["loss"]) + note)
        console.print(losses)
    return "".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines())


def _bars(r: dict[str, Any]):
    from rich.markup import escape
    from rich.table import Table

    classes = r["classes"]
    total = sum(c["count"] for c in classes)
    shown = classes[:TOP_CLASSES]
    top = max(c["count"] for c in shown) or 1
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    for c in shown:
        bar = "█" * max(1, round(BAR_WIDTH * c["count"] / top)) if c["count"] else ""
        table.add_row(escape(str(c["label"])), f"[green]{bar}[/]", f"{c['count']:,}", f"{c['count'] / total:.1%}")
    hidden = (r["num_classes"] or len(classes)) - len(shown)
    if hidden > 0:
        rest = total - sum(c["count"] for c in shown)
        table.add_row(f"… {hidden:,} more", "", f"{rest:,}", f"{rest / total:.1%}")
    return table


def _non_finite(r: dict[str, Any]) -> str:
    if not r["nan"] and not r["inf"]:
        return "none"
    parts = [f"{r['nan']:,} NaN"] if r["nan"] else []
    parts += [f"{r['inf']:,} infinite"] if r["inf"] else []
    return ", ".join(parts) + f" ({(r['nan'] + r['inf']) / r['count']:.2%} of the values)"


def _framework_title(framework: str) -> str:
    from lossadvisor import knowledge

    found = knowledge.load().vocabulary.frameworks.get(framework)
    return found.title if found else framework


def _num(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:.4g}"


def _few(items: list[Any], shown: int = 8) -> str:
    return ", ".join(map(str, items[:shown])) + (", …" if len(items) > shown else "")
