"""The segmentation references (lossadvisor.reference.segmentation) against Keras 3 (channels-last),
optax (channels-last), MONAI (channels-first) and kornia, on random and edge inputs (probabilities
at 0 and 1, logits ±30/±80, empty classes, ignore labels), every reduction, class weights.
segmentation_models_pytorch does not install here: `smp_region_loss` is checked against the MONAI
and kornia losses it equals and against torch compositions. Tolerance: rtol 1e-5, atol 1e-6 (the
frameworks compute in float32, the reference in float64); 1e-4 where logits reach ±80 or sums are long."""

from __future__ import annotations

import numpy as np
import pytest

from lossadvisor.reference import (
    binary_dice_from_logits,
    dice,
    dice_from_logits,
    generalized_dice_from_logits,
    monai_compound_dice,
    monai_region_loss,
    smp_region_loss,
    tversky,
)

from reference_helpers import close, t

pytestmark = pytest.mark.frameworks
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
optax = pytest.importorskip("optax")
monai = pytest.importorskip("monai")
kornia = pytest.importorskip("kornia")
from monai.losses import DiceCELoss, DiceFocalLoss, DiceLoss, GeneralizedDiceLoss, MaskedDiceLoss, TverskyLoss  # noqa: E402

RNG = np.random.default_rng(0)
N, C, H, W = 3, 4, 5, 6


def n(x):
    return np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float64)


# channels-first logits with saturated pixels, class ids where every class occurs in every sample
LOGITS_CF = RNG.normal(0, 2, (N, C, H, W)).astype(np.float32)
LOGITS_CF[0, :, 0, 0] = [30.0, -30.0, 80.0, -80.0]
IDS = RNG.integers(0, C, (N, H, W))
IDS[:, 0, :C] = np.arange(C)
ONEHOT_CF = np.moveaxis(np.eye(C)[IDS], -1, 1).astype(np.float32)
LOGITS_CL, ONEHOT_CL = np.moveaxis(LOGITS_CF, 1, -1).copy(), np.moveaxis(ONEHOT_CF, 1, -1).copy()
PROBS_CL = (1 / (1 + np.exp(-LOGITS_CL.astype(np.float64)))).astype(np.float32)
PROBS_CL[0, 0, 1] = [0.0, 1.0, 1.0, 0.0]  # exact 0 and 1
MULTIHOT_CF = (RNG.random((N, C, H, W)) > 0.5).astype(np.float32)


# ---------------------------------------------------------------------------------------- Keras


@pytest.mark.parametrize("axis", [None, (1, 2, 3), (1, 2)])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", None])
def test_dice_against_keras_channels_last(axis, reduction):
    theirs = keras.losses.Dice(axis=axis, reduction=reduction)(ONEHOT_CL, PROBS_CL)
    ours = dice(ONEHOT_CL, PROBS_CL, axis=axis, epsilon=1e-7, reduction={None: "none", "sum": "sum"}.get(reduction, "mean"))
    close(ours, n(theirs))
    close(dice(ONEHOT_CL, PROBS_CL, axis=axis, epsilon=1e-7, reduction="none"), n(keras.losses.dice(ONEHOT_CL, PROBS_CL, axis=axis)))


def test_keras_dice_default_axis_pools_the_batch():
    """axis=None gives one Dice for the whole batch, not the mean of per-sample Dice values."""
    pooled = dice(ONEHOT_CL, PROBS_CL)
    per_sample = dice(ONEHOT_CL, PROBS_CL, axis=(1, 2, 3))
    assert abs(pooled - per_sample) > 1e-4
    close(pooled, n(keras.losses.Dice()(ONEHOT_CL, PROBS_CL)))
    # a perfect 100-pixel object in one image, a missed 4-pixel one in the other (explain quotes these)
    y, p = np.zeros((2, 12, 12, 1), np.float32), np.zeros((2, 12, 12, 1), np.float32)
    y[0, :10, :10], p[0, :10, :10], y[1, :2, :2] = 1, 1, 1
    close(n(keras.losses.Dice()(y, p)), 1 - 200 / 204, rtol=1e-5)
    close(n(keras.losses.Dice(axis=(1, 2, 3))(y, p)), 0.5, rtol=1e-5)
    close(dice(y, p), 1 - 200 / 204)


