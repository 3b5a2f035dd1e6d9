"""Checking Python code, side by side with flake8 in the same run.

    .venv/bin/python benchmarks/python_bench.py                    # a generated 1,000-file tree
    .venv/bin/python benchmarks/python_bench.py TREE [--runs 5]    # any tree, e.g. a real ML codebase
    .venv/bin/python benchmarks/python_bench.py --generate 1000 --keep DIR   # write the tree, keep it

Needs the `bench` extra (flake8): `.venv/bin/pip install -e '.[bench]'`.

Two figures, the goals of the Python reader:

    lossadvisor check model.py   <= 0.8  x  flake8 model.py            (cold start, one small file)
    lossadvisor check TREE       <= 0.15 x  flake8 --select=F TREE     (a 1,000-file tree)

Every command runs N times as a fresh process, round-robin so that a busy machine slows them alike,
after one warm-up run each (.pyc files and the rules cache are warm, as on every run after the
first). Both tools use every core they find (flake8 --jobs=auto, lossadvisor's worker processes).
The generated tree mixes PyTorch and Keras training scripts with plain Python modules, about 200
lines each, the way a project's tree does.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from cli_bench import MODEL, _tool, measure  # noqa: E402 - the cold-start harness is shared

GOALS = {"file": 0.8, "tree": 0.15}

TORCH_SCRIPT = '''"""Training script {i}."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader


class Block{i}(nn.Module):
    def __init__(self, width={width}):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.norm = nn.LayerNorm(width)

    def forward(self, x):
        return x + F.gelu(self.norm(self.fc(x)))


class Net{i}(nn.Module):
    def __init__(self, classes={classes}, width={width}):
        super().__init__()
        self.inp = nn.Linear(784, width)
        self.blocks = nn.Sequential(*[Block{i}(width) for _ in range({depth})])
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        return {head}(self.head(self.blocks(self.inp(x.flatten(1)))){head_args})


def train(model, loader, epochs={epochs}):
    criterion = nn.{loss}()
    optimizer = torch.optim.AdamW(model.parameters(), lr={lr})
    for epoch in range(epochs):
        model.train()
        for step, (x, y) in enumerate(loader):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
    return model


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x).argmax(1) == y).sum().item()
        total += y.numel()
    return correct / max(total, 1)


if __name__ == "__main__":
    train(Net{i}(), DataLoader([], batch_size=32))
'''

KERAS_SCRIPT = '''"""Keras experiment {i}."""

import keras
from keras import layers


