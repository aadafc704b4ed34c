"""Splits: deterministic from (seed, column), stratified, nested fractions, file split wins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.cutout_writer import write_cutouts
from astrobench.data.splits import (
    few_shot_subset,
    label_fraction_subset,
    split_indices,
    strata_for,
    stratified_split,
)
from astrobench.errors import ConfigError, InsufficientDataError


def test_same_seed_same_indices_on_any_machine() -> None:
    # Hard-coded: a change in the RNG or the algorithm changes every published split.
    strata = np.arange(20) % 2
    split = stratified_split(strata, seed=0)
    np.testing.assert_array_equal(split["val"], [5, 8])
    np.testing.assert_array_equal(split["test"], [12, 19])
    assert len(split["train"]) == 16
    subset = label_fraction_subset(np.arange(100, 120), strata, 0.3, seed=0)
    np.testing.assert_array_equal(subset, [104, 105, 107, 108, 112, 119])
    assert not np.array_equal(stratified_split(strata, seed=1)["val"], split["val"])


def test_split_is_a_partition_and_stratified() -> None:
    labels = np.repeat([0, 1, 2], [500, 300, 200])
    split = stratified_split(labels, seed=3)
    together = np.concatenate(list(split.values()))
    assert sorted(together.tolist()) == list(range(1000))
    for name, fraction in (("train", 0.8), ("val", 0.1), ("test", 0.1)):
        counts = np.bincount(labels[split[name]], minlength=3)
        np.testing.assert_allclose(counts, np.array([500, 300, 200]) * fraction, atol=1)


def test_label_fractions_are_nested_and_stratified() -> None:
    labels = np.repeat([0, 1], [300, 100])
    train = np.arange(1000, 1400)  # positions refer to these object indices
    subsets = {f: label_fraction_subset(train, labels, f, seed=7) for f in (0.1, 0.3, 1.0)}
    assert set(subsets[0.1]) <= set(subsets[0.3]) <= set(subsets[1.0]) == set(train)
    assert len(subsets[0.1]) == 40 and len(subsets[0.3]) == 120
    counts = np.bincount(labels[subsets[0.1] - 1000])
    np.testing.assert_array_equal(counts, [30, 10])
    np.testing.assert_array_equal(label_fraction_subset(train, labels, 0.1, seed=7), subsets[0.1])


def test_few_shot_nested_and_insufficient() -> None:
    labels = np.repeat([0, 1, 2], 10)
    five = few_shot_subset(np.arange(30), labels, 5, seed=0)
    ten = few_shot_subset(np.arange(30), labels, 10, seed=0)
    assert np.bincount(labels[five]).tolist() == [5, 5, 5]
    assert set(five) <= set(ten)
    with pytest.raises(InsufficientDataError, match="class 0 has only 10"):
        few_shot_subset(np.arange(30), labels, 11, seed=0)


def test_continuous_column_is_binned() -> None:
    z = np.linspace(0, 1, 100)
    z[3] = np.nan
    strata = strata_for(z)
    assert strata[3] == -1 and len(set(strata.tolist())) == 11


def test_bad_fractions() -> None:
    with pytest.raises(ConfigError, match="summing to 1, got"):
        stratified_split(np.zeros(10), 0, (0.5, 0.5, 0.5))
    with pytest.raises(ConfigError, match="three non-negative"):
        stratified_split(np.zeros(10), 0, (1.2, -0.1, -0.1))
    with pytest.raises(ConfigError, match="three non-negative"):
        stratified_split(np.zeros(10), 0, (0.5, 0.5))
    with pytest.raises(ConfigError, match=r"label fraction must be in \(0, 1\], got 0.0"):
        label_fraction_subset(np.arange(10), np.zeros(10), 0.0, 0)
    with pytest.raises(ConfigError, match=r"got 1\.5"):
        label_fraction_subset(np.arange(10), np.zeros(10), 1.5, 0)


def test_file_split_column_wins(tmp_path: Path) -> None:
    split = np.array([2, 0, 0, 1, 0, 2], dtype=np.int8)
    path = write_cutouts(
        tmp_path / "s.h5",
        np.zeros((6, 1, 2, 2)),
        {"object_id": np.arange(6), "label": [0, 1, 0, 1, 0, 1], "split": split},
        bands=["r"],
        pixel_scale_arcsec=1.0,
    )
    with CutoutFile(path) as cutouts:
        for seed in (0, 1):
            parts = split_indices(cutouts, seed=seed)
            assert parts["train"].tolist() == [1, 2, 4]
            assert parts["val"].tolist() == [3] and parts["test"].tolist() == [0, 5]


def test_split_indices_from_file_label(small_cutouts: Path) -> None:
    with CutoutFile(small_cutouts) as cutouts:
        first = split_indices(cutouts, seed=0)
        again = split_indices(cutouts, seed=0)
        for name in first:
            np.testing.assert_array_equal(first[name], again[name])
        labels = cutouts.column("label")
        assert np.bincount(labels[first["test"]]).tolist() == [2, 2, 2]


def test_a_label_fraction_rounds_up_per_stratum() -> None:
    """10 % of 15 objects is 1.5 labels: the stratum keeps 2 (rounding up), never 1."""
    strata = np.repeat([0, 1], [15, 5])
    subset = label_fraction_subset(np.arange(20), strata, 0.1, seed=0)
    assert np.bincount(strata[subset]).tolist() == [2, 1]  # ceil(1.5) = 2, ceil(0.5) = 1
    for fraction, expected in ((0.2, [3, 1]), (0.34, [6, 2]), (0.5, [8, 3]), (1.0, [15, 5])):
        subset = label_fraction_subset(np.arange(20), strata, fraction, seed=0)
        assert np.bincount(strata[subset]).tolist() == expected, fraction


def test_fraction_of_a_tiny_stratum_keeps_at_least_one_and_is_nested() -> None:
    strata = np.array([0, 0, 0, 1, 2, 2])
    small = label_fraction_subset(np.arange(6), strata, 0.01, seed=4)
    assert np.bincount(strata[small]).tolist() == [1, 1, 1]
    for low, high in ((0.01, 0.4), (0.4, 0.7), (0.7, 1.0)):
        a = set(label_fraction_subset(np.arange(6), strata, low, seed=4).tolist())
        b = set(label_fraction_subset(np.arange(6), strata, high, seed=4).tolist())
        assert a <= b, (low, high)


def test_split_sizes_round_to_nearest_per_stratum() -> None:
    """15 objects at 80/10/10: 1.5 rounds to 2 (val), 1.5 to 2 (test), the rest trains."""
    split = stratified_split(np.zeros(15, dtype=np.int64), seed=0)
    assert [len(split[k]) for k in ("train", "val", "test")] == [11, 2, 2]
    split = stratified_split(np.zeros(14, dtype=np.int64), seed=0, fractions=(0.5, 0.3, 0.2))
    assert [len(split[k]) for k in ("train", "val", "test")] == [7, 4, 3]  # 4.2 -> 4, 2.8 -> 3


def test_a_split_column_beats_the_stratify_column_and_no_label_means_one_stratum(
    small_cutouts: Path,
) -> None:
    with CutoutFile(small_cutouts) as cutouts:
        by_label = split_indices(cutouts, seed=1)
        by_nothing = split_indices(cutouts, seed=1, stratify=None)
        by_missing = split_indices(cutouts, seed=1, stratify="no_such_column")
    np.testing.assert_array_equal(
        by_nothing["val"], stratified_split(np.zeros(60, dtype=np.int64), 1)["val"]
    )
    np.testing.assert_array_equal(by_missing["val"], by_nothing["val"])
    assert not np.array_equal(by_label["val"], by_nothing["val"])


def test_regression_strata_are_quantile_bins() -> None:
    values = np.arange(20, dtype=np.float64)
    np.testing.assert_array_equal(strata_for(values, n_bins=4), np.repeat([0, 1, 2, 3], 5))
    np.testing.assert_array_equal(strata_for(np.array([3, 1, 2])), [3, 1, 2])  # labels as is
    assert strata_for(np.array([np.nan, np.nan])).tolist() == [-1, -1]


def test_few_shot_takes_exactly_n_of_each_class_from_the_given_indices() -> None:
    labels = np.array([2, 0, 1, 0, 2, 1, 0, 1, 2, 0])
    indices = np.arange(500, 510)
    chosen = few_shot_subset(indices, labels, 2, seed=3)
    assert chosen.dtype == np.int64 and list(chosen) == sorted(chosen)
    assert set(chosen) <= set(indices)
    assert np.bincount(labels[chosen - 500]).tolist() == [2, 2, 2]
    np.testing.assert_array_equal(chosen, few_shot_subset(indices, labels, 2, seed=3))
    assert not np.array_equal(chosen, few_shot_subset(indices, labels, 2, seed=4))
    # exactly as many as a class has is fine; one more names that class
    assert len(few_shot_subset(indices, labels, 3, seed=0)) == 9
    with pytest.raises(InsufficientDataError, match="class 1 has only 3 labelled objects, 4 asked"):
        few_shot_subset(indices, np.where(labels == 1, 1, 0), 4, seed=0)


def test_strata_are_int64_and_a_value_on_a_bin_edge_goes_to_the_upper_bin() -> None:
    values = np.array([0.0, 1.0, 2.0, 3.0, 4.0])  # quartile edges fall exactly on 1, 2 and 3
    strata = strata_for(values, n_bins=4)
    assert strata.dtype == np.int64 and strata.tolist() == [0, 1, 2, 3, 3]
    labels = strata_for(np.array([2, 0, 1], dtype=np.int32))
    assert labels.dtype == np.int64 and labels.tolist() == [2, 0, 1]
    assert strata_for(np.array([True, False])).dtype == np.int64


def test_split_indices_defaults_and_fractions(small_cutouts: Path) -> None:
    with CutoutFile(small_cutouts) as cutouts:
        default = split_indices(cutouts)
        seed0 = split_indices(cutouts, seed=0)
        halves = split_indices(cutouts, seed=0, fractions=(0.5, 0.25, 0.25))
    for name in default:
        np.testing.assert_array_equal(default[name], seed0[name])  # the default seed is 0
    assert [len(halves[k]) for k in ("train", "val", "test")] == [30, 15, 15]  # 20 per class


def test_a_zero_fraction_is_allowed() -> None:
    split = stratified_split(np.zeros(10, dtype=np.int64), seed=0, fractions=(0.9, 0.1, 0.0))
    assert [len(split[k]) for k in ("train", "val", "test")] == [9, 1, 0]


@pytest.mark.parametrize(
    ("labels", "n_class_1"), [([0, 0, 0, 2, 2, 1, 0, 2, 1, 0], 2), ([1, 0, 0, 0], 1)]
)
def test_too_few_of_a_class_for_few_shot_names_the_class_exactly(
    labels: list[int], n_class_1: int
) -> None:
    with pytest.raises(InsufficientDataError, match="labelled objects") as error:
        few_shot_subset(np.arange(len(labels)) + 100, np.array(labels), 3, seed=0)
    assert error.value.message == f"class 1 has only {n_class_1} labelled objects, 3 asked for"
    assert error.value.hint == "ask for fewer per class or use a label fraction"
