"""What the guard sees in one batch: small checks over numpy copies of a loss's prediction and target.

Framework-neutral: the torch, Keras and JAX adapters turn their tensors into numpy arrays and call
`inspect(spec, prediction, target)`. Every check answers only when the values leave no doubt,
because a guard that warns on a correct setup gets removed:

- "already probabilities" needs every row (along the class axis, at least 2 classes) in [0, 1] and
  summing to 1 within the dtype's rounding, with at least two independent constraints in the batch
  (2 rows, or 1 row of 3 classes): logits of a fresh model are small but never do that;
- for a sigmoid loss (`BCEWithLogitsLoss`), values in (0, 1) alone prove nothing: a fresh model's
  logits can all sit in (0, 1) (a bias set to a positive class prior), and a fresh sigmoid's outputs
  all sit near 0.5. So it is said only when the framework shows the sigmoid (`grad_fn`), or when at
  least 16 values all lie in [0, 1] yet span it (some ≤ 0.05, some ≥ 0.95): logits that wide never
  stop at exactly 0 and 1;
- "logits into a probability loss" needs a value outside [0, 1]; "not log-probabilities" a value
  above 0 (log p ≤ 0), or rows that are plainly probabilities;
- target checks read integer-valued targets only as class ids, and only where the loss takes class
  ids; 0/1 rows only as one-hot or multi-hot where the prediction has their shape.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lossadvisor.guard.spec import LossSpec
from lossadvisor.labels.infer import IGNORE_CANDIDATES

SPAN_VALUES = 16  # values a "sigmoid output" verdict from the values alone needs
SPAN_EDGE = 0.05  # ... some at most this, some at least 1 - this


class Seen(NamedTuple):
    code: str
    message: str


def _said(code: str, case: str = "default", **fields: object) -> Seen:
    """A finding in the words of its rule's `guard:` messages (rules/checks/CODE.yaml)."""
    from lossadvisor import knowledge

    return Seen(code, f"{code} [guard] " + knowledge.load().rules[code].guard[case].format(**fields))


def tolerance(dtype: np.dtype | str) -> float:
    """How far a row sum of probabilities in this dtype strays from 1 (rounding only)."""
    try:
        eps = float(np.finfo(np.dtype(dtype)).eps)
    except (TypeError, ValueError):
        eps = float(np.finfo(np.float32).eps)
    return max(1e-4, 4 * eps)


BFLOAT16_TOLERANCE = 4 * 2.0**-7  # bfloat16 has no numpy dtype: the adapters pass this instead


def inspect(spec: LossSpec, prediction: np.ndarray, target: np.ndarray | None, *, tol: float, activation: str | None = None) -> list[Seen]:
    """Everything that is wrong with one call, as (code, message) pairs; [] when nothing is sure."""
    found: list[Seen] = []
    pred = np.asarray(prediction, dtype=np.float64)
    if spec.reduction_warning:
        found.append(_said("LA502", name=spec.name))
    over_batch = softmax_over_batch_axis(spec, pred, tol)
    if over_batch:
        found.append(over_batch)
    else:
        found.extend(prediction_form(spec, pred, tol, activation))
    if target is not None:
        found.extend(target_checks(spec, pred, np.asarray(target), tol))
    return found


# --------------------------------------------------------------------------- rows along an axis


def _axis(spec: LossSpec, pred: np.ndarray) -> int | None:
    """The class axis of this prediction, when it has one of at least 2 classes."""
    if pred.ndim < 1:
        return None
    axis = spec.class_axis if spec.class_axis < pred.ndim else -1
    if pred.ndim == 1 and axis != -1 and axis != 0:
        return None
    return axis % pred.ndim if pred.shape[axis] >= 2 else None


def _constraints(pred: np.ndarray, axis: int) -> int:
    rows = pred.size // max(pred.shape[axis], 1)
    return rows * (pred.shape[axis] - 1)


def is_distribution(values: np.ndarray, axis: int, tol: float) -> bool:
    """Every vector along `axis` in [0, 1] and summing to 1: a softmax output."""
    if values.size == 0 or values.shape[axis] < 2 or _constraints(values, axis) < 2 or not np.isfinite(values).all():
        return False
    if values.min() < -tol or values.max() > 1 + tol:
        return False
    return bool(np.abs(values.sum(axis=axis) - 1).max() <= tol * max(1.0, np.sqrt(values.shape[axis])))


