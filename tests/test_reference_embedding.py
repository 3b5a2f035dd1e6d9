"""The embedding references (lossadvisor.reference.embedding) against Keras 3, PyTorch and optax on
random and edge inputs (zero vectors, identical and opposite vectors, labels outside {1, −1},
singleton groups), every reduction each framework offers. Tolerance: rtol 1e-5, atol 1e-6 (the
frameworks compute in float32, the reference in float64); rtol 1e-4 for Circle (γ = 80 scales the
float32 rounding of the distances) and NT-Xent (1/temperature = 14.3 does the same)."""

from __future__ import annotations

import numpy as np
import pytest

from lossadvisor.reference import (
    circle,
    cosine_distance,
    cosine_embedding,
    cosine_similarity,
    cosine_similarity_score,
    ntxent,
    triplet_margin,
)

from reference_helpers import close, t

pytestmark = pytest.mark.frameworks
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
optax = pytest.importorskip("optax")
jnp = pytest.importorskip("jax.numpy")

RNG = np.random.default_rng(0)
F32_EPS = float(np.finfo(np.float32).eps)


def j(x):
    return jnp.asarray(np.asarray(x, dtype=np.float32))


def unit(x):
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


# Random rows, then identical, opposite and orthogonal rows and large values.
Y_TRUE = np.concatenate([RNG.normal(0, 1, (6, 4)), [[1, 2, 3, 4], [1, 2, 3, 4], [1, 0, 0, 0], [3e3, -2e3, 1e3, 5e2]]]).astype(np.float32)
Y_PRED = np.concatenate([RNG.normal(0, 1, (6, 4)), [[1, 2, 3, 4], [-1, -2, -3, -4], [0, 1, 0, 0], [-1e-3, 2e-3, 0, 1e-3]]]).astype(np.float32)
ZERO_ROW_TRUE = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]], dtype=np.float32)
ZERO_ROW_PRED = np.array([[1.0, -1.0, 0.5], [2.0, 4.0, 4.0]], dtype=np.float32)


# --- cosine_similarity (Keras: −cos) ------------------------------------------------------------


@pytest.mark.parametrize(("keras_reduction", "reduction"), [("sum_over_batch_size", "mean"), ("mean", "mean"), ("sum", "sum"), (None, "none")])
def test_cosine_similarity_against_keras(keras_reduction, reduction):
    ours = cosine_similarity(Y_TRUE, Y_PRED, reduction=reduction)
    close(ours, keras.losses.CosineSimilarity(reduction=keras_reduction)(Y_TRUE, Y_PRED).numpy())
    close(cosine_similarity(Y_TRUE, Y_PRED, reduction="none"), keras.losses.cosine_similarity(Y_TRUE, Y_PRED).numpy())
    close(cosine_similarity(Y_TRUE, Y_PRED, axis=0, reduction="none"), keras.losses.cosine_similarity(Y_TRUE, Y_PRED, axis=0).numpy())


def test_keras_cosine_similarity_is_minus_cos():
    """Identical vectors give −1 (the minimum: minimising aligns them), opposite ones +1, orthogonal 0."""
    values = keras.losses.cosine_similarity(Y_TRUE[6:9], Y_PRED[6:9]).numpy()
    close(values, [-1.0, 1.0, 0.0])
    close(cosine_similarity(Y_TRUE[6:9], Y_PRED[6:9], reduction="none"), [-1.0, 1.0, 0.0])
    nearly = Y_TRUE + 0.1 * Y_PRED  # a good prediction has a NEGATIVE loss, near −1
    close(float(keras.losses.CosineSimilarity()(Y_TRUE, nearly)), cosine_similarity(Y_TRUE, nearly))
    assert cosine_similarity(Y_TRUE, nearly) < -0.9


def test_keras_cosine_similarity_zero_vector_is_zero():
    """Keras floors each norm at 1e-7, so a zero vector gives 0; the exact formula is 0/0."""
    close(cosine_similarity(ZERO_ROW_TRUE, ZERO_ROW_PRED, norm_min=1e-7, reduction="none"), keras.losses.cosine_similarity(ZERO_ROW_TRUE, ZERO_ROW_PRED).numpy())
    assert keras.losses.cosine_similarity(ZERO_ROW_TRUE, ZERO_ROW_PRED).numpy()[0] == 0.0
    assert np.isnan(cosine_similarity(ZERO_ROW_TRUE, ZERO_ROW_PRED, reduction="none")[0])


# --- cosine_similarity_score / cosine_distance (optax: +cos, 1 − cos) ----------------------------


