"""Identity changes: statics fields changing, one MMSI seen in two places at once."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from builders import T0, Row, track_points

from harborwatch.ais.batch import ReadContext, concat_batches
from harborwatch.ais.sources import read_file
from harborwatch.events.base import DetectionContext, empty_frame
from harborwatch.events.identity_change import detect_identity_changes
from harborwatch.schemas import STATICS, TRACK_POINTS
from harborwatch.tracks.segment import segment_tracks


def statics(rows: list[tuple[str, float, dict[str, object]]]) -> pl.DataFrame:
    """A statics frame (STATICS plus ``vessel_id``) from ``(vessel_id, hours, fields)`` rows."""
    schema = {**empty_frame(STATICS).schema, "vessel_id": pl.String}
    data = [
        {
            "vessel_id": v,
            "mmsi": int(v),
            "ts": T0 + timedelta(hours=h),
            **fields,
        }
        for v, h, fields in rows
    ]
    return pl.DataFrame(data, schema=schema)


def steady(vessel: str, hours: int, lon0: float = 20.0) -> list[Row]:
    """A vessel steaming east at about 10 kn, one report every hour."""
    return [(vessel, h, lon0 + h * 0.2, 34.0, 10.0) for h in range(hours)]


def attrs(events: pl.DataFrame) -> list[dict[str, object]]:
    return [json.loads(a) for a in events["attributes"]]


def test_name_callsign_imo_and_type_changes_with_blanks_and_spacing_ignored() -> None:
    points = track_points(steady("273396130", 24))
    history = statics(
        [
            ("273396130", 1, {"name": "URSA MAJOR", "callsign": "UBCW2", "imo": 9538892}),
            ("273396130", 2, {"name": "ursa  major", "ship_type": 70}),  # same, other spacing
            ("273396130", 3, {"name": "", "callsign": None, "ship_type": 0}),  # blanks
            ("273396130", 5, {"name": "URSA MAJOR@@@", "imo": 9538892}),
            ("273396130", 8, {"name": "SPARTA", "ship_type": 79}),
            ("273396130", 9, {"callsign": "UBCW3", "imo": 9268710}),
        ]
    )
    events = detect_identity_changes(points, DetectionContext(statics=history))
    found = {(a["field"], a["old"], a["new"]) for a in attrs(events)}
    assert found == {
        ("name", "URSA MAJOR", "SPARTA"),
        ("ship_type", "70", "79"),
        ("callsign", "UBCW2", "UBCW3"),
        ("imo", "9538892", "9268710"),
    }
    name = events.filter(pl.col("attributes").str.contains('"field":"name"')).row(0, named=True)
    assert name["start_ts"] == T0 + timedelta(hours=8)
    assert json.loads(name["attributes"])["old_last_ts"].startswith("2024-12-28T05:00")
    assert (name["lon"], name["lat"]) == pytest.approx((20.0 + 8 * 0.2, 34.0))  # position at 8 h
    assert name["mmsi"] == 273396130 and name["seg_id"] == "273396130-seg"


def test_no_change_no_event_and_only_the_vessels_in_points() -> None:
    history = statics(
        [
            ("1", 1, {"name": "A", "imo": 1234567}),
            ("1", 2, {"name": "a", "imo": 1234567}),
            ("2", 1, {"name": "B"}),
            ("2", 2, {"name": "C"}),  # vessel 2 has no points in this partition
        ]
    )
    points = track_points(steady("1", 5))
    assert detect_identity_changes(points, DetectionContext(statics=history)).is_empty()


def test_two_places_at_once_is_one_simultaneous_episode() -> None:
    home = [("412331088", h / 6, 120.0 + h * 0.003, 30.0, 8.0) for h in range(36)]
    away = [("412331088", h / 6 + 0.05, 121.5, 31.0, 0.0) for h in range(36)]  # 180 km off
    events = detect_identity_changes(track_points(home + away), DetectionContext())
    assert [a["kind"] for a in attrs(events)] == ["simultaneous"]
    event = events.row(0, named=True)
    found = attrs(events)[0]
    assert found["n_far_pairs"] == 71  # every switch between the two places
    assert found["max_distance_m"] > 150_000
    assert event["confidence"] == 3  # many far pairs; no segments (one placeholder segment)
    assert event["start_ts"] == T0 and event["duration_h"] == pytest.approx(35 / 6 + 0.05)
    assert len(json.loads(event["evidence"])["points"]["far_pairs"]) == 20


def test_overlapping_segments_are_simultaneous_even_when_close() -> None:
    a = [("1", h / 6, 20.0 + h * 0.003, 34.0, 8.0) for h in range(12)]
    b = [("1", h / 6 + 0.05, 20.1, 34.1, 0.0) for h in range(12)]  # 14 km away: under 50 km
    points = track_points(a + b, seg_id=["1-a"] * 12 + ["1-b"] * 12)
    events = detect_identity_changes(points, DetectionContext())
    assert [(x["kind"], x["n_overlaps"], x["n_far_pairs"]) for x in attrs(events)] == [
        ("simultaneous", 1, 0)
    ]
    assert events["confidence"][0] == 2
    # The same positions in one segment, or in segments one after the other: nothing.
    assert detect_identity_changes(track_points(a + b), DetectionContext()).is_empty()
    later = [(v, h + 3, lon, lat, s) for v, h, lon, lat, s in b]
    apart = track_points(a + later, seg_id=["1-a"] * 12 + ["1-b"] * 12)
    assert detect_identity_changes(apart, DetectionContext()).is_empty()


def test_a_single_transmitter_and_a_noise_excursion_are_not_simultaneous() -> None:
    rows = [("1", h / 6, 20.0 + h * 0.005, 34.0, 10.0) for h in range(24)]
    rows[10] = ("1", rows[10][1], 22.0, 34.0, 10.0)  # 180 km out and back: a bad fix
    noise = [i == 10 for i in range(24)]
    points = track_points(
        rows, noise=noise, noise_reason=["impossible_jump" if n else None for n in noise]
    )
    assert detect_identity_changes(points, DetectionContext()).is_empty()


def test_conflicts_a_day_apart_are_separate_episodes_with_stable_ids() -> None:
    rows = [("1", 0, 20.0, 34.0, 0.0), ("1", 0.1, 21.0, 34.0, 0.0)]
    rows += [("1", 30, 20.0, 34.0, 0.0), ("1", 30.1, 21.0, 34.0, 0.0)]
    points = track_points(rows)
    events = detect_identity_changes(points, DetectionContext())
    assert events.height == 2 and events["event_id"].n_unique() == 2
    again = detect_identity_changes(points, DetectionContext())
    assert events["event_id"].to_list() == again["event_id"].to_list()


KNOWN_SHARED = {"412331088", "666000001"}
"""Known shared MMSIs (data README) whose 2021 golden positions do show two places at once. The
other two named there, 200000010 and 574574574, do not in this data: 200000010 is one position
and, three days later, a 12-hour track 8 km away; 574574574 is one vessel moored in one place."""


def golden_points(ais_dir: Path) -> pl.DataFrame:
    """The GFW golden tracks through our segmenter, as TRACK_POINTS (no geography)."""
    files = sorted((ais_dir / "gfw-segment-golden").glob("regr_*.json.gz"))
    assert files, "no golden tracks found"
    batch = concat_batches(b for f in files for b in read_file(f, ReadContext(f.name, f)))
    positions = pl.from_arrow(batch.positions)
    assert isinstance(positions, pl.DataFrame)
    points = segment_tracks(positions)
    schema = empty_frame(TRACK_POINTS).schema
    return points.select(
        pl.col(name).cast(dtype) if name in points.columns else pl.lit(None, dtype).alias(name)
        for name, dtype in schema.items()
    )


def shared_mmsi_lists(ais_dir: Path) -> set[str]:
    """MMSIs GFW saw as two vessels at once in any year of its lists (2012-2019)."""
    files = sorted((ais_dir / "gfw" / "shared-mmsi").glob("20*.txt"))
    assert files, "no shared-MMSI lists found"
    return {word for f in files for word in f.read_text().split() if word.isdigit()}


def test_golden_shared_mmsis_are_flagged_and_agree_with_gfw_lists(ais_dir: Path) -> None:
    points = golden_points(ais_dir)
    events = detect_identity_changes(points, DetectionContext())
    flagged = set(events["vessel_id"])
    confident = set(events.filter(pl.col("confidence") >= 3)["vessel_id"])
    assert flagged >= KNOWN_SHARED
    # Far pairs by the hundred and overlapping segments: the strongest confidence.
    assert events.filter(pl.col("vessel_id").is_in(KNOWN_SHARED))["confidence"].min() == 4
    # 13 of the 56 golden MMSIs are in GFW's lists of 2012-2019 (the tracks are from 2021, so
    # the lists are a partial truth): at least 6 are flagged, and every confident flag is listed.
    listed = shared_mmsi_lists(ais_dir) & set(points["vessel_id"])
    assert len(listed) == 13
    assert len(flagged & listed) >= 6
    assert len(confident) >= 5 and confident <= listed
