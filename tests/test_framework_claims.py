"""What rules/ and the rule docs claim about PyTorch and Keras 3, checked against the real frameworks
(the `frameworks` extra: torch==2.13.0 CPU, keras with KERAS_BACKEND=torch).

Each test names the rule or knowledge entry whose claim it checks, so a framework release that
changes behaviour points straight at the rule to revisit."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
F = torch.nn.functional

from lossadvisor import knowledge  # noqa: E402

pytestmark = pytest.mark.frameworks
KB = knowledge.load()


# --------------------------------------------------------------------------- spellings exist


# torchvision.ops does not install next to the CPU torch pin: its one loss spelling was checked
# against torchvision's source (ops/focal_loss.py, giou_loss.py, diou_loss.py, ciou_loss.py).
FROM_TORCHVISION_SOURCE = {"sigmoid_focal_loss", "generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"}


def test_every_pytorch_spelling_exists_in_torch():
    missing = []
    for loss in KB.losses.values():
        for s in loss.spellings("pytorch"):
            if not (hasattr(torch.nn, s.name) or hasattr(F, s.name) or s.name in FROM_TORCHVISION_SOURCE):
                missing.append(f"{loss.id}: {s.name}")
    assert not missing, missing


def test_every_keras3_spelling_resolves_in_keras():
    missing = []
    for loss in KB.losses.values():
        for s in loss.spellings("keras"):
            if s.strings_only:
                continue  # 'crossentropy' / 'ce' exist only inside compile()
            try:
                keras.losses.get(s.name)
            except (ValueError, TypeError):
                if not hasattr(keras.losses, s.name):
                    missing.append(f"{loss.id}: {s.name}")
    assert not missing, missing


@pytest.mark.parametrize("name", ["logcosh", "huber_loss", "kullback_leibler_divergence"])
def test_tf_keras_only_strings_are_rejected_by_keras3(name):  # LA006
    with pytest.raises(ValueError):
        keras.losses.get(name)


def test_pytorch_activation_spellings_exist():
    missing = []
    for act in KB.activations.values():
        for name in act.names.get("pytorch", ()):
            if name in ("null", "None", "identity"):
                continue
            if not any(hasattr(mod, name) for mod in (torch.nn, torch, F, torch.Tensor, torch.special)):
                missing.append(f"{act.id}: {name}")
    assert not missing, missing


def test_keras_activation_strings_resolve():
    missing = []
    for act in KB.activations.values():
        for name in act.names.get("keras", ()):
            if name in ("null", "None", "none") or hasattr(keras.layers, name):
                continue
            try:
                keras.activations.get(name)
            except (ValueError, TypeError):
                if not hasattr(keras.ops, name):
                    missing.append(f"{act.id}: {name}")
    assert not missing, missing


# --------------------------------------------------------------------------- rule claims, PyTorch


def _saturated_logits(n=8, c=10):
    torch.manual_seed(0)
    logits = torch.randn(n, c) * 8
    targets = torch.randint(0, c, (n,))
    return logits, targets


def test_double_softmax_starves_the_gradient():  # LA101
    logits, y = _saturated_logits()
    plain = logits.clone().requires_grad_()
    F.cross_entropy(plain, y).backward()
    doubled = logits.clone().requires_grad_()
    F.cross_entropy(F.softmax(doubled, dim=1), y).backward()
    assert doubled.grad.norm() < plain.grad.norm() / 5
    # and the loss can never get below log(e + C - 1) - 1, even for perfect one-hot probabilities
    perfect = F.one_hot(y, 10).float()
    assert F.cross_entropy(perfect, y).item() == pytest.approx(math.log(math.e + 9) - 1, rel=1e-5)


def test_log_softmax_into_cross_entropy_is_harmless():  # LA101 does not fire on log_softmax
    logits, y = _saturated_logits()
    assert F.cross_entropy(F.log_softmax(logits, dim=1), y).item() == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)


def test_bce_loss_rejects_logits():  # LA102
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        torch.nn.BCELoss()(torch.tensor([2.5, -1.0]), torch.tensor([1.0, 0.0]))


def test_sigmoid_before_bce_with_logits_floors_the_loss():  # LA101
    huge = torch.tensor([50.0])
    assert torch.nn.BCEWithLogitsLoss()(torch.sigmoid(huge), torch.tensor([1.0])).item() == pytest.approx(0.3133, abs=1e-3)


def test_nll_on_probabilities_goes_negative():  # LA103
    logits, y = _saturated_logits()
    assert F.nll_loss(F.softmax(logits, dim=1), y).item() < 0


def test_cross_entropy_on_one_unit_is_zero_with_no_gradient():  # LA202
    out = torch.randn(4, 1, requires_grad=True)
    loss = F.cross_entropy(out, torch.zeros(4, dtype=torch.long))
    loss.backward()
    assert loss.item() == 0 and out.grad.abs().sum().item() == 0
    with pytest.raises(IndexError):
        F.cross_entropy(out, torch.ones(4, dtype=torch.long))


def test_softmax_over_one_unit_is_constant():  # LA201
    assert torch.all(F.softmax(torch.randn(5, 1) * 100, dim=1) == 1)


def _mismatched_shape_spellings():
    for loss in KB.losses.values():
        behaviour = loss.mismatched_shapes.get("pytorch")
        for s in loss.spellings("pytorch") if behaviour else ():
            if hasattr(torch.nn, s.name):
                yield pytest.param(s.name, behaviour, id=s.name)


@pytest.mark.parametrize(("name", "behaviour"), list(_mismatched_shape_spellings()))
def test_one_unit_predictions_against_flat_targets_as_losses_yaml_says(name, behaviour):  # LA205
    import warnings

    prediction, target = torch.rand(4, 1) * 0.8 + 0.1, torch.rand(4)
    criterion = getattr(torch.nn, name)(reduction="none")
    if behaviour == "raises":
        with pytest.raises(ValueError):
            criterion(prediction, target)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert criterion(prediction, target).shape == (4, 4)  # every prediction against every target
        assert criterion(target, prediction.view(4, 1)).shape == (4, 4)  # and the reverse


def test_keras_squeezes_a_flat_target_to_a_one_unit_prediction():  # LA205 is PyTorch's alone
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(loss="mse")
    x, y = np.random.rand(8, 3).astype("float32"), np.random.rand(8).astype("float32")
    expected = float(np.mean((model.predict(x, verbose=0)[:, 0] - y) ** 2))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_softmax_over_dim_0_makes_a_sample_depend_on_its_batch():  # LA110
    logits = torch.randn(4, 3)
    alone, with_others = F.softmax(logits[:2], dim=0)[0], F.softmax(logits, dim=0)[0]
    assert not torch.allclose(alone, with_others)  # the same sample, another batch: another "distribution"
    assert torch.allclose(F.softmax(logits, dim=0).sum(0), torch.ones(3))  # sums to one over the samples


def test_keras_binary_accuracy_on_a_softmax_reads_about_c_minus_one_over_c():  # LA603
    rng = np.random.default_rng(0)
    targets = keras.utils.to_categorical(rng.integers(0, 10, 2000), 10)
    guesses = rng.dirichlet(np.ones(10), 2000).astype("float32")  # a model that knows nothing
    binary, categorical = keras.metrics.BinaryAccuracy(), keras.metrics.CategoricalAccuracy()
    binary.update_state(targets, guesses)
    categorical.update_state(targets, guesses)
    assert float(binary.result()) == pytest.approx(0.9, abs=0.02) and float(categorical.result()) < 0.15


def test_cross_entropy_reads_the_classes_on_axis_1():  # LA206, losses.yaml class_axis
    for name in (n for loss in KB.losses.values() if loss.class_axis.get("pytorch") == 1 for n in (s.name for s in loss.spellings("pytorch")) if hasattr(torch.nn, n)):
        criterion = getattr(torch.nn, name)()
        channels_last, masks = torch.randn(2, 5, 6, 3), torch.randint(0, 3, (2, 5, 6))
        with pytest.raises((RuntimeError, ValueError)):
            criterion(channels_last, masks)  # (N, H, W, C) against (N, H, W)
        criterion(channels_last.permute(0, 3, 1, 2), masks)  # channels first: fine
        square = torch.randn(2, 3, 3, 3)  # W equals C: the wrong axis trains without a word
        assert torch.isfinite(criterion(square, torch.randint(0, 3, (2, 3, 3))))


def test_cross_entropy_refuses_class_ids_with_an_extra_axis():  # LA207
    scores, masks = torch.randn(2, 3, 4, 4), torch.randint(0, 3, (2, 4, 4))
    for target in (masks.unsqueeze(1), masks.unsqueeze(1).float()):
        with pytest.raises(RuntimeError, match="spatial targets"):
            torch.nn.CrossEntropyLoss()(scores, target)
    assert torch.isfinite(torch.nn.CrossEntropyLoss()(scores, masks.unsqueeze(1).squeeze(1)))
    scores, ids = torch.randn(4, 3), torch.randint(0, 3, (4,))
    for target in (ids.view(-1, 1), ids.view(-1, 1).float()):
        with pytest.raises(RuntimeError, match="multi-target not supported"):
            torch.nn.CrossEntropyLoss()(scores, target)
    ones = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    assert float(ones(ids.numpy().reshape(-1, 1), scores.numpy())) == pytest.approx(float(ones(ids.numpy(), scores.numpy())))  # Keras takes (N, 1)


def test_bce_loss_is_refused_under_cuda_autocast_and_runs_under_cpu_autocast():  # LA111, losses.yaml under_autocast
    import mmap
    from pathlib import Path

    probabilities, targets = torch.sigmoid(torch.randn(4, 1)), torch.rand(4, 1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert torch.isfinite(torch.nn.BCELoss()(probabilities, targets))  # CPU autocast: runs, not reported
    # No GPU here: the CUDA refusal is read from this build (aten/src/ATen/autocast_mode.cpp bans the op).
    library = next((Path(torch.__file__).parent / "lib").glob("libtorch_cpu.*"))
    with library.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as image:
        assert image.find(b"torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast") >= 0


def test_target_dtypes_as_losses_yaml_says():  # LA315, losses.yaml target_dtype
    logits, ids = torch.randn(4, 3), torch.tensor([0, 2, 1, 1])
    for name in ("CrossEntropyLoss", "NLLLoss"):
        criterion = getattr(torch.nn, name)()
        for refused in (ids.float(), ids.int()):
            with pytest.raises(RuntimeError, match="Long or Byte"):
                criterion(logits, refused)
        for taken in (ids, ids.byte()):
            assert torch.isfinite(criterion(logits, taken))
    assert torch.isfinite(torch.nn.CrossEntropyLoss()(logits, F.one_hot(ids, 3).float()))  # probabilities: float
    scores, binary = torch.randn(4), torch.tensor([0, 1, 1, 0])
    for criterion, prediction in ((torch.nn.BCEWithLogitsLoss(), scores), (torch.nn.BCELoss(), torch.sigmoid(scores))):
        with pytest.raises(RuntimeError):
            criterion(prediction, binary)
        assert torch.isfinite(criterion(prediction, binary.float()))
    assert torch.isfinite(torch.nn.MSELoss()(scores, binary))  # regression losses promote integers: not reported


def test_numpy_text_readers_give_the_dtype_label_sources_yaml_says(tmp_path):  # LA315, label_sources.yaml files
    path = tmp_path / "ids.txt"
    path.write_text("0\n2\n1\n1\n")
    for name, dtype in KB.label_sources["files"].items():
        module, function = name.rsplit(".", 1)
        if module != "numpy" or dtype == "stored":
            continue
        read = getattr(np, function)
        assert read(path).dtype == np.dtype(dtype)
        assert read(path, dtype=int).dtype == np.int64  # dtype= overrides it
    with pytest.raises(RuntimeError, match="Long or Byte"):  # and float ids are refused on the way in
        torch.nn.CrossEntropyLoss()(torch.randn(4, 3), torch.from_numpy(np.loadtxt(path)))


@pytest.mark.parametrize("column, dtype", [("0\n2\n1\n", "int64"), ("0.0\n2.0\n1.0\n", "float64"), ("0\n\n1\n", "int64")])
def test_a_csv_column_has_the_dtype_pandas_gives_it(tmp_path, column, dtype):  # LA315, label_sources.yaml `stored`
    """The CSV profile's dtype is what `pd.read_csv` gives the column (a blank line is skipped); a
    missing cell in a wider table makes it float64 in both."""
    import pandas as pd

    from lossadvisor.readers.label_file import profile_file

    path = tmp_path / "y.csv"
    path.write_text("label\n" + column)
    assert str(pd.read_csv(path)["label"].dtype) == profile_file(path, column="label").profile.dtype == dtype
    path.write_text("x,label\n1,1\n2,\n3,0\n")
    assert str(pd.read_csv(path)["label"].dtype) == profile_file(path, column="label").profile.dtype == "float64"


def test_hinge_embedding_loss_has_no_minimum_on_raw_scores():  # LA113, losses.yaml hinge_embedding (input: distances)
    similar = torch.ones(3)
    scores = torch.tensor([-3.0, 0.5, -10.0])
    assert torch.nn.HingeEmbeddingLoss()(scores, similar).item() == pytest.approx(-12.5 / 3)  # the input itself
    distances = torch.tensor([0.0, 0.5, 2.0])
    assert torch.nn.HingeEmbeddingLoss()(distances, similar).item() >= 0  # zero when similar pairs meet


def test_ctc_loss_reads_time_first_and_misreads_a_batch_first_input():  # LA209, losses.yaml ctc_torch batch_axis
    torch.manual_seed(0)
    batch, time, classes = 3, 10, 5
    batch_first = torch.randn(batch, time, classes).log_softmax(-1)
    targets, target_lengths = torch.randint(1, classes, (batch, 4)), torch.full((batch,), 4)
    input_lengths = torch.full((batch,), time)
    ctc = torch.nn.CTCLoss(reduction="none")
    right = ctc(batch_first.transpose(0, 1), targets, input_lengths, target_lengths)
    assert right.shape == (batch,) and torch.isfinite(right).all()
    with pytest.raises(RuntimeError):  # (N, T, C) read as (T, N, C): the lengths exceed the "time" axis
        ctc(batch_first, targets, input_lengths, target_lengths)
    square = torch.randn(time, time, classes).log_softmax(-1)  # N == T: no error, another loss
    targets = torch.randint(1, classes, (time, 4))
    lengths, target_lengths = torch.full((time,), time), torch.full((time,), 4)
    assert not torch.allclose(ctc(square, targets, lengths, target_lengths), ctc(square.transpose(0, 1), targets, lengths, target_lengths))


def test_squared_error_on_a_softmax_barely_moves_a_confident_wrong_answer():  # LA316
    logits = torch.tensor([[8.0, 0.0, 0.0]], requires_grad=True)  # sure of class 0; the label is class 2
    one_hot = torch.tensor([[0.0, 0.0, 1.0]])
    torch.nn.MSELoss()(torch.softmax(logits, dim=1), one_hot).backward()
    brier = logits.grad.abs().max().item()
    logits.grad = None
    torch.nn.CrossEntropyLoss()(logits, torch.tensor([2])).backward()
    assert brier < 0.01 < 0.3 < logits.grad.abs().max().item()


def test_binary_accuracy_of_always_no_on_one_hot_rows_is_c_minus_1_over_c():  # LA317
    rows = np.eye(10, dtype="float32")[np.arange(40) % 10]
    assert float(keras.metrics.BinaryAccuracy()(rows, np.zeros_like(rows))) == pytest.approx(0.9)
    # Keras 3 picks "accuracy" from the shapes, not the loss: 10-wide one-hot rows get categorical accuracy
    from keras.src.trainers.compile_utils import get_metric

    assert isinstance(get_metric("accuracy", rows, rows), keras.metrics.CategoricalAccuracy)


def _sklearn(dotted):
    import importlib

    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def test_sklearn_datasets_give_the_targets_label_sources_yaml_says():  # label_sources.yaml sklearn_datasets
    pytest.importorskip("sklearn")
    known = KB.label_sources["sklearn_datasets"]
    for dotted, spec in {**known["generators"], **known["loaders"]}.items():
        function = _sklearn(dotted)
        if dotted.endswith("fetch_california_housing"):
            continue  # a download: its targets (house values in $100,000s) are the catalog's word
        kwargs = {"random_state": 0} if dotted in known["generators"] else {known["return_x_y"]: True}
        if dotted.endswith("make_classification"):
            kwargs.update(n_informative=3)
        _, y = function(**kwargs)
        if dotted in known["loaders"]:
            bunch = function()
            assert np.array_equal(getattr(bunch, known["bunch_target"]), bunch[known["bunch_target"]])
        classes = spec.get("classes")
        default = classes[2] if isinstance(classes, list) else classes
        if spec["format"] == "multi_hot":
            assert y.ndim == 2 and y.shape[1] == default and set(np.unique(y)) <= {0, 1}
        elif spec["format"] == "continuous":
            assert y.dtype.kind == "f" and len(np.unique(y)) > 20
            if "range" in spec:  # the documented span LA312 compares a bounded head with
                assert (y.min(), y.max()) == tuple(spec["range"]), dotted
        else:
            assert y.ndim == 1 and sorted(np.unique(y)) == list(range(default)), dotted
        if isinstance(classes, list):  # the argument that sets the count, where the table says
            import inspect

            params = list(inspect.signature(function).parameters)
            assert classes[1] in params and (classes[0] is None or params[classes[0]] == classes[1])


def test_sklearn_encoders_give_the_label_formats_label_sources_yaml_says():  # label_sources.yaml encoders
    pytest.importorskip("sklearn")
    names = np.array(["cat", "dog", "bird", "dog", "cat"])
    for dotted, spec in KB.label_sources["encoders"].items():
        encoder = _sklearn(dotted)()
        fmt = spec if isinstance(spec, str) else spec["format"]
        if fmt == "multi_hot":
            out = encoder.fit_transform([["cat", "dog"], ["bird"], ["dog"]])
            assert out.shape == (3, 3) and out.sum() == 4
            continue
        given = names.reshape(-1, 1) if dotted.endswith("OneHotEncoder") else names
        out = encoder.fit_transform(given)
        out = out.toarray() if hasattr(out, "toarray") else np.asarray(out)  # OneHotEncoder: sparse by default
        if fmt == "class_ids":
            assert out.ndim == 1 and sorted(set(out)) == [0, 1, 2]
        else:
            assert out.shape == (5, 3) and (out.sum(axis=1) == 1).all()
        if not isinstance(spec, str) and spec.get("two_classes") == "binary":
            assert encoder.fit_transform(["no", "yes", "no"]).shape == (3, 1)  # one 0/1 column
    for dotted in KB.label_sources["dummies"]:  # pd.get_dummies: one column per class
        assert np.asarray(_sklearn(dotted)(names)).shape == (5, 3)


def test_log_of_an_underflowed_softmax_is_inf_where_log_softmax_is_finite():  # LA118
    logits = torch.tensor([[0.0, 120.0, -5.0]], requires_grad=True)  # class 0 is 120 below the top
    target = torch.tensor([0])
    naive = F.nll_loss(torch.log(F.softmax(logits, dim=1)), target)
    naive.backward()
    assert math.isinf(naive.item()) and torch.isnan(logits.grad).any()
    logits.grad = None
    stable = F.nll_loss(F.log_softmax(logits, dim=1), target)
    stable.backward()
    assert stable.item() == pytest.approx(120.0) and torch.isfinite(logits.grad).all()
    guarded = F.nll_loss(torch.log(F.softmax(logits, dim=1) + 1e-8), target)
    assert math.isfinite(guarded.item())  # the eps the rule leaves alone keeps it finite


def test_trainers_take_the_model_and_loss_where_frameworks_yaml_says():  # frameworks.yaml trainers
    import importlib
    import inspect

    pytest.importorskip("ignite")
    for path, places in KB.vocabulary.frameworks["pytorch"].trainers.items():
        function = getattr(importlib.import_module(".".join(path[:-1])), path[-1])
        params = list(inspect.signature(function).parameters)
        for arg in places.values():
            assert params[arg.position] == arg.keyword
    # and the trainer applies the loss to the model's output: a softmax model into CrossEntropyLoss
    from ignite.engine import create_supervised_trainer

    seen = []
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Softmax(dim=1))

    def loss_fn(output, target):
        seen.append(output)
        return torch.nn.CrossEntropyLoss()(output, target)

    trainer = create_supervised_trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), loss_fn)
    trainer.run([(torch.randn(8, 4), torch.randint(0, 3, (8,)))], max_epochs=1)
    assert torch.allclose(seen[0].sum(dim=1), torch.ones(8))  # probabilities: the double softmax LA101 reports


def test_class_folders_give_the_labels_label_sources_yaml_says(tmp_path):  # label_sources.yaml folders
    import inspect

    folders = KB.label_sources["folders"]
    spec = folders["functions"]["keras.utils.image_dataset_from_directory"]
    signature = inspect.signature(keras.utils.image_dataset_from_directory).parameters
    params = list(signature)
    assert params[spec["path"][0]] == spec["path"][1] and params[spec["mode"][0]] == spec["mode"][1]
    assert signature[spec["mode"][1]].default == spec["mode"][2]
    # The labels themselves come from tf.data: run where TensorFlow is installed (not in this extra;
    # keras/src/utils/image_dataset_utils.py refuses "binary" unless there are exactly 2 classes).
    pytest.importorskip("tensorflow")
    image = pytest.importorskip("PIL.Image")
    for name in ("cat", "dog", "bird"):
        (tmp_path / name).mkdir()
        for i in range(2):
            image.new("RGB", (8, 8)).save(tmp_path / name / f"{i}.png")
    for mode, fmt in folders["modes"].items():
        if mode not in ("int", "categorical", "binary"):
            continue  # "sparse" is flow_from_directory's word
        if fmt == "binary":  # over three folders: refused, a mismatch either way
            with pytest.raises(ValueError, match="binary"):
                keras.utils.image_dataset_from_directory(tmp_path, label_mode=mode, image_size=(8, 8))
            continue
        _, labels = next(iter(keras.utils.image_dataset_from_directory(tmp_path, label_mode=mode, image_size=(8, 8), batch_size=6)))
        labels = np.asarray(labels)
        assert (labels.ndim, labels.max()) == ((1, 2) if fmt == "class_ids" else (2, 1)), mode


def test_written_out_losses_compute_the_losses_frameworks_yaml_reads_them_as():  # frameworks.yaml written_losses (PyTorch)
    import importlib

    torch.manual_seed(0)
    logits, ids = torch.randn(6, 4), torch.tensor([0, 3, 1, 2, 3, 0])
    flags = (torch.randn(6, 4) > 0).float()
    written = {
        "log_softmax": (-(F.one_hot(ids, 4) * F.log_softmax(logits, dim=1)).sum(1).mean(), (logits, ids)),
        "log_sigmoid": (-(flags * F.logsigmoid(logits) + (1 - flags) * F.logsigmoid(-logits)).mean(), (logits, flags)),
    }
    for entry in KB.vocabulary.frameworks["pytorch"].written_losses:
        module, name = entry.loss.rsplit(".", 1)
        value, arguments = written[entry.activation]
        assert torch.allclose(value, getattr(importlib.import_module(module), name)(*arguments), atol=1e-6), entry


def test_ctc_without_zero_infinity_turns_one_short_input_into_nan_gradients():  # LA505, losses.yaml advised
    log_probs = torch.randn(3, 2, 5).log_softmax(2).requires_grad_()  # T = 3, batch of 2
    targets, target_lengths = torch.tensor([[1, 2, 0, 0], [1, 1, 1, 1]]), torch.tensor([2, 4])  # the second needs T >= 7
    input_lengths = torch.tensor([3, 3])
    loss = torch.nn.CTCLoss()(log_probs, targets, input_lengths, target_lengths)
    loss.backward()
    assert math.isinf(loss.item()) and torch.isnan(log_probs.grad).any()
    log_probs.grad = None
    safe = torch.nn.CTCLoss(zero_infinity=True)(log_probs, targets, input_lengths, target_lengths)
    safe.backward()
    assert math.isfinite(safe.item()) and torch.isfinite(log_probs.grad).all()


def test_a_negative_class_id_raises_unless_it_is_the_ignore_index():  # LA310 (ids below 0)
    logits = torch.randn(3, 4)
    with pytest.raises(IndexError):
        F.cross_entropy(logits, torch.tensor([0, -1, 2]))
    assert torch.isfinite(F.cross_entropy(logits, torch.tensor([0, -1, 2]), ignore_index=-1))


def test_keras_ctc_is_a_class_that_takes_logits():  # losses.yaml ctc (kind: class, input: logits)
    import inspect

    assert inspect.isclass(keras.losses.CTC)
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (2, 12, 5)).astype("float32")
    labels = np.array([[1, 2, 0], [3, 0, 0]], dtype="int32")  # 0 pads and is the blank
    ctc = keras.losses.CTC()
    on_logits = float(ctc(labels, logits))
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    assert float(ctc(labels, log_probs)) == pytest.approx(on_logits, rel=1e-4)  # it takes log_softmax itself
    probabilities = np.exp(log_probs)
    assert float(ctc(labels, probabilities)) != pytest.approx(on_logits, rel=1e-2)  # a softmax first changes it


def test_a_softmax_cannot_fit_two_labels_under_binary_crossentropy():  # LA112
    logits = torch.randn(20000, 3) * 6
    probabilities = torch.softmax(logits, dim=1).numpy()
    two_labels = np.tile(np.array([[1.0, 1.0, 0.0]], dtype="float32"), (len(probabilities), 1))
    losses = keras.losses.BinaryCrossentropy(reduction=None)(two_labels, probabilities)
    assert float(np.min(keras.ops.convert_to_numpy(losses))) >= 2 * math.log(2) / 3 - 1e-3  # p1 + p2 <= 1


def test_class_id_equal_to_units_is_out_of_bounds():  # LA310
    with pytest.raises(IndexError):
        F.cross_entropy(torch.randn(3, 10), torch.tensor([1, 10, 2]))


def test_void_label_255_needs_ignore_index():  # LA311
    logits, y = torch.randn(2, 21, 4, 4), torch.randint(0, 21, (2, 4, 4))
    y[0, 0, 0] = 255
    with pytest.raises(IndexError):
        F.cross_entropy(logits, y)
    assert math.isfinite(F.cross_entropy(logits, y, ignore_index=255).item())


def test_one_hot_targets_fail_in_nll_but_are_probabilities_in_cross_entropy():  # LA303
    logits, y = _saturated_logits()
    one_hot = F.one_hot(y, 10).float()
    with pytest.raises(RuntimeError):
        F.nll_loss(F.log_softmax(logits, dim=1), one_hot)
    assert F.cross_entropy(logits, one_hot).item() == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)


def test_margin_losses_ignore_zero_labels():  # LA308
    scores = torch.randn(6)
    assert torch.nn.SoftMarginLoss(reduction="none")(scores, torch.zeros(6)).allclose(torch.full((6,), math.log(2)))
    x1, x2 = torch.randn(4, 3), torch.randn(4, 3)
    assert torch.nn.CosineEmbeddingLoss(reduction="none")(x1, x2, torch.zeros(4)).abs().sum().item() == 0


def test_kl_div_mean_divides_by_every_element():  # LA502
    logp = F.log_softmax(torch.randn(4, 10), dim=1)
    target = F.softmax(torch.randn(4, 10), dim=1)
    with pytest.warns(UserWarning):
        mean = F.kl_div(logp, target, reduction="mean").item()
    batchmean = F.kl_div(logp, target, reduction="batchmean").item()
    assert batchmean == pytest.approx(mean * 10, rel=1e-5)


def test_poisson_nll_default_wants_the_log_rate():  # LA106
    rate = torch.tensor([3.0])
    counts = torch.tensor([3.0])
    as_rate = torch.nn.PoissonNLLLoss(log_input=False)(rate, counts).item()
    as_log_rate = torch.nn.PoissonNLLLoss()(torch.log(rate), counts).item()
    assert as_rate == pytest.approx(as_log_rate, rel=1e-4)
    assert torch.nn.PoissonNLLLoss()(rate, counts).item() != pytest.approx(as_log_rate, rel=1e-2)


# --------------------------------------------------------------------------- rule claims, Keras 3


def _np(x):
    import numpy as np

    return np.asarray(x, dtype="float32")


def test_keras_from_logits_false_on_logits_clips():  # LA102
    logits = _np([[4.0, -3.0, 9.0]])
    y = _np([[0, 0, 1]])
    as_probs = float(keras.losses.CategoricalCrossentropy()(y, logits))
    as_logits = float(keras.losses.CategoricalCrossentropy(from_logits=True)(y, logits))
    assert as_probs != pytest.approx(as_logits, rel=1e-3)


def test_keras_categorical_crossentropy_rejects_integer_labels():  # LA302
    with pytest.raises(ValueError):
        keras.losses.categorical_crossentropy(_np([[3], [1]]), _np([[0.1] * 10, [0.1] * 10]))


def test_keras_sparse_crossentropy_rejects_one_hot():  # LA303
    with pytest.raises(ValueError):
        keras.losses.SparseCategoricalCrossentropy()(_np([[0, 1, 0], [1, 0, 0]]), _np([[0.2, 0.5, 0.3], [0.6, 0.2, 0.2]]))


def test_keras_bce_on_class_ids():  # LA301
    ids = _np([[3.0], [7.0]])
    probs = _np([[0.99], [0.99]])
    # The torch backend hands BCE to F.binary_cross_entropy, which refuses targets outside [0, 1];
    # the JAX and TensorFlow backends compute -[y log p + (1-y) log(1-p)] and return a negative loss
    # (loss-semantics.md §2.3), which is why LA301 is an error whatever the backend.
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        keras.losses.BinaryCrossentropy()(ids, probs)
    y, p = 7.0, 0.99
    assert -(y * math.log(p) + (1 - y) * math.log(1 - p)) < 0  # the formula the other backends use
    # and PyTorch's logits form takes the id silently, to a negative loss
    assert torch.nn.BCEWithLogitsLoss()(torch.tensor([2.0]), torch.tensor([7.0])).item() < 0


def test_keras_hinge_converts_zero_one_labels():  # LA308 does not fire on Keras hinge
    scores = _np([[0.3, -0.8]])
    assert float(keras.losses.hinge(_np([[1, 0]]), scores)) == pytest.approx(float(keras.losses.hinge(_np([[1, -1]]), scores)))


def test_keras_poisson_on_negative_rates_is_nan():  # LA106
    assert math.isnan(float(keras.losses.poisson(_np([[2.0]]), _np([[-1.5]]))))


def test_keras_binary_focal_ignores_alpha_without_class_balancing():  # LA503
    y, p = _np([[1.0], [0.0]]), _np([[0.7], [0.4]])
    a = float(keras.losses.BinaryFocalCrossentropy(alpha=0.9)(y, p))
    b = float(keras.losses.BinaryFocalCrossentropy(alpha=0.1)(y, p))
    assert a == pytest.approx(b)
    assert float(keras.losses.BinaryFocalCrossentropy(alpha=0.9, apply_class_balancing=True)(y, p)) != pytest.approx(a)




# --------------------------------------------------------------------------- what `recommend` says


def _logits_and_labels(n: int = 400):
    g = torch.Generator().manual_seed(3)
    y = torch.randint(0, 2, (n, 1), generator=g).float()
    logits = 2.0 * (y - 0.5) + torch.randn(n, 1, generator=g)
    return logits.numpy(), y.numpy()


@pytest.mark.parametrize(
    ("on_logits", "on_probabilities"),
    [
        (lambda: keras.metrics.BinaryAccuracy(threshold=0.0), lambda: keras.metrics.BinaryAccuracy()),
        (lambda: keras.metrics.AUC(from_logits=True), lambda: keras.metrics.AUC()),
        (lambda: keras.metrics.Precision(thresholds=0.0), lambda: keras.metrics.Precision()),
        (lambda: keras.metrics.Recall(thresholds=0.0), lambda: keras.metrics.Recall()),
    ],
)
def test_keras_metric_on_logits_args_match_the_probability_metric(on_logits, on_probabilities):
    """rules/metrics.yaml `on_logits`: the metric on logits with these arguments reports what the
    default metric reports on sigmoid(logits); without them it reports something else."""
    logits, y = _logits_and_labels()
    probabilities = torch.sigmoid(torch.from_numpy(logits)).numpy()
    right, reference, wrong = on_logits(), on_probabilities(), on_probabilities()
    right.update_state(y, logits)
    reference.update_state(y, probabilities)
    wrong.update_state(y, logits)
    assert float(right.result()) == pytest.approx(float(reference.result()), abs=2e-3)
    assert float(wrong.result()) != pytest.approx(float(reference.result()), abs=2e-3)


def test_huber_is_delta_times_smooth_l1_with_beta_delta():
    x, y = torch.randn(64), torch.randn(64) * 3
    for delta in (0.5, 2.0):
        huber = torch.nn.HuberLoss(delta=delta)(x, y)
        assert huber.item() == pytest.approx(delta * torch.nn.SmoothL1Loss(beta=delta)(x, y).item(), rel=1e-5)
        assert huber.item() != pytest.approx(torch.nn.SmoothL1Loss(beta=delta)(x, y).item(), rel=1e-3)
    assert torch.nn.HuberLoss(delta=1.0)(x, y).item() == pytest.approx(torch.nn.SmoothL1Loss(beta=1.0)(x, y).item())


def test_soft_margin_loss_is_the_logistic_loss_not_a_hinge():
    x = torch.randn(64) * 3
    y = torch.randint(0, 2, (64,)).float() * 2 - 1  # ±1
    soft_margin = torch.nn.SoftMarginLoss()(x, y)
    assert soft_margin.item() == pytest.approx(F.binary_cross_entropy_with_logits(x, (y + 1) / 2).item(), rel=1e-5)
    hinge = torch.clamp(1 - y * x, min=0).mean()
    assert soft_margin.item() != pytest.approx(hinge.item(), rel=1e-2)


def test_keras_categorical_crossentropy_renormalises_predictions_not_targets():
    p = np.array([[0.2, 0.3, 0.1]], dtype="float32")  # does not sum to 1
    multi_hot = np.array([[1.0, 1.0, 0.0]], dtype="float32")
    cce = keras.losses.CategoricalCrossentropy()
    assert float(cce(multi_hot, p)) == pytest.approx(float(cce(multi_hot, 3 * p)), rel=1e-5)  # predictions rescaled
    q = p / p.sum()
    assert float(cce(multi_hot, p)) == pytest.approx(float(-np.log(q[0, 0]) - np.log(q[0, 1])), rel=1e-4)  # targets summed as given


def test_keras_focal_loss_with_from_logits_is_not_fused():
    """It applies a sigmoid, then a clipped crossentropy: a confident mistake costs -log(1e-7), not the logit."""
    y, logit = np.array([[0.0]], dtype="float32"), np.array([[30.0]], dtype="float32")
    focal = float(keras.losses.BinaryFocalCrossentropy(from_logits=True, gamma=0.0)(y, logit))
    fused = float(keras.losses.BinaryCrossentropy(from_logits=True)(y, logit))
    assert fused == pytest.approx(30.0, rel=1e-3)
    assert 15 < focal < 17  # -log of the clip (1e-7, rounded to float32), far below the logit


def test_brier_gradient_vanishes_where_crossentropy_does_not():
    """LA504: d/dz MSE(sigmoid(z), y) = 2 (p - y) p (1 - p); BCE-with-logits gives p - y."""
    z = torch.tensor([-8.0, 0.3, 8.0], requires_grad=True)
    y = torch.tensor([1.0, 1.0, 0.0])
    p = torch.sigmoid(z)
    (brier,) = torch.autograd.grad(((p - y) ** 2).sum(), z)
    (bce,) = torch.autograd.grad(F.binary_cross_entropy_with_logits(z, y, reduction="sum"), z)
    expected = (2 * (p - y) * p * (1 - p)).detach()
    assert torch.allclose(brier, expected, atol=1e-6) and torch.allclose(bce, (p - y).detach(), atol=1e-6)
    assert abs(brier[0]) < 1e-2 < abs(bce[0])  # a confident mistake: Brier barely moves, crossentropy does


def test_keras_accuracy_on_one_unit_is_binary_accuracy_at_one_half():
    """LA601 / rules/metrics.yaml `one_unit`: 'accuracy' on a Dense(1) output thresholds it at 0.5,
    which on logits is not the model's accuracy."""
    logits, y = _logits_and_labels()
    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Identity()(inputs))  # outputs its input: our logits
    model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
    reported = model.evaluate(logits, y, verbose=0, return_dict=True)["accuracy"]
    assert reported == pytest.approx(float(np.mean((logits > 0.5) == y)), abs=1e-6)
    assert reported != pytest.approx(float(np.mean((logits > 0.0) == y)), abs=1e-3)