def test_cosine_similarity_score_against_optax():
    ours = cosine_similarity_score(Y_TRUE, Y_PRED, reduction="none")
    close(ours, np.asarray(optax.cosine_similarity(j(Y_PRED), j(Y_TRUE))))
    close(ours, np.asarray(optax.losses.cosine_similarity(j(Y_PRED), j(Y_TRUE))))
    close(cosine_similarity_score(Y_TRUE, Y_PRED), float(np.mean(optax.cosine_similarity(j(Y_PRED), j(Y_TRUE)))))
    close(cosine_similarity_score(Y_TRUE, Y_PRED, axis=0, reduction="none"), np.asarray(optax.cosine_similarity(j(Y_PRED), j(Y_TRUE), axis=0)))


def test_optax_cosine_similarity_is_plus_cos_the_opposite_of_keras():
    """optax returns +cos (identical vectors: +1, its MAXIMUM), Keras −cos: minimising optax's pushes vectors apart."""
    close(np.asarray(optax.cosine_similarity(j(Y_PRED[6:9]), j(Y_TRUE[6:9]))), [1.0, -1.0, 0.0])
    close(cosine_similarity_score(Y_TRUE, Y_PRED, reduction="none"), -cosine_similarity(Y_TRUE, Y_PRED, reduction="none"))
    close(np.asarray(optax.cosine_similarity(j(Y_PRED), j(Y_TRUE))), -keras.losses.cosine_similarity(Y_TRUE, Y_PRED).numpy())


def test_optax_cosine_epsilon_floors_the_squared_norm():
    """epsilon=0: a zero vector gives NaN; epsilon floors ‖v‖², so the smallest norm is √epsilon
    (a vector of norm 1e-4 with epsilon=1e-6 is divided by 1e-3, not by 1e-4)."""
    assert np.isnan(np.asarray(optax.cosine_similarity(j(ZERO_ROW_PRED), j(ZERO_ROW_TRUE)))[0])
    assert np.isnan(cosine_similarity_score(ZERO_ROW_TRUE, ZERO_ROW_PRED, reduction="none")[0])
    close(cosine_similarity_score(ZERO_ROW_TRUE, ZERO_ROW_PRED, epsilon=1e-6, reduction="none"), np.asarray(optax.cosine_similarity(j(ZERO_ROW_PRED), j(ZERO_ROW_TRUE), epsilon=1e-6)))
    small = np.array([[6e-5, 8e-5]], dtype=np.float32)  # norm 1e-4
    ours = cosine_similarity_score(small, small, epsilon=1e-6, reduction="none")
    close(ours, np.asarray(optax.cosine_similarity(j(small), j(small), epsilon=1e-6)), rtol=1e-4)
    close(ours, [0.01])  # (1e-4 / 1e-3)²


def test_cosine_distance_against_optax():
    close(cosine_distance(Y_TRUE, Y_PRED, reduction="none"), np.asarray(optax.cosine_distance(j(Y_PRED), j(Y_TRUE))))
    close(cosine_distance(Y_TRUE, Y_PRED, reduction="sum"), float(np.sum(optax.losses.cosine_distance(j(Y_PRED), j(Y_TRUE)))), rtol=1e-5)
    close(cosine_distance(Y_TRUE[6:9], Y_PRED[6:9], reduction="none"), [0.0, 2.0, 1.0])
    close(cosine_distance(ZERO_ROW_TRUE, ZERO_ROW_PRED, epsilon=1e-6, reduction="none"), np.asarray(optax.cosine_distance(j(ZERO_ROW_PRED), j(ZERO_ROW_TRUE), epsilon=1e-6)))


# --- cosine_embedding (PyTorch CosineEmbeddingLoss) -----------------------------------------------

X1 = np.concatenate([RNG.normal(0, 1, (7, 5)), np.zeros((1, 5)), RNG.normal(0, 1, (2, 5))]).astype(np.float32)
X2 = np.concatenate([RNG.normal(0, 1, (8, 5)), X1[8:9], -X1[9:10]]).astype(np.float32)
PAIR_Y = np.array([1, -1, 1, -1, 0, 1, -1, 1, -1, 1], dtype=np.float32)  # 0: silently no loss


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("margin", [0.0, 0.5, -0.3])
def test_cosine_embedding_against_pytorch(reduction, margin):
    ours = cosine_embedding(PAIR_Y, (X1, X2), margin=margin, eps=1e-12, reduction=reduction)
    close(ours, torch.nn.CosineEmbeddingLoss(margin=margin, reduction=reduction)(t(X1), t(X2), t(PAIR_Y)).numpy())
    close(ours, torch.nn.functional.cosine_embedding_loss(t(X1), t(X2), t(PAIR_Y), margin=margin, reduction=reduction).numpy())


