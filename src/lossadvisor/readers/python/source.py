"""Python source as the interpreter would read it: the encoding a file declares (PEP 263, a BOM),
and what a syntax error means when the code was written for a newer Python than the running one.

Code valid for Python 3.12+ is not broken input: `syntax_error` turns such an error into
`NewerSyntax` (reported as LA007, info: "not checked, run on Python 3.12") instead of LA001. The
constructs recognised are the ones that make older parsers fail (NEWER_SYNTAX); any other syntax
error stays an InputError.
"""

from __future__ import annotations

import re
import sys

from lossadvisor.inputs import InputError, NewerSyntax

CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)

# (Python version, what it is, the line that holds it); checked in order on the failing line.
NEWER_SYNTAX = (
    ((3, 12), "a `type` alias statement", re.compile(r"^\s*type\s+[A-Za-z_]\w*\s*(\[[^\]]*\])?\s*=")),
    ((3, 12), "type parameters on a function or class", re.compile(r"^\s*(async\s+)?(def|class)\s+[A-Za-z_]\w*\s*\[")),
    ((3, 12), "an f-string that reuses its quotes or nests deeper", re.compile(r"""\b[rRbB]?[fF][rR]?("|')""")),
    ((3, 14), "`except` with several exceptions and no parentheses", re.compile(r"^\s*except\*?\s+[^():#]+,[^():#]+(\bas\b)?[^:]*:")),
    ((3, 14), "a template string", re.compile(r"""(?<![\w"'])[tT][rR]?("|')""")),
)


def decode(data: bytes) -> str:
    """A .py file's text in the encoding it declares (UTF-8 by default, a BOM honoured)."""
    head = data[: data.find(b"\n", data.find(b"\n") + 1) + 1] if b"\n" in data else data
    declared = CODING.search(head)
    encoding = declared.group(1).decode("ascii", "replace") if declared else "utf-8"
    if data.startswith(b"\xef\xbb\xbf") and encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except LookupError:
        raise InputError(f"declares an unknown source encoding `{encoding}`") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not {encoding} text as it declares (byte {exc.start})") from None


def syntax_error(exc: SyntaxError, lines: list[str], cell: int | None = None, column_shift: int = 0) -> Exception:
    """An InputError, or NewerSyntax when the failing line holds syntax of a newer Python."""
    line = lines[exc.lineno - 1] if exc.lineno and 0 < exc.lineno <= len(lines) else ""
    for version, construct, pattern in NEWER_SYNTAX:
        if sys.version_info[:2] < version and pattern.search(line) and _plausible(construct, exc):
            return NewerSyntax(f"{version[0]}.{version[1]}", construct, exc.lineno, cell)
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    column = exc.offset + column_shift if exc.offset else exc.offset
    return InputError(f"Python {running} syntax error: {exc.msg}", exc.lineno, column, cell)


def _plausible(construct: str, exc: SyntaxError) -> bool:
    """An f-string error on an f-string line, not any error on a line that happens to hold one."""
    if "f-string" in construct:
        return "f-string" in (exc.msg or "")
    return True
