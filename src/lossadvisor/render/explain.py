"""Render `explain` and `compare` (the dictionaries lossadvisor.explain builds) as text, markdown or
JSON: pure functions. Text carries the plain formula; JSON and markdown the LaTeX as well."""

from __future__ import annotations

import json
from typing import Any

from lossadvisor.render.layout import rows, terminal_width, wrap

FRAMEWORK_TITLES = {"keras": "Keras 3", "tf_keras": "tf.keras 2", "pytorch": "PyTorch", "jax": "optax"}


def _framework(framework: str | None) -> str:
    return FRAMEWORK_TITLES.get(framework or "", framework or "custom")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def asked_text(e: dict[str, Any]) -> str:
    asked = e["asked_as"]
    if asked["framework"] is None:
        return "no framework has it built in (the notes show how to write it)"
    return f"asked as {_framework(asked['framework'])} {asked['name']}"


def prediction_text(e: dict[str, Any], forms: dict[str, str]) -> str:
    p = e["prediction"]
    text = forms.get(p["form"], p["form"])
    if p["other_forms"]:
        text += ". Also: " + "; ".join(p["other_forms"])
    return text


def target_text(e: dict[str, Any]) -> str:
    if not e["target"]:
        return "none: the loss compares the predictions among themselves"
    return "; ".join(f"{t['title']}" + (f": {t['dtype']}" if t.get("dtype") else "") + (f", e.g. {t['example']}" if t.get("example") else "") for t in e["target"])


def argument_lines(e: dict[str, Any]) -> list[str]:
    lines = []
    for a in e["arguments"]:
        where = f" ({', '.join(_framework(f) for f in a['frameworks'])})" if a["frameworks"] else ""
        change = f"; {a['changes']}" if a["changes"] else ""
        lines.append(f"{a['name']}={a['default']!r}{where}{change}")
    return lines


