"""Labels, where the code shows them:

    (x, y), _ = keras.datasets.mnist.load_data()         known datasets: known label formats
    datasets.CIFAR10(...) → DataLoader → for x, y in …    torchvision: integer class ids
    to_categorical(y) / F.one_hot(y) / np.eye(k)[y]       one-hot
    np.load("y.npy"), pd.read_csv("t.csv")["label"]       a label file next to the script, profiled
    train_test_split(x, y), TensorDataset(x, y)           the labels go along

Which calls are label sources is data (rules/label_sources.yaml). A label file is profiled only when its labels reach a loss (it may be a feature file), and only if
it exists relative to the source file; a file that cannot be profiled means labels unknown. Label
values pass through conversions that keep their meaning (`.long()`, `np.asarray`, `tf.cast`) and
become unknown through anything else (arithmetic, `y[:, 0]`, a `target_transform`).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from lossadvisor.facts import Fact, LabelFacts, Position
from lossadvisor.vocabulary import Api
from lossadvisor.readers.python.shapes import RESHAPING
from lossadvisor.readers.python.values import UNKNOWN, Const, Data, Each, Function, Items, Labels, Mapping, Record, Table, Value

# Dataset methods that keep what the examples' labels are (tf.data, Hugging Face datasets); not `filter`
# or `map`, which may keep only some classes or change them.
DATA_METHODS = {"batch", "shuffle", "prefetch", "cache", "repeat", "take", "skip", "padded_batch", "select", "with_format", "iter"}


class LabelFile(Labels):
    """Labels in a file, profiled on first use (`facts` stays None until then)."""

    __slots__ = ("path", "display", "key", "column", "resolved", "loaded_at", "dtype")

    def __init__(
        self, path: Path, display: str, key: str | None = None, column: str | int | None = None,
        loaded_at: Position | None = None, dtype: str | None = None,
    ):  # fmt: skip
        super().__init__(None)
        self.path, self.display, self.key, self.column, self.resolved = path, display, key, column, False
        self.loaded_at = loaded_at  # the reading call, from where the targets have the dtype below
        self.dtype = dtype  # a dtype name the reader gives (np.loadtxt: float64); None: the file's own


class OneHotBasis(Value):
    """`np.eye(k)`: indexing it with labels one-hot encodes them."""

    __slots__ = ("classes",)

    def __init__(self, classes: int | None):
        self.classes = classes


def call(interp, api: Api, site) -> Value | None:
    sources = interp.kb.label_sources
    path, name = api.path, api.name
    dotted = ".".join(path)
    keras_sets = sources["keras_datasets"]
    if name == keras_sets["function"] and dotted.startswith(keras_sets["module"] + ".") and len(path) >= 3:
        return _keras_dataset(keras_sets["sets"].get(path[-2]), path[-2], site)
    folders = sources["folders"]
    if dotted in folders["functions"]:
        found = _class_folders(interp, folders, folders["functions"][dotted], site)
        if found is not None:
            return found
    if dotted in folders["generators"]:
        return FolderReader(folders["generators"][dotted])
    if dotted.startswith(sources["torchvision_datasets"]["module"] + ".") and name in sources["torchvision_datasets"]["classes"]:
        return _torchvision_dataset(name, sources["torchvision_datasets"]["classes"][name], site)
    for catalog in sources["catalogs"]:
        if dotted == f"{catalog['module']}.{catalog['load']}":
            return _catalog_dataset(catalog, site)
        if path[:-1] == (catalog["module"],) and name in (catalog.get("keep") or ()):
            first = site.value(0)
            return first if isinstance(first, (Data, Mapping, Items)) else UNKNOWN
    if dotted.startswith(sources["torch_data"] + "."):
        return _torch_data(name, site)
    known = sources["sklearn_datasets"]
    if dotted in known["generators"] or dotted in known["loaders"]:
        return _sklearn_dataset(known, dotted, site)
    if dotted in sources["encoders"]:
        spec = sources["encoders"][dotted]
        return Encoder(spec, None) if isinstance(spec, str) else Encoder(spec["format"], spec.get("two_classes"))
    if dotted in sources["dummies"]:
        return _encoded("one_hot", site.value(0, "data"), site)
    if dotted == sources["tf_data"] + ".from_tensor_slices":
        return _dataset_of(site.value(0, "tensors"))
    if name in sources["one_hot_names"] or dotted in sources["one_hot"]:
        return _one_hot(site, site.value(1, ("num_classes", "depth")))
    if dotted == sources["one_hot_basis"]:
        classes = site.value(0, "N")
        return OneHotBasis(classes.value if isinstance(classes, Const) and isinstance(classes.value, int) else None)
    if dotted in sources["conversions"]:
        value = site.value(0)
        if isinstance(value, Labels):
            if dotted in sources["reshaping"]:
                value = Reshaped(value)
            dtype = _given_dtype(site)
            return Converted(value.inner if isinstance(value, Converted) else value, site.fact(dtype)) if dtype else value
        return _written(site) or UNKNOWN
    if dotted in sources["files"]:
        return _file(interp, site, dotted)
    if dotted in sources["splitters"]:
        return Items([part for array in site.args for part in (_kept(array), _kept(array))])
    return None


def _keras_dataset(known: dict | None, name: str, site) -> Value:
    if known is None:
        return UNKNOWN
    for argument, values in (known.get("when") or {}).items():
        known = {**known, **(values.get(site.const(None, argument)) or {})}
    lo, hi = known.get("range") or (None, None)
    facts = _facts(site.fact(known["format"]), known.get("classes"), lo, hi, f"`{name}.load_data()`")
    return Items([Items([UNKNOWN, Labels(facts)]), Items([UNKNOWN, Labels(facts)])])


def _torchvision_dataset(name: str, known: int | dict | None, site) -> Value:
    if site.passed(None, "target_transform") or site.passed(None, "transforms"):
        return Data(None)  # a target (or joint) transform may turn the ids into anything
    spec = known if isinstance(known, dict) else {"classes": known}
    source = f"`torchvision.datasets.{name}`"
    for argument, (position, values) in (spec.get("when") or {}).items():
        chosen = site.const(position, argument, spec.get("default", {}).get(argument))
        spec = {**spec, **(values.get(chosen) or {})} if isinstance(chosen, str) else {}
        source = f"`torchvision.datasets.{name}({argument}={chosen!r})`"
    if "classes" not in spec:
        return Data(None)  # a target kind whose values are not class ids (instance ids, colours, polygons)
    classes = spec.get("classes")
    facts = _facts(site.fact("class_ids"), classes, 0, classes - 1 if classes else None, source)
    return Data(Labels(facts._replace(ignore_values=tuple(spec.get("ignore") or ()), evidence=spec.get("evidence") or facts.evidence)))


def _catalog_dataset(catalog: dict, site) -> Value:
    """`tfds.load("mnist", split="train")`, `load_dataset("cifar10", split="train")`: a dataset
    whose label features are class ids (rules/label_sources.yaml `catalogs`)."""
    name = site.const(*catalog["name"])
    known = catalog["sets"].get(name.split(":")[0]) if isinstance(name, str) else None
    if known is None or site.unexpanded:
        return UNKNOWN
    fields: dict[str, Value] = {}
    for feature, classes in known.items():
        fmt = "binary" if classes == 2 else "class_ids"
        fields[feature] = Labels(_facts(site.fact(fmt), classes, 0, classes - 1, f"`{name}` feature {feature!r}"))
    supervised = catalog.get("supervised")
    paired = fields.get(supervised["feature"]) if supervised and site.const(None, supervised["keyword"]) is True else None
    arrays = catalog.get("arrays")
    if arrays and site.const(None, arrays["keyword"]) == arrays["value"]:  # whole splits as arrays
        one: Value = Items([UNKNOWN, paired]) if paired else Mapping(dict(fields))
    else:
        one = Data(paired) if paired else Data(None, fields)
    split = site.value(*catalog["split"])
    if split is None:
        result: Value = Mapping({"train": one, "test": one, "validation": one})
    elif isinstance(split, Items):
        result = Items([one] * len(split.items))
    else:
        result = one
    info = catalog.get("info")
    return Items([result, UNKNOWN]) if info and site.const(None, info) is True else result


class FolderReader(Value):
    """An object whose method reads class folders (Keras' ImageDataGenerator.flow_from_directory)."""

    __slots__ = ("spec",)

    def __init__(self, spec: dict):
        self.spec = spec


def _class_folders(interp, folders: dict, spec: dict, site) -> Value | None:
    """`ImageFolder("data/train")`, `image_dataset_from_directory("data", label_mode="binary")`: a
    folder next to the code whose subfolders are the classes. None when it is not there to count."""
    position, keyword = spec["path"]
    literal = site.const(position, keyword)
    base_dir = (site.frame.origin or interp.main).base_dir
    if not isinstance(literal, str) or base_dir is None or site.passed(None, "target_transform"):
        return None
    root = base_dir / literal
    try:
        if not root.is_dir():
            return None
        with os.scandir(root) as entries:
            names = [e.name for _, e in zip(range(folders["max_entries"] + 1), entries)]
        if len(names) > folders["max_entries"]:
            return None
        classes = sum(1 for n in names if not n.startswith(".") and (root / n).is_dir())
    except OSError:
        return None
    if classes < 1:
        return None
    mode = site.const(*spec["mode"]) if spec.get("mode") else "int"
    fmt = folders["modes"].get(mode) if isinstance(mode, str) else None
    if fmt is None:
        return Data(None)  # class_mode="input" / None, or a mode this file does not show
    if fmt == "binary" and classes != 2:
        fmt = "class_ids"  # the class index, as a number
    shown = f"`{literal}` ({classes} class folder{'s' if classes != 1 else ''}{f', {mode!r}' if spec.get('mode') else ''})"
    return Data(Labels(_facts(site.fact(fmt), classes, *_value_range(fmt, classes), shown)))


class Encoder(Value):
    """A scikit-learn encoder: its transforms return labels of `format`."""

    __slots__ = ("format", "two_classes")

    def __init__(self, format: str, two_classes: str | None):
        self.format, self.two_classes = format, two_classes  # two_classes: its format for two classes


def _sklearn_dataset(known: dict, dotted: str, site) -> Value:
    """`make_classification(n_classes=3)` → (X, y); `load_iris()` → a Bunch whose `target` (or
    `["target"]`) are the labels; `load_iris(return_X_y=True)` → (X, y)."""
    generator = dotted in known["generators"]
    spec = (known["generators"] if generator else known["loaders"])[dotted]
    classes = spec.get("classes")
    if isinstance(classes, list):
        position, keyword, default = classes
        classes = site.const(position, keyword, default)
        if site.unexpanded or not isinstance(classes, int) or isinstance(classes, bool) or classes < 1:
            return UNKNOWN  # centers=[[0, 0], [1, 1]], n_classes=k: not a number this file shows
    fmt = "binary" if spec["format"] == "class_ids" and classes == 2 else spec["format"]
    span = spec.get("range") or _value_range(fmt, classes)  # a regression target's documented range
    labels = Labels(_facts(site.fact(fmt), classes, *span, f"`{dotted.rsplit('.', 1)[-1]}()`"))
    if generator or site.const(None, known["return_x_y"]) is True:
        return Items([UNKNOWN, labels])
    return Record({known["bunch_target"]: labels})


def _encoded(fmt: str, given: Value | None, site, two_classes: str | None = None) -> Value:
    """What an encoder makes of `given`: labels of `fmt`, with the classes `given` is known to have."""
    facts = facts_of(site.interp, given) if isinstance(given, Labels) else None
    classes = facts.num_classes if facts is not None else None
    if classes == 2 and two_classes:
        fmt = two_classes
    return Labels(_facts(site.fact(fmt), classes, *_value_range(fmt, classes), f"`{_text(site.node)}`"))


def _value_range(fmt: str, classes: int | None) -> tuple[int | None, int | None]:
    """The values labels of a format take, given their classes: ids 0..C-1, rows of 0s and 1s;
    nothing known without the classes (or for values that are no classes)."""
    if not classes:
        return None, None
    return (0, classes - 1) if fmt in ("class_ids", "binary") else (0, 1)


def _torch_data(name: str, site) -> Value | None:
    first = site.value(0, "dataset")
    if name == "DataLoader":
        return first if isinstance(first, Data) and not site.passed(None, "collate_fn") else UNKNOWN
    if name == "TensorDataset":
        return Data(site.args[1] if len(site.args) == 2 and isinstance(site.args[1], Labels) else None)
    if name == "Subset":
        return first if isinstance(first, Data) else UNKNOWN
    if name == "random_split":
        return Each(first) if isinstance(first, Data) else UNKNOWN
    return None


def _dataset_of(tensors: Value | None) -> Value:
    if isinstance(tensors, Items) and len(tensors.items) == 2:
        labels = tensors.items[1]
        return Data(labels if isinstance(labels, Labels) else None)
    return UNKNOWN


def _one_hot(site, classes_value: Value | None) -> Value:
    source = site.value(0)
    classes = classes_value.value if isinstance(classes_value, Const) and isinstance(classes_value.value, int) and classes_value.value > 0 else None
    if classes is None and isinstance(source, Labels) and source.facts is not None:
        classes = source.facts.num_classes
    return Labels(_facts(site.fact("one_hot"), classes, 0, 1, f"`{_text(site.node)}`"))


def _facts(fmt_fact: Fact[str], classes: int | None, lo, hi, source: str) -> LabelFacts:
    fmt = fmt_fact.value
    if fmt == "class_ids" and classes:
        evidence = f"values 0..{classes - 1}"
    elif fmt == "binary":
        evidence = "0 or 1"
    elif fmt == "one_hot" and classes:
        evidence = f"{classes} columns"
    else:
        evidence = None
    return LabelFacts(
        format=fmt_fact, num_classes=classes, minimum=None if lo is None else float(lo),
        maximum=None if hi is None else float(hi), source=source, evidence=evidence,
    )  # fmt: skip


LITERAL_LIMIT = 10_000  # nodes: a literal table larger than this is data, not labels written by hand


def _written(site) -> Labels | None:
    """`torch.tensor([0, 2, 1])`, `np.array([[0., 1.], [1., 0.]])`: labels written out in the code (a
    Q&A snippet, a test), profiled like a label file when they reach a loss (numpy is not imported
    for the constants every script writes). Read with ast.literal_eval, never run. A table is read
    only as a column ([[0], [2]]) or as float rows that sum to 1: integer rows may be multi-hot
    vectors or one sequence's class ids, and the literal does not say which."""
    node = site.arg_node(0, ("data", "object", "value"))
    if isinstance(node, ast.Name):  # weights = [1.0, 5.0]; torch.tensor(weights)
        node = _named_list(site.value(0, ("data", "object", "value")), node)
    if not isinstance(node, (ast.List, ast.Tuple)) or not node.elts:
        return None
    written = WrittenLabels(node, site.fact("written", node))
    dtype = _written_dtype(site, node)
    return Converted(written, site.fact(dtype)) if dtype else written


def _named_list(value: Value | None, name: ast.Name) -> ast.List | None:
    """A name bound to a list of numbers, as the literal it holds (placed where the name is used)."""
    if not isinstance(value, Items) or not value.items or len(value.items) > LITERAL_LIMIT:
        return None
    numbers = [v.value for v in value.items if isinstance(v, Const) and not getattr(v, "assumed", False)]
    if len(numbers) != len(value.items) or not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
        return None
    return ast.copy_location(ast.List(elts=[ast.copy_location(ast.Constant(n), name) for n in numbers], ctx=ast.Load()), name)


class Converted(Labels):
    """Labels given a dtype by the code (`y.float()`, `y.long()`, `torch.tensor(y, dtype=…)`)."""

    __slots__ = ("inner", "dtype")

    def __init__(self, inner: Labels, dtype: Fact[str]):
        super().__init__(None)
        self.inner, self.dtype = inner, dtype


class Reshaped(Labels):
    """Labels whose shape the code changed (`y.view(-1)`, `np.squeeze(y)`, `y[:, None]`): still the
    same labels, of a shape no longer known."""

    __slots__ = ("inner",)

    def __init__(self, inner: Labels):
        super().__init__(None)
        self.inner = inner


class WrittenLabels(Labels):
    """Labels written as a literal, profiled on first use (`facts` stays None until then)."""

    __slots__ = ("node", "where", "resolved")

    def __init__(self, node: ast.expr, where: Fact[str]):
        super().__init__(None)
        self.node, self.where, self.resolved = node, where, False


def _profile_written(labels: WrittenLabels) -> LabelFacts | None:
    node = labels.node
    if sum(1 for _ in ast.walk(node)) > LITERAL_LIMIT:
        return None
    import numpy as np

    from lossadvisor.labels.infer import read_profile
    from lossadvisor.labels.profile import profile
    from lossadvisor.readers import InputError

    try:
        array = np.asarray(ast.literal_eval(node))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if array.dtype.kind not in "biuf" or array.ndim not in (1, 2) or array.size == 0:
        return None
    if array.ndim == 2 and array.shape[1] > 1 and not _rows_of_distributions(array):
        return None  # 0/1 or integer rows may be multi-hot vectors or a map of class ids: not known which
    try:
        reading = read_profile(profile(array))
    except (InputError, TypeError, ValueError):
        return None
    fmt = reading.format
    if fmt == "counts":
        # A file's counts thin out like counts; a literal's few values do not say: `torch.tensor([2])`
        # into NLLLoss is one class id. Read as ids, which regression losses take as numbers.
        fmt = "class_ids"
    return LabelFacts(
        format=labels.where._replace(value=fmt), num_classes=reading.num_classes, minimum=reading.minimum,
        maximum=reading.maximum, ignore_values=tuple(v for v, _ in reading.ignore), source=f"`{_text(node)}`",
        evidence=reading.evidence, inferred=True, samples=reading.profile.samples,
    )  # fmt: skip


def _dtypes(interp) -> dict[str, dict[str, str]]:
    """The dtype vocabulary (frameworks.yaml `dtypes`): the labels' dtype matters to PyTorch's losses."""
    return interp.kb.vocabulary.dtypes()


def _called(site) -> str:
    """The name a call is made by: `tensor` for `torch.tensor(...)`, `FloatTensor` for `FloatTensor(...)`."""
    return site.node.func.attr if isinstance(site.node.func, ast.Attribute) else getattr(site.node.func, "id", "")


def _given_dtype(site) -> str | None:
    """`torch.tensor(y, dtype=torch.float32)`, `torch.LongTensor(y)`: the dtype a conversion gives."""
    if site.node is None:
        return None
    tables = _dtypes(site.interp)
    name = _called(site)
    if name in tables.get("tensor_types", {}):
        return tables["tensor_types"][name]
    given = next((k.value for k in site.node.keywords if k.arg == "dtype"), None)
    return dtype_named(tables, given) if given is not None else None


def _written_dtype(site, node: ast.expr) -> str | None:
    """The dtype PyTorch gives a literal: `dtype=` when written, else float if any number has a
    point, int64 if none does (`torch.tensor([0, 1])`); FloatTensor / LongTensor say it themselves."""
    if site.node is None:
        return None
    if (given := _given_dtype(site)) is not None:
        return given
    name = _called(site)
    if name not in ("tensor", "as_tensor"):
        return None  # numpy / TensorFlow arrays: their dtype reaches a PyTorch loss only through a conversion
    numbers = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) and not isinstance(n.value, bool)]
    return "float" if any(isinstance(v, float) for v in numbers) else "int64" if numbers else None


