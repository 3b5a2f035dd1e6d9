"""docs/labels.md and the README show real output: every `$ lossadvisor …` example is run, and its
output must be what the page shows (a `…` line stands for lines left out; the rest must appear in
order)."""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import ROOT, run_cli

PAGES = (ROOT / "docs" / "labels.md", ROOT / "README.md")
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def _examples() -> list[tuple[str, list[str]]]:
    examples = []
    for block in (b for page in PAGES for b in BLOCK.findall(page.read_text(encoding="utf-8"))):
        command, shown = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command:
                    examples.append((command, shown))
                command, shown = line[2:], []
            else:
                shown.append(line)
        if command:
            examples.append((command, shown))
    return [(c, s) for c, s in examples if c.startswith("lossadvisor ") and "|" not in c]


@pytest.mark.parametrize(("command", "shown"), _examples(), ids=lambda v: v if isinstance(v, str) else "")
def test_example_output_is_real(command: str, shown: list[str]) -> None:
    proc = run_cli(*shlex.split(command)[1:], cwd=ROOT, env={"COLUMNS": "100"})
    actual = [line.rstrip() for line in (proc.stdout + proc.stderr).splitlines()]
    if "…" not in shown:
        assert actual == shown
        return
    position = 0
    for line in (line for line in shown if line != "…"):
        assert line.rstrip() in actual[position:], line
        position = actual.index(line.rstrip(), position) + 1


def test_the_page_has_examples() -> None:
    assert len(_examples()) >= 10
