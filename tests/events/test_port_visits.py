"""Port visit detector: hysteresis, stops, port gaps, open edges, confidence and stable ids."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import polars as pl
from builders import T0, track_points
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.config import PortVisitConfig
from harborwatch.events.base import DetectionContext, empty_frame
from harborwatch.events.port_visits import _in_port_runs, detect_port_visits, hysteresis
from harborwatch.schemas import PORTS

PORTS_TABLE = pl.concat(
    [
        empty_frame(PORTS),
        pl.DataFrame({"port_id": ["wpi:1", "wpi:2"], "name": ["TARTUS", "LATAKIA"]}),
    ],
    how="diagonal",
)
CTX = DetectionContext(ports=PORTS_TABLE)


def visit_track(
    hours_speed_distance: list[tuple[float, float, float]], vessel: str = "1", port: str = "wpi:1"
) -> pl.DataFrame:
    """One vessel's points from ``(hours, speed_knots, port_distance_m)`` triples."""
    rows = [(vessel, h, 35.87, 34.9 + d / 1e6, s) for h, s, d in hours_speed_distance]
    distances = [d for _, _, d in hours_speed_distance]
    ports = [port if d < 10_000 else None for d in distances]
    return track_points(rows, port_distance_m=distances, port_id=ports)


# Approach, enter at 2 h, stop at 3 h, silent 6 h in port, leave past 4 km at 13 h.
FULL_VISIT = [
    (0.0, 12.0, 20_000.0),
    (1.0, 8.0, 8_000.0),
    (2.0, 3.0, 2_500.0),
    (3.0, 0.1, 500.0),
    (4.0, 0.1, 400.0),
    (10.0, 0.1, 450.0),
    (11.0, 0.3, 3_500.0),
    (12.0, 2.0, 3_800.0),
    (13.0, 10.0, 4_500.0),
    (14.0, 12.0, 9_000.0),
]


def test_full_visit() -> None:
    events = detect_port_visits(visit_track(FULL_VISIT), CTX)
    assert events.height == 1
    event = events.row(0, named=True)
    assert event["start_ts"] == T0 + timedelta(hours=2)
    assert event["end_ts"] == T0 + timedelta(hours=12)  # 3.5 and 3.8 km keep it in port
    assert event["duration_h"] == 10.0
    assert event["site_id"] == "wpi:1"
    assert event["confidence"] == 4
    attributes = json.loads(event["attributes"])
    assert attributes["port_name"] == "TARTUS"
    assert attributes["min_port_distance_m"] == 400.0
    assert attributes["n_stops"] == 1
    # Stopped from 3 h (0.1 kn) until 12 h (2 kn > 0.5); 0.3 kn at 11 h does not end it.
    assert attributes["stop_duration_h"] == 9.0
    assert attributes["n_port_gaps"] == 1
    assert attributes["longest_port_gap_h"] == 6.0
    assert attributes["port_gaps"][0]["start_ts"].startswith("2024-12-28T04:00")
    assert (attributes["open_start"], attributes["open_end"]) == (False, False)
    points = json.loads(event["evidence"])["points"]
    assert points["before_ts"].startswith("2024-12-28T01:00")
    assert points["arrival_speed_knots"] == 3.0
    assert points["after_ts"].startswith("2024-12-28T13:00")
    assert points["after_speed_knots"] == 10.0


def test_hysteresis_between_the_radii() -> None:
    # Inside 3 km, out to 3.9 km and back: one visit. Never inside 3 km: none.
    hover = [(float(h), 5.0, d) for h, d in enumerate([9e3, 2e3, 3.9e3, 3.5e3, 2e3, 3.9e3, 5e3])]
    events = detect_port_visits(visit_track(hover), CTX)
    assert events.height == 1
    assert json.loads(events["attributes"][0])["n_positions"] == 5
    near_miss = [(float(h), 5.0, d) for h, d in enumerate([9e3, 3.5e3, 3.1e3, 3.9e3, 9e3])]
    assert detect_port_visits(visit_track(near_miss), CTX).height == 0
    # Out beyond 4 km and back in: two visits.
    twice = [(float(h), 5.0, d) for h, d in enumerate([9e3, 2e3, 4.1e3, 2e3, 9e3])]
    assert detect_port_visits(visit_track(twice), CTX).height == 2


def test_confidence_levels() -> None:
    passing = [(0.0, 10.0, 9e3), (1.0, 10.0, 1e3), (2.0, 10.0, 9e3)]  # entry and exit only
    stop_no_entry = [(0.0, 0.0, 1e3), (1.0, 0.0, 1e3), (2.0, 10.0, 9e3)]  # exit and stop
    only_in_port = [(0.0, 5.0, 1e3), (1.0, 5.0, 1e3)]  # nothing observed but presence
    entry_only = [(0.0, 10.0, 9e3), (1.0, 5.0, 1e3)]
    found = {
        name: detect_port_visits(visit_track(track), CTX)
        for name, track in [
            ("passing", passing),
            ("stop_no_entry", stop_no_entry),
            ("only_in_port", only_in_port),
            ("entry_only", entry_only),
        ]
    }
    assert found["passing"]["confidence"].to_list() == [3]
    assert found["stop_no_entry"]["confidence"].to_list() == [3]
    assert json.loads(found["stop_no_entry"]["attributes"][0])["open_start"] is True
    assert found["only_in_port"]["confidence"].to_list() == [1]
    assert found["entry_only"]["confidence"].to_list() == [2]
    assert json.loads(found["entry_only"]["attributes"][0])["open_end"] is True