def is_log_distribution(values: np.ndarray, axis: int, tol: float) -> bool:
    """Every vector along `axis` at most 0 and with logsumexp 0: a log_softmax output."""
    if values.size == 0 or values.shape[axis] < 2 or _constraints(values, axis) < 2:
        return False
    if np.isnan(values).any() or np.isposinf(values).any() or values.max() > tol:
        return False
    top = values.max(axis=axis, keepdims=True)
    if not np.isfinite(top).all():
        return False
    lse = np.log(np.exp(values - top).sum(axis=axis)) + np.squeeze(top, axis=axis)
    return bool(np.abs(lse).max() <= tol * max(1.0, np.sqrt(values.shape[axis])))


# --------------------------------------------------------------------------- the prediction


def softmax_over_batch_axis(spec: LossSpec, pred: np.ndarray, tol: float) -> Seen | None:
    """LA110: a softmax (or log_softmax) whose vectors sum to 1 along the batch axis, not the classes."""
    batch = spec.batch_axis or 0  # CTCLoss reads (T, N, C)
    if spec.link not in ("softmax", "log_softmax") or pred.ndim < 2 or pred.shape[batch] < 2:
        return None
    axis = _axis(spec, pred)
    if axis is None or axis == batch:
        return None
    for check, what in ((is_distribution, "softmax"), (is_log_distribution, "log_softmax")):
        if check(pred, batch, tol) and not check(pred, axis, tol):
            case = "applied_by_the_loss" if spec.input == "logits" else "default"
            return _said("LA110", case, name=spec.name, what=what, axis_word=_axis_word(spec), batch=batch, samples=pred.shape[batch], axis=axis)
    return None


def _axis_word(spec: LossSpec) -> str:
    """PyTorch says dim, the others axis (frameworks.yaml `axis_word`)."""
    from lossadvisor import knowledge

    fw = knowledge.load().vocabulary.frameworks.get(spec.framework)
    return fw.axis_word if fw else "axis"


def prediction_form(spec: LossSpec, pred: np.ndarray, tol: float, activation: str | None) -> list[Seen]:
    axis = _axis(spec, pred)
    where = f"{_axis_word(spec)} {axis}" if axis is not None else "the classes"
    if not np.isfinite(pred).all():
        return []  # a diverged model is not a form mistake
    if spec.input == "logits":
        if axis is not None and is_distribution(pred, axis, tol):
            return [_said("LA101", "probabilities", name=spec.name, where=where, link=spec.link or "the activation")]
        if spec.link == "sigmoid" and _sigmoid_output(pred, activation):
            shown = f"the output of a {activation}" if activation in ("sigmoid", "softmax") else f"values all in [0, 1] from {pred.min():.3g} to {pred.max():.3g}"
            return [_said("LA101", "sigmoid", name=spec.name, shown=shown, activation=activation or "sigmoid")]
        if spec.link == "sigmoid" and activation == "log_sigmoid":
            return [_said("LA101", "log_sigmoid", name=spec.name)]
    elif spec.input in ("distribution", "probabilities"):
        low, high = float(pred.min(initial=0.0)), float(pred.max(initial=0.0))
        if low < -tol or high > 1 + tol:
            from lossadvisor import knowledge

            fix = knowledge.load().logits_form(spec.loss_id, spec.framework, spec.spelling) or "use the loss's logits form"
            return [_said("LA102", name=spec.name, low=f"{low:.3g}", high=f"{high:.3g}", fix=fix)]
    elif spec.input == "log_distribution":
        if axis is not None and is_distribution(pred, axis, tol):
            return [_said("LA103", "probabilities", name=spec.name, where=where)]
        high = float(pred.max(initial=-np.inf))
        if high > tol:
            from lossadvisor import knowledge

            fused = knowledge.load().recommended_loss("multiclass", spec.framework) if spec.loss_id == "nll" else None
            instead = f" (or drop the activation and use {fused})" if fused else ""
            return [_said("LA103", "logits", name=spec.name, high=f"{high:.3g}", instead=instead)]
    return []


def _sigmoid_output(pred: np.ndarray, activation: str | None) -> bool:
    if pred.size == 0 or pred.min() < 0 or pred.max() > 1:
        return False
    if activation in ("sigmoid", "softmax"):
        return True
    return pred.size >= SPAN_VALUES and pred.min() <= SPAN_EDGE and pred.max() >= 1 - SPAN_EDGE


# --------------------------------------------------------------------------- the target


def _whole(values: np.ndarray) -> bool:
    return values.dtype.kind in "iub" or (values.dtype.kind == "f" and bool(np.all(np.isfinite(values))) and bool(np.all(values == np.round(values))))


