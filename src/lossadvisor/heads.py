"""The one walk from a model output to its head: the last layer that makes units, the activations
after it, and whether the unit count still describes what reaches the loss.

Every reader that sees layers (Hydra `_args_`, Keras archives and model JSON, Python `Sequential`,
functional models and `forward`) turns each layer into a `Step` by its role in
`rules/frameworks.yaml` (`step`), and then either folds the steps forward as the data flows
(`advance`) or walks back from an output (`walk_back`). The two give the same head; what a role
does to a prediction is decided here and nowhere else:

    units        a new head: its units, its own activation (linear when it names none)
    activation   replaces the activation; keeps the units when it is over their axis
    identity     nothing (nn.Identity, Keras Activation("linear") — a dtype cast in mixed precision)
    passes       nothing (dropout, noise)
    reshapes     keeps the activation; keeps the units only when the layer leaves their axis alone
    unknown      ends what is known: a layer the vocabulary does not describe, user code
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple, Protocol

from lossadvisor.facts import Fact, Head
from lossadvisor.vocabulary import Arg, LayerKind

MISSING = object()  # an argument that was not passed
OPAQUE = object()  # an argument that was passed, but whose value this input does not show


class Step(NamedTuple):
    """One layer on the way from the last weights to the loss, as the walk needs it."""

    role: str  # units | activation | identity | passes | reshapes | sequence | unknown
    units: Fact[int] | None = None
    activation: Fact[str] | None = None  # units: its own activation; activation: which one (None = unknown)
    activation_written: Fact[str] | None = None  # an activation name the knowledge base does not know
    over_units: bool = True  # units: the units are on the axis units_axis says
    keeps_units: bool = True  # reshapes: the unit axis is left as it was
    axis_guessed: bool = False  # activation: written without its axis, which the framework guesses
    axis: Any = None  # activation: the axis argument of a normalising one (MISSING, OPAQUE, a value); None: elementwise
    units_axis: int = -1  # units: the axis of the output holding them
    rank: int | None = None  # reshapes, sequence: the output's number of axes, when fixed
    batch_axis: Fact[int] | None = None  # sequence: the output's batch axis (0 batch-first, 1 time-major)


UNKNOWN_STEP = Step("unknown")


def advance(head: Head, step: Step) -> Head:
    """The head of a layer's output, given the head of its input."""
    role = step.role
    if role in ("identity", "passes"):
        return head
    if role == "reshapes":
        shaped = head if step.keeps_units else head._replace(units=None, trailing=None)
        return shaped._replace(rank=step.rank) if step.rank is not None else shaped
    if role == "units":  # a layer on the unit axis keeps its input's number of axes
        units = step.units if step.over_units else None
        trailing = "one" if units is not None and units.value == 1 and step.units_axis == -1 else None
        return Head(
            units=units, activation=step.activation, activation_written=step.activation_written, units_axis=step.units_axis,
            rank=head.rank, trailing=trailing, batch_axis=head.batch_axis if step.units_axis == -1 else None,
        )  # fmt: skip
    if role == "activation":
        units = head.units if (step.over_units if step.axis is None else over_units(head, step.axis, step.axis_guessed)) else None
        guessed = step.activation if step.axis_guessed and step.activation is not None else None
        batch = step.activation if step.axis is not None and step.activation is not None and over_batch(head, step.axis, step.axis_guessed) else None
        return head._replace(
            units=units, activation=step.activation, activation_written=step.activation_written, axis_guessed=guessed, over_batch=batch,
        )  # fmt: skip
    if role == "sequence":  # a recurrent layer's output: (N, T, H) or (T, N, H), no units yet
        return Head(rank=step.rank, batch_axis=step.batch_axis)
    return Head()


def walk_back(steps: Iterable[Step]) -> Head:
    """The head of an output, from its layers given last first: up to the layer that made the
    units (or one whose output is unknown), then folded forward."""
    chain: list[Step] = []
    steps = iter(steps)
    for step in steps:
        chain.append(step)
        if step.role in ("units", "unknown"):
            break
    head = Head(rank=_rank_before(steps)) if chain and chain[-1].role == "units" else Head()
    for step in reversed(chain):
        head = advance(head, step)
    return head


def _rank_before(steps: Iterable[Step]) -> int | None:
    """The number of axes entering the last units layer, when an earlier layer fixed it (a
    Flatten) and everything between keeps it (layers on the last axis, elementwise ones)."""
    for step in steps:
        if step.role == "reshapes":
            return step.rank
        if step.role not in ("units", "activation", "passes", "identity") or (step.role == "units" and step.units_axis != -1):
            return None
    return None


# --------------------------------------------------------------------------- a layer's arguments → a Step


