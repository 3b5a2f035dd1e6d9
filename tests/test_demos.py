"""The numbers `lossadvisor explain CODE --demo` prints, computed with numpy, are what the real
frameworks give (PyTorch and Keras 3 on the torch backend)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lossadvisor.reference import demos

pytestmark = pytest.mark.frameworks
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")


def test_double_softmax_floor_and_gradients_match_pytorch():
    demo = demos.double_softmax(10)
    floor = math.log(math.e + 9) - 1
    perfect = torch.full((1, 10), -50.0)
    perfect[0, 0] = 50.0  # a model certain of the right class
    loss = torch.nn.CrossEntropyLoss()(torch.softmax(perfect, dim=1), torch.tensor([0]))
    assert loss.item() == pytest.approx(floor, abs=1e-5)
    assert f"= {floor:.3f}" in demo.lines[0]
    wrong = torch.zeros(1, 10)
    wrong[0, 1] = math.log(0.99 * 9 / 0.01)  # p = 0.99 on a wrong class
    norms = []
    for twice in (False, True):
        z = wrong.clone().requires_grad_(True)
        torch.nn.CrossEntropyLoss()(torch.softmax(z, dim=1) if twice else z, torch.tensor([0])).backward()
        norms.append(z.grad.norm().item())
    assert f"{norms[0] / norms[1]:,.0f} times smaller on a confidently wrong prediction" in demo.lines[1]


def test_sigmoid_before_bce_with_logits_never_goes_below_0_313():
    sure = torch.tensor([50.0])
    value = torch.nn.BCEWithLogitsLoss()(torch.sigmoid(sure), torch.tensor([1.0])).item()
    assert value == pytest.approx(0.3133, abs=1e-4) and "= 0.313" in demos.double_softmax().lines[2]


def test_class_ids_make_pytorch_and_keras_bce_negative():
    demo = demos.class_ids_into_bce()
    p, y = torch.tensor([0.9]), torch.tensor([3.0])
    torch_value = torch.nn.BCEWithLogitsLoss()(torch.logit(p), y).item()
    keras_logits = float(keras.losses.BinaryCrossentropy(from_logits=True)(np.array([[3.0]]), np.array([[math.log(9)]])))
    assert torch_value == pytest.approx(-4.289, abs=1e-3) and keras_logits == pytest.approx(-4.289, abs=1e-3)
    assert "y = 3 costs -4.289" in demo.lines[0]
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        torch.nn.BCELoss()(p, y)
    with pytest.raises(RuntimeError, match="between 0 and 1"):  # Keras's probability form on torch calls BCELoss
        keras.losses.BinaryCrossentropy()(np.array([[3.0]]), np.array([[0.9]]))
    pytest.importorskip("jax")
    import os
    import subprocess
    import sys

    code = "import numpy as np, keras; print(float(keras.losses.BinaryCrossentropy()(np.array([[3.0]]), np.array([[0.9]]))))"
    on_jax = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": "jax"}, timeout=120)
    assert float(on_jax.stdout.strip().splitlines()[-1]) == pytest.approx(-4.289, abs=1e-3)
    assert "PyTorch's BCELoss raises" in demo.lines[2] and "Keras on the JAX (and TensorFlow) backend compute this silently" in demo.lines[2]


def test_one_unit_softmax_is_constant_in_both_frameworks():
    logits = torch.randn(6, 1, requires_grad=True)
    out = torch.softmax(logits, dim=-1)
    out.sum().backward()
    assert torch.all(out == 1.0) and torch.all(logits.grad == 0)
    assert np.all(keras.ops.convert_to_numpy(keras.activations.softmax(keras.ops.convert_to_tensor(np.random.randn(6, 1)), axis=-1)) == 1.0)


def test_keras_clips_logits_read_as_probabilities():
    demo = demos.logits_into_probability_loss()
    value = float(keras.losses.BinaryCrossentropy()(np.array([[1.0]]), np.array([[-3.0]], dtype=np.float32)))
    assert value == pytest.approx(16.118, abs=1e-3) and "costs 16.12" in demo.lines[1]
