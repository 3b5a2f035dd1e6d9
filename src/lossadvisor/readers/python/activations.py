"""Activations as code spells them: functions (`F.softmax`, `tf.nn.sigmoid`, `keras.ops.softmax`),
tensor methods (`x.softmax(1)`), and what applying one to a prediction makes of it.

Which names are activations comes from activations.yaml, looked up only among the spellings of the
framework the name belongs to (`F.linear` is a matrix product, not Keras' `linear`). The one piece of
arithmetic done here is that a log undoes an exp and the reverse: `torch.log(softmax(x))` is a
log-softmax, and `exp(log_softmax(x))` a softmax; the activation ids are found in the knowledge base
by their prediction form.
"""

from __future__ import annotations

import ast
from typing import Any

from lossadvisor.facts import Fact, Head
from lossadvisor.knowledge import Knowledge
from lossadvisor.vocabulary import Api
from lossadvisor.readers.python.values import UNKNOWN, UNKNOWN_HEAD, Tensor, Value

# A log turns these forms into their log forms (README vocabulary); an exp does the reverse.
LOG_FORMS = {"distribution": "log_distribution", "probabilities": "log_probabilities"}
EXP_FORMS = {log: plain for plain, log in LOG_FORMS.items()}
LOG_NAMES = {"log"}  # torch.log, tf.math.log, keras.ops.log, jnp.log, Tensor.log()


def spelled_in(kb: Knowledge, name: str | None, framework: str | None) -> str | None:
    """The activation id `name` spells in `framework` itself, else None."""
    act = kb.activation_in(name, framework)
    return act.id if act else None


def normalising(kb: Knowledge, activation: str) -> bool:
    """softmax, log_softmax, softmin: activations over several outputs at once, whose result
    depends on the axis they run over."""
    found = kb.activations.get(activation)
    return found is not None and found.output in ("distribution", "log_distribution")


def function_activation(kb: Knowledge, api: Api) -> str | None:
    """`F.softmax` → 'softmax'; `torch.log` → 'log'; anything else → None."""
    if not kb.vocabulary.in_activation_module(api) or not api.name[:1].islower():
        return None
    if api.name in LOG_NAMES:
        return "log"
    return spelled_in(kb, api.name, api.framework)


def apply(
    kb: Knowledge, value: Value, activation: str, fact: Fact[str], framework: str | None, axis: Any = None, axis_guessed: bool = False,
    guarded: bool = False,
) -> Tensor:
    """The prediction after `activation` ('log' included) is applied to `value` at `fact`'s place.
    `axis` is the literal axis argument of a normalising activation (None: an elementwise one).
    Applied over another axis than the units' (`softmax(dim=1)` of a (batch, time, 1) score), the
    activation is not known to be over the units: their number no longer describes it. `guarded`:
    a log taken of `p + eps`, which cannot reach -inf."""
    from lossadvisor.heads import over_batch, over_units

    head = value.head if isinstance(value, Tensor) else UNKNOWN_HEAD
    batch = axis is not None and over_batch(head, axis, axis_guessed)
    if axis is not None and not over_units(head, axis, axis_guessed):
        head = head._replace(units=None)
    made = _compose(kb, head, activation)
    if made is None:
        return Tensor(head._replace(activation=None, activation_written=None, axis_guessed=None, over_batch=None), framework)
    written = fact._replace(value=made)
    over = written if batch else head.over_batch if activation == "log" else None  # log keeps what it is the log of
    made_head = head._replace(activation=written, activation_written=None, axis_guessed=written if axis_guessed else None, over_batch=over)
    if activation != "log":
        return Tensor(made_head._replace(clipped=False, log_of=None), framework, applied_to=value)
    unguarded = not guarded and not head.clipped and head.activation is not None
    log_of = fact._replace(value=(head.activation.value, made)) if unguarded else None
    # log(softmax(x)) is log_softmax(x): applied, like the softmax, to x (a crossentropy written out with it reads x)
    return Tensor(made_head._replace(log_of=log_of), framework, applied_to=value.applied_to if isinstance(value, Tensor) else None)


def _compose(kb: Knowledge, head: Head, activation: str) -> str | None:
    before = kb.activations.get(head.activation.value) if head.activation else None
    if activation == "log":
        wanted = LOG_FORMS.get(before.output) if before else None
        return _by_form(kb, wanted) if wanted else None
    if activation == "exponential" and before and before.output in EXP_FORMS:
        return _by_form(kb, EXP_FORMS[before.output])
    return activation


def _by_form(kb: Knowledge, form: str) -> str | None:
    """The first activation whose output is `form` (log_softmax for log_distribution, …)."""
    return next((a.id for a in kb.activations.values() if a.output == form), None)


def axis_literal(axis: Value | None) -> Any:
    """An axis argument (`dim=`, `axis=`) as heads.over_units reads it: MISSING when absent,
    OPAQUE when its value is not known."""
    from lossadvisor.heads import MISSING, OPAQUE
    from lossadvisor.readers.python.values import Const

    return MISSING if axis is None else axis.value if isinstance(axis, Const) else OPAQUE


def log_argument(node: ast.expr) -> ast.expr:
    """`torch.log(p + 1e-8)`: the eps only guards the log; the value logged is still `p`."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for keep, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(other, ast.Constant) or (isinstance(other, ast.Name) and other.id.lower() in {"eps", "epsilon"}):
                return keep
    return node


def clamp(kb: Knowledge, value: Value) -> Value:
    """Clipping probabilities to [eps, 1 - eps] keeps them probabilities; clipping anything else
    makes a prediction whose form is not known."""
    if not isinstance(value, Tensor):
        return UNKNOWN
    act = kb.activations.get(value.head.activation.value) if value.head.activation else None
    if act and act.output in LOG_FORMS:
        return Tensor(value.head._replace(clipped=True), value.framework, applied_to=value.applied_to)
    return Tensor(value.head._replace(activation=None, activation_written=None), value.framework)
