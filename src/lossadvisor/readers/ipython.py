"""A notebook cell → Python, the way IPython converts a cell before running it
(IPython.core.inputtransformer2, then automagic for a one-line cell), without IPython.

    leading indent      a uniformly indented cell is dedented (IPython's `leading_indent`)
    prompts             `>>> ` / `... ` and `In [3]: ` / `   ...: ` pasted from a console are removed
    cell magics         `%%time`, `%%timeit`, `%%capture` …: the body is Python and is read;
                        any other (`%%bash`, `%%writefile`, `%%html`) holds no Python: skipped
    escapes             at the start of a *logical* line only, at any indentation: `%magic`, `!shell`
                        (with its backslash continuations), `?obj`, `/f x`, `,f x`, `;f x`
    assignments         `files = !ls`, `t = %timeit -o f()`
    help                `obj?`, `obj.attr??` at the end of a logical line
    automagic           a one-line cell that starts with a line magic's name (`pip install x`,
                        `ls data/`) and is not Python

A `%` that continues a bracketed expression (`print('loss %.3f'` then `      % loss)`) is Python's
modulo, not a magic: only a line that starts a statement can hold an escape. Every IPython-only
line becomes `pass` at its own indentation (its continuation lines blank), so the cell keeps its
line numbers, and `offsets` says how many characters were removed from the start of each line, so
a position is still the original cell's line and column. Which names are line magics and which
cell magics run Python is data (rules/ipython.yaml).
"""

from __future__ import annotations

import re
from typing import NamedTuple

NEWLINE = re.compile(r"\r\n|\r|\n")  # Python's own line ends (not U+2028, form feed … as str.splitlines has)
ESCAPES = ("!", "%", "?", "/", ",", ";")
MAGIC_ASSIGNMENT = re.compile(r"^[\w.,\s()\[\]*]+?\s*=\s*[!%]")
CLASSIC_PROMPT = re.compile(r"^(>>>|\.\.\.)( |$)")
IPYTHON_PROMPT = re.compile(r"^(In \[\d+\]: |\s*\.{3,}: ?)")
FIRST_WORD = re.compile(r"^([A-Za-z_][\w]*)(?:\s|$)")
# Anything IPython would convert starts like one of these: a whole cell without a match is Python.
CANDIDATE = re.compile(r"^[ \t]*[!%?/,;]|\?|=[ \t]*[!%]", re.M)


class Cell(NamedTuple):
    lines: list[str]  # Python, one line per line of the cell
    offsets: list[int]  # characters removed from the start of each line


def split_lines(text: str) -> list[str]:
    """A cell's lines as Python numbers them."""
    lines = NEWLINE.split(text)
    return lines[:-1] if lines and lines[-1] == "" and len(lines) > 1 else lines


def to_python(text: str, line_magics: frozenset[str], python_cell_magics: frozenset[str]) -> Cell:
    lines = split_lines(text)
    offsets = [0] * len(lines)
    head = text.lstrip("\r\n")
    plain = not head.startswith((" ", "\t", ">>>", "...", "In [")) and NEWLINE.search(head.rstrip()) is not None
    if plain and CANDIDATE.search(text) is None:
        return Cell(lines, offsets)  # most cells: Python of several lines, nothing to convert
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return Cell(lines, offsets)
    _dedent(lines, offsets, first)
    for prompt in (CLASSIC_PROMPT, IPYTHON_PROMPT):
        _strip_prompts(lines, offsets, first, prompt)
    start = first
    if lines[first].startswith("%%"):
        name = lines[first][2:].split(maxsplit=1)[0] if lines[first][2:].strip() else ""
        if name not in python_cell_magics:
            return Cell(["pass" if i == first else "" for i in range(len(lines))], offsets)
        lines[first] = ""  # the body runs as Python, magics and all
        start = first + 1
    _escapes(lines, start)
    if sum(1 for line in lines if line.strip()) == 1:
        _automagic(lines, line_magics)
    return Cell(lines, offsets)


def _dedent(lines: list[str], offsets: list[int], first: int) -> None:
    indent = lines[first][: len(lines[first]) - len(lines[first].lstrip(" \t"))]
    if not indent:
        return
    for i in range(first, len(lines)):
        if lines[i].startswith(indent):
            lines[i] = lines[i][len(indent) :]
            offsets[i] += len(indent)


