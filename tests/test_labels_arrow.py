"""Labels in Parquet, Arrow IPC / Feather, JSON Lines and Hugging Face `save_to_disk` folders, read
with the real pyarrow (and the real `datasets` for the saved folders): every column kind profiles
exactly as the same labels in a NumPy array do, batch after batch, and bad tables are one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from lossadvisor.command import run_labels
from lossadvisor.engine import check_paths
from lossadvisor.labels import arrow
from lossadvisor.labels.profile import profile
from lossadvisor.labels.tags import pad_classes, profile_tags
from lossadvisor.readers.label_file import profile_file, read_profiled
from lossadvisor.settings import Settings

ROWS = 5000
rng = np.random.default_rng(18)
IDS = rng.integers(0, 7, ROWS)
TAGS = [sorted(rng.choice(9, size=rng.integers(0, 4), replace=False).tolist()) for _ in range(ROWS)]
TAGS[:100] = [[0]] * 100  # the first batches hold only small ids: the width grows as reading goes on
FLOATS = rng.normal(size=ROWS)
FLOATS[::7] = np.nan
NAMES = np.array(["cat", "dog", "cow"])[IDS % 3]


def _multi_hot(tags: list[list[int]], width: int) -> np.ndarray:
    dense = np.zeros((len(tags), width), dtype=np.int64)
    for row, ids in enumerate(tags):
        dense[row, ids] = 1
    return dense


def _table() -> pa.Table:
    """One column per kind, and the NumPy array each must profile as."""
    names = NAMES.copy()
    names[::11] = ""
    return pa.table({
        "id": np.arange(ROWS),
        "label": IDS,
        "score": pa.array(FLOATS, from_pandas=True),  # NaN → null
        "flag": IDS % 2 == 0,
        "name": pa.array(np.where(names == "", None, names)).dictionary_encode(),
        "one_hot": pa.FixedSizeListArray.from_arrays(pa.array(np.eye(7)[IDS].ravel()), 7),
        "soft": pa.array(list(np.eye(7)[IDS] * 0.5 + 0.5 / 7)),  # variable-size list type, one length
        "tags": pa.array(TAGS, type=pa.list_(pa.int64())),
    })  # fmt: skip


EXPECTED = {
    "label": IDS,
    "score": FLOATS,
    "flag": IDS % 2 == 0,
    "name": np.where(np.arange(ROWS) % 11 == 0, "", NAMES),
    "one_hot": np.eye(7)[IDS],
    "soft": np.eye(7)[IDS] * 0.5 + 0.5 / 7,
    "tags": _multi_hot(TAGS, 9),
}


def _write(table: pa.Table, path: Path) -> Path:
    suffix = path.suffix
    if suffix == ".parquet":
        pq.write_table(table, path, row_group_size=700)
    elif suffix == ".feather":
        feather.write_feather(table, path, chunksize=600)
    elif suffix == ".arrow":  # the stream format, as `datasets` writes its shards
        with pa.ipc.new_stream(path, table.schema) as writer:
            writer.write_table(table, max_chunksize=800)
    else:
        with open(path, "w") as fh:
            for row in table.to_pylist():
                fh.write(json.dumps(row) + "\n")
    return path


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tables")
    table = _table()
    paths = {suffix: _write(table, folder / f"labels{suffix}") for suffix in (".parquet", ".feather", ".arrow")}
    paths[".jsonl"] = _write(table.drop_columns(["name", "one_hot"]), folder / "labels.jsonl")  # JSON has no dictionary or fixed-size type
    return paths


CASES = [(s, c) for s in (".parquet", ".feather", ".arrow", ".jsonl") for c in EXPECTED if not (s == ".jsonl" and c in ("name", "one_hot"))]


@pytest.mark.parametrize(("suffix", "column"), CASES)
def test_every_column_kind_profiles_as_the_same_labels_in_numpy(tables, monkeypatch, suffix: str, column: str) -> None:
    monkeypatch.setattr(arrow, "VALUES_PER_BATCH", 3000)  # many Parquet batches, so merging is exercised
    monkeypatch.setattr(arrow, "JSON_BLOCK_BYTES", 64 << 10)
    got = profile_file(tables[suffix], column=column)
    assert got.name == column
    assert got.profile == profile(EXPECTED[column])


def test_tag_lists_read_as_multi_hot_rows_as_wide_as_the_largest_id(tables) -> None:
    reading = read_profiled(profile_file(tables[".parquet"], column="tags"))
    assert (reading.format, reading.num_classes) == ("multi_hot", 9)
    assert reading.per_row == pytest.approx(sum(map(len, TAGS)) / ROWS)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(st.integers(0, 11), max_size=5), min_size=1, max_size=30),
    extra=st.integers(0, 5),
)
def test_tag_profiles_widen_exactly(rows: list[list[int]], extra: int) -> None:
    """A tag profile padded to W columns is the profile of the multi-hot rows at W columns."""
    index = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    ids = np.array([i for r in rows for i in r], dtype=np.int64)
    narrow = profile_tags(index, ids, len(rows))
    width = narrow.shape[1] + extra
    assert narrow == profile(_multi_hot(rows, narrow.shape[1]))
    assert pad_classes(narrow, width) == profile(_multi_hot(rows, width))


def test_a_column_is_picked_by_name_by_index_or_by_its_label_like_name(tables) -> None:
    assert profile_file(tables[".parquet"]).name == "label"
    assert profile_file(tables[".parquet"], column="1").name == "label"
    assert profile_file(tables[".parquet"], column="score").name == "score"


# --------------------------------------------------------------------------- Hugging Face datasets


def test_a_saved_dataset_gives_its_classlabel_count_and_names(tmp_path: Path) -> None:
    import datasets  # a test dependency: the real `save_to_disk` layout
    features = datasets.Features({
        "label": datasets.ClassLabel(names=["cat", "dog", "cow", "owl"]),  # owl never occurs
        "tags": datasets.Sequence(datasets.ClassLabel(names=["a", "b", "c", "d", "e", "f"])),
        "text": datasets.Value("string"),
    })  # fmt: skip
    data = {"label": [0, 1, 2, 1, 0, 2] * 50, "tags": [[0, 2], [1], [], [3], [0], [1, 2]] * 50, "text": ["x"] * 300}
    folder = tmp_path / "saved"
    datasets.Dataset.from_dict(data, features=features).save_to_disk(str(folder), num_shards=3)
    assert len(list(folder.glob("*.arrow"))) == 3
    reading = read_profiled(profile_file(folder, column="label"))
    assert (reading.format, reading.num_classes, reading.maximum) == ("class_ids", 4, 3)
    assert reading.empty_classes == ("3 (owl)",)
    assert "the ClassLabel names 4 classes (cat, dog, cow, owl)" in reading.evidence
    tags = profile_file(folder, column="tags")
    assert tags.profile == profile(_multi_hot(data["tags"], 6))  # 6 names, though id 5 never occurs
    assert read_profiled(tags).num_classes == 6
    assert read_profiled(profile_file(folder)).num_classes == 4  # `label` is taken by default
    exported = tmp_path / "train.parquet"
    datasets.Dataset.from_dict(data, features=features).to_parquet(str(exported))  # the features ride in the schema
    assert read_profiled(profile_file(exported, column="label")).num_classes == 4

    splits = tmp_path / "splits"
    datasets.DatasetDict({"train": datasets.Dataset.from_dict(data, features=features)}).save_to_disk(str(splits))
    code, err = _labels(splits)
    assert code == 2 and "a Hugging Face DatasetDict with splits train: name one split's folder" in err
    assert read_profiled(profile_file(splits / "train")).num_classes == 4


# --------------------------------------------------------------------------- through the commands


def test_labels_recommend_check_and_configs_read_a_column(tables, tmp_path: Path) -> None:
    path = tables[".parquet"]
    proc = run_cli("labels", str(path), "--column", "tags", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert (json.loads(proc.stdout)["format"], json.loads(proc.stdout)["num_classes"]) == ("multi_hot", 9)
    proc = run_cli("recommend", "--labels", str(path), "--column", "tags", "--format", "json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["task"] == "multilabel"
    assert run_cli("recommend", "--column", "tags").returncode == 2
    assert run_cli("check", "--labels-column", "tags", str(tmp_path)).stderr.startswith("lossadvisor: error: --labels-column picks")
    config = tmp_path / "train.yaml"
    config.write_text("model:\n  output: {units: 9, activation: softmax}\nloss: categorical_crossentropy\n")
    proc = run_cli("check", "--labels", str(path), "--labels-column", "tags", str(config))
    assert proc.returncode == 1 and "LA304" in proc.stdout and "multi-hot" in proc.stdout
    (tmp_path / "labels.parquet").write_bytes(path.read_bytes())
    config.write_text(config.read_text() + "labels:\n  file: labels.parquet\n  column: tags\n")
    assert [f.code for f in check_paths([config]).findings] == ["LA304"]


# --------------------------------------------------------------------------- bad input


def _bad(tmp_path: Path) -> dict[str, tuple[Path, dict, str]]:
    """name -> (path, options, what the one line says)."""
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"id": [1, 2], "label": [0, 1]}), good)
    struct = tmp_path / "struct.parquet"
    pq.write_table(pa.table({"label": pa.array([{"a": 1}, {"a": 2}])}), struct)
    mapping = tmp_path / "map.parquet"
    pq.write_table(pa.table({"label": pa.array([[("a", 1)]], type=pa.map_(pa.string(), pa.int64()))}), mapping)
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(good.read_bytes()[:-12] + b"\x00" * 8 + b"PAR1")  # a broken footer
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"label": pa.array([], type=pa.int64())}), empty)
    empty_ipc = tmp_path / "empty.feather"
    feather.write_feather(pa.table({"label": pa.array([], type=pa.int64())}), empty_ipc)
    no_classes = tmp_path / "photos"
    no_classes.mkdir()
    (no_classes / "a.jpg").write_bytes(b"")
    ragged = tmp_path / "ragged.jsonl"
    ragged.write_text('{"label": [0.5, 0.5]}\n{"label": [1.0]}\n')
    return {
        "missing column": (good, {"column": "lable"}, "no column 'lable' (found: id, label); did you mean `label`?"),
        "struct": (struct, {}, "column 'label' holds struct<a: int64> values, which are not labels"),
        "map": (mapping, {}, "column 'label' holds map<string, int64"),
        "corrupt footer": (corrupt, {}, "not a readable Parquet file"),
        "empty table": (empty, {}, "the table has no rows"),
        "empty feather": (empty_ipc, {}, "the table has no rows"),
        "no class folders": (no_classes, {}, "no class sub-folders"),
        "ragged float lists": (ragged, {}, "lists of different lengths"),
    }


def _labels(path: Path, **options) -> tuple[int, str]:
    proc = run_cli("labels", str(path), *[x for k, v in options.items() for x in (f"--{k}", v)])
    assert proc.stdout == ""
    return proc.returncode, proc.stderr


def test_bad_tables_and_folders_are_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    for name, (path, options, says) in _bad(tmp_path).items():
        code = run_labels(path, progress=False, **options)
        out, err = capsys.readouterr()
        assert (code, out) == (2, ""), name
        assert err.count("\n") == 1 and err.startswith(f"lossadvisor: error: {path}: "), (name, err)
        assert says in err, (name, err)


def test_a_bad_paired_table_is_one_la001_and_the_other_files_are_checked(tmp_path: Path) -> None:
    config = tmp_path / "train.yaml"
    config.write_text("model:\n  output: {units: 10, activation: softmax}\nloss: CrossEntropyLoss\n")
    for name, (path, options, says) in _bad(tmp_path).items():
        report = check_paths([config], Settings(select=("ALL",)), labels=path, labels_column=options.get("column"))
        assert [(f.code, f.path) for f in report.input_errors] == [("LA001", str(path))], name
        assert says in report.input_errors[0].message
        assert any(f.code == "LA101" for f in report.findings)
        assert report.exit_code() == 2


def test_the_missing_extra_is_named_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "y.parquet"
    pq.write_table(pa.table({"label": [0, 1]}), path)
    script = "import sys; sys.modules['pyarrow'] = None\nfrom lossadvisor.cli import main\nmain(['labels', sys.argv[1]])"
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"lossadvisor: error: {path}: reading this file needs pyarrow: pip install 'lossadvisor[arrow]'\n"


def test_pyarrow_is_imported_only_for_such_a_file(tmp_path: Path) -> None:
    np.save(tmp_path / "y.npy", IDS)
    script = (
        "import sys, lossadvisor; from lossadvisor.readers.label_file import profile_file; from pathlib import Path\n"
        "profile_file(Path(sys.argv[1])); lossadvisor.check_paths([sys.argv[1]])\n"
        "assert not {'pyarrow', 'dask', 'pyspark'} & set(sys.modules), sorted(sys.modules)"
    )  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "y.npy")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- class folders


def test_class_folders_count_every_sub_folder_and_the_files_at_any_depth(tmp_path: Path) -> None:
    root = tmp_path / "train"
    for name, files in (("cat", 4), ("dog", 2), ("eel", 0)):
        (root / name).mkdir(parents=True)
        for i in range(files):
            (root / name / f"{i}.jpg").write_bytes(b"")
    (root / "dog" / "more").mkdir()
    (root / "dog" / "more" / "x.jpg").write_bytes(b"")
    (root / "cat" / ".DS_Store").write_bytes(b"")  # hidden: not a sample
    (root / ".cache").mkdir()  # hidden: not a class
    (root / "README.md").write_bytes(b"")  # a file beside the classes: not a class
    profiled = profile_file(root)
    assert profiled.profile == profile(np.array([0] * 4 + [1] * 3))  # ids in sorted order of the names
    reading = read_profiled(profiled)
    assert (reading.format, reading.num_classes, reading.empty_classes) == ("class_ids", 3, ("2 (eel)",))
    config = tmp_path / "train.yaml"
    config.write_text("model:\n  output: {units: 2}\nloss: CrossEntropyLoss\nlabels: {file: train}\n")
    (finding,) = check_paths([config]).findings
    assert finding.code == "LA310" and "use 3 output units" in finding.message  # the empty class counts


def test_counting_class_folders_is_bounded(tmp_path: Path, monkeypatch) -> None:
    from lossadvisor.labels import folders

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for i in range(5):
            (tmp_path / name / str(i)).write_bytes(b"")
    monkeypatch.setattr(folders, "MAX_FILES", 7)
    with pytest.raises(folders.InputError, match="more than 7 files"):
        profile_file(tmp_path)
    monkeypatch.setattr(folders, "MAX_FILES", 100)
    monkeypatch.setattr(folders, "MAX_SECONDS", -1.0)
    with pytest.raises(folders.InputError, match="took over"):
        profile_file(tmp_path)
