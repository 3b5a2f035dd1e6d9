"""The findings a change adds or removes on code nobody here wrote, in one run: a baseline lossadvisor
(another checkout's `src/`, e.g. a `git worktree` of the last release) and this one check the
same trees, and every finding that differs is printed, to be read and judged.

    git worktree add /tmp/base <rev>
    .venv/bin/python benchmarks/alarm_diff.py --baseline-src /tmp/base/src TREE [TREE …]

Trees: public tutorial and course repositories (`fetch` them), the installed `keras`, `torch` and
`transformers` packages. Prints both totals (findings; files checked / with nothing to check /
unreadable), then one line per finding only one side reports: GONE (baseline only) or NEW.
Exit 0 whatever differs: this is a report for a person, not a gate.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(src: Path, trees: list[str], cache: str) -> tuple[set[tuple], dict]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        report = Path(out.name)
    env = {**os.environ, "PYTHONPATH": str(src), "LOSSADVISOR_CACHE_DIR": cache}
    command = [sys.executable, "-m", "lossadvisor", "check", "--isolated", "--exit-zero", "--no-progress", "-f", "json", "-o", str(report), *trees]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    doc = json.loads(report.read_text(encoding="utf-8"))
    report.unlink()
    found = {(f["path"], f["cell"], f["line"], f["code"], f["message"]) for f in doc["findings"]}
    return found, doc["files"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, required=True, help="the baseline checkout's src/ folder")
    parser.add_argument("trees", nargs="+")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as caches:
        before, files_before = run(args.baseline_src.resolve(), args.trees, os.path.join(caches, "base"))
        after, files_after = run(ROOT / "src", args.trees, os.path.join(caches, "this"))
    print(f"baseline {len(before):>6} findings  files {files_before}")
    print(f"this     {len(after):>6} findings  files {files_after}")
    for tag, rows in (("GONE", before - after), ("NEW ", after - before)):
        for path, cell, line, code, message in sorted(rows, key=lambda r: (r[0], r[1] or 0, r[2] or 0, r[3])):
            where = f"{path}:{'' if cell is None else f'cell {cell}:'}{line or ''}"
            print(f"{tag} {where} {code} {message[:160]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
