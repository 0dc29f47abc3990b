"""Reader of the Suez Canal export: ``ID,ais_pos_timestamp,longitude,latitude``.

The file (UTF-8 with byte-order mark) carries anonymised vessel ids, so ``mmsi`` is null and
``vessel_key`` is ``"suez:" + ID``. Times are ``dd/mm/YYYY HH:MM`` (UTC). There is no speed, course
or static data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import polars as pl

from harborwatch.ais.batch import DecodedBatch, ReadContext
from harborwatch.ais.readers import common
from harborwatch.ais.readers.common import Check, Decoded
from harborwatch.ais.reasons import RejectReason

SOURCE = "suez"
_TIME_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")


def read(stream: BinaryIO, ctx: ReadContext) -> Iterator[DecodedBatch]:
    """Decode a Suez export into positions (no statics)."""
    yield from common.read_csv_batches(
        stream,
        ctx,
        source=SOURCE,
        decode=_decode,
        required=["id", "ais_pos_timestamp", "longitude", "latitude"],
    )


def _decode(fields: pl.DataFrame, ctx: ReadContext) -> Decoded:
    """Parse one chunk's fields into positions and rejects."""
    parsed = fields.with_columns(
        _ts=common.strptime_utc(pl.col("ais_pos_timestamp"), _TIME_FORMATS),
        _lon=common.number(pl.col("longitude")),
        _lat=common.number(pl.col("latitude")),
        _id=common.text(pl.col("id")),
    )
    checks: list[Check] = [
        Check(
            RejectReason.MALFORMED,
            pl.col("_id").is_null(),
            pl.lit("ID: no vessel id given"),
        ),
        *common.ts_checks("ais_pos_timestamp", pl.col("ais_pos_timestamp"), pl.col("_ts")),
        common.parse_check("longitude", pl.col("longitude"), pl.col("_lon")),
        common.parse_check("latitude", pl.col("latitude"), pl.col("_lat")),
        *common.range_checks("longitude", pl.col("_lon"), "latitude", pl.col("_lat")),
    ]
    good, rejects = common.apply_checks(parsed, checks)
    positions = good.select(
        pl.lit(None, pl.Int64).alias("mmsi"),
        (pl.lit("suez:") + pl.col("_id")).alias("vessel_key"),
        pl.col("_ts").alias("ts"),
        pl.col("_lon").alias("lon"),
        pl.col("_lat").alias("lat"),
        "line_no",
    ).with_columns(
        common.not_available(pl.col("lon"), 181.0), common.not_available(pl.col("lat"), 91.0)
    )
    return Decoded(positions, None, rejects)
