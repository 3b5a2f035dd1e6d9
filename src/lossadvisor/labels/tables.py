"""Labels in one column of a `.csv`, `.tsv` or `.txt` file, streamed row by row.

The delimiter comes from the suffix (`.csv` falls back to `;` when the first line has no comma;
`.txt` takes tabs, commas or runs of whitespace). A first row is a header when it names the column
asked for, when a text cell sits above numbers, or when none of its cells reappears below it. The
column is `--column` (a name, or a 0-based index), else the only one, else one named like labels.
A column is numeric when its values parse as numbers (missing cells such as "", NA, null become
NaN); a numeric column with a stray word in it is bad input, a column of words holds class names.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from typing import TextIO

import numpy as np

from lossadvisor.labels.arrays import LabelStream, NoLabelChoice, choose
from lossadvisor.inputs import InputError

ROWS_PER_CHUNK = 1 << 16
LOOKAHEAD = 200  # rows read before deciding on the header and the column
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
BOOLEANS = frozenset({"true", "false"})

Row = tuple[int, list[str]]  # (line number, fields)


def open_table(fh: TextIO, suffix: str, column: str | int | None, *, limit_rows: int | None = None) -> LabelStream:
    rows = _rows(fh, suffix)
    ahead = list(itertools.islice(rows, LOOKAHEAD))
    if not ahead:
        raise InputError("holds no rows")
    width = len(ahead[0][1])
    header = _has_header(ahead, column)
    names = [f.strip() for f in ahead[0][1]] if header else [str(i) for i in range(width)]
    index = _column_index(names, header, column)
    body = itertools.chain(ahead[1:] if header else ahead, rows)
    name = names[index] if header else (None if width == 1 else f"column {index}")
    counted = {"rows": 0}
    chunks = _chunks(body, width, index, name or "labels", counted, limit_rows)
    return LabelStream(None, 1, chunks, lambda: (counted["rows"],), name)


def _rows(fh: TextIO, suffix: str) -> Iterator[Row]:
    """Non-blank rows with their line numbers; `.txt` lines starting with '#' are comments."""
    try:
        first = _line(fh, 1)
        while first and not first.strip():
            first = _line(fh, 1)
        lines = itertools.chain([first], _bounded_lines(fh)) if first else iter(())
        delimiter = _delimiter(first, suffix)
        if delimiter is None:
            number = 0
            for number, line in enumerate(lines, start=1):
                fields = line.split()
                if fields and not fields[0].startswith("#"):
                    yield number, fields
            return
        reader = csv.reader(lines, delimiter=delimiter, strict=True)  # strict: an unclosed quote is an error
        for fields in reader:
            if fields and (len(fields) > 1 or fields[0].strip()):  # blank lines are not rows
                yield reader.line_num, fields
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise InputError("unreadable CSV: a quote is opened and never closed, so the rest of the file would be one value") from None
        raise InputError(f"unreadable CSV: {exc}") from None


MAX_LINE_CHARS = 1024 * 1024  # a label row is never longer; a longer line is not a label file


def _line(fh: TextIO, number: int) -> str:
    line = fh.readline(MAX_LINE_CHARS + 1)
    if len(line) > MAX_LINE_CHARS:
        raise InputError(f"line {number:,} is longer than {MAX_LINE_CHARS // (1024 * 1024)} MiB: not a file of labels")
    return line


def _bounded_lines(fh: TextIO) -> Iterator[str]:
    """The file's lines, each read with a bound (iterating a file reads a whole line, however long)."""
    number = 1
    while line := _line(fh, number + 1):
        number += 1
        yield line


def _delimiter(first_line: str, suffix: str) -> str | None:
    if suffix == ".tsv":
        return "\t"
    if suffix == ".csv":
        return ";" if "," not in first_line and ";" in first_line else ","
    if "\t" in first_line:
        return "\t"
    return "," if "," in first_line else None


def _has_header(ahead: list[Row], column: str | int | None) -> bool:
    first = [f.strip() for f in ahead[0][1]]
    rest = [[f.strip() for f in fields] for _, fields in ahead[1:]]
    if isinstance(column, str) and not _is_number(column) and column in first:
        return True  # the column asked for by name is named here
    if all(_is_number(f) or f.lower() in MISSING for f in first):
        return False
    if not rest:
        return True  # one row of words: a header without labels
    for i, cell in enumerate(first):
        if not _is_number(cell) and any(i < len(r) and _is_number(r[i]) for r in rest):
            return True  # a word above numbers
    if len(set(first)) < len(first):
        return False
    return not any(i < len(r) and r[i] == cell for r in rest for i, cell in enumerate(first))


