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
from lossadvisor.readers import InputError, Source

# Tried in order; each module has `claims(doc) -> bool` and `read(doc, source) -> list[TrainingSetup]`.
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


def parse(source: Source) -> Document:
    text = source.read_text()
    if not (source.display.endswith(".json") or source.path.suffix == ".json"):
        return _parse_yaml(text, source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply") from None
    return Document(data, source, _json_positions(text, data))


def _parse_yaml(text: str, source: Source) -> Document:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot parse"
        raise InputError(f"invalid YAML: {problem}", mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}") from None
    if node is None:
        return Document(None, source)
    positions: dict[Path_, tuple[int, int]] = {}
    constructor = loader(text)  # constructs scalars with the safe loader's implicit types

    def build(n: Any, path: Path_) -> Any:
        if isinstance(n, yaml.MappingNode):
            out = {}
            for key_node, value_node in n.value:
                key = constructor.construct_object(key_node, deep=True)
                if isinstance(key, (list, dict)):
                    key = str(key)
                positions[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = build(value_node, (*path, key))
            return out
        if isinstance(n, yaml.SequenceNode):
            items = []
            for i, item in enumerate(n.value):
                positions[(*path, i)] = (item.start_mark.line + 1, item.start_mark.column + 1)
                items.append(build(item, (*path, i)))
            return items
        try:
            return constructor.construct_object(n, deep=True)
        except yaml.YAMLError as exc:
            raise InputError(f"invalid value: {exc}", n.start_mark.line + 1, n.start_mark.column + 1) from None

    try:
        data = build(node, ())
    finally:
        constructor.dispose()
    return Document(data, source, positions)


def _json_positions(text: str, data: Any) -> dict[Path_, tuple[int, int]]:
    """Where each key was written. json.loads keeps keys in text order, so a depth-first walk finds
    each `"key":` as the next occurrence after the previous key (a string value cannot match: its
    quotes inside are escaped, and it is followed by `,` or `}`, not `:`)."""
    import bisect

    positions: dict[Path_, tuple[int, int]] = {}
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    cursor = 0

    def to_line_col(offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1] + 1

    def walk(node: Any, path: Path_) -> None:
        nonlocal cursor
        if isinstance(node, dict):
            for key, value in node.items():
                m = re.compile(re.escape(json.dumps(str(key))) + r"\s*:").search(text, cursor)
                if m is None:
                    continue
                positions[(*path, key)] = to_line_col(m.start())
                cursor = m.end()
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
    doc = parse(source)
    if not isinstance(doc.data, dict):
        return []
    for module_name in DOCUMENT_READERS:
        module = importlib.import_module(module_name)
        if module.claims(doc):
            return module.read(doc, source)
    return []
