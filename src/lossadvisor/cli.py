"""The command line's entry point and the `check` command, without typer.

`lossadvisor check` runs on every commit under pre-commit, and `import typer` alone costs ~60 ms,
more than the rest of a check. So the options of `check` are plain data (CHECK_OPTIONS) and two
parsers are built from that one table:

- `main()` parses `lossadvisor check …` with a small parser over the table. It never prints help
  or usage errors itself: anything it does not accept (`--help`, a bad flag, an invalid value) is
  handed to the typer app, which then prints exactly what it always prints.
- `lossadvisor.app` (typer) declares the same options from the same table, for `--help`, every
  other command (recommend, labels, rules, rule) and shell completion.

Both end in `run_check(options)`, so the two paths cannot drift apart.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, configuration or input error (a
file that cannot be read, a bad flag), as ruff and most linters do.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NamedTuple

from lossadvisor import __version__

FORMATS = ("text", "json", "sarif", "github")
COLORS = ("auto", "always", "never")
FRAMEWORK_CHOICES = ("keras", "tf_keras", "pytorch", "jax", "all")
FAIL_ON = ("error", "warning", "info")
COMPLETION_ENV = "_LOSSADVISOR_COMPLETE"  # set by the shell while completing: typer must answer


class Option(NamedTuple):
    """One option of `check`. kind: "value" (one string), "flag" (bool), "multiple" (repeatable)."""

    flags: tuple[str, ...]
    dest: str
    help: str
    kind: str = "value"
    choices: tuple[str, ...] | None = None
    default: Any = None
    env: str | None = None
    metavar: str | None = None


PATHS_HELP = "Files and directories to check ('-' reads standard input). Default: the current directory."
CHECK_HELP = "Check training configs, model code, notebooks, Keras files and label files."
CHECK_OPTIONS = (
    Option(("--format", "-f"), "output_format", "Output format.", choices=FORMATS, default="text", env="LOSSADVISOR_FORMAT"),
    Option(("--output-file", "-o"), "output_file", "Write the report to this file instead of standard output.", metavar="FILE"),
    Option(("--config",), "config", "Use this configuration file (pyproject.toml, lossadvisor.toml) for every path instead of searching for one.", metavar="FILE"),
    Option(("--isolated",), "isolated", "Ignore all configuration files.", kind="flag"),
    Option(("--select",), "select", "Only these rule codes, prefixes or names (comma-separated, repeatable; ALL for every rule). Replaces the configuration's selection.", kind="multiple", metavar="CODES"),
    Option(("--extend-select",), "extend_select", "Also enable these codes or prefixes.", kind="multiple", metavar="CODES"),
    Option(("--ignore",), "ignore", "Skip these codes or prefixes.", kind="multiple", metavar="CODES"),
    Option(("--exclude",), "exclude", "Glob of paths to skip (repeatable); added to the configuration's exclude.", kind="multiple", metavar="GLOB"),
    Option(("--framework",), "framework", "Framework to assume where a file does not say.", choices=FRAMEWORK_CHOICES),
    Option(("--labels",), "labels", "A label file (.npy/.npz/.csv) to pair with every checked setup.", metavar="FILE"),
    Option(("--loss",), "loss", "The loss, for models saved without one (e.g. Keras JSON).", metavar="NAME"),
    Option(("--fail-on",), "fail_on", "Lowest severity that makes the exit status 1. Default: warning (or the configuration's fail-on).", choices=FAIL_ON),
    Option(("--exit-zero",), "exit_zero", "Exit 0 even when there are findings (2 still means bad input).", kind="flag"),
    Option(("--stdin-filename",), "stdin_filename", "Name (and so file type and configuration) of the file read from '-'.", metavar="NAME"),
    Option(("--show-source",), "show_source", "Show the offending line under each finding, with a caret.", kind="flag"),
    Option(("--statistics",), "statistics", "Print how many findings each rule produced instead of the findings.", kind="flag"),
    Option(("--quiet", "-q"), "quiet", "Print findings only, no summary line.", kind="flag"),
    Option(("--color",), "color", "Colour the text output (auto: only on a terminal; NO_COLOR and FORCE_COLOR are honoured).", choices=COLORS, default="auto"),
)  # fmt: skip


class UsageError(Exception):
    """A bad flag value or configuration file: one line on stderr, exit 2."""


# --------------------------------------------------------------------------- the fast parser


class _NotForUs(Exception):
    """The fast parser met something it does not handle; typer will (help, usage errors)."""


def parse_check_args(args: list[str]) -> dict[str, Any]:
    """Options of `check` as typer would pass them; raises _NotForUs for anything else.

    It reads the forms people and pre-commit write (`--flag`, `--opt value`, `--opt=value`,
    `-f value`, `-fvalue`, paths anywhere, `--` before paths) and hands everything else to typer
    (help, unknown or abbreviated flags, bad values, combined short flags). Hand-written rather
    than argparse, which costs ~5 ms of imports (gettext, locale, shutil) and a terminal-size
    query per option; tests check it agrees with typer on every form it accepts.
    """
    by_flag = {flag: opt for opt in CHECK_OPTIONS for flag in opt.flags}
    given: dict[str, Any] = {}
    paths: list[str] = []
    rest = list(args)
    while rest:
        token = rest.pop(0)
        if token == "--":
            paths += rest
            break
        if token == "-" or not token.startswith("-"):
            paths.append(token)
            continue
        if token.startswith("--"):
            flag, has_value, value = token.partition("=")
        else:  # -f json, -fjson
            flag, value = token[:2], token[2:]
            has_value = bool(value)
        opt = by_flag.get(flag)
        if opt is None or (opt.kind == "flag" and has_value):
            raise _NotForUs(token)
        if opt.kind == "flag":
            given[opt.dest] = True
            continue
        if not has_value:
            if not rest or (rest[0].startswith("-") and rest[0] != "-"):
                raise _NotForUs(token)  # a missing value, or one typer may read differently
            value = rest.pop(0)
        if opt.choices and value not in opt.choices:
            raise _NotForUs(token)
        if opt.kind == "multiple":
            given.setdefault(opt.dest, []).append(value)
        else:
            given[opt.dest] = value
    options: dict[str, Any] = {"paths": paths or None}
    for opt in CHECK_OPTIONS:
        value = given.get(opt.dest)
        if opt.kind == "flag":
            value = bool(value)
        elif value is None and opt.env and (value := os.environ.get(opt.env)) is not None:
            if opt.choices and value not in opt.choices:
                raise _NotForUs(opt.env)  # typer words this error
        options[opt.dest] = opt.default if value is None else value
    return options


# --------------------------------------------------------------------------- running a check


def use_color(choice: str, stream=None) -> bool:
    """--color beats NO_COLOR beats FORCE_COLOR beats terminal detection; TERM=dumb means no."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def run_check(options: dict[str, Any]) -> int:
    """`lossadvisor check` with parsed options (from either parser); returns the exit code."""
    from pathlib import Path

    from lossadvisor import configfile
    from lossadvisor.engine import Report, check_paths
    from lossadvisor.readers import Source

    paths = list(options["paths"] or ["."])
    stdin = None
    if "-" in paths:
        if paths != ["-"]:
            raise UsageError("'-' (standard input) cannot be mixed with other paths")
        name = options["stdin_filename"] or "stdin.py"
        stdin = Source(Path(name), name, sys.stdin.buffer.read())
        paths = [name]  # its name picks the reader and the configuration
    cli = configfile.CliSettings.from_options(options)
    groups = configfile.settings_by_path(paths, cli, config=options["config"], isolated=options["isolated"])
    report, exit_code = Report(), 0
    for settings, group in groups:  # one group per configuration file that applies
        part = check_paths(group, settings, labels=options["labels"], loss=options["loss"], framework=settings.framework, stdin=stdin)
        report.findings.extend(part.findings)
        report.files_checked += part.files_checked
        exit_code = max(exit_code, part.exit_code(settings.fail_on, options["exit_zero"]))
    report.findings.sort(key=lambda f: f.sort_key)
    _write(_render(report, options, stdin), options["output_file"])
    return exit_code


