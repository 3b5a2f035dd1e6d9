"""Jupyter notebooks (.ipynb): the code cells, in order, read as one Python module.

IPython-only lines are skipped (replaced by `pass`, so line numbers and indentation stay valid):
line magics (`%matplotlib inline`), shell escapes (`!pip install …`, `files = !ls`), help (`obj?`),
and whole cells under a cell magic other than timing ones (`%%bash`, `%%writefile`; `%%time` keeps
its Python). Positions are the cell (1-based, counting every cell, as in the notebook) and the line
within it. Broken JSON, or JSON that is not a notebook, is one `InputError`.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
import sys

from lossadvisor.facts import Position, TrainingSetup
from lossadvisor.readers import InputError, Source

PYTHON_CELL_MAGICS = {"%%time", "%%timeit", "%%capture", "%%prun", "%%debug"}
SHELL_ASSIGNMENT = re.compile(r"^\s*[\w.,\s()\[\]]+=\s*[!%]")
HELP = re.compile(r"^\s*\??[\w.]+\?{1,2}\s*$")


def cells(source: Source) -> list[tuple[int, list[str], str]]:
    """Every cell as (number, source lines, cell type). Raises InputError for a file that is not a notebook."""
    try:
        data = json.loads(source.read_bytes())
    except UnicodeDecodeError as exc:
        raise InputError(f"not a notebook: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not a valid notebook: broken JSON ({exc.msg})", exc.lineno, exc.colno) from None
    raw_cells = _raw_cells(data)
    out = []
    for number, cell in enumerate(raw_cells, start=1):
        if not isinstance(cell, dict):
            raise InputError(f"not a valid notebook: cell {number} is not an object")
        text = cell.get("source", cell.get("input", ""))
        if isinstance(text, list):
            text = "".join(str(part) for part in text)
        if not isinstance(text, str):
            raise InputError(f"not a valid notebook: cell {number} has no source text")
        out.append((number, text.splitlines(), str(cell.get("cell_type", "code"))))
    return out


def _raw_cells(data: object) -> list:
    if isinstance(data, dict) and isinstance(data.get("cells"), list):
        return data["cells"]
    if isinstance(data, dict) and isinstance(data.get("worksheets"), list):  # nbformat 3
        return [c for sheet in data["worksheets"] if isinstance(sheet, dict) for c in sheet.get("cells", [])]
    raise InputError("not a Jupyter notebook: no `cells` list")


def python_lines(lines: list[str]) -> list[str]:
    """The cell with IPython-only lines replaced by `pass` at their indentation."""
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        if first.split()[0] not in PYTHON_CELL_MAGICS:
            return ["pass" if i == 0 else "" for i in range(len(lines))]
        lines = ["" if line.strip() == first else line for line in lines]
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or SHELL_ASSIGNMENT.match(line) or HELP.match(line):
            out.append(line[: len(line) - len(stripped)] + "pass")
        else:
            out.append(line)
    return out


def read(source: Source) -> list[TrainingSetup]:
    from lossadvisor.readers import python

    code_cells = [(number, python_lines(lines)) for number, lines, kind in cells(source) if kind == "code"]
    if not python.may_hold_setups("\n".join(line for _, lines in code_cells for line in lines)):
        return []
    module = ast.Module(body=[], type_ignores=[])
    starts: list[int] = []  # first global line of each code cell, minus one
    numbers: list[int] = []
    offset = 0
    for number, lines in code_cells:
        tree = _parse_cell("\n".join(lines), number)
        ast.increment_lineno(tree, offset)
        module.body.extend(tree.body)
        starts.append(offset)
        numbers.append(number)
        offset += len(lines) + 1

    def locate(line: int, column: int) -> Position:
        index = bisect.bisect_left(starts, line) - 1
        return Position(source.display, line - starts[index], column, numbers[index])

    text = "".join("\n".join(lines) + "\n\n" for _, lines in code_cells)  # the lines `module` numbers
    return python.analyze(module, source.display, locate, source.path.parent, text)


def _parse_cell(code: str, number: int) -> ast.Module:
    try:  # IPython runs top-level `await`
        return compile(code, f"<cell {number}>", "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError as exc:
        raise InputError(f"Python {sys.version_info[0]}.{sys.version_info[1]} syntax error: {exc.msg}", exc.lineno, exc.offset, cell=number) from None
    except ValueError as exc:
        raise InputError(f"not Python source: {exc}", cell=number) from None


def comment_lines(source: Source) -> dict[int | None, list[str]]:
    """Each code cell's lines, for `# noqa` comments (a notebook that cannot be read has none)."""
    try:
        return {number: lines for number, lines, kind in cells(source) if kind == "code"}
    except InputError:
        return {}
