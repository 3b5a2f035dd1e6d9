"""Saved Keras models: `.keras` archives, legacy `.h5`, model JSON.

What each fixture must report is in its `.expected` sidecar (tests/test_fixtures.py). These tests
cover what sidecars cannot: the command line on good and bad archives together, archive limits,
h5py being optional, how losses are matched to outputs, and — with the real Keras installed —
models saved at test time by whatever Keras version is present.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from lossadvisor.engine import check_paths
from lossadvisor.facts import Position
from lossadvisor.readers import MAX_DOCUMENT_BYTES, InputError, Source, keras_archive
from lossadvisor.readers.keras_model import SavedModel, setups
from lossadvisor.settings import Settings

KERAS = FIXTURES / "keras"
GOOD = KERAS / "LA101_sequential_softmax_from_logits.keras"


def codes(*paths: Path, **options) -> list[tuple[str, str]]:
    report = check_paths(list(paths), Settings(select=("ALL",)), **options)
    return [(Path(f.path).name, f.code) for f in report.findings]


def write_archive(path: Path, config: object, metadata: object = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", json.dumps(metadata or {"keras_version": "3.15.1"}))
        zf.writestr("config.json", config if isinstance(config, str) else json.dumps(config))
    return path


def dense(name: str, units: int, activation: str = "linear", inbound: str | None = None) -> dict:
    layer = {"class_name": "Dense", "config": {"name": name, "units": units, "activation": activation}, "name": name}
    layer["inbound_nodes"] = [[[inbound, 0, 0, {}]]] if inbound else []
    return layer


def functional(layers: list[dict], outputs: object) -> dict:
    return {"class_name": "Functional", "config": {"name": "m", "layers": layers, "input_layers": [["in", 0, 0]], "output_layers": outputs}}


INPUT = {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [None, 4]}, "name": "in", "inbound_nodes": []}


# --------------------------------------------------------------------------- the command line


def test_good_and_bad_archives_are_both_reported_and_exit_2():
    bad = KERAS / "bad" / "LA001_not_a_zip.keras"
    result = run_cli("check", str(GOOD), str(bad))
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"{GOOD}: LA101") for line in lines), result.stdout
    assert f"{bad}: LA001 [error] not a Keras archive: not a zip file" in lines


def test_archive_findings_have_no_line_and_name_the_layer_and_the_loss():
    result = run_cli("check", "--format", "json", str(GOOD))
    finding = json.loads(result.stdout)["findings"][0]
    assert (finding["code"], finding["line"], finding["column"]) == ("LA101", None, None)
    assert "layer 'probs'" in finding["message"]
    assert "CategoricalCrossentropy(from_logits=True)" in finding["message"]


def test_loss_flag_supplies_the_loss_of_a_model_json_saved_without_one():
    model = KERAS / "loss_flag" / "tf_keras2_functional_linear.json"
    assert run_cli("check", str(model)).returncode == 0
    result = run_cli("check", "--loss", "binary_crossentropy", str(model))
    assert result.returncode == 1
    assert "LA102" in result.stdout and "layer 'churn'" in result.stdout


def test_loss_flag_does_not_replace_a_saved_loss():
    # The archive's own CategoricalCrossentropy(from_logits=True) stays: still the double softmax.
    assert codes(GOOD, loss="categorical_crossentropy") == [(GOOD.name, "LA101")]


# --------------------------------------------------------------------------- bad archives


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('{"class_name": "Sequential", "config": {"layers": [', "config.json is not valid JSON"),
        ([1, 2, 3], "not a Keras model config"),
        ({"class_name": "Sequential", "config": {"layers": [{"config": {}}]}}, "layer 1 of the model has no class name"),
        (functional([INPUT, dense("out", 3, inbound="in")], [["missing", 0, 0]]), "names layer 'missing'"),
    ],
)
def test_malformed_config_is_one_clear_line(tmp_path, config, message):
    path = write_archive(tmp_path / "model.keras", config)
    report = check_paths([path, GOOD])
    errors = report.input_errors
    assert len(errors) == 1 and message in errors[0].message and errors[0].line is None
    assert [f.code for f in report.findings if f.code != "LA001"] == ["LA101"]  # the other file is still checked
    assert report.exit_code() == 2


def test_member_over_the_size_cap_is_refused_before_reading(tmp_path):
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", b"0" * (MAX_DOCUMENT_BYTES + 1))
    assert path.stat().st_size < 1024 * 1024  # small on disk, huge uncompressed
    with pytest.raises(InputError, match="over the 64 MiB limit"):
        keras_archive.read(Source(path, "bomb.keras"))


def test_a_subclassed_model_has_no_layers_but_its_loss_is_still_checked(tmp_path):
    config = {"class_name": "MyModel", "registered_name": "app>MyModel", "config": {"hidden": 32}, "compile_config": {"loss": "categorical_crossentropie"}}
    assert codes(write_archive(tmp_path / "sub.keras", config)) == [("sub.keras", "LA002")]


@pytest.mark.parametrize(
    "loss",
    [
        {"module": None, "class_name": "FocalLoss", "config": {}, "registered_name": "app>FocalLoss"},
        {"module": "builtins", "class_name": "function", "config": "my_weighted_loss", "registered_name": "function"},
    ],
    ids=["custom-class", "user-function"],
)
def test_the_users_own_loss_is_not_an_unknown_loss(tmp_path, loss):
    config = functional([INPUT, dense("out", 3, "softmax", inbound="in")], [["out", 0, 0]])
    config["compile_config"] = {"loss": loss}
    assert codes(write_archive(tmp_path / "custom.keras", config)) == []


def test_a_keras_loss_function_is_read_by_its_name():
    """Keras 3 serializes compile(loss=keras.losses.categorical_crossentropy) as a 'function'."""
    loss = {"module": "builtins", "class_name": "function", "config": "categorical_crossentropy", "registered_name": "function"}
    [setup] = read_model(functional([INPUT, dense("out", 3, "softmax", inbound="in")], [["out", 0, 0]]), loss)
    assert (setup.loss.written.value, setup.loss.id) == ("categorical_crossentropy", "categorical_crossentropy")


# --------------------------------------------------------------------------- legacy HDF5


def test_h5_without_h5py_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)  # import h5py now raises ImportError
    with pytest.raises(InputError, match=r"pip install 'lossadvisor\[h5\]'"):
        keras_archive.read(Source(KERAS / "LA101_legacy_sigmoid_from_logits.h5", "legacy.h5"))


def test_hdf5_data_and_weights_files_are_not_models(tmp_path, monkeypatch):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "features.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("x", data=[[1.0, 2.0], [3.0, 4.0]])
        h5.attrs["description"] = "training features"
    assert keras_archive.read(Source(path, "features.h5")) == []
    monkeypatch.setitem(sys.modules, "h5py", None)
    assert keras_archive.read(Source(path, "features.h5")) == []  # recognised without h5py too


def test_tf_keras_2_h5_with_byte_attributes(tmp_path):
    """tf.keras 2.x wrote `model_config` / `training_config` as UTF-8 bytes, losses as {class_name, config}."""
    h5py = pytest.importorskip("h5py")
    model = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "name": "dense_input"}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "softmax"}},
    ]}}  # fmt: skip
    loss_config = {"reduction": "auto", "name": "categorical_crossentropy", "from_logits": True, "label_smoothing": 0.0}
    training = {"loss": {"class_name": "CategoricalCrossentropy", "config": loss_config}}
    path = tmp_path / "tf2.h5"
    with h5py.File(path, "w") as h5:
        h5.attrs["keras_version"] = b"2.15.0"
        h5.attrs["backend"] = b"tensorflow"
        h5.attrs["model_config"] = json.dumps(model).encode("utf-8")
        h5.attrs["training_config"] = json.dumps(training).encode("utf-8")
    [setup] = keras_archive.read(Source(path, "tf2.h5"))
    assert setup.framework == "tf_keras"
    assert (setup.head.activation.value, setup.head.units.value) == ("softmax", 3)
    assert setup.loss.written.value == "CategoricalCrossentropy" and setup.loss.args["from_logits"].value is True
    assert codes(path) == [("tf2.h5", "LA101")]


# --------------------------------------------------------------------------- outputs and losses


def read_model(model: dict, loss: object = None) -> list:
    return setups(SavedModel(model, loss, (), ("loss",)), "m.json", lambda *keys: Position("m.json"))


TWO_OUTPUTS = functional(
    [INPUT, dense("a", 1, "sigmoid", inbound="in"), dense("b", 5, "softmax", inbound="in")],
    [["a", 0, 0], ["b", 0, 0]],
)


def test_a_dict_of_losses_is_matched_by_output_name_not_order():
    a, b = read_model(TWO_OUTPUTS, {"b": "categorical_crossentropy", "a": "binary_crossentropy"})
    assert (a.head.name, a.head.activation.value, a.loss.id) == ("a", "sigmoid", "binary_crossentropy")
    assert (b.head.name, b.head.activation.value, b.loss.id) == ("b", "softmax", "categorical_crossentropy")


def test_a_list_of_losses_is_positional_and_one_loss_serves_every_output():
    a, b = read_model(TWO_OUTPUTS, ["binary_crossentropy", None])
    assert (a.loss.id, b.loss) == ("binary_crossentropy", None)
    assert [s.loss.id for s in read_model(TWO_OUTPUTS, "mse")] == ["mean_squared_error", "mean_squared_error"]
    assert [s.loss for s in read_model(TWO_OUTPUTS, ["mse"])] == [None, None]  # does not fit: unknown, not guessed


def test_the_activation_nearest_the_output_wins_and_units_come_from_the_dense():
    layers = [INPUT, dense("logits", 4, "sigmoid", inbound="in"),
              {"class_name": "Dropout", "config": {"name": "drop", "rate": 0.5}, "name": "drop", "inbound_nodes": [[["logits", 0, 0, {}]]]},
              {"class_name": "Softmax", "config": {"name": "probs", "axis": -1}, "name": "probs", "inbound_nodes": [[["drop", 0, 0, {}]]]}]  # fmt: skip
    [setup] = read_model(functional(layers, [["probs", 0, 0]]))
    assert (setup.head.activation.value, setup.head.activation.context, setup.head.units.value) == ("softmax", "in layer 'probs'", 4)


def test_of_two_activation_layers_the_last_one_is_the_head():
    act = {"class_name": "Activation", "config": {"name": "act", "activation": "sigmoid"}, "name": "act", "inbound_nodes": [[["d", 0, 0, {}]]]}
    soft = {"class_name": "Softmax", "config": {"name": "soft"}, "name": "soft", "inbound_nodes": [[["act", 0, 0, {}]]]}
    [setup] = read_model(functional([INPUT, dense("d", 3, inbound="in"), act, soft], [["soft", 0, 0]]))
    assert setup.head.activation.value == "softmax"


def test_a_custom_layer_named_like_a_keras_layer_is_still_custom():
    custom = {"module": "app.layers", "class_name": "Softmax", "config": {"name": "s"}, "registered_name": "app>Softmax",
              "name": "s", "inbound_nodes": [[["d", 0, 0, {}]]]}  # fmt: skip
    [setup] = read_model(functional([INPUT, dense("d", 3, inbound="in"), custom], [["s", 0, 0]]))
    assert setup.head.activation is None


def test_a_layer_we_cannot_interpret_at_the_output_leaves_the_head_unknown():
    norm = {"class_name": "BatchNormalization", "config": {"name": "bn"}, "name": "bn", "inbound_nodes": [[["d", 0, 0, {}]]]}
    [setup] = read_model(functional([INPUT, dense("d", 3, "softmax", inbound="in"), norm], [["bn", 0, 0]]))
    assert setup.head.activation is None and setup.head.units is None


def test_a_reshape_keeps_the_activation_but_not_the_units():
    reshape = {"class_name": "Reshape", "config": {"name": "r", "target_shape": [1, 3]}, "name": "r", "inbound_nodes": [[["d", 0, 0, {}]]]}
    [setup] = read_model(functional([INPUT, dense("d", 3, "softmax", inbound="in"), reshape], [["r", 0, 0]]))
    assert setup.head.activation.value == "softmax" and setup.head.units is None


# --------------------------------------------------------------------------- real Keras, at test time


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def _nested(keras):
    layers = keras.layers
    head = keras.Sequential([keras.Input((8,)), layers.Dense(4), layers.Activation("softmax")], name="head")
    inputs = keras.Input((6,))
    return keras.Model(inputs, head(layers.Dense(8)(inputs)))


def _time_distributed(keras):
    layers = keras.layers
    return keras.Sequential([keras.Input((5, 6)), layers.TimeDistributed(layers.Dense(4, activation="softmax"))])


def _segmentation(keras):
    layers = keras.layers
    return keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(8, 3, padding="same", activation="relu"), layers.Conv2D(4, 1, activation="softmax")])


@pytest.mark.frameworks
@pytest.mark.parametrize("build", [_nested, _time_distributed, _segmentation], ids=["nested-model", "time-distributed", "conv-head"])
@pytest.mark.parametrize("fmt", ["keras", "h5", "json"])
def test_models_saved_by_the_installed_keras(keras, tmp_path, build, fmt):
    """A softmax head + SparseCategoricalCrossentropy(from_logits=True) is a double softmax however
    the model is built and saved."""
    model = build(keras)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    path = tmp_path / f"model.{fmt}"
    if fmt == "json":
        path.write_text(model.to_json())
    else:
        model.save(path)
    assert codes(path) == [(path.name, "LA101")]


@pytest.mark.frameworks
def test_multi_output_list_saved_by_the_installed_keras(keras, tmp_path):
    layers = keras.layers
    inputs = keras.Input((4,))
    h = layers.Dense(8, activation="relu")(inputs)
    age = layers.Dense(1, name="age")(h)
    kind = layers.Dense(3, activation="softmax", name="kind")(h)
    model = keras.Model(inputs, [age, kind])
    model.compile(optimizer="adam", loss=["mse", keras.losses.CategoricalCrossentropy(from_logits=True)])
    model.save(tmp_path / "two.keras")
    [age_setup, kind_setup] = keras_archive.read(Source(tmp_path / "two.keras", "two.keras"))
    assert (age_setup.head.name, age_setup.loss.id, age_setup.head.activation.value) == ("age", "mean_squared_error", "linear")
    assert (kind_setup.head.name, kind_setup.head.units.value) == ("kind", 3)
    assert codes(tmp_path / "two.keras") == [("two.keras", "LA101")]
