"""Labels in one column of a Parquet, Arrow IPC / Feather or JSON Lines table, or of a Hugging Face
dataset saved with `save_to_disk`, read record batch by record batch with pyarrow (the optional
`lossadvisor[arrow]` extra, imported only here, only when such a file is given).

Memory is bounded by one batch: Parquet is read by batches of the label column alone; Arrow IPC by
the record batches as written (Feather writes 64K rows, `datasets` 1,000); JSON Lines by blocks of
JSON_BLOCK_BYTES. A column holds:
- scalars: class ids, floats, booleans, strings, dictionary-encoded (categorical) values; a missing
  (null) cell is NaN, or a missing class name, as an empty CSV cell is;
- fixed-size lists, or lists that all have the same length and hold floats or repeated 0/1
  integers: one-hot / multi-hot / soft-label rows (the class axis);
- lists of integers of varying length: tag ids per row (multi-label), profiled as the multi-hot rows
  they stand for (labels/tags.py), as wide as the largest id + 1 or the `ClassLabel` count a
  Hugging Face schema declares, whichever is larger. A null list is a row without tags.
Structs, maps, nested lists, dates and binary columns are not labels: one clear line says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from lossadvisor.inputs import InputError
from lossadvisor.labels.arrays import LabelStream, choose

FORMATS = {
    ".parquet": "Parquet", ".pq": "Parquet", ".arrow": "Arrow IPC", ".ipc": "Arrow IPC", ".feather": "Feather",
    ".jsonl": "JSON Lines", ".ndjson": "JSON Lines",
}  # fmt: skip
EXTRA = "pip install 'lossadvisor[arrow]'"
VALUES_PER_BATCH = 1 << 18  # Parquet batch: a million values (8 MiB of int64) of the label column
JSON_BLOCK_BYTES = 4 << 20
FLAG = "--column (`labels.column` in a config)"
MAX_STATE_CHARS = 1 << 20


@dataclass(frozen=True)
class Table:
    """An opened table: its column names and types, and the batches of one column."""

    schema: Any  # pyarrow.Schema
    batches: Any  # (column name) -> iterator of pyarrow arrays


def pyarrow_module():
    try:
        import pyarrow
    except ImportError:
        raise InputError(f"reading this file needs pyarrow: {EXTRA}") from None
    return pyarrow


def open_column(path: Path, column: str | int | None) -> tuple[LabelStream, tuple[str, ...] | None]:
    """The label column of a table file or of a `save_to_disk` folder, as a stream of chunks, and
    the class names its schema declares (a Hugging Face ClassLabel), if any."""
    pa = pyarrow_module()
    try:
        table = _saved_dataset(path) if path.is_dir() else _open(path, path.suffix.lower())
        name = _column_name(table.schema.names, column)
        field = table.schema.field(name)
        kind = _kind(field.type, name)
        names = class_label_names(table.schema, name)
        return _stream(table, name, kind, names), names
    except (pa.ArrowException, OSError) as exc:
        raise InputError(_unreadable(path, exc)) from None


def _unreadable(path: Path, exc: BaseException) -> str:
    what = "Hugging Face dataset folder" if path.is_dir() else f"{FORMATS.get(path.suffix.lower(), 'table')} file"
    text = str(exc).strip().splitlines()
    return f"not a readable {what}: {text[0] if text else type(exc).__name__}"


def _column_name(names: list[str], column: str | int | None) -> str:
    if column is not None and str(column) not in names and str(column).lstrip("-").isdigit():
        index = int(column)
        if -len(names) <= index < len(names):
            return names[index]
    return choose(list(names), None if column is None else str(column), what="column", flag=FLAG)


# --------------------------------------------------------------------------- the files


def _open(path: Path, suffix: str) -> Table:
    import pyarrow as pa

    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)  # the footer is read (and checked) here

        def parquet_batches(name: str) -> Iterator[Any]:
            width = _list_size(parquet.schema_arrow.field(name).type)
            for batch in parquet.iter_batches(batch_size=max(1, VALUES_PER_BATCH // width), columns=[name]):
                yield batch.column(0)

        return Table(parquet.schema_arrow, parquet_batches)
    if suffix in (".jsonl", ".ndjson"):
        import pyarrow.json as pj

        reader = pj.open_json(path, read_options=pj.ReadOptions(block_size=JSON_BLOCK_BYTES))
        return Table(reader.schema, lambda name: (batch.column(name) for batch in reader))
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic == b"ARROW1":  # the IPC file format (Feather v2); else the stream format (`datasets` shards)
        reader = pa.ipc.open_file(pa.OSFile(str(path)))
        batches = lambda name: (reader.get_batch(i).column(name) for i in range(reader.num_record_batches))  # noqa: E731
        return Table(reader.schema, batches)
    return _ipc_streams([path])


def _ipc_streams(paths: list[Path]) -> Table:
    """Arrow IPC stream files read one after the other (the shards of a saved dataset)."""
    import pyarrow as pa

    first = pa.ipc.open_stream(pa.OSFile(str(paths[0])))

    def batches(name: str) -> Iterator[Any]:
        for i, path in enumerate(paths):
            reader = first if i == 0 else pa.ipc.open_stream(pa.OSFile(str(path)))
            if reader.schema.names != first.schema.names:
                raise InputError(f"{path.name} has columns {', '.join(reader.schema.names)}, unlike the first shard")
            for batch in reader:
                yield batch.column(name)

    return Table(first.schema, batches)


def _saved_dataset(folder: Path) -> Table:
    """A folder written by `datasets`' `save_to_disk`: state.json lists its Arrow shards."""
    if (folder / "dataset_dict.json").is_file():
        splits = sorted(p.name for p in folder.iterdir() if (p / "state.json").is_file())
        raise InputError(f"a Hugging Face DatasetDict with splits {', '.join(splits) or '(none)'}: name one split's folder (e.g. {folder / (splits[0] if splits else 'train')})")
    try:
        with open(folder / "state.json", encoding="utf-8") as fh:
            state = json.loads(fh.read(MAX_STATE_CHARS))  # a few hundred bytes; more is not `datasets`' file
        files = [folder / entry["filename"] for entry in state["_data_files"]]
    except (ValueError, KeyError, TypeError):
        raise InputError("state.json does not list the dataset's data files (`_data_files`)") from None
    if not files:
        raise InputError("the dataset has no data files")
    for file in files:
        if file.parent != folder or not file.is_file():
            raise InputError(f"state.json names {file.name}, which is not a file in the folder")
    return _ipc_streams(files)


