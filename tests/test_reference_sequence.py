"""The CTC references (lossadvisor.reference.sequence: one numpy forward algorithm in log space,
four framework conventions) against PyTorch CTCLoss / ctc_loss, Keras 3 CTC / ctc (torch backend)
and optax ctc_loss / ctc_loss_with_forward_probs, on random batches with variable lengths,
repeated labels, empty targets, impossible alignments and large logits, every reduction. tf.keras
`backend.ctc_batch_cost` cannot run here (no TensorFlow): its reference is checked against PyTorch
with blank = C − 1, the composition its source (tf_keras/backend.py) describes. Tolerance: rtol
1e-5, atol 1e-5 (float32 frameworks, float64 reference); rtol 1e-10 against PyTorch in float64."""

from __future__ import annotations

import numpy as np
import pytest

from lossadvisor.reference import ctc, ctc_batch_cost, ctc_optax, ctc_torch
from lossadvisor.reference._common import log_softmax, softmax

from reference_helpers import close as _close

pytestmark = pytest.mark.frameworks
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
optax = pytest.importorskip("optax")
jnp = pytest.importorskip("jax.numpy")

RTOL, ATOL = 1e-5, 1e-5


def close(a, b, rtol=RTOL, atol=ATOL):  # CTC sums many float32 terms: atol 1e-5
    _close(a, b, rtol=rtol, atol=atol)


RNG = np.random.default_rng(0)


B, T, C, S = 5, 12, 6, 5
LOGITS = RNG.normal(0, 2, (B, T, C)).astype(np.float32)
LOGITS[1, 3] = [80, -80, 0, 30, -30, 0]  # a saturated frame
# Right-padded with 0; ids 1..C-1; row 2 has repeats (needs a blank between them), row 4 is empty.
LABELS = np.array([[1, 2, 3, 4, 5], [2, 2, 0, 0, 0], [3, 3, 3, 1, 0], [5, 4, 1, 2, 0], [0, 0, 0, 0, 0]])
LABEL_LENGTHS = np.sum(LABELS != 0, axis=1)
INPUT_LENGTHS = np.array([12, 9, 7, 12, 4])
LOG_PROBS_TNC = np.transpose(log_softmax(LOGITS), (1, 0, 2))  # PyTorch's time-major log-probabilities


def torch_ctc(log_probs, targets, input_lengths, target_lengths, dtype=torch.float32, **kwargs):
    return torch.nn.CTCLoss(**kwargs)(torch.tensor(log_probs, dtype=dtype), torch.tensor(targets), torch.tensor(input_lengths), torch.tensor(target_lengths)).numpy()


# --- PyTorch ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ctc_torch_against_pytorch(reduction):
    ours = ctc_torch(LABELS, LOG_PROBS_TNC, input_lengths=INPUT_LENGTHS, target_lengths=LABEL_LENGTHS, reduction=reduction)
    close(ours, torch_ctc(LOG_PROBS_TNC, LABELS, INPUT_LENGTHS, LABEL_LENGTHS, reduction=reduction))
    args = (torch.tensor(LOG_PROBS_TNC, dtype=torch.float32), torch.tensor(LABELS), torch.tensor(INPUT_LENGTHS), torch.tensor(LABEL_LENGTHS))
    close(ours, torch.nn.functional.ctc_loss(*args, reduction=reduction).numpy())
    exact = torch_ctc(LOG_PROBS_TNC, LABELS, INPUT_LENGTHS, LABEL_LENGTHS, dtype=torch.float64, reduction=reduction)
    close(ours, exact, rtol=1e-10, atol=1e-10)


def test_ctc_torch_concatenated_targets_and_mean_divides_by_target_length():
    concatenated = np.concatenate([row[:n] for row, n in zip(LABELS, LABEL_LENGTHS)])
    ours = ctc_torch(concatenated, LOG_PROBS_TNC, input_lengths=INPUT_LENGTHS, target_lengths=LABEL_LENGTHS, reduction="none")
    close(ours, torch_ctc(LOG_PROBS_TNC, concatenated, INPUT_LENGTHS, LABEL_LENGTHS, reduction="none"))
    mean = float(torch_ctc(LOG_PROBS_TNC, concatenated, INPUT_LENGTHS, LABEL_LENGTHS))
    close(mean, np.mean(ours / np.maximum(LABEL_LENGTHS, 1)))
    assert abs(mean - np.mean(ours)) > 1.0  # not the plain mean (Keras's)


