"""The segmenter on tracks declared one line each: shared MMSIs, noise, gaps, derived motion."""

from __future__ import annotations

import math
from datetime import timedelta

import polars as pl
import pytest
from builders import T0, PositionRow, positions

from harborwatch.config import SegmentConfig
from harborwatch.events.base import empty_frame
from harborwatch.schemas import POSITIONS, SEGMENTS, TRACK_POINTS
from harborwatch.tracks.segment import SEGMENT_COLUMNS, segment_tracks, summarise_segments


def by_line(points: pl.DataFrame) -> dict[int, dict[str, object]]:
    """Output rows keyed by input line number."""
    return {row["line_no"]: row for row in points.iter_rows(named=True)}


def test_output_columns_follow_track_points() -> None:
    out = segment_tracks(positions([("1", 0, 10.0, 50.0, 5.0)]))
    track_columns = [c for c in TRACK_POINTS.names if c in out.columns]
    assert track_columns == ["vessel_id", *POSITIONS.names, *SEGMENT_COLUMNS]
    expected_types = empty_frame(TRACK_POINTS).schema
    assert all(out.schema[c] == expected_types[c] for c in SEGMENT_COLUMNS)


def test_two_transmitters_sharing_an_mmsi_make_two_segments() -> None:
    # Two ships on one MMSI, ~100 km apart (0.9 degree of latitude), reporting alternately every
    # 5 minutes while steaming north at 6 kn (0.1 degree of latitude per hour).
    rows: list[PositionRow] = []
    for k in range(24):
        hours = k / 12
        rows.append(("273396130", hours, 10.0, 50.0 + 0.1 * hours, 6.0))
        rows.append(("273396130", hours + 1 / 24, 10.0, 50.9 + 0.1 * (hours + 1 / 24), 6.0))
    out = segment_tracks(positions(rows))
    assert not out["noise"].any()
    south = out.filter(pl.col("lat") < 50.5)["seg_id"].unique()
    north = out.filter(pl.col("lat") > 50.5)["seg_id"].unique()
    assert south.len() == 1 and north.len() == 1 and south[0] != north[0]
    assert out["implied_speed_knots"].drop_nulls().max() == pytest.approx(6.0, rel=0.01)
    segments = summarise_segments(out)
    assert segments["n_positions"].to_list() == [24, 24]
    assert segments["flags"].to_list() == ["shared_mmsi", "shared_mmsi"]


def test_sentinel_speeds_are_noise_and_kept() -> None:
    rows: list[PositionRow] = [("1", h / 6, 10.0, 50.0 + h / 60, 6.0) for h in range(6)]
    rows[2] = ("1", 2 / 6, 10.0, 50.0 + 2 / 60, 102.3)
    rows[3] = ("1", 3 / 6, 10.0, 50.0 + 3 / 60, 51.2)
    rows[4] = ("1", 4 / 6, 10.0, 50.0 + 4 / 60, 63.0)
    out = by_line(segment_tracks(positions(rows)))
    for line in (3, 4, 5):
        assert out[line]["noise"] is True
        assert out[line]["noise_reason"] == "sentinel_speed"
        assert out[line]["seg_id"] is None
    assert {out[line]["seg_id"] for line in (1, 2, 6)} == {"1-2024-12-28T00:00:00.000000Z"}
    assert out[6]["implied_speed_knots"] == pytest.approx(6.0, rel=0.01)  # from line 2, 50 min


def test_missing_position_is_noise() -> None:
    rows: list[PositionRow] = [("1", 0, 10.0, 50.0, 1.0), ("1", 0.1, None, None, 1.0)]
    out = by_line(segment_tracks(positions(rows)))
    assert (out[2]["noise"], out[2]["noise_reason"], out[2]["seg_id"]) == (
        True,
        "no_position",
        None,
    )
    assert out[1]["noise"] is False and out[1]["noise_reason"] is None


