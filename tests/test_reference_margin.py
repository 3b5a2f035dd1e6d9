"""The margin references (lossadvisor.reference.margin) against Keras 3 (Hinge, SquaredHinge,
CategoricalHinge), optax (hinge_loss, perceptron_loss, multiclass_hinge_loss,
multiclass_perceptron_loss) and PyTorch (MultiMarginLoss, MultiLabelMarginLoss, SoftMarginLoss,
HingeEmbeddingLoss, MarginRankingLoss, module and functional forms) on random scores, scores of
±30/±80, labels outside the expected set, and every reduction each framework offers. Tolerance:
rtol 1e-5, atol 1e-6 (the frameworks compute in float32, the reference in float64)."""

from __future__ import annotations

import numpy as np
import pytest

from lossadvisor.reference import (
    categorical_hinge,
    hinge,
    hinge_embedding,
    margin_ranking,
    multi_margin,
    multiclass_hinge,
    multiclass_perceptron,
    multilabel_margin,
    perceptron,
    signed_hinge,
    soft_margin,
    squared_hinge,
)

from reference_helpers import close, t

pytestmark = pytest.mark.frameworks
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
optax = pytest.importorskip("optax")
jnp = pytest.importorskip("jax.numpy")

RNG = np.random.default_rng(0)
F = torch.nn.functional


EDGES = np.array([[30.0, -30.0, 0.0, 80.0, -80.0], [1.0, -1.0, 0.5, -0.5, 1e-3]])
SCORES = np.concatenate([RNG.normal(0, 2, (8, 5)), EDGES]).astype(np.float32)
SIGNED = np.concatenate([RNG.choice([-1.0, 1.0], (8, 5)), [[1, -1, 1, -1, 1], [-1, 1, 1, -1, -1]]]).astype(np.float32)
BINARY = (SIGNED + 1) / 2
IDS = np.concatenate([RNG.integers(0, 5, 8), [3, 0]]).astype(np.int64)
REDUCTIONS = ["mean", "sum", "none"]
KERAS_REDUCTIONS = {"sum_over_batch_size": "mean", "mean": "mean", "sum": "sum", "none": "none", None: "none"}


# --- Keras: hinge, squared_hinge, categorical_hinge ------------------------------------------------


@pytest.mark.parametrize("keras_reduction", list(KERAS_REDUCTIONS))
@pytest.mark.parametrize("ours, keras_class", [(hinge, "Hinge"), (squared_hinge, "SquaredHinge")])
def test_hinge_and_squared_hinge_against_keras(ours, keras_class, keras_reduction):
    loss = getattr(keras.losses, keras_class)(reduction=keras_reduction)
    reduction = KERAS_REDUCTIONS[keras_reduction]
    for labels in (SIGNED, BINARY):  # ±1 as given; 0/1 converted to ±1
        close(ours(labels, SCORES, reduction=reduction), np.asarray(loss(labels, SCORES)))
    functional = getattr(keras.losses, ours.__name__)
    close(ours(BINARY, SCORES, reduction="none"), np.asarray(functional(BINARY, SCORES)))


