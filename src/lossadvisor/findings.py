"""The one result type: a frozen `Finding` (a NamedTuple, see facts.py), with 1-based positions,
and the `Coverage` of a run (what was checked), which every renderer also gets.

Every check, every reader error and every renderer speaks in findings. Positions are 1-based as
users see them (editors, GitHub, SARIF); `line`/`column` are None where the input has no lines
(binary archives, label arrays), and `cell` is the 1-based notebook cell when there is one.
"""

from __future__ import annotations

from typing import NamedTuple

from lossadvisor.facts import Position

SEVERITIES = ("info", "warning", "error")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


class Finding(NamedTuple):
    code: str
    name: str
    severity: str
    message: str
    path: str
    line: int | None = None
    column: int | None = None
    cell: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    fix: str | None = None  # what to use instead, in a sentence
    # Where the other half of the mismatch is written (the softmax a loss finding is about), when
    # it has a line: --show-source shows it too, and `# noqa` on that line also suppresses.
    related: Position | None = None

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.line or 0, self.column or 0, self.code)

    @property
    def location(self) -> str:
        """`path:line:col`, `path:cell 4:12:3` in notebooks, `path` where there is no line."""
        parts = [self.path]
        if self.cell is not None:
            parts.append(f"cell {self.cell}")
        if self.line is not None:
            parts.append(str(self.line))
            parts.append(str(self.column or 1))
        return ":".join(parts)


class Coverage(NamedTuple):
    """What a run read. Silence must mean "checked and clean", so the files that held nothing for
    lossadvisor are counted apart from those checked, each with the reason."""

    checked: int = 0  # files that held a training setup (a loss, a model, metrics), all checked
    # (path, why, named): files with nothing to check; `named` when the path was given on the
    # command line rather than found while walking a folder (such a file always gets its line).
    not_checked: tuple[tuple[str, str, bool], ...] = ()
    unreadable: int = 0  # files that could not be read (each has its LA001 finding)

    @property
    def read(self) -> int:
        return self.checked + len(self.not_checked) + self.unreadable

    def combined(self, other: Coverage) -> Coverage:
        return Coverage(self.checked + other.checked, self.not_checked + other.not_checked, self.unreadable + other.unreadable)
