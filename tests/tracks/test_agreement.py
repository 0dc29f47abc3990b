"""Pairwise same-segment precision and recall, counted from contingency tables."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from harborwatch.tracks.agreement import (
    agreement_by_vessel,
    overall_agreement,
    segmentation_agreement,
)


def test_identical_segmentations_agree_fully() -> None:
    labels = pl.Series(["a", "a", "b", "b", "b"])
    assert segmentation_agreement(labels, labels) == (1.0, 1.0)


def test_merging_two_segments() -> None:
    # expected {0,1} {2,3}: 2 pairs; actual puts all four together: 6 pairs, 2 of them right.
    precision, recall = segmentation_agreement(
        np.array(["a", "a", "b", "b"]), np.array(["x", "x", "x", "x"])
    )
    assert (precision, recall) == (pytest.approx(2 / 6), 1.0)


def test_splitting_a_segment() -> None:
    # expected one segment of 4 (6 pairs); actual {0,1,2} {3}: 3 pairs, all right.
    precision, recall = segmentation_agreement(
        pl.Series(["a"] * 4), pl.Series(["x", "x", "x", "y"])
    )
    assert (precision, recall) == (1.0, pytest.approx(3 / 6))


def test_nulls_are_singletons() -> None:
    # Two nulls in actual do not pair with each other: only {0,1} is together on that side.
    precision, recall = segmentation_agreement(
        pl.Series(["a", "a", "a", "a"]), pl.Series(["x", "x", None, None])
    )
    assert (precision, recall) == (1.0, pytest.approx(1 / 6))
    assert segmentation_agreement(pl.Series([None, None]), pl.Series([None, None])) == (1.0, 1.0)


def test_matches_brute_force_pair_count() -> None:
    rng = np.random.default_rng(3)
    expected = rng.integers(0, 4, 60)
    actual = rng.integers(0, 3, 60)
    i, j = np.triu_indices(60, 1)
    same_e = expected[i] == expected[j]
    same_a = actual[i] == actual[j]
    precision, recall = segmentation_agreement(expected, actual)
    assert precision == pytest.approx((same_e & same_a).sum() / same_a.sum())
    assert recall == pytest.approx((same_e & same_a).sum() / same_e.sum())


def test_per_vessel_and_overall() -> None:
    frame = pl.DataFrame(
        {
            "vessel_id": ["1", "1", "1", "2", "2"],
            "expected": ["a", "a", "b", "c", "c"],
            "seg_id": ["x", "x", "x", "y", "z"],
        }
    )
    per_vessel = agreement_by_vessel(frame)
    assert per_vessel["vessel_id"].to_list() == ["1", "2"]
    assert per_vessel["n_messages"].to_list() == [3, 2]
    assert per_vessel["pairs_expected"].to_list() == [1, 1]
    assert per_vessel["pairs_actual"].to_list() == [3, 0]
    assert per_vessel["pairs_both"].to_list() == [1, 0]
    assert per_vessel["precision"].to_list() == [pytest.approx(1 / 3), 1.0]
    assert per_vessel["recall"].to_list() == [1.0, 0.0]
    # Pairs never cross vessels: "x" in vessel 1 and a same-named id in vessel 2 stay apart.
    assert overall_agreement(per_vessel) == (pytest.approx(1 / 3), pytest.approx(1 / 2))
