"""`lossadvisor labels FILE` (text and JSON), `recommend --labels FILE`, `check --labels FILE`, and
the committed label fixtures matching the script that makes them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, run_cli

from lossadvisor import knowledge
from lossadvisor.command import run_labels as run
from lossadvisor.render.labels import TOP_CLASSES
from lossadvisor.recommend import recommend

RNG = np.random.default_rng(11)


def _json(capsys, path: Path, **options) -> dict:
    assert run(path, fmt="json", **options) == 0
    return json.loads(capsys.readouterr().out)


def test_json_profile_of_class_ids(tmp_path: Path, capsys) -> None:
    y = RNG.integers(0, 8, 1000)
    np.save(tmp_path / "y.npy", y)
    report = _json(capsys, tmp_path / "y.npy")
    assert (report["format"], report["num_classes"], report["count"], report["dtype"]) == ("class_ids", 8, 1000, "int64")
    assert report["evidence"] == "labels take 8 integer values 0..7"
    counts = np.bincount(y)
    assert {c["label"]: c["count"] for c in report["classes"]} == dict(enumerate(counts.tolist()))
    assert report["imbalance_ratio"] == pytest.approx(counts.max() / counts.min())
    assert [f["task"] for f in report["fits"]] == ["multiclass", "ordinal"]
    advice = recommend("multiclass", "all", 8)
    assert {fw: v["loss"] for fw, v in report["fits"][0]["losses"].items()} == {a.framework: a.loss for a in advice.frameworks}


def test_json_one_hot_labels_get_a_loss_that_takes_one_hot_rows(tmp_path: Path, capsys) -> None:
    np.save(tmp_path / "y.npy", np.eye(4)[RNG.integers(0, 4, 50)])
    report = _json(capsys, tmp_path / "y.npy")
    assert report["format"] == "one_hot"
    kb = knowledge.load()
    for framework, choice in report["fits"][0]["losses"].items():
        name = choice["loss"].split("(")[0]
        match = kb.find_loss(name, framework)
        args = {"from_logits": True} if "from_logits=True" in choice["loss"] else {}
        accepted = kb.accepted_targets(match.loss.id, framework, name, args)
        assert "one_hot" in accepted, (framework, choice)


def test_json_ignore_values_and_their_loss_arguments(tmp_path: Path, capsys) -> None:
    masks = RNG.integers(0, 21, (4, 16, 16)).astype(np.uint8)
    masks[0, :2] = 255
    np.save(tmp_path / "masks.npy", masks)
    report = _json(capsys, tmp_path / "masks.npy")
    assert report["ignore_values"] == [{"value": 255, "count": 32, "share": 32 / masks.size}]
    assert (report["minimum"], report["maximum"]) == (0, 20)
    losses = report["fits"][0]["losses"]
    assert losses["pytorch"]["loss"] == "CrossEntropyLoss(ignore_index=255)"
    assert "ignore_class=255" in losses["keras"]["loss"]
    assert "mask the 255 labels out" in losses["jax"]["note"]


def test_json_multi_hot_and_continuous_facts(tmp_path: Path, capsys) -> None:
    tags = (RNG.random((200, 6)) < 0.25).astype(np.uint8)
    tags[:, 5] = 0
    np.save(tmp_path / "tags.npy", tags)
    report = _json(capsys, tmp_path / "tags.npy")
    assert report["format"] == "multi_hot" and report["empty_classes"] == [5]
    assert report["labels_per_row"] == pytest.approx(tags.sum() / 200)
    y = RNG.normal(size=1000)
    y[:20] = 1e4
    np.save(tmp_path / "y.npy", y)
    report = _json(capsys, tmp_path / "y.npy")
    assert report["outlier_share"] == pytest.approx(0.02)
    assert report["classes"] == [] and report["fits"][0]["task"] == "robust-regression"


def test_text_shows_a_bar_chart_of_the_top_classes_and_folds_the_rest(tmp_path: Path, capsys) -> None:
    y = np.repeat(np.arange(30), np.arange(30, 0, -1))  # class 0 most frequent, 29 least
    np.save(tmp_path / "y.npy", y)
    assert run(tmp_path / "y.npy", fmt="text") == 0
    out = capsys.readouterr().out
    assert "Integer class ids: labels take 30 integer values 0..29" in out
    bars = [line for line in out.splitlines() if "█" in line]
    assert len(bars) == TOP_CLASSES
    assert bars[0].split()[0] == "0" and bars[0].count("█") > bars[-1].count("█")
    assert f"… {30 - TOP_CLASSES} more" in out
    assert "30×" in out  # imbalance: 30 / 1
    assert "multiclass: multiclass with 30 classes" in out
    assert "PyTorch" in out and "CrossEntropyLoss()" in out


def test_text_for_string_labels_from_a_csv_column(tmp_path: Path, capsys) -> None:
    (tmp_path / "train.csv").write_text("path,species\na.jpg,cat\nb.jpg,dog\nc.jpg,cat\n")
    assert run(tmp_path / "train.csv", column="species", fmt="text") == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{tmp_path / 'train.csv'} [species]: 3 labels, str")
    assert "2 class names (cat, dog)" in out and "encoding the names" in out


def test_cli_labels_and_recommend_from_labels(tmp_path: Path) -> None:
    np.save(tmp_path / "y.npy", RNG.integers(0, 2, 100))
    proc = run_cli("labels", "y.npy", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0 and json.loads(proc.stdout)["format"] == "binary"
    proc = run_cli("recommend", "--labels", "y.npy", "--format", "json", cwd=tmp_path)
    advice = json.loads(proc.stdout)
    assert advice["task"] == "binary"
    assert advice["evidence"] == "labels take the values 0 and 1: binary (or a 2-class multiclass)"
    np.save(tmp_path / "ids.npy", RNG.integers(0, 12, 100))
    advice = json.loads(run_cli("recommend", "--labels", "ids.npy", "--format", "json", cwd=tmp_path).stdout)
    assert (advice["task"], advice["units"]) == ("multiclass", 12)


def test_cli_check_with_paired_labels_names_the_file_and_the_evidence(tmp_path: Path) -> None:
    np.save(tmp_path / "y_train.npy", RNG.integers(0, 8, 300))
    (tmp_path / "train.yaml").write_text("framework: keras\nmodel:\n  output: {units: 8, activation: sigmoid}\nloss: binary_crossentropy\n")
    proc = run_cli("check", "--labels", "y_train.npy", "train.yaml", "--select", "LA3", cwd=tmp_path)
    assert proc.returncode == 1
    line = proc.stdout.splitlines()[0]
    assert line.startswith("train.yaml:4:1: LA301")
    assert "the labels in y_train.npy are integer class ids: labels take 8 integer values 0..7" in line


def test_committed_label_fixtures_match_the_script_that_makes_them(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_label_fixtures", FIXTURES / "labels" / "_make.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.write(tmp_path)
    assert written
    for path in written:
        committed = FIXTURES / "labels" / path.relative_to(tmp_path)
        if path.name == "pickled.npy":  # pickle bytes may differ across NumPy versions; the header says object
            assert committed.read_bytes()[:60] == path.read_bytes()[:60]
            continue
        assert committed.read_bytes() == path.read_bytes(), committed
