"""What every event detector shares: the event types, the context they read, and the one way
to turn a detector's rows into the ``events`` table (:data:`harborwatch.schemas.EVENTS`).

A detector is a function ``detect_<kind>(points, context, config) -> pl.DataFrame`` where
``points`` follows :data:`harborwatch.schemas.TRACK_POINTS` (sorted by ``vessel_id, ts``),
``context`` is a :class:`DetectionContext` and ``config`` the detector's frozen config from
:mod:`harborwatch.config`. It returns :func:`finish_events` output. Detectors are partition-local:
given the points of a subset of vessels (all points of each), they return exactly those vessels'
events, so the same function runs on Dask partitions keyed by vessel.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import polars as pl
import pyarrow as pa

from harborwatch.ids import row_ids
from harborwatch.schemas import COVERAGE, EVENTS, PORTS, SITES, STATICS, WATCHLIST


class EventType(StrEnum):
    """Kinds of event, as stored in ``events.event_type``."""

    PORT_VISIT = "port_visit"
    AIS_GAP = "ais_gap"
    SPOOFING = "spoofing"
    IDENTITY_CHANGE = "identity_change"
    VOYAGE_CHANGE = "voyage_change"
    ENCOUNTER = "encounter"
    LOITERING = "loitering"
    SITE_PRESENCE = "site_presence"


def empty_frame(schema: pa.Schema) -> pl.DataFrame:
    """An empty Polars frame with the columns and types of an Arrow schema."""
    frame = pl.from_arrow(schema.empty_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


@dataclass(frozen=True)
class DetectionContext:
    """Reference tables the detectors read besides the points.

    ``statics`` follows :data:`~harborwatch.schemas.STATICS` plus a ``vessel_id`` column;
    ``ports``, ``sites`` and ``watchlist`` follow their schemas. Empty tables mean "none known".
    ``coverage`` (:data:`~harborwatch.schemas.COVERAGE`) says when each source was recording;
    empty means "as far as the given points show", which only holds when all vessels of the data
    are in one call (runs over partitions pass the whole data's coverage).
    """

    statics: pl.DataFrame = field(
        default_factory=lambda: empty_frame(STATICS).with_columns(
            pl.lit(None, pl.String).alias("vessel_id")
        )
    )
    ports: pl.DataFrame = field(default_factory=lambda: empty_frame(PORTS))
    sites: pl.DataFrame = field(default_factory=lambda: empty_frame(SITES))
    watchlist: pl.DataFrame = field(default_factory=lambda: empty_frame(WATCHLIST))
    coverage: pl.DataFrame = field(default_factory=lambda: empty_frame(COVERAGE))


def epoch_us(ts: pl.Series) -> np.ndarray:
    """Timestamps as int64 microseconds since the epoch (no copy for microsecond columns)."""
    return np.asarray(ts.dt.cast_time_unit("us").to_physical().to_numpy(), dtype=np.int64)


US_PER_H = 3_600_000_000
"""Microseconds per hour."""
_H_PER_US = 1.0 / US_PER_H


def hours_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """``end - start`` in hours (float).

    Multiplies by the reciprocal rather than dividing: Polars divides a one-row frame by a
    literal exactly but longer ones by multiplying with the reciprocal, so a division would give
    a duration one unit in the last place apart depending on how many rows share the frame, and
    events found on partitions would not equal those of one call.
    """
    return (end - start).dt.total_microseconds() * _H_PER_US


EVENT_COLUMNS = EVENTS.names
_EVENT_DTYPES = empty_frame(EVENTS).schema


def finish_events(
    rows: pl.DataFrame,
    *,
    event_type: EventType,
    rule: str,
    config: object,
    attributes: Sequence[str] = (),
    evidence: Sequence[str] = (),
    id_keys: Sequence[str] = (),
) -> pl.DataFrame:
    """Shape a detector's rows as the ``events`` table.

    ``rows`` holds any of the EVENTS columns (``vessel_id`` and ``start_ts`` at least) plus the
    columns named in ``attributes`` (packed into the ``attributes`` JSON object) and ``evidence``
    (packed into ``evidence.points`` next to the ``rule`` text and the ``config`` thresholds).
    ``duration_h`` is computed from start and end when absent. ``event_id`` hashes the event
    type, vessel, start time, ``other_vessel_id``, ``site_id`` and any ``id_keys`` columns, so a
    re-run gives the same ids.
    """
    rows = rows.with_columns(pl.lit(str(event_type)).alias("event_type"))
    if "end_ts" not in rows.columns:
        rows = rows.with_columns(pl.col("start_ts").alias("end_ts"))
    if "duration_h" not in rows.columns:
        rows = rows.with_columns(
            hours_between(pl.col("start_ts"), pl.col("end_ts")).alias("duration_h")
        )
    thresholds = json.dumps(dataclasses.asdict(config), sort_keys=True)  # type: ignore[call-overload]
    rows = rows.with_columns(
        _json_object(attributes).alias("attributes"),
        pl.concat_str(
            pl.lit('{"rule":' + json.dumps(rule) + ',"thresholds":' + thresholds + ',"points":'),
            _json_object(evidence),
            pl.lit("}"),
        ).alias("evidence"),
    )
    rows = rows.with_columns(row_ids(rows, _id_keys(rows, id_keys), "event_id"))
    missing = [name for name in EVENT_COLUMNS if name not in rows.columns]
    rows = rows.with_columns(pl.lit(None).alias(name) for name in missing)
    return rows.select(pl.col(name).cast(dtype) for name, dtype in _EVENT_DTYPES.items())


def _json_object(columns: Sequence[str]) -> pl.Expr:
    if not columns:
        return pl.lit("{}")
    return pl.struct([pl.col(name) for name in columns]).struct.json_encode()


def _id_keys(rows: pl.DataFrame, id_keys: Sequence[str]) -> list[str]:
    """The columns an event's id hashes: type, vessel, start and those of the others present."""
    optional = ("other_vessel_id", "site_id", *id_keys)
    return ["event_type", "vessel_id", "start_ts", *(c for c in optional if c in rows.columns)]
