"""Stress run: every hostile input of tests/hostile.py, checked next to a good file by a fresh
`lossadvisor check` process each. Per input: exit code, wall time, peak memory; then one summary.

    .venv/bin/python benchmarks/hostile_inputs.py [--timeout 10]

Goals: no internal error, no run over 10 s, none over 256 MiB peak, every bad file one line, the
good file still checked.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hostile import HOSTILE  # noqa: E402

GOOD = ROOT / "examples" / "python" / "train.py"
LOSSADVISOR = Path(sys.executable).parent / "lossadvisor"


def run(path: Path, timeout: float) -> tuple[int | None, float, float, str, str]:
    """(exit code or None on timeout, seconds, peak MiB, stdout, stderr) of one fresh process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([str(LOSSADVISOR), "check", "--isolated", str(path), str(GOOD)], stdout=out, stderr=err)
        deadline = start + timeout
        status = None
        while time.perf_counter() < deadline:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.01)
        else:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            status = None
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status) if status is not None else None
        return code, elapsed, usage.ru_maxrss / 1024, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    internal = slow = heavy = unclear = lost = 0
    print(f"{'input':<46} {'exit':>4} {'seconds':>8} {'peak MiB':>9}  verdict")
    tmp = tempfile.mkdtemp()
    try:
        for i, case in enumerate(HOSTILE):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            path = case.make(folder)
            code, seconds, peak, stdout, stderr = run(path, args.timeout)
            lines = [line for line in stdout.splitlines() if line and not line.startswith(("Found ", "All clear"))]
            mine = [line for line in lines if "train.py" not in line]
            problems = []
            if "internal error" in stderr:
                internal += 1
                problems.append("internal error")
            if code is None or seconds > args.timeout:
                slow += 1
                problems.append("over the time limit")
            if peak > 256:
                heavy += 1
                problems.append("over 256 MiB")
            if case.expect == "LA001" and len([line for line in mine if "LA001" in line]) != 1:
                unclear += 1
                problems.append("not one LA001 line")
            if not any("train.py" in line and "LA101" in line for line in lines):
                lost += 1
                problems.append("the good file was not checked")
            print(f"{case.name[:46]:<46} {code if code is not None else '-':>4} {seconds:8.2f} {peak:9.1f}  {', '.join(problems) or 'ok'}")
    finally:
        subprocess.run(["rm", "-rf", tmp], check=False)  # shutil.rmtree recurses: the deep tree would defeat it
    print(
        f"{len(HOSTILE)} inputs: {internal} internal errors, {slow} over {args.timeout:g} s, {heavy} over 256 MiB, "
        f"{unclear} not one clear line, {lost} runs where the good file was lost"
    )
    return 1 if internal or slow or heavy or unclear or lost else 0


if __name__ == "__main__":
    sys.exit(main())