def class_label_names(schema, column: str) -> tuple[str, ...] | None:
    """The class names of a Hugging Face `ClassLabel` column (or a list of them), from the schema
    metadata `datasets` writes into every Arrow and Parquet file it saves."""
    raw = (schema.metadata or {}).get(b"huggingface")
    try:
        feature = json.loads(raw)["info"]["features"][column] if raw else None
        if isinstance(feature, dict) and feature.get("_type") in ("Sequence", "List", "LargeList"):
            feature = feature.get("feature")
        if isinstance(feature, dict) and feature.get("_type") == "ClassLabel":
            names = feature.get("names")
            return tuple(str(n) for n in names) if isinstance(names, list) and names else None
    except (ValueError, KeyError, TypeError):
        pass  # metadata we cannot read: the labels themselves still say what they are
    return None


# --------------------------------------------------------------------------- the column's kind


def _kind(t, name: str) -> str:
    """"scalar", "fixed" (fixed-size lists), "lists" (lists to be told apart on the first batch)."""
    import pyarrow.types as types

    if types.is_fixed_size_list(t):
        return "fixed" if _scalar(t.value_type) else _unsupported(t, name)
    if types.is_list(t) or types.is_large_list(t) or getattr(types, "is_list_view", lambda _: False)(t):
        return "lists" if _scalar(t.value_type) else _unsupported(t, name)
    return "scalar" if _scalar(t) else _unsupported(t, name)


def _scalar(t) -> bool:
    import pyarrow.types as types

    if types.is_dictionary(t):
        return _scalar(t.value_type)
    return any(
        check(t) for check in (types.is_integer, types.is_floating, types.is_boolean, types.is_string, types.is_large_string, types.is_decimal, types.is_null)
    ) or (hasattr(types, "is_string_view") and types.is_string_view(t))  # fmt: skip


def _unsupported(t, name: str):
    raise InputError(f"column '{name}' holds {t} values, which are not labels: labels are numbers, strings, or lists of them")


def _list_size(t) -> int:
    import pyarrow.types as types

    if types.is_fixed_size_list(t):
        return t.list_size
    return 64 if types.is_list(t) or types.is_large_list(t) else 1  # lists of varying length: a guess that bounds a batch


# --------------------------------------------------------------------------- batches → chunks


def _stream(table: Table, name: str, kind: str, names: tuple[str, ...] | None) -> LabelStream:
    counted = {"rows": 0}
    batches = table.batches(name)
    if kind == "scalar":
        chunks, width = (_scalars(a, counted) for a in _guarded(batches)), 1
    elif kind == "fixed":
        width = table.schema.field(name).type.list_size
        chunks = (_fixed(a, width, counted) for a in _guarded(batches))
    else:
        first, batches = _peek(_guarded(batches))
        width = _common_length(first)
        if width is None:
            chunks, width = _tags(batches, name, names, counted), 0
        else:
            chunks = (_equal_lists(a, width, name, counted) for a in batches)
    return LabelStream(None, width, chunks, lambda: (counted["rows"], *((width,) if width > 1 else ())), name)


