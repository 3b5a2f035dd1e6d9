"""What the dataflow knows about a Python value, without running anything.

Every expression evaluates to one of these. `UNKNOWN` is the honest answer for everything else: a
value the reader cannot follow never turns into a guess (an unknown activation is not linear).
Values are compared by identity: two `Dense(10)` calls are two layers. (Plain classes with
`__slots__`, not dataclasses: importing `dataclasses` costs the cold start more than this file.)
"""

from __future__ import annotations

import ast
from typing import Any

from lossadvisor.facts import Head, LabelFacts, LossUse, MetricUse, Position
from lossadvisor.heads import Step, advance, positive_int
from lossadvisor.vocabulary import Api


class Value:
    __slots__ = ()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name, None)!r}" for name in getattr(type(self), "__slots__", ()))
        return f"{type(self).__name__}({fields})"


class Unknown(Value):
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()
UNKNOWN_HEAD = Head()


class Const(Value):
    """A literal (or a name bound to one): 'softmax', 10, True, None. `assumed`: a parameter's
    default in a function read without a caller, good for a model's shape but not as a loss
    argument (a caller elsewhere may pass another value)."""

    __slots__ = ("value", "at", "assumed")

    def __init__(self, value: Any, at: Position, assumed: bool = False):
        self.value, self.at, self.assumed = value, at, assumed


def is_count(value: Value | None) -> bool:
    """A positive integer literal (units, classes)."""
    return isinstance(value, Const) and positive_int(value.value)


class Ref(Value):
    """A name from a library, not called yet: `nn.Linear`, `keras.losses`, `F.cross_entropy`.
    `text` is the spelling as written (`nn.Linear`), `at` where."""

    __slots__ = ("api", "at", "text")

    def __init__(self, api: Api, at: Position | None = None, text: str | None = None):
        self.api, self.at, self.text = api, at, text


class Tensor(Value):
    """A prediction: what a model, a layer or an activation outputs, with the head that made it.
    `applied_to`: what the activation that made it was applied to, when one just did (a loss
    written out as `-sum(t * log_softmax(x))` is checked on what reached `x`)."""

    __slots__ = ("head", "framework", "applied_to")

    def __init__(self, head: Head, framework: str | None = None, applied_to: Value | None = None):
        self.head, self.framework, self.applied_to = head, framework, applied_to


class Labels(Value):
    """Targets whose format the code shows (a known dataset, to_categorical, a label file)."""

    __slots__ = ("facts",)

    def __init__(self, facts: LabelFacts | None):
        self.facts = facts


class Items(Value):
    """A tuple or list literal (or a function's tuple of results)."""

    __slots__ = ("items",)

    def __init__(self, items: list[Value]):
        self.items = items


class Each(Value):
    """An iterable whose every element is `item` (enumerate, zip, random_split results)."""

    __slots__ = ("item",)

    def __init__(self, item: Value):
        self.item = item


class Mapping(Value):
    """A dict literal with constant keys: `compile(loss={"out": "mse"})`."""

    __slots__ = ("items",)

    def __init__(self, items: dict[Any, Value]):
        self.items = items


class Data(Value):
    """A dataset or loader that yields (inputs, labels) batches, or dicts of features (`fields`:
    the label features it is known to hold, tensorflow_datasets' `batch["label"]`)."""

    __slots__ = ("labels", "fields")

    def __init__(self, labels: Labels | None, fields: dict[str, Value] | None = None):
        self.labels, self.fields = labels, fields


class Table(Value):
    """A file of a literal path that exists: a pandas DataFrame or an .npz archive, read lazily."""

    __slots__ = ("path", "display", "kind", "loaded_at", "dtype")

    def __init__(self, path: Any, display: str, kind: str, loaded_at: Position | None = None, dtype: str | None = None):
        self.path, self.display, self.kind = path, display, kind  # kind: "csv" | "npz"
        self.loaded_at = loaded_at  # the reading call: its columns (arrays) have a known dtype from there
        self.dtype = dtype  # the dtype the reader gives every column; None: each column's own