def dtype_named(tables: dict[str, dict[str, str]], node: ast.expr) -> str | None:
    """`torch.float32`, `torch.long`, `np.int64`, `"float32"`, `int`: the dtype a conversion names."""
    names, types = tables.get("names", {}), tables.get("tensor_types", {})
    if isinstance(node, ast.Attribute):
        return types.get(node.attr) or names.get(node.attr)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return names.get(node.value)
    if isinstance(node, ast.Name) and node.id in ("float", "int"):
        return names.get(node.id)
    return None


def converted(obj: Labels, name: str, call) -> Labels:
    """`y.float()`, `y.long()`, `y.to(torch.float32)`, `y.type(torch.LongTensor)`, `y.astype("int64")`."""
    tables = _dtypes(call.interp)
    dtype = tables.get("methods", {}).get(name)
    if dtype is None and name in ("to", "type", "astype") and call.node is not None:
        given = call.node.args[0] if call.node.args else next((k.value for k in call.node.keywords if k.arg == "dtype"), None)
        dtype = dtype_named(tables, given) if given is not None else None
    if dtype is None:  # `.to(device)`, `.cuda()`: the dtype stays what it was
        return Reshaped(obj) if name in RESHAPING else obj
    inner = obj.inner if isinstance(obj, Converted) else obj
    return Converted(inner, call.fact(dtype))


