"""Which rules run, at which severity, on which files: the merged result of defaults, a config file
(`[tool.lossadvisor]` in pyproject.toml or `lossadvisor.toml`) and command-line flags.

Selectors are codes or prefixes (`LA3`, `LA301`) or `ALL`, as in ruff and flake8.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import NamedTuple

# LA001 (a file that cannot be read) is not a rule one can turn off: it decides exit status 2.
ALWAYS_ON = ("LA001",)


def _matches(code: str, selectors: tuple[str, ...]) -> int:
    """Length of the most specific selector matching `code` (0 = none), so LA301 beats LA3 beats ALL."""
    best = 0
    for sel in selectors:
        if sel == "ALL":
            best = max(best, 1)
        elif code.startswith(sel):
            best = max(best, len(sel) + 1)
    return best


class Settings(NamedTuple):
    select: tuple[str, ...] = ()  # empty = every rule that is on by default
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = {}  # never mutated
    severity: dict[str, str] = {}  # code or prefix -> info|warning|error (never mutated)
    exclude: tuple[str, ...] = ()
    framework: str | None = None
    fail_on: str = "warning"
    # The folder `exclude` and `per-file-ignores` patterns are relative to: the configuration
    # file's folder (None: patterns match paths as given on the command line).
    root: str | None = None

    def is_enabled(self, code: str, default_enabled: bool = True, path: str | None = None) -> bool:
        if code in ALWAYS_ON:
            return True
        selected = _matches(code, self.select + self.extend_select) if (self.select or self.extend_select) else 0
        if not self.select:
            selected = max(selected, 1 if default_enabled else 0)
        ignored = _matches(code, self.ignore)
        if path is not None:
            for pattern, codes in self.per_file_ignores.items():
                if _path_matches(_relative(path, self.root), pattern):
                    ignored = max(ignored, _matches(code, codes))
        return selected > ignored

    def severity_of(self, code: str, default: str) -> str:
        best, level = 0, default
        for sel, sev in self.severity.items():
            score = _matches(code, (sel,))
            if score > best:
                best, level = score, sev
        return level

    def is_excluded(self, path: str) -> bool:
        relative = _relative(path, self.root)
        return any(_path_matches(relative, pattern) for pattern in self.exclude)


@lru_cache(maxsize=4096)
def _relative(path: str, root: str | None) -> str:
    """`path` relative to `root` when it lies inside it, else unchanged, so a pattern written in
    a configuration file means the same whichever folder lossadvisor runs from."""
    if root is None:
        return path
    try:
        relative = os.path.relpath(os.path.abspath(path), root)
    except ValueError:  # another drive on Windows
        return path
    return path if relative == ".." or relative.startswith(".." + os.sep) else relative


def _path_matches(path: str, pattern: str) -> bool:
    """gitignore-like enough: a pattern matches the whole relative path, any suffix of it, or a name."""
    import fnmatch  # only when there are patterns: most runs have none

    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    parts = path.split("/")
    pattern = pattern.rstrip("/")
    if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern + "/*"):
        return True
    return any(fnmatch.fnmatch("/".join(parts[i:]), pattern) for i in range(1, len(parts))) or any(
        fnmatch.fnmatch(part, pattern) for part in parts
    )