def test_single_far_point_is_an_impossible_jump() -> None:
    rows: list[PositionRow] = [("1", h / 6, 10.0, 50.0 + h / 60, 6.0) for h in range(8)]
    rows[4] = ("1", 4 / 6, 14.0, 52.0, 6.0)  # ~300 km off, then back on track
    out = by_line(segment_tracks(positions(rows)))
    assert out[5]["noise_reason"] == "impossible_jump" and out[5]["seg_id"] is None
    assert len({out[line]["seg_id"] for line in out if line != 5}) == 1


def test_teleport_is_not_revived_by_the_track_resuming_after_a_silence() -> None:
    # Issue #3 (367199310, Santa Barbara): steaming north at 30 kn, reporting every 5 s; one
    # report is displaced 120 km ahead. After 11 h of silence the track resumes on its course: by
    # dead reckoning from the far point it fits the one-point segment better than the real track,
    # yet the far point was contradicted 5 s later (120 km away) and the silence is far longer than
    # sailing back would take, so the far point stays an impossible jump.
    def lat(hours: float) -> float:
        return 34.0 + 30.0 * hours / 60.0  # 30 kn north: half a degree of latitude an hour

    step_h = 5 / 3600
    rows: list[PositionRow] = [("1", k * step_h, -119.8, lat(k * step_h), 30.0) for k in range(240)]
    far_h = 120 * step_h
    rows[120] = ("1", far_h, -119.8, lat(far_h) + 120.0 / 111.2, 30.0)  # 120 km north
    resume_h = rows[-1][1] + 11.0
    rows += [
        ("1", resume_h + k * step_h, -119.8, lat(resume_h + k * step_h), 30.0) for k in range(200)
    ]
    out = by_line(segment_tracks(positions(rows)))
    assert out[121]["noise_reason"] == "impossible_jump" and out[121]["seg_id"] is None
    assert len({out[line]["seg_id"] for line in out if line != 121}) == 1  # one track throughout


def test_moored_second_transmitter_heard_again_after_a_long_silence_keeps_its_segment() -> None:
    # As 567000000 in GFW's regression tracks: one ship moored, reporting every 10 min for two
    # days; another, 60 nm away, heard once, then again 21 h later from the same spot. Its first
    # point lies between two points of the first ship, but it is no jump: it is where it was.
    rows: list[PositionRow] = [("1", k / 6, 100.575, 13.572, 0.0) for k in range(288)]
    rows += [("1", h, 100.923, 12.631, 0.0) for h in (10.05, 31.05, 31.25, 31.45)]
    out = segment_tracks(positions(rows))
    assert not out["noise"].any()
    south = out.filter(pl.col("lat") < 13.0)["seg_id"].unique()
    north = out.filter(pl.col("lat") > 13.0)["seg_id"].unique()
    assert south.to_list() == ["1-2024-12-28T10:03:00.000000Z"] and north.len() == 1


def test_gap_longer_than_max_gap_opens_a_new_segment() -> None:
    config = SegmentConfig()
    rows: list[PositionRow] = [
        ("1", 0, 10.0, 50.0, 0.0),
        ("1", 1, 10.0, 50.0, 0.0),
        ("1", 1 + config.max_gap_h - 0.5, 10.0, 50.0, 0.0),  # just under: same segment
        ("1", 1 + 2 * config.max_gap_h, 10.0, 50.0, 0.0),  # over: a new one
    ]
    out = by_line(segment_tracks(positions(rows), config))
    assert out[1]["seg_id"] == out[2]["seg_id"] == out[3]["seg_id"]
    assert out[4]["seg_id"] != out[3]["seg_id"]
    assert out[4]["seg_id"] == "1-2024-12-30T01:00:00.000000Z"
    assert out[4]["implied_speed_knots"] is None  # first point of its segment


