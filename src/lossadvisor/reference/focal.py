"""Reference implementations: focal losses, and the crossentropy variants of timm, kornia, MONAI and
segmentation_models_pytorch (see lossadvisor/reference/crossentropy.py for the conventions).

The focal loss multiplies crossentropy by (1 − p_t)^γ, p_t being the probability given to the true
label; α weights classes, but not the same way everywhere: Keras binary and optax, torchvision and
kornia binary weight positives by α and negatives by 1 − α; Keras categorical multiplies every class
by α; kornia FocalLoss and MONAI with softmax weight class 0 (background) by 1 − α and the others by α.
Libraries with channels first take (N, C, …) logits; losses that take class ids take them as (N, …).
Where a library keeps zeros for the other classes of an (N, C, …) map, "none" returns that map, so
that "mean" divides by what the library divides by.
"""

from __future__ import annotations

import numpy as np

from lossadvisor.reference._common import as_float, log_sigmoid, log_softmax, one_hot, reduce, softmax
from lossadvisor.reference.crossentropy import binary_crossentropy


def _channels(values, ndim):
    """A per-class vector (C,) shaped to broadcast along axis 1 of an (N, C, …) array."""
    return as_float(values).reshape(-1, *([1] * (ndim - 2)))


def _channels_first_one_hot(ids, num_classes):
    """(N, …) class ids -> (N, C, …) one-hot; ids outside [0, C) give an all-zero column."""
    return np.moveaxis(one_hot(ids, num_classes), -1, 1)


def binary_focal_crossentropy(y_true, y_pred, *, from_logits=False, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              label_smoothing=0.0, epsilon=None, reduction="mean"):  # fmt: skip
    """(1 − p_t)^γ · bce(y, p), p_t = y·p + (1 − y)·(1 − p), × (α·y + (1 − α)(1 − y)) if apply_class_balancing."""
    y = as_float(y_true)
    y = y * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits and epsilon is None:  # exact, in log space
        p, not_p = np.exp(log_sigmoid(y_pred)), np.exp(log_sigmoid(-as_float(y_pred)))
        bce = binary_crossentropy(y, y_pred, from_logits=True, reduction="none")
    else:  # Keras: sigmoid first, then the clipped-probability BCE (epsilon=1e-7), even from logits
        p = np.exp(log_sigmoid(y_pred)) if from_logits else as_float(y_pred)
        not_p = 1.0 - p
        bce = binary_crossentropy(y, p, epsilon=epsilon, reduction="none")
    one_minus_p_t = y * not_p + (1.0 - y) * p
    values = one_minus_p_t**gamma * bce
    if apply_class_balancing:
        values = (alpha * y + (1.0 - alpha) * (1.0 - y)) * values
    return reduce(values, reduction)


def keras_cv_focal(y_true, y_pred, *, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, epsilon=1e-7,
                   reduction="mean"):  # fmt: skip
    """Keras's binary focal crossentropy with the α balance always on, summed over the last axis:
    Σ_c α_t·(1 − p_t)^γ·bce(y, p) per sample, p = σ(x) first when from_logits (then clipped like
    Keras). α_t is α where the smoothed target equals 1, else 1 − α: with label smoothing no target
    does, and every entry gets 1 − α."""
    values = binary_focal_crossentropy(
        y_true, y_pred, from_logits=from_logits, alpha=alpha, gamma=gamma, label_smoothing=label_smoothing,
        epsilon=epsilon, reduction="none",
    )  # fmt: skip
    smoothed = as_float(y_true) * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return reduce(np.sum(np.where(smoothed == 1.0, alpha, 1.0 - alpha) * values, axis=-1), reduction)


def categorical_focal_crossentropy(y_true, y_pred, *, from_logits=False, alpha=0.25, gamma=2.0, label_smoothing=0.0,
                                   epsilon=None, reduction="mean"):  # fmt: skip
    """Σ_c α_c·(1 − q_c)^γ·(−y_c·log q_c) per sample, q = softmax(x) or p / Σp; y smoothed to y(1 − s) + s/C."""
    y = as_float(y_true)
    y = y * (1.0 - label_smoothing) + label_smoothing / y.shape[-1]
    if from_logits and epsilon is None:
        log_q = log_softmax(y_pred)
    else:  # Keras: softmax (from logits), renormalise, clip to [eps, 1 − eps], then log
        q = softmax(y_pred) if from_logits else as_float(y_pred)
        q = q / np.sum(q, axis=-1, keepdims=True)
        if epsilon is not None:
            q = np.clip(q, epsilon, 1.0 - epsilon)
        with np.errstate(divide="ignore"):
            log_q = np.log(q)
    with np.errstate(invalid="ignore"):  # 0 · log 0 is 0 here, as in the limit
        ce = np.where(y == 0, 0.0, -y * log_q)
    values = np.sum(as_float(alpha) * (1.0 - np.exp(log_q)) ** gamma * ce, axis=-1)
    return reduce(values, reduction)


