"""The framework vocabulary (`rules/frameworks.yaml`) as typed objects and lookups.

    vocabulary.framework("torch")                 the PyTorch entry (names, family, title)
    vocabulary.api("tensorflow.keras.layers.Dense")   framework tf_keras, canonical path keras.layers.Dense
    vocabulary.layer(api)                         what that layer does to a prediction (its role)
    vocabulary.loss_module(api)                   the loss namespace a name is in, with argument order

Every lookup is strict: a name resolves only within its own framework (`torch.nn.Flatten` is never
Keras' Flatten), and a framework name is one of the spellings the data lists. Nothing here knows a
framework by name: it is all read from the YAML.
"""

from __future__ import annotations

from typing import Any, NamedTuple


def normalize(name: str) -> str:
    """Forgiving form for ids and aliases: case, '-', '_', '.' and spaces do not matter."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


class Arg(NamedTuple):
    """Where an argument is passed: by position (None: keyword only) or by keyword."""

    position: int | None
    keyword: str | None


def _arg(raw: Any) -> Arg | None:
    return Arg(raw[0], raw[1]) if isinstance(raw, list) else None


class LayerKind(NamedTuple):
    """What one layer class does between the last weights and the loss (roles: frameworks.yaml)."""

    name: str
    role: str
    framework: str
    module: tuple[str, ...] | None = None  # only under this module (else the framework's layer_modules)
    units: Arg | None = None
    activation: Arg | None = None
    channels: str | None = None
    axis: Arg | None = None
    variants: tuple[str, ...] = ()
    keeps_units: bool = False
    layer: Arg | None = None
    layers: Arg | str | None = None
    guessed_axis: bool = False  # without its axis argument the framework guesses one (LA107)
    outputs: Arg | None = None
    units_axis: int = -1  # units: the axis of its output that holds them (1 for PyTorch's channels-first Conv)
    rank: int | None = None  # reshapes: the number of axes of its output, when fixed (Flatten: 2)
    elementwise: bool = False  # units: its activation argument is applied to each output alone (no softmax over them)
    batch_first: Arg | None = None  # sequence: the argument that puts the batch first (else time first)
    applies: Arg | None = None  # a layer function that builds the layer and applies it to this argument (tf.layers.dense)
    default_activation: str | None = None  # units: the activation when none is passed (tf.contrib fully_connected: relu)


class WrittenLoss(NamedTuple):
    """A loss written out by hand: `activation`'s output meets the targets `by` ("*" or a
    function's qualified name), and that computes `loss` (a qualified loss name)."""

    activation: str
    by: str
    loss: str


class LossModule(NamedTuple):
    module: tuple[str, ...]
    target_first: bool
    unknown_names: str | None = None  # "all" | "loss-like" | None
    directly_in: tuple[tuple[str, ...], ...] = ()
    not_losses: frozenset[str] = frozenset()


class ModelZoo(NamedTuple):
    module: tuple[str, ...]
    classes: Arg | None = None
    activation: Arg | None = None
    default_activation: str | None = None  # None: the zoo's models output logits
    top: Arg | None = None
    heads: tuple[str, ...] = ()
    excluded: frozenset[str] = frozenset()
    only: frozenset[str] = frozenset()  # its model builders, when they are not every lowercase name in the module
    default_classes: int | None = None  # the outputs when `classes` is not passed
    units_axis: int = -1  # the output axis of the classes (1: segmentation masks, (N, C, H, W))
    tuple_when: tuple[str, ...] = ()  # arguments that make the model return a tuple (smp aux_params)
    # A zoo of classes built by a class method (AutoModelForSequenceClassification.from_pretrained):
    # the method, and the endings of the class names that are classifiers
    builder: str | None = None
    suffixes: tuple[str, ...] = ()
    prefix: str = ""  # …and how they begin (transformers' Keras classes: TF)
    except_prefixes: tuple[str, ...] = ()
    output: str | None = None  # calling the model gives an object whose field this holds the logits
    own_loss: OwnLoss | None = None

    def builds(self, path: tuple[str, ...]) -> bool:
        """Whether a call of `path` builds one of this zoo's models, for a zoo of classes: the class's
        builder (AutoModelForSequenceClassification.from_pretrained); other zoos say so themselves."""
        if self.builder is None:
            return True
        if len(path) != len(self.module) + 2 or path[-1] != self.builder:
            return False
        model_class = path[-2]
        return model_class.startswith(self.prefix) and model_class.endswith(self.suffixes) and not model_class.startswith(self.except_prefixes)


