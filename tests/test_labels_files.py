"""Label files of every supported format and label kind, on arrays the tests generate: the format
lossadvisor infers, the facts the checks get, and the chunked reading (small chunks here, so the
chunk boundaries fall everywhere) giving exactly the profile of the whole array."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lossadvisor.labels import arrays, tables
from lossadvisor.readers import label_file as files
from lossadvisor.readers.label_file import label_facts, profile_file
from lossadvisor.recommend import infer_task_from_file
from lossadvisor.labels.profile import profile
from lossadvisor.readers import Source

RNG = np.random.default_rng(7)


def _soft(n: int, c: int) -> np.ndarray:
    x = RNG.random((n, c)).astype(np.float32)
    return x / x.sum(axis=1, keepdims=True)


def _with_void(masks: np.ndarray) -> np.ndarray:
    masks[0, 0, :3] = 255
    return masks


# (labels, format, num_classes, words the evidence must hold)
KINDS = {
    "binary": (RNG.integers(0, 2, 300).astype(np.float32), "binary", 2, "0 and 1"),
    "binary_bool": (RNG.random(50) < 0.5, "binary", 2, "0 and 1"),
    "signed": (RNG.choice([-1, 1], 80), "signed_binary", 2, "-1 and 1"),
    "class_ids": (RNG.integers(0, 8, 500), "class_ids", 8, "8 integer values 0..7"),
    "class_ids_1_based": (RNG.integers(1, 11, 500), "class_ids", 10, "10 integer values 1..10"),
    "segmentation_masks": (RNG.integers(0, 5, (6, 9, 9)).astype(np.uint8), "class_ids", 5, "5 integer values 0..4"),
    "segmentation_void": (_with_void(RNG.integers(0, 21, (4, 16, 16)).astype(np.uint8)), "class_ids", 21, "21 integer values 0..20"),
    "one_hot": (np.eye(6, dtype=np.float32)[RNG.integers(0, 6, 90)], "one_hot", 6, "single 1"),
    "multi_hot": ((RNG.random((90, 7)) < 0.3).astype(np.uint8), "multi_hot", 7, "ones per row"),
    "binary_masks": ((RNG.random((5, 8, 8)) < 0.5).astype(np.uint8), "binary", 2, "0/1 masks"),
    "distribution": (_soft(70, 5), "distribution", 5, "sum to 1"),
    "unit_interval": (RNG.random(200), "unit_interval", None, "between"),
    "continuous": (RNG.normal(size=300) * 5, "continuous", None, "real values from"),
    "nonnegative": (RNG.random(300) * 40 + 0.5, "nonnegative", None, "non-negative real values"),
    "counts": (np.minimum(RNG.geometric(0.3, 5000) - 1, 60), "counts", None, "integer values"),
    "class_names": (RNG.choice(["cat", "dog", "bird"], 60), "class_names", 3, "3 class names"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_npy_label_kinds(tmp_path: Path, kind: str) -> None:
    labels, fmt, classes, words = KINDS[kind]
    path = tmp_path / f"{kind}.npy"
    np.save(path, labels)
    facts = label_facts(path, display="y.npy")
    assert facts.format is not None and facts.format.value == fmt
    assert facts.format.at.path == "y.npy" and facts.format.at.line is None
    assert facts.num_classes == classes
    assert words in facts.evidence
    assert facts.source == "y.npy"


def test_ignore_labels_are_kept_out_of_the_range(tmp_path: Path) -> None:
    path = tmp_path / "masks.npy"
    np.save(path, KINDS["segmentation_void"][0])
    facts = label_facts(path)
    assert facts.ignore_values == (255,)
    assert (facts.minimum, facts.maximum) == (0, 20)
    ids = np.concatenate([RNG.integers(0, 4, 100), [-100] * 5])
    np.save(path, ids)
    assert label_facts(path).ignore_values == (-100,) and label_facts(path).minimum == 0


def test_a_lone_255_next_to_one_other_value_is_not_an_ignore_label(tmp_path: Path) -> None:
    """0/255 masks (saved images) are two values, not "0 plus an ignore label"."""
    path = tmp_path / "mask.npy"
    np.save(path, RNG.choice([0, 255], 100).astype(np.uint8))
    facts = label_facts(path)
    assert facts.ignore_values == () and facts.maximum == 255


def test_masks_of_a_few_grey_levels_are_ids_that_look_like_colours(tmp_path: Path) -> None:
    """Masks saved as images hold a few values spread over 0..255: read as class ids (so LA310
    compares them with the output and says they look like colours), and 255 among them is one of
    the grey levels, not VOC's void label above dense ids."""
    path = tmp_path / "masks.npy"
    palette = np.array([0, 38, 75, 113, 150, 255], dtype=np.uint8)
    np.save(path, palette[RNG.integers(0, 6, (4, 16, 16))])
    facts = label_facts(path)
    assert facts.format.value == "class_ids" and facts.num_classes == 6
    assert facts.ignore_values == () and facts.maximum == 255