class LossFn(Value):
    """A loss object (`nn.CrossEntropyLoss()`) or loss function (`F.cross_entropy`).

    `labels_first`: Keras and tf.nn take (y_true, y_pred), PyTorch and optax (prediction, target).
    `certain` is False when an argument that changes the loss's expectations is not a literal
    (`from_logits=args.logits`): the loss is still named, but never paired with a head or labels.
    `function`: arguments come with each call (`F.cross_entropy(x, y, label_smoothing=0.1)`).
    `framework` is the code's (`import keras` is Keras 3 even when a spelling matched tf.keras').
    """

    __slots__ = ("use", "labels_first", "certain", "function", "framework")

    def __init__(self, use: LossUse, labels_first: bool, certain: bool = True, function: bool = False, framework: str | None = None):
        self.use, self.labels_first, self.certain, self.function = use, labels_first, certain, function
        self.framework = framework or use.framework


# --------------------------------------------------------------------------- models and layers


class Metric(Value):
    """A metric object or name from a framework's metric module (`keras.metrics.AUC(from_logits=True)`)."""

    __slots__ = ("use",)

    def __init__(self, use: MetricUse):
        self.use = use


class Module(Value):
    """Anything that maps a prediction to a prediction: layers, Sequential stacks, functional
    models, instances of user model classes. Keras models also collect `compile()`/`fit()` calls."""

    __slots__ = ("framework", "compiles", "fits", "attrs", "uses")

    def __init__(self, framework: str | None = None) -> None:
        self.framework = framework
        # compile() and fit() calls with the order they ran in (interp.tick()), so that a compile
        # pairs only with the training calls after it and before the next compile
        self.compiles: list[tuple[Value, Position, int, Value | None]] = []  # loss, at, tick, metrics
        self.fits: list[tuple[Labels | None, int, Position | None]] = []  # labels, tick, class_weight= passed at
        self.attrs: dict[str, Value] = {}
        self.uses: dict[str, int] = {}  # "inference" (predict) / "called" (in another model, or eagerly) -> last tick


class Layer(Module):
    """A layer whose role rules/frameworks.yaml describes (Dense, nn.Linear, nn.Softmax, Dropout,
    Flatten …), as the one walk of `lossadvisor.heads` needs it. `implicit`: a unit layer whose
    activation (linear) is written nowhere."""

    __slots__ = ("step", "implicit")

    def __init__(self, step: Step, implicit: bool = False):
        super().__init__()
        self.step, self.implicit = step, implicit

    def head(self, incoming: Head) -> Head:
        return advance(incoming, self.step)


class Stack(Module):
    """nn.Sequential / keras.Sequential: layers applied in order (`.add()` appends)."""

    __slots__ = ("layers",)

    def __init__(self, layers: list[Value], framework: str | None):
        super().__init__(framework)
        self.layers = layers


class Graph(Module):
    """A Keras functional model: `Model(inputs, outputs)`; outputs is a Tensor, Items or Mapping."""

    __slots__ = ("outputs",)

    def __init__(self, outputs: Value, framework: str | None):
        super().__init__(framework)
        self.outputs = outputs


class Opaque(Module):
    """A model from elsewhere: a torchvision / keras.applications model (known head) or a loaded
    one (unknown head)."""

    __slots__ = ("fixed_head", "built")

    def __init__(self, head: Head, framework: str | None, built: Any = None):
        super().__init__(framework)
        self.fixed_head = head
        self.built = built  # how a zoo built it, when its calls return more than the prediction (torch.ZooBuild)


# --------------------------------------------------------------------------- user code


