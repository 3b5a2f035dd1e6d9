"""Renderers: pure functions from findings to text. One module per format; none of them filters."""

from __future__ import annotations

FORMATS = ("text", "json", "sarif", "github")


def render(fmt: str, findings, *, files_checked: int, color: bool = False, **options) -> str:
    import importlib

    module = importlib.import_module(f"lossadvisor.render.{fmt}")
    return module.render(findings, files_checked=files_checked, color=color, **options)
