"""Notebooks and scripts people wrote, checked by a baseline lossadvisor and by this one, in one run.

    .venv/bin/python benchmarks/notebook_corpus.py --baseline /path/to/old/.venv/bin/lossadvisor DIR [DIR …]

Needs IPython (the `test` extra). For each of the two it prints:
- files checked, wall time, and time per notebook (every run warm: one warm-up run each first);
- LA001 ("invalid input") findings on notebooks, and how many of those notebooks IPython itself
  runs: every code cell compiles after IPython's own conversion (`InteractiveShell.transform_cell`,
  IPython 9's dedent or IPython 8's, whichever runs it);
- loss findings (everything but LA001) on notebooks.
Then the notebooks whose findings changed. The goal: no LA001 on a notebook that IPython runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HERE = Path(sys.executable).parent / "lossadvisor"

from tests.ipython_oracle import ipython_runs  # noqa: E402  (IPython's own judgement of a cell)


def run(executable: str, paths: list[str]) -> tuple[dict, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [executable, "check", "--isolated", "--exit-zero", "-f", "json", "-o", str(out), *paths]
        env = {**os.environ, "LOSSADVISOR_CACHE_DIR": str(Path(tmp) / "cache")}
        subprocess.run(command, env=env, capture_output=True, check=False)  # warm-up: caches, .pyc
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        return json.loads(out.read_text(encoding="utf-8")), elapsed


def notebook_runs(path: str, shell) -> bool:
    """Whether IPython runs every code cell of the notebook."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return False
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if not ipython_runs(shell, "".join(source) if isinstance(source, list) else str(source)):
            return False
    return True


def summary(name: str, report: dict, elapsed: float, notebooks: int, shell) -> dict:
    findings = [f for f in report["findings"] if f["path"].endswith(".ipynb")]
    invalid = sorted({f["path"] for f in findings if f["code"] == "LA001"})
    runnable = [p for p in invalid if notebook_runs(p, shell)]
    loss = [f for f in findings if f["code"] != "LA001"]
    print(f"{name}: {sum(report['files'].values())} files ({notebooks} notebooks) in {elapsed:.2f} s = {elapsed / max(notebooks, 1) * 1000:.2f} ms per notebook")
    print(f"  LA001 on notebooks: {len(invalid)}, of which IPython runs {len(runnable)}")
    print(f"  loss findings on notebooks: {len(loss)} ({', '.join(f'{c} {n}' for c, n in Counter(f['code'] for f in loss).most_common())})")
    print(f"  LA001 anywhere: {sum(1 for f in report['findings'] if f['code'] == 'LA001')}")
    return {"invalid": set(invalid), "runnable": set(runnable), "loss": {(f["path"], f["cell"], f["line"], f["code"]) for f in loss}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", required=True, help="the baseline lossadvisor executable")
    parser.add_argument("--show", type=int, default=20, help="changed notebooks to list")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    try:
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:
        print("benchmarks/notebook_corpus.py needs IPython: pip install -e '.[test]'", file=sys.stderr)
        return 2
    shell = InteractiveShell.instance()
    notebooks = sum(1 for p in args.paths for _ in Path(p).rglob("*.ipynb"))
    before = summary("baseline", *run(args.baseline, args.paths), notebooks, shell)
    after = summary("this", *run(str(HERE), args.paths), notebooks, shell)
    print(f"LA001 gone: {len(before['invalid'] - after['invalid'])}, new: {len(after['invalid'] - before['invalid'])}")
    for path in sorted(after["invalid"] & after["runnable"])[: args.show]:
        print("  still LA001 though IPython runs it:", path)
    new = sorted(after["loss"] - before["loss"])
    gone = sorted(before["loss"] - after["loss"])
    print(f"loss findings new: {len(new)}, gone: {len(gone)}")
    for item in new[: args.show]:
        print("  +", *item)
    for item in gone[: args.show]:
        print("  -", *item)
    return 0


if __name__ == "__main__":
    sys.exit(main())
