"""A notebook that is not one is one clear LA001 line; the other files are still checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lossadvisor.engine import check_paths

ROOT = Path(__file__).resolve().parents[1]
DOUBLE_SOFTMAX = "import torch\nfrom torch import nn\nloss = nn.CrossEntropyLoss()(nn.Softmax(dim=-1)(x), y)\n"


@pytest.mark.parametrize(("text", "problem"), [
    ('{"cells": null}', "not a Jupyter notebook: no `cells` list"),
    ('{"cells": 3}', "not a Jupyter notebook: no `cells` list"),
    ("[1, 2]", "not a Jupyter notebook: no `cells` list"),
    ('{"cells": [3]}', "not a valid notebook: cell 1 is not an object"),
    ('{"cells": [{"cell_type": "code", "source": 5}]}', "not a valid notebook: cell 1 has no source text"),
    ('{"worksheets": [{"cells": null}]}', "not a valid notebook: a worksheet has no `cells` list"),
    ("not json", "not a valid notebook: broken JSON (Expecting value)"),
])  # fmt: skip
def test_a_broken_notebook_is_one_line_and_the_rest_is_checked(tmp_path, text, problem):
    bad = tmp_path / "bad.ipynb"
    bad.write_text(text)
    report = check_paths([str(bad), str(ROOT / "examples/python/train.py")])
    broken = [f for f in report.findings if f.path == str(bad)]
    assert [(f.code, f.message) for f in broken] == [("LA001", problem)]
    assert any(f.code == "LA101" and f.path.endswith("train.py") for f in report.findings)
    assert report.exit_code() == 2


def test_nbformat_3_worksheets_are_read(tmp_path):
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps({"worksheets": [{"cells": [{"cell_type": "code", "input": DOUBLE_SOFTMAX}]}]}))
    assert [(f.code, f.cell, f.line) for f in check_paths([str(path)]).findings] == [("LA101", 1, 3)]


def test_a_syntax_error_is_reported_in_its_own_cell_and_the_other_cells_are_checked(tmp_path):
    """An exercise blank makes the notebook an error (exit 2), in its cell at its column; the cells
    that can be read are still checked (a course notebook with one blank still gets its findings)."""
    cells = ["%matplotlib inline\n" + DOUBLE_SOFTMAX, "  x = 1\n  y = (x\n  % 2)", "  model = # TODO: your code here\n", "print 'done'\n"]
    path = tmp_path / "exercise.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": c} for c in cells]}))
    report = check_paths([str(path)])
    double_softmax, blank = report.findings  # in the order of the cells
    assert (blank.code, blank.cell, blank.line, blank.column) == ("LA001", 3, 1, 11)
    assert blank.message.endswith("; 1 more cell cannot be read; the other cells were checked")
    assert (double_softmax.code, double_softmax.cell, double_softmax.line) == ("LA101", 1, 4)
    assert report.exit_code() == 2 and report.coverage.unreadable == 1


def test_names_from_a_broken_cell_are_unknown_not_guessed(tmp_path):
    """The cell that would have built the model cannot be read: nothing is said of the loss."""
    cells = ["import torch\nfrom torch import nn\n", "model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)\n", "loss = nn.CrossEntropyLoss()(model(x), y)\n"]
    path = tmp_path / "blank.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": c} for c in cells]}))
    assert [f.code for f in check_paths([str(path)]).findings] == ["LA001"]


def test_a_finding_keeps_the_cells_own_column_after_a_dedent(tmp_path):
    path = tmp_path / "indented.ipynb"
    indented = "".join("    " + line + "\n" for line in DOUBLE_SOFTMAX.splitlines())
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": indented}]}))
    [finding] = check_paths([str(path)]).findings
    assert (finding.code, finding.cell, finding.line, finding.column) == ("LA101", 1, 3, 12)