@pytest.mark.parametrize("ours", [hinge, squared_hinge])
def test_keras_converts_0_1_labels_only_when_every_label_is_0_or_1(ours):
    keras_fn = getattr(keras.losses, ours.__name__)
    scores = np.array([[0.5, -0.5, 2.0]], dtype=np.float32)
    converted = ours([[0.0, 1.0, 1.0]], scores, reduction="none")
    close(converted, ours([[-1.0, 1.0, 1.0]], scores, reduction="none"))
    close(converted, np.asarray(keras_fn(np.array([[0.0, 1.0, 1.0]], dtype=np.float32), scores)))
    # One label outside {0, 1} in the call and none is converted: the 0 stays 0 (a constant 1 in hinge).
    mixed = np.array([[0.0, 1.0, -1.0]], dtype=np.float32)
    close(ours(mixed, scores, reduction="none"), np.asarray(keras_fn(mixed, scores)))
    assert not np.allclose(ours(mixed, scores), ours([[-1.0, 1.0, -1.0]], scores))
    power = 1 if ours is hinge else 2
    close(ours(mixed, scores), np.mean(np.array([1.0, 1.5, 3.0]) ** power))  # the 0 label costs exactly 1
    close(ours(mixed[:, :1], scores[:, :1]), 1.5**power)  # alone it is converted to -1: 1.5
    soft = np.array([[0.1, 0.9, 0.9]], dtype=np.float32)  # smoothed labels are not converted either
    close(ours(soft, scores, reduction="none"), np.asarray(keras_fn(soft, scores)))
    close(hinge(soft, scores), np.mean(np.maximum(0, 1 - soft * scores)))


def test_keras_conversion_is_decided_per_call():
    """In model.fit each batch is a call: a batch that happens to hold no -1 is converted, so the same
    0-labelled row costs 1.5 in one batch and 1.0 in another."""
    row_scores = np.array([[-0.5]], dtype=np.float32)
    alone = float(keras.losses.Hinge(reduction="none")(np.array([[0.0]], dtype=np.float32), row_scores)[0])
    with_minus_one = keras.losses.Hinge(reduction="none")(np.array([[0.0], [-1.0]], dtype=np.float32), np.array([[-0.5], [0.0]], dtype=np.float32))
    close(alone, hinge([[0.0]], row_scores, reduction="none")[0])
    close(np.asarray(with_minus_one), hinge([[0.0], [-1.0]], [[-0.5], [0.0]], reduction="none"))
    assert alone == pytest.approx(0.5) and float(with_minus_one[0]) == pytest.approx(1.0)


@pytest.mark.parametrize("keras_reduction", list(KERAS_REDUCTIONS))
def test_categorical_hinge_against_keras(keras_reduction):
    one_hot = np.eye(5, dtype=np.float32)[IDS]
    loss = keras.losses.CategoricalHinge(reduction=keras_reduction)
    reduction = KERAS_REDUCTIONS[keras_reduction]
    close(categorical_hinge(one_hot, SCORES, reduction=reduction), np.asarray(loss(one_hot, SCORES)))
    close(categorical_hinge(one_hot, SCORES, reduction="none"), np.asarray(keras.losses.categorical_hinge(one_hot, SCORES)))
    signed = 2 * one_hot - 1  # the ±1 form Keras's docstring also allows: (1 - y) doubles the negatives
    close(categorical_hinge(signed, SCORES, reduction=reduction), np.asarray(loss(signed, SCORES)))


def test_categorical_hinge_differs_from_crammer_singer_when_every_wrong_score_is_negative():
    """Keras takes max_c (1 − y_c)·s_c, where the true class counts as 0: with all wrong-class scores
    below 0 it is 1 + max(0, max_{c≠y} s_c) − s_y, larger than optax's multiclass_hinge by
    −max_{c≠y} s_c (2.0 here)."""
    scores = np.array([[-2.0, -3.0, -5.0], [-2.0, -3.0, 1.0], [1.0, -3.0, 0.5]], dtype=np.float32)
    labels = np.array([2, 2, 2])
    one_hot = np.eye(3, dtype=np.float32)[labels]
    keras_values = np.asarray(keras.losses.categorical_hinge(one_hot, scores))
    optax_values = np.asarray(optax.losses.multiclass_hinge_loss(jnp.asarray(scores), jnp.asarray(labels)))
    close(keras_values, categorical_hinge(one_hot, scores, reduction="none"))
    close(optax_values, multiclass_hinge(labels, scores, reduction="none"))
    close(keras_values - optax_values, [2.0, 0.0, 0.0])


# --- optax: signed_hinge, perceptron, multiclass_hinge, multiclass_perceptron -------------------