def target_checks(spec: LossSpec, pred: np.ndarray, target: np.ndarray, tol: float) -> list[Seen]:
    if target.dtype.kind not in "iubf":
        return []
    if target.dtype.kind == "f":
        allowed_inf = spec.target_input == "log_distribution"  # log 0 = -inf is a fine log-target
        bad = ~np.isfinite(target) & ~(np.isneginf(target) if allowed_inf else False)
        if bad.any():
            return [_said("LA313", name=spec.name, count=int(bad.sum()))]
    found: list[Seen] = []
    axis = _axis(spec, pred)
    classes = pred.shape[axis] if axis is not None else None
    ids_shape = pred.shape[:axis] + pred.shape[axis + 1 :] if axis is not None else None
    dense = target.shape == pred.shape
    targets = set(spec.targets)
    takes_ids, takes_dense = "class_ids" in targets, bool(targets & {"one_hot", "distribution"})

    if spec.target_input is not None:
        found.extend(_kl_target(spec, target, axis if axis is not None else -1, tol))
    elif takes_ids and axis is not None and spec.batch_axis is None:
        found.extend(_shape_of_ids(spec, pred, target, axis, ids_shape))
        as_ids = target.shape == ids_shape or (spec.framework != "pytorch" and axis == pred.ndim - 1 and target.shape == (*ids_shape, 1))
        if as_ids:
            found.extend(_class_ids(spec, target, classes))
        elif dense and not takes_dense and _one_hot(target, axis):
            found.append(_said("LA303", name=spec.name, shape=target.shape, axis=axis))
    elif takes_dense and not takes_ids and axis is not None and _whole(target):
        if target.shape == ids_shape or (axis == pred.ndim - 1 and target.shape == (*ids_shape, 1)):
            found.append(_said("LA302", name=spec.name, pred_shape=pred.shape, shape=target.shape, span=_span(target)))
    if takes_dense and spec.link == "softmax" and dense and axis is not None and _multi_hot(target, axis):
        from lossadvisor import knowledge

        instead = knowledge.load().recommended_loss("multilabel", spec.framework) or "a sigmoid loss on logits"
        found.append(_said("LA304", name=spec.name, instead=instead))
    if targets and targets <= {"binary", "multi_hot", "unit_interval"}:
        found.extend(_binary_targets(spec, target))
    found.extend(_broadcast(spec, pred, target))
    found.extend(_dtype(spec, target, "class_ids" if takes_ids and target.shape == ids_shape else "distribution" if dense and takes_dense else "any"))
    return found


def _span(values: np.ndarray) -> str:
    return f"{_number(values.min())}..{_number(values.max())}" if values.size else "none"


def _number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.3g}"


def _class_ids(spec: LossSpec, target: np.ndarray, classes: int) -> list[Seen]:
    values = target if spec.ignore is None else target[target != spec.ignore]
    if values.size == 0 or not _whole(values):
        return []
    low, high = int(values.min()), int(values.max())
    if low >= 0 and high < classes:
        return []
    strays = sorted(int(v) for v in IGNORE_CANDIDATES if v != spec.ignore and (v < 0 or v >= classes) and bool((values == v).any()))
    if strays:
        argument = spec.ignore_argument or "an ignore argument"
        told = f"it ignores {spec.ignore} only" if spec.ignore is not None else "it ignores nothing"
        return [_said("LA311", name=spec.name, strays=", ".join(map(str, strays)), told=told, argument=argument, value=strays[-1])]
    case = "one_based" if low >= 1 and high == classes else "default"
    return [_said("LA310", case, name=spec.name, low=low, high=high, classes=classes)]


def _shape_of_ids(spec: LossSpec, pred: np.ndarray, target: np.ndarray, axis: int, ids_shape: tuple[int, ...]) -> list[Seen]:
    """LA207 (an axis of size 1 where the classes are) and LA206 (channels-last scores), PyTorch only:
    Keras and optax read the classes on the last axis and take (N, 1) ids."""
    if spec.framework != "pytorch" or axis != 1 or target.shape == ids_shape:
        return []
    if target.ndim == pred.ndim and target.shape[1] == 1 and target.shape[:1] + target.shape[2:] == ids_shape:
        return [_said("LA207", name=spec.name, ids_shape=ids_shape, pred_shape=pred.shape, shape=target.shape)]
    if pred.ndim >= 3 and target.shape == pred.shape[:-1]:
        return [_said("LA206", name=spec.name, pred_shape=pred.shape, shape=target.shape)]
    return []


