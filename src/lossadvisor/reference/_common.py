"""What every reference implementation shares: the reduction, and numerically careful softmax,
sigmoid and their logs, in plain numpy (float64 throughout, so the reference is the exact side of
every comparison)."""

from __future__ import annotations

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def as_float(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def reduce(values: np.ndarray, reduction: str = "mean", weights: np.ndarray | None = None):
    """'none': the values as they are; 'sum': their sum; 'mean': their mean, or with `weights`
    sum(values) / sum(weights) (PyTorch's weighted mean for class weights)."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if reduction == "none":
        return values
    if reduction == "sum":
        return float(np.sum(values))
    if weights is not None:
        return float(np.sum(values) / np.sum(weights))
    return float(np.mean(values))


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = as_float(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.exp(log_softmax(x, axis))


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log(1 / (1 + e^-x)) without overflow: -softplus(-x)."""
    x = as_float(x)
    return -np.logaddexp(0.0, -x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(log_sigmoid(x))


def softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, as_float(x))


def one_hot(ids: np.ndarray, num_classes: int) -> np.ndarray:
    ids = np.asarray(ids, dtype=np.int64)
    return (ids[..., None] == np.arange(num_classes)).astype(np.float64)
