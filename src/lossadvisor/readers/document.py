"""YAML and JSON documents, with the position of every key.

A document is parsed once (YAML: the safe loader's composer, so keys keep their lines; JSON: the
json module, ten times faster on a Keras model dump, with key positions found in the text) and handed to the first document reader that claims it: Keras model JSON, Hydra/Lightning
configs, then lossadvisor's native training config. A document none of them claims is not ours
(a CI workflow, a docker-compose file) and yields nothing.
"""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

from lossadvisor.facts import Position, TrainingSetup
from lossadvisor.readers import InputError, NothingToCheck, Source

# Tried in order; each module has `claims(doc) -> bool`, `read(doc, source) -> list[TrainingSetup]`
# and MARKER, a regex that finds its documents in text that does not parse.
DOCUMENT_READERS = (
    "lossadvisor.readers.keras_json",
    "lossadvisor.readers.hydra",
    "lossadvisor.readers.config",
)

Path_ = tuple[Any, ...]


class Document:
    """Plain data plus where each key (and each list item) was written."""

    def __init__(self, data: Any, source: Source, positions: dict[Path_, tuple[int, int]] | None = None):
        self.data = data
        self.source = source
        self.positions = positions or {}

    def at(self, *keys: Any) -> Position:
        """Position of the deepest known key on `keys`: a missing key points at its parent."""
        path = tuple(keys)
        while path and path not in self.positions:
            path = path[:-1]
        line, col = self.positions.get(path, (1, 1))
        return Position(self.source.display, line, col)

    def get(self, *keys: Any, default: Any = None) -> Any:
        node = self.data
        for key in keys:
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and -len(node) <= key < len(node):
                node = node[key]
            else:
                return default
        return node


# Bounds (docs/python.md "Bounds"): YAML costs about 150 times its size in memory while composed,
# so a YAML file over MAX_YAML_BYTES is no training config; aliases may not expand a document past
# MAX_VALUES values (a "billion laughs" is ten lines).
MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_VALUES = 200_000
MERGE = "tag:yaml.org,2002:merge"


def parse(source: Source) -> list[Document]:
    """The file's documents (a YAML stream may hold several, `---` between them)."""
    if not (source.display.endswith(".json") or source.path.suffix == ".json"):
        return _parse_yaml(source.read_text(MAX_YAML_BYTES), source)
    text = source.read_text()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply") from None
    except ValueError as exc:  # an integer over Python's 4,300-digit conversion limit
        raise InputError(f"invalid JSON: {_first_line(exc)}") from None
    return [Document(data, source, _json_positions(text, data))]


# A YAML or JSON file that cannot be parsed is an error only when its text shows it was meant for
# lossadvisor: each document reader's MARKER (a regex over the text: the native config's top-level
# keys, `_target_`/`class_path`, a Keras `"class_name"`). A broken Helm template or a tsconfig.json
# with comments is not ours.
SNIFF_BYTES = 1024 * 1024


def _meant_for_us(source: Source) -> bool:
    try:
        head = source.data[:SNIFF_BYTES] if source.data is not None else _head(source)
    except OSError:
        return False
    text = head.decode("utf-8", "replace")
    markers = "|".join(f"(?:{importlib.import_module(name).MARKER})" for name in DOCUMENT_READERS)
    return re.search(markers, text, re.MULTILINE) is not None


def _head(source: Source) -> bytes:
    with open(source.path, "rb") as fh:
        return fh.read(SNIFF_BYTES)


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    if "integer string conversion" in text:
        return "a number has more than 4,300 digits (Python's limit for reading integers)"
    return text.splitlines()[0] if text else type(exc).__name__