def torchvision_sigmoid_focal(y_true, y_pred, *, alpha=0.25, gamma=2.0, reduction="mean"):
    """bce_logits(x, y)·(1 − p_t)^γ·(α·y + (1 − α)(1 − y)), p = σ(x); α < 0 or None turns the weight off."""
    balance = alpha is not None and alpha >= 0
    return binary_focal_crossentropy(y_true, y_pred, from_logits=True, apply_class_balancing=balance,
                                     alpha=alpha, gamma=gamma, reduction=reduction)  # fmt: skip


def kornia_binary_focal(y_true, y_pred, *, alpha=0.25, gamma=2.0, pos_weight=None, weight=None, ignore_index=-100,
                        reduction="mean"):  # fmt: skip
    """w_c·[α·pw_c·y·(1 − p)^γ·(−log p) + (1 − α)·(1 − y)·p^γ·(−log(1 − p))], p = σ(x), x of shape (N, C, …)."""
    x, y = as_float(y_pred), as_float(y_true)
    valid = np.ones_like(y) if ignore_index is None else (y != ignore_index).astype(np.float64)
    y = y * valid
    log_p, log_not_p = log_sigmoid(x), log_sigmoid(-x)
    positive = -np.exp(gamma * log_not_p) * y * log_p
    negative = -np.exp(gamma * log_p) * (1.0 - y) * log_not_p
    if alpha is not None:
        positive, negative = alpha * positive, (1.0 - alpha) * negative
    if pos_weight is not None:
        positive = _channels(pos_weight, x.ndim) * positive
    values = (positive + negative) * valid  # an ignored entry is 0 but stays in the mean's count
    if weight is not None:
        values = _channels(weight, x.ndim) * values
    return reduce(values, reduction)


def _kornia_focal(ids, x, alpha, gamma, weight, valid):
    """kornia FocalLoss's (N, C, …) map: −α_c·w_c·(1 − p_c)^γ·log p_c at the target class c, 0 elsewhere."""
    num_classes = x.shape[1]
    target = _channels_first_one_hot(ids, num_classes) * valid[:, None]
    log_p = log_softmax(x, axis=1)
    values = target * -((1.0 - np.exp(log_p)) ** gamma) * log_p
    if alpha is not None:  # class 0 is the background: 1 − α; every other class: α
        values = _channels([1.0 - alpha] + [alpha] * (num_classes - 1), x.ndim) * values
    if weight is not None:
        values = _channels(weight, x.ndim) * values
    return values


def _kornia_overlap(ids, x, kind, alpha, beta, weight, average, eps, valid):
    """Per-sample 1 − Dice (micro or macro) or 1 − Tversky (macro) of softmax(x) against one-hot ids."""
    target = _channels_first_one_hot(ids, x.shape[1]) * valid[:, None]
    p = softmax(x, axis=1) * valid[:, None]
    spatial = tuple(range(2, x.ndim))
    w = np.ones(x.shape[1]) if weight is None else as_float(weight)
    if kind == "dice" and average == "micro":  # 1 − 2 Σ_c w_c |P_c ∩ T_c| / Σ_c w_c (|P_c| + |T_c|)
        w = _channels(w, x.ndim)
        inter = np.sum(w * p * target, axis=(1, *spatial))
        card = np.sum(w * (p + target), axis=(1, *spatial))
        return np.where(card == 0, 1.0, 1.0 - 2.0 * inter / np.where(card == 0, 1.0, card + eps))
    tp = np.sum(p * target, axis=spatial)
    if kind == "dice":  # 1 − 2|P ∩ T| / (|P| + |T|) per class, weighted mean over the classes present
        card = np.sum(p + target, axis=spatial)
        score = np.where(card == 0, 0.0, 2.0 * tp / np.where(card == 0, 1.0, card + eps))
        w = w * (np.sum(target, axis=spatial) > 0)
        total = np.sum(w, axis=-1)
        return np.where(total == 0, 1.0, np.sum((1.0 - score) * w, axis=-1) / np.where(total == 0, 1.0, total))
    fp, fn = np.sum(p * (1.0 - target), axis=spatial), np.sum((1.0 - p) * target, axis=spatial)
    present = np.sum(target, axis=spatial) > 0  # Tversky: tp / (tp + α·fp + β·fn), mean over the classes present
    score = np.where(present, tp / np.where(present, tp + alpha * fp + beta * fn + eps, 1.0), 0.0)
    return 1.0 - np.sum(score, axis=-1) / np.maximum(np.sum(present, axis=-1), 1)


