"""LA1xx: what the model outputs vs what the loss expects as its prediction.

The expectation comes from losses.yaml (the loss's `input`, overridden by its spelling —
`BCEWithLogitsLoss` — and by arguments — `from_logits=True`); what the head produces comes from
activations.yaml. These checks fire only when both halves are known: an activation the reader could
not see is never assumed to be linear.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from lossadvisor.checks import Hit, rule
from lossadvisor.checks.context import Context
from lossadvisor.knowledge import python_literal

PROBABILITY_FORMS = {"distribution", "probabilities"}
LOG_FORMS = {"log_distribution", "log_probabilities"}


def _pair(c: Context) -> dict[str, str]:
    assert c.activation is not None
    return {
        "loss": c.loss_call(),
        "activation": c.activation.id,
        "where": c.activation_where,
        "expected": c.kb.form_words.get(c.expected_input or "", c.expected_input or ""),
    }


def _within_unit_interval(lo: float, hi: float) -> bool:
    return lo >= 0.0 and hi <= 1.0


@rule("LA101")
def probabilities_into_logits_loss(c: Context) -> Iterator[Hit]:
    """softmax → CrossEntropyLoss, sigmoid → BCEWithLogitsLoss, softmax + from_logits=True."""
    if c.expected_input != "logits" or not c.activation:
        return
    # log_softmax into a softmax loss is harmless: softmax(log_softmax(x)) == softmax(x).
    if c.activation.output == "log_distribution" and c.classification_link == "softmax":
        return
    if c.activation.output in PROBABILITY_FORMS | LOG_FORMS:
        link = c.loss.link if c.loss and c.loss.link else "an activation"
        yield Hit("LA101", c.loss_at, {**_pair(c), "link": link}, also=c.activation_at)


@rule("LA102")
def logits_into_probability_loss(c: Context) -> Iterator[Hit]:
    """A linear (or otherwise unbounded) output into a loss that expects probabilities."""
    if c.expected_input not in PROBABILITY_FORMS or not c.activation:
        return
    out = c.activation.output
    if out == "logits" or (out not in PROBABILITY_FORMS and not _within_unit_interval(*c.activation.range)):
        link = c.loss.link if c.loss and c.loss.link else "matching"
        instead = c.logits_form()
        fix = f"{instead}, or add a {link} activation" if instead else f"add a {link} activation to the model"
        yield Hit("LA102", c.loss_at, {**_pair(c), "range": _range(c.activation.range), "fix": fix}, also=c.activation_at)


@rule("LA103")
def not_log_probabilities_into_log_loss(c: Context) -> Iterator[Hit]:
    """NLLLoss / KLDivLoss / optax kl_divergence fed probabilities or logits instead of log_softmax."""
    if c.expected_input != "log_distribution" or not c.activation:
        return
    if c.activation.output in PROBABILITY_FORMS | {"logits"}:
        instead = c.logits_form()
        yield Hit("LA103", c.loss_at, {**_pair(c), "alternative": f" (or drop the {c.activation.id} and {instead})" if instead else ""}, also=c.activation_at)


@rule("LA104")
def bounded_activation_into_logits_loss(c: Context) -> Iterator[Hit]:
    """tanh/relu before a logits loss: the logits cannot reach the values the loss needs."""
    if c.expected_input != "logits" or not c.activation or c.activation.output not in {"real", "positive"}:
        return
    lo, hi = c.activation.range
    link = c.classification_link
    # A sigmoid needs negative logits for p < 0.5 and large ones for p → 1; a softmax only needs
    # room between classes, so it is starved only when both ends are bounded.
    starved = (link == "sigmoid" and (lo > -math.inf or hi < math.inf)) or (
        link == "softmax" and lo > -math.inf and hi < math.inf
    )
    if starved:
        yield Hit("LA104", c.loss_at, {**_pair(c), "range": _range((lo, hi))}, also=c.activation_at)


@rule("LA105")
def sigmoid_into_categorical_loss(c: Context) -> Iterator[Hit]:
    """Independent sigmoid probabilities into a loss that wants one distribution over the classes."""
    if c.expected_input == "distribution" and c.activation and c.activation.output == "probabilities":
        yield Hit("LA105", c.loss_at, _pair(c), also=c.activation_at)


@rule("LA112")
def softmax_into_binary_loss(c: Context) -> Iterator[Hit]:
    """A softmax over several outputs into a binary crossentropy that scores each output on its own:
    one of the two halves is wrong, whether there is one class per sample or several."""
    if c.classification_link != "sigmoid" or c.expected_input != "probabilities" or not (c.units and c.units > 1):
        return
    if c.activation is not None and c.activation.output == "distribution":
        yield Hit("LA112", c.loss_at, {**_pair(c), "units": c.units, "instead": c.recommended_loss("multiclass")}, also=c.activation_at)


@rule("LA106")
def rate_form_mismatch(c: Context) -> Iterator[Hit]:
    """Poisson: Keras wants a positive rate, PyTorch's default wants the log-rate."""
    if not c.activation:
        return
    lo = c.activation.range[0]
    if c.expected_input == "positive" and lo < 0:
        yield Hit("LA106", c.loss_at, {**_pair(c), "problem": "can be negative, and the log of a negative rate is NaN"}, also=c.activation_at)
    elif c.expected_input == "log_rate" and c.activation.output == "positive":
        yield Hit("LA106", c.loss_at, {**_pair(c), "problem": "is already a rate, so the loss exponentiates it a second time"}, also=c.activation_at)


