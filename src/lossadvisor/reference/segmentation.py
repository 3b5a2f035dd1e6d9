"""Segmentation (region) losses, from scratch in numpy (conventions: lossadvisor/reference/crossentropy.py).

Layouts differ by framework and each function follows its framework's:
- Keras `dice`, `tversky`: any shape, usually channels-last (N, H, W, C); sums over `axis`
  (None: every element of the batch, one value).
- optax `dice_from_logits`, `binary_dice_from_logits`, `generalized_dice_from_logits`:
  channels-last (N, ..., C); sums over the axes between the first and the last.
- MONAI `monai_region_loss`, `monai_compound_dice`: channels-first (N, C, ...); sums over the
  spatial axes 2.. (and the batch axis with batch=True). Targets one-hot (N, C, ...), or class
  ids (N, 1, ...) with to_onehot_y=True.
- segmentation_models_pytorch `smp_region_loss`: channels-first (N, C, ...); sums over the batch
  AND the spatial axes (one value per class for the whole batch). Targets: (N, ...) class ids
  (multiclass), or the shape of y_pred (binary, multilabel).

The smoothing constants that are parameters of a loss keep the framework's default (optax
smooth=1, MONAI smooth_nr=smooth_dr=1e-5, SMP smooth=0); hidden safeguards (Keras's 1e-7 in the
denominator, SMP's clamp of the denominator at eps, optax's 1e-7 in the class weights) are keyword
arguments, off by default.
"""

from __future__ import annotations

import numpy as np

from lossadvisor.reference._common import as_float, log_sigmoid, log_softmax, one_hot, reduce, sigmoid, softmax


def _axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


# ---------------------------------------------------------------------------------------- Keras


def dice(y_true, y_pred, *, axis=None, epsilon=0.0, reduction="mean"):
    """1 − 2·Σ(y·p) / (Σy + Σp + ε), the sums over `axis` (None: the whole batch, one value); Keras eps 1e-7."""
    y, p = as_float(y_true), as_float(y_pred)
    axis = _axis(axis)
    values = 1.0 - 2.0 * np.sum(y * p, axis=axis) / (np.sum(y, axis=axis) + np.sum(p, axis=axis) + epsilon)
    return reduce(np.asarray(values), reduction)


def tversky(y_true, y_pred, *, alpha=0.5, beta=0.5, axis=None, epsilon=0.0, reduction="mean"):
    """1 − TP / (TP + α·FP + β·FN + ε), TP = Σp·y, FP = Σp·(1 − y), FN = Σ(1 − p)·y over `axis` (α weighs false positives)."""
    y, p = as_float(y_true), as_float(y_pred)
    axis = _axis(axis)
    tp, fp, fn = np.sum(p * y, axis=axis), np.sum(p * (1 - y), axis=axis), np.sum((1 - p) * y, axis=axis)
    return reduce(np.asarray(1.0 - tp / (tp + alpha * fp + beta * fn + epsilon)), reduction)


# ---------------------------------------------------------------------------------------- optax


def _optax_per_class(y, probs, smooth, alpha, beta, axis):
    """Per-(sample, class) 1 − (I + s) / (I + α(P − I) + β(T − I) + s), summed over `axis`."""
    axis = tuple(range(1, probs.ndim - 1)) if axis is None else _axis(axis)
    inter, pred_sum, true_sum = np.sum(probs * y, axis=axis), np.sum(probs, axis=axis), np.sum(y, axis=axis)
    return 1.0 - (inter + smooth) / (inter + alpha * (pred_sum - inter) + beta * (true_sum - inter) + smooth)


def dice_from_logits(y_true, y_pred, *, apply_softmax=True, class_weights=None, ignore_background=False,
                     smooth=1.0, alpha=0.5, beta=0.5, axis=None, reduction="mean"):  # fmt: skip
    """Per sample: mean over classes c of w_c·[1 − (I_c + s)/(I_c + α(P_c − I_c) + β(T_c − I_c) + s)], p = softmax(x) (sigmoid if C = 1).

    Channels-last (N, ..., C); I, P, T summed over the axes between the first and the last.
    reduction='none' gives the per-sample values (what optax returns with its reduction='mean')."""
    y, x = as_float(y_true), as_float(y_pred)
    probs = x if not apply_softmax else sigmoid(x) if x.shape[-1] == 1 else softmax(x, axis=-1)
    values = _optax_per_class(y, probs, smooth, alpha, beta, axis)
    if class_weights is not None:
        values = values * as_float(class_weights)
    if ignore_background and probs.shape[-1] > 1:
        values = values[..., 1:]
    return reduce(np.mean(values, axis=-1), reduction)