def test_ctc_torch_blank_and_impossible_alignments():
    """blank = C − 1 with labels 0..C−2; an input too short for its labels (3 repeats need 5 frames)
    is inf, or 0 with zero_infinity=True."""
    shifted = np.where(LABELS == 0, 0, LABELS - 1)
    ours = ctc_torch(shifted, LOG_PROBS_TNC, input_lengths=INPUT_LENGTHS, target_lengths=LABEL_LENGTHS, blank=C - 1, reduction="none")
    close(ours, torch_ctc(LOG_PROBS_TNC, shifted, INPUT_LENGTHS, LABEL_LENGTHS, blank=C - 1, reduction="none"))
    short = np.array([12, 9, 4, 12, 4])  # row 2: labels 3 3 3 1 need 6 frames
    ours = ctc_torch(LABELS, LOG_PROBS_TNC, input_lengths=short, target_lengths=LABEL_LENGTHS, reduction="none")
    assert np.isinf(ours[2]) and np.isinf(torch_ctc(LOG_PROBS_TNC, LABELS, short, LABEL_LENGTHS, reduction="none")[2])
    for reduction in ("mean", "sum", "none"):
        ours = ctc_torch(LABELS, LOG_PROBS_TNC, input_lengths=short, target_lengths=LABEL_LENGTHS, zero_infinity=True, reduction=reduction)
        close(ours, torch_ctc(LOG_PROBS_TNC, LABELS, short, LABEL_LENGTHS, zero_infinity=True, reduction=reduction))


def test_ctc_torch_raw_logits_give_a_wrong_possibly_negative_value():
    """PyTorch does not check that its input is log-probabilities: raw logits are silently summed."""
    raw = np.transpose(LOGITS + 5.0, (1, 0, 2))
    ours = ctc_torch(LABELS, raw, input_lengths=INPUT_LENGTHS, target_lengths=LABEL_LENGTHS, reduction="none")
    theirs = torch_ctc(raw, LABELS, INPUT_LENGTHS, LABEL_LENGTHS, reduction="none")
    close(ours, theirs, rtol=1e-4)
    assert np.any(theirs < 0)


# --- Keras 3 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("keras_reduction", "reduction"), [("sum_over_batch_size", "mean"), ("sum", "sum"), (None, "none")])
def test_ctc_against_keras(keras_reduction, reduction):
    rows = LABELS[:4]  # Keras uses all T frames and the non-zero ids of each row
    ours = ctc(rows, LOGITS[:4], reduction=reduction)
    close(ours, keras.losses.CTC(reduction=keras_reduction)(rows, LOGITS[:4]).numpy())
    close(ctc(rows, LOGITS[:4], reduction="none"), keras.losses.ctc(rows, LOGITS[:4]).numpy())


def test_keras_ctc_is_torch_ctc_on_log_softmax_with_full_lengths():
    rows = LABELS[:4]
    full = np.full(4, T)
    close(ctc(rows, LOGITS[:4], reduction="none"), ctc_torch(rows, LOG_PROBS_TNC[:, :4], input_lengths=full, target_lengths=LABEL_LENGTHS[:4], reduction="none"), rtol=1e-12)
    mean_keras = float(keras.losses.CTC()(rows, LOGITS[:4]))
    mean_torch = float(torch_ctc(LOG_PROBS_TNC[:, :4], rows, full, LABEL_LENGTHS[:4]))
    close(mean_keras / mean_torch, np.mean(ctc(rows, LOGITS[:4], reduction="none")) / ctc_torch(rows, LOG_PROBS_TNC[:, :4], target_lengths=LABEL_LENGTHS[:4]))


def test_keras_ctc_impossible_alignment_is_inf_on_the_torch_backend():
    logits = LOGITS[:1, :4]
    labels = np.array([[1, 1, 1]])  # needs 5 frames
    assert np.isinf(ctc(labels, logits)) and np.isinf(float(keras.losses.ctc(labels, logits)[0]))


# --- optax ------------------------------------------------------------------------------------------


def paddings(lengths, width):
    return (np.arange(width)[None, :] >= np.asarray(lengths)[:, None]).astype(np.float32)


@pytest.mark.parametrize("blank_id", [0, C - 1])
def test_ctc_optax_against_optax(blank_id):
    labels = LABELS if blank_id == 0 else np.where(LABELS == 0, 0, LABELS - 1)
    logit_paddings, label_paddings = paddings(INPUT_LENGTHS, T), paddings(LABEL_LENGTHS, S)
    ours = ctc_optax(labels, LOGITS, logit_paddings=logit_paddings, label_paddings=label_paddings, blank_id=blank_id, reduction="none")
    args = (jnp.asarray(LOGITS), jnp.asarray(logit_paddings), jnp.asarray(labels), jnp.asarray(label_paddings))
    close(ours, np.asarray(optax.ctc_loss(*args, blank_id=blank_id)))
    close(ours, np.asarray(optax.losses.ctc_loss(*args, blank_id=blank_id)))
    close(ours, np.asarray(optax.ctc_loss_with_forward_probs(*args, blank_id=blank_id)[0]))
    close(ctc_optax(labels, LOGITS, logit_paddings=logit_paddings, label_paddings=label_paddings, blank_id=blank_id), float(np.mean(optax.ctc_loss(*args, blank_id=blank_id))))
    same = ctc_torch(labels, LOG_PROBS_TNC, input_lengths=INPUT_LENGTHS, target_lengths=LABEL_LENGTHS, blank=blank_id, reduction="none")
    close(ours, same, rtol=1e-12)  # the same loss as PyTorch's, given lengths as masks