def _parse_yaml(text: str, source: Source) -> list[Document]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        nodes = list(yaml.compose_all(text, Loader=loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot parse"
        raise InputError(f"invalid YAML: {problem}", mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {_first_line(exc)}") from None
    constructor = loader(text)  # constructs scalars with the safe loader's implicit types
    try:
        return [_build_yaml(node, source, constructor) for node in nodes if node is not None] or [Document(None, source)]
    finally:
        constructor.dispose()


def _build_yaml(node: Any, source: Source, constructor: Any) -> Document:
    """Plain data from a composed YAML document, with key positions. Merge keys (`<<: *base`) are
    merged; a tag the safe loader does not know (`!Ref`, `!!python/name:…`) is never constructed:
    its node is read as the plain value it carries."""
    import yaml

    positions: dict[Path_, tuple[int, int]] = {}
    count = 0

    def build(n: Any, path: Path_) -> Any:
        nonlocal count
        count += 1
        if count > MAX_VALUES:
            raise InputError(f"YAML expands to more than {MAX_VALUES:,} values (aliases)")
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            merged: list[Any] = []
            for key_node, value_node in n.value:
                if key_node.tag == MERGE:
                    merged.append(value_node)
                    continue
                key = _key(key_node)
                positions[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = build(value_node, (*path, key))
            for value_node in merged:  # explicit keys win over merged ones, as in YAML 1.1
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for base in sources:
                    if isinstance(base, yaml.MappingNode):
                        for key, value in build(base, path).items():
                            out.setdefault(key, value)
            return out
        if isinstance(n, yaml.SequenceNode):
            items = []
            for i, item in enumerate(n.value):
                positions[(*path, i)] = (item.start_mark.line + 1, item.start_mark.column + 1)
                items.append(build(item, (*path, i)))
            return items
        try:
            return constructor.construct_object(n, deep=True)
        except yaml.constructor.ConstructorError:
            return _as_written(n)  # a tag of someone else's (`!Ref Bucket`): never constructed
        except ValueError as exc:  # an integer over Python's 4,300-digit conversion limit
            raise InputError(f"invalid value: {_first_line(exc)}", n.start_mark.line + 1, n.start_mark.column + 1) from None
        except yaml.YAMLError as exc:
            raise InputError(f"invalid value: {_first_line(exc)}", n.start_mark.line + 1, n.start_mark.column + 1) from None

    def _key(key_node: Any) -> Any:
        if isinstance(key_node, yaml.ScalarNode):
            try:
                key = constructor.construct_object(key_node, deep=True)
            except (yaml.YAMLError, ValueError):
                key = _as_written(key_node)  # a tagged or oversized key: its text
        else:
            key = str(build(key_node, ()))  # `? [a, b]`: a complex key, by its text
        try:
            hash(key)
        except TypeError:
            key = str(key)
        return key

    return Document(build(node, ()), source, positions)


def _as_written(node: Any) -> str:
    """A scalar with a tag the safe loader does not construct, as written: `!Ref Bucket`."""
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    value = node.value if isinstance(node.value, str) else ""
    return f"{tag} {value}".strip()


KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')


def _json_positions(text: str, data: Any) -> dict[Path_, tuple[int, int]]:
    """Where each key was written. json.loads keeps keys in text order, so walking the data depth
    first meets the keys in the order one scan of the text finds them (a `"…":` outside a string
    is always a key). One pass over the text, whatever the keys hold."""
    import bisect

    positions: dict[Path_, tuple[int, int]] = {}
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    keys = KEY.finditer(text)
    cursor = 0

    def to_line_col(offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1] + 1

    def next_key(key: str) -> re.Match[str] | None:
        for found in keys:  # a duplicated key (the last one wins in json.loads) is skipped over
            try:
                if json.loads(f'"{found.group(1)}"') == key:
                    return found
            except ValueError:
                continue
        return None

    def walk(node: Any, path: Path_) -> None:
        nonlocal cursor
        if isinstance(node, dict):
            for key, value in node.items():
                found = next_key(str(key))
                if found is None:
                    return
                positions[(*path, key)] = to_line_col(found.start())
                cursor = found.end()
                walk(value, (*path, key))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, (dict, list)):
                    opener = text.find("{" if isinstance(item, dict) else "[", cursor)
                    if opener >= 0:
                        positions[(*path, i)] = to_line_col(opener)
                        cursor = opener + 1
                walk(item, (*path, i))

    walk(data, ())
    return positions


def read(source: Source) -> list[TrainingSetup]:
    setups: list[TrainingSetup] = []
    try:
        docs = parse(source)
    except InputError as exc:
        if _meant_for_us(source):
            raise
        at = f" (line {exc.line})" if exc.line else ""
        raise NothingToCheck(f"{exc.message}{at}, and nothing in it looks like a training config") from None
    for doc in docs:
        if not isinstance(doc.data, dict):
            continue
        for module_name in DOCUMENT_READERS:
            module = importlib.import_module(module_name)
            if module.claims(doc):
                setups.extend(module.read(doc, source))
                break
    return setups
