"""The focal references (lossadvisor.reference.focal) against Keras 3, optax, kornia and MONAI, and, for
torchvision, timm and segmentation_models_pytorch (which do not install next to this torch), against
the same computation written with torch ops from their source; random and edge inputs (probabilities
0 and 1, logits ±30 and ±80, ignored labels, label smoothing, class weights), every reduction.
Tolerance: rtol 1e-5, atol 1e-6 (the frameworks compute in float32, the reference in float64);
rtol 1e-4 where Keras clips probabilities to [1e-7, 1 − 1e-7]."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from lossadvisor.reference import (
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    keras_cv_focal,
    kornia_binary_focal,
    kornia_softmax_loss,
    monai_focal,
    smp_soft_bce,
    smp_soft_ce,
    timm_binary_ce,
    timm_label_smoothing_ce,
    timm_soft_target_ce,
    torchvision_sigmoid_focal,
)

from reference_helpers import close, t

pytestmark = pytest.mark.frameworks
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
optax = pytest.importorskip("optax")
kornia = pytest.importorskip("kornia")
monai_losses = pytest.importorskip("monai.losses")
F = torch.nn.functional

RNG = np.random.default_rng(0)
EDGE_LOGITS = np.array([30.0, -30.0, 0.0, 80.0, -80.0])


def np_(x):
    return x.detach().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


# (N, C) logits with an edge row, binary targets and soft targets of the same shape.
LOGITS = np.concatenate([RNG.normal(0, 3, (8, 5)), [EDGE_LOGITS], [-EDGE_LOGITS]]).astype(np.float32)
TARGETS = np.concatenate([RNG.integers(0, 2, (8, 5)), [[1, 0, 1, 0, 1]], [[1, 0, 1, 0, 1]]]).astype(np.float32)
SOFT = RNG.uniform(0, 1, LOGITS.shape).astype(np.float32)
MODERATE = LOGITS[:-2]  # rows whose sigmoid is not saturated
# Saturated logits where Keras's clip is hit only from below (1e-7): from above it clips at 1 − 1.19e-7
# in float32, which the reference's float64 clip does not round to (test_binary_focal_edges_... covers it).
KERAS_X = np.concatenate([MODERATE, [[30.0, -30.0, 0.0, 80.0, -80.0], [-80.0, -30.0, 30.0, -30.0, 80.0]]]).astype(np.float32)
KERAS_Y = np.concatenate([TARGETS[:-2], [[1, 0, 1, 1, 1], [1, 1, 1, 0, 1]]]).astype(np.float32)
PROBS = (1 / (1 + np.exp(-MODERATE))).astype(np.float32)
IDS = np.concatenate([RNG.integers(0, 5, 8), [0, 3]])
ONE_HOT = np.eye(5, dtype=np.float32)[IDS]
# (N, C, H, W) logits and (N, H, W) class ids for the channels-first libraries; two ignored pixels.
MAP = RNG.normal(0, 2, (3, 4, 5, 6)).astype(np.float32)
MAP[0, :, 0, 0] = [30.0, -30.0, 80.0, -80.0]
MAP_IDS = RNG.integers(0, 4, (3, 5, 6))
MAP_IDS[0, 0, 0] = 2
MAP_IGNORED = MAP_IDS.copy()
MAP_IGNORED[1, 2, 3] = MAP_IGNORED[2, 4, 5] = -100
MAP_ONE_HOT = np.moveaxis(np.eye(4, dtype=np.float32)[MAP_IDS], -1, 1)
MAP_MULTI_HOT = RNG.integers(0, 2, MAP.shape).astype(np.float32)


def keras_reductions(loss_class, ours_none, y, p, **kwargs):
    """Keras reduces the per-element values to one per sample (mean over the last axis) first."""
    per_sample = np.mean(ours_none, axis=-1) if ours_none.ndim == np.ndim(p) else ours_none
    for reduction, expected in (("sum_over_batch_size", per_sample.mean()), ("sum", per_sample.sum()), (None, per_sample)):
        yield expected, np_(loss_class(reduction=reduction, **kwargs)(y, p))


# ----------------------------------------------------------------------------- binary_focal_crossentropy


@pytest.mark.parametrize("balancing", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("gamma", [2.0, 0.5])
def test_binary_focal_against_keras(balancing, smoothing, gamma):
    kw = dict(apply_class_balancing=balancing, alpha=0.3, gamma=gamma, label_smoothing=smoothing)
    ours = binary_focal_crossentropy(TARGETS[:-2], PROBS, epsilon=1e-7, reduction="none", **kw)
    for expected, theirs in keras_reductions(keras.losses.BinaryFocalCrossentropy, ours, TARGETS[:-2], PROBS, **kw):
        close(expected, theirs, rtol=1e-4)
    # From logits Keras takes the sigmoid and then the clipped-probability BCE: with epsilon the
    # reference reproduces it on the edge rows too; on moderate logits the exact form agrees.
    y, x = (KERAS_Y, KERAS_X) if smoothing == 0 else (TARGETS[:-2], MODERATE)  # smoothed labels hit both clips
    ours = binary_focal_crossentropy(y, x, from_logits=True, epsilon=1e-7, reduction="none", **kw)
    for expected, theirs in keras_reductions(keras.losses.BinaryFocalCrossentropy, ours, y, x, from_logits=True, **kw):
        close(expected, theirs, rtol=1e-4)
    keras_fn = keras.losses.binary_focal_crossentropy(TARGETS[:-2], MODERATE, from_logits=True, **kw)
    close(binary_focal_crossentropy(TARGETS[:-2], MODERATE, from_logits=True, reduction="none", **kw).mean(-1), np_(keras_fn), rtol=1e-4)


def test_binary_focal_keras_alpha_needs_class_balancing():
    off = keras.losses.BinaryFocalCrossentropy(alpha=0.9)(TARGETS[:-2], PROBS)
    on = keras.losses.BinaryFocalCrossentropy(alpha=0.9, apply_class_balancing=True)(TARGETS[:-2], PROBS)
    close(np_(off), binary_focal_crossentropy(TARGETS[:-2], PROBS, alpha=0.9, epsilon=1e-7), rtol=1e-4)
    close(np_(on), binary_focal_crossentropy(TARGETS[:-2], PROBS, alpha=0.9, apply_class_balancing=True, epsilon=1e-7), rtol=1e-4)
    assert abs(float(np_(on)) - float(np_(off))) > 1e-3


def test_binary_focal_edges_keras_clips_even_from_logits():
    """p = 0 for a positive: Keras 16.12 (−log 1e-7), exact +inf; logit −80 for a positive: Keras 16.12,
    exact 80; logit 80 for a negative: Keras 15.94 (its float32 clip at 1 − 1.19e-7), exact 80."""
    y, p = np.array([[1.0, 1.0, 0.0]], np.float32), np.array([[0.0, 1.0, 0.0]], np.float32)
    ours = binary_focal_crossentropy(y, p, epsilon=1e-7, reduction="none")
    close(ours.mean(-1), np_(keras.losses.BinaryFocalCrossentropy(reduction=None)(y, p)), rtol=1e-4)
    assert np.isinf(binary_focal_crossentropy(y, p, reduction="none")[0, 0])
    assert round(float(ours[0, 0]), 2) == 16.12 and ours[0, 1] == ours[0, 2] == 0.0
    x = np.array([[-80.0]], np.float32)
    keras_value = float(np_(keras.losses.BinaryFocalCrossentropy(from_logits=True)(np.ones_like(x), x)))
    exact = binary_focal_crossentropy(np.ones_like(x), x, from_logits=True)
    assert round(keras_value, 2) == 16.12 and round(exact, 4) == 80.0
    keras_value = float(np_(keras.losses.BinaryFocalCrossentropy(from_logits=True)(np.zeros_like(x), -x)))
    gap = float(np.float32(1) - np.float32(1 - 1e-7))
    close(keras_value, binary_focal_crossentropy([[0.0]], [[1 - gap]]), rtol=1e-4)
    assert round(keras_value, 2) == 15.94 and round(binary_focal_crossentropy(np.zeros_like(x), -x, from_logits=True), 4) == 80.0


@pytest.mark.parametrize("alpha", [None, 0.25])
@pytest.mark.parametrize("gamma", [2.0, 0.5, 0.0])
def test_binary_focal_against_optax(alpha, gamma):
    for y in (TARGETS, SOFT):
        ours = binary_focal_crossentropy(y, LOGITS, from_logits=True, apply_class_balancing=alpha is not None,
                                         alpha=alpha, gamma=gamma, reduction="none")  # fmt: skip
        close(ours, np.asarray(optax.sigmoid_focal_loss(LOGITS, y, alpha=alpha, gamma=gamma)))


# ----------------------------------------------------------------------------- categorical_focal_crossentropy


@pytest.mark.parametrize("alpha", [0.25, [0.1, 0.2, 0.3, 0.2, 0.2]])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_categorical_focal_against_keras(alpha, smoothing):
    probs = np.exp(MODERATE) / np.exp(MODERATE).sum(-1, keepdims=True)
    kw = dict(alpha=alpha, gamma=2.0, label_smoothing=smoothing)
    ours = categorical_focal_crossentropy(ONE_HOT[:-2], probs, epsilon=1e-7, reduction="none", **kw)
    for expected, theirs in keras_reductions(keras.losses.CategoricalFocalCrossentropy, ours, ONE_HOT[:-2], probs, **kw):
        close(expected, theirs, rtol=1e-4)
    ours = categorical_focal_crossentropy(ONE_HOT, LOGITS, from_logits=True, epsilon=1e-7, reduction="none", **kw)
    for expected, theirs in keras_reductions(keras.losses.CategoricalFocalCrossentropy, ours, ONE_HOT, LOGITS, from_logits=True, **kw):
        close(expected, theirs, rtol=1e-4)
    exact = categorical_focal_crossentropy(ONE_HOT[:-2], MODERATE, from_logits=True, reduction="none", **kw)
    close(exact, np_(keras.losses.categorical_focal_crossentropy(ONE_HOT[:-2], MODERATE, from_logits=True, **kw)), rtol=1e-4)


def test_categorical_focal_edges_and_soft_rows():
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.5, 0.3]], np.float32)
    p = np.array([[0.0, 0.5, 0.5], [0.0, 1.0, 0.0], [0.2, 0.2, 0.6]], np.float32)
    ours = categorical_focal_crossentropy(y, p, epsilon=1e-7, reduction="none")
    close(ours, np_(keras.losses.CategoricalFocalCrossentropy(reduction=None)(y, p)), rtol=1e-4)
    assert round(float(ours[0]), 2) == round(0.25 * -np.log(1e-7), 2)  # p = 0 for the true class: 4.03 in Keras
    assert np.isinf(categorical_focal_crossentropy(y, p, reduction="none")[0])
    # Unnormalised probabilities are divided by their sum first (Keras); from logits the exact form has no cap.
    close(categorical_focal_crossentropy(y, 3 * p, epsilon=1e-7, reduction="none"), ours)
    x, y = np.array([[-80.0, 0.0, 0.0]], np.float32), np.array([[1.0, 0.0, 0.0]], np.float32)
    assert round(categorical_focal_crossentropy(y, x, from_logits=True), 2) == round(0.25 * (80 + np.log(2)), 2)
    close(float(np_(keras.losses.CategoricalFocalCrossentropy(from_logits=True)(y, x))), 0.25 * -np.log(1e-7), rtol=1e-4)


# ----------------------------------------------------------------------------- torchvision_sigmoid_focal


def torchvision_like(x, y, alpha, gamma, reduction):
    """The loss as torchvision's source computes it, in torch ops: BCE with logits × (1 − p_t)^γ × α_t."""
    p = torch.sigmoid(x)
    p_t = p * y + (1 - p) * (1 - y)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none") * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("alpha", [0.25, -1.0])