def test_closest_port_names_the_visit() -> None:
    points = visit_track(FULL_VISIT).with_columns(
        pl.when(pl.col("port_distance_m") == 400.0)
        .then(pl.lit("wpi:2"))
        .otherwise(pl.col("port_id"))
        .alias("port_id")
    )
    events = detect_port_visits(points, CTX)
    assert events["site_id"].to_list() == ["wpi:2"]
    assert json.loads(events["attributes"][0])["port_name"] == "LATAKIA"


def test_no_visits_at_sea_and_noise_ignored() -> None:
    at_sea = [(float(h), 10.0, float("inf")) for h in range(48)]
    assert detect_port_visits(visit_track(at_sea), CTX).height == 0
    # A noise point inside the port does not make a visit.
    noisy = visit_track([(0.0, 10.0, 9e3), (1.0, 0.0, 100.0), (2.0, 10.0, 9e3)])
    noisy = noisy.with_columns(pl.Series("noise", [False, True, False]))
    assert detect_port_visits(noisy, CTX).height == 0


distance_steps = st.lists(
    st.sampled_from([500.0, 2_900.0, 3_500.0, 3_999.0, 4_500.0, 20_000.0]), min_size=1, max_size=25
)
speeds = st.sampled_from([0.0, 0.1, 0.3, 0.6, 8.0])


@settings(max_examples=60, deadline=None)
@given(
    tracks=st.dictionaries(
        st.sampled_from(["1", "22", "x"]), st.lists(st.tuples(distance_steps, speeds), max_size=1)
    ),
    step_h=st.sampled_from([0.5, 3.0, 5.0]),
)
def test_visit_properties(
    tracks: dict[str, list[tuple[list[float], float]]], step_h: float
) -> None:
    rows, frames = [], []
    for vessel, parts in tracks.items():
        for distances, speed in parts:
            triples = [(i * step_h, speed, d) for i, d in enumerate(distances)]
            rows.append((vessel, triples))
            frames.append(visit_track(triples, vessel=vessel))
    if not frames:
        return
    points = pl.concat(frames).sort("vessel_id", "ts")
    config = PortVisitConfig()
    events = detect_port_visits(points, CTX, config)
    for row in events.iter_rows(named=True):
        attributes = json.loads(row["attributes"])
        # Every visit came within the entry radius, and gaps inside it exceed the threshold.
        assert attributes["min_port_distance_m"] <= config.entry_distance_m
        assert all(g["duration_h"] > config.max_gap_in_port_h for g in attributes["port_gaps"])
        assert 1 <= row["confidence"] <= 4
    # A vessel's visits do not depend on the other vessels; ids are stable and unique.
    for vessel, triples in rows:
        own = detect_port_visits(visit_track(triples, vessel=vessel), CTX, config)
        mine = events.filter(pl.col("vessel_id") == vessel)
        assert own.equals(mine)
    again = detect_port_visits(points, CTX, config)
    assert again["event_id"].to_list() == events["event_id"].to_list()
    assert events["event_id"].n_unique() == events.height


@settings(max_examples=200, deadline=None)
@given(
    dist=st.lists(st.sampled_from([100.0, 1_500.0, 5_000.0, float("nan")]), max_size=40),
    vessel_of=st.lists(st.integers(0, 2), max_size=40),
)
def test_in_port_runs_match_the_array_formulation(dist: list[float], vessel_of: list[int]) -> None:
    """The one-pass kernel gives what hysteresis and neighbour comparisons give, for points
    inside, between and beyond the radii (or unknown), across vessel boundaries."""
    d = np.array(dist)
    vessels = np.sort(np.resize(np.array(vessel_of or [0]), d.size))
    starts = np.diff(vessels, prepend=-1) != 0
    ends = np.append(starts[1:], True)
    in_port = hysteresis(d <= 1_000.0, ~(d <= 3_000.0), starts)
    index = np.flatnonzero(in_port)
    entering = starts[index] | (np.diff(index, prepend=-2) != 1)
    leaving = ends[index] | (np.diff(index, append=d.size + 1) != 1)
    got = _in_port_runs(d, 1_000.0, 3_000.0, starts)
    want = (index, entering, np.flatnonzero(entering), np.flatnonzero(leaving))
    for got_array, want_array in zip(got, want, strict=True):
        assert np.array_equal(got_array, want_array)