def test_cosine_embedding_edges():
    """A label 0 contributes exactly 0 (and still counts in the mean); a zero vector has cos = 0 with
    PyTorch's 1e-12 and is 0/0 in the exact formula; identical x1 = x2 with y = −1 costs cos − margin = 1."""
    values = torch.nn.CosineEmbeddingLoss(reduction="none")(t(X1), t(X2), t(PAIR_Y)).numpy()
    assert values[4] == 0.0 and values[7] == pytest.approx(1.0)
    assert np.isnan(cosine_embedding(PAIR_Y, (X1, X2), reduction="none")[7])
    close(cosine_embedding(PAIR_Y[8:], (X1[8:], X2[8:]), reduction="none"), [1.0, 2.0])


# --- triplet_margin (PyTorch TripletMarginLoss, TripletMarginWithDistanceLoss; optax) ---------------

A, P, N = (RNG.normal(0, 1, (9, 6)).astype(np.float32) for _ in range(3))
P[0] = A[0]  # a zero anchor-positive distance
N[1] = A[1] + 3.0  # an easy triplet (loss 0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("margin", "p", "swap"), [(1.0, 2, False), (0.5, 1, False), (2.0, 3, True), (1.0, 2, True)])
def test_triplet_margin_against_pytorch(reduction, margin, p, swap):
    ours = triplet_margin(None, (A, P, N), margin=margin, p=p, eps=1e-6, swap=swap, reduction=reduction)
    close(ours, torch.nn.TripletMarginLoss(margin=margin, p=p, swap=swap, reduction=reduction)(t(A), t(P), t(N)).numpy())
    close(ours, torch.nn.functional.triplet_margin_loss(t(A), t(P), t(N), margin=margin, p=p, swap=swap, reduction=reduction).numpy())
    if p == 2:  # the default distance_function is PairwiseDistance() (p = 2, eps = 1e-6)
        close(ours, torch.nn.TripletMarginWithDistanceLoss(margin=margin, swap=swap, reduction=reduction)(t(A), t(P), t(N)).numpy())
        close(ours, torch.nn.functional.triplet_margin_with_distance_loss(t(A), t(P), t(N), margin=margin, swap=swap, reduction=reduction).numpy())


@pytest.mark.parametrize(("margin", "degree"), [(1.0, 2), (0.3, 2), (1.0, 4)])
def test_triplet_margin_against_optax(margin, degree):
    ours = triplet_margin(None, (A, P, N), margin=margin, p=degree, root_eps=1e-6, reduction="none")
    close(ours, np.asarray(optax.losses.triplet_margin_loss(j(A), j(P), j(N), margin=margin, norm_degree=degree)), rtol=1e-5, atol=1e-5)
    assert not hasattr(optax, "triplet_margin_loss")  # only optax.losses.triplet_margin_loss (optax 0.2.8)


def test_triplet_margin_eps_placement_differs():
    """At a = p, PyTorch's distance is ‖0 + eps·1‖ = 1e-6·√D, optax's √(0 + 1e-6) = 1e-3: with a
    margin large enough that no triplet is clipped, optax's loss is ~1e-3 higher (explain says so).
    With an odd norm_degree optax's Σ(a − p)³ has no abs and can go negative: NaN."""
    close(float(torch.nn.functional.pairwise_distance(t(A[:1]), t(P[:1]))[0]), 1e-6 * np.sqrt(A.shape[1]), rtol=1e-3)
    torch_loss = float(torch.nn.functional.triplet_margin_loss(t(A[:1]), t(P[:1]), t(N[:1]), margin=10.0))
    optax_loss = float(optax.losses.triplet_margin_loss(j(A[:1]), j(P[:1]), j(N[:1]), margin=10.0)[0])
    close(optax_loss - torch_loss, 1e-3 - 1e-6 * np.sqrt(A.shape[1]), rtol=0, atol=1e-5)
    close(triplet_margin(None, (A[:1], P[:1], N[:1]), margin=10.0, eps=1e-6), torch_loss)
    close(triplet_margin(None, (A[:1], P[:1], N[:1]), margin=10.0, root_eps=1e-6), optax_loss)
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        torch.nn.functional.triplet_margin_loss(t(A), t(P), t(N), margin=0.0)
    assert float(optax.losses.triplet_margin_loss(j(A[:1]), j(P[:1]), j(N[:1]), margin=0.0)[0]) >= 0.0  # optax accepts it
    odd = np.asarray(optax.losses.triplet_margin_loss(j(A), j(P), j(N), norm_degree=3))
    assert np.isnan(odd).any() and not np.isnan(triplet_margin(None, (A, P, N), p=3, root_eps=1e-6, reduction="none")).any()


# --- ntxent (optax) ---------------------------------------------------------------------------------