def test_keras_accuracy_on_regression_targets_reads_near_zero():
    """LA602: 'accuracy' against real-valued targets counts exact matches, whatever the fit."""
    x = np.linspace(-1, 1, 200, dtype="float32").reshape(-1, 1)
    y = 3 * x[:, 0] + 0.5
    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(loss="mse", metrics=["accuracy"])
    model.layers[-1].set_weights([np.array([[3.0]], dtype="float32"), np.array([0.5], dtype="float32")])  # a perfect fit
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    assert result["loss"] < 1e-8 and result["accuracy"] < 0.05


def test_every_keras_metric_in_the_table_exists_with_its_logits_arguments():
    import inspect

    for name, spec in KB.metrics["keras"].items():
        if spec.get("one_unit"):
            assert spec["one_unit"] in KB.metrics["keras"]
            continue
        if spec.get("instead"):  # a cut written in the code (`> 0.5`), not a metric class
            continue
        cls = getattr(keras.metrics, name)
        params = inspect.signature(cls.__init__).parameters
        assert set(spec.get("on_logits") or {}) <= set(params), name
        for string in spec.get("strings") or ():
            assert keras.metrics.get(string) is not None, string


def test_a_cut_at_0_on_logits_is_the_cut_at_one_half_on_probabilities():  # LA601 'threshold'
    logits = torch.randn(1000) * 3
    assert torch.equal(logits > 0, torch.sigmoid(logits) > 0.5)
    assert not torch.equal(logits > 0.5, torch.sigmoid(logits) > 0.5)  # what `outputs > 0.5` on logits does
    assert torch.equal(torch.round(torch.sigmoid(logits)), (torch.sigmoid(logits) > 0.5).float())