class TrainerHook(NamedTuple):
    """A trainer class whose subclass's `method` it calls with its model as `argument`
    (transformers.Trainer's compute_loss(model, inputs))."""

    model: Arg  # where the trainer's constructor takes the model
    method: str
    argument: str


class OwnLoss(NamedTuple):
    """The loss a zoo model computes itself when its call is given the labels (transformers)."""

    labels: Arg  # the call argument that holds the labels
    problem_type: Arg  # the builder's argument that names the problem, and so the loss
    losses: dict[str, str]  # problem -> the loss class it computes
    one_unit: str  # the problem when none is named and the model has one output unit
    by_dtype: dict[str, str]  # …and when it has more: by the labels' dtype (float, int)


class ModelClasses(NamedTuple):
    bases: frozenset[str]
    runs: str  # the method that calling an instance runs
    training: str | None = None  # "argument" (call(training=True)) | "attribute" (self.training)
    setup: str | None = None  # a method that builds the layers before the model runs (Flax linen's setup)
    fields: bool = False  # a dataclass: annotated class attributes are constructor arguments
    applied_by: dict[str, Any] | None = None  # a method that runs the model on (variables, *inputs): linen's apply


class Framework(NamedTuple):
    id: str
    title: str
    names: tuple[str, ...]
    family: str
    head_layer: str | None  # the layer `recommend` writes a head with (Dense, Linear)
    one_hot: str | None  # its code for one-hot rows from class ids y (fix texts)
    axis_word: str  # what its activations call the axis argument: dim (PyTorch), axis (Keras, JAX)
    inherits: str | None
    imports: dict[str, str]
    loss_modules: tuple[LossModule, ...]
    activation_modules: tuple[tuple[str, ...], ...]
    layer_modules: tuple[tuple[str, ...], ...]
    metric_modules: tuple[tuple[str, ...], ...]
    guessed_axis_functions: frozenset[tuple[str, ...]]  # activation functions that guess a missing axis
    model_classes: ModelClasses | None
    model_zoos: tuple[ModelZoo, ...]
    loaders: frozenset[str]
    holders: dict[tuple[str, ...], tuple[str, ...]]  # calls whose result keeps these keyword arguments as attributes
    written_losses: tuple[WrittenLoss, ...]  # losses written out by hand (-sum(t * log_softmax(x)))
    fragments: dict[str, str]  # names snippets use without importing them (`nn` -> torch.nn), as qualified names
    trainers: dict[tuple[str, ...], dict[str, Arg]]  # calls that train `model` with `loss` on their own (Ignite)
    trainer_hooks: dict[tuple[str, ...], TrainerHook]  # trainer classes that call a subclass's method with their model
    reductions: frozenset[tuple[str, ...]]  # functions that average or sum a loss value (jnp.mean)
    reduction_methods: frozenset[str]  # array methods that do (x.mean())
    layers: dict[str, LayerKind]
    tensor_methods: bool  # its tensors have activation methods (`x.softmax(1)`, `x.log()`)
    tensor_factories: dict[str, Any]  # functions that make a tensor of a written shape: name -> where the sizes are
    gradients: dict[tuple[str, ...], str]
    autocast: dict[tuple[str, ...], str]  # mixed-precision contexts: path -> "cuda" | "device_type" (where it says the device)
    mixed_precision_trainers: dict[tuple[str, ...], dict[str, list[Any]]]  # trainer path -> {argument: values meaning CUDA autocast}
    training_steps: frozenset[str]  # model methods such a trainer runs under its precision
    trainer_config_key: str | None  # the config key holding the Trainer's arguments (LightningCLI: trainer)
    dtypes: dict[str, dict[str, str]]  # names / tensor_types / methods -> float|int64|int32|uint8; convert; words
    saved_models: dict[str, Any]  # which saved Keras models it wrote: {keras_version: prefix, default: bool}
    training_methods: frozenset[str]  # model methods that run the compiled loss on labels
    inference_methods: frozenset[str]  # model methods that only predict  # canonical path -> "off" (no_grad) | "switch" (set_grad_enabled(flag))