def _render(report, options: dict[str, Any], stdin) -> str:
    from lossadvisor.render import render

    fmt = options["output_format"]
    color = fmt == "text" and options["output_file"] is None and use_color(options["color"])
    source_line = _source_lines(stdin) if options["show_source"] else None
    return render(
        fmt, report.findings, files_checked=report.files_checked, color=color, quiet=options["quiet"],
        statistics=options["statistics"], source_line=source_line,
    )  # fmt: skip


def _source_lines(stdin):
    """For --show-source: finding -> the line it points at (None where the file has no lines).
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

    def source_line(finding) -> str | None:
        if finding.path not in cache:
            cache[finding.path] = lines_of(finding.path)
        lines = cache[finding.path].get(finding.cell, [])
        return lines[finding.line - 1] if finding.line and finding.line <= len(lines) else None

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


# --------------------------------------------------------------------------- entry point


def _dispatch(argv: list[str]) -> int:
    if COMPLETION_ENV not in os.environ:
        if argv == ["--version"]:
            print(f"lossadvisor {__version__}")
            return 0
        if argv[:1] == ["check"]:
            try:
                options = parse_check_args(argv[1:])
            except _NotForUs:
                pass  # typer prints the help or the usage error
            else:
                return run_check(options)
    from lossadvisor.app import app

    try:
        app(args=argv, prog_name=_prog_name(), complete_var=COMPLETION_ENV)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def _prog_name() -> str:
    return "python -m lossadvisor" if sys.argv and sys.argv[0].endswith("__main__.py") else "lossadvisor"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        code = _dispatch(argv)
    except UsageError as exc:
        print(f"lossadvisor: error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # an internal error must never look like "findings" (exit 1)
        print(f"lossadvisor: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)