def test_torchvision_sigmoid_focal(reduction, alpha):
    for y in (TARGETS, SOFT):
        ours = torchvision_sigmoid_focal(y, LOGITS, alpha=alpha, reduction=reduction)
        close(ours, np_(torchvision_like(t(LOGITS), t(y), alpha, 2.0, reduction)))
        theirs = optax.sigmoid_focal_loss(LOGITS, y, alpha=None if alpha < 0 else alpha)
        close(torchvision_sigmoid_focal(y, LOGITS, alpha=alpha, reduction="none"), np.asarray(theirs))
    keras_loss = keras.losses.BinaryFocalCrossentropy(from_logits=True, apply_class_balancing=True, alpha=0.25)
    close(torchvision_sigmoid_focal(TARGETS[:-2], MODERATE), float(np_(keras_loss(TARGETS[:-2], MODERATE))), rtol=1e-4)


# ----------------------------------------------------------------------------- keras_cv_focal


def keras_cv_like(y, p, alpha, gamma, from_logits, label_smoothing):
    """The loss as KerasCV's source computes it (FocalLoss.call), in Keras ops: it needs TensorFlow to
    import, which does not install here."""
    ops = keras.ops
    p, y = ops.convert_to_tensor(p), ops.cast(ops.convert_to_tensor(y), "float32")
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = ops.sigmoid(p)
    bce = ops.binary_crossentropy(y, p)
    alpha_t = ops.where(ops.equal(y, 1.0), alpha, 1.0 - alpha)
    p_t = y * p + (1.0 - y) * (1.0 - p)
    return np_(ops.sum(alpha_t * ops.power(1.0 - p_t, gamma) * bce, axis=-1))


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_keras_cv_focal(from_logits, label_smoothing):
    x = MODERATE if from_logits else PROBS
    y = TARGETS[:-2]
    theirs = keras_cv_like(y, x, 0.25, 2.0, from_logits, label_smoothing)
    ours = keras_cv_focal(y, x, from_logits=from_logits, label_smoothing=label_smoothing, reduction="none")
    close(ours, theirs, rtol=1e-4)
    close(keras_cv_focal(y, x, from_logits=from_logits, label_smoothing=label_smoothing), float(theirs.mean()), rtol=1e-4)
    if label_smoothing == 0:  # KerasCV weighs a smoothed target (never exactly 1) by 1 − α, Keras by its value
        keras_mean = keras.losses.BinaryFocalCrossentropy(from_logits=from_logits, apply_class_balancing=True, reduction=None)(y, x)
        close(ours, np_(keras_mean) * y.shape[-1], rtol=1e-4)  # the same term, averaged over the outputs instead


