"""The crossentropy references (lossadvisor.reference.crossentropy) against PyTorch, Keras 3 and
optax on random and edge inputs, every reduction. Tolerance: rtol 1e-5, atol 1e-6 (the frameworks
compute in float32, the reference in float64); 1e-4 relative where Keras clips in float32 and for
sums over a batch of large (±80 logit) values. Edge values where the frameworks disagree with each
other or with the exact formula (NaN, a clip, a divisor) are asserted as such, with their size."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from lossadvisor.reference import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_generalized_cross_entropy,
    cross_entropy,
    generalized_kl,
    keras_auto_crossentropy,
    kl_div,
    kl_divergence,
    linear_cross_entropy,
    multilabel_soft_margin,
    nll,
    poly_loss,
    ranking_softmax,
    sparse_categorical_crossentropy,
    sparsemax_binary,
    sparsemax_multiclass,
)
from lossadvisor.reference._common import log_softmax, softmax

from reference_helpers import close, t

pytestmark = pytest.mark.frameworks
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
optax = pytest.importorskip("optax")
jnp = pytest.importorskip("jax.numpy")

RNG = np.random.default_rng(0)


LOGITS = np.concatenate([RNG.normal(0, 3, (8, 5)), np.array([[30.0, -30.0, 0.0, 80.0, -80.0]])]).astype(np.float32)
TARGETS = np.concatenate([RNG.integers(0, 2, (8, 5)), np.array([[1, 0, 1, 0, 1]])]).astype(np.float32)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_crossentropy_logits_against_pytorch(reduction):
    ours = binary_crossentropy(TARGETS, LOGITS, from_logits=True, reduction=reduction)
    theirs = torch.nn.BCEWithLogitsLoss(reduction=reduction)(t(LOGITS), t(TARGETS))
    close(ours, theirs.numpy())
    pos_weight = np.array([1.0, 2.0, 0.5, 3.0, 1.0])
    ours = binary_crossentropy(TARGETS, LOGITS, from_logits=True, pos_weight=pos_weight, reduction=reduction)
    theirs = torch.nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=t(pos_weight))(t(LOGITS), t(TARGETS))
    close(ours, theirs.numpy())


def test_binary_crossentropy_probabilities_with_edges_against_pytorch():
    probs = np.array([[0.0, 1.0, 0.5, 1e-9, 0.999]], dtype=np.float32)
    y = np.array([[1.0, 0.0, 1.0, 1.0, 0.0]], dtype=np.float32)
    ours = binary_crossentropy(y, probs, log_min=-100.0, reduction="none")
    close(ours, torch.nn.BCELoss(reduction="none")(t(probs), t(y)).numpy(), rtol=1e-4)
    assert np.isinf(binary_crossentropy(y, probs, reduction="none")[0, 0])  # the exact formula


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_binary_crossentropy_against_keras(smoothing):
    probs = (1 / (1 + np.exp(-LOGITS[:-1]))).astype(np.float32)  # rows whose probabilities are not saturated
    keras_loss = keras.losses.BinaryCrossentropy(label_smoothing=smoothing)
    close(binary_crossentropy(TARGETS[:-1], probs, label_smoothing=smoothing, epsilon=1e-7), float(keras_loss(TARGETS[:-1], probs)), rtol=1e-4)
    keras_logits = keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=smoothing)
    close(binary_crossentropy(TARGETS, LOGITS, from_logits=True, label_smoothing=smoothing), float(keras_logits(TARGETS, LOGITS)))


def test_keras_clip_at_the_edges_is_float32():
    """Keras clips to [1e-7, 1 - 1e-7] in float32, where 1 - 1e-7 rounds to 1 - 1.19e-7: p = 0 for a
    positive costs 16.12, p = 1 for a negative 15.94 (explain says so)."""
    y, p = np.array([[0.0, 1.0]], dtype=np.float32), np.array([[1.0, 0.0]], dtype=np.float32)
    keras_value = float(keras.losses.BinaryCrossentropy()(y, p))
    gap = float(np.float32(1) - np.float32(1 - 1e-7))
    close(keras_value, np.mean([binary_crossentropy([0.0], [1 - gap]), binary_crossentropy([1.0], [1e-7])]), rtol=1e-4)
    assert round(binary_crossentropy([1.0], [1e-7]), 2) == 16.12 and round(binary_crossentropy([0.0], [1 - gap]), 2) == 15.94


def test_binary_crossentropy_against_optax():
    close(binary_crossentropy(TARGETS, LOGITS, from_logits=True, reduction="none"), np.asarray(optax.sigmoid_binary_cross_entropy(LOGITS, TARGETS)))


# ---------------------------------------------------------------------------------------------
# Softmax family: N = 9 samples, C = 5 classes; the last row holds the edge logits ±30, ±80.

CE_RNG = np.random.default_rng(1)
N, C = 9, 5
CE_LOGITS = np.concatenate([CE_RNG.normal(0, 3, (N - 1, C)), [[30.0, -30.0, 0.0, 80.0, -80.0]]]).astype(np.float32)
IDS = np.concatenate([CE_RNG.integers(0, C, N - 1), [4]]).astype(np.int64)  # the edge row's label has logit -80
ONE_HOT = np.eye(C, dtype=np.float32)[IDS]
SOFT = softmax(CE_RNG.normal(0, 1, (N, C))).astype(np.float32)
PROBS = softmax(CE_LOGITS[:-1]).astype(np.float32)  # probability rows that are not saturated
CLASS_WEIGHT = np.array([1.0, 2.0, 0.5, 3.0, 1.0])
KERAS_REDUCTIONS = {"mean": "sum_over_batch_size", "sum": "sum", "none": None}
REDUCTIONS = ("mean", "sum", "none")


def j(x):
    return jnp.asarray(np.asarray(x))


def keras_value(loss, y_true, y_pred):
    return np.asarray(keras.ops.convert_to_numpy(loss(y_true, y_pred)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_categorical_crossentropy_against_keras(reduction, smoothing):
    keras_reduction = KERAS_REDUCTIONS[reduction]
    on_logits = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing, reduction=keras_reduction)
    close(categorical_crossentropy(ONE_HOT, CE_LOGITS, from_logits=True, label_smoothing=smoothing, reduction=reduction), keras_value(on_logits, ONE_HOT, CE_LOGITS))
    close(categorical_crossentropy(SOFT, CE_LOGITS, from_logits=True, label_smoothing=smoothing, reduction=reduction), keras_value(on_logits, SOFT, CE_LOGITS))
    on_probs = keras.losses.CategoricalCrossentropy(label_smoothing=smoothing, reduction=keras_reduction)
    ours = categorical_crossentropy(ONE_HOT[:-1], PROBS, label_smoothing=smoothing, epsilon=1e-7, renormalize=True, reduction=reduction)
    close(ours, keras_value(on_probs, ONE_HOT[:-1], PROBS), rtol=1e-4)
    if reduction == "none":  # the bare function and the string spelling are the same loss
        close(ours, keras_value(lambda y, p: keras.losses.categorical_crossentropy(y, p, label_smoothing=smoothing), ONE_HOT[:-1], PROBS), rtol=1e-4)
    if reduction == "mean" and smoothing == 0.0:
        close(ours, np.mean(keras_value(keras.losses.get("categorical_crossentropy"), ONE_HOT[:-1], PROBS)), rtol=1e-4)  # the bare function


def test_categorical_crossentropy_keras_edges_clip_and_renormalise():
    """Keras divides p by its row sum, then clips to [1e-7, 1 - 1e-7]: p_y = 0 costs 16.12, not inf;
    a sigmoid-like row [0.9, 0.8, 0.1] with y = 0 costs log 2 = 0.693 instead of -log 0.9 = 0.105."""
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    p = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.9, 0.8, 0.1]], dtype=np.float32)
    theirs = keras_value(keras.losses.CategoricalCrossentropy(reduction=None), y, p)
    close(categorical_crossentropy(y, p, epsilon=1e-7, renormalize=True, reduction="none"), theirs, rtol=1e-4)
    exact = categorical_crossentropy(y, p, reduction="none")
    assert np.isinf(exact[0]) and exact[1] == 0.0 and round(float(theirs[0]), 2) == 16.12
    assert round(float(exact[2]), 3) == 0.105 and round(float(theirs[2]), 3) == 0.693


def test_categorical_crossentropy_against_optax():
    close(categorical_crossentropy(ONE_HOT, CE_LOGITS, from_logits=True, reduction="none"), np.asarray(optax.softmax_cross_entropy(j(CE_LOGITS), j(ONE_HOT))))
    close(categorical_crossentropy(SOFT, CE_LOGITS, from_logits=True, reduction="none"), np.asarray(optax.losses.safe_softmax_cross_entropy(j(CE_LOGITS), j(SOFT))))
    smoothed = optax.smooth_labels(j(ONE_HOT), 0.1)  # optax's label smoothing: (1 - a)·y + a/C, as Keras
    close(categorical_crossentropy(ONE_HOT, CE_LOGITS, from_logits=True, label_smoothing=0.1, reduction="none"), np.asarray(optax.softmax_cross_entropy(j(CE_LOGITS), smoothed)))


def test_masked_logit_minus_inf_is_nan_in_softmax_cross_entropy_only():
    logits = CE_LOGITS[:1].copy()
    logits[0, IDS[0] - 1] = -np.inf  # a class that is not the label
    ours = categorical_crossentropy(ONE_HOT[:1], logits, from_logits=True, reduction="none")
    close(ours, np.asarray(optax.losses.safe_softmax_cross_entropy(j(logits), j(ONE_HOT[:1]))))
    assert np.isnan(np.asarray(optax.softmax_cross_entropy(j(logits), j(ONE_HOT[:1])))).all()
    assert np.isfinite(ours).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ignore_class", [None, 2])
def test_sparse_categorical_crossentropy_against_keras(reduction, ignore_class):
    keras_reduction = KERAS_REDUCTIONS[reduction]
    on_logits = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignore_class, reduction=keras_reduction)
    ours = sparse_categorical_crossentropy(IDS, CE_LOGITS, from_logits=True, ignore_class=ignore_class, reduction=reduction)
    close(ours, keras_value(on_logits, IDS, CE_LOGITS))
    close(ours, keras_value(on_logits, IDS[:, None], CE_LOGITS))  # (N, 1) labels are squeezed
    on_probs = keras.losses.SparseCategoricalCrossentropy(ignore_class=ignore_class, reduction=keras_reduction)
    ours = sparse_categorical_crossentropy(IDS[:-1], PROBS, ignore_class=ignore_class, epsilon=1e-7, renormalize=True, reduction=reduction)
    close(ours, keras_value(on_probs, IDS[:-1], PROBS), rtol=1e-4)
    if ignore_class is not None and reduction == "mean":  # the mean is over the labels that are not ignored
        kept = IDS != ignore_class
        close(sparse_categorical_crossentropy(IDS, CE_LOGITS, from_logits=True, ignore_class=ignore_class), sparse_categorical_crossentropy(IDS[kept], CE_LOGITS[kept], from_logits=True))


def test_sparse_categorical_crossentropy_keras_edges():
    """Probabilities at 0 and 1 (clipped by Keras), the function spelling, and every label ignored (Keras: 0)."""
    p = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]], dtype=np.float32)
    ids = np.array([0, 1, 2])
    theirs = keras_value(lambda y, q: keras.losses.sparse_categorical_crossentropy(y, q), ids, p)
    close(sparse_categorical_crossentropy(ids, p, epsilon=1e-7, renormalize=True, reduction="none"), theirs, rtol=1e-4)
    assert np.isinf(sparse_categorical_crossentropy(ids, p, reduction="none")[0])
    all_ignored = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)
    assert float(all_ignored(np.array([2, 2]), CE_LOGITS[:2])) == 0.0 == sparse_categorical_crossentropy([2, 2], CE_LOGITS[:2], from_logits=True, ignore_class=2)
    close(keras_value(keras.losses.get("sparse_categorical_crossentropy"), ids, p), theirs, rtol=1e-6)


def test_sparse_categorical_crossentropy_against_optax():
    close(sparse_categorical_crossentropy(IDS, CE_LOGITS, from_logits=True, reduction="none"), np.asarray(optax.softmax_cross_entropy_with_integer_labels(j(CE_LOGITS), j(IDS))))
    # optax has no ignore parameter: -1 silently means the last class, C gives NaN
    wrapped = np.asarray(optax.softmax_cross_entropy_with_integer_labels(j(CE_LOGITS[:2]), j(np.array([-1, C]))))
    close(wrapped[0], sparse_categorical_crossentropy([C - 1], CE_LOGITS[:1], from_logits=True))
    assert np.isnan(wrapped[1])


def test_sparse_is_categorical_on_one_hot_labels():
    """sparse_categorical_crossentropy(ids) = categorical_crossentropy(one_hot(ids)), here and in Keras."""
    close(sparse_categorical_crossentropy(IDS, CE_LOGITS, from_logits=True, reduction="none"), categorical_crossentropy(ONE_HOT, CE_LOGITS, from_logits=True, reduction="none"), rtol=1e-12, atol=1e-12)
    sparse = keras_value(keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None), IDS, CE_LOGITS)
    dense = keras_value(keras.losses.CategoricalCrossentropy(from_logits=True, reduction=None), ONE_HOT, CE_LOGITS)
    close(sparse, dense)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_class_ids_against_pytorch(reduction, smoothing, weighted):
    weight = CLASS_WEIGHT if weighted else None
    ids = IDS.copy()
    ids[2] = -100  # the default ignore_index
    kwargs = dict(weight=None if weight is None else t(weight), label_smoothing=smoothing, reduction=reduction)
    ours = cross_entropy(ids, CE_LOGITS, weight=weight, label_smoothing=smoothing, reduction=reduction)
    close(ours, torch.nn.CrossEntropyLoss(**kwargs)(t(CE_LOGITS), torch.tensor(ids)).numpy())
    close(ours, torch.nn.functional.cross_entropy(t(CE_LOGITS), torch.tensor(ids), **kwargs).numpy())
    ids[2], ids[3] = 0, 255  # a custom ignore_index (void pixels)
    ours = cross_entropy(ids, CE_LOGITS, ignore_index=255, weight=weight, label_smoothing=smoothing, reduction=reduction)
    close(ours, torch.nn.CrossEntropyLoss(ignore_index=255, **kwargs)(t(CE_LOGITS), torch.tensor(ids)).numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probability_targets_against_pytorch(reduction, smoothing, weighted):
    weight = CLASS_WEIGHT if weighted else None
    loss = torch.nn.CrossEntropyLoss(weight=None if weight is None else t(weight), label_smoothing=smoothing, reduction=reduction)
    for target in (SOFT, ONE_HOT):
        close(cross_entropy(target, CE_LOGITS, weight=weight, label_smoothing=smoothing, reduction=reduction), loss(t(CE_LOGITS), t(target)).numpy())


def test_cross_entropy_weighted_mean_divisor_depends_on_the_target_form():
    """The same labels as ids and as one-hot floats: ids divide by Σ w_y (here 13.5: 16.69), probabilities by N (9: 25.03)."""
    w = t(CLASS_WEIGHT)
    by_ids = float(torch.nn.functional.cross_entropy(t(CE_LOGITS), torch.tensor(IDS), weight=w))
    by_one_hot = float(torch.nn.functional.cross_entropy(t(CE_LOGITS), t(ONE_HOT), weight=w))
    close(by_ids, cross_entropy(IDS, CE_LOGITS, weight=CLASS_WEIGHT))
    close(by_one_hot, cross_entropy(ONE_HOT, CE_LOGITS, weight=CLASS_WEIGHT))
    close(by_one_hot / by_ids, CLASS_WEIGHT[IDS].sum() / N)
    assert by_one_hot != pytest.approx(by_ids, rel=0.1)


def test_cross_entropy_edges_all_ignored_and_ignore_with_probabilities():
    ignored = torch.tensor([-100, -100])
    assert np.isnan(float(torch.nn.functional.cross_entropy(t(CE_LOGITS[:2]), ignored))) and np.isnan(cross_entropy([-100, -100], CE_LOGITS[:2]))
    assert float(torch.nn.functional.cross_entropy(t(CE_LOGITS[:2]), ignored, reduction="sum")) == 0.0 == cross_entropy([-100, -100], CE_LOGITS[:2], reduction="sum")
    with pytest.raises(RuntimeError, match="ignore_index"):
        torch.nn.functional.cross_entropy(t(CE_LOGITS), t(SOFT), ignore_index=3)
    # the edge row: label logit -80 against 80 elsewhere costs 160
    close(cross_entropy(IDS[-1:], CE_LOGITS[-1:]), 160.0)


def test_cross_entropy_is_log_softmax_then_nll():
    """CrossEntropyLoss(x, y) = NLLLoss(LogSoftmax(x), y), in PyTorch and in the references."""
    ids = IDS.copy()
    ids[1] = -100
    w = t(CLASS_WEIGHT)
    composed = torch.nn.NLLLoss(weight=w)(torch.nn.LogSoftmax(dim=1)(t(CE_LOGITS)), torch.tensor(ids))
    close(torch.nn.CrossEntropyLoss(weight=w)(t(CE_LOGITS), torch.tensor(ids)).numpy(), composed.numpy())
    close(cross_entropy(ids, CE_LOGITS, weight=CLASS_WEIGHT), nll(ids, log_softmax(CE_LOGITS), weight=CLASS_WEIGHT), rtol=1e-12)
    close(cross_entropy(ids, CE_LOGITS), sparse_categorical_crossentropy(np.where(ids < 0, 0, ids)[ids >= 0], CE_LOGITS[ids >= 0], from_logits=True))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_against_pytorch(reduction, weighted):
    weight = CLASS_WEIGHT if weighted else None
    log_p = log_softmax(CE_LOGITS).astype(np.float32)
    ids = IDS.copy()
    ids[5] = 7
    kwargs = dict(weight=None if weight is None else t(weight), reduction=reduction)
    close(nll(ids, log_p, ignore_index=7, weight=weight, reduction=reduction), torch.nn.NLLLoss(ignore_index=7, **kwargs)(t(log_p), torch.tensor(ids)).numpy())
    ids[0], ids[5] = -100, 1
    ours = nll(ids, log_p, weight=weight, reduction=reduction)
    close(ours, torch.nn.NLLLoss(**kwargs)(t(log_p), torch.tensor(ids)).numpy())
    close(ours, torch.nn.functional.nll_loss(t(log_p), torch.tensor(ids), **kwargs).numpy())


def test_nll_spatial_and_the_deprecated_2d_alias():
    log_p = log_softmax(CE_RNG.normal(0, 2, (2, 3, 4, C)), axis=-1).astype(np.float32)  # channels last for the reference
    ids = CE_RNG.integers(0, C, (2, 3, 4))
    ours = nll(ids.reshape(-1), log_p.reshape(-1, C), reduction="none").reshape(ids.shape)
    channels_first = t(log_p).permute(0, 3, 1, 2)
    close(ours, torch.nn.NLLLoss(reduction="none")(channels_first, torch.tensor(ids)).numpy())
    with pytest.warns(Warning):
        legacy = torch.nn.NLLLoss2d()
    close(nll(ids.reshape(-1), log_p.reshape(-1, C)), legacy(channels_first, torch.tensor(ids)).numpy())


def test_nll_on_probabilities_goes_negative():
    """NLLLoss on softmax outputs instead of log-probabilities: -p_y, silently negative."""
    p = softmax(CE_LOGITS).astype(np.float32)
    theirs = float(torch.nn.NLLLoss()(t(p), torch.tensor(IDS)))
    close(theirs, nll(IDS, p))
    assert theirs < 0


@pytest.mark.parametrize(("y_true", "y_pred", "chosen"), [
    (IDS, PROBS.tolist(), "sparse_categorical_crossentropy"),
    (IDS[:, None], PROBS.tolist(), "sparse_categorical_crossentropy"),
    (ONE_HOT, PROBS.tolist(), "categorical_crossentropy"),
    (IDS[:, None] % 2, PROBS[:, :1].tolist(), "binary_crossentropy"),
    (IDS % 2, PROBS[:, :1].tolist(), "binary_crossentropy"),
])
def test_keras_auto_crossentropy_against_keras_compile(y_true, y_pred, chosen):
    from keras.src.trainers.compile_utils import get_loss

    y_true, y_pred = np.asarray(y_true)[: len(PROBS)], np.asarray(y_pred, dtype=np.float32)
    loss = get_loss("crossentropy", keras.ops.convert_to_tensor(y_true), keras.ops.convert_to_tensor(y_pred))
    assert loss.fn.__name__ == chosen
    ours = keras_auto_crossentropy(y_true, y_pred, epsilon=1e-7, renormalize=True)
    close(ours, float(loss(y_true, y_pred)), rtol=1e-4)
    model = keras.Sequential([keras.Input(y_pred.shape[1:]), keras.layers.Identity()])
    model.compile(loss="CE")
    close(ours, model.evaluate(y_pred, y_true, batch_size=len(y_pred), verbose=0), rtol=1e-4)


def test_keras_auto_crossentropy_never_uses_logits():
    """compile('crossentropy') on a linear head clips the logits as probabilities (from_logits=False)."""
    model = keras.Sequential([keras.Input((C,)), keras.layers.Identity()])
    model.compile(loss="crossentropy")
    on_logits = model.evaluate(CE_LOGITS, IDS, batch_size=N, verbose=0)
    close(on_logits, keras_auto_crossentropy(IDS, CE_LOGITS, epsilon=1e-7, renormalize=True), rtol=1e-4)
    assert abs(on_logits - sparse_categorical_crossentropy(IDS, CE_LOGITS, from_logits=True)) > 1.0


KL_TARGET = softmax(CE_RNG.normal(0, 2, (N, C))).astype(np.float32)
KL_LOG_PRED = log_softmax(CE_RNG.normal(0, 2, (N, C))).astype(np.float32)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_against_pytorch(reduction, log_target):
    target = np.log(KL_TARGET) if log_target else KL_TARGET
    ours = kl_div(target, KL_LOG_PRED, log_target=log_target, reduction=reduction)
    with pytest.warns(UserWarning, match="batchmean") if reduction == "mean" else contextlib.nullcontext():
        theirs = torch.nn.KLDivLoss(reduction=reduction, log_target=log_target)(t(KL_LOG_PRED), t(target))
    close(ours, theirs.numpy())
    close(ours, torch.nn.functional.kl_div(t(KL_LOG_PRED), t(target), reduction=reduction, log_target=log_target).numpy())


def test_kl_div_mean_is_batchmean_over_classes():
    """'mean' divides by N·C, 'batchmean' by N (the KL of the definition): a factor C = 5 apart."""
    close(kl_div(KL_TARGET, KL_LOG_PRED, reduction="batchmean"), C * kl_div(KL_TARGET, KL_LOG_PRED), rtol=1e-12)
    close(kl_div(KL_TARGET, KL_LOG_PRED, reduction="batchmean"), kl_divergence(KL_TARGET, np.exp(KL_LOG_PRED)), rtol=1e-12)


def test_kl_div_edges():
    """t = 0 contributes 0 (PyTorch too); a -inf log-prediction under t = 0, or a -inf log-target, is NaN in
    PyTorch and optax, 0 in the reference (the limit); probabilities instead of log-probabilities go negative."""
    target = np.array([[0.0, 0.3, 0.7]], dtype=np.float32)
    log_pred = np.array([[-5.0, -1.0, -0.5]], dtype=np.float32)
    close(kl_div(target, log_pred, reduction="none"), torch.nn.functional.kl_div(t(log_pred), t(target), reduction="none").numpy())
    log_pred[0, 0] = -np.inf
    assert np.isnan(float(torch.nn.functional.kl_div(t(log_pred), t(target), reduction="sum")))
    assert np.isnan(np.asarray(optax.kl_divergence(j(log_pred), j(target)))).all()
    assert np.isfinite(kl_div(target, log_pred, reduction="sum"))
    with np.errstate(divide="ignore"):
        log_target = np.log(target)
    theirs = torch.nn.functional.kl_div(t([[-5.0, -1.0, -0.5]]), t(log_target), reduction="none", log_target=True).numpy()
    assert np.isnan(theirs[0, 0])
    close(kl_div(log_target, [[-5.0, -1.0, -0.5]], log_target=True, reduction="none")[0, 1:], theirs[0, 1:])
    probs_as_input = torch.nn.functional.kl_div(t(np.exp(KL_LOG_PRED)), t(KL_TARGET), reduction="batchmean")
    close(probs_as_input.numpy(), kl_div(KL_TARGET, np.exp(KL_LOG_PRED), reduction="batchmean"))
    assert float(probs_as_input) < 0


def test_kl_div_against_optax():
    close(kl_div(KL_TARGET, KL_LOG_PRED, reduction="none").sum(-1), np.asarray(optax.kl_divergence(j(KL_LOG_PRED), j(KL_TARGET))))
    close(kl_div(np.log(KL_TARGET), KL_LOG_PRED, log_target=True, reduction="none").sum(-1), np.asarray(optax.losses.kl_divergence_with_log_targets(j(KL_LOG_PRED), j(np.log(KL_TARGET)))))
    close(kl_div(KL_TARGET, KL_LOG_PRED, reduction="batchmean"), float(optax.kl_divergence(j(KL_LOG_PRED), j(KL_TARGET)).mean()))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_kl_divergence_against_keras(reduction):
    p = np.exp(KL_LOG_PRED)
    ours = kl_divergence(KL_TARGET, p, epsilon=1e-7, reduction=reduction)
    close(ours, keras_value(keras.losses.KLDivergence(reduction=KERAS_REDUCTIONS[reduction]), KL_TARGET, p))
    close(ours, kl_divergence(KL_TARGET, p, reduction=reduction), rtol=1e-6)  # no clip is active here
    if reduction == "mean":
        for name in ("KLDivergence", "kl_divergence", "kld", "KLD"):  # a class instance, or the bare per-sample function
            close(ours, np.mean(keras_value(keras.losses.get(name), KL_TARGET, p)))


def test_kl_divergence_keras_clip_edges():
    """Keras clips y_true and y_pred to [1e-7, 1]: p = 0 under y = 0.5 costs 0.5·log(0.5/1e-7) = 7.71, not inf;
    each y = 0 entry adds y'·log(y'/p) with y' = 1e-7, at most 1.6e-6 in size (at p = 1)."""
    y = np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    p = np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]], dtype=np.float32)
    theirs = keras_value(keras.losses.KLDivergence(reduction=None), y, p)
    close(kl_divergence(y, p, epsilon=1e-7, reduction="none"), theirs, rtol=1e-4)
    exact = kl_divergence(y, p, reduction="none")
    assert np.isinf(exact[0]) and round(float(theirs[0]), 2) == 7.71
    close(theirs[1] - exact[1], 1e-7 * np.log(1e-7 / 0.2) + 1e-7 * np.log(1e-7 / 0.5), rtol=0, atol=3e-7)  # -3.0e-6