class Api:
    """A name from a library: `torch.nn.functional.softmax` → framework pytorch, path
    ('torch', 'nn', 'functional', 'softmax'). `tensorflow.keras.X`, `tf_keras.X` and `keras.X` share
    the canonical path `keras.X` (so one table serves them) but keep their own framework."""

    __slots__ = ("qualified", "framework", "path", "_vocabulary")

    def __init__(self, qualified: str, framework: str | None, path: tuple[str, ...], vocabulary: Vocabulary):
        self.qualified, self.framework, self.path, self._vocabulary = qualified, framework, path, vocabulary

    def __repr__(self) -> str:
        return f"Api({self.qualified!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Api) and other.qualified == self.qualified

    def __hash__(self) -> int:
        return hash(self.qualified)

    @property
    def name(self) -> str:
        return self.path[-1]

    def child(self, attribute: str) -> Api:
        """`tf` . `keras` is `tensorflow.keras`, which re-roots to Keras' path."""
        return self._vocabulary.api(f"{self.qualified}.{attribute}")

    def under(self, *prefix: str) -> bool:
        """`keras.losses.MSE`.under('keras', 'losses') is True."""
        return self.path[: len(prefix)] == prefix

    def has(self, part: str) -> bool:
        """Whether a namespace part occurs before the name (`keras.src.losses.losses.MSE` has 'losses')."""
        return part in self.path[:-1]

    def within(self, module: tuple[str, ...]) -> bool:
        """In `module` or below it; a module's parts after its root may sit deeper in the path
        (`keras.losses` holds `keras.src.losses.losses.MSE`, `tensorflow.nn` holds
        `tensorflow.compat.v1.nn.softmax`)."""
        if self.path[:1] != module[:1]:
            return False
        rest, namespace = module[1:], self.path[1:-1]
        return not rest or any(namespace[i : i + len(rest)] == rest for i in range(len(namespace) - len(rest) + 1))


def _in_module(api: Api, modules: tuple[tuple[str, ...], ...]) -> bool:
    """Directly in one of `modules`, or anywhere below one that is more than a bare root
    (`keras.layers` holds keras.src.layers.core.Dense; the root `keras` holds only keras.Model)."""
    return any(api.path[:-1] == m or (len(m) > 1 and api.within(m)) for m in modules)


def _asking(precisions: dict[str, list[Any]], written: dict[str, Any]) -> str | None:
    """The argument among `written` whose value is one of those `precisions` lists for it (True is not 1)."""
    return next((a for a, values in precisions.items() if not isinstance(written.get(a), bool) and written.get(a) in values), None)


def _dotted(text: str) -> tuple[str, ...]:
    return tuple(text.split("."))


