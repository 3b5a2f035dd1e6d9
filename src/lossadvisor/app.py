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


class RecommendFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


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


app.command("check", short_help="Check configs, code, notebooks, model and label files.")(_check_command())


# --------------------------------------------------------------------------- the other commands


@app.command(short_help="Head, loss, label format and metrics for a problem type.")
def recommend(
    task: Annotated[Optional[str], typer.Option("--task", "-t", metavar="TASK", help="Problem type: binary, multiclass, multilabel, regression, … (aliases accepted).")] = None,
    framework: Annotated[str, typer.Option("--framework", metavar="NAME", help="Framework to advise for: keras, tf_keras, pytorch, jax (or an alias such as torch), or all.")] = "all",
    classes: Annotated[Optional[int], typer.Option("--classes", metavar="N", min=2, help="Number of classes (sets the output units); classification tasks only.")] = None,
    labels: Annotated[Optional[Path], typer.Option("--labels", metavar="FILE", help="Infer the problem type from a label file (or a folder of class sub-folders, or a saved Hugging Face dataset).")] = None,
    column: Annotated[Optional[str], typer.Option("--column", metavar="COLUMN", help="The label column of a --labels table, by name or 0-based index.")] = None,
    output_format: Annotated[RecommendFormat, typer.Option("--format", "-f", metavar="FORMAT", help="Output format: text, json or markdown.")] = RecommendFormat.text,
    color: Annotated[Color, typer.Option("--color", metavar="WHEN", help="Colour the text output: auto, always or never.")] = Color.auto,
) -> None:
    """Recommend the last layer, activation, loss, label format and metrics for a problem type."""
    from lossadvisor import knowledge
    from lossadvisor.recommend import UnknownTask, find_task, has_classes
    from lossadvisor.recommend import recommend as advise

    from lossadvisor.configfile import framework_option

    try:
        framework = framework_option(framework, "--framework") or "all"
    except UsageError as exc:
        raise fail(str(exc)) from None
    evidence = None
    if column is not None and labels is None:
        raise fail("--column picks the label column of a --labels table; there is no --labels FILE")
    if labels is not None:
        from lossadvisor.recommend import infer_task_from_file
        from lossadvisor.readers import InputError

        try:
            inferred = infer_task_from_file(labels, column)
        except InputError as exc:
            raise fail(f"{labels}: {exc.message}") from None
        task = task or inferred.task
        classes = classes or inferred.classes
        evidence = inferred.evidence
    colored = use_color(color.value)
    if task is None:
        if not sys.stdin.isatty():
            raise fail("missing --task (or --labels FILE); valid tasks: " + ", ".join(knowledge.load().tasks))
        task, classes, framework = _ask(classes, framework, colored)
    try:
        found = find_task(knowledge.load(), task)
    except UnknownTask as exc:
        raise fail(f"{exc} Valid tasks: {', '.join(exc.valid)}" if str(exc).endswith("?") else f"{exc}; valid tasks: {', '.join(exc.valid)}") from None
    if classes is not None and not has_classes(found):
        if labels is None:
            raise fail(f"--classes applies to tasks with one output unit per class; `{found.id}` has none")
        classes = None  # counted from the labels, but this task's head does not depend on it
    advice = advise(found.id, framework, classes, evidence=evidence)
    from lossadvisor.render.advice import render_json, render_markdown, render_text

    if output_format is RecommendFormat.json:
        sys.stdout.write(render_json(advice))
    elif output_format is RecommendFormat.markdown:
        sys.stdout.write(render_markdown(advice))
    else:
        sys.stdout.write(render_text(advice, color=colored))


def _ask(classes: Optional[int], framework: str, color: bool) -> tuple[str, Optional[int], str]:
    """The interactive form of `recommend`, for a terminal without --task: the problem type (ids
    or aliases), the number of classes when the head has one unit per class, and the framework
    unless --framework said it. A wrong answer gets a did-you-mean and the question again."""
    from rich.console import Console
    from rich.prompt import IntPrompt, Prompt

    from lossadvisor import knowledge
    from lossadvisor.recommend import UnknownTask, find_task, has_classes
    from lossadvisor.suggest import UnknownFramework, find_framework

    console = Console(highlight=False, color_system="auto" if color else None)  # no colour: no escape codes at all
    kb = knowledge.load()
    for task in kb.tasks.values():
        console.print(f"  {task.id:<20} {task.title}", markup=False)
    while True:
        try:
            found = find_task(kb, Prompt.ask("Problem type", default="multiclass", console=console))
            break
        except UnknownTask as exc:
            console.print(f"{exc}: pick one of the ids above (aliases such as multi-class or tags work too).", markup=False)
    if classes is None and has_classes(found):
        while (classes := IntPrompt.ask("Number of classes", default=10, console=console)) < 2:
            console.print("At least 2 classes.")
    if framework == "all":
        families = kb.vocabulary.families()
        while True:
            answer = Prompt.ask(f"Framework ({', '.join(families)} or all)", default="all", console=console)
            try:
                framework = find_framework(kb.vocabulary, answer, also=("all",)).id if answer.strip().lower() != "all" else "all"
                break
            except UnknownFramework as exc:
                console.print(f"{exc} (aliases such as torch work too).", markup=False)
    return found.id, classes, framework


