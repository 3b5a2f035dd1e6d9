"""The first-batch guard on Keras 3 (torch backend, in model.fit and called directly) and on optax
(eager, under jit with a note, under jit with a host callback): firing and silent, on real tensors.
The Keras JAX backend runs in a subprocess (the backend is fixed when keras is imported)."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")
jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import lossadvisor  # noqa: E402
from lossadvisor import LossAdvisorWarning  # noqa: E402

pytestmark = pytest.mark.frameworks

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 8)).astype("float32")
Y = RNG.integers(0, 4, 64)
ONE_HOT = np.eye(4, dtype="float32")[Y]


def reported(action) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            action()
        except (ValueError, TypeError, IndexError, RuntimeError):
            pass  # what the framework itself raises afterwards
    return [w.message.code or str(w.message) for w in caught if issubclass(w.category, LossAdvisorWarning)]


def model(units: int = 4, activation: str | None = None, outputs: dict | None = None) -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8,))
    if outputs:
        return keras.Model(inputs, {name: keras.layers.Dense(u, activation=a, name=name)(inputs) for name, (u, a) in outputs.items()})
    return keras.Model(inputs, keras.layers.Dense(units, activation=activation)(inputs))


def _softmax_over_batch() -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8,))
    return keras.Model(inputs, keras.layers.Softmax(axis=0)(keras.layers.Dense(4)(inputs)))


def fit(net: keras.Model, loss, y) -> list[str]:
    def go():
        net.compile(optimizer="adam", loss=loss)
        net.fit(X, y, epochs=1, batch_size=16, verbose=0)

    return reported(go)


# --------------------------------------------------------------------------- Keras in model.fit (torch backend)

KERAS_FIRING = {
    "LA101 softmax head with from_logits=True": ("LA101", lambda: fit(model(activation="softmax"), lossadvisor.guard(keras.losses.SparseCategoricalCrossentropy(from_logits=True)), Y)),
    "LA101 sigmoid head with BCE(from_logits=True)": ("LA101", lambda: fit(model(1, "sigmoid"), lossadvisor.guard(keras.losses.BinaryCrossentropy(from_logits=True)), (Y > 1).astype("float32"))),
    "LA102 linear head into CategoricalCrossentropy()": ("LA102", lambda: fit(model(), lossadvisor.guard(keras.losses.CategoricalCrossentropy()), ONE_HOT)),
    "LA102 linear head into the function": ("LA102", lambda: fit(model(), lossadvisor.guard(keras.losses.sparse_categorical_crossentropy), Y)),
    "LA301 class ids into BCE": ("LA301", lambda: fit(model(1), lossadvisor.guard(keras.losses.BinaryCrossentropy(from_logits=True)), Y.astype("float32"))),
    "LA307 ±1 into BCE": ("LA307", lambda: fit(model(1), lossadvisor.guard(keras.losses.BinaryCrossentropy(from_logits=True)), np.where(Y > 1, 1.0, -1.0))),
    "LA310 1-based ids": ("LA310", lambda: fit(model(), lossadvisor.guard(keras.losses.SparseCategoricalCrossentropy(from_logits=True)), np.arange(64) % 4 + 1)),
    "LA311 255 without ignore_class": ("LA311", lambda: fit(model(), lossadvisor.guard(keras.losses.SparseCategoricalCrossentropy(from_logits=True)), np.where(Y == 0, 255, Y))),
    "LA304 multi-hot into CategoricalCrossentropy": (
        "LA304", lambda: fit(model(), lossadvisor.guard(keras.losses.CategoricalCrossentropy(from_logits=True)), np.clip(ONE_HOT + np.roll(ONE_HOT, 1, axis=1), 0, 1))
    ),
    "LA110 softmax over the batch axis": ("LA110", lambda: fit(_softmax_over_batch(), lossadvisor.guard(keras.losses.CategoricalCrossentropy()), ONE_HOT)),
    "LA305 real targets into BCE": ("LA305", lambda: fit(model(1), lossadvisor.guard(keras.losses.BinaryCrossentropy(from_logits=True)), RNG.uniform(0, 30, 64).astype("float32"))),
    "LA313 NaN targets into MSE": ("LA313", lambda: fit(model(1), lossadvisor.guard(keras.losses.MeanSquaredError()), np.where(np.arange(64) == 3, np.nan, 1.0).astype("float32"))),
}


@pytest.mark.parametrize("case", KERAS_FIRING, ids=str)
def test_keras_checks_fire_in_fit(case):
    code, run = KERAS_FIRING[case]
    assert run() == [code]


def _direct(loss, y_true, y_pred) -> list[str]:
    import torch

    return reported(lambda: lossadvisor.guard(loss)(torch.as_tensor(y_true), torch.as_tensor(y_pred)))


def test_keras_target_formats_fire_when_called_directly():
    """Keras refuses these shapes while building a compiled loss, before any batch: a custom training
    loop that calls the loss gets the finding first."""
    logits = RNG.normal(size=(16, 4)).astype("float32")
    assert _direct(keras.losses.CategoricalCrossentropy(from_logits=True), Y[:16], logits) == ["LA302"]
    assert _direct(keras.losses.SparseCategoricalCrossentropy(from_logits=True), ONE_HOT[:16], logits) == ["LA303"]
    kl_target = np.log(np.full((16, 4), 0.25, dtype="float32"))
    assert _direct(keras.losses.KLDivergence(), kl_target, np.full((16, 4), 0.25, dtype="float32")) == ["LA108"]


KERAS_SILENT = {
    "sparse, from_logits, linear head": lambda: fit(model(), lossadvisor.guard(keras.losses.SparseCategoricalCrossentropy(from_logits=True)), Y),
    "sparse, softmax head, default": lambda: fit(model(activation="softmax"), lossadvisor.guard(keras.losses.SparseCategoricalCrossentropy()), Y),
    "sparse, (N, 1) ids": lambda: fit(model(), lossadvisor.guard(keras.losses.SparseCategoricalCrossentropy(from_logits=True)), Y.reshape(-1, 1)),
    "sparse, ignore_class=255": lambda: fit(model(), lossadvisor.guard(keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255)), np.where(Y == 0, 255, Y)),
    "categorical, softmax head, label smoothing": lambda: fit(model(activation="softmax"), lossadvisor.guard(keras.losses.CategoricalCrossentropy(label_smoothing=0.1)), ONE_HOT),
    "categorical, from_logits, soft labels": lambda: fit(model(), lossadvisor.guard(keras.losses.CategoricalCrossentropy(from_logits=True)), 0.8 * ONE_HOT + 0.05),
    "binary, sigmoid head": lambda: fit(model(1, "sigmoid"), lossadvisor.guard(keras.losses.BinaryCrossentropy()), (Y > 1).astype("float32")),
    "binary, from_logits, multi-hot": lambda: fit(model(), lossadvisor.guard(keras.losses.BinaryCrossentropy(from_logits=True)), np.clip(ONE_HOT + np.roll(ONE_HOT, 1, axis=1), 0, 1)),
    "binary focal, from_logits": lambda: fit(model(1), lossadvisor.guard(keras.losses.BinaryFocalCrossentropy(from_logits=True)), (Y > 1).astype("float32")),
    "KL divergence, softmax head": lambda: fit(model(activation="softmax"), lossadvisor.guard(keras.losses.KLDivergence()), 0.9 * ONE_HOT + 0.025),
    "MSE, linear head": lambda: fit(model(1), lossadvisor.guard(keras.losses.MeanSquaredError()), RNG.normal(size=64).astype("float32")),
}


@pytest.mark.parametrize("case", KERAS_SILENT, ids=str)
def test_keras_correct_setups_are_silent(case):
    assert KERAS_SILENT[case]() == []


def test_keras_per_output_dict_and_the_same_training():
    """A dict of guarded losses compiles and trains exactly as the plain dict; each output is judged on its own."""
    outputs = {"kind": (4, None), "flag": (1, "sigmoid")}
    targets = {"kind": Y, "flag": (Y > 1).astype("float32")}
    histories = []
    for wrap in (lambda loss: loss, lossadvisor.guard):
        net = model(outputs=outputs)
        net.compile(optimizer="adam", loss={"kind": wrap(keras.losses.SparseCategoricalCrossentropy(from_logits=True)), "flag": wrap(keras.losses.BinaryCrossentropy(from_logits=True))})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            histories.append(net.fit(X, targets, epochs=2, batch_size=16, verbose=0, shuffle=False).history["loss"])
    assert histories[0] == histories[1]
    assert [w.message.code for w in caught if issubclass(w.category, LossAdvisorWarning)] == ["LA101"]  # the sigmoid "flag" head


KERAS_ON_JAX = """
import sys, warnings, numpy as np, keras, lossadvisor
rng = np.random.default_rng(0)
x, y = rng.normal(size=(64, 8)).astype("float32"), rng.integers(0, 4, 64)
net = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, activation="softmax")])
loss = lossadvisor.guard(keras.losses.SparseCategoricalCrossentropy(from_logits=True), traced=sys.argv[1])
net.compile(optimizer="adam", loss=loss, jit_compile=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    net.fit(x, y, epochs=1, batch_size=16, verbose=0)
print([(w.message.code or str(w.message)[:40]) for w in caught if w.category is lossadvisor.LossAdvisorWarning])
"""


@pytest.mark.parametrize(("traced", "expected"), [("note", "['lossadvisor guard: SparseCategoricalCros']"), ("callback", "['LA101']")])
def test_keras_on_the_jax_backend_notes_or_calls_back_under_jit(traced, expected):
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    out = subprocess.run([sys.executable, "-c", KERAS_ON_JAX, traced], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == expected


# --------------------------------------------------------------------------- optax

LOGITS = jax.random.normal(jax.random.PRNGKey(0), (16, 5))
IDS = jax.random.randint(jax.random.PRNGKey(1), (16,), 0, 5)

OPTAX_FIRING = {
    "LA101 probabilities into softmax_cross_entropy_with_integer_labels": ("LA101", optax.softmax_cross_entropy_with_integer_labels, jax.nn.softmax(LOGITS), IDS),
    "LA101 probabilities into softmax_cross_entropy": ("LA101", optax.softmax_cross_entropy, jax.nn.softmax(LOGITS), jax.nn.one_hot(IDS, 5)),
    "LA302 ids into softmax_cross_entropy": ("LA302", optax.softmax_cross_entropy, LOGITS, IDS),
    "LA303 one-hot into the integer-label form": ("LA303", optax.softmax_cross_entropy_with_integer_labels, LOGITS, jax.nn.one_hot(IDS, 5).astype(jnp.int32)),
    "LA307 ±1 into sigmoid_binary_cross_entropy": ("LA307", optax.sigmoid_binary_cross_entropy, LOGITS, jax.nn.one_hot(IDS, 5) * 2 - 1),
    "LA310 id == C": ("LA310", optax.softmax_cross_entropy_with_integer_labels, LOGITS, IDS.at[0].set(7)),
    "LA311 -1 wraps to the last class": ("LA311", optax.softmax_cross_entropy_with_integer_labels, LOGITS, IDS.at[0].set(-1)),
    "LA103 logits into kl_divergence": ("LA103", optax.kl_divergence, LOGITS, jax.nn.softmax(LOGITS)),
    "LA108 log-probabilities as kl_divergence targets": ("LA108", optax.kl_divergence, jax.nn.log_softmax(LOGITS), jax.nn.log_softmax(LOGITS)),
    "LA108 probabilities into kl_divergence_with_log_targets": ("LA108", optax.losses.kl_divergence_with_log_targets, jax.nn.log_softmax(LOGITS), jax.nn.softmax(LOGITS)),
}


@pytest.mark.parametrize("case", OPTAX_FIRING, ids=str)
def test_optax_checks_fire_eagerly(case):
    code, loss, prediction, target = OPTAX_FIRING[case]
    assert reported(lambda: lossadvisor.guard(loss)(prediction, target)) == [code]


OPTAX_SILENT = {
    "integer labels, logits": (optax.softmax_cross_entropy_with_integer_labels, LOGITS, IDS),
    "integer labels, tiny logits": (optax.softmax_cross_entropy_with_integer_labels, LOGITS * 1e-3, IDS),
    "one-hot labels": (optax.softmax_cross_entropy, LOGITS, jax.nn.one_hot(IDS, 5)),
    "smoothed labels": (optax.softmax_cross_entropy, LOGITS, optax.smooth_labels(jax.nn.one_hot(IDS, 5), 0.1)),
    "sigmoid, multi-hot": (optax.sigmoid_binary_cross_entropy, LOGITS, jnp.clip(jax.nn.one_hot(IDS, 5) + jax.nn.one_hot((IDS + 1) % 5, 5), 0, 1)),
    "kl_divergence": (optax.kl_divergence, jax.nn.log_softmax(LOGITS), jax.nn.softmax(LOGITS * 2)),
    "kl_divergence_with_log_targets": (optax.losses.kl_divergence_with_log_targets, jax.nn.log_softmax(LOGITS), jax.nn.log_softmax(LOGITS * 2)),
    "squared_error": (optax.squared_error, LOGITS, LOGITS + 1),
    "huber_loss": (optax.huber_loss, LOGITS, LOGITS + 1),
}


@pytest.mark.parametrize("case", OPTAX_SILENT, ids=str)
def test_optax_correct_setups_are_silent(case):
    loss, prediction, target = OPTAX_SILENT[case]
    assert reported(lambda: lossadvisor.guard(loss)(prediction, target)) == []


def test_optax_under_jit_notes_once_or_checks_through_a_callback():
    probabilities = jax.nn.softmax(LOGITS)
    plain = optax.softmax_cross_entropy_with_integer_labels(probabilities, IDS)
    noted = lossadvisor.guard(optax.softmax_cross_entropy_with_integer_labels)
    step = jax.jit(lambda p, y: noted(p, y).mean())
    said = reported(lambda: [step(probabilities, IDS) for _ in range(3)])
    assert len(said) == 1 and said[0].startswith("lossadvisor guard: softmax_cross_entropy_with_integer_labels is called with traced arrays")
    assert reported(lambda: noted(probabilities, IDS)) == ["LA101"]  # eager calls are still inspected

    checked = lossadvisor.guard(optax.softmax_cross_entropy_with_integer_labels, traced="callback")
    step = jax.jit(lambda p, y: checked(p, y))

    def run():
        out = step(probabilities, IDS)
        jax.effects_barrier()
        assert jnp.array_equal(out, plain)
        grad = jax.grad(lambda p: checked(p, IDS).mean())(probabilities)
        assert jnp.array_equal(grad, jax.grad(lambda p: optax.softmax_cross_entropy_with_integer_labels(p, IDS).mean())(probabilities))

    assert reported(run) == ["LA101"]
