"""Every snippet `lossadvisor recommend` prints runs as printed, on realistic data of the shapes its
own first comment names, and five optimisation steps lower the loss: per problem type × framework,
with the real Keras 3 (torch backend), PyTorch and JAX/optax of the `frameworks` extra.

The data are made here from the task's `example` in tasks.yaml (x layout, y shape and dtype) and
its label format; the snippet's comment is written from the same entry, and a test below checks
that the comment names exactly these shapes. Fragments (detection, VAE) must say they are not
runnable and are only compiled."""

from __future__ import annotations

import contextlib
import io
import math
import os
import re

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

from lossadvisor import knowledge  # noqa: E402
from lossadvisor.recommend import recommend  # noqa: E402

pytestmark = pytest.mark.frameworks

KB = knowledge.load()
FRAMEWORKS = ("keras", "pytorch", "jax")
SIZES = {"N": 64, "F": 8, "H": 6, "W": 6, "T": 24, "S": 5}
CLASSES = 4


def _cases():
    for task in sorted(KB.tasks):
        for fw in FRAMEWORKS:
            yield pytest.param(task, fw, id=f"{task}-{fw}")


def _shape(text: str, classes: int) -> tuple[int, ...]:
    """"(N, H, W)" -> (64, 6, 6); C is the number of classes."""
    names = [p.strip() for p in text.strip("()").split(",") if p.strip()]
    return tuple(classes if n == "C" else SIZES[n] for n in names)


def _inputs(kind: str, channels: str) -> np.ndarray:
    spec = KB.snippets["inputs"][kind]
    spec = spec if "shape" in spec else spec[channels]
    return np.random.default_rng(0).normal(size=_shape(", ".join(spec["shape"]), CLASSES)).astype("float32")


def _targets(task_id: str, x: np.ndarray, classes: int) -> np.ndarray:
    """Targets in the task's label format, learnable from x (so that the loss can go down)."""
    task = KB.tasks[task_id]
    example = task.raw["example"]
    y = example["y"]
    shape = _shape(y["shape"], classes)
    rng = np.random.default_rng(1)
    fmt = task.raw["labels"]
    score = x.reshape(x.shape[0], -1)[:, 0]
    if task_id == "sequence":  # label sequences in 1..C-1 padded with 0
        out = rng.integers(1, classes, size=shape)
        lengths = rng.integers(2, shape[1] + 1, size=shape[0])
        out[np.arange(shape[1])[None, :] >= lengths[:, None]] = 0
    elif fmt == "binary":
        out = (score > 0).astype(float) if len(shape) == 1 else rng.integers(0, 2, size=shape)
    elif fmt == "class_ids":
        out = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1])) if len(shape) == 1 else rng.integers(0, classes, size=shape)
    elif fmt == "multi_hot":
        out = rng.integers(0, 2, size=shape)
    elif fmt == "distribution":
        logits = rng.normal(size=shape)
        out = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    elif fmt == "unit_interval":
        out = 1 / (1 + np.exp(-score))
    elif fmt == "counts":
        out = rng.poisson(np.exp(0.5 * score))
    else:  # continuous
        out = (2 * score + 0.1 * rng.normal(size=shape[0])) if len(shape) == 1 else rng.normal(size=shape)
    return out.astype(y["dtype"])


def _to(framework: str, array: np.ndarray):
    if framework == "pytorch":
        import torch

        return torch.from_numpy(array)
    if framework == "jax":
        import jax.numpy as jnp

        return jnp.asarray(array)
    return array


def _seed(framework: str) -> None:
    if framework == "keras":
        import keras

        keras.utils.set_random_seed(0)
    elif framework == "pytorch":
        import torch

        torch.manual_seed(0)


def _losses(printed: str, framework: str) -> list[float]:
    pattern = r"\bloss: ([-+0-9.eEnaif]+)" if framework == "keras" else r"step \d+: loss ([-+0-9.eEnaif]+)"
    return [float(v) for v in re.findall(pattern, printed)]


def _import(framework: str) -> None:
    pytest.importorskip({"keras": "keras", "pytorch": "torch", "jax": "optax"}[framework])


# Elementwise losses broadcast a (N, 1) prediction against (N,) targets to (N, N), some with a
# warning and PoissonNLLLoss silently: a snippet must hand them the same shapes. Keras' losses
# squeeze or expand y themselves.
TORCH_ELEMENTWISE = {
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "poisson_nll_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "soft_margin_loss", "gaussian_nll_loss",
}  # fmt: skip
OPTAX_ELEMENTWISE = {"sigmoid_binary_cross_entropy", "squared_error", "l2_loss", "huber_loss", "kl_divergence", "log_cosh"}


