"""The documented Python API (`lossadvisor.check_paths`, `recommend`, `profile`, `Settings`) and
`python -m lossadvisor`."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from cli_samples import DOUBLE_SOFTMAX, MISSPELT_LOSS, write
from conftest import run_cli

import lossadvisor


def test_check_paths(tmp_path):
    path = write(tmp_path, "train.yaml", DOUBLE_SOFTMAX)
    report = lossadvisor.check_paths([path])
    (finding,) = report.findings
    assert (finding.code, finding.line, finding.column, finding.severity) == ("LA101", 5, 3, "error")
    assert report.files_checked == 1 and report.exit_code() == 1


def test_check_paths_with_settings(tmp_path):
    write(tmp_path, "train.yaml", DOUBLE_SOFTMAX)
    write(tmp_path, "typo.yaml", MISSPELT_LOSS)
    report = lossadvisor.check_paths([tmp_path], lossadvisor.Settings(ignore=("LA1",), severity={"LA002": "info"}))
    assert [(f.code, f.severity) for f in report.findings] == [("LA002", "info")]
    assert report.exit_code(fail_on="warning") == 0


def test_recommend():
    advice = lossadvisor.recommend("multi-class", framework="pytorch", classes=10)
    assert advice.task == "multiclass" and advice.units == 10
    assert [fw.loss for fw in advice.frameworks] and "CrossEntropyLoss" in advice.frameworks[0].loss


def test_profile():
    result = lossadvisor.profile(np.array([0, 3, 1, 3, 2]))
    assert (result.samples, result.minimum, result.maximum, result.distinct, result.integral) == (5, 0, 3, 4, True)


def test_import_is_cheap_and_lazy():
    probe = "import lossadvisor, sys; print(sorted(m for m in sys.modules if m.startswith(('lossadvisor.', 'numpy', 'yaml', 'typer'))))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert {"check_paths", "recommend", "profile", "Settings"} <= set(dir(lossadvisor))


def test_unknown_attribute():
    import pytest

    with pytest.raises(AttributeError, match="nope"):
        lossadvisor.nope  # noqa: B018


def test_python_dash_m(tmp_path):
    write(tmp_path, "train.yaml", DOUBLE_SOFTMAX)
    (tmp_path / ".git").mkdir()
    proc = run_cli("check", "train.yaml", cwd=tmp_path)  # run_cli is `python -m lossadvisor`
    assert proc.returncode == 1 and proc.stdout.startswith("train.yaml:5:3: LA101")


def test_recommend_stays_the_function_after_its_module_is_imported():
    import importlib

    module = importlib.import_module("lossadvisor.recommend")
    assert lossadvisor.recommend is module.recommend