# ----------------------------------------------------------------------------- kornia_binary_focal


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("alpha", [0.25, None])
def test_kornia_binary_focal(reduction, alpha):
    for y in (MAP_MULTI_HOT, RNG.uniform(0, 1, MAP.shape).astype(np.float32)):
        ours = kornia_binary_focal(y, MAP, alpha=alpha, reduction=reduction)
        close(ours, np_(kornia.losses.binary_focal_loss_with_logits(t(MAP), t(y), alpha=alpha, reduction=reduction)))
    pos_weight, weight = np.array([1.0, 2.0, 0.5, 3.0]), np.array([0.5, 1.0, 2.0, 1.5])
    y = MAP_MULTI_HOT.copy()
    y[1, 2, 3, 4] = y[0, 0, 0, 0] = -100.0  # ignored entries: 0, still in the mean's count
    ours = kornia_binary_focal(y, MAP, alpha=alpha, gamma=1.5, pos_weight=pos_weight, weight=weight, reduction=reduction)
    module = kornia.losses.BinaryFocalLossWithLogits(alpha, 1.5, reduction, pos_weight=t(pos_weight), weight=t(weight))
    close(ours, np_(module(t(MAP), t(y))))


def test_kornia_binary_focal_agrees_with_torchvision_on_hard_labels_only():
    """On 0/1 targets kornia's split form is torchvision's; on soft targets they differ: y = 0.3, x = 2
    gives 0.8664 vs 0.3898 with α = 0.25, 1.1556 vs 0.6497 without α (Keras and optax: 0.6497)."""
    close(kornia_binary_focal(TARGETS, LOGITS, reduction="none"), torchvision_sigmoid_focal(TARGETS, LOGITS, reduction="none"))
    y, x = np.array([[0.3]]), np.array([[2.0]])
    ours, tv = kornia_binary_focal(y, x), torchvision_sigmoid_focal(y, x)
    close(ours, np_(kornia.losses.binary_focal_loss_with_logits(t(x), t(y), alpha=0.25, reduction="mean")))
    assert (round(ours, 4), round(tv, 4)) == (0.8664, 0.3898)
    unweighted = kornia_binary_focal(y, x, alpha=None)
    close(unweighted, np_(kornia.losses.binary_focal_loss_with_logits(t(x), t(y), alpha=None, reduction="mean")))
    assert round(unweighted, 4) == 1.1556
    close(float(np.asarray(optax.sigmoid_focal_loss(x, y))[0, 0]), 0.6497, atol=1e-4)


