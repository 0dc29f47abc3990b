"""Reader of the Danish Maritime Authority ``aisdk`` CSV export.

Header ``# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,
Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,
Destination,ETA,Data source type,A,B,C,D``. Times (and ETA) are ``dd/mm/YYYY HH:MM:SS`` (UTC).

DMA writes codes as words: navigational status ("Under way using engine") and ship type ("Cargo")
are mapped back to AIS codes (:mod:`~harborwatch.ais.readers.labels`); the cargo type ("Category
X".."Category OS") gives the ship type's second digit. Unknown words give null rather than
rejecting the position. ``Unknown`` in IMO, call sign and destination means absent. ``A``-``D``
are the antenna distances to bow, stern, port and starboard; ``Draught`` is in metres. Every row
repeats the vessel's static data: a statics row is kept only when it changes.

``Type of mobile`` (Class A/B, Base Station...) does not tell the message type, so ``msg_type`` is
null.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import polars as pl

from harborwatch.ais.batch import DecodedBatch, ReadContext
from harborwatch.ais.readers import common, labels
from harborwatch.ais.readers.common import Check, Decoded

SOURCE = "dma"
_TIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
_REQUIRED = ["# timestamp", "mmsi", "latitude", "longitude"]
_NUMBERS = {  # column: (label in details, dtype)
    "sog": ("SOG", pl.Float64),
    "cog": ("COG", pl.Float64),
    "heading": ("Heading", pl.Int64),
    "draught": ("Draught", pl.Float64),
    "a": ("A", pl.Int64),
    "b": ("B", pl.Int64),
    "c": ("C", pl.Int64),
    "d": ("D", pl.Int64),
}


def read(stream: BinaryIO, ctx: ReadContext) -> Iterator[DecodedBatch]:
    """Decode an ``aisdk`` CSV into positions and statics."""
    yield from common.read_csv_batches(
        stream, ctx, source=SOURCE, decode=_decode, required=_REQUIRED
    )


def _known(raw: pl.Expr) -> pl.Expr:
    """``raw`` with DMA's ``Unknown`` placeholder made null."""
    return pl.when(raw.str.strip_chars().str.to_lowercase() != "unknown").then(raw)


def _ship_type(fields: pl.DataFrame) -> pl.Expr:
    """AIS ship type code from DMA's ship type and cargo type words."""
    base = labels.label_code(common.column(fields, "ship type"), labels.SHIP_TYPE_CODES)
    digit = labels.label_code(common.column(fields, "cargo type"), labels.CARGO_CATEGORY_DIGITS)
    has_cargo_digit = (base % 10 == 0) & base.is_in([20, 40, 60, 70, 80, 90])
    return pl.when(has_cargo_digit & digit.is_not_null()).then(base + digit).otherwise(base)


def _decode(fields: pl.DataFrame, ctx: ReadContext) -> Decoded:
    """Parse one chunk's fields into positions, statics and rejects."""
    col = {name: common.column(fields, name) for name in [*_NUMBERS, "imo", "eta"]}
    imo_raw = _known(col["imo"])
    parsed = fields.with_columns(
        _mmsi=common.number(pl.col("mmsi"), pl.Int64),
        _ts=common.strptime_utc(pl.col("# timestamp"), _TIME_FORMATS),
        _lon=common.number(pl.col("longitude")),
        _lat=common.number(pl.col("latitude")),
        _imo=common.number(imo_raw, pl.Int64),
        _imo_raw=imo_raw,
        _eta=common.strptime_utc(col["eta"], _TIME_FORMATS),
        _eta_raw=col["eta"],
        **{f"_{name}": common.number(col[name], dtype) for name, (_, dtype) in _NUMBERS.items()},
        **{f"_{name}_raw": col[name] for name in _NUMBERS},
    )
    checks: list[Check] = [
        common.mmsi_check("MMSI", pl.col("mmsi"), pl.col("_mmsi")),
        *common.ts_checks("# Timestamp", pl.col("# timestamp"), pl.col("_ts")),
        common.parse_check("Longitude", pl.col("longitude"), pl.col("_lon")),
        common.parse_check("Latitude", pl.col("latitude"), pl.col("_lat")),
        *common.range_checks("Longitude", pl.col("_lon"), "Latitude", pl.col("_lat")),
        *[
            common.parse_check(label, pl.col(f"_{name}_raw"), pl.col(f"_{name}"))
            for name, (label, _) in _NUMBERS.items()
        ],
        common.parse_check("IMO", pl.col("_imo_raw"), pl.col("_imo")),
        common.parse_check("ETA", pl.col("_eta_raw"), pl.col("_eta")),
    ]
    good, rejects = common.apply_checks(parsed, checks)
    identity = [pl.col("_mmsi").alias("mmsi"), pl.col("_ts").alias("ts")]
    nav_status = labels.label_code(
        common.column(good, "navigational status"), labels.NAV_STATUS_CODES
    )
    positions = good.select(
        *identity,
        *common.position_columns(
            pl.col("_lon"), pl.col("_lat"), pl.col("_sog"), pl.col("_cog"), pl.col("_heading")
        ),
        nav_status.alias("nav_status"),
        "line_no",
    )
    statics = good.select(
        *identity,
        *common.static_columns(
            imo=pl.col("_imo"),
            callsign=common.text(_known(common.column(good, "callsign"))),
            name=common.text(_known(common.column(good, "name"))),
            ship_type=_ship_type(good),
            dims_m=(pl.col("_a"), pl.col("_b"), pl.col("_c"), pl.col("_d")),
            draught_m=pl.col("_draught"),
            eta=pl.col("_eta"),
            destination=common.text(_known(common.column(good, "destination"))),
        ),
        "line_no",
    )
    return Decoded(positions, statics, rejects)
