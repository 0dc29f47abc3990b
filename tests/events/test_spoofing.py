"""Spoofing detector: teleports, positions on land, crowds at one spot, circling."""

from __future__ import annotations

import json
import math

import polars as pl
import pytest
from builders import Row, track_points

from harborwatch.config import SpoofingConfig
from harborwatch.events.base import DetectionContext
from harborwatch.events.spoofing import detect_spoofing
from harborwatch.geo.distance import haversine_m_expr

CONTEXT = DetectionContext()


def straight(vessel: str, n: int, start_h: float = 0.0, lon0: float = 20.0) -> list[Row]:
    """A vessel steaming east at about 10 kn, one report every 10 minutes."""
    step_deg = 10 * 1852 / 6 / (111_195 * math.cos(math.radians(34.0)))
    return [(vessel, start_h + i / 6, lon0 + i * step_deg, 34.0, 10.0) for i in range(n)]


def kinds(events: pl.DataFrame) -> list[str]:
    return [json.loads(a)["kind"] for a in events["attributes"]]


def attrs(events: pl.DataFrame, i: int = 0) -> dict[str, object]:
    return dict(json.loads(events["attributes"][i]))


def test_clean_tracks_give_nothing() -> None:
    points = track_points(straight("1", 40) + straight("2", 40, lon0=21.0))
    assert detect_spoofing(points, CONTEXT).is_empty()


def test_out_and_back_jump_is_one_teleport_with_both_jumps() -> None:
    rows = straight("1", 12)
    rows[5] = ("1", rows[5][1], rows[5][2] + 2.0, 34.5, 10.0)  # ~200 km away for 10 minutes
    events = detect_spoofing(track_points(rows), CONTEXT)
    assert kinds(events) == ["teleport"]
    event = events.row(0, named=True)
    assert attrs(events)["n_jumps"] == 2
    assert attrs(events)["n_points"] == 3  # before, the jumped point, after
    assert (event["lon"], event["lat"]) == pytest.approx((rows[5][2], 34.5))
    assert attrs(events)["max_implied_speed_knots"] > 600
    assert event["confidence"] == 4  # far above the threshold, and the track comes back
    evidence = json.loads(event["evidence"])
    assert [p["lat"] for p in evidence["points"]["points"]] == [34.0, 34.5, 34.0]
    assert evidence["thresholds"]["teleport_speed_knots"] == 50.0


def test_one_way_jump_in_one_segment_is_a_teleport() -> None:
    rows = straight("1", 6) + [("1", 1.0 + i / 6, 25.0 + i * 0.03, 34.0, 10.0) for i in range(6)]
    events = detect_spoofing(track_points(rows), CONTEXT)
    assert kinds(events) == ["teleport"]
    assert attrs(events)["n_jumps"] == 1
    assert events["confidence"][0] == 3  # far above the threshold but never comes back


def test_jump_to_a_later_segment_is_a_teleport_but_overlapping_segments_are_not() -> None:
    a = straight("1", 6)
    b = [("1", 1.0 + i / 6, 25.0 + i * 0.03, 34.0, 10.0) for i in range(6)]
    later = track_points(a + b, seg_id=["1-a"] * 6 + ["1-b"] * 6)
    assert kinds(detect_spoofing(later, CONTEXT)) == ["teleport"]
    # Two transmitters on one MMSI, interleaved: the segmenter keeps both segments alive.
    b = [("1", i / 6 + 1 / 12, 25.0 + i * 0.03, 34.0, 10.0) for i in range(6)]
    shared = track_points(a + b, seg_id=["1-a"] * 6 + ["1-b"] * 6)
    assert detect_spoofing(shared, CONTEXT).is_empty()


def test_noise_points_count_only_when_set_aside_as_impossible_jumps() -> None:
    rows = straight("1", 12)
    rows[5] = ("1", rows[5][1], rows[5][2] + 2.0, 34.5, 10.0)
    noise = [i == 5 for i in range(12)]
    for reason, expected in (("impossible_jump", ["teleport"]), ("sentinel_speed", [])):
        points = track_points(
            rows,
            noise=noise,
            noise_reason=[reason if n else None for n in noise],
            seg_id=[None if n else "1-seg" for n in noise],
        )
        assert kinds(detect_spoofing(points, CONTEXT)) == expected


def test_short_fast_hops_are_gps_error_not_teleports() -> None:
    rows = [("1", i / 3600, 20.0 + (i % 2) * 0.005, 34.0, 0.0) for i in range(10)]  # 460 m, 1 s
    assert detect_spoofing(track_points(rows), CONTEXT).is_empty()


def test_run_on_land_away_from_ports_is_one_event() -> None:
    rows = straight("1", 10)
    on_land = [3 <= i <= 5 for i in range(10)]
    points = track_points(rows, on_land=on_land, shore_distance_m=[0.0] * 10)
    events = detect_spoofing(points, CONTEXT)
    assert kinds(events) == ["on_land"]
    event = events.row(0, named=True)
    assert attrs(events)["n_points"] == 3
    assert event["start_ts"] == points["ts"][3] and event["end_ts"] == points["ts"][5]
    assert event["confidence"] == 2


