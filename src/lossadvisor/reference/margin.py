"""Margin (hinge-family) losses, from scratch in numpy.

Conventions as in lossadvisor/reference/crossentropy.py: `(y_true, y_pred, *, <parameters as
rules/losses.yaml names them>, reduction="mean")`, `y_pred` raw scores (no sigmoid, no softmax).
Label forms differ from loss to loss and are part of each definition:

- hinge, squared_hinge (Keras): ±1 labels; 0/1 labels are converted to ±1 (y → 2y − 1) exactly
  when every value of `y_true` in the call is 0 or 1, as Keras does. Per sample: the mean over the
  last axis (Keras's definition), so reduction="none" gives one value per row.
- categorical_hinge (Keras): one-hot `y_true`, one value per sample.
- signed_hinge, perceptron (optax), soft_margin, hinge_embedding (PyTorch): ±1 labels, elementwise,
  no conversion (a 0 label is taken as it is).
- multiclass_hinge, multiclass_perceptron (optax), multi_margin (PyTorch): class ids (N,), scores
  (N, C), one value per sample.
- multilabel_margin (PyTorch): `y_true` (N, C) integer class indices, the positives first, ended by
  −1 (anything after the first −1 is ignored), NOT multi-hot. One value per sample.
- margin_ranking (PyTorch) takes two score arrays: `margin_ranking(y_true, y_pred1, y_pred2, ...)`,
  y = 1 meaning y_pred1 should rank higher (PyTorch's order is (input1, input2, target)).
"""

from __future__ import annotations

import numpy as np

from lossadvisor.reference._common import as_float, one_hot, reduce, softplus


def _keras_signed_labels(y_true) -> np.ndarray:
    """Keras's conversion: 0/1 labels become −1/+1, but only if every label is 0 or 1."""
    y = as_float(y_true)
    return 2.0 * y - 1.0 if np.all((y == 0) | (y == 1)) else y


def hinge(y_true, y_pred, *, reduction="mean"):
    """mean over the last axis of max(0, 1 − y·s); y ∈ {−1, 1}, or 0/1 mapped to 2y − 1 if all labels are 0/1."""
    y = _keras_signed_labels(y_true)
    return reduce(np.mean(np.maximum(0.0, 1.0 - y * as_float(y_pred)), axis=-1), reduction)


def squared_hinge(y_true, y_pred, *, reduction="mean"):
    """mean over the last axis of max(0, 1 − y·s)²; labels converted as in hinge."""
    y = _keras_signed_labels(y_true)
    return reduce(np.mean(np.maximum(0.0, 1.0 - y * as_float(y_pred)) ** 2, axis=-1), reduction)


def categorical_hinge(y_true, y_pred, *, reduction="mean"):
    """max(0, max_c[(1 − y_c)·s_c] − Σ_c y_c·s_c + 1) per sample (Keras; the true class counts as 0 in the max)."""
    y, s = as_float(y_true), as_float(y_pred)
    positive = np.sum(y * s, axis=-1)
    negative = np.max((1.0 - y) * s, axis=-1)
    return reduce(np.maximum(0.0, negative - positive + 1.0), reduction)


def signed_hinge(y_true, y_pred, *, reduction="mean"):
    """max(0, 1 − y·s) per element; y ∈ {−1, 1}, taken as given."""
    return reduce(np.maximum(0.0, 1.0 - as_float(y_true) * as_float(y_pred)), reduction)


def perceptron(y_true, y_pred, *, reduction="mean"):
    """max(0, −y·s) per element; y ∈ {−1, 1}."""
    return reduce(np.maximum(0.0, -as_float(y_true) * as_float(y_pred)), reduction)


def multiclass_hinge(y_true, y_pred, *, reduction="mean"):
    """max_c(s_c + 1 − [c = y]) − s_y per sample, = max(0, 1 + max_{c≠y} s_c − s_y) (Crammer-Singer)."""
    s = as_float(y_pred)
    target = one_hot(y_true, s.shape[-1])
    return reduce(np.max(s + 1.0 - target, axis=-1) - np.sum(s * target, axis=-1), reduction)


def multiclass_perceptron(y_true, y_pred, *, reduction="mean"):
    """max_c s_c − s_y per sample."""
    s = as_float(y_pred)
    target = one_hot(y_true, s.shape[-1])
    return reduce(np.max(s, axis=-1) - np.sum(s * target, axis=-1), reduction)


def multi_margin(y_true, y_pred, *, p=1, margin=1.0, weight=None, reduction="mean"):
    """Σ_{c≠y} w_y·max(0, margin − s_y + s_c)^p / C per sample (Weston-Watkins); mean over samples, not weighted."""
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    s = as_float(y_pred)
    n, num_classes = s.shape
    y = np.asarray(y_true, dtype=np.int64)
    s_true = s[np.arange(n), y][:, None]
    terms = np.maximum(0.0, margin - s_true + s) ** p
    if weight is not None:
        terms = terms * as_float(weight)[y][:, None]
    terms = np.where(one_hot(y, num_classes) == 1, 0.0, terms)  # the true class is left out
    return reduce(np.sum(terms, axis=-1) / num_classes, reduction)


def multilabel_margin(y_true, y_pred, *, reduction="mean"):
    """Σ_{j∈J} Σ_{i∉J} max(0, 1 − (s_j − s_i)) / C per sample; J = the indices in y_true before the first −1."""
    s = as_float(np.atleast_2d(y_pred))
    targets = np.atleast_2d(np.asarray(y_true, dtype=np.int64))
    if targets.shape != s.shape:  # as PyTorch: one row of (padded) indices per row of scores
        raise ValueError(f"inconsistent target size: {targets.shape} for input of size: {s.shape}")
    num_classes = s.shape[-1]
    values = np.zeros(len(s))
    for row, (scores, indices) in enumerate(zip(s, targets)):
        ends = np.flatnonzero(indices == -1)
        positives = indices[: ends[0]] if len(ends) else indices  # a repeated index counts twice
        negatives = ~np.isin(np.arange(num_classes), positives)
        for j in positives:
            values[row] += np.sum(np.maximum(0.0, 1.0 - (scores[j] - scores[negatives])))
    return reduce(values / num_classes, reduction)


def soft_margin(y_true, y_pred, *, reduction="mean"):
    """log(1 + e^(−y·s)) per element; y ∈ {−1, 1}."""
    return reduce(softplus(-as_float(y_true) * as_float(y_pred)), reduction)


def hinge_embedding(y_true, y_pred, *, margin=1.0, reduction="mean"):
    """x if y = 1, max(0, margin − x) if y = −1, per element; any other y gets both terms (as PyTorch)."""
    y, x = as_float(y_true), as_float(y_pred)
    return reduce(np.where(y != -1, x, 0.0) + np.where(y != 1, np.maximum(0.0, margin - x), 0.0), reduction)


def margin_ranking(y_true, y_pred1, y_pred2, *, margin=0.0, reduction="mean"):
    """max(0, −y·(x₁ − x₂) + margin) per element; y = 1 means x₁ (y_pred1) should rank higher than x₂ (y_pred2)."""
    y = as_float(y_true)
    return reduce(np.maximum(0.0, -y * (as_float(y_pred1) - as_float(y_pred2)) + margin), reduction)
