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


def test_the_readme_configuration_example_does_what_its_comments_say(tmp_path):
    """The `[tool.lossadvisor]` example, used as it stands: advice (LA5) ignored, label findings
    (LA3) as warnings, and fail-on = "error" so that warnings alone exit 0."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = readme.split("## Configuration and suppression\n\n```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(example, encoding="utf-8")
    config = "model:\n  output: {units: 10, activation: softmax}\nloss: categorical_crossentropy\nlabels: {format: class_ids}\n"
    (tmp_path / "train.yaml").write_text("framework: keras\n" + config, encoding="utf-8")
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "try.yaml").write_text("framework: pytorch\nmodel:\n  output: {units: 10, activation: softmax}\nloss: CrossEntropyLoss\n")
    plain = run_cli("check", "train.yaml", "--isolated", cwd=tmp_path)
    assert plain.returncode == 1 and " LA302 [error] " in plain.stdout  # without the configuration
    configured = run_cli("check", ".", cwd=tmp_path)
    lines = configured.stdout.splitlines()
    assert [line.split(" ")[1:3] for line in lines[:-1]] == [["LA302", "[warning]"]]  # no LA501 advice, nothing from experiments/
    assert configured.returncode == 0
    # `framework = "pytorch"` applies where a file does not say: the same config without its
    # `framework:` line is read as PyTorch, whose CrossEntropyLoss after a softmax is LA101
    (tmp_path / "train.yaml").write_text(config.replace("categorical_crossentropy", "CrossEntropyLoss"), encoding="utf-8")
    assert " LA101 [error] " in run_cli("check", "train.yaml", cwd=tmp_path).stdout