class Computed(Labels):
    """Labels the code computed from known ones with a number (`y - 1`, `y / 255`): facts of their own."""

    __slots__ = ()


def arithmetic(interp, labels: Labels, op: ast.operator, number: Const, node: ast.BinOp, frame) -> Value:
    """`y - 1` and `y + 1` shift class ids (a 1-based range becomes 0-based, or the reverse);
    `y / 255` makes class ids fractions, which no classification loss takes. Anything else, or
    labels whose facts are not known, is unknown."""
    facts = facts_of(interp, labels)
    value = number.value
    if facts is None or facts.format is None or not isinstance(value, (int, float)) or isinstance(value, bool):
        return UNKNOWN
    at = interp.at(node, frame)
    source = f"`{_text(node)}`"
    lo, hi = facts.minimum, facts.maximum
    if isinstance(op, (ast.Add, ast.Sub)) and isinstance(value, int) and facts.format.value in ("class_ids", "binary"):
        shift = value if isinstance(op, ast.Add) else -value
        low, high = (lo + shift if lo is not None else None), (hi + shift if hi is not None else None)
        fmt = "class_ids"  # below 0 they are still ids, out of range (LA310 says so)
        shifted = f"values {int(low)}..{int(high)}" if low is not None and high is not None else None
        return Computed(LabelFacts(format=Fact(fmt, at), num_classes=facts.num_classes, minimum=low, maximum=high, source=source, evidence=shifted))
    if isinstance(op, ast.Div) and value not in (0, 1) and facts.format.value in ("class_ids", "binary") and lo is not None and hi is not None:
        low, high = lo / value, hi / value
        fmt = "unit_interval" if 0 <= low and high <= 1 else "continuous"
        return Computed(LabelFacts(format=Fact(fmt, at), minimum=low, maximum=high, source=source, evidence=f"class ids divided by {value:g}: values from {low:g} to {high:g}"))
    return UNKNOWN