class Function(Value):
    """A function or method defined in the file. `frame` is where it was defined (closures);
    `bound` the instance for a bound method."""

    __slots__ = ("node", "frame", "qualname", "owner", "bound")

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef, frame: Any, qualname: str, owner: Class | None = None, bound: Value | None = None):
        self.node, self.frame, self.qualname, self.owner, self.bound = node, frame, qualname, owner, bound


class Class(Value):
    """A class defined in the file. `kind` says what its instances run when called, when it derives
    from a framework's model class (nn.Module → forward, keras.Model → call; rules/frameworks.yaml),
    None for a plain class."""

    __slots__ = ("node", "bases", "methods", "frame", "kind", "framework")

    def __init__(self, node: ast.ClassDef, bases: list[Value], methods: dict[str, Any], frame: Any, kind: str | None, framework: str | None):
        self.node, self.bases, self.methods, self.frame, self.kind, self.framework = node, bases, methods, frame, kind, framework

    def method(self, name: str) -> tuple[Class, ast.FunctionDef | ast.AsyncFunctionDef] | None:
        """Find a method through user-defined bases (depth first, as simple inheritance does)."""
        if name in self.methods:
            return self, self.methods[name]
        for base in self.bases:
            if isinstance(base, Class) and (found := base.method(name)):
                return found
        return None


class Instance(Module):
    """An instance of a user class. Model classes are Modules: calling one runs `forward`/`call`."""

    __slots__ = ("cls", "heads")

    def __init__(self, cls: Class):
        super().__init__(cls.framework)
        self.cls = cls
        self.heads: dict[Any, Value] = {}  # forward's result, per constant-arguments key


class Super(Value):
    """`super()` inside a method: attribute lookups start at the bases."""

    __slots__ = ("cls", "instance")

    def __init__(self, cls: Class, instance: Value):
        self.cls, self.instance = cls, instance


class Member(Value):
    """`obj.name` where obj is data (a tensor, labels, a model): resolved when called."""

    __slots__ = ("obj", "name")

    def __init__(self, obj: Value, name: str):
        self.obj, self.name = obj, name


class Differentiated(Value):
    """`jax.value_and_grad(loss_fn)`: calling it runs `fn` (and the losses inside) and returns
    gradients, not what `fn` returns."""

    __slots__ = ("fn",)

    def __init__(self, fn: Value):
        self.fn = fn


class Record(Value):
    """An object that keeps some of its constructor's arguments as attributes (a Flax TrainState's
    `apply_fn`); every other attribute is unknown."""

    __slots__ = ("attrs",)

    def __init__(self, attrs: dict[str, Value]):
        self.attrs = attrs


class Pairing:
    """A loss that the dataflow ties to what reaches it: the prediction's head and the labels."""

    __slots__ = ("loss", "head", "labels", "framework", "target", "applied_at", "autocast", "in_training_step", "minimised")

    def __init__(
        self, loss: LossUse, head: Head | None = None, labels: LabelFacts | None = None, framework: str | None = None,
        target: Head | None = None, applied_at: Position | None = None, autocast: Position | None = None,
        in_training_step: bool = False,
    ):  # fmt: skip
        self.loss, self.head, self.labels, self.framework = loss, head, labels, framework
        self.target = target  # what the code shows of the target: a teacher's head, or its shape
        self.applied_at = applied_at  # `criterion(out, y)`, where the prediction and the target meet
        self.autocast = autocast  # the CUDA autocast context the loss is applied in, if any
        self.in_training_step = in_training_step  # applied in a training_step: a mixed-precision Trainer's autocast applies
        self.minimised: Position | None = None  # where a gradient of its value, as the code returns it, is taken


class Score(Value):
    """The value of a loss that is a score to maximise (losses.yaml `maximised`: optax's
    cosine_similarity is +cos), and its sign on the way to a gradient: a negation or `1 - score`
    flips it, a mean or a sum keeps it, anything else makes it unknown."""

    __slots__ = ("pairing", "sign")

    def __init__(self, pairing: Pairing, sign: int = 1):
        self.pairing, self.sign = pairing, sign
