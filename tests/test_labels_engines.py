"""`lossadvisor.profile` on the engines the labels live on: Dask on a real `distributed.LocalCluster`
of 2 worker processes, and PySpark in `local[2]` mode. For every label kind the profile made
partition by partition on the workers equals the single-process profile of the same labels."""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import lossadvisor
from lossadvisor.labels.profile import profile as numpy_profile

rng = np.random.default_rng(18)
N = 3000
IDS = rng.integers(0, 7, N)
FLOATS = np.where(np.arange(N) % 9 == 0, np.nan, rng.normal(size=N))
NAMES = np.where(np.arange(N) % 13 == 0, "", np.array(["cat", "dog", "cow"])[IDS % 3])
TAGS = [sorted(rng.choice(8, size=rng.integers(0, 4), replace=False).tolist()) for _ in range(N)]
TAGS[:500] = [[1]] * 500  # the first partitions hold only small ids: widths differ between partitions


def _multi_hot(tags: list[list[int]], width: int) -> np.ndarray:
    dense = np.zeros((len(tags), width), dtype=np.int64)
    for row, ids in enumerate(tags):
        dense[row, ids] = 1
    return dense


# name -> (the labels as NumPy, the same as a pandas Series (None: arrays only))
KINDS = {
    "class ids": (IDS, pd.Series(IDS)),
    "floats with NaN": (FLOATS, pd.Series(FLOATS)),
    "nullable ints": (np.where(np.arange(N) % 7 == 0, np.nan, IDS), pd.Series(pd.array(np.where(np.arange(N) % 7 == 0, None, IDS), dtype="Int64"))),
    "booleans": (IDS % 2 == 0, pd.Series(IDS % 2 == 0)),
    "class names": (NAMES, pd.Series(np.where(NAMES == "", None, NAMES), dtype=object)),
    "one-hot": (np.eye(7)[IDS].astype(np.float32), None),
    "multi-hot": (_multi_hot(TAGS, 8), None),
    "masks": (rng.integers(0, 4, (40, 8, 8)).astype(np.uint8), None),
    "tag lists": (_multi_hot(TAGS, 8), pd.Series(TAGS, dtype=pd.ArrowDtype(pa.list_(pa.int64())))),
}


# --------------------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def client():
    import distributed  # the `dask` extra, installed by scripts/test
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield c


@pytest.mark.parametrize("kind", list(KINDS))
def test_dask_profiles_per_partition_as_one_process_does(client, kind: str) -> None:
    import dask.array as da
    import dask.dataframe as dd
    from distributed import get_task_stream

    array, series = KINDS[kind]
    if kind != "tag lists":
        chunks = (len(array) // 6,) + tuple(max(1, n // 2) for n in array.shape[1:])  # the class axis split too
        with get_task_stream(client) as stream:
            got = lossadvisor.profile(da.from_array(array, chunks=chunks))
        assert got == numpy_profile(array)
        workers = set(client.scheduler_info()["workers"])
        profiled_on = {t["worker"] for t in stream.data if "_block_profile" in str(t["key"])}
        assert profiled_on and profiled_on <= workers  # each block is profiled where it lives
    if series is not None:
        frame = dd.from_pandas(pd.DataFrame({"label": series}), npartitions=6)
        assert frame.npartitions == 6
        whole = lossadvisor.profile(series)  # the single-process profile of the pandas column
        assert lossadvisor.profile(frame, column="label") == whole
        assert lossadvisor.profile(frame["label"]) == whole
        assert whole == numpy_profile(array)


def test_a_dask_profile_feeds_the_checks(client, tmp_path) -> None:
    import dask.array as da

    labels = lossadvisor.profile(da.from_array(IDS, chunks=500))
    config = tmp_path / "train.yaml"
    config.write_text("model:\n  output: {units: 5}\nloss: CrossEntropyLoss\n")
    report = lossadvisor.check_paths([config], labels=labels)
    assert [f.code for f in report.findings] == ["LA310"]  # ids up to 6 against 5 output units
    assert "labels take 7 integer values 0..6" in report.findings[0].message


def test_a_whole_frame_is_rows_of_its_columns_and_a_column_is_named(client) -> None:
    import dask.dataframe as dd

    dummies = pd.get_dummies(pd.Series(IDS))  # one-hot columns: the class axis
    assert lossadvisor.profile(dd.from_pandas(dummies, npartitions=3)) == numpy_profile(dummies.to_numpy())
    assert lossadvisor.profile(dummies) == numpy_profile(dummies.to_numpy())
    frame = dd.from_pandas(pd.DataFrame({"id": IDS, "label": IDS}), npartitions=2)
    with pytest.raises(KeyError, match="did you mean `label`"):
        lossadvisor.profile(frame, column="lable")


# --------------------------------------------------------------------------- Spark


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession  # the `spark` extra, installed by scripts/test (Java by .ci/run)

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the executors' Python: this one
    session = (
        SparkSession.builder.master("local[2]").appName("lossadvisor-tests")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate()
    )  # fmt: skip
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_profiles_per_partition_as_one_process_does(spark) -> None:
    rows = [
        (int(i), None if np.isnan(f) else float(f), n or None, bool(i % 2 == 0), tags, [float(x) for x in np.eye(7)[i]])
        for i, f, n, tags in zip(IDS, FLOATS, NAMES, TAGS)
    ]  # fmt: skip
    schema = "label long, score double, name string, flag boolean, tags array<long>, one_hot array<double>"
    frame = spark.createDataFrame(rows, schema).repartition(4)
    assert frame.rdd.getNumPartitions() == 4
    expected = {
        "label": IDS, "score": FLOATS, "name": NAMES, "flag": IDS % 2 == 0,
        "tags": _multi_hot(TAGS, 8), "one_hot": np.eye(7)[IDS],
    }  # fmt: skip
    for column, array in expected.items():
        assert lossadvisor.profile(frame, column=column) == numpy_profile(array), column
    with pytest.raises(KeyError, match="did you mean `label`"):
        lossadvisor.profile(frame, column="lable")
