"""Crossentropy losses, from scratch in numpy.

Each function takes `(y_true, y_pred, *, <the loss's parameters as rules/losses.yaml names them>,
reduction="mean")`. `y_pred` is in the form the loss's entry says (`input:`), or logits with
`from_logits=True`. With reduction="none" an elementwise loss returns one value per element, a
per-sample loss one value per sample. Framework safeguards that change edge values are keyword
arguments, off by default (the exact formula): `epsilon` clips probabilities to [eps, 1 - eps]
as Keras does, `log_min` floors each log as PyTorch's BCELoss does (-100), `renormalize` divides
probability rows by their sum as Keras's categorical losses do. Class-id targets are integer arrays
of shape (N,) with predictions (N, C); 0 · log 0 counts as 0 throughout.
"""

from __future__ import annotations

import numpy as np

from lossadvisor.reference._common import as_float, log_sigmoid, log_softmax, reduce, softmax


def binary_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, pos_weight=None, weight=None,
                        epsilon=None, log_min=None, reduction="mean"):  # fmt: skip
    """-[pos_weight·y·log p + (1 - y)·log(1 - p)], per element; y smoothed to y(1 - s) + s/2."""
    y = as_float(y_true)
    y = y * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        log_p, log_not_p = log_sigmoid(y_pred), log_sigmoid(-as_float(y_pred))
    else:
        p = as_float(y_pred)
        if epsilon is not None:
            p = np.clip(p, epsilon, 1.0 - epsilon)
        with np.errstate(divide="ignore"):
            log_p, log_not_p = np.log(p), np.log1p(-p)
    if log_min is not None:
        log_p, log_not_p = np.maximum(log_p, log_min), np.maximum(log_not_p, log_min)
    positive = y * log_p * (1.0 if pos_weight is None else as_float(pos_weight))
    with np.errstate(invalid="ignore"):  # 0 · log 0 is 0 here, as in the limit
        values = -(np.where(y == 0, 0.0, positive) + np.where(y == 1, 0.0, (1.0 - y) * log_not_p))
    if weight is not None:
        values = values * as_float(weight)
    return reduce(values, reduction)


def _xlogy(x, y):
    """x · log y, with 0 wherever x = 0 (also where y = 0)."""
    x, y = as_float(x), as_float(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))


def _x_times(x, log_y):
    """x · log_y for an already-logged y, with 0 · (-inf) = 0."""
    x, log_y = as_float(x), as_float(log_y)
    with np.errstate(invalid="ignore"):
        return np.where(x == 0, 0.0, x * log_y)


def _log_probabilities(y_pred, from_logits, epsilon, renormalize):
    """log p over the last axis: log_softmax of logits, or the log of (renormalised, clipped) p."""
    if from_logits:
        return log_softmax(y_pred)
    p = as_float(y_pred)
    if renormalize:
        p = p / np.sum(p, axis=-1, keepdims=True)
    if epsilon is not None:
        p = np.clip(p, epsilon, 1.0 - epsilon)
    with np.errstate(divide="ignore"):
        return np.log(p)


def _pick(values, ids):
    """values[n, ids[n]] for each row n."""
    ids = np.asarray(ids, dtype=np.int64)
    return np.take_along_axis(values, ids[..., None], axis=-1)[..., 0]


def categorical_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, epsilon=None,
                             renormalize=False, reduction="mean"):  # fmt: skip
    """-Σ_c y_c·log p_c per sample, y smoothed to y(1 - s) + s/C; p = softmax(x) for logits."""
    y = as_float(y_true)
    y = y * (1.0 - label_smoothing) + label_smoothing / y.shape[-1]
    log_p = _log_probabilities(y_pred, from_logits, epsilon, renormalize)
    return reduce(-np.sum(_x_times(y, log_p), axis=-1), reduction)


def sparse_categorical_crossentropy(y_true, y_pred, *, from_logits=False, ignore_class=None, epsilon=None,
                                    renormalize=False, reduction="mean"):  # fmt: skip
    """-log p_y per sample; rows whose label is ignore_class count 0 and leave the mean's divisor."""
    ids = np.asarray(y_true, dtype=np.int64).reshape(np.shape(y_pred)[:-1])
    valid = np.ones(ids.shape, dtype=bool) if ignore_class is None else ids != ignore_class
    log_p = _log_probabilities(y_pred, from_logits, epsilon, renormalize)
    values = np.where(valid, -_pick(log_p, np.where(valid, ids, 0)), 0.0)
    if reduction == "mean" and not valid.any():
        return 0.0  # every label ignored: Keras averages over no entries as 0
    return reduce(values, reduction, None if ignore_class is None else valid.astype(np.float64))


