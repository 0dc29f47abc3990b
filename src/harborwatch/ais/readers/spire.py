"""Reader of a provider's 139-column full-field CSV (``MMSI,Message_ID,Repeat_indicator,Time,...``).

Every value is quoted. ``Time`` is ``YYYYMMDD_HHMMSS`` (UTC) and ``Millisecond`` adds the
milliseconds. ``Message_ID`` is the AIS message type: types 1/2/3/4/18/19/27 give positions
(``Longitude``, ``Latitude``, ``SOG``, ``COG``, ``Heading``, ``Navigational_status``; ``None``
means absent), types 5/19/24 give statics (``Vessel_Name``, ``Call_sign``, ``IMO``, ``Ship_Type``,
``Dimension_to_*``, ``Draught`` in 0.1 m as in the AIS field, ``Destination``, ``ETA_month/day/
hour/minute``; type 24 parts by ``Part_Number``). Other types are counted in ``type_counts`` and
quarantined raw as ``unsupported_type``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

import polars as pl

from harborwatch.ais.batch import DecodedBatch, ReadContext
from harborwatch.ais.readers import common
from harborwatch.ais.readers.common import POSITION_TYPES, STATIC_TYPES, Check, Decoded
from harborwatch.ais.reasons import RejectReason

SOURCE = "spire"
_REQUIRED = ["mmsi", "message_id", "time"]
_POSITION_NUMBERS = {  # column: dtype
    "longitude": pl.Float64,
    "latitude": pl.Float64,
    "sog": pl.Float64,
    "cog": pl.Float64,
    "heading": pl.Int64,
    "navigational_status": pl.Int64,
}
_STATIC_NUMBERS = [
    "imo",
    "ship_type",
    "dimension_to_bow",
    "dimension_to_stern",
    "dimension_to_port",
    "dimension_to_starboard",
    "draught",
    "eta_month",
    "eta_day",
    "eta_hour",
    "eta_minute",
    "part_number",
]


def read(stream: BinaryIO, ctx: ReadContext) -> Iterator[DecodedBatch]:
    """Decode a full-field CSV into positions and statics; other types go to quarantine."""
    yield from common.read_csv_batches(
        stream, ctx, source=SOURCE, decode=_decode, required=_REQUIRED
    )


def _ts(fields: pl.DataFrame) -> pl.Expr:
    """Report time: ``Time`` to the second plus ``Millisecond``."""
    seconds = common.strptime_utc(pl.col("time"), ["%Y%m%d_%H%M%S"])
    millis = common.number(common.column(fields, "millisecond"), pl.Int64).fill_null(0)
    return seconds + pl.duration(milliseconds=millis)


def _decode(fields: pl.DataFrame, ctx: ReadContext) -> Decoded:
    """Parse one chunk's fields into positions, statics and rejects."""
    col = {name: common.column(fields, name) for name in [*_POSITION_NUMBERS, *_STATIC_NUMBERS]}
    parsed = fields.with_columns(
        _mmsi=common.number(pl.col("mmsi"), pl.Int64),
        _type=common.number(pl.col("message_id"), pl.Int64),
        _ts=_ts(fields),
        **{f"_{n}": common.number(col[n], d) for n, d in _POSITION_NUMBERS.items()},
        **{f"_{n}": common.number(col[n], pl.Int64) for n in _STATIC_NUMBERS},
        **{f"_{n}_raw": col[n] for n in [*_POSITION_NUMBERS, *_STATIC_NUMBERS]},
    )
    is_position = pl.col("_type").is_in(POSITION_TYPES)
    is_static = pl.col("_type").is_in(STATIC_TYPES)
    unsupported = Check(
        RejectReason.UNSUPPORTED_TYPE,
        ~is_position & ~is_static,
        pl.format("Message_ID: type {} is not decoded", pl.col("_type")),
    )
    checks: list[Check] = [
        common.parse_check("Message_ID", pl.col("message_id"), pl.col("_type")),
        unsupported,
        common.mmsi_check("MMSI", pl.col("mmsi"), pl.col("_mmsi")),
        *common.ts_checks("Time", pl.col("time"), pl.col("_ts")),
        *_only(is_position, _parse_checks(_POSITION_NUMBERS)),
        *_only(
            is_position,
            common.range_checks("Longitude", pl.col("_longitude"), "Latitude", pl.col("_latitude")),
        ),
        *_only(is_static, _parse_checks(_STATIC_NUMBERS)),
    ]
    good, rejects = common.apply_checks(parsed, checks)
    identity = [pl.col("_mmsi").alias("mmsi"), pl.col("_ts").alias("ts")]
    positions = good.filter(is_position).select(
        *identity,
        *common.position_columns(
            pl.col("_longitude"),
            pl.col("_latitude"),
            pl.col("_sog"),
            pl.col("_cog"),
            pl.col("_heading"),
        ),
        common.within(pl.col("_navigational_status"), 0, 16).alias("nav_status"),
        pl.col("_type").alias("msg_type"),
        "line_no",
    )
    static_rows = good.filter(is_static)
    statics = static_rows.select(
        *identity,
        *common.static_columns(
            imo=pl.col("_imo"),
            callsign=common.text(common.column(static_rows, "call_sign")),
            name=common.text(common.column(static_rows, "vessel_name")),
            ship_type=pl.col("_ship_type"),
            dims_m=(
                pl.col("_dimension_to_bow"),
                pl.col("_dimension_to_stern"),
                pl.col("_dimension_to_port"),
                pl.col("_dimension_to_starboard"),
            ),
            draught_m=pl.col("_draught") / 10.0,
            destination=common.text(common.column(static_rows, "destination")),
        ),
        pl.col("_type").alias("msg_type"),
        pl.col("_part_number").alias("_part"),
        "_eta_month",
        "_eta_day",
        "_eta_hour",
        "_eta_minute",
        "line_no",
    )
    eta = common.eta_column(
        statics,
        pl.col("_eta_month"),
        pl.col("_eta_day"),
        pl.col("_eta_hour"),
        pl.col("_eta_minute"),
    )
    statics = statics.with_columns(eta).drop("_eta_month", "_eta_day", "_eta_hour", "_eta_minute")
    return Decoded(positions, statics, rejects, common.type_counts(parsed["_type"]))


def _parse_checks(names: Iterable[str]) -> list[Check]:
    """``malformed`` checks of the given numeric columns (named as in the header)."""
    return [
        common.parse_check(name.capitalize(), pl.col(f"_{name}_raw"), pl.col(f"_{name}"))
        for name in names
    ]


def _only(condition: pl.Expr, checks: list[Check]) -> list[Check]:
    """``checks`` applied only to rows where ``condition`` holds."""
    return [Check(c.reason, condition & c.failed, c.detail) for c in checks]