def test_torchmetrics_reads_logits_itself():  # why metrics.yaml lists no torchmetrics metric
    classification = pytest.importorskip("torchmetrics.classification")
    logits = torch.randn(500) * 3
    targets = (torch.rand(500) < torch.sigmoid(logits)).long()
    for metric in (classification.BinaryAccuracy, classification.BinaryAUROC, classification.BinaryF1Score):
        assert torch.isclose(metric()(logits, targets), metric()(torch.sigmoid(logits), targets))
    scores, ids = torch.randn(100, 5), torch.randint(0, 5, (100,))
    accuracy = classification.MulticlassAccuracy(num_classes=5)
    assert torch.isclose(accuracy(scores, ids), accuracy(scores.softmax(1), ids))


def test_scikit_learn_refuses_logits_or_reads_them_by_rank():  # why metrics.yaml lists no sklearn metric
    metrics = pytest.importorskip("sklearn.metrics")
    y, logits = np.array([0, 1, 1, 0, 1]), np.array([-2.0, 3.0, 0.5, -0.2, 1.5])
    for needs_probabilities in (metrics.log_loss, metrics.brier_score_loss, metrics.accuracy_score, metrics.f1_score):
        with pytest.raises(ValueError):
            needs_probabilities(y, logits)
    probabilities = 1 / (1 + np.exp(-logits))
    for by_rank in (metrics.roc_auc_score, metrics.average_precision_score):
        assert by_rank(y, logits) == pytest.approx(by_rank(y, probabilities))
    assert metrics.accuracy_score(y, logits > 0.5) != metrics.accuracy_score(y, logits > 0)  # the cut LA601 reports


