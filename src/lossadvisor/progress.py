"""A progress line on stderr for runs long enough to leave a user wondering: files done out of the
total and the current folder (`check`), or bytes read (`labels`).

Only on a terminal: never when stderr is redirected, under CI (`CI` set), with TERM=dumb, or when
the command was given --quiet or --no-progress. It appears only once a run has taken AFTER seconds
(LOSSADVISOR_PROGRESS_AFTER overrides it), so the short runs pre-commit makes never import rich
for it, and it is erased when the run ends, leaving the report as it would be without it.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

from lossadvisor.render import shown_text

AFTER = 1.0  # seconds


def wanted(stream: TextIO | None = None, *, quiet: bool = False, disabled: bool = False) -> bool:
    stream = stream or sys.stderr
    if quiet or disabled or os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    """Call it as work is done: `progress(done, total, detail)`. `unit` is "files" or "bytes"."""

    def __init__(self, description: str, unit: str = "files", stream: TextIO | None = None):
        self.description = description
        self.unit = unit
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        try:
            self.after = float(os.environ.get("LOSSADVISOR_PROGRESS_AFTER", AFTER))
        except ValueError:
            self.after = AFTER
        self.bar = None
        self.task = None

    def file_done(self, done: int, total: int, path: str) -> None:
        """`check`'s callback: the detail shown is the file's folder."""
        self(done, total, folder_of(path))

    def __call__(self, done: int, total: int, detail: str = "") -> None:
        if self.bar is None:
            if time.monotonic() - self.started < self.after or done >= total:
                return
            self._start(total)
        self.bar.update(self.task, completed=done, total=total, detail=shown_text(detail))

    def _start(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, TaskProgressColumn, TextColumn
        from rich.progress import Progress as Bar

        counter = MofNCompleteColumn() if self.unit == "files" else DownloadColumn()
        unit = TextColumn(self.unit) if self.unit == "files" else TextColumn("")
        # markup off: a folder named `[red]` is a name, not a style
        columns = (TextColumn("{task.description}", markup=False), BarColumn(), TaskProgressColumn(), counter, unit, TextColumn("{task.fields[detail]}", markup=False))
        self.bar = Bar(*columns, console=Console(file=self.stream), transient=True)
        self.bar.start()
        self.task = self.bar.add_task(shown_text(self.description), total=total, detail="")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def folder_of(path: str) -> str:
    """The folder a file is in, as the progress line shows it."""
    return os.path.dirname(path) or "."
