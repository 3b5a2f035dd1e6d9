"""The Python and notebook readers: what they read into setups, and where they point.

The fixture files (tests/fixtures/python, tests/fixtures/notebooks) check the findings end to end;
these tests check the facts behind them (positions, contexts, arguments, labels) and the reader's
promises: code is never run, unknown names are recorded only where a loss is meant, notebooks map
back to cells.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from lossadvisor.facts import TrainingSetup
from lossadvisor.readers import InputError, Source
from lossadvisor.readers import notebook
from lossadvisor.readers.python import read


def setups(code: str, tmp_path: Path | None = None, name: str = "train.py") -> list[TrainingSetup]:
    text = textwrap.dedent(code)
    if tmp_path is not None:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return read(Source(path, name))
    return read(Source(Path(name), name, text.encode()))


def paired(found: list[TrainingSetup]) -> list[TrainingSetup]:
    return [s for s in found if s.loss is not None and s.head is not None]


def test_loss_object_points_at_its_constructor_and_names_the_forward():
    found = paired(setups('''
        import torch.nn.functional as F
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(16, 4)

            def forward(self, x):
                return F.softmax(self.fc(x), dim=-1)

        criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        model = Net()

        def step(x, y):
            return criterion(model(x), y)
    '''))
    assert len(found) == 1
    setup = found[0]
    assert setup.framework == "pytorch"
    assert (setup.loss.written.value, setup.loss.id, setup.loss.written.at.line) == ("nn.CrossEntropyLoss", "cross_entropy", 13)
    assert setup.loss.args["label_smoothing"].value == 0.1
    assert setup.head.activation.value == "softmax"
    assert setup.head.activation.where() == "line 11 in `Net.forward`"
    assert (setup.head.units.value, setup.head.units.at.line) == (4, 8)


def test_functional_loss_points_at_the_call():
    found = paired(setups('''
        import torch
        import torch.nn.functional as F

        def step(logits, y):
            probs = torch.sigmoid(logits)
            return F.binary_cross_entropy_with_logits(probs, y, reduction="sum")
    '''))
    assert [(s.loss.written.value, s.loss.written.at.line, s.head.activation.value) for s in found] == [
        ("F.binary_cross_entropy_with_logits", 7, "sigmoid")
    ]
    assert found[0].loss.args["reduction"].value == "sum"


def test_aliased_imports_keep_the_real_spelling():
    """`BCEWithLogitsLoss as BCEL` must still be known as the logits form (the check reads the
    spelling's last part)."""
    found = setups('''
        from torch.nn import BCEWithLogitsLoss as BCEL
        criterion = BCEL()
    ''')
    assert [(s.loss.written.value, s.loss.id) for s in found] == [("BCEWithLogitsLoss", "binary_crossentropy")]


@pytest.mark.parametrize(
    ("header", "sequential", "dense", "framework"),
    [
        ("import keras", "keras.Sequential", "keras.layers.Dense", "keras"),
        ("from tensorflow import keras", "keras.Sequential", "keras.layers.Dense", "tf_keras"),
        ("import tensorflow as tf", "tf.keras.Sequential", "tf.keras.layers.Dense", "tf_keras"),
        ("from tensorflow.keras import Sequential, layers", "Sequential", "layers.Dense", "tf_keras"),
        ("from keras.layers import Dense; from keras.models import Sequential", "Sequential", "Dense", "keras"),
        ("import tf_keras as keras", "keras.Sequential", "keras.layers.Dense", "tf_keras"),
    ],
)
def test_keras_spellings_resolve(header, sequential, dense, framework):
    found = paired(setups(f"{header}\nmodel = {sequential}([{dense}(10, activation='softmax')])\nmodel.compile(loss='sparse_categorical_crossentropy')\n"))
    assert [(s.framework, s.head.activation.value, s.head.units.value, s.loss.id) for s in found] == [
        (framework, "softmax", 10, "sparse_categorical_crossentropy")
    ]


def test_dense_without_activation_is_linear_but_an_unknown_layer_is_unknown():
    found = paired(setups('''
        import keras
        from my_layers import Fancy

        plain = keras.Sequential([keras.layers.Dense(1)])
        plain.compile(loss="mse")
        fancy = keras.Sequential([keras.layers.Dense(8), Fancy()])
        fancy.compile(loss="binary_crossentropy")
        unknown = keras.Sequential([keras.layers.Dense(8), keras.layers.BatchNormalization()])
        unknown.compile(loss="binary_crossentropy")
    '''))
    heads = {s.loss.written.at.line: s.head for s in found}
    assert heads[6].activation.value == "linear"
    assert 8 not in heads and 10 not in heads  # never assumed linear


def test_compile_dict_matches_outputs_by_name_and_list_by_position():
    found = paired(setups('''
        import keras
        from keras import layers

        inputs = keras.Input(shape=(8,))
        a = layers.Dense(3, activation="softmax", name="kind")(inputs)
        b = layers.Dense(1, name="size")(inputs)
        named = keras.Model(inputs, {"kind": a, "size": b})
        named.compile(loss={"size": "mse", "kind": "sparse_categorical_crossentropy"})
        listed = keras.Model(inputs, [a, b])
        listed.compile(loss=["categorical_crossentropy", "huber"])
    '''))
    pairs = sorted((s.loss.written.at.line, s.loss.id, s.head.activation.value) for s in found)
    assert pairs == [
        (9, "mean_squared_error", "linear"),
        (9, "sparse_categorical_crossentropy", "softmax"),
        (11, "categorical_crossentropy", "softmax"),
        (11, "huber", "linear"),
    ]


def test_fit_labels_reach_the_compiled_loss():
    found = paired(setups('''
        from tensorflow import keras

        (x, y), _ = keras.datasets.cifar100.load_data(label_mode="coarse")
        model = keras.Sequential([keras.layers.Dense(20)])
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y)
    '''))
    labels = found[0].labels
    assert (labels.format.value, labels.num_classes, labels.maximum) == ("class_ids", 20, 19.0)
    assert labels.source == "`cifar100.load_data()`"


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ("keras.utils.to_categorical(y)", ("one_hot", 10)),
        ("np.eye(10)[y]", ("one_hot", 10)),
        ("y.astype('int64')[:1000]", ("class_ids", 10)),
        ("np.asarray(y).reshape(-1)", ("class_ids", 10)),
        ("y - 1", ("class_ids", 10)),  # shifted ids: still 10 classes, now -1..8 (LA310)
        ("y / 255", ("unit_interval", None)),  # divided like the pixels: fractions, no classes
        ("y * 2", None),  # other arithmetic: not known
        ("y[:, 0]", None),
        ("encoder.fit_transform(y)", None),
    ],
)
def test_label_conversions(labels, expected):
    found = paired(setups(f"""
import numpy as np
import keras
(x, y), _ = keras.datasets.mnist.load_data()
model = keras.Sequential([keras.layers.Dense(10)])
model.compile(loss="mse")
model.fit(x, {labels})
"""))
    facts = found[0].labels
    assert (None if facts is None else (facts.format.value, facts.num_classes)) == expected