class Vocabulary:
    """The loaded frameworks.yaml. Built once by `knowledge.load()`."""

    def __init__(self, raw: dict[str, Any]):
        self.frameworks: dict[str, Framework] = {}
        for key, entry in raw.items():
            parent = raw.get(entry.get("inherits")) if entry.get("inherits") else None
            self.frameworks[key] = _framework(key, entry, parent or {})
        self._by_name = {normalize(n): fw for fw in self.frameworks.values() for n in (fw.id, *fw.names)}
        self._roots: dict[str, tuple[str, str]] = {}
        for fw in self.frameworks.values():
            for root, canonical in fw.imports.items():
                self._roots.setdefault(root, (fw.id, canonical))
        self._fragments = {name: qualified for fw in self.frameworks.values() for name, qualified in fw.fragments.items()}
        self._reduction_methods = frozenset(m for fw in self.frameworks.values() for m in fw.reduction_methods)
        self._apis: dict[str, Api] = {}
        self._memo: dict[tuple[str, str], Any] = {}  # lookups per qualified name (loss modules, layer modules)

    # -- frameworks
    def framework(self, name: str | None) -> Framework | None:
        """The framework a user's spelling names (`torch`, `tf.keras`, `Keras 3`), or None."""
        return self._by_name.get(normalize(name)) if isinstance(name, str) else None

    def spellings(self) -> list[str]:
        """Every name a framework may be given by, ids first."""
        ids = list(self.frameworks)
        return ids + [n for fw in self.frameworks.values() for n in fw.names if n not in ids]

    def families(self) -> list[str]:
        return list(dict.fromkeys(fw.family for fw in self.frameworks.values()))

    def family_of(self, framework: str) -> tuple[str, ...]:
        family = self.frameworks[framework].family if framework in self.frameworks else framework
        return tuple(fw.id for fw in self.frameworks.values() if fw.family == family) or (framework,)

    def lookup_order(self, framework: str | None) -> list[str]:
        """Where a spelling is looked for: its framework, what that inherits, its family, the rest."""
        everything = list(self.frameworks)
        if framework is None or framework not in self.frameworks:
            return everything
        inherited = self.frameworks[framework].inherits
        return list(dict.fromkeys([framework, *([inherited] if inherited else []), *self.family_of(framework), *everything]))

    def import_roots(self) -> list[str]:
        return list(self._roots)

    # -- qualified names
    def api(self, qualified: str) -> Api:
        found = self._apis.get(qualified)
        if found is None:
            parts = qualified.split(".")
            found = Api(qualified, None, tuple(parts), self)
            for cut in range(len(parts), 0, -1):
                root = self._roots.get(".".join(parts[:cut]))
                if root is not None:
                    found = Api(qualified, root[0], (*root[1].split("."), *parts[cut:]), self)
                    break
            if len(self._apis) >= 8192:  # a bounded cache: a large heap makes every GC pass (and parse) slower
                self._apis.clear()
            self._apis[qualified] = found
        return found

    # -- layers, losses, activations, models
    def layer(self, api: Api) -> LayerKind | None:
        """What the layer class `api` names does, strictly within its own framework."""
        fw = self.frameworks.get(api.framework or "")
        if fw is None:
            return None
        kind = fw.layers.get(api.name)
        if kind is None:
            return None
        return kind if _in_module(api, (kind.module,) if kind.module else fw.layer_modules) else None

    def in_layer_module(self, api: Api) -> bool:
        key = ("layers", api.qualified)
        if key not in self._memo:
            fw = self.frameworks.get(api.framework or "")
            self._remember(key, fw is not None and _in_module(api, fw.layer_modules))
        return self._memo[key]

    def loss_module(self, api: Api) -> LossModule | None:
        key = ("loss", api.qualified)
        if key not in self._memo:
            self._remember(key, next((m for fw in self.frameworks.values() for m in fw.loss_modules if api.within(m.module)), None))
        return self._memo[key]

    def _remember(self, key: tuple[str, str], value: Any) -> None:
        if len(self._memo) >= 8192:  # bounded, like the Api cache
            self._memo.clear()
        self._memo[key] = value

    def in_activation_module(self, api: Api) -> bool:
        namespace = api.path[:-1]
        return any(namespace == m for fw in self.frameworks.values() for m in fw.activation_modules)

    def guesses_axis(self, api: Api) -> bool:
        """`F.softmax(x)` without dim: the framework picks the axis itself."""
        fw = self.frameworks.get(api.framework or "")
        return fw is not None and api.path in fw.guessed_axis_functions

    def in_metric_module(self, api: Api) -> bool:
        fw = self.frameworks.get(api.framework or "")
        return fw is not None and api.path[:-1] in fw.metric_modules

    def model_classes(self, api: Api) -> tuple[str, ModelClasses] | None:
        """(framework, what its models run) when `api` names a model base class (nn.Module, keras.Model)."""
        fw = self.frameworks.get(api.framework or "")
        if fw is not None and fw.model_classes is not None and api.name in fw.model_classes.bases:
            return fw.id, fw.model_classes
        return None

    def trainer_hook(self, api: Api) -> TrainerHook | None:
        """The method a subclass of this trainer class has called with the trainer's model."""
        fw = self.frameworks.get(api.framework or "")
        return fw.trainer_hooks.get(api.path) if fw else None

    def holder(self, api: Api) -> tuple[str, ...] | None:
        """The keyword arguments a call keeps as attributes of its result (TrainState.create's apply_fn)."""
        fw = self.frameworks.get(api.framework or "")
        return fw.holders.get(api.path) if fw else None

    def fragment_names(self) -> dict[str, str]:
        """Names a snippet without imports uses (`Sequential`, `nn`, `tf`), and what they are."""
        return self._fragments

    def trainer(self, api: Api) -> dict[str, Arg] | None:
        """Where a trainer call takes the model and the loss it applies to the model's output."""
        fw = self.frameworks.get(api.framework or "")
        return fw.trainers.get(api.path) if fw is not None else None

    def reduces(self, api: Api) -> bool:
        """`jnp.mean`, `jnp.sum`: a function that averages or sums a loss value, keeping its sign."""
        fw = self.frameworks.get(api.framework or "")
        return fw is not None and api.path in fw.reductions

    def reduction_methods(self) -> frozenset[str]:
        return self._reduction_methods

    def written_loss(self, framework: str | None, activation: str, by: str) -> WrittenLoss | None:
        """The loss that `activation`'s output meeting the targets `by` computes in `framework`."""
        fw = self.frameworks.get(framework or "")
        return next((w for w in fw.written_losses if w.activation == activation and w.by == by), None) if fw else None

    def model_zoo(self, api: Api) -> ModelZoo | None:
        fw = self.frameworks.get(api.framework or "")
        zoos = [z for z in fw.model_zoos if api.under(*z.module)] if fw else []
        return next((z for z in zoos if z.builds(api.path)), zoos[0] if zoos else None)

    def has_tensor_methods(self, framework: str | None) -> bool:
        return framework in self.frameworks and self.frameworks[framework].tensor_methods

    def tensor_methods_framework(self) -> str | None:
        """The framework a method call on an unknown tensor (`out.softmax(1)`) belongs to."""
        return next((fw.id for fw in self.frameworks.values() if fw.tensor_methods), None)

    def gradient_switch(self, api: Api) -> str | None:
        """"off" for a context that turns gradients off (torch.no_grad), "switch" for one that takes
        a flag (torch.set_grad_enabled), else None."""
        fw = self.frameworks.get(api.framework or "")
        return fw.gradients.get(api.path) if fw else None

    def autocast_device(self, api: Api) -> str | None:
        """How a mixed-precision context says its device ("cuda", "device_type"); None: not one."""
        fw = self.frameworks.get(api.framework or "")
        return fw.autocast.get(api.path) if fw else None

    def mixed_precision(self, api: Api) -> dict[str, list[Any]] | None:
        """For a trainer that runs its steps under CUDA autocast: {argument: values that mean it}."""
        fw = self.frameworks.get(api.framework or "")
        return fw.mixed_precision_trainers.get(api.path) if fw else None

    def asks_for_autocast(self, api: Api, written: dict[str, Any]) -> str | None:
        """The argument among those `written` for the trainer `api` names that asks for CUDA
        autocast (`precision="16-mixed"`; True is not 1); None when none does."""
        return _asking(self.mixed_precision(api) or {}, written)

    def mixed_precision_config(self, config: dict) -> tuple[str, str] | None:
        """(trainer key, argument) when a LightningCLI config's trainer mapping asks for CUDA autocast."""
        for fw in self.frameworks.values():
            trainer = config.get(fw.trainer_config_key) if fw.trainer_config_key else None
            if not isinstance(trainer, dict) or "class_path" in trainer or "_target_" in trainer:
                continue
            for precisions in fw.mixed_precision_trainers.values():
                if (argument := _asking(precisions, trainer)) is not None:
                    return fw.trainer_config_key, argument
        return None

    def dtypes(self) -> dict[str, dict[str, str]]:
        """The dtype vocabulary (frameworks.yaml `dtypes`: names, tensor_types, methods -> float,
        int64, int32, uint8), of the framework whose losses care about target dtypes."""
        return next((fw.dtypes for fw in self.frameworks.values() if fw.dtypes), {})

    def saved_by(self, keras_version: Any) -> str | None:
        """The framework that wrote a saved model with this `keras_version` (None: no framework saves models)."""
        saving = [fw for fw in self.frameworks.values() if fw.saved_models]
        if isinstance(keras_version, str):
            for fw in saving:
                if keras_version.startswith(fw.saved_models.get("keras_version", "\0")):
                    return fw.id
        return next((fw.id for fw in saving if fw.saved_models.get("default")), None)

    def model_method(self, name: str) -> str | None:
        """"training" or "inference" for a model method of any framework that has one (fit, predict)."""
        for fw in self.frameworks.values():
            if name in fw.training_methods:
                return "training"
            if name in fw.inference_methods:
                return "inference"
        return None

    def is_loader(self, api: Api) -> bool:
        fw = self.frameworks.get(api.framework or "")
        return fw is not None and api.name in fw.loaders