def test_on_land_near_a_port_is_not_spoofing() -> None:
    rows = straight("1", 10)
    points = track_points(rows, on_land=[True] * 10, port_distance_m=[1_000.0] * 10)
    assert detect_spoofing(points, CONTEXT).is_empty()
    near_limit = track_points(rows, on_land=[True] * 10, port_distance_m=[6_000.0] * 10)
    assert kinds(detect_spoofing(near_limit, CONTEXT)) == ["on_land"]


def crowd(n_vessels: int, lon: float = 30.0, lat: float = 33.0) -> list[Row]:
    """``n_vessels`` vessels each reporting one spot (a few metres apart) within minutes."""
    return [(f"9{v}", 2 + v / 60, lon + v * 1e-5, lat, 0.0) for v in range(n_vessels)]


def test_many_vessels_at_one_spot() -> None:
    rows = crowd(5) + straight("1", 20)
    events = detect_spoofing(track_points(rows), CONTEXT)
    assert kinds(events) == ["same_spot"] * 5
    assert sorted(events["vessel_id"]) == [f"9{v}" for v in range(5)]
    first = attrs(events, 0)
    assert first["n_vessels"] == 5
    assert first["other_vessel_ids"] == ["91", "92", "93", "94"]
    assert events["confidence"].to_list() == [3] * 5  # far from ports, not twice the minimum


def test_four_vessels_or_far_apart_times_are_no_crowd() -> None:
    assert detect_spoofing(track_points(crowd(4)), CONTEXT).is_empty()
    spread = [(v, 3 * i, lon, lat, s) for i, (v, _, lon, lat, s) in enumerate(crowd(5))]
    assert detect_spoofing(track_points(spread), CONTEXT).is_empty()


def test_crowd_across_a_cell_edge_is_found() -> None:
    config = SpoofingConfig()
    cell_deg = config.same_spot_radius_m / math.sqrt(2) / 111_195
    edge_lat = 1000 * cell_deg  # a cell boundary of the unshifted grid
    rows = [
        (f"9{v}", 2 + v / 60, 30.0, edge_lat + (-1) ** v * 0.1 * cell_deg, 0.0) for v in range(6)
    ]
    assert kinds(detect_spoofing(track_points(rows), CONTEXT)) == ["same_spot"] * 6


def circle(
    vessel: str, minutes: int, radius_m: float = 1_000.0, with_course: bool = True
) -> pl.DataFrame:
    """A vessel circling clockwise around (35.5 E, 34.9 N) at 10 kn, one report a minute."""
    omega = 10 * 1852 / 60 / radius_m  # radians per minute
    rows, courses = [], []
    for i in range(minutes):
        angle = omega * i  # clockwise from north, seen from above
        dx, dy = radius_m * math.sin(angle), radius_m * math.cos(angle)
        lon = 35.5 + dx / (111_195 * math.cos(math.radians(34.9)))
        rows.append((vessel, i / 60, lon, 34.9 + dy / 111_195, 10.0))
        courses.append((math.degrees(angle) + 90) % 360)
    return track_points(rows, course_deg=courses if with_course else [None] * minutes)


@pytest.mark.parametrize("with_course", [True, False])
def test_circling_found_with_centre_radius_and_direction(with_course: bool) -> None:
    events = detect_spoofing(circle("7", 90, with_course=with_course), CONTEXT)
    assert kinds(events) == ["circling"]
    event = events.row(0, named=True)
    found = attrs(events)
    # 10 kn on a 1 km radius is one turn in 20.4 minutes: about 2.9 turns in the hour's window.
    assert found["turns_in_window"] == pytest.approx(60 / 20.36, abs=0.05)
    assert found["direction"] == "clockwise"
    assert found["radius_m"] == pytest.approx(1_000, rel=0.02)
    centre_m = pl.select(
        haversine_m_expr(pl.lit(event["lon"]), pl.lit(event["lat"]), pl.lit(35.5), pl.lit(34.9))
    ).item()
    assert centre_m < 100
    assert event["duration_h"] == pytest.approx(89 / 60)


def test_slow_wide_turns_and_drift_are_not_circling() -> None:
    # One turn in about 2 h on a 6 km radius: under two turns in any hour.
    assert detect_spoofing(circle("7", 180, radius_m=6_000.0), CONTEXT).is_empty()
    drifting = circle("7", 90).with_columns(pl.lit(0.5, pl.Float32).alias("speed_knots"))
    assert detect_spoofing(drifting, CONTEXT).is_empty()


def test_ids_are_deterministic_and_unique() -> None:
    rows = straight("1", 12) + crowd(5)
    rows[5] = ("1", rows[5][1], rows[5][2] + 2.0, 34.5, 10.0)
    points = pl.concat([track_points(rows), circle("7", 90)])
    first, second = detect_spoofing(points, CONTEXT), detect_spoofing(points.clone(), CONTEXT)
    assert first["event_id"].to_list() == second["event_id"].to_list()
    assert first["event_id"].n_unique() == first.height == 7


def test_empty_points_give_an_empty_events_table() -> None:
    events = detect_spoofing(track_points([]), CONTEXT)
    assert events.is_empty() and "event_id" in events.columns