def test_dice_empty_mask_needs_keras_epsilon():
    empty = np.zeros((1, 2, 2, 1), np.float32)
    assert float(n(keras.losses.Dice()(empty, empty))) == 1.0  # 1 − 0/(0 + 1e-7)
    assert dice(empty, empty, epsilon=1e-7) == 1.0
    with np.errstate(invalid="ignore"):
        assert np.isnan(dice(empty, empty))  # the exact formula is 0/0


def _keras_tversky_is_swapped():
    major, minor, patch = (int(part) for part in keras.__version__.split(".")[:3])
    return (major, minor) <= (3, 15)


@pytest.mark.parametrize("axis", [None, (1, 2, 3)])
def test_tversky_against_keras(axis):
    alpha, beta = 0.7, 0.3
    theirs = n(keras.losses.Tversky(alpha=alpha, beta=beta, axis=axis, reduction=None)(ONEHOT_CL, PROBS_CL))
    if _keras_tversky_is_swapped():  # Keras <= 3.15: `alpha` multiplies Σ(1 − p)·y, the false negatives
        close(tversky(ONEHOT_CL, PROBS_CL, alpha=beta, beta=alpha, axis=axis, epsilon=1e-7, reduction="none"), theirs)
        assert np.all(np.abs(tversky(ONEHOT_CL, PROBS_CL, alpha=alpha, beta=beta, axis=axis, reduction="none") - theirs) > 1e-3)
    else:
        close(tversky(ONEHOT_CL, PROBS_CL, alpha=alpha, beta=beta, axis=axis, epsilon=1e-7, reduction="none"), theirs)
    close(tversky(ONEHOT_CL, PROBS_CL, axis=axis, epsilon=1e-7), n(keras.losses.Tversky(axis=axis)(ONEHOT_CL, PROBS_CL)))
    # alpha = beta = 1/2 is the Dice loss
    close(tversky(ONEHOT_CL, PROBS_CL, axis=axis), dice(ONEHOT_CL, PROBS_CL, axis=axis))


def test_tversky_against_kornia_alpha_weighs_false_positives():
    """kornia's tversky_loss (softmax inside, every class present in every sample) is the mean over
    samples and classes of our tversky with sums over (H, W): its alpha weighs false positives."""
    probs = np.moveaxis(np.exp(LOGITS_CL - LOGITS_CL.max(-1, keepdims=True)) / np.exp(LOGITS_CL - LOGITS_CL.max(-1, keepdims=True)).sum(-1, keepdims=True), -1, 1)
    theirs = kornia.losses.tversky_loss(t(LOGITS_CF), t(IDS, torch.int64), alpha=0.7, beta=0.3, eps=1e-8)
    close(tversky(ONEHOT_CF, probs, alpha=0.7, beta=0.3, axis=(2, 3), epsilon=1e-8), n(theirs))


def test_dice_against_kornia_micro():
    """kornia dice_loss(average='micro') is one Dice per sample over classes and pixels (softmax inside)."""
    probs = np.exp(LOGITS_CF - LOGITS_CF.max(1, keepdims=True))
    probs = probs / probs.sum(1, keepdims=True)
    close(dice(ONEHOT_CF, probs, axis=(1, 2, 3), epsilon=1e-8), n(kornia.losses.dice_loss(t(LOGITS_CF), t(IDS, torch.int64))))


# ---------------------------------------------------------------------------------------- optax


@pytest.mark.parametrize("kwargs", [{}, {"class_weights": [0.5, 1.0, 2.0, 0.0]}, {"ignore_background": True},
                                    {"alpha": 0.3, "beta": 0.7}, {"smooth": 0.0}, {"axis": (1,)},
                                    {"class_weights": [0.5, 1.0, 2.0, 3.0], "ignore_background": True}])  # fmt: skip
