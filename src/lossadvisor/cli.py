"""The command line: parse flags, call the engine / recommend / labels, pick a renderer, set the
exit code. Nothing here knows about losses.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error (a file that cannot
be read, a bad flag), as ruff and most linters do.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from lossadvisor import __version__

app = typer.Typer(
    name="lossadvisor",
    help="Catch loss / last-activation / label-format mismatches before a GPU hour is spent.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class AdviceFormat(str, Enum):
    text = "text"
    json = "json"


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


class Framework(str, Enum):
    keras = "keras"
    pytorch = "pytorch"
    jax = "jax"
    all = "all"


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


def use_color(choice: Color, stream=None) -> bool:
    """--color beats NO_COLOR beats FORCE_COLOR beats terminal detection; TERM=dumb means no."""
    if choice is Color.always:
        return True
    if choice is Color.never:
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def fail(message: str) -> typer.Exit:
    """A usage or input error: one line on stderr, exit 2."""
    print(f"lossadvisor: error: {message}", file=sys.stderr)
    return typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        print(f"lossadvisor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    """Catch loss / last-activation / label-format mismatches before a GPU hour is spent."""


def _split(values: Optional[list[str]]) -> tuple[str, ...]:
    return tuple(code.strip().upper() for v in values or () for code in v.split(",") if code.strip())


@app.command()
def check(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Files and directories to check ('-' reads standard input).")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", envvar="LOSSADVISOR_FORMAT", help="Output format.")] = OutputFormat.text,
    output_file: Annotated[Optional[Path], typer.Option("--output-file", "-o", help="Write the report to this file.")] = None,
    labels: Annotated[Optional[Path], typer.Option("--labels", help="A label file (.npy/.npz/.csv) to pair with every checked setup.")] = None,
    loss: Annotated[Optional[str], typer.Option("--loss", help="The loss, for models saved without one (e.g. Keras JSON).")] = None,
    framework: Annotated[Optional[Framework], typer.Option("--framework", help="Framework to assume where a file does not say.")] = None,
    select: Annotated[Optional[list[str]], typer.Option("--select", help="Only these codes or prefixes (comma-separated; ALL).")] = None,
    extend_select: Annotated[Optional[list[str]], typer.Option("--extend-select", help="Add these codes or prefixes.")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Skip these codes or prefixes.")] = None,
    exclude: Annotated[Optional[list[str]], typer.Option("--exclude", help="Glob of paths to skip (repeatable).")] = None,
    fail_on: Annotated[Severity, typer.Option("--fail-on", help="Lowest severity that makes the exit status 1.")] = Severity.warning,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings (2 still means bad input).")] = False,
    stdin_filename: Annotated[Optional[str], typer.Option("--stdin-filename", help="Name (and so file type) of the file read from '-'.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print findings only, no summary.")] = False,
    color: Annotated[Color, typer.Option("--color", help="Colour the text output.")] = Color.auto,
) -> None:
    """Check training configs, model code, notebooks, Keras files and label files."""
    from lossadvisor.engine import check_paths
    from lossadvisor.readers import Source
    from lossadvisor.render import render
    from lossadvisor.settings import Settings

    paths = paths or ["."]
    fw = None if framework in (None, Framework.all) else framework.value
    settings = Settings(
        select=_split(select), extend_select=_split(extend_select), ignore=_split(ignore),
        exclude=tuple(exclude or ()), framework=fw, fail_on=fail_on.value,
    )  # fmt: skip
    stdin = None
    if paths == ["-"]:
        name = stdin_filename or "stdin.py"
        stdin = Source(Path(name), name, sys.stdin.buffer.read())
    elif "-" in paths:
        raise fail("'-' (standard input) cannot be mixed with other paths")
    report = check_paths(paths, settings, labels=labels, loss=loss, framework=fw, stdin=stdin)
    fmt = output_format.value
    text = render(fmt, report.findings, files_checked=report.files_checked, color=fmt == "text" and output_file is None and use_color(color), quiet=quiet)
    if output_file is not None:
        output_file.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    raise typer.Exit(report.exit_code(settings.fail_on, exit_zero))


@app.command()
def recommend(
    task: Annotated[Optional[str], typer.Option("--task", "-t", help="Problem type: binary, multiclass, multilabel, regression, … (aliases accepted).")] = None,
    framework: Annotated[Framework, typer.Option("--framework", help="Framework to advise for.")] = Framework.all,
    classes: Annotated[Optional[int], typer.Option("--classes", min=2, help="Number of classes (sets the output units).")] = None,
    labels: Annotated[Optional[Path], typer.Option("--labels", help="Infer the problem type from a label file.")] = None,
    output_format: Annotated[AdviceFormat, typer.Option("--format", "-f", help="Output format.")] = AdviceFormat.text,
    color: Annotated[Color, typer.Option("--color", help="Colour the text output.")] = Color.auto,
) -> None:
    """Recommend the last layer, activation, loss and label format for a problem type."""
    from lossadvisor import knowledge
    from lossadvisor.recommend import UnknownTask
    from lossadvisor.recommend import recommend as advise

    evidence = None
    if labels is not None:
        from lossadvisor.labels.infer import infer_task_from_file
        from lossadvisor.readers import InputError

        try:
            inferred = infer_task_from_file(labels)
        except InputError as exc:
            raise fail(f"{labels}: {exc.message}") from None
        task = task or inferred.task
        classes = classes or inferred.classes
        evidence = inferred.evidence
    if task is None:
        if not sys.stdin.isatty():
            raise fail("missing --task (or --labels FILE); valid tasks: " + ", ".join(knowledge.load().tasks))
        task, classes = _ask(classes)
    try:
        advice = advise(task, framework.value, classes, evidence=evidence)
    except UnknownTask as exc:
        raise fail(f"{exc} Valid tasks: {', '.join(exc.valid)}" if str(exc).endswith("?") else f"{exc}; valid tasks: {', '.join(exc.valid)}") from None
    from lossadvisor.render.advice import render_json, render_text

    if output_format is AdviceFormat.json:
        sys.stdout.write(render_json(advice))
    else:
        sys.stdout.write(render_text(advice, color=use_color(color)))


def _ask(classes: Optional[int]) -> tuple[str, Optional[int]]:
    """The interactive form of `recommend`, for a terminal without --task."""
    from rich.prompt import IntPrompt, Prompt

    from lossadvisor import knowledge

    kb = knowledge.load()
    for task in kb.tasks.values():
        print(f"  {task.id:<20} {task.title}")
    task_id = Prompt.ask("Problem type", choices=list(kb.tasks), show_choices=False, default="multiclass")
    if classes is None and (kb.tasks[task_id].raw.get("head") or {}).get("units") == "num_classes":
        classes = IntPrompt.ask("Number of classes", default=10)
    return task_id, classes


@app.command()
def labels(
    file: Annotated[Path, typer.Argument(help="A label file: .npy, .npz, .csv, .tsv or .txt.")],
    column: Annotated[Optional[str], typer.Option("--column", help="CSV column, by name or 0-based index.")] = None,
    key: Annotated[Optional[str], typer.Option("--key", help="Array name inside an .npz file.")] = None,
    output_format: Annotated[AdviceFormat, typer.Option("--format", "-f", help="Output format.")] = AdviceFormat.text,
    color: Annotated[Color, typer.Option("--color", help="Colour the text output.")] = Color.auto,
) -> None:
    """Profile sample labels: format, classes, range, balance, and the losses that fit them."""
    from lossadvisor.labels.command import run

    raise typer.Exit(run(file, column=column, key=key, fmt=output_format.value, color=use_color(color)))


@app.command("rules")
def rules_(
    output_format: Annotated[AdviceFormat, typer.Option("--format", "-f", help="Output format.")] = AdviceFormat.text,
) -> None:
    """List every rule: code, name, default severity."""
    from lossadvisor.render.rules import render_rule_list

    sys.stdout.write(render_rule_list(output_format.value))


@app.command()
def rule(
    code: Annotated[str, typer.Argument(help="A rule code (LA101) or name (probabilities-into-logits-loss).")],
    output_format: Annotated[AdviceFormat, typer.Option("--format", "-f", help="Output format.")] = AdviceFormat.text,
) -> None:
    """Print a rule's documentation: what it finds, why it matters, an example, what to use instead."""
    from lossadvisor.render.rules import find_rule, render_rule_doc

    found = find_rule(code)
    if found is None:
        raise fail(f"unknown rule `{code}` (see `lossadvisor rules`)")
    sys.stdout.write(render_rule_doc(found, output_format.value))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # an internal error must never look like "findings" (exit 1)
        print(f"lossadvisor: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(2)