class Arguments(Protocol):
    """How a reader shows one layer's arguments (YAML mapping, Keras config, a Python call)."""

    def literal(self, arg: Arg) -> Any:
        """The argument's literal value, MISSING when not passed, OPAQUE when not a literal."""

    def fact(self, value: Any, arg: Arg | None, activation: bool) -> Fact[Any]:
        """`value` as a fact read where `arg` is written (the layer itself for None); `activation`
        tells an activation from a unit count (readers give them different contexts)."""

    def activation(self, arg: Arg) -> tuple[Fact[str] | None, Fact[str] | None]:
        """(known activation, name as written when unknown) passed at `arg`; (None, None) when
        the value cannot be known."""


def step(kind: LayerKind, args: Arguments, linear: str | None, own_activation: str | None) -> Step | None:
    """The Step of a layer of a known kind; None for `wraps` and `contains`, which the reader
    resolves (they hold other layers). `linear` is the id of the no-activation activation;
    `own_activation` the activation the layer's own name spells in its framework."""
    role = kind.role
    if role == "units":
        units = None
        if kind.units is not None:
            value = args.literal(kind.units)
            units = args.fact(value, kind.units, False) if positive_int(value) else None
        over = not (kind.channels and args.literal(Arg(None, kind.channels)) == "channels_first")
        if kind.activation is not None and args.literal(kind.activation) is not MISSING:
            activation, written = args.activation(kind.activation)
        else:
            default = kind.default_activation or linear
            activation, written = (args.fact(default, None, True) if default else None), None
        return Step("units", units, activation, written, over_units=over, units_axis=kind.units_axis)
    if role == "activation":
        if kind.activation is not None:
            if args.literal(kind.activation) is MISSING:
                return Step("activation")
            activation, written = args.activation(kind.activation)
        elif own_activation is not None and not any(_truthy(args.literal(Arg(None, v))) for v in kind.variants):
            activation, written = args.fact(own_activation, None, True), None
        else:
            activation, written = None, None  # a variant (a clipped ReLU) is not the activation the name says
        if activation is not None and activation.value == linear:
            return Step("identity")
        axis = args.literal(kind.axis) if kind.axis is not None else None
        guessed = kind.guessed_axis and axis is MISSING
        return Step("activation", activation=activation, activation_written=written, axis_guessed=guessed, axis=axis)
    if role in ("identity", "passes"):
        return Step(role)
    if role == "reshapes":
        return Step("reshapes", keeps_units=kind.keeps_units, rank=kind.rank)
    if role == "sequence":
        first = args.literal(kind.batch_first) if kind.batch_first is not None else MISSING
        if first is OPAQUE:
            return Step("sequence", rank=3)
        batch_first = first is not MISSING and bool(first)
        return Step("sequence", rank=3, batch_axis=args.fact(0 if batch_first else 1, kind.batch_first if first is not MISSING else None, False))
    return None


def over_units(head: Head, axis: Any, guessed: bool = False) -> bool:
    """Whether a normalising activation over `axis` (`dim=`, `axis=`, as a literal) runs over the
    axis that holds the head's units. Absent or None means the last axis, except where the
    framework guesses it from the rank (PyTorch: dim 0 for 0-, 1- and 3-D inputs, else 1). An axis
    counted from the other end is compared only when the rank is known (a Flatten made it 2)."""
    axis = _one_axis(head, axis, guessed)
    if axis is None:
        return False  # OPAQUE, or several axes
    if axis == head.units_axis:
        return True
    return head.rank is not None and head.rank > 0 and axis % head.rank == head.units_axis % head.rank


def over_batch(head: Head, axis: Any, guessed: bool = False) -> bool:
    """Whether a normalising activation over `axis` runs over the batch axis: axis 0 of an output
    known to have one beside the units (rank 2 or more, as after a Flatten or `view(-1, n)`).
    Without the rank, axis 0 may be the classes of one unbatched sample (RL code softmaxes a
    single state's scores over dim 0), so nothing is said."""
    axis = _one_axis(head, axis, guessed)
    if axis is None or head.rank is None or head.rank < 2:
        return False
    return axis % head.rank == 0 and head.units_axis % head.rank != 0


def _one_axis(head: Head, axis: Any, guessed: bool) -> int | None:
    """The axis as an int (the framework's guess where it guesses and the rank is known), or None."""
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]
    if axis is MISSING or axis is None:
        axis = (0 if head.rank in (0, 1, 3) else 1) if guessed and head.rank is not None else -1
    if not isinstance(axis, int) or isinstance(axis, bool):
        return None
    return axis


def positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _truthy(value: Any) -> bool:
    return value is not MISSING and value is not OPAQUE and bool(value)