def test_torchvision_labels_flow_through_the_loader_but_not_a_target_transform():
    found = paired(setups('''
        import torch
        from torch import nn
        from torchvision import datasets

        plain = torch.utils.data.DataLoader(datasets.CIFAR10("data"), batch_size=32)
        mapped = torch.utils.data.DataLoader(datasets.CIFAR10("data", target_transform=lambda t: t % 2))
        model = nn.Linear(3072, 10)
        criterion = nn.CrossEntropyLoss()
        for i, (x, y) in enumerate(plain):
            criterion(model(x), y)
        mse = nn.MSELoss()
        for x, y in mapped:
            mse(model(x), y.float())
    '''))
    labels = {s.loss.id: s.labels for s in found}
    assert labels["cross_entropy"].format.value == "class_ids" and labels["cross_entropy"].num_classes == 10
    assert labels["mean_squared_error"] is None


def test_label_file_next_to_the_script_is_profiled_only_when_it_reaches_a_loss(tmp_path):
    np = pytest.importorskip("numpy")
    np.save(tmp_path / "y.npy", np.array([0, 1, 2, 3] * 10))
    found = paired(setups('''
        import numpy as np
        from torch import nn

        y = np.load("y.npy")
        x = np.load("x.npy")  # does not exist: never read
        head = nn.Linear(8, 1)
        criterion = nn.BCEWithLogitsLoss()

        def step(batch):
            return criterion(head(batch), y)
    ''', tmp_path))
    labels = found[0].labels
    assert labels.format.value == "class_ids" and labels.source == "y.npy"


