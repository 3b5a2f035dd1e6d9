"""Label arrays in `.npy` and `.npz` files, read in bounded memory and never unpickled.

The header is parsed with NumPy's own reader (`np.lib.format`, which uses a literal parser, never
pickle); then the data is read into one reused 16 MiB buffer, chunk by chunk. Neither `np.load` of
the whole array nor a memory map is used: a memory map of an 800 MB file ends up resident as it is
scanned. Object arrays (pickles), structured arrays, truncated data and corrupt headers are
`InputError`s with one clear line.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from lossadvisor.inputs import InputError

CHUNK_BYTES = 1024 * 1024
LABEL_NAMES = ("y", "labels", "label", "targets", "target")  # the array (or column) taken by default
MAX_FORTRAN_BYTES = 256 * 1024 * 1024  # column-major (N, C) arrays are read whole to get their rows
LABEL_KINDS = "biufUS"  # bool, ints, floats, text


MAX_LABEL_BYTES = 1024  # one label (a class name as a fixed-size string) is never longer
MAX_DECLARED_BYTES = 1 << 50  # a header declaring more than a PiB of data is corrupt


class NoLabelChoice(InputError):
    """Several arrays or columns and none is named like labels: the user has to pick one."""


@dataclass
class LabelStream:
    """An opened label source: what it holds and a generator of flat chunks of whole vectors."""

    shape: tuple[int, ...] | None  # as declared; None when only known at the end (tables)
    width: int  # values per class-axis vector
    chunks: Iterator[np.ndarray]
    read_shape: Callable[[], tuple[int, ...]]  # the shape of what the chunks covered, once read
    name: str | None = None  # the .npz array or the table column


def open_npy(fh: BinaryIO, available: int | None, *, limit_bytes: int | None = None, name: str | None = None) -> LabelStream:
    """Read the header of a .npy stream; `available` is the byte count from the header on, if known."""
    start = fh.tell()
    shape, fortran, dtype = read_header(fh)
    _check_dtype(dtype)
    if any(not isinstance(n, int) or n < 0 for n in shape):
        raise InputError(f"corrupt .npy header: the shape {shape!r} has a negative or non-integer size")
    count = 1
    for n in shape:
        count *= n  # Python ints: a declared shape cannot overflow here
    if count * dtype.itemsize > MAX_DECLARED_BYTES:
        raise InputError(f"corrupt .npy header: the shape {shape_text(tuple(shape))} of {dtype} declares more than {MAX_DECLARED_BYTES >> 50} PiB")
    if not shape:
        raise InputError("holds a single value, not an array of labels")
    if count == 0:
        raise InputError(f"holds no labels (shape {shape_text(shape)})")
    nbytes = count * dtype.itemsize
    if available is not None:
        after_header = available - (fh.tell() - start)
        if after_header < nbytes:
            raise InputError(
                f"truncated: the header promises {count:,} values of {dtype} ({nbytes:,} bytes) but {max(after_header, 0):,} bytes follow"
            )
    width = shape[-1] if len(shape) > 1 else 1
    per_sample = count // shape[0]
    samples = shape[0]
    if limit_bytes is not None:
        samples = min(samples, max(1, limit_bytes // max(1, per_sample * dtype.itemsize)))
    if fortran and len(shape) > 1 and width > 1:
        chunks = _fortran_chunks(fh, dtype, shape, samples)
    else:
        chunks = _chunks(fh, dtype, samples * per_sample, width)
    return LabelStream(tuple(shape), width, chunks, lambda: (samples, *shape[1:]), name)


def read_header(fh: BinaryIO) -> tuple[tuple[int, ...], bool, np.dtype]:
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
    except ValueError:
        raise InputError("not a .npy file (no NumPy header)") from None
    try:
        if version == (1, 0):
            return fmt.read_array_header_1_0(fh)
        if version == (2, 0):
            return fmt.read_array_header_2_0(fh)
    except ValueError as exc:
        raise InputError(f"corrupt .npy header: {_first_line(exc)}") from None
    except Exception:  # noqa: BLE001 - NumPy's header parser raises tokenizer/syntax errors on junk
        raise InputError("corrupt .npy header: its description of the array cannot be parsed") from None
    raise InputError(f"unsupported .npy format version {version[0]}.{version[1]}")


def _check_dtype(dtype: np.dtype) -> None:
    if dtype.hasobject:
        raise InputError("holds Python objects (a pickled object array): lossadvisor never unpickles files; save the labels as numbers or strings")
    if dtype.names:
        raise InputError(f"is a structured array (fields {', '.join(dtype.names)}): save the label field alone")
    if dtype.kind not in LABEL_KINDS or dtype.subdtype is not None:
        raise InputError(f"holds {dtype} values, which are not labels (numbers or strings)")
    if dtype.itemsize > MAX_LABEL_BYTES:
        raise InputError(f"holds {dtype} values of {dtype.itemsize:,} bytes each; a label is at most {MAX_LABEL_BYTES:,} bytes")


def _chunks(fh: BinaryIO, dtype: np.dtype, count: int, width: int) -> Iterator[np.ndarray]:
    """Flat chunks of whole vectors, read into one reused buffer: each chunk is only valid until
    the next one is read."""
    per_chunk = max(1, CHUNK_BYTES // (width * dtype.itemsize)) * width
    buffer = bytearray(min(count, per_chunk) * dtype.itemsize)
    view = memoryview(buffer)
    left = count
    while left:
        take = min(left, per_chunk)
        want = take * dtype.itemsize
        _read_exactly(fh, view[:want], count)
        yield np.frombuffer(buffer, dtype=dtype, count=take)
        left -= take


def _read_exactly(fh: BinaryIO, target: memoryview, count: int) -> None:
    got = 0
    try:
        while got < len(target):
            n = fh.readinto(target[got:])
            if not n:
                raise InputError(f"truncated: the data ends before the {count:,} values its header promises")
            got += n
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise InputError(f"corrupt archive member: {_first_line(exc)}") from None


def _fortran_chunks(fh: BinaryIO, dtype: np.dtype, shape: tuple[int, ...], samples: int) -> Iterator[np.ndarray]:
    """Column-major arrays keep each class-axis vector scattered: read them whole (capped)."""
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if nbytes > MAX_FORTRAN_BYTES:
        raise InputError(f"is a column-major (Fortran-order) array over {MAX_FORTRAN_BYTES >> 20} MiB: save it with np.ascontiguousarray")
    buffer = bytearray(nbytes)
    _read_exactly(fh, memoryview(buffer), nbytes // dtype.itemsize)
    array = np.frombuffer(buffer, dtype=dtype).reshape(shape, order="F")[:samples]
    yield np.ascontiguousarray(array).reshape(-1)


# --------------------------------------------------------------------------- .npz archives


def open_npz(fh: BinaryIO, key: str | None, *, limit_bytes: int | None = None) -> LabelStream:
    try:
        archive = zipfile.ZipFile(fh)
        members = {info.filename[:-4]: info for info in archive.infolist() if info.filename.endswith(".npy")}
    except (zipfile.BadZipFile, EOFError, zlib.error, ValueError) as exc:
        raise InputError(f"not a valid .npz archive: {_first_line(exc)}") from None
    if not members:
        raise InputError("the .npz archive holds no arrays")
    name = choose(list(members), key, what="array", flag="--key (`labels.key` in a config)")
    info = members[name]
    try:
        member = archive.open(info)
    except (RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error) as exc:
        raise InputError(f"cannot open array '{name}': {_first_line(exc)}") from None
    try:
        return open_npy(member, info.file_size, limit_bytes=limit_bytes, name=name)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise InputError(f"corrupt array '{name}': {_first_line(exc)}") from None


def choose(names: list[str], wanted: str | int | None, *, what: str, flag: str) -> str:
    """The array (or column) holding the labels: the one asked for, else one named like labels,
    else the only one."""
    if wanted is not None:
        if str(wanted) in names:
            return str(wanted)
        from lossadvisor.suggest import did_you_mean

        raise InputError(f"no {what} '{wanted}' (found: {_listing(names)}){did_you_mean(str(wanted), names)}")
    lowered = {n.lower(): n for n in names}
    for candidate in LABEL_NAMES:
        if candidate in lowered:
            return lowered[candidate]
    if len(names) == 1:
        return names[0]
    raise NoLabelChoice(f"{len(names)} {what}s ({_listing(names)}) and none is named y, labels or targets: pick one with {flag}")


def _listing(names: list[str], shown: int = 8) -> str:
    more = f", … {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def file_size(fh: BinaryIO) -> int | None:
    try:
        return os.fstat(fh.fileno()).st_size - fh.tell()
    except (OSError, AttributeError, ValueError):
        try:
            here = fh.tell()
            end = fh.seek(0, os.SEEK_END)
            fh.seek(here)
            return end - here
        except (OSError, AttributeError, ValueError):
            return None
