"""What the Python reader assumes about PyTorch and Keras APIs, checked against the real frameworks
(the `frameworks` extra; KERAS_BACKEND=torch). The reader never imports user code, so these API
shapes are the only framework knowledge in it: if a release changes one, a test here says which.
"""

from __future__ import annotations

import inspect
import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
F = torch.nn.functional

import numpy as np  # noqa: E402

from lossadvisor import knowledge  # noqa: E402

pytestmark = pytest.mark.frameworks


def _logits_and_targets():
    torch.manual_seed(0)
    return torch.randn(16, 5) * 3, torch.randint(0, 5, (16,))


# --------------------------------------------------------------------------- dataflow claims


def test_log_softmax_into_cross_entropy_is_harmless():
    """The reader reports log_softmax → CrossEntropyLoss as log_softmax, which LA101 lets pass."""
    z, y = _logits_and_targets()
    assert torch.allclose(F.cross_entropy(F.log_softmax(z, dim=1), y), F.cross_entropy(z, y), atol=1e-6)


def test_log_of_softmax_is_log_softmax_for_nll():
    """`F.nll_loss(torch.log(probs + eps), y)` is read as log_softmax: right for NLLLoss."""
    z, y = _logits_and_targets()
    probs = F.softmax(z, dim=1)
    assert torch.allclose(F.nll_loss(torch.log(probs + 1e-12), y), F.cross_entropy(z, y), atol=1e-5)
    assert torch.allclose(F.nll_loss(probs.clamp(min=1e-12).log(), y), F.cross_entropy(z, y), atol=1e-5)


def test_exp_of_log_softmax_is_softmax():
    z, _ = _logits_and_targets()
    assert torch.allclose(torch.exp(F.log_softmax(z, dim=1)), F.softmax(z, dim=1), atol=1e-6)


def test_double_softmax_changes_the_loss():
    """The mismatch the reader pairs up is real: softmax before CrossEntropyLoss is not a no-op."""
    z, y = _logits_and_targets()
    assert not torch.allclose(F.cross_entropy(F.softmax(z, dim=1), y), F.cross_entropy(z, y), atol=1e-2)


def test_modules_are_in_training_mode_unless_told():
    """`if self.training:` takes the training arm for the loss."""
    module = torch.nn.Linear(2, 2)
    assert module.training is True
    assert module.eval().training is False


# --------------------------------------------------------------------------- PyTorch API shapes


# Every layer role in rules/frameworks.yaml, against the real class: the argument positions and
# keywords it names, and what identity / pass-through / unit-keeping reshapes do to a tensor.
VOCABULARY = knowledge.load().vocabulary


def _kinds(framework):
    return sorted(VOCABULARY.frameworks[framework].layers.values(), key=lambda k: k.name)


def _arguments(kind):
    return [a for a in (kind.units, kind.activation, kind.axis, kind.layer, kind.outputs, kind.layers) if hasattr(a, "keyword")]


def _torch_object(kind):
    import importlib

    return getattr(importlib.import_module(".".join(kind.module or ("torch", "nn"))), kind.name)


@pytest.mark.parametrize("kind", _kinds("pytorch"), ids=lambda k: k.name)
def test_pytorch_layer_arguments_are_where_the_vocabulary_says(kind):
    obj = _torch_object(kind)
    signature = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
    params = [p for p in signature.parameters if p != "self"]
    for arg in _arguments(kind):
        assert arg.keyword in params, f"{kind.name} has no `{arg.keyword}`"
        if arg.position is not None:
            assert params[arg.position] == arg.keyword


@pytest.mark.parametrize("kind", [k for k in _kinds("pytorch") if k.role == "sequence"], ids=lambda k: k.name)
def test_pytorch_recurrent_layers_return_output_and_state_with_the_batch_where_batch_first_says(kind):
    """Their __init__ takes *args, so the position is checked by passing it: (N, T, H) batch-first,
    (T, N, H) otherwise (LA209 reads the batch axis from this)."""
    cls = _torch_object(kind)
    positional = [8, 16] + [1, "tanh", True][: kind.batch_first.position - 2] if kind.name == "RNN" else [8, 16, 1, True]
    assert len(positional) == kind.batch_first.position
    for batch_first in (True, False):
        by_position = cls(*positional, batch_first)
        by_keyword = cls(8, 16, **{kind.batch_first.keyword: batch_first})
        assert by_position.batch_first is by_keyword.batch_first is batch_first
        output, _state = by_keyword(torch.randn(2, 5, 8) if batch_first else torch.randn(5, 2, 8))
        assert output.shape == ((2, 5, 16) if batch_first else (5, 2, 16))
    assert cls(8, 16).batch_first is False  # time-major by default


@pytest.mark.parametrize("kind", [k for k in _kinds("pytorch") if k.role in ("identity", "passes", "reshapes")], ids=lambda k: k.name)
def test_pytorch_layers_that_keep_the_prediction(kind):
    x = torch.randn(4, 3)
    layer = _torch_object(kind)(*([1, (3, 1)] if kind.name == "Unflatten" else [])).eval()
    y = layer(x)
    if kind.role in ("identity", "passes"):
        assert torch.equal(y, x)
    elif kind.keeps_units:
        assert y.shape == x.shape  # Flatten of an (N, k) output is (N, k)
    else:
        assert y.shape != x.shape  # this reshape moves the unit axis: the walk drops the count