def binary_dice_from_logits(y_true, y_pred, *, apply_sigmoid=True, smooth=1.0, reduction="mean"):
    """Per sample: 1 − (2·Σp·y + 2s) / (Σp + Σy + 2s), p = sigmoid(x), sums over every axis but the first."""
    y, x = as_float(y_true), as_float(y_pred)
    p = sigmoid(x) if apply_sigmoid else x
    axes = tuple(range(1, x.ndim))
    inter = np.sum(p * y, axis=axes)
    return reduce(1.0 - (inter + smooth) / (0.5 * np.sum(p, axis=axes) + 0.5 * np.sum(y, axis=axes) + smooth), reduction)


def generalized_dice_from_logits(y_true, y_pred, *, apply_softmax=True, ignore_background=False, smooth=1.0,
                                 epsilon=0.0, reduction="mean"):  # fmt: skip
    """Mean over samples and classes of w_c·dice_c (dice_c as in dice_from_logits), w_c ∝ 1/(F_c² + ε) scaled to mean 1, F_c = Σ_batch y_c.

    optax uses ε = 1e-7: a class absent from the batch gets weight ≈ C and the present ones ≈ 0."""
    y = as_float(y_true)
    frequency = np.sum(y, axis=tuple(range(y.ndim - 1)))
    with np.errstate(divide="ignore"):
        weights = 1.0 / (frequency**2 + epsilon)
    weights = weights / np.sum(weights) * len(weights)
    per_class = _optax_per_class(y, softmax(y_pred, axis=-1) if apply_softmax else as_float(y_pred), smooth, 0.5, 0.5, None) * weights
    if ignore_background:
        per_class = per_class[..., 1:]
    return reduce(np.mean(per_class, axis=-1), reduction)


# ---------------------------------------------------------------------------------------- MONAI


def _monai_activation(x, sigmoid_, softmax_, other_act):
    x = as_float(x)
    if sigmoid_:
        x = sigmoid(x)
    if softmax_ and x.shape[1] > 1:  # MONAI warns and skips the softmax on one channel
        x = softmax(x, axis=1)
    return other_act(x) if other_act is not None else x


def _monai_targets(y_true, n_classes, to_onehot_y, ignore_index):
    """One-hot (N, C, ...) targets and the ignore mask (N, 1, ...) or None."""
    y = as_float(y_true)
    mask = None if ignore_index is None or y.shape[1] != 1 else (y != ignore_index).astype(np.float64)
    if to_onehot_y and n_classes > 1:
        ids = np.where(y == ignore_index, 0, y) if ignore_index is not None else y
        y = np.moveaxis(one_hot(ids[:, 0], n_classes), -1, 1)
    return y, mask