def _rows_of_distributions(array) -> bool:
    """Float rows that each sum to 1 (one-hot or soft targets): what a written (N, C) table means."""
    import numpy as np

    return array.dtype.kind == "f" and bool(np.all(array >= 0)) and bool(np.allclose(array.sum(axis=1), 1.0, atol=1e-6))


def _kept(value: Value) -> Value:
    return value if isinstance(value, Labels) else UNKNOWN


def _file(interp, site, dotted: str) -> Value:
    """A label file of a literal path that exists next to the source, and the dtype its reader gives
    the labels (rules/label_sources.yaml `files`)."""
    literal = site.const(0, ("file", "fname", "filepath_or_buffer", "filepath"))
    base_dir = (site.frame.origin or interp.main).base_dir
    if not isinstance(literal, str) or base_dir is None:
        return UNKNOWN
    path = base_dir / literal
    if not path.is_file():
        return UNKNOWN
    suffix = path.suffix.lower()
    given = any(k.arg == "dtype" for k in site.node.keywords)
    dtype = _given_dtype(site) if given else interp.kb.label_sources["files"][dotted]
    at = site.at if dtype is not None else None  # a `dtype=` the table does not name: the dtype is not known
    if dtype == "stored":
        dtype = None  # the file's own
    if dotted.startswith("pandas.") or suffix == ".npz":
        return Table(path, literal, "npz" if suffix == ".npz" else "csv", at, dtype)
    return LabelFile(path, literal, loaded_at=at, dtype=dtype)