@rule("LA114")
def score_minimised(c: Context) -> Iterator[Hit]:
    """A score to maximise (optax.cosine_similarity: +cos) whose value, sign unchanged, is what
    `jax.grad` differentiates: gradient descent then lowers the similarity."""
    if c.loss and c.loss.maximised and c.setup.minimised is not None:
        yield Hit("LA114", c.setup.applied_at or c.loss_at, {"loss": c.loss_written, "where": c.setup.minimised.describe()}, also=c.setup.minimised)


@rule("LA118")
def log_of_unclipped_probabilities(c: Context) -> Iterator[Hit]:
    """`torch.log(F.softmax(x))` reaching a loss: -inf once a probability underflows to 0."""
    head = c.setup.head
    if not c.loss or head is None or head.log_of is None:
        return
    logged, log_form = head.log_of.value
    yield Hit("LA118", head.log_of.at, {
        "activation": logged, "loss": c.loss_written, "instead": _spelled(c, log_form),
    }, also=c.loss_place)  # fmt: skip


def _spelled(c: Context, activation: str) -> str:
    """An activation as this framework's functions spell it (`log_softmax`, `logsigmoid`)."""
    known = c.kb.activations.get(activation)
    names = known.names.get(c.framework or "", ()) if known else ()
    functions = [n for n in names if n[:1].islower()]
    return f"`{functions[0]}`" if functions else activation


@rule("LA113")
def unbounded_input_to_a_distance_loss(c: Context) -> Iterator[Hit]:
    """A distance loss (HingeEmbeddingLoss) fed an output with no lower bound: a linear layer."""
    if c.expected_input == "distances" and c.activation and math.isinf(c.activation.range[0]):
        yield Hit("LA113", c.loss_at, {**_pair(c), "range": _range(c.activation.range)}, also=c.activation_at)


def _range(bounds: tuple[float, float]) -> str:
    lo, hi = (("-inf" if math.isinf(b) and b < 0 else "inf" if math.isinf(b) else f"{b:g}") for b in bounds)
    return f"[{lo}, {hi}]"


@rule("LA107")
def guessed_softmax_axis(c: Context) -> Iterator[Hit]:
    """`F.softmax(x)` / `nn.LogSoftmax()` without dim: PyTorch guesses the axis from the rank."""
    head = c.setup.head
    if head is not None and head.axis_guessed is not None:
        yield Hit("LA107", head.axis_guessed.at, {"activation": head.axis_guessed.value})


