"""Multi-label rows given as lists of tag ids ([0, 3], [], [2]), profiled as the multi-hot rows they
stand for without building those rows (10,000 tags × a million rows would be 10 GB of zeros).

The class count of such a column is only known once every row is read (the largest id + 1), or
from a schema that declares it (a Hugging Face `Sequence(ClassLabel)`). So each chunk is profiled at
its own width, and `pad_classes` widens a multi-hot profile exactly: a multi-hot row padded with
zero columns keeps its sum, its argmax and its ones, and gains only zeros. The profile of the tag
lists then equals `profile(multi_hot)` of the same rows at the final width (tests/test_labels_arrow.py).
"""

from __future__ import annotations

import numpy as np

from lossadvisor.labels.profile import LabelProfile, Vectors

MAX_TAG_ID = (1 << 24) - 1  # a larger id is not a class index (a hash, a token id): bad input
DTYPE = "int64"  # the dtype of the multi-hot rows the profile stands for (what MultiLabelBinarizer gives)


def profile_tags(rows: np.ndarray, ids: np.ndarray, count: int, width: int = 0) -> LabelProfile:
    """The profile of `count` multi-hot rows: row `rows[i]` has a 1 at column `ids[i]` (a tag
    listed twice in a row is one 1). `width`: at least this many columns."""
    if ids.size and ids.min() < 0:
        raise ValueError(f"a tag id is negative ({int(ids.min())})")
    if ids.size and ids.max() > MAX_TAG_ID:
        raise ValueError(f"a tag id is {int(ids.max()):,}, more than a class index ever is")
    width = max(width, int(ids.max()) + 1 if ids.size else 1, 1)
    cells = np.unique(rows.astype(np.int64) * width + ids.astype(np.int64))  # sorted by row, then id
    tagged_rows, tag = np.divmod(cells, width)
    per_row = np.bincount(tagged_rows, minlength=count)
    ones = np.bincount(tag, minlength=width).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, tagged_rows[1:] != tagged_rows[:-1]]) if cells.size else np.empty(0, np.int64)
    argmax = np.bincount(tag[starts], minlength=width).astype(np.int64)  # the first 1 of a row is its argmax
    argmax[0] += count - len(starts)  # a row of zeros: argmax 0, as numpy gives it
    total_ones, zeros = int(cells.size), count * width - int(cells.size)
    values = np.array([v for v, n in ((0, zeros), (1, total_ones)) if n], dtype=np.int64)
    counts = np.array([n for n in (zeros, total_ones) if n], dtype=np.int64)
    vectors = Vectors(
        count=count, sum_min=float(per_row.min()) if count else np.inf, sum_max=float(per_row.max()) if count else -np.inf,
        sum_one=int(np.count_nonzero(per_row == 1)), argmax=argmax, ones=ones,
    )  # fmt: skip
    return LabelProfile(
        dtype=DTYPE, shape=(count, width), minimum=int(values[0]) if len(values) else None,
        maximum=int(values[-1]) if len(values) else None, values=values, counts=counts,
        vectors=vectors if width > 1 else None,  # one column is no class axis (as `profile` has it)
    )  # fmt: skip


def class_axis_rows(lengths: np.ndarray, integers: bool, zero_one: bool, repeats: bool) -> bool:
    """Whether lists hold class-axis rows (one-hot, multi-hot, soft labels) rather than tag ids:
    all of one length, and floats or booleans, or 0/1 integers with a value repeated in some row
    (a set of tags never repeats one). `lengths`: of the non-null lists."""
    if lengths.size == 0 or lengths.min() != lengths.max():
        return False
    return not integers or (zero_one and repeats)


def merge_widening(parts: list[LabelProfile], at_least: int = 0) -> LabelProfile:
    """`merge_all`, with multi-hot parts of different widths (tag lists) first widened to the
    widest, and to `at_least` columns (the classes a schema declares)."""
    from lossadvisor.labels.profile import merge_all

    widths = {p.shape[-1] for p in parts if len(p.shape) == 2}
    if len(widths) > 1 or max(widths, default=at_least) < at_least:
        width = max([*widths, at_least])
        parts = [pad_classes(p, width) for p in parts]
    return merge_all(parts)


def pad_classes(p: LabelProfile, width: int) -> LabelProfile:
    """`p` (multi-hot rows: values in {0, 1}, class-axis statistics kept) with zero columns added
    up to `width` columns. ValueError for any other profile: padding would change what it says."""
    if len(p.shape) != 2 or p.values is None or p.counts is None or not set(p.values.tolist()) <= {0, 1}:
        raise ValueError("only multi-hot rows (values 0 and 1 on a class axis) can be widened")
    extra = width - p.shape[1]
    if extra <= 0:
        return p
    rows = p.shape[0]
    counts = dict(zip(p.values.tolist(), p.counts.tolist()))
    v = p.vectors or _one_column(counts, rows, p.nan + p.inf)
    if v is None:
        raise ValueError("only multi-hot rows (values 0 and 1 on a class axis) can be widened")
    counts[0] = counts.get(0, 0) + rows * extra
    present = sorted(x for x, n in counts.items() if n)
    pad = np.zeros(extra, dtype=np.int64)
    return LabelProfile(
        dtype=p.dtype, shape=(rows, width), nan=p.nan, inf=p.inf,
        minimum=present[0] if present else None, maximum=present[-1] if present else None, integral=p.integral,
        values=np.array(present, dtype=np.int64), counts=np.array([counts[x] for x in present], dtype=np.int64),
        vectors=Vectors(v.count, v.sum_min, v.sum_max, v.sum_one, np.r_[v.argmax, pad], np.r_[v.ones, pad]),
    )  # fmt: skip


def _one_column(counts: dict[int, int], rows: int, missing: int) -> Vectors | None:
    """The class-axis statistics of one column of 0/1, which `profile` does not keep (one column
    is no class axis): each row's sum is its value. None when a row is NaN (its vector is left out)."""
    if missing or sum(counts.values()) != rows:
        return None
    ones, zeros = counts.get(1, 0), counts.get(0, 0)
    return Vectors(
        count=rows, sum_min=0.0 if zeros else 1.0 if rows else np.inf, sum_max=1.0 if ones else 0.0 if rows else -np.inf,
        sum_one=ones, argmax=np.array([rows], dtype=np.int64), ones=np.array([ones], dtype=np.int64),
    )  # fmt: skip
