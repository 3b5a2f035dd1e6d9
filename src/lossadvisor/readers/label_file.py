"""Label files (.npy, .npz, .csv, .tsv, .txt; with pyarrow also Parquet, Arrow IPC / Feather, JSON
Lines and `save_to_disk` folders) and class folders → a profile → `LabelFacts` for the checks.

Three ways in:
- `label_facts(path)`: a config's `labels.file`, or `lossadvisor check --labels FILE`. The whole
  file is profiled (in bounded memory).
- `read(source)`: the engine's reader for label files named on the command line or met while
  walking a directory: one setup carrying only the labels, so label-only rules (non-finite values)
  fire. To keep a walk cheap, only the first WALK_LIMIT_BYTES (or WALK_LIMIT_ROWS) are profiled, and
  the evidence says so. A table or archive that does not say which column or array holds the labels
  is not a label file: it yields no setup.
- `profile_file(path)`: the profile itself, for `lossadvisor labels` and `recommend --labels`.

The pyarrow formats (labels/arrow.py) and folders are read when named (`labels`, `--labels`,
`labels.file`), never while walking a directory: a data lake's Parquet files are not label files
to profile on every `lossadvisor check .`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import Path
from collections.abc import Callable
from typing import BinaryIO

from lossadvisor.facts import Fact, LabelFacts, Position, TrainingSetup
from lossadvisor.readers import InputError, Source

SUFFIXES = (".npy", ".npz", ".csv", ".tsv", ".txt")
TABLES = (".csv", ".tsv", ".txt")
WALK_LIMIT_BYTES = 256 * 1024 * 1024
WALK_LIMIT_ROWS = 2_000_000
MERGE_EVERY = 64  # chunk profiles merged at once (fewer numpy calls than one merge per chunk)


@dataclass(frozen=True)
class ProfiledFile:
    profile: object  # LabelProfile (numpy is imported lazily)
    name: str | None  # the .npz array or the table column read
    sample_note: str | None = None  # "profiled the first …" when only a part was read
    classes: tuple[str, ...] | None = None  # the class names the source declares (a ClassLabel, class folders)
    declared_by: str = ""  # where those names come from, as the evidence says it


def read_profiled(profiled: ProfiledFile):
    """The reading (labels/infer.py) of a profiled file, with the classes its source declares."""
    from lossadvisor.labels.infer import declare_classes, read_profile

    reading = read_profile(profiled.profile)
    return declare_classes(reading, profiled.classes, profiled.declared_by) if profiled.classes else reading


def profile_file(
    path: Path, *, key: str | None = None, column: str | int | None = None, data: bytes | None = None, sample: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ProfiledFile:  # fmt: skip
    """Profile a label file (or folder). Raises InputError for a file that is not one (or is broken).
    `progress(bytes_read, size)` is called after each chunk."""
    from lossadvisor.labels.arrow import FORMATS

    if data is None and path.is_dir():
        if key is not None:
            raise InputError("a key (--key) picks an array inside an .npz file; this is a folder")
        return _profile_folder(path, column)
    if data is None and not path.is_file():
        raise InputError("no such file" if not path.exists() else "not a file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES and suffix not in FORMATS:
        raise InputError(f"label files are {', '.join(SUFFIXES + tuple(FORMATS))} or a folder; got '{suffix or path.name}'")
    if key is not None and suffix != ".npz":
        raise InputError("a key (--key) picks an array inside an .npz file; this is not one")
    if column is not None and suffix not in TABLES and suffix not in FORMATS:
        raise InputError("a column (--column) picks a column of a table (.csv, .tsv, .txt, .parquet, .arrow, .feather, .jsonl); this is not one")
    if suffix in FORMATS and data is None:
        return _profile_table(path, column)
    try:
        return _profile_stream(path, suffix, key, column, data, sample, progress)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None


def _profile_stream(
    path: Path, suffix: str, key: str | None, column: str | int | None, data: bytes | None, sample: bool, progress=None
) -> ProfiledFile:  # fmt: skip
    from lossadvisor.labels.arrays import file_size, open_npy, open_npz

    limit_bytes = WALK_LIMIT_BYTES if sample else None
    with _open_binary(path, data) as fh:
        size = file_size(fh)
        if size == 0:
            raise InputError("empty file")
        if suffix == ".npy":
            stream = open_npy(fh, size, limit_bytes=limit_bytes)
        elif suffix == ".npz":
            stream = open_npz(fh, key, limit_bytes=limit_bytes)
        else:
            from lossadvisor.labels.tables import open_table

            text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
            stream = open_table(text, suffix, column, limit_rows=WALK_LIMIT_ROWS if sample else None)
        profile = _consume(stream, (lambda: progress(fh.tell(), size)) if progress else None)
    return ProfiledFile(profile, stream.name, _sample_note(profile.shape, stream.shape, sample))


def _profile_table(path: Path, column: str | int | None) -> ProfiledFile:
    """A column of a pyarrow table file, or of a `save_to_disk` folder."""
    from lossadvisor.labels.arrow import open_column

    stream, names = open_column(path, column)
    profile = _consume(stream, classes=len(names) if names else 0)  # no byte position to show progress with
    return ProfiledFile(profile, stream.name, classes=names, declared_by="the ClassLabel names")


def _profile_folder(path: Path, column: str | int | None) -> ProfiledFile:
    if (path / "state.json").is_file() or (path / "dataset_dict.json").is_file():
        return _profile_table(path, column)  # a Hugging Face `save_to_disk` folder
    if column is not None:
        raise InputError("a column (--column) picks a column of a table; this is a folder of class sub-folders")
    from lossadvisor.labels.folders import profile_class_folders

    profile, classes = profile_class_folders(path)
    return ProfiledFile(profile, None, classes=classes, declared_by="the folder has")


def _sample_note(read: tuple[int, ...], declared: tuple[int, ...] | None, sample: bool) -> str | None:
    if not sample:
        return None
    if declared is None:  # a table: its length is only known by reading it all
        return f"profiled the first {read[0]:,} rows" if read[0] >= WALK_LIMIT_ROWS else None
    return f"profiled the first {read[0]:,} of {declared[0]:,} samples" if read != declared else None


def _open_binary(path: Path, data: bytes | None) -> BinaryIO:
    return io.BytesIO(data) if data is not None else open(path, "rb")


def _consume(stream, after_chunk: Callable[[], None] | None = None, classes: int = 0):
    """Fold the chunks into one profile; value counting stops once there are too many values.
    A chunk may come profiled already (tag lists, each as wide as its largest id): such multi-hot
    profiles are widened to the widest before merging, and to `classes` at the end."""
    from lossadvisor.labels.profile import LabelProfile, profile_chunk
    from lossadvisor.labels.tags import merge_widening

    result, pending = None, []
    for chunk in stream.chunks:
        if after_chunk is not None:
            after_chunk()
        track = result is None or result.values is not None
        pending.append(chunk if isinstance(chunk, LabelProfile) else profile_chunk(chunk, stream.width, track_values=track))
        if len(pending) == MERGE_EVERY or result is None or not track:  # histograms are big: merge at once
            result = merge_widening([result, *pending] if result else pending)
            pending = []
    if pending:
        result = merge_widening([result, *pending] if result else pending)
    if result is None:
        raise InputError("holds no labels")
    if stream.width == 0:  # tag lists: the class axis is as wide as the ids (or the declared classes)
        return merge_widening([result], classes)
    return replace(result, shape=stream.read_shape())


# --------------------------------------------------------------------------- facts for the checks


def label_facts(
    path: Path, *, display: str | None = None, key: str | None = None, column: str | int | None = None,
    loaded_at: Position | None = None, dtype: str | None = None,
) -> LabelFacts:
    """Profile a label file into the facts the LA3xx rules use. Raises InputError for bad files.
    `loaded_at`: where code reads the file, so that the targets have a known dtype from there on:
    `dtype` when the reader gives one (np.loadtxt's float64), else the file's own (an .npy's stored
    dtype; a CSV column's as pandas types it, int64 for whole numbers, float64 for decimals or gaps)."""
    profiled = profile_file(path, key=key, column=column)
    facts = _facts(profiled, display or str(path))
    if loaded_at is not None:
        stored = path.suffix.lower() in (".npy", ".npz")
        shape = tuple(profiled.profile.shape) if stored else (profiled.profile.shape[0],) if column is not None else None
        facts = facts._replace(shape=shape)
        how = "as the reader gives them" if dtype else "as the file stores them" if stored else "as pandas types the column"
        facts = facts._replace(dtype=_dtype_category(dtype or profiled.profile.dtype, loaded_at, how))
    return facts


def _dtype_category(numpy_dtype: str, at: Position, how: str) -> Fact[str] | None:
    """float32 -> float, int64 -> int64 … as rules/frameworks.yaml `dtypes` names them (None for a
    dtype no framework's table names: bool, int16)."""
    from lossadvisor import knowledge

    category = knowledge.load().vocabulary.dtypes().get("names", {}).get(numpy_dtype)
    return Fact(category, at, how) if category is not None else None


def profile_facts(profile, display: str) -> LabelFacts:
    """The facts of a profile made elsewhere (`lossadvisor.profile(...)` on a Dask or Spark column)."""
    from lossadvisor.labels.profile import LabelProfile

    if not isinstance(profile, LabelProfile):
        raise TypeError(f"labels= takes a label file's path or a LabelProfile, not {type(profile).__name__}")
    return _facts(ProfiledFile(profile, None), display)


def _facts(profiled: ProfiledFile, display: str) -> LabelFacts:
    reading = read_profiled(profiled)
    evidence = reading.evidence
    if note := profiled.sample_note:
        evidence += f" ({note})"
    return LabelFacts(
        format=Fact(reading.format, Position(display)),
        num_classes=reading.num_classes,
        minimum=reading.minimum,
        maximum=reading.maximum,
        ignore_values=tuple(value for value, _ in reading.ignore),
        nan_count=profiled.profile.nan + profiled.profile.inf,
        source=display,
        evidence=evidence,
        inferred=True,
        samples=profiled.profile.samples,
    )


def read(source: Source) -> list[TrainingSetup]:
    """The engine's reader: one setup that carries only the labels."""
    from lossadvisor.labels.arrays import NoLabelChoice

    try:
        profiled = profile_file(source.path, data=source.data, sample=True)
    except NoLabelChoice:
        return []  # several columns or arrays, none named like labels: not a label file
    return [TrainingSetup(path=source.display, labels=_facts(profiled, source.display))]
