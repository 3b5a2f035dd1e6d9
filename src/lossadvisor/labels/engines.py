"""`lossadvisor.profile(labels, column=None)`: labels where they already are.

- a NumPy array, a list, a CPU tensor: profiled here (labels/profile.py);
- a pandas Series or DataFrame column: its values, as below; a whole DataFrame (pd.get_dummies) is
  an array whose columns are the class axis, as before;
- a Dask array, Series or DataFrame column: each block or partition is profiled on the worker that
  holds it, and the partial profiles are merged on the cluster in a tree; only profiles travel,
  never rows. A Dask array is first re-chunked so that only the sample axis is split (a class-axis
  vector must stay whole in one block);
- a PySpark DataFrame column (`column=` names it): each partition profiled on its executor, merged
  with `treeReduce`.

The merge is exact (tests/test_labels_profile.py), so the result equals the profile of all the
labels in one array. Dask and PySpark are never imported here: an object is recognised by the module
its type comes from, so they load only when the user passes one of theirs (already imported).

Columns of lists (pandas and Spark hold them as Python lists): lists of one length holding a class
axis are stacked into rows; lists of tag ids are profiled as multi-hot rows (labels/tags.py), as
wide as the largest id + 1. Missing values (None, NaN, pd.NA) are NaN, or a missing class name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from lossadvisor.labels.profile import LabelProfile
from lossadvisor.labels.profile import profile as profile_array
from lossadvisor.labels.tags import class_axis_rows, merge_widening, profile_tags

TREE_FAN_IN = 16  # partial profiles merged at once on the cluster


def profile(labels: Any, column: str | None = None) -> LabelProfile:
    """Profile labels wherever they live (see the module's docstring)."""
    engine = type(labels).__module__.split(".")[0]
    if engine == "pyspark":
        return _spark(labels, column)
    frame = type(labels).__name__ == "DataFrame"  # pandas' and Dask's
    if column is not None:
        if not frame:
            raise TypeError("column= picks a column of a DataFrame (pandas, Dask or Spark)")
        if column not in list(labels.columns):
            from lossadvisor.suggest import did_you_mean

            raise KeyError(f"no column '{column}' (found: {', '.join(map(str, labels.columns))}){did_you_mean(column, map(str, labels.columns))}")
        labels, frame = labels[column], False
    elif frame and engine == "dask":  # its columns are the class axis (pd.get_dummies), as for pandas
        labels = labels.to_dask_array(lengths=True)
    if engine == "dask":
        return _dask(labels)
    if engine == "pandas" and not frame:
        return values_profile(labels)
    return profile_array(labels)


# --------------------------------------------------------------------------- one partition


def values_profile(values: Any) -> LabelProfile:
    """The profile of one partition's values: a pandas Series, or a list of Python values (a Spark
    partition's rows)."""
    if type(values).__module__.split(".")[0] == "pandas":
        return _series_profile(values)
    return _python_profile(list(values))


def _series_profile(series) -> LabelProfile:
    if hasattr(series.dtype, "pyarrow_dtype"):  # pd.ArrowDtype (Dask's read_parquet gives lists so)
        from lossadvisor.labels.arrow import profile_arrow

        return profile_arrow(series.array.__arrow_array__())
    if getattr(series.dtype, "name", "") == "category":
        series = series.astype(object)
    if getattr(series.dtype, "kind", "O") in "biuf":
        if series.hasnans:  # NaN, or pd.NA in a nullable Int64 / boolean column: missing values are NaN
            return profile_array(series.to_numpy(dtype=np.float64, na_value=np.nan))
        return profile_array(series.to_numpy(dtype=getattr(series.dtype, "numpy_dtype", series.dtype)))  # Int64 → int64
    return _python_profile(series.tolist())


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or type(value).__name__ == "NAType"


def _python_profile(values: list) -> LabelProfile:
    present = [v for v in values if not _missing(v)]
    if not present:
        return profile_array(np.full(len(values), np.nan))
    first = present[0]
    if isinstance(first, (list, tuple, np.ndarray)):
        return _lists(values)
    if isinstance(first, str):
        return profile_array(np.array(["" if _missing(v) else str(v) for v in values], dtype=str))
    if len(present) < len(values) or isinstance(first, float):
        return profile_array(np.array([np.nan if _missing(v) else v for v in values], dtype=np.float64))
    return profile_array(np.array(values))


def _lists(values: list) -> LabelProfile:
    rows = [None if _missing(v) else np.asarray(v) for v in values]
    kept = [r for r in rows if r is not None]
    lengths = np.array([len(r) for r in kept])
    filled = [r for r in kept if len(r)]  # an empty list has no element type to tell
    integers = all(r.dtype.kind in "iu" for r in filled)
    flat = np.concatenate(filled) if filled else np.empty(0, dtype=np.int64)
    zero_one = integers and bool(np.isin(flat, (0, 1)).all())
    repeats = zero_one and any(len(np.unique(r)) != len(r) for r in kept[:1000])
    if class_axis_rows(lengths, integers, zero_one, repeats):
        width = int(lengths[0])
        missing = np.full(width, np.nan)
        stacked = np.stack([missing if r is None else r for r in rows]) if len(kept) < len(rows) else np.stack(kept)
        return profile_array(stacked)
    if not integers:
        raise ValueError("lists of different lengths hold tag ids, which are integers; these are not")
    index = np.repeat(np.arange(len(rows)), [0 if r is None else len(r) for r in rows])  # a missing list: no tags
    return profile_tags(index, flat.astype(np.int64), len(rows))


def merge_parts(parts: Iterable[LabelProfile]) -> LabelProfile:
    parts = [p for p in parts if p is not None]
    if not parts:
        raise ValueError("no labels to profile: every partition is empty")
    return merge_widening(parts)


# --------------------------------------------------------------------------- Dask


def _dask(labels) -> LabelProfile:
    import dask

    if hasattr(labels, "ndim") and hasattr(labels, "rechunk") and hasattr(labels, "chunks"):  # a dask array
        if labels.ndim > 1:
            labels = labels.rechunk({axis: -1 for axis in range(1, labels.ndim)})
        blocks = [dask.delayed(_block_profile)(block) for block in labels.to_delayed().ravel()]
    else:  # a Series (a DataFrame column)
        blocks = [dask.delayed(_partition_profile)(part) for part in labels.to_delayed()]
    while len(blocks) > 1:  # a tree of merges, on the workers
        blocks = [dask.delayed(merge_parts)(blocks[i : i + TREE_FAN_IN]) for i in range(0, len(blocks), TREE_FAN_IN)]
    (result,) = dask.compute(blocks[0])
    return _whole(result)


def _block_profile(block) -> LabelProfile | None:
    return profile_array(block) if len(block) else None


def _partition_profile(part) -> LabelProfile | None:
    return values_profile(part) if len(part) else None


def _whole(result: LabelProfile | None) -> LabelProfile:
    if result is None:
        raise ValueError("no labels to profile: every partition is empty")
    return result


# --------------------------------------------------------------------------- Spark


def _spark(frame, column: str | None) -> LabelProfile:
    if not hasattr(frame, "columns") or not hasattr(frame, "rdd"):
        raise TypeError(f"a PySpark {type(frame).__name__} cannot be profiled: pass a DataFrame and column='label'")
    names = list(frame.columns)
    if column is None:
        if len(names) != 1:
            raise TypeError(f"a Spark DataFrame with {len(names)} columns: pass column='label'")
        column = names[0]
    if column not in names:
        from lossadvisor.suggest import did_you_mean

        raise KeyError(f"no column '{column}' (found: {', '.join(names)}){did_you_mean(column, names)}")
    partials = frame.select(column).rdd.mapPartitions(_spark_partition)
    try:
        return partials.treeReduce(_merge_two, depth=2)
    except ValueError as exc:  # an empty RDD
        if "empty" in str(exc).lower():
            raise ValueError("no labels to profile: the DataFrame has no rows") from None
        raise


def _spark_partition(rows) -> Iterable[LabelProfile]:
    values = [row[0] for row in rows]
    if values:
        yield values_profile(values)


def _merge_two(a: LabelProfile, b: LabelProfile) -> LabelProfile:
    return merge_widening([a, b])
