"""What every reader and the label library share: a file to read (`Source`, with bounded reads),
the one error a file that cannot be read raises (`InputError`, one clear line), and what a reader
raises for a file that is simply not ours (`NothingToCheck`, with the reason)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

# Members of archives and documents are read with a cap: a zip bomb or a 2 GB JSON is bad input.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024


class InputError(Exception):
    """A file lossadvisor cannot read. The message says what is wrong, without the path."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None, cell: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.cell = cell


class PartlyRead(InputError):
    """A file read in part: the error is reported, and `setups` (from what could be read) are still
    checked. A notebook with a broken cell, an exercise blank: its other cells are checked."""

    def __init__(self, error: InputError, setups: list):
        super().__init__(error.message, error.line, error.column, error.cell)
        self.setups = setups


class NothingToCheck(Exception):
    """A file that holds nothing lossadvisor checks (not ours, or not a training input): not an
    error. The message says why, for the summary and `check -v`."""


class Source(NamedTuple):
    """A file to read: its path on disk (for files it names relative to itself) and the name to
    report. `data` holds standard input's bytes when the file came from `-`; `named` is true for
    a file given on the command line rather than found in a folder."""

    path: Path
    display: str
    data: bytes | None = None
    named: bool = False

    def read_bytes(self, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
        if self.data is not None:
            data = self.data
        else:
            with open(self.path, "rb") as fh:
                data = fh.read(limit + 1)
        if len(data) > limit:
            raise InputError(f"larger than {limit // (1024 * 1024)} MiB, the most lossadvisor reads of this kind of file")
        return data

    def read_text(self, limit: int = MAX_DOCUMENT_BYTES) -> str:
        try:
            return self.read_bytes(limit).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text (byte {exc.start})") from None


class NewerSyntax(Exception):
    """Source that is valid for a newer Python than the running one (reported as LA007, info)."""

    def __init__(self, version: str, construct: str, line: int | None = None, cell: int | None = None):
        super().__init__(f"Python {version} syntax: {construct}")
        self.version, self.construct, self.line, self.cell = version, construct, line, cell


def brief(value: object, width: int = 60) -> str:
    """A value as a message shows it: its repr, cut short (a config value may be megabytes)."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
