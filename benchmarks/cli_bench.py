"""Cold start of `lossadvisor check`, side by side with the linters it sits next to in pre-commit.

    .venv/bin/python benchmarks/cli_bench.py [--runs 30] [--config FILE] [--model FILE]

Needs the `bench` extra (yamllint, flake8): `.venv/bin/pip install -e '.[bench]'`.

Each command runs N times as a fresh process (pre-commit starts one per commit), round-robin so
a noisy machine slows every command alike, after one warm-up run each: .pyc files and the rules
cache are warm, as on every commit after the first. Prints min and median wall time per command
and the ratios the project aims at:

    lossadvisor check one-config.yaml  <= 1.0 x yamllint one-config.yaml
    lossadvisor check model.py         <= 0.8 x flake8 model.py

`python -c pass` is the floor no Python tool can go below.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_CONFIG = ROOT / "tests/fixtures/config/LA101_softmax_into_cross_entropy.yaml"
# A small model file with the double softmax lossadvisor reports (LA101), flake8-clean.
MODEL = '''"""A small classifier."""

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU())
        self.head = nn.Linear(128, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.head(self.body(x)), dim=1)


model = Net()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)


def train_step(x: torch.Tensor, y: torch.Tensor) -> float:
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
'''
GOALS = {"yaml": ("yamllint", 1.0), "py": ("flake8", 0.8)}


def _tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else name


def measure(commands: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {label: [] for label in commands}
    for cmd in commands.values():  # warm-up: writes .pyc files and the rules cache
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    for _ in range(runs):
        for label, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times[label].append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="the YAML config to check")
    parser.add_argument("--model", type=Path, help="the .py file to check (default: a small PyTorch model)")
    args = parser.parse_args()
    from needs import require

    require("benchmarks/cli_bench.py", "bench", tools=("yamllint", "flake8"))

    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or Path(tmp) / "model.py"
        if args.model is None:
            model.write_text(MODEL, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "FORCE_COLOR")}
        env.update(LOSSADVISOR_CACHE_DIR=str(Path(tmp) / "cache"), NO_COLOR="1")
        lossadvisor = _tool("lossadvisor")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "lossadvisor check <config>": [lossadvisor, "check", str(args.config)],
            "yamllint <config>": [_tool("yamllint"), str(args.config)],
            "lossadvisor check <model.py>": [lossadvisor, "check", str(model)],
            "flake8 <model.py>": [_tool("flake8"), str(model)],
        }
        times = measure(commands, args.runs, env)

    print(f"{args.runs} cold runs each; config: {args.config.name}; model: {model.name}")
    print(f"{'command':<30} {'min ms':>8} {'median ms':>10}")
    for label, values in times.items():
        print(f"{label:<30} {min(values):>8.1f} {statistics.median(values):>10.1f}")
    ok = True
    for kind, (other, goal) in GOALS.items():
        ours = times[f"lossadvisor check <{'config' if kind == 'yaml' else 'model.py'}>"]
        theirs = times[f"{other} <{'config' if kind == 'yaml' else 'model.py'}>"]
        ratio_min, ratio_median = min(ours) / min(theirs), statistics.median(ours) / statistics.median(theirs)
        verdict = "ok" if ratio_min <= goal else "OVER GOAL"
        ok &= ratio_min <= goal
        print(f"lossadvisor / {other}: {ratio_min:.2f}x (min), {ratio_median:.2f}x (median); goal <= {goal}x: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