def test_suez_speed_and_course_derived_from_positions() -> None:
    # No SOG/COG; 0.1 degree of latitude (6 nm) north, then east along the parallel, each hour.
    rows: list[PositionRow] = [
        ("suez-17", 0, 32.3, 30.0, None),
        ("suez-17", 1, 32.3, 30.1, None),
        ("suez-17", 2, 32.3, 30.2, None),
        ("suez-17", 3, 32.3 + 0.1 / math.cos(math.radians(30.2)), 30.2, None),
    ]
    out = segment_tracks(positions(rows, source=["suez"] * 4))
    assert out["vessel_id"].unique().to_list() == ["suez-17"]
    assert out["speed_knots"].to_list() == pytest.approx([6.0, 6.0, 6.0, 6.0], rel=0.01)
    assert out["course_deg"].to_list()[:3] == pytest.approx([0.0, 0.0, 0.0], abs=0.01)
    assert out["course_deg"][3] == pytest.approx(90.0, abs=0.1)
    assert out["sog_knots"].null_count() == 4  # the reported columns stay as they were


def test_reported_speed_and_course_pass_through() -> None:
    rows: list[PositionRow] = [("1", 0, 10.0, 50.0, 3.5), ("1", 1, 10.0, 50.05, 3.0)]
    out = segment_tracks(positions(rows, cog_deg=[12.0, 14.0]))
    assert out["speed_knots"].to_list() == [3.5, 3.0]
    assert out["course_deg"].to_list() == [12.0, 14.0]


def test_type27_close_to_a_fuller_report_is_noise() -> None:
    rows: list[PositionRow] = [
        ("1", 0.0, 10.0, 50.0, 6.0),
        ("1", 0.2, 10.0, 50.02, 6.0),  # type 27, 12 min after line 1: coarse duplicate
        ("1", 0.4, 10.0, 50.04, 6.0),
        ("1", 2.4, 10.0, 50.24, 6.0),  # type 27 two hours on: the only news, kept
    ]
    out = by_line(segment_tracks(positions(rows, msg_type=[1, 27, 1, 27])))
    assert out[2]["noise_reason"] == "coarse_type27"
    assert out[4]["noise"] is False and out[4]["seg_id"] == out[1]["seg_id"]


def test_vessels_sorted_and_segment_ids_carry_vessel_and_first_time() -> None:
    rows: list[PositionRow] = [
        ("2", 1, 10.0, 50.0, 0.0),
        ("10", 2, 11.0, 50.0, 0.0),
        ("2", 0, 10.0, 50.0, 0.0),
        ("abc", 0, 12.0, 50.0, 0.0),
    ]
    out = segment_tracks(positions(rows))
    assert out["vessel_id"].to_list() == ["10", "2", "2", "abc"]
    assert out["seg_id"].to_list() == [
        "10-2024-12-28T02:00:00.000000Z",
        "2-2024-12-28T00:00:00.000000Z",
        "2-2024-12-28T00:00:00.000000Z",
        "abc-2024-12-28T00:00:00.000000Z",
    ]


def test_segments_starting_at_the_same_time_get_distinct_ids() -> None:
    rows: list[PositionRow] = [("1", 0, 10.0, 50.0, 0.0), ("1", 0, 20.0, 50.0, 0.0)]
    out = segment_tracks(positions(rows))
    assert sorted(out["seg_id"].to_list()) == [
        "1-2024-12-28T00:00:00.000000Z",
        "1-2024-12-28T00:00:00.001000Z",
    ]


def test_summarise_segments() -> None:
    rows: list[PositionRow] = [("1", h, 10.0, 50.0 + 0.1 * h, 6.0) for h in range(4)]
    rows.append(("1", 40, 10.0, 55.0, 6.0))
    segments = summarise_segments(segment_tracks(positions(rows)))
    assert segments.columns == SEGMENTS.names
    first, second = segments.iter_rows(named=True)
    assert first["n_positions"] == 4 and second["n_positions"] == 1
    assert first["distance_m"] == pytest.approx(3 * 0.1 * 60 * 1852, rel=0.01)
    assert (first["first_ts"], first["last_ts"]) == (T0, T0 + timedelta(hours=3))
    assert first["mmsi"] == 1 and first["flags"] == "" and second["distance_m"] == 0.0


def test_empty_input() -> None:
    out = segment_tracks(positions([]))
    assert out.height == 0 and "seg_id" in out.columns
    assert summarise_segments(out).height == 0
