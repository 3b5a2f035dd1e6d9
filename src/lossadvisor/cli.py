"""The command line's entry point and the `check` command, without typer.

`lossadvisor check` runs on every commit under pre-commit, and `import typer` alone costs ~60 ms,
more than the rest of a check. So the options of `check` are plain data (CHECK_OPTIONS) and two
parsers are built from that one table:

- `main()` parses `lossadvisor check …` with a small parser over the table (`options`). It never prints help
  or usage errors itself: anything it does not accept (`--help`, a bad flag, an invalid value) is
  handed to the typer app, which then prints exactly what it always prints.
- `lossadvisor.app` (typer) declares the same options from the same table, for `--help`, every
  other command (recommend, labels, rules, rule) and shell completion.

Both end in `command.run_check(options)`, so the two paths cannot drift apart.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, configuration or input error (a
file that cannot be read, a bad flag), as ruff and most linters do.
"""

from __future__ import annotations

import os
import sys

from lossadvisor import __version__
from lossadvisor.command import run_check
from lossadvisor.options import CHECK_OPTIONS, UsageError, _NotForUs, parse_check_args

__all__ = ["CHECK_OPTIONS", "UsageError", "main", "parse_check_args", "run_check"]
COMPLETION_ENV = "_LOSSADVISOR_COMPLETE"  # set by the shell while completing: typer must answer


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