def test_generalized_kl_against_optax():
    target = np.abs(CE_RNG.normal(0, 2, (N, C))).astype(np.float32)
    target[0, 0] = 0.0
    ours = generalized_kl(target, KL_LOG_PRED, reduction="none")
    close(ours, np.asarray(optax.generalized_kl_divergence(j(KL_LOG_PRED), j(target))))
    with pytest.warns(Warning):
        close(ours, np.asarray(optax.losses.convex_kl_divergence(j(KL_LOG_PRED), j(target))))
    close(generalized_kl(target, KL_LOG_PRED), float(np.mean(ours)), rtol=1e-12)
    close(generalized_kl(target, KL_LOG_PRED, reduction="sum"), float(np.sum(ours)), rtol=1e-12)
    # normalised target and prediction: the extra term Σ(e^x - t) vanishes and it is the KL
    close(generalized_kl(KL_TARGET, KL_LOG_PRED, reduction="none"), kl_div(KL_TARGET, KL_LOG_PRED, reduction="none").sum(-1), atol=1e-6)


MULTI_HOT = CE_RNG.integers(0, 2, (N, C)).astype(np.float32)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_against_pytorch(reduction, weighted):
    weight = CLASS_WEIGHT if weighted else None
    kwargs = dict(weight=None if weight is None else t(weight), reduction=reduction)
    ours = multilabel_soft_margin(MULTI_HOT, CE_LOGITS, weight=weight, reduction=reduction)
    close(ours, torch.nn.MultiLabelSoftMarginLoss(**kwargs)(t(CE_LOGITS), t(MULTI_HOT)).numpy())
    close(ours, torch.nn.functional.multilabel_soft_margin_loss(t(CE_LOGITS), t(MULTI_HOT), **kwargs).numpy())
    close(ours, torch.nn.MultiLabelSoftMarginLoss(**kwargs)(t(CE_LOGITS), torch.tensor(MULTI_HOT, dtype=torch.long)).numpy())  # long targets accepted