def _one_hot(target: np.ndarray, axis: int) -> bool:
    if target.size == 0 or target.shape[axis] < 2 or not _zero_one(target):
        return False
    return bool(np.all(target.sum(axis=axis) == 1))


def _multi_hot(target: np.ndarray, axis: int) -> bool:
    if target.size == 0 or not _zero_one(target):
        return False
    return bool(np.any(target.sum(axis=axis) >= 2))


def _zero_one(target: np.ndarray) -> bool:
    return bool(np.all((target == 0) | (target == 1)))


def _binary_targets(spec: LossSpec, target: np.ndarray) -> list[Seen]:
    if target.size == 0:
        return []
    values = target if spec.ignore is None else target[target != spec.ignore]
    if values.size == 0:
        return []
    low, high = float(values.min()), float(values.max())
    if low >= 0 and high <= 1:
        return []
    if low == -1 and high == 1 and bool(np.all((values == -1) | (values == 1))):
        return [_said("LA307", name=spec.name)]
    if _whole(values) and low >= 0:
        classes = int(high) + 1
        from lossadvisor import knowledge

        instead = knowledge.load().recommended_loss("multiclass", spec.framework) or "a softmax crossentropy on logits"
        return [_said("LA301", name=spec.name, span=_span(values), classes=classes, instead=instead)]
    return [_said("LA305", name=spec.name, span=_span(values))]


def _kl_target(spec: LossSpec, target: np.ndarray, axis: int, tol: float) -> list[Seen]:
    """LA108: a KL target in the other form than the loss reads (log_target, the spelling)."""
    if target.size == 0 or target.ndim == 0:
        return []
    axis = axis if -target.ndim <= axis < target.ndim else -1
    finite = target[np.isfinite(target)]
    if finite.size == 0:
        return []
    if spec.target_input == "distribution" and finite.min() < -tol:
        if is_log_distribution(target, axis, tol):
            change = _target_change(spec, "log_distribution")
            fix = f"{change}, or exp() them" if change else "exp() them"
            return [_said("LA108", "log_targets", name=spec.name, fix=fix)]
        return [_said("LA108", "teacher_logits", name=spec.name, low=f"{finite.min():.3g}")]
    if spec.target_input == "log_distribution" and finite.max() > tol:
        if is_distribution(target, axis, tol):
            fix = _target_change(spec, "distribution") or "pass them as they are"
            return [_said("LA108", "probability_targets", name=spec.name, fix=fix)]
        return [_said("LA108", "not_log_probabilities", name=spec.name, high=f"{finite.max():.3g}")]
    return []


def _target_change(spec: LossSpec, got: str) -> str | None:
    """What makes the loss read the target as it is, from losses.yaml (log_target=True, another
    spelling); None when nothing does."""
    from lossadvisor import knowledge
    from lossadvisor.knowledge import python_literal

    change = knowledge.load().target_form_change(spec.loss_id, spec.framework, spec.spelling, spec.args, got)
    if change is None:
        return None
    how, name, value = change
    return f"use {name}" if how == "use" else f"{how} {name}={python_literal(str(value).lower())}"


def _broadcast(spec: LossSpec, pred: np.ndarray, target: np.ndarray) -> list[Seen]:
    """LA205: PyTorch's element-wise losses broadcast (N, 1) against (N,) to (N, N), or refuse it."""
    if spec.mismatched_shapes is None or pred.shape == target.shape:
        return []
    try:
        joint = np.broadcast_shapes(pred.shape, target.shape)
    except ValueError:
        return []
    if joint == pred.shape:
        return []
    what = "broadcasts to " + str(joint) if spec.mismatched_shapes == "broadcasts" else "refuses (ValueError)"
    return [_said("LA205", name=spec.name, pred_shape=pred.shape, shape=target.shape, what=what)]


def _dtype(spec: LossSpec, target: np.ndarray, label_format: str) -> list[Seen]:
    """LA315: a target dtype the framework refuses (losses.yaml `target_dtype`), said before it raises."""
    table = spec.target_dtype
    wanted = table.get(label_format) or table.get("any")
    if not wanted:
        return []
    kind = str(target.dtype)
    if kind in wanted or ("float" in wanted and target.dtype.kind == "f"):
        return []
    if label_format == "class_ids" and target.dtype.kind == "f" and _whole(target):
        how = "float class ids; a float target is read as probabilities only with the prediction's shape"
    else:
        how = f"{kind} targets"
    fix = ".long()" if "int64" in wanted else ".float()"
    return [_said("LA315", name=spec.name, wanted=" or ".join(wanted), how=how, fix=fix)]