def test_unreadable_label_file_means_labels_unknown(tmp_path):
    (tmp_path / "y.npy").write_bytes(b"not an array")
    found = paired(setups('''
        import numpy as np
        from torch import nn

        y = np.load("y.npy")
        criterion = nn.CrossEntropyLoss()
        criterion(nn.Linear(4, 3)(None), y)
    ''', tmp_path))
    assert found and found[0].labels is None


def test_unknown_names_only_where_a_loss_is_meant():
    found = setups('''
        import keras
        import torch
        from torch import nn
        import torch.nn.functional as F

        def my_loss(y_true, y_pred):
            return keras.ops.mean(y_true - y_pred)

        a = nn.CrossEntropyLos()
        b = keras.losses.CategoricalCrossEntropy()
        c = nn.Linaer(3, 4)
        d = F.linear(torch.ones(3), torch.ones(3, 3))
        model = keras.Sequential([keras.layers.Dense(1)])
        model.compile(loss=my_loss)
        model.compile(loss="categorical_crosentropy")
    ''')
    unknown = sorted((s.loss.written.value, s.loss.written.at.line) for s in found if s.loss and s.loss.id is None)
    assert unknown == [("categorical_crosentropy", 16), ("keras.losses.CategoricalCrossEntropy", 11), ("nn.CrossEntropyLos", 10)]


def test_non_literal_argument_that_changes_the_expectation_keeps_the_loss_unpaired():
    found = setups('''
        import keras
        model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
        flag = load_flag()
        model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=flag))
    ''')
    assert [(s.loss.id, s.head) for s in found if s.loss] == [("categorical_crossentropy", None)]


def test_inference_contexts_do_not_pair():
    found = setups('''
        import torch
        import torch.nn.functional as F

        model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Softmax(dim=1))
        with torch.no_grad():
            F.cross_entropy(model(x), y)

        @torch.inference_mode()
        def evaluate(x, y):
            return F.cross_entropy(model(x), y)
    ''')
    assert paired(found) == []


def test_code_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    setups(f'''
        import torch
        open({str(marker)!r}, "w").write("ran")
        criterion = torch.nn.CrossEntropyLoss()
        raise SystemExit(3)
    ''', tmp_path)
    assert not marker.exists()


def test_syntax_error_is_an_input_error_at_its_line():
    with pytest.raises(InputError) as err:
        setups("import torch\nloss = torch.nn.MSELoss(\nx = 1 +\n")
    assert err.value.line == 2
    assert "syntax error" in err.value.message


def test_files_without_a_framework_are_not_parsed():
    assert setups("def loss(:\n    pass\n") == []  # not even a syntax error: never parsed


def test_pathological_recursion_ends():
    found = setups('''
        import torch
        def a(x):
            return b(x)
        def b(x):
            return a(torch.softmax(x, 1))
        loss = torch.nn.CrossEntropyLoss()
        loss(a(1), 2)
    ''')
    assert [s.loss.id for s in found] == ["cross_entropy"]