def test_dice_from_logits_against_optax(kwargs):
    kwargs = {k: (np.asarray(v, np.float32) if k == "class_weights" else v) for k, v in kwargs.items()}
    theirs = optax.losses.dice_loss(LOGITS_CL, ONEHOT_CL, **kwargs)
    close(dice_from_logits(ONEHOT_CL, LOGITS_CL, reduction="none", **kwargs), n(theirs), rtol=1e-4)
    close(dice_from_logits(ONEHOT_CL, LOGITS_CL, **kwargs), float(np.mean(n(theirs))), rtol=1e-4)
    per_class = n(optax.losses.dice_loss(LOGITS_CL, ONEHOT_CL, reduction="none", **kwargs))
    close(dice_from_logits(ONEHOT_CL, LOGITS_CL, reduction="none", **kwargs), per_class.mean(-1), rtol=1e-4)
    close(n(optax.losses.dice_loss(LOGITS_CL, ONEHOT_CL, reduction="sum", **kwargs)), per_class.sum(-1), rtol=1e-4)


def test_dice_from_logits_probabilities_and_single_channel():
    probs = np.exp(LOGITS_CL - LOGITS_CL.max(-1, keepdims=True))
    probs = (probs / probs.sum(-1, keepdims=True)).astype(np.float32)
    theirs = optax.losses.dice_loss(probs, ONEHOT_CL, apply_softmax=False)
    close(dice_from_logits(ONEHOT_CL, probs, apply_softmax=False, reduction="none"), n(theirs), rtol=1e-4)
    mask, logit = ONEHOT_CL[..., 1:2], LOGITS_CL[..., 1:2]  # C = 1: the sigmoid
    close(dice_from_logits(mask, logit, reduction="none"), n(optax.losses.dice_loss(logit, mask)), rtol=1e-4)


def test_optax_dice_loss_softmaxes_the_last_axis_of_unchanneled_binary_masks():
    """Binary masks (N, H, W) without a trailing 1: dice_loss takes W as the class axis (softmax over it)."""
    mask, logit = ONEHOT_CL[..., 1], LOGITS_CL[..., 1]
    wrong = n(optax.losses.dice_loss(logit, mask))
    close(dice_from_logits(mask, logit, reduction="none"), wrong, rtol=1e-4)  # C = W
    right = binary_dice_from_logits(mask, logit, reduction="none")
    assert np.max(np.abs(wrong - right)) > 0.01


@pytest.mark.parametrize("shape", ["N,H,W", "N,H,W,1"])
def test_binary_dice_from_logits_against_optax(shape):
    mask, logit = MULTIHOT_CF[:, 0], LOGITS_CF[:, 0] * 3  # reaches ±80 scaled: ±240 after the sigmoid is 0/1
    if shape == "N,H,W,1":
        mask, logit = mask[..., None], logit[..., None]
    theirs = optax.losses.binary_dice_loss(logit, mask)
    close(binary_dice_from_logits(mask, logit, reduction="none"), n(theirs), rtol=1e-4)
    close(binary_dice_from_logits(mask, logit), float(np.mean(n(theirs))), rtol=1e-4)
    close(binary_dice_from_logits(mask, logit, smooth=0.0, reduction="none"), n(optax.losses.binary_dice_loss(logit, mask, smooth=0.0)), rtol=1e-4)


def test_optax_binary_dice_apply_sigmoid_false_rejects_probabilities():
    """optax 0.2.8 forwards apply_sigmoid=False as dice_loss(apply_softmax=False), which requires the
    single channel to sum to 1: every probability map that is not all ones raises."""
    probs = (1 / (1 + np.exp(-LOGITS_CF[:, 0]))).astype(np.float32)
    with pytest.raises(ValueError, match="sum to 1"):
        optax.losses.binary_dice_loss(probs, MULTIHOT_CF[:, 0], apply_sigmoid=False)
    ones = np.ones_like(probs)
    close(binary_dice_from_logits(MULTIHOT_CF[:, 0], ones, apply_sigmoid=False, reduction="none"),
          n(optax.losses.binary_dice_loss(ones, MULTIHOT_CF[:, 0], apply_sigmoid=False)), rtol=1e-5)  # fmt: skip


