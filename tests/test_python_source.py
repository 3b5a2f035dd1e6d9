"""Python source read as the interpreter reads it: declared encodings, and code for a newer Python
(LA007, info: not checked, not an error) told apart from code that is broken (LA001)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from lossadvisor.engine import check_paths

DOUBLE_SOFTMAX = "import torch\nfrom torch import nn\nmodel = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=-1))\ncriterion = nn.CrossEntropyLoss()\nloss = criterion(model(x), y)\n"


def codes(path: Path) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in check_paths([str(path)]).findings]


def test_a_declared_latin1_file_is_read(tmp_path):
    path = tmp_path / "train.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\n# donn\xe9es d'entra\xeenement\n" + DOUBLE_SOFTMAX.encode())
    assert codes(path) == [("LA101", "error")]


def test_a_bom_and_a_noqa_in_a_declared_file(tmp_path):
    path = tmp_path / "train.py"
    path.write_bytes(b"\xef\xbb\xbf" + DOUBLE_SOFTMAX.replace("nn.CrossEntropyLoss()", "nn.CrossEntropyLoss()  # noqa: LA101").encode())
    assert codes(path) == []
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# coding: latin-1\n# \xe9\n" + DOUBLE_SOFTMAX.replace("nn.CrossEntropyLoss()", "nn.CrossEntropyLoss()  # noqa: LA101").encode())
    assert codes(latin) == []


@pytest.mark.parametrize(("data", "problem"), [
    (b"# \xe9t\xe9\n" + DOUBLE_SOFTMAX.encode(), "not utf-8 text as it declares (byte 2)"),
    (b"# coding: klingon\n" + DOUBLE_SOFTMAX.encode(), "declares an unknown source encoding `klingon`"),
])  # fmt: skip
def test_undecodable_source_is_one_clear_line(tmp_path, data, problem):
    path = tmp_path / "train.py"
    path.write_bytes(data)
    [finding] = check_paths([str(path)]).findings
    assert (finding.code, finding.message) == ("LA001", problem)


NEWER = [
    ((3, 12), "type Batch = list[int]\n"),
    ((3, 12), "def first[T](xs: list[T]) -> T:\n    return xs[0]\n"),
    ((3, 12), "class Box[T]:\n    pass\n"),
    ((3, 12), "name = f\"{cfg[\"model\"]}\"\n"),
    ((3, 14), "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n"),
]


@pytest.mark.parametrize(("version", "code"), NEWER, ids=lambda v: repr(v)[:30])
def test_code_for_a_newer_python_is_not_an_error(tmp_path, version, code):
    path = tmp_path / "train.py"
    path.write_text(DOUBLE_SOFTMAX + code)
    report = check_paths([str(path)])
    if sys.version_info >= version:
        assert [f.code for f in report.findings] == ["LA101"]  # read as the valid code it is
        return
    [finding] = report.findings
    assert (finding.code, finding.severity) == ("LA007", "info")
    assert f"Python {version[0]}.{version[1]} syntax" in finding.message and "not checked" in finding.message
    assert report.exit_code() == 0


def test_a_newer_syntax_cell_is_named_in_its_notebook(tmp_path):
    cells = [DOUBLE_SOFTMAX, "type Batch = list[int]\n"]
    notebook = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(notebook))
    [finding] = check_paths([str(path)]).findings
    if sys.version_info < (3, 12):
        assert (finding.code, finding.cell, finding.line) == ("LA007", 2, 1)


@pytest.mark.parametrize("code", ["print 'hello'\n", "model.add(Dense(10, activation=))\n", "x = (1,\n"])
def test_code_broken_for_every_python_is_still_invalid_input(tmp_path, code):
    path = tmp_path / "train.py"
    path.write_text(DOUBLE_SOFTMAX + code)
    [finding] = check_paths([str(path)]).findings
    assert finding.code == "LA001" and finding.line == 6