def _torch_cross_entropy(target, log_p, ignore_index, label_smoothing, weight, reduction):
    """PyTorch's CrossEntropyLoss on log-probabilities (class ids or class probabilities)."""
    num_classes = log_p.shape[-1]
    w = np.ones(num_classes) if weight is None else as_float(weight)
    if np.shape(target) == log_p.shape:  # class probabilities: the 'mean' divides by N
        t = as_float(target) * (1.0 - label_smoothing) + label_smoothing / num_classes
        return reduce(-np.sum(_x_times(w * t, log_p), axis=-1), reduction)
    ids = np.asarray(target, dtype=np.int64)
    valid = ids != ignore_index
    ids = np.where(valid, ids, 0)
    w_y = np.where(valid, w[ids], 0.0)
    with np.errstate(invalid="ignore"):
        smooth = label_smoothing / num_classes * -np.sum(_x_times(w, log_p), axis=-1) if label_smoothing else 0.0
        values = np.where(valid, (1.0 - label_smoothing) * -w_y * _pick(log_p, ids) + smooth, 0.0)
    with np.errstate(invalid="ignore"):  # every target ignored: 0 / 0 = nan, as in PyTorch
        return reduce(values, reduction, w_y)


def cross_entropy(y_true, y_pred, *, ignore_index=-100, label_smoothing=0.0, weight=None, reduction="mean"):
    """-w_y·log softmax(x)_y per sample ('mean' divides by Σ w_y), or -Σ_c w_c·t_c·log softmax(x)_c for probability targets."""
    return _torch_cross_entropy(y_true, log_softmax(y_pred), ignore_index, label_smoothing, weight, reduction)


def nll(y_true, y_pred, *, ignore_index=-100, weight=None, reduction="mean"):
    """-w_y·x_y per sample, x = log-probabilities; 'mean' divides by Σ w_y over the non-ignored samples."""
    return _torch_cross_entropy(np.asarray(y_true, dtype=np.int64), as_float(y_pred), ignore_index, 0.0, weight, reduction)


def keras_auto_crossentropy(y_true, y_pred, *, epsilon=None, renormalize=False, reduction="mean"):
    """Keras compile('crossentropy'): binary if y_pred's last dim is 1, else sparse if labels have lower rank or last dim 1, else categorical."""
    y_true, y_pred = np.asarray(y_true), as_float(y_pred)
    if y_pred.shape[-1] == 1:  # binary_crossentropy, mean over the last axis
        y = y_true.reshape(y_pred.shape)
        return reduce(np.mean(binary_crossentropy(y, y_pred, epsilon=epsilon, reduction="none"), axis=-1), reduction)
    if y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
        return sparse_categorical_crossentropy(y_true, y_pred, epsilon=epsilon, renormalize=renormalize, reduction=reduction)
    return categorical_crossentropy(y_true, y_pred, epsilon=epsilon, renormalize=renormalize, reduction=reduction)


def kl_div(y_true, y_pred, *, log_target=False, reduction="mean"):
    """t·(log t - x) per element, x = log-probabilities (t = e^target with log_target); 'batchmean' = sum / N."""
    x = as_float(y_pred)
    if log_target:
        log_t = as_float(y_true)
        values = _x_times(np.exp(log_t), log_t - x)  # a -inf log-target (t = 0) counts 0
    else:
        t = as_float(y_true)
        values = _xlogy(t, t) - _x_times(t, x)
    if reduction == "batchmean":
        return float(np.sum(values) / x.shape[0])
    return reduce(values, reduction)


def kl_divergence(y_true, y_pred, *, epsilon=None, reduction="mean"):
    """Σ_c y_c·log(y_c / p_c) per sample, both probabilities; Keras clips both to [eps, 1]."""
    y, p = as_float(y_true), as_float(y_pred)
    if epsilon is not None:
        y, p = np.clip(y, epsilon, 1.0), np.clip(p, epsilon, 1.0)
    return reduce(np.sum(_xlogy(y, y) - _xlogy(y, p), axis=-1), reduction)


