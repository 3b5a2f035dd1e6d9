"""The public profile API: `profile(array)`, `LabelProfile.merge`, `profile_batches`.

The property users rely on when they profile Spark/Dask partitions or DataLoader batches and reduce:
merging the profiles of any split of the samples equals the profile of the whole.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lossadvisor
from lossadvisor.labels import profile as profile_module
from lossadvisor.labels.profile import LabelProfile, profile, profile_batches


def _label_arrays() -> st.SearchStrategy[np.ndarray]:
    """Arrays shaped like labels: ids (with ignore values), 0/1, floats with NaN/inf, one-hot and
    multi-hot rows, masks, text."""
    n = st.integers(1, 60)
    ids = n.flatmap(lambda k: hnp.arrays(np.int64, k, elements=st.sampled_from([0, 1, 2, 3, 7, 255, -1, -100])))
    zero_one = n.flatmap(lambda k: hnp.arrays(np.float32, (k, 4), elements=st.sampled_from([0.0, 1.0])))
    one_hot = st.lists(st.integers(0, 4), min_size=1, max_size=40).map(lambda ids: np.eye(5, dtype=np.uint8)[ids])
    reals = n.flatmap(
        lambda k: hnp.arrays(np.float64, k, elements=st.floats(allow_nan=True, allow_infinity=True, width=64) | st.sampled_from([0.5, -0.0, 0.0]))
    )
    soft = n.flatmap(lambda k: hnp.arrays(np.float32, (k, 3), elements=st.floats(0, 1, width=32)))
    masks = n.flatmap(lambda k: hnp.arrays(np.uint8, (k, 3, 2), elements=st.integers(0, 4)))
    huge = n.flatmap(lambda k: hnp.arrays(np.uint64, k, elements=st.sampled_from([0, 1, 2**63 + 1, 2**64 - 1])))
    flags = n.flatmap(lambda k: hnp.arrays(np.bool_, k))
    text = st.lists(st.sampled_from(["cat", "dog", "", "bird"]), min_size=1, max_size=30).map(lambda v: np.array(v, dtype=str))
    return st.one_of(ids, zero_one, one_hot, reals, soft, masks, flags, text, huge)


@st.composite
def split(draw) -> tuple[np.ndarray, list[np.ndarray]]:
    array = draw(_label_arrays())
    cuts = sorted(draw(st.lists(st.integers(0, len(array)), max_size=5)))
    bounds = [0, *cuts, len(array)]
    return array, [array[a:b] for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=300, deadline=None)
@given(split())
def test_merging_the_profiles_of_any_split_equals_the_profile_of_the_whole(case) -> None:
    whole, parts = case
    assert profile_batches(parts) == profile(whole)


@settings(max_examples=100, deadline=None)
@given(split(), st.randoms(use_true_random=False))
def test_merge_order_and_grouping_do_not_matter(case, rnd) -> None:
    _, parts = case
    profiles = [profile(p) for p in parts]
    left_to_right = profiles[0]
    for p in profiles[1:]:
        left_to_right = left_to_right.merge(p)
    right_to_left = profiles[-1]
    for p in reversed(profiles[:-1]):
        right_to_left = p.merge(right_to_left)
    assert left_to_right == right_to_left


@settings(max_examples=150, deadline=None)
@given(split())
def test_merging_stays_exact_past_the_distinct_value_limit(case) -> None:
    """Parts that still count their values merge with parts that switched to the histogram."""
    whole, parts = case
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(profile_module, "MAX_DISTINCT", 3)
        assert profile_batches(parts) == profile(whole)


def test_profile_facts_of_class_ids() -> None:
    p = lossadvisor.profile([3, 0, 7, 1, 3, 3])
    assert isinstance(p, LabelProfile)
    assert (p.count, p.minimum, p.maximum, p.distinct, p.integral) == (6, 0, 7, 4, True)
    assert p.value_counts()[0] == (3, 3)


def test_large_integer_labels_stay_exact() -> None:
    """Ids past 2**53 are counted and shown as the integers they are, merged or not."""
    near = np.array([0, 2**62 + 1, 2**62 + 3, 0], dtype=np.int64)
    assert [v for v, _ in profile(near).value_counts()] == [0, 2**62 + 1, 2**62 + 3]
    top = np.array([2**64 - 1, 1, 2**64 - 1], dtype=np.uint64)
    whole = profile(top)
    assert whole.value_counts() == [(2**64 - 1, 2), (1, 1)] and whole.maximum == 2**64 - 1
    assert profile_batches([top[:1], top[1:2], top[2:]]).value_counts() == whole.value_counts()


def test_profile_counts_non_finite_values_apart() -> None:
    p = profile(np.array([0.5, np.nan, np.inf, -np.inf, 0.25]))
    assert (p.nan, p.inf, p.finite, p.minimum, p.maximum) == (1, 2, 2, 0.25, 0.5)


def test_profile_of_one_hot_rows_keeps_the_class_axis() -> None:
    p = profile(np.eye(4)[[0, 2, 2, 3]])
    assert p.shape == (4, 4) and p.width == 4
    assert p.vectors is not None and p.vectors.sum_one == 4
    assert p.vectors.argmax.tolist() == [1, 0, 2, 1]


def test_far_outliers_are_measured_for_continuous_targets() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=10_000)
    assert profile(values).outlier_share() < 0.001
    values[:300] *= 1000  # 3% far out
    assert 0.02 < profile(values).outlier_share() <= 0.03


def test_batches_from_a_dataloader_style_iterable() -> None:
    torch = pytest.importorskip("torch")
    targets = torch.randint(0, 10, (257,))
    batches = (targets[i:i + 32] for i in range(0, 257, 32))
    assert profile_batches(batches) == profile(targets.numpy())


def test_what_cannot_be_profiled_is_refused() -> None:
    with pytest.raises(ValueError, match="no batches"):
        profile_batches([])
    with pytest.raises(TypeError, match="Python objects"):
        profile(np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="per-sample shape"):
        profile(np.zeros((2, 3))).merge(profile(np.zeros((2, 4))))
    with pytest.raises(ValueError, match="text labels with numeric"):
        profile(np.array(["a"])).merge(profile(np.array([1])))
