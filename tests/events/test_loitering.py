"""Loitering detector: slow runs at sea, thresholds, breaks, partition independence, stable ids."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import polars as pl
from builders import T0, track_points
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.config import LoiteringConfig
from harborwatch.events.base import DetectionContext
from harborwatch.events.loitering import detect_loitering

CTX = DetectionContext()
ONE_DEG_LAT_M = 111_195.0


def quarter_hourly(
    vessel: str, speeds: list[float], lat_step: float = 0.0
) -> list[tuple[str, float, float, float, float]]:
    """One point every 15 min at the given speeds, drifting north by ``lat_step`` deg a point."""
    return [(vessel, i / 4, 20.0, 33.0 + i * lat_step, s) for i, s in enumerate(speeds)]


def test_slow_run_at_sea_is_a_loiter() -> None:
    # 12 kn, then 11 points (2.5 h) at 1 kn drifting 0.001 deg north a point, then 12 kn again.
    rows = quarter_hourly("1", [12.0, 12.0] + [1.0] * 11 + [12.0, 12.0], lat_step=0.001)
    events = detect_loitering(track_points(rows, shore_distance_m=[90_000.0] * len(rows)), CTX)
    assert events.height == 1
    event = events.row(0, named=True)
    assert event["start_ts"] == T0 + timedelta(minutes=30)
    assert event["end_ts"] == T0 + timedelta(minutes=180)
    assert event["duration_h"] == 2.5
    assert event["confidence"] == 4
    attributes = json.loads(event["attributes"])
    assert attributes["n_positions"] == 11
    assert attributes["mean_speed_knots"] == 1.0
    assert math.isclose(attributes["distance_m"], 10 * 0.001 * ONE_DEG_LAT_M, rel_tol=1e-3)
    assert attributes["mean_shore_distance_m"] == 90_000.0
    points = json.loads(event["evidence"])["points"]
    assert points["before_speed_knots"] == 12.0
    assert points["after_ts"].startswith("2024-12-28T03:15")


def test_thresholds_and_breaks() -> None:
    short = quarter_hourly("1", [1.0] * 8)  # 1.75 h
    assert detect_loitering(track_points(short), CTX).height == 0
    near_port = quarter_hourly("1", [1.0] * 12)
    port = track_points(near_port, port_distance_m=[9_000.0] * 12)
    assert detect_loitering(port, CTX).height == 0
    # Slow for 3 h, but a 6 h silence in the middle: two halves, each too short.
    rows = [("1", h, 20.0, 33.0, 1.0) for h in [0.0, 0.5, 1.0, 1.5, 7.5, 8.0, 8.5, 9.0]]
    assert detect_loitering(track_points(rows), CTX).height == 0
    # A segment change breaks the run too.
    rows = quarter_hourly("1", [1.0] * 16)
    segs = ["a"] * 8 + ["b"] * 8
    assert detect_loitering(track_points(rows, seg_id=segs), CTX).height == 0
    assert detect_loitering(track_points(rows), CTX).height == 1


def test_sparse_loiter_has_lower_confidence() -> None:
    rows = [("1", h, 20.0, 33.0, 0.5) for h in [0.0, 3.0, 5.5]]
    events = detect_loitering(track_points(rows), CTX)
    assert events["confidence"].to_list() == [2]
    assert json.loads(events["attributes"][0])["max_interval_h"] == 3.0


def test_clean_transit_has_no_loiter() -> None:
    rows = quarter_hourly("1", [12.0] * 200) + quarter_hourly("2", [8.0] * 100)
    assert detect_loitering(track_points(rows), CTX).height == 0


@settings(max_examples=60, deadline=None)
@given(
    tracks=st.dictionaries(
        st.sampled_from(["1", "22", "x"]),
        st.lists(st.sampled_from([0.0, 1.0, 1.99, 2.0, 10.0]), max_size=40),
    ),
    min_duration_h=st.sampled_from([0.5, 2.0]),
)
def test_loiter_properties(tracks: dict[str, list[float]], min_duration_h: float) -> None:
    rows = [row for vessel, speeds in tracks.items() for row in quarter_hourly(vessel, speeds)]
    if not rows:
        return
    config = LoiteringConfig(min_duration_h=min_duration_h)
    events = detect_loitering(track_points(rows), CTX, config)
    assert (events["duration_h"] >= min_duration_h).all()
    for attributes in events["attributes"]:
        assert json.loads(attributes)["mean_speed_knots"] < config.max_speed_knots
    for vessel in tracks:
        alone = [row for row in rows if row[0] == vessel]
        if alone:
            own = detect_loitering(track_points(alone), CTX, config)
            assert own.equals(events.filter(pl.col("vessel_id") == vessel))
    again = detect_loitering(track_points(rows), CTX, config)
    assert again["event_id"].to_list() == events["event_id"].to_list()
