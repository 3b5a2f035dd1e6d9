"""A compile pairs with the training calls after it (before the next compile of that model), with
the labels as they are at each call; a compile whose loss never runs in the file gets at most info."""

from __future__ import annotations

import json

from lossadvisor.engine import check_paths

HEAD = "from tensorflow import keras\nfrom tensorflow.keras.utils import to_categorical\n(x_train, y_train), _ = keras.datasets.mnist.load_data()\n"
MODEL = "model = keras.Sequential([keras.layers.Dense(64, activation='relu'), keras.layers.Dense(10, activation='softmax')])\n"


def findings(tmp_path, code, name="train.py"):
    path = tmp_path / name
    path.write_text(code)
    return [(f.code, f.severity, f.line) for f in check_paths([str(path)]).findings]


def notebook(tmp_path, cells):
    path = tmp_path / "book.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return [(f.code, f.cell, f.line) for f in check_paths([str(path)]).findings]


def test_a_later_cell_rebinds_the_labels_and_recompiles(tmp_path):
    """The textbook notebook: one-hot + categorical, then integer ids + sparse: both right."""
    cells = [
        HEAD + MODEL,
        "y_onehot = to_categorical(y_train)\nmodel.compile(loss='categorical_crossentropy', optimizer='adam')\nmodel.fit(x_train, y_onehot)\n",
        "model.compile(loss='sparse_categorical_crossentropy', optimizer='adam')\nmodel.fit(x_train, y_train)\n",
    ]
    assert [f for f in notebook(tmp_path, cells) if f[0].startswith("LA3")] == []


def test_the_labels_a_fit_sees_are_those_of_its_own_time(tmp_path):
    code = HEAD + MODEL + (
        "y = to_categorical(y_train)\n"
        "model.compile(loss='sparse_categorical_crossentropy', optimizer='adam')\n"  # line 6
        "model.fit(x_train, y)\n"  # one-hot into a sparse loss: the real bug
        "y = y_train\n"
    )
    assert ("LA303", "error", 6) in findings(tmp_path, code)


def test_a_compile_replaced_before_training_is_info(tmp_path):
    code = HEAD + MODEL + (
        "model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"  # line 5: never used
        "model.compile(loss='sparse_categorical_crossentropy', optimizer='adam')\n"
        "model.fit(x_train, y_train)\n"
    )
    found = findings(tmp_path, code)
    assert ("LA101", "info", 5) in found and not any(severity == "error" for _, severity, _ in found)
    path = tmp_path / "train.py"
    [double] = [f for f in check_paths([str(path)]).findings if f.code == "LA101"]
    assert double.message.endswith("(the model is compiled again before it is trained, so this loss is never used)")


def test_a_generator_compiled_but_only_used_inside_the_gan_is_info(tmp_path):
    code = (
        "from tensorflow import keras\n"
        "generator = keras.Sequential([keras.layers.Dense(8)])\n"
        "generator.compile(loss='binary_crossentropy', optimizer='adam')\n"  # line 3: never trained itself
        "discriminator = keras.Sequential([keras.layers.Dense(1, activation='sigmoid')])\n"
        "gan = keras.Sequential([generator, discriminator])\n"
        "gan.compile(loss='binary_crossentropy', optimizer='adam')\n"
        "gan.fit(noise, ones)\n"
    )
    assert ("LA102", "info", 3) in findings(tmp_path, code)


def test_a_head_bug_stays_an_error_when_only_the_loss_is_unused(tmp_path):
    """The generator's head is trained through the GAN: a softmax over one unit there is wrong."""
    code = (
        "from tensorflow import keras\n"
        "generator = keras.Sequential([keras.layers.Dense(1, activation='softmax')])\n"
        "generator.compile(loss='binary_crossentropy', optimizer='adam')\n"
        "gan = keras.Sequential([generator, keras.layers.Dense(1, activation='sigmoid')])\n"
        "gan.compile(loss='binary_crossentropy', optimizer='adam')\n"
        "gan.fit(noise, ones)\n"
    )
    assert ("LA201", "error", 2) in findings(tmp_path, code)


def test_a_model_only_predicted_is_info_and_says_why(tmp_path):
    path = tmp_path / "serve.py"
    path.write_text(
        "from tensorflow import keras\n"
        "model = keras.Sequential([keras.layers.Dense(10)])\n"
        "model.compile(loss='sparse_categorical_crossentropy')\n"
        "probabilities = model.predict(x)\n"
    )
    [finding] = [f for f in check_paths([str(path)]).findings if f.line == 3]
    assert finding.severity == "info" and "never trained in this file" in finding.message


def test_a_compiled_model_trained_nowhere_visible_keeps_its_error(tmp_path):
    code = "from tensorflow import keras\nmodel = keras.Sequential([keras.layers.Dense(1, activation='softmax')])\nmodel.compile(loss='binary_crossentropy')\n"
    assert ("LA201", "error", 2) in findings(tmp_path, code)


def test_a_dtype_cast_after_softmax_is_not_a_new_linear_output(tmp_path):
    """The mixed-precision idiom of TensorFlow's guide."""
    code = (
        "from tensorflow import keras\n"
        "inputs = keras.Input((4,))\n"
        "x = keras.layers.Dense(10, activation='softmax')(inputs)\n"
        "outputs = keras.layers.Activation('linear', dtype='float32')(x)\n"
        "model = keras.Model(inputs, outputs)\n"
        "model.compile(loss='sparse_categorical_crossentropy')\n"
        "model.fit(x_train, y_train)\n"
    )
    assert [code for code, _, _ in findings(tmp_path, code) if code.startswith("LA1")] == []