# ----------------------------------------------------------------------------- kornia_softmax_loss


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_kornia_focal_loss(reduction, alpha):
    weight = np.array([0.5, 1.0, 2.0, 1.5])
    for ids in (MAP_IDS, MAP_IGNORED):
        for w in (None, weight):
            ours = kornia_softmax_loss(ids, MAP, alpha=alpha, gamma=2.0, weight=w, reduction=reduction)
            theirs = kornia.losses.focal_loss(t(MAP), t(ids, torch.int64), alpha, 2.0, reduction, None if w is None else t(w))
            close(ours, np_(theirs))
    module = kornia.losses.FocalLoss(alpha, 0.5, reduction)
    close(kornia_softmax_loss(MAP_IGNORED, MAP, alpha=alpha, gamma=0.5, reduction=reduction), np_(module(t(MAP), t(MAP_IGNORED, torch.int64))))


def test_kornia_focal_mean_is_crossentropy_over_c():
    """kornia's mean divides by N·C·positions: with γ = 0 and no α it is CrossEntropyLoss / C (here C = 4)."""
    ours = kornia_softmax_loss(MAP_IDS, MAP, gamma=0.0)
    close(ours * 4, np_(F.cross_entropy(t(MAP), t(MAP_IDS, torch.int64))))
    close(ours, np_(kornia.losses.focal_loss(t(MAP), t(MAP_IDS, torch.int64), None, 0.0, "mean")))


