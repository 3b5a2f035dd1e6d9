"""The typer application: help, shell completion and every command but the fast `check` path.

`check`'s options are not written here: they are built from `options.CHECK_OPTIONS`, the table the
fast path in `cli.py` also reads, so `lossadvisor check --help` documents exactly what
`lossadvisor check` accepts. Importing this module costs ~60 ms (typer); `cli.main()` only does so
when it must.
"""

from __future__ import annotations

import inspect
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import typer

from lossadvisor import __version__
from lossadvisor.command import run_check
from lossadvisor.options import CHECK_HELP, CHECK_OPTIONS, PATHS_HELP, Option, UsageError, use_color

app = typer.Typer(
    name="lossadvisor",
    help="Catch loss / last-activation / label-format mismatches before a GPU hour is spent.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class AdviceFormat(str, Enum):
    text = "text"
    json = "json"


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


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


# --------------------------------------------------------------------------- check, from the table


def _parameter(opt: Option) -> inspect.Parameter:
    if opt.kind == "flag":
        annotation: Any = bool
    elif opt.kind == "multiple":
        annotation = Optional[list[str]]
    elif opt.choices:
        annotation = Literal[opt.choices] if opt.default is not None else Optional[Literal[opt.choices]]
    else:
        annotation = Optional[str]
    default = False if opt.kind == "flag" else opt.default
    info = typer.Option(default, *opt.flags, envvar=opt.env, help=opt.help, metavar=opt.metavar, show_default=default not in (None, False))
    return inspect.Parameter(opt.dest, inspect.Parameter.KEYWORD_ONLY, default=info, annotation=annotation)


def _check_command():
    def check(**options: Any) -> None:
        raise typer.Exit(run_check(options))

    paths = inspect.Parameter(
        "paths", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[list[str]],
        default=typer.Argument(None, help=PATHS_HELP, show_default=False, metavar="PATHS..."),
    )  # fmt: skip
    check.__signature__ = inspect.Signature([paths, *map(_parameter, CHECK_OPTIONS)])  # type: ignore[attr-defined]
    check.__doc__ = CHECK_HELP
    return check


app.command("check")(_check_command())


# --------------------------------------------------------------------------- the other commands


@app.command()
def recommend(
    task: Annotated[Optional[str], typer.Option("--task", "-t", help="Problem type: binary, multiclass, multilabel, regression, … (aliases accepted).")] = None,
    framework: Annotated[str, typer.Option("--framework", metavar="NAME", help="Framework to advise for: keras, tf_keras, pytorch, jax (or an alias such as torch), or all.")] = "all",
    classes: Annotated[Optional[int], typer.Option("--classes", min=2, help="Number of classes (sets the output units).")] = None,
    labels: Annotated[Optional[Path], typer.Option("--labels", help="Infer the problem type from a label file.")] = None,
    output_format: Annotated[AdviceFormat, typer.Option("--format", "-f", help="Output format.")] = AdviceFormat.text,
    color: Annotated[Color, typer.Option("--color", help="Colour the text output.")] = Color.auto,
) -> None:
    """Recommend the last layer, activation, loss and label format for a problem type."""
    from lossadvisor import knowledge
    from lossadvisor.recommend import UnknownTask
    from lossadvisor.recommend import recommend as advise

    from lossadvisor.configfile import framework_option

    try:
        framework = framework_option(framework, "--framework") or "all"
    except UsageError as exc:
        raise fail(str(exc)) from None
    evidence = None
    if labels is not None:
        from lossadvisor.recommend import infer_task_from_file
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
        task, classes, framework = _ask(classes, framework, use_color(color.value))
    try:
        advice = advise(task, framework, classes, evidence=evidence)
    except UnknownTask as exc:
        raise fail(f"{exc} Valid tasks: {', '.join(exc.valid)}" if str(exc).endswith("?") else f"{exc}; valid tasks: {', '.join(exc.valid)}") from None
    from lossadvisor.render.advice import render_json, render_text

    if output_format is AdviceFormat.json:
        sys.stdout.write(render_json(advice))
    else:
        sys.stdout.write(render_text(advice, color=use_color(color.value)))


def _ask(classes: Optional[int], framework: str, color: bool) -> tuple[str, Optional[int], str]:
    """The interactive form of `recommend`, for a terminal without --task: the problem type (ids
    or aliases), the number of classes when the head has one unit per class, and the framework
    unless --framework said it."""
    from rich.console import Console
    from rich.prompt import IntPrompt, Prompt

    from lossadvisor import knowledge

    console = Console(no_color=not color, highlight=False)
    kb = knowledge.load()
    for task in kb.tasks.values():
        console.print(f"  {task.id:<20} {task.title}")
    while (found := kb.find_task(Prompt.ask("Problem type", default="multiclass", console=console))) is None:
        console.print("Not a problem type: pick one of the ids above (aliases such as multi-class work too).")
    if classes is None and "num_classes" in str((found.raw.get("head") or {}).get("units", "")):
        while (classes := IntPrompt.ask("Number of classes", default=10, console=console)) < 2:
            console.print("At least 2 classes.")
    if framework == "all":
        families = kb.vocabulary.families()
        while True:
            answer = Prompt.ask(f"Framework ({', '.join(families)} or all)", default="all", console=console)
            chosen = kb.vocabulary.framework(answer)
            if chosen is not None or answer.strip().lower() == "all":
                framework = chosen.id if chosen else "all"
                break
            console.print("Not a framework: pick one of " + ", ".join(families) + " (aliases such as torch work too).")
    return found.id, classes, framework


@app.command()
def labels(
    file: Annotated[Path, typer.Argument(help="A label file: .npy, .npz, .csv, .tsv or .txt.")],
    column: Annotated[Optional[str], typer.Option("--column", help="CSV column, by name or 0-based index.")] = None,
    key: Annotated[Optional[str], typer.Option("--key", help="Array name inside an .npz file.")] = None,
    output_format: Annotated[AdviceFormat, typer.Option("--format", "-f", help="Output format.")] = AdviceFormat.text,
    color: Annotated[Color, typer.Option("--color", help="Colour the text output.")] = Color.auto,
) -> None:
    """Profile sample labels: format, classes, range, balance, and the losses that fit them."""
    from lossadvisor.command import run_labels as run

    raise typer.Exit(run(file, column=column, key=key, fmt=output_format.value, color=use_color(color.value)))


@app.command("rules")
def rules_(
    output_format: Annotated[AdviceFormat, typer.Option("--format", "-f", help="Output format.")] = AdviceFormat.text,
) -> None:
    """List every rule: code, name, default severity, whether lossadvisor can fix it, summary."""
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
        from lossadvisor import knowledge
        from lossadvisor.suggest import did_you_mean

        rules = knowledge.load().rules
        hint = did_you_mean(code.upper() if code.upper().startswith("LA") else code, [*rules, *(r.name for r in rules.values())])
        raise fail(f"unknown rule `{code}`{hint} (see `lossadvisor rules`)")
    sys.stdout.write(render_rule_doc(found, output_format.value))
