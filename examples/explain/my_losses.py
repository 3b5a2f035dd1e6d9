"""Losses written from scratch, as a learner writes them. Check them against lossadvisor's
reference implementations:

    lossadvisor explain binary_crossentropy --verify examples/explain/my_losses.py:bce
    lossadvisor explain binary_crossentropy --verify examples/explain/my_losses.py:bce_no_clip
    lossadvisor explain sparse_categorical_crossentropy --verify examples/explain/my_losses.py:sparse_ce
"""

import numpy as np


def bce(y_true, y_pred):
    p = np.clip(y_pred, 1e-12, 1 - 1e-12)  # log(0) is -inf: keep away from 0 and 1
    return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))


def bce_no_clip(y_true, y_pred):
    return -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))


def sparse_ce(y_true, y_pred):
    # wrong: multiplies the class id by the summed log-probabilities instead of picking the
    # log-probability of the true class, y_pred[i, y_true[i]]
    return -np.mean(y_true * np.log(y_pred).sum(axis=1))