def test_ctc_optax_takes_log_probabilities_too_and_is_finite_when_impossible():
    """log_softmax inside is idempotent, so log-probabilities give the same value; an impossible
    alignment costs about 1e5 (log_epsilon = −1e5 stands for log 0) where PyTorch gives inf."""
    no_pad = np.zeros((B, T), dtype=np.float32)
    label_paddings = paddings(LABEL_LENGTHS, S)
    from_logits = np.asarray(optax.ctc_loss(jnp.asarray(LOGITS), jnp.asarray(no_pad), jnp.asarray(LABELS), jnp.asarray(label_paddings)))
    from_log_probs = np.asarray(optax.ctc_loss(jnp.asarray(log_softmax(LOGITS).astype(np.float32)), jnp.asarray(no_pad), jnp.asarray(LABELS), jnp.asarray(label_paddings)))
    close(from_logits, from_log_probs)
    close(ctc_optax(LABELS, log_softmax(LOGITS), label_paddings=label_paddings, reduction="none"), from_logits)
    labels = np.array([[1, 1, 1]])
    impossible = float(optax.ctc_loss(jnp.asarray(LOGITS[:1, :4]), jnp.zeros((1, 4)), jnp.asarray(labels), jnp.zeros((1, 3)))[0])
    assert 1e5 <= impossible < 1.001e5 and np.isinf(ctc_optax(labels, LOGITS[:1, :4]))


# --- tf.keras backend.ctc_batch_cost (source only) --------------------------------------------------


def test_ctc_batch_cost_is_ctc_on_probabilities_with_the_last_class_blank():
    """tf.keras: log(p + 1e-7) (B, T, C) fed to tf.compat.v1.nn.ctc_loss, blank = C − 1, lengths (B, 1).
    Checked against PyTorch CTCLoss(blank=C − 1) on the same log-probabilities."""
    probs = softmax(LOGITS)
    labels = np.where(LABELS == 0, 0, LABELS - 1)  # ids 0..C−2: C − 1 is the blank
    ours = ctc_batch_cost(labels, probs, input_length=INPUT_LENGTHS[:, None], label_length=LABEL_LENGTHS[:, None], reduction="none")
    close(ours, torch_ctc(LOG_PROBS_TNC, labels, INPUT_LENGTHS, LABEL_LENGTHS, blank=C - 1, reduction="none"))
    eps_log_probs = np.transpose(log_softmax(np.log(probs + 1e-7)), (1, 0, 2))
    clipped = ctc_batch_cost(labels, probs, input_length=INPUT_LENGTHS, label_length=LABEL_LENGTHS, epsilon=1e-7, reduction="none")
    close(clipped, torch_ctc(eps_log_probs, labels, INPUT_LENGTHS, LABEL_LENGTHS, blank=C - 1, reduction="none"))
    assert np.max(np.abs(clipped - ours)) > 1e-3  # the saturated frame: p = 0 becomes 1e-7
    close(np.delete(clipped, 1), np.delete(ours, 1), rtol=1e-4)


def test_the_four_conventions_agree_on_one_batch():
    """One batch, written four ways: Keras logits (blank 0), PyTorch time-major log-probs (blank 0),
    optax logits with masks (blank 0), tf.keras probabilities (blank C − 1, so the classes move)."""
    rows, full = LABELS[:4], np.full(4, T)
    keras_values = keras.losses.CTC(reduction=None)(rows, LOGITS[:4]).numpy()
    torch_values = torch_ctc(LOG_PROBS_TNC[:, :4], rows, full, LABEL_LENGTHS[:4], reduction="none")
    optax_values = np.asarray(optax.ctc_loss(jnp.asarray(LOGITS[:4]), jnp.zeros((4, T)), jnp.asarray(rows), jnp.asarray(paddings(LABEL_LENGTHS[:4], S))))
    moved = np.roll(LOGITS[:4], -1, axis=-1)  # class c -> c − 1, blank 0 -> C − 1
    tf_keras = ctc_batch_cost(rows - 1, softmax(moved), input_length=full, label_length=LABEL_LENGTHS[:4], reduction="none")
    close(keras_values, torch_values)
    close(optax_values, torch_values)
    close(tf_keras, torch_values)
