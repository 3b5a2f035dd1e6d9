"""The progress line: on a terminal only (stderr a pty), never when stderr is redirected, under
CI, or with --no-progress / --quiet; the report on stdout is the same either way."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cli_samples import DOUBLE_SOFTMAX

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


def run_with_stderr_on_a_terminal(args: list[str], cwd: Path, *, env: dict | None = None) -> tuple[str, str, int]:
    """(stdout, what reached the terminal on stderr, exit code)."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "TERM")}
    full_env.update({"LOSSADVISOR_PROGRESS_AFTER": "0", "TERM": "xterm", "COLUMNS": "120", **(env or {})})
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "lossadvisor", *args], cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode()
    proc.wait(timeout=60)
    os.close(master)
    return out, seen.decode(errors="replace"), proc.returncode


@pytest.fixture
def tree(tmp_path):
    (tmp_path / ".git").mkdir()
    for i in range(20):
        folder = tmp_path / f"configs{i % 3}"
        folder.mkdir(exist_ok=True)
        (folder / f"train{i}.yaml").write_text(DOUBLE_SOFTMAX)
    return tmp_path


def test_progress_shows_on_a_terminal_and_the_report_is_unchanged(tree):
    out, terminal, code = run_with_stderr_on_a_terminal(["check", "."], tree)
    assert code == 1
    assert "Checking" in terminal and "files" in terminal and "configs" in terminal
    plain = subprocess.run([sys.executable, "-m", "lossadvisor", "check", "."], cwd=tree, capture_output=True, text=True, env={**os.environ, "LOSSADVISOR_PROGRESS_AFTER": "0"})
    assert plain.stderr == ""  # redirected: no progress
    assert out == plain.stdout and out.splitlines()[-1] == "Found 20 problems (20 errors) in 20 checked files."


@pytest.mark.parametrize("how", [["--no-progress"], ["--quiet"], "CI"])
def test_no_progress_when_asked_or_under_ci(tree, how):
    args = ["check", "."] + (how if isinstance(how, list) else [])
    _, terminal, _ = run_with_stderr_on_a_terminal(args, tree, env={"CI": "true"} if how == "CI" else None)
    assert "Checking" not in terminal


def test_labels_on_a_large_file_shows_progress(tmp_path):
    np.save(tmp_path / "y.npy", np.arange(6_000_000, dtype=np.int64) % 10)  # 48 MB: several chunks
    out, terminal, code = run_with_stderr_on_a_terminal(["labels", "y.npy"], tmp_path)
    assert code == 0 and "Profiling y.npy" in terminal
    _, quiet_terminal, _ = run_with_stderr_on_a_terminal(["labels", "y.npy", "--no-progress"], tmp_path)
    assert "Profiling" not in quiet_terminal
    assert "labels take 10 integer values 0..9" in out  # the report, as without the progress line