@pytest.mark.parametrize("ignore_background", [False, True])
def test_generalized_dice_from_logits_against_optax(ignore_background):
    theirs = float(optax.losses.multiclass_generalized_dice_loss(LOGITS_CL, ONEHOT_CL, ignore_background=ignore_background))
    close(generalized_dice_from_logits(ONEHOT_CL, LOGITS_CL, ignore_background=ignore_background, epsilon=1e-7), theirs, rtol=1e-4)
    close(generalized_dice_from_logits(ONEHOT_CL, LOGITS_CL, ignore_background=ignore_background), theirs, rtol=1e-4)


def test_generalized_dice_from_logits_absent_class_dominates():
    """A class absent from the batch gets weight 1/1e-7: after scaling to mean 1 it takes ≈ C and the rest ≈ 0."""
    ids = np.where(IDS == 3, 0, IDS)
    onehot = np.eye(C, dtype=np.float32)[ids]
    theirs = float(optax.losses.multiclass_generalized_dice_loss(LOGITS_CL, onehot))
    close(generalized_dice_from_logits(onehot, LOGITS_CL, epsilon=1e-7), theirs, rtol=1e-4)
    only_absent = float(np.mean(n(optax.losses.dice_loss(LOGITS_CL, onehot, reduction="none"))[..., 3]))
    close(theirs, only_absent, rtol=1e-4)


# ---------------------------------------------------------------------------------------- MONAI