@pytest.mark.parametrize("average", ["micro", "macro"])
def test_kornia_dice_loss(average):
    weight = np.array([0.5, 1.0, 2.0, 1.5])
    for ids in (MAP_IDS, MAP_IGNORED):
        for w in (None, weight):
            ours = kornia_softmax_loss(ids, MAP, kind="dice", average=average, weight=w)
            theirs = kornia.losses.dice_loss(t(MAP), t(ids, torch.int64), average, weight=None if w is None else t(w))
            close(ours, np_(theirs))
    module = kornia.losses.DiceLoss(average=average)
    close(kornia_softmax_loss(MAP_IGNORED, MAP, kind="dice", average=average), np_(module(t(MAP), t(MAP_IGNORED, torch.int64))))


@pytest.mark.parametrize("alpha, beta", [(0.5, 0.5), (0.3, 0.7), (1.0, 1.0)])
def test_kornia_tversky_loss(alpha, beta):
    for ids in (MAP_IDS, MAP_IGNORED):
        ours = kornia_softmax_loss(ids, MAP, kind="tversky", alpha=alpha, beta=beta)
        close(ours, np_(kornia.losses.tversky_loss(t(MAP), t(ids, torch.int64), alpha, beta)))
        close(ours, np_(kornia.losses.TverskyLoss(alpha, beta)(t(MAP), t(ids, torch.int64))))
    close(kornia_softmax_loss(MAP_IDS, MAP, kind="tversky", alpha=0.5, beta=0.5),
          kornia_softmax_loss(MAP_IDS, MAP, kind="dice", average="macro", eps=2e-8))  # fmt: skip