def _keras_object(kind):
    return getattr(keras.layers, kind.name, None) or getattr(keras, kind.name, None) or getattr(keras.models, kind.name)


@pytest.mark.parametrize("kind", [k for k in _kinds("keras") if k.name != "Functional"], ids=lambda k: k.name)
def test_keras_layer_arguments_are_where_the_vocabulary_says(kind):
    params = inspect.signature(_keras_object(kind).__init__).parameters
    names = [p for p in params if p != "self"]
    for arg in _arguments(kind):
        if kind.role == "contains" and arg.keyword == "outputs":
            continue  # keras.Model(inputs, outputs) takes *args/**kwargs: checked by building one below
        assert arg.keyword in names, f"{kind.name} has no `{arg.keyword}`"
        if arg.position is not None:
            assert names[arg.position] == arg.keyword
    if kind.role == "units" and kind.activation is not None:
        assert params[kind.activation.keyword].default is None  # the walk's "no activation = linear"


def test_keras_model_takes_outputs_second():
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(2)(inputs)
    assert keras.Model(inputs, outputs).outputs[0] is keras.Model(inputs=inputs, outputs=outputs).outputs[0]


@pytest.mark.parametrize("kind", [k for k in _kinds("keras") if k.role in ("identity", "passes") and k.name != "InputLayer"], ids=lambda k: k.name)
def test_keras_layers_that_pass_the_prediction(kind):
    rank = int(kind.name[-2]) + 2 if kind.name.startswith("SpatialDropout") else 2
    x = np.random.default_rng(0).normal(size=(4, 3, 5, 6, 7)[:rank]).astype("float32") + 5.0  # no zeros for Masking
    y = keras.ops.convert_to_numpy(_keras_object(kind)(**({"rate": 0.5} if "Dropout" in kind.name else {"stddev": 1.0} if kind.name == "GaussianNoise" else {}))(x, training=False) if kind.name != "ActivityRegularization" else _keras_object(kind)()(x))
    assert np.allclose(y, x)


def test_keras_flatten_keeps_the_units_and_linear_activation_is_identity():
    x = np.ones((4, 3), "float32")
    assert keras.layers.Flatten()(x).shape == (4, 3)
    assert np.allclose(keras.ops.convert_to_numpy(keras.layers.Activation("linear", dtype="float32")(x)), x)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss", "kl_div"])
def test_pytorch_functional_losses_take_prediction_then_target(name):
    assert list(inspect.signature(getattr(F, name)).parameters)[:2] == ["input", "target"]


def test_pytorch_loss_modules_take_prediction_then_target():
    for cls in (torch.nn.CrossEntropyLoss, torch.nn.BCEWithLogitsLoss, torch.nn.NLLLoss, torch.nn.MSELoss):
        assert list(inspect.signature(cls.forward).parameters)[1:3] == ["input", "target"]


def test_one_hot_is_one_hot():
    y = torch.tensor([0, 2, 1])
    assert F.one_hot(y, 3).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]


# --------------------------------------------------------------------------- Keras API shapes


def test_keras_dense_without_activation_is_linear():
    assert keras.layers.Dense(3).activation is keras.activations.linear


def test_keras_compile_and_fit_argument_order():
    compile_params = list(inspect.signature(keras.Model.compile).parameters)
    fit_params = list(inspect.signature(keras.Model.fit).parameters)
    assert compile_params[1:3] == ["optimizer", "loss"]
    assert fit_params[1:3] == ["x", "y"]


def test_keras_losses_take_labels_first():
    assert list(inspect.signature(keras.losses.Loss.__call__).parameters)[1:3] == ["y_true", "y_pred"]
    assert list(inspect.signature(keras.losses.categorical_crossentropy).parameters)[:2] == ["y_true", "y_pred"]


@pytest.mark.parametrize("name", ["ResNet50", "MobileNetV2", "EfficientNetB0", "VGG16"])
def test_keras_applications_end_in_softmax_by_default(name):
    params = inspect.signature(getattr(keras.applications, name)).parameters
    assert params["classifier_activation"].default == "softmax"
    assert params["include_top"].default is True


def test_to_categorical_is_one_hot():
    assert keras.utils.to_categorical([0, 2], 3).tolist() == [[1, 0, 0], [0, 0, 1]]


def test_softmax_without_dim_runs_over_the_channels_of_masks():
    """activations.yaml: segmentation_models_pytorch's activation="softmax" is nn.Softmax() without
    dim, which PyTorch runs over dim 1 of (N, C, H, W) masks, the classes (as "softmax2d" does)."""
    import warnings

    masks = torch.randn(2, 3, 4, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the implicit-dim deprecation warning
        out = torch.nn.Softmax()(masks)
    assert torch.allclose(out, torch.softmax(masks, dim=1))