def _strip_prompts(lines: list[str], offsets: list[int], first: int, prompt: re.Pattern[str]) -> None:
    if not prompt.match(lines[first]):
        return
    for i in range(first, len(lines)):
        if found := prompt.match(lines[i]):
            lines[i] = lines[i][found.end() :]
            offsets[i] += found.end()


def _escapes(lines: list[str], start: int) -> None:
    """Replace every IPython-only logical line from `start` on, in place: one that starts with an
    escape or a magic assignment (with its backslash continuations), or one that ends in `?`."""
    if CANDIDATE.search("\n".join(lines[start:])) is None:
        return  # nothing to look for: no need to follow logical lines
    i = start
    while i < len(lines):
        stripped = lines[i].lstrip()
        if stripped.startswith(ESCAPES) or MAGIC_ASSIGNMENT.match(stripped):
            end = i
            while lines[end].rstrip().endswith("\\") and end + 1 < len(lines):
                end += 1  # a shell command or magic continued with backslashes
            _replace(lines, i, end)
            i = end + 1
            continue
        depth, quote, continued = 0, None, False
        end = i
        while True:  # to the end of this logical line
            depth, quote, continued = _scan(lines[end], depth, quote)
            if not (depth or quote or continued) or end + 1 >= len(lines):
                break
            end += 1
        if _code(lines[end]).endswith("?") and quote is None:
            _replace(lines, i, end)  # help on whatever precedes the `?`
        i = end + 1


def _replace(lines: list[str], first: int, last: int) -> None:
    line = lines[first]
    lines[first] = line[: len(line) - len(line.lstrip())] + "pass"
    for j in range(first + 1, last + 1):
        lines[j] = ""


SPECIAL = re.compile(r"[#\"'()\[\]{}\\]")  # what changes the scanner's state; everything else is skipped


def _code(line: str) -> str:
    """The line without its comment and trailing space (strings kept as they are); "" when the
    line ends inside a string."""
    _, quote, _, comment = _scan_line(line, 0, None)
    if quote is not None:
        return ""
    return (line[:comment] if comment is not None else line).rstrip()


def _scan(line: str, depth: int, quote: str | None) -> tuple[int, str | None, bool]:
    """Bracket depth, the open string quote, and a backslash continuation after `line`."""
    depth, quote, continued, _ = _scan_line(line, depth, quote)
    return depth, quote, continued


def _scan_line(line: str, depth: int, quote: str | None) -> tuple[int, str | None, bool, int | None]:
    """(depth, open quote, continued, where a comment starts) after `line`."""
    i, n = 0, len(line)
    while i < n:
        if quote:
            j = i
            while True:
                found = line.find(quote, j)
                slash = line.find("\\", j)
                if slash != -1 and (found == -1 or slash < found):
                    if slash == n - 1:
                        return depth, quote, True, None  # a string continued on the next line
                    j = slash + 2
                    continue
                break
            if found == -1:
                if len(quote) == 1:
                    return depth, None, False, None  # an unterminated one-line string: Python reports it
                return depth, quote, False, None
            i = found + len(quote)
            quote = None
            continue
        match = SPECIAL.search(line, i)
        if match is None:
            break
        c, i = match.group(), match.start()
        if c == "#":
            return depth, None, False, i
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        elif c == "\\":
            if not line[i + 1 :].strip():
                return depth, None, True, None
        else:
            quote = c * 3 if line.startswith(c * 3, i) else c
            i += len(quote)
            continue
        i += 1
    return depth, quote, False, None


def _automagic(lines: list[str], line_magics: frozenset[str]) -> None:
    """A one-line cell `pip install x`: IPython runs the magic when the line is not Python."""
    i = next(i for i, line in enumerate(lines) if line.strip())
    stripped = lines[i].strip()
    found = FIRST_WORD.match(stripped)
    if found is None or found.group(1) not in line_magics or _compiles(stripped):
        return
    lines[i] = lines[i][: len(lines[i]) - len(lines[i].lstrip())] + "pass"


def _compiles(line: str) -> bool:
    try:
        compile(line, "<cell>", "exec", flags=0x400)  # ast.PyCF_ONLY_AST without importing ast here
    except (SyntaxError, ValueError):
        return False
    return True