# --------------------------------------------------------------------------- notebooks


def write_notebook(tmp_path: Path, cells: list[tuple[str, str]]) -> Source:
    data = {"cells": [{"cell_type": kind, "source": text.splitlines(keepends=True), "metadata": {}} for kind, text in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(data), encoding="utf-8")
    return Source(path, "nb.ipynb")


def test_notebook_positions_are_cell_and_line(tmp_path):
    source = write_notebook(tmp_path, [
        ("markdown", "# title"),
        ("code", "%load_ext autoreload\n!nvidia-smi\nimport torch\nfrom torch import nn"),
        ("code", "%%writefile helper.py\nimport torch\ncriterion = torch.nn.NLLLoss()"),
        ("code", "model = nn.Sequential(\n    nn.Linear(4, 2),\n    nn.Softmax(dim=1),\n)\ncriterion = nn.CrossEntropyLoss()\ncriterion(model(x), y)"),
    ])  # fmt: skip
    found = paired(notebook.read(source))
    assert len(found) == 1  # the %%writefile cell is not Python of this notebook
    setup = found[0]
    assert (setup.loss.written.at.cell, setup.loss.written.at.line, setup.loss.written.at.column) == (4, 5, 13)
    assert setup.head.activation.where() == "cell 4, line 3"


def test_notebook_comment_lines_are_per_code_cell(tmp_path):
    source = write_notebook(tmp_path, [("markdown", "text # noqa"), ("code", "a = 1  # noqa: LA101\nb = 2")])
    assert notebook.comment_lines(source) == {2: ["a = 1  # noqa: LA101", "b = 2"]}


def test_broken_notebook_is_one_clear_error(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")
    with pytest.raises(InputError) as err:
        notebook.read(Source(path, "nb.ipynb"))
    assert err.value.message.startswith("not a valid notebook: broken JSON") and err.value.line == 1
    assert notebook.comment_lines(Source(path, "nb.ipynb")) == {}


# --------------------------------------------------------------------------- project modules


def test_project_module_heads_are_seen_but_its_own_losses_stay_its_own(tmp_path):
    (tmp_path / "nets.py").write_text(
        "import torch\nfrom torch import nn\nimport train\n\n"  # an import cycle back to the checked file
        "class Net(nn.Module):\n    def forward(self, x):\n        return torch.sigmoid(x)\n\n"
        "own = nn.BCEWithLogitsLoss()\nown(Net()(1), 2)\n",
        encoding="utf-8",
    )
    found = setups('''
        from torch import nn
        from nets import Net
        from missing_module import Other
        criterion = nn.BCEWithLogitsLoss()
        criterion(Net()(1), 2)
        criterion(Other()(1), 2)
    ''', tmp_path)
    assert sorted((s.loss.written.at.path, s.loss.written.at.line, s.head.activation.where() if s.head else None) for s in found) == [
        ("train.py", 5, "line 7 in `Net.forward`, nets.py")
    ]


@pytest.mark.parametrize(("made", "units"), [
    ("Head(3)", 3), ("Head(classes=3)", 3), ("Head()", 10), ("Head(**config, classes=3)", 3), ("Head(**config)", None), ("Head(*sizes)", None),
])  # fmt: skip
def test_a_flax_modules_fields_are_its_constructor_arguments(made, units):
    """A linen module is a dataclass: positional or keyword arguments set its annotated fields, a
    default applies when none is passed, and `**config` / `*args` leave the rest unknown."""
    code = f"""
import flax.linen as nn
import optax

class Head(nn.Module):
    classes: int = 10

    @nn.compact
    def __call__(self, x):
        return nn.Dense(self.classes)(x)

model = {made}
loss = optax.softmax_cross_entropy_with_integer_labels(model.apply(params, x), y)
"""
    [setup] = [s for s in setups(code) if s.loss is not None]
    assert (setup.head.units.value if setup.head.units else None) == units
    assert setup.head.activation.value == "linear"