def test_loss_arguments_table_matches_the_installed_frameworks():
    """rules/loss_arguments.yaml (LA008) is generated from torch, keras and optax: it must say what
    they accept today."""
    pytest.importorskip("optax")
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, str(root / "scripts" / "loss_arguments.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_unknown_loss_arguments_really_fail_to_construct():
    """LA008's examples: each argument the table lacks makes the constructor raise."""
    with pytest.raises(TypeError):
        keras.losses.SparseCategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    with pytest.raises(TypeError):
        torch.nn.CrossEntropyLoss(from_logits=True)
    with pytest.raises(TypeError):
        torch.nn.BCEWithLogitsLoss(ignore_index=255)
    assert "label_smoothing" in KB.loss_arguments["keras"]["CategoricalCrossentropy"]
    assert "label_smoothing" not in KB.loss_arguments["keras"]["SparseCategoricalCrossentropy"]


# --------------------------------------------------------------------------- third-party losses


def test_monai_dice_uses_its_input_as_given_unless_told_to_activate():
    """losses.yaml monai_region_loss: probabilities unless sigmoid= / softmax= / other_act=."""
    losses = pytest.importorskip("monai.losses")
    logits = torch.randn(2, 3, 8, 8) * 4
    target = F.one_hot(torch.randint(0, 3, (2, 8, 8)), 3).permute(0, 3, 1, 2).float()
    plain = losses.DiceLoss()(logits, target)
    assert plain.item() == pytest.approx(losses.DiceLoss()(logits, target).item())
    assert losses.DiceLoss(softmax=True)(logits, target).item() == pytest.approx(losses.DiceLoss()(logits.softmax(1), target).item(), rel=1e-5)
    assert losses.DiceLoss(other_act=torch.sigmoid)(logits, target).item() == pytest.approx(losses.DiceLoss(sigmoid=True)(logits, target).item(), rel=1e-5)
    assert plain.item() != pytest.approx(losses.DiceLoss(softmax=True)(logits, target).item(), rel=1e-3)


def test_monai_focal_applies_the_sigmoid_itself():
    losses = pytest.importorskip("monai.losses")
    logits, target = torch.randn(4, 3) * 3, torch.randint(0, 2, (4, 3)).float()
    p = torch.sigmoid(logits)
    p_t = target * p + (1 - target) * (1 - p)
    manual = (-(1 - p_t) ** 2 * torch.log(p_t)).mean()
    assert losses.FocalLoss(gamma=2.0)(logits, target).item() == pytest.approx(manual.item(), rel=1e-4)


@pytest.mark.parametrize("framework", ["monai", "kornia"])
def test_every_third_party_spelling_exists_in_its_library(framework):
    import importlib

    module = importlib.import_module(pytest.importorskip(framework).__name__ + ".losses")
    names = [s.name for loss in KB.losses.values() for s in loss.spellings(framework)]
    assert names and all(hasattr(module, n) for n in names), [n for n in names if not hasattr(module, n)]


def test_kornia_losses_apply_the_softmax_over_classes_themselves():
    """losses.yaml kornia_softmax_loss: logits in; a constant added to every class changes nothing."""
    kl = pytest.importorskip("kornia.losses")
    logits, ids = torch.randn(2, 3, 5, 5), torch.randint(0, 3, (2, 5, 5))
    for loss in (kl.FocalLoss(alpha=0.5, gamma=2.0, reduction="mean"), kl.DiceLoss()):
        assert loss(logits, ids).item() == pytest.approx(loss(logits + 7.0, ids).item(), rel=1e-4)


def test_keras_class_weight_takes_the_argmax_of_a_multi_hot_row():
    """LA314: class_weight becomes one weight per sample, the argmax of its row's tags."""
    from keras.src.trainers.data_adapters.data_adapter_utils import class_weight_to_sample_weights

    tags = np.array([[0, 1, 1, 0], [0, 0, 0, 0], [0, 0, 1, 1]], dtype="float32")
    weights = class_weight_to_sample_weights(tags, {0: 1.0, 1: 2.0, 2: 10.0, 3: 50.0})
    assert weights.tolist() == [2.0, 1.0, 10.0]  # tag 2 of row 0 and tag 3 of row 2 never count


def test_kl_div_reads_its_target_as_probabilities_or_log_probabilities():
    """LA108: KLDivLoss(log_target=True) on probability targets, or the default on log-probability
    targets, is not the KL divergence (it is not 0 when student and teacher agree)."""
    logits = torch.randn(8, 5)
    log_p, p = F.log_softmax(logits, -1), F.softmax(logits, -1)
    assert F.kl_div(log_p, p, reduction="batchmean").item() == pytest.approx(0.0, abs=1e-6)
    assert F.kl_div(log_p, log_p, reduction="batchmean", log_target=True).item() == pytest.approx(0.0, abs=1e-6)
    assert abs(F.kl_div(log_p, p, reduction="batchmean", log_target=True).item()) > 0.1
    wrong = F.kl_div(log_p, log_p, reduction="batchmean").item()  # log of negative targets
    assert math.isnan(wrong) or abs(wrong) > 0.1


def test_monai_dice_ce_reads_logits_for_ce_and_the_raw_input_for_dice():
    """LA109: without softmax= / sigmoid=, DiceCELoss's Dice term is the Dice of raw logits (outside [0, 1])."""
    losses = pytest.importorskip("monai.losses")
    torch.manual_seed(0)
    logits, ids = torch.randn(2, 3, 8, 8) * 4, torch.randint(0, 3, (2, 1, 8, 8))
    ce_only = losses.DiceCELoss(to_onehot_y=True, lambda_dice=0.0)(logits, ids)
    assert ce_only.item() == pytest.approx(F.cross_entropy(logits, ids[:, 0]).item(), rel=1e-5)
    raw_dice = losses.DiceCELoss(to_onehot_y=True, lambda_ce=0.0)(logits, ids).item()
    told_dice = losses.DiceCELoss(to_onehot_y=True, lambda_ce=0.0, softmax=True)(logits, ids).item()
    assert 0.0 <= told_dice <= 1.0 and not 0.0 <= raw_dice <= 1.0


def test_the_axes_frameworks_yaml_states():
    """units_axis: 1 on PyTorch's Conv layers (out_channels land on dim 1), rank: 2 on Flatten
    (torch and Keras), and a Linear/Dense keeps its input's number of axes: what lets the readers
    place `softmax(dim=1)` against the units."""
    kb = knowledge.load()
    torch_layers = kb.vocabulary.frameworks["pytorch"].layers
    for name, kind in torch_layers.items():
        if name.startswith(("Conv", "LazyConv")):
            dims = int(name[-2])
            layer = getattr(torch.nn, name)(*( (5,) if name.startswith("Lazy") else (2, 5)), kernel_size=1)
            out = layer(torch.zeros(3, 2, *([4] * dims)))
            assert kind.units_axis == 1 and out.shape[1] == 5, name
    assert torch_layers["Flatten"].rank == 2 and torch.nn.Flatten()(torch.zeros(3, 2, 4, 4)).ndim == 2
    assert kb.vocabulary.frameworks["keras"].layers["Flatten"].rank == 2
    assert keras.ops.ndim(keras.layers.Flatten()(np.zeros((3, 4, 4, 2), dtype="float32"))) == 2
    assert torch.nn.Linear(4, 1)(torch.zeros(3, 7, 4)).ndim == 3  # keeps the input's axes
    assert torch.all(torch.softmax(torch.randn(6, 1), dim=1) == 1)  # dim=1 of a rank-2 one-unit output
    assert not torch.all(torch.softmax(torch.randn(2, 6, 1), dim=1) == 1)  # of a rank-3 one: over time


def test_the_target_dtypes_labels_yaml_states():
    """labels.yaml `dtype`, which explain prints: PyTorch's BCE losses refuse integer targets, and
    class-id targets of CrossEntropyLoss are int64 without a class axis."""
    kb = knowledge.load()
    assert "refuse integers" in kb.label_formats["binary"].dtype and "int64" in kb.label_formats["class_ids"].dtype
    logits = torch.zeros(4, 1)
    for loss in (torch.nn.BCEWithLogitsLoss(), lambda x, y: torch.nn.BCELoss()(torch.sigmoid(x), y)):
        with pytest.raises(RuntimeError):
            loss(logits, torch.ones(4, 1, dtype=torch.long))
    assert torch.nn.CrossEntropyLoss()(torch.zeros(4, 3), torch.zeros(4, dtype=torch.long)).ndim == 0
    with pytest.raises(RuntimeError):  # a class-id target with a class axis of size 1
        torch.nn.CrossEntropyLoss()(torch.zeros(4, 3), torch.zeros(4, 1, dtype=torch.long))


def test_bce_weight_broadcasts_against_each_element():
    """LA208: BCE's weight multiplies each element; two class weights on an (N, 1) output raise at
    once, one value per unit of an (N, C) output and one per sample of an (N,) output work."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    for loss in (nn.BCEWithLogitsLoss, nn.BCELoss):
        x = torch.rand(8, 1)
        with pytest.raises(RuntimeError, match="broadcast"):
            loss(weight=torch.tensor([1.0, 9.0]))(x, torch.ones(8, 1))
        loss(weight=torch.ones(5))(torch.rand(8, 5), torch.ones(8, 5))
        loss(weight=torch.ones(8))(torch.rand(8), torch.ones(8))
    x, y = torch.randn(8, 1), torch.randint(0, 2, (8, 1)).float()
    pos = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([9.0]))(x, y)
    by_hand = -(9.0 * y * torch.nn.functional.logsigmoid(x) + (1 - y) * torch.nn.functional.logsigmoid(-x)).mean()
    assert torch.allclose(pos, by_hand)  # pos_weight scales the positives' term only


def test_lightning_trainer_precisions_that_mean_cuda_autocast():
    """frameworks.yaml mixed_precision_trainers: every Trainer path there is Lightning's Trainer, and
    every precision listed is Lightning's fp16 mixed precision, which runs the step under
    torch.autocast("cuda") on a GPU (where BCELoss is refused, LA111); "bf16-mixed" is not listed."""
    import importlib
    import warnings

    pytest.importorskip("lightning")
    import lightning.pytorch as pl
    from lightning.pytorch.plugins.precision import MixedPrecision
    from lightning.pytorch.trainer.connectors.accelerator_connector import _convert_precision_to_unified_args

    from lossadvisor import knowledge

    vocabulary = knowledge.load().vocabulary
    fw = vocabulary.frameworks["pytorch"]
    real_root = next(root for root, canonical in fw.imports.items() if canonical == "lightning" and root.endswith(".pytorch"))
    for path, precisions in fw.mixed_precision_trainers.items():
        module = importlib.import_module(".".join((real_root, *path[1:-1])))
        assert getattr(module, path[-1]) is pl.Trainer, path
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # precision=16 is "supported for historical reasons"
            assert {_convert_precision_to_unified_args(v) for v in precisions["precision"]} == {"16-mixed"}
    assert "bf16-mixed" not in precisions["precision"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no GPU here: the scaler warns
        context = MixedPrecision("16-mixed", "cuda").autocast_context_manager()
    assert context.device == "cuda"


# --------------------------------------------------------------------------- transformers (frameworks.yaml)


def _tiny_bert(model_class: str, **config):
    transformers = pytest.importorskip("transformers")
    small = dict(vocab_size=40, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16)
    torch.manual_seed(0)
    return getattr(transformers, model_class)(transformers.BertConfig(**small, **config)).eval()


def _transformers_zoos():
    return [z for z in KB.vocabulary.frameworks["transformers"].model_zoos]


def test_transformers_classifier_classes_end_in_the_suffixes_frameworks_yaml_reads():
    transformers = pytest.importorskip("transformers")
    for zoo in _transformers_zoos():
        for suffix in zoo.suffixes:
            auto = getattr(transformers, f"AutoModelFor{suffix.removeprefix('For')}")
            assert hasattr(auto, zoo.builder)
            assert getattr(transformers.BertConfig(**{zoo.classes.keyword: 5}), zoo.classes.keyword) == 5


@pytest.mark.parametrize("suffix,shape", [("ForSequenceClassification", (4, 3)), ("ForTokenClassification", (4, 6, 3))])
def test_transformers_classifiers_return_logits_of_num_labels_in_the_output_field(suffix, shape):
    zoo = next(z for z in _transformers_zoos() if suffix in z.suffixes)
    model = _tiny_bert(f"Bert{suffix}", num_labels=3)
    ids = torch.randint(0, 40, (4, 6))
    out = model(input_ids=ids)
    logits = getattr(out, zoo.output)
    assert tuple(logits.shape) == shape
    assert not torch.allclose(logits.softmax(-1).sum(-1), logits.sum(-1))  # no softmax: logits
    assert out[0] is logits  # no labels: the logits come first (torch.model_output)
    labels = torch.randint(0, 3, shape[:-1])
    assert model(input_ids=ids, labels=labels)[1].shape == logits.shape  # with labels: after the loss


@pytest.mark.parametrize(
    "num_labels,problem_type,labels",
    [
        (1, None, [0, 1, 1, 0]),  # one unit: a regression, even on class ids
        (1, None, [0.5, 2.0, 1.5, 3.0]),
        (3, None, [0, 2, 1, 0]),  # int labels: single-label
        (3, None, [[0.0, 1, 1], [1, 0, 0], [0, 0, 1], [1, 1, 0]]),  # float labels: multi-label
        (3, "multi_label_classification", [[0.0, 1, 1], [1, 0, 0], [0, 0, 1], [1, 1, 0]]),
        (3, "regression", [[0.1, 1, 2], [1, 0, 0], [0, 0, 1], [1, 1, 0]]),
    ],
)
def test_transformers_own_loss_is_the_one_frameworks_yaml_picks(num_labels, problem_type, labels):
    own = _transformers_zoos()[0].own_loss
    model = _tiny_bert("BertForSequenceClassification", num_labels=num_labels, problem_type=problem_type)
    target = torch.tensor(labels)
    ids = torch.randint(0, 40, (4, 6))
    out = model(input_ids=ids, **{own.labels.keyword: target})
    if problem_type is None:
        kind = "float" if target.is_floating_point() else "int"
        problem_type = own.one_unit if num_labels == 1 else own.by_dtype[kind]
    assert model.config.problem_type == problem_type
    loss_class = getattr(torch.nn, own.losses[problem_type].rsplit(".", 1)[-1])
    logits = out.logits.squeeze() if num_labels == 1 else out.logits
    prediction = logits.reshape(-1, num_labels) if loss_class is torch.nn.CrossEntropyLoss else logits
    expected = loss_class()(prediction, target.squeeze() if num_labels == 1 else target)
    assert torch.allclose(out.loss, expected)


def test_transformers_trainer_takes_the_model_and_calls_compute_loss_with_it():  # frameworks.yaml trainer_hooks
    import importlib
    import inspect

    pytest.importorskip("transformers")
    for path, hook in KB.vocabulary.frameworks["transformers"].trainer_hooks.items():
        trainer = getattr(importlib.import_module(".".join(path[:-1])), path[-1])
        assert list(inspect.signature(trainer.__init__).parameters)[1 + hook.model.position] == hook.model.keyword
        assert hook.argument in inspect.signature(getattr(trainer, hook.method)).parameters