def test_a_rare_negative_value_next_to_class_ids_is_read_as_an_id_below_zero(tmp_path: Path) -> None:
    """-3 on a few labels of 0..9 is a marker (or a mistake), not a sign of regression targets: the
    checks see ids going down to -3 (LA310 then says to pass it as the ignore index). Integers whose
    negative values are common stay what they look like: integer-valued measurements."""
    path = tmp_path / "ids.npy"
    ids = RNG.integers(0, 10, 2000)
    ids[:7] = -3
    np.save(path, ids)
    facts = label_facts(path)
    assert facts.format.value == "class_ids" and facts.num_classes == 10
    assert (facts.minimum, facts.maximum) == (-3, 9)
    np.save(path, RNG.integers(-5, 5, 2000))
    assert label_facts(path).format.value == "continuous"


def test_nan_and_infinite_values_are_counted(tmp_path: Path) -> None:
    y = RNG.integers(0, 3, 40).astype(np.float64)
    y[[1, 5]] = np.nan
    y[9] = np.inf
    np.save(tmp_path / "y.npy", y)
    facts = label_facts(tmp_path / "y.npy")
    assert facts.nan_count == 3 and facts.format.value == "class_ids"


@pytest.mark.parametrize(
    "labels",
    [
        RNG.integers(0, 9, 1001),
        RNG.integers(-5, 300, 777).astype(np.int16),
        RNG.integers(0, 4, (37, 5, 3)).astype(np.uint8),
        np.eye(7)[RNG.integers(0, 7, 123)],
        np.asfortranarray(np.eye(7)[RNG.integers(0, 7, 50)]),
        (RNG.random((61, 4)) < 0.4),
        np.where(RNG.random(500) < 0.05, np.nan, RNG.normal(size=500)),
        RNG.random(300).astype(np.float16),
        RNG.integers(0, 5, 99).astype(">i8"),
        RNG.choice(["a", "bb", "ccc", ""], 101),
    ],
    ids=["int64", "int16", "masks", "one_hot", "fortran", "bool_rows", "floats_nan", "float16", "big_endian", "text"],
)
def test_chunked_npy_reading_equals_the_whole_profile(tmp_path: Path, monkeypatch, labels: np.ndarray) -> None:
    monkeypatch.setattr(arrays, "CHUNK_BYTES", 40)  # a few values per chunk: boundaries everywhere
    monkeypatch.setattr(files, "MERGE_EVERY", 3)
    path = tmp_path / "y.npy"
    np.save(path, labels)
    assert profile_file(path).profile == profile(labels)


