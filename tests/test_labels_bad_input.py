"""Broken label files: one clear line and exit 2, through `lossadvisor labels` and through
`lossadvisor check`, and nothing else affected (other files are still checked). Pickles are refused
without ever being unpickled."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from lossadvisor.engine import check_paths
from lossadvisor.command import run_labels as run
from lossadvisor.settings import Settings


def _npy(array: np.ndarray, **kw) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, **kw)
    return buf.getvalue()


WHOLE = _npy(np.arange(100, dtype=np.int64))

# file name -> (bytes, extra `labels` options, words the one line must hold)
BAD = {
    "object.npy": (_npy(np.array(["a", 1, None], dtype=object), allow_pickle=True), (), "never unpickles"),
    "corrupt_header.npy": (WHOLE[:10] + b"{'descr': '<i8', 'shape': (100,), " + WHOLE[60:], (), "corrupt .npy header"),
    "code_in_header.npy": (WHOLE[:10] + b"{'descr': __import__('os').getcwd(), 'fortran_order': False, 'shape': (1,)}     \n", (), "corrupt .npy header"),
    "not_numpy.npy": (b"PK\x03\x04 this is not an array at all", (), "not a .npy file"),
    "truncated.npy": (WHOLE[:-40], (), "truncated"),
    "empty.npy": (b"", (), "empty file"),
    "structured.npy": (_npy(np.zeros(3, dtype=[("x", "f4"), ("y", "i4")])), (), "structured array"),
    "complex.npy": (_npy(np.zeros(3, dtype=np.complex64)), (), "not labels"),
    "no_labels.npy": (_npy(np.zeros(0)), (), "no labels"),
    "nan_only.npy": (_npy(np.full(5, np.nan)), (), "all 5 values are NaN"),
    "broken.npz": (b"PK\x05\x06" + b"\x00" * 10, (), "not a valid .npz"),
    "missing_key.npz": (None, ("--key", "labels"), "no array 'labels'"),
    "ragged.csv": (b"id,label\n1,3\n2,4,9\n3,1\n", (), "line 3 has 3 fields"),
    "junk.csv": (b"label\n1\n0\nbanana\n1\n", (), "'banana' in column 'label' is not a number"),
    "nan_only.csv": (b"label\nNaN\n\nNA\n", (), "no usable labels"),
    "missing_column.csv": (b"id,target\n1,0\n2,1\n", ("--column", "label"), "no column 'label' (found: id, target)"),
    "latin1.csv": ("label\ncafé\nthé\n".encode("latin-1"), (), "not UTF-8"),
}


def _write(tmp_path: Path, name: str) -> Path:
    data = BAD[name][0]
    path = tmp_path / name
    if data is None:
        np.savez(path, y_true=np.arange(3))
    else:
        path.write_bytes(data)
    return path


def _options(extra: tuple[str, ...]) -> dict[str, str]:
    return {flag.lstrip("-"): value for flag, value in zip(extra[::2], extra[1::2])}


@pytest.mark.parametrize("name", BAD)
def test_labels_command_says_what_is_wrong_in_one_line(tmp_path: Path, capsys, name: str) -> None:
    path = _write(tmp_path, name)
    code = run(path, fmt="text", **_options(BAD[name][1]))
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"lossadvisor: error: {path}")
    assert BAD[name][2] in err


@pytest.mark.parametrize("name", [n for n in BAD if not BAD[n][1]])
def test_check_reports_one_la001_and_still_checks_the_other_files(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name)
    config = tmp_path / "train.yaml"
    config.write_text("model:\n  output: {units: 10, activation: softmax}\nloss: CrossEntropyLoss\n")
    report = check_paths([path, config], Settings(select=("ALL",)))
    errors = report.input_errors
    assert [(f.path, f.code) for f in errors] == [(str(path), "LA001")]
    assert BAD[name][2] in errors[0].message
    assert any(f.path == str(config) and f.code == "LA101" for f in report.findings)
    assert report.exit_code() == 2


def test_a_bad_label_file_named_by_a_config_points_at_its_line(tmp_path: Path) -> None:
    _write(tmp_path, "missing_column.csv")
    config = tmp_path / "train.yaml"
    config.write_text("loss: CrossEntropyLoss\nlabels:\n  file: missing_column.csv\n  column: label\n")
    (finding,) = check_paths([config]).findings
    assert (finding.code, finding.line) == ("LA001", 3)
    assert finding.message == "labels.file missing_column.csv: no column 'label' (found: id, target)"


def test_a_bad_paired_label_file_is_one_la001(tmp_path: Path) -> None:
    labels = _write(tmp_path, "truncated.npy")
    config = tmp_path / "train.yaml"
    config.write_text("loss: CrossEntropyLoss\n")
    report = check_paths([config], labels=labels)
    assert [(f.code, f.path) for f in report.findings] == [("LA001", str(labels))]
    assert report.exit_code() == 2


def test_pickles_are_never_unpickled(tmp_path: Path) -> None:
    """An object array whose unpickling would create a folder: proven live, then refused."""
    marker = tmp_path / "unpickled"

    class Payload:
        def __reduce__(self):
            return (os.mkdir, (str(marker),))

    path = tmp_path / "y.npy"
    np.save(path, np.array([Payload()], dtype=object), allow_pickle=True)
    np.load(path, allow_pickle=True)  # the payload is live ...
    assert marker.is_dir()
    marker.rmdir()
    config = tmp_path / "train.yaml"
    config.write_text("loss: CrossEntropyLoss\nlabels: {file: y.npy}\n")
    for args in (("labels", "y.npy"), ("check", "y.npy"), ("check", "train.yaml"), ("check", "--labels", "y.npy", "train.yaml")):
        proc = run_cli(*args, cwd=tmp_path)
        assert proc.returncode == 2, args
        assert "never unpickles" in proc.stdout + proc.stderr
    np.savez(tmp_path / "y.npz", y=np.array([Payload()], dtype=object))
    assert run_cli("labels", "y.npz", cwd=tmp_path).returncode == 2
    assert not marker.exists()  # ... and lossadvisor never ran it


def test_exit_code_and_single_line_through_the_installed_command(tmp_path: Path) -> None:
    _write(tmp_path, "ragged.csv")
    proc = run_cli("labels", "ragged.csv", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "lossadvisor: error: ragged.csv:3: ragged rows: line 3 has 3 fields, the first row has 2\n"
    proc = run_cli("check", "ragged.csv", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout.splitlines()[0] == "ragged.csv:3:1: LA001 [error] ragged rows: line 3 has 3 fields, the first row has 2"
