"""Crossentropy losses, from scratch in numpy.

Each function takes `(y_true, y_pred, *, <the loss's parameters as rules/losses.yaml names them>,
reduction="mean")`. `y_pred` is in the form the loss's entry says (`input:`), or logits with
`from_logits=True`. With reduction="none" an elementwise loss returns one value per element, a
per-sample loss one value per sample. Framework safeguards that change edge values are keyword
arguments, off by default (the exact formula): `epsilon` clips probabilities to [eps, 1 - eps]
as Keras does, `log_min` floors each log as PyTorch's BCELoss does (-100).
"""

from __future__ import annotations

import numpy as np

from lossadvisor.reference._common import as_float, log_sigmoid, reduce


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