EMB = RNG.normal(0, 1, (9, 5)).astype(np.float32)
GROUPS = np.array([0, 0, 1, 1, 2, 2, 2, 3, 1])  # group 3 is a singleton: a negative for all, no positive pair


@pytest.mark.parametrize("temperature", [0.07, 0.5, 1.0])
def test_ntxent_against_optax(temperature):
    theirs = float(optax.ntxent(j(EMB), jnp.asarray(GROUPS), temperature=temperature))
    close(ntxent(GROUPS, EMB, temperature=temperature, epsilon=F32_EPS), theirs, rtol=1e-4)
    close(ntxent(GROUPS, EMB, temperature=temperature), float(optax.losses.ntxent(j(EMB), jnp.asarray(GROUPS), temperature=temperature)), rtol=1e-4)
    pairs = ntxent(GROUPS, EMB, temperature=temperature, reduction="none")
    assert pairs.shape == (2 + 2 * 3 + 6,) and np.all(pairs > 0)  # one value per ordered positive pair
    close(np.sum(pairs), ntxent(GROUPS, EMB, temperature=temperature, reduction="sum"))


def test_ntxent_edges():
    """A zero embedding: optax floors ‖v‖² at float32 eps (cos = 0), the exact formula is NaN; a
    batch without negatives costs 0 (each pair is alone in its softmax)."""
    emb = EMB.copy()
    emb[0] = 0.0
    close(ntxent(GROUPS, emb, epsilon=F32_EPS), float(optax.ntxent(j(emb), jnp.asarray(GROUPS))), rtol=1e-4)
    assert np.isnan(ntxent(GROUPS, emb))
    same = np.zeros(4, dtype=np.int64)
    close(ntxent(same, EMB[:4]), float(optax.ntxent(j(EMB[:4]), jnp.asarray(same))))
    close(ntxent(same, EMB[:4]), 0.0)
    distinct = np.arange(4)
    assert np.isnan(float(optax.ntxent(j(EMB[:4]), jnp.asarray(distinct)))) and np.isnan(ntxent(distinct, EMB[:4]))


# --- circle (Keras 3) -------------------------------------------------------------------------------

CIRCLE_EMB = unit(RNG.normal(0, 1, (10, 8)))
CIRCLE_IDS = np.array([0, 0, 1, 1, 1, 2, 2, 3, 0, 2])  # id 3: a singleton, its loss is 0 and masked


@pytest.mark.parametrize(("keras_reduction", "reduction"), [("sum_over_batch_size", "mean"), ("sum", "sum"), (None, "none")])
@pytest.mark.parametrize(("gamma", "margin", "remove_diagonal"), [(80.0, 0.4, True), (16.0, 0.25, True), (80.0, 0.4, False)])
def test_circle_against_keras(keras_reduction, reduction, gamma, margin, remove_diagonal):
    ours = circle(CIRCLE_IDS, CIRCLE_EMB, gamma=gamma, margin=margin, remove_diagonal=remove_diagonal, reduction=reduction)
    loss = keras.losses.Circle(gamma=gamma, margin=margin, remove_diagonal=remove_diagonal, reduction=keras_reduction)
    close(ours, loss(CIRCLE_IDS, CIRCLE_EMB).numpy(), rtol=1e-4, atol=1e-4)
    function = keras.losses.circle(CIRCLE_IDS, CIRCLE_EMB, gamma=gamma, margin=margin, remove_diagonal=remove_diagonal)
    close(circle(CIRCLE_IDS, CIRCLE_EMB, gamma=gamma, margin=margin, remove_diagonal=remove_diagonal, reduction="none"), function.numpy(), rtol=1e-4, atol=1e-4)


def test_circle_mean_skips_zero_rows():
    """The singleton's loss is 0 and Keras masks it: the mean divides by 9 anchors, not 10."""
    values = circle(CIRCLE_IDS, CIRCLE_EMB, reduction="none")
    assert values[7] == 0.0 and np.all(np.delete(values, 7) > 0)
    close(circle(CIRCLE_IDS, CIRCLE_EMB), np.sum(values) / 9, rtol=1e-12)
    close(float(keras.losses.Circle()(CIRCLE_IDS, CIRCLE_EMB)), np.sum(values) / 9, rtol=1e-4)


def test_circle_does_not_normalise():
    """Un-normalised embeddings are accepted silently: the value changes (distances leave [0, 2])."""
    scaled = CIRCLE_EMB * 3.0
    close(circle(CIRCLE_IDS, scaled), float(keras.losses.Circle()(CIRCLE_IDS, scaled)), rtol=1e-4)
    assert abs(circle(CIRCLE_IDS, scaled) - circle(CIRCLE_IDS, CIRCLE_EMB)) > 1.0
