"""Jupyter notebooks (.ipynb): the code cells, in order, read as one Python module.

Each cell is first converted the way IPython converts it before running it (`readers.ipython`:
magics, shell escapes, help, automagic, a uniform indent, cell magics), so a cell that IPython runs
is never a syntax error here; a cell that is invalid even for IPython (Python 2 `print x`, an
exercise blank) is one `InputError` in that cell, raised as `PartlyRead` with what the other cells
hold, so that they are still checked. Positions are the cell (1-based, counting every
cell, as in the notebook) and the line and column within it. Broken JSON, or JSON that is not a
notebook, is one `InputError`.
"""

from __future__ import annotations

import ast
import bisect
import json

from lossadvisor.facts import Position, TrainingSetup
from lossadvisor.readers import InputError, PartlyRead, Source
from lossadvisor.readers.ipython import Cell, split_lines, to_python


def cells(source: Source) -> list[tuple[int, list[str], str]]:
    """Every cell as (number, source lines, cell type). Raises InputError for a file that is not a notebook."""
    try:
        data = json.loads(source.read_bytes())
    except UnicodeDecodeError as exc:
        raise InputError(f"not a notebook: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not a valid notebook: broken JSON ({exc.msg})", exc.lineno, exc.colno) from None
    except RecursionError:
        raise InputError("not a valid notebook: nested too deeply") from None
    except ValueError:  # an integer over Python's 4,300-digit conversion limit
        raise InputError("not a valid notebook: a number has more than 4,300 digits") from None
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
        out.append((number, split_lines(text), str(cell.get("cell_type", "code"))))
    return out


def _raw_cells(data: object) -> list:
    if isinstance(data, dict) and isinstance(data.get("cells"), list):
        return data["cells"]
    if isinstance(data, dict) and isinstance(data.get("worksheets"), list):  # nbformat 3
        sheets = [sheet.get("cells") for sheet in data["worksheets"] if isinstance(sheet, dict)]
        if not all(isinstance(cells, list) for cells in sheets):
            raise InputError("not a valid notebook: a worksheet has no `cells` list")
        return [c for cells in sheets for c in cells]
    raise InputError("not a Jupyter notebook: no `cells` list")


def python_cell(lines: list[str]) -> Cell:
    """The cell as IPython would run it (rules/ipython.yaml names the magics)."""
    from lossadvisor import knowledge

    names = knowledge.load().ipython
    return to_python("\n".join(lines), names["line_magics"], names["python_cell_magics"])


def read(source: Source) -> list[TrainingSetup]:
    from lossadvisor.readers import python

    code_cells = [(number, python_cell(lines)) for number, lines, kind in cells(source) if kind == "code"]
    code = "\n".join(line for _, cell in code_cells for line in cell.lines)
    if not python.may_hold_setups(code):
        return []
    python.check_size(code)
    module = ast.Module(body=[], type_ignores=[])
    starts: list[int] = []  # first global line of each code cell, minus one
    numbers: list[int] = []
    columns: list[int] = []  # per global line: characters the conversion removed from its start
    offset = 0
    broken: list[InputError] = []
    for number, cell in code_cells:
        try:
            tree = _parse_cell(cell, number)
        except InputError as exc:  # the notebook is still read, without this cell
            broken.append(exc)
            tree = ast.Module(body=[], type_ignores=[])
        ast.increment_lineno(tree, offset)
        module.body.extend(tree.body)
        starts.append(offset)
        numbers.append(number)
        columns.extend([*cell.offsets, 0])
        offset += len(cell.lines) + 1

    def locate(line: int, column: int) -> Position:
        index = bisect.bisect_left(starts, line) - 1
        shift = columns[line - 1] if 0 < line <= len(columns) else 0
        return Position(source.display, line - starts[index], column + shift, numbers[index])

    text = "".join("\n".join(cell.lines) + "\n\n" for _, cell in code_cells)  # the lines `module` numbers
    setups = python.analyze(module, source.display, locate, source.path.parent, text)
    if broken:
        first = broken[0]
        others = f"; {len(broken) - 1} more cell{'s' if len(broken) > 2 else ''} cannot be read" if len(broken) > 1 else ""
        raise PartlyRead(InputError(f"{first.message}{others}; the other cells were checked", first.line, first.column, first.cell), setups)
    return setups


def _parse_cell(cell: Cell, number: int) -> ast.Module:
    try:  # IPython runs top-level `await`
        return compile("\n".join(cell.lines), f"<cell {number}>", "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError as exc:
        from lossadvisor.readers.python.source import syntax_error

        shift = cell.offsets[exc.lineno - 1] if exc.lineno and 0 < exc.lineno <= len(cell.offsets) else 0
        raise syntax_error(exc, cell.lines, number, shift) from None
    except ValueError as exc:
        raise InputError(f"not Python source: {exc}", cell=number) from None


def comment_lines(source: Source) -> dict[int | None, list[str]]:
    """Each code cell's lines, for `# noqa` comments (a notebook that cannot be read has none)."""
    try:
        return {number: lines for number, lines, kind in cells(source) if kind == "code"}
    except InputError:
        return {}
