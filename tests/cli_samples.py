"""Small configs with known findings, shared by the CLI, config, suppression and render tests.

Written here rather than read from tests/fixtures/ so these tests say exactly what they feed in.
"""

from __future__ import annotations

from pathlib import Path

# LA101 (error) on line 5: softmax output into CrossEntropyLoss.
DOUBLE_SOFTMAX = """framework: pytorch
model:
  output: {units: 10, activation: softmax}
loss:
  name: CrossEntropyLoss
"""
# LA002 (warning) on line 5: a misspelt loss.
MISSPELT_LOSS = """framework: pytorch
model:
  output: {units: 10, activation: linear}
loss:
  name: CrossEntropyLos
"""
# LA501 (info) on line 5: softmax + categorical crossentropy works, the logits form is stabler.
INFO_ONLY = """framework: keras
model:
  output: {units: 10, activation: softmax}
loss:
  name: categorical_crossentropy
"""
CLEAN = """framework: pytorch
model:
  output: {units: 10, activation: linear}
loss:
  name: CrossEntropyLoss
"""
# LA001: not YAML.
MALFORMED = "model: [unclosed\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path

# LA101 (error) in cell 2, line 5 (`criterion = …`): a softmax model into CrossEntropyLoss.
NOTEBOOK_CELL = """import torch
from torch import nn

model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
criterion = nn.CrossEntropyLoss()
loss = criterion(model(torch.randn(2, 4)), torch.tensor([0, 2]))
"""


def notebook(cell_source: str) -> str:
    """A notebook whose second cell is `cell_source` (the first is Markdown)."""
    import json

    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Training"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": cell_source.splitlines(True)},
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
