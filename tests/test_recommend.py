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
    assert "nn.Linear(x.shape[-1], 10)" in multi["pytorch"].snippet and "Softmax" not in multi["pytorch"].snippet
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
    assert "BCEWithLogitsLoss" in text.stdout and "nn.Linear(x.shape[-1], 20)" in text.stdout
    fw = data["frameworks"][0]
    assert fw["snippet"] in text.stdout  # the whole snippet, flush left, as JSON carries it
    assert fw["runnable"] is True and fw["metrics"] and data["label_shape"] == "float32 (N, C)"


def test_cli_unknown_task_exits_2_with_suggestion_and_valid_list():
    proc = run_cli("recommend", "--task", "multi-lable")
    assert proc.returncode == 2
    assert "did you mean `multi-label`" in proc.stderr or "did you mean `multilabel`" in proc.stderr
    assert "regression" in proc.stderr and proc.stderr.count("\n") == 1


def test_cli_without_terminal_names_the_missing_flag():
    proc = run_cli("recommend", stdin="")
    assert proc.returncode == 2
    assert "--task" in proc.stderr


def test_cli_asks_on_a_terminal():
    """Without --task on a terminal it asks for the problem type (aliases work), the classes and the framework."""
    code, text = _prompt(b"multi-label\n12\npytorch\n", env={"NO_COLOR": "1"})
    assert code == 0
    assert "Problem type" in text and "Number of classes" in text and "Framework" in text
    assert "BCEWithLogitsLoss" in text and "nn.Linear(x.shape[-1], 12)" in text
    assert "Keras 3" not in text  # only the framework asked for


