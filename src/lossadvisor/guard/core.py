"""The guard's bookkeeping, the same for every framework: how many calls are left to inspect, which
findings were already said, and how they go out (a warning, or an error before the loss runs).

An inspection that fails for any reason says so once ("stepped aside") and is never tried again:
the loss call itself always goes through unchanged."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable

from lossadvisor import knowledge
from lossadvisor.guard import LossAdvisorError, LossAdvisorWarning

# Frames of these packages are skipped when a warning names the line it comes from, so that it
# points at the user's `loss = criterion(...)` rather than at the framework's call machinery.
_PLUMBING = ("lossadvisor", "torch", "keras", "jax", "optax", "lightning", "pytorch_lightning", "functools")


def user_stacklevel() -> int:
    frame, level = sys._getframe(1), 1
    while frame is not None and (frame.f_globals.get("__name__") or "").split(".")[0] in _PLUMBING:
        frame, level = frame.f_back, level + 1
    return level


def step_aside_warning(why: str) -> None:
    warnings.warn(LossAdvisorWarning(f"lossadvisor guard stepped aside: {why}; the loss runs unchanged and is not inspected"), stacklevel=user_stacklevel())


def note(text: str) -> None:
    warnings.warn(LossAdvisorWarning(f"lossadvisor guard: {text}"), stacklevel=user_stacklevel())


class Watch:
    """One guarded loss: `look(inspection)` runs `inspection()` (returning Seen findings) on the
    first `batches` calls and reports each code once."""

    def __init__(self, name: str, batches: int, on: str):
        self.name = name
        self.left = batches
        self.on = on
        self.said: set[str] = set()
        self.stepped_aside: str | None = None
        self.findings: list[tuple[str, str]] = []  # everything reported, in order (for tests and tools)
        self.noted: set[str] = set()  # notes said once (traced calls not inspected)

    def note_once(self, key: str, text: str) -> None:
        if key not in self.noted:
            self.noted.add(key)
            note(text)

    @property
    def active(self) -> bool:
        return self.left > 0

    def step_aside(self, why: str) -> None:
        if self.stepped_aside is None:
            self.stepped_aside = why
            self.left = 0
            step_aside_warning(why)

    def look(self, inspection: Callable[[], list]) -> None:
        if self.left <= 0:
            return
        self.left -= 1
        try:
            seen = inspection()
        except Exception as error:  # noqa: BLE001 -- inspection must never break training
            self.step_aside(f"{self.name}: {type(error).__name__}: {error}")
            return
        self.report(seen)

    def report(self, seen: list) -> None:
        rules = knowledge.load().rules
        present = {s.code for s in seen}
        superseded = {code for c in present if c in rules for code in rules[c].supersedes}
        new = []
        for s in seen:
            if s.code in superseded or s.code in self.said:
                continue
            self.said.add(s.code)
            new.append(s)
        if not new:
            return
        self.findings.extend((s.code, s.message) for s in new)
        if self.on == "raise":
            raise LossAdvisorError("\n".join(s.message for s in new), [s.code for s in new])
        level = user_stacklevel()
        for s in new:
            warnings.warn(LossAdvisorWarning(s.message, s.code), stacklevel=level)