# ----------------------------------------------------------------------------- monai_focal


def monai(y, x, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np_(monai_losses.FocalLoss(**kwargs)(t(x), t(y)))


@pytest.mark.parametrize("use_softmax", [False, True])
@pytest.mark.parametrize("alpha", [None, 0.25, [0.1, 0.2, 0.3, 0.4]])
def test_monai_focal(use_softmax, alpha):
    for y in (MAP_ONE_HOT, MAP_MULTI_HOT):
        for reduction in ("none", "mean"):
            kw = dict(use_softmax=use_softmax, alpha=alpha, gamma=1.5, reduction=reduction)
            close(monai_focal(y, MAP, **kw), monai(y, MAP, **kw))
    kw = dict(use_softmax=use_softmax, alpha=alpha, to_onehot_y=True, weight=[1.0, 2.0, 0.5, 1.0], reduction="none")
    close(monai_focal(MAP_IDS[:, None], MAP, **kw), monai(MAP_IDS[:, None], MAP, **kw))
    if alpha is None or np.ndim(alpha) == 0:
        kw = dict(use_softmax=use_softmax, alpha=alpha, include_background=False, reduction="none")
        close(monai_focal(MAP_ONE_HOT, MAP, **kw), monai(MAP_ONE_HOT, MAP, **kw))


def test_monai_focal_sigmoid_is_torchvision_on_hard_labels_and_bce_at_gamma_0():
    close(monai_focal(MAP_MULTI_HOT, MAP, alpha=0.25, reduction="none"), torchvision_sigmoid_focal(MAP_MULTI_HOT, MAP, reduction="none"))
    close(monai_focal(SOFT, LOGITS, gamma=0.0, reduction="none"), np_(F.binary_cross_entropy_with_logits(t(LOGITS), t(SOFT), reduction="none")))
    # Soft targets: MONAI's focal factor is σ(−x(2y − 1))^γ, not (1 − p_t)^γ: y = 0.3, x = 2 gives 0.7269 vs 0.6497.
    y, x = np.array([[0.3]]), np.array([[2.0]])
    assert (round(monai_focal(y, x), 4), round(torchvision_sigmoid_focal(y, x, alpha=-1), 4)) == (0.7269, 0.6497)
    close(monai_focal(y, x), monai(y, x))


def test_monai_focal_reduction_quirks():
    """MONAI's "sum" sums the per-channel means over the spatial axes (on (N, C) input: the mean of
    everything), and with ignore_index its "mean" divides by pixels, not pixels × C: C times larger."""
    none = monai_focal(MAP_ONE_HOT, MAP, reduction="none")
    close(none.mean(axis=(2, 3)).sum(), monai(MAP_ONE_HOT, MAP, reduction="sum"))
    assert monai_focal(MAP_ONE_HOT, MAP, reduction="sum") > 20 * monai(MAP_ONE_HOT, MAP, reduction="sum")
    close(monai_focal(TARGETS, LOGITS, reduction="mean"), monai(TARGETS, LOGITS, reduction="sum"))
    ids = MAP_IGNORED[:, None].astype(np.float32)
    kw = dict(to_onehot_y=True, ignore_index=-100)
    close(monai_focal(ids, MAP, reduction="none", **kw), monai(ids, MAP, reduction="none", **kw))
    close(monai_focal(ids, MAP, **kw) * 4, monai(ids, MAP, **kw))  # C = 4
    close(monai_focal(MAP_IDS[:, None], MAP, to_onehot_y=True, ignore_index=7) * 4, monai(MAP_IDS[:, None], MAP, to_onehot_y=True, ignore_index=7))
    close(monai_focal(MAP_IDS[:, None], MAP, to_onehot_y=True, ignore_index=7), monai(MAP_IDS[:, None], MAP, to_onehot_y=True))


# ----------------------------------------------------------------------------- segmentation_models_pytorch


def smp_soft_bce_like(x, y, ignore_index, smooth, reduction):
    """SoftBCEWithLogitsLoss as smp's source computes it, in torch ops."""
    soft = y if smooth is None else (1 - y) * smooth + y * (1 - smooth)
    loss = F.binary_cross_entropy_with_logits(x, soft, reduction="none") * (y != ignore_index)
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("smooth", [None, 0.1])
def test_smp_soft_bce(reduction, smooth):
    y = MAP_MULTI_HOT.copy()
    y[0, 1, 2, 3] = y[2, 0, 0, 0] = -100.0
    close(smp_soft_bce(y, MAP, smooth_factor=smooth, reduction=reduction), np_(smp_soft_bce_like(t(MAP), t(y), -100, smooth, reduction)))
    close(smp_soft_bce(TARGETS, LOGITS, smooth_factor=smooth, reduction=reduction),
          np_(smp_soft_bce_like(t(LOGITS), t(TARGETS), -100, smooth, reduction)))  # fmt: skip


def test_smp_soft_bce_smoothing_is_keras_at_twice_the_factor():
    ours = smp_soft_bce(TARGETS, LOGITS, smooth_factor=0.1)
    close(ours, float(np_(keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)(TARGETS, LOGITS))))
    pos_weight = np.array([1.0, 2.0, 0.5, 3.0, 1.0])
    theirs = F.binary_cross_entropy_with_logits(t(LOGITS), t(TARGETS), pos_weight=t(pos_weight))
    close(smp_soft_bce(TARGETS, LOGITS, pos_weight=pos_weight), np_(theirs))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("smooth", [0.0, 0.1])
