"""Regression losses, from scratch in numpy (see lossadvisor/reference/crossentropy.py for the conventions).

Every loss here is elementwise: reduction="none" returns one value per element and "mean" is the
mean over ALL elements, as PyTorch computes it. Keras takes the mean over the last axis first (one
value per sample) and then reduces over the samples: the same "mean" when every row has the same
length, but Keras's "none" is `values.mean(axis=-1)` and its "sum" is `values.mean(axis=-1).sum()`.
`e` below is y_pred − y_true. Framework safeguards are keyword arguments, off by default: `epsilon`
is Keras's (1e-7: a floor on |y| in MAPE, on both arguments in MSLE, added to the rate in Poisson),
`eps` PyTorch's (added to the rate in PoissonNLLLoss(log_input=False), 1e-8; the floor on the
variance in GaussianNLLLoss, 1e-6, on by default as there).
"""

from __future__ import annotations

import math

import numpy as np

from lossadvisor.reference._common import as_float, reduce


def _error(y_true, y_pred) -> np.ndarray:
    return as_float(y_pred) - as_float(y_true)


def mean_squared_error(y_true, y_pred, *, reduction="mean"):
    """(ŷ − y)², per element."""
    return reduce(_error(y_true, y_pred) ** 2, reduction)


def mean_absolute_error(y_true, y_pred, *, reduction="mean"):
    """|ŷ − y|, per element."""
    return reduce(np.abs(_error(y_true, y_pred)), reduction)


def mean_absolute_percentage_error(y_true, y_pred, *, epsilon=None, reduction="mean"):
    """100 · |y − ŷ| / |y|, per element (Keras: |y| floored at epsilon = 1e-7)."""
    scale = np.abs(as_float(y_true))
    if epsilon is not None:
        scale = np.maximum(scale, epsilon)
    with np.errstate(divide="ignore", invalid="ignore"):  # y = 0: infinite (NaN if ŷ = 0 too)
        return reduce(100.0 * np.abs(_error(y_true, y_pred)) / scale, reduction)


def mean_squared_logarithmic_error(y_true, y_pred, *, epsilon=None, reduction="mean"):
    """(log(1 + ŷ) − log(1 + y))², per element (Keras: ŷ and y floored at epsilon = 1e-7 first)."""
    y, p = as_float(y_true), as_float(y_pred)
    if epsilon is not None:
        y, p = np.maximum(y, epsilon), np.maximum(p, epsilon)
    with np.errstate(divide="ignore", invalid="ignore"):  # values ≤ −1 have no log
        return reduce((np.log1p(p) - np.log1p(y)) ** 2, reduction)


def root_mean_squared_error(y_true, y_pred, *, epsilon=None, reduction="mean"):
    """√(mean((ŷ − y)²) + epsilon): the root of the reduced squared error (no framework has it as a loss)."""
    reduced = reduce(_error(y_true, y_pred) ** 2, reduction)
    root = np.sqrt(reduced + (epsilon or 0.0))
    return root if reduction == "none" else float(root)


def huber(y_true, y_pred, *, delta=1.0, reduction="mean"):
    """½e² where |e| ≤ δ, else δ·(|e| − ½δ), per element."""
    a = np.abs(_error(y_true, y_pred))
    return reduce(np.where(a <= delta, 0.5 * a**2, delta * (a - 0.5 * delta)), reduction)


def smooth_l1(y_true, y_pred, *, beta=1.0, reduction="mean"):
    """½e²/β where |e| < β, else |e| − ½β, per element; β = 0 is |e|. Equals huber(δ=β) / β."""
    a = np.abs(_error(y_true, y_pred))
    if beta == 0:
        return reduce(a, reduction)
    return reduce(np.where(a < beta, 0.5 * a**2 / beta, a - 0.5 * beta), reduction)


def log_cosh(y_true, y_pred, *, reduction="mean"):
    """log(cosh(e)), per element, computed as log((eᵉ + e⁻ᵉ)/2) so large errors do not overflow."""
    e = _error(y_true, y_pred)
    return reduce(np.logaddexp(e, -e) - math.log(2.0), reduction)


def quantile(y_true, y_pred, *, q=0.5, reduction="mean"):
    """max(q·(y − ŷ), (q − 1)·(y − ŷ)), per element (the pinball loss; q = 0.5 is half the absolute error)."""
    r = as_float(y_true) - as_float(y_pred)
    return reduce(np.maximum(q * r, (q - 1.0) * r), reduction)


def poisson(y_true, y_pred, *, epsilon=None, reduction="mean"):
    """ŷ − y·log(ŷ), per element, ŷ a rate > 0 (Keras: log(ŷ + epsilon), epsilon = 1e-7); log(y!) left out."""
    y, rate = as_float(y_true), as_float(y_pred)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 · log 0 is 0 here, as in the limit
        y_log_rate = np.where(y == 0, 0.0, y * np.log(rate + (epsilon or 0.0)))
    return reduce(rate - y_log_rate, reduction)


