"""IPython itself as the judge of a notebook cell: does IPython run it? Used by
tests/test_ipython_cells.py and benchmarks/notebook_corpus.py (needs IPython, the test extra)."""

from __future__ import annotations


def ipython_runs(shell, cell: str) -> bool:
    """Whether IPython runs the cell: IPython 9 dedents a cell by its common indent, IPython 8 by
    its first line's indent (removed from every line that has it); a cell either one runs is valid."""
    return bool(transformed_compiles(shell, cell) or transformed_compiles(shell, ipython8_dedent(cell)))


def transformed_compiles(shell, cell: str) -> bool | None:
    """Whether IPython's conversion of the cell compiles; None when the converter itself raises
    (its tokenizer gives up on the cell)."""
    try:
        return compiles(shell.transform_cell(cell))
    except Exception:
        return None


def ipython8_dedent(cell: str) -> str:
    lines = cell.splitlines(keepends=True)
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return cell
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip(" \t"))]
    return "".join(line[len(indent) :] if line.startswith(indent) else line for line in lines)


def compiles(code: str) -> bool:
    try:
        compile(code, "<cell>", "exec", flags=0x400 | 0x2000)  # ONLY_AST | ALLOW_TOP_LEVEL_AWAIT
    except (SyntaxError, ValueError):
        return False
    return True