def generalized_kl(y_true, y_pred, *, reduction="mean"):
    """Σ_c [t_c·(log t_c - x_c) + e^x_c - t_c] per sample, x = log-predictions, t ≥ 0 unnormalised."""
    t, x = as_float(y_true), as_float(y_pred)
    return reduce(np.sum(_xlogy(t, t) - _x_times(t, x) + np.exp(x) - t, axis=-1), reduction)


def multilabel_soft_margin(y_true, y_pred, *, weight=None, reduction="mean"):
    """-(1/C)·Σ_c w_c·[y_c·log σ(x_c) + (1 - y_c)·log σ(-x_c)] per sample."""
    y, x = as_float(y_true), as_float(y_pred)
    values = -(y * log_sigmoid(x) + (1.0 - y) * log_sigmoid(-x))
    if weight is not None:
        values = values * as_float(weight)
    return reduce(np.mean(values, axis=-1), reduction)


def linear_cross_entropy(y_true, y_pred, *, linear_weight, linear_bias=None, weight=None, ignore_index=None,
                         label_smoothing=0.0, reduction="mean"):  # fmt: skip
    """cross_entropy(y_true, y_pred·Wᵀ + b): y_pred are the features before the loss's own Linear(in_features, C)."""
    logits = as_float(y_pred) @ as_float(linear_weight).T
    if linear_bias is not None:
        logits = logits + as_float(linear_bias)
    if np.shape(y_true) == logits.shape and ignore_index is not None:
        raise ValueError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index
    return cross_entropy(y_true, logits, ignore_index=ignore_index, label_smoothing=label_smoothing, weight=weight, reduction=reduction)


def ranking_softmax(y_true, y_pred, *, reduction="mean"):
    """-Σ_i y_i·log softmax(s)_i per list, relevance labels y used as they are (not normalised)."""
    return reduce(-np.sum(_x_times(as_float(y_true), log_softmax(y_pred)), axis=-1), reduction)


def _sparse_plus(x):
    """0 for x ≤ -1, (x + 1)²/4 for -1 < x < 1, x for x ≥ 1."""
    return np.where(x <= -1.0, 0.0, np.where(x >= 1.0, x, (x + 1.0) ** 2 / 4.0))


def sparsemax_binary(y_true, y_pred, *, reduction="mean"):
    """sparse_plus(-x) for y = 1, sparse_plus(x) for y = 0, per element (zero iff sparse_sigmoid(x) = y)."""
    x = as_float(y_pred)
    return reduce(_sparse_plus(np.where(as_float(y_true) != 0, -x, x)), reduction)


def _sparsemax(z):
    """Euclidean projection of each row of z onto the probability simplex: max(z - τ, 0)."""
    z_sorted = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1)
    cumsum = np.cumsum(z_sorted, axis=-1)
    support = np.sum(1.0 + k * z_sorted > cumsum, axis=-1, keepdims=True)
    tau = (np.take_along_axis(cumsum, support - 1, axis=-1) - 1.0) / support
    return np.maximum(z - tau, 0.0)


def sparsemax_multiclass(y_true, y_pred, *, reduction="mean"):
    """⟨p, z⟩ - z_y + ½(1 - ‖p‖²) per sample, p = sparsemax(z); zero iff p is the one-hot of y."""
    z = as_float(y_pred)
    p = _sparsemax(z)
    return reduce(np.sum(p * z, axis=-1) - _pick(z, y_true) + 0.5 * (1.0 - np.sum(p * p, axis=-1)), reduction)


def poly_loss(y_true, y_pred, *, epsilon=2.0, reduction="mean"):
    """Poly-1: -Σ_c y_c·log p_c + ε·Σ_c y_c·(1 - p_c) per sample, p = softmax(x) (= CE + ε·(1 - p_t) for one-hot y)."""
    y = as_float(y_true)
    ce = -np.sum(_x_times(y, log_softmax(y_pred)), axis=-1)
    return reduce(ce + epsilon * np.sum(y * (1.0 - softmax(y_pred)), axis=-1), reduction)


def categorical_generalized_cross_entropy(y_true, y_pred, *, q=0.5, reduction="mean"):
    """(1 - p_y^q) / q per sample, p = probabilities, y = class ids; → -log p_y as q → 0, 1 - p_y at q = 1."""
    p_y = _pick(as_float(y_pred), np.asarray(y_true, dtype=np.int64).reshape(np.shape(y_pred)[:-1]))
    return reduce((1.0 - p_y**q) / q, reduction)
