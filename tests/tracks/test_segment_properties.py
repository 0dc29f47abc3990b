"""Properties of the segmenter over generated tracks (hypothesis)."""

from __future__ import annotations

from random import Random

import polars as pl
from builders import PositionRow, positions
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.config import SegmentConfig
from harborwatch.tracks.segment import segment_tracks

CONFIG = SegmentConfig()

_row = st.tuples(
    st.sampled_from(["1", "22", "333", "key-a"]),
    st.integers(0, 3 * 24 * 60).map(lambda minute: minute / 60),  # three days, whole minutes
    st.one_of(st.none(), st.floats(9.9, 10.1), st.floats(-179.9, 179.9)),  # near, or anywhere
    st.one_of(st.floats(49.9, 50.1), st.floats(-80.0, 80.0)),
    st.one_of(st.none(), st.sampled_from([0.0, 5.0, 12.5, 51.2, 102.3])),
)
_tracks = st.lists(_row, min_size=1, max_size=60)


def _segment(rows: list[PositionRow]) -> pl.DataFrame:
    # A missing longitude makes the whole position missing, as readers give it.
    rows = [(v, h, lon, None if lon is None else lat, sog) for v, h, lon, lat, sog in rows]
    return segment_tracks(positions(rows), CONFIG)


@settings(max_examples=150, deadline=None)
@given(_tracks)
def test_every_position_in_exactly_one_segment_or_noise(rows: list[PositionRow]) -> None:
    out = _segment(rows)
    assert sorted(out["line_no"].to_list()) == list(range(1, len(rows) + 1))
    assert (out["noise"] == out["seg_id"].is_null()).all()
    assert (out["noise"] == out["noise_reason"].is_not_null()).all()
    # A segment belongs to one vessel, named in its id, and never spans a gap over max_gap_h.
    segments = out.filter(~pl.col("noise"))
    assert segments.select(pl.col("seg_id").str.starts_with(pl.col("vessel_id") + "-").all()).item()
    assert segments.group_by("seg_id").agg(pl.col("vessel_id").n_unique())["vessel_id"].max() in (
        None,
        1,
    )
    steps_h = segments.select(
        (pl.col("ts").diff().over("seg_id").dt.total_microseconds() / 3.6e9).max()
    ).item()
    assert steps_h is None or steps_h <= CONFIG.max_gap_h


@settings(max_examples=100, deadline=None)
@given(_tracks, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(rows: list[PositionRow], rnd: Random) -> None:
    numbered = positions(rows)
    order = list(range(len(rows)))
    rnd.shuffle(order)
    permuted = numbered[order]  # same rows (line numbers included), another order
    first = segment_tracks(numbered, CONFIG)
    second = segment_tracks(permuted, CONFIG)
    assert first.equals(second)


@settings(max_examples=50, deadline=None)
@given(_tracks)
def test_segment_ids_are_stable_across_runs(rows: list[PositionRow]) -> None:
    first = _segment(rows)["seg_id"]
    second = _segment(rows)["seg_id"]
    assert first.equals(second)
    # ids are natural keys: the vessel and the ISO time of the segment's first point
    starts = (
        _segment(rows)
        .filter(~pl.col("noise"))
        .group_by("seg_id")
        .agg(pl.col("ts").min(), pl.col("vessel_id").first())
    )
    for seg_id, ts, vessel in starts.iter_rows():
        assert seg_id.startswith(f"{vessel}-{ts:%Y-%m-%dT%H:%M:%S}.")


@settings(max_examples=100, deadline=None)
@given(_tracks, st.randoms(use_true_random=False), st.integers(0, 60))
def test_input_already_sorted_by_vessel_and_time_gives_the_same_result(
    rows: list[PositionRow], rnd: Random, cut: int
) -> None:
    # As a store query returns rows: by vessel and time, same-time rows in any order, in chunks.
    numbered = positions(rows)
    order = list(range(len(rows)))
    rnd.shuffle(order)
    vessel = pl.coalesce(pl.col("mmsi").cast(pl.String), pl.col("vessel_key"))
    ordered = numbered[order].sort(vessel, "ts", nulls_last=True, maintain_order=True)
    chunked = pl.concat([ordered[:cut], ordered[cut:]], rechunk=False)
    assert segment_tracks(chunked, CONFIG).equals(segment_tracks(numbered, CONFIG))