def _prompt(answers: bytes, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `lossadvisor recommend` on a pseudo-terminal, typing `answers`."""
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    env = {**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, "COLUMNS": "100", **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "lossadvisor", "recommend", *args], stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    os.write(leader, answers)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    return proc.wait(timeout=60), output.decode(errors="replace")


def test_prompts_suggest_and_take_the_documented_aliases():
    code, text = _prompt(b"multilabl\ntags\n5\ntroch\ntorch\n", "--color", "never")
    assert code == 0
    assert "did you mean `multilabel`" in text  # a misspelt problem type is asked again, with a suggestion
    assert "did you mean `torch`" in text or "did you mean `pytorch`" in text
    assert "BCEWithLogitsLoss" in text and "nn.Linear(x.shape[-1], 5)" in text and "Keras 3" not in text
    assert "\x1b[" not in text  # --color never: not one escape code, prompts included


def test_classes_are_refused_where_the_head_has_no_class_units():
    proc = run_cli("recommend", "--task", "regression", "--classes", "3")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "--classes" in proc.stderr and "regression" in proc.stderr and proc.stderr.count("\n") == 1
    assert run_cli("recommend", "--task", "ordinal", "--classes", "5", "--format", "json").returncode == 0


@pytest.mark.parametrize("width", [60, 80, 100])
def test_text_fits_the_width_without_breaking_words_and_copies_cleanly(width):
    from lossadvisor.render.advice import render_text

    for task_id in TASKS:
        advice = recommend(task_id, classes=5)
        text = render_text(advice, width=width)
        snippet_lines = {line for fw in advice.frameworks for line in fw.snippet.splitlines()}
        for line in text.splitlines():
            assert line == line.rstrip(), f"trailing spaces: {line!r}"
            assert not set(line) & set("│╭╮╰╯┃━┏┓"), f"box drawing around: {line!r}"
            if line not in snippet_lines:  # code is never wrapped: copying it must give the code
                words = line.split()
                assert len(line) <= width or len(words) == 1 or len(words[-1]) > width // 2, (width, line)
        for fw in advice.frameworks:
            assert fw.snippet.rstrip("\n") in text  # flush left and whole: a copy is the code
            assert fw.loss.split(" ")[0] in text  # the loss name is never cut
        assert "((" not in text.splitlines()[0] and ") (" not in text.splitlines()[0]


def test_markdown_has_the_same_advice_with_fenced_snippets():
    from lossadvisor.render.advice import render_markdown

    advice = recommend("binary", "all")
    md = render_markdown(advice)
    assert md.startswith("## Binary classification")
    assert md.count("```python") == len(advice.frameworks) == md.count("\n```\n")
    for fw in advice.frameworks:
        assert f"### {fw.title}" in md and fw.snippet.rstrip("\n") in md
    assert "| Label format | Binary 0/1 labels: float32 (N,), e.g. [0, 1, 1, 0] |" in md
    proc = run_cli("recommend", "--task", "binary", "--format", "markdown")
    assert proc.returncode == 0 and proc.stdout == md


# --------------------------------------------------------------------------- what the advice says


def _by_framework(task_id: str, classes: int | None = None):
    return {fw.framework: fw for fw in recommend(task_id, "all", classes).frameworks}


@pytest.mark.parametrize("task_id", ["binary", "multilabel"])
def test_keras_metrics_fit_the_logits_head(task_id):
    """Dense(1) + from_logits=True: metrics that threshold at 0.5 get threshold 0 (sigmoid(0) = 0.5)."""
    keras = _by_framework(task_id, 5)["keras"]
    assert "from_logits=True" in keras.loss
    assert "BinaryAccuracy(threshold=0.0)" in keras.metrics
    assert any(m.startswith("AUC(") and "from_logits=True" in m for m in keras.metrics)
    assert "Precision(thresholds=0.0)" in keras.metrics and "Recall(thresholds=0.0)" in keras.metrics
    assert "accuracy" not in keras.metrics and "'accuracy'" not in keras.snippet


def test_metrics_that_read_values_are_not_put_on_logits():
    keras = _by_framework("bounded-regression")["keras"]
    assert "keras.metrics.MeanAbsoluteError()" not in keras.snippet  # it would compare logits with targets
    assert any("sigmoid" in m for m in keras.metrics)


def test_last_activation_says_what_the_outputs_are():
    from lossadvisor.render.advice import last_activation

    assert last_activation(recommend("regression")) == "none: the outputs are values"
    assert last_activation(recommend("similarity")) == "none: the outputs are embeddings"
    assert "Keras 3: exponential" in last_activation(recommend("count"))
    assert "PyTorch: LogSoftmax" in last_activation(recommend("distribution"))
    assert "PyTorch: LogSoftmax" in last_activation(recommend("sequence"))
    assert "exponential" in _by_framework("count")["keras"].head


def test_segmentation_label_format_is_a_mask():
    advice = recommend("segmentation", classes=21)
    assert advice.label_shape == "int64 (N, H, W) class-id masks" and advice.label_example is None
    assert "Conv2d(x.shape[1], 21, kernel_size=1)" in _by_framework("segmentation", 21)["pytorch"].snippet


def _all_text() -> str:
    kb = knowledge.load()
    parts = [json.dumps(t.raw, ensure_ascii=False) for t in kb.tasks.values()]
    parts += [json.dumps(r.docs, ensure_ascii=False) + r.message + (r.fix or "") for r in kb.rules.values()]
    return " ".join(" ".join(parts).split())


def test_huber_and_smooth_l1_are_related_correctly():
    text = _all_text()
    assert "HuberLoss(delta) = delta * SmoothL1Loss(beta=delta), equal only at delta = 1" in text
    assert "Huber_delta = delta * SmoothL1_beta" not in text


def test_soft_margin_loss_is_not_called_a_hinge():
    text = _all_text()
    assert "SoftMarginLoss is not a hinge: it is the logistic loss on ±1 labels" in text
    assert "PyTorch SoftMarginLoss; optax hinge_loss" not in text


def test_generalized_crossentropy_is_said_to_take_probabilities():
    assert "CategoricalGeneralizedCrossEntropy, which takes probabilities" in _all_text()


def test_categorical_crossentropy_renormalises_predictions_not_targets():
    text = _all_text()
    assert "renormalises multi-hot rows" not in text
    assert "renormalises the predictions, not the targets" in text


def test_keras_focal_losses_are_not_called_fused():
    assert "apply the sigmoid and a clipped crossentropy even with from_logits=True" in _all_text()
