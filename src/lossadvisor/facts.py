"""TrainingSetup: the one normalized description of a training setup that every reader produces.

Readers (configs, Python code, notebooks, Keras archives, Hydra configs, label files) turn their
input into setups; checks only ever look at setups. Each fact carries where it was read, so a
finding can point at the offending line and name the other half of the mismatch.

A reader never decides whether something is wrong: an unknown loss name is recorded as written
(`LossUse.id is None`) and a check reports it.

These are NamedTuples rather than dataclasses on purpose: they are just as frozen and readable, and
importing `dataclasses` (which imports `inspect`) costs more start-up than the pre-commit hook can
spare. Change a field with `fact._replace(...)`.
"""

from __future__ import annotations

from typing import Any, Generic, NamedTuple, TypeVar

T = TypeVar("T")


class Position(NamedTuple):
    """Where a fact was read. 1-based; `line` None for inputs without lines."""

    path: str
    line: int | None = None
    column: int | None = None
    cell: int | None = None

    def describe(self) -> str:
        """Short human form used inside messages: 'line 18', 'cell 3, line 4', 'model.keras'."""
        if self.line is None:
            return self.path
        where = f"line {self.line}"
        return f"cell {self.cell}, {where}" if self.cell is not None else where


class Fact(NamedTuple, Generic[T]):
    value: T
    at: Position
    context: str | None = None  # e.g. "in `Net.forward`", "layer 'probs'"

    def where(self) -> str:
        if self.context and self.at.line is None:
            return self.context  # no line to show: the finding's location already names the file
        return f"{self.at.describe()} {self.context}" if self.context else self.at.describe()


class Head(NamedTuple):
    """The model's last layer as far as the loss sees it."""

    units: Fact[int] | None = None
    activation: Fact[str] | None = None  # canonical activation id (activations.yaml); None = unknown
    activation_written: Fact[str] | None = None  # as written, when it is not a known activation
    name: str | None = None  # output name, for multi-output models
    axis_guessed: Fact[str] | None = None  # the activation was written without its axis, which the framework then guesses
    units_axis: int = -1  # the output's axis that holds the units: -1 (Linear, Dense), 1 (PyTorch Conv: channels first)
    rank: int | None = None  # the output's number of axes, when known (2 after a Flatten)
    # What the code shows of the shape's end, for (N, 1) vs (N,): "one" (the last axis has size 1:
    # Linear(n, 1), y.view(-1, 1)), "flat" (one axis: y.view(-1), torch.ones(n)), None (not known).
    trailing: str | None = None
    singleton_axis: int | None = None  # an axis of size 1 the code gave a target at this position: y.unsqueeze(1) is 1
    over_batch: Fact[str] | None = None  # the activation was taken over the batch axis (softmax(dim=0) of (N, C)), here
    batch_axis: Fact[int] | None = None  # the axis holding the batch, where a layer fixed it (a batch_first RNN: 0), read there
    clipped: bool = False  # probabilities clamped away from 0 (torch.clamp(p, eps, 1 - eps))
    # An explicit log of probabilities, unclipped and with no eps, here: (their activation, the log form), ('softmax', 'log_softmax')
    log_of: Fact[tuple[str, str]] | None = None


class LossUse(NamedTuple):
    written: Fact[str]  # the spelling as written: 'nn.CrossEntropyLoss', 'bce'
    id: str | None = None  # canonical loss id (losses.yaml); None = not a loss we know
    framework: str | None = None  # the framework whose spelling matched
    args: dict[str, Fact[Any]] = {}  # keyword arguments as written (never mutated)
    namespace: str | None = None  # the canonical module code named it in ('torch.nn'); None in configs
    unseen_arguments: bool = False  # positional or **kwargs arguments: `args` may not be all it was given
    spelling: str | None = None  # the framework's name of a loss written out by hand (-sum(t * log_softmax(x)))


class LabelFacts(NamedTuple):
    """What is known about the targets: declared in a config, or profiled from a label file."""

    format: Fact[str] | None = None  # label format id (labels.yaml)
    num_classes: int | None = None  # distinct class ids (or columns of one-hot/multi-hot)
    minimum: float | None = None  # smallest target, ignore labels excluded
    maximum: float | None = None  # largest target, ignore labels excluded
    ignore_values: tuple[int, ...] = ()  # values that look like ignore labels (-100, -1, 255)
    ignore_declared: bool = False  # the ignore values were declared (`ignore_values:`), not seen in the labels
    nan_count: int = 0
    source: str | None = None  # label file path, when profiled
    evidence: str | None = None  # "labels take 8 integer values 0..7"
    format_written: Fact[str] | None = None  # as written, when it is not a format we know
    dtype: Fact[str] | None = None  # float, int64, int32, uint8: where the code shows it (`.float()`, `torch.tensor([0., 1.])`)
    shape: tuple[int, ...] | None = None  # (samples, ...) as code reads a file: np.load keeps the array's, a table column is (N,)
    inferred: bool = False  # the format was read from the values (a label file, a literal), not given by where they come from
    samples: int | None = None  # how many samples the values were read from, when inferred


def merge_labels(profiled: LabelFacts, declared: LabelFacts) -> LabelFacts:
    """Labels profiled from a file, completed by what the config (or another source) declares: what
    the file shows wins; a declared format that is no known format is still reported (LA005)."""
    if profiled.format is None and profiled.source is None:
        return declared
    return profiled._replace(
        format=profiled.format or declared.format,
        format_written=declared.format_written,
        minimum=profiled.minimum if profiled.minimum is not None else declared.minimum,
        maximum=profiled.maximum if profiled.maximum is not None else declared.maximum,
        ignore_values=profiled.ignore_values or declared.ignore_values,
        ignore_declared=not profiled.ignore_values and bool(declared.ignore_values),
    )


class MetricUse(NamedTuple):
    """A metric given to training: compile(metrics=["accuracy", keras.metrics.AUC()]), `metrics:`."""

    written: Fact[str]  # as written: 'accuracy', 'AUC'
    id: str | None = None  # its key in rules/metrics.yaml; None = not a metric we know
    args: dict[str, Fact[Any]] = {}  # keyword arguments as written (never mutated)


class TrainingSetup(NamedTuple):
    path: str
    framework: str | None = None
    task: Fact[str] | None = None
    task_written: Fact[str] | None = None  # as written, when it is not a task we know
    num_classes: Fact[int] | None = None
    head: Head | None = None
    loss: LossUse | None = None
    labels: LabelFacts | None = None
    # Why this loss never reaches training in the file, when the file shows it (a model compiled
    # again before it is trained, or only used for prediction): its findings are at most info.
    unused: str | None = None
    metrics: tuple[MetricUse, ...] = ()  # what training reports on this output
    class_weight: Fact[str] | None = None  # Keras fit(class_weight=...) was passed, here
    target: Head | None = None  # what the code shows of the target: a teacher model's head, or its shape (`trailing`)
    applied_at: Position | None = None  # where the loss meets its prediction and target (`criterion(out, y)`), in code
    autocast: Position | None = None  # the loss is applied under CUDA mixed precision (`with torch.autocast("cuda")`), from here
    minimised: Position | None = None  # a gradient of the loss's value is taken here (jax.grad), as the code returns it
    only: tuple[str, ...] = ()  # the rules this setup is checked for, when not all (a config's view of a module it trains)
