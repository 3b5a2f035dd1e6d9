"""The crossentropy references (lossadvisor.reference.crossentropy) against PyTorch, Keras 3 and
optax on random and edge inputs, every reduction. Tolerance: rtol 1e-5, atol 1e-6 (the frameworks
compute in float32, the reference in float64)."""

from __future__ import annotations

import numpy as np
import pytest

from lossadvisor.reference import binary_crossentropy

pytestmark = pytest.mark.frameworks
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
optax = pytest.importorskip("optax")

RTOL, ATOL = 1e-5, 1e-6
RNG = np.random.default_rng(0)


def close(a, b, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=rtol, atol=atol)


def t(x):
    return torch.tensor(np.asarray(x), dtype=torch.float32)


LOGITS = np.concatenate([RNG.normal(0, 3, (8, 5)), np.array([[30.0, -30.0, 0.0, 80.0, -80.0]])]).astype(np.float32)
TARGETS = np.concatenate([RNG.integers(0, 2, (8, 5)), np.array([[1, 0, 1, 0, 1]])]).astype(np.float32)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_crossentropy_logits_against_pytorch(reduction):
    ours = binary_crossentropy(TARGETS, LOGITS, from_logits=True, reduction=reduction)
    theirs = torch.nn.BCEWithLogitsLoss(reduction=reduction)(t(LOGITS), t(TARGETS))
    close(ours, theirs.numpy())
    pos_weight = np.array([1.0, 2.0, 0.5, 3.0, 1.0])
    ours = binary_crossentropy(TARGETS, LOGITS, from_logits=True, pos_weight=pos_weight, reduction=reduction)
    theirs = torch.nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=t(pos_weight))(t(LOGITS), t(TARGETS))
    close(ours, theirs.numpy())


def test_binary_crossentropy_probabilities_with_edges_against_pytorch():
    probs = np.array([[0.0, 1.0, 0.5, 1e-9, 0.999]], dtype=np.float32)
    y = np.array([[1.0, 0.0, 1.0, 1.0, 0.0]], dtype=np.float32)
    ours = binary_crossentropy(y, probs, log_min=-100.0, reduction="none")
    close(ours, torch.nn.BCELoss(reduction="none")(t(probs), t(y)).numpy(), rtol=1e-4)
    assert np.isinf(binary_crossentropy(y, probs, reduction="none")[0, 0])  # the exact formula


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_binary_crossentropy_against_keras(smoothing):
    probs = (1 / (1 + np.exp(-LOGITS[:-1]))).astype(np.float32)  # rows whose probabilities are not saturated
    keras_loss = keras.losses.BinaryCrossentropy(label_smoothing=smoothing)
    close(binary_crossentropy(TARGETS[:-1], probs, label_smoothing=smoothing, epsilon=1e-7), float(keras_loss(TARGETS[:-1], probs)), rtol=1e-4)
    keras_logits = keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=smoothing)
    close(binary_crossentropy(TARGETS, LOGITS, from_logits=True, label_smoothing=smoothing), float(keras_logits(TARGETS, LOGITS)))


def test_keras_clip_at_the_edges_is_float32():
    """Keras clips to [1e-7, 1 - 1e-7] in float32, where 1 - 1e-7 rounds to 1 - 1.19e-7: p = 0 for a
    positive costs 16.12, p = 1 for a negative 15.94 (explain says so)."""
    y, p = np.array([[0.0, 1.0]], dtype=np.float32), np.array([[1.0, 0.0]], dtype=np.float32)
    keras_value = float(keras.losses.BinaryCrossentropy()(y, p))
    gap = float(np.float32(1) - np.float32(1 - 1e-7))
    close(keras_value, np.mean([binary_crossentropy([0.0], [1 - gap]), binary_crossentropy([1.0], [1e-7])]), rtol=1e-4)
    assert round(binary_crossentropy([1.0], [1e-7]), 2) == 16.12 and round(binary_crossentropy([0.0], [1 - gap]), 2) == 15.94


def test_binary_crossentropy_against_optax():
    close(binary_crossentropy(TARGETS, LOGITS, from_logits=True, reduction="none"), np.asarray(optax.sigmoid_binary_cross_entropy(LOGITS, TARGETS)))