def kornia_softmax_loss(y_true, y_pred, *, ignore_index=-100, kind="focal", alpha=None, gamma=2.0, beta=None,
                        weight=None, average="micro", eps=1e-8, reduction="mean"):  # fmt: skip
    """focal: −α_c·w_c·(1 − p_y)^γ·log p_y, p = softmax(x) over axis 1; dice / tversky: 1 − overlap per sample.

    y_pred: (N, C, …) logits, y_true: (N, …) class ids; an id equal to ignore_index counts for nothing.
    kind="focal" (FocalLoss; alpha None or a number, weight per class): "none" gives kornia's (N, C, …)
    map, zero outside the target class, so "mean" is the mean over N·C·positions (C times smaller
    than a per-pixel mean), ignored pixels included. kind="dice" (DiceLoss, average "micro" or "macro",
    class weights) and kind="tversky" (TverskyLoss, alpha weights false positives, beta false
    negatives): one value per sample for "none"; kornia returns their batch mean.
    """
    x, ids = as_float(y_pred), np.asarray(y_true, dtype=np.int64)
    valid = np.ones(ids.shape) if ignore_index is None else (ids != ignore_index).astype(np.float64)
    ids = np.where(valid > 0, ids, 0)
    if kind == "focal":
        return reduce(_kornia_focal(ids, x, alpha, gamma, weight, valid), reduction)
    if kind not in ("dice", "tversky"):
        raise ValueError(f"kind must be 'focal', 'dice' or 'tversky', got {kind!r}")
    return reduce(_kornia_overlap(ids, x, kind, alpha, beta, weight, average, eps, valid), reduction)


def monai_focal(y_true, y_pred, *, use_softmax=False, to_onehot_y=False, gamma=2.0, alpha=None, weight=None,
                include_background=True, ignore_index=None, reduction="mean"):  # fmt: skip
    """sigmoid: bce_logits(x, y)·σ(−x·(2y − 1))^γ·α_t; softmax: −α_c·(1 − p_c)^γ·y_c·log p_c; per element of (N, C, …).

    y_pred: (N, C, …) logits; y_true: the same shape, or (N, 1, …) class ids with to_onehot_y.
    Sigmoid α: a number weights y by α and 1 − y by 1 − α, a per-class list weights positives only.
    Softmax α: a number gives 1 − α to class 0 and α to the others, a list one value per class.
    include_background=False drops channel 0 before the softmax. "mean" divides by the count of
    non-ignored positions × C ("none" returns the (N, C, …) map).
    """
    x, y = as_float(y_pred), as_float(y_true)
    valid = None  # MONAI's mask (N, 1, …): ids != ignore_index; for one-hot y, 1 − y[:, k] or "some class set"
    if ignore_index is not None and y.shape[1] == 1:
        valid = (y != ignore_index).astype(np.float64)
    elif ignore_index is not None:
        k = ignore_index
        valid = 1.0 - y[:, k:k + 1] if 0 <= k < y.shape[1] else (np.sum(y, axis=1, keepdims=True) > 0).astype(np.float64)
    if to_onehot_y and x.shape[1] > 1:
        ids = y[:, 0] if valid is None else np.where(valid[:, 0] > 0, y[:, 0], 0)
        y = _channels_first_one_hot(ids, x.shape[1])
    if not include_background and x.shape[1] > 1:
        x, y = x[:, 1:], y[:, 1:]
    if valid is not None:
        x, y = x * valid, y * valid
    if use_softmax:
        log_p = log_softmax(x, axis=1)
        values = -((1.0 - np.exp(log_p)) ** gamma) * log_p * y
        if alpha is not None and np.ndim(alpha) == 0 and include_background:
            values = _channels([1.0 - alpha] + [alpha] * (x.shape[1] - 1), x.ndim) * values
        elif alpha is not None and np.ndim(alpha) == 1:
            values = _channels(alpha, x.ndim) * values
    else:
        values = binary_crossentropy(y, x, from_logits=True, reduction="none") * np.exp(gamma * log_sigmoid(-x * (2 * y - 1)))
        if alpha is not None and np.ndim(alpha) == 0:
            values = (alpha * y + (1.0 - alpha) * (1.0 - y)) * values
        elif alpha is not None:
            values = np.where(y == 1, _channels(alpha, x.ndim), 1.0) * values
    if valid is not None:
        values = values * valid
    if weight is not None:
        values = (as_float(weight) if np.ndim(weight) == 0 else _channels(weight, x.ndim)) * values
    if reduction == "mean" and valid is not None:
        return float(np.sum(values) / max(np.sum(valid) * values.shape[1], 1e-7))
    return reduce(values, reduction)