def test_multilabel_soft_margin_is_bce_with_logits_averaged_per_sample():
    per_element = torch.nn.BCEWithLogitsLoss(reduction="none")(t(CE_LOGITS), t(MULTI_HOT)).mean(dim=1)
    close(multilabel_soft_margin(MULTI_HOT, CE_LOGITS, reduction="none"), per_element.numpy())
    close(multilabel_soft_margin(MULTI_HOT, CE_LOGITS), binary_crossentropy(MULTI_HOT, CE_LOGITS, from_logits=True), rtol=1e-12)


FEATURES = CE_RNG.normal(0, 1, (N, 4)).astype(np.float32)
LINEAR_W = CE_RNG.normal(0, 1, (C, 4)).astype(np.float32)
LINEAR_B = CE_RNG.normal(0, 1, C).astype(np.float32)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_linear_cross_entropy_against_pytorch(reduction, smoothing):
    ids = IDS.copy()
    ids[1] = -100
    for weight, bias in ((None, None), (CLASS_WEIGHT, LINEAR_B)):
        kwargs = dict(weight=None if weight is None else t(weight), label_smoothing=smoothing, reduction=reduction)
        bias_t = None if bias is None else t(bias)
        ours = linear_cross_entropy(ids, FEATURES, linear_weight=LINEAR_W, linear_bias=bias, weight=weight, label_smoothing=smoothing, reduction=reduction)
        close(ours, torch.nn.functional.linear_cross_entropy(t(FEATURES), t(LINEAR_W), torch.tensor(ids), linear_bias=bias_t, **kwargs).numpy())
        close(ours, cross_entropy(ids, FEATURES.astype(np.float64) @ LINEAR_W.T + (0 if bias is None else bias), weight=weight, label_smoothing=smoothing, reduction=reduction), rtol=1e-12)
        ours = linear_cross_entropy(SOFT, FEATURES, linear_weight=LINEAR_W, linear_bias=bias, weight=weight, label_smoothing=smoothing, reduction=reduction)
        close(ours, torch.nn.functional.linear_cross_entropy(t(FEATURES), t(LINEAR_W), t(SOFT), linear_bias=bias_t, **kwargs).numpy())
    ids[1], ids[2] = 0, 3
    ours = linear_cross_entropy(ids, FEATURES, linear_weight=LINEAR_W, ignore_index=3, reduction=reduction)
    close(ours, torch.nn.functional.linear_cross_entropy(t(FEATURES), t(LINEAR_W), torch.tensor(ids), ignore_index=3, reduction=reduction).numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_linear_cross_entropy_module_and_chunked_path(reduction):
    ids = IDS.copy()
    ids[4] = -100
    weight = t(CLASS_WEIGHT)
    for options in (None, torch.nn.LinearCrossEntropyOptions()):
        loss = torch.nn.LinearCrossEntropyLoss(4, C, bias=True, weight=weight, reduction=reduction, options=options)
        with torch.no_grad():
            loss.linear.weight.copy_(t(LINEAR_W))
            loss.linear.bias.copy_(t(LINEAR_B))
        ours = linear_cross_entropy(ids, FEATURES, linear_weight=LINEAR_W, linear_bias=LINEAR_B, weight=CLASS_WEIGHT, reduction=reduction)
        close(ours, loss(t(FEATURES), torch.tensor(ids)).detach().numpy())


def test_linear_cross_entropy_ignore_index_with_probabilities_raises():
    with pytest.raises(RuntimeError, match="ignore_index"):
        torch.nn.functional.linear_cross_entropy(t(FEATURES), t(LINEAR_W), t(SOFT), ignore_index=-100)
    with pytest.raises(ValueError, match="ignore_index"):
        linear_cross_entropy(SOFT, FEATURES, linear_weight=LINEAR_W, ignore_index=-100)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ranking_softmax_against_optax(reduction):
    relevance = CE_RNG.integers(0, 4, (N, C)).astype(np.float32)
    relevance[-1] = [0.0, 0.0, 0.0, 0.0, 3.0]  # graded relevance on the edge logits: 3·160
    reduce_fn = {"mean": jnp.mean, "sum": jnp.sum, "none": None}[reduction]
    ours = ranking_softmax(relevance, CE_LOGITS, reduction=reduction)
    close(ours, np.asarray(optax.losses.ranking_softmax_loss(j(CE_LOGITS), j(relevance), reduce_fn=reduce_fn)))
    # the labels are not normalised: relevance 3 weighs three times a relevance-1 item
    close(ranking_softmax(relevance[-1:], CE_LOGITS[-1:]), 480.0)


def test_ranking_softmax_is_softmax_cross_entropy_on_one_hot():
    close(ranking_softmax(ONE_HOT, CE_LOGITS, reduction="none"), categorical_crossentropy(ONE_HOT, CE_LOGITS, from_logits=True, reduction="none"), rtol=1e-12)


SPARSE_EDGES = np.array([-80.0, -30.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 30.0, 80.0], dtype=np.float32)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sparsemax_binary_against_optax(reduction):
    logits = np.concatenate([CE_RNG.normal(0, 1.5, (4, SPARSE_EDGES.size)), SPARSE_EDGES[None]]).astype(np.float32)
    labels = CE_RNG.integers(0, 2, logits.shape)
    theirs = np.asarray(optax.losses.sparsemax_loss(j(logits), j(labels)))
    close(sparsemax_binary(labels, logits, reduction=reduction), {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](theirs))


def test_sparsemax_binary_values():
    """Zero once the logit is past ±1 on the right side; (x + 1)²/4 in between; linear beyond."""
    close(sparsemax_binary(np.ones(SPARSE_EDGES.size), SPARSE_EDGES, reduction="none"), [80, 30, 2, 1, 0.5625, 0.25, 0.0625, 0, 0, 0, 0])
    close(sparsemax_binary(np.zeros(SPARSE_EDGES.size), SPARSE_EDGES, reduction="none"), np.asarray(optax.losses.sparsemax_loss(j(SPARSE_EDGES), j(np.zeros(SPARSE_EDGES.size, dtype=np.int32)))))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sparsemax_multiclass_against_optax(reduction):
    theirs = np.asarray(optax.losses.multiclass_sparsemax_loss(j(CE_LOGITS), j(IDS)))
    close(sparsemax_multiclass(IDS, CE_LOGITS, reduction=reduction), {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](theirs))
    ties = np.array([[0.0, 0.0, 0.0, 0.0, 0.0], [10.0, 0.0, 0.0, 0.0, 0.0], [0.5, 0.4, 0.3, -1.0, 2.0]], dtype=np.float32)
    close(sparsemax_multiclass([2, 0, 1], ties, reduction="none"), np.asarray(optax.losses.multiclass_sparsemax_loss(j(ties), j(np.array([2, 0, 1])))))
    assert sparsemax_multiclass([0], ties[1:2]) == 0.0  # sparsemax is exactly one-hot on the label


@pytest.mark.parametrize("epsilon", [2.0, -1.0, 0.0])
def test_poly_loss_against_optax(epsilon):
    for labels in (ONE_HOT, SOFT):
        ours = poly_loss(labels, CE_LOGITS, epsilon=epsilon, reduction="none")
        close(ours, np.asarray(optax.losses.poly_loss_cross_entropy(j(CE_LOGITS), j(labels), epsilon=epsilon)))
        close(poly_loss(labels, CE_LOGITS, epsilon=epsilon), float(np.mean(ours)), rtol=1e-12)
        close(poly_loss(labels, CE_LOGITS, epsilon=epsilon, reduction="sum"), float(np.sum(ours)), rtol=1e-12)
    # epsilon = 0 is plain softmax crossentropy; one-hot: CE + ε·(1 - p_t)
    close(poly_loss(ONE_HOT, CE_LOGITS, epsilon=0.0, reduction="none"), categorical_crossentropy(ONE_HOT, CE_LOGITS, from_logits=True, reduction="none"), rtol=1e-12)
    p_t = softmax(CE_LOGITS)[np.arange(N), IDS]
    close(poly_loss(ONE_HOT, CE_LOGITS, epsilon=epsilon, reduction="none"), cross_entropy(IDS, CE_LOGITS, reduction="none") + epsilon * (1 - p_t), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("q", [0.5, 0.1, 0.9])
def test_categorical_generalized_cross_entropy_against_keras(reduction, q):
    ours = categorical_generalized_cross_entropy(IDS[:-1], PROBS, q=q, reduction=reduction)
    loss = keras.losses.CategoricalGeneralizedCrossEntropy(q=q, reduction=KERAS_REDUCTIONS[reduction])
    close(ours, keras_value(loss, IDS[:-1], PROBS))
    if reduction == "none":  # (N, 1) labels, which its docstring allows, broadcast to an (N, N) loss
        assert keras_value(loss, IDS[:-1, None], PROBS).shape == (N - 1, N - 1)
    if reduction == "none":
        close(ours, keras_value(lambda y, p: keras.losses.categorical_generalized_cross_entropy(y, keras.ops.convert_to_tensor(p), q), IDS[:-1], PROBS))  # the bare function wants a tensor


def test_categorical_generalized_cross_entropy_edges():
    """p_y = 0 costs 1/q (bounded, unlike CE), p_y = 1 costs 0; q → 0 approaches -log p_y; q = 1 is 1 - p_y (MAE)."""
    p = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]], dtype=np.float32)
    ids = np.array([0, 1, 2])
    close(categorical_generalized_cross_entropy(ids, p, reduction="none"), keras_value(keras.losses.CategoricalGeneralizedCrossEntropy(reduction=None), ids, p))
    close(categorical_generalized_cross_entropy(ids, p, reduction="none")[:2], [2.0, 0.0])
    close(categorical_generalized_cross_entropy(ids[2:], p[2:], q=1e-6), -np.log(0.5), rtol=1e-5)
    close(categorical_generalized_cross_entropy(ids[2:], p[2:], q=1.0), 0.5)
    with pytest.raises(ValueError, match="q must be"):
        keras.losses.CategoricalGeneralizedCrossEntropy(q=1.0)
    with pytest.raises(ValueError):
        keras.losses.get("categorical_generalized_cross_entropy")


def test_categorical_generalized_cross_entropy_keras_broadcasts_n_by_1_labels():
    """Keras 3.15 one-hot encodes (N, 1) labels to (N, 1, C) and multiplies by (N, C) probabilities: every
    sample is scored against every label and the mean is over N² values (here 1.35 instead of 1.44)."""
    loss = keras.losses.CategoricalGeneralizedCrossEntropy()
    right, wrong = float(loss(IDS[:-1], PROBS)), float(loss(IDS[:-1, None], PROBS))
    close(right, categorical_generalized_cross_entropy(IDS[:-1], PROBS))
    every_pair = np.mean([categorical_generalized_cross_entropy(np.full(N - 1, label), PROBS, reduction="none") for label in IDS[:-1]])
    close(wrong, every_pair)
    assert (round(right, 2), round(wrong, 2)) == (1.44, 1.35)