def item(interp, container: Value, index: Value, node: ast.Subscript, frame) -> Value:
    """`df["label"]`, `archive["y"]`, `np.eye(10)[y]`, a dataset's column `ds["label"]`."""
    if isinstance(container, Data) and container.fields is not None and isinstance(index, Const):
        return container.fields.get(index.value, UNKNOWN)
    if isinstance(container, Table) and isinstance(index, Const) and isinstance(index.value, str):
        return _column(container, index.value)
    if isinstance(container, OneHotBasis):
        fmt = Fact("one_hot", interp.at(node, frame), frame.context)
        return Labels(_facts(fmt, container.classes, 0, 1, f"`{_text(node)}`"))
    return UNKNOWN


def _column(table: Table, name: str) -> LabelFile:
    if table.kind == "npz":
        return LabelFile(table.path, table.display, key=name, loaded_at=table.loaded_at, dtype=table.dtype)
    return LabelFile(table.path, table.display, column=name, loaded_at=table.loaded_at, dtype=table.dtype)


def method(interp, obj: Value, name: str, site) -> Value | None:
    if isinstance(obj, FolderReader) and name == obj.spec["method"]:
        return _class_folders(interp, interp.kb.label_sources["folders"], obj.spec, site) or UNKNOWN
    if isinstance(obj, Encoder) and name in interp.kb.label_sources["encoder_methods"]:
        return _encoded(obj.format, site.value(0, ("y", "X")), site, obj.two_classes)
    if isinstance(obj, Encoder) and name == "fit":
        return obj
    if isinstance(obj, Table) and name == "pop" and isinstance(site.const(0, "item"), str):
        return _column(obj, site.const(0, "item"))
    if isinstance(obj, Data) and name in DATA_METHODS:
        return obj
    if isinstance(obj, Data) and name == "map":
        return _mapped(interp, obj, site)
    return None


