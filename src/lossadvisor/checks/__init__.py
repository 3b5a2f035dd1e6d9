"""The rule implementations: small functions over a `Context` (a setup plus what the knowledge
base says about it), one module per family. A check yields `Hit`s; the engine turns hits into
findings with the rule's message template and the severity the configuration gives it.

A check never opens a file and never formats a severity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from lossadvisor.facts import Position

CheckFunction = Callable[["Context"], Iterator["Hit"]]  # noqa: F821 - Context lives in context.py

REGISTRY: dict[str, CheckFunction] = {}
FAMILIES = ("names", "prediction", "units", "labels", "task", "advice", "metrics")


class Hit(NamedTuple):
    code: str
    at: Position
    args: dict[str, Any] = {}  # message template arguments (never mutated)
    also: Position | None = None  # the other half of the mismatch (the activation, the loss), when it has a place


def rule(code: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under its code. Codes are unique: the knowledge test compares this registry
    with `rules/checks/`."""

    def register(fn: CheckFunction) -> CheckFunction:
        if code in REGISTRY:
            raise ValueError(f"check code {code} registered twice")
        REGISTRY[code] = fn
        return fn

    return register


def all_checks() -> dict[str, CheckFunction]:
    import importlib

    for family in FAMILIES:
        importlib.import_module(f"lossadvisor.checks.{family}")
    return REGISTRY
