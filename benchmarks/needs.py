"""What a benchmark needs beyond lossadvisor itself, checked before it starts: one line and exit 2
when something is missing, rather than a traceback halfway through."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def tool(name: str) -> str | None:
    """A command-line tool: next to this Python first (the venv), then on PATH."""
    path = BIN / name
    return str(path) if path.exists() else shutil.which(name)


def require(script: str, extra: str, *, tools: tuple[str, ...] = (), modules: tuple[str, ...] = ()) -> None:
    missing = [name for name in tools if tool(name) is None] + [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        print(f"{script}: needs {', '.join(missing)}: install the `{extra}` extra (.venv/bin/pip install -e '.[{extra}]')", file=sys.stderr)
        raise SystemExit(2)
