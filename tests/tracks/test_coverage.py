"""Coverage windows: per source, file spans joined unless a hole of min_hole_h separates them."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from builders import T0

from harborwatch.tracks.coverage import coverage_windows, window_bounds


def _positions(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    """(source, file_id, hours after T0) rows."""
    return pl.DataFrame(
        {
            "source": [r[0] for r in rows],
            "file_id": [r[1] for r in rows],
            "ts": [T0 + timedelta(hours=r[2]) for r in rows],
        }
    ).with_columns(pl.col("source").cast(pl.Categorical))


def test_spans_closer_than_the_hole_merge_per_source() -> None:
    rows = [("a", "f1", 0), ("a", "f1", 2), ("a", "f2", 7.5), ("a", "f3", 30), ("b", "g", 1)]
    windows = coverage_windows(_positions(rows), min_hole_h=6)
    assert windows.rows() == [
        ("a", T0, T0 + timedelta(hours=7.5)),  # f1 ends at 2 h, f2 starts 5.5 h later: joined
        ("a", T0 + timedelta(hours=30), T0 + timedelta(hours=30)),
        ("b", T0 + timedelta(hours=1), T0 + timedelta(hours=1)),
    ]


def test_a_file_inside_another_does_not_end_the_window() -> None:
    rows = [("a", "long", 0), ("a", "long", 100), ("a", "short", 10), ("a", "late", 104)]
    windows = coverage_windows(_positions(rows), min_hole_h=6)
    assert windows.rows() == [("a", T0, T0 + timedelta(hours=104))]


def test_bounds_of_points_inside_and_outside_windows() -> None:
    windows = coverage_windows(_positions([("a", "f", 0), ("a", "f", 10)]), min_hole_h=6)
    at = [T0 + timedelta(hours=h) for h in (5, 5, 20)]
    start, end = window_bounds(windows, pl.Series(["a", "b", "a"]), pl.Series(at))
    us = [int(t.timestamp() * 1e6) for t in (T0, T0 + timedelta(hours=10), *at)]
    assert start.tolist() == [us[0], us[3], us[4]]  # outside any window: the point itself
    assert end.tolist() == [us[1], us[3], us[4]]
