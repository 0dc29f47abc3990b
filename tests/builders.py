"""Builders that declare tracks in one line each, for detector and segmenter tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import polars as pl

from harborwatch.events.base import empty_frame
from harborwatch.schemas import POSITIONS, TRACK_POINTS

T0 = datetime(2024, 12, 28, tzinfo=UTC)
"""Fixed start time of built tracks (tests never use now())."""

Row = tuple[str, float, float, float, float]
"""(vessel_id, hours after T0, lon, lat, speed_knots)."""


def track_points(rows: Sequence[Row], **columns: Sequence[object]) -> pl.DataFrame:
    """A TRACK_POINTS frame from ``(vessel_id, hours, lon, lat, speed_knots)`` rows.

    Defaults: one segment per vessel (``<vessel>-seg``), no noise, far from ports (port columns
    null/inf) and 100 km from shore. ``columns`` overrides any column with one value per row.
    """
    n = len(rows)
    vessel_ids = [r[0] for r in rows]
    data: dict[str, Sequence[object]] = {
        "vessel_id": vessel_ids,
        "mmsi": [int(v) if v.isdigit() else None for v in vessel_ids],
        "ts": [T0 + timedelta(hours=r[1]) for r in rows],
        "lon": [r[2] for r in rows],
        "lat": [r[3] for r in rows],
        "sog_knots": [r[4] for r in rows],
        "speed_knots": [r[4] for r in rows],
        "seg_id": [f"{v}-seg" for v in vessel_ids],
        "noise": [False] * n,
        "port_distance_m": [float("inf")] * n,
        "shore_distance_m": [100_000.0] * n,
        "on_land": [False] * n,
    }
    data.update(columns)
    schema = empty_frame(TRACK_POINTS).schema
    frame = pl.DataFrame({name: data.get(name, [None] * n) for name in schema}, schema=schema)
    return frame.sort("vessel_id", "ts")


PositionRow = tuple[str, float, float | None, float | None, float | None]
"""(vessel: MMSI digits or a vessel_key, hours after T0, lon, lat, sog_knots)."""


def positions(rows: Sequence[PositionRow], **columns: Sequence[object]) -> pl.DataFrame:
    """A POSITIONS frame from one-line rows; COG 0, ``line_no`` numbers the rows from 1.

    ``columns`` overrides any column with one value per row.
    """
    n = len(rows)
    data: dict[str, Sequence[object]] = {
        "mmsi": [int(r[0]) if r[0].isdigit() else None for r in rows],
        "vessel_key": [None if r[0].isdigit() else r[0] for r in rows],
        "ts": [T0 + timedelta(hours=r[1]) for r in rows],
        "lon": [r[2] for r in rows],
        "lat": [r[3] for r in rows],
        "sog_knots": [r[4] for r in rows],
        "cog_deg": [0.0 if r[4] is not None else None for r in rows],
        "msg_type": [1] * n,
        "line_no": list(range(1, n + 1)),
    }
    data.update(columns)
    schema = empty_frame(POSITIONS).schema
    return pl.DataFrame({name: data.get(name, [None] * n) for name in schema}, schema=schema)