def monai_region_loss(y_true, y_pred, *, sigmoid=False, softmax=False, other_act=None, to_onehot_y=False,
                      include_background=True, loss="dice", squared_pred=False, jaccard=False, alpha=0.5, beta=0.5,
                      w_type="square", smooth_nr=1e-5, smooth_dr=1e-5, batch=False, weight=None, mask=None,
                      ignore_index=None, reduction="mean"):  # fmt: skip
    """MONAI DiceLoss 1 − (2·TP + s_nr)/(Σp + Σy + s_dr) (Σp², Σy² with squared_pred; 1 − (TP + s_nr)/(Σp + Σy − TP + s_dr) with jaccard),
    TverskyLoss 1 − (TP + s_nr)/(TP + α·FP + β·FN + s_dr), GeneralizedDiceLoss 1 − (2·Σ_c w_c·TP_c + s_nr)/(Σ_c w_c·(Σp_c + Σy_c) + s_dr).

    loss: 'dice' (DiceLoss; MaskedDiceLoss with `mask` (N or 1, 1, ...)), 'tversky', 'generalized_dice'.
    Channels-first (N, C, ...); sums over the spatial axes (and the batch with batch=True). reduction='none'
    gives the per-(sample, class) values (per sample for generalized_dice), 'mean' their plain mean."""
    p = _monai_activation(y_pred, sigmoid, softmax, other_act)
    y, ignored = _monai_targets(y_true, p.shape[1], to_onehot_y, ignore_index)
    if mask is not None:  # MaskedDiceLoss multiplies both by the mask
        p, y = p * as_float(mask), y * as_float(mask)
    if not include_background and p.shape[1] > 1:
        p, y = p[:, 1:], y[:, 1:]
    if ignored is not None:
        p, y = p * ignored, y * ignored
    axes = tuple(range(2, p.ndim)) if not batch else (0, *range(2, p.ndim))
    tp = np.sum(p * y, axis=axes)
    if loss == "tversky":
        fp, fn = np.sum(p * (1 - y), axis=axes), np.sum((1 - p) * y, axis=axes)
        values = 1.0 - (tp + smooth_nr) / (tp + alpha * fp + beta * fn + smooth_dr)
    elif loss == "generalized_dice":
        volume = np.sum(y, axis=axes)
        with np.errstate(divide="ignore"):
            w = {"square": 1.0 / volume**2, "simple": 1.0 / volume, "uniform": np.ones_like(volume)}[w_type]
        # an empty class takes the largest finite weight of its sample (of the batch with batch=True)
        finite = np.where(np.isinf(w), 0.0, w)
        w = np.where(np.isinf(w), np.max(finite, axis=-1, keepdims=True), finite)
        union = np.sum(p, axis=axes) + volume
        values = 1.0 - (2.0 * np.sum(w * tp, axis=-1) + smooth_nr) / (np.sum(w * union, axis=-1) + smooth_dr)
    else:
        power = 2 if squared_pred else 1
        union = np.sum(p**power, axis=axes) + np.sum(y**power, axis=axes)
        values = 1.0 - (tp + smooth_nr) / (union - tp + smooth_dr) if jaccard else 1.0 - (2.0 * tp + smooth_nr) / (union + smooth_dr)
        if weight is not None and values.shape[-1] != 1:
            values = values * as_float(weight)
    return reduce(np.asarray(values), reduction)


def _crossentropy_term(y_true, x, weight, label_smoothing):
    """PyTorch CrossEntropyLoss (mean) over (N, C, ...) logits: class-id targets (N, 1, ...) or probability targets (N, C, ...)."""
    c, log_p = x.shape[1], log_softmax(x, axis=1)
    w = np.ones(c) if weight is None else as_float(weight)
    w_b = w.reshape((1, c) + (1,) * (x.ndim - 2))
    y = as_float(y_true)
    if y.shape[1] == 1 and c > 1:  # class ids: weighted mean Σ_n losses / Σ_n w[y_n]
        t = np.moveaxis(one_hot(y[:, 0], c), -1, 1)
        nll = -np.sum(w_b * t * log_p, axis=1)
        smooth = -np.sum(w_b * log_p, axis=1) / c
        return float(np.sum((1 - label_smoothing) * nll + label_smoothing * smooth) / np.sum(w_b * t))
    t = y * (1 - label_smoothing) + label_smoothing / c
    return float(np.mean(-np.sum(w_b * t * log_p, axis=1)))


def _sigmoid_focal_term(y, x, gamma, weight):
    """MONAI FocalLoss (sigmoid): w_c·(1 − p_t)^γ·BCE(x, y) per element, mean over every element."""
    bce = -(y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x))
    w = 1.0 if weight is None else as_float(weight).reshape((-1,) + (1,) * (x.ndim - 2))
    return float(np.mean(w * np.exp(gamma * log_sigmoid(-x * (2 * y - 1))) * bce))