def summary_rows(e: dict[str, Any], forms: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    if e["formula"]["text"]:
        out.append(("Formula", e["formula"]["text"]))
    out.append(("Prediction", prediction_text(e, forms)))
    out.append(("Target", target_text(e)))
    if e["serves"]:
        out.append(("Serves", ", ".join(t["title"] for t in e["serves"])))
    return out


def reference_text(e: dict[str, Any]) -> str:
    r = e["reference"]
    if r["function"]:
        checked = f", checked against {', '.join(r['compared_with'])}" if r["compared_with"] else ""
        tolerance = f" ({r['tolerance']})" if r["tolerance"] else ""
        return f"{r['function']}{checked}{tolerance}; `lossadvisor explain {e['id']} --code` prints it"
    if r["not_closed_form"]:
        return f"none: {r['not_closed_form']}"
    return "none yet"


def sections(e: dict[str, Any], code=lambda name: name) -> list[tuple[str, list[str]]]:
    """The titled lists below the summary, in order; `code` marks names (backticks in markdown)."""
    return [
        ("Arguments", [code(a["name"]) + line[len(a["name"]):] for a, line in zip(e["arguments"], argument_lines(e))]),
        ("Every framework's name", [f"{_framework(fw)}: {', '.join(map(code, names))}" for fw, names in e["frameworks"].items()]),
        ("Relations", e["relations"]),
        ("Where the frameworks differ", e["differences"]),
        ("Notes", [e["note"]] if e["note"] else []),
        ("Mistakes lossadvisor checks for", [f"{m['code']} {code(m['name'])}: {m['summary']}" for m in e["mistakes"]]),
        ("For other problems", [f"{i['title']}: {code(i['loss'])} on {i['head']}" for i in e["instead"]]),
        ("Reference implementation", [reference_text(e)]),
    ]


def render_text(e: dict[str, Any], forms: dict[str, str], *, color: bool = False, width: int | None = None) -> str:
    width = terminal_width(width)
    bold = (lambda s: f"\033[1m{s}\033[0m") if color else (lambda s: s)
    out = wrap(f"{bold(e['title'])} · {e['id']}", width, plain=f"{e['title']} · {e['id']}")
    out += wrap(asked_text(e), width)
    out.append("")
    out += rows(summary_rows(e, forms), width, bold)
    for title, lines in sections(e):
        if lines:
            out += ["", bold(title)]
            for line in lines:
                out += wrap(f"- {line}", width, subsequent="  ")
    return "\n".join(line.rstrip() for line in out) + "\n"


def render_markdown(e: dict[str, Any], forms: dict[str, str]) -> str:
    out = [f"## {e['title']} (`{e['id']}`)", "", asked_text(e).capitalize() + ".", ""]
    if e["formula"]["latex"]:
        out += ["$$", e["formula"]["latex"], "$$", ""]
    out += ["| | |", "|---|---|"]
    out += [f"| {name} | {_cell(value)} |" for name, value in summary_rows(e, forms)]
    for title, lines in sections(e, code=lambda name: f"`{name}`"):
        if lines:
            out += ["", f"### {title}", ""] + [f"- {line}" for line in lines]
    return "\n".join(out) + "\n"


def render_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


# --------------------------------------------------------------------------- compare


def compare_rows(c: dict[str, Any], forms: dict[str, str]) -> list[tuple[str, str, str]]:
    a, b = c["losses"]
    return [
        ("Loss", f"{a['asked_as']['name']} ({_framework(a['asked_as']['framework'])})", f"{b['asked_as']['name']} ({_framework(b['asked_as']['framework'])})"),
        ("Formula", a["formula"]["text"] or "—", b["formula"]["text"] or "—"),
        ("Prediction", prediction_text(a, forms), prediction_text(b, forms)),
        ("Target", target_text(a), target_text(b)),
        ("Serves", ", ".join(t["title"] for t in a["serves"]) or "—", ", ".join(t["title"] for t in b["serves"]) or "—"),
        ("Arguments", "; ".join(argument_lines(a)) or "—", "; ".join(argument_lines(b)) or "—"),
    ]


def compare_verdict(c: dict[str, Any]) -> list[str]:
    a, b = c["losses"]
    if c["same_loss"] and a["prediction"]["form"] == b["prediction"]["form"]:
        return [f"Both names are the same loss ({a['id']}): they expect the same prediction and target; only the spelling differs."]
    out = [f"Both names are the same loss ({a['id']}), on a different input:"] if c["same_loss"] else []
    if a["prediction"]["form"] != b["prediction"]["form"]:
        out.append(f"{a['asked_as']['name']} takes {a['prediction']['form']}, {b['asked_as']['name']} takes {b['prediction']['form']}: feeding one the other's input is a silent mistake.")
    if [t["id"] for t in a["target"]] != [t["id"] for t in b["target"]]:
        out.append(f"Targets: {a['asked_as']['name']} takes {', '.join(t['title'].lower() for t in a['target']) or 'none'}; {b['asked_as']['name']} takes {', '.join(t['title'].lower() for t in b['target']) or 'none'}.")
    for e, only in ((a, c["only_first"]), (b, c["only_second"])):
        if only:
            out.append(f"Only {e['asked_as']['name']} serves: {', '.join(only)}.")
    relations = [r for r in a["relations"] + b["relations"] if a["asked_as"]["name"] in r and b["asked_as"]["name"] in r]
    out += relations[:1]  # the same relation is often written on both losses: once is enough
    return out


def render_compare_text(c: dict[str, Any], forms: dict[str, str], *, color: bool = False, width: int | None = None) -> str:
    import textwrap

    width = terminal_width(width)
    bold = (lambda s: f"\033[1m{s}\033[0m") if color else (lambda s: s)
    label = 12
    column = max((width - label - 3) // 2, 20)
    out = []
    for name, left, right in compare_rows(c, forms):
        lefts = textwrap.wrap(left, column, break_long_words=False) or [""]
        rights = textwrap.wrap(right, column, break_long_words=False) or [""]
        for i in range(max(len(lefts), len(rights))):
            head = bold(name.ljust(label)) if i == 0 else " " * label
            l_text = lefts[i] if i < len(lefts) else ""
            r_text = rights[i] if i < len(rights) else ""
            out.append(f"{head}{l_text.ljust(column)} | {r_text}")
        out.append("")
    verdict = compare_verdict(c)
    if verdict:
        out.append(bold("In short"))
        for line in verdict:
            out += wrap(f"- {line}", width, subsequent="  ")
    return "\n".join(line.rstrip() for line in out).rstrip("\n") + "\n"


def render_compare_markdown(c: dict[str, Any], forms: dict[str, str]) -> str:
    out = ["| | A | B |", "|---|---|---|"]
    out += [f"| {name} | {_cell(left)} | {_cell(right)} |" for name, left, right in compare_rows(c, forms)]
    verdict = compare_verdict(c)
    if verdict:
        out += [""] + [f"- {line}" for line in verdict]
    return "\n".join(out) + "\n"
