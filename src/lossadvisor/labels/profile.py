"""Label profiles: statistics of a set of labels that are computed chunk by chunk and merged.

    profile(array) -> LabelProfile           # any array-like: numpy, a list, a CPU tensor
    a.merge(b) -> LabelProfile               # the profile of the concatenation along the first axis
    profile_batches(iterable) -> LabelProfile

Merging is exact: the profile of the parts, merged in any order and grouping, equals the profile of
the whole. That is why users with labels in Spark, Dask, tf.data or a DataLoader can profile each
partition and reduce, and why a label file is profiled in bounded memory, one chunk at a time.

What is kept, and why it merges exactly:
- counts of NaN and infinite values, the finite minimum and maximum, whether every finite value is
  a whole number;
- the exact count of each distinct value while there are at most MAX_DISTINCT of them (class ids,
  0/1 labels, class names); past that, a histogram of the values by their float32 bit pattern
  (sign, exponent and 7 mantissa bits: buckets 0.8% wide), which is all a continuous target needs
  for its outlier share. The histogram is a function of the value counts, so a part that still has
  counts converts exactly when merged with one that has outgrown them;
- for arrays with a class axis (the last axis, wider than 1) whose values all lie in [0, 1]: per
  vector, its sum (one-hot rows and distributions sum to 1) and its argmax, and per class the
  number of exact 1s. A part with a value outside [0, 1] drops these, and so does the merge.

Labels are split along the first axis only (samples), so every class-axis vector stays whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache, reduce
from typing import Any

import numpy as np

MAX_DISTINCT = 1 << 16  # exact counts up to this many distinct values (a 50k-token vocabulary fits)
HIST_SHIFT = 16  # float32 bits >> 16: 65,536 buckets
BINCOUNT_LIMIT = 1 << 20  # non-negative ints below this are counted with np.bincount
SUM_TOLERANCE = 1e-3  # a class-axis vector "sums to 1" within this (float32 soft labels)
FAR_OUT = 3.0  # Tukey's far-out fences: Q1 - 3 IQR, Q3 + 3 IQR


@dataclass(frozen=True, eq=False, slots=True)
class Vectors:
    """Class-axis vectors (the last axis) whose values all lie in [0, 1]."""

    count: int  # vectors with only finite values
    sum_min: float
    sum_max: float
    sum_one: int  # vectors that sum to 1 (within SUM_TOLERANCE)
    argmax: np.ndarray  # per class: vectors whose largest entry is this class
    ones: np.ndarray  # per class: entries equal to 1

    def merge(self, other: Vectors) -> Vectors:
        return Vectors(
            self.count + other.count, min(self.sum_min, other.sum_min), max(self.sum_max, other.sum_max),
            self.sum_one + other.sum_one, self.argmax + other.argmax, self.ones + other.ones,
        )  # fmt: skip

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vectors) and _fields_equal(self, other)


@dataclass(frozen=True, eq=False, slots=True)
class LabelProfile:
    dtype: str  # numpy dtype name, or "str" for text labels
    shape: tuple[int, ...]  # (samples, *per-sample shape)
    nan: int = 0  # NaN values (missing cells, for text)
    inf: int = 0
    minimum: float | None = None  # finite values only; None for text or when nothing is finite
    maximum: float | None = None
    integral: bool = True  # every finite value is a whole number
    values: np.ndarray | None = None  # sorted distinct finite values (integers as int64/uint64); None past MAX_DISTINCT
    counts: np.ndarray | None = None
    histogram: np.ndarray | None = None  # only when values is None (numeric labels)
    vectors: Vectors | None = None

    # -- derived facts
    @property
    def count(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def samples(self) -> int:
        return self.shape[0]

    @property
    def finite(self) -> int:
        return self.count - self.nan - self.inf

    @property
    def is_text(self) -> bool:
        return self.dtype == "str"

    @property
    def width(self) -> int:
        """Length of the class axis: the last axis of a 2-D or larger array, else 1."""
        return self.shape[-1] if len(self.shape) > 1 else 1

    @property
    def distinct(self) -> int | None:
        return None if self.values is None else len(self.values)

    def value_counts(self) -> list[tuple[Any, int]]:
        """(value, count) pairs, most frequent first (ties: smaller value first)."""
        if self.values is None or self.counts is None:
            return []
        order = np.lexsort((np.arange(len(self.counts)), -self.counts))
        return [(plain(self.values[i]), int(self.counts[i])) for i in order]

    def bucket_counts(self) -> np.ndarray | None:
        """The histogram, computed from the exact counts when they are still kept."""
        if self.is_text:
            return None
        if self.histogram is not None:
            return self.histogram
        if self.values is None or self.counts is None:
            return None
        return _histogram(self.values, self.counts)

    def outlier_share(self) -> float | None:
        """Share of finite values beyond Tukey's far-out fences, from the histogram (conservative:
        quartiles are widened to their bucket's edges, so a value counts only when its whole bucket
        lies outside)."""
        hist = self.bucket_counts()
        if hist is None or self.finite == 0:
            return None
        order, lows, highs = _bucket_table()
        cum = np.cumsum(hist[order])
        total = cum[-1]
        q1 = int(np.searchsorted(cum, total * 0.25, side="left"))
        q3 = int(np.searchsorted(cum, total * 0.75, side="left"))
        lo, hi = float(lows[q1]), float(highs[q3])
        spread = hi - lo
        outside = (highs < lo - FAR_OUT * spread) | (lows > hi + FAR_OUT * spread)
        return float(hist[order][outside].sum()) / float(total)

    # -- merging
    def merge(self, other: LabelProfile) -> LabelProfile:
        """The profile of `self` and `other` concatenated along the first axis."""
        return merge_all([self, other])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabelProfile) and _fields_equal(self, other)


# --------------------------------------------------------------------------- public constructors


def profile(labels: Any) -> LabelProfile:
    """Profile an array of labels: samples on the first axis, the class axis (if any) last."""
    array = np.asarray(labels)
    if array.dtype.hasobject:
        raise TypeError("labels of Python objects cannot be profiled: use a numeric or string array")
    if array.ndim == 0:
        array = array.reshape(1)
    width = array.shape[-1] if array.ndim > 1 else 1
    flat = np.ascontiguousarray(array).reshape(-1)
    return replace(profile_chunk(flat, width), shape=array.shape)


def profile_batches(batches: Iterable[Any]) -> LabelProfile:
    """Profile an iterable of batches (a DataLoader's targets, tf.data, Dask partitions)."""
    profiles = (profile(batch) for batch in batches)
    try:
        return reduce(LabelProfile.merge, profiles)
    except TypeError as exc:
        if "empty iterable" in str(exc):
            raise ValueError("no batches to profile") from None
        raise


def merge_all(parts: list[LabelProfile]) -> LabelProfile:
    """The profile of all parts concatenated along the first axis, in one step (a reader merging
    hundreds of chunks pays numpy's call overhead once, not per chunk)."""
    first = parts[0]
    for part in parts[1:]:
        if part.shape[1:] != first.shape[1:]:
            raise ValueError(f"cannot merge labels of per-sample shape {first.shape[1:]} with {part.shape[1:]}")
    dtype = reduce(_common_dtype, (p.dtype for p in parts))
    values = counts = histogram = None
    if all(p.values is not None for p in parts):
        values, counts = _merge_counts([p.values for p in parts], [p.counts for p in parts])
        if len(values) > MAX_DISTINCT:
            histogram = None if dtype == "str" else _histogram(values, counts)
            values = counts = None
    elif dtype != "str":
        histogram = np.zeros(1 << (32 - HIST_SHIFT), dtype=np.int64)
        for part in parts:  # one at a time: stacking 64 histograms would cost 32 MiB
            histogram += part.bucket_counts()
    vectors = reduce(Vectors.merge, [p.vectors for p in parts]) if all(p.vectors for p in parts) else None
    return LabelProfile(
        dtype=dtype, shape=(sum(p.shape[0] for p in parts), *first.shape[1:]),
        nan=sum(p.nan for p in parts), inf=sum(p.inf for p in parts),
        minimum=_extreme(min, [p.minimum for p in parts]), maximum=_extreme(max, [p.maximum for p in parts]),
        integral=all(p.integral for p in parts), values=values, counts=counts, histogram=histogram, vectors=vectors,
    )  # fmt: skip


def profile_chunk(flat: np.ndarray, width: int, track_values: bool = True) -> LabelProfile:
    """Profile a 1-D run of values holding whole class-axis vectors of `width` values.

    The result's shape is (vectors, width) (or (values,) for width 1); a file reader replaces it
    with the array's real shape at the end. With `track_values` False the distinct values are not
    counted (the caller already has more than MAX_DISTINCT) and the histogram is kept instead.
    """
    shape = (flat.size // width, width) if width > 1 else (flat.size,)
    if flat.dtype.kind in "US":
        return _text_chunk(flat, shape, track_values)
    if flat.dtype.kind not in "biuf":
        raise TypeError(f"labels of dtype {flat.dtype} cannot be profiled")
    dtype = str(flat.dtype)
    finite, nan, inf = _finite_values(flat)
    stats = _value_stats(finite, track_values)
    vectors = None
    if width > 1 and (finite.size == 0 or (stats["minimum"] >= 0 and stats["maximum"] <= 1)):
        vectors = _vector_stats(flat.reshape(-1, width))
    return LabelProfile(dtype=dtype, shape=shape, nan=nan, inf=inf, vectors=vectors, **stats)


# --------------------------------------------------------------------------- one chunk


def _finite_values(flat: np.ndarray) -> tuple[np.ndarray, int, int]:
    if flat.dtype.kind == "b":
        return flat.view(np.uint8), 0, 0
    if flat.dtype.kind != "f":
        return flat, 0, 0
    if flat.dtype == np.float16:
        flat = flat.astype(np.float32)
    mask = np.isfinite(flat)
    kept = int(np.count_nonzero(mask))
    if kept == flat.size:
        return flat, 0, 0
    nan = int(np.count_nonzero(np.isnan(flat)))
    return flat[mask], nan, flat.size - kept - nan


def _value_stats(values: np.ndarray, track_values: bool) -> dict[str, Any]:
    """Minimum, maximum, integrality and value counts (or histogram) of finite numbers."""
    if values.size == 0:
        empty = np.empty(0, dtype=np.float64)
        counts = np.empty(0, dtype=np.int64)
        return {"minimum": None, "maximum": None, "integral": True, "values": empty, "counts": counts, "histogram": None}
    integral = values.dtype.kind != "f" or bool(np.all(np.trunc(values) == values))
    if integral and values.dtype.kind == "f" and -(2.0**53) <= values.min() and values.max() <= 2.0**53:
        values = values.astype(np.int64)  # whole numbers stored as floats (0.0/1.0 labels): count as ints
    if values.dtype.kind in "iu":
        return {"integral": True, **_int_stats(values, track_values)}
    lo, hi = float(values.min()), float(values.max())
    out: dict[str, Any] = {"minimum": lo, "maximum": hi, "integral": integral, "values": None, "counts": None, "histogram": None}
    if track_values:
        distinct, counts = np.unique(values, return_counts=True)
        if len(distinct) <= MAX_DISTINCT:
            return {**out, "values": distinct.astype(np.float64), "counts": counts.astype(np.int64)}
    return {**out, "histogram": _bucket_histogram(values)}


def _int_stats(values: np.ndarray, track_values: bool) -> dict[str, Any]:
    """The fast path for integers: one max() pass, then bincount for small non-negative ids (its
    result also gives the minimum); np.unique only for negative or large ids."""
    hi = values.max()
    if track_values and 0 <= hi < BINCOUNT_LIMIT:
        small = values if values.dtype.kind == "i" or values.dtype.itemsize < 8 else values.astype(np.int64)
        try:
            dense = np.bincount(small)
        except ValueError:  # a negative value: the general path below
            pass
        else:
            present = np.flatnonzero(dense)
            if len(present) <= MAX_DISTINCT:
                return _int_result(present[0], hi, present.astype(np.int64), dense[present].astype(np.int64))
    lo = values.min()
    if track_values:
        distinct, counts = np.unique(values, return_counts=True)
        if len(distinct) <= MAX_DISTINCT:
            return _int_result(lo, hi, _exact_ints(distinct), counts.astype(np.int64))
    return {**_int_result(lo, hi, None, None), "histogram": _bucket_histogram(values)}


def _exact_ints(values: np.ndarray) -> np.ndarray:
    """Distinct integer labels kept as integers (float64 would merge 2**62 + 1 with 2**62 + 3 and
    show 2**64 - 1 as 1.8e+19): int64, or uint64 for unsigned values past int64's range."""
    if values.dtype.kind == "u" and values.dtype.itemsize == 8 and len(values) and values[-1] > np.iinfo(np.int64).max:
        return values.astype(np.uint64)
    return values.astype(np.int64)


def _int_result(lo: Any, hi: Any, values: np.ndarray | None, counts: np.ndarray | None) -> dict[str, Any]:
    return {"minimum": int(lo), "maximum": int(hi), "values": values, "counts": counts, "histogram": None}


def _vector_stats(vectors: np.ndarray) -> Vectors:
    width = vectors.shape[1]
    if vectors.dtype.kind == "f":
        vectors = vectors[np.isfinite(vectors).all(axis=1)]
    sums = vectors.sum(axis=1, dtype=np.float64)
    if len(vectors) == 0:
        zeros = np.zeros(width, dtype=np.int64)
        return Vectors(0, np.inf, -np.inf, 0, zeros, zeros.copy())
    return Vectors(
        count=len(vectors), sum_min=float(sums.min()), sum_max=float(sums.max()),
        sum_one=int(np.count_nonzero(np.abs(sums - 1.0) <= SUM_TOLERANCE)),
        argmax=np.bincount(vectors.argmax(axis=1), minlength=width).astype(np.int64),
        ones=np.count_nonzero(vectors == 1, axis=0).astype(np.int64),
    )  # fmt: skip


def _text_chunk(flat: np.ndarray, shape: tuple[int, ...], track_values: bool) -> LabelProfile:
    """Class names: empty strings are missing labels (counted with NaN)."""
    if flat.dtype.kind == "S":
        flat = np.char.decode(flat, "utf-8", errors="replace")
    present = flat[flat != ""]
    values = counts = None
    if track_values:
        distinct, found = np.unique(present, return_counts=True)
        if len(distinct) <= MAX_DISTINCT:
            values, counts = distinct.astype(str), found.astype(np.int64)
    return LabelProfile(dtype="str", shape=shape, nan=flat.size - present.size, integral=False, values=values, counts=counts)


# --------------------------------------------------------------------------- merging helpers


def _merge_counts(values: list[np.ndarray], counts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    kept = [(v, c) for v, c in zip(values, counts) if len(v)]
    if len(kept) <= 1:
        return kept[0] if kept else (values[0], counts[0])
    if len({v.dtype.kind in "US" for v, _ in kept}) > 1:  # integer and float values merge as numbers
        raise ValueError("cannot merge text labels with numeric labels")
    arrays = [v for v, _ in kept]
    if any(v.dtype == np.uint64 for v in arrays) and all(v.dtype.kind in "iu" and v[0] >= 0 for v in arrays):
        arrays = [v.astype(np.uint64) for v in arrays]  # uint64 with int64 would concatenate as float64
    distinct, where = np.unique(np.concatenate(arrays), return_inverse=True)
    total = np.zeros(len(distinct), dtype=np.int64)
    np.add.at(total, where, np.concatenate([c for _, c in kept]))
    return distinct, total


def _common_dtype(a: str, b: str) -> str:
    if a == b:
        return a
    if "str" in (a, b):
        raise ValueError("cannot merge text labels with numeric labels")
    return str(np.result_type(np.dtype(a), np.dtype(b)))


def _extreme(choose, numbers: list[float | None]) -> float | None:
    present = [n for n in numbers if n is not None]
    return choose(present) if present else None


def _fields_equal(a: Any, b: Any) -> bool:
    for name in a.__slots__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if x is None or y is None or not np.array_equal(x, y):
                return False
        elif x != y:
            return False
    return True


def plain(value: Any) -> Any:
    """numpy scalars as Python numbers; whole floats as ints (labels 0.0/1.0 read as 0/1)."""
    if value is None:
        return None
    if isinstance(value, (np.str_, str)):
        return str(value)
    number = value.item() if isinstance(value, np.generic) else value
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


# --------------------------------------------------------------------------- the value histogram


def _bucket_histogram(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind in "iu":
        values = values.astype(np.float64)  # round as the kept counts (float64) would: merges stay exact
    with np.errstate(over="ignore"):  # beyond float32: the infinity bucket
        codes = (values.astype(np.float32) + np.float32(0)).view(np.uint32) >> HIST_SHIFT  # + 0: -0.0 is 0.0
    return np.bincount(codes, minlength=1 << (32 - HIST_SHIFT)).astype(np.int64)


def _histogram(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The histogram of values given with their counts (what a merge needs from exact counts)."""
    with np.errstate(over="ignore"):  # beyond float32: the infinity bucket
        codes = (values.astype(np.float32) + np.float32(0)).view(np.uint32) >> HIST_SHIFT  # + 0: -0.0 is 0.0
    out = np.zeros(1 << (32 - HIST_SHIFT), dtype=np.int64)
    np.add.at(out, codes, counts)
    return out


@cache
def _bucket_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bucket codes in increasing value order, with each bucket's lowest and highest value."""
    codes = np.arange(1 << (32 - HIST_SHIFT), dtype=np.uint32)
    magnitude = codes & ((1 << (31 - HIST_SHIFT)) - 1)
    negative = codes >> (31 - HIST_SHIFT) == 1
    with np.errstate(invalid="ignore"):  # the top buckets are NaN bit patterns: no finite value lands there
        low_mag = (magnitude << HIST_SHIFT).view(np.float32).astype(np.float64)
        high_mag = ((magnitude + 1) << HIST_SHIFT).view(np.float32).astype(np.float64)
    low_mag = np.where(np.isnan(low_mag), np.inf, low_mag)
    high_mag = np.where(np.isnan(high_mag), np.inf, high_mag)
    lows = np.where(negative, -high_mag, low_mag)
    highs = np.where(negative, -low_mag, high_mag)
    order = np.argsort(np.where(negative, -magnitude.astype(np.int64) - 1, magnitude.astype(np.int64)), kind="stable")
    return order, lows[order], highs[order]
