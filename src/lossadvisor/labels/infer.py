"""From a label profile to what the labels are: their format (a labels.yaml id), the classes, the
values that look like "ignore" labels and the problem types they fit.

The format is read from the values alone, most specific first: 0/1 (binary; one-hot or multi-hot
when there is a class axis), ±1, non-negative whole numbers (class ids, or counts when they trail
off like counts), text (class names), then real values (a distribution when the class-axis vectors
sum to 1, values in [0, 1], non-negative, or unbounded). Where two readings are plausible (2 values:
binary or a 2-class multiclass; whole numbers: class ids or counts) the reading says so.

Which loss fits a reading is the adviser's question: `recommend.losses_for`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from lossadvisor.labels.profile import MAX_DISTINCT, LabelProfile
from lossadvisor.inputs import InputError

IGNORE_CANDIDATES = (-100, -1, 255)
ROBUST_SHARE = 0.01  # far outliers above this share make robust regression a fit


@dataclass(frozen=True)
class Fit:
    """A problem type the labels fit, with how the labels read as that type."""

    task: str  # task id (tasks.yaml)
    classes: int | None
    phrase: str  # "multiclass with 8 classes", "ordinal, if the ids are ordered levels"


@dataclass(frozen=True)
class Reading:
    profile: LabelProfile
    format: str  # label format id (labels.yaml)
    evidence: str  # "labels take 8 integer values 0..7"
    fits: tuple[Fit, ...]
    num_classes: int | None = None
    minimum: float | None = None  # without the ignore values
    maximum: float | None = None
    ignore: tuple[tuple[int, int], ...] = ()  # (value, count)
    classes: tuple[tuple[Any, int], ...] = ()  # class distribution, most frequent first
    empty_classes: tuple[Any, ...] = ()  # class columns with no positive label (one-hot / multi-hot), declared classes never seen
    per_row: float | None = None  # mean positive labels per row (multi-hot)
    outlier_share: float | None = None
    caveat: str | None = None  # what else the labels could be

    @property
    def imbalance(self) -> float | None:
        """Largest class count over the smallest (present) one (not for counts: no classes)."""
        if self.format == "counts":
            return None
        counts = [c for _, c in self.classes if c > 0]
        return max(counts) / min(counts) if len(counts) > 1 else None

    def summary(self) -> str:
        """What the labels showed and how sure that is, in one line (for `recommend --labels`)."""
        text = f"{self.evidence}: {self.fits[0].phrase}"
        if len(self.fits) > 1:
            text += " (or " + "; or ".join(f.phrase for f in self.fits[1:]) + ")"
        notes = [f"{value} on {_share(count, self.profile.count)} of the labels looks like an ignore label" for value, count in self.ignore]
        return "; ".join([text, *notes, *([self.caveat] if self.caveat else [])])


# --------------------------------------------------------------------------- reading a profile


def read_profile(p: LabelProfile) -> Reading:
    """Raises InputError when nothing usable is left (every value NaN or missing)."""
    if p.finite == 0:
        what = "missing" if p.is_text else "NaN or infinite" if p.inf else "NaN (or missing)"
        raise InputError(f"holds no usable labels: all {p.count:,} values are {what}")
    if p.is_text:
        return _class_names(p)
    counts = dict(p.value_counts()) if p.values is not None else None
    ignore: dict[int, int] = {}
    if counts is not None and p.integral:
        ignore = _ignore_values(counts)
        counts = {v: c for v, c in counts.items() if v not in ignore}
    base = {"profile": p, "ignore": tuple(sorted(ignore.items())), "minimum": p.minimum, "maximum": p.maximum}
    if counts is not None:
        if ignore:  # the range without the ignore values; otherwise keep the profile's exact integers
            base.update(minimum=min(counts), maximum=max(counts))
        values = set(counts)
        if values <= {0, 1}:
            return _zero_one(p, counts, base)
        if values == {-1, 1}:
            return _with(base, "signed_binary", "labels take the values -1 and 1", _SIGNED_FITS, classes=counts, num_classes=2)
        if p.integral and min(values) >= 0:
            return _whole_numbers(p, counts, base)
        if p.integral and _stray_negatives(counts):
            return _ids_with_stray_negatives(p, counts, base)
    if p.integral:
        low, high = _span(base)
        if base["minimum"] >= 0:
            return _with(base, "counts", f"labels are non-negative integers {low}..{high}", (Fit("count", None, "count regression"),))
        return _with(base, "continuous", f"labels are integers from {low} to {high}", (Fit("regression", None, "regression"),))
    return _real(p, base)


def _ignore_values(counts: dict[Any, int]) -> dict[int, int]:
    """-100, -1 and 255 next to ordinary non-negative ids (several of them, and for 255 with a gap
    below it) are the usual "ignore this label" markers."""
    rest = [v for v in counts if v not in IGNORE_CANDIDATES]
    if not rest or min(rest) < 0:
        return {}
    found = {}
    for value in IGNORE_CANDIDATES:
        if value not in counts:
            continue
        dense = max(rest) + 1 <= 2 * len(rest)  # 255 sits above ids that fill their range, not among grey levels
        if value == -100 or (len(rest) >= 2 and (value == -1 or (max(rest) < 254 and dense))):
            found[value] = counts[value]
    return found


STRAY_SHARE = 0.05  # negative values on fewer labels than this, next to class ids, are markers


def _stray_negatives(counts: dict[Any, int]) -> bool:
    """One or two negative values on a few labels next to non-negative whole numbers: -2 for
    "unknown", -3 for "not annotated". They are no regression targets, and no shifted ids either."""
    negative = {v: c for v, c in counts.items() if v < 0}
    rest = len(counts) - len(negative)
    return len(negative) <= 2 and rest >= 2 and sum(negative.values()) < STRAY_SHARE * sum(counts.values())


def _ids_with_stray_negatives(p: LabelProfile, counts: dict[Any, int], base: dict) -> Reading:
    """Read the non-negative values as usual; keep the negative minimum, so the checks see ids
    below 0, and say which values they are."""
    negative = {v: c for v, c in counts.items() if v < 0}
    rest = {v: c for v, c in counts.items() if v >= 0}
    reading = _whole_numbers(p, rest, {**base, "minimum": min(rest), "maximum": max(rest)})
    if reading.format != "class_ids":
        low, high = _span(base)
        return _with(base, "continuous", f"labels are integers from {low} to {high}", (Fit("regression", None, "regression"),))
    strays = ", ".join(f"{v} on {_share(c, p.count)}" for v, c in sorted(negative.items()))
    caveat = f"{strays} of the labels: no class id (an ignore label the loss must be told about, or an error)"
    return replace(reading, minimum=float(min(negative)), caveat=caveat)


def _zero_one(p: LabelProfile, counts: dict[Any, int], base: dict) -> Reading:
    v = p.vectors
    ndim = len(p.shape)
    if p.width > 1 and v is not None and v.count and not base["ignore"]:
        one_hot = v.sum_one > 0 and v.sum_max <= 1  # at most one 1 per row (all-zero rows allowed)
        if one_hot or ndim == 2:
            columns = tuple((i, int(n)) for i, n in enumerate(v.ones))
            empty = tuple(i for i, n in columns if n == 0)
            classes = tuple(sorted(columns, key=lambda item: (-item[1], item[0])))
            if one_hot:
                empty_rows = v.count - v.sum_one
                evidence = f"rows of {p.width} values with a single 1" + (f" ({empty_rows:,} row{'s' if empty_rows > 1 else ''} all 0)" if empty_rows else "")
                task = "segmentation" if ndim > 2 else "multiclass"
                return _with(base, "one_hot", evidence, (Fit(task, p.width, f"{task} with {p.width} classes"),),
                             num_classes=p.width, classes=classes, empty_classes=empty)  # fmt: skip
            per_row = float(v.ones.sum()) / v.count
            evidence = f"rows of {p.width} values in {{0, 1}} with {per_row:.3g} ones per row on average"
            fits = (Fit("multilabel", p.width, f"multilabel with {p.width} classes"),)
            return _with(base, "multi_hot", evidence, fits, num_classes=p.width, classes=classes, empty_classes=empty, per_row=per_row)
    values = sorted(counts)
    evidence = "labels take the values 0 and 1" if len(values) == 2 else f"every label is {values[0]}"
    if ndim > 2:
        evidence = f"0/1 masks: {evidence}"
        fits = (Fit("segmentation", 2, "binary segmentation (2 classes per pixel)"), Fit("binary", None, "one sigmoid unit per pixel"))
    else:
        fits = (Fit("binary", None, "binary"), Fit("multiclass", 2, "a 2-class multiclass"))
    return _with(base, "binary", evidence, fits, num_classes=len(values), classes=counts)


def _whole_numbers(p: LabelProfile, counts: dict[Any, int], base: dict) -> Reading:
    """Class ids: non-negative integers that mostly fill 0..max. Counts: sparse or trailing off."""
    low, high = int(base["minimum"]), int(base["maximum"])
    distinct = len(counts)
    where = f"{low}..{high}" if distinct == high - low + 1 else f"between {low} and {high}"
    evidence = f"labels take {distinct} integer values {where}" if distinct > 1 else f"every label is {low}"
    if len(p.shape) > 2 and 128 <= high <= 255 and high + 1 > 2 * distinct:
        # A few values spread over 0..255 in masks: grey levels or colours saved with the image, which
        # the checks then compare with the output's classes (LA310 says to map them to ids).
        fits = (Fit("segmentation", distinct, f"segmentation with {distinct} classes, once each value is mapped to a class id"),)
        return _with(base, "class_ids", evidence, fits, num_classes=distinct, classes=counts,
                     caveat="values spread over 0..255 look like mask colours, not class ids")  # fmt: skip
    if high + 1 > 2 * distinct or _trails_off(counts, high):
        fits = (Fit("count", None, "count regression"), Fit("multiclass", distinct, f"multiclass with {distinct} classes, if these are class ids"))
        return _with(base, "counts", evidence, fits, classes=counts,
                     caveat="counts and class ids look alike: check which these are")  # fmt: skip
    if len(p.shape) > 2:
        fits = (Fit("segmentation", distinct, f"segmentation with {distinct} classes"),)
        return _with(base, "class_ids", evidence, fits, num_classes=distinct, classes=counts)
    fits = (
        Fit("multiclass", distinct, f"multiclass with {distinct} classes"),
        Fit("ordinal", distinct, "ordinal, if the ids are ordered levels"),
    )
    caveat = "integer labels could also be counts" if len(p.shape) == 1 else None
    return _with(base, "class_ids", evidence, fits, num_classes=distinct, classes=counts, caveat=caveat)


def _trails_off(counts: dict[Any, int], high: int) -> bool:
    """Counts start at 0 and thin out: the upper half of the range holds under 1% of the labels."""
    if 0 not in counts or high < 10:
        return False
    total = sum(counts.values())
    return sum(c for v, c in counts.items() if v > high / 2) < 0.01 * total


def _class_names(p: LabelProfile) -> Reading:
    counts = dict(p.value_counts())
    if not counts:
        base = {"profile": p, "ignore": (), "minimum": None, "maximum": None}
        evidence = f"labels are text with more than {MAX_DISTINCT:,} distinct values"
        return _with(base, "class_names", evidence, (Fit("multiclass", None, "multiclass, if these are class names"),))
    names = sorted(counts, key=lambda n: -counts[n])
    shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
    evidence = f"labels are {len(names)} class names ({shown})"
    encode = "after encoding the names as ids (LabelEncoder / StringLookup)"
    if len(names) == 2:
        fits = (Fit("binary", None, f"binary, {encode}"), Fit("multiclass", 2, "a 2-class multiclass"))
    else:
        fits = (Fit("multiclass", len(names), f"multiclass with {len(names)} classes, {encode}"),)
    base = {"profile": p, "ignore": (), "minimum": None, "maximum": None}
    return _with(base, "class_names", evidence, fits, num_classes=len(names), classes=counts)


def _real(p: LabelProfile, base: dict) -> Reading:
    low, high = _span(base)
    v = p.vectors
    if p.width > 1 and v is not None and v.count and v.sum_one == v.count:
        evidence = f"rows of {p.width} values in [0, 1] that sum to 1"
        fits = (
            Fit("distribution", p.width, "distribution matching (soft labels, distillation)"),
            Fit("multiclass", p.width, f"multiclass with {p.width} classes and soft labels"),
        )
        columns = tuple((i, int(n)) for i, n in enumerate(v.argmax))
        classes = tuple(sorted(columns, key=lambda item: (-item[1], item[0])))
        return _with(base, "distribution", evidence, fits, num_classes=p.width, classes=classes)
    outliers = p.outlier_share()
    if base["minimum"] >= 0 and base["maximum"] <= 1:
        fmt, evidence = "unit_interval", f"labels are real values between {low} and {high}"
        fits: tuple[Fit, ...] = (Fit("bounded-regression", None, "regression of values in [0, 1]"),)
    else:
        nonnegative = base["minimum"] >= 0
        fmt = "nonnegative" if nonnegative else "continuous"
        evidence = f"labels are {'non-negative ' if nonnegative else ''}real values from {low} to {high}"
        fits = (Fit("regression", None, "regression"),)
        if outliers is not None and outliers > ROBUST_SHARE:
            fits = (Fit("robust-regression", None, f"robust regression ({outliers:.1%} far outliers)"), *fits)
    return _with(base, fmt, evidence, fits, outlier_share=outliers)


_SIGNED_FITS = (Fit("binary", None, "binary with ±1 labels (map -1 to 0 for a binary crossentropy, or use a margin loss)"),)


def _with(base: dict, fmt: str, evidence: str, fits: tuple[Fit, ...], *, classes: Any = (), **more: Any) -> Reading:
    if isinstance(classes, dict):
        classes = tuple(sorted(classes.items(), key=lambda item: (-item[1], item[0])))
    return Reading(format=fmt, evidence=evidence, fits=fits, classes=tuple(classes), **base, **more)


def _span(base: dict) -> tuple[str, str]:
    return _number(base["minimum"]), _number(base["maximum"])


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def _share(count: int, total: int) -> str:
    return f"{count / total:.1%}" if total else "0%"


# --------------------------------------------------------------------------- the loss per framework


# --------------------------------------------------------------------------- classes the source names


def declare_classes(reading: Reading, names: tuple[str, ...], declared: str) -> Reading:
    """The reading when the source names its classes (a Hugging Face ClassLabel, class
    sub-folders): the class count is the source's, not the count of values that happen to occur,
    and the classes that never occur are listed as empty. `declared` says where the names come
    from ("the ClassLabel names", "class sub-folders")."""
    k = len(names)
    shown = ", ".join(names[:5]) + (", …" if k > 5 else "")
    evidence = f"{reading.evidence}; {declared} {k} classes ({shown})"
    seen = {value for value, _ in reading.classes}
    if reading.format == "class_names":
        fmt, empty = "class_names", tuple(n for n in names if n not in seen)
    elif reading.format in ("class_ids", "binary", "counts") and reading.profile.integral and len(reading.profile.shape) == 1:
        fmt, empty = ("binary" if k == 2 else "class_ids"), tuple(f"{i} ({name})" for i, name in enumerate(names) if i not in seen)
    else:  # one-hot / multi-hot rows (already as wide as the names), or values no class list explains
        return replace(reading, evidence=evidence)
    if k == 2 and reading.num_classes == 2:
        fits = reading.fits
    else:
        fits = (Fit("binary", None, "binary"), Fit("multiclass", 2, "a 2-class multiclass")) if k == 2 else (Fit("multiclass", k, f"multiclass with {k} classes"),)
    if fmt == "class_names":
        return replace(reading, evidence=evidence, fits=fits, num_classes=k, empty_classes=empty, caveat=None)
    # ids 0..k-1 by the source's definition, even when the first or last class never occurs here
    low, high = min(reading.minimum, 0), max(reading.maximum, k - 1)
    return replace(reading, format=fmt, evidence=evidence, fits=fits, num_classes=k, empty_classes=empty, caveat=None, minimum=low, maximum=high)
