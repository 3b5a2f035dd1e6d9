"""Python source → TrainingSetups, read with `ast` only: the code is never imported or run.

    read(source)                   a .py file
    analyze(tree, display, …)      an already parsed module (the notebook reader joins its cells)

A file that imports no deep-learning framework, or names no loss and no model, is skipped before
it is parsed (most files of a project): that is what keeps `lossadvisor check .` fast on a large
tree.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable
from pathlib import Path

from lossadvisor.facts import Position, TrainingSetup
from lossadvisor.readers import InputError, Source
from lossadvisor.readers.python.imports import imports_a_framework, names_training, uses_fragment_names

from lossadvisor.readers.ipython import split_lines
from lossadvisor.readers.python.source import decode, syntax_error

RECURSION_LIMIT = 12_000  # Python frames while reading one file (pure-Python recursion: no C stack)
# What parsing costs is the number of tokens, about 0.56 KiB of syntax tree each (torch's 1.3 MiB
# common_methods_invocations.py: 203,000 tokens, 120 MiB; 1.4 MiB of dense generated code: 616,000
# tokens, 354 MiB). Past these bounds a file is one clear LA001 rather than a run that blows up; the
# byte bound keeps the count cheap.
MAX_PYTHON_BYTES = 1536 * 1024
MAX_PYTHON_TOKENS = 300_000
# Tokens as the bound counts them: a string or a comment is one, a name or a number one, any other
# non-space character one (Python's own tokenizer is six times slower and counts within 15 %).
_STRING = r"""[rRbBuUfF]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')"""
_TOKEN = re.compile(_STRING + r"|#[^\n]*|\w+|[^\w\s]")



def comment_lines(source: Source) -> dict[int | None, list[str]]:
    """The file's lines for `# noqa` comments, in the encoding it declares."""
    try:
        return {None: split_lines(decode(source.read_bytes()))}  # Python's own line ends, not str.splitlines
    except (InputError, OSError):
        return {}


def may_hold_setups(text: str) -> bool:
    """The pre-filter: a framework import (or a snippet's unimported framework names), and a word
    that names a loss or a model."""
    return (imports_a_framework(text) or uses_fragment_names(text)) and names_training(text.lower())


def read(source: Source) -> list[TrainingSetup]:
    text = decode(source.read_bytes())
    if not may_hold_setups(text):
        return []
    check_size(text)
    tree = parse(text)
    return analyze(tree, source.display, lambda line, column: Position(source.display, line, column), source.path.parent, text)


def check_size(code: str) -> None:
    size = len(code.encode("utf-8", "surrogatepass"))
    if size > MAX_PYTHON_BYTES:
        raise InputError(f"{size // 1024:,} KiB of Python is more than lossadvisor reads ({MAX_PYTHON_BYTES // 1024} KiB): exclude a generated file")
    if size > MAX_PYTHON_TOKENS and (tokens := count_tokens(code)) > MAX_PYTHON_TOKENS:  # a token is at least one byte
        raise InputError(f"{tokens:,} tokens of Python are more than lossadvisor reads ({MAX_PYTHON_TOKENS:,}): exclude a generated file")


def count_tokens(code: str) -> int:
    """About as many tokens as Python's tokenizer finds, counted with one regular expression."""
    return sum(1 for _ in _TOKEN.finditer(code))


def parse(text: str) -> ast.Module:
    """Raises InputError for a syntax error, at its line and column (NewerSyntax for code of a
    newer Python than the running one)."""
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        raise syntax_error(exc, text.splitlines()) from None
    except ValueError as exc:  # null bytes
        raise InputError(f"not Python source: {exc}") from None


def trained_by_a_config(path: Path, display: str, class_name: str, precision: Position) -> list[TrainingSetup]:
    """The losses of the model class `class_name` in `path` (a project module a config names),
    applied in its training steps under the config's mixed `precision`. [] when the file cannot be
    read: that is its own check's finding, not the config's."""
    try:
        text = decode(path.read_bytes())
        check_size(text)
        tree = parse(text)
    except (OSError, InputError):
        return []
    spans = [(n.lineno, n.end_lineno or n.lineno) for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name]
    if not spans:
        return []
    setups = analyze(tree, display, lambda line, column: Position(display, line, column), path.parent, text, mixed_trainer=precision)
    inside = lambda at: at is not None and any(lo <= (at.line or 0) <= hi for lo, hi in spans)  # noqa: E731
    return [s for s in setups if s.autocast == precision and s.loss is not None and (inside(s.applied_at) or inside(s.loss.written.at))]


def analyze(
    tree: ast.Module, display: str, locate: Callable[[int, int], Position], base_dir: Path | None, text: str | None = None,
    mixed_trainer: Position | None = None,
) -> list[TrainingSetup]:
    """`text` is the source the tree's line numbers refer to (lets functions that name no loss or
    model be skipped when nobody calls them); `mixed_trainer` a Trainer's mixed precision set
    elsewhere (a config), under which the training steps run."""
    from lossadvisor import knowledge
    from lossadvisor.readers.python.dataflow import Interpreter
    from lossadvisor.readers.python.setups import assemble

    interp = Interpreter(knowledge.load(), display, locate, base_dir, text)
    interp.mixed_trainer = mixed_trainer
    # The interpreter follows expressions recursively, a few Python frames per level: a 600-term
    # `a + b + …` or method chain is valid code that the default limit of 1,000 frames cannot follow.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, RECURSION_LIMIT))
    try:
        interp.run_module(tree)
        return assemble(interp)
    finally:
        sys.setrecursionlimit(limit)
