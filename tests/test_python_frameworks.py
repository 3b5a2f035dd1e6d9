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

from lossadvisor.readers.python import keras as keras_reader  # noqa: E402
from lossadvisor.readers.python import torch as torch_reader  # noqa: E402

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


@pytest.mark.parametrize("name", sorted(torch_reader.UNITS))
def test_pytorch_units_argument(name):
    index, keyword = torch_reader.UNITS[name]
    params = [p for p in inspect.signature(getattr(torch.nn, name).__init__).parameters if p != "self"]
    assert params[index] == keyword


@pytest.mark.parametrize("name", sorted(torch_reader.PASS_THROUGH))
def test_pytorch_pass_through_modules_exist(name):
    assert issubclass(getattr(torch.nn, name), torch.nn.Module)


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


@pytest.mark.parametrize("name", sorted(keras_reader.UNITS))
def test_keras_units_argument_and_linear_default(name):
    params = inspect.signature(getattr(keras.layers, name).__init__).parameters
    names = [p for p in params if p != "self"]
    assert names[0] == keras_reader.UNITS[name]
    assert params["activation"].default is None  # the reader's "no activation = linear"
    if name == "Dense":
        assert names[1] == "activation"  # Dense(units, activation) positionally


def test_keras_dense_without_activation_is_linear():
    assert keras.layers.Dense(3).activation is keras.activations.linear


@pytest.mark.parametrize("name", sorted(keras_reader.PASS_THROUGH - {"InputLayer"}))
def test_keras_pass_through_layers_exist(name):
    assert issubclass(getattr(keras.layers, name), keras.layers.Layer)


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