def monai_compound_dice(y_true, y_pred, *, sigmoid=False, softmax=False, other_act=None, to_onehot_y=False,
                        include_background=True, second="ce", lambda_dice=1.0, lambda_ce=1.0, lambda_focal=1.0,
                        gamma=2.0, weight=None, label_smoothing=0.0, smooth_nr=1e-5, smooth_dr=1e-5, batch=False,
                        reduction="mean"):  # fmt: skip
    """λ_dice·DiceLoss(act(x), y) + λ_ce·CrossEntropy(x, y) (second='ce': DiceCELoss; BCE-with-logits when C = 1),
    or + λ_focal·sigmoid focal(x, y) (second='focal': DiceFocalLoss). The second term always takes the logits x.

    Only reduction='mean' (MONAI's default) is implemented for the sum of the two terms."""
    if reduction != "mean":
        raise ValueError("monai_compound_dice implements reduction='mean' only")
    x = as_float(y_pred)
    dice_weight = None if weight is None else (as_float(weight)[1:] if not include_background else as_float(weight))
    dice_term = monai_region_loss(y_true, x, sigmoid=sigmoid, softmax=softmax, other_act=other_act, to_onehot_y=to_onehot_y,
                                  include_background=include_background, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
                                  batch=batch, weight=dice_weight if second == "ce" else weight)  # fmt: skip
    y = as_float(y_true)
    if second == "focal":
        if to_onehot_y and x.shape[1] > 1:
            y = np.moveaxis(one_hot(y[:, 0], x.shape[1]), -1, 1)
        if not include_background and x.shape[1] > 1:
            x, y = x[:, 1:], y[:, 1:]
        return lambda_dice * dice_term + lambda_focal * _sigmoid_focal_term(y, x, gamma, weight)
    if x.shape[1] == 1:  # BCEWithLogitsLoss(pos_weight=weight)
        pos = 1.0 if weight is None else as_float(weight)
        ce_term = float(np.mean(-(pos * y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x))))
    else:
        ce_term = _crossentropy_term(y, x, weight, label_smoothing)
    return lambda_dice * dice_term + lambda_ce * ce_term


# ------------------------------------------------------------------------ segmentation_models_pytorch


def _lovasz_extension(errors, fg):
    """Lovász extension of the Jaccard loss at `errors`: Σ_i sorted errors_i · (J_i − J_{i−1})."""
    order = np.argsort(-errors, kind="stable")
    errors, fg = errors[order], fg[order]
    jaccard = 1.0 - (fg.sum() - np.cumsum(fg)) / (fg.sum() + np.cumsum(1 - fg))
    return float(np.dot(errors, np.diff(jaccard, prepend=0.0)))


def _smp_lovasz(y, x, mode, per_image, ignore_index):
    """SMP LovaszLoss: hinge on logits (binary, multilabel), softmax over present classes (multiclass); always logits."""
    groups = [(y[i : i + 1], x[i : i + 1]) for i in range(len(x))] if per_image else [(y, x)]
    values = []
    for yy, xx in groups:
        if mode == "multiclass":
            probs = np.moveaxis(softmax(xx, axis=1), 1, -1).reshape(-1, xx.shape[1])
            labels = yy.reshape(-1)
            keep = labels != ignore_index if ignore_index is not None else np.ones(labels.shape, bool)
            probs, labels = probs[keep], labels[keep]
            per_class = [_lovasz_extension(np.abs((labels == c) - probs[:, c]), (labels == c) * 1.0)
                         for c in range(probs.shape[1]) if np.any(labels == c)]  # fmt: skip
            values.append(np.mean(per_class) if per_class else 0.0)
        else:
            scores, labels = xx.reshape(-1), yy.reshape(-1)
            keep = labels != ignore_index if ignore_index is not None else np.ones(labels.shape, bool)
            scores, labels = scores[keep], labels[keep]
            values.append(_lovasz_extension(np.maximum(1.0 - scores * (2 * labels - 1), 0.0), labels) if labels.size else 0.0)
    return np.asarray(values)


