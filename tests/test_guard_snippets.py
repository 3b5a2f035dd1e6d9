"""Precision on every recommended setup: each snippet `lossadvisor recommend` prints (problem type ×
framework, correct by construction and run on realistic data by test_snippets.py) is run again with
every loss it builds guarded, and the guard must not say a word."""

from __future__ import annotations

import contextlib
import io
import warnings

import pytest
from test_snippets import CLASSES, KB, _cases, _import, _inputs, _seed, _targets, _to

from lossadvisor import LossAdvisorWarning
from lossadvisor.guard import guard
from lossadvisor.recommend import recommend

pytestmark = pytest.mark.frameworks


def _names(framework: str) -> set[str]:
    return {s.name for loss in KB.losses.values() for s in loss.spellings(framework)}


@contextlib.contextmanager
def _every_loss_guarded(framework: str, monkeypatch, guarded: list[str]):
    """The framework's loss classes and functions, as the snippet looks them up, replaced by guarded ones."""
    def guarding(real):
        def make(*args, **kwargs):
            guarded.append(getattr(real, "__name__", "?"))
            return guard(real(*args, **kwargs))

        return make

    if framework == "pytorch":
        import torch

        for name in _names("pytorch"):
            if isinstance(getattr(torch.nn, name, None), type):
                monkeypatch.setattr(torch.nn, name, guarding(getattr(torch.nn, name)))
            if callable(getattr(torch.nn.functional, name, None)):
                real = getattr(torch.nn.functional, name)
                monkeypatch.setattr(torch.nn.functional, name, _counted(guard(real), guarded, name))
    elif framework == "keras":
        import keras

        real_compile = keras.Model.compile

        def compile(self, *args, loss=None, **kwargs):
            owner = loss if callable(loss) and not isinstance(loss, keras.losses.Loss) else type(loss)
            if loss is not None and not isinstance(loss, (str, dict, list)) and (owner.__module__ or "").startswith("keras"):  # not a loss written in the snippet
                guarded.append(getattr(loss, "name", "?"))
                loss = guard(loss)
            return real_compile(self, *args, loss=loss, **kwargs)

        monkeypatch.setattr(keras.Model, "compile", compile)
    else:
        import optax

        for name in _names("jax"):
            for module in (optax, optax.losses):
                real = getattr(module, name, None)
                if callable(real):
                    # the snippets take jax.grad: traced arrays, inspected through the host callback
                    monkeypatch.setattr(module, name, _counted(guard(real, traced="callback"), guarded, name))
    yield


def _counted(fn, guarded: list[str], name: str):
    def call(*args, **kwargs):
        guarded.append(name)
        return fn(*args, **kwargs)

    return call


def _run(task_id: str, framework: str, monkeypatch, shift: int = 0) -> tuple[list[str], list[str]]:
    """What the guard says on the snippet's run (with class ids shifted by `shift`), and the losses it guarded."""
    _import(framework)
    advice = recommend(task_id, framework, classes=CLASSES)
    if not advice.frameworks or not advice.frameworks[0].runnable:
        pytest.skip(f"no runnable {framework} snippet for {task_id}")
    (fw,) = advice.frameworks
    spec = KB.snippets["frameworks"][framework]
    x = _inputs(KB.tasks[task_id].raw["example"]["x"], spec["channels"])
    namespace = {"x": _to(framework, x), "y": _to(framework, _targets(task_id, x, CLASSES) + shift)}
    _seed(framework)
    guarded: list[str] = []
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(io.StringIO()), _every_loss_guarded(framework, monkeypatch, guarded):
        warnings.simplefilter("always")
        with contextlib.suppress(Exception) if shift else contextlib.nullcontext():  # shifted ids may then fail in the loss
            exec(compile(fw.snippet, f"<{task_id}-{framework}>", "exec"), namespace)
            if framework == "jax":
                import jax

                jax.effects_barrier()
    return [str(w.message) for w in caught if issubclass(w.category, LossAdvisorWarning)], guarded


@pytest.mark.parametrize(("task_id", "framework"), list(_cases()))
def test_the_guard_is_silent_on_every_recommended_snippet(task_id, framework, monkeypatch):
    said, guarded = _run(task_id, framework, monkeypatch)
    assert said == []
    if not guarded:
        pytest.skip(f"the {task_id} {framework} snippet builds its loss by hand")


@pytest.mark.parametrize("framework", ["pytorch", "keras", "jax"])
def test_the_same_harness_reports_1_based_ids(framework, monkeypatch):
    """The harness above does guard the snippets' losses: shifted to 1..C, their class ids are LA310."""
    said, guarded = _run("multiclass", framework, monkeypatch, shift=1)
    assert guarded and {m.split(" ", 1)[0] for m in said} == {"LA310"}  # torch: the module and the F.cross_entropy it calls
