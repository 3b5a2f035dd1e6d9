"""One framework vocabulary: the same model reads the same in every input kind, and every command
accepts the same framework names (the reproductions of the drift between readers)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lossadvisor import knowledge
from lossadvisor.engine import check_paths


def codes(path: Path) -> list[str]:
    return [f.code for f in check_paths([str(path)]).findings]


def test_hydra_softmax_then_flatten_is_a_double_softmax_like_python(tmp_path):
    conf = tmp_path / "conf.yaml"
    conf.write_text(
        "model:\n  _target_: torch.nn.Sequential\n  _args_:\n"
        "    - {_target_: torch.nn.Linear, in_features: 8, out_features: 3}\n"
        "    - {_target_: torch.nn.Softmax, dim: -1}\n    - {_target_: torch.nn.Flatten}\n"
        "loss: {_target_: torch.nn.CrossEntropyLoss}\n"
    )
    code = tmp_path / "train.py"
    code.write_text(
        "import torch\nfrom torch import nn\nmodel = nn.Sequential(nn.Linear(8, 3), nn.Softmax(dim=-1), nn.Flatten())\n"
        "criterion = nn.CrossEntropyLoss()\nloss = criterion(model(x), y)\n"
    )
    assert "LA101" in codes(conf) and "LA101" in codes(code)


def test_keras_json_one_unit_softmax_then_flatten_like_python(tmp_path):
    model = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "in"}},
        {"class_name": "Dense", "config": {"name": "d", "units": 1, "activation": "softmax"}},
        {"class_name": "Flatten", "config": {"name": "f"}},
    ]}, "keras_version": "3.4.0"}  # fmt: skip
    (tmp_path / "model.json").write_text(json.dumps(model))
    code = tmp_path / "train.py"
    code.write_text("import keras\nmodel = keras.Sequential([keras.layers.Dense(1, activation='softmax'), keras.layers.Flatten()])\nmodel.compile(loss='binary_crossentropy')\n")
    assert "LA201" in codes(tmp_path / "model.json") and "LA201" in codes(code)


def test_hydra_null_output_activation_is_linear_like_the_native_config(tmp_path):
    hydra = tmp_path / "hydra.yaml"
    hydra.write_text("model: {_target_: app.Net, output_activation: null, num_classes: 10}\nloss: {_target_: torch.nn.NLLLoss}\n")
    native = tmp_path / "native.yaml"
    native.write_text("framework: pytorch\nmodel: {output: {units: 10, activation: null}}\nloss: NLLLoss\n")
    assert "LA103" in codes(hydra) and "LA103" in codes(native)


@pytest.mark.parametrize("spelling", knowledge.load().vocabulary.spellings())
def test_every_framework_name_is_accepted_by_every_command(spelling, tmp_path):
    run = lambda *args: subprocess.run([sys.executable, "-m", "lossadvisor", *args], capture_output=True, text=True, cwd=tmp_path)  # noqa: E731
    (tmp_path / "c.yaml").write_text(f"framework: {spelling}\nloss: mse\n")
    assert run("check", "--framework", spelling, "c.yaml").returncode in (0, 1)
    assert run("recommend", "--task", "binary", "--framework", spelling).returncode == 0
    (tmp_path / "lossadvisor.toml").write_text(f'framework = "{spelling}"\n')
    assert run("check", "c.yaml").returncode in (0, 1)


def test_an_unknown_framework_name_says_what_was_meant(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lossadvisor", "recommend", "--task", "binary", "--framework", "pytroch"], capture_output=True, text=True)
    assert result.returncode == 2 and "did you mean `pytorch`?" in result.stderr