def _framework(key: str, v: dict[str, Any], parent: dict[str, Any]) -> Framework:
    def inherited(name: str, default: Any) -> Any:
        return v.get(name, parent.get(name, default))

    # A framework's own layers beside those it inherits (tf.keras: TF1's layer functions, and Keras').
    specs = {**(parent.get("layers") or {}), **(v.get("layers") or {})}
    layers = {name: _layer(name, spec, key) for name, spec in specs.items()}
    # A framework's own loss and activation modules come first, then those it inherits.
    own_losses = [*(v.get("loss_modules") or ()), *(parent.get("loss_modules") or ())]
    own_activations = [*(v.get("activation_modules") or ()), *(parent.get("activation_modules") or ())]
    classes = inherited("model_classes", None)
    return Framework(
        id=key, title=v.get("title", key), names=tuple(str(n) for n in v.get("names") or ()), family=v.get("family", key),
        head_layer=inherited("head_layer", None), one_hot=inherited("one_hot", None), axis_word=inherited("axis_word", "axis"), inherits=v.get("inherits"), imports=dict(v.get("imports") or {}),
        loss_modules=tuple(_loss_module(m) for m in own_losses),
        activation_modules=tuple(_dotted(m) for m in own_activations),
        layer_modules=tuple(_dotted(m) for m in inherited("layer_modules", ()) or ()),
        metric_modules=tuple(_dotted(m) for m in inherited("metric_modules", ()) or ()),
        guessed_axis_functions=frozenset(_dotted(m) for m in inherited("guessed_axis_functions", ()) or ()),
        model_classes=_model_classes(classes) if classes else None,
        model_zoos=tuple(_zoo(z) for z in inherited("model_zoos", ()) or ()),
        loaders=frozenset(inherited("loaders", ()) or ()),
        holders={_dotted(p): tuple(kept) for p, kept in (v.get("holders") or {}).items()},
        written_losses=tuple(WrittenLoss(w["activation"], w["by"], w["loss"]) for w in inherited("written_losses", ()) or ()),
        fragments=dict(v.get("fragments") or {}),
        trainers={_dotted(p): {role: _arg(place) for role, place in spec.items()} for p, spec in (v.get("trainers") or {}).items()},
        trainer_hooks={_dotted(p): TrainerHook(_arg(h["model"]), h["method"], h["argument"]) for p, h in (v.get("trainer_hooks") or {}).items()},  # type: ignore[arg-type]
        reductions=frozenset(_dotted(m) for m in (inherited("reductions", {}) or {}).get("functions", ())),
        reduction_methods=frozenset((inherited("reductions", {}) or {}).get("methods", ())),
        layers=layers, tensor_methods=bool(inherited("tensor_methods", False)),
        tensor_factories=dict(v.get("tensor_factories") or {}),
        saved_models=dict(v.get("saved_models") or {}),
        training_methods=frozenset(inherited("training_methods", ()) or ()),
        inference_methods=frozenset(inherited("inference_methods", ()) or ()),
        gradients={**{_dotted(p): "off" for p in (v.get("gradients_off") or ())}, **{_dotted(p): "switch" for p in (v.get("gradients_switch") or ())}},
        autocast={_dotted(p): where for p, where in (inherited("autocast", {}) or {}).items()},
        mixed_precision_trainers={_dotted(p): dict(spec) for p, spec in (inherited("mixed_precision_trainers", {}) or {}).items()},
        training_steps=frozenset(inherited("training_steps", ()) or ()),
        trainer_config_key=inherited("trainer_config_key", None),
        dtypes={part: dict(table) for part, table in (inherited("dtypes", {}) or {}).items()},
    )  # fmt: skip