def _column_index(names: list[str], header: bool, column: str | int | None) -> int:
    width = len(names)
    if column is None:
        if width == 1:
            return 0
        if not header:
            raise NoLabelChoice(f"{width} columns and no header row: pick the label column with --column INDEX (`labels.column` in a config)")
        return names.index(choose(names, None, what="column", flag="--column (`labels.column` in a config)"))
    text = str(column).strip()
    if header:
        matches = [i for i, n in enumerate(names) if n == text] or [i for i, n in enumerate(names) if n.lower() == text.lower()]
        if matches:
            return matches[0]
    if isinstance(column, int) or text.lstrip("-").isdigit():
        index = int(text)
        if -width <= index < width:
            return index % width
        raise InputError(f"no column {index}: the file has {width} column{'s' if width != 1 else ''}")
    if not header:
        raise InputError(f"no column '{text}': the file has no header row; pass a 0-based column index")
    raise InputError(f"no column '{text}' (found: {', '.join(names)})")


def _chunks(body: Iterator[Row], width: int, index: int, name: str, counted: dict, limit: int | None) -> Iterator[np.ndarray]:
    """Batches of label cells → arrays (a comprehension per batch, only the label cell kept)."""
    column = _Column(name)

    def cell(line: int, fields: list[str]) -> str:
        if len(fields) != width:
            raise InputError(f"ragged rows: line {line} has {len(fields)} fields, the first row has {width}", line)
        return fields[index].strip()

    while True:
        take = ROWS_PER_CHUNK if limit is None else min(ROWS_PER_CHUNK, limit - counted["rows"])
        batch = [(line, cell(line, fields)) for line, fields in itertools.islice(body, max(take, 0))]
        if not batch:
            return
        counted["rows"] += len(batch)
        yield column.convert([value for _, value in batch], [line for line, _ in batch])


class _Column:
    """Turns cells into an array; whether the column is numbers or words is decided once."""

    def __init__(self, name: str):
        self.name = name
        self.mode: str | None = None  # "number", "bool" or "text"

    def convert(self, values: list[str], lines: list[int]) -> np.ndarray:
        if self.mode is None:
            self.mode = _decide(values)
        if self.mode == "text":
            return np.array(["" if v.lower() in MISSING else v for v in values], dtype=str)
        if self.mode == "bool":
            return self._booleans(values, lines)
        cells = np.array(values, dtype=str)
        try:
            return cells.astype(np.int64)
        except (ValueError, OverflowError):
            pass
        missing = np.isin(np.char.lower(cells), list(MISSING))
        cells = np.where(missing, "nan", cells)  # a new array: "nan" may be wider than the cells
        try:
            return cells.astype(np.float64)
        except ValueError:
            raise self._junk(values, lines) from None

    def _booleans(self, values: list[str], lines: list[int]) -> np.ndarray:
        lowered = [v.lower() for v in values]
        for value, low, line in zip(values, lowered, lines):
            if low not in BOOLEANS and low not in MISSING:
                raise InputError(f"'{_short(value)}' in column '{self.name}' is not true/false like the rest", line)
        return np.array([1.0 if v == "true" else 0.0 if v == "false" else np.nan for v in lowered])

    def _junk(self, values: list[str], lines: list[int]) -> InputError:
        for value, line in zip(values, lines):
            if not _is_number(value) and value.lower() not in MISSING:
                return InputError(f"'{_short(value)}' in column '{self.name}' is not a number, and the column holds numbers", line)
        return InputError(f"column '{self.name}' holds values that are not numbers")


def _short(value: str, width: int = 40) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


def _decide(values: list[str]) -> str:
    present = [v for v in values if v.lower() not in MISSING]
    if not present:
        return "number"  # nothing but missing cells: NaN, which the profile reports
    if all(v.lower() in BOOLEANS for v in present):
        return "bool"
    numbers = sum(1 for v in present if _is_number(v))
    return "number" if numbers and numbers >= len(present) - numbers else "text"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