def test_signed_hinge_and_perceptron_against_optax():
    s, y = jnp.asarray(SCORES), jnp.asarray(SIGNED)
    for optax_fn in (optax.hinge_loss, optax.losses.hinge_loss):
        close(signed_hinge(SIGNED, SCORES, reduction="none"), np.asarray(optax_fn(s, y)))
    close(perceptron(SIGNED, SCORES, reduction="none"), np.asarray(optax.losses.perceptron_loss(s, y)))
    close(signed_hinge(SIGNED, SCORES), float(jnp.mean(optax.hinge_loss(s, y))))
    close(perceptron(SIGNED, SCORES, reduction="sum"), float(jnp.sum(optax.losses.perceptron_loss(s, y))))
    # 0/1 labels are not converted: every 0 label costs exactly 1 (hinge) or 0 (perceptron).
    zeros = np.zeros_like(SCORES)
    close(np.asarray(optax.hinge_loss(s, jnp.asarray(BINARY))), signed_hinge(BINARY, SCORES, reduction="none"))
    assert np.all(signed_hinge(zeros, SCORES, reduction="none") == 1.0) and np.all(perceptron(zeros, SCORES, reduction="none") == 0.0)
    # With ±1 labels Keras's hinge is the same loss, averaged over the last axis.
    close(hinge(SIGNED, SCORES, reduction="none"), signed_hinge(SIGNED, SCORES, reduction="none").mean(axis=-1))


def test_multiclass_hinge_and_perceptron_against_optax():
    s, y = jnp.asarray(SCORES), jnp.asarray(IDS)
    close(multiclass_hinge(IDS, SCORES, reduction="none"), np.asarray(optax.losses.multiclass_hinge_loss(s, y)))
    close(multiclass_perceptron(IDS, SCORES, reduction="none"), np.asarray(optax.losses.multiclass_perceptron_loss(s, y)))
    close(multiclass_hinge(IDS, SCORES), float(jnp.mean(optax.losses.multiclass_hinge_loss(s, y))))
    close(multiclass_perceptron(IDS, SCORES, reduction="sum"), float(jnp.sum(optax.losses.multiclass_perceptron_loss(s, y))))
    # A label outside 0..C-1 is not caught: its one-hot row is all zeros, so the loss is max_c s_c + 1 (4.0 here).
    scores, outside = np.array([[1.0, 2.0, 3.0]], dtype=np.float32), np.array([3])
    close(multiclass_hinge(outside, scores, reduction="none"), np.asarray(optax.losses.multiclass_hinge_loss(jnp.asarray(scores), jnp.asarray(outside))))
    close(multiclass_hinge(outside, scores), 4.0)
    # Crammer-Singer: the largest violation only, never negative.
    wrong = np.where(np.eye(5)[IDS] == 1, -np.inf, SCORES)
    close(multiclass_hinge(IDS, SCORES, reduction="none"), np.maximum(0, 1 + wrong.max(-1) - SCORES[np.arange(len(IDS)), IDS]))


# --- PyTorch: multi_margin, multilabel_margin, soft_margin, hinge_embedding, margin_ranking -----


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_against_pytorch(reduction, p, margin, weighted):
    weight = np.array([1.0, 2.0, 0.5, 3.0, 0.1]) if weighted else None
    w = None if weight is None else t(weight)
    ours = multi_margin(IDS, SCORES, p=p, margin=margin, weight=weight, reduction=reduction)
    module = torch.nn.MultiMarginLoss(p=p, margin=margin, weight=w, reduction=reduction)(t(SCORES), torch.tensor(IDS))
    functional = F.multi_margin_loss(t(SCORES), torch.tensor(IDS), p=p, margin=margin, weight=w, reduction=reduction)
    close(ours, module.numpy(), rtol=1e-5 if p == 1 else 2e-5)
    close(ours, functional.numpy(), rtol=1e-5 if p == 1 else 2e-5)


