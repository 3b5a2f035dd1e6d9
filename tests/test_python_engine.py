"""Checking trees of Python code: what is walked, what is skipped, worker processes, bad files,
and what a .py check imports (a pre-commit hook pays for every import on every commit)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lossadvisor.engine import PARALLEL_MIN_FILES, check_paths
from lossadvisor.findings import Coverage
from lossadvisor.settings import Settings
from conftest import run_cli

BUGGY = """import torch.nn as nn
model = nn.Sequential(nn.Linear(8, 3), nn.Softmax(dim=1))
criterion = nn.CrossEntropyLoss()
loss = criterion(model(x), y)
"""
CLEAN = BUGGY.replace("nn.Softmax(dim=1)", "nn.Identity()")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _reported(report, root: Path) -> list[str]:
    return sorted(os.path.relpath(f.path, root) for f in report.findings)


def test_walk_skips_vcs_virtualenvs_dependencies_build_output_and_symlink_loops(tmp_path):
    _write(tmp_path / "train.py", BUGGY)
    _write(tmp_path / "pkg" / "model.py", BUGGY)
    for skipped in (".git/hooks", ".venv/lib", "venv", "lib/python3.11/site-packages/pkg", "node_modules/x", "build/lib", "dist", "__pycache__", "x.egg-info"):
        _write(tmp_path / skipped / "buggy.py", BUGGY)
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path, target_is_directory=True)  # pkg/loop -> the root again
    report = check_paths([tmp_path], Settings())
    assert _reported(report, tmp_path) == ["pkg/model.py", "train.py"]
    assert report.files_checked == 2


def test_exclude_patterns(tmp_path):
    _write(tmp_path / "train.py", BUGGY)
    _write(tmp_path / "experiments" / "old" / "train.py", BUGGY)
    _write(tmp_path / "scratch_notes.py", BUGGY)
    report = check_paths([tmp_path], Settings(exclude=("experiments", "scratch_*.py")))
    assert _reported(report, tmp_path) == ["train.py"]


def test_a_syntax_error_is_reported_and_the_other_files_are_still_checked(tmp_path):
    _write(tmp_path / "a_broken.py", "import torch\nloss = torch.nn.MSELoss(\n")
    _write(tmp_path / "b_train.py", BUGGY)
    result = run_cli("check", str(tmp_path), "--format", "json")
    import json

    findings = json.loads(result.stdout)["findings"]
    assert result.returncode == 2
    assert sorted((Path(f["path"]).name, f["code"]) for f in findings) == [("a_broken.py", "LA001"), ("b_train.py", "LA101")]


def test_worker_processes_find_exactly_what_one_process_finds(tmp_path, monkeypatch):
    count = PARALLEL_MIN_FILES + 12
    for i in range(count):
        _write(tmp_path / f"m{i:03d}.py", BUGGY if i % 3 == 0 else CLEAN)
    _write(tmp_path / "zz_broken.py", "import torch\ncriterion = torch.nn.MSELoss(\n")
    monkeypatch.setenv("LOSSADVISOR_JOBS", "1")
    serial = check_paths([tmp_path], Settings())
    monkeypatch.setenv("LOSSADVISOR_JOBS", "2")
    parallel = check_paths([tmp_path], Settings())
    assert parallel.findings == serial.findings
    assert parallel.coverage == serial.coverage == Coverage(checked=count, unreadable=1)
    assert len([f for f in serial.findings if f.code == "LA101"]) == len(range(0, count, 3))


def test_one_loss_read_twice_is_reported_once(tmp_path):
    _write(tmp_path / "t.py", "from torch import nn\nbad = nn.CrossEntropyLos()\nbad(nn.Linear(3, 2)(x), y)\nbad(nn.Linear(3, 4)(x), y)\n")
    report = check_paths([tmp_path / "t.py"], Settings())
    assert [(f.line, f.code) for f in report.findings] == [(2, "LA002")]


def test_one_loss_applied_twice_on_a_line_to_two_softmaxes_is_reported_once(tmp_path):
    code = "from torch import nn\nloss = nn.CrossEntropyLoss()\nnet = nn.Linear(3, 2)\nv = loss(net(a).softmax(1), y) + loss(net(b).softmax(1), y)\n"
    _write(tmp_path / "t.py", code)
    report = check_paths([tmp_path / "t.py"], Settings())
    assert [(f.line, f.code) for f in report.findings] == [(2, "LA101")]


@pytest.mark.parametrize("suffix", [".py", ".ipynb"])
def test_checking_code_keeps_numpy_yaml_and_rich_unimported(tmp_path, suffix):
    from lossadvisor import knowledge

    knowledge.load()  # the rules cache exists, as on every run after the first
    if suffix == ".py":
        _write(tmp_path / "model.py", BUGGY)
    else:
        import json

        cells = [{"cell_type": "code", "source": BUGGY, "metadata": {}, "outputs": [], "execution_count": None}]
        _write(tmp_path / "model.ipynb", json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    script = (
        "import sys\n"
        "from lossadvisor.cli import main\n"
        f"sys.argv = ['lossadvisor', 'check', {str(tmp_path / ('model' + suffix))!r}]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code\n"
        "print(code, sorted(m for m in ('numpy', 'yaml', 'rich', 'typer') if m in sys.modules))\n"
    )
    env = {**os.environ, "NO_COLOR": "1"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    last = out.stdout.strip().splitlines()[-1]
    assert last == "1 []", out.stdout + out.stderr