def test_smp_soft_ce(reduction, smooth):
    """Without ignored labels it is CrossEntropyLoss(label_smoothing=s); ignored pixels are 0 and stay in the mean."""
    x = t(MAP)
    close(smp_soft_ce(MAP_IDS, MAP, smooth_factor=smooth, reduction=reduction),
          np_(F.cross_entropy(x, t(MAP_IDS, torch.int64), label_smoothing=smooth, reduction=reduction)))  # fmt: skip
    valid = t(MAP_IGNORED != -100)
    per_pixel = F.cross_entropy(x, t(np.where(MAP_IGNORED == -100, 0, MAP_IGNORED), torch.int64), label_smoothing=smooth, reduction="none") * valid
    expected = {"none": per_pixel, "mean": per_pixel.mean(), "sum": per_pixel.sum()}[reduction]
    close(smp_soft_ce(MAP_IGNORED, MAP, smooth_factor=smooth, reduction=reduction), np_(expected))
    close(smp_soft_ce(IDS, LOGITS, smooth_factor=smooth, reduction=reduction),
          np_(F.cross_entropy(t(LOGITS), t(IDS, torch.int64), label_smoothing=smooth, reduction=reduction)))  # fmt: skip


def test_smp_soft_ce_mean_counts_ignored_pixels():
    """torch divides by the 88 kept pixels of 90, smp by all 90: 90/88 = 1.0227 times smaller."""
    ours = smp_soft_ce(MAP_IGNORED, MAP, smooth_factor=0.1)
    torch_mean = float(np_(F.cross_entropy(t(MAP), t(MAP_IGNORED, torch.int64), label_smoothing=0.1)))
    close(ours * 90 / 88, torch_mean)