def test_chunked_npz_member_reading(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(arrays, "CHUNK_BYTES", 64)
    y = RNG.integers(0, 12, 999)
    np.savez_compressed(tmp_path / "data.npz", x=RNG.random((999, 2)), y=y)
    profiled = profile_file(tmp_path / "data.npz")
    assert profiled.name == "y" and profiled.profile == profile(y)


def test_chunked_csv_reading(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(tables, "ROWS_PER_CHUNK", 7)
    y = RNG.integers(0, 6, 200)
    rows = "\n".join(f"{i},{v}" for i, v in enumerate(y))
    (tmp_path / "y.csv").write_text(f"id,label\n{rows}\n")
    assert profile_file(tmp_path / "y.csv").profile == profile(y)


@pytest.mark.parametrize(
    ("arrays_", "key", "chosen"),
    [
        ({"x": np.zeros((3, 2)), "y": np.array([0, 1, 1])}, None, "y"),
        ({"features": np.zeros((3, 2)), "labels": np.array([0, 1, 1])}, None, "labels"),
        ({"inputs": np.zeros(3), "targets": np.array([0, 2, 1])}, None, "targets"),
        ({"anything": np.array([0, 1, 1])}, None, "anything"),
        ({"a": np.arange(3), "b": np.array([1, 0, 1])}, "b", "b"),
    ],
)
def test_npz_array_choice(tmp_path: Path, arrays_: dict, key: str | None, chosen: str) -> None:
    np.savez(tmp_path / "d.npz", **arrays_)
    profiled = profile_file(tmp_path / "d.npz", key=key)
    assert profiled.name == chosen and profiled.profile == profile(arrays_[chosen])


@pytest.mark.parametrize(
    ("name", "text", "column", "expected"),
    [
        ("y.csv", "id,label\n1,2\n2,0\n3,1\n", None, [2, 0, 1]),
        ("y.csv", "id,label\n1,2\n2,0\n3,1\n", "id", [1, 2, 3]),
        ("y.csv", "id,label\n1,2\n2,0\n3,1\n", "1", [2, 0, 1]),
        ("y.csv", "id,Target\n1,2\n2,0\n", None, [2, 0]),
        ("y.csv", "3\n0\n1\n", None, [3, 0, 1]),
        ("y.csv", "1,7\n2,8\n", 1, [7, 8]),
        ("y.csv", "id;label\n1;5\n2;6\n", None, [5, 6]),
        ("y.tsv", "x\ty\n0.5\t1\n0.1\t0\n", None, [1, 0]),
        ("y.txt", "# one label per line\n4\n2\n\n3\n", None, [4, 2, 3]),
        ("y.txt", "1 0.25\n0 0.5\n", "1", [0.25, 0.5]),
        ("y.csv", 'name,label\n"Smith, J",cat\n"Doe, A",dog\n', None, ["cat", "dog"]),
        ("y.csv", "species\ncat\ndog\ncat\n", None, ["cat", "dog", "cat"]),
        ("y.csv", "cat\ndog\ncat\n", None, ["cat", "dog", "cat"]),
        ("y.csv", "flag\nTrue\nfalse\n", None, [1.0, 0.0]),
        ("y.csv", "label\n1\nNA\n\n0\n", None, [1.0, np.nan, 0.0]),
    ],
)
def test_table_columns_and_headers(tmp_path: Path, name: str, text: str, column, expected: list) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert profile_file(path, column=column).profile == profile(np.array(expected))


def test_the_engine_reads_a_label_file_as_a_labels_only_setup(tmp_path: Path) -> None:
    y = np.array([0.0, 1.0, np.nan])
    np.save(tmp_path / "y.npy", y)
    (setup,) = files.read(Source(tmp_path / "y.npy", "data/y.npy"))
    assert setup.path == "data/y.npy" and setup.loss is None
    assert setup.labels.nan_count == 1 and setup.labels.source == "data/y.npy"


def test_standard_input_is_read_from_its_bytes(tmp_path: Path) -> None:
    np.save(tmp_path / "y.npy", np.array([0, 1, 2, 2]))
    data = (tmp_path / "y.npy").read_bytes()
    (setup,) = files.read(Source(Path("y.npy"), "y.npy", data))
    assert setup.labels.format.value == "class_ids" and setup.labels.num_classes == 3


def test_tables_and_archives_that_do_not_say_where_the_labels_are_are_not_label_files(tmp_path: Path) -> None:
    """Walking a repository meets metrics tables and weight archives: no setup, no error."""
    (tmp_path / "metrics.csv").write_text("epoch,loss,accuracy\n1,0.9,0.5\n2,0.5,0.8\n")
    np.savez(tmp_path / "weights.npz", w1=np.zeros(3), w2=np.ones(3))
    assert files.read(Source(tmp_path / "metrics.csv", "metrics.csv")) == []
    assert files.read(Source(tmp_path / "weights.npz", "weights.npz")) == []


def test_a_walk_profiles_only_the_start_of_a_huge_file_and_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(files, "WALK_LIMIT_BYTES", 800)
    y = RNG.integers(0, 3, 1000)
    y[-1] = 9
    np.save(tmp_path / "y.npy", y)
    (setup,) = files.read(Source(tmp_path / "y.npy", "y.npy"))
    assert "profiled the first 100 of 1,000 samples" in setup.labels.evidence
    assert setup.labels.maximum == 2  # the tail (with the 9) was not read
    assert label_facts(tmp_path / "y.npy").maximum == 9  # an explicit label file is read whole


@pytest.mark.parametrize(
    ("labels", "task", "classes", "words"),
    [
        (RNG.integers(0, 2, 100), "binary", None, "(or a 2-class multiclass)"),
        (RNG.integers(0, 8, 100), "multiclass", 8, "could also be counts"),
        (np.eye(5)[RNG.integers(0, 5, 40)], "multiclass", 5, "single 1"),
        ((RNG.random((40, 6)) < 0.3).astype(int), "multilabel", 6, "ones per row"),
        (RNG.integers(0, 21, (3, 8, 8)), "segmentation", 21, "segmentation with 21 classes"),
        (RNG.normal(size=500), "regression", None, "real values"),
        (RNG.random(100), "bounded-regression", None, "between"),
        (np.minimum(RNG.geometric(0.3, 5000) - 1, 60), "count", None, "counts and class ids look alike"),
        (_soft(30, 4), "distribution", 4, "sum to 1"),
        (RNG.choice(["spam", "ham"], 30), "binary", None, "encoding the names"),
    ],
)
def test_recommend_infers_the_problem_type_and_says_how_sure(tmp_path: Path, labels, task: str, classes, words: str) -> None:
    np.save(tmp_path / "y.npy", labels)
    inferred = infer_task_from_file(tmp_path / "y.npy")
    assert (inferred.task, inferred.classes) == (task, classes)
    assert words in inferred.evidence


def test_heavy_tailed_targets_suggest_robust_regression(tmp_path: Path) -> None:
    y = RNG.normal(size=2000)
    y[:100] *= 500
    np.save(tmp_path / "y.npy", y)
    inferred = infer_task_from_file(tmp_path / "y.npy")
    assert inferred.task == "robust-regression" and "far outliers" in inferred.evidence


def test_text_labels_past_the_distinct_value_limit_are_still_class_names(tmp_path: Path, monkeypatch) -> None:
    from lossadvisor.labels import profile as profile_module

    monkeypatch.setattr(profile_module, "MAX_DISTINCT", 2)
    (tmp_path / "y.csv").write_text("label\ncat\ndog\nbird\ncat\n")
    facts = label_facts(tmp_path / "y.csv")
    assert facts.format.value == "class_names" and "more than" in facts.evidence
