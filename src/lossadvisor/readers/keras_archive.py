"""Saved Keras models: `.keras` archives (Keras 3 `model.save`) and legacy `.h5` / `.hdf5` files.

A `.keras` file is a zip holding `config.json` (the model, and `compile_config` once compiled),
`metadata.json` (the Keras version) and the weights. Only the two JSON members are read, each
checked against the size cap before and while reading (a zip bomb is bad input); the weights are
never opened. A legacy HDF5 file carries the same JSON in the root attributes `model_config` and
`training_config`; reading them needs h5py (`pip install 'lossadvisor[h5]'`). An HDF5 file without
`model_config` (weights only, or a dataset) is not a model and yields nothing.

Archives have no lines: every fact points at the file (`Position(path, None)`), and messages name
the layer and the loss instead.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from lossadvisor.facts import Position, TrainingSetup
from lossadvisor.readers import MAX_DOCUMENT_BYTES, InputError, Source
from lossadvisor.readers.keras_model import SavedModel, from_config, setups

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
HDF5_SIGNATURE_OFFSETS = (0, 512, 1024, 2048)  # at the start, or after a user block
# Without h5py, a legacy Keras file is recognised by the name of its root attribute, which Keras
# writes before any weight; the scan stops after this many bytes.
HDF5_SCAN_BYTES = 4 * 1024 * 1024
H5_EXTRA_HINT = "reading Keras .h5 models needs h5py: pip install 'lossadvisor[h5]'"


def read(source: Source) -> list[TrainingSetup]:
    suffix = (source.path.suffix or Path(source.display).suffix).lower()
    saved = _read_hdf5(source) if suffix in (".h5", ".hdf5") else _read_zip(source)
    if saved is None:
        return []

    def locate(*_keys: Any) -> Position:
        return Position(source.display)

    return setups(saved, source.display, locate)


def _parse_json(data: bytes, member: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{member} is not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{member} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise InputError(f"{member} is too deeply nested to read") from None
    except ValueError:  # an integer over Python's 4,300-digit conversion limit
        raise InputError(f"{member} is not valid JSON: a number has more than 4,300 digits") from None


def _too_big(member: str, size: int) -> InputError:
    return InputError(f"{member} holds {size / 2**20:.0f} MiB uncompressed, over the {MAX_DOCUMENT_BYTES // 2**20} MiB limit for a model config")


# --------------------------------------------------------------------------- .keras (zip)


def _read_zip(source: Source) -> SavedModel:
    import zipfile
    import zlib

    try:
        archive = zipfile.ZipFile(io.BytesIO(source.data) if source.data is not None else source.path)
    except zipfile.BadZipFile:
        raise InputError("not a Keras archive: not a zip file") from None
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        if "config.json" not in members:
            raise InputError("not a Keras archive: no config.json in the zip (a .keras file holds config.json, metadata.json and the weights)")
        try:
            config = _parse_json(_read_member(archive, members["config.json"]), "config.json")
            metadata = _parse_json(_read_member(archive, members["metadata.json"]), "metadata.json") if "metadata.json" in members else {}
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise InputError(f"corrupt Keras archive: {exc}") from None
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    return from_config(config, version)


def _read_member(archive, info) -> bytes:
    """The member's bytes, refusing one whose declared or actual size is over the cap."""
    if info.flag_bits & 0x1:  # zipfile would raise with the member's repr in its message
        raise InputError(f"{info.filename} is encrypted: Keras never writes an encrypted archive")
    if info.file_size > MAX_DOCUMENT_BYTES:
        raise _too_big(info.filename, info.file_size)
    with archive.open(info) as fh:
        data = fh.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _too_big(info.filename, len(data))
    return data


# --------------------------------------------------------------------------- legacy .h5


def _read_hdf5(source: Source) -> SavedModel | None:
    head = source.data[:HDF5_SCAN_BYTES] if source.data is not None else _head_bytes(source)
    if not any(head.startswith(HDF5_SIGNATURE, offset) for offset in HDF5_SIGNATURE_OFFSETS):
        raise InputError("not an HDF5 file")
    try:
        import h5py
    except ImportError:
        if b"model_config" in head:
            raise InputError(H5_EXTRA_HINT) from None
        return None  # no model config near the start: weights or data, not a saved model
    try:
        with h5py.File(io.BytesIO(source.data) if source.data is not None else source.path, "r") as h5:
            model = _attribute(h5, "model_config")
            if model is None:
                return None
            training = _attribute(h5, "training_config")
            version = _attribute_text(h5.attrs.get("keras_version"))
    except OSError as exc:
        raise InputError(f"cannot read the HDF5 file: {exc}") from None
    model = _parse_json(model, "model_config")
    training = _parse_json(training, "training_config") if training is not None else {}
    loss = training.get("loss") if isinstance(training, dict) else None
    return SavedModel(model, loss, (), ("loss",), version)


def _head_bytes(source: Source) -> bytes:
    with open(source.path, "rb") as fh:
        return fh.read(HDF5_SCAN_BYTES)


def _attribute(h5, name: str) -> bytes | None:
    """A root attribute's JSON text. HDF5 attributes are stored uncompressed, so one is never
    larger than the file; the cap still applies to what is parsed."""
    if name not in h5.attrs:
        return None
    value = h5.attrs[name]
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value) if isinstance(value, (bytes, bytearray)) else None
    if data is None:
        raise InputError(f"the HDF5 attribute {name} is not JSON text")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _too_big(name, len(data))
    return data


def _attribute_text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None
