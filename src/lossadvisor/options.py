"""The options of `check` as plain data, and the small parser the fast path uses.

`lossadvisor check` runs on every commit under pre-commit, and `import typer` alone costs ~60 ms,
more than the rest of a check. So the options of `check` are a table (CHECK_OPTIONS) from which two
parsers are built: `parse_check_args` here (the fast path in `cli.main`), and the typer app
(`lossadvisor.app`), which declares the same options for `--help`, usage errors and completion.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NamedTuple

FORMATS = ("text", "json", "sarif", "github")
COLORS = ("auto", "always", "never")
FAIL_ON = ("error", "warning", "info")


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
    Option(("--format", "-f"), "output_format", "Output format: text, json, sarif or github.", choices=FORMATS, default="text", env="LOSSADVISOR_FORMAT", metavar="FORMAT"),
    Option(("--output-file", "-o"), "output_file", "Write the report to this file instead of standard output.", metavar="FILE"),
    Option(("--config",), "config", "Use this configuration file (pyproject.toml, lossadvisor.toml) for every path instead of searching for one.", metavar="FILE"),
    Option(("--isolated",), "isolated", "Ignore all configuration files.", kind="flag"),
    Option(("--select",), "select", "Only these rule codes, prefixes or names (comma-separated, repeatable; ALL for every rule). Replaces the configuration's selection.", kind="multiple", metavar="CODES"),
    Option(("--extend-select",), "extend_select", "Also enable these codes or prefixes.", kind="multiple", metavar="CODES"),
    Option(("--ignore",), "ignore", "Skip these codes or prefixes.", kind="multiple", metavar="CODES"),
    Option(("--exclude",), "exclude", "Glob of paths to skip (repeatable); added to the configuration's exclude.", kind="multiple", metavar="GLOB"),
    Option(("--framework",), "framework", "Framework to assume where a file does not say: keras, tf_keras, pytorch, jax (or an alias such as torch, tf.keras), or all.", metavar="NAME"),
    Option(("--labels",), "labels", "A label file (.npy/.npz/.csv; .parquet/.arrow/.feather/.jsonl with lossadvisor[arrow]) or a folder of class sub-folders, to pair with every checked setup.", metavar="FILE"),
    Option(("--labels-column",), "labels_column", "The label column of a --labels table, by name or 0-based index.", metavar="COLUMN"),
    Option(("--loss",), "loss", "The loss, for models saved without one (e.g. Keras JSON).", metavar="NAME"),
    Option(("--fail-on",), "fail_on", "Lowest severity that makes the exit status 1: error, warning or info. Default: warning (or the configuration's fail-on).", choices=FAIL_ON, metavar="SEVERITY"),
    Option(("--exit-zero",), "exit_zero", "Exit 0 even when there are findings (2 still means bad input).", kind="flag"),
    Option(("--stdin-filename",), "stdin_filename", "Name (and so file type and configuration) of the file read from '-'.", metavar="NAME"),
    Option(("--show-source",), "show_source", "Show the offending line under each finding, with a caret.", kind="flag"),
    Option(("--statistics",), "statistics", "Print how many findings each rule produced instead of the findings.", kind="flag"),
    Option(("--quiet", "-q"), "quiet", "Print findings only, no summary line.", kind="flag"),
    Option(("--verbose", "-v"), "verbose", "Also list every file that had nothing to check, and why.", kind="flag"),
    Option(("--no-progress",), "no_progress", "No progress line (it only ever appears on a terminal, for runs over a second).", kind="flag"),
    Option(("--color",), "color", "Colour the text output: auto, always or never (auto: only on a terminal; NO_COLOR and FORCE_COLOR are honoured).", choices=COLORS, default="auto", metavar="WHEN"),
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