def _mapped(interp, data: Data, site) -> Value:
    """`ds.map(preprocess)` over (inputs, labels) pairs, `preprocess` a function or a lambda of the
    file: the labels it returns second (the same ones, or `tf.one_hot(label, 10)` of them). Anything
    else (a function that returns something else, a dataset of feature dicts) is unknown."""
    fn = site.value(0, ("map_func", "function"))
    if data.labels is None or data.fields is not None or not isinstance(fn, Function) or site.unexpanded:
        return UNKNOWN
    returned = interp.run_function(fn, interp.empty_call(site.frame, [UNKNOWN, data.labels]))
    if isinstance(returned, Items) and len(returned.items) == 2 and isinstance(returned.items[1], Labels):
        return Data(returned.items[1])
    return UNKNOWN


def facts_of(interp, value: Value) -> LabelFacts | None:
    """What is known about labels that reach a loss or `fit()`; a label file is profiled now."""
    if isinstance(value, Converted):
        inner = facts_of(interp, value.inner)
        return inner._replace(dtype=value.dtype) if inner is not None else None
    if isinstance(value, Reshaped):
        inner = facts_of(interp, value.inner)
        return inner._replace(shape=None) if inner is not None else None
    if not isinstance(value, Labels):
        return None
    if isinstance(value, LabelFile) and not value.resolved:
        value.resolved = True
        value.facts = _profile(value)
    if isinstance(value, WrittenLabels) and not value.resolved:
        value.resolved = True
        value.facts = _profile_written(value)
    return value.facts


def _profile(labels: LabelFile) -> LabelFacts | None:
    from lossadvisor.readers.label_file import label_facts
    from lossadvisor.readers import InputError

    try:
        return label_facts(
            labels.path, display=labels.display, key=labels.key, column=labels.column, loaded_at=labels.loaded_at, dtype=labels.dtype
        )
    except InputError:
        return None


def _text(node: ast.AST | None) -> str:
    if node is None:
        return "labels"
    text = ast.unparse(node)
    return text if len(text) <= 48 else text[:45] + "..."
