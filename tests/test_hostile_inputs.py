"""No hostile or unlucky input crashes, hangs or loses the run: each is one clear LA001 line (or is
read), and a good file next to it is still checked — serially, in worker processes and through the
Python API. One case per defect the hardening issue reproduced (tests/hostile.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lossadvisor.engine import check_paths
from tests.hostile import HOSTILE, Hostile

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT / "examples" / "python" / "train.py"  # a double softmax: LA101


@pytest.fixture(autouse=True)
def _remove_deep_trees(tmp_path):
    """shutil.rmtree (and so pytest's own clean-up of old runs) recurses: a 1,100-folder tree left
    behind would crash a later pytest session. `rm -rf` does not recurse in Python."""
    yield
    subprocess.run(["rm", "-rf", str(tmp_path)], check=False)


def run_cli(*args: str, jobs: str = "1") -> subprocess.CompletedProcess:
    env = {**os.environ, "LOSSADVISOR_JOBS": jobs}
    return subprocess.run([sys.executable, "-m", "lossadvisor", "check", "--isolated", *args], capture_output=True, text=True, env=env, timeout=60, errors="replace")


PYTHON_REPR = re.compile(r"<[A-Za-z_][\w.]* [^>]*>|object at 0x")


@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: c.name)
def test_a_hostile_input_is_one_clear_line_and_the_rest_is_checked(tmp_path, case: Hostile):
    path = case.make(tmp_path)
    result = run_cli(str(path), str(GOOD))
    assert "internal error" not in result.stderr, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith(("Found ", "All clear"))]
    assert any("LA101" in line and "train.py" in line for line in lines)  # the good file is still checked
    mine = [line for line in lines if "train.py" not in line]
    if case.expect == "LA001":
        assert len([line for line in mine if "LA001" in line]) == 1, mine
        assert result.returncode == 2
    elif case.expect == "LA007":
        assert [line for line in mine if "LA007" in line] and result.returncode == 1
    else:
        assert not [line for line in mine if "LA001" in line], mine
    assert all("\x1b" not in line and not line.startswith("::") for line in lines)
    assert not [line for line in mine if PYTHON_REPR.search(line)], mine  # messages, not <ZipInfo …> or <ast.Call …>


def test_bad_files_never_stop_the_others_in_worker_processes(tmp_path):
    paths = [str(case.make(tmp_path / str(i))) for i, case in enumerate(HOSTILE) if not (tmp_path / str(i)).mkdir()]
    goods = []
    for i in range(60):  # enough files for worker processes
        good = tmp_path / f"good{i}.py"
        good.write_text(GOOD.read_text())
        goods.append(str(good))
    result = run_cli(*paths, *goods, jobs="2")
    assert "internal error" not in result.stderr
    assert sum("LA101" in line for line in result.stdout.splitlines()) >= 60


def test_bad_files_never_stop_the_others_through_the_api(tmp_path):
    paths = [str(case.make(tmp_path / str(i))) for i, case in enumerate(HOSTILE[:12]) if not (tmp_path / str(i)).mkdir()]
    report = check_paths([*paths, str(GOOD)])
    assert any(f.code == "LA101" for f in report.findings)
    assert report.exit_code() == 2


def test_a_bad_label_file_does_not_stop_the_check(tmp_path):
    bad = HOSTILE[[c.name for c in HOSTILE].index("npy negative shape")].make(tmp_path)
    result = run_cli("--labels", str(bad), str(GOOD))
    assert result.returncode == 2 and "LA101" in result.stdout and "LA001" in result.stdout


def test_standard_input_is_read_with_a_bound():
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'\\0' * (65 * 1024 * 1024))"], capture_output=True, check=True
    )
    result = subprocess.run([sys.executable, "-m", "lossadvisor", "check", "-"], input=proc.stdout, capture_output=True, timeout=60)
    assert result.returncode == 2 and b"larger than 64 MiB" in result.stdout


def test_the_largest_uint64_label_is_shown_exactly(tmp_path):
    np = pytest.importorskip("numpy")
    path = tmp_path / "u64.npy"
    np.save(path, np.array([0, 1, 2**64 - 1], dtype=np.uint64))
    result = subprocess.run([sys.executable, "-m", "lossadvisor", "labels", str(path)], capture_output=True, text=True, timeout=60)
    assert "18446744073709551615" in result.stdout.replace(",", "") and "18446744073709551616" not in result.stdout.replace(",", "")