def _guarded(batches: Iterator[Any]) -> Iterator[Any]:
    """The batches, turning errors met while reading into one line; an empty table says so."""
    import pyarrow as pa

    seen = 0
    try:
        for array in batches:
            seen += len(array)
            if len(array):
                yield array
    except (pa.ArrowException, OSError) as exc:
        text = str(exc).strip().splitlines()
        raise InputError(f"unreadable data: {text[0] if text else type(exc).__name__}") from None
    if seen == 0:
        raise InputError("the table has no rows")


def _peek(batches: Iterator[Any]) -> tuple[Any, Iterator[Any]]:
    import itertools

    first = next(batches)
    return first, itertools.chain([first], batches)


def _scalars(array, counted: dict) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.types as types

    counted["rows"] += len(array)
    if types.is_dictionary(array.type):
        array = array.dictionary_decode()
    t = array.type
    if types.is_null(t):
        return np.full(len(array), np.nan)
    if types.is_string(t) or types.is_large_string(t) or (hasattr(types, "is_string_view") and types.is_string_view(t)):
        return pc.fill_null(array, "").to_numpy(zero_copy_only=False).astype(str)  # "" is a missing class name
    if types.is_decimal(t) or array.null_count:
        array = array.cast(pa.float64())  # a missing cell is NaN, as in a CSV
    return array.to_numpy(zero_copy_only=False)


def _fixed(array, width: int, counted: dict) -> np.ndarray:
    """Fixed-size lists: their values, whole rows; a null row is a row of NaN."""
    counted["rows"] += len(array)
    values = _scalars(array.flatten(), {"rows": 0})  # flatten() leaves null rows out
    if array.null_count:
        values = np.concatenate([values.astype(np.float64), np.full(array.null_count * width, np.nan)])
    return values


def _common_length(array) -> int | None:
    """The row width when the lists hold a class axis (labels/tags.py says when); None for tag ids."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.types as types

    from lossadvisor.labels.tags import class_axis_rows

    integers = types.is_integer(array.type.value_type)
    lengths = pc.list_value_length(array).drop_null().to_numpy(zero_copy_only=False)
    if not integers and (lengths.size == 0 or lengths.min() != lengths.max()):
        _uneven(array)
    values = pc.list_flatten(array)
    zero_one = integers and pc.all(pc.is_in(values, value_set=pa.array([0, 1], type=values.type))).as_py()
    repeats = zero_one and any(len(row) != len(set(row)) for row in pc.drop_null(array).slice(0, 1000).to_pylist())
    return int(lengths[0]) if class_axis_rows(lengths, integers, bool(zero_one), repeats) else None


def _uneven(array):
    raise InputError(f"rows hold lists of different lengths of {array.type.value_type}: tag lists hold integer ids, class-axis rows have one length")


def _equal_lists(array, width: int, name: str, counted: dict) -> np.ndarray:
    import pyarrow.compute as pc

    lengths = pc.list_value_length(array).drop_null()
    if len(lengths) and pc.any(pc.not_equal(lengths, width)).as_py():
        raise InputError(f"column '{name}' holds lists of {width} values and lists of other lengths")
    counted["rows"] += len(array)
    values = _scalars(pc.list_flatten(array), {"rows": 0})
    if array.null_count:
        values = np.concatenate([values.astype(np.float64), np.full(array.null_count * width, np.nan)])
    return values


def _tags(batches: Iterator[Any], name: str, names: tuple[str, ...] | None, counted: dict) -> Iterator[Any]:
    """Lists of tag ids → multi-hot profiles, each chunk at its own width (the reader widens them)."""
    import pyarrow.compute as pc
    import pyarrow.types as types

    from lossadvisor.labels.tags import profile_tags

    for array in batches:
        if not types.is_integer(array.type.value_type):
            _uneven(array)
        lengths = pc.list_value_length(array).fill_null(0).to_numpy(zero_copy_only=False)
        ids = pc.list_flatten(array)
        if ids.null_count:
            raise InputError(f"column '{name}' holds a tag list with a missing (null) id")
        rows = np.repeat(np.arange(len(array), dtype=np.int64), lengths)
        try:
            yield profile_tags(rows, ids.to_numpy(zero_copy_only=False), len(array), len(names or ()))
        except ValueError as exc:
            raise InputError(f"column '{name}' holds lists of tag ids, and {exc}") from None
        counted["rows"] += len(array)


def profile_arrow(array):
    """The profile of one pyarrow array or chunked array (a pandas ArrowDtype partition), read as a
    table's column of that type is."""
    import pyarrow as pa

    from lossadvisor.labels.profile import LabelProfile, profile_chunk
    from lossadvisor.labels.tags import merge_widening

    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    table = Table(pa.schema([("labels", array.type)]), lambda name: iter(chunks))
    stream = _stream(table, "labels", _kind(array.type, "labels"), None)
    parts = [c if isinstance(c, LabelProfile) else profile_chunk(c, stream.width) for c in stream.chunks]
    merged = merge_widening(parts)
    return merged if stream.width == 0 else replace(merged, shape=stream.read_shape())