def test_multi_margin_weight_multiplies_after_the_power_and_the_mean_is_unweighted():
    scores = np.array([[0.1, 0.2, 0.4, 0.8], [0.5, -1.0, 2.0, 0.0]], dtype=np.float32)
    ids, weight = np.array([3, 1]), np.array([1.0, 2.0, 3.0, 4.0])
    torch_values = F.multi_margin_loss(t(scores), torch.tensor(ids), p=2, weight=t(weight), reduction="none").numpy()
    close(torch_values, [4 * (0.3**2 + 0.4**2 + 0.6**2) / 4, 2 * (2.5**2 + 4.0**2 + 2.0**2) / 4])
    close(multi_margin(ids, scores, p=2, weight=weight, reduction="none"), torch_values)
    close(F.multi_margin_loss(t(scores), torch.tensor(ids), p=2, weight=t(weight)).item(), torch_values.mean())  # not / Σ w
    with pytest.raises(ValueError):
        multi_margin(ids, scores, p=3)


MULTILABEL_TARGETS = np.array(
    [
        [3, 0, -1, 1, 2],  # classes {3, 0}; the 1 and 2 after -1 are ignored
        [1, -1, -1, -1, -1],  # one class
        [0, 1, 2, 3, 4],  # every class a target (no -1): loss 0
        [-1, 2, 3, 0, 0],  # no class a target: loss 0
        [2, 2, -1, 0, 0],  # a repeated index counts twice
        [0, 1, 1, 0, 0],  # a multi-hot row, silently read as the indices 0, 1, 1, 0, 0
    ]
)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_against_pytorch(reduction):
    scores = SCORES[: len(MULTILABEL_TARGETS)]
    targets = torch.tensor(MULTILABEL_TARGETS)
    ours = multilabel_margin(MULTILABEL_TARGETS, scores, reduction=reduction)
    close(ours, torch.nn.MultiLabelMarginLoss(reduction=reduction)(t(scores), targets).numpy())
    close(ours, F.multilabel_margin_loss(t(scores), targets, reduction=reduction).numpy())
    edge = np.concatenate([SCORES[-2:], SCORES[-2:]])
    close(multilabel_margin(MULTILABEL_TARGETS[:4], edge, reduction=reduction), F.multilabel_margin_loss(t(edge), torch.tensor(MULTILABEL_TARGETS[:4]), reduction=reduction).numpy())


