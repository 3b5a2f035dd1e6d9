"""Embedding (similarity, metric-learning) losses, from scratch in numpy (conventions: see
lossadvisor/reference/crossentropy.py).

Losses on more than two tensors keep the `(y_true, y_pred)` pair: `cosine_embedding` takes
`y_pred = (x1, x2)` and `triplet_margin` takes `y_pred = (anchor, positive, negative)` with
`y_true=None` (the triplet is its own label). Pairwise losses (`ntxent`, `circle`) take group ids
(B,) as `y_true` and embeddings (B, D) as `y_pred`. Norm floors: `norm_min` floors each norm
(Keras: 1e-7); `epsilon` floors each SQUARED norm as optax does (its minimum norm is √epsilon);
`eps` is added to each squared norm (PyTorch CosineEmbeddingLoss: 1e-12) or to each difference
(PyTorch TripletMarginLoss: 1e-6), `root_eps` to the sum under the root (optax triplet: 1e-6).
"""

from __future__ import annotations

import numpy as np

from lossadvisor.reference._common import as_float, reduce, softplus


def _unit(x, axis=-1, norm_min=0.0):
    """x / max(‖x‖, norm_min) along `axis` (a zero vector with norm_min = 0 gives NaN)."""
    norm = np.maximum(np.sqrt(np.sum(x * x, axis=axis, keepdims=True)), norm_min)
    with np.errstate(divide="ignore", invalid="ignore"):
        return x / norm


def _logsumexp(x, mask, axis=-1):
    """log Σ e^x over the entries where mask is true; -inf where there are none."""
    with np.errstate(divide="ignore"):
        return np.logaddexp.reduce(np.where(mask, x, -np.inf), axis=axis)


def cosine_similarity(y_true, y_pred, *, axis=-1, norm_min=None, reduction="mean"):
    """−Σ (y/‖y‖)·(ŷ/‖ŷ‖) along axis = −cos(y, ŷ) ∈ [−1, 1], per sample (Keras: minimising it aligns ŷ with y)."""
    y, p = as_float(y_true), as_float(y_pred)
    floor = 0.0 if norm_min is None else norm_min
    return reduce(-np.sum(_unit(y, axis, floor) * _unit(p, axis, floor), axis=axis), reduction)


def cosine_similarity_score(y_true, y_pred, *, epsilon=0.0, axis=-1, reduction="mean"):
    """+Σ (y/‖y‖)·(ŷ/‖ŷ‖) along axis = +cos(y, ŷ), norms floored at √epsilon (optax: a score, NOT a loss)."""
    y, p = as_float(y_true), as_float(y_pred)
    floor = np.sqrt(epsilon)
    return reduce(np.sum(_unit(y, axis, floor) * _unit(p, axis, floor), axis=axis), reduction)


def cosine_distance(y_true, y_pred, *, epsilon=0.0, axis=-1, reduction="mean"):
    """1 − cos(y, ŷ) ∈ [0, 2], per sample (optax)."""
    return reduce(1.0 - cosine_similarity_score(y_true, y_pred, epsilon=epsilon, axis=axis, reduction="none"), reduction)


def cosine_embedding(y_true, y_pred, *, margin=0.0, eps=0.0, reduction="mean"):
    """y = 1: 1 − cos(x1, x2); y = −1: max(0, cos(x1, x2) − margin); any other y: 0. y_pred = (x1, x2)."""
    x1, x2 = (as_float(x) for x in y_pred)
    y = as_float(y_true)
    cos = np.sum(x1 * x2, axis=-1) / np.sqrt((np.sum(x1 * x1, axis=-1) + eps) * (np.sum(x2 * x2, axis=-1) + eps))
    values = np.where(y == 1, 1.0 - cos, np.where(y == -1, np.maximum(cos - margin, 0.0), 0.0))
    return reduce(values, reduction)


def triplet_margin(y_true, y_pred, *, margin=1.0, p=2, eps=0.0, root_eps=0.0, swap=False, reduction="mean"):
    """max(d(a, pos) − d(a, neg) + margin, 0), d(u, v) = ‖u − v‖_p; y_pred = (anchor, positive, negative), y_true unused."""
    anchor, positive, negative = (as_float(x) for x in y_pred)

    def distance(u, v):
        return (np.sum(np.abs(u - v + eps) ** p, axis=-1) + root_eps) ** (1.0 / p)

    d_negative = distance(anchor, negative)
    if swap:  # PyTorch: use the harder of the two negatives distances
        d_negative = np.minimum(d_negative, distance(positive, negative))
    return reduce(np.maximum(distance(anchor, positive) - d_negative + margin, 0.0), reduction)


def ntxent(y_true, y_pred, *, temperature=0.07, epsilon=0.0, reduction="mean"):
    """Per positive pair (i, j ≠ i, same id): −log[e^{s_ij} / (e^{s_ij} + Σ_{k: other id} e^{s_ik})], s = cos/temperature."""
    labels, z = np.asarray(y_true), as_float(y_pred)
    unit = _unit(z, -1, np.sqrt(epsilon))
    s = unit @ unit.T / temperature
    same = labels[:, None] == labels[None, :]
    positive = same & ~np.eye(len(labels), dtype=bool)
    negatives = _logsumexp(s, ~same, axis=1)[:, None]  # -inf when a row has no negative
    values = np.logaddexp(s, negatives) - s
    return reduce(values[positive], reduction)  # 'none': one value per positive pair, row-major


def circle(y_true, y_pred, *, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="mean"):
    """softplus(LSE_pos[−γ·α_p·(m − d)] + LSE_neg[γ·α_n·(1 − m − d)]) per anchor, d = max(1 − ŷ·ŷᵀ, 0), α_p = m + d, α_n = 1 + m − d."""
    labels, z = np.asarray(y_true), as_float(y_pred)
    d = np.maximum(1.0 - z @ z.T, 0.0)  # cosine distance, if the embeddings are L2-normalised
    same = labels[:, None] == labels[None, :]
    positive = same & ~np.eye(len(labels), dtype=bool) if remove_diagonal else same
    alpha_p, alpha_n = np.maximum(margin + d, 0.0), np.maximum(1.0 + margin - d, 0.0)
    with np.errstate(invalid="ignore"):
        values = softplus(_logsumexp(-gamma * alpha_p * (margin - d), positive, 1) + _logsumexp(gamma * alpha_n * (1.0 - margin - d), ~same, 1))
    if reduction == "mean":  # Keras masks the anchors whose loss is 0 (no positive or no negative) out of the mean
        return float(np.sum(values) / np.sum(values > 0)) if np.any(values > 0) else 0.0
    return reduce(values, reduction)
