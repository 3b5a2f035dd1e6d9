"""`lossadvisor recommend`: every problem type answers for every framework, text and JSON carry
the same advice, and bad or missing input exits 2 with one clear line."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

from lossadvisor import knowledge
from lossadvisor.recommend import UnknownTask, recommend

KB = knowledge.load()
TASKS = sorted(KB.tasks)


@pytest.mark.parametrize("task_id", TASKS)
@pytest.mark.parametrize("framework", ["keras", "pytorch", "jax"])
def test_every_task_answers_for_every_framework(task_id, framework):
    advice = recommend(task_id, framework, classes=5)
    assert advice.task == task_id
    task = KB.tasks[task_id]
    if task.special:
        assert advice.special  # says a dedicated loss is used, and why
    assert [fw.framework for fw in advice.frameworks] in ([framework], []) or task.special
    for fw in advice.frameworks:
        choice = (task.raw.get("loss") or {}).get(framework) or {}
        if "name" in choice:
            # the advertised loss is a real spelling for this framework, shown in the snippet too
            assert KB.find_loss(choice["name"], framework) is not None
            assert choice["name"] in fw.loss and choice["name"] in fw.snippet
        else:
            assert fw.snippet  # custom code from tasks.yaml


def test_stable_form_first_for_classification():
    binary = {fw.framework: fw for fw in recommend("binary").frameworks}
    assert binary["keras"].loss == "BinaryCrossentropy(from_logits=True)"
    assert binary["pytorch"].loss.startswith("BCEWithLogitsLoss")
    multi = {fw.framework: fw for fw in recommend("multiclass", classes=10).frameworks}
    assert "Linear(in_features, 10)" in multi["pytorch"].snippet and "Softmax" not in multi["pytorch"].snippet
    assert "from_logits=True" in multi["keras"].snippet


def test_classes_set_the_units():
    assert recommend("multiclass", classes=7).units == 7
    assert recommend("multilabel", classes=12).units == 12
    assert recommend("binary", classes=2).units == 1


def test_aliases_and_unknown_task():
    assert recommend("multi-class").task == "multiclass"
    assert recommend("Binary_Classification").task == "binary"
    with pytest.raises(UnknownTask) as err:
        recommend("multiclas")
    assert "multiclass" in str(err.value)


def test_cli_json_has_the_same_content_as_text():
    proc = run_cli("recommend", "--task", "multilabel", "--framework", "pytorch", "--classes", "20", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["task"] == "multilabel" and data["units"] == 20
    assert data["frameworks"][0]["loss"].startswith("BCEWithLogitsLoss")
    text = run_cli("recommend", "--task", "multilabel", "--framework", "pytorch", "--classes", "20", "--color", "never")
    assert text.returncode == 0
    assert "BCEWithLogitsLoss" in text.stdout and "Linear(in_features, 20)" in text.stdout


def test_cli_unknown_task_exits_2_with_suggestion_and_valid_list():
    proc = run_cli("recommend", "--task", "multi-lable")
    assert proc.returncode == 2
    assert "did you mean `multi-label`" in proc.stderr or "did you mean `multilabel`" in proc.stderr
    assert "regression" in proc.stderr and proc.stderr.count("\n") == 1


def test_cli_without_terminal_names_the_missing_flag():
    proc = run_cli("recommend", stdin="")
    assert proc.returncode == 2
    assert "--task" in proc.stderr


def test_cli_asks_on_a_terminal(tmp_path):
    """Without --task on a terminal it asks for the problem type (aliases work), the classes and the framework."""
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lossadvisor", "recommend"], stdin=follower, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    os.write(leader, b"multi-label\n12\npytorch\n")
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    assert proc.wait(timeout=60) == 0
    text = output.decode(errors="replace")
    assert "Problem type" in text and "Number of classes" in text and "Framework" in text
    assert "BCEWithLogitsLoss" in text and "Linear(in_features, 12)" in text
    assert "Keras 3" not in text  # only the framework asked for
