"""Sequence losses (CTC), from scratch in numpy (conventions: see lossadvisor/reference/crossentropy.py).

CTC is −log of the total probability of every alignment of the label sequence with the T frames:
paths over the labels with a blank between and around them, where a step stays, moves one state
on, or skips a blank between two different labels. `_ctc_nll` computes it with the forward
algorithm in log space, for one sequence. The four functions differ only in what the frameworks
expect, each with its framework's layout and names:

- `ctc` (Keras 3): logits (B, T, C), labels (B, S) with 0 = blank AND padding, lengths implied.
- `ctc_batch_cost` (tf.keras backend): softmax probabilities (B, T, C), blank = C − 1, lengths given.
- `ctc_torch` (PyTorch): log-probabilities (T, N, C) time-major, blank = 0, lengths given.
- `ctc_optax` (optax): logits (B, T, K), 0/1 padding masks (1 = padded) instead of lengths, blank = 0.

With reduction="none" each returns one value per sequence.
"""

from __future__ import annotations

import numpy as np

from lossadvisor.reference._common import as_float, log_softmax, reduce


def _ctc_nll(log_probs, labels, blank):
    """−log p(labels | frames): log_probs (T, C) per frame, labels (S,) without blanks."""
    states = np.full(2 * len(labels) + 1, blank)  # blank, l1, blank, l2, …, lS, blank
    states[1::2] = labels
    skip = np.zeros(len(states), dtype=bool)  # a state may be reached from two back: a label after a blank, unlike the label before it
    skip[3::2] = states[3::2] != states[1:-2:2]
    alpha = np.full(len(states), -np.inf)
    alpha[:2] = log_probs[0, states[:2]]
    for t in range(1, len(log_probs)):
        one_back = np.concatenate([[-np.inf], alpha])[: len(alpha)]
        two_back = np.where(skip, np.concatenate([[-np.inf, -np.inf], alpha])[: len(alpha)], -np.inf)
        alpha = np.logaddexp.reduce([alpha, one_back, two_back], axis=0) + log_probs[t, states]
    return -np.logaddexp.reduce(alpha[-2:])  # end on the last label or the final blank


def ctc(y_true, y_pred, *, reduction="mean"):
    """−log Σ_alignments Π_t softmax(z_t)[π_t], per sequence; labels = the non-zero ids of each row (0 = blank = padding), all T frames."""
    labels, logits = np.asarray(y_true, dtype=np.int64), as_float(y_pred)
    log_probs = log_softmax(logits)
    lengths = np.sum(labels != 0, axis=-1)  # Keras takes the first (number of non-zero ids) entries of a row
    values = np.array([_ctc_nll(lp, row[:n], blank=0) for lp, row, n in zip(log_probs, labels, lengths)])
    return reduce(values, reduction)  # 'mean': the plain batch mean


def ctc_batch_cost(y_true, y_pred, *, input_length, label_length, epsilon=None, reduction="mean"):
    """−log Σ_alignments Π_t p_t[π_t], per sequence; p softmax probabilities (B, T, C), blank = C − 1 (tf.keras: log(p + 1e-7), renormalised)."""
    labels, p = np.asarray(y_true, dtype=np.int64), as_float(y_pred)
    with np.errstate(divide="ignore"):
        log_probs = log_softmax(np.log(p + (epsilon or 0.0)))  # TF's ctc_loss takes log(p + eps) as logits
    blank = p.shape[-1] - 1
    input_length, label_length = np.ravel(input_length), np.ravel(label_length)  # (B, 1) or (B,)
    values = np.array([_ctc_nll(lp[:t], row[:n], blank) for lp, row, t, n in zip(log_probs, labels, input_length, label_length)])
    return reduce(values, reduction)  # tf.keras returns the (B, 1) values, unreduced


def ctc_torch(y_true, y_pred, *, input_lengths=None, target_lengths=None, blank=0, zero_infinity=False, reduction="mean"):
    """−log Σ_alignments Π_t exp(lp_t[π_t]), per sequence; lp log-probabilities (T, N, C) time-major; 'mean' = mean(loss_n / target_length_n)."""
    log_probs, targets = as_float(y_pred), np.asarray(y_true, dtype=np.int64)
    frames, batch = log_probs.shape[:2]
    input_lengths = np.full(batch, frames) if input_lengths is None else np.asarray(input_lengths)
    if targets.ndim == 1:  # concatenated targets: split them by their lengths
        rows = np.split(targets, np.cumsum(target_lengths)[:-1])
    else:  # padded (N, S): the first target_length ids of each row
        target_lengths = np.full(batch, targets.shape[1]) if target_lengths is None else np.asarray(target_lengths)
        rows = [row[:n] for row, n in zip(targets, target_lengths)]
    values = np.array([_ctc_nll(log_probs[: input_lengths[n], n], rows[n], blank) for n in range(batch)])
    if zero_infinity:
        values = np.where(np.isinf(values), 0.0, values)
    if reduction == "mean":
        return float(np.mean(values / np.maximum([len(row) for row in rows], 1)))
    return reduce(values, reduction)


def ctc_optax(y_true, y_pred, *, logit_paddings=None, label_paddings=None, blank_id=0, reduction="mean"):
    """−log Σ_alignments Π_t softmax(z_t)[π_t], per sequence, over the frames and labels whose padding is 0 (1 = padded)."""
    labels, logits = np.asarray(y_true, dtype=np.int64), as_float(y_pred)
    log_probs = log_softmax(logits)
    frames = np.ones(logits.shape[:2], dtype=bool) if logit_paddings is None else np.asarray(logit_paddings) == 0
    kept = np.ones(labels.shape, dtype=bool) if label_paddings is None else np.asarray(label_paddings) == 0
    values = np.array([_ctc_nll(lp[f], row[k], blank_id) for lp, f, row, k in zip(log_probs, frames, labels, kept)])
    return reduce(values, reduction)  # optax returns the (B,) values, unreduced
