"""`# noqa` comments in YAML (and any commented text), flake8/ruff style, line and file level."""

from __future__ import annotations

import pytest
from cli_samples import DOUBLE_SOFTMAX, MALFORMED, write
from conftest import run_cli

from lossadvisor import suppression
from lossadvisor.engine import check_paths
from lossadvisor.findings import Finding
from lossadvisor.settings import Settings

LOSS_LINE = "  name: CrossEntropyLoss"  # line 5 of DOUBLE_SOFTMAX, where LA101 is reported


def with_comment(comment: str, line: int = 5) -> str:
    lines = DOUBLE_SOFTMAX.splitlines()
    lines[line - 1] += f"  {comment}"
    return "\n".join(lines) + "\n"


def found(tmp_path, text: str) -> list[str]:
    path = write(tmp_path, "train.yaml", text)
    return [f.code for f in check_paths([path], Settings()).findings]


@pytest.mark.parametrize(
    "comment",
    ["# noqa: LA101", "# noqa:LA101", "# NOQA: la101", "# noqa", "# noqa: LA1", "# noqa: LA102, LA101", "# noqa: LA102 LA101", "# why not # noqa: LA101 (it is on purpose)"],
)
def test_line_comment_suppresses(tmp_path, comment):
    assert found(tmp_path, with_comment(comment)) == []


@pytest.mark.parametrize("comment", ["# noqa: LA102", "# noqa: LA2", "# noqa: E501", "# no qa", "# noqa LA102"])
def test_other_codes_do_not_suppress(tmp_path, comment):
    # `# noqa LA102` (no colon) is a bare noqa in flake8; we follow it: everything on the line.
    expected = [] if comment == "# noqa LA102" else ["LA101"]
    assert found(tmp_path, with_comment(comment)) == expected


def test_comment_on_an_unrelated_line_does_not_suppress(tmp_path):
    assert found(tmp_path, with_comment("# noqa: LA101", line=2)) == ["LA101"]


def test_comment_on_the_other_half_of_the_mismatch_suppresses(tmp_path):
    # LA101 is reported on the loss (line 5); the softmax it is about is on line 3.
    assert found(tmp_path, with_comment("# noqa: LA101", line=3)) == []
    assert found(tmp_path, with_comment("# noqa: LA2", line=3)) == ["LA101"]


def test_the_other_half_in_python_code_suppresses(tmp_path):
    code = "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)){}\ncriterion = nn.CrossEntropyLoss()\nloss = criterion(model(x), y)\n"
    paths = [write(tmp_path, "plain.py", code.format("")), write(tmp_path, "quiet.py", code.format("  # noqa: LA101"))]
    assert [(f.path.rsplit("/", 1)[-1], f.code) for f in check_paths(paths, Settings()).findings] == [("plain.py", "LA101")]


@pytest.mark.parametrize(("comment", "expected"), [("# lossadvisor: noqa", []), ("# lossadvisor: noqa: LA101", []), ("# LossAdvisor: NOQA: la1", []), ("# lossadvisor: noqa: LA3", ["LA101"])])
def test_file_level_comment(tmp_path, comment, expected):
    assert found(tmp_path, comment + "\n" + DOUBLE_SOFTMAX) == expected


def test_file_level_comment_is_not_a_line_noqa(tmp_path):
    # `# lossadvisor: noqa: LA3` on the reported line means the file, for LA3 only.
    assert found(tmp_path, with_comment("# lossadvisor: noqa: LA3")) == ["LA101"]


def test_unreadable_file_is_never_suppressed(tmp_path):
    assert found(tmp_path, "# lossadvisor: noqa\n" + MALFORMED) == ["LA001"]


def test_notebook_cells_are_matched_by_cell():
    finding = Finding("LA101", "x", "error", "m", "nb.ipynb", line=2, column=1, cell=3)
    lines = {1: ["a", "b  # noqa"], 3: ["a", "b"]}
    assert suppression.apply([finding], lines) == [finding]
    assert suppression.apply([finding], {**lines, 3: ["a", "b  # noqa: LA101"]}) == []


def test_through_the_cli(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path, "train.yaml", with_comment("# noqa: LA101"))
    proc = run_cli("check", "train.yaml", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "All clear: no problems in 1 checked file.\n")


def test_noqa_in_a_notebook_cell(tmp_path):
    from cli_samples import NOTEBOOK_CELL, notebook

    bare = write(tmp_path, "bare.ipynb", notebook(NOTEBOOK_CELL))
    assert [(f.cell, f.line, f.code) for f in check_paths([bare], Settings()).findings] == [(2, 5, "LA101")]
    quiet = write(tmp_path, "quiet.ipynb", notebook(NOTEBOOK_CELL.replace("CrossEntropyLoss()", "CrossEntropyLoss()  # noqa: LA101")))
    assert check_paths([quiet], Settings()).findings == []
