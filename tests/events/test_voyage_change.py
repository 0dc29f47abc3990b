"""Voyage changes: destination, ETA and draught changes from statics."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from builders import T0, track_points

from harborwatch.ais.batch import ReadContext, concat_batches
from harborwatch.ais.sources import read_file
from harborwatch.events.base import DetectionContext, empty_frame
from harborwatch.events.voyage_change import detect_voyage_changes
from harborwatch.schemas import STATICS, TRACK_POINTS


def statics(rows: list[tuple[str, float, dict[str, object]]]) -> pl.DataFrame:
    """A statics frame (STATICS plus ``vessel_id``) from ``(vessel_id, hours, fields)`` rows."""
    schema = {**empty_frame(STATICS).schema, "vessel_id": pl.String}
    data = [
        {"vessel_id": v, "mmsi": int(v), "ts": T0 + timedelta(hours=h), **f} for v, h, f in rows
    ]
    return pl.DataFrame(data, schema=schema)


SPARTA = "273000001"
HOURLY = track_points([(SPARTA, h, 20.0 + h * 0.25, 33.0, 12.0) for h in range(48)])


def changes(history: pl.DataFrame, points: pl.DataFrame = HOURLY) -> list[tuple[object, ...]]:
    events = detect_voyage_changes(points, DetectionContext(statics=history))
    return [(a["field"], a["old"], a["new"]) for a in map(json.loads, events["attributes"])]


def test_destination_change_with_repeats_blanks_and_spacing_ignored() -> None:
    history = statics(
        [
            (SPARTA, 1, {"destination": "PORT SAID"}),
            (SPARTA, 2, {"destination": "port  said"}),
            (SPARTA, 3, {"destination": ""}),
            (SPARTA, 4, {"destination": None, "draught_m": 0.0}),
            (SPARTA, 5, {"destination": "PORTSAID@@@"}),
            (SPARTA, 20, {"destination": "FOR ORDERS"}),
            (SPARTA, 21, {"destination": "FOR ORDERS"}),
        ]
    )
    events = detect_voyage_changes(HOURLY, DetectionContext(statics=history))
    assert changes(history) == [("destination", "PORTSAID", "FOR ORDERS")]
    event = events.row(0, named=True)
    assert event["start_ts"] == T0 + timedelta(hours=20)
    assert (event["lon"], event["lat"]) == pytest.approx((25.0, 33.0))  # the 20 h position
    assert event["event_type"] == "voyage_change" and event["confidence"] == 3
    assert json.loads(event["attributes"])["old_last_ts"].startswith("2024-12-28T05:00")


def test_draught_steps_below_the_threshold_are_ignored_until_they_add_up() -> None:
    history = statics(
        [(SPARTA, h, {"draught_m": d}) for h, d in enumerate([7.5, 7.6, 7.5, 7.7, 7.8, 7.8, 9.0])]
    )
    events = detect_voyage_changes(HOURLY, DetectionContext(statics=history))
    found = [json.loads(a) for a in events["attributes"]]
    assert [(a["old"], a["new"], a["draught_change_m"]) for a in found] == [
        ("7.5", "7.8", 0.3),  # 7.6 and 7.7 are rounding; 7.8 is 0.3 m from 7.5
        ("7.8", "9.0", 1.2),
    ]


def test_eta_changes_smaller_than_the_threshold_are_routine() -> None:
    eta = datetime(2025, 1, 2, 12, tzinfo=UTC)
    shifts_h = [0, 2, 5, 4, 30]  # +2 and +5 are routine; -1 too; +30 h from 12:00 counts
    history = statics(
        [(SPARTA, i, {"eta": eta + timedelta(hours=s)}) for i, s in enumerate(shifts_h)]
    )
    events = detect_voyage_changes(HOURLY, DetectionContext(statics=history))
    assert changes(history) == [("eta", "2025-01-02T12:00:00Z", "2025-01-03T18:00:00Z")]
    assert json.loads(events["attributes"][0])["eta_change_h"] == 30.0
    assert events["confidence"][0] == 2


def test_steady_declarations_and_other_vessels_give_nothing_and_ids_are_stable() -> None:
    steady = statics(
        [(SPARTA, h, {"destination": "TARTUS", "draught_m": 6.2}) for h in range(5)]
        + [("999", 1, {"destination": "A"}), ("999", 2, {"destination": "B"})]  # no points
    )
    assert changes(steady) == []
    moving = statics([(SPARTA, 1, {"destination": "A"}), (SPARTA, 2, {"destination": "B"})])
    first = detect_voyage_changes(HOURLY, DetectionContext(statics=moving))
    second = detect_voyage_changes(HOURLY, DetectionContext(statics=moving))
    assert first.height == 1 and first["event_id"].to_list() == second["event_id"].to_list()


def test_santa_barbara_destination_changes(ais_dir: Path) -> None:
    files = sorted((ais_dir / "sbarc-santa-barbara" / "raw").glob("AIS_SBARC_*.txt.gz"))
    assert len(files) == 168, "the seven days of Santa Barbara files expected"
    batch = concat_batches(b for f in files for b in read_file(f, ReadContext(f.name, f)))
    vessel_id = pl.col("mmsi").cast(pl.String).alias("vessel_id")
    positions = pl.from_arrow(batch.positions)
    history = pl.from_arrow(batch.statics)
    assert isinstance(positions, pl.DataFrame) and isinstance(history, pl.DataFrame)
    schema = empty_frame(TRACK_POINTS).schema
    positions = positions.with_columns(vessel_id, pl.lit(False).alias("noise"))
    points = positions.select(
        pl.col(n).cast(t) if n in positions.columns else pl.lit(None, t).alias(n)
        for n, t in schema.items()
    ).sort("vessel_id", "ts")
    context = DetectionContext(statics=history.with_columns(vessel_id))
    found = (
        detect_voyage_changes(points, context)
        .with_columns(
            pl.col("attributes").str.json_decode(
                pl.Struct({"field": pl.String, "old": pl.String, "new": pl.String})
            )
        )
        .unnest("attributes")
    )
    destinations = found.filter(pl.col("field") == "destination")
    # The data README counts 90 vessels changing destination in the week.
    assert destinations["vessel_id"].n_unique() == 90
    # Sensible: two different non-blank texts, dated in the week, placed where the vessel was:
    # the eastern Pacific off California and Mexico (the receiver hears some ships far south).
    key = pl.col("old").str.replace_all(" ", "") != pl.col("new").str.replace_all(" ", "")
    assert destinations.select(key.all()).item()
    assert destinations["start_ts"].dt.date().is_between(date(2018, 6, 1), date(2018, 6, 7)).all()
    assert destinations["lon"].is_between(-130, -105).all()
    assert destinations["lat"].is_between(20, 40).all()
    assert {"draught", "eta"} <= set(found["field"])