@rule("LA110")
def softmax_over_batch_axis(c: Context) -> Iterator[Hit]:
    """A softmax over dim 0 of an output known to be (N, C, ...), reaching a loss that reads a
    distribution over classes (heads.over_batch decides the axis)."""
    head = c.setup.head
    if head is None or head.over_batch is None or not c.loss:
        return
    if head.axis_guessed is not None and head.axis_guessed.at == head.over_batch.at:
        return  # no dim written: LA107 says the guess is the batch axis, and how to name the classes
    if c.classification_link != "softmax" and c.expected_input not in PROBABILITY_FORMS | LOG_FORMS:
        return
    rank = head.rank or 2
    yield Hit("LA110", head.over_batch.at, {
        "activation": head.over_batch.value, "axis_word": c.axis_word(), "loss": c.loss_call(), "class_axis": head.units_axis % rank,
    }, also=c.loss_place)  # fmt: skip


@rule("LA111")
def probability_loss_under_autocast(c: Context) -> Iterator[Hit]:
    """BCELoss / F.binary_cross_entropy applied inside `with torch.autocast("cuda")`: PyTorch refuses
    the probability form there (losses.yaml `under_autocast`); the logits form is safe."""
    if not c.loss or c.setup.autocast is None or c.expected_input not in PROBABILITY_FORMS:
        return
    if c.for_framework(c.loss.under_autocast) != "raises":
        return
    instead = c.logits_form()
    at, also, where = c.setup.applied_at or c.loss_at, c.setup.autocast, ""
    if at.path != c.setup.path:  # a config's Trainer training a module's loss: reported in the config
        at, also, where = c.setup.autocast, at, f" ({at.path}:{at.line})"
    yield Hit("LA111", at, {
        "loss": c.loss_call(), "where": where, "instead": instead or "use the loss's logits form on the logits",
    }, also=also)  # fmt: skip


@rule("LA108")
def target_form_mismatch(c: Context) -> Iterator[Hit]:
    """A target that is itself a model's output (a teacher's) in the wrong form: probabilities into
    KLDivLoss(log_target=True), log-probabilities or logits where probabilities are expected."""
    target = c.setup.target
    if not c.loss or target is None or target.activation is None:
        return
    wanted = c.kb.expected_target(c.loss.id, c.framework, c.spelling, c.loss_args)
    act = c.kb.activations.get(target.activation.value)
    if wanted is None or act is None:
        return
    got = act.output
    wrong = (wanted in PROBABILITY_FORMS and got in LOG_FORMS | {"logits"}) or (wanted in LOG_FORMS and got in PROBABILITY_FORMS | {"logits"})
    if not wrong:
        return
    yield Hit("LA108", c.loss_at, {
        "loss": c.loss_call(), "expected": c.kb.form_words.get(wanted, wanted), "got": c.kb.form_words.get(got, got),
        "where": f"line {target.activation.at.line}" if target.activation.at.line else "the target", "fix": _target_fix(c, got),
    })  # fmt: skip


def _target_fix(c: Context, got: str) -> str:
    """The argument that makes the loss take the target as it is (log_target=True), else what to
    apply to the target."""
    assert c.loss is not None
    change = c.kb.target_form_change(c.loss.id, c.framework, c.spelling, c.loss_args, got)
    if change is not None and change[0] == "pass":
        return f"pass {change[1]}={python_literal(change[2])}"
    wanted = c.kb.expected_target(c.loss.id, c.framework, c.spelling, c.loss_args)
    return "take log_softmax of the target" if wanted in LOG_FORMS else "take softmax of the target (a teacher's logits: softmax(logits / T))"


@rule("LA109")
def activation_argument_missing(c: Context) -> Iterator[Hit]:
    """A loss that applies no activation to one of its terms unless told which (MONAI DiceCELoss):
    none of the arguments that say so was passed."""
    use = c.setup.loss
    if not c.loss or not c.loss.needs_one_of or use is None or use.unseen_arguments:
        return
    if any(name in use.args and use.args[name].value not in (False, None) for name in c.loss.needs_one_of):
        return
    yield Hit("LA109", c.loss_at, {"loss": c.loss_call(), "options": " or ".join(f"{n}=" for n in c.loss.needs_one_of)})