def poisson_nll(y_true, y_pred, *, log_input=True, full=False, eps=None, reduction="mean"):
    """exp(x) − y·x for a log-rate x (log_input=False: x − y·log(x + eps) for a rate x), per element;
    full=True adds Stirling's log(y!) ≈ y·log y − y + ½·log(2πy) where y > 1 (PyTorch)."""
    y, x = as_float(y_true), as_float(y_pred)
    if log_input:
        values = np.exp(x) - y * x
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            values = x - np.where(y == 0, 0.0, y * np.log(x + (eps or 0.0)))
    if full:
        big = np.where(y > 1, y, 2.0)  # log y! is 0 for y ∈ {0, 1}; PyTorch adds nothing there
        values = values + np.where(y > 1, big * np.log(big) - big + 0.5 * np.log(2 * math.pi * big), 0.0)
    return reduce(values, reduction)


def gaussian_nll(y_true, y_pred, *, var, full=False, eps=1e-6, reduction="mean"):
    """½·(log v + (ŷ − y)²/v), v = max(var, eps), per element (y_pred the mean); full=True adds ½·log 2π.
    `var` has y_pred's shape, or one axis fewer, or broadcasts to it (PyTorch's rules)."""
    mean, v = as_float(y_pred), as_float(var)
    if v.ndim == mean.ndim - 1 and v.shape == mean.shape[:-1]:
        v = v[..., None]  # one variance per row
    if eps is not None:
        v = np.maximum(v, eps)  # a clamp, not an addition; PyTorch passes no gradient through it
    values = 0.5 * (np.log(v) + (mean - as_float(y_true)) ** 2 / v)
    if full:
        values = values + 0.5 * math.log(2 * math.pi)
    return reduce(values, reduction)


# ---- box regression (torchvision.ops): boxes as corners (x1, y1, x2, y2), one value per box -----


def _box_terms(y_true, y_pred, eps: float):
    """IoU, the union, the enclosing box's area and squared diagonal, and the squared distance of the
    centres, for boxes (…, 4) given as (x1, y1, x2, y2)."""
    px1, py1, px2, py2 = np.moveaxis(as_float(y_pred), -1, 0)
    tx1, ty1, tx2, ty2 = np.moveaxis(as_float(y_true), -1, 0)
    overlap_w = np.clip(np.minimum(px2, tx2) - np.maximum(px1, tx1), 0.0, None)
    overlap_h = np.clip(np.minimum(py2, ty2) - np.maximum(py1, ty1), 0.0, None)
    inter = overlap_w * overlap_h
    union = (px2 - px1) * (py2 - py1) + (tx2 - tx1) * (ty2 - ty1) - inter
    iou = inter / (union + eps)
    enclosing_w, enclosing_h = np.maximum(px2, tx2) - np.minimum(px1, tx1), np.maximum(py2, ty2) - np.minimum(py1, ty1)
    centres = ((px1 + px2) - (tx1 + tx2)) ** 2 / 4 + ((py1 + py2) - (ty1 + ty2)) ** 2 / 4
    return iou, union, enclosing_w * enclosing_h, enclosing_w**2 + enclosing_h**2, centres


def generalized_box_iou(y_true, y_pred, *, eps=1e-7, reduction="mean"):
    """1 − IoU + (|C| − |A ∪ B|) / |C|, C the smallest box enclosing both (torchvision: eps in both divisions)."""
    iou, union, enclosing, _, _ = _box_terms(y_true, y_pred, eps)
    return reduce(1.0 - iou + (enclosing - union) / (enclosing + eps), reduction)


def distance_box_iou(y_true, y_pred, *, eps=1e-7, reduction="mean"):
    """1 − IoU + ρ²(centres) / (c² + eps), c the diagonal of the smallest enclosing box."""
    iou, _, _, diagonal, centres = _box_terms(y_true, y_pred, eps)
    return reduce(1.0 - iou + centres / (diagonal + eps), reduction)


def complete_box_iou(y_true, y_pred, *, eps=1e-7, reduction="mean"):
    """DIoU loss + α·v, v = 4/π²·(atan(w_t/h_t) − atan(w_p/h_p))², α = v / (1 − IoU + v + eps)."""
    iou, _, _, diagonal, centres = _box_terms(y_true, y_pred, eps)
    px1, py1, px2, py2 = np.moveaxis(as_float(y_pred), -1, 0)
    tx1, ty1, tx2, ty2 = np.moveaxis(as_float(y_true), -1, 0)
    v = 4.0 / math.pi**2 * (np.arctan((tx2 - tx1) / (ty2 - ty1)) - np.arctan((px2 - px1) / (py2 - py1))) ** 2
    alpha = v / (1.0 - iou + v + eps)
    return reduce(1.0 - iou + centres / (diagonal + eps) + alpha * v, reduction)
