"""`lossadvisor explain LOSS --verify FILE.py:FUNCTION`: check a loss someone wrote from scratch
against lossadvisor's reference implementation.

This is the one place lossadvisor runs user code, and only because the user named the function to
run: the file is imported (its top-level code runs), then the function is called on generated
inputs in the loss's expected form, smallest first. Both argument orders, (y_true, y_pred) and
(input, target), are tried; the order that agrees more often is the one reported. Whatever the
function raises is reported as its error, on the input that raised it, never as a traceback of
lossadvisor's own.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from lossadvisor.reference._common import log_sigmoid, log_softmax, one_hot, sigmoid, softmax

RTOL, ATOL = 1e-4, 1e-6  # user code often computes in float32


class VerifyError(Exception):
    """The function cannot be loaded or called at all: one line, exit 2."""


class Case(NamedTuple):
    y_true: np.ndarray
    y_pred: np.ndarray
    note: str  # what is special about it ("probabilities at 0 and 1")


class Outcome(NamedTuple):
    order: str  # "(y_true, y_pred)" or "(input, target)"
    tensors: str  # "numpy arrays" or "torch tensors"
    cases: int
    failure: dict[str, Any] | None  # the smallest failing case, or None when every case agrees


def load(spec: str) -> Callable:
    """`path/to/file.py:function` -> the function. Imports (runs) that file: the user asked for it."""
    path_text, _, name = spec.rpartition(":")
    if not path_text or not name:
        raise VerifyError(f"--verify takes FILE.py:FUNCTION, got {spec!r}")
    path = Path(path_text)
    if not path.is_file():
        raise VerifyError(f"{path_text}: no such file")
    module_name = f"lossadvisor_verify_{uuid.uuid4().hex}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise VerifyError(f"{path_text}: not a Python file")
    module = importlib.util.module_from_spec(loader_spec)
    sys.path.insert(0, str(path.resolve().parent))  # so that it can import its neighbours
    try:
        loader_spec.loader.exec_module(module)
    except BaseException as exc:  # the user's module: whatever it raises is its error
        raise VerifyError(f"{path_text}: importing it raised {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.pop(0)
    function = getattr(module, name, None)
    if not callable(function):
        found = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == module_name)
        hint = f" (functions there: {', '.join(found)})" if found else ""
        raise VerifyError(f"{path_text}: no function {name!r}{hint}")
    return function


# --------------------------------------------------------------------------- generated inputs


def _prediction(form: str, logits: np.ndarray) -> np.ndarray:
    return {
        "logits": logits, "scores": logits, "real": logits, "log_rate": logits, "embeddings": logits,
        "distribution": softmax(logits), "probabilities": sigmoid(logits),
        "log_distribution": log_softmax(logits), "log_probabilities": log_sigmoid(logits),
        "positive": np.exp(logits), "distances": np.abs(logits),
    }.get(form, logits)  # fmt: skip


def _target(fmt: str, n: int, c: int, rng: np.random.Generator) -> np.ndarray:
    ids = rng.integers(0, c, n)
    return {
        "class_ids": ids,
        "one_hot": one_hot(ids, c),
        "binary": rng.integers(0, 2, (n, c)).astype(np.float64),
        "multi_hot": rng.integers(0, 2, (n, c)).astype(np.float64),
        "distribution": softmax(rng.normal(0, 1, (n, c))),
        "unit_interval": rng.uniform(0, 1, (n, c)),
        "signed_binary": rng.choice([-1.0, 1.0], (n, c)),
        "counts": rng.poisson(3, (n, c)).astype(np.float64),
        "nonnegative": np.abs(rng.normal(0, 2, (n, c))),
    }.get(fmt, rng.normal(0, 2, (n, c)))  # fmt: skip


def cases(form: str, target_format: str) -> list[Case]:
    """Small to large; then the edge values of the form (probabilities at exactly 0 and 1)."""
    rng = np.random.default_rng(0)
    out = []
    for n, c in ((1, 2), (1, 3), (2, 3), (3, 4), (8, 5), (16, 10)):
        out.append(Case(_target(target_format, n, c, rng), _prediction(form, rng.normal(0, 2, (n, c))), f"{n} sample{'s' if n > 1 else ''}, {c} classes"))
    if form == "probabilities" and target_format in ("binary", "multi_hot"):
        y = np.array([[1.0, 0.0, 1.0, 0.0]])
        out.append(Case(y, np.array([[1.0, 0.0, 0.7, 0.2]]), "confident right predictions: probabilities exactly 1 and 0"))
    if form == "distribution" and target_format in ("class_ids", "one_hot"):
        p = np.array([[1.0, 0.0, 0.0]])
        out.append(Case(np.array([0]) if target_format == "class_ids" else np.array([[1.0, 0.0, 0.0]]), p, "a confident right prediction: probability exactly 1"))
    return out


# --------------------------------------------------------------------------- running


def verify(function: Callable, reference: Callable, form: str, target_format: str) -> Outcome:
    tried = [case for case in cases(form, target_format) if _defined(reference, case)]
    if not tried:
        raise VerifyError("cannot generate inputs on which the reference is defined for this loss")
    results = {}
    for order in ("(y_true, y_pred)", "(input, target)"):
        for tensors in ("numpy arrays", "torch tensors"):
            outcome = _run(function, reference, tried, order, tensors)
            if outcome is not None:
                results[(order, tensors)] = outcome
                break
    if not results:
        raise VerifyError(_first_error(function, tried))
    return max(results.values(), key=lambda o: (o.failure is None, o.failure["index"] if o.failure else 0))


def _defined(reference, case: Case) -> bool:
    """Whether the reference computes a finite loss here: an input outside the loss's domain (one
    sample for NT-Xent, a prediction below -1 for MSLE) is not a fair test."""
    try:
        return bool(np.all(np.isfinite(reference(case.y_true, case.y_pred, reduction="none"))))
    except (ValueError, TypeError, IndexError):
        return False


def _run(function, reference, tried: list[Case], order: str, tensors: str) -> Outcome | None:
    """None when the function cannot be called this way at all (it raises on the first case)."""
    convert = _converter(tensors)
    if convert is None:
        return None
    for index, case in enumerate(tried):
        args = (case.y_true, case.y_pred) if order == "(y_true, y_pred)" else (case.y_pred, case.y_true)
        try:
            got = _to_numpy(function(*(convert(a) for a in args)))
        except Exception as exc:  # the user's function: its exception is the finding
            if index == 0:
                return None
            return Outcome(order, tensors, len(tried), _failure(index, case, reference, None, f"raised {type(exc).__name__}: {exc}"))
        if not _agrees(got, case, reference):
            return Outcome(order, tensors, len(tried), _failure(index, case, reference, got, None))
    return Outcome(order, tensors, len(tried), None)


def _agrees(got: np.ndarray, case: Case, reference) -> bool:
    for reduction in ("mean", "none"):
        want = np.asarray(reference(case.y_true, case.y_pred, reduction=reduction), dtype=np.float64)
        if got.shape == want.shape or (got.size == 1 and want.size == 1):
            with np.errstate(invalid="ignore"):
                if np.allclose(got.reshape(want.shape), want, rtol=RTOL, atol=ATOL, equal_nan=False) and np.isfinite(got).all() == np.isfinite(want).all():
                    return True
    return False


def _failure(index: int, case: Case, reference, got: np.ndarray | None, error: str | None) -> dict[str, Any]:
    want = float(reference(case.y_true, case.y_pred))
    failure = {"index": index, "case": case.note, "y_true": _show(case.y_true), "y_pred": _show(case.y_pred), "expected": want}
    if error:
        failure["error"] = error
        return failure
    failure["got"] = _show(got)
    hints = []
    if got.size == 1:
        value = float(got.reshape(()))
        if np.isclose(value, float(reference(case.y_true, case.y_pred, reduction="sum")), rtol=RTOL):
            hints.append("it equals the reference with reduction='sum': the function sums where the loss averages")
        if not np.isfinite(value) and np.isfinite(want):
            hints.append("a log of 0 (probability exactly 0 or 1) gives inf or nan where the loss is finite: clip the probabilities, or take the logits")
    failure["hint"] = "; ".join(hints) or None
    return failure


def _first_error(function, tried: list[Case]) -> str:
    case = tried[0]
    try:
        function(case.y_true, case.y_pred)
    except Exception as exc:
        return f"the function raised {type(exc).__name__}: {exc} (on y_true={_show(case.y_true)}, y_pred={_show(case.y_pred)}, in either argument order)"
    return "the function could not be called with two arrays"


def _converter(tensors: str) -> Callable | None:
    """How to hand the arrays over: as numpy arrays, or as torch tensors (torch imported only when
    numpy arrays do not work and torch is installed)."""
    if tensors == "numpy arrays":
        return lambda x: x.copy()
    try:
        import torch
    except ImportError:
        return None
    return torch.tensor


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    elif hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # tf / jax arrays
        value = value.numpy()
    return np.asarray(value, dtype=np.float64)


def _show(x: Any) -> str:
    return np.array2string(np.asarray(x), precision=4, separator=", ", suppress_small=True, max_line_width=200)
