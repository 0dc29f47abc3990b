"""Reader of NOAA MarineCadastre CSV.

``MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,
Width,Draft,Cargo,TransceiverClass``. Times are ISO 8601 without zone (UTC). Numbers may be written
as floats (``Status`` ``"0.0"``). ``IMO`` is written ``IMO9307839``. ``Draft`` is in metres.

``Length``/``Width`` give the hull size but not where the antenna sits, so the four antenna
distances (bow/stern/port/starboard) stay null: splitting the length arbitrarily would invent
data. ``TransceiverClass`` (A/B) does not tell the message type, so ``msg_type`` is null.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import polars as pl

from harborwatch.ais.batch import DecodedBatch, ReadContext
from harborwatch.ais.readers import common
from harborwatch.ais.readers.common import Decoded

SOURCE = "marinecadastre"
_REQUIRED = ["mmsi", "basedatetime", "lat", "lon"]


def read(stream: BinaryIO, ctx: ReadContext) -> Iterator[DecodedBatch]:
    """Decode a MarineCadastre CSV into positions and statics."""
    yield from common.read_csv_batches(
        stream, ctx, source=SOURCE, decode=_decode, required=_REQUIRED
    )


def _decode(fields: pl.DataFrame, ctx: ReadContext) -> Decoded:
    """Parse one chunk's fields into positions, statics and rejects."""
    col = {name: common.column(fields, name) for name in _COLUMNS}
    imo_digits = col["imo"].str.strip_chars().str.strip_prefix("IMO")
    parsed = fields.with_columns(
        _mmsi=common.number(col["mmsi"], pl.Int64),
        _ts=common.parse_iso_utc(col["basedatetime"]),
        _lon=common.number(col["lon"]),
        _lat=common.number(col["lat"]),
        _sog=common.number(col["sog"]),
        _cog=common.number(col["cog"]),
        _heading=common.number(col["heading"], pl.Int64),
        _status=common.number(col["status"], pl.Int64),
        _imo=common.number(imo_digits, pl.Int64),
        _ship_type=common.number(col["vesseltype"], pl.Int64),
        _draught=common.number(col["draft"]),
        _raw_imo=col["imo"],
        _raw_sog=col["sog"],
        _raw_cog=col["cog"],
        _raw_heading=col["heading"],
        _raw_status=col["status"],
        _raw_type=col["vesseltype"],
        _raw_draft=col["draft"],
    )
    checks = [
        common.mmsi_check("MMSI", pl.col("mmsi"), pl.col("_mmsi")),
        *common.ts_checks("BaseDateTime", pl.col("basedatetime"), pl.col("_ts")),
        common.parse_check("LON", pl.col("lon"), pl.col("_lon")),
        common.parse_check("LAT", pl.col("lat"), pl.col("_lat")),
        *common.range_checks("LON", pl.col("_lon"), "LAT", pl.col("_lat")),
        common.parse_check("SOG", pl.col("_raw_sog"), pl.col("_sog")),
        common.parse_check("COG", pl.col("_raw_cog"), pl.col("_cog")),
        common.parse_check("Heading", pl.col("_raw_heading"), pl.col("_heading")),
        common.parse_check("Status", pl.col("_raw_status"), pl.col("_status")),
        common.parse_check("IMO", pl.col("_raw_imo"), pl.col("_imo")),
        common.parse_check("VesselType", pl.col("_raw_type"), pl.col("_ship_type")),
        common.parse_check("Draft", pl.col("_raw_draft"), pl.col("_draught")),
    ]
    good, rejects = common.apply_checks(parsed, checks)
    identity = [pl.col("_mmsi").alias("mmsi"), pl.col("_ts").alias("ts")]
    positions = good.select(
        *identity,
        *common.position_columns(
            pl.col("_lon"), pl.col("_lat"), pl.col("_sog"), pl.col("_cog"), pl.col("_heading")
        ),
        common.within(pl.col("_status"), 0, 16).alias("nav_status"),
        "line_no",
    )
    statics = good.select(
        *identity,
        *common.static_columns(
            imo=pl.col("_imo"),
            callsign=common.text(col["callsign"]),
            name=common.text(col["vesselname"]),
            ship_type=pl.col("_ship_type"),
            draught_m=pl.col("_draught"),
        ),
        "line_no",
    )
    return Decoded(positions, statics, rejects)


_COLUMNS = [
    "mmsi",
    "basedatetime",
    "lat",
    "lon",
    "sog",
    "cog",
    "heading",
    "vesselname",
    "imo",
    "callsign",
    "vesseltype",
    "status",
    "draft",
]