def _smp_focal(y, x, mode, from_logits, ignore_index, alpha, gamma, eps):
    """SMP FocalLoss: per class, a sigmoid focal loss on the class's logit (also in multiclass mode), mean per class."""
    if not from_logits:  # SMP turns probabilities back into logits: logit(p), or log(p) in multiclass mode
        p = np.clip(x, eps, 1 - eps)
        x = np.log(p) if mode == "multiclass" else np.log(p / (1 - p))
    if mode == "binary":
        columns = [(y.reshape(-1), x.reshape(-1))]
    elif mode == "multiclass":
        columns = [((y == c) * 1.0, x[:, c]) for c in range(x.shape[1])]
    else:
        columns = [(y[:, c], x[:, c]) for c in range(x.shape[1])]
    keep = (y != ignore_index) if ignore_index is not None else None
    values = []
    for t, z in columns:
        if keep is not None:
            k = keep.reshape(-1) if mode == "binary" else keep if mode == "multiclass" else keep[:, len(values)]
            t, z = t[k], z[k]
        bce = -(t * log_sigmoid(z) + (1 - t) * log_sigmoid(-z))
        focal = (1.0 - np.exp(-bce)) ** gamma * bce
        if alpha is not None:
            focal = focal * (alpha * t + (1 - alpha) * (1 - t))
        values.append(np.mean(focal))
    return np.asarray(values)


def smp_region_loss(y_true, y_pred, *, mode=None, from_logits=True, ignore_index=None, loss="dice", smooth=0.0,
                    eps=0.0, log_loss=False, alpha=None, beta=0.5, gamma=None, class_weights=None, classes=None,
                    per_image=False, reduction="mean"):  # fmt: skip
    """SMP Dice/Jaccard/Tversky: per class c over the whole batch, 1 − (TP_c + s)/max(TP_c + α·FP_c + β·FN_c + s, eps)
    (Dice α = β = ½, Jaccard α = β = 1), 0 for a class absent from the batch; (weighted) mean over classes (Tversky: to the power γ).

    loss: 'dice', 'jaccard', 'tversky', 'focal' (alpha None, gamma 2 by default), 'lovasz'. mode: 'binary', 'multiclass'
    (y_true class ids (N, ...)), 'multilabel'. reduction='none' gives the per-class values (per image for a Lovász hinge)."""
    if mode not in ("binary", "multiclass", "multilabel"):
        raise ValueError("mode must be 'binary', 'multiclass' or 'multilabel'")
    y, x = as_float(y_true), as_float(y_pred)
    if loss == "lovasz":
        return reduce(_smp_lovasz(y, x, mode, per_image, ignore_index), reduction)
    if loss == "focal":
        values = _smp_focal(y, x, mode, from_logits, ignore_index, alpha, 2.0 if gamma is None else gamma, eps or 1e-7)
        weights = None if class_weights is None else as_float(class_weights)
        return reduce(values if weights is None else values * weights, reduction, weights)
    n = x.shape[0]
    if from_logits:
        x = softmax(x, axis=1) if mode == "multiclass" else sigmoid(x)
    x = x.reshape(n, 1, -1) if mode == "binary" else x.reshape(n, x.shape[1], -1)  # (N, C, pixels)
    if mode == "multiclass":
        ids = y.reshape(n, -1)
        keep = (ids != ignore_index)[:, None, :] if ignore_index is not None else np.ones((n, 1, ids.shape[1]))
        y = np.moveaxis(one_hot(np.where(keep[:, 0], ids, 0), x.shape[1]), -1, 1) * keep
    else:
        y = y.reshape(x.shape)
        keep = (y != ignore_index) if ignore_index is not None else np.ones(y.shape)
        y = y * keep
    x = x * keep
    a, b = {"dice": (0.5, 0.5), "jaccard": (1.0, 1.0)}.get(loss, (0.5 if alpha is None else alpha, beta))
    tp, p_sum, y_sum = np.sum(x * y, axis=(0, 2)), np.sum(x, axis=(0, 2)), np.sum(y, axis=(0, 2))
    score = (tp + smooth) / np.maximum(tp + a * (p_sum - tp) + b * (y_sum - tp) + smooth, eps)
    values = (-np.log(np.maximum(score, eps)) if log_loss else 1.0 - score) * (y_sum > 0)
    weights = None if class_weights is None else as_float(class_weights)
    if classes is not None:
        values, weights = values[list(classes)], None if weights is None else weights[list(classes)]
    if reduction == "none":
        return values
    result = reduce(values * (1.0 if weights is None else weights), reduction, weights)
    return result ** (1.0 if gamma is None or loss != "tversky" else gamma) if reduction == "mean" else result
