"""Encounter detector: pairs side by side, thresholds, cell boundaries, partitions, stable ids."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from pathlib import Path

import polars as pl
from builders import T0, track_points
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.ais.batch import ReadContext, concat_batches
from harborwatch.ais.sources import read_file
from harborwatch.config import EncounterConfig
from harborwatch.events.base import DetectionContext
from harborwatch.events.detect import build_track_points
from harborwatch.events.encounters import detect_encounters
from harborwatch.geo.reference import load_geography

CTX = DetectionContext()
M_PER_DEG_LAT = 111_195.0

Row = tuple[str, float, float, float, float]


def parked(
    vessel: str, lon: float, lat: float, hours: float, speed: float = 0.5, offset_min: float = 0.0
) -> list[Row]:
    """A vessel holding one position, reporting every 5 minutes for ``hours``."""
    n = round(hours * 12) + 1
    return [(vessel, i / 12 + offset_min / 60, lon, lat, speed) for i in range(n)]


def east_of(lon: float, lat: float, metres: float) -> float:
    """The longitude ``metres`` east of ``lon`` along the parallel ``lat`` (small distances)."""
    return lon + metres / (M_PER_DEG_LAT * math.cos(math.radians(lat)))


def test_two_slow_vessels_side_by_side() -> None:
    # "456" reports 1 min after "123", 300 m to the east, for 3 h.
    rows = parked("456", east_of(25.0, 34.0, 300.0), 34.0, 3.0, 1.0, 1.0) + parked(
        "123", 25.0, 34.0, 3.0
    )
    events = detect_encounters(track_points(rows), CTX)
    assert events.height == 1
    event = events.row(0, named=True)
    assert (event["vessel_id"], event["other_vessel_id"]) == ("123", "456")
    assert (event["mmsi"], event["other_mmsi"]) == (123, 456)
    # From the later first report (00:01) to the earlier last report (03:00).
    assert event["start_ts"] == T0 + timedelta(minutes=1)
    assert event["end_ts"] == T0 + timedelta(hours=3)
    assert event["confidence"] == 4
    attributes = json.loads(event["attributes"])
    assert math.isclose(attributes["median_distance_m"], 300.0, rel_tol=1e-3)
    assert math.isclose(attributes["min_distance_m"], 300.0, rel_tol=1e-3)
    assert (attributes["mean_speed_knots"], attributes["other_mean_speed_knots"]) == (0.5, 1.0)
    points = json.loads(event["evidence"])["points"]
    assert points["other_first_ts"].startswith("2024-12-28T00:01")
    assert points["vessel_last_lat"] == 34.0


def test_thresholds() -> None:
    base = parked("1", 25.0, 34.0, 3.0)
    cases = {
        "too far": parked("2", east_of(25.0, 34.0, 520.0), 34.0, 3.0),
        "too fast": parked("2", east_of(25.0, 34.0, 100.0), 34.0, 3.0, speed=2.5),
        "too short": parked("2", east_of(25.0, 34.0, 100.0), 34.0, 1.75),
    }
    for name, other in cases.items():
        assert detect_encounters(track_points(base + other), CTX).height == 0, name
    near = parked("2", east_of(25.0, 34.0, 100.0), 34.0, 3.0)
    rows = base + near
    at_anchorage = track_points(rows, port_distance_m=[9_000.0] * len(rows))
    assert detect_encounters(at_anchorage, CTX).height == 0
    assert detect_encounters(track_points(rows), CTX).height == 1


def test_clean_traffic_has_no_encounter() -> None:
    # Two ships passing each other at 12 kn, and two slow ones 5 km apart.
    rows = [("1", i / 12, 25.0 + i * 0.002, 34.0, 12.0) for i in range(48)]
    rows += [("2", i / 12, 25.1 - i * 0.002, 34.0, 12.0) for i in range(48)]
    rows += parked("3", 26.0, 34.0, 4.0) + parked("4", east_of(26.0, 34.0, 5_000.0), 34.0, 4.0)
    assert detect_encounters(track_points(rows), CTX).height == 0


def test_silence_is_bridged_up_to_the_limit() -> None:
    first = parked("1", 25.0, 34.0, 3.0)
    other = [r for r in parked("2", 25.001, 34.0, 3.0) if not 1.0 < r[1] < 1.4]  # 24 min silent
    assert detect_encounters(track_points(first + other), CTX).height == 1
    other = [r for r in parked("2", 25.001, 34.0, 3.0) if not 1.0 < r[1] < 1.8]  # 48 min silent
    assert detect_encounters(track_points(first + other), CTX).height == 0


@settings(max_examples=150, deadline=None)
@given(
    lon=st.floats(-179.0, 179.0),
    lat=st.floats(-70.0, 70.0),
    bearing_deg=st.floats(0.0, 360.0),
    distance_m=st.floats(0.0, 1_000.0).filter(lambda d: abs(d - 500.0) > 5.0),
)
def test_found_exactly_when_within_the_distance(
    lon: float, lat: float, bearing_deg: float, distance_m: float
) -> None:
    """Wherever the pair sits relative to the cell grid, it is found iff within 500 m."""
    theta = math.radians(bearing_deg)
    dlat = distance_m * math.cos(theta) / M_PER_DEG_LAT
    other_lat = lat + dlat
    mid = math.radians(lat + dlat / 2)
    other_lon = lon + distance_m * math.sin(theta) / (M_PER_DEG_LAT * math.cos(mid))
    rows = parked("a", lon, lat, 2.5) + parked("b", other_lon, other_lat, 2.5)
    events = detect_encounters(track_points(rows), CTX, EncounterConfig())
    assert events.height == (1 if distance_m < 500.0 else 0)


@settings(max_examples=30, deadline=None)
@given(
    names=st.permutations(["7", "33", "x9", "b"]),
    spacing_m=st.sampled_from([200.0, 450.0, 900.0]),
)
def test_partition_and_order(names: list[str], spacing_m: float) -> None:
    rows = [
        row
        for k, name in enumerate(names)
        for row in parked(name, east_of(25.0, 34.0, k * spacing_m), 34.0, 2.5)
    ]
    events = detect_encounters(track_points(rows), CTX)
    assert (events["vessel_id"] < events["other_vessel_id"]).all()
    # Each pair's encounter depends only on the two vessels.
    for row in events.iter_rows(named=True):
        pair = [r for r in rows if r[0] in (row["vessel_id"], row["other_vessel_id"])]
        alone = detect_encounters(track_points(pair), CTX)
        assert alone.equals(events.filter(pl.col("event_id") == row["event_id"]))
    expected_pairs = {200.0: 5, 450.0: 3, 900.0: 0}[spacing_m]  # neighbours within 500 m
    assert events.height == expected_pairs
    again = detect_encounters(track_points(rows), CTX)
    assert again["event_id"].to_list() == events["event_id"].to_list()


def test_santa_barbara_vessels_side_by_side_are_in_port_not_at_sea(
    ais_dir: Path, data_dir: Path
) -> None:
    """One real Santa Barbara day: vessels lying side by side for hours do so at berths and
    platforms, all within 10 km of a GFW anchorage, so the GFW rule finds no encounter; with the
    anchorage distance dropped the same pairs appear, at the Port Hueneme berths among others."""
    files = sorted((ais_dir / "sbarc-santa-barbara" / "raw").glob("AIS_SBARC_180602-*.txt.gz"))
    assert len(files) == 24, "one day of Santa Barbara files expected"
    batch = concat_batches(b for f in files for b in read_file(f, ReadContext(f.name, f)))
    positions = pl.from_arrow(batch.positions)
    assert isinstance(positions, pl.DataFrame)
    points = build_track_points(positions, load_geography(data_dir / "geo"))
    assert detect_encounters(points, CTX).is_empty()
    anywhere = detect_encounters(points, CTX, EncounterConfig(min_anchorage_distance_m=0.0))
    assert anywhere.height > 10
    hueneme = anywhere.filter(
        pl.col("lon").is_between(-119.22, -119.19) & pl.col("lat").is_between(34.14, 34.16)
    )
    assert hueneme.height > 0
    assert (anywhere["duration_h"] >= EncounterConfig().min_duration_h).all()