def _model_classes(c: dict[str, Any]) -> ModelClasses:
    return ModelClasses(frozenset(c["bases"]), c["runs"], c.get("training"), c.get("setup"), bool(c.get("fields")), c.get("applied_by"))


def _layer(name: str, spec: dict[str, Any], framework: str) -> LayerKind:
    layers = spec.get("layers")
    return LayerKind(
        name=name, role=spec["role"], framework=framework, module=_dotted(spec["module"]) if spec.get("module") else None,
        units=_arg(spec.get("units")), activation=_arg(spec.get("activation")), channels=spec.get("channels"),
        axis=_arg(spec.get("axis")), variants=tuple(spec.get("variants") or ()), keeps_units=bool(spec.get("keeps_units")),
        layer=_arg(spec.get("layer")), layers=layers if isinstance(layers, str) else _arg(layers), outputs=_arg(spec.get("outputs")),
        guessed_axis=bool(spec.get("guessed_axis")), units_axis=int(spec.get("units_axis", -1)), rank=spec.get("rank"),
        elementwise=bool(spec.get("elementwise")), batch_first=_arg(spec.get("batch_first")),
        applies=_arg(spec.get("applies")), default_activation=spec.get("default_activation"),
    )  # fmt: skip


def _loss_module(m: dict[str, Any]) -> LossModule:
    return LossModule(
        _dotted(m["module"]), m.get("order") == "target_first", m.get("unknown_names"),
        tuple(_dotted(d) for d in m.get("directly_in") or (m["module"],)), frozenset(m.get("not_losses") or ()),
    )  # fmt: skip


def _zoo(z: dict[str, Any]) -> ModelZoo:
    return ModelZoo(
        _dotted(z["module"]), _arg(z.get("classes")), _arg(z.get("activation")), z.get("default_activation"),
        _arg(z.get("top")), tuple(z.get("heads") or ()), frozenset(z.get("except") or ()), frozenset(z.get("only") or ()),
        z.get("default_classes"), int(z.get("units_axis", -1)), tuple(z.get("tuple_when") or ()),
        z.get("builder"), tuple(z.get("suffixes") or ()), z.get("prefix", ""), tuple(z.get("except_prefixes") or ()), z.get("output"),
        _own_loss(z["own_loss"]) if z.get("own_loss") else None,
    )  # fmt: skip


def _own_loss(raw: dict[str, Any]) -> OwnLoss:
    return OwnLoss(_arg(raw["labels"]), _arg(raw["problem_type"]), dict(raw["losses"]), raw["one_unit"], dict(raw["by_dtype"]))  # type: ignore[arg-type]
