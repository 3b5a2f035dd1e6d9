"""The commands once their options are parsed: `run_check` (settings, the engine, a renderer, the
exit code; both the fast path in `cli.main` and the typer app end here, so the two cannot drift
apart) and `run_labels`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from lossadvisor.options import UsageError, use_color


def run_check(options: dict[str, Any]) -> int:
    """`lossadvisor check` with parsed options (from either parser); returns the exit code."""
    from pathlib import Path

    from lossadvisor import configfile
    from lossadvisor.engine import Report, check_paths
    from lossadvisor.readers import Source

    paths = list(options["paths"] or ["."])
    if options["labels_column"] is not None and options["labels"] is None:
        raise UsageError("--labels-column picks the label column of a --labels table; there is no --labels FILE")
    stdin = None
    if "-" in paths:
        if paths != ["-"]:
            raise UsageError("'-' (standard input) cannot be mixed with other paths")
        name = options["stdin_filename"] or "stdin.py"
        from lossadvisor.inputs import MAX_DOCUMENT_BYTES

        stdin = Source(Path(name), name, sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1), named=True)  # a bound, not all of /dev/zero
        paths = [name]  # its name picks the reader and the configuration
    cli = configfile.CliSettings.from_options(options)
    groups = configfile.settings_by_path(paths, cli, config=options["config"], isolated=options["isolated"])
    report, exit_code = Report(), 0
    with _progress(options) as bar:
        for settings, group in groups:  # one group per configuration file that applies
            part = check_paths(
                group, settings, labels=options["labels"], labels_column=options["labels_column"], loss=options["loss"], framework=settings.framework, stdin=stdin, progress=bar.file_done if bar else None,
            )  # fmt: skip
            report.findings.extend(part.findings)
            report.coverage = report.coverage.combined(part.coverage)
            exit_code = max(exit_code, part.exit_code(settings.fail_on, options["exit_zero"]))
    report.findings.sort(key=lambda f: f.sort_key)
    if stdin is not None and not options["stdin_filename"]:
        report.coverage = _named_stdin(report.coverage)
    _write(_render(report, options, stdin), options["output_file"])
    return exit_code


def _progress(options: dict[str, Any]):
    """The progress line on a terminal (lossadvisor.progress), or a context that gives None."""
    import contextlib

    from lossadvisor import progress

    if not progress.wanted(quiet=options["quiet"], disabled=options["no_progress"]):
        return contextlib.nullcontext()
    return progress.Progress("Checking")


def _named_stdin(coverage):
    """Standard input without --stdin-filename is read as Python; when it held nothing, say so,
    since YAML or a notebook piped in is then silently not what lossadvisor looked for."""
    hint = "read as Python, for want of --stdin-filename NAME (e.g. train.yaml) to say what it is"
    return coverage._replace(not_checked=tuple((path, f"{why} ({hint})", named) for path, why, named in coverage.not_checked))


def _render(report, options: dict[str, Any], stdin) -> str:
    from lossadvisor.render import render

    fmt = options["output_format"]
    color = fmt == "text" and options["output_file"] is None and use_color(options["color"])
    source_line = _source_lines(stdin) if options["show_source"] else None
    return render(
        fmt, report.findings, coverage=report.coverage, color=color, quiet=options["quiet"],
        statistics=options["statistics"], source_line=source_line, verbose=options["verbose"],
    )  # fmt: skip


def _source_lines(stdin):
    """For --show-source: (path, cell, line) -> that line (None where the file has no lines).
    Notebook cells come from the notebook reader's cell splitter (the engine's COMMENT_LINES);
    standard input is read from memory."""
    import importlib
    from pathlib import Path

    from lossadvisor.engine import COMMENT_LINES
    from lossadvisor.readers import InputError, Source

    cache: dict[str, dict] = {}

    def lines_of(path: str) -> dict:
        source = stdin if stdin is not None and path == stdin.display else Source(Path(path), path)
        spec = COMMENT_LINES.get(Path(path).suffix.lower())
        try:
            if spec:
                module, function = spec.split(":")
                return getattr(importlib.import_module(module), function)(source)
            return {None: source.read_text().splitlines()}
        except (InputError, OSError):
            return {}

    def source_line(path: str, cell: int | None, line: int | None) -> str | None:
        if path not in cache:
            cache[path] = lines_of(path)
        lines = cache[path].get(cell, [])
        return lines[line - 1] if line and line <= len(lines) else None

    return source_line


def _write(text: str, output_file: str | None) -> None:
    if output_file is None:
        try:
            try:
                sys.stdout.write(text)
            except UnicodeEncodeError:  # a console that cannot show every character of a message
                sys.stdout.buffer.write(text.encode(sys.stdout.encoding or "utf-8", "replace"))
            sys.stdout.flush()
        except BrokenPipeError:  # `lossadvisor check . | head`: the reader has gone; keep the exit code
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    from pathlib import Path

    target = Path(output_file)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output_file}: {exc.strerror or exc}") from None


def run_labels(file: Path, *, column: str | None = None, key: str | None = None, fmt: str = "text", color: bool = False, progress: bool = True) -> int:
    """`lossadvisor labels FILE`: profile the labels, read them, and say which losses fit."""
    import contextlib

    from lossadvisor import progress as progress_line
    from lossadvisor.readers import InputError
    from lossadvisor.readers.label_file import profile_file, read_profiled
    from lossadvisor.recommend import losses_for
    from lossadvisor.render.labels import render_labels

    bar = progress_line.Progress(f"Profiling {file.name}", unit="bytes") if progress_line.wanted(disabled=not progress) else None
    try:
        with contextlib.closing(bar) if bar else contextlib.nullcontext():
            profiled = profile_file(file, key=key, column=column, progress=bar)
        reading = read_profiled(profiled)
    except InputError as exc:
        where = f":{exc.line}" if exc.line else ""
        print(f"lossadvisor: error: {file}{where}: {exc.message}", file=sys.stderr)
        return 2
    fits = [(fit, losses_for(reading, fit)) for fit in reading.fits]
    sys.stdout.write(render_labels(file, profiled.name, reading, fits, fmt, color))
    return 0


def run_explain(name: str, *, fmt: str = "text", color: bool = False, code: bool = False, demo: bool = False, verify: str | None = None) -> int:
    """`lossadvisor explain NAME`: a loss (any framework's name) or a rule code. Returns the exit code."""
    from lossadvisor import explain
    from lossadvisor.render import explain as render
    from lossadvisor.render.rules import find_rule, render_rule_doc

    rule = find_rule(name) if name[:2].upper() == "LA" or "-" in name else None
    if rule is not None:
        if code or verify:
            raise UsageError("--code and --verify take a loss, not a rule code")
        if fmt == "json":  # one JSON document: the rule's, with the demo under "demo"
            import json

            doc = json.loads(render_rule_doc(rule, "json"))
            if demo:
                doc["demo"] = _demo_data(rule.code)
            sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
            return 0
        sys.stdout.write(render_rule_doc(rule, "text") + (_demo_text(rule.code) if demo else ""))
        return 0
    if demo:
        raise UsageError("--demo takes a rule code (LA101, LA201, LA301, …): the numbers of what that mistake does")
    try:
        match = explain.find(name)
    except explain.UnknownLoss as exc:
        raise UsageError(str(exc)) from None
    data = explain.explain(match)
    if verify:
        return _verify(data, verify, fmt)
    if code:
        return _code(data)
    sys.stdout.write(_in_format(fmt, data, render.render_markdown, render.render_text, color))
    return 0


def run_compare(first: str, second: str, *, fmt: str = "text", color: bool = False) -> int:
    from lossadvisor import explain
    from lossadvisor.render import explain as render

    try:
        a, b = explain.find(first), explain.find(second)
    except explain.UnknownLoss as exc:
        raise UsageError(str(exc)) from None
    data = explain.compare(a, b)
    sys.stdout.write(_in_format(fmt, data, render.render_compare_markdown, render.render_compare_text, color))
    return 0


def _in_format(fmt: str, data: dict, markdown, text, color: bool) -> str:
    from lossadvisor import knowledge
    from lossadvisor.render.explain import render_json

    if fmt == "json":
        return render_json(data)
    forms = knowledge.load().forms  # what each prediction form means, in words
    return markdown(data, forms) if fmt == "markdown" else text(data, forms, color=color)


def _demo(code: str):
    from lossadvisor.reference import demos

    make = demos.DEMOS.get(code)
    if make is None:
        raise UsageError(f"no demo for {code} (demos: {', '.join(demos.DEMOS)})")
    return make()


def _demo_data(code: str) -> dict:
    shown = _demo(code)
    curves = [{"label": c.label, "x": c.x.round(6).tolist(), "y": c.y.round(6).tolist()} for c in shown.curves]
    return {"title": shown.title, "lines": shown.lines, "curves": curves}


def _demo_text(code: str) -> str:
    from lossadvisor.reference import demos
    from lossadvisor.render.layout import terminal_width, wrap

    shown = _demo(code)
    width = terminal_width()
    out = ["", f"Demo: {shown.title}", ""]
    for line in shown.lines:
        out += wrap(f"- {line}", width, subsequent="  ")
    if shown.curves:
        out += [""] + demos.plot(shown.curves, width=min(60, width - 12), x_label=shown.x_label, y_label=shown.y_label)
    return "\n".join(line.rstrip() for line in out) + "\n"


def _code(data: dict) -> int:
    import inspect

    function = data["reference"]["function"]
    if not function:
        reason = data["reference"]["not_closed_form"] or "none has been written yet"
        print(f"lossadvisor: {data['id']} has no reference implementation: {reason}", file=sys.stderr)
        return 2
    from lossadvisor import reference

    source = inspect.getsource(getattr(reference, function.rsplit(".", 1)[1]))
    sys.stdout.write(f"# {function}: the from-scratch definition lossadvisor checks the frameworks against\n" + source)
    return 0


def _verify(data: dict, spec: str, fmt: str) -> int:
    """Runs the user's function (they named it); reports where it disagrees with the reference."""
    import warnings

    import numpy as np

    from lossadvisor import reference, verify

    function_name = data["reference"]["function"]
    if not function_name:
        raise UsageError(f"{data['id']} has no reference implementation to verify against: {data['reference']['not_closed_form'] or 'none yet'}")
    if data["reference"]["verify"]:
        raise UsageError(f"--verify cannot check {data['id']}: {data['reference']['verify']}")
    ref = getattr(reference, function_name.rsplit(".", 1)[1])
    form = data["prediction"]["form"]
    target = data["target"][0]["id"] if data["target"] else "continuous"
    try:
        user = verify.load(spec)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            outcome = verify.verify(user, ref, form, target)
    except verify.VerifyError as exc:
        print(f"lossadvisor: error: {exc}", file=sys.stderr)
        return 2
    if fmt == "json":
        import json

        sys.stdout.write(json.dumps({"loss": data["id"], "function": spec, **outcome._asdict()}, indent=2, ensure_ascii=False) + "\n")
        return 0 if outcome.failure is None else 1
    how = f"called as f{outcome.order} with {outcome.tensors}"
    if outcome.failure is None:
        print(f"{spec} agrees with {function_name} on all {outcome.cases} inputs ({how}; rtol {verify.RTOL:g}).")
        return 0
    f = outcome.failure
    lines = [f"{spec} disagrees with {function_name} ({how}), first on input {f['index'] + 1} of {outcome.cases} ({f['case']}):", f"  y_true = {f['y_true']}", f"  y_pred = {f['y_pred']}", f"  expected {f['expected']:.6g}"]
    lines.append(f"  got      {f['got']}" if "got" in f else f"  but it {f['error']}")
    if f.get("hint"):
        lines.append(f"  hint: {f['hint']}")
    print("\n".join(lines))
    return 1