MONAI_CASES = [
    ({"softmax": True}, ONEHOT_CF),
    ({"sigmoid": True}, MULTIHOT_CF),
    ({"softmax": True, "to_onehot_y": True}, IDS[:, None]),
    ({"softmax": True, "to_onehot_y": True, "include_background": False}, IDS[:, None]),
    ({"sigmoid": True, "batch": True}, MULTIHOT_CF),
    ({"smooth_nr": 0.0, "smooth_dr": 1e-6, "softmax": True}, ONEHOT_CF),
    ({}, MULTIHOT_CF),  # probabilities in (here: logits as they are, what MONAI computes without an activation)
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("kwargs,target", MONAI_CASES)
@pytest.mark.parametrize("extra", [{}, {"squared_pred": True}, {"jaccard": True}, {"weight": [0.5, 1.0, 2.0]}])
def test_monai_dice_loss(kwargs, target, extra, reduction):
    extra = dict(extra)
    if "weight" in extra:
        extra["weight"] = extra["weight"] + ([] if kwargs.get("include_background") is False else [3.0])
    theirs = DiceLoss(reduction=reduction, **kwargs, **extra)(t(LOGITS_CF), t(target))
    ours = monai_region_loss(target, LOGITS_CF, reduction=reduction, **kwargs, **extra)
    close(np.reshape(ours, -1), n(theirs).reshape(-1), rtol=1e-4)


def test_monai_dice_other_act_and_masked():
    close(monai_region_loss(ONEHOT_CF, LOGITS_CF, other_act=np.tanh), n(DiceLoss(other_act=torch.tanh)(t(LOGITS_CF), t(ONEHOT_CF))), rtol=1e-4)
    mask = (RNG.random((N, 1, H, W)) > 0.3).astype(np.float32)
    theirs = MaskedDiceLoss(softmax=True, reduction="none")(t(LOGITS_CF), t(ONEHOT_CF), mask=t(mask))
    close(monai_region_loss(ONEHOT_CF, LOGITS_CF, softmax=True, mask=mask, reduction="none").reshape(-1), n(theirs).reshape(-1), rtol=1e-4)


@pytest.mark.parametrize("loss_class", ["dice", "tversky"])
def test_monai_ignore_index(loss_class):
    ids = IDS[:, None].copy()
    ids[:, :, 2:4, 1:3] = 255
    cls = {"dice": DiceLoss, "tversky": TverskyLoss}[loss_class]
    theirs = cls(softmax=True, to_onehot_y=True, ignore_index=255, reduction="none")(t(LOGITS_CF), t(ids))
    ours = monai_region_loss(ids, LOGITS_CF, loss=loss_class, softmax=True, to_onehot_y=True, ignore_index=255, reduction="none")
    close(ours.reshape(-1), n(theirs).reshape(-1), rtol=1e-4)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("kwargs", [{"softmax": True}, {"softmax": True, "alpha": 0.3, "beta": 0.7}, {"sigmoid": True, "batch": True},
                                    {"softmax": True, "include_background": False}, {"softmax": True, "to_onehot_y": True}])  # fmt: skip
def test_monai_tversky_loss(kwargs, reduction):
    target = IDS[:, None] if kwargs.get("to_onehot_y") else ONEHOT_CF
    theirs = TverskyLoss(reduction=reduction, **kwargs)(t(LOGITS_CF), t(target))
    close(np.reshape(monai_region_loss(target, LOGITS_CF, loss="tversky", reduction=reduction, **kwargs), -1), n(theirs).reshape(-1), rtol=1e-4)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("w_type", ["square", "simple", "uniform"])
@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("absent", [False, True])
def test_monai_generalized_dice_loss(w_type, batch, absent, reduction):
    onehot = ONEHOT_CF.copy()
    if absent:  # class 3 absent from sample 0: its infinite weight becomes the largest finite one
        onehot[0, 0] += onehot[0, 3]
        onehot[0, 3] = 0
    theirs = GeneralizedDiceLoss(softmax=True, w_type=w_type, batch=batch, reduction=reduction)(t(LOGITS_CF), t(onehot))
    ours = monai_region_loss(onehot, LOGITS_CF, loss="generalized_dice", softmax=True, w_type=w_type, batch=batch, reduction=reduction)
    close(np.reshape(ours, -1), n(theirs).reshape(-1), rtol=1e-4)


@pytest.mark.parametrize("kwargs,target", [
    ({"softmax": True, "to_onehot_y": True}, IDS[:, None]),
    ({"softmax": True}, ONEHOT_CF),
    ({"softmax": True, "to_onehot_y": True, "lambda_dice": 0.3, "lambda_ce": 2.0}, IDS[:, None]),
    ({"softmax": True, "to_onehot_y": True, "weight": [0.5, 1.0, 2.0, 3.0]}, IDS[:, None]),
    ({"softmax": True, "weight": [0.5, 1.0, 2.0, 3.0]}, ONEHOT_CF),
    ({"softmax": True, "to_onehot_y": True, "label_smoothing": 0.1}, IDS[:, None]),
    ({"softmax": True, "label_smoothing": 0.1}, ONEHOT_CF),
    ({"softmax": True, "to_onehot_y": True, "include_background": False, "weight": [0.5, 1.0, 2.0, 3.0]}, IDS[:, None]),
    ({"sigmoid": True, "batch": True}, ONEHOT_CF),
    ({}, ONEHOT_CF),  # no activation: the Dice term takes the raw logits
])  # fmt: skip
def test_monai_dice_ce(kwargs, target):
    torch_kwargs = {k: (t(v) if k == "weight" else v) for k, v in kwargs.items()}
    theirs = DiceCELoss(**torch_kwargs)(t(LOGITS_CF), t(target))
    close(monai_compound_dice(target, LOGITS_CF, **kwargs), n(theirs), rtol=1e-4)


def test_monai_dice_ce_single_channel_is_bce():
    logit, mask = LOGITS_CF[:, :1], MULTIHOT_CF[:, :1]
    close(monai_compound_dice(mask, logit, sigmoid=True), n(DiceCELoss(sigmoid=True)(t(logit), t(mask))), rtol=1e-4)
    theirs = DiceCELoss(sigmoid=True, weight=t([2.0]))(t(logit), t(mask))
    close(monai_compound_dice(mask, logit, sigmoid=True, weight=[2.0]), n(theirs), rtol=1e-4)


@pytest.mark.parametrize("kwargs,target", [
    ({"sigmoid": True}, MULTIHOT_CF),
    ({"softmax": True, "to_onehot_y": True}, IDS[:, None]),
    ({"sigmoid": True, "gamma": 0.0, "lambda_focal": 0.5}, MULTIHOT_CF),
    ({"sigmoid": True, "include_background": False}, MULTIHOT_CF),
    ({"sigmoid": True, "weight": [0.5, 1.0, 2.0, 3.0]}, MULTIHOT_CF),
])  # fmt: skip
def test_monai_dice_focal(kwargs, target):
    theirs = DiceFocalLoss(**kwargs)(t(LOGITS_CF), t(target))
    close(monai_compound_dice(target, LOGITS_CF, second="focal", **kwargs), n(theirs), rtol=1e-4)


# ---------------------------------------------------------------- segmentation_models_pytorch (source)


def _all_present_batch():
    return LOGITS_CF, IDS, ONEHOT_CF


def test_smp_dice_jaccard_tversky_multiclass_equal_monai_with_batch_sums():
    """SMP sums over the batch and the pixels (dims (0, 2)), smooth 0: MONAI with batch=True and no smoothing."""
    logits, ids, onehot = _all_present_batch()
    flat = {"batch": True, "smooth_nr": 0.0, "smooth_dr": 0.0, "softmax": True, "to_onehot_y": True}
    close(smp_region_loss(ids, logits, mode="multiclass"), n(DiceLoss(**flat)(t(logits), t(ids[:, None]))), rtol=1e-4)
    close(smp_region_loss(ids, logits, mode="multiclass", loss="jaccard"), n(DiceLoss(jaccard=True, **flat)(t(logits), t(ids[:, None]))), rtol=1e-4)
    theirs = TverskyLoss(alpha=0.3, beta=0.7, **flat)(t(logits), t(ids[:, None]))
    close(smp_region_loss(ids, logits, mode="multiclass", loss="tversky", alpha=0.3, beta=0.7), n(theirs), rtol=1e-4)
    close(smp_region_loss(ids, logits, mode="multiclass", loss="tversky", alpha=0.3, beta=0.7, gamma=2.0), n(theirs) ** 2, rtol=1e-4)


def _torch_smp_scores(probs, onehot, alpha, beta, smooth=0.0):
    """Per class over batch and pixels, written with torch ops from the formula."""
    tp = (probs * onehot).sum((0, 2, 3))
    fp, fn = probs.sum((0, 2, 3)) - tp, onehot.sum((0, 2, 3)) - tp
    return (tp + smooth) / (tp + alpha * fp + beta * fn + smooth)


def test_smp_absent_class_is_zero_not_excluded_and_class_weights():
    logits = torch.tensor(LOGITS_CF)
    ids = np.where(IDS == 3, 0, IDS)
    onehot = torch.nn.functional.one_hot(torch.tensor(ids), C).permute(0, 3, 1, 2).float()
    loss = (1 - _torch_smp_scores(logits.softmax(1), onehot, 0.5, 0.5, smooth=1.0)) * (onehot.sum((0, 2, 3)) > 0)
    close(smp_region_loss(ids, LOGITS_CF, mode="multiclass", smooth=1.0, reduction="none"), n(loss), rtol=1e-4)
    close(smp_region_loss(ids, LOGITS_CF, mode="multiclass", smooth=1.0), n(loss.sum() / C), rtol=1e-4)  # divides by all C
    w = torch.tensor([0.5, 1.0, 2.0, 3.0])
    close(smp_region_loss(ids, LOGITS_CF, mode="multiclass", smooth=1.0, class_weights=w.numpy()), n((loss * w).sum() / w.sum()), rtol=1e-4)
    close(smp_region_loss(ids, LOGITS_CF, mode="multiclass", smooth=1.0, classes=[1, 2]), n(loss[1:3].mean()), rtol=1e-4)
    log_loss = -torch.log(_torch_smp_scores(logits.softmax(1), onehot, 0.5, 0.5).clamp_min(1e-7)) * (onehot.sum((0, 2, 3)) > 0)
    close(smp_region_loss(ids, LOGITS_CF, mode="multiclass", log_loss=True, eps=1e-7), n(log_loss.mean()), rtol=1e-4)


def test_smp_ignore_index_and_binary_multilabel():
    ids = IDS.copy()
    ids[:, 2:4, 1:3] = 255
    keep = torch.tensor(ids != 255)[:, None].float()
    onehot = torch.nn.functional.one_hot(torch.tensor(np.where(ids == 255, 0, ids)), C).permute(0, 3, 1, 2).float() * keep
    probs = torch.tensor(LOGITS_CF).softmax(1) * keep
    close(smp_region_loss(ids, LOGITS_CF, mode="multiclass", ignore_index=255), n((1 - _torch_smp_scores(probs, onehot, 0.5, 0.5)).mean()), rtol=1e-4)
    # multilabel: sigmoid per channel; binary: one channel; probabilities with from_logits=False
    probs = torch.sigmoid(torch.tensor(LOGITS_CF))
    expected = (1 - _torch_smp_scores(probs, torch.tensor(MULTIHOT_CF), 0.5, 0.5)).mean()
    close(smp_region_loss(MULTIHOT_CF, LOGITS_CF, mode="multilabel"), n(expected), rtol=1e-4)
    close(smp_region_loss(MULTIHOT_CF, n(probs), mode="multilabel", from_logits=False), n(expected), rtol=1e-4)
    expected = 1 - _torch_smp_scores(probs[:, :1], torch.tensor(MULTIHOT_CF[:, :1]), 0.5, 0.5)
    close(smp_region_loss(MULTIHOT_CF[:, :1], LOGITS_CF[:, :1], mode="binary"), n(expected[0]), rtol=1e-4)
    close(smp_region_loss(MULTIHOT_CF[:, 0], LOGITS_CF[:, :1], mode="binary"), n(expected[0]), rtol=1e-4)  # (N, H, W) masks


def test_smp_focal_is_per_class_sigmoid_focal():
    """SMP FocalLoss (multiclass, logits) is a one-vs-rest sigmoid focal loss per class: MONAI's FocalLoss
    with sigmoid on one-hot targets, and torchvision's sigmoid_focal_loss written out."""
    focal = monai.losses.FocalLoss(gamma=2.0, use_softmax=False)(t(LOGITS_CF), t(ONEHOT_CF))
    close(smp_region_loss(IDS, LOGITS_CF, mode="multiclass", loss="focal"), n(focal), rtol=1e-4)
    x, y = torch.tensor(LOGITS_CF[:, 0]), torch.tensor(MULTIHOT_CF[:, 0])
    p = torch.sigmoid(x)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(x, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    expected = (0.25 * y + 0.75 * (1 - y)) * ce * (1 - p_t) ** 2
    close(smp_region_loss(MULTIHOT_CF[:, 0], LOGITS_CF[:, 0], mode="binary", loss="focal", alpha=0.25), n(expected.mean()), rtol=1e-4)


def test_smp_focal_multiclass_probabilities_are_read_as_log_odds():
    """from_logits=False in multiclass mode feeds log(p) to the sigmoid focal term: not the loss of the logits."""
    probs = np.moveaxis(np.exp(LOGITS_CL - LOGITS_CL.max(-1, keepdims=True)), -1, 1)
    probs = probs / probs.sum(1, keepdims=True)
    from_probs = smp_region_loss(IDS, probs, mode="multiclass", loss="focal", from_logits=False, eps=1e-7)
    focal = monai.losses.FocalLoss(gamma=2.0, use_softmax=False)(t(np.log(np.clip(probs, 1e-7, 1 - 1e-7))), t(ONEHOT_CF))
    close(from_probs, n(focal), rtol=1e-4)
    assert abs(from_probs - smp_region_loss(IDS, LOGITS_CF, mode="multiclass", loss="focal")) > 1e-3


@pytest.mark.parametrize("per_image", [True, False])
def test_smp_lovasz_against_kornia(per_image):
    x, y = LOGITS_CF[:, :1], MULTIHOT_CF[:, 0]
    if per_image:
        theirs = kornia.losses.lovasz_hinge_loss(t(x), t(y, torch.int64))
    else:  # one image made of the whole batch
        theirs = kornia.losses.lovasz_hinge_loss(t(x.reshape(1, 1, N * H, W)), t(y.reshape(1, N * H, W), torch.int64))
    close(smp_region_loss(y, x, mode="binary", loss="lovasz", per_image=per_image), n(theirs), rtol=1e-4)
    # multiclass over present classes; kornia averages every class: equal when all are present
    theirs = kornia.losses.lovasz_softmax_loss(t(LOGITS_CF.transpose(1, 0, 2, 3).reshape(1, C, N * H, W)), t(IDS.reshape(1, N * H, W), torch.int64))
    close(smp_region_loss(IDS, LOGITS_CF, mode="multiclass", loss="lovasz"), n(theirs), rtol=1e-4)
