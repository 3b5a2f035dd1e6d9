"""A fix is written in the loss's own framework: LA302 on optax names optax's sparse loss and
jax.nn.one_hot, not Keras's (rules/losses.yaml `sparse_form`, rules/frameworks.yaml `one_hot`)."""

from __future__ import annotations

import pytest
from cli_samples import write
from conftest import run_cli

HEAD = "model:\n  output: {units: 10, activation: %s}\nlabels: {format: class_ids}\n"


@pytest.mark.parametrize(
    ("framework", "loss", "activation", "remedy"),
    [
        ("jax", "softmax_cross_entropy", "linear", "use the sparse form `softmax_cross_entropy_with_integer_labels` (same arguments) or one-hot encode the labels (jax.nn.one_hot(y, num_classes))"),
        ("keras", "categorical_crossentropy", "softmax", "use the sparse form `sparse_categorical_crossentropy` (same arguments) or one-hot encode the labels (keras.utils.to_categorical(y, num_classes))"),
        ("keras", "CategoricalCrossentropy", "softmax", "use the sparse form `SparseCategoricalCrossentropy` (same arguments)"),
        ("tf_keras", "categorical_crossentropy", "softmax", "use the sparse form `sparse_categorical_crossentropy`"),
        ("keras", "CategoricalFocalCrossentropy", "softmax", ": one-hot encode the labels (keras.utils.to_categorical(y, num_classes))"),
    ],
)
def test_la302_names_the_fix_in_the_losss_framework(tmp_path, framework, loss, activation, remedy):
    (tmp_path / ".git").mkdir()
    write(tmp_path, "train.yaml", f"framework: {framework}\nloss: {loss}\n" + HEAD % activation)
    out = run_cli("check", "train.yaml", cwd=tmp_path).stdout
    assert " LA302 [error] " in out and remedy in out, out
    if framework == "jax":
        assert "keras" not in out and "sparse_categorical_crossentropy" not in out