def build(classes={classes}):
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Conv2D({width}, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D({width}, 3, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(classes, activation={activation})(x)
    return keras.Model(inputs, outputs)


(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
model = build()
model.compile(optimizer=keras.optimizers.Adam({lr}), loss={keras_loss}, metrics=["accuracy"])
model.fit(x_train / 255.0, y_train, epochs={epochs}, validation_split=0.1)
'''

PLAIN_FUNCTION = '''

def {name}(records, threshold={threshold}, key="{key}"):
    """Group records by `key` and keep the groups above `threshold`."""
    groups = {{}}
    for record in records:
        value = record.get(key)
        if value is None:
            continue
        groups.setdefault(value, []).append(record)
    kept = {{}}
    for value, members in sorted(groups.items()):
        score = sum(m.get("score", 0) for m in members) / len(members)
        if score > threshold:
            kept[value] = {{"count": len(members), "score": round(score, 3)}}
    return kept
'''


def generate(root: Path, count: int, seed: int = 0) -> None:
    """A project-like tree: 30% PyTorch scripts, 15% Keras scripts, the rest plain modules."""
    rng = random.Random(seed)
    for i in range(count):
        package = root / f"pkg{i % 25:02d}"
        package.mkdir(parents=True, exist_ok=True)
        roll = rng.random()
        if roll < 0.30:
            head, head_args = rng.choice([("", ""), ("F.softmax", ", dim=1"), ("F.log_softmax", ", dim=1")])
            text = TORCH_SCRIPT.format(
                i=i, width=rng.choice([64, 128, 256]), classes=rng.choice([2, 10, 100]), depth=rng.randint(1, 4),
                head=head, head_args=head_args, epochs=rng.randint(1, 30), lr=rng.choice([1e-3, 3e-4]),
                loss=rng.choice(["CrossEntropyLoss", "NLLLoss"]),
            )  # fmt: skip
            name = f"train_{i}.py"
        elif roll < 0.45:
            text = KERAS_SCRIPT.format(
                i=i, classes=10, width=rng.choice([32, 64]), activation=rng.choice(['"softmax"', "None"]),
                lr=rng.choice([1e-3, 3e-4]), epochs=rng.randint(1, 30),
                keras_loss=rng.choice(['"sparse_categorical_crossentropy"', "keras.losses.SparseCategoricalCrossentropy(from_logits=True)"]),
            )  # fmt: skip
            name = f"experiment_{i}.py"
        else:
            functions = "".join(
                PLAIN_FUNCTION.format(name=f"summarize_{i}_{j}", threshold=rng.randint(1, 9), key=rng.choice(["user", "day", "site"]))
                for j in range(rng.randint(6, 12))
            )
            text = f'"""Utilities {i}."""\n\nimport json\nimport os\n{functions}'
            name = f"utils_{i}.py"
        (package / name).write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", nargs="?", type=Path, help="a tree to check (default: a generated one)")
    parser.add_argument("--generate", type=int, default=1000, metavar="N", help="files in the generated tree")
    parser.add_argument("--keep", type=Path, help="write the generated tree here and keep it")
    parser.add_argument("--runs", type=int, default=5, help="runs per command for the tree figure")
    parser.add_argument("--file-runs", type=int, default=20, help="runs per command for the one-file figure")
    args = parser.parse_args()
    from needs import require

    require("benchmarks/python_bench.py", "bench", tools=("flake8",))

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tree = args.tree
        if tree is None:
            tree = args.keep or work / "tree"
            generate(tree, args.generate)
        model = work / "model.py"
        model.write_text(MODEL, encoding="utf-8")
        env = {"LOSSADVISOR_CACHE_DIR": str(work / "cache"), "NO_COLOR": "1", **_inherited_env()}
        lossadvisor, flake8 = _tool("lossadvisor"), _tool("flake8")
        file_times = measure({"lossadvisor": [lossadvisor, "check", str(model)], "flake8": [flake8, str(model)]}, args.file_runs, env)
        tree_times = measure(
            {"lossadvisor": [lossadvisor, "check", str(tree)], "flake8": [flake8, "--select=F", "--jobs=auto", str(tree)]}, args.runs, env
        )
        files = sum(1 for _ in tree.rglob("*.py"))

    ok = _report(f"one file ({args.file_runs} cold runs each): lossadvisor check model.py vs flake8 model.py", file_times, GOALS["file"])
    ok &= _report(f"tree of {files} .py files ({args.runs} runs each): lossadvisor check vs flake8 --select=F", tree_times, GOALS["tree"])
    return 0 if ok else 1


def _inherited_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "FORCE_COLOR", "LOSSADVISOR_CACHE_DIR")}


def _report(title: str, times: dict[str, list[float]], goal: float) -> bool:
    print(title)
    for label, values in times.items():
        print(f"  {label:<12} min {min(values):>9.1f} ms   median {statistics.median(values):>9.1f} ms")
    ratio_min = min(times["lossadvisor"]) / min(times["flake8"])
    ratio_median = statistics.median(times["lossadvisor"]) / statistics.median(times["flake8"])
    verdict = "ok" if ratio_min <= goal else "OVER GOAL"
    print(f"  ratio {ratio_min:.2f}x (min), {ratio_median:.2f}x (median); goal <= {goal}x: {verdict}")
    return ratio_min <= goal


if __name__ == "__main__":
    sys.exit(main())