@app.command(short_help="Profile a label file and the losses that fit it.")
def labels(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A label file (.npy, .npz, .csv, .tsv, .txt; .parquet, .arrow, .feather, .jsonl with lossadvisor[arrow]), a folder of class sub-folders, or a Hugging Face dataset saved with save_to_disk.", show_default=False)],
    column: Annotated[Optional[str], typer.Option("--column", metavar="COLUMN", help="The label column of a table, by name or 0-based index.")] = None,
    key: Annotated[Optional[str], typer.Option("--key", metavar="NAME", help="Array name inside an .npz file.")] = None,
    output_format: Annotated[AdviceFormat, typer.Option("--format", "-f", metavar="FORMAT", help="Output format: text or json.")] = AdviceFormat.text,
    color: Annotated[Color, typer.Option("--color", metavar="WHEN", help="Colour the text output: auto, always or never.")] = Color.auto,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress line (it only ever appears on a terminal, for files that take over a second).")] = False,
) -> None:
    """Profile sample labels: format, classes, range, balance, and the losses that fit them."""
    from lossadvisor.command import run_labels as run

    raise typer.Exit(run(file, column=column, key=key, fmt=output_format.value, color=use_color(color.value), progress=not no_progress))


@app.command(short_help="What a loss computes and expects, or what a rule's mistake does.")
def explain(
    name: Annotated[str, typer.Argument(metavar="LOSS", help="A loss, by any framework's name or alias (CrossEntropyLoss, bce, tf.keras.losses.SparseCategoricalCrossentropy, F.nll_loss), or a rule code (LA101).", show_default=False)],
    output_format: Annotated[RecommendFormat, typer.Option("--format", "-f", metavar="FORMAT", help="Output format: text, json or markdown.")] = RecommendFormat.text,
    code: Annotated[bool, typer.Option("--code", help="Print the loss's from-scratch numpy reference implementation.")] = False,
    demo: Annotated[bool, typer.Option("--demo", help="For a rule code: compute what the mistake does to the loss and its gradient, on a small example.")] = False,
    verify: Annotated[Optional[str], typer.Option("--verify", metavar="FILE.py:FUNCTION", help="Check your own implementation of the loss against the reference. This IMPORTS FILE.py (running its module code) and calls FUNCTION: the only lossadvisor command that runs your code, and only the function you name.")] = None,
    color: Annotated[Color, typer.Option("--color", metavar="WHEN", help="Colour the text output: auto, always or never.")] = Color.auto,
) -> None:
    """Explain a loss: its formula, the prediction and target it expects, the arguments that change
    that, its name in every framework, how it relates to others, the mistakes lossadvisor checks for
    with it, and its reference implementation. A rule code prints the rule's page (with --demo, the
    numbers of what the mistake does)."""
    from lossadvisor.command import run_explain

    try:
        raise typer.Exit(run_explain(name, fmt=output_format.value, color=use_color(color.value), code=code, demo=demo, verify=verify))
    except UsageError as exc:
        raise fail(str(exc)) from None


@app.command(short_help="Two losses side by side.")
def compare(
    first: Annotated[str, typer.Argument(metavar="LOSS_A", help="A loss, by any framework's name or alias.", show_default=False)],
    second: Annotated[str, typer.Argument(metavar="LOSS_B", help="Another loss.", show_default=False)],
    output_format: Annotated[RecommendFormat, typer.Option("--format", "-f", metavar="FORMAT", help="Output format: text, json or markdown.")] = RecommendFormat.text,
    color: Annotated[Color, typer.Option("--color", metavar="WHEN", help="Colour the text output: auto, always or never.")] = Color.auto,
) -> None:
    """Compare two losses: formulas, expected predictions and targets, arguments, and which problem
    types each serves (CrossEntropyLoss vs NLLLoss, HuberLoss vs SmoothL1Loss, …)."""
    from lossadvisor.command import run_compare

    try:
        raise typer.Exit(run_compare(first, second, fmt=output_format.value, color=use_color(color.value)))
    except UsageError as exc:
        raise fail(str(exc)) from None


@app.command("rules", short_help="List every rule: code, name, severity, summary.")
def rules_(
    output_format: Annotated[AdviceFormat, typer.Option("--format", "-f", metavar="FORMAT", help="Output format: text or json.")] = AdviceFormat.text,
) -> None:
    """List every rule: code, name, default severity, whether lossadvisor can fix it, summary."""
    from lossadvisor.render.rules import render_rule_list

    sys.stdout.write(render_rule_list(output_format.value))


@app.command(short_help="Print one rule's documentation.")
def rule(
    code: Annotated[str, typer.Argument(metavar="CODE", help="A rule code (LA101) or name (probabilities-into-logits-loss).", show_default=False)],
    output_format: Annotated[AdviceFormat, typer.Option("--format", "-f", metavar="FORMAT", help="Output format: text or json.")] = AdviceFormat.text,
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