# ----------------------------------------------------------------------------- timm


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_timm_binary_ce(reduction, smoothing):
    rows = torch.full((len(IDS), 5), smoothing / 5).scatter_(1, t(IDS, torch.int64)[:, None], 1 - smoothing + smoothing / 5)
    close(timm_binary_ce(IDS, LOGITS, smoothing=smoothing, reduction=reduction),
          np_(F.binary_cross_entropy_with_logits(t(LOGITS), rows, reduction=reduction)))  # fmt: skip
    # Targets of the logits' shape are used as they are: no smoothing.
    close(timm_binary_ce(SOFT, LOGITS, smoothing=smoothing, reduction=reduction),
          np_(F.binary_cross_entropy_with_logits(t(LOGITS), t(SOFT), reduction=reduction)))  # fmt: skip
    pos_weight, weight = np.array([1.0, 2.0, 0.5, 3.0, 1.0]), np.array([0.5, 1.0, 2.0, 1.5, 1.0])
    expected = F.binary_cross_entropy_with_logits(t(LOGITS), (rows > 0.2).float(), t(weight), pos_weight=t(pos_weight), reduction=reduction)
    ours = timm_binary_ce(IDS, LOGITS, smoothing=smoothing, target_threshold=0.2, weight=weight, pos_weight=pos_weight, reduction=reduction)
    close(ours, np_(expected))
    summed = F.binary_cross_entropy_with_logits(t(LOGITS), rows, reduction="none").sum(-1).mean()
    close(timm_binary_ce(IDS, LOGITS, smoothing=smoothing, sum_classes=True, reduction=reduction), np_(summed))


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
def test_timm_label_smoothing_ce(smoothing):
    for reduction in ("none", "mean", "sum"):
        close(timm_label_smoothing_ce(IDS, LOGITS, smoothing=smoothing, reduction=reduction),
              np_(F.cross_entropy(t(LOGITS), t(IDS, torch.int64), label_smoothing=smoothing, reduction=reduction)))  # fmt: skip
    keras_loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing)
    close(timm_label_smoothing_ce(IDS, LOGITS, smoothing=smoothing), float(np_(keras_loss(ONE_HOT, LOGITS))))
    smoothed = optax.smooth_labels(ONE_HOT, smoothing)
    close(timm_label_smoothing_ce(IDS, LOGITS, smoothing=smoothing, reduction="none"), np.asarray(optax.softmax_cross_entropy(LOGITS, smoothed)))


def test_timm_soft_target_ce():
    soft = SOFT / SOFT.sum(-1, keepdims=True)
    for y in (soft, ONE_HOT):
        for reduction in ("none", "mean", "sum"):
            close(timm_soft_target_ce(y, LOGITS, reduction=reduction), np_(F.cross_entropy(t(LOGITS), t(y), reduction=reduction)))
        close(timm_soft_target_ce(y, LOGITS, reduction="none"), np.asarray(optax.softmax_cross_entropy(LOGITS, y)))
        close(timm_soft_target_ce(y, LOGITS), float(np_(keras.losses.CategoricalCrossentropy(from_logits=True)(y, LOGITS))))
    close(timm_soft_target_ce(ONE_HOT, LOGITS), timm_label_smoothing_ce(IDS, LOGITS, smoothing=0.0))


# ----------------------------------------------------------------------------- rules/explain/focal.yaml


def test_explain_entries_name_these_references():
    yaml = pytest.importorskip("yaml")
    from lossadvisor.reference import functions

    entries = yaml.safe_load((Path(__file__).resolve().parents[1] / "rules" / "explain" / "focal.yaml").read_text(encoding="utf-8"))
    ids = {"binary_focal_crossentropy", "categorical_focal_crossentropy", "keras_cv_focal", "torchvision_sigmoid_focal", "kornia_binary_focal",
           "kornia_softmax_loss", "monai_focal", "smp_soft_bce", "smp_soft_ce", "timm_binary_ce", "timm_label_smoothing_ce",
           "timm_soft_target_ce"}  # fmt: skip
    assert set(entries) == ids
    for loss_id, entry in entries.items():
        assert functions()[entry["reference"]].__module__ == "lossadvisor.reference.focal", loss_id
        assert {"formula", "latex", "compared_with", "tolerance"} <= set(entry), loss_id
