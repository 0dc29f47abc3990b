"""Reader of the ACM DEBS 2018 Grand Challenge CSV.

``SHIP_ID,SPEED,LON,LAT,COURSE,HEADING,TIMESTAMP,DEPARTURE_PORT_NAME,REPORTED_DRAUGHT`` (header case
varies between files). Units as published, checked against the samples: ``SPEED`` is in 0.1 kn
(values up to 205, i.e. 20.5 kn), ``REPORTED_DRAUGHT`` in 0.1 m (56, 88, 113: 5.6-11.3 m, the
draughts of the coasters and container ships of the sample; whole metres would be impossible), as
in the AIS type 5 field. Times are ``dd-mm-yy H:MM`` or ``dd-mm-yy HH:MM:SS`` (UTC).

``SHIP_ID`` is a hash, not an MMSI: ``vessel_key`` is ``"debs:" + SHIP_ID`` and ``mmsi`` is null.
The draught goes to statics (a row each time a vessel's draught changes). ``DEPARTURE_PORT_NAME``
is where the voyage started, not a declared destination, so it is not stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import polars as pl

from harborwatch.ais.batch import DecodedBatch, ReadContext
from harborwatch.ais.readers import common
from harborwatch.ais.readers.common import Check, Decoded
from harborwatch.ais.reasons import RejectReason

SOURCE = "debs"
_TIME_FORMATS = ("%d-%m-%y %H:%M", "%d-%m-%y %H:%M:%S")
_REQUIRED = ["ship_id", "speed", "lon", "lat", "course", "heading", "timestamp"]


def read(stream: BinaryIO, ctx: ReadContext) -> Iterator[DecodedBatch]:
    """Decode a DEBS 2018 CSV into positions and draught statics."""
    yield from common.read_csv_batches(
        stream, ctx, source=SOURCE, decode=_decode, required=_REQUIRED
    )


def _decode(fields: pl.DataFrame, ctx: ReadContext) -> Decoded:
    """Parse one chunk's fields into positions, statics and rejects."""
    draught = common.column(fields, "reported_draught")
    parsed = fields.with_columns(
        _key=common.text(pl.col("ship_id")),
        _ts=common.strptime_utc(pl.col("timestamp"), _TIME_FORMATS),
        _lon=common.number(pl.col("lon")),
        _lat=common.number(pl.col("lat")),
        _sog_x10=common.number(pl.col("speed")),
        _cog=common.number(pl.col("course")),
        _heading=common.number(pl.col("heading"), pl.Int64),
        _draught_x10=common.number(draught),
        _draught_raw=draught,
    )
    checks = [
        Check(RejectReason.MALFORMED, pl.col("_key").is_null(), pl.lit("SHIP_ID: no id given")),
        *common.ts_checks("TIMESTAMP", pl.col("timestamp"), pl.col("_ts")),
        common.parse_check("LON", pl.col("lon"), pl.col("_lon")),
        common.parse_check("LAT", pl.col("lat"), pl.col("_lat")),
        *common.range_checks("LON", pl.col("_lon"), "LAT", pl.col("_lat")),
        common.parse_check("SPEED", pl.col("speed"), pl.col("_sog_x10")),
        common.parse_check("COURSE", pl.col("course"), pl.col("_cog")),
        common.parse_check("HEADING", pl.col("heading"), pl.col("_heading")),
        common.parse_check("REPORTED_DRAUGHT", pl.col("_draught_raw"), pl.col("_draught_x10")),
    ]
    good, rejects = common.apply_checks(parsed, checks)
    identity = [
        pl.lit(None, pl.Int64).alias("mmsi"),
        (pl.lit("debs:") + pl.col("_key")).alias("vessel_key"),
        pl.col("_ts").alias("ts"),
    ]
    positions = good.select(
        *identity,
        *common.position_columns(
            pl.col("_lon"),
            pl.col("_lat"),
            pl.col("_sog_x10") / 10.0,
            pl.col("_cog"),
            pl.col("_heading"),
        ),
        "line_no",
    )
    statics = good.select(
        *identity,
        *common.static_columns(draught_m=pl.col("_draught_x10") / 10.0),
        "line_no",
    )
    return Decoded(positions, statics, rejects)