@contextlib.contextmanager
def _same_shapes_into_elementwise_losses(framework: str, monkeypatch):
    if framework == "pytorch":
        import torch
        from torch.overrides import TorchFunctionMode

        class SameShapes(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                kwargs = kwargs or {}
                if getattr(func, "__name__", "") in TORCH_ELEMENTWISE and len(args) >= 2:
                    prediction, target = args[0], args[1]
                    if isinstance(target, torch.Tensor):
                        assert prediction.shape == target.shape, f"{func.__name__}: {tuple(prediction.shape)} vs {tuple(target.shape)}"
                return func(*args, **kwargs)

        with SameShapes():
            yield
        return
    if framework == "jax":
        import optax

        for name in OPTAX_ELEMENTWISE:
            real = getattr(optax.losses, name)

            def checked(prediction, target, *args, _real=real, _name=name, **kwargs):
                assert prediction.shape == target.shape, f"{_name}: {prediction.shape} vs {target.shape}"
                return _real(prediction, target, *args, **kwargs)

            monkeypatch.setattr(optax.losses, name, checked)
    yield


@pytest.mark.parametrize("classes", [CLASSES, None])
@pytest.mark.parametrize(("task_id", "framework"), list(_cases()))
def test_snippet_runs_as_printed_and_lowers_the_loss(task_id, framework, classes, monkeypatch):
    _import(framework)
    advice = recommend(task_id, framework, classes=classes)
    if not advice.frameworks:
        pytest.skip(f"no {framework} advice for {task_id}")
    (fw,) = advice.frameworks
    if not fw.runnable:
        compile(fw.snippet, f"<{task_id}-{framework}>", "exec")  # a fragment is still valid Python
        return
    n_classes = classes or 10  # the snippet's own `num_classes = 10` when --classes is not given (K levels for ordinal)
    spec = KB.snippets["frameworks"][framework]
    x = _inputs(KB.tasks[task_id].raw["example"]["x"], spec["channels"])
    y = _targets(task_id, x, n_classes)
    namespace = {"x": _to(framework, x), "y": _to(framework, y)}
    _seed(framework)  # the snippets start from random weights: seeded, so that a failure repeats
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), _same_shapes_into_elementwise_losses(framework, monkeypatch):
        exec(compile(fw.snippet, f"<{task_id}-{framework}>", "exec"), namespace)  # as printed
    losses = _losses(printed.getvalue(), framework)
    assert len(losses) == 5, printed.getvalue()
    assert all(math.isfinite(v) for v in losses), losses
    assert losses[-1] < losses[0], losses


@pytest.mark.parametrize(("task_id", "framework"), list(_cases()))
def test_snippet_comment_names_the_data_it_takes(task_id, framework):
    """The first comments are what the user must provide: the same shapes the test above feeds."""
    from lossadvisor.render.advice import render_markdown, render_text

    advice = recommend(task_id, framework, classes=CLASSES)
    for fw in advice.frameworks:
        if not fw.runnable:  # a fragment is never presented as runnable
            for shown in (render_text(advice), render_markdown(advice)):
                assert "A fragment" in shown and "Runs as printed" not in shown
            continue
        example = KB.tasks[task_id].raw["example"]
        comment = " ".join(line for line in fw.snippet.splitlines() if line.startswith(("# x:", "# y:")))
        assert f"y: {example['y']['dtype']} {example['y']['shape']}" in comment
        x = KB.snippets["inputs"][example["x"]]
        x = x if "shape" in x else x[KB.snippets["frameworks"][framework]["channels"]]
        assert "(" + ", ".join(x["shape"]) + ")" in comment


def test_snippets_use_the_advised_head_and_loss():
    """The snippet is written from the advice: its loss call and head activation appear in it."""
    for task_id in KB.tasks:
        for fw in recommend(task_id, "all", classes=CLASSES).frameworks:
            choice = KB.tasks[task_id].raw["loss"][fw.framework]
            if "name" in choice and fw.runnable:
                assert choice["name"] in fw.snippet, (task_id, fw.framework)
            if fw.activation and fw.runnable:
                assert fw.activation in fw.snippet, (task_id, fw.framework)


def test_snippets_fit_100_columns():
    """Snippets are printed as they are (never wrapped: copying must give the code), so they are
    written to fit a 100-column terminal."""
    for task_id in KB.tasks:
        for classes in (CLASSES, None):
            for fw in recommend(task_id, "all", classes=classes).frameworks:
                long = [line for line in fw.snippet.splitlines() if len(line) > 99]
                assert not long, (task_id, fw.framework, long)