def test_multilabel_margin_details():
    values = multilabel_margin(MULTILABEL_TARGETS, SCORES[: len(MULTILABEL_TARGETS)], reduction="none")
    assert values[2] == 0.0 and values[3] == 0.0
    with pytest.raises(ValueError):  # class ids (N,) are not the (N, C) padded format; PyTorch raises too
        multilabel_margin(IDS, SCORES)
    with pytest.raises(RuntimeError):
        F.multilabel_margin_loss(t(SCORES), torch.tensor(IDS))
    # One target class = MultiMarginLoss with p=1, margin=1.
    close(multilabel_margin([[k, -1, -1, -1, -1] for k in IDS], SCORES, reduction="none"), multi_margin(IDS, SCORES, reduction="none"))
    # The multi-hot row [0, 1, 1, 0, 0] means "positives {0, 1}" (0 read three times, 1 twice), not "classes 1 and 2".
    as_indices = multilabel_margin([[0, 0, 0, 1, 1]], SCORES[5:6])
    close(values[5], as_indices)
    assert not np.isclose(values[5], multilabel_margin([[1, 2, -1, 0, 0]], SCORES[5:6]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_against_pytorch(reduction):
    ours = soft_margin(SIGNED, SCORES, reduction=reduction)
    close(ours, torch.nn.SoftMarginLoss(reduction=reduction)(t(SCORES), t(SIGNED)).numpy())
    close(ours, F.soft_margin_loss(t(SCORES), t(SIGNED), reduction=reduction).numpy())
    # 0 labels cost log 2 whatever the score.
    close(F.soft_margin_loss(t(SCORES), t(BINARY), reduction="none").numpy(), soft_margin(BINARY, SCORES, reduction="none"))
    assert np.allclose(soft_margin(np.zeros_like(SCORES), SCORES, reduction="none"), np.log(2))


def test_soft_margin_is_bce_with_logits_on_0_1_labels_and_overflows_in_float32():
    close(soft_margin(SIGNED, SCORES, reduction="none"), F.binary_cross_entropy_with_logits(t(SCORES), t(BINARY), reduction="none").numpy())
    # PyTorch computes log1p(exp(−y·x)): in float32 exp overflows once −y·x ≥ 89 (inf); in float64 it is exact.
    x, y = np.array([-88.0, -89.0, -100.0, 100.0]), np.array([1.0, 1.0, 1.0, -1.0])
    float32 = F.soft_margin_loss(t(x), t(y), reduction="none").numpy()
    close(float32[0], 88.0)
    assert np.all(np.isinf(float32[1:]))
    float64 = F.soft_margin_loss(torch.tensor(x), torch.tensor(y), reduction="none").numpy()
    close(float64, soft_margin(y, x, reduction="none"))
    close(soft_margin(y, x, reduction="none"), [88.0, 89.0, 100.0, 100.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 2.5])
def test_hinge_embedding_against_pytorch(reduction, margin):
    distances = np.abs(SCORES)  # the intended input: non-negative distances
    for x in (distances, SCORES):  # raw scores too (negative values give a negative loss)
        ours = hinge_embedding(SIGNED, x, margin=margin, reduction=reduction)
        close(ours, torch.nn.HingeEmbeddingLoss(margin=margin, reduction=reduction)(t(x), t(SIGNED)).numpy())
        close(ours, F.hinge_embedding_loss(t(x), t(SIGNED), margin=margin, reduction=reduction).numpy())


def test_hinge_embedding_labels_other_than_plus_minus_one_get_both_terms():
    x, y = np.array([0.3, -2.0, 0.3, 4.0]), np.array([0.0, 0.0, 2.0, 0.0])
    torch_values = F.hinge_embedding_loss(t(x), t(y), reduction="none").numpy()
    close(torch_values, hinge_embedding(y, x, reduction="none"))
    close(torch_values, np.maximum(x, 1.0))  # x + max(0, margin − x) = max(x, margin)
    assert hinge_embedding([1.0], [-3.0]) == -3.0  # a logit as input: a negative loss


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_against_pytorch(reduction, margin):
    x1, x2, y = SCORES[:, 0], SCORES[:, 1], SIGNED[:, 2]
    ours = margin_ranking(y, x1, x2, margin=margin, reduction=reduction)
    close(ours, torch.nn.MarginRankingLoss(margin=margin, reduction=reduction)(t(x1), t(x2), t(y)).numpy())
    close(ours, F.margin_ranking_loss(t(x1), t(x2), t(y), margin=margin, reduction=reduction).numpy())
    # 2-D inputs of one shape, elementwise; a 0 label costs the margin.
    close(margin_ranking(BINARY, SCORES, SCORES[::-1], margin=margin, reduction=reduction), F.margin_ranking_loss(t(SCORES), t(SCORES[::-1]), t(BINARY), margin=margin, reduction=reduction).numpy())


def test_margin_ranking_is_a_hinge_on_the_difference():
    x1, x2, y = SCORES[:, 0], SCORES[:, 1], SIGNED[:, 2]
    close(margin_ranking(y, x1, x2, margin=1.0, reduction="none"), np.asarray(optax.hinge_loss(jnp.asarray(x1 - x2), jnp.asarray(y))))
    close(margin_ranking(y, x1, x2, reduction="none"), np.asarray(optax.losses.perceptron_loss(jnp.asarray(x1 - x2), jnp.asarray(y))))