def smp_soft_bce(y_true, y_pred, *, ignore_index=-100, smooth_factor=None, weight=None, pos_weight=None,
                 reduction="mean"):  # fmt: skip
    """bce_logits(x, y'), y' = y(1 − s) + (1 − y)s; 0 where y == ignore_index (still counted by the mean)."""
    y = as_float(y_true)
    soft = y if smooth_factor is None else (1.0 - y) * smooth_factor + y * (1.0 - smooth_factor)
    values = binary_crossentropy(soft, y_pred, from_logits=True, pos_weight=pos_weight, weight=weight, reduction="none")
    if ignore_index is not None:
        values = values * (y != ignore_index)
    return reduce(values, reduction)


def smp_soft_ce(y_true, y_pred, *, ignore_index=-100, smooth_factor=None, reduction="mean"):
    """(1 − s)·(−log p_y) + (s/C)·Σ_c(−log p_c), p = softmax(x) over axis 1; 0 at ignore_index (still counted by the mean)."""
    s = 0.0 if smooth_factor is None else smooth_factor  # smp itself raises TypeError when smooth_factor is None
    log_p = log_softmax(y_pred, axis=1)
    ids = np.asarray(y_true, dtype=np.int64)
    valid = np.ones(ids.shape) if ignore_index is None else (ids != ignore_index).astype(np.float64)
    target = _channels_first_one_hot(np.where(valid > 0, ids, 0), log_p.shape[1])
    nll, smooth = -np.sum(target * log_p, axis=1), -np.sum(log_p, axis=1)
    values = ((1.0 - s) * nll + s / log_p.shape[1] * smooth) * valid
    return reduce(values, reduction)


def timm_binary_ce(y_true, y_pred, *, smoothing=0.1, target_threshold=None, weight=None, pos_weight=None,
                   sum_classes=False, reduction="mean"):  # fmt: skip
    """bce_logits(x, y) per element; class ids (N,) become rows of s/C with 1 − s + s/C at the label."""
    x = as_float(y_pred)
    y = as_float(y_true)
    if y.shape != x.shape:  # class ids: smoothed one-hot (targets of x's shape are used as they are)
        num_classes = x.shape[-1]
        y = one_hot(y_true, num_classes) * (1.0 - smoothing) + smoothing / num_classes
    if target_threshold is not None:
        y = (y > target_threshold).astype(np.float64)
    values = binary_crossentropy(y, x, from_logits=True, pos_weight=pos_weight, weight=weight, reduction="none")
    if sum_classes:  # timm: sum over the classes, then the batch mean, whatever the reduction
        return float(np.mean(np.sum(values, axis=-1)))
    return reduce(values, reduction)


def timm_label_smoothing_ce(y_true, y_pred, *, smoothing=0.1, reduction="mean"):
    """(1 − s)·(−log p_y) + s·mean_c(−log p_c) per sample, p = softmax(x): CE against (1 − s)·onehot + s/C."""
    log_p = log_softmax(y_pred)
    nll = -np.take_along_axis(log_p, np.asarray(y_true, dtype=np.int64)[:, None], axis=-1)[:, 0]
    values = (1.0 - smoothing) * nll + smoothing * -np.mean(log_p, axis=-1)
    return reduce(values, reduction)


def timm_soft_target_ce(y_true, y_pred, *, reduction="mean"):
    """Σ_c −t_c·log softmax(x)_c per sample (t: rows summing to 1, e.g. from mixup / cutmix)."""
    values = np.sum(-as_float(y_true) * log_softmax(y_pred), axis=-1)
    return reduce(values, reduction)
