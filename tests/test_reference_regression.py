"""The regression references (lossadvisor.reference.regression) against PyTorch, Keras 3 and optax:
every spelling rules/losses.yaml lists for each loss, on random and edge inputs (errors of ±30, ±80,
160; zeros; values at the Keras/PyTorch safeguards), every reduction each framework offers, and
sample/element weights where they exist. Tolerance: rtol 1e-5, atol 1e-6 (the frameworks compute in
float32, the reference in float64).

Keras reduces over the last axis first (one value per sample) and then over the samples; PyTorch
and the references take the mean over all elements. Keras's numbers are therefore checked as the
reference's per-element values averaged over the last axis, then reduced as Keras's reduction says.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from lossadvisor.reference import regression as R

from reference_helpers import RTOL, close, t

pytestmark = pytest.mark.frameworks
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
optax = pytest.importorskip("optax")
jnp = pytest.importorskip("jax.numpy")
F = torch.nn.functional

RNG = np.random.default_rng(0)
LOSSES = yaml.safe_load((Path(__file__).resolve().parents[1] / "rules" / "losses.yaml").read_text(encoding="utf-8"))
TORCH_REDUCTIONS = ("mean", "sum", "none")
KERAS_REDUCTIONS = ("sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", None, "none")


def numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


def f32(*rows):
    return np.array(rows, dtype=np.float32)


# Real-valued targets and predictions: random rows, then a row of large errors (30, 160, 0, 0) and
# a row whose errors sit exactly on the Huber/SmoothL1 thresholds used below (0.5, 1, 2) and at 0.
Y = np.concatenate([RNG.normal(0, 3, (6, 4)), f32([0.0, 80.0, -30.0, 1.0]), f32([0.0, 0.0, 1.0, 5.0])]).astype(np.float32)
P = np.concatenate([Y[:6] + RNG.normal(0, 2, (6, 4)), f32([30.0, -80.0, -30.0, 1.0]), f32([0.5, 1.0, 3.0, 5.0])]).astype(np.float32)
WEIGHTS = RNG.uniform(0, 2, 64).astype(np.float32)  # sample weights: the first len(y), one per row
WEIGHT = WEIGHTS[: len(Y)]


def names(loss_id, framework):
    return [n if isinstance(n, str) else n["name"] for n in LOSSES[loss_id]["names"].get(framework) or []]


def keras_expected(values, reduction, sample_weight=None):
    """What Keras returns, from the reference's per-element values: mean over the last axis, then
    the reduction over samples (keras/src/losses/loss.py, reduce_values)."""
    per_sample = np.mean(values, axis=-1)
    w = np.ones_like(per_sample) if sample_weight is None else sample_weight
    if reduction in (None, "none"):
        return per_sample * w
    if reduction == "sum":
        return np.sum(per_sample * w)
    if reduction == "mean_with_sample_weight":
        return np.sum(per_sample * w) / np.sum(w)
    return np.sum(per_sample * w) / per_sample.size  # sum_over_batch_size / mean: by the count, not Σw


def check_torch(loss_id, ours, y, p, rtol=RTOL, **params):
    """Every PyTorch spelling (module and functional), every reduction, against ours(reduction=…)."""
    spelled = names(loss_id, "pytorch")
    assert spelled, loss_id
    for name in spelled:
        for reduction in TORCH_REDUCTIONS:
            if hasattr(torch.nn, name):
                theirs = getattr(torch.nn, name)(reduction=reduction, **params)(t(p), t(y))
            else:
                theirs = getattr(F, name)(t(p), t(y), reduction=reduction, **params)
            close(ours(y, p, reduction=reduction), theirs.numpy(), rtol=rtol)


def check_keras(loss_id, ours, y, p, rtol=RTOL, **params):
    """Every Keras spelling: classes with every reduction, with and without sample weights; functions
    and string aliases (keras.losses.get) per sample."""
    spelled = names(loss_id, "keras")
    assert spelled, loss_id
    values = ours(y, p, reduction="none")
    for name in spelled:
        found = getattr(keras.losses, name, None)
        if isinstance(found, type):
            for reduction in KERAS_REDUCTIONS:
                loss = found(reduction=reduction, **params)
                close(numpy(loss(y, p)), keras_expected(values, reduction), rtol=rtol)
                close(numpy(loss(y, p, sample_weight=WEIGHTS[: len(y)])), keras_expected(values, reduction, WEIGHTS[: len(y)]), rtol=rtol)
        else:
            function = keras.losses.get(name)
            close(numpy(function(y, p, **params)), keras_expected(values, "none"), rtol=rtol)


def test_every_spelling_in_losses_yaml_exists():
    ids = ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
           "root_mean_squared_error", "huber", "smooth_l1", "log_cosh", "quantile", "poisson", "poisson_nll", "gaussian_nll"]  # fmt: skip
    for loss_id in ids:
        assert callable(getattr(R, loss_id))
        for name in names(loss_id, "pytorch"):
            assert hasattr(torch.nn, name) or hasattr(F, name), name
        for name in names(loss_id, "keras"):
            assert callable(keras.losses.get(name)), name
        for name in names(loss_id, "jax"):
            assert callable(getattr(optax.losses, name)), name
    assert not any(LOSSES[i]["names"].get(f) for i in ("root_mean_squared_error", "quantile") for f in ("pytorch", "keras", "jax"))


def test_explain_entries():
    """rules/explain/regression.yaml: one entry per id, each naming its reference function here."""
    entries = yaml.safe_load((Path(__file__).resolve().parents[1] / "rules" / "explain" / "regression.yaml").read_text(encoding="utf-8"))
    assert sorted(entries) == sorted(n for n in dir(R) if not n.startswith("_") and getattr(getattr(R, n), "__module__", None) == R.__name__)
    for loss_id, entry in entries.items():
        assert loss_id in LOSSES and entry["reference"] == loss_id and {"formula", "latex", "tolerance"} <= set(entry)
        assert set(entry["compared_with"]) <= {"pytorch", "keras", "optax", "monai", "kornia", "source"}


# ---- mean squared / absolute error -----------------------------------------------------------------


def test_mean_squared_error():
    check_torch("mean_squared_error", R.mean_squared_error, Y, P)
    check_keras("mean_squared_error", R.mean_squared_error, Y, P)
    ours = R.mean_squared_error(Y, P, reduction="none")
    close(np.asarray(optax.squared_error(jnp.asarray(P), jnp.asarray(Y))), ours)
    close(np.asarray(optax.l2_loss(jnp.asarray(P), jnp.asarray(Y))), ours / 2)  # l2_loss is HALF the squared error
    assert R.mean_squared_error(Y, P) > (160**2 + 30**2) / Y.size  # the large errors are in there


def test_mean_absolute_error():
    check_torch("mean_absolute_error", R.mean_absolute_error, Y, P)
    check_keras("mean_absolute_error", R.mean_absolute_error, Y, P)


def test_pytorch_element_weights_divide_differently():
    """F.mse_loss/l1_loss(weight=w) 'mean' is Σw·ℓ/Σw; F.huber_loss(weight=w) 'mean' is Σw·ℓ/numel.
    Keras sample weights divide by the number of samples (default) or by Σw (mean_with_sample_weight)."""
    w = np.broadcast_to(WEIGHT[:, None], Y.shape).copy()
    for ours, theirs in ((R.mean_squared_error, F.mse_loss), (R.mean_absolute_error, F.l1_loss)):
        close(theirs(t(P), t(Y), weight=t(w)).numpy(), np.sum(ours(Y, P, reduction="none") * w) / np.sum(w))
        close(theirs(t(P), t(Y), weight=t(w), reduction="sum").numpy(), np.sum(ours(Y, P, reduction="none") * w))
    close(F.huber_loss(t(P), t(Y), weight=t(w)).numpy(), np.mean(R.huber(Y, P, reduction="none") * w))
    # the same weights, per row: Keras's mean_with_sample_weight is PyTorch's weighted mse_loss ...
    keras_weighted = numpy(keras.losses.MeanSquaredError(reduction="mean_with_sample_weight")(Y, P, sample_weight=WEIGHT))
    close(keras_weighted, F.mse_loss(t(P), t(Y), weight=t(w)).numpy())
    # ... and its default divides by the number of samples, not by Σw: off by Σw / N
    keras_default = numpy(keras.losses.MeanSquaredError()(Y, P, sample_weight=WEIGHT))
    close(keras_default / keras_weighted, np.sum(WEIGHT) / len(WEIGHT))
    assert abs(np.sum(WEIGHT) / len(WEIGHT) - 1) > 0.05


def test_keras_reduces_the_last_axis_first_pytorch_all_elements():
    """Equal-length rows: the same 'mean'. 'sum': Keras sums per-sample MEANS (PyTorch's sum / D).
    'none': Keras gives one value per sample, PyTorch one per element. A 1-D vector is ONE sample to
    Keras, so its 'sum' is the mean."""
    d = Y.shape[-1]
    mse = keras.losses.MeanSquaredError
    close(numpy(mse()(Y, P)), torch.nn.MSELoss()(t(P), t(Y)).numpy())
    close(numpy(mse(reduction="sum")(Y, P)), torch.nn.MSELoss(reduction="sum")(t(P), t(Y)).numpy() / d)
    assert numpy(mse(reduction="none")(Y, P)).shape == (len(Y),)
    assert torch.nn.MSELoss(reduction="none")(t(P), t(Y)).shape == Y.shape
    y, p = f32(1.0, 2.0, 3.0, 4.0), f32(1.5, 1.0, 3.0, 6.0)
    assert float(numpy(mse(reduction="sum")(y, p))) == pytest.approx(1.3125)  # the mean: one sample of 4
    assert float(numpy(mse(reduction="sum")(y[:, None], p[:, None]))) == pytest.approx(5.25)  # 4 samples of 1
    assert R.mean_squared_error(y, p, reduction="sum") == pytest.approx(5.25)
    close(numpy(keras.losses.Huber(reduction="sum")(Y, P)), np.sum(np.mean(R.huber(Y, P, reduction="none"), axis=-1)))


def test_prediction_n_by_1_against_target_n():
    """(N,1) vs (N,): PyTorch warns and broadcasts to (N,N) (a different number); Keras's classes
    squeeze to (N,); optax squared_error raises, optax huber_loss broadcasts silently."""
    y, p = f32(1.0, 2.0, 3.0, 4.0), f32(1.5, 1.0, 3.0, 6.0)
    with pytest.warns(UserWarning, match="different to the input size"):
        broadcast = float(torch.nn.MSELoss()(t(p[:, None]), t(y)))
    assert broadcast == pytest.approx(R.mean_squared_error(y[None, :], p[:, None])) and broadcast == pytest.approx(5.1875)
    assert R.mean_squared_error(y, p) == pytest.approx(1.3125)
    close(numpy(keras.losses.MeanSquaredError()(y, p[:, None])), R.mean_squared_error(y, p))
    with pytest.raises(ValueError, match="Shape mismatch"):
        optax.squared_error(jnp.asarray(p[:, None]), jnp.asarray(y))
    assert optax.huber_loss(jnp.asarray(p[:, None]), jnp.asarray(y)).shape == (4, 4)
    # Keras's bare functions squeeze too (mean_squared_error …), except `poisson`, which broadcasts
    close(numpy(keras.losses.mean_squared_error(y, p[:, None])), R.mean_squared_error(y, p, reduction="none"))
    rates = f32(1.0, 2.0, 3.0)
    per_sample = R.poisson(rates, rates, reduction="none")  # 1, 0.614, −0.296
    broadcast = numpy(keras.losses.poisson(rates, rates[:, None]))  # row i: rate_i − mean_j(y_j)·log rate_i
    close(broadcast, R.poisson(rates[None, :], rates[:, None], reduction="none").mean(-1))
    assert not np.allclose(broadcast, per_sample) and round(float(broadcast[2]), 3) == 0.803 and round(float(per_sample[2]), 3) == -0.296
    close(numpy(keras.losses.Poisson(reduction="none")(rates, rates[:, None])), per_sample)  # the class squeezes


# ---- percentage and logarithmic errors (Keras only) ---------------------------------------------


def test_mean_absolute_percentage_error():
    y = np.concatenate([Y[:6], -Y[:1]])  # nonzero targets, some negative
    check_keras("mean_absolute_percentage_error", R.mean_absolute_percentage_error, y, P[:7])
    # y = 0: the formula is infinite; Keras divides by max(|y|, 1e-7): 100·0.5/1e-7 = 5e8
    y, p = f32([0.0, -2.0, 1e-9, 3.0]), f32([0.5, 1.0, 0.0, 3.0])
    keras_value = numpy(keras.losses.mean_absolute_percentage_error(y, p))
    close(keras_value, R.mean_absolute_percentage_error(y, p, epsilon=1e-7, reduction="none").mean(-1))
    assert float(keras_value[0]) == pytest.approx((5e8 + 150 + 1e-9 / 1e-7 * 100 + 0) / 4, rel=1e-5)
    assert np.isinf(R.mean_absolute_percentage_error(y, p, reduction="none")[0, 0])


def test_mean_squared_logarithmic_error():
    y, p = np.abs(Y[:6]), np.abs(P[:6]) * 2  # ≥ 0
    check_keras("mean_squared_logarithmic_error", R.mean_squared_logarithmic_error, y, p)
    # Keras floors both at 1e-7 before log(1 + ·): −0.5 is read as 1e-7 (0.48 here, 1.92 exactly) and
    # −2 gives a number where the formula has none
    y, p = f32([1.0, 0.0, 2.0, -3.0]), f32([-0.5, -2.0, 0.0, 1.0])
    ours_keras = R.mean_squared_logarithmic_error(y, p, epsilon=1e-7, reduction="none")
    close(numpy(keras.losses.MeanSquaredLogarithmicError(reduction="none")(y, p)), ours_keras.mean(-1))
    exact = R.mean_squared_logarithmic_error(y, p, reduction="none")
    assert round(float(ours_keras[0, 0]), 3) == 0.48 and round(float(exact[0, 0]), 3) == 1.922 and np.isnan(exact[0, 1])


# ---- root mean squared error (no loss anywhere) ----------------------------------------------


def test_root_mean_squared_error():
    ours = R.root_mean_squared_error(Y, P)
    assert ours == pytest.approx(math.sqrt(R.mean_squared_error(Y, P)))
    metric = keras.metrics.RootMeanSquaredError()
    metric.update_state(Y, P)
    close(numpy(metric.result()), ours)
    # the snippets rules/losses.yaml gives, with their 1e-8
    close(torch.sqrt(F.mse_loss(t(P), t(Y)) + 1e-8).numpy(), R.root_mean_squared_error(Y, P, epsilon=1e-8))
    close(np.asarray(jnp.sqrt(optax.squared_error(jnp.asarray(P), jnp.asarray(Y)).mean() + 1e-8)), R.root_mean_squared_error(Y, P, epsilon=1e-8))
    close(numpy(keras.ops.sqrt(keras.ops.mean(keras.ops.square(Y - P)) + 1e-8)), R.root_mean_squared_error(Y, P, epsilon=1e-8))
    # why the epsilon: at a perfect fit the gradient of the root is 0/0
    p = t(Y).requires_grad_()
    torch.sqrt(F.mse_loss(p, t(Y))).backward()
    assert torch.isnan(p.grad).all()
    p = t(Y).requires_grad_()
    torch.sqrt(F.mse_loss(p, t(Y)) + 1e-8).backward()
    assert torch.equal(p.grad, torch.zeros_like(p.grad))
    # the metric accumulates over batches; the mean of per-batch roots is smaller (Jensen)
    metric = keras.metrics.RootMeanSquaredError()
    metric.update_state(Y[:4], P[:4])
    metric.update_state(Y[4:], P[4:])
    close(numpy(metric.result()), ours)
    assert np.mean([R.root_mean_squared_error(Y[:4], P[:4]), R.root_mean_squared_error(Y[4:], P[4:])]) < ours - 1


# ---- Huber, SmoothL1, log-cosh ----------------------------------------------------------------


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber(delta):
    ours = lambda y, p, reduction="mean": R.huber(y, p, delta=delta, reduction=reduction)  # noqa: E731
    check_torch("huber", ours, Y, P, delta=delta)
    check_keras("huber", ours, Y, P, delta=delta)
    close(np.asarray(optax.huber_loss(jnp.asarray(P), jnp.asarray(Y), delta=delta)), ours(Y, P, reduction="none"))


def test_huber_delta_must_be_positive_in_pytorch():
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        F.huber_loss(t(P), t(Y), delta=0.0)
    assert R.huber(Y, P, delta=1e6) == pytest.approx(R.mean_squared_error(Y, P) / 2)  # δ → ∞: half the MSE


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 2.0])
def test_smooth_l1(beta):
    ours = lambda y, p, reduction="mean": R.smooth_l1(y, p, beta=beta, reduction=reduction)  # noqa: E731
    check_torch("smooth_l1", ours, Y, P, beta=beta)
    if beta == 0:
        close(ours(Y, P, reduction="none"), R.mean_absolute_error(Y, P, reduction="none"))


def test_smooth_l1_negative_beta_raises_in_pytorch():
    with pytest.raises(RuntimeError, match="negative values for beta"):
        F.smooth_l1_loss(t(P), t(Y), beta=-1.0)


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0, 3.0])
def test_smooth_l1_is_huber_divided_by_beta(beta):
    """SmoothL1(β) = Huber(δ=β) / β, on every framework: identical only at β = δ = 1."""
    smooth = F.smooth_l1_loss(t(P), t(Y), beta=beta, reduction="none").numpy()
    close(smooth, F.huber_loss(t(P), t(Y), delta=beta, reduction="none").numpy() / beta)
    close(smooth, np.asarray(optax.huber_loss(jnp.asarray(P), jnp.asarray(Y), delta=beta)) / beta)
    close(float(torch.nn.SmoothL1Loss(beta=beta)(t(P), t(Y))), numpy(keras.losses.Huber(delta=beta)(Y, P)) / beta)
    close(R.smooth_l1(Y, P, beta=beta, reduction="none"), R.huber(Y, P, delta=beta, reduction="none") / beta)
    if beta != 1.0:
        assert not np.allclose(smooth, F.huber_loss(t(P), t(Y), delta=beta, reduction="none").numpy())
    d = f32(3.0)  # the example in loss-semantics.md: d = 3, δ = β = 2 gives Huber 4, SmoothL1 2
    assert float(F.huber_loss(t(d), t(0 * d), delta=2.0)) == 4.0 and float(F.smooth_l1_loss(t(d), t(0 * d), beta=2.0)) == 2.0


def test_log_cosh():
    y = np.concatenate([Y, f32([0.0, 0.0, 0.0, 0.0])])
    p = np.concatenate([P, f32([1000.0, -1000.0, 80.0, -30.0])])  # cosh(1000) overflows float64; the loss does not
    check_keras("log_cosh", R.log_cosh, y, p)
    ours = R.log_cosh(y, p, reduction="none")
    assert np.all(np.isfinite(ours)) and ours[-1, 0] == pytest.approx(1000 - math.log(2))
    close(np.asarray(optax.log_cosh(jnp.asarray(p), jnp.asarray(y))), ours)
    d = t(p) - t(y)  # the PyTorch snippet rules/losses.yaml gives
    close(torch.mean(d + F.softplus(-2 * d) - math.log(2)).numpy(), R.log_cosh(y, p))


def test_log_cosh_small_errors_in_float32():
    """Near e = 0 the float32 formulas cancel: Keras and optax both return exactly 0 at |e| = 1e-4
    (true value 5e-9), and at 1e-3 Keras is 4.6% low, optax 7.3% high: at most 4e-8 absolute, inside
    atol 1e-6."""
    e = f32(1e-4, 1e-3, 1e-2, -1e-4)
    ours = R.log_cosh(0 * e, e, reduction="none")
    with_optax = np.asarray(optax.log_cosh(jnp.asarray(e), jnp.asarray(0 * e)), dtype=np.float64)
    assert with_optax[0] == 0.0 and abs(with_optax[1] / ours[1] - 1) > 0.05
    close(with_optax, ours, rtol=0, atol=1e-7)
    with_keras = numpy(keras.losses.log_cosh(0 * e[:, None], e[:, None]))
    assert with_keras[0] == 0.0 and abs(with_keras[1] / ours[1] - 1) > 0.04
    close(with_keras, ours, rtol=0, atol=1e-7)


# ---- quantile (no built-in) -------------------------------------------------------------------


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_quantile(q):
    ours = R.quantile(Y, P, q=q, reduction="none")
    e = t(Y) - t(P)  # the snippets rules/losses.yaml gives (and TF-Addons pinball_loss's formula)
    close(torch.maximum(q * e, (q - 1) * e).numpy(), ours)
    ek = Y - P
    close(numpy(keras.ops.mean(keras.ops.maximum(q * ek, (q - 1) * ek), axis=-1)), ours.mean(-1))
    close(np.asarray(jnp.maximum(q * jnp.asarray(ek), (q - 1) * jnp.asarray(ek))), ours)
    # its minimiser over a constant prediction is the q-quantile of the targets
    targets = RNG.normal(0, 1, 2001)
    grid = np.linspace(-3, 3, 6001)
    best = grid[np.argmin([R.quantile(targets, np.full_like(targets, c), q=q) for c in grid])]
    assert best == pytest.approx(np.quantile(targets, q), abs=2e-3)


def test_quantile_at_one_half_is_half_the_absolute_error():
    close(R.quantile(Y, P, q=0.5), float(torch.nn.L1Loss()(t(P), t(Y))) / 2)
    close(R.quantile(Y, P, q=0.5), numpy(keras.losses.MeanAbsoluteError()(Y, P)) / 2)


# ---- Poisson (Keras: rate in; PyTorch: log-rate in by default) --------------------------------


def test_poisson_keras():
    counts = RNG.poisson(3.0, (6, 4)).astype(np.float32)
    rates = RNG.uniform(0.1, 8.0, (6, 4)).astype(np.float32)
    ours = lambda y, p, reduction="mean": R.poisson(y, p, epsilon=1e-7, reduction=reduction)  # noqa: E731
    check_keras("poisson", ours, counts, rates)
    # rate 0 with a count of 2: the formula is infinite, Keras gives −2·log 1e-7 = 32.24; a negative rate is NaN
    y, p = f32([0.0, 2.0, 1.0, 1.0]), f32([0.0, 0.0, 1e-9, 1.0])
    close(numpy(keras.losses.poisson(y, p)), ours(y, p, reduction="none").mean(-1))
    assert ours(y, p, reduction="none")[0, 1] == pytest.approx(32.236, abs=1e-3) and np.isinf(R.poisson(y, p, reduction="none")[0, 1])
    assert np.isnan(numpy(keras.losses.poisson(f32([2.0]), f32([-1.0])))).all() and np.isnan(R.poisson([2.0], [-1.0]))


LOG_RATES = np.concatenate([RNG.normal(0, 2, (6, 4)), f32([-80.0, -30.0, 30.0, 80.0])]).astype(np.float32)
COUNTS = np.concatenate([RNG.poisson(3.0, (6, 4)), f32([0.0, 1.0, 2.0, 10.0])]).astype(np.float32)


@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_log_input(full):
    ours = lambda y, p, reduction="mean": R.poisson_nll(y, p, full=full, reduction=reduction)  # noqa: E731
    check_torch("poisson_nll", ours, COUNTS, LOG_RATES, full=full)


@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_rates(full):
    rates = np.concatenate([np.exp(LOG_RATES[:6]), f32([0.0, 1e-9, 0.5, 40.0])]).astype(np.float32)
    ours = lambda y, p, reduction="mean": R.poisson_nll(y, p, log_input=False, full=full, eps=1e-8, reduction=reduction)  # noqa: E731
    check_torch("poisson_nll", ours, COUNTS, rates, log_input=False, full=full)
    # eps = 1e-8 only matters at a zero rate: a count of 1 there costs −log 1e-8 = 18.42 instead of ∞
    value = float(F.poisson_nll_loss(t([0.0]), t([1.0]), log_input=False))
    assert value == pytest.approx(-math.log(1e-8), rel=1e-6) and np.isinf(R.poisson_nll([1.0], [0.0], log_input=False))
    assert np.isnan(float(F.poisson_nll_loss(t([-1.0]), t([1.0]), log_input=False)))  # a negative rate


def test_poisson_nll_full_is_stirling_above_one():
    """full=True adds Stirling's approximation of log(y!) only where y > 1; at y = 2 it is 0.041 below
    log 2! = 0.693, at y = 10 0.008 below log 10! = 15.104."""
    y, x = f32(0.0, 1.0, 2.0, 10.0), f32(0.0, 0.0, 0.0, 0.0)
    added = F.poisson_nll_loss(t(x), t(y), full=True, reduction="none").numpy() - F.poisson_nll_loss(t(x), t(y), reduction="none").numpy()
    exact = np.array([math.lgamma(v + 1) for v in y])
    close(added, R.poisson_nll(y, x, full=True, reduction="none") - R.poisson_nll(y, x, reduction="none"))
    assert added[0] == 0 and added[1] == 0
    assert round(float(exact[2] - added[2]), 3) == 0.041 and round(float(exact[3] - added[3]), 3) == 0.008


def test_poisson_nll_and_keras_poisson_are_one_loss_in_two_parameterisations():
    """PoissonNLLLoss(x) = Poisson(rate = exp x): PyTorch wants the log-rate, Keras the rate."""
    close(R.poisson_nll(COUNTS[:6], LOG_RATES[:6]), R.poisson(COUNTS[:6], np.exp(LOG_RATES[:6].astype(np.float64))))
    torch_value = float(torch.nn.PoissonNLLLoss()(t(LOG_RATES[:6]), t(COUNTS[:6])))
    close(torch_value, numpy(keras.losses.Poisson()(COUNTS[:6], np.exp(LOG_RATES[:6]))), rtol=1e-4)
    # the JAX snippet rules/losses.yaml gives
    close(np.asarray(jnp.mean(jnp.exp(jnp.asarray(LOG_RATES)) - jnp.asarray(COUNTS) * jnp.asarray(LOG_RATES))), R.poisson_nll(COUNTS, LOG_RATES))


# ---- Gaussian NLL -------------------------------------------------------------------------------


def check_gaussian(y, mean, var, full=False, eps=1e-6):
    var_t = var if isinstance(var, float) else t(var)
    for reduction in TORCH_REDUCTIONS:
        ours = R.gaussian_nll(y, mean, var=var, full=full, eps=eps, reduction=reduction)
        module = torch.nn.GaussianNLLLoss(full=full, eps=eps, reduction=reduction)(t(mean), t(y), var_t)
        functional = F.gaussian_nll_loss(t(mean), t(y), var_t, full=full, eps=eps, reduction=reduction)
        close(ours, module.numpy())
        close(ours, functional.numpy())


@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll(full):
    var = RNG.uniform(0.05, 4.0, Y.shape).astype(np.float32)
    check_gaussian(Y, P, var, full=full)  # one variance per element
    check_gaussian(Y, P, var[:, 0], full=full)  # one per row, one axis fewer
    check_gaussian(Y, P, var[:, :1], full=full)  # one per row, a size-1 axis
    check_gaussian(Y, P, 0.7, full=full)  # one for all (a Python float)
    check_gaussian(Y, P, var, full=full, eps=1e-3)


def test_gaussian_nll_clamps_the_variance():
    """var is clamped to eps (1e-6), not added to: var = 1e-6 stays 1e-6, var = 0 and 1e-9 become 1e-6."""
    y, mean, var = f32(0.0, 0.0, 0.0, 0.0), f32(1e-3, 1e-3, 1e-3, 1.0), f32(0.0, 1e-9, 1e-6, 1.0)
    check_gaussian(y, mean, var)
    theirs = F.gaussian_nll_loss(t(mean), t(y), t(var), reduction="none").numpy()
    added = 0.5 * (np.log(1e-6 + 1e-6) + 1e-6 / (1e-6 + 1e-6))
    assert theirs[2] == pytest.approx(0.5 * (math.log(1e-6) + 1.0), rel=1e-5) and theirs[2] != pytest.approx(added, rel=1e-3)
    with pytest.raises(ValueError, match="var has negative entry"):
        F.gaussian_nll_loss(t(mean), t(y), t(-var - 1))
    with pytest.raises(ValueError, match="var is of incorrect size"):  # differs in two axes
        F.gaussian_nll_loss(t(np.zeros((4, 3, 2))), t(np.zeros((4, 3, 2))), t(np.ones((4, 1, 1))))
    # with unit variance it is half the squared error (plus ½·log 2π with full=True)
    close(R.gaussian_nll(Y, P, var=1.0), R.mean_squared_error(Y, P) / 2)
    close(float(F.gaussian_nll_loss(t(P), t(Y), 1.0, full=True)), R.mean_squared_error(Y, P) / 2 + 0.5 * math.log(2 * math.pi))


# ---- box regression: torchvision.ops, which does not install next to the CPU torch pin ---------------


def torchvision_like(kind, boxes1, boxes2, eps=1e-7):
    """The box losses as torchvision's source computes them (ops/giou_loss.py, diou_loss.py,
    ciou_loss.py), in torch ops: the intersection only where both overlaps are positive."""
    x1, y1, x2, y2 = boxes1.unbind(-1)
    gx1, gy1, gx2, gy2 = boxes2.unbind(-1)
    left, top, right, bottom = torch.max(x1, gx1), torch.max(y1, gy1), torch.min(x2, gx2), torch.min(y2, gy2)
    inter = torch.zeros_like(x1)
    overlap = (bottom > top) & (right > left)
    inter[overlap] = (right - left)[overlap] * (bottom - top)[overlap]
    union = (x2 - x1) * (y2 - y1) + (gx2 - gx1) * (gy2 - gy1) - inter
    iou = inter / (union + eps)
    cx1, cy1, cx2, cy2 = torch.min(x1, gx1), torch.min(y1, gy1), torch.max(x2, gx2), torch.max(y2, gy2)
    if kind == "generalized_box_iou":
        area = (cx2 - cx1) * (cy2 - cy1)
        return 1 - (iou - (area - union) / (area + eps))
    diagonal = (cx2 - cx1) ** 2 + (cy2 - cy1) ** 2 + eps
    centres = ((x1 + x2) / 2 - (gx1 + gx2) / 2) ** 2 + ((y1 + y2) / 2 - (gy1 + gy2) / 2) ** 2
    diou = 1 - iou + centres / diagonal
    if kind == "distance_box_iou":
        return diou
    v = (4 / torch.pi**2) * (torch.atan((gx2 - gx1) / (gy2 - gy1)) - torch.atan((x2 - x1) / (y2 - y1))) ** 2
    return diou + v / (1 - iou + v + eps) * v


def _boxes(n):
    corner = RNG.uniform(0, 50, (n, 2))
    size = RNG.uniform(1, 40, (n, 2))
    return np.concatenate([corner, corner + size], axis=1)


BOXES_PRED = np.concatenate([_boxes(12), [[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [100, 100, 101, 101]]])
BOXES_TRUE = np.concatenate([_boxes(12), [[0, 0, 10, 10], [2, 2, 5, 5], [20, 0, 30, 10], [0, 0, 1, 1]]])  # same, inside, apart, far


@pytest.mark.parametrize("kind", ["generalized_box_iou", "distance_box_iou", "complete_box_iou"])
@pytest.mark.parametrize("reduction", TORCH_REDUCTIONS)
def test_box_iou_losses_against_torchvision_source(kind, reduction):
    ours = getattr(R, kind)(BOXES_TRUE, BOXES_PRED, reduction=reduction)
    theirs = torchvision_like(kind, t(BOXES_PRED), t(BOXES_TRUE))
    theirs = {"none": theirs, "mean": theirs.mean(), "sum": theirs.sum()}[reduction]
    close(ours, theirs.detach().numpy())
    close(getattr(R, kind)(BOXES_PRED, BOXES_TRUE, reduction="none"), getattr(R, kind)(BOXES_TRUE, BOXES_PRED, reduction="none"))  # symmetric
    assert getattr(R, kind)(BOXES_TRUE[12:13], BOXES_PRED[12:13]) == pytest.approx(0.0, abs=1e-6)  # identical boxes


def test_box_iou_claims_in_the_explain_entries():
    inside = (BOXES_TRUE[13:14], BOXES_PRED[13:14])
    iou = 9 / 100
    assert R.generalized_box_iou(*inside) == pytest.approx(1 - iou, abs=1e-6)  # enclosed: GIoU = 1 − IoU
    apart = [R.generalized_box_iou([[0, 0, 1, 1]], [[d, 0, d + 1, 1]]) for d in (2, 20, 2000)]
    assert apart[0] < apart[1] < apart[2] < 2 and apart[2] > 1.99  # towards 2, where 1 − IoU stays 1
    same_centre = ([[0, 0, 10, 10]], [[3, 3, 7, 7]])
    assert R.distance_box_iou(*same_centre) == pytest.approx(1 - 16 / 100, abs=1e-6)
    same_shape = ([[0, 0, 10, 20]], [[5, 5, 15, 25]])
    assert R.complete_box_iou(*same_shape) == pytest.approx(R.distance_box_iou(*same_shape), abs=1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        assert math.isnan(R.complete_box_iou([[0, 0, 10, 10]], [[5, 5, 5, 5]]))
