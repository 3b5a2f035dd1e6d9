"""Modules of the project next to the file being checked: `from model import Net`,
`from .nets import Head`, `import utils`.

A pre-commit hook passes only the files that changed: a `train.py` whose model lives in an unchanged
`model.py` must still see the model's head. A local module is found relative to the checked file
(and, inside a package, relative to the package's parent), read with `ast` like everything else,
and run once per check when one of its names is first used. Its own losses are its own file's
business: only what reaches a loss written in the checked file becomes a setup.
"""

from __future__ import annotations

import ast
import os
from functools import lru_cache
from pathlib import Path

from lossadvisor.facts import Position
from lossadvisor.readers.python.frames import Frame, Origin
from lossadvisor.readers.python.values import UNKNOWN, Const, Value

MAX_MODULE_BYTES = 1024 * 1024  # a generated or vendored giant is not a model definition
MAX_MODULES = 20  # per checked file


class Local(Value):
    """A name imported from a project module: the module itself (`name` None) or one of its names."""

    __slots__ = ("file", "name")

    def __init__(self, file: Path, name: str | None):
        self.file, self.name = file, name


def find(base_dir: Path | None, module: str | None, level: int) -> Path | None:
    """The file of a project module, or None. `level` counts the dots of a relative import."""
    if base_dir is None:
        return None
    parts = module.split(".") if module else []
    if level:
        root = base_dir
        for _ in range(level - 1):
            root = root.parent
        return _module_file(root, parts)
    for root in _search_roots(base_dir):
        if found := _module_file(root, parts):
            return found
    return None


def _search_roots(base_dir: Path) -> list[Path]:
    """The file's directory, and above it while inside a package (`from pkg.model import Net` in
    `pkg/train.py`)."""
    roots = [base_dir]
    current = base_dir
    while (current / "__init__.py").is_file() and current.parent != current:
        current = current.parent
        roots.append(current)
    return roots


def _module_file(root: Path, parts: list[str]) -> Path | None:
    if not parts:
        init = root / "__init__.py"
        return init if init.is_file() else None
    target = root.joinpath(*parts)
    for candidate in (target.with_name(target.name + ".py"), target / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def bindings(interp, stmt: ast.Import | ast.ImportFrom, origin: Origin) -> list[tuple[str, Local]]:
    """The names an import statement binds to project modules (none for library imports)."""
    from lossadvisor.readers.python.imports import is_library

    base = origin.base_dir
    out: list[tuple[str, Local]] = []
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if is_library(alias.name) or alias.asname is None and "." in alias.name:
                continue
            if file := find(base, alias.name, 0):
                out.append((alias.asname or alias.name, Local(file, None)))
        return out
    if not stmt.level and is_library(stmt.module or ""):
        return out
    module_file = find(base, stmt.module, stmt.level)
    for alias in stmt.names:
        if alias.name == "*":
            continue
        if module_file is not None:
            out.append((alias.asname or alias.name, Local(module_file, alias.name)))
        elif file := find(base, f"{stmt.module}.{alias.name}" if stmt.module else alias.name, stmt.level):
            out.append((alias.asname or alias.name, Local(file, None)))  # `from pkg import model`
    return out


def resolve(interp, local: Local) -> Value:
    """The value a project name stands for: its module is run on first use."""
    frame = load(interp, local.file)
    if frame is None:
        return UNKNOWN
    if local.name is None:
        return local
    found = frame.vars.get(local.name)
    if found is not None:
        return found
    submodule = local.file.parent / f"{local.name}.py" if local.file.name == "__init__.py" else None
    return Local(submodule, None) if submodule is not None and submodule.is_file() else UNKNOWN


def load(interp, file: Path):
    """Run a project module once per check (returns its frame, or None if it cannot be read)."""

    key = str(file.resolve())
    if key in interp.project_modules:
        return interp.project_modules[key]
    interp.project_modules[key] = None  # against import cycles
    if len(interp.project_modules) > MAX_MODULES:
        return None
    try:
        stat = file.stat()
    except OSError:
        return None
    tree = _parsed(key, stat.st_mtime_ns, stat.st_size)
    if tree is None:
        return None
    display = _display(interp, file)
    origin = Origin(display, lambda line, column: Position(display, line, column), file.name, file.parent)
    frame = Frame(None, None, origin)
    frame.vars["__name__"] = Const(file.stem, Position(display))
    interp.exec_block(tree.body, frame)
    interp.project_modules[key] = frame
    return frame


@lru_cache(maxsize=64)
def _parsed(path: str, mtime_ns: int, size: int) -> ast.Module | None:
    """A project module's tree, parsed once per process (many files of a tree import the same
    module); None for a module that is too large, not Python, or imports no framework."""
    from lossadvisor.inputs import InputError
    from lossadvisor.readers.python.imports import imports_a_framework
    from lossadvisor.readers.python.source import decode

    if size > MAX_MODULE_BYTES:
        return None
    try:
        text = decode(Path(path).read_bytes())
        return ast.parse(text) if imports_a_framework(text) else None
    except (OSError, InputError, SyntaxError, ValueError):
        return None


def _display(interp, file: Path) -> str:
    """The module's path as the checked file's path is shown (`src/model.py` next to `src/train.py`)."""
    main = interp.main
    if main.base_dir is None:
        return str(file)
    try:
        relative = os.path.relpath(file, main.base_dir)
    except ValueError:
        return str(file)
    return os.path.normpath(os.path.join(os.path.dirname(main.path), relative))
